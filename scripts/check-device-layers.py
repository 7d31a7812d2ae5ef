#!/usr/bin/env python3
"""Style check of hw-net-qosvnic/ (docs/design.md, "Layers"): every call
from one .c file to another goes down the layer table below, so the file
graph has no cycle; and no function is longer than 80 lines, except the
register switch tables. Prints one PASS:/FAIL: line per rule."""
import os
import re
import sys

LAYERS = {
    'qosvnic-tb.c': 0, 'qosvnic-stats.c': 0, 'qosvnic-irq.c': 0,
    'qosvnic-ring.c': 0, 'qosvnic-rss.c': 0,
    'qosvnic-buf.c': 1, 'qosvnic-mbx.c': 1, 'qosvnic-esw.c': 1,
    'qosvnic-sched.c': 2,
    'qosvnic-rx.c': 3,
    'qosvnic-tx.c': 4,
    'qosvnic-tx-sched.c': 5,
    'qosvnic-mgmt.c': 6,
    'qosvnic-fn.c': 7,
    'qosvnic-regs.c': 8, 'qosvnic-qmp.c': 8,
    'qosvnic-vf.c': 9,
    'qosvnic-pf.c': 10,
    'qosvnic-hmp-cmds.c': 11,       # QMP commands only
    'qosvnic-qmp-stub.c': 8,        # instead of qosvnic-qmp.c
}
SWITCH_TABLES = {'qosvnic_fn_read', 'qosvnic_fn_write'}
MAX_LINES = 80

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'hw-net-qosvnic')
files = sorted(f for f in os.listdir(root) if f.endswith('.c'))
text, defs = {}, {}
for f in files:
    t = open(os.path.join(root, f)).read()
    t = re.sub(r'/\*.*?\*/', '', t, flags=re.S)
    text[f] = t
    if f == 'qosvnic-qmp-stub.c':
        continue                    # defines what qosvnic-qmp.c defines
    for m in re.finditer(r'^(?!static)[A-Za-z_][\w \*]*?\b(\w+)\s*\([^;]*?\)'
                         r'\s*\n\{', t, re.M):
        defs[m.group(1)] = f
    for m in re.finditer(r'^(?:const )?(?:VMStateDescription|MemoryRegionOps)'
                         r' (\w+)', t, re.M):
        defs[m.group(1)] = f

status = 0
bad = []
for f in files:
    if f not in LAYERS:
        bad.append(f'{f} is in no layer (add it to {__file__})')
        continue
    if f == 'qosvnic-qmp-stub.c':
        continue                    # an alternative, not a caller
    for name in sorted(set(re.findall(r'\b(\w+)\b', text[f]))):
        d = defs.get(name)
        if d and d != f and LAYERS.get(d, 99) >= LAYERS[f]:
            bad.append(f'{f} (layer {LAYERS[f]}) uses {name} of {d} '
                       f'(layer {LAYERS.get(d)})')
for b in bad:
    print(f'    {b}')
print(('FAIL' if bad else 'PASS') + ': hw-net-qosvnic calls only down its layers')
status |= bool(bad)

long = []
for f in files:
    lines = open(os.path.join(root, f)).read().split('\n')
    i = 0
    while i < len(lines):
        if lines[i] == '{':
            j = i - 1
            while j > 0 and not re.match(r'^[A-Za-z_].*\(', lines[j]):
                j -= 1
            m = re.search(r'(\w+)\s*\(', lines[j])
            k = i + 1
            while k < len(lines) and lines[k] != '}':
                k += 1
            name = m.group(1) if m else '?'
            if k - j + 1 > MAX_LINES and name not in SWITCH_TABLES:
                long.append(f'{f}: {name} has {k - j + 1} lines')
            i = k
        i += 1
for b in long:
    print(f'    {b}')
print(('FAIL' if long else 'PASS') +
      f': hw-net-qosvnic functions are at most {MAX_LINES} lines')
status |= bool(long)
sys.exit(status)
