/*
 * qosvnic qtest: PF<->VF mailbox, both directions, with interrupts, and
 * the ownership rules for the shared mailbox memory.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "standard-headers/linux/pci_regs.h"
#include "qosvnic-qtest-lib.h"

/* The owner of the shared words, as both control registers show it. */
#define OWN(o)  ((o) << QV_MBX_OWNER_SHIFT)
#define OWN_VF  OWN(QV_MBX_OWNER_VF)
#define OWN_PF  OWN(QV_MBX_OWNER_PF)

static QvDev *mbx_start(unsigned nvfs)
{
    QvDev *d = qv_start(NULL, NULL);
    unsigned fn;

    qv_enable_vfs(d, nvfs);
    qv_fn_start(d, 0);
    for (fn = 1; fn <= nvfs; fn++) {
        qv_fn_start(d, fn);
    }
    /* Start from quiet interrupt words. */
    for (fn = 0; fn <= nvfs; fn++) {
        qv_irq_fired(d, fn, QV_VEC_MISC);
    }
    return d;
}

/* The PF was told that VF vf (fn vf + 1) wrote; acknowledge the cause. */
static void assert_pf_notified(QvDev *d, int fn)
{
    uint32_t vf = fn - 1;

    qv_sync(d);
    g_assert_true(qv_irq_fired(d, 0, QV_VEC_MISC));
    g_assert_true(qv_rd(d, 0, QV_FN_MISC_CAUSE) & QV_MISC_VF_MBX);
    g_assert_cmphex(qv_rd(d, 0, QV_DEV_MBX_PENDING(vf / 32)), ==,
                    1u << (vf % 32));
    /* RW1C: the PF clears what it has seen. */
    qv_wr(d, 0, QV_DEV_MBX_PENDING(vf / 32), 1u << (vf % 32));
    g_assert_cmphex(qv_rd(d, 0, QV_DEV_MBX_PENDING(vf / 32)), ==, 0);
    qv_wr(d, 0, QV_FN_MISC_CAUSE, QV_MISC_VF_MBX);
}

static void assert_vf_notified(QvDev *d, int fn)
{
    qv_sync(d);
    g_assert_true(qv_irq_fired(d, fn, QV_VEC_MISC));
    g_assert_true(qv_rd(d, fn, QV_FN_MISC_CAUSE) & QV_MISC_MBX);
    qv_wr(d, fn, QV_FN_MISC_CAUSE, QV_MISC_MBX);
}

/*
 * VF -> PF request and its reply: QOS_REQ with the (min, default, max)
 * tuple, answered with the granted tuple.
 */
