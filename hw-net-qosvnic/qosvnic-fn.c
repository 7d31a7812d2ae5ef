/*
 * qosvnic: function lifecycle.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What happens to a function (PF or VF) as a whole: its reset (CTRL
 * reset, FLR, VF disable, device reset), its receive and transmit being
 * turned on and off (QV_FN_CTRL), bus mastering coming back, and what the
 * backend is told as a consequence (whether the tap may send GSO frames).
 * The register decoder and the QOM types call in here; this calls the
 * datapath below it.
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qosvnic.h"
#include "trace.h"

/*
 * Return the function's guest-programmed state to reset values and release
 * every frame it holds in device memory. Management state (MAC, QoS) is
 * the PF's and is kept.
 */
void qosvnic_fn_reset(QvFunc *f)
{
    QosvnicState *s = f->dev;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    trace_qosvnic_fn_reset(f->fn);
    qosvnic_sched_remove(s, f);
    qosvnic_buf_flush(s, f);

    f->ctrl = 0;
    f->mtu = QV_MTU_DEFAULT;
    f->offloads = 0;
    f->rx_filter = QV_RXF_BCAST;
    qosvnic_irq_fn_reset(f);
    f->status_err = 0;
    memset(f->mc, 0, sizeof(f->mc));
    f->mc_valid = 0;
    memset(f->rxq, 0, sizeof(f->rxq));
    memset(f->txq, 0, sizeof(f->txq));
    f->rx_buf_size = 2048;
    f->rss_ctrl = 0;
    memset(f->rss_key, 0, sizeof(f->rss_key));
    memset(f->rss_reta, 0, sizeof(f->rss_reta));
    f->stat_hi_latch = 0;
    qosvnic_mbx_reset(f);
    memset(f->stats, 0, sizeof(f->stats));
    qosvnic_buf_clear_peak(f);

    qosvnic_rx_tb_apply(f, now);
    qosvnic_tx_fn_reset(f);
    qosvnic_rx_filter_update(s);
    qosvnic_update_peer_offloads(s);
}

void qosvnic_fn_write_ctrl(QvFunc *f, uint32_t val)
{
    QosvnicState *s = f->dev;
    uint32_t old = f->ctrl;

    if (val & QV_CTRL_RESET) {
        qosvnic_fn_reset(f);
        return;
    }
    f->ctrl = val & (QV_CTRL_RX_EN | QV_CTRL_TX_EN);
    /* Enabling a ring again is how a driver recovers from a ring error. */
    if ((f->ctrl & ~old) & QV_CTRL_RX_EN) {
        f->status_err &= ~QV_STATUS_RX_RING_ERR;
        /* Whatever the net layer holds back for us may come now. */
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
    if ((f->ctrl & ~old) & QV_CTRL_TX_EN) {
        f->status_err &= ~QV_STATUS_TX_RING_ERR;
        qosvnic_tx_ring_changed(f);
    }
    if ((f->ctrl ^ old) & QV_CTRL_RX_EN) {
        qosvnic_update_peer_offloads(s);
        if (!(f->ctrl & QV_CTRL_RX_EN)) {
            /*
             * A stopped receiver keeps no frames: they would go stale.
             * They are dropped because the function stopped receiving.
             */
            qosvnic_sched_remove(s, f);
            qosvnic_stat_discard(f, QV_STAT_DROP_LINK_DOWN,
                                 qosvnic_buf_flush(s, f));
        }
    }
    qosvnic_sched_kick(s, f);
    qosvnic_tx_kick(s);
}

/* Bus mastering is on again: resume the DMA that waited for it. */
void qosvnic_fn_dma_resumed(QosvnicState *s, QvFunc *f)
{
    qosvnic_sched_kick(s, f);
    qosvnic_tx_kick(s);
}

/* Does a receiving function take large frames? */
static bool qosvnic_peer_lro_wanted(QosvnicState *s)
{
    uint32_t fn;

    for (fn = 0; fn < s->num_funcs; fn++) {
        QvFunc *f = &s->funcs[fn];

        if ((f->ctrl & QV_CTRL_RX_EN) && qosvnic_fn_enabled(f) &&
            qosvnic_fn_takes_gso(f)) {
            return true;
        }
    }
    return false;
}

/*
 * Let the tap give us 64 KiB GSO frames while a receiving function has
 * asked for large frames; the receive path cuts them into segments for
 * the functions that have not (qv_rx_admit_segments()). Before, one
 * tenant that turned large receive off took it from every other tenant,
 * whose TCP then came in frames of the MTU.
 *
 * Each change is an ioctl on the host's tap, and a guest can flip the
 * answer with every OFFLOADS or CTRL write. Turning large frames off
 * happens at once (no receiver takes them whole any more: cutting each
 * in the device would be work for nothing), but turning them on again
 * can wait: it happens at most once per
 * QV_OFFLOAD_HOLDOFF_NS after the previous change, so a guest flipping
 * the setting in a loop costs the host a few ioctls, not one per write.
 */
void qosvnic_update_peer_offloads(QosvnicState *s)
{
    NetClientState *nc = qemu_get_queue(s->nic);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    bool lro;

    if (!s->has_vnet_hdr) {
        return;
    }
    lro = qosvnic_peer_lro_wanted(s);
    if (lro == s->peer_lro) {
        timer_del(s->offload_timer);
        return;
    }
    if (lro && now - s->offload_last_ns < QV_OFFLOAD_HOLDOFF_NS) {
        timer_mod(s->offload_timer,
                  s->offload_last_ns + QV_OFFLOAD_HOLDOFF_NS);
        return;
    }
    timer_del(s->offload_timer);
    s->peer_lro = lro;
    s->offload_last_ns = now;
    trace_qosvnic_peer_offloads(lro);
    qemu_set_offload(nc->peer, lro, lro, lro, 0, 0, 0, 0);
}

void qosvnic_offload_timer_cb(void *opaque)
{
    qosvnic_update_peer_offloads(opaque);
}
