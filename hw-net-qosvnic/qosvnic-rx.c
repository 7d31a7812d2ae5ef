/*
 * qosvnic: receive path: classify, admit, store.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A frame from the backend (or from the internal switch) is copied once
 * into rx_buf, its vnet header (if any) applied, and then offered to each
 * destination function:
 *
 *   classify  unicast: exact destination MAC through a chained hash, O(1)
 *             in the number of VFs; broadcast: every enabled function with
 *             QV_RXF_BCAST; multicast: each function's filter list or
 *             ALLMULTI; unknown unicast and all multicast also go to
 *             functions in promiscuous mode (PF always may, a VF only if
 *             trusted). Promiscuous functions do not see frames that have
 *             an owner: tenants stay isolated.
 *   admit     per destination, in this order, each drop counted under its
 *             own reason: function/link state (DROP_LINK_DOWN), port VLAN
 *             (DROP_VLAN), length (DROP_LENGTH), ingress token bucket
 *             (DROP_RATE), buffer partition (DROP_RING_FULL when the RX
 *             ring has no free descriptor, else DROP_BUFFER).
 *   store     cells in the function's partition, then the DMA scheduler
 *             (qosvnic-sched.c) is kicked.
 *
 * The backend is never stopped (can_receive is true whenever the device
 * exists): one VF's full ring or partition must cost the others nothing.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "system/dma.h"
#include "standard-headers/linux/virtio_net.h"
#include "hw/net/net_tx_pkt.h"
#include "qosvnic.h"
#include "trace.h"

#define QV_MAC_HASH_BITS        8
QEMU_BUILD_BUG_ON((1 << QV_MAC_HASH_BITS) != QV_MAC_HASH_SIZE);

#define QV_VLAN_HLEN            4

enum {
    QV_CSUM_UNCHECKED,
    QV_CSUM_NONE,           /* not TCP/UDP, fragment, or no checksum */
    QV_CSUM_GOOD,
    QV_CSUM_BAD,
};

/* What the RX path learnt about the frame in rx_buf. */
typedef struct QvRxInfo {
    size_t len;             /* frame bytes, vnet header excluded */
    bool oversize;          /* did not fit rx_buf: never admitted */
    bool tagged;            /* 802.1Q tag after the MAC addresses */
    uint16_t tci;
    bool ipv6;
    size_t l3off;
    uint8_t l4proto;        /* IP_PROTO_TCP/UDP, 0 = none or unparsed */
    size_t l4off;
    size_t l4len;
    size_t hdr_len;         /* L2 + L3 + L4 headers, 0 = unknown */
    uint16_t gso_size;      /* 0 = not a GSO super-frame */
    uint16_t gso_status;    /* QV_RXD_STA_GSO_* */
    bool csum_valid;        /* vnet header vouched for (or we fixed) L4 */
    int csum;               /* QV_CSUM_*, computed lazily */
    bool loopback;
    uint32_t src_fn;
    bool tag_src;           /* switchdev: the PF gets the source port */
    uint16_t src_port;
} QvRxInfo;

static const char *const qv_drop_name[QV_NUM_STATS] = {
    [QV_STAT_DROP_RATE] = "rate",
    [QV_STAT_DROP_BUFFER] = "buffer",
    [QV_STAT_DROP_RING_FULL] = "ring-full",
    [QV_STAT_DROP_LENGTH] = "length",
    [QV_STAT_DROP_VLAN] = "vlan",
    [QV_STAT_DROP_LINK_DOWN] = "link-down",
    [QV_STAT_DROP_NO_OWNER] = "no-owner",
};

/* ------------------------------------------------------------ MAC table */

static uint32_t qv_mac_hash(const uint8_t *m)
{
    /* The NIC-specific bytes vary most; the OUI is folded in cheaply. */
    uint32_t h = m[5] | m[4] << 8 | m[3] << 16 | (uint32_t)(m[0] ^ m[1] ^
                                                            m[2]) << 24;

    return (h * 0x9e3779b1u) >> (32 - QV_MAC_HASH_BITS);
}

static void qv_mac_unlink(QosvnicState *s, QvFunc *f)
{
    uint32_t *pp;

    if (f->mac_hash_bucket >= QV_MAC_HASH_SIZE) {
        f->mac_hash_bucket = QV_FN_NONE;
        return;
    }
    pp = &s->mac_hash[f->mac_hash_bucket];
    for (unsigned i = 0; i < QV_MAX_FUNCS && *pp < QV_MAX_FUNCS; i++) {
        if (*pp == f->fn) {
            *pp = f->mac_hash_next;
            break;
        }
        pp = &s->funcs[*pp].mac_hash_next;
    }
    f->mac_hash_bucket = QV_FN_NONE;
    f->mac_hash_next = QV_FN_NONE;
}

