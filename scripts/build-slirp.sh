#!/usr/bin/env bash
# Build libslirp from Debian trixie's source (4.8.x) with clang and ASan,
# as the shared library scripts/fuzz.sh runs the fuzzer against; cached
# under $QOSVNIC_CACHE/libslirp-VERSION. Prints the library's directory
# last.
#
# Why: the fuzz target's backend is -netdev user, so the device's frames
# reach slirp's own TCP/IP stack. Bookworm's libslirp 4.7.0 crashes in its
# IPv4 reassembly (ip_reass) when the frames are fragments: a reassembly
# queue whose head was overwritten by a later packet, then a SIGBUS on the
# wild pointer read from it (a core of qemu-fuzz-x86_64, issue 9). 4.8.0
# rewrote that code (the ipq/ipasfrag type punning became struct ipas)
# and has not crashed there. Bookworm's library is not instrumented, so
# neither ASan nor libFuzzer could say where or keep the input; this one
# is, so a slirp memory error is reported with its stack, not taken for
# the device's. Same soname (libslirp.so.0): fuzz.sh puts its directory
# first on LD_LIBRARY_PATH. The host's QEMU builds keep Debian's library.
#
# Usage: scripts/build-slirp.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

pkgver=$(apt-cache showsrc libslirp 2>/dev/null | awk '/^Version:/ {print $2}' |
         grep -E '^4\.([89]|[1-9][0-9])\.' | sort -V | tail -n 1)
[ -n "$pkgver" ] || die "trixie serves no libslirp >= 4.8 source package (run scripts/setup-host.sh; check 'apt-cache showsrc libslirp')"
top=$QOSVNIC_CACHE/libslirp-$pkgver
lib=$top/build
if [ -e "$lib/libslirp.so.0" ] && [ -f "$top/.built" ]; then
    echo "$lib"
    exit 0
fi

mkdir -p "$QOSVNIC_CACHE"
exec 9>"$QOSVNIC_CACHE/.slirp-lock"
flock 9
command -v clang >/dev/null || die "clang missing (scripts/setup-host.sh)"
step "building libslirp $pkgver (trixie's source) with ASan for the fuzzer"
rm -rf "$top"
mkdir -p "$top/dl"
# The mirror serves the tarballs but not always the .dsc, so they are
# fetched by the URIs apt prints, checked against apt's SHA256 sums and
# unpacked here, with Debian's patch series applied.
apt-get source -qq --print-uris --only-source "libslirp=$pkgver" 2>/dev/null |
    awk -F"'" '/^'"'"'http/ && $2 !~ /\.dsc$/ {split($3, f, " "); print $2, f[1], f[3]}' > "$top/dl/uris"
[ "$(wc -l < "$top/dl/uris")" = 2 ] ||
    die "apt-get source --print-uris libslirp=$pkgver: no tarballs (is the trixie deb-src line installed? run scripts/setup-host.sh)"
while read -r uri file sum; do
    curl -fsS -o "$top/dl/$file" "$uri" || die "downloading $uri failed"
    [ "$(sha256sum < "$top/dl/$file" | cut -d' ' -f1)" = "${sum#SHA256:}" ] || die "$file: SHA256 differs from apt's"
done < "$top/dl/uris"
src=$top/src
mkdir -p "$src"
tar -xf "$top"/dl/*.orig.tar.* -C "$src" --strip-components=1 || die "unpacking libslirp's tarball failed"
tar -xf "$top"/dl/*.debian.tar.* -C "$src" || die "unpacking Debian's patches failed"
if [ -f "$src/debian/patches/series" ]; then
    grep -v '^#' "$src/debian/patches/series" | while read -r p _; do
        [ -n "$p" ] || continue
        patch -d "$src" -p1 -s < "$src/debian/patches/$p" || die "Debian's patch $p does not apply"
    done
fi
# Instrumented for ASan only: slirp's headers are read through casts that
# UBSan's alignment check reports (tcp_input's struct qlink), and those
# are not what this build is for. The __asan_* symbols come from the
# fuzzer binary, so the library is linked with undefined symbols allowed.
CC=clang CFLAGS="-fsanitize=address -fno-omit-frame-pointer -g -O1" \
    meson setup "$lib" "$src" --buildtype=plain -Db_lundef=false >&2 ||
    die "meson setup of libslirp failed"
meson compile -C "$lib" slirp >&2 || die "building libslirp failed"
[ -e "$lib/libslirp.so.0" ] || die "no libslirp.so.0 in $lib"
touch "$top/.built"
echo "$lib"
