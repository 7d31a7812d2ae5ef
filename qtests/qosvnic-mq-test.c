/*
 * qosvnic qtest: queue pairs and RSS. The Toeplitz hash against the
 * published verification vectors of Microsoft's RSS specification, the
 * indirection table, per-queue interrupts, a VF's QoS (ingress policer,
 * buffer partition, egress shaper) holding over all of its queues, and
 * round robin between the queues of a function, both directions.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <arpa/inet.h>
#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "qosvnic-qtest-lib.h"

#define NS_PER_S        (1000 * 1000 * 1000LL)

/* The key of the verification suite. */
static const uint8_t ms_key[QV_RSS_KEY_BYTES] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

typedef struct V4Vector {
    uint8_t dst[4];
    uint16_t dport;
    uint8_t src[4];
    uint16_t sport;
    uint32_t hash_ip;       /* IPv4 only */
    uint32_t hash_tcp;      /* with TCP ports */
} V4Vector;

static const V4Vector v4[] = {
    { { 161, 142, 100, 80 }, 1766, { 66, 9, 149, 187 }, 2794,
      0x323e8fc2, 0x51ccc178 },
    { { 65, 69, 140, 83 }, 4739, { 199, 92, 111, 2 }, 14230,
      0xd718262a, 0xc626b0ea },
    { { 12, 22, 207, 184 }, 38024, { 24, 19, 198, 95 }, 12898,
      0xd2d0a5de, 0x5c2b394a },
    { { 209, 142, 163, 6 }, 2217, { 38, 27, 205, 30 }, 48228,
      0x82989176, 0xafc7327f },
    { { 202, 188, 127, 2 }, 1303, { 153, 39, 163, 191 }, 44251,
      0x5d1809c5, 0x10e828a2 },
};

typedef struct V6Vector {
    const char *dst;
    uint16_t dport;
    const char *src;
    uint16_t sport;
    uint32_t hash_ip;
    uint32_t hash_tcp;
} V6Vector;

static const V6Vector v6[] = {
    { "3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794,
      0x2cc18cd5, 0x40207d3d },
    { "ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230,
      0x0f0c461c, 0xdde51bbf },
    { "fe80::200:f8ff:fe21:67cf", 38024,
      "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251,
      0x4b61e985, 0x02d1feef },
};

static const uint8_t ext_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };

/* An IPv4 frame of @len bytes to @mac: TCP (6), UDP (17) or another. */
static size_t v4_frame(uint8_t *f, size_t len, const uint8_t *mac,
                       const V4Vector *v, uint8_t proto, uint16_t frag)
{
    memset(f, 0, len);
    memcpy(f, mac, 6);
    memcpy(f + 6, ext_mac, 6);
    stw_be_p(f + 12, 0x0800);
    f[14] = 0x45;
    stw_be_p(f + 16, len - 14);
    stw_be_p(f + 20, frag);
    f[22] = 64;
    f[23] = proto;
    memcpy(f + 26, v->src, 4);
    memcpy(f + 30, v->dst, 4);
    stw_be_p(f + 34, v->sport);
    stw_be_p(f + 36, v->dport);
    if (proto == 6) {
        f[46] = 0x50;
    }
    return len;
}

static size_t v6_frame(uint8_t *f, size_t len, const uint8_t *mac,
                       const V6Vector *v, uint8_t next)
{
    memset(f, 0, len);
    memcpy(f, mac, 6);
    memcpy(f + 6, ext_mac, 6);
    stw_be_p(f + 12, 0x86dd);
    f[14] = 0x60;
    stw_be_p(f + 18, len - 54);
    f[20] = next;
    f[21] = 64;
    g_assert_cmpint(inet_pton(AF_INET6, v->src, f + 22), ==, 1);
    g_assert_cmpint(inet_pton(AF_INET6, v->dst, f + 38), ==, 1);
    stw_be_p(f + 54, v->sport);
    stw_be_p(f + 56, v->dport);
    if (next == 6) {
        f[66] = 0x50;
    }
    return len;
}

