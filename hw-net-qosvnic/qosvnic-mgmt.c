/*
 * qosvnic: management fields, the PF's per-function settings.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What the PF (QV_MG_* in its management windows) and the host (QMP)
 * set for a function: MAC, VLAN, trust/spoofchk/link state, the ingress
 * policer, the egress ceiling and guarantee, the DMA priority and weight,
 * the buffer partition. One setter per field, shared by the register
 * decoder (qosvnic-regs.c) and QMP (qosvnic-qmp.c), so that both have the
 * same side effects; the caller has validated the value and, for a guest
 * write, clamped it to the host's ceiling. The host's ceilings live here
 * too (docs/control-plane.md).
 *
 * These settings belong to the PF: a function's own reset (CTRL reset,
 * FLR) keeps them; qosvnic_mgmt_defaults() restores them on a device
 * reset, with the host's values re-applied over the defaults.
 */

#include "qemu/osdep.h"
#include "migration/vmstate.h"
#include "qosvnic.h"
#include "trace.h"

void qosvnic_mg_set_mac(QvFunc *f, const MACAddr *mac)
{
    f->mac = *mac;
    qosvnic_mac_table_update(f->dev, f);
}

void qosvnic_mg_set_vlan(QvFunc *f, uint32_t vlan)
{
    f->vlan = vlan & (QV_VLAN_VID_MASK | QV_VLAN_QOS_MASK);
}

void qosvnic_mg_set_flags(QvFunc *f, uint32_t flags)
{
    uint32_t old = f->mg_flags;

    f->mg_flags = flags & (QV_MGF_TRUST | QV_MGF_SPOOFCHK | QV_MGF_LINK_MASK |
                           QV_MGF_LOOPBACK);
    qosvnic_rx_filter_update(f->dev);
    if ((old ^ f->mg_flags) & QV_MGF_LINK_MASK && qosvnic_fn_enabled(f)) {
        qosvnic_irq_misc(f, QV_MISC_LINK);
    }
}

