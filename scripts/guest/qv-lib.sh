# Helpers for guest test scripts (sourced: . /lib/qv-lib.sh). Installed into
# the guest image by scripts/build-guest.sh. sysfs is the source of truth.
# shellcheck shell=bash

QV_VENDOR=0x1af4 QV_PF_ID=0x10f0 QV_VF_ID=0x10f1

qv_fail=0
pass() { echo "PASS: $*"; }
# shellcheck disable=SC2034  # qv_fail is read by the sourcing script
fail() { echo "FAIL: $*"; qv_fail=1; }
skip() { echo "SKIP: $*"; }
check() { # name command...: PASS/FAIL by the command's status
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# PCI addresses of the functions with vendor:device $1:$2, one per line.
qv_find() {
    local d
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] && echo "${d##*/}"
    done
    return 0
}
qv_pf() { qv_find "$QV_VENDOR" "$QV_PF_ID" | head -n 1; }
qv_vfs() { qv_find "$QV_VENDOR" "$QV_VF_ID"; }

# The driver bound to a PCI function ("-" if none).
qv_driver() {
    local l=/sys/bus/pci/devices/$1/driver
    if [ -e "$l" ]; then basename "$(readlink "$l")"; else echo -; fi
}

# Bind pci-pf-stub to the PF $1 (unbinding whatever has it).
qv_bind_pf_stub() {
    local pf=$1 drv
    modprobe pci-pf-stub || return 1
    drv=$(qv_driver "$pf")
    [ "$drv" = pci-pf-stub ] && return 0
    [ "$drv" = - ] || echo "$pf" > "/sys/bus/pci/devices/$pf/driver/unbind" || return 1
    # new_id probes unbound matching devices; if the ID is known, bind.
    echo "${QV_VENDOR#0x} ${QV_PF_ID#0x}" > /sys/bus/pci/drivers/pci-pf-stub/new_id 2>/dev/null ||
        echo "$pf" > /sys/bus/pci/drivers/pci-pf-stub/bind 2>/dev/null
    [ "$(qv_driver "$pf")" = pci-pf-stub ]
}

# Give the PF $1 back to no driver, and forget the pf-stub ID.
qv_unbind_pf_stub() {
    [ "$(qv_driver "$1")" = pci-pf-stub ] || return 0
    echo "$1" > /sys/bus/pci/drivers/pci-pf-stub/unbind
    echo "${QV_VENDOR#0x} ${QV_PF_ID#0x}" > /sys/bus/pci/drivers/pci-pf-stub/remove_id 2>/dev/null
    return 0
}

# Wait up to $2 seconds (default 5) until $1 is true (a command line).
qv_wait() {
    local i=0 n=$((${2:-5} * 10))
    until eval "$1"; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1
        sleep 0.1
    done
}

# One lspci -nn -k like line for the PCI function $1.
qv_lspci() {
    local d=/sys/bus/pci/devices/$1 kind="" net="" n
    if [ -e "$d/physfn" ]; then
        kind=" VF of $(basename "$(readlink "$d/physfn")")"
    elif [ -f "$d/sriov_totalvfs" ]; then
        kind=" PF, VFs $(cat "$d/sriov_numvfs")/$(cat "$d/sriov_totalvfs")"
    fi
    for n in "$d"/net/*; do [ -e "$n" ] && net="$net ${n##*/}"; done
    printf '%s [%04x] %s:%s (rev %s)%s driver=%s%s\n' "${1#0000:}" \
        "$(($(cat "$d/class") >> 8))" "$(cut -c3- "$d/vendor")" \
        "$(cut -c3- "$d/device")" "$(cut -c3- "$d/revision")" \
        "$kind" "$(qv_driver "$1")" "${net:+ net:$net}"
}
