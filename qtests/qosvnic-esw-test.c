/*
 * qosvnic qtest: the embedded switch in switchdev mode. The slow path
 * both ways (a VF's or the wire's frame to the PF with its source port in
 * the RX descriptor; the PF's frame to a port through a context
 * descriptor, through that port's admission), every match field and
 * action of the rule table, the rule counters and policers, rule
 * validation, mode changes with frames held in the buffer, migration, and
 * the hairpin flag of legacy mode.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qosvnic-qtest-lib.h"

#define NVFS    2
#define RL_REGS (QV_RULE_STRIDE / 4)
#define UPLINK  QV_PORT_UPLINK

static const uint8_t ext_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

typedef struct Esw {
    QvDev *d;
    QvRing rx[NVFS + 1];
    QvRing tx[NVFS + 1];
    uint8_t mac[NVFS + 1][6];
} Esw;

/* PF and NVFS VFs with rings, running, in switchdev mode (if @sw). */
static Esw *esw_start(const char *opts, bool sw)
{
    Esw *e = g_new0(Esw, 1);
    int fn;

    e->d = qv_start(opts, NULL);
    qv_enable_vfs(e->d, NVFS);
    for (fn = 0; fn <= NVFS; fn++) {
        qv_rx_setup(e->d, fn, &e->rx[fn], 32, 2048, true);
        qv_tx_setup(e->d, fn, &e->tx[fn], 32);
        qv_fn_start(e->d, fn);
        qv_fn_mac(e->d, fn, e->mac[fn]);
    }
    if (sw) {
        qv_wr(e->d, 0, QV_DEV_ESW_MODE, QV_ESW_SWITCHDEV);
    }
    return e;
}

static void esw_stop(Esw *e)
{
    qv_stop(e->d);
    g_free(e);
}

static uint64_t rd64(QvDev *d, uint32_t reg)
{
    return qtest_readq(d->qts, QV_T_PF_BAR0 + reg);
}

/*
 * Write rule @i (every register but CTRL from @r) and commit it with
 * priority @prio; true if the device took it.
 */
static bool rule_set(QvDev *d, int i, const uint32_t *r, uint16_t prio)
{
    for (unsigned k = 1; k < QV_RULE_STRIDE / 4; k++) {
        qv_wr(d, 0, QV_RULE(i) + k * 4, r[k]);
    }
    qv_wr(d, 0, QV_RULE(i) + QV_RL_CTRL,
          QV_RL_VALID | (uint32_t)prio << QV_RL_PRIO_SHIFT);
    return qv_rd(d, 0, QV_RULE(i) + QV_RL_CTRL) & QV_RL_VALID;
}

static void rule_del(QvDev *d, int i)
{
    qv_wr(d, 0, QV_RULE(i) + QV_RL_CTRL, 0);
}

static uint64_t rule_stat(QvDev *d, int i, uint32_t off)
{
    return rd64(d, QV_RULE_STATS(i) + off);
}

static void set_policer(QvDev *d, int j, uint64_t bits, uint32_t burst)
{
    qv_wr(d, 0, QV_POLICER(j) + QV_PL_BURST, burst);
    qv_wr(d, 0, QV_POLICER(j) + QV_PL_RATE_HI, bits >> 32);
    qv_wr(d, 0, QV_POLICER(j) + QV_PL_RATE_LO, (uint32_t)bits);
}

/* Queue a frame on fn's TX ring and wait until the device consumed it. */
static void tx(Esw *e, int fn, const uint8_t *frame, size_t len)
{
    uint32_t head = (e->tx[fn].tail + 1) % e->tx[fn].ndesc;

    qv_tx_send(e->d, &e->tx[fn], frame, len, 0, 0, 0);
    for (int i = 0; i < 1000 && qv_rd(e->d, fn, QV_FN_TX_HEAD) != head; i++) {
        qv_sync(e->d);
    }
    g_assert_cmpuint(qv_rd(e->d, fn, QV_FN_TX_HEAD), ==, head);
    qv_sync(e->d);
}

/*
 * The PF sends a frame behind a context descriptor naming @port; returns
 * the status of the frame's descriptor.
 */
static uint8_t send_ctx(Esw *e, uint16_t port, const uint8_t *frame,
                        size_t len)
{
    QvRing *r = &e->tx[0];
    uint64_t buf = qv_alloc(e->d, len, 64);
    uint64_t ctx = r->base + r->tail * QV_TXD_SIZE;
    uint32_t data_idx = (r->tail + 1) % r->ndesc;
    uint64_t desc = r->base + data_idx * QV_TXD_SIZE;
    uint32_t head = (data_idx + 1) % r->ndesc;

    qtest_memwrite(e->d->qts, buf, frame, len);
    qtest_writeq(e->d->qts, ctx + QV_TXD_ADDR, port);
    qtest_writew(e->d->qts, ctx + QV_TXD_LEN, 0);
    qtest_writeb(e->d->qts, ctx + QV_TXD_CMD, QV_TXD_CTX_DPORT);
    qtest_writeb(e->d->qts, ctx + QV_TXD_STATUS, 0);
    qtest_writeq(e->d->qts, desc + QV_TXD_ADDR, buf);
    qtest_writew(e->d->qts, desc + QV_TXD_LEN, len);
    qtest_writeb(e->d->qts, desc + QV_TXD_CMD, QV_TXD_EOP);
    qtest_writeb(e->d->qts, desc + QV_TXD_STATUS, 0);
    r->tail = head;
    qv_wr(e->d, 0, QV_FN_TX_TAIL, r->tail);
    for (int i = 0; i < 1000 && qv_rd(e->d, 0, QV_FN_TX_HEAD) != head; i++) {
        qv_sync(e->d);
    }
    g_assert_cmpuint(qv_rd(e->d, 0, QV_FN_TX_HEAD), ==, head);
    qv_sync(e->d);
    g_assert_true(qtest_readb(e->d->qts, ctx + QV_TXD_STATUS) &
                  QV_TXD_STA_DD);
    return qtest_readb(e->d->qts, desc + QV_TXD_STATUS);
}

/* The next frame on fn's ring: its length, or -1 if there is none. */
static int take(Esw *e, int fn, uint8_t *buf, uint16_t *sta)
{
    qv_sync(e->d);
    return qv_rx_take(e->d, &e->rx[fn], buf, 4096, sta, NULL, NULL);
}

static void assert_nothing(Esw *e, int fn)
{
    uint8_t buf[4096];

    g_assert_cmpint(take(e, fn, buf, NULL), ==, -1);
}

static void assert_no_wire(Esw *e)
{
    uint8_t buf[4096];

    g_assert_cmpint(qv_wire_recv(e->d, buf, sizeof(buf), 50), ==, -1);
}

