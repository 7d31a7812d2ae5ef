#!/usr/bin/env bash
# Boot the qosvnic test guest (out/guest, from build-guest.sh) in the QEMU
# from build-qemu.sh: q35, 2 vCPUs, 1 GiB, serial console, the NIC behind a
# pcie-root-port, and a tap backend inside a network namespace that this
# script creates and removes, so that guest traffic only ever reaches that
# namespace (host side 10.77.0.1/24 on qvtap0; guest 10.77.0.2/24 by default).
#
# Usage: run-guest.sh [options] [-- extra QEMU args]
#   --nic qosvnic|igb|virtio  the NIC (default qosvnic)
#   --vfs N                   qosvnic max-vfs (default 8)
#   --device-args "k=v,..."   appended to the NIC's -device (its id is nic0,
#                             QOM path /machine/peripheral/nic0)
#   --test FILE               run FILE in the guest as /test.sh, then power
#                             off; exit status = the test's status
#   --shell                   with --test: a shell on the console after the
#                             test (interactive, needs a terminal)
#   --host-cmd "CMD"          run CMD (sh -c) in the namespace once the guest
#                             prints QVN-READY; its failure fails the run
#   --stop-host-with-guest    stop CMD (and all it started) when QEMU ends
#                             first; without it CMD may outlive QEMU (a
#                             migration test starts a second one)
#   --append "ARGS"           extra kernel command line (qv.* in guest/init)
#   --ip IFACE,ADDR/PREFIX    guest address (default auto,10.77.0.2/24;
#                             "none" for no address)
#   --log FILE                also write the console to FILE
#   --quiet                   do not print the console on stdout
#   --qmp SOCKET              QMP server on a unix socket
#   --timeout SEC             kill QEMU after SEC seconds (default: 900 with
#                             --test or --host-cmd, none for a shell); exit 124
#   --mem SIZE, --smp N       guest memory (default 1G) and vCPUs (default 2)
#   --iommu                   an emulated Intel IOMMU with interrupt remapping
#                             in front of the NIC (the guest then needs
#                             intel_iommu=on): what VFIO in the guest needs
#   --hostfs                  the host's root file system, read-only, as 9p
#                             tag "hostroot" (scripts/vms.sh mounts it)
#   --watchdog                an i6300esb watchdog; when the guest stops
#                             feeding it QEMU prints "watchdog: timer fired"
#                             on stderr and carries on (scripts/vms.sh)
# The host command's environment has QVN_QEMU_ARGV (a file with QEMU's
# command line, NUL-separated) and QVN_CONSOLE_LOG (the console log).
# Environment: QOSVNIC_QEMU (QEMU binary), QOSVNIC_ACCEL (kvm|tcg),
#   QOSVNIC_GUEST (directory with vmlinuz and initrd.img).
# The guest console is on stdio; interactively Ctrl-A X quits QEMU.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

nic=qosvnic vfs=8 devargs='' test='' hostcmd='' append='' gip=auto,10.77.0.2/24
log='' quiet=0 shell=0 qmp='' timeout_s='' mem=1G smp=2 iommu=0 hostfs=0 watchdog=0 stophost=0
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --nic) nic=$2; shift ;;
        --vfs) vfs=$2; shift ;;
        --device-args) devargs=$2; shift ;;
        --test) test=$2; shift ;;
        --host-cmd) hostcmd=$2; shift ;;
        --stop-host-with-guest) stophost=1 ;;
        --append) append="$append $2"; shift ;;
        --ip) gip=$2; shift ;;
        --log) log=$2; shift ;;
        --quiet) quiet=1 ;;
        --shell) shell=1 ;;
        --qmp) qmp=$2; shift ;;
        --timeout) timeout_s=$2; shift ;;
        --mem) mem=$2; shift ;;
        --smp) smp=$2; shift ;;
        --iommu) iommu=1 ;;
        --hostfs) hostfs=1 ;;
        --watchdog) watchdog=1 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

[ "$(id -u)" = 0 ] || die "run-guest.sh needs root (network namespace and tap)"
qemu=${QOSVNIC_QEMU:-$QOSVNIC_ROOT/out/qemu/bin/qemu-system-x86_64}
guest=${QOSVNIC_GUEST:-$QOSVNIC_ROOT/out/guest}
[ -x "$qemu" ] || die "$qemu missing: run scripts/build-qemu.sh"
if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initrd.img" ]; then
    die "no guest in $guest: run scripts/build-guest.sh"
fi
[ -z "$test" ] || [ -f "$test" ] || die "--test $test: no such file"

