// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: ethtool -t (self-test).
 *
 *   register   the identity registers, and the interrupt moderation and
 *              MTU registers written and read back (then restored);
 *   interrupt  the misc vector fires: on a VF, a mailbox round trip to
 *              the PF (QV_MSG_PING); on the PF, its own link state set
 *              and set back (QV_MISC_LINK);
 *   loopback   PF, offline: a frame sent to the PF's own MAC comes back
 *              through the device's VEB (QV_MGF_LOOPBACK, the hairpin)
 *              into the RX ring, byte for byte. The netdev is closed for
 *              the test and opened again.
 * A test that fails reports 1 in its slot.
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>

#include "qosvnic.h"

const char qv_test_names[QV_TEST_NUM][ETH_GSTRING_LEN] = {
	"register test  (online)",
	"interrupt test (online)",
	"loopback test  (offline)",
};

#define QV_TEST_ETYPE	0x88b5		/* IEEE local experimental */
#define QV_TEST_LEN	256

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
	/* An MTU out of range is refused and leaves the old one. */
	qv_wr32(ad->hw, QV_FN_MTU, QV_MTU_MAX + 1);
	bad |= qv_rd32(ad->hw, QV_FN_MTU) != mtu;
	qv_wr32(ad->hw, QV_FN_MTU, QV_MTU_MIN);
	bad |= qv_rd32(ad->hw, QV_FN_MTU) != QV_MTU_MIN;
	qv_wr32(ad->hw, QV_FN_MTU, mtu);
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

/* Poll the RX ring for the frame; true if it came back unchanged. */
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

/* Rings up, RX and TX on, interrupts masked: the ring is polled. */
static int qv_test_loopback(struct qv_adapter *ad)
{
	void __iomem *mg = qv_mgmt(ad->pf, 0);
	struct sk_buff *skb, *copy;
	u32 flags, lo, hi;
	int bad = 1;

	if (qv_rings_alloc(ad))
		return 1;
	qv_mac_to_regs(ad->netdev->dev_addr, &lo, &hi);
	qv_wr32(mg, QV_MG_MAC_LO, lo);
	qv_wr32(mg, QV_MG_MAC_HI, hi);
	qv_wr32(ad->hw, QV_FN_MTU, ad->netdev->mtu);
	qv_wr32(ad->hw, QV_FN_OFFLOADS, 0);
	qv_rings_hw_setup(ad);
	mutex_lock(&ad->pf->cfg_lock);
	flags = qv_rd32(mg, QV_MG_FLAGS);
	qv_wr32(mg, QV_MG_FLAGS, (flags & ~QV_MGF_LINK_MASK) | QV_MGF_LOOPBACK |
		QV_LINK_ENABLE << QV_MGF_LINK_SHIFT);
	mutex_unlock(&ad->pf->cfg_lock);
	qv_wr32(ad->hw, QV_FN_CTRL, QV_CTRL_RX_EN | QV_CTRL_TX_EN);

	skb = qv_test_skb(ad);
	copy = skb ? skb_copy(skb, GFP_KERNEL) : NULL;
	if (skb && copy && qv_xmit_test(ad, skb) == NETDEV_TX_OK) {
		skb = NULL;	/* the ring has it */
		bad = !qv_test_rx(ad, copy);
	}
	kfree_skb(skb);
	kfree_skb(copy);

	qv_wr32(ad->hw, QV_FN_CTRL, 0);
	qv_rd32(ad->hw, QV_FN_STATUS);	/* flush: no DMA after this */
	mutex_lock(&ad->pf->cfg_lock);
	qv_wr32(mg, QV_MG_FLAGS, flags);
	mutex_unlock(&ad->pf->cfg_lock);
	qv_rings_clean(ad);
	qv_rings_free(ad);
	qv_function_reset(ad);
	qv_function_restore(ad);
	if (bad)
		netdev_err(ad->netdev, "self-test: loopback test failed\n");
	return bad;
}

void qv_self_test(struct net_device *netdev, struct ethtool_test *eth_test,
		  u64 *data)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	bool offline = eth_test->flags & ETH_TEST_FL_OFFLINE;
	bool running = netif_running(netdev);
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
		data[QV_TEST_LOOP] = qv_test_loopback(ad);
		clear_bit(QV_S_SELFTEST, &ad->state);
		if (running && qv_open(netdev)) {
			netdev_err(netdev, "reopen after the self-test failed\n");
			dev_close(netdev);
		}
	} else if (ad->pf) {
		/* The loopback test is offline only: not run, not failed. */
		data[QV_TEST_LOOP] = 0;
	}
	while (n--)
		if (data[n])
			eth_test->flags |= ETH_TEST_FL_FAILED;
}
