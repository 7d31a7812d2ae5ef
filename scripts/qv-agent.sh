# Host <-> guest control for traffic tests and benchmarks (sourced, not run).
# shellcheck shell=bash
#
# The guest gets a second serial port (ttyS1) whose QEMU end is a TCP
# server on 127.0.0.1 inside run-guest.sh's network namespace. After its
# set-up, the guest prints QVN-READY on the console and then serves
# commands on ttyS1: the host sends one line (a base64-encoded bash script),
# the guest runs it and answers with its output followed by a line
# "QVRPC-END <exit status>". The line "QVRPC-QUIT" ends the guest's loop (and
# the guest test, so the guest powers off). The channel does not use the
# NIC under test, so a broken datapath cannot hang the control.
#
# Usage:
#   . scripts/qv-agent.sh
#   agent_run NAME GUEST_SETUP HOST_SCRIPT LOG [run-guest.sh options...]
#     GUEST_SETUP: a file with the guest's set-up (bash, runs as /test.sh
#     before the command loop; a non-zero exit status skips the loop);
#     HOST_SCRIPT: a bash file run on the host side in the namespace once
#     the guest is ready, with this file sourced and the channel open (fd 5)
#     so that it can call gx; its exit status is agent_run's.
#   In HOST_SCRIPT:
#     gx CMD...           run CMD in the guest (root namespace), print its
#                         output, return its exit status (255: no answer)
#     gxn NS CMD...       the same inside the guest's network namespace NS
#     gx_quit             end the guest's command loop (done by agent_run)

QV_AGENT_PORT=${QV_AGENT_PORT:-7399}

# The guest side: appended to the set-up script (the loop is in the image:
# scripts/guest/qv-agent-loop.sh).
agent_guest_loop() {
    printf '\n# ---- command loop on ttyS1 (scripts/guest/qv-agent-loop.sh) ----\n'
    # The loop prints QVN-READY itself (/init waits for that string here).
    printf 'exec /lib/qv-agent-loop.sh /dev/ttyS1  # prints QVN-READY\n'
}

# Host side (inside the namespace, fd 5 connected).
# A command that got no answer leaves the channel out of step: the guest's
# late answer would be read as the next command's. From then on every gx
# fails at once (agent_run's GX_NO_ANSWER file says so, also to the $(...)
# subshells that call gx), so that a guest whose command loop is stuck
# ends the host script in seconds, not in one GX_TIMEOUT per command.
gx() {
    local script line rc
    if [ -n "${GX_NO_ANSWER:-}" ] && [ -e "$GX_NO_ANSWER" ]; then
        echo "gx: not sent: an earlier command got no answer ($(cat "$GX_NO_ANSWER"))"
        return 255
    fi
    script=$(printf '%s\n' "$*" | base64 -w0)
    printf '%s\n' "$script" >&5 || { echo "gx: channel closed"; return 255; }
    while IFS= read -r -t "${GX_TIMEOUT:-300}" line <&5; do
        line=${line%$'\r'}
        case "$line" in
            "QVRPC-END "*) rc=${line#QVRPC-END }; return "$rc" ;;
        esac
        printf '%s\n' "$line"
    done
    echo "gx: no answer from the guest"
    # (The command's end names it: gl1's commands share a long prefix.)
    script=$(printf '%s' "$*" | tr '\n' ' ')
    [ -z "${GX_NO_ANSWER:-}" ] ||
        printf '%s\n' "none within ${GX_TIMEOUT:-300} s to: ...${script: -80}" > "$GX_NO_ANSWER"
    return 255
}
gxn() { local ns=$1; shift; gx "ip netns exec $ns bash -c $(printf '%q' "$*")"; }
gx_quit() { printf 'QVRPC-QUIT\n' >&5 2>/dev/null || true; }

agent_connect() {
    local _
    for _ in $(seq 1 50); do
        # A new channel is in step (a migration's destination, say).
        if exec 5<>"/dev/tcp/127.0.0.1/$QV_AGENT_PORT"; then
            [ -z "${GX_NO_ANSWER:-}" ] || rm -f "$GX_NO_ANSWER"
            return 0
        fi 2>/dev/null
        sleep 0.2
    done
    echo "agent: cannot connect to the guest's control port $QV_AGENT_PORT"
    return 1
}

