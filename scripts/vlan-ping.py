#!/usr/bin/env python3
"""Ping a host on an 802.1Q VLAN through an interface, without the kernel's
VLAN support (this project's host kernels have no CONFIG_VLAN_8021Q, so
"ip link add ... type vlan" fails). It sends and receives tagged frames on
a packet socket: an ARP request for the peer, answers to the peer's ARP
requests for our address, then ICMP echo requests.

Usage: vlan-ping.py IFACE VID MY_IP PEER_IP [COUNT] [TIMEOUT]
Prints one line per reply and a summary "N/COUNT replies, peer MAC ...";
exits 0 if at least one echo reply came back on that VLAN, 1 otherwise.
Received frames count only if they carry VLAN VID (the kernel hands the tag
over as packet auxdata).
"""
import os
import socket
import struct
import sys
import time

ETH_P_ALL, ETH_P_ARP, ETH_P_IP, ETH_P_8021Q = 0x0003, 0x0806, 0x0800, 0x8100
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID = 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def tagged(dst, src, vid, ethertype, payload):
    return dst + src + struct.pack("!HHH", ETH_P_8021Q, vid, ethertype) + payload


def arp(op, smac, sip, tmac, tip):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, op,
                       smac, sip, tmac, tip)


def icmp_echo(src, dst, ident, seq):
    body = b"qosvnic-vlan-ping" + bytes(31)
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + body
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64, 1,
                     0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + icmp


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    iface, vid = argv[1], int(argv[2])
    my_ip, peer_ip = socket.inet_aton(argv[3]), socket.inet_aton(argv[4])
    count = int(argv[5]) if len(argv) > 5 else 3
    deadline = time.time() + (float(argv[6]) if len(argv) > 6 else 10.0)
    my_mac = bytes([0x02, 0x00, 0x00, 0x00, vid >> 8, vid & 0xff])
    bcast = b"\xff" * 6
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    ident, peer_mac, sent, replies, next_send = os.getpid() & 0xffff, None, 0, 0, 0.0

    while time.time() < deadline and replies < count:
        now = time.time()
        if now >= next_send:
            if peer_mac is None:
                s.send(tagged(bcast, my_mac, vid, ETH_P_ARP,
                              arp(1, my_mac, my_ip, bytes(6), peer_ip)))
            elif sent < count:
                sent += 1
                s.send(tagged(peer_mac, my_mac, vid, ETH_P_IP,
                              icmp_echo(my_ip, peer_ip, ident, sent)))
            next_send = now + 0.5
        s.settimeout(max(0.01, min(next_send, deadline) - time.time()))
        try:
            frame, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(20))
        except socket.timeout:
            continue
        fvid = None
        for level, typ, data in anc:
            if level == SOL_PACKET and typ == PACKET_AUXDATA and len(data) >= 20:
                status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", data[:20])
                if status & TP_STATUS_VLAN_VALID:
                    fvid = tci & 0xfff
        etype = struct.unpack("!H", frame[12:14])[0]
        payload = frame[14:]
        if etype == ETH_P_8021Q:            # tag left in the data
            fvid = struct.unpack("!H", frame[14:16])[0] & 0xfff
            etype = struct.unpack("!H", frame[16:18])[0]
            payload = frame[18:]
        if fvid != vid or frame[6:12] == my_mac:
            continue
        if etype == ETH_P_ARP and len(payload) >= 28:
            op, smac, sip, tip = struct.unpack("!6xH6s4s6x4s", payload[:28])
            if op == 2 and sip == peer_ip:
                peer_mac, next_send = smac, 0.0
            elif op == 1 and tip == my_ip:
                s.send(tagged(smac, my_mac, vid, ETH_P_ARP,
                              arp(2, my_mac, my_ip, smac, sip)))
        elif etype == ETH_P_IP and len(payload) >= 28 and payload[9] == 1:
            ihl = (payload[0] & 0xf) * 4
            typ, _, _, rid, seq = struct.unpack("!BBHHH", payload[ihl:ihl + 8])
            if typ == 0 and rid == ident and payload[12:16] == peer_ip:
                replies += 1
                print("reply from %s on VLAN %d: icmp_seq=%d"
                      % (argv[4], vid, seq), flush=True)
    mac = ":".join("%02x" % b for b in peer_mac) if peer_mac else "unknown"
    print("%d/%d replies, peer MAC %s" % (replies, count, mac))
    return 0 if replies else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
