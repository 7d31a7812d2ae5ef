// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: ethtool operations.
 *
 * "ethtool -S" reports the device's per-reason drop counters and the
 * buffer partition occupancy; totals that rtnl_link_stats64 already
 * carries are not repeated.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/stringify.h>

#include "qosvnic.h"

#ifdef QV_HAVE_NETDEV_STAT_OPS
#include <net/netdev_queues.h>

/*
 * 6.8+: the per-queue counters through the netdev queue-stats API as
 * well ("ynl ... qstats-get"), with the standard names.
 */
static void qv_rxq_stats(struct qv_rx_ring *rx,
			 struct netdev_queue_stats_rx *st)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&rx->syncp);
		st->packets = rx->packets;
		st->bytes = rx->bytes;
		st->alloc_fail = rx->alloc_fail;
		st->csum_unnecessary = rx->csum_ok;
		st->csum_none = rx->csum_none;
	} while (u64_stats_fetch_retry(&rx->syncp, start));
}

static void qv_txq_stats(struct qv_tx_ring *tx,
			 struct netdev_queue_stats_tx *st)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&tx->cp_syncp);
		st->packets = tx->packets;
		st->bytes = tx->bytes;
		st->wake = tx->wake_queue;
	} while (u64_stats_fetch_retry(&tx->cp_syncp, start));
}

static void qv_get_queue_stats_rx(struct net_device *netdev, int idx,
				  struct netdev_queue_stats_rx *st)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	qv_rxq_stats(&ad->qp[idx].rx, st);
}

static void qv_get_queue_stats_tx(struct net_device *netdev, int idx,
				  struct netdev_queue_stats_tx *st)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	qv_txq_stats(&ad->qp[idx].tx, st);
}

/* What the queue pairs not in use counted before (ethtool -L). */
static void qv_get_base_stats(struct net_device *netdev,
			      struct netdev_queue_stats_rx *rx,
			      struct netdev_queue_stats_tx *tx)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	struct netdev_queue_stats_rx r;
	struct netdev_queue_stats_tx t;
	unsigned int q;

	memset(rx, 0, sizeof(*rx));
	memset(tx, 0, sizeof(*tx));
	for (q = netdev->real_num_rx_queues; q < QV_NUM_QUEUES; q++) {
		qv_rxq_stats(&ad->qp[q].rx, &r);
		rx->packets += r.packets;
		rx->bytes += r.bytes;
		rx->alloc_fail += r.alloc_fail;
		rx->csum_unnecessary += r.csum_unnecessary;
		rx->csum_none += r.csum_none;
	}
	for (q = netdev->real_num_tx_queues; q < QV_NUM_QUEUES; q++) {
		qv_txq_stats(&ad->qp[q].tx, &t);
		tx->packets += t.packets;
		tx->bytes += t.bytes;
		tx->wake += t.wake;
	}
}

static const struct netdev_stat_ops qv_stat_ops = {
	.get_queue_stats_rx = qv_get_queue_stats_rx,
	.get_queue_stats_tx = qv_get_queue_stats_tx,
	.get_base_stats = qv_get_base_stats,
};
#endif

struct qv_hw_stat_desc {
	char name[ETH_GSTRING_LEN];
	u8 idx;
	bool pf_only;
};

static const struct qv_hw_stat_desc qv_hw_stats[] = {
	{ "rx_drop_rate", QV_STAT_DROP_RATE },
	{ "rx_drop_buffer", QV_STAT_DROP_BUFFER },
	{ "rx_drop_ring_full", QV_STAT_DROP_RING_FULL },
	{ "rx_drop_length", QV_STAT_DROP_LENGTH },
	{ "rx_drop_vlan", QV_STAT_DROP_VLAN },
	{ "rx_drop_link_down", QV_STAT_DROP_LINK_DOWN },
	{ "rx_broadcast", QV_STAT_RX_BCAST },
	{ "rx_loopback", QV_STAT_LOOPBACK_RX },
	{ "rx_csum_err", QV_STAT_RX_CSUM_ERR },
	{ "tx_drop_spoof", QV_STAT_TX_DROP_SPOOF },
	{ "tx_drop_bad", QV_STAT_TX_DROP_BAD },
	{ "tx_drop_link_down", QV_STAT_TX_DROP_LINK_DOWN },
	{ "tx_throttled", QV_STAT_TX_THROTTLED },
	{ "rx_admitted", QV_STAT_RX_ADMITTED },
	{ "rx_delivered", QV_STAT_RX_PACKETS },
	{ "rx_discarded", QV_STAT_RX_DISCARDED },
	{ "buf_frames", QV_STAT_BUF_FRAMES },
	{ "buf_occupancy_bytes", QV_STAT_BUF_OCCUPANCY },
	{ "buf_peak_bytes", QV_STAT_BUF_PEAK },
	{ "dev_drop_no_owner", QV_STAT_DROP_NO_OWNER, true },
};

