/*
 * qosvnic qtest: PCI identity and SR-IOV life cycle of the PF and its VFs.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "qosvnic-qtest-lib.h"

#define PCI_CLASS_NETWORK_ETHERNET 0x0200


static uint16_t pf_cfgw(QvDev *d, uint16_t off)
{
    return qv_cfg_readw(d, QV_T_PF_BUS, QV_T_PF_DEVFN, off);
}

static uint32_t pf_cfgl(QvDev *d, uint16_t off)
{
    return qv_cfg_readl(d, QV_T_PF_BUS, QV_T_PF_DEVFN, off);
}

static uint16_t find_ext_cap(QvDev *d, uint8_t devfn, uint16_t id)
{
    uint16_t off = PCI_CFG_SPACE_SIZE;

    while (off) {
        uint32_t hdr = qv_cfg_readl(d, QV_T_PF_BUS, devfn, off);

        if (PCI_EXT_CAP_ID(hdr) == id) {
            return off;
        }
        off = PCI_EXT_CAP_NEXT(hdr);
    }
    return 0;
}

static void test_pf_identity(void)
{
    QvDev *d = qv_start(NULL, NULL);

    g_assert_cmphex(pf_cfgw(d, PCI_VENDOR_ID), ==, QV_PCI_VENDOR_ID);
    g_assert_cmphex(pf_cfgw(d, PCI_DEVICE_ID), ==,
                    QV_PCI_DEVICE_ID_PF);
    g_assert_cmphex(pf_cfgl(d, PCI_CLASS_REVISION) >> 16, ==,
                    PCI_CLASS_NETWORK_ETHERNET);
    /* The register block answers through BAR0. */
    g_assert_cmphex(qv_rd(d, 0, QV_FN_ID), ==, QV_ID_MAGIC);
    g_assert_cmpuint(qv_rd(d, 0, QV_FN_VERSION), ==, QV_CONTRACT_VERSION);
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_MAX_VFS), ==,
                     QV_DEFAULT_VFS);
    qv_stop(d);
}

static void test_sriov_capability(void)
{
    QvDev *d = qv_start("max-vfs=64", NULL);
    uint16_t cap = find_ext_cap(d, QV_T_PF_DEVFN, PCI_EXT_CAP_ID_SRIOV);

    g_assert_cmphex(cap, ==, QV_EXTCAP_SRIOV_OFFSET);
    g_assert_cmphex(find_ext_cap(d, QV_T_PF_DEVFN, PCI_EXT_CAP_ID_ARI), ==,
                    QV_EXTCAP_ARI_OFFSET);
    g_assert_cmpuint(pf_cfgw(d, cap + PCI_SRIOV_TOTAL_VF), ==, 64);
    g_assert_cmpuint(pf_cfgw(d, cap + PCI_SRIOV_INITIAL_VF), ==, 64);
    g_assert_cmpuint(pf_cfgw(d, cap + PCI_SRIOV_VF_OFFSET), ==,
                     QV_SRIOV_VF_OFFSET);
    g_assert_cmpuint(pf_cfgw(d, cap + PCI_SRIOV_VF_STRIDE), ==,
                     QV_SRIOV_VF_STRIDE);
    g_assert_cmphex(pf_cfgw(d, cap + PCI_SRIOV_VF_DID), ==,
                    QV_PCI_DEVICE_ID_VF);
    g_assert_cmpuint(pf_cfgw(d, cap + PCI_SRIOV_NUM_VF), ==, 0);
    qv_stop(d);
}

/* Size a 64-bit BAR pair at config offset off of devfn. */
static uint64_t bar64_size(QvDev *d, uint8_t devfn, uint16_t off)
{
    uint32_t lo = qv_cfg_readl(d, QV_T_PF_BUS, devfn, off);
    uint32_t hi = qv_cfg_readl(d, QV_T_PF_BUS, devfn, off + 4);
    uint64_t mask;

    qv_cfg_writel(d, QV_T_PF_BUS, devfn, off, 0xffffffff);
    qv_cfg_writel(d, QV_T_PF_BUS, devfn, off + 4, 0xffffffff);
    mask = qv_cfg_readl(d, QV_T_PF_BUS, devfn, off) & ~0xfull;
    mask |= (uint64_t)qv_cfg_readl(d, QV_T_PF_BUS, devfn, off + 4) << 32;
    qv_cfg_writel(d, QV_T_PF_BUS, devfn, off, lo);
    qv_cfg_writel(d, QV_T_PF_BUS, devfn, off + 4, hi);
    return ~mask + 1;
}