static void qosvnic_apply_rx_bucket(QvFunc *f)
{
    qosvnic_rx_tb_apply(f, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
}

/* The TX engine sets its shaper up from tx_max_mbps when it next runs. */
static void qosvnic_apply_tx_bucket(QvFunc *f)
{
    qosvnic_tx_kick(f->dev);
}

void qosvnic_mg_set_rx_rate(QvFunc *f, uint64_t bits_per_s)
{
    f->rx_rate_bps = bits_per_s;
    qosvnic_apply_rx_bucket(f);
}

void qosvnic_mg_set_rx_burst(QvFunc *f, uint32_t bytes)
{
    f->rx_burst = bytes;
    qosvnic_apply_rx_bucket(f);
}

void qosvnic_mg_set_tx_max(QvFunc *f, uint32_t mbps)
{
    f->tx_max_mbps = mbps;
    qosvnic_apply_tx_bucket(f);
}

void qosvnic_mg_set_tx_min(QvFunc *f, uint32_t mbps)
{
    f->tx_min_mbps = mbps;
    qosvnic_tx_kick(f->dev);
}

void qosvnic_mg_set_prio(QvFunc *f, uint32_t prio)
{
    qosvnic_sched_remove(f->dev, f);
    f->prio = prio;
    qosvnic_sched_kick(f->dev, f);
}

void qosvnic_mg_set_weight(QvFunc *f, uint32_t weight)
{
    f->weight = weight;
}

bool qosvnic_mg_set_buf_reserve(QvFunc *f, uint32_t bytes)
{
    return qosvnic_buf_set_reserve(f->dev, f, bytes);
}

void qosvnic_mg_set_buf_alpha(QvFunc *f, uint32_t alpha)
{
    qosvnic_buf_set_alpha(f, alpha);
}

/*
 * Host ceilings (docs/control-plane.md). The host caps a QoS field with
 * qosvnic_host_set_cap(); a guest write is then clamped to the ceiling
 * (and traced: it is the contract working, not a guest error), and
 * QV_MG_HOST_LIMITS bit reg / 4 tells the guest. Each field has a
 * direction: most are "lower is tighter", a rate of 0 means unlimited and
 * so is never below a ceiling, and a higher priority class number is
 * tighter.
 */
enum {
    QV_CAP_MAX = 1,         /* effective = min(value, ceiling) */
    QV_CAP_MAX_0_IS_INF,    /* same, and 0 (unlimited) counts as infinite */
    QV_CAP_MIN,             /* effective = max(value, ceiling) */
};

static const struct {
    uint8_t kind;
    uint64_t loosest;       /* a ceiling at this value caps nothing */
    uint64_t lo, hi;        /* the field's own range, and a ceiling's */
} qv_caps[QV_HOST_CAP_FIELDS] = {
    [QV_MG_RX_RATE_LO / 4] = { QV_CAP_MAX_0_IS_INF, 0, 0, UINT64_MAX },
    [QV_MG_RX_BURST / 4] = { QV_CAP_MAX_0_IS_INF, 0, 0, UINT32_MAX },
    [QV_MG_TX_MAX_RATE / 4] = { QV_CAP_MAX_0_IS_INF, 0, 0, UINT32_MAX },
    [QV_MG_TX_MIN_RATE / 4] = { QV_CAP_MAX, UINT64_MAX, 0, UINT32_MAX },
    [QV_MG_PRIO / 4] = { QV_CAP_MIN, 0, 0, QV_PRIO_CLASSES - 1 },
    [QV_MG_WEIGHT / 4] = { QV_CAP_MAX, QV_WEIGHT_MAX, QV_WEIGHT_MIN,
                           QV_WEIGHT_MAX },
    /* and at most the buffer */
    [QV_MG_BUF_RESERVE / 4] = { QV_CAP_MAX, UINT64_MAX, 0, UINT32_MAX },
    [QV_MG_BUF_ALPHA / 4] = { QV_CAP_MAX, QV_ALPHA_MAX, 0, QV_ALPHA_MAX },
};

/* QV_MG_HOST_LIMITS bits of the field at @reg (the rate has two words). */
static uint32_t qv_cap_bits(hwaddr reg)
{
    if (reg == QV_MG_RX_RATE_LO) {
        return BIT(QV_MG_RX_RATE_LO / 4) | BIT(QV_MG_RX_RATE_HI / 4);
    }
    return BIT(reg / 4);
}

bool qosvnic_host_capped(QvFunc *f, hwaddr reg)
{
    return f->host_limits & BIT(reg / 4);
}

uint64_t qosvnic_host_clamp(QvFunc *f, hwaddr reg, uint64_t val)
{
    unsigned i = reg / 4;
    uint64_t cap = f->host_cap[i];
    uint64_t eff = val;

    if (!qosvnic_host_capped(f, reg)) {
        return val;
    }
    switch (qv_caps[i].kind) {
    case QV_CAP_MAX_0_IS_INF:
        eff = (val == 0 || val > cap) ? cap : val;
        break;
    case QV_CAP_MAX:
        eff = MIN(val, cap);
        break;
    case QV_CAP_MIN:
        eff = MAX(val, cap);
        break;
    }
    if (eff != val) {
        trace_qosvnic_host_clamp(f->fn, reg, val, eff);
    }
    return eff;
}

void qosvnic_host_set_cap(QvFunc *f, hwaddr reg, uint64_t val, bool limit)
{
    unsigned i = reg / 4;

    assert(i < QV_HOST_CAP_FIELDS && qv_caps[i].kind);
    if (limit && val != qv_caps[i].loosest) {
        f->host_cap[i] = val;
        f->host_limits |= qv_cap_bits(reg);
    } else {
        f->host_cap[i] = 0;
        f->host_limits &= ~qv_cap_bits(reg);
    }
    trace_qosvnic_host_cap(f->fn, reg, val, f->host_limits);
}

/*
 * After a device reset the management fields are back at their defaults;
 * the host's settings are not the guest's to lose, so the capped fields
 * take the host's values again, as if the host had just set them.
 */
static bool qosvnic_host_caps_needed(void *opaque)
{
    QvFunc *f = opaque;

    return f->host_limits != 0;
}

/*
 * Only fields the host can cap may be marked capped, each with a ceiling
 * the field itself could hold: the clamp writes the ceiling into the field
 * (a priority class of 100 would then fail every later migration).
 */
static int qosvnic_host_caps_post_load(void *opaque, int version_id)
{
    QvFunc *f = opaque;
    uint32_t valid = 0;
    unsigned i;

    for (i = 0; i < QV_HOST_CAP_FIELDS; i++) {
        if (qv_caps[i].kind) {
            valid |= qv_cap_bits(i * 4);
        }
    }
    if (f->host_limits & ~valid) {
        return qv_load_reject("host limits on fields that have none");
    }
    for (i = 0; i < QV_HOST_CAP_FIELDS; i++) {
        uint64_t cap = f->host_cap[i];

        if (!qv_caps[i].kind || !(f->host_limits & BIT(i))) {
            continue;
        }
        if (cap < qv_caps[i].lo || cap > qv_caps[i].hi ||
            (i == QV_MG_BUF_RESERVE / 4 && cap > f->dev->buf_size)) {
            return qv_load_reject("host ceiling out of its field's range");
        }
    }
    return 0;
}

static bool qosvnic_rate_stage_needed(void *opaque)
{
    QvFunc *f = opaque;

    return f->rate_hi_stage != 0;
}

/* A QV_MG_RX_RATE_HI written but not yet committed by RX_RATE_LO. */
const VMStateDescription vmstate_qosvnic_rate_stage = {
    .name = "qosvnic-func/rate-stage",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = qosvnic_rate_stage_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(rate_hi_stage, QvFunc),
        VMSTATE_END_OF_LIST()
    }
};

