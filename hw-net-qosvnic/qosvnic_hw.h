/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qosvnic hardware contract: PCI IDs, register map, bit fields and DMA
 * descriptor layout of the qosvnic SR-IOV NIC.
 *
 * This header is shared verbatim by the QEMU device model, the Linux guest
 * driver and the qtests, so it holds preprocessor definitions only: no
 * types, no includes, nothing that depends on QEMU or kernel headers.
 * docs/registers.md is the human-readable version of this file.
 *
 * Conventions
 * - All registers are little-endian. 32-bit registers take 4-byte accesses;
 *   64-bit registers (QV_STAT_*, *_LO/_HI pairs marked "64") may be read as
 *   one 8-byte access, or as two 4-byte accesses low word first: reading the
 *   low word latches the high word, so the pair is a consistent snapshot.
 * - A "function" is the PF (function number 0) or a VF (function n + 1 for
 *   VF n). Every function has the same per-function register block
 *   (QV_FN_*); a VF sees it at VF BAR0 offset 0, the PF at PF BAR0 offset 0.
 * - Rates: bits per second for ingress policing (64-bit); Mbit/s for egress
 *   rates, as `ip link set ... vf N max_tx_rate` uses.
 */
#ifndef QOSVNIC_HW_H
#define QOSVNIC_HW_H

/* ------------------------------------------------------------------ IDs */
#define QV_PCI_VENDOR_ID        0x1af4  /* Red Hat, experimental range */
#define QV_PCI_DEVICE_ID_PF     0x10f0
#define QV_PCI_DEVICE_ID_VF     0x10f1
#define QV_PCI_REVISION         0x01

#define QV_MAX_VFS              128     /* ARI: VFs at PF devfn + 1 .. */
#define QV_DEFAULT_VFS          8
#define QV_MAX_FUNCS            (QV_MAX_VFS + 1)
#define QV_SRIOV_VF_OFFSET      1
#define QV_SRIOV_VF_STRIDE      1

/* Config-space placement of the capabilities (informative). */
#define QV_CAP_MSIX_OFFSET      0x70
#define QV_CAP_EXP_OFFSET       0xa0
#define QV_EXTCAP_AER_OFFSET    0x100
#define QV_EXTCAP_ARI_OFFSET    0x148
#define QV_EXTCAP_SRIOV_OFFSET  0x160

/* ----------------------------------------------------------------- BARs */
/* PF: BAR0 registers (32-bit MMIO), BAR2 MSI-X table + PBA (64-bit). */
#define QV_PF_BAR_REGS          0
#define QV_PF_BAR_MSIX          2
#define QV_PF_BAR0_SIZE         0x40000         /* 256 KiB */
#define QV_PF_BAR2_SIZE         0x4000          /* 16 KiB */
/*
 * VF: BAR0 registers, BAR2 MSI-X, both 64-bit prefetchable, as the VF BARs
 * of Intel's 82576 and 82599. Strictly, prefetchable space has no read side
 * effects, and reading a statistics low word latches its high word; but the
 * latch is the reader's own (a VF's reads never move the PF's latch, nor
 * the other way round), and drivers map BAR0 uncached, so nothing reads it
 * speculatively.
 */
#define QV_VF_BAR_REGS          0
#define QV_VF_BAR_MSIX          2
#define QV_VF_BAR0_SIZE         0x4000          /* 16 KiB */
#define QV_VF_BAR2_SIZE         0x4000          /* 16 KiB */
#define QV_MSIX_TABLE_OFFSET    0x0000
#define QV_MSIX_PBA_OFFSET      0x2000

/*
 * Queue pairs: every function (PF and VF alike) has QV_NUM_QUEUES RX/TX
 * queue pairs. Queue pair 0 is the one at the QV_FN_RX_* and QV_FN_TX_*
 * registers (also reachable at QV_FN_QUEUE(0)); pairs 1.. are at
 * QV_FN_QUEUE(q). RSS (QV_FN_RSS_*) spreads received frames over them;
 * the function's QoS (ingress policer, buffer partition, DMA class and
 * weight, egress shaper and minimum share) covers all of its queues
 * together, and inside a function the DMA engines serve the queues round
 * robin, one frame per turn.
 */
#define QV_NUM_QUEUES           4

/*
 * MSI-X vectors of every function (PF and VF alike): queue pair 0 has an
 * RX and a TX vector, every other queue pair one vector for both.
 */
#define QV_VEC_RX               0       /* RX queue 0 completions */
#define QV_VEC_TX               1       /* TX queue 0 completions */
#define QV_VEC_MISC             2       /* mailbox, link change, errors */
#define QV_VEC_QP(q)            (2 + (q))       /* q >= 1: pair q, RX+TX */
#define QV_NUM_VECTORS          (2 + QV_NUM_QUEUES)

/* ----------------------------------------- per-function register block */
#define QV_FN_ID                0x000   /* RO: QV_ID_MAGIC */
#define QV_ID_MAGIC             0x514e5631      /* "QNV1" */
#define QV_FN_VERSION           0x004   /* RO: contract version */
#define QV_CONTRACT_VERSION     1

