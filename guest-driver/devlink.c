// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: devlink instance of the PF.
 *
 * Ports: index 0 is the PF's own function (flavour physical, it is also
 * the uplink), index vf + 1 is VF vf (flavour pcivf).
 *
 * The device's RX packet buffer is devlink shared buffer 0, with two
 * ingress pools:
 *   pool 0 "reserved" (static thresholds): port threshold = bytes
 *          guaranteed to that function (QV_MG_BUF_RESERVE);
 *   pool 1 "shared" (dynamic thresholds): port threshold = to_alpha of
 *          the Dynamic Threshold the function may take from the free
 *          shared buffer (QV_MG_BUF_ALPHA, alpha = 2^(to_alpha - 10)).
 * The pools' sizes are what the device has: pool 0 the sum of every
 * function's reserve (enabled or not), pool 1 the rest of the buffer.
 * Occupancy snapshots split the function's QV_STAT_BUF_OCCUPANCY/PEAK
 * into the part within its reserve (pool 0) and the part above (pool 1).
 *
 * to_alpha is 0..20 (uAPI, include/uapi/linux/devlink.h); the device has
 * alpha in steps of 1/16 up to 64, i.e. exactly to_alpha 6..16. Smaller
 * values (alpha 1/1024..1/32) are below its resolution and round to
 * alpha 0, which reads back as to_alpha 0, the nearest value; larger ones
 * are refused.
 */
#include <linux/log2.h>
#include <net/devlink.h>

#include "qosvnic.h"

#define QV_SB_INDEX		0
#define QV_SB_POOL_RESERVED	0
#define QV_SB_POOL_SHARED	1
#define QV_SB_POOLS		2
/* to_alpha range that QV_MG_BUF_ALPHA (1/16 steps, max 64) can express */
#define QV_TO_ALPHA_MIN		6	/* alpha 1/16 */
#define QV_TO_ALPHA_MAX		16	/* alpha 64 */
#define QV_TO_ALPHA_UAPI_MAX	20	/* alpha 1024 */

static unsigned int qv_port_fn(struct qv_pf *pf, struct devlink_port *port)
{
	if (port == &pf->dl_port)
		return 0;
	return container_of(port, struct qv_vf, dl_port)->id + 1;
}

static struct qv_pf *qv_port_pf(struct devlink_port *port)
{
	return devlink_priv(port->devlink);
}

/* Reserves of the PF and of every VF the device has, enabled or not. */
static u32 qv_sb_reserved(struct qv_pf *pf)
{
	u32 fn, nfn = qv_rd32(pf->hw, QV_DEV_MAX_VFS) + 1, sum = 0;

	for (fn = 0; fn < nfn && fn < QV_MAX_FUNCS; fn++)
		sum += qv_rd32(qv_mgmt(pf, fn), QV_MG_BUF_RESERVE);
	return sum;
}

static int qv_sb_pool_get(struct devlink *devlink, unsigned int sb_index,
			  u16 pool_index, struct devlink_sb_pool_info *info)
{
	struct qv_pf *pf = devlink_priv(devlink);
	u32 total, reserved;

	if (sb_index != QV_SB_INDEX || pool_index >= QV_SB_POOLS)
		return -EINVAL;
	total = qv_rd32(pf->hw, QV_DEV_BUF_TOTAL);
	reserved = min(qv_sb_reserved(pf), total);
	info->pool_type = DEVLINK_SB_POOL_TYPE_INGRESS;
	info->size = pool_index == QV_SB_POOL_RESERVED ? reserved :
			total - reserved;
	info->threshold_type = pool_index == QV_SB_POOL_RESERVED ?
			       DEVLINK_SB_THRESHOLD_TYPE_STATIC :
			       DEVLINK_SB_THRESHOLD_TYPE_DYNAMIC;
	info->cell_size = QV_BUF_CELL_SIZE;
	return 0;
}

static int qv_sb_port_pool_get(struct devlink_port *port,
			       unsigned int sb_index, u16 pool_index,
			       u32 *p_threshold)
{
	struct qv_pf *pf = qv_port_pf(port);
	void __iomem *mg = qv_mgmt(pf, qv_port_fn(pf, port));
	u32 alpha;

	if (sb_index != QV_SB_INDEX || pool_index >= QV_SB_POOLS)
		return -EINVAL;
	if (pool_index == QV_SB_POOL_RESERVED) {
		*p_threshold = qv_rd32(mg, QV_MG_BUF_RESERVE);
		return 0;
	}
	/* Alphas that are not a power of two (set by the host) round down. */
	alpha = min_t(u32, qv_rd32(mg, QV_MG_BUF_ALPHA), QV_ALPHA_MAX);
	*p_threshold = alpha ? ilog2(alpha) + QV_TO_ALPHA_MIN : 0;
	return 0;
}

