#!/usr/bin/env bash
# VF traffic test: boots the guest with -device qosvnic, loads qosvnic.ko,
# enables 4 VFs and puts VF n in guest network namespace vfn as
# 10.77.0.(11+n)/24 (iperf3, netserver and httpd serve there); the host side
# is run-guest.sh's tap 10.77.0.1. Then, from the host (the host drives the
# clients and reaches the guest over a second serial port, see
# scripts/qv-agent.sh; checks in vf-traffic.host.bash):
#   1. ping every VF;
#   2. iperf3 TCP through VF 0 and VF 2 at once, both deliver;
#   3. VF 1 ingress policer (QMP qosvnic-set-vf rx-rate, 20 Mbit/s): UDP offered at 3x
#      is received at the policer's rate +-10 % (in Ethernet frame bytes, as
#      the device counts); TCP through it is reported;
#   4. VF 1 flooded at 10x: its rx_drop_rate (ethtool -S) rises while VF 2
#      carries TCP without rate drops;
#   5. ip link set PF vf 1 max_tx_rate 20: UDP and TCP from VF 1 within 10 %;
#   6. a bridge in VF 3's namespace sends with a foreign source MAC: dropped
#      and counted (tx_drop_spoof) with spoofchk on, delivered with spoofchk
#      off or trust on;
#   7. netperf TCP_RR, TCP_CRR and httperf (busybox httpd) through VF 0.
# Asserts outcomes (delivery, counters, rates against the configured rate),
# never the machine's speed. Prints PASS:/FAIL: lines, exits non-zero on a
# failure.
#
# Usage: scripts/tests/vf-traffic-test.sh   (root; builds what is missing)
# Environment: VFT_SECONDS (per traffic run, default 5), VFT_RATE_MBIT (20).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-vf-traffic.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    echo "FAIL: vf-traffic: qemu with the qosvnic device ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: vf-traffic: guest image with qosvnic.ko built"
    exit 1
fi
for t in jq iperf3 httperf ping; do
    command -v "$t" >/dev/null || { echo "FAIL: vf-traffic: host tool $t (scripts/setup-host.sh)"; exit 1; }
done

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 4 > "$work/setup.guest"
log=$work/console.log
step "vf-traffic: booting the guest (qosvnic, 4 VFs in namespaces)"
agent_run vf-traffic "$work/setup.guest" "$here/tests/vf-traffic.host.bash" "$log" \
    --nic qosvnic --vfs 8 --qmp "$QV_QMP" --ip none --timeout "${QOSVNIC_VFT_TIMEOUT:-900}" | tee "$work/host.out"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$log" > "$work/clean.log"
fails=0
grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: vf-traffic: guest set-up (4 VFs in namespaces)"; fails=1; }
grep -q '^FAIL: ' "$work/host.out" && fails=1
grep -qE '^(PASS|FAIL): ' "$work/host.out" || fails=1
if [ "$rc" != 0 ] || [ "$fails" != 0 ]; then
    [ "$rc" = 0 ] || echo "FAIL: vf-traffic: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines) ---"
    tail -n 40 "$work/clean.log" | sed 's/^/  | /'
    exit 1
fi
exit 0