#define QV_FN_CTRL              0x008   /* RW */
#define QV_CTRL_RX_EN           (1u << 0)       /* accept frames */
#define QV_CTRL_TX_EN           (1u << 1)       /* process TX ring */
#define QV_CTRL_RESET           (1u << 31)      /* WO: function reset */
/*
 * Quiescing: once CTRL is written with RX_EN and TX_EN clear (and the
 * write flushed, e.g. by reading STATUS), the device does no more DMA for
 * the function and has dropped the frames it held for it. A function reset
 * (CTRL_RESET, FLR) also zeroes its statistics; drivers that want
 * monotonic counters keep a software base.
 */

#define QV_FN_STATUS            0x00c   /* RO */
#define QV_STATUS_LINK_UP       (1u << 0)       /* effective link */
#define QV_STATUS_ENABLED       (1u << 1)       /* PF enabled this VF */
#define QV_STATUS_TRUSTED       (1u << 2)
#define QV_STATUS_RX_RING_ERR   (1u << 8)       /* RX ring stopped: bad setup */
#define QV_STATUS_TX_RING_ERR   (1u << 9)       /* TX ring stopped: bad setup */

#define QV_FN_MAC_LO            0x010   /* RO: MAC bytes 0..3; set through */
#define QV_FN_MAC_HI            0x014   /* RO: MAC bytes 4..5; QV_MG_MAC_* */
#define QV_FN_MTU               0x018   /* RW: max L3 payload, bytes */
#define QV_MTU_MIN              68
#define QV_MTU_MAX              9000
#define QV_MTU_DEFAULT          1500

#define QV_FN_FEATURES          0x01c   /* RO: offloads the device has */
#define QV_FN_OFFLOADS          0x020   /* RW: offloads enabled (same bits) */
#define QV_OFF_TX_CSUM          (1u << 0)       /* TCP/UDP csum, IPv4/6 */
#define QV_OFF_TSO              (1u << 1)       /* TCPv4/v6 segmentation */
#define QV_OFF_RX_CSUM          (1u << 2)       /* L4 csum verified */
#define QV_OFF_LRO              (1u << 3)       /* large receive frames */
#define QV_OFF_VLAN_STRIP       (1u << 4)
#define QV_OFF_VLAN_INSERT      (1u << 5)
#define QV_OFF_ALL              0x3fu
/*
 * OFFLOADS gates the receive offloads: the device checks L4 checksums
 * itself (RX_CSUM), delivers GSO frames whole (LRO, with RX_CSUM) and
 * strips tags (VLAN_STRIP) only while the bit is set; a checksum the
 * backend vouched for is reported good (QV_RXD_STA_L4CSUM_OK) whatever
 * RX_CSUM says. A transmit offload is asked
 * for per frame, by the descriptor (QV_TXD_CSUM, QV_TXD_TSO,
 * QV_TXD_VLAN_INS), as on igb and ixgbe: the TX bits only record what the
 * driver turned on, so a frame queued before the driver turned an offload
 * off still leaves as its descriptor says.
 */

#define QV_FN_RX_FILTER         0x024   /* RW */
#define QV_RXF_BCAST            (1u << 0)       /* accept broadcast */
#define QV_RXF_ALLMULTI         (1u << 1)       /* accept all multicast */
#define QV_RXF_PROMISC          (1u << 2)       /* honoured only if trusted */
#define QV_FN_LINK_SPEED        0x028   /* RO: Mbit/s, 0 = unknown */
#define QV_FN_NUM_QUEUES        0x02c   /* RO: queue pairs, QV_NUM_QUEUES */

/* Multicast filter: QV_MC_ENTRIES exact addresses per function. */
#define QV_FN_MC_LO(i)          (0x080 + (i) * 8)       /* bytes 0..3 */
#define QV_FN_MC_HI(i)          (0x084 + (i) * 8)       /* bytes 4..5 */
#define QV_MC_HI_VALID          (1u << 31)
#define QV_MC_ENTRIES           16

/* Interrupts: cause bits map 1:1 onto the MSI-X vectors above. */
#define QV_FN_INT_CAUSE         0x040   /* RW1C */
#define QV_FN_INT_MASK          0x044   /* RO: 1 = masked */
#define QV_FN_INT_MASK_SET      0x048   /* WO: mask these causes */
#define QV_FN_INT_MASK_CLR      0x04c   /* WO: unmask these causes */
#define QV_INT_RX               (1u << QV_VEC_RX)
#define QV_INT_TX               (1u << QV_VEC_TX)
#define QV_INT_MISC             (1u << QV_VEC_MISC)
#define QV_INT_QP(q)            (1u << QV_VEC_QP(q))    /* q >= 1 */
#define QV_INT_ALL              ((1u << QV_NUM_VECTORS) - 1)
/*
 * Interrupt moderation: minimum interval between two MSI-X messages of a
 * vector, in microseconds (0 = none). Vectors 0..2 at 0x050..0x058; the
 * vector of queue pair q >= 1 at QV_FN_QUEUE(q) + QV_Q_ITR, below.
 */
#define QV_FN_ITR(v)    ((v) < 3 ? 0x050 + (v) * 4 : 0x17c + (v) * 0x80)
#define QV_ITR_MAX_US           65535
#define QV_FN_MISC_CAUSE        0x060   /* RW1C: why QV_INT_MISC fired */
#define QV_MISC_MBX             (1u << 0)       /* mailbox message/ack */
#define QV_MISC_LINK            (1u << 1)       /* link state changed */
#define QV_MISC_RING_ERR        (1u << 2)       /* a ring was stopped */
#define QV_MISC_VF_MBX          (1u << 3)       /* PF only: a VF wrote */

