#!/usr/bin/env bash
# libvirt test: boots the guest through libvirt (scripts/libvirt.sh,
# docs/libvirt-qosvnic.xml) with the qosvnic NIC, has the guest enable 2 VFs
# and address VF 0, then drives the device's host control plane through
# "virsh qemu-monitor-command": query-qosvnic, qosvnic-set-vf on VF 0's
# ingress rate (the guest's PF driver, in switchdev mode, then cannot raise
# it with tc matchall police on VF 0's representor: the host's ceiling
# refuses it), HMP "info qosvnic", a burst of host traffic to VF 0
# that the device must drop above the new rate (seen in the device's and
# the guest's counters), the QOSVNIC_VF_DROPPING event; then destroys and
# undefines the domain and stops the daemons it started.
#
# Prints "PASS: name" / "FAIL: name" / "SKIP: name" lines and exits non-zero
# on failure. Asserts no timings (the rate check compares a burst far above
# the rate with what the device admitted, whatever the pace).
#
# Usage: scripts/tests/libvirt-test.sh   (root; builds QEMU and the guest
#        image if missing; installs libvirt from apt if missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# One run at a time on a host: the domain, tap and subnet are fixed.
exec 7>/run/qosvnic-libvirt-test.lock
flock 7

export LIBVIRT_DEFAULT_URI=qemu:///system
export QOSVNIC_LV_DOMAIN=qosvnic-lvtest
dom=$QOSVNIC_LV_DOMAIN
qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
guest=${QOSVNIC_GUEST:-$QOSVNIC_ROOT/out/guest}
tmo=${QOSVNIC_BOOT_TIMEOUT:-600}
work=$(mktemp -d /tmp/qvn-lv-test.XXXXXX)
console=$work/console.log
fails=0 started=0 evpid=''
pass() { echo "PASS: libvirt: $*"; }
fail() { echo "FAIL: libvirt: $*"; fails=1; }

# shellcheck disable=SC2317  # invoked by trap
cleanup() {
    [ -z "$evpid" ] || kill "$evpid" 2>/dev/null
    if [ "$started" = 1 ]; then
        "$here/libvirt.sh" stop >&2 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

qmp() { virsh -q qemu-monitor-command "$dom" "$1"; }
# Evaluate a Python expression on the JSON reply of query-qosvnic; "d" is
# the device, "vf0" VF 0's entry.
query() {
    qmp '{"execute":"query-qosvnic","arguments":{"id":"net0"}}' |
        python3 -c '
import json, sys
d = json.load(sys.stdin)["return"][0]
vf0 = [f for f in d["functions"] if f.get("vf") == 0]
vf0 = vf0[0] if vf0 else None
print(eval(sys.argv[1]))' "$1"
}
guest_line() { # the last console line starting with $1
    tr -d '\r' < "$console" 2>/dev/null | grep "^$1" | tail -n 1
}
wait_console() { # regex timeout (seconds: a deadline, not a count of polls)
    local end=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$end" ]; do
        tr -d '\r' < "$console" 2>/dev/null | grep -qE "$1" && return 0
        [ "$(virsh -q domstate "$dom" 2>/dev/null)" = running ] || return 1
        sleep 0.2
    done
    tr -d '\r' < "$console" 2>/dev/null | grep -qE "$1"
}

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if [ ! -x "$qemu" ] || ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    fail "qemu with the qosvnic device built"
    exit 1
fi
if ! "$here/build-guest.sh" >&2; then
    fail "guest image built"
    exit 1
fi

# The guest side: enable VFs through the qosvnic PF driver, address VF 0,
# then report VF 0's counters once a second, and (switchdev mode, tc
# matchall police on VF 0's representor) try to raise its ingress rate
# above what the host set.
cat > "$work/test.sh" <<'GUEST'
. /lib/qv-lib.sh
pf=$(qv_pf)
[ -n "$pf" ] || { echo "QVN-FAIL no PF"; exit 1; }
sys=/sys/bus/pci/devices/$pf
[ "$(qv_driver "$pf")" = qosvnic ] || modprobe qosvnic
echo 2 > "$sys/sriov_numvfs" || { echo "QVN-FAIL sriov_numvfs"; exit 1; }
qv_wait '[ "$(qv_vfs | wc -l)" -ge 2 ]' 60
vf0=$(qv_vfs | head -n 1)
qv_wait '[ -n "$(ls /sys/bus/pci/devices/$vf0/net 2>/dev/null)" ]' 60
ifc=$(ls "/sys/bus/pci/devices/$vf0/net" | head -n 1)
ip link set "$ifc" up
ip addr add 10.79.0.2/24 dev "$ifc"
echo "QVN-VFS-UP $(qv_vfs | wc -l) $ifc $(cat "/sys/class/net/$ifc/address")"
# Switchdev: the standard interface for a VF's ingress policer is tc
# matchall police on its representor's egress; the uplink's rule sends the
# host's frames for VF 0 to it (the frames the VF sends are not needed).
pfdev=$(ls "$sys/net" | head -n 1)
mac0=$(cat "/sys/class/net/$ifc/address")
ip link set "$pfdev" up
devlink dev eswitch set "pci/$pf" mode switchdev || echo "QVN-FAIL switchdev"
rep=
for n in /sys/class/net/*; do
    [ "$(cat "$n/phys_port_name" 2>/dev/null)" = pf0vf0 ] && rep=${n##*/}