static void test_vf_bar_sizes(void)
{
    QvDev *d = qv_start(NULL, NULL);
    uint16_t bar = QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_BAR;
    uint32_t type = pf_cfgl(d, bar);

    g_assert_cmphex(type & 0xf, ==, PCI_BASE_ADDRESS_MEM_TYPE_64 |
                    PCI_BASE_ADDRESS_MEM_PREFETCH);
    g_assert_cmphex(bar64_size(d, QV_T_PF_DEVFN, bar), ==, QV_VF_BAR0_SIZE);
    g_assert_cmphex(bar64_size(d, QV_T_PF_DEVFN, bar + 8), ==,
                    QV_VF_BAR2_SIZE);
    qv_stop(d);
}

static void check_vf_present(QvDev *d, int fn)
{
    uint8_t devfn = qv_fn_devfn(fn);
    uint16_t msix;

    /*
     * SR-IOV: a VF's own Vendor/Device ID fields read 0xffff; its identity
     * is the PF's vendor and the VF Device ID of the PF's capability.
     */
    g_assert_cmphex(qv_cfg_readl(d, QV_T_PF_BUS, devfn, PCI_VENDOR_ID), ==,
                    0xffffffff);
    g_assert_cmphex(qv_cfg_readl(d, QV_T_PF_BUS, devfn, PCI_CLASS_REVISION)
                    >> 16, ==, PCI_CLASS_NETWORK_ETHERNET);
    msix = qv_cfg_readw(d, QV_T_PF_BUS, devfn, QV_CAP_MSIX_OFFSET);
    g_assert_cmphex(msix & 0xff, ==, PCI_CAP_ID_MSIX);
    g_assert_cmpuint((qv_cfg_readw(d, QV_T_PF_BUS, devfn,
                                   QV_CAP_MSIX_OFFSET + PCI_MSIX_FLAGS) &
                      PCI_MSIX_FLAGS_QSIZE) + 1, ==, QV_NUM_VECTORS);
    /* FLR is advertised in the VF's PCIe capability. */
    g_assert_true(qv_cfg_readl(d, QV_T_PF_BUS, devfn,
                               QV_CAP_EXP_OFFSET + PCI_EXP_DEVCAP) &
                  PCI_EXP_DEVCAP_FLR);
    /* Its BAR0 is mapped from the PF's VF BAR0 and answers. */
    g_assert_cmphex(qv_rd(d, fn, QV_FN_ID), ==, QV_ID_MAGIC);
    g_assert_true(qv_rd(d, fn, QV_FN_STATUS) & QV_STATUS_ENABLED);
}

static void check_vf_absent(QvDev *d, int fn)
{
    uint8_t devfn = qv_fn_devfn(fn);

    g_assert_cmphex(qv_cfg_readl(d, QV_T_PF_BUS, devfn, PCI_CLASS_REVISION),
                    ==, 0xffffffff);
    /* Nothing decodes the BAR any more. */
    g_assert_cmphex(qv_rd(d, fn, QV_FN_ID), !=, QV_ID_MAGIC);
}

static void test_enable_disable(gconstpointer data)
{
    unsigned max = GPOINTER_TO_UINT(data);
    g_autofree char *opts = g_strdup_printf("max-vfs=%u", max);
    QvDev *d = qv_start(opts, NULL);
    unsigned n = max;
    unsigned i;

    for (i = 1; i <= max; i++) {
        check_vf_absent(d, i);
    }
    qv_enable_vfs(d, n);
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_NUM_VFS), ==,
                     n);
    for (i = 1; i <= n; i++) {
        check_vf_present(d, i);
    }
    /* Every VF owns a distinct MAC by default. */
    for (i = 1; i < n; i++) {
        uint8_t a[6], b[6];

        qv_fn_mac(d, i, a);
        qv_fn_mac(d, i + 1, b);
        g_assert_false(memcmp(a, b, 6) == 0);
    }
    qv_disable_vfs(d);
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_NUM_VFS), ==,
                     0);
    for (i = 1; i <= max; i++) {
        check_vf_absent(d, i);
    }
    /* Enabling fewer than TotalVFs exposes exactly that many. */
    qv_enable_vfs(d, 2);
    check_vf_present(d, 1);
    check_vf_present(d, 2);
    if (max > 2) {
        check_vf_absent(d, 3);
    }
    qv_stop(d);
}

