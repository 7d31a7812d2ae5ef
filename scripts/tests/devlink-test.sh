#!/usr/bin/env bash
# devlink/ethtool/tc test: the standard interfaces for every knob but the
# eswitch's (which switchdev-test.sh covers). Boots the guest with
# -device qosvnic,line-rate=1000 and a QMP socket, loads qosvnic.ko, puts
# VFs 0..1 in namespaces vf0..vf1; then from the host (checks in
# devlink.host.bash):
#   info      devlink dev info on the PF (driver, serial = PF MAC, contract)
#             and on a VF's own instance;
#   hw_addr   devlink port function set pci/PF/1 hw_addr: the VF's MAC;
#   rate      devlink port function rate set tx_max/tx_share: the device's
#             TX_MAX/MIN_RATE (QMP), traffic at tx_max; ip link set vf
#             max_tx_rate (the legacy alias) shows in devlink rate;
#   mqprio    tc qdisc mqprio ... shaper bw_rlimit on a VF asks the PF for
#             its rates (granted, refused above the administrator's, given
#             back when deleted);
#   health    devlink health reporters tx_timeout, ring_error, mailbox:
#             test events, counts, dumps, recovery (the VF still works);
#   selftest  ethtool -t on the PF (offline: loopback, scatter, doorbell)
#             and a VF;
#   aer       an injected PCIe error (QMP pcie_aer_inject_error) is
#             handled and traffic goes on; a fatal one resets the device
#             through a slot reset, and VF 1's MAC, port VLAN, trust,
#             spoofchk and rates are still there afterwards;
#   pm        suspend and resume (pm_test devices) keep traffic going.
#   pf reset  a sysfs reset of the PF while it has VFs returns (refused:
#             the VFs share its bus) and leaves the VFs and the PF working.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/devlink-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs devlink jq iperf3 ping python3 || exit 1
work=$(mktemp -d /tmp/qvn-devlink.XXXXXX)
trap 'rm -rf "$work"' EXIT

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 2 > "$work/setup.guest"
step "devlink: booting the guest (qosvnic, line-rate=1000, 2 VFs in namespaces)"
agent_test_boot "$work" devlink "2 VFs in namespaces" "$work/setup.guest" "$here/tests/devlink.host.bash" \
    --nic qosvnic --vfs 8 --device-args line-rate=1000 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_DLT_TIMEOUT:-900}"