static bool qosvnic_mg_stat_latch_needed(void *opaque)
{
    QvFunc *f = opaque;

    return f->mg_stat_hi_latch != 0;
}

/* The PF's latched high word of this function's counters. */
const VMStateDescription vmstate_qosvnic_mg_stat_latch = {
    .name = "qosvnic-func/mg-stat-latch",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = qosvnic_mg_stat_latch_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(mg_stat_hi_latch, QvFunc),
        VMSTATE_END_OF_LIST()
    }
};

/* A subsection of each function's VMState. */
const VMStateDescription vmstate_qosvnic_host_caps = {
    .name = "qosvnic-func/host-caps",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = qosvnic_host_caps_needed,
    .post_load = qosvnic_host_caps_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(host_limits, QvFunc),
        VMSTATE_UINT64_ARRAY(host_cap, QvFunc, QV_HOST_CAP_FIELDS),
        VMSTATE_END_OF_LIST()
    }
};

void qosvnic_host_reapply_reserve(QvFunc *f)
{
    if (qosvnic_host_capped(f, QV_MG_BUF_RESERVE)) {
        qosvnic_mg_set_buf_reserve(f, f->host_cap[QV_MG_BUF_RESERVE / 4]);
    }
}

void qosvnic_host_reapply(QvFunc *f)
{
    if (qosvnic_host_capped(f, QV_MG_RX_RATE_LO)) {
        qosvnic_mg_set_rx_rate(f, f->host_cap[QV_MG_RX_RATE_LO / 4]);
    }
    if (qosvnic_host_capped(f, QV_MG_RX_BURST)) {
        qosvnic_mg_set_rx_burst(f, f->host_cap[QV_MG_RX_BURST / 4]);
    }
    if (qosvnic_host_capped(f, QV_MG_TX_MAX_RATE)) {
        qosvnic_mg_set_tx_max(f, f->host_cap[QV_MG_TX_MAX_RATE / 4]);
    }
    if (qosvnic_host_capped(f, QV_MG_TX_MIN_RATE)) {
        qosvnic_mg_set_tx_min(f, f->host_cap[QV_MG_TX_MIN_RATE / 4]);
    }
    if (qosvnic_host_capped(f, QV_MG_PRIO)) {
        qosvnic_mg_set_prio(f, f->host_cap[QV_MG_PRIO / 4]);
    }
    if (qosvnic_host_capped(f, QV_MG_WEIGHT)) {
        qosvnic_mg_set_weight(f, f->host_cap[QV_MG_WEIGHT / 4]);
    }
    qosvnic_host_reapply_reserve(f);
    if (qosvnic_host_capped(f, QV_MG_BUF_ALPHA)) {
        qosvnic_mg_set_buf_alpha(f, f->host_cap[QV_MG_BUF_ALPHA / 4]);
    }
}

/* MAC of VF n: the PF's with the last byte offset, so defaults are unique. */
static void qosvnic_default_mac(QosvnicState *s, uint32_t fn, MACAddr *mac)
{
    *mac = s->conf.macaddr;
    if (fn) {
        mac->a[3] ^= 0x80;      /* keep VFs out of the PF's neighbourhood */
        mac->a[4] = (s->conf.macaddr.a[4] + (fn >> 8)) & 0xff;
        mac->a[5] = (s->conf.macaddr.a[5] + fn) & 0xff;
    }
}

/*
 * Management settings: what a function has before the PF driver or the
 * host changes anything. Survives FLR of the VF, like a real NIC's PF-owned
 * configuration; only a PF reset restores it.
 */
void qosvnic_mgmt_defaults(QvFunc *f)
{
    QosvnicState *s = f->dev;

    qosvnic_default_mac(s, f->fn, &f->mac);
    f->vlan = 0;
    f->mg_flags = (f->fn && s->vf_spoofchk) ? QV_MGF_SPOOFCHK : 0;
    f->mg_flags |= QV_LINK_AUTO << QV_MGF_LINK_SHIFT;
    f->rx_rate_bps = f->fn ? s->vf_rx_rate_bps : 0;
    f->rx_burst = f->fn ? s->vf_rx_burst : 0;
    f->tx_max_mbps = 0;
    f->tx_min_mbps = 0;
    f->prio = f->fn ? s->vf_prio : 0;
    f->weight = s->vf_weight;
    f->rate_hi_stage = 0;
    f->mg_stat_hi_latch = 0;
    f->part.alpha = s->vf_alpha;
    qosvnic_mac_table_update(s, f);
    qosvnic_buf_set_reserve(s, f, qosvnic_buf_default_reserve(s));
    qosvnic_host_reapply(f);
}
