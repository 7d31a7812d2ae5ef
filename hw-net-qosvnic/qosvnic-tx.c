/*
 * qosvnic: transmit path, one frame.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every function (PF and VFs) has one TX descriptor ring in its owner's
 * memory. The TX engine (qosvnic-tx-sched.c) picks a function and calls
 * qosvnic_tx_frame() for the frame at the head of its ring, which takes
 * it through these stages, one function each:
 *   fetch    descriptors from the head until QV_TXD_EOP, data copied into
 *            s->tx_frame (one checked pci_dma_read per descriptor, as the
 *            function: its requester ID and bus-master bit apply)
 *   validate length, MTU, link, then anti-spoofing (source MAC, port VLAN)
 *   offload  port VLAN / descriptor VLAN insert, L4 checksum, TSO, through
 *            QEMU's NetTxPkt; gives the bytes and frames it puts on the wire
 *   switch   the internal switch: in legacy mode the VEB, to another
 *            function through its receive admission and/or to the wire;
 *            in switchdev mode the rule table (qosvnic-esw.c) for a VF's
 *            frame, the context descriptor's port for the PF's
 *   shape    the function's egress token bucket (QvFunc.tx_tb), then the
 *            modelled line rate for frames that go to the wire
 *   emit     to the switch and/or the backend
 *   complete status byte of every descriptor of the frame (DD, plus ERR if
 *            the frame was dropped), head advanced
 * A stage that drops the frame says why (QvTxFrame.why) and the frame is
 * completed with ERR.
 *
 * Byte accounting (shaper, line rate, min-share meter, TX_BYTES) counts
 * what goes on the wire: every TSO segment with its own headers, inserted
 * VLAN tags included, without FCS or padding. A frame dropped before the
 * shaper costs the shaper and the min-share meter what it made the device
 * fetch, at least a minimum frame.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "hw/pci/pci_device.h"
#include "standard-headers/linux/virtio_net.h"
#include "hw/net/net_tx_pkt.h"
#include "qosvnic.h"
#include "trace.h"

/*
 * The frame in flight, filled in stage by stage (qosvnic_tx_frame); its
 * bytes are in s->tx_frame.
 */
typedef struct QvTxFrame {
    QvFunc *f;
    unsigned q;             /* the TX queue it comes from */
    QvRing *r;              /* ... and that queue's ring */
    PCIDevice *pci;         /* DMA as this function */
    uint32_t ndesc;         /* descriptors it spans, completed together */
    uint64_t len;           /* bytes fetched */
    uint8_t cmd;            /* QV_TXD_* of the first descriptor */
    uint16_t mss;
    uint16_t desc_vlan;
    int tci;                /* tag the device inserts, -1 = none */
    uint16_t vid;           /* VLAN it leaves on, 0 = none */
    bool parsed;            /* NetTxPkt understood its headers */
    uint32_t nsegs;         /* frames it becomes on the wire */
    uint64_t wire;          /* bytes of those frames */
    bool to_loop;           /* to other functions (internal switch) */
    bool to_wire;
    bool vnet;              /* the wire copy carries a virtio-net header */
    bool bad_chain;         /* no EOP in QV_TX_MAX_DESC or in the ring */
    bool has_dport;         /* led by a QV_TXD_CTX_DPORT descriptor */
    uint16_t dport;
    bool esw;               /* switchdev: goes where esw says */
    QvEswVerdict v;         /* ... and this is where */
    int64_t now;
    unsigned drop_stat;     /* QV_STAT_* it is dropped under ... */
    const char *why;        /* ... and why (NULL: not dropped) */
} QvTxFrame;

static void qosvnic_tx_ring_error(QvFunc *f, unsigned q, const char *why)
{
    QvRing *r = &f->txq[q];

    qemu_log_mask(LOG_GUEST_ERROR,
                  "qosvnic: fn %u: TX ring stopped: %s (queue %u base 0x%"
                  PRIx64 " size %u head %u tail %u)\n", f->fn, why, q,
                  r->base, r->size, r->head, r->tail);
    trace_qosvnic_tx_ring_error(f->fn, why);
    f->status_err |= QV_STATUS_TX_RING_ERR;
    qosvnic_irq_misc(f, QV_MISC_RING_ERR);
}

/* Checks the ring as programmed; stops it with an error if it is bad. */
static bool qosvnic_tx_ring_valid(QvFunc *f, unsigned q)
{
    const char *why = qosvnic_tx_ring_problem(f, q);

    if (why) {
        qosvnic_tx_ring_error(f, q, why);
    }
    return !why;
}