/* fn got exactly @frame (and its status in *@sta). */
static void assert_got(Esw *e, int fn, const uint8_t *frame, size_t len,
                       uint16_t *sta)
{
    uint8_t buf[4096];

    g_assert_cmpint(take(e, fn, buf, sta), ==, len);
    g_assert_cmpmem(buf, len, frame, len);
}

static void assert_wire(Esw *e, const uint8_t *frame, size_t len)
{
    uint8_t buf[4096];

    g_assert_cmpint(qv_wire_recv(e->d, buf, sizeof(buf), 5000), ==, len);
    g_assert_cmpmem(buf, len, frame, len);
}

/* Ethernet + IPv4 + UDP (or TCP, @proto), @len bytes in all. */
static size_t ip4_frame(uint8_t *b, const uint8_t *dst, const uint8_t *src,
                        uint8_t proto, uint16_t sport, uint16_t dport,
                        uint16_t frag, size_t len)
{
    uint8_t *ip = b + 14;

    qv_frame(b, dst, src, 0x0800, len);
    memset(ip, 0, 28);
    ip[0] = 0x45;
    stw_be_p(ip + 2, len - 14);
    stw_be_p(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    stw_be_p(ip + 20, sport);
    stw_be_p(ip + 22, dport);
    return len;
}

/* Ethernet + IPv6 + @nexthdr with ports, @len bytes. */
static size_t ip6_frame(uint8_t *b, const uint8_t *dst, const uint8_t *src,
                        uint8_t nexthdr, uint16_t sport, uint16_t dport,
                        size_t len)
{
    uint8_t *ip = b + 14;

    qv_frame(b, dst, src, 0x86dd, len);
    memset(ip, 0, 44);
    ip[0] = 0x60;
    stw_be_p(ip + 4, len - 54);
    ip[6] = nexthdr;
    ip[7] = 64;
    stw_be_p(ip + 40, sport);
    stw_be_p(ip + 42, dport);
    return len;
}

/* @frame with an 802.1Q tag @tci inserted after the MAC addresses. */
static size_t tag_frame(uint8_t *out, const uint8_t *frame, size_t len,
                        uint16_t tci)
{
    memcpy(out, frame, 12);
    stw_be_p(out + 12, 0x8100);
    stw_be_p(out + 14, tci);
    memcpy(out + 16, frame + 12, len - 12);
    return len + 4;
}

/* ------------------------------------------------------------- tests */

static void test_esw_mode(void)
{
    Esw *e = esw_start(NULL, false);
    QvDev *d = e->d;
    uint64_t t0;

    g_assert_true(qv_rd(d, 0, QV_DEV_CAPS) & QV_CAPS_SWITCHDEV);
    g_assert_cmpuint(qv_rd(d, 0, QV_DEV_ESW_MODE), ==, QV_ESW_LEGACY);
    g_assert_cmpuint(qv_rd(d, 0, QV_DEV_ESW_RULES), ==, QV_ESW_NUM_RULES);
    g_assert_cmpuint(qv_rd(d, 0, QV_DEV_ESW_POLICERS), ==,
                     QV_ESW_NUM_POLICERS);
    qv_wr(d, 0, QV_DEV_ESW_MODE, QV_ESW_SWITCHDEV);
    g_assert_cmpuint(qv_rd(d, 0, QV_DEV_ESW_MODE), ==, QV_ESW_SWITCHDEV);
    qv_wr(d, 0, QV_DEV_ESW_MODE, 7);            /* invalid: ignored */
    g_assert_cmpuint(qv_rd(d, 0, QV_DEV_ESW_MODE), ==, QV_ESW_SWITCHDEV);

    /* The device clock is QEMU_CLOCK_VIRTUAL. */
    t0 = rd64(d, QV_DEV_CLOCK_LO);
    qv_step(d, 12345);
    g_assert_cmpuint(rd64(d, QV_DEV_CLOCK_LO), ==, t0 + 12345);

    /* A rule, a policer and the mode go with a device reset. */
    g_assert_true(rule_set(d, 3, (uint32_t[RL_REGS]) {
        [QV_RL_ACTION / 4] = QV_RLA_DROP }, 0));
    set_policer(d, 1, 1000000, 3000);
    qv_system_reset(d);
    g_assert_cmpuint(qv_rd(d, 0, QV_DEV_ESW_MODE), ==, QV_ESW_LEGACY);
    g_assert_cmphex(qv_rd(d, 0, QV_RULE(3) + QV_RL_CTRL), ==, 0);
    g_assert_cmphex(qv_rd(d, 0, QV_RULE(3) + QV_RL_ACTION), ==, 0);
    g_assert_cmphex(qv_rd(d, 0, QV_POLICER(1) + QV_PL_RATE_LO), ==, 0);
    esw_stop(e);
}

/*
 * A VF's frame that matches no rule goes to the PF with its source port:
 * unicast to another VF's MAC, to the outside, broadcast alike. Nothing
 * reaches the other VF or the wire.
 */
static void test_esw_slow_path_vf(void)
{
    Esw *e = esw_start(NULL, true);
    uint8_t frame[300];
    uint16_t sta;

    qv_frame(frame, e->mac[2], e->mac[1], 0x88b5, sizeof(frame));
    tx(e, 1, frame, sizeof(frame));
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_cmphex(sta & (QV_RXD_STA_SRC_PORT | QV_RXD_STA_LOOPBACK), ==,
                    QV_RXD_STA_SRC_PORT | QV_RXD_STA_LOOPBACK);
    g_assert_cmphex(e->rx[0].src_port, ==, 1);

    qv_frame(frame, qv_bcast, e->mac[2], 0x88b5, sizeof(frame));
    tx(e, 2, frame, sizeof(frame));
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_true(sta & QV_RXD_STA_SRC_PORT);
    g_assert_cmphex(e->rx[0].src_port, ==, 2);

    qv_frame(frame, ext_mac, e->mac[1], 0x88b5, sizeof(frame));
    tx(e, 1, frame, sizeof(frame));
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_cmphex(e->rx[0].src_port, ==, 1);

    assert_nothing(e, 1);
    assert_nothing(e, 2);
    assert_no_wire(e);
    g_assert_cmpuint(rd64(e->d, QV_DEV_ESW_MISS_LO), ==, 3);
    g_assert_cmpuint(qv_stat(e->d, 1, QV_STAT_TX_PACKETS), ==, 2);
    g_assert_cmpuint(qv_stat(e->d, 0, QV_STAT_LOOPBACK_RX), ==, 3);
    /* The buffer address was written back over; restored by take(). */
    esw_stop(e);
}

/* A frame from the wire that matches no rule goes to the PF, port UPLINK. */
static void test_esw_slow_path_uplink(void)
{
    Esw *e = esw_start(NULL, true);
    uint8_t frame[200];
    uint16_t sta;

    qv_frame(frame, e->mac[1], ext_mac, 0x88b5, sizeof(frame));
    qv_inject(e->d, frame, sizeof(frame));
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_cmphex(sta & (QV_RXD_STA_SRC_PORT | QV_RXD_STA_LOOPBACK), ==,
                    QV_RXD_STA_SRC_PORT);
    g_assert_cmphex(e->rx[0].src_port, ==, UPLINK);
    qv_frame(frame, qv_bcast, ext_mac, 0x88b5, sizeof(frame));
    qv_inject(e->d, frame, sizeof(frame));
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_cmphex(e->rx[0].src_port, ==, UPLINK);
    assert_nothing(e, 1);
    assert_nothing(e, 2);
    g_assert_cmpuint(rd64(e->d, QV_DEV_ESW_MISS_LO), ==, 2);

    /* Back in legacy mode the VEB delivers by MAC, with no port. */
    qv_wr(e->d, 0, QV_DEV_ESW_MODE, QV_ESW_LEGACY);
    qv_frame(frame, e->mac[1], ext_mac, 0x88b5, sizeof(frame));
    qv_inject(e->d, frame, sizeof(frame));
    assert_got(e, 1, frame, sizeof(frame), &sta);
    g_assert_false(sta & QV_RXD_STA_SRC_PORT);
    assert_nothing(e, 0);
    esw_stop(e);
}

/*
 * The PF sends to a port with a context descriptor: to a VF through the
 * VF's admission control, to the uplink; without one, to the wire. A
 * context descriptor where it does not belong drops the frame.
 */
static void test_esw_pf_to_port(void)
{
    Esw *e = esw_start(NULL, true);
    QvDev *d = e->d;
    uint8_t frame[1000];
    uint16_t sta;

    qv_frame(frame, e->mac[2], e->mac[0], 0x88b5, sizeof(frame));
    g_assert_cmphex(send_ctx(e, 2, frame, sizeof(frame)), ==, QV_TXD_STA_DD);
    assert_got(e, 2, frame, sizeof(frame), &sta);
    g_assert_true(sta & QV_RXD_STA_LOOPBACK);
    g_assert_false(sta & QV_RXD_STA_SRC_PORT);
    assert_no_wire(e);
    /* By port, not by MAC: VF 1 gets a frame for VF 2's MAC. */
    g_assert_cmphex(send_ctx(e, 1, frame, sizeof(frame)), ==, QV_TXD_STA_DD);
    assert_got(e, 1, frame, sizeof(frame), NULL);

    /* Through the VF's admission: its policer (one frame of burst). */
    qv_set_rx_rate(d, 2, 8000, sizeof(frame));
    send_ctx(e, 2, frame, sizeof(frame));
    send_ctx(e, 2, frame, sizeof(frame));
    assert_got(e, 2, frame, sizeof(frame), NULL);
    assert_nothing(e, 2);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_DROP_RATE), ==, 1);
    qv_set_rx_rate(d, 2, 0, 0);
    /* ... and its link state. */
    qv_mg_wr(d, 1, QV_MG_FLAGS, QV_LINK_DISABLE << QV_MGF_LINK_SHIFT);
    send_ctx(e, 1, frame, sizeof(frame));
    assert_nothing(e, 1);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_LINK_DOWN), ==, 1);
    qv_mg_wr(d, 1, QV_MG_FLAGS, QV_LINK_AUTO << QV_MGF_LINK_SHIFT);

    /* To the uplink, or with no context descriptor: the wire. */
    g_assert_cmphex(send_ctx(e, UPLINK, frame, sizeof(frame)), ==,
                    QV_TXD_STA_DD);
    assert_wire(e, frame, sizeof(frame));
    tx(e, 0, frame, sizeof(frame));
    assert_wire(e, frame, sizeof(frame));
    assert_nothing(e, 2);

    /* Port 0 (itself) and ports that do not exist: dropped. */
    g_assert_cmphex(send_ctx(e, 0, frame, sizeof(frame)), ==,
                    QV_TXD_STA_DD | QV_TXD_STA_ERR);
    g_assert_cmphex(send_ctx(e, 0x0ffe, frame, sizeof(frame)), ==,
                    QV_TXD_STA_DD | QV_TXD_STA_ERR);
    /* In legacy mode a context descriptor is not the PF's to send. */
    qv_wr(d, 0, QV_DEV_ESW_MODE, QV_ESW_LEGACY);
    g_assert_cmphex(send_ctx(e, 2, frame, sizeof(frame)), ==,
                    QV_TXD_STA_DD | QV_TXD_STA_ERR);
    g_assert_cmpuint(qv_stat(d, 0, QV_STAT_TX_DROP_BAD), ==, 3);
    assert_nothing(e, 2);
    assert_no_wire(e);
    esw_stop(e);
}

