/*
 * qosvnic: emulated SR-IOV NIC with device-level ingress QoS.
 * Internal interface between the device model's files.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Files, one job each, from the bottom layer up; a file calls only files
 * of lower layers (docs/design.md has the rule and follows a frame
 * through them):
 *   qosvnic-tb.c        token buckets against QEMU_CLOCK_VIRTUAL
 *   qosvnic-stats.c     counters, and the drop hook for the control plane
 *   qosvnic-irq.c       interrupt causes, masks, MSI-X moderation, INTx
 *   qosvnic-ring.c      descriptor ring validator (accessors: below)
 *   qosvnic-buf.c       device buffer memory: cells, partitions, Dynamic
 *                       Threshold admission
 *   qosvnic-mbx.c       PF<->VF mailbox
 *   qosvnic-esw.c       embedded switch: mode, rule table, lookup,
 *                       policers, rule counters
 *   qosvnic-sched.c     RX DMA scheduler: strict priority + DRR into RX
 *                       rings
 *   qosvnic-rx.c        receive: classify, admit, store, enqueue
 *   qosvnic-tx.c        transmit, one frame: fetch, validate, offload,
 *                       switch (VEB), shape, emit, complete
 *   qosvnic-tx-sched.c  the TX engine: which function sends next, when
 *   qosvnic-mgmt.c      the PF's per-function settings, host ceilings
 *   qosvnic-fn.c        function lifecycle: reset, CTRL, backend offloads
 *   qosvnic-regs.c      register decode (function block, device
 *                       registers, management windows)
 *   qosvnic-qmp.c       host control plane (QMP, the drop event)
 *   qosvnic-vf.c        VF QOM type: BARs, MSI-X, FLR
 *   qosvnic-pf.c        PF QOM type: PCI/PCIe/SR-IOV, properties, backend
 *                       glue, device reset, migration
 *
 * Every function (PF = fn 0, VF n = fn n + 1) is a QvFunc inside the PF's
 * QosvnicState; the VF PCI devices hold no state of their own, so that the
 * datapath never has to look up a VF object and one reentrancy guard (the
 * PF's) covers every DMA the device does.
 */
#ifndef HW_NET_QOSVNIC_H
#define HW_NET_QOSVNIC_H

#include "hw/pci/pci_device.h"
#include "hw/pci/pcie_sriov.h"
#include "net/net.h"
#include "net/eth.h"
#include "qemu/timer.h"
#include "qemu/error-report.h"
#include "qemu/units.h"
#include "migration/vmstate.h"
#include "qosvnic_hw.h"

#define TYPE_QOSVNIC "qosvnic"
#define TYPE_QOSVNIC_VF "qosvnic-vf"
OBJECT_DECLARE_TYPE(QosvnicState, QosvnicClass, QOSVNIC)
OBJECT_DECLARE_TYPE(QosvnicVfState, QosvnicVfClass, QOSVNIC_VF)

/*
 * The PF and the VF classes wrap the PCI core's realize, which sets the
 * function's msi_trigger last: see qosvnic_irq_take_msi_trigger().
 */
struct QosvnicClass {
    PCIDeviceClass parent_class;
    DeviceRealize parent_realize;
};

struct QosvnicVfClass {
    PCIDeviceClass parent_class;
    DeviceRealize parent_realize;
};

/* Device buffer memory is managed in cells, as switch MMUs do. */
#define QV_CELL_SIZE            QV_BUF_CELL_SIZE
#define QV_BUF_MIN              (64 * KiB)
#define QV_BUF_MAX              (16 * MiB)
#define QV_BUF_DEFAULT          (4 * MiB)
#define QV_CELL_NONE            UINT32_MAX
/*
 * QvFunc.irq_last_ns of a vector that has not sent since reset: far
 * enough in the past that the first message is never held back, and
 * distinct from a message really sent at virtual time 0.
 */
#define QV_IRQ_NEVER            (INT64_MIN / 2)

/* Management window fields the host can cap: offsets below HOST_LIMITS. */
#define QV_HOST_CAP_FIELDS      (QV_MG_HOST_LIMITS / 4)

/* Shortest interval between two offload changes of the backend (tap). */
#define QV_OFFLOAD_HOLDOFF_NS   (10 * SCALE_MS)

/* Largest frame the backend can hand us (GSO super-frame + vnet header). */
#define QV_MAX_FRAME            (64 * KiB + 256)

/*
 * Token bucket. Policing semantics of Linux `tc police` for admission
 * (conform/consume: a frame that does not find enough tokens is not
 * admitted, nothing is borrowed); a shaper instead charges what it sent
 * and may go into debt (charge).  Tokens are
 * kept as whole bytes plus a remainder in units of 1 / (8 * 10^9) byte, so
 * that a rate in bits/s refilled per nanosecond loses nothing to rounding:
 * over any interval T exactly floor(rate * T / 8) bytes are added.
 */
typedef struct QvTokenBucket {
    uint64_t rate_bits;     /* bits per second, 0 = unlimited */
    uint64_t burst;         /* bucket depth, bytes, <= QV_TB_LIMIT */
    int64_t tokens;         /* whole bytes; < 0: debt (qv_tb_charge) */
    uint64_t frac;          /* remainder, 1 / QV_TB_FRAC_UNIT byte */
    int64_t last_ns;        /* QEMU_CLOCK_VIRTUAL time of last refill */
} QvTokenBucket;

#define QV_TB_FRAC_UNIT         (8ULL * NANOSECONDS_PER_SECOND)
/* Bound of depth and debt: burst - tokens never overflows. */
#define QV_TB_LIMIT             (INT64_MAX / 4)
/*
 * The most a bucket can owe: a shaper sends a frame only with tokens in
 * hand, then charges its wire bytes, at most a QV_TX_MAX_FRAME TSO frame
 * cut at the smallest mss, each segment with headers as long as the
 * frame. A migration stream that claims more is refused.
 */