static void set_key(QvDev *d, int fn, const uint8_t *key)
{
    for (int i = 0; i < QV_RSS_KEY_WORDS; i++) {
        qv_wr(d, fn, QV_FN_RSS_KEY(i), ldl_le_p(key + 4 * i));
    }
}

/* Indirection table entry i = @entry(i). */
static void set_reta(QvDev *d, int fn, uint8_t (*entry)(unsigned))
{
    for (unsigned i = 0; i < QV_RSS_RETA_WORDS; i++) {
        uint32_t w = 0;

        for (unsigned j = 0; j < 4; j++) {
            w |= (uint32_t)entry(4 * i + j) << (8 * j);
        }
        qv_wr(d, fn, QV_FN_RSS_RETA(i), w);
    }
}

static uint8_t reta_zero(unsigned i)
{
    return 0;
}

static uint8_t reta_mod5(unsigned i)
{
    return i % 5 % 4;
}

static uint8_t reta_two(unsigned i)
{
    return 2;
}

/* The next frame of @r, which must be there: its status. */
static uint16_t take(QvDev *d, QvRing *r, int len)
{
    uint8_t buf[2048];
    uint16_t sta = 0;

    g_assert_cmpint(qv_rx_take(d, r, buf, sizeof(buf), &sta, NULL, NULL),
                    ==, len);
    return sta;
}

static unsigned rss_type(uint16_t sta)
{
    return (sta & QV_RXD_STA_RSS_MASK) >> QV_RXD_STA_RSS_SHIFT;
}

static void inject_wait(QvDev *d, int fn, const uint8_t *f, size_t len)
{
    uint64_t before = qv_mg_stat(d, fn, QV_STAT_RX_PACKETS);

    qv_inject(d, f, len);
    qv_wait_stat_sum(d, (int[]) { fn }, 1,
                     (unsigned[]) { QV_STAT_RX_PACKETS }, 1, before + 1);
}

/* ---------------------------------------------------------------- hash */

static QvDev *rss_start(QvRing *rx, int nq, uint8_t mac[6])
{
    QvDev *d = qv_start("max-vfs=2", NULL);

    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac);
    qv_fn_start(d, 1);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_NUM_QUEUES), ==, QV_NUM_QUEUES);
    for (int q = 0; q < nq; q++) {
        qv_rxq_setup(d, 1, q, &rx[q], 32, 2048, true);
    }
    set_key(d, 1, ms_key);
    return d;
}

