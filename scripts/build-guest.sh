#!/usr/bin/env bash
# Build the qosvnic test guest: Debian bookworm's kernel plus an initramfs
# with busybox, iproute2 (ip/tc/devlink/bridge), ethtool, iperf3, httperf,
# netperf/netserver, lspci, busybox httpd with test files, the qosvnic
# driver and the tc/QoS modules, and Open vSwitch (ovsdb-server,
# ovs-vswitchd, ovs-vsctl/appctl/dpctl/ofctl, the openvswitch module) for
# the hardware-offload demo (scripts/tests/ovs-offload-test.sh).
#
# Why an initramfs and not a disk image: it boots in seconds under TCG,
# needs no root privileges tricks (loop devices, mkfs) and is one file.
#
# Inputs are hashed; the image is cached in $QOSVNIC_CACHE/guest-<hash>/ and
# rebuilt only when an input changes (kernel package version, host package
# versions of the copied binaries, netperf source version, this script,
# scripts/guest/, guest-driver/, hw-net-qosvnic/qosvnic_hw.h). The kernel
# package and the netperf build are cached separately by version.
# Publishes out/guest/{vmlinuz,initrd.img,kernel-version,manifest.txt}, and
# out/tools/bin/{netperf,netserver} for the host side of benchmarks.
#
# The driver (guest-driver/) is built against the headers of exactly the
# guest's kernel; if it does not build, the image is built without it and a
# warning is printed, unless QOSVNIC_REQUIRE_DRIVER=1 (then it is fatal).
#
# Guest boot parameters (qv.ip=, qv.serve=, ...) are documented in
# scripts/guest/init.
#
# Usage: build-guest.sh [--force]     (--force: ignore the image cache)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

force=0
[ "${1:-}" = --force ] && force=1

[ "$(id -u)" = 0 ] || die "build-guest.sh runs as root (apt-get download/install of the kernel headers)"
mkdir -p "$QOSVNIC_CACHE"
exec 8>"$QOSVNIC_CACHE/.guest-lock"
flock 8

# Guest modules (dependencies are added from modules.dep). Missing ones are
# reported but not fatal, so that a kernel config change does not break us.
guest_modules=(
    pci-pf-stub
    sch_tbf sch_htb sch_ingress sch_sfq sch_fq_codel sch_prio sch_netem sch_fq
    sch_mqprio
    cls_u32 cls_fw cls_matchall cls_flower act_police act_mirred act_gact
    act_vlan act_skbedit act_pedit
    ifb veth bridge 8021q
    # Open vSwitch's kernel datapath (its tc offload uses the tc modules);
    # libcrc32c needs a crc32c (a softdep busybox's modprobe does not load)
    openvswitch crc32c_generic
    # NICs used for comparisons (run-guest.sh --nic igb|virtio)
    igb igbvf virtio_pci virtio_net
    # the outer guest of nested set-ups (scripts/vms.sh): KVM for the
    # tenant VMs, vfio to give them VFs, 9p to see the host's files, tap
    # and vhost for the bridged (software QoS) baseline
    kvm_amd kvm_intel vfio-pci vfio_iommu_type1 9p 9pnet_virtio overlay
    tun vhost_net
    # its watchdog, which tells the host when it hangs
    i6300esb
    # netpoll through a representor (switchdev test)
    netconsole
)
# Userland copied from the host with its shared libraries.
# bash is /bin/sh: Debian's busybox-static ash runs its own applets before
# PATH (FEATURE_SH_STANDALONE), which would hide the real ip and tc.
guest_bins=(bash ip tc devlink bridge ethtool iperf3 httperf lspci setpci)
# Host packages whose contents go into the image (their versions are inputs).
image_pkgs=(bash busybox-static iproute2 ethtool iperf3 httperf pciutils libc6 kmod)

# ---------------------------------------------------------------- kernel
# The version linux-image-amd64 depends on in bookworm(-security); the
# backports kernel has a lower pin and is not the candidate.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
       awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (run scripts/setup-host.sh)"
