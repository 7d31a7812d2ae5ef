/*
 * qosvnic qtest: tenant isolation against a hostile guest (issue 9).
 * Each case is the regression test of one way around a VF's share that
 * was found and fixed: it fails on the device before the fix.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "standard-headers/linux/pci_regs.h"
#include "qosvnic-qtest-lib.h"

#define ONE_SECOND_NS   (1000 * 1000 * 1000LL)

static const uint8_t ext_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

/* A PF with @nvfs VFs, each started with a TX ring of @ndesc. */
static QvDev *iso_start(const char *opts, const char *extra, unsigned nvfs,
                        QvRing *tx, uint32_t ndesc)
{
    QvDev *d = qv_start(opts, extra);
    unsigned fn;

    qv_enable_vfs(d, nvfs);
    for (fn = 1; fn <= nvfs; fn++) {
        qv_tx_setup(d, fn, &tx[fn], ndesc);
        qv_fn_start(d, fn);
    }
    return d;
}

/*
 * Ethernet + IPv4 (20) + TCP (20 + @opts bytes of options) frame with
 * @plen payload bytes, for TSO; returns its length.
 */
static size_t tcp4_frame(uint8_t *buf, const uint8_t dst[6],
                         const uint8_t src[6], size_t opts, size_t plen)
{
    uint8_t *ip = buf + 14, *tcp = ip + 20;
    size_t thl = 20 + opts, i;

    g_assert_cmpuint(opts % 4, ==, 0);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    stw_be_p(buf + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    stw_be_p(ip + 2, 20 + thl + plen);
    ip[8] = 64;
    ip[9] = 6;
    stl_be_p(ip + 12, 0x0a000001);
    stl_be_p(ip + 16, 0x0a000002);
    stw_be_p(ip + 10, ~qv_csum_fold(qv_csum_add(0, ip, 20)) & 0xffff);
    memset(tcp, 0, thl);
    stw_be_p(tcp, 40000);
    stw_be_p(tcp + 2, 80);
    tcp[12] = (thl / 4) << 4;
    tcp[13] = 0x10;                             /* ACK */
    memset(tcp + 20, 1, opts);                  /* NOP options */
    for (i = 0; i < plen; i++) {
        tcp[thl + i] = i & 0xff;
    }
    return 14 + 20 + thl + plen;
}

/*
 * Ethernet + IPv6 (40) + a destination-options header of @ext bytes (a
 * multiple of 8, 8..256; 0: none) + TCP (20) frame with @plen payload
 * bytes, for TSO; returns its length.
 */
static size_t tcp6_frame(uint8_t *buf, const uint8_t dst[6],
                         const uint8_t src[6], size_t ext, size_t plen)
{
    uint8_t *ip = buf + 14, *opt = ip + 40, *tcp = opt + ext;
    size_t i;

    g_assert(ext % 8 == 0 && ext <= 256);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    stw_be_p(buf + 12, 0x86dd);
    memset(ip, 0, 40);
    ip[0] = 0x60;
    stw_be_p(ip + 4, ext + 20 + plen);
    ip[6] = ext ? 60 : 6;                       /* destination options */
    ip[7] = 64;
    ip[23] = 1;                                 /* fd00::1 -> fd00::2 */
    ip[8] = ip[24] = 0xfd;
    ip[39] = 2;
    if (ext) {
        memset(opt, 0, ext);
        opt[0] = 6;                             /* then TCP */
        opt[1] = ext / 8 - 1;
        opt[2] = 1;                             /* PadN over the rest */
        opt[3] = ext - 4;
    }
    memset(tcp, 0, 20);
    stw_be_p(tcp, 40000);
    stw_be_p(tcp + 2, 80);
    tcp[12] = 5 << 4;
    tcp[13] = 0x10;                             /* ACK */
    for (i = 0; i < plen; i++) {
        tcp[20 + i] = i & 0xff;
    }
    return 14 + 40 + ext + 20 + plen;
}

static uint64_t tx_pkts(QvDev *d, int fn)
{
    return qv_stat(d, fn, QV_STAT_TX_PACKETS);
}

/*
 * VF 1's first two frames were refused like malformed frames (TX_DROP_BAD,
 * the descriptor done with ERR) and its third was sent.
 */
static void assert_two_refused_one_sent(QvDev *d, QvRing *tx)
{
    int i;

    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_BAD), ==, 2);
    for (i = 0; i < 2; i++) {
        g_assert_cmphex(qv_tx_status(d, tx, i), ==,
                        QV_TXD_STA_DD | QV_TXD_STA_ERR);
    }
    g_assert_cmphex(qv_tx_status(d, tx, 2), ==, QV_TXD_STA_DD);
}

/* ------------------------------------------------- 1. TSO amplification */

/*
 * VF 1 sends a TCP frame of @plen payload bytes three times with TSO, at
 * the mss values in @mss: the first two are refused like malformed frames
 * (TX_DROP_BAD, the descriptor done with ERR), the last is cut into
 * @segs segments.
 */
static void tso_two_refused(size_t plen, const uint16_t *mss, uint64_t segs)
{
    QvRing tx[2];
    QvDev *d = iso_start(NULL, NULL, 1, tx, 16);
    g_autofree uint8_t *frame = g_malloc(plen + 100);
    uint8_t mac[6];
    size_t len;
    int i;

    qv_fn_mac(d, 1, mac);
    len = tcp4_frame(frame, ext_mac, mac, 0, plen);
    for (i = 0; i < 3; i++) {
        qv_tx_send(d, &tx[1], frame, len, QV_TXD_TSO | QV_TXD_CSUM, mss[i],
                   0);
    }
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_TX_PACKETS },
                     1, segs);
    assert_two_refused_one_sent(d, &tx[1]);
    qv_stop(d);
}

/*
 * An mss below QV_TSO_MSS_MIN is refused like a malformed frame: before,
 * mss 1 turned one descriptor into a segment per payload byte.
 */
static void test_tso_min_mss(void)
{
    tso_two_refused(1000, (uint16_t[]){ 1, QV_TSO_MSS_MIN - 1,
                                        QV_TSO_MSS_MIN },
                    DIV_ROUND_UP(1000, QV_TSO_MSS_MIN));
}

/*
 * Each TSO segment must fit the sender's MTU (1500 by default), as a frame
 * sent whole must: before, an mss up to 65535 sent frames past the MTU.
 * 54 bytes of headers + mss 1461 = 1515 > 1514 is refused; mss 1460 cuts
 * 3000 bytes into 3 segments.
 */
static void test_tso_max_mss(void)
{
    tso_two_refused(3000, (uint16_t[]){ 65535, 1461, 1460 }, 3);
}

/*
 * TSO headers longer than QV_TSO_HDR_MAX, or segments that would put more
 * than QV_TSO_WIRE_MAX bytes on the wire, are refused: each segment
 * repeats the headers, and before, IPv6 extension headers of about a
 * kilobyte at mss 64 made one 64 KiB descriptor 1.5 MB on the wire (the
 * line-rate bucket's debt then held every function's TX). With 250 bytes
 * of headers (IPv6 and destination options) at mss 64, 40000 bytes of
 * payload are 625 segments, 196250 bytes; 40100 bytes would be 196850.
 * 258 bytes of headers are refused whatever the payload.
 */
