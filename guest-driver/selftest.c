// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: ethtool -t (self-test).
 *
 *   register   the identity registers, the misc vector's moderation
 *              written and read back (then restored), and MTUs out of
 *              range refused;
 *   interrupt  the misc vector fires: on a VF, a mailbox round trip to
 *              the PF (QV_MSG_PING); on the PF, its own link state set
 *              and set back (QV_MISC_LINK);
 *   loopback   PF, offline: a frame sent to the PF's own MAC comes back
 *              through the device's VEB (QV_MGF_LOOPBACK, the hairpin)
 *              into the RX ring, byte for byte. The netdev is closed for
 *              the test and opened again;
 *   scatter    the same frame in three buffers, the middle one empty (an
 *              empty fragment must take no descriptor: the device drops a
 *              frame with a zero-length one);
 *   doorbell   a frame sent with xmit_more, whose doorbell is deferred,
 *              then a frame the driver drops (longer than QV_TX_MAX_FRAME):
 *              the drop must ring the doorbell for the first one.
 * The last three share the loopback set-up. A test that fails reports 1
 * in its slot.
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>

#include "qosvnic.h"

const char qv_test_names[QV_TEST_NUM][ETH_GSTRING_LEN] = {
	"register test  (online)",
	"interrupt test (online)",
	"loopback test  (offline)",
	"scatter test   (offline)",
	"doorbell test  (offline)",
};

#define QV_TEST_ETYPE	0x88b5		/* IEEE local experimental */
#define QV_TEST_LEN	256
#define QV_TEST_HEAD	64		/* the scatter test's linear part */
/* The doorbell test's dropped frame: whole pages past QV_TX_MAX_FRAME. */
#define QV_TEST_BIG_FRAGS	(QV_TX_MAX_FRAME / PAGE_SIZE + 1)

static int qv_test_reg(struct qv_adapter *ad)
{
	static const u32 pat[] = { 0, 0x5555, 0xaaaa, QV_ITR_MAX_US };
	u32 itr = qv_rd32(ad->hw, QV_FN_ITR(QV_VEC_MISC));
	u32 mtu = qv_rd32(ad->hw, QV_FN_MTU);
	int i, bad = 0;

	if (qv_rd32(ad->hw, QV_FN_ID) != QV_ID_MAGIC ||
	    qv_rd32(ad->hw, QV_FN_VERSION) != QV_CONTRACT_VERSION)
		return 1;
	for (i = 0; i < ARRAY_SIZE(pat); i++) {
		qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_MISC), pat[i]);
		bad |= qv_rd32(ad->hw, QV_FN_ITR(QV_VEC_MISC)) != pat[i];
	}
	qv_wr32(ad->hw, QV_FN_ITR(QV_VEC_MISC), itr);
	/*
	 * An MTU out of range is refused and leaves the old one. The test
	 * runs online, where any other MTU would drop the traffic's frames:
	 * only the one in use is written back.
	 */
	qv_wr32(ad->hw, QV_FN_MTU, QV_MTU_MAX + 1);
	bad |= qv_rd32(ad->hw, QV_FN_MTU) != mtu;
	qv_wr32(ad->hw, QV_FN_MTU, QV_MTU_MIN - 1);
	bad |= qv_rd32(ad->hw, QV_FN_MTU) != mtu;
	qv_wr32(ad->hw, QV_FN_MTU, mtu);
	bad |= qv_rd32(ad->hw, QV_FN_MTU) != mtu;
	if (bad)
		netdev_err(ad->netdev, "self-test: register test failed\n");
	return bad;
}

static bool qv_test_wait_irq(struct qv_adapter *ad, int before)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (atomic_read(&ad->test_irqs) != before)
			return true;
		usleep_range(1000, 2000);
	}
	return false;
}

static int qv_test_irq(struct qv_adapter *ad)
{
	int before = atomic_read(&ad->test_irqs);
	void __iomem *mg;
	u32 flags;

	if (!ad->pf) {
		if (qv_vf_mbx_ping(ad))
			return 1;
		return !qv_test_wait_irq(ad, before);
	}
	mg = qv_mgmt(ad->pf, 0);
	mutex_lock(&ad->pf->cfg_lock);
	flags = qv_rd32(mg, QV_MG_FLAGS);
	qv_wr32(mg, QV_MG_FLAGS, (flags & ~QV_MGF_LINK_MASK) |
		QV_LINK_ENABLE << QV_MGF_LINK_SHIFT);
	qv_wr32(mg, QV_MG_FLAGS, flags);
	mutex_unlock(&ad->pf->cfg_lock);
	return !qv_test_wait_irq(ad, before);
}