/*
 * Minimum-share meter (QV_MG_TX_MIN_RATE): credit earned at the guaranteed
 * rate, charged by the shape stage with the wire bytes sent; the engine
 * serves functions with positive credit first (qosvnic_tx_below_min).
 */
static void qosvnic_tx_min_refill(QvFunc *f, int64_t now)
{
    const int64_t cap = (int64_t)QV_TX_MIN_CREDIT_MAX * NANOSECONDS_PER_SECOND;
    uint64_t rate = QV_MBPS_TO_BYTES(f->tx.min_mbps);
    int64_t dt = now - f->tx.min_last_ns;

    f->tx.min_last_ns = now;
    if (!rate || dt <= 0) {
        return;
    }
    /* Compare before multiplying: rate * dt may not fit in 64 bits. */
    if ((uint64_t)dt >= (uint64_t)(cap - f->tx.min_credit) / rate) {
        f->tx.min_credit = cap;
    } else {
        f->tx.min_credit += rate * dt;
    }
}

/* True while the function has sent less than its minimum share. */
bool qosvnic_tx_below_min(QvFunc *f, int64_t now)
{
    if (!f->tx.min_mbps) {
        return false;
    }
    qosvnic_tx_min_refill(f, now);
    return f->tx.min_credit > 0;
}

static void qosvnic_tx_min_charge(QvFunc *f, uint64_t bytes, int64_t now)
{
    const int64_t floor = -(int64_t)QV_TX_MIN_CREDIT_MAX *
                          NANOSECONDS_PER_SECOND;

    if (!f->tx.min_mbps) {
        return;
    }
    qosvnic_tx_min_refill(f, now);
    f->tx.min_credit = MAX(floor, f->tx.min_credit -
                           (int64_t)bytes * NANOSECONDS_PER_SECOND);
}

static void qosvnic_tx_frag_noop(void *ctx, void *base, size_t len)
{
    /* s->tx_frame is ours: nothing was mapped. */
}

/*
 * Completes @ndesc descriptors from the head: sets the status byte of
 * each, then advances the head. The status write is the only DMA write of
 * the TX path.
 */
static void qosvnic_tx_complete(QvTxFrame *fr, bool err)
{
    QvFunc *f = fr->f;
    QvRing *r = fr->r;
    PCIDevice *d = fr->pci;
    uint32_t n = r->size / QV_TXD_SIZE, ndesc = fr->ndesc;
    uint8_t sta = QV_TXD_STA_DD | (err ? QV_TXD_STA_ERR : 0);
    bool dma_err = false;
    uint32_t i, idx;

    for (i = 0, idx = r->head; i < ndesc; i++, idx = (idx + 1) % n) {
        dma_addr_t a = qosvnic_ring_desc(r->base, idx, QV_TXD_SIZE);

        if (!qosvnic_txd_set_status(d, a, sta)) {
            trace_qosvnic_tx_dma_error(f->fn, "status write-back", a);
            dma_err = true;
        }
    }
    r->head = idx;
    trace_qosvnic_tx_complete(f->fn, ndesc, err, r->head);
    if (dma_err) {
        qosvnic_tx_ring_error(f, fr->q, "descriptor write-back failed");
    }
}

static void qosvnic_tx_drop(QvTxFrame *fr)
{
    QvFunc *f = fr->f;

    qosvnic_stat_drop(f, fr->drop_stat, 1);
    trace_qosvnic_tx_drop(f->fn, fr->why);
    qosvnic_tx_complete(fr, true);
}

/*
 * The frame's length without Ethernet padding. Drivers pad short frames to
 * 60 bytes, and NetTxPkt takes everything after the headers as L4 payload,
 * so with checksum offload the padding would enter the checksum and the
 * pseudo header's length (a padded UDP datagram or TCP ACK would leave
 * with a wrong checksum). Hardware checksums by the IP length; so do we.
 */
static size_t qosvnic_tx_unpadded_len(const uint8_t *frame, size_t len)
{
    size_t l3 = ETH_HLEN, end;
    uint16_t proto = lduw_be_p(frame + 12);

    if (proto == ETH_P_VLAN && len >= ETH_HLEN + 4) {
        proto = lduw_be_p(frame + 16);
        l3 += 4;
    }
    if (proto == ETH_P_IP && len >= l3 + 20) {
        end = l3 + lduw_be_p(frame + l3 + 2);
        return end >= l3 + 20 && end < len ? end : len;
    }
    if (proto == ETH_P_IPV6 && len >= l3 + 40) {
        uint16_t plen = lduw_be_p(frame + l3 + 4);

        /* Payload length 0 is a jumbogram: leave it alone. */
        end = l3 + 40 + plen;
        return plen && end < len ? end : len;
    }
    return len;
}

