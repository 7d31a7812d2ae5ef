// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: PCI probe/remove for the PF (function 0 queue pair plus SR-IOV
 * management) and for the VFs.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/rtnetlink.h>

#include "qosvnic.h"

static int debug = -1;
module_param(debug, int, 0444);
MODULE_PARM_DESC(debug, "Debug level (0=none,...,16=all)");

#define QV_DEFAULT_MSG (NETIF_MSG_DRV | NETIF_MSG_PROBE | NETIF_MSG_LINK)

static const struct pci_device_id qv_pci_tbl[] = {
	{ PCI_VDEVICE(REDHAT_QUMRANET, QV_PCI_DEVICE_ID_PF), QV_BOARD_PF },
	{ PCI_VDEVICE(REDHAT_QUMRANET, QV_PCI_DEVICE_ID_VF), QV_BOARD_VF },
	{ }
};
MODULE_DEVICE_TABLE(pci, qv_pci_tbl);

static void qv_check_layout(void)
{
	BUILD_BUG_ON(PCI_VENDOR_ID_REDHAT_QUMRANET != QV_PCI_VENDOR_ID);
	BUILD_BUG_ON(sizeof(struct qv_tx_desc) != QV_TXD_SIZE);
	BUILD_BUG_ON(offsetof(struct qv_tx_desc, len) != QV_TXD_LEN);
	BUILD_BUG_ON(offsetof(struct qv_tx_desc, cmd) != QV_TXD_CMD);
	BUILD_BUG_ON(offsetof(struct qv_tx_desc, status) != QV_TXD_STATUS);
	BUILD_BUG_ON(offsetof(struct qv_tx_desc, mss) != QV_TXD_MSS);
	BUILD_BUG_ON(offsetof(struct qv_tx_desc, vlan) != QV_TXD_VLAN);
	BUILD_BUG_ON(sizeof(struct qv_rx_desc) != QV_RXD_SIZE);
	BUILD_BUG_ON(offsetof(struct qv_rx_desc, len) != QV_RXD_LEN);
	BUILD_BUG_ON(offsetof(struct qv_rx_desc, status) != QV_RXD_STATUS);
	BUILD_BUG_ON(offsetof(struct qv_rx_desc, vlan) != QV_RXD_VLAN);
	BUILD_BUG_ON(offsetof(struct qv_rx_desc, gso_size) !=
		     QV_RXD_GSO_SIZE);
	BUILD_BUG_ON(QV_XDP_MAX_MTU < ETH_DATA_LEN);
	BUILD_BUG_ON(QV_RX_BUF_LEN_FOR(QV_RX_HEADROOM_XDP) < QV_RX_BUF_MIN);
	BUILD_BUG_ON(QV_RX_BUF_LEN_ORDER(QV_RX_ORDER_LARGE, QV_RX_HEADROOM) >
		     QV_RX_BUF_MAX);
	/* a largest large-receive frame fits an skb's head and frags */
	BUILD_BUG_ON(DIV_ROUND_UP(QV_RX_MAX_FRAME, QV_RX_BUF_LEN) >
		     MAX_SKB_FRAGS + 1);
	/*
	 * A frame's descriptors (qv_xmit_ring()): the head and every frag,
	 * one more for a buffer split at QV_TXD_MAX_DATA (QV_TX_MAX_FRAME
	 * allows two such splits), and a context descriptor.
	 */
	BUILD_BUG_ON(MAX_SKB_FRAGS + 1 + QV_TX_MAX_FRAME / QV_TXD_MAX_DATA + 1 >
		     QV_TX_MAX_DESC);
	/* A woken queue must have room for the largest frame... */
	BUILD_BUG_ON(QV_TX_WAKE_THRESH < QV_TX_DESC_NEEDED);
	/* ...and the smallest ring must be able to reach the threshold. */
	BUILD_BUG_ON(QV_TX_WAKE_THRESH + 1 >= QV_RING_MIN);
	BUILD_BUG_ON(QV_RING_MIN > QV_RING_MAX);
}

