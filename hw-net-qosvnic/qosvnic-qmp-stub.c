/*
 * qosvnic: QMP commands in builds without the qosvnic device.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-qosvnic.h"

QosvnicInfoList *qmp_query_qosvnic(const char *id, bool has_all, bool all,
                                   Error **errp)
{
    if (id) {
        error_setg(errp, "Device '%s' not found", id);
    }
    return NULL;
}

void qmp_qosvnic_set_vf(QosvnicSetVfArgs *arg, Error **errp)
{
    error_setg(errp, "Device '%s' not found", arg->id);
}