static void test_mbx_vf_request(void)
{
    QvDev *d = mbx_start(2);
    const int fn = 2;

    qv_wr(d, fn, QV_FN_MBX_MEM(0), QV_MSG_QOS_REQ);
    qv_wr(d, fn, QV_FN_MBX_MEM(1), 100);
    qv_wr(d, fn, QV_FN_MBX_MEM(2), 500);
    qv_wr(d, fn, QV_FN_MBX_MEM(3), 1000);
    qv_wr(d, fn, QV_FN_MBX_CTRL, QV_MBX_REQ);

    assert_pf_notified(d, fn);
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_MISC));
    g_assert_cmphex(qv_mg_rd(d, fn, QV_MG_MBX_CTRL), ==,
                    QV_PFMBX_VF_REQ | OWN_PF);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, 0);
    g_assert_cmphex(qv_mg_rd(d, fn, QV_MG_MBX_MEM(0)), ==, QV_MSG_QOS_REQ);
    g_assert_cmpuint(qv_mg_rd(d, fn, QV_MG_MBX_MEM(1)), ==, 100);
    g_assert_cmpuint(qv_mg_rd(d, fn, QV_MG_MBX_MEM(2)), ==, 500);
    g_assert_cmpuint(qv_mg_rd(d, fn, QV_MG_MBX_MEM(3)), ==, 1000);
    g_assert_cmphex(qv_rd(d, fn, QV_FN_MBX_CTRL), ==, OWN_PF);

    /* The PF grants (100, 400, 800) and replies. */
    qv_mg_wr(d, fn, QV_MG_MBX_MEM(0), QV_MSG_QOS_REQ | QV_MSG_ACK);
    qv_mg_wr(d, fn, QV_MG_MBX_MEM(2), 400);
    qv_mg_wr(d, fn, QV_MG_MBX_MEM(3), 800);
    qv_mg_wr(d, fn, QV_MG_MBX_CTRL, QV_PFMBX_ACK | QV_PFMBX_SEND);

    assert_vf_notified(d, fn);
    g_assert_false(qv_irq_fired(d, 0, QV_VEC_MISC));
    g_assert_cmphex(qv_rd(d, fn, QV_FN_MBX_CTRL), ==,
                    QV_MBX_PF_ACK | QV_MBX_PF_MSG | OWN_VF);
    g_assert_cmphex(qv_mg_rd(d, fn, QV_MG_MBX_CTRL), ==, OWN_VF);
    g_assert_cmphex(qv_rd(d, fn, QV_FN_MBX_MEM(0)), ==,
                    QV_MSG_QOS_REQ | QV_MSG_ACK);
    g_assert_cmpuint(qv_rd(d, fn, QV_FN_MBX_MEM(1)), ==, 100);
    g_assert_cmpuint(qv_rd(d, fn, QV_FN_MBX_MEM(2)), ==, 400);
    g_assert_cmpuint(qv_rd(d, fn, QV_FN_MBX_MEM(3)), ==, 800);

    /* The VF has read the reply and acknowledges it. */
    qv_wr(d, fn, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
    assert_pf_notified(d, fn);
    g_assert_cmphex(qv_mg_rd(d, fn, QV_MG_MBX_CTRL), ==, QV_PFMBX_VF_ACK);
    g_assert_cmphex(qv_rd(d, fn, QV_FN_MBX_CTRL), ==, QV_MBX_PF_ACK);

    /* Next request; the PF consumes it without a reply (ACK alone). */
    qv_wr(d, fn, QV_FN_MBX_MEM(0), QV_MSG_SET_MC);
    qv_wr(d, fn, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, fn);
    g_assert_cmphex(qv_rd(d, fn, QV_FN_MBX_CTRL), ==, OWN_PF);
    qv_mg_wr(d, fn, QV_MG_MBX_CTRL, QV_PFMBX_ACK);
    assert_vf_notified(d, fn);
    g_assert_cmphex(qv_rd(d, fn, QV_FN_MBX_CTRL), ==, QV_MBX_PF_ACK);
    g_assert_cmphex(qv_mg_rd(d, fn, QV_MG_MBX_CTRL), ==, QV_PFMBX_VF_ACK);
    /* Nothing to read, so the buffer is free for the PF at once. */
    qv_mg_wr(d, fn, QV_MG_MBX_MEM(0), QV_MSG_LINK_CHANGE);
    qv_mg_wr(d, fn, QV_MG_MBX_CTRL, QV_PFMBX_SEND);
    assert_vf_notified(d, fn);
    g_assert_cmphex(qv_rd(d, fn, QV_FN_MBX_MEM(0)), ==, QV_MSG_LINK_CHANGE);
    qv_stop(d);
}

/* PF -> VF notification (LINK_CHANGE) and the VF's acknowledgement. */
static void test_mbx_pf_message(void)
{
    QvDev *d = mbx_start(1);

    qv_mg_wr(d, 1, QV_MG_MBX_MEM(0), QV_MSG_LINK_CHANGE);
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(1), 1);
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_SEND);

    assert_vf_notified(d, 1);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, QV_MBX_PF_MSG | OWN_VF);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_MEM(0)), ==, QV_MSG_LINK_CHANGE);
    g_assert_cmpuint(qv_rd(d, 1, QV_FN_MBX_MEM(1)), ==, 1);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, OWN_VF);

    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
    assert_pf_notified(d, 1);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, QV_PFMBX_VF_ACK);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, 0);

    /* A second message clears the old VF_ACK. */
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_SEND);
    assert_vf_notified(d, 1);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, OWN_VF);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, QV_MBX_PF_MSG | OWN_VF);
    qv_stop(d);
}

/*
 * Ownership: while a request is pending the VF cannot change it, the PF
 * cannot send over it, and commands that do not fit the state change
 * nothing (and raise no interrupt).
 */
