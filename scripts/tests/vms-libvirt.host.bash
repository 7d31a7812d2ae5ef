# Part 5 of scripts/tests/vms.host.bash: libvirt inside L1 (the host's
# libvirt 9.0 over the 9p root, daemons started without systemd) assigns a
# VF from a hostdev network pool to a third tenant VM, with its MAC and port
# VLAN set through L1's PF driver, as users assign VFs. Sourced there.
# shellcheck shell=bash

LV_MAC=52:54:00:51:00:33 LV_VLAN=42 LV_IP=10.77.42.23 LV_PORT=7503
lvstep=$SECONDS
if gl1 'l1_libvirt_start >/dev/null 2>&1 && l1_virsh -q list >/dev/null'; then
    pass "libvirtd runs in L1 (the host's libvirt, started without systemd)"
else
    fail "libvirtd runs in L1 (the host's libvirt, started without systemd)"
fi
if gl1 'l1_libvirt_pool'; then
    pass "libvirt network qosvnic-vfs: <forward mode='hostdev'> pool of the PF's VFs"
else
    fail "libvirt network qosvnic-vfs: <forward mode='hostdev'> pool of the PF's VFs"
fi
out=$(gl1 "l1_libvirt_tenant vm3 $LV_IP/24 $LV_MAC $LV_VLAN $LV_PORT" 2>&1)
printf '%s\n' "$out" | sed 's/^/    virsh: /'
if printf '%s\n' "$out" | grep -q "Domain 'vm3' started"; then
    pass "virsh start boots tenant vm3 on a VF from the pool ($((SECONDS - lvstep)) s with libvirt's start-up)"
else
    fail "virsh start boots tenant vm3 on a VF from the pool"
fi
vfline=$(gl1 'ip link show $(l1_pfdev)' | grep -i "$LV_MAC")
info "L1: $vfline"
vfn=$(printf '%s\n' "$vfline" | awk '{print $2}')
if printf '%s\n' "$vfline" | grep -q "vlan $LV_VLAN"; then
    pass "libvirt set VF $vfn's MAC $LV_MAC and VLAN $LV_VLAN through the PF driver"
else
    fail "libvirt set the VF's MAC $LV_MAC and VLAN $LV_VLAN through the PF driver"
fi
if [ -n "$vfn" ]; then
    dmac=$(vms_vf_config "$((vfn + 1))" mac) dvlan=$(vms_vf_config "$((vfn + 1))" vlan)
    info "device (QMP): VF $vfn mac $dmac vlan $dvlan"
    if [ "$dmac" = "$LV_MAC" ] && [ "$dvlan" = "$LV_VLAN" ]; then
        pass "the device enforces them on VF $vfn (QMP query-qosvnic: mac $dmac, vlan $dvlan)"
    else
        fail "the device enforces them on VF $vfn (QMP query-qosvnic: mac $dmac, vlan $dvlan)"
    fi
fi
gl1 "i=0; until grep -q '^QVN-READY' /sysroot/run/qv-libvirt/vm3.console || [ \$i -ge 180 ]; do sleep 1; i=\$((i+1)); done"
# The host kernel has no 802.1Q support: tagged frames on a packet socket.
vp="python3 $VMS_ROOT/scripts/vlan-ping.py qvtap0"
if out=$($vp "$LV_VLAN" 10.77.42.1 "$LV_IP" 3 30 2>&1); then
    pass "the host reaches vm3 on VLAN $LV_VLAN ($(printf '%s\n' "$out" | tail -n 1))"
else
    fail "the host reaches vm3 on VLAN $LV_VLAN ($(printf '%s\n' "$out" | tail -n 1))"
    info "vm3's console and L1's kernel log, last lines:"
    gl1 "tail -n 12 /sysroot/run/qv-libvirt/vm3.console; dmesg | tail -n 12" 2>&1 |
        tr -d '\r' | sed 's/^/      | /'
fi
if ! out=$($vp 43 10.77.42.1 "$LV_IP" 2 4 2>&1); then
    pass "vm3 is not reachable on another VLAN (43)"
else
    fail "vm3 is not reachable on another VLAN (43)"
fi
gl1 'l1_virsh destroy vm3 >/dev/null'
after=$(gl1 'ip link show $(l1_pfdev)' | grep "vf $vfn ")
info "after virsh destroy: L1: $after"
if [ -n "$vfn" ] && ! printf '%s\n' "$after" | grep -q -e "$LV_MAC" -e "vlan $LV_VLAN" &&
   ! gl1 'l1_virsh net-dumpxml qosvnic-vfs' | grep -q "connections="; then
    pass "virsh destroy returns VF $vfn to the pool with its MAC and VLAN restored"
else
    fail "virsh destroy returns the VF to the pool with its MAC and VLAN restored"
fi
gl1 "l1_virsh undefine vm3 >/dev/null; l1_virsh net-destroy qosvnic-vfs >/dev/null; l1_virsh net-undefine qosvnic-vfs >/dev/null
     l1_chroot \$QOSVNIC_ROOT/scripts/libvirt.sh stop >/dev/null 2>&1"
