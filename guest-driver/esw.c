// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: eswitch mode and VF representors.
 *
 *   devlink dev eswitch set pci/PF mode switchdev|legacy
 *
 * Legacy mode is the device's VEB (switching by MAC, "ip link set PF vf N
 * ..." for the VFs' settings). In switchdev mode the device switches by
 * its rule table (tc.c) and sends every frame no rule matches to the PF,
 * with the port it came from in the RX descriptor: each VF gets a
 * representor netdev on the PF side (phys_port_name pf0vfN, the switch's
 * id), which receives what its VF sends (the slow path) and sends to its
 * VF through the VF's admission control (a context descriptor on the PF's
 * ring, rings.c). The PF's own netdev is the uplink's representor: it
 * receives what comes from the wire and sends to the wire.
 *
 * tc rules on a representor (flower, matchall) are offloaded to the
 * device's rule table and to the VF's ingress policer (tc.c).
 *
 * Locking: mode changes and representor creation run under devl_lock
 * (devlink calls eswitch_mode_set with it; sriov_configure takes it to
 * add and delete the VFs' ports), and take rtnl inside it, as devlink
 * does. Representors follow pf->num_vf_ports, which only the ports' add
 * and delete change, under devl_lock: pf->num_vfs changes outside it
 * (before the ports are added, after they are gone), so a mode change
 * racing sriov_configure must not make representors from it. The RX
 * path finds a representor under RCU.
 */
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <net/pkt_cls.h>

#include "qosvnic.h"

static const struct net_device_ops qv_repr_netdev_ops;

bool qv_is_repr(const struct net_device *netdev)
{
	return netdev->netdev_ops == &qv_repr_netdev_ops;
}

/* --------------------------------------------------- representor netdev */
static int qv_repr_open(struct net_device *netdev)
{
	netif_carrier_on(netdev);
	netif_tx_start_all_queues(netdev);
	return 0;
}

static int qv_repr_stop(struct net_device *netdev)
{
	netif_carrier_off(netdev);
	netif_tx_stop_all_queues(netdev);
	return 0;
}

/* Sending on a representor = sending to its VF (through the PF's ring). */
static netdev_tx_t qv_repr_xmit(struct sk_buff *skb, struct net_device *netdev)
{
	struct qv_repr *repr = netdev_priv(netdev);
	unsigned int len = skb->len;
	int err;

	err = qv_xmit_port(repr->pf->adapter, skb, repr->vf->id + 1);
	if (err == -EBUSY)
		return NETDEV_TX_BUSY;	/* netpoll: the skb is still ours */
	if (err) {
		dev_core_stats_tx_dropped_inc(netdev);
		return NETDEV_TX_OK;
	}
	dev_sw_netstats_tx_add(netdev, 1, len);
	return NETDEV_TX_OK;
}

static int qv_repr_setup_tc(struct net_device *netdev,
			    enum tc_setup_type type, void *type_data)
{
	struct qv_repr *repr = netdev_priv(netdev);

	if (type != TC_SETUP_BLOCK)
		return -EOPNOTSUPP;
	return qv_tc_setup_block(netdev, repr->pf, repr->vf->id + 1, type_data);
}

#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
static struct devlink_port *qv_repr_get_devlink_port(struct net_device *netdev)
{
	struct qv_repr *repr = netdev_priv(netdev);

	return &repr->vf->dl_port;
}
#endif

static const struct net_device_ops qv_repr_netdev_ops = {
	.ndo_open = qv_repr_open,
	.ndo_stop = qv_repr_stop,
	.ndo_start_xmit = qv_repr_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_setup_tc = qv_repr_setup_tc,
#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
	.ndo_get_devlink_port = qv_repr_get_devlink_port,
#endif
};

static void qv_repr_get_drvinfo(struct net_device *netdev,
				struct ethtool_drvinfo *info)
{
	struct qv_repr *repr = netdev_priv(netdev);

	strscpy(info->driver, QV_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, pci_name(repr->pf->pdev),
		sizeof(info->bus_info));
}

static const struct ethtool_ops qv_repr_ethtool_ops = {
	.get_drvinfo = qv_repr_get_drvinfo,
	.get_link = ethtool_op_get_link,
};

/*
 * The PF received a frame the eswitch sent it from VF port @port (see
 * qv_rx_from_vf()): it goes to the VF's representor (NULL: none, or down;
 * dropped). NAPI context.
 */
struct net_device *qv_esw_rx_netdev(struct qv_adapter *ad, u16 port,
				    unsigned int len)
{
	struct qv_pf *pf = ad->pf;
	struct qv_repr *repr;
	struct qv_vf *vfs;

	/* num_vfs goes to 0 before vfs is freed after an RCU grace period */
	if (port > READ_ONCE(pf->num_vfs))
		return NULL;
	vfs = READ_ONCE(pf->vfs);
	if (!vfs)
		return NULL;
	repr = READ_ONCE(vfs[port - 1].repr);
	if (!repr || !(repr->netdev->flags & IFF_UP))
		return NULL;
	dev_sw_netstats_rx_add(repr->netdev, len);
	return repr->netdev;
}

static int qv_repr_add(struct qv_pf *pf, struct qv_vf *vf)
{
	struct net_device *netdev;
	struct qv_repr *repr;
	int err;

	netdev = alloc_etherdev(sizeof(*repr));
	if (!netdev)
		return -ENOMEM;
	repr = netdev_priv(netdev);
	repr->netdev = netdev;
	repr->pf = pf;
	repr->vf = vf;
	/*
	 * Per-CPU counters: the PF's NAPI instances (one per RX queue, over
	 * which the device spreads the VF's slow-path frames) count what the
	 * VF sent, and the representor's xmit what went to it, all at once.
	 */
	netdev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!netdev->tstats) {
		free_netdev(netdev);
		return -ENOMEM;
	}
	SET_NETDEV_DEV(netdev, &pf->pdev->dev);
	/* Its xmit lock is held while it takes the PF's (qv_xmit_port()). */
	netdev_lockdep_set_classes(netdev);
	netdev->netdev_ops = &qv_repr_netdev_ops;
	netdev->ethtool_ops = &qv_repr_ethtool_ops;
	/* The VF's frames go to it as they are: no offloads but SG. */
	netdev->hw_features = NETIF_F_SG | NETIF_F_HW_TC;
	netdev->features = netdev->hw_features;
	netdev->min_mtu = ETH_MIN_MTU;
	netdev->max_mtu = QV_MTU_MAX;
	eth_hw_addr_random(netdev);
	netif_carrier_off(netdev);
#ifdef QV_HAVE_NETDEV_DEVLINK_PORT
	SET_NETDEV_DEVLINK_PORT(netdev, &vf->dl_port);
#endif
	err = register_netdev(netdev);
	if (err) {
		free_percpu(netdev->tstats);
		free_netdev(netdev);
		return err;
	}
#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
	devlink_port_type_eth_set(&vf->dl_port, netdev);
#endif
	WRITE_ONCE(vf->repr, repr);
	return 0;
}