/* The published hashes, 4-tuple and 2-tuple, IPv4 and IPv6. */
static void test_toeplitz_vectors(void)
{
    uint8_t mac[6], f[256];
    QvRing rx;
    QvDev *d = rss_start(&rx, 1, mac);
    unsigned i;

    /* The key reads back as written; the table is all queue 0. */
    for (i = 0; i < QV_RSS_KEY_WORDS; i++) {
        g_assert_cmphex(qv_rd(d, 1, QV_FN_RSS_KEY(i)), ==,
                        (uint32_t)ldl_le_p(ms_key + 4 * i));
    }
    set_reta(d, 1, reta_zero);

    /* RSS off (reset): no hash, queue 0. */
    inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[0], 6, 0));
    g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==, QV_RSS_TYPE_NONE);

    qv_wr(d, 1, QV_FN_RSS_CTRL, QV_RSS_IPV4 | QV_RSS_IPV4_TCP |
          QV_RSS_IPV6 | QV_RSS_IPV6_TCP);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_RSS_CTRL), ==, QV_RSS_IPV4 |
                    QV_RSS_IPV4_TCP | QV_RSS_IPV6 | QV_RSS_IPV6_TCP);
    for (i = 0; i < ARRAY_SIZE(v4); i++) {
        inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[i], 6, 0));
        g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==,
                         QV_RSS_TYPE_IPV4_TCP);
        g_assert_cmphex(rx.rss_hash, ==, v4[i].hash_tcp);
        /* Not TCP or UDP: the addresses only. */
        inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[i], 1, 0));
        g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==,
                         QV_RSS_TYPE_IPV4);
        g_assert_cmphex(rx.rss_hash, ==, v4[i].hash_ip);
        /* A fragment has no ports to hash (more fragments, offset 0). */
        inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[i], 6, 0x2000));
        g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==,
                         QV_RSS_TYPE_IPV4);
        g_assert_cmphex(rx.rss_hash, ==, v4[i].hash_ip);
    }
    for (i = 0; i < ARRAY_SIZE(v6); i++) {
        inject_wait(d, 1, f, v6_frame(f, 120, mac, &v6[i], 6));
        g_assert_cmpuint(rss_type(take(d, &rx, 120)), ==,
                         QV_RSS_TYPE_IPV6_TCP);
        g_assert_cmphex(rx.rss_hash, ==, v6[i].hash_tcp);
        inject_wait(d, 1, f, v6_frame(f, 120, mac, &v6[i], 58));
        g_assert_cmpuint(rss_type(take(d, &rx, 120)), ==,
                         QV_RSS_TYPE_IPV6);
        g_assert_cmphex(rx.rss_hash, ==, v6[i].hash_ip);
    }

    /* UDP hashes the same input as TCP once its type is on; off: 2-tuple. */
    inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[1], 17, 0));
    g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==, QV_RSS_TYPE_IPV4);
    g_assert_cmphex(rx.rss_hash, ==, v4[1].hash_ip);
    qv_wr(d, 1, QV_FN_RSS_CTRL, QV_RSS_ALL);
    inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[1], 17, 0));
    g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==, QV_RSS_TYPE_IPV4_UDP);
    g_assert_cmphex(rx.rss_hash, ==, v4[1].hash_tcp);
    inject_wait(d, 1, f, v6_frame(f, 120, mac, &v6[2], 17));
    g_assert_cmpuint(rss_type(take(d, &rx, 120)), ==, QV_RSS_TYPE_IPV6_UDP);
    g_assert_cmphex(rx.rss_hash, ==, v6[2].hash_tcp);

    /* TCP with only the IP types on: the 2-tuple hash. */
    qv_wr(d, 1, QV_FN_RSS_CTRL, QV_RSS_IPV4 | QV_RSS_IPV6);
    inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[2], 6, 0));
    g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==, QV_RSS_TYPE_IPV4);
    g_assert_cmphex(rx.rss_hash, ==, v4[2].hash_ip);
    inject_wait(d, 1, f, v6_frame(f, 120, mac, &v6[1], 6));
    g_assert_cmpuint(rss_type(take(d, &rx, 120)), ==, QV_RSS_TYPE_IPV6);
    g_assert_cmphex(rx.rss_hash, ==, v6[1].hash_ip);

    /* Not IP: no hash. Unknown control bits are not kept. */
    qv_frame(f, mac, ext_mac, 0x88b5, 100);
    inject_wait(d, 1, f, 100);
    g_assert_cmpuint(rss_type(take(d, &rx, 100)), ==, QV_RSS_TYPE_NONE);
    qv_wr(d, 1, QV_FN_RSS_CTRL, 0xffffffff);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_RSS_CTRL), ==, QV_RSS_ALL);
    qv_stop(d);
}

/* --------------------------------------------------------- indirection */