# The QEMU process of the namespace we run in (for CPU accounting).
agent_qemu_pid() {
    local p ns
    ns=$(ip netns identify $$ 2>/dev/null)
    for p in $(ip netns pids "$ns" 2>/dev/null); do
        case "$(cat "/proc/$p/comm" 2>/dev/null)" in qemu-system*) echo "$p"; return 0 ;; esac
    done
    return 1
}
# utime + stime of a process, in clock ticks.
agent_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

agent_run() { # name guest-setup host-script log [run-guest options]
    local name=$1 setup=$2 hscript=$3 log=$4 dir
    shift 4
    dir=$(mktemp -d "/tmp/qvn-$name.XXXXXX")
    { cat "$setup"; agent_guest_loop; } > "$dir/guest.sh"
    # The host side: this file, the channel, the test, then QUIT.
    cat > "$dir/host.sh" <<EOF
. $(printf '%q' "$QOSVNIC_ROOT/scripts/qv-agent.sh")
QV_AGENT_PORT=$QV_AGENT_PORT QOSVNIC_ROOT=$(printf '%q' "$QOSVNIC_ROOT")
GX_NO_ANSWER=$(printf '%q' "$dir/gx-no-answer")
agent_connect || exit 1
trap gx_quit EXIT
. $(printf '%q' "$hscript")
EOF
    "$QOSVNIC_ROOT/scripts/run-guest.sh" --test "$dir/guest.sh" --host-cmd "bash $dir/host.sh" \
        --log "$log" --quiet "$@" -- \
        -chardev "socket,id=qvctl,host=127.0.0.1,port=$QV_AGENT_PORT,server=on,wait=off" \
        -serial chardev:qvctl
    local rc=$?
    rm -rf "$dir"
    return "$rc"
}

# ------------------------------------------------------------ guest tests
# The frame of a guest test (scripts/tests/*-test.sh) around its host
# script: one boot and the verdict (what it needs before booting is
# lib.sh's guest_test_needs). It prints FAIL lines in the test's name and
# returns 1 on a failure.

# One boot with agent_run, its host script's lines shown as they come, then
# the verdict: the guest's set-up (WHAT) reached QVN-READY, run-guest.sh
# exited 0, and the host script printed results, none of them a FAIL. On a
# failure the console's last 40 lines follow. Leaves DIR/NAME.host.out and
# the console without CRs in DIR/NAME.console.
agent_test_boot() { # dir name what guest-setup host-script [run-guest options]
    local dir=$1 name=$2 what=$3 setup=$4 hscript=$5 rc fails=0
    shift 5
    agent_run "$name" "$setup" "$hscript" "$dir/$name.log" "$@" | tee "$dir/$name.host.out"
    rc=${PIPESTATUS[0]}
    tr -d '\r' < "$dir/$name.log" > "$dir/$name.console"
    grep -q '^QVN-READY' "$dir/$name.console" ||
        { echo "FAIL: $name: guest set-up ($what)"; fails=1; }
    grep -q '^FAIL: ' "$dir/$name.host.out" && fails=1
    grep -qE '^(PASS|FAIL): ' "$dir/$name.host.out" || fails=1
    [ "$rc" = 0 ] && [ "$fails" = 0 ] && return 0
    [ "$rc" = 0 ] || echo "FAIL: $name: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines) ---"
    tail -n 40 "$dir/$name.console" | sed 's/^/  | /'
    return 1
}

# ------------------------------------------------------------ guest set-ups
# Each prints a guest set-up script (for agent_run) that leaves
# /tmp/qv-env with shell assignments the host side reads with agent_env.

