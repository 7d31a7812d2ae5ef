/*
 * qosvnic qtest: migration keeps every function's state and the frames
 * held in device memory.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "qosvnic-qtest-lib.h"

#define NFRAMES 3

static void wait_migration(QTestState *qts)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *status = qdict_get_try_str(ret, "status");
        bool done = status && !strcmp(status, "completed");

        g_assert_false(status && !strcmp(status, "failed"));
        qobject_unref(rsp);
        if (done) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(10000);
    }
}

static size_t frame_len(int i)
{
    return 60 + i * 700;
}

/* The NFRAMES frames of @frame arrive on @rx, whole and in order. */
static void expect_frames(QvDev *d, QvRing *rx,
                          uint8_t frame[NFRAMES][2200])
{
    uint8_t got[4096];
    int i;

    for (i = 0; i < NFRAMES; i++) {
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        int len;

        while ((len = qv_rx_take(d, rx, got, sizeof(got), NULL, NULL,
                                 NULL)) < 0) {
            g_assert_cmpint(g_get_monotonic_time(), <, deadline);
            qv_sync(d);
        }
        g_assert_cmpint(len, ==, frame_len(i));
        g_assert_cmpmem(got, len, frame[i], frame_len(i));
    }
}

static void test_frames_held_across_migration(void)
{
    g_autofree char *path = g_strdup_printf("%s/qosvnic-mig-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    QvDev *a = qv_start("max-vfs=4", NULL);
    QvDev *b;
    QvRing rx;
    uint8_t mac[6], src[6] = { 0x02, 0, 0, 0, 0, 0x99 };
    uint8_t frame[NFRAMES][2200];
    uint64_t occupancy;
    int i;

    qv_enable_vfs(a, 2);
    qv_mg_wr(a, 2, QV_MG_PRIO, 5);
    qv_set_rx_rate(a, 2, 123456789, 70000);
    qv_wr(a, 2, QV_FN_MTU, 2000);
    qv_fn_mac(a, 2, mac);
    /* A ring with no buffers posted: frames stay in VF 1's partition. */
    qv_rx_setup(a, 2, &rx, 16, 2048, false);
    qv_fn_start(a, 2);
    for (i = 0; i < NFRAMES; i++) {
        qv_frame(frame[i], mac, src, 0x88b5, frame_len(i));
        frame[i][20] = i;
        qv_inject(a, frame[i], frame_len(i));
    }
    /* Frames occupy whole cells: 1 + 3 + 6 of them. */
    occupancy = 10 * QV_BUF_CELL_SIZE;
    qv_wait_stat_sum(a, (int[]){ 2 }, 1,
                     (unsigned[]){ QV_STAT_BUF_OCCUPANCY }, 1, occupancy);
    g_assert_cmpuint(qv_stat(a, 2, QV_STAT_RX_PACKETS), ==, 0);

    qtest_qmp_assert_success(a->qts, "{ 'execute': 'migrate', 'arguments': "
                             "{ 'uri': %s } }", uri);
    wait_migration(a->qts);
    qv_stop(a);

    b = qv_start_incoming("max-vfs=4", uri);
    wait_migration(b->qts);
    b->mem_next = QV_T_MEM_END - 0x1000000;

    /* Management state and held frames came over. */
    g_assert_cmpuint(qv_mg_rd(b, 2, QV_MG_PRIO), ==, 5);
    g_assert_cmpuint(qv_mg_rd(b, 2, QV_MG_RX_RATE_LO), ==, 123456789);
    g_assert_cmpuint(qv_mg_rd(b, 2, QV_MG_RX_BURST), ==, 70000);
    g_assert_cmpuint(qv_rd(b, 2, QV_FN_MTU), ==, 2000);
    g_assert_cmpuint(qv_stat(b, 2, QV_STAT_BUF_OCCUPANCY), ==, occupancy);

    /* The guest posts buffers: the held frames arrive intact, in order. */
    qv_rx_post(b, &rx, rx.ndesc - 1);
    expect_frames(b, &rx, frame);
    g_assert_true(qv_irq_fired(b, 2, QV_VEC_RX));
    g_assert_cmpuint(qv_stat(b, 2, QV_STAT_BUF_OCCUPANCY), ==, 0);
    g_assert_cmpuint(qv_stat(b, 2, QV_STAT_RX_PACKETS), ==, NFRAMES);

    /* And the backend of the destination feeds the same function. */
    qv_inject(b, frame[0], frame_len(0));
    qv_wait_stat_sum(b, (int[]){ 2 }, 1, (unsigned[]){ QV_STAT_RX_PACKETS },
                     1, NFRAMES + 1);
    qv_stop(b);
    unlink(path);
}

/*
 * A message held back by interrupt moderation is sent after migration:
 * the first frame's message goes at once, the second one's waits for the
 * end of the 100 us window, and the migration happens inside it. Before,
 * the destination never re-armed its moderation timer, so that message
 * was lost (and with it the guest's only notice of the frame).
 */
static void test_moderated_irq_across_migration(void)
{
    QvDev *a = qv_start("max-vfs=2", NULL);
    QvDev *b;
    QvRing rx;
    uint8_t mac[6], src[6] = { 0x02, 0, 0, 0, 0, 0x99 }, frame[100];
    int i;

    qv_enable_vfs(a, 1);
    qv_fn_mac(a, 1, mac);
    qv_rx_setup(a, 1, &rx, 16, 2048, true);
    qv_fn_start(a, 1);
    qv_wr(a, 1, QV_FN_ITR(QV_VEC_RX), 100);
    qv_frame(frame, mac, src, 0x88b5, sizeof(frame));
    for (i = 1; i <= 2; i++) {
        qv_inject(a, frame, sizeof(frame));
        qv_wait_stat_sum(a, (int[]){ 1 }, 1,
                         (unsigned[]){ QV_STAT_RX_PACKETS }, 1, i);
        g_assert_cmpint(qv_irq_fired(a, 1, QV_VEC_RX), ==, i == 1);
    }

    b = qv_migrate(a, "max-vfs=2");
    qv_stop(a);
    qv_step(b, 100 * 1000);
    qv_sync(b);
    g_assert_true(qv_irq_fired(b, 1, QV_VEC_RX));
    g_assert_cmphex(qv_rd(b, 1, QV_FN_INT_CAUSE), ==, QV_INT_RX);
    qv_stop(b);
}

/*
 * A stopped VM's device changes nothing in it: frames held in a VF's
 * partition stay there while the VM is stopped, even with buffers posted
 * and the scheduler kicked, and go when it runs again. Here the source is
 * stopped with frames held and its buffers posted (the kick of RX_TAIL),
 * and the destination, which waits stopped (-S) until "cont" as libvirt
 * starts it, is kicked by its post_load. Before, both moved the frames
 * into the stopped guest's ring at once and raised its interrupt: the
 * destination's counters were ahead of the source's (seen by
 * scripts/tests/migration-traffic-test.sh on a guest under traffic).
 */
static void test_no_dma_while_stopped(void)
{
    QvDev *a = qv_start("max-vfs=2", NULL);
    QvDev *b;
    QvRing rx;
    uint8_t mac[6], src[6] = { 0x02, 0, 0, 0, 0, 0x99 };
    uint8_t frame[NFRAMES][2200];
    uint64_t occupancy = 10 * QV_BUF_CELL_SIZE;     /* 1 + 3 + 6 cells */
    int i;

    qv_enable_vfs(a, 1);
    qv_fn_mac(a, 1, mac);
    qv_rx_setup(a, 1, &rx, 16, 2048, false);
    qv_fn_start(a, 1);
    for (i = 0; i < NFRAMES; i++) {
        qv_frame(frame[i], mac, src, 0x88b5, frame_len(i));
        frame[i][20] = i;
        qv_inject(a, frame[i], frame_len(i));
    }
    qv_wait_stat_sum(a, (int[]){ 1 }, 1,
                     (unsigned[]){ QV_STAT_BUF_OCCUPANCY }, 1, occupancy);
    qv_irq_fired(a, 1, QV_VEC_RX);

    qtest_qmp_assert_success(a->qts, "{ 'execute': 'stop' }");
    qv_rx_post(a, &rx, rx.ndesc - 1);
    qv_sync(a);
    g_assert_cmpuint(qv_stat(a, 1, QV_STAT_RX_PACKETS), ==, 0);
    g_assert_cmpuint(qv_stat(a, 1, QV_STAT_BUF_OCCUPANCY), ==, occupancy);
    g_assert_false(qv_irq_fired(a, 1, QV_VEC_RX));

    b = qv_migrate_stopped(a, "max-vfs=2");
    qv_stop(a);
    qv_sync(b);
    g_assert_cmpuint(qv_stat(b, 1, QV_STAT_RX_PACKETS), ==, 0);
    g_assert_cmpuint(qv_stat(b, 1, QV_STAT_BUF_OCCUPANCY), ==, occupancy);
    g_assert_false(qv_irq_fired(b, 1, QV_VEC_RX));

    /* It runs: the held frames arrive, in order, with their interrupt. */
    qtest_qmp_assert_success(b->qts, "{ 'execute': 'cont' }");
    expect_frames(b, &rx, frame);
    g_assert_true(qv_irq_fired(b, 1, QV_VEC_RX));
    g_assert_cmpuint(qv_stat(b, 1, QV_STAT_RX_PACKETS), ==, NFRAMES);
    g_assert_cmpuint(qv_stat(b, 1, QV_STAT_BUF_OCCUPANCY), ==, 0);
    qv_stop(b);
}

/*
 * The eswitch subsection is sent whenever its state differs from reset:
 * in legacy mode with no rule committed, the fields of a rule the PF has
 * begun to write, a policer's burst and the staged high word of its rate
 * are state too. Before, the subsection was left out and they were lost.
 */
static void test_esw_staged_across_migration(void)
{
    QvDev *a = qv_start("max-vfs=2", NULL);
    QvDev *b;

    qv_wr(a, 0, QV_RULE(3) + QV_RL_DMAC_LO, 0x12345678);
    qv_wr(a, 0, QV_POLICER(2) + QV_PL_RATE_HI, 1);
    qv_wr(a, 0, QV_POLICER(2) + QV_PL_BURST, 9000);
    b = qv_migrate(a, "max-vfs=2");
    qv_stop(a);
    g_assert_cmphex(qv_rd(b, 0, QV_DEV_ESW_MODE), ==, QV_ESW_LEGACY);
    g_assert_cmphex(qv_rd(b, 0, QV_RULE(3) + QV_RL_DMAC_LO), ==, 0x12345678);
    g_assert_cmpuint(qv_rd(b, 0, QV_POLICER(2) + QV_PL_BURST), ==, 9000);
    qv_wr(b, 0, QV_POLICER(2) + QV_PL_RATE_LO, 5);
    g_assert_cmphex(qv_rd(b, 0, QV_POLICER(2) + QV_PL_RATE_HI), ==, 1);
    g_assert_cmphex(qv_rd(b, 0, QV_POLICER(2) + QV_PL_RATE_LO), ==, 5);
    qv_stop(b);
}

/*
 * The PF's first half of a 64-bit ingress rate write, staged when the
 * source stops, is committed by the second half on the destination (the
 * function's staged high word travels in its own subsection).
 */
static void test_rate_staged_across_migration(void)
{
    QvDev *a = qv_start("max-vfs=2", NULL);
    QvDev *b;

    qv_mg_wr(a, 2, QV_MG_RX_RATE_HI, 1);
    b = qv_migrate(a, "max-vfs=2");
    qv_stop(a);
    qv_mg_wr(b, 2, QV_MG_RX_RATE_LO, 5);
    g_assert_cmphex(qv_mg_rd(b, 2, QV_MG_RX_RATE_HI), ==, 1);
    g_assert_cmphex(qv_mg_rd(b, 2, QV_MG_RX_RATE_LO), ==, 5);
    /* Committed: the next low word alone is a rate below 4 Gbit/s. */
    qv_mg_wr(b, 2, QV_MG_RX_RATE_LO, 7);
    g_assert_cmphex(qv_mg_rd(b, 2, QV_MG_RX_RATE_HI), ==, 0);
    qv_stop(b);
}

/* ------------------------------------------- corrupted migration streams */

/*
 * The device's part of a migration stream is not trusted: a stream whose
 * device state is inconsistent must fail the load with an error, never be
 * accepted (and crash or corrupt memory later). The source below is saved
 * to a file once; each case patches one field and loads the result into a
 * new QEMU, which must refuse it and stay alive.
 *
 * Fields are found by the stream's layout: a subsection is 0x05, the
 * length and bytes of its name, its version (be32), then its fields in
 * order, big-endian. The layout is checked against known values first.
 */
#define CS_OPTS         "id=nic0,max-vfs=2,buffer-size=65536"
#define CS_NCELLS       256                     /* 64 KiB / 256 */
#define CS_FRAME_SIZE   22                      /* vmstate_qv_frame */
#define CS_FUNC_SIZE    112                     /* vmstate_qv_func_buf */
#define CS_TB_TOKENS    16                      /* in a token bucket */
#define CS_TB_LAST_NS   32
#define CS_SRIOV_LEN    PCI_EXT_CAP_SRIOV_SIZEOF
#define CS_TX_FN_SIZE   20                      /* vmstate_qosvnic_tx_fn */
#define CS_MBX_FN_SIZE  73                      /* ..._mbx_fn: 16 words, */
#define CS_MBX_OWNER    72                      /* 2 controls, owner */

typedef struct CsStream {
    uint8_t *data;
    size_t len;
    size_t buf;             /* fields of qosvnic/buffer */
    size_t tx;              /* fields of qosvnic/tx */
    size_t mbx;             /* fields of qosvnic/mailbox */
    size_t account;         /* fields of VF 1's qosvnic-func/rx-account */
    size_t caps2;           /* ... and of its qosvnic-func/host-caps */
    size_t msix1;           /* VF 0's MSI-X table, then its PBA */
    uint64_t ctrl1;         /* VF 0's QV_FN_CTRL in guest memory */
    size_t sriov;           /* the PF's SR-IOV capability in its config */
    size_t mtu1;            /* VF 0's MTU */
    size_t vlan2;           /* VF 1's port VLAN, then: */
    uint32_t flags2;        /* ... its management flags at +4, */
} CsStream;
#define CS_PRIO         28      /* its priority class, */
#define CS_WEIGHT       32      /* its weight, */
#define CS_STATS        36      /* its counters (be64 each) */

static size_t cs_find(const CsStream *st, const char *name, uint32_t version)
{
    size_t n = strlen(name), i;

    for (i = 0; i + 2 + n + 4 <= st->len; i++) {
        if (st->data[i] == 0x05 && st->data[i + 1] == n &&
            !memcmp(st->data + i + 2, name, n) &&
            ldl_be_p(st->data + i + 2 + n) == version) {
            return i + 2 + n + 4;
        }
    }
    g_assert_not_reached();
}

/* Offset of function @fn's partition and buckets in qosvnic/buffer. */
static size_t cs_func(const CsStream *st, int fn)
{
    return st->buf + 16 + 65536 + CS_NCELLS * (4 + CS_FRAME_SIZE) +
           fn * CS_FUNC_SIZE;
}

/* Offset of the one place @pattern is found in the stream. */
static size_t cs_unique(const CsStream *st, const void *pattern, size_t n)
{
    const uint8_t *at = memmem(st->data, st->len, pattern, n);

    g_assert_nonnull(at);
    g_assert_null(memmem(at + 1, st->data + st->len - at - 1, pattern, n));
    return at - st->data;
}

/*
 * A source with frames held in VF 0's partition, and one frame VF 1 took
 * and discarded (so that its account is in the stream), saved to a file.
 * VF 0's MTU and VF 1's port VLAN are set to values found in the stream
 * next to the fields saved before them (VF 0's control, VF 1's MAC).
 */
static void cs_save(CsStream *st, const char *uri, const char *path)
{
    QvDev *a = qv_start(CS_OPTS, NULL);
    uint8_t mac[6], src[6] = { 0x02, 0, 0, 0, 0, 0x99 }, frame[600];
    uint8_t sriov[CS_SRIOV_LEN], ctrl_mtu[8], mac_vlan[10];
    uint8_t msix1[QV_NUM_VECTORS * PCI_MSIX_ENTRY_SIZE];
    const uint8_t *at;
    QvRing rx, rx2;
    uint32_t reserve;
    int i;

    qv_enable_vfs(a, 2);
    qv_fn_mac(a, 1, mac);
    qv_rx_setup(a, 1, &rx, 16, 2048, false);
    qv_fn_start(a, 1);
    qv_set_rx_rate(a, 1, 1000 * 1000 * 1000, 0);
    qv_wr(a, 1, QV_FN_MBX_MEM(0), 0xcafe1234);
    qv_frame(frame, mac, src, 0x88b5, sizeof(frame));
    for (i = 0; i < 3; i++) {
        qv_inject(a, frame, sizeof(frame));
    }
    qv_wait_stat_sum(a, (int[]){ 1 }, 1,
                     (unsigned[]){ QV_STAT_BUF_OCCUPANCY }, 1,
                     3 * 3 * QV_BUF_CELL_SIZE);
    qv_fn_mac(a, 2, mac);
    qv_rx_setup(a, 2, &rx2, 16, 2048, false);
    qv_fn_start(a, 2);
    qv_frame(frame, mac, src, 0x88b5, sizeof(frame));
    qv_inject(a, frame, sizeof(frame));
    qv_wait_stat_sum(a, (int[]){ 2 }, 1,
                     (unsigned[]){ QV_STAT_BUF_OCCUPANCY }, 1,
                     3 * QV_BUF_CELL_SIZE);
    qv_wr(a, 2, QV_FN_CTRL, QV_CTRL_TX_EN);
    g_assert_cmpuint(qv_stat(a, 2, QV_STAT_RX_DISCARDED), ==, 1);
    qv_wr(a, 1, QV_FN_MTU, 7777);
    stl_be_p(ctrl_mtu, qv_rd(a, 1, QV_FN_CTRL));
    stl_be_p(ctrl_mtu + 4, 7777);
    qv_mg_wr(a, 2, QV_MG_VLAN, 0xbad);
    qv_mg_wr(a, 2, QV_MG_PRIO, 5);
    qv_mg_wr(a, 2, QV_MG_WEIGHT, 7);
    /* The host's ceiling on that class, so that VF 1 has its host caps. */
    qtest_qmp_assert_success(a->qts, "{ 'execute': 'qosvnic-set-vf', "
                             "'arguments': { 'id': 'nic0', 'vf': 1, "
                             "'priority': 5 } }");
    st->flags2 = qv_mg_rd(a, 2, QV_MG_FLAGS);
    memcpy(mac_vlan, mac, 6);
    stl_be_p(mac_vlan + 6, 0xbad);
    reserve = qv_mg_rd(a, 1, QV_MG_BUF_RESERVE) / QV_BUF_CELL_SIZE;
    for (i = 0; i < sizeof(msix1) / 4; i++) {
        stl_le_p(msix1 + 4 * i, qtest_readl(a->qts, qv_fn_bar2(1) +
                                            QV_MSIX_TABLE_OFFSET + 4 * i));
    }
    st->ctrl1 = qv_fn_bar0(a, 1) + QV_FN_CTRL;
    for (i = 0; i < CS_SRIOV_LEN / 4; i++) {
        stl_le_p(sriov + 4 * i,
                 qv_cfg_readl(a, QV_T_PF_BUS, QV_T_PF_DEVFN,
                              QV_EXTCAP_SRIOV_OFFSET + 4 * i));
    }
    qtest_qmp_assert_success(a->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    wait_migration(a->qts);
    qv_stop(a);

    g_assert_true(g_file_get_contents(path, (char **)&st->data, &st->len,
                                      NULL));
    st->buf = cs_find(st, "qosvnic/buffer", 1);
    st->tx = cs_find(st, "qosvnic/tx", 2);
    st->mbx = cs_find(st, "qosvnic/mailbox", 1);
    st->account = cs_find(st, "qosvnic-func/rx-account", 1);
    st->caps2 = cs_find(st, "qosvnic-func/host-caps", 1);
    /* The PF's config space is saved as it reads: find the capability. */
    st->sriov = cs_unique(st, sriov, sizeof(sriov));
    at = st->data + st->sriov;
    st->mtu1 = cs_unique(st, ctrl_mtu, sizeof(ctrl_mtu)) + 4;
    st->vlan2 = cs_unique(st, mac_vlan, sizeof(mac_vlan)) + 6;
    st->msix1 = cs_unique(st, msix1, sizeof(msix1));
    g_assert_cmphex(ldl_be_p(st->data + st->vlan2 + 4), ==, st->flags2);
    g_assert_cmpuint(ldl_be_p(st->data + st->vlan2 + CS_PRIO), ==, 5);
    g_assert_cmpuint(ldl_be_p(st->data + st->vlan2 + CS_WEIGHT), ==, 7);
    g_assert_cmpuint(lduw_le_p(at + PCI_SRIOV_CTRL) & PCI_SRIOV_CTRL_VFE,
                     !=, 0);
    g_assert_cmpuint(lduw_le_p(at + PCI_SRIOV_NUM_VF), ==, 2);
    g_assert_cmpuint(lduw_le_p(at + PCI_SRIOV_TOTAL_VF), ==, 2);
    /* The layout is what the offsets assume. */
    g_assert_cmphex(ldl_be_p(st->data + st->caps2), ==,
                    1u << (QV_MG_PRIO / 4));
    g_assert_cmpuint(ldq_be_p(st->data + st->caps2 + 4 + QV_MG_PRIO * 2), ==,
                     5);
    g_assert_cmpuint(ldq_be_p(st->data + st->account), ==, 1);
    g_assert_cmpuint(ldq_be_p(st->data + st->account + 8), ==, 1);
    g_assert_cmpuint(ldl_be_p(st->data + st->buf), ==, CS_NCELLS);
    g_assert_cmpuint(ldl_be_p(st->data + cs_func(st, 1)), ==, reserve);
    g_assert_cmpuint(ldl_be_p(st->data + cs_func(st, 1) + 8), ==, 9);
    g_assert_cmpuint(ldl_be_p(st->data + cs_func(st, 1) + 24), ==, 3);
    g_assert_cmpuint(ldq_be_p(st->data + cs_func(st, 1) + 28), ==,
                     1000 * 1000 * 1000);
    /* qosvnic/tx: the functions' meters, tx_rr_next; then the mailbox. */
    g_assert_cmpuint(st->tx + QV_MAX_FUNCS * CS_TX_FN_SIZE + 4, ==,
                     st->mbx - 2 - strlen("qosvnic/mailbox") - 4);
    g_assert_cmphex((uint32_t)ldl_be_p(st->data + st->mbx + CS_MBX_FN_SIZE), ==,
                    0xcafe1234);
    g_assert_cmpuint(st->data[st->mbx + CS_MBX_FN_SIZE + CS_MBX_OWNER], ==,
                     1);                         /* the VF */
}

/* Load @st into a new QEMU; true if the load completed. */
static bool cs_load(const CsStream *st, const char *path, const char *uri)
{
    g_autofree char *args = g_strdup_printf(
        "-M q35 -nodefaults -m 512M -device pcie-root-port,id=rp0,bus=pcie.0,"
        "chassis=1,addr=1.0 -device qosvnic,bus=rp0,addr=0.0,netdev=hs0,"
        CS_OPTS " -netdev user,id=hs0 -incoming defer");
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    QTestState *qts;
    const char *status;
    bool ok;

    g_assert_true(g_file_set_contents(path, (char *)st->data, st->len,
                                      NULL));
    qts = qtest_init(args);
    qtest_qmp_assert_success(qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s, "
                             "'exit-on-error': false } }", uri);
    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");

        status = qdict_get_try_str(qdict_get_qdict(rsp, "return"), "status");
        ok = status && !strcmp(status, "completed");
        if (ok || (status && !strcmp(status, "failed"))) {
            qobject_unref(rsp);
            break;
        }
        qobject_unref(rsp);
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(10000);
    }
    /* Refused or not, QEMU is still there and answers. */
    qtest_qmp_assert_success(qts, "{ 'execute': 'query-status' }");
    qtest_quit(qts);
    return ok;
}

static void cs_put32(CsStream *st, size_t off, uint32_t v)
{
    stl_be_p(st->data + off, v);
}

static void test_corrupted_streams(void)
{
    g_autofree char *path = g_strdup_printf("%s/qosvnic-cs-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree uint8_t *good = NULL;
    CsStream st;
    size_t fn1;
    uint32_t others;

    cs_save(&st, uri, path);
    good = g_memdup2(st.data, st.len);
    fn1 = cs_func(&st, 1);

    /* As saved, the stream loads. */
    g_assert_true(cs_load(&st, path, uri));

    /* No free frame while cells are free: a store would index past. */
    cs_put32(&st, st.buf + 12, UINT32_MAX);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* Reserves that fit the buffer only modulo 2^32. */
    others = ldl_be_p(st.data + cs_func(&st, 0)) +
             ldl_be_p(st.data + cs_func(&st, 2));
    cs_put32(&st, fn1, (uint32_t)(0x100000000ULL - others + 8));
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* A token bucket holding more than its depth. */
    stq_be_p(st.data + fn1 + 28 + CS_TB_TOKENS,
             ldq_be_p(st.data + fn1 + 28 + 8) + 1);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /*
     * A debt no frame can run up (QV_TX_MAX_FRAME cut at the smallest
     * mss, headers as long as the frame): it would put the timer that
     * waits for it past the end of the clock.
     */
    stq_be_p(st.data + fn1 + 28 + CS_TB_TOKENS,
             -(int64_t)QV_TX_MAX_FRAME *
             (QV_TX_MAX_FRAME / QV_TSO_MSS_MIN + 1) - 1);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* A refill before the clock started: now - last_ns would wrap. */
    stq_be_p(st.data + fn1 + 28 + CS_TB_LAST_NS, INT64_MIN);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /*
     * VFs enabled, more of them than the PF has (patches/0010): the VF
     * array would be read past its end when they are enabled.
     */
    stw_le_p(st.data + st.sriov + PCI_SRIOV_NUM_VF, 0x200);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* A mailbox owner that does not exist (it indexes a name table). */
    st.data[st.mbx + CS_MBX_FN_SIZE + CS_MBX_OWNER] = 9;
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* A minimum-share credit that overflows when it is refilled. */
    stq_be_p(st.data + st.tx + CS_TX_FN_SIZE + 4, INT64_MIN);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* Registers no write accepts: an MTU, a port VLAN with extra bits. */
    cs_put32(&st, st.mtu1, UINT32_MAX);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);
    cs_put32(&st, st.vlan2, 0x10000 | 0xbad);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);
    /* ... an unknown flag, a link state, a priority class, a weight. */
    cs_put32(&st, st.vlan2 + 4, st.flags2 | 1u << 31);
    g_assert_false(cs_load(&st, path, uri));
    cs_put32(&st, st.vlan2 + 4, st.flags2 | QV_MGF_LINK_MASK);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);
    cs_put32(&st, st.vlan2 + CS_PRIO, QV_PRIO_CLASSES);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);
    cs_put32(&st, st.vlan2 + CS_WEIGHT, 0);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);
    /* ... or a host ceiling no register write accepts. */
    stq_be_p(st.data + st.caps2 + 4 + QV_MG_PRIO * 2, 100);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* Frames held for a VF that the stream's config space disables. */
    stw_le_p(st.data + st.sriov + PCI_SRIOV_CTRL,
             lduw_le_p(st.data + st.sriov + PCI_SRIOV_CTRL) &
             ~PCI_SRIOV_CTRL_VFE);
    g_assert_false(cs_load(&st, path, uri));
    memcpy(st.data, good, st.len);

    /* An admission account that does not add up: one frame admitted more. */
    stq_be_p(st.data + st.account, 2);
    g_assert_false(cs_load(&st, path, uri));

    g_free(st.data);
    unlink(path);
}

