// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: PF side of SR-IOV: sriov_configure and the ndo_set_vf_* /
 * ndo_get_vf_* operations behind "ip link set dev PF vf N ...".
 *
 * Every setting lives in the VF's management window QV_MGMT(vf + 1); the
 * driver keeps only what the device cannot tell it (was the MAC set by the
 * administrator, the administrator's rates as opposed to what a VF was
 * granted through QOS_REQ).
 *
 * A change of a VF's MAC or port VLAN reaches a running VF: the PF asks it
 * to reset and fetch its configuration (QV_MSG_RESET, see mbx.c).
 */
#include <linux/pci.h>
#include <linux/rtnetlink.h>

#include "qosvnic.h"

/* Bit i of QV_MG_HOST_LIMITS covers the field at offset 4 * i. */
u32 qv_host_capped(struct qv_pf *pf, unsigned int fn, u32 reg)
{
	return qv_rd32(qv_mgmt(pf, fn), QV_MG_HOST_LIMITS) & BIT(reg / 4);
}

/*
 * VF @vf's port VLAN, rates and flags back to their defaults, spoof
 * checking on, as ice and ixgbe start their VFs (an earlier
 * administrator's "spoofchk off" must not hold for the next tenant); what
 * the host caps stays capped. cfg_lock held.
 */
static void qv_vf_config_clear(struct qv_pf *pf, int vf)
{
	qv_mg_wr32(pf, vf + 1, QV_MG_VLAN, 0);
	qv_mg_wr32(pf, vf + 1, QV_MG_TX_MIN_RATE, 0);
	qv_mg_wr32(pf, vf + 1, QV_MG_TX_MAX_RATE, 0);
	qv_mg_wr32(pf, vf + 1, QV_MG_FLAGS, QV_MGF_SPOOFCHK);
}

static int qv_sriov_enable(struct qv_pf *pf, int num_vfs)
{
	struct pci_dev *pdev = pf->pdev;
	struct qv_vf *vfs;
	u32 max_vfs;
	int i, err;

	/* All three bound it: the register blocks stop at QV_MAX_VFS. */
	max_vfs = qv_rd32(pf->hw, QV_DEV_MAX_VFS);
	if (num_vfs > pci_sriov_get_totalvfs(pdev) || num_vfs > max_vfs ||
	    num_vfs > QV_MAX_VFS) {
		dev_err(&pdev->dev, "cannot enable %d VFs, device has %u\n",
			num_vfs, max_vfs);
		return -ERANGE;
	}

	vfs = kcalloc(num_vfs, sizeof(*vfs), GFP_KERNEL);
	if (!vfs)
		return -ENOMEM;
	/*
	 * Every VF has a MAC from the device (its default, the host's, or
	 * an earlier administrator's): that is not this administrator's, so
	 * an untrusted VF may change it, as with igb, until "ip link set PF
	 * vf N mac" sets one. The rest of the VF's configuration starts
	 * from scratch as this driver's record of it does: the device keeps
	 * it across VF disable and enable, and an earlier port VLAN, trust
	 * or rate would otherwise hold with nothing here to say so (a
	 * ceiling the VF could then lift through QOS_REQ).
	 */
	mutex_lock(&pf->cfg_lock);
	for (i = 0; i < num_vfs; i++) {
		vfs[i].pf = pf;
		vfs[i].id = i;
		qv_vf_config_clear(pf, i);
	}
	mutex_unlock(&pf->cfg_lock);

	/* Not under cfg_lock: VF probes run now and need the mailbox. */
	mutex_lock(&pf->cfg_lock);
	pf->vfs = vfs;
	pf->num_vfs = num_vfs;
	mutex_unlock(&pf->cfg_lock);

	err = qv_devlink_vf_ports_add(pf);
	if (err) {
		dev_err(&pdev->dev, "devlink VF ports failed: %d\n", err);
		goto err_free;
	}
	err = pci_enable_sriov(pdev, num_vfs);
	if (err) {
		dev_err(&pdev->dev, "pci_enable_sriov(%d) failed: %d\n",
			num_vfs, err);
		goto err_ports;
	}
	dev_info(&pdev->dev, "enabled %d VFs\n", num_vfs);
	/* It watches the VFs' mailboxes even while the PF is down. */
	qv_service_kick(pf->adapter);
	return num_vfs;

err_ports:
	qv_devlink_vf_ports_del(pf);
err_free:
	mutex_lock(&pf->cfg_lock);
	WRITE_ONCE(pf->num_vfs, 0);
	WRITE_ONCE(pf->vfs, NULL);
	mutex_unlock(&pf->cfg_lock);
	cancel_work_sync(&pf->mbx_work);
	/* The PF's RX path may be looking at a VF (switchdev): let it end. */
	synchronize_net();
	kfree(vfs);
	return err;
}