#define QV_TB_DEBT_MAX          ((int64_t)QV_TX_MAX_FRAME * \
                                 (QV_TX_MAX_FRAME / QV_TSO_MSS_MIN + 1))

/* A frame held in device memory: a chain of cells. */
typedef struct QvFrame {
    uint32_t first_cell;
    uint32_t len;           /* payload bytes (vnet header excluded) */
    uint32_t cells;
    uint16_t vlan;          /* stripped tag, if QV_RXD_STA_VLAN */
    uint16_t gso_size;
    uint16_t status;        /* QV_RXD_STA_* bits for the first desc */
    uint16_t src_port;      /* with QV_RXD_STA_SRC_PORT (qosvnic-esw.c) */
    uint32_t next;          /* index of next frame in its queue's FIFO */
    uint8_t queue;          /* RX queue (RSS), < QV_NUM_QUEUES */
    uint32_t rss_hash;      /* with QV_RXD_STA_RSS_MASK bits */
} QvFrame;

/* One function's partition of the device buffer. */
typedef struct QvPartition {
    uint32_t reserve_cells; /* guaranteed */
    uint32_t alpha;         /* Dynamic Threshold, QV_ALPHA_ONE = 1.0 */
    uint32_t used_cells;    /* cells held now */
    uint32_t peak_cells;
    /* One FIFO of frames (frame pool indices) per RX queue. */
    uint32_t head[QV_NUM_QUEUES], tail[QV_NUM_QUEUES];
    uint32_t qframes[QV_NUM_QUEUES];
    uint32_t nframes;       /* all queues */
    uint8_t rr;             /* queue the DMA scheduler tries first */
} QvPartition;

/* One descriptor ring as the guest programmed it. */
typedef struct QvRing {
    uint64_t base;
    uint32_t size, head, tail;
} QvRing;

/*
 * Transmit state of one function beyond its ring registers
 * (qosvnic-tx-sched.c, the min-share meter qosvnic-tx.c).
 * The egress shaper itself is QvFunc.tx_tb.
 */
typedef struct QvTxFn {
    uint32_t max_mbps;      /* tx_max_mbps that tx_tb was configured for */
    uint32_t min_mbps;      /* tx_min_mbps the min-share meter runs at */
    uint32_t need;          /* tokens the frame at the head waits for */
    bool throttled;         /* stopped by the shaper until tokens return */
    uint8_t q;              /* queue served next (round robin) */
    /*
     * The frame at the head of queue q has no EOP in the descriptors up to
     * this tail: they are not fetched again until the tail moves.
     */
    bool incomplete[QV_NUM_QUEUES];
    uint32_t incomplete_tail[QV_NUM_QUEUES];
    int64_t min_credit;     /* min-share meter, bytes * 1e9, may go < 0 */
    int64_t min_last_ns;
} QvTxFn;

typedef struct QvFunc {
    struct QosvnicState *dev;
    uint32_t fn;            /* 0 = PF, n + 1 = VF n */
    PCIDevice *pci;         /* NULL while the VF is disabled */

    /* Per-function register block (QV_FN_*), guest-programmed. */
    uint32_t ctrl;
    uint32_t mtu;
    uint32_t offloads;
    uint32_t rx_filter;
    uint32_t int_cause;
    uint32_t int_mask;
    uint32_t misc_cause;
    uint32_t itr_us[QV_NUM_VECTORS];
    uint32_t status_err;    /* QV_STATUS_*_RING_ERR */
    MACAddr mc[QV_MC_ENTRIES];
    uint32_t mc_valid;      /* bitmap of valid mc[] entries */
    QvRing rxq[QV_NUM_QUEUES], txq[QV_NUM_QUEUES];
    uint32_t rx_buf_size;   /* every RX queue's */
    uint32_t stat_hi_latch;
    /* RSS (QV_FN_RSS_*): hash types, key, indirection table. */
    uint32_t rss_ctrl;
    uint8_t rss_key[QV_RSS_KEY_BYTES];
    uint8_t rss_reta[QV_RSS_RETA_SIZE];

    /* Management (QV_MG_*), programmed by the PF driver or the host. */
    MACAddr mac;
    uint32_t vlan;
    uint32_t mg_flags;
    uint64_t rx_rate_bps;
    uint32_t rx_burst;
    uint32_t rate_hi_stage; /* QV_MG_RX_RATE_HI until LO commits */
    /*
     * The high word latched by the PF's low-word read of this function's
     * counters (QV_MG_STATS); the function's own reads latch into
     * stat_hi_latch, so a tenant cannot tear the PF's 64-bit reads.
     */
    uint32_t mg_stat_hi_latch;
    uint32_t tx_max_mbps, tx_min_mbps;
    uint32_t prio;
    uint32_t weight;

    /*
     * Host (QMP) ceilings on management fields: QV_MG_HOST_LIMITS, and the
     * ceiling of the field at offset 4 * i in host_cap[i] (qosvnic-mgmt.c).
     */
    uint32_t host_limits;
    uint64_t host_cap[QV_HOST_CAP_FIELDS];

    /* Mailbox: VF side words; the PF side reads/writes the same memory. */
    uint32_t mbx_mem[QV_MBX_WORDS];
    uint32_t mbx_ctrl;      /* QV_MBX_* bits as the VF sees them */
    uint32_t mbx_pf_ctrl;   /* QV_PFMBX_VF_* bits as the PF sees them */
    uint8_t mbx_owner;      /* QV_MBX_OWNER_* (qosvnic_hw.h) */

    /* Statistics, QV_STAT_* (occupancy/peak are derived from part). */
    uint64_t stats[QV_NUM_STATS];

    /* Datapath state. */
    QvTokenBucket rx_tb;
    QvTokenBucket tx_tb;
    QvTxFn tx;
    QvPartition part;
    int32_t drr_deficit;
    bool drr_active;        /* on its class's DRR list */
    bool drr_turn;          /* quantum granted for the current visit */
    uint8_t drr_prio;       /* class whose list it is on */
    uint32_t drr_next;      /* next fn on the DRR list */
    uint32_t rx_gen;        /* bumped when the partition is flushed */
    /* When each vector last sent; QV_IRQ_NEVER after reset. */
    int64_t irq_last_ns[QV_NUM_VECTORS];
    bool irq_deferred[QV_NUM_VECTORS];
    uint32_t mac_hash_next; /* chain in QosvnicState.mac_hash */
    uint32_t mac_hash_bucket; /* bucket it is chained in, or QV_FN_NONE */

    /* QOSVNIC_VF_DROPPING throttle (qosvnic-qmp.c); not migrated. */
    uint32_t drop_seen;     /* bit per QV_STAT_* reason dropped before */
    int64_t drop_last_ns[QV_NUM_STATS];
} QvFunc;

