/*
 * qosvnic: host control plane.
 *
 * QMP query-qosvnic (device totals, every function's settings, host
 * ceilings and statistics), qosvnic-set-vf (change a VF's QoS and link
 * settings) and the QOSVNIC_VF_DROPPING event. Settings are applied
 * through the per-field setters of qosvnic-mgmt.c, so a
 * host change has exactly the effects of the same guest register write;
 * QoS values the host sets become ceilings the guest's PF driver can
 * tighten but not loosen (docs/control-plane.md).
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-qosvnic.h"
#include "qapi/qapi-events-qosvnic.h"
#include "hw/pci/pcie_sriov.h"
#include "hw/qdev-core.h"
#include "qosvnic.h"
#include "trace.h"

/* A VF that dropped nothing for this long "starts" dropping again. */
#define QV_DROP_QUIET_NS        NANOSECONDS_PER_SECOND

QEMU_BUILD_BUG_ON(QOSVNIC_LINK_STATE_AUTO != QV_LINK_AUTO ||
                  QOSVNIC_LINK_STATE_ENABLE != QV_LINK_ENABLE ||
                  QOSVNIC_LINK_STATE_DISABLE != QV_LINK_DISABLE);

/* The device with ID @id (as for device_del) or at QOM path @id. */
static QosvnicState *qosvnic_find(const char *id, Error **errp)
{
    Object *obj = object_resolve_path_at(machine_get_container("peripheral"),
                                         id);

    if (!obj) {
        error_setg(errp, "Device '%s' not found", id);
        return NULL;
    }
    if (!object_dynamic_cast(obj, TYPE_QOSVNIC)) {
        error_setg(errp, "Device '%s' is not a qosvnic NIC", id);
        return NULL;
    }
    return QOSVNIC(obj);
}

/* ---------------------------------------------------------------- query */

static QosvnicFuncConfig *qosvnic_func_config(QvFunc *f)
{
    QosvnicFuncConfig *c = g_new0(QosvnicFuncConfig, 1);

    c->mac = qemu_mac_strdup_printf(f->mac.a);
    c->vlan = f->vlan & QV_VLAN_VID_MASK;
    c->vlan_qos = (f->vlan & QV_VLAN_QOS_MASK) >> QV_VLAN_QOS_SHIFT;
    c->trust = f->mg_flags & QV_MGF_TRUST;
    c->spoofcheck = f->mg_flags & QV_MGF_SPOOFCHK;
    c->link_state = (f->mg_flags & QV_MGF_LINK_MASK) >> QV_MGF_LINK_SHIFT;
    c->rx_rate = f->rx_rate_bps;
    c->rx_burst = f->rx_burst;
    c->tx_max_rate = f->tx_max_mbps;
    c->tx_min_rate = f->tx_min_mbps;
    c->priority = f->prio;
    c->weight = f->weight;
    c->buf_reserve = qosvnic_buf_reserve_bytes(f);
    c->buf_alpha = f->part.alpha;
    return c;
}

static QosvnicHostLimits *qosvnic_func_limits(QvFunc *f)
{
    QosvnicHostLimits *h = g_new0(QosvnicHostLimits, 1);

#define QV_LIMIT(member, reg)                                   \
    if (qosvnic_host_capped(f, reg)) {                          \
        h->has_##member = true;                                 \
        h->member = f->host_cap[(reg) / 4];                     \
    }
    QV_LIMIT(rx_rate, QV_MG_RX_RATE_LO);
    QV_LIMIT(rx_burst, QV_MG_RX_BURST);
    QV_LIMIT(tx_max_rate, QV_MG_TX_MAX_RATE);
    QV_LIMIT(tx_min_rate, QV_MG_TX_MIN_RATE);
    QV_LIMIT(priority, QV_MG_PRIO);
    QV_LIMIT(weight, QV_MG_WEIGHT);
    QV_LIMIT(buf_reserve, QV_MG_BUF_RESERVE);
    QV_LIMIT(buf_alpha, QV_MG_BUF_ALPHA);
#undef QV_LIMIT
    return h;
}