/* The test frame: to and from our own MAC, a known pattern. */
static struct sk_buff *qv_test_skb(struct qv_adapter *ad)
{
	struct sk_buff *skb = netdev_alloc_skb(ad->netdev, QV_TEST_LEN);
	struct ethhdr *eth;
	u8 *p;
	int i;

	if (!skb)
		return NULL;
	eth = skb_put(skb, sizeof(*eth));
	ether_addr_copy(eth->h_dest, ad->netdev->dev_addr);
	ether_addr_copy(eth->h_source, ad->netdev->dev_addr);
	eth->h_proto = htons(QV_TEST_ETYPE);
	p = skb_put(skb, QV_TEST_LEN - sizeof(*eth));
	for (i = 0; i < QV_TEST_LEN - sizeof(*eth); i++)
		p[i] = i * 7 + 'q';
	return skb;
}

/*
 * Poll the RX ring for the next frame; true if it came back as @skb (a
 * linear one). The slot is passed over, not refilled: the rings are freed
 * after the tests.
 */
static bool qv_test_rx(struct qv_adapter *ad, const struct sk_buff *skb)
{
	struct qv_rx_ring *rx = &ad->qp[0].rx;
	struct qv_rx_desc *desc = &rx->desc[rx->next_to_clean];
	struct page *page = rx->pages[rx->next_to_clean];
	u16 status, len;
	int i;

	for (i = 0; i < 200; i++) {
		status = le16_to_cpu(READ_ONCE(desc->status));
		if (status & QV_RXD_STA_DD)
			break;
		usleep_range(500, 1000);
	}
	if (!(status & QV_RXD_STA_DD) || !page)
		return false;
	rx->next_to_clean = qv_next(rx->next_to_clean, rx->count);
	dma_rmb();	/* the write-back after DD */
	len = le16_to_cpu(desc->len);
	dma_sync_single_range_for_cpu(&ad->pdev->dev,
				      page_pool_get_dma_addr(page),
				      rx->headroom, len,
				      page_pool_get_dma_dir(rx->pp));
	return (status & QV_RXD_STA_EOP) && (status & QV_RXD_STA_LOOPBACK) &&
	       len == skb->len &&
	       !memcmp(page_address(page) + rx->headroom, skb->data, len);
}

/* Send @skb (consumed) and expect it back byte for byte. */
static int qv_test_echo(struct qv_adapter *ad, struct sk_buff *skb)
{
	struct sk_buff *copy = skb_copy(skb, GFP_KERNEL);	/* linear */
	int bad = 1;

	if (!copy)
		kfree_skb(skb);
	else if (qv_xmit_test(ad, skb) == NETDEV_TX_OK)
		bad = !qv_test_rx(ad, copy);
	kfree_skb(copy);
	return bad;
}

static int qv_test_linear(struct qv_adapter *ad)
{
	struct sk_buff *skb = qv_test_skb(ad);
	int bad = skb ? qv_test_echo(ad, skb) : 1;

	if (bad)
		netdev_err(ad->netdev, "self-test: loopback test failed\n");
	return bad;
}

/* Append @len bytes of @page at @off to @skb's fragments (a reference). */
static void qv_test_add_frag(struct sk_buff *skb, struct page *page,
			     unsigned int off, unsigned int len)
{
	get_page(page);
	skb_fill_page_desc(skb, skb_shinfo(skb)->nr_frags, page, off, len);
	skb->len += len;
	skb->data_len += len;
	skb->truesize += len;
}

/*
 * The test frame in three buffers: QV_TEST_HEAD bytes in the linear part,
 * an empty fragment, then the rest in a page.
 */
