#!/usr/bin/env python3
"""Where a guest kernel spent its timer ticks, from /proc/profile buckets.

Usage: guest-profile.py KALLSYMS RAW

RAW holds what scripts/bench-nic.host.bash read from the guest's
/proc/profile (kernel booted with profile=SHIFT), one or more dumps
appended: a "step BYTES" line, then "INDEX COUNT" lines for the non-zero
buckets. Bucket INDEX covers the kernel text from _stext + INDEX * BYTES;
the kernel puts every tick outside its core text (modules, the NIC
drivers among them) in the last bucket, shown here as [modules] (with
the few ticks of the last BYTES of its text).
KALLSYMS is the same boot's /proc/kallsyms (text symbols, _stext and
_etext), read as root. Prints "percent ticks symbol", the largest first.
"""
import bisect
import collections
import sys


def load_map(path):
    syms = []
    for line in open(path):
        parts = line.split()
        if len(parts) == 3 and int(parts[0], 16):
            syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    names = dict((n, a) for a, n in syms)
    if "_stext" not in names or "_etext" not in names:
        sys.exit(f"{path}: no _stext/_etext (not read as root?)")
    return syms, names["_stext"], names["_etext"]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    syms, stext, etext = load_map(sys.argv[1])
    addrs = [a for a, _ in syms]
    ticks = collections.Counter()
    step = None
    for line in open(sys.argv[2]):
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            continue        # a stray line of the command channel
        if parts[0] == "step":
            step = int(parts[1])
            continue
        if step is None or not parts[0].isdigit():
            continue
        index = int(parts[0])
        addr = stext + index * step
        if index >= (etext - stext) // step - 1:
            name = "[modules]"
        else:
            i = bisect.bisect_right(addrs, addr) - 1
            name = syms[i][1] if i >= 0 else "?"
        ticks[name] += int(parts[1])
    total = sum(ticks.values())
    if not total:
        print("no ticks recorded")
        return
    for name, n in ticks.most_common():
        print(f"{100.0 * n / total:5.1f}% {n:7d} {name}")


if __name__ == "__main__":
    main()