static QosvnicFuncStats *qosvnic_func_stats(QvFunc *f)
{
    QosvnicFuncStats *st = g_new0(QosvnicFuncStats, 1);

    st->rx_packets = qosvnic_stat_value(f, QV_STAT_RX_PACKETS);
    st->rx_bytes = qosvnic_stat_value(f, QV_STAT_RX_BYTES);
    st->tx_packets = qosvnic_stat_value(f, QV_STAT_TX_PACKETS);
    st->tx_bytes = qosvnic_stat_value(f, QV_STAT_TX_BYTES);
    st->rx_broadcast = qosvnic_stat_value(f, QV_STAT_RX_BCAST);
    st->rx_multicast = qosvnic_stat_value(f, QV_STAT_RX_MCAST);
    st->drop_rate = qosvnic_stat_value(f, QV_STAT_DROP_RATE);
    st->drop_buffer = qosvnic_stat_value(f, QV_STAT_DROP_BUFFER);
    st->drop_ring_full = qosvnic_stat_value(f, QV_STAT_DROP_RING_FULL);
    st->drop_length = qosvnic_stat_value(f, QV_STAT_DROP_LENGTH);
    st->drop_vlan = qosvnic_stat_value(f, QV_STAT_DROP_VLAN);
    st->drop_link_down = qosvnic_stat_value(f, QV_STAT_DROP_LINK_DOWN);
    st->tx_drop_spoof = qosvnic_stat_value(f, QV_STAT_TX_DROP_SPOOF);
    st->tx_drop_bad = qosvnic_stat_value(f, QV_STAT_TX_DROP_BAD);
    st->tx_throttled = qosvnic_stat_value(f, QV_STAT_TX_THROTTLED);
    st->rx_csum_errors = qosvnic_stat_value(f, QV_STAT_RX_CSUM_ERR);
    st->buf_occupancy = qosvnic_stat_value(f, QV_STAT_BUF_OCCUPANCY);
    st->buf_peak = qosvnic_stat_value(f, QV_STAT_BUF_PEAK);
    st->loopback_rx = qosvnic_stat_value(f, QV_STAT_LOOPBACK_RX);
    st->drop_no_owner = qosvnic_stat_value(f, QV_STAT_DROP_NO_OWNER);
    st->tx_drop_link_down = qosvnic_stat_value(f,
                                               QV_STAT_TX_DROP_LINK_DOWN);
    st->rx_admitted = qosvnic_stat_value(f, QV_STAT_RX_ADMITTED);
    st->rx_discarded = qosvnic_stat_value(f, QV_STAT_RX_DISCARDED);
    st->buf_frames = qosvnic_stat_value(f, QV_STAT_BUF_FRAMES);
    return st;
}

static QosvnicFuncInfo *qosvnic_func_info(QvFunc *f)
{
    QosvnicFuncInfo *fi = g_new0(QosvnicFuncInfo, 1);

    fi->function = f->fn;
    fi->has_vf = f->fn != 0;
    fi->vf = f->fn ? f->fn - 1 : 0;
    fi->enabled = qosvnic_fn_enabled(f);
    fi->link_up = qosvnic_fn_link_up(f);
    fi->config = qosvnic_func_config(f);
    fi->host_limits = qosvnic_func_limits(f);
    fi->host_limits_mask = f->host_limits;
    fi->stats = qosvnic_func_stats(f);
    return fi;
}

static QosvnicInfo *qosvnic_info(QosvnicState *s, bool all)
{
    QosvnicInfo *info = g_new0(QosvnicInfo, 1);
    QosvnicFuncInfoList **tail = &info->functions;
    uint32_t fn;

    info->id = g_strdup(DEVICE(s)->id);
    info->qom_path = object_get_canonical_path(OBJECT(s));
    info->max_vfs = s->max_vfs;
    info->num_vfs = pcie_sriov_num_vfs(PCI_DEVICE(s));
    info->buffer_size = s->buf_size;
    info->buffer_shared_free = qosvnic_buf_shared_free_bytes(s);
    info->line_rate = s->line_rate_mbps;
    info->dma_rate = s->dma_rate_bps;
    info->link_up = !qemu_get_queue(s->nic)->link_down;
    for (fn = 0; fn < s->num_funcs; fn++) {
        if (all || qosvnic_fn_enabled(&s->funcs[fn])) {
            QAPI_LIST_APPEND(tail, qosvnic_func_info(&s->funcs[fn]));
        }
    }
    return info;
}

