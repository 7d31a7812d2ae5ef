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

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-rx-split.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device qosvnic,help 2>/dev/null | grep -q 'x-rx-first-len'; then
    echo "FAIL: rx-split: qemu with the qosvnic device and x-rx-first-len ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: rx-split: guest image with qosvnic.ko built"
    exit 1
fi

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
fails=0
for n in 8 20; do
    log=$work/console-$n.log
    step "rx-split: booting the guest with x-rx-first-len=$n (qosvnic, 1 VF)"
    RXSPLIT_LEN=$n agent_run "rx-split-$n" "$work/setup.guest" "$here/tests/rx-split.host.bash" "$log" \
        --nic qosvnic --vfs 8 --ip none --device-args "x-rx-first-len=$n" \
        --timeout "${QOSVNIC_RXSPLIT_TIMEOUT:-300}" | tee "$work/host-$n.out"
    rc=${PIPESTATUS[0]}
    tr -d '\r' < "$log" > "$work/clean.log"
    bad=0
    grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: rx-split: guest set-up (x-rx-first-len=$n)"; bad=1; }
    grep -q '^FAIL: ' "$work/host-$n.out" && bad=1
    grep -qE '^(PASS|FAIL): ' "$work/host-$n.out" || bad=1
    if [ "$rc" != 0 ] || [ "$bad" != 0 ]; then
        [ "$rc" = 0 ] || echo "FAIL: rx-split: run-guest.sh exit $rc (x-rx-first-len=$n)"
        echo "--- guest console (last 40 lines) ---"
        tail -n 40 "$work/clean.log" | sed 's/^/  | /'
        fails=1
    fi
done
exit "$fails"
