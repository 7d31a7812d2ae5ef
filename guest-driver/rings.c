// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: descriptor rings, NAPI, RX through page_pool, TX with BQL.
 *
 * One NAPI context per queue pair; pair 0's RX and TX vectors both
 * schedule it, pairs 1.. have one vector each. TX completions are cleaned
 * first and do not count against the budget. XDP: xdp.c.
 */
#include <linux/dma-mapping.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netpoll.h>
#include <linux/tcp.h>
#include <net/ip.h>

#include "qosvnic.h"

static u32 qv_rx_unused(struct qv_rx_ring *rx)
{
	u32 ntc = rx->next_to_clean, ntu = rx->next_to_use;

	return (ntc > ntu ? 0 : rx->count) + ntc - ntu - 1;
}

/* ------------------------------------------------------- setup/teardown */
/*
 * The page order of the RX buffers: page-sized with XDP (a frame must fit
 * one buffer, and XDP's frame is a page); else the smallest order whose
 * buffer holds what ethtool -G rx-buf-len asked for; by default
 * QV_RX_ORDER_LARGE with large receive on and a page with it off (a
 * forwarding or bridged port: MTU-sized frames then need no copy).
 */
u32 qv_rx_order(const struct qv_adapter *ad, bool xdp)
{
	u32 order;

	if (xdp)
		return 0;
	if (!ad->rx_buf_req)
		return ad->netdev->features & NETIF_F_LRO ?
		       QV_RX_ORDER_LARGE : 0;
	for (order = 0; order < QV_RX_ORDER_LARGE; order++)
		if (QV_RX_BUF_LEN_ORDER(order, QV_RX_HEADROOM) >=
		    ad->rx_buf_req)
			break;
	return order;
}

static int qv_qp_alloc(struct qv_qpair *qp)
{
	struct qv_adapter *ad = qp->ad;
	struct device *dev = &ad->pdev->dev;
	struct qv_tx_ring *tx = &qp->tx;
	struct qv_rx_ring *rx = &qp->rx;
	bool xdp = READ_ONCE(ad->xdp_prog);
	struct page_pool_params pp = {
		.flags = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
		.order = qv_rx_order(ad, xdp),
		.nid = dev_to_node(dev),
		.dev = dev,
		/* XDP_TX sends from the page it received into */
		.dma_dir = xdp ? DMA_BIDIRECTIONAL : DMA_FROM_DEVICE,
	};

	tx->count = ad->tx_count;
	tx->desc = dma_alloc_coherent(dev, tx->count * QV_TXD_SIZE, &tx->dma,
				      GFP_KERNEL);
	tx->buf = kcalloc(tx->count, sizeof(*tx->buf), GFP_KERNEL);
	rx->count = ad->rx_count;
	rx->desc = dma_alloc_coherent(dev, rx->count * QV_RXD_SIZE, &rx->dma,
				      GFP_KERNEL);
	rx->pages = kcalloc(rx->count, sizeof(*rx->pages), GFP_KERNEL);
	if (!tx->desc || !tx->buf || !rx->desc || !rx->pages)
		return -ENOMEM;

	rx->headroom = xdp ? QV_RX_HEADROOM_XDP : QV_RX_HEADROOM;
	rx->buf_len = QV_RX_BUF_LEN_ORDER(pp.order, rx->headroom);
	rx->truesize = PAGE_SIZE << pp.order;
	rx->copybreak_len = pp.order ? QV_RX_COPYBREAK_LARGE : QV_RX_COPYBREAK;
	pp.offset = rx->headroom;
	pp.max_len = rx->buf_len;
	pp.pool_size = rx->count;
	rx->pp = page_pool_create(&pp);
	if (IS_ERR(rx->pp)) {
		netdev_err(ad->netdev, "page_pool_create failed: %ld\n",
			   PTR_ERR(rx->pp));
		rx->pp = NULL;
		return -ENOMEM;
	}
	if (xdp_rxq_info_reg(&rx->xdp_rxq, ad->netdev, qp->idx,
			     qp->napi.napi_id) ||
	    xdp_rxq_info_reg_mem_model(&rx->xdp_rxq, MEM_TYPE_PAGE_POOL,
				       rx->pp))
		return -ENOMEM;
	tx->next_to_use = 0;
	tx->next_to_clean = 0;
	rx->next_to_use = 0;
	rx->next_to_clean = 0;
	rx->skb = NULL;
	memset(&rx->first, 0, sizeof(rx->first));
	u64_stats_init(&tx->syncp);
	u64_stats_init(&tx->cp_syncp);
	u64_stats_init(&rx->syncp);
	return 0;
}

/* The rings of the ad->num_qp queue pairs. */
int qv_rings_alloc(struct qv_adapter *ad)
{
	u16 q;

	for (q = 0; q < ad->num_qp; q++) {
		if (qv_qp_alloc(&ad->qp[q])) {
			qv_rings_free(ad);
			return -ENOMEM;
		}
	}
	return 0;
}

static void qv_qp_free(struct qv_qpair *qp)
{
	struct device *dev = &qp->ad->pdev->dev;
	struct qv_tx_ring *tx = &qp->tx;
	struct qv_rx_ring *rx = &qp->rx;

	if (xdp_rxq_info_is_reg(&rx->xdp_rxq))
		xdp_rxq_info_unreg(&rx->xdp_rxq);
	if (rx->pp)
		page_pool_destroy(rx->pp);
	rx->pp = NULL;
	kfree(rx->pages);
	rx->pages = NULL;
	if (rx->desc)
		dma_free_coherent(dev, rx->count * QV_RXD_SIZE, rx->desc,
				  rx->dma);
	rx->desc = NULL;
	kfree(tx->buf);
	tx->buf = NULL;
	if (tx->desc)
		dma_free_coherent(dev, tx->count * QV_TXD_SIZE, tx->desc,
				  tx->dma);
	tx->desc = NULL;
}

