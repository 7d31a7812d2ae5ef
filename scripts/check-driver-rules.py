#!/usr/bin/env python3
"""Concurrency rules of guest-driver/ that no guest test can catch on
x86-64, checked on the source, as check-device-layers.py checks the
device's layering. Prints one PASS:/FAIL: line per rule.

1. A net_device's MTU is written with WRITE_ONCE(). It is read without
   RTNL: by the PF's mailbox when a VF asks for its configuration, and by
   the stack's fast paths. A plain store may be torn or repeated by the
   compiler under them.

2. Each u64_stats_sync has one writer at a time. On 64-bit kernels
   u64_stats_update_begin() compiles to nothing, so two writers that run
   at once break nothing there: only a 32-bit kernel's sequence count
   goes wrong (a reader then spins, or reads torn counters). A guest test
   on x86-64 cannot see that, and KCSAN does not see it either.

   How rule 2 decides. Each u64_stats_update_begin(&X) writes the sync
   named by X's last two fields (tx.cp_syncp, repr.rx_syncp). What keeps
   the write's writers apart is:
   - a spinlock or mutex its function took before it (lexically, and not
     yet released), named by the lock's expression (qp->tx_lock);
   - otherwise what keeps each call of its function apart, up to the
     driver's entry points:
     - a NAPI poll function (netif_napi_add's): "NAPI". A call made while
       NAPI is off also counts as the NAPI's: after napi_disable() or
       qv_stop() in its function, or before napi_enable() or qv_open() in
       a function that turns NAPI on. There is one NAPI per queue, so
       NAPI keeps writers apart only for a ring's own sync (one whose
       owner is a ring, RING_OWNERS); any other sync written from NAPI
       has as many writers as there are queues;
     - an .ndo_start_xmit: the stack's TX lock of that device;
     - any other entry point: itself, unserialised.
   A sync whose writes are kept apart by more than one of these has
   writers that can run at once.

--self-test breaks the driver in the ways the rules exist for (the MTU
written plainly, the TX completion counted under the xmit path's sync,
a representor's RX counted under a sync of its own, which every PF
queue's NAPI writes, qv_xmit() without the ring's lock) on a copy, and
fails unless each
break fails its rule and the driver as it is passes.
"""
import os
import re
import shutil
import sys
import tempfile

LOCK = re.compile(r'\b(?:raw_)?(spin_lock(?:_bh|_irq|_irqsave)?|mutex_lock|'
                  r'spin_unlock(?:_bh|_irq|_irqrestore)?|mutex_unlock|'
                  r'qv_tx_lock|qv_tx_trylock|qv_tx_unlock)'
                  r'\s*\(\s*&?\s*([^,)]+)')
# The driver's lock helpers, and the lock each takes of its argument.
LOCK_HELPERS = {'qv_tx_lock': 'tx_lock', 'qv_tx_trylock': 'tx_lock',
                'qv_tx_unlock': 'tx_lock'}
NAPI_OFF = ('napi_disable', 'qv_stop')
# Syncs named <owner>.<sync> whose owner is one queue's ring.
RING_OWNERS = ('tx', 'rx')
NAPI_ON = ('napi_enable', 'qv_open')
CALL = re.compile(r'\b([A-Za-z_]\w*)\s*\(')


def strip(text):
    """Comments and string literals blanked, line breaks kept."""
    def blank(m):
        return re.sub(r'[^\n]', ' ', m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\])*"', blank, text,
                  flags=re.S)


def sources(root):
    """{file: text without comments and strings} of root's .c files."""
    return {f: strip(open(os.path.join(root, f)).read())
            for f in sorted(os.listdir(root))
            if f.endswith('.c') and not f.endswith('.mod.c')}


def functions(srcs):
    """{name: (file, body)} of every function defined in the sources
    (kernel style: the body's braces in column 0)."""
    defs = {}
    for f, text in srcs.items():
        for m in re.finditer(r'^([A-Za-z_][^;{}]*?)\b(\w+)\s*\(([^;{}]*?)\)'
                             r'\s*\n\{\n(.*?)\n\}', text, re.M | re.S):
            defs[m.group(2)] = (f, m.group(4))
    return defs


def locks_held(body, pos):
    """The locks the function holds at pos: taken before it, and not
    released except on a path that leaves the function (unlock; return)."""
    held = []
    for m in LOCK.finditer(body, 0, pos):
        name = re.sub(r'\s+', '', m.group(2))
        if m.group(1) in LOCK_HELPERS:
            name += '->' + LOCK_HELPERS[m.group(1)]
        if 'unlock' not in m.group(1):
            held.append(name)
            continue
        rest = body[m.end():pos]
        block_end = rest.find('}')
        if re.search(r'\b(return|goto)\b', rest[:block_end if block_end >= 0
                                               else len(rest)]):
            continue            # an early exit's unlock
        if name in held:
            held.remove(name)
    return held


def napi_off_at(body, pos):
    """True where a call at pos runs with NAPI off (see the docstring)."""
    marks = [(m.start(), m.group(1)) for m in CALL.finditer(body)
             if m.group(1) in NAPI_OFF + NAPI_ON]
    before = [name for at, name in marks if at < pos]
    if before:
        return before[-1] in NAPI_OFF
    return any(name in NAPI_ON for at, name in marks if at > pos)


