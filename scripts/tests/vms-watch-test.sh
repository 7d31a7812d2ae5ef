#!/usr/bin/env bash
# The outer guest's breakage handling in scripts/vms.sh (see
# docs/tenant-vms.md): under TCG, L1's emulation now and then breaks, and
# vms.sh must stop such a run at once with exit 75 (run again), but never
# excuse a failure of the driver under test. Each case boots L1 without
# tenants and breaks it on purpose:
#   1. an RCU stall report on L1's console: exit 75, well before the
#      run's timeout, the host side stopped with L1;
#   2. the same report with a qosvnic.ko frame in its trace: exit 1 (the
#      driver's failure counts);
#   3. L1's userland stops (its watchdog feeder is stopped): the emulated
#      watchdog fires after QOSVNIC_L1_WATCHDOG (20 s here) and vms.sh
#      exits 75.
#   4. L1's command loop is stuck in one command (a sleep here): the host's
#      command gets no answer within GX_TIMEOUT (15 s here), and every
#      later one fails at once instead of waiting out its own timeout,
#      so that the run ends in seconds, not in a timeout per command.
# Usage: scripts/tests/vms-watch-test.sh   (root; builds what is missing)
# shellcheck disable=SC2016  # check() and the breakers eval their quoted code later
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

work=$(mktemp -d /tmp/qvn-vms-watch.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
check() { # name condition
    if eval "$2"; then echo "PASS: vms-watch: $1"; else echo "FAIL: vms-watch: $1"; fails=1; fi
}

if ! "$here/build-qemu.sh" >/dev/null 2>"$work/build.log" ||
   ! QOSVNIC_REQUIRE_DRIVER=1 "$here/build-guest.sh" >/dev/null 2>>"$work/build.log"; then
    echo "FAIL: vms-watch: QEMU and the guest image build"; tail -n 20 "$work/build.log"; exit 1
fi

# A host side that breaks L1 with $1 (a shell command in L1), then waits
# far longer than the watcher needs; "still running" means nothing stopped it.
breaker() {
    printf '%s\n' "gl1 $(printf '%q' "$1")" 'sleep 240' 'echo "host side: still running"' > "$work/$2.bash"
}
run() { # name: vms.sh with the breaker, its exit status and seconds in $work/name.rc
    local t0=$SECONDS rc=0
    step "vms-watch: $1"
    QOSVNIC_L1_WATCHDOG=20 "$here/vms.sh" --no-build --tenants 0 --run "$work/$1.bash" \
        --timeout 400 > "$work/$1.out" 2>&1 || rc=$?
    echo "$rc $((SECONDS - t0))" > "$work/$1.rc"
    sed 's/^/  | /' "$work/$1.out" | tail -n 4
}
stall='rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'
breaker "echo '<3>$stall (injected)' > /dev/kmsg" stall
breaker "echo '<3>$stall qv_poll+0x1/0x2 [qosvnic]' > /dev/kmsg" driver
breaker 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = watchdog ] && kill -STOP ${p#/proc/}; done' hang
cat > "$work/stuck.bash" <<'EOF'
GX_TIMEOUT=15
gl1 'sleep 600'
t=$SECONDS; out=$(gl1 true); rc=$?
echo "next command: exit $rc after $((SECONDS - t)) s: $out"
exit 3
EOF
for c in stall driver hang stuck; do run "$c"; done

read -r rc s < "$work/stall.rc"
check "an RCU stall on L1's console stops the run with exit 75 (exit $rc after $s s)" \
    '[ "$rc" = 75 ] && [ "$s" -lt 200 ]'
check "the host side was stopped with L1" '! grep -q "host side: still running" "$work/stall.out"'
read -r rc s < "$work/driver.rc"
check "a report whose trace goes through qosvnic.ko is a failure, exit 1 (exit $rc)" '[ "$rc" = 1 ]'
read -r rc s < "$work/hang.rc"
check "L1's userland stopped: its watchdog fires and the run ends with exit 75 (exit $rc after $s s)" \
    '[ "$rc" = 75 ] && [ "$s" -lt 200 ] && grep -q "watchdog fired" "$work/hang.out"'
read -r rc s < "$work/stuck.rc"
check "a command without an answer fails the next one at once ($(grep -o 'next command: exit [0-9]* after [0-9]* s' "$work/stuck.out"))" \
    'grep -qE "next command: exit 255 after [0-4] s: gx: not sent" "$work/stuck.out"'
check "and the run ends as a failure, not a broken L1, well before its timeout (exit $rc after $s s)" \
    '[ "$rc" != 0 ] && [ "$rc" != 75 ] && [ "$s" -lt 200 ]'
exit "$fails"
