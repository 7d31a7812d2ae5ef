// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: devlink health reporters, on the PF's devlink instance and on
 * each VF's own.
 *
 *   tx_timeout   the netdev watchdog saw the TX queue stuck;
 *   ring_error   the device stopped a ring (QV_MISC_RING_ERR: a ring or a
 *                buffer it could not use);
 *   mailbox      VF: the PF did not answer a request in time; PF: a VF
 *                did not acknowledge a PF message.
 *
 * tx_timeout and ring_error recover with a function reset (the reset the
 * driver always did; now "devlink health" counts it, keeps a dump of the
 * rings as they were, and honours auto_recover). Their dumps hold the
 * ring registers and the driver's indices at the error; diagnose shows
 * them now. "devlink health test" injects an event (dump and recovery)
 * without an error. The mailbox reporter has no recovery: the driver
 * retries by itself; it says healthy again after the next good exchange.
 */
#include <linux/rtnetlink.h>
#include <net/devlink.h>

#include "qosvnic.h"

static void qv_fmsg_snap(struct devlink_fmsg *fmsg,
			 const struct qv_health_snap *s)
{
	devlink_fmsg_u32_pair_put(fmsg, "status", s->status);
	devlink_fmsg_u32_pair_put(fmsg, "misc_cause", s->misc_cause);
	devlink_fmsg_pair_nest_start(fmsg, "tx");
	devlink_fmsg_obj_nest_start(fmsg);
	devlink_fmsg_u32_pair_put(fmsg, "head", s->tx_head);
	devlink_fmsg_u32_pair_put(fmsg, "tail", s->tx_tail);
	devlink_fmsg_u32_pair_put(fmsg, "next_to_clean", s->tx_ntc);
	devlink_fmsg_u32_pair_put(fmsg, "next_to_use", s->tx_ntu);
	devlink_fmsg_obj_nest_end(fmsg);
	devlink_fmsg_pair_nest_end(fmsg);
	devlink_fmsg_pair_nest_start(fmsg, "rx");
	devlink_fmsg_obj_nest_start(fmsg);
	devlink_fmsg_u32_pair_put(fmsg, "head", s->rx_head);
	devlink_fmsg_u32_pair_put(fmsg, "tail", s->rx_tail);
	devlink_fmsg_u32_pair_put(fmsg, "next_to_clean", s->rx_ntc);
	devlink_fmsg_u32_pair_put(fmsg, "next_to_use", s->rx_ntu);
	devlink_fmsg_obj_nest_end(fmsg);
	devlink_fmsg_pair_nest_end(fmsg);
}

static void qv_fmsg_function(struct devlink_fmsg *fmsg, struct qv_adapter *ad)
{
	devlink_fmsg_string_pair_put(fmsg, "function", pci_name(ad->pdev));
	devlink_fmsg_string_pair_put(fmsg, "netdev", netdev_name(ad->netdev));
	devlink_fmsg_u64_pair_put(fmsg, "resets", ad->resets);
	devlink_fmsg_u64_pair_put(fmsg, "tx_timeouts", ad->tx_timeouts);
}

/* ---------------------------------------------- tx_timeout, ring_error */
static int qv_rings_recover(struct devlink_health_reporter *reporter,
			    void *priv_ctx, struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = devlink_health_reporter_priv(reporter);

	/* Under rtnl, which the FLR's prepare takes to detach the netdev. */
	rtnl_lock();
	if (test_bit(QV_S_REMOVING, &ad->state)) {
		rtnl_unlock();
		NL_SET_ERR_MSG_MOD(extack, "the function is going away");
		return -EBUSY;
	}
	/*
	 * A reset (FLR, PCI error, suspend) is under way, and its end resets
	 * and reopens the function (qv_reset_done(), qv_revive()): that is
	 * the recovery. Reported as done, as mlx5e does when its channels
	 * are closed: an error would leave the reporter in error, and
	 * devlink_health_report() would not recover by itself again.
	 */
	if (test_bit(QV_S_FLR, &ad->state)) {
		rtnl_unlock();
		/* ... unless there is no end to come. */
		if (ad->pdev->error_state == pci_channel_io_perm_failure) {
			NL_SET_ERR_MSG_MOD(extack,
					   "the PCI channel has failed for good");
			return -EIO;
		}
		return 0;
	}
	netdev_warn(ad->netdev, "recovering: function reset (status %#x)\n",
		    qv_rd32(ad->hw, QV_FN_STATUS));
	qv_reinit_locked(ad);
	rtnl_unlock();
	return 0;
}