enum qv_sw_stat {
	QV_SW_TX_RESTART,
	QV_SW_TX_BUSY,
	QV_SW_TX_CSUM,
	QV_SW_TX_TSO,
	QV_SW_TX_ERR_FRAMES,
	QV_SW_TX_TIMEOUTS,
	QV_SW_RX_ALLOC_FAIL,
	QV_SW_RX_FRAME_ERR,
	QV_SW_RX_RUNT,
	QV_SW_RX_GSO,
	QV_SW_RX_CSUM_OK,
	QV_SW_RX_CSUM_NONE,
	QV_SW_RX_VLAN_STRIP,
	QV_SW_RX_COPYBREAK,
	QV_SW_RX_XDP_DROP,
	QV_SW_RX_XDP_TX,
	QV_SW_RX_XDP_REDIRECT,
	QV_SW_RX_XDP_ABORTED,
	QV_SW_TX_XDP_XMIT,
	QV_SW_TX_XDP_XMIT_ERR,
	QV_SW_RESETS,
	QV_SW_NUM,
};

static const char qv_sw_stat_names[QV_SW_NUM][ETH_GSTRING_LEN] = {
	"tx_restart_queue",
	"tx_busy",
	"tx_csum_offload",
	"tx_tso",
	"tx_err_frames",
	"tx_timeouts",
	"rx_alloc_fail",
	"rx_frame_err",
	"rx_runt_frames",
	"rx_large_frames",
	"rx_csum_unnecessary",
	"rx_csum_none",
	"rx_vlan_stripped",
	"rx_copybreak",
	"rx_xdp_drop",
	"rx_xdp_tx",
	"rx_xdp_redirect",
	"rx_xdp_aborted",
	"tx_xdp_xmit",
	"tx_xdp_xmit_err",
	"function_resets",
};

static unsigned int qv_n_hw_stats(struct qv_adapter *ad)
{
	return ad->pf ? ARRAY_SIZE(qv_hw_stats) : ARRAY_SIZE(qv_hw_stats) - 1;
}

static void qv_get_drvinfo(struct net_device *netdev,
			   struct ethtool_drvinfo *info)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	strscpy(info->driver, QV_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, pci_name(ad->pdev), sizeof(info->bus_info));
	snprintf(info->fw_version, sizeof(info->fw_version), "contract %u",
		 qv_rd32(ad->hw, QV_FN_VERSION));
}

static int qv_get_link_ksettings(struct net_device *netdev,
				 struct ethtool_link_ksettings *cmd)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u32 speed = 0;

	ethtool_link_ksettings_zero_link_mode(cmd, supported);
	ethtool_link_ksettings_zero_link_mode(cmd, advertising);
	cmd->base.autoneg = AUTONEG_DISABLE;
	cmd->base.port = PORT_OTHER;
	/* Only the PF can see the modelled line rate. */
	if (ad->pf)
		speed = qv_rd32(ad->pf->hw, QV_DEV_LINE_RATE);
	if (netif_carrier_ok(netdev)) {
		cmd->base.speed = speed ? speed : SPEED_UNKNOWN;
		cmd->base.duplex = DUPLEX_FULL;
	} else {
		cmd->base.speed = SPEED_UNKNOWN;
		cmd->base.duplex = DUPLEX_UNKNOWN;
	}
	return 0;
}

/* The RX buffer size of the rings (of the next open, when down). */
static u32 qv_rx_buf_len(const struct qv_adapter *ad)
{
	bool xdp = READ_ONCE(ad->xdp_prog);

	return QV_RX_BUF_LEN_ORDER(qv_rx_order(ad, xdp),
				   xdp ? QV_RX_HEADROOM_XDP : QV_RX_HEADROOM);
}

/*
 * ethtool -G rx-buf-len into *req: a size up to the largest buffer, which
 * the rings round up to what the smallest page order holding it gives
 * (the size -g then shows). The size -g showed leaves the request as it
 * is: ethtool passes it back when only the ring sizes change.
 */
