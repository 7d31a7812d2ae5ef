/*
 * qosvnic: device buffer memory, partitions and Dynamic Threshold admission.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The device buffer is buf_size bytes cut into QV_CELL_SIZE cells, all
 * allocated at realize: a frame is a singly linked chain of cells
 * (cell_next[]) described by a QvFrame from a pool of ncells entries (a
 * frame uses at least one cell, so the pool cannot run dry first). Nothing
 * is allocated per frame.
 *
 * Accounting, in cells:
 * - every function has a guaranteed reserve; the reserves sum to at most
 *   ncells, and what they leave is the shared pool (shared_cells);
 * - cells a function holds beyond its reserve are borrowed from the pool
 *   (shared_used is the sum of what every function borrows);
 * - Dynamic Threshold (Choudhury & Hahne, 1998): a function may borrow
 *   while, after the frame is admitted, borrowed <= alpha * free shared
 *   cells; alpha = 0 makes the partition static. With one function
 *   borrowing alone it settles at alpha / (1 + alpha) of the pool, and the
 *   free remainder is what keeps room for the others.
 * Physical space is checked as well (free_cells): after a reserve shrank
 * below what its function holds, the excess counts as borrowed until those
 * frames drain, and a reserve grows only into cells nobody ties up, so
 * every reserve stays backed by free cells; nothing admitted is ever lost
 * or moved by a repartition.
 *
 * Default partitioning (realize and device reset): half the buffer is
 * split in equal reserves among the PF and max-vfs VFs, the other half is
 * the shared pool; alpha is the vf-alpha property for every function.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "migration/vmstate.h"
#include "qosvnic.h"
#include "trace.h"

static uint32_t qv_borrowed(const QvPartition *p)
{
    return p->used_cells > p->reserve_cells ?
           p->used_cells - p->reserve_cells : 0;
}

static uint32_t qv_shared_free(QosvnicState *s)
{
    return s->shared_cells > s->shared_used ?
           s->shared_cells - s->shared_used : 0;
}

/* In 64 bits: a migration stream is checked with it, and may lie. */
static uint64_t qv_reserve_sum(QosvnicState *s)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        sum += s->funcs[i].part.reserve_cells;
    }
    return sum;
}

/* Recompute the pool after a reserve changed. O(functions), on writes. */
static void qv_recount_shared(QosvnicState *s)
{
    uint32_t used = 0;

    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        used += qv_borrowed(&s->funcs[i].part);
    }
    s->shared_cells = s->ncells - qv_reserve_sum(s);
    s->shared_used = used;
}

static void qv_part_init(QvPartition *p)
{
    p->used_cells = 0;
    p->peak_cells = 0;
    for (unsigned q = 0; q < QV_NUM_QUEUES; q++) {
        p->head[q] = p->tail[q] = QV_CELL_NONE;
        p->qframes[q] = 0;
    }
    p->nframes = 0;
    p->rr = 0;
}

uint32_t qosvnic_buf_default_reserve(QosvnicState *s)
{
    return s->ncells / 2 / MAX(s->num_funcs, 1) * QV_CELL_SIZE;
}

static void qv_default_partitioning(QosvnicState *s)
{
    uint32_t nfn = MAX(s->num_funcs, 1);
    uint32_t each = qosvnic_buf_default_reserve(s) / QV_CELL_SIZE;

    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        QvPartition *p = &s->funcs[i].part;

        p->reserve_cells = i < nfn ? each : 0;
        p->alpha = MIN(s->vf_alpha, QV_ALPHA_MAX);
    }
    qv_recount_shared(s);
}

/* Put every cell and frame on the free lists. */
static void qv_free_all(QosvnicState *s)
{
    for (uint32_t i = 0; i < s->ncells; i++) {
        s->cell_next[i] = i + 1 < s->ncells ? i + 1 : QV_CELL_NONE;
        s->frames[i] = (QvFrame) {
            .first_cell = QV_CELL_NONE,
            .next = i + 1 < s->ncells ? i + 1 : QV_CELL_NONE,
        };
    }
    s->free_cell_head = 0;
    s->free_cells = s->ncells;
    s->free_frame_head = 0;
    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        qv_part_init(&s->funcs[i].part);
        s->funcs[i].rx_gen++;
    }
}

