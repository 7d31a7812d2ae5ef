#!/usr/bin/env bash
# Fuzz the qosvnic device with QEMU's generic-fuzz and libFuzzer.
#
# The target is generic-fuzz-qosvnic (patches/0006): a q35 machine with
# the PF and 4 VFs, the VFs enabled and their BARs mapped before every
# input, fuzzing the PF's and the VFs' registers, config space, DMA and
# the backend (slirp answers what the device sends). --target
# qosvnic-shaped fuzzes the same machine with the device's wire and DMA
# engine slowed down (line-rate=10, dma-rate=1000000), where frames wait
# for them; both targets share the corpus. The fuzzer binary
# comes from the ASan+UBSan build directory (scripts/build-qemu.sh
# --sanitize, cached under $QOSVNIC_CACHE, shared with the sanitizer
# qtests), so a memory error or undefined behaviour is a crash.
#
# The corpus is kept under $QOSVNIC_CACHE/fuzz/corpus across runs, with
# the seeds of scripts/fuzz-seeds.py (rings set up, frames sent);
# crashing inputs go to $QOSVNIC_CACHE/fuzz/crashes. Each run appends its
# executions to $QOSVNIC_CACHE/fuzz/runs.log and prints the total so far,
# the device functions the run covered (PF and VF register handlers
# included) and the crashes it found.
#
# The corpus travels with the tree as qtests/fuzz/corpus.tar.xz: every run
# first adds its inputs to the cached corpus, so that a fresh machine (and
# check's smoke there) starts from what earlier runs found, not from the
# seeds alone. --merge minimizes the cached corpus with libFuzzer's
# -merge=1 (the inputs that add coverage on the plain target, then those
# that add more on the shaped one), keeps the old one as
# corpus-before-merge-DATE.tar.gz next to it, and writes the result to
# qtests/fuzz/corpus.tar.xz to be committed.
#
# After the run, every corpus input is replayed once on each target's
# machine with the device's trace events on (the generic-fuzz target with
# the machines patches/0006 configures), and
# $QOSVNIC_CACHE/fuzz/trace-coverage.txt lists each event of
# hw-net-qosvnic/trace-events with how often the corpus reached it on the
# PF (fn 0), on VFs, and device-wide.
#
# Usage: scripts/fuzz.sh [--minutes N | --seconds N] [--no-build]
#                        [--target qosvnic|qosvnic-shaped]
#                        [--trace-only | --no-trace] [--no-seeds]
#        scripts/fuzz.sh --merge [--no-build]
#   default 10 minutes; exit status 1 if the run found a crash.
#   --trace-only: no fuzzing, only the trace-event coverage of the corpus.
#   --no-trace: fuzzing only, no trace-event coverage (about 80 s less).
#   --no-seeds: do not add scripts/fuzz-seeds.py's inputs.
#
# The fuzzer runs against libslirp built from trixie's source with ASan
# (scripts/build-slirp.sh): bookworm's 4.7.0 crashes in its IPv4
# reassembly on fragments the device sends, without a report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

seconds=600 build=1 fuzz=1 trace=1 seeds=1 target=qosvnic merge=0
while [ $# -gt 0 ]; do
    case "$1" in
        --merge) merge=1 ;;
        --minutes) seconds=$(($2 * 60)); shift ;;
        --seconds) seconds=$2; shift ;;
        --no-build) build=0 ;;
        --trace-only) fuzz=0 ;;
        --no-trace) trace=0 ;;
        --no-seeds) seeds=0 ;;
        --target) target=$2; shift ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ "$seconds" -gt 0 ] 2>/dev/null || die "--minutes/--seconds want a positive number"
case "$target" in
    qosvnic|qosvnic-shaped) ;;
    *) die "--target $target: the targets are qosvnic and qosvnic-shaped" ;;
esac

out=$QOSVNIC_ROOT/out/qemu-san
if [ "$build" = 1 ]; then
    step "building qemu-fuzz-x86_64 (clang, libFuzzer, ASan+UBSan; cached)"
    out=$("$here/build-qemu.sh" --sanitize qemu-fuzz-x86_64 | tail -n 1)
fi
fuzzer=$out/bin/qemu-fuzz-x86_64
[ -x "$fuzzer" ] || die "no $fuzzer: run without --no-build"
# The backend's TCP/IP stack: libslirp 4.8 with ASan, not bookworm's 4.7.0,
# which crashes in its own IPv4 reassembly (scripts/build-slirp.sh says how).
slirp=$("$here/build-slirp.sh" | tail -n 1)
export LD_LIBRARY_PATH=$slirp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# ldd's whole output first: grep -q stops reading at its match, and ldd,
# killed by SIGPIPE, would fail the pipeline (pipefail) now and then.
libs=$(ldd "$fuzzer")
grep -q "libslirp.so.0 => $slirp/" <<< "$libs" ||
    die "$fuzzer does not load $slirp/libslirp.so.0 (ldd: $(grep slirp <<< "$libs"))"

