# Host side of switchdev-test.sh (sourced by scripts/qv-agent.sh's agent_run
# inside run-guest.sh's network namespace; gx/gxn reach the guest, QV_QMP is
# the QEMU's QMP socket). VF n = netns vfn = 10.77.0.(11+n) = device
# function n + 1 = representor pf0vfn. Prints PASS:/FAIL: lines.
# shellcheck shell=bash
# shellcheck disable=SC2154  # PF, PFDEV, VFDEVn come from agent_env

fails=0
pass() { echo "PASS: switchdev: $*"; }
fail() { echo "FAIL: switchdev: $*"; fails=1; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
info() { echo "    $*"; }
qmp() { python3 "$QOSVNIC_ROOT/scripts/qmp.py" "$QV_QMP" "$1"; }
vfcfg() { qmp '{"execute":"query-qosvnic","arguments":{"id":"nic0"}}' |
          jq -r --argjson v "$1" --arg k "$2" '.[0].functions[] | select(.vf == $v) | .config[$k]'; }
vfstat() { qmp '{"execute":"query-qosvnic","arguments":{"id":"nic0"}}' |
           jq -r --argjson v "$1" --arg k "$2" '.[0].functions[] | select(.vf == $v) | .stats[$k]'; }
# A netdev counter in the guest (root namespace): /sys/class/net/DEV/statistics/NAME.
nstat() { gx "cat /sys/class/net/$1/statistics/$2"; }
# The netdev whose phys_port_name is $1.
repr_of() { gx "for n in /sys/class/net/*; do [ \"\$(cat \$n/phys_port_name 2>/dev/null)\" = $1 ] && basename \$n; done; true"; }
# UDP received rate in bit/s of an iperf3 run from netns vf$1 to $2 at $3 bit/s.
udp_rx() {
    gxn "vf$1" "iperf3 -J -u -c $2 -b $3 -l 1400 -t 3" |
        jq -r '.end.sum | (.bits_per_second * (100 - .lost_percent) / 100) | floor' 2>/dev/null
}
within_pct() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(b > 0 && d * 100 <= p * b)}'; }
fails_msg() { # expected-message command...: refused, with the message
    local want=$1 out; shift
    out=$("$@" 2>&1) && { info "unexpectedly accepted: $*"; return 1; }
    info "refused: $(printf '%s' "$out" | head -n 1)"
    printf '%s' "$out" | grep -q "$want"
}

agent_env || { fail "guest set-up readable"; exit 1; }
eval "dev0=\$VFDEV0 dev1=\$VFDEV1"
mac0=$(gxn vf0 "cat /sys/class/net/$dev0/address")
mac1=$(gxn vf1 "cat /sys/class/net/$dev1/address")
hostmac=$(cat /sys/class/net/qvtap0/address)
info "PF $PF ($PFDEV), VF 0 $dev0 $mac0, VF 1 $dev1 $mac1, host $hostmac"
# No ARP across the eswitch: broadcasts take the slow path, rules are unicast.
gxn vf0 "ip neigh replace 10.77.0.12 lladdr $mac1 dev $dev0 nud permanent;
         ip neigh replace 10.77.0.1 lladdr $hostmac dev $dev0 nud permanent"
gxn vf1 "ip neigh replace 10.77.0.11 lladdr $mac0 dev $dev1 nud permanent;
         ip neigh replace 10.77.0.1 lladdr $hostmac dev $dev1 nud permanent"
ip neigh replace 10.77.0.11 lladdr "$mac0" dev qvtap0 nud permanent
ip neigh replace 10.77.0.12 lladdr "$mac1" dev qvtap0 nud permanent