static int qv_request_misc_irq(struct qv_adapter *ad)
{
	int err;

	snprintf(ad->irq_name, sizeof(ad->irq_name), "%s-misc",
		 pci_name(ad->pdev));
	err = request_irq(pci_irq_vector(ad->pdev, QV_VEC_MISC),
			  qv_msix_misc, 0, ad->irq_name, ad);
	if (err)
		dev_err(&ad->pdev->dev, "request_irq(misc) failed: %d\n", err);
	return err;
}

static void qv_free_misc_irq(struct qv_adapter *ad)
{
	qv_irq_disable(ad, QV_INT_MISC);
	free_irq(pci_irq_vector(ad->pdev, QV_VEC_MISC), ad);
}

/*
 * VF: ask the PF for a reset; it answers with our MAC and initial MTU.
 * Returns 0 if it did; otherwise @mac is what the registers say.
 */
int qv_vf_get_config(struct qv_adapter *ad, u8 *mac, u32 *mtu)
{
	u32 msg[1] = { QV_MSG_RESET };
	u32 reply[4] = { };
	int err;

	err = qv_vf_mbx_xfer(ad, msg, 1, reply, 4);
	ad->pf_answers = !err;
	if (!err) {
		qv_regs_to_mac(reply[1], reply[2], mac);
		if (mtu)
			*mtu = reply[3];
		return 0;
	}
	dev_info(&ad->pdev->dev,
		 "PF did not answer the reset request (%d), using registers\n",
		 err);
	qv_regs_to_mac(qv_rd32(ad->hw, QV_FN_MAC_LO),
		       qv_rd32(ad->hw, QV_FN_MAC_HI), mac);
	return err;
}

static int qv_vf_set_random_mac(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;
	u32 msg[3] = { QV_MSG_SET_MAC };

	eth_hw_addr_random(netdev);
	qv_mac_to_regs(netdev->dev_addr, &msg[1], &msg[2]);
	dev_info(&ad->pdev->dev,
		 "MAC address not assigned by administrator, using random %pM\n",
		 netdev->dev_addr);
	return qv_vf_mbx_xfer(ad, msg, 3, NULL, 0);
}

/*
 * VF: ask the PF for the (min, default, max) egress tuple in Mbit/s (tc
 * mqprio channel mode, netdev.c); all 0 gives back what was granted.
 * On success or refusal @grant (3 words, may be NULL) gets what the PF
 * granted, or the most it would grant.
 */
int qv_vf_qos_request(struct qv_adapter *ad, u32 min, u32 def, u32 max,
		      u32 *grant)
{
	u32 msg[4] = { QV_MSG_QOS_REQ, min, def, max };
	u32 reply[4] = { };
	int err;

	err = qv_vf_mbx_xfer(ad, msg, 4, reply, 4);
	if (grant && (!err || err == -EACCES))
		memcpy(grant, &reply[1], 3 * sizeof(u32));
	if (!err)
		netif_info(ad, drv, ad->netdev,
			   "PF granted bandwidth min %u default %u max %u Mbit/s\n",
			   reply[1], reply[2], reply[3]);
	else if (err == -EACCES)
		netdev_warn(ad->netdev,
			    "PF refused bandwidth %u/%u/%u Mbit/s; grantable: min %u default %u max %u\n",
			    min, def, max, reply[1], reply[2], reply[3]);
	else
		netdev_warn(ad->netdev, "bandwidth request failed: %d\n", err);
	return err;
}

