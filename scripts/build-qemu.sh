#!/usr/bin/env bash
# Build qemu-system-x86_64 with the qosvnic device and its qtests.
#
# The QEMU tree is Debian trixie's qemu 10.0.x source package, cached under
# $QOSVNIC_CACHE keyed by its version and by the hash of patches/. Device and
# qtest sources are synced into it by content, so editing a device file
# rebuilds only that file. Binaries are copied to out/qemu/{bin,qtests};
# the path of out/qemu is printed last.
#
#
# --sanitize builds the same tree in a second build directory (build-san)
# with clang, ASan+UBSan and libFuzzer: one configuration gives the
# sanitized qemu-system-x86_64 and qtests (scripts/test.sh --suite
# sanitizers) and qemu-fuzz-x86_64 (scripts/fuzz.sh); they go to
# out/qemu-san/{bin,qtests}.
#
# Usage: build-qemu.sh [--sanitize] [--print-build-dir] [ninja targets...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

print_only=0 sanitize=0
while [ $# -gt 0 ]; do
    case "$1" in
        --print-build-dir) print_only=1 ;;
        --sanitize) sanitize=1 ;;
        *) break ;;
    esac
    shift
done

mkdir -p "$QOSVNIC_CACHE"
# One build at a time per cache: concurrent ninja runs in one tree corrupt it.
exec 9>"$QOSVNIC_CACHE/.build-lock"
flock 9

src_version() { # newest 10.0.x that trixie serves
    apt-cache showsrc qemu 2>/dev/null | awk '/^Version:/ {print $2}' |
        grep -E '^1:10\.0\.' | sort -V | tail -n 1
}