static int qv_rx_buf_request(struct qv_adapter *ad, u32 len, u32 *req,
			     struct netlink_ext_ack *extack)
{
	u32 max = QV_RX_BUF_LEN_ORDER(QV_RX_ORDER_LARGE, QV_RX_HEADROOM);

	*req = ad->rx_buf_req;
	if (len == qv_rx_buf_len(ad))
		return 0;
	if (READ_ONCE(ad->xdp_prog)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "RX buffers are a page while an XDP program is attached");
		return -EINVAL;
	}
	if (len > max) {
		NL_SET_ERR_MSG_MOD(extack,
				   "rx-buf-len above the largest RX buffer (limit in the kernel log)");
		netdev_warn(ad->netdev, "rx-buf-len %u: at most %u\n", len, max);
		return -EINVAL;
	}
	*req = len;
	return 0;
}

static void qv_get_ringparam(struct net_device *netdev,
			     struct ethtool_ringparam *ring,
			     struct kernel_ethtool_ringparam *kring,
			     struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	ring->rx_max_pending = QV_RING_MAX;
	ring->tx_max_pending = QV_RING_MAX;
	ring->rx_pending = ad->rx_count;
	ring->tx_pending = ad->tx_count;
	kring->rx_buf_len = qv_rx_buf_len(ad);
}

static int qv_set_ringparam(struct net_device *netdev,
			    struct ethtool_ringparam *ring,
			    struct kernel_ethtool_ringparam *kring,
			    struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u32 old_rx = ad->rx_count, old_tx = ad->tx_count;
	u32 old_buf = ad->rx_buf_req, rx, tx, buf;
	int err;

	if (ring->rx_mini_pending || ring->rx_jumbo_pending)
		return -EINVAL;
	rx = ring->rx_pending;
	tx = ring->tx_pending;
	/* The core checks the maximum; the minimum is ours to refuse. */
	if (rx < QV_RING_MIN || tx < QV_RING_MIN) {
		NL_SET_ERR_MSG_MOD(extack,
				   "ring size below the minimum of "
				   __stringify(QV_RING_MIN) " descriptors");
		return -EINVAL;
	}
	err = qv_rx_buf_request(ad, kring->rx_buf_len, &buf, extack);
	if (err)
		return err;
	if (rx == old_rx && tx == old_tx && buf == old_buf)
		return 0;

	if (qv_live(netdev))
		qv_stop(netdev);
	ad->rx_count = rx;
	ad->tx_count = tx;
	ad->rx_buf_req = buf;
	if (!qv_live(netdev))
		return 0;
	err = qv_open(netdev);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot allocate the new rings");
		ad->rx_count = old_rx;
		ad->tx_count = old_tx;
		ad->rx_buf_req = old_buf;
		if (qv_open(netdev))
			dev_close(netdev);
	}
	return err;
}

static int qv_get_coalesce(struct net_device *netdev,
			   struct ethtool_coalesce *ec,
			   struct kernel_ethtool_coalesce *kec,
			   struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	ec->rx_coalesce_usecs = ad->itr_us[QV_VEC_RX];
	ec->tx_coalesce_usecs = ad->itr_us[QV_VEC_TX];
	return 0;
}

static int qv_set_coalesce(struct net_device *netdev,
			   struct ethtool_coalesce *ec,
			   struct kernel_ethtool_coalesce *kec,
			   struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u16 q;

	if (ec->rx_coalesce_usecs > QV_ITR_MAX_US ||
	    ec->tx_coalesce_usecs > QV_ITR_MAX_US) {
		NL_SET_ERR_MSG_MOD(extack, "usecs above the device maximum");
		return -EINVAL;
	}
	ad->itr_us[QV_VEC_RX] = ec->rx_coalesce_usecs;
	ad->itr_us[QV_VEC_TX] = ec->tx_coalesce_usecs;
	qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_RX), ad->itr_us[QV_VEC_RX]);
	qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_TX), ad->itr_us[QV_VEC_TX]);
	/* Pairs 1.. have one vector for both: the RX setting, as qv_open(). */
	for (q = 1; q < ad->num_qp; q++)
		qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_QP(q)), ad->itr_us[QV_VEC_RX]);
	return 0;
}