static int qv_test_scatter(struct qv_adapter *ad)
{
	struct sk_buff *skb = qv_test_skb(ad), *sg = NULL;
	unsigned int rest = QV_TEST_LEN - QV_TEST_HEAD;
	struct page *page = alloc_page(GFP_KERNEL);
	int bad = 1;

	if (skb && page)
		sg = netdev_alloc_skb(ad->netdev, QV_TEST_HEAD);
	if (sg) {
		skb_put_data(sg, skb->data, QV_TEST_HEAD);
		memcpy(page_address(page), skb->data + QV_TEST_HEAD, rest);
		qv_test_add_frag(sg, page, 0, 0);
		qv_test_add_frag(sg, page, 0, rest);
		bad = qv_test_echo(ad, sg);
	}
	if (page)
		put_page(page);
	kfree_skb(skb);
	if (bad)
		netdev_err(ad->netdev, "self-test: scatter test failed\n");
	return bad;
}

/* A frame the driver must drop: the test frame's header, then zeroes. */
static struct sk_buff *qv_test_big_skb(struct qv_adapter *ad)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct sk_buff *skb = qv_test_skb(ad);
	int i;

	BUILD_BUG_ON(QV_TEST_BIG_FRAGS > MAX_SKB_FRAGS);
	if (skb && page) {
		skb_trim(skb, ETH_HLEN);
		for (i = 0; i < QV_TEST_BIG_FRAGS; i++)
			qv_test_add_frag(skb, page, 0, PAGE_SIZE);
	} else {
		kfree_skb(skb);
		skb = NULL;
	}
	if (page)
		put_page(page);
	return skb;
}

/* BQL's minimum limit of @txq, which the doorbell test raises. */
static unsigned int qv_test_dql_min(struct netdev_queue *txq)
{
#ifdef CONFIG_BQL
	return txq->dql.min_limit;
#else
	return 0;
#endif
}

/*
 * A frame queued with xmit_more must wait for the doorbell, and a dropped
 * frame that ends the batch must ring it. Both go through ndo_start_xmit as
 * the stack sends a batch. The queue must be running for xmit_more to defer
 * anything: so it is started, and BQL, whose limit is 0 after a reset, is
 * given room for the frame.
 */
static int qv_test_doorbell(struct qv_adapter *ad)
{
	struct netdev_queue *txq = netdev_get_tx_queue(ad->netdev, 0);
	unsigned int dql_min = qv_test_dql_min(txq);
	bool stopped = netif_tx_queue_stopped(txq);
	struct qv_tx_ring *tx = &ad->qp[0].tx;
	u32 tail_reg = qv_q_reg(0, QV_Q_TX_TAIL);
	struct sk_buff *skb, *big, *copy = NULL;
	u64 dropped = tx->dropped;
	bool deferred = false;
	u32 tail, after, ntu;
	unsigned long state;
	int bad = 1;

	skb = qv_test_skb(ad);
	big = qv_test_big_skb(ad);
	if (skb && big)
		copy = skb_copy(skb, GFP_KERNEL);
	if (!copy) {
		kfree_skb(skb);
		kfree_skb(big);
		goto out;
	}
	/*
	 * The netdev is still up for the stack, which sends on the queue as
	 * soon as it runs: the queue runs, and BQL's state and the tail are
	 * read, only under the lock that keeps the stack's frames out.
	 */
	__netif_tx_lock_bh(txq);
	netdev_queue_set_dql_min_limit(txq, QV_TX_MAX_FRAME);
	netdev_tx_reset_queue(txq);
	/*
	 * dql_reset() leaves adj_limit, the limit that dql_avail() reads, as
	 * the last completion set it: after a reopen and a few small frames,
	 * less than one test frame, so BQL stopped the queue and the driver
	 * rightly rang. A pretend frame sent and completed sets it from the
	 * new minimum.
	 */
	netdev_tx_sent_queue(txq, QV_TX_MAX_FRAME);
	netdev_tx_completed_queue(txq, 1, QV_TX_MAX_FRAME);
	netif_tx_start_queue(txq);
	tail = qv_rd32(ad->hw, tail_reg);
	ntu = tx->next_to_use;
	if (netdev_start_xmit(skb, ad->netdev, txq, true) != NETDEV_TX_OK)
		kfree_skb(skb);
	after = qv_rd32(ad->hw, tail_reg);
	state = READ_ONCE(txq->state);
	deferred = after == tail;
	/* Dropped and freed by the driver: NETDEV_TX_OK. */
	netdev_start_xmit(big, ad->netdev, txq, false);
	if (stopped)
		netif_tx_stop_queue(txq);
	__netif_tx_unlock_bh(txq);

	netdev_queue_set_dql_min_limit(txq, dql_min);
	if (!deferred)
		/* What rang it: the queue's state and the ring say. */
		netdev_err(ad->netdev,
			   "self-test: xmit_more did not defer the doorbell (tail %u -> %u, next_to_use %u -> %u, %u unused, queue state %#lx)\n",
			   tail, after, ntu, tx->next_to_use, qv_tx_unused(tx),
			   state);
	else if (tx->dropped != dropped + 1)
		netdev_err(ad->netdev, "self-test: the long frame was not dropped\n");
	else
		bad = !qv_test_rx(ad, copy);
	kfree_skb(copy);
out:
	if (bad)
		netdev_err(ad->netdev, "self-test: doorbell test failed\n");
	return bad;
}