/* A VF may never send a context descriptor. */
static void test_esw_vf_ctx(void)
{
    Esw *e = esw_start(NULL, true);
    QvRing *r = &e->tx[1];
    uint8_t frame[100];
    uint64_t buf = qv_alloc(e->d, sizeof(frame), 64);

    qv_frame(frame, e->mac[2], e->mac[1], 0x88b5, sizeof(frame));
    qtest_memwrite(e->d->qts, buf, frame, sizeof(frame));
    qtest_writeq(e->d->qts, r->base + QV_TXD_ADDR, 2);
    qtest_writeb(e->d->qts, r->base + QV_TXD_CMD, QV_TXD_CTX_DPORT);
    qtest_writeq(e->d->qts, r->base + QV_TXD_SIZE + QV_TXD_ADDR, buf);
    qtest_writew(e->d->qts, r->base + QV_TXD_SIZE + QV_TXD_LEN,
                 sizeof(frame));
    qtest_writeb(e->d->qts, r->base + QV_TXD_SIZE + QV_TXD_CMD, QV_TXD_EOP);
    r->tail = 2;
    qv_wr(e->d, 1, QV_FN_TX_TAIL, 2);
    qv_sync(e->d);
    g_assert_cmpuint(qv_rd(e->d, 1, QV_FN_TX_HEAD), ==, 2);
    g_assert_cmphex(qv_tx_status(e->d, r, 1), ==,
                    QV_TXD_STA_DD | QV_TXD_STA_ERR);
    g_assert_cmpuint(qv_stat(e->d, 1, QV_STAT_TX_DROP_BAD), ==, 1);
    assert_nothing(e, 2);
    assert_nothing(e, 0);
    esw_stop(e);
}

/*
 * Every match field: a rule that drops what it matches; the frame that
 * matches is counted on the rule and reaches nobody, the one that does
 * not is a miss and reaches the PF.
 */
