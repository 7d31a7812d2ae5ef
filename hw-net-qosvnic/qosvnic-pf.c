/*
 * qosvnic: the Physical Function.
 *
 * PCI Express endpoint with MSI-X, AER, ARI and SR-IOV; owns the state of
 * every function, the netdev backend, the device buffer and the timers.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_sriov.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "standard-headers/linux/virtio_net.h"
#include "qosvnic.h"
#include "trace.h"

static void qosvnic_set_link_status(NetClientState *nc)
{
    QosvnicState *s = qemu_get_nic_opaque(nc);
    uint32_t fn;

    trace_qosvnic_link(!nc->link_down);
    for (fn = 0; fn < s->num_funcs; fn++) {
        QvFunc *f = &s->funcs[fn];
        uint32_t state = (f->mg_flags & QV_MGF_LINK_MASK) >> QV_MGF_LINK_SHIFT;

        if (state == QV_LINK_AUTO && qosvnic_fn_enabled(f)) {
            qosvnic_irq_misc(f, QV_MISC_LINK);
        }
    }
}

static NetClientInfo qosvnic_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = qosvnic_nc_can_receive,
    .receive_iov = qosvnic_nc_receive_iov,
    .link_status_changed = qosvnic_set_link_status,
};

static void qosvnic_init_net(QosvnicState *s)
{
    DeviceState *dev = DEVICE(s);
    NetClientState *nc;

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&qosvnic_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    nc = qemu_get_queue(s->nic);
    qemu_format_nic_info_str(nc, s->conf.macaddr.a);

    s->has_vnet_hdr = nc->peer && qemu_has_vnet_hdr(nc->peer);
    s->offload_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                    qosvnic_offload_timer_cb, s);
    s->offload_last_ns = QV_IRQ_NEVER;
    if (s->has_vnet_hdr) {
        qemu_set_vnet_hdr_len(nc->peer, sizeof(struct virtio_net_hdr));
        qemu_set_offload(nc->peer, 0, 0, 0, 0, 0, 0, 0);
    }
    trace_qosvnic_vnet_hdr(s->has_vnet_hdr);
}

static bool qosvnic_check_props(QosvnicState *s, Error **errp)
{
    if (s->max_vfs < 1 || s->max_vfs > QV_MAX_VFS) {
        error_setg(errp, "qosvnic: max-vfs=%u is out of range "
                   "(must be between 1 and %u)", s->max_vfs, QV_MAX_VFS);
        return false;
    }
    if (s->buf_size < QV_BUF_MIN || s->buf_size > QV_BUF_MAX ||
        s->buf_size % QV_CELL_SIZE) {
        error_setg(errp, "qosvnic: buffer-size=%u is out of range (must be "
                   "a multiple of %u between %u and %u bytes)", s->buf_size,
                   QV_CELL_SIZE, (unsigned)QV_BUF_MIN, (unsigned)QV_BUF_MAX);
        return false;
    }
    if (s->vf_prio >= QV_PRIO_CLASSES) {
        error_setg(errp, "qosvnic: vf-prio=%u is out of range (max %u)",
                   s->vf_prio, QV_PRIO_CLASSES - 1);
        return false;
    }
    if (s->vf_weight < QV_WEIGHT_MIN || s->vf_weight > QV_WEIGHT_MAX) {
        error_setg(errp, "qosvnic: vf-weight=%u is out of range "
                   "(must be between %u and %u)", s->vf_weight,
                   QV_WEIGHT_MIN, QV_WEIGHT_MAX);
        return false;
    }
    if (s->rx_first_len > QV_RX_BUF_MAX) {
        error_setg(errp, "qosvnic: x-rx-first-len=%u is out of range "
                   "(max %u; 0 = off)", s->rx_first_len, QV_RX_BUF_MAX);
        return false;
    }
    if (s->vf_alpha > QV_ALPHA_MAX) {
        error_setg(errp, "qosvnic: vf-alpha=%u is out of range (max %u, "
                   "in 1/%u units)", s->vf_alpha, QV_ALPHA_MAX, QV_ALPHA_ONE);
        return false;
    }
    return true;
}

/* Undo what realize set up after the capabilities (both exit and errors). */
static void qosvnic_release(QosvnicState *s)
{
    PCIDevice *pci = PCI_DEVICE(s);

    timer_free(s->dma_timer);
    timer_free(s->tx_timer);
    timer_free(s->irq_timer);
    timer_free(s->offload_timer);
    qemu_del_vm_change_state_handler(s->vm_state);
    qemu_bh_delete(s->rx_bh);
    qemu_bh_delete(s->tx_bh);
    qosvnic_tx_uninit(s);
    qosvnic_rx_uninit(s);
    qosvnic_buf_free(s);
    qemu_del_nic(s->nic);
    pcie_aer_exit(pci);
    msix_unuse_all_vectors(pci);
    msix_uninit(pci, &s->msix, &s->msix);
}

