#!/usr/bin/env bash
# Fuzz the qosvnic device with QEMU's generic-fuzz and libFuzzer.
#
# The target is generic-fuzz-qosvnic (patches/0006): a q35 machine with
# the PF and 4 VFs, the VFs enabled and their BARs mapped before every
# input, fuzzing the PF's and the VFs' registers, config space, DMA and
# the backend (slirp answers what the device sends). The fuzzer binary
# comes from the ASan+UBSan build directory (scripts/build-qemu.sh
# --sanitize, cached under $QOSVNIC_CACHE, shared with the sanitizer
# qtests), so a memory error or undefined behaviour is a crash.
#
# The corpus is kept under $QOSVNIC_CACHE/fuzz/corpus across runs;
# crashing inputs go to $QOSVNIC_CACHE/fuzz/crashes. Each run appends its
# executions to $QOSVNIC_CACHE/fuzz/runs.log and prints the total so far,
# the device functions the run covered (PF and VF register handlers
# included) and the crashes it found.
#
# Usage: scripts/fuzz.sh [--minutes N | --seconds N] [--no-build]
#   default 10 minutes; exit status 1 if the run found a crash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

seconds=600 build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) seconds=$(($2 * 60)); shift ;;
        --seconds) seconds=$2; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ "$seconds" -gt 0 ] 2>/dev/null || die "--minutes/--seconds want a positive number"

out=$QOSVNIC_ROOT/out/qemu-san
if [ "$build" = 1 ]; then
    step "building qemu-fuzz-x86_64 (clang, libFuzzer, ASan+UBSan; cached)"
    out=$("$here/build-qemu.sh" --sanitize qemu-fuzz-x86_64 | tail -n 1)
fi
fuzzer=$out/bin/qemu-fuzz-x86_64
[ -x "$fuzzer" ] || die "no $fuzzer: run without --no-build"

dir=$QOSVNIC_CACHE/fuzz
mkdir -p "$dir/corpus" "$dir/crashes"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
before=$(find "$dir/crashes" -type f | wc -l)

step "fuzzing generic-fuzz-qosvnic for $seconds s (corpus: $(find "$dir/corpus" -type f | wc -l) inputs in $dir/corpus)"
# Leaks at QEMU's exit are QEMU's, not the device's: memory errors and
# undefined behaviour are what this looks for.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
rc=0
(cd "$dir" && "$fuzzer" --fuzz-target=generic-fuzz-qosvnic corpus \
    -max_total_time="$seconds" -print_final_stats=1 -print_coverage=1 \
    -artifact_prefix="$dir/crashes/" -timeout=30 -rss_limit_mb=4096) \
    >"$log" 2>&1 || rc=$?
grep -E '^#[0-9]+.*(NEW|REDUCE|pulse|DONE)' "$log" | tail -n 5 || true

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
execs=${execs:-0}
echo "$(date -u +%FT%TZ) seconds=$seconds executions=$execs rc=$rc" >>"$dir/runs.log"
total=$(sed -n 's/.* executions=\([0-9]*\).*/\1/p' "$dir/runs.log" |
        awk '{ n += $1 } END { print n + 0 }')
after=$(find "$dir/crashes" -type f | wc -l)

step "results"
echo "executions: $execs this run, $total in all runs ($dir/runs.log)"
echo "corpus: $(find "$dir/corpus" -type f | wc -l) inputs"
# COVERED_FUNC lines: "COVERED_FUNC: hits: N edges: x/y name file:line".
grep '^COVERED_FUNC: .*qosvnic' "$log" |
    sed -n 's/^COVERED_FUNC: hits: [0-9]* edges: \([0-9]*\)\/\([0-9]*\) \([^ ]*\) .*hw\/net\/qosvnic\/\([^:]*\):.*/\4 \3 \1\/\2/p' |
    sort >"$dir/coverage.txt" || true
echo "device functions covered: $(wc -l <"$dir/coverage.txt") ($dir/coverage.txt: file, function, edges)"
for f in qosvnic-vf.c qosvnic-regs.c qosvnic-rx.c qosvnic-sched.c qosvnic-tx.c qosvnic-tx-sched.c; do
    echo "  $f: $(awk -v f="$f" '$1 == f' "$dir/coverage.txt" | wc -l) functions"
done
echo "crashes: $((after - before)) new, $after kept in $dir/crashes"
if [ "$rc" != 0 ] || [ "$after" -gt "$before" ]; then
    grep -E 'ERROR: AddressSanitizer|runtime error|deadly signal|Timeout' "$log" | head -n 5 || true
    tail -n 40 "$log" >&2
    echo "FAIL: fuzz generic-fuzz-qosvnic (exit $rc)"
    exit 1
fi
echo "PASS: fuzz generic-fuzz-qosvnic ($execs executions, no crash)"
