#!/usr/bin/env bash
# XDP in the driver: boots the guest with -device qosvnic, loads qosvnic.ko,
# puts VF 0 in namespace vf0 (scripts/qv-agent.sh), and runs xdp-bench's
# programs on the VF in native mode, driven from the host (checks in
# xdp.host.bash):
#   attach    a native program attaches (ip link shows "xdp", not
#             "xdpgeneric"); large receive is off while it runs and the
#             MTU cannot grow past one buffer;
#   drop      XDP_DROP: the host's datagrams are counted in rx_xdp_drop
#             and nothing answers; after detaching, ping works again;
#   pass      XDP_PASS: ping and a TCP stream work through the program;
#   tx        XDP_TX: datagrams come back to the host's tap (rx_xdp_tx);
#   xmit      ndo_xdp_xmit: frames a veth's program redirects to the VF
#             go out on its wire (tx_xdp_xmit, the host's tap counts them).
# Asserts outcomes, never speeds. Prints PASS:/FAIL: lines, exits non-zero
# on a failure.
#
# Usage: scripts/tests/xdp-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs xdp jq iperf3 python3 || exit 1
work=$(mktemp -d /tmp/qvn-xdp.XXXXXX)
trap 'rm -rf "$work"' EXIT

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
step "xdp: booting the guest (qosvnic, VF 0 in a namespace)"
agent_test_boot "$work" xdp "VF 0 in a namespace" "$work/setup.guest" "$here/tests/xdp.host.bash" \
    --nic qosvnic --vfs 2 --ip none \
    --timeout "${QOSVNIC_XDP_TIMEOUT:-900}"
rc=$?
if grep -qaE 'WARNING:|BUG:|Oops|page_pool.*(stalled|leak)' "$work/xdp.console"; then
    echo "FAIL: xdp: no kernel warning in the guest"
    grep -aE -A3 'WARNING:|BUG:|Oops|page_pool' "$work/xdp.console" | head -n 20 | sed 's/^/  | /'
    rc=1
else
    echo "PASS: xdp: no kernel warning in the guest"
fi
exit "$rc"
