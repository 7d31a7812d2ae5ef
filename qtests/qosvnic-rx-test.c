/*
 * qosvnic qtest: receive path: RX rings, classification, filters, VLAN,
 * length and checksum handling, and malformed RX rings.
 *
 * Frames come in through the socket netdev; every check is on exact
 * counters, descriptor write-backs and bytes in guest memory.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/if_packet.h>
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "standard-headers/linux/pci_regs.h"
#include "standard-headers/linux/virtio_net.h"
#include "qosvnic-qtest-lib.h"

#define ETYPE_TEST      0x88b5          /* IEEE local experimental */

static const uint8_t src_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t nobody[6] = { 0x02, 0x00, 0x00, 0xde, 0xad, 0x01 };

static void wait_stat(QvDev *d, int fn, unsigned idx, uint64_t want)
{
    int fns[] = { fn };
    unsigned idxs[] = { idx };

    qv_wait_stat_sum(d, fns, 1, idxs, 1, want);
}

/* Frame of @len bytes to @dst whose byte 14 says which one it is. */
static size_t tagged_frame(uint8_t *buf, const uint8_t *dst, size_t len,
                           uint8_t id)
{
    qv_frame(buf, dst, src_mac, ETYPE_TEST, len);
    if (len > 14) {
        buf[14] = id;
    }
    return len;
}

/* Same with an 802.1Q tag; @len counts the tag. */
static size_t vlan_frame(uint8_t *buf, const uint8_t *dst, size_t len,
                         uint16_t tci, uint8_t id)
{
    qv_frame(buf, dst, src_mac, 0x8100, len);
    stw_be_p(buf + 14, tci);
    stw_be_p(buf + 16, ETYPE_TEST);
    buf[18] = id;
    return len;
}

static void start_rx(QvDev *d, int fn, QvRing *r, uint32_t ndesc,
                     uint32_t buf_size)
{
    qv_fn_start(d, fn);
    qv_rx_setup(d, fn, r, ndesc, buf_size, true);
}

/* Take the next frame from @r and check it is exactly @want. */
static uint16_t expect_frame(QvDev *d, QvRing *r, const uint8_t *want,
                             size_t len)
{
    g_autofree uint8_t *got = g_malloc0(len + 64);
    uint16_t status = 0;
    int n = qv_rx_take(d, r, got, len + 64, &status, NULL, NULL);

    g_assert_cmpint(n, ==, len);
    g_assert_cmpmem(got, len, want, len);
    return status;
}

static void expect_empty(QvDev *d, QvRing *r)
{
    g_assert_cmpint(qv_rx_take(d, r, NULL, 0, NULL, NULL, NULL), ==, -1);
}

/* Frames land in a VF's ring, whole, in order, with an MSI-X message. */
static void test_rx_vf_ring(void)
{
    QvDev *d = qv_start("max-vfs=8", NULL);
    static const size_t lens[] = { 60, 1514, 300, 14 };
    uint8_t frames[4][1514], big[1000], mac1[6], mac2[6];
    QvRing r1, r2;
    uint64_t bytes = 0;
    unsigned i;

    qv_enable_vfs(d, 2);
    start_rx(d, 1, &r1, 16, 2048);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    g_assert_cmpint(memcmp(mac1, mac2, 6), !=, 0);
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_RX));

    for (i = 0; i < ARRAY_SIZE(lens); i++) {
        tagged_frame(frames[i], mac1, lens[i], i);
        qv_inject(d, frames[i], lens[i]);
        bytes += lens[i];
    }
    wait_stat(d, 1, QV_STAT_RX_PACKETS, ARRAY_SIZE(lens));
    for (i = 0; i < ARRAY_SIZE(lens); i++) {
        g_assert_cmphex(expect_frame(d, &r1, frames[i], lens[i]), ==,
                        QV_RXD_STA_DD | QV_RXD_STA_EOP);
    }
    expect_empty(d, &r1);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_BYTES), ==, bytes);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_RX_HEAD), ==, ARRAY_SIZE(lens));
    g_assert_true(qv_irq_fired(d, 1, QV_VEC_RX));
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_PACKETS), ==, 0);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_BUF_OCCUPANCY), ==, 0);

    /* 256-byte buffers: a 1000-byte frame takes four descriptors. */
    start_rx(d, 2, &r2, 16, 256);
    tagged_frame(big, mac2, sizeof(big), 0x77);
    qv_inject(d, big, sizeof(big));
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 1);
    for (i = 0; i < 4; i++) {
        uint64_t desc = r2.base + i * QV_RXD_SIZE;

        g_assert_cmpuint(qtest_readw(d->qts, desc + QV_RXD_LEN), ==,
                         i < 3 ? 256 : 1000 - 3 * 256);
        g_assert_cmphex(qtest_readw(d->qts, desc + QV_RXD_STATUS), ==,
                        QV_RXD_STA_DD | (i == 3 ? QV_RXD_STA_EOP : 0));
    }
    expect_frame(d, &r2, big, sizeof(big));
    g_assert_true(qv_irq_fired(d, 2, QV_VEC_RX));
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_RX));
    qv_stop(d);
}

/*
 * x-rx-first-len splits each frame after its first bytes, as a
 * header-splitting NIC does: its first bytes in the first buffer, the rest
 * in full buffers, even an Ethernet header; the ring's descriptor budget
 * counts the early split. Out of range is refused with the limit.
 */
static void test_rx_first_len(void)
{
    QvDev *d = qv_start("max-vfs=2,x-rx-first-len=8", NULL);
    static const uint32_t want[] = { 8, 256, 256, 256, 224 };
    uint8_t small[14], big[1000], mac[6];
    g_autofree char *err = qv_start_fails("x-rx-first-len=16385");
    QvRing r;
    unsigned i;

    g_assert_nonnull(strstr(err, "x-rx-first-len=16385"));
    g_assert_nonnull(strstr(err, "16384"));
    qv_enable_vfs(d, 1);
    start_rx(d, 1, &r, 8, 256);
    qv_fn_mac(d, 1, mac);

    /* 1000 bytes: 8 + 3 * 256 + 224, five of the seven posted buffers. */
    tagged_frame(big, mac, sizeof(big), 0x42);
    qv_inject(d, big, sizeof(big));
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);
    for (i = 0; i < ARRAY_SIZE(want); i++) {
        uint64_t desc = r.base + i * QV_RXD_SIZE;

        g_assert_cmpuint(qtest_readw(d->qts, desc + QV_RXD_LEN), ==,
                         want[i]);
        g_assert_cmphex(qtest_readw(d->qts, desc + QV_RXD_STATUS), ==,
                        QV_RXD_STA_DD |
                        (i == ARRAY_SIZE(want) - 1 ? QV_RXD_STA_EOP : 0));
    }
    expect_frame(d, &r, big, sizeof(big));

    /*
     * A 14-byte frame: its Ethernet header split 8 + 6, what a driver
     * must not hand to eth_type_trans() as it is.
     */
    qv_frame(small, mac, src_mac, ETYPE_TEST, sizeof(small));
    qv_inject(d, small, sizeof(small));
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 2);
    for (i = 5; i < 7; i++) {
        uint64_t desc = r.base + i * QV_RXD_SIZE;

        g_assert_cmpuint(qtest_readw(d->qts, desc + QV_RXD_LEN), ==,
                         i == 5 ? 8 : 6);
        g_assert_cmphex(qtest_readw(d->qts, desc + QV_RXD_STATUS), ==,
                        QV_RXD_STA_DD | (i == 6 ? QV_RXD_STA_EOP : 0));
    }
    expect_frame(d, &r, small, sizeof(small));

    /*
     * All seven posted buffers used: a 300-byte frame takes three (8 +
     * 256 + 36), not the two its length in full buffers would, so two
     * reposted buffers are not enough and a third lets it in.
     */
    tagged_frame(big, mac, 300, 0x43);
    qv_inject(d, big, 300);
    qv_sync(d);
    qv_rx_post(d, &r, 2);
    qv_sync(d);
    expect_empty(d, &r);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_PACKETS), ==, 2);
    qv_rx_post(d, &r, 1);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 3);
    expect_frame(d, &r, big, 300);
    qv_stop(d);
}

