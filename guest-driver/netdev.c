// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: net_device operations shared by the VF and the PF's own queue
 * pair, the service task (reset, link, rx mode) and the misc interrupt.
 */
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/pkt_cls.h>
#include <net/pkt_sched.h>

#include "qosvnic.h"

/* Gauges are not accumulated across function resets. */
static bool qv_stat_is_gauge(unsigned int idx)
{
	return idx == QV_STAT_BUF_OCCUPANCY || idx == QV_STAT_BUF_PEAK ||
	       idx == QV_STAT_BUF_FRAMES;
}

/* Called with stats_lock held. */
static u64 qv_hw_stat_locked(struct qv_adapter *ad, unsigned int idx)
{
	if (ad->stats_frozen)
		return qv_stat_is_gauge(idx) ? 0 : ad->hw_base[idx];
	if (qv_stat_is_gauge(idx))
		return qv_rd64(ad->hw, QV_FN_STAT(idx));
	return ad->hw_base[idx] + qv_rd64(ad->hw, QV_FN_STAT(idx));
}

/*
 * The device counter is read under stats_lock too: a function reset holds
 * it from before it clears the counters until hw_base has taken them.
 */
u64 qv_hw_stat(struct qv_adapter *ad, unsigned int idx)
{
	unsigned long flags;
	u64 val;

	spin_lock_irqsave(&ad->stats_lock, flags);
	val = qv_hw_stat_locked(ad, idx);
	spin_unlock_irqrestore(&ad->stats_lock, flags);
	return val;
}

static void qv_hw_stats_all(struct qv_adapter *ad, u64 *st)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&ad->stats_lock, flags);
	for (i = 0; i < QV_NUM_STATS; i++)
		st[i] = qv_hw_stat_locked(ad, i);
	spin_unlock_irqrestore(&ad->stats_lock, flags);
}

/*
 * Reset the function. Counters are folded into hw_base so that the netdev
 * statistics never go backwards, whether or not the reset clears them;
 * readers wait on stats_lock while the counters and hw_base disagree.
 * The function comes back with every interrupt cause masked: see
 * qv_function_restore().
 */
void qv_function_reset(struct qv_adapter *ad)
{
	u64 before[QV_NUM_STATS];
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&ad->stats_lock, flags);
	for (i = 0; i < QV_NUM_STATS; i++)
		before[i] = qv_rd64(ad->hw, QV_FN_STAT(i));
	qv_wr32(ad->hw, QV_FN_CTRL, QV_CTRL_RESET);
	qv_rd32(ad->hw, QV_FN_STATUS);	/* flush the posted write */
	for (i = 0; i < QV_NUM_STATS; i++) {
		if (qv_stat_is_gauge(i))
			continue;
		ad->hw_base[i] += before[i] - qv_rd64(ad->hw, QV_FN_STAT(i));
	}
	/*
	 * Frames held when the reset came (receive still on, as at probe
	 * after a kexec) are gone: discarded, so that rx_admitted stays
	 * rx_delivered + buf_frames + rx_discarded.
	 */
	ad->hw_base[QV_STAT_RX_DISCARDED] += before[QV_STAT_BUF_FRAMES];
	spin_unlock_irqrestore(&ad->stats_lock, flags);
	ad->resets++;
}

/*
 * Before an FLR, which clears the counters behind our back: take them into
 * hw_base and let readers see hw_base alone until qv_stats_thaw().
 */
void qv_stats_freeze(struct qv_adapter *ad)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&ad->stats_lock, flags);
	if (!ad->stats_frozen) {
		for (i = 0; i < QV_NUM_STATS; i++)
			if (!qv_stat_is_gauge(i))
				ad->hw_base[i] += qv_rd64(ad->hw, QV_FN_STAT(i));
		ad->stats_frozen = true;
	}
	spin_unlock_irqrestore(&ad->stats_lock, flags);
}

/*
 * After the FLR: whatever the counters hold now was either counted while
 * frozen or (if no reset happened) already taken into hw_base; subtract it
 * so that readers continue exactly where the frozen value stood.
 */
void qv_stats_thaw(struct qv_adapter *ad)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&ad->stats_lock, flags);
	if (ad->stats_frozen) {
		for (i = 0; i < QV_NUM_STATS; i++)
			if (!qv_stat_is_gauge(i))
				ad->hw_base[i] -= qv_rd64(ad->hw, QV_FN_STAT(i));
		ad->stats_frozen = false;
	}
	spin_unlock_irqrestore(&ad->stats_lock, flags);
}

/*
 * VF: ask the PF for the configuration after a reset; the administrator may
 * have changed the MAC in the meantime (that is why the PF asks us to
 * reset). Called under rtnl with the netdev registered.
 */
static void qv_vf_refresh_config(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;
	u32 msg[3] = { QV_MSG_SET_MAC };
	u8 mac[ETH_ALEN];

	ASSERT_RTNL();
	if (qv_vf_get_config(ad, mac, NULL))
		return;
	if (!is_valid_ether_addr(mac)) {
		/* The administrator cleared the MAC: keep ours, tell the PF. */
		qv_mac_to_regs(netdev->dev_addr, &msg[1], &msg[2]);
		if (qv_vf_mbx_xfer(ad, msg, 3, NULL, 0))
			netdev_warn(netdev, "PF refused MAC %pM after reset\n",
				    netdev->dev_addr);
	} else if (!ether_addr_equal(mac, netdev->dev_addr)) {
		netif_info(ad, drv, netdev, "MAC set by the PF: %pM -> %pM\n",
			   netdev->dev_addr, mac);
		eth_hw_addr_set(netdev, mac);
		call_netdevice_notifiers(NETDEV_CHANGEADDR, netdev);
	}
	/* The PF forgets a grant when we reset: ask again (tc mqprio). */
	if (ad->qos_max || ad->qos_min)
		qv_vf_qos_request(ad, ad->qos_min, ad->qos_def, ad->qos_max,
				  NULL);
}