static void qv_mac_link(QosvnicState *s, QvFunc *f)
{
    static const uint8_t zero[ETH_ALEN];
    uint32_t b, *pp;

    /* Only a real unicast address can own frames. */
    if (f->fn >= s->num_funcs || is_multicast_ether_addr(f->mac.a) ||
        !memcmp(f->mac.a, zero, ETH_ALEN)) {
        return;
    }
    b = qv_mac_hash(f->mac.a);
    /*
     * A chain is kept in function order: of two functions the PF gave one
     * MAC, the lower owns its frames whatever order the MACs were set in,
     * as after a migration's rebuild.
     */
    pp = &s->mac_hash[b];
    for (unsigned i = 0; i < QV_MAX_FUNCS && *pp < f->fn; i++) {
        pp = &s->funcs[*pp].mac_hash_next;
    }
    f->mac_hash_next = *pp;
    *pp = f->fn;
    f->mac_hash_bucket = b;
}

void qosvnic_mac_table_update(QosvnicState *s, QvFunc *f)
{
    qv_mac_unlink(s, f);
    qv_mac_link(s, f);
}

void qosvnic_mac_table_rebuild(QosvnicState *s)
{
    for (unsigned i = 0; i < QV_MAC_HASH_SIZE; i++) {
        s->mac_hash[i] = QV_FN_NONE;
    }
    for (int i = QV_MAX_FUNCS - 1; i >= 0; i--) {
        s->funcs[i].mac_hash_bucket = QV_FN_NONE;
        s->funcs[i].mac_hash_next = QV_FN_NONE;
        qv_mac_link(s, &s->funcs[i]);
    }
}

QvFunc *qosvnic_mac_lookup(QosvnicState *s, const uint8_t *mac)
{
    uint32_t fn = s->mac_hash[qv_mac_hash(mac)];

    for (unsigned i = 0; i < QV_MAX_FUNCS && fn < s->num_funcs; i++) {
        QvFunc *f = &s->funcs[fn];

        if (!memcmp(f->mac.a, mac, ETH_ALEN)) {
            return f;
        }
        fn = f->mac_hash_next;
    }
    return NULL;
}

/* --------------------------------------------------------------- parse */

static void qv_rx_parse(const uint8_t *d, QvRxInfo *in)
{
    size_t len = in->len, l3;
    uint16_t proto;

    if (in->oversize || len < ETH_HLEN) {
        return;
    }
    proto = lduw_be_p(d + 12);
    l3 = ETH_HLEN;
    if (proto == ETH_P_VLAN && len >= ETH_HLEN + QV_VLAN_HLEN) {
        in->tagged = true;
        in->tci = lduw_be_p(d + 14);
        proto = lduw_be_p(d + 16);
        l3 += QV_VLAN_HLEN;
    }
    in->l3off = l3;

    if (proto == ETH_P_IP && len >= l3 + 20 && (d[l3] >> 4) == 4) {
        size_t ihl = (d[l3] & 0xf) * 4;
        size_t tot = lduw_be_p(d + l3 + 2);
        uint16_t frag = lduw_be_p(d + l3 + 6);

        /* Fragments carry no verifiable L4 header: leave them alone. */
        if (ihl < 20 || tot < ihl || l3 + tot > len || (frag & 0x3fff)) {
            return;
        }
        in->l4proto = d[l3 + 9];
        in->l4off = l3 + ihl;
        in->l4len = tot - ihl;
    } else if (proto == ETH_P_IPV6 && len >= l3 + 40 &&
               (d[l3] >> 4) == 6) {
        size_t plen = lduw_be_p(d + l3 + 4);

        /* Extension headers are not walked: only TCP/UDP right after. */
        if (l3 + 40 + plen > len) {
            return;
        }
        in->ipv6 = true;
        in->l4proto = d[l3 + 6];
        in->l4off = l3 + 40;
        in->l4len = plen;
    } else {
        return;
    }

    if (in->l4proto == IP_PROTO_TCP && in->l4len >= 20) {
        size_t doff = (d[in->l4off + 12] >> 4) * 4;

        if (doff < 20 || doff > in->l4len) {
            in->l4proto = 0;
            return;
        }
        in->hdr_len = in->l4off + doff;
    } else if (in->l4proto == IP_PROTO_UDP && in->l4len >= 8) {
        in->hdr_len = in->l4off + 8;
    } else {
        in->l4proto = 0;
    }
}