/* Exact-MAC classification among 64 VFs and the PF; no-owner drops. */
static void test_rx_classify_64(void)
{
    QvDev *d = qv_start("max-vfs=64", NULL);
    static QvRing r[65];
    uint8_t mac[65][6], f[128], newmac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd,
                                              0xee };
    int fns[65];
    unsigned idx[] = { QV_STAT_RX_PACKETS };
    int fn;

    qv_enable_vfs(d, 64);
    for (fn = 0; fn <= 64; fn++) {
        fns[fn] = fn;
        start_rx(d, fn, &r[fn], 4, 2048);
        qv_fn_mac(d, fn, mac[fn]);
    }
    /* In a scrambled order, so a FIFO-ish mistake shows. */
    for (fn = 0; fn <= 64; fn++) {
        int t = (fn * 37) % 65;

        tagged_frame(f, mac[t], 100, t);
        qv_inject(d, f, 100);
    }
    qv_wait_stat_sum(d, fns, 65, idx, 1, 65);
    for (fn = 0; fn <= 64; fn++) {
        tagged_frame(f, mac[fn], 100, fn);
        g_assert_cmpuint(qv_mg_stat(d, fn, QV_STAT_RX_PACKETS), ==, 1);
        expect_frame(d, &r[fn], f, 100);
    }

    /* Nobody's MAC: dropped and counted on the PF, nothing delivered. */
    tagged_frame(f, nobody, 100, 0);
    qv_inject(d, f, 100);
    wait_stat(d, 0, QV_STAT_DROP_NO_OWNER, 1);

    /* The PF moves VF 37 (fn 38) to a new MAC; the old one is no one's. */
    qv_mg_wr(d, 38, QV_MG_MAC_LO, ldl_le_p(newmac));
    qv_mg_wr(d, 38, QV_MG_MAC_HI, lduw_le_p(newmac + 4));
    tagged_frame(f, mac[38], 100, 1);
    qv_inject(d, f, 100);
    wait_stat(d, 0, QV_STAT_DROP_NO_OWNER, 2);
    tagged_frame(f, newmac, 100, 2);
    qv_inject(d, f, 100);
    wait_stat(d, 38, QV_STAT_RX_PACKETS, 2);
    expect_frame(d, &r[38], f, 100);
    qv_wait_stat_sum(d, fns, 65, idx, 1, 66);
    g_assert_cmpuint(qv_mg_stat(d, 0, QV_STAT_DROP_NO_OWNER), ==, 2);
    qv_stop(d);
}

/*
 * The PF gives VF 1 (function 2) VF 0's MAC: frames for it go to the lower
 * function, VF 0, whatever order the MACs were set in, as they do after a
 * migration (whose rebuild of the MAC table has always done so). Before,
 * the function set last took them at run time, and a migration moved
 * them back to VF 0.
 */
static void test_rx_duplicate_mac_owner(void)
{
    QvDev *d = qv_start("max-vfs=2", NULL);
    g_autofree uint8_t *f = g_malloc(256);
    uint8_t mac1[6];
    QvRing r1, r2;
    QvDev *b;

    qv_enable_vfs(d, 2);
    start_rx(d, 1, &r1, 16, 2048);
    start_rx(d, 2, &r2, 16, 2048);
    qv_fn_mac(d, 1, mac1);
    qv_mg_wr(d, 2, QV_MG_MAC_LO, ldl_le_p(mac1));
    qv_mg_wr(d, 2, QV_MG_MAC_HI, lduw_le_p(mac1 + 4));
    tagged_frame(f, mac1, 100, 1);
    qv_inject(d, f, 100);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_PACKETS), ==, 0);

    b = qv_migrate(d, "max-vfs=2");
    qv_stop(d);
    tagged_frame(f, mac1, 100, 2);
    qv_inject(b, f, 100);
    wait_stat(b, 1, QV_STAT_RX_PACKETS, 2);
    g_assert_cmpuint(qv_stat(b, 2, QV_STAT_RX_PACKETS), ==, 0);
    qv_stop(b);
}

/* Broadcast, multicast lists, ALLMULTI, and promiscuous only if trusted. */
static void test_rx_bcast_mcast_promisc(void)
{
    QvDev *d = qv_start("max-vfs=8", NULL);
    static const uint8_t mc1[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    static const uint8_t mc2[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 };
    QvRing r[7];
    uint8_t f[128], mac1[6];
    int all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
    unsigned rxp[] = { QV_STAT_RX_PACKETS };
    int fn;

    qv_enable_vfs(d, 6);
    for (fn = 0; fn <= 6; fn++) {
        if (fn != 5) {
            start_rx(d, fn, &r[fn], 8, 2048);
        }
    }
    qv_fn_mac(d, 1, mac1);
    qv_wr(d, 2, QV_FN_RX_FILTER, 0);
    qv_wr(d, 3, QV_FN_RX_FILTER, QV_RXF_BCAST | QV_RXF_ALLMULTI);
    qv_wr(d, 4, QV_FN_MC_LO(3), ldl_le_p(mc1));
    qv_wr(d, 4, QV_FN_MC_HI(3), lduw_le_p(mc1 + 4) | QV_MC_HI_VALID);
    qv_wr(d, 6, QV_FN_RX_FILTER, 0);

    /* Broadcast: PF, VF0, VF2, VF3 take it; VF4 (fn 5) is not started. */
    tagged_frame(f, qv_bcast, 64, 1);
    qv_inject(d, f, 64);
    qv_wait_stat_sum(d, all, 9, rxp, 1, 4);
    wait_stat(d, 5, QV_STAT_DROP_LINK_DOWN, 1);
    for (fn = 0; fn <= 8; fn++) {
        bool want = fn == 0 || fn == 1 || fn == 3 || fn == 4;

        g_assert_cmpuint(qv_mg_stat(d, fn, QV_STAT_RX_BCAST), ==, want);
        g_assert_cmpuint(qv_mg_stat(d, fn, QV_STAT_DROP_LINK_DOWN), ==,
                         fn == 5);
    }
    expect_frame(d, &r[3], f, 64);

    /* mc1: listed by fn 4, ALLMULTI fn 3. mc2: fn 3 only. */
    tagged_frame(f, mc1, 64, 2);
    qv_inject(d, f, 64);
    tagged_frame(f, mc2, 64, 3);
    qv_inject(d, f, 64);
    qv_wait_stat_sum(d, all, 9, rxp, 1, 7);
    g_assert_cmpuint(qv_stat(d, 3, QV_STAT_RX_MCAST), ==, 2);
    g_assert_cmpuint(qv_stat(d, 4, QV_STAT_RX_MCAST), ==, 1);
    for (fn = 0; fn <= 8; fn++) {
        if (fn != 3 && fn != 4) {
            g_assert_cmpuint(qv_mg_stat(d, fn, QV_STAT_RX_MCAST), ==, 0);
        }
    }
    /* The multicast list entry can be switched off again. */
    qv_wr(d, 4, QV_FN_MC_HI(3), lduw_le_p(mc1 + 4));
    tagged_frame(f, mc1, 64, 4);
    qv_inject(d, f, 64);
    qv_wait_stat_sum(d, all, 9, rxp, 1, 8);
    g_assert_cmpuint(qv_stat(d, 3, QV_STAT_RX_MCAST), ==, 3);
    g_assert_cmpuint(qv_stat(d, 4, QV_STAT_RX_MCAST), ==, 1);

    /* An untrusted VF asking for promiscuous mode gets nothing more. */
    qv_wr(d, 2, QV_FN_RX_FILTER, QV_RXF_PROMISC);
    tagged_frame(f, nobody, 64, 5);
    qv_inject(d, f, 64);
    wait_stat(d, 0, QV_STAT_DROP_NO_OWNER, 1);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_PACKETS), ==, 0);

    /* Trusted: it sees unknown unicast and all multicast ... */
    qv_mg_wr(d, 2, QV_MG_FLAGS, qv_mg_rd(d, 2, QV_MG_FLAGS) | QV_MGF_TRUST);
    qv_inject(d, f, 64);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 1);
    expect_frame(d, &r[2], f, 64);
    tagged_frame(f, mc2, 64, 6);
    qv_inject(d, f, 64);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 2);
    /* ... but never another tenant's unicast. */
    tagged_frame(f, mac1, 64, 7);
    qv_inject(d, f, 64);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 2);
    qv_sync(d);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_PACKETS), ==, 2);
    g_assert_cmpuint(qv_mg_stat(d, 0, QV_STAT_DROP_NO_OWNER), ==, 1);

    /* The PF may always be promiscuous. */
    qv_wr(d, 0, QV_FN_RX_FILTER, QV_RXF_PROMISC);
    tagged_frame(f, nobody, 64, 8);
    qv_inject(d, f, 64);
    wait_stat(d, 0, QV_STAT_RX_PACKETS, 2);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 3);
    g_assert_cmpuint(qv_mg_stat(d, 0, QV_STAT_DROP_NO_OWNER), ==, 1);
    qv_stop(d);
}

