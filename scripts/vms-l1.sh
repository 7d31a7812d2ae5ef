# Helpers that run INSIDE the outer guest (L1, the virtualized server) of
# the nested set-up (scripts/vms.sh). Sourced by the commands the host
# sends over the control channel; bash, as root, in the guest image's
# initramfs root.
# shellcheck shell=bash
#
# L1 sees the host's root file system read-only over 9p (run-guest.sh
# --hostfs). l1_sysroot lays a tmpfs over it (overlayfs) at $L1_SYSROOT, so
# that the host's own userland (libvirt, this project's QEMU and guest
# image) runs there under chroot with L1's kernel, devices and network,
# and nothing is written back to the host.
#
# Tenant VMs (L2) are this project's QEMU under KVM inside L1, each owning
# one VF through vfio-pci:
#   l1_tenant_start NAME PORT VF IP [MEM]    boot one (in the background)
#   l1_tenant_wait NAME [SECONDS]            until its agent is up
#   l1_tenant_stop NAME [kill]               power off (or SIGKILL) it
# A tenant's console is $L1_VMS/NAME.console (inside the sysroot: /run/
# qv-vms/NAME.console); its command channel is 127.0.0.1:PORT in L1
# (/lib/qv-rpc.sh PORT ...).

L1_SYSROOT=/sysroot
L1_VMS=$L1_SYSROOT/run/qv-vms

l1_log() { echo "l1: $*"; }
l1_mounted() { grep -qs " $1 " /proc/mounts; }   # busybox has no mountpoint

# The host's root, read-only, with a writable tmpfs layer, and L1's own
# /proc, /sys, /dev, /run and /tmp inside.
l1_sysroot() {
    if l1_mounted "$L1_SYSROOT/proc"; then return 0; fi
    modprobe -q overlay || { l1_log "no overlay module"; return 1; }
    mkdir -p /host "$L1_SYSROOT" /run/sysroot/upper /run/sysroot/work
    # vms.sh's set-up mounted the host's root (9p tag hostroot) at /host.
    l1_mounted /host || { l1_log "the host's root is not mounted at /host"; return 1; }
    mount -t overlay overlay \
        -o lowerdir=/host,upperdir=/run/sysroot/upper,workdir=/run/sysroot/work "$L1_SYSROOT" ||
        { l1_log "overlayfs over the 9p root failed"; return 1; }
    mount -t proc proc "$L1_SYSROOT/proc"
    mount --rbind /sys "$L1_SYSROOT/sys"
    mount --rbind /dev "$L1_SYSROOT/dev"
    mount -t tmpfs tmpfs "$L1_SYSROOT/run"
    mount -t tmpfs tmpfs "$L1_SYSROOT/tmp"
    # This project's tree (its QEMU, guest image and scripts) at its own
    # path, wherever the checkout is: under /tmp or /run the tmpfs mounts
    # above would hide it.
    mkdir -p "$L1_SYSROOT$QOSVNIC_ROOT" &&
        mount --bind "/host$QOSVNIC_ROOT" "$L1_SYSROOT$QOSVNIC_ROOT" ||
        { l1_log "cannot bind the project's tree $QOSVNIC_ROOT into the sysroot"; return 1; }
    mkdir -p "$L1_VMS"
}