# ---- eswitch mode and representors
m=$(gx "devlink dev eswitch show pci/$PF")
info "$m"
check "eswitch starts in legacy mode" grep -q "mode legacy" <<< "$m"
check "devlink dev eswitch set pci/$PF mode switchdev" gx "devlink dev eswitch set pci/$PF mode switchdev"
check "eswitch shows mode switchdev" gx "devlink dev eswitch show pci/$PF | grep -q 'mode switchdev'"
r0=$(repr_of pf0vf0) r1=$(repr_of pf0vf1)
info "representors: pf0vf0 = $r0, pf0vf1 = $r1"
gx "devlink port show" | sed 's/^/    | /'
check "one representor per VF, phys_port_name pf0vfN" test -n "$r0" -a -n "$r1"
sw_pf=$(gx "cat /sys/class/net/$PFDEV/phys_switch_id") sw_r0=$(gx "cat /sys/class/net/$r0/phys_switch_id")
info "switch id: PF $sw_pf, $r0 $sw_r0"
check "representors and the uplink share the switch id" test -n "$sw_pf" -a "$sw_pf" = "$sw_r0"
gx "ip link set $r0 up; ip link set $r1 up"

# ---- slow path: a bridge of the two representors
gx "ip link add qvbr type bridge && ip link set $r0 master qvbr && ip link set $r1 master qvbr && ip link set qvbr up"
# The representors' carrier (link watch) and the bridge ports' state.
gx "for i in \$(seq 100); do [ \$(bridge link show | grep -c 'state forwarding') = 2 ] && break; sleep 0.1; done"
a0=$(nstat "$r0" rx_packets) b0=$(nstat "$r1" tx_packets)
check "slow path: VF 0 pings VF 1 through their representors (bridge)" \
    gxn vf0 "ping -c 3 -w 20 10.77.0.12 > /dev/null"
a1=$(nstat "$r0" rx_packets) b1=$(nstat "$r1" tx_packets)
info "$r0 rx_packets $a0 -> $a1, $r1 tx_packets $b0 -> $b1"
check "slow path: the representors carried it (rx on pf0vf0, tx on pf0vf1)" \
    test "$((a1 - a0))" -ge 3 -a "$((b1 - b0))" -ge 3
gx "ip link del qvbr"

# ---- flower: VF 0 <-> VF 1 in the device
gx "tc qdisc add dev $r0 clsact && tc qdisc add dev $r1 clsact"
check "flower skip_sw redirect pf0vf0 -> pf0vf1 accepted" \
    gx "tc filter add dev $r0 ingress prio 10 flower skip_sw dst_mac $mac1 action mirred egress redirect dev $r1"
check "flower skip_sw redirect pf0vf1 -> pf0vf0 accepted" \
    gx "tc filter add dev $r1 ingress prio 10 flower skip_sw dst_mac $mac0 action mirred egress redirect dev $r0"
a0=$(nstat "$r0" rx_packets)
check "offloaded: VF 0 pings VF 1" gxn vf0 "ping -c 5 -i 0.2 -w 20 10.77.0.12 > /dev/null"
out=$(gxn vf0 "iperf3 -c 10.77.0.12 -t 3 -J" | jq -r '.end.sum_received.bits_per_second | floor')
info "TCP VF 0 -> VF 1 through the offloaded rules: $out bit/s"
check "offloaded: TCP VF 0 -> VF 1 carried" test "${out:-0}" -gt 1000000
a1=$(nstat "$r0" rx_packets)
info "$r0 rx_packets $a0 -> $a1 (the slow path)"
check "offloaded: the representor saw none of it" test "$((a1 - a0))" -lt 5
s=$(gx "tc -s filter show dev $r0 ingress")
printf '%s\n' "$s" | sed 's/^/    | /'
pk=$(printf '%s\n' "$s" | awk '/Sent [0-9]+ bytes [0-9]+ pkt/ {for (i = 1; i <= NF; i++) if ($i == "bytes") {print $(i+1); exit}}')
check "tc -s: the rule is in_hw and counts the device's packets" \
    test "$(printf '%s' "$s" | grep -c in_hw)" -ge 1 -a "${pk:-0}" -gt 100

# drop: UDP to port 5001 from VF 0, before the redirect
check "flower ip_proto udp dst_port 5001 action drop accepted" \
    gx "tc filter add dev $r0 ingress prio 1 protocol ip flower skip_sw ip_proto udp dst_port 5001 action drop"
