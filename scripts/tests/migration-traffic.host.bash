# Host side of migration-traffic-test.sh (sourced by scripts/qv-agent.sh's
# agent_run inside run-guest.sh's network namespace; gx/gxn reach the guest,
# QV_QMP is the source QEMU's QMP socket, QVN_QEMU_ARGV its command line).
# VF n = QMP qosvnic-set-vf vf n = guest netns vfn = 10.77.0.(11+n).
# Prints PASS:/FAIL: lines; asserts behaviour, never speeds.
#
# The wire of the destination. Both QEMUs live in this namespace, as two
# hosts on one L2 segment would: run-guest.sh's tap qvtap0 (the source's)
# becomes a port of a bridge qvbr0 that carries the host side's address
# 10.77.0.1, and the destination gets a tap of its own, qvtap1, which
# joins the bridge only at the switch-over, while both QEMUs are stopped
# (the destination runs with -S, as libvirt starts it): the source's tap
# leaves the bridge (which forgets the MACs it learnt there) and the
# destination's joins it, then the destination continues. So no frame
# reaches the destination's tap before it runs, frames sent to the stopped
# source are lost on the wire (never admitted by the device, like frames
# in flight during a real switch-over; TCP resends them), and the host
# never talks to two copies of the guest at once. One tap shared by both
# QEMUs cannot work: the stopped source would keep it open and the kernel
# queues frames for it until it exits.
#
# The host talks to both QEMUs through one QMP connection each (kept
# open, scripts/qmp.py's protocol), so that the switch-over, while both
# are stopped, takes a few QMP round trips and not a process per query.
# The TCP stream is a plain one (a Python client here, busybox nc in the
# guest) that runs until told to stop, so that it spans the migration
# however long the migration takes, and every byte is counted at both
# ends.
#
# The host side and the guest's namespaces use static neighbour entries
# and no IPv6, so that between the switch-over and the end of the drain
# the only frames for VF 1 are the ones its partition held: the exact
# count below depends on that.
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2317,SC2016,SC2015  # PF, PFDEV, VFDEVn come from agent_env; functions called through eval/trap