/* Config space: BARs, PCIe, MSI-X (its vectors in use), AER, ARI. */
static bool qosvnic_init_pci(QosvnicState *s, Error **errp)
{
    PCIDevice *pci = PCI_DEVICE(s);
    int i;

    pci->config[PCI_INTERRUPT_PIN] = 1;
    memory_region_init_io(&s->mmio, OBJECT(s), &qosvnic_pf_mmio_ops, s,
                          "qosvnic-mmio", QV_PF_BAR0_SIZE);
    pci_register_bar(pci, QV_PF_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);
    memory_region_init(&s->msix, OBJECT(s), "qosvnic-msix", QV_PF_BAR2_SIZE);
    pci_register_bar(pci, QV_PF_BAR_MSIX, PCI_BASE_ADDRESS_MEM_TYPE_64,
                     &s->msix);

    if (pcie_endpoint_cap_init(pci, QV_CAP_EXP_OFFSET) < 0) {
        error_setg(errp, "qosvnic: cannot add the PCIe capability");
        return false;
    }
    /* The OS enables error reporting (AER) in Device Control. */
    pcie_cap_deverr_init(pci);
    if (msix_init(pci, QV_NUM_VECTORS, &s->msix, QV_PF_BAR_MSIX,
                  QV_MSIX_TABLE_OFFSET, &s->msix, QV_PF_BAR_MSIX,
                  QV_MSIX_PBA_OFFSET, QV_CAP_MSIX_OFFSET, errp)) {
        return false;
    }
    for (i = 0; i < QV_NUM_VECTORS; i++) {
        msix_vector_use(pci, i);
    }
    if (pcie_aer_init(pci, PCI_ERR_VER, QV_EXTCAP_AER_OFFSET,
                      PCI_ERR_SIZEOF, errp) < 0) {
        msix_unuse_all_vectors(pci);
        msix_uninit(pci, &s->msix, &s->msix);
        return false;
    }
    pcie_ari_init(pci, QV_EXTCAP_ARI_OFFSET);
    return true;
}

/*
 * Every function's state, the backend and the device buffer, each
 * function with its defaults and reset. This must exist before the VFs
 * realize and reset.
 */
static void qosvnic_init_functions(QosvnicState *s)
{
    uint32_t fn;

    memset(s->mac_hash, 0xff, sizeof(s->mac_hash));
    for (fn = 0; fn < QV_MAX_FUNCS; fn++) {
        s->funcs[fn].dev = s;
        s->funcs[fn].fn = fn;
    }
    s->funcs[0].pci = PCI_DEVICE(s);
    s->drop_hook = qosvnic_qmp_drop_hook;
    qosvnic_init_net(s);
    qosvnic_buf_init(s);
    qosvnic_esw_reset(s);
    qosvnic_sched_reset(s);
    qosvnic_mac_table_rebuild(s);
    for (fn = 0; fn < s->num_funcs; fn++) {
        qosvnic_mgmt_defaults(&s->funcs[fn]);
        qosvnic_fn_reset(&s->funcs[fn]);
    }
}

/*
 * The engines do nothing while the VM is stopped (no DMA, no interrupt):
 * what was kicked meanwhile (frames held at a migration's switch-over,
 * a host's QMP change, the TX ring) goes when it runs again.
 */