kver=${kpkg#linux-image-}                       # 6.1.0-56-amd64
kdebver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ {print $2}')
kdir=$QOSVNIC_CACHE/kernel-$kdebver-$kver
if [ ! -f "$kdir/.done" ]; then
    step "downloading $kpkg $kdebver"
    rm -rf "$kdir" && mkdir -p "$kdir/dl"
    (cd "$kdir/dl" && apt-get download -q "$kpkg=$kdebver" >&2) ||
        die "apt-get download $kpkg=$kdebver failed"
    step "extracting $kpkg"
    dpkg-deb -x "$kdir"/dl/*.deb "$kdir/root"
    # The package has no modules.dep (its postinst runs depmod).
    depmod -b "$kdir/root" "$kver" || die "depmod on the extracted kernel failed"
    rm -rf "$kdir/dl"
    touch "$kdir/.done"
fi
kernel_input="kernel $kpkg $kdebver"
hdr=/usr/src/linux-headers-$kver
case ${QOSVNIC_GUEST_KERNEL:-debian} in
debian) ;;
debug|kcsan)
    # The same kernel built with KASAN, lockdep, DMA-API debugging and
    # fault injection, or with KCSAN (scripts/build-debug-kernel.sh); its
    # own cache key.
    kdir=$("$here/build-debug-kernel.sh" "$QOSVNIC_GUEST_KERNEL" "$kdir" "${guest_modules[@]}") ||
        die "the $QOSVNIC_GUEST_KERNEL kernel did not build"
    kver=$(cat "$kdir/kernel-version")
    kernel_input="kernel $QOSVNIC_GUEST_KERNEL $(cat "$kdir/key")"
    hdr=$kdir/build
    ;;
*) die "QOSVNIC_GUEST_KERNEL=${QOSVNIC_GUEST_KERNEL}: debian, debug or kcsan" ;;
esac
kroot=$kdir/root
vmlinuz=$kroot/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$vmlinuz missing in the extracted package"

if [ ! -f "$hdr/Makefile" ]; then
    step "installing linux-headers-$kver $kdebver (the guest driver builds against it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "linux-headers-$kver=$kdebver" >&2 || die "cannot install linux-headers-$kver=$kdebver"
fi

# ---------------------------------------------------------------- netperf
# Not in bookworm: built from trixie's source package with its configure.
npver=$(apt-cache showsrc netperf 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -n 1)
[ -n "$npver" ] || die "no netperf source package (run scripts/setup-host.sh: trixie deb-src)"
npdir=$QOSVNIC_CACHE/netperf-$npver
if [ ! -x "$npdir/bin/netserver" ]; then
    step "fetching netperf $npver source (trixie)"
    rm -rf "$npdir" && mkdir -p "$npdir/dl"
    # apt-get source verifies and unpacks; when the mirror lacks the .dsc
    # (seen on some mirrors), unpack the verified tarballs by hand.
    if ! (cd "$npdir/dl" && apt-get source -q "netperf=$npver" >&2); then
        note "apt-get source failed; unpacking the tarballs it fetched"
        (cd "$npdir/dl" &&
         apt-cache showsrc netperf | awk '/^Checksums-Sha256:/ {f=1; next} /^[^ ]/ {f=0}
             f && $3 ~ /\.tar\./ {print $1 "  " $3}' | sort -u | sha256sum -c - >&2) ||
            die "netperf source tarballs missing or corrupt"
        mkdir -p "$npdir/dl/src"
        tar -xf "$npdir"/dl/netperf_*.orig.tar.* -C "$npdir/dl/src" --strip-components=1
        tar -xf "$npdir"/dl/netperf_*.debian.tar.* -C "$npdir/dl/src"
        while read -r p; do
            case "$p" in ''|'#'*) continue ;; esac
            patch -d "$npdir/dl/src" -p1 -s < "$npdir/dl/src/debian/patches/$p" ||
                die "netperf patch $p does not apply"
        done < "$npdir/dl/src/debian/patches/series"
    fi
    s=$(find "$npdir/dl" -maxdepth 1 -mindepth 1 -type d | head -n 1)
    step "building netperf $npver (autoreconf, configure, make)"
    (cd "$s" && autoreconf -f -i -I src/missing/m4 >/dev/null 2>&1 &&
     ./configure -q --enable-demo >/dev/null && make -s -C src -j"$(nproc)" >/dev/null 2>&1) ||
        die "netperf build failed in $s (needs autoconf automake build-essential: scripts/setup-host.sh)"
    mkdir -p "$npdir/bin"
    cp "$s/src/netperf" "$s/src/netserver" "$npdir/bin/"
    rm -rf "$npdir/dl"
fi

# ---------------------------------------------------------------- webfs
# webfsd, an event-driven static HTTP server for the experiments: busybox
# httpd forks a process per connection, which a nested guest under TCG pays
# for dearly (about 60 requests/s). Unpacked from Debian's package rather
# than installed, whose postinst would start a daemon on the host.
wfver=$(apt-cache policy webfs 2>/dev/null | awk '/Candidate:/ {print $2}')
[ -n "$wfver" ] && [ "$wfver" != "(none)" ] || die "no webfs package (run scripts/setup-host.sh)"
wfdir=$QOSVNIC_CACHE/webfs-$wfver
if [ ! -x "$wfdir/root/usr/bin/webfsd" ]; then
    step "fetching webfs $wfver"
    rm -rf "$wfdir" && mkdir -p "$wfdir/dl"
    (cd "$wfdir/dl" && apt-get download -q "webfs=$wfver" >&2) || die "apt-get download webfs=$wfver failed"
    dpkg-deb -x "$wfdir"/dl/*.deb "$wfdir/root"
    rm -rf "$wfdir/dl"
fi

# ---------------------------------------------------------------- Open vSwitch
# Unpacked from bookworm's packages rather than installed (their postinst
# would start daemons on the host); libxdp1, which the host may lack, too;
# and xdp-tools, whose xdp-bench carries its own XDP programs (drop, pass,
# tx, redirect) for the driver's XDP test.
ovspkgs=(openvswitch-switch openvswitch-common libxdp1 xdp-tools)
ovsver=$(for p in "${ovspkgs[@]}"; do apt-cache policy "$p" 2>/dev/null |
         awk -v p="$p" '/Candidate:/ {print p "=" $2}'; done | tr '\n' ' ')
case "$ovsver" in *"(none)"*|"") die "no Open vSwitch packages (bookworm main)" ;; esac
ovsdir=$QOSVNIC_CACHE/ovs-$(printf '%s' "$ovsver" | sha256sum | cut -c1-12)
if [ ! -x "$ovsdir/root/usr/lib/openvswitch-switch/ovs-vswitchd" ]; then
    step "fetching Open vSwitch ($ovsver)"
    rm -rf "$ovsdir" && mkdir -p "$ovsdir/dl"
    # shellcheck disable=SC2086  # one word per package=version
    (cd "$ovsdir/dl" && apt-get download -q $ovsver >&2) || die "apt-get download $ovsver failed"
    for d in "$ovsdir"/dl/*.deb; do dpkg-deb -x "$d" "$ovsdir/root"; done
    rm -rf "$ovsdir/dl"
fi

# ---------------------------------------------------------------- inputs
pkg_versions=$(dpkg-query -W -f='${Package}=${Version}\n' "${image_pkgs[@]}") ||
    die "missing host packages (run scripts/setup-host.sh)"
# Source files under the given paths (relative to the clone): what git
# tracks or would track (so build products in guest-driver/ are ignored),
# or everything but build products outside a git checkout.
src_files() {
    if git -C "$QOSVNIC_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$QOSVNIC_ROOT" ls-files -co --exclude-standard -- "$@"
    else
        (cd "$QOSVNIC_ROOT" && find "$@" -type f ! -name '*.o' ! -name '*.ko' ! -name '*.mod*' \
            ! -name '.*' ! -name modules.order ! -name Module.symvers 2>/dev/null)
    fi | while read -r f; do [ -f "$QOSVNIC_ROOT/$f" ] && echo "$f"; done | LC_ALL=C sort -u
}
files_hash() { # paths relative to the clone: content hash, by path
    local f
    src_files "$@" | while read -r f; do
        printf '%s %s\n' "$f" "$(sha256sum < "$QOSVNIC_ROOT/$f")"
    done
}
key=$( {
    echo "$kernel_input"; echo "netperf $npver"; echo "webfs $wfver"; echo "$pkg_versions"
    echo "ovs $ovsver"
    echo "modules ${guest_modules[*]}"; echo "bins ${guest_bins[*]}"
    files_hash scripts/build-guest.sh scripts/guest guest-driver hw-net-qosvnic/qosvnic_hw.h
} | sha256sum | cut -c1-16)
gdir=$QOSVNIC_CACHE/guest-$key
require=${QOSVNIC_REQUIRE_DRIVER:-0}

publish() {
    local out=$QOSVNIC_ROOT/out/guest
    mkdir -p "$out"
    cp -f "$gdir/vmlinuz" "$gdir/initrd.img" "$gdir/manifest.txt" "$out/"
    echo "$kver" > "$out/kernel-version"
    echo "$gdir" > "$out/cache-dir"
    # The same netperf for the host side (runs in run-guest.sh's netns).
    mkdir -p "$QOSVNIC_ROOT/out/tools/bin"
    cp -f "$npdir/bin/netperf" "$npdir/bin/netserver" "$QOSVNIC_ROOT/out/tools/bin/"
    if [ "$(cat "$gdir/driver-status")" != ok ]; then
        note "WARNING: this image has NO qosvnic.ko ($(cat "$gdir/driver-status"))"
    fi
    note "guest: $out/vmlinuz $out/initrd.img ($(du -h "$out/initrd.img" | cut -f1), kernel $kver)"
    echo "$out"
}

if [ "$force" = 0 ] && [ -f "$gdir/.done" ]; then
    if [ "$require" = 1 ] && [ "$(cat "$gdir/driver-status")" != ok ]; then
        note "cached image $gdir has no driver and QOSVNIC_REQUIRE_DRIVER=1: rebuilding"
    else
        step "guest image up to date (cache key $key)"
        publish
        exit 0
    fi
fi

step "building the guest image (cache key $key)"
rm -rf "$gdir" && mkdir -p "$gdir"
stage=$gdir/root
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,root,srv/www,var/run}

# ------------------------------------------------------------ the driver
driver_status="no guest-driver/Makefile"
if [ -f "$QOSVNIC_ROOT/guest-driver/Makefile" ]; then
    step "building guest-driver/ against linux-headers-$kver"
    # A private copy with the same layout, so that the build does not race
    # with people editing (or building in) guest-driver/.
    dsrc=$gdir/driver-src
    mkdir -p "$dsrc"
    src_files guest-driver hw-net-qosvnic | (cd "$QOSVNIC_ROOT" && cpio -pdm --quiet "$dsrc")
    if make -C "$dsrc/guest-driver" KDIR="$hdr" > "$gdir/driver-build.log" 2>&1 &&
       ko=$(find "$dsrc/guest-driver" -name qosvnic.ko | head -n 1) && [ -n "$ko" ]; then
        mkdir -p "$stage/lib/modules/$kver/extra"
        cp "$ko" "$stage/lib/modules/$kver/extra/"
        driver_status=ok
    else
        driver_status="guest-driver/ does not build (log: $gdir/driver-build.log)"
        tail -n 20 "$gdir/driver-build.log" >&2 || true
    fi
fi
echo "$driver_status" > "$gdir/driver-status"
if [ "$driver_status" != ok ]; then
    [ "$require" = 1 ] && die "QOSVNIC_REQUIRE_DRIVER=1 but $driver_status"
    note "WARNING: building the guest WITHOUT qosvnic.ko: $driver_status"
fi

# ---------------------------------------------------------------- modules
step "selecting kernel modules (${#guest_modules[*]} requested, plus dependencies)"
kmods=$kroot/lib/modules/$kver
declare -A want=()
missing_mods=()
add_mod() { # name: add the module and its modules.dep closure
    local path
    path=$(modinfo -b "$kroot" -k "$kver" -n "$1" 2>/dev/null) || { missing_mods+=("$1"); return; }
    case "$path" in /*) ;; *) return ;; esac   # built in: nothing to copy
    local rel=${path#"$kmods"/}
    want[$rel]=1
    local dep
    # shellcheck disable=SC2013  # module paths have no spaces
    for dep in $(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$kmods/modules.dep"); do
        want[$dep]=1
    done
}
for m in "${guest_modules[@]}"; do add_mod "$m"; done
[ ${#missing_mods[@]} = 0 ] || note "not in kernel $kver (skipped): ${missing_mods[*]}"
for rel in "${!want[@]}"; do
    dst=$stage/lib/modules/$kver/$rel
    mkdir -p "$(dirname "$dst")"
    case "$rel" in
        *.ko.xz) xz -dc "$kmods/$rel" > "${dst%.xz}" ;;
        *.ko.zst) zstd -qdc "$kmods/$rel" > "${dst%.zst}" ;;
        *) cp "$kmods/$rel" "$dst" ;;
    esac
done
cp "$kmods"/modules.{builtin,builtin.modinfo,order} "$stage/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$stage" "$kver" || die "depmod failed"
note "$(find "$stage/lib/modules" -name '*.ko' | wc -l) modules"

# ---------------------------------------------------------------- userland
step "installing busybox and userland (${guest_bins[*]} netperf netserver webfsd, Open vSwitch, xdp-bench)"
cp /bin/busybox "$stage/bin/busybox"
for app in $("$stage/bin/busybox" --list-full); do
    [ -e "$stage/$app" ] || [ -L "$stage/$app" ] || ln -s /bin/busybox "$stage/$app"
done
declare -A libs=()
copy_bin() { # host-path dest-dir
    local dst
    dst=$stage/$2/$(basename "$1")
    rm -f "$dst" && cp -L "$1" "$dst"
    local l
    for l in $(ldd "$1" 2>/dev/null | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}'); do
        libs[$l]=1
    done
}
for b in "${guest_bins[@]}"; do
    p=$(command -v "$b") || die "$b not found on the host (run scripts/setup-host.sh)"
    case "$p" in */sbin/*) copy_bin "$p" sbin ;; *) copy_bin "$p" bin ;; esac
done
copy_bin "$npdir/bin/netperf" bin
copy_bin "$npdir/bin/netserver" bin
copy_bin "$wfdir/root/usr/bin/webfsd" usr/sbin
# Open vSwitch: its libraries from the unpacked packages first.
ovslib=$ovsdir/root/usr/lib/x86_64-linux-gnu
for b in usr/lib/openvswitch-switch/ovs-vswitchd usr/sbin/ovsdb-server \
         usr/bin/ovsdb-tool usr/bin/ovs-vsctl usr/bin/ovs-appctl usr/bin/ovs-dpctl \
         usr/bin/ovs-ofctl usr/sbin/xdp-bench; do
    mkdir -p "$stage/$(dirname "$b")"
    cp -L "$ovsdir/root/$b" "$stage/$b"
    for l in $(LD_LIBRARY_PATH=$ovslib ldd "$ovsdir/root/$b" |
               awk '/=> \// {print $3}'); do
        case "$l" in
            "$ovsdir"/root/*) d=${l#"$ovsdir/root"}; mkdir -p "$stage$(dirname "$d")"
                              cp -L "$l" "$stage$d" ;;
            *) libs[$l]=1 ;;
        esac
    done
done
ln -sf /usr/lib/openvswitch-switch/ovs-vswitchd "$stage/usr/sbin/ovs-vswitchd"
mkdir -p "$stage/usr/share/openvswitch"
cp "$ovsdir/root/usr/share/openvswitch/vswitch.ovsschema" "$stage/usr/share/openvswitch/"
ln -sfn bash "$stage/bin/sh"
for l in "${!libs[@]}"; do
    r=$(readlink -f "$l")
    mkdir -p "$stage$(dirname "$l")"
    cp -L "$r" "$stage$l"
done
# Merged /usr as on Debian: /lib64/ld-linux... and /lib/x86_64-linux-gnu.
[ -e "$stage/lib64/ld-linux-x86-64.so.2" ] || die "dynamic loader not copied"
# iproute2 and tc data (netem distribution tables, rt_tables).
for d in /usr/lib/tc /usr/share/iproute2 /etc/iproute2; do
    [ -d "$d" ] && mkdir -p "$stage$(dirname "$d")" && cp -a "$d" "$stage$d"
done
[ -f /usr/share/misc/pci.ids ] && mkdir -p "$stage/usr/share/misc" &&
    cp /usr/share/misc/pci.ids "$stage/usr/share/misc/"

# ---------------------------------------------------------------- config
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
printf '127.0.0.1 localhost\n10.77.0.1 host\n10.77.0.2 guest\n' > "$stage/etc/hosts"
printf 'hosts: files\n' > "$stage/etc/nsswitch.conf"
printf 'export PS1="qvguest:\\w# "\nexport PATH=/sbin:/bin:/usr/sbin:/usr/bin\n' > "$stage/etc/profile"
: > "$stage/etc/resolv.conf"
# HTTP test files of known sizes (httperf --uri=/1k etc.); content = zeros.
for s in 1k:1024 10k:10240 100k:102400 1m:1048576; do
    head -c "${s#*:}" /dev/zero > "$stage/srv/www/${s%%:*}"
done
echo "qosvnic guest" > "$stage/srv/www/index.html"
[ -f /etc/mime.types ] && cp /etc/mime.types "$stage/etc/mime.types"
install -m 0755 "$here/guest/init" "$stage/init"
install -m 0644 "$here/guest/qv-lib.sh" "$stage/lib/qv-lib.sh"
install -m 0755 "$here/guest/qv-agent-loop.sh" "$stage/lib/qv-agent-loop.sh"
install -m 0755 "$here/guest/qv-rpc.sh" "$stage/lib/qv-rpc.sh"
install -m 0644 "$here/guest/qv-kcsan.awk" "$stage/lib/qv-kcsan.awk"
install -m 0644 "$here/guest/qv-kreports.awk" "$stage/lib/qv-kreports.awk"

# ---------------------------------------------------------------- pack
step "packing the initramfs (cpio, zstd)"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    zstd -q -T0 -10 > "$gdir/initrd.img"
cp "$vmlinuz" "$gdir/vmlinuz"
{
    echo "$kernel_input ($kver)"
    echo "netperf $npver (trixie source)"
    echo "Open vSwitch: $ovsver"
    echo "driver: $driver_status"
    echo "$pkg_versions"
    echo "modules:"; (cd "$stage/lib/modules/$kver" && find . -name '*.ko' | sort | sed 's|^\./|  |')
} > "$gdir/manifest.txt"
rm -rf "$stage" "$gdir/driver-src"
touch "$gdir/.done"
# Keep the three newest images, drop older ones.
# shellcheck disable=SC2012  # our own names, no odd characters
ls -1dt "$QOSVNIC_CACHE"/guest-* 2>/dev/null | tail -n +4 | xargs -r rm -rf
publish