RATE=4000000            # VF 0's ingress policer, bit/s
BURST=65792             # its default burst (qv_tb_default_burst: 64 KiB + 256)
RESERVE=65536           # VF 1's partition: a static reserve (buf-alpha 0)
UDP_LEN=1158            # flood payload; frame = payload + 8 + 20 + 14
WIRE=$((UDP_LEN + 42))
CELLB=$(( (WIRE + 255) / 256 * 256 ))   # device buffer cells of one frame
PPS=${MIG_FLOOD_PPS:-1500}              # about 14 Mbit/s into VF 1
WINDOW=8                                # seconds of traffic after the switch-over
BRMAC=02:77:00:00:00:01
fails=0
pass() { echo "PASS: migration-traffic: $*"; }
fail() { echo "FAIL: migration-traffic: $*"; fails=1; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
info() { echo "    $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
wait_until() { # seconds cmd...: poll cmd every 0.2 s
    local n=$(($1 * 5)); shift
    while ! "$@"; do n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.2; done
}

tmp=$(mktemp -d /tmp/qvn-mig-host.XXXXXX)
DST=$tmp/qmp-dst.sock

# ---- QMP: one connection per QEMU; "qmp src|dst JSON" prints the return
# value (exit 1 and the error on stderr if the command failed)
qmp_open() { # name socket
    local fd line
    mkfifo "$tmp/$1.in" "$tmp/$1.out"
    python3 "$QOSVNIC_ROOT/scripts/qmp.py" "$2" --session < "$tmp/$1.in" > "$tmp/$1.out" &
    exec {fd}> "$tmp/$1.in"; eval "qin_$1=$fd"
    exec {fd}< "$tmp/$1.out"; eval "qout_$1=$fd"
    IFS= read -r -t 60 line <&"$fd" && [ "$line" = ready ]
}
qmp() {
    local fdi fdo line
    eval "fdi=\${qin_$1:-} fdo=\${qout_$1:-}"
    [ -n "$fdi" ] || return 2
    printf '%s\n' "$2" 2>/dev/null 1>&"$fdi" || return 2
    IFS= read -r -t 120 line <&"$fdo" || return 2
    case "$line" in '{"error"'*) printf '%s\n' "$line" >&2; return 1 ;; esac
    printf '%s\n' "$line"
}
query() { qmp "$1" '{"execute":"query-qosvnic","arguments":{"id":"nic0"}}'; }
status() { qmp "$1" '{"execute":"query-status"}' 2>/dev/null | jq -r .status; }
fn() { jq -cS --argjson v "$2" '.[0].functions[] | select(.vf == $v)' <<< "$1"; }
st() { jq -r --argjson v "$2" --arg k "$3" '.[0].functions[] | select(.vf == $v) | .stats[$k]' <<< "$1"; }
cfg() { jq -r --argjson v "$2" --arg k "$3" '.[0].functions[] | select(.vf == $v) | .config[$k]' <<< "$1"; }
nobuf() { echo $(( $(st "$1" "$2" drop-buffer) + $(st "$1" "$2" drop-ring-full) )); }
setvf() { qmp src "{\"execute\":\"qosvnic-set-vf\",\"arguments\":{\"id\":\"nic0\",\"vf\":$1,$2,\"limit\":false}}" > /dev/null; }
ip_in() { gxn vf1 "cat /proc/net/snmp" | awk '$1 == "Ip:" && !h {for (i = 2; i <= NF; i++) k[i] = $i; h = 1; next}
                                           $1 == "Ip:" {for (i = 2; i <= NF; i++) if (k[i] == "InReceives") print $i}'; }
# "DEV-rx COUNT" and "DEV-tx COUNT" for VF 0 and VF 1 (all CPUs): DEV-rx
# sums the vectors that signal received frames (queue pair 0's RX vector
# DEV-rx-0 and the other pairs' DEV-TxRx-N), DEV-tx queue pair 0's TX one.
irqs() { gx "awk '\$NF ~ /^($dev0|$dev1)-(rx-0|tx-0|TxRx-[0-9]+)\$/ {
        n = \$NF; sub(/-(rx-0|TxRx-[0-9]+)\$/, \"-rx\", n); sub(/-tx-0\$/, \"-tx\", n)
        for (i = 2; i <= NF && \$i ~ /^[0-9]+\$/; i++) c[n] += \$i }
    END {for (n in c) print n, c[n]}' /proc/interrupts"; }
irq_of() { awk -v n="$2" '$1 == n {print $2}' <<< "$1"; }

flood_pid='' tcp_pid='' dst_pid='' switched=0
mig_cleanup() {
    gx_quit
    [ -z "$flood_pid" ] || kill -CONT "$flood_pid" 2>/dev/null
    [ -z "$flood_pid" ] || kill "$flood_pid" 2>/dev/null
    [ -z "$tcp_pid" ] || kill "$tcp_pid" 2>/dev/null
    if [ -n "$dst_pid" ] && [ "$switched" = 0 ]; then
        kill "$dst_pid" 2>/dev/null
    elif [ -n "$dst_pid" ]; then
        # The guest powers off after QVRPC-QUIT, and the destination exits.
        wait_until 120 eval '! kill -0 "$dst_pid" 2>/dev/null' || kill "$dst_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap mig_cleanup EXIT

qmp_open src "$QV_QMP" || { fail "QMP connection to the source"; exit 1; }
agent_env || { fail "guest set-up readable"; exit 1; }
eval "dev0=\$VFDEV0 dev1=\$VFDEV1"
mac0=$(gxn vf0 "cat /sys/class/net/$dev0/address") mac1=$(gxn vf1 "cat /sys/class/net/$dev1/address")
info "PF $PF ($PFDEV); VF 0 $dev0 $mac0, VF 1 $dev1 $mac1"

# ---- the wire: a bridge for both QEMUs' taps (see the top of this file)
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add qvbr0 address "$BRMAC" type bridge &&
    ip addr del 10.77.0.1/24 dev qvtap0 &&
    ip link set qvtap0 master qvbr0 &&
    ip addr add 10.77.0.1/24 dev qvbr0 &&
    ip link set qvbr0 up &&
    ip tuntap add dev qvtap1 mode tap vnet_hdr &&
    ip neigh replace 10.77.0.11 lladdr "$mac0" dev qvbr0 nud permanent &&
    ip neigh replace 10.77.0.12 lladdr "$mac1" dev qvbr0 nud permanent ||
    { fail "host bridge qvbr0 with the source's tap"; exit 1; }
gx "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
    for n in vf0 vf1; do
        ip netns exec \$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
    done
    ip -n vf0 neigh replace 10.77.0.1 lladdr $BRMAC dev $dev0 nud permanent &&
    ip -n vf1 neigh replace 10.77.0.1 lladdr $BRMAC dev $dev1 nud permanent" ||
    fail "static neighbours in the guest"

# ---- QoS: VF 0 policed, VF 1 a small static partition
setvf 0 "\"rx-rate\":$RATE" || fail "QMP: VF 0 rx-rate $RATE"
setvf 1 "\"buf-alpha\":0,\"buf-reserve\":$RESERVE" || fail "QMP: VF 1 buf-reserve $RESERVE, buf-alpha 0"
q=$(query src)
info "VF 0 rx-rate $(cfg "$q" 0 rx-rate); VF 1 buf-reserve $(cfg "$q" 1 buf-reserve) buf-alpha $(cfg "$q" 1 buf-alpha)"
check "both VFs reachable through the bridge (ping)" \
    eval 'ping -c 2 -w 20 10.77.0.11 > /dev/null && ping -c 2 -w 20 10.77.0.12 > /dev/null'

# ---- the destination: the same command line, its own tap, QMP, control
# port and -S -incoming; its console appends to the same log
mapfile -d '' argv < "$QVN_QEMU_ARGV"
port2=$((QV_AGENT_PORT + 1))
dargv=()
for a in "${argv[@]}"; do
    case "$a" in
        tap,*ifname=qvtap0*) a=${a/ifname=qvtap0/ifname=qvtap1} ;;
        stdio,id=con,*) a="$a,logappend=on" ;;
        socket,id=qvctl,*) a=${a/port=$QV_AGENT_PORT/port=$port2} ;;
        "unix:$QV_QMP,"*) a="unix:$DST,${a#"unix:$QV_QMP,"}" ;;
    esac
    dargv+=("$a")
