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
#     delivered frames grow by exactly the frames held, no drops); every
#     frame the device delivered reached the guest's IP layer;
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

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-migration.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if ! "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    echo "FAIL: migration-traffic: qemu with the qosvnic device ($qemu)"
    exit 1
fi
if ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >&2; then
    echo "FAIL: migration-traffic: guest image with qosvnic.ko built"
    exit 1
fi
for t in jq ping python3; do
    command -v "$t" >/dev/null || { echo "FAIL: migration-traffic: host tool $t (scripts/setup-host.sh)"; exit 1; }
done

export QV_QMP=$work/qmp.sock
agent_setup_qosvnic_vfs 2 > "$work/setup.guest"
log=$work/console.log
step "migration-traffic: booting the guest (qosvnic, 2 VFs in namespaces), then migrating it"
agent_run migration-traffic "$work/setup.guest" "$here/tests/migration-traffic.host.bash" "$log" \
    --nic qosvnic --vfs 8 --device-args dma-rate=1500000 --qmp "$QV_QMP" --ip none \
    --timeout "${QOSVNIC_MIG_TIMEOUT:-1200}" | tee "$work/host.out"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$log" > "$work/clean.log"
fails=0
grep -q '^QVN-READY' "$work/clean.log" || { echo "FAIL: migration-traffic: guest set-up (2 VFs in namespaces)"; fails=1; }
grep -q '^FAIL: ' "$work/host.out" && fails=1
grep -qE '^(PASS|FAIL): ' "$work/host.out" || fails=1
if [ "$rc" != 0 ] || [ "$fails" != 0 ]; then
    [ "$rc" = 0 ] || echo "FAIL: migration-traffic: run-guest.sh exit $rc"
    echo "--- guest console (last 40 lines, both QEMUs) ---"
    tail -n 40 "$work/clean.log" | sed 's/^/  | /'
    exit 1
fi
exit 0
