#!/usr/bin/env bash
# Run every qosvnic test and end with one summary line
#   "N passed, N failed[, N skipped]".
#
# Suites, in order:
#   qtest      each qtests/qosvnic-*-test binary (TAP: one result per case)
#   style      QEMU checkpatch on the device and qtest sources, kernel
#              checkpatch --strict on the driver, and a W=1 build of the
#              driver against bookworm's and bookworm-backports' kernels
#   sanitizers every qtest again against QEMU built with clang, ASan and
#              UBSan (scripts/build-qemu.sh --sanitize, cached); any
#              sanitizer report fails (scripts/san-qtest.sh); then a fuzz
#              smoke of the device (scripts/fuzz.sh: one pass over the
#              kept corpus and up to 80 s of fuzzing, then the same with
#              its wire and DMA engine slowed and 40 s; a large corpus's
#              pass can take longer: about 3 minutes in all with the
#              2,665 inputs of qtests/fuzz/corpus.tar.xz, 5.3 with 8,411
#              before the first merge)
#   guest      scripts/tests/*.sh, which boot guests (TCG unless hardware KVM)
#              and print "PASS: name" / "FAIL: name" / "SKIP: name" lines
#
# Usage: scripts/test.sh [--no-setup] [--suite qtest|style|sanitizers|guest]...
#                        [--only REGEX]     (guest test scripts by name)
# Needs root (apt, network namespaces); builds what is missing (cached).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

setup=1 only='' suites=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-setup) setup=0 ;;
        --suite) suites+=("$2"); shift ;;
        --only) only=$2; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ ${#suites[@]} -gt 0 ] || suites=(qtest style sanitizers guest)
want() { local s; for s in "${suites[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

passed=0 failed=0 skipped=0
failures=()
count_line() { # one result line in PASS:/FAIL:/SKIP: or TAP form
    case "$1" in
        PASS:*|"ok "*)
            case "$1" in *"# SKIP"*) skipped=$((skipped + 1)); return ;; esac
            passed=$((passed + 1)) ;;
        FAIL:*|"not ok "*|"Bail out!"*) failed=$((failed + 1)); failures+=("$1") ;;
        SKIP:*) skipped=$((skipped + 1)) ;;
    esac
}
# Run a command, show its output, count its result lines. A command that
# fails without reporting any failure line counts as one failure itself.
run_counted() { # name cmd...
    local name=$1; shift
    local before=$failed log rc
    log=$(mktemp)
    # The command's own status, not the pipeline's (grep finds nothing
    # when a command dies before its first result line).
    { "$@" 2>&1; echo "$?" > "$log.rc"; } | tee "$log" |
        grep -E '^(PASS:|FAIL:|SKIP:|ok |not ok |Bail out!)'
    rc=$(cat "$log.rc")
    while IFS= read -r line; do count_line "$line"; done < "$log"
    if [ "$rc" != 0 ]; then
        # Its own result lines may not say why (a set-up that failed before
        # the first check prints one FAIL and the reason only in its log),
        # and CI keeps nothing but this output.
        [ "$failed" != "$before" ] || count_line "FAIL: $name exited with status $rc"
        echo "---- last lines of $name ----"; tail -n 40 "$log"
    fi
    rm -f "$log" "$log.rc"
}

if [ "$setup" = 1 ]; then
    step "host packages"
    "$here/setup-host.sh" || die "setup-host.sh failed"
fi

step "building QEMU with qosvnic and its qtests"
out=$("$here/build-qemu.sh" | tail -n 1) || die "QEMU build failed"
export QTEST_QEMU_BINARY=$out/bin/qemu-system-x86_64

if want qtest; then
    for t in $(sed -n "s/^ *'\(qosvnic-[a-z0-9-]*-test\)',\$/\1/p" "$QOSVNIC_ROOT/qtests/meson.build"); do
        step "qtest $t"
        run_counted "$t" timeout 600 "$out/qtests/$t"
    done
fi

if want style; then
    step "style: checkpatch"
    run_counted checkpatch "$here/checkpatch-all.sh"
    step "style: the driver builds against both kernels"
    run_counted build-driver "$here/build-driver.sh" --check
fi

if want sanitizers; then
    step "building QEMU with ASan+UBSan and libFuzzer (cached)"
    san=$("$here/build-qemu.sh" --sanitize | tail -n 1) || die "sanitizer build failed"
    for t in $(sed -n "s/^ *'\(qosvnic-[a-z0-9-]*-test\)',\$/\1/p" "$QOSVNIC_ROOT/qtests/meson.build"); do
        step "qtest $t (ASan+UBSan)"
        run_counted "$t (ASan+UBSan)" "$here/san-qtest.sh" "$san" "$t"
    done
    step "fuzz smoke: generic-fuzz-qosvnic"
    run_counted fuzz "$here/fuzz.sh" --no-build --no-trace --seconds 80
    step "fuzz smoke: generic-fuzz-qosvnic-shaped"
    # No trace-event replay here: it runs the whole kept corpus twice,
    # which grows with every run (./qosvnic fuzz --trace-only reports it).
    run_counted fuzz-shaped "$here/fuzz.sh" --no-build --no-trace --target qosvnic-shaped --seconds 40
fi

# Guest tests that check does not run unless --only names them:
# driver-faults-test needs the debug kernel (30 minutes to build cold).
optin=" driver-faults-test "
if want guest; then
    for t in "$here"/tests/*.sh; do
        name=$(basename "$t" .sh)
        if [ -n "$only" ] && ! [[ "$name" =~ $only ]]; then continue; fi
        if [ -z "$only" ] && [[ "$optin" == *" $name "* ]]; then continue; fi
        step "guest test $name"
        run_counted "$name" timeout 1800 "$t"
    done
fi

echo
for f in "${failures[@]}"; do echo "  $f"; done
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
