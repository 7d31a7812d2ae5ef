/*
 * qosvnic frame-injection benchmark (not a test: it asserts only that
 * every frame was delivered, never a timing).
 *
 * Each case starts one QEMU, injects frames through a socket netdev and
 * plays a minimal RX driver that keeps every ring posted, so that every
 * frame is really DMA'd into guest memory:
 *
 *   igb        QEMU's igb PF, one RX queue set up as libqos's
 *              igb_pci_start_hw() does (advanced one-buffer descriptors,
 *              MSI-X mode), plus EIAC auto-clear as Linux's igb sets it
 *   vf1        qosvnic (max-vfs=64), 1 VF enabled and receiving
 *   vf64       qosvnic, 64 VFs, destination MACs round-robin
 *   vf1-rate   vf1 with an ingress rate limit, so the token bucket runs
 *   vf64-rate  vf64 with a rate limit on every VF
 *
 * Both devices: IPv4/UDP frames with valid checksums, RX checksum offload
 * on (igb's reset default; QV_OFF_RX_CSUM on qosvnic, as its driver
 * sets), MSI-X to RAM words, no interrupt moderation, rings much larger
 * than a batch, so neither device ever queues or drops a frame.
 *
 * The harness is identical for all cases: a batch of frames is written
 * to the socket in one go, virtual time is stepped (which refills the
 * token buckets of the rate cases; the rate leaves 25% headroom, so
 * nothing is dropped), the driver waits until every ring's head reached
 * its target, rewrites the used descriptors and moves the tails. One
 * batch of warm-up comes first. At the end the device's counters must
 * show every frame delivered and none dropped.
 *
 * Cases are skipped unless QOSVNIC_BENCH=1. Knobs: QOSVNIC_BENCH_FRAMES
 * (default 20000), QOSVNIC_BENCH_LEN (frame bytes, default 128),
 * QOSVNIC_BENCH_BATCH (frames per batch, default 512). One line per case
 * on stderr, "QVBENCH key=value ...", for scripts/bench-inject.sh.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "standard-headers/linux/pci_regs.h"
#include "hw/net/igb_regs.h"
#include "hw/net/mii.h"
#include "qosvnic-qtest-lib.h"

#define BENCH_MAX_RINGS     64
#define BENCH_BUF_SIZE      2048
#define BENCH_RATE_BPS      (10ULL * 1000 * 1000 * 1000)
#define BENCH_DEADLINE_S    900         /* wall clock, valgrind included */
#define IGB_BAR0            QV_T_PF_BAR0
#define IGB_BAR1            (QV_T_PF_BAR0 + 0x20000)
#define IGB_BAR3            QV_T_PF_BAR2
#define IGB_MSIX_VECTORS    10

static const uint8_t src_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t igb_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

typedef struct BenchCase {
    const char *name;
    bool igb;
    unsigned nvfs;
    bool rate;
} BenchCase;

/* One RX ring as the benchmark's driver sees it. */
typedef struct BenchRing {
    uint64_t base;          /* descriptors */
    uint64_t bufs;          /* ndesc buffers of BENCH_BUF_SIZE */
    uint32_t ndesc;
    uint32_t head;          /* where the device's head will be */
    uint32_t tail;
    uint32_t pending;       /* frames of this batch not yet reclaimed */
    uint64_t head_reg;      /* MMIO address of the head register */
    uint64_t tail_reg;
    uint8_t mac[6];
} BenchRing;

typedef struct Bench {
    const BenchCase *bc;
    QvDev *d;
    BenchRing ring[BENCH_MAX_RINGS];
    unsigned nrings;
    unsigned len, batch;
    uint64_t step_ns;       /* virtual time per batch */
    unsigned rr;            /* next destination ring */
    uint8_t *wire;          /* one batch, length-prefixed */
    uint8_t *desc_img;      /* fresh descriptors for a refill */
} Bench;

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *v = g_getenv(name);

    return v && *v ? (unsigned)g_ascii_strtoull(v, NULL, 0) : dflt;
}

