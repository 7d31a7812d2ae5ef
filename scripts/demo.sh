#!/usr/bin/env bash
# The qosvnic demo (README, command 1): build QEMU with the device and the
# guest image, boot the guest with a qosvnic PF, bind pci-pf-stub to it,
# enable 4 VFs and list PF and VFs from the guest's sysfs. If the guest
# driver (qosvnic.ko) is in the image, it then hands the PF to the driver,
# re-creates the VFs through it, pings the host through VF 0, puts the
# eswitch in switchdev mode with tc rules between the VFs' representors,
# shows the device policing VF 1 to 10 Mbit/s (tc matchall police on its
# representor) while VF 2 takes the full stream, and
# leaves a shell on the console (Ctrl-A X quits QEMU); with --batch, or
# without the driver, the guest powers off.
#
# Usage: scripts/demo.sh [--batch] [--vfs N] [--no-build] [-- run-guest.sh args]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

batch=0 vfs=4 build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --batch) batch=1 ;;
        --vfs) vfs=$2; shift ;;
        --no-build) build=0 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || die "demo.sh needs root (packages, network namespace, tap)"

if [ "$build" = 1 ]; then
    step "host packages (scripts/setup-host.sh)"
    "$here/setup-host.sh"
    step "QEMU with the qosvnic device (scripts/build-qemu.sh)"
    "$here/build-qemu.sh" >/dev/null
    step "guest image (scripts/build-guest.sh)"
    "$here/build-guest.sh" >/dev/null
fi