void qv_rings_free(struct qv_adapter *ad)
{
	u16 q;

	for (q = 0; q < QV_NUM_QUEUES; q++)
		qv_qp_free(&ad->qp[q]);
}

/* Returns false if a page could not be had; the caller must try again. */
static bool qv_rx_refill(struct qv_qpair *qp)
{
	struct qv_rx_ring *rx = &qp->rx;
	u32 n = qv_rx_unused(rx);
	u32 i = rx->next_to_use;
	struct qv_rx_desc *desc;
	struct page *page;
	bool ok = true;

	while (n--) {
		page = page_pool_dev_alloc_pages(rx->pp);
		if (unlikely(!page)) {
			u64_stats_update_begin(&rx->syncp);
			rx->alloc_fail++;
			u64_stats_update_end(&rx->syncp);
			ok = false;
			break;
		}
		rx->pages[i] = page;
		desc = &rx->desc[i];
		desc->addr = cpu_to_le64(page_pool_get_dma_addr(page) +
					 rx->headroom);
		desc->len = 0;
		desc->status = 0;
		desc->vlan = 0;
		desc->gso_size = 0;
		i = qv_next(i, rx->count);
	}
	if (i != rx->next_to_use) {
		rx->next_to_use = i;
		/* writel() orders the descriptor stores before the doorbell */
		qv_wr32(qp->ad->hw, qv_q_reg(qp->idx, QV_Q_RX_TAIL), i);
	}
	return ok;
}

static void qv_qp_hw_setup(struct qv_qpair *qp)
{
	struct qv_adapter *ad = qp->ad;
	struct qv_tx_ring *tx = &qp->tx;
	struct qv_rx_ring *rx = &qp->rx;
	u16 q = qp->idx;
	u32 head;

	qv_wr32(ad->hw, qv_q_reg(q, QV_Q_TX_BASE_LO), lower_32_bits(tx->dma));
	qv_wr32(ad->hw, qv_q_reg(q, QV_Q_TX_BASE_HI), upper_32_bits(tx->dma));
	qv_wr32(ad->hw, qv_q_reg(q, QV_Q_TX_SIZE), tx->count * QV_TXD_SIZE);
	/* Follow the device's head rather than assuming it restarts at 0. */
	head = qv_rd32(ad->hw, qv_q_reg(q, QV_Q_TX_HEAD));
	if (head >= tx->count)
		head = 0;
	tx->next_to_use = head;
	tx->next_to_clean = head;
	qv_wr32(ad->hw, qv_q_reg(q, QV_Q_TX_TAIL), head);
	netdev_tx_reset_queue(netdev_get_tx_queue(ad->netdev, q));

	qv_wr32(ad->hw, qv_q_reg(q, QV_Q_RX_BASE_LO), lower_32_bits(rx->dma));
	qv_wr32(ad->hw, qv_q_reg(q, QV_Q_RX_BASE_HI), upper_32_bits(rx->dma));
	qv_wr32(ad->hw, qv_q_reg(q, QV_Q_RX_SIZE), rx->count * QV_RXD_SIZE);
	head = qv_rd32(ad->hw, qv_q_reg(q, QV_Q_RX_HEAD));
	if (head >= rx->count)
		head = 0;
	rx->next_to_use = head;
	rx->next_to_clean = head;
	qv_rx_refill(qp);
}

void qv_rings_hw_setup(struct qv_adapter *ad)
{
	u16 q;

	qv_wr32(ad->hw, QV_FN_RX_BUF_SIZE, ad->qp[0].rx.buf_len);
	for (q = 0; q < ad->num_qp; q++)
		qv_qp_hw_setup(&ad->qp[q]);
}

/*
 * Make the device forget every ring, before the driver frees its memory.
 * Clearing QV_CTRL_TX_EN only pauses the TX engine, which serves all of
 * the function's pairs: a pair the next open leaves out (ethtool -L to
 * fewer) would keep its base and the descriptors the shaper held back,
 * and be served from freed memory once TX is on again. Writing a size
 * zeroes head and tail too; a ring of size 0 has no work. Every pair the
 * driver may have set up (max_qp), not only the last open's: the probe's
 * function reset cleared the others. The function is stopped, and nothing
 * rings a doorbell any more.
 */
void qv_rings_hw_clear(struct qv_adapter *ad)
{
	u16 q;

	for (q = 0; q < ad->max_qp; q++) {
		qv_wr32(ad->hw, qv_q_reg(q, QV_Q_TX_SIZE), 0);
		qv_wr32(ad->hw, qv_q_reg(q, QV_Q_TX_BASE_LO), 0);
		qv_wr32(ad->hw, qv_q_reg(q, QV_Q_TX_BASE_HI), 0);
		qv_wr32(ad->hw, qv_q_reg(q, QV_Q_RX_SIZE), 0);
		qv_wr32(ad->hw, qv_q_reg(q, QV_Q_RX_BASE_LO), 0);
		qv_wr32(ad->hw, qv_q_reg(q, QV_Q_RX_BASE_HI), 0);
	}
}

