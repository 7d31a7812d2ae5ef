# Reads a kernel log and prints it without the KCSAN reports that have no
# stack frame in qosvnic.ko. A strict KCSAN kernel (QOSVNIC_GUEST_KERNEL=
# kcsan) reports data races of the core kernel in any workload; a driver
# test fails only on the driver's own, in which one of the two racing
# accesses (or the title) is in qosvnic.ko. Prints how many it left out to
# stderr. A kernel without KCSAN has no such report: the log passes as is.
# Installed in the guest image as /lib/qv-kcsan.awk; used by the host too.
# Usage: dmesg | awk -f qv-kcsan.awk
/BUG: KCSAN: / { held = $0; ours = /\[qosvnic\]/; inreport = 1; next }
inreport {
    held = held "\n" $0
    if (/\[qosvnic\]/) ours = 1
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
    if (foreign) printf "%d KCSAN report(s) without a qosvnic.ko frame left out\n", foreign > "/dev/stderr"
}