static void test_mbx_races(void)
{
    QvDev *d = mbx_start(2);

    /* Nothing to acknowledge yet. */
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_ACK);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
    qv_sync(d);
    g_assert_false(qv_irq_fired(d, 0, QV_VEC_MISC));
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_MISC));
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, 0);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, 0);

    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_SET_MAC);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, 1);

    /* The VF rewrites its pending message and rings again: ignored. */
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    qv_sync(d);
    g_assert_false(qv_irq_fired(d, 0, QV_VEC_MISC));
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_MEM(0)), ==, QV_MSG_SET_MAC);
    g_assert_cmphex(qv_rd(d, 0, QV_DEV_MBX_PENDING(0)), ==, 0);

    /* The PF cannot send over a pending request. */
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_SEND);
    qv_sync(d);
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_MISC));
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, OWN_PF);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==,
                    QV_PFMBX_VF_REQ | OWN_PF);

    /* VF2's mailbox is independent. */
    qv_wr(d, 2, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    qv_wr(d, 2, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, 2);
    g_assert_cmphex(qv_mg_rd(d, 2, QV_MG_MBX_MEM(0)), ==, QV_MSG_RESET);

    /*
     * Reply to VF1; until the VF acknowledges it the PF cannot overwrite
     * it or send.
     */
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(0), QV_MSG_SET_MAC | QV_MSG_NACK);
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_ACK | QV_PFMBX_SEND);
    assert_vf_notified(d, 1);
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(0), QV_MSG_LINK_CHANGE);
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_SEND);
    qv_sync(d);
    g_assert_false(qv_irq_fired(d, 1, QV_VEC_MISC));
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_MEM(0)), ==,
                    QV_MSG_SET_MAC | QV_MSG_NACK);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==,
                    QV_MBX_PF_ACK | QV_MBX_PF_MSG | OWN_VF);

    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
    assert_pf_notified(d, 1);
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(0), QV_MSG_LINK_CHANGE);
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_SEND);
    assert_vf_notified(d, 1);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_MEM(0)), ==, QV_MSG_LINK_CHANGE);

    /* A VF request while the PF's message is unread: ignored. */
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    qv_sync(d);
    g_assert_false(qv_irq_fired(d, 0, QV_VEC_MISC));
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, OWN_VF);

    /* A function reset of VF1 empties its mailbox. */
    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RESET);
    qv_sync(d);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, 0);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, 0);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_MEM(0)), ==, 0);
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, 1);
    qv_stop(d);
}

/*
 * The owner of the shared words is readable on both sides (contract
 * request 13): the first side to write a word takes them, the other
 * side's word writes are dropped, and REQ, SEND, ACK and VF_ACK hand
 * them over.
 */
static void test_mbx_owner(void)
{
    QvDev *d = mbx_start(1);

    g_assert_true(qv_rd(d, 0, QV_DEV_CAPS) & QV_CAPS_MBX_OWNER);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, 0);

    /* The VF starts a request: it owns the words; the PF's write drops. */
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_PING);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, OWN_VF);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, OWN_VF);
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(0), QV_MSG_RESET);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_MEM(0)), ==, QV_MSG_PING);

    /* REQ: the PF owns them until it answers; the VF's write drops. */
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, 1);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==,
                    QV_PFMBX_VF_REQ | OWN_PF);
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_MEM(0)), ==, QV_MSG_PING);

    /* ACK alone: consumed, free again. */
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_ACK);
    assert_vf_notified(d, 1);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, QV_MBX_PF_ACK);

    /* The PF composes a notification: it owns them, then SEND: the VF. */
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(0), QV_MSG_RESET);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, QV_MBX_PF_ACK | OWN_PF);
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_PING);
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_SEND);
    assert_vf_notified(d, 1);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==,
                    QV_MBX_PF_ACK | QV_MBX_PF_MSG | OWN_VF);
    /* A notification carries status 0 (QV_MSG_RESET: reset, then ask). */
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_MEM(0)), ==, QV_MSG_RESET);

    /* VF_ACK frees them. */
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
    assert_pf_notified(d, 1);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, QV_MBX_PF_ACK);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, QV_PFMBX_VF_ACK);
    qv_stop(d);
}

/*
 * A VF that loops over a request and its own reset (CTRL_RESET or FLR)
 * must not interrupt the PF once per loop: the PF hears of it once, and
 * again only after it has cleared the VF's pending bit. A VF that is
 * disabled and enabled again starts with a clear bit.
 */
