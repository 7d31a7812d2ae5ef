/*
 * qosvnic qtest: the host control plane. query-qosvnic against the
 * registers, qosvnic-set-vf and its validation, host ceilings against
 * guest writes, the effect of a QMP rate change on admission, the
 * QOSVNIC_VF_DROPPING event and the HMP commands.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qjson.h"
#include "qapi/error.h"
#include "qosvnic-qtest-lib.h"

#define ETYPE_TEST      0x88b5          /* IEEE local experimental */

static const uint8_t src_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* Management fields the host can cap, offsets 0x10..0x30. */
static const uint32_t qos_regs[] = {
    QV_MG_RX_RATE_LO, QV_MG_RX_RATE_HI, QV_MG_RX_BURST, QV_MG_TX_MAX_RATE,
    QV_MG_TX_MIN_RATE, QV_MG_PRIO, QV_MG_WEIGHT, QV_MG_BUF_RESERVE,
    QV_MG_BUF_ALPHA,
};

static uint64_t qd_u64(QDict *d, const char *key)
{
    QNum *n = qobject_to(QNum, qdict_get(d, key));

    g_assert_nonnull(n);
    return qnum_get_uint(n);
}

/* Send a command with JSON @args (an object); return the response. */
static QDict *qmp_cmd(QvDev *d, const char *cmd, const char *args)
{
    QObject *a = qobject_from_json(args, &error_abort);

    return qtest_qmp(d->qts, "{'execute': %s, 'arguments': %p}", cmd, a);
}

static QDict *set_vf(QvDev *d, int vf, const char *settings)
{
    g_autofree char *args = g_strdup_printf("{'id': 'nic0', 'vf': %d%s%s}",
                                            vf, *settings ? ", " : "",
                                            settings);

    return qmp_cmd(d, "qosvnic-set-vf", args);
}

static void set_vf_ok(QvDev *d, int vf, const char *settings)
{
    QDict *r = set_vf(d, vf, settings);

    g_assert(!qdict_haskey(r, "error"));
    qobject_unref(r);
}

/* The command must fail with an error that contains each of @want. */
static void expect_error(QDict *r, const char *const *want)
{
    QDict *err = qdict_get_qdict(r, "error");
    const char *desc;

    g_assert_nonnull(err);
    desc = qdict_get_str(err, "desc");
    for (; *want; want++) {
        if (!strstr(desc, *want)) {
            g_test_message("error '%s' lacks '%s'", desc, *want);
            g_assert_not_reached();
        }
    }
    qobject_unref(r);
}

/* query-qosvnic of nic0; returns the device entry (caller unrefs). */
static QDict *query(QvDev *d, bool all)
{
    g_autofree char *args = g_strdup_printf("{'id': 'nic0', 'all': %s}",
                                            all ? "true" : "false");
    QDict *r = qmp_cmd(d, "query-qosvnic", args);
    QList *list = qdict_get_qlist(r, "return");
    QDict *dev;

    g_assert_nonnull(list);
    g_assert_cmpuint(qlist_size(list), ==, 1);
    dev = qobject_to(QDict, qlist_peek(list));
    qobject_ref(dev);
    qobject_unref(r);
    return dev;
}

/* The entry of function @fn in a device entry (borrowed), or NULL. */
static QDict *func_of(QDict *dev, unsigned fn)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(dev, "functions"), e) {
        QDict *fi = qobject_to(QDict, qlist_entry_obj(e));

        if (qd_u64(fi, "function") == fn) {
            return fi;
        }
    }
    return NULL;
}

static char *mac_str(const uint8_t *m)
{
    return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
                           m[0], m[1], m[2], m[3], m[4], m[5]);
}

static uint64_t mg_rate(QvDev *d, int fn)
{
    return ((uint64_t)qv_mg_rd(d, fn, QV_MG_RX_RATE_HI) << 32) |
           qv_mg_rd(d, fn, QV_MG_RX_RATE_LO);
}

