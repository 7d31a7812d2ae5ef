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

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-vf-fault.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    echo "FAIL: vf-fault: qemu with the qosvnic device ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: vf-fault: guest image with qosvnic.ko built"
    exit 1
fi

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
log=$work/console.log
step "vf-fault: booting the guest (swiotlb=4096,force; qosvnic, 1 VF)"
agent_run vf-fault "$work/setup.guest" "$here/tests/vf-fault.host.bash" "$log" \
    --nic qosvnic --vfs 8 --ip none --append "swiotlb=4096,force" \
    --timeout "${QOSVNIC_VFF_TIMEOUT:-600}" | tee "$work/host.out"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$log" > "$work/clean.log"
fails=0
grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: vf-fault: guest set-up"; fails=1; }
grep -q '^FAIL: ' "$work/host.out" && fails=1
grep -qE '^(PASS|FAIL): ' "$work/host.out" || fails=1
if [ "$rc" != 0 ] || [ "$fails" != 0 ]; then
    [ "$rc" = 0 ] || echo "FAIL: vf-fault: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines) ---"
    tail -n 40 "$work/clean.log" | sed 's/^/  | /'
    exit 1
fi
exit 0
