#!/usr/bin/env bash
# Queue pairs and RSS through the driver: boots the guest with -device
# qosvnic and 4 vCPUs, loads qosvnic.ko, puts VF 0 in namespace vf0
# (scripts/qv-agent.sh), then from the host (checks in mq-rss.host.bash):
#   channels  ethtool -L combined 4 is taken and ethtool -l shows it;
#   spread    8 TCP streams from the host (iperf3 -P 8) are counted on
#             more than one RX queue (ethtool -S rx_qN_packets);
#   table     ethtool -X equal 1 steers everything to queue 0: another 8
#             streams raise no other queue's counter;
#   readback  ethtool -X hkey ... and ethtool -x show the key and the
#             table back;
#   fields    ethtool -n rx-flow-hash tcp4 hashes addresses and ports,
#             udp4 addresses only until ethtool -N udp4 sdfn;
#   small     64-byte UDP datagrams are copied (rx_copybreak counts them).
# Asserts outcomes, never speeds. Prints PASS:/FAIL: lines, exits non-zero
# on a failure.
#
# Usage: scripts/tests/mq-rss-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-mq-rss.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    echo "FAIL: mq-rss: qemu with the qosvnic device ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: mq-rss: guest image with qosvnic.ko built"
    exit 1
fi
for t in jq iperf3; do
    command -v "$t" >/dev/null || { echo "FAIL: mq-rss: host tool $t (scripts/setup-host.sh)"; exit 1; }
done

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
log=$work/console.log
step "mq-rss: booting the guest (qosvnic, 4 vCPUs, VF 0 in a namespace)"
agent_run mq-rss "$work/setup.guest" "$here/tests/mq-rss.host.bash" "$log" \
    --nic qosvnic --vfs 2 --smp 4 --ip none \
    --timeout "${QOSVNIC_MQ_TIMEOUT:-900}" | tee "$work/host.out"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$log" > "$work/clean.log"
fails=0
grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: mq-rss: guest set-up (VF 0 in a namespace)"; fails=1; }
grep -q '^FAIL: ' "$work/host.out" && fails=1
grep -qE '^(PASS|FAIL): ' "$work/host.out" || fails=1
if [ "$rc" != 0 ] || [ "$fails" != 0 ]; then
    [ "$rc" = 0 ] || echo "FAIL: mq-rss: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines) ---"
    tail -n 40 "$work/clean.log" | sed 's/^/  | /'
    exit 1
fi
exit 0