static int qv_sb_port_pool_set(struct devlink_port *port,
			       unsigned int sb_index, u16 pool_index,
			       u32 threshold, struct netlink_ext_ack *extack)
{
	struct qv_pf *pf = qv_port_pf(port);
	unsigned int fn = qv_port_fn(pf, port);
	void __iomem *mg = qv_mgmt(pf, fn);
	u32 reg, val;

	if (sb_index != QV_SB_INDEX || pool_index >= QV_SB_POOLS)
		return -EINVAL;
	if (pool_index == QV_SB_POOL_RESERVED) {
		if (threshold > qv_rd32(pf->hw, QV_DEV_BUF_TOTAL)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "reserve larger than the device buffer");
			return -EINVAL;
		}
		reg = QV_MG_BUF_RESERVE;
		/* the device accounts in whole cells */
		val = roundup(threshold, QV_BUF_CELL_SIZE);
	} else {
		if (threshold > QV_TO_ALPHA_UAPI_MAX) {
			NL_SET_ERR_MSG_MOD(extack, "to_alpha is 0..20");
			return -EINVAL;
		}
		if (threshold > QV_TO_ALPHA_MAX) {
			NL_SET_ERR_MSG_MOD(extack,
					   "the device's alpha is at most 64 (to_alpha 16)");
			return -EINVAL;
		}
		reg = QV_MG_BUF_ALPHA;
		/* below 1/16 (to_alpha < 6) the device has only alpha 0 */
		val = threshold >= QV_TO_ALPHA_MIN ?
		      1u << (threshold - QV_TO_ALPHA_MIN) : 0;
	}

	mutex_lock(&pf->cfg_lock);
	qv_wr32(mg, reg, val);
	mutex_unlock(&pf->cfg_lock);
	if (qv_rd32(mg, reg) != val) {
		NL_SET_ERR_MSG_MOD(extack,
				   "device did not take the value (host cap or no room in the buffer)");
		return -EPERM;
	}
	return 0;
}

static void qv_occ_read(struct qv_pf *pf, unsigned int fn, u32 *cur,
			u32 *max)
{
	void __iomem *mg = qv_mgmt(pf, fn);

	*cur = qv_rd64(mg, QV_MG_STAT(QV_STAT_BUF_OCCUPANCY));
	*max = qv_rd64(mg, QV_MG_STAT(QV_STAT_BUF_PEAK));
}

static int qv_sb_occ_snapshot(struct devlink *devlink, unsigned int sb_index)
{
	struct qv_pf *pf = devlink_priv(devlink);
	int i;

	qv_occ_read(pf, 0, &pf->occ_cur, &pf->occ_max);
	mutex_lock(&pf->cfg_lock);
	for (i = 0; i < pf->num_vfs; i++)
		qv_occ_read(pf, i + 1, &pf->vfs[i].occ_cur,
			    &pf->vfs[i].occ_max);
	mutex_unlock(&pf->cfg_lock);
	return 0;
}

static int qv_sb_occ_max_clear(struct devlink *devlink, unsigned int sb_index)
{
	struct qv_pf *pf = devlink_priv(devlink);
	int i;

	mutex_lock(&pf->cfg_lock);
	for (i = 0; i <= pf->num_vfs; i++)
		qv_wr64(qv_mgmt(pf, i), QV_MG_STAT(QV_STAT_BUF_PEAK), 0);
	mutex_unlock(&pf->cfg_lock);
	return 0;
}