/*
 * After any reset of the function (QV_CTRL_RESET, FLR) every interrupt
 * cause is masked: unmask the misc vector, which carries the mailbox, link
 * changes and ring errors, and catch up with what it may have missed.
 * qv_open() only deals with the ring vectors.
 */
void qv_function_restore(struct qv_adapter *ad)
{
	qv_wr32(ad->hw, QV_FN_MISC_CAUSE, qv_rd32(ad->hw, QV_FN_MISC_CAUSE));
	qv_wr32(ad->hw, QV_FN_INT_CAUSE, QV_INT_MISC);
	qv_irq_enable(ad, QV_INT_MISC);
	set_bit(QV_S_LINK_CHECK, &ad->state);
	if (ad->pf) {
		/* VF requests that came while the vector was masked */
		queue_work(system_wq, &ad->pf->mbx_work);
	} else {
		clear_bit(QV_S_PF_RESET, &ad->state);
		qv_vf_refresh_config(ad);
	}
}

void qv_service_kick(struct qv_adapter *ad)
{
	if (!test_bit(QV_S_REMOVING, &ad->state) &&
	    !test_bit(QV_S_FLR, &ad->state))
		mod_delayed_work(system_wq, &ad->service, 0);
}

void qv_update_link(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;
	bool up;

	if (test_bit(QV_S_DOWN, &ad->state))
		return;
	up = qv_rd32(ad->hw, QV_FN_STATUS) & QV_STATUS_LINK_UP;
	if (up && !netif_carrier_ok(netdev)) {
		netif_carrier_on(netdev);
		netif_info(ad, link, netdev, "link up\n");
	} else if (!up && netif_carrier_ok(netdev)) {
		netif_carrier_off(netdev);
		netif_info(ad, link, netdev, "link down\n");
	}
}

irqreturn_t qv_msix_misc(int irq, void *data)
{
	struct qv_adapter *ad = data;
	u32 cause;

	atomic_inc(&ad->test_irqs);	/* ethtool -t */
	cause = qv_rd32(ad->hw, QV_FN_MISC_CAUSE);
	qv_wr32(ad->hw, QV_FN_MISC_CAUSE, cause);
	qv_wr32(ad->hw, QV_FN_INT_CAUSE, QV_INT_MISC);

	if (cause & QV_MISC_LINK)
		set_bit(QV_S_LINK_CHECK, &ad->state);
	if (cause & QV_MISC_RING_ERR) {
		netdev_err(ad->netdev, "ring error (status %#x)\n",
			   qv_rd32(ad->hw, QV_FN_STATUS));
		qv_request_reset(ad, QV_RR_RING_ERR);
	}
	if ((cause & QV_MISC_MBX) && !ad->pf)
		set_bit(QV_S_PF_MSG, &ad->state);
	/* Not while the work is being stopped: see qv_pf_mbx_quiesce(). */
	if ((cause & QV_MISC_VF_MBX) && ad->pf &&
	    !test_bit(QV_S_REMOVING, &ad->state) &&
	    !test_bit(QV_S_FLR, &ad->state))
		queue_work(system_wq, &ad->pf->mbx_work);
	if (cause & ~QV_MISC_VF_MBX)
		qv_service_kick(ad);
	return IRQ_HANDLED;
}

void qv_set_features_hw(struct qv_adapter *ad, netdev_features_t f)
{
	u32 off = 0;

	if (f & (NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM))
		off |= QV_OFF_TX_CSUM;
	if (f & (NETIF_F_TSO | NETIF_F_TSO6))
		off |= QV_OFF_TSO;
	if (f & NETIF_F_RXCSUM)
		off |= QV_OFF_RX_CSUM;
	if (f & NETIF_F_LRO)
		off |= QV_OFF_LRO;
	if (f & NETIF_F_HW_VLAN_CTAG_RX)
		off |= QV_OFF_VLAN_STRIP;
	if (f & NETIF_F_HW_VLAN_CTAG_TX)
		off |= QV_OFF_VLAN_INSERT;
	qv_wr32(ad->hw, QV_FN_OFFLOADS, off & ad->dev_features);
}

/*
 * PF only: QV_FN_MAC_* mirrors the management window's MAC of fn 0. It is
 * recorded (qv_mg_wr32()) so that a reset of the whole device gets it back
 * before the mailbox runs again: before, the device's default stood in
 * until the PF was next opened, and a VF could take the PF's MAC meanwhile.
 * cfg_lock held.
 */
void qv_write_mac(struct qv_adapter *ad, const u8 *mac)
{
	u32 lo, hi;

	qv_mac_to_regs(mac, &lo, &hi);
	qv_mg_wr32(ad->pf, 0, QV_MG_MAC_LO, lo);
	qv_mg_wr32(ad->pf, 0, QV_MG_MAC_HI, hi);
}

