# Host side of bench-nic.sh for one NIC (sourced by scripts/qv-agent.sh's
# agent_run in run-guest.sh's namespace). Appends result lines to $BENCH_OUT:
#   nic test unit value qemu_cpu_s_per_GB tap_mean_frame_B guest_cpu_pct extra
# Progress goes to stderr.
# shellcheck shell=bash
# shellcheck disable=SC2154  # PFDEV, VFDEV0.. come from agent_env

T=${BENCH_SECONDS:-5} REPS=${BENCH_REPS:-3} NIC=$BENCH_NIC
G=10.77.0.11
netperf=$QOSVNIC_ROOT/out/tools/bin/netperf
hz=$(getconf CLK_TCK)
prog() { printf '    [%s] %s\n' "$NIC" "$*" >&2; }

agent_env || { prog "guest set-up not readable"; exit 1; }
qpid=$(agent_qemu_pid) || { prog "no QEMU process in the namespace"; exit 1; }
dev=$VFDEV0
prog "guest netdev $dev in netns vf0 ($G); QEMU pid $qpid"
if [ -n "${BENCH_GUEST_CMD:-}" ]; then
    prog "guest command: $BENCH_GUEST_CMD"
    gxn vf0 "DEV=$dev; $BENCH_GUEST_CMD" >&2 || prog "guest command failed"
    echo "$NIC guest-cmd - $BENCH_GUEST_CMD" >> "$BENCH_OUT.info"
fi
gxn vf0 "ethtool -i $dev | head -n 1; ethtool -k $dev" |
    grep -E '^(driver|rx-checksumming|tx-checksumming|tcp-segmentation-offload|generic-receive-offload|large-receive-offload):' |
    tr '\n' ' ' | sed 's/^/    offloads: /; s/$/\n/' >&2
echo "$NIC offloads - $(gxn vf0 "ethtool -k $dev" | awk '/^(tcp-segmentation-offload|large-receive-offload|rx-checksumming|tx-checksumming):/ {printf "%s=%s,", $1, $2}' | tr -d :)" >> "$BENCH_OUT.info"

tapstat() { cat /sys/class/net/qvtap0/statistics/"$1"; }
gcpu() { gx "grep -E '^(cpu|intr)' /proc/stat | cut -d' ' -f1-12 | tr '\\n' ';'"; }   # cpu lines and the interrupt total
# Interrupts per second the guest took between two gcpu readings.
girq() { # before after
    awk -v a="$1" -v b="$2" -v t="$T" 'BEGIN {
        n = split(a, la, ";"); split(b, lb, ";")
        for (l = 1; l <= n; l++) if (la[l] ~ /^intr/) { split(la[l], x, " "); split(lb[l], y, " ") }
        printf "%.0f", (y[2] - x[2]) / t }'
}
gbusy() { # before after -> "avg/max" busy % over the guest's vCPUs
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, la, ";"); split(b, lb, ";"); mx = 0
        for (l = 1; l <= n; l++) {
            if (la[l] == "" || la[l] ~ /^intr/) continue
            m = split(la[l], x, " "); split(lb[l], y, " "); t = 0
            for (i = 2; i <= m; i++) t += y[i] - x[i]
            idle = (y[5] - x[5]) + (y[6] - x[6])
            p = t > 0 ? 100 * (t - idle) / t : 0
            if (l == 1) avg = p; else if (p > mx) mx = p
        }
        printf "%.0f/%.0f", avg, mx }'
}
# Device/driver counters worth seeing next to a run (qosvnic only).
dstats() { [ "$NIC" = qosvnic ] || return 0; gxn vf0 "ethtool -S $dev" | awk '$1 ~ /^(tx_tso|rx_large_frames|tx_csum_offload|rx_csum_unnecessary|rx_drop_buffer|rx_drop_ring_full):$/ {printf "%s=%s ", $1, $2}'; }
ddelta() { # before after: "k=v ..." -> "k=+d ..." for k with d > 0
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i <= n; i++) { split(x[i], p, "="); split(y[i], q, "=")
            if (q[2] - p[2] > 0) printf "%s+%d,", p[1], q[2] - p[2] } }'
}