void qv_sriov_disable(struct qv_pf *pf)
{
	struct qv_vf *vfs;
	int i;

	if (!pf->num_vfs)
		return;
	/* Representors first: they send through the PF to the VFs. */
	qv_devlink_vf_ports_del(pf);
	/* Removes the VF pci_devs (and their drivers) synchronously. */
	pci_disable_sriov(pf->pdev);
	cancel_work_sync(&pf->rate_sync_work);

	mutex_lock(&pf->cfg_lock);
	for (i = 0; i < pf->num_vfs; i++)
		qv_vf_config_clear(pf, i);
	vfs = pf->vfs;
	WRITE_ONCE(pf->num_vfs, 0);
	WRITE_ONCE(pf->vfs, NULL);
	mutex_unlock(&pf->cfg_lock);
	/* The PF's RX path may be looking at a VF (switchdev): let it end. */
	synchronize_net();
	kfree(vfs);
	/* No VF is left to fail to answer. */
	qv_health_mbx_ok(pf->adapter);
	dev_info(&pf->pdev->dev, "disabled VFs\n");
}

int qv_sriov_configure(struct pci_dev *pdev, int num_vfs)
{
	struct net_device *netdev = pci_get_drvdata(pdev);
	struct qv_adapter *ad = netdev_priv(netdev);
	struct qv_pf *pf = ad->pf;

	if (!pf)
		return -EOPNOTSUPP;
	if (num_vfs == 0) {
		if (pci_vfs_assigned(pdev)) {
			dev_warn(&pdev->dev,
				 "cannot disable VFs while they are assigned to guests\n");
			return -EPERM;
		}
		qv_sriov_disable(pf);
		return 0;
	}
	if (pf->num_vfs)
		return -EBUSY;
	return qv_sriov_enable(pf, num_vfs);
}

/* ---------------------------------------------------------- ndo_*_vf_* */
static struct qv_pf *qv_vf_pf(struct net_device *dev, int vf)
{
	struct qv_adapter *ad = netdev_priv(dev);
	struct qv_pf *pf = ad->pf;

	if (!pf || vf < 0 || vf >= pf->num_vfs)
		return NULL;
	return pf;
}

int qv_set_vf_mac(struct net_device *dev, int vf, u8 *mac)
{
	struct qv_pf *pf = qv_vf_pf(dev, vf);

	if (!pf)
		return -EINVAL;
	if (!is_valid_ether_addr(mac) && !is_zero_ether_addr(mac))
		return -EINVAL;
	return qv_vf_set_admin_mac(pf, vf, mac);
}

/*
 * The function other than @except_fn whose MAC is @mac, or -1. The device
 * gives a unicast frame to the lowest function with its MAC, so two must
 * never share one. cfg_lock held.
 */
int qv_pf_mac_holder(struct qv_pf *pf, int except_fn, const u8 *mac)
{
	u8 other[ETH_ALEN];
	int fn;

	lockdep_assert_held(&pf->cfg_lock);
	for (fn = 0; fn <= pf->num_vfs; fn++) {
		if (fn == except_fn)
			continue;
		qv_regs_to_mac(qv_rd32(qv_mgmt(pf, fn), QV_MG_MAC_LO),
			       qv_rd32(qv_mgmt(pf, fn), QV_MG_MAC_HI), other);
		if (ether_addr_equal(mac, other))
			return fn;
	}
	return -1;
}

