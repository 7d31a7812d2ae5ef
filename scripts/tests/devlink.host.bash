# Host side of devlink-test.sh (sourced by scripts/qv-agent.sh's agent_run
# inside run-guest.sh's network namespace; gx/gxn reach the guest, QV_QMP is
# the QEMU's QMP socket). VF n = "ip link set PF vf n" = devlink port
# pci/PF/(n+1) = netns vfn = 10.77.0.(11+n). Prints PASS:/FAIL: lines.
# shellcheck shell=bash
# shellcheck disable=SC2154  # PF, PFDEV, VFDEVn, VFPCIn come from agent_env

fails=0
pass() { echo "PASS: devlink: $*"; }
fail() { echo "FAIL: devlink: $*"; fails=1; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
info() { echo "    $*"; }
vfip() { echo "10.77.0.$((11 + $1))"; }
qmp() { python3 "$QOSVNIC_ROOT/scripts/qmp.py" "$QV_QMP" "$1"; }
fncfg() { qmp '{"execute":"query-qosvnic","arguments":{"id":"nic0"}}' |
          jq -r --argjson f "$1" --arg k "$2" '.[0].functions[] | select(.function == $f) | .config[$k]'; }
vfcfg() { fncfg "$(($1 + 1))" "$2"; }
gstat() { gxn "$1" "ethtool -S $2" | awk -v k="$3:" '$1 == k {print $2; f=1} END {if (!f) print "NA"}'; }
pstat() { gx "ethtool -S $PFDEV" | awk -v k="$1:" '$1 == k {print $2}'; }
within_pct() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(b > 0 && d * 100 <= p * b)}'; }
fails_msg() { # expected-message command...: refused, with the message
    local want=$1 out; shift
    out=$("$@" 2>&1) && { info "unexpectedly accepted: $*"; return 1; }
    info "refused: $(printf '%s' "$out" | head -n 1)"
    printf '%s' "$out" | grep -q "$want"
}
# "error N recover M" of a devlink health reporter.
hcount() { gx "devlink health show $1 reporter $2" | sed -n "s/.* error \([0-9]*\) recover \([0-9]*\).*/\1 \2/p"; }
wait_hcount() { # dev reporter want
    local _
    for _ in $(seq 1 100); do [ "$(hcount "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
    return 1
}

agent_env || { fail "guest set-up readable"; exit 1; }
eval "dev0=\$VFDEV0 dev1=\$VFDEV1"
info "PF $PF ($PFDEV), VF 0 $dev0 ($VFPCI0), VF 1 $dev1 ($VFPCI1)"

# ---- devlink dev info
out=$(gx "devlink dev info pci/$PF")
printf '%s\n' "$out" | sed 's/^/    | /'
pfmac=$(fncfg 0 mac | tr -d :)
check "devlink dev info: driver qosvnic, serial the PF's MAC, contract 1" \
    eval 'grep -q "driver qosvnic" <<< "$out" && grep -q "serial_number $pfmac" <<< "$out" && grep -q "fw.contract 1" <<< "$out"'
check "devlink dev info of a VF's own instance" \
    eval 'gx "devlink dev info pci/$VFPCI0" | grep -q "fw.contract 1"'

# ---- port function hw_addr
check "devlink port function set pci/$PF/1 hw_addr 02:00:00:00:00:31" \
    gx "devlink port function set pci/$PF/1 hw_addr 02:00:00:00:00:31"
for _ in $(seq 1 50); do
    [ "$(gxn vf0 "cat /sys/class/net/$dev0/address")" = 02:00:00:00:00:31 ] && break
    sleep 0.1
done
got=$(gxn vf0 "cat /sys/class/net/$dev0/address")
info "VF 0's netdev $got, the device $(vfcfg 0 mac), devlink: $(gx "devlink port show pci/$PF/1" | sed -n 's/.*hw_addr \([0-9a-f:]*\).*/\1/p')"
check "hw_addr is the VF's MAC: in the device and in the running VF" \
    test "$got" = 02:00:00:00:00:31 -a "$(vfcfg 0 mac)" = 02:00:00:00:00:31
ip neigh flush dev qvtap0 2>/dev/null
check "the host reaches VF 0 at its new MAC" ping -c 3 -w 15 "$(vfip 0)"

# ---- devlink rate
out=$(gx "devlink port function rate show")
printf '%s\n' "$out" | sed 's/^/    | /'
check "a devlink rate leaf per VF" eval 'grep -q "pci/$PF/1: type leaf" <<< "$out" && grep -q "pci/$PF/2: type leaf" <<< "$out"'
check "devlink port function rate set pci/$PF/1 tx_max 40mbit tx_share 10mbit" \
    gx "devlink port function rate set pci/$PF/1 tx_max 40mbit tx_share 10mbit"
info "device: tx-max-rate $(vfcfg 0 tx-max-rate) tx-min-rate $(vfcfg 0 tx-min-rate); ip link: $(gx "ip link show $PFDEV" | grep 'vf 0' | grep -o 'max_tx_rate [0-9]*Mbps, min_tx_rate [0-9]*Mbps')"
check "tx_max/tx_share are the VF's TX_MAX/MIN_RATE (40, 10 Mbit/s)" \
    test "$(vfcfg 0 tx-max-rate)" = 40 -a "$(vfcfg 0 tx-min-rate)" = 10
bps=$(ip3 -c "$(vfip 0)" -R -t 3)
info "TCP from VF 0 with tx_max 40mbit: $(mbit "${bps:-0}") Mbit/s (TCP goodput of 40 Mbit/s on the wire is about 38)"
check "VF 0 transmits at its tx_max (TCP goodput 30..41 Mbit/s)" \
    test "${bps:-0}" -gt 30000000 -a "${bps:-0}" -lt 41000000
check "a rate that is not whole Mbit/s is refused with a message" \
    fails_msg "whole Mbit/s" gx "devlink port function rate set pci/$PF/1 tx_share 0 tx_max 1500kbit"
gx "ip link set $PFDEV vf 1 max_tx_rate 30"
sleep 0.5
out=$(gx "devlink port function rate show pci/$PF/2")
info "after ip link set $PFDEV vf 1 max_tx_rate 30: $out"
check "ip link set vf max_tx_rate (the legacy alias) shows in devlink rate" grep -q "tx_max 30Mbit" <<< "$out"
gx "devlink port function rate set pci/$PF/1 tx_max 0 tx_share 0"

# ---- tc mqprio: a VF's QoS request to the PF
mq="root mqprio num_tc 1 map 0 queues 1@0 hw 1 mode channel shaper bw_rlimit"
check "VF 1 asks for max_rate 20Mbit with tc mqprio (the PF grants it)" \
    gxn vf1 "tc qdisc add dev $dev1 $mq max_rate 20Mbit"
info "device: VF 1 tx-max-rate $(vfcfg 1 tx-max-rate) (the administrator's is 30)"
check "the grant is in the device (tx-max-rate 20)" test "$(vfcfg 1 tx-max-rate)" = 20
gxn vf1 "tc qdisc del dev $dev1 root"
check "deleting the qdisc gives the grant back (tx-max-rate 30 again)" test "$(vfcfg 1 tx-max-rate)" = 30
check "VF 1 asking above the administrator's 30 Mbit/s is refused" \
    fails_msg "" gxn vf1 "tc qdisc add dev $dev1 $mq max_rate 50Mbit"
check "a refused request changes nothing (tx-max-rate 30)" test "$(vfcfg 1 tx-max-rate)" = 30
check "mqprio other than channel/bw_rlimit is refused" \
    fails_msg "" gxn vf1 "tc qdisc add dev $dev1 root mqprio num_tc 1 map 0 queues 1@0 hw 1 mode dcb"
gx "ip link set $PFDEV vf 1 max_tx_rate 0"

# ---- devlink health
out=$(gx "devlink health show")
printf '%s\n' "$out" | sed 's/^/    | /'
check "health reporters tx_timeout, ring_error, mailbox on the PF and the VFs" \
    eval 'test "$(grep -c "reporter tx_timeout" <<< "$out")" = 3 && test "$(grep -c "reporter ring_error" <<< "$out")" = 3 &&
          test "$(grep -c "reporter mailbox" <<< "$out")" = 3'
r0=$(pstat function_resets)
gx "devlink health test pci/$PF reporter tx_timeout"
check "PF tx_timeout test event: counted and recovered (error 1 recover 1)" \
    wait_hcount "pci/$PF" tx_timeout "1 1"
r1=$(pstat function_resets)
info "PF function_resets $r0 -> $r1"
check "the recovery is a function reset" test "$r1" -gt "$r0"
d=$(gx "devlink health dump show pci/$PF reporter tx_timeout")
printf '%s\n' "$d" | head -n 12 | sed 's/^/    | /'
check "tx_timeout dump: the rings at the event" eval 'grep -q "test: true" <<< "$d" && grep -q "next_to_clean" <<< "$d"'
v0=$(gstat vf1 "$dev1" function_resets)
gx "devlink health test pci/$VFPCI1 reporter ring_error"
check "VF 1 ring_error test event on the VF's own devlink: recovered" \
    wait_hcount "pci/$VFPCI1" ring_error "1 1"
sleep 1
info "VF 1 function_resets $v0 -> $(gstat vf1 "$dev1" function_resets)"
check "VF 1 carries traffic after its recovery" ping -c 3 -w 15 "$(vfip 1)"
gx "devlink health test pci/$VFPCI0 reporter mailbox"
check "VF 0 mailbox test event counted (no recovery: the driver retries)" \
    wait_hcount "pci/$VFPCI0" mailbox "1 0"
check "mailbox dump says which side" \
    eval 'gx "devlink health dump show pci/$VFPCI0 reporter mailbox" | grep -q "side: VF"'
check "devlink health diagnose" gx "devlink health diagnose pci/$PF reporter ring_error | grep -q running"

# ---- ethtool -t
out=$(gx "ethtool -t $PFDEV offline")
printf '%s\n' "$out" | sed 's/^/    | /'
check "ethtool -t PF offline: register, interrupt, loopback through the VEB" \
    eval 'grep -q "result is PASS" <<< "$out" && grep -q "loopback test" <<< "$out"'
# Each of these fails without its driver fix: an empty fragment took a
# zero-length descriptor (the device drops the frame), and a dropped frame
# left the doorbell of an xmit_more batch unrung.
check "ethtool -t PF offline: a frame with an empty fragment comes back whole" \
    grep -Eq "scatter test +\(offline\)[[:space:]]+0$" <<< "$out"
check "ethtool -t PF offline: a dropped frame rings the doorbell deferred by xmit_more" \
    grep -Eq "doorbell test +\(offline\)[[:space:]]+0$" <<< "$out"
# The doorbell test again, where BQL's state made it fail now and then:
# the PF reopened, then one small frame completed (a broadcast ping: no
# ARP; IPv6 off: no MLD or ND), so BQL's adj_limit, which dql_reset()
# keeps, is under one test frame. Before the driver's fix, BQL stopped the
# queue on the test's frame and the doorbell rang.
gx "ip link set $PFDEV down; sysctl -qw net.ipv6.conf.$PFDEV.disable_ipv6=1; ip link set $PFDEV up
    for i in \$(seq 50); do [ \$(cat /sys/class/net/$PFDEV/carrier) = 1 ] && break; sleep 0.1; done
    ip addr add 10.78.0.1/24 dev $PFDEV; ping -b -c 1 -W 1 10.78.0.255 > /dev/null 2>&1; true"
out=$(gx "ethtool -t $PFDEV offline")
gx "ip addr flush dev $PFDEV; sysctl -qw net.ipv6.conf.$PFDEV.disable_ipv6=0"
if grep -Eq "doorbell test +\(offline\)[[:space:]]+0$" <<< "$out"; then
    pass "ethtool -t PF offline after a reopen and one small frame: the doorbell test passes"
else
    fail "ethtool -t PF offline after a reopen and one small frame: the doorbell test passes"
    gx "dmesg | grep 'self-test:' | tail -n 2" | sed 's/^/    | /'
fi
out=$(gxn vf0 "ethtool -t $dev0")
printf '%s\n' "$out" | sed 's/^/    | /'
check "ethtool -t VF: register, interrupt (mailbox)" grep -q "result is PASS" <<< "$out"
check "VF 0 carries traffic after the PF's offline self-test" ping -c 3 -w 15 "$(vfip 0)"

# ---- AER
# Inject AER error $1 into the PF; true once the kernel log has one more
# line matching $2, within $3 tenths of a second.
inject_aer() {
    local n0 out
    n0=$(gx "dmesg | grep -c '$2'")
    out=$(qmp "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"pcie_aer_inject_error nic0 $1\"}}")
    info "QMP pcie_aer_inject_error nic0 $1: $out"
    for _ in $(seq 1 "$3"); do
        [ "$(gx "dmesg | grep -c '$2'")" -gt "$n0" ] && return 0
        sleep 0.1
    done
    return 1
}
aer_log() { gx "dmesg | grep -E 'AER|PCI error|slot reset|recovered|qosvnic 0000:01:00.0' | tail -n 8" | sed 's/^/    | /'; }
inject_aer POISON_TLP 'recovered from the PCI error' 100; ok=$?
aer_log
check "an injected non-fatal AER error is handled (error_detected, resume)" test "$ok" = 0
check "VF 0 carries traffic after the AER recovery" ping -c 3 -w 15 "$(vfip 0)"

# ---- a fatal AER error: the link is reset, and with it the whole device,
# which forgets the PF-owned settings of its VFs; the PF driver puts them
# back (before, VF 1 came back with the default MAC, no port VLAN,
# untrusted, spoof-checked and unlimited).
vfset() { echo "vf1 mac $(vfcfg 1 mac) vlan $(vfcfg 1 vlan) trust $(vfcfg 1 trust)" \
               "spoofcheck $(vfcfg 1 spoofcheck) tx $(vfcfg 1 tx-min-rate)/$(vfcfg 1 tx-max-rate)"; }
gx "ip link set $PFDEV vf 1 mac 02:00:00:00:33:03 vlan 5 trust on spoofchk off min_tx_rate 20 max_tx_rate 300"
s0=$(vfset)
mbx0=$(hcount "pci/$PF" mailbox)
# The PF's own MAC is the administrator's too: with the PF down, nothing
# but the driver's record puts it back after the slot reset (before, the
# device's default stood in until the PF was opened, and a VF could take
# the PF's MAC meanwhile).
pfnew=02:00:00:00:44:01
gx "ip link set $PFDEV address $pfnew && ip link set $PFDEV down"
told() { gx "dmesg | grep -c 'the device was reset: telling 2 VFs to reset'"; }
t0=$(told)
inject_aer DLP 'PCI slot reset: device back' 300; ok=$?    # DLP: fatal
sleep 2
aer_log
s1=$(vfset)
info "before: $s0"
info "after:  $s1"
check "a fatal AER error is handled with a slot reset" test "$ok" = 0
check "after the slot reset the VFs have their MAC, port VLAN, trust, spoofchk and rates" \
    test "$s1" = "$s0" -a "$(vfcfg 1 vlan)" = 5
check "VF 0 carries traffic after the slot reset" ping -c 3 -w 20 "$(vfip 0)"
# The slot reset took the VFs' rings too: the PF tells each VF that has a
# driver to reset (a VF in another VM has no AER callback of its own; here
# the VFs' own AER reset empties their mailboxes, and they ask for their
# configuration again), and that is not reported as a mailbox fault.
sleep 3
check "after the slot reset the PF tells both VFs to reset" test "$(told)" -gt "$t0"
check "after the slot reset the PF's mailbox reporter counts no new error" \
    test "$(hcount "pci/$PF" mailbox)" = "$mbx0"
out=$(gx "ip link set $PFDEV vf 0 mac $pfnew 2>&1; echo rc \$?")
info "PF down, after the slot reset: ip link set vf 0 mac $pfnew (the PF's): $(tr '\n' ' ' <<< "$out")"
check "after the slot reset the device holds the PF's MAC: no VF gets it" \
    eval 'grep -q "rc [1-9]" <<< "$out" && test "$(fncfg 0 mac)" = "$pfnew"'
gx "ip link set $PFDEV up"

# ---- suspend and resume
if gx "test -w /sys/power/pm_test"; then
    gx "echo devices > /sys/power/pm_test && echo mem > /sys/power/state"
    gx "dmesg | grep -E 'qosvnic .*(suspended|resuming)' | tail -n 4" | sed 's/^/    | /'
    check "suspend and resume (pm_test devices) go through the driver" \
        eval 'gx "dmesg | grep -q \"qosvnic .*resuming\""'
    check "VF 0 carries traffic after resume" ping -c 3 -w 15 "$(vfip 0)"
    gx "echo none > /sys/power/pm_test"
else
    echo "SKIP: devlink: suspend/resume (no /sys/power/pm_test in this kernel)"
fi

# ---- a reset of the PF while it has VFs (sysfs "reset"). Its only reset
# is the bus's, which the kernel refuses while the VFs share the bus; the
# PF driver quiesces and revives the PF around it. Last: before, the
# driver disabled SR-IOV under the config-access lock the PCI core holds,
# and the write hung for good (D state in pci_wait_cfg).
out=$(gx "(echo 1 > /sys/bus/pci/devices/$PF/reset) 2> /tmp/pf-reset.err & p=\$!
          for i in \$(seq 1 100); do kill -0 \$p 2>/dev/null || break; sleep 0.2; done
          if kill -0 \$p 2>/dev/null; then echo hung; cat /proc/\$p/stack | head -n 4; else wait \$p; echo \"done rc \$?\"; fi
          cat /tmp/pf-reset.err; ls /sys/bus/pci/devices/$PF | grep -c virtfn")
printf '%s\n' "$out" | sed 's/^/    | /'
check "a PF reset with VFs enabled returns (refused: the VFs share its bus)" grep -q "^done rc 1" <<< "$out"
check "the VFs are still there after the PF reset" test "$(tail -n 1 <<< "$out")" = 2
check "VF 0 carries traffic after the PF reset" ping -c 3 -w 15 "$(vfip 0)"
out=$(gx "ip link show $PFDEV")
check "the PF is up again after the PF reset" grep -q "state UP" <<< "$out"

# ---- the PF has one mailbox reporter for all its VFs: it is healthy
# again only once every VF answers. VF 0's driver is unbound (its VM gone,
# say), so the PF's message about a new port VLAN goes unanswered and is
# reported; VF 1 answering a message of its own must not clear that (it
# did). Bound again, VF 0's driver asks for its configuration, and the
# reporter is healthy. Last: VF 0's netdev comes back outside its namespace.
hstate() { gx "devlink health show pci/$PF reporter mailbox" | sed -n 's/.* state \([a-z]*\) .*/\1/p'; }
wait_hstate() { local _; for _ in $(seq 1 100); do [ "$(hstate)" = "$1" ] && return 0; sleep 0.1; done; return 1; }
e0=$(hcount "pci/$PF" mailbox | cut -d' ' -f1)
gx "echo $VFPCI0 > /sys/bus/pci/drivers/qosvnic/unbind"
gx "ip link set $PFDEV vf 0 vlan 7"
for _ in $(seq 1 100); do
    [ "$(hcount "pci/$PF" mailbox | cut -d' ' -f1)" -gt "$e0" ] && break
    sleep 0.1
done
check "a PF message VF 0 never answers is a mailbox error" \
    test "$(hcount "pci/$PF" mailbox | cut -d' ' -f1)" -gt "$e0" -a "$(hstate)" = error
gx "ip link set $PFDEV vf 1 vlan 6"
sleep 3
check "VF 1 answering does not make the PF's mailbox healthy while VF 0 does not" \
    test "$(hstate)" = error -a "$(vfcfg 1 vlan)" = 6
gx "echo $VFPCI0 > /sys/bus/pci/drivers/qosvnic/bind"
check "VF 0's driver back: the PF's mailbox is healthy" wait_hstate healthy
# The same with the PF down, as SR-IOV hosts often leave it: the PF still
# watches its VFs' mailboxes (before, its service task stopped with the
# netdev, and VF 0 was never reported). Then the PF's driver goes while
# the reporter is in error: before, SR-IOV disable set it healthy on the
# unregistered devlink instance, a kernel WARN (checked below).
gx "echo $VFPCI0 > /sys/bus/pci/drivers/qosvnic/unbind"
gx "ip link set $PFDEV down && ip link set $PFDEV vf 0 vlan 8"
check "PF down, VF 0 gone again: the PF's mailbox reporter is in error" wait_hstate error
gx "echo $PF > /sys/bus/pci/drivers/qosvnic/unbind"
check "the PF's driver unbinds" eval '! gx "test -e /sys/bus/pci/drivers/qosvnic/$PF"'

if gx "dmesg | grep -E 'WARNING:|BUG:|Oops|NETDEV WATCHDOG|hung_task|blocked for more than'"; then
    fail "no kernel warnings"
else
    pass "no kernel warnings"
fi
exit "$fails"