# qosvnic: qosvnic.ko on the PF (up, no address), N VFs, VF i in network
# namespace vf<i> as 10.77.0.<11+i>/24 with iperf3, netserver and httpd.
agent_setup_qosvnic_vfs() { # nvfs
    printf 'nvfs=%s\n' "$1"
    agent_guest_common
    cat <<'GUEST'
env=/tmp/qv-env
pf=$(qv_pf)
[ -n "$pf" ] || { echo "setup: no qosvnic PF (1af4:10f0)"; exit 1; }
sys=/sys/bus/pci/devices/$pf
[ "$(qv_driver "$pf")" = qosvnic ] || modprobe qosvnic
qv_wait '[ "$(qv_driver "$pf")" = qosvnic ] && [ -d "$sys/net" ]' 10 ||
    { echo "setup: qosvnic.ko did not bind $pf"; exit 1; }
pfdev=$(ls "$sys/net" | head -n 1)
ip link set "$pfdev" up
echo "PF=$pf PFDEV=$pfdev NVFS=$nvfs" > "$env"
echo "$nvfs" > "$sys/sriov_numvfs" || { echo "setup: sriov_numvfs=$nvfs failed"; exit 1; }
i=0
while [ "$i" -lt "$nvfs" ]; do
    qv_wait "[ -d $sys/virtfn$i/net ]" 20 || { echo "setup: VF $i has no netdev"; exit 1; }
    dev=$(ls "$sys/virtfn$i/net" | head -n 1)
    ns=vf$i
    ip netns add "$ns"
    ip link set "$dev" netns "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.77.0.$((11 + i))/24" dev "$dev"
    ip -n "$ns" link set "$dev" up
    echo "VFDEV$i=$dev VFPCI$i=$(basename "$(readlink "$sys/virtfn$i")")" >> "$env"
    qv_agent_servers "$ns"
    i=$((i + 1))
done
i=0
while [ "$i" -lt "$nvfs" ]; do
    dev=$(sed -n "s/.*VFDEV$i=\([^ ]*\).*/\1/p" "$env")
    qv_wait "[ \"\$(ip netns exec vf$i cat /sys/class/net/$dev/carrier 2>/dev/null)\" = 1 ]" 10 ||
        echo "setup: VF $i ($dev) has no carrier"
    i=$((i + 1))
done
cat "$env"
GUEST
}

# Helpers for every set-up.
agent_guest_common() {
    cat <<'GUEST'
. /lib/qv-lib.sh
env=/tmp/qv-env
qv_agent_servers() { # netns: iperf3, netserver and httpd serve there
    ip netns exec "$1" iperf3 -s -D
    ip netns exec "$1" netserver > /dev/null 2>&1
    ip netns exec "$1" httpd -p 80 -h /srv/www
}
# Move netdev $1 into netns vf0 as 10.77.0.11/24, wait for its carrier.
qv_agent_ns0() {
    ip netns add vf0
    ip link set "$1" netns vf0
    ip -n vf0 link set lo up
    ip -n vf0 addr add 10.77.0.11/24 dev "$1"
    ip -n vf0 link set "$1" up
    echo "VFDEV0=$1" >> "$env"
    qv_agent_servers vf0
    qv_wait "[ \"\$(ip netns exec vf0 cat /sys/class/net/$1/carrier 2>/dev/null)\" = 1 ]" 20 ||
        echo "setup: $1 has no carrier"
    cat "$env"
}
GUEST
}

# QEMU's igb: igb on the PF (up, no address), one VF, igbvf loaded after
# the VF exists; the VF's netdev in netns vf0 as 10.77.0.11/24.
agent_setup_igbvf() {
    agent_guest_common
    cat <<'GUEST'
pf=$(qv_find 0x8086 0x10c9 | head -n 1)
[ -n "$pf" ] || { echo "setup: no igb PF (8086:10c9)"; exit 1; }
sys=/sys/bus/pci/devices/$pf
modprobe igb
qv_wait '[ -d "$sys/net" ]' 10 || { echo "setup: igb did not bind $pf"; exit 1; }
pfdev=$(ls "$sys/net" | head -n 1)
sysctl -qw net.ipv4.conf.all.arp_ignore=1
ip link set "$pfdev" up
qv_wait "[ \"\$(cat /sys/class/net/$pfdev/carrier 2>/dev/null)\" = 1 ]" 20
echo "PF=$pf PFDEV=$pfdev NVFS=1" > "$env"
echo 1 > "$sys/sriov_numvfs" || { echo "setup: sriov_numvfs=1 failed"; exit 1; }
modprobe igbvf
qv_wait "[ -d $sys/virtfn0/net ]" 20 || { echo "setup: igbvf has no netdev"; exit 1; }
qv_agent_ns0 "$(ls "$sys/virtfn0/net" | head -n 1)"
GUEST
}

