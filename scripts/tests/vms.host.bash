# Host side of scripts/tests/vms-test.sh, sourced by scripts/vms.sh --run
# once L1 and the tenant VMs vm1 and vm2 are up (helpers: scripts/vms-host.sh,
# scripts/qv-agent.sh). Tenant i owns VF i-1; the host is 10.77.0.1 on the
# tap that is the device's wire. Prints PASS:/FAIL: lines; asserts
# outcomes (delivery, counters, rates against the limits configured).
# shellcheck shell=bash

T=${VMS_TEST_SECONDS:-5}
# The limits stay well below what a tenant does here: under TCG, L1 has
# one vCPU (scripts/vms.sh), which both tenants share. A tenant that
# takes vm1's policed flood (3 x RATE_MBIT offered) and a TCP stream to
# vm2 at once left vm2 42-157 Mbit/s, and a tenant sent as little as
# 6.9 Mbit/s of UDP (seven runs of 2026-12-02).
RATE_MBIT=10
TOL=10
UDP_LEN=1400
WIRE=$((UDP_LEN + 42))          # Ethernet frame of one UDP datagram
fails=0
pass() { echo "PASS: vms: $*"; }
fail() { echo "FAIL: vms: $*"; fails=1; }
info() { echo "    $*"; }
wire_of() { awk -v b="$1" -v w="$WIRE" -v l="$UDP_LEN" 'BEGIN {printf "%.0f", b * w / l}'; }
# The value of a register offset or bit from the hardware contract.
hw() {
    local e
    e=$(awk -v n="$1" '$1 == "#define" && $2 == n {$1 = $2 = ""; sub(/\/\*.*/, ""); print; exit}' \
        "$VMS_ROOT/hw-net-qosvnic/qosvnic_hw.h" | sed -E 's/([0-9a-fA-F])u/\1/g')
    echo $((e))
}
gt() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN {exit !(a > b)}'; }

# ---- 1. both tenants carry traffic at the same time
for i in 1 2; do
    if ping -c 2 -w 10 "$(vms_ip "$i")" >/dev/null 2>&1; then
        pass "ping tenant vm$i ($(vms_ip "$i"), a VM owning VF $((i - 1)))"
    else
        fail "ping tenant vm$i ($(vms_ip "$i"), a VM owning VF $((i - 1)))"
    fi
done
d=$(mktemp -d)
( ip3 -c "$(vms_ip 1)" -t "$T" > "$d/1" ) &
( ip3 -c "$(vms_ip 2)" -t "$T" > "$d/2" ) &
wait
a=$(cat "$d/1") b=$(cat "$d/2")
info "TCP from the host at the same time: vm1 $(mbit "${a:-0}") Mbit/s, vm2 $(mbit "${b:-0}") Mbit/s"
if gt "$a" 0 && gt "$b" 0; then
    pass "two tenant VMs each take a TCP stream from the host at the same time"
else
    fail "two tenant VMs each take a TCP stream from the host at the same time"
fi

# ---- 2a. the host (L0 QMP) polices vm1 at the device; vm2 unaffected
rate=$((RATE_MBIT * 1000000))
if vms_qmp qosvnic-set-vf "{\"id\":\"nic0\",\"vf\":0,\"rx-rate\":$rate}" >/dev/null; then
    pass "QMP qosvnic-set-vf: VF 0 (vm1) ingress rate $RATE_MBIT Mbit/s"
else
    fail "QMP qosvnic-set-vf: VF 0 (vm1) ingress rate $RATE_MBIT Mbit/s"
fi
# What the device let through is what its counters say it delivered; the
# guest's iperf3 may lose some of that on a busy host, so it is reported.
r1=$(vms_vf_stat 1 drop-rate) r2=$(vms_vf_stat 2 drop-rate) x1=$(vms_vf_stat 1 rx-bytes)
( ip3 -c "$(vms_ip 1)" -u -b "$((RATE_MBIT * 3))M" -l "$UDP_LEN" -t "$((T + 1))" > "$d/1" ) &
( ip3 -c "$(vms_ip 2)" -t "$((T + 1))" > "$d/2" ) &
wait
u=$(cat "$d/1") b=$(cat "$d/2")
r1b=$(vms_vf_stat 1 drop-rate) r2b=$(vms_vf_stat 2 drop-rate) x1b=$(vms_vf_stat 1 rx-bytes)
dev=$(( (x1b - x1) * 8 / (T + 1) ))
w=$(wire_of "${u:-0}")
info "UDP into vm1 offered at $((RATE_MBIT * 3)) Mbit/s: the device delivered $(mbit "$dev") Mbit/s" \
     "(vm1's iperf3 received $(mbit "$w") in frames); VF 0 drop-rate +$((r1b - r1))"
