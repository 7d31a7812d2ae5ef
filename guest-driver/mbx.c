// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: PF <-> VF mailbox.
 *
 * A VF writes a request into its QV_FN_MBX_MEM words and sets QV_MBX_REQ.
 * The device flags the VF in QV_DEV_MBX_PENDING and raises QV_MISC_VF_MBX
 * on the PF, which reads the request through QV_MG_MBX_MEM of that VF,
 * writes the reply (word 0: type | ACK/NACK) into the same words and sets
 * QV_PFMBX_ACK | QV_PFMBX_SEND. The VF sees QV_MBX_PF_MSG, reads the reply
 * and acknowledges it with QV_MBX_VF_ACK.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>

#include "qosvnic.h"

/* ------------------------------------------------------------ VF side */
static void qv_vf_take_pf_msg(struct qv_adapter *ad)
{
	u32 w0 = qv_rd32(ad->hw, QV_FN_MBX_MEM(0));

	if ((w0 & QV_MSG_TYPE_MASK) == QV_MSG_LINK_CHANGE)
		set_bit(QV_S_LINK_CHECK, &ad->state);
	qv_wr32(ad->hw, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
}

int qv_vf_mbx_xfer(struct qv_adapter *ad, u32 *msg, unsigned int len,
		   u32 *reply, unsigned int rlen)
{
	u32 type = msg[0] & QV_MSG_TYPE_MASK;
	unsigned long timeout;
	u32 ctrl, w0, status;
	unsigned int i;
	int err;

	if (len > QV_MBX_WORDS || rlen > QV_MBX_WORDS)
		return -EINVAL;

	mutex_lock(&ad->mbx_lock);
	/* A notification the service task has not consumed yet. */
	if (qv_rd32(ad->hw, QV_FN_MBX_CTRL) & QV_MBX_PF_MSG)
		qv_vf_take_pf_msg(ad);

	for (i = 0; i < len; i++)
		qv_wr32(ad->hw, QV_FN_MBX_MEM(i), msg[i]);
	qv_wr32(ad->hw, QV_FN_MBX_CTRL, QV_MBX_REQ);

	timeout = jiffies + msecs_to_jiffies(QV_MBX_TIMEOUT_MS);
	for (;;) {
		ctrl = qv_rd32(ad->hw, QV_FN_MBX_CTRL);
		if (ctrl & QV_MBX_PF_MSG)
			break;
		if (time_after(jiffies, timeout)) {
			err = -ETIMEDOUT;
			goto out;
		}
		usleep_range(200, 500);
	}

	w0 = qv_rd32(ad->hw, QV_FN_MBX_MEM(0));
	for (i = 0; i < rlen; i++)
		reply[i] = qv_rd32(ad->hw, QV_FN_MBX_MEM(i));
	qv_wr32(ad->hw, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);

	status = w0 & ~QV_MSG_TYPE_MASK;
	if ((w0 & QV_MSG_TYPE_MASK) != type)
		err = -EPROTO;
	else if (status == QV_MSG_ACK)
		err = 0;
	else if (status == QV_MSG_NACK)
		err = -EACCES;
	else
		err = -EIO;
out:
	mutex_unlock(&ad->mbx_lock);
	if (err && err != -EACCES)
		netif_dbg(ad, drv, ad->netdev,
			  "mailbox message %#x failed: %d\n", type, err);
	return err;
}

/* Service task: an unsolicited message from the PF. */
void qv_vf_mbx_poll(struct qv_adapter *ad)
{
	if (!mutex_trylock(&ad->mbx_lock))
		return;		/* a transaction in flight will consume it */
	if (qv_rd32(ad->hw, QV_FN_MBX_CTRL) & QV_MBX_PF_MSG)
		qv_vf_take_pf_msg(ad);
	mutex_unlock(&ad->mbx_lock);
}

/* ------------------------------------------------------------ PF side */
static void qv_pf_reply(void __iomem *mg, const u32 *reply, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		qv_wr32(mg, QV_MG_MBX_MEM(i), reply[i]);
	qv_wr32(mg, QV_MG_MBX_CTRL, QV_PFMBX_ACK | QV_PFMBX_SEND);
}

/*
 * QOS_REQ: the VF asks for a (min, default, max) egress tuple in Mbit/s.
 * Grant when max fits under the ceiling (administrator's max_tx_rate, the
 * modelled line rate and whatever the host capped through QMP), otherwise
 * NACK with the largest grantable tuple.
 */
static bool qv_pf_qos_req(struct qv_pf *pf, struct qv_vf *vf,
			  const u32 *msg, u32 *reply)
{
	void __iomem *mg = qv_mgmt(pf, vf->id + 1);
	u32 min = msg[1], def = msg[2], max = msg[3];
	u32 ceiling = U32_MAX, line, old_min, old_max, rb_min, rb_max;

	line = qv_rd32(pf->hw, QV_DEV_LINE_RATE);
	if (line)
		ceiling = line;
	if (vf->admin_max_tx)
		ceiling = min(ceiling, vf->admin_max_tx);

	if ((max && (min > max || def > max)) || def < min ||
	    (max ? max : U32_MAX) > ceiling) {
		reply[1] = min_t(u32, min, ceiling);
		reply[2] = min_t(u32, def, ceiling);
		reply[3] = ceiling == U32_MAX ? 0 : ceiling;
		return false;
	}

	old_min = qv_rd32(mg, QV_MG_TX_MIN_RATE);
	old_max = qv_rd32(mg, QV_MG_TX_MAX_RATE);
	qv_wr32(mg, QV_MG_TX_MIN_RATE, min);
	qv_wr32(mg, QV_MG_TX_MAX_RATE, max);
	rb_min = qv_rd32(mg, QV_MG_TX_MIN_RATE);
	rb_max = qv_rd32(mg, QV_MG_TX_MAX_RATE);
	if (rb_min != min || rb_max != max) {
		/* The host capped the field: report what it allows. */
		qv_wr32(mg, QV_MG_TX_MIN_RATE, old_min);
		qv_wr32(mg, QV_MG_TX_MAX_RATE, old_max);
		reply[1] = min_t(u32, min, rb_min);
		reply[2] = rb_max ? min_t(u32, def, rb_max) : def;
		reply[3] = rb_max;
		return false;
	}
	reply[1] = min;
	reply[2] = def;
	reply[3] = max;
	return true;
}

static void qv_pf_handle_vf(struct qv_pf *pf, struct qv_vf *vf)
{
	void __iomem *mg = qv_mgmt(pf, vf->id + 1);
	struct device *dev = &pf->pdev->dev;
	u32 msg[QV_MBX_WORDS], reply[QV_MBX_WORDS] = { };
	unsigned int i, n = 1;
	bool ok = false;
	u8 mac[ETH_ALEN];
	u32 type, flags;

	if (!(qv_rd32(mg, QV_MG_MBX_CTRL) & QV_PFMBX_VF_REQ))
		return;
	for (i = 0; i < QV_MBX_WORDS; i++)
		msg[i] = qv_rd32(mg, QV_MG_MBX_MEM(i));
	type = msg[0] & QV_MSG_TYPE_MASK;

	switch (type) {
	case QV_MSG_RESET:
		reply[1] = qv_rd32(mg, QV_MG_MAC_LO);
		reply[2] = qv_rd32(mg, QV_MG_MAC_HI);
		reply[3] = READ_ONCE(pf->adapter->netdev->mtu);
		vf->mc_count = 0;
		n = 4;
		ok = true;
		break;
	case QV_MSG_SET_MAC:
		qv_regs_to_mac(msg[1], msg[2], mac);
		flags = qv_rd32(mg, QV_MG_FLAGS);
		if (!is_valid_ether_addr(mac)) {
			break;
		} else if (vf->admin_mac && !(flags & QV_MGF_TRUST)) {
			dev_warn_ratelimited(dev,
					     "VF %u attempted to override administratively set MAC %pM\n",
					     vf->id, mac);
			break;
		}
		qv_wr32(mg, QV_MG_MAC_LO, msg[1]);
		qv_wr32(mg, QV_MG_MAC_HI, msg[2] & 0xffff);
		ok = true;
		break;
	case QV_MSG_SET_MC:
		vf->mc_count = msg[1];
		reply[1] = QV_MC_ENTRIES;
		n = 2;
		ok = msg[1] <= QV_MC_ENTRIES;
		break;
	case QV_MSG_QOS_REQ:
		ok = qv_pf_qos_req(pf, vf, msg, reply);
		n = 4;
		break;
	default:
		dev_dbg(dev, "VF %u: unknown mailbox message %#x\n", vf->id,
			type);
		break;
	}
	reply[0] = type | (ok ? QV_MSG_ACK : QV_MSG_NACK);
	qv_pf_reply(mg, reply, n);
}

void qv_pf_mbx_work(struct work_struct *work)
{
	struct qv_pf *pf = container_of(work, struct qv_pf, mbx_work);
	unsigned long pending;
	unsigned int w, bit, id;

	for (w = 0; w < QV_DEV_MBX_WORDS; w++) {
		pending = qv_rd32(pf->hw, QV_DEV_MBX_PENDING(w));
		if (!pending)
			continue;
		qv_wr32(pf->hw, QV_DEV_MBX_PENDING(w), pending);
		mutex_lock(&pf->cfg_lock);
		for_each_set_bit(bit, &pending, 32) {
			id = w * 32 + bit;
			if (id < pf->num_vfs)
				qv_pf_handle_vf(pf, &pf->vfs[id]);
		}
		mutex_unlock(&pf->cfg_lock);
	}
}