/*
 * Descriptor rings. Base must be 16-byte aligned; size is in bytes, a
 * non-zero multiple of the descriptor size, at most QV_RING_MAX_BYTES.
 * Head is the device's index, tail the driver's (both in descriptors).
 */
#define QV_FN_RX_BASE_LO        0x100
#define QV_FN_RX_BASE_HI        0x104
#define QV_FN_RX_SIZE           0x108
#define QV_FN_RX_HEAD           0x10c   /* RO */
#define QV_FN_RX_TAIL           0x110
#define QV_FN_RX_BUF_SIZE       0x114   /* bytes per RX buffer */
#define QV_RX_BUF_MIN           256     /* no alignment required */
#define QV_RX_BUF_MAX           16384
/*
 * Largest frame written to an RX ring (a large-receive frame with
 * QV_OFF_LRO, Ethernet and VLAN header included).
 */
#define QV_RX_MAX_FRAME         (65536 + 18)
#define QV_FN_TX_BASE_LO        0x140
#define QV_FN_TX_BASE_HI        0x144
#define QV_FN_TX_SIZE           0x148
#define QV_FN_TX_HEAD           0x14c   /* RO */
#define QV_FN_TX_TAIL           0x150   /* doorbell */
#define QV_RING_ALIGN           16
#define QV_RING_MAX_BYTES       0x10000 /* 4096 descriptors */

/*
 * Queue pair q's rings (q < QV_NUM_QUEUES), same layout and rules as queue
 * pair 0's registers above, which QV_FN_QUEUE(0) aliases. All queues of a
 * function use its QV_FN_RX_BUF_SIZE. A ring error on any queue stops
 * that direction of the whole function (QV_STATUS_*_RING_ERR), as for
 * queue 0; re-enabling RX (TX) or a reset recovers. The RSS indirection
 * table may name only queues whose RX ring is set up: a frame steered to
 * an unusable ring is a ring error.
 */
#define QV_FN_QUEUE(q)          (0x200 + (q) * 0x80)
#define QV_Q_RX_BASE_LO         0x00
#define QV_Q_RX_BASE_HI         0x04
#define QV_Q_RX_SIZE            0x08
#define QV_Q_RX_HEAD            0x0c    /* RO */
#define QV_Q_RX_TAIL            0x10
#define QV_Q_TX_BASE_LO         0x40
#define QV_Q_TX_BASE_HI         0x44
#define QV_Q_TX_SIZE            0x48
#define QV_Q_TX_HEAD            0x4c    /* RO */
#define QV_Q_TX_TAIL            0x50    /* doorbell */
#define QV_Q_ITR                0x7c    /* q >= 1: QV_FN_ITR of QV_VEC_QP */

/*
 * Receive side scaling. With the frame's hash type enabled in
 * QV_FN_RSS_CTRL, the device computes the Toeplitz hash of the frame with
 * the function's 40-byte key over (source address, destination address,
 * source port, destination port) for TCP/UDP, or over the two addresses
 * for other IPv4/IPv6 frames (and for TCP/UDP whose own type is off but
 * whose IP type is on), all in network byte order, and delivers the frame
 * to the RX queue in entry (hash % QV_RSS_RETA_SIZE) of the indirection
 * table; it reports the hash and its type in the RX descriptor. IPv4
 * fragments and IPv6 with extension headers are hashed as 2-tuples. Frames
 * without an enabled type go to queue 0 without a hash. All 0 after reset.
 */
#define QV_FN_RSS_CTRL          0x500   /* RW: hash types enabled */
#define QV_RSS_IPV4             (1u << 0)       /* IPv4 src/dst */
#define QV_RSS_IPV4_TCP         (1u << 1)       /* + TCP ports */
#define QV_RSS_IPV4_UDP         (1u << 2)       /* + UDP ports */
#define QV_RSS_IPV6             (1u << 3)
#define QV_RSS_IPV6_TCP         (1u << 4)
#define QV_RSS_IPV6_UDP         (1u << 5)
#define QV_RSS_ALL              0x3fu
/* Key bytes 4i..4i+3, byte 4i in bits 7:0 (the key as a byte string). */
#define QV_FN_RSS_KEY(i)        (0x540 + (i) * 4)
#define QV_RSS_KEY_BYTES        40
#define QV_RSS_KEY_WORDS        (QV_RSS_KEY_BYTES / 4)
/*
 * Indirection table: entry 4i+j (a queue number) in bits 8j+7:8j of word
 * i. A word naming a queue >= QV_NUM_QUEUES is refused (a guest error,
 * the word keeps its value).
 */
#define QV_FN_RSS_RETA(i)       (0x580 + (i) * 4)
#define QV_RSS_RETA_SIZE        128
#define QV_RSS_RETA_WORDS       (QV_RSS_RETA_SIZE / 4)

/*
 * VF side of the PF<->VF mailbox.
 * The VF and the PF share one set of QV_MBX_WORDS words (QV_FN_MBX_MEM on
 * the VF = QV_MG_MBX_MEM of that VF on the PF). Request: the VF writes the
 * words and QV_MBX_REQ (which clears PF_ACK); the PF gets QV_PFMBX_VF_REQ,
 * the VF's bit in QV_DEV_MBX_PENDING and QV_MISC_VF_MBX. Reply: the PF
 * writes its reply over the request and QV_PFMBX_ACK | QV_PFMBX_SEND; the
 * VF gets PF_ACK and PF_MSG and QV_MISC_MBX, reads the words and writes
 * QV_MBX_VF_ACK (clears PF_MSG; the PF sees QV_PFMBX_VF_ACK). Unsolicited
 * PF messages (QV_MSG_LINK_CHANGE) use QV_PFMBX_SEND alone. A REQ while
 * the previous message is not acknowledged is a guest error and ignored.
 * The device only carries messages; the PF driver decides.
 */