static void test_max_vfs_refused(void)
{
    g_autofree char *err = qv_start_fails("max-vfs=129");
    g_autofree char *err0 = qv_start_fails("max-vfs=0");
    g_autofree char *errb = qv_start_fails("buffer-size=100");

    g_assert_nonnull(strstr(err, "max-vfs=129"));
    g_assert_nonnull(strstr(err, "128"));
    g_assert_nonnull(strstr(err0, "max-vfs=0"));
    g_assert_nonnull(strstr(errb, "buffer-size=100"));
}

static void test_vf_flr_resets_function(void)
{
    QvDev *d = qv_start("max-vfs=4", NULL);
    uint8_t devfn;

    qv_enable_vfs(d, 2);
    devfn = qv_fn_devfn(1);
    qv_wr(d, 1, QV_FN_MTU, 4000);
    qv_wr(d, 2, QV_FN_MTU, 3000);
    qv_mg_wr(d, 1, QV_MG_PRIO, 3);
    /* Initiate FLR on VF 0 (fn 1). */
    qv_cfg_writew(d, QV_T_PF_BUS, devfn, QV_CAP_EXP_OFFSET + PCI_EXP_DEVCTL,
                  PCI_EXP_DEVCTL_BCR_FLR);
    /* FLR clears the command register; turn decoding back on. */
    qv_cfg_writew(d, QV_T_PF_BUS, devfn, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_MTU), ==, QV_MTU_DEFAULT);
    /* Only that function: its neighbour keeps its state... */
    g_assert_cmpuint(qv_rd(d, 2, QV_FN_MTU), ==, 3000);
    /* ...and the PF-owned QoS configuration survives the VF's FLR. */
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_PRIO), ==, 3);
    qv_stop(d);
}

