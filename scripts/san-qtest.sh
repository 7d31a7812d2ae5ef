#!/usr/bin/env bash
# Run one qtest binary against the ASan+UBSan build (out/qemu-san, from
# scripts/build-qemu.sh --sanitize) and fail on any sanitizer report from
# QEMU or the test. Leak reports are off: QEMU's own allocations at exit
# are not the device's. Used by scripts/test.sh --suite sanitizers.
#
# Usage: scripts/san-qtest.sh OUT_QEMU_SAN QTEST_NAME
set -uo pipefail
out=$1 t=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export QTEST_QEMU_BINARY=$out/bin/qemu-system-x86_64
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
timeout 1200 "$out/qtests/$t" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
    grep -E -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 40
    echo "FAIL: $t: sanitizer report"
    exit 1
fi
exit "$rc"
