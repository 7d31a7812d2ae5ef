# Guest side of driver-faults-test.sh (runs as /test.sh; "rounds" is set
# above this line). Needs the debug kernel's fault injection, KASAN,
# lockdep and DMA-API debugging. Prints PASS:/FAIL: lines and "    "
# detail lines.
# shellcheck shell=bash
# shellcheck disable=SC2154  # rounds is prepended by driver-faults-test.sh
. /lib/qv-lib.sh

bad='WARNING:|BUG:|Oops|general protection|hung_task|blocked for more than|NETDEV WATCHDOG|refcount_t|list_del corruption|page_pool_release_retry|unregister_netdevice: waiting|Call Trace'
dbg=/sys/kernel/debug
pf=$(qv_pf)
sys=/sys/bus/pci/devices/$pf
[ -n "$pf" ] || { fail "driver-faults: PF found"; exit 1; }
mountpoint -q "$dbg" || mount -t debugfs none "$dbg"
[ -d "$dbg/failslab" ] && [ -d "$dbg/fail_page_alloc" ] ||
    { fail "driver-faults: the kernel has fault injection (QOSVNIC_GUEST_KERNEL=debug)"; exit 1; }
# The checkers announce themselves at boot.
for m in "KernelAddressSanitizer initialized" "Lock dependency validator" \
         "DMA-API: debugging enabled"; do
    dmesg | grep -q "$m" || { fail "driver-faults: the kernel's boot log says \"$m\""; exit 1; }
done
echo "    kernel $(uname -r): KASAN, lockdep, DMA-API debugging, fault injection"
echo 20 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
# Reports from before the driver is loaded are not the driver's: shown, and
# cleared so that the rounds start from a clean log.
if dmesg | grep -qE "$bad"; then
    echo "    reports at boot, before qosvnic.ko (not counted):"
    dmesg | grep -E -A6 "$bad" | head -n 20 | sed 's/^/    | /'
fi
dmesg -c > /dev/null

# The reports that count: all but the core kernel's own known reports
# under injection, which /lib/qv-kreports.awk names on stderr (its header
# says which and why); those are shown with PREFIX and not counted.
reports() { # prefix
    dmesg | awk -v re="$bad" -f /lib/qv-kreports.awk 2> /tmp/known
    sort /tmp/known | uniq -c | sed "s/^ *\([0-9]*\) /    $1\1 x /"
}

# Both injectors: only tasks that asked (make-it-fail), sleeping
# allocations too, order 0 up, but not user pages (the shell's own memory),
# quietly (a stack per failure would read as a warning).
for fa in failslab fail_page_alloc; do
    echo Y > "$dbg/$fa/task-filter"
    echo 0 > "$dbg/$fa/verbose"
    echo N > "$dbg/$fa/ignore-gfp-wait"
    echo 0 > "$dbg/$fa/space"
    echo 1 > "$dbg/$fa/interval"
    echo -1 > "$dbg/$fa/times"
done
echo 0 > "$dbg/fail_page_alloc/min-order"
odds() { echo "$1" > "$dbg/failslab/probability"; echo "$1" > "$dbg/fail_page_alloc/probability"; }
# Run shell code in a task whose kernel allocations fail at the odds set.
# The shell is started first and the code is made of builtins (sysfs
# writes), so what fails is the kernel's work for it: the driver's probe
# when it binds a function, SR-IOV set-up, an MTU change, the removal.
# ok/tried count what succeeded.
faulty() {
    tried=$((tried + 1))
    bash -c 'echo 1 > /proc/self/make-it-fail && eval "$1"' _ "$1" 2> /dev/null &&
        ok=$((ok + 1))
}
drv=/sys/bus/pci/drivers/qosvnic

# One round: the driver's control paths under allocation failures;
# whatever fails must fail cleanly.
round() { # odds
    local vf n
    modprobe qosvnic || return 0
    [ -e "$drv/$pf" ] && echo "$pf" > "$drv/unbind"
    odds "$1"
    faulty "echo $pf > $drv/bind"
    # A probe makes hundreds of allocations, so it mostly fails even at
    # 2 %: the steps after one that failed start from a success without
    # injection, so that they are tried under it too.
    odds 0
    [ -d "$sys/net" ] || echo "$pf" > "$drv/bind" 2> /dev/null
    if [ -d "$sys/net" ]; then
        pfdev=$(ls "$sys/net")
        ip link set "$pfdev" up
        odds "$1"
        faulty "echo 9000 > /sys/class/net/$pfdev/mtu"
        faulty "echo 1500 > /sys/class/net/$pfdev/mtu"
        # Once a VF's device_add() has failed (pci_device_add()'s known
        # WARN), the PCI core never releases that VF's BARs:
        # pci_destroy_dev() skips a device with no kobject parent. The
        # next enable then hits BUG_ON(rc) in pci_iov_add_virtfn() (6.1's
        # drivers/pci/iov.c:334), the shell dies holding the device lock,
        # and power-off's device_shutdown() reads its freed task_struct (a
        # KASAN use-after-free). So SR-IOV is not enabled again after it.
        [ -z "$leaked" ] && faulty "echo 2 > $sys/sriov_numvfs"
        for vf in "$sys"/virtfn*; do
            [ -e "$drv/${vf##*/}" ] && faulty "echo ${vf##*/} > $drv/unbind"
            faulty "echo ${vf##*/} > $drv/bind"
        done
        for n in "$sys"/virtfn*/net/*; do
            [ -e "$n" ] && faulty "echo 4000 > /sys/class/net/${n##*/}/mtu"
        done
        faulty "echo 0 > $sys/sriov_numvfs"
        faulty "echo $pf > $drv/unbind"
    fi
    odds 0
}