/* The table steers each flow; each queue interrupts on its own vector. */
static void test_indirection(void)
{
    uint8_t mac[6], f[256];
    QvRing rx[QV_NUM_QUEUES];
    QvDev *d = rss_start(rx, QV_NUM_QUEUES, mac);
    unsigned count[QV_NUM_QUEUES] = { 0 };
    unsigned i, q;

    qv_wr(d, 1, QV_FN_RSS_CTRL, QV_RSS_ALL);
    set_reta(d, 1, reta_mod5);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        g_assert_cmphex(qv_rd(d, 1, QV_FN_RSS_RETA(q)), ==,
                        reta_mod5(4 * q) | reta_mod5(4 * q + 1) << 8 |
                        reta_mod5(4 * q + 2) << 16 |
                        (uint32_t)reta_mod5(4 * q + 3) << 24);
    }
    for (i = 0; i < QV_NUM_VECTORS; i++) {
        qv_irq_fired(d, 1, i);
    }
    for (i = 0; i < ARRAY_SIZE(v4) + ARRAY_SIZE(v6); i++) {
        uint32_t h = i < ARRAY_SIZE(v4) ? v4[i].hash_tcp :
                     v6[i - ARRAY_SIZE(v4)].hash_tcp;
        size_t len = i < ARRAY_SIZE(v4) ?
                     v4_frame(f, 100, mac, &v4[i], 6, 0) :
                     v6_frame(f, 120, mac, &v6[i - ARRAY_SIZE(v4)], 6);

        q = reta_mod5(h % QV_RSS_RETA_SIZE);
        inject_wait(d, 1, f, len);
        take(d, &rx[q], len);
        g_assert_cmphex(rx[q].rss_hash, ==, h);
        g_assert_true(qv_irq_fired(d, 1, q ? QV_VEC_QP(q) : QV_VEC_RX));
        count[q]++;
    }
    /* These eight flows reach every queue: 3, 3, 1 and 1 of them. */
    g_assert_cmpuint(count[0], ==, 3);
    g_assert_cmpuint(count[1], ==, 3);
    g_assert_cmpuint(count[2], ==, 1);
    g_assert_cmpuint(count[3], ==, 1);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(q) + QV_Q_RX_HEAD), ==,
                         count[q]);
    }
    /* Queue 0's registers are the legacy ones. */
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_RX_HEAD), ==, count[0]);

    /* A table naming a queue that does not exist is refused. */
    qv_wr(d, 1, QV_FN_RSS_RETA(3), 0x04000000);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_RSS_RETA(3)), ==,
                    reta_mod5(12) | reta_mod5(13) << 8 |
                    reta_mod5(14) << 16 | (uint32_t)reta_mod5(15) << 24);

    /* Everything to queue 2. */
    set_reta(d, 1, reta_two);
    for (i = 0; i < ARRAY_SIZE(v4); i++) {
        inject_wait(d, 1, f, v4_frame(f, 100, mac, &v4[i], 6, 0));
        take(d, &rx[2], 100);
        g_assert_cmphex(rx[2].rss_hash, ==, v4[i].hash_tcp);
    }
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(2) + QV_Q_RX_HEAD), ==,
                     count[2] + ARRAY_SIZE(v4));
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_RX_PACKETS), ==,
                     ARRAY_SIZE(v4) + ARRAY_SIZE(v6) + ARRAY_SIZE(v4));
    qv_stop(d);
}

/* ------------------------------------------------------ QoS per VF */

/*
 * Four flows, one per queue: the IPv4 TCP vectors 0, 1, 3 and 4, whose
 * hashes select entries 120, 106, 127 and 34 of this table.
 */
static const unsigned flow_of_queue[QV_NUM_QUEUES] = { 0, 1, 3, 4 };

static uint8_t reta_flows(unsigned i)
{
    return i == 106 ? 1 : i == 127 ? 2 : i == 34 ? 3 : 0;
}

static size_t flow_frame(uint8_t *f, size_t len, const uint8_t *mac,
                         unsigned q)
{
    return v4_frame(f, len, mac, &v4[flow_of_queue[q]], 6, 0);
}

/*
 * The ingress policer is the VF's: 4000 bytes of burst admit four
 * 1000-byte frames whatever queues they are for, and no more.
 */