#define QV_FN_MBX_CTRL          0x180
#define QV_MBX_REQ              (1u << 0)       /* VF: message ready (WO) */
#define QV_MBX_PF_ACK           (1u << 1)       /* PF consumed VF msg (RO) */
#define QV_MBX_PF_MSG           (1u << 2)       /* PF wrote a message (RO) */
#define QV_MBX_VF_ACK           (1u << 3)       /* VF: consumed PF msg (WO) */
/*
 * RO, in QV_FN_MBX_CTRL and QV_MG_MBX_CTRL alike: who may write the shared
 * words now. NONE: free, the first side to write a word takes them; VF: the
 * VF composes a request or has a PF message to read; PF: the PF composes a
 * message or has a request to answer. Word writes from the other side are
 * dropped (a guest error), so a side reads the owner before it writes, and
 * reads a word back if it may have raced with the other side. A function
 * reset of the VF frees the words; so does the PF's ACK when the request
 * it answers was taken away by such a reset (the ACK is then refused).
 */
#define QV_MBX_OWNER_SHIFT      8
#define QV_MBX_OWNER_MASK       (0x3u << QV_MBX_OWNER_SHIFT)
#define QV_MBX_OWNER_NONE       0
#define QV_MBX_OWNER_VF         1
#define QV_MBX_OWNER_PF         2
#define QV_FN_MBX_MEM(i)        (0x1c0 + (i) * 4)
#define QV_MBX_WORDS            16

/* Per-function statistics: 64-bit counters at QV_FN_STATS + 8 * index. */
#define QV_FN_STATS             0x400
#define QV_FN_STAT(idx)         (QV_FN_STATS + (idx) * 8)
#define QV_STAT_RX_PACKETS      0
#define QV_STAT_RX_BYTES        1
#define QV_STAT_TX_PACKETS      2
#define QV_STAT_TX_BYTES        3
#define QV_STAT_RX_BCAST        4
#define QV_STAT_RX_MCAST        5
#define QV_STAT_DROP_RATE       6       /* ingress token bucket empty */
#define QV_STAT_DROP_BUFFER     7       /* partition full, ring had room */
#define QV_STAT_DROP_RING_FULL  8       /* partition full, no RX buffers */
#define QV_STAT_DROP_LENGTH     9       /* larger than MTU / runt */
#define QV_STAT_DROP_VLAN       10      /* VLAN not allowed for the VF */
#define QV_STAT_DROP_LINK_DOWN  11      /* function disabled / link down */
#define QV_STAT_TX_DROP_SPOOF   12      /* source MAC / VLAN spoofed */
#define QV_STAT_TX_DROP_BAD     13      /* malformed TX descriptor/frame */
#define QV_STAT_TX_THROTTLED    14      /* TX runs stopped by the shaper */
#define QV_STAT_RX_CSUM_ERR     15
#define QV_STAT_BUF_OCCUPANCY   16      /* bytes held now */
#define QV_STAT_BUF_PEAK        17      /* max bytes held; write clears */
#define QV_STAT_LOOPBACK_RX     18      /* frames from the internal switch */
#define QV_STAT_DROP_NO_OWNER   19      /* PF only: device-wide */
#define QV_STAT_TX_DROP_LINK_DOWN 20    /* sent while the link was down */
/*
 * Receive admission's account, exact at every register read:
 * RX_ADMITTED = RX_PACKETS + BUF_FRAMES + RX_DISCARDED.
 * RX_ADMITTED counts the frames admission put into the function's buffer
 * partition; RX_DISCARDED those of them dropped there undelivered (the
 * function stopped receiving or its RX ring went into error, or no ring of
 * its size could take the frame), which are also counted under that drop
 * reason; BUF_FRAMES the frames held now.
 */
#define QV_STAT_RX_ADMITTED     21
#define QV_STAT_RX_DISCARDED    22
#define QV_STAT_BUF_FRAMES      23      /* frames held now */
#define QV_NUM_STATS            24

/*
 * Device buffer memory is allocated in cells of this size; occupancy,
 * reserves and thresholds are accounted in whole cells (bytes rounded up).
 */
#define QV_BUF_CELL_SIZE        256