#define MAX_HDR_EXT     (QV_TSO_HDR_MAX - 74 - 6)   /* 250 bytes of headers */

static void test_tso_header_wire_max(void)
{
    QvRing tx[2];
    QvDev *d = iso_start(NULL, NULL, 1, tx, 16);
    g_autofree uint8_t *frame = g_malloc(QV_TX_MAX_FRAME);
    const struct {
        size_t ext, plen;
    } f[] = {
        { MAX_HDR_EXT + 8, 1000 }, { MAX_HDR_EXT, 40100 },
        { MAX_HDR_EXT, 40000 },
    };
    uint8_t mac[6];
    size_t len;
    int i;

    qv_fn_mac(d, 1, mac);
    for (i = 0; i < ARRAY_SIZE(f); i++) {
        len = tcp6_frame(frame, ext_mac, mac, f[i].ext, f[i].plen);
        qv_tx_send(d, &tx[1], frame, len, QV_TXD_TSO | QV_TXD_CSUM,
                   QV_TSO_MSS_MIN, 0);
    }
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_TX_PACKETS },
                     1, 625);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_BYTES), ==, 196250);
    g_assert_cmpuint(196250, <=, QV_TSO_WIRE_MAX);
    g_assert_cmpuint(40100 + 627 * (QV_TSO_HDR_MAX - 6), >, QV_TSO_WIRE_MAX);
    assert_two_refused_one_sent(d, &tx[1]);
    qv_stop(d);
}

/*
 * ... and the tag the device inserts is not the sender's to count: on a
 * port VLAN, full-size segments (54 + 4 + 1460 = 1518 bytes) go out.
 * Before, every such TSO frame was refused, so a port-VLAN tenant had no
 * TSO.
 */
static void test_tso_port_vlan(void)
{
    QvRing tx[2];
    QvDev *d = iso_start(NULL, NULL, 1, tx, 16);
    g_autofree uint8_t *frame = g_malloc(2 * 1460 + 100);
    uint8_t mac[6];
    size_t len;

    qv_mg_wr(d, 1, QV_MG_VLAN, 100);
    qv_fn_mac(d, 1, mac);
    len = tcp4_frame(frame, ext_mac, mac, 0, 2 * 1460);
    qv_tx_send(d, &tx[1], frame, len, QV_TXD_TSO | QV_TXD_CSUM, 1460, 0);
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_TX_PACKETS },
                     1, 2);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_BYTES), ==, 2 * 1518);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_BAD), ==, 0);
    g_assert_cmphex(qv_tx_status(d, &tx[1], 0), ==, QV_TXD_STA_DD);
    qv_stop(d);
}

/*
 * The shaper charges a frame all the bytes it puts on the wire, even when
 * they exceed the bucket (128 KiB): 64 KiB of TSO payload in 64-byte
 * segments with 94 bytes of headers each is 161602 wire bytes. At 100
 * Mbit/s (a byte per 80 ns) such a frame leaves every 161602 * 80 ns =
 * 12.93 ms: 8 by 100 ms. Charged only the bucket, 10 left.
 * The frames go to VF 2 through the internal switch (VF 2 does not
 * receive: they are dropped there), so nothing floods the socket.
 */
#define DEBT_OPTS       40
#define DEBT_LEN        65534           /* a descriptor takes < 64 KiB */
#define DEBT_PLEN       (DEBT_LEN - 14 - 20 - 20 - DEBT_OPTS)
#define DEBT_SEGS       DIV_ROUND_UP(DEBT_PLEN, QV_TSO_MSS_MIN)
#define DEBT_WIRE       (DEBT_PLEN + DEBT_SEGS * (14 + 20 + 20 + DEBT_OPTS))

static void test_tso_shaper_debt(void)
{
    QvRing tx[3];
    QvDev *d = iso_start(NULL, NULL, 2, tx, 32);
    g_autofree uint8_t *frame = g_malloc(QV_TX_MAX_FRAME);
    uint8_t mac1[6], mac2[6];
    size_t len;
    int i;

    g_assert_cmpuint(DEBT_WIRE, ==, 161602);
    qv_wr(d, 2, QV_FN_CTRL, 0);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 100);
    len = tcp4_frame(frame, mac2, mac1, DEBT_OPTS, DEBT_PLEN);
    g_assert_cmpuint(len, ==, DEBT_LEN);
    for (i = 0; i < 20; i++) {
        qv_tx_send(d, &tx[1], frame, len, QV_TXD_TSO | QV_TXD_CSUM,
                   QV_TSO_MSS_MIN, 0);
    }
    qv_sync(d);
    g_assert_cmpuint(tx_pkts(d, 1), ==, DEBT_SEGS);
    /*
     * 1 ms steps: a frame this large is a whole run of the engine, and
     * the run after it is a bottom half (clock_step runs only timers).
     */
    for (i = 0; i < 100; i++) {
        qv_step(d, 1000 * 1000);
        qv_sync(d);
    }
    g_assert_cmpuint(tx_pkts(d, 1), ==, 8 * DEBT_SEGS);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_BYTES), ==, 8 * DEBT_WIRE);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), ==, 8);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_DROP_LINK_DOWN), ==,
                     8 * DEBT_SEGS);
    qv_stop(d);
}

/*
 * A guarantee holds next to the largest frames another function may send.
 * On a 10 Mbit/s line VF 1 sends, in turn, the largest TSO frames the
 * device takes (250 bytes of headers at mss 64: 196250 bytes on the wire)
 * and ones with 64 KiB of payload (320534 bytes), which it refuses. A frame
 * waits until the wire bucket holds QV_TX_BURST of tokens (all TX waits
 * with it) and leaves the rest as debt that all TX waits out, 157 ms in
 * all for the first, in which VF 2, guaranteed 6 Mbit/s (0.75 frames of
 * 1000 bytes per ms) and backlogged, earns less than the credit it may
 * bank (QV_TX_MIN_CREDIT_MAX). Both start at once with nothing banked, so
 * in 2 s VF 2 gets its guarantee less at most the credit it holds at the
 * end: 1500 - 196608 / 1000 = 1303 frames (1472 are sent). That the
 * second kind is refused is tso-header-wire-max's to show.
 */
#define FAT_EXT         MAX_HDR_EXT
#define FAT_PLEN        40000
#define FAT_STEP_MS     2
#define FAT_WINDOW_MS   2000

static unsigned wire_drain(QvDev *d, const uint8_t *src)
{
    uint8_t got[2048];
    unsigned n = 0;

    while (qv_wire_recv(d, got, sizeof(got), 0) >= 0) {
        n += !memcmp(got + 6, src, 6);
    }
    return n;
}