/*
 * Broadcasts flood only within a VF's port VLAN: one on another VLAN, or
 * untagged, is not that VF's frame, so it is neither delivered nor
 * counted as its drop (before, every tenant's broadcast raised the
 * DROP_VLAN of every VF on another port VLAN, with a drop event each).
 */
static void test_rx_flood_port_vlan(void)
{
    QvDev *d = qv_start("max-vfs=4", NULL);
    uint8_t f[100];
    QvRing r1, r2;

    qv_enable_vfs(d, 2);
    start_rx(d, 1, &r1, 16, 2048);
    start_rx(d, 2, &r2, 16, 2048);
    qv_mg_wr(d, 1, QV_MG_VLAN, 100);

    vlan_frame(f, qv_bcast, 100, 200, 1);
    qv_inject(d, f, 100);
    tagged_frame(f, qv_bcast, 100, 2);
    qv_inject(d, f, 100);
    vlan_frame(f, qv_bcast, 100, 100, 3);
    qv_inject(d, f, 100);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 3);       /* no port VLAN: all */
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);       /* VLAN 100 only */
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_DROP_VLAN), ==, 0);
    g_assert_cmpuint(qv_mg_stat(d, 1, QV_STAT_RX_BCAST), ==, 1);
    qv_stop(d);
}

/* Port VLAN, VLAN stripping, MTU limits and runts. */
static void test_rx_vlan_length(void)
{
    QvDev *d = qv_start("max-vfs=4", NULL);
    g_autofree uint8_t *f = g_malloc(9100);
    g_autofree uint8_t *want = g_malloc(9100);
    uint8_t mac1[6], mac2[6];
    uint16_t status, vlan;
    QvRing r1, r2;
    int n;

    qv_enable_vfs(d, 2);
    start_rx(d, 1, &r1, 16, 2048);
    start_rx(d, 2, &r2, 16, 2048);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qv_mg_wr(d, 1, QV_MG_VLAN, 100 | (5 << QV_VLAN_QOS_SHIFT));
    qv_wr(d, 2, QV_FN_OFFLOADS, QV_OFF_VLAN_STRIP);

    /* Port VLAN 100: untagged and VLAN 200 are dropped ... */
    tagged_frame(f, mac1, 100, 1);
    qv_inject(d, f, 100);
    vlan_frame(f, mac1, 100, 200, 2);
    qv_inject(d, f, 100);
    wait_stat(d, 1, QV_STAT_DROP_VLAN, 2);
    /* ... VLAN 100 arrives with the tag removed, nothing reported. */
    vlan_frame(f, mac1, 100, 0x2000 | 100, 3);
    qv_inject(d, f, 100);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);
    memcpy(want, f, 12);
    memcpy(want + 12, f + 16, 84);
    g_assert_cmphex(expect_frame(d, &r1, want, 96), ==,
                    QV_RXD_STA_DD | QV_RXD_STA_EOP);

    /* No port VLAN, stripping on: the tag goes to the descriptor. */
    vlan_frame(f, mac2, 100, 0x6007, 4);
    qv_inject(d, f, 100);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 1);
    memcpy(want, f, 12);
    memcpy(want + 12, f + 16, 84);
    n = qv_rx_take(d, &r2, f, 9100, &status, &vlan, NULL);
    g_assert_cmpint(n, ==, 96);
    g_assert_cmpmem(f, 96, want, 96);
    g_assert_cmphex(status, ==, QV_RXD_STA_DD | QV_RXD_STA_EOP |
                    QV_RXD_STA_VLAN);
    g_assert_cmphex(vlan, ==, 0x6007);

    /*
     * MTU 1500: 1514 untagged / 1518 tagged fit, one byte more does not;
     * a runt is never stored.
     */
    tagged_frame(f, mac2, 1514, 5);
    qv_inject(d, f, 1514);
    tagged_frame(f, mac2, 1515, 6);
    qv_inject(d, f, 1515);
    vlan_frame(f, mac2, 1518, 9, 7);
    qv_inject(d, f, 1518);
    vlan_frame(f, mac2, 1519, 9, 8);
    qv_inject(d, f, 1519);
    memcpy(f, mac2, 6);
    qv_inject(d, f, 13);
    wait_stat(d, 2, QV_STAT_DROP_LENGTH, 3);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 3);
    tagged_frame(want, mac2, 1514, 5);
    expect_frame(d, &r2, want, 1514);
    g_assert_cmpint(qv_rx_take(d, &r2, NULL, 0, NULL, &vlan, NULL), ==, 1514);
    g_assert_cmphex(vlan, ==, 9);

    /* Jumbo MTU: 9014 bytes over five 2 KiB descriptors. */
    qv_wr(d, 2, QV_FN_MTU, 9000);
    tagged_frame(f, mac2, 9014, 9);
    qv_inject(d, f, 9014);
    tagged_frame(f, mac2, 9015, 10);
    qv_inject(d, f, 9015);
    wait_stat(d, 2, QV_STAT_DROP_LENGTH, 4);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 4);
    tagged_frame(want, mac2, 9014, 9);
    expect_frame(d, &r2, want, 9014);
    g_assert_cmpuint(qv_rd(d, 2, QV_FN_RX_HEAD), ==, 3 + 5);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_LENGTH), ==, 0);
    qv_stop(d);
}

/*
 * The PF takes a VF's link down: new frames are refused as LINK_DOWN,
 * frames the device already holds still reach the ring.
 */
