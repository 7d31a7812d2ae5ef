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

# The QEMU and the guest image of the clone the host runs from.
l1_qemu() { echo "$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64"; }
l1_guest() { echo "$QOSVNIC_ROOT/out/guest"; }

# Boot tenant VM NAME on VF $3 (PCI address or index) with address $4,
# its command channel on 127.0.0.1:$2. In the background; its QEMU's pid is
# in $L1_VMS/NAME.pid. A reboot in the tenant resets the VM (and so its VF,
# through vfio) and boots it again; l1_tenant_wait after truncating the
# console waits for that.
l1_tenant_start() { # name port vf ip [mem] [extra kernel args]
    local name=$1 port=$2 vf=$3 ip=$4 mem=${5:-384M} extra=${6:-}
    case "$vf" in *:*) ;; *) vf=$(l1_vf_pci "$vf") ;; esac
    [ "$(qv_driver "$vf")" = vfio-pci ] || { l1_log "$vf is not bound to vfio-pci"; return 1; }
    mkdir -p "$L1_VMS"
    : > "$L1_VMS/$name.console"
    l1_chroot "$(l1_qemu)" -name "$name" -M q35 -accel kvm -cpu host -smp 1 -m "$mem" \
        -nodefaults -display none -vga none \
        -kernel "$(l1_guest)/vmlinuz" -initrd "$(l1_guest)/initrd.img" \
        -append "console=ttyS0 panic=-1 quiet loglevel=4 qv.name=$name qv.ip=auto,$ip qv.serve=httpd,iperf3,netserver qv.agent=ttyS1 $extra" \
        -chardev "file,id=con,path=/run/qv-vms/$name.console,append=on" -serial chardev:con \
        -chardev "socket,id=ctl,host=127.0.0.1,port=$port,server=on,wait=off" -serial chardev:ctl \
        -qmp "unix:/run/qv-vms/$name.qmp,server=on,wait=off" \
        -device "vfio-pci,host=$vf,id=vf" \
        -pidfile "/run/qv-vms/$name.pid" -daemonize ||
        { l1_log "$name: QEMU did not start"; return 1; }
    l1_log "$name: started on VF $vf (pid $(cat "$L1_VMS/$name.pid"))"
}

l1_tenant_pid() { cat "$L1_VMS/$1.pid" 2>/dev/null; }
l1_tenant_running() { local p; p=$(l1_tenant_pid "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

l1_tenant_wait() { # name [seconds]
    local i=0 n=$((${2:-120} * 10))
    until grep -q '^QVN-READY' "$L1_VMS/$1.console" 2>/dev/null; do
        l1_tenant_running "$1" || { l1_log "$1: QEMU exited before the guest was ready"; tail -n 20 "$L1_VMS/$1.console"; return 1; }
        i=$((i + 1))
        [ "$i" -ge "$n" ] && { l1_log "$1: not ready after ${2:-120} s"; tail -n 20 "$L1_VMS/$1.console"; return 1; }
        sleep 0.1
    done
}

# Power the tenant off through its agent (or SIGKILL its QEMU with "kill")
# and wait until its QEMU is gone, which is when vfio resets the VF.
l1_tenant_stop() { # name port [kill]
    local name=$1 port=$2 p i=0
    p=$(l1_tenant_pid "$name") || return 0
    if [ "${3:-}" = kill ]; then
        kill -9 "$p" 2>/dev/null
    else
        /lib/qv-rpc.sh "$port" --quit 2>/dev/null
    fi
    while kill -0 "$p" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -ge 300 ] && { kill -9 "$p" 2>/dev/null; }
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
        -e "s|@CMDLINE@|console=ttyS0 panic=-1 quiet loglevel=4 qv.name=$1 qv.ip=auto,$2 qv.serve=httpd,iperf3,netserver qv.agent=ttyS1|" \
        -e "s|@MAC@|$3|; s|@VLAN@|$4|; s|@CONSOLE@|$x/$1.console|; s|@PORT@|$5|" \
        "$L1_SYSROOT$QOSVNIC_ROOT/docs/libvirt-tenant.xml" > "$L1_SYSROOT$x/$1.xml"
    l1_virsh define "$x/$1.xml" >/dev/null && l1_virsh start "$1"
}
