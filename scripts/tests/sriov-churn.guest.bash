# Guest side of sriov-churn-test.sh (runs as /test.sh; "rounds" is set
# above this line). Prints PASS:/FAIL: lines and "    " detail lines.
# shellcheck shell=bash
# shellcheck disable=SC2154  # rounds is prepended by sriov-churn-test.sh
. /lib/qv-lib.sh

bad='WARNING:|BUG:|Oops|general protection|hung_task|blocked for more than|Call Trace'
pf=$(qv_pf)
sys=/sys/bus/pci/devices/$pf
[ -n "$pf" ] || { fail "sriov-churn: PF found"; exit 1; }
modprobe qosvnic
qv_wait "[ -d $sys/net ]" 10 || { fail "sriov-churn: the PF's netdev"; exit 1; }
pfdev=$(ls "$sys/net")
ip link set "$pfdev" up
probed=0 t0=$SECONDS
for r in $(seq 1 "$rounds"); do
    # The other vCPU writes to the PF's registers (MTU) while this one
    # maps and unmaps three VFs' BARs.
    ( for m in 9000 1500 9000 1500 9000 1500 9000 1500; do ip link set "$pfdev" mtu "$m"; done ) &
    echo 3 > "$sys/sriov_numvfs" || echo "    round $r: sriov_numvfs 3 failed"
    wait $!
    n=0
    for j in 0 1 2; do [ -d "$sys/virtfn$j/net" ] && n=$((n + 1)); done
    [ "$n" = 3 ] && probed=$((probed + 1))
    echo 0 > "$sys/sriov_numvfs" || echo "    round $r: sriov_numvfs 0 failed"
done
echo "    $rounds rounds in $((SECONDS - t0)) s"
check "sriov-churn: three VFs came up with a netdev in every round ($probed of $rounds)" [ "$probed" = "$rounds" ]
check "sriov-churn: the PF still answers: its MTU is 1500" [ "$(cat "/sys/class/net/$pfdev/mtu")" = 1500 ]

# Eswitch mode changes racing SR-IOV enable and disable (the VFs' devlink
# ports are added after num_vfs is set, and deleted long before it is
# cleared): representors follow the ports, so none outlives its VF.
reprs() { cat /sys/class/net/*/phys_port_name 2>/dev/null | grep -c '^pf0vf'; }
dl=pci/$pf left=0 t0=$SECONDS
for r in $(seq 1 "$rounds"); do
    ( for m in switchdev legacy switchdev; do devlink dev eswitch set "$dl" mode "$m"; done ) 2>/dev/null &
    echo 3 > "$sys/sriov_numvfs" || echo "    round $r: sriov_numvfs 3 failed"
    wait $!
    ( for m in legacy switchdev; do devlink dev eswitch set "$dl" mode "$m"; done ) 2>/dev/null &
    echo 0 > "$sys/sriov_numvfs" || echo "    round $r: sriov_numvfs 0 failed"
    wait $!
    n=$(reprs)
    [ "$n" = 0 ] || { left=$((left + 1)); echo "    round $r: $n representors without VFs"; }
done
echo "    $rounds rounds of mode changes in $((SECONDS - t0)) s"
check "sriov-churn: no representor outlives the VFs after a mode change raced SR-IOV ($left of $rounds rounds left some)" [ "$left" = 0 ]
devlink dev eswitch set "$dl" mode switchdev 2>/dev/null
echo 3 > "$sys/sriov_numvfs"
check "sriov-churn: then 3 VFs in switchdev mode have 3 representors ($(reprs))" [ "$(reprs)" = 3 ]
echo 0 > "$sys/sriov_numvfs"
devlink dev eswitch set "$dl" mode legacy 2>/dev/null
# (On a KCSAN kernel, only the driver's reports count: qv-kcsan.awk.)
if dmesg | awk -f /lib/qv-kcsan.awk 2>/dev/null | grep -E -A3 "$bad" | head -n 20 | sed 's/^/    | /' | grep .; then
    fail "sriov-churn: no kernel warning"
else
    pass "sriov-churn: no kernel warning"
fi
exit "$qv_fail"
