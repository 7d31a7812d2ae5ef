/*
 * qosvnic qtest: regression tests of the smaller device defects of issue
 * 9 (item 8); each fails on the device before its fix.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
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

/* ---------------------------------------------- TX frame without EOP */

/* How many TX descriptors of function @fn the device fetched. */
static unsigned desc_fetches(const char *trace, unsigned fn)
{
    g_autoptr(GPtrArray) lines = qv_trace_lines(trace, "qosvnic_tx_desc");
    unsigned i, n = 0, f;

    for (i = 0; i < lines->len; i++) {
        g_assert_cmpint(sscanf(g_ptr_array_index(lines, i), "fn %u", &f),
                        ==, 1);
        n += f == fn;
    }
    return n;
}

/*
 * A frame whose EOP the driver has not posted yet is fetched once, not
 * again on every run of the TX engine (here: ten frames of another VF),
 * until the tail moves. Before, each run fetched all its descriptors.
 */
static void test_tx_incomplete_frame(void)
{
    g_autofree char *trace = NULL;
    g_autofree char *args = qv_trace_args("qosvnic_tx_desc", &trace);
    QvDev *d = qv_start(NULL, args);
    uint8_t mac1[6], mac2[6], frame[400], got[2048];
    QvRing tx[3];
    uint64_t buf;
    int fn, i;

    qv_enable_vfs(d, 2);
    for (fn = 1; fn <= 2; fn++) {
        qv_tx_setup(d, fn, &tx[fn], 16);
        qv_fn_start(d, fn);
    }
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qv_frame(frame, ext_mac, mac1, 0x88b5, sizeof(frame));
    buf = qv_alloc(d, sizeof(frame), 64);
    qtest_memwrite(d->qts, buf, frame, sizeof(frame));
    for (i = 0; i < 4; i++) {
        uint64_t desc = tx[1].base + i * QV_TXD_SIZE;

        qtest_writeq(d->qts, desc + QV_TXD_ADDR, buf + i * 100);
        qtest_writew(d->qts, desc + QV_TXD_LEN, 100);
        qtest_writeb(d->qts, desc + QV_TXD_CMD, i == 3 ? QV_TXD_EOP : 0);
    }
    qv_wr(d, 1, QV_FN_TX_TAIL, 3);
    qv_sync(d);

    qv_frame(frame, ext_mac, mac2, 0x88b5, 100);
    for (i = 0; i < 10; i++) {
        qv_tx_send(d, &tx[2], frame, 100, 0, 0, 0);
        g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==, 100);
    }
    g_assert_cmpuint(desc_fetches(trace, 1), ==, 3);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), ==, 0);

    qv_wr(d, 1, QV_FN_TX_TAIL, 4);
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==, 400);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), ==, 4);
    g_assert_cmpuint(desc_fetches(trace, 1), ==, 3 + 4);
    qv_stop(d);
    unlink(trace);
}

/*
 * A chain without EOP is fetched again whenever the tail moves, so a guest
 * that posts thousands of descriptors without EOP and then moves its tail
 * back and forth made the device fetch them all on every write. A frame
 * spans at most QV_TX_MAX_DESC descriptors: longer chains go as bad frames
 * of QV_TX_MAX_DESC, and only the rest is fetched again.
 */
static void test_tx_long_chain(void)
{
    const unsigned n = QV_RING_MAX_BYTES / QV_TXD_SIZE, posted = 4000;
    const unsigned dropped = posted / QV_TX_MAX_DESC * QV_TX_MAX_DESC;
    const unsigned rest = posted - dropped, toggles = 20;
    g_autofree char *trace = NULL;
    g_autofree char *args = qv_trace_args("qosvnic_tx_desc", &trace);
    g_autofree uint8_t *ring = g_malloc0(n * QV_TXD_SIZE);
    QvDev *d = qv_start(NULL, args);
    uint8_t mac[6], frame[100], got[2048];
    uint64_t buf;
    QvRing tx[2];
    unsigned i;

    qv_enable_vfs(d, 1);
    qv_tx_setup(d, 1, &tx[1], n);
    qv_fn_start(d, 1);
    qv_fn_mac(d, 1, mac);
    buf = qv_alloc(d, 64, 64);
    for (i = 0; i < n; i++) {
        stq_le_p(ring + i * QV_TXD_SIZE + QV_TXD_ADDR, buf);
        stw_le_p(ring + i * QV_TXD_SIZE + QV_TXD_LEN, 40);
    }
    qtest_memwrite(d->qts, tx[1].base, ring, n * QV_TXD_SIZE);

    qv_wr(d, 1, QV_FN_TX_TAIL, posted);
    qv_sync(d);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), ==, dropped);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_BAD), ==,
                     dropped / QV_TX_MAX_DESC);
    g_assert_cmpuint(desc_fetches(trace, 1), ==, posted);

    for (i = 0; i < toggles; i++) {
        qv_wr(d, 1, QV_FN_TX_TAIL, posted + (i % 2 ? 0 : 1));
        qv_sync(d);
    }
    g_assert_cmpuint(desc_fetches(trace, 1), ==,
                     posted + toggles / 2 * (rest + 1 + rest));
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), ==, dropped);

    /* The rest ends in a frame: it goes, the function works on. */
    qv_frame(frame, ext_mac, mac, 0x88b5, sizeof(frame));
    qtest_memwrite(d->qts, buf, frame, 64);
    qtest_writeb(d->qts, tx[1].base + posted * QV_TXD_SIZE + QV_TXD_CMD,
                 QV_TXD_EOP);
    qv_wr(d, 1, QV_FN_TX_TAIL, posted + 1);
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==,
                    (rest + 1) * 40);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_TX_HEAD), ==, posted + 1);
    qv_stop(d);
    unlink(trace);
}