/*
 * Port VLAN. Returns false if the frame must be dropped as spoofed; sets
 * fr->tci to the tag to insert (-1 for none) and fr->vid to the VLAN the
 * frame leaves on (0 for none).
 *
 * The port VLAN is forced whatever spoofchk and trust say, as on real
 * NICs: those relax the source MAC check, never the tenant's VLAN. A
 * frame the VF tagged itself must carry the port VLAN, and its tag is
 * rewritten to the port's (priority included).
 */
static bool qosvnic_tx_check_vlan(QvFunc *f, uint8_t *frame, QvTxFrame *fr)
{
    uint16_t port_vid = f->vlan & QV_VLAN_VID_MASK;
    uint16_t port_tci = port_vid | (((f->vlan & QV_VLAN_QOS_MASK) >>
                                     QV_VLAN_QOS_SHIFT) << 13);
    bool tagged = lduw_be_p(frame + 12) == ETH_P_VLAN && fr->len >= 18;
    uint16_t vid = tagged ? lduw_be_p(frame + 14) & QV_VLAN_VID_MASK : 0;

    fr->tci = -1;
    if (port_vid) {
        if (tagged && vid != port_vid) {
            return false;
        }
        if (tagged) {
            stw_be_p(frame + 14, port_tci);
        } else {
            fr->tci = port_tci;
        }
        fr->vid = port_vid;
        return true;
    }
    if (fr->cmd & QV_TXD_VLAN_INS) {
        fr->tci = fr->desc_vlan;
        fr->vid = fr->desc_vlan & QV_VLAN_VID_MASK;
    } else {
        fr->vid = vid;
    }
    return true;
}

/* Marks the frame as dropped under @stat; it is completed with ERR. */
static bool qv_tx_reject(QvTxFrame *fr, unsigned stat, const char *why)
{
    fr->drop_stat = stat;
    fr->why = why;
    return false;
}

/* Notes the first thing wrong with the frame's descriptors or data. */
static void qv_tx_malformed(QvTxFrame *fr, const char *why)
{
    if (!fr->why) {
        fr->why = why;
    }
}

/*
 * Reads descriptor @idx of @fr's ring and appends its data to s->tx_frame.
 * Returns false (the ring is stopped) if the descriptor itself cannot be
 * read; a bad buffer only makes the frame malformed.
 */
static bool qv_tx_fetch_desc(QosvnicState *s, QvTxFrame *fr, uint32_t idx,
                             bool *eop)
{
    QvFunc *f = fr->f;
    dma_addr_t da = qosvnic_ring_desc(fr->r->base, idx, QV_TXD_SIZE);
    uint8_t desc[QV_TXD_SIZE];
    uint64_t addr;
    uint16_t dlen;

    if (!qosvnic_txd_fetch(fr->pci, da, desc)) {
        trace_qosvnic_tx_dma_error(f->fn, "descriptor fetch", da);
        qosvnic_tx_ring_error(f, fr->q, "descriptor fetch failed");
        return false;
    }
    addr = ldq_le_p(desc + QV_TXD_ADDR);
    dlen = lduw_le_p(desc + QV_TXD_LEN);
    trace_qosvnic_tx_desc(f->fn, idx, dlen, desc[QV_TXD_CMD]);
    *eop = desc[QV_TXD_CMD] & QV_TXD_EOP;
    if (desc[QV_TXD_CMD] & QV_TXD_CTX_DPORT) {
        /* A context descriptor: no data, the port of the frame after it. */
        if (fr->ndesc++ || desc[QV_TXD_CMD] != QV_TXD_CTX_DPORT) {
            qv_tx_malformed(fr, "misplaced context descriptor");
        }
        fr->has_dport = true;
        fr->dport = addr & 0xffff;
        return true;
    }
    if (fr->ndesc++ == fr->has_dport) {
        fr->cmd = desc[QV_TXD_CMD];
        fr->mss = lduw_le_p(desc + QV_TXD_MSS);
        fr->desc_vlan = lduw_le_p(desc + QV_TXD_VLAN);
    }

    if (!dlen) {
        /* The contract makes a zero length invalid. */
        qv_tx_malformed(fr, "zero-length descriptor");
    } else if (fr->why) {
        /* Already malformed: only the descriptors are still counted. */
    } else if (fr->len + dlen > QV_TX_MAX_FRAME) {
        qv_tx_malformed(fr, "longer than 64 KiB");
    } else if (pci_dma_read(fr->pci, addr, s->tx_frame + fr->len, dlen)
               != MEMTX_OK) {
        trace_qosvnic_tx_dma_error(f->fn, "buffer read", addr);
        qv_tx_malformed(fr, "buffer not readable");
    } else {
        fr->len += dlen;
    }
    return true;
}

