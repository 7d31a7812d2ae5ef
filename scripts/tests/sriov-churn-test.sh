#!/usr/bin/env bash
# SR-IOV churn test: the guest enables and disables three VFs N times
# while its other vCPU writes to the PF's registers (MTU changes). Each
# enable and disable changes the memory map (the VFs' BARs) under a vCPU
# that is in the middle of MMIO. QEMU 10.0 under TCG aborted in this
# workload
#   iotlb_to_section: Assertion `section_index < d->map.sections_nb' failed.
# (patches/0009 fixes it: a vCPU looks its TLB entries' sections up in the
# memory map they were made from). Measured without the patch: the
# workload, run as a script on the KCSAN guest kernel
# (QOSVNIC_GUEST_KERNEL=kcsan, a slower guest), aborted in 2 of 3 runs;
# this test (some runs with an extra loop reading the PF's config space)
# passed 5 runs on Debian's kernel (which check boots) and 2 on
# the KCSAN kernel, and once the KCSAN guest hung at boot (RCU stalls, a
# vCPU's timer interrupts lost; not shown to be the same bug). With the
# patch: 0 of 4 script runs aborted, and the test passed on both kernels.
# So in check it is a test that VFs come and go cleanly with a chance at
# the race, not a reliable regression test for it. Asserts that QEMU and
# the guest live through every round, three VFs probe in each, and the
# kernel logs no warning.
#
# Rounds: QV_CHURN_ROUNDS (default 25: about 50 s under TCG on Debian's
# kernel, boot included).
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/sriov-churn-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

rounds=${QV_CHURN_ROUNDS:-25}
case $rounds in ''|*[!0-9]*|0) die "QV_CHURN_ROUNDS=$rounds: a number of rounds, at least 1" ;; esac
work=$(mktemp -d /tmp/qvn-churn.XXXXXX)
trap 'rm -rf "$work"' EXIT

guest_test_needs sriov-churn || exit 1

{ echo "rounds=$rounds"; cat "$here/tests/sriov-churn.guest.bash"; } > "$work/guest.sh"
log=$work/console.log
step "sriov-churn: $rounds rounds of 3 VFs on and off under PF register writes"
t0=$SECONDS
"$here/run-guest.sh" --nic qosvnic --vfs 8 --ip none --quiet --log "$log" \
    --test "$work/guest.sh" --timeout $(( rounds * 20 + 300 )) > "$work/run.out" 2>&1
rc=$?
tr -d '\r' < "$log" > "$work/clean.log"
note "sriov-churn: $rounds rounds in $((SECONDS - t0)) s (boot and power-off included)"
grep -E '^(PASS|FAIL|SKIP): |^    ' "$work/clean.log"
fails=0
grep -q '^FAIL: ' "$work/clean.log" && fails=1
if grep -q '^QVN-EXIT' "$work/clean.log"; then
    echo "PASS: sriov-churn: QEMU and the guest lived through every round"
else
    echo "FAIL: sriov-churn: QEMU and the guest lived through every round (run-guest.sh exit $rc)"
    tail -n 5 "$work/run.out" | sed 's/^/    /'
    tail -n 20 "$work/clean.log" | sed 's/^/  | /'
    fails=1
fi
exit "$fails"
