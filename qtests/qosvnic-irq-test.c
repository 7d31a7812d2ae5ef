/*
 * qosvnic qtest: interrupts. Moderation (QV_FN_ITR), cause and mask
 * semantics of a VF's RX vector, observed as MSI-X writes to guest RAM
 * while frames are delivered to its RX ring and virtual time is stepped.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qosvnic-qtest-lib.h"

#define ITR_US          100
#define ITR_NS          (ITR_US * 1000)

static const uint8_t src_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

typedef struct IrqT {
    QvDev *d;
    QvRing rx;
    uint8_t mac[6];
    uint64_t delivered;
} IrqT;

/* Two VFs; VF 0 (fn 1) with a posted RX ring of 256 buffers. */
static void irq_start(IrqT *t)
{
    t->d = qv_start("max-vfs=2", NULL);
    qv_enable_vfs(t->d, 2);
    qv_fn_start(t->d, 1);
    qv_fn_start(t->d, 2);
    qv_rx_setup(t->d, 1, &t->rx, 256, 2048, true);
    qv_fn_mac(t->d, 1, t->mac);
    t->delivered = 0;
    g_assert_false(qv_irq_fired(t->d, 1, QV_VEC_RX));
}

/* One frame into fn 1's ring, written back, before this returns. */
static void deliver(IrqT *t)
{
    uint8_t frame[128];

    qv_frame(frame, t->mac, src_mac, 0x88b5, sizeof(frame));
    frame[14] = t->delivered;
    qv_inject(t->d, frame, sizeof(frame));
    t->delivered++;
    qv_wait_stat_sum(t->d, (int[]){ 1 }, 1,
                     (unsigned[]){ QV_STAT_RX_PACKETS }, 1, t->delivered);
    g_assert_cmpint(qv_rx_take(t->d, &t->rx, NULL, 0, NULL, NULL, NULL), ==,
                    sizeof(frame));
    qv_rx_post(t->d, &t->rx, 1);
    qv_sync(t->d);
}

/* Nothing but (maybe) fn 1's RX vector ever fires in these tests. */
static void assert_others_quiet(QvDev *d)
{
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_TX));
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_MISC));
    g_assert_false(qv_irq_fired(d, 2, QV_VEC_RX));
    g_assert_false(qv_irq_fired(d, 0, QV_VEC_RX));
}

/*
 * ITR 100 us: the first delivery sends at once; deliveries inside the
 * window send nothing until virtual time reaches the window's end, then
 * exactly one message for all of them; a delivery after a quiet window
 * sends at once again. The first message goes out at virtual time 0 on
 * purpose: "never sent" must not be confused with "sent at time 0".
 */
static void test_irq_moderation(void)
{
    IrqT t;
    int i;

    irq_start(&t);
    qv_wr(t.d, 1, QV_FN_ITR(QV_VEC_RX), ITR_US);
    g_assert_cmpuint(qv_rd(t.d, 1, QV_FN_ITR(QV_VEC_RX)), ==, ITR_US);

    /* (a) first frame: message at once. */
    deliver(&t);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));

    /* (b) three more inside the window: nothing yet. */
    for (i = 0; i < 3; i++) {
        deliver(&t);
        g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    }
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_CAUSE), ==, QV_INT_RX);
    qv_step(t.d, ITR_NS / 2);
    deliver(&t);
    qv_step(t.d, ITR_NS / 2 - 1);
    qv_sync(t.d);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* The window ends 100 us after the first message: one message. */
    qv_step(t.d, 1);
    qv_sync(t.d);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* Exactly one: nothing more however long we wait. */
    qv_step(t.d, 10 * ITR_NS);
    qv_sync(t.d);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));

    /* A frame after a quiet window: at once, then coalescing again. */
    deliver(&t);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    qv_step(t.d, ITR_NS - 1);
    deliver(&t);
    deliver(&t);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    qv_step(t.d, 1);
    qv_sync(t.d);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* The coalesced message opened a new window: next frame waits. */
    qv_step(t.d, ITR_NS / 4);
    deliver(&t);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    qv_step(t.d, ITR_NS - ITR_NS / 4 - 1);
    qv_sync(t.d);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    qv_step(t.d, 1);
    qv_sync(t.d);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));

    /* The device never clears the cause itself. */
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_CAUSE), ==, QV_INT_RX);
    g_assert_cmpuint(qv_stat(t.d, 1, QV_STAT_RX_PACKETS), ==, 9);
    assert_others_quiet(t.d);
    qv_stop(t.d);
}