static void qv_tx_unmap(struct device *dev, struct qv_tx_buf *b)
{
	if (!dma_unmap_len(b, len))
		return;
	if (b->page)
		dma_unmap_page(dev, dma_unmap_addr(b, dma),
			       dma_unmap_len(b, len), DMA_TO_DEVICE);
	else
		dma_unmap_single(dev, dma_unmap_addr(b, dma),
				 dma_unmap_len(b, len), DMA_TO_DEVICE);
	dma_unmap_len_set(b, len, 0);
}

/* Called with NAPI disabled and the device stopped. */
static void qv_qp_clean(struct qv_qpair *qp)
{
	struct device *dev = &qp->ad->pdev->dev;
	struct qv_tx_ring *tx = &qp->tx;
	struct qv_rx_ring *rx = &qp->rx;
	u32 i;

	for (i = 0; tx->buf && i < tx->count; i++) {
		qv_tx_unmap(dev, &tx->buf[i]);
		if (tx->buf[i].skb) {
			dev_kfree_skb_any(tx->buf[i].skb);
			tx->buf[i].skb = NULL;
		}
		if (tx->buf[i].xdpf) {
			xdp_return_frame(tx->buf[i].xdpf);
			tx->buf[i].xdpf = NULL;
		}
	}
	netdev_tx_reset_queue(netdev_get_tx_queue(qp->ad->netdev, qp->idx));

	if (rx->skb) {
		dev_kfree_skb_any(rx->skb);
		rx->skb = NULL;
	}
	for (i = 0; rx->pages && i < rx->count; i++) {
		if (rx->pages[i]) {
			page_pool_put_full_page(rx->pp, rx->pages[i], false);
			rx->pages[i] = NULL;
		}
	}
}

void qv_rings_clean(struct qv_adapter *ad)
{
	u16 q;

	for (q = 0; q < ad->num_qp; q++)
		qv_qp_clean(&ad->qp[q]);
}

/* ------------------------------------------------------------------ TX */
static int qv_maybe_stop_tx(struct qv_tx_ring *tx, struct netdev_queue *txq,
			    u32 size)
{
	if (likely(qv_tx_unused(tx) >= size))
		return 0;
	netif_tx_stop_queue(txq);
	/* Order the stop before re-reading next_to_clean; pairs with the
	 * smp_mb() in qv_clean_tx().
	 */
	smp_mb();
	if (likely(qv_tx_unused(tx) < size))
		return -EBUSY;
	netif_tx_start_queue(txq);
	u64_stats_update_begin(&tx->syncp);
	tx->restart_queue++;
	u64_stats_update_end(&tx->syncp);
	return 0;
}

/* Zero-length buffers take no descriptor (the device rejects len 0). */
static u32 qv_tx_desc_count(struct sk_buff *skb)
{
	u32 n = QV_TXD_USE_COUNT(skb_headlen(skb));
	unsigned int f;

	for (f = 0; f < skb_shinfo(skb)->nr_frags; f++)
		n += QV_TXD_USE_COUNT(skb_frag_size(&skb_shinfo(skb)->frags[f]));
	return n;
}

/*
 * Would the device refuse this TCP GSO frame? Each segment repeats the
 * headers (with any tag the device inserts): at most QV_TSO_HDR_MAX of
 * them, and QV_TSO_WIRE_MAX bytes on the wire in all.
 */
static bool qv_tso_too_big(const struct sk_buff *skb)
{
	unsigned int hdr = skb_tcp_all_headers(skb);
	unsigned int payload = skb->len - hdr;
	unsigned int segs = DIV_ROUND_UP(payload, skb_shinfo(skb)->gso_size);

	/* A tag the device inserts: the stack's, or a VF's port VLAN. */
	hdr += VLAN_HLEN;
	return hdr > QV_TSO_HDR_MAX ||
	       payload + (u64)segs * hdr > QV_TSO_WIRE_MAX;
}

netdev_features_t qv_features_check(struct sk_buff *skb,
				    struct net_device *dev,
				    netdev_features_t features)
{
	u8 l4;

	features = vlan_features_check(skb, features);
	/*
	 * The device drops a TSO frame cut below QV_TSO_MSS_MIN; TCP goes
	 * as low as tcp_min_snd_mss (48) less options, so segment those here.
	 */
	if (skb_is_gso(skb) && skb_shinfo(skb)->gso_size < QV_TSO_MSS_MIN)
		features &= ~NETIF_F_GSO_MASK;
	/* ... and one over the device's bounds on headers and wire bytes. */
	if (skb_is_gso(skb) && skb_is_gso_tcp(skb) &&
	    qv_tso_too_big(skb))
		features &= ~NETIF_F_GSO_MASK;
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return features;
	/* The device parses plain IPv4/IPv6 + TCP/UDP headers only. */
	if (skb->encapsulation)
		goto no_offload;
	switch (vlan_get_protocol(skb)) {
	case htons(ETH_P_IP):
		l4 = ip_hdr(skb)->protocol;
		break;
	case htons(ETH_P_IPV6):
		l4 = ipv6_hdr(skb)->nexthdr;
		if (skb_transport_offset(skb) !=
		    skb_network_offset(skb) + sizeof(struct ipv6hdr))
			goto no_offload;
		break;
	default:
		goto no_offload;
	}
	if (l4 == IPPROTO_TCP || l4 == IPPROTO_UDP)
		return features;
no_offload:
	return features & ~(NETIF_F_CSUM_MASK | NETIF_F_GSO_MASK);
}