gxn vf0 "for i in \$(seq 50); do echo x > /dev/udp/10.77.0.12/5001; done" 2>/dev/null
dr=$(gx "tc -s filter show dev $r0 ingress prio 1" | awk '/Sent [0-9]+ bytes [0-9]+ pkt/ {for (i = 1; i <= NF; i++) if ($i == "bytes") {print $(i+1); exit}}')
info "50 UDP datagrams to port 5001: the drop rule counted ${dr:-0}"
check "drop rule: counted in the device" test "${dr:-0}" = 50
gx "tc filter del dev $r0 ingress prio 1"

# police: UDP VF 0 -> VF 1 at 10 Mbit/s (iperf3's TCP control is not)
check "flower ip_proto udp with police rate 10mbit + redirect accepted" \
    gx "tc filter add dev $r0 ingress prio 9 protocol ip flower skip_sw dst_mac $mac1 ip_proto udp action police rate 10mbit burst 32k conform-exceed drop/pipe action mirred egress redirect dev $r1"
rx=$(udp_rx 0 10.77.0.12 40M)
s=$(gx "tc -s filter show dev $r0 ingress prio 9")
pd=$(printf '%s\n' "$s" | awk '/action order 1: *police/ {p = 1} p && /dropped/ {gsub(/[(),]/, ""); for (i = 1; i <= NF; i++) if ($i == "dropped") {print $(i+1); exit}}')
info "UDP offered 40 Mbit/s through police 10mbit: received ${rx:-?} bit/s; police dropped ${pd:-?}"
printf '%s\n' "$s" | grep -A3 police | sed 's/^/    | /'
check "police: UDP received at the policer's rate (+-20 %)" within_pct "${rx:-0}" 10000000 20
check "police: tc -s shows the device policer's drops" test "${pd:-0}" -gt 100

# ---- matchall police on pf0vf1's egress = VF 1's ingress policer
gx "tc filter del dev $r0 ingress prio 9"
check "matchall police on pf0vf1 egress accepted" \
    gx "tc filter add dev $r1 egress matchall skip_sw action police rate 20mbit burst 64k conform-exceed drop/pipe"
info "QMP: VF 1 rx-rate $(vfcfg 1 rx-rate) bit/s, rx-burst $(vfcfg 1 rx-burst)"
check "matchall police is the VF's ingress policer (QMP rx-rate 20000000)" test "$(vfcfg 1 rx-rate)" = 20000000
d0=$(vfstat 1 drop-rate)
rx=$(udp_rx 0 10.77.0.12 60M)
d1=$(vfstat 1 drop-rate)
s=$(gx "tc -s filter show dev $r1 egress")
pd=$(printf '%s\n' "$s" | awk '/dropped/ {gsub(/[(),]/, ""); for (i = 1; i <= NF; i++) if ($i == "dropped") {print $(i+1); exit}}')
printf '%s\n' "$s" | sed 's/^/    | /'
info "UDP offered 60 Mbit/s to VF 1: received ${rx:-?} bit/s; device drop-rate $d0 -> $d1; tc dropped ${pd:-?}"
check "VF 1's admission drops above 20 Mbit/s (+-20 %)" within_pct "${rx:-0}" 20000000 20
check "tc -s on the representor's egress shows the device's rate drops" \
    test "${pd:-0}" -gt 0 -a "${pd:-0}" -le "$((d1 - d0 + 5))" -a "$((d1 - d0))" -gt 100
gx "tc filter del dev $r1 egress"
check "deleting the matchall lifts the policer" test "$(vfcfg 1 rx-rate)" = 0

# ---- the uplink (the host <-> VF 1), and VLAN push/pop (VF 0 <-> VF 1)
check "flower on the uplink (PF netdev): host -> VF 1 accepted" \
    gx "tc qdisc add dev $PFDEV clsact && tc filter add dev $PFDEV ingress flower skip_sw dst_mac $mac1 action mirred egress redirect dev $r1"
check "flower pf0vf1 -> uplink accepted" \
    gx "tc filter add dev $r1 ingress prio 5 flower skip_sw dst_mac $hostmac action mirred egress redirect dev $PFDEV"