static int qv_rings_dump(struct devlink_health_reporter *reporter,
			 struct devlink_fmsg *fmsg, void *priv_ctx,
			 struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = devlink_health_reporter_priv(reporter);
	struct qv_health_snap now, *s = priv_ctx;

	if (!s) {
		qv_health_snapshot(ad, &now);
		s = &now;
	}
	qv_fmsg_function(fmsg, ad);
	devlink_fmsg_bool_pair_put(fmsg, "test", s->test);
	qv_fmsg_snap(fmsg, s);
	return 0;
}

static int qv_rings_diagnose(struct devlink_health_reporter *reporter,
			     struct devlink_fmsg *fmsg,
			     struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = devlink_health_reporter_priv(reporter);
	struct qv_health_snap now;

	qv_health_snapshot(ad, &now);
	qv_fmsg_function(fmsg, ad);
	devlink_fmsg_bool_pair_put(fmsg, "running",
				   !test_bit(QV_S_DOWN, &ad->state));
	qv_fmsg_snap(fmsg, &now);
	return 0;
}

/*
 * devlink health test: an event with a dump and a recovery, no error. It
 * goes the way a real one does, through the service task: the test op runs
 * under devl_lock, which devlink_health_report() takes for the recovery.
 */
static int qv_rings_test(struct devlink_health_reporter *reporter,
			 enum qv_reset_reason why)
{
	struct qv_adapter *ad = devlink_health_reporter_priv(reporter);

	return qv_request_reset_test(ad, why) ? 0 : -EBUSY;
}

static int qv_tx_timeout_test(struct devlink_health_reporter *reporter,
			      struct netlink_ext_ack *extack)
{
	return qv_rings_test(reporter, QV_RR_TX_TIMEOUT);
}

static int qv_ring_error_test(struct devlink_health_reporter *reporter,
			      struct netlink_ext_ack *extack)
{
	return qv_rings_test(reporter, QV_RR_RING_ERR);
}

static const struct devlink_health_reporter_ops qv_tx_timeout_ops = {
	.name = "tx_timeout",
	.recover = qv_rings_recover,
	.dump = qv_rings_dump,
	.diagnose = qv_rings_diagnose,
	.test = qv_tx_timeout_test,
};

static const struct devlink_health_reporter_ops qv_ring_error_ops = {
	.name = "ring_error",
	.recover = qv_rings_recover,
	.dump = qv_rings_dump,
	.diagnose = qv_rings_diagnose,
	.test = qv_ring_error_test,
};

/* ------------------------------------------------------------ mailbox */
static int qv_mbx_dump(struct devlink_health_reporter *reporter,
		       struct devlink_fmsg *fmsg, void *priv_ctx,
		       struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = devlink_health_reporter_priv(reporter);
	struct qv_health_snap *s = priv_ctx ? priv_ctx : &ad->mbx_snap;

	qv_fmsg_function(fmsg, ad);
	devlink_fmsg_string_pair_put(fmsg, "side", ad->pf ? "PF" : "VF");
	if (ad->pf)
		devlink_fmsg_u32_pair_put(fmsg, "vf", s->vf);
	devlink_fmsg_u32_pair_put(fmsg, "message", s->mbx_type);
	devlink_fmsg_u32_pair_put(fmsg, "mbx_ctrl", s->mbx_ctrl);
	devlink_fmsg_u32_pair_put(fmsg, "owner",
				  (s->mbx_ctrl & QV_MBX_OWNER_MASK) >>
				  QV_MBX_OWNER_SHIFT);
	devlink_fmsg_bool_pair_put(fmsg, "test", s->test);
	return 0;
}