typedef struct MatchCase {
    const char *name;
    uint32_t regs[RL_REGS];
    int fn;                     /* sender: a VF, or 0 for the wire */
    size_t (*hit)(Esw *e, uint8_t *b);
    size_t (*miss)(Esw *e, uint8_t *b);
} MatchCase;

static size_t f_plain(Esw *e, uint8_t *b)
{
    return qv_frame(b, e->mac[2], e->mac[1], 0x88b5, 100);
}

static size_t f_other_type(Esw *e, uint8_t *b)
{
    return qv_frame(b, e->mac[2], e->mac[1], 0x88b6, 100);
}

static size_t f_to_ext(Esw *e, uint8_t *b)
{
    return qv_frame(b, ext_mac, e->mac[1], 0x88b5, 100);
}

static size_t f_to_ext2(Esw *e, uint8_t *b)
{
    uint8_t m[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbc, 0xcc };

    return qv_frame(b, m, e->mac[1], 0x88b5, 100);
}

static size_t f_wire_from_ext(Esw *e, uint8_t *b)
{
    return qv_frame(b, e->mac[2], ext_mac, 0x88b5, 100);
}

static size_t f_wire_from_other(Esw *e, uint8_t *b)
{
    uint8_t m[6] = { 0x52, 0x54, 0x01, 0xaa, 0xbb, 0xcc };

    return qv_frame(b, e->mac[2], m, 0x88b5, 100);
}

static size_t f_wire_tag10(Esw *e, uint8_t *b)
{
    uint8_t p[100];

    f_wire_from_ext(e, p);
    return tag_frame(b, p, 100, 0xa00a);
}

static size_t f_wire_tag11(Esw *e, uint8_t *b)
{
    uint8_t p[100];

    f_wire_from_ext(e, p);
    return tag_frame(b, p, 100, 0x000b);
}

static size_t f_udp53(Esw *e, uint8_t *b)
{
    return ip4_frame(b, e->mac[2], e->mac[1], 17, 1111, 53, 0, 100);
}

static size_t f_udp54(Esw *e, uint8_t *b)
{
    return ip4_frame(b, e->mac[2], e->mac[1], 17, 1111, 54, 0, 100);
}

static size_t f_tcp53(Esw *e, uint8_t *b)
{
    return ip4_frame(b, e->mac[2], e->mac[1], 6, 1111, 53, 0, 100);
}

static size_t f_udp_src_0x1234(Esw *e, uint8_t *b)
{
    return ip4_frame(b, e->mac[2], e->mac[1], 17, 0x1234, 9, 0, 100);
}

static size_t f_udp_src_0x1334(Esw *e, uint8_t *b)
{
    return ip4_frame(b, e->mac[2], e->mac[1], 17, 0x1334, 9, 0, 100);
}

static size_t f_udp_mf(Esw *e, uint8_t *b)
{
    return ip4_frame(b, e->mac[2], e->mac[1], 17, 1111, 53, 0x2000, 100);
}

static size_t f_udp_later_frag(Esw *e, uint8_t *b)
{
    /* Not the first fragment: its "ports" are payload, never matched. */
    return ip4_frame(b, e->mac[2], e->mac[1], 17, 1111, 53, 0x0010, 100);
}

static size_t f_tcp6_443(Esw *e, uint8_t *b)
{
    return ip6_frame(b, e->mac[2], e->mac[1], 6, 5555, 443, 120);
}

static size_t f_udp6_443(Esw *e, uint8_t *b)
{
    return ip6_frame(b, e->mac[2], e->mac[1], 17, 5555, 443, 120);
}

static size_t f_frag6(Esw *e, uint8_t *b)
{
    return ip6_frame(b, e->mac[2], e->mac[1], 44, 5555, 443, 120);
}

static size_t f_from_vf2(Esw *e, uint8_t *b)
{
    return qv_frame(b, e->mac[1], e->mac[2], 0x88b5, 100);
}

#define MATCH(f)        [QV_RL_MATCH / 4] = (f)
#define ACTION(a)       [QV_RL_ACTION / 4] = (a)
#define DROP            ACTION(QV_RLA_DROP)

static const MatchCase match_cases[] = {
    { "in_port", { MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1, DROP },
      1, f_plain, NULL },
    /* ext_mac 52:54:00:aa:bb:cc; the miss differs in byte 4 ... */
    { "dst_mac", { MATCH(QV_RLM_DST_MAC), [QV_RL_DMAC_LO / 4] = 0xaa005452,
                   [QV_RL_DMAC_HI / 4] = 0xccbb,
                   [QV_RL_DMAC_MASK_LO / 4] = 0xffffffff,
                   [QV_RL_DMAC_MASK_HI / 4] = 0xffff, DROP },
      1, f_to_ext, f_to_ext2 },
    /* ... or, under a mask of the OUI only, in byte 2. */
    { "src_mac_masked", { MATCH(QV_RLM_SRC_MAC),
                          [QV_RL_SMAC_LO / 4] = 0xff005452,
                          [QV_RL_SMAC_HI / 4] = 0xffff,
                          [QV_RL_SMAC_MASK_LO / 4] = 0x00ffffff, DROP },
      0, f_wire_from_ext, f_wire_from_other },
    { "vlan", { MATCH(QV_RLM_VLAN), [QV_RL_KEY / 4] = 10 << QV_RL_VID_SHIFT,
                DROP }, 0, f_wire_tag10, f_wire_tag11 },
    { "untagged", { MATCH(QV_RLM_UNTAGGED), DROP }, 0,
      f_wire_from_ext, f_wire_tag10 },
    { "ethertype", { MATCH(QV_RLM_ETYPE), [QV_RL_PROTO / 4] = 0x88b5, DROP },
      1, f_plain, f_other_type },
    { "ethertype-behind-tag", { MATCH(QV_RLM_ETYPE | QV_RLM_VLAN),
                                [QV_RL_KEY / 4] = 11 << QV_RL_VID_SHIFT,
                                [QV_RL_PROTO / 4] = 0x88b5, DROP },
      0, f_wire_tag11, f_wire_tag10 },
    { "ip_proto", { MATCH(QV_RLM_IP_PROTO),
                    [QV_RL_PROTO / 4] = 17 << QV_RL_IP_PROTO_SHIFT, DROP },
      1, f_udp53, f_tcp53 },
    { "l4_dst", { MATCH(QV_RLM_IP_PROTO | QV_RLM_L4_DST),
                  [QV_RL_PROTO / 4] = 17 << QV_RL_IP_PROTO_SHIFT,
                  [QV_RL_L4 / 4] = 53 << 16, [QV_RL_L4_MASK / 4] = 0xffff0000,
                  DROP }, 1, f_udp53, f_udp54 },
    { "l4_src_masked", { MATCH(QV_RLM_IP_PROTO | QV_RLM_L4_SRC),
                         [QV_RL_PROTO / 4] = 17 << QV_RL_IP_PROTO_SHIFT,
                         [QV_RL_L4 / 4] = 0x1200, [QV_RL_L4_MASK / 4] = 0xff00,
                         DROP }, 1, f_udp_src_0x1234, f_udp_src_0x1334 },
    { "l4_not_in_later_fragment", { MATCH(QV_RLM_IP_PROTO | QV_RLM_L4_DST),
                  [QV_RL_PROTO / 4] = 17 << QV_RL_IP_PROTO_SHIFT,
                  [QV_RL_L4 / 4] = 53 << 16, [QV_RL_L4_MASK / 4] = 0xffff0000,
                  DROP }, 1, f_udp_mf, f_udp_later_frag },
    { "frag_yes", { MATCH(QV_RLM_FRAG), [QV_RL_KEY / 4] = QV_RL_FRAG_YES,
                    DROP }, 1, f_udp_mf, f_udp53 },
    { "frag_no", { MATCH(QV_RLM_FRAG), DROP }, 1, f_udp53, f_udp_later_frag },
    { "frag_ipv6", { MATCH(QV_RLM_FRAG), [QV_RL_KEY / 4] = QV_RL_FRAG_YES,
                     DROP }, 1, f_frag6, f_tcp6_443 },
    { "ipv6_tcp_port", { MATCH(QV_RLM_IP_PROTO | QV_RLM_L4_DST |
                               QV_RLM_ETYPE),
                         [QV_RL_PROTO / 4] = 6 << QV_RL_IP_PROTO_SHIFT | 0x86dd,
                         [QV_RL_L4 / 4] = 443 << 16,
                         [QV_RL_L4_MASK / 4] = 0xffff0000, DROP },
      1, f_tcp6_443, f_udp6_443 },
};