static int qv_sb_occ_port_pool_get(struct devlink_port *port,
				   unsigned int sb_index, u16 pool_index,
				   u32 *p_cur, u32 *p_max)
{
	struct qv_pf *pf = qv_port_pf(port);
	unsigned int fn = qv_port_fn(pf, port);
	u32 cur, max, reserve;

	if (sb_index != QV_SB_INDEX || pool_index >= QV_SB_POOLS)
		return -EINVAL;
	if (fn == 0) {
		cur = pf->occ_cur;
		max = pf->occ_max;
	} else {
		struct qv_vf *vf = container_of(port, struct qv_vf, dl_port);

		cur = vf->occ_cur;
		max = vf->occ_max;
	}
	reserve = qv_rd32(qv_mgmt(pf, fn), QV_MG_BUF_RESERVE);
	if (pool_index == QV_SB_POOL_RESERVED) {
		*p_cur = min(cur, reserve);
		*p_max = min(max, reserve);
	} else {
		*p_cur = cur > reserve ? cur - reserve : 0;
		*p_max = max > reserve ? max - reserve : 0;
	}
	return 0;
}

static const struct devlink_ops qv_devlink_ops = {
	.sb_pool_get = qv_sb_pool_get,
	.sb_port_pool_get = qv_sb_port_pool_get,
	.sb_port_pool_set = qv_sb_port_pool_set,
	.sb_occ_snapshot = qv_sb_occ_snapshot,
	.sb_occ_max_clear = qv_sb_occ_max_clear,
	.sb_occ_port_pool_get = qv_sb_occ_port_pool_get,
};

struct qv_pf *qv_devlink_alloc(struct pci_dev *pdev)
{
	struct devlink *devlink;
	struct qv_pf *pf;

	devlink = devlink_alloc(&qv_devlink_ops, sizeof(*pf), &pdev->dev);
	if (!devlink)
		return NULL;
	pf = devlink_priv(devlink);
	pf->devlink = devlink;
	pf->pdev = pdev;
	mutex_init(&pf->cfg_lock);
	return pf;
}

void qv_devlink_free(struct qv_pf *pf)
{
	mutex_destroy(&pf->cfg_lock);
	devlink_free(pf->devlink);
}

int qv_devlink_init(struct qv_pf *pf)
{
	struct devlink_port_attrs attrs = {
		.flavour = DEVLINK_PORT_FLAVOUR_PHYSICAL,
		.phys.port_number = 0,
	};
	struct devlink *devlink = pf->devlink;
	int err;

	devl_lock(devlink);
	devlink_port_attrs_set(&pf->dl_port, &attrs);
	err = devl_port_register(devlink, &pf->dl_port, 0);
	if (err)
		goto out;
	err = devl_sb_register(devlink, QV_SB_INDEX,
			       qv_rd32(pf->hw, QV_DEV_BUF_TOTAL), QV_SB_POOLS,
			       0, 0, 0);
	if (err) {
		devl_port_unregister(&pf->dl_port);
		goto out;
	}
	pf->sb_registered = true;
out:
	devl_unlock(devlink);
	return err;
}

void qv_devlink_fini(struct qv_pf *pf)
{
	devl_lock(pf->devlink);
	if (pf->sb_registered)
		devl_sb_unregister(pf->devlink, QV_SB_INDEX);
	pf->sb_registered = false;
	devl_port_unregister(&pf->dl_port);
	devl_unlock(pf->devlink);
}

void qv_devlink_register(struct qv_pf *pf)
{
	devlink_register(pf->devlink);
}

void qv_devlink_unregister(struct qv_pf *pf)
{
	devlink_unregister(pf->devlink);
}

void qv_devlink_netdev_attach(struct qv_pf *pf, struct net_device *netdev)
{
#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
	devlink_port_type_eth_set(&pf->dl_port, netdev);
#endif
}

void qv_devlink_netdev_detach(struct qv_pf *pf)
{
#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
	devlink_port_type_clear(&pf->dl_port);
#endif
}

int qv_devlink_vf_ports_add(struct qv_pf *pf)
{
	struct devlink *devlink = pf->devlink;
	int i, err = 0;

	devl_lock(devlink);
	for (i = 0; i < pf->num_vfs; i++) {
		struct qv_vf *vf = &pf->vfs[i];

		devlink_port_attrs_pci_vf_set(&vf->dl_port, 0, 0, i, false);
		err = devl_port_register(devlink, &vf->dl_port, i + 1);
		if (err)
			break;
	}
	if (err)
		while (i--)
			devl_port_unregister(&pf->vfs[i].dl_port);
	devl_unlock(devlink);
	return err;
}

void qv_devlink_vf_ports_del(struct qv_pf *pf)
{
	int i;

	devl_lock(pf->devlink);
	for (i = 0; i < pf->num_vfs; i++)
		devl_port_unregister(&pf->vfs[i].dl_port);
	devl_unlock(pf->devlink);
}