/*
 * A qosvnic/buffer-queues subsection (vmstate_qv_frame_queue for every
 * cell, vmstate_qv_func_queues for every function) in which every frame
 * is on queue 0 and only VF 0 (function 1) has frames on queue 1:
 * @n1 of them from frame @head1. Spliced in after qosvnic/tx, which
 * follows qosvnic/buffer (right after that one QEMU would take it for a
 * subsection of qosvnic/buffer, whose name begins its own).
 */
#define CS_FRAME_Q_SIZE 5
#define CS_FUNC_Q_SIZE  37              /* 3 heads, 3 tails, 3 counts, rr */

static void cs_add_queues(CsStream *st, uint32_t head1, uint32_t n1)
{
    static const char name[] = "qosvnic/buffer-queues";
    size_t hdr = 2 + strlen(name) + 4;
    size_t len = hdr + 4 + CS_NCELLS * CS_FRAME_Q_SIZE +
                 QV_MAX_FUNCS * CS_FUNC_Q_SIZE;
    size_t at = st->mbx - (2 + strlen("qosvnic/mailbox") + 4);
    uint8_t *d = g_malloc0(st->len + len), *sub = d + at, *fn1;

    memcpy(d, st->data, at);
    memcpy(d + at + len, st->data + at, st->len - at);
    sub[0] = 0x05;
    sub[1] = strlen(name);
    memcpy(sub + 2, name, strlen(name));
    stl_be_p(sub + hdr - 4, 1);
    stl_be_p(sub + hdr, CS_NCELLS);
    fn1 = sub + hdr + 4 + CS_NCELLS * CS_FRAME_Q_SIZE + CS_FUNC_Q_SIZE;
    stl_be_p(fn1, head1);               /* head[1] */
    stl_be_p(fn1 + 12, head1);          /* tail[1] */
    stl_be_p(fn1 + 24, n1);             /* qframes[1] */
    g_free(st->data);
    st->data = d;
    st->len += len;
}