static void test_esw_match(void)
{
    for (unsigned c = 0; c < ARRAY_SIZE(match_cases); c++) {
        const MatchCase *m = &match_cases[c];
        Esw *e = esw_start(NULL, true);
        uint8_t b[512];
        size_t len;

        g_test_message("match case %s", m->name);
        g_assert_true(rule_set(e->d, 5, m->regs, 0));
        len = m->hit(e, b);
        if (m->fn) {
            tx(e, m->fn, b, len);
        } else {
            qv_inject(e->d, b, len);
            qv_sync(e->d);
        }
        g_assert_cmpuint(rule_stat(e->d, 5, QV_RLS_PACKETS), ==, 1);
        g_assert_cmpuint(rule_stat(e->d, 5, QV_RLS_BYTES), ==, len);
        assert_nothing(e, 0);

        if (m->miss) {
            len = m->miss(e, b);
            if (m->fn) {
                tx(e, m->fn, b, len);
            } else {
                qv_inject(e->d, b, len);
            }
        } else {
            /* in_port: the same frame from VF 2 does not match. */
            len = f_from_vf2(e, b);
            tx(e, 2, b, len);
        }
        assert_got(e, 0, b, len, NULL);
        g_assert_cmpuint(rule_stat(e->d, 5, QV_RLS_PACKETS), ==, 1);
        g_assert_cmpuint(rd64(e->d, QV_DEV_ESW_MISS_LO), ==, 1);
        assert_nothing(e, 1);
        assert_nothing(e, 2);
        assert_no_wire(e);
        esw_stop(e);
    }
}

/*
 * Actions: redirect to a VF (through its admission), to the uplink, to the
 * PF (with the source port), VLAN push and pop.
 */
static void test_esw_redirect(void)
{
    Esw *e = esw_start(NULL, true);
    QvDev *d = e->d;
    uint8_t frame[400], tagged[404];
    uint16_t sta;

    /* VF 1 -> VF 2, by in_port. */
    g_assert_true(rule_set(d, 0, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 2 }, 0));
    qv_frame(frame, ext_mac, e->mac[1], 0x88b5, sizeof(frame));
    tx(e, 1, frame, sizeof(frame));
    assert_got(e, 2, frame, sizeof(frame), &sta);
    g_assert_true(sta & QV_RXD_STA_LOOPBACK);
    assert_nothing(e, 0);
    assert_no_wire(e);
    /* Through VF 2's admission: a frame above its MTU is refused. */
    qv_wr(d, 2, QV_FN_MTU, 200);
    tx(e, 1, frame, sizeof(frame));
    assert_nothing(e, 2);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_DROP_LENGTH), ==, 1);
    qv_wr(d, 2, QV_FN_MTU, 1500);
    rule_del(d, 0);

    /* VF 2 -> the uplink. */
    g_assert_true(rule_set(d, 1, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 2,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT,
        [QV_RL_ACT_ARG / 4] = UPLINK }, 0));
    qv_frame(frame, e->mac[1], e->mac[2], 0x88b5, sizeof(frame));
    tx(e, 2, frame, sizeof(frame));
    assert_wire(e, frame, sizeof(frame));
    assert_nothing(e, 1);

    /* The uplink -> VF 1, popping the tag; VLAN 5 only. */
    g_assert_true(rule_set(d, 2, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT | QV_RLM_VLAN),
        [QV_RL_KEY / 4] = UPLINK | 5 << QV_RL_VID_SHIFT,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT | QV_RLA_VLAN_POP,
        [QV_RL_ACT_ARG / 4] = 1 }, 0));
    qv_frame(frame, e->mac[1], ext_mac, 0x88b5, sizeof(frame));
    tag_frame(tagged, frame, sizeof(frame), 5);
    qv_inject(d, tagged, sizeof(tagged));
    assert_got(e, 1, frame, sizeof(frame), &sta);
    g_assert_false(sta & (QV_RXD_STA_LOOPBACK | QV_RXD_STA_VLAN));

    /* VF 1 -> VF 2 pushing a tag (VF 2 does not strip it). */
    g_assert_true(rule_set(d, 3, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT | QV_RLA_VLAN_PUSH,
        [QV_RL_ACT_ARG / 4] = 2 | 0x6064u << QV_RL_TCI_SHIFT }, 0));
    qv_frame(frame, e->mac[2], e->mac[1], 0x88b5, sizeof(frame));
    tag_frame(tagged, frame, sizeof(frame), 0x6064);
    tx(e, 1, frame, sizeof(frame));
    assert_got(e, 2, tagged, sizeof(tagged), NULL);
    rule_del(d, 3);

    /* VF 1 -> the PF explicitly: the source port comes along. */
    g_assert_true(rule_set(d, 4, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 0 }, 0));
    tx(e, 1, frame, sizeof(frame));
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_true(sta & QV_RXD_STA_SRC_PORT);
    g_assert_cmphex(e->rx[0].src_port, ==, 1);
    g_assert_cmpuint(rd64(d, QV_DEV_ESW_MISS_LO), ==, 0);

    /* The uplink back to the uplink: never (a loop). */
    g_assert_true(rule_set(d, 6, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = UPLINK,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT,
        [QV_RL_ACT_ARG / 4] = UPLINK }, 0));
    qv_frame(frame, e->mac[1], ext_mac, 0x88b6, sizeof(frame));
    qv_inject(d, frame, sizeof(frame));
    qv_sync(d);
    g_assert_cmpuint(rule_stat(d, 6, QV_RLS_PACKETS), ==, 1);
    assert_no_wire(e);
    assert_nothing(e, 0);
    esw_stop(e);
}

