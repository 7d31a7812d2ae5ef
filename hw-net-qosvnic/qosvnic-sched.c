/*
 * qosvnic: DMA scheduler: strict priority + deficit round robin into RX
 * rings.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Functions with frames held in their partition sit on the DRR list of
 * their priority class (QV_MG_PRIO, 0 served first). Inside a class each
 * visit grants QV_MG_WEIGHT * QV_DRR_QUANTUM bytes of deficit, and frames
 * go while they fit (Shreedhar & Varghese, 1995). A function whose ring
 * cannot take its next frame leaves the list, keeping its frames (the
 * backpressure stays in its own partition), and comes back when the driver
 * moves RX_TAIL (qosvnic_sched_kick).
 *
 * The work runs in a bottom half guarded by the PF's reentrancy guard, at
 * most QV_SCHED_BUDGET frames per run before it reschedules itself. With
 * the dma-rate property set, the DMA engine is a token bucket of
 * QV_DMA_BURST bytes refilled at that rate; when it runs dry the one device
 * timer is armed for when a batch (QV_DMA_BATCH bytes) can go, so timers
 * are armed per batch, not per frame.
 *
 * Every DMA is checked: a failure, like a badly programmed ring, stops that
 * function's ring (QV_STATUS_RX_RING_ERR, QV_MISC_RING_ERR), drops what it
 * held and leaves every other function alone, until the function is reset.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "system/runstate.h"
#include "hw/pci/pci.h"
#include "qosvnic.h"
#include "trace.h"

#define QV_SCHED_BUDGET         64      /* frames per BH run */
#define QV_SCHED_SPIN_MAX       1024    /* list operations per BH run */
#define QV_DRR_QUANTUM          1514    /* bytes per unit of weight */
#define QV_DMA_BURST            QV_MAX_FRAME
#define QV_DMA_BATCH            (16 * KiB)

static uint32_t qv_class(QvFunc *f)
{
    return MIN(f->prio, QV_PRIO_CLASSES - 1);
}

static int32_t qv_quantum(QvFunc *f)
{
    return MIN(MAX(f->weight, QV_WEIGHT_MIN), QV_WEIGHT_MAX) *
           QV_DRR_QUANTUM;
}

static void qv_link(QosvnicState *s, QvFunc *f)
{
    uint32_t c = qv_class(f);
    QvDrrClass *cl = &s->drr[c];

    f->drr_prio = c;
    f->drr_next = QV_FN_NONE;
    f->drr_deficit = 0;
    f->drr_turn = false;
    f->drr_active = true;
    if (cl->head == QV_FN_NONE) {
        cl->head = f->fn;
    } else {
        s->funcs[cl->tail].drr_next = f->fn;
    }
    cl->tail = f->fn;
    s->prio_pending |= 1u << c;
}

static void qv_unlink_head(QosvnicState *s, uint32_t c)
{
    QvDrrClass *cl = &s->drr[c];
    QvFunc *f = &s->funcs[cl->head];

    cl->head = f->drr_next;
    if (cl->head == QV_FN_NONE) {
        cl->tail = QV_FN_NONE;
        s->prio_pending &= ~(1u << c);
    }
    f->drr_next = QV_FN_NONE;
    f->drr_active = false;
    f->drr_deficit = 0;
    f->drr_turn = false;
}

/* End of a visit: to the back of the class. */
static void qv_rotate(QosvnicState *s, uint32_t c)
{
    QvDrrClass *cl = &s->drr[c];
    QvFunc *f = &s->funcs[cl->head];

    f->drr_turn = false;
    if (cl->head == cl->tail) {
        return;
    }
    cl->head = f->drr_next;
    f->drr_next = QV_FN_NONE;
    s->funcs[cl->tail].drr_next = f->fn;
    cl->tail = f->fn;
}

void qosvnic_sched_remove(QosvnicState *s, QvFunc *f)
{
    QvDrrClass *cl;
    uint32_t prev = QV_FN_NONE, cur;

    if (!f->drr_active) {
        return;
    }
    cl = &s->drr[f->drr_prio];
    cur = cl->head;
    for (unsigned i = 0; i < QV_MAX_FUNCS && cur != QV_FN_NONE; i++) {
        if (cur == f->fn) {
            if (prev == QV_FN_NONE) {
                qv_unlink_head(s, f->drr_prio);
                return;
            }
            s->funcs[prev].drr_next = f->drr_next;
            if (cl->tail == f->fn) {
                cl->tail = prev;
            }
            break;
        }
        prev = cur;
        cur = s->funcs[cur].drr_next;
    }
    f->drr_next = QV_FN_NONE;
    f->drr_active = false;
    f->drr_deficit = 0;
    f->drr_turn = false;
}

