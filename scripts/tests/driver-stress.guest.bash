# Guest side of driver-stress-test.sh (runs as /test.sh; "cycles" is set
# above this line). Prints PASS:/FAIL: lines and "    " detail lines.
# shellcheck shell=bash
# shellcheck disable=SC2154  # cycles is prepended by driver-stress-test.sh
. /lib/qv-lib.sh

bad='WARNING:|BUG:|Oops|general protection|hung_task|blocked for more than|NETDEV WATCHDOG|refcount_t|list_del corruption|page_pool_release_retry|unregister_netdevice: waiting|Call Trace'
# The kernel's log, less a KCSAN kernel's reports of races that are not
# the driver's (the core kernel's, which strict KCSAN finds anywhere).
klog() { dmesg | awk -f /lib/qv-kcsan.awk 2>/dev/null; }
pf=$(qv_pf)
sys=/sys/bus/pci/devices/$pf
[ -n "$pf" ] || { fail "driver-stress: PF found"; exit 1; }
echo 20 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
for j in 0 1 2; do
    ip netns add "vf$j"
    ip -n "vf$j" link set lo up
done
# iperf3 servers in every namespace, fresh each cycle: a client that lost
# its device keeps a server busy until TCP gives up.
servers() {
    local p j
    for p in $(ps -o pid,args | awk '/iperf3 -s/ && !/awk/ {print $1}'); do kill "$p"; done
    iperf3 -s -D
    for j in 0 1 2; do ip netns exec "vf$j" iperf3 -s -D; done
}
stamp() { local u; read -r u _ < /proc/uptime; echo "    [$u] $*"; }
vfip() { echo "10.77.0.$((11 + $1))"; }

# Load the driver, PF up, 3 VFs in namespaces vf0..vf2 (dev0.., pci0..).
up_all() {
    local j d
    modprobe qosvnic || return 1
    qv_wait "[ -d $sys/net ]" 10 || return 1
    pfdev=$(ls "$sys/net")
    ip link set "$pfdev" up && ip addr add 10.77.0.2/24 dev "$pfdev" || return 1
    # Each VF's probe asks the PF for its MTU, which the PF's mailbox reads
    # without the lock: change it meanwhile (the VFs are set to 1500 below).
    ( for m in 9000 1500 9000 1500 9000 1500; do ip link set "$pfdev" mtu "$m"; done ) &
    echo 3 > "$sys/sriov_numvfs" || { wait $!; return 1; }
    wait $!
    for j in 0 1 2; do
        qv_wait "[ -d $sys/virtfn$j/net ]" 20 || return 1
        d=$(ls "$sys/virtfn$j/net")
        eval "dev$j=$d pci$j=$(basename "$(readlink "$sys/virtfn$j")")"
        ip link set "$d" mtu 1500 && ip link set "$d" netns "vf$j" &&
            ip -n "vf$j" addr add "$(vfip "$j")/24" dev "$d" &&
            ip -n "vf$j" link set "$d" up || return 1
    done
    for j in 0 1 2; do
        eval "d=\$dev$j"
        qv_wait "[ \"\$(ip netns exec vf$j cat /sys/class/net/$d/carrier 2>/dev/null)\" = 1 ]" 10 ||
            return 1
    done
}

# In netns $1, read $2's counters in a loop for $3 s; say if one went back.
monotonic() {
    ip netns exec "$1" bash -c '
        d=/sys/class/net/$1/statistics; end=$((SECONDS + $2))
        read -r r0 < $d/rx_packets; read -r t0 < $d/tx_packets
        while [ $SECONDS -lt $end ]; do
            read -r r < $d/rx_packets; read -r t < $d/tx_packets
            if [ "$r" -lt "$r0" ] || [ "$t" -lt "$t0" ]; then
                echo "backwards: rx $r0 -> $r, tx $t0 -> $t"; exit 1
            fi
            r0=$r t0=$t
        done' _ "$2" "$3"
}

torture() { # cycle j: everything at once on VF j, under traffic
    local c=$1 j=$2 d p
    eval "d=\$dev$j p=\$pci$j"
    echo 1 > "/sys/bus/pci/devices/$p/reset" || echo "    FLR of $p failed"
    ip link set "$pfdev" vf "$j" state disable; sleep 0.3
    ip link set "$pfdev" vf "$j" state enable; sleep 0.3
    ip link set "$pfdev" vf "$j" state auto
    ip netns exec "vf$j" ethtool --reset "$d" dedicated > /dev/null || echo "    ethtool --reset of $d failed"
    ip link set "$pfdev" vf "$j" mac "02:00:00:00:$(printf %02x $((c % 256))):1$j"
    sleep 0.5
    # An MTU change while frames flow.
    ip -n "vf$j" link set "$d" mtu 9000 || echo "    MTU 9000 on $d failed"
    ip -n "vf$j" link set "$d" mtu 1500 || echo "    MTU 1500 on $d failed"
    ip -n "vf$j" link set "$d" down; ip -n "vf$j" link set "$d" up
    ip netns exec "vf$j" ethtool -G "$d" rx $((c % 2 ? 256 : 512)) tx $((c % 2 ? 256 : 512)) ||
        echo "    ethtool -G of $d failed"
}

