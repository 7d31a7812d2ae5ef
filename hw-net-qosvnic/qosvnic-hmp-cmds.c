/*
 * qosvnic: HMP commands "info qosvnic" and "qosvnic_set_vf", on top of the
 * QMP commands (so they work, and fail alike, with or without the device).
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-qosvnic.h"
#include "qapi/qapi-visit-qosvnic.h"
#include "qobject/qdict.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/visitor.h"
#include "qemu/keyval.h"

static void hmp_qosvnic_print_limits(Monitor *mon, QosvnicHostLimits *h)
{
    if (h->has_rx_rate) {
        monitor_printf(mon, " rx-rate=%" PRIu64, h->rx_rate);
    }
    if (h->has_rx_burst) {
        monitor_printf(mon, " rx-burst=%" PRIu32, h->rx_burst);
    }
    if (h->has_tx_max_rate) {
        monitor_printf(mon, " tx-max-rate=%" PRIu32, h->tx_max_rate);
    }
    if (h->has_tx_min_rate) {
        monitor_printf(mon, " tx-min-rate=%" PRIu32, h->tx_min_rate);
    }
    if (h->has_priority) {
        monitor_printf(mon, " priority=%" PRIu32, h->priority);
    }
    if (h->has_weight) {
        monitor_printf(mon, " weight=%" PRIu32, h->weight);
    }
    if (h->has_buf_reserve) {
        monitor_printf(mon, " buf-reserve=%" PRIu32, h->buf_reserve);
    }
    if (h->has_buf_alpha) {
        monitor_printf(mon, " buf-alpha=%" PRIu32, h->buf_alpha);
    }
}

static const char *hmp_qosvnic_fn_name(QosvnicFuncInfo *fi, char *buf,
                                       size_t len)
{
    if (!fi->has_vf) {
        return "pf";
    }
    snprintf(buf, len, "vf%" PRIu32, fi->vf);
    return buf;
}

static void hmp_qosvnic_print(Monitor *mon, QosvnicInfo *info)
{
    QosvnicFuncInfoList *l;
    char name[16];

    monitor_printf(mon, "qosvnic %s (%s): %" PRIu32 " of %" PRIu32
                   " VFs enabled, link %s\n", info->id ? info->id : "",
                   info->qom_path, info->num_vfs, info->max_vfs,
                   info->link_up ? "up" : "down");
    monitor_printf(mon, "  buffer %" PRIu32 " bytes, %" PRIu32
                   " shared free; line rate %" PRIu32 " Mbit/s, DMA rate %"
                   PRIu64 " bytes/s (0 = not modelled)\n", info->buffer_size,
                   info->buffer_shared_free, info->line_rate,
                   info->dma_rate);

    monitor_printf(mon, "  %-4s %-17s %-4s %-7s %-5s %-5s %-7s %14s %9s "
                   "%7s %7s %4s %6s %8s %5s\n", "fn", "mac", "link", "state",
                   "trust", "spoof", "vlan/qos", "rx-rate", "rx-burst",
                   "tx-max", "tx-min", "prio", "weight", "reserve", "alpha");
    for (l = info->functions; l; l = l->next) {
        QosvnicFuncInfo *fi = l->value;
        QosvnicFuncConfig *c = fi->config;
        g_autofree char *vlan = g_strdup_printf("%u/%u", c->vlan,
                                                c->vlan_qos);

        monitor_printf(mon, "  %-4s %-17s %-4s %-7s %-5s %-5s %-7s %14"
                       PRIu64 " %9" PRIu32 " %7" PRIu32 " %7" PRIu32 " %4"
                       PRIu32 " %6" PRIu32 " %8" PRIu32 " %5" PRIu32 "\n",
                       hmp_qosvnic_fn_name(fi, name, sizeof(name)), c->mac,
                       fi->link_up ? "up" : "down",
                       QosvnicLinkState_str(c->link_state),
                       c->trust ? "on" : "off", c->spoofcheck ? "on" : "off",
                       vlan, c->rx_rate, c->rx_burst, c->tx_max_rate,
                       c->tx_min_rate, c->priority, c->weight,
                       c->buf_reserve, c->buf_alpha);
    }
    for (l = info->functions; l; l = l->next) {
        QosvnicFuncInfo *fi = l->value;

        if (fi->host_limits_mask) {
            monitor_printf(mon, "  %-4s host ceilings:",
                           hmp_qosvnic_fn_name(fi, name, sizeof(name)));
            hmp_qosvnic_print_limits(mon, fi->host_limits);
            monitor_printf(mon, " (HOST_LIMITS 0x%" PRIx32 ")\n",
                           fi->host_limits_mask);
        }
    }

    monitor_printf(mon, "  %-4s %10s %12s %10s %12s %9s %9s %9s %9s %9s "
                   "%9s %9s %9s %9s %9s %9s\n", "fn", "rx-pkts", "rx-bytes",
                   "tx-pkts", "tx-bytes", "drop-rate", "drop-buf", "drop-ring",
                   "drop-len", "drop-vlan", "drop-link", "tx-spoof", "tx-bad",
                   "tx-link", "occupancy", "peak");
    for (l = info->functions; l; l = l->next) {
        QosvnicFuncInfo *fi = l->value;
        QosvnicFuncStats *st = fi->stats;

        monitor_printf(mon, "  %-4s %10" PRIu64 " %12" PRIu64 " %10" PRIu64
                       " %12" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
                       " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
                       " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
                       "\n",
                       hmp_qosvnic_fn_name(fi, name, sizeof(name)),
                       st->rx_packets, st->rx_bytes, st->tx_packets,
                       st->tx_bytes, st->drop_rate, st->drop_buffer,
                       st->drop_ring_full, st->drop_length, st->drop_vlan,
                       st->drop_link_down, st->tx_drop_spoof, st->tx_drop_bad,
                       st->tx_drop_link_down, st->buf_occupancy, st->buf_peak);
    }
}

void hmp_info_qosvnic(Monitor *mon, const QDict *qdict)
{
    const char *id = qdict_get_try_str(qdict, "id");
    bool all = qdict_get_try_bool(qdict, "all", false);
    Error *err = NULL;
    QosvnicInfoList *list, *l;

    list = qmp_query_qosvnic(id, true, all, &err);
    if (hmp_handle_error(mon, err)) {
        return;
    }
    if (!list) {
        monitor_printf(mon, "No qosvnic device\n");
    }
    for (l = list; l; l = l->next) {
        hmp_qosvnic_print(mon, l->value);
    }
    qapi_free_QosvnicInfoList(list);
}

void hmp_qosvnic_set_vf(Monitor *mon, const QDict *qdict)
{
    const char *id = qdict_get_str(qdict, "id");
    int64_t vf = qdict_get_int(qdict, "vf");
    const char *settings = qdict_get_str(qdict, "settings");
    QosvnicSetVfArgs *args = NULL;
    g_autofree char *vf_str = NULL;
    Error *err = NULL;
    QDict *d;
    Visitor *v;

    if (vf < 0 || vf > UINT32_MAX) {
        error_setg(&err, "vf: %" PRId64 " is not a VF number", vf);
        hmp_handle_error(mon, err);
        return;
    }
    d = keyval_parse(settings, NULL, NULL, &err);
    if (!d) {
        hmp_handle_error(mon, err);
        return;
    }
    if (qdict_haskey(d, "id") || qdict_haskey(d, "vf")) {
        error_setg(&err, "id and vf are given before the settings");
        goto out;
    }
    vf_str = g_strdup_printf("%" PRId64, vf);
    qdict_put_str(d, "id", id);
    qdict_put_str(d, "vf", vf_str);
    v = qobject_input_visitor_new_keyval(QOBJECT(d));
    if (visit_type_QosvnicSetVfArgs(v, NULL, &args, &err)) {
        qmp_qosvnic_set_vf(args, &err);
    }
    visit_free(v);
    qapi_free_QosvnicSetVfArgs(args);
out:
    qobject_unref(d);
    hmp_handle_error(mon, err);
}
