/*
 * qosvnic: descriptor rings.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * RX and TX rings have one layout (qosvnic_hw.h): a base aligned to
 * QV_RING_ALIGN, a size in bytes that is a non-zero multiple of the
 * descriptor size and at most QV_RING_MAX_BYTES, and head and tail
 * indices inside the ring. The guest programs them at will, so a ring is
 * checked here, by one validator, every time before it is used; the
 * descriptor accessors (qosvnic.h) then do the DMA as the owning function.
 */

#include "qemu/osdep.h"
#include "qosvnic.h"

/* What is wrong with a ring as programmed; NULL if it is usable. */
static const char *qosvnic_ring_problem(uint64_t base, uint32_t size,
                                        uint32_t head, uint32_t tail,
                                        uint32_t desc_size)
{
    uint32_t n;

    if (base % QV_RING_ALIGN) {
        return "base not 16-byte aligned";
    }
    if (!size || size % desc_size || size > QV_RING_MAX_BYTES) {
        return "size not a multiple of the descriptor size up to 64 KiB";
    }
    n = size / desc_size;
    if (head >= n || tail >= n) {
        return "head or tail beyond the ring";
    }
    return NULL;
}

const char *qosvnic_rx_ring_problem(QvFunc *f, unsigned q)
{
    QvRing *r = &f->rxq[q];
    const char *why = qosvnic_ring_problem(r->base, r->size, r->head,
                                           r->tail, QV_RXD_SIZE);

    if (!why && (f->rx_buf_size < QV_RX_BUF_MIN ||
                 f->rx_buf_size > QV_RX_BUF_MAX)) {
        why = "buffer size out of range";
    }
    return why;
}

const char *qosvnic_tx_ring_problem(QvFunc *f, unsigned q)
{
    QvRing *r = &f->txq[q];

    return qosvnic_ring_problem(r->base, r->size, r->head, r->tail,
                                QV_TXD_SIZE);
}

uint32_t qosvnic_rx_ring_avail(QvFunc *f, unsigned q)
{
    QvRing *r = &f->rxq[q];
    uint32_t n;

    if ((f->status_err & QV_STATUS_RX_RING_ERR) ||
        qosvnic_rx_ring_problem(f, q)) {
        return 0;
    }
    n = r->size / QV_RXD_SIZE;
    return (r->tail + n - r->head) % n;
}