/*
 * Fetch: the descriptors from the head up to the first EOP, at most
 * QV_TX_MAX_DESC of them. QV_TX_IDLE if the driver has not posted the
 * whole frame yet, QV_TX_STOPPED if the ring was stopped; else
 * QV_TX_CONTINUE with the frame (perhaps malformed, see fr->why) spanning
 * fr->ndesc descriptors.
 */
static QvTxResult qv_tx_fetch(QosvnicState *s, QvTxFrame *fr)
{
    QvFunc *f = fr->f;
    QvRing *r = fr->r;
    uint32_t n, avail, i, idx;
    bool eop = false;

    if (!qosvnic_tx_ring_valid(f, fr->q)) {
        return QV_TX_STOPPED;
    }
    n = r->size / QV_TXD_SIZE;
    avail = (r->tail + n - r->head) % n;
    for (i = 0, idx = r->head; i < MIN(avail, QV_TX_MAX_DESC) && !eop;
         i++, idx = (idx + 1) % n) {
        if (!qv_tx_fetch_desc(s, fr, idx, &eop)) {
            return QV_TX_STOPPED;
        }
    }
    if (!eop && i == QV_TX_MAX_DESC) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TX frame spans more "
                      "than %u descriptors\n", f->fn, QV_TX_MAX_DESC);
        qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "too many descriptors");
        fr->bad_chain = true;
        return QV_TX_CONTINUE;
    }
    if (!eop) {
        if (avail < n - 1) {
            /*
             * The driver has not posted the rest of the frame yet: wait
             * for the tail to move rather than fetch all this again on
             * every run of the engine.
             */
            f->tx.incomplete[fr->q] = true;
            f->tx.incomplete_tail[fr->q] = r->tail;
            return QV_TX_IDLE;
        }
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TX descriptor chain "
                      "fills the ring without EOP\n", f->fn);
        qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "no EOP in ring");
        fr->bad_chain = true;
        return QV_TX_CONTINUE;
    }
    trace_qosvnic_tx_frame(f->fn, fr->ndesc, fr->len, fr->cmd, fr->mss);
    return QV_TX_CONTINUE;
}

/*
 * Longest frame @f may send without TSO: its MTU (QV_FN_MTU) plus the
 * Ethernet header and the tag the driver put in, if any.
 */
static uint64_t qv_tx_max_len(QvFunc *f, const uint8_t *frame)
{
    uint32_t mtu = f->mtu ? f->mtu : QV_MTU_DEFAULT;

    return mtu + ETH_HLEN + (lduw_be_p(frame + 12) == ETH_P_VLAN ? 4 : 0);
}

/* Validate: well-formed, within the MTU, link up, not spoofed. */
static bool qv_tx_validate(QosvnicState *s, QvTxFrame *fr)
{
    QvFunc *f = fr->f;
    bool checked;

    if (!fr->why && fr->len < ETH_HLEN) {
        fr->why = "shorter than 14";
    }
    if (!fr->why && fr->has_dport) {
        if (f->fn || !qosvnic_esw_switchdev(s)) {
            fr->why = "context descriptor outside the PF's switchdev mode";
        } else if (!fr->dport || !qosvnic_esw_port_valid(s, fr->dport)) {
            fr->why = "context descriptor names no port";
        }
    }
    if (fr->why) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TX frame dropped: "
                      "%s\n", f->fn, fr->why);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, fr->why);
    }
    if (!(fr->cmd & QV_TXD_TSO) && fr->len > qv_tx_max_len(f, s->tx_frame)) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TX frame of %" PRIu64
                      " bytes above MTU %u: dropped\n", f->fn, fr->len,
                      f->mtu);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "longer than the MTU");
    }
    if (!qosvnic_fn_link_up(f)) {
        return qv_tx_reject(fr, QV_STAT_TX_DROP_LINK_DOWN, "link down");
    }

    /* Anti-spoofing: the source MAC (spoofchk), the port VLAN (always). */
    checked = (f->mg_flags & QV_MGF_SPOOFCHK) && !(f->mg_flags & QV_MGF_TRUST);
    if (checked && memcmp(s->tx_frame + ETH_ALEN, f->mac.a, ETH_ALEN)) {
        return qv_tx_reject(fr, QV_STAT_TX_DROP_SPOOF, "source MAC");
    }
    if (!qosvnic_tx_check_vlan(f, s->tx_frame, fr)) {
        return qv_tx_reject(fr, QV_STAT_TX_DROP_SPOOF, "VLAN");
    }
    return true;
}

