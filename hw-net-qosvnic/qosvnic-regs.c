/*
 * qosvnic: register file.
 *
 * The per-function block (VF BAR0, PF BAR0 at 0), the device-wide
 * registers and the PF's per-function management windows. Registers only
 * store and validate; the datapath files act on what changed.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "hw/pci/pcie_sriov.h"
#include "migration/vmstate.h"
#include "qosvnic.h"
#include "trace.h"

static uint64_t qosvnic_mac_lo(const MACAddr *m)
{
    return ldl_le_p(m->a);
}

static uint64_t qosvnic_mac_hi(const MACAddr *m)
{
    return lduw_le_p(m->a + 4);
}

/*
 * 64-bit counters: an 8-byte read returns the value; a 4-byte read of the
 * low word returns it and latches the high word into @latch for the next
 * read, so a 32-bit driver still gets a consistent snapshot. The function
 * and the PF's management window each have their own latch.
 */
static uint64_t qosvnic_stat_read(QvFunc *f, uint32_t *latch, hwaddr off,
                                  unsigned size)
{
    unsigned idx = off / 8;
    uint64_t v;

    if (idx >= QV_NUM_STATS) {
        return 0;
    }
    if (off & 4) {
        return *latch;
    }
    v = qosvnic_stat_value(f, idx);
    if (size == 8) {
        return v;
    }
    *latch = v >> 32;
    return (uint32_t)v;
}

static void qosvnic_stat_write(QvFunc *f, hwaddr off)
{
    if (off / 8 == QV_STAT_BUF_PEAK) {
        qosvnic_buf_clear_peak(f);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: statistic 0x%"
                      HWADDR_PRIx " is read-only\n", f->fn, off);
    }
}

/*
 * Queue pair registers: QV_FN_QUEUE(q) + QV_Q_*, and queue pair 0's at
 * QV_FN_RX_BASE_LO.. QV_FN_TX_TAIL, which have the same layout (but for
 * QV_FN_RX_BUF_SIZE, the function's). True if @addr is one.
 */
static bool qosvnic_queue_reg(hwaddr addr, unsigned *q, hwaddr *off)
{
    QEMU_BUILD_BUG_ON(QV_FN_ITR(QV_VEC_QP(1)) != QV_FN_QUEUE(1) + QV_Q_ITR ||
                      QV_FN_ITR(QV_VEC_QP(3)) != QV_FN_QUEUE(3) + QV_Q_ITR);
    QEMU_BUILD_BUG_ON(QV_FN_RX_BASE_LO + QV_Q_TX_TAIL != QV_FN_TX_TAIL ||
                      QV_FN_RX_BASE_LO + QV_Q_RX_TAIL != QV_FN_RX_TAIL);
    if (addr >= QV_FN_RX_BASE_LO && addr <= QV_FN_TX_TAIL &&
        addr != QV_FN_RX_BUF_SIZE) {
        *q = 0;
        *off = addr - QV_FN_RX_BASE_LO;
        return true;
    }
    if (addr >= QV_FN_QUEUE(0) && addr < QV_FN_QUEUE(QV_NUM_QUEUES)) {
        *q = (addr - QV_FN_QUEUE(0)) / (QV_FN_QUEUE(1) - QV_FN_QUEUE(0));
        *off = addr - QV_FN_QUEUE(*q);
        return true;
    }
    return false;
}