# Run a command in the host's userland (PATH of a Debian root).
l1_chroot() {
    chroot "$L1_SYSROOT" /usr/bin/env -i HOME=/root TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# KVM for the tenant VMs: kvm_amd under TCG's -cpu max (SVM), kvm_intel on
# an Intel host with nested VMX.
l1_kvm() {
    modprobe -q kvm_amd 2>/dev/null || modprobe -q kvm_intel 2>/dev/null
    [ -c /dev/kvm ] || { l1_log "no /dev/kvm (does the CPU offer SVM/VMX to this guest?)"; return 1; }
    # No udev here: nothing loads the type1 IOMMU backend on demand.
    modprobe -q vfio-pci && modprobe -q vfio_iommu_type1 ||
        { l1_log "vfio modules missing"; return 1; }
    [ -c /dev/vfio/vfio ] || { l1_log "no /dev/vfio/vfio"; return 1; }
    [ -n "$(ls /sys/class/iommu 2>/dev/null)" ] ||
        { l1_log "no IOMMU (boot with intel_iommu=on behind run-guest.sh --iommu)"; return 1; }
}

# The PF's netdev and the PCI address of VF $1 (both need qosvnic.ko on
# the PF and the VFs enabled).
l1_pf() { qv_pf; }
l1_pfdev() { ls "/sys/bus/pci/devices/$(qv_pf)/net" 2>/dev/null | head -n 1; }
l1_vf_pci() { basename "$(readlink "/sys/bus/pci/devices/$(qv_pf)/virtfn$1")"; }

# qosvnic.ko on the PF, $1 VFs that no driver in L1 takes (they are for
# tenant VMs), the PF up.
l1_pf_setup() { # nvfs
    local pf sys
    pf=$(qv_pf)
    [ -n "$pf" ] || { l1_log "no qosvnic PF"; return 1; }
    sys=/sys/bus/pci/devices/$pf
    [ "$(qv_driver "$pf")" = qosvnic ] || modprobe qosvnic
    qv_wait '[ "$(qv_driver "$pf")" = qosvnic ] && [ -d "$sys/net" ]' 10 ||
        { l1_log "qosvnic.ko did not bind $pf"; return 1; }
    ip link set "$(l1_pfdev)" up
    echo 0 > "$sys/sriov_drivers_autoprobe"
    if [ "$(cat "$sys/sriov_numvfs")" != "$1" ]; then
        echo 0 > "$sys/sriov_numvfs"
        echo "$1" > "$sys/sriov_numvfs" || { l1_log "sriov_numvfs=$1 failed"; return 1; }
    fi
}

# Hand VF $1 (index) to vfio-pci, so that a tenant VM's QEMU can own it.
l1_vf_to_vfio() { # vf-index
    local vf d
    vf=$(l1_vf_pci "$1")
    d=/sys/bus/pci/devices/$vf
    [ -e "$d" ] || { l1_log "no VF $1"; return 1; }
    [ "$(qv_driver "$vf")" = vfio-pci ] && return 0
    [ "$(qv_driver "$vf")" = - ] || echo "$vf" > "$d/driver/unbind"
    echo vfio-pci > "$d/driver_override"
    echo "$vf" > /sys/bus/pci/drivers_probe
    [ "$(qv_driver "$vf")" = vfio-pci ] || { l1_log "vfio-pci did not bind $vf"; return 1; }
}

# Give VF $1 (index) to qosvnic.ko in L1 itself (namespace tenants).
l1_vf_to_driver() { # vf-index
    local vf d
    vf=$(l1_vf_pci "$1")
    d=/sys/bus/pci/devices/$vf
    [ "$(qv_driver "$vf")" = qosvnic ] && return 0
    [ "$(qv_driver "$vf")" = - ] || echo "$vf" > "$d/driver/unbind"
    echo qosvnic > "$d/driver_override"
    echo "$vf" > /sys/bus/pci/drivers_probe
    qv_wait "[ -d $d/net ]" 10 || { l1_log "qosvnic.ko did not bind $vf"; return 1; }
}

# A tenant as a network namespace of L1 (the experiments' quick mode):
# netdev $2 moved into namespace $1 with address $3 (and MAC $4 unless the
# netdev is a VF, whose MAC the PF sets), webfsd serving /srv/www there,
# pinned with the netdev's interrupts to L1's vCPU $5.
l1_ns_tenant() { # name netdev addr mac cpu
    local ns=$1 dev=$2 irq
    ip netns add "$ns" || return 1
    if [ -e "/sys/class/net/$dev/device/physfn" ]; then
        for irq in "/sys/class/net/$dev/device/msi_irqs"/*; do
            printf '%x' $((1 << $5)) > "/proc/irq/${irq##*/}/smp_affinity" 2>/dev/null
        done
    else
        ip link set "$dev" address "$4"
    fi
    ip link set "$dev" netns "$ns" &&
        ip -n "$ns" link set lo up && ip -n "$ns" addr add "$3" dev "$dev" &&
        ip -n "$ns" link set "$dev" up || return 1
    ip netns exec "$ns" taskset -c "$5" webfsd -4 -p 80 -r /srv/www -c 1024 -t 10 -j \
        -u nobody -g nogroup -k "/run/$ns.webfs.pid"
}
l1_ns_tenant_stop() { # name
    [ -f "/run/$1.webfs.pid" ] && kill "$(cat "/run/$1.webfs.pid")" 2>/dev/null
    rm -f "/run/$1.webfs.pid"
    ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$1" 2>/dev/null
    return 0
}

# The QEMU and the guest image of the clone the host runs from.
l1_qemu() { echo "$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64"; }
l1_guest() { echo "$QOSVNIC_ROOT/out/guest"; }