static void qv_get_channels(struct net_device *netdev,
			    struct ethtool_channels *ch)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	ch->max_combined = ad->max_qp;
	ch->combined_count = ad->req_qp;
	ch->max_other = 1;	/* mailbox / link vector */
	ch->other_count = 1;
}

/*
 * ethtool -L combined N: N queue pairs from the next open (now, if up).
 * The core refuses a count below what a user-set indirection table
 * names; otherwise the table is spread over the new count.
 */
static int qv_set_channels(struct net_device *netdev,
			   struct ethtool_channels *ch)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u16 old = ad->req_qp;
	int err;

	if (!ch->combined_count || ch->combined_count > ad->max_qp ||
	    ch->rx_count || ch->tx_count || ch->other_count != 1)
		return -EINVAL;
	if (ch->combined_count == old)
		return 0;
	if (qv_live(netdev))
		qv_stop(netdev);
	ad->req_qp = ch->combined_count;
	if (!netif_is_rxfh_configured(netdev))
		qv_rss_default_reta(ad);
	if (!qv_live(netdev))
		return 0;
	err = qv_open(netdev);
	if (err) {
		ad->req_qp = old;
		if (!netif_is_rxfh_configured(netdev))
			qv_rss_default_reta(ad);
		if (qv_open(netdev))
			dev_close(netdev);
	}
	return err;
}

/* ------------------------------------------------------------- RSS */

static u32 qv_get_rxfh_key_size(struct net_device *netdev)
{
	return QV_RSS_KEY_BYTES;
}

static u32 qv_get_rxfh_indir_size(struct net_device *netdev)
{
	return QV_RSS_RETA_SIZE;
}

static void qv_rxfh_get(struct qv_adapter *ad, u32 *indir, u8 *key,
			u8 *hfunc)
{
	unsigned int i;

	if (hfunc)
		*hfunc = ETH_RSS_HASH_TOP;
	if (indir)
		for (i = 0; i < QV_RSS_RETA_SIZE; i++)
			indir[i] = ad->rss_reta[i];
	if (key)
		memcpy(key, ad->rss_key, QV_RSS_KEY_BYTES);
}

static int qv_rxfh_set(struct qv_adapter *ad, const u32 *indir,
		       const u8 *key, u8 hfunc)
{
	unsigned int i;

	if (hfunc != ETH_RSS_HASH_NO_CHANGE && hfunc != ETH_RSS_HASH_TOP)
		return -EOPNOTSUPP;
	if (indir) {
		for (i = 0; i < QV_RSS_RETA_SIZE; i++)
			if (indir[i] >= ad->req_qp)
				return -EINVAL;
		for (i = 0; i < QV_RSS_RETA_SIZE; i++)
			ad->rss_reta[i] = indir[i];
	}
	if (key)
		memcpy(ad->rss_key, key, QV_RSS_KEY_BYTES);
	if (qv_live(ad->netdev))
		qv_rss_write(ad);
	return 0;
}

#ifdef QV_HAVE_RXFH_PARAM
static int qv_get_rxfh(struct net_device *netdev,
		       struct ethtool_rxfh_param *p)
{
	qv_rxfh_get(netdev_priv(netdev), p->indir, p->key, &p->hfunc);
	return 0;
}

static int qv_set_rxfh(struct net_device *netdev,
		       struct ethtool_rxfh_param *p,
		       struct netlink_ext_ack *extack)
{
	return qv_rxfh_set(netdev_priv(netdev), p->indir, p->key, p->hfunc);
}
#else
static int qv_get_rxfh(struct net_device *netdev, u32 *indir, u8 *key,
		       u8 *hfunc)
{
	qv_rxfh_get(netdev_priv(netdev), indir, key, hfunc);
	return 0;
}

static int qv_set_rxfh(struct net_device *netdev, const u32 *indir,
		       const u8 *key, const u8 hfunc)
{
	return qv_rxfh_set(netdev_priv(netdev), indir, key, hfunc);
}
#endif