static void qosvnic_vm_state_change(void *opaque, bool running,
                                    RunState state)
{
    QosvnicState *s = opaque;

    if (running) {
        qosvnic_sched_kick(s, NULL);
        qosvnic_tx_kick(s);
    }
}

/* The DMA scheduler and TX engine: their bottom halves and timers. */
static void qosvnic_init_engines(QosvnicState *s)
{
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;

    s->rx_bh = qemu_bh_new_guarded(qosvnic_sched_bh, s, guard);
    s->tx_bh = qemu_bh_new_guarded(qosvnic_tx_bh, s, guard);
    /* Timers only schedule the guarded bottom halves or send MSI-X. */
    s->dma_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, qosvnic_dma_timer_cb, s);
    s->tx_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, qosvnic_tx_timer_cb, s);
    s->irq_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, qosvnic_irq_timer_cb, s);
    s->vm_state = qemu_add_vm_change_state_handler(qosvnic_vm_state_change,
                                                   s);
    qosvnic_tx_init(s);
    qosvnic_rx_init(s);
}

static void qosvnic_realize(PCIDevice *pci, Error **errp)
{
    QosvnicState *s = QOSVNIC(pci);

    if (!qosvnic_check_props(s, errp)) {
        return;
    }
    s->num_funcs = 1 + s->max_vfs;
    if (!qosvnic_init_pci(s, errp)) {
        return;
    }
    qosvnic_init_functions(s);
    qosvnic_init_engines(s);

    if (!pcie_sriov_pf_init(pci, QV_EXTCAP_SRIOV_OFFSET, TYPE_QOSVNIC_VF,
                            QV_PCI_DEVICE_ID_VF, s->max_vfs, s->max_vfs,
                            QV_SRIOV_VF_OFFSET, QV_SRIOV_VF_STRIDE, errp)) {
        qosvnic_release(s);
        return;
    }
    pcie_sriov_pf_init_vf_bar(pci, QV_VF_BAR_REGS,
                              PCI_BASE_ADDRESS_MEM_TYPE_64 |
                              PCI_BASE_ADDRESS_MEM_PREFETCH, QV_VF_BAR0_SIZE);
    pcie_sriov_pf_init_vf_bar(pci, QV_VF_BAR_MSIX,
                              PCI_BASE_ADDRESS_MEM_TYPE_64 |
                              PCI_BASE_ADDRESS_MEM_PREFETCH, QV_VF_BAR2_SIZE);
}

static void qosvnic_exit(PCIDevice *pci)
{
    pcie_sriov_pf_exit(pci);
    qosvnic_release(QOSVNIC(pci));
}

/* A device (not function) reset: every function back to power-on state. */
static void qosvnic_reset_hold(Object *obj, ResetType type)
{
    QosvnicState *s = QOSVNIC(obj);
    uint32_t fn;

    timer_del(s->dma_timer);
    timer_del(s->tx_timer);
    timer_del(s->irq_timer);
    timer_del(s->offload_timer);
    memset(s->mbx_pending, 0, sizeof(s->mbx_pending));
    /*
     * All reserves back to defaults at once: one at a time could exceed
     * the buffer while others still hold guest-set sizes.
     */
    qosvnic_buf_reset(s);
    qosvnic_esw_reset(s);
    qosvnic_sched_reset(s);
    qosvnic_mac_table_rebuild(s);
    for (fn = 0; fn < s->num_funcs; fn++) {
        qosvnic_fn_reset(&s->funcs[fn]);
        qosvnic_mgmt_defaults(&s->funcs[fn]);
    }
    /*
     * A host reserve above the default fits only once the later
     * functions' host reserves below it have been applied too.
     */
    for (fn = 0; fn < s->num_funcs; fn++) {
        qosvnic_host_reapply_reserve(&s->funcs[fn]);
    }
    qosvnic_tx_reset(s);
}

