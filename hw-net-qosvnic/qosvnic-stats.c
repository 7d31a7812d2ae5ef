/*
 * qosvnic: statistics.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every function's QV_STAT_* counters live in QvFunc.stats. This file
 * gives their values as the registers (and QMP) show them, and counts
 * drops. A drop is also passed to the device's drop hook, which the
 * control plane registers (qosvnic-qmp.c: the QOSVNIC_VF_DROPPING event),
 * so that the datapath never calls up into the QAPI layer.
 *
 * A frame the receive admission accepted is counted in RX_ADMITTED, and
 * then once more: delivered (RX_PACKETS), held (BUF_FRAMES, the partition's
 * frame count) or discarded (qosvnic_stat_discard()), so that a user can
 * tell that the device lost no frame it had taken.
 */

#include "qemu/osdep.h"
#include "migration/vmstate.h"
#include "qosvnic.h"

uint64_t qosvnic_stat_value(QvFunc *f, unsigned idx)
{
    switch (idx) {
    case QV_STAT_BUF_OCCUPANCY:
        return qosvnic_buf_occupancy_bytes(f);
    case QV_STAT_BUF_PEAK:
        return qosvnic_buf_peak_bytes(f);
    case QV_STAT_BUF_FRAMES:
        return f->part.nframes;
    default:
        return f->stats[idx];
    }
}

void qosvnic_stat_drop(QvFunc *f, unsigned reason, uint32_t frames)
{
    assert(reason < QV_NUM_STATS);
    if (!frames) {
        return;
    }
    f->stats[reason] += frames;
    if (f->dev->drop_hook) {
        f->dev->drop_hook(f, reason);
    }
}

void qosvnic_stat_discard(QvFunc *f, unsigned reason, uint32_t frames)
{
    f->stats[QV_STAT_RX_DISCARDED] += frames;
    qosvnic_stat_drop(f, reason, frames);
}

/*
 * The account's two counters travel in a subsection, sent only when a
 * frame was discarded: otherwise RX_ADMITTED follows from the rest, which
 * the destination works out (qosvnic_stats_post_load()). So a QEMU from
 * before these counters takes most streams, and sends none they need.
 */
static bool qosvnic_rx_account_needed(void *opaque)
{
    QvFunc *f = opaque;

    return f->stats[QV_STAT_RX_DISCARDED] != 0;
}

const VMStateDescription vmstate_qosvnic_rx_account = {
    .name = "qosvnic-func/rx-account",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = qosvnic_rx_account_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_SUB_ARRAY(stats, QvFunc, QV_STAT_RX_ADMITTED, 2),
        VMSTATE_END_OF_LIST()
    }
};

void qosvnic_stats_pre_load(QosvnicState *s)
{
    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        s->funcs[i].stats[QV_STAT_RX_ADMITTED] = 0;
        s->funcs[i].stats[QV_STAT_RX_DISCARDED] = 0;
    }
}

int qosvnic_stats_post_load(QosvnicState *s)
{
    for (unsigned i = 0; i < QV_MAX_FUNCS; i++) {
        QvFunc *f = &s->funcs[i];
        uint64_t taken = f->stats[QV_STAT_RX_PACKETS] + f->part.nframes;

        if (!f->stats[QV_STAT_RX_DISCARDED]) {
            f->stats[QV_STAT_RX_ADMITTED] = taken;
        }
        if (f->stats[QV_STAT_RX_ADMITTED] !=
            taken + f->stats[QV_STAT_RX_DISCARDED]) {
            return qv_load_reject("admission account does not add up");
        }
    }
    return 0;
}