static int qv_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	bool is_pf = ent->driver_data == QV_BOARD_PF;
	struct net_device *netdev;
	struct qv_adapter *ad;
	struct qv_pf *pf = NULL;
	void __iomem *hw;
	u8 mac[ETH_ALEN];
	u32 id, ver, mtu = 0;
	int err, i;

	qv_check_layout();

	err = pci_enable_device_mem(pdev);
	if (err) {
		dev_err(&pdev->dev, "pci_enable_device_mem failed: %d\n", err);
		return err;
	}
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err) {
		dev_err(&pdev->dev, "no usable DMA configuration: %d\n", err);
		goto err_disable;
	}
	err = pci_request_mem_regions(pdev, QV_DRV_NAME);
	if (err) {
		dev_err(&pdev->dev, "pci_request_mem_regions failed: %d\n",
			err);
		goto err_disable;
	}
	pci_set_master(pdev);

	hw = pci_iomap(pdev, is_pf ? QV_PF_BAR_REGS : QV_VF_BAR_REGS, 0);
	if (!hw) {
		dev_err(&pdev->dev, "cannot map BAR0\n");
		err = -ENOMEM;
		goto err_release;
	}
	id = qv_rd32(hw, QV_FN_ID);
	ver = qv_rd32(hw, QV_FN_VERSION);
	if (id != QV_ID_MAGIC || ver != QV_CONTRACT_VERSION) {
		dev_err(&pdev->dev,
			"unsupported device: id %#x version %u (want %#x v%u)\n",
			id, ver, QV_ID_MAGIC, QV_CONTRACT_VERSION);
		err = -ENODEV;
		goto err_unmap;
	}

	if (is_pf) {
		pf = qv_devlink_alloc(pdev);
		if (!pf) {
			dev_err(&pdev->dev, "devlink_alloc failed\n");
			err = -ENOMEM;
			goto err_unmap;
		}
		pf->hw = hw;
		INIT_WORK(&pf->mbx_work, qv_pf_mbx_work);
		/* Whatever an earlier driver left: legacy, no rules. */
		qv_tc_flush(pf);
	}

	/*
	 * Up to QV_NUM_QUEUES queue pairs (ethtool -L); RSS spreads what
	 * arrives, XPS what leaves. tc mqprio (the VF's QoS request) puts
	 * one class over them.
	 */
	netdev = alloc_etherdev_mqs(sizeof(*ad), QV_NUM_QUEUES, QV_NUM_QUEUES);
	if (!netdev) {
		dev_err(&pdev->dev, "alloc_etherdev failed\n");
		err = -ENOMEM;
		goto err_free_pf;
	}
	SET_NETDEV_DEV(netdev, &pdev->dev);
	pci_set_drvdata(pdev, netdev);
	ad = netdev_priv(netdev);
	ad->netdev = netdev;
	ad->pdev = pdev;
	ad->hw = hw;
	ad->pf = pf;
	ad->msg_enable = netif_msg_init(debug, QV_DEFAULT_MSG);
	ad->tx_count = QV_RING_DEFAULT;
	ad->rx_count = QV_RING_DEFAULT;
	ad->itr_us[QV_VEC_RX] = QV_ITR_RX_DEFAULT;
	ad->itr_us[QV_VEC_TX] = QV_ITR_TX_DEFAULT;
	set_bit(QV_S_DOWN, &ad->state);
	mutex_init(&ad->mbx_lock);
	spin_lock_init(&ad->stats_lock);
	INIT_DELAYED_WORK(&ad->service, qv_service_task);
	if (pf)
		pf->adapter = ad;

	/* Start from a clean function: rings stopped, interrupts masked. */
	qv_function_reset(ad);
	qv_irq_disable(ad, QV_INT_ALL);

	/*
	 * A vector per queue pair beyond the first; a device without queue
	 * pairs (QV_FN_NUM_QUEUES reads 0) has the first three only.
	 */
	ad->max_qp = clamp_t(u32, qv_rd32(hw, QV_FN_NUM_QUEUES), 1,
			     QV_NUM_QUEUES);
	err = pci_alloc_irq_vectors(pdev, QV_VEC_MISC + 1,
				    QV_VEC_QP(ad->max_qp - 1) + 1, PCI_IRQ_MSIX);
	if (err < 0) {
		dev_err(&pdev->dev, "cannot allocate %d MSI-X vectors: %d\n",
			QV_VEC_MISC + 1, err);
		goto err_free_netdev;
	}
	if (err < QV_VEC_QP(ad->max_qp - 1) + 1)
		ad->max_qp = max(err - QV_VEC_MISC, 1);
	ad->req_qp = min_t(u16, ad->max_qp, netif_get_num_default_rss_queues());
	ad->num_qp = ad->req_qp;
	netdev_rss_key_fill(ad->rss_key, sizeof(ad->rss_key));
	qv_rss_default_reta(ad);
	ad->rss_ctrl = ad->max_qp > 1 ? QV_RSS_IPV4 | QV_RSS_IPV4_TCP |
					QV_RSS_IPV6 | QV_RSS_IPV6_TCP : 0;
	err = qv_request_misc_irq(ad);
	if (err)
		goto err_free_vectors;
	qv_irq_enable(ad, QV_INT_MISC);

	qv_netdev_setup(ad);
	/*
	 * Here, not in netdev.c: ethtool.c builds on netdev.c (open, stop,
	 * reinit, the hardware counters), never the other way round.
	 */
	qv_set_ethtool_ops(netdev);
	err = netif_set_real_num_tx_queues(netdev, ad->num_qp);
	if (!err)
		err = netif_set_real_num_rx_queues(netdev, ad->num_qp);
	if (err)
		goto err_napi;
	if (pf) {
		qv_regs_to_mac(qv_rd32(hw, QV_FN_MAC_LO),
			       qv_rd32(hw, QV_FN_MAC_HI), mac);
		if (is_valid_ether_addr(mac)) {
			eth_hw_addr_set(netdev, mac);
		} else {
			eth_hw_addr_random(netdev);
			dev_info(&pdev->dev, "no MAC in device, using random %pM\n",
				 netdev->dev_addr);
		}
	} else {
		/*
		 * The answer is the PF's configuration now: a reset request
		 * from before it is answered by it, one that comes after is
		 * not, and must be left to the service task.
		 */
		clear_bit(QV_S_PF_RESET, &ad->state);
		qv_vf_get_config(ad, mac, &mtu);
		if (mtu >= QV_MTU_MIN && mtu <= QV_MTU_MAX)
			WRITE_ONCE(netdev->mtu, mtu);
		if (is_valid_ether_addr(mac)) {
			eth_hw_addr_set(netdev, mac);
		} else {
			err = qv_vf_set_random_mac(ad);
			if (err)
				dev_warn(&pdev->dev,
					 "PF refused the random MAC (%d), VF will not receive unicast\n",
					 err);
		}
	}

	if (pf) {
		err = qv_devlink_init(pf);
		if (err) {
			dev_err(&pdev->dev, "devlink port/sb setup failed: %d\n",
				err);
			goto err_napi;
		}
#ifdef QV_HAVE_NETDEV_DEVLINK_PORT
		SET_NETDEV_DEVLINK_PORT(netdev, &pf->dl_port);
#endif
	}

	err = register_netdev(netdev);
	if (err) {
		dev_err(&pdev->dev, "register_netdev failed: %d\n", err);
		goto err_devlink;
	}
	netif_carrier_off(netdev);

	if (pf) {
		qv_devlink_netdev_attach(pf, netdev);
		qv_devlink_register(pf);
		ad->devlink = pf->devlink;
	} else {
		/* A VF's own instance: devlink dev info, health reporters. */
		ad->devlink = qv_vf_devlink_alloc(ad);
		if (!ad->devlink)
			dev_warn(&pdev->dev, "no devlink instance for the VF\n");
	}
	qv_health_create(ad);
	pci_save_state(pdev);	/* for the AER slot reset */

	/* probe's own requests log a timeout where it happens (no reporter) */
	clear_bit(QV_S_MBX_TIMEOUT, &ad->state);
	netif_info(ad, probe, netdev, "qosvnic %s %s, MAC %pM\n",
		   pf ? "PF" : "VF", pci_name(pdev), netdev->dev_addr);
	return 0;