static void qosvnic_write_config(PCIDevice *pci, uint32_t addr, uint32_t val,
                                 int len)
{
    QosvnicState *s = QOSVNIC(pci);
    uint16_t old_vfs = pcie_sriov_num_vfs(pci);

    if (qosvnic_config_write_from_self(s, pci, addr)) {
        return;
    }
    pci_default_write_config(pci, addr, val, len);
    if (pcie_sriov_num_vfs(pci) != old_vfs) {
        trace_qosvnic_num_vfs(old_vfs, pcie_sriov_num_vfs(pci));
        qosvnic_update_peer_offloads(s);
    }
    if (range_covers_byte(addr, len, PCI_COMMAND) &&
        (pci->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        qosvnic_fn_dma_resumed(s, NULL);
    }
}

/* ---------------------------------------- queue pairs 1.. and RSS */

static const VMStateDescription vmstate_qv_ring = {
    .name = "qosvnic/ring",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(base, QvRing),
        VMSTATE_UINT32(size, QvRing),
        VMSTATE_UINT32(head, QvRing),
        VMSTATE_UINT32(tail, QvRing),
        VMSTATE_END_OF_LIST()
    }
};

/* Anything beyond queue pair 0 that a stream without it would lose. */
static bool qosvnic_func_queues_needed(void *opaque)
{
    QvFunc *f = opaque;
    static const uint8_t zero[QV_RSS_RETA_SIZE];

    QEMU_BUILD_BUG_ON(QV_RSS_KEY_BYTES > QV_RSS_RETA_SIZE);
    if (f->rss_ctrl || memcmp(f->rss_key, zero, sizeof(f->rss_key)) ||
        memcmp(f->rss_reta, zero, sizeof(f->rss_reta))) {
        return true;
    }
    for (unsigned q = 1; q < QV_NUM_QUEUES; q++) {
        if (f->rxq[q].base || f->rxq[q].size || f->txq[q].base ||
            f->txq[q].size || f->itr_us[QV_VEC_QP(q)] ||
            f->irq_deferred[QV_VEC_QP(q)] ||
            f->irq_last_ns[QV_VEC_QP(q)] != QV_IRQ_NEVER) {
            return true;
        }
    }
    return false;
}

/*
 * Checked here: what the datapath indexes with. Rings are checked where
 * they are used, as queue pair 0's; ITRs by the PF's post_load.
 */
static int qosvnic_func_queues_post_load(void *opaque, int version_id)
{
    QvFunc *f = opaque;

    if (f->rss_ctrl & ~QV_RSS_ALL) {
        return qv_load_reject("unknown RSS hash types");
    }
    for (unsigned i = 0; i < QV_RSS_RETA_SIZE; i++) {
        if (f->rss_reta[i] >= QV_NUM_QUEUES) {
            return qv_load_reject("RSS table names a missing queue");
        }
    }
    return 0;
}