/*
 * Rings up, RX and TX on, interrupts masked, the hairpin on: the RX ring
 * is polled for the frames sent to our own MAC.
 */
static void qv_test_loopback(struct qv_adapter *ad, u64 *data)
{
	void __iomem *mg = qv_mgmt(ad->pf, 0);
	u32 flags;

	data[QV_TEST_LOOP] = 1;
	data[QV_TEST_SCATTER] = 1;
	data[QV_TEST_DOORBELL] = 1;
	if (qv_rings_alloc(ad))
		return;
	qv_wr32(ad->hw, QV_FN_MTU, ad->netdev->mtu);
	qv_wr32(ad->hw, QV_FN_OFFLOADS, 0);
	qv_rings_hw_setup(ad);
	mutex_lock(&ad->pf->cfg_lock);
	qv_write_mac(ad, ad->netdev->dev_addr);
	flags = qv_rd32(mg, QV_MG_FLAGS);
	qv_wr32(mg, QV_MG_FLAGS, (flags & ~QV_MGF_LINK_MASK) | QV_MGF_LOOPBACK |
		QV_LINK_ENABLE << QV_MGF_LINK_SHIFT);
	mutex_unlock(&ad->pf->cfg_lock);
	qv_wr32(ad->hw, QV_FN_CTRL, QV_CTRL_RX_EN | QV_CTRL_TX_EN);

	data[QV_TEST_LOOP] = qv_test_linear(ad);
	data[QV_TEST_SCATTER] = qv_test_scatter(ad);
	data[QV_TEST_DOORBELL] = qv_test_doorbell(ad);

	qv_wr32(ad->hw, QV_FN_CTRL, 0);
	qv_rd32(ad->hw, QV_FN_STATUS);	/* flush: no DMA after this */
	mutex_lock(&ad->pf->cfg_lock);
	qv_wr32(mg, QV_MG_FLAGS, flags);
	mutex_unlock(&ad->pf->cfg_lock);
	/* as qv_stop() does: no ring address outlives its memory */
	qv_rings_hw_clear(ad);
	qv_rings_clean(ad);
	qv_rings_free(ad);
	qv_function_reset(ad);
	qv_function_restore(ad);
}

void qv_self_test(struct net_device *netdev, struct ethtool_test *eth_test,
		  u64 *data)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	bool offline = eth_test->flags & ETH_TEST_FL_OFFLINE;
	bool running = qv_live(netdev);
	int n = ad->pf ? QV_TEST_NUM : QV_TEST_LOOP;

	memset(data, 0, n * sizeof(*data));
	data[QV_TEST_REG] = qv_test_reg(ad);
	data[QV_TEST_IRQ] = qv_test_irq(ad);
	if (ad->pf && offline &&
	    ad->pf->esw_mode != DEVLINK_ESWITCH_MODE_LEGACY) {
		/* The hairpin is the VEB's: not run, not failed. */
		netdev_info(netdev, "self-test: loopback needs eswitch mode legacy\n");
	} else if (ad->pf && offline) {
		netif_info(ad, hw, netdev, "offline self-test: closing\n");
		if (running)
			qv_stop(netdev);
		set_bit(QV_S_SELFTEST, &ad->state);
		qv_test_loopback(ad, data);
		clear_bit(QV_S_SELFTEST, &ad->state);
		if (running && qv_open(netdev)) {
			netdev_err(netdev, "reopen after the self-test failed\n");
			dev_close(netdev);
		}
	}
	/* Otherwise the loopback tests are not run, and not failed. */
	while (n--)
		if (data[n])
			eth_test->flags |= ETH_TEST_FL_FAILED;
}