/* Software check of the TCP/UDP checksum (QV_OFF_RX_CSUM without vnet). */
static int qv_rx_csum_check(uint8_t *d, QvRxInfo *in)
{
    size_t l3 = in->l3off;
    uint32_t sum;

    if (!in->l4proto) {
        return QV_CSUM_NONE;
    }
    if (in->l4proto == IP_PROTO_UDP && !in->ipv6 &&
        !lduw_be_p(d + in->l4off + 6)) {
        return QV_CSUM_NONE;            /* IPv4 UDP without checksum */
    }
    sum = net_checksum_add(in->l4len, d + in->l4off);
    if (in->ipv6) {
        sum += net_checksum_add(32, d + l3 + 8);
    } else {
        sum += net_checksum_add(8, d + l3 + 12);
    }
    sum += in->l4proto + in->l4len;
    return net_checksum_finish(sum) ? QV_CSUM_BAD : QV_CSUM_GOOD;
}

/*
 * Apply what the backend's virtio-net header says. The header is host
 * data, not guest input, but it is still checked against the frame.
 */
static void qv_rx_apply_vnet(uint8_t *d, QvRxInfo *in,
                             const struct virtio_net_hdr *vh)
{
    uint8_t type = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

    trace_qosvnic_rx_vnet(vh->flags, vh->gso_type, vh->gso_size,
                          vh->csum_start, vh->csum_offset);
    if (in->oversize) {
        return;
    }
    if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        size_t start = vh->csum_start, off = vh->csum_offset;

        if (start < in->len && start + off + 2 <= in->len) {
            /* The field holds the pseudo-header sum, as on a NIC. */
            stw_be_p(d + start + off,
                     net_checksum_finish_nozero(
                         net_checksum_add(in->len - start, d + start)));
            in->csum_valid = true;
        } else {
            trace_qosvnic_rx_bad_vnet("csum_start/csum_offset past the end");
        }
    } else if (vh->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        in->csum_valid = true;
    }

    if ((type == VIRTIO_NET_HDR_GSO_TCPV4 ||
         type == VIRTIO_NET_HDR_GSO_TCPV6) && vh->gso_size) {
        in->gso_size = vh->gso_size;
        in->gso_status = type == VIRTIO_NET_HDR_GSO_TCPV4 ?
                         QV_RXD_STA_GSO_TCPV4 : QV_RXD_STA_GSO_TCPV6;
        if (!in->hdr_len || in->l4proto != IP_PROTO_TCP) {
            /* Could not parse: trust the header's own idea. */
            in->hdr_len = MAX(vh->hdr_len, ETH_HLEN);
        }
    } else if (type != VIRTIO_NET_HDR_GSO_NONE) {
        /* UFO/USO: not offered to the guest; the length check decides. */
        trace_qosvnic_rx_bad_vnet("unsupported gso_type");
    }
}

/* ---------------------------------------------------------------- admit */

void qosvnic_rx_tb_apply(QvFunc *f, int64_t now_ns)
{
    uint64_t burst = f->rx_burst ? f->rx_burst
                                 : qv_tb_default_burst(f->rx_rate_bps);

    qv_tb_config_bits(&f->rx_tb, f->rx_rate_bps, burst, now_ns);
}

static void qv_rx_drop(QvFunc *f, const QvRxInfo *in, unsigned reason)
{
    qosvnic_stat_drop(f, reason, 1);
    trace_qosvnic_rx_drop(f->fn, in->len, qv_drop_name[reason]);
}

static bool qv_may_promisc(QvFunc *f)
{
    return (f->rx_filter & QV_RXF_PROMISC) &&
           (f->fn == 0 || (f->mg_flags & QV_MGF_TRUST));
}

/* Is @in on @f's port VLAN, if it has one? */
static bool qv_rx_in_port_vlan(QvFunc *f, const QvRxInfo *in)
{
    uint32_t pvid = f->vlan & QV_VLAN_VID_MASK;

    return !pvid || (in->tagged && (in->tci & QV_VLAN_VID_MASK) == pvid);
}

bool qosvnic_fn_takes_gso(const QvFunc *f)
{
    return (f->offloads & (QV_OFF_LRO | QV_OFF_RX_CSUM)) ==
           (QV_OFF_LRO | QV_OFF_RX_CSUM);
}

/*
 * Is @in a GSO super-frame that @f gets cut into segments? It is when @f
 * does not take them whole, and when its ingress bucket is shallower than
 * the super-frame: on the wire those were segments, each of which the
 * policer could pass, and a frame longer than the bucket never conforms.
 * Call after qosvnic_rx_tb_apply().
 */
