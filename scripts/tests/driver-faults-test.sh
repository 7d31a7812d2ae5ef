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
# A probe makes hundreds of allocations and mostly fails even at 2 %, so
# after a failed bind the PF is bound without injection and the later
# steps run under it. The core kernel's own reports under injection that
# scripts/guest/qv-kreports.awk knows (pci_device_add()'s WARN_ON when a
# VF's device_add() fails; remove_proc_entry()'s for an MSI-X vector's
# /proc entries that were never made) are shown and not counted. After
# the first of the former, SR-IOV is not enabled again in that boot: the
# PCI core keeps that VF's BARs claimed, and the next enable hits
# BUG_ON() in pci_iov_add_virtfn(), and the shell that dies in it holds
# the device lock, which power-off then reads through its freed
# task_struct: a KASAN use-after-free, as seen once before (that log is
# gone, so it is not known that it came the same way). The final VF
# traffic check is then a SKIP.
#
# State on 2026-12-02 (20 rounds): FAILs. No report is from the driver's
# code, but ACPICA's own: after "ACPI Error: AE_NO_MEMORY, Could not
# update object reference count" (utdelete.c) while a bind evaluates the
# slot's _DSM, a later round reports "KASAN: use-after-free in
# acpi_ns_check_object_type" and then oopses in acpi_ns_repair_PRT, and
# the script dies. It is not left out: it is not analysed beyond that.
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
