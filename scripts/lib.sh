# Shared helpers for qosvnic scripts (sourced, not run).
# shellcheck shell=bash

QOSVNIC_ROOT=${QOSVNIC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# Caches live outside the clone so that a fresh clone reuses them.
QOSVNIC_CACHE=${QOSVNIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qosvnic}

step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# Print the accelerator arguments for booting a standard Linux guest.
# KVM only where a hardware KVM module is loaded: a paravirtual /dev/kvm
# (kvm_pvm) cannot boot a standard guest. QOSVNIC_ACCEL=kvm|tcg forces.
qosvnic_accel_args() {
    local accel=${QOSVNIC_ACCEL:-auto}
    if [ "$accel" = auto ]; then
        if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
            accel=kvm
        else
            accel=tcg
            printf 'note: no hardware KVM (kvm_intel/kvm_amd) here; using TCG (set QOSVNIC_ACCEL=kvm to force)\n' >&2
        fi
    fi
    case "$accel" in
        kvm) echo "-accel kvm -cpu host" ;;
        tcg) echo "-accel tcg${QOSVNIC_TCG_THREAD:+,thread=$QOSVNIC_TCG_THREAD} -cpu max" ;;
        *) die "QOSVNIC_ACCEL=$accel: expected auto, kvm or tcg" ;;
    esac
}

# What a guest test (scripts/tests/*-test.sh) needs before it boots: QEMU
# with the qosvnic device (built when missing; with device property PROP
# when --prop is given), a guest image with qosvnic.ko (for the kernel
# QOSVNIC_GUEST_KERNEL names), and the host tools it runs. Prints a FAIL
# line in the test's name and returns 1 when one is missing.
guest_test_needs() { # name [--prop PROP] host-tool...
    local name=$1 prop='' qemu t
    shift
    if [ "${1:-}" = --prop ]; then prop=$2; shift 2; fi
    qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
    [ -x "$qemu" ] || "$QOSVNIC_ROOT/scripts/build-qemu.sh" >&2 || true
    if [ -n "$prop" ]; then
        "$qemu" -device qosvnic,help 2>/dev/null | grep -q "$prop" ||
            { echo "FAIL: $name: qemu with the qosvnic device and $prop ($qemu)"; return 1; }
    else
        "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"' ||
            { echo "FAIL: $name: qemu with the qosvnic device ($qemu)"; return 1; }
    fi
    QOSVNIC_REQUIRE_DRIVER=1 "$QOSVNIC_ROOT/scripts/build-guest.sh" >&2 ||
        { echo "FAIL: $name: guest image with qosvnic.ko built"; return 1; }
    for t in "$@"; do
        command -v "$t" >/dev/null ||
            { echo "FAIL: $name: host tool $t (scripts/setup-host.sh)"; return 1; }
    done
}