static void test_policer_across_queues(void)
{
    uint8_t mac[6], f[1000];
    QvRing rx[QV_NUM_QUEUES];
    QvDev *d = rss_start(rx, QV_NUM_QUEUES, mac);
    unsigned q, n;

    qv_wr(d, 1, QV_FN_RSS_CTRL, QV_RSS_ALL);
    set_reta(d, 1, reta_flows);
    qv_set_rx_rate(d, 1, 8000000, 4000);
    for (n = 0; n < 2; n++) {
        for (q = 0; q < QV_NUM_QUEUES; q++) {
            qv_inject(d, f, flow_frame(f, sizeof(f), mac, q));
        }
    }
    qv_wait_stat_sum(d, (int[]) { 1 }, 1, (unsigned[]) {
                     QV_STAT_RX_PACKETS, QV_STAT_DROP_RATE }, 2, 8);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_RX_PACKETS), ==, 4);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_DROP_RATE), ==, 4);
    /* The first round got through, one frame on each queue. */
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        take(d, &rx[q], sizeof(f));
    }

    /* 1 ms at 8 Mbit/s is 1000 bytes: one frame more, any queue. */
    qv_step(d, 1000 * 1000);
    qv_inject(d, f, flow_frame(f, sizeof(f), mac, 3));
    qv_inject(d, f, flow_frame(f, sizeof(f), mac, 1));
    qv_wait_stat_sum(d, (int[]) { 1 }, 1, (unsigned[]) {
                     QV_STAT_RX_PACKETS, QV_STAT_DROP_RATE }, 2, 10);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_RX_PACKETS), ==, 5);
    take(d, &rx[3], sizeof(f));
    qv_stop(d);
}

/*
 * The buffer partition is the VF's: with alpha 0 its reserve of 32 cells
 * holds eight 1024-byte frames (4 cells each) over all of its queues,
 * while none of them has a buffer posted; the other eight are dropped as
 * RING_FULL. Posted, every held frame reaches its own queue.
 */
static void test_partition_across_queues(void)
{
    QvDev *d = qv_start("buffer-size=65536,max-vfs=3", NULL);
    QvRing rx[QV_NUM_QUEUES];
    uint8_t mac[6], f[1024];
    unsigned q, n;

    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac);
    qv_fn_start(d, 1);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        qv_rxq_setup(d, 1, q, &rx[q], 16, 2048, false);
    }
    set_key(d, 1, ms_key);
    qv_wr(d, 1, QV_FN_RSS_CTRL, QV_RSS_ALL);
    set_reta(d, 1, reta_flows);
    qv_mg_wr(d, 1, QV_MG_BUF_ALPHA, 0);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, 32 * 256);

    for (n = 0; n < 4; n++) {
        for (q = 0; q < QV_NUM_QUEUES; q++) {
            qv_inject(d, f, flow_frame(f, sizeof(f), mac, q));
        }
    }
    qv_wait_stat_sum(d, (int[]) { 1 }, 1,
                     (unsigned[]) { QV_STAT_DROP_RING_FULL }, 1, 8);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_BUF_OCCUPANCY), ==, 8 * 1024);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_DROP_BUFFER), ==, 0);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_RX_PACKETS), ==, 0);

    /* Two rounds were admitted: two frames for each queue. */
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        qv_rx_post(d, &rx[q], 15);
    }
    qv_wait_stat_sum(d, (int[]) { 1 }, 1,
                     (unsigned[]) { QV_STAT_RX_PACKETS }, 1, 8);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(q) + QV_Q_RX_HEAD), ==, 2);
        take(d, &rx[q], sizeof(f));
        g_assert_cmphex(rx[q].rss_hash, ==, v4[flow_of_queue[q]].hash_tcp);
    }
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_BUF_OCCUPANCY), ==, 0);
    qv_stop(d);
}

/* ------------------------------------------------------ round robin */