/*
 * The receive admission's account (qosvnic_hw.h): every frame admitted is
 * delivered, held or discarded, at every register read.
 */
static void assert_account(QvDev *d, int fn)
{
    g_assert_cmpuint(qv_stat(d, fn, QV_STAT_RX_ADMITTED), ==,
                     qv_stat(d, fn, QV_STAT_RX_PACKETS) +
                     qv_stat(d, fn, QV_STAT_BUF_FRAMES) +
                     qv_stat(d, fn, QV_STAT_RX_DISCARDED));
}

/* @fn's account is exactly these numbers. */
static void expect_account(QvDev *d, int fn, uint64_t admitted,
                           uint64_t delivered, uint64_t held,
                           uint64_t discarded)
{
    g_assert_cmpuint(qv_stat(d, fn, QV_STAT_RX_ADMITTED), ==, admitted);
    g_assert_cmpuint(qv_stat(d, fn, QV_STAT_RX_PACKETS), ==, delivered);
    g_assert_cmpuint(qv_stat(d, fn, QV_STAT_BUF_FRAMES), ==, held);
    g_assert_cmpuint(qv_stat(d, fn, QV_STAT_RX_DISCARDED), ==, discarded);
    assert_account(d, fn);
}

static void test_rx_link_down(void)
{
    QvDev *d = qv_start("max-vfs=2", NULL);
    uint8_t f[3][128], mac1[6];
    uint32_t flags;
    QvRing r;
    int i;

    qv_enable_vfs(d, 1);
    qv_fn_start(d, 1);
    qv_rx_setup(d, 1, &r, 16, 2048, false);
    qv_fn_mac(d, 1, mac1);
    for (i = 0; i < 3; i++) {
        tagged_frame(f[i], mac1, 128, i);
    }
    qv_inject(d, f[0], 128);
    qv_inject(d, f[1], 128);
    wait_stat(d, 1, QV_STAT_BUF_OCCUPANCY, 2 * 256);

    flags = qv_mg_rd(d, 1, QV_MG_FLAGS) & ~QV_MGF_LINK_MASK;
    qv_mg_wr(d, 1, QV_MG_FLAGS,
             flags | (QV_LINK_DISABLE << QV_MGF_LINK_SHIFT));
    g_assert_cmphex(qv_rd(d, 1, QV_FN_STATUS) & QV_STATUS_LINK_UP, ==, 0);
    qv_inject(d, f[2], 128);
    wait_stat(d, 1, QV_STAT_DROP_LINK_DOWN, 1);

    qv_rx_post(d, &r, 15);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 2);
    expect_frame(d, &r, f[0], 128);
    expect_frame(d, &r, f[1], 128);

    qv_mg_wr(d, 1, QV_MG_FLAGS, flags | (QV_LINK_ENABLE << QV_MGF_LINK_SHIFT));
    qv_inject(d, f[2], 128);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 3);
    expect_frame(d, &r, f[2], 128);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_LINK_DOWN), ==, 1);
    qv_stop(d);
}

/* ----------------------------------------------------------- checksums */

/* Complemented Internet checksum of an unfolded sum. */
static uint16_t fold(uint32_t s)
{
    return ~qv_csum_fold(s) & 0xffff;
}

/* IPv4/UDP frame with @plen payload bytes and a correct checksum. */
static size_t udp4_frame(uint8_t *f, const uint8_t *dst, size_t plen)
{
    uint8_t *ip = f + 14, *udp = ip + 20;
    size_t ulen = 8 + plen, i;
    uint32_t s;

    qv_frame(f, dst, src_mac, 0x0800, 14 + 20 + ulen);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    stw_be_p(ip + 2, 20 + ulen);
    ip[8] = 64;
    ip[9] = 17;
    stl_be_p(ip + 12, 0x0a000001);
    stl_be_p(ip + 16, 0x0a000002);
    stw_be_p(ip + 10, fold(qv_csum_add(0, ip, 20)));
    stw_be_p(udp, 1234);
    stw_be_p(udp + 2, 5678);
    stw_be_p(udp + 4, ulen);
    stw_be_p(udp + 6, 0);
    for (i = 0; i < plen; i++) {
        udp[8 + i] = i * 7;
    }
    s = qv_csum_add(0, ip + 12, 8) + 17 + ulen + qv_csum_add(0, udp, ulen);
    stw_be_p(udp + 6, fold(s) ?: 0xffff);
    return 14 + 20 + ulen;
}

/* IPv6/TCP frame with @plen payload bytes and a correct checksum. */
static size_t tcp6_frame(uint8_t *f, const uint8_t *dst, size_t plen)
{
    uint8_t *ip = f + 14, *tcp = ip + 40;
    size_t tlen = 20 + plen, i;
    uint32_t s;

    qv_frame(f, dst, src_mac, 0x86dd, 14 + 40 + tlen);
    memset(ip, 0, 40);
    ip[0] = 0x60;
    stw_be_p(ip + 4, tlen);
    ip[6] = 6;
    ip[7] = 64;
    ip[8] = 0xfd;
    ip[23] = 1;
    ip[24] = 0xfd;
    ip[39] = 2;
    memset(tcp, 0, 20);
    stw_be_p(tcp, 80);
    stw_be_p(tcp + 2, 4321);
    tcp[12] = 5 << 4;
    for (i = 0; i < plen; i++) {
        tcp[20 + i] = i * 3 + 1;
    }
    s = qv_csum_add(0, ip + 8, 32) + 6 + tlen + qv_csum_add(0, tcp, tlen);
    stw_be_p(tcp + 16, fold(s));
    return 14 + 40 + tlen;
}

/*
 * What admission took, frame by frame: delivered when buffers are posted,
 * held while none are, discarded when receive is turned off with frames
 * held (and counted as link-down drops too); frames admission refuses do
 * not enter the account; a function reset starts it from 0, and a
 * migration carries it over with the frames held.
 */
static void test_rx_admission_account(void)
{
    QvDev *d = qv_start("max-vfs=2", NULL), *d2;
    uint8_t f[2000], mac1[6];
    QvRing r;
    int i;

    qv_enable_vfs(d, 1);
    qv_fn_start(d, 1);
    qv_rx_setup(d, 1, &r, 16, 2048, false);
    qv_rx_post(d, &r, 4);
    qv_fn_mac(d, 1, mac1);
    tagged_frame(f, mac1, 300, 0);
    for (i = 0; i < 6; i++) {
        qv_inject(d, f, 300);
    }
    wait_stat(d, 1, QV_STAT_RX_ADMITTED, 6);
    qv_sync(d);
    expect_account(d, 1, 6, 4, 2, 0);

    /* Longer than the MTU: refused by admission, outside the account. */
    tagged_frame(f, mac1, 1600, 1);
    qv_inject(d, f, 1600);
    wait_stat(d, 1, QV_STAT_DROP_LENGTH, 1);
    expect_account(d, 1, 6, 4, 2, 0);

    qv_rx_post(d, &r, 1);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 5);
    expect_account(d, 1, 6, 5, 1, 0);

    tagged_frame(f, mac1, 300, 2);
    qv_inject(d, f, 300);
    qv_inject(d, f, 300);
    wait_stat(d, 1, QV_STAT_RX_ADMITTED, 8);
    expect_account(d, 1, 8, 5, 3, 0);

    /* Migrated with the three frames held, the account comes along. */
    d2 = qv_migrate(d, "max-vfs=2");
    qv_stop(d);
    d = d2;
    expect_account(d, 1, 8, 5, 3, 0);

    /* Receive off: the held frames are discarded, and are link-down drops. */
    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_TX_EN);
    expect_account(d, 1, 8, 5, 0, 3);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_LINK_DOWN), ==, 3);

    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RESET);
    expect_account(d, 1, 0, 0, 0, 0);
    qv_stop(d);
}