/* Give VF @vf a random MAC, which its driver takes at its reset. */
static void qv_vf_new_mac(struct qv_pf *pf, int vf)
{
	u8 mac[ETH_ALEN];
	u32 lo, hi;

	do {
		eth_random_addr(mac);
	} while (qv_pf_mac_holder(pf, vf + 1, mac) >= 0);
	qv_mac_to_regs(mac, &lo, &hi);
	qv_mg_wr32(pf, vf + 1, QV_MG_MAC_LO, lo);
	qv_mg_wr32(pf, vf + 1, QV_MG_MAC_HI, hi);
	qv_pf_notify_vf(pf, &pf->vfs[vf]);
	dev_info(&pf->pdev->dev, "VF %d MAC %pM (its own was given to another VF)\n",
		 vf, mac);
}

/*
 * The administrator's MAC for VF @vf: "ip link set PF vf N mac" and
 * "devlink port function set pci/PF/N hw_addr"; 0 clears it. A MAC the PF
 * or another VF has from the administrator is refused; one a VF chose
 * itself (or had from the device) goes to this VF, and that VF gets a new
 * one: a tenant cannot keep, or take first, another tenant's address.
 */
int qv_vf_set_admin_mac(struct qv_pf *pf, int vf, const u8 *mac)
{
	void __iomem *mg;
	u32 lo, hi;
	int holder;

	mg = qv_mgmt(pf, vf + 1);
	qv_mac_to_regs(mac, &lo, &hi);
	mutex_lock(&pf->cfg_lock);
	if (vf >= pf->num_vfs) {
		mutex_unlock(&pf->cfg_lock);
		return -EINVAL;
	}
	holder = is_zero_ether_addr(mac) ? -1 :
		 qv_pf_mac_holder(pf, vf + 1, mac);
	if (holder == 0 || (holder > 0 && pf->vfs[holder - 1].admin_mac)) {
		mutex_unlock(&pf->cfg_lock);
		dev_err(&pf->pdev->dev,
			"VF %d MAC %pM: function %d already has it\n", vf, mac,
			holder);
		return -EADDRINUSE;
	}
	if (holder > 0)
		qv_vf_new_mac(pf, holder - 1);
	if (qv_rd32(mg, QV_MG_MAC_LO) != lo || qv_rd32(mg, QV_MG_MAC_HI) != hi) {
		qv_mg_wr32(pf, vf + 1, QV_MG_MAC_LO, lo);
		qv_mg_wr32(pf, vf + 1, QV_MG_MAC_HI, hi);
		/* a running VF would keep sending from the old address */
		qv_pf_notify_vf(pf, &pf->vfs[vf]);
	}
	pf->vfs[vf].admin_mac = !is_zero_ether_addr(mac);
	mutex_unlock(&pf->cfg_lock);
	dev_info(&pf->pdev->dev, "VF %d MAC %pM\n", vf, mac);
	return 0;
}

int qv_set_vf_vlan(struct net_device *dev, int vf, u16 vlan, u8 qos,
		   __be16 proto)
{
	struct qv_pf *pf = qv_vf_pf(dev, vf);
	void __iomem *mg;
	u32 val;

	if (!pf)
		return -EINVAL;
	if (vlan > QV_VLAN_VID_MASK || qos > 7)
		return -EINVAL;
	if (proto != htons(ETH_P_8021Q))
		return -EPROTONOSUPPORT;
	mg = qv_mgmt(pf, vf + 1);
	val = vlan | (u32)qos << QV_VLAN_QOS_SHIFT;
	mutex_lock(&pf->cfg_lock);
	if (vf >= pf->num_vfs) {
		mutex_unlock(&pf->cfg_lock);
		return -EINVAL;
	}
	if (qv_rd32(mg, QV_MG_VLAN) != val) {
		qv_mg_wr32(pf, vf + 1, QV_MG_VLAN, val);
		/* frames of the old VLAN may still be in the VF's rings */
		qv_pf_notify_vf(pf, &pf->vfs[vf]);
	}
	mutex_unlock(&pf->cfg_lock);
	return 0;
}

/* Sum of the egress guarantees of every VF but @except. cfg_lock held. */
u32 qv_vf_min_sum(struct qv_pf *pf, struct qv_vf *except)
{
	u32 sum = 0;
	int i;

	for (i = 0; i < pf->num_vfs; i++)
		if (&pf->vfs[i] != except)
			sum += qv_rd32(qv_mgmt(pf, i + 1), QV_MG_TX_MIN_RATE);
	return sum;
}