# --profile: the guest kernel's profiler (profile=6 on its command line),
# cleared before a test and read after it; non-zero buckets as
# "index count" lines (the first line is the bucket size) appended to
# $BENCH_PROFILE/profile-NIC-TEST.raw for scripts/guest-profile.py, with
# the guest's /proc/kallsyms (text) once per boot.
prof_start() { [ -z "${BENCH_PROFILE:-}" ] || gx 'echo 0 > /proc/profile' >/dev/null; }
prof_save() { # test
    [ -n "${BENCH_PROFILE:-}" ] || return 0
    # Debian's System.map is a stub: the running kernel's own symbols.
    [ -s "$BENCH_PROFILE/kallsyms-$NIC" ] ||
        gx "awk 'NF == 3 && (\$2 ~ /^[tT]\$/ || \$3 == \"_stext\" || \$3 == \"_etext\")' /proc/kallsyms" \
            > "$BENCH_PROFILE/kallsyms-$NIC"
    gx "od -An -v -t u4 /proc/profile | tr -s ' ' '\\n' |
        awk 'NF { if (!n++) print \"step\", \$1; else if (\$1 > 0) print n - 2, \$1 }'" \
        >> "$BENCH_PROFILE/profile-$NIC-$1.raw"
}

stream() { # test iperf3-args...: one TCP stream run, host side is the client
    local test=$1 c0 c1 g0 g1 dir p0 p1 b0 b1 bits bytes s0 s1 rtx
    shift
    case "$test" in tcp_rx*) dir=tx ;; *) dir=rx ;; esac  # tap side the data crosses
    IPERF_JSON=$(mktemp)
    s0=$(dstats); prof_start; g0=$(gcpu)
    c0=$(agent_cpu_ticks "$qpid"); p0=$(tapstat "${dir}_packets"); b0=$(tapstat "${dir}_bytes")
    bits=$(IPERF_JSON=$IPERF_JSON ip3 -c "$G" -t "$T" "$@")
    c1=$(agent_cpu_ticks "$qpid"); p1=$(tapstat "${dir}_packets"); b1=$(tapstat "${dir}_bytes")
    g1=$(gcpu); prof_save "$test"; s1=$(dstats)
    bytes=$(jq -r '.end.sum_received.bytes // 0' "$IPERF_JSON" 2>/dev/null)
    rtx=$(jq -r '.end.sum_sent.retransmits // "?"' "$IPERF_JSON" 2>/dev/null)
    rm -f "$IPERF_JSON"
    if [ -z "$bits" ]; then prog "$test: iperf3 failed"; return 1; fi
    awk -v n="$NIC" -v t="$test" -v bits="$bits" -v by="$bytes" -v c=$((c1 - c0)) -v hz="$hz" \
        -v pk=$((p1 - p0)) -v bb=$((b1 - b0)) -v g="$(gbusy "$g0" "$g1")" -v x="retrans=$rtx,irq_per_s=$(girq "$g0" "$g1"),$(ddelta "$s0" "$s1")" 'BEGIN {
        printf "%s %s Mbit/s %.1f %.2f %.0f %s %s\n", n, t, bits / 1e6,
            (by > 0 ? (c / hz) / (by / 1e9) : 0), (pk > 0 ? bb / pk : 0), g, (x == "" ? "-" : x) }' |
        tee -a "$BENCH_OUT" | { read -r _ _ _ v cpu fr gc ex; prog "$test: $v Mbit/s, QEMU ${cpu} CPU s/GB, tap frames ${fr} B, guest CPU ${gc} %, $ex"; }
}

