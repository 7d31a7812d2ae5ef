/*
 * qosvnic qtest: device-level ingress QoS: token-bucket policing against
 * virtual time, buffer partitions with Dynamic Threshold borrowing,
 * run-time repartitioning, and the DMA scheduler (strict priority, DRR
 * weights) with a modelled DMA bandwidth.
 *
 * Every expected number is derived in the comments from the documented
 * rules, so a change in the device's arithmetic fails a test.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qosvnic-qtest-lib.h"

#define ETYPE_TEST      0x88b5
#define NS_PER_S        1000000000ULL

static const uint8_t src_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static void wait_stat(QvDev *d, int fn, unsigned idx, uint64_t want)
{
    int fns[] = { fn };
    unsigned idxs[] = { idx };

    qv_wait_stat_sum(d, fns, 1, idxs, 1, want);
}

/*
 * Frames of @fb bytes (a whole number of cells): wait until the device
 * has decided on @n of them for @fn: held in its partition, delivered, or
 * dropped for any reason.
 */
static void wait_decided(QvDev *d, int fn, uint64_t fb, uint64_t n)
{
    static const unsigned idx[] = {
        QV_STAT_RX_PACKETS, QV_STAT_DROP_RATE, QV_STAT_DROP_BUFFER,
        QV_STAT_DROP_RING_FULL, QV_STAT_DROP_LENGTH,
    };
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    uint64_t sum;

    for (;;) {
        unsigned i;

        /*
         * Counters first, occupancy last: a frame delivered in between is
         * then missed once (and the loop goes round), never counted twice.
         */
        sum = 0;
        for (i = 0; i < ARRAY_SIZE(idx); i++) {
            sum += qv_mg_stat(d, fn, idx[i]);
        }
        sum += qv_mg_stat(d, fn, QV_STAT_BUF_OCCUPANCY) / fb;
        if (sum >= n || g_get_monotonic_time() > deadline) {
            break;
        }
        qv_sync(d);
        g_usleep(1000);
    }
    g_assert_cmpuint(sum, ==, n);
}

/* Inject @n frames of @len bytes to @fn, ids from @id0, in batches. */
static void send_to(QvDev *d, int fn, size_t len, unsigned n, unsigned id0,
                    unsigned batch, uint64_t decided_before)
{
    g_autofree uint8_t *f = g_malloc(len);
    uint8_t mac[6];
    unsigned i;

    qv_fn_mac(d, fn, mac);
    for (i = 0; i < n; i++) {
        qv_frame(f, mac, src_mac, ETYPE_TEST, len);
        stl_le_p(f + 14, id0 + i);
        qv_inject(d, f, len);
        if (batch && ((i + 1) % batch == 0 || i + 1 == n)) {
            wait_decided(d, fn, QEMU_ALIGN_UP(len, QV_BUF_CELL_SIZE),
                         decided_before + i + 1);
        }
    }
}

static uint64_t mgstat(QvDev *d, int fn, unsigned idx)
{
    return qv_mg_stat(d, fn, idx);
}

/* Held in fn's partition, in frames of @fb buffer bytes. */
static uint64_t held(QvDev *d, int fn, uint64_t fb)
{
    g_assert_cmpuint(mgstat(d, fn, QV_STAT_BUF_OCCUPANCY) % fb, ==, 0);
    return mgstat(d, fn, QV_STAT_BUF_OCCUPANCY) / fb;
}

/* Let pending bottom halves finish: counters stop moving. */
static void settle(QvDev *d, int fn_a, int fn_b)
{
    uint64_t last = UINT64_MAX;
    int same = 0;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (same < 20 && g_get_monotonic_time() < deadline) {
        uint64_t now = mgstat(d, fn_a, QV_STAT_RX_PACKETS) +
                       mgstat(d, fn_b, QV_STAT_RX_PACKETS);

        same = now == last ? same + 1 : 0;
        last = now;
        qv_sync(d);
    }
    g_assert_cmpint(same, ==, 20);
}

/* ---------------------------------------------------------- policing */

