/*
 * qosvnic: the TX engine: which function transmits next, and when.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A TX_TAIL write only schedules the engine (a bottom half guarded by the
 * PF's reentrancy guard); the engine then serves the functions one frame
 * at a time (qosvnic_tx_frame(), qosvnic-tx.c) until it has put
 * QV_TX_BUDGET segments on the wire or the switch, and reschedules itself
 * if work is left.
 *
 * Scheduling among functions (documented in docs/):
 *   - Round robin, one frame per turn, starting after the function served
 *     last (s->tx_rr_next).
 *   - Minimum share: a function with QV_MG_TX_MIN_RATE set has a meter that
 *     earns credit at that rate (capped at QV_TX_MIN_CREDIT_MAX bytes) and
 *     is charged the wire bytes it sends. While its credit is positive it
 *     is below its guarantee and is served before every function that is
 *     not; among those, round robin again.
 *   - Maximum rate: a function whose bucket lacks the tokens for the frame
 *     at its head is skipped (the frame stays in its ring, counted once per
 *     stop in TX_THROTTLED) until tokens return.
 *   - Line rate: if the wire bucket lacks the tokens for a frame bound to
 *     the wire, the whole engine stops: the device has one egress port.
 *   One timer (tx_timer) wakes the engine at the earliest time a stopped
 *   function, or the wire, can go on. It runs the engine itself under the
 *   PF's reentrancy guard, so frames leave at the exact virtual time their
 *   tokens return (qtest's clock_step runs timers, not bottom halves).
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "system/runstate.h"
#include "hw/pci/pci_device.h"
#include "migration/vmstate.h"
#include "qosvnic.h"
#include "trace.h"

/*
 * Segments served per engine run, over all functions: the work of a run
 * is bounded by what it emits, not by the descriptors it consumes (one
 * TSO frame becomes up to 64 KiB / QV_TSO_MSS_MIN segments; a broadcast
 * is one copy per function it is flooded to, plus the wire's).
 */
#define QV_TX_BUDGET            64

/* Keeps the function's shaper and min-share meter in step with QV_MG_*. */
static void qosvnic_tx_sync_rates(QvFunc *f, int64_t now)
{
    /*
     * The shaper keeps the credit it has earned, or the debt it owes,
     * across a new ceiling and across function resets, as the ingress
     * policer does: re-applying a ceiling (a rate toggled by one, a
     * reset loop) must not refill the bucket. Only a bucket that was
     * unlimited starts full.
     */
    if (f->tx.max_mbps != f->tx_max_mbps) {
        f->tx.max_mbps = f->tx_max_mbps;
        f->tx.throttled = false;
        trace_qosvnic_tx_rate(f->fn, f->tx_max_mbps, f->tx_min_mbps);
    }
    qv_tb_config(&f->tx_tb, QV_MBPS_TO_BYTES(f->tx_max_mbps), QV_TX_BURST,
                 now);
    if (f->tx.min_mbps != f->tx_min_mbps) {
        f->tx.min_mbps = f->tx_min_mbps;
        f->tx.min_credit = 0;
        f->tx.min_last_ns = now;
        trace_qosvnic_tx_rate(f->fn, f->tx_max_mbps, f->tx_min_mbps);
    }
}

/* Has TX queue @q of @f posted descriptors the engine has not seen? */
static bool qosvnic_txq_has_work(QvFunc *f, unsigned q)
{
    QvRing *r = &f->txq[q];

    return r->head != r->tail &&
           !(f->tx.incomplete[q] && f->tx.incomplete_tail[q] == r->tail);
}

/*
 * Could one of the function's rings give the engine a frame, tokens
 * aside? Only such a function may keep the engine's timer armed: one that
 * cannot make progress (TX off, ring stopped, bus mastering off) would
 * make the timer fire again and again with nothing to do.
 */