static uint32_t qosvnic_queue_read(QvFunc *f, unsigned q, hwaddr off)
{
    QvRing *rx = &f->rxq[q], *tx = &f->txq[q];

    switch (off) {
    case QV_Q_RX_BASE_LO:
        return (uint32_t)rx->base;
    case QV_Q_RX_BASE_HI:
        return rx->base >> 32;
    case QV_Q_RX_SIZE:
        return rx->size;
    case QV_Q_RX_HEAD:
        return rx->head;
    case QV_Q_RX_TAIL:
        return rx->tail;
    case QV_Q_TX_BASE_LO:
        return (uint32_t)tx->base;
    case QV_Q_TX_BASE_HI:
        return tx->base >> 32;
    case QV_Q_TX_SIZE:
        return tx->size;
    case QV_Q_TX_HEAD:
        return tx->head;
    case QV_Q_TX_TAIL:
        return tx->tail;
    case QV_Q_ITR:
        if (q) {
            return f->itr_us[QV_VEC_QP(q)];
        }
        /* fall through */
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: read of unknown "
                      "register 0x%" HWADDR_PRIx " of queue %u\n", f->fn,
                      off, q);
        return 0;
    }
}

uint64_t qosvnic_fn_read(QvFunc *f, hwaddr addr, unsigned size)
{
    uint64_t v = 0;
    hwaddr off;
    unsigned q;

    if (addr >= QV_FN_STATS && addr < QV_FN_STAT(QV_NUM_STATS)) {
        v = qosvnic_stat_read(f, &f->stat_hi_latch, addr - QV_FN_STATS,
                              size);
        trace_qosvnic_fn_read(f->fn, addr, v);
        return v;
    }
    if (size == 8) {
        /* A register pair, low word first (the contract's convention). */
        v = qosvnic_fn_read(f, addr, 4);
        return v | qosvnic_fn_read(f, addr + 4, 4) << 32;
    }
    if (addr >= QV_FN_MC_LO(0) && addr < QV_FN_MC_LO(QV_MC_ENTRIES)) {
        unsigned i = (addr - QV_FN_MC_LO(0)) / 8;

        if (addr & 4) {
            v = qosvnic_mac_hi(&f->mc[i]) |
                ((f->mc_valid & BIT(i)) ? QV_MC_HI_VALID : 0);
        } else {
            v = qosvnic_mac_lo(&f->mc[i]);
        }
        return v;
    }
    if (addr >= QV_FN_MBX_MEM(0) && addr < QV_FN_MBX_MEM(QV_MBX_WORDS)) {
        return f->mbx_mem[(addr - QV_FN_MBX_MEM(0)) / 4];
    }
    if (qosvnic_queue_reg(addr, &q, &off)) {
        v = qosvnic_queue_read(f, q, off);
        trace_qosvnic_fn_read(f->fn, addr, v);
        return v;
    }
    if (addr >= QV_FN_RSS_KEY(0) && addr < QV_FN_RSS_KEY(QV_RSS_KEY_WORDS)) {
        return ldl_le_p(f->rss_key + ((addr - QV_FN_RSS_KEY(0)) & ~3));
    }
    if (addr >= QV_FN_RSS_RETA(0) &&
        addr < QV_FN_RSS_RETA(QV_RSS_RETA_WORDS)) {
        return ldl_le_p(f->rss_reta + ((addr - QV_FN_RSS_RETA(0)) & ~3));
    }

    switch (addr) {
    case QV_FN_ID:
        v = QV_ID_MAGIC;
        break;
    case QV_FN_VERSION:
        v = QV_CONTRACT_VERSION;
        break;
    case QV_FN_CTRL:
        v = f->ctrl;
        break;
    case QV_FN_STATUS:
        v = f->status_err;
        if (qosvnic_fn_link_up(f)) {
            v |= QV_STATUS_LINK_UP;
        }
        if (qosvnic_fn_enabled(f)) {
            v |= QV_STATUS_ENABLED;
        }
        if (f->mg_flags & QV_MGF_TRUST) {
            v |= QV_STATUS_TRUSTED;
        }
        break;
    case QV_FN_MAC_LO:
        v = qosvnic_mac_lo(&f->mac);
        break;
    case QV_FN_MAC_HI:
        v = qosvnic_mac_hi(&f->mac);
        break;
    case QV_FN_MTU:
        v = f->mtu;
        break;
    case QV_FN_FEATURES:
        v = QV_OFF_ALL;
        break;
    case QV_FN_LINK_SPEED:
        v = f->dev->line_rate_mbps;
        break;
    case QV_FN_OFFLOADS:
        v = f->offloads;
        break;
    case QV_FN_RX_FILTER:
        v = f->rx_filter;
        break;
    case QV_FN_INT_CAUSE:
        v = f->int_cause;
        break;
    case QV_FN_INT_MASK:
        v = f->int_mask;
        break;
    case QV_FN_ITR(0) ... QV_FN_ITR(QV_VEC_MISC):
        v = f->itr_us[(addr - QV_FN_ITR(0)) / 4];
        break;
    case QV_FN_MISC_CAUSE:
        v = f->misc_cause;
        break;
    case QV_FN_RX_BUF_SIZE:
        v = f->rx_buf_size;
        break;
    case QV_FN_NUM_QUEUES:
        v = QV_NUM_QUEUES;
        break;
    case QV_FN_RSS_CTRL:
        v = f->rss_ctrl;
        break;
    case QV_FN_MBX_CTRL:
        v = f->fn ? qosvnic_mbx_vf_ctrl(f) : 0;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: read of unknown "
                      "register 0x%" HWADDR_PRIx "\n", f->fn, addr);
        break;
    }
    trace_qosvnic_fn_read(f->fn, addr, v);
    return v;
}

