# Host side of vf-traffic-test.sh (sourced by scripts/qv-agent.sh's
# agent_run inside run-guest.sh's network namespace; gx/gxn reach the guest).
# VF n is "ip link set PF vf n" = QMP qosvnic-set-vf vf n = guest netns vfn =
# 10.77.0.(11+n). The ingress policer of a VF is set by the host (QMP, as
# a setting, not a ceiling): in legacy mode the guest has no standard
# interface for it (switchdev-test.sh sets it with tc matchall police on
# the VF's representor).
# Prints PASS:/FAIL: lines; asserts outcomes, never speeds.
# shellcheck shell=bash
# shellcheck disable=SC2154  # PF, PFDEV, VFDEVn come from agent_env

T=${VFT_SECONDS:-5}             # seconds per iperf3/netperf run
RATE_MBIT=${VFT_RATE_MBIT:-20}  # VF1 ingress policer and egress ceiling
TOL=10                          # percent
UDP_LEN=1400
# The policer and the shaper count Ethernet frames (no FCS); iperf3 counts
# UDP payload: frame = payload + 8 (UDP) + 20 (IPv4) + 14 (Ethernet).
WIRE=$(( UDP_LEN + 42 ))
netperf=${QOSVNIC_ROOT}/out/tools/bin/netperf
fails=0
pass() { echo "PASS: vf-traffic: $*"; }
fail() { echo "FAIL: vf-traffic: $*"; fails=1; }
info() { echo "    $*"; }
vfip() { echo "10.77.0.$((11 + $1))"; }
setvf() { python3 "$QOSVNIC_ROOT/scripts/qmp.py" "$QV_QMP" \
          "{\"execute\":\"qosvnic-set-vf\",\"arguments\":{\"id\":\"nic0\",\"vf\":$1,$2,\"limit\":false}}" > /dev/null; }
vfrate() { python3 "$QOSVNIC_ROOT/scripts/qmp.py" "$QV_QMP" '{"execute":"query-qosvnic","arguments":{"id":"nic0"}}' |
           jq -r --argjson v "$1" '.[0].functions[] | select(.vf == $v) | .config["rx-rate"]'; }
wire_of() { awk -v b="$1" -v w="$WIRE" -v l="$UDP_LEN" 'BEGIN {printf "%.0f", b * w / l}'; }

agent_env || { fail "guest set-up readable"; exit 1; }
eval "dev0=\$VFDEV0 dev1=\$VFDEV1 dev2=\$VFDEV2 dev3=\$VFDEV3"
info "PF $PF ($PFDEV), VF netdevs: vf0 $dev0, vf1 $dev1, vf2 $dev2, vf3 $dev3"

# ---- 1. ping every VF from the host side
for i in 0 1 2 3; do
    if out=$(ping -c 3 -w 15 "$(vfip "$i")" 2>&1); then
        pass "ping VF $i ($(vfip "$i")) from the host"
    else
        fail "ping VF $i ($(vfip "$i")) from the host"
        printf '%s\n' "$out" | tail -n 3 | sed 's/^/    | /'
    fi
done

# ---- 2. iperf3 through two VFs at once
d=$(mktemp -d)
( ip3 -c "$(vfip 0)" -t "$T" > "$d/a" ) &
( ip3 -c "$(vfip 2)" -t "$T" > "$d/b" ) &
wait
a=$(cat "$d/a") b=$(cat "$d/b")
rm -rf "$d"
info "concurrent TCP host->VF0 $(mbit "${a:-0}") Mbit/s, host->VF2 $(mbit "${b:-0}") Mbit/s"
if [ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt 0 ]; then
    pass "iperf3 TCP through VF 0 and VF 2 at once, both deliver"
else
    fail "iperf3 TCP through VF 0 and VF 2 at once, both deliver"
fi

# ---- 2b. TCP from a VF to a peer that advertises a 48-byte MSS
# Linux's TCP then cuts segments of tcp_min_snd_mss (48) less options;
# the device drops a TSO frame cut below QV_TSO_MSS_MIN (64), so the
# driver must segment such frames itself (qv_features_check), or the
# stream stalls on tx_drop_bad.
ip route replace "$(vfip 0)" dev qvtap0 advmss 48
b0=$(gstat vf0 "$dev0" tx_drop_bad)
s=$(ip3 -c "$(vfip 0)" -R -t 3)
b1=$(gstat vf0 "$dev0" tx_drop_bad)
ip route del "$(vfip 0)" dev qvtap0
info "TCP VF0->host at MSS 48: $(mbit "${s:-0}") Mbit/s, tx_drop_bad $b0 -> $b1"
if [ "${s:-0}" -gt 0 ] && [ "$b1" = "$b0" ]; then
    pass "TCP from VF 0 to a peer with a 48-byte MSS flows, no TSO frame dropped"