/*
 * Is @got, read back from rate register @reg, @want or what a host
 * ceiling made of it? A ceiling only ever tightens: a guarantee or a
 * maximum down to it, an unlimited maximum (0) to the ceiling itself.
 */
static bool qv_rate_as_capped(struct qv_pf *pf, struct qv_vf *vf, u32 reg,
			      u32 want, u32 got)
{
	if (got == want)
		return true;
	if (!qv_host_capped(pf, vf->id + 1, reg))
		return false;
	if (reg == QV_MG_TX_MAX_RATE)
		return got && (!want || got < want);
	return got < want;
}

/*
 * Write both egress rates of a VF. The host may cap either (QMP); then both
 * go back to what they were, so that a refusal never leaves half of a
 * setting applied, and @cap_min and @cap_max (if given) get what the host
 * let through. With @take_back, what the host's ceilings make of the
 * rates counts as written: see qv_vf_take_back_rates(). cfg_lock held.
 */
static int qv_vf_write_rates(struct qv_pf *pf, struct qv_vf *vf, u32 min,
			     u32 max, u32 *cap_min, u32 *cap_max,
			     bool take_back)
{
	void __iomem *mg = qv_mgmt(pf, vf->id + 1);
	u32 old_min, old_max, rb_min, rb_max;

	lockdep_assert_held(&pf->cfg_lock);
	old_min = qv_rd32(mg, QV_MG_TX_MIN_RATE);
	old_max = qv_rd32(mg, QV_MG_TX_MAX_RATE);
	qv_mg_wr32(pf, vf->id + 1, QV_MG_TX_MIN_RATE, min);
	qv_mg_wr32(pf, vf->id + 1, QV_MG_TX_MAX_RATE, max);
	rb_min = qv_rd32(mg, QV_MG_TX_MIN_RATE);
	rb_max = qv_rd32(mg, QV_MG_TX_MAX_RATE);
	if (cap_min)
		*cap_min = rb_min;
	if (cap_max)
		*cap_max = rb_max;
	if (rb_min == min && rb_max == max)
		return 0;
	if (take_back &&
	    qv_rate_as_capped(pf, vf, QV_MG_TX_MIN_RATE, min, rb_min) &&
	    qv_rate_as_capped(pf, vf, QV_MG_TX_MAX_RATE, max, rb_max))
		return 0;
	qv_mg_wr32(pf, vf->id + 1, QV_MG_TX_MIN_RATE, old_min);
	qv_mg_wr32(pf, vf->id + 1, QV_MG_TX_MAX_RATE, old_max);
	return -EPERM;
}

int qv_vf_program_rates(struct qv_pf *pf, struct qv_vf *vf, u32 min, u32 max,
			u32 *cap_min, u32 *cap_max)
{
	return qv_vf_write_rates(pf, vf, min, max, cap_min, cap_max, false);
}

/*
 * Take back what VF @vf was granted through QOS_REQ: the administrator's
 * rates again. Where the host caps a rate, the device holds its ceiling
 * instead (an unlimited max_tx_rate reads back as the cap): that is the
 * administrator's setting under the host's, not a refusal. Going back to
 * the grant instead would leave the VF a guarantee it has lost. The grant
 * is forgotten only once the device no longer holds it. cfg_lock held.
 */
int qv_vf_take_back_rates(struct qv_pf *pf, struct qv_vf *vf)
{
	int err;

	err = qv_vf_write_rates(pf, vf, vf->admin_min_tx, vf->admin_max_tx,
				NULL, NULL, true);
	if (err) {
		dev_warn(&pf->pdev->dev,
			 "VF %u: granted egress rates not taken back (%d)\n",
			 vf->id, err);
		return err;
	}
	vf->req_min_tx = 0;
	vf->req_max_tx = 0;
	return 0;
}

/* What taking back VF @v's grant would free of the guarantees. */
static u32 qv_vf_grant_excess(struct qv_pf *pf, struct qv_vf *v)
{
	u32 now = qv_rd32(qv_mgmt(pf, v->id + 1), QV_MG_TX_MIN_RATE);

	if (!v->req_min_tx || now <= v->admin_min_tx)
		return 0;
	return now - v->admin_min_tx;
}