err_devlink:
	if (pf)
		qv_devlink_fini(pf);
err_napi:
	for (i = 0; i < QV_NUM_QUEUES; i++)
		netif_napi_del(&ad->qp[i].napi);
	qv_free_misc_irq(ad);
err_free_vectors:
	pci_free_irq_vectors(pdev);
err_free_netdev:
	cancel_delayed_work_sync(&ad->service);
	/* The misc interrupt is gone: a run it queued is the last. */
	if (pf)
		cancel_work_sync(&pf->mbx_work);
	free_netdev(netdev);
	pci_set_drvdata(pdev, NULL);
err_free_pf:
	if (pf)
		qv_devlink_free(pf);
err_unmap:
	pci_iounmap(pdev, hw);
err_release:
	pci_release_mem_regions(pdev);
err_disable:
	pci_disable_device(pdev);
	return err;
}

static void qv_remove(struct pci_dev *pdev)
{
	struct net_device *netdev = pci_get_drvdata(pdev);
	struct qv_adapter *ad;
	struct qv_pf *pf;
	int i;

	if (!netdev)
		return;
	ad = netdev_priv(netdev);
	pf = ad->pf;
	/*
	 * From here on nothing queues the service task again, and the
	 * mailbox work does nothing: the run in flight is waited for.
	 */
	set_bit(QV_S_REMOVING, &ad->state);
	cancel_delayed_work_sync(&ad->service);
	if (pf)
		cancel_work_sync(&pf->mbx_work);

	if (pf) {
		qv_devlink_unregister(pf);
		/*
		 * The VFs go with the PF, even one a VMM holds: vfio-pci's
		 * remove waits until its user lets the function go (QEMU
		 * unplugs it from the guest on the request), and
		 * pci_vfs_assigned() sees only Xen pciback's assignments.
		 * ixgbe leaves such VFs running and adopts them at the next
		 * probe; here nothing would answer their mailbox meanwhile.
		 */
		qv_sriov_disable(pf);
		cancel_work_sync(&pf->rate_sync_work);
		/* The next driver finds the VEB, with no rules. */
		rtnl_lock();
		qv_tc_flush(pf);
		rtnl_unlock();
	}

	/* No more misc events: the mailbox stays idle. */
	qv_free_misc_irq(ad);
	if (pf)
		qv_devlink_netdev_detach(pf);
	unregister_netdev(netdev);	/* runs ndo_stop */
	/*
	 * Only now does nothing queue the mailbox work (a reinit from ethtool
	 * did, through qv_function_restore()) or use a health reporter (a
	 * VF's requests, ndo_tx_timeout).
	 */
	if (pf) {
		cancel_work_sync(&pf->mbx_work);
		/*
		 * An ndo_set_vf_rate that passed its check before SR-IOV went
		 * may have queued it after the cancel above, under rtnl.
		 */
		cancel_work_sync(&pf->rate_sync_work);
	}
	qv_health_destroy(ad);
	/*
	 * Nor the service task: a kick that tested QV_S_REMOVING before it
	 * was set (the misc interrupt, the TX watchdog, a health reporter's
	 * test) may have queued it after the cancel above. Such a run does
	 * nothing, but must not be pending when the netdev is freed.
	 */
	cancel_delayed_work_sync(&ad->service);
	if (!pf) {
		qv_vf_devlink_free(ad->devlink);
		ad->devlink = NULL;
	}
	for (i = 0; i < QV_NUM_QUEUES; i++)
		netif_napi_del(&ad->qp[i].napi);

	qv_function_reset(ad);
	pci_free_irq_vectors(pdev);
	if (pf)
		qv_devlink_fini(pf);
	pci_iounmap(pdev, ad->hw);
	free_netdev(netdev);
	if (pf)
		qv_devlink_free(pf);
	pci_set_drvdata(pdev, NULL);
	pci_release_mem_regions(pdev);
	pci_disable_device(pdev);
}

