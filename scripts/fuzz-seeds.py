#!/usr/bin/env python3
"""Seed inputs that take generic-fuzz-qosvnic into the datapath.

Usage: fuzz-seeds.py CORPUS_DIR

Random inputs reach the registers but almost never a transmitted frame:
that needs a ring programmed, the function enabled, descriptors in guest
memory and a doorbell, in that order (scripts/fuzz.sh's trace-event
coverage showed no TX, RX or scheduler event reached). These seeds do it
on the PF and on VFs, so that mutations start from a working datapath.

They are written in generic-fuzz's input format (QEMU's
tests/qtest/fuzz/generic_fuzz.c): commands separated by "FUZZ", each an
opcode byte and its operands. A region index counts the fuzzable regions
in address order: the PF's BAR0, its MSI-X table and PBA, then the VFs'
BAR0s (region()).
Descriptors and frames come from DMA patterns: each DMA read the device
makes is filled from the next pattern in turn, so a TX descriptor read
takes pattern 0 and the frame it points at pattern 1. Register offsets
are those of hw-net-qosvnic/qosvnic_hw.h. Existing seeds are rewritten,
nothing else in the corpus is touched.
"""
import os
import struct
import sys

SEP = b"FUZZ"
OP_WRITE, OP_ADD_DMA_PATTERN, OP_CLEAR_DMA_PATTERNS, OP_CLOCK_STEP = 3, 7, 8, 9
LONG = 2

# qosvnic_hw.h
QV_FN_CTRL = 0x008
QV_CTRL_RX_EN, QV_CTRL_TX_EN = 1 << 0, 1 << 1
QV_FN_INT_MASK_CLR = 0x04C
QV_FN_ITR_RX, QV_FN_ITR_TX = 0x050, 0x054     # QV_FN_ITR(QV_VEC_RX/TX)
QV_FN_RX_BASE_LO, QV_FN_RX_BASE_HI, QV_FN_RX_SIZE = 0x100, 0x104, 0x108
QV_FN_RX_TAIL, QV_FN_RX_BUF_SIZE = 0x110, 0x114
QV_FN_TX_BASE_LO, QV_FN_TX_BASE_HI, QV_FN_TX_SIZE = 0x140, 0x144, 0x148
QV_FN_TX_TAIL = 0x150
QV_TXD_EOP, QV_TXD_CSUM, QV_TXD_TSO, QV_TXD_VLAN_INS = 1, 2, 4, 8
QV_MGMT_BASE, QV_MGMT_STRIDE = 0x10000, 0x400
QV_MG_TX_MAX_RATE = 0x01C
QV_MG_RX_RATE_LO, QV_MG_RX_BURST = 0x010, 0x018
QV_DEV_ESW_MODE, QV_ESW_SWITCHDEV = 0x1100, 1
QV_RULE_BASE = 0x34000
QV_RL_CTRL, QV_RL_VALID, QV_RL_MATCH, QV_RLM_IN_PORT = 0x00, 1, 0x04, 1
QV_RL_KEY, QV_RL_ACTION, QV_RL_ACT_ARG = 0x08, 0x38, 0x3c
QV_RLA_REDIRECT, QV_RLA_POLICE = 1 << 0, 1 << 4
QV_POLICER_BASE, QV_PL_RATE_LO, QV_PL_BURST = 0x3a000, 0x00, 0x08
QV_PORT_UPLINK = 0x0fff

PF_MAC = bytes.fromhex("525400123456")  # QEMU's default


def region(fn):
    """Region index of function fn's BAR0 (fn 0 is the PF, v + 1 VF v)."""
    return fn + 2 if fn else 0


def write(fn, offset, value):
    """A 32-bit write at offset of fn's BAR0."""
    return bytes([OP_WRITE]) + struct.pack("<BBxxIQ", LONG, region(fn),
                                           offset, value)


def pattern(data):
    return bytes([OP_ADD_DMA_PATTERN, 0, 0]) + data


def clear_patterns():
    """The next DMA read takes pattern 0 again (a TSO frame's reads leave
    the turn anywhere)."""
    return bytes([OP_CLEAR_DMA_PATTERNS])


def clock_step():
    return bytes([OP_CLOCK_STEP])