/* Every field of a function's query entry equals its register. */
static void check_func_matches_regs(QvDev *d, QDict *fi, int fn)
{
    QDict *c = qdict_get_qdict(fi, "config");
    QDict *st = qdict_get_qdict(fi, "stats");
    uint32_t vlan = qv_mg_rd(d, fn, QV_MG_VLAN);
    uint32_t flags = qv_mg_rd(d, fn, QV_MG_FLAGS);
    static const char *const link[] = { "auto", "enable", "disable" };
    static const struct {
        const char *name;
        unsigned idx;
    } stats[] = {
        { "rx-packets", QV_STAT_RX_PACKETS },
        { "rx-bytes", QV_STAT_RX_BYTES },
        { "tx-packets", QV_STAT_TX_PACKETS },
        { "tx-bytes", QV_STAT_TX_BYTES },
        { "rx-broadcast", QV_STAT_RX_BCAST },
        { "rx-multicast", QV_STAT_RX_MCAST },
        { "drop-rate", QV_STAT_DROP_RATE },
        { "drop-buffer", QV_STAT_DROP_BUFFER },
        { "drop-ring-full", QV_STAT_DROP_RING_FULL },
        { "drop-length", QV_STAT_DROP_LENGTH },
        { "drop-vlan", QV_STAT_DROP_VLAN },
        { "drop-link-down", QV_STAT_DROP_LINK_DOWN },
        { "tx-drop-spoof", QV_STAT_TX_DROP_SPOOF },
        { "tx-drop-bad", QV_STAT_TX_DROP_BAD },
        { "tx-throttled", QV_STAT_TX_THROTTLED },
        { "rx-csum-errors", QV_STAT_RX_CSUM_ERR },
        { "buf-occupancy", QV_STAT_BUF_OCCUPANCY },
        { "buf-peak", QV_STAT_BUF_PEAK },
        { "loopback-rx", QV_STAT_LOOPBACK_RX },
        { "drop-no-owner", QV_STAT_DROP_NO_OWNER },
        { "tx-drop-link-down", QV_STAT_TX_DROP_LINK_DOWN },
        { "rx-admitted", QV_STAT_RX_ADMITTED },
        { "rx-discarded", QV_STAT_RX_DISCARDED },
        { "buf-frames", QV_STAT_BUF_FRAMES },
    };
    uint8_t mac[6];
    g_autofree char *ms = NULL;
    unsigned i;

    stl_le_p(mac, qv_mg_rd(d, fn, QV_MG_MAC_LO));
    stw_le_p(mac + 4, qv_mg_rd(d, fn, QV_MG_MAC_HI));
    ms = mac_str(mac);
    g_assert_cmpstr(qdict_get_str(c, "mac"), ==, ms);
    g_assert_cmpuint(qd_u64(c, "vlan"), ==, vlan & QV_VLAN_VID_MASK);
    g_assert_cmpuint(qd_u64(c, "vlan-qos"), ==, vlan >> QV_VLAN_QOS_SHIFT);
    g_assert_cmpint(qdict_get_bool(c, "trust"), ==, !!(flags & QV_MGF_TRUST));
    g_assert_cmpint(qdict_get_bool(c, "spoofcheck"), ==,
                    !!(flags & QV_MGF_SPOOFCHK));
    g_assert_cmpstr(qdict_get_str(c, "link-state"), ==,
                    link[(flags & QV_MGF_LINK_MASK) >> QV_MGF_LINK_SHIFT]);
    g_assert_cmpuint(qd_u64(c, "rx-rate"), ==, mg_rate(d, fn));
    g_assert_cmpuint(qd_u64(c, "rx-burst"), ==,
                     qv_mg_rd(d, fn, QV_MG_RX_BURST));
    g_assert_cmpuint(qd_u64(c, "tx-max-rate"), ==,
                     qv_mg_rd(d, fn, QV_MG_TX_MAX_RATE));
    g_assert_cmpuint(qd_u64(c, "tx-min-rate"), ==,
                     qv_mg_rd(d, fn, QV_MG_TX_MIN_RATE));
    g_assert_cmpuint(qd_u64(c, "priority"), ==, qv_mg_rd(d, fn, QV_MG_PRIO));
    g_assert_cmpuint(qd_u64(c, "weight"), ==, qv_mg_rd(d, fn, QV_MG_WEIGHT));
    g_assert_cmpuint(qd_u64(c, "buf-reserve"), ==,
                     qv_mg_rd(d, fn, QV_MG_BUF_RESERVE));
    g_assert_cmpuint(qd_u64(c, "buf-alpha"), ==,
                     qv_mg_rd(d, fn, QV_MG_BUF_ALPHA));
    g_assert_cmpuint(qd_u64(fi, "host-limits-mask"), ==,
                     qv_mg_rd(d, fn, QV_MG_HOST_LIMITS));
    if (qdict_get_bool(fi, "enabled")) {      /* a VF's BAR is mapped */
        g_assert_cmpint(qdict_get_bool(fi, "link-up"), ==,
                        !!(qv_rd(d, fn, QV_FN_STATUS) & QV_STATUS_LINK_UP));
    }
    for (i = 0; i < ARRAY_SIZE(stats); i++) {
        g_assert_cmpuint(qd_u64(st, stats[i].name), ==,
                         qv_mg_stat(d, fn, stats[i].idx));
    }
}

static void wait_stat(QvDev *d, int fn, unsigned idx, uint64_t want)
{
    int fns[] = { fn };
    unsigned idxs[] = { idx };

    qv_wait_stat_sum(d, fns, 1, idxs, 1, want);
}

static void inject_n(QvDev *d, const uint8_t *dst, size_t len, int n)
{
    uint8_t frame[1514];
    int i;

    qv_frame(frame, dst, src_mac, ETYPE_TEST, len);
    for (i = 0; i < n; i++) {
        qv_inject(d, frame, len);
    }
}

