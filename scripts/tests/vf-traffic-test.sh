#!/usr/bin/env bash
# VF traffic test: boots the guest with -device qosvnic, loads qosvnic.ko,
# enables 4 VFs and puts VF n in guest network namespace vfn as
# 10.77.0.(11+n)/24 (iperf3, netserver and httpd serve there); the host side
# is run-guest.sh's tap 10.77.0.1. Then, from the host (the host drives the
# clients and reaches the guest over a second serial port, see
# scripts/qv-agent.sh; checks in vf-traffic.host.bash):
#   1. ping every VF;
#   2. iperf3 TCP through VF 0 and VF 2 at once, both deliver;
#   3. VF 1 ingress policer (QMP qosvnic-set-vf rx-rate, 20 Mbit/s): UDP offered at 3x
#      is received at the policer's rate +-10 % (in Ethernet frame bytes, as
#      the device counts); TCP through it is reported;
#   4. VF 1 flooded at 10x: its rx_drop_rate (ethtool -S) rises while VF 2
#      carries TCP without rate drops;
#   5. ip link set PF vf 1 max_tx_rate 20: UDP and TCP from VF 1 within 10 %;
#   6. a bridge in VF 3's namespace sends with a foreign source MAC: dropped
#      and counted (tx_drop_spoof) with spoofchk on, delivered with spoofchk
#      off or trust on;
#   7. netperf TCP_RR, TCP_CRR and httperf (busybox httpd) through VF 0.
# Asserts outcomes (delivery, counters, rates against the configured rate),
# never the machine's speed. Prints PASS:/FAIL: lines, exits non-zero on a
# failure.
#
# Usage: scripts/tests/vf-traffic-test.sh   (root; builds what is missing)
# Environment: VFT_SECONDS (per traffic run, default 5), VFT_RATE_MBIT (20).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs vf-traffic jq iperf3 httperf ping || exit 1
work=$(mktemp -d /tmp/qvn-vf-traffic.XXXXXX)
trap 'rm -rf "$work"' EXIT

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 4 > "$work/setup.guest"
step "vf-traffic: booting the guest (qosvnic, 4 VFs in namespaces)"
agent_test_boot "$work" vf-traffic "4 VFs in namespaces" "$work/setup.guest" "$here/tests/vf-traffic.host.bash" \
    --nic qosvnic --vfs 8 --qmp "$QV_QMP" --ip none --timeout "${QOSVNIC_VFT_TIMEOUT:-900}"