case "$nic" in
    qosvnic)
        "$qemu" -device help 2>/dev/null | grep -q '"qosvnic"' ||
            die "$qemu has no qosvnic device (rebuild with scripts/build-qemu.sh)"
        nicdev="qosvnic,id=nic0,bus=rp0,netdev=n0,max-vfs=$vfs" ;;
    igb) nicdev="igb,id=nic0,bus=rp0,netdev=n0" ;;
    virtio) nicdev="virtio-net-pci,id=nic0,bus=rp0,netdev=n0" ;;
    *) die "--nic $nic: expected qosvnic, igb or virtio" ;;
esac
[ -z "$devargs" ] || nicdev="$nicdev,$devargs"
interactive=0
if [ "$quiet" = 0 ] && [ -t 0 ] && [ -z "$hostcmd" ] && { [ -z "$test" ] || [ "$shell" = 1 ]; }; then
    interactive=1
fi
if [ "$shell" = 1 ]; then
    if [ "$interactive" = 1 ]; then append="$append qv.shell=1"
    else note "--shell: no terminal on stdin, the guest powers off after the test"; fi
fi
if [ -z "$timeout_s" ]; then
    if [ "$interactive" = 0 ] && [ -n "$test$hostcmd" ]; then timeout_s=900; else timeout_s=0; fi
fi