/* query-qosvnic reports exactly what the registers hold. */
static void test_query_matches_registers(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=8,buffer-size=262144,"
                        "line-rate=1000,dma-rate=125000000", NULL);
    uint8_t mac1[6];
    QDict *dev, *r;
    int fn;

    qv_enable_vfs(d, 2);
    /* The guest's PF driver programs VF 1 (fn 2). */
    qv_set_rx_rate(d, 2, 5000000000ULL, 3000);
    qv_mg_wr(d, 2, QV_MG_TX_MAX_RATE, 500);
    qv_mg_wr(d, 2, QV_MG_TX_MIN_RATE, 100);
    qv_mg_wr(d, 2, QV_MG_PRIO, 5);
    qv_mg_wr(d, 2, QV_MG_WEIGHT, 9);
    qv_mg_wr(d, 2, QV_MG_BUF_ALPHA, 32);
    qv_mg_wr(d, 2, QV_MG_BUF_RESERVE, 4096);
    qv_mg_wr(d, 2, QV_MG_VLAN, 100 | (3 << QV_VLAN_QOS_SHIFT));
    qv_mg_wr(d, 2, QV_MG_FLAGS, QV_MGF_TRUST |
             (QV_LINK_DISABLE << QV_MGF_LINK_SHIFT));
    /* Some statistics: frames for VF 0, whose receiver is off. */
    qv_fn_mac(d, 1, mac1);
    inject_n(d, mac1, 100, 3);
    wait_stat(d, 1, QV_STAT_DROP_LINK_DOWN, 3);

    dev = query(d, false);
    g_assert_cmpstr(qdict_get_str(dev, "id"), ==, "nic0");
    g_assert_cmpstr(qdict_get_str(dev, "qom-path"), ==,
                    "/machine/peripheral/nic0");
    g_assert_cmpuint(qd_u64(dev, "max-vfs"), ==,
                     qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_MAX_VFS));
    g_assert_cmpuint(qd_u64(dev, "num-vfs"), ==,
                     qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_NUM_VFS));
    g_assert_cmpuint(qd_u64(dev, "num-vfs"), ==, 2);
    g_assert_cmpuint(qd_u64(dev, "buffer-size"), ==,
                     qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_BUF_TOTAL));
    g_assert_cmpuint(qd_u64(dev, "buffer-shared-free"), ==,
                     qtest_readl(d->qts,
                                 QV_T_PF_BAR0 + QV_DEV_BUF_SHARED_FREE));
    g_assert_cmpuint(qd_u64(dev, "line-rate"), ==,
                     qtest_readl(d->qts, QV_T_PF_BAR0 + QV_DEV_LINE_RATE));
    g_assert_cmpuint(qd_u64(dev, "dma-rate"), ==,
                     qtest_readq(d->qts, QV_T_PF_BAR0 + QV_DEV_DMA_RATE_LO));
    g_assert_cmpuint(qd_u64(dev, "dma-rate"), ==, 125000000);
    g_assert_true(qdict_get_bool(dev, "link-up"));
    /* The PF and the two enabled VFs. */
    g_assert_cmpuint(qlist_size(qdict_get_qlist(dev, "functions")), ==, 3);
    g_assert_false(qdict_haskey(func_of(dev, 0), "vf"));
    g_assert_cmpuint(qd_u64(func_of(dev, 2), "vf"), ==, 1);
    for (fn = 0; fn <= 2; fn++) {
        g_assert_true(qdict_get_bool(func_of(dev, fn), "enabled"));
        check_func_matches_regs(d, func_of(dev, fn), fn);
    }
    g_assert_cmpuint(qd_u64(qdict_get_qdict(func_of(dev, 1), "stats"),
                            "drop-link-down"), ==, 3);
    g_assert_cmpuint(qd_u64(qdict_get_qdict(func_of(dev, 2), "config"),
                            "rx-rate"), ==, 5000000000ULL);
    qobject_unref(dev);

    /* all: every VF, enabled or not. */
    dev = query(d, true);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(dev, "functions")), ==, 9);
    g_assert_false(qdict_get_bool(func_of(dev, 5), "enabled"));
    for (fn = 0; fn <= 8; fn++) {
        check_func_matches_regs(d, func_of(dev, fn), fn);
    }
    qobject_unref(dev);

    /* Without an ID: every qosvnic device; an unknown ID is an error. */
    r = qtest_qmp(d->qts, "{'execute': 'query-qosvnic'}");
    g_assert_cmpuint(qlist_size(qdict_get_qlist(r, "return")), ==, 1);
    qobject_unref(r);
    expect_error(qmp_cmd(d, "query-qosvnic", "{'id': 'nope'}"),
                 (const char *const[]) { "nope", "not found", NULL });
    expect_error(qmp_cmd(d, "query-qosvnic", "{'id': 'rp0'}"),
                 (const char *const[]) { "rp0", "not a qosvnic", NULL });
    qv_stop(d);
}