static bool qv_rx_cut(const QvFunc *f, const QvRxInfo *in)
{
    return in->gso_size &&
           (!qosvnic_fn_takes_gso(f) ||
            (f->rx_tb.rate_bits && in->len > f->rx_tb.burst));
}

/* The longest frame @f takes: its MTU, the Ethernet header, @in's tag. */
static size_t qv_rx_max_len(const QvFunc *f, const QvRxInfo *in)
{
    uint32_t mtu = f->mtu ? f->mtu : QV_MTU_DEFAULT;

    return mtu + ETH_HLEN + (in->tagged ? QV_VLAN_HLEN : 0);
}

/*
 * The admission checks, in order (docs/rx-datapath.md): function state,
 * port VLAN, length, ingress policer, ring state. Returns the reason to
 * drop the frame for, or 0; sets *@strip if its tag comes off.
 */
static unsigned qv_rx_check(QvFunc *f, QvRxInfo *in, QvFrame *meta,
                            bool *strip, int64_t now)
{
    uint32_t pvid = f->vlan & QV_VLAN_VID_MASK;
    size_t max, seg;

    if (!qosvnic_fn_enabled(f) || !qosvnic_fn_link_up(f) ||
        !(f->ctrl & QV_CTRL_RX_EN)) {
        return QV_STAT_DROP_LINK_DOWN;
    }

    /*
     * Port VLAN: the VF only sees its VLAN, untagged (the tag is the
     * host's business, not the tenant's). Otherwise a tag is passed on, or
     * stripped into the descriptor if the driver asked for it.
     */
    if (pvid) {
        if (!qv_rx_in_port_vlan(f, in)) {
            return QV_STAT_DROP_VLAN;
        }
        *strip = true;
    } else {
        *strip = in->tagged && (f->offloads & QV_OFF_VLAN_STRIP);
        if (*strip) {
            meta->status |= QV_RXD_STA_VLAN;
            meta->vlan = in->tci;
        }
    }

    /* A GSO super-frame is judged by the segments it stands for. */
    max = qv_rx_max_len(f, in);
    seg = in->gso_size ? in->hdr_len + in->gso_size : in->len;
    if (in->oversize || in->len < ETH_HLEN || seg > max) {
        return QV_STAT_DROP_LENGTH;
    }

    /* One that is cut into segments is policed segment by segment. */
    qosvnic_rx_tb_apply(f, now);
    if (!qv_rx_cut(f, in) && !qv_tb_conform(&f->rx_tb, in->len, now)) {
        return QV_STAT_DROP_RATE;
    }

    /* A stopped ring takes no frames: don't let it sit on shared cells. */
    if (f->status_err & QV_STATUS_RX_RING_ERR) {
        return QV_STAT_DROP_RING_FULL;
    }
    return 0;
}

/* The first descriptor's status bits: checksum, GSO, loopback. */
static void qv_rx_status(QvFunc *f, uint8_t *d, QvRxInfo *in, QvFrame *meta)
{
    if (in->csum_valid) {
        meta->status |= QV_RXD_STA_L4CSUM_OK;
    } else if (f->offloads & QV_OFF_RX_CSUM) {
        if (in->csum == QV_CSUM_UNCHECKED) {
            in->csum = qv_rx_csum_check(d, in);
        }
        if (in->csum == QV_CSUM_GOOD) {
            meta->status |= QV_RXD_STA_L4CSUM_OK;
        }
    }
    if (in->gso_size) {
        meta->status |= in->gso_status;
        meta->gso_size = in->gso_size;
    }
    if (in->loopback) {
        meta->status |= QV_RXD_STA_LOOPBACK;
    }
    if (in->tag_src && f->fn == 0) {
        meta->status |= QV_RXD_STA_SRC_PORT;
        meta->src_port = in->src_port;
    }
}

/*
 * RSS: the RX queue of @f for the frame, its hash and hash type (status
 * bits); queue 0 without a hash when no enabled type applies.
 */
static void qv_rx_rss(QvFunc *f, const uint8_t *d, QvRxInfo *in,
                      QvFrame *meta)
{
    uint32_t hash;
    unsigned type;

    if (!f->rss_ctrl) {
        return;
    }
    type = qosvnic_rss_hash(f->rss_ctrl, f->rss_key, d, in->len, &hash);
    if (type != QV_RSS_TYPE_NONE) {
        meta->status |= type << QV_RXD_STA_RSS_SHIFT;
        meta->rss_hash = hash;
        meta->queue = f->rss_reta[hash % QV_RSS_RETA_SIZE] % QV_NUM_QUEUES;
    }
}

/* Admit the frame in rx_buf for @f: check, then store in its partition. */
static void qv_rx_admit_segments(QosvnicState *s, QvFunc *f, uint8_t *d,
                                 QvRxInfo *in);