ns=qvn-$$
work=$(mktemp -d /tmp/qvn-run.XXXXXX)
qpid='' hpid=''
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -z "$hpid" ] || kill -- "-$hpid" 2>/dev/null || true
    [ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
    wait 2>/dev/null || true
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Namespaces left by a run-guest.sh that was killed (SIGKILL skips traps).
for old in $(ip netns list 2>/dev/null | awk '/^qvn-[0-9]+/ {print $1}'); do
    [ -d "/proc/${old#qvn-}" ] && continue
    ip netns pids "$old" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$old" 2>/dev/null && note "removed stale netns $old"
done
ip netns add "$ns"
ip -n "$ns" link set lo up
# The tap exists (and has its address) before QEMU attaches to it.
ip -n "$ns" tuntap add dev qvtap0 mode tap vnet_hdr
ip -n "$ns" addr add 10.77.0.1/24 dev qvtap0
ip -n "$ns" link set qvtap0 up

initrd=$guest/initrd.img
if [ -n "$test" ]; then
    # Linux unpacks concatenated cpio archives; the uncompressed one goes
    # first (as early microcode does): after a compressed archive the
    # kernel's decompressor would take the rest as more compressed data.
    mkdir -p "$work/extra"
    install -m 0755 "$test" "$work/extra/test.sh"
    (cd "$work/extra" && echo test.sh | cpio -o -H newc -R 0:0 --quiet) > "$work/extra.cpio"
    cat "$work/extra.cpio" "$guest/initrd.img" > "$work/initrd.img"
    initrd=$work/initrd.img
fi

cmdline="console=ttyS0 panic=-1 quiet loglevel=4"
[ "$gip" = none ] || cmdline="$cmdline qv.ip=$gip"
consolelog=${log:-$work/console.log}
: > "$consolelog"
read -r -a accel <<< "$(qosvnic_accel_args)"
# Under TCG the guest finds its vCPUs' TSCs out of sync at boot and falls
# back to the HPET, whose every read is an MMIO exit under the BQL: 11-21 %
# of a guest's kernel time in udp64_rx (bench-nic --profile). The TSCs
# come from one host clock, so they are reliable; under KVM kvm-clock is.
[ "${accel[1]}" != tcg ] || cmdline="$cmdline tsc=reliable"
cmdline="$cmdline$append"
machine=q35
# shellcheck disable=SC2054  # commas are QEMU's
# Named threads ("CPU 0/TCG", ...) so that benchmarks can tell the vCPUs
# from the main loop in /proc/PID/task/*/comm.
args=(-name "qosvnic-$nic,debug-threads=on" -smp "$smp" -m "$mem" -no-reboot
      -kernel "$guest/vmlinuz" -initrd "$initrd" -append "$cmdline"
      -nodefaults -display none -vga none
      -chardev "stdio,id=con,mux=on,signal=off,logfile=$consolelog"
      -serial chardev:con -mon chardev=con,mode=readline)
if [ "$iommu" = 1 ]; then
    # Before any PCI device, so that they all sit behind it. Under KVM,
    # interrupt remapping needs the split irqchip.
    [ "${accel[1]}" != kvm ] || machine=q35,kernel-irqchip=split
    # shellcheck disable=SC2054  # commas are QEMU's
    args+=(-device intel-iommu,intremap=on)
fi
if [ "$hostfs" = 1 ]; then
    # multidevs=remap: the host's / spans several file systems.
    # shellcheck disable=SC2054  # commas are QEMU's
    args+=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
fi
# shellcheck disable=SC2054  # commas are QEMU's
[ "$watchdog" = 0 ] || args+=(-device i6300esb -action watchdog=debug)
# shellcheck disable=SC2054  # commas are QEMU's
args=(-M "$machine" "${accel[@]}" "${args[@]}"
      -device pcie-root-port,id=rp0,slot=1,chassis=1
      -device "$nicdev"
      -netdev tap,id=n0,ifname=qvtap0,script=no,downscript=no,vnet_hdr=on)
[ -z "$qmp" ] || args+=(-qmp "unix:$qmp,server=on,wait=off")
args+=("${extra[@]}")
# For a host command that starts a second QEMU of this guest (a migration
# destination, scripts/tests/migration-traffic.host.bash): the command
# line, NUL-separated, and the console log.
printf '%s\0' "$qemu" "${args[@]}" > "$work/qemu.argv"
export QVN_QEMU_ARGV=$work/qemu.argv QVN_CONSOLE_LOG=$consolelog

tmo=()
[ "$timeout_s" = 0 ] || tmo=(timeout --foreground -k 5 "$timeout_s")
note "booting: nic=$nic${devargs:+ ($devargs)} netns=$ns log=$consolelog"
# The console goes to stdout (and the log). Without a terminal, or with a
# test, stdin is not the guest's: it comes from /dev/null.
qrc=0 hrc=0 t0=$SECONDS
if [ "$interactive" = 1 ]; then
    # Interactive: in the foreground, so that it owns the terminal.
    ip netns exec "$ns" "${tmo[@]}" "$qemu" "${args[@]}" || qrc=$?
elif [ "$quiet" = 1 ]; then
    ip netns exec "$ns" "${tmo[@]}" "$qemu" "${args[@]}" </dev/null >/dev/null &
    qpid=$!
else
    ip netns exec "$ns" "${tmo[@]}" "$qemu" "${args[@]}" </dev/null &
    qpid=$!
fi

if [ -n "$hostcmd" ]; then
    while kill -0 "$qpid" 2>/dev/null && ! grep -q '^QVN-READY' "$consolelog"; do sleep 0.2; done
    if grep -q '^QVN-READY' "$consolelog"; then
        note "guest ready after $((SECONDS - t0)) s; host: $hostcmd"
        # In a process group of its own: with --stop-host-with-guest, when
        # QEMU ends first (the guest crashed, or a watcher stopped it), the
        # host command, which would only end by its own timeouts, is
        # stopped with all it started.
        ip netns exec "$ns" setsid sh -c "$hostcmd" &
        hpid=$!
        while [ "$stophost" = 1 ] && kill -0 "$hpid" 2>/dev/null; do
            if ! kill -0 "$qpid" 2>/dev/null; then
                note "QEMU ended before the host command: stopping it"
                kill -TERM -- "-$hpid" 2>/dev/null || true
                break
            fi
            sleep 0.5
        done
        wait "$hpid" || hrc=$?
        hpid=
        [ "$hrc" = 0 ] || note "host command failed (exit $hrc)"
    else
        note "guest stopped before QVN-READY: host command not run"
        hrc=1
    fi
    # Without a test the guest only powers off when told to. With one, a
    # guest whose host side failed may never finish (its control channel
    # may be what broke): give it a minute to power off, then stop it.
    if [ -z "$test" ]; then
        kill "$qpid" 2>/dev/null || true
    elif [ "$hrc" != 0 ]; then
        for _ in $(seq 300); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
        kill "$qpid" 2>/dev/null && note "stopped the guest: its host side failed"
    fi
fi
if [ -n "$qpid" ] && [ -n "$test" ]; then
    # Once QVN-EXIT is on the console the result is known: a guest that
    # then does not power off (TCG's emulation of a nested set-up can hang
    # there) gets a minute, then is stopped instead of left to the timeout.
    while kill -0 "$qpid" 2>/dev/null && ! grep -q '^QVN-EXIT' "$consolelog"; do sleep 1; done
    for _ in $(seq 60); do kill -0 "$qpid" 2>/dev/null || break; sleep 1; done
    kill "$qpid" 2>/dev/null && note "stopped the guest: no power-off within a minute of QVN-EXIT"
fi
if [ -n "$qpid" ]; then
    wait "$qpid" || qrc=$?
    qpid=
fi

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    note "timeout: QEMU killed after ${timeout_s}s"
    exit 124
fi
if [ -n "$test" ]; then
    trc=$(sed -n 's/^QVN-EXIT \([0-9]*\).*/\1/p' "$consolelog" | tail -n 1)
    [ -n "$trc" ] || { note "the guest test did not finish (no QVN-EXIT line; QEMU exit $qrc)"; exit 1; }
    [ "$trc" = 0 ] || exit "$trc"
fi
[ "$hrc" = 0 ] || exit "$hrc"
[ -n "$hostcmd" ] || [ "$qrc" = 0 ] || exit "$qrc"
exit 0