#define QV_FN_NONE              UINT32_MAX

/* For post_load: refuse a migration stream, saying what is wrong in it. */
static inline int qv_load_reject(const char *what)
{
    error_report("qosvnic: migration stream refused: %s", what);
    return -EINVAL;
}

typedef struct QvDrrClass {
    uint32_t head, tail;    /* fn indices, UINT32_MAX = empty */
} QvDrrClass;

#define QV_MAC_HASH_SIZE        256     /* > QV_MAX_FUNCS, power of 2 */

/* ------------------------------------------- embedded switch (esw.c) */
#define QV_RL_REGS              (QV_RULE_STRIDE / 4)

/* One rule as the PF wrote it (QV_RL_*), and its counters. */
typedef struct QvEswRule {
    uint32_t regs[QV_RL_REGS];
    uint64_t packets;
    uint64_t bytes;
    int64_t last_use_ns;    /* 0 = never */
} QvEswRule;

/* A rule's match, decoded when it is committed (not migrated). */
typedef struct QvEswMatch {
    uint32_t fields;        /* QV_RLM_* */
    uint16_t in_port;
    uint16_t vid;
    uint16_t etype;
    uint8_t proto;
    bool frag;
    uint8_t dmac[ETH_ALEN], dmask[ETH_ALEN];
    uint8_t smac[ETH_ALEN], smask[ETH_ALEN];
    uint16_t sport, sport_mask, dport, dport_mask;
} QvEswMatch;

typedef struct QvPolicer {
    uint64_t rate_bits;     /* 0 = lets everything through */
    uint32_t burst;         /* 0 = qv_tb_default_burst() */
    uint32_t rate_hi_stage;
    uint64_t drops;
    QvTokenBucket tb;
} QvPolicer;

/* A frame as the rule table sees it (qosvnic_esw_key()). */
typedef struct QvEswKey {
    uint16_t in_port;
    uint8_t dst[ETH_ALEN], src[ETH_ALEN];
    bool tagged;
    uint16_t vid;
    uint16_t etype;         /* after the outer tag */
    bool ip;                /* IPv4 or IPv6 header present */
    uint8_t proto;
    bool frag;
    bool l4;                /* sport/dport valid */
    uint16_t sport, dport;
} QvEswKey;

/* What the eswitch does with a frame (qosvnic_esw_lookup()). */
typedef struct QvEswVerdict {
    int rule;               /* matching rule, -1 = none (slow path) */
    uint16_t port;          /* where it goes unless dropped */
    bool drop;
    bool pop;
    bool push;
    uint16_t tci;           /* pushed */
    int policer;            /* -1 = none */
} QvEswVerdict;

/* Told of every drop a function counts; see qosvnic-stats.c. */
typedef void QvDropHook(QvFunc *f, unsigned reason);

struct QosvnicState {
    PCIDevice parent_obj;

    NICState *nic;
    NICConf conf;
    bool has_vnet_hdr;         /* peer passes virtio-net headers */
    bool peer_lro;             /* peer may send us GSO frames */
    QEMUTimer *offload_timer;   /* peer_lro turned on after a hold-off */
    int64_t offload_last_ns;    /* when peer_lro last changed */
    bool any_promisc;          /* see qosvnic_rx_filter_update() */
    MemoryRegion mmio;
    MemoryRegion msix;

    /* Properties. */
    uint16_t max_vfs;
    uint32_t buf_size;
    uint32_t line_rate_mbps;
    uint64_t dma_rate_bps;      /* bytes per second */
    uint64_t vf_rx_rate_bps;    /* defaults applied to every VF */
    uint32_t vf_rx_burst;
    uint32_t vf_prio;
    uint32_t vf_weight;
    uint32_t vf_alpha;
    bool vf_spoofchk;
    uint32_t rx_first_len;      /* x-rx-first-len, 0 = off */

    QvFunc funcs[QV_MAX_FUNCS];
    uint16_t num_funcs;         /* 1 + max_vfs */
    QvDropHook *drop_hook;      /* the control plane's, or NULL */
    MSITriggerFunc *bus_msi_trigger; /* the PCI core's, for every function */

    /* Device buffer: cell storage and the frame descriptors using it. */
    uint8_t *cells;             /* buf_size bytes */
    uint32_t *cell_next;        /* chain links, one per cell */
    uint32_t ncells;
    uint32_t buf_bytes;         /* ncells * QV_CELL_SIZE */
    uint32_t free_cell_head;
    uint32_t free_cells;
    uint32_t shared_cells;      /* ncells - sum of reserves */
    uint32_t shared_used;       /* cells borrowed beyond reserves */
    QvFrame *frames;            /* one per cell at most */
    uint32_t free_frame_head;

    /* Classification: exact MAC -> fn, chained hash. */
    uint32_t mac_hash[QV_MAC_HASH_SIZE];