else
    fail "TCP from VF 0 to a peer with a 48-byte MSS flows, no TSO frame dropped"
fi

# ---- 3. VF1 ingress policer
rate=$((RATE_MBIT * 1000000))
setvf 1 "\"rx-rate\":$rate"
got=$(vfrate 1)
if [ "$got" = "$rate" ]; then
    pass "VF 1 ingress rate set to $RATE_MBIT Mbit/s (QMP qosvnic-set-vf rx-rate)"
else
    fail "VF 1 ingress rate set to $RATE_MBIT Mbit/s (query-qosvnic says '$got')"
fi
d0=$(gstat vf1 "$dev1" rx_drop_rate)
u=$(ip3 -c "$(vfip 1)" -u -b "$((RATE_MBIT * 3))M" -l "$UDP_LEN" -t "$((T + 1))")
d1=$(gstat vf1 "$dev1" rx_drop_rate)
w=$(wire_of "${u:-0}")
info "UDP host->VF1 offered $((RATE_MBIT * 3)) Mbit/s: received $(mbit "${u:-0}") Mbit/s payload," \
     "$(mbit "$w") Mbit/s in frames (policer $RATE_MBIT); rx_drop_rate +$((d1 - d0))"
if within_pct "$w" "$rate" "$TOL"; then
    pass "UDP into VF 1 at 3x its ingress rate is policed to $RATE_MBIT Mbit/s +-$TOL %"
else
    fail "UDP into VF 1 at 3x its ingress rate is policed to $RATE_MBIT Mbit/s +-$TOL % (got $(mbit "$w"))"
fi
t=$(ip3 -c "$(vfip 1)" -t "$T")
info "TCP host->VF1 through the $RATE_MBIT Mbit/s policer: $(mbit "${t:-0}") Mbit/s (reported, not asserted)"
# TCP against a policer depends on its depth: the default (64 KiB + 256 B
# at this rate) is ~26 ms of tokens. The same with a 1 MiB burst:
setvf 1 '"rx-burst":1048576'
t=$(ip3 -c "$(vfip 1)" -t "$T")
info "TCP host->VF1 through the policer with rx_burst 1 MiB: $(mbit "${t:-0}") Mbit/s (reported)"
setvf 1 '"rx-burst":0'

# ---- 4. drops counted on VF1 while VF2 carries traffic
d0=$(gstat vf1 "$dev1" rx_drop_rate)
v0=$(gstat vf2 "$dev2" rx_drop_rate)
d=$(mktemp -d)
( ip3 -c "$(vfip 1)" -u -b "$((RATE_MBIT * 10))M" -l "$UDP_LEN" -t "$T" > "$d/a" ) &
( ip3 -c "$(vfip 2)" -t "$T" > "$d/b" ) &
wait
a=$(cat "$d/a") b=$(cat "$d/b")
rm -rf "$d"
d1=$(gstat vf1 "$dev1" rx_drop_rate)
v1=$(gstat vf2 "$dev2" rx_drop_rate)
info "VF1 flooded at $((RATE_MBIT * 10)) Mbit/s UDP: received $(mbit "${a:-0}") Mbit/s, rx_drop_rate +$((d1 - d0));" \
     "VF2 TCP meanwhile $(mbit "${b:-0}") Mbit/s, VF2 rx_drop_rate +$((v1 - v0))"
if [ "$((d1 - d0))" -gt 0 ]; then
    pass "ethtool -S VF 1: rx_drop_rate rises under the flood"
else
    fail "ethtool -S VF 1: rx_drop_rate rises under the flood ($d0 -> $d1)"
fi
if [ "${b:-0}" -gt 0 ] && [ "$v1" = "$v0" ]; then
    pass "VF 2 (unlimited) carries TCP during the VF 1 flood, no rate drops"
else
    fail "VF 2 (unlimited) carries TCP during the VF 1 flood, no rate drops"
fi
setvf 1 '"rx-rate":0'

# ---- 5. VF1 egress ceiling: ip link set PF vf 1 max_tx_rate
if gx "ip link set $PFDEV vf 1 max_tx_rate $RATE_MBIT"; then
    pass "ip link set $PFDEV vf 1 max_tx_rate $RATE_MBIT accepted"
else
    fail "ip link set $PFDEV vf 1 max_tx_rate $RATE_MBIT accepted"