info "TCP into vm2 meanwhile: $(mbit "${b:-0}") Mbit/s; VF 1 drop-rate +$((r2b - r2))"
if within_pct "$dev" "$rate" "$TOL" && [ "$((r1b - r1))" -gt 0 ]; then
    pass "vm1 is policed at the device to $RATE_MBIT Mbit/s +-$TOL %, its rate drops counted (QMP)"
else
    fail "vm1 is policed at the device to $RATE_MBIT Mbit/s +-$TOL %, its rate drops counted (QMP: $(mbit "$dev") Mbit/s, +$((r1b - r1)) drops)"
fi
if gt "$b" "$((rate * 2))" && [ "$r2b" = "$r2" ]; then
    pass "vm2 is unaffected: above twice vm1's limit, no rate drops on its VF"
else
    fail "vm2 is unaffected: above twice vm1's limit, no rate drops on its VF ($(mbit "${b:-0}") Mbit/s, +$((r2b - r2)) drops)"
fi
vms_qmp qosvnic-set-vf '{"id":"nic0","vf":0,"rx-rate":0,"limit":false}' >/dev/null

# ---- 2b. L1's PF driver caps vm2's transmit; vm1 unaffected
# A lower cap than the ingress one: the sender is a nested VM under TCG,
# and the cap must stay well below what it can offer while vm1 is busy.
TX_MBIT=5
txrate=$((TX_MBIT * 1000000))
if gl1 "ip link set \$(l1_pfdev) vf 1 max_tx_rate $TX_MBIT"; then
    pass "L1's PF driver: ip link set PF vf 1 max_tx_rate $TX_MBIT"
else
    fail "L1's PF driver: ip link set PF vf 1 max_tx_rate $TX_MBIT"
fi
t2=$(vms_vf_stat 2 tx-throttled) y2=$(vms_vf_stat 2 tx-bytes)
u=$(ip3 -c "$(vms_ip 2)" -R -u -b "$((TX_MBIT * 3))M" -l "$UDP_LEN" -t "$((T + 1))")
t2b=$(vms_vf_stat 2 tx-throttled) y2b=$(vms_vf_stat 2 tx-bytes)
dev=$(( (y2b - y2) * 8 / (T + 1) ))
w=$(wire_of "${u:-0}")
info "UDP from vm2 offered at $((TX_MBIT * 3)) Mbit/s: the device sent $(mbit "$dev") Mbit/s" \
     "(the host received $(mbit "$w") in frames); VF 1 tx-throttled +$((t2b - t2))"
if within_pct "$dev" "$txrate" "$TOL" && [ "$((t2b - t2))" -gt 0 ]; then
    pass "vm2's transmit is shaped by the device to $TX_MBIT Mbit/s +-$TOL %"
else
    fail "vm2's transmit is shaped by the device to $TX_MBIT Mbit/s +-$TOL % ($(mbit "$dev") Mbit/s, throttled +$((t2b - t2)))"
fi
# Unaffected: vm1 sends above vm2's cap and its shaper never engages,
# while vm2 stays within its cap.
t1=$(vms_vf_stat 1 tx-throttled) y2=$(vms_vf_stat 2 tx-bytes)
( ip3 -c "$(vms_ip 2)" -R -u -b "$((TX_MBIT * 3))M" -l "$UDP_LEN" -t "$((T + 1))" > "$d/2" ) &
( ip3 -c "$(vms_ip 1)" -R -t "$((T + 1))" > "$d/1" ) &
wait
a=$(cat "$d/1")
t1b=$(vms_vf_stat 1 tx-throttled) y2b=$(vms_vf_stat 2 tx-bytes)
dev=$(( (y2b - y2) * 8 / (T + 1) ))
info "at the same time: TCP from vm1 $(mbit "${a:-0}") Mbit/s (VF 0 tx-throttled +$((t1b - t1))), vm2's VF sent $(mbit "$dev") Mbit/s"
if gt "$a" "$txrate" && [ "$t1b" = "$t1" ] && ! gt "$dev" "$((txrate * (100 + TOL) / 100))"; then
    pass "vm1's transmit is unaffected (above vm2's cap, never throttled) while vm2 stays capped"
