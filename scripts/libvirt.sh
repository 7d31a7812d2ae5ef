#!/usr/bin/env bash
# Run the qosvnic test guest under libvirt (Debian 12's libvirt 9.0, system
# mode, daemons started by hand: no systemd needed).
#
# Usage: scripts/libvirt.sh COMMAND [options]
#   install        install libvirt from apt if missing (libvirt-daemon,
#                  libvirt-daemon-driver-qemu, libvirt-clients; NOT
#                  libvirt-daemon-system)
#   start          install, prepare what libvirt-daemon-system would
#                  (libvirt-qemu user, /var/log/libvirt, QEMU as root), start
#                  virtlogd and libvirtd unless they run
#   define [--initrd FILE] [--serial FILE] [--append ARGS] [--vfs N]
#                  fill in docs/libvirt-qosvnic.xml and define the domain
#   start-domain   start it; give the host end of its tap 10.79.0.1/24
#   stop-domain    destroy and undefine it
#   stop           stop-domain, then stop the daemons "start" started (and
#                  undo its qemu.conf change)
#   xml            print the domain XML "define" would use
#   status         daemons and domain
# Environment: QOSVNIC_LV_DOMAIN (domain name, default qosvnic-guest),
#   QOSVNIC_QEMU, QOSVNIC_GUEST (as for run-guest.sh).
#
# The guest's NIC is <interface type='ethernet'> with <model type='qosvnic'/>:
# libvirt creates the tap (qvlvtap0) in the host's namespace, on a private
# subnet (10.79.0.0/24) with no forwarding. Its QMP id is net0:
#   virsh -c qemu:///system qemu-monitor-command qosvnic-guest \
#       '{"execute":"query-qosvnic","arguments":{"id":"net0"}}'
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

export LIBVIRT_DEFAULT_URI=qemu:///system
dom=${QOSVNIC_LV_DOMAIN:-qosvnic-guest}
state=/run/qosvnic-libvirt
tap=qvlvtap0
host_ip=10.79.0.1/24
pkgs=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients seabios
      qemu-system-data ipxe-qemu)
conf_mark='# qosvnic: scripts/libvirt.sh (removed by "libvirt.sh stop")'

[ "$(id -u)" = 0 ] || die "libvirt.sh runs as root (system libvirtd, taps)"
mkdir -p "$state"

running() { # pidfile: the daemon in it is alive
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

cmd_install() {
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        step "installing ${missing[*]}"
        apt-get -q update >/dev/null || true
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
            --no-install-recommends "${pkgs[@]}" >&2 || die "apt-get install failed"
    fi
}

# What libvirt-daemon-system would have set up.
prepare() {
    getent passwd libvirt-qemu >/dev/null ||
        useradd --system --no-create-home --home-dir /var/lib/libvirt \
            --shell /usr/sbin/nologin --user-group libvirt-qemu
    mkdir -p /var/log/libvirt /var/lib/libvirt
    # QEMU as root: it opens the project's binary and guest image where
    # they are (the default libvirt-qemu user cannot read /root/.cache).
    if [ ! -e /etc/libvirt/qemu.conf ]; then
        printf '%s\nuser = "root"\ngroup = "root"\n' "$conf_mark" > /etc/libvirt/qemu.conf
        touch "$state/qemu-conf-created"
    elif ! grep -qE '^[[:space:]]*user[[:space:]]*=' /etc/libvirt/qemu.conf; then
        printf '%s\nuser = "root"\ngroup = "root"\n' "$conf_mark" >> /etc/libvirt/qemu.conf
        touch "$state/qemu-conf"
    fi
}

cmd_start() {
    cmd_install
    prepare
    if ! running /run/virtlogd.pid; then
        /usr/sbin/virtlogd -d
        touch "$state/started-virtlogd"
    fi
    if ! running /run/libvirtd.pid; then
        /usr/sbin/libvirtd -d
        touch "$state/started-libvirtd"
    fi
    for _ in $(seq 100); do virsh -q list >/dev/null 2>&1 && break; sleep 0.1; done
    virsh -q list >/dev/null || die "libvirtd does not answer (see /var/log/libvirt/libvirtd.log)"
    note "libvirtd $(cat /run/libvirtd.pid), virtlogd $(cat /run/virtlogd.pid)"
}

gen_xml() { # initrd serial append vfs
    local qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
    local guest=${QOSVNIC_GUEST:-$QOSVNIC_ROOT/out/guest}
    local initrd=${1:-$guest/initrd.img} serial=$2 append=$3 vfs=$4
    [ -x "$qemu" ] || die "$qemu missing: run scripts/build-qemu.sh"
    [ -f "$guest/vmlinuz" ] || die "no guest in $guest: run scripts/build-guest.sh"
    # Hardware KVM where lib.sh would use it (QOSVNIC_ACCEL forces),
    # TCG otherwise: the same rule as every other script that boots.
    local dtype=qemu cpumode=maximum
    case "$(qosvnic_accel_args)" in
        *kvm*) dtype=kvm cpumode=host-passthrough ;;
    esac
    # A locally administered MAC that does not change between runs.
    sed -e "s|@NAME@|$dom|; s|@QEMU@|$qemu|; s|@KERNEL@|$guest/vmlinuz|" \
        -e "s|@DOMTYPE@|$dtype|; s|@CPUMODE@|$cpumode|" \
        -e "s|@INITRD@|$initrd|; s|@SERIAL@|$serial|; s|@TAP@|$tap|" \
        -e "s|@CMDLINE@|console=ttyS0 panic=-1 quiet loglevel=4$append|" \
        -e "s|@MAC@|52:54:00:79:00:02|; s|@VFS@|$vfs|" \
        "$QOSVNIC_ROOT/docs/libvirt-qosvnic.xml"
}