static void qosvnic_write_mtu(QvFunc *f, uint32_t val)
{
    if (val < QV_MTU_MIN || val > QV_MTU_MAX) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: MTU %u out of range "
                      "(%u..%u), ignored\n", f->fn, val, QV_MTU_MIN,
                      QV_MTU_MAX);
        return;
    }
    f->mtu = val;
}

static void qosvnic_write_itr(QvFunc *f, unsigned vec, uint32_t val)
{
    if (val > QV_ITR_MAX_US) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: ITR %u us above %u, "
                      "clamped\n", f->fn, val, QV_ITR_MAX_US);
        val = QV_ITR_MAX_US;
    }
    f->itr_us[vec] = val;
}

static void qosvnic_queue_write(QvFunc *f, unsigned q, hwaddr off,
                                uint32_t val)
{
    QvRing *rx = &f->rxq[q], *tx = &f->txq[q];

    switch (off) {
    case QV_Q_RX_BASE_LO:
        rx->base = deposit64(rx->base, 0, 32, val);
        break;
    case QV_Q_RX_BASE_HI:
        rx->base = deposit64(rx->base, 32, 32, val);
        break;
    case QV_Q_RX_SIZE:
        rx->size = val;
        rx->head = 0;
        rx->tail = 0;
        break;
    case QV_Q_RX_TAIL:
        rx->tail = val;
        qosvnic_sched_kick(f->dev, f);
        break;
    case QV_Q_TX_BASE_LO:
        tx->base = deposit64(tx->base, 0, 32, val);
        qosvnic_tx_ring_changed(f);
        break;
    case QV_Q_TX_BASE_HI:
        tx->base = deposit64(tx->base, 32, 32, val);
        qosvnic_tx_ring_changed(f);
        break;
    case QV_Q_TX_SIZE:
        tx->size = val;
        tx->head = 0;
        tx->tail = 0;
        qosvnic_tx_ring_changed(f);
        break;
    case QV_Q_TX_TAIL:
        tx->tail = val;
        qosvnic_tx_kick(f->dev);
        break;
    case QV_Q_ITR:
        if (q) {
            qosvnic_write_itr(f, QV_VEC_QP(q), val);
            break;
        }
        /* fall through */
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: write 0x%x to "
                      "read-only or unknown register 0x%" HWADDR_PRIx
                      " of queue %u\n", f->fn, val, off, q);
        break;
    }
}