static const unsigned decided_rate[] = {
    QV_STAT_RX_PACKETS, QV_STAT_DROP_RATE,
};

/*
 * Rate R bits/s, burst B bytes, frames of L bytes, the bucket drained at
 * every step (B / L + 1 frames sent): after virtual time T exactly
 * floor((B + floor(R T / 8)) / L) frames are admitted, as long as no refill
 * overflows the bucket (each step adds at most B - L bytes). Checked after
 * every step; returns the frames admitted in all.
 */
static uint64_t tb_run(QvDev *d, uint64_t R, uint64_t B, uint64_t L,
                       const int64_t *steps, unsigned nsteps)
{
    const unsigned per_step = B / L + 1;
    uint64_t t = 0, sent = 0, admitted = 0;
    QvRing r;
    unsigned k;

    qv_enable_vfs(d, 1);
    qv_fn_start(d, 1);
    qv_rx_setup(d, 1, &r, 256, 2048, true);
    qv_set_rx_rate(d, 1, R, B);

    for (k = 0; k <= nsteps; k++) {
        if (k) {
            g_assert_cmpuint(steps[k - 1] * R, <=, (B - L) * 8 * NS_PER_S);
            qv_step(d, steps[k - 1]);
            t += steps[k - 1];
        }
        send_to(d, 1, L, per_step, sent, 0, 0);
        sent += per_step;
        /* The ring has room: every admitted frame is delivered. */
        qv_wait_stat_sum(d, (int[]) { 1 }, 1, decided_rate, 2, sent);
        admitted = (B + R * t / (8 * NS_PER_S)) / L;
        g_assert_cmpuint(mgstat(d, 1, QV_STAT_RX_PACKETS), ==, admitted);
        g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RATE), ==, sent - admitted);
    }
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_BUFFER) +
                     mgstat(d, 1, QV_STAT_DROP_RING_FULL), ==, 0);
    return admitted;
}

/* Irregular steps; R T / 8 is never a whole number of bytes. */
static void test_tb_exact(void)
{
    static const int64_t steps[] = {
        1000003, 333333, 2500000, 777777, 1234567, 3000000, 1, 999999,
        2222222, 17, 3085713, 123456,
    };
    QvDev *d = qv_start("max-vfs=2", NULL);
    uint64_t admitted = tb_run(d, 7777777, 4000, 1000, steps,
                               ARRAY_SIZE(steps));
    uint64_t rate_drops = mgstat(d, 1, QV_STAT_DROP_RATE);

    /* 15.277088 ms in all: 4000 + 14852 bytes of credit -> 18 frames. */
    g_assert_cmpuint(admitted, ==, 18);

    /* A long pause fills the bucket to B, not beyond: 4 of 5 pass. */
    qv_step(d, NS_PER_S);
    send_to(d, 1, 1000, 5, 100, 0, 0);
    qv_wait_stat_sum(d, (int[]) { 1 }, 1, decided_rate, 2,
                     admitted + rate_drops + 5);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_RX_PACKETS), ==, admitted + 4);
    qv_stop(d);
}

/*
 * 40 refills of 999.999125 bytes each: only a bucket that carries the
 * fractions reaches 2001 + 39999 = 42000 bytes, i.e. 42 frames; one that
 * rounds every refill down stops at 2001 + 39960, 41 frames.
 */
static void test_tb_many_refills(void)
{
    int64_t steps[40];
    QvDev *d = qv_start("max-vfs=2", NULL);
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(steps); i++) {
        steps[i] = 999999;
    }
    g_assert_cmpuint(tb_run(d, 8000001, 2001, 1000, steps,
                            ARRAY_SIZE(steps)), ==, 42);
    qv_stop(d);
}

/*
 * Burst 0 means the documented default; frames above the burst never
 * conform; rate 0 means no policing.
 */