/* qosvnic-set-vf changes the registers, for enabled and disabled VFs. */
static void test_set_changes_registers(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=8", NULL);
    uint8_t mac[6];
    QDict *dev;

    qv_enable_vfs(d, 2);
    set_vf_ok(d, 1, "'mac': '02:00:00:aa:bb:cc', 'vlan': 42, 'vlan-qos': 5,"
              "'trust': true, 'spoofcheck': false, 'link-state': 'disable',"
              "'rx-rate': 123456789012, 'rx-burst': 30000,"
              "'tx-max-rate': 900, 'tx-min-rate': 300, 'priority': 4,"
              "'weight': 77, 'buf-reserve': 8192, 'buf-alpha': 48");
    g_assert_cmphex(qv_mg_rd(d, 2, QV_MG_MAC_LO), ==, 0xaa000002);
    g_assert_cmphex(qv_mg_rd(d, 2, QV_MG_MAC_HI), ==, 0xccbb);
    qv_fn_mac(d, 2, mac);       /* the VF sees it in its own BAR */
    g_assert_cmphex(mac[3], ==, 0xaa);
    g_assert_cmphex(mac[5], ==, 0xcc);
    g_assert_cmphex(qv_mg_rd(d, 2, QV_MG_VLAN), ==,
                    42 | (5 << QV_VLAN_QOS_SHIFT));
    g_assert_cmphex(qv_mg_rd(d, 2, QV_MG_FLAGS), ==,
                    QV_MGF_TRUST | (QV_LINK_DISABLE << QV_MGF_LINK_SHIFT));
    g_assert_cmphex(qv_rd(d, 2, QV_FN_STATUS) &
                    (QV_STATUS_TRUSTED | QV_STATUS_LINK_UP), ==,
                    QV_STATUS_TRUSTED);
    g_assert_cmpuint(mg_rate(d, 2), ==, 123456789012ULL);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_RX_BURST), ==, 30000);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_TX_MAX_RATE), ==, 900);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_TX_MIN_RATE), ==, 300);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_PRIO), ==, 4);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_WEIGHT), ==, 77);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_RESERVE), ==, 8192);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_ALPHA), ==, 48);
    dev = query(d, false);
    check_func_matches_regs(d, func_of(dev, 2), 2);
    qobject_unref(dev);

    /* A subset leaves the rest alone; link back to auto. */
    set_vf_ok(d, 1, "'link-state': 'auto', 'weight': 5");
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_WEIGHT), ==, 5);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_PRIO), ==, 4);
    g_assert_cmphex(qv_mg_rd(d, 2, QV_MG_FLAGS), ==, QV_MGF_TRUST);
    g_assert_true(qv_rd(d, 2, QV_FN_STATUS) & QV_STATUS_LINK_UP);

    /* A VF the guest has not enabled can be provisioned ahead. */
    set_vf_ok(d, 6, "'rx-rate': 1000000, 'priority': 7");
    g_assert_cmpuint(mg_rate(d, 7), ==, 1000000);
    g_assert_cmpuint(qv_mg_rd(d, 7, QV_MG_PRIO), ==, 7);
    qv_stop(d);
}

/* Bad values are refused, named with value and limit; nothing changes. */
static void test_set_rejects_bad_values(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=8,buffer-size=65536", NULL);
    uint32_t before[QV_MG_HOST_LIMITS / 4 + 1], others = 0;
    g_autofree char *reserve_limit = NULL;
    g_autofree char *too_big = NULL;
    unsigned i;
    int fn;

    qv_enable_vfs(d, 1);
    set_vf_ok(d, 0, "'tx-max-rate': 100");
    for (fn = 0; fn <= 8; fn++) {
        if (fn != 1) {
            others += qv_mg_rd(d, fn, QV_MG_BUF_RESERVE);
        }
    }
    reserve_limit = g_strdup_printf("%u", 65536 - others);
    too_big = g_strdup_printf("'buf-reserve': %u", 65536 - others + 1);
    for (i = 0; i < ARRAY_SIZE(before); i++) {
        before[i] = qv_mg_rd(d, 1, i * 4);
    }

    expect_error(set_vf(d, 0, "'priority': 8"),
                 (const char *const[]) { "priority", "8", "7", NULL });
    expect_error(set_vf(d, 0, "'weight': 0"),
                 (const char *const[]) { "weight", "0", "minimum", "1",
                                         NULL });
    expect_error(set_vf(d, 0, "'weight': 1025"),
                 (const char *const[]) { "weight", "1025", "1024", NULL });
    expect_error(set_vf(d, 0, "'buf-alpha': 1025"),
                 (const char *const[]) { "buf-alpha", "1025", "1024", NULL });
    expect_error(set_vf(d, 0, "'vlan': 4096"),
                 (const char *const[]) { "vlan", "4096", "4095", NULL });
    expect_error(set_vf(d, 0, "'vlan-qos': 8"),
                 (const char *const[]) { "vlan-qos", "8", "7", NULL });
    expect_error(set_vf(d, 0, too_big),
                 (const char *const[]) { "buf-reserve", reserve_limit,
                                         NULL });
    expect_error(set_vf(d, 0, "'tx-min-rate': 101"),
                 (const char *const[]) { "tx-min-rate", "101", "100",
                                         NULL });
    expect_error(set_vf(d, 0, "'mac': '01:00:5e:00:00:01'"),
                 (const char *const[]) { "mac", "01:00:5e:00:00:01",
                                         "unicast", NULL });
    expect_error(set_vf(d, 0, "'mac': '02:00:00:00:00'"),
                 (const char *const[]) { "mac", "02:00:00:00:00", NULL });
    expect_error(set_vf(d, 8, "'priority': 1"),
                 (const char *const[]) { "vf", "8", "7", NULL });
    expect_error(qmp_cmd(d, "qosvnic-set-vf", "{'id': 'nope', 'vf': 0}"),
                 (const char *const[]) { "nope", "not found", NULL });
    /* One bad value among good ones: none of them is applied. */
    expect_error(set_vf(d, 0, "'mac': '02:00:00:00:00:99',"
                        "'rx-rate': 1000, 'priority': 3, 'weight': 2,"
                        "'trust': true, 'buf-alpha': 2000"),
                 (const char *const[]) { "buf-alpha", "2000", NULL });

    for (i = 0; i < ARRAY_SIZE(before); i++) {
        g_assert_cmphex(qv_mg_rd(d, 1, i * 4), ==, before[i]);
    }
    qv_stop(d);
}