static const VMStateDescription vmstate_qosvnic_func_queues = {
    .name = "qosvnic-func/queues",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = qosvnic_func_queues_needed,
    .post_load = qosvnic_func_queues_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_SUB_ARRAY(rxq, QvFunc, 1, QV_NUM_QUEUES - 1, 1,
                                 vmstate_qv_ring, QvRing),
        VMSTATE_STRUCT_SUB_ARRAY(txq, QvFunc, 1, QV_NUM_QUEUES - 1, 1,
                                 vmstate_qv_ring, QvRing),
        VMSTATE_UINT32_SUB_ARRAY(itr_us, QvFunc, QV_VEC_QP(1),
                                 QV_NUM_QUEUES - 1),
        VMSTATE_SUB_ARRAY(irq_last_ns, QvFunc, QV_VEC_QP(1),
                          QV_NUM_QUEUES - 1, 0, vmstate_info_int64, int64_t),
        VMSTATE_SUB_ARRAY(irq_deferred, QvFunc, QV_VEC_QP(1),
                          QV_NUM_QUEUES - 1, 0, vmstate_info_bool, bool),
        VMSTATE_UINT32(rss_ctrl, QvFunc),
        VMSTATE_UINT8_ARRAY(rss_key, QvFunc, QV_RSS_KEY_BYTES),
        VMSTATE_UINT8_ARRAY(rss_reta, QvFunc, QV_RSS_RETA_SIZE),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_qosvnic_func = {
    .name = "qosvnic-func",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctrl, QvFunc),
        VMSTATE_UINT32(mtu, QvFunc),
        VMSTATE_UINT32(offloads, QvFunc),
        VMSTATE_UINT32(rx_filter, QvFunc),
        VMSTATE_UINT32(int_cause, QvFunc),
        VMSTATE_UINT32(int_mask, QvFunc),
        VMSTATE_UINT32(misc_cause, QvFunc),
        VMSTATE_UINT32_SUB_ARRAY(itr_us, QvFunc, 0, QV_VEC_MISC + 1),
        VMSTATE_UINT32(status_err, QvFunc),
        VMSTATE_BUFFER_UNSAFE(mc, QvFunc, 0, sizeof(MACAddr) * QV_MC_ENTRIES),
        VMSTATE_UINT32(mc_valid, QvFunc),
        VMSTATE_UINT64(rxq[0].base, QvFunc),
        VMSTATE_UINT64(txq[0].base, QvFunc),
        VMSTATE_UINT32(rxq[0].size, QvFunc),
        VMSTATE_UINT32(rxq[0].head, QvFunc),
        VMSTATE_UINT32(rxq[0].tail, QvFunc),
        VMSTATE_UINT32(rx_buf_size, QvFunc),
        VMSTATE_UINT32(txq[0].size, QvFunc),
        VMSTATE_UINT32(txq[0].head, QvFunc),
        VMSTATE_UINT32(txq[0].tail, QvFunc),
        VMSTATE_UINT32(stat_hi_latch, QvFunc),
        VMSTATE_MACADDR(mac, QvFunc),
        VMSTATE_UINT32(vlan, QvFunc),
        VMSTATE_UINT32(mg_flags, QvFunc),
        VMSTATE_UINT64(rx_rate_bps, QvFunc),
        VMSTATE_UINT32(rx_burst, QvFunc),
        VMSTATE_UINT32(tx_max_mbps, QvFunc),
        VMSTATE_UINT32(tx_min_mbps, QvFunc),
        VMSTATE_UINT32(prio, QvFunc),
        VMSTATE_UINT32(weight, QvFunc),
        /* The counters up to QV_STAT_TX_DROP_LINK_DOWN; more follow. */
        VMSTATE_UINT64_SUB_ARRAY(stats, QvFunc, 0,
                                 QV_STAT_TX_DROP_LINK_DOWN + 1),
        VMSTATE_SUB_ARRAY(irq_last_ns, QvFunc, 0, QV_VEC_MISC + 1, 0,
                          vmstate_info_int64, int64_t),
        VMSTATE_SUB_ARRAY(irq_deferred, QvFunc, 0, QV_VEC_MISC + 1, 0,
                          vmstate_info_bool, bool),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_qosvnic_host_caps,
        &vmstate_qosvnic_rate_stage,
        &vmstate_qosvnic_mg_stat_latch,
        &vmstate_qosvnic_func_queues,
        &vmstate_qosvnic_rx_account,
        NULL
    }
};

static int qosvnic_pre_load(void *opaque)
{
    qosvnic_stats_pre_load(opaque);
    return 0;
}

/*
 * The stream is not trusted: a function's registers must hold values their
 * writes accept, or the datapath that relies on them computes with garbage
 * (an MTU near 2^32 wraps the TX length check).
 */
static const char *qosvnic_func_problem(QvFunc *f)
{
    uint32_t link = (f->mg_flags & QV_MGF_LINK_MASK) >> QV_MGF_LINK_SHIFT;

    for (unsigned vec = 0; vec < QV_NUM_VECTORS; vec++) {
        if (f->itr_us[vec] > QV_ITR_MAX_US) {
            return "ITR out of range";
        }
    }
    if (f->mtu < QV_MTU_MIN || f->mtu > QV_MTU_MAX) {
        return "MTU out of range";
    }
    if (f->vlan & ~(QV_VLAN_VID_MASK | QV_VLAN_QOS_MASK)) {
        return "port VLAN out of range";
    }
    if ((f->mg_flags & ~(QV_MGF_TRUST | QV_MGF_SPOOFCHK | QV_MGF_LINK_MASK |
                         QV_MGF_LOOPBACK)) ||
        link > QV_LINK_DISABLE) {
        return "unknown management flags";
    }
    if (f->prio >= QV_PRIO_CLASSES ||
        f->weight < QV_WEIGHT_MIN || f->weight > QV_WEIGHT_MAX) {
        return "priority class or weight out of range";
    }
    return NULL;
}