/* The hash types of a flow type: its IP type, and its L4 one. */
static bool qv_flow_rss_bits(u32 flow_type, u32 *ip, u32 *l4)
{
	switch (flow_type) {
	case TCP_V4_FLOW:
		*ip = QV_RSS_IPV4;
		*l4 = QV_RSS_IPV4_TCP;
		return true;
	case UDP_V4_FLOW:
		*ip = QV_RSS_IPV4;
		*l4 = QV_RSS_IPV4_UDP;
		return true;
	case TCP_V6_FLOW:
		*ip = QV_RSS_IPV6;
		*l4 = QV_RSS_IPV6_TCP;
		return true;
	case UDP_V6_FLOW:
		*ip = QV_RSS_IPV6;
		*l4 = QV_RSS_IPV6_UDP;
		return true;
	case IPV4_FLOW:
		*ip = QV_RSS_IPV4;
		*l4 = 0;
		return true;
	case IPV6_FLOW:
		*ip = QV_RSS_IPV6;
		*l4 = 0;
		return true;
	default:
		return false;
	}
}

/* ethtool -n DEV rx-flow-hash TYPE */
static int qv_get_rxfh_fields(struct qv_adapter *ad,
			      struct ethtool_rxnfc *nfc)
{
	u32 ip, l4;

	nfc->data = 0;
	if (!qv_flow_rss_bits(nfc->flow_type, &ip, &l4))
		return -EINVAL;
	if (ad->rss_ctrl & (ip | l4))
		nfc->data |= RXH_IP_SRC | RXH_IP_DST;
	if (l4 && (ad->rss_ctrl & l4))
		nfc->data |= RXH_L4_B_0_1 | RXH_L4_B_2_3;
	return 0;
}

/*
 * ethtool -N DEV rx-flow-hash TYPE sd | sdfn: the IP addresses, with or
 * without the ports. The device hashes a TCP/UDP flow by its addresses
 * when its own type is off and the IP type is on, so "sd" for tcp4
 * turns off tcp4's bit only; for ip4 it sets the IP bit alone.
 */
static int qv_set_rxfh_fields(struct qv_adapter *ad,
			      struct ethtool_rxnfc *nfc)
{
	const u64 sd = RXH_IP_SRC | RXH_IP_DST;
	const u64 sdfn = sd | RXH_L4_B_0_1 | RXH_L4_B_2_3;
	u32 ip, l4, ctrl = ad->rss_ctrl;

	if (!qv_flow_rss_bits(nfc->flow_type, &ip, &l4))
		return -EINVAL;
	if (nfc->data == sdfn && l4)
		ctrl |= ip | l4;
	else if (nfc->data == sd)
		ctrl = (ctrl & ~l4) | ip;
	else if (!nfc->data && !l4)
		ctrl &= ~ip;
	else
		return -EINVAL;
	ad->rss_ctrl = ctrl;
	if (qv_live(ad->netdev))
		qv_wr32(ad->hw, QV_FN_RSS_CTRL, ctrl);
	return 0;
}

static int qv_get_rxnfc(struct net_device *netdev, struct ethtool_rxnfc *nfc,
			u32 *rule_locs)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	switch (nfc->cmd) {
	case ETHTOOL_GRXRINGS:
		nfc->data = ad->req_qp;
		return 0;
	case ETHTOOL_GRXFH:
		return qv_get_rxfh_fields(ad, nfc);
	default:
		return -EOPNOTSUPP;
	}
}

static int qv_set_rxnfc(struct net_device *netdev, struct ethtool_rxnfc *nfc)
{
	if (nfc->cmd != ETHTOOL_SRXFH)
		return -EOPNOTSUPP;
	return qv_set_rxfh_fields(netdev_priv(netdev), nfc);
}

/* Register dump: the per-function block up to the stats, then the stats. */
#define QV_REGS_BLOCK	0x200
#define QV_REGS_LEN	(QV_REGS_BLOCK + QV_NUM_STATS * 8)

static int qv_get_regs_len(struct net_device *netdev)
{
	return QV_REGS_LEN;
}

/* Only registers the contract defines as readable; the rest read as 0. */
static bool qv_reg_readable(u32 off)
{
	if (off <= QV_FN_RX_FILTER || off == QV_FN_INT_CAUSE ||
	    off == QV_FN_INT_MASK || off == QV_FN_MISC_CAUSE)
		return true;
	if (off >= QV_FN_ITR(0) && off <= QV_FN_ITR(QV_VEC_MISC))
		return true;
	if (off >= QV_FN_MC_LO(0) && off < QV_FN_MC_LO(QV_MC_ENTRIES))
		return true;
	if (off >= QV_FN_RX_BASE_LO && off <= QV_FN_RX_BUF_SIZE)
		return true;
	if (off >= QV_FN_TX_BASE_LO && off <= QV_FN_TX_TAIL)
		return true;
	return off == QV_FN_MBX_CTRL ||
	       (off >= QV_FN_MBX_MEM(0) && off < QV_FN_MBX_MEM(QV_MBX_WORDS));
}