/*
 * Make room for a guarantee of @min on a @line Mbit/s line next to VF
 * @except's peers: what trusted VFs were granted through QOS_REQ is theirs
 * only until the administrator needs it, so grants are taken back (and
 * their VFs told, to ask again) until it fits. Nothing is taken back when
 * even all the grants would not make room, nor from a VF whose grant holds
 * no guarantee beyond the administrator's. The administrator's own
 * guarantees are never touched. Returns the others' sum. cfg_lock held.
 */
static u32 qv_vf_room_for_min(struct qv_pf *pf, struct qv_vf *except,
			      u32 min, u32 line)
{
	u32 others = qv_vf_min_sum(pf, except), excess = 0;
	int i;

	for (i = 0; i < pf->num_vfs; i++)
		if (&pf->vfs[i] != except)
			excess += qv_vf_grant_excess(pf, &pf->vfs[i]);
	if (others + min <= line || others - excess + min > line)
		return others;
	for (i = 0; i < pf->num_vfs && others + min > line; i++) {
		struct qv_vf *v = &pf->vfs[i];

		if (v == except || !qv_vf_grant_excess(pf, v) ||
		    qv_vf_take_back_rates(pf, v))
			continue;
		qv_pf_notify_vf(pf, v);
		dev_info(&pf->pdev->dev,
			 "VF %d: its granted egress rates are taken back for VF %d's min_tx_rate\n",
			 v->id, except->id);
		others = qv_vf_min_sum(pf, except);
	}
	return others;
}

/*
 * The administrator's egress rates of VF @v, in Mbit/s, checked and
 * programmed; @min and @max as qv_vf_set_admin_rates() settled them.
 * The rates are programmed first, so that a refusal by the host's caps
 * takes nothing from other VFs; only then are other VFs' grants taken
 * back to make room for the guarantee, and if even that does not make
 * room, the old rates go back. cfg_lock held.
 */
static int qv_vf_apply_admin_rates(struct qv_pf *pf, struct qv_vf *v, u32 min,
				   u32 max, struct netlink_ext_ack *extack)
{
	void __iomem *mg = qv_mgmt(pf, v->id + 1);
	struct device *dev = &pf->pdev->dev;
	u32 line, others, old_min, old_max;

	lockdep_assert_held(&pf->cfg_lock);
	if (max && min > max) {
		NL_SET_ERR_MSG_MOD(extack, "tx_share above tx_max");
		dev_err(dev, "VF %d min_tx_rate %u above max_tx_rate %u\n",
			v->id, min, max);
		return -EINVAL;
	}
	line = qv_rd32(pf->hw, QV_DEV_LINE_RATE);
	if (line && (max > line || min > line)) {
		NL_SET_ERR_MSG_MOD(extack, "rate above the line rate");
		dev_err(dev, "VF %d rate above the line rate %u Mbit/s\n",
			v->id, line);
		return -EINVAL;
	}
	old_min = qv_rd32(mg, QV_MG_TX_MIN_RATE);
	old_max = qv_rd32(mg, QV_MG_TX_MAX_RATE);
	if (qv_vf_program_rates(pf, v, min, max, NULL, NULL)) {
		NL_SET_ERR_MSG_MOD(extack, "the host (QMP) caps this VF's rates");
		dev_err(dev,
			"VF %d rate min %u max %u refused: the host caps %s%s\n",
			v->id, min, max,
			qv_host_capped(pf, v->id + 1, QV_MG_TX_MIN_RATE) ?
			"min_tx_rate " : "",
			qv_host_capped(pf, v->id + 1, QV_MG_TX_MAX_RATE) ?
			"max_tx_rate" : "");
		return -EPERM;
	}
	/* Guarantees are taken from the others: they must fit together. */
	others = line && min ? qv_vf_room_for_min(pf, v, min, line) : 0;
	if (line && min && others + min > line) {
		qv_mg_wr32(pf, v->id + 1, QV_MG_TX_MIN_RATE, old_min);
		qv_mg_wr32(pf, v->id + 1, QV_MG_TX_MAX_RATE, old_max);
		NL_SET_ERR_MSG_MOD(extack,
				   "the guarantees of all VFs must fit in the line rate");
		dev_err(dev,
			"VF %d min_tx_rate %u: the other VFs are guaranteed %u of the %u Mbit/s line rate\n",
			v->id, min, others, line);
		return -EINVAL;
	}
	v->admin_min_tx = min;
	v->admin_max_tx = max;
	/* the administrator's setting replaces what the VF was granted */
	v->req_min_tx = 0;
	v->req_max_tx = 0;
	return 0;
}