static void qv_repr_del(struct qv_vf *vf)
{
	struct qv_repr *repr = vf->repr;

	if (!repr)
		return;
	WRITE_ONCE(vf->repr, NULL);
	/* The RX path may still hold it: unregister waits for RCU. */
#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
	devlink_port_type_clear(&vf->dl_port);
#endif
	unregister_netdev(repr->netdev);
	rtnl_lock();
	qv_tc_port_gone(vf->pf, vf->id + 1);
	rtnl_unlock();
	free_percpu(repr->netdev->tstats);
	free_netdev(repr->netdev);
}

/* devl_lock held: one for each VF port registered. */
int qv_esw_reprs_add(struct qv_pf *pf)
{
	int i, err;

	for (i = 0; i < pf->num_vf_ports; i++) {
		err = qv_repr_add(pf, &pf->vfs[i]);
		if (err) {
			dev_err(&pf->pdev->dev, "VF %d representor: %d\n", i,
				err);
			while (i--)
				qv_repr_del(&pf->vfs[i]);
			return err;
		}
	}
	return 0;
}

/* devl_lock held. */
void qv_esw_reprs_del(struct qv_pf *pf)
{
	int i;

	for (i = 0; i < pf->num_vf_ports; i++)
		qv_repr_del(&pf->vfs[i]);
}

/* ------------------------------------------------------------ mode */
int qv_esw_mode_get(struct devlink *devlink, u16 *mode)
{
	struct qv_pf *pf = devlink_priv(devlink);

	*mode = pf->esw_mode;
	return 0;
}

/*
 * Switchdev: representors for the VFs there are, then the device's mode
 * (so that no frame reaches the PF for a representor not there yet).
 * Legacy: the device first, then the offloaded rules and the
 * representors go.
 */
int qv_esw_mode_set(struct devlink *devlink, u16 mode,
		    struct netlink_ext_ack *extack)
{
	struct qv_pf *pf = devlink_priv(devlink);
	int err;

	if (mode != DEVLINK_ESWITCH_MODE_LEGACY &&
	    mode != DEVLINK_ESWITCH_MODE_SWITCHDEV) {
		NL_SET_ERR_MSG_MOD(extack, "only legacy and switchdev modes");
		return -EOPNOTSUPP;
	}
	if (!(qv_rd32(pf->hw, QV_DEV_CAPS) & QV_CAPS_SWITCHDEV)) {
		NL_SET_ERR_MSG_MOD(extack, "the device has no switchdev mode");
		return -EOPNOTSUPP;
	}
	if (mode == pf->esw_mode)
		return 0;

	if (mode == DEVLINK_ESWITCH_MODE_SWITCHDEV) {
		err = qv_esw_reprs_add(pf);
		if (err) {
			NL_SET_ERR_MSG_MOD(extack, "cannot create the representors");
			return err;
		}
		qv_wr32(pf->hw, QV_DEV_ESW_MODE, QV_ESW_SWITCHDEV);
		pf->esw_mode = mode;
		dev_info(&pf->pdev->dev, "eswitch mode switchdev, %d VF representors\n",
			 pf->num_vf_ports);
		return 0;
	}
	rtnl_lock();
	if (qv_tc_uplink_rules(pf)) {
		rtnl_unlock();
		NL_SET_ERR_MSG_MOD(extack,
				   "offloaded tc rules on the PF netdev (the uplink): delete them first");
		return -EBUSY;
	}
	qv_tc_flush(pf);	/* legacy mode in the device, no rules */
	rtnl_unlock();
	pf->esw_mode = mode;
	qv_esw_reprs_del(pf);
	dev_info(&pf->pdev->dev, "eswitch mode legacy\n");
	return 0;
}