static void qv_get_regs(struct net_device *netdev, struct ethtool_regs *regs,
			void *p)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u32 *buf = p;
	u32 off;

	regs->version = QV_CONTRACT_VERSION << 16 | ad->pdev->revision;
	memset(p, 0, QV_REGS_LEN);
	for (off = 0; off < QV_REGS_BLOCK; off += 4)
		if (qv_reg_readable(off))
			buf[off / 4] = qv_rd32(ad->hw, off);
	for (off = 0; off < QV_NUM_STATS * 8; off += 4)
		buf[(QV_REGS_BLOCK + off) / 4] =
			qv_rd32(ad->hw, QV_FN_STATS + off);
}

/* Per queue pair in ethtool -S: rx_qN_packets/bytes, tx_qN_packets/bytes. */
#define QV_QP_STATS	4

static int qv_get_sset_count(struct net_device *netdev, int sset)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	switch (sset) {
	case ETH_SS_STATS:
		return qv_n_hw_stats(ad) + QV_SW_NUM +
		       ad->max_qp * QV_QP_STATS;
	case ETH_SS_TEST:
		/* The loopback test is the PF's (the hairpin is set there). */
		return ad->pf ? QV_TEST_NUM : QV_TEST_LOOP;
	default:
		return -EOPNOTSUPP;
	}
}

static void qv_get_strings(struct net_device *netdev, u32 sset, u8 *data)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	unsigned int i;

	if (sset == ETH_SS_TEST) {
		memcpy(data, qv_test_names,
		       qv_get_sset_count(netdev, sset) * ETH_GSTRING_LEN);
		return;
	}
	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < qv_n_hw_stats(ad); i++) {
		memcpy(data, qv_hw_stats[i].name, ETH_GSTRING_LEN);
		data += ETH_GSTRING_LEN;
	}
	memcpy(data, qv_sw_stat_names, sizeof(qv_sw_stat_names));
	data += sizeof(qv_sw_stat_names);
	for (i = 0; i < ad->max_qp; i++) {
		ethtool_sprintf(&data, "rx_q%u_packets", i);
		ethtool_sprintf(&data, "rx_q%u_bytes", i);
		ethtool_sprintf(&data, "tx_q%u_packets", i);
		ethtool_sprintf(&data, "tx_q%u_bytes", i);
	}
}

/* One queue pair's software counters, added into @sw; its own to @qs. */
static void qv_qp_stats(struct qv_qpair *qp, u64 *sw, u64 *qs)
{
	struct qv_tx_ring *tx = &qp->tx;
	struct qv_rx_ring *rx = &qp->rx;
	unsigned int start;
	u64 v[QV_SW_NUM] = { 0 }, q[QV_QP_STATS];
	int i;

	do {
		start = u64_stats_fetch_begin(&tx->syncp);
		v[QV_SW_TX_RESTART] = tx->restart_queue;
		v[QV_SW_TX_BUSY] = tx->busy;
		v[QV_SW_TX_CSUM] = tx->csum;
		v[QV_SW_TX_TSO] = tx->tso;
		v[QV_SW_TX_XDP_XMIT] = tx->xdp_xmit;
		v[QV_SW_TX_XDP_XMIT_ERR] = tx->xdp_xmit_err;
	} while (u64_stats_fetch_retry(&tx->syncp, start));
	do {
		start = u64_stats_fetch_begin(&tx->cp_syncp);
		v[QV_SW_TX_RESTART] += tx->wake_queue;
		v[QV_SW_TX_ERR_FRAMES] = tx->err_frames;
		q[2] = tx->packets;
		q[3] = tx->bytes;
	} while (u64_stats_fetch_retry(&tx->cp_syncp, start));
	do {
		start = u64_stats_fetch_begin(&rx->syncp);
		v[QV_SW_RX_ALLOC_FAIL] = rx->alloc_fail;
		v[QV_SW_RX_FRAME_ERR] = rx->frame_err;
		v[QV_SW_RX_RUNT] = rx->runt;
		v[QV_SW_RX_GSO] = rx->gso_frames;
		v[QV_SW_RX_CSUM_OK] = rx->csum_ok;
		v[QV_SW_RX_CSUM_NONE] = rx->csum_none;
		v[QV_SW_RX_VLAN_STRIP] = rx->vlan_strip;
		v[QV_SW_RX_COPYBREAK] = rx->copybreak;
		v[QV_SW_RX_XDP_DROP] = rx->xdp_drop;
		v[QV_SW_RX_XDP_TX] = rx->xdp_tx;
		v[QV_SW_RX_XDP_REDIRECT] = rx->xdp_redirect;
		v[QV_SW_RX_XDP_ABORTED] = rx->xdp_aborted;
		q[0] = rx->packets;
		q[1] = rx->bytes;
	} while (u64_stats_fetch_retry(&rx->syncp, start));
	for (i = 0; i < QV_SW_NUM; i++)
		sw[i] += v[i];
	memcpy(qs, q, sizeof(q));
}