/*
 * The administrator's egress rates of VF @vf, in Mbit/s: "ip link set PF
 * vf N min_tx_rate/max_tx_rate" (@keep QV_RATE_SET_BOTH) and devlink rate
 * tx_share/tx_max, which set one and keep the other (QV_RATE_KEEP_MAX,
 * QV_RATE_KEEP_MIN). The rate kept is read under cfg_lock: read before
 * it, an "ip link" setting made in between (under rtnl, not devlink's
 * lock) was silently undone.
 */
int qv_vf_set_admin_rates(struct qv_pf *pf, int vf, u32 min, u32 max,
			  enum qv_rate_keep keep,
			  struct netlink_ext_ack *extack)
{
	struct qv_vf *v;
	int err;

	mutex_lock(&pf->cfg_lock);
	if (vf < 0 || vf >= pf->num_vfs) {
		mutex_unlock(&pf->cfg_lock);
		return -EINVAL;
	}
	v = &pf->vfs[vf];
	if (keep == QV_RATE_KEEP_MIN)
		min = v->admin_min_tx;
	else if (keep == QV_RATE_KEEP_MAX)
		max = v->admin_max_tx;
	err = qv_vf_apply_admin_rates(pf, v, min, max, extack);
	mutex_unlock(&pf->cfg_lock);
	return err;
}

/* The legacy alias of devlink rate (same registers, same checks). */
int qv_set_vf_rate(struct net_device *dev, int vf, int min, int max)
{
	struct qv_pf *pf = qv_vf_pf(dev, vf);
	int err;

	if (!pf)
		return -EINVAL;
	if (min < 0 || max < 0)
		return -EINVAL;
	err = qv_vf_set_admin_rates(pf, vf, min, max, QV_RATE_SET_BOTH, NULL);
	if (!err)
		queue_work(system_wq, &pf->rate_sync_work);
	return err;
}

static int qv_vf_flags_update(struct net_device *dev, int vf, u32 clear,
			      u32 set)
{
	struct qv_pf *pf = qv_vf_pf(dev, vf);
	void __iomem *mg;
	u32 flags;

	if (!pf)
		return -EINVAL;
	mg = qv_mgmt(pf, vf + 1);
	mutex_lock(&pf->cfg_lock);
	/* SR-IOV may have gone since qv_vf_pf() looked. */
	if (vf >= pf->num_vfs) {
		mutex_unlock(&pf->cfg_lock);
		return -EINVAL;
	}
	flags = qv_rd32(mg, QV_MG_FLAGS);
	flags = (flags & ~clear) | set;
	qv_mg_wr32(pf, vf + 1, QV_MG_FLAGS, flags);
	mutex_unlock(&pf->cfg_lock);
	return 0;
}

int qv_set_vf_spoofchk(struct net_device *dev, int vf, bool on)
{
	return qv_vf_flags_update(dev, vf, QV_MGF_SPOOFCHK,
				  on ? QV_MGF_SPOOFCHK : 0);
}

/*
 * A guarantee above the administrator's is granted (QOS_REQ) only to a
 * trusted VF: it goes with the trust, and the VF, told to reset, asks
 * again as an untrusted one (ice resets a VF whose trust changes).
 */
int qv_set_vf_trust(struct net_device *dev, int vf, bool on)
{
	struct qv_pf *pf = qv_vf_pf(dev, vf);
	struct qv_vf *v;
	int err;

	err = qv_vf_flags_update(dev, vf, QV_MGF_TRUST, on ? QV_MGF_TRUST : 0);
	if (err || on)
		return err;
	mutex_lock(&pf->cfg_lock);
	v = vf < pf->num_vfs ? &pf->vfs[vf] : NULL;
	if (v && v->req_min_tx > v->admin_min_tx) {
		qv_vf_take_back_rates(pf, v);
		qv_pf_notify_vf(pf, v);
	}
	mutex_unlock(&pf->cfg_lock);
	return 0;
}

