# Host side of vf-admin-test.sh (sourced by scripts/qv-agent.sh's agent_run
# inside run-guest.sh's network namespace; gx/gxn reach the guest, QV_QMP
# is the QEMU's QMP socket). VF n = "ip link set PF vf n" = netns vfn =
# 10.77.0.(11+n) = device function n + 1. Prints PASS:/FAIL: lines.
# shellcheck shell=bash
# shellcheck disable=SC2154  # PF, PFDEV, VFDEVn, VFPCIn come from agent_env

fails=0
pass() { echo "PASS: vf-admin: $*"; }
fail() { echo "FAIL: vf-admin: $*"; fails=1; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
info() { echo "    $*"; }
vfip() { echo "10.77.0.$((11 + $1))"; }
qmp() { python3 "$QOSVNIC_ROOT/scripts/qmp.py" "$QV_QMP" "$1"; }
# A field of VF n's "config" in query-qosvnic (the device's effective value).
vfcfg() { qmp '{"execute":"query-qosvnic","arguments":{"id":"nic0"}}' |
          jq -r --argjson v "$1" --arg k "$2" '.[0].functions[] | select(.vf == $v) | .config[$k]'; }
setvf() { qmp "{\"execute\":\"qosvnic-set-vf\",\"arguments\":{\"id\":\"nic0\",\"vf\":$1,$2}}" > /dev/null; }
fails_cmd() { ! "$@" > /dev/null 2>&1; }
# MSI-X "misc" interrupts of PCI function $1 so far (all CPUs).
misc_irqs() { gx "awk '/$1-misc/ {n = 0; for (i = 2; i <= NF && \$i ~ /^[0-9]+\$/; i++) n += \$i; print n}' /proc/interrupts"; }
carrier() { gxn "vf$1" "cat /sys/class/net/$2/carrier" 2>/dev/null; }
wait_carrier() { # vf dev want seconds
    local _
    for _ in $(seq 1 $(($4 * 10))); do
        [ "$(carrier "$1" "$2")" = "$3" ] && return 0
        sleep 0.1
    done
    return 1
}
snmp_host() { awk -v k="$1" -v f="$2" '$1 == k":" && !h {for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next}
              $1 == k":" && h {for (i = 2; i <= NF; i++) if (n[i] == f) print $i}' "/proc/net/$3"; }
snmp_vf() { gxn "vf$1" "cat /proc/net/$4" | awk -v k="$2" -v f="$3" '$1 == k":" && !h {for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next}
              $1 == k":" && h {for (i = 2; i <= NF; i++) if (n[i] == f) print $i}'; }

agent_env || { fail "guest set-up readable"; exit 1; }
eval "dev0=\$VFDEV0 dev1=\$VFDEV1 dev2=\$VFDEV2"
info "PF $PF ($PFDEV), VF netdevs: vf0 $dev0, vf1 $dev1, vf2 $dev2"
qmp '{"execute":"query-qosvnic","arguments":{"id":"nic0"}}' > /dev/null || fail "QMP reachable"

# ---- ring sizes: refused below the minimum, not clamped
out=$(gxn vf0 "ethtool -G $dev0 rx 64" 2>&1); rc=$?
rx=$(gxn vf0 "ethtool -g $dev0" | awk '/^Current/ {c = 1} c && /^RX:/ {print $2; exit}')
info "ethtool -G rx 64: rc $rc, $(printf '%s' "$out" | head -n 1); RX ring now $rx"
check "ethtool -G below the ring minimum is refused with a message, ring unchanged" \
    test "$rc" != 0 -a "$rx" = 512

# ---- RX buffer size (ethtool -G rx-buf-len): large by default, rounded
# up to what a page order holds, refused above the largest; traffic flows
bufl() { gxn vf0 "ethtool -g $dev0" | awk '/^Current/ {c = 1} c && /^RX Buf Len:/ {print $4; exit}'; }
b0=$(bufl)
# With large receive off (a forwarding or bridged port) the default
# buffers are a page: MTU-sized frames then need no copy. (Only the
# default follows it: an rx-buf-len request, below, pins the size.)
gxn vf0 "ethtool -K $dev0 lro off" || fail "ethtool -K lro off accepted"
b4=$(bufl)
gxn vf0 "ethtool -K $dev0 lro on" || fail "ethtool -K lro on accepted"
b5=$(bufl)
info "RX Buf Len: $b4 with large receive off, $b5 with it on again"
check "large receive off gives page-sized RX buffers, on the large ones again" \
    test "${b4:-0}" -gt 0 -a "${b4:-0}" -lt 4096 -a "$b5" = "$b0"
gxn vf0 "ethtool -G $dev0 rx-buf-len 2000" || fail "ethtool -G rx-buf-len 2000 accepted"
b1=$(bufl)
m1=$(ip3 -c "$(vfip 0)" -t 2 2>/dev/null)
out=$(gxn vf0 "ethtool -G $dev0 rx-buf-len $((b0 + 1))" 2>&1); rc=$?
b2=$(bufl)
gxn vf0 "ethtool -G $dev0 rx-buf-len $b0" || fail "ethtool -G rx-buf-len $b0 accepted"
b3=$(bufl)
info "RX Buf Len: $b0 by default, $b1 after rx-buf-len 2000 (TCP $(( ${m1:-0} / 1000000 )) Mbit/s);" \
     "rx-buf-len $((b0 + 1)): rc $rc, $(printf '%s' "$out" | head -n 1), $b2; back to $b3"
check "RX buffers are larger than a page by default" test "${b0:-0}" -gt 4096
check "rx-buf-len 2000 gives page-sized buffers that carry TCP" \
    test "${b1:-0}" -ge 2000 -a "${b1:-0}" -lt 4096 -a "${m1:-0}" -gt 0
check "rx-buf-len above the largest buffer is refused with a message, size unchanged" \
    test "$rc" != 0 -a "$b2" = "$b1" -a -n "$out"
check "rx-buf-len back to $b0 restores the default buffers" test "$b3" = "$b0"

# ---- large receive frames count as the host's segments
o0=$(snmp_host Tcp OutSegs snmp); i0=$(snmp_vf 0 IpExt InNoECTPkts netstat)
l0=$(gstat vf0 "$dev0" rx_large_frames)
ip3 -c "$(vfip 0)" -t 3 > /dev/null
sleep 1
o1=$(snmp_host Tcp OutSegs snmp); i1=$(snmp_vf 0 IpExt InNoECTPkts netstat)
l1=$(gstat vf0 "$dev0" rx_large_frames)
info "host TCP OutSegs +$((o1 - o0)); VF 0 IpExt InNoECTPkts +$((i1 - i0)), rx_large_frames +$((l1 - l0))"
check "large receive frames carry the host's segment count (gso_segs)" \
    test "$((l1 - l0))" -gt 50 -a "$((i1 - i0))" -le "$((o1 - o0 + (l1 - l0) / 10))"

# ---- egress rates
gx "ip link set $PFDEV vf 0 min_tx_rate 50" || fail "vf 0 min_tx_rate 50 accepted"
gx "ip link set $PFDEV vf 0 rate 20" > /dev/null 2>&1; rc=$?
info "legacy 'rate 20' with min_tx_rate 50 (the driver gets min 50 > max 20): rc $rc," \
     "device min $(vfcfg 0 tx-min-rate) max $(vfcfg 0 tx-max-rate)"
check "min_tx_rate above max_tx_rate is refused (core and driver)" \
    test "$rc" != 0 -a "$(vfcfg 0 tx-max-rate)" = 0 -a "$(vfcfg 0 tx-min-rate)" = 50
setvf 0 '"tx-max-rate":100' || fail "QMP qosvnic-set-vf tx-max-rate 100"
gx "ip link set $PFDEV vf 0 min_tx_rate 10 max_tx_rate 500" > /dev/null 2>&1; rc=$?
mn=$(vfcfg 0 tx-min-rate) mx=$(vfcfg 0 tx-max-rate)
info "host caps tx-max-rate at 100; ip link min 10 max 500: rc $rc, device min $mn max $mx"
check "a rate the host caps is refused whole: min_tx_rate not half-applied" \
    test "$rc" != 0 -a "$mn" = 50 -a "$mx" = 100
setvf 0 '"tx-max-rate":0,"limit":false' || fail "QMP lift the tx-max-rate cap"
gx "ip link set $PFDEV vf 0 min_tx_rate 0 max_tx_rate 0" || fail "vf 0 rates back to 0"
gx "ip link set $PFDEV vf 1 min_tx_rate 600" || fail "vf 1 min_tx_rate 600 accepted"
gx "ip link set $PFDEV vf 2 min_tx_rate 600" > /dev/null 2>&1; rc=$?
info "vf 1 min 600, then vf 2 min 600 on a 1000 Mbit/s line: rc $rc, vf 2 min $(vfcfg 2 tx-min-rate)"
check "guarantees that add up above the line rate are refused" \
    test "$rc" != 0 -a "$(vfcfg 2 tx-min-rate)" = 0
gx "ip link set $PFDEV vf 1 min_tx_rate 0"

# ---- MACs
mac1=$(vfcfg 1 mac)
check "untrusted VF 2 may change the device's default MAC (no administrator MAC)" \
    gxn vf2 "ip link set $dev2 address 02:00:00:00:02:22"
info "VF 2's MAC in the device: $(vfcfg 2 mac)"
check "VF 2 may not take VF 1's MAC ($mac1)" fails_cmd gxn vf2 "ip link set $dev2 address $mac1"
gx "ip link set $PFDEV vf 2 mac 02:00:00:00:02:23" || fail "ip link set vf 2 mac"
for _ in $(seq 1 30); do
    [ "$(gxn vf2 "cat /sys/class/net/$dev2/address")" = 02:00:00:00:02:23 ] && break
    sleep 0.1
done
got=$(gxn vf2 "cat /sys/class/net/$dev2/address")
info "after ip link set $PFDEV vf 2 mac 02:00:00:00:02:23, VF 2's netdev has $got"
check "the administrator's new MAC reaches the running VF" test "$got" = 02:00:00:00:02:23
ip neigh flush dev qvtap0 2>/dev/null
check "the host reaches VF 2 at its new MAC" ping -c 3 -w 15 "$(vfip 2)"
check "untrusted VF 2 may not override the administrator's MAC" \
    fails_cmd gxn vf2 "ip link set $dev2 address 02:00:00:00:02:24"
# Two functions with one MAC: the device gives the frames to the lower one.
# The administrator's MAC of one VF is not given to another; one a VF took
# itself is taken from it for the administrator (before, VF 0 kept it and
# VF 1's frames: a tenant could take another's address first).
check "the administrator cannot give VF 1 the MAC VF 2 has from the administrator" \
    fails_cmd gx "ip link set $PFDEV vf 1 mac 02:00:00:00:02:23"
check "the administrator cannot give VF 1 the PF's MAC" \
    fails_cmd gx "ip link set $PFDEV vf 1 mac $(gx "cat /sys/class/net/$PFDEV/address")"
gxn vf0 "ip link set $dev0 address 02:00:00:00:0a:0a" || fail "VF 0 takes 02:00:00:00:0a:0a"
gx "ip link set $PFDEV vf 1 mac 02:00:00:00:0a:0a" || fail "ip link set vf 1 mac 02:00:00:00:0a:0a"
for _ in $(seq 1 30); do
    [ "$(gxn vf0 "cat /sys/class/net/$dev0/address")" != 02:00:00:00:0a:0a ] && break
    sleep 0.1
done
got0=$(gxn vf0 "cat /sys/class/net/$dev0/address")
info "VF 0 took 02:00:00:00:0a:0a, the administrator gave it to VF 1: VF 0 $(vfcfg 0 mac) (netdev $got0), VF 1 $(vfcfg 1 mac)"
check "a MAC a VF took itself goes to the VF the administrator gives it to" \
    test "$(vfcfg 1 mac)" = 02:00:00:00:0a:0a -a "$(vfcfg 0 mac)" != 02:00:00:00:0a:0a \
         -a "$got0" = "$(vfcfg 0 mac)"
ip neigh flush dev qvtap0 2>/dev/null
check "VF 0 carries traffic at the MAC it was given instead" ping -c 3 -w 15 "$(vfip 0)"
gx "ip link set $PFDEV vf 1 mac 00:00:00:00:00:00"    # VF 1 may choose its own again

# ---- port VLAN change on a running VF (the peer is the guest's PF on a
# VLAN device: this host may have no 802.1Q support)
r0=$(gstat vf1 "$dev1" function_resets)
gx "ip link set $PFDEV vf 1 vlan 100" || fail "ip link set vf 1 vlan 100"
gx "ip link add link $PFDEV name vlpf type vlan id 100 && ip addr add 10.78.0.1/24 dev vlpf &&
    ip link set vlpf up" || fail "VLAN 100 device on the PF"
gxn vf1 "ip addr add 10.78.0.12/24 dev $dev1"
sleep 1
r1=$(gstat vf1 "$dev1" function_resets)
info "VF 1 function_resets $r0 -> $r1 after its port VLAN changed"
check "a port VLAN change reaches the running VF (it resets)" test "$r1" -gt "$r0"
check "VF 1 carries traffic on port VLAN 100 (to the PF's VLAN device)" \
    gx "ping -c 3 -w 15 10.78.0.12 > /dev/null"
# A VLAN upper device turns LRO off on the PF (NETIF_F_UPPER_DISABLES).
gx "ip link del vlpf; ip link set $PFDEV vf 1 vlan 0; ethtool -K $PFDEV lro on"
gxn vf1 "ip addr del 10.78.0.12/24 dev $dev1"

# ---- the misc interrupt after resets
misc_fires() { # n dev pci: a link change must reach VF n through its misc vector
    local m0 m1 ok=0
    m0=$(misc_irqs "$3")
    gx "ip link set $PFDEV vf $1 state disable"
    wait_carrier "$1" "$2" 0 1 && ok=1
    m1=$(misc_irqs "$3")
    gx "ip link set $PFDEV vf $1 state auto"
    wait_carrier "$1" "$2" 1 5 || ok=0
    info "VF $1: misc interrupts $m0 -> $m1, carrier followed the link state: $ok"
    [ "$ok" = 1 ] && [ "$m1" -gt "$m0" ]
}
gx "echo 1 > /sys/bus/pci/devices/$VFPCI0/reset" || fail "FLR of VF 0 (sysfs reset)"
check "VF 0 carries traffic after its FLR" ping -c 3 -w 15 "$(vfip 0)"
check "after an FLR, VF 0's misc interrupt fires (link state change)" misc_fires 0 "$dev0" "$VFPCI0"
gxn vf0 "ethtool --reset $dev0 dedicated" > /dev/null || fail "ethtool --reset of VF 0"
check "after ethtool --reset, VF 0's misc interrupt fires" misc_fires 0 "$dev0" "$VFPCI0"
gx "ethtool --reset $PFDEV dedicated" > /dev/null || fail "ethtool --reset of the PF"
check "after the PF's reset, the PF serves VF 1's mailbox (VF MAC change)" \
    gxn vf1 "ip link set $dev1 address 02:00:00:00:01:11"

# ---- devlink shared buffer
sbsize=$(gx "devlink sb show pci/$PF" | sed -n 's/.* size \([0-9]*\) .*/\1/p')
pools=$(gx "devlink sb pool show")
p0=$(printf '%s\n' "$pools" | sed -n 's/.*pool 0 .* size \([0-9]*\) .*/\1/p')
p1=$(printf '%s\n' "$pools" | sed -n 's/.*pool 1 .* size \([0-9]*\) .*/\1/p')
res=$(qmp '{"execute":"query-qosvnic","arguments":{"id":"nic0","all":true}}' |
      jq '[.[0].functions[].config["buf-reserve"]] | add')
info "sb size $sbsize; pool 0 $p0, pool 1 $p1; the device's reserves add up to $res"
check "devlink-sb pool sizes are the device's: reserves, and the rest of the buffer" \
    test -n "$p0" -a "$p0" = "$res" -a "$((p0 + p1))" = "$sbsize"
r=$(vfcfg 0 buf-reserve)
gx "devlink sb port pool set pci/$PF/1 sb 0 pool 0 th $((r + 65536))" || fail "VF 0 reserve + 64 KiB"
q0=$(gx "devlink sb pool show" | sed -n 's/.*pool 0 .* size \([0-9]*\) .*/\1/p')
check "pool 0 grows with VF 0's reserve" test "$q0" = "$((p0 + 65536))"
gx "devlink sb port pool set pci/$PF/1 sb 0 pool 0 th $r"
a=$(vfcfg 0 buf-alpha)
gx "devlink sb port pool set pci/$PF/1 sb 0 pool 1 th 10" || fail "to_alpha 10 accepted"
check "to_alpha 10 is alpha 1 (16/16)" test "$(vfcfg 0 buf-alpha)" = 16
gx "devlink sb port pool set pci/$PF/1 sb 0 pool 1 th 3"; rc=$?
th=$(gx "devlink sb port pool show pci/$PF/1 sb 0 pool 1" | sed -n 's/.* threshold \([0-9]*\).*/\1/p')
info "to_alpha 3 (alpha 1/128): rc $rc, device alpha $(vfcfg 0 buf-alpha)/16, reads back $th"
check "to_alpha 3, below the device's 1/16 step, is alpha 0 and reads back as 0" \
    test "$rc" = 0 -a "$(vfcfg 0 buf-alpha)" = 0 -a "$th" = 0
check "to_alpha above 16 (alpha 64) is refused" \
    fails_cmd gx "devlink sb port pool set pci/$PF/1 sb 0 pool 1 th 17"
setvf 0 "\"buf-alpha\":$a,\"limit\":false" || fail "VF 0 alpha back to $a"

# ---- QOS_REQ: each VF asks with tc mqprio (channel mode, bw_rlimit)
mq="root mqprio num_tc 1 map 0 queues 1@0 hw 1 mode channel shaper bw_rlimit min_rate 400Mbit max_rate 1000Mbit"
mins() { echo "$(vfcfg 0 tx-min-rate) $(vfcfg 1 tx-min-rate) $(vfcfg 2 tx-min-rate)"; }
for v in 0 1 2; do eval "d=\$dev$v"; gxn "vf$v" "tc qdisc add dev $d $mq" > /dev/null 2>&1; done
m=$(mins)
info "untrusted VFs ask for min 400 max 1000 (tc mqprio); device min_tx_rate of VF 0..2: $m"
check "untrusted VFs get no guarantee through QOS_REQ" test "$m" = "0 0 0"
check "an untrusted VF's refused request leaves no qdisc" \
    fails_cmd gxn vf0 "tc qdisc show dev $dev0 | grep -q mqprio"
gx "ip link set $PFDEV vf 0 min_tx_rate 100"
gxn vf0 "tc qdisc add dev $dev0 $mq" > /dev/null 2>&1
info "after ip link set vf 0 min_tx_rate 100 and VF 0 asking again: VF 0 min $(vfcfg 0 tx-min-rate)"
check "an untrusted VF's request leaves the administrator's min_tx_rate" test "$(vfcfg 0 tx-min-rate)" = 100
gx "for v in 0 1 2; do ip link set $PFDEV vf \$v trust on; done"
for v in 0 1 2; do eval "d=\$dev$v"; gxn "vf$v" "tc qdisc add dev $d $mq" > /dev/null 2>&1; done
m=$(mins)
info "trusted, VFs ask one by one (min 400 each, line rate 1000): device min_tx_rate $m"
check "trusted VFs get guarantees while they fit in the line rate (400, 400, refused)" \
    test "$m" = "400 400 0"
gx "dmesg | grep -E 'PF (granted|refused) bandwidth'" | tail -n 4 | sed 's/^/    | /'
# What trust got is the VFs' only until the administrator needs it: a
# guarantee for VF 2 takes grants back (VF 0's first, to its own 100)
# until it fits (before, it was refused while the grants held the line).
gx "ip link set $PFDEV vf 2 min_tx_rate 300"; rc=$?
sleep 1
m=$(mins)
info "ip link set vf 2 min_tx_rate 300 next to the grants: rc $rc, device min_tx_rate $m"
check "the administrator's guarantee takes back what trust got (400 400 0 -> 100 400 300)" \
    test "$rc" = 0 -a "$m" = "100 400 300"
# A guarantee the host's cap refuses takes nothing back: before, VF 1's
# grant was taken (and VF 1 told to reset, so it asked again) for a
# min_tx_rate that then failed.
takebacks() { gx "dmesg | grep -c 'egress rates are taken back for VF 2'"; }
t0=$(takebacks)
setvf 2 '"tx-min-rate":200' || fail "QMP qosvnic-set-vf 2 tx-min-rate 200"
gx "ip link set $PFDEV vf 2 min_tx_rate 600" > /dev/null 2>&1; rc=$?
sleep 1
m=$(mins) t1=$(takebacks)
info "host caps VF 2's tx-min-rate at 200; ip link set vf 2 min_tx_rate 600: rc $rc, device min_tx_rate $m, grants taken back $t0 -> $t1"
check "a guarantee the host refuses takes back no other VF's grant" \
    test "$rc" != 0 -a "$m" = "100 400 200" -a "$t1" = "$t0"
setvf 2 '"tx-min-rate":0,"limit":false' || fail "QMP lift VF 2's tx-min-rate cap"
gx "ip link set $PFDEV vf 2 min_tx_rate 0"
gxn vf0 "tc qdisc del dev $dev0 root 2> /dev/null; tc qdisc add dev $dev0 $mq" > /dev/null 2>&1
info "VF 0 asks again: device min_tx_rate $(mins)"
gxn vf1 "tc qdisc del dev $dev1 root"
check "deleting the qdisc gives the guarantee back" test "$(vfcfg 1 tx-min-rate)" = 0
# A host ceiling does not keep a grant: VF 2 asks again (the line has room
# now), the host caps its tx-max-rate, and trust off takes its 400 back.
# Before, the ceiling made an unlimited max read back as 900, and the
# driver wrote the grant back as for a refusal.
gxn vf2 "tc qdisc add dev $dev2 $mq" > /dev/null 2>&1
setvf 2 '"tx-max-rate":900' || fail "QMP qosvnic-set-vf 2 tx-max-rate 900"
m2=$(vfcfg 2 tx-min-rate)
gx "ip link set $PFDEV vf 2 trust off"
for _ in $(seq 50); do [ "$(vfcfg 2 tx-min-rate)" = 0 ] && break; sleep 0.2; done
info "VF 2 granted min $m2; host caps tx-max-rate at 900; after trust off: min $(vfcfg 2 tx-min-rate) max $(vfcfg 2 tx-max-rate)"
check "trust off takes a grant back under a host tx-max-rate ceiling (400 -> 0)" \
    test "$m2" = 400 -a "$(vfcfg 2 tx-min-rate)" = 0
setvf 2 '"tx-max-rate":0,"limit":false' || fail "QMP lift VF 2's tx-max-rate cap"
# Only trust got VF 0 its 400: trust off takes it back to the
# administrator's 100 (the VF is told to reset, and asks again untrusted).
gx "ip link set $PFDEV vf 0 trust off"
for _ in $(seq 50); do [ "$(vfcfg 0 tx-min-rate)" = 100 ] && break; sleep 0.2; done
info "VF 0 min_tx_rate after trust off: $(vfcfg 0 tx-min-rate)"
check "trust off takes back a guarantee only trust got (400 -> the administrator's 100)" \
    test "$(vfcfg 0 tx-min-rate)" = 100

# ---- SR-IOV off and on: the VFs' configuration starts from scratch, as
# the driver's record of it does (before, the device kept VF 0's port VLAN,
# trust and ceiling while the driver had forgotten them, and an untrusted
# VF could lift that ceiling through QOS_REQ). Last: the VFs' namespaces go.
vf0cfg() { echo "vlan $(vfcfg 0 vlan) trust $(vfcfg 0 trust) tx-max-rate $(vfcfg 0 tx-max-rate) tx-min-rate $(vfcfg 0 tx-min-rate)"; }
gx "ip link set $PFDEV vf 0 vlan 7; ip link set $PFDEV vf 0 trust on
    ip link set $PFDEV vf 0 min_tx_rate 100 max_tx_rate 200"
info "VF 0 before: $(vf0cfg)"
sys=/sys/bus/pci/devices/$PF
gx "echo 0 > $sys/sriov_numvfs && echo 3 > $sys/sriov_numvfs"
c=$(vf0cfg)
info "VF 0 after sriov_numvfs 0 and 3: $c"
check "SR-IOV re-enabled: VF 0 has no port VLAN, trust or rates left over" \
    test "$c" = "vlan 0 trust false tx-max-rate 0 tx-min-rate 0"
# ... nor an earlier administrator's "spoofchk off": the next tenant starts
# with the device's default (vf-spoofchk, on); before, it stayed off.
gx "ip link set $PFDEV vf 0 spoofchk off"
sp0=$(vfcfg 0 spoofcheck)
gx "echo 0 > $sys/sriov_numvfs && echo 3 > $sys/sriov_numvfs"
info "VF 0 spoofcheck: $sp0 after spoofchk off, $(vfcfg 0 spoofcheck) after sriov_numvfs 0 and 3"
check "SR-IOV re-enabled: VF 0 checks source MACs again" \
    test "$sp0" = false -a "$(vfcfg 0 spoofcheck)" = true

if gx "dmesg | grep -E 'WARNING:|BUG:|Oops|NETDEV WATCHDOG|hung_task|blocked for more than'"; then
    fail "no kernel warnings"
else
    pass "no kernel warnings"
fi
exit "$fails"
