# Host side of mq-rss-test.sh (sourced by scripts/qv-agent.sh's agent_run
# inside run-guest.sh's network namespace; gx/gxn reach the guest).
# Prints PASS:/FAIL: lines; asserts outcomes, never speeds.
# shellcheck shell=bash
# shellcheck disable=SC2154  # VFDEV0 comes from agent_env

T=${MQ_SECONDS:-3}
KEY=6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa
fails=0
pass() { echo "PASS: mq-rss: $*"; }
fail() { echo "FAIL: mq-rss: $*"; fails=1; }
info() { echo "    $*"; }
# RX packets per queue of the VF, one number per queue.
rxq() { gxn vf0 "ethtool -S $dev" | awk '$1 ~ /^rx_q[0-9]+_packets:$/ {print $2}' | tr '\n' ' '; }
# Queues whose count grew between two rxq outputs.
grown() { awk -v a="$1" -v b="$2" 'BEGIN {n = split(a, x, " "); split(b, y, " ");
          for (i = 1; i <= n; i++) if (y[i] > x[i]) printf "%d ", i - 1}'; }

agent_env || { fail "guest set-up readable"; exit 1; }
dev=$VFDEV0
info "VF 0 is $dev in namespace vf0"

# ---- channels
if gxn vf0 "ethtool -L $dev combined 4" &&
   [ "$(gxn vf0 "ethtool -l $dev" | awk '/Current hardware/ {c = 1} c && /^Combined:/ {print $2}')" = 4 ]; then
    pass "ethtool -L combined 4 taken, ethtool -l shows 4"
else
    fail "ethtool -L combined 4 taken, ethtool -l shows 4"
    gxn vf0 "ethtool -l $dev" | sed 's/^/    | /'
fi
sleep 2

# ---- spread
a=$(rxq)
ip3 -c 10.77.0.11 -P 8 -t "$T" > /dev/null
b=$(rxq)
g=$(grown "$a" "$b")
info "rx_qN_packets before: $a after: $b (queues that counted: $g)"
if [ "$(echo "$g" | wc -w)" -gt 1 ]; then
    pass "8 TCP streams are received on more than one queue ($g)"
else
    fail "8 TCP streams are received on more than one queue ($g)"
fi

# ---- table: everything to queue 0
gxn vf0 "ethtool -X $dev equal 1" || fail "ethtool -X equal 1 taken"
a=$(rxq)
ip3 -c 10.77.0.11 -P 8 -t "$T" > /dev/null
b=$(rxq)
g=$(grown "$a" "$b")
info "after ethtool -X equal 1: queues that counted: $g"
if [ "$g" = "0 " ]; then
    pass "ethtool -X equal 1 steers every stream to queue 0"
else
    fail "ethtool -X equal 1 steers every stream to queue 0 (counted: $g)"
fi

# ---- read back key and table
gxn vf0 "ethtool -X $dev hkey $KEY" || fail "ethtool -X hkey taken"
x=$(gxn vf0 "ethtool -x $dev")
if printf '%s\n' "$x" | tr -d ' \n' | grep -qi "$(echo "$KEY" | tr -d ':')" ||
   printf '%s\n' "$x" | grep -qi "$KEY"; then
    pass "ethtool -x shows the key back"
else
    fail "ethtool -x shows the key back"
    printf '%s\n' "$x" | tail -n 4 | sed 's/^/    | /'
fi
if [ "$(printf '%s\n' "$x" | awk '/^ *[0-9]+: / {for (i = 2; i <= NF; i++) if ($i != 0) n++} END {print n + 0}')" = 0 ] &&
   [ "$(printf '%s\n' "$x" | grep -cE '^ *[0-9]+: ')" -gt 0 ]; then
    pass "ethtool -x shows the table back (every entry queue 0)"
else
    fail "ethtool -x shows the table back (every entry queue 0)"
fi

# ---- hash fields
f=$(gxn vf0 "ethtool -n $dev rx-flow-hash tcp4")
if printf '%s\n' "$f" | grep -q 'L4 bytes 0 & 1' && printf '%s\n' "$f" | grep -q 'IP DA'; then
    pass "ethtool -n rx-flow-hash tcp4: addresses and ports"
else
    fail "ethtool -n rx-flow-hash tcp4: addresses and ports"
fi
f0=$(gxn vf0 "ethtool -n $dev rx-flow-hash udp4")
gxn vf0 "ethtool -N $dev rx-flow-hash udp4 sdfn" || true
f1=$(gxn vf0 "ethtool -n $dev rx-flow-hash udp4")
if ! printf '%s\n' "$f0" | grep -q 'L4 bytes' && printf '%s\n' "$f1" | grep -q 'L4 bytes 2 & 3'; then
    pass "ethtool -N rx-flow-hash udp4 sdfn adds the ports"
else
    fail "ethtool -N rx-flow-hash udp4 sdfn adds the ports"
fi

