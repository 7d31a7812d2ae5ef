/*
 * qosvnic: a Virtual Function.
 *
 * A VF has its own BARs, MSI-X vectors and FLR, but no state: its registers
 * are the QvFunc that the PF holds for it.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_sriov.h"
#include "migration/vmstate.h"
#include "qosvnic.h"
#include "trace.h"

static QvFunc *qosvnic_vf_func(PCIDevice *vf)
{
    QosvnicState *s = qosvnic_from_pci(vf);

    return &s->funcs[pcie_sriov_vf_number(vf) + 1];
}

static uint64_t qosvnic_vf_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    return qosvnic_fn_read(qosvnic_vf_func(PCI_DEVICE(opaque)), addr, size);
}

static MemTxResult qosvnic_vf_mmio_write(void *opaque, hwaddr addr,
                                         uint64_t val, unsigned size,
                                         MemTxAttrs attrs)
{
    PCIDevice *vf = opaque;
    QvFunc *f = qosvnic_vf_func(vf);

    if (!qosvnic_write_from_self(f->dev, f->fn, addr, attrs)) {
        qosvnic_fn_write(f, addr, val, size);
    }
    return MEMTX_OK;
}

static const MemoryRegionOps qosvnic_vf_mmio_ops = {
    .read = qosvnic_vf_mmio_read,
    .write_with_attrs = qosvnic_vf_mmio_write,
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

static void qosvnic_vf_write_config(PCIDevice *vf, uint32_t addr,
                                    uint32_t val, int len)
{
    if (qosvnic_config_write_from_self(qosvnic_from_pci(vf), vf, addr)) {
        return;
    }
    pci_default_write_config(vf, addr, val, len);
    pcie_cap_flr_write_config(vf, addr, val, len);
    if (range_covers_byte(addr, len, PCI_COMMAND) &&
        (vf->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        qosvnic_fn_dma_resumed(qosvnic_from_pci(vf), qosvnic_vf_func(vf));
    }
}

static void qosvnic_vf_realize(PCIDevice *vf, Error **errp)
{
    QosvnicVfState *s = QOSVNIC_VF(vf);
    DeviceState *pf = DEVICE(pcie_sriov_get_pf(vf));
    int i;

    memory_region_init_io(&s->mmio, OBJECT(vf), &qosvnic_vf_mmio_ops, vf,
                          "qosvnic-vf-mmio", QV_VF_BAR0_SIZE);
    /*
     * One reentrancy guard for the whole device: the datapath and every
     * MSI-X message run under the PF's, so a DMA or message the guest
     * aims at a VF's registers or MSI-X table (its own or another
     * tenant's) must be blocked like one aimed at the PF's.
     */
    s->mmio.dev = pf;
    pci_register_bar(vf, QV_VF_BAR_REGS, PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->mmio);
    memory_region_init(&s->msix, OBJECT(vf), "qosvnic-vf-msix",
                       QV_VF_BAR2_SIZE);
    pci_register_bar(vf, QV_VF_BAR_MSIX, PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->msix);

    if (msix_init(vf, QV_NUM_VECTORS, &s->msix, QV_VF_BAR_MSIX,
                  QV_MSIX_TABLE_OFFSET, &s->msix, QV_VF_BAR_MSIX,
                  QV_MSIX_PBA_OFFSET, QV_CAP_MSIX_OFFSET, errp)) {
        return;
    }
    vf->msix_table_mmio.dev = pf;
    vf->msix_pba_mmio.dev = pf;
    for (i = 0; i < QV_NUM_VECTORS; i++) {
        msix_vector_use(vf, i);
    }
    if (pcie_endpoint_cap_init(vf, QV_CAP_EXP_OFFSET) < 0) {
        error_setg(errp, "qosvnic-vf: cannot add the PCIe capability");
        goto err_msix;
    }
    pcie_cap_flr_init(vf);
    pcie_cap_deverr_init(vf);
    if (pcie_aer_init(vf, PCI_ERR_VER, QV_EXTCAP_AER_OFFSET,
                      PCI_ERR_SIZEOF, errp) < 0) {
        goto err_msix;
    }
    pcie_ari_init(vf, QV_EXTCAP_ARI_OFFSET);
    return;

err_msix:
    msix_unuse_all_vectors(vf);
    msix_uninit(vf, &s->msix, &s->msix);
}

static void qosvnic_vf_exit(PCIDevice *vf)
{
    QosvnicVfState *s = QOSVNIC_VF(vf);

    qosvnic_vf_func(vf)->pci = NULL;
    pcie_aer_exit(vf);
    msix_unuse_all_vectors(vf);
    msix_uninit(vf, &s->msix, &s->msix);
}

/*
 * FLR, VF disable (pci_set_enabled) and system reset all land here: the
 * function's guest state goes back to reset values and its buffer is freed;
 * the PF-owned configuration (MAC, QoS) stays.
 */
static void qosvnic_vf_reset_hold(Object *obj, ResetType type)
{
    PCIDevice *vf = PCI_DEVICE(obj);
    QvFunc *f = qosvnic_vf_func(vf);

    /*
     * pci_set_enabled() resets the VF on every enable and disable; an FLR
     * keeps it enabled, and its mailbox news for the PF.
     */
    if (f->pci != (vf->enabled ? vf : NULL)) {
        qosvnic_mbx_forget(f);
    }
    f->pci = vf->enabled ? vf : NULL;

    trace_qosvnic_vf_reset(pcie_sriov_vf_number(vf));
    qosvnic_fn_reset(f);
}

/*
 * A VF's own config space (command register) and MSI-X table. They are
 * migrated by the PF (qosvnic_vfs_vmstate_info), not as a section of the
 * VF's own: loading the PF's SR-IOV capability enables the VFs, and
 * enabling resets them, so VF config must be loaded after the PF's.
 */
const VMStateDescription vmstate_qosvnic_vf = {
    .name = "qosvnic-vf",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, QosvnicVfState),
        VMSTATE_MSIX(parent_obj, QosvnicVfState),
        VMSTATE_END_OF_LIST()
    }
};

static void qosvnic_vf_qdev_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();

    QOSVNIC_VF_GET_CLASS(dev)->parent_realize(dev, errp);
    if (!*errp) {
        qosvnic_irq_take_msi_trigger(PCI_DEVICE(dev));
    }
}

static void qosvnic_vf_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    QosvnicVfClass *qc = QOSVNIC_VF_CLASS(klass);

    k->realize = qosvnic_vf_realize;
    k->exit = qosvnic_vf_exit;
    k->config_write = qosvnic_vf_write_config;
    k->vendor_id = QV_PCI_VENDOR_ID;
    k->device_id = QV_PCI_DEVICE_ID_VF;
    k->revision = QV_PCI_REVISION;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    rc->phases.hold = qosvnic_vf_reset_hold;

    device_class_set_parent_realize(dc, qosvnic_vf_qdev_realize,
                                    &qc->parent_realize);
    dc->desc = "qosvnic Virtual Function";
    dc->user_creatable = false;
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo qosvnic_vf_info = {
    .name = TYPE_QOSVNIC_VF,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(QosvnicVfState),
    .class_size = sizeof(QosvnicVfClass),
    .class_init = qosvnic_vf_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void qosvnic_vf_register_types(void)
{
    type_register_static(&qosvnic_vf_info);
}

type_init(qosvnic_vf_register_types)
