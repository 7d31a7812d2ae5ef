// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: XDP.
 *
 * A program sees each frame in the page the device wrote, before an skb
 * exists: while one is attached, RX buffers have XDP_PACKET_HEADROOM in
 * front and a bidirectional mapping (XDP_TX sends from them). Frames are
 * one buffer each: large receive (LRO) is off and the MTU is at most
 * QV_XDP_MAX_MTU.
 *
 * XDP_TX and ndo_xdp_xmit() use the queue pair's TX ring, shared with the
 * stack under its netdev queue's xmit lock and tx_lock (qv_tx_lock()).
 * They never take the last QV_TX_DESC_NEEDED descriptors, which the stack
 * keeps for one frame of its own: its
 * "queue stopped only when full of its own frames" rule still holds, and
 * XDP frames stay out of BQL.
 */
#include <linux/bpf.h>
#include <linux/bpf_trace.h>
#include <linux/filter.h>
#include <net/xdp.h>

#include "qosvnic.h"

static int qv_xdp_setup(struct net_device *netdev, struct bpf_prog *prog,
			struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	bool layout, running;
	struct bpf_prog *old;
	int err;

	if (prog && netdev->mtu > QV_XDP_MAX_MTU) {
		NL_SET_ERR_MSG_MOD(extack,
				   "MTU too large for XDP: a frame must fit one RX buffer (limit in the kernel log)");
		netdev_warn(netdev, "XDP needs MTU <= %lu, it is %u\n",
			    (unsigned long)QV_XDP_MAX_MTU, netdev->mtu);
		return -EINVAL;
	}
	/*
	 * Attaching the first program or detaching the last changes the RX
	 * buffers' layout (headroom, DMA direction): a running function is
	 * stopped and reopened around the swap, as ixgbe does. Replacing a
	 * program needs nothing: NAPI reads it under RCU, and bpf_prog_put()
	 * frees the old one after a grace period.
	 */
	layout = !READ_ONCE(ad->xdp_prog) != !prog;
	running = layout && qv_live(netdev);
	if (running)
		qv_stop(netdev);
	old = xchg(&ad->xdp_prog, prog);
	if (running) {
		err = qv_open(netdev);
		if (err) {
			/*
			 * Refused: the core drops its reference to @prog, so
			 * the old program and layout come back.
			 */
			NL_SET_ERR_MSG_MOD(extack,
					   "reopening with the new RX buffer layout failed");
			WRITE_ONCE(ad->xdp_prog, old);
			if (qv_open(netdev)) {
				netdev_err(netdev, "reopen after XDP failed\n");
				dev_close(netdev);
			}
			return err;
		}
	}
	if (old)
		bpf_prog_put(old);
	if (layout)
		netdev_update_features(netdev);	/* LRO: qv_fix_features() */
	return 0;
}

int qv_bpf(struct net_device *netdev, struct netdev_bpf *bpf)
{
	switch (bpf->command) {
	case XDP_SETUP_PROG:
		return qv_xdp_setup(netdev, bpf->prog, bpf->extack);
	default:
		return -EINVAL;
	}
}

/*
 * Queue @xdpf on @qp's TX ring; tx_lock held. @pool: the frame is in a
 * page of this pair's RX page pool (XDP_TX), which stays mapped; else it
 * came from another device (ndo_xdp_xmit) and is mapped here.
 */
static int qv_xdp_queue(struct qv_qpair *qp, struct xdp_frame *xdpf,
			bool pool)
{
	struct device *dev = &qp->ad->pdev->dev;
	struct qv_tx_ring *tx = &qp->tx;
	u32 i = tx->next_to_use, last;
	struct qv_tx_buf *b = &tx->buf[i];
	bool first = true;
	dma_addr_t dma;

	if (qv_tx_unused(tx) < QV_TX_DESC_NEEDED + QV_TXD_USE_COUNT(xdpf->len))
		return -ENOSPC;
	if (pool) {
		struct page *page = virt_to_page(xdpf->data);

		dma = page_pool_get_dma_addr(page) +
		      (xdpf->data - page_address(page));
		dma_sync_single_for_device(dev, dma, xdpf->len,
					   DMA_BIDIRECTIONAL);
		dma_unmap_len_set(b, len, 0);
	} else {
		dma = dma_map_single(dev, xdpf->data, xdpf->len,
				     DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma))
			return -ENOMEM;
		dma_unmap_addr_set(b, dma, dma);
		dma_unmap_len_set(b, len, xdpf->len);
	}
	b->page = false;
	b->pool = pool;
	last = qv_tx_fill(tx, i, dma, xdpf->len, &first, 0, 0, 0);
	tx->desc[last].cmd |= QV_TXD_EOP;
	b->bytecount = xdpf->len;
	b->gso_segs = 1;
	b->eop = last;
	/* as qv_xmit_ring(): eop and descriptors before the frame pointer */
	smp_wmb();
	WRITE_ONCE(b->xdpf, xdpf);
	WRITE_ONCE(tx->next_to_use, qv_next(last, tx->count));
	return 0;
}