# Whatever a round left: a probe that failed half-way leaves the module.
teardown() {
    odds 0
    echo 0 > "$sys/sriov_numvfs" 2>/dev/null
    grep -q '^qosvnic ' /proc/modules || return 0
    rmmod qosvnic 2>/dev/null || { sleep 1; rmmod qosvnic; }
}

warn=0 t0=$SECONDS leaked=
for r in $(seq 1 "$rounds"); do
    p=$((r % 2 ? 2 : 10))
    [ $((r % 5)) = 0 ] && p=50
    ok=0 tried=0
    round "$p"
    echo "    round $r (odds $p %): $ok of $tried commands succeeded"
    teardown
    # Each report whole: KASAN's allocation and free stacks say whose.
    out=$(reports "round $r: ")
    counted=$(printf '%s\n' "$out" | grep -v '^    round ')
    printf '%s\n' "$out" | grep '^    round ' || true
    if [ -z "$leaked" ] && printf '%s\n' "$out" | grep -q 'pci_device_add()'; then
        leaked=$r
        echo "    round $r: a VF's device_add() failed: SR-IOV is not enabled again in this boot (see round())"
    fi
    if [ -n "$counted" ]; then
        warn=$((warn + 1))
        echo "    round $r (odds $p %): kernel reports:"
        printf '%s\n' "$counted" | head -n 150 | sed 's/^/    | /'
    fi
    dmesg -c > /dev/null
done
echo "    $rounds rounds in $((SECONDS - t0)) s; $(grep -c 'qosvnic' /proc/modules) qosvnic module(s) loaded after them"
check "driver-faults: no KASAN, lockdep, DMA-API, WARNING or BUG report in $rounds rounds of allocation failures (known core-kernel ones aside)" \
    [ "$warn" = 0 ]

# Without injection the driver comes up and two VFs carry traffic (unless
# the PCI core still holds a failed VF's BARs: see round()).
for j in 0 1; do ip netns add "vf$j"; done
ok=0
if modprobe qosvnic && qv_wait "[ -d $sys/net ]" 10; then
    pfdev=$(ls "$sys/net")
    ip link set "$pfdev" up && ok=1
fi
check "driver-faults: after the failures the driver loads and its PF comes up" [ "$ok" = 1 ]
if [ -n "$leaked" ]; then
    skip "driver-faults: two VFs come up and carry traffic (the PCI core leaked a VF's BARs in round $leaked)"
else
    [ "$ok" = 1 ] && echo 2 > "$sys/sriov_numvfs" || ok=0
    for j in 0 1; do
        qv_wait "[ -d $sys/virtfn$j/net ]" 20 || ok=0
        d=$(ls "$sys/virtfn$j/net" 2>/dev/null)
        ip link set "$d" netns "vf$j" &&
            ip -n "vf$j" addr add "10.77.0.$((11 + j))/24" dev "$d" &&
            ip -n "vf$j" link set "$d" up || ok=0
    done
    check "driver-faults: after the failures two VFs come up" [ "$ok" = 1 ]
    check "driver-faults: the VFs carry traffic" \
        ip netns exec vf0 ping -c 3 -w 20 10.77.0.12
    echo 0 > "$sys/sriov_numvfs"
fi
check "driver-faults: rmmod" rmmod qosvnic
out=$(reports "after the rounds: ")
counted=$(printf '%s\n' "$out" | grep -v '^    after the rounds: ')
printf '%s\n' "$out" | grep '^    after the rounds: ' || true
if [ -n "$counted" ]; then
    printf '%s\n' "$counted" | head -n 40 | sed 's/^/    | /'
    fail "driver-faults: no kernel report after the rounds"
else
    pass "driver-faults: no kernel report after the rounds"
fi