static void test_min_share_vs_tso_debt(void)
{
    QvRing tx[3];
    QvDev *d = iso_start("line-rate=10", NULL, 2, tx, 2048);
    g_autofree uint8_t *frame = g_malloc(QV_TX_MAX_FRAME);
    uint8_t mac1[6], mac2[6], f2[1000];
    size_t len;
    int i;

    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'stop' }");
    qv_mg_wr(d, 2, QV_MG_TX_MIN_RATE, 6);
    for (i = 0; i < 16; i++) {
        len = tcp6_frame(frame, ext_mac, mac1, FAT_EXT,
                         i % 2 ? FAT_PLEN : DEBT_LEN - 74 - FAT_EXT);
        qv_tx_send(d, &tx[1], frame, len, QV_TXD_TSO | QV_TXD_CSUM,
                   QV_TSO_MSS_MIN, 0);
    }
    qv_frame(f2, ext_mac, mac2, 0x88b5, sizeof(f2));
    for (i = 0; i < 2000; i++) {
        qv_tx_send(d, &tx[2], f2, sizeof(f2), 0, 0, 0);
    }
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'cont' }");
    for (i = 0; i < FAT_WINDOW_MS; i += FAT_STEP_MS) {
        qv_step(d, FAT_STEP_MS * 1000 * 1000);
        qv_sync(d);
        wire_drain(d, mac2);
    }
    /* VF 1 is still backlogged, and VF 2 has frames left. */
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), <, 16);
    g_assert_cmpuint(tx_pkts(d, 2), <, 2000);
    g_test_message("VF 2: %lu frames in %d ms",
                   (unsigned long)tx_pkts(d, 2), FAT_WINDOW_MS);
    g_assert_cmpuint(tx_pkts(d, 2), >=, 1303);
    qv_stop(d);
}

/*
 * A guarantee near the line rate holds next to the largest TSO frames too.
 * VF 2, guaranteed 9 of the 10 Mbit/s line and backlogged with 9000-byte
 * frames, sends whenever it is below its guarantee; VF 1's frames of
 * 196250 bytes on the wire take the rest. Each waits for 128 KiB of wire
 * tokens, 105 ms in which every function waits and VF 2 earns 118 KB of
 * credit: the credit it may bank (QV_TX_MIN_CREDIT_MAX) must hold that,
 * or it loses the excess at every such frame. Both start at once with
 * nothing banked, so in 10 s VF 2 sends its guarantee less at most the
 * credit it holds at the end: (11250000 - 196608) / 9000 = 1228 frames.
 * Before, with 64 KiB of credit, it sent 1197 (1243 now).
 */
static void test_min_share_90_vs_tso(void)
{
    QvRing tx[3];
    QvDev *d = iso_start("line-rate=10", NULL, 2, tx, 2048);
    g_autofree uint8_t *frame = g_malloc(QV_TX_MAX_FRAME);
    uint64_t fat, small;
    uint8_t mac1[6], mac2[6];
    size_t len;
    int i;

    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'stop' }");
    qv_wr(d, 2, QV_FN_MTU, 9000);
    qv_mg_wr(d, 2, QV_MG_TX_MIN_RATE, 9);
    len = tcp6_frame(frame, ext_mac, mac1, FAT_EXT, FAT_PLEN);
    fat = qv_alloc(d, len, 64);
    qtest_memwrite(d->qts, fat, frame, len);
    for (i = 0; i < 64; i++) {
        qv_tx_post(d, &tx[1], fat, len, QV_TXD_TSO | QV_TXD_CSUM,
                   QV_TSO_MSS_MIN, 0);
    }
    qv_frame(frame, ext_mac, mac2, 0x88b5, 9000);
    small = qv_alloc(d, 9000, 64);
    qtest_memwrite(d->qts, small, frame, 9000);
    for (i = 0; i < 2000; i++) {
        qv_tx_post(d, &tx[2], small, 9000, 0, 0, 0);
    }
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'cont' }");
    for (i = 0; i < 10000; i += 5) {
        qv_step(d, 5 * 1000 * 1000);
        qv_sync(d);
        wire_drain(d, mac2);
    }
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), <, 64);
    g_assert_cmpuint(tx_pkts(d, 2), <, 2000);
    g_test_message("VF 2: %lu frames of 9000 bytes in 10 s",
                   (unsigned long)tx_pkts(d, 2));
    g_assert_cmpuint(tx_pkts(d, 2), >=, 1228);
    qv_stop(d);
}

/*
 * TSO to a group address is refused like a malformed frame: TCP is
 * unicast, and before, each of a broadcast or multicast TSO frame's
 * segments (up to 1024) was flooded to every function and to the wire.
 * A unicast TSO frame to VF 2 after them is cut into segments as usual.
 */
static void test_tso_group_refused(void)
{
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    QvRing tx[3], rx2;
    QvDev *d = iso_start(NULL, NULL, 2, tx, 16);
    g_autofree uint8_t *frame = g_malloc(QV_TX_MAX_FRAME);
    const uint8_t *dst[3] = { qv_bcast, mcast, NULL };
    uint8_t mac1[6], mac2[6], wire[2048];
    size_t len;
    int i;

    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    dst[2] = mac2;
    qv_rx_setup(d, 2, &rx2, 64, 2048, true);
    qv_wr(d, 2, QV_FN_RX_FILTER, QV_RXF_ALLMULTI | QV_RXF_BCAST);
    for (i = 0; i < 3; i++) {
        len = tcp4_frame(frame, dst[i], mac1, 0, 16 * QV_TSO_MSS_MIN);
        qv_tx_send(d, &tx[1], frame, len, QV_TXD_TSO | QV_TXD_CSUM,
                   QV_TSO_MSS_MIN, 0);
    }
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_TX_PACKETS },
                     1, 16);
    assert_two_refused_one_sent(d, &tx[1]);
    qv_wait_stat_sum(d, (int[]){ 2 }, 1, (unsigned[]){ QV_STAT_RX_PACKETS },
                     1, 16);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_MCAST), ==, 0);
    /* Nothing reached the wire: the unicast frame was VF 2's. */
    g_assert_cmpint(qv_wire_recv(d, wire, sizeof(wire), 200), ==, -1);
    qv_stop(d);
}

/*
 * The TX engine's runs traced to @trace served at most @most frames each,
 * @total in all; the trace file goes.
 */
static void assert_tx_runs(const char *trace, unsigned most, unsigned total)
{
    g_autoptr(GPtrArray) runs = qv_trace_lines(trace, "qosvnic_tx_run");
    unsigned sum = 0, i;

    for (i = 0; i < runs->len; i++) {
        unsigned frames, segs;

        g_assert_cmpint(sscanf(g_ptr_array_index(runs, i),
                               "served %u frames, %u segments",
                               &frames, &segs), ==, 2);
        g_assert_cmpuint(frames, <=, most);
        sum += frames;
    }
    g_assert_cmpuint(sum, ==, total);
    unlink(trace);
}

/*
 * The engine's budget per run counts segments, not frames: a TSO frame of
 * 256 segments (looped to VF 2) is one run's work. Before, one run served
 * 64 such frames.
 */
#define BUDGET_SEGS     256