# virtio-net-pci: its netdev in netns vf0 as 10.77.0.11/24.
agent_setup_virtio() {
    agent_guest_common
    cat <<'GUEST'
modprobe virtio_net
qv_wait 'ls /sys/bus/virtio/devices/*/net/* >/dev/null 2>&1' 10 || { echo "setup: no virtio-net netdev"; exit 1; }
dev=$(basename "$(ls -d /sys/bus/virtio/devices/*/net/* | head -n 1)")
echo "PF=- PFDEV=- NVFS=0" > "$env"
qv_agent_ns0 "$dev"
GUEST
}

# Read the guest's /tmp/qv-env into the host script's variables.
agent_env() {
    local e
    e=$(gx cat /tmp/qv-env) || return 1
    eval "$e"
}

# ------------------------------------------------------------ host helpers
# iperf3 client from the host; prints the receiver's bit/s (sum_received),
# or nothing if the run failed. The JSON goes to $IPERF_JSON if set.
ip3() {
    local j
    j=$(timeout 60 iperf3 -J "$@" 2>&1)
    [ -z "${IPERF_JSON:-}" ] || printf '%s\n' "$j" > "$IPERF_JSON"
    printf '%s' "$j" | jq -er '.end.sum_received.bits_per_second // empty | floor' 2>/dev/null
}
# One ethtool -S counter of DEV in the guest's namespace NS.
gstat() { # ns dev counter
    gxn "$1" "ethtool -S $2" | awk -v k="$3:" '$1 == k {print $2; f=1} END {if (!f) print "NA"}'
}
mbit() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1e6}'; }
# xdp-bench (the guest image's xdp-tools) in the guest's namespace vf0:
# xb_start MODE ARGS... runs it in the background (its log in the guest's
# /tmp/xb.log); xb_stop sends SIGINT, on which it detaches its program,
# and waits for it; xb_mode DEV prints what ip link shows attached to DEV
# (xdp, xdpgeneric or none).
xb_start() {
    gxn vf0 "setsid xdp-bench $* > /tmp/xb.log 2>&1 < /dev/null & echo \$! > /tmp/xb.pid"
    sleep 3
}
xb_stop() {
    gxn vf0 "kill -INT \$(cat /tmp/xb.pid) 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do
             kill -0 \$(cat /tmp/xb.pid) 2>/dev/null || break; sleep 0.5; done"
}
xb_log() { gx "tail -n 5 /tmp/xb.log" | sed 's/^/    | /'; }
xb_mode() {
    gxn vf0 "ip -d link show $1" | grep -oE '(^| )(xdpgeneric|xdpoffload|xdp)( |$)' | head -n 1 | tr -d ' ' |
        grep . || echo none
}
# udp_send IP COUNT PPS: COUNT 18-byte datagrams to IP:9 (discard) at
# about PPS (0: as fast as one host core sends); prints how many were sent
# and the seconds it took. Needs no server: for targets that answer
# nothing (an XDP program that drops everything, say).
udp_send() {
    python3 -c '
import socket, sys, time
ip, n, pps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent, t0 = 0, time.monotonic()
while sent < n:
    for _ in range(min(100, n - sent)):
        try:
            s.sendto(b"qosvnic-udp-send!!", (ip, 9))
            sent += 1
        except OSError:
            time.sleep(0.001)
    ahead = sent / pps - (time.monotonic() - t0) if pps > 0 else 0
    if ahead > 0:
        time.sleep(ahead)
print(sent, round(time.monotonic() - t0, 3))' "$@"
}
# Is $1 within $3 percent of $2?
within_pct() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(b > 0 && d * 100 <= p * b)}'; }