# ---- small frames are copied
c0=$(gstat vf0 "$dev" rx_copybreak)
timeout 30 iperf3 -c 10.77.0.11 -u -l 64 -b 2M -t 2 > /dev/null 2>&1
c1=$(gstat vf0 "$dev" rx_copybreak)
info "rx_copybreak $c0 -> $c1"
if [ "$c0" != NA ] && [ "$c1" != NA ] && [ "$((c1 - c0))" -gt 100 ]; then
    pass "64-byte datagrams are copied into small buffers (rx_copybreak)"
else
    fail "64-byte datagrams are copied into small buffers (rx_copybreak $c0 -> $c1)"
fi

# ---- shrink: ethtool -L combined 1 leaves no ring of pairs 1..3 live
# The device's TX engine serves every queue pair of the function, round
# robin; the driver frees the rings of the pairs it stops using, so those
# must be gone from the device too, or it sends what it finds in freed
# memory once TX is on again. Pairs 1..3 are loaded from behind a
# max_tx_rate of SHRINK_MBIT, with BQL out of the way and long rings, so
# that they hold megabytes the shaper has not let out yet; the senders
# stop and the VF goes to one pair at once. From then on it has nothing to
# send: the device's TX counters (tx_packets, tx_drop_*) must stand still,
# and no bad descriptor or ring error (function reset) may show up.
SHRINK_MBIT=1
SHRINK_BACKLOG=2000000
# The device's TX counters of VF 0: "frames sent, frames dropped".
txhw() {
    gxn vf0 "cat /sys/class/net/$dev/statistics/tx_packets; ethtool -S $dev" |
        awk 'NR == 1 {p = $1} $1 ~ /^tx_drop_(spoof|bad|link_down):$/ {d += $2} END {print p + 0, d + 0}'
}
backlog() {
    gxn vf0 "cat /sys/class/net/$dev/queues/tx-{1,2,3}/byte_queue_limits/inflight" |
        awk '{n += $1} END {print n + 0}'
}
# No IPv6 on VF 0: neighbour discovery after the reopen would send.
gxn vf0 "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.$dev.disable_ipv6=1" ||
    fail "IPv6 off on VF 0"
# Send buffers that hold a full ring and qdisc: iperf3 -w would fail, as
# it wants the receive buffer as large, above net.core.rmem_max.
gx "sysctl -qw net.core.wmem_default=16777216" || fail "net.core.wmem_default 16 MiB"
gxn vf0 "ethtool -G $dev tx 2048" || fail "TX rings of 2048 descriptors on VF 0 (ethtool -G)"
gxn vf0 "for q in 1 2 3; do echo 4000000 > /sys/class/net/$dev/queues/tx-\$q/byte_queue_limits/limit_min || exit 1; done" ||
    fail "BQL limit_min 4 MB on VF 0's queues 1..3"
gx "ip link set $PFDEV vf 0 max_tx_rate $SHRINK_MBIT" || fail "ip link set $PFDEV vf 0 max_tx_rate $SHRINK_MBIT"
for q in 1 2 3; do
    iperf3 -s -1 -D -B 10.77.0.1 -p $((5310 + q))
done
sleep 1
# XPS: a sender on CPU q sends on queue pair q.
gxn vf0 "rm -f /tmp/shrink.pids; for q in 1 2 3; do
             taskset -c \$q iperf3 -c 10.77.0.1 -p \$((5310 + q)) -u -b 0 -l 1400 -t 120 < /dev/null > /dev/null 2>&1 &
             echo \$! >> /tmp/shrink.pids
         done"
for _ in $(seq 1 30); do
    [ "$(backlog)" -ge "$SHRINK_BACKLOG" ] && break
    sleep 1
done
r0=$(gstat vf0 "$dev" function_resets)
read -r _ d0 <<< "$(txhw)"
b=$(backlog)
gxn vf0 "kill \$(cat /tmp/shrink.pids); ethtool -L $dev combined 1" ||
    fail "ethtool -L combined 1 taken under load"
sleep 1
read -r p1 _ <<< "$(txhw)"
sleep 3
read -r p2 d2 <<< "$(txhw)"
r2=$(gstat vf0 "$dev" function_resets)
info "pairs 1..3 held $b bytes at $SHRINK_MBIT Mbit/s; after ethtool -L combined 1:" \
     "+$((p2 - p1)) frames sent in 3 s, drops $d0 -> $d2, function_resets $r0 -> $r2"
if [ "$b" -lt "$SHRINK_BACKLOG" ]; then
    fail "set-up: pairs 1..3 hold $SHRINK_BACKLOG bytes the shaper holds back (held $b)"
elif [ "$p1" -gt 0 ] && [ "$((p2 - p1))" -le 20 ] && [ "$d2" = "$d0" ] &&
     [ "$r0" != NA ] && [ "$r2" = "$r0" ]; then
    pass "after ethtool -L combined 1 the device sends nothing from the dropped pairs' rings"
else
    fail "after ethtool -L combined 1 the device sends nothing from the dropped pairs' rings"
fi
gx "ip link set $PFDEV vf 0 max_tx_rate 0; sysctl -qw net.core.wmem_default=212992"
[ "$fails" = 0 ]