/* Fill descriptors for one DMA mapping; returns the last index used. */
u32 qv_tx_fill(struct qv_tx_ring *tx, u32 i, dma_addr_t dma,
	       unsigned int size, bool *first, u8 cmd, u16 mss, u16 vlan)
{
	struct qv_tx_desc *desc;
	unsigned int chunk;
	u32 last = i;

	while (size) {
		chunk = min_t(unsigned int, size, QV_TXD_MAX_DATA);
		desc = &tx->desc[i];
		desc->addr = cpu_to_le64(dma);
		desc->len = cpu_to_le16(chunk);
		desc->status = 0;
		if (*first) {
			desc->cmd = cmd;
			desc->mss = cpu_to_le16(mss);
			desc->vlan = cpu_to_le16(vlan);
			*first = false;
		} else {
			desc->cmd = 0;
			desc->mss = 0;
			desc->vlan = 0;
		}
		dma += chunk;
		size -= chunk;
		last = i;
		i = qv_next(i, tx->count);
	}
	return last;
}

/*
 * Ring the doorbell for what earlier calls queued under xmit_more, on a
 * path that queues nothing itself: no frame may wait for a later xmit.
 */
static void qv_tx_flush(struct qv_qpair *qp, struct netdev_queue *txq)
{
	if (netif_xmit_stopped(txq) || !netdev_xmit_more())
		qv_wr32(qp->ad->hw, qv_q_reg(qp->idx, QV_Q_TX_TAIL),
			qp->tx.next_to_use);
}

/* Map @len bytes at @dma into ring slot @i; returns the slot after them. */
static u32 qv_tx_map_one(struct qv_tx_ring *tx, u32 i, dma_addr_t dma,
			 unsigned int len, bool page, u32 *last, bool *first,
			 u8 cmd, u16 mss, u16 vlan)
{
	struct qv_tx_buf *b = &tx->buf[i];

	b->page = page;
	dma_unmap_addr_set(b, dma, dma);
	dma_unmap_len_set(b, len, len);
	*last = qv_tx_fill(tx, i, dma, len, first, cmd, mss, vlan);
	return qv_next(*last, tx->count);
}

/*
 * A context descriptor naming the port a PF frame goes to (switchdev: a
 * representor's frame for its VF). It takes a slot of its own with no
 * mapping; the frame's skb and eop are kept on it, the first slot.
 */
static u32 qv_tx_ctx(struct qv_tx_ring *tx, u32 i, u16 port)
{
	struct qv_tx_desc *desc = &tx->desc[i];
	struct qv_tx_buf *b = &tx->buf[i];

	dma_unmap_len_set(b, len, 0);
	b->page = false;
	desc->addr = cpu_to_le64(port);
	desc->len = 0;
	desc->cmd = QV_TXD_CTX_DPORT;
	desc->status = 0;
	desc->mss = 0;
	desc->vlan = 0;
	return qv_next(i, tx->count);
}

/*
 * Queue @skb on the ring (to @port if >= 0); tx_lock held. Frames of
 * representors share the PF's ring and its BQL accounting with the PF's
 * own; they always ring the doorbell.
 */
static netdev_tx_t qv_xmit_ring(struct qv_qpair *qp, struct sk_buff *skb,
				int port)
{
	struct qv_adapter *ad = qp->ad;
	struct netdev_queue *txq = netdev_get_tx_queue(ad->netdev, qp->idx);
	struct device *dev = &ad->pdev->dev;
	struct qv_tx_ring *tx = &qp->tx;
	u32 first, i, last = 0, ndesc;
	bool more = port < 0 && netdev_xmit_more();
	struct qv_tx_buf *b;
	bool is_first = true;
	u16 mss = 0, vlan = 0;
	unsigned int f, len;
	dma_addr_t dma;
	u8 cmd = 0;

	if (unlikely(skb->len > QV_TX_MAX_FRAME)) {
		dev_kfree_skb_any(skb);
		goto drop;
	}
	if (skb_put_padto(skb, ETH_ZLEN))
		goto drop;

	ndesc = qv_tx_desc_count(skb) + (port >= 0);
	if (unlikely(qv_tx_unused(tx) < ndesc)) {
		if (port >= 0) {
			/* A representor's frame: the PF's queue is full. */
			dev_kfree_skb_any(skb);
			goto drop;
		}
		/* Cannot happen: the queue is stopped in advance. */
		netif_tx_stop_queue(txq);
		u64_stats_update_begin(&tx->syncp);
		tx->busy++;
		u64_stats_update_end(&tx->syncp);
		qv_tx_flush(qp, txq);
		return NETDEV_TX_BUSY;
	}

	if (skb->ip_summed == CHECKSUM_PARTIAL)
		cmd |= QV_TXD_CSUM;
	if (skb_is_gso(skb)) {
		cmd |= QV_TXD_TSO | QV_TXD_CSUM;
		mss = skb_shinfo(skb)->gso_size;
	}
	if (skb_vlan_tag_present(skb)) {
		cmd |= QV_TXD_VLAN_INS;
		vlan = skb_vlan_tag_get(skb);
	}

	first = tx->next_to_use;
	i = first;
	if (port >= 0)
		i = qv_tx_ctx(tx, i, port);
	/* The linear part may be empty: then the first fragment leads. */
	len = skb_headlen(skb);
	if (len) {
		dma = dma_map_single(dev, skb->data, len, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma))
			goto dma_err;
		i = qv_tx_map_one(tx, i, dma, len, false, &last, &is_first,
				  cmd, mss, vlan);
	}

	for (f = 0; f < skb_shinfo(skb)->nr_frags; f++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[f];

		len = skb_frag_size(frag);
		if (!len)
			continue;
		dma = skb_frag_dma_map(dev, frag, 0, len, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma))
			goto dma_err;
		i = qv_tx_map_one(tx, i, dma, len, true, &last, &is_first,
				  cmd, mss, vlan);
	}
	/* skb_put_padto() left at least ETH_ZLEN bytes somewhere */
	if (WARN_ON_ONCE(is_first))
		goto dma_err;
	tx->desc[last].cmd |= QV_TXD_EOP;

	b = &tx->buf[first];
	b->bytecount = skb->len;
	b->gso_segs = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1;
	b->eop = last;
	netdev_tx_sent_queue(txq, skb->len);
	skb_tx_timestamp(skb);
	u64_stats_update_begin(&tx->syncp);
	if (cmd & QV_TXD_TSO)
		tx->tso++;
	else if (cmd & QV_TXD_CSUM)
		tx->csum++;
	u64_stats_update_end(&tx->syncp);

	/* Publish eop and the descriptors before the skb that marks the
	 * frame as pending; pairs with smp_rmb() in qv_clean_tx().
	 */
	smp_wmb();
	WRITE_ONCE(b->skb, skb);
	WRITE_ONCE(tx->next_to_use, i);

	qv_maybe_stop_tx(tx, txq, QV_TX_DESC_NEEDED);
	if (netif_xmit_stopped(txq) || !more)
		qv_wr32(ad->hw, qv_q_reg(qp->idx, QV_Q_TX_TAIL), i);
	return NETDEV_TX_OK;