void qosvnic_sched_kick(QosvnicState *s, QvFunc *f)
{
    if (f) {
        if (f->part.nframes && !f->drr_active) {
            qv_link(s, f);
        }
    } else {
        for (uint32_t fn = 0; fn < s->num_funcs; fn++) {
            if (s->funcs[fn].part.nframes && !s->funcs[fn].drr_active) {
                qv_link(s, &s->funcs[fn]);
            }
        }
    }
    if (s->prio_pending && s->rx_bh) {
        qemu_bh_schedule(s->rx_bh);
    }
}

/* ---------------------------------------------------------------- rings */

/* Stop @f's ring: the guest gave us something we cannot use. */
static void qv_rx_ring_error(QosvnicState *s, QvFunc *f, const char *why,
                             uint64_t addr)
{
    uint32_t dropped;

    qemu_log_mask(LOG_GUEST_ERROR,
                  "qosvnic: fn %u: RX ring stopped: %s (0x%" PRIx64 ")\n",
                  f->fn, why, addr);
    trace_qosvnic_rx_ring_error(f->fn, why, addr);
    f->status_err |= QV_STATUS_RX_RING_ERR;
    qosvnic_sched_remove(s, f);
    /* Held frames can no longer be delivered: free the cells for others. */
    dropped = qosvnic_buf_flush(s, f);
    qosvnic_stat_discard(f, QV_STAT_DROP_RING_FULL, dropped);
    qosvnic_irq_misc(f, QV_MISC_RING_ERR);
}

