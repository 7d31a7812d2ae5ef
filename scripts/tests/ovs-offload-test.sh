#!/usr/bin/env bash
# Open vSwitch hardware offload test: Debian's Open vSwitch in the guest
# (scripts/build-guest.sh puts it in the initramfs) with
# other_config:hw-offload=true switches between two VFs' representors in
# switchdev mode; its datapath flows become tc flower rules that the driver
# offloads to the device (tc.c). From the host (ovs-offload.host.bash):
# ping and TCP between the VFs, "ovs-appctl dpctl/dump-flows
# type=offloaded" lists the flows with the device's counters, and the
# representors (the PF's CPU) see almost none of the packets.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/ovs-offload-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-ovs-offload.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    echo "FAIL: ovs-offload: qemu with the qosvnic device ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: ovs-offload: guest image with qosvnic.ko built"
    exit 1
fi
for t in jq iperf3 ping python3; do
    command -v "$t" >/dev/null || { echo "FAIL: ovs-offload: host tool $t (scripts/setup-host.sh)"; exit 1; }
done

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 2 > "$work/setup.guest"
log=$work/console.log
step "ovs-offload: booting the guest (qosvnic, 2 VFs in namespaces)"
agent_run ovs-offload "$work/setup.guest" "$here/tests/ovs-offload.host.bash" "$log" \
    --nic qosvnic --vfs 8 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_OVS_TIMEOUT:-900}" | tee "$work/host.out"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$log" > "$work/clean.log"
fails=0
grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: ovs-offload: guest set-up (2 VFs in namespaces)"; fails=1; }
grep -q '^FAIL: ' "$work/host.out" && fails=1
grep -qE '^(PASS|FAIL): ' "$work/host.out" || fails=1
if [ "$rc" != 0 ] || [ "$fails" != 0 ]; then
    [ "$rc" = 0 ] || echo "FAIL: ovs-offload: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines) ---"
    tail -n 40 "$work/clean.log" | sed 's/^/  | /'
    exit 1
fi
exit 0