static void bus_master(QvDev *d, int fn, bool on)
{
    uint16_t cmd = qv_cfg_readw(d, QV_T_PF_BUS, qv_fn_devfn(fn), PCI_COMMAND);

    cmd = on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER;
    qv_cfg_writew(d, QV_T_PF_BUS, qv_fn_devfn(fn), PCI_COMMAND, cmd);
}

/*
 * RX: with the DMA engine the bottleneck (dma-rate, a full bucket of
 * 65792 bytes moves 43 frames of 1514 bytes), a VF's two backlogged
 * queues share it frame by frame: 22 and 21, not 43 and 0.
 */
static void test_rx_round_robin(void)
{
    QvDev *d = qv_start("max-vfs=2,dma-rate=1000", NULL);
    QvRing rx[2];
    uint8_t mac[6], f[1514];
    unsigned q, n;

    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac);
    qv_fn_start(d, 1);
    for (q = 0; q < 2; q++) {
        qv_rxq_setup(d, 1, q, &rx[q], 64, 2048, false);
    }
    set_key(d, 1, ms_key);
    qv_wr(d, 1, QV_FN_RSS_CTRL, QV_RSS_ALL);
    set_reta(d, 1, reta_flows);

    /* Held until both rings are posted: bus mastering is off meanwhile. */
    bus_master(d, 1, false);
    for (n = 0; n < 30; n++) {
        qv_inject(d, f, flow_frame(f, sizeof(f), mac, 0));
        qv_inject(d, f, flow_frame(f, sizeof(f), mac, 1));
    }
    qv_wait_stat_sum(d, (int[]) { 1 }, 1,
                     (unsigned[]) { QV_STAT_BUF_OCCUPANCY }, 1,
                     60 * 6 * 256);
    qv_rx_post(d, &rx[0], 63);
    qv_rx_post(d, &rx[1], 63);
    bus_master(d, 1, true);
    qv_sync(d);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_RX_PACKETS), ==, 43);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(0) + QV_Q_RX_HEAD), ==, 22);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(1) + QV_Q_RX_HEAD), ==, 21);

    /* The rest at 1000 bytes/s: after 100 s, 60 in all, 30 each. */
    qv_step(d, 100 * NS_PER_S);
    qv_sync(d);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_RX_PACKETS), ==, 60);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(0) + QV_Q_RX_HEAD), ==, 30);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(1) + QV_Q_RX_HEAD), ==, 30);
    qv_stop(d);
}

static QvDev *tx_start(QvRing *tx, unsigned ndesc, uint8_t mac[6])
{
    QvDev *d = qv_start("max-vfs=2", NULL);

    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac);
    for (int q = 0; q < QV_NUM_QUEUES; q++) {
        qv_txq_setup(d, 1, q, &tx[q], ndesc);
    }
    return d;
}

/*
 * TX: a function's queues take turns, one frame each. Frames are posted
 * with TX off and leave when it is turned on; each queue's completions
 * interrupt on its own vector.
 */
