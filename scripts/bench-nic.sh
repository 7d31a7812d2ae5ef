#!/usr/bin/env bash
# NIC benchmark (prints numbers; not a test): the same guest, accelerator
# and host side for
#   qosvnic  a qosvnic VF (qosvnic.ko; 3 VFs, VF 0 measured)
#   igbvf    QEMU's igb with one VF (igbvf)
#   virtio   virtio-net-pci, no vhost
# each with its netdev in guest netns vf0 as 10.77.0.11/24 behind a tap
# with vnet_hdr=on (run-guest.sh). Per NIC, one boot and BENCH_REPS runs
# (default 3) of: iperf3 TCP host->guest with 1 and 4 streams (tcp_rx,
# tcp_rx4) and guest->host (tcp_tx), 64-byte UDP datagrams host->guest at
# BENCH_UDP_PPS (100000) offered (udp64_rx: kpps received, the guest's
# UdpRcvbufErrors), the same load into a native XDP program that drops
# every frame (xdp_drop: kpps it dropped, per the driver's counters;
# igbvf has no XDP), netperf TCP_RR and TCP_CRR (1-byte request/response). The host always
# runs the client. Reported: min/median/max, and for the streams (medians)
# the host CPU seconds of the QEMU process per GB received (utime+stime
# from /proc/PID/stat around each run), the mean frame size on the tap
# (frames per byte decide throughput under TCG), the guest's CPU busy %,
# and for qosvnic the device/driver offload counters (tx_tso, rx_large_frames).
# Isolation (qosvnic): VF 2's TCP throughput alone and while VF 1, policed at
# BENCH_ISO_MBIT (20) Mbit/s, is flooded with UDP at 10x that; the ratio.
#
# Usage: scripts/bench-nic.sh [--nics qosvnic,igbvf,virtio] [--seconds N]
#                             [--reps N] [--out DIR] [--qosvnic-args "k=v,..."]
#                             [--tests tcp_rx,...] [--profile]
#                             [--guest-cmd NIC:CMD]...
#   --qosvnic-args  extra -device qosvnic properties (e.g. buffer-size=4194304)
#   --tests         only these tests (default: all of the above)
#   --guest-cmd     run CMD in the guest before NIC's tests, in the measured
#                   netdev's namespace with $DEV its name (e.g.
#                   'qosvnic:ethtool -C $DEV rx-usecs 50'); shown in the table
#   --profile       boot the guests with the kernel's profiler (profile=6)
#                   and print, per NIC and test, where the guest's
#                   kernel spent its timer ticks (core kernel symbols; all
#                   modules, the NIC drivers included, count as [modules]).
#                   Costs little, but compare numbers only between runs
#                   with the same setting.
#   --report DIR    only print the table of an earlier run's DIR
# Progress on stderr, the table on stdout; raw lines in DIR/results.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

all_tests=tcp_rx,tcp_rx4,tcp_tx,udp64_rx,xdp_drop,tcp_rr,tcp_crr
nics=qosvnic,igbvf,virtio out='' qvargs='' report=0 profile=0 gcmds=()
export BENCH_SECONDS=${BENCH_SECONDS:-5} BENCH_REPS=${BENCH_REPS:-3}
export BENCH_TESTS=${BENCH_TESTS:-$all_tests}
while [ $# -gt 0 ]; do
    case "$1" in
        --nics) nics=$2; shift ;;
        --seconds) BENCH_SECONDS=$2; shift ;;
        --reps) BENCH_REPS=$2; shift ;;
        --out) out=$2; shift ;;
        --qosvnic-args) qvargs=$2; shift ;;
        --tests) BENCH_TESTS=$2; shift ;;
        --profile) profile=1 ;;
        --guest-cmd) case "$2" in
                         *:*) gcmds+=("$2") ;;
                         *) die "--guest-cmd $2: expected NIC:COMMAND" ;;
                     esac
                     shift ;;
        --report) out=$2; report=1; shift ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
for t in ${BENCH_TESTS//,/ }; do
    case ",$all_tests," in *",$t,"*) ;; *) die "unknown test $t (tests: $all_tests)" ;; esac