pkgver=$(src_version) || pkgver=
[ -n "$pkgver" ] || die "trixie serves no qemu 10.0.x source package (run scripts/setup-host.sh; check 'apt-cache showsrc qemu')"
upver=${pkgver#*:}; upver=${upver%%+*}; upver=${upver%%-*}
shopt -s nullglob
series=("$QOSVNIC_ROOT"/patches/*.patch)
patch_hash=$(cat /dev/null "${series[@]}" | sha256sum | cut -c1-12)
top=$QOSVNIC_CACHE/qemu-$upver
src=$top/src
build=$src/build
[ "$sanitize" = 0 ] || build=$src/build-san

if [ "$print_only" = 1 ]; then echo "$build"; exit 0; fi

if [ ! -f "$top/pristine/.qosvnic-pristine" ]; then
    step "fetching Debian's qemu $pkgver source (trixie)"
    rm -rf "$top/pristine" "$top/dl"
    mkdir -p "$top/dl"
    (cd "$top/dl" && apt-get source -q --only-source "qemu=$pkgver" >&2) ||
        die "apt-get source qemu=$pkgver failed (is the trixie deb-src line installed? run scripts/setup-host.sh)"
    d=$(find "$top/dl" -maxdepth 1 -mindepth 1 -type d -name 'qemu-*' | head -n 1)
    [ -n "$d" ] || die "apt-get source produced no qemu-* directory"
    mv "$d" "$top/pristine"
    rm -rf "$top/dl"
    touch "$top/pristine/.qosvnic-pristine"
fi

# One working tree per QEMU version, a git repository whose first commit is
# Debian's tree; patches/ are applied on top. When patches/ change, the tree
# is reset and the series re-applied, and the build directory (untracked) is
# kept, so only what the patches touch is rebuilt.
git_q() { git -C "$src" -c user.name=qosvnic -c user.email=qosvnic@localhost "$@"; }
if [ ! -d "$src/.git" ]; then
    step "preparing a git tree of QEMU $upver"
    rm -rf "$src"
    cp -a "$top/pristine" "$src"
    git_q init -q && git_q add -A -f . >/dev/null && git_q commit -q -m "Debian qemu $pkgver" &&
        git_q tag qosvnic-base || die "could not create the QEMU git tree in $src"
fi
if [ "$(cat "$src/.qosvnic-patches" 2>/dev/null)" != "$patch_hash" ]; then
    step "applying patches/ (${#series[@]} patches, key $patch_hash) to QEMU $upver"
    git_q am --abort >/dev/null 2>&1 || true
    git_q reset -q --hard qosvnic-base
    # Remove what a previous series added, but keep the build directory
    # and the synced device/test sources.
    git_q clean -q -fdx -e /build -e /build-san -e /hw/net/qosvnic -e '/tests/qtest/qosvnic*'
    [ ${#series[@]} = 0 ] || git_q am -q --3way "${series[@]}" ||
        die "patches/ do not apply to qemu $pkgver (see git am output above)"
    echo "$patch_hash" > "$src/.qosvnic-patches"
fi

sync_dir() { # from to: copy only files whose content changed (keeps mtimes)
    mkdir -p "$2"
    rsync -rc --delete "$1/" "$2/"
}
sync_dir "$QOSVNIC_ROOT/hw-net-qosvnic" "$src/hw/net/qosvnic"
mkdir -p "$src/tests/qtest"
qt=("$QOSVNIC_ROOT"/qtests/*.[ch])
[ ${#qt[@]} = 0 ] || rsync -c "${qt[@]}" "$src/tests/qtest/"
mkdir -p "$src/tests/qtest/qosvnic"
rsync -c "$QOSVNIC_ROOT/qtests/meson.build" "$src/tests/qtest/qosvnic/meson.build"

# Debian's python3, not a pyenv one: meson and pycotap are apt packages.
# virtfs (9p, with glibc's xattr calls as "attr") lets the nested set-up
# (scripts/vms.sh) show the host's files read-only to the outer guest, so
# that it runs libvirt and this QEMU without an image of its own.
# vhost-net and vfio are what users of the KVM path expect to have.
config_args=(--python=/usr/bin/python3 --target-list=x86_64-softmmu
    --without-default-features --enable-kvm --enable-tcg --enable-slirp
    --enable-attr --enable-virtfs --enable-vhost-net --enable-vhost-kernel
    --disable-docs --disable-install-blobs --disable-werror
    --enable-trace-backends=log)
if [ "$sanitize" = 1 ]; then
    # Only what the qtests and the fuzzer need: a smaller, faster build.
    # --enable-fuzzing instruments device code for libFuzzer and links
    # everything else with -fsanitize=fuzzer-no-link, so the system
    # emulator and the qtests come from the same build as the fuzzer.
    command -v clang >/dev/null || die "clang missing: apt-get install clang (Debian's ships libFuzzer and the sanitizer runtimes)"
    config_args=(--python=/usr/bin/python3 --target-list=x86_64-softmmu
        --cc=clang --cxx=clang++ --host-cc=clang
        --without-default-features --enable-tcg --enable-slirp
        --enable-fuzzing --enable-asan --enable-ubsan
        --disable-docs --disable-install-blobs --disable-werror
        --enable-trace-backends=log)
fi
config_key=$(printf '%s\n' "${config_args[@]}" | sha256sum | cut -c1-12)
if [ -f "$build/build.ninja" ] && [ "$(cat "$build/.qosvnic-config" 2>/dev/null)" != "$config_key" ]; then
    step "QEMU configure options changed: reconfiguring from scratch"
    rm -rf "$build"
fi
if [ ! -f "$build/build.ninja" ]; then
    step "configuring QEMU $upver in $(basename "$build") (x86_64-softmmu)"
    mkdir -p "$build"
    (cd "$build" && ../configure "${config_args[@]}" >&2) || die "QEMU configure failed (see output above)"
    echo "$config_key" > "$build/.qosvnic-config"
fi

# QEMU looks for firmware in <build>/qemu-bundle/usr/local/share/qemu.
fw=$build/qemu-bundle/usr/local/share/qemu
mkdir -p "$fw"
for dir in /usr/share/seabios /usr/share/qemu /usr/lib/ipxe/qemu; do
    [ -d "$dir" ] || die "$dir missing: run scripts/setup-host.sh (seabios, qemu-system-data, ipxe-qemu)"
    for f in "$dir"/*; do
        b=$(basename "$f")
        [ -e "$fw/$b" ] || ln -s "$f" "$fw/$b"
    done
done

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
    targets=(qemu-system-x86_64)
    [ "$sanitize" = 0 ] || targets+=(qemu-fuzz-x86_64)
    for t in $(sed -n "s/^ *'\\(qosvnic-[a-z0-9-]*-test\\)',\$/\\1/p" "$QOSVNIC_ROOT/qtests/meson.build"); do
        targets+=("tests/qtest/$t")
    done
fi
step "building ${targets[*]} in $build"
# ninja's own [n/N] status line is the progress indicator.
if [ -t 2 ]; then
    ninja -C "$build" "${targets[@]}" >&2
else
    NINJA_STATUS='[%f/%t %p] ' ninja -C "$build" "${targets[@]}" | \
        awk '/^\[/ { n++; if (n % 100 == 0 || /FAILED/) { print; fflush() }; next } { print; fflush() }' >&2
    [ "${PIPESTATUS[0]}" = 0 ] || die "ninja failed"
fi

# Publish into this clone's out/ so that several clones (or worktrees)
# sharing the cache each keep the binaries they built.
out=$QOSVNIC_ROOT/out/qemu
[ "$sanitize" = 0 ] || out=$QOSVNIC_ROOT/out/qemu-san
mkdir -p "$out/bin" "$out/share" "$out/qtests"
for t in "${targets[@]}"; do
    case "$t" in
        qemu-system-*|qemu-fuzz-*) cp -f "$build/$t" "$out/bin/" ;;
        tests/qtest/*) cp -f "$build/$t" "$out/qtests/" ;;
    esac
done
# QEMU finds firmware in <bindir>/../share/qemu.
ln -sfn "$fw" "$out/share/qemu"
echo "$out"