    /* DMA scheduler. */
    QvDrrClass drr[QV_PRIO_CLASSES];
    uint32_t prio_pending;      /* bitmap of classes with work */
    QEMUBH *rx_bh;
    QEMUTimer *dma_timer;       /* modelled DMA bandwidth pacing */
    int64_t dma_next_ns;
    QvTokenBucket dma_tb;       /* the DMA engine's byte budget */
    /* Linear copy of the frame being classified (RX path only). */
    uint8_t rx_buf[QV_MAX_FRAME];
    /*
     * A GSO super-frame for a function that does not take them whole is
     * cut into segments here (rx_seg_pkt), one at a time (rx_seg_buf).
     */
    struct NetTxPkt *rx_seg_pkt;
    uint8_t rx_seg_buf[QV_MAX_FRAME];

    QEMUBH *tx_bh;
    QEMUTimer *tx_timer;        /* egress shaping / line rate pacing */
    uint32_t tx_rr_next;        /* round-robin start among functions */
    int64_t wire_next_ns;
    struct NetTxPkt *tx_pkt;    /* offload engine for the frame in flight */
    uint8_t *tx_frame;          /* QV_TX_MAX_FRAME bytes: that frame */
    QvTokenBucket wire_tb;      /* modelled line rate */
    uint32_t wire_mbps;         /* line rate wire_tb was configured for */
    uint32_t wire_need;         /* != 0: all TX waits for these tokens */
    QEMUTimer *irq_timer;       /* deferred moderated interrupts */
    /* The engines above run only while the VM runs; this restarts them. */
    VMChangeStateEntry *vm_state;

    uint32_t mbx_pending[QV_DEV_MBX_WORDS];

    /* Embedded switch (qosvnic-esw.c). */
    uint32_t esw_mode;          /* QV_ESW_* */
    QvEswRule esw_rules[QV_ESW_NUM_RULES];
    QvEswMatch esw_match[QV_ESW_NUM_RULES];    /* decoded valid rules */
    uint16_t esw_order[QV_ESW_NUM_RULES];      /* valid rules, lookup order */
    uint32_t esw_nvalid;
    QvPolicer esw_pol[QV_ESW_NUM_POLICERS];
    uint64_t esw_miss;
    uint32_t esw_latch;         /* high word of a 64-bit read */
};

struct QosvnicVfState {
    PCIDevice parent_obj;
    MemoryRegion mmio;
    MemoryRegion msix;
};

/* qosvnic-pf.c */
/* The PF's state, from the PF or any of its VFs. */
static inline QosvnicState *qosvnic_from_pci(PCIDevice *d)
{
    return QOSVNIC(pci_is_vf(d) ? pcie_sriov_get_pf(d) : d);
}

/*
 * The PCI device of a function, or NULL while the VF is not enabled
 * (cached in QvFunc.pci: looked up several times per frame).
 */
static inline PCIDevice *qosvnic_fn_pci(QosvnicState *s, uint32_t fn)
{
    return s->funcs[fn].pci;
}

static inline bool qosvnic_fn_enabled(QvFunc *f)
{
    return f->pci != NULL;
}

/* The function's effective link: its QV_MG_FLAGS state, or the backend's. */
static inline bool qosvnic_fn_link_up(QvFunc *f)
{
    switch ((f->mg_flags & QV_MGF_LINK_MASK) >> QV_MGF_LINK_SHIFT) {
    case QV_LINK_ENABLE:
        return true;
    case QV_LINK_DISABLE:
        return false;
    default:
        return !qemu_get_queue(f->dev->nic)->link_down;
    }
}

/* qosvnic-fn.c */
/*
 * Return the function's guest-programmed state to reset values and drop
 * every frame it holds; its management settings (the PF's) are kept.
 */
void qosvnic_fn_reset(QvFunc *f);
/* A write of QV_FN_CTRL: reset, RX/TX enable and their consequences. */
void qosvnic_fn_write_ctrl(QvFunc *f, uint32_t val);
/* Bus mastering on again for @f (NULL: the PF, so every function). */
void qosvnic_fn_dma_resumed(QosvnicState *s, QvFunc *f);
/* Offer GSO to the backend iff every receiving function takes it. */
void qosvnic_update_peer_offloads(QosvnicState *s);
void qosvnic_offload_timer_cb(void *opaque);

/* qosvnic-vf.c */
extern const VMStateDescription vmstate_qosvnic_vf;

/* qosvnic-regs.c */
uint64_t qosvnic_fn_read(QvFunc *f, hwaddr addr, unsigned size);
void qosvnic_fn_write(QvFunc *f, hwaddr addr, uint64_t val, unsigned size);
extern const MemoryRegionOps qosvnic_pf_mmio_ops;
bool qosvnic_write_from_self(QosvnicState *s, uint32_t fn, hwaddr addr,
                             MemTxAttrs attrs);
bool qosvnic_config_write_from_self(QosvnicState *s, PCIDevice *pci,
                                    uint32_t addr);

/* qosvnic-mgmt.c */
/* Defaults (device reset), with the host's values re-applied over them. */
void qosvnic_mgmt_defaults(QvFunc *f);
/*
 * Management fields, one setter each with the field's side effects; used
 * by register writes and by QMP. Values are validated by the caller.
 */
void qosvnic_mg_set_mac(QvFunc *f, const MACAddr *mac);
void qosvnic_mg_set_vlan(QvFunc *f, uint32_t vlan);
void qosvnic_mg_set_flags(QvFunc *f, uint32_t flags);     /* QV_MGF_* */
void qosvnic_mg_set_rx_rate(QvFunc *f, uint64_t bits_per_s);
void qosvnic_mg_set_rx_burst(QvFunc *f, uint32_t bytes);
void qosvnic_mg_set_tx_max(QvFunc *f, uint32_t mbps);
void qosvnic_mg_set_tx_min(QvFunc *f, uint32_t mbps);
void qosvnic_mg_set_prio(QvFunc *f, uint32_t prio);
void qosvnic_mg_set_weight(QvFunc *f, uint32_t weight);
bool qosvnic_mg_set_buf_reserve(QvFunc *f, uint32_t bytes);
void qosvnic_mg_set_buf_alpha(QvFunc *f, uint32_t alpha);
/*
 * Host ceilings, by management register offset (QV_MG_RX_RATE_LO for the
 * rate): install (@limit) or lift the host's ceiling on a field; clamp a
 * guest value to it; re-apply the host's values after a device reset.
 */
