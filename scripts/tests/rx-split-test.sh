#!/usr/bin/env bash
# RX split test: the driver takes any split of a frame over its RX buffers
# and defends itself against a first buffer shorter than an Ethernet
# header (driver issue 9, item 2: eth_type_trans() would pull past the
# linear part and hit BUG()). The device's x-rx-first-len property puts at
# most N bytes of each frame in its first buffer, as a header-splitting
# NIC does; the guest boots twice with VF 0 in namespace vf0:
#   x-rx-first-len=8   every frame's first buffer holds 8 bytes: the driver
#                      drops each frame and counts it (rx_runt_frames), the
#                      kernel logs no warning, and the VF is still up;
#   x-rx-first-len=20  the Ethernet header and 6 bytes of IP in the first
#                      buffer, the rest in fragments: ping and a TCP stream
#                      (large-receive frames included) get through, with
#                      no runt, no frame error and no kernel warning.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/rx-split-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs rx-split --prop x-rx-first-len || exit 1
work=$(mktemp -d /tmp/qvn-rx-split.XXXXXX)
trap 'rm -rf "$work"' EXIT

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
fails=0
for n in 8 20; do
    step "rx-split: booting the guest with x-rx-first-len=$n (qosvnic, 1 VF)"
    RXSPLIT_LEN=$n agent_test_boot "$work" "rx-split-$n" "x-rx-first-len=$n" \
        "$work/setup.guest" "$here/tests/rx-split.host.bash" \
        --nic qosvnic --vfs 8 --ip none --device-args "x-rx-first-len=$n" \
        --timeout "${QOSVNIC_RXSPLIT_TIMEOUT:-300}" || fails=1
done
exit "$fails"