def mac_of(fn):
    """The device's default MAC of fn (qosvnic_default_mac())."""
    if not fn:
        return PF_MAC
    return PF_MAC[:3] + bytes([PF_MAC[3] ^ 0x80, PF_MAC[4], PF_MAC[5] + fn])


def arp_request(fn):
    """Who has 10.0.2.2 (slirp's gateway): slirp answers, so RX runs."""
    mac = mac_of(fn)
    arp = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + mac + \
        bytes([10, 0, 2, 15 + fn]) + bytes(6) + bytes([10, 0, 2, 2])
    return (b"\xff" * 6 + mac + b"\x08\x06" + arp).ljust(60, b"\0")


SLIRP_MAC = bytes.fromhex("525400123502")


def tcp_frame(fn, payload, frame_len=0, dst=SLIRP_MAC):
    """An IPv4 TCP segment to slirp's gateway (for checksum and TSO), or
    to another function's MAC; its IP length says frame_len if given (the
    rest repeats the pattern)."""
    tcp = struct.pack(">HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 0x18, 8192,
                      0, 0) + payload
    ip_len = frame_len - 14 if frame_len else 20 + len(tcp)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, ip_len, 1, 0x4000,
                     64, 6, 0, bytes([10, 0, 2, 15 + fn]),
                     bytes([10, 0, 2, 2]))
    return dst + mac_of(fn) + b"\x08\x00" + ip + tcp


def tx_desc(addr, length, cmd, mss=0, vlan=0):
    return struct.pack("<QHBBHH", addr, length, cmd, 0, mss, vlan)


def rings(fn, ndesc):
    """RX and TX rings of ndesc descriptors for fn, function enabled."""
    base = 0x200000 + fn * 0x10000
    return [
        write(fn, QV_FN_RX_BASE_LO, base), write(fn, QV_FN_RX_BASE_HI, 0),
        write(fn, QV_FN_RX_SIZE, ndesc * 16),
        write(fn, QV_FN_RX_BUF_SIZE, 2048),
        write(fn, QV_FN_TX_BASE_LO, base + 0x8000),
        write(fn, QV_FN_TX_BASE_HI, 0),
        write(fn, QV_FN_TX_SIZE, ndesc * 16),
        write(fn, QV_FN_CTRL, QV_CTRL_RX_EN | QV_CTRL_TX_EN),
        write(fn, QV_FN_INT_MASK_CLR, 0xFFFFFFFF),
        write(fn, QV_FN_RX_TAIL, ndesc - 1),
    ]


def send(fn, frame, cmd=QV_TXD_EOP, mss=0, vlan=0, count=1, length=0):
    """count frames: descriptor reads take pattern 0, frames pattern 1
    (repeated up to length, if given)."""
    buf = 0x100000 + fn * 0x10000
    return [pattern(tx_desc(buf, length or len(frame), cmd, mss, vlan)),
            pattern(frame), write(fn, QV_FN_TX_TAIL, count),
            clock_step(), clock_step()]


def rx_only(fn):
    """fn accepts frames but has posted no RX buffer: the device holds
    them in fn's partition of its buffer."""
    return [write(fn, QV_FN_CTRL, QV_CTRL_RX_EN)]


def mgmt(fn, reg, value):
    return write(0, QV_MGMT_BASE + fn * QV_MGMT_STRIDE + reg, value)


