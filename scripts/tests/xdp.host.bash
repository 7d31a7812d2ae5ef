# Host side of xdp-test.sh (sourced by scripts/qv-agent.sh's agent_run
# inside run-guest.sh's network namespace; gx/gxn reach the guest).
# Prints PASS:/FAIL: lines; asserts outcomes, never speeds.
# shellcheck shell=bash
# shellcheck disable=SC2154  # VFDEV0 comes from agent_env
# shellcheck disable=SC2016  # check() evaluates its condition later

N=${XDP_DATAGRAMS:-1000}
fails=0
pass() { echo "PASS: xdp: $*"; }
fail() { echo "FAIL: xdp: $*"; fails=1; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
info() { echo "    $*"; }
tap_rx() { cat /sys/class/net/qvtap0/statistics/rx_packets; }
pings() { ping -c "${2:-3}" -i 0.3 -W 2 "$1" 2>/dev/null | awk '/received/ {print $4}'; }
datagrams() { udp_send 10.77.0.11 "$1" 1000 > /dev/null; }
# xdp-bench MODE ARGS... in the background in vf0 (its log in the guest's
# /tmp/xb.log); stopped with SIGINT, on which it detaches its program.
xb_start() {
    gxn vf0 "setsid xdp-bench $* > /tmp/xb.log 2>&1 < /dev/null & echo \$! > /tmp/xb.pid"
    sleep 3
}
xb_stop() {
    gxn vf0 "kill -INT \$(cat /tmp/xb.pid) 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do
             kill -0 \$(cat /tmp/xb.pid) 2>/dev/null || break; sleep 0.5; done"
}
xb_log() { gx "tail -n 5 /tmp/xb.log" | sed 's/^/    | /'; }
xdp_mode() { # what ip link shows attached to $1 in vf0: xdp, xdpgeneric or none
    gxn vf0 "ip -d link show $1" | grep -oE '(^| )(xdpgeneric|xdpoffload|xdp)( |$)' | head -n 1 | tr -d ' ' |
        grep . || echo none
}
lro() { gxn vf0 "ethtool -k $dev" | awk '/^large-receive-offload:/ {print $2}'; }

agent_env || { fail "guest set-up readable"; exit 1; }
dev=$VFDEV0
mac=$(gxn vf0 "cat /sys/class/net/$dev/address")
hostmac=$(cat /sys/class/net/qvtap0/address)
info "VF 0 is $dev ($mac) in namespace vf0"
# Datagrams must reach the VF while nothing there answers ARP.
ip neigh replace 10.77.0.11 lladdr "$mac" dev qvtap0 nud permanent
gxn vf0 "ip neigh replace 10.77.0.1 lladdr $hostmac dev $dev nud permanent"
lro0=$(lro)

# ---- attach, and what a program forbids
xb_start drop -m native "$dev"
m=$(xdp_mode "$dev")
if [ "$m" = xdp ]; then
    pass "xdp-bench drop attaches in native mode (ip link: xdp)"
else
    fail "xdp-bench drop attaches in native mode (ip link: $m)"
    xb_log
fi
info "large-receive-offload: $lro0 before, $(lro) with the program"
check "large receive is off while a program runs" '[ "$(lro)" = off ]'
check "the MTU cannot grow past one buffer while a program runs" \
    '! gxn vf0 "ip link set $dev mtu 9000" 2>/dev/null'

# ---- XDP_DROP
d0=$(gstat vf0 "$dev" rx_xdp_drop)
datagrams "$N"
r=$(pings 10.77.0.11)
d1=$(gstat vf0 "$dev" rx_xdp_drop)
info "rx_xdp_drop $d0 -> $d1 for $N datagrams and 3 pings; pings answered: ${r:-0}"
check "XDP_DROP: the host's datagrams are dropped by the program (rx_xdp_drop)" \
    '[ "$d0" != NA ] && [ "$d1" != NA ] && [ "$((d1 - d0))" -ge "$((N * 95 / 100))" ]'
check "XDP_DROP: nothing answers a ping" '[ "${r:-0}" = 0 ]'
xb_stop
m=$(xdp_mode "$dev")
r=$(pings 10.77.0.11)
check "detached (ip link: $m), the VF answers pings again (${r:-0}/3)" '[ "$m" = none ] && [ "${r:-0}" -ge 2 ]'
check "large receive is back as it was ($lro0) after detaching" '[ "$(lro)" = "$lro0" ]'
gxn vf0 "ip link set $dev mtu 9000 && ip link set $dev mtu 1500" ||
    fail "the MTU can grow again after detaching"
gxn vf0 "ip link set $dev mtu 9000"
xb_start drop -m native "$dev"
m=$(xdp_mode "$dev")
check "a program is refused at MTU 9000 (ip link: $m)" '[ "$m" = none ]'
xb_stop
gxn vf0 "ip link set $dev mtu 1500"

# ---- XDP_PASS
xb_start pass -m native "$dev"
r=$(pings 10.77.0.11)
bps=$(ip3 -c 10.77.0.11 -t 2)
info "through XDP_PASS: pings ${r:-0}/3, TCP $(mbit "${bps:-0}") Mbit/s"
check "XDP_PASS: pings and a TCP stream go through the program" \
    '[ "$(xdp_mode "$dev")" = xdp ] && [ "${r:-0}" -ge 2 ] && [ "${bps:-0}" -gt 0 ]'
xb_stop

# ---- XDP_TX: back out of the VF with the addresses swapped
xb_start tx -m native "$dev"
t0=$(gstat vf0 "$dev" rx_xdp_tx) h0=$(tap_rx)
datagrams "$N"
sleep 1
t1=$(gstat vf0 "$dev" rx_xdp_tx) h1=$(tap_rx)
info "rx_xdp_tx $t0 -> $t1, the host's tap received $((h1 - h0)) frames, for $N datagrams"
check "XDP_TX: the datagrams come back to the host (rx_xdp_tx and the tap's count)" \
    '[ "$t0" != NA ] && [ "$((t1 - t0))" -ge "$((N * 95 / 100))" ] && [ "$((h1 - h0))" -ge "$((N * 95 / 100))" ]'
xb_stop
[ "$fails" = 0 ] || xb_log

# ---- ndo_xdp_xmit: a veth's program redirects to the VF
# va (in vf0) runs xdp-bench's redirect program, which swaps the MAC
# addresses before it redirects; vb (namespace xs) sends with the host's
# MAC as its own, to the VF's MAC, so that the VF sends them from its own
# address (its spoof check holds) to the host.
gx "ip netns add xs && ip -n vf0 link add va type veth peer name vb netns xs &&
    ip -n xs link set vb address $hostmac && ip -n xs addr add 10.99.0.2/24 dev vb &&
    ip -n xs link set vb up && ip -n xs link set lo up &&
    ip -n xs neigh replace 10.99.0.1 lladdr $mac dev vb nud permanent" ||
    fail "veth pair for the redirect"
gxn vf0 "ip link set va up"
xb_start redirect -m native va "$dev"
x0=$(gstat vf0 "$dev" tx_xdp_xmit) h0=$(tap_rx)
gx "ip netns exec xs bash -c 'for i in \$(seq 200); do echo qosvnic > /dev/udp/10.99.0.1/9; done'"
sleep 1
x1=$(gstat vf0 "$dev" tx_xdp_xmit) h1=$(tap_rx)
info "tx_xdp_xmit $x0 -> $x1, the host's tap received $((h1 - h0)) frames, for 200 datagrams into vb"
check "ndo_xdp_xmit: frames redirected from a veth leave through the VF (tx_xdp_xmit and the tap's count)" \
    '[ "$x0" != NA ] && [ "$((x1 - x0))" -ge 190 ] && [ "$((h1 - h0))" -ge 190 ]'
xb_stop
[ "$fails" = 0 ] || { xb_log; gxn vf0 "ethtool -S $dev" | grep -v ': 0$' | sed 's/^/    | /'; }
r=$(pings 10.77.0.11)
check "after all programs, the VF answers pings (${r:-0}/3)" '[ "${r:-0}" -ge 2 ]'
[ "$fails" = 0 ]