check "host pings VF 1 through the uplink rules" ping -c 3 -w 20 10.77.0.12
gx "tc filter add dev $r0 ingress prio 5 flower skip_sw dst_mac $mac1 action vlan push id 42 action mirred egress redirect dev $r1" ||
    fail "flower vlan push accepted"
gxn vf1 "ip link add link $dev1 name v42 type vlan id 42 && ip addr add 10.79.0.12/24 dev v42 && ip link set v42 up"
gxn vf0 "ip neigh replace 10.79.0.12 lladdr $mac1 dev $dev0 nud permanent; ip addr add 10.79.0.11/24 dev $dev0"
gxn vf1 "ip neigh replace 10.79.0.11 lladdr $mac0 dev v42 nud permanent"
gx "tc filter add dev $r1 ingress prio 4 protocol 802.1Q flower skip_sw dst_mac $mac0 vlan_id 42 action vlan pop action mirred egress redirect dev $r0" ||
    fail "flower vlan_id match + vlan pop accepted"
check "vlan push (VF 0 -> VF 1, tag 42) and pop (VF 1 -> VF 0): ping over VLAN 42" \
    gxn vf0 "ping -c 3 -w 20 10.79.0.12 > /dev/null"

# ---- extack: what the device cannot do
check "flower on dst_ip is refused with a message" \
    fails_msg "matches MACs" gx "tc filter add dev $r0 ingress prio 20 protocol ip flower skip_sw dst_ip 10.77.0.12 action drop"
check "mirred mirror is refused with a message" \
    fails_msg "actions:" gx "tc filter add dev $r0 ingress prio 20 flower skip_sw dst_mac $mac1 action mirred egress mirror dev $r1"
check "redirect out of the switch is refused with a message" \
    fails_msg "redirect only" gx "tc filter add dev $r0 ingress prio 20 flower skip_sw dst_mac $mac1 action mirred egress redirect dev lo"
check "matchall police on a representor's ingress is refused with a message" \
    fails_msg "devlink rate" gx "tc filter add dev $r0 ingress prio 20 matchall skip_sw action police rate 1mbit burst 10k conform-exceed drop/pipe"
check "police with peakrate is refused with a message" \
    fails_msg "rate and burst only" gx "tc filter add dev $r0 ingress prio 20 flower skip_sw dst_mac $mac1 action police rate 1mbit burst 10k peakrate 2mbit mtu 2000 conform-exceed drop/pipe action drop"

# ---- back to legacy
check "legacy refused while the uplink has offloaded rules" \
    fails_msg "delete them first" gx "devlink dev eswitch set pci/$PF mode legacy"
gx "tc qdisc del dev $PFDEV clsact"

# ---- XDP on the uplink: the wire's frames are the PF's own in switchdev
# mode too, though they carry a source port (QV_PORT_UPLINK) as a VF's do.
pfmac=$(gx "cat /sys/class/net/$PFDEV/address")
ip neigh replace 10.77.0.9 lladdr "$pfmac" dev qvtap0 nud permanent
pf_xdp_drops() { gx "ethtool -S $PFDEV" | awk '$1 == "rx_xdp_drop:" {print $2}'; }
gx "setsid xdp-bench drop -m native $PFDEV > /tmp/xbpf.log 2>&1 < /dev/null & echo \$! > /tmp/xbpf.pid"
sleep 3
x0=$(pf_xdp_drops)
udp_send 10.77.0.9 200 1000 > /dev/null
sleep 1
x1=$(pf_xdp_drops)
info "PF rx_xdp_drop: $x0 -> $x1 for 200 datagrams from the wire"
check "XDP on the PF gets the wire's frames in switchdev mode (xdp-bench drop)" \
    test "$((x1 - x0))" -ge 200
gx "kill -INT \$(cat /tmp/xbpf.pid); for i in \$(seq 10); do kill -0 \$(cat /tmp/xbpf.pid) 2>/dev/null || break; sleep 0.5; done"
ip neigh del 10.77.0.9 dev qvtap0 2>/dev/null