/* -------------------------------------------------------- TX and MTU */

/*
 * A frame without TSO longer than the sender's MTU (plus the Ethernet
 * header and its own tag) is malformed: dropped, TX_DROP_BAD. Before,
 * the device sent it whatever the MTU.
 */
static void test_tx_mtu(void)
{
    static const struct {
        uint32_t mtu;
        size_t len;
        bool tagged, sent;
    } c[] = {
        { 1500, 1514, false, true },
        { 1500, 1515, false, false },
        { 1500, 1518, true, true },
        { 1500, 1519, true, false },
        { 9000, 9014, false, true },
        { 9000, 9015, false, false },
    };
    QvDev *d = qv_start(NULL, NULL);
    g_autofree uint8_t *frame = g_malloc(9100);
    g_autofree uint8_t *got = g_malloc(9100);
    uint64_t bad = 0;
    uint8_t mac[6];
    QvRing tx;
    unsigned i;

    qv_enable_vfs(d, 1);
    qv_tx_setup(d, 1, &tx, 16);
    qv_fn_start(d, 1);
    qv_fn_mac(d, 1, mac);
    for (i = 0; i < ARRAY_SIZE(c); i++) {
        qv_wr(d, 1, QV_FN_MTU, c[i].mtu);
        qv_frame(frame, ext_mac, mac, c[i].tagged ? 0x8100 : 0x88b5,
                 c[i].len);
        qv_tx_send(d, &tx, frame, c[i].len, 0, 0, 0);
        if (c[i].sent) {
            g_assert_cmpint(qv_wire_recv(d, got, 9100, 5000), ==, c[i].len);
        } else {
            bad++;
            qv_sync(d);
            g_assert_cmphex(qv_tx_status(d, &tx, i), ==,
                            QV_TXD_STA_DD | QV_TXD_STA_ERR);
        }
        g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_BAD), ==, bad);
    }
    g_assert_cmpint(qv_wire_recv(d, got, 9100, 100), ==, -1);
    qv_stop(d);
}

/* ------------------------------------------- offload changes to the tap */

/* A tap device with virtio-net headers, for QEMU's end only. */
static int tap_open(void)
{
    struct ifreq ifr = { 0 };
    int fd = open("/dev/net/tun", O_RDWR);

    if (fd < 0) {
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    pstrcpy(ifr.ifr_name, IFNAMSIZ, "qvdef%d");
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Every OFFLOADS write that flips whether all receivers take large frames
 * changes the tap's offloads, an ioctl on the host. Turning them off is
 * immediate; turning them on again waits for a 10 ms hold-off, so a guest
 * flipping the bit in a loop costs two ioctls, not one per write (100
 * before). The last setting still takes effect.
 */
static void test_tap_offload_storm(void)
{
    g_autofree char *trace = NULL;
    g_autofree char *args = qv_trace_args("qosvnic_peer_offloads", &trace);
    g_autofree char *netdev = NULL;
    g_autoptr(GPtrArray) lines = NULL;
    QvDev *d;
    int fd = tap_open(), i;

    if (fd < 0) {
        g_test_skip("no tap device (needs /dev/net/tun and CAP_NET_ADMIN)");
        return;
    }
    netdev = g_strdup_printf("-netdev tap,fd=%d,id=hs0", fd);
    d = qv_start_netdev(NULL, netdev, args);
    close(fd);
    qv_enable_vfs(d, 1);
    qv_fn_start(d, 1);
    for (i = 0; i < 50; i++) {
        qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_LRO | QV_OFF_RX_CSUM);
        qv_wr(d, 1, QV_FN_OFFLOADS, 0);
    }
    qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_LRO | QV_OFF_RX_CSUM);
    qv_sync(d);
    lines = qv_trace_lines(trace, "qosvnic_peer_offloads");
    g_assert_cmpuint(lines->len, ==, 2);
    g_ptr_array_unref(lines);

    qv_step(d, 10 * 1000 * 1000);
    qv_sync(d);
    lines = qv_trace_lines(trace, "qosvnic_peer_offloads");
    g_assert_cmpuint(lines->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(lines, 2), ==,
                    "backend GSO/csum offloads 1");
    qv_stop(d);
    unlink(trace);
}

/* ------------------------------------------ frames flushed on RX off */

/*
 * Frames held for a function are dropped when its driver turns receive
 * off, and counted as such (DROP_LINK_DOWN: the function could not
 * receive). Before, they vanished from every counter.
 */
