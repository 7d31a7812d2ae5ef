/*
 * qosvnic qtest: regression tests of the smaller device defects of issue
 * 9 (item 8); each fails on the device before its fix.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "qosvnic-qtest-lib.h"

static const uint8_t ext_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

/* ----------------------------------------------------------------- INTx */

static bool pf_intx(QvDev *d)
{
    return qv_cfg_readw(d, QV_T_PF_BUS, QV_T_PF_DEVFN, PCI_STATUS) &
           PCI_STATUS_INTERRUPT;
}

/*
 * The PF without MSI-X uses INTx, a level: it follows its unmasked causes
 * when they are cleared and masked, not only when they are raised.
 * Before, the line stayed asserted after the driver cleared the cause.
 */
static void test_intx_level(void)
{
    QvDev *d = qv_start(NULL, NULL);
    uint8_t mac[6], frame[100];
    uint16_t flags;
    QvRing rx;
    int i;

    flags = qv_cfg_readw(d, QV_T_PF_BUS, QV_T_PF_DEVFN,
                         QV_CAP_MSIX_OFFSET + PCI_MSIX_FLAGS);
    qv_cfg_writew(d, QV_T_PF_BUS, QV_T_PF_DEVFN,
                  QV_CAP_MSIX_OFFSET + PCI_MSIX_FLAGS,
                  flags & ~PCI_MSIX_FLAGS_ENABLE);
    qv_fn_mac(d, 0, mac);
    qv_rx_setup(d, 0, &rx, 16, 2048, true);
    qv_fn_start(d, 0);
    qv_frame(frame, mac, ext_mac, 0x88b5, sizeof(frame));
    g_assert_false(pf_intx(d));

    for (i = 1; i <= 2; i++) {
        qv_inject(d, frame, sizeof(frame));
        qv_wait_stat_sum(d, (int[]){ 0 }, 1,
                         (unsigned[]){ QV_STAT_RX_PACKETS }, 1, i);
        g_assert_true(pf_intx(d));
        if (i == 1) {
            qv_wr(d, 0, QV_FN_INT_CAUSE, QV_INT_RX);
        } else {
            qv_wr(d, 0, QV_FN_INT_MASK_SET, QV_INT_RX);
        }
        g_assert_false(pf_intx(d));
    }
    /* Unmasked with the cause still set: asserted again. */
    qv_wr(d, 0, QV_FN_INT_MASK_CLR, QV_INT_RX);
    g_assert_true(pf_intx(d));
    qv_wr(d, 0, QV_FN_CTRL, QV_CTRL_RESET);
    g_assert_false(pf_intx(d));
    qv_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/defects/intx-level", test_intx_level);
    return g_test_run();
}