# ---- netconsole on a representor: netpoll sends on the PF's ring with
# interrupts off and only tries the PF's queue lock (qv_xmit_port()); the
# lines reach VF 0, the representor's VF, as one UDP datagram each to a
# port nothing listens on there (the guest has no UDP listener to run):
# VF 0's Udp NoPorts counter.
udp_noports() { gxn vf0 "awk '/^Udp:/ { if (h) print \$3; h = 1 }' /proc/net/snmp"; }
check "netconsole on representor $r0 loads" \
    gx "modprobe netconsole netconsole=6665@10.77.0.250/$r0,6666@10.77.0.11/$mac0"
u0=$(udp_noports)
# Level 3: printed to consoles (netconsole among them) under 'quiet' too;
# printk_devkmsg on: /dev/kmsg lets through 10 lines in 5 s otherwise.
gx 'echo on > /proc/sys/kernel/printk_devkmsg
    for i in $(seq 1 100); do echo "<3>qvnc line $i" > /dev/kmsg; done
    echo ratelimit > /proc/sys/kernel/printk_devkmsg'
sleep 2
u1=$(udp_noports)
info "netconsole: VF 0's Udp NoPorts ${u0:-?} -> ${u1:-?} for 100 kernel lines"
check "netconsole on a representor: 100 kernel lines reach its VF" \
    test "$((${u1:-0} - ${u0:-0}))" -ge 100
gx "rmmod netconsole"
check "devlink dev eswitch set pci/$PF mode legacy" gx "devlink dev eswitch set pci/$PF mode legacy"
check "representors are gone" test -z "$(repr_of pf0vf0)"
ip neigh flush dev qvtap0 2>/dev/null
gxn vf0 "ip neigh flush dev $dev0"
check "legacy: the VEB carries host <-> VF 0 again" ping -c 3 -w 20 10.77.0.11

# ---- SR-IOV off and on under an uplink rule to VF 1's representor: tc
# keeps the rule, its mirred without a device, which drops what it
# matches; so must the device. Before, the device kept redirecting to
# port 2, and the host's frames reached the new VF 1. Last: the VFs'
# namespaces are left empty.
sys=/sys/bus/pci/devices/$PF
gx "devlink dev eswitch set pci/$PF mode switchdev" || fail "switchdev again"
r1=$(repr_of pf0vf1)
gx "tc qdisc add dev $PFDEV clsact && tc filter add dev $PFDEV ingress flower skip_sw dst_mac $mac1 action mirred egress redirect dev $r1" ||
    fail "flower on the uplink to $r1 accepted"
n=$(gx "cat $sys/sriov_numvfs")
gx "echo 0 > $sys/sriov_numvfs && echo $n > $sys/sriov_numvfs" || fail "sriov_numvfs 0 and $n"
vf1net=
for _ in $(seq 50); do
    vf1net=$(gx "ls $sys/virtfn1/net/ 2>/dev/null"); [ -n "$vf1net" ] && break; sleep 0.2
done
gx "ip link set $vf1net up"
ip neigh replace 10.77.0.12 lladdr "$mac1" dev qvtap0 nud permanent
rx0=$(nstat "$vf1net" rx_packets)
ping -c 5 -i 0.3 -w 4 10.77.0.12 > /dev/null 2>&1
sleep 1
rx1=$(nstat "$vf1net" rx_packets)
hw=$(gx "tc -s filter show dev $PFDEV ingress" | awk '/Sent .* pkt/ {print $4; exit}')
info "new VF 1 ($vf1net, $(gx "cat /sys/class/net/$vf1net/address")): rx_packets $rx0 -> $rx1;" \
     "the uplink rule matched ${hw:-?} frames since"
check "after SR-IOV off and on, the uplink's rule to a gone representor drops" \
    test "${hw:-0}" -ge 5 -a "$rx1" = "$rx0"
gx "tc qdisc del dev $PFDEV clsact; devlink dev eswitch set pci/$PF mode legacy"

if gx "dmesg | grep -E 'WARNING:|BUG:|Oops|NETDEV WATCHDOG|hung_task|blocked for more than'"; then
    fail "no kernel warnings"
else
    pass "no kernel warnings"
fi
exit "$fails"