static void test_rx_disable_counted(void)
{
    QvDev *d = qv_start(NULL, NULL);
    uint8_t mac[6], frame[300];
    QvRing rx;
    int i;

    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac);
    qv_rx_setup(d, 1, &rx, 16, 2048, false);
    qv_fn_start(d, 1);
    qv_frame(frame, mac, ext_mac, 0x88b5, sizeof(frame));
    for (i = 0; i < 3; i++) {
        qv_inject(d, frame, sizeof(frame));
    }
    qv_wait_stat_sum(d, (int[]){ 1 }, 1,
                     (unsigned[]){ QV_STAT_BUF_OCCUPANCY }, 1,
                     3 * 2 * QV_BUF_CELL_SIZE);
    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_TX_EN);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_BUF_OCCUPANCY), ==, 0);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_LINK_DOWN), ==, 3);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_PACKETS), ==, 0);
    qv_stop(d);
}

/* ------------------------------------------------ TX with the link down */

/*
 * A frame a function transmits while its link is down is a transmit
 * drop: counted as TX_DROP_LINK_DOWN (and in QMP), not as the receive
 * drop DROP_LINK_DOWN it was counted as before.
 */
static void test_tx_link_down_counted(void)
{
    QvDev *d = qv_start("id=nic0", NULL);
    uint8_t mac[6], frame[100];
    QDict *rsp, *fn1;
    QList *fns;
    QvRing tx;

    qv_enable_vfs(d, 1);
    qv_tx_setup(d, 1, &tx, 16);
    qv_fn_start(d, 1);
    qv_fn_mac(d, 1, mac);
    qv_mg_wr(d, 1, QV_MG_FLAGS, QV_LINK_DISABLE << QV_MGF_LINK_SHIFT);
    qv_frame(frame, ext_mac, mac, 0x88b5, sizeof(frame));
    qv_tx_send(d, &tx, frame, sizeof(frame), 0, 0, 0);
    qv_sync(d);
    g_assert_cmphex(qv_tx_status(d, &tx, 0), ==,
                    QV_TXD_STA_DD | QV_TXD_STA_ERR);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_LINK_DOWN), ==, 1);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_LINK_DOWN), ==, 0);

    rsp = qtest_qmp(d->qts, "{ 'execute': 'query-qosvnic', "
                    "'arguments': { 'id': 'nic0' } }");
    fns = qdict_get_qlist(qobject_to(QDict, qlist_peek(
                              qdict_get_qlist(rsp, "return"))), "functions");
    qlist_pop(fns);
    fn1 = qobject_to(QDict, qlist_peek(fns));
    g_assert_cmpuint(qdict_get_int(qdict_get_qdict(fn1, "stats"),
                                   "tx-drop-link-down"), ==, 1);
    qobject_unref(rsp);
    qv_stop(d);
}

/* ------------------------------------------------- 64-bit registers */

/*
 * Registers the contract marks 64-bit read whole with one 8-byte access
 * (before: the low word only), and a staged RX_RATE_HI is used once: a
 * later write of RX_RATE_LO alone sets a rate below 4 G (before: it
 * reused the old high word).
 */
static void test_regs_64bit(void)
{
    QvDev *d = qv_start("dma-rate=8589934593", NULL);
    uint64_t rate = QV_T_PF_BAR0 + QV_MGMT(1) + QV_MG_RX_RATE_LO;

    g_assert_cmphex(qtest_readq(d->qts, QV_T_PF_BAR0 + QV_DEV_DMA_RATE_LO),
                    ==, 8589934593ULL);
    qv_mg_wr(d, 1, QV_MG_RX_RATE_HI, 1);
    qv_mg_wr(d, 1, QV_MG_RX_RATE_LO, 5);
    g_assert_cmphex(qtest_readq(d->qts, rate), ==, 0x100000005ULL);
    qv_mg_wr(d, 1, QV_MG_RX_RATE_LO, 7);
    g_assert_cmphex(qtest_readq(d->qts, rate), ==, 7);
    qtest_writeq(d->qts, rate, 0x300000009ULL);
    g_assert_cmphex(qtest_readq(d->qts, rate), ==, 0x300000009ULL);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_RX_RATE_HI), ==, 3);
    qv_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/defects/intx-level", test_intx_level);
    qtest_add_func("/qosvnic/defects/tx-incomplete-frame",
                   test_tx_incomplete_frame);
    qtest_add_func("/qosvnic/defects/tx-long-chain", test_tx_long_chain);
    qtest_add_func("/qosvnic/defects/tx-mtu", test_tx_mtu);
    qtest_add_func("/qosvnic/defects/tap-offload-storm",
                   test_tap_offload_storm);
    qtest_add_func("/qosvnic/defects/rx-disable-counted",
                   test_rx_disable_counted);
    qtest_add_func("/qosvnic/defects/tx-link-down-counted",
                   test_tx_link_down_counted);
    qtest_add_func("/qosvnic/defects/regs-64bit", test_regs_64bit);
    return g_test_run();
}