static void test_mbx_reset_flood(void)
{
    QvDev *d = mbx_start(2);
    uint8_t devfn = qv_fn_devfn(1);
    int i;

    for (i = 0; i < 200; i++) {
        qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_RESET);
        qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
        qv_sync(d);
        g_assert_cmpint(qv_irq_fired(d, 0, QV_VEC_MISC), ==, i == 0);
        if (i % 50 == 49) {
            qv_cfg_writew(d, QV_T_PF_BUS, devfn,
                          QV_CAP_EXP_OFFSET + PCI_EXP_DEVCTL,
                          PCI_EXP_DEVCTL_BCR_FLR);
            qv_cfg_writew(d, QV_T_PF_BUS, devfn, PCI_COMMAND,
                          PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        } else {
            qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RESET);
        }
    }
    /* The PF finds the bit and an empty mailbox: nothing was lost. */
    g_assert_cmphex(qv_rd(d, 0, QV_DEV_MBX_PENDING(0)), ==, 1);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, 0);

    /* VF2 is not held up by VF1's bit. */
    qv_wr(d, 2, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    qv_wr(d, 2, QV_FN_MBX_CTRL, QV_MBX_REQ);
    qv_sync(d);
    g_assert_true(qv_irq_fired(d, 0, QV_VEC_MISC));
    g_assert_cmphex(qv_rd(d, 0, QV_DEV_MBX_PENDING(0)), ==, 3);

    /* Cleared, VF1's next request interrupts again. */
    qv_wr(d, 0, QV_DEV_MBX_PENDING(0), 1);
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    qv_sync(d);
    g_assert_true(qv_irq_fired(d, 0, QV_VEC_MISC));

    /* Disabled and enabled again, the VFs start with clear bits. */
    qv_disable_vfs(d);
    g_assert_cmphex(qv_rd(d, 0, QV_DEV_MBX_PENDING(0)), ==, 0);
    qv_enable_vfs(d, 2);
    qv_fn_start(d, 1);
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, 1);
    qv_stop(d);
}

/*
 * The VF resets while the PF writes its reply: the reset empties the
 * mailbox, the PF's next reply word takes the free words, and its ACK |
 * SEND finds no request. Before, the PF kept the words, and every request
 * of the VF's driver (starting again after its reset) was refused until
 * the VF's next reset.
 */
static void test_mbx_reset_during_reply(void)
{
    QvDev *d = mbx_start(1);

    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_PING);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, 1);
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(0), QV_MSG_PING | QV_MSG_ACK);
    qv_wr(d, 1, QV_FN_CTRL, QV_CTRL_RESET);
    qv_mg_wr(d, 1, QV_MG_MBX_MEM(1), 0);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==, OWN_PF);
    qv_mg_wr(d, 1, QV_MG_MBX_CTRL, QV_PFMBX_ACK | QV_PFMBX_SEND);
    qv_sync(d);
    g_assert_cmphex(qv_rd(d, 1, QV_FN_MBX_CTRL), ==, 0);

    /* The VF's driver starts again and asks: the PF hears of it. */
    qv_fn_start(d, 1);
    qv_wr(d, 1, QV_FN_MBX_MEM(0), QV_MSG_RESET);
    qv_wr(d, 1, QV_FN_MBX_CTRL, QV_MBX_REQ);
    assert_pf_notified(d, 1);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_CTRL), ==,
                    QV_PFMBX_VF_REQ | OWN_PF);
    g_assert_cmphex(qv_mg_rd(d, 1, QV_MG_MBX_MEM(0)), ==, QV_MSG_RESET);
    qv_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/qosvnic/mbx/vf-request", test_mbx_vf_request);
    qtest_add_func("/qosvnic/mbx/pf-message", test_mbx_pf_message);
    qtest_add_func("/qosvnic/mbx/races", test_mbx_races);
    qtest_add_func("/qosvnic/mbx/owner", test_mbx_owner);
    qtest_add_func("/qosvnic/mbx/reset-flood", test_mbx_reset_flood);
    qtest_add_func("/qosvnic/mbx/reset-during-reply",
                   test_mbx_reset_during_reply);
    return g_test_run();
}