/* Back to the stream as saved, @len bytes at @good. */
static void cs_restore(CsStream *st, const uint8_t *good, size_t len)
{
    g_free(st->data);
    st->data = g_memdup2(good, len);
    st->len = len;
}

/*
 * A stream may send the device's subsections in any order, one twice, or
 * leave one out: QEMU loads any listed subsection it finds. Queue 1's
 * FIFO sent after the buffer subsection was never checked: its post_load
 * had already run, so the load completed with VF 0's queue 1 at a frame
 * past the pool (its next reset, which flushes the queues, walked it out
 * of bounds) or at a free frame (the free list corrupted). Now the PF's
 * post_load checks what spans subsections once all are in. The same
 * subsection with queue 1 empty, consistent with the rest, still loads.
 */
static void test_subsection_order(void)
{
    g_autofree char *path = g_strdup_printf("%s/qosvnic-order-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree uint8_t *good = NULL;
    size_t good_len;
    CsStream st;

    cs_save(&st, uri, path);
    good = g_memdup2(st.data, st.len);
    good_len = st.len;

    cs_add_queues(&st, 0, 0);
    g_assert_true(cs_load(&st, path, uri));

    cs_restore(&st, good, good_len);
    cs_add_queues(&st, 0x40000000, 1);
    g_assert_false(cs_load(&st, path, uri));

    cs_restore(&st, good, good_len);
    cs_add_queues(&st, CS_NCELLS - 1, 1);       /* a free frame */
    g_assert_false(cs_load(&st, path, uri));

    /*
     * Queue 1 past the pool again, and VF 0's vector 0 pending, unmasked
     * and aimed at its own CTRL with a reset: QEMU's MSI-X code sends it
     * as it loads the VF's table, before the PF's post_load checks the
     * queues. Before, the reset walked the queue and QEMU died (SIGSEGV).
     */
    cs_restore(&st, good, good_len);
    stl_le_p(st.data + st.msix1 + PCI_MSIX_ENTRY_LOWER_ADDR, st.ctrl1);
    stl_le_p(st.data + st.msix1 + PCI_MSIX_ENTRY_UPPER_ADDR, st.ctrl1 >> 32);
    stl_le_p(st.data + st.msix1 + PCI_MSIX_ENTRY_DATA, QV_CTRL_RESET);
    stl_le_p(st.data + st.msix1 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    st.data[st.msix1 + QV_NUM_VECTORS * PCI_MSIX_ENTRY_SIZE] |= 1;  /* PBA */
    cs_add_queues(&st, 0x40000000, 1);
    g_assert_false(cs_load(&st, path, uri));

    g_free(st.data);
    unlink(path);
}

/*
 * The PF reads a VF's 64-bit counters as two 32-bit reads, low word first,
 * in its management window, and the VF reads its own in its BAR. A counter
 * past 4 G (put into a migration stream: a qtest cannot send 4 GiB) reads
 * whole in either window while the other side reads in between. Before,
 * the two windows shared one latch: a tenant reading its counters in a
 * loop tore the PF's reads of them (the high word of its RX_PACKETS, 0,
 * for that of TX_BYTES).
 */
static void test_stat_latch_per_reader(void)
{
    g_autofree char *path = g_strdup_printf("%s/qosvnic-latch-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    const uint64_t big = 0x500000007ULL;
    const uint32_t mg = QV_MG_STAT(QV_STAT_TX_BYTES);
    const uint32_t fn = QV_FN_STAT(QV_STAT_TX_BYTES);
    uint64_t lo, hi;
    CsStream st;
    QvDev *d, *b;

    cs_save(&st, uri, path);
    stq_be_p(st.data + st.vlan2 + CS_STATS + 8 * QV_STAT_TX_BYTES, big);
    g_assert_true(g_file_set_contents(path, (char *)st.data, st.len, NULL));
    d = qv_start_incoming(CS_OPTS, uri);
    wait_migration(d->qts);

    lo = qv_mg_rd(d, 2, mg);
    hi = qv_mg_rd(d, 2, mg + 4);
    g_assert_cmphex(hi << 32 | lo, ==, big);
    /* The tenant reads between the PF's two reads... */
    lo = qv_mg_rd(d, 2, mg);
    qv_rd(d, 2, QV_FN_STAT(QV_STAT_RX_PACKETS));
    hi = qv_mg_rd(d, 2, mg + 4);
    g_assert_cmphex(hi << 32 | lo, ==, big);
    /* ...and the PF between the tenant's. */
    lo = qv_rd(d, 2, fn);
    qv_mg_rd(d, 2, QV_MG_STAT(QV_STAT_RX_PACKETS));
    hi = qv_rd(d, 2, fn + 4);
    g_assert_cmphex(hi << 32 | lo, ==, big);
    /* The PF's latch travels with a migration between its two reads. */
    lo = qv_mg_rd(d, 2, mg);
    b = qv_migrate(d, CS_OPTS);
    qv_stop(d);
    hi = qv_mg_rd(b, 2, mg + 4);
    g_assert_cmphex(hi << 32 | lo, ==, big);
    qv_stop(b);
    g_free(st.data);
    unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/migration/frames-held",
                   test_frames_held_across_migration);
    qtest_add_func("/qosvnic/migration/moderated-irq",
                   test_moderated_irq_across_migration);
    qtest_add_func("/qosvnic/migration/no-dma-while-stopped",
                   test_no_dma_while_stopped);
    qtest_add_func("/qosvnic/migration/esw-staged",
                   test_esw_staged_across_migration);
    qtest_add_func("/qosvnic/migration/rate-staged",
                   test_rate_staged_across_migration);
    qtest_add_func("/qosvnic/migration/stat-latch-per-reader",
                   test_stat_latch_per_reader);
    qtest_add_func("/qosvnic/migration/corrupted-streams",
                   test_corrupted_streams);
    qtest_add_func("/qosvnic/migration/subsection-order",
                   test_subsection_order);
    return g_test_run();
}
