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

static void test_frames_held_across_migration(void)
{
    g_autofree char *path = g_strdup_printf("%s/qosvnic-mig-%d",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    QvDev *a = qv_start("max-vfs=4", NULL);
    QvDev *b;
    QvRing rx;
    uint8_t mac[6], src[6] = { 0x02, 0, 0, 0, 0, 0x99 };
    uint8_t frame[NFRAMES][2200], got[4096];
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
    for (i = 0; i < NFRAMES; i++) {
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        int len;

        while ((len = qv_rx_take(b, &rx, got, sizeof(got), NULL, NULL,
                                 NULL)) < 0) {
            g_assert_cmpint(g_get_monotonic_time(), <, deadline);
            qv_sync(b);
        }
        g_assert_cmpint(len, ==, frame_len(i));
        g_assert_cmpmem(got, len, frame[i], frame_len(i));
    }
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/migration/frames-held",
                   test_frames_held_across_migration);
    qtest_add_func("/qosvnic/migration/moderated-irq",
                   test_moderated_irq_across_migration);
    return g_test_run();
}