/*
 * Police: the policer's bucket starts full (burst), refills at its rate
 * in virtual time, and refuses what does not conform; two rules share it.
 */
static void test_esw_police(void)
{
    Esw *e = esw_start(NULL, true);
    QvDev *d = e->d;
    uint8_t frame[1000];
    int i;

    set_policer(d, 7, 8000000, 3000);       /* 1000 bytes per ms */
    for (i = 1; i <= 2; i++) {
        g_assert_true(rule_set(d, i, (uint32_t[RL_REGS]) {
            MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = i,
            [QV_RL_ACTION / 4] = QV_RLA_REDIRECT | QV_RLA_POLICE |
                                 7 << QV_RLA_POLICER_SHIFT,
            [QV_RL_ACT_ARG / 4] = UPLINK }, 0));
    }
    qv_frame(frame, ext_mac, e->mac[1], 0x88b5, sizeof(frame));
    for (i = 0; i < 5; i++) {
        tx(e, 1, frame, sizeof(frame));
    }
    for (i = 0; i < 3; i++) {
        assert_wire(e, frame, sizeof(frame));
    }
    assert_no_wire(e);
    g_assert_cmpuint(rd64(d, QV_POLICER(7) + QV_PL_DROPS_LO), ==, 2);
    /* Every match is counted, the policer's drops too. */
    g_assert_cmpuint(rule_stat(d, 1, QV_RLS_PACKETS), ==, 5);

    /* 1 ms later, one frame's worth; VF 2 shares the bucket. */
    qv_step(d, 1000 * 1000);
    qv_frame(frame, ext_mac, e->mac[2], 0x88b5, sizeof(frame));
    tx(e, 2, frame, sizeof(frame));
    tx(e, 2, frame, sizeof(frame));
    assert_wire(e, frame, sizeof(frame));
    assert_no_wire(e);
    g_assert_cmpuint(rd64(d, QV_POLICER(7) + QV_PL_DROPS_LO), ==, 3);
    g_assert_cmpuint(rule_stat(d, 2, QV_RLS_PACKETS), ==, 2);

    /* A write clears the drop counter; rate 0 lets everything through. */
    qv_wr(d, 0, QV_POLICER(7) + QV_PL_DROPS_LO, 0);
    g_assert_cmpuint(rd64(d, QV_POLICER(7) + QV_PL_DROPS_LO), ==, 0);
    set_policer(d, 7, 0, 0);
    for (i = 0; i < 4; i++) {
        tx(e, 2, frame, sizeof(frame));
        assert_wire(e, frame, sizeof(frame));
    }
    g_assert_cmpuint(rd64(d, QV_POLICER(7) + QV_PL_DROPS_LO), ==, 0);

    /* From the wire too: policed before delivery to VF 1. */
    set_policer(d, 8, 8000000, 1000);
    g_assert_true(rule_set(d, 3, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = UPLINK,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT | QV_RLA_POLICE |
                             8 << QV_RLA_POLICER_SHIFT,
        [QV_RL_ACT_ARG / 4] = 1 }, 0));
    qv_frame(frame, e->mac[1], ext_mac, 0x88b5, sizeof(frame));
    qv_inject(d, frame, sizeof(frame));
    qv_inject(d, frame, sizeof(frame));
    assert_got(e, 1, frame, sizeof(frame), NULL);
    assert_nothing(e, 1);
    g_assert_cmpuint(rd64(d, QV_POLICER(8) + QV_PL_DROPS_LO), ==, 1);
    esw_stop(e);
}

/*
 * Counters (packets, bytes, last use on the device clock), reset by a
 * commit; priority, then index, decides between rules that both match.
 */
static void test_esw_counters_order(void)
{
    Esw *e = esw_start(NULL, true);
    QvDev *d = e->d;
    uint8_t frame[333];
    uint64_t t;

    g_assert_true(rule_set(d, 9, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 2 }, 5));
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_LASTUSE), ==, 0);
    qv_frame(frame, ext_mac, e->mac[1], 0x88b5, sizeof(frame));
    qv_step(d, 5000);
    t = rd64(d, QV_DEV_CLOCK_LO);
    tx(e, 1, frame, sizeof(frame));
    qv_step(d, 7000);
    tx(e, 1, frame, sizeof(frame));
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_PACKETS), ==, 2);
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_BYTES), ==, 2 * sizeof(frame));
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_LASTUSE), ==, t + 7000);
    assert_got(e, 2, frame, sizeof(frame), NULL);
    assert_got(e, 2, frame, sizeof(frame), NULL);

    /* A rule at a lower priority value wins, wherever it is. */
    g_assert_true(rule_set(d, 200, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1, DROP }, 4));
    tx(e, 1, frame, sizeof(frame));
    g_assert_cmpuint(rule_stat(d, 200, QV_RLS_PACKETS), ==, 1);
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_PACKETS), ==, 2);
    assert_nothing(e, 2);
    /* Same priority: the lower index. */
    g_assert_true(rule_set(d, 100, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 0 }, 4));
    tx(e, 1, frame, sizeof(frame));
    g_assert_cmpuint(rule_stat(d, 100, QV_RLS_PACKETS), ==, 1);
    assert_got(e, 0, frame, sizeof(frame), NULL);

    /* Removed and committed again: its counters start from 0. */
    rule_del(d, 9);
    g_assert_true(rule_set(d, 9, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 1,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 2 }, 5));
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_PACKETS), ==, 0);
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_BYTES), ==, 0);
    g_assert_cmpuint(rule_stat(d, 9, QV_RLS_LASTUSE), ==, 0);
    esw_stop(e);
}