done
run_all() {
    [ "$(id -u)" = 0 ] || die "bench-nic.sh needs root (network namespace, tap)"
    for t in jq iperf3; do command -v "$t" >/dev/null || die "host tool $t missing (scripts/setup-host.sh)"; done
    mkdir -p "$out"
    : > "$BENCH_OUT"; : > "$BENCH_OUT.info"
    echo "$qvargs" > "$out/qosvnic-args"
    echo "$BENCH_TESTS" > "$out/tests"
    # The isolation runs (qosvnic) only come with the whole set.
    export BENCH_ISO=0
    [ "$BENCH_TESTS" != "$all_tests" ] || BENCH_ISO=1
    export BENCH_PROFILE=''
    [ "$profile" = 0 ] || BENCH_PROFILE=$out

    step "building QEMU and the guest (cached)"
    "$here/build-qemu.sh" > /dev/null
    QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" > /dev/null

    for nic in ${nics//,/ }; do
        case "$nic" in
            qosvnic) agent_setup_qosvnic_vfs 3 > "$out/setup-$nic"
                     export QV_QMP=$out/qmp-$nic.sock
                     args=(--nic qosvnic --vfs 8 --qmp "$QV_QMP")
                     [ -z "$qvargs" ] || args+=(--device-args "$qvargs") ;;
            igbvf) agent_setup_igbvf > "$out/setup-$nic"; args=(--nic igb) ;;
            virtio) agent_setup_virtio > "$out/setup-$nic"; args=(--nic virtio) ;;
            *) die "unknown NIC $nic (qosvnic, igbvf, virtio)" ;;
        esac
        [ "$profile" = 0 ] || args+=(--append profile=6)
        step "$nic: boot, then $BENCH_REPS x ($BENCH_TESTS) of ${BENCH_SECONDS} s"
        export BENCH_NIC=$nic BENCH_GUEST_CMD=''
        for c in "${gcmds[@]}"; do
            [ "${c%%:*}" != "$nic" ] || BENCH_GUEST_CMD="${BENCH_GUEST_CMD:+$BENCH_GUEST_CMD; }${c#*:}"
        done
        if ! agent_run "bench-$nic" "$out/setup-$nic" "$here/bench-nic.host.bash" "$out/console-$nic.log" \
                "${args[@]}" --ip none --timeout 1200 >&2; then
            note "$nic: the run failed (console: $out/console-$nic.log)"
        fi
        if [ "$profile" = 1 ]; then
            for raw in "$out"/profile-"$nic"-*.raw; do
                [ -f "$raw" ] || continue
                /usr/bin/python3 "$here/guest-profile.py" "$out/kallsyms-$nic" "$raw" > "${raw%.raw}.txt"
            done
        fi
    done
}


out=${out:-$(mktemp -d /tmp/qvn-bench.XXXXXX)}
export BENCH_OUT=$out/results.txt
if [ "$report" = 1 ]; then
    [ -f "$BENCH_OUT" ] || die "$BENCH_OUT: no results there"
    qvargs=$(cat "$out/qosvnic-args" 2>/dev/null || true)
    BENCH_TESTS=$(cat "$out/tests" 2>/dev/null || echo "$all_tests")
    nics=$(awk '$2 != "iso_ratio" && !s[$1]++ {printf "%s%s", c, $1; c = ","}' "$BENCH_OUT")
else
    run_all
fi

