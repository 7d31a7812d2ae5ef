#!/usr/bin/env bash
# VF fault test: RX buffer allocation failure must not stop a VF's receive
# for good (driver issue 9, item 7), and the TX DMA-error path must leave
# no frame behind (item 4).
#
# The fault injector is the kernel's own bounce buffer: the guest boots with
# "swiotlb=4096,force" (8 MiB; every DMA mapping of the NIC bounces), so a
# mapping fails once the NIC's mapped pages fill it. The guest has the PF
# up and VF 0 in namespace vf0 (scripts/qv-agent.sh), IPv6 off there so
# that VF 0 sends nothing on its own. Then (checks in vf-fault.host.bash):
#   1. a UDP socket in vf0 that is never read (32 MiB receive buffer) is
#      fed from the host, while VF 0 floods the host with UDP: the socket
#      holds pages until VF 0's page_pool cannot map more, rx_alloc_fail
#      rises, VF 0's RX ring runs empty (device head = tail) and its TX
#      mappings fail (tx_dropped); BQL inflight must come back to 0;
#   2. VF 0's egress is blocked (tc matchall drop), the socket is closed
#      (its pages go back to the page_pool), the block is lifted: with no
#      TX completion to wake it, only a poll that kept going after the
#      failed allocation has refilled the ring, and the host's ping gets
#      through. Without that (NAPI completed on an empty ring) it fails.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/vf-fault-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs vf-fault || exit 1
work=$(mktemp -d /tmp/qvn-vf-fault.XXXXXX)
trap 'rm -rf "$work"' EXIT

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
step "vf-fault: booting the guest (swiotlb=4096,force; qosvnic, 1 VF)"
agent_test_boot "$work" vf-fault "1 VF" "$work/setup.guest" "$here/tests/vf-fault.host.bash" \
    --nic qosvnic --vfs 8 --ip none --append "swiotlb=4096,force" \
    --timeout "${QOSVNIC_VFF_TIMEOUT:-600}"
