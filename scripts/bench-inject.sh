#!/usr/bin/env bash
# Frame-injection benchmark (issue 3): frames/s and host instructions per
# received frame for qosvnic VFs next to QEMU's igb PF, from one run of
# qtests/qosvnic-bench.c (see its header for the setup: socket netdev,
# rings kept posted so every frame is DMA'd into guest memory, MSI-X, RX
# checksum offload, and a rate-limited variant that runs the token bucket).
# It prints numbers; it never fails on a timing.
#
# How instructions per frame are measured
#   Each case runs twice under `valgrind --tool=callgrind` (all of QEMU,
#   every thread), with N (--cg-frames, default 10000: QEMU's start-up
#   under valgrind is most of the time) and with 2N frames; the per-frame
#   figure is (Ir(2N) - Ir(N)) / N, so start-up, device setup and the
#   warm-up batch cancel out exactly.
#
#   instr/frame  counts only what runs inside the entry points through
#                which received frames are processed (callgrind
#                --collect-atstart=no --toggle-collect=...): the socket
#                backend's read handler net_socket_send (frame parsing,
#                the net queue, the device's receive callback: igb does
#                all its RX work there, DMA and MSI-X included; qosvnic
#                classifies, polices and stores) plus the device's own
#                bottom half and timer callbacks (qosvnic_sched_bh: DMA
#                into the ring, write-back, MSI-X; the timers are unused
#                here). None of them calls another, so nothing toggles
#                collection off by nesting.
#   proc/frame   (--whole) the whole QEMU process from a second pair of
#                runs: it adds the main loop and the benchmark's own qtest
#                commands (head polling, descriptor refill, tail writes:
#                per ring and batch, so 64 rings cost more than 1; the
#                driver polls, so it also varies from run to run).
#
#   Why toggle-collect and not only the whole-process difference: the
#   harness (qtest's text protocol, ~10^4 instructions per command) would
#   be counted as device cost and differs between 1 and 64 rings. Why not
#   summing callgrind_annotate's inclusive costs of the entry points from
#   one full profile: for functions with inlined DMA helpers (pci_dma_*
#   from dma.h) it counts their callees twice (it reported 6453
#   instructions/frame for qosvnic where toggle-collect measures 4708).
#
# frames/s comes from plain runs (no valgrind, median of --reps), timed
# from the first measured frame to the last one delivered, harness
# included; the host is shared, so it is only indicative.
#
# Usage: scripts/bench-inject.sh [--frames N] [--cg-frames N] [--len BYTES]
#            [--batch N] [--reps N] [--cases "igb vf1 vf64 vf1-rate vf64-rate"]
#            [--keep DIR] [--no-build] [--no-valgrind] [--whole]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

frames=20000 cg_frames=10000 len=128 batch=512 reps=3 build=1 use_vg=1 whole=0 keep=''
cases='igb vf1 vf64 vf1-rate vf64-rate'
while [ $# -gt 0 ]; do
    case "$1" in
        --frames) frames=$2; shift ;;
        --cg-frames) cg_frames=$2; shift ;;
        --len) len=$2; shift ;;
        --batch) batch=$2; shift ;;
        --reps) reps=$2; shift ;;
        --cases) cases=$2; shift ;;
        --keep) keep=$2; shift ;;
        --no-build) build=0 ;;
        --no-valgrind) use_vg=0 ;;
        --whole) whole=1 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ "$frames" -gt 0 ] 2>/dev/null || die "--frames wants a positive number"
[ "$cg_frames" -gt 0 ] 2>/dev/null || die "--cg-frames wants a positive number"
if [ "$use_vg" = 1 ]; then
    command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
        die "valgrind (callgrind) not installed: apt-get install valgrind, or --no-valgrind"
fi

out=$QOSVNIC_ROOT/out/qemu
if [ "$build" = 1 ]; then
    step "building qemu-system-x86_64 and the benchmark (scripts/build-qemu.sh)"
    out=$("$here/build-qemu.sh" qemu-system-x86_64 tests/qtest/qosvnic-bench | tail -n 1)
fi
qemu=$out/bin/qemu-system-x86_64
bench=$out/qtests/qosvnic-bench
[ -x "$qemu" ] && [ -x "$bench" ] || die "no $bench or $qemu: run without --no-build"

if [ -n "$keep" ]; then
    work=$keep; mkdir -p "$work"
else
    work=$(mktemp -d /tmp/qvn-bench.XXXXXX)
    trap 'rm -rf "$work"' EXIT
fi

# run_case CASE FRAMES LOG [QEMU command prefix...]
run_case() {
    local c=$1 n=$2 log=$3; shift 3
    local bin="$*${*:+ }$qemu"
    if ! QOSVNIC_BENCH=1 QOSVNIC_BENCH_FRAMES=$n QOSVNIC_BENCH_LEN=$len \
         QOSVNIC_BENCH_BATCH=$batch QTEST_QEMU_BINARY=$bin \
         "$bench" -p "/x86_64/qosvnic/bench/$c" >"$log" 2>&1 ||
       ! grep -q '^QVBENCH ' "$log"; then
        grep -v '^==' "$log" | tail -n 20 >&2
        die "benchmark case $c ($n frames) failed; log above"
    fi
}

for c in $cases; do
    for r in $(seq 1 "$reps"); do
        step "plain run: $c, $frames frames (rep $r/$reps)"
        run_case "$c" "$frames" "$work/$c.plain.$r.log"
        note "$(grep '^QVBENCH ' "$work/$c.plain.$r.log" | sed 's/^QVBENCH //')"
    done
done