static void test_tb_burst(void)
{
    QvDev *d = qv_start("max-vfs=2", NULL);
    uint64_t sent;
    QvRing r;

    qv_enable_vfs(d, 1);
    qv_fn_start(d, 1);
    qv_rx_setup(d, 1, &r, 1024, 2048, true);

    /* 8 Mbit/s: 10 ms is 10000 bytes, so the default is 64 KiB + 256. */
    qv_set_rx_rate(d, 1, 8000000, 0);
    send_to(d, 1, 1000, 70, 0, 10, 0);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_RX_PACKETS), ==, 65792 / 1000);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RATE), ==, 70 - 65);
    sent = 70;

    /* 800 Mbit/s: 10 ms is 1 MB, above the floor. */
    qv_set_rx_rate(d, 1, 800000000, 0);
    qv_step(d, NS_PER_S);
    send_to(d, 1, 1000, 200, sent, 20, sent);
    sent += 200;
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RATE), ==, 5);

    /* Burst 500: a 1000-byte frame can never have enough tokens. */
    qv_set_rx_rate(d, 1, 8000000, 500);
    qv_step(d, 10 * NS_PER_S);
    send_to(d, 1, 1000, 3, sent, 3, sent);
    sent += 3;
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RATE), ==, 5 + 3);
    /* ... two 400-byte frames: the first fits, 100 bytes are left. */
    send_to(d, 1, 400, 2, sent, 2, sent);
    sent += 2;
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RATE), ==, 5 + 3 + 1);

    /* Rate 0: no policing at all. */
    qv_set_rx_rate(d, 1, 0, 0);
    send_to(d, 1, 1000, 30, sent, 10, sent);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RATE), ==, 9);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_RX_PACKETS), ==, sent + 30 - 9);
    qv_stop(d);
}

/* ------------------------------------------------------------ buffers */

/*
 * buffer-size=64K: 256 cells of 256 bytes. max-vfs=3: 4 functions, each
 * with the default reserve of 256 / 2 / 4 = 32 cells; the shared pool is
 * 256 - 4 * 32 = 128 cells. Frames of 1024 bytes take 4 cells.
 */
#define SMALL_BUF "buffer-size=65536,max-vfs=3"
#define FB 1024

/*
 * With the ring empty, a full partition drops as RING_FULL; with free
 * descriptors but the DMA engine as the bottleneck, as BUFFER. One VF's
 * overflow takes nothing from the others.
 */
static void test_partition_overflow(void)
{
    QvDev *d = qv_start(SMALL_BUF ",dma-rate=1000", NULL);
    QvRing r1, r2, r3;

    qv_enable_vfs(d, 3);
    qv_fn_start(d, 1);
    qv_fn_start(d, 2);
    qv_fn_start(d, 3);
    qv_rx_setup(d, 1, &r1, 128, 2048, true);
    qv_rx_setup(d, 2, &r2, 16, 2048, false);
    qv_rx_setup(d, 3, &r3, 16, 2048, true);

    /*
     * VF 1 (fn 2), no RX buffers posted: its 32-cell reserve holds 8
     * frames; alpha 1 lets it borrow b cells while b <= 128 - b, i.e. 64
     * cells, 16 frames. 24 held, the rest dropped as RING_FULL.
     */
    send_to(d, 2, FB, 30, 0, 5, 0);
    g_assert_cmpuint(held(d, 2, FB), ==, 24);
    g_assert_cmpuint(mgstat(d, 2, QV_STAT_DROP_RING_FULL), ==, 6);
    g_assert_cmpuint(mgstat(d, 2, QV_STAT_DROP_BUFFER), ==, 0);
    g_assert_cmpuint(mgstat(d, 2, QV_STAT_BUF_PEAK), ==, 24 * FB);
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 +
                                 QV_DEV_BUF_SHARED_FREE), ==, 64 * 256);

    /*
     * VF 0 (fn 1), ring posted, DMA at 1000 bytes/s: the engine's 65792
     * bytes of credit move 64 frames at once; then its reserve holds 8
     * and it may borrow b <= 64 - b = 32 cells of the 64 still free, 8
     * frames. The rest is dropped as BUFFER: its ring had room.
     */
    send_to(d, 1, FB, 64 + 16 + 4, 0, 8, 0);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_RX_PACKETS), ==, 64);
    g_assert_cmpuint(held(d, 1, FB), ==, 16);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_BUFFER), ==, 4);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RING_FULL), ==, 0);

    /* VF 2 (fn 3) still gets its reserve: nobody else could take it. */
    send_to(d, 3, FB, 8, 0, 8, 0);
    g_assert_cmpuint(held(d, 3, FB), ==, 8);
    g_assert_cmpuint(mgstat(d, 3, QV_STAT_DROP_BUFFER) +
                     mgstat(d, 3, QV_STAT_DROP_RING_FULL), ==, 0);
    qv_stop(d);
}