done
dargv+=(-S -incoming "unix:$tmp/mig.sock")
timeout -k 5 1100 "${dargv[@]}" < /dev/null > /dev/null 2> "$tmp/dst.err" &
dst_pid=$!
if ! wait_until 60 test -S "$DST" || ! qmp_open dst "$DST" || [ "$(status dst)" != inmigrate ]; then
    fail "destination QEMU started (-S -incoming)"; sed 's/^/    | /' "$tmp/dst.err"; exit 1
fi

# ---- traffic: TCP into VF 0 across the migration, a UDP flood into VF 1
cat > "$tmp/flood.py" <<'EOF'
import socket, sys, time
dst, size, pps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
buf, per = bytes(size), max(1, pps // 100)
t = time.monotonic()
while True:
    for _ in range(per):
        try:
            s.sendto(buf, (dst, 9))
        except OSError:
            pass
    t += 0.01
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
    else:
        t = time.monotonic()  # after SIGSTOP/SIGCONT or a busy host: no catch-up burst
EOF
# A TCP stream until SIGUSR1, then a clean close; prints the bytes sent.
cat > "$tmp/tcp.py" <<'EOF'
import signal, socket, sys, time
stop = False
def on_usr1(*_):
    global stop
    stop = True
signal.signal(signal.SIGUSR1, on_usr1)
for _ in range(50):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=600)
        break
    except OSError:
        time.sleep(0.2)
else:
    print("error: cannot connect", flush=True)
    sys.exit(1)
buf, n = bytes(65536), 0
try:
    while not stop:
        n += s.send(buf)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
except OSError as e:
    print("error: %s after %d bytes" % (e, n), flush=True)
    sys.exit(1)