/*
 * Power-off, reboot and kexec: leave the device as remove does, with no
 * interrupt, work item, DMA or VF left behind for the next kernel or the
 * host (as ice does). remove() runs again later only for a VF removed by
 * its PF's shutdown; it finds no drvdata then.
 */
static void qv_shutdown(struct pci_dev *pdev)
{
	qv_remove(pdev);
}

/* ------------------------------------------- FLR, AER, suspend, resume */
/*
 * A reset, a PCI error or suspend stops the PF's mailbox work: with
 * QV_S_FLR set (by the caller) the misc interrupt no longer queues it and
 * a run queued by anything else returns at once; once a handler that ran
 * before the bit was set has ended, the last real run can be cancelled.
 * qv_function_restore() queues it again.
 */
static void qv_pf_mbx_quiesce(struct qv_adapter *ad)
{
	if (!ad->pf)
		return;
	synchronize_irq(pci_irq_vector(ad->pdev, QV_VEC_MISC));
	cancel_work_sync(&ad->pf->mbx_work);
}

/* Quiesce: no DMA, no interrupts, counters kept in software. */
static void qv_quiesce(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;

	rtnl_lock();
	netif_device_detach(netdev);
	if (netif_running(netdev))
		qv_stop(netdev);
	qv_irq_disable(ad, QV_INT_MISC);
	synchronize_irq(pci_irq_vector(ad->pdev, QV_VEC_MISC));
	qv_stats_freeze(ad);
	rtnl_unlock();
}