void qosvnic_host_set_cap(QvFunc *f, hwaddr reg, uint64_t val, bool limit);
bool qosvnic_host_capped(QvFunc *f, hwaddr reg);
uint64_t qosvnic_host_clamp(QvFunc *f, hwaddr reg, uint64_t val);
void qosvnic_host_reapply(QvFunc *f);
void qosvnic_host_reapply_reserve(QvFunc *f);
/* Subsections of each function's VMState. */
extern const VMStateDescription vmstate_qosvnic_host_caps;
extern const VMStateDescription vmstate_qosvnic_rate_stage;
extern const VMStateDescription vmstate_qosvnic_mg_stat_latch;

/* qosvnic-stats.c */
/* A counter as the registers show it. */
uint64_t qosvnic_stat_value(QvFunc *f, unsigned idx);
/*
 * Count @frames dropped for @reason (QV_STAT_DROP_*, TX_DROP_*) by @f, and
 * tell the device's drop hook.
 */
void qosvnic_stat_drop(QvFunc *f, unsigned reason, uint32_t frames);
/*
 * As qosvnic_stat_drop(), for @frames that admission had accepted into
 * @f's partition and that leave it undelivered (QV_STAT_RX_DISCARDED).
 */
void qosvnic_stat_discard(QvFunc *f, unsigned reason, uint32_t frames);
/* A subsection of each function's VMState: RX_ADMITTED, RX_DISCARDED. */
extern const VMStateDescription vmstate_qosvnic_rx_account;
/* Before a load: the account's counters of a stream without them are 0. */
void qosvnic_stats_pre_load(QosvnicState *s);
/*
 * After a load, the buffer state in place: RX_ADMITTED of functions whose
 * stream left it out, then every account checked (a corrupted stream
 * fails the load).
 */
int qosvnic_stats_post_load(QosvnicState *s);

/* qosvnic-qmp.c */
/* The drop hook that sends QOSVNIC_VF_DROPPING (see qosvnic-stats.c). */
void qosvnic_qmp_drop_hook(QvFunc *f, unsigned reason);

/* qosvnic-irq.c */
void qosvnic_irq_raise(QvFunc *f, uint32_t cause);
void qosvnic_irq_misc(QvFunc *f, uint32_t misc_cause);
/* QV_FN_INT_MASK_CLR, QV_FN_INT_MASK_SET, QV_FN_INT_CAUSE (RW1C). */
void qosvnic_irq_unmask(QvFunc *f, uint32_t causes);
void qosvnic_irq_mask(QvFunc *f, uint32_t causes);
void qosvnic_irq_ack(QvFunc *f, uint32_t causes);
/* Causes, masks and moderation back to their reset state. */
void qosvnic_irq_fn_reset(QvFunc *f);
void qosvnic_irq_timer_cb(void *opaque);
/* Re-arm moderation after migration (the PF's post_load). */
void qosvnic_irq_post_load(QosvnicState *s);
void qosvnic_irq_take_msi_trigger(PCIDevice *pci);

/* qosvnic-tb.c */
/* Rate in bytes/s (kept for the egress shaper); see qv_tb_config_bits. */
void qv_tb_config(QvTokenBucket *tb, uint64_t rate_bytes_per_s,
                  uint64_t burst_bytes, int64_t now_ns);
/*
 * (Re)configure; a no-op when nothing changed, so cheap to call per frame.
 * A bucket that was unlimited starts full.
 */
void qv_tb_config_bits(QvTokenBucket *tb, uint64_t rate_bits_per_s,
                       uint64_t burst_bytes, int64_t now_ns);
void qv_tb_reset(QvTokenBucket *tb, int64_t now_ns);
/* Would @bytes conform now? Refills, takes nothing. */
bool qv_tb_conform(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns);
/* Take @bytes; only after qv_tb_conform() said yes at the same time. */
void qv_tb_consume(QvTokenBucket *tb, uint64_t bytes);
/*
 * Charge @bytes, going into debt if the bucket holds fewer: a shaper
 * charges what was really sent, and the debt delays what follows.
 */
void qv_tb_charge(QvTokenBucket *tb, uint64_t bytes);
bool qv_tb_take(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns);
/*
 * Nanoseconds until @bytes tokens will be available (0 = now,
 * INT64_MAX = never: @bytes exceeds the burst).
 */
int64_t qv_tb_wait_ns(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns);
/*
 * @now_ns + @wait_ns, or INT64_MAX (never) where the sum would wrap: a
 * wrapped deadline is in the past, and a timer armed there fires at once,
 * for ever.
 */
static inline int64_t qv_tb_deadline(int64_t now_ns, int64_t wait_ns)
{
    return wait_ns >= INT64_MAX - now_ns ? INT64_MAX : now_ns + wait_ns;
}
/*
 * For a bucket loaded from a migration stream: false if its fields are
 * out of range; a refill time in the future (the destination's clock may
 * be behind the source's) becomes @now.
 */
bool qv_tb_post_load(QvTokenBucket *tb, int64_t now_ns);
/* Ingress burst used when QV_MG_RX_BURST is 0. */
uint64_t qv_tb_default_burst(uint64_t rate_bits_per_s);
extern const VMStateDescription vmstate_qv_token_bucket;

