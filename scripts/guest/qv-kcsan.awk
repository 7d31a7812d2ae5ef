# Reads a kernel log and prints it without the KCSAN reports that are not
# the driver's. A strict KCSAN kernel (QOSVNIC_GUEST_KERNEL=kcsan) reports
# data races of the core kernel in any workload; a driver test fails only
# on a report in which an unmarked access (no READ_ONCE/WRITE_ONCE, no
# atomic) has a stack frame in qosvnic.ko. A race between the driver's
# marked access and the core's plain one (the stack's lockless reads of
# dev->mtu against the driver's WRITE_ONCE, say) is the core's to fix.
# Prints how many reports it left out to stderr. A kernel without KCSAN
# has no such report: its log passes as is.
# Installed in the guest image as /lib/qv-kcsan.awk; used by the host too.
# Usage: dmesg | awk -f qv-kcsan.awk
/BUG: KCSAN: / { held = $0; ours = 0; plain = 0; inreport = 1; next }
inreport {
    held = held "\n" $0
    # "read to 0x... of 4 bytes by task 1 on cpu 0:", "write (marked) to",
    # "read-write (marked, reordered) to", "assert no writes to": each
    # access's stack follows its line.
    if (/ to 0x[0-9a-f]+ of [0-9]+ bytes by /) plain = !/marked/
    else if (plain && /\[qosvnic\]/) ours = 1
    # A report ends with a line of '=' (its first line is one too).
    if (/==========/) {
        if (ours) print held; else foreign++
        inreport = 0
    }
    next
}
{ print }
END {
    if (inreport && ours) print held
    if (foreign) printf "%d KCSAN report(s) not the driver's left out\n", foreign > "/dev/stderr"
}