/* Dynamic Threshold: each borrower's limit follows what is still free. */
static void test_dynamic_threshold(void)
{
    QvDev *d = qv_start(SMALL_BUF, NULL);
    QvRing r[4];
    int fn;

    qv_enable_vfs(d, 3);
    for (fn = 0; fn <= 3; fn++) {
        qv_fn_start(d, fn);
        qv_rx_setup(d, fn, &r[fn], 64, 2048, false);
    }
    qv_mg_wr(d, 3, QV_MG_BUF_ALPHA, 0);
    qv_mg_wr(d, 0, QV_MG_BUF_ALPHA, 2 * QV_ALPHA_ONE);
    g_assert_cmpuint(qv_mg_rd(d, 0, QV_MG_BUF_ALPHA), ==, 32);

    /* fn 1, alpha 1: 8 + b <= 128 - b -> 64 cells: 8 + 16 frames. */
    send_to(d, 1, FB, 28, 0, 7, 0);
    g_assert_cmpuint(held(d, 1, FB), ==, 24);
    /* fn 2, alpha 1, 64 cells left: b <= 64 - b -> 32: 8 + 8 frames. */
    send_to(d, 2, FB, 20, 0, 5, 0);
    g_assert_cmpuint(held(d, 2, FB), ==, 16);
    /* fn 3, alpha 0: its reserve only. */
    send_to(d, 3, FB, 10, 0, 5, 0);
    g_assert_cmpuint(held(d, 3, FB), ==, 8);
    /*
     * fn 0, alpha 2, 32 cells free: b <= 2 * (32 - b) -> b <= 21, in
     * whole frames 20 cells: 8 + 5 frames.
     */
    send_to(d, 0, FB, 16, 0, 4, 0);
    g_assert_cmpuint(held(d, 0, FB), ==, 13);
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 +
                                 QV_DEV_BUF_SHARED_FREE), ==, 12 * 256);

    /*
     * fn 1 drains: 76 shared cells are free again, fn 2 may now go to
     * b <= 108 - b -> 54, i.e. 52 cells: 5 more frames.
     */
    qv_rx_post(d, &r[1], 63);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 24);
    g_assert_cmpuint(held(d, 1, FB), ==, 0);
    send_to(d, 2, FB, 7, 20, 7, 20);
    g_assert_cmpuint(held(d, 2, FB), ==, 21);
    /* fn 3 stays static. */
    send_to(d, 3, FB, 1, 10, 1, 10);
    g_assert_cmpuint(held(d, 3, FB), ==, 8);
    qv_stop(d);
}

/*
 * Reserves change while frames are held: nothing is lost, the new size
 * governs later admissions, and a sum above the buffer is refused.
 */