/* qosvnic-buf.c */
/*
 * Allocate the cells (realize) and apply the default partitioning. Needs
 * num_funcs, buf_size and vf_alpha set.
 */
void qosvnic_buf_init(QosvnicState *s);
void qosvnic_buf_free(QosvnicState *s);
/* Device reset: drop every held frame, default reserves and alphas. */
void qosvnic_buf_reset(QosvnicState *s);
/* A function's default reserve, bytes: half the buffer split evenly. */
uint32_t qosvnic_buf_default_reserve(QosvnicState *s);
/*
 * Guest/host write of QV_MG_BUF_RESERVE; false (and value unchanged) if
 * the sum of reserves would exceed the buffer.
 */
bool qosvnic_buf_set_reserve(QosvnicState *s, QvFunc *f, uint32_t bytes);
uint32_t qosvnic_buf_reserve_bytes(QvFunc *f);
/* Largest reserve @f can have with the others' reserves as they are. */
uint32_t qosvnic_buf_reserve_limit(QosvnicState *s, QvFunc *f);
void qosvnic_buf_set_alpha(QvFunc *f, uint32_t alpha);
uint32_t qosvnic_buf_shared_free_bytes(QosvnicState *s);
/* QV_STAT_BUF_OCCUPANCY / QV_STAT_BUF_PEAK, bytes; writing PEAK clears. */
static inline uint64_t qosvnic_buf_occupancy_bytes(QvFunc *f)
{
    return (uint64_t)f->part.used_cells * QV_CELL_SIZE;
}

static inline uint64_t qosvnic_buf_peak_bytes(QvFunc *f)
{
    return (uint64_t)f->part.peak_cells * QV_CELL_SIZE;
}
void qosvnic_buf_clear_peak(QvFunc *f);
/* Store a frame in @f's partition if admitted; false = no room. */
bool qosvnic_buf_store(QosvnicState *s, QvFunc *f, const struct iovec *iov,
                       int iovcnt, size_t offset, size_t len,
                       const QvFrame *meta);
/* The frame at the head of RX queue @q's FIFO, or NULL. */
QvFrame *qosvnic_buf_peek(QosvnicState *s, QvFunc *f, unsigned q);
/* Copy @len bytes from @fr starting at @off into @dst. */
void qosvnic_buf_read(QosvnicState *s, QvFrame *fr, size_t off,
                      void *dst, size_t len);
/* Walk a frame's bytes as contiguous pieces of host memory. */
typedef struct QvBufCursor {
    uint32_t cell;
    uint32_t off;           /* within the cell */
    uint32_t left;          /* bytes of the frame not yet returned */
} QvBufCursor;
void qosvnic_buf_cursor_init(QosvnicState *s, QvFrame *fr, QvBufCursor *c);
/* Next piece of at most @max bytes; returns its length (0 at the end). */
size_t qosvnic_buf_cursor_next(QosvnicState *s, QvBufCursor *c,
                               size_t max, const uint8_t **p);
void qosvnic_buf_pop(QosvnicState *s, QvFunc *f, unsigned q);
/*
 * Drop every frame held for @f (function reset, FLR, ring error). Returns
 * how many frames were dropped.
 */
uint32_t qosvnic_buf_flush(QosvnicState *s, QvFunc *f);
/*
 * Cells, frame chains, partitions, token buckets; a subsection of the
 * PF's VMState, and the RX queues of held frames, another. The PF's
 * post_load checks them with qosvnic_buf_post_load() once both are in,
 * then rebuilds what depends on them (MAC table, scheduler lists).
 */
extern const VMStateDescription vmstate_qosvnic_buf;
extern const VMStateDescription vmstate_qosvnic_buf_queues;
int qosvnic_buf_post_load(QosvnicState *s);

/* qosvnic-rx.c */
/* (Re)insert f->mac into the classifier (@f remembers its chain). */
void qosvnic_mac_table_update(QosvnicState *s, QvFunc *f);
/* Call after a change to any function's RX filter, trust or reset. */
void qosvnic_rx_filter_update(QosvnicState *s);
void qosvnic_mac_table_rebuild(QosvnicState *s);
QvFunc *qosvnic_mac_lookup(QosvnicState *s, const uint8_t *mac);
/*
 * Apply f->rx_rate_bps / f->rx_burst to f->rx_tb (management writes,
 * reset); admission also does this lazily per frame.
 */
void qosvnic_rx_tb_apply(QvFunc *f, int64_t now_ns);
void qosvnic_rx_init(QosvnicState *s);      /* realize: segmentation */
void qosvnic_rx_uninit(QosvnicState *s);    /* exit */
/* Does @f take GSO super-frames whole (QV_OFF_LRO with QV_OFF_RX_CSUM)? */
bool qosvnic_fn_takes_gso(const QvFunc *f);
/* Deliver a frame (from the wire or the internal switch) to its owners. */
void qosvnic_rx_frame(QosvnicState *s, const struct iovec *iov, int iovcnt,
                      bool from_loopback, uint32_t src_fn);
/*
 * A frame for function @fn alone, through its receive admission without
 * classification (switchdev, or a PF's context descriptor); @src_port is
 * the port it came from, which the PF gets in switchdev mode.
 */
void qosvnic_rx_to_port(QosvnicState *s, uint32_t fn,
                        const struct iovec *iov, int iovcnt,
                        uint16_t src_port);
/*
 * Same, with a virtio-net header describing GSO/checksum state (may be
 * NULL); for the internal switch to hand over TSO frames unsegmented.
 */
struct virtio_net_hdr;
void qosvnic_rx_frame_vnet(QosvnicState *s, const struct iovec *iov,
                           int iovcnt, const struct virtio_net_hdr *vh,
                           bool from_loopback, uint32_t src_fn);
ssize_t qosvnic_nc_receive_iov(NetClientState *nc, const struct iovec *iov,
                               int iovcnt);