static void test_tx_budget_segments(void)
{
    g_autofree char *trace = NULL;
    g_autofree char *args = qv_trace_args("qosvnic_tx_run", &trace);
    QvRing tx[4];
    QvDev *d = iso_start(NULL, args, 3, tx, 16);
    g_autofree uint8_t *frame = g_malloc(QV_TX_MAX_FRAME);
    uint8_t mac1[6], mac2[6];
    unsigned i;
    size_t len;

    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    len = tcp4_frame(frame, mac2, mac1, 0, BUDGET_SEGS * QV_TSO_MSS_MIN);
    for (i = 0; i < 8; i++) {
        /* Ring the doorbell once, for all 8 frames. */
        uint64_t buf = qv_alloc(d, len, 64);
        uint64_t desc = tx[1].base + i * QV_TXD_SIZE;

        qtest_memwrite(d->qts, buf, frame, len);
        qtest_writeq(d->qts, desc + QV_TXD_ADDR, buf);
        qtest_writew(d->qts, desc + QV_TXD_LEN, len);
        qtest_writeb(d->qts, desc + QV_TXD_CMD,
                     QV_TXD_EOP | QV_TXD_TSO | QV_TXD_CSUM);
        qtest_writew(d->qts, desc + QV_TXD_MSS, QV_TSO_MSS_MIN);
    }
    qv_wr(d, 1, QV_FN_TX_TAIL, 8);
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_TX_PACKETS },
                     1, 8 * BUDGET_SEGS);
    qv_stop(d);

    assert_tx_runs(trace, 1, 8);
}

/*
 * A broadcast is one copy per function it is flooded to, each through that
 * function's receive admission, plus the wire's: with the PF and VFs 2
 * and 3 it costs the budget 4 segments, so one run serves at most 16 of
 * VF 1's 64. Before, a run served all 64 (256 admissions) as 64 frames.
 */
static void test_tx_budget_flood(void)
{
    g_autofree char *trace = NULL;
    g_autofree char *args = qv_trace_args("qosvnic_tx_run", &trace);
    const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    QvRing tx[4];
    QvDev *d = iso_start(NULL, args, 3, tx, 128);
    uint8_t mac1[6], frame[100];
    unsigned i;

    qv_fn_mac(d, 1, mac1);
    qv_frame(frame, bcast, mac1, 0x88b5, sizeof(frame));
    for (i = 0; i < 64; i++) {
        /* Ring the doorbell once, for all 64 frames. */
        uint64_t buf = qv_alloc(d, sizeof(frame), 64);
        uint64_t desc = tx[1].base + i * QV_TXD_SIZE;

        qtest_memwrite(d->qts, buf, frame, sizeof(frame));
        qtest_writeq(d->qts, desc + QV_TXD_ADDR, buf);
        qtest_writew(d->qts, desc + QV_TXD_LEN, sizeof(frame));
        qtest_writeb(d->qts, desc + QV_TXD_CMD, QV_TXD_EOP);
    }
    qv_wr(d, 1, QV_FN_TX_TAIL, 64);
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_TX_PACKETS },
                     1, 64);
    qv_stop(d);

    assert_tx_runs(trace, 16, 64);
}

/* ------------------------------------- 2. egress ceiling across resets */

/* Queue @n frames of 1000 bytes on @r and let the engine run. */
static void queue_frames(QvDev *d, QvRing *r, const uint8_t *frame, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        qv_tx_send(d, r, frame, 1000, 0, 0, 0);
    }
    qv_sync(d);
}

/*
 * 10 Mbit/s with a 128 KiB bucket: 131 frames of 1000 bytes leave at
 * once, 72 bytes of tokens are left. Neither function resets (CTRL_RESET,
 * FLR) nor re-applying the ceiling (toggled by one) may refill the bucket
 * while time stands still; then the ceiling goes on exactly: 8 ms later
 * 72 + 10000 bytes, 10 frames.
 */
static void test_ceiling_across_resets(void)
{
    QvRing tx[2];
    QvDev *d = iso_start(NULL, NULL, 1, tx, 512);
    uint8_t devfn = qv_fn_devfn(1);
    uint8_t mac[6], frame[1000];
    int i;

    qv_fn_mac(d, 1, mac);
    qv_frame(frame, ext_mac, mac, 0x88b5, sizeof(frame));
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 10);
    queue_frames(d, &tx[1], frame, 200);
    g_assert_cmpuint(tx_pkts(d, 1), ==, 131);

    for (i = 0; i < 3; i++) {
        qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RESET);
        qv_tx_setup(d, 1, &tx[1], 512);
        qv_fn_start(d, 1);
        queue_frames(d, &tx[1], frame, 20);
        g_assert_cmpuint(tx_pkts(d, 1), ==, 0);
    }
    for (i = 0; i < 3; i++) {
        qv_cfg_writew(d, QV_T_PF_BUS, devfn,
                      QV_CAP_EXP_OFFSET + PCI_EXP_DEVCTL,
                      PCI_EXP_DEVCTL_BCR_FLR);
        qv_cfg_writew(d, QV_T_PF_BUS, devfn, PCI_COMMAND,
                      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        qv_msix_setup(d, 1);
        qv_tx_setup(d, 1, &tx[1], 512);
        qv_fn_start(d, 1);
        queue_frames(d, &tx[1], frame, 20);
        g_assert_cmpuint(tx_pkts(d, 1), ==, 0);
    }
    for (i = 0; i < 3; i++) {
        qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 9);
        qv_sync(d);
        qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 10);
        qv_sync(d);
        g_assert_cmpuint(tx_pkts(d, 1), ==, 0);
    }
    qv_step(d, 8 * 1000 * 1000);
    qv_sync(d);
    g_assert_cmpuint(tx_pkts(d, 1), ==, 10);
    qv_stop(d);
}

/*
 * Frames the device drops before the shaper (here: 2000 bytes, above the
 * MTU) cost the ceiling what the device fetched. 10 Mbit/s with a 128 KiB
 * bucket: 66 frames are dropped at once (the last puts the bucket 928
 * bytes in debt), then 10000 bytes of tokens in 8 ms pay for 5 more.
 * Before, all 200 were fetched and dropped at once, as fast as the engine
 * ran, whatever the tenant's ceiling.
 */
static void test_ceiling_bad_frames(void)
{
    QvRing tx[2];
    QvDev *d = iso_start(NULL, NULL, 1, tx, 512);
    uint8_t mac[6], frame[2000];
    int i;

    qv_fn_mac(d, 1, mac);
    qv_frame(frame, ext_mac, mac, 0x88b5, sizeof(frame));
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 10);
    for (i = 0; i < 200; i++) {
        qv_tx_send(d, &tx[1], frame, sizeof(frame), 0, 0, 0);
    }
    qv_sync(d);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_BAD), ==, 66);
    qv_step(d, 8 * 1000 * 1000);
    qv_sync(d);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_BAD), ==, 71);
    g_assert_cmpuint(tx_pkts(d, 1), ==, 0);
    qv_stop(d);
}

/*
 * A capped tenant that moves its tail back and forth over a frame without
 * EOP makes the engine fetch it again on each write: what is fetched
 * costs the ceiling. 1 Mbit/s with a 128 KiB bucket, 31 or 32 descriptors
 * of 1000 bytes per fetch: the bucket pays for 5 fetches (the last puts
 * it in debt), then none while time stands still. Before, each of the 100
 * writes fetched the whole chain.
 */