class Driver:
    def __init__(self, root):
        srcs = sources(root)
        self.defs = functions(srcs)
        alltext = '\n'.join(srcs.values())
        self.napi = set(re.findall(r'netif_napi_add\w*\([^;]*?,\s*(\w+)\s*'
                                   r'(?:,[^;]*)?\);', alltext))
        self.xmit = set(re.findall(r'\.ndo_start_xmit\s*=\s*(\w+)', alltext))
        self.callers = {}
        for g, (_, body) in self.defs.items():
            for m in CALL.finditer(body):
                if m.group(1) in self.defs and m.group(1) != g:
                    self.callers.setdefault(m.group(1), []).append(
                        (g, m.start()))
        self.memo = {}

    def exclusion(self, fn, seen=()):
        """What keeps concurrent runs of fn apart: a set of names."""
        if fn in self.memo:
            return self.memo[fn]
        if fn in self.napi:
            return {'NAPI'}
        if fn in self.xmit:
            return {f'the TX lock of {fn}()\'s device'}
        if fn in seen:
            return set()
        out = set()
        for g, pos in self.callers.get(fn, []):
            out |= self.at(g, pos, seen + (fn,))
        if not self.callers.get(fn):
            out = {f'{fn}() (an entry point, no lock)'}
        self.memo[fn] = out
        return out

    def at(self, fn, pos, seen=()):
        body = self.defs[fn][1]
        held = locks_held(body, pos)
        if held:
            return {held[-1]}
        if napi_off_at(body, pos):
            return {'NAPI'}
        return self.exclusion(fn, seen)


def rule_mtu(root):
    bad = []
    for f, text in sources(root).items():
        for m in re.finditer(r'(->|\.)mtu\s*=[^=]', text):
            line = text.count('\n', 0, m.start()) + 1
            bad.append(f'{f}:{line}: the MTU is stored without WRITE_ONCE()')
    return bad


def rule_stats(root):
    drv = Driver(root)
    writes = {}
    for fn, (f, body) in drv.defs.items():
        for m in re.finditer(r'u64_stats_update_begin\s*\(\s*&\s*([^)]+)\)',
                             body):
            fields = re.split(r'->|\.', re.sub(r'\s+', '', m.group(1)))
            sync = '.'.join(fields[-2:])
            for ex in drv.at(fn, m.start()):
                writes.setdefault(sync, {}).setdefault(ex, set()).add(
                    f'{fn}()')
    bad = []
    for sync, by in sorted(writes.items()):
        if 'NAPI' in by and sync.split('.')[0] not in RING_OWNERS:
            bad.append(f'{sync} is written from NAPI ('
                       f'{", ".join(sorted(by["NAPI"]))}) but belongs to '
                       'no ring: every queue\'s NAPI writes it at once')
        elif len(by) > 1:
            how = '; '.join(f'{ex}: {", ".join(sorted(fns))}'
                            for ex, fns in sorted(by.items()))
            bad.append(f'{sync} has writers that can run at once ({how})')
    return bad, writes


def check(root, verbose=True):
    """{rule: failures} for the driver in root."""
    mtu = rule_mtu(root)
    stats, writes = rule_stats(root)
    if verbose:
        for sync, by in sorted(writes.items()):
            print(f'    {sync}: ' + '; '.join(
                f'{ex} ({", ".join(sorted(fns))})'
                for ex, fns in sorted(by.items())))
    return {'mtu': mtu, 'stats': stats}


RULES = {
    'mtu': 'guest-driver stores a net_device\'s MTU with WRITE_ONCE()',
    'stats': 'guest-driver has one writer at a time on each u64_stats_sync',
}

# (file, text, replacement, the rule it breaks)
BREAKS = [
    ('netdev.c', 'WRITE_ONCE(netdev->mtu, new_mtu);',
     'netdev->mtu = new_mtu;', 'mtu'),
    ('main.c', 'WRITE_ONCE(netdev->mtu, mtu);', 'netdev->mtu = mtu;', 'mtu'),
    ('rings.c', 'u64_stats_update_begin(&tx->cp_syncp);',
     'u64_stats_update_begin(&tx->syncp);', 'stats'),
    ('esw.c', '\tdev_sw_netstats_rx_add(repr->netdev, len);',
     '\tu64_stats_update_begin(&repr->rx_syncp);\n\trepr->rx_packets++;'
     '\n\tu64_stats_update_end(&repr->rx_syncp);', 'stats'),
    ('rings.c', '\tspin_lock(&qp->tx_lock);\n\tret = qv_xmit_ring(qp, skb, -1);'
     '\n\tspin_unlock(&qp->tx_lock);', '\tret = qv_xmit_ring(qp, skb, -1);',
     'stats'),
]


def self_test(root):
    status = 0
    base = check(root, verbose=False)
    if any(base.values()):
        print('FAIL: self-test: the driver as it is breaks a rule')
        status = 1
    for f, old, new, rule in BREAKS:
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, 'guest-driver')
            shutil.copytree(root, copy)
            path = os.path.join(copy, f)
            text = open(path).read()
            if text.count(old) < 1:
                print(f'FAIL: self-test: {f} no longer has {old!r}: '
                      'update BREAKS')
                status = 1
                continue
            open(path, 'w').write(text.replace(old, new, 1))
            new_bad = [b for b in check(copy, verbose=False)[rule]
                       if b not in base[rule]]
            first = old.strip().split('\n')[0]
            if new_bad:
                print(f'PASS: self-test: {f} with {first!r} changed fails '
                      f'"{rule}": {new_bad[0]}')
            else:
                print(f'FAIL: self-test: {f} with {first!r} changed passes '
                      f'"{rule}"')
                status = 1
    return status


def main():
    args = sys.argv[1:]
    selftest = '--self-test' in args
    args = [a for a in args if a != '--self-test']
    root = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'guest-driver')
    if selftest:
        return self_test(root)
    status = 0
    for rule, bad in check(root).items():
        for b in bad:
            print(f'    {b}')
        print(('FAIL' if bad else 'PASS') + ': ' + RULES[rule])
        status |= bool(bad)
    return status


if __name__ == '__main__':
    sys.exit(main())
