// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: devlink instance of the PF, and the VFs' own (info, health).
 *
 * Ports: index 0 is the PF's own function (flavour physical, it is also
 * the uplink), index vf + 1 is VF vf (flavour pcivf). All of them carry
 * the switch id (from the PF's MAC), so that representors and the uplink
 * show one switch.
 *
 * Every VF port has a devlink rate leaf: tx_share and tx_max are the
 * VF's QV_MG_TX_MIN_RATE / QV_MG_TX_MAX_RATE, which "ip link set PF vf N
 * min_tx_rate/max_tx_rate" also sets (the legacy alias; the same
 * registers and checks, pf_sriov.c). Rates are whole Mbit/s in the
 * device, as mlx5 requires. Port function hw_addr is the VF's MAC.
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
	u32 reg, val, old;

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
	old = qv_rd32(mg, reg);
	qv_mg_wr32(pf, fn, reg, val);
	if (qv_rd32(mg, reg) != val) {
		/* the record is what the device holds (mgmt.c) */
		qv_mg_wr32(pf, fn, reg, old);
		mutex_unlock(&pf->cfg_lock);
		NL_SET_ERR_MSG_MOD(extack,
				   "device did not take the value (host cap, or no room in the buffer: reserves and frames held beyond them)");
		return -EPERM;
	}
	mutex_unlock(&pf->cfg_lock);
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

/* ------------------------------------------------------ devlink info */
static int qv_info_common(struct devlink_info_req *req, void __iomem *hw,
			  struct pci_dev *pdev)
{
	char buf[32];
	int err;

	err = qv_info_driver_name_put(req, QV_DRV_NAME);
	if (err)
		return err;
	snprintf(buf, sizeof(buf), "%04x:%04x", pdev->vendor, pdev->device);
	err = devlink_info_version_fixed_put(req,
					     DEVLINK_INFO_VERSION_GENERIC_ASIC_ID,
					     buf);
	if (err)
		return err;
	snprintf(buf, sizeof(buf), "%u", pdev->revision);
	err = devlink_info_version_fixed_put(req,
					     DEVLINK_INFO_VERSION_GENERIC_ASIC_REV,
					     buf);
	if (err)
		return err;
	/* The hardware contract the device implements (QV_FN_VERSION). */
	snprintf(buf, sizeof(buf), "%u", qv_rd32(hw, QV_FN_VERSION));
	return devlink_info_version_running_put(req, "fw.contract", buf);
}

static int qv_info_get(struct devlink *devlink, struct devlink_info_req *req,
		       struct netlink_ext_ack *extack)
{
	struct qv_pf *pf = devlink_priv(devlink);
	void __iomem *mg = qv_mgmt(pf, 0);
	char serial[16];
	u8 mac[ETH_ALEN];
	int err;

	err = qv_info_common(req, pf->hw, pf->pdev);
	if (err)
		return err;
	/* The serial number is the PF's MAC, as the device has no other. */
	qv_regs_to_mac(qv_rd32(mg, QV_MG_MAC_LO), qv_rd32(mg, QV_MG_MAC_HI), mac);
	snprintf(serial, sizeof(serial), "%pm", mac);
	err = devlink_info_serial_number_put(req, serial);
	if (err)
		return err;
	snprintf(serial, sizeof(serial), "%#x", qv_rd32(pf->hw, QV_DEV_CAPS));
	return devlink_info_version_running_put(req, "fw.caps", serial);
}

/* ------------------------------------------------------ devlink rate */
/* devlink rates are bytes/s; the device has whole Mbit/s. */
static int qv_rate_to_mbps(u64 rate, u32 *mbps,
			   struct netlink_ext_ack *extack)
{
	u64 r = rate;

	if (do_div(r, 125000)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "rates are whole Mbit/s (125000 bytes/s) on this device");
		return -EINVAL;
	}
	if (r > U32_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "rate too large");
		return -EINVAL;
	}
	*mbps = r;
	return 0;
}

static int qv_leaf_tx_share_set(struct devlink_rate *rate, void *priv,
				u64 tx_share, struct netlink_ext_ack *extack)
{
	struct qv_vf *vf = priv;
	u32 mbps;
	int err;

	err = qv_rate_to_mbps(tx_share, &mbps, extack);
	if (err)
		return err;
	return qv_vf_set_admin_rates(vf->pf, vf->id, mbps, 0, QV_RATE_KEEP_MAX,
				     extack);
}