/* A word of the indirection table: refused if it names no queue. */
static void qosvnic_write_reta(QvFunc *f, unsigned i, uint32_t val)
{
    for (unsigned j = 0; j < 4; j++) {
        if (((val >> (8 * j)) & 0xff) >= QV_NUM_QUEUES) {
            qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: RSS table word "
                          "%u 0x%08x names a queue >= %u, ignored\n", f->fn,
                          i, val, QV_NUM_QUEUES);
            return;
        }
    }
    stl_le_p(f->rss_reta + 4 * i, val);
}

static void qosvnic_write_mc(QvFunc *f, hwaddr addr, uint32_t val)
{
    unsigned i = (addr - QV_FN_MC_LO(0)) / 8;

    if (addr & 4) {
        stw_le_p(f->mc[i].a + 4, val);
        if (val & QV_MC_HI_VALID) {
            f->mc_valid |= BIT(i);
        } else {
            f->mc_valid &= ~BIT(i);
        }
    } else {
        stl_le_p(f->mc[i].a, val);
    }
}

void qosvnic_fn_write(QvFunc *f, hwaddr addr, uint64_t val, unsigned size)
{
    QosvnicState *s = f->dev;
    hwaddr off;
    unsigned q;

    trace_qosvnic_fn_write(f->fn, addr, val);
    if (size == 8 && !(addr >= QV_FN_STATS &&
                       addr < QV_FN_STAT(QV_NUM_STATS))) {
        qosvnic_fn_write(f, addr, (uint32_t)val, 4);
        qosvnic_fn_write(f, addr + 4, val >> 32, 4);
        return;
    }
    if (addr >= QV_FN_STATS && addr < QV_FN_STAT(QV_NUM_STATS)) {
        qosvnic_stat_write(f, addr - QV_FN_STATS);
        return;
    }
    if (addr >= QV_FN_MC_LO(0) && addr < QV_FN_MC_LO(QV_MC_ENTRIES)) {
        qosvnic_write_mc(f, addr, val);
        return;
    }
    if (addr >= QV_FN_MBX_MEM(0) && addr < QV_FN_MBX_MEM(QV_MBX_WORDS)) {
        qosvnic_mbx_mem_write(f, false, (addr - QV_FN_MBX_MEM(0)) / 4, val);
        return;
    }
    if (qosvnic_queue_reg(addr, &q, &off)) {
        qosvnic_queue_write(f, q, off, val);
        return;
    }
    if (addr >= QV_FN_RSS_KEY(0) && addr < QV_FN_RSS_KEY(QV_RSS_KEY_WORDS)) {
        stl_le_p(f->rss_key + ((addr - QV_FN_RSS_KEY(0)) & ~3), val);
        return;
    }
    if (addr >= QV_FN_RSS_RETA(0) &&
        addr < QV_FN_RSS_RETA(QV_RSS_RETA_WORDS)) {
        qosvnic_write_reta(f, (addr - QV_FN_RSS_RETA(0)) / 4, val);
        return;
    }

    switch (addr) {
    case QV_FN_CTRL:
        qosvnic_fn_write_ctrl(f, val);
        break;
    case QV_FN_MTU:
        qosvnic_write_mtu(f, val);
        break;
    case QV_FN_OFFLOADS:
        if (val & ~QV_OFF_ALL) {
            qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: unknown offload "
                          "bits 0x%" PRIx64 " ignored\n", f->fn,
                          val & ~QV_OFF_ALL);
        }
        f->offloads = val & QV_OFF_ALL;
        qosvnic_update_peer_offloads(s);
        break;
    case QV_FN_RX_FILTER:
        f->rx_filter = val & (QV_RXF_BCAST | QV_RXF_ALLMULTI |
                              QV_RXF_PROMISC);
        qosvnic_rx_filter_update(s);
        break;
    case QV_FN_INT_CAUSE:
        qosvnic_irq_ack(f, val);
        break;
    case QV_FN_INT_MASK_SET:
        qosvnic_irq_mask(f, val & QV_INT_ALL);
        break;
    case QV_FN_INT_MASK_CLR:
        qosvnic_irq_unmask(f, val & QV_INT_ALL);
        break;
    case QV_FN_ITR(0) ... QV_FN_ITR(QV_VEC_MISC):
        qosvnic_write_itr(f, (addr - QV_FN_ITR(0)) / 4, val);
        break;
    case QV_FN_MISC_CAUSE:
        f->misc_cause &= ~val;
        break;
    case QV_FN_RX_BUF_SIZE:
        f->rx_buf_size = val;
        break;
    case QV_FN_RSS_CTRL:
        if (val & ~QV_RSS_ALL) {
            qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: unknown RSS "
                          "bits 0x%" PRIx64 " ignored\n", f->fn,
                          val & ~QV_RSS_ALL);
        }
        f->rss_ctrl = val & QV_RSS_ALL;
        break;
    case QV_FN_MBX_CTRL:
        qosvnic_mbx_vf_write(f, val);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: write 0x%" PRIx64
                      " to read-only or unknown register 0x%" HWADDR_PRIx
                      "\n", f->fn, val, addr);
        break;
    }
}

