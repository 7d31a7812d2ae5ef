/*
 * qosvnic: interrupts.
 *
 * Each function has three MSI-X vectors (RX, TX, misc), one cause bit per
 * vector and a mask. A raised cause sends its vector's message unless the
 * cause is masked; unmasking a cause that was raised meanwhile sends it
 * then, so a driver that clears the cause before unmasking loses nothing.
 * Moderation: a vector sends at most one message per itr_us microseconds;
 * events inside that window are coalesced into one message at its end.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "qosvnic.h"
#include "trace.h"

/*
 * The PF also works with INTx, e.g. for a firmware driver: the line is
 * the level of its unmasked causes, so it follows every raise (through
 * moderation), clear and mask.
 */
static void qosvnic_irq_intx(QvFunc *f)
{
    PCIDevice *pci = f->pci;

    if (f->fn == 0 && pci && !msix_enabled(pci)) {
        pci_set_irq(pci, !!(f->int_cause & ~f->int_mask));
    }
}

/*
 * An MSI-X message is a DMA write to whatever address the function's
 * table names, the device's own BARs included: a tenant that owns its
 * table (no interrupt remapping) could aim it at its management window in
 * the PF's BAR and trust itself, or at another tenant's registers or
 * MSI-X table. Every message of every function goes out here, under the
 * PF's reentrancy guard, which blocks all of those (each of the device's
 * regions has the PF as its guard's device): the device's own, and those
 * QEMU's MSI-X code sends when a pending vector is unmasked (in the
 * table, in config space, or by a migration's load).
 */
static void qosvnic_msi_trigger(PCIDevice *pci, MSIMessage msg)
{
    QosvnicState *s = qosvnic_from_pci(pci);
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;
    bool engaged = guard->engaged_in_io;

    guard->engaged_in_io = true;
    s->bus_msi_trigger(pci, msg);
    guard->engaged_in_io = engaged;
}

/* After the PCI core's realize of @pci, which sets its msi_trigger. */
void qosvnic_irq_take_msi_trigger(PCIDevice *pci)
{
    QosvnicState *s = qosvnic_from_pci(pci);

    /* The core gives every function the same one. */
    assert(!s->bus_msi_trigger || s->bus_msi_trigger == pci->msi_trigger);
    s->bus_msi_trigger = pci->msi_trigger;
    pci->msi_trigger = qosvnic_msi_trigger;
}

static void qosvnic_irq_send(QvFunc *f, unsigned vec, PCIDevice *pci,
                             int64_t now)
{
    f->irq_last_ns[vec] = now;
    f->irq_deferred[vec] = false;
    trace_qosvnic_irq(f->fn, vec);
    if (msix_enabled(pci)) {
        msix_notify(pci, vec);
    } else {
        qosvnic_irq_intx(f);
    }
}