fi
gx "ip link show $PFDEV" | grep 'vf 1 ' | sed 's/^/    | /'
th0=$(gstat vf1 "$dev1" tx_throttled)
u=$(ip3 -c "$(vfip 1)" -R -u -b "$((RATE_MBIT * 3))M" -l "$UDP_LEN" -t "$((T + 1))")
th1=$(gstat vf1 "$dev1" tx_throttled)
w=$(wire_of "${u:-0}")
info "UDP VF1->host offered $((RATE_MBIT * 3)) Mbit/s: host received $(mbit "${u:-0}") Mbit/s payload," \
     "$(mbit "$w") Mbit/s in frames; tx_throttled +$((th1 - th0))"
if within_pct "$w" "$rate" "$TOL"; then
    pass "UDP from VF 1 is shaped to max_tx_rate $RATE_MBIT Mbit/s +-$TOL %"
else
    fail "UDP from VF 1 is shaped to max_tx_rate $RATE_MBIT Mbit/s +-$TOL % (got $(mbit "$w"))"
fi
t=$(ip3 -c "$(vfip 1)" -R -t "$T")
info "TCP VF1->host under max_tx_rate $RATE_MBIT: $(mbit "${t:-0}") Mbit/s"
if within_pct "${t:-0}" "$rate" "$TOL" || { [ "${t:-0}" -gt 0 ] && [ "${t:-0}" -le "$rate" ]; }; then
    pass "TCP from VF 1 stays within max_tx_rate $RATE_MBIT Mbit/s"
else
    fail "TCP from VF 1 stays within max_tx_rate $RATE_MBIT Mbit/s (got $(mbit "${t:-0}"))"
fi
gx "ip link set $PFDEV vf 1 max_tx_rate 0"

# ---- 7. request/response and HTTP through VF 0 (before 6 changes VF 3)
if out=$("$netperf" -H "$(vfip 0)" -l "$T" -t TCP_RR -P 0 -- -r 1,1 -o THROUGHPUT,MEAN_LATENCY 2>&1) &&
   tps=$(printf '%s\n' "$out" | awk -F, 'NF == 2 && $1 + 0 > 0 {print $1; f=1} END {exit !f}'); then
    info "netperf TCP_RR VF0: $tps trans/s (mean latency $(printf '%s\n' "$out" | awk -F, 'NF == 2 {print $2}' | tail -n 1) us)"
    pass "netperf TCP_RR through VF 0 completes"
else
    fail "netperf TCP_RR through VF 0 completes"; printf '%s\n' "$out" | tail -n 3 | sed 's/^/    | /'
fi
if out=$("$netperf" -H "$(vfip 0)" -l "$T" -t TCP_CRR -P 0 -- -r 1,1 -o THROUGHPUT,MEAN_LATENCY 2>&1) &&
   tps=$(printf '%s\n' "$out" | awk -F, 'NF == 2 && $1 + 0 > 0 {print $1; f=1} END {exit !f}'); then
    info "netperf TCP_CRR VF0: $tps trans/s"
    pass "netperf TCP_CRR through VF 0 completes"
else
    fail "netperf TCP_CRR through VF 0 completes"; printf '%s\n' "$out" | tail -n 3 | sed 's/^/    | /'
fi
conns=100
out=$(timeout 120 httperf --server "$(vfip 0)" --port 80 --uri /10k --num-conns "$conns" \
      --rate 25 --timeout 10 2>&1)
ok=$(printf '%s\n' "$out" | sed -n 's/^Reply status: 1xx=[0-9]* 2xx=\([0-9]*\).*/\1/p')
printf '%s\n' "$out" | grep -E '^(Request rate|Reply rate|Reply time|Errors: total|Net I/O)' | sed 's/^/    httperf: /'
if [ "${ok:-0}" -ge $((conns * 95 / 100)) ]; then
    pass "httperf against busybox httpd in VF 0's namespace: $ok/$conns replies 2xx"
else
    fail "httperf against busybox httpd in VF 0's namespace: ${ok:-0}/$conns replies 2xx"
fi

# ---- 6. anti-spoofing on VF 3: a bridge in its namespace sends with the
# bridge's own MAC. An ARP request from a fresh address (10.77.0.24) makes
# the host create a neighbour entry only if the frame arrived.
SPOOF_MAC=02:00:00:00:77:77 SPOOF_IP=10.77.0.24
gx "ip link set $PFDEV vf 3 spoofchk on trust off"
gxn vf3 "ip addr flush dev $dev3 && ip link add br0 type bridge forward_delay 0 stp_state 0 &&
         ip link set br0 address $SPOOF_MAC && ip link set $dev3 master br0 &&
         ip addr add $SPOOF_IP/24 dev br0 && ip link set br0 up" || fail "bridge set-up in VF 3's namespace"