/* ----------------------------------------------- management windows */

static void qosvnic_set_mac(QvFunc *f, hwaddr reg, uint32_t val)
{
    MACAddr mac = f->mac;

    if (reg == QV_MG_MAC_LO) {
        stl_le_p(mac.a, val);
    } else {
        stw_le_p(mac.a + 4, val);
    }
    qosvnic_mg_set_mac(f, &mac);
}

static void qosvnic_set_flags(QvFunc *f, uint32_t val)
{
    uint32_t link = (val & QV_MGF_LINK_MASK) >> QV_MGF_LINK_SHIFT;

    if (link > QV_LINK_DISABLE) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: link state %u "
                      "invalid (max %u), ignored\n", f->fn, link,
                      QV_LINK_DISABLE);
        return;
    }
    qosvnic_mg_set_flags(f, val);
}

static bool qosvnic_check_range(QvFunc *f, const char *what, uint64_t val,
                                uint64_t min, uint64_t max)
{
    if (val < min || val > max) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: fn %u: %s %" PRIu64
                      " out of range (%" PRIu64 "..%" PRIu64 "), ignored\n",
                      f->fn, what, val, min, max);
        return false;
    }
    return true;
}

static uint64_t qosvnic_mgmt_read(QvFunc *f, hwaddr reg, unsigned size)
{
    if (reg >= QV_MG_STATS && reg < QV_MG_STAT(QV_NUM_STATS)) {
        return qosvnic_stat_read(f, &f->mg_stat_hi_latch,
                                 reg - QV_MG_STATS, size);
    }
    if (reg >= QV_MG_MBX_MEM(0) && reg < QV_MG_MBX_MEM(QV_MBX_WORDS)) {
        return f->mbx_mem[(reg - QV_MG_MBX_MEM(0)) / 4];
    }
    switch (reg) {
    case QV_MG_MAC_LO:
        return qosvnic_mac_lo(&f->mac);
    case QV_MG_MAC_HI:
        return qosvnic_mac_hi(&f->mac);
    case QV_MG_VLAN:
        return f->vlan;
    case QV_MG_FLAGS:
        return f->mg_flags;
    case QV_MG_RX_RATE_LO:
        return (uint32_t)f->rx_rate_bps;
    case QV_MG_RX_RATE_HI:
        return f->rx_rate_bps >> 32;
    case QV_MG_RX_BURST:
        return f->rx_burst;
    case QV_MG_TX_MAX_RATE:
        return f->tx_max_mbps;
    case QV_MG_TX_MIN_RATE:
        return f->tx_min_mbps;
    case QV_MG_PRIO:
        return f->prio;
    case QV_MG_WEIGHT:
        return f->weight;
    case QV_MG_BUF_RESERVE:
        return qosvnic_buf_reserve_bytes(f);
    case QV_MG_BUF_ALPHA:
        return f->part.alpha;
    case QV_MG_HOST_LIMITS:
        return f->host_limits;
    case QV_MG_MBX_CTRL:
        return f->fn ? qosvnic_mbx_pf_ctrl(f) : 0;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: read of unknown management "
                  "register 0x%" HWADDR_PRIx " of fn %u\n", reg, f->fn);
    return 0;
}