/* VF: tell the PF which multicast groups we join (policy hand-shake). */
static void qv_vf_notify_mc(struct qv_adapter *ad, u8 (*addrs)[ETH_ALEN],
			    unsigned int n)
{
	u32 msg[QV_MBX_WORDS] = { QV_MSG_SET_MC, n };
	unsigned int i, max = (QV_MBX_WORDS - 2) / 2;
	int err;

	for (i = 0; i < n && i < max && i < QV_MC_ENTRIES; i++)
		qv_mac_to_regs(addrs[i], &msg[2 + 2 * i], &msg[3 + 2 * i]);
	err = qv_vf_mbx_xfer(ad, msg, 2 + 2 * i, NULL, 0);
	if (err)
		netif_dbg(ad, drv, ad->netdev,
			  "PF did not take SET_MC (%d), programming the table directly\n",
			  err);
}

static void qv_sync_rx_mode(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;
	u8 addrs[QV_MC_ENTRIES][ETH_ALEN];
	u32 filter = QV_RXF_BCAST;
	struct netdev_hw_addr *ha;
	unsigned int n = 0, i;
	unsigned int flags;

	netif_addr_lock_bh(netdev);
	flags = netdev->flags;
	netdev_for_each_mc_addr(ha, netdev) {
		if (n < QV_MC_ENTRIES)
			ether_addr_copy(addrs[n], ha->addr);
		n++;
	}
	netif_addr_unlock_bh(netdev);

	if (flags & IFF_PROMISC)
		filter |= QV_RXF_PROMISC | QV_RXF_ALLMULTI;
	if ((flags & IFF_ALLMULTI) || n > QV_MC_ENTRIES)
		filter |= QV_RXF_ALLMULTI;

	if (!ad->pf && ad->pf_answers)
		qv_vf_notify_mc(ad, addrs, n);

	/*
	 * The PF has no window onto a VF's multicast table, so the function
	 * always programs its own table (see CONTRACT-REQUESTS.md).
	 */
	for (i = 0; i < QV_MC_ENTRIES; i++) {
		u32 lo = 0, hi = 0;

		if (i < n) {
			qv_mac_to_regs(addrs[i], &lo, &hi);
			hi |= QV_MC_HI_VALID;
		}
		qv_wr32(ad->hw, QV_FN_MC_LO(i), lo);
		qv_wr32(ad->hw, QV_FN_MC_HI(i), hi);
	}
	qv_wr32(ad->hw, QV_FN_RX_FILTER, filter);
}

static void qv_set_rx_mode(struct net_device *netdev)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	set_bit(QV_S_RXMODE_REQ, &ad->state);
	qv_service_kick(ad);
}

/* The vectors of queue pair @q: two for pair 0, one for the others. */
static unsigned int qv_qp_vectors(u16 q, int *vec)
{
	if (!q) {
		vec[0] = QV_VEC_RX;
		vec[1] = QV_VEC_TX;
		return 2;
	}
	vec[0] = QV_VEC_QP(q);
	return 1;
}

/* CPU of queue pair @q: its IRQ affinity hint and its XPS map. */
static unsigned int qv_qp_cpu(u16 q)
{
	return cpumask_local_spread(q, NUMA_NO_NODE);
}

static void qv_free_ring_irqs(struct qv_adapter *ad, u16 nq)
{
	int vec[2];
	u16 q;

	for (q = 0; q < nq; q++) {
		unsigned int n = qv_qp_vectors(q, vec), i;

		for (i = 0; i < n; i++) {
			unsigned int irq = pci_irq_vector(ad->pdev, vec[i]);

			irq_update_affinity_hint(irq, NULL);
			free_irq(irq, &ad->qp[q]);
		}
	}
}

static int qv_request_qp_irqs(struct qv_adapter *ad, struct qv_qpair *qp)
{
	unsigned int n, i;
	int vec[2], err;

	n = qv_qp_vectors(qp->idx, vec);
	if (n == 2) {
		snprintf(qp->irq_name[0], sizeof(qp->irq_name[0]), "%s-rx-0",
			 ad->netdev->name);
		snprintf(qp->irq_name[1], sizeof(qp->irq_name[1]), "%s-tx-0",
			 ad->netdev->name);
	} else {
		snprintf(qp->irq_name[0], sizeof(qp->irq_name[0]),
			 "%s-TxRx-%u", ad->netdev->name, qp->idx);
	}
	for (i = 0; i < n; i++) {
		unsigned int irq = pci_irq_vector(ad->pdev, vec[i]);

		err = request_irq(irq, qv_msix_ring, 0, qp->irq_name[i], qp);
		if (err) {
			netdev_err(ad->netdev, "request_irq(%s) failed: %d\n",
				   qp->irq_name[i], err);
			if (i) {
				irq = pci_irq_vector(ad->pdev, vec[0]);
				/* free_irq() warns about a hint left set */
				irq_update_affinity_hint(irq, NULL);
				free_irq(irq, qp);
			}
			return err;
		}
		irq_update_affinity_hint(irq, cpumask_of(qv_qp_cpu(qp->idx)));
	}
	return 0;
}

static int qv_request_ring_irqs(struct qv_adapter *ad)
{
	int err;
	u16 q;

	for (q = 0; q < ad->num_qp; q++) {
		err = qv_request_qp_irqs(ad, &ad->qp[q]);
		if (err) {
			qv_free_ring_irqs(ad, q);
			return err;
		}
	}
	return 0;
}

