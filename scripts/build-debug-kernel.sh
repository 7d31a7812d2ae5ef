#!/usr/bin/env bash
# Build a debug kernel for the test guest: Debian's guest kernel (the same
# source, linux-source-6.1, and Debian's config) with the checkers a
# netdev developer runs a driver under, and only the modules the guest
# image loads (localmodconfig). Two flavours, since KASAN and KCSAN cannot
# share a kernel:
#   debug: KASAN (generic, inline)   use-after-free, out-of-bounds accesses
#          PROVE_LOCKING             lockdep: lock order, IRQ-safety, RCU
#          DEBUG_ATOMIC_SLEEP        sleeping in atomic context
#          DMA_API_DEBUG             unchecked mappings, leaks, bad unmaps
#          FAULT_INJECTION (FAILSLAB, FAIL_PAGE_ALLOC, debugfs)
#                                    allocation failures on demand (the
#                                    stack filter is not offered on x86_64:
#                                    the task filter picks the commands)
#   kcsan: KCSAN, strict             data races: two CPUs touching the same
#                                    memory, one writing, not both marked
#                                    (READ_ONCE/WRITE_ONCE, atomics); strict
#                                    also reports plain word-sized writes,
#                                    which non-strict KCSAN assumes atomic
#          DEBUG_ATOMIC_SLEEP
# No debug info and no module signing: they cost build time and are not
# needed to read a report (the kernel prints symbolised traces).
#
# Called by build-guest.sh when QOSVNIC_GUEST_KERNEL=debug or kcsan:
#   build-debug-kernel.sh debug|kcsan DEBIAN_KERNEL_DIR MODULE...
# DEBIAN_KERNEL_DIR is build-guest.sh's extracted Debian kernel (its config
# and modules give the module list's dependencies). Prints the directory
# of the result: root/ (boot/vmlinuz-VER, lib/modules/VER), build/ (the
# tree, KDIR for out-of-tree modules), kernel-version, key. Cached in
# $QOSVNIC_CACHE/kernel-FLAVOUR-<key>; a cold build of "debug" took 30
# minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

[ $# -ge 3 ] || die "usage: build-debug-kernel.sh debug|kcsan DEBIAN_KERNEL_DIR MODULE..."
flavour=$1 deb=$2; shift 2
dconfig=$(find "$deb/root/boot" -name 'config-*' | head -n 1)
[ -f "$dconfig" ] || die "no kernel config in $deb/root/boot"
dver=${dconfig##*/config-}

srcpkg=linux-source-$(echo "$dver" | cut -d. -f1-2)
srcver=$(apt-cache policy "$srcpkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
[ -n "$srcver" ] && [ "$srcver" != "(none)" ] || die "no $srcpkg package"
debver=$(apt-cache policy "linux-image-$dver" 2>/dev/null | awk '/Candidate:/ {print $2}')
[ "$srcver" = "$debver" ] ||
    note "WARNING: $srcpkg is $srcver, the guest kernel $debver: the config may ask new questions"

# The module list with its dependencies, in lsmod's format (localmodconfig).
lsmod_list() {
    local m
    echo "Module Size Used by"
    for m in "$@"; do
        modprobe -d "$deb/root" -S "$dver" --show-depends "$m" 2>/dev/null |
            awk '$1 == "insmod" {print $2}'
    done | sed 's|.*/||; s|\.ko.*||; s|-|_|g' | LC_ALL=C sort -u | sed 's/$/ 0 0/'
}

# What this script changes in Debian's config (scripts/config arguments),
# and the options that must stay set after olddefconfig.
config_changes=(
    --disable MODULE_SIG --set-str SYSTEM_TRUSTED_KEYS ""
    --set-str SYSTEM_REVOCATION_KEYS ""
    --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --disable DEBUG_INFO_BTF
    --enable DEBUG_INFO_NONE
    --enable DEBUG_ATOMIC_SLEEP
    --disable LOCALVERSION_AUTO --set-str LOCALVERSION "-qv$flavour"
    # qosvnic.ko needs devlink, a symbol without a prompt that only its
    # users select. localmodconfig dropped them all: netdevsim, a small
    # one, is built to keep it.
    --module NETDEVSIM
)
must_have=(DEBUG_ATOMIC_SLEEP NET_DEVLINK)
case $flavour in
debug)
    config_changes+=(
        --enable KASAN --enable KASAN_GENERIC --enable KASAN_INLINE
        --enable PROVE_LOCKING --enable DMA_API_DEBUG
        --enable FAULT_INJECTION --enable FAILSLAB --enable FAIL_PAGE_ALLOC
        --enable FAULT_INJECTION_DEBUG_FS
    )
    must_have+=(KASAN PROVE_LOCKING DMA_API_DEBUG FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS)
    ;;
kcsan)
    # Strict: the driver's fixes it checks (WRITE_ONCE on the MTU, one
    # writer per stats counter) are about plain writes.
    config_changes+=(--enable KCSAN --enable KCSAN_STRICT)
    must_have+=(KCSAN KCSAN_STRICT)
    ;;
*) die "flavour $flavour: debug or kcsan" ;;
esac
key=$( {
    echo "source $srcpkg $srcver"; sha256sum < "$dconfig"; echo "${config_changes[*]}"
    lsmod_list "$@"
} | sha256sum | cut -c1-16)
out=$QOSVNIC_CACHE/kernel-$flavour-$key
if [ -f "$out/.done" ]; then
    echo "$out"
    exit 0