typedef struct QvQueryAll {
    QosvnicInfoList **tail;
    bool all;
} QvQueryAll;

static int qosvnic_query_one(Object *obj, void *opaque)
{
    QvQueryAll *q = opaque;

    if (object_dynamic_cast(obj, TYPE_QOSVNIC)) {
        QAPI_LIST_APPEND(q->tail, qosvnic_info(QOSVNIC(obj), q->all));
    }
    return 0;
}

QosvnicInfoList *qmp_query_qosvnic(const char *id, bool has_all, bool all,
                                   Error **errp)
{
    QosvnicInfoList *list = NULL;
    QvQueryAll q = { .tail = &list, .all = has_all && all };

    if (id) {
        QosvnicState *s = qosvnic_find(id, errp);

        if (s) {
            QAPI_LIST_PREPEND(list, qosvnic_info(s, q.all));
        }
        return list;
    }
    object_child_foreach_recursive(object_get_root(), qosvnic_query_one, &q);
    return list;
}

/* ------------------------------------------------------------------ set */

/* "52:54:00:12:34:56" (or with '-'); false if it is not a MAC address. */
static bool qosvnic_parse_mac(const char *str, MACAddr *mac)
{
    const char *p = str;
    int i;

    for (i = 0; i < ETH_ALEN; i++) {
        int hi = g_ascii_xdigit_value(p[0]);
        int lo = hi < 0 ? -1 : g_ascii_xdigit_value(p[1]);

        if (lo < 0) {
            return false;
        }
        mac->a[i] = hi << 4 | lo;
        p += 2;
        if (i < ETH_ALEN - 1) {
            if (*p != ':' && *p != '-') {
                return false;
            }
            p++;
        }
    }
    return *p == '\0';
}

/* Check an optional setting against [min, max], naming it in the error. */
static bool qosvnic_check(const char *name, bool has, uint64_t val,
                          uint64_t min, uint64_t max, Error **errp)
{
    if (!has) {
        return true;
    }
    if (val < min) {
        error_setg(errp, "%s: %" PRIu64 " is below the minimum of %" PRIu64,
                   name, val, min);
        return false;
    }
    if (val > max) {
        error_setg(errp, "%s: %" PRIu64 " is above the limit of %" PRIu64,
                   name, val, max);
        return false;
    }
    return true;
}

static bool qosvnic_set_vf_check(QosvnicState *s, QvFunc *f,
                                 QosvnicSetVfArgs *a, MACAddr *mac,
                                 Error **errp)
{
    uint32_t tx_max = a->has_tx_max_rate ? a->tx_max_rate : f->tx_max_mbps;
    uint32_t tx_min = a->has_tx_min_rate ? a->tx_min_rate : f->tx_min_mbps;

    if (a->mac) {
        if (!qosvnic_parse_mac(a->mac, mac)) {
            error_setg(errp, "mac: '%s' is not a MAC address", a->mac);
            return false;
        }
        if (is_multicast_ether_addr(mac->a) ||
            !(mac->a[0] | mac->a[1] | mac->a[2] | mac->a[3] | mac->a[4] |
              mac->a[5])) {
            error_setg(errp, "mac: %s is not a unicast address", a->mac);
            return false;
        }
    }
    if (!qosvnic_check("vlan", a->has_vlan, a->vlan, 0, QV_VLAN_VID_MASK,
                       errp) ||
        !qosvnic_check("vlan-qos", a->has_vlan_qos, a->vlan_qos, 0,
                       QV_VLAN_QOS_MASK >> QV_VLAN_QOS_SHIFT, errp) ||
        !qosvnic_check("priority", a->has_priority, a->priority, 0,
                       QV_PRIO_CLASSES - 1, errp) ||
        !qosvnic_check("weight", a->has_weight, a->weight, QV_WEIGHT_MIN,
                       QV_WEIGHT_MAX, errp) ||
        !qosvnic_check("buf-alpha", a->has_buf_alpha, a->buf_alpha, 0,
                       QV_ALPHA_MAX, errp)) {
        return false;
    }
    if (a->has_buf_reserve &&
        a->buf_reserve > qosvnic_buf_reserve_limit(s, f)) {
        error_setg(errp, "buf-reserve: %" PRIu32 " is above the limit of %"
                   PRIu32 " (the buffer bytes the other functions neither "
                   "reserve nor hold)", a->buf_reserve,
                   qosvnic_buf_reserve_limit(s, f));
        return false;
    }
    if ((a->has_tx_min_rate || a->has_tx_max_rate) && tx_max &&
        tx_min > tx_max) {
        error_setg(errp, "tx-min-rate: %" PRIu32 " is above the limit of %"
                   PRIu32 " (tx-max-rate)", tx_min, tx_max);
        return false;
    }
    return true;
}