/* Every queue pair's interrupt causes. */
static u32 qv_ring_causes(struct qv_adapter *ad)
{
	u32 causes = 0;
	u16 q;

	for (q = 0; q < ad->num_qp; q++)
		causes |= ad->qp[q].causes;
	return causes;
}

/* The default indirection table: the queue pairs in use, evenly. */
void qv_rss_default_reta(struct qv_adapter *ad)
{
	unsigned int i;

	for (i = 0; i < QV_RSS_RETA_SIZE; i++)
		ad->rss_reta[i] = ethtool_rxfh_indir_default(i, ad->req_qp);
}

/* Four bytes of a key or table as the register holds them. */
static u32 qv_bytes_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* Key, indirection table and hash types to the device. */
void qv_rss_write(struct qv_adapter *ad)
{
	unsigned int i;

	if (ad->max_qp < 2 && !ad->rss_ctrl)
		return;
	for (i = 0; i < QV_RSS_KEY_WORDS; i++)
		qv_wr32(ad->hw, QV_FN_RSS_KEY(i),
			qv_bytes_le32(ad->rss_key + 4 * i));
	for (i = 0; i < QV_RSS_RETA_WORDS; i++)
		qv_wr32(ad->hw, QV_FN_RSS_RETA(i),
			qv_bytes_le32(ad->rss_reta + 4 * i));
	qv_wr32(ad->hw, QV_FN_RSS_CTRL, ad->rss_ctrl);
}

/* XPS: queue pair q's TX queue for the CPU its interrupts go to. */
static void qv_set_xps(struct qv_adapter *ad)
{
	u16 q;

	for (q = 0; q < ad->num_qp; q++)
		netif_set_xps_queue(ad->netdev, cpumask_of(qv_qp_cpu(q)), q);
}

int qv_open(struct net_device *netdev)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u16 q;
	int err;

	ad->num_qp = ad->req_qp;
	err = netif_set_real_num_tx_queues(netdev, ad->num_qp);
	if (!err)
		err = netif_set_real_num_rx_queues(netdev, ad->num_qp);
	if (err)
		return err;
	err = qv_rings_alloc(ad);
	if (err)
		return err;
	err = qv_request_ring_irqs(ad);
	if (err)
		goto err_rings;

	if (ad->pf) {
		mutex_lock(&ad->pf->cfg_lock);
		qv_write_mac(ad, netdev->dev_addr);
		mutex_unlock(&ad->pf->cfg_lock);
	}
	qv_wr32(ad->hw, QV_FN_MTU, netdev->mtu);
	qv_set_features_hw(ad, netdev->features);
	qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_RX), ad->itr_us[QV_VEC_RX]);
	qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_TX), ad->itr_us[QV_VEC_TX]);
	/* Pairs 1.. have one vector for both: the RX setting. */
	for (q = 1; q < ad->num_qp; q++)
		qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_QP(q)), ad->itr_us[QV_VEC_RX]);
	qv_wr32(ad->hw, QV_FN_RX_FILTER, QV_RXF_BCAST);
	qv_rings_hw_setup(ad);
	qv_rss_write(ad);
	qv_set_xps(ad);

	clear_bit(QV_S_DOWN, &ad->state);
	for (q = 0; q < ad->num_qp; q++)
		napi_enable(&ad->qp[q].napi);
	qv_wr32(ad->hw, QV_FN_CTRL, QV_CTRL_RX_EN | QV_CTRL_TX_EN);
	qv_wr32(ad->hw, QV_FN_INT_CAUSE, qv_ring_causes(ad));
	qv_irq_enable(ad, qv_ring_causes(ad));
	/*
	 * One poll per pair: a ring whose buffers could not all be
	 * allocated above gets them there (NAPI polls on while it starves);
	 * with none, the device would never interrupt to start that.
	 */
	local_bh_disable();
	for (q = 0; q < ad->num_qp; q++)
		napi_schedule(&ad->qp[q].napi);
	local_bh_enable();
	netif_tx_start_all_queues(netdev);
	qv_update_link(ad);

	set_bit(QV_S_RXMODE_REQ, &ad->state);
	qv_service_kick(ad);
	return 0;

err_rings:
	qv_rings_free(ad);
	return err;
}

int qv_stop(struct net_device *netdev)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u16 q;

	if (test_and_set_bit(QV_S_DOWN, &ad->state))
		return 0;
	netif_carrier_off(netdev);
	netif_tx_disable(netdev);

	qv_irq_disable(ad, qv_ring_causes(ad));
	qv_wr32(ad->hw, QV_FN_CTRL, 0);
	qv_rd32(ad->hw, QV_FN_STATUS);	/* flush: no DMA after this */
	for (q = 0; q < ad->num_qp; q++) {
		int vec[2];
		unsigned int n = qv_qp_vectors(q, vec), i;

		for (i = 0; i < n; i++)
			synchronize_irq(pci_irq_vector(ad->pdev, vec[i]));
		napi_disable(&ad->qp[q].napi);
	}
	/*
	 * A NAPI poll that tested QV_S_DOWN before it was set may have woken
	 * a queue after the netif_tx_disable() above; with every NAPI off,
	 * nothing wakes them now, and no xmit reaches the rings freed below.
	 */
	netif_tx_disable(netdev);
	qv_free_ring_irqs(ad, ad->num_qp);
	/* ndo_xdp_xmit() callers that saw the function up are done */
	synchronize_net();

	/* The device must not keep a ring's address past its memory. */
	qv_rings_hw_clear(ad);
	qv_rings_clean(ad);
	qv_rings_free(ad);
	return 0;
}

