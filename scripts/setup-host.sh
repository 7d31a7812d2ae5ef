#!/usr/bin/env bash
# Install everything qosvnic needs on a Debian 12 host, from apt only.
# Idempotent: a second run does (almost) nothing. Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || die "setup-host.sh must run as root (it adds apt sources and installs packages)"

changed=0
add_source() { # file contents
    local f=/etc/apt/sources.list.d/$1
    if [ ! -f "$f" ] || [ "$(cat "$f")" != "$2" ]; then
        printf '%s\n' "$2" > "$f"
        changed=1
    fi
}

# QEMU 10.0.x source comes from trixie's deb-src; meson >= 1.5 and
# python3-pycotap (needed by QEMU's configure) from bookworm-backports.
add_source qosvnic-trixie-src.sources "Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
add_source qosvnic-bookworm-backports.sources "Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"

stamp=/var/lib/apt/periodic/qosvnic-update-stamp
if [ "$changed" = 1 ] || [ ! -f "$stamp" ] || \
   [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
    step "apt-get update"
    apt-get update -q
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi

host_pkgs=(
    # QEMU build
    dpkg-dev build-essential ninja-build pkg-config git python3-venv
    flex bison libglib2.0-dev libpixman-1-dev libslirp-dev zlib1g-dev
    libfdt-dev
    # firmware for the built QEMU (not in the source package)
    seabios qemu-system-data ipxe-qemu
    # guest image
    busybox-static cpio xz-utils zstd kmod linux-headers-amd64
    # guest userland copied from the host (build-guest.sh), and what
    # building netperf from trixie's source needs (its tarball has no configure)
    ethtool httperf pciutils autoconf automake libgnutls30 media-types
    # host side of guest traffic (run-guest.sh --host-cmd)
    iputils-ping curl
    # tests and benchmarks on the host side
    # (netperf is not in bookworm: build-guest.sh builds it from trixie's source)
    iproute2 iperf3 jq valgrind rsync
    # plots of the experiments (scripts/experiment/report.py)
    gnuplot-nox fonts-liberation
    # style gate: the kernel's checkpatch.pl ships in this tarball
    linux-source-6.1
    # sanitizer qtests and fuzzing (build-qemu.sh --sanitize): clang with
    # its ASan/UBSan/libFuzzer runtimes, llvm-symbolizer for reports
    clang libclang-rt-14-dev llvm
)

missing=()
for p in "${host_pkgs[@]}"; do
    [ -n "$p" ] || continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

bp_pkgs=(meson python3-pycotap)
need_bp=0
for p in "${bp_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need_bp=1
done
if [ "$need_bp" = 0 ]; then
    v=$(meson --version 2>/dev/null || echo 0)
    dpkg --compare-versions "$v" ge 1.5 || need_bp=1
fi
if [ "$need_bp" = 1 ]; then
    step "apt-get install -t bookworm-backports ${bp_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -t bookworm-backports "${bp_pkgs[@]}"
fi
v=$(meson --version)
dpkg --compare-versions "$v" ge 1.5 || die "meson $v is too old (need >= 1.5 from bookworm-backports)"
note "host ready (meson $v)"