static void qv_get_ethtool_stats(struct net_device *netdev,
				 struct ethtool_stats *stats, u64 *data)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u64 sw[QV_SW_NUM] = { 0 }, qs[QV_NUM_QUEUES][QV_QP_STATS];
	unsigned int i;

	for (i = 0; i < qv_n_hw_stats(ad); i++) {
		if (qv_hw_stats[i].pf_only)
			*data++ = qv_rd64(ad->hw, QV_FN_STAT(qv_hw_stats[i].idx));
		else
			*data++ = qv_hw_stat(ad, qv_hw_stats[i].idx);
	}
	for (i = 0; i < QV_NUM_QUEUES; i++)
		qv_qp_stats(&ad->qp[i], sw, qs[i]);
	sw[QV_SW_TX_TIMEOUTS] = ad->tx_timeouts;
	sw[QV_SW_RESETS] = ad->resets;
	memcpy(data, sw, sizeof(sw));
	data += QV_SW_NUM;
	memcpy(data, qs, ad->max_qp * sizeof(qs[0]));
}

static u32 qv_get_msglevel(struct net_device *netdev)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	return ad->msg_enable;
}

static void qv_set_msglevel(struct net_device *netdev, u32 level)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	ad->msg_enable = level;
}

/*
 * "ethtool --reset DEV dedicated" (or any of irq, dma, filter, offload,
 * mac): a function reset, which touches this function only.
 */
#define QV_ETH_RESET_FN	(ETH_RESET_IRQ | ETH_RESET_DMA | ETH_RESET_FILTER | \
			 ETH_RESET_OFFLOAD | ETH_RESET_MAC)

static int qv_reset(struct net_device *netdev, u32 *flags)
{
	struct qv_adapter *ad = netdev_priv(netdev);

	if (!(*flags & QV_ETH_RESET_FN))
		return -EOPNOTSUPP;
	netif_info(ad, drv, netdev, "function reset requested\n");
	qv_reinit_locked(ad);
	*flags &= ~QV_ETH_RESET_FN;
	return 0;
}

static const struct ethtool_ops qv_ethtool_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_USECS,
	.supported_ring_params = ETHTOOL_RING_USE_RX_BUF_LEN,
	.get_drvinfo = qv_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_link_ksettings = qv_get_link_ksettings,
	.get_ringparam = qv_get_ringparam,
	.set_ringparam = qv_set_ringparam,
	.get_coalesce = qv_get_coalesce,
	.set_coalesce = qv_set_coalesce,
	.get_channels = qv_get_channels,
	.set_channels = qv_set_channels,
	.get_rxfh_key_size = qv_get_rxfh_key_size,
	.get_rxfh_indir_size = qv_get_rxfh_indir_size,
	.get_rxfh = qv_get_rxfh,
	.set_rxfh = qv_set_rxfh,
	.get_rxnfc = qv_get_rxnfc,
	.set_rxnfc = qv_set_rxnfc,
	.get_regs_len = qv_get_regs_len,
	.get_regs = qv_get_regs,
	.get_sset_count = qv_get_sset_count,
	.get_strings = qv_get_strings,
	.get_ethtool_stats = qv_get_ethtool_stats,
	.get_msglevel = qv_get_msglevel,
	.set_msglevel = qv_set_msglevel,
	.reset = qv_reset,
	.self_test = qv_self_test,
};

void qv_set_ethtool_ops(struct net_device *netdev)
{
	netdev->ethtool_ops = &qv_ethtool_ops;
#ifdef QV_HAVE_NETDEV_STAT_OPS
	netdev->stat_ops = &qv_stat_ops;
#endif
}