static void qv_rx_admit(QosvnicState *s, QvFunc *f, uint8_t *d, QvRxInfo *in)
{
    QvFrame meta = { 0 };
    struct iovec v[2];
    size_t store_len;
    bool strip = false;
    unsigned why;
    int nv;

    why = qv_rx_check(f, in, &meta, &strip,
                      qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    if (why) {
        qv_rx_drop(f, in, why);
        return;
    }
    if (qv_rx_cut(f, in)) {
        qv_rx_admit_segments(s, f, d, in);
        return;
    }
    qv_rx_status(f, d, in, &meta);
    qv_rx_rss(f, d, in, &meta);

    if (strip) {
        v[0] = (struct iovec) { .iov_base = d, .iov_len = 2 * ETH_ALEN };
        v[1] = (struct iovec) {
            .iov_base = d + 2 * ETH_ALEN + QV_VLAN_HLEN,
            .iov_len = in->len - 2 * ETH_ALEN - QV_VLAN_HLEN,
        };
        nv = 2;
        store_len = in->len - QV_VLAN_HLEN;
    } else {
        v[0] = (struct iovec) { .iov_base = d, .iov_len = in->len };
        nv = 1;
        store_len = in->len;
    }
    if (!qosvnic_buf_store(s, f, v, nv, 0, store_len, &meta)) {
        qv_rx_drop(f, in, qosvnic_rx_ring_avail(f, meta.queue) ?
                          QV_STAT_DROP_BUFFER : QV_STAT_DROP_RING_FULL);
        return;
    }
    /* Tokens are spent only on frames the device actually keeps. */
    qv_tb_consume(&f->rx_tb, in->len);
    f->stats[QV_STAT_RX_ADMITTED]++;
    if ((f->offloads & QV_OFF_RX_CSUM) && in->csum == QV_CSUM_BAD) {
        f->stats[QV_STAT_RX_CSUM_ERR]++;
    }
    trace_qosvnic_rx_admit(f->fn, store_len, meta.status,
                           f->part.used_cells);
    qosvnic_sched_kick(s, f);
}

/* ------------------------------------------------------ segmentation */

/* A GSO super-frame being cut into segments for one function. */
typedef struct QvRxSegs {
    QosvnicState *s;
    QvFunc *f;
    const QvRxInfo *in;
    size_t hdr_len;         /* headers each segment repeats */
    size_t left;            /* payload bytes not cut off yet */
    uint8_t fin_psh;        /* the super-frame's TCP FIN and PSH */
} QvRxSegs;

/*
 * NetTxPkt takes FIN and PSH off every segment; the last one gets the
 * super-frame's back (as Linux's GSO does), or the receiver would not see
 * the connection close. Its TCP checksum is computed again.
 */
static void qv_rx_seg_last_flags(uint8_t *d, const QvRxInfo *seg,
                                 uint8_t flags)
{
    uint8_t *th = d + seg->l4off;
    uint32_t sum;

    if (!flags || seg->l4proto != IP_PROTO_TCP) {
        return;
    }
    th[13] |= flags;
    stw_be_p(th + 16, 0);
    sum = net_checksum_add(seg->l4len, th);
    if (seg->ipv6) {
        sum += net_checksum_add(32, d + seg->l3off + 8);
    } else {
        sum += net_checksum_add(8, d + seg->l3off + 12);
    }
    sum += IP_PROTO_TCP + seg->l4len;
    stw_be_p(th + 16, net_checksum_finish_nozero(sum));
}

static void qv_rx_seg_noop(void *ctx, void *base, size_t len)
{
    /* rx_buf is ours: nothing was mapped. */
}

/* NetTxPkt output: one segment, admitted as a frame of its own. */
static void qv_rx_seg_out(void *opaque, const struct iovec *iov, int iovcnt,
                          const struct iovec *virt_iov, int virt_iovcnt)
{
    QvRxSegs *c = opaque;
    uint8_t *d = c->s->rx_seg_buf;
    size_t len = iov_size(iov, iovcnt);
    QvRxInfo seg = {
        .len = len,
        .oversize = len > sizeof(c->s->rx_seg_buf),
        .csum = QV_CSUM_UNCHECKED,
        .csum_valid = true,     /* vouched for, and NetTxPkt computed it */
        .loopback = c->in->loopback,
        .src_fn = c->in->src_fn,
        .tag_src = c->in->tag_src,
        .src_port = c->in->src_port,
    };

    iov_to_buf(iov, iovcnt, 0, d, MIN(len, sizeof(c->s->rx_seg_buf)));
    qv_rx_parse(d, &seg);
    c->left -= MIN(c->left, len - MIN(len, c->hdr_len));
    if (!c->left) {
        qv_rx_seg_last_flags(d, &seg, c->fin_psh);
    }
    qv_rx_admit(c->s, c->f, d, &seg);
}

/*
 * Why super-frame @in cannot be cut for @f, or NULL. The bounds are the
 * TX path's for a TSO frame (qosvnic_hw.h): a peer's GSO frame is judged
 * by the headers NetTxPkt parsed (@hdr, IPv6 extension headers included),
 * not by the vnet header's hdr_len, so that no frame costs more than
 * QV_TSO_WIRE_MAX bytes of segments to build.
 */
static const char *qv_rx_cut_problem(const QvFunc *f, const uint8_t *d,
                                     const QvRxInfo *in, uint8_t gso,
                                     uint64_t hdr)
{
    uint64_t payload = in->len - MIN(in->len, hdr);
    uint64_t nsegs = DIV_ROUND_UP(payload, in->gso_size);

    if (gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6) {
        return "not TCP";
    }
    if (is_multicast_ether_addr(d)) {
        return "to a group address";
    }
    if (hdr > QV_TSO_HDR_MAX || hdr + in->gso_size > qv_rx_max_len(f, in)) {
        return "headers too long";
    }
    if (!payload || payload + nsegs * hdr > QV_TSO_WIRE_MAX) {
        return "segments too long in all";
    }
    return NULL;
}

/*
 * A GSO super-frame for a function that does not take them whole (LRO or
 * RX checksum off) is cut into segments of gso_size, each with its own
 * headers and checksums (QEMU's NetTxPkt, as the TX path does for frames
 * that loop back), and each is admitted as a frame: policed, stored and
 * counted on its own. The tap sends such frames while any receiving
 * function takes them (qosvnic_update_peer_offloads()). One that the TX
 * path would refuse as a TSO frame (mss below QV_TSO_MSS_MIN, headers
 * over QV_TSO_HDR_MAX or the MTU, segments over QV_TSO_WIRE_MAX in all,
 * a group destination, not TCP) is dropped as a length error: a peer must
 * not make one frame into megabytes of work.
 */
static void qv_rx_admit_segments(QosvnicState *s, QvFunc *f, uint8_t *d,
                                 QvRxInfo *in)
{
    struct NetTxPkt *pkt = s->rx_seg_pkt;
    struct virtio_net_hdr *vh = net_tx_pkt_get_vhdr(pkt);
    QvRxSegs c = { .s = s, .f = f, .in = in };
    const char *why = NULL;

    if (in->gso_size < QV_TSO_MSS_MIN) {
        why = "gso_size too small";
    } else if (!in->csum_valid) {
        /*
         * NetTxPkt computes each segment's checksum: over a payload whose
         * checksum nobody vouched for, that would make it look good.
         */
        why = "checksum not vouched for by the backend";
    } else {
        net_tx_pkt_reset(pkt, qv_rx_seg_noop, NULL);
        net_tx_pkt_add_raw_fragment(pkt, d, in->len);
        if (!net_tx_pkt_parse(pkt) ||
            !net_tx_pkt_build_vheader(pkt, true, true, in->gso_size)) {
            why = "unparsable";
        } else {
            why = qv_rx_cut_problem(f, d, in,
                                    vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN,
                                    vh->hdr_len);
        }
    }
    if (!why) {
        trace_qosvnic_rx_segment(f->fn, in->len, in->gso_size);
        c.hdr_len = vh->hdr_len;
        c.left = in->len - c.hdr_len;
        if (in->l4proto == IP_PROTO_TCP) {
            c.fin_psh = d[in->l4off + 13] & (TH_FIN | TH_PUSH);
        }
        if (!net_tx_pkt_send_custom(pkt, false, qv_rx_seg_out, &c)) {
            why = "too long";
        }
    }
    if (why) {
        trace_qosvnic_rx_segment_refused(f->fn, why);
        qv_rx_drop(f, in, QV_STAT_DROP_LENGTH);
    }
}

void qosvnic_rx_init(QosvnicState *s)
{
    /* One fragment: the frame is in rx_buf. */
    net_tx_pkt_init(&s->rx_seg_pkt, 1);
}

void qosvnic_rx_uninit(QosvnicState *s)
{
    net_tx_pkt_uninit(s->rx_seg_pkt);
    s->rx_seg_pkt = NULL;
}

static bool qv_mc_match(QvFunc *f, const uint8_t *dst)
{
    if (f->rx_filter & QV_RXF_ALLMULTI) {
        return true;
    }
    for (unsigned i = 0; i < QV_MC_ENTRIES; i++) {
        if ((f->mc_valid & (1u << i)) && !memcmp(f->mc[i].a, dst, ETH_ALEN)) {
            return true;
        }
    }
    return qv_may_promisc(f);
}

/*
 * Whether any function may be promiscuous: recomputed when a filter, trust
 * or function state changes, so that unknown unicast (which only a
 * promiscuous function takes) is dropped without walking every function.
 */
void qosvnic_rx_filter_update(QosvnicState *s)
{
    s->any_promisc = false;
    for (uint32_t fn = 0; fn < s->num_funcs; fn++) {
        if (qv_may_promisc(&s->funcs[fn])) {
            s->any_promisc = true;
            return;
        }
    }
}

/* Fan-out to every existing function that wants it. */
static void qv_rx_flood(QosvnicState *s, uint8_t *d, QvRxInfo *in)
{
    bool bcast = is_broadcast_ether_addr(d);
    bool mcast = !bcast && is_multicast_ether_addr(d);
    bool taken = false;

    if (!bcast && !mcast && !s->any_promisc) {
        if (!in->loopback) {
            qv_rx_drop(&s->funcs[0], in, QV_STAT_DROP_NO_OWNER);
        }
        return;
    }

    for (uint32_t fn = 0; fn < s->num_funcs; fn++) {
        QvFunc *f = &s->funcs[fn];
        bool want;

        if ((in->loopback && fn == in->src_fn) || !qosvnic_fn_pci(s, fn)) {
            continue;
        }
        if (!qv_rx_in_port_vlan(f, in)) {
            /* A switch floods within the VLAN: not this port's frame. */
            continue;
        }
        if (bcast) {
            want = f->rx_filter & QV_RXF_BCAST;
        } else if (mcast) {
            want = qv_mc_match(f, d);
        } else {
            want = qv_may_promisc(f);
        }
        if (want) {
            taken = true;
            qv_rx_admit(s, f, d, in);
        }
    }
    /*
     * Unknown unicast from the wire: nobody's. The switch's own frames
     * also went to the wire, so they are not lost here.
     */
    if (!bcast && !mcast && !taken && !in->loopback) {
        qv_rx_drop(&s->funcs[0], in, QV_STAT_DROP_NO_OWNER);
    }
}

/*
 * The frame in rx_buf had its VLAN tag pushed or popped: parse it again,
 * keeping what the backend's vnet header said about it.
 */
static void qv_rx_reparse(uint8_t *d, QvRxInfo *in, size_t len)
{
    QvRxInfo old = *in;

    *in = (QvRxInfo) {
        .len = len,
        .csum = old.csum,
        .csum_valid = old.csum_valid,
        .gso_size = old.gso_size,
        .gso_status = old.gso_status,
        .loopback = old.loopback,
        .src_fn = old.src_fn,
        .tag_src = old.tag_src,
        .src_port = old.src_port,
    };
    qv_rx_parse(d, in);
    if (in->gso_size && (!in->hdr_len || in->l4proto != IP_PROTO_TCP)) {
        in->hdr_len = old.hdr_len + len - old.len;
    }
}

/*
 * Switchdev mode: a frame from the uplink goes where the rule table says,
 * through the receive admission of the function it goes to; with no rule,
 * to the PF (the uplink's representor), which learns where it came from.
 */
static void qv_rx_esw(QosvnicState *s, uint8_t *d, QvRxInfo *in)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    QvEswVerdict v;
    QvEswKey k;
    size_t len;

    qosvnic_esw_key(d, in->oversize ? 0 : in->len, -1, QV_PORT_UPLINK, &k);
    qosvnic_esw_lookup(s, &k, &v);
    if (!qosvnic_esw_pass(s, &v, in->len, now) || v.drop) {
        return;
    }
    if (v.port == QV_PORT_UPLINK) {
        /* Out of the port it came in on: a loop, never done. */
        trace_qosvnic_rx_drop(0, in->len, "eswitch hairpin to the uplink");
        return;
    }
    in->tag_src = true;
    in->src_port = QV_PORT_UPLINK;
    if (!in->oversize && (v.pop || v.push)) {
        len = qosvnic_esw_edit_buf(&v, d, in->len, sizeof(s->rx_buf));
        if (!len) {
            qv_rx_drop(&s->funcs[v.port], in, QV_STAT_DROP_LENGTH);
            return;
        }
        qv_rx_reparse(d, in, len);
    }
    qv_rx_admit(s, &s->funcs[v.port], d, in);
}