static int qv_mbx_diagnose(struct devlink_health_reporter *reporter,
			   struct devlink_fmsg *fmsg,
			   struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = devlink_health_reporter_priv(reporter);

	devlink_fmsg_bool_pair_put(fmsg, "pf_answers", ad->pf || ad->pf_answers);
	if (!ad->pf)
		devlink_fmsg_u32_pair_put(fmsg, "mbx_ctrl",
					  qv_rd32(ad->hw, QV_FN_MBX_CTRL));
	return 0;
}

static int qv_mbx_test(struct devlink_health_reporter *reporter,
		       struct netlink_ext_ack *extack)
{
	struct qv_adapter *ad = devlink_health_reporter_priv(reporter);

	ad->mbx_snap.test = true;
	set_bit(QV_S_MBX_TEST, &ad->state);
	qv_service_kick(ad);
	return 0;
}

static const struct devlink_health_reporter_ops qv_mbx_ops = {
	.name = "mailbox",
	.dump = qv_mbx_dump,
	.diagnose = qv_mbx_diagnose,
	.test = qv_mbx_test,
};

/* ---------------------------------------------------------- reporting */
void qv_health_report_reset(struct qv_adapter *ad)
{
	struct devlink_health_reporter *rep;
	const char *msg;
	int err;

	if (ad->reset_reason == QV_RR_TX_TIMEOUT) {
		rep = ad->rep_tx;
		msg = "TX timeout";
	} else {
		rep = ad->rep_ring;
		msg = "ring error";
	}
	if (!rep) {
		/* No reporter (no devlink): recover as before. */
		rtnl_lock();
		netdev_warn(ad->netdev, "%s: function reset\n", msg);
		qv_reinit_locked(ad);
		rtnl_unlock();
		return;
	}
	err = devlink_health_report(rep, msg, &ad->snap);
	if (err)
		netdev_warn(ad->netdev, "%s: not recovered (%d); see devlink health\n",
			    msg, err);
}

/*
 * The mailbox reporter is not used once remove has begun: the devlink
 * instance may be unregistered already, and a report or a state change
 * then warns (devlink_recover_notify()).
 */
void qv_health_report_mbx(struct qv_adapter *ad, const char *msg)
{
	if (test_bit(QV_S_REMOVING, &ad->state))
		return;
	if (!ad->rep_mbx) {
		netdev_warn(ad->netdev, "mailbox: %s\n", msg);
		return;
	}
	WRITE_ONCE(ad->mbx_unhealthy, true);
	devlink_health_report(ad->rep_mbx, msg, &ad->mbx_snap);
}

/* A good exchange after a timeout: the mailbox works again. */
void qv_health_mbx_ok(struct qv_adapter *ad)
{
	if (!ad->rep_mbx || test_bit(QV_S_REMOVING, &ad->state) ||
	    !READ_ONCE(ad->mbx_unhealthy))
		return;
	WRITE_ONCE(ad->mbx_unhealthy, false);
	devlink_health_reporter_state_update(ad->rep_mbx,
					     DEVLINK_HEALTH_REPORTER_STATE_HEALTHY);
}

static struct devlink_health_reporter *
qv_reporter(struct qv_adapter *ad, const struct devlink_health_reporter_ops *ops)
{
	struct devlink_health_reporter *rep;

	rep = devlink_health_reporter_create(ad->devlink, ops, 0, ad);
	if (IS_ERR(rep)) {
		dev_warn(&ad->pdev->dev, "devlink health reporter %s: %ld\n",
			 ops->name, PTR_ERR(rep));
		return NULL;
	}
	return rep;
}

void qv_health_create(struct qv_adapter *ad)
{
	if (!ad->devlink)
		return;
	ad->rep_tx = qv_reporter(ad, &qv_tx_timeout_ops);
	ad->rep_ring = qv_reporter(ad, &qv_ring_error_ops);
	ad->rep_mbx = qv_reporter(ad, &qv_mbx_ops);
}

void qv_health_destroy(struct qv_adapter *ad)
{
	if (ad->rep_mbx)
		devlink_health_reporter_destroy(ad->rep_mbx);
	if (ad->rep_ring)
		devlink_health_reporter_destroy(ad->rep_ring);
	if (ad->rep_tx)
		devlink_health_reporter_destroy(ad->rep_tx);
	ad->rep_mbx = NULL;
	ad->rep_ring = NULL;
	ad->rep_tx = NULL;
}