# Boot tenant VM NAME with the NIC $3 and the address $4, its command
# channel on 127.0.0.1:$2. The NIC is a VF (its index or PCI address; it
# must be bound to vfio-pci), or "tap:TAP:MAC" for a virtio-net NIC on tap
# TAP (vhost-net) of L1: the bridged path of a software switch.
# In the background; its QEMU's pid is in $L1_VMS/NAME.pid; with
# L1_TENANT_CPUS set, QEMU is pinned to those CPUs of L1 (taskset -c).
# A reboot in the tenant resets the VM (and so its VF, through vfio) and
# boots it again; l1_tenant_wait after truncating the console waits for it.
l1_tenant_start() { # name port nic ip [mem] [extra kernel args]
    local name=$1 port=$2 nic=$3 ip=$4 mem=${5:-384M} extra=${6:-} dev pin=()
    case "$nic" in
        tap:*)
            local tap=${nic#tap:} mac
            tap=${tap%%:*}; mac=${nic#tap:"$tap":}
            ip link show "$tap" >/dev/null 2>&1 || { l1_log "no tap $tap"; return 1; }
            dev=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=on"
                 -device "virtio-net-pci,netdev=n0,mac=$mac")
            ;;
        *)
            case "$nic" in *:*) ;; *) nic=$(l1_vf_pci "$nic") ;; esac
            [ "$(qv_driver "$nic")" = vfio-pci ] || { l1_log "$nic is not bound to vfio-pci"; return 1; }
            dev=(-device "vfio-pci,host=$nic,id=vf")
            ;;
    esac
    [ -z "${L1_TENANT_CPUS:-}" ] || pin=(taskset -c "$L1_TENANT_CPUS")
    mkdir -p "$L1_VMS"
    : > "$L1_VMS/$name.console"
    l1_chroot "${pin[@]}" "$(l1_qemu)" -name "$name,debug-threads=on" -M q35 -accel kvm -cpu host \
        -smp 1 -m "$mem" -nodefaults -display none -vga none \
        -kernel "$(l1_guest)/vmlinuz" -initrd "$(l1_guest)/initrd.img" \
        -append "console=ttyS0 panic=-1 quiet loglevel=4 qv.name=$name qv.ip=auto,$ip qv.serve=webfs,iperf3,netserver qv.agent=ttyS1 $extra" \
        -chardev "file,id=con,path=/run/qv-vms/$name.console,append=on" -serial chardev:con \
        -chardev "socket,id=ctl,host=127.0.0.1,port=$port,server=on,wait=off" -serial chardev:ctl \
        -qmp "unix:/run/qv-vms/$name.qmp,server=on,wait=off" \
        "${dev[@]}" -pidfile "/run/qv-vms/$name.pid" -daemonize ||
        { l1_log "$name: QEMU did not start"; return 1; }
    l1_log "$name: started on $nic (pid $(cat "$L1_VMS/$name.pid"))"
}

