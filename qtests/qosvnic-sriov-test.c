/*
 * qosvnic qtest: PCI identity and SR-IOV life cycle of the PF and its VFs.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
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
    qtest_add_func("/qosvnic/sriov/bad-register-values",
                   test_bad_register_values);
    return g_test_run();
}