void qosvnic_buf_init(QosvnicState *s)
{
    uint32_t size = MIN(MAX(s->buf_size, QV_BUF_MIN), QV_BUF_MAX);

    s->ncells = size / QV_CELL_SIZE;
    s->buf_bytes = s->ncells * QV_CELL_SIZE;
    s->cells = g_malloc0(s->buf_bytes);
    s->cell_next = g_new(uint32_t, s->ncells);
    s->frames = g_new0(QvFrame, s->ncells);
    qv_free_all(s);
    qv_default_partitioning(s);
}

void qosvnic_buf_free(QosvnicState *s)
{
    g_free(s->cells);
    g_free(s->cell_next);
    g_free(s->frames);
    s->cells = NULL;
    s->cell_next = NULL;
    s->frames = NULL;
    s->ncells = 0;
}

void qosvnic_buf_reset(QosvnicState *s)
{
    if (!s->cells) {
        return;
    }
    qv_free_all(s);
    qv_default_partitioning(s);
}

/* The cells a partition ties up: its reserve, or what it holds if more. */
static uint32_t qv_committed(const QvPartition *p)
{
    return MAX(p->used_cells, p->reserve_cells);
}

/*
 * The cells every function but @f ties up: their reserves and what they
 * have borrowed. While the total stays within the buffer, every reserve is
 * backed by free cells, whatever the borrowers do.
 */
static uint64_t qv_committed_others(QosvnicState *s, QvFunc *f)
{
    return qv_reserve_sum(s) + s->shared_used - qv_committed(&f->part);
}

/*
 * A reserve grows only into cells nobody ties up: reserves plus what is
 * held beyond them must fit the buffer, or a function that holds frames
 * beyond a reserve just taken from it (and never drains them) would leave
 * the new reserve backed by cells that other functions' reserves need. A
 * shrink is always taken; nothing moves: the excess a function holds is
 * borrowed and returns to the pool as it drains.
 */
bool qosvnic_buf_set_reserve(QosvnicState *s, QvFunc *f, uint32_t bytes)
{
    uint64_t cells = DIV_ROUND_UP((uint64_t)bytes, QV_CELL_SIZE);
    uint64_t total = qv_committed_others(s, f) +
                     MAX(cells, f->part.used_cells);

    if (cells > f->part.reserve_cells && total > s->ncells) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "qosvnic: fn %u: buffer reserve of %u bytes refused: "
                      "reserves and frames held beyond them would total %"
                      PRIu64 " of %u cells\n", f->fn, bytes, total,
                      s->ncells);
        trace_qosvnic_buf_reserve_refused(f->fn, bytes, total, s->ncells);
        return false;
    }
    f->part.reserve_cells = cells;
    qv_recount_shared(s);
    trace_qosvnic_buf_reserve(f->fn, f->part.reserve_cells,
                              f->part.used_cells, s->shared_cells);
    return true;
}

uint32_t qosvnic_buf_reserve_bytes(QvFunc *f)
{
    return f->part.reserve_cells * QV_CELL_SIZE;
}

/* The largest reserve qosvnic_buf_set_reserve() takes for @f, in bytes. */
uint32_t qosvnic_buf_reserve_limit(QosvnicState *s, QvFunc *f)
{
    uint64_t others = qv_committed_others(s, f);
    uint64_t limit = f->part.reserve_cells;

    if (others + f->part.used_cells <= s->ncells) {
        limit = MAX(limit, s->ncells - others);
    }
    return limit * QV_CELL_SIZE;
}

void qosvnic_buf_set_alpha(QvFunc *f, uint32_t alpha)
{
    f->part.alpha = MIN(alpha, QV_ALPHA_MAX);
}

uint32_t qosvnic_buf_shared_free_bytes(QosvnicState *s)
{
    return qv_shared_free(s) * QV_CELL_SIZE;
}

void qosvnic_buf_clear_peak(QvFunc *f)
{
    /* The peak restarts from what is held now, not from zero. */
    f->part.peak_cells = f->part.used_cells;
}

/* May @f take @cells more cells? */
static bool qv_admit(QosvnicState *s, QvFunc *f, uint32_t cells)
{
    QvPartition *p = &f->part;
    uint32_t new_used = p->used_cells + cells;
    uint32_t old_b, new_b, extra, free_sh;

    if (cells > s->free_cells) {
        return false;
    }
    if (new_used <= p->reserve_cells) {
        return true;
    }
    old_b = qv_borrowed(p);
    new_b = new_used - p->reserve_cells;
    extra = new_b - old_b;
    free_sh = qv_shared_free(s);
    if (extra > free_sh) {
        return false;
    }
    /* Dynamic Threshold, checked on the state after admission. */
    return (uint64_t)new_b * QV_ALPHA_ONE <=
           (uint64_t)p->alpha * (free_sh - extra);
}