/*
 * Stop, reset and restore the function, and reopen it if it was running.
 * Under rtnl; used after errors, when the PF asks for it, and by
 * "ethtool --reset".
 */
void qv_reinit_locked(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;
	bool running = qv_live(netdev);
	int err;

	ASSERT_RTNL();
	/* Detached (FLR, AER, suspend): its resume resets and restores it. */
	if (!netif_device_present(netdev))
		return;
	if (running)
		qv_stop(netdev);
	qv_function_reset(ad);
	qv_function_restore(ad);
	if (running) {
		err = qv_open(netdev);
		if (err) {
			netdev_err(netdev, "reopen after reset failed: %d\n",
				   err);
			dev_close(netdev);
		}
	}
}

/* The state of the rings now, for a health reporter's dump. */
void qv_health_snapshot(struct qv_adapter *ad, struct qv_health_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->status = qv_rd32(ad->hw, QV_FN_STATUS);
	s->misc_cause = qv_rd32(ad->hw, QV_FN_MISC_CAUSE);
	s->tx_head = qv_rd32(ad->hw, QV_FN_TX_HEAD);
	s->tx_tail = qv_rd32(ad->hw, QV_FN_TX_TAIL);
	s->rx_head = qv_rd32(ad->hw, QV_FN_RX_HEAD);
	s->rx_tail = qv_rd32(ad->hw, QV_FN_RX_TAIL);
	s->tx_ntc = READ_ONCE(ad->qp[0].tx.next_to_clean);
	s->tx_ntu = READ_ONCE(ad->qp[0].tx.next_to_use);
	s->rx_ntc = READ_ONCE(ad->qp[0].rx.next_to_clean);
	s->rx_ntu = READ_ONCE(ad->qp[0].rx.next_to_use);
	s->mbx_ctrl = ad->pf ? 0 : qv_rd32(ad->hw, QV_FN_MBX_CTRL);
}

/*
 * A TX timeout or a ring error: remember the state and let the service
 * task report it (devlink health), which recovers with a function reset.
 * Any context. The first request claims the record (QV_S_RESET_CLAIM),
 * fills it in and only then hands it to the service task
 * (QV_S_RESET_REQ), which copies it and frees the claim before it
 * reports (and recovers): the task never reads a reason or a snapshot
 * still being written, and an error on the rings the recovery reopens is
 * a new request. False if an earlier request holds the record.
 */
static bool qv_request_reset_as(struct qv_adapter *ad,
				enum qv_reset_reason why, bool test)
{
	bool mine = !test_and_set_bit(QV_S_RESET_CLAIM, &ad->state);

	if (mine) {
		ad->req_reason = why;
		qv_health_snapshot(ad, &ad->req_snap);
		ad->req_snap.test = test;
		/* the record before the flag the service task reads */
		smp_mb__before_atomic();
		set_bit(QV_S_RESET_REQ, &ad->state);
	}
	qv_service_kick(ad);
	return mine;
}

void qv_request_reset(struct qv_adapter *ad, enum qv_reset_reason why)
{
	qv_request_reset_as(ad, why, false);
}

/* devlink health test: a request marked as a test in its dump. */
bool qv_request_reset_test(struct qv_adapter *ad, enum qv_reset_reason why)
{
	return qv_request_reset_as(ad, why, true);
}

void qv_service_task(struct work_struct *work)
{
	struct qv_adapter *ad = container_of(to_delayed_work(work),
					     struct qv_adapter, service);
	bool asked;

	if (test_bit(QV_S_REMOVING, &ad->state) ||
	    test_bit(QV_S_FLR, &ad->state))
		return;

	if (!ad->pf && test_and_clear_bit(QV_S_PF_MSG, &ad->state))
		qv_vf_mbx_poll(ad);
	if (test_and_clear_bit(QV_S_MBX_TIMEOUT, &ad->state)) {
		ad->mbx_snap.test = false;
		qv_health_report_mbx(ad, "the PF did not answer a request");
	}
	if (test_and_clear_bit(QV_S_MBX_TEST, &ad->state))
		qv_health_report_mbx(ad, "test event (devlink health test)");
	if (ad->pf)
		qv_pf_mbx_check_timeouts(ad->pf);

	/*
	 * Errors go to their devlink health reporter, whose recovery is the
	 * function reset (health.c); it takes rtnl itself.
	 */
	if (test_and_clear_bit(QV_S_RESET_REQ, &ad->state)) {
		ad->reset_reason = ad->req_reason;
		ad->snap = ad->req_snap;
		clear_bit_unlock(QV_S_RESET_CLAIM, &ad->state);
		qv_health_report_reset(ad);
	}

	rtnl_lock();
	/* FLR may have begun while we waited for rtnl. */
	if (!test_bit(QV_S_FLR, &ad->state)) {
		asked = test_and_clear_bit(QV_S_PF_RESET, &ad->state);
		if (asked) {
			netif_info(ad, drv, ad->netdev,
				   "resetting: the PF changed our configuration\n");
			qv_reinit_locked(ad);
		}
		clear_bit(QV_S_LINK_CHECK, &ad->state);
		qv_update_link(ad);
	}
	rtnl_unlock();

	if (test_and_clear_bit(QV_S_RXMODE_REQ, &ad->state) &&
	    !test_bit(QV_S_DOWN, &ad->state))
		qv_sync_rx_mode(ad);

	/*
	 * A PF with VFs keeps watching their mailboxes while its netdev is
	 * down (as SR-IOV hosts often leave it): before, a VF that stopped
	 * answering was then never reported, nor taken for gone.
	 */
	if ((!test_bit(QV_S_DOWN, &ad->state) ||
	     (ad->pf && READ_ONCE(ad->pf->num_vfs))) &&
	    !test_bit(QV_S_REMOVING, &ad->state) &&
	    !test_bit(QV_S_FLR, &ad->state))
		queue_delayed_work(system_wq, &ad->service,
				   QV_SERVICE_PERIOD);
}

