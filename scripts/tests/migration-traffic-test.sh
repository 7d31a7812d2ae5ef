#!/usr/bin/env bash
# Live migration under traffic (issue 9, "Proof that stays in the tree"):
# boots the guest with -device qosvnic,dma-rate=1500000 (a modelled receive
# DMA the traffic outruns) and a QMP socket, loads qosvnic.ko, puts VFs 0
# and 1 in namespaces vf0 and vf1 (scripts/qv-agent.sh), then from the host
# (checks in migration-traffic.host.bash):
#   - VF 0 is policed (QMP rx-rate 4 Mbit/s) and carries a TCP stream
#     from the host (into busybox nc in the guest); VF 1's buffer
#     partition is a static 64 KiB
#     (buf-alpha 0) and a UDP flood from the host overruns it;
#   - a second QEMU of the same guest is started on this host with -S
#     -incoming, and the guest is migrated to it through QMP (migrate)
#     while both VFs carry that traffic;
#   - no frame the device admitted before the switch-over is lost: the
#     destination's counters and held frames are the source's, and the
#     frames VF 1 held at the switch-over are all delivered after it (its
#     delivered frames grow by exactly the frames held, no drops); the
#     device's own account (rx-admitted = rx-packets + buf-frames +
#     rx-discarded) adds up on both sides; every frame the device
#     delivered reached the guest's IP layer;
#   - rates and partitions continue: VF 0's policer is still set and
#     drops the TCP stream's excess again once it has recovered, VF 0
#     admits no more than rate x time + burst; VF 1 still drops for its
#     partition and never holds more than it; VF 0 loses no frame to VF
#     1's flood;
#   - the TCP stream that spans the migration closes cleanly and the guest
#     received every byte the host sent;
#   - moderated interrupts still flow: after the migration, with the
#     traffic stopped, pings to each idle VF are answered and raise its RX
#     interrupt (the guest's /proc/interrupts); no kernel warnings.
# Asserts behaviour, never speeds. Prints PASS:/FAIL: lines, exits non-zero
# on a failure.
#
# Usage: scripts/tests/migration-traffic-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/qv-agent.sh
. "$here/qv-agent.sh"

guest_test_needs migration-traffic jq ping python3 || exit 1
work=$(mktemp -d /tmp/qvn-migration.XXXXXX)
trap 'rm -rf "$work"' EXIT

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 2 > "$work/setup.guest"
step "migration-traffic: booting the guest (qosvnic, 2 VFs in namespaces), then migrating it"
agent_test_boot "$work" migration-traffic "2 VFs in namespaces" "$work/setup.guest" "$here/tests/migration-traffic.host.bash" \
    --nic qosvnic --vfs 8 --device-args dma-rate=1500000 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_MIG_TIMEOUT:-1200}"
