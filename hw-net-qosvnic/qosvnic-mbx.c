/*
 * qosvnic: PF<->VF mailbox.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each VF has QV_MBX_WORDS words of mailbox memory (QvFunc.mbx_mem), seen
 * by the VF at QV_FN_MBX_MEM and by the PF at QV_MGMT(fn) + QV_MG_MBX_MEM.
 * The device only transports messages; the PF driver interprets them.
 *
 * The handshake is the one qosvnic_hw.h states (QV_FN_MBX_CTRL):
 *
 * VF -> PF:  VF writes words, QV_MBX_REQ (clears PF_ACK)
 *              -> PF: QV_PFMBX_VF_REQ, the VF's bit in QV_DEV_MBX_PENDING,
 *                 misc interrupt QV_MISC_VF_MBX.
 *            PF writes the reply over the request, QV_PFMBX_ACK |
 *            QV_PFMBX_SEND (ACK alone: consumed, no reply)
 *              -> VF: QV_MBX_PF_ACK (and PF_MSG), misc interrupt QV_MISC_MBX.
 * PF -> VF:  PF writes words, QV_PFMBX_SEND (clears PFMBX_VF_ACK)
 *              -> VF: QV_MBX_PF_MSG, misc interrupt QV_MISC_MBX.
 * VF reads:  QV_MBX_VF_ACK (clears PF_MSG)
 *              -> PF: QV_PFMBX_VF_ACK, pending bit, QV_MISC_VF_MBX.
 *
 * Both directions share the one buffer, so the device keeps an owner for
 * it (QvFunc.mbx_owner, readable by both sides as QV_MBX_OWNER_* in their
 * control register) and drops word writes from the side that does not
 * own it, with a guest error:
 *
 *   NONE  free; the first side to write a word owns it.
 *   VF    the VF composes a request, or has a PF message to read.
 *   PF    the PF composes a message, or has a request to answer.
 *
 * REQ hands the buffer to the PF; SEND hands it to the VF; ACK alone and
 * VF_ACK free it. A command that does not fit the state (REQ while a
 * request or a PF message is unacknowledged or while the PF composes, SEND
 * over a pending request or an unread message, ACK with no request,
 * VF_ACK with no message) is a guest error and changes nothing, except
 * that an ACK with no request frees words the PF holds (its reply to a
 * request the VF's reset took away); a VF whose REQ was dropped sees no
 * reply and retries after its timeout. PF_ACK stays set until the next
 * REQ, PFMBX_VF_ACK until the next SEND.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "migration/vmstate.h"
#include "qosvnic.h"
#include "trace.h"

static const char *const qv_mbx_owner_name[] = {
    [QV_MBX_OWNER_NONE] = "none",
    [QV_MBX_OWNER_VF] = "VF",
    [QV_MBX_OWNER_PF] = "PF",
};

static void qosvnic_mbx_guest_error(QvFunc *f, const char *side,
                                    const char *what)
{
    qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u mailbox: %s %s while "
                  "owner is %s (VF ctrl 0x%x, PF ctrl 0x%x): ignored\n",
                  f->fn, side, what, qv_mbx_owner_name[f->mbx_owner],
                  f->mbx_ctrl, f->mbx_pf_ctrl);
    trace_qosvnic_mbx_ignored(f->fn, side, what, f->mbx_owner);
}

/*
 * Tells the PF that VF @f wrote: its pending bit and, when that bit goes
 * from clear to set, the PF's misc vector. While the bit is set the PF has
 * yet to look at this VF, and will then find whatever the VF did since, so
 * a VF cannot interrupt the PF faster than the PF services it: a VF looping
 * over REQ and its own reset (which keeps the bit) raises one interrupt.
 */
static void qosvnic_mbx_notify_pf(QvFunc *f)
{
    QosvnicState *s = f->dev;
    uint32_t vf = f->fn - 1;
    uint32_t bit = 1u << (vf % 32);

    if (s->mbx_pending[vf / 32] & bit) {
        trace_qosvnic_mbx_pf_busy(f->fn);
        return;
    }
    s->mbx_pending[vf / 32] |= bit;
    qosvnic_irq_misc(&s->funcs[0], QV_MISC_VF_MBX);
}

void qosvnic_mbx_vf_write(QvFunc *f, uint32_t val)
{
    trace_qosvnic_mbx_vf_write(f->fn, val, f->mbx_owner);
    if (f->fn == 0) {
        /* The PF has no mailbox to itself. */
        qosvnic_mbx_guest_error(f, "PF", "used the VF mailbox");
        return;
    }
    if ((val & QV_MBX_REQ) && (val & QV_MBX_VF_ACK)) {
        qosvnic_mbx_guest_error(f, "VF", "wrote REQ and VF_ACK together");
        return;
    }
    if (val & QV_MBX_REQ) {
        if (f->mbx_owner == QV_MBX_OWNER_PF ||
            (f->mbx_pf_ctrl & QV_PFMBX_VF_REQ) ||
            (f->mbx_ctrl & QV_MBX_PF_MSG)) {
            qosvnic_mbx_guest_error(f, "VF", "wrote REQ");
            return;
        }
        f->mbx_owner = QV_MBX_OWNER_PF;
        f->mbx_ctrl &= ~QV_MBX_PF_ACK;
        f->mbx_pf_ctrl |= QV_PFMBX_VF_REQ;
        qosvnic_mbx_notify_pf(f);
    } else if (val & QV_MBX_VF_ACK) {
        if (!(f->mbx_ctrl & QV_MBX_PF_MSG)) {
            qosvnic_mbx_guest_error(f, "VF", "wrote VF_ACK");
            return;
        }
        f->mbx_owner = QV_MBX_OWNER_NONE;
        f->mbx_ctrl &= ~QV_MBX_PF_MSG;
        f->mbx_pf_ctrl |= QV_PFMBX_VF_ACK;
        qosvnic_mbx_notify_pf(f);
    }
}

