#!/usr/bin/env bash
# Build guest-driver/qosvnic.ko out of tree against the headers of the
# guest's kernel (the version build-guest.sh boots), or KDIR=... if given.
# build-guest.sh builds its own copy for the image; this is for developers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

if [ -z "${KDIR:-}" ]; then
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
           awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$kpkg" ] || die "cannot tell the guest kernel (apt-cache depends linux-image-amd64)"
    kver=${kpkg#linux-image-}
    KDIR=/usr/src/linux-headers-$kver
    if [ ! -d "$KDIR" ]; then
        step "installing linux-headers-$kver"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "linux-headers-$kver" >&2
    fi
fi
step "building qosvnic.ko against $KDIR"
make -C "$QOSVNIC_ROOT/guest-driver" KDIR="$KDIR" W=1