dma_err:
	netdev_err_once(ad->netdev, "TX DMA mapping failed\n");
	for (last = first; last != i; last = qv_next(last, tx->count))
		qv_tx_unmap(dev, &tx->buf[last]);
	dev_kfree_skb_any(skb);
drop:
	u64_stats_update_begin(&tx->syncp);
	tx->dropped++;
	u64_stats_update_end(&tx->syncp);
	/* Earlier frames of this batch may have deferred the doorbell. */
	qv_tx_flush(qp, txq);
	return port >= 0 ? NETDEV_TX_BUSY : NETDEV_TX_OK;
}

/*
 * Producers other than the stack (XDP, the representors, the self-test)
 * take the pair's netdev queue xmit lock before tx_lock, as the stack does:
 * netpoll (netconsole) on the PF only trylocks that lock, so it can never
 * spin on a tx_lock held by the context it interrupted. BH is off in all
 * of them. tx_lock is only ever taken under that lock, so whoever holds it
 * gets tx_lock at once.
 */
void qv_tx_lock(struct qv_qpair *qp)
{
	__netif_tx_lock(netdev_get_tx_queue(qp->ad->netdev, qp->idx),
			smp_processor_id());
	spin_lock(&qp->tx_lock);
}

/* As qv_tx_lock(), for netpoll: false if the queue's xmit lock is held. */
bool qv_tx_trylock(struct qv_qpair *qp)
{
	if (!__netif_tx_trylock(netdev_get_tx_queue(qp->ad->netdev, qp->idx)))
		return false;
	spin_lock(&qp->tx_lock);
	return true;
}

void qv_tx_unlock(struct qv_qpair *qp)
{
	spin_unlock(&qp->tx_lock);
	__netif_tx_unlock(netdev_get_tx_queue(qp->ad->netdev, qp->idx));
}

netdev_tx_t qv_xmit(struct sk_buff *skb, struct net_device *netdev)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	u16 q = skb_get_queue_mapping(skb);
	struct qv_qpair *qp = &ad->qp[q < ad->num_qp ? q : 0];
	netdev_tx_t ret;

	/* The PF's ring 0 is shared with the representors (switchdev). */
	spin_lock(&qp->tx_lock);
	ret = qv_xmit_ring(qp, skb, -1);
	spin_unlock(&qp->tx_lock);
	return ret;
}

/* ethtool -t: a frame on the ring of a function that is down. */
netdev_tx_t qv_xmit_test(struct qv_adapter *ad, struct sk_buff *skb)
{
	struct qv_qpair *qp = &ad->qp[0];
	netdev_tx_t ret;

	local_bh_disable();
	qv_tx_lock(qp);
	ret = qv_xmit_ring(qp, skb, -1);
	qv_tx_unlock(qp);
	local_bh_enable();
	if (ret != NETDEV_TX_OK)
		kfree_skb(skb);
	return ret;
}

/*
 * A representor's frame, for its VF: 0 if queued; -EBUSY if netpoll sent
 * it while the PF's queue was locked (the skb is untouched: netpoll tries
 * again, then queues it for later); -EIO if the skb was freed (PF down,
 * ring full, mapping failure) and the representor counts a drop.
 */
int qv_xmit_port(struct qv_adapter *ad, struct sk_buff *skb, u16 port)
{
	struct qv_qpair *qp = &ad->qp[0];
	netdev_tx_t ret;

	/*
	 * Netpoll (netconsole on a representor) runs with interrupts off and
	 * may have interrupted the holder of the PF's queue lock on this CPU:
	 * it only tries that lock, as it does the representor's own. The
	 * test is irqs_disabled() whatever the device it is given.
	 */
	if (netpoll_tx_running(ad->netdev)) {
		if (!qv_tx_trylock(qp))
			return -EBUSY;
	} else {
		qv_tx_lock(qp);
	}
	if (test_bit(QV_S_DOWN, &ad->state)) {
		qv_tx_unlock(qp);
		dev_kfree_skb_any(skb);
		return -EIO;
	}
	ret = qv_xmit_ring(qp, skb, port);
	qv_tx_unlock(qp);
	return ret == NETDEV_TX_OK ? 0 : -EIO;
}