static void qv_account(QosvnicState *s, QvFunc *f, uint32_t cells, bool add)
{
    QvPartition *p = &f->part;
    uint32_t old_b = qv_borrowed(p);

    if (add) {
        p->used_cells += cells;
        p->peak_cells = MAX(p->peak_cells, p->used_cells);
    } else {
        p->used_cells -= cells;
    }
    s->shared_used = s->shared_used - old_b + qv_borrowed(p);
}

bool qosvnic_buf_store(QosvnicState *s, QvFunc *f, const struct iovec *iov,
                       int iovcnt, size_t offset, size_t len,
                       const QvFrame *meta)
{
    QvPartition *p = &f->part;
    uint32_t cells = DIV_ROUND_UP(len, QV_CELL_SIZE);
    uint32_t q = meta->queue % QV_NUM_QUEUES;
    uint32_t idx, c, prev = QV_CELL_NONE;
    QvFrame *fr;
    size_t done = 0;

    if (!len || len > QV_MAX_FRAME || !qv_admit(s, f, cells)) {
        trace_qosvnic_buf_full(f->fn, len, p->used_cells, p->reserve_cells,
                               qv_shared_free(s), s->free_cells);
        return false;
    }

    /* Take the cells off the free list, filling them as we go. */
    c = s->free_cell_head;
    for (uint32_t i = 0; i < cells; i++) {
        size_t n = MIN(len - done, QV_CELL_SIZE);

        iov_to_buf(iov, iovcnt, offset + done,
                   s->cells + (size_t)c * QV_CELL_SIZE, n);
        done += n;
        prev = c;
        c = s->cell_next[c];
    }
    s->cell_next[prev] = QV_CELL_NONE;

    idx = s->free_frame_head;
    fr = &s->frames[idx];
    s->free_frame_head = fr->next;
    *fr = *meta;
    fr->first_cell = s->free_cell_head;
    fr->len = len;
    fr->cells = cells;
    fr->next = QV_CELL_NONE;
    fr->queue = q;
    s->free_cell_head = c;
    s->free_cells -= cells;

    if (p->qframes[q]) {
        s->frames[p->tail[q]].next = idx;
    } else {
        p->head[q] = idx;
    }
    p->tail[q] = idx;
    p->qframes[q]++;
    p->nframes++;
    qv_account(s, f, cells, true);
    return true;
}

QvFrame *qosvnic_buf_peek(QosvnicState *s, QvFunc *f, unsigned q)
{
    return f->part.qframes[q] ? &s->frames[f->part.head[q]] : NULL;
}

void qosvnic_buf_cursor_init(QosvnicState *s, QvFrame *fr, QvBufCursor *c)
{
    c->cell = fr->first_cell;
    c->off = 0;
    c->left = fr->len;
}

size_t qosvnic_buf_cursor_next(QosvnicState *s, QvBufCursor *c,
                               size_t max, const uint8_t **p)
{
    size_t n = 0;

    if (!c->left || c->cell >= s->ncells) {
        return 0;
    }
    max = MIN(max, c->left);
    *p = s->cells + (size_t)c->cell * QV_CELL_SIZE + c->off;
    /*
     * Cells leave the free list mostly in address order, so a chain is
     * often contiguous: hand out whole runs to save DMA calls.
     */
    for (;;) {
        size_t k = MIN(max - n, QV_CELL_SIZE - c->off);
        uint32_t next;

        n += k;
        c->off += k;
        if (c->off < QV_CELL_SIZE) {
            break;
        }
        next = s->cell_next[c->cell];
        c->off = 0;
        if (n == max || next != c->cell + 1) {
            c->cell = next;
            break;
        }
        c->cell = next;
    }
    c->left -= n;
    return n;
}