/* Rules the device cannot carry out are refused; valid ones are locked. */
static void test_esw_validate(void)
{
    Esw *e = esw_start("max-vfs=4", true);
    QvDev *d = e->d;
    static const uint32_t bad[][RL_REGS] = {
        { 0 },                                          /* no action */
        { [QV_RL_ACTION / 4] = QV_RLA_DROP | QV_RLA_REDIRECT },
        { [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 5 },
        { [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 0xffe },
        { MATCH(QV_RLM_IN_PORT), [QV_RL_KEY / 4] = 9, DROP },
        { MATCH(QV_RLM_VLAN | QV_RLM_UNTAGGED), DROP },
        { MATCH(QV_RLM_L4_DST), DROP },
        { MATCH(QV_RLM_L4_DST | QV_RLM_IP_PROTO),
          [QV_RL_PROTO / 4] = 1 << QV_RL_IP_PROTO_SHIFT, DROP },
        { [QV_RL_ACTION / 4] = QV_RLA_DROP | QV_RLA_POLICE |
                               64 << QV_RLA_POLICER_SHIFT },
        { MATCH(1u << 12), DROP },
        { [QV_RL_DMAC_HI / 4] = 0x10000, DROP },
        { [QV_RL_ACTION / 4] = QV_RLA_DROP | 1u << 8 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        g_test_message("bad rule %u", i);
        g_assert_false(rule_set(d, 10, bad[i], 0));
    }
    /* Reserved bits of CTRL itself. */
    qv_wr(d, 0, QV_RULE(10) + QV_RL_ACTION, QV_RLA_DROP);
    qv_wr(d, 0, QV_RULE(10) + QV_RL_CTRL, QV_RL_VALID | 2);
    g_assert_false(qv_rd(d, 0, QV_RULE(10) + QV_RL_CTRL) & QV_RL_VALID);
    /* VF 3 (port 4) is the last with max-vfs=4. */
    g_assert_true(rule_set(d, 10, (uint32_t[RL_REGS]) {
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT, [QV_RL_ACT_ARG / 4] = 4 }, 3));
    /* Valid: its fields are locked, and so is CTRL but for clearing it. */
    qv_wr(d, 0, QV_RULE(10) + QV_RL_ACT_ARG, 1);
    g_assert_cmphex(qv_rd(d, 0, QV_RULE(10) + QV_RL_ACT_ARG), ==, 4);
    qv_wr(d, 0, QV_RULE(10) + QV_RL_CTRL, QV_RL_VALID | 9 << 16);
    g_assert_cmphex(qv_rd(d, 0, QV_RULE(10) + QV_RL_CTRL), ==,
                    QV_RL_VALID | 3 << 16);
    rule_del(d, 10);
    g_assert_cmphex(qv_rd(d, 0, QV_RULE(10) + QV_RL_CTRL), ==, 0);
    qv_wr(d, 0, QV_RULE(10) + QV_RL_ACT_ARG, 1);
    g_assert_cmphex(qv_rd(d, 0, QV_RULE(10) + QV_RL_ACT_ARG), ==, 1);
    /* The last rule and policer are there, nothing beyond. */
    g_assert_true(rule_set(d, QV_ESW_NUM_RULES - 1, (uint32_t[RL_REGS]) {
        DROP }, 0));
    qv_wr(d, 0, QV_ESW_END, 1);
    g_assert_cmphex(qv_rd(d, 0, QV_ESW_END), ==, 0);
    esw_stop(e);
}

/*
 * Mode changes with frames held in the buffer: what a function holds was
 * classified when it arrived and is delivered so; what arrives after the
 * write follows the new mode.
 */
static void test_esw_mode_change_held(void)
{
    Esw *e = esw_start(NULL, false);
    QvDev *d = e->d;
    uint8_t frame[500], other[500];
    uint16_t sta;

    /* Legacy: frames for VF 1 wait in its partition (no buffers posted). */
    qv_rx_setup(d, 1, &e->rx[1], 32, 2048, false);
    qv_frame(frame, e->mac[1], ext_mac, 0x88b5, sizeof(frame));
    qv_inject(d, frame, sizeof(frame));
    qv_inject(d, frame, sizeof(frame));
    qv_sync(d);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_BUF_OCCUPANCY), ==,
                     2 * QV_BUF_CELL_SIZE * 2);
    qv_wr(d, 0, QV_DEV_ESW_MODE, QV_ESW_SWITCHDEV);
    /* New frames go to the PF, the held ones stay VF 1's. */
    qv_frame(other, e->mac[1], ext_mac, 0x88b6, sizeof(other));
    qv_inject(d, other, sizeof(other));
    assert_got(e, 0, other, sizeof(other), &sta);
    g_assert_cmphex(e->rx[0].src_port, ==, UPLINK);
    qv_rx_post(d, &e->rx[1], 31);
    assert_got(e, 1, frame, sizeof(frame), &sta);
    g_assert_false(sta & QV_RXD_STA_SRC_PORT);
    assert_got(e, 1, frame, sizeof(frame), NULL);
    assert_nothing(e, 1);

    /* Switchdev: VF 2's frames wait for the PF, with their port. */
    qv_rx_setup(d, 0, &e->rx[0], 32, 2048, false);
    qv_frame(frame, e->mac[1], e->mac[2], 0x88b5, sizeof(frame));
    tx(e, 2, frame, sizeof(frame));
    g_assert_cmpuint(qv_mg_stat(d, 0, QV_STAT_BUF_OCCUPANCY), >, 0);
    qv_wr(d, 0, QV_DEV_ESW_MODE, QV_ESW_LEGACY);
    tx(e, 2, frame, sizeof(frame));       /* the VEB: to VF 1 */
    assert_got(e, 1, frame, sizeof(frame), &sta);
    g_assert_false(sta & QV_RXD_STA_SRC_PORT);
    qv_rx_post(d, &e->rx[0], 31);
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_true(sta & QV_RXD_STA_SRC_PORT);
    g_assert_cmphex(e->rx[0].src_port, ==, 2);
    assert_nothing(e, 0);
    esw_stop(e);
}

/* Mode, rules, counters, policers and held frames' ports migrate. */
static void test_esw_migration(void)
{
    Esw *e = esw_start(NULL, true);
    QvDev *d = e->d, *b;
    uint8_t frame[300];
    QvRing rx0;
    uint16_t sta;
    uint8_t buf[4096];

    g_assert_true(rule_set(d, 42, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT | QV_RLM_ETYPE), [QV_RL_KEY / 4] = 1,
        [QV_RL_PROTO / 4] = 0x88b5,
        [QV_RL_ACTION / 4] = QV_RLA_REDIRECT | QV_RLA_POLICE |
                             3 << QV_RLA_POLICER_SHIFT,
        [QV_RL_ACT_ARG / 4] = 2 }, 7));
    set_policer(d, 3, 8000000, 1000);
    qv_frame(frame, ext_mac, e->mac[1], 0x88b5, sizeof(frame));
    tx(e, 1, frame, sizeof(frame));
    assert_got(e, 2, frame, sizeof(frame), NULL);
    /* A miss held for the PF, whose ring has no buffers. */
    qv_rx_setup(d, 0, &e->rx[0], 32, 2048, false);
    qv_frame(frame, ext_mac, e->mac[2], 0x88b6, sizeof(frame));
    tx(e, 2, frame, sizeof(frame));
    rx0 = e->rx[0];

    b = qv_migrate(d, NULL);
    qv_stop(d);
    e->d = b;
    g_assert_cmpuint(qv_rd(b, 0, QV_DEV_ESW_MODE), ==, QV_ESW_SWITCHDEV);
    g_assert_cmphex(qv_rd(b, 0, QV_RULE(42) + QV_RL_CTRL), ==,
                    QV_RL_VALID | 7 << 16);
    g_assert_cmpuint(rule_stat(b, 42, QV_RLS_PACKETS), ==, 1);
    g_assert_cmpuint(rd64(b, QV_POLICER(3) + QV_PL_RATE_LO), ==, 8000000);
    qv_rx_post(b, &rx0, 31);
    qv_sync(b);
    g_assert_cmpint(qv_rx_take(b, &rx0, buf, sizeof(buf), &sta, NULL, NULL),
                    ==, sizeof(frame));
    g_assert_cmpmem(buf, sizeof(frame), frame, sizeof(frame));
    g_assert_true(sta & QV_RXD_STA_SRC_PORT);
    g_assert_cmphex(rx0.src_port, ==, 2);
    qv_stop(b);
    g_free(e);
}