static void test_ceiling_incomplete_fetch(void)
{
    g_autofree char *trace = NULL;
    g_autofree char *args = qv_trace_args("qosvnic_tx_desc", &trace);
    g_autoptr(GPtrArray) lines = NULL;
    QvRing tx[2];
    QvDev *d = iso_start(NULL, args, 1, tx, 128);
    uint8_t mac[6], frame[1000];
    uint64_t buf = qv_alloc(d, sizeof(frame), 64);
    int i;

    qv_fn_mac(d, 1, mac);
    qv_frame(frame, ext_mac, mac, 0x88b5, sizeof(frame));
    qtest_memwrite(d->qts, buf, frame, sizeof(frame));
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 1);
    for (i = 0; i < 32; i++) {
        uint64_t desc = tx[1].base + i * QV_TXD_SIZE;

        qtest_writeq(d->qts, desc + QV_TXD_ADDR, buf);
        qtest_writew(d->qts, desc + QV_TXD_LEN, sizeof(frame));
        qtest_writeb(d->qts, desc + QV_TXD_CMD, 0);     /* no EOP */
    }
    for (i = 0; i < 100; i++) {
        qv_wr(d, 1, QV_FN_TX_TAIL, 32 - i % 2);
        qv_sync(d);
    }
    qv_stop(d);
    lines = qv_trace_lines(trace, "qosvnic_tx_desc");
    g_test_message("descriptors fetched: %u", lines->len);
    g_assert_cmpuint(lines->len, ==, 32 + 31 + 32 + 31 + 32);
    unlink(trace);
}

/* --------------------------------------------------- 3. TX timer livelock */

/*
 * A function throttled by its shaper that then cannot make progress must
 * not keep the TX timer firing: before, it was re-armed 1 ns ahead for
 * ever, so QEMU's main loop spun and qtest's clock_step never returned.
 * A watchdog turns such a hang into a failure.
 */
static void livelock_watchdog(int sig)
{
    g_assert_not_reached();
}

/*
 * VF 1 at @mbps Mbit/s with frames waiting for tokens; under qtest's
 * clock (@extra NULL), exactly as above.
 */
static QvDev *throttled_start(const char *extra, QvRing *tx, uint32_t mbps)
{
    QvDev *d = iso_start(NULL, extra, 1, tx, 512);
    uint8_t mac[6], frame[1000];

    qv_fn_mac(d, 1, mac);
    qv_frame(frame, ext_mac, mac, 0x88b5, sizeof(frame));
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, mbps);
    queue_frames(d, &tx[1], frame, 200);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_THROTTLED), >=, 1);
    if (!extra) {
        g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_THROTTLED), ==, 1);
        g_assert_cmpuint(tx_pkts(d, 1), ==, 131);
    }
    return d;
}

static void test_tx_timer_clock_step(void)
{
    QvRing tx[2];
    QvDev *d;
    uint8_t devfn = qv_fn_devfn(1);
    uint64_t desc;
    struct sigaction sa = { .sa_handler = livelock_watchdog };

    sigaction(SIGALRM, &sa, NULL);
    alarm(120);

    /* Bus mastering off: the frames wait, the timer must not. */
    d = throttled_start(NULL, tx, 10);
    qv_cfg_writew(d, QV_T_PF_BUS, devfn, PCI_COMMAND, PCI_COMMAND_MEMORY);
    qv_step(d, ONE_SECOND_NS);
    g_assert_cmpuint(tx_pkts(d, 1), ==, 131);
    /* Back on, the rest goes at the rate (1 s: 1250 frames' worth). */
    qv_cfg_writew(d, QV_T_PF_BUS, devfn, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qv_sync(d);
    g_assert_cmpuint(tx_pkts(d, 1), ==, 200);
    qv_stop(d);

    /* The ring stopped on an error (tail beyond the ring). */
    d = throttled_start(NULL, tx, 10);
    qv_wr(d, 1, QV_FN_TX_TAIL, 4096);
    qv_step(d, ONE_SECOND_NS);
    g_assert_true(qv_rd(d, 1, QV_FN_STATUS) & QV_STATUS_TX_RING_ERR);
    g_assert_cmpuint(tx_pkts(d, 1), ==, 131);
    qv_stop(d);

    /* The ring re-programmed with a frame still missing its EOP. */
    d = throttled_start(NULL, tx, 10);
    qv_wr(d, 1, QV_FN_TX_SIZE, 16 * QV_TXD_SIZE);
    desc = tx[1].base;
    qtest_writeq(d->qts, desc + QV_TXD_ADDR, qv_alloc(d, 1000, 64));
    qtest_writew(d->qts, desc + QV_TXD_LEN, 1000);
    qtest_writeb(d->qts, desc + QV_TXD_CMD, 0);
    qv_wr(d, 1, QV_FN_TX_TAIL, 1);
    qv_step(d, ONE_SECOND_NS);
    g_assert_cmpuint(tx_pkts(d, 1), ==, 131);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), ==, 0);
    qv_stop(d);

    alarm(0);
}

/* Main thread CPU time of process @pid, in seconds. */
static double main_thread_cpu(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/stat", pid,
                                            pid);
    g_autofree char *stat = NULL;
    unsigned long utime, stime;
    const char *p;

    g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
    p = strrchr(stat, ')');
    g_assert_nonnull(p);
    /* Fields 14 and 15 (utime, stime); field 3 follows ") ". */
    g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                           "%*u %lu %lu", &utime, &stime), ==, 2);
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

/*
 * The same under a real clock: TCG with a BIOS that only halts, so that
 * virtual time follows the host's while nothing else runs. With a
 * throttled function whose bus mastering is off, QEMU's main thread must
 * stay idle; a spinning timer would use all the CPU it can get. The bound
 * is generous (a third of the time), not a timing.
 */
static void test_tx_timer_idle_cpu(void)
{
    g_autofree char *bios = g_strdup_printf("%s/qosvnic-hlt-XXXXXX",
                                            g_get_tmp_dir());
    g_autofree char *extra = NULL;
    g_autofree uint8_t *hlt = g_malloc(64 * KiB);
    QvRing tx[2];
    QvDev *d;
    double cpu;
    int fd;

    fd = g_mkstemp_full(bios, O_RDWR, 0600);
    g_assert_cmpint(fd, >=, 0);
    memset(hlt, 0xf4, 64 * KiB);                /* hlt, from the reset vector */
    g_assert_cmpint(write(fd, hlt, 64 * KiB), ==, 64 * KiB);
    close(fd);
    extra = g_strdup_printf("-accel tcg -bios %s", bios);

    /* 1 Mbit/s: a frame's tokens come back every 8 ms. */
    d = throttled_start(extra, tx, 1);
    qv_cfg_writew(d, QV_T_PF_BUS, qv_fn_devfn(1), PCI_COMMAND,
                  PCI_COMMAND_MEMORY);
    g_usleep(100 * 1000);
    cpu = main_thread_cpu(qtest_pid(d->qts));
    g_usleep(3 * G_USEC_PER_SEC);
    cpu = main_thread_cpu(qtest_pid(d->qts)) - cpu;
    g_test_message("QEMU main thread: %.2f s of CPU in 3 s", cpu);
    g_assert_cmpfloat(cpu, <, 1.0);
    qv_stop(d);
    unlink(bios);
}

/* ------------------------------------------------ 4. port VLAN escape */

/* A frame of @len bytes from @src to @dst tagged with VLAN @vid. */
static void tagged_frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src,
                         uint16_t vid, size_t len)
{
    qv_frame(buf, dst, src, 0x8100, len);
    stw_be_p(buf + 14, vid);
    stw_be_p(buf + 16, 0x88b5);
}