static void test_rx_csum(void)
{
    QvDev *d = qv_start("max-vfs=2", NULL);
    uint8_t f[256], mac1[6], mac2[6];
    QvRing r1, r2;
    size_t n;

    qv_enable_vfs(d, 2);
    start_rx(d, 1, &r1, 16, 2048);
    start_rx(d, 2, &r2, 16, 2048);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_RX_CSUM);

    n = udp4_frame(f, mac1, 33);
    qv_inject(d, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);
    g_assert_cmphex(expect_frame(d, &r1, f, n), ==,
                    QV_RXD_STA_DD | QV_RXD_STA_EOP | QV_RXD_STA_L4CSUM_OK);

    /* Corrupted payload: delivered, not vouched for, counted. */
    f[n - 1] ^= 0x40;
    qv_inject(d, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 2);
    g_assert_cmphex(expect_frame(d, &r1, f, n), ==,
                    QV_RXD_STA_DD | QV_RXD_STA_EOP);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_CSUM_ERR), ==, 1);

    /* IPv4 UDP without a checksum: nothing to verify, no error. */
    n = udp4_frame(f, mac1, 20);
    stw_be_p(f + 14 + 20 + 6, 0);
    qv_inject(d, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 3);
    g_assert_cmphex(expect_frame(d, &r1, f, n), ==,
                    QV_RXD_STA_DD | QV_RXD_STA_EOP);

    n = tcp6_frame(f, mac1, 101);
    qv_inject(d, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 4);
    g_assert_cmphex(expect_frame(d, &r1, f, n), ==,
                    QV_RXD_STA_DD | QV_RXD_STA_EOP | QV_RXD_STA_L4CSUM_OK);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_CSUM_ERR), ==, 1);

    /* Without QV_OFF_RX_CSUM nothing is checked or claimed. */
    n = udp4_frame(f, mac2, 33);
    f[n - 1] ^= 1;
    qv_inject(d, f, n);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 1);
    g_assert_cmphex(expect_frame(d, &r2, f, n), ==,
                    QV_RXD_STA_DD | QV_RXD_STA_EOP);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_CSUM_ERR), ==, 0);
    qv_stop(d);
}

/* ------------------------------------------- vnet header: GSO, csum */

/*
 * A tap backend with a virtio-net header, fed from the kernel side by an
 * AF_PACKET socket with PACKET_VNET_HDR: the only way to hand the device
 * GSO super-frames and partial checksums. Needs CAP_NET_ADMIN.
 */
typedef struct QvTap {
    int tap_fd;                 /* QEMU's end */
    int pkt_fd;                 /* the kernel's end */
} QvTap;