/* --------------------------------- PF BAR0: device-wide management */
#define QV_DEV_BASE             0x1000
#define QV_DEV_CAPS             0x1000  /* RO */
#define QV_CAPS_SWITCHDEV       (1u << 0)       /* QV_DEV_ESW_*, rule table */
#define QV_CAPS_MBX_OWNER       (1u << 1)       /* QV_MBX_OWNER_* readable */
#define QV_CAPS_LOOPBACK        (1u << 2)       /* QV_MGF_LOOPBACK */
#define QV_DEV_MAX_VFS          0x1004  /* RO: max-vfs property */
#define QV_DEV_NUM_VFS          0x1008  /* RO: VFs currently enabled */
#define QV_DEV_BUF_TOTAL        0x100c  /* RO: device buffer, bytes */
#define QV_DEV_BUF_SHARED_FREE  0x1010  /* RO: unreserved free bytes */
#define QV_DEV_LINE_RATE        0x1014  /* RO: Mbit/s, 0 = unmodelled */
#define QV_DEV_DMA_RATE_LO      0x1018  /* RO 64: bytes/s, 0 = unmodelled */
#define QV_DEV_DMA_RATE_HI      0x101c
#define QV_DEV_LINK             0x1020  /* RO: backend link up (bit 0) */
/*
 * RW1C bitmap of the VFs with mailbox news for the PF. QV_MISC_VF_MBX is
 * raised when a VF's bit goes from clear to set, not again while it stays
 * set (a VF's own reset keeps it): the PF clears a VF's bit before it reads
 * that VF's QV_MG_MBX_CTRL, and so sees every change after the clear.
 */
#define QV_DEV_MBX_PENDING(i)   (0x1040 + (i) * 4)
#define QV_DEV_MBX_WORDS        (QV_MAX_VFS / 32)

/* ------------------------------- PF BAR0: embedded switch (eswitch) */
/*
 * Ports of the embedded switch: port n is function n (0 = the PF, vf + 1 =
 * VF vf), QV_PORT_UPLINK is the wire.
 *
 * Legacy mode (QV_ESW_LEGACY, after reset) is the VEB: frames are switched
 * by destination MAC (and port VLAN) to functions or the wire; the rule
 * table is not used.
 *
 * Switchdev mode (QV_ESW_SWITCHDEV): frames from the uplink and frames a VF
 * transmits are looked up in the rule table (valid rules, lowest
 * QV_RL_CTRL priority first, then lowest index). The first match's actions
 * apply; a frame that matches no rule goes to the PF's receive queue (the
 * slow path to the port's representor), with QV_RXD_STA_SRC_PORT and its
 * ingress port in the RX descriptor. The PF transmits to a port with a
 * QV_TXD_CTX_DPORT context descriptor: to a VF through that VF's receive
 * admission (link, port VLAN, length, ingress policer, buffer), or to the
 * uplink; rules do not apply to those frames. A PF frame without one goes
 * to the wire. Every frame the PF receives in switchdev mode carries its
 * source port (QV_PORT_UPLINK for the wire).
 *
 * Frames already admitted into a function's buffer partition when the mode
 * changes are delivered as they were classified; the mode applies to what
 * arrives after the write. Rules and counters are kept across mode changes
 * and cleared by a device reset.
 */
#define QV_PORT_UPLINK          0x0fff  /* the wire */
#define QV_DEV_ESW_MODE         0x1100  /* RW */
#define QV_ESW_LEGACY           0
#define QV_ESW_SWITCHDEV        1
#define QV_DEV_ESW_RULES        0x1104  /* RO: rule table entries */
#define QV_DEV_ESW_POLICERS     0x1108  /* RO: policer table entries */
/*
 * RO 64: the device clock (QEMU_CLOCK_VIRTUAL) in nanoseconds; rule last
 * use times are on it.
 */
#define QV_DEV_CLOCK_LO         0x1110
#define QV_DEV_CLOCK_HI         0x1114
/* RO 64: frames the eswitch sent to the PF because no rule matched. */
#define QV_DEV_ESW_MISS_LO      0x1118
#define QV_DEV_ESW_MISS_HI      0x111c

/*
 * Rule table, PF BAR0 only, above the management windows of 129 functions
 * (which end at 0x303ff). Rule i has QV_RL_* registers at QV_RULE(i).
 * A rule's fields can be written only while QV_RL_VALID is clear; writing
 * QV_RL_CTRL with QV_RL_VALID checks the whole rule and commits it (its
 * counters start from 0), or leaves QV_RL_VALID clear if it is not valid (a
 * guest error: a port or policer that does not exist, no forwarding
 * action, an unknown bit). Reading QV_RL_CTRL back tells which.
 */
#define QV_ESW_NUM_RULES        256
#define QV_RULE_BASE            0x34000
#define QV_RULE_STRIDE          0x40
#define QV_RULE(i)              (QV_RULE_BASE + (i) * QV_RULE_STRIDE)
#define QV_RL_CTRL              0x00
#define QV_RL_VALID             (1u << 0)
#define QV_RL_PRIO_SHIFT        16      /* 16 bits, lower first */
#define QV_RL_PRIO_MASK         (0xffffu << QV_RL_PRIO_SHIFT)
/* Which fields the rule matches on (all of those set must match). */
#define QV_RL_MATCH             0x04
#define QV_RLM_IN_PORT          (1u << 0)
#define QV_RLM_DST_MAC          (1u << 1)       /* under QV_RL_DMAC_MASK_* */
#define QV_RLM_SRC_MAC          (1u << 2)       /* under QV_RL_SMAC_MASK_* */
#define QV_RLM_VLAN             (1u << 3)       /* 802.1Q tag, this VID */
#define QV_RLM_UNTAGGED         (1u << 4)       /* no 802.1Q tag */
#define QV_RLM_ETYPE            (1u << 5)       /* ethertype after any tag */
#define QV_RLM_IP_PROTO         (1u << 6)       /* IPv4 proto / IPv6 next */
#define QV_RLM_L4_SRC           (1u << 7)       /* under QV_RL_L4_MASK */
#define QV_RLM_L4_DST           (1u << 8)
#define QV_RLM_FRAG             (1u << 9)       /* IP fragment, or not */
#define QV_RLM_ALL              0x3ffu
/* bits 15:0 ingress port; 27:16 VID; bit 31: is a fragment (QV_RLM_FRAG) */
#define QV_RL_KEY               0x08
#define QV_RL_VID_SHIFT         16
#define QV_RL_FRAG_YES          (1u << 31)
/* bits 15:0 ethertype, 23:16 IP protocol */
#define QV_RL_PROTO             0x0c
#define QV_RL_IP_PROTO_SHIFT    16
#define QV_RL_DMAC_LO           0x10    /* MAC bytes 0..3 */
#define QV_RL_DMAC_HI           0x14    /* MAC bytes 4..5 */
#define QV_RL_DMAC_MASK_LO      0x18
#define QV_RL_DMAC_MASK_HI      0x1c
#define QV_RL_SMAC_LO           0x20
#define QV_RL_SMAC_HI           0x24
#define QV_RL_SMAC_MASK_LO      0x28
#define QV_RL_SMAC_MASK_HI      0x2c
/*
 * TCP, UDP or SCTP ports over IPv4 (not of a non-first fragment) or IPv6
 * (L4 header right after the IPv6 header): 15:0 source, 31:16 destination.
 */