/* Frame @i of @r done with ERR, counted as spoofed, not on the wire. */
static void assert_spoof_drop(QvDev *d, QvRing *r, int i, uint64_t drops)
{
    uint8_t got[2048];

    qv_sync(d);
    g_assert_cmphex(qv_tx_status(d, r, i), ==,
                    QV_TXD_STA_DD | QV_TXD_STA_ERR);
    g_assert_cmpuint(qv_stat(d, r->fn, QV_STAT_TX_DROP_SPOOF), ==, drops);
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 100), ==, -1);
}

/*
 * A VF on port VLAN 10 cannot send on VLAN 20 by tagging frames itself,
 * whatever spoofchk and trust say: not to the wire, not to a VF on VLAN
 * 20. Its own tag is forced to the port's (priority included).
 */
static void test_port_vlan_escape(void)
{
    QvRing tx[3], rx[3];
    QvDev *d = iso_start(NULL, NULL, 2, tx, 16);
    uint8_t mac1[6], mac2[6], frame[100], got[2048];
    static const uint32_t flags[] = {
        0, QV_MGF_TRUST, QV_MGF_SPOOFCHK | QV_MGF_TRUST,
    };
    uint64_t drops = 0;
    unsigned i, n = 0;

    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qv_rx_setup(d, 2, &rx[2], 16, 2048, true);
    qv_mg_wr(d, 1, QV_MG_VLAN, 10 | (3 << QV_VLAN_QOS_SHIFT));
    qv_mg_wr(d, 2, QV_MG_VLAN, 20);
    for (i = 0; i < ARRAY_SIZE(flags); i++) {
        qv_mg_wr(d, 1, QV_MG_FLAGS, flags[i]);
        tagged_frame(frame, ext_mac, mac1, 20, sizeof(frame));
        qv_tx_send(d, &tx[1], frame, sizeof(frame), 0, 0, 0);
        assert_spoof_drop(d, &tx[1], n++, ++drops);
        tagged_frame(frame, mac2, mac1, 20, sizeof(frame));
        qv_tx_send(d, &tx[1], frame, sizeof(frame), 0, 0, 0);
        assert_spoof_drop(d, &tx[1], n++, ++drops);
    }
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_PACKETS), ==, 0);
    g_assert_cmpint(qv_rx_take(d, &rx[2], got, sizeof(got), NULL, NULL,
                               NULL), ==, -1);

    /* Its own VLAN goes, with the port's priority. */
    tagged_frame(frame, ext_mac, mac1, 10, sizeof(frame));
    qv_tx_send(d, &tx[1], frame, sizeof(frame), 0, 0, 0);
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==,
                    sizeof(frame));
    g_assert_cmphex(lduw_be_p(got + 14), ==, (3 << 13) | 10);
    g_assert_cmpmem(got + 16, sizeof(frame) - 16, frame + 16,
                    sizeof(frame) - 16);
    qv_stop(d);
}

/*
 * The internal switch looks up MAC and VLAN: VF 1 (port VLAN 10) sending
 * to VF 2's MAC while VF 2 is on VLAN 20 reaches the wire on VLAN 10,
 * and VF 2 neither receives it nor counts it as its drop. On VLAN 10 VF 2
 * gets it through the switch.
 */
static void test_veb_vlan_aware(void)
{
    QvRing tx[3], rx[3];
    QvDev *d = iso_start(NULL, NULL, 2, tx, 16);
    uint8_t mac1[6], mac2[6], frame[100], got[2048];

    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qv_rx_setup(d, 2, &rx[2], 16, 2048, true);
    qv_mg_wr(d, 1, QV_MG_VLAN, 10);
    qv_mg_wr(d, 2, QV_MG_VLAN, 20);

    qv_frame(frame, mac2, mac1, 0x88b5, sizeof(frame));
    qv_tx_send(d, &tx[1], frame, sizeof(frame), 0, 0, 0);
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==,
                    sizeof(frame) + 4);
    g_assert_cmpmem(got, 12, frame, 12);
    g_assert_cmphex(lduw_be_p(got + 14), ==, 10);
    qv_sync(d);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_DROP_VLAN), ==, 0);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_PACKETS), ==, 0);

    qv_mg_wr(d, 2, QV_MG_VLAN, 10);
    qv_tx_send(d, &tx[1], frame, sizeof(frame), 0, 0, 0);
    qv_wait_stat_sum(d, (int[]){ 2 }, 1, (unsigned[]){ QV_STAT_RX_PACKETS },
                     1, 1);
    g_assert_cmpint(qv_rx_take(d, &rx[2], got, sizeof(got), NULL, NULL,
                               NULL), ==, sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 100), ==, -1);
    qv_stop(d);
}

/* ----------------------------------------- 5. zero-length backend frame */

/*
 * A frame of no bytes from the backend is consumed and counted as a runt
 * (on the PF: it has no destination). Before, the device returned 0 for
 * it, which the net layer takes as "not now": receive stayed disabled
 * and no frame ever came in again.
 */
static void test_zero_length_frame(void)
{
    QvDev *d = qv_start(NULL, NULL);
    QvRing rx;
    uint8_t mac[6], frame[200], got[2048];

    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac);
    qv_rx_setup(d, 1, &rx, 16, 2048, true);
    qv_fn_start(d, 1);

    qv_inject(d, frame, 0);
    qv_frame(frame, mac, ext_mac, 0x88b5, sizeof(frame));
    qv_inject(d, frame, sizeof(frame));
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_RX_PACKETS },
                     1, 1);
    g_assert_cmpint(qv_rx_take(d, &rx, got, sizeof(got), NULL, NULL, NULL),
                    ==, sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_cmpuint(qv_mg_stat(d, 0, QV_STAT_DROP_LENGTH), ==, 1);
    qv_stop(d);
}

/*
 * A VF with a minimum TX share whose ring holds only frames the device
 * drops (zero-length descriptors) must not keep the guaranteed pass: a
 * dropped frame costs its meter what it fetched, at least a minimum frame.
 * Before, it cost nothing, the meter stayed full and the engine served VF 1
 * alone until its ring was empty: all 4000 frames before VF 2's one. Now
 * VF 2 waits for at most the meter's worth of 60-byte frames: 1 s at 1
 * Mbit/s, 125000 bytes (under the QV_TSO_WIRE_MAX it may bank).
 */