static void qosvnic_mgmt_write(QvFunc *f, hwaddr reg, uint32_t val)
{
    if (reg >= QV_MG_STATS && reg < QV_MG_STAT(QV_NUM_STATS)) {
        qosvnic_stat_write(f, reg - QV_MG_STATS);
        return;
    }
    if (reg >= QV_MG_MBX_MEM(0) && reg < QV_MG_MBX_MEM(QV_MBX_WORDS)) {
        qosvnic_mbx_mem_write(f, true, (reg - QV_MG_MBX_MEM(0)) / 4, val);
        return;
    }
    switch (reg) {
    case QV_MG_MAC_LO:
    case QV_MG_MAC_HI:
        qosvnic_set_mac(f, reg, val);
        break;
    case QV_MG_VLAN:
        qosvnic_mg_set_vlan(f, val);
        break;
    case QV_MG_FLAGS:
        qosvnic_set_flags(f, val);
        break;
    case QV_MG_RX_RATE_HI:
        /* Staged; the write of the low word commits the 64-bit rate. */
        f->rate_hi_stage = val;
        break;
    case QV_MG_RX_RATE_LO:
        qosvnic_mg_set_rx_rate(f, qosvnic_host_clamp(f, reg,
                               deposit64(val, 32, 32, f->rate_hi_stage)));
        /* Committed: a later write of the low word alone means < 4 G. */
        f->rate_hi_stage = 0;
        break;
    case QV_MG_RX_BURST:
        qosvnic_mg_set_rx_burst(f, qosvnic_host_clamp(f, reg, val));
        break;
    case QV_MG_TX_MAX_RATE:
        qosvnic_mg_set_tx_max(f, qosvnic_host_clamp(f, reg, val));
        break;
    case QV_MG_TX_MIN_RATE:
        qosvnic_mg_set_tx_min(f, qosvnic_host_clamp(f, reg, val));
        break;
    case QV_MG_PRIO:
        if (qosvnic_check_range(f, "priority class", val, 0,
                                QV_PRIO_CLASSES - 1)) {
            qosvnic_mg_set_prio(f, qosvnic_host_clamp(f, reg, val));
        }
        break;
    case QV_MG_WEIGHT:
        if (qosvnic_check_range(f, "weight", val, QV_WEIGHT_MIN,
                                QV_WEIGHT_MAX)) {
            qosvnic_mg_set_weight(f, qosvnic_host_clamp(f, reg, val));
        }
        break;
    case QV_MG_BUF_RESERVE:
        qosvnic_mg_set_buf_reserve(f, qosvnic_host_clamp(f, reg, val));
        break;
    case QV_MG_BUF_ALPHA:
        if (qosvnic_check_range(f, "alpha", val, 0, QV_ALPHA_MAX)) {
            qosvnic_mg_set_buf_alpha(f, qosvnic_host_clamp(f, reg, val));
        }
        break;
    case QV_MG_MBX_CTRL:
        if (f->fn) {
            qosvnic_mbx_pf_write(f, val);
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: write 0x%x to read-only or "
                      "unknown management register 0x%" HWADDR_PRIx
                      " of fn %u\n", val, reg, f->fn);
        break;
    }
}

/* ----------------------------------------------- device-wide registers */

