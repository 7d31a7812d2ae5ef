#!/usr/bin/env bash
# The papers' experiments in their quick mode (scripts/experiment.sh
# --quick: tenants as namespaces of the server, one 3 s probe per
# experiment), checked for what a researcher relies on, not for the size of
# any effect (timings are noisy):
#   - every experiment produced data (httperf replies, device counters);
#   - the plots are valid PNG files and the report has the claims table;
#   - in device-qos, the device's rate-drop counter moved for VM2's VF, the
#     constrained one, and not for VM1's;
#   - the raw data is there as CSV.
# Usage: scripts/tests/experiment-quick-test.sh   (root)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

out=$(mktemp -d /tmp/qvn-experiment-quick.XXXXXX)
trap 'rm -rf "$out"' EXIT
fails=0
pass() { echo "PASS: experiment-quick: $*"; }
fail() { echo "FAIL: experiment-quick: $*"; fails=1; }

if ! "$here/build-qemu.sh" >/dev/null 2>"$out/build.log" ||
   ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >/dev/null 2>>"$out/build.log"; then
    echo "FAIL: experiment-quick: QEMU and the guest image build"; tail -n 20 "$out/build.log"; exit 1
fi
step "experiment --quick (namespace tenants, one probe per experiment)"
"$here/experiment.sh" --quick --no-build --out "$out/run" 2>&1 | tee "$out/log" | grep -v '^Warning'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && pass "./qosvnic experiment --quick runs to its end" ||
    fail "./qosvnic experiment --quick runs to its end (exit $rc)"

python3 - "$out/run" <<'EOF' || fails=1
import json, os, sys
out = sys.argv[1]
failed = []
def ok(name, cond):
    print(("PASS" if cond else "FAIL") + ": experiment-quick: " + name)
    if not cond:
        failed.append(name)
stages = {"single": "single-vf", "best-effort": "be-vf", "software-qos": "sw-both-0.30",
          "device-qos": "dev-both-0.30", "consolidation": "be-br"}
for exp, pid in stages.items():
    path = os.path.join(out, "points", pid, "rep1.json")
    data = json.load(open(path)) if os.path.exists(path) else None
    replies = sum(c.get("replies", 0) for p in (data or {"search": {"probes": []}})["search"]["probes"]
                  for c in p["clients"].values())
    funcs = data and data["search"]["probes"] and data["search"]["probes"][0]["measured"]["functions"]
    ok("%s produced data (%s: %d replies, device counters of %d functions)"
       % (exp, pid, replies, len(funcs or {})), bool(data) and replies > 0 and bool(funcs))
for fig in ("fig-qos.png", "fig-cpu.png", "fig-consolidation.png"):
    p = os.path.join(out, fig)
    head = open(p, "rb").read(8) if os.path.exists(p) else b""
    ok("%s is a PNG (%d bytes)" % (fig, os.path.getsize(p) if head else 0),
       head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(p) > 1000)
rep = os.path.join(out, "report.md")
text = open(rep).read() if os.path.exists(rep) else ""
ok("report.md has the claims table and every figure",
   "| claim | paper |" in text and all(f in text for f in ("fig-qos.png", "fig-cpu.png")))
d = json.load(open(os.path.join(out, "points", "dev-both-0.30", "rep1.json")))
f = d["search"]["probes"][0]["measured"]["functions"]
vm1, vm2 = f["1"]["drop-rate"], f["2"]["drop-rate"]
ok("device-qos: the device dropped VM2's excess for its rate (VF 1 drop-rate +%d) and "
   "none of VM1's (VF 0 drop-rate +%d)" % (vm2, vm1), vm2 > 0 and vm1 == 0)
rows = open(os.path.join(out, "results.csv")).read().splitlines()
ok("results.csv has a row per point (%d rows)" % (len(rows) - 1), len(rows) - 1 >= len(stages))
sys.exit(1 if failed else 0)
EOF
exit "$fails"