static void test_repartition(void)
{
    QvDev *d = qv_start(SMALL_BUF, NULL);
    uint8_t got[FB];
    QvRing r1, r2;
    unsigned i;

    qv_enable_vfs(d, 3);
    qv_fn_start(d, 1);
    qv_fn_start(d, 2);
    qv_rx_setup(d, 1, &r1, 64, 2048, false);
    qv_rx_setup(d, 2, &r2, 64, 2048, false);
    qv_mg_wr(d, 1, QV_MG_BUF_ALPHA, 0);
    qv_mg_wr(d, 2, QV_MG_BUF_ALPHA, 0);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, 32 * 256);

    send_to(d, 1, FB, 9, 0, 9, 0);
    g_assert_cmpuint(held(d, 1, FB), ==, 8);

    /* Grow to 64 cells: 8 more frames fit. Bytes round up to cells. */
    qv_mg_wr(d, 1, QV_MG_BUF_RESERVE, 64 * 256 - 255);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, 64 * 256);
    send_to(d, 1, FB, 10, 9, 10, 9);
    g_assert_cmpuint(held(d, 1, FB), ==, 16);

    /* Shrink to 16 cells below the 64 held: kept, but nothing new. */
    qv_mg_wr(d, 1, QV_MG_BUF_RESERVE, 16 * 256);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, 16 * 256);
    g_assert_cmpuint(held(d, 1, FB), ==, 16);
    send_to(d, 1, FB, 1, 19, 1, 19);
    g_assert_cmpuint(held(d, 1, FB), ==, 16);

    /* 32 + 16 + 256 + 32 cells > 256: refused, value unchanged. */
    qv_mg_wr(d, 2, QV_MG_BUF_RESERVE, 256 * 256);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_RESERVE), ==, 32 * 256);
    /*
     * Reserves alone, 32 + 16 + 160 + 32 = 240, would fit, but fn 1 holds
     * 64 cells, 48 beyond its reserve: 32 + 64 + 160 + 32 > 256 is
     * refused, or fn 2's reserve would be backed by the cells the PF's and
     * fn 3's need. 32 + 64 + 128 + 32 = 256 fits.
     */
    qv_mg_wr(d, 2, QV_MG_BUF_RESERVE, 160 * 256);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_RESERVE), ==, 32 * 256);
    qv_mg_wr(d, 2, QV_MG_BUF_RESERVE, 128 * 256);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_RESERVE), ==, 128 * 256);
    send_to(d, 2, FB, 34, 0, 6, 0);
    g_assert_cmpuint(held(d, 2, FB), ==, 32);

    /* fn 1 drains: all 16 frames, intact and in order. */
    qv_rx_post(d, &r1, 16);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 16);
    for (i = 0; i < 16; i++) {
        uint16_t status;

        g_assert_cmpint(qv_rx_take(d, &r1, got, sizeof(got), &status,
                                   NULL, NULL), ==, FB);
        g_assert_cmpuint(ldl_le_p(got + 14), ==, i < 8 ? i : i + 1);
        g_assert_cmpuint(got[FB - 1], ==, (FB - 1) & 0xff);
    }
    g_assert_cmpuint(held(d, 1, FB), ==, 0);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_BUF_PEAK), ==, 64 * 256);
    /* Writing the peak restarts it from the current level. */
    qtest_writeq(d->qts, QV_T_PF_BAR0 + QV_MGMT(1) +
                 QV_MG_STAT(QV_STAT_BUF_PEAK), 0);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_BUF_PEAK), ==, 0);

    /* Post nothing more: the 16-cell reserve holds 4 frames now. */
    qv_wr(d, 1, QV_FN_CTRL, 0);
    qv_rx_setup(d, 1, &r1, 64, 2048, false);
    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RX_EN);
    send_to(d, 1, FB, 5, 100, 5, 16 + 1 + 2 + 1);
    g_assert_cmpuint(held(d, 1, FB), ==, 4);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_BUF_PEAK), ==, 16 * 256);
    qv_stop(d);
}

/*
 * A tenant that never drains cannot leave others' reserves unbacked. fn 1
 * (VF 0) gets 192 cells and fills them without posting a buffer; its
 * reserve is then taken back (0) and given to fn 2 (VF 1). Before, fn 2
 * got its 192 cells though only 64 were free beyond fn 1's frames, took
 * the PF's and fn 3's, and they could not hold a frame of their own
 * reserves while fn 1 held on. Now the move is refused while fn 1's frames
 * tie the cells up, and the PF and fn 3 keep their 8 frames each.
 */