void qosvnic_mbx_pf_write(QvFunc *f, uint32_t val)
{
    trace_qosvnic_mbx_pf_write(f->fn, val, f->mbx_owner);
    if (f->fn == 0) {
        qosvnic_mbx_guest_error(f, "PF", "used the mailbox of function 0");
        return;
    }
    if (val & QV_PFMBX_ACK) {
        if (!(f->mbx_pf_ctrl & QV_PFMBX_VF_REQ)) {
            qosvnic_mbx_guest_error(f, "PF", "wrote ACK with no request");
            /*
             * A reply to a request the VF's reset took away: the PF's
             * reply words took the emptied buffer, and nothing but a
             * SEND would give it back, so the VF's next request would
             * be refused until its next reset. An ACK ends the PF's
             * turn either way.
             */
            if (f->mbx_owner == QV_MBX_OWNER_PF) {
                f->mbx_owner = QV_MBX_OWNER_NONE;
            }
            return;
        }
        f->mbx_pf_ctrl &= ~QV_PFMBX_VF_REQ;
        f->mbx_ctrl |= QV_MBX_PF_ACK;
        f->mbx_owner = QV_MBX_OWNER_NONE;
        if (val & QV_PFMBX_SEND) {
            /* The reply is in the words: the VF reads it and acks. */
            f->mbx_ctrl |= QV_MBX_PF_MSG;
            f->mbx_pf_ctrl &= ~QV_PFMBX_VF_ACK;
            f->mbx_owner = QV_MBX_OWNER_VF;
        }
        qosvnic_irq_misc(f, QV_MISC_MBX);
    } else if (val & QV_PFMBX_SEND) {
        if (f->mbx_owner == QV_MBX_OWNER_VF ||
            (f->mbx_pf_ctrl & QV_PFMBX_VF_REQ) ||
            (f->mbx_ctrl & QV_MBX_PF_MSG)) {
            qosvnic_mbx_guest_error(f, "PF", "wrote SEND");
            return;
        }
        f->mbx_owner = QV_MBX_OWNER_VF;
        f->mbx_pf_ctrl &= ~QV_PFMBX_VF_ACK;
        f->mbx_ctrl |= QV_MBX_PF_MSG;
        qosvnic_irq_misc(f, QV_MISC_MBX);
    }
}

/* Both sides read the owner of the words with their control bits. */
uint32_t qosvnic_mbx_vf_ctrl(QvFunc *f)
{
    return f->mbx_ctrl | (uint32_t)f->mbx_owner << QV_MBX_OWNER_SHIFT;
}

uint32_t qosvnic_mbx_pf_ctrl(QvFunc *f)
{
    return f->mbx_pf_ctrl | (uint32_t)f->mbx_owner << QV_MBX_OWNER_SHIFT;
}

void qosvnic_mbx_mem_write(QvFunc *f, bool from_pf, unsigned idx,
                           uint32_t val)
{
    uint8_t me = from_pf ? QV_MBX_OWNER_PF : QV_MBX_OWNER_VF;

    if (idx >= QV_MBX_WORDS) {
        return;
    }
    if (f->fn == 0 || (f->mbx_owner != QV_MBX_OWNER_NONE &&
                       f->mbx_owner != me)) {
        qosvnic_mbx_guest_error(f, from_pf ? "PF" : "VF",
                                "wrote mailbox memory");
        return;
    }
    f->mbx_owner = me;
    f->mbx_mem[idx] = val;
}

/*
 * A function reset empties the mailbox but leaves the VF's pending bit to
 * the PF, which then finds nothing to do: see qosvnic_mbx_notify_pf().
 */
void qosvnic_mbx_reset(QvFunc *f)
{
    memset(f->mbx_mem, 0, sizeof(f->mbx_mem));
    f->mbx_ctrl = 0;
    f->mbx_pf_ctrl = 0;
    f->mbx_owner = QV_MBX_OWNER_NONE;
}

/* A VF that is enabled or disabled starts with no news for the PF. */
void qosvnic_mbx_forget(QvFunc *f)
{
    QosvnicState *s = f->dev;
    uint32_t vf = f->fn - 1;

    s->mbx_pending[vf / 32] &= ~(1u << (vf % 32));
}

/* ------------------------------------------------------------ migration */

/* The owner indexes qv_mbx_owner_name[]: the stream is not trusted. */
static int qosvnic_mbx_post_load(void *opaque, int version_id)
{
    QosvnicState *s = opaque;

    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        if (s->funcs[i].mbx_owner > QV_MBX_OWNER_PF) {
            return qv_load_reject("mailbox owner out of range");
        }
    }
    return 0;
}

static const VMStateDescription vmstate_qosvnic_mbx_fn = {
    .name = "qosvnic/mailbox-fn",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(mbx_mem, QvFunc, QV_MBX_WORDS),
        VMSTATE_UINT32(mbx_ctrl, QvFunc),
        VMSTATE_UINT32(mbx_pf_ctrl, QvFunc),
        VMSTATE_UINT8(mbx_owner, QvFunc),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_qosvnic_mbx = {
    .name = "qosvnic/mailbox",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = qosvnic_mbx_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(funcs, QosvnicState, QV_MAX_FUNCS, 1,
                             vmstate_qosvnic_mbx_fn, QvFunc),
        VMSTATE_UINT32_ARRAY(mbx_pending, QosvnicState, QV_DEV_MBX_WORDS),
        VMSTATE_END_OF_LIST()
    },
};