bool qosvnic_nc_can_receive(NetClientState *nc);

/* qosvnic-sched.c */
/* Empty the DRR lists, stop the DMA timer (device reset). */
void qosvnic_sched_reset(QosvnicState *s);
/* After migration: the DRR lists again from the partitions' frames. */
void qosvnic_sched_rebuild(QosvnicState *s);
/*
 * @f has new frames or new RX descriptors (RX_TAIL write, RX enable);
 * NULL = re-examine every function (bus master / VF enable, post_load).
 */
void qosvnic_sched_kick(QosvnicState *s, QvFunc *f);
void qosvnic_sched_bh(void *opaque);
void qosvnic_sched_remove(QosvnicState *s, QvFunc *f);
/* The DMA pacing timer: only schedules the guarded BH. */
void qosvnic_dma_timer_cb(void *opaque);

/* qosvnic-rss.c */
/* The Toeplitz hash of @len bytes of @data with a 40-byte @key. */
uint32_t qosvnic_rss_toeplitz(const uint8_t *key, const uint8_t *data,
                              size_t len);
/*
 * The RSS hash type (QV_RSS_TYPE_*, 0 = none) and hash of the frame of
 * @len bytes at @d (Ethernet header first, 802.1Q tag allowed) for the
 * hash types @ctrl enables (QV_RSS_*) and @key.
 */
unsigned qosvnic_rss_hash(uint32_t ctrl, const uint8_t *key,
                          const uint8_t *d, size_t len, uint32_t *hash);

/* qosvnic-ring.c */
/*
 * What is wrong with @f's RX (TX) ring of queue @q as programmed; NULL if
 * usable.
 */
const char *qosvnic_rx_ring_problem(QvFunc *f, unsigned q);
const char *qosvnic_tx_ring_problem(QvFunc *f, unsigned q);
/* Free RX descriptors the device may fill now (0 if the ring is unusable). */
uint32_t qosvnic_rx_ring_avail(QvFunc *f, unsigned q);
/* The interrupt cause of a completion on RX (TX) queue @q. */
static inline uint32_t qosvnic_q_cause(unsigned q, bool tx)
{
    return q ? QV_INT_QP(q) : tx ? QV_INT_TX : QV_INT_RX;
}
/*
 * Descriptor I/O, as the function @pci (its requester ID, its bus master
 * bit); false if the DMA failed. Inline: they run per descriptor.
 */
static inline dma_addr_t qosvnic_ring_desc(uint64_t base, uint32_t idx,
                                           uint32_t desc_size)
{
    return base + (dma_addr_t)idx * desc_size;
}

static inline bool qosvnic_rxd_read_addr(PCIDevice *pci, dma_addr_t desc,
                                         uint64_t *addr)
{
    return ldq_le_pci_dma(pci, desc + QV_RXD_ADDR, addr,
                          MEMTXATTRS_UNSPECIFIED) == MEMTX_OK;
}

/* Bytes 8..15 (len, status, vlan, gso_size) in one aligned store. */
static inline bool qosvnic_rxd_write_back(PCIDevice *pci, dma_addr_t desc,
                                          uint64_t wb)
{
    return stq_le_pci_dma(pci, desc + QV_RXD_LEN, wb,
                          MEMTXATTRS_UNSPECIFIED) == MEMTX_OK;
}

/*
 * The source port (QV_RXD_STA_SRC_PORT), over bytes 4..5 of the buffer
 * address; written before the write-back that sets DD.
 */
static inline bool qosvnic_rxd_write_src_port(PCIDevice *pci, dma_addr_t desc,
                                              uint16_t port)
{
    return stw_le_pci_dma(pci, desc + QV_RXD_SRC_PORT, port,
                          MEMTXATTRS_UNSPECIFIED) == MEMTX_OK;
}

/* The RSS hash (QV_RXD_STA_RSS_MASK), over bytes 0..3 of the address. */
static inline bool qosvnic_rxd_write_rss(PCIDevice *pci, dma_addr_t desc,
                                         uint32_t hash)
{
    return stl_le_pci_dma(pci, desc + QV_RXD_RSS_HASH, hash,
                          MEMTXATTRS_UNSPECIFIED) == MEMTX_OK;
}

static inline bool qosvnic_txd_fetch(PCIDevice *pci, dma_addr_t desc,
                                     uint8_t buf[QV_TXD_SIZE])
{
    return pci_dma_read(pci, desc, buf, QV_TXD_SIZE) == MEMTX_OK;
}

static inline bool qosvnic_txd_set_status(PCIDevice *pci, dma_addr_t desc,
                                          uint8_t status)
{
    return pci_dma_write(pci, desc + QV_TXD_STATUS, &status, 1) == MEMTX_OK;
}

/* qosvnic-tx.c: one frame, and qosvnic-tx-sched.c: the TX engine */
/*
 * Egress bucket depth: two maximal frames, so that a function at its rate
 * can always send a full TSO frame and keep the next one ready.
 */
#define QV_TX_BURST             (2 * QV_TX_MAX_FRAME)
/*
 * Most credit a function below its minimum share can bank. A frame for
 * the wire waits until the wire bucket holds its bytes, up to QV_TX_BURST,
 * and the whole engine waits with it (the device has one port); it then
 * leaves the rest of its wire bytes as debt that all TX waits out. Through
 * both waits a guaranteed function earns at most what the frame puts on
 * the wire, QV_TSO_WIRE_MAX, and banks it all. Before, it banked 64 KiB:
 * a guarantee above half the line rate lost the rest next to another
 * tenant's largest TSO frames. It also bounds the debt a function that
 * sent beyond its guarantee (on an idle line) owes: one largest frame's
 * worth, charged in full.
 */
#define QV_TX_MIN_CREDIT_MAX    QV_TSO_WIRE_MAX
#define QV_MBPS_TO_BYTES(m)     ((uint64_t)(m) * 1000000 / 8)

