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
# Run CMD ARGS...; print how much the VF's ethtool -S COUNTER and the
# host tap's received frames grew meanwhile ("NA" if no counter).
grew() { # counter cmd args...
    local c0 c1 h0 h1
    c0=$(gstat vf0 "$dev" "$1") h0=$(tap_rx)
    "${@:2}" > /dev/null
    sleep 1
    c1=$(gstat vf0 "$dev" "$1") h1=$(tap_rx)
    if [ "$c0" = NA ]; then echo "NA $((h1 - h0))"; else echo "$((c1 - c0)) $((h1 - h0))"; fi
}
lro() { gxn vf0 "ethtool -k $dev" | awk '/^large-receive-offload:/ {print $2}'; }
bufl() { gxn vf0 "ethtool -g $dev" | awk '/^Current/ {c = 1} c && /^RX Buf Len:/ {print $4; exit}'; }

agent_env || { fail "guest set-up readable"; exit 1; }
dev=$VFDEV0
mac=$(gxn vf0 "cat /sys/class/net/$dev/address")
hostmac=$(cat /sys/class/net/qvtap0/address)
info "VF 0 is $dev ($mac) in namespace vf0"
# Datagrams must reach the VF while nothing there answers ARP.
ip neigh replace 10.77.0.11 lladdr "$mac" dev qvtap0 nud permanent
gxn vf0 "ip neigh replace 10.77.0.1 lladdr $hostmac dev $dev nud permanent"
lro0=$(lro) buf0=$(bufl)

# ---- attach, and what a program forbids
xb_start drop -m native "$dev"
m=$(xb_mode "$dev")
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
info "RX buffers: $buf0 bytes before, $(bufl) with the program (ethtool -g RX Buf Len)"
check "RX buffers are page-sized while a program runs, and rx-buf-len cannot grow them" \
    '[ "$(bufl)" -lt 4096 ] && ! gxn vf0 "ethtool -G $dev rx-buf-len $buf0" 2>/dev/null'

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
m=$(xb_mode "$dev")
r=$(pings 10.77.0.11)
check "detached (ip link: $m), the VF answers pings again (${r:-0}/3)" '[ "$m" = none ] && [ "${r:-0}" -ge 2 ]'
check "large receive is back as it was ($lro0) after detaching" '[ "$(lro)" = "$lro0" ]'
check "RX buffers are back as they were ($buf0 bytes) after detaching" '[ "$(bufl)" = "$buf0" ]'
gxn vf0 "ip link set $dev mtu 9000 && ip link set $dev mtu 1500" ||
    fail "the MTU can grow again after detaching"
gxn vf0 "ip link set $dev mtu 9000"
xb_start drop -m native "$dev"
m=$(xb_mode "$dev")
check "a program is refused at MTU 9000 (ip link: $m)" '[ "$m" = none ]'
xb_stop
gxn vf0 "ip link set $dev mtu 1500"

# ---- XDP_PASS
xb_start pass -m native "$dev"
r=$(pings 10.77.0.11)
bps=$(ip3 -c 10.77.0.11 -t 2)
info "through XDP_PASS: pings ${r:-0}/3, TCP $(mbit "${bps:-0}") Mbit/s"
check "XDP_PASS: pings and a TCP stream go through the program" \
    '[ "$(xb_mode "$dev")" = xdp ] && [ "${r:-0}" -ge 2 ] && [ "${bps:-0}" -gt 0 ]'
xb_stop

# ---- XDP_TX: back out of the VF with the addresses swapped
xb_start tx -m native "$dev"
read -r t h <<< "$(grew rx_xdp_tx datagrams "$N")"
info "rx_xdp_tx +$t, the host's tap received $h frames, for $N datagrams"
check "XDP_TX: the datagrams come back to the host (rx_xdp_tx and the tap's count)" \
    '[ "$t" != NA ] && [ "$t" -ge "$((N * 95 / 100))" ] && [ "$h" -ge "$((N * 95 / 100))" ]'
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
read -r x h <<< "$(grew tx_xdp_xmit gx "ip netns exec xs bash -c 'for i in \$(seq 200); do echo qosvnic > /dev/udp/10.99.0.1/9; done'")"
info "tx_xdp_xmit +$x, the host's tap received $h frames, for 200 datagrams into vb"
check "ndo_xdp_xmit: frames redirected from a veth leave through the VF (tx_xdp_xmit and the tap's count)" \
    '[ "$x" != NA ] && [ "$x" -ge 190 ] && [ "$h" -ge 190 ]'
xb_stop
[ "$fails" = 0 ] || { xb_log; gxn vf0 "ethtool -S $dev" | grep -v ': 0$' | sed 's/^/    | /'; }
r=$(pings 10.77.0.11)
check "after all programs, the VF answers pings (${r:-0}/3)" '[ "${r:-0}" -ge 2 ]'
[ "$fails" = 0 ]