work=$(mktemp -d /tmp/qvn-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/demo.sh" <<GUEST
. /lib/qv-lib.sh
nvfs=$vfs
GUEST
cat >> "$work/demo.sh" <<'GUEST'
bye() { echo "$*"; touch /run/qv-poweroff; exit "${rc:-0}"; }
pf=$(qv_pf)
[ -n "$pf" ] || { rc=1; bye "no qosvnic PF (1af4:10f0) in sysfs"; }
sys=/sys/bus/pci/devices/$pf
echo; echo "== qosvnic PF $pf: pci-pf-stub, $nvfs VFs"
qv_bind_pf_stub "$pf" || { rc=1; bye "cannot bind pci-pf-stub to $pf"; }
echo "$nvfs" > "$sys/sriov_numvfs" || { rc=1; bye "sriov_numvfs=$nvfs failed"; }
qv_wait '[ "$(qv_vfs | wc -l)" -ge "$nvfs" ]' 10
qv_lspci "$pf"; for v in $(qv_vfs); do qv_lspci "$v"; done

ko=/lib/modules/$(uname -r)/extra/qosvnic.ko
[ -f "$ko" ] || bye "(no qosvnic.ko in this image: the guest powers off)"
echo; echo "== handing the PF to qosvnic.ko, $nvfs VFs through the driver"
echo 0 > "$sys/sriov_numvfs"
qv_unbind_pf_stub "$pf"
modprobe qosvnic || bye "(qosvnic.ko does not load: the guest powers off)"
qv_wait '[ "$(qv_driver "$pf")" = qosvnic ]' 5 || bye "(qosvnic.ko did not bind $pf: the guest powers off)"
echo "$nvfs" > "$sys/sriov_numvfs" || echo "sriov_numvfs=$nvfs through the driver failed"
qv_wait '[ "$(qv_vfs | wc -l)" -ge "$nvfs" ]' 10
sleep 1
qv_lspci "$pf"; for v in $(qv_vfs); do qv_lspci "$v"; done
echo; ip -br link
vf0=$(qv_vfs | head -n 1)
dev=$(ls "/sys/bus/pci/devices/$vf0/net" 2>/dev/null | head -n 1)
if [ -n "$dev" ]; then
    echo; echo "== traffic: VF 0 ($dev) 10.77.0.2/24 -> host tap 10.77.0.1"
    pfdev=$(ls "$sys/net" 2>/dev/null | head -n 1)
    [ -z "$pfdev" ] || ip link set "$pfdev" up
    ip link set "$dev" up && ip addr add 10.77.0.2/24 dev "$dev"
    ping -c 3 -W 2 10.77.0.1 || echo "(no reply from the host side)"
    [ -z "$pfdev" ] || ip link show "$pfdev"
fi

# QoS at the device, through the kernel's switchdev interfaces: VF 1 and
# VF 2 each in their own namespace take a TCP stream from VF 0's namespace;
# tc flower rules on the representors switch them in the device, and tc
# matchall police on VF 1's representor is VF 1's ingress policer (10
# Mbit/s, 1 MiB burst); VF 2 is not policed.
set -- $(qv_vfs)
if [ $# -ge 3 ] && command -v iperf3 >/dev/null; then
    echo; echo "== switchdev: VF 1 policed to 10 Mbit/s at the device, VF 2 unlimited"
    i=0
    for v in "$1" "$2" "$3"; do
        d=$(ls "/sys/bus/pci/devices/$v/net" 2>/dev/null | head -n 1)
        [ -n "$d" ] || continue
        ip netns add "demo$i"
        ip link set "$d" netns "demo$i"
        ip -n "demo$i" addr add "10.88.0.$((i + 1))/24" dev "$d"
        ip -n "demo$i" link set "$d" up
        eval "dev$i=$d mac$i=$(ip netns exec "demo$i" cat "/sys/class/net/$d/address")"
        i=$((i + 1))
    done
    for i in 0 1 2; do      # no ARP through the eswitch's rules
        for j in 0 1 2; do
            [ "$i" = "$j" ] && continue
            eval "ip -n demo$i neigh replace 10.88.0.$((j + 1)) lladdr \$mac$j dev \$dev$i nud permanent"
        done
    done
    echo "# devlink dev eswitch set pci/$pf mode switchdev"
    devlink dev eswitch set "pci/$pf" mode switchdev
    for i in 0 1 2; do
        for n in /sys/class/net/*; do
            [ "$(cat "$n/phys_port_name" 2>/dev/null)" = "pf0vf$i" ] && eval "rep$i=${n##*/}"
        done
        eval "ip link set \$rep$i up; tc qdisc add dev \$rep$i clsact"
    done
    echo "# tc filter add dev $rep0 ingress flower skip_sw dst_mac $mac1 action mirred egress redirect dev $rep1 (and back, and VF 2)"
    tc filter add dev "$rep0" ingress flower skip_sw dst_mac "$mac1" action mirred egress redirect dev "$rep1"
    tc filter add dev "$rep0" ingress flower skip_sw dst_mac "$mac2" action mirred egress redirect dev "$rep2"
    tc filter add dev "$rep1" ingress flower skip_sw dst_mac "$mac0" action mirred egress redirect dev "$rep0"
    tc filter add dev "$rep2" ingress flower skip_sw dst_mac "$mac0" action mirred egress redirect dev "$rep0"
    echo "# tc filter add dev $rep1 egress matchall skip_sw action police rate 10mbit burst 1m conform-exceed drop/pipe"
    tc filter add dev "$rep1" egress matchall skip_sw action police rate 10mbit burst 1m conform-exceed drop/pipe
    rxb() { ip netns exec "demo$1" cat "/sys/class/net/$2/statistics/rx_bytes"; }
    for i in 1 2; do
        eval "d=\$dev$i"
        ip netns exec "demo$i" iperf3 -s -D >/dev/null 2>&1
        sleep 1
        before=$(rxb "$i" "$d")
        # iperf3 only generates the stream; the receiver's counters say
        # what the device let through.
        ip netns exec demo0 timeout 10 iperf3 -c "10.88.0.$((i + 1))" -t 3 \
            >/dev/null 2>&1 || true
        after=$(rxb "$i" "$d")
        drops=$(ip netns exec "demo$i" ethtool -S "$d" | awk '/rx_drop_rate:/ {print $2}')
        echo "-- TCP from VF 0 for 3 s: VF $i received" \
             "$(( (after - before) * 8 / 3 / 1000000 )) Mbit/s;" \
             "the device dropped $drops frames for VF $i's rate"
    done
    echo "# tc -s filter show dev $rep1 egress"
    tc -s filter show dev "$rep1" egress
fi
echo; echo "Try: devlink port show; devlink dev eswitch show pci/$pf; tc -s filter show dev <representor> ingress;"
echo "     devlink health show; ethtool -S <vf netdev>; poweroff -f to quit"
GUEST

args=(--nic qosvnic --vfs 8 --test "$work/demo.sh" --append qv.coldplug=0 --ip none)
[ "$batch" = 1 ] || args+=(--shell)
step "booting the guest (qosvnic PF, up to 8 VFs)"
"$here/run-guest.sh" "${args[@]}" "$@"