#define QV_RL_L4                0x30
#define QV_RL_L4_MASK           0x34
/*
 * Actions, applied in this order: police (a frame the policer refuses is
 * dropped), VLAN pop (of the outer 802.1Q tag, if any), VLAN push, then
 * exactly one of redirect and drop.
 */
#define QV_RL_ACTION            0x38
#define QV_RLA_REDIRECT         (1u << 0)       /* to QV_RL_ACT_ARG port */
#define QV_RLA_DROP             (1u << 1)
#define QV_RLA_VLAN_POP         (1u << 2)
#define QV_RLA_VLAN_PUSH        (1u << 3)       /* 802.1Q, TCI below */
#define QV_RLA_POLICE           (1u << 4)       /* through policer below */
#define QV_RLA_ALL              0x1fu
#define QV_RLA_POLICER_SHIFT    16      /* 8 bits: policer index */
/* bits 15:0 redirect port, 31:16 TCI to push */
#define QV_RL_ACT_ARG           0x3c
#define QV_RL_TCI_SHIFT         16

/*
 * Rule counters, 64 bit (low word first, as QV_STAT_*): frames and bytes
 * that matched (before the policer), and the QV_DEV_CLOCK time of the last
 * match (0 = never). Reset when the rule is committed.
 */
#define QV_RULE_STATS_BASE      0x38000
#define QV_RLS_STRIDE           0x20
#define QV_RULE_STATS(i)        (QV_RULE_STATS_BASE + (i) * QV_RLS_STRIDE)
#define QV_RLS_PACKETS          0x00
#define QV_RLS_BYTES            0x08
#define QV_RLS_LASTUSE          0x10

/*
 * Policers for QV_RLA_POLICE: token buckets with `tc police` semantics
 * (rate in bits/s, burst in bytes; RATE_HI is staged until RATE_LO is
 * written, as QV_MG_RX_RATE). Rate 0 lets everything through. Several
 * rules may share one policer. DROPS (RO 64) counts the frames it refused;
 * any write to DROPS_LO clears it.
 */
#define QV_ESW_NUM_POLICERS     64
#define QV_POLICER_BASE         0x3a000
#define QV_POLICER_STRIDE       0x20
#define QV_POLICER(j)           (QV_POLICER_BASE + (j) * QV_POLICER_STRIDE)
#define QV_PL_RATE_LO           0x00
#define QV_PL_RATE_HI           0x04
#define QV_PL_BURST             0x08
#define QV_PL_DROPS_LO          0x10
#define QV_PL_DROPS_HI          0x14
#define QV_ESW_END              0x3b000

/* --------------------------- PF BAR0: per-function management window */
/* fn = 0 for the PF itself, vf + 1 for VF vf. */
#define QV_MGMT_BASE            0x10000
#define QV_MGMT_STRIDE          0x400
#define QV_MGMT(fn)             (QV_MGMT_BASE + (fn) * QV_MGMT_STRIDE)

#define QV_MG_MAC_LO            0x000   /* MAC bytes 0..3 */
#define QV_MG_MAC_HI            0x004   /* MAC bytes 4..5 */
#define QV_MG_VLAN              0x008
#define QV_VLAN_VID_MASK        0x0fffu /* 0 = no port VLAN */
#define QV_VLAN_QOS_SHIFT       12      /* 802.1p priority, 3 bits */
#define QV_VLAN_QOS_MASK        (0x7u << QV_VLAN_QOS_SHIFT)
#define QV_MG_FLAGS             0x00c
#define QV_MGF_TRUST            (1u << 0)
#define QV_MGF_SPOOFCHK         (1u << 1)
#define QV_MGF_LINK_SHIFT       2       /* link state, 2 bits */
#define QV_MGF_LINK_MASK        (0x3u << QV_MGF_LINK_SHIFT)
#define QV_LINK_AUTO            0       /* follow the physical link */
#define QV_LINK_ENABLE          1
#define QV_LINK_DISABLE         2
/*
 * Hairpin: a frame the function sends to its own MAC comes back to it
 * through the VEB (legacy mode), as from another function. For the PF
 * driver's loopback self-test of a function (ethtool -t).
 */