/*
 * Legacy mode's hairpin (QV_MGF_LOOPBACK, for the PF driver's loopback
 * self-test): a frame a function sends to its own MAC comes back to it;
 * without the flag it goes to the wire.
 */
static void test_esw_hairpin(void)
{
    Esw *e = esw_start(NULL, false);
    QvDev *d = e->d;
    uint8_t frame[128];
    uint16_t sta;

    g_assert_true(qv_rd(d, 0, QV_DEV_CAPS) & QV_CAPS_LOOPBACK);
    qv_frame(frame, e->mac[0], e->mac[0], 0x88b5, sizeof(frame));
    tx(e, 0, frame, sizeof(frame));
    assert_wire(e, frame, sizeof(frame));
    assert_nothing(e, 0);
    qv_mg_wr(d, 0, QV_MG_FLAGS, QV_MGF_LOOPBACK);
    g_assert_cmphex(qv_mg_rd(d, 0, QV_MG_FLAGS), ==, QV_MGF_LOOPBACK);
    tx(e, 0, frame, sizeof(frame));
    assert_got(e, 0, frame, sizeof(frame), &sta);
    g_assert_true(sta & QV_RXD_STA_LOOPBACK);
    assert_no_wire(e);
    /* A VF's own MAC, too. */
    qv_mg_wr(d, 1, QV_MG_FLAGS, QV_MGF_LOOPBACK | QV_MGF_SPOOFCHK);
    qv_frame(frame, e->mac[1], e->mac[1], 0x88b5, sizeof(frame));
    tx(e, 1, frame, sizeof(frame));
    assert_got(e, 1, frame, sizeof(frame), NULL);
    assert_no_wire(e);
    esw_stop(e);
}

/*
 * A VF's TSO frame in switchdev mode: the rule counts and polices each
 * segment that leaves, not the frame the driver queued.
 */
static void test_esw_tso_segments(void)
{
    Esw *e = esw_start(NULL, true);
    QvDev *d = e->d;
    uint8_t frame[54 + 3000], seg[2048];
    uint8_t *ip = frame + 14, *tcp = ip + 20;
    uint16_t sta;
    int n;

    qv_frame(frame, e->mac[2], e->mac[1], 0x0800, sizeof(frame));
    memset(ip, 0, 40);
    ip[0] = 0x45;
    stw_be_p(ip + 2, sizeof(frame) - 14);
    ip[8] = 64;
    ip[9] = 6;
    stw_be_p(tcp, 40000);
    stw_be_p(tcp + 2, 80);
    tcp[12] = 5 << 4;
    tcp[13] = 0x10;
    qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_TSO | QV_OFF_TX_CSUM);
    g_assert_true(rule_set(d, 0, (uint32_t[RL_REGS]) {
        MATCH(QV_RLM_IN_PORT | QV_RLM_IP_PROTO), [QV_RL_KEY / 4] = 1,
        [QV_RL_PROTO / 4] = 6 << QV_RL_IP_PROTO_SHIFT,
        ACTION(QV_RLA_REDIRECT), [QV_RL_ACT_ARG / 4] = 2 }, 0));
    qv_tx_send(d, &e->tx[1], frame, sizeof(frame),
               QV_TXD_TSO | QV_TXD_CSUM, 1000, 0);
    qv_wait_stat_sum(d, (int[]){ 2 }, 1,
                     (unsigned[]){ QV_STAT_RX_PACKETS }, 1, 3);
    for (n = 0; n < 3; n++) {
        g_assert_cmpint(take(e, 2, seg, &sta), ==, 54 + 1000);
        g_assert_cmpmem(seg + 54, 1000, frame + 54 + n * 1000, 1000);
    }
    g_assert_cmpuint(rule_stat(d, 0, QV_RLS_PACKETS), ==, 3);
    g_assert_cmpuint(rule_stat(d, 0, QV_RLS_BYTES), ==, 3 * (54 + 1000));
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_PACKETS), ==, 3);
    esw_stop(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/esw/mode", test_esw_mode);
    qtest_add_func("/qosvnic/esw/slow-path-vf", test_esw_slow_path_vf);
    qtest_add_func("/qosvnic/esw/slow-path-uplink",
                   test_esw_slow_path_uplink);
    qtest_add_func("/qosvnic/esw/pf-to-port", test_esw_pf_to_port);
    qtest_add_func("/qosvnic/esw/vf-context", test_esw_vf_ctx);
    qtest_add_func("/qosvnic/esw/match", test_esw_match);
    qtest_add_func("/qosvnic/esw/redirect", test_esw_redirect);
    qtest_add_func("/qosvnic/esw/police", test_esw_police);
    qtest_add_func("/qosvnic/esw/counters-order", test_esw_counters_order);
    qtest_add_func("/qosvnic/esw/validate", test_esw_validate);
    qtest_add_func("/qosvnic/esw/mode-change-held",
                   test_esw_mode_change_held);
    qtest_add_func("/qosvnic/esw/migration", test_esw_migration);
    qtest_add_func("/qosvnic/esw/hairpin", test_esw_hairpin);
    qtest_add_func("/qosvnic/esw/tso-segments", test_esw_tso_segments);
    return g_test_run();
}