static void test_repartition_stuck_holder(void)
{
    QvDev *d = qv_start(SMALL_BUF, NULL);
    QvRing r[4];
    int fn;

    qv_enable_vfs(d, 3);
    for (fn = 0; fn <= 3; fn++) {
        qv_fn_start(d, fn);
        qv_rx_setup(d, fn, &r[fn], 64, 2048, false);
        qv_mg_wr(d, fn, QV_MG_BUF_ALPHA, 0);
    }
    qv_mg_wr(d, 2, QV_MG_BUF_RESERVE, 0);
    qv_mg_wr(d, 1, QV_MG_BUF_RESERVE, 192 * 256);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, 192 * 256);
    send_to(d, 1, FB, 48, 0, 8, 0);
    g_assert_cmpuint(held(d, 1, FB), ==, 48);

    qv_mg_wr(d, 1, QV_MG_BUF_RESERVE, 0);
    qv_mg_wr(d, 2, QV_MG_BUF_RESERVE, 192 * 256);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_RESERVE), ==, 0);
    send_to(d, 2, FB, 20, 0, 10, 0);
    g_assert_cmpuint(held(d, 2, FB), ==, 0);
    send_to(d, 0, FB, 8, 0, 8, 0);
    send_to(d, 3, FB, 8, 0, 8, 0);
    g_assert_cmpuint(held(d, 0, FB), ==, 8);
    g_assert_cmpuint(held(d, 3, FB), ==, 8);

    /* Once fn 1 drains, the cells are free to move. */
    qv_rx_post(d, &r[1], 48);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 48);
    qv_mg_wr(d, 2, QV_MG_BUF_RESERVE, 192 * 256);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_RESERVE), ==, 192 * 256);
    send_to(d, 2, FB, 48, 20, 8, 20);
    g_assert_cmpuint(held(d, 2, FB), ==, 48);
    qv_stop(d);
}

/*
 * A VF that never posts buffers does not slow the backend for others.
 * (Default 512 KiB buffer: the other VF's 64-frame reserve absorbs what
 * the socket backend hands over in one read before the scheduler runs.)
 */
static void test_backpressure_isolation(void)
{
    QvDev *d = qv_start("max-vfs=3", NULL);
    uint8_t f[FB], mac1[6], mac2[6];
    QvRing r1, r2;
    unsigned i;

    qv_enable_vfs(d, 2);
    qv_fn_start(d, 1);
    qv_fn_start(d, 2);
    qv_rx_setup(d, 1, &r1, 16, 2048, false);
    qv_rx_setup(d, 2, &r2, 256, 2048, true);
    qv_mg_wr(d, 1, QV_MG_BUF_ALPHA, 0);
    qv_mg_wr(d, 1, QV_MG_BUF_RESERVE, 4 * FB);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    for (i = 0; i < 200; i++) {
        qv_frame(f, i & 1 ? mac2 : mac1, src_mac, ETYPE_TEST, FB);
        qv_inject(d, f, FB);
    }
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 100);
    wait_decided(d, 1, FB, 100);
    /* A static 4-frame partition, the rest refused. */
    g_assert_cmpuint(held(d, 1, FB), ==, 4);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_DROP_RING_FULL), ==, 96);
    g_assert_cmpuint(mgstat(d, 2, QV_STAT_DROP_BUFFER) +
                     mgstat(d, 2, QV_STAT_DROP_RING_FULL), ==, 0);
    qv_stop(d);
}

/* ---------------------------------------------------------- scheduler */

/*
 * Spend the DMA engine's initial credit (65792 bytes) on fn @sink so that
 * what follows is paced by the modelled bandwidth alone.
 */
static void drain_dma_credit(QvDev *d, int sink, QvRing *r, size_t len)
{
    unsigned n = 65792 / len;

    qv_fn_start(d, sink);
    qv_rx_setup(d, sink, r, 128, 2048, true);
    send_to(d, sink, len, n, 0, 8, 0);
    g_assert_cmpuint(mgstat(d, sink, QV_STAT_RX_PACKETS), ==, n);
}

