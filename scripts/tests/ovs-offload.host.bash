# Host side of ovs-offload-test.sh (sourced by scripts/qv-agent.sh's agent_run
# inside run-guest.sh's network namespace; gx/gxn reach the guest). VF n =
# netns vfn = 10.77.0.(11+n) = representor pf0vfn. Prints PASS:/FAIL: lines.
# shellcheck shell=bash
# shellcheck disable=SC2154  # PF, PFDEV, VFDEVn come from agent_env

fails=0
pass() { echo "PASS: ovs-offload: $*"; }
fail() { echo "FAIL: ovs-offload: $*"; fails=1; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
info() { echo "    $*"; }
nstat() { gx "cat /sys/class/net/$1/statistics/$2"; }
repr_of() { gx "for n in /sys/class/net/*; do [ \"\$(cat \$n/phys_port_name 2>/dev/null)\" = $1 ] && basename \$n; done; true"; }

agent_env || { fail "guest set-up readable"; exit 1; }
eval "dev0=\$VFDEV0 dev1=\$VFDEV1"
check "devlink dev eswitch set pci/$PF mode switchdev" gx "devlink dev eswitch set pci/$PF mode switchdev"
r0=$(repr_of pf0vf0) r1=$(repr_of pf0vf1)
info "representors: pf0vf0 = $r0, pf0vf1 = $r1"

# Open vSwitch from Debian, in the guest's initramfs (scripts/build-guest.sh).
# Debian's 3.1.0 (bookworm) counts no CPUs during the first 10 s after boot
# and then starts no upcall handler at all in per-CPU dispatch mode (fixed
# upstream by "ovs-thread: Fix cpus not read for the first 10s",
# fff04b838, in 3.1.1): start it after that.
gx "while [ \$(cut -d. -f1 /proc/uptime) -lt 12 ]; do sleep 1; done
    modprobe crc32c_generic && modprobe openvswitch &&
    mkdir -p /etc/openvswitch /var/run/openvswitch /var/log/openvswitch &&
    ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema &&
    ovsdb-server --remote=punix:/var/run/openvswitch/db.sock --pidfile --detach \
        --log-file=/var/log/openvswitch/ovsdb-server.log /etc/openvswitch/conf.db &&
    ovs-vsctl --no-wait init &&
    ovs-vsctl --no-wait set Open_vSwitch . other_config:hw-offload=true &&
    ovs-vswitchd --pidfile --detach --log-file=/var/log/openvswitch/ovs-vswitchd.log" > /dev/null ||
    fail "Open vSwitch starts (ovsdb-server, ovs-vswitchd)"
check "ovs-vswitchd runs with other_config:hw-offload=true" \
    gx "ovs-vsctl get Open_vSwitch . other_config:hw-offload | grep -q true"
check "an OVS bridge with the two representors" \
    gx "ovs-vsctl add-br br0 && ovs-vsctl add-port br0 $r0 && ovs-vsctl add-port br0 $r1 &&
        ip link set $r0 up && ip link set $r1 up && ip link set br0 up"
gx "ovs-vsctl show" | sed 's/^/    | /'
# The representors' carrier (link watch), then MAC learning in the slow path.
sleep 2
check "VF 0 pings VF 1 through OVS (ARP and the first packets in the slow path)" \
    gxn vf0 "ping -c 5 -w 30 10.77.0.12 > /dev/null"

a0=$(nstat "$r0" rx_packets) b0=$(nstat "$r1" rx_packets)
bps=$(gxn vf0 "iperf3 -c 10.77.0.12 -t 4 -J" | jq -r '.end.sum_received.bits_per_second | floor')
a1=$(nstat "$r0" rx_packets) b1=$(nstat "$r1" rx_packets)
info "TCP VF 0 -> VF 1: $bps bit/s; the representors received $((a1 - a0)) + $((b1 - b0)) packets meanwhile"
check "TCP between the VFs flows" test "${bps:-0}" -gt 1000000
out=$(gx "ovs-appctl dpctl/dump-flows type=offloaded")
printf '%s\n' "$out" | sed 's/^/    | /'
n=$(printf '%s\n' "$out" | grep -c 'actions:')
pk=$(printf '%s\n' "$out" | sed -n 's/.*packets:\([0-9]*\).*/\1/p' | sort -n | tail -n 1)
check "dpctl/dump-flows type=offloaded lists the flows between the VFs" test "$n" -ge 2
check "the offloaded flows carried the traffic (device counters)" test "${pk:-0}" -gt 10000
check "the PF's CPU was idle: the representors saw under 1 % of the packets" \
    test "$(( (a1 - a0 + b1 - b0) * 100 ))" -lt "${pk:-0}"
gx "tc -s filter show dev $r0 ingress" | grep -E 'flower|_mac|in_hw|not_in_hw|Sent hardware' | head -n 12 | sed 's/^/    | /'

gx "ovs-vsctl del-br br0; ovs-appctl -t ovs-vswitchd exit; ovs-appctl -t ovsdb-server exit" > /dev/null 2>&1
check "devlink dev eswitch set pci/$PF mode legacy afterwards" gx "devlink dev eswitch set pci/$PF mode legacy"
if gx "dmesg | grep -E 'WARNING:|BUG:|Oops|NETDEV WATCHDOG|hung_task|blocked for more than'"; then
    fail "no kernel warnings"
else
    pass "no kernel warnings"
fi
exit "$fails"