/* Host values are ceilings; the guest may tighten, never loosen. */
static void test_host_ceilings(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=4", NULL);
    uint32_t all_caps = 0;
    QDict *dev, *h, *c;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(qos_regs); i++) {
        all_caps |= 1u << (qos_regs[i] / 4);
    }
    qv_enable_vfs(d, 1);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_HOST_LIMITS), ==, 0);
    set_vf_ok(d, 0, "'rx-rate': 10000000, 'rx-burst': 20000,"
              "'tx-max-rate': 100, 'tx-min-rate': 50, 'priority': 3,"
              "'weight': 8, 'buf-reserve': 4096, 'buf-alpha': 32");
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_HOST_LIMITS), ==, all_caps);
    g_assert_cmphex(all_caps, ==, 0x1ff0);
    g_assert_cmphex(qv_mg_rd(d, 0, QV_MG_HOST_LIMITS), ==, 0);

    /* Above the ceiling: clamped. Below: taken. 0 (= none): clamped. */
    qv_set_rx_rate(d, 1, 20000000, 20000);
    g_assert_cmpuint(mg_rate(d, 1), ==, 10000000);
    qv_set_rx_rate(d, 1, 5000000, 20000);
    g_assert_cmpuint(mg_rate(d, 1), ==, 5000000);
    qv_set_rx_rate(d, 1, 0, 20000);
    g_assert_cmpuint(mg_rate(d, 1), ==, 10000000);
    qv_set_rx_rate(d, 1, 1ULL << 40, 20000);    /* high word counts too */
    g_assert_cmpuint(mg_rate(d, 1), ==, 10000000);
    qv_mg_wr(d, 1, QV_MG_RX_BURST, 0);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_RX_BURST), ==, 20000);
    qv_mg_wr(d, 1, QV_MG_RX_BURST, 1500);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_RX_BURST), ==, 1500);
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 200);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_TX_MAX_RATE), ==, 100);
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 0);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_TX_MAX_RATE), ==, 100);
    qv_mg_wr(d, 1, QV_MG_TX_MAX_RATE, 60);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_TX_MAX_RATE), ==, 60);
    qv_mg_wr(d, 1, QV_MG_TX_MIN_RATE, 80);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_TX_MIN_RATE), ==, 50);
    qv_mg_wr(d, 1, QV_MG_PRIO, 1);              /* better class: refused */
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_PRIO), ==, 3);
    qv_mg_wr(d, 1, QV_MG_PRIO, 6);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_PRIO), ==, 6);
    qv_mg_wr(d, 1, QV_MG_WEIGHT, 100);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_WEIGHT), ==, 8);
    qv_mg_wr(d, 1, QV_MG_WEIGHT, 2);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_WEIGHT), ==, 2);
    qv_mg_wr(d, 1, QV_MG_BUF_RESERVE, 8192);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, 4096);
    qv_mg_wr(d, 1, QV_MG_BUF_RESERVE, 1024);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, 1024);
    qv_mg_wr(d, 1, QV_MG_BUF_ALPHA, 64);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_ALPHA), ==, 32);
    /* The PF's own settings are not capped. */
    qv_mg_wr(d, 0, QV_MG_WEIGHT, 100);
    g_assert_cmpuint(qv_mg_rd(d, 0, QV_MG_WEIGHT), ==, 100);

    /* The host sees the effective values and its ceilings. */
    dev = query(d, false);
    check_func_matches_regs(d, func_of(dev, 1), 1);
    h = qdict_get_qdict(func_of(dev, 1), "host-limits");
    g_assert_cmpuint(qd_u64(h, "rx-rate"), ==, 10000000);
    g_assert_cmpuint(qd_u64(h, "tx-max-rate"), ==, 100);
    g_assert_cmpuint(qd_u64(h, "priority"), ==, 3);
    g_assert_cmpuint(qd_u64(h, "buf-alpha"), ==, 32);
    h = qdict_get_qdict(func_of(dev, 0), "host-limits");
    g_assert_cmpuint(qdict_size(h), ==, 0);
    qobject_unref(dev);

    /* limit=false sets a value and lifts the ceiling on that field. */
    set_vf_ok(d, 0, "'rx-rate': 30000000, 'limit': false");
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_HOST_LIMITS), ==,
                    all_caps & ~0x30);
    g_assert_cmpuint(mg_rate(d, 1), ==, 30000000);
    qv_set_rx_rate(d, 1, 40000000, 20000);
    g_assert_cmpuint(mg_rate(d, 1), ==, 40000000);
    /* A ceiling that limits nothing is none: weight 1024. */
    set_vf_ok(d, 0, "'weight': 1024");
    g_assert_false(qv_mg_rd(d, 1, QV_MG_HOST_LIMITS) & (1u << 10));

    /* A device reset keeps the host's ceilings, at the host's values. */
    qobject_unref(qtest_qmp(d->qts, "{'execute': 'system_reset'}"));
    qobject_unref(qtest_qmp_eventwait_ref(d->qts, "RESET"));
    dev = query(d, true);
    c = qdict_get_qdict(func_of(dev, 1), "config");
    g_assert_cmpuint(qd_u64(c, "tx-max-rate"), ==, 100);
    g_assert_cmpuint(qd_u64(c, "priority"), ==, 3);
    g_assert_cmpuint(qd_u64(c, "buf-reserve"), ==, 4096);
    g_assert_cmpuint(qd_u64(c, "rx-rate"), ==, 0);     /* no ceiling now */
    g_assert_cmphex(qd_u64(func_of(dev, 1), "host-limits-mask"), ==,
                    all_caps & ~0x30 & ~(1u << 10));
    qobject_unref(dev);
    qv_stop(d);
}

