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

guest_test_needs ovs-offload jq iperf3 ping python3 || exit 1
work=$(mktemp -d /tmp/qvn-ovs-offload.XXXXXX)
trap 'rm -rf "$work"' EXIT

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 2 > "$work/setup.guest"
step "ovs-offload: booting the guest (qosvnic, 2 VFs in namespaces)"
agent_test_boot "$work" ovs-offload "2 VFs in namespaces" "$work/setup.guest" "$here/tests/ovs-offload.host.bash" \
    --nic qosvnic --vfs 8 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_OVS_TIMEOUT:-900}"
