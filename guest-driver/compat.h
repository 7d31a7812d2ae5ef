/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility shims between Debian bookworm 6.1 and backports 6.12
 * kernels. Feature probes are preferred over LINUX_VERSION_CODE because
 * Debian's 6.1.y carries backports.
 */
#ifndef QOSVNIC_COMPAT_H
#define QOSVNIC_COMPAT_H

#include <linux/netdevice.h>
#include <net/devlink.h>

/*
 * 6.6 split <net/page_pool.h> into page_pool/{types,helpers}.h; Kbuild
 * probes the kernel tree and defines QV_HAVE_PAGE_POOL_HELPERS_H.
 */
#ifdef QV_HAVE_PAGE_POOL_HELPERS_H
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif

/*
 * 6.2 replaced ndo_get_devlink_port and devlink_port_type_eth_set(port,
 * netdev) with SET_NETDEV_DEVLINK_PORT(), which the core uses at
 * register_netdev() time.
 */
#ifdef SET_NETDEV_DEVLINK_PORT
#define QV_HAVE_NETDEV_DEVLINK_PORT 1
#endif

#endif /* QOSVNIC_COMPAT_H */