/* Returns true when all completed work was cleaned. */
static bool qv_clean_tx(struct qv_qpair *qp, int napi_budget)
{
	struct qv_adapter *ad = qp->ad;
	struct netdev_queue *txq = netdev_get_tx_queue(ad->netdev, qp->idx);
	struct device *dev = &ad->pdev->dev;
	struct qv_tx_ring *tx = &qp->tx;
	u32 ntc = tx->next_to_clean;
	unsigned int pkts = 0, bytes = 0, errs = 0, xdp_pkts = 0, xdp_bytes = 0;
	u32 limit = tx->count;
	struct xdp_frame *xdpf;
	struct qv_tx_buf *b;
	struct sk_buff *skb;
	u32 eop;
	u8 sta;

	while (limit) {
		b = &tx->buf[ntc];
		skb = READ_ONCE(b->skb);
		xdpf = skb ? NULL : READ_ONCE(b->xdpf);
		if (!skb && !xdpf)
			break;
		/* Read eop only after seeing the skb; pairs with qv_xmit. */
		smp_rmb();
		eop = b->eop;
		sta = READ_ONCE(tx->desc[eop].status);
		if (!(sta & QV_TXD_STA_DD))
			break;
		/* Read nothing else of the frame before DD was seen. */
		dma_rmb();
		if (sta & QV_TXD_STA_ERR)
			errs++;
		if (skb) {
			pkts++;
			bytes += b->bytecount;
			b->skb = NULL;
			napi_consume_skb(skb, napi_budget);
		} else {
			xdp_pkts++;
			xdp_bytes += b->bytecount;
			b->xdpf = NULL;
			/* XDP_TX: back to our own pool, from our own NAPI */
			if (b->pool && napi_budget)
				xdp_return_frame_rx_napi(xdpf);
			else
				xdp_return_frame(xdpf);
		}
		for (;;) {
			qv_tx_unmap(dev, &tx->buf[ntc]);
			tx->desc[ntc].status = 0;
			if (ntc == eop)
				break;
			ntc = qv_next(ntc, tx->count);
		}
		ntc = qv_next(ntc, tx->count);
		limit--;
	}
	WRITE_ONCE(tx->next_to_clean, ntc);
	netdev_tx_completed_queue(txq, pkts, bytes);
	if (pkts || xdp_pkts) {
		u64_stats_update_begin(&tx->cp_syncp);
		tx->err_frames += errs;
		tx->packets += pkts + xdp_pkts;
		tx->bytes += bytes + xdp_bytes;
		u64_stats_update_end(&tx->cp_syncp);
	}

	/* Make next_to_clean visible before checking the queue state;
	 * pairs with the smp_mb() in qv_maybe_stop_tx().
	 */
	smp_mb();
	if ((pkts || xdp_pkts) && netif_tx_queue_stopped(txq) &&
	    qv_tx_unused(tx) >= QV_TX_WAKE_THRESH &&
	    !test_bit(QV_S_DOWN, &ad->state)) {
		netif_tx_wake_queue(txq);
		u64_stats_update_begin(&tx->cp_syncp);
		tx->wake_queue++;
		u64_stats_update_end(&tx->cp_syncp);
	}
	return limit != 0;
}

/* ------------------------------------------------------------------ RX */
/*
 * A large frame (QV_RXD_STA_GSO_*): tell the stack the segment size and
 * count. Called after eth_type_trans(), so skb->data is the IP header; the
 * network header offset is not set yet, so parse from skb->data.
 */
static void qv_rx_gso(struct qv_rx_ring *rx, struct sk_buff *skb,
		      u16 status, u16 mss)
{
	bool v4 = status & QV_RXD_STA_GSO_TCPV4;
	struct skb_shared_info *sh;
	unsigned int hlen;
	struct tcphdr *th;

	if (skb->protocol != htons(v4 ? ETH_P_IP : ETH_P_IPV6))
		return;
	skb_reset_network_header(skb);
	if (v4) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return;
		iph = (const struct iphdr *)skb->data;
		if (iph->ihl < 5 || iph->protocol != IPPROTO_TCP)
			return;
		hlen = iph->ihl * 4;
	} else {
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)) ||
		    ((const struct ipv6hdr *)skb->data)->nexthdr != IPPROTO_TCP)
			return;
		hlen = sizeof(struct ipv6hdr);
	}
	if (!pskb_may_pull(skb, hlen + sizeof(struct tcphdr)))
		return;
	th = (struct tcphdr *)(skb->data + hlen);
	if (th->doff < 5)
		return;
	hlen += th->doff * 4;
	if (skb->len <= hlen + mss)
		return;

	/* Like a GRO'd packet: the stack sees the original segments. */
	sh = skb_shinfo(skb);
	sh->gso_size = mss;
	sh->gso_type = v4 ? SKB_GSO_TCPV4 : SKB_GSO_TCPV6;
	sh->gso_segs = DIV_ROUND_UP(skb->len - hlen, mss);
	rx->gso_frames++;
}