static void test_tx_round_robin(void)
{
    /* Queue 0 has 3 frames, queue 1 two, queue 2 one. */
    static const uint8_t order[][2] = {
        { 0, 0 }, { 1, 0 }, { 2, 0 }, { 0, 1 }, { 1, 1 }, { 0, 2 },
    };
    QvRing tx[QV_NUM_QUEUES];
    uint8_t mac[6], f[200], got[2048];
    QvDev *d = tx_start(tx, 16, mac);
    unsigned q, n;

    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RX_EN);
    qv_wr(d, 1, QV_FN_INT_MASK_CLR, QV_INT_ALL);
    for (q = 0; q < 3; q++) {
        for (n = 0; n < 3 - q; n++) {
            qv_frame(f, ext_mac, mac, 0x88b5, sizeof(f));
            f[14] = q;
            f[15] = n;
            qv_tx_send(d, &tx[q], f, sizeof(f), 0, 0, 0);
        }
    }
    qv_sync(d);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_PACKETS), ==, 0);
    for (n = 0; n < QV_NUM_VECTORS; n++) {
        qv_irq_fired(d, 1, n);
    }
    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RX_EN | QV_CTRL_TX_EN);
    qv_sync(d);

    for (n = 0; n < ARRAY_SIZE(order); n++) {
        g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==,
                        sizeof(f));
        g_assert_cmpuint(got[14], ==, order[n][0]);
        g_assert_cmpuint(got[15], ==, order[n][1]);
    }
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_PACKETS), ==, 6);
    g_assert_true(qv_irq_fired(d, 1, QV_VEC_TX));
    g_assert_true(qv_irq_fired(d, 1, QV_VEC_QP(1)));
    g_assert_true(qv_irq_fired(d, 1, QV_VEC_QP(2)));
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_QP(3)));
    for (q = 0; q < 3; q++) {
        g_assert_cmpuint(qv_rd(d, 1, QV_FN_QUEUE(q) + QV_Q_TX_HEAD), ==,
                         3 - q);
        g_assert_cmphex(qv_tx_status(d, &tx[q], 0), ==, QV_TXD_STA_DD);
    }
    qv_stop(d);
}

/*
 * The egress shaper is the VF's: at 10 Mbit/s with its 128 KiB bucket,
 * 131 frames of 1000 bytes leave at once and 125 more in the next 100 ms
 * (as with one queue, qosvnic-tx-test), spread over four queues.
 */
static void test_shaper_across_queues(void)
{
    QvRing tx[QV_NUM_QUEUES];
    uint8_t mac[6], f[1000];
    QvDev *d = tx_start(tx, 128, mac);
    uint64_t heads = 0;
    unsigned q, n;

    qv_fn_start(d, 1);
    qv_frame(f, ext_mac, mac, 0x88b5, sizeof(f));
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 10);
    for (n = 0; n < 75; n++) {
        for (q = 0; q < QV_NUM_QUEUES; q++) {
            qv_tx_send(d, &tx[q], f, sizeof(f), 0, 0, 0);
        }
    }
    qv_sync(d);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_PACKETS), ==, 131);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_THROTTLED), ==, 1);
    qv_step(d, 100 * 1000 * 1000);
    qv_sync(d);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_PACKETS), ==, 131 + 125);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_BYTES), ==, 256 * 1000);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        heads += qv_rd(d, 1, QV_FN_QUEUE(q) + QV_Q_TX_HEAD);
    }
    g_assert_cmpuint(heads, ==, 256);
    qv_stop(d);
}

/* ---------------------------------------------------------- migration */

static void wait_migration(QTestState *qts, const char *want)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        const char *status = qdict_get_try_str(qdict_get_qdict(rsp, "return"),
                                               "status");
        bool done = status && (!strcmp(status, "completed") ||
                               !strcmp(status, "failed"));

        if (done) {
            g_assert_cmpstr(status, ==, want);
            qobject_unref(rsp);
            return;
        }
        qobject_unref(rsp);
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(10000);
    }
}

/* Offset of the fields of the first subsection @name, version 1. */
static size_t find_subsection(const uint8_t *data, size_t len,
                              const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i + 2 + n + 4 <= len; i++) {
        if (data[i] == 0x05 && data[i + 1] == n &&
            !memcmp(data + i + 2, name, n) &&
            ldl_be_p(data + i + 2 + n) == 1) {
            return i + 2 + n + 4;
        }
    }
    g_assert_not_reached();
}

/*
 * Queue pairs 1.., RSS and frames held on queues other than 0 survive
 * migration; a stream whose table names a queue that does not exist is
 * refused.
 */
