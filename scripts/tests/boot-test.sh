#!/usr/bin/env bash
# Boot test: boots the guest under TCG with -device qosvnic,max-vfs=8 and
# checks SR-IOV from the guest's sysfs: the PF (1af4:10f0) is there,
# pci-pf-stub binds it, 4 VFs (1af4:10f1) appear at PF devfn+1.. when
# sriov_numvfs=4, and go away with 0.
#
# Prints one "PASS: name" / "FAIL: name" / "SKIP: name" line per check
# (the test runner counts them) and exits non-zero on any failure. Asserts
# no timings. Until QEMU has the qosvnic device the guest is booted with
# igb instead, so the boot itself is still checked and the device checks FAIL.
#
# Usage: scripts/tests/boot-test.sh   (root; builds QEMU if out/qemu is
#        missing, and the guest image, cached)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
work=$(mktemp -d /tmp/qvn-boot-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=1; }

if [ ! -x "$qemu" ]; then "$here/build-qemu.sh" >&2 || true; fi
if [ ! -x "$qemu" ]; then
    note "$qemu missing and scripts/build-qemu.sh failed"
    fail "boot-test: qemu built"
    exit 1
fi
if ! "$here/build-guest.sh" >&2; then
    fail "boot-test: guest image built"
    exit 1
fi

nic=(--nic qosvnic --vfs 8)
if "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"'; then
    pass "boot-test: qemu has the qosvnic device"
else
    fail "boot-test: qemu has the qosvnic device"
    note "no qosvnic device in $qemu: booting with igb to check the boot itself"
    nic=(--nic igb)
fi

cat > "$work/guest.sh" <<'GUEST'
. /lib/qv-lib.sh
echo "PCI functions (sysfs):"
for d in /sys/bus/pci/devices/*; do echo "  $(qv_lspci "${d##*/}")"; done
pf=$(qv_pf)
if [ -z "$pf" ]; then
    fail "boot-test: PF 1af4:10f0 found in sysfs"
    for c in "pci-pf-stub bound to the PF" "sriov_totalvfs is 8" "4 VFs 1af4:10f1 appear" \
             "VFs at PF devfn+1..4" "VFs removed with sriov_numvfs=0"; do
        fail "boot-test: $c"
    done
    exit 1
fi
echo "  PF at $pf"
pass "boot-test: PF 1af4:10f0 found in sysfs"
check "boot-test: pci-pf-stub bound to the PF" qv_bind_pf_stub "$pf"
sys=/sys/bus/pci/devices/$pf
total=$(cat "$sys/sriov_totalvfs" 2>/dev/null)
echo "  sriov_totalvfs: ${total:-none}"
check "boot-test: sriov_totalvfs is 8" [ "$total" = 8 ]

echo 4 > "$sys/sriov_numvfs"
qv_wait '[ "$(qv_vfs | wc -l)" -ge 4 ]' 10
vfs=$(qv_vfs)
for v in $vfs; do echo "  $(qv_lspci "$v")"; done
n=$(echo "$vfs" | grep -c .)
echo "  $n VFs"
check "boot-test: 4 VFs 1af4:10f1 appear" [ "$n" = 4 ]
# ARI: VF n is at PF devfn + 1 + n, and links back to the PF.
pfn=$((0x${pf##*.}))
pslot=${pf%.*}; pslot=$((0x${pslot##*:}))
want="" got=""
for i in 1 2 3 4; do
    fn=$(( (pslot * 8 + pfn + i) ))
    want="$want ${pf%:*}:$(printf '%02x.%x' $((fn / 8)) $((fn % 8)))"
done
for v in $vfs; do
    [ "$(basename "$(readlink /sys/bus/pci/devices/$v/physfn)")" = "$pf" ] && got="$got $v"
done
echo "  VFs expected at$want, found at$got"
check "boot-test: VFs at PF devfn+1..4" [ "$want" = "$got" ]

echo 0 > "$sys/sriov_numvfs"
qv_wait '[ -z "$(qv_vfs)" ]' 10
n=$(qv_vfs | grep -c .)
echo "  $n VFs left"
check "boot-test: VFs removed with sriov_numvfs=0" [ "$n" = 0 ]
exit $qv_fail
GUEST

log=$work/console.log
step "booting the guest (${nic[*]})"
"$here/run-guest.sh" "${nic[@]}" --test "$work/guest.sh" --append qv.coldplug=0 \
    --ip none --quiet --log "$log" --timeout "${QOSVNIC_BOOT_TIMEOUT:-600}"
rc=$?
tr -d '\r' < "$log" > "$work/clean.log"
if grep -q '^QVN-READY' "$work/clean.log"; then
    pass "boot-test: guest boots to userspace"
else
    fail "boot-test: guest boots to userspace"
fi
grep -E '^(PASS|FAIL|SKIP): ' "$work/clean.log"
grep -q '^FAIL: ' "$work/clean.log" && fails=1
if ! grep -q '^QVN-EXIT ' "$work/clean.log"; then
    fail "boot-test: guest test script finished"
fi
if [ "$fails" != 0 ]; then
    echo "--- run-guest.sh exit $rc; guest console (last 40 lines) ---"
    grep -vE '^(PASS|FAIL|SKIP): ' "$work/clean.log" | tail -n 40 | sed 's/^/  | /'
fi
exit "$fails"