static void test_min_share_bad_frames(void)
{
    const unsigned n = QV_RING_MAX_BYTES / QV_TXD_SIZE, bad = 4000;
    g_autofree char *trace = NULL;
    g_autofree char *args = qv_trace_args("qosvnic_tx_desc", &trace);
    g_autofree uint8_t *ring = g_malloc0(n * QV_TXD_SIZE);
    g_autoptr(GPtrArray) lines = NULL;
    QvDev *d = qv_start(NULL, args);
    uint8_t mac1[6], mac2[6], frame[100], got[2048];
    unsigned i, fn, before = 0;
    QvRing tx[3];

    qv_enable_vfs(d, 2);
    qv_tx_setup(d, 1, &tx[1], n);
    qv_tx_setup(d, 2, &tx[2], 16);
    qv_fn_start(d, 1);
    qv_fn_start(d, 2);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);

    /* A frame that leaves starts VF 1's meter; a second fills it. */
    qv_mg_wr(d, 1, QV_MG_TX_MIN_RATE, 1);
    qv_frame(frame, ext_mac, mac1, 0x88b5, sizeof(frame));
    qv_tx_send(d, &tx[1], frame, sizeof(frame), 0, 0, 0);
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==,
                    sizeof(frame));
    qv_step(d, 1000 * 1000 * 1000);
    for (i = 1; i < n; i++) {
        ring[i * QV_TXD_SIZE + QV_TXD_CMD] = QV_TXD_EOP;    /* len 0 */
    }
    qtest_memwrite(d->qts, tx[1].base + QV_TXD_SIZE, ring + QV_TXD_SIZE,
                   (n - 1) * QV_TXD_SIZE);

    /* Both rings at once: the engines wait while the VM is stopped. */
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'stop' }");
    qv_wr(d, 1, QV_FN_TX_TAIL, 1 + bad);
    qv_frame(frame, ext_mac, mac2, 0x88b5, sizeof(frame));
    qv_tx_send(d, &tx[2], frame, sizeof(frame), 0, 0, 0);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'cont' }");
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==,
                    sizeof(frame));
    qv_wait_stat_sum(d, (int[]){ 1 }, 1,
                     (unsigned[]){ QV_STAT_TX_DROP_BAD }, 1, bad);

    lines = qv_trace_lines(trace, "qosvnic_tx_desc");
    for (i = 0; i < lines->len; i++) {
        g_assert_cmpint(sscanf(g_ptr_array_index(lines, i), "fn %u", &fn),
                        ==, 1);
        if (fn == 2) {
            break;
        }
        before += fn == 1 && i > 0;     /* not the first, good frame */
    }
    g_assert_cmpuint(i, <, lines->len);
    g_test_message("VF 1 frames served before VF 2's: %u", before);
    g_assert_cmpuint(before, <=, 125000 / 60 + 1);
    qv_stop(d);
    unlink(trace);
}

/*
 * A VF's MSI-X message is a DMA write to the address its table names: a
 * tenant that owns its table (no interrupt remapping) aims its RX and misc
 * vectors at its management window's flags in the PF's BAR, with TRUST
 * as the data. Every message must be dropped. Before, the one interrupt
 * moderation held back (sent from a timer), the link-change interrupts
 * of a host's set_link, and a message the vector's mask held pending
 * (sent by QEMU's MSI-X code on unmask) reached the PF's registers, and
 * the VF trusted itself.
 */
static void test_msix_into_pf_bar(void)
{
    QvDev *d = qv_start("max-vfs=2", NULL);
    uint64_t target = qv_fn_bar0(d, 0) + QV_MGMT(1) + QV_MG_FLAGS;
    uint8_t mac[6], src[6] = { 0x02, 0, 0, 0, 0, 0x99 }, frame[100];
    const unsigned vecs[] = { QV_VEC_RX, QV_VEC_MISC };
    uint32_t flags;
    QvRing rx;
    int i;

    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac);
    qv_rx_setup(d, 1, &rx, 16, 2048, true);
    qv_fn_start(d, 1);
    flags = qv_mg_rd(d, 1, QV_MG_FLAGS);
    g_assert_cmphex(flags & QV_MGF_TRUST, ==, 0);
    for (i = 0; i < ARRAY_SIZE(vecs); i++) {
        uint64_t e = qv_fn_bar2(1) + QV_MSIX_TABLE_OFFSET +
                     vecs[i] * PCI_MSIX_ENTRY_SIZE;

        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_LOWER_ADDR,
                     (uint32_t)target);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_UPPER_ADDR, target >> 32);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_DATA, flags | QV_MGF_TRUST);
    }

    /* The host takes the link down and up: two misc interrupts. */
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'set_link', 'arguments':"
                             " { 'name': 'hs0', 'up': false } }");
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'set_link', 'arguments':"
                             " { 'name': 'hs0', 'up': true } }");
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_FLAGS), ==, flags);

    qv_wr(d, 1, QV_FN_ITR(QV_VEC_RX), 100);
    qv_frame(frame, mac, src, 0x88b5, sizeof(frame));
    for (i = 1; i <= 2; i++) {
        qv_inject(d, frame, sizeof(frame));
        qv_wait_stat_sum(d, (int[]){ 1 }, 1,
                         (unsigned[]){ QV_STAT_RX_PACKETS }, 1, i);
    }
    qv_step(d, 200 * 1000);
    qv_sync(d);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_FLAGS), ==, flags);

    /*
     * A message held pending by the vector's mask goes out when the
     * tenant unmasks it in its own BAR, from QEMU's MSI-X code.
     */
    qtest_writel(d->qts, qv_fn_bar2(1) + QV_MSIX_TABLE_OFFSET +
                 QV_VEC_RX * PCI_MSIX_ENTRY_SIZE +
                 PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT);
    qv_wr(d, 1, QV_FN_ITR(QV_VEC_RX), 0);
    qv_inject(d, frame, sizeof(frame));
    qv_wait_stat_sum(d, (int[]){ 1 }, 1,
                     (unsigned[]){ QV_STAT_RX_PACKETS }, 1, 3);
    qtest_writel(d->qts, qv_fn_bar2(1) + QV_MSIX_TABLE_OFFSET +
                 QV_VEC_RX * PCI_MSIX_ENTRY_SIZE +
                 PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_FLAGS), ==, flags);
    qv_stop(d);
}