fi

if ! dpkg -s "$srcpkg" libelf-dev bc bison flex libssl-dev >/dev/null 2>&1; then
    step "installing $srcpkg and the kernel's build dependencies"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "$srcpkg" libelf-dev bc bison flex libssl-dev >&2 || die "apt-get install failed"
fi

# Each stage leaves a mark, so that an interrupted build goes on where it
# stopped (make itself is incremental).
mkdir -p "$out"
if [ ! -f "$out/.unpacked" ]; then
    step "unpacking $srcpkg $srcver"
    rm -rf "${out:?}/build" "${out:?}/$srcpkg"
    tar -xf "/usr/src/$srcpkg.tar.xz" -C "$out"
    mv "$out/$srcpkg" "$out/build"
    touch "$out/.unpacked"
fi
cd "$out/build"

if [ ! -f "$out/.configured" ]; then
    step "configuring: Debian's config, the guest's $(lsmod_list "$@" | tail -n +2 | wc -l) modules, the $flavour checkers"
    cp "$dconfig" .config
    lsmod_list "$@" > "$out/lsmod.txt"
    make -s LSMOD="$out/lsmod.txt" localmodconfig < /dev/null > "$out/config.log" 2>&1 ||
        { tail -n 20 "$out/config.log" >&2; die "localmodconfig failed"; }
    scripts/config "${config_changes[@]}"
    make -s olddefconfig >> "$out/config.log" 2>&1
    for c in "${must_have[@]}"; do
        grep -q "^CONFIG_$c=y" .config || die "CONFIG_$c did not stay set (see $out/build/.config)"
    done
    touch "$out/.configured"
fi

step "building the kernel ($(nproc) jobs; progress: a line per 500 objects compiled)"
start=$(date +%s)
make -j"$(nproc)" bzImage modules 2>&1 | tee -a "$out/build.log" |
    awk '/^  CC/ && ++n % 500 == 0 {printf "    %d objects compiled\n", n; fflush()}' >&2
[ "${PIPESTATUS[0]}" = 0 ] || { grep -E 'error' "$out/build.log" | tail -n 20 >&2; die "kernel build failed"; }
note "built in $(( ($(date +%s) - start) / 60 )) min"
# Known only after the build has written include/config/auto.conf.
kver=$(cat include/config/kernel.release)

step "installing kernel $kver and its modules into $out/root"
rm -rf "$out/root" && mkdir -p "$out/root/boot"
cp arch/x86/boot/bzImage "$out/root/boot/vmlinuz-$kver"
cp .config "$out/root/boot/config-$kver"
make -s INSTALL_MOD_PATH="$out/root" INSTALL_MOD_STRIP=1 modules_install >> "$out/build.log" 2>&1 ||
    die "modules_install failed (see $out/build.log)"
# modules_install links build/ to this tree; the image wants no links out.
rm -f "$out/root/lib/modules/$kver/build" "$out/root/lib/modules/$kver/source"
echo "$kver" > "$out/kernel-version"
echo "$key" > "$out/key"
touch "$out/.done"
echo "$out"