/* Bring the function back after a reset the device may have had. */
static int qv_revive_locked(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;
	int err = 0;

	ASSERT_RTNL();
	qv_stats_thaw(ad);
	/* Whether or not the reset happened: a known state. */
	qv_function_reset(ad);
	/*
	 * A PF's reset is the device's (it has no FLR): every function's
	 * settings, before the mailbox answers a VF with them, and the
	 * eswitch, as the driver has them.
	 */
	if (ad->pf)
		qv_mg_restore(ad->pf);
	qv_function_restore(ad);
	if (ad->pf) {
		qv_tc_replay(ad->pf);
		if (ad->pf->vfs_reset)
			qv_pf_notify_all_vfs(ad->pf);
		ad->pf->vfs_reset = false;
	}
	if (netif_running(netdev)) {
		err = qv_open(netdev);
		if (err) {
			netdev_err(netdev, "reopen failed: %d\n", err);
			dev_close(netdev);
		}
	}
	/* After qv_open(): attaching wakes the queues of a running netdev. */
	netif_device_attach(netdev);
	return err;
}

static int qv_revive(struct qv_adapter *ad)
{
	int err;

	rtnl_lock();
	err = qv_revive_locked(ad);
	rtnl_unlock();
	qv_service_kick(ad);
	return err;
}

static struct qv_adapter *qv_pdev_adapter(struct pci_dev *pdev)
{
	struct net_device *netdev = pci_get_drvdata(pdev);

	return netdev ? netdev_priv(netdev) : NULL;
}

/*
 * FLR through sysfs "reset" (or a VMM resetting an assigned function):
 * quiesce before, and after it bring the function back as after any reset.
 */
static void qv_reset_prepare(struct pci_dev *pdev)
{
	struct qv_adapter *ad = qv_pdev_adapter(pdev);

	if (!ad)
		return;
	/*
	 * The PF has no FLR, and its VFs sit on its bus, so the one reset
	 * it has (the bus's) is refused while they exist: then this and
	 * qv_reset_done() only quiesce and revive the PF. The VFs cannot be
	 * disabled here: the PCI core holds the PF's config access lock,
	 * which pci_disable_sriov() takes as well.
	 */
	if (ad->pf && ad->pf->num_vfs) {
		dev_info(&pdev->dev,
			 "PF reset with %d VFs: the bus reset is refused while they share its bus\n",
			 ad->pf->num_vfs);
		/* A slot reset (pciehp) is not refused, and takes them along. */
		ad->pf->vfs_reset = true;
	}
	set_bit(QV_S_FLR, &ad->state);
	/* The service task takes rtnl, and stays off while QV_S_FLR is set. */
	cancel_delayed_work_sync(&ad->service);
	qv_pf_mbx_quiesce(ad);
	qv_quiesce(ad);
}

static void qv_reset_done(struct pci_dev *pdev)
{
	struct qv_adapter *ad = qv_pdev_adapter(pdev);

	if (!ad)
		return;
	rtnl_lock();
	/*
	 * Under rtnl, where the service task tests it: a run that gets rtnl
	 * after the bit is clear finds the function restored.
	 */
	clear_bit(QV_S_FLR, &ad->state);
	qv_revive_locked(ad);
	rtnl_unlock();
	qv_service_kick(ad);
}

/*
 * AER: an uncorrectable error on the link. A non-fatal one leaves the
 * device reachable (CAN_RECOVER: quiesce, then resume); a fatal one needs
 * the link reset (slot_reset); a permanent failure ends the device.
 */