/* TSO: the segments' count and wire bytes, checksums of the headers. */
static bool qv_tx_tso(QosvnicState *s, QvTxFrame *fr)
{
    struct NetTxPkt *pkt = s->tx_pkt;
    struct virtio_net_hdr *vh = net_tx_pkt_get_vhdr(pkt);
    uint64_t hdr, total, payload;
    uint8_t gso;

    if (fr->mss < QV_TSO_MSS_MIN) {
        /* A tiny mss would turn one descriptor into ~64 K frames. */
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TSO mss %u below "
                      "%u: frame dropped\n", fr->f->fn, fr->mss,
                      QV_TSO_MSS_MIN);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "TSO mss too small");
    }
    if (is_multicast_ether_addr(s->tx_frame)) {
        /*
         * TCP is unicast (every receiver discards it otherwise, RFC 1122
         * 4.2.3.10), and each of up to 1024 segments would be flooded to
         * every function and the wire.
         */
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TSO to a group "
                      "address: frame dropped\n", fr->f->fn);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "TSO to a group address");
    }
    if (!net_tx_pkt_build_vheader(pkt, true, true, fr->mss)) {
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "bad TSO");
    }
    gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    hdr = vh->hdr_len;
    total = net_tx_pkt_get_total_len(pkt);
    payload = total - MIN(hdr, total);
    if ((gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
         gso != VIRTIO_NET_HDR_GSO_TCPV6) || !payload) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TSO requested on a "
                      "frame that is not TCP with payload\n", fr->f->fn);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "TSO not TCP");
    }
    if (hdr > QV_TSO_HDR_MAX) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TSO headers of %"
                      PRIu64 " bytes, above %u: frame dropped\n", fr->f->fn,
                      hdr, QV_TSO_HDR_MAX);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "TSO headers too long");
    }
    /*
     * Each segment must fit the MTU, as a frame sent whole must; hdr counts
     * the tag the device inserts (port VLAN, QV_TXD_VLAN_INS), which the
     * frame in memory does not have.
     */
    if (hdr + fr->mss > qv_tx_max_len(fr->f, s->tx_frame) +
                        (fr->tci >= 0 ? sizeof(struct vlan_header) : 0)) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TSO segments of %"
                      PRIu64 " bytes above MTU %u: frame dropped\n",
                      fr->f->fn, hdr + fr->mss, fr->f->mtu);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "TSO mss above the MTU");
    }
    fr->nsegs = DIV_ROUND_UP(payload, fr->mss);
    fr->wire = payload + (uint64_t)fr->nsegs * hdr;
    if (fr->wire > QV_TSO_WIRE_MAX) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: TSO frame of %"
                      PRIu64 " bytes on the wire, above %u: frame dropped\n",
                      fr->f->fn, fr->wire, QV_TSO_WIRE_MAX);
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "TSO wire bytes");
    }
    net_tx_pkt_update_ip_checksums(pkt);
    return true;
}

/*
 * Offload: the frame goes into NetTxPkt (VLAN insert, checksum, TSO);
 * fr->wire and fr->nsegs say what it becomes on the wire.
 */
static bool qv_tx_offload(QosvnicState *s, QvTxFrame *fr)
{
    struct NetTxPkt *pkt = s->tx_pkt;

    if (fr->cmd & (QV_TXD_CSUM | QV_TXD_TSO)) {
        fr->len = qosvnic_tx_unpadded_len(s->tx_frame, fr->len);
    }
    net_tx_pkt_reset(pkt, qosvnic_tx_frag_noop, NULL);
    net_tx_pkt_add_raw_fragment(pkt, s->tx_frame, fr->len);
    fr->parsed = net_tx_pkt_parse(pkt);
    if (!fr->parsed && ((fr->cmd & (QV_TXD_CSUM | QV_TXD_TSO)) ||
                        fr->tci >= 0)) {
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "unparsable");
    }
    if (fr->tci >= 0) {
        net_tx_pkt_setup_vlan_header(pkt, fr->tci);
    }
    if (fr->cmd & QV_TXD_TSO) {
        return qv_tx_tso(s, fr);
    }
    if ((fr->cmd & QV_TXD_CSUM) &&
        !net_tx_pkt_build_vheader(pkt, false, true, 0)) {
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "bad csum");
    }
    fr->nsegs = 1;
    fr->wire = fr->parsed ? net_tx_pkt_get_total_len(pkt) : fr->len;
    return true;
}