arrived() { # flush, provoke an ARP request from br0, and look
    ip neigh del "$SPOOF_IP" dev qvtap0 2>/dev/null
    gxn vf3 "ip neigh flush dev br0; ping -c 2 -w 4 10.77.0.1" > "$1" 2>&1
    local r=$?
    ip neigh show "$SPOOF_IP" | grep -qi "$SPOOF_MAC" && echo arrived || echo absent
    return "$r"
}
s0=$(gstat vf3 "$dev3" tx_drop_spoof)
seen=$(arrived /dev/null); pr=$?
s1=$(gstat vf3 "$dev3" tx_drop_spoof)
info "spoofchk on: frames from $SPOOF_MAC $seen on the host, ping rc $pr, tx_drop_spoof +$((s1 - s0))"
if [ "$seen" = absent ] && [ "$((s1 - s0))" -gt 0 ]; then
    pass "spoofchk on: VF 3 frames with a foreign source MAC are dropped and counted"
else
    fail "spoofchk on: VF 3 frames with a foreign source MAC are dropped and counted"
fi
gx "ip link set $PFDEV vf 3 spoofchk off"
s0=$(gstat vf3 "$dev3" tx_drop_spoof)
seen=$(arrived /dev/null); pr=$?
s1=$(gstat vf3 "$dev3" tx_drop_spoof)
info "spoofchk off: frames from $SPOOF_MAC $seen on the host, ping rc $pr, tx_drop_spoof +$((s1 - s0))"
if [ "$seen" = arrived ] && [ "$s1" = "$s0" ]; then
    pass "spoofchk off: VF 3 frames with a foreign source MAC reach the host"
else
    fail "spoofchk off: VF 3 frames with a foreign source MAC reach the host"
fi
gx "ip link set $PFDEV vf 3 spoofchk on trust on"
s0=$(gstat vf3 "$dev3" tx_drop_spoof)
seen=$(arrived /dev/null); pr=$?
s1=$(gstat vf3 "$dev3" tx_drop_spoof)
info "trust on (spoofchk on): frames from $SPOOF_MAC $seen on the host, ping rc $pr, tx_drop_spoof +$((s1 - s0))"
if [ "$seen" = arrived ] && [ "$s1" = "$s0" ]; then
    pass "trust on: VF 3 frames with a foreign source MAC reach the host"
else
    fail "trust on: VF 3 frames with a foreign source MAC reach the host"
fi
if [ "$pr" = 0 ]; then
    pass "trust on: the bridge behind VF 3 (promiscuous) gets the host's answers"
else
    fail "trust on: the bridge behind VF 3 (promiscuous) gets the host's answers"
fi
gx "ip link set $PFDEV vf 3 trust off"

# ---- the device's admission account, as the driver shows it
# Every frame admission took is delivered, held or discarded. The driver
# reads the counters one by one, so a frame arriving between two reads can
# show; the check takes the first of three quiet reads that adds up.
account() { # ns dev: "admitted delivered held discarded"
    gxn "$1" "ethtool -S $2" | awk '{ v[$1] = $2 } END { print v["rx_admitted:"] + 0, v["rx_delivered:"] + 0, v["buf_frames:"] + 0, v["rx_discarded:"] + 0 }'
}
for _ in 1 2 3; do
    bad='' acc=''
    for i in 0 1 2 3; do
        eval "dv=\$dev$i"
        read -r ad de he di <<< "$(account "vf$i" "$dv")"
        acc="$acc vf$i $ad=$de+$he+$di"
        [ "$ad" = "$((de + he + di))" ] && [ "$ad" -gt 0 ] || bad="$bad vf$i"
    done
    [ -n "$bad" ] || break
    sleep 1
done
info "ethtool -S: rx_admitted = rx_delivered + buf_frames + rx_discarded:$acc"
if [ -z "$bad" ]; then
    pass "ethtool -S on every VF: the device's admission account adds up (admitted = delivered + held + discarded)"
else
    fail "ethtool -S on every VF: the device's admission account adds up (not on$bad)"
fi

echo "    guest counters at the end:"
for i in 0 1 2 3; do
    eval "dv=\$dev$i"
    gxn "vf$i" "ethtool -S $dv" | awk -v v="$i" '$2 + 0 > 0 && $1 ~ /drop|tso|large|throttl|spoof/ {printf "    | vf%s %s %s\n", v, $1, $2}'
done
exit "$fails"