/* Frame of @len bytes to @dst, numbered @id (bytes 14, 15) per stream. */
static void flr_frame(uint8_t *buf, const uint8_t *dst, size_t len,
                      uint16_t id)
{
    static const uint8_t src[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

    qv_frame(buf, dst, src, 0x88b5, len);
    buf[14] = id >> 8;
    buf[15] = id;
}

#define FLR_N       60          /* frames per VF in the stream */
#define FLR_A_LEN   500         /* two cells each in VF A's partition */

static size_t flr_b_len(int i)
{
    return 60 + (i * 97) % 1455;        /* 60 .. 1514 */
}

/*
 * Inject stream frames [from, to) for both VFs, interleaved A, B (so
 * once VF B has frame i, the device has seen VF A's frame i); returns the
 * bytes injected for B.
 */
static uint64_t flr_inject(QvDev *d, const uint8_t *mac_a,
                           const uint8_t *mac_b, int from, int to)
{
    uint8_t buf[1514];
    uint64_t bytes = 0;
    int i;

    for (i = from; i < to; i++) {
        flr_frame(buf, mac_a, FLR_A_LEN, i);
        qv_inject(d, buf, FLR_A_LEN);
        flr_frame(buf, mac_b, flr_b_len(i), i);
        qv_inject(d, buf, flr_b_len(i));
        bytes += flr_b_len(i);
    }
    return bytes;
}

/*
 * FLR of VF A while VF B carries traffic. VF A holds frames in its
 * partition (RX enabled, no RX buffers posted) borrowed from the shared
 * pool (its reserve set to 0); VF B has a posted ring, shorter than the
 * stream, so that it too holds frames in its partition when VF A is
 * reset. A stream for both is injected and VF A is reset in the middle of
 * it:
 *   - VF B gets every frame of its stream, byte-exact, in order, no drop;
 *   - VF A's frames are freed: occupancy 0, the shared pool back to what
 *     it was, every guest register of VF A at its reset value;
 *   - the PF-owned config of VF A (MAC, QoS, buffer) is kept;
 *   - after the FLR, frames for VF A are refused (RX off) until the
 *     driver sets it up again, and then it works.
 */
static void test_vf_flr_under_traffic(void)
{
    static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0xa0, 0x0a };
    QvDev *d = qv_start("max-vfs=2", NULL);
    int fa = 1, fb = 2;
    uint8_t devfn_a = qv_fn_devfn(fa), mac_b[6], got[2048], want[1514];
    uint32_t shared0, cells_a = (FLR_A_LEN + QV_BUF_CELL_SIZE - 1) /
                                QV_BUF_CELL_SIZE;
    uint64_t bytes_b = 0, drop_a, held_b = 0;
    QvRing ra, rb;
    uint16_t sta;
    int i, len, half = FLR_N / 3, racy = 2 * FLR_N / 3;

    qv_enable_vfs(d, 2);
    qv_fn_mac(d, fb, mac_b);

    /* PF-owned configuration of VF A. */
    qv_mg_wr(d, fa, QV_MG_MAC_LO, ldl_le_p(mac_a));
    qv_mg_wr(d, fa, QV_MG_MAC_HI, lduw_le_p(mac_a + 4));
    qv_mg_wr(d, fa, QV_MG_BUF_RESERVE, 0);
    qv_mg_wr(d, fa, QV_MG_BUF_ALPHA, 2 * QV_ALPHA_ONE);
    qv_mg_wr(d, fa, QV_MG_PRIO, 3);
    qv_mg_wr(d, fa, QV_MG_WEIGHT, 7);
    qv_mg_wr(d, fa, QV_MG_TX_MAX_RATE, 900);
    qv_mg_wr(d, fa, QV_MG_TX_MIN_RATE, 100);
    qv_mg_wr(d, fa, QV_MG_FLAGS, QV_MGF_TRUST | QV_MGF_SPOOFCHK);
    shared0 = qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_BUF_SHARED_FREE);

    /* VF A: RX on, ring programmed, no buffer posted; guest state set. */
    qv_fn_start(d, fa);
    qv_rx_setup(d, fa, &ra, 16, 2048, false);
    qv_wr(d, fa, QV_FN_MTU, 4000);
    qv_wr(d, fa, QV_FN_OFFLOADS, QV_OFF_RX_CSUM | QV_OFF_TX_CSUM);
    qv_wr(d, fa, QV_FN_RX_FILTER, QV_RXF_ALLMULTI);
    qv_wr(d, fa, QV_FN_ITR(QV_VEC_RX), 50);
    qv_wr(d, fa, QV_FN_MC_LO(0), 0x5e0001);
    qv_wr(d, fa, QV_FN_MC_HI(0), 0x0101 | QV_MC_HI_VALID);
    qv_wr(d, fa, QV_FN_INT_MASK_SET, QV_INT_TX);
    /* VF B: a ring of 16, 15 buffers posted. */
    qv_fn_start(d, fb);
    qv_rx_setup(d, fb, &rb, 16, 2048, true);

    /* First part of the stream, both VFs, fully taken in. */
    bytes_b += flr_inject(d, mac_a, mac_b, 0, half);
    for (i = 15; i < half; i++) {
        held_b += QEMU_ALIGN_UP(flr_b_len(i), QV_BUF_CELL_SIZE);
    }
    /* 15 delivered, the ring is full, the other 5 wait in the device. */
    qv_wait_stat_sum(d, (int[]){ fb }, 1, (unsigned[]){ QV_STAT_RX_PACKETS },
                     1, 15);
    qv_wait_stat_sum(d, (int[]){ fb }, 1,
                     (unsigned[]){ QV_STAT_BUF_OCCUPANCY }, 1, held_b);
    g_assert_cmpuint(qv_stat(d, fb, QV_STAT_RX_PACKETS), ==, 15);
    qv_wait_stat_sum(d, (int[]){ fa }, 1,
                     (unsigned[]){ QV_STAT_BUF_OCCUPANCY }, 1,
                     (uint64_t)half * cells_a * QV_BUF_CELL_SIZE);
    g_assert_cmpuint(qv_stat(d, fa, QV_STAT_RX_PACKETS), ==, 0);
    /* VF A borrows all of it from the shared pool (reserve 0). */
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 +
                                 QV_DEV_BUF_SHARED_FREE), ==,
                     shared0 - half * cells_a * QV_BUF_CELL_SIZE);

    /*
     * Second part injected without waiting, then the FLR: its frames for
     * VF A land before the reset (and are freed by it) or after (and are
     * refused); VF B's must all arrive either way.
     */
    bytes_b += flr_inject(d, mac_a, mac_b, half, racy);
    qv_cfg_writew(d, QV_T_PF_BUS, devfn_a, QV_CAP_EXP_OFFSET + PCI_EXP_DEVCTL,
                  PCI_EXP_DEVCTL_BCR_FLR);
    /* FLR cleared the command register; decode only, no bus master yet. */
    g_assert_cmphex(qv_cfg_readw(d, QV_T_PF_BUS, devfn_a, PCI_COMMAND) &
                    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==, 0);
    qv_cfg_writew(d, QV_T_PF_BUS, devfn_a, PCI_COMMAND, PCI_COMMAND_MEMORY);
    bytes_b += flr_inject(d, mac_a, mac_b, racy, FLR_N);

    /*
     * VF B: everything, in order, byte-exact, nothing dropped; a buffer
     * given back for every frame taken.
     */
    for (i = 0; i < FLR_N; i++) {
        qv_wait_stat_sum(d, (int[]){ fb }, 1,
                         (unsigned[]){ QV_STAT_RX_PACKETS }, 1,
                         MIN(i + 15, FLR_N));
        flr_frame(want, mac_b, flr_b_len(i), i);
        len = qv_rx_take(d, &rb, got, sizeof(got), &sta, NULL, NULL);
        if (len != flr_b_len(i)) {
            g_test_message("frame %d: got %d bytes, id %u", i, len,
                           len >= 16 ? lduw_be_p(got + 14) : 0xffff);
        }
        g_assert_cmpint(len, ==, flr_b_len(i));
        g_assert_cmpmem(got, flr_b_len(i), want, flr_b_len(i));
        g_assert_cmphex(sta, ==, QV_RXD_STA_DD | QV_RXD_STA_EOP);
        qv_rx_post(d, &rb, 1);
    }
    /*
     * Every frame for VF A after the reset was refused, none stored; the
     * ones of the unsynchronised part went either way.
     */
    drop_a = qv_mg_stat(d, fa, QV_STAT_DROP_LINK_DOWN);
    g_assert_cmpuint(drop_a, >=, FLR_N - racy);
    g_assert_cmpuint(drop_a, <=, FLR_N - half);
    g_assert_cmpint(qv_rx_take(d, &rb, got, sizeof(got), NULL, NULL, NULL),
                    ==, -1);
    g_assert_cmpuint(qv_stat(d, fb, QV_STAT_RX_PACKETS), ==, FLR_N);
    g_assert_cmpuint(qv_stat(d, fb, QV_STAT_RX_BYTES), ==, bytes_b);
    for (i = QV_STAT_DROP_RATE; i <= QV_STAT_DROP_LINK_DOWN; i++) {
        g_assert_cmpuint(qv_stat(d, fb, i), ==, 0);
    }
    g_assert_cmpuint(qv_stat(d, fb, QV_STAT_BUF_OCCUPANCY), ==, 0);
    g_assert_cmpuint(qv_rd(d, fb, QV_FN_MTU), ==, QV_MTU_DEFAULT);
    g_assert_cmphex(qv_rd(d, fb, QV_FN_CTRL), ==,
                    QV_CTRL_RX_EN | QV_CTRL_TX_EN);

    /* VF A: nothing held, the shared pool whole again. */
    g_assert_cmpuint(qv_stat(d, fa, QV_STAT_BUF_OCCUPANCY), ==, 0);
    g_assert_cmpuint(qv_mg_stat(d, fa, QV_STAT_BUF_OCCUPANCY), ==, 0);
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 +
                                 QV_DEV_BUF_SHARED_FREE), ==, shared0);

    /* VF A's guest registers at reset values. */
    g_assert_cmphex(qv_rd(d, fa, QV_FN_ID), ==, QV_ID_MAGIC);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_CTRL), ==, 0);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_STATUS) &
                    (QV_STATUS_RX_RING_ERR | QV_STATUS_TX_RING_ERR), ==, 0);
    g_assert_true(qv_rd(d, fa, QV_FN_STATUS) & QV_STATUS_ENABLED);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_MTU), ==, QV_MTU_DEFAULT);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_OFFLOADS), ==, 0);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_RX_FILTER), ==, QV_RXF_BCAST);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_INT_CAUSE), ==, 0);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_INT_MASK), ==, QV_INT_ALL);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_MISC_CAUSE), ==, 0);
    for (i = 0; i < QV_NUM_VECTORS; i++) {
        g_assert_cmpuint(qv_rd(d, fa, QV_FN_ITR(i)), ==, 0);
    }
    for (i = 0; i < QV_MC_ENTRIES; i++) {
        g_assert_cmphex(qv_rd(d, fa, QV_FN_MC_LO(i)), ==, 0);
        g_assert_cmphex(qv_rd(d, fa, QV_FN_MC_HI(i)), ==, 0);
    }
    g_assert_cmphex(qv_rd(d, fa, QV_FN_RX_BASE_LO), ==, 0);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_RX_BASE_HI), ==, 0);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_RX_SIZE), ==, 0);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_RX_HEAD), ==, 0);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_RX_TAIL), ==, 0);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_RX_BUF_SIZE), ==, 2048);
    g_assert_cmphex(qv_rd(d, fa, QV_FN_TX_BASE_LO), ==, 0);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_TX_SIZE), ==, 0);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_TX_HEAD), ==, 0);
    g_assert_cmpuint(qv_rd(d, fa, QV_FN_TX_TAIL), ==, 0);
    for (i = 0; i < QV_NUM_STATS; i++) {
        if (i != QV_STAT_DROP_LINK_DOWN) {
            g_assert_cmpuint(qv_stat(d, fa, i), ==, 0);
        }
    }
    /* MSI-X went back to disabled with the rest of config space. */
    g_assert_false(qv_cfg_readw(d, QV_T_PF_BUS, devfn_a,
                                QV_CAP_MSIX_OFFSET + PCI_MSIX_FLAGS) &
                   PCI_MSIX_FLAGS_ENABLE);

    /* PF-owned configuration kept. */
    qv_fn_mac(d, fa, got);
    g_assert_cmpmem(got, 6, mac_a, 6);
    g_assert_cmphex(qv_mg_rd(d, fa, QV_MG_MAC_LO), ==, ldl_le_p(mac_a));
    g_assert_cmphex(qv_mg_rd(d, fa, QV_MG_MAC_HI), ==, lduw_le_p(mac_a + 4));
    g_assert_cmpuint(qv_mg_rd(d, fa, QV_MG_BUF_RESERVE), ==, 0);
    g_assert_cmpuint(qv_mg_rd(d, fa, QV_MG_BUF_ALPHA), ==, 2 * QV_ALPHA_ONE);
    g_assert_cmpuint(qv_mg_rd(d, fa, QV_MG_PRIO), ==, 3);
    g_assert_cmpuint(qv_mg_rd(d, fa, QV_MG_WEIGHT), ==, 7);
    g_assert_cmpuint(qv_mg_rd(d, fa, QV_MG_TX_MAX_RATE), ==, 900);
    g_assert_cmpuint(qv_mg_rd(d, fa, QV_MG_TX_MIN_RATE), ==, 100);
    g_assert_cmphex(qv_mg_rd(d, fa, QV_MG_FLAGS), ==,
                    QV_MGF_TRUST | QV_MGF_SPOOFCHK);

    /* Re-enabled by its driver, VF A works again with its kept MAC. */
    qv_cfg_writew(d, QV_T_PF_BUS, devfn_a, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qv_msix_setup(d, fa);
    qv_fn_start(d, fa);
    qv_rx_setup(d, fa, &ra, 16, 2048, true);
    flr_frame(want, mac_a, 300, 0xabcd);
    qv_inject(d, want, 300);
    qv_wait_stat_sum(d, (int[]){ fa }, 1, (unsigned[]){ QV_STAT_RX_PACKETS },
                     1, 1);
    g_assert_cmpint(qv_rx_take(d, &ra, got, sizeof(got), NULL, NULL, NULL),
                    ==, 300);
    g_assert_cmpmem(got, 300, want, 300);
    g_assert_true(qv_irq_fired(d, fa, QV_VEC_RX));
    g_assert_cmpuint(qv_stat(d, fa, QV_STAT_BUF_OCCUPANCY), ==, 0);
    g_assert_cmpuint(qtest_readl(d->qts, QV_T_PF_BAR0 +
                                 QV_DEV_BUF_SHARED_FREE), ==, shared0);
    /* And VF B was never disturbed. */
    g_assert_cmpuint(qv_stat(d, fb, QV_STAT_RX_PACKETS), ==, FLR_N);
    g_assert_false(qv_irq_fired(d, fb, QV_VEC_MISC));
    qv_stop(d);
}

