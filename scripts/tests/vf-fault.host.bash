# Host side of vf-fault-test.sh (sourced by scripts/qv-agent.sh's agent_run
# inside run-guest.sh's network namespace; gx/gxn reach the guest).
# shellcheck shell=bash
# shellcheck disable=SC2154  # VFDEV0 comes from agent_env

fails=0
pass() { echo "PASS: vf-fault: $*"; }
fail() { echo "FAIL: vf-fault: $*"; fails=1; }
info() { echo "    $*"; }
VF=10.77.0.11

agent_env || { fail "guest set-up readable"; exit 1; }
dev=$VFDEV0
# RX ring registers of VF 0 from its register dump: head (0x10c), tail (0x110).
ring() { gxn vf0 "ethtool -d $dev raw on | od -A n -t u4 -w4 -v | sed -n '68p;69p'" | tr -s ' \n' ' '; }
ring_empty() { local h t; read -r h t <<< "$(ring)"; [ -n "$h" ] && [ "$h" = "$t" ]; }
inflight() { gxn vf0 "cat /sys/class/net/$dev/queues/tx-0/byte_queue_limits/inflight"; }

# Page-sized RX buffers on the PF and VF 0: the bounce buffer is sized
# for rings of those, and the default 16 KiB ones of the PF alone would
# fill it. One queue pair on VF 0, so that every frame lands on the ring
# the test watches.
gx "ethtool -G $PFDEV rx-buf-len 2048" || fail "page-sized RX buffers on the PF (ethtool -G rx-buf-len 2048)"
gxn vf0 "ethtool -L $dev combined 1" || fail "one queue pair on VF 0 (ethtool -L combined 1)"
gxn vf0 "ethtool -G $dev rx-buf-len 2048" || fail "page-sized RX buffers on VF 0 (ethtool -G rx-buf-len 2048)"
# No IPv6 on VF 0: neighbour discovery would send, and a TX completion
# would poll RX again whatever the driver does.
gxn vf0 "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.$dev.disable_ipv6=1" ||
    fail "IPv6 off on VF 0"
if ping -c 2 -w 10 "$VF" > /dev/null; then
    pass "ping VF 0 before the fault"
else
    fail "ping VF 0 before the fault"
fi
gstat vf0 "$dev" rx_alloc_fail > /dev/null

# ---- 1. a UDP socket that is never read, fed until mappings fail
# bash's /dev/udp gives a connected socket: it takes datagrams from the
# host's port 6000 only, and it is never read; with rmem_default at 32 MiB
# it holds far more pages than the bounce buffer can map.
gx "sysctl -qw net.core.rmem_max=33554432 net.core.rmem_default=33554432"
gxn vf0 "bash -c 'exec 3<>/dev/udp/10.77.0.1/6000; exec sleep 100000' < /dev/null > /dev/null 2>&1 &"
sleep 1
# /proc/net/udp: local and remote address in hex; 10.77.0.1:6000 is 01004D0A:1770.
hex=$(gxn vf0 "cat /proc/net/udp" | awk '$3 == "01004D0A:1770" {split($2, a, ":"); print a[2]}')
port=''
[ -z "$hex" ] || port=$((16#$hex))
info "VF 0's unread UDP socket: port ${port:-none}"
a0=$(gstat vf0 "$dev" rx_alloc_fail)
r0=$(gstat vf0 "$dev" rx_drop_ring_full)
# Meanwhile VF 0 floods the host with UDP: with its queue stopped by BQL,
# the qdisc hands the driver batches of frames under xmit_more, and
# batches meet the full bounce buffer half way. The flood runs before,
# during and after the bounce buffer fills up.
iperf3 -s -1 -D -B 10.77.0.1 -p 5301
gxn vf0 "iperf3 -c 10.77.0.1 -p 5301 -u -b 0 -l 1400 -t 12 < /dev/null > /dev/null 2>&1 &"
sleep 3
sent=$(python3 - "$VF" "${port:-9}" 6 <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 6000))
s.setblocking(False)
data, n, end = b"q" * 1400, 0, time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        s.sendto(data, (sys.argv[1], int(sys.argv[2])))
        n += 1
    except (BlockingIOError, OSError):
        time.sleep(0.0005)
print(n)
PY
)
sleep 1
a1=$(gstat vf0 "$dev" rx_alloc_fail)
r1=$(gstat vf0 "$dev" rx_drop_ring_full)
info "host sent $sent datagrams; rx_alloc_fail $a0 -> $a1, rx_drop_ring_full $r0 -> $r1, RX head/tail: $(ring)"
gx "dmesg | grep -c 'swiotlb buffer is full'" | sed 's/^/    swiotlb-full messages: /'
if [ "$a1" != NA ] && [ "$a1" -gt "$a0" ] && [ "$r1" -gt "$r0" ] && ring_empty; then
    pass "RX buffer allocation fails (swiotlb full) and VF 0's RX ring runs empty"
else
    fail "RX buffer allocation fails (swiotlb full) and VF 0's RX ring runs empty"
fi
# The bounce buffer is still full: every frame VF 0 queued since has either
# been dropped or announced to the device and completed.
sleep 5
td=$(gx "ip netns exec vf0 cat /sys/class/net/$dev/statistics/tx_dropped")
fl=$(inflight)
info "VF 0 while the buffer is full: tx_dropped $td, BQL inflight $fl bytes"
if [ "${td:-0}" -gt 0 ] && [ "$fl" = 0 ]; then
    pass "TX mapping failures drop frames and leave none unannounced (BQL inflight 0)"
else
    fail "TX mapping failures drop frames and leave none unannounced (tx_dropped ${td:-?}, BQL inflight $fl)"
fi

# ---- 2. release the pages with VF 0's egress blocked, then ping
gxn vf0 "tc qdisc add dev $dev root handle 1: prio &&
         tc filter add dev $dev parent 1: matchall action drop" ||
    fail "tc egress block on VF 0"
gx "for p in \$(ps -o pid,args | awk '/sleep 100000/ && !/awk/ {print \$1}'); do kill \$p; done"
sleep 2
gxn vf0 "tc qdisc del dev $dev root"
info "after the release: RX head/tail $(ring), rx_alloc_fail $(gstat vf0 "$dev" rx_alloc_fail)"
ip neigh flush dev qvtap0 2>/dev/null
if out=$(ping -c 3 -w 10 "$VF" 2>&1); then
    pass "VF 0 receives again once pages are back, with no TX to wake its poll"
else
    fail "VF 0 receives again once pages are back, with no TX to wake its poll"
    printf '%s\n' "$out" | tail -n 2 | sed 's/^/    | /'
fi

if gx "dmesg | grep -E 'WARNING:|BUG:|Oops|NETDEV WATCHDOG'"; then
    fail "no kernel warnings"
else
    pass "no kernel warnings"
fi
exit "$fails"