#define QV_MGF_LOOPBACK         (1u << 4)
/*
 * Writing RX_RATE_HI only stages the high word; the write of RX_RATE_LO (or
 * one 8-byte write at RX_RATE_LO) commits the 64-bit rate, so the bucket
 * never runs with a half-written rate.
 */
#define QV_MG_RX_RATE_LO        0x010   /* 64: ingress bits/s, 0 = none */
#define QV_MG_RX_RATE_HI        0x014
#define QV_MG_RX_BURST          0x018   /* ingress bucket depth, bytes */
#define QV_MG_TX_MAX_RATE       0x01c   /* egress ceiling, Mbit/s, 0=none */
#define QV_MG_TX_MIN_RATE       0x020   /* egress guarantee, Mbit/s */
#define QV_MG_PRIO              0x024   /* DMA priority class, 0 = highest */
#define QV_PRIO_CLASSES         8
#define QV_MG_WEIGHT            0x028   /* DRR weight within the class */
#define QV_WEIGHT_MIN           1
#define QV_WEIGHT_MAX           1024
#define QV_MG_BUF_RESERVE       0x02c   /* guaranteed partition, bytes */
#define QV_MG_BUF_ALPHA         0x030   /* Dynamic Threshold alpha, 1/16 */
#define QV_ALPHA_ONE            16      /* alpha = 1.0 */
#define QV_ALPHA_MAX            (64 * QV_ALPHA_ONE)
/*
 * RO: bit i set = the field at offset 4 * i of this window is capped by the
 * host (QMP); that register reads the effective value. docs/registers.md.
 */
#define QV_MG_HOST_LIMITS       0x034
/* PF side of VF fn's mailbox (not used for fn 0). */
#define QV_MG_MBX_CTRL          0x100
#define QV_PFMBX_SEND           (1u << 0)       /* PF: message ready (WO) */
#define QV_PFMBX_ACK            (1u << 1)       /* PF: consumed VF msg (WO) */
#define QV_PFMBX_VF_REQ         (1u << 2)       /* VF message waiting (RO) */
#define QV_PFMBX_VF_ACK         (1u << 3)       /* VF consumed PF msg (RO) */
/* Bits 9:8 (RO): the mailbox owner, QV_MBX_OWNER_* as in QV_FN_MBX_CTRL. */
#define QV_MG_MBX_MEM(i)        (0x140 + (i) * 4)
/* That function's statistics, same indices as QV_FN_STAT. */
#define QV_MG_STATS             0x200
#define QV_MG_STAT(idx)         (QV_MG_STATS + (idx) * 8)

/* ---------------------------------------------------- mailbox messages */
/* Word 0: message type in bits 15:0, reply status in bits 31:16. */
#define QV_MSG_TYPE_MASK        0xffffu
#define QV_MSG_STATUS_SHIFT     16
#define QV_MSG_ACK              (1u << QV_MSG_STATUS_SHIFT)
#define QV_MSG_NACK             (2u << QV_MSG_STATUS_SHIFT)
/* VF asks for a reset; reply: w1-2 = MAC, w3 = the VF's initial MTU. */
#define QV_MSG_RESET            0x0001
#define QV_MSG_SET_MAC          0x0002  /* w1 = MAC lo, w2 = MAC hi */
/*
 * w1 = count, w2.. = MAC pairs; advisory: the VF programs its own
 * QV_FN_MC_* table.
 */
#define QV_MSG_SET_MC           0x0003
/*
 * The papers' resource tuple: w1 = min, w2 = default, w3 = max bandwidth in
 * Mbit/s; reply w1-3 = the granted tuple. Suggested policy: min ->
 * TX_MIN_RATE, max -> TX_MAX_RATE; the PF driver decides. All three 0:
 * the VF gives back what it was granted.
 */
#define QV_MSG_QOS_REQ          0x0004
/*
 * No payload; the PF answers ACK. A VF's self-test of its mailbox and its
 * misc interrupt (ethtool -t).
 */
#define QV_MSG_PING             0x0005
/*
 * PF -> VF messages that are not replies carry status 0 in word 0 (no ACK or
 * NACK bit): QV_MSG_LINK_CHANGE (the link may have changed), and
 * QV_MSG_RESET, with which the PF asks the VF to reset and send QV_MSG_RESET
 * as a request, because the administrator changed its MAC or port VLAN.
 */
#define QV_MSG_LINK_CHANGE      0x0010  /* PF -> VF notification */

/* ------------------------------------------------------ descriptors */
/*
 * TX descriptor, 16 bytes, written by the driver:
 *   le64 addr; le16 len; u8 cmd; u8 status; le16 mss; le16 vlan;
 * A frame spans one or more descriptors; the last has QV_TXD_EOP. cmd, mss
 * and vlan are taken from the first descriptor of a frame. The device sets
 * QV_TXD_STA_DD in status when it has consumed the descriptor.
 *
 * A context descriptor (cmd QV_TXD_CTX_DPORT, nothing else in cmd) may
 * precede a frame's first descriptor: it carries no data (len is ignored),
 * and bytes 0..1 of its addr field (le16, QV_TXD_DPORT) name the port the
 * frame goes to. Only the PF, in switchdev mode, may send one (see the
 * eswitch section); the device completes it with the frame.
 */