static void test_bad_register_values(void)
{
    QvDev *d = qv_start(NULL, NULL);

    qv_wr(d, 0, QV_FN_MTU, 100000);
    g_assert_cmpuint(qv_rd(d, 0, QV_FN_MTU), ==, QV_MTU_DEFAULT);
    qv_mg_wr(d, 1, QV_MG_PRIO, 8);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_PRIO), ==, 0);
    qv_mg_wr(d, 1, QV_MG_WEIGHT, 0);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_WEIGHT), ==, 1);
    /* Management window past the last function reads as zero. */
    g_assert_cmpuint(qv_mg_rd(d, QV_DEFAULT_VFS + 1, QV_MG_PRIO), ==, 0);
    /* Unknown registers are ignored, the device keeps working. */
    qv_wr(d, 0, 0xffc, 0xdeadbeef);
    g_assert_cmphex(qv_rd(d, 0, QV_FN_ID), ==, QV_ID_MAGIC);
    qv_stop(d);
}

/*
 * AER: the OS can enable error reporting in Device Control (else an
 * uncorrectable error never reaches the root port, and the driver's PCI
 * error handlers never run); an injected error is then reported.
 */
static void test_aer_reporting(void)
{
    QvDev *d = qv_start("id=qvnic", NULL);
    const uint16_t ctl = QV_CAP_EXP_OFFSET + PCI_EXP_DEVCTL;
    const uint16_t sta = QV_CAP_EXP_OFFSET + PCI_EXP_DEVSTA;
    const uint16_t flags = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
                           PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE;
    g_autofree char *out = NULL;

    qv_cfg_writew(d, QV_T_PF_BUS, QV_T_PF_DEVFN, ctl,
                  qv_cfg_readw(d, QV_T_PF_BUS, QV_T_PF_DEVFN, ctl) | flags);
    g_assert_cmphex(qv_cfg_readw(d, QV_T_PF_BUS, QV_T_PF_DEVFN, ctl) & flags,
                    ==, flags);
    qv_enable_vfs(d, 1);
    qv_cfg_writew(d, QV_T_PF_BUS, qv_fn_devfn(1), ctl, flags);
    g_assert_cmphex(qv_cfg_readw(d, QV_T_PF_BUS, qv_fn_devfn(1), ctl) & flags,
                    ==, flags);

    out = qtest_hmp(d->qts, "pcie_aer_inject_error qvnic POISON_TLP");
    g_assert_nonnull(strstr(out, "OK"));
    g_assert_true(qv_cfg_readl(d, QV_T_PF_BUS, QV_T_PF_DEVFN,
                               QV_EXTCAP_AER_OFFSET + PCI_ERR_UNCOR_STATUS) &
                  PCI_ERR_UNC_POISON_TLP);
    g_assert_true(qv_cfg_readw(d, QV_T_PF_BUS, QV_T_PF_DEVFN, sta) &
                  PCI_EXP_DEVSTA_NFED);
    qv_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/qosvnic/sriov/pf-identity", test_pf_identity);
    qtest_add_func("/qosvnic/sriov/capability", test_sriov_capability);
    qtest_add_func("/qosvnic/sriov/vf-bar-sizes", test_vf_bar_sizes);
    qtest_add_data_func("/qosvnic/sriov/enable-disable-8",
                        GUINT_TO_POINTER(8), test_enable_disable);
    qtest_add_data_func("/qosvnic/sriov/enable-disable-64",
                        GUINT_TO_POINTER(64), test_enable_disable);
    qtest_add_data_func("/qosvnic/sriov/enable-disable-128",
                        GUINT_TO_POINTER(128), test_enable_disable);
    qtest_add_func("/qosvnic/sriov/max-vfs-refused", test_max_vfs_refused);
    qtest_add_func("/qosvnic/sriov/vf-flr", test_vf_flr_resets_function);
    qtest_add_func("/qosvnic/sriov/vf-flr-under-traffic",
                   test_vf_flr_under_traffic);
    qtest_add_func("/qosvnic/sriov/bad-register-values",
                   test_bad_register_values);
    qtest_add_func("/qosvnic/sriov/aer-reporting", test_aer_reporting);
    return g_test_run();
}