# UDP RcvbufErrors of the guest's netns vf0 (/proc/net/snmp, Udp: line).
rcvbuf() { gxn vf0 "cat /proc/net/snmp" | awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ {print $6; exit}'; }

udp64() { # 64-byte UDP datagrams host->guest at a fixed offered rate
    local pps=${BENCH_UDP_PPS:-100000} j g0 g1 c0 c1 r0 r1 got
    j=$(mktemp)
    prof_start; g0=$(gcpu); c0=$(agent_cpu_ticks "$qpid"); r0=$(rcvbuf)
    timeout 60 iperf3 -J -c "$G" -u -l 64 -b "$((pps * 64 * 8))" -t "$T" > "$j" 2>&1
    c1=$(agent_cpu_ticks "$qpid"); g1=$(gcpu); r1=$(rcvbuf); prof_save udp64_rx
    # Datagrams the receiver got per second, in thousands.
    got=$(jq -r --argjson t "$T" '.end.sum | select(.packets != null) |
          ((.packets - .lost_packets) / $t / 1000)' "$j" 2>/dev/null)
    rm -f "$j"
    if [ -z "$got" ]; then prog "udp64_rx: iperf3 failed"; return 1; fi
    echo "$NIC udp64_rx kpps $got 0 0 $(gbusy "$g0" "$g1") offered_kpps=$((pps / 1000)),rcvbuf_errors=+$(( ${r1:-0} - ${r0:-0} )),irq_per_s=$(girq "$g0" "$g1"),qemu_cpu_pct=$(( (c1 - c0) * 100 / hz / T ))" >> "$BENCH_OUT"
    prog "udp64_rx: $got kpps received of $((pps / 1000)) offered, guest CPU $(gbusy "$g0" "$g1") %, RcvbufErrors +$(( ${r1:-0} - ${r0:-0} ))"
}

# Frames the driver's XDP program dropped: the sum of its ethtool -S XDP
# drop counters (qosvnic rx_xdp_drop, virtio-net rx_queue_N_xdp_drops).
# Not rx_packets: qosvnic's comes from the device, which counts frames
# it received whether or not the driver got to them.
xdpdrops() { gxn vf0 "ethtool -S $dev" | awk '$1 ~ /xdp_drops?:$/ {n += $2} END {print n + 0}'; }

xdp_drop() { # the udp64 load with an XDP program that drops every frame
    local pps=${BENCH_UDP_PPS:-100000} p0 p1 g0 g1 c0 c1 sent got m
    if [ "$NIC" = igbvf ]; then prog "xdp_drop: igbvf has no native XDP"; return 0; fi
    xb_start drop -m native "$dev"
    m=$(xb_mode "$dev")
    if [ "$m" != xdp ]; then
        prog "xdp_drop: no native XDP program attached ($m): $(gx 'tail -n 1 /tmp/xb.log')"
        xb_stop; return 1
    fi
    # Nothing answers ARP meanwhile.
    ip neigh replace "$G" lladdr "$(gxn vf0 "cat /sys/class/net/$dev/address")" dev qvtap0 nud permanent
    p0=$(xdpdrops); g0=$(gcpu); c0=$(agent_cpu_ticks "$qpid")
    read -r sent secs <<< "$(udp_send "$G" "$((pps * T))" "$pps")"
    sleep 1
    c1=$(agent_cpu_ticks "$qpid"); g1=$(gcpu); p1=$(xdpdrops)
    xb_stop
    ip neigh del "$G" dev qvtap0 2>/dev/null || true
    got=$(awk -v p=$((p1 - p0)) -v s="$secs" 'BEGIN {printf "%.1f", p / s / 1000}')
    echo "$NIC xdp_drop kpps $got 0 0 $(gbusy "$g0" "$g1") offered_kpps=$(awk -v n="$sent" -v s="$secs" 'BEGIN {printf "%.1f", n / s / 1000}'),qemu_cpu_pct=$(( (c1 - c0) * 100 / hz / T ))" >> "$BENCH_OUT"
    prog "xdp_drop: $got kpps dropped by the XDP program ($sent datagrams sent in $secs s), guest CPU $(gbusy "$g0" "$g1") %"
}

rr() { # test: netperf TCP_RR / TCP_CRR
    local test=$1 out tps g0 g1 c0 c1
    prof_start; g0=$(gcpu); c0=$(agent_cpu_ticks "$qpid")
    out=$(timeout 60 "$netperf" -H "$G" -l "$T" -t "$test" -P 0 -- -r 1,1 -o THROUGHPUT,MEAN_LATENCY 2>&1)
    c1=$(agent_cpu_ticks "$qpid"); g1=$(gcpu); prof_save "${test,,}"
    tps=$(printf '%s\n' "$out" | awk -F, 'NF == 2 && $1 + 0 > 0 {print $1}' | tail -n 1)
    if [ -z "$tps" ]; then prog "$test: netperf failed: $(printf '%s' "$out" | tail -n 1)"; return 1; fi
    lat=$(printf '%s\n' "$out" | awk -F, 'NF == 2 {print $2}' | tail -n 1)
    t=${test,,}
    echo "$NIC $t trans/s $tps 0 0 $(gbusy "$g0" "$g1") lat_us=$lat,irq_per_s=$(girq "$g0" "$g1"),qemu_cpu_pct=$(( (c1 - c0) * 100 / hz / T ))" >> "$BENCH_OUT"
    prog "$t: $tps trans/s (mean latency $lat us), guest CPU $(gbusy "$g0" "$g1") %"
}

for r in $(seq 1 "$REPS"); do
    prog "run $r/$REPS"
    for t in ${BENCH_TESTS//,/ }; do
        case "$t" in
            tcp_rx) stream tcp_rx ;;
            tcp_rx4) stream tcp_rx4 -P 4 ;;
            tcp_tx) stream tcp_tx -R ;;
            udp64_rx) udp64 ;;
            xdp_drop) xdp_drop ;;
            tcp_rr) rr TCP_RR ;;
            tcp_crr) rr TCP_CRR ;;
        esac
    done