typedef enum QvTxResult {
    QV_TX_IDLE,         /* nothing to do: empty ring or incomplete frame */
    QV_TX_DONE,         /* one frame consumed (sent or dropped) */
    QV_TX_THROTTLED,    /* the function is over its rate */
    QV_TX_WIRE_BUSY,    /* line rate reached: all TX waits */
    QV_TX_STOPPED,      /* the ring was stopped on an error */
    QV_TX_CONTINUE,     /* (between stages) the frame goes on */
} QvTxResult;

void qosvnic_tx_init(QosvnicState *s);      /* realize: frame buffers */
void qosvnic_tx_uninit(QosvnicState *s);    /* exit */
/*
 * Serves the frame at the head of @f's ring; it is consumed (sent or
 * dropped) only on QV_TX_DONE, then *@segs says how many frames it became
 * on the wire and in the switch (a flooded frame once per function it
 * goes to). Runs under the PF's reentrancy guard.
 */
QvTxResult qosvnic_tx_frame(QosvnicState *s, QvFunc *f, unsigned q,
                            int64_t now, uint32_t *segs);
/* True while the function has sent less than its minimum share. */
bool qosvnic_tx_below_min(QvFunc *f, int64_t now);

void qosvnic_tx_reset(QosvnicState *s);     /* device reset, after fn resets */
void qosvnic_tx_fn_reset(QvFunc *f);        /* function reset / FLR */
/*
 * A TX_TAIL write, TX enabled, a ceiling changed: schedule the TX engine's
 * bottom half (never runs it).
 */
void qosvnic_tx_kick(QosvnicState *s);
/* The ring was re-programmed (base, size) or TX enabled: look at it anew. */
void qosvnic_tx_ring_changed(QvFunc *f);
void qosvnic_tx_bh(void *opaque);
void qosvnic_tx_timer_cb(void *opaque);
/* TX state beyond the registers; a subsection of the PF. */
extern const VMStateDescription vmstate_qosvnic_tx;

/* qosvnic-esw.c */
/* Realize and device reset: legacy mode, no rules, policers off, counters 0. */
void qosvnic_esw_reset(QosvnicState *s);
static inline bool qosvnic_esw_switchdev(QosvnicState *s)
{
    return s->esw_mode == QV_ESW_SWITCHDEV;
}
/* Is @port a port of this device (a function or the uplink)? */
bool qosvnic_esw_port_valid(QosvnicState *s, uint32_t port);
/* QV_DEV_ESW_* and QV_DEV_CLOCK_* reads and writes. */
uint64_t qosvnic_esw_dev_read(QosvnicState *s, hwaddr addr);
void qosvnic_esw_dev_write(QosvnicState *s, hwaddr addr, uint32_t val);
/* The rule, rule counter and policer windows (QV_RULE_BASE..QV_ESW_END). */
uint64_t qosvnic_esw_read(QosvnicState *s, hwaddr addr);
void qosvnic_esw_write(QosvnicState *s, hwaddr addr, uint32_t val);
/*
 * @len bytes of frame at @d entering the switch at @in_port; @tci >= 0 is
 * an 802.1Q tag the device inserts in front of any tag the frame has.
 */
void qosvnic_esw_key(const uint8_t *d, size_t len, int tci, uint16_t in_port,
                     QvEswKey *k);
/* The first matching rule's verdict, or the slow path to the PF. */
void qosvnic_esw_lookup(QosvnicState *s, const QvEswKey *k, QvEswVerdict *v);
/*
 * A frame of @len bytes took @v: count it on its rule (or as a miss) and
 * pass it through the rule's policer; false if the policer refused it.
 */
bool qosvnic_esw_pass(QosvnicState *s, const QvEswVerdict *v, size_t len,
                      int64_t now);
/*
 * @v's VLAN pop (of a tag the frame has) and push. On an iovec: @out gets
 * the edited frame (pointing into @iov and @tag) in at most @max entries;
 * returns their count, -1 if nothing changes, 0 if it does not fit. In
 * place in a buffer of @cap bytes: returns the new length, 0 if it would
 * not fit.
 */
int qosvnic_esw_edit_iov(const QvEswVerdict *v, const struct iovec *iov,
                         int iovcnt, struct iovec *out, int max,
                         uint8_t tag[4]);
size_t qosvnic_esw_edit_buf(const QvEswVerdict *v, uint8_t *d, size_t len,
                            size_t cap);
/*
 * Mode, rules, policers, counters, frames' source ports; a subsection,
 * checked by qosvnic_esw_post_load() after the buffer's frames.
 */
extern const VMStateDescription vmstate_qosvnic_esw;
int qosvnic_esw_post_load(QosvnicState *s);

/* qosvnic-mbx.c */
void qosvnic_mbx_vf_write(QvFunc *f, uint32_t val);     /* QV_FN_MBX_CTRL */
void qosvnic_mbx_pf_write(QvFunc *f, uint32_t val);     /* QV_MG_MBX_CTRL */
/* QV_FN_MBX_CTRL and QV_MG_MBX_CTRL as read, the owner included. */
uint32_t qosvnic_mbx_vf_ctrl(QvFunc *f);
uint32_t qosvnic_mbx_pf_ctrl(QvFunc *f);
/*
 * A write to mbx_mem[idx] from the VF (QV_FN_MBX_MEM) or the PF
 * (QV_MG_MBX_MEM); dropped if the other side owns the memory.
 */
void qosvnic_mbx_mem_write(QvFunc *f, bool from_pf, unsigned idx,
                           uint32_t val);
void qosvnic_mbx_reset(QvFunc *f);
void qosvnic_mbx_forget(QvFunc *f);
/* Every function's mailbox and the pending bitmap; a subsection. */
extern const VMStateDescription vmstate_qosvnic_mbx;

#endif