int qv_set_vf_link_state(struct net_device *dev, int vf, int state)
{
	u32 ls;

	switch (state) {
	case IFLA_VF_LINK_STATE_AUTO:
		ls = QV_LINK_AUTO;
		break;
	case IFLA_VF_LINK_STATE_ENABLE:
		ls = QV_LINK_ENABLE;
		break;
	case IFLA_VF_LINK_STATE_DISABLE:
		ls = QV_LINK_DISABLE;
		break;
	default:
		return -EINVAL;
	}
	return qv_vf_flags_update(dev, vf, QV_MGF_LINK_MASK,
				  ls << QV_MGF_LINK_SHIFT);
}

int qv_get_vf_config(struct net_device *dev, int vf,
		     struct ifla_vf_info *ivi)
{
	struct qv_pf *pf = qv_vf_pf(dev, vf);
	void __iomem *mg;
	u32 vlan, flags;

	if (!pf)
		return -EINVAL;
	mg = qv_mgmt(pf, vf + 1);
	ivi->vf = vf;
	qv_regs_to_mac(qv_rd32(mg, QV_MG_MAC_LO), qv_rd32(mg, QV_MG_MAC_HI),
		       ivi->mac);
	vlan = qv_rd32(mg, QV_MG_VLAN);
	ivi->vlan = vlan & QV_VLAN_VID_MASK;
	ivi->qos = (vlan & QV_VLAN_QOS_MASK) >> QV_VLAN_QOS_SHIFT;
	ivi->vlan_proto = htons(ETH_P_8021Q);
	ivi->max_tx_rate = qv_rd32(mg, QV_MG_TX_MAX_RATE);
	ivi->min_tx_rate = qv_rd32(mg, QV_MG_TX_MIN_RATE);
	flags = qv_rd32(mg, QV_MG_FLAGS);
	ivi->spoofchk = !!(flags & QV_MGF_SPOOFCHK);
	ivi->trusted = !!(flags & QV_MGF_TRUST);
	switch ((flags & QV_MGF_LINK_MASK) >> QV_MGF_LINK_SHIFT) {
	case QV_LINK_ENABLE:
		ivi->linkstate = IFLA_VF_LINK_STATE_ENABLE;
		break;
	case QV_LINK_DISABLE:
		ivi->linkstate = IFLA_VF_LINK_STATE_DISABLE;
		break;
	default:
		ivi->linkstate = IFLA_VF_LINK_STATE_AUTO;
		break;
	}
	return 0;
}

int qv_get_vf_stats(struct net_device *dev, int vf,
		    struct ifla_vf_stats *st)
{
	struct qv_pf *pf = qv_vf_pf(dev, vf);
	void __iomem *mg;

	if (!pf)
		return -EINVAL;
	mg = qv_mgmt(pf, vf + 1);
	st->rx_packets = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_PACKETS));
	st->rx_bytes = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_BYTES));
	st->tx_packets = qv_rd64(mg, QV_MG_STAT(QV_STAT_TX_PACKETS));
	st->tx_bytes = qv_rd64(mg, QV_MG_STAT(QV_STAT_TX_BYTES));
	st->broadcast = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_BCAST));
	st->multicast = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_MCAST));
	/* Every frame the device refused to deliver to this VF. */
	st->rx_dropped = qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_RATE)) +
			 qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_BUFFER)) +
			 qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_RING_FULL)) +
			 qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_LENGTH)) +
			 qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_VLAN)) +
			 qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_LINK_DOWN));
	st->tx_dropped = qv_rd64(mg, QV_MG_STAT(QV_STAT_TX_DROP_SPOOF)) +
			 qv_rd64(mg, QV_MG_STAT(QV_STAT_TX_DROP_BAD)) +
			 qv_rd64(mg, QV_MG_STAT(QV_STAT_TX_DROP_LINK_DOWN));
	return 0;
}