#define QV_TXD_SIZE             16
#define QV_TXD_ADDR             0
#define QV_TXD_LEN              8
#define QV_TXD_CMD              10
#define QV_TXD_STATUS           11
#define QV_TXD_MSS              12
#define QV_TXD_VLAN             14
#define QV_TXD_EOP              (1u << 0)
/* CSUM/TSO checksum by the IP length: Ethernet padding is dropped. */
#define QV_TXD_CSUM             (1u << 1)       /* fill in L4 checksum */
#define QV_TXD_TSO              (1u << 2)       /* segment at mss */
/*
 * Smallest mss for QV_TXD_TSO, as on other NICs (i40e, ice): a frame with
 * a smaller mss is dropped (QV_STAT_TX_DROP_BAD); drivers segment such
 * frames in software (Linux's TCP goes down to tcp_min_snd_mss, 48
 * bytes, less its options). A QV_TXD_TSO frame to a group (multicast or
 * broadcast) destination MAC is dropped as well: TCP is unicast, and
 * each segment would be flooded to every function and the wire.
 */
#define QV_TSO_MSS_MIN          64
/*
 * Longest headers (Ethernet, with the tag the device inserts, to the end
 * of TCP) of a QV_TXD_TSO frame, and the most bytes its segments may put on
 * the wire (each repeats the headers). A frame over either is dropped
 * (QV_STAT_TX_DROP_BAD); drivers segment such frames in software. Before,
 * IPv6 extension headers of a kilobyte at the smallest mss made one 64 KiB
 * descriptor 1.5 MB on the wire, a debt to the line rate that held every
 * function's TX for as long.
 */
#define QV_TSO_HDR_MAX          256
#define QV_TSO_WIRE_MAX         (3 * QV_TX_MAX_FRAME)
#define QV_TXD_VLAN_INS         (1u << 3)       /* insert vlan tag */
#define QV_TXD_CTX_DPORT        (1u << 4)       /* context: destination port */
#define QV_TXD_DPORT            0
/* len: 1..65535 bytes per descriptor; 0 is invalid (frame dropped). */
#define QV_TXD_STA_DD           (1u << 0)
#define QV_TXD_STA_ERR          (1u << 1)       /* frame dropped */
#define QV_TX_MAX_FRAME         65536           /* per frame, TSO included */
/*
 * Most descriptors one frame may span, a context descriptor included. The
 * device drops the first QV_TX_MAX_DESC descriptors of a longer chain as a
 * bad frame (QV_STAT_TX_DROP_BAD, each completed with QV_TXD_STA_ERR) and
 * goes on from the next, as other NICs do (ixgbe: 40): a partly posted
 * frame is fetched again whenever the tail moves, and this bounds that.
 */
#define QV_TX_MAX_DESC          64

/*
 * RX descriptor, 16 bytes. The driver writes le64 addr (buffer of
 * QV_FN_RX_BUF_SIZE bytes) and zeroes the rest; the device writes back
 *   le16 len; le16 status; le16 vlan; le16 gso_size;
 * into bytes 8..15. A frame larger than one buffer spans several
 * descriptors; the last has QV_RXD_STA_EOP; only the first carries vlan and
 * gso_size and the checksum bits.
 */
#define QV_RXD_SIZE             16
#define QV_RXD_ADDR             0
#define QV_RXD_LEN              8
#define QV_RXD_STATUS           10
#define QV_RXD_VLAN             12
#define QV_RXD_GSO_SIZE         14
#define QV_RXD_STA_DD           (1u << 0)
#define QV_RXD_STA_EOP          (1u << 1)
#define QV_RXD_STA_L4CSUM_OK    (1u << 2)       /* L4 checksum verified */
#define QV_RXD_STA_VLAN         (1u << 3)       /* tag stripped into vlan */
/* GSO_* frames always have L4CSUM_OK set as well. */
#define QV_RXD_STA_GSO_TCPV4    (1u << 4)       /* large frame, mss gso_size */
#define QV_RXD_STA_GSO_TCPV6    (1u << 5)
#define QV_RXD_STA_LOOPBACK     (1u << 6)       /* from the internal switch */
/*
 * Switchdev mode, PF only: the frame's source port (QV_PORT_UPLINK or a
 * function) is in bytes 4..5 of the first descriptor (le16), written back
 * over the buffer address. Bytes 0..3 and 6..7 of that field are not this
 * bit's; a driver writes the buffer address again before it reposts the
 * descriptor.
 */
#define QV_RXD_STA_SRC_PORT     (1u << 7)
#define QV_RXD_SRC_PORT         4
/*
 * RSS: the first descriptor's status bits 15:13 give the hash type
 * (QV_RSS_TYPE_*, 0 = no hash), and bytes 0..3 of that descriptor (le32,
 * written back over the buffer address) the hash. Like the source port,
 * the driver writes the buffer address again before it reposts.
 */
#define QV_RXD_STA_RSS_SHIFT    13
#define QV_RXD_STA_RSS_MASK     (0x7u << QV_RXD_STA_RSS_SHIFT)
#define QV_RXD_RSS_HASH         0
#define QV_RSS_TYPE_NONE        0
#define QV_RSS_TYPE_IPV4        1
#define QV_RSS_TYPE_IPV4_TCP    2
#define QV_RSS_TYPE_IPV4_UDP    3
#define QV_RSS_TYPE_IPV6        4
#define QV_RSS_TYPE_IPV6_TCP    5
#define QV_RSS_TYPE_IPV6_UDP    6

#endif /* QOSVNIC_HW_H */
