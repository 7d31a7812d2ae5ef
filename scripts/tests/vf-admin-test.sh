#!/usr/bin/env bash
# VF administration test: what the PF driver does when the administrator,
# the host or a VF changes a VF's configuration at run time, and that a VF
# survives resets (driver issue 9, items 1, 3, 5, 6, 8 and 9). Boots the
# guest with -device qosvnic,line-rate=1000 and a QMP socket, loads
# qosvnic.ko, puts VFs 0..2 in namespaces vf0..vf2 (scripts/qv-agent.sh),
# then from the host (checks in vf-admin.host.bash):
#   ring    ethtool -G below the minimum is refused (extack), not clamped;
#           RX buffers are larger than a page by default (a page with
#           large receive off); rx-buf-len rounds up to a page order's
#           buffer, refuses more than the largest, and page-sized buffers
#           carry TCP;
#   rate    min_tx_rate above max_tx_rate is refused; a setting the host
#           caps (QMP tx-max-rate) is refused whole, nothing half-applied;
#           guarantees (min_tx_rate) must fit in the line rate together;
#   mac     an untrusted VF may change the device's default MAC but not
#           take another function's, nor an administrator's MAC; a MAC the
#           administrator sets reaches the running VF (host ping);
#   vlan    a port VLAN change reaches the running VF (it resets), which
#           carries traffic on the VLAN;
#   reset   after an FLR and after ethtool --reset the VF's misc interrupt
#           still fires (link state change), and after the PF's reset the
#           PF still serves the VFs' mailbox;
#   sb      devlink-sb pool sizes are the device's (reserves and the rest),
#           to_alpha follows the uAPI (alpha = 2^(to_alpha - 10));
#   lro     large receive frames count as the segments the host sent
#           (IpExt InNoECTPkts against the host's TCP OutSegs);
#   qos     (each VF asks with tc qdisc ... mqprio ... mode channel shaper
#           bw_rlimit min_rate/max_rate) untrusted VFs get no guarantee
#           through QOS_REQ and never overwrite the administrator's
#           min_tx_rate; trusted VFs get guarantees while the sum fits the
#           line rate; deleting the qdisc gives the grant back; trust off
#           takes back a guarantee only trust got;
#   sriov   SR-IOV off and on: no port VLAN, trust or rate left over.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/vf-admin-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs vf-admin jq iperf3 ping python3 || exit 1
work=$(mktemp -d /tmp/qvn-vf-admin.XXXXXX)
trap 'rm -rf "$work"' EXIT

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 3 > "$work/setup.guest"
step "vf-admin: booting the guest (qosvnic, line-rate 1000, 3 VFs in namespaces)"
agent_test_boot "$work" vf-admin "3 VFs in namespaces" "$work/setup.guest" "$here/tests/vf-admin.host.bash" \
    --nic qosvnic --vfs 8 --device-args line-rate=1000 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_VFA_TIMEOUT:-900}"