# ------------------------------------------------------------------ table
stats() { # values on stdin -> "min median max"
    sort -g | awk '{v[NR] = $1} END {
        if (!NR) { print "- - -"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%g %g %g\n", v[1], m, v[NR] }'
}
med() { stats | awk '{print $2}'; }
echo
echo "qosvnic NIC benchmark: $(date -u +%F)${qvargs:+, qosvnic $qvargs}, accel $(qosvnic_accel_args 2>/dev/null | awk '{print $2}'), $BENCH_REPS runs x ${BENCH_SECONDS} s, host $(nproc) CPUs"
echo
# QEMU CPU per frame the NIC carried in the data direction (the whole
# process: under TCG mostly the guest's own work on its vCPUs): from CPU
# s/GB and the mean frame for streams, from the CPU share and the offered
# rate for datagrams (every offered frame reaches the driver), from the
# CPU share and two frames per transaction for tcp_rr.
per_frame() { # test, rows on stdin
    awk -v t="$1" '{
        x = $8; pct = x; sub(/.*qemu_cpu_pct=/, "", pct); sub(/,.*/, "", pct)
        off = x; sub(/.*offered_kpps=/, "", off); sub(/,.*/, "", off)
        if (t ~ /^tcp_(rx|rx4|tx)$/ && $6 > 0) printf "%.2f\n", $5 * $6 / 1000
        else if ((t == "udp64_rx" || t == "xdp_drop") && off > 0) printf "%.2f\n", pct * 10 / off
        else if (t == "tcp_rr" && $4 > 0) printf "%.2f\n", pct * 10000 / ($4 * 2)
    }' | med
}
printf '| %-7s | %-8s | %-7s | %9s | %9s | %9s | %13s | %12s | %9s | %9s | %s\n' \
    nic test unit min median max "QEMU CPU s/GB" "tap frame B" "QEMU us/f" "guest CPU %" "counters (last run)"
printf '|%s\n' "---------|----------|---------|-----------|-----------|-----------|---------------|--------------|-----------|-----------|---"
for test in ${BENCH_TESTS//,/ }; do
    for nic in ${nics//,/ }; do
        rows=$(awk -v n="$nic" -v t="$test" '$1 == n && $2 == t' "$BENCH_OUT")
        [ -n "$rows" ] || { printf '| %-7s | %-8s | %-7s | %9s | %9s | %9s |\n' "$nic" "$test" - failed - -; continue; }
        read -r mn md mx <<< "$(awk '{print $4}' <<< "$rows" | stats)"
        unit=$(awk 'NR == 1 {print $3}' <<< "$rows")
        cpu=$(awk '{print $5}' <<< "$rows" | med)
        fr=$(awk '{print $6}' <<< "$rows" | med)
        gc=$(awk '{split($7, g, "/"); print g[1]}' <<< "$rows" | med)
        gm=$(awk '{split($7, g, "/"); print g[2] == "" ? "-" : g[2]}' <<< "$rows" | med)
        ex=$(awk 'END {print $8}' <<< "$rows")
        pf=$(per_frame "$test" <<< "$rows")
        case "$test" in tcp_rr|tcp_crr|udp64_rx|xdp_drop) cpu=-; fr=- ;; esac
        printf '| %-7s | %-8s | %-7s | %9s | %9s | %9s | %13s | %12s | %9s | %9s | %s\n' \
            "$nic" "$test" "$unit" "$mn" "$md" "$mx" "$cpu" "$fr" "${pf:--}" "$gc/${gm:--}" "$ex"
    done
done
rows=$(awk '$2 == "iso_ratio"' "$BENCH_OUT")
if [ -n "$rows" ]; then
    read -r mn md mx <<< "$(awk '{print $4}' <<< "$rows" | stats)"
    echo
    echo "Isolation (qosvnic): VF 2 TCP with VF 1 flooded / VF 2 TCP alone: min $mn median $md max $mx"
    awk '{print "    " $8}' <<< "$rows"
fi
echo
echo "Offloads (ethtool -k of the measured netdev) and guest commands (--guest-cmd):"
sed 's/^/    /' "$BENCH_OUT.info"
echo "tcp_rx = host->guest (tcp_rx4: 4 streams), tcp_tx = guest->host; udp64_rx = 64-byte datagrams host->guest at a fixed offered rate;"
echo "xdp_drop = the same datagrams (a python sender: offered rate in the counters) into xdp-bench drop (native XDP);"
echo "tap frame B = mean frame size on the tap in the data direction;"
echo "QEMU us/f = QEMU's CPU time (all threads, the guest's vCPUs included) per frame in the data direction (tcp_rr: 2 frames a transaction);"
echo "guest CPU % = medians of the average over the guest's vCPUs / of the busiest vCPU (100 = busy)."
for prof in "$out"/profile-*.txt; do
    [ -f "$prof" ] || continue
    echo
    echo "Guest kernel profile, $(basename "${prof%.txt}" | sed 's/^profile-//; s/-/, /'): share of the guest's kernel timer ticks"
    head -n 16 "$prof" | sed 's/^/    /'
done
echo "Raw results: $BENCH_OUT"
