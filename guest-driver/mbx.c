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

/*
 * PF -> VF messages other than replies carry status 0 in word 0
 * (qosvnic_hw.h): QV_MSG_LINK_CHANGE, and QV_MSG_RESET, with which the PF
 * asks the VF to reset and fetch its configuration again because the
 * administrator changed it (as ice does with
 * VIRTCHNL_EVENT_RESET_IMPENDING).
 *
 * The words are shared by both directions; each side reads the owner
 * (QV_MBX_OWNER_*, in its control register) before it writes them, and
 * reads back a word where the other side may have taken them between the
 * two.
 */
#define QV_MBX_RETRIES	3
/* A PF message the VF has not acknowledged after this is reported. */
#define QV_PF_MSG_TIMEOUT	(2 * HZ)

static u32 qv_mbx_owner(u32 ctrl)
{
	return (ctrl & QV_MBX_OWNER_MASK) >> QV_MBX_OWNER_SHIFT;
}

/* ------------------------------------------------------------ VF side */
static void qv_vf_pf_msg(struct qv_adapter *ad, u32 w0)
{
	switch (w0 & QV_MSG_TYPE_MASK) {
	case QV_MSG_LINK_CHANGE:
		set_bit(QV_S_LINK_CHECK, &ad->state);
		break;
	case QV_MSG_RESET:
		set_bit(QV_S_PF_RESET, &ad->state);
		break;
	default:
		return;
	}
	qv_service_kick(ad);
}