print("sent %d" % n, flush=True)
EOF
gxn vf0 "rm -f /tmp/tcp-got; setsid sh -c 'nc -l -p 5001 < /dev/null | wc -c > /tmp/tcp-got.part && mv /tmp/tcp-got.part /tmp/tcp-got' < /dev/null > /dev/null 2>&1 &"
sleep 1
q0=$(query src) in0=$(ip_in)
python3 "$tmp/tcp.py" 10.77.0.11 5001 > "$tmp/tcp.out" 2>&1 &
tcp_pid=$! tcp_t0=$(now)
python3 "$tmp/flood.py" 10.77.0.12 "$UDP_LEN" "$PPS" &
flood_pid=$!
sleep 6
p=$(query src)
info "before migration: VF 0 rx-bytes +$(( $(st "$p" 0 rx-bytes) - $(st "$q0" 0 rx-bytes) )) drop-rate +$(( $(st "$p" 0 drop-rate) - $(st "$q0" 0 drop-rate) ));" \
     "VF 1 rx-packets +$(( $(st "$p" 1 rx-packets) - $(st "$q0" 1 rx-packets) )) no-room drops +$(( $(nobuf "$p" 1) - $(nobuf "$q0" 1) ))" \
     "occupancy $(st "$p" 1 buf-occupancy)"
check "before migration the flood overruns VF 1's partition (drop-buffer/ring-full rise)" \
    test "$(nobuf "$p" 1)" -gt "$(nobuf "$q0" 1)"
check "before migration VF 0's policer drops the TCP stream's excess" \
    test "$(st "$p" 0 drop-rate)" -gt "$(st "$q0" 0 drop-rate)"

# ---- migrate
irq0=$(irqs)
qmp src '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":4294967296,"downtime-limit":1000}}' > /dev/null
t0=$(now)
qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:$tmp/mig.sock\"}}" > /dev/null ||
    { fail "QMP migrate accepted"; exit 1; }
mst=''
for _ in $(seq 1 3000); do
    mst=$(qmp src '{"execute":"query-migrate"}' | jq -r .status)
    case "$mst" in completed|failed|cancelled) break ;; esac
    sleep 0.1
done
# The switch-over, both QEMUs stopped: no more frames for VF 1 (those on
# their way to the stopped source stay in its tap), the source's state,
# the destination's once loaded, its tap onto the bridge, and it runs.
kill -STOP "$flood_pid"
t1=$(now)
if [ "$mst" = completed ]; then
    s=$(query src)
    wait_until 60 eval '[ "$(status dst)" = paused ]'
    d0=$(query dst)
    ip link set qvtap0 nomaster && ip link set qvtap1 master qvbr0 && ip link set qvtap1 up ||
        fail "destination's tap joins the bridge"
    qmp dst '{"execute":"cont"}' > /dev/null || fail "QMP cont on the destination"
    switched=1
fi
tc=$(now)
info "migration $mst after $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s" \
     "($(qmp src '{"execute":"query-migrate"}' | jq -c '{ram: .ram.transferred, downtime}'));" \
     "destination running $(awk -v a="$t1" -v b="$tc" 'BEGIN {printf "%.1f", b - a}') s later," \
     "$(awk -v a="$tcp_t0" -v b="$tc" 'BEGIN {printf "%.1f", b - a}') s into the TCP stream"
if [ "$mst" != completed ]; then
    fail "migration completed (status $mst)"
    qmp src '{"execute":"query-migrate"}' | sed 's/^/    | /'; sed 's/^/    | /' "$tmp/dst.err"; exit 1
fi
pass "migration completed (QMP migrate to a second QEMU with -S -incoming)"
qmp src '{"execute":"quit"}' > /dev/null 2>&1
exec 5<&-
QV_AGENT_PORT=$port2
agent_connect || { fail "control channel to the destination"; exit 1; }
check "the TCP stream is still running at the switch-over" kill -0 "$tcp_pid"

# ---- the switch-over: device state came over whole
check "source and destination agree on VF 0 (config, host limits, every counter)" \
    test "$(fn "$s" 0)" = "$(fn "$d0" 0)"
check "source and destination agree on VF 1 (config, every counter, bytes held)" \
    test "$(fn "$s" 1)" = "$(fn "$d0" 1)"
[ "$(fn "$s" 1)" = "$(fn "$d0" 1)" ] || { info "source: $(fn "$s" 1)"; info "destination: $(fn "$d0" 1)"; }
occ=$(st "$s" 1 buf-occupancy)
held=$(st "$s" 1 buf-frames)
info "at the switch-over VF 1 held $held frames in $occ bytes ($WIRE-byte frames, $CELLB in cells);" \
     "admitted $(st "$s" 1 rx-admitted) = delivered $(st "$s" 1 rx-packets) + held $held" \
     "+ discarded $(st "$s" 1 rx-discarded)"