static void qv_tx_timeout(struct net_device *netdev, unsigned int txqueue)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u16 q = txqueue < QV_NUM_QUEUES ? txqueue : 0;
	struct qv_tx_ring *tx = &ad->qp[q].tx;

	ad->tx_timeouts++;
	netdev_err(netdev,
		   "TX timeout on queue %u: head %u tail %u ntc %u ntu %u\n",
		   txqueue, qv_rd32(ad->hw, qv_q_reg(q, QV_Q_TX_HEAD)),
		   qv_rd32(ad->hw, qv_q_reg(q, QV_Q_TX_TAIL)), tx->next_to_clean,
		   tx->next_to_use);
	qv_request_reset(ad, QV_RR_TX_TIMEOUT);
}

static void qv_get_stats64(struct net_device *netdev,
			   struct rtnl_link_stats64 *s)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u64 st[QV_NUM_STATS];
	u64 rxd = 0, rxe = 0, txd = 0;
	unsigned int start;
	u16 q;

	qv_hw_stats_all(ad, st);

	s->rx_packets = st[QV_STAT_RX_PACKETS];
	s->rx_bytes = st[QV_STAT_RX_BYTES];
	s->tx_packets = st[QV_STAT_TX_PACKETS];
	s->tx_bytes = st[QV_STAT_TX_BYTES];
	s->multicast = st[QV_STAT_RX_MCAST];
	/* Partition or ring full: the device had no room for the frame. */
	s->rx_missed_errors = st[QV_STAT_DROP_BUFFER] +
			      st[QV_STAT_DROP_RING_FULL];
	/* Admission policy drops: policer, length, VLAN. */
	s->rx_dropped = st[QV_STAT_DROP_RATE] + st[QV_STAT_DROP_LENGTH] +
			st[QV_STAT_DROP_VLAN];
	s->tx_dropped = st[QV_STAT_TX_DROP_SPOOF] + st[QV_STAT_TX_DROP_BAD] +
			st[QV_STAT_TX_DROP_LINK_DOWN];

	for (q = 0; q < QV_NUM_QUEUES; q++) {
		struct qv_rx_ring *rx = &ad->qp[q].rx;
		struct qv_tx_ring *tx = &ad->qp[q].tx;
		u64 d, e;

		do {
			start = u64_stats_fetch_begin(&rx->syncp);
			d = rx->dropped + rx->alloc_fail;
			e = rx->frame_err + rx->runt;
		} while (u64_stats_fetch_retry(&rx->syncp, start));
		rxd += d;
		rxe += e;
		do {
			start = u64_stats_fetch_begin(&tx->syncp);
			d = tx->dropped;
		} while (u64_stats_fetch_retry(&tx->syncp, start));
		txd += d;
	}

	s->rx_dropped += rxd;
	s->rx_errors = rxe;
	s->rx_length_errors = rxe;
	s->tx_dropped += txd;
}

static int qv_change_mtu(struct net_device *netdev, int new_mtu)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	if (READ_ONCE(ad->xdp_prog) && new_mtu > QV_XDP_MAX_MTU) {
		netdev_warn(netdev,
			    "MTU %d: with XDP a frame must fit one RX buffer (MTU <= %lu)\n",
			    new_mtu, (unsigned long)QV_XDP_MAX_MTU);
		return -EINVAL;
	}

	netif_dbg(ad, drv, netdev, "MTU %u -> %d\n", netdev->mtu, new_mtu);
	/* read locklessly by the PF's mailbox (QV_MSG_RESET reply) */
	WRITE_ONCE(netdev->mtu, new_mtu);
	qv_wr32(ad->hw, QV_FN_MTU, new_mtu);
	return 0;
}

static int qv_set_mac_address(struct net_device *netdev, void *p)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	struct sockaddr *addr = p;
	const u8 *mac = (const u8 *)addr->sa_data;
	u32 msg[3] = { QV_MSG_SET_MAC };
	int err;

	if (!is_valid_ether_addr(mac))
		return -EADDRNOTAVAIL;
	if (ad->pf) {
		/* The lowest function gets a shared MAC's frames: never share. */
		mutex_lock(&ad->pf->cfg_lock);
		if (qv_pf_mac_holder(ad->pf, 0, mac) >= 0) {
			mutex_unlock(&ad->pf->cfg_lock);
			netdev_err(netdev, "MAC %pM: a VF has it\n", mac);
			return -EADDRINUSE;
		}
		qv_write_mac(ad, mac);
		mutex_unlock(&ad->pf->cfg_lock);
	} else {
		qv_mac_to_regs(mac, &msg[1], &msg[2]);
		err = qv_vf_mbx_xfer(ad, msg, 3, NULL, 0);
		if (err) {
			netdev_err(netdev,
				   "PF refused MAC %pM (%d): in use, or set by the administrator for an untrusted VF\n",
				   mac, err);
			return err == -EACCES ? -EPERM : err;
		}
	}
	eth_hw_addr_set(netdev, mac);
	return 0;
}

