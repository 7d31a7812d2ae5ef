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
 */

#include "qemu/osdep.h"
#include "qosvnic.h"

uint64_t qosvnic_stat_value(QvFunc *f, unsigned idx)
{
    switch (idx) {
    case QV_STAT_BUF_OCCUPANCY:
        return qosvnic_buf_occupancy_bytes(f);
    case QV_STAT_BUF_PEAK:
        return qosvnic_buf_peak_bytes(f);
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
