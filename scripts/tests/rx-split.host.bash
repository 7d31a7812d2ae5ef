# Host side of rx-split-test.sh for one boot (RXSPLIT_LEN: the device's
# x-rx-first-len), sourced by scripts/qv-agent.sh's agent_run inside
# run-guest.sh's network namespace; gx/gxn reach the guest.
# shellcheck shell=bash
# shellcheck disable=SC2154  # VFDEV0 comes from agent_env
# shellcheck disable=SC2016  # check() evaluates its condition later

n=$RXSPLIT_LEN
pass() { echo "PASS: rx-split: $* (x-rx-first-len=$n)"; }
fail() { echo "FAIL: rx-split: $* (x-rx-first-len=$n)"; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
info() { echo "    $*"; }
VF=10.77.0.11

agent_env || { fail "guest set-up readable"; exit 1; }
dev=$VFDEV0
# rx_runt_frames rx_frame_err rx_large_frames, in that order.
stats() { gxn vf0 "ethtool -S $dev" | awk '{ v[$1] = $2 } END { print v["rx_runt_frames:"] + 0, v["rx_frame_err:"] + 0, v["rx_large_frames:"] + 0 }'; }
kwarn() { gx "dmesg | grep -E 'WARNING:|BUG:|Oops|NETDEV WATCHDOG|hung_task|blocked for more than'"; }

read -r r0 e0 l0 <<< "$(stats)"
got=$(ping -c 5 -i 0.3 -W 2 "$VF" 2>/dev/null | awk '/received/ {print $4}')
bits=''
[ "$n" -lt 14 ] || bits=$(ip3 -c "$VF" -t 3)
read -r r1 e1 l1 <<< "$(stats)"
info "pings answered ${got:-0}/5; TCP ${bits:-none} bit/s; rx_runt_frames +$((r1 - r0))," \
     "rx_frame_err +$((e1 - e0)), rx_large_frames +$((l1 - l0))"
if [ "$n" -lt 14 ]; then
    # The host's ARP requests are what arrives: they go unanswered.
    check "a first buffer shorter than an Ethernet header: every frame dropped and counted as a runt" \
        '[ "${got:-0}" = 0 ] && [ "$((r1 - r0))" -ge 3 ] && [ "$((e1 - e0))" = 0 ]'
    check "the VF's netdev is still up" \
        '[ "$(gxn vf0 "cat /sys/class/net/$dev/operstate")" = up ]'
else
    check "a header split over two buffers: pings get through" '[ "${got:-0}" -ge 4 ]'
    check "a header split over two buffers: a TCP stream with large frames gets through" \
        '[ "${bits:-0}" -gt 0 ] && [ "$((l1 - l0))" -gt 0 ]'
    check "no runt and no frame error" '[ "$((r1 - r0))" = 0 ] && [ "$((e1 - e0))" = 0 ]'
fi
if kwarn; then fail "no kernel warnings"; else pass "no kernel warnings"; fi