/*
 * Switchdev mode: the PF's frame goes to the port its context descriptor
 * names, or to the wire; a VF's frame goes where the rule table says, or
 * to the PF (its representor) if no rule matches.
 */
static void qv_tx_switchdev(QosvnicState *s, QvTxFrame *fr)
{
    QvFunc *f = fr->f;
    QvEswKey k;

    fr->esw = true;
    if (f->fn == 0) {
        memset(&fr->v, 0, sizeof(fr->v));
        fr->v.rule = -2;        /* no rule applies, nothing to count */
        fr->v.policer = -1;
        fr->v.port = fr->has_dport ? fr->dport : QV_PORT_UPLINK;
    } else {
        qosvnic_esw_key(s->tx_frame, fr->len, fr->tci, f->fn, &k);
        qosvnic_esw_lookup(s, &k, &fr->v);
    }
    fr->to_wire = !fr->v.drop && fr->v.port == QV_PORT_UPLINK;
    fr->to_loop = !fr->v.drop && !fr->to_wire;
}

/*
 * Switch: a frame for another function stays inside the device (VEB).
 * The lookup is by MAC and VLAN, as in a real VEB: a function on a port
 * VLAN only owns frames of that VLAN, so a frame for its MAC on another
 * VLAN goes to the wire instead of being swallowed (and counted as that
 * function's drop).
 */
static void qv_tx_switch(QosvnicState *s, QvTxFrame *fr)
{
    QvFunc *dst;
    uint16_t dst_vid;

    if (qosvnic_esw_switchdev(s)) {
        qv_tx_switchdev(s, fr);
        return;
    }
    if (is_multicast_ether_addr(s->tx_frame)) {
        fr->to_loop = fr->to_wire = true;
        return;
    }
    dst = qosvnic_mac_lookup(s, s->tx_frame);
    dst_vid = dst ? dst->vlan & QV_VLAN_VID_MASK : 0;
    /* To its own MAC: only the hairpin (QV_MGF_LOOPBACK) sends it back. */
    fr->to_loop = dst && (dst != fr->f ||
                          (fr->f->mg_flags & QV_MGF_LOOPBACK)) &&
                  (!dst_vid || dst_vid == fr->vid);
    fr->to_wire = !fr->to_loop;
}

/*
 * Shape: the function's egress bucket, then the line rate for a frame
 * that goes to the wire. A frame that must wait stays in the ring.
 *
 * A frame waits for the tokens of its wire bytes, or for a full bucket if
 * it is larger (a TSO frame with small segments can be), and is then
 * charged all its wire bytes: the bucket goes into debt, and what
 * follows waits until the debt is paid. So the ceiling holds for every
 * frame size, not only for frames smaller than the bucket.
 */
static QvTxResult qv_tx_shape(QosvnicState *s, QvTxFrame *fr, int64_t now)
{
    QvFunc *f = fr->f;
    uint64_t need = MIN(fr->wire, QV_TX_BURST);

    if (qv_tb_wait_ns(&f->tx_tb, need, now) > 0) {
        if (!f->tx.throttled) {
            f->tx.throttled = true;
            f->stats[QV_STAT_TX_THROTTLED]++;
            trace_qosvnic_tx_throttle(f->fn, need);
        }
        f->tx.need = need;
        return QV_TX_THROTTLED;
    }
    if (fr->to_wire && s->wire_mbps &&
        qv_tb_wait_ns(&s->wire_tb, need, now) > 0) {
        s->wire_need = need;
        trace_qosvnic_tx_wire_busy(f->fn, need);
        return QV_TX_WIRE_BUSY;
    }
    qv_tb_charge(&f->tx_tb, fr->wire);
    if (fr->to_wire && s->wire_mbps) {
        qv_tb_charge(&s->wire_tb, fr->wire);
    }
    f->tx.throttled = false;
    qosvnic_tx_min_charge(f, fr->wire, now);
    return QV_TX_CONTINUE;
}