dir=$QOSVNIC_CACHE/fuzz
mkdir -p "$dir/corpus" "$dir/crashes"
log=$(mktemp) tlog=$(mktemp)
trap 'rm -f "$log" "$tlog"' EXIT
# libFuzzer's artifacts: crash-, timeout-, oom- and leak- inputs are
# failures; a slow-unit- input only took over 10 s, which a busy host
# causes, so it is kept and shown but fails nothing.
# An input is a timeout after $timeout s. The device's own work per input
# is small; the backend's is not: slirp keeps every frame it cannot send
# yet (the fuzzer never answers its ARP requests) and walks that queue,
# clearing a 64 KiB buffer for each, whenever the device sends to it. An
# input that sends 4,600 frames took 35 s alone with ASan, all but 1 s of
# it in slirp's if_start(). A hang in the device is still a timeout.
timeout=120
failures() { find "${1:-$dir/crashes}" -type f ! -name 'slow-unit-*' | wc -l; }
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

# Replay the corpus with the trace events on: the generic target takes its
# machine from the environment, so -trace can be added (the predefined
# targets set the arguments themselves). Keep these machines those of the
# qosvnic and qosvnic-shaped configs in patches/0006. The events go to
# stderr: the fuzzer exits without flushing a trace file.
trace_coverage() {
    local n props
    n=$(find "$dir/corpus" -type f | wc -l)
    : > "$tlog"
    for props in "" ",line-rate=10,dma-rate=1000000"; do
        step "trace-event coverage: replaying the $n corpus inputs with qosvnic_* traced (qosvnic$props)"
        (cd "$dir" &&
            QEMU_FUZZ_ARGS="-M q35 -nodefaults -device qosvnic,netdev=net0,max-vfs=4,buffer-size=65536$props -netdev user,id=net0 -trace enable=qosvnic_*" \
            QEMU_FUZZ_OBJECTS="qosvnic qosvnic-vf-mmio*" QEMU_FUZZ_SRIOV=1 \
            "$fuzzer" --fuzz-target=generic-fuzz -runs=0 corpus >> "$tlog" 2>&1) ||
            { tail -n 20 "$tlog" >&2; die "replaying the corpus failed (qosvnic$props)"; }
    done
    # Per event: hits on the PF (fn 0), on VFs (fn > 0, or a vf
    # argument), and device-wide (no function named).
    awk -v ev="$QOSVNIC_ROOT/hw-net-qosvnic/trace-events" '
        BEGIN { while ((getline l < ev) > 0) if (l ~ /^qosvnic_/) { sub(/\(.*/, "", l); order[++n] = l; pf[l] = vf[l] = dv[l] = 0 } }
        match($0, /qosvnic_[a-z0-9_]+/) {
            e = substr($0, RSTART, RLENGTH); if (!(e in pf)) next
            rest = substr($0, RSTART + RLENGTH)
            if (rest ~ /(^| )vf [0-9]/) vf[e]++
            else if (match(rest, /fn [0-9]+/)) { if (substr(rest, RSTART + 3, RLENGTH - 3) + 0 > 0) vf[e]++; else pf[e]++ }
            else dv[e]++
        }
        END {
            for (i = 1; i <= n; i++) { e = order[i]; printf "%-28s PF %7d  VF %7d  device %7d\n", e, pf[e], vf[e], dv[e] }
        }' "$tlog" > "$dir/trace-coverage.txt"
    awk '{ n++; if ($3 + $5 + $7 > 0) r++; if ($3 > 0) p++; if ($5 > 0) v++ }
         END { printf "trace events reached: %d of %d (with a PF function: %d, with a VF: %d) (%s)\n", r, n, p, v, f }' \
        f="$dir/trace-coverage.txt" "$dir/trace-coverage.txt"
    echo "never reached: $(awk '$3 + $5 + $7 == 0 {printf "%s ", $1}' "$dir/trace-coverage.txt")"
}
# The corpus kept in the tree: inputs are named by their SHA-1, so one
# already here is the same input and is left alone.
kept=$QOSVNIC_ROOT/qtests/fuzz/corpus.tar.xz
if [ -f "$kept" ]; then
    tar -xJf "$kept" -C "$dir" --skip-old-files || die "unpacking $kept failed"
fi
if [ "$merge" = 1 ]; then
    n=$(find "$dir/corpus" -type f | wc -l) art=$(mktemp -d "$dir/artifacts.XXXXXX")
    new=$dir/corpus.merging
    rm -rf "$new" && mkdir "$new"
    for t in qosvnic qosvnic-shaped; do
        step "merge: the inputs of the $n that add coverage on generic-fuzz-$t (libFuzzer -merge=1)"
        # Inputs over -timeout or that crash are left out and written to
        # the working directory: this merge's artifacts, as for a run.
        (cd "$art" && "$fuzzer" --fuzz-target="generic-fuzz-$t" -merge=1 \
            -timeout=$timeout -rss_limit_mb=4096 "$new" "$dir/corpus") > "$log" 2>&1 ||
            { tail -n 20 "$log" >&2; die "merging the corpus on generic-fuzz-$t failed"; }
        grep -E '^MERGE-OUTER: [0-9]+ new files' "$log" | sed 's/^/  /' || true
    done
    old=$dir/corpus-before-merge-$(date -u +%FT%H%M).tar.gz
    tar -czf "$old" -C "$dir" corpus
    rm -rf "$dir/corpus" && mv "$new" "$dir/corpus"
    mkdir -p "$(dirname "$kept")"
    # Reproducible: the same inputs give the same file (one xz thread:
    # newer xz splits the stream by threads).
    { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf - corpus |
        xz -9 -T1 > "$kept.tmp"; } || { rm -f "$kept.tmp"; die "writing $kept failed"; }
    mv "$kept.tmp" "$kept"
    step "merged"
    echo "corpus: $n -> $(find "$dir/corpus" -type f | wc -l) inputs; the old one in $old"
    echo "kept in the tree: $kept ($(stat -c %s "$kept") bytes): commit it"
    # -merge=1 leaves an input that crashes out of the corpus: a crash all
    # the same, kept in crashes/ as a run's.
    found=$(failures "$art")
    find "$art" -type f -exec mv -t "$dir/crashes" {} +
    rmdir "$art"
    [ "$found" = 0 ] || { echo "FAIL: merge: $found input(s) crashed; kept in $dir/crashes"; exit 1; }
    exit 0
fi
# Seeds that reach the datapath (rings, frames, shaper) on the PF and VFs.
if [ "$seeds" = 1 ]; then
    /usr/bin/python3 "$here/fuzz-seeds.py" "$dir/corpus" || die "writing the seed inputs failed"
fi
if [ "$fuzz" = 0 ]; then
    trace_coverage
    exit 0
fi

step "fuzzing generic-fuzz-$target for $seconds s (corpus: $(find "$dir/corpus" -type f | wc -l) inputs in $dir/corpus)"
# Leaks at QEMU's exit are QEMU's, not the device's: memory errors and
# undefined behaviour are what this looks for (ASAN_OPTIONS above).
# This run's artifacts go to a directory of its own first, so that a run
# beside it (both targets at once) does not count them as its own.
rc=0 art=$(mktemp -d "$dir/artifacts.XXXXXX")
(cd "$dir" && "$fuzzer" --fuzz-target="generic-fuzz-$target" corpus \
    -max_total_time="$seconds" -print_final_stats=1 -print_coverage=1 \
    -artifact_prefix="$art/" -timeout=$timeout -rss_limit_mb=4096) \
    >"$log" 2>&1 || rc=$?
found=$(failures "$art")
find "$art" -type f -exec mv -t "$dir/crashes" {} +
rmdir "$art"
grep -E '^#[0-9]+.*(NEW|REDUCE|pulse|DONE)' "$log" | tail -n 5 || true

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
execs=${execs:-0}
echo "$(date -u +%FT%TZ) target=$target seconds=$seconds executions=$execs rc=$rc" >>"$dir/runs.log"
total=$(sed -n 's/.* executions=\([0-9]*\).*/\1/p' "$dir/runs.log" |
        awk '{ n += $1 } END { print n + 0 }')

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
echo "crashes: $found new, $(failures) kept in $dir/crashes"
slow=$(find "$dir/crashes" -type f -name 'slow-unit-*' | wc -l)
[ "$slow" = 0 ] || echo "slow inputs (over 10 s, not failures): $slow kept there as slow-unit-*"
if [ "$rc" != 0 ] || [ "$found" -gt 0 ]; then
    grep -E 'ERROR: AddressSanitizer|runtime error|deadly signal|Timeout' "$log" | head -n 5 || true
    tail -n 40 "$log" >&2
    echo "FAIL: fuzz generic-fuzz-$target (exit $rc)"
    exit 1
fi
[ "$trace" = 0 ] || trace_coverage
echo "PASS: fuzz generic-fuzz-$target ($execs executions, no crash)"