static bool qosvnic_tx_has_work(QvFunc *f)
{
    PCIDevice *d = f->pci;
    unsigned q;

    if (!(f->ctrl & QV_CTRL_TX_EN) ||
        (f->status_err & QV_STATUS_TX_RING_ERR) || !d ||
        !(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        return false;
    }
    for (q = 0; q < QV_NUM_QUEUES; q++) {
        if (qosvnic_txq_has_work(f, q)) {
            return true;
        }
    }
    return false;
}

/*
 * The queue of @f served next: round robin, one frame per turn, from the
 * one after the queue that sent last. A queue whose frame the shaper held
 * back stays first, so the function's frames wait in order for its
 * tokens (the shaper and the minimum share are the function's, over all
 * of its queues).
 */
static unsigned qosvnic_tx_pick_queue(QvFunc *f)
{
    for (unsigned i = 0; i < QV_NUM_QUEUES; i++) {
        unsigned q = (f->tx.q + i) % QV_NUM_QUEUES;

        if (qosvnic_txq_has_work(f, q)) {
            return q;
        }
    }
    return QV_NUM_QUEUES;
}

/* Could the engine serve this function now? */
static bool qosvnic_tx_ready(QosvnicState *s, QvFunc *f, int64_t now)
{
    if (!qosvnic_tx_has_work(f)) {
        return false;
    }
    qosvnic_tx_sync_rates(f, now);
    if (f->tx.throttled && qv_tb_wait_ns(&f->tx_tb, f->tx.need, now) > 0) {
        return false;
    }
    return true;
}

/*
 * Picks the next function to serve: round robin from s->tx_rr_next, first
 * among the functions below their minimum share, then among all.
 */
static int qosvnic_tx_pick(QosvnicState *s, int64_t now,
                           const unsigned long *skip)
{
    int pass, i;

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < s->num_funcs; i++) {
            uint32_t fn = (s->tx_rr_next + i) % s->num_funcs;
            QvFunc *f = &s->funcs[fn];

            if (test_bit(fn, skip) || !qosvnic_tx_ready(s, f, now)) {
                continue;
            }
            if (pass == 0 && !qosvnic_tx_below_min(f, now)) {
                continue;
            }
            return fn;
        }
    }
    return -1;
}

/*
 * Arms tx_timer for the earliest time a stopped function or the wire can
 * go on, or stops it if nothing waits. The timer is armed only for a
 * wait that ends in the future, for a function that has work: it is never
 * re-armed without progress (a function whose tokens are back now was
 * either served by this run or left to the rescheduled bottom half).
 */
static void qosvnic_tx_arm_timer(QosvnicState *s, int64_t now)
{
    int64_t wait = INT64_MAX;
    int fn;

    if (s->wire_need) {
        wait = qv_tb_wait_ns(&s->wire_tb, s->wire_need, now);
    } else {
        for (fn = 0; fn < s->num_funcs; fn++) {
            QvFunc *f = &s->funcs[fn];
            int64_t w;

            if (!f->tx.throttled || !qosvnic_tx_has_work(f)) {
                continue;
            }
            w = qv_tb_wait_ns(&f->tx_tb, f->tx.need, now);
            if (w > 0) {
                wait = MIN(wait, w);
            }
        }
    }
    if (wait <= 0 || qv_tb_deadline(now, wait) == INT64_MAX) {
        timer_del(s->tx_timer);
    } else {
        timer_mod(s->tx_timer, now + wait);
        trace_qosvnic_tx_timer(wait);
    }
}

/* One TX interrupt per queue that completed frames in the run. */
static void qosvnic_tx_raise(QosvnicState *s, const unsigned long *done,
                             const uint8_t *queues)
{
    int fn;

    for (fn = 0; fn < s->num_funcs; fn++) {
        uint32_t cause = 0;

        if (!test_bit(fn, done)) {
            continue;
        }
        for (unsigned q = 0; q < QV_NUM_QUEUES; q++) {
            if (queues[fn] & BIT(q)) {
                cause |= qosvnic_q_cause(q, true);
            }
        }
        qosvnic_irq_raise(&s->funcs[fn], cause);
    }
}

/* The TX engine. Runs with the PF's reentrancy guard engaged. */
static void qosvnic_tx_run(QosvnicState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    unsigned long skip[BITS_TO_LONGS(QV_MAX_FUNCS)] = { 0 };
    unsigned long done[BITS_TO_LONGS(QV_MAX_FUNCS)] = { 0 };
    uint8_t queues[QV_MAX_FUNCS];
    uint32_t served = 0;        /* segments, against QV_TX_BUDGET */
    uint32_t frames = 0;
    bool wire_busy = false;
    int fn;

    /* Not while the VM is stopped: as the DMA scheduler (qosvnic-sched.c). */
    if (!runstate_is_running()) {
        return;
    }
    if (s->wire_mbps != s->line_rate_mbps) {
        /* Set up on first use; it keeps its credit across resets. */
        s->wire_mbps = s->line_rate_mbps;
        qv_tb_config(&s->wire_tb, QV_MBPS_TO_BYTES(s->wire_mbps),
                     QV_TX_BURST, now);
        s->wire_need = 0;
    }
    if (s->wire_need) {
        if (qv_tb_wait_ns(&s->wire_tb, s->wire_need, now) > 0) {
            qosvnic_tx_arm_timer(s, now);
            return;
        }
        s->wire_need = 0;
    }

    while (!wire_busy && served < QV_TX_BUDGET &&
           (fn = qosvnic_tx_pick(s, now, skip)) >= 0) {
        QvFunc *f = &s->funcs[fn];
        unsigned q = qosvnic_tx_pick_queue(f);
        uint32_t segs = 1;

        switch (qosvnic_tx_frame(s, f, q, now, &segs)) {
        case QV_TX_DONE:
            served += segs;
            frames++;
            if (!test_bit(fn, done)) {
                set_bit(fn, done);
                queues[fn] = 0;
            }
            queues[fn] |= BIT(q);
            f->tx.q = (q + 1) % QV_NUM_QUEUES;
            s->tx_rr_next = (fn + 1) % s->num_funcs;
            break;
        case QV_TX_WIRE_BUSY:
            wire_busy = true;
            break;
        case QV_TX_IDLE:
            /* That queue waits for its tail; the function's others may go. */
            break;
        default:
            set_bit(fn, skip);
            break;
        }
    }

    qosvnic_tx_raise(s, done, queues);
    trace_qosvnic_tx_run(frames, served);
    if (served >= QV_TX_BUDGET && !wire_busy) {
        /* Out of budget with work left: yield to the main loop. */
        qemu_bh_schedule(s->tx_bh);
    }
    qosvnic_tx_arm_timer(s, now);
}