stalls=0 deaf=0 back=0 warn=0 setup=0 t_start=$SECONDS
for c in $(seq 1 "$cycles"); do
    servers
    [ -z "${QV_STRESS_TRACE:-}" ] || stamp "cycle $c: up"
    if ! up_all; then
        echo "    cycle $c: set-up failed"; setup=$((setup + 1))
        echo 0 > "$sys/sriov_numvfs"; rmmod qosvnic; continue
    fi
    [ -z "${QV_STRESS_TRACE:-}" ] || stamp "cycle $c: VFs up"
    t=$((c % 3)) a=$(((c + 1) % 3)) b=$(((c + 2) % 3))
    eval "dt=\$dev$t"
    # Traffic: VF a -> VF b (checked), the PF -> VF t (through the torture).
    ip netns exec "vf$a" timeout 30 iperf3 -c "$(vfip "$b")" -t 5 -i 1 -f k > /tmp/ab.out 2>&1 &
    ab=$!
    timeout 8 iperf3 -c "$(vfip "$t")" -t 4 > /dev/null 2>&1 &
    pt=$!
    monotonic "vf$t" "$dt" 4 > /tmp/mono.out &
    mono=$!
    sleep 0.5
    [ -z "${QV_STRESS_TRACE:-}" ] || stamp "cycle $c: torture"
    torture "$c" "$t"
    [ -z "${QV_STRESS_TRACE:-}" ] || stamp "cycle $c: tortured"
    wait "$ab"; rab=$?
    wait "$mono" || { back=$((back + 1)); echo "    cycle $c: VF $t counters $(cat /tmp/mono.out)"; }
    wait "$pt"
    # Every 1 s interval of the a -> b stream carried data.
    iv=$(awk '/sec/ && !/sender|receiver/ && $3 ~ /-/ {n++; if ($5 + 0 == 0) z++} END {print n + 0, z + 0}' /tmp/ab.out)
    if [ "$rab" != 0 ] || [ "${iv%% *}" -lt 5 ] || [ "${iv##* }" != 0 ]; then
        stalls=$((stalls + 1))
        echo "    cycle $c: VF $a -> VF $b stream (VF $t tortured): iperf3 rc $rab, intervals/empty $iv"
        tail -n 4 /tmp/ab.out | sed 's/^/    | /'
    fi
    # The tortured VF carries traffic again (its MAC changed: fresh ARP).
    ip -n "vf$a" neigh flush all
    if ! ip netns exec "vf$a" ping -c 2 -w 10 "$(vfip "$t")" > /dev/null; then
        deaf=$((deaf + 1)); echo "    cycle $c: VF $t unreachable after the torture"
    fi
    # Tear down under traffic; every other cycle rmmod with VFs enabled.
    [ -z "${QV_STRESS_TRACE:-}" ] || stamp "cycle $c: teardown"
    ip netns exec "vf$a" iperf3 -c "$(vfip "$b")" -t 3 > /dev/null 2>&1 &
    ab=$!
    sleep 0.5
    [ $((c % 2)) = 0 ] && echo 0 > "$sys/sriov_numvfs"
    [ -z "${QV_STRESS_TRACE:-}" ] || stamp "cycle $c: VFs off"
    rmmod qosvnic || echo "    cycle $c: rmmod failed"
    [ -z "${QV_STRESS_TRACE:-}" ] || stamp "cycle $c: rmmod"
    # Its connection lost its devices: it would wait for the TCP timeout.
    kill "$ab" 2>/dev/null; wait "$ab" 2>/dev/null
    if klog | grep -qE "$bad"; then
        warn=$((warn + 1))
        echo "    cycle $c: kernel warnings:"; klog | grep -E -A3 "$bad" | head -n 20 | sed 's/^/    | /'
        break
    fi
    { [ "$c" -le 3 ] || [ $((c % 10)) = 0 ]; } && echo "    cycle $c of $cycles done, $((SECONDS - t_start)) s"
done
echo "    $cycles cycles in $((SECONDS - t_start)) s"
check "driver-stress: set-up (load, 3 VFs) worked in all $cycles cycles" [ "$setup" = 0 ]
check "driver-stress: no WARNING/BUG/Oops/hung task/watchdog line in dmesg after $cycles cycles" [ "$warn" = 0 ]
check "driver-stress: the untouched VFs' TCP stream went on through every torture ($stalls stalls)" [ "$stalls" = 0 ]
check "driver-stress: the tortured VF carried traffic again after every cycle ($deaf failures)" [ "$deaf" = 0 ]
check "driver-stress: the tortured VF's counters never went backwards across resets" [ "$back" = 0 ]

# Power off with VFs enabled and busy: shutdown must leave nothing running.
if up_all; then
    ip netns exec vf0 iperf3 -c "$(vfip 1)" -t 60 > /dev/null 2>&1 &
    sleep 1
else
    fail "driver-stress: set-up before the power-off"
fi
klog | grep -E "$bad" && fail "driver-stress: no kernel warnings at the end"
dmesg | awk -f /lib/qv-kcsan.awk 2>&1 >/dev/null | sed 's/^/    /'
exit "$qv_fail"