/* Consume a message the PF sent; a late reply is dropped. */
static void qv_vf_take_pf_msg(struct qv_adapter *ad)
{
	u32 w0 = qv_rd32(ad->hw, QV_FN_MBX_MEM(0));

	qv_wr32(ad->hw, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
	if (!(w0 & ~QV_MSG_TYPE_MASK))
		qv_vf_pf_msg(ad, w0);
}

/*
 * One request/reply transaction. The mailbox words are shared with the
 * PF, and the PF may send a message of its own at any time: a request the
 * device dropped because of it, or whose words it overwrote, is sent again.
 */
int qv_vf_mbx_xfer(struct qv_adapter *ad, u32 *msg, unsigned int len,
		   u32 *reply, unsigned int rlen)
{
	u32 type = msg[0] & QV_MSG_TYPE_MASK;
	unsigned int i, tries = 0;
	unsigned long timeout, busy_until;
	u32 ctrl, w0, status;
	int err;

	if (len > QV_MBX_WORDS || rlen > QV_MBX_WORDS)
		return -EINVAL;
	if (test_bit(QV_S_FLR, &ad->state))
		return -EBUSY;

	mutex_lock(&ad->mbx_lock);
	busy_until = jiffies + msecs_to_jiffies(QV_MBX_TIMEOUT_MS);
again:
	/* A notification the service task has not consumed yet. */
	ctrl = qv_rd32(ad->hw, QV_FN_MBX_CTRL);
	if (ctrl & QV_MBX_PF_MSG) {
		qv_vf_take_pf_msg(ad);
		ctrl = qv_rd32(ad->hw, QV_FN_MBX_CTRL);
	}
	if (qv_mbx_owner(ctrl) == QV_MBX_OWNER_PF) {
		/* The PF is composing a message: wait for it. */
		if (time_after(jiffies, busy_until)) {
			err = -EBUSY;
			goto out;
		}
		usleep_range(200, 500);
		goto again;
	}

	for (i = 0; i < len; i++)
		qv_wr32(ad->hw, QV_FN_MBX_MEM(i), msg[i]);
	if (qv_rd32(ad->hw, QV_FN_MBX_CTRL) & QV_MBX_PF_MSG) {
		/*
		 * The PF sent while we wrote, and we wrote over its words: we
		 * cannot tell what it said, so do what either message asks.
		 */
		qv_wr32(ad->hw, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);
		qv_vf_pf_msg(ad, QV_MSG_LINK_CHANGE);
		qv_vf_pf_msg(ad, QV_MSG_RESET);
		err = -EAGAIN;
		goto retry;
	}
	qv_wr32(ad->hw, QV_FN_MBX_CTRL, QV_MBX_REQ);

	timeout = jiffies + msecs_to_jiffies(QV_MBX_TIMEOUT_MS);
	for (;;) {
		ctrl = qv_rd32(ad->hw, QV_FN_MBX_CTRL);
		if (ctrl & QV_MBX_PF_MSG)
			break;
		if (time_after(jiffies, timeout)) {
			err = -ETIMEDOUT;
			/* For the mailbox health reporter (service task). */
			ad->mbx_snap.mbx_type = type;
			ad->mbx_snap.mbx_ctrl = ctrl;
			set_bit(QV_S_MBX_TIMEOUT, &ad->state);
			goto out;
		}
		usleep_range(200, 500);
	}

	w0 = qv_rd32(ad->hw, QV_FN_MBX_MEM(0));
	for (i = 0; i < rlen; i++)
		reply[i] = qv_rd32(ad->hw, QV_FN_MBX_MEM(i));
	qv_wr32(ad->hw, QV_FN_MBX_CTRL, QV_MBX_VF_ACK);

	status = w0 & ~QV_MSG_TYPE_MASK;
	if (!status) {
		/* A PF message came first; the device dropped our REQ. */
		qv_vf_pf_msg(ad, w0);
		err = -EAGAIN;
	} else if ((w0 & QV_MSG_TYPE_MASK) != type) {
		/* The PF's message overwrote our request before it read it. */
		err = -EPROTO;
	} else if (status == QV_MSG_ACK) {
		err = 0;
	} else if (status == QV_MSG_NACK) {
		err = -EACCES;
	} else {
		err = -EIO;
	}
retry:
	if ((err == -EAGAIN || err == -EPROTO) && ++tries < QV_MBX_RETRIES)
		goto again;
out:
	mutex_unlock(&ad->mbx_lock);
	if (!err || err == -EACCES)
		qv_health_mbx_ok(ad);
	if (err && err != -EACCES)
		netif_dbg(ad, drv, ad->netdev,
			  "mailbox message %#x failed: %d\n", type, err);
	return err;
}

/* ethtool -t: a mailbox round trip, which raises our misc interrupt. */
int qv_vf_mbx_ping(struct qv_adapter *ad)
{
	u32 msg[1] = { QV_MSG_PING };

	return qv_vf_mbx_xfer(ad, msg, 1, NULL, 0);
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
static void qv_pf_reply(struct qv_vf *vf, void __iomem *mg, const u32 *reply,
			unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		qv_wr32(mg, QV_MG_MBX_MEM(i), reply[i]);
	qv_wr32(mg, QV_MG_MBX_CTRL, QV_PFMBX_ACK | QV_PFMBX_SEND);
	vf->msg_outstanding = true;
	vf->msg_sent = jiffies;
	vf->mbx_timed_out = false;
}

/*
 * QOS_REQ: the VF asks for a (min, default, max) egress tuple in Mbit/s.
 * - max must fit under the ceiling: the administrator's max_tx_rate, the
 *   modelled line rate, and what the host capped through QMP;
 * - min is a guarantee, which takes bandwidth from every other VF: an
 *   untrusted VF gets the administrator's min_tx_rate and no more; a
 *   trusted one may ask for more, as long as the guarantees of all VFs
 *   fit in the line rate (which must be known for that).
 * Granted values live beside the administrator's (req_*), which they never
 * overwrite; the administrator's next ip link set, or a VF reset, drops
 * them. Otherwise NACK with the largest grantable tuple.
 */
static bool qv_pf_qos_req(struct qv_pf *pf, struct qv_vf *vf,
			  const u32 *msg, u32 *reply)
{
	void __iomem *mg = qv_mgmt(pf, vf->id + 1);
	u32 min = msg[1], def = msg[2], max = msg[3];
	u32 ceiling = U32_MAX, line, others, grant_min, eff_min;
	u32 cap_min, cap_max;
	bool trusted = qv_rd32(mg, QV_MG_FLAGS) & QV_MGF_TRUST;

	if (!min && !def && !max) {
		/* The VF gives back what it was granted (tc qdisc del). */
		reply[1] = 0;
		reply[2] = 0;
		reply[3] = 0;
		return !qv_vf_take_back_rates(pf, vf);
	}
	line = qv_rd32(pf->hw, QV_DEV_LINE_RATE);
	if (line)
		ceiling = line;
	if (vf->admin_max_tx)
		ceiling = min(ceiling, vf->admin_max_tx);

	grant_min = vf->admin_min_tx;
	if (trusted && line) {
		others = qv_vf_min_sum(pf, vf);
		if (others < line)
			grant_min = max(grant_min, min(line - others, ceiling));
	}
	eff_min = max(min, vf->admin_min_tx);

	if ((max && (min > max || def > max || eff_min > max)) || def < min ||
	    (max ? max : U32_MAX) > ceiling || min > grant_min)
		goto nack;

	if (qv_vf_program_rates(pf, vf, eff_min, max, &cap_min, &cap_max)) {
		/* The host capped a field: report what it lets through. */
		if (cap_max)
			ceiling = min(ceiling, cap_max);
		grant_min = min(grant_min, cap_min);
		goto nack;
	}
	vf->req_min_tx = min;
	vf->req_max_tx = max;
	reply[1] = eff_min;
	reply[2] = def;
	reply[3] = max;
	return true;

nack:
	reply[1] = min_t(u32, min, grant_min);
	reply[2] = min_t(u32, def, ceiling);
	reply[3] = ceiling == U32_MAX ? 0 : ceiling;
	return false;
}

/* The VF (re)starts: forget what it asked for before. */
static void qv_pf_vf_reset(struct qv_pf *pf, struct qv_vf *vf)
{
	vf->mc_count = 0;
	vf->driver_seen = true;
	vf->notify_pending = false;	/* it is about to read its config */
	vf->notify_missed = false;
	if (vf->req_min_tx || vf->req_max_tx)
		qv_vf_take_back_rates(pf, vf);
}

static void qv_pf_handle_req(struct qv_pf *pf, struct qv_vf *vf)
{
	void __iomem *mg = qv_mgmt(pf, vf->id + 1);
	struct device *dev = &pf->pdev->dev;
	u32 msg[QV_MBX_WORDS], reply[QV_MBX_WORDS] = { };
	unsigned int i, n = 1;
	bool ok = false;
	u8 mac[ETH_ALEN];
	u32 type, flags;

	for (i = 0; i < QV_MBX_WORDS; i++)
		msg[i] = qv_rd32(mg, QV_MG_MBX_MEM(i));
	type = msg[0] & QV_MSG_TYPE_MASK;

	switch (type) {
	case QV_MSG_RESET:
		qv_pf_vf_reset(pf, vf);
		reply[1] = qv_rd32(mg, QV_MG_MAC_LO);
		reply[2] = qv_rd32(mg, QV_MG_MAC_HI);
		reply[3] = READ_ONCE(pf->adapter->netdev->mtu);
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
		} else if (qv_pf_mac_holder(pf, vf->id + 1, mac) >= 0) {
			dev_warn_ratelimited(dev,
					     "VF %u asked for MAC %pM, which another function uses\n",
					     vf->id, mac);
			break;
		}
		qv_mg_wr32(pf, vf->id + 1, QV_MG_MAC_LO, msg[1]);
		qv_mg_wr32(pf, vf->id + 1, QV_MG_MAC_HI, msg[2] & 0xffff);
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
	case QV_MSG_PING:
		ok = true;
		break;
	default:
		dev_dbg(dev, "VF %u: unknown mailbox message %#x\n", vf->id,
			type);
		break;
	}
	reply[0] = type | (ok ? QV_MSG_ACK : QV_MSG_NACK);
	qv_pf_reply(vf, mg, reply, n);
}

/*
 * Send QV_MSG_RESET to a VF whose mailbox is idle. The words are shared:
 * writing them takes the mailbox only if the VF does not hold it, which
 * the read-back tells; a request that arrived meanwhile had its words
 * overwritten and is answered with a NACK of type 0 (the VF sends it
 * again). Either way the notification stays pending until it is out.
 */
static void qv_pf_send_notify(struct qv_pf *pf, struct qv_vf *vf)
{
	void __iomem *mg = qv_mgmt(pf, vf->id + 1);
	int tries = 0;

again:
	if (qv_mbx_owner(qv_rd32(mg, QV_MG_MBX_CTRL)) == QV_MBX_OWNER_VF)
		return;		/* the VF is writing a request */
	qv_wr32(mg, QV_MG_MBX_MEM(0), QV_MSG_RESET);
	qv_wr32(mg, QV_MG_MBX_MEM(1), 0);
	if (qv_rd32(mg, QV_MG_MBX_MEM(0)) != QV_MSG_RESET) {
		/*
		 * The VF reset between the two writes: that emptied the words,
		 * and the second write took them again. They are ours, but
		 * nothing would give them back (the VF's requests would be
		 * refused): write the message again, once.
		 */
		if (!tries++)
			goto again;
		return;
	}
	if (qv_rd32(mg, QV_MG_MBX_CTRL) & QV_PFMBX_VF_REQ) {
		qv_wr32(mg, QV_MG_MBX_MEM(0), QV_MSG_NACK);
		qv_wr32(mg, QV_MG_MBX_CTRL, QV_PFMBX_ACK | QV_PFMBX_SEND);
		vf->msg_outstanding = true;
		vf->msg_sent = jiffies;
		/* A new message: its timeout is reported as any other's. */
		vf->mbx_timed_out = false;
		return;
	}
	qv_wr32(mg, QV_MG_MBX_CTRL, QV_PFMBX_SEND);
	vf->msg_outstanding = true;
	vf->msg_sent = jiffies;
	vf->mbx_timed_out = false;
	vf->notify_pending = false;
}

/*
 * PF service task: a message a VF has not acknowledged for
 * QV_PF_MSG_TIMEOUT goes to the mailbox health reporter, once per message.
 */
void qv_pf_mbx_check_timeouts(struct qv_pf *pf)
{
	struct qv_adapter *ad = pf->adapter;
	bool report = false;
	int i;

	mutex_lock(&pf->cfg_lock);
	for (i = 0; i < pf->num_vfs; i++) {
		struct qv_vf *vf = &pf->vfs[i];

		if (!vf->msg_outstanding || vf->mbx_timed_out ||
		    !time_after(jiffies, vf->msg_sent + QV_PF_MSG_TIMEOUT))
			continue;
		/* Acknowledged meanwhile, and the work has not run yet? */
		if (qv_rd32(qv_mgmt(pf, i + 1), QV_MG_MBX_CTRL) &
		    QV_PFMBX_VF_ACK)
			continue;
		vf->mbx_timed_out = true;
		vf->mbx_faulty = true;
		/* Its driver is gone (unbound, its VM off): tell it no more. */
		vf->driver_seen = false;
		ad->mbx_snap.vf = i;
		ad->mbx_snap.mbx_ctrl = qv_rd32(qv_mgmt(pf, i + 1),
						QV_MG_MBX_CTRL);
		ad->mbx_snap.mbx_type = qv_rd32(qv_mgmt(pf, i + 1),
						QV_MG_MBX_MEM(0));
		report = true;
		break;
	}
	/*
	 * Reported under cfg_lock: a late acknowledgment handled between
	 * the unlock and the report would find the reporter healthy still
	 * and leave it in error with no faulty VF.
	 */
	if (report)
		qv_health_report_mbx(ad, "a VF did not acknowledge a PF message");
	mutex_unlock(&pf->cfg_lock);
}

/*
 * VF @vf answered (an acknowledgment, or a request, which the device
 * takes only with nothing unread): it is no longer a mailbox fault. The
 * PF's one mailbox reporter is healthy again only once no VF is. Before,
 * any VF's acknowledgment cleared it while another VF still did not
 * answer. cfg_lock held.
 */
static void qv_pf_vf_answered(struct qv_pf *pf, struct qv_vf *vf)
{
	int i;

	lockdep_assert_held(&pf->cfg_lock);
	vf->mbx_faulty = false;
	for (i = 0; i < pf->num_vfs; i++)
		if (pf->vfs[i].mbx_faulty)
			return;
	qv_health_mbx_ok(pf->adapter);
}

/* Called with cfg_lock held. */
static void qv_pf_service_vf(struct qv_pf *pf, struct qv_vf *vf)
{
	u32 ctrl = qv_rd32(qv_mgmt(pf, vf->id + 1), QV_MG_MBX_CTRL);

	if (ctrl & (QV_PFMBX_VF_ACK | QV_PFMBX_VF_REQ))
		qv_pf_vf_answered(pf, vf);
	/* VF_ACK stays set until our next SEND: nothing unread is left. */
	if (ctrl & QV_PFMBX_VF_ACK) {
		vf->msg_outstanding = false;
		/*
		 * Late, after qv_pf_mbx_check_timeouts() took its driver
		 * for gone (its VM was paused, say): it is there after all,
		 * and hears of what changed meanwhile.
		 */
		if (!vf->driver_seen && vf->mbx_timed_out) {
			vf->driver_seen = true;
			vf->notify_pending |= vf->notify_missed;
			vf->notify_missed = false;
		}
	}
	if (ctrl & QV_PFMBX_VF_REQ) {
		/* The device takes a request only with no message unread. */
		vf->msg_outstanding = false;
		qv_pf_handle_req(pf, vf);
		return;
	}
	if (vf->notify_pending && !vf->msg_outstanding)
		qv_pf_send_notify(pf, vf);
}

/*
 * Ask VF @vf to reset and fetch its configuration. cfg_lock held. Only a
 * VF whose driver has started (asked for a reset): one with none bound
 * reads its configuration when it starts, and a message it never
 * acknowledges would be reported as a mailbox fault (ice, likewise,
 * tells only VFs that are set up).
 */
void qv_pf_notify_vf(struct qv_pf *pf, struct qv_vf *vf)
{
	lockdep_assert_held(&pf->cfg_lock);
	if (!vf->driver_seen) {
		vf->notify_missed = true;
		return;
	}
	vf->notify_pending = true;
	queue_work(system_wq, &pf->mbx_work);
}

/*
 * After a reset of the whole device (a slot reset, a resume that may have
 * lost power): every VF's rings and mailbox were reset with it. A VF driver in
 * this guest hears of it through its own AER or PM callbacks; one in
 * another VM (vfio) does not, so each VF that has a driver is told to
 * reset, as ice tells its VFs of a PF reset. The mailbox itself was reset:
 * nothing the PF sent before is outstanding any more.
 */
void qv_pf_notify_all_vfs(struct qv_pf *pf)
{
	int i, n = 0;

	mutex_lock(&pf->cfg_lock);
	for (i = 0; i < pf->num_vfs; i++) {
		pf->vfs[i].msg_outstanding = false;
		n += pf->vfs[i].driver_seen;
		qv_pf_notify_vf(pf, &pf->vfs[i]);
	}
	mutex_unlock(&pf->cfg_lock);
	if (n)
		dev_info(&pf->pdev->dev,
			 "the device was reset: telling %d VFs to reset\n", n);
}

void qv_pf_mbx_work(struct work_struct *work)
{
	struct qv_pf *pf = container_of(work, struct qv_pf, mbx_work);
	unsigned long state = READ_ONCE(pf->adapter->state);
	unsigned long pending;
	unsigned int w, bit, id;
	int i;

	/*
	 * Not on a function being reset or removed (qv_pf_mbx_quiesce()),
	 * which may read all-ones: qv_function_restore() queues a run after.
	 */
	if (state & (BIT(QV_S_FLR) | BIT(QV_S_REMOVING)))
		return;
	mutex_lock(&pf->cfg_lock);
	for (w = 0; w < QV_DEV_MBX_WORDS; w++) {
		pending = qv_rd32(pf->hw, QV_DEV_MBX_PENDING(w));
		if (!pending)
			continue;
		qv_wr32(pf->hw, QV_DEV_MBX_PENDING(w), pending);
		for_each_set_bit(bit, &pending, 32) {
			id = w * 32 + bit;
			if (id < pf->num_vfs)
				qv_pf_service_vf(pf, &pf->vfs[id]);
		}
	}
	for (i = 0; i < pf->num_vfs; i++)
		if (pf->vfs[i].notify_pending)
			qv_pf_service_vf(pf, &pf->vfs[i]);
	mutex_unlock(&pf->cfg_lock);
}