static uint64_t qosvnic_dev_read(QosvnicState *s, hwaddr addr)
{
    if (addr >= QV_DEV_MBX_PENDING(0) &&
        addr < QV_DEV_MBX_PENDING(QV_DEV_MBX_WORDS)) {
        return s->mbx_pending[(addr - QV_DEV_MBX_PENDING(0)) / 4];
    }
    if (addr >= QV_DEV_ESW_MODE && addr <= QV_DEV_ESW_MISS_HI) {
        return qosvnic_esw_dev_read(s, addr);
    }
    switch (addr) {
    case QV_DEV_CAPS:
        return QV_CAPS_SWITCHDEV | QV_CAPS_MBX_OWNER | QV_CAPS_LOOPBACK;
    case QV_DEV_MAX_VFS:
        return s->max_vfs;
    case QV_DEV_NUM_VFS:
        return pcie_sriov_num_vfs(PCI_DEVICE(s));
    case QV_DEV_BUF_TOTAL:
        return s->buf_size;
    case QV_DEV_BUF_SHARED_FREE:
        return qosvnic_buf_shared_free_bytes(s);
    case QV_DEV_LINE_RATE:
        return s->line_rate_mbps;
    case QV_DEV_DMA_RATE_LO:
        return (uint32_t)s->dma_rate_bps;
    case QV_DEV_DMA_RATE_HI:
        return s->dma_rate_bps >> 32;
    case QV_DEV_LINK:
        return !qemu_get_queue(s->nic)->link_down;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: read of unknown device "
                  "register 0x%" HWADDR_PRIx "\n", addr);
    return 0;
}

static void qosvnic_dev_write(QosvnicState *s, hwaddr addr, uint32_t val)
{
    if (addr >= QV_DEV_MBX_PENDING(0) &&
        addr < QV_DEV_MBX_PENDING(QV_DEV_MBX_WORDS)) {
        s->mbx_pending[(addr - QV_DEV_MBX_PENDING(0)) / 4] &= ~val;
        return;
    }
    if (addr >= QV_DEV_ESW_MODE && addr <= QV_DEV_ESW_MISS_HI) {
        qosvnic_esw_dev_write(s, addr, val);
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: write 0x%x to read-only or "
                  "unknown device register 0x%" HWADDR_PRIx "\n", val, addr);
}

/* ----------------------------------------------------- PF BAR0 decode */

static QvFunc *qosvnic_mgmt_func(QosvnicState *s, hwaddr addr, hwaddr *reg)
{
    uint32_t fn = (addr - QV_MGMT_BASE) / QV_MGMT_STRIDE;

    if (fn >= s->num_funcs) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: management window of fn %u "
                      "accessed, device has %u functions\n", fn,
                      s->num_funcs);
        return NULL;
    }
    *reg = (addr - QV_MGMT_BASE) % QV_MGMT_STRIDE;
    return &s->funcs[fn];
}

/* A management window's statistics: 64-bit registers of their own. */
static bool qosvnic_mgmt_is_stat(hwaddr addr)
{
    return addr >= QV_MGMT_BASE && addr < QV_MGMT(QV_MAX_FUNCS) &&
           (addr - QV_MGMT_BASE) % QV_MGMT_STRIDE >= QV_MG_STATS;
}

static uint64_t qosvnic_pf_mmio_read(void *opaque, hwaddr addr,
                                     unsigned size)
{
    QosvnicState *s = opaque;
    QvFunc *f;
    hwaddr reg;
    uint64_t v;

    if (addr < QV_DEV_BASE) {
        return qosvnic_fn_read(&s->funcs[0], addr, size);
    }
    if (size == 8 && !qosvnic_mgmt_is_stat(addr)) {
        /* A register pair (RX_RATE, DMA_RATE, counters), low word first. */
        v = qosvnic_pf_mmio_read(s, addr, 4);
        return v | qosvnic_pf_mmio_read(s, addr + 4, 4) << 32;
    }
    if (addr < QV_MGMT_BASE) {
        v = qosvnic_dev_read(s, addr);
    } else if (addr >= QV_RULE_BASE) {
        v = qosvnic_esw_read(s, addr);
    } else {
        f = qosvnic_mgmt_func(s, addr, &reg);
        v = f ? qosvnic_mgmt_read(f, reg, size) : 0;
    }
    trace_qosvnic_pf_read(addr, v);
    return v;
}