/* The RSS hash the device reported, as the stack's flow hash. */
static void qv_rx_hash(struct net_device *netdev, struct sk_buff *skb,
		       const struct qv_rx_first *fst)
{
	switch ((fst->status & QV_RXD_STA_RSS_MASK) >> QV_RXD_STA_RSS_SHIFT) {
	case QV_RSS_TYPE_IPV4_TCP:
	case QV_RSS_TYPE_IPV4_UDP:
	case QV_RSS_TYPE_IPV6_TCP:
	case QV_RSS_TYPE_IPV6_UDP:
		skb_set_hash(skb, fst->rss_hash, PKT_HASH_TYPE_L4);
		break;
	case QV_RSS_TYPE_IPV4:
	case QV_RSS_TYPE_IPV6:
		skb_set_hash(skb, fst->rss_hash, PKT_HASH_TYPE_L3);
		break;
	default:
		break;
	}
}

static void qv_rx_deliver(struct qv_qpair *qp, struct sk_buff *skb,
			  const struct qv_rx_first *fst)
{
	struct qv_adapter *ad = qp->ad;
	struct net_device *netdev = ad->netdev;
	struct qv_rx_ring *rx = &qp->rx;
	u16 status = fst->status, vlan = fst->vlan, gso_size = fst->gso_size;

	/* Switchdev: a frame from a VF belongs to its representor. */
	if (ad->pf && qv_rx_from_vf(status, fst->src_port)) {
		netdev = qv_esw_rx_netdev(ad, fst->src_port, skb->len);
		if (!netdev) {
			napi_consume_skb(skb, 1);
			u64_stats_update_begin(&rx->syncp);
			rx->dropped++;
			u64_stats_update_end(&rx->syncp);
			return;
		}
	}
	if (netdev->features & NETIF_F_RXHASH)
		qv_rx_hash(netdev, skb, fst);
	skb->protocol = eth_type_trans(skb, netdev);
	skb_record_rx_queue(skb, qp->idx);
	u64_stats_update_begin(&rx->syncp);
	rx->packets++;
	rx->bytes += skb->len + ETH_HLEN;
	if ((netdev->features & NETIF_F_RXCSUM) &&
	    (status & QV_RXD_STA_L4CSUM_OK)) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		rx->csum_ok++;
	} else {
		skb_checksum_none_assert(skb);
		rx->csum_none++;
	}
	if (status & QV_RXD_STA_VLAN) {
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), vlan);
		rx->vlan_strip++;
	}
	/*
	 * A large frame goes up as GSO only with its checksum checked: a
	 * forwarded GSO skb is segmented with CHECKSUM_UNNECESSARY assumed
	 * (the contract has the device check it; a faulty device may not).
	 * Otherwise it goes up whole, and the stack checks it.
	 */
	if ((status & (QV_RXD_STA_GSO_TCPV4 | QV_RXD_STA_GSO_TCPV6)) &&
	    gso_size && skb->ip_summed == CHECKSUM_UNNECESSARY)
		qv_rx_gso(rx, skb, status, gso_size);
	u64_stats_update_end(&rx->syncp);
	napi_gro_receive(&qp->napi, skb);
}

/*
 * The first buffer of a frame: a small whole frame is copied into a small
 * skb and its page recycled at once (rx->copybreak_len); anything else is
 * built around the page, which later buffers of the frame join as frags.
 * NULL if no skb could be had (the page is then recycled).
 */
static struct sk_buff *qv_rx_first_skb(struct qv_qpair *qp,
				       struct page *page, u32 off, u32 len,
				       u16 status)
{
	struct qv_rx_ring *rx = &qp->rx;
	void *va = page_address(page);
	struct sk_buff *skb;

	if ((status & QV_RXD_STA_EOP) && len <= rx->copybreak_len) {
		skb = napi_alloc_skb(&qp->napi, len);
		if (likely(skb)) {
			skb_put_data(skb, va + off, len);
			u64_stats_update_begin(&rx->syncp);
			rx->copybreak++;
			u64_stats_update_end(&rx->syncp);
		}
		page_pool_recycle_direct(rx->pp, page);
		return skb;
	}
	skb = napi_build_skb(va, rx->truesize);
	if (unlikely(!skb)) {
		page_pool_recycle_direct(rx->pp, page);
		return NULL;
	}
	skb_mark_for_recycle(skb);
	skb_reserve(skb, off);
	__skb_put(skb, len);
	return skb;
}

/*
 * *starved is set when buffers could not be allocated: then nothing may be
 * left for the device to write into, no RX interrupt would come, and the
 * poll must go on until the allocation succeeds (as ixgbe/iavf do).
 */