else
    fail "vm1's transmit is unaffected while vm2 stays capped (vm1 $(mbit "${a:-0}") Mbit/s, throttled +$((t1b - t1)); vm2 $(mbit "$dev"))"
    info "vm1's and vm2's consoles and L1's kernel log, last lines:"
    gl1 "tail -n 8 \$L1_VMS/vm1.console; tail -n 8 \$L1_VMS/vm2.console; dmesg | tail -n 12" 2>&1 |
        tr -d '\r' | sed 's/^/      | /'
fi
gl1 "ip link set \$(l1_pfdev) vf 1 max_tx_rate 0"

# ---- 3. killing / rebooting one tenant resets only its VF
# $1 goes away (kill or reboot) while the other tenant $2 takes a stream.
reset_one() { # victim other how
    local v=$1 o=$2 how=$3 before after ob oa
    ip3 -c "$(vms_ip "$v")" -t 2 >/dev/null
    before=$(vms_vf_stat "$v" rx-packets) ob=$(vms_vf_stat "$o" rx-packets)
    IPERF_JSON=$d/json ip3 -c "$(vms_ip "$o")" -t $((T + 5)) -i 1 > "$d/o" &
    sleep 2
    if [ "$how" = kill ]; then
        vms_tenant_stop "$v" kill
    else
        # The console is appended to: emptied, it shows only the new boot.
        gl1 ": > \$L1_VMS/vm$v.console"
        gxv "$v" 'sh -c "sleep 0.5; reboot -f" > /dev/null 2>&1 &'
    fi
    wait
    oa=$(vms_vf_stat "$o" rx-packets)
    # The reset comes when the tenant's QEMU resets its vfio device: at
    # once for a kill, after the guest's shutdown path for a reboot, which
    # under nested TCG has taken longer than the other tenant's stream.
    # What is checked is that it comes, not how soon: up to a minute more.
    local t0=$SECONDS zero
    after=$(vms_vf_stat "$v" rx-packets)
    while [ "${before:-0}" -gt 0 ] && [ "${after:-0}" -ge "$before" ] && [ $((SECONDS - t0)) -lt 60 ]; do
        sleep 1
        after=$(vms_vf_stat "$v" rx-packets)
    done
    zero=$(jq '[.intervals[] | select(.sum.bytes == 0)] | length' "$d/json" 2>/dev/null)
    info "$how vm$v: VF $((v - 1)) rx-packets $before -> $after ($((SECONDS - t0)) s after vm$o's stream);" \
         "vm$o's stream $(mbit "$(cat "$d/o")") Mbit/s, ${zero:-?} empty 1 s intervals, VF $((o - 1)) rx-packets $ob -> $oa"
    if [ "${before:-0}" -gt 0 ] && [ "$after" -lt "$before" ]; then
        pass "$how vm$v: its VF $((v - 1)) is reset (FLR through vfio: the device's counters restart)"
    else
        fail "$how vm$v: its VF $((v - 1)) is reset (FLR through vfio: the device's counters restart)"
        info "vm$v's console and L1's kernel log, last lines:"
        gl1 "tail -n 12 \$L1_VMS/vm$v.console; dmesg | tail -n 12" 2>&1 | tr -d '\r' | sed 's/^/      | /'
    fi
    if gt "$(cat "$d/o")" 0 && [ "${zero:-1}" = 0 ] && [ "$oa" -gt "$ob" ]; then
        pass "$how vm$v: vm$o's stream goes on in every second, its VF not reset"
    else
        fail "$how vm$v: vm$o's stream goes on in every second, its VF not reset"
        info "vm$o's console and L1's kernel log, last lines:"
        gl1 "tail -n 12 \$L1_VMS/vm$o.console; dmesg | tail -n 12" 2>&1 | tr -d '\r' | sed 's/^/      | /'
    fi
}
reset_one 1 2 kill
if vms_tenant_start 1 >/dev/null && vms_tenant_wait 1 >/dev/null && ping -c 2 -w 10 "$(vms_ip 1)" >/dev/null; then
    pass "vm1 boots again on the same VF and answers"
else
    fail "vm1 boots again on the same VF and answers"
fi
reset_one 2 1 reboot
if vms_tenant_wait 2 >/dev/null && ping -c 2 -w 10 "$(vms_ip 2)" >/dev/null; then
    pass "vm2 is back after its reboot and answers"