/* Identity and link: MAC, port VLAN, trust, spoofchk, link state. */
static void qosvnic_set_vf_identity(QvFunc *f, QosvnicSetVfArgs *a,
                                    const MACAddr *mac)
{
    if (a->mac) {
        qosvnic_mg_set_mac(f, mac);
    }
    if (a->has_vlan || a->has_vlan_qos) {
        uint32_t vlan = f->vlan;

        if (a->has_vlan) {
            vlan = (vlan & ~QV_VLAN_VID_MASK) | a->vlan;
        }
        if (a->has_vlan_qos) {
            vlan = (vlan & ~QV_VLAN_QOS_MASK) |
                   (a->vlan_qos << QV_VLAN_QOS_SHIFT);
        }
        qosvnic_mg_set_vlan(f, vlan);
    }
    if (a->has_trust || a->has_spoofcheck || a->has_link_state) {
        uint32_t flags = f->mg_flags;

        if (a->has_trust) {
            flags = a->trust ? flags | QV_MGF_TRUST : flags & ~QV_MGF_TRUST;
        }
        if (a->has_spoofcheck) {
            flags = a->spoofcheck ? flags | QV_MGF_SPOOFCHK
                                  : flags & ~QV_MGF_SPOOFCHK;
        }
        if (a->has_link_state) {
            flags = (flags & ~QV_MGF_LINK_MASK) |
                    (a->link_state << QV_MGF_LINK_SHIFT);
        }
        qosvnic_mg_set_flags(f, flags);
    }
}

/* QoS: the value is in effect now, and (with @limit) the ceiling. */
static void qosvnic_set_vf_qos(QvFunc *f, QosvnicSetVfArgs *a, bool limit)
{
    bool ok;

    if (a->has_rx_rate) {
        qosvnic_host_set_cap(f, QV_MG_RX_RATE_LO, a->rx_rate, limit);
        qosvnic_mg_set_rx_rate(f, a->rx_rate);
    }
    if (a->has_rx_burst) {
        qosvnic_host_set_cap(f, QV_MG_RX_BURST, a->rx_burst, limit);
        qosvnic_mg_set_rx_burst(f, a->rx_burst);
    }
    if (a->has_tx_max_rate) {
        qosvnic_host_set_cap(f, QV_MG_TX_MAX_RATE, a->tx_max_rate, limit);
        qosvnic_mg_set_tx_max(f, a->tx_max_rate);
    }
    if (a->has_tx_min_rate) {
        qosvnic_host_set_cap(f, QV_MG_TX_MIN_RATE, a->tx_min_rate, limit);
        qosvnic_mg_set_tx_min(f, a->tx_min_rate);
    }
    if (a->has_priority) {
        qosvnic_host_set_cap(f, QV_MG_PRIO, a->priority, limit);
        qosvnic_mg_set_prio(f, a->priority);
    }
    if (a->has_weight) {
        qosvnic_host_set_cap(f, QV_MG_WEIGHT, a->weight, limit);
        qosvnic_mg_set_weight(f, a->weight);
    }
    if (a->has_buf_reserve) {
        qosvnic_host_set_cap(f, QV_MG_BUF_RESERVE, a->buf_reserve, limit);
        ok = qosvnic_mg_set_buf_reserve(f, a->buf_reserve);
        assert(ok);             /* checked against the same sums before */
    }
    if (a->has_buf_alpha) {
        qosvnic_host_set_cap(f, QV_MG_BUF_ALPHA, a->buf_alpha, limit);
        qosvnic_mg_set_buf_alpha(f, a->buf_alpha);
    }
}