void qosvnic_buf_read(QosvnicState *s, QvFrame *fr, size_t off,
                      void *dst, size_t len)
{
    QvBufCursor c;
    const uint8_t *p;
    uint8_t *d = dst;
    size_t n;

    qosvnic_buf_cursor_init(s, fr, &c);
    /* Skip whole cells first, then the rest of @off. */
    while (off >= QV_CELL_SIZE && c.left > QV_CELL_SIZE) {
        c.cell = s->cell_next[c.cell];
        c.left -= QV_CELL_SIZE;
        off -= QV_CELL_SIZE;
    }
    while (off && (n = qosvnic_buf_cursor_next(s, &c, off, &p))) {
        off -= n;
    }
    while (len && (n = qosvnic_buf_cursor_next(s, &c, len, &p))) {
        memcpy(d, p, n);
        d += n;
        len -= n;
    }
    memset(d, 0, len);
}

void qosvnic_buf_pop(QosvnicState *s, QvFunc *f, unsigned q)
{
    QvPartition *p = &f->part;
    uint32_t idx, last;
    QvFrame *fr;

    if (!p->qframes[q]) {
        return;
    }
    idx = p->head[q];
    fr = &s->frames[idx];

    /* Splice the frame's chain onto the front of the free list. */
    last = fr->first_cell;
    for (uint32_t i = 1; i < fr->cells; i++) {
        last = s->cell_next[last];
    }
    s->cell_next[last] = s->free_cell_head;
    s->free_cell_head = fr->first_cell;
    s->free_cells += fr->cells;
    qv_account(s, f, fr->cells, false);

    p->head[q] = fr->next;
    p->nframes--;
    if (!--p->qframes[q]) {
        p->head[q] = p->tail[q] = QV_CELL_NONE;
    }
    fr->first_cell = QV_CELL_NONE;
    fr->next = s->free_frame_head;
    s->free_frame_head = idx;
}

uint32_t qosvnic_buf_flush(QosvnicState *s, QvFunc *f)
{
    uint32_t n = f->part.nframes;

    for (unsigned q = 0; q < QV_NUM_QUEUES; q++) {
        while (f->part.qframes[q]) {
            qosvnic_buf_pop(s, f, q);
        }
    }
    /* Tell a delivery in progress that its frame is gone. */
    f->rx_gen++;
    if (n) {
        trace_qosvnic_buf_flush(f->fn, n);
    }
    return n;
}

/* ------------------------------------------------------------ migration */

/*
 * The stream is not trusted: every index, list and sum the datapath relies
 * on is checked, so that a bad stream fails the migration instead of
 * sending the datapath out of bounds. The free lists and the partitions'
 * frames must be disjoint chains that cover the cells and the frame pool
 * exactly and agree with the counters; in particular there must be a free
 * frame for every free cell, which qosvnic_buf_store() relies on.
 */
typedef struct QvBufCheck {
    uint8_t *cell_seen;
    uint8_t *frame_seen;
    uint32_t cells;         /* cells on a list so far */
    uint32_t frames;        /* frames on a list so far */
} QvBufCheck;

/* Takes cell chain @c of @n cells (QV_CELL_NONE-terminated) into @k. */
static bool qv_check_chain(QosvnicState *s, QvBufCheck *k, uint32_t c,
                           uint32_t n)
{
    uint32_t i = 0;

    for (; c != QV_CELL_NONE; c = s->cell_next[c]) {
        if (c >= s->ncells || k->cell_seen[c] || ++i > n) {
            return false;
        }
        k->cell_seen[c] = 1;
    }
    k->cells += i;
    return i == n;
}

static bool qv_check_frame_idx(QosvnicState *s, QvBufCheck *k, uint32_t idx)
{
    if (idx >= s->ncells || k->frame_seen[idx]) {
        return false;
    }
    k->frame_seen[idx] = 1;
    k->frames++;
    return true;
}

static const char *qv_check_free_lists(QosvnicState *s, QvBufCheck *k)
{
    uint32_t idx;

    if (s->free_cells > s->ncells ||
        !qv_check_chain(s, k, s->free_cell_head, s->free_cells)) {
        return "free cell list broken";
    }
    for (idx = s->free_frame_head; idx != QV_CELL_NONE;
         idx = s->frames[idx].next) {
        if (!qv_check_frame_idx(s, k, idx)) {
            return "free frame list broken";
        }
    }
    return NULL;
}