done

if [ "${BENCH_ISO:-1}" = 1 ] && [ "$NIC" = qosvnic ] && [ "${NVFS:-0}" -ge 3 ]; then
    # Isolation: VF2's TCP alone, then with VF1 (policed) flooded at 10x.
    lim=${BENCH_ISO_MBIT:-20}
    # VF 1's ingress rate: the host's setting (QMP), not a ceiling.
    python3 "$QOSVNIC_ROOT/scripts/qmp.py" "$QV_QMP" \
        "{\"execute\":\"qosvnic-set-vf\",\"arguments\":{\"id\":\"nic0\",\"vf\":1,\"rx-rate\":$((lim * 1000000)),\"limit\":false}}" > /dev/null
    for r in $(seq 1 "$REPS"); do
        a0=$(agent_cpu_ticks "$qpid")
        alone=$(ip3 -c 10.77.0.13 -t "$T")
        a1=$(agent_cpu_ticks "$qpid")
        d0=$(gxn vf1 "ethtool -S $VFDEV1" | awk '$1 == "rx_drop_rate:" {print $2}')
        c0=$(agent_cpu_ticks "$qpid")
        timeout 60 iperf3 -c 10.77.0.12 -u -b "$((lim * 10))M" -l 1400 -t "$((T + 2))" -J > /dev/null 2>&1 &
        fp=$!
        sleep 1
        flooded=$(ip3 -c 10.77.0.13 -t "$T")
        wait "$fp"
        c1=$(agent_cpu_ticks "$qpid")
        d1=$(gxn vf1 "ethtool -S $VFDEV1" | awk '$1 == "rx_drop_rate:" {print $2}')
        ratio=$(awk -v a="${alone:-0}" -v f="${flooded:-0}" 'BEGIN {printf "%.2f", (a > 0 ? f / a : 0)}')
        echo "$NIC iso_ratio ratio $ratio 0 0 0 alone=$(mbit "${alone:-0}"),flooded=$(mbit "${flooded:-0}"),vf1_rate_drops=+$((d1 - d0))" >> "$BENCH_OUT"
        prog "isolation run $r: VF2 TCP alone $(mbit "${alone:-0}") Mbit/s, with VF1 flooded at $((lim * 10)) Mbit/s (limit $lim) $(mbit "${flooded:-0}") Mbit/s: ratio $ratio; VF1 rx_drop_rate +$((d1 - d0)); QEMU CPU alone $(( (a1 - a0) * 100 / hz / T )) %, flooded $(( (c1 - c0) * 100 / hz / (T + 2) )) %"
    done
fi
true
