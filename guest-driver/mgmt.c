// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: the PF-owned settings of every function (QV_MG_MAC_LO ..
 * QV_MG_BUF_ALPHA of its management window), recorded as the driver
 * writes them and put back after a reset of the whole device.
 *
 * A VF's MAC, port VLAN, trust, spoof checking, link state, rates, ingress
 * policer and buffer partition live in the device, which forgets them on
 * a device reset (a PCIe slot reset after a fatal error, a resume that
 * lost power) while SR-IOV comes back with the PF's restored config space:
 * without this, a VF confined to a port VLAN or an administrator's MAC
 * would come back on the whole L2 with the default MAC, as ice avoids by
 * rebuilding its VFs' host configuration. The host's ceilings (QMP) are
 * the device's own and it re-applies them itself.
 */
#include "qosvnic.h"

static bool qv_mg_recorded(unsigned int fn, u32 reg)
{
	return fn < QV_MAX_FUNCS && reg < QV_MG_CFG_WORDS * 4 && !(reg & 3);
}

/* Write a setting of function @fn and record it. cfg_lock held. */
void qv_mg_wr32(struct qv_pf *pf, unsigned int fn, u32 reg, u32 val)
{
	BUILD_BUG_ON(BITS_PER_TYPE(pf->mg_cfg_set[0]) < QV_MG_CFG_WORDS);
	lockdep_assert_held(&pf->cfg_lock);
	qv_wr32(qv_mgmt(pf, fn), reg, val);
	if (!qv_mg_recorded(fn, reg))
		return;
	pf->mg_cfg[fn][reg / 4] = val;
	pf->mg_cfg_set[fn] |= BIT(reg / 4);
}

/* The 64-bit ones (QV_MG_RX_RATE_LO): both words. cfg_lock held. */
void qv_mg_wr64(struct qv_pf *pf, unsigned int fn, u32 reg, u64 val)
{
	qv_mg_wr32(pf, fn, reg + 4, upper_32_bits(val));
	qv_mg_wr32(pf, fn, reg, lower_32_bits(val));
}

static void qv_mg_restore_reg(struct qv_pf *pf, unsigned int fn, u32 reg)
{
	void __iomem *mg = qv_mgmt(pf, fn);
	u32 *cfg = pf->mg_cfg[fn];

	if (!(pf->mg_cfg_set[fn] & BIT(reg / 4)))
		return;
	if (reg == QV_MG_RX_RATE_LO) {
		u64 rate = (u64)cfg[QV_MG_RX_RATE_HI / 4] << 32 | cfg[reg / 4];

		if (qv_rd64(mg, reg) != rate)
			qv_wr64(mg, reg, rate);
	} else if (reg != QV_MG_RX_RATE_HI &&
		   qv_rd32(mg, reg) != cfg[reg / 4]) {
		qv_wr32(mg, reg, cfg[reg / 4]);
	}
}

/*
 * After a reset the device may have had: every recorded setting the device
 * no longer holds is written again. Reserves go once more at the end: one
 * larger than the default fits only once the others have shrunk.
 */
void qv_mg_restore(struct qv_pf *pf)
{
	unsigned int fn;
	u32 reg;

	mutex_lock(&pf->cfg_lock);
	for (fn = 0; fn < QV_MAX_FUNCS; fn++) {
		for (reg = 0; reg < QV_MG_CFG_WORDS * 4; reg += 4)
			qv_mg_restore_reg(pf, fn, reg);
	}
	for (fn = 0; fn < QV_MAX_FUNCS; fn++) {
		qv_mg_restore_reg(pf, fn, QV_MG_BUF_RESERVE);
		/* Refused while frames tie the cells up (a VF up already). */
		if ((pf->mg_cfg_set[fn] & BIT(QV_MG_BUF_RESERVE / 4)) &&
		    qv_rd32(qv_mgmt(pf, fn), QV_MG_BUF_RESERVE) !=
		    pf->mg_cfg[fn][QV_MG_BUF_RESERVE / 4])
			dev_warn(&pf->pdev->dev,
				 "function %u: buffer reserve %u not restored: the device holds frames in those cells; set it again\n",
				 fn, pf->mg_cfg[fn][QV_MG_BUF_RESERVE / 4]);
	}
	mutex_unlock(&pf->cfg_lock);
}
