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

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-xdp.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    echo "FAIL: xdp: qemu with the qosvnic device ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: xdp: guest image with qosvnic.ko built"
    exit 1
fi
for t in jq iperf3 python3; do
    command -v "$t" >/dev/null || { echo "FAIL: xdp: host tool $t (scripts/setup-host.sh)"; exit 1; }
done

agent_setup_qosvnic_vfs 1 > "$work/setup.guest"
log=$work/console.log
step "xdp: booting the guest (qosvnic, VF 0 in a namespace)"
agent_run xdp "$work/setup.guest" "$here/tests/xdp.host.bash" "$log" \
    --nic qosvnic --vfs 2 --ip none \
    --timeout "${QOSVNIC_XDP_TIMEOUT:-900}" | tee "$work/host.out"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$log" > "$work/clean.log"
fails=0
grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: xdp: guest set-up (VF 0 in a namespace)"; fails=1; }
if grep -qaE 'WARNING:|BUG:|Oops|page_pool.*(stalled|leak)' "$work/clean.log"; then
    echo "FAIL: xdp: no kernel warning in the guest"
    grep -aE -A3 'WARNING:|BUG:|Oops|page_pool' "$work/clean.log" | head -n 20 | sed 's/^/  | /'
    fails=1
else
    echo "PASS: xdp: no kernel warning in the guest"
fi
grep -q '^FAIL: ' "$work/host.out" && fails=1
grep -qE '^(PASS|FAIL): ' "$work/host.out" || fails=1
if [ "$rc" != 0 ] || [ "$fails" != 0 ]; then
    [ "$rc" = 0 ] || echo "FAIL: xdp: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines) ---"
    tail -n 40 "$work/clean.log" | sed 's/^/  | /'
    exit 1
fi
exit 0