static void qv_xdp_doorbell(struct qv_qpair *qp)
{
	qv_wr32(qp->ad->hw, qv_q_reg(qp->idx, QV_Q_TX_TAIL),
		qp->tx.next_to_use);
}

/* The end of a poll that queued XDP_TX frames: one doorbell for them. */
void qv_xdp_tx_flush(struct qv_qpair *qp)
{
	qv_tx_lock(qp);
	qv_xdp_doorbell(qp);
	qv_tx_unlock(qp);
}

/*
 * ndo_xdp_xmit: frames another device redirected to us, on the pair of
 * this CPU. Called in NAPI (RCU read side): qv_stop() sets QV_S_DOWN and
 * waits for a grace period before it frees the rings.
 */
int qv_xdp_xmit(struct net_device *netdev, int n, struct xdp_frame **frames,
		u32 flags)
{
	struct qv_adapter *ad = netdev_priv(netdev);
	struct qv_qpair *qp;
	int i, sent = 0;

	if (unlikely(flags & ~XDP_XMIT_FLAGS_MASK))
		return -EINVAL;
	if (unlikely(test_bit(QV_S_DOWN, &ad->state)))
		return -ENETDOWN;
	qp = &ad->qp[smp_processor_id() % READ_ONCE(ad->num_qp)];

	qv_tx_lock(qp);
	for (i = 0; i < n; i++) {
		if (qv_xdp_queue(qp, frames[i], false))
			break;
		sent++;
	}
	/*
	 * Earlier calls without FLUSH (a devmap's full bulk queue) may have
	 * queued frames this one, finding the ring full, does not add to:
	 * the doorbell rings for them all the same, as on ice and mlx5.
	 */
	if (flags & XDP_XMIT_FLUSH)
		qv_xdp_doorbell(qp);
	u64_stats_update_begin(&qp->tx.syncp);
	qp->tx.xdp_xmit += sent;
	qp->tx.xdp_xmit_err += n - sent;
	u64_stats_update_end(&qp->tx.syncp);
	qv_tx_unlock(qp);
	/* the caller frees the frames not sent */
	return sent;
}

static bool qv_xdp_tx(struct qv_qpair *qp, struct xdp_buff *xdp)
{
	struct xdp_frame *xdpf = xdp_convert_buff_to_frame(xdp);
	int err;

	if (unlikely(!xdpf))
		return false;
	qv_tx_lock(qp);
	err = qv_xdp_queue(qp, xdpf, true);
	qv_tx_unlock(qp);
	return !err;
}

/*
 * Run @prog on the one-buffer frame in @page at *off, *len bytes. On
 * QV_XDP_PASS, *off and *len say where the program left the frame; on
 * anything else the page is no longer the caller's.
 */
unsigned int qv_xdp_run(struct qv_qpair *qp, struct bpf_prog *prog,
			struct page *page, u32 *off, u32 *len)
{
	struct net_device *netdev = qp->ad->netdev;
	struct qv_rx_ring *rx = &qp->rx;
	unsigned int verdict;
	struct xdp_buff xdp;
	u64 *counter;
	u32 act;

	xdp_init_buff(&xdp, rx->truesize, &rx->xdp_rxq);
	xdp_prepare_buff(&xdp, page_address(page), *off, *len, false);
	act = bpf_prog_run_xdp(prog, &xdp);
	switch (act) {
	case XDP_PASS:
		*off = xdp.data - xdp.data_hard_start;
		*len = xdp.data_end - xdp.data;
		return QV_XDP_PASS;
	case XDP_TX:
		if (unlikely(!qv_xdp_tx(qp, &xdp)))
			goto fail;
		counter = &rx->xdp_tx;
		verdict = QV_XDP_TX;
		break;
	case XDP_REDIRECT:
		if (unlikely(xdp_do_redirect(netdev, &xdp, prog)))
			goto fail;
		counter = &rx->xdp_redirect;
		verdict = QV_XDP_REDIR;
		break;
	default:
		bpf_warn_invalid_xdp_action(netdev, prog, act);
		fallthrough;
	case XDP_ABORTED:
fail:
		trace_xdp_exception(netdev, prog, act);
		counter = &rx->xdp_aborted;
		verdict = QV_XDP_CONSUMED;
		page_pool_recycle_direct(rx->pp, page);
		break;
	case XDP_DROP:
		counter = &rx->xdp_drop;
		verdict = QV_XDP_CONSUMED;
		page_pool_recycle_direct(rx->pp, page);
		break;
	}
	u64_stats_update_begin(&rx->syncp);
	(*counter)++;
	rx->packets++;
	rx->bytes += *len;
	u64_stats_update_end(&rx->syncp);
	return verdict;
}