static void qosvnic_irq_vector(QvFunc *f, unsigned vec)
{
    QosvnicState *s = f->dev;
    PCIDevice *pci = qosvnic_fn_pci(s, f->fn);
    int64_t now, due;

    if (!pci) {
        return;         /* disabled VF */
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    due = f->irq_last_ns[vec] + (int64_t)f->itr_us[vec] * SCALE_US;
    if (f->irq_deferred[vec] && now < due) {
        return;         /* already coalesced into the message at due */
    }
    /* Never sent: irq_last_ns is QV_IRQ_NEVER, so due is in the past. */
    if (f->itr_us[vec] == 0 || now >= due) {
        qosvnic_irq_send(f, vec, pci, now);
        return;
    }
    f->irq_deferred[vec] = true;
    trace_qosvnic_irq_deferred(f->fn, vec, due - now);
    timer_mod_anticipate_ns(s->irq_timer, due);
}

void qosvnic_irq_raise(QvFunc *f, uint32_t cause)
{
    unsigned vec;

    f->int_cause |= cause;
    for (vec = 0; vec < QV_NUM_VECTORS; vec++) {
        if ((cause & BIT(vec)) && !(f->int_mask & BIT(vec))) {
            qosvnic_irq_vector(f, vec);
        }
    }
}

void qosvnic_irq_misc(QvFunc *f, uint32_t misc_cause)
{
    f->misc_cause |= misc_cause;
    qosvnic_irq_raise(f, QV_INT_MISC);
}

void qosvnic_irq_unmask(QvFunc *f, uint32_t causes)
{
    unsigned vec;

    f->int_mask &= ~causes;
    for (vec = 0; vec < QV_NUM_VECTORS; vec++) {
        if ((causes & f->int_cause & BIT(vec))) {
            qosvnic_irq_vector(f, vec);
        }
    }
    qosvnic_irq_intx(f);
}

void qosvnic_irq_fn_reset(QvFunc *f)
{
    unsigned vec;

    f->int_cause = 0;
    f->int_mask = QV_INT_ALL;
    f->misc_cause = 0;
    for (vec = 0; vec < QV_NUM_VECTORS; vec++) {
        f->itr_us[vec] = 0;
        f->irq_last_ns[vec] = QV_IRQ_NEVER;
        f->irq_deferred[vec] = false;
    }
    qosvnic_irq_intx(f);
}

void qosvnic_irq_mask(QvFunc *f, uint32_t causes)
{
    f->int_mask |= causes;
    qosvnic_irq_intx(f);
}

void qosvnic_irq_ack(QvFunc *f, uint32_t causes)
{
    f->int_cause &= ~causes;
    qosvnic_irq_intx(f);
}

/*
 * Sends the coalesced messages that are due and re-arms for the next one.
 * Walks every function, but runs at most once per moderation window, not
 * per frame.
 */
void qosvnic_irq_timer_cb(void *opaque)
{
    QosvnicState *s = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t next = INT64_MAX;
    uint32_t fn;
    unsigned vec;

    for (fn = 0; fn < s->num_funcs; fn++) {
        QvFunc *f = &s->funcs[fn];

        for (vec = 0; vec < QV_NUM_VECTORS; vec++) {
            int64_t due;
            PCIDevice *pci;

            if (!f->irq_deferred[vec]) {
                continue;
            }
            due = f->irq_last_ns[vec] + (int64_t)f->itr_us[vec] * SCALE_US;
            pci = qosvnic_fn_pci(s, fn);
            if (!pci) {
                f->irq_deferred[vec] = false;
            } else if (now >= due) {
                if (f->int_mask & BIT(vec)) {
                    /* Masked meanwhile: unmask will send it. */
                    f->irq_deferred[vec] = false;
                } else {
                    qosvnic_irq_send(f, vec, pci, now);
                }
            } else {
                next = MIN(next, due);
            }
        }
    }
    if (next != INT64_MAX) {
        timer_mod_ns(s->irq_timer, next);
    }
}

/*
 * After migration: the timer is not migrated, but the moderation windows
 * in progress are, and so are the messages they hold back (irq_deferred):
 * re-arm the timer for the first of them, or they would never be sent. A
 * send time in the future (the destination's clock may be behind the
 * source's) becomes now, so that no window lasts longer than its ITR.
 */
void qosvnic_irq_post_load(QosvnicState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t next = INT64_MAX;
    uint32_t fn;
    unsigned vec;

    for (fn = 0; fn < s->num_funcs; fn++) {
        QvFunc *f = &s->funcs[fn];

        for (vec = 0; vec < QV_NUM_VECTORS; vec++) {
            f->irq_last_ns[vec] = MIN(f->irq_last_ns[vec], now);
            if (f->irq_deferred[vec]) {
                next = MIN(next, f->irq_last_ns[vec] +
                                 (int64_t)f->itr_us[vec] * SCALE_US);
            }
        }
    }
    if (next != INT64_MAX) {
        timer_mod_ns(s->irq_timer, next);
    }
}