static int qv_clean_rx(struct qv_qpair *qp, int budget, bool *starved)
{
	struct device *dev = &qp->ad->pdev->dev;
	struct qv_rx_ring *rx = &qp->rx;
	struct bpf_prog *prog = READ_ONCE(qp->ad->xdp_prog);
	struct qv_rx_first *fst = &rx->first;
	unsigned int verdict, xdp_done = 0;
	struct sk_buff *skb = rx->skb;
	u32 ntc = rx->next_to_clean;
	struct qv_rx_desc *desc;
	struct page *page;
	int done = 0;
	u16 status;
	u32 len, off;

	while (done < budget && ntc != rx->next_to_use) {
		desc = &rx->desc[ntc];
		status = le16_to_cpu(READ_ONCE(desc->status));
		if (!(status & QV_RXD_STA_DD))
			break;
		/* Read the write-back only after DD was seen. */
		dma_rmb();
		len = le16_to_cpu(desc->len);
		page = rx->pages[ntc];
		rx->pages[ntc] = NULL;
		ntc = qv_next(ntc, rx->count);

		if (unlikely(len > rx->buf_len)) {
			len = 0;
			fst->discard = true;
		}
		dma_sync_single_range_for_cpu(dev, page_pool_get_dma_addr(page),
					      rx->headroom, len,
					      page_pool_get_dma_dir(rx->pp));
		if (!skb && !fst->discard && unlikely(len < ETH_HLEN)) {
			/*
			 * Not even an Ethernet header in the first buffer:
			 * eth_type_trans() would pull past the linear part.
			 */
			page_pool_recycle_direct(rx->pp, page);
			u64_stats_update_begin(&rx->syncp);
			rx->runt++;
			u64_stats_update_end(&rx->syncp);
			fst->discard = true;
		} else if (!skb && !fst->discard) {
			fst->status = status;
			fst->vlan = le16_to_cpu(desc->vlan);
			fst->gso_size = le16_to_cpu(desc->gso_size);
			/* Written back over the buffer address (switchdev, RSS) */
			fst->src_port = (le64_to_cpu(desc->addr) >> 32) & 0xffff;
			fst->rss_hash = lower_32_bits(le64_to_cpu(desc->addr));
			off = rx->headroom;
			net_prefetch(page_address(page) + off);
			/* A representor's frame is not this netdev's. */
			if (prog && !qv_rx_from_vf(status, fst->src_port)) {
				if (unlikely(!(status & QV_RXD_STA_EOP))) {
					/* no LRO and a small MTU with XDP */
					page_pool_recycle_direct(rx->pp, page);
					fst->discard = true;
					continue;
				}
				verdict = qv_xdp_run(qp, prog, page, &off, &len);
				if (verdict != QV_XDP_PASS) {
					xdp_done |= verdict;
					done++;
					continue;
				}
			}
			skb = qv_rx_first_skb(qp, page, off, len, status);
			if (unlikely(!skb))
				fst->discard = true;
		} else if (skb && !fst->discard &&
			   skb_shinfo(skb)->nr_frags < MAX_SKB_FRAGS) {
			skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page,
					rx->headroom, len, rx->truesize);
		} else {
			page_pool_recycle_direct(rx->pp, page);
			if (skb) {
				napi_consume_skb(skb, budget);
				skb = NULL;
				u64_stats_update_begin(&rx->syncp);
				rx->frame_err++;
				u64_stats_update_end(&rx->syncp);
			}
			fst->discard = true;
		}

		if (!(status & QV_RXD_STA_EOP))
			continue;
		if (fst->discard || !skb) {
			if (fst->discard) {
				u64_stats_update_begin(&rx->syncp);
				rx->dropped++;
				u64_stats_update_end(&rx->syncp);
			}
			fst->discard = false;
			skb = NULL;
			continue;
		}
		qv_rx_deliver(qp, skb, fst);
		skb = NULL;
		done++;
	}
	rx->skb = skb;
	rx->next_to_clean = ntc;
	if (xdp_done & QV_XDP_REDIR)
		xdp_do_flush();
	if (xdp_done & QV_XDP_TX)
		qv_xdp_tx_flush(qp);
	if (qv_rx_unused(rx) >= QV_RX_REFILL_BATCH && !qv_rx_refill(qp))
		*starved = true;
	return done;
}

/* Work that arrived while the interrupt was masked after the last poll. */
static bool qv_work_pending(struct qv_qpair *qp)
{
	struct qv_rx_ring *rx = &qp->rx;
	struct qv_tx_ring *tx = &qp->tx;
	struct qv_tx_buf *b;
	u32 i = READ_ONCE(rx->next_to_clean);

	if (i != READ_ONCE(rx->next_to_use) &&
	    (le16_to_cpu(READ_ONCE(rx->desc[i].status)) & QV_RXD_STA_DD))
		return true;
	i = READ_ONCE(tx->next_to_clean);
	b = &tx->buf[i];
	if (!READ_ONCE(b->skb) && !READ_ONCE(b->xdpf))
		return false;
	/* eop is published before skb, see qv_xmit() */
	smp_rmb();
	return READ_ONCE(tx->desc[b->eop].status) & QV_TXD_STA_DD;
}

int qv_poll(struct napi_struct *napi, int budget)
{
	struct qv_qpair *qp = container_of(napi, struct qv_qpair, napi);
	struct qv_adapter *ad = qp->ad;
	bool tx_done, starved = false;
	int done;

	/* Ack first: completions from now on raise the cause again. */
	qv_wr32(ad->hw, QV_FN_INT_CAUSE, qp->causes);
	tx_done = qv_clean_tx(qp, budget);
	if (budget <= 0)	/* netpoll: TX only */
		return budget;

	done = qv_clean_rx(qp, budget, &starved);
	if (!tx_done || done >= budget || starved)
		return budget;

	if (napi_complete_done(napi, done)) {
		qv_irq_enable(ad, qp->causes);
		if (qv_work_pending(qp))
			napi_schedule(napi);
	}
	return min(done, budget - 1);
}

irqreturn_t qv_msix_ring(int irq, void *data)
{
	struct qv_qpair *qp = data;

	qv_irq_disable(qp->ad, qp->causes);
	napi_schedule_irqoff(&qp->napi);
	return IRQ_HANDLED;
}