check "VF 1's partition held frames at the switch-over (whole flood frames)" \
    test "$held" -gt 0 -a "$((held * CELLB))" = "$occ"
# The device's own account: every frame admission took is delivered, held
# or discarded (qosvnic_hw.h, QV_STAT_RX_ADMITTED).
account() { # query vf: admitted - delivered - held - discarded
    echo $(( $(st "$1" "$2" rx-admitted) - $(st "$1" "$2" rx-packets) - $(st "$1" "$2" buf-frames) - $(st "$1" "$2" rx-discarded) ))
}
check "VF 0's and VF 1's admission accounts add up at the switch-over (admitted = delivered + held + discarded)" \
    test "$(account "$s" 0)" = 0 -a "$(account "$s" 1)" = 0

# ---- no admitted frame lost: VF 1's held frames all reach its ring
wait_until 60 eval '[ "$(st "$(query dst)" 1 buf-occupancy)" = 0 ]'
sleep 1
d1=$(query dst)
dp=$(( $(st "$d1" 1 rx-packets) - $(st "$s" 1 rx-packets) ))
db=$(( $(st "$d1" 1 rx-bytes) - $(st "$s" 1 rx-bytes) ))
ddrop=$(( $(nobuf "$d1" 1) + $(st "$d1" 1 drop-rate) - $(nobuf "$s" 1) - $(st "$s" 1 drop-rate) ))
info "after the switch-over, flood paused: VF 1 delivered $dp frames, $db bytes, occupancy" \
     "$(st "$d1" 1 buf-occupancy), new drops $ddrop, broadcast/multicast +$(( $(st "$d1" 1 rx-broadcast) + $(st "$d1" 1 rx-multicast) - $(st "$s" 1 rx-broadcast) - $(st "$s" 1 rx-multicast) ))"
check "every frame VF 1 held at the switch-over is delivered by the destination (admitted = delivered + held)" \
    test "$dp" = "$held" -a "$db" = "$((held * WIRE))" -a "$ddrop" = 0 -a "$(st "$d1" 1 buf-frames)" = 0
check "the destination's account: VF 1 admitted nothing new, discarded nothing, and it adds up" \
    test "$(st "$d1" 1 rx-admitted)" = "$(st "$s" 1 rx-admitted)" -a \
         "$(st "$d1" 1 rx-discarded)" = "$(st "$s" 1 rx-discarded)" -a "$(account "$d1" 1)" = 0

# ---- after the switch-over: rates, partitions, interrupts
irq1=$(irqs)
kill -CONT "$flood_pid"
# The TCP stream comes back from the outage (retransmission back-off,
# then slow start) until it overshoots the policer again.
check "VF 0's policer drops the TCP stream's excess again after the switch-over" \
    wait_until 120 eval '[ "$(st "$(query dst)" 0 drop-rate)" -gt "$(st "$d1" 0 drop-rate)" ]'
info "(VF 0's first drop after the switch-over $(since "$tc") s after it)"
a=$(query dst) ta=$(now)
sleep "$WINDOW"
b=$(query dst) tb=$(now)
irq2=$(irqs)
adm=$(( $(st "$b" 0 rx-bytes) + $(st "$b" 0 buf-occupancy) - $(st "$a" 0 rx-bytes) - $(st "$a" 0 buf-occupancy) ))
lim=$(awk -v r="$RATE" -v a="$ta" -v b="$tb" -v bu="$BURST" 'BEGIN {printf "%.0f", r / 8 * (b - a) * 1.1 + bu + 1514}')
info "after: VF 0 admitted $adm bytes in $(awk -v a="$ta" -v b="$tb" 'BEGIN {printf "%.1f", b - a}') s" \
     "(bound rate x time x 1.1 + burst: $lim), drop-rate +$(( $(st "$b" 0 drop-rate) - $(st "$a" 0 drop-rate) ))"
