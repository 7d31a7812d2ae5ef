#!/usr/bin/env bash
# Style gate: QEMU's checkpatch.pl on the device model and qtests (from the
# cached QEMU tree), the kernel's checkpatch.pl --strict on the driver (via
# guest-driver/checkpatch.sh), and the source rules of
# check-device-layers.py and check-driver-rules.py. One PASS:/FAIL: line
# per file or rule; the findings of a failing file are printed above its
# line.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

build=$("$here/build-qemu.sh" --print-build-dir) || exit 1
qemu_cp=$(dirname "$build")/scripts/checkpatch.pl
# (the QEMU tree is only read here; builds of other clones may change it)
[ -x "$qemu_cp" ] || die "no $qemu_cp: run scripts/build-qemu.sh first"

status=0
check() { # label output-producing command...
    local label=$1; shift
    local out
    if out=$("$@" 2>&1); then
        echo "PASS: checkpatch $label"
    else
        echo "$out" | grep -E '^(ERROR|WARNING|CHECK|#|\+)' | head -n 40
        echo "FAIL: checkpatch $label"
        status=1
    fi
}

# QEMU's checkpatch judges a file by where it sits in QEMU's tree (test
# code may use g_assert_cmp*), so check copies laid out as in that tree.
lay=$(mktemp -d)
trap 'rm -rf "$lay"' EXIT
mkdir -p "$lay/hw/net/qosvnic" "$lay/tests/qtest"
cd "$QOSVNIC_ROOT" || exit 1
for f in hw-net-qosvnic/*.[ch] qtests/*.[ch]; do
    b=$(basename "$f")
    [ "$b" = trace.h ] && continue
    case "$f" in
        hw-net-qosvnic/*) in_tree=hw/net/qosvnic/$b ;;
        *) in_tree=tests/qtest/$b ;;
    esac
    cp "$f" "$lay/$in_tree"
    check "$f" bash -c 'cd "$1" && "$2" --no-tree --strict -f "$3"' _ "$lay" "$qemu_cp" "$in_tree"
done

# The register reference must still be what the contract header says.
python3 "$QOSVNIC_ROOT/scripts/gen-register-doc.py" --check || status=1
# The device's files call only down their layers (docs/design.md).
python3 "$QOSVNIC_ROOT/scripts/check-device-layers.py" || status=1
# The driver's lockless MTU and one writer per u64_stats_sync, which no
# x86-64 guest test can see; the self-test shows the check can fail.
python3 "$QOSVNIC_ROOT/scripts/check-driver-rules.py" || status=1
python3 "$QOSVNIC_ROOT/scripts/check-driver-rules.py" --self-test || status=1

# Make sure the kernel's checkpatch is extracted, then check file by file.
"$QOSVNIC_ROOT/guest-driver/checkpatch.sh" >/dev/null 2>&1
kcp=${QV_CHECKPATCH_DIR:-$HOME/.cache/qosvnic/checkpatch}/checkpatch.pl
if [ ! -x "$kcp" ]; then
    echo "FAIL: checkpatch guest-driver (no kernel checkpatch.pl; install linux-source-6.1)"
    exit 1
fi
for f in guest-driver/*.[ch]; do
    case "$f" in *.mod.c) continue ;; esac
    check "$f --strict" "$kcp" --strict --no-tree -f "$f"
done
exit $status