/* May @f's rings be written now? */
static bool qv_rx_ready(QosvnicState *s, QvFunc *f)
{
    PCIDevice *pci = qosvnic_fn_pci(s, f->fn);

    /*
     * The link gates admission only: frames already in device memory still
     * reach the ring after the link went down, as on a real NIC.
     */
    if (!pci || !qosvnic_fn_enabled(f) || !(f->ctrl & QV_CTRL_RX_EN) ||
        (f->status_err & QV_STATUS_RX_RING_ERR) ||
        !(pci_get_word(pci->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        /* Held, not dropped: the kick on RX enable brings it back. */
        return false;
    }
    return true;
}

/*
 * Copies the next @chunk bytes of the frame (@cur) into the guest buffer
 * at @ba. False if the ring was stopped, or the function reset under us.
 */
static bool qv_rx_dma_chunk(QosvnicState *s, QvFunc *f, PCIDevice *pci,
                            QvBufCursor *cur, uint64_t ba, uint32_t chunk,
                            uint32_t gen)
{
    uint32_t done = 0;

    while (done < chunk) {
        const uint8_t *p;
        size_t n = qosvnic_buf_cursor_next(s, cur, chunk - done, &p);

        if (!n) {
            break;
        }
        if (pci_dma_write(pci, ba + done, p, n) != MEMTX_OK) {
            qv_rx_ring_error(s, f, "buffer write failed", ba + done);
            return false;
        }
        if (gen != f->rx_gen) {
            return false;
        }
        done += n;
    }
    return true;
}

/* The counters of a frame delivered to @f. */
static void qv_rx_count(QvFunc *f, uint32_t len, const uint8_t *dst,
                        uint16_t status)
{
    f->stats[QV_STAT_RX_PACKETS]++;
    f->stats[QV_STAT_RX_BYTES] += len;
    if (is_broadcast_ether_addr(dst)) {
        f->stats[QV_STAT_RX_BCAST]++;
    } else if (is_multicast_ether_addr(dst)) {
        f->stats[QV_STAT_RX_MCAST]++;
    }
    if (status & QV_RXD_STA_LOOPBACK) {
        f->stats[QV_STAT_LOOPBACK_RX]++;
    }
}

/*
 * Bytes of a frame in its first RX buffer: rx_buf_size, or fewer with
 * x-rx-first-len, which splits a frame early as header-splitting NICs do,
 * so that tests can show a driver taking any split.
 */
static uint32_t qv_rx_first_chunk(QosvnicState *s, QvFunc *f)
{
    return s->rx_first_len ? MIN(s->rx_first_len, f->rx_buf_size)
                           : f->rx_buf_size;
}

/* RX descriptors a @len-byte frame takes. */
static uint32_t qv_rx_descs_for(QosvnicState *s, QvFunc *f, uint32_t len)
{
    uint32_t first = qv_rx_first_chunk(s, f);

    return len <= first ? 1 : 1 + DIV_ROUND_UP(len - first, f->rx_buf_size);
}

/*
 * Write @f's head frame into its ring, one descriptor per rx_buf_size
 * bytes (the first may take fewer, qv_rx_first_chunk()). The caller made
 * sure there are enough descriptors. A guest may aim a DMA at the device
 * itself; should that reach a register (a VF's BAR) and reset the
 * function, rx_gen changes and we stop touching the frame. Returns true
 * if the frame was delivered and popped.
 */
static bool qv_rx_dma_frame(QosvnicState *s, QvFunc *f, unsigned q,
                            uint32_t nd)
{
    PCIDevice *pci = qosvnic_fn_pci(s, f->fn);
    QvFrame *fr = qosvnic_buf_peek(s, f, q);
    QvRing *r = &f->rxq[q];
    uint32_t ndesc = r->size / QV_RXD_SIZE;
    uint32_t head = r->head, gen = f->rx_gen;
    uint32_t len = fr->len, left = len;
    uint16_t status0 = fr->status, vlan = fr->vlan, gso = fr->gso_size;
    uint16_t src_port = fr->src_port;
    uint32_t rss_hash = fr->rss_hash;
    uint8_t dst[ETH_ALEN];
    QvBufCursor cur;

    qosvnic_buf_read(s, fr, 0, dst, ETH_ALEN);
    qosvnic_buf_cursor_init(s, fr, &cur);

    for (uint32_t i = 0; i < nd; i++) {
        dma_addr_t da = qosvnic_ring_desc(r->base, head, QV_RXD_SIZE);
        uint32_t chunk = MIN(i ? f->rx_buf_size : qv_rx_first_chunk(s, f),
                             left);
        uint16_t status;
        uint64_t ba, wb;

        /* Only the buffer address is the driver's; the rest is ours. */
        if (!qosvnic_rxd_read_addr(pci, da, &ba)) {
            qv_rx_ring_error(s, f, "descriptor read failed", da);
            return false;
        }
        if (gen != f->rx_gen ||
            !qv_rx_dma_chunk(s, f, pci, &cur, ba, chunk, gen)) {
            return false;
        }
        left -= chunk;

        status = QV_RXD_STA_DD | (left ? 0 : QV_RXD_STA_EOP) |
                 (i ? 0 : status0);
        /*
         * The whole write-back (len, status with DD, vlan, gso_size) is one
         * aligned 8-byte store, so the driver never sees DD with a stale
         * length, and it costs one DMA instead of two.
         */
        QEMU_BUILD_BUG_ON(QV_RXD_LEN != 8 || QV_RXD_STATUS != 10 ||
                          QV_RXD_VLAN != 12 || QV_RXD_GSO_SIZE != 14);
        wb = chunk | (uint64_t)status << 16 |
             (uint64_t)(i ? 0 : vlan) << 32 | (uint64_t)(i ? 0 : gso) << 48;
        if (!i && (status0 & QV_RXD_STA_SRC_PORT) &&
            !qosvnic_rxd_write_src_port(pci, da, src_port)) {
            qv_rx_ring_error(s, f, "descriptor write-back failed", da);
            return false;
        }
        if (!i && (status0 & QV_RXD_STA_RSS_MASK) &&
            !qosvnic_rxd_write_rss(pci, da, rss_hash)) {
            qv_rx_ring_error(s, f, "descriptor write-back failed", da);
            return false;
        }
        if (!qosvnic_rxd_write_back(pci, da, wb)) {
            qv_rx_ring_error(s, f, "descriptor write-back failed", da);
            return false;
        }
        if (gen != f->rx_gen) {
            return false;
        }
        head = (head + 1) % ndesc;
    }

    trace_qosvnic_sched_deliver(f->fn, len, nd, head);
    r->head = head;
    qosvnic_buf_pop(s, f, q);
    f->part.rr = (q + 1) % QV_NUM_QUEUES;
    qv_rx_count(f, len, dst, status0);
    return true;
}

/*
 * DRR: a visit grants the function its quantum once; a frame larger than
 * its deficit sends it to the back of its class (false), unless it is
 * alone there and simply gets the quanta it needs.
 */
static bool qv_drr_turn(QosvnicState *s, uint32_t c, QvFunc *f, uint32_t len)
{
    if (!f->drr_turn) {
        f->drr_deficit += qv_quantum(f);
        f->drr_turn = true;
    }
    if (len <= f->drr_deficit) {
        return true;
    }
    if (s->drr[c].head != s->drr[c].tail) {
        qv_rotate(s, c);
        return false;
    }
    /* Alone in its class: no one to yield to. */
    f->drr_deficit += DIV_ROUND_UP(len - f->drr_deficit, qv_quantum(f)) *
                      qv_quantum(f);
    return true;
}

/*
 * Can RX queue @q of @f take the frame at the head of its FIFO now? Then
 * *@frp is that frame and *@nd the descriptors it needs. The ring is
 * validated first (a bad one stops the function's RX); a frame the ring
 * could never take is dropped, and the next one looked at.
 */
static bool qv_queue_ready(QosvnicState *s, QvFunc *f, unsigned q,
                           QvFrame **frp, uint32_t *nd)
{
    QvRing *r = &f->rxq[q];
    const char *why = qosvnic_rx_ring_problem(f, q);
    QvFrame *fr;

    if (why) {
        qv_rx_ring_error(s, f, why, r->base);
        return false;
    }
    while ((fr = qosvnic_buf_peek(s, f, q))) {
        uint32_t ndesc = r->size / QV_RXD_SIZE;
        uint32_t need = qv_rx_descs_for(s, f, fr->len);
        uint32_t avail;

        if (need < ndesc) {
            avail = (r->tail + ndesc - r->head) % ndesc;
            if (avail < need) {
                trace_qosvnic_sched_blocked(f->fn, avail, need);
                return false;
            }
            *frp = fr;
            *nd = need;
            return true;
        }
        /* Could never fit: the ring is too small for the buffers. */
        qemu_log_mask(LOG_GUEST_ERROR,
                      "qosvnic: fn %u: %u-byte frame needs %u RX "
                      "descriptors, ring of queue %u has %u: dropped\n",
                      f->fn, fr->len, need, q, ndesc);
        qosvnic_buf_pop(s, f, q);
        qosvnic_stat_discard(f, QV_STAT_DROP_RING_FULL, 1);
    }
    return false;
}

/*
 * The RX queue of @f that sends next: round robin from its last one,
 * among the queues whose ring can take their next frame; QV_NUM_QUEUES if
 * none can now (the function then leaves the list until RX_TAIL moves).
 */
static unsigned qv_pick_queue(QosvnicState *s, QvFunc *f, QvFrame **frp,
                              uint32_t *nd)
{
    for (unsigned i = 0; i < QV_NUM_QUEUES; i++) {
        unsigned q = (f->part.rr + i) % QV_NUM_QUEUES;

        if (!f->part.qframes[q]) {
            continue;
        }
        if (qv_queue_ready(s, f, q, frp, nd)) {
            return q;
        }
        if (f->status_err & QV_STATUS_RX_RING_ERR) {
            break;
        }
    }
    return QV_NUM_QUEUES;
}

/*
 * The function at the head of class @c, if it sends its next frame (*@frp,
 * of queue *@qp) now, in *@nd descriptors; else NULL, the lists updated on
 * the way: moved to its new class, taken off (nothing to send, rings
 * unusable or full), rotated (DRR).
 */
static QvFunc *qv_sched_pick(QosvnicState *s, uint32_t c, QvFrame **frp,
                             unsigned *qp, uint32_t *nd)
{
    QvFunc *f = &s->funcs[s->drr[c].head];
    unsigned q = QV_NUM_QUEUES;

    if (qv_class(f) != c) {
        /* QV_MG_PRIO changed while it waited: move it. */
        qv_unlink_head(s, c);
        qv_link(s, f);
        return NULL;
    }
    if (f->part.nframes && qv_rx_ready(s, f)) {
        q = qv_pick_queue(s, f, frp, nd);
    }
    if (q == QV_NUM_QUEUES) {
        if (f->drr_active && s->drr[c].head == f->fn) {
            qv_unlink_head(s, c);
        }
        return NULL;
    }
    if (!qv_drr_turn(s, c, f, (*frp)->len)) {
        return NULL;
    }
    *qp = q;
    return f;
}

/* The modelled DMA bandwidth: false, with the timer armed, if it must wait. */
static bool qv_dma_take(QosvnicState *s, uint32_t len, int64_t now)
{
    if (s->dma_rate_bps && !qv_tb_conform(&s->dma_tb, len, now)) {
        uint64_t want = MIN(QV_DMA_BURST, MAX(len, QV_DMA_BATCH));
        int64_t wait = qv_tb_wait_ns(&s->dma_tb, want, now);

        trace_qosvnic_sched_dma_wait(wait);
        if (qv_tb_deadline(now, wait) == INT64_MAX) {
            timer_del(s->dma_timer);
        } else {
            timer_mod(s->dma_timer, now + wait);
        }
        return false;
    }
    qv_tb_consume(&s->dma_tb, len);
    return true;
}

/* One RX interrupt per queue that got frames in this run. */
static void qv_sched_raise(QosvnicState *s, uint64_t *raise, unsigned words,
                           const uint8_t *queues)
{
    for (unsigned i = 0; i < words; i++) {
        while (raise[i]) {
            unsigned b = ctz64(raise[i]), fn = i * 64 + b;
            uint32_t cause = 0;

            raise[i] &= raise[i] - 1;
            for (unsigned q = 0; q < QV_NUM_QUEUES; q++) {
                if (queues[fn] & BIT(q)) {
                    cause |= qosvnic_q_cause(q, false);
                }
            }
            qosvnic_irq_raise(&s->funcs[fn], cause);
        }
    }
}

/*
 * The DMA engine: strict priority between classes, DRR inside one, at
 * most QV_SCHED_BUDGET frames (and QV_SCHED_SPIN_MAX list operations) per
 * run.
 */
void qosvnic_sched_bh(void *opaque)
{
    QosvnicState *s = opaque;
    uint64_t raise[DIV_ROUND_UP(QV_MAX_FUNCS, 64)] = { 0 };
    uint8_t queues[QV_MAX_FUNCS];
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    unsigned budget = QV_SCHED_BUDGET, spins = 0;
    bool more = false;

    /*
     * A stopped VM's memory and interrupts are not the device's to change
     * (a migration's destination waits stopped until "cont"): the work
     * waits for the VM to run (qosvnic-pf.c kicks the engines then).
     */
    if (!runstate_is_running()) {
        return;
    }
    if (s->dma_rate_bps) {
        if (timer_pending(s->dma_timer)) {
            return;             /* the engine is busy; the timer calls us */
        }
        qv_tb_config(&s->dma_tb, s->dma_rate_bps, QV_DMA_BURST, now);
    }

    while (s->prio_pending) {
        uint32_t c = ctz32(s->prio_pending), nd;
        unsigned q;
        QvFrame *fr;
        QvFunc *f;

        if (!budget || ++spins > QV_SCHED_SPIN_MAX) {
            more = true;
            break;
        }
        f = qv_sched_pick(s, c, &fr, &q, &nd);
        if (!f) {
            continue;
        }
        if (!qv_dma_take(s, fr->len, now)) {
            break;
        }
        f->drr_deficit -= fr->len;
        if (!qv_rx_dma_frame(s, f, q, nd)) {
            continue;
        }
        if (!(raise[f->fn / 64] & (1ULL << (f->fn % 64)))) {
            raise[f->fn / 64] |= 1ULL << (f->fn % 64);
            queues[f->fn] = 0;
        }
        queues[f->fn] |= BIT(q);
        budget--;
        if (!f->part.nframes && f->drr_active && s->drr[c].head == f->fn) {
            qv_unlink_head(s, c);
        }
    }

    qv_sched_raise(s, raise, ARRAY_SIZE(raise), queues);
    if (more) {
        qemu_bh_schedule(s->rx_bh);
    }
}

void qosvnic_dma_timer_cb(void *opaque)
{
    QosvnicState *s = opaque;

    /* Timers are not reentrancy-guarded: do the work in the guarded BH. */
    qemu_bh_schedule(s->rx_bh);
}

static void qv_sched_lists_init(QosvnicState *s)
{
    for (unsigned i = 0; i < QV_PRIO_CLASSES; i++) {
        s->drr[i].head = s->drr[i].tail = QV_FN_NONE;
    }
    s->prio_pending = 0;
    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        s->funcs[i].drr_active = false;
        s->funcs[i].drr_turn = false;
        s->funcs[i].drr_deficit = 0;
        s->funcs[i].drr_next = QV_FN_NONE;
    }
}

void qosvnic_sched_rebuild(QosvnicState *s)
{
    qv_sched_lists_init(s);
    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        s->funcs[i].rx_gen++;
    }
    qosvnic_sched_kick(s, NULL);
}

void qosvnic_sched_reset(QosvnicState *s)
{
    qv_sched_lists_init(s);
    if (s->dma_timer) {
        timer_del(s->dma_timer);
    }
    s->dma_tb = (QvTokenBucket) { 0 };
}