check "VF 0's policer is still $RATE bit/s on the destination" test "$(cfg "$b" 0 rx-rate)" = "$RATE"
check "VF 0 still receives the TCP stream after the switch-over" test "$adm" -gt 0
check "VF 0 admits no more than its rate after the switch-over" test "$adm" -le "$lim"
info "after: VF 1 rx-packets +$(( $(st "$b" 1 rx-packets) - $(st "$a" 1 rx-packets) )), no-room drops" \
     "+$(( $(nobuf "$b" 1) - $(nobuf "$a" 1) )), occupancy $(st "$b" 1 buf-occupancy), peak $(st "$b" 1 buf-peak)" \
     "(partition $RESERVE)"
check "VF 1 still receives, and still drops for its partition, after the switch-over" \
    test "$(st "$b" 1 rx-packets)" -gt "$(st "$a" 1 rx-packets)" -a "$(nobuf "$b" 1)" -gt "$(nobuf "$a" 1)"
check "VF 1 never held more than its partition (peak, source and destination)" \
    test "$(st "$b" 1 buf-peak)" -le "$RESERVE" -a "$(cfg "$b" 1 buf-reserve)" = "$RESERVE" -a "$(cfg "$b" 1 buf-alpha)" = 0
check "VF 0 lost no frame to VF 1's flood (no drop for room, whole run)" \
    test "$(nobuf "$b" 0)" = "$(nobuf "$q0" 0)"
for v in "$dev0-rx" "$dev0-tx" "$dev1-rx" "$dev1-tx"; do
    info "interrupts $v: $(irq_of "$irq0" "$v") before migration, $(irq_of "$irq1" "$v") -> $(irq_of "$irq2" "$v") after"
done

# ---- the TCP stream ends cleanly with every byte; every frame the device
# delivered to VF 1 reached the guest
kill "$flood_pid"; wait "$flood_pid" 2>/dev/null; flood_pid=''
kill -USR1 "$tcp_pid"
wait "$tcp_pid"; trc=$?; tcp_pid=''
sent=$(sed -n 's/^sent \([0-9]*\)$/\1/p' "$tmp/tcp.out")
wait_until 60 gxn vf0 "test -f /tmp/tcp-got"
got=$(gxn vf0 "cat /tmp/tcp-got" 2>/dev/null | tr -d ' ')
info "TCP stream: $(cat "$tmp/tcp.out"); the guest received ${got:-nothing} bytes; $(since "$tcp_t0") s long"
check "the TCP stream across the migration closes cleanly with every byte delivered" \
    test "$trc" = 0 -a -n "$sent" -a "$sent" = "$got"
wait_until 60 eval '[ "$(st "$(query dst)" 1 buf-occupancy)" = 0 ]'
e=$(query dst)
dev_n=$(( $(st "$e" 1 rx-packets) - $(st "$q0" 1 rx-packets) ))
wait_until 20 eval '[ "$(( $(ip_in) - in0 ))" -ge "$dev_n" ]'
in1=$(ip_in)
info "VF 1 frames delivered by the device since the flood began (both QEMUs): $dev_n; the guest's IP InReceives in vf1: +$((in1 - in0))"
check "every frame the device delivered to VF 1 reached the guest's IP layer (across the migration)" \
    test "$((in1 - in0))" = "$dev_n"

# Under a flood NAPI may poll for long stretches without an interrupt;
# with the traffic stopped, a frame for an idle VF is noticed only through
# its (moderated) RX interrupt.
irq3=$(irqs)
ping -c 3 -i 0.5 -w 30 10.77.0.11 > /dev/null && ping -c 3 -i 0.5 -w 30 10.77.0.12 > /dev/null; prc=$?
irq4=$(irqs)
ok=$((prc == 0))
for v in "$dev0-rx" "$dev0-tx" "$dev1-rx" "$dev1-tx"; do
    info "interrupts $v around pings to idle VFs: $(irq_of "$irq3" "$v") -> $(irq_of "$irq4" "$v")"
done
for v in "$dev0-rx" "$dev1-rx"; do
    [ "$(irq_of "$irq4" "$v")" -gt "$(irq_of "$irq3" "$v")" ] 2>/dev/null || ok=0
done
check "after the switch-over, idle VFs answer pings through their moderated RX interrupts (VF 0 and VF 1)" \
    test "$ok" = 1

if gx "dmesg | grep -E 'WARNING:|BUG:|Oops|NETDEV WATCHDOG|hung_task|blocked for more than'"; then
    fail "no kernel warnings"
else
    pass "no kernel warnings"
fi
exit "$fails"
