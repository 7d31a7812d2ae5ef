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

/*
 * 6.4 moved the port function callbacks (hw_addr) from devlink_ops to
 * devlink_port_ops, registered with devl_port_register_with_ops().
 * Probed by Kbuild: QV_HAVE_DEVLINK_PORT_OPS.
 */

/* 6.2 gave devl_rate_leaf_create() a parent: QV_HAVE_RATE_LEAF_PARENT. */
static inline int qv_rate_leaf_create(struct devlink_port *port, void *priv)
{
#ifdef QV_HAVE_RATE_LEAF_PARENT
	return devl_rate_leaf_create(port, priv, NULL);
#else
	return devl_rate_leaf_create(port, priv);
#endif
}

/*
 * 6.2 fills the driver name of "devlink dev info" in the core and removed
 * devlink_info_driver_name_put(): QV_HAVE_INFO_DRIVER_NAME before.
 */
static inline int qv_info_driver_name_put(struct devlink_info_req *req,
					  const char *name)
{
#ifdef QV_HAVE_INFO_DRIVER_NAME
	return devlink_info_driver_name_put(req, name);
#else
	return 0;
#endif
}

/*
 * The mqprio offload request carries an extack since 6.3
 * (QV_HAVE_MQPRIO_EXTACK); before, errors go to the kernel log only.
 */
#ifdef QV_HAVE_MQPRIO_EXTACK
#define QV_MQPRIO_EXTACK(m)	((m)->extack)
#else
#define QV_MQPRIO_EXTACK(m)	((struct netlink_ext_ack *)NULL)
#endif

#endif /* QOSVNIC_COMPAT_H */
