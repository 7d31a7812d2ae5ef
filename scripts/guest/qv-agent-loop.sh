#!/bin/bash
# Guest side of the host <-> guest control channel (scripts/qv-agent.sh).
# Installed in the guest image as /lib/qv-agent-loop.sh; run by a test's
# set-up (scripts/qv-agent.sh) or by /init with qv.agent=PORT.
#
# Usage: qv-agent-loop.sh [PORT]     (PORT: a serial device, default
#                                     /dev/ttyS1)
# Prints QVN-READY on stdout once the port is open, then serves commands:
# each request is one line, a base64-encoded bash script; the answer is
# its output followed by a line "QVRPC-END <exit status>". The line
# "QVRPC-QUIT" ends the loop. The channel never uses the NIC under test, so
# a broken datapath cannot hang the control.
ctl=${1:-/dev/ttyS1}
if [ ! -c "$ctl" ]; then echo "agent: no $ctl"; echo QVN-READY; exit 1; fi
stty -F "$ctl" raw -echo 2>/dev/null
exec 3<>"$ctl"
echo QVN-READY
while IFS= read -r line <&3; do
    line=${line%$'\r'}
    [ -n "$line" ] || continue
    [ "$line" = QVRPC-QUIT ] && break
    printf '%s' "$line" | base64 -d > /tmp/qvrpc.sh 2>/dev/null
    bash /tmp/qvrpc.sh < /dev/null > /tmp/qvrpc.out 2>&1
    rc=$?
    cat /tmp/qvrpc.out >&3
    # The end marker must start a line of its own.
    [ -z "$(tail -c 1 /tmp/qvrpc.out)" ] || echo >&3
    printf 'QVRPC-END %s\n' "$rc" >&3
done
exec 3>&-
exit 0