/* XDP sees one buffer per frame: no large receive while a program runs. */
static netdev_features_t qv_fix_features(struct net_device *netdev,
					 netdev_features_t features)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	if (READ_ONCE(ad->xdp_prog))
		features &= ~NETIF_F_LRO;
	return features;
}

static int qv_set_features(struct net_device *netdev,
			   netdev_features_t features)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	netdev_features_t changed = netdev->features ^ features;

	qv_set_features_hw(ad, features);
	/*
	 * Large receive picks the default RX buffers (qv_rx_order()): the
	 * rings are rebuilt for it, as ixgbe resets on an LRO change, with
	 * the new features in place first (returning 1 says they are).
	 */
	if (!(changed & NETIF_F_LRO) || ad->rx_buf_req ||
	    !qv_live(netdev) || READ_ONCE(ad->xdp_prog))
		return 0;
	netdev->features = features;
	qv_stop(netdev);
	if (qv_open(netdev)) {
		netdev_err(netdev, "reopen for the new RX buffers failed\n");
		dev_close(netdev);
	}
	return 1;
}

/* tc mqprio rates are bytes/s; the mailbox tuple is whole Mbit/s. */
static int qv_mqprio_mbps(u64 rate, u32 *mbps, struct netlink_ext_ack *extack)
{
	u64 r = rate;

	if (do_div(r, 125000) || r > U32_MAX) {
		NL_SET_ERR_MSG_MOD(extack,
				   "min_rate/max_rate must be whole Mbit/s");
		return -EINVAL;
	}
	*mbps = r;
	return 0;
}

/*
 * A VF's QoS request, the standard way (as iavf): "tc qdisc add dev VF
 * root mqprio num_tc 1 map 0 queues 1@0 hw 1 mode channel shaper
 * bw_rlimit min_rate MIN max_rate MAX" sends the papers' resource tuple
 * (min, default = max or min, max) over the mailbox; the PF grants it
 * within what the administrator and the host allow, or refuses it (the
 * qdisc is then not created). Deleting the qdisc gives the grant back.
 */
static int qv_setup_mqprio(struct qv_adapter *ad,
			   struct tc_mqprio_qopt_offload *m)
{
	struct netlink_ext_ack *extack = QV_MQPRIO_EXTACK(m);
	struct net_device *netdev = ad->netdev;
	u32 min = 0, max = 0, grant[3];
	int err;

	if (!m->qopt.num_tc) {
		netdev_reset_tc(netdev);
		if (ad->qos_min || ad->qos_max)
			qv_vf_qos_request(ad, 0, 0, 0, NULL);
		ad->qos_min = 0;
		ad->qos_def = 0;
		ad->qos_max = 0;
		return 0;
	}
	if (m->mode != TC_MQPRIO_MODE_CHANNEL ||
	    m->shaper != TC_MQPRIO_SHAPER_BW_RATE ||
	    !(m->flags & (TC_MQPRIO_F_MIN_RATE | TC_MQPRIO_F_MAX_RATE))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "only mode channel with shaper bw_rlimit and rates");
		netdev_err(netdev, "mqprio: only mode channel with shaper bw_rlimit and min_rate/max_rate\n");
		return -EOPNOTSUPP;
	}
	/* The VF's rates cover all of its queues: one class over them. */
	if (m->qopt.num_tc != 1 || !m->qopt.count[0] ||
	    m->qopt.count[0] > netdev->real_num_tx_queues ||
	    m->qopt.offset[0] != 0) {
		NL_SET_ERR_MSG_MOD(extack,
				   "one traffic class over the queues: num_tc 1 queues N@0");
		netdev_err(netdev, "mqprio: one traffic class over the queues (num_tc 1 queues N@0, N <= %u)\n",
			   netdev->real_num_tx_queues);
		return -EINVAL;
	}
	if (m->flags & TC_MQPRIO_F_MIN_RATE) {
		err = qv_mqprio_mbps(m->min_rate[0], &min, extack);
		if (err)
			return err;
	}
	if (m->flags & TC_MQPRIO_F_MAX_RATE) {
		err = qv_mqprio_mbps(m->max_rate[0], &max, extack);
		if (err)
			return err;
	}
	if (!ad->pf_answers) {
		NL_SET_ERR_MSG_MOD(extack, "the PF does not answer the mailbox");
		return -EOPNOTSUPP;
	}
	err = qv_vf_qos_request(ad, min, max ? max : min, max, grant);
	if (err == -EACCES) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the PF refused the rates (the kernel log says what it grants)");
		return -EPERM;
	}
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "the PF did not answer");
		return err;
	}
	ad->qos_min = min;
	ad->qos_def = max ? max : min;
	ad->qos_max = max;
	err = netdev_set_num_tc(netdev, 1);
	if (!err)
		err = netdev_set_tc_queue(netdev, 0, m->qopt.count[0], 0);
	return err;
}