/* RX queue @q's FIFO of @p; adds its cells to *@used. */
static const char *qv_check_queue(QosvnicState *s, QvBufCheck *k,
                                  QvPartition *p, unsigned q, uint32_t *used)
{
    uint32_t idx = p->head[q], last = QV_CELL_NONE, n;

    for (n = 0; n < p->qframes[q]; n++, idx = s->frames[idx].next) {
        QvFrame *fr;

        if (!qv_check_frame_idx(s, k, idx)) {
            return "partition frame list broken";
        }
        fr = &s->frames[idx];
        if (!fr->len || fr->len > QV_MAX_FRAME ||
            fr->cells != DIV_ROUND_UP(fr->len, QV_CELL_SIZE) ||
            !qv_check_chain(s, k, fr->first_cell, fr->cells)) {
            return "frame cells wrong";
        }
        if (fr->queue != q) {
            return "frame on the FIFO of another RX queue";
        }
        *used += fr->cells;
        last = idx;
    }
    if (n && last != p->tail[q]) {
        return "partition accounting wrong";
    }
    return NULL;
}

static const char *qv_check_partition(QosvnicState *s, QvBufCheck *k,
                                      QvPartition *p)
{
    uint32_t used = 0, others = 0;
    const char *why;

    /*
     * The stream carries the total; queues 1.. come from the multi-queue
     * subsection (absent in older streams: then every frame is queue 0's).
     */
    for (unsigned q = 1; q < QV_NUM_QUEUES; q++) {
        if (p->qframes[q] > s->ncells) {
            return "partition accounting wrong";
        }
        others += p->qframes[q];
    }
    if (others > p->nframes) {
        return "partition accounting wrong";
    }
    p->qframes[0] = p->nframes - others;
    p->rr %= QV_NUM_QUEUES;
    for (unsigned q = 0; q < QV_NUM_QUEUES; q++) {
        why = qv_check_queue(s, k, p, q, &used);
        if (why) {
            return why;
        }
    }
    if (used != p->used_cells) {
        return "partition accounting wrong";
    }
    if (p->alpha > QV_ALPHA_MAX || p->reserve_cells > s->ncells) {
        return "partition reserve or alpha out of range";
    }
    return NULL;
}

/*
 * Called by the PF's post_load, after every subsection: the buffer's
 * state comes in two (the queues' FIFOs, and the rest), which a stream
 * may send in any order, repeated, or not at all.
 */
int qosvnic_buf_post_load(QosvnicState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    g_autofree uint8_t *cell_seen = g_new0(uint8_t, s->ncells);
    g_autofree uint8_t *frame_seen = g_new0(uint8_t, s->ncells);
    QvBufCheck k = { .cell_seen = cell_seen, .frame_seen = frame_seen };
    const char *why = qv_check_free_lists(s, &k);
    uint32_t shared_used = 0;

    for (unsigned i = 0; i < QV_MAX_FUNCS && !why; i++) {
        QvFunc *f = &s->funcs[i];

        if (i >= s->num_funcs && (f->part.nframes || f->part.reserve_cells)) {
            why = "partition of a function the device does not have";
        } else if (f->part.nframes && !qosvnic_fn_enabled(f)) {
            /* A VF's disable flushes its frames: nothing could take these. */
            why = "frames held for a disabled VF";
        } else if (!qv_tb_post_load(&f->rx_tb, now) ||
                   !qv_tb_post_load(&f->tx_tb, now)) {
            why = "token bucket out of range";
        } else {
            why = qv_check_partition(s, &k, &f->part);
            shared_used += qv_borrowed(&f->part);
        }
    }
    if (!why && (k.cells != s->ncells || k.frames != s->ncells)) {
        why = "cells or frames missing from every list";
    } else if (!why && qv_reserve_sum(s) > s->ncells) {
        why = "reserves exceed the buffer";
    } else if (!why && !qv_tb_post_load(&s->dma_tb, now)) {
        why = "DMA token bucket out of range";
    }
    if (why) {
        return qv_load_reject(why);
    }
    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        QvPartition *p = &s->funcs[i].part;

        p->peak_cells = MAX(p->peak_cells, p->used_cells);
    }
    s->shared_cells = s->ncells - qv_reserve_sum(s);
    s->shared_used = shared_used;
    return 0;
}