/*
 * A device reset re-applies every host reserve, whatever the order of the
 * functions: VF 0's large one fits only once VF 1's has gone to 0. Before
 * the fix VF 0 was re-applied first, found VF 1 still at its default and
 * kept the default.
 */
static void test_reserves_after_reset(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=2,buffer-size=65536", NULL);
    g_autofree char *all_but_pf = NULL;
    uint32_t vf0;

    set_vf_ok(d, 1, "'buf-reserve': 0");
    vf0 = 65536 - qv_mg_rd(d, 0, QV_MG_BUF_RESERVE);
    g_assert_cmpuint(vf0, >, 65536 / 2);
    all_but_pf = g_strdup_printf("'buf-reserve': %u", vf0);
    set_vf_ok(d, 0, all_but_pf);
    qv_system_reset(d);
    g_assert_cmpuint(qv_mg_rd(d, 1, QV_MG_BUF_RESERVE), ==, vf0);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_BUF_RESERVE), ==, 0);
    qv_stop(d);
}

/* The host's ceilings migrate with the device. */
static void test_ceilings_migrate(void)
{
    const char *opts = "id=nic0,max-vfs=4";
    QvDev *d = qv_start(opts, NULL), *d2;
    QDict *dev, *h;

    qv_enable_vfs(d, 1);
    set_vf_ok(d, 0, "'rx-rate': 10000000, 'priority': 3");
    qv_mg_wr(d, 1, QV_MG_PRIO, 5);              /* the guest tightened it */
    d2 = qv_migrate(d, opts);
    qv_stop(d);

    g_assert_cmphex(qv_mg_rd(d2, 1, QV_MG_HOST_LIMITS), ==,
                    (1u << (QV_MG_RX_RATE_LO / 4)) |
                    (1u << (QV_MG_RX_RATE_HI / 4)) |
                    (1u << (QV_MG_PRIO / 4)));
    g_assert_cmpuint(qv_mg_rd(d2, 1, QV_MG_PRIO), ==, 5);
    qv_mg_wr(d2, 1, QV_MG_PRIO, 0);
    g_assert_cmpuint(qv_mg_rd(d2, 1, QV_MG_PRIO), ==, 3);
    qv_set_rx_rate(d2, 1, 0, 0);
    g_assert_cmpuint(mg_rate(d2, 1), ==, 10000000);
    dev = query(d2, true);
    h = qdict_get_qdict(func_of(dev, 1), "host-limits");
    g_assert_cmpuint(qd_u64(h, "rx-rate"), ==, 10000000);
    g_assert_cmpuint(qd_u64(h, "priority"), ==, 3);
    g_assert_cmpuint(qdict_size(h), ==, 2);
    qobject_unref(dev);
    qv_stop(d2);
}