# Entry points of received frames; see the header.
entries=(net_socket_send qosvnic_sched_bh qosvnic_dma_timer_cb qosvnic_irq_timer_cb
         igb_intrmgr_on_msix_throttling_timer igb_intrmgr_on_throttling_timer)
toggles=(--collect-atstart=no)
for e in "${entries[@]}"; do toggles+=("--toggle-collect=$e"); done

# callgrind_run CASE FRAMES KIND [callgrind options...]: writes
# $work/CASE.FRAMES.KIND.ir (the profile's total Ir) and keeps the profile.
callgrind_run() {
    local c=$1 n=$2 kind=$3 f; shift 3
    step "callgrind ($kind): $c, $n frames"
    rm -f "$work/$c.$n.$kind".cg.*
    run_case "$c" "$n" "$work/$c.$n.$kind.log" \
        valgrind --tool=callgrind --collect-systime=no "$@" \
        "--callgrind-out-file=$work/$c.$n.$kind.cg.%p"
    f=$(find "$work" -maxdepth 1 -name "$c.$n.$kind.cg.[0-9]*" | head -n 1)
    [ -n "$f" ] || die "callgrind wrote no profile for $c ($n frames)"
    callgrind_annotate --auto=no --threshold=100 "$f" >"$work/$c.$n.$kind.txt" 2>/dev/null
    sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$work/$c.$n.$kind.txt" |
        tr -d , >"$work/$c.$n.$kind.ir"
    [ -s "$work/$c.$n.$kind.ir" ] || die "no PROGRAM TOTALS in $work/$c.$n.$kind.txt"
}

if [ "$use_vg" = 1 ]; then
    for c in $cases; do
        for n in "$cg_frames" $((2 * cg_frames)); do
            callgrind_run "$c" "$n" datapath "${toggles[@]}"
            [ "$whole" = 0 ] || callgrind_run "$c" "$n" whole
        done
    done
fi

step "results"
python3 - "$work" "$frames" "$cg_frames" "$len" "$batch" "$use_vg" "$whole" $cases <<'PY'
import glob, statistics, sys
work, frames, cg_frames, length, batch, use_vg, whole = sys.argv[1:8]
cases = sys.argv[8:]
frames, cg_frames = int(frames), int(cg_frames)
use_vg, whole = use_vg == "1", whole == "1"
def kv(path):
    for line in open(path):
        if line.startswith("QVBENCH "):
            return dict(x.split("=", 1) for x in line.split()[1:])
    raise SystemExit(f"no QVBENCH line in {path}")

def ir(c, n, kind):
    return int(open(f"{work}/{c}.{n}.{kind}.ir").read())

label = {"igb": ("igb (PF)", "-"), "vf1": ("qosvnic VF", "1"),
         "vf64": ("qosvnic VFs", "64"), "vf1-rate": ("qosvnic VF+rate", "1"),
         "vf64-rate": ("qosvnic VFs+rate", "64")}
rows = {}
for c in cases:
    fps = [float(kv(p)["fps"]) for p in sorted(glob.glob(f"{work}/{c}.plain.*.log"))]
    row = {"fps": statistics.median(fps), "fps_min": min(fps), "fps_max": max(fps)}
    if use_vg:
        row["instr"] = (ir(c, 2 * cg_frames, "datapath") -
                        ir(c, cg_frames, "datapath")) / cg_frames
        if whole:
            row["proc"] = (ir(c, 2 * cg_frames, "whole") -
                           ir(c, cg_frames, "whole")) / cg_frames
    rows[c] = row

print(f"{length}-byte frames, batches of {batch}; frames/s: median of the "
      f"plain runs of {frames} frames (min-max)"
      + (f"; instructions: callgrind runs of {cg_frames} and {2 * cg_frames} "
         "frames, difference / "
         f"{cg_frames}" if use_vg else ""))
print(f"{'device':<17} {'VFs':>3} {'frames':>7} {'frames/s':>9} {'(min-max)':>19}"
      + (f" {'instr/frame':>11}" if use_vg else "")
      + (f" {'proc/frame':>10}" if use_vg and whole else ""))
for c in cases:
    r = rows[c]
    name, vfs = label.get(c, (c, "?"))
    line = (f"{name:<17} {vfs:>3} {frames:>7} {r['fps']:>9.0f} "
            f"{'(%.0f-%.0f)' % (r['fps_min'], r['fps_max']):>19}")
    if use_vg:
        line += f" {r['instr']:>11.0f}"
    if use_vg and whole:
        line += f" {r['proc']:>10.0f}"
    print(line)
if use_vg:
    def growth(a, b):
        if a in rows and b in rows and rows[a]["instr"]:
            g = 100.0 * (rows[b]["instr"] / rows[a]["instr"] - 1)
            print(f"growth {a} -> {b}: {g:+.1f} % instr/frame (target <= +10 %)")
    growth("vf1", "vf64")
    growth("vf1-rate", "vf64-rate")
    if "igb" in rows:
        for c in cases:
            if c != "igb":
                q = rows[c]["instr"] / rows["igb"]["instr"]
                print(f"{c} vs igb: {q:.2f}x instr/frame (target <= 1.00x)")
    print("instr/frame: inside the RX entry points (net_socket_send, the "
          "device's BH and timers)" + ("; proc/frame: whole QEMU process, "
          "benchmark harness included" if whole else ""))
PY
if [ "$use_vg" = 1 ]; then
    if [ -n "$keep" ]; then
        note "profiles and callgrind_annotate output in $work"
    else
        note "use --keep DIR to keep the profiles (DIR/<case>.<frames>.<kind>.cg.*)"
    fi
fi