static int qosvnic_post_load(void *opaque, int version_id)
{
    QosvnicState *s = opaque;
    uint32_t fn;
    int ret;

    /* Functions past num_funcs do not exist and are never used. */
    for (fn = 0; fn < s->num_funcs; fn++) {
        const char *why = qosvnic_func_problem(&s->funcs[fn]);

        if (why) {
            return qv_load_reject(why);
        }
    }
    /*
     * What spans subsections is checked here, once all are in: a stream
     * may send them in any order, one twice, or leave one out
     * (vmstate_subsection_load() takes any listed subsection it finds).
     * The TX and mailbox subsections check their own fields.
     */
    ret = qosvnic_buf_post_load(s);
    if (!ret) {
        ret = qosvnic_esw_post_load(s);
    }
    if (!ret) {
        ret = qosvnic_stats_post_load(s);
    }
    if (ret) {
        return ret;
    }

    /* Rebuild what is derived from migrated state. */
    qosvnic_mac_table_rebuild(s);
    qosvnic_rx_filter_update(s);
    qosvnic_sched_rebuild(s);
    qosvnic_irq_post_load(s);
    qosvnic_update_peer_offloads(s);
    qosvnic_tx_kick(s);
    return 0;
}

static int qosvnic_vfs_put(QEMUFile *f, void *pv, size_t size,
                           const VMStateField *field, JSONWriter *vmdesc)
{
    QosvnicState *s = pv;
    PCIDevice *pci = PCI_DEVICE(s);
    int i, ret;

    for (i = 0; i < s->max_vfs; i++) {
        ret = vmstate_save_state(f, &vmstate_qosvnic_vf,
                                 pci->exp.sriov_pf.vf[i], NULL);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

static int qosvnic_vfs_get(QEMUFile *f, void *pv, size_t size,
                           const VMStateField *field)
{
    QosvnicState *s = pv;
    PCIDevice *pci = PCI_DEVICE(s);
    int i, ret;

    for (i = 0; i < s->max_vfs; i++) {
        ret = vmstate_load_state(f, &vmstate_qosvnic_vf,
                                 pci->exp.sriov_pf.vf[i], 1);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

static const VMStateInfo qosvnic_vfs_vmstate_info = {
    .name = "qosvnic-vfs",
    .get = qosvnic_vfs_get,
    .put = qosvnic_vfs_put,
};

/*
 * The VFs' config spaces and MSI-X tables, after the PF's config (which
 * enables, and thereby resets, the VFs) has been loaded.
 */
static const VMStateDescription vmstate_qosvnic_vfs = {
    .name = "qosvnic/vfs",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        {
            .name = "vfs",
            .info = &qosvnic_vfs_vmstate_info,
            .flags = VMS_SINGLE,
            .offset = 0,
        },
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Version 2: the mailbox moved into its own subsection; a version 1
 * stream is refused rather than misread.
 */
static const VMStateDescription vmstate_qosvnic = {
    .name = "qosvnic",
    .version_id = 2,
    .minimum_version_id = 2,
    .pre_load = qosvnic_pre_load,
    .post_load = qosvnic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, QosvnicState),
        VMSTATE_MSIX(parent_obj, QosvnicState),
        VMSTATE_UINT16_EQUAL(num_funcs, QosvnicState, NULL),
        VMSTATE_STRUCT_ARRAY(funcs, QosvnicState, QV_MAX_FUNCS, 0,
                             vmstate_qosvnic_func, QvFunc),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_qosvnic_buf_queues,
        &vmstate_qosvnic_buf,
        &vmstate_qosvnic_esw,
        &vmstate_qosvnic_tx,
        &vmstate_qosvnic_mbx,
        &vmstate_qosvnic_vfs,
        NULL
    }
};

static const Property qosvnic_properties[] = {
    DEFINE_NIC_PROPERTIES(QosvnicState, conf),
    DEFINE_PROP_UINT16("max-vfs", QosvnicState, max_vfs, QV_DEFAULT_VFS),
    DEFINE_PROP_UINT32("buffer-size", QosvnicState, buf_size,
                       QV_BUF_DEFAULT),
    DEFINE_PROP_UINT32("line-rate", QosvnicState, line_rate_mbps, 0),
    DEFINE_PROP_UINT64("dma-rate", QosvnicState, dma_rate_bps, 0),
    DEFINE_PROP_UINT64("vf-rx-rate", QosvnicState, vf_rx_rate_bps, 0),
    DEFINE_PROP_UINT32("vf-rx-burst", QosvnicState, vf_rx_burst, 0),
    DEFINE_PROP_UINT32("vf-prio", QosvnicState, vf_prio, 0),
    DEFINE_PROP_UINT32("vf-weight", QosvnicState, vf_weight, 1),
    DEFINE_PROP_UINT32("vf-alpha", QosvnicState, vf_alpha, QV_ALPHA_ONE),
    DEFINE_PROP_BOOL("vf-spoofchk", QosvnicState, vf_spoofchk, true),
    DEFINE_PROP_UINT32("x-rx-first-len", QosvnicState, rx_first_len, 0),
};

static const struct {
    const char *name;
    const char *desc;
} qosvnic_property_help[] = {
    { "max-vfs", "number of SR-IOV virtual functions (TotalVFs), 1..128" },
    { "buffer-size", "device packet buffer memory in bytes, 64 KiB..16 MiB, "
      "a multiple of 256; split into per-function partitions" },
    { "line-rate", "modelled wire rate in Mbit/s shared by all transmitters "
      "(0 = as fast as emulation allows)" },
    { "dma-rate", "modelled receive DMA bandwidth in bytes/s shared by all "
      "functions (0 = as fast as emulation allows)" },
    { "vf-rx-rate", "default ingress policing rate of every VF in bits/s "
      "(0 = unlimited)" },
    { "vf-rx-burst", "default ingress burst of every VF in bytes "
      "(0 = derived from the rate)" },
    { "vf-prio", "default receive DMA priority class of every VF, 0 (highest) "
      "..7" },
    { "vf-weight", "default DRR weight of every VF within its class, 1..1024" },
    { "vf-alpha", "default Dynamic Threshold alpha of every VF in 1/16 units "
      "(16 = 1.0; 0 = static partition)" },
    { "vf-spoofchk", "VFs start with source-MAC anti-spoofing on" },
    { "x-rx-first-len", "testing: at most this many bytes of a frame in its "
      "first RX buffer, as a header-splitting NIC does (0 = off)" },
};

static void qosvnic_qdev_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();

    QOSVNIC_GET_CLASS(dev)->parent_realize(dev, errp);
    if (!*errp) {
        qosvnic_irq_take_msi_trigger(PCI_DEVICE(dev));
    }
}

static void qosvnic_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    QosvnicClass *qc = QOSVNIC_CLASS(klass);
    size_t i;

    k->realize = qosvnic_realize;
    k->exit = qosvnic_exit;
    k->config_write = qosvnic_write_config;
    k->vendor_id = QV_PCI_VENDOR_ID;
    k->device_id = QV_PCI_DEVICE_ID_PF;
    k->revision = QV_PCI_REVISION;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    k->subsystem_vendor_id = QV_PCI_VENDOR_ID;
    k->subsystem_id = 0x1100;
    rc->phases.hold = qosvnic_reset_hold;

    device_class_set_parent_realize(dc, qosvnic_qdev_realize,
                                    &qc->parent_realize);
    dc->desc = "qosvnic SR-IOV NIC with device-level ingress QoS";
    dc->vmsd = &vmstate_qosvnic;
    device_class_set_props(dc, qosvnic_properties);
    for (i = 0; i < ARRAY_SIZE(qosvnic_property_help); i++) {
        object_class_property_set_description(klass,
                                              qosvnic_property_help[i].name,
                                              qosvnic_property_help[i].desc);
    }
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo qosvnic_info = {
    .name = TYPE_QOSVNIC,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(QosvnicState),
    .class_size = sizeof(QosvnicClass),
    .class_init = qosvnic_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void qosvnic_register_types(void)
{
    type_register_static(&qosvnic_info);
}

type_init(qosvnic_register_types)