/* (c) ITR 0: every delivery sends its own message, time standing still. */
static void test_irq_no_moderation(void)
{
    IrqT t;
    int i;

    irq_start(&t);
    g_assert_cmpuint(qv_rd(t.d, 1, QV_FN_ITR(QV_VEC_RX)), ==, 0);
    for (i = 0; i < 8; i++) {
        deliver(&t);
        g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
        g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    }
    /*
     * Moderation switched on right after a message: the window counts
     * from that message, so the next delivery waits for its end.
     */
    qv_wr(t.d, 1, QV_FN_ITR(QV_VEC_RX), ITR_US);
    deliver(&t);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    qv_step(t.d, ITR_NS);
    qv_sync(t.d);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    deliver(&t);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* ...and switched off again: the next delivery sends at once. */
    qv_wr(t.d, 1, QV_FN_ITR(QV_VEC_RX), 0);
    for (i = 0; i < 4; i++) {
        deliver(&t);
        g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    }
    /* Out-of-range ITR is clamped. */
    qv_wr(t.d, 1, QV_FN_ITR(QV_VEC_RX), QV_ITR_MAX_US + 1);
    g_assert_cmpuint(qv_rd(t.d, 1, QV_FN_ITR(QV_VEC_RX)), ==, QV_ITR_MAX_US);
    assert_others_quiet(t.d);
    qv_stop(t.d);
}

/*
 * (d) Mask and cause: a masked cause sends nothing; unmasking sends it if
 * it is still raised, nothing if the driver cleared it (W1C) first.
 */
static void test_irq_mask_cause(void)
{
    IrqT t;

    irq_start(&t);
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_MASK), ==, 0);
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_CAUSE), ==, 0);

    qv_wr(t.d, 1, QV_FN_INT_MASK_SET, QV_INT_RX);
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_MASK), ==, QV_INT_RX);
    deliver(&t);
    deliver(&t);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_CAUSE), ==, QV_INT_RX);
    /* Time passing does not leak it either. */
    qv_step(t.d, 10 * ITR_NS);
    qv_sync(t.d);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* Unmasking another cause does not send RX. */
    qv_wr(t.d, 1, QV_FN_INT_MASK_SET, QV_INT_TX);
    qv_wr(t.d, 1, QV_FN_INT_MASK_CLR, QV_INT_TX);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* Unmask RX with the cause raised: one message, now. */
    qv_wr(t.d, 1, QV_FN_INT_MASK_CLR, QV_INT_RX);
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_MASK), ==, 0);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));

    /* W1C: writing 0 or other bits clears nothing; RX's bit clears RX. */
    qv_wr(t.d, 1, QV_FN_INT_CAUSE, 0);
    qv_wr(t.d, 1, QV_FN_INT_CAUSE, QV_INT_TX | QV_INT_MISC);
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_CAUSE), ==, QV_INT_RX);
    qv_wr(t.d, 1, QV_FN_INT_CAUSE, QV_INT_RX);
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_CAUSE), ==, 0);

    /* Masked, raised, cleared by the driver, unmasked: nothing. */
    qv_wr(t.d, 1, QV_FN_INT_MASK_SET, QV_INT_RX);
    deliver(&t);
    g_assert_cmphex(qv_rd(t.d, 1, QV_FN_INT_CAUSE), ==, QV_INT_RX);
    qv_wr(t.d, 1, QV_FN_INT_CAUSE, QV_INT_RX);
    qv_wr(t.d, 1, QV_FN_INT_MASK_CLR, QV_INT_RX);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* Unmasked with nothing raised: nothing. */
    qv_wr(t.d, 1, QV_FN_INT_MASK_CLR, QV_INT_ALL);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* And a new frame sends again. */
    deliver(&t);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));

    /*
     * With moderation: a coalesced message whose window ends while the
     * cause is masked is held back, and sent by the unmask.
     */
    qv_wr(t.d, 1, QV_FN_ITR(QV_VEC_RX), ITR_US);
    qv_step(t.d, 10 * ITR_NS);
    deliver(&t);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    deliver(&t);
    qv_wr(t.d, 1, QV_FN_INT_MASK_SET, QV_INT_RX);
    qv_step(t.d, 2 * ITR_NS);
    qv_sync(t.d);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    qv_wr(t.d, 1, QV_FN_INT_MASK_CLR, QV_INT_RX);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    /* That message opened a window too. */
    deliver(&t);
    g_assert_false(qv_irq_fired(t.d, 1, QV_VEC_RX));
    qv_step(t.d, ITR_NS);
    qv_sync(t.d);
    g_assert_true(qv_irq_fired(t.d, 1, QV_VEC_RX));
    assert_others_quiet(t.d);
    qv_stop(t.d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/irq/moderation", test_irq_moderation);
    qtest_add_func("/qosvnic/irq/no-moderation", test_irq_no_moderation);
    qtest_add_func("/qosvnic/irq/mask-cause", test_irq_mask_cause);
    return g_test_run();
}
