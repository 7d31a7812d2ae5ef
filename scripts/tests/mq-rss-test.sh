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
#   small     64-byte UDP datagrams are copied (rx_copybreak counts them);
#   shrink    ethtool -L combined 1 while pairs 1..3 hold frames a
#             max_tx_rate holds back: afterwards the device's TX counters
#             stand still (no ring of a dropped pair is left live).
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

guest_test_needs mq-rss jq iperf3 || exit 1
work=$(mktemp -d /tmp/qvn-mq-rss.XXXXXX)
trap 'rm -rf "$work"' EXIT

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
step "mq-rss: booting the guest (qosvnic, 4 vCPUs, VF 0 in a namespace)"
agent_test_boot "$work" mq-rss "VF 0 in a namespace" "$work/setup.guest" "$here/tests/mq-rss.host.bash" \
    --nic qosvnic --vfs 2 --smp 4 --ip none \
    --timeout "${QOSVNIC_MQ_TIMEOUT:-900}"