/*
 * DMA at 1 MB/s; the low class's frames arrive first, yet none is written
 * while the high class has any. The engine wakes when 16 KiB of credit
 * are there: 16 frames at 16.128 ms (256 bytes were left), 16 more 16.384
 * ms later.
 */
static void test_priority(void)
{
    QvDev *d = qv_start("max-vfs=3,dma-rate=1000000", NULL);
    QvRing sink, lo, hi;
    unsigned ms;

    qv_enable_vfs(d, 3);
    drain_dma_credit(d, 3, &sink, 1024);
    qv_fn_start(d, 1);
    qv_fn_start(d, 2);
    qv_rx_setup(d, 1, &lo, 64, 2048, true);
    qv_rx_setup(d, 2, &hi, 64, 2048, true);
    qv_mg_wr(d, 1, QV_MG_PRIO, 5);
    qv_mg_wr(d, 2, QV_MG_PRIO, 0);

    send_to(d, 1, 1024, 10, 0, 10, 0);
    send_to(d, 2, 1024, 10, 0, 10, 0);
    g_assert_cmpuint(held(d, 1, FB) + held(d, 2, FB), ==, 20);

    for (ms = 1; ms <= 40; ms++) {
        uint64_t nlo, nhi;

        qv_step(d, 1000000);
        qv_sync(d);
        nlo = mgstat(d, 1, QV_STAT_RX_PACKETS);
        nhi = mgstat(d, 2, QV_STAT_RX_PACKETS);
        if (nlo) {
            g_assert_cmpuint(nhi, ==, 10);
        }
        if (ms == 16) {
            g_assert_cmpuint(nlo + nhi, ==, 0);
        }
        if (ms == 17) {
            int both[] = { 1, 2 };
            unsigned rx[] = { QV_STAT_RX_PACKETS };

            qv_wait_stat_sum(d, both, 2, rx, 1, 16);
            g_assert_cmpuint(mgstat(d, 2, QV_STAT_RX_PACKETS), ==, 10);
            g_assert_cmpuint(mgstat(d, 1, QV_STAT_RX_PACKETS), ==, 6);
        }
    }
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 10);
    g_assert_cmpuint(mgstat(d, 2, QV_STAT_RX_PACKETS), ==, 10);
    qv_stop(d);
}

/*
 * Two backlogged VFs in one class, weights 3 and 1, DMA at 1 MB/s as the
 * bottleneck: the delivered bytes are within 2% of 3:1, and the engine
 * never moves more than its rate allows.
 */
static void test_drr_weights(void)
{
    const size_t L = 1514;
    QvDev *d = qv_start("max-vfs=3,buffer-size=4194304,dma-rate=1000000",
                        NULL);
    QvRing sink, a, b;
    uint64_t ba, bb;
    double ratio;
    int i;

    qv_enable_vfs(d, 3);
    drain_dma_credit(d, 3, &sink, L);
    qv_fn_start(d, 1);
    qv_fn_start(d, 2);
    qv_rx_setup(d, 1, &a, 512, 2048, true);
    qv_rx_setup(d, 2, &b, 512, 2048, true);
    qv_mg_wr(d, 1, QV_MG_WEIGHT, 3);
    qv_mg_wr(d, 2, QV_MG_WEIGHT, 1);

    send_to(d, 1, L, 300, 0, 30, 0);
    send_to(d, 2, L, 150, 0, 30, 0);
    g_assert_cmpuint(mgstat(d, 1, QV_STAT_RX_PACKETS) +
                     mgstat(d, 2, QV_STAT_RX_PACKETS), ==, 0);

    /* In 1 ms steps, so the engine's timer and bottom half keep pace. */
    for (i = 0; i < 400; i++) {
        qv_step(d, 1000000);
        qv_sync(d);
    }
    settle(d, 1, 2);
    ba = mgstat(d, 1, QV_STAT_RX_BYTES);
    bb = mgstat(d, 2, QV_STAT_RX_BYTES);
    /* Both stayed backlogged. */
    g_assert_cmpuint(ba, <, 300 * L);
    g_assert_cmpuint(bb, <, 150 * L);
    /* 400 ms at 1 MB/s plus the 690 bytes left from the drain. */
    g_assert_cmpuint(ba + bb, <=, 400000 + 690);
    g_assert_cmpuint(ba + bb, >=, 400000 - 16384 - 2 * L);
    ratio = (double)ba / bb;
    g_test_message("DRR 3:1 delivered %" PRIu64 " : %" PRIu64 " bytes "
                   "(ratio %.4f)", ba, bb, ratio);
    g_assert_cmpfloat(ratio, >=, 3 * 0.98);
    g_assert_cmpfloat(ratio, <=, 3 * 1.02);
    qv_stop(d);
}