done
ip link set "$rep" up
tc qdisc add dev "$pfdev" clsact
tc filter add dev "$pfdev" ingress flower skip_sw dst_mac "$mac0" \
    action mirred egress redirect dev "$rep" || echo "QVN-FAIL uplink rule"
tc qdisc add dev "$rep" clsact
echo "QVN-SWITCHDEV $rep"
raised=0
while :; do
    # Ask for 100 Mbit/s until the host's ceiling refuses it (before the
    # host sets one it is accepted, and taken back at once).
    if [ "$raised" = 0 ]; then
        if out=$(tc filter add dev "$rep" egress matchall skip_sw action police \
                 rate 100mbit burst 64k conform-exceed drop/pipe 2>&1); then
            tc filter del dev "$rep" egress
        else
            echo "QVN-RAISE refused: $(echo "$out" | head -n 1)"
            raised=1
        fi
    fi
    drops=$(ethtool -S "$ifc" 2>/dev/null | awk '$1 == "rx_drop_rate:" {print $2}')
    echo "QVN-STATS rx_drop_rate=${drops:-?} rx_packets=$(cat "/sys/class/net/$ifc/statistics/rx_packets")"
    sleep 1
done
GUEST
mkdir -p "$work/extra"
install -m 0755 "$work/test.sh" "$work/extra/test.sh"
(cd "$work/extra" && echo test.sh | cpio -o -H newc -R 0:0 --quiet) > "$work/extra.cpio"
cat "$work/extra.cpio" "$guest/initrd.img" > "$work/initrd.img"

step "libvirt daemons"
started=1
if "$here/libvirt.sh" start >&2; then
    pass "libvirtd and virtlogd running"
else
    fail "libvirtd and virtlogd running"
    exit 1
fi
"$here/libvirt.sh" stop-domain >&2 || true     # a leftover of an aborted run
if "$here/libvirt.sh" define --initrd "$work/initrd.img" --serial "$console" \
        --append "qv.ip=none sysrq_always_enabled" --vfs 8 >&2; then
    pass "domain defined from docs/libvirt-qosvnic.xml"
else
    fail "domain defined from docs/libvirt-qosvnic.xml"
    exit 1
fi
if "$here/libvirt.sh" start-domain >&2; then
    pass "domain started (custom emulator, TCG, direct kernel boot)"
else
    fail "domain started (custom emulator, TCG, direct kernel boot)"
    tail -n 20 "/var/log/libvirt/qemu/$dom.log" 2>/dev/null | sed 's/^/  | /'
    exit 1
fi

step "waiting for the guest to enable its VFs"
if wait_console '^QVN-VFS-UP' "$tmo"; then
    pass "guest enabled 2 VFs and addressed VF 0 ($(guest_line QVN-VFS-UP))"