void qmp_qosvnic_set_vf(QosvnicSetVfArgs *a, Error **errp)
{
    QosvnicState *s = qosvnic_find(a->id, errp);
    bool limit = !a->has_limit || a->limit;
    MACAddr mac;
    QvFunc *f;

    if (!s) {
        return;
    }
    if (a->vf >= s->max_vfs) {
        error_setg(errp, "vf: %" PRIu32 " is above the limit of %u (the "
                   "device has %u VFs)", a->vf, s->max_vfs - 1, s->max_vfs);
        return;
    }
    f = &s->funcs[a->vf + 1];

    /* Everything is checked before anything is applied. */
    if (!qosvnic_set_vf_check(s, f, a, &mac, errp)) {
        return;
    }
    trace_qosvnic_qmp_set_vf(a->vf, limit);
    qosvnic_set_vf_identity(f, a, &mac);
    qosvnic_set_vf_qos(f, a, limit);
}

/* ---------------------------------------------------------------- event */

static int qosvnic_drop_reason(unsigned stat)
{
    switch (stat) {
    case QV_STAT_DROP_RATE:
        return QOSVNIC_DROP_REASON_RATE;
    case QV_STAT_DROP_BUFFER:
        return QOSVNIC_DROP_REASON_BUFFER;
    case QV_STAT_DROP_RING_FULL:
        return QOSVNIC_DROP_REASON_RING_FULL;
    case QV_STAT_DROP_LENGTH:
        return QOSVNIC_DROP_REASON_LENGTH;
    case QV_STAT_DROP_VLAN:
        return QOSVNIC_DROP_REASON_VLAN;
    case QV_STAT_DROP_LINK_DOWN:
        return QOSVNIC_DROP_REASON_LINK_DOWN;
    case QV_STAT_TX_DROP_SPOOF:
        return QOSVNIC_DROP_REASON_TX_SPOOF;
    case QV_STAT_TX_DROP_BAD:
        return QOSVNIC_DROP_REASON_TX_BAD;
    case QV_STAT_DROP_NO_OWNER:
        return QOSVNIC_DROP_REASON_NO_OWNER;
    case QV_STAT_TX_DROP_LINK_DOWN:
        return QOSVNIC_DROP_REASON_TX_LINK_DOWN;
    }
    return -1;
}

/*
 * The device's drop hook (QosvnicState.drop_hook, set at realize): the
 * datapath counts a drop (qosvnic_stat_drop) and this decides on the
 * event. A VF "starts dropping" for a reason when it drops for it after
 * at least QV_DROP_QUIET_NS of virtual time without such a drop; only then
 * is the event sent. A flood therefore costs one event per VF and reason,
 * and at most one per second each however the drops come.
 */
void qosvnic_qmp_drop_hook(QvFunc *f, unsigned reason)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    bool start = !(f->drop_seen & BIT(reason)) ||
                 now - f->drop_last_ns[reason] >= QV_DROP_QUIET_NS;
    int why = qosvnic_drop_reason(reason);
    g_autofree char *path = NULL;

    f->drop_seen |= BIT(reason);
    f->drop_last_ns[reason] = now;
    if (!start || !f->fn || why < 0) {
        return;
    }
    trace_qosvnic_drop_event(f->fn - 1, QosvnicDropReason_str(why));
    path = object_get_canonical_path(OBJECT(f->dev));
    qapi_event_send_qosvnic_vf_dropping(DEVICE(f->dev)->id, path, f->fn - 1,
                                        why);
}