/* Mask or unmask VF 1's RX vector: in its MSI-X table, or all in config. */
static void vf1_rx_vector_mask(QvDev *d, bool in_config, bool mask)
{
    uint16_t flags_off = QV_CAP_MSIX_OFFSET + PCI_MSIX_FLAGS;
    uint16_t flags = qv_cfg_readw(d, QV_T_PF_BUS, qv_fn_devfn(1), flags_off);

    if (in_config) {
        flags = mask ? flags | PCI_MSIX_FLAGS_MASKALL
                     : flags & ~PCI_MSIX_FLAGS_MASKALL;
        qv_cfg_writew(d, QV_T_PF_BUS, qv_fn_devfn(1), flags_off, flags);
        return;
    }
    qtest_writel(d->qts, qv_fn_bar2(1) + QV_MSIX_TABLE_OFFSET +
                 QV_VEC_RX * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL,
                 mask ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

/*
 * Nor at another tenant or the PF: VF 1 aims its RX vector at VF 2's
 * registers, at VF 2's MSI-X table and at the PF's, and at config space
 * (VF 2's FLR, the PF's VF Enable), and has QEMU's MSI-X code send it (a
 * pending message, on unmask in the table or in config space); then it
 * points RX buffers at VF 2's MSI-X table and at the PF's SR-IOV control.
 * Before the fixes the first message stopped VF 2, the next rewrote the
 * tables, the config writes reset VF 2 and disabled every VF, and the
 * frame became VF 2's vectors.
 */
static void test_msix_into_peer(void)
{
    QvDev *d = qv_start("max-vfs=2", NULL);
    uint64_t e = qv_fn_bar2(1) + QV_MSIX_TABLE_OFFSET +
                 QV_VEC_RX * PCI_MSIX_ENTRY_SIZE;
    uint64_t vf2_table = qv_fn_bar2(2) + QV_MSIX_TABLE_OFFSET;
    uint8_t mac[6], src[6] = { 0x02, 0, 0, 0, 0, 0x99 }, frame[100];
    const struct {
        uint64_t addr;
        uint32_t data;
        bool in_config;
    } targets[] = {
        { qv_fn_bar0(d, 2) + QV_FN_CTRL, 0, false },
        { qv_fn_bar0(d, 2) + QV_FN_CTRL, 0, true },
        { vf2_table + PCI_MSIX_ENTRY_DATA, 0xdead, false },
        { qv_fn_bar2(0) + QV_MSIX_TABLE_OFFSET + PCI_MSIX_ENTRY_VECTOR_CTRL,
          PCI_MSIX_ENTRY_CTRL_MASKBIT, true },
        /* Config space through MMCONFIG: VF 2's FLR, the PF's VF Enable. */
        { qv_ecam(QV_T_PF_BUS, qv_fn_devfn(2),
                  QV_CAP_EXP_OFFSET + PCI_EXP_DEVCTL), PCI_EXP_DEVCTL_BCR_FLR,
          false },
        { qv_ecam(QV_T_PF_BUS, qv_fn_devfn(0),
                  QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_CTRL), 0, true },
    };
    uint32_t table[QV_NUM_VECTORS * PCI_MSIX_ENTRY_SIZE / 4], sriov;
    gint64 deadline;
    QvRing rx;
    int i;

    qv_enable_vfs(d, 2);
    qv_fn_mac(d, 1, mac);
    qv_rx_setup(d, 1, &rx, 16, 2048, true);
    qv_fn_start(d, 1);
    qv_fn_start(d, 2);
    qv_wr(d, 1, QV_FN_ITR(QV_VEC_RX), 0);
    qv_frame(frame, mac, src, 0x88b5, sizeof(frame));
    for (i = 0; i < ARRAY_SIZE(targets); i++) {
        uint32_t before = qtest_readl(d->qts, targets[i].addr);

        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_LOWER_ADDR,
                     (uint32_t)targets[i].addr);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_UPPER_ADDR,
                     targets[i].addr >> 32);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_DATA, targets[i].data);
        vf1_rx_vector_mask(d, targets[i].in_config, true);
        qv_inject(d, frame, sizeof(frame));
        qv_wait_stat_sum(d, (int[]){ 1 }, 1,
                         (unsigned[]){ QV_STAT_RX_PACKETS }, 1, i + 1);
        vf1_rx_vector_mask(d, targets[i].in_config, false);
        g_assert_cmphex(qtest_readl(d->qts, targets[i].addr), ==, before);
    }
    g_assert_cmphex(qv_rd(d, 2, QV_FN_CTRL) & (QV_CTRL_RX_EN | QV_CTRL_TX_EN),
                    ==, QV_CTRL_RX_EN | QV_CTRL_TX_EN);

    /* The device's own DMA: a receive buffer over the PF's SR-IOV control. */
    sriov = qv_cfg_readl(d, QV_T_PF_BUS, qv_fn_devfn(0),
                         QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_CTRL);
    qtest_writeq(d->qts, rx.base + ARRAY_SIZE(targets) * QV_RXD_SIZE +
                 QV_RXD_ADDR, qv_ecam(QV_T_PF_BUS, qv_fn_devfn(0),
                                      QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_CTRL));
    qv_inject(d, frame, sizeof(frame));
    qv_wait_stat_sum(d, (int[]){ 1 }, 1, (unsigned[]){ QV_STAT_RX_PACKETS },
                     1, ARRAY_SIZE(targets) + 1);
    g_assert_cmphex(qv_cfg_readl(d, QV_T_PF_BUS, qv_fn_devfn(0),
                                 QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_CTRL),
                    ==, sriov);

    /* ... and one in VF 2's MSI-X table. */
    for (i = 0; i < ARRAY_SIZE(table); i++) {
        table[i] = qtest_readl(d->qts, vf2_table + i * 4);
    }
    qtest_writeq(d->qts, rx.base + (ARRAY_SIZE(targets) + 1) * QV_RXD_SIZE +
                 QV_RXD_ADDR, vf2_table);   /* one descriptor per frame */
    qv_inject(d, frame, sizeof(frame));
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!(qv_rd(d, 1, QV_FN_STATUS) & QV_STATUS_RX_RING_ERR)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        qv_sync(d);
    }
    for (i = 0; i < ARRAY_SIZE(table); i++) {
        g_assert_cmphex(qtest_readl(d->qts, vf2_table + i * 4), ==, table[i]);
    }
    /* That frame's message went to the last target: VF Enable holds. */
    g_assert_cmphex(qv_cfg_readl(d, QV_T_PF_BUS, qv_fn_devfn(0),
                                 QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_CTRL),
                    ==, sriov);
    qv_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/isolation/min-share-bad-frames",
                   test_min_share_bad_frames);
    qtest_add_func("/qosvnic/isolation/tso-min-mss", test_tso_min_mss);
    qtest_add_func("/qosvnic/isolation/tso-max-mss", test_tso_max_mss);
    qtest_add_func("/qosvnic/isolation/tso-port-vlan", test_tso_port_vlan);
    qtest_add_func("/qosvnic/isolation/tso-header-wire-max",
                   test_tso_header_wire_max);
    qtest_add_func("/qosvnic/isolation/min-share-vs-tso-debt",
                   test_min_share_vs_tso_debt);
    qtest_add_func("/qosvnic/isolation/min-share-90-vs-tso",
                   test_min_share_90_vs_tso);
    qtest_add_func("/qosvnic/isolation/tso-shaper-debt",
                   test_tso_shaper_debt);
    qtest_add_func("/qosvnic/isolation/tso-group-refused",
                   test_tso_group_refused);
    qtest_add_func("/qosvnic/isolation/tx-budget-segments",
                   test_tx_budget_segments);
    qtest_add_func("/qosvnic/isolation/tx-budget-flood",
                   test_tx_budget_flood);
    qtest_add_func("/qosvnic/isolation/ceiling-across-resets",
                   test_ceiling_across_resets);
    qtest_add_func("/qosvnic/isolation/ceiling-bad-frames",
                   test_ceiling_bad_frames);
    qtest_add_func("/qosvnic/isolation/ceiling-incomplete-fetch",
                   test_ceiling_incomplete_fetch);
    qtest_add_func("/qosvnic/isolation/tx-timer-clock-step",
                   test_tx_timer_clock_step);
    qtest_add_func("/qosvnic/isolation/tx-timer-idle-cpu",
                   test_tx_timer_idle_cpu);
    qtest_add_func("/qosvnic/isolation/port-vlan-escape",
                   test_port_vlan_escape);
    qtest_add_func("/qosvnic/isolation/veb-vlan-aware", test_veb_vlan_aware);
    qtest_add_func("/qosvnic/isolation/msix-into-pf-bar",
                   test_msix_into_pf_bar);
    qtest_add_func("/qosvnic/isolation/msix-into-peer", test_msix_into_peer);
    qtest_add_func("/qosvnic/isolation/zero-length-frame",
                   test_zero_length_frame);
    return g_test_run();
}