else
    fail "guest enabled 2 VFs and addressed VF 0"
    tr -d '\r' < "$console" | grep -v 'Show Blocked State' | tail -n 12 | sed 's/^/  | /'
    # A quiet guest prints a hung task's name but not its stack: raise the
    # console's log level and ask for the blocked tasks' stacks (sysrq 9
    # and w through the PS/2 keyboard). Short: test.sh keeps 40 lines.
    for k in KEY_9 KEY_W; do
        virsh send-key "$dom" KEY_LEFTALT KEY_SYSRQ "$k" >/dev/null 2>&1
        sleep 3
    done
    echo "  the guest's blocked tasks (sysrq w):"
    tr -d '\r' < "$console" | sed -n '/Show Blocked State/,$p' | sed 's/^\[ *[0-9.]*\] //' |
        head -n 24 | sed 's/^/  | /'
    exit 1
fi

n=$(query 'd["num-vfs"]' 2>/dev/null)
if [ "$n" = 2 ] && [ "$(query 'vf0["enabled"]')" = True ]; then
    pass "query-qosvnic: the device has 2 VFs enabled"
else
    fail "query-qosvnic: the device has 2 VFs enabled (num-vfs: ${n:-no answer})"
fi
vfmac=$(query 'vf0["config"]["mac"]')
gmac=$(guest_line QVN-VFS-UP | awk '{print $4}')
if [ -n "$vfmac" ] && [ "$vfmac" = "$gmac" ]; then
    pass "query-qosvnic: VF 0's MAC is the guest's ($vfmac)"
else
    fail "query-qosvnic: VF 0's MAC is the guest's (device $vfmac, guest $gmac)"
fi
# Frames for VF 0 go to its MAC; no ARP needed (nor a working TX path).
ip neigh replace 10.79.0.2 lladdr "$vfmac" dev qvlvtap0 nud permanent

burst() { # n size: UDP datagrams to VF 0, as fast as the host sends them
    python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[1])):
    s.sendto(b"q" * int(sys.argv[2]), ("10.79.0.2", 9))
EOF
}

# Unlimited first: a little traffic reaches VF 0. A ping first resolves
# VF 0's address, so that no datagram of the burst waits for ARP (the
# kernel keeps only a few while it resolves).
ping -c 1 -w 10 10.79.0.2 > /dev/null 2>&1 || true
rx0=$(query 'vf0["stats"]["rx-packets"]')
burst 10 100
for _ in $(seq 50); do
    [ "$(query 'vf0["stats"]["rx-packets"]')" -ge $((rx0 + 10)) ] && break
    sleep 0.2
done
rx1=$(query 'vf0["stats"]["rx-packets"]')
if [ "$rx1" -ge $((rx0 + 10)) ] && [ "$(query 'vf0["stats"]["drop-rate"]')" = 0 ]; then
    pass "host traffic reaches VF 0, no rate drops while unlimited ($((rx1 - rx0)) frames)"
else
    fail "host traffic reaches VF 0, no rate drops while unlimited (rx-packets $rx0 -> $rx1)"
fi

# Watch for the event while the rate is lowered and exceeded.
virsh qemu-monitor-event --domain "$dom" --event QOSVNIC_VF_DROPPING \
    --timeout 120 > "$work/events" 2>&1 &
evpid=$!
sleep 1

step "lowering VF 0's ingress rate with virsh qemu-monitor-command"
out=$(qmp '{"execute":"qosvnic-set-vf","arguments":{"id":"net0","vf":0,"rx-rate":64000,"rx-burst":3000}}')
if echo "$out" | grep -q '"return":{}'; then
    pass "qosvnic-set-vf vf 0 rx-rate=64000 rx-burst=3000"
else
    fail "qosvnic-set-vf vf 0 rx-rate=64000 rx-burst=3000 ($out)"
fi
out=$(qmp '{"execute":"qosvnic-set-vf","arguments":{"id":"net0","vf":0,"priority":9}}')
if echo "$out" | grep -q 'priority: 9 is above the limit of 7'; then
    pass "qosvnic-set-vf refuses priority 9 naming field, value and limit"
else
    fail "qosvnic-set-vf refuses priority 9 naming field, value and limit ($out)"