static void qv_rx_frame(QosvnicState *s, const struct iovec *iov, int iovcnt,
                        size_t offset, const struct virtio_net_hdr *vh,
                        bool from_loopback, uint32_t src_fn)
{
    size_t size = iov_size(iov, iovcnt) - offset;
    uint8_t *d = s->rx_buf;
    QvRxInfo in = {
        .len = size,
        .oversize = size > sizeof(s->rx_buf),
        .csum = QV_CSUM_UNCHECKED,
        .loopback = from_loopback,
        .src_fn = src_fn,
    };
    QvFunc *owner;

    if (!s->cells) {
        return;
    }
    iov_to_buf(iov, iovcnt, offset, d, MIN(size, sizeof(s->rx_buf)));

    if (size < ETH_HLEN) {
        /*
         * A runt is never stored; blame its owner if it has a readable
         * unicast destination, else the device.
         */
        owner = size >= ETH_ALEN && !is_multicast_ether_addr(d) ?
                qosvnic_mac_lookup(s, d) : NULL;
        qv_rx_drop(owner ? owner : &s->funcs[0], &in, QV_STAT_DROP_LENGTH);
        return;
    }

    qv_rx_parse(d, &in);
    if (vh) {
        qv_rx_apply_vnet(d, &in, vh);
    }

    if (!from_loopback && qosvnic_esw_switchdev(s)) {
        qv_rx_esw(s, d, &in);
        return;
    }
    if (is_multicast_ether_addr(d)) {
        qv_rx_flood(s, d, &in);
        return;
    }
    owner = qosvnic_mac_lookup(s, d);
    if (owner) {
        qv_rx_admit(s, owner, d, &in);
    } else {
        qv_rx_flood(s, d, &in);
    }
}

