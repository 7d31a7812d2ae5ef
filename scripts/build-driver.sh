#!/usr/bin/env bash
# Build guest-driver/qosvnic.ko out of tree (Kbuild, W=1).
#
#   build-driver.sh           against the headers of the guest's kernel
#                             (bookworm's linux-image-amd64, what
#                             build-guest.sh boots), or KDIR=... if set
#   build-driver.sh --check   against that kernel AND the newest
#                             bookworm-backports kernel; one PASS:/FAIL:
#                             line each, FAIL on any compiler warning
#
# The backports headers are unpacked with dpkg -x into $QOSVNIC_CACHE
# rather than installed: installing them would pull in a 6.12 kernel image.
# build-guest.sh builds its own copy for the image; this is for developers
# and for the test suite.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# Headers of the guest kernel (installed from apt if needed).
guest_kdir() {
    local kpkg kver
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
           awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$kpkg" ] || die "cannot tell the guest kernel (apt-cache depends linux-image-amd64)"
    kver=${kpkg#linux-image-}
    if [ ! -d "/usr/src/linux-headers-$kver" ]; then
        step "installing linux-headers-$kver"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "linux-headers-$kver" >&2
    fi
    echo "/usr/src/linux-headers-$kver"
}

# Headers of the newest bookworm-backports kernel, unpacked (cached).
backports_kdir() {
    local hpkg kver root
    hpkg=$(apt-cache depends -t bookworm-backports linux-headers-amd64 2>/dev/null |
           awk '/Depends: linux-headers-[0-9]/ {print $2; exit}')
    [ -n "$hpkg" ] || return 1
    kver=${hpkg#linux-headers-}; kver=${kver%-amd64}
    root=$QOSVNIC_CACHE/kheaders-$kver
    if [ ! -f "$root/.done" ]; then
        step "unpacking linux-headers-$kver-amd64 from bookworm-backports"
        rm -rf "$root" && mkdir -p "$root/debs"
        (cd "$root/debs" && apt-get download -q "linux-headers-$kver-amd64" \
            "linux-headers-$kver-common" "linux-kbuild-${kver%-*}" >&2) || return 1
        for d in "$root"/debs/*.deb; do dpkg -x "$d" "$root"; done
        # The arch tree includes the common tree by absolute path.
        sed -i "s|^include /usr/src/|include $root/usr/src/|" \
            "$root/usr/src/linux-headers-$kver-amd64/Makefile"
        touch "$root/.done"
    fi
    echo "$root/usr/src/linux-headers-$kver-amd64"
}

# Build in a private copy so that builds for two kernels do not mix objects
# and the source tree gets no build products.
build_in_copy() { # kdir log
    local work
    work=$(mktemp -d)
    cp -a "$QOSVNIC_ROOT/guest-driver" "$QOSVNIC_ROOT/hw-net-qosvnic" "$work/"
    # No pahole here: skip BTF for modules (it is optional).
    make -C "$work/guest-driver" KDIR="$1" W=1 CONFIG_DEBUG_INFO_BTF_MODULES= \
        > "$2" 2>&1
    local rc=$?
    [ -f "$work/guest-driver/qosvnic.ko" ] || rc=1
    rm -rf "$work"
    return $rc
}

if [ "${1:-}" != --check ]; then
    kdir=${KDIR:-$(guest_kdir)}
    step "building qosvnic.ko against $kdir"
    exec make -C "$QOSVNIC_ROOT/guest-driver" KDIR="$kdir" W=1
fi

status=0
check_one() { # label kdir
    local log
    log=$(mktemp)
    if build_in_copy "$2" "$log" && ! grep -q 'warning:' "$log"; then
        echo "PASS: driver builds warning-free (W=1) against $1"
    else
        grep -E 'warning:|error:' "$log" | head -n 20
        echo "FAIL: driver builds warning-free (W=1) against $1"
        status=1
    fi
    rm -f "$log"
}
k=$(guest_kdir)
check_one "$(basename "$k")" "$k"
if k=$(backports_kdir); then
    check_one "$(basename "$k") (bookworm-backports)" "$k"
else
    echo "FAIL: driver builds against bookworm-backports headers (could not fetch them)"
    status=1
fi
exit $status