/* ---------------------------------------------------------- migration */

/*
 * Frames held in device memory and the token bucket's state survive live
 * migration: after it the held frames are delivered intact, and the
 * bucket neither forgot its debt nor refilled.
 */
static void test_migrate_held_frames(void)
{
    QvDev *src = qv_start("max-vfs=2", NULL);
    uint8_t got[FB];
    QvDev *d;
    QvRing r;
    unsigned i;

    qv_fn_start(src, 0);
    qv_rx_setup(src, 0, &r, 16, 2048, false);
    qv_set_rx_rate(src, 0, 8000000, 3000);    /* 1000 bytes per ms */
    send_to(src, 0, 1000, 5, 0, 5, 0);
    g_assert_cmpuint(held(src, 0, FB), ==, 3);
    g_assert_cmpuint(mgstat(src, 0, QV_STAT_DROP_RATE), ==, 2);

    d = qv_migrate(src, "max-vfs=2");
    qv_stop(src);
    g_assert_cmpuint(held(d, 0, FB), ==, 3);
    g_assert_cmpuint(mgstat(d, 0, QV_STAT_DROP_RATE), ==, 2);

    /* The bucket is still empty: half a millisecond buys half a frame. */
    qv_step(d, 500000);
    send_to(d, 0, 1000, 1, 5, 1, 5);
    g_assert_cmpuint(mgstat(d, 0, QV_STAT_DROP_RATE), ==, 3);
    qv_step(d, 500000);
    send_to(d, 0, 1000, 1, 6, 1, 6);
    g_assert_cmpuint(held(d, 0, FB), ==, 4);

    qv_rx_post(d, &r, 15);
    wait_stat(d, 0, QV_STAT_RX_PACKETS, 4);
    for (i = 0; i < 4; i++) {
        g_assert_cmpint(qv_rx_take(d, &r, got, sizeof(got), NULL, NULL,
                                   NULL), ==, 1000);
        g_assert_cmpuint(ldl_le_p(got + 14), ==, i < 3 ? i : 6);
        g_assert_cmpuint(got[999], ==, 999 & 0xff);
    }
    g_assert_cmpuint(held(d, 0, FB), ==, 0);
    qv_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/qos/tb-exact", test_tb_exact);
    qtest_add_func("/qosvnic/qos/tb-many-refills", test_tb_many_refills);
    qtest_add_func("/qosvnic/qos/tb-burst", test_tb_burst);
    qtest_add_func("/qosvnic/qos/partition-overflow",
                   test_partition_overflow);
    qtest_add_func("/qosvnic/qos/dynamic-threshold", test_dynamic_threshold);
    qtest_add_func("/qosvnic/qos/repartition", test_repartition);
    qtest_add_func("/qosvnic/qos/repartition-stuck-holder",
                   test_repartition_stuck_holder);
    qtest_add_func("/qosvnic/qos/backpressure-isolation",
                   test_backpressure_isolation);
    qtest_add_func("/qosvnic/qos/priority", test_priority);
    qtest_add_func("/qosvnic/qos/drr-weights", test_drr_weights);
    qtest_add_func("/qosvnic/qos/migrate-held-frames",
                   test_migrate_held_frames);
    return g_test_run();
}