static bool qv_tap_open(QvTap *t)
{
    struct ifreq ifr = { 0 };
    struct sockaddr_ll sll = { 0 };
    int one = 1, ctl;
    bool ok;

    t->pkt_fd = -1;
    t->tap_fd = open("/dev/net/tun", O_RDWR);
    if (t->tap_fd < 0) {
        return false;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    pstrcpy(ifr.ifr_name, IFNAMSIZ, "qvrx%d");
    if (ioctl(t->tap_fd, TUNSETIFF, &ifr) < 0) {
        close(t->tap_fd);
        return false;
    }
    ctl = socket(AF_INET, SOCK_DGRAM, 0);
    ok = ctl >= 0 && ioctl(ctl, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    ok = ok && ioctl(ctl, SIOCSIFFLAGS, &ifr) == 0;
    if (ctl >= 0) {
        close(ctl);
    }
    t->pkt_fd = ok ? socket(AF_PACKET, SOCK_RAW, 0) : -1;
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = if_nametoindex(ifr.ifr_name);
    if (t->pkt_fd < 0 ||
        setsockopt(t->pkt_fd, SOL_PACKET, PACKET_VNET_HDR, &one,
                   sizeof(one)) < 0 ||
        bind(t->pkt_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        if (t->pkt_fd >= 0) {
            close(t->pkt_fd);
        }
        close(t->tap_fd);
        return false;
    }
    return true;
}

/*
 * The device (max-vfs=2) on a tap opened by qv_tap_open(), or NULL (the
 * test skipped) without one.
 */
static QvDev *qv_tap_start(QvTap *t)
{
    g_autofree char *netdev = NULL;
    QvDev *d;

    if (!qv_tap_open(t)) {
        g_test_skip("no tap device (needs /dev/net/tun and CAP_NET_ADMIN)");
        return NULL;
    }
    netdev = g_strdup_printf("-netdev tap,fd=%d,id=hs0", t->tap_fd);
    d = qv_start_netdev("max-vfs=2", netdev, NULL);
    close(t->tap_fd);
    return d;
}

static void qv_tap_send(QvTap *t, const struct virtio_net_hdr *vh,
                        const uint8_t *frame, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(sizeof(*vh) + len);

    memcpy(buf, vh, sizeof(*vh));
    memcpy(buf + sizeof(*vh), frame, len);
    g_assert_cmpint(send(t->pkt_fd, buf, sizeof(*vh) + len, 0), ==,
                    sizeof(*vh) + len);
}

/*
 * IPv4/TCP frame whose checksum field holds the pseudo-header sum only,
 * as a stack leaves it for checksum offload.
 */
static size_t tcp4_partial(uint8_t *f, const uint8_t *dst, size_t plen)
{
    uint8_t *ip = f + 14, *tcp = ip + 20;
    size_t tlen = 20 + plen, i;
    uint32_t s;

    qv_frame(f, dst, src_mac, 0x0800, 14 + 20 + tlen);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    stw_be_p(ip + 2, 20 + tlen);
    ip[6] = 0x40;                       /* DF */
    ip[8] = 64;
    ip[9] = 6;
    stl_be_p(ip + 12, 0x0a000001);
    stl_be_p(ip + 16, 0x0a000002);
    stw_be_p(ip + 10, fold(qv_csum_add(0, ip, 20)));
    memset(tcp, 0, 20);
    stw_be_p(tcp, 80);
    stw_be_p(tcp + 2, 4321);
    tcp[12] = 5 << 4;
    tcp[13] = 0x18;                     /* PSH, ACK */
    for (i = 0; i < plen; i++) {
        tcp[20 + i] = i * 5 + 3;
    }
    s = qv_csum_add(0, ip + 12, 8) + 6 + tlen;
    stw_be_p(tcp + 16, ~fold(s) & 0xffff);
    return 14 + 20 + tlen;
}

/*
 * IPv4/TCP frame with 40 bytes of IP options and 40 of TCP options (NOPs),
 * 134 bytes of headers in all, checksum field as tcp4_partial().
 */
static size_t tcp4_opts_partial(uint8_t *f, const uint8_t *dst, size_t plen)
{
    uint8_t *ip = f + 14, *tcp = ip + 60;
    size_t tlen = 60 + plen, i;
    uint32_t s;

    qv_frame(f, dst, src_mac, 0x0800, 14 + 60 + tlen);
    memset(ip, 1, 60 + 60);             /* NOP options */
    ip[0] = 0x4f;
    stw_be_p(ip + 2, 60 + tlen);
    stw_be_p(ip + 4, 0);
    stw_be_p(ip + 6, 0x4000);           /* DF */
    ip[8] = 64;
    ip[9] = 6;
    stw_be_p(ip + 10, 0);
    stl_be_p(ip + 12, 0x0a000001);
    stl_be_p(ip + 16, 0x0a000002);
    stw_be_p(ip + 10, fold(qv_csum_add(0, ip, 60)));
    stw_be_p(tcp, 80);
    stw_be_p(tcp + 2, 4321);
    stl_be_p(tcp + 4, 0);
    stl_be_p(tcp + 8, 0);
    tcp[12] = 15 << 4;
    tcp[13] = 0x18;
    stw_be_p(tcp + 14, 0xffff);
    stw_be_p(tcp + 18, 0);
    for (i = 0; i < plen; i++) {
        tcp[60 + i] = i * 7 + 1;
    }
    s = qv_csum_add(0, ip + 12, 8) + 6 + tlen;
    stw_be_p(tcp + 16, ~fold(s) & 0xffff);
    return 14 + 60 + tlen;
}

static bool tcp4_csum_ok(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t tlen = len - 14 - 20;
    uint32_t sum = qv_csum_add(0, ip + 12, 8) + 6 + tlen;

    return fold(qv_csum_add(sum, ip + 20, tlen)) == 0;
}

/*
 * The next frames on @r are super-frame @f (@n bytes, from tcp4_partial())
 * cut at @mss: each with its own IP length and checksum, TCP sequence
 * number and checksum, FIN and PSH (as @f had them) on the last only, and
 * no GSO status.
 */
static void assert_segments(QvDev *d, QvRing *r, const uint8_t *f, size_t n,
                            size_t mss)
{
    g_autofree uint8_t *got = g_malloc(8192);
    size_t plen = n - 54, off, len;
    uint8_t flags = f[34 + 13];
    uint16_t status, gso;

    for (off = 0; off < plen; off += mss) {
        len = 54 + MIN(mss, plen - off);
        g_assert_cmpint(qv_rx_take(d, r, got, 8192, &status, NULL, &gso),
                        ==, len);
        g_assert_cmphex(status, ==, QV_RXD_STA_DD | QV_RXD_STA_EOP |
                        QV_RXD_STA_L4CSUM_OK);
        g_assert_cmpuint(gso, ==, 0);
        g_assert_cmpuint(lduw_be_p(got + 14 + 2), ==, len - 14);
        g_assert_cmphex(fold(qv_csum_add(0, got + 14, 20)), ==, 0);
        g_assert_cmpuint(ldl_be_p(got + 34 + 4), ==, off);
        g_assert_cmphex(got[34 + 13], ==,
                        (off + mss >= plen ? flags : flags & ~0x09));
        g_assert_true(tcp4_csum_ok(got, len));
        g_assert_cmpmem(got + 54, len - 54, f + 54 + off, len - 54);
    }
}

static void test_rx_vnet_gso(void)
{
    g_autofree uint8_t *f = g_malloc(8192);
    g_autofree uint8_t *got = g_malloc(8192);
    struct virtio_net_hdr vh = { 0 };
    uint16_t status, gso;
    uint8_t mac1[6];
    QvTap t;
    QvDev *d;
    QvRing r;
    size_t n;

    d = qv_tap_start(&t);
    if (!d) {
        return;
    }
    qv_enable_vfs(d, 1);
    qv_fn_mac(d, 1, mac1);
    /*
     * Every receiver takes large frames: the device lets the tap send
     * them unsegmented, with checksums left to it.
     */
    qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_LRO | QV_OFF_RX_CSUM);
    start_rx(d, 1, &r, 16, 2048);

    /* A 4000-byte TSO super-frame: 54 header bytes + 1448 <= 1514. */
    n = tcp4_partial(f, mac1, 4000);
    vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    vh.hdr_len = 54;
    vh.gso_size = 1448;
    vh.csum_start = 34;
    vh.csum_offset = 16;
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);
    g_assert_cmpint(qv_rx_take(d, &r, got, 8192, &status, NULL, &gso), ==,
                    n);
    g_assert_cmphex(status, ==, QV_RXD_STA_DD | QV_RXD_STA_L4CSUM_OK |
                    QV_RXD_STA_GSO_TCPV4);
    g_assert_cmpuint(gso, ==, 1448);
    /* The device filled in the checksum; everything else is untouched. */
    g_assert_true(tcp4_csum_ok(got, n));
    g_assert_cmpmem(got, 50, f, 50);
    g_assert_cmpmem(got + 52, n - 52, f + 52, n - 52);

    /* Segments of 1500 bytes would exceed the MTU: dropped. */
    vh.gso_size = 1500;
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 1, QV_STAT_DROP_LENGTH, 1);

    /*
     * A super-frame the tap queued while the function took large frames,
     * read after it stopped taking them (the VM stopped meanwhile, so
     * QEMU did not read the tap): cut into segments, not handed whole to
     * a driver that turned large receive off.
     */
    vh.gso_size = 1448;
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'stop' }");
    qv_tap_send(&t, &vh, f, n);
    qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_RX_CSUM);
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'cont' }");
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 4);
    assert_segments(d, &r, f, n, 1448);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_LENGTH), ==, 1);
    qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_LRO | QV_OFF_RX_CSUM);

    /* A plain frame with a partial checksum: completed, not GSO. */
    n = tcp4_partial(f, mac1, 333);
    vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
    vh.gso_size = 0;
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 5);
    g_assert_cmpint(qv_rx_take(d, &r, got, 8192, &status, NULL, &gso), ==,
                    n);
    g_assert_cmphex(status, ==, QV_RXD_STA_DD | QV_RXD_STA_EOP |
                    QV_RXD_STA_L4CSUM_OK);
    g_assert_cmpuint(gso, ==, 0);
    g_assert_true(tcp4_csum_ok(got, n));
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_CSUM_ERR), ==, 0);

    /*
     * No checksum state from the backend (a packet socket cannot hand the
     * tap DATA_VALID, so that path is only reviewed, not tested): with
     * QV_OFF_RX_CSUM the device checks in software; this checksum holds
     * only the pseudo-header sum, so it is wrong.
     */
    vh.flags = 0;
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 6);
    g_assert_cmpint(qv_rx_take(d, &r, got, 8192, &status, NULL, NULL), ==,
                    n);
    g_assert_cmphex(status, ==, QV_RXD_STA_DD | QV_RXD_STA_EOP);
    g_assert_cmpmem(got, n, f, n);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_CSUM_ERR), ==, 1);
    close(t.pkt_fd);
    qv_stop(d);
}

/* @vh for a TCP super-frame: TCP at @l4off, @hdr_len bytes of headers. */
static void vh_tcp4(struct virtio_net_hdr *vh, uint16_t l4off,
                    uint16_t hdr_len, uint16_t gso_size)
{
    vh->csum_start = l4off;
    vh->hdr_len = hdr_len;
    vh->gso_size = gso_size;
}

/*
 * One tenant turning large receive off does not take it from the others:
 * with VF 2 receiving without LRO, the tap still hands VF 1 its TCP as
 * super-frames, and a super-frame for VF 2 is cut into segments for it.
 * Before, VF 2's setting turned the tap's offloads off for every
 * function, and VF 1 got frames of the MTU.
 */