static void qosvnic_pf_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    QosvnicState *s = opaque;
    QvFunc *f;
    hwaddr reg;

    if (addr < QV_DEV_BASE) {
        qosvnic_fn_write(&s->funcs[0], addr, val, size);
        return;
    }
    trace_qosvnic_pf_write(addr, val);
    if (size == 8 && !qosvnic_mgmt_is_stat(addr)) {
        /* High word first: it stages the 64-bit rate registers. */
        qosvnic_pf_mmio_write(s, addr + 4, val >> 32, 4);
        qosvnic_pf_mmio_write(s, addr, (uint32_t)val, 4);
        return;
    }
    if (addr < QV_MGMT_BASE) {
        qosvnic_dev_write(s, addr, val);
        return;
    }
    if (addr >= QV_RULE_BASE) {
        qosvnic_esw_write(s, addr, val);
        return;
    }
    f = qosvnic_mgmt_func(s, addr, &reg);
    if (f) {
        qosvnic_mgmt_write(f, reg, val);
    }
}

/*
 * Is this write to function @fn's registers one of this device's own DMA
 * writes? Every MSI-X message and DMA of the device goes out under the
 * PF's reentrancy guard, which blocks them on every function's BARs; this
 * is the second line behind it. A write that carries one of the device's
 * requester IDs (CPU writes carry none) is dropped.
 */
bool qosvnic_write_from_self(QosvnicState *s, uint32_t fn, hwaddr addr,
                             MemTxAttrs attrs)
{
    if (attrs.unspecified || !attrs.requester_id) {
        return false;
    }
    for (uint32_t i = 0; i < s->num_funcs; i++) {
        PCIDevice *pci = qosvnic_fn_pci(s, i);

        if (pci && pci_requester_id(pci) == attrs.requester_id) {
            qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: a write from function "
                          "%04x (its DMA or MSI-X message) to function %u's "
                          "registers at 0x%" HWADDR_PRIx ": dropped\n",
                          attrs.requester_id, fn, addr);
            return true;
        }
    }
    return false;
}

/*
 * Is this write to function @pci's config space one of this device's own
 * DMA writes or MSI-X messages? Without an IOMMU a bus master reaches the
 * MMCONFIG window like memory, and QEMU turns such a write into a config
 * write: a tenant would FLR another VF, or clear the PF's VF Enable, with
 * a message or a receive buffer aimed there. The device's DMA and messages
 * all go out under the PF's reentrancy guard; config writes from a CPU or
 * the host never do.
 */
bool qosvnic_config_write_from_self(QosvnicState *s, PCIDevice *pci,
                                    uint32_t addr)
{
    if (!DEVICE(s)->mem_reentrancy_guard.engaged_in_io) {
        return false;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: a config write to %02x.%u at "
                  "0x%x from the device's own DMA or MSI-X message: "
                  "dropped\n", PCI_SLOT(pci->devfn), PCI_FUNC(pci->devfn),
                  addr);
    return true;
}

static MemTxResult qosvnic_pf_mmio_write_attrs(void *opaque, hwaddr addr,
                                               uint64_t val, unsigned size,
                                               MemTxAttrs attrs)
{
    QosvnicState *s = opaque;

    if (!qosvnic_write_from_self(s, 0, addr, attrs)) {
        qosvnic_pf_mmio_write(s, addr, val, size);
    }
    return MEMTX_OK;
}

const MemoryRegionOps qosvnic_pf_mmio_ops = {
    .read = qosvnic_pf_mmio_read,
    .write_with_attrs = qosvnic_pf_mmio_write_attrs,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
};