static const VMStateDescription vmstate_qv_frame = {
    .name = "qosvnic/frame",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(first_cell, QvFrame),
        VMSTATE_UINT32(len, QvFrame),
        VMSTATE_UINT32(cells, QvFrame),
        VMSTATE_UINT16(vlan, QvFrame),
        VMSTATE_UINT16(gso_size, QvFrame),
        VMSTATE_UINT16(status, QvFrame),
        VMSTATE_UINT32(next, QvFrame),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Multi-queue: which RX queue every frame is on, its RSS hash, and the
 * FIFOs of queues 1.. (queue 0's, and the total, are in the buffer
 * subsection, so that a stream from before queues loads as all queue 0).
 * qosvnic_buf_post_load() checks it with the buffer.
 */
static bool qv_buf_queues_needed(void *opaque)
{
    QosvnicState *s = opaque;

    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        QvPartition *p = &s->funcs[i].part;

        if (p->nframes != p->qframes[0] || s->funcs[i].rss_ctrl) {
            return true;
        }
        for (uint32_t n = 0, idx = p->head[0];
             n < p->qframes[0] && idx < s->ncells;
             n++, idx = s->frames[idx].next) {
            if (s->frames[idx].status & QV_RXD_STA_RSS_MASK) {
                return true;
            }
        }
    }
    return false;
}

static const VMStateDescription vmstate_qv_frame_queue = {
    .name = "qosvnic/frame-queue",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(queue, QvFrame),
        VMSTATE_UINT32(rss_hash, QvFrame),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_qv_func_queues = {
    .name = "qosvnic/func-buf-queues",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_SUB_ARRAY(part.head, QvFunc, 1, QV_NUM_QUEUES - 1),
        VMSTATE_UINT32_SUB_ARRAY(part.tail, QvFunc, 1, QV_NUM_QUEUES - 1),
        VMSTATE_UINT32_SUB_ARRAY(part.qframes, QvFunc, 1, QV_NUM_QUEUES - 1),
        VMSTATE_UINT8(part.rr, QvFunc),
        VMSTATE_END_OF_LIST()
    }
};

const VMStateDescription vmstate_qosvnic_buf_queues = {
    .name = "qosvnic/buffer-queues",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = qv_buf_queues_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_EQUAL(ncells, QosvnicState,
                             "the buf-size property must match"),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(frames, QosvnicState, ncells,
                                             vmstate_qv_frame_queue, QvFrame),
        VMSTATE_STRUCT_ARRAY(funcs, QosvnicState, QV_MAX_FUNCS, 1,
                             vmstate_qv_func_queues, QvFunc),
        VMSTATE_END_OF_LIST()
    }
};

/* The datapath part of a function; its registers travel with the PF. */
static const VMStateDescription vmstate_qv_func_buf = {
    .name = "qosvnic/func-buf",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(part.reserve_cells, QvFunc),
        VMSTATE_UINT32(part.alpha, QvFunc),
        VMSTATE_UINT32(part.used_cells, QvFunc),
        VMSTATE_UINT32(part.peak_cells, QvFunc),
        VMSTATE_UINT32(part.head[0], QvFunc),
        VMSTATE_UINT32(part.tail[0], QvFunc),
        VMSTATE_UINT32(part.nframes, QvFunc),
        VMSTATE_STRUCT(rx_tb, QvFunc, 1, vmstate_qv_token_bucket,
                       QvTokenBucket),
        VMSTATE_STRUCT(tx_tb, QvFunc, 1, vmstate_qv_token_bucket,
                       QvTokenBucket),
        VMSTATE_INT32(drr_deficit, QvFunc),
        VMSTATE_END_OF_LIST()
    }
};

const VMStateDescription vmstate_qosvnic_buf = {
    .name = "qosvnic/buffer",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_EQUAL(ncells, QosvnicState,
                             "the buf-size property must match"),
        VMSTATE_UINT32(free_cell_head, QosvnicState),
        VMSTATE_UINT32(free_cells, QosvnicState),
        VMSTATE_UINT32(free_frame_head, QosvnicState),
        VMSTATE_VBUFFER_UINT32(cells, QosvnicState, 1, NULL, buf_bytes),
        VMSTATE_VARRAY_UINT32(cell_next, QosvnicState, ncells, 1,
                              vmstate_info_uint32, uint32_t),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(frames, QosvnicState, ncells,
                                             vmstate_qv_frame, QvFrame),
        VMSTATE_STRUCT_ARRAY(funcs, QosvnicState, QV_MAX_FUNCS, 1,
                             vmstate_qv_func_buf, QvFunc),
        VMSTATE_STRUCT(dma_tb, QosvnicState, 1, vmstate_qv_token_bucket,
                       QvTokenBucket),
        VMSTATE_END_OF_LIST()
    }
};
