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
