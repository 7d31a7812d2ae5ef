#!/usr/bin/env bash
# Driver fault test: the guest's debug kernel (QOSVNIC_GUEST_KERNEL=debug,
# scripts/build-debug-kernel.sh: KASAN, lockdep, DMA-API debugging, fault
# injection) runs N rounds of the driver's control paths, each a sysfs
# write from a shell whose kernel allocations fail at odds of 2, 10 or
# 50 % (failslab and fail_page_alloc, task filter; user pages spared):
# binding the PF (the whole probe), MTU changes, sriov_numvfs 2 (the VFs'
# probes), unbinding and binding each VF, sriov_numvfs 0, unbinding the PF.
# Asserts that no round leaves a KASAN, lockdep, WARNING or BUG report (or
# a hung task, a leak line) in dmesg, and that afterwards, with no
# injection, the driver loads, two VFs come up and carry traffic, and
# rmmod is clean.
#
# State on 2026-12-02 (20 rounds, 2 minutes): the driver's failures are
# clean (probe ends on register_netdev -12, MSI-X -12, pci_enable_sriov
# failing; no report from qosvnic.ko's code), and afterwards everything
# works; but it FAILs on the kernel's own reports under injection: a
# WARNING in pci_device_add (the PCI core's, when adding a VF fails), one
# in remove_proc_entry when MSI-X vectors whose /proc entries failed to be
# made are freed, and once a KASAN use-after-free of a task_struct at
# power-off. None of them is in the driver's code; they are not filtered.
#
# Rounds: QV_FAULT_ROUNDS (default 20). Not run by ./qosvnic check
# (test.sh skips it unless --only names it): the debug kernel takes about
# 30 minutes to build cold on 2 cores.
# Prints PASS:/FAIL: lines, exits non-zero on a failure.
#
# Usage: scripts/tests/driver-faults-test.sh   (root; builds what is missing)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

rounds=${QV_FAULT_ROUNDS:-20}
case $rounds in ''|*[!0-9]*|0) die "QV_FAULT_ROUNDS=$rounds: a number of rounds, at least 1" ;; esac
work=$(mktemp -d /tmp/qvn-faults.XXXXXX)
trap 'rm -rf "$work"' EXIT

export QOSVNIC_GUEST_KERNEL=debug
guest_test_needs driver-faults || exit 1

{ echo "rounds=$rounds"; cat "$here/tests/driver-faults.guest.bash"; } > "$work/guest.sh"
log=$work/console.log
step "driver-faults: $rounds rounds under allocation failures (debug kernel, qosvnic, 2 VFs)"
t0=$SECONDS
# No TOMOYO (Debian's kernel starts it): it panics when an allocation of
# the first exec fails, and every faulty command starts with an exec.
"$here/run-guest.sh" --nic qosvnic --vfs 8 --ip none --quiet --log "$log" \
    --append "lsm=capability,lockdown,yama" \
    --test "$work/guest.sh" --timeout $(( rounds * 60 + 900 ))
rc=$?
tr -d '\r' < "$log" > "$work/clean.log"
note "driver-faults: $rounds rounds in $((SECONDS - t0)) s (boot and power-off included)"
grep -E '^(PASS|FAIL|SKIP): |^    ' "$work/clean.log"
fails=0
grep -q '^FAIL: ' "$work/clean.log" && fails=1
if ! grep -q '^QVN-EXIT 0' "$work/clean.log"; then
    echo "FAIL: driver-faults: the guest's script finished (run-guest.sh exit $rc)"
    fails=1
fi
if [ "$fails" != 0 ]; then
    echo "--- guest console (last 60 lines) ---"
    grep -vE '^(PASS|FAIL|SKIP): ' "$work/clean.log" | tail -n 60 | sed 's/^/  | /'
fi
exit "$fails"