static int qv_leaf_tx_max_set(struct devlink_rate *rate, void *priv,
			      u64 tx_max, struct netlink_ext_ack *extack)
{
	struct qv_vf *vf = priv;
	u32 mbps;
	int err;

	err = qv_rate_to_mbps(tx_max, &mbps, extack);
	if (err)
		return err;
	return qv_vf_set_admin_rates(vf->pf, vf->id, 0, mbps, QV_RATE_KEEP_MIN,
				     extack);
}

/*
 * "ip link set PF vf N ... rate" changed the registers behind devlink's
 * back: bring the rate leaves' cached values in line (under devl_lock,
 * which the ndo path, under rtnl, must not take: devlink takes rtnl
 * inside devl_lock).
 */
void qv_devlink_rate_sync(struct work_struct *work)
{
	struct qv_pf *pf = container_of(work, struct qv_pf, rate_sync_work);
	int i;

	devl_lock(pf->devlink);
	mutex_lock(&pf->cfg_lock);
	for (i = 0; i < pf->num_vfs; i++) {
		struct qv_vf *vf = &pf->vfs[i];

		if (!vf->rate_leaf || !vf->dl_port.devlink_rate)
			continue;
		vf->dl_port.devlink_rate->tx_share =
			(u64)vf->admin_min_tx * 125000;
		vf->dl_port.devlink_rate->tx_max =
			(u64)vf->admin_max_tx * 125000;
	}
	mutex_unlock(&pf->cfg_lock);
	devl_unlock(pf->devlink);
}

/* ------------------------------------------- port function: hw_addr */
static struct qv_vf *qv_port_vf(struct devlink_port *port,
				struct netlink_ext_ack *extack)
{
	struct qv_pf *pf = qv_port_pf(port);

	if (port == &pf->dl_port) {
		NL_SET_ERR_MSG_MOD(extack, "the PF's port has no port function");
		return NULL;
	}
	return container_of(port, struct qv_vf, dl_port);
}

static int qv_port_fn_hw_addr_get(struct devlink_port *port, u8 *hw_addr,
				  int *hw_addr_len,
				  struct netlink_ext_ack *extack)
{
	struct qv_vf *vf = qv_port_vf(port, extack);
	void __iomem *mg;

	if (!vf)
		return -EOPNOTSUPP;
	mg = qv_mgmt(vf->pf, vf->id + 1);
	qv_regs_to_mac(qv_rd32(mg, QV_MG_MAC_LO), qv_rd32(mg, QV_MG_MAC_HI),
		       hw_addr);
	*hw_addr_len = ETH_ALEN;
	return 0;
}

static int qv_port_fn_hw_addr_set(struct devlink_port *port,
				  const u8 *hw_addr, int hw_addr_len,
				  struct netlink_ext_ack *extack)
{
	struct qv_vf *vf = qv_port_vf(port, extack);
	int err;

	if (!vf)
		return -EOPNOTSUPP;
	if (hw_addr_len != ETH_ALEN ||
	    (!is_valid_ether_addr(hw_addr) && !is_zero_ether_addr(hw_addr))) {
		NL_SET_ERR_MSG_MOD(extack, "not a unicast Ethernet address");
		return -EINVAL;
	}
	err = qv_vf_set_admin_mac(vf->pf, vf->id, hw_addr);
	if (err == -EADDRINUSE)
		NL_SET_ERR_MSG_MOD(extack,
				   "the PF or another VF has this MAC from the administrator");
	return err;
}

#ifdef QV_HAVE_DEVLINK_PORT_OPS
static const struct devlink_port_ops qv_vf_port_ops = {
	.port_fn_hw_addr_get = qv_port_fn_hw_addr_get,
	.port_fn_hw_addr_set = qv_port_fn_hw_addr_set,
};
#endif

static const struct devlink_ops qv_devlink_ops = {
	.info_get = qv_info_get,
	.eswitch_mode_get = qv_esw_mode_get,
	.eswitch_mode_set = qv_esw_mode_set,
	.rate_leaf_tx_share_set = qv_leaf_tx_share_set,
	.rate_leaf_tx_max_set = qv_leaf_tx_max_set,
#ifndef QV_HAVE_DEVLINK_PORT_OPS
	.port_function_hw_addr_get = qv_port_fn_hw_addr_get,
	.port_function_hw_addr_set = qv_port_fn_hw_addr_set,
#endif
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
	INIT_WORK(&pf->rate_sync_work, qv_devlink_rate_sync);
	pf->esw_mode = DEVLINK_ESWITCH_MODE_LEGACY;
	qv_tc_init(pf);
	return pf;
}