/*
 * A frame dropped before the shaper is charged to the function's egress
 * bucket too, with the bytes it made the device fetch, and so is a fetch
 * that found no whole frame: the ceiling bounds the work a function gives
 * the engine, not only what reaches the wire. A function whose bucket
 * went into debt is not served (qosvnic_tx_ready()) until it holds a
 * minimum frame's tokens again. Before, a capped tenant's ring of
 * malformed frames was fetched and dropped as fast as the engine ran.
 * (A frame posted in two tail writes pays for its first part twice;
 * drivers move the tail over whole frames.)
 */
static void qv_tx_charge_dropped(QvFunc *f, uint64_t bytes, int64_t now)
{
    qv_tb_charge(&f->tx_tb, bytes);
    if (qv_tb_wait_ns(&f->tx_tb, ETH_ZLEN, now) > 0) {
        f->tx.throttled = true;
        f->tx.need = ETH_ZLEN;
    }
}

/* Pieces of a frame NetTxPkt hands over, and one for a pushed tag. */
#define QV_TX_ESW_IOV           16

/*
 * Switchdev: one frame (a TSO frame's segment) goes where fr->v says: it
 * is counted on its rule and policed, its VLAN edited, and sent to the
 * wire or through the receive admission of the function it goes to.
 */
static void qv_tx_out_esw(QvTxFrame *fr, const struct iovec *iov, int iovcnt,
                          const struct iovec *virt_iov, int virt_iovcnt)
{
    QosvnicState *s = fr->f->dev;
    struct iovec ed[QV_TX_ESW_IOV + 1];
    uint8_t tag[4];
    int n;

    if ((fr->v.rule != -2 &&
         !qosvnic_esw_pass(s, &fr->v, iov_size(iov, iovcnt), fr->now)) ||
        fr->v.drop) {
        return;
    }
    n = qosvnic_esw_edit_iov(&fr->v, iov, iovcnt, ed + 1, QV_TX_ESW_IOV,
                             tag);
    if (n == 0) {
        trace_qosvnic_tx_drop(fr->f->fn, "eswitch VLAN edit does not fit");
        return;
    }
    if (n > 0) {
        ed[0] = virt_iov[0];    /* the vnet header, all zero: no offloads */
        iov = ed + 1;
        iovcnt = n;
        virt_iov = ed;
        virt_iovcnt = n + 1;
    }
    if (fr->to_wire) {
        qemu_sendv_packet(qemu_get_queue(s->nic), fr->vnet ? virt_iov : iov,
                          fr->vnet ? virt_iovcnt : iovcnt);
    } else {
        qosvnic_rx_to_port(s, fr->v.port, iov, iovcnt, fr->f->fn);
    }
}

/* NetTxPkt output: one frame, or one segment of a TSO frame. */
static void qosvnic_tx_out(void *opaque, const struct iovec *iov, int iovcnt,
                           const struct iovec *virt_iov, int virt_iovcnt)
{
    QvTxFrame *fr = opaque;
    QosvnicState *s = fr->f->dev;

    if (fr->esw) {
        qv_tx_out_esw(fr, iov, iovcnt, virt_iov, virt_iovcnt);
        return;
    }
    if (fr->to_loop) {
        /*
         * The receive side stores the frame in device memory and schedules
         * its own DMA; it never calls back into the TX engine.
         */
        qosvnic_rx_frame(s, iov, iovcnt, true, fr->f->fn);
    }
    if (fr->to_wire) {
        NetClientState *nc = qemu_get_queue(s->nic);

        if (fr->vnet) {
            qemu_sendv_packet(nc, virt_iov, virt_iovcnt);
        } else {
            qemu_sendv_packet(nc, iov, iovcnt);
        }
    }
}

/*
 * Emit: to the internal switch and/or the wire. Frames that loop back are
 * finished (checksums, segments) here, since the receive side takes plain
 * frames; a wire-only frame keeps its offloads for a peer that takes
 * virtio-net headers.
 */
