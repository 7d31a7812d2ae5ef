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
#   xdp       XDP on the uplink gets the wire's frames;
#   netconsole on a representor: netpoll's kernel lines reach its VF;
#   legacy    back to legacy: representors gone, the VEB carries traffic;
#   gone      SR-IOV off and on under an uplink rule to VF 1's representor:
#             the device drops what it matches, as tc's mirred does.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/switchdev-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs switchdev jq iperf3 ping python3 || exit 1
work=$(mktemp -d /tmp/qvn-switchdev.XXXXXX)
trap 'rm -rf "$work"' EXIT

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 2 > "$work/setup.guest"
step "switchdev: booting the guest (qosvnic, 2 VFs in namespaces)"
agent_test_boot "$work" switchdev "2 VFs in namespaces" "$work/setup.guest" "$here/tests/switchdev.host.bash" \
    --nic qosvnic --vfs 8 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_SWD_TIMEOUT:-900}"
