#!/usr/bin/env bash
# Switchdev test: the kernel's standard switchdev interfaces on qosvnic.
# Boots the guest with -device qosvnic and a QMP socket, loads qosvnic.ko,
# puts VFs 0..1 in namespaces vf0..vf1 (scripts/qv-agent.sh); then from the
# host (checks in switchdev.host.bash):
#   mode      devlink dev eswitch set pci/PF mode switchdev: one
#             representor per VF, phys_port_name pf0vfN, the PF's switch id;
#   slow path with no rule a VF's frames reach its representor, and what is
#             sent on a representor reaches its VF (a bridge of the two
#             representors carries VF 0 <-> VF 1, its counters move);
#   flower    skip_sw rules between the representors (mirred redirect) carry
#             the traffic in the device: in_hw, tc -s counts it, the
#             representors see none of it; a drop rule (ip_proto udp
#             dst_port) drops; a police action limits UDP to its rate and
#             counts the drops; rules on the uplink (the PF netdev) with
#             vlan push/pop reach the host;
#   matchall  police on a representor's egress is the VF's ingress policer
#             (QMP shows rx-rate), tc -s shows its drops;
#   extack    what the device cannot do is refused with a message;
#   legacy    back to legacy: representors gone, the VEB carries traffic.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/switchdev-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-switchdev.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    echo "FAIL: switchdev: qemu with the qosvnic device ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: switchdev: guest image with qosvnic.ko built"
    exit 1
fi
for t in jq iperf3 ping python3; do
    command -v "$t" >/dev/null || { echo "FAIL: switchdev: host tool $t (scripts/setup-host.sh)"; exit 1; }
done

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 2 > "$work/setup.guest"
log=$work/console.log
step "switchdev: booting the guest (qosvnic, 2 VFs in namespaces)"
agent_run switchdev "$work/setup.guest" "$here/tests/switchdev.host.bash" "$log" \
    --nic qosvnic --vfs 8 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_SWD_TIMEOUT:-900}" | tee "$work/host.out"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$log" > "$work/clean.log"
fails=0
grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: switchdev: guest set-up (2 VFs in namespaces)"; fails=1; }
grep -q '^FAIL: ' "$work/host.out" && fails=1
grep -qE '^(PASS|FAIL): ' "$work/host.out" || fails=1
if [ "$rc" != 0 ] || [ "$fails" != 0 ]; then
    [ "$rc" = 0 ] || echo "FAIL: switchdev: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines) ---"
    tail -n 40 "$work/clean.log" | sed 's/^/  | /'
    exit 1
fi
exit 0
