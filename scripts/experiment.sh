#!/usr/bin/env bash
# The papers' experiments on qosvnic: device-level vs software QoS for two
# tenants sharing one NIC, with httperf (Lakshmi & Nandy; ../shared/seeds
# in the project workspace, docs/experiments/ for a full run's report).
#
# The server is the nested set-up of scripts/vms.sh: the outer guest (L1,
# three vCPUs: its own, and one per tenant) runs the PF driver and the
# tenants; the device models a shared wire of --line-rate Mbit/s; one
# HTTP client per tenant (httperf's semantics) runs on the host side of
# that wire. Tenants are VMs of their own (L2) or, with --mode ns (the
# default of --quick), network namespaces of L1. Two architectures:
# "existing" (virtio-net on a bridge in L1, QoS with tc in L1, as Xen's
# driver domain) and "proposed" (a VF per tenant, QoS at the device).
#
# Usage: scripts/experiment.sh [NAME[,NAME...]|all] [options]
#   NAME        single, best-effort, software-qos, device-qos, consolidation
#               (default all)
#   --quick     one short probe per experiment (namespace tenants, 3 s
#               probes): what ./qosvnic check runs
#   --reps N    repetitions of every point (default 3)
#   --out DIR   results (default out/experiment, or out/experiment-quick);
#               a finished point in DIR is not run again, so the same
#               command resumes an interrupted run
#   --mode vm|ns  tenants as VMs (default) or namespaces
#   --line-rate MBIT  the modelled wire (default 10, see docs/experiments/)
#   --page BYTES      the HTTP page (default 7168: about 14 packets per request)
#   --seconds S       length of one probe (default 10)
#   --client httpload|httperf  the HTTP load generator (default httpload:
#                     httperf's semantics, but it sleeps between events;
#                     httperf keeps a host core busy, see docs/experiments/)
#   --no-build        do not build QEMU and the guest image first
# When TCG's emulation of the outer guest breaks (scripts/vms.sh exit 75),
# it is booted again and the run resumes, at most QOSVNIC_L1_RESTARTS
# times (default 3).
# Progress goes to stdout (one line per probe); Ctrl-C stops it (finished
# points are kept). Writes DIR/report.md, DIR/fig-*.png, DIR/results.csv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

names=all quick=0 reps=3 out='' mode='' rate=10 page=7168 secs='' build=1 client=httpload
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --reps) reps=$2; shift ;;
        --out) out=$2; shift ;;
        --mode) mode=$2; shift ;;
        --line-rate) rate=$2; shift ;;
        --page) page=$2; shift ;;
        --seconds) secs=$2; shift ;;
        --client) client=$2; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) names=$1 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || die "experiment.sh needs root (network namespace, tap)"
case "$rate" in ''|*[!0-9]*) die "--line-rate $rate: a whole number of Mbit/s" ;; esac
case "$client" in httpload|httperf) ;; *) die "--client $client: httpload or httperf" ;; esac
if [ "$quick" = 1 ]; then
    mode=${mode:-ns} secs=${secs:-3} out=${out:-$QOSVNIC_ROOT/out/experiment-quick}
else
    mode=${mode:-vm} secs=${secs:-10} out=${out:-$QOSVNIC_ROOT/out/experiment}
fi
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

if [ "$build" = 1 ]; then
    "$here/setup-host.sh"
    step "QEMU with the qosvnic device (scripts/build-qemu.sh)"
    "$here/build-qemu.sh" >/dev/null
    step "guest image (scripts/build-guest.sh)"
    QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >/dev/null
fi
for t in python3 gnuplot $([ "$client" = httpload ] || echo httperf); do
    command -v "$t" >/dev/null || die "host tool $t missing (scripts/setup-host.sh)"
done

args=("$names" --out "$out" --reps "$reps" --mode "$mode" --seconds "$secs" --page "$page"
      --client "$client")
[ "$quick" = 0 ] || args+=(--quick)
work=$(mktemp -d /tmp/qvn-experiment.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/host.bash" <<EOF
VMS_QEMU_PID=\$(agent_qemu_pid) python3 $(printf '%q ' "$here/experiment/run.py" "${args[@]}")
EOF
step "experiment ${names} (${mode} tenants, wire ${rate} Mbit/s, page ${page} B, probes ${secs} s); results in $out"
# The outer guest stays up for the whole run: hours for a full one.
tmo=$([ "$quick" = 1 ] && echo 1200 || echo 172800)
# When the outer guest's emulation breaks (vms.sh exit 75: TCG, not the
# device), the point it was in is lost, not the run: boot it again and
# resume, at most $QOSVNIC_L1_RESTARTS times (default 3).
restarts=${QOSVNIC_L1_RESTARTS:-3}
case "$restarts" in ''|*[!0-9]*) die "QOSVNIC_L1_RESTARTS=$restarts: a whole number" ;; esac
while :; do
    rc=0
    "$here/vms.sh" --no-build --tenants 0 --smp 3 --mem 3G --device-args "line-rate=$rate" \
        --run "$work/host.bash" --log "$out/l1-console.log" --timeout "$tmo" || rc=$?
    [ "$rc" = 75 ] && [ "$restarts" -gt 0 ] || exit "$rc"
    restarts=$((restarts - 1))
    kept=$out/l1-console.broke-$(date +%H%M%S).log
    mv "$out/l1-console.log" "$kept"
    step "the outer guest's emulation broke (not the device; its console: $kept); booting it again to resume"
done