/* IPv4/UDP frame of @len bytes (>= 42) with valid checksums. */
static void build_frame(uint8_t *f, const uint8_t *dst, unsigned len,
                        uint32_t seq)
{
    uint8_t *ip = f + 14, *udp = ip + 20;
    unsigned ulen = len - 34, i;
    uint32_t sum;

    memcpy(f, dst, 6);
    memcpy(f + 6, src_mac, 6);
    stw_be_p(f + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    stw_be_p(ip + 2, len - 14);
    ip[8] = 64;
    ip[9] = 17;
    stl_be_p(ip + 12, 0x0a000001);
    stl_be_p(ip + 16, 0x0a000002);
    stw_be_p(ip + 10, ~qv_csum_fold(qv_csum_add(0, ip, 20)) & 0xffff);
    stw_be_p(udp, 4000);
    stw_be_p(udp + 2, 5000);
    stw_be_p(udp + 4, ulen);
    stw_be_p(udp + 6, 0);
    stl_be_p(udp + 8, seq);
    for (i = 12; i < ulen; i++) {
        udp[i] = i & 0xff;
    }
    sum = qv_csum_add(0, ip + 12, 8) + 17 + ulen;
    sum = ~qv_csum_fold(qv_csum_add(sum, udp, ulen)) & 0xffff;
    stw_be_p(udp + 6, sum ? sum : 0xffff);
}

/* ------------------------------------------------------------- rings */

static void ring_alloc(Bench *b, BenchRing *r, uint32_t ndesc)
{
    uint32_t i;

    r->ndesc = ndesc;
    r->base = qv_alloc(b->d, ndesc * 16, 4096);
    r->bufs = qv_alloc(b->d, (uint64_t)ndesc * BENCH_BUF_SIZE, 4096);
    for (i = 0; i < ndesc; i++) {
        qtest_writeq(b->d->qts, r->base + i * 16,
                     r->bufs + (uint64_t)i * BENCH_BUF_SIZE);
    }
    r->head = 0;
    r->tail = ndesc - 1;
}

/* Give descriptors [from, from + n) back with their buffer addresses. */
static void ring_rewrite(Bench *b, BenchRing *r, uint32_t from, uint32_t n)
{
    while (n) {
        uint32_t run = MIN(n, r->ndesc - from), i;

        for (i = 0; i < run; i++) {
            stq_le_p(b->desc_img + i * 16,
                     r->bufs + (uint64_t)(from + i) * BENCH_BUF_SIZE);
            stq_le_p(b->desc_img + i * 16 + 8, 0);
        }
        qtest_memwrite(b->d->qts, r->base + from * 16, b->desc_img, run * 16);
        from = (from + run) % r->ndesc;
        n -= run;
    }
}

/* ------------------------------------------------------------ devices */

static void igb_wr(QvDev *d, uint32_t reg, uint32_t val)
{
    qtest_writel(d->qts, IGB_BAR0 + reg, val);
}

static uint32_t igb_rd(QvDev *d, uint32_t reg)
{
    return qtest_readl(d->qts, IGB_BAR0 + reg);
}

static uint8_t find_cap(QvDev *d, uint8_t id)
{
    uint8_t pos = qv_cfg_readw(d, QV_T_PF_BUS, 0, PCI_CAPABILITY_LIST) & 0xff;

    while (pos) {
        uint16_t w = qv_cfg_readw(d, QV_T_PF_BUS, 0, pos);

        if ((w & 0xff) == id) {
            return pos;
        }
        pos = w >> 8;
    }
    g_assert_not_reached();
}

/* Same machine as qv_start(), with igb in qosvnic's place. */
static QvDev *igb_start(void)
{
    QvDev *d = g_new0(QvDev, 1);
    g_autofree char *args = NULL;
    uint8_t msix;
    uint16_t ctrl;
    int sv[2], v;

    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    args = g_strdup_printf("-M q35 -nodefaults -m 512M "
                           "-device pcie-root-port,id=rp0,bus=pcie.0,"
                           "chassis=1,addr=1.0 "
                           "-device igb,bus=rp0,addr=0.0,netdev=hs0,"
                           "mac=52:54:00:12:34:56 "
                           "-netdev socket,fd=%d,id=hs0", sv[1]);
    d->qts = qtest_init(args);
    close(sv[1]);
    d->sock = sv[0];
    d->mem_next = QV_T_MEM_START;

    /* ECAM and the root port window, as qv_start() programs them. */
    qtest_outl(d->qts, 0xcf8, 0x80000060);
    qtest_outl(d->qts, 0xcfc, 0xb0000000 | 1);
    qtest_outl(d->qts, 0xcf8, 0x80000064);
    qtest_outl(d->qts, 0xcfc, 0);
    qv_cfg_writel(d, 0, QV_T_RP_DEVFN, PCI_PRIMARY_BUS, 0x00010100);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_MEMORY_BASE, 0xe000);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_MEMORY_LIMIT, 0xe0f0);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    qv_cfg_writel(d, QV_T_PF_BUS, 0, PCI_BASE_ADDRESS_0, IGB_BAR0);
    qv_cfg_writel(d, QV_T_PF_BUS, 0, PCI_BASE_ADDRESS_1, IGB_BAR1);
    qv_cfg_writel(d, QV_T_PF_BUS, 0, PCI_BASE_ADDRESS_3, IGB_BAR3);
    qv_cfg_writel(d, QV_T_PF_BUS, 0, PCI_BASE_ADDRESS_4, 0);
    qv_cfg_writew(d, QV_T_PF_BUS, 0, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    /* MSI-X: table at BAR3 offset 0; vector v writes a RAM word. */
    msix = find_cap(d, PCI_CAP_ID_MSIX);
    for (v = 0; v < IGB_MSIX_VECTORS; v++) {
        uint64_t e = IGB_BAR3 + v * PCI_MSIX_ENTRY_SIZE;

        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_LOWER_ADDR,
                     QV_T_IRQ_PAGE + v * 4);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_DATA, 0x1000 + v);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    }
    ctrl = qv_cfg_readw(d, QV_T_PF_BUS, 0, msix + PCI_MSIX_FLAGS);
    qv_cfg_writew(d, QV_T_PF_BUS, 0, msix + PCI_MSIX_FLAGS,
                  (ctrl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
    return d;
}

/* tests/qtest/libqos/igb.c igb_pci_start_hw(), RX side. */
static void igb_setup(Bench *b)
{
    QvDev *d = b->d;
    BenchRing *r = &b->ring[0];

    igb_wr(d, E1000_CTRL, igb_rd(d, E1000_CTRL) | E1000_CTRL_RST |
           E1000_CTRL_SLU);
    igb_wr(d, E1000_MDIC, MII_BMCR_AUTOEN | MII_BMCR_ANRESTART |
           (MII_BMCR << E1000_MDIC_REG_SHIFT) | (1 << E1000_MDIC_PHY_SHIFT) |
           E1000_MDIC_OP_WRITE);
    qtest_clock_step(d->qts, 900000000);
    /* RX queue 0 -> MSI-X vector 0 */
    igb_wr(d, E1000_IVAR0, E1000_IVAR_VALID << (igb_ivar_entry_rx(0) * 8));
    g_assert_cmphex(igb_rd(d, E1000_STATUS) & E1000_STATUS_LU, ==,
                    E1000_STATUS_LU);

    igb_wr(d, E1000_RCTL, 0);
    ring_alloc(b, r, MAX(1024, pow2ceil(b->batch + 1)));
    igb_wr(d, E1000_RDBAL(0), (uint32_t)r->base);
    igb_wr(d, E1000_RDBAH(0), r->base >> 32);
    igb_wr(d, E1000_RDLEN(0), r->ndesc * 16);
    igb_wr(d, E1000_RDT(0), 0);
    igb_wr(d, E1000_RDH(0), 0);
    igb_wr(d, E1000_RA, ldl_le_p(igb_mac));
    igb_wr(d, E1000_RA + 4, E1000_RAH_AV | E1000_RAH_POOL_1 |
           lduw_le_p(igb_mac + 4));
    igb_wr(d, E1000_SRRCTL(0), E1000_SRRCTL_DESCTYPE_ADV_ONEBUF);
    igb_wr(d, E1000_RFCTL, E1000_RFCTL_EXTEN);
    igb_wr(d, E1000_RCTL, E1000_RCTL_EN);
    igb_wr(d, E1000_GPIE, E1000_GPIE_MSIX_MODE);
    igb_wr(d, E1000_IMS, 0xffffffff);
    igb_wr(d, E1000_EIMS, 0xffffffff);
    /* Linux's igb auto-clears its MSI-X causes; without it, one message. */
    igb_wr(d, E1000_EIAC, E1000_EICR_RX_QUEUE0);

    r->head_reg = IGB_BAR0 + E1000_RDH(0);
    r->tail_reg = IGB_BAR0 + E1000_RDT(0);
    memcpy(r->mac, igb_mac, 6);
    qtest_writel(d->qts, r->tail_reg, r->tail);
    b->nrings = 1;
}

static void qv_setup(Bench *b)
{
    QvDev *d = b->d;
    uint32_t per_ring = DIV_ROUND_UP(b->batch, b->bc->nvfs);
    uint32_t ndesc = MAX(64, pow2ceil(2 * per_ring + 1));
    unsigned i;

    qv_enable_vfs(d, b->bc->nvfs);
    for (i = 0; i < b->bc->nvfs; i++) {
        BenchRing *r = &b->ring[i];
        int fn = i + 1;

        qv_fn_start(d, fn);
        qv_wr(d, fn, QV_FN_OFFLOADS, QV_OFF_RX_CSUM);
        if (b->bc->rate) {
            qv_set_rx_rate(d, fn, BENCH_RATE_BPS,
                           MAX(64 * 1024, 2 * per_ring * b->len));
        }
        ring_alloc(b, r, ndesc);
        qv_wr(d, fn, QV_FN_RX_BASE_LO, (uint32_t)r->base);
        qv_wr(d, fn, QV_FN_RX_BASE_HI, r->base >> 32);
        qv_wr(d, fn, QV_FN_RX_SIZE, ndesc * QV_RXD_SIZE);
        qv_wr(d, fn, QV_FN_RX_BUF_SIZE, BENCH_BUF_SIZE);
        r->head_reg = qv_fn_bar0(d, fn) + QV_FN_RX_HEAD;
        r->tail_reg = qv_fn_bar0(d, fn) + QV_FN_RX_TAIL;
        qv_fn_mac(d, fn, r->mac);
        qtest_writel(d->qts, r->tail_reg, r->tail);
    }
    b->nrings = b->bc->nvfs;
    if (b->bc->rate) {
        /* Tokens for one batch of the busiest VF, plus 25 %. */
        b->step_ns = (uint64_t)per_ring * b->len * 8 * 1000000000ULL /
                     BENCH_RATE_BPS * 5 / 4 + 1000;
    }
}

/* ------------------------------------------------------------- driver */

static void run_batch(Bench *b, unsigned n, uint32_t seq)
{
    size_t rec = 4 + b->len, off = 0;
    gint64 deadline;
    unsigned i;

    for (i = 0; i < n; i++) {
        BenchRing *r = &b->ring[b->rr];

        stl_be_p(b->wire + off, b->len);
        build_frame(b->wire + off + 4, r->mac, b->len, seq + i);
        off += rec;
        r->pending++;
        b->rr = (b->rr + 1) % b->nrings;
    }
    /* Every case steps time, so the harness is the same for all. */
    qtest_clock_step(b->d->qts, b->step_ns ? b->step_ns : 1000);
    g_assert_cmpint(send(b->d->sock, b->wire, off, 0), ==, off);

    deadline = g_get_monotonic_time() + BENCH_DEADLINE_S * G_USEC_PER_SEC;
    for (i = 0; i < b->nrings; i++) {
        BenchRing *r = &b->ring[i];
        uint32_t want;

        if (!r->pending) {
            continue;
        }
        want = (r->head + r->pending) % r->ndesc;
        while (qtest_readl(b->d->qts, r->head_reg) != want) {
            g_assert_cmpint(g_get_monotonic_time(), <, deadline);
            g_usleep(20);
        }
        ring_rewrite(b, r, r->head, r->pending);
        r->head = want;
        r->tail = (r->tail + r->pending) % r->ndesc;
        qtest_writel(b->d->qts, r->tail_reg, r->tail);
        r->pending = 0;
    }
}

static void check_counts(Bench *b, uint64_t want, uint64_t *delivered,
                         uint64_t *drops)
{
    static const unsigned drop_idx[] = {
        QV_STAT_DROP_RATE, QV_STAT_DROP_BUFFER, QV_STAT_DROP_RING_FULL,
        QV_STAT_DROP_LENGTH, QV_STAT_DROP_VLAN, QV_STAT_DROP_LINK_DOWN,
    };
    unsigned i, j;

    *delivered = *drops = 0;
    if (b->bc->igb) {
        *delivered = igb_rd(b->d, E1000_GPRC);
        *drops = igb_rd(b->d, E1000_MPC) + igb_rd(b->d, E1000_RNBC);
    } else {
        for (i = 1; i <= b->nrings; i++) {
            *delivered += qv_mg_stat(b->d, i, QV_STAT_RX_PACKETS);
            for (j = 0; j < ARRAY_SIZE(drop_idx); j++) {
                *drops += qv_mg_stat(b->d, i, drop_idx[j]);
            }
        }
        *drops += qv_mg_stat(b->d, 0, QV_STAT_DROP_NO_OWNER);
    }
    g_assert_cmpuint(*delivered, ==, want);
    g_assert_cmpuint(*drops, ==, 0);
}

static void bench_run(const void *opaque)
{
    const BenchCase *bc = opaque;
    Bench b = { .bc = bc };
    unsigned frames = env_uint("QOSVNIC_BENCH_FRAMES", 20000);
    unsigned sent = 0;
    uint64_t delivered, drops;
    gint64 t0, t1;
    double s;

    if (!g_getenv("QOSVNIC_BENCH")) {
        g_test_skip("benchmark: run scripts/bench-inject.sh "
                    "(or set QOSVNIC_BENCH=1)");
        return;
    }
    b.len = MAX(env_uint("QOSVNIC_BENCH_LEN", 128), 64);
    b.len = MIN(b.len, 1514);
    b.batch = env_uint("QOSVNIC_BENCH_BATCH", 512);
    b.batch = MAX(b.batch, 1);
    b.wire = g_malloc((size_t)b.batch * (4 + b.len));
    b.desc_img = g_malloc(4096 * 16);

    if (bc->igb) {
        b.d = igb_start();
        igb_setup(&b);
    } else {
        b.d = qv_start("max-vfs=64", NULL);
        qv_setup(&b);
    }
    g_assert_cmpuint(b.nrings, <=, BENCH_MAX_RINGS);

    run_batch(&b, b.batch, 0);          /* warm-up */
    t0 = g_get_monotonic_time();
    while (sent < frames) {
        unsigned n = MIN(b.batch, frames - sent);

        run_batch(&b, n, b.batch + sent);
        sent += n;
    }
    t1 = g_get_monotonic_time();
    check_counts(&b, (uint64_t)frames + b.batch, &delivered, &drops);
    s = (t1 - t0) / 1e6;
    fprintf(stderr, "QVBENCH case=%s vfs=%u frames=%u len=%u batch=%u "
            "delivered=%" PRIu64 " drops=%" PRIu64 " seconds=%.3f "
            "fps=%.0f\n", bc->name, bc->igb ? 0 : bc->nvfs, frames, b.len,
            b.batch, delivered, drops, s, s > 0 ? frames / s : 0);

    if (bc->igb) {
        qtest_quit(b.d->qts);
        close(b.d->sock);
        g_free(b.d);
    } else {
        qv_stop(b.d);
    }
    g_free(b.wire);
    g_free(b.desc_img);
}

static const BenchCase cases[] = {
    { .name = "igb", .igb = true, .nvfs = 1 },
    { .name = "vf1", .nvfs = 1 },
    { .name = "vf64", .nvfs = 64 },
    { .name = "vf1-rate", .nvfs = 1, .rate = true },
    { .name = "vf64-rate", .nvfs = 64, .rate = true },
};

int main(int argc, char **argv)
{
    unsigned i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *path = g_strdup_printf("qosvnic/bench/%s",
                                                cases[i].name);

        qtest_add_data_func(path, &cases[i], bench_run);
    }
    return g_test_run();
}