/*
 * Lowering a VF's ingress rate over QMP changes what the device admits in
 * the next interval of virtual time, to the byte.
 */
static void test_qmp_rate_changes_admission(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=4", NULL);
    int fns[] = { 1 };
    unsigned idx[] = { QV_STAT_RX_PACKETS, QV_STAT_DROP_RATE };
    uint8_t mac[6];
    QvRing r;
    QDict *dev, *st;

    qv_enable_vfs(d, 1);
    qv_fn_start(d, 1);
    qv_rx_setup(d, 1, &r, 64, 2048, true);
    qv_fn_mac(d, 1, mac);

    /* 80 Mbit/s = 10000 bytes per ms, bucket 10000 bytes (starts full). */
    set_vf_ok(d, 0, "'rx-rate': 80000000, 'rx-burst': 10000");
    inject_n(d, mac, 1000, 15);
    qv_wait_stat_sum(d, fns, 1, idx, 2, 15);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_PACKETS), ==, 10);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_RATE), ==, 5);

    qv_step(d, 1000000);
    inject_n(d, mac, 1000, 15);
    qv_wait_stat_sum(d, fns, 1, idx, 2, 30);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_PACKETS), ==, 20);

    /* 8 Mbit/s: the next millisecond admits 1000 bytes, one frame. */
    set_vf_ok(d, 0, "'rx-rate': 8000000");
    qv_step(d, 1000000);
    inject_n(d, mac, 1000, 15);
    qv_wait_stat_sum(d, fns, 1, idx, 2, 45);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_PACKETS), ==, 21);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_BYTES), ==, 21000);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_DROP_RATE), ==, 24);

    /* 5 ms at 8 Mbit/s: 5000 bytes. */
    qv_step(d, 5000000);
    inject_n(d, mac, 1000, 15);
    qv_wait_stat_sum(d, fns, 1, idx, 2, 60);
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_RX_PACKETS), ==, 26);

    dev = query(d, false);
    st = qdict_get_qdict(func_of(dev, 1), "stats");
    g_assert_cmpuint(qd_u64(st, "rx-packets"), ==, 26);
    g_assert_cmpuint(qd_u64(st, "rx-bytes"), ==, 26000);
    g_assert_cmpuint(qd_u64(st, "drop-rate"), ==, 34);
    qobject_unref(dev);
    qv_stop(d);
}

static QDict *drop_event(QvDev *d)
{
    /* A command round trip collects whatever events came before it. */
    qobject_unref(qtest_qmp(d->qts, "{'execute': 'query-status'}"));
    return qtest_qmp_event_ref(d->qts, "QOSVNIC_VF_DROPPING");
}

static void expect_drop_event(QvDev *d, int vf, const char *reason)
{
    QDict *ev = drop_event(d);
    QDict *data;

    g_assert_nonnull(ev);
    data = qdict_get_qdict(ev, "data");
    g_assert_cmpstr(qdict_get_str(data, "id"), ==, "nic0");
    g_assert_cmpstr(qdict_get_str(data, "qom-path"), ==,
                    "/machine/peripheral/nic0");
    g_assert_cmpuint(qd_u64(data, "vf"), ==, vf);
    g_assert_cmpstr(qdict_get_str(data, "reason"), ==, reason);
    qobject_unref(ev);
    g_assert_null(drop_event(d));
}