l1_tenant_pid() { cat "$L1_VMS/$1.pid" 2>/dev/null; }
l1_tenant_running() { local p; p=$(l1_tenant_pid "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# The deadline is wall-clock time, not a count of polls: under TCG's load
# a poll takes far longer than its 0.1 s sleep, and the host's channel
# timeout (GX_TIMEOUT) must not end first, or the tenant's console, which
# says why it is not ready, is never shown.
l1_tenant_wait() { # name [seconds]
    local end=$((SECONDS + ${2:-120}))
    until grep -q '^QVN-READY' "$L1_VMS/$1.console" 2>/dev/null; do
        l1_tenant_running "$1" || { l1_log "$1: QEMU exited before the guest was ready"; tail -n 20 "$L1_VMS/$1.console"; return 1; }
        [ "$SECONDS" -ge "$end" ] && { l1_log "$1: not ready after ${2:-120} s"; tail -n 20 "$L1_VMS/$1.console"; return 1; }
        sleep 0.1
    done
}

# Power the tenant off through its agent (or SIGKILL its QEMU with "kill")
# and wait until its QEMU is gone, which is when vfio resets the VF: at
# most 30 s, then SIGKILL and 30 s more. A QEMU that outlives that (stuck
# in the kernel, say in the VF's reset) is reported with its state and
# the kernel function it waits in, instead of being waited for forever.
l1_tenant_stop() { # name port [kill]
    local name=$1 port=$2 p end=$((SECONDS + 30)) killed=0 st
    p=$(l1_tenant_pid "$name") || return 0
    if [ "${3:-}" = kill ]; then
        kill -9 "$p" 2>/dev/null
    else
        /lib/qv-rpc.sh "$port" --quit 2>/dev/null
    fi
    # The state is the field after the command's name in parentheses
    # (busybox's ps has no -o); read without a fork every 0.1 s, since
    # L1's one vCPU is also the tenants'.
    while { read -r st < "/proc/$p/stat"; } 2>/dev/null && st=${st##*) } && st=${st%% *} &&
          [ -n "$st" ] && [ "$st" != Z ]; do
        if [ "$SECONDS" -ge "$end" ]; then
            if [ "$killed" = 1 ]; then
                l1_log "$name: QEMU (pid $p) still there 30 s after SIGKILL" \
                       "(state $st, waiting in $(cat "/proc/$p/wchan" 2>/dev/null))"
                return 1
            fi
            kill -9 "$p" 2>/dev/null
            killed=1 end=$((SECONDS + 30))
        fi
        sleep 0.1
    done
    rm -f "$L1_VMS/$name.pid"
}

# libvirt from the host's userland, as the nested server's VMM: QEMU as
# root, and neither cgroups nor a private /dev for it (L1 has no systemd
# and no udev to populate one).
l1_libvirt_start() {
    mkdir -p "$L1_SYSROOT/etc/libvirt"
    printf '%s\n' 'user = "root"' 'group = "root"' 'namespaces = [ ]' 'cgroup_controllers = [ ]' \
        > "$L1_SYSROOT/etc/libvirt/qemu.conf"
    l1_chroot "$QOSVNIC_ROOT/scripts/libvirt.sh" start
}
l1_virsh() { l1_chroot virsh -c qemu:///system "$@"; }

# A pool of this PF's VFs as a libvirt network (docs/libvirt-vf-pool.xml).
l1_libvirt_pool() {
    local x=/run/qv-libvirt
    mkdir -p "$L1_SYSROOT$x"
    sed "s|@PF@|$(l1_pfdev)|" "$L1_SYSROOT$QOSVNIC_ROOT/docs/libvirt-vf-pool.xml" > "$L1_SYSROOT$x/pool.xml"
    l1_virsh net-define "$x/pool.xml" >/dev/null && l1_virsh net-start qosvnic-vfs >/dev/null
}

# Define and start tenant NAME on a VF from the pool, with MAC $3 and
# port VLAN $4 (docs/libvirt-tenant.xml); address $2, channel port $5.
l1_libvirt_tenant() { # name ip mac vlan port
    local x=/run/qv-libvirt
    mkdir -p "$L1_SYSROOT$x"
    : > "$L1_SYSROOT$x/$1.console"
    sed -e "s|@NAME@|$1|; s|@DOMTYPE@|kvm|; s|@CPUMODE@|host-passthrough|; s|@QEMU@|$(l1_qemu)|" \
        -e "s|@KERNEL@|$(l1_guest)/vmlinuz|; s|@INITRD@|$(l1_guest)/initrd.img|" \
        -e "s|@CMDLINE@|console=ttyS0 panic=-1 quiet loglevel=4 qv.name=$1 qv.ip=auto,$2 qv.serve=webfs,iperf3,netserver qv.agent=ttyS1|" \
        -e "s|@MAC@|$3|; s|@VLAN@|$4|; s|@CONSOLE@|$x/$1.console|; s|@PORT@|$5|" \
        "$L1_SYSROOT$QOSVNIC_ROOT/docs/libvirt-tenant.xml" > "$L1_SYSROOT$x/$1.xml"
    l1_virsh define "$x/$1.xml" >/dev/null && l1_virsh start "$1"
}

# The software switch of the "existing architecture": bridge br0 with the
# PF as its uplink (L1 is then the driver domain that every tenant's frame
# crosses). Tap $1 with its other end for a tenant VM, or with "veth" a
# veth pair whose other end ($1-ns) a namespace tenant takes.
l1_bridge_up() {
    ip link show br0 >/dev/null 2>&1 && return 0
    ip link add br0 type bridge forward_delay 0 stp_state 0 &&
        ip link set "$(l1_pfdev)" master br0 && ip link set br0 up
}
l1_bridge_port() { # name [veth]
    if [ "${2:-}" = veth ]; then
        ip link add "$1" type veth peer name "$1-ns" || return 1
    else
        modprobe -q tun && modprobe -q vhost_net   # no udev: nothing loads them
        ip tuntap add dev "$1" mode tap vnet_hdr || return 1
    fi
    ip link set "$1" master br0 && ip link set "$1" up
}
l1_bridge_down() {
    ip link del br0 2>/dev/null
    ip link set "$(l1_pfdev)" up
}