cmd_define() {
    local initrd='' serial=$state/$dom-console.log append='' vfs=8
    while [ $# -gt 0 ]; do
        case "$1" in
            --initrd) initrd=$2; shift ;;
            --serial) serial=$2; shift ;;
            --append) append="$append $2"; shift ;;
            --vfs) vfs=$2; shift ;;
            *) die "define: unknown option $1" ;;
        esac
        shift
    done
    gen_xml "$initrd" "$serial" "$append" "$vfs" > "$state/$dom.xml"
    virsh -q define "$state/$dom.xml" >/dev/null
    note "defined $dom ($state/$dom.xml), console in $serial"
}

cmd_start_domain() {
    virsh -q start "$dom" >/dev/null
    # libvirt brings the tap up but gives it no address.
    ip addr add "$host_ip" dev "$tap"
    note "$dom started; host side $host_ip on $tap"
}

cmd_stop_domain() {
    if virsh -q dominfo "$dom" >/dev/null 2>&1; then
        virsh -q destroy "$dom" >/dev/null 2>&1 || true
        virsh -q undefine "$dom" >/dev/null
        note "$dom destroyed and undefined"
    fi
}

cmd_stop() {
    if running /run/libvirtd.pid; then cmd_stop_domain; fi
    if [ -f "$state/started-libvirtd" ]; then
        running /run/libvirtd.pid && kill "$(cat /run/libvirtd.pid)"
        rm -f "$state/started-libvirtd"
        note "libvirtd stopped"
    fi
    if [ -f "$state/started-virtlogd" ]; then
        running /run/virtlogd.pid && kill "$(cat /run/virtlogd.pid)"
        rm -f "$state/started-virtlogd"
        note "virtlogd stopped"
    fi
    if [ -f "$state/qemu-conf-created" ]; then
        rm -f /etc/libvirt/qemu.conf "$state/qemu-conf-created"
    fi
    if [ -f "$state/qemu-conf" ]; then
        python3 - "$conf_mark" <<'EOF'
import sys
p, mark = '/etc/libvirt/qemu.conf', sys.argv[1]
lines = open(p).read().split('\n')
if mark in lines:
    i = lines.index(mark)
    del lines[i:i + 3]
open(p, 'w').write('\n'.join(lines))
EOF
        rm -f "$state/qemu-conf"
    fi
}

cmd_status() {
    running /run/libvirtd.pid && echo "libvirtd: running ($(cat /run/libvirtd.pid))" || echo "libvirtd: not running"
    running /run/virtlogd.pid && echo "virtlogd: running ($(cat /run/virtlogd.pid))" || echo "virtlogd: not running"
    if running /run/libvirtd.pid; then
        echo "domain $dom: $(virsh -q domstate "$dom" 2>/dev/null || echo 'not defined')"
    fi
}

case "${1:-}" in
    install) shift; cmd_install ;;
    start) shift; cmd_start "$@" ;;
    define) shift; cmd_define "$@" ;;
    start-domain) shift; cmd_start_domain ;;
    stop-domain) shift; cmd_stop_domain ;;
    stop) shift; cmd_stop ;;
    xml) shift; gen_xml "" "$state/$dom-console.log" "" 8 ;;
    status) cmd_status ;;
    -h|--help|'') sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown command $1 (see --help)" ;;
esac