int qv_setup_tc(struct net_device *netdev, enum tc_setup_type type,
		void *type_data)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	switch (type) {
	case TC_SETUP_QDISC_MQPRIO:
		if (ad->pf)
			return -EOPNOTSUPP;
		return qv_setup_mqprio(ad, type_data);
	case TC_SETUP_BLOCK:
		/* The PF is the uplink's representor in switchdev mode. */
		if (!ad->pf)
			return -EOPNOTSUPP;
		return qv_tc_setup_block(netdev, ad->pf, QV_PORT_UPLINK,
					 type_data);
	default:
		return -EOPNOTSUPP;
	}
}

#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
static struct devlink_port *qv_get_devlink_port(struct net_device *netdev)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	return &ad->pf->dl_port;
}
#endif

const struct net_device_ops qv_vf_netdev_ops = {
	.ndo_open = qv_open,
	.ndo_stop = qv_stop,
	.ndo_start_xmit = qv_xmit,
	.ndo_features_check = qv_features_check,
	.ndo_get_stats64 = qv_get_stats64,
	.ndo_set_rx_mode = qv_set_rx_mode,
	.ndo_set_mac_address = qv_set_mac_address,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_change_mtu = qv_change_mtu,
	.ndo_tx_timeout = qv_tx_timeout,
	.ndo_fix_features = qv_fix_features,
	.ndo_set_features = qv_set_features,
	.ndo_bpf = qv_bpf,
	.ndo_xdp_xmit = qv_xdp_xmit,
	.ndo_setup_tc = qv_setup_tc,
};

const struct net_device_ops qv_pf_netdev_ops = {
	.ndo_open = qv_open,
	.ndo_stop = qv_stop,
	.ndo_start_xmit = qv_xmit,
	.ndo_features_check = qv_features_check,
	.ndo_get_stats64 = qv_get_stats64,
	.ndo_set_rx_mode = qv_set_rx_mode,
	.ndo_set_mac_address = qv_set_mac_address,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_change_mtu = qv_change_mtu,
	.ndo_tx_timeout = qv_tx_timeout,
	.ndo_fix_features = qv_fix_features,
	.ndo_set_features = qv_set_features,
	.ndo_bpf = qv_bpf,
	.ndo_xdp_xmit = qv_xdp_xmit,
	.ndo_set_vf_mac = qv_set_vf_mac,
	.ndo_set_vf_vlan = qv_set_vf_vlan,
	.ndo_set_vf_rate = qv_set_vf_rate,
	.ndo_set_vf_spoofchk = qv_set_vf_spoofchk,
	.ndo_set_vf_trust = qv_set_vf_trust,
	.ndo_set_vf_link_state = qv_set_vf_link_state,
	.ndo_get_vf_config = qv_get_vf_config,
	.ndo_get_vf_stats = qv_get_vf_stats,
	.ndo_setup_tc = qv_setup_tc,
#ifndef QV_HAVE_NETDEV_DEVLINK_PORT
	.ndo_get_devlink_port = qv_get_devlink_port,
#endif
};

void qv_netdev_setup(struct qv_adapter *ad)
{
	struct net_device *netdev = ad->netdev;
	netdev_features_t hw = NETIF_F_SG;
	u32 f;
	u16 q;

	netdev->netdev_ops = ad->pf ? &qv_pf_netdev_ops : &qv_vf_netdev_ops;
	netdev->watchdog_timeo = 5 * HZ;
	for (q = 0; q < QV_NUM_QUEUES; q++) {
		struct qv_qpair *qp = &ad->qp[q];

		qp->ad = ad;
		qp->idx = q;
		qp->causes = q ? QV_INT_QP(q) : QV_INT_RX | QV_INT_TX;
		spin_lock_init(&qp->tx_lock);
		netif_napi_add(netdev, &qp->napi, qv_poll);
	}

	f = qv_rd32(ad->hw, QV_FN_FEATURES) & QV_OFF_ALL;
	ad->dev_features = f;
	if (f & QV_OFF_TX_CSUM)
		hw |= NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM;
	if ((f & QV_OFF_TSO) && (f & QV_OFF_TX_CSUM))
		hw |= NETIF_F_TSO | NETIF_F_TSO6;
	if (f & QV_OFF_RX_CSUM)
		hw |= NETIF_F_RXCSUM;
	if (f & QV_OFF_LRO)
		hw |= NETIF_F_LRO;
	if (f & QV_OFF_VLAN_STRIP)
		hw |= NETIF_F_HW_VLAN_CTAG_RX;
	if (f & QV_OFF_VLAN_INSERT)
		hw |= NETIF_F_HW_VLAN_CTAG_TX;
	if (ad->max_qp > 1)
		hw |= NETIF_F_RXHASH;

	/*
	 * tc offload: the VF's mqprio channel shaper (its QoS request to
	 * the PF); the PF's tc rules in switchdev mode (it is the uplink
	 * representor).
	 */
	hw |= NETIF_F_HW_TC;
	netdev->hw_features = hw;
	netdev->features = hw | NETIF_F_HIGHDMA;
	netdev->vlan_features = hw & (NETIF_F_SG | NETIF_F_IP_CSUM |
				      NETIF_F_IPV6_CSUM | NETIF_F_TSO |
				      NETIF_F_TSO6);
	netif_set_tso_max_size(netdev, QV_TX_MAX_FRAME);
#ifdef QV_HAVE_XDP_FEATURES
	netdev->xdp_features = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
			       NETDEV_XDP_ACT_NDO_XMIT;
#endif
	netdev->min_mtu = QV_MTU_MIN;
	netdev->max_mtu = QV_MTU_MAX;
}