static void test_migration(void)
{
    g_autofree char *path = g_strdup_printf("%s/qosvnic-mq-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree uint8_t *data = NULL;
    QvDev *a = qv_start("max-vfs=2", NULL), *b;
    QvRing rx[QV_NUM_QUEUES];
    uint8_t mac[6], f[300];
    size_t len, off;
    unsigned q;

    qv_enable_vfs(a, 1);
    qv_fn_mac(a, 1, mac);
    qv_fn_start(a, 1);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        qv_rxq_setup(a, 1, q, &rx[q], 16, 2048, false);
    }
    qv_wr(a, 1, QV_FN_QUEUE(2) + QV_Q_ITR, 77);
    set_key(a, 1, ms_key);
    qv_wr(a, 1, QV_FN_RSS_CTRL, QV_RSS_ALL);
    set_reta(a, 1, reta_flows);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        qv_inject(a, f, flow_frame(f, sizeof(f), mac, q));
    }
    qv_wait_stat_sum(a, (int[]) { 1 }, 1,
                     (unsigned[]) { QV_STAT_BUF_OCCUPANCY }, 1, 4 * 512);

    qtest_qmp_assert_success(a->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    wait_migration(a->qts, "completed");
    qv_stop(a);
    g_assert_true(g_file_get_contents(path, (char **)&data, &len, NULL));

    b = qv_start_incoming("max-vfs=2", uri);
    wait_migration(b->qts, "completed");
    g_assert_cmphex(qv_rd(b, 1, QV_FN_RSS_CTRL), ==, QV_RSS_ALL);
    g_assert_cmphex(qv_rd(b, 1, QV_FN_RSS_KEY(9)), ==,
                    (uint32_t)ldl_le_p(ms_key + 36));
    g_assert_cmphex(qv_rd(b, 1, QV_FN_RSS_RETA(26)), ==, 1 << 16);
    g_assert_cmpuint(qv_rd(b, 1, QV_FN_QUEUE(2) + QV_Q_ITR), ==, 77);
    g_assert_cmpuint(qv_rd(b, 1, QV_FN_QUEUE(3) + QV_Q_RX_SIZE), ==,
                     16 * QV_RXD_SIZE);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        qv_rx_post(b, &rx[q], 15);
    }
    qv_wait_stat_sum(b, (int[]) { 1 }, 1,
                     (unsigned[]) { QV_STAT_RX_PACKETS }, 1, 4);
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        take(b, &rx[q], sizeof(f));
        g_assert_cmphex(rx[q].rss_hash, ==, v4[flow_of_queue[q]].hash_tcp);
    }
    qv_stop(b);

    /* Entry 0 of VF 0's table names queue 9: refused, QEMU lives on. */
    off = find_subsection(data, len, "qosvnic-func/queues");
    off += 3 * 20 * 2 + 3 * 4 + 3 * 8 + 3 + 4 + QV_RSS_KEY_BYTES;
    g_assert_cmpuint(data[off + 106], ==, 1);     /* where we think */
    data[off] = 9;
    g_assert_true(g_file_set_contents(path, (char *)data, len, NULL));
    b = qv_start_incoming("max-vfs=2", "defer");
    qtest_qmp_assert_success(b->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s, "
                             "'exit-on-error': false } }", uri);
    wait_migration(b->qts, "failed");
    qtest_qmp_assert_success(b->qts, "{ 'execute': 'query-status' }");
    qv_stop(b);
    unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/mq/toeplitz-vectors", test_toeplitz_vectors);
    qtest_add_func("/qosvnic/mq/indirection", test_indirection);
    qtest_add_func("/qosvnic/mq/policer-across-queues",
                   test_policer_across_queues);
    qtest_add_func("/qosvnic/mq/partition-across-queues",
                   test_partition_across_queues);
    qtest_add_func("/qosvnic/mq/rx-round-robin", test_rx_round_robin);
    qtest_add_func("/qosvnic/mq/tx-round-robin", test_tx_round_robin);
    qtest_add_func("/qosvnic/mq/shaper-across-queues",
                   test_shaper_across_queues);
    qtest_add_func("/qosvnic/mq/migration", test_migration);
    return g_test_run();
}