void qosvnic_tx_bh(void *opaque)
{
    qosvnic_tx_run(opaque);
}

/*
 * Timer callbacks are not covered by a reentrancy guard, so this one
 * engages the PF's guard itself (as a guarded BH would) before it runs the
 * engine, which DMAs.
 */
void qosvnic_tx_timer_cb(void *opaque)
{
    QosvnicState *s = opaque;
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;

    if (guard->engaged_in_io) {
        qemu_bh_schedule(s->tx_bh);
        return;
    }
    guard->engaged_in_io = true;
    qosvnic_tx_run(s);
    guard->engaged_in_io = false;
}

void qosvnic_tx_ring_changed(QvFunc *f)
{
    memset(f->tx.incomplete, 0, sizeof(f->tx.incomplete));
}

void qosvnic_tx_kick(QosvnicState *s)
{
    trace_qosvnic_tx_kick();
    qemu_bh_schedule(s->tx_bh);
}

void qosvnic_tx_fn_reset(QvFunc *f)
{
    /*
     * Neither the shaper (tx_tb) nor the min-share meter is reset: both
     * run at the PF's rates, which a function reset keeps. A reset must
     * not hand out a new burst, nor forgive the debt that keeps a
     * function over its guarantee in the round robin (a reset loop would
     * otherwise put it ahead of every other function).
     */
    uint32_t min_mbps = f->tx.min_mbps;
    int64_t min_credit = f->tx.min_credit;
    int64_t min_last_ns = f->tx.min_last_ns;

    memset(&f->tx, 0, sizeof(f->tx));
    f->tx.min_mbps = min_mbps;
    f->tx.min_credit = min_credit;
    f->tx.min_last_ns = min_last_ns;
}

void qosvnic_tx_reset(QosvnicState *s)
{
    int fn;

    timer_del(s->tx_timer);
    for (fn = 0; fn < s->num_funcs; fn++) {
        qosvnic_tx_fn_reset(&s->funcs[fn]);
    }
    /* The shapers and the line rate keep their credit (see above). */
    s->tx_rr_next = 0;
    s->wire_need = 0;
}

/* ---------------------------------------------------------- migration */

/*
 * The shapers travel with the buffer subsection and keep their credit or
 * debt; the engine's view of them (QvTxFn) is rebuilt here. The line-rate
 * bucket and the timer are not migrated; the engine sets them up again.
 * The stream is not trusted (see qosvnic-buf.c): what it says is checked.
 */
static int qosvnic_tx_post_load(void *opaque, int version_id)
{
    const int64_t cap = (int64_t)QV_TX_MIN_CREDIT_MAX * NANOSECONDS_PER_SECOND;
    QosvnicState *s = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint32_t fn;

    if (s->tx_rr_next >= s->num_funcs) {
        return qv_load_reject("TX round-robin position out of range");
    }
    for (fn = 0; fn < QV_MAX_FUNCS; fn++) {
        QvFunc *f = &s->funcs[fn];

        if (f->tx.min_credit > cap || f->tx.min_credit < -cap) {
            return qv_load_reject("TX minimum-share credit out of range");
        }
        f->tx.min_last_ns = MIN(f->tx.min_last_ns, now);
        f->tx.max_mbps = 0;
        f->tx.throttled = false;
        f->tx.q = 0;
        memset(f->tx.incomplete, 0, sizeof(f->tx.incomplete));
    }
    s->wire_need = 0;
    qemu_bh_schedule(s->tx_bh);
    return 0;
}

static const VMStateDescription vmstate_qosvnic_tx_fn = {
    .name = "qosvnic/tx-fn",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(tx.min_mbps, QvFunc),
        VMSTATE_INT64(tx.min_credit, QvFunc),
        VMSTATE_INT64(tx.min_last_ns, QvFunc),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_qosvnic_tx = {
    .name = "qosvnic/tx",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = qosvnic_tx_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(funcs, QosvnicState, QV_MAX_FUNCS, 1,
                             vmstate_qosvnic_tx_fn, QvFunc),
        VMSTATE_UINT32(tx_rr_next, QosvnicState),
        VMSTATE_END_OF_LIST()
    },
};