fi
r=$(query '(vf0["config"]["rx-rate"], vf0["config"]["rx-burst"], vf0["host-limits"].get("rx-rate"), hex(vf0["host-limits-mask"]))')
if [ "$r" = "(64000, 3000, 64000, '0x70')" ]; then
    pass "query-qosvnic shows the new rate and the host ceiling $r"
else
    fail "query-qosvnic shows the new rate and the host ceiling ($r)"
fi
hmp=$(virsh -q qemu-monitor-command "$dom" --hmp 'info qosvnic net0')
while IFS= read -r l; do echo "  | $l"; done <<< "$hmp"
if echo "$hmp" | grep -q 'vf0  host ceilings: rx-rate=64000 rx-burst=3000'; then
    pass "HMP info qosvnic shows the ceiling"
else
    fail "HMP info qosvnic shows the ceiling"
fi

# The guest's PF driver reads the ceiling back, and cannot raise the rate.
if wait_console '^QVN-RAISE' 60; then
    l=$(guest_line QVN-RAISE)
    if printf '%s' "$l" | grep -q 'host (QMP) caps'; then
        pass "guest PF driver cannot raise VF 0 above the host's ceiling ($l)"
    else
        fail "guest PF driver cannot raise VF 0 above the host's ceiling ($l)"
    fi
else
    fail "guest PF driver cannot raise VF 0 above the host's ceiling (no QVN-RAISE)"
fi

step "a burst far above 64 kbit/s to VF 0"
d0=$(query 'vf0["stats"]["drop-rate"]')
rx0=$(query 'vf0["stats"]["rx-packets"]')
# 200 x 1428 bytes on the wire: at most 3000 + 8000 bytes/s pass.
burst 200 1400
for _ in $(seq 100); do
    t=$(query 'vf0["stats"]["drop-rate"] + vf0["stats"]["rx-packets"]')
    [ "$t" -ge $((d0 + rx0 + 200)) ] && break
    sleep 0.2
done
d1=$(query 'vf0["stats"]["drop-rate"]')
rx1=$(query 'vf0["stats"]["rx-packets"]')
echo "  VF 0: $((rx1 - rx0)) frames admitted, $((d1 - d0)) dropped for the rate"
if [ "$((d1 - d0))" -gt 0 ] && [ "$((rx1 - rx0))" -lt 200 ]; then
    pass "device drops VF 0's traffic above the new rate"
else
    fail "device drops VF 0's traffic above the new rate"
fi
if wait_console "^QVN-STATS rx_drop_rate=[1-9]" 60; then
    pass "guest sees the rate and the drops ($(guest_line QVN-STATS))"
else
    fail "guest sees the rate and the drops ($(guest_line QVN-STATS))"
fi
st=$(query '" ".join("%s=%s" % (k, v) for k, v in vf0["stats"].items() if v)')
echo "  VF 0 statistics: $st"
if [ -n "$st" ]; then pass "statistics read with query-qosvnic"; else fail "statistics read with query-qosvnic"; fi

for _ in $(seq 50); do grep -q QOSVNIC_VF_DROPPING "$work/events" && break; sleep 0.2; done
if grep -q '"reason":"rate"' "$work/events" && grep -q '"vf":0' "$work/events"; then
    pass "QOSVNIC_VF_DROPPING event for VF 0, reason rate"
elif grep -q 'QOSVNIC_VF_DROPPING' "$work/events"; then
    fail "QOSVNIC_VF_DROPPING event for VF 0, reason rate ($(head -c 300 "$work/events"))"
else
    fail "QOSVNIC_VF_DROPPING event for VF 0, reason rate (none seen)"
fi
kill "$evpid" 2>/dev/null; evpid=''

step "destroying the domain, stopping the daemons this test started"
if "$here/libvirt.sh" stop-domain >&2 && ! virsh -q dominfo "$dom" >/dev/null 2>&1; then
    pass "domain destroyed and undefined"
else
    fail "domain destroyed and undefined"
fi
"$here/libvirt.sh" stop >&2
started=0
if [ -f /run/qosvnic-libvirt/started-libvirtd ]; then
    fail "daemons started by the test stopped"
else
    pass "daemons started by the test stopped"
fi
exit "$fails"