static void test_rx_vnet_gso_mixed(void)
{
    g_autofree uint8_t *f = g_malloc(QV_TX_MAX_FRAME);
    g_autofree uint8_t *got = g_malloc(8192);
    struct virtio_net_hdr vh = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
        .hdr_len = 54,
        .gso_size = 1448,
        .csum_start = 34,
        .csum_offset = 16,
    };
    const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint16_t status, gso;
    uint8_t mac1[6], mac2[6];
    QvTap t;
    QvDev *d;
    QvRing r1, r2;
    size_t n;

    d = qv_tap_start(&t);
    if (!d) {
        return;
    }
    qv_enable_vfs(d, 2);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);
    qv_wr(d, 1, QV_FN_OFFLOADS, QV_OFF_LRO | QV_OFF_RX_CSUM);
    start_rx(d, 1, &r1, 16, 2048);
    start_rx(d, 2, &r2, 16, 2048);

    n = tcp4_partial(f, mac1, 4000);
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);
    g_assert_cmpint(qv_rx_take(d, &r1, got, 8192, &status, NULL, &gso), ==,
                    n);
    g_assert_cmphex(status, ==, QV_RXD_STA_DD | QV_RXD_STA_L4CSUM_OK |
                    QV_RXD_STA_GSO_TCPV4);
    g_assert_cmpuint(gso, ==, 1448);

    /* The last segment gets the FIN and PSH the super-frame had. */
    n = tcp4_partial(f, mac2, 4000);
    f[34 + 13] |= 0x01;
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 2, QV_STAT_RX_PACKETS, 3);
    assert_segments(d, &r2, f, n, 1448);

    /*
     * A peer does not make one frame into many segments to cut: not with
     * a tiny gso_size, not to a group address (every function would cut
     * it), not past the bytes the TX path lets a TSO frame put on the
     * wire (134 bytes of headers at gso_size 64: 1001 segments, 198134
     * bytes). Each is one length drop; before, the last two were cut.
     */
    vh.gso_size = QV_TSO_MSS_MIN - 1;
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 2, QV_STAT_DROP_LENGTH, 1);
    vh.gso_size = 1448;
    n = tcp4_partial(f, bcast, 4000);
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 2, QV_STAT_DROP_LENGTH, 2);
    /* VF 1 takes it whole, as any super-frame. */
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 2);
    g_assert_cmpint(qv_rx_take(d, &r1, got, 8192, &status, NULL, &gso), ==,
                    n);
    g_assert_cmpuint(gso, ==, 1448);
    vh_tcp4(&vh, 74, 134, QV_TSO_MSS_MIN);
    n = tcp4_opts_partial(f, mac2, 64000);
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 2, QV_STAT_DROP_LENGTH, 3);
    g_assert_cmpuint(qv_stat(d, 2, QV_STAT_RX_PACKETS), ==, 3);

    /*
     * VF 1's ingress bucket is set shallower than a super-frame, as the
     * PF may: the super-frame is cut, and its segments are policed as
     * they were on the wire, two of 1502 bytes passing the 3200-byte
     * bucket and the third dropped. Before, the whole 4054 bytes never
     * conformed: one rate drop, and nothing got through.
     */
    qv_mg_wr(d, 1, QV_MG_RX_BURST, 3200);
    qv_mg_wr(d, 1, QV_MG_RX_RATE_LO, 1000000000);
    vh_tcp4(&vh, 34, 54, 1448);
    n = tcp4_partial(f, mac1, 4000);
    qv_tap_send(&t, &vh, f, n);
    wait_stat(d, 1, QV_STAT_DROP_RATE, 1);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_PACKETS), ==, 4);
    g_assert_cmpint(qv_rx_take(d, &r1, got, 8192, &status, NULL, &gso), ==,
                    54 + 1448);
    g_assert_cmpuint(gso, ==, 0);
    close(t.pkt_fd);
    qv_stop(d);
}

/* ------------------------------------------------------ broken RX rings */

/*
 * Each VF breaks its ring a different way; each must end up stopped with
 * QV_STATUS_RX_RING_ERR and a QV_MISC_RING_ERR interrupt, its frame
 * counted, QEMU alive, and the healthy VF unaffected.
 */
static void test_rx_bad_rings(void)
{
    QvDev *d = qv_start("max-vfs=10", NULL);
    QvRing r[11];
    uint8_t mac[11][6], f[128];
    int bad[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    unsigned drop[] = { QV_STAT_DROP_RING_FULL };
    int fn;

    qv_enable_vfs(d, 10);
    for (fn = 1; fn <= 10; fn++) {
        start_rx(d, fn, &r[fn], 16, 2048);
        qv_fn_mac(d, fn, mac[fn]);
    }
    /* 1: ring in unmapped memory. */
    qv_wr(d, 1, QV_FN_RX_BASE_HI, 0x40);
    /* 2: size 0. 3: size not a multiple of 16. */
    qv_wr(d, 2, QV_FN_RX_SIZE, 0);
    qv_wr(d, 3, QV_FN_RX_SIZE, 100);
    /* 4: tail beyond the ring. */
    qv_wr(d, 4, QV_FN_RX_TAIL, 100);
    /* 5: descriptors in the PF's own register BAR. */
    qv_wr(d, 5, QV_FN_RX_BASE_LO, QV_T_PF_BAR0);
    qv_wr(d, 5, QV_FN_RX_BASE_HI, 0);
    /* 6: buffer in the PF's register BAR (device-wide registers). */
    qtest_writeq(d->qts, r[6].base + QV_RXD_ADDR, QV_T_PF_BAR0 + QV_DEV_BASE);
    /* 7: buffer size below the minimum. */
    qv_wr(d, 7, QV_FN_RX_BUF_SIZE, 100);
    /* 8: buffer in the VF's own register BAR, aimed at its CTRL. */
    qtest_writeq(d->qts, r[8].base + QV_RXD_ADDR, qv_fn_bar0(d, 8));
    /* 9: misaligned base. */
    qv_wr(d, 9, QV_FN_RX_BASE_LO, (uint32_t)r[9].base + 8);

    for (fn = 1; fn <= 10; fn++) {
        /* All ones: whatever lands in a register sets every bit. */
        qv_frame(f, mac[fn], src_mac, ETYPE_TEST, 100);
        memset(f + 6, 0xff, 94);
        qv_inject(d, f, 100);
    }
    qv_wait_stat_sum(d, bad, ARRAY_SIZE(bad), drop, 1, ARRAY_SIZE(bad));
    wait_stat(d, 10, QV_STAT_RX_PACKETS, 1);
    expect_frame(d, &r[10], f, 100);

    for (fn = 1; fn <= 9; fn++) {
        g_assert_cmpuint(qv_mg_stat(d, fn, QV_STAT_RX_PACKETS), ==, 0);
        g_assert_cmpuint(qv_mg_stat(d, fn, QV_STAT_DROP_RING_FULL), ==, 1);
        g_assert_cmphex(qv_rd(d, fn, QV_FN_STATUS) & QV_STATUS_RX_RING_ERR,
                        ==, QV_STATUS_RX_RING_ERR);
        g_assert_cmphex(qv_rd(d, fn, QV_FN_MISC_CAUSE) & QV_MISC_RING_ERR,
                        ==, QV_MISC_RING_ERR);
        g_assert_true(qv_irq_fired(d, fn, QV_VEC_MISC));
        g_assert_cmpuint(qv_stat(d, fn, QV_STAT_BUF_OCCUPANCY), ==, 0);
    }
    g_assert_cmphex(qv_rd(d, 10, QV_FN_STATUS) & QV_STATUS_RX_RING_ERR, ==,
                    0);
    g_assert_false(qv_irq_fired(d, 10, QV_VEC_MISC));
    /* The device registers were not written by the stray DMA. */
    g_assert_cmphex(qv_rd(d, 8, QV_FN_ID), ==, QV_ID_MAGIC);
    g_assert_cmphex(qv_rd(d, 8, QV_FN_CTRL), ==,
                    QV_CTRL_RX_EN | QV_CTRL_TX_EN);

    /* A stopped ring takes nothing more; the others carry on. */
    qv_inject(d, f, 100);
    qv_frame(f, mac[1], src_mac, ETYPE_TEST, 100);
    qv_inject(d, f, 100);
    wait_stat(d, 1, QV_STAT_DROP_RING_FULL, 2);
    wait_stat(d, 10, QV_STAT_RX_PACKETS, 2);

    /* Recovery: fix the ring, re-enable RX. */
    qv_wr(d, 1, QV_FN_RX_BASE_HI, 0);
    qv_wr(d, 1, QV_FN_CTRL, 0);
    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RX_EN);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_STATUS) & QV_STATUS_RX_RING_ERR, ==, 0);
    qv_inject(d, f, 100);
    wait_stat(d, 1, QV_STAT_RX_PACKETS, 1);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_STATUS) & QV_STATUS_RX_RING_ERR, ==, 0);
    qv_stop(d);
}