static bool qv_tx_emit(QosvnicState *s, QvTxFrame *fr)
{
    /*
     * The wire gets a GSO frame whole only if nothing has to be done per
     * segment: an eswitch rule's policer or VLAN edit has.
     */
    bool offload = fr->to_wire && !fr->to_loop &&
                   !(fr->esw && (fr->v.pop || fr->v.push ||
                                 fr->v.policer >= 0));

    fr->vnet = s->has_vnet_hdr;
    trace_qosvnic_tx_send(fr->f->fn, fr->wire, fr->nsegs, fr->to_loop,
                          fr->to_wire);
    if (!fr->parsed) {
        struct iovec iov = { .iov_base = s->tx_frame, .iov_len = fr->len };
        struct virtio_net_hdr vh = { 0 };
        struct iovec viov[2] = {
            { .iov_base = &vh, .iov_len = sizeof(vh) },
            { .iov_base = s->tx_frame, .iov_len = fr->len },
        };

        qosvnic_tx_out(fr, &iov, 1, viov, 2);
        return true;
    }
    if (!net_tx_pkt_send_custom(s->tx_pkt, fr->vnet && offload,
                                qosvnic_tx_out, fr)) {
        return qv_tx_reject(fr, QV_STAT_TX_DROP_BAD, "send failed");
    }
    return true;
}

/*
 * What a sent frame costs the engine's budget: each segment once per copy
 * the device makes, to the wire and through the receive admission of each
 * function it goes to. A group frame is flooded to every other function,
 * so it costs as many segments as there are (before, it cost one).
 */
static uint32_t qv_tx_budget_cost(QosvnicState *s, QvTxFrame *fr)
{
    uint32_t copies = fr->to_wire, fn;

    if (fr->to_loop && !fr->esw && is_multicast_ether_addr(s->tx_frame)) {
        for (fn = 0; fn < s->num_funcs; fn++) {
            copies += fn != fr->f->fn && qosvnic_fn_pci(s, fn);
        }
    } else {
        copies += fr->to_loop;
    }
    return fr->nsegs * MAX(copies, 1);
}

/*
 * Serves the frame at the head of @f's ring of TX queue @q:
 * fetch -> validate -> offload -> switch -> shape -> emit -> complete.
 * The frame is consumed (sent or dropped) only on QV_TX_DONE; otherwise it
 * stays in the ring.
 */
QvTxResult qosvnic_tx_frame(QosvnicState *s, QvFunc *f, unsigned q,
                            int64_t now, uint32_t *segs)
{
    QvTxFrame fr = {
        .f = f, .q = q, .r = &f->txq[q], .pci = qosvnic_fn_pci(s, f->fn),
        .tci = -1, .now = now,
    };
    QvTxResult r = qv_tx_fetch(s, &fr);

    if (r != QV_TX_CONTINUE) {
        /* The frame the shaper held back is gone or not whole any more. */
        f->tx.throttled = false;
        /*
         * What was fetched of a frame not posted whole, or of a ring
         * that failed, costs the ceiling as a dropped frame does: a
         * capped tenant moving its tail back and forth over a frame
         * without EOP made the engine fetch 64 descriptors per write.
         */
        if (fr.ndesc) {
            qv_tx_charge_dropped(f, MAX(fr.len, ETH_ZLEN), now);
        }
        return r;
    }
    if (fr.bad_chain || !qv_tx_validate(s, &fr) || !qv_tx_offload(s, &fr)) {
        /*
         * Dropped before the shaper, the frame still took a turn that the
         * guaranteed pass gave it: it costs its minimum share what it
         * fetched, at least a minimum frame, or a ring of frames that never
         * leave would keep that pass, and every other function waiting.
         */
        qosvnic_tx_min_charge(f, MAX(fr.len, ETH_ZLEN), now);
        qv_tx_charge_dropped(f, MAX(fr.len, ETH_ZLEN), now);
        qosvnic_tx_drop(&fr);
        return QV_TX_DONE;
    }
    qv_tx_switch(s, &fr);
    r = qv_tx_shape(s, &fr, now);
    if (r != QV_TX_CONTINUE) {
        return r;
    }
    if (!qv_tx_emit(s, &fr)) {
        qosvnic_tx_drop(&fr);
        return QV_TX_DONE;
    }
    *segs = qv_tx_budget_cost(s, &fr);
    f->stats[QV_STAT_TX_PACKETS] += fr.nsegs;
    f->stats[QV_STAT_TX_BYTES] += fr.wire;
    qosvnic_tx_complete(&fr, false);
    return QV_TX_DONE;
}

/* The BH and tx_timer are created with the PF's other ones. */
void qosvnic_tx_init(QosvnicState *s)
{
    /* One fragment: the frame is copied into tx_frame before parsing. */
    net_tx_pkt_init(&s->tx_pkt, 1);
    s->tx_frame = g_malloc(QV_TX_MAX_FRAME);
}

void qosvnic_tx_uninit(QosvnicState *s)
{
    net_tx_pkt_uninit(s->tx_pkt);
    s->tx_pkt = NULL;
    g_free(s->tx_frame);
    s->tx_frame = NULL;
}
