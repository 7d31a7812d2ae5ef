# Reads a kernel log and prints its reports (the lines that match the
# regular expression re, each with the rest of its report up to its end:
# "---[ end trace", or KASAN's closing line of '='), leaving out the core
# kernel's own reports under fault injection that are known and
# explained below. A report left out is named on stderr, with the reason,
# so a test shows it without failing on it; everything else is printed,
# and a test fails when anything is.
#
# Known core-kernel reports (read in linux-source-6.1; each is the core
# warning about its own failed allocation, not about what the caller did):
# - pci_device_add(): "ret = device_add(&dev->dev); WARN_ON(ret < 0);"
#   (drivers/pci/probe.c). When a VF's device_add() fails, the PCI core
#   warns and goes on; sriov_numvfs then fails with the error.
# - remove_proc_entry() "removing non-empty directory 'irq/N'", from
#   unregister_irq_proc() (kernel/irq/proc.c, fs/proc/generic.c):
#   register_irq_proc() ignores failures to make /proc/irq/N's entries,
#   and the teardown of an MSI-X vector then warns about what it finds.
# Only these two sites are left out, and only with the trace through the
# core function named; a KASAN, lockdep or BUG report always counts.
#
# Installed in the guest image as /lib/qv-kreports.awk.
# Usage: dmesg | awk -v re='WARNING:|BUG:|...' -f qv-kreports.awk
function known(r) {
    if (r ~ /WARNING: CPU: [0-9]+ PID: [0-9]+ at drivers\/pci\/probe\.c:[0-9]+ pci_device_add/)
        return "pci_device_add(): the PCI core's WARN_ON when a VF's device_add() fails"
    if (r ~ /WARNING: CPU: [0-9]+ PID: [0-9]+ at fs\/proc\/generic\.c:[0-9]+ remove_proc_entry/ &&
        r ~ /unregister_irq_proc/)
        return "unregister_irq_proc(): /proc/irq/N entries that register_irq_proc() failed to make"
    return ""
}
function flush(   why) {
    if (!inreport)
        return
    why = known(held)
    if (why != "") {
        left++
        printf "known core-kernel report left out: %s\n", why > "/dev/stderr"
    } else {
        print held
    }
    inreport = 0
}
!inreport && $0 ~ re { held = prev_line_if_warn() $0; inreport = 1; next }
inreport {
    held = held "\n" $0
    if (/---\[ end trace/ || /====================/) {
        flush()
        next
    }
    next
}
{ prev = $0 }
END { flush() }
# The WARN() text ("remove_proc_entry: removing non-empty directory ...")
# is the line before "WARNING: CPU:": kept with the report it explains.
function prev_line_if_warn() {
    return (prev ~ /: removing non-empty directory/) ? prev "\n" : ""
}