void qosvnic_rx_to_port(QosvnicState *s, uint32_t fn,
                        const struct iovec *iov, int iovcnt,
                        uint16_t src_port)
{
    size_t size = iov_size(iov, iovcnt);
    uint8_t *d = s->rx_buf;
    QvRxInfo in = {
        .len = size,
        .oversize = size > sizeof(s->rx_buf),
        .csum = QV_CSUM_UNCHECKED,
        .loopback = true,
        .src_fn = src_port,
        .tag_src = qosvnic_esw_switchdev(s),
        .src_port = src_port,
    };

    if (!s->cells || fn >= s->num_funcs) {
        return;
    }
    iov_to_buf(iov, iovcnt, 0, d, MIN(size, sizeof(s->rx_buf)));
    if (size < ETH_HLEN) {
        qv_rx_drop(&s->funcs[fn], &in, QV_STAT_DROP_LENGTH);
        return;
    }
    qv_rx_parse(d, &in);
    qv_rx_admit(s, &s->funcs[fn], d, &in);
}

void qosvnic_rx_frame_vnet(QosvnicState *s, const struct iovec *iov,
                           int iovcnt, const struct virtio_net_hdr *vh,
                           bool from_loopback, uint32_t src_fn)
{
    qv_rx_frame(s, iov, iovcnt, 0, vh, from_loopback, src_fn);
}