def seeds():
    for fn in (0, 1, 2):
        yield f"seed-arp-fn{fn}", rings(fn, 16) + send(fn, arp_request(fn))
    csum = QV_TXD_EOP | QV_TXD_CSUM
    yield "seed-tso-fn1", rings(1, 16) + send(
        1, tcp_frame(1, bytes(range(256)) * 4), csum | QV_TXD_TSO, mss=536)
    yield "seed-vlan-fn2", rings(2, 16) + send(
        2, arp_request(2), QV_TXD_EOP | QV_TXD_VLAN_INS, vlan=100)
    # VF 1 at an egress ceiling of 1 Mbit/s sends 4 large TSO frames,
    # more than its bucket holds: the shaper holds them back and the TX
    # timer runs; VF 2 is policed on ingress.
    yield "seed-shaped-fn2", [mgmt(2, QV_MG_TX_MAX_RATE, 1),
                              mgmt(3, QV_MG_RX_RATE_LO, 8000),
                              mgmt(3, QV_MG_RX_BURST, 1500)] + \
        rings(2, 16) + rings(3, 16) + \
        send(2, tcp_frame(2, bytes(1000), 60000), csum | QV_TXD_TSO,
             mss=1400, count=4, length=60000) + \
        send(3, arp_request(3))
    # Interrupt moderation: 100 us per vector; three doorbells at one
    # virtual time, so the second completion's interrupt waits.
    yield "seed-itr-fn1", rings(1, 16) + [
        write(1, QV_FN_ITR_RX, 100), write(1, QV_FN_ITR_TX, 100)] + \
        send(1, arp_request(1))[:2] + [
            write(1, QV_FN_TX_TAIL, n) for n in (1, 2, 3)] + [clock_step()]
    # The PF sends large frames to VF 1, which posted no buffer: VF 1's
    # partition of the device buffer fills and the rest is refused.
    yield "seed-partition-full", rx_only(1) + rings(0, 16) + send(
        0, tcp_frame(0, bytes(1000), 60000, dst=mac_of(1)),
        QV_TXD_EOP | QV_TXD_CSUM | QV_TXD_TSO, mss=1400, count=3,
        length=60000)
    # The PF sends a large TSO frame to the broadcast address: every
    # segment is flooded to the four VFs, which have buffers posted; each
    # VF's partition takes what it can and drops the rest (issue 9, item
    # 1's flood), then the DMA scheduler serves the four in turn.
    yield "seed-flood-vfs", sum((rings(fn, 16) for fn in (1, 2, 3, 4)), []) + \
        rings(0, 16) + send(
        0, tcp_frame(0, bytes(1000), 60000, dst=b"\xff" * 6),
        QV_TXD_EOP | QV_TXD_CSUM | QV_TXD_TSO, mss=1400,
        length=60000) + [clock_step()] * 4
    # VF 0 sends four large TSO frames to the PF, which has 63 buffers
    # posted, one doorbell each at one virtual time. They do not go to the
    # wire, so no line rate spaces them; the PF's partition takes about a
    # third of each (the rest is dropped) and the DMA engine delivers it
    # before the next doorbell, so more than the engine's burst (64 KiB)
    # reaches the PF at once. On the shaped target (dma-rate=1000000) the
    # engine runs out and waits for its timer.
    big = send(1, tcp_frame(1, bytes(1000), 60000, dst=mac_of(0)),
               QV_TXD_EOP | QV_TXD_CSUM | QV_TXD_TSO, mss=1400,
               length=60000)[:2]
    yield "seed-dma-wait", rings(0, 64) + rings(1, 16) + sum(
        ([clear_patterns()] + big + [write(1, QV_FN_TX_TAIL, n)]
         for n in (1, 2, 3, 4)), []) + [clock_step()] * 4
    # Switchdev: a rule sends what VF 0 transmits to the uplink through
    # policer 0 (8 kbit/s, 1500 bytes of burst), which refuses most of
    # the segments of VF 0's TSO frame.
    rule = QV_RULE_BASE
    yield "seed-esw-police", [
        write(0, QV_DEV_ESW_MODE, QV_ESW_SWITCHDEV),
        write(0, QV_POLICER_BASE + QV_PL_RATE_LO, 8000),
        write(0, QV_POLICER_BASE + QV_PL_BURST, 1500),
        write(0, rule + QV_RL_MATCH, QV_RLM_IN_PORT),
        write(0, rule + QV_RL_KEY, 1),
        write(0, rule + QV_RL_ACTION, QV_RLA_REDIRECT | QV_RLA_POLICE),
        write(0, rule + QV_RL_ACT_ARG, QV_PORT_UPLINK),
        write(0, rule + QV_RL_CTRL, QV_RL_VALID)] + rings(1, 16) + send(
        1, tcp_frame(1, bytes(1000), 20000), csum | QV_TXD_TSO, mss=1400,
        length=20000)
    # Two functions at once: the DMA scheduler picks between them.
    yield "seed-two-fns", rings(0, 16) + rings(1, 16) + \
        send(0, arp_request(0), count=4) + send(1, arp_request(1), count=4)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, ops in seeds():
        for op in ops:
            if SEP in op:
                sys.exit(f"{name}: an operand contains the separator")
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(SEP.join(ops))


if __name__ == "__main__":
    main()