/* One event when a VF starts dropping for a reason, not one per drop. */
static void test_drop_event(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=4", NULL);
    uint8_t mac1[6], mac2[6];
    static const uint8_t nobody[6] = { 0x02, 0, 0, 0xde, 0xad, 1 };
    uint8_t frame[100], got[2048];
    QvRing r, tx;

    qv_enable_vfs(d, 2);
    qv_fn_mac(d, 1, mac1);
    qv_fn_mac(d, 2, mac2);

    /* VF 0's receiver is off: link-down drops. */
    inject_n(d, mac1, 100, 1);
    wait_stat(d, 1, QV_STAT_DROP_LINK_DOWN, 1);
    expect_drop_event(d, 0, "link-down");
    inject_n(d, mac1, 100, 50);
    wait_stat(d, 1, QV_STAT_DROP_LINK_DOWN, 51);
    g_assert_null(drop_event(d));
    /* Still dropping within the quiet second: no event. */
    qv_step(d, 600000000);
    inject_n(d, mac1, 100, 1);
    wait_stat(d, 1, QV_STAT_DROP_LINK_DOWN, 52);
    g_assert_null(drop_event(d));
    /* A second without drops, then drops again: a new event. */
    qv_step(d, 1000000000);
    inject_n(d, mac1, 100, 1);
    wait_stat(d, 1, QV_STAT_DROP_LINK_DOWN, 53);
    expect_drop_event(d, 0, "link-down");

    /* Another VF and another reason are events of their own. */
    qv_fn_start(d, 2);
    qv_rx_setup(d, 2, &r, 16, 2048, true);
    set_vf_ok(d, 1, "'rx-rate': 8000, 'rx-burst': 1000");
    inject_n(d, mac2, 1000, 5);
    wait_stat(d, 2, QV_STAT_DROP_RATE, 4);
    expect_drop_event(d, 1, "rate");

    /* Drops no VF owns are the PF's: no VF event. */
    inject_n(d, nobody, 100, 3);
    wait_stat(d, 0, QV_STAT_DROP_NO_OWNER, 3);
    g_assert_null(drop_event(d));

    /* Transmit side: a spoofed source MAC with the host's spoofcheck on. */
    set_vf_ok(d, 0, "'spoofcheck': true");
    qv_fn_start(d, 1);
    qv_tx_setup(d, 1, &tx, 16);
    qv_frame(frame, nobody, src_mac, ETYPE_TEST, sizeof(frame));
    qv_tx_send(d, &tx, frame, sizeof(frame), 0, 0, 0);
    wait_stat(d, 1, QV_STAT_TX_DROP_SPOOF, 1);
    expect_drop_event(d, 0, "tx-spoof");
    /* The host turns spoofcheck off: the same frame goes to the wire. */
    set_vf_ok(d, 0, "'spoofcheck': false");
    qv_tx_send(d, &tx, frame, sizeof(frame), 0, 0, 0);
    g_assert_cmpint(qv_wire_recv(d, got, sizeof(got), 5000), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_cmpuint(qv_stat(d, 1, QV_STAT_TX_DROP_SPOOF), ==, 1);
    qv_stop(d);
}

/* HMP mirrors QMP. */
static void test_hmp(void)
{
    QvDev *d = qv_start("id=nic0,max-vfs=4", NULL);
    g_autofree char *info = NULL;
    g_autofree char *out = NULL;
    g_autofree char *ms = NULL;
    uint8_t mac[6];

    qv_enable_vfs(d, 2);
    out = qtest_hmp(d->qts, "qosvnic_set_vf nic0 1 rx-rate=2000000,"
                    "priority=6,mac=02:00:00:00:11:22,link-state=disable");
    g_assert_cmpstr(out, ==, "");
    g_assert_cmpuint(mg_rate(d, 2), ==, 2000000);
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_PRIO), ==, 6);
    g_assert_cmphex(qv_mg_rd(d, 2, QV_MG_MAC_HI), ==, 0x2211);
    g_free(out);

    out = qtest_hmp(d->qts, "qosvnic_set_vf nic0 1 priority=9");
    g_assert_nonnull(strstr(out, "priority: 9 is above the limit of 7"));
    g_assert_cmpuint(qv_mg_rd(d, 2, QV_MG_PRIO), ==, 6);
    g_free(out);
    out = qtest_hmp(d->qts, "qosvnic_set_vf nic0 1 colour=blue");
    g_assert_nonnull(strstr(out, "colour"));

    info = qtest_hmp(d->qts, "info qosvnic");
    qv_fn_mac(d, 1, mac);
    ms = mac_str(mac);
    g_assert_nonnull(strstr(info, "qosvnic nic0 (/machine/peripheral/nic0)"));
    g_assert_nonnull(strstr(info, "2 of 4 VFs enabled"));
    g_assert_nonnull(strstr(info, ms));
    g_assert_nonnull(strstr(info, "02:00:00:00:11:22 down disable"));
    g_assert_nonnull(strstr(info, "vf1  host ceilings: rx-rate=2000000 "
                            "priority=6"));
    g_assert_null(strstr(info, "vf3"));
    g_free(info);
    info = qtest_hmp(d->qts, "info qosvnic -a nic0");
    g_assert_nonnull(strstr(info, "vf3"));
    qv_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/qmp/query-matches-registers",
                   test_query_matches_registers);
    qtest_add_func("/qosvnic/qmp/set-changes-registers",
                   test_set_changes_registers);
    qtest_add_func("/qosvnic/qmp/set-rejects-bad-values",
                   test_set_rejects_bad_values);
    qtest_add_func("/qosvnic/qmp/host-ceilings", test_host_ceilings);
    qtest_add_func("/qosvnic/qmp/ceilings-migrate", test_ceilings_migrate);
    qtest_add_func("/qosvnic/qmp/reserves-after-reset",
                   test_reserves_after_reset);
    qtest_add_func("/qosvnic/qmp/rate-change-admission",
                   test_qmp_rate_changes_admission);
    qtest_add_func("/qosvnic/qmp/drop-event", test_drop_event);
    qtest_add_func("/qosvnic/qmp/hmp", test_hmp);
    return g_test_run();
}