/* ------------------------------------------------------- random guest */

/*
 * A guest doing random things to the RX registers, the management window
 * and its descriptors (including addresses in the device's own BAR) while
 * frames of random sizes arrive and virtual time moves: QEMU must survive
 * with consistent buffer accounting. Fixed seeds, so a failure replays.
 */
#define RANDOM_OPTS "max-vfs=8,buffer-size=65536,dma-rate=5000000"

static void random_guest(guint32 seed)
{
    QvDev *d = qv_start(RANDOM_OPTS, NULL);
    static const uint32_t regs[] = {
        QV_FN_RX_BASE_LO, QV_FN_RX_BASE_HI, QV_FN_RX_SIZE, QV_FN_RX_TAIL,
        QV_FN_RX_BUF_SIZE, QV_FN_CTRL, QV_FN_MTU, QV_FN_OFFLOADS,
        QV_FN_RX_FILTER,
    };
    static const uint32_t mregs[] = {
        QV_MG_PRIO, QV_MG_WEIGHT, QV_MG_BUF_RESERVE, QV_MG_BUF_ALPHA,
        QV_MG_RX_RATE_LO, QV_MG_RX_BURST, QV_MG_VLAN, QV_MG_FLAGS,
    };
    uint8_t macs[9][6], f[9200];
    QvRing r[9];
    GRand *g = g_rand_new_with_seed(seed);
    QvDev *d2;
    int fn, i;

    qv_enable_vfs(d, 8);
    for (fn = 0; fn <= 8; fn++) {
        qv_fn_start(d, fn);
        qv_rx_setup(d, fn, &r[fn], 32, 2048, true);
        qv_fn_mac(d, fn, macs[fn]);
    }
    for (i = 0; i < 4000; i++) {
        int op = g_rand_int_range(g, 0, 10);

        fn = g_rand_int_range(g, 0, 9);
        if (op < 4) {
            size_t len = g_rand_int_range(g, 0, 3) ?
                         g_rand_int_range(g, 14, 1600) :
                         g_rand_int_range(g, 0, 9200);
            const uint8_t *dst = g_rand_int_range(g, 0, 8) ? macs[fn]
                                                           : qv_bcast;

            memset(f, g_rand_int(g), sizeof(f));
            memcpy(f, dst, 6);
            if (len >= 14 && g_rand_boolean(g)) {
                stw_be_p(f + 12, g_rand_boolean(g) ? 0x8100 : 0x0800);
            }
            if (len) {
                qv_inject(d, f, len);
            }
        } else if (op == 4) {
            uint32_t v = g_rand_int(g);
            uint32_t reg = regs[g_rand_int_range(g, 0, ARRAY_SIZE(regs))];

            if (g_rand_boolean(g)) {
                v &= 0xffff;
            }
            if (reg == QV_FN_CTRL) {
                v &= g_rand_boolean(g) ? 3 : 0x80000003;
            }
            qv_wr(d, fn, reg, v);
        } else if (op == 5) {
            uint32_t v = g_rand_boolean(g) ? g_rand_int(g)
                                           : g_rand_int_range(g, 0, 70000);

            qv_mg_wr(d, fn, mregs[g_rand_int_range(g, 0, ARRAY_SIZE(mregs))],
                     v);
        } else if (op == 6) {
            /* Aim a buffer at the device's BAR, or anywhere at all. */
            uint64_t a = g_rand_boolean(g) ?
                QV_T_PF_BAR0 + g_rand_int_range(g, 0, QV_PF_BAR0_SIZE) :
                (uint64_t)g_rand_int(g) << g_rand_int_range(g, 0, 16);

            qtest_writeq(d->qts, r[fn].base +
                         g_rand_int_range(g, 0, 32) * QV_RXD_SIZE, a);
        } else if (op == 7) {
            qv_step(d, g_rand_int_range(g, 1, 5000000));
        } else if (op == 8) {
            qv_wr(d, fn, QV_FN_RX_TAIL, g_rand_int_range(g, 0, 32));
        } else {
            qv_sync(d);
        }
    }
    g_assert_cmphex(qv_rd(d, 0, QV_FN_ID), ==, QV_ID_MAGIC);
    g_rand_free(g);
    /*
     * Hold frames everywhere, then migrate: the destination's post_load
     * checks that every cell is on exactly one chain and that all the
     * counters agree, so any leak or corruption fails here.
     */
    for (fn = 0; fn <= 8; fn++) {
        qv_wr(d, fn, QV_FN_CTRL, QV_CTRL_RX_EN);
        qv_wr(d, fn, QV_FN_RX_TAIL, qv_rd(d, fn, QV_FN_RX_HEAD));
        memcpy(f, macs[fn], 6);
        qv_inject(d, f, 300);
    }
    qv_sync(d);
    for (fn = 0; fn <= 8; fn++) {
        assert_account(d, fn);
    }
    d2 = qv_migrate(d, RANDOM_OPTS);
    qv_stop(d);
    g_assert_cmphex(qv_rd(d2, 0, QV_FN_ID), ==, QV_ID_MAGIC);
    for (fn = 0; fn <= 8; fn++) {
        assert_account(d2, fn);
    }
    qv_stop(d2);
}

static void test_rx_random_guest(void)
{
    random_guest(1);
    random_guest(2);
    random_guest(3);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/rx/vf-ring", test_rx_vf_ring);
    qtest_add_func("/qosvnic/rx/first-len", test_rx_first_len);
    qtest_add_func("/qosvnic/rx/classify-64", test_rx_classify_64);
    qtest_add_func("/qosvnic/rx/duplicate-mac-owner",
                   test_rx_duplicate_mac_owner);
    qtest_add_func("/qosvnic/rx/bcast-mcast-promisc",
                   test_rx_bcast_mcast_promisc);
    qtest_add_func("/qosvnic/rx/vlan-length", test_rx_vlan_length);
    qtest_add_func("/qosvnic/rx/flood-port-vlan", test_rx_flood_port_vlan);
    qtest_add_func("/qosvnic/rx/link-down", test_rx_link_down);
    qtest_add_func("/qosvnic/rx/admission-account",
                   test_rx_admission_account);
    qtest_add_func("/qosvnic/rx/csum", test_rx_csum);
    qtest_add_func("/qosvnic/rx/vnet-gso", test_rx_vnet_gso);
    qtest_add_func("/qosvnic/rx/vnet-gso-mixed", test_rx_vnet_gso_mixed);
    qtest_add_func("/qosvnic/rx/bad-rings", test_rx_bad_rings);
    qtest_add_func("/qosvnic/rx/random-guest", test_rx_random_guest);
    return g_test_run();
}