static pci_ers_result_t qv_io_error_detected(struct pci_dev *pdev,
					     pci_channel_state_t state)
{
	struct qv_adapter *ad = qv_pdev_adapter(pdev);

	dev_warn(&pdev->dev, "PCI error detected (channel state %d)\n", state);
	if (!ad)
		return PCI_ERS_RESULT_DISCONNECT;
	set_bit(QV_S_FLR, &ad->state);	/* keeps the service task off */
	cancel_delayed_work_sync(&ad->service);
	qv_pf_mbx_quiesce(ad);
	qv_quiesce(ad);
	if (state == pci_channel_io_perm_failure)
		return PCI_ERS_RESULT_DISCONNECT;
	if (state == pci_channel_io_normal)
		return PCI_ERS_RESULT_CAN_RECOVER;
	pci_disable_device(pdev);
	return PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t qv_io_mmio_enabled(struct pci_dev *pdev)
{
	return PCI_ERS_RESULT_RECOVERED;
}

static pci_ers_result_t qv_io_slot_reset(struct pci_dev *pdev)
{
	struct qv_adapter *ad = qv_pdev_adapter(pdev);

	if (pci_enable_device_mem(pdev)) {
		dev_err(&pdev->dev, "cannot re-enable the device after reset\n");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	pci_set_master(pdev);
	pci_restore_state(pdev);
	pci_save_state(pdev);
	if (ad && qv_rd32(ad->hw, QV_FN_ID) != QV_ID_MAGIC) {
		dev_err(&pdev->dev, "device does not answer after reset\n");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	if (ad && ad->pf)
		ad->pf->vfs_reset = true;
	dev_info(&pdev->dev, "PCI slot reset: device back\n");
	return PCI_ERS_RESULT_RECOVERED;
}

static void qv_io_resume(struct pci_dev *pdev)
{
	struct qv_adapter *ad = qv_pdev_adapter(pdev);

	if (!ad)
		return;
	clear_bit(QV_S_FLR, &ad->state);
	if (!qv_revive(ad))
		dev_info(&pdev->dev, "recovered from the PCI error\n");
}

static const struct pci_error_handlers qv_err_handler = {
	.error_detected = qv_io_error_detected,
	.mmio_enabled = qv_io_mmio_enabled,
	.slot_reset = qv_io_slot_reset,
	.resume = qv_io_resume,
	.reset_prepare = qv_reset_prepare,
	.reset_done = qv_reset_done,
};

/*
 * System sleep: the function is quiesced before and brought back after,
 * as after a reset (the device may have lost power).
 */
static int qv_suspend(struct device *dev)
{
	struct qv_adapter *ad = qv_pdev_adapter(to_pci_dev(dev));

	if (!ad)
		return 0;
	set_bit(QV_S_FLR, &ad->state);
	cancel_delayed_work_sync(&ad->service);
	qv_pf_mbx_quiesce(ad);
	qv_quiesce(ad);
	if (ad->pf)
		ad->pf->vfs_reset = true;	/* they may lose power */
	dev_info(dev, "suspended\n");
	return 0;
}

static int qv_resume(struct device *dev)
{
	struct qv_adapter *ad = qv_pdev_adapter(to_pci_dev(dev));

	if (!ad)
		return 0;
	pci_set_master(to_pci_dev(dev));
	clear_bit(QV_S_FLR, &ad->state);
	dev_info(dev, "resuming\n");
	return qv_revive(ad);
}

static DEFINE_SIMPLE_DEV_PM_OPS(qv_pm_ops, qv_suspend, qv_resume);

static struct pci_driver qv_driver = {
	.name = QV_DRV_NAME,
	.id_table = qv_pci_tbl,
	.probe = qv_probe,
	.remove = qv_remove,
	.shutdown = qv_shutdown,
	.sriov_configure = qv_sriov_configure,
	.err_handler = &qv_err_handler,
	.driver.pm = pm_sleep_ptr(&qv_pm_ops),
};

module_pci_driver(qv_driver);

MODULE_AUTHOR("qosvnic developers");
MODULE_DESCRIPTION("qosvnic SR-IOV NIC with per-VF ingress admission control");
MODULE_LICENSE("GPL");