else
    fail "vm2 is back after its reboot and answers"
fi

# ---- 4. a hostile tenant aims its RX ring outside its memory
# vm1 (384 MiB) takes its VF from its driver and programs the ring itself:
# base 0x7f000000 is no RAM of vm1's, so L1's IOMMU has no mapping for it.
BAD=0x7f000000
prog=$(cat <<EOF
d=\$(readlink -f /sys/class/net/eth0/device); pci=\${d##*/}
echo \$pci > \$d/driver/unbind
setpci -s \$pci COMMAND=0x6
bar=\$(awk 'NR == 1 {print \$1}' \$d/resource)
w() { devmem \$((bar + \$1)) 32 \$2; }
w $(hw QV_FN_RX_BASE_LO) $BAD; w $(hw QV_FN_RX_BASE_HI) 0
w $(hw QV_FN_RX_SIZE) 4096; w $(hw QV_FN_RX_BUF_SIZE) 2048
w $(hw QV_FN_RX_FILTER) $(hw QV_RXF_BCAST)
w $(hw QV_FN_CTRL) $(hw QV_CTRL_RX_EN); w $(hw QV_FN_RX_TAIL) 16
echo "programmed \$pci: RX ring at $BAD"
EOF
)
gl1 'dmesg -c >/dev/null'
out=$(gxv 1 "$prog" 2>&1)
printf '%s\n' "$out" | sed 's/^/    vm1: /'
if printf '%s\n' "$out" | grep -q '^programmed'; then
    pass "hostile vm1 programs its VF's RX ring at $BAD (driver unbound, devmem)"
else
    fail "hostile vm1 programs its VF's RX ring at $BAD (driver unbound, devmem)"
fi
ip neigh replace "$(vms_ip 1)" lladdr "$(vms_mac 1)" dev qvtap0
ping -c 3 -w 4 "$(vms_ip 1)" >/dev/null 2>&1
ok2=$(ping -c 3 -w 10 "$(vms_ip 2)" >/dev/null 2>&1 && echo yes || echo no)
vf1pci=$(gl1 'l1_vf_pci 0')
fault=$(gl1 'dmesg' | grep -E 'DMAR.*fault' | head -n 3)
printf '%s\n' "$fault" | sed 's/^/    L1: /'
if printf '%s\n' "$fault" | grep -q "${vf1pci#0000:}"; then
    pass "L1 reports the IOMMU fault of vm1's VF ($vf1pci)"
else
    fail "L1 reports the IOMMU fault of vm1's VF ($vf1pci)"
fi
st=$(gxv 1 ". /lib/qv-lib.sh; d=/sys/bus/pci/devices/\$(qv_vfs | head -n 1)
    devmem \$(( \$(awk 'NR == 1 {print \$1}' \$d/resource) + $(hw QV_FN_STATUS) )) 32")
info "vm1's VF STATUS register: $st"
if [ -n "$st" ] && [ $(( st & $(hw QV_STATUS_RX_RING_ERR) )) != 0 ]; then
    pass "the device marks vm1's RX ring in error (QV_STATUS_RX_RING_ERR)"
else
    fail "the device marks vm1's RX ring in error (QV_STATUS_RX_RING_ERR)"
fi
b=$(ip3 -c "$(vms_ip 2)" -t 3)
st2=$(gxv 2 "ip -s link show eth0 | sed -n 4p")
if [ "$ok2" = yes ] && gt "$b" 0; then
    pass "vm2 still answers and carries TCP ($(mbit "${b:-0}") Mbit/s) after vm1's fault"
else
    fail "vm2 still answers and carries TCP after vm1's fault"
fi
info "vm2 eth0 RX counters: $st2"
vms_tenant_stop 1 kill || fail "vm1's QEMU ends when killed (its VF released)"

# ---- 5. libvirt in L1 assigns a VF from a pool
if [ -f "$VMS_ROOT/scripts/tests/vms-libvirt.host.bash" ]; then
    . "$VMS_ROOT/scripts/tests/vms-libvirt.host.bash"
fi

rm -rf "$d"
info "host memory: the outer QEMU (L1 and every tenant inside it) has $(ps -o rss= -p "$(agent_qemu_pid)" | awk '{printf "%.0f MiB", $1 / 1024}') resident"
vms_tenant_stop 2 || fail "vm2's QEMU ends on power-off (its VF released)"
exit "$fails"