void qosvnic_rx_frame(QosvnicState *s, const struct iovec *iov, int iovcnt,
                      bool from_loopback, uint32_t src_fn)
{
    qv_rx_frame(s, iov, iovcnt, 0, NULL, from_loopback, src_fn);
}

ssize_t qosvnic_nc_receive_iov(NetClientState *nc, const struct iovec *iov,
                               int iovcnt)
{
    QosvnicState *s = qemu_get_nic_opaque(nc);
    size_t size = iov_size(iov, iovcnt);
    struct virtio_net_hdr vh;

    if (!s->has_vnet_hdr) {
        qv_rx_frame(s, iov, iovcnt, 0, NULL, false, 0);
    } else if (size >= sizeof(vh)) {
        iov_to_buf(iov, iovcnt, 0, &vh, sizeof(vh));
        qv_rx_frame(s, iov, iovcnt, sizeof(vh), &vh, false, 0);
    } else {
        QvRxInfo in = { .len = size };

        trace_qosvnic_rx_bad_vnet("frame shorter than the vnet header");
        qv_rx_drop(&s->funcs[0], &in, QV_STAT_DROP_LENGTH);
    }
    /*
     * Always consumed: drops are the device's decision, never the net
     * layer's queue, so no VF can hold the backend up for the others.
     * That includes a frame of no bytes at all (a socket backend passes
     * one on), counted above as a runt: returning its size, 0, would
     * mean "not now" and disable receive until the queue is flushed.
     */
    return size ? size : -1;
}

bool qosvnic_nc_can_receive(NetClientState *nc)
{
    QosvnicState *s = qemu_get_nic_opaque(nc);

    return s->cells != NULL;
}