void qv_devlink_free(struct qv_pf *pf)
{
	mutex_destroy(&pf->cfg_lock);
	devlink_free(pf->devlink);
}

/* The switch id: the PF's MAC from the device and "qv". */
static void qv_switch_id(struct qv_pf *pf)
{
	struct netdev_phys_item_id *id = &pf->switch_id;

	qv_regs_to_mac(qv_rd32(pf->hw, QV_FN_MAC_LO),
		       qv_rd32(pf->hw, QV_FN_MAC_HI), id->id);
	id->id[ETH_ALEN] = 'q';
	id->id[ETH_ALEN + 1] = 'v';
	id->id_len = ETH_ALEN + 2;
}

int qv_devlink_init(struct qv_pf *pf)
{
	struct devlink_port_attrs attrs = {
		.flavour = DEVLINK_PORT_FLAVOUR_PHYSICAL,
		.phys.port_number = 0,
	};
	struct devlink *devlink = pf->devlink;
	int err;

	qv_switch_id(pf);
	attrs.switch_id = pf->switch_id;
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

static void qv_vf_port_del(struct qv_vf *vf)
{
	if (vf->rate_leaf)
		devl_rate_leaf_destroy(&vf->dl_port);
	vf->rate_leaf = false;
	devl_port_unregister(&vf->dl_port);
}

/*
 * VF ports with their rate leaves, and in switchdev mode their
 * representors.
 */
int qv_devlink_vf_ports_add(struct qv_pf *pf)
{
	struct devlink *devlink = pf->devlink;
	int i, err = 0;

	devl_lock(devlink);
	for (i = 0; i < pf->num_vfs; i++) {
		struct qv_vf *vf = &pf->vfs[i];

		vf->dl_port.attrs.switch_id = pf->switch_id;
		devlink_port_attrs_pci_vf_set(&vf->dl_port, 0, 0, i, false);
#ifdef QV_HAVE_DEVLINK_PORT_OPS
		err = devl_port_register_with_ops(devlink, &vf->dl_port, i + 1,
						  &qv_vf_port_ops);
#else
		err = devl_port_register(devlink, &vf->dl_port, i + 1);
#endif
		if (err)
			break;
		err = qv_rate_leaf_create(&vf->dl_port, vf);
		if (err) {
			devl_port_unregister(&vf->dl_port);
			break;
		}
		vf->rate_leaf = true;
	}
	pf->num_vf_ports = i;
	if (!err && pf->esw_mode == DEVLINK_ESWITCH_MODE_SWITCHDEV)
		err = qv_esw_reprs_add(pf);
	if (err) {	/* ports 0 .. i - 1 are registered */
		while (i--)
			qv_vf_port_del(&pf->vfs[i]);
		pf->num_vf_ports = 0;
	}
	devl_unlock(devlink);
	return err;
}

void qv_devlink_vf_ports_del(struct qv_pf *pf)
{
	int i;

	devl_lock(pf->devlink);
	qv_esw_reprs_del(pf);
	for (i = 0; i < pf->num_vf_ports; i++)
		qv_vf_port_del(&pf->vfs[i]);
	pf->num_vf_ports = 0;
	devl_unlock(pf->devlink);
}

/* ------------------------------------------------ a VF's own instance */
static int qv_vf_info_get(struct devlink *devlink,
			  struct devlink_info_req *req,
			  struct netlink_ext_ack *extack)
{
	struct qv_vf_devlink *vd = devlink_priv(devlink);

	return qv_info_common(req, vd->ad->hw, vd->ad->pdev);
}

static const struct devlink_ops qv_vf_devlink_ops = {
	.info_get = qv_vf_info_get,
};

struct devlink *qv_vf_devlink_alloc(struct qv_adapter *ad)
{
	struct devlink *devlink;
	struct qv_vf_devlink *vd;

	devlink = devlink_alloc(&qv_vf_devlink_ops, sizeof(*vd),
				&ad->pdev->dev);
	if (!devlink)
		return NULL;
	vd = devlink_priv(devlink);
	vd->ad = ad;
	devlink_register(devlink);
	return devlink;
}

void qv_vf_devlink_free(struct devlink *devlink)
{
	if (!devlink)
		return;
	devlink_unregister(devlink);
	devlink_free(devlink);
}
