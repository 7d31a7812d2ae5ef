// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: tc offload in switchdev mode.
 *
 * flower on the ingress of a representor (what its VF sends) or of the PF
 * netdev (the uplink: what comes from the wire) becomes a rule of the
 * device's table (QV_RULE(i)):
 *   match   the ingress port (the netdev the rule is on), dst/src MAC
 *           under masks, VLAN id, ethertype (after the tag), IP protocol,
 *           TCP/UDP/SCTP ports under masks, ip_flags frag/nofrag;
 *   actions police (a device policer; rules whose police actions share a
 *           tc index share it), vlan pop, vlan push (802.1Q), then mirred
 *           egress redirect to a representor (its VF), to the PF netdev
 *           (the uplink) or drop.
 * Priority: tc's prio, lowest first (the device's QV_RL_CTRL priority);
 * chain 0 only. Counters: "tc -s" shows the rule's packets, bytes and last
 * use, and the policer's drops on the police action.
 *
 * matchall with one police action on the egress of a representor (the
 * traffic to its VF) is the VF's ingress policer (QV_MG_RX_RATE/BURST),
 * the device's admission control, and its drops (QV_STAT_DROP_RATE) are
 * the police action's drops in "tc -s".
 *
 * Anything else is refused with an extack message. Everything here runs
 * under rtnl (this driver's block callbacks are not unlocked ones).
 */
#include <linux/rtnetlink.h>
#include <net/flow_offload.h>
#include <net/pkt_cls.h>

#include "qosvnic.h"

#define QV_RL_NREGS	(QV_RULE_STRIDE / 4)

/* What a block callback is bound to: a port, one direction. */
struct qv_tc_ctx {
	struct qv_pf *pf;
	struct net_device *netdev;
	u16 port;
};

static LIST_HEAD(qv_block_cb_list);

void qv_tc_init(struct qv_pf *pf)
{
	INIT_LIST_HEAD(&pf->flows);
}

static bool qv_tc_switchdev(struct qv_pf *pf, struct netlink_ext_ack *extack)
{
	if (pf->esw_mode == DEVLINK_ESWITCH_MODE_SWITCHDEV)
		return true;
	NL_SET_ERR_MSG_MOD(extack,
			   "offload needs eswitch mode switchdev (devlink dev eswitch set)");
	return false;
}

/* ---------------------------------------------------------- policers */
static int qv_police_check(const struct flow_action *action,
			   const struct flow_action_entry *act,
			   struct netlink_ext_ack *extack)
{
	if (act->police.exceed.act_id != FLOW_ACTION_DROP) {
		NL_SET_ERR_MSG_MOD(extack,
				   "police offload needs conform-exceed drop/...");
		return -EOPNOTSUPP;
	}
	if (act->police.notexceed.act_id != FLOW_ACTION_PIPE &&
	    act->police.notexceed.act_id != FLOW_ACTION_ACCEPT) {
		NL_SET_ERR_MSG_MOD(extack,
				   "police offload needs a conform action of pipe or ok");
		return -EOPNOTSUPP;
	}
	if (act->police.notexceed.act_id == FLOW_ACTION_ACCEPT &&
	    !flow_action_is_last_entry(action, act)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "police with conform ok must be the last action");
		return -EOPNOTSUPP;
	}
	if (act->police.peakrate_bytes_ps || act->police.avrate ||
	    act->police.overhead || act->police.rate_pkt_ps ||
	    !act->police.rate_bytes_ps) {
		NL_SET_ERR_MSG_MOD(extack,
				   "police offload is rate and burst only (no peakrate, avrate, overhead, pkts)");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A device policer for tc police index @act->hw_index; -1 if none free. */
static int qv_policer_get(struct qv_pf *pf, const struct flow_action_entry *act,
			  struct netlink_ext_ack *extack)
{
	void __iomem *hw = pf->hw;
	int j, free = -1;

	for (j = 0; j < QV_ESW_NUM_POLICERS; j++) {
		struct qv_tc_policer *p = &pf->policers[j];

		if (p->users && p->index == act->hw_index)
			break;
		if (!p->users && free < 0)
			free = j;
	}
	if (j == QV_ESW_NUM_POLICERS) {
		if (free < 0) {
			NL_SET_ERR_MSG_MOD(extack, "all device policers in use");
			return -1;
		}
		j = free;
		qv_wr32(hw, QV_POLICER(j) + QV_PL_DROPS_LO, 0);
	}
	/* A shared police action: its parameters are the last ones given. */
	pf->policers[j].index = act->hw_index;
	pf->policers[j].users++;
	pf->policers[j].rate = act->police.rate_bytes_ps;
	pf->policers[j].burst = act->police.burst;
	qv_wr32(hw, QV_POLICER(j) + QV_PL_BURST, act->police.burst);
	qv_wr64(hw, QV_POLICER(j) + QV_PL_RATE_LO,
		act->police.rate_bytes_ps * 8);
	return j;
}

static void qv_policer_put(struct qv_pf *pf, int j)
{
	if (j < 0 || !pf->policers[j].users)
		return;
	if (--pf->policers[j].users)
		return;
	qv_wr64(pf->hw, QV_POLICER(j) + QV_PL_RATE_LO, 0);
	qv_wr32(pf->hw, QV_POLICER(j) + QV_PL_BURST, 0);
}

/* ------------------------------------------------------------ match */
#define QV_TC_KEYS	(BIT_ULL(FLOW_DISSECTOR_KEY_CONTROL) |		\
			 BIT_ULL(FLOW_DISSECTOR_KEY_BASIC) |		\
			 BIT_ULL(FLOW_DISSECTOR_KEY_ETH_ADDRS) |	\
			 BIT_ULL(FLOW_DISSECTOR_KEY_VLAN) |		\
			 BIT_ULL(FLOW_DISSECTOR_KEY_PORTS))

static void qv_rl_mac(u32 *r, u32 reg, const u8 *mac)
{
	qv_mac_to_regs(mac, &r[reg / 4], &r[reg / 4 + 1]);
}

static int qv_tc_match_l2(struct flow_rule *rule, u32 *r, u32 *fields,
			  struct netlink_ext_ack *extack)
{
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_ETH_ADDRS)) {
		struct flow_match_eth_addrs m;

		flow_rule_match_eth_addrs(rule, &m);
		if (!is_zero_ether_addr(m.mask->dst)) {
			*fields |= QV_RLM_DST_MAC;
			qv_rl_mac(r, QV_RL_DMAC_LO, m.key->dst);
			qv_rl_mac(r, QV_RL_DMAC_MASK_LO, m.mask->dst);
		}
		if (!is_zero_ether_addr(m.mask->src)) {
			*fields |= QV_RLM_SRC_MAC;
			qv_rl_mac(r, QV_RL_SMAC_LO, m.key->src);
			qv_rl_mac(r, QV_RL_SMAC_MASK_LO, m.mask->src);
		}
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_VLAN)) {
		struct flow_match_vlan m;

		flow_rule_match_vlan(rule, &m);
		if (m.mask->vlan_priority || m.mask->vlan_dei ||
		    (m.mask->vlan_tpid &&
		     m.key->vlan_tpid != htons(ETH_P_8021Q))) {
			NL_SET_ERR_MSG_MOD(extack,
					   "VLAN: only an 802.1Q vlan_id is matched");
			return -EOPNOTSUPP;
		}
		if (m.mask->vlan_id == VLAN_VID_MASK) {
			*fields |= QV_RLM_VLAN;
			r[QV_RL_KEY / 4] |= (u32)m.key->vlan_id << QV_RL_VID_SHIFT;
		} else if (m.mask->vlan_id) {
			NL_SET_ERR_MSG_MOD(extack, "vlan_id under a mask");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int qv_tc_match_l3(struct flow_rule *rule, u32 *r, u32 *fields,
			  struct netlink_ext_ack *extack)
{
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_CONTROL)) {
		struct flow_match_control m;

		flow_rule_match_control(rule, &m);
		if (m.mask->flags & ~FLOW_DIS_IS_FRAGMENT) {
			NL_SET_ERR_MSG_MOD(extack,
					   "ip_flags: only frag/nofrag are matched");
			return -EOPNOTSUPP;
		}
		if (m.mask->flags & FLOW_DIS_IS_FRAGMENT) {
			*fields |= QV_RLM_FRAG;
			if (m.key->flags & FLOW_DIS_IS_FRAGMENT)
				r[QV_RL_KEY / 4] |= QV_RL_FRAG_YES;
		}
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_BASIC)) {
		struct flow_match_basic m;

		flow_rule_match_basic(rule, &m);
		if (m.mask->n_proto == htons(0xffff) &&
		    !eth_type_vlan(m.key->n_proto)) {
			*fields |= QV_RLM_ETYPE;
			r[QV_RL_PROTO / 4] |= ntohs(m.key->n_proto);
		} else if (m.mask->n_proto && !eth_type_vlan(m.key->n_proto)) {
			NL_SET_ERR_MSG_MOD(extack, "ethertype under a mask");
			return -EOPNOTSUPP;
		}
		if (m.mask->ip_proto == 0xff) {
			*fields |= QV_RLM_IP_PROTO;
			r[QV_RL_PROTO / 4] |= (u32)m.key->ip_proto <<
					      QV_RL_IP_PROTO_SHIFT;
		} else if (m.mask->ip_proto) {
			NL_SET_ERR_MSG_MOD(extack, "ip_proto under a mask");
			return -EOPNOTSUPP;
		}
	}
	if (flow_rule_match_key(rule, FLOW_DISSECTOR_KEY_PORTS)) {
		struct flow_match_ports m;
		u32 l4 = 0, mask = 0;

		flow_rule_match_ports(rule, &m);
		if (m.mask->src) {
			*fields |= QV_RLM_L4_SRC;
			l4 |= ntohs(m.key->src);
			mask |= ntohs(m.mask->src);
		}
		if (m.mask->dst) {
			*fields |= QV_RLM_L4_DST;
			l4 |= (u32)ntohs(m.key->dst) << 16;
			mask |= (u32)ntohs(m.mask->dst) << 16;
		}
		r[QV_RL_L4 / 4] = l4 & mask;
		r[QV_RL_L4_MASK / 4] = mask;
	}
	return 0;
}

static int qv_tc_match(struct qv_tc_ctx *ctx, struct flow_cls_offload *f,
		       u32 *r)
{
	struct flow_rule *rule = flow_cls_offload_flow_rule(f);
	struct netlink_ext_ack *extack = f->common.extack;
	u64 used = rule->match.dissector->used_keys;
	u32 fields = QV_RLM_IN_PORT;
	int err;

	if (used & ~QV_TC_KEYS) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the device matches MACs, vlan_id, ethertype, ip_proto, L4 ports and ip_flags frag only");
		return -EOPNOTSUPP;
	}
	r[QV_RL_KEY / 4] = ctx->port;
	err = qv_tc_match_l2(rule, r, &fields, extack);
	if (!err)
		err = qv_tc_match_l3(rule, r, &fields, extack);
	if (err)
		return err;
	if (eth_type_vlan(f->common.protocol) && !(fields & QV_RLM_VLAN)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "protocol 802.1Q needs a vlan_id: the device has no match for any tag");
		return -EOPNOTSUPP;
	}
	if ((fields & (QV_RLM_L4_SRC | QV_RLM_L4_DST)) &&
	    !(fields & QV_RLM_IP_PROTO)) {
		NL_SET_ERR_MSG_MOD(extack, "L4 ports need ip_proto tcp, udp or sctp");
		return -EOPNOTSUPP;
	}
	r[QV_RL_MATCH / 4] = fields;
	return 0;
}

/* ---------------------------------------------------------- actions */
/* The device port of a netdev: a representor of ours, or our PF (uplink). */
static int qv_tc_port_of(struct qv_pf *pf, const struct net_device *dev)
{
	if (dev && qv_is_repr(dev)) {
		const struct qv_repr *repr = netdev_priv(dev);

		if (repr->pf == pf)
			return repr->vf->id + 1;
	}
	if (dev && pf->adapter && dev == pf->adapter->netdev)
		return QV_PORT_UPLINK;
	return -1;
}

static int qv_tc_actions(struct qv_tc_ctx *ctx, struct flow_rule *rule,
			 u32 *r, int *policer, struct netlink_ext_ack *extack)
{
	const struct flow_action_entry *act;
	u32 action = 0, arg = 0;
	int i, port, err;

	if (!flow_action_has_entries(&rule->action) ||
	    !flow_action_basic_hw_stats_check(&rule->action, extack))
		return -EOPNOTSUPP;
	flow_action_for_each(i, act, &rule->action) {
		if (action & (QV_RLA_REDIRECT | QV_RLA_DROP)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "nothing may follow the redirect or drop");
			return -EOPNOTSUPP;
		}
		switch (act->id) {
		case FLOW_ACTION_POLICE:
			if (action) {
				NL_SET_ERR_MSG_MOD(extack, "police must come first");
				return -EOPNOTSUPP;
			}
			err = qv_police_check(&rule->action, act, extack);
			if (err)
				return err;
			*policer = qv_policer_get(ctx->pf, act, extack);
			if (*policer < 0)
				return -ENOSPC;
			action |= QV_RLA_POLICE |
				  (u32)*policer << QV_RLA_POLICER_SHIFT;
			break;
		case FLOW_ACTION_VLAN_POP:
			if (action & (QV_RLA_VLAN_PUSH | QV_RLA_VLAN_POP)) {
				NL_SET_ERR_MSG_MOD(extack, "one vlan pop, before a push");
				return -EOPNOTSUPP;
			}
			action |= QV_RLA_VLAN_POP;
			break;
		case FLOW_ACTION_VLAN_PUSH:
			if ((action & QV_RLA_VLAN_PUSH) ||
			    act->vlan.proto != htons(ETH_P_8021Q)) {
				NL_SET_ERR_MSG_MOD(extack,
						   "one vlan push, of an 802.1Q tag");
				return -EOPNOTSUPP;
			}
			action |= QV_RLA_VLAN_PUSH;
			arg |= (u32)(act->vlan.vid | act->vlan.prio << 13) <<
			       QV_RL_TCI_SHIFT;
			break;
		case FLOW_ACTION_REDIRECT:
			port = qv_tc_port_of(ctx->pf, act->dev);
			if (port < 0) {
				NL_SET_ERR_MSG_MOD(extack,
						   "redirect only to a representor or the PF of this switch");
				return -EOPNOTSUPP;
			}
			action |= QV_RLA_REDIRECT;
			arg |= port;
			break;
		case FLOW_ACTION_DROP:
			action |= QV_RLA_DROP;
			break;
		default:
			NL_SET_ERR_MSG_MOD(extack,
					   "actions: police, vlan pop/push, mirred egress redirect, drop");
			return -EOPNOTSUPP;
		}
	}
	if (!(action & (QV_RLA_REDIRECT | QV_RLA_DROP))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the last action must be a redirect or drop");
		return -EOPNOTSUPP;
	}
	r[QV_RL_ACTION / 4] = action;
	r[QV_RL_ACT_ARG / 4] = arg;
	return 0;
}

/* ------------------------------------------------------------ flower */
static struct qv_tc_flow *qv_flow_find(struct qv_pf *pf, unsigned long cookie)
{
	struct qv_tc_flow *flow;

	list_for_each_entry(flow, &pf->flows, list)
		if (flow->cookie == cookie)
			return flow;
	return NULL;
}

static void qv_rule_write(struct qv_pf *pf, int i, const u32 *r, u16 prio)
{
	int k;

	qv_wr32(pf->hw, QV_RULE(i) + QV_RL_CTRL, 0);
	for (k = 1; k < QV_RL_NREGS; k++)
		qv_wr32(pf->hw, QV_RULE(i) + k * 4, r[k]);
	qv_wr32(pf->hw, QV_RULE(i) + QV_RL_CTRL,
		QV_RL_VALID | (u32)prio << QV_RL_PRIO_SHIFT);
}

static int qv_flower_add(struct qv_tc_ctx *ctx, struct flow_cls_offload *f)
{
	struct netlink_ext_ack *extack = f->common.extack;
	struct qv_pf *pf = ctx->pf;
	u32 r[QV_RL_NREGS] = { };
	struct qv_tc_flow *flow;
	int policer = -1, idx, err;

	if (!qv_tc_switchdev(pf, extack))
		return -EOPNOTSUPP;
	if (qv_flow_find(pf, f->cookie)) {
		NL_SET_ERR_MSG_MOD(extack, "rule already offloaded");
		return -EEXIST;
	}
	idx = find_first_zero_bit(pf->rules_used, QV_ESW_NUM_RULES);
	if (idx >= QV_ESW_NUM_RULES) {
		NL_SET_ERR_MSG_MOD(extack, "the device's rule table is full");
		return -ENOSPC;
	}
	err = qv_tc_match(ctx, f, r);
	if (!err)
		err = qv_tc_actions(ctx, flow_cls_offload_flow_rule(f), r,
				    &policer, extack);
	if (err)
		goto err_policer;
	flow = kzalloc(sizeof(*flow), GFP_KERNEL);
	if (!flow) {
		err = -ENOMEM;
		goto err_policer;
	}
	qv_rule_write(pf, idx, r, f->common.prio);
	if (!(qv_rd32(pf->hw, QV_RULE(idx) + QV_RL_CTRL) & QV_RL_VALID)) {
		NL_SET_ERR_MSG_MOD(extack, "the device refused the rule");
		kfree(flow);
		err = -EIO;
		goto err_policer;
	}
	flow->cookie = f->cookie;
	flow->rule = idx;
	flow->port = ctx->port;
	flow->prio = f->common.prio;
	memcpy(flow->regs, r, sizeof(flow->regs));
	flow->policer = policer;
	if (policer >= 0)
		flow->drops = qv_rd64(pf->hw, QV_POLICER(policer) +
				      QV_PL_DROPS_LO);
	set_bit(idx, pf->rules_used);
	list_add_tail(&flow->list, &pf->flows);
	return 0;

err_policer:
	qv_policer_put(pf, policer);
	return err;
}

static void qv_flow_free(struct qv_pf *pf, struct qv_tc_flow *flow)
{
	qv_wr32(pf->hw, QV_RULE(flow->rule) + QV_RL_CTRL, 0);
	clear_bit(flow->rule, pf->rules_used);
	qv_policer_put(pf, flow->policer);
	list_del(&flow->list);
	kfree(flow);
}

static int qv_flower_del(struct qv_tc_ctx *ctx, struct flow_cls_offload *f)
{
	struct qv_tc_flow *flow = qv_flow_find(ctx->pf, f->cookie);

	if (!flow)
		return -ENOENT;
	qv_flow_free(ctx->pf, flow);
	return 0;
}

/* A device time (QV_DEV_CLOCK, ns) as jiffies; 0 stays "never". */
static u64 qv_tc_lastused(struct qv_pf *pf, u64 last_ns)
{
	u64 now_ns;

	if (!last_ns)
		return 0;
	now_ns = qv_rd64(pf->hw, QV_DEV_CLOCK_LO);
	if (now_ns < last_ns)
		return jiffies;
	return jiffies - nsecs_to_jiffies(now_ns - last_ns);
}

static int qv_flower_stats(struct qv_tc_ctx *ctx, struct flow_cls_offload *f)
{
	struct qv_pf *pf = ctx->pf;
	struct qv_tc_flow *flow = qv_flow_find(pf, f->cookie);
	u64 pkts, bytes, drops = 0, last, d = 0;
	u32 base;

	if (!flow)
		return -ENOENT;
	base = QV_RULE_STATS(flow->rule);
	pkts = qv_rd64(pf->hw, base + QV_RLS_PACKETS);
	bytes = qv_rd64(pf->hw, base + QV_RLS_BYTES);
	last = qv_rd64(pf->hw, base + QV_RLS_LASTUSE);
	if (flow->policer >= 0) {
		/* Shared policers: the flow that reads first gets the drops. */
		drops = qv_rd64(pf->hw, QV_POLICER(flow->policer) +
				QV_PL_DROPS_LO);
		d = drops - flow->drops;
		flow->drops = drops;
	}
	flow_stats_update(&f->stats, bytes - flow->bytes, pkts - flow->pkts, d,
			  qv_tc_lastused(pf, last),
			  FLOW_ACTION_HW_STATS_DELAYED);
	flow->pkts = pkts;
	flow->bytes = bytes;
	return 0;
}

static int qv_tc_flower(struct qv_tc_ctx *ctx, struct flow_cls_offload *f)
{
	if (!tc_cls_can_offload_and_chain0(ctx->netdev, &f->common))
		return -EOPNOTSUPP;
	switch (f->command) {
	case FLOW_CLS_REPLACE:
		return qv_flower_add(ctx, f);
	case FLOW_CLS_DESTROY:
		return qv_flower_del(ctx, f);
	case FLOW_CLS_STATS:
		return qv_flower_stats(ctx, f);
	default:
		return -EOPNOTSUPP;
	}
}

/* ------------------------------------------- matchall on rep egress */
static int qv_ma_police_add(struct qv_tc_ctx *ctx,
			    struct tc_cls_matchall_offload *ma)
{
	struct netlink_ext_ack *extack = ma->common.extack;
	const struct flow_action_entry *act;
	struct qv_pf *pf = ctx->pf;
	struct qv_repr *repr = netdev_priv(ctx->netdev);
	void __iomem *mg = qv_mgmt(pf, ctx->port);
	u64 bits;
	int err;

	if (!qv_tc_switchdev(pf, extack))
		return -EOPNOTSUPP;
	if (!flow_offload_has_one_action(&ma->rule->action) ||
	    ma->rule->action.entries[0].id != FLOW_ACTION_POLICE) {
		NL_SET_ERR_MSG_MOD(extack,
				   "matchall on a representor's egress: one police action");
		return -EOPNOTSUPP;
	}
	if (repr->police_cookie && repr->police_cookie != ma->cookie) {
		NL_SET_ERR_MSG_MOD(extack, "one ingress policer per VF");
		return -EBUSY;
	}
	act = &ma->rule->action.entries[0];
	err = qv_police_check(&ma->rule->action, act, extack);
	if (err)
		return err;
	bits = act->police.rate_bytes_ps * 8;
	mutex_lock(&pf->cfg_lock);
	qv_mg_wr32(pf, ctx->port, QV_MG_RX_BURST, act->police.burst);
	qv_mg_wr64(pf, ctx->port, QV_MG_RX_RATE_LO, bits);
	if (qv_rd64(mg, QV_MG_RX_RATE_LO) != bits ||
	    qv_rd32(mg, QV_MG_RX_BURST) != act->police.burst) {
		qv_mg_wr64(pf, ctx->port, QV_MG_RX_RATE_LO, 0);
		qv_mg_wr32(pf, ctx->port, QV_MG_RX_BURST, 0);
		mutex_unlock(&pf->cfg_lock);
		NL_SET_ERR_MSG_MOD(extack,
				   "the host (QMP) caps this VF's ingress rate or burst");
		return -EPERM;
	}
	mutex_unlock(&pf->cfg_lock);
	repr->police_cookie = ma->cookie;
	repr->police_drops = qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_RATE));
	repr->police_pkts = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_PACKETS));
	repr->police_bytes = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_BYTES));
	return 0;
}

static int qv_ma_police_del(struct qv_tc_ctx *ctx,
			    struct tc_cls_matchall_offload *ma)
{
	struct qv_repr *repr = netdev_priv(ctx->netdev);
	struct qv_pf *pf = ctx->pf;

	if (repr->police_cookie != ma->cookie)
		return -ENOENT;
	mutex_lock(&pf->cfg_lock);
	qv_mg_wr64(pf, ctx->port, QV_MG_RX_RATE_LO, 0);
	qv_mg_wr32(pf, ctx->port, QV_MG_RX_BURST, 0);
	mutex_unlock(&pf->cfg_lock);
	repr->police_cookie = 0;
	return 0;
}

/*
 * What the policer let through to the VF, and its drops (the device's
 * QV_STAT_DROP_RATE of the VF): the police action's "dropped" in tc -s.
 */
static int qv_ma_police_stats(struct qv_tc_ctx *ctx,
			      struct tc_cls_matchall_offload *ma)
{
	struct qv_repr *repr = netdev_priv(ctx->netdev);
	void __iomem *mg = qv_mgmt(ctx->pf, ctx->port);
	u64 drops, pkts, bytes, dd, dp;

	if (repr->police_cookie != ma->cookie)
		return -ENOENT;
	drops = qv_rd64(mg, QV_MG_STAT(QV_STAT_DROP_RATE));
	pkts = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_PACKETS));
	bytes = qv_rd64(mg, QV_MG_STAT(QV_STAT_RX_BYTES));
	/* A VF reset clears its counters: start again from there. */
	if (drops < repr->police_drops || pkts < repr->police_pkts ||
	    bytes < repr->police_bytes) {
		repr->police_drops = 0;
		repr->police_pkts = 0;
		repr->police_bytes = 0;
	}
	dd = drops - repr->police_drops;
	dp = pkts - repr->police_pkts;
	flow_stats_update(&ma->stats, bytes - repr->police_bytes, dp + dd, dd,
			  dp + dd ? jiffies : 0, FLOW_ACTION_HW_STATS_DELAYED);
	repr->police_drops = drops;
	repr->police_pkts = pkts;
	repr->police_bytes = bytes;
	return 0;
}

static int qv_tc_matchall_egress(struct qv_tc_ctx *ctx,
				 struct tc_cls_matchall_offload *ma)
{
	if (!tc_cls_can_offload_and_chain0(ctx->netdev, &ma->common))
		return -EOPNOTSUPP;
	switch (ma->command) {
	case TC_CLSMATCHALL_REPLACE:
		return qv_ma_police_add(ctx, ma);
	case TC_CLSMATCHALL_DESTROY:
		return qv_ma_police_del(ctx, ma);
	case TC_CLSMATCHALL_STATS:
		return qv_ma_police_stats(ctx, ma);
	default:
		return -EOPNOTSUPP;
	}
}

/* ------------------------------------------------------------ blocks */
static int qv_tc_ingress_cb(enum tc_setup_type type, void *type_data,
			    void *cb_priv)
{
	struct flow_cls_common_offload *common = type_data;

	switch (type) {
	case TC_SETUP_CLSFLOWER:
		return qv_tc_flower(cb_priv, type_data);
	case TC_SETUP_CLSMATCHALL:
		NL_SET_ERR_MSG_MOD(common->extack,
				   "a VF's transmit rate is devlink rate tx_max; matchall police is offloaded on a representor's egress");
		return -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;
	}
}

static int qv_tc_egress_cb(enum tc_setup_type type, void *type_data,
			   void *cb_priv)
{
	struct flow_cls_common_offload *common = type_data;

	switch (type) {
	case TC_SETUP_CLSMATCHALL:
		return qv_tc_matchall_egress(cb_priv, type_data);
	case TC_SETUP_CLSFLOWER:
		NL_SET_ERR_MSG_MOD(common->extack,
				   "flower is offloaded on ingress only");
		return -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;
	}
}

static void qv_tc_ctx_release(void *cb_priv)
{
	kfree(cb_priv);
}

/*
 * Bind a block: ingress on the PF (the uplink) and on representors,
 * egress on representors. The callback's private data says which port.
 */
int qv_tc_setup_block(struct net_device *netdev, struct qv_pf *pf, u16 port,
		      struct flow_block_offload *f)
{
	bool egress = f->binder_type == FLOW_BLOCK_BINDER_TYPE_CLSACT_EGRESS;
	flow_setup_cb_t *cb = egress ? qv_tc_egress_cb : qv_tc_ingress_cb;
	struct flow_block_cb *block_cb;
	struct qv_tc_ctx *ctx;

	if (f->binder_type != FLOW_BLOCK_BINDER_TYPE_CLSACT_INGRESS &&
	    (!egress || port == QV_PORT_UPLINK))
		return -EOPNOTSUPP;
	f->driver_block_list = &qv_block_cb_list;
	switch (f->command) {
	case FLOW_BLOCK_BIND:
		if (flow_block_cb_is_busy(cb, netdev, &qv_block_cb_list))
			return -EBUSY;
		ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
		if (!ctx)
			return -ENOMEM;
		ctx->pf = pf;
		ctx->netdev = netdev;
		ctx->port = port;
		block_cb = flow_block_cb_alloc(cb, netdev, ctx, qv_tc_ctx_release);
		if (IS_ERR(block_cb)) {
			kfree(ctx);
			return PTR_ERR(block_cb);
		}
		flow_block_cb_add(block_cb, f);
		list_add_tail(&block_cb->driver_list, &qv_block_cb_list);
		return 0;
	case FLOW_BLOCK_UNBIND:
		block_cb = flow_block_cb_lookup(f->block, cb, netdev);
		if (!block_cb)
			return -ENOENT;
		flow_block_cb_remove(block_cb, f);
		list_del(&block_cb->driver_list);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * Legacy mode in the device and an empty rule table (leaving switchdev,
 * probe, remove). rtnl held, or nothing else running (probe).
 */
void qv_tc_flush(struct qv_pf *pf)
{
	struct qv_tc_flow *flow, *tmp;
	int i;

	if (!(qv_rd32(pf->hw, QV_DEV_CAPS) & QV_CAPS_SWITCHDEV))
		return;
	qv_wr32(pf->hw, QV_DEV_ESW_MODE, QV_ESW_LEGACY);
	list_for_each_entry_safe(flow, tmp, &pf->flows, list)
		qv_flow_free(pf, flow);
	for (i = 0; i < QV_ESW_NUM_RULES; i++)
		qv_wr32(pf->hw, QV_RULE(i) + QV_RL_CTRL, 0);
	for (i = 0; i < QV_ESW_NUM_POLICERS; i++) {
		qv_wr64(pf->hw, QV_POLICER(i) + QV_PL_RATE_LO, 0);
		pf->policers[i].users = 0;
	}
	bitmap_zero(pf->rules_used, QV_ESW_NUM_RULES);
}

/*
 * After a reset of the whole device (AER slot reset, resume from a power
 * loss) the eswitch is back in legacy mode with no rules: program it as
 * the driver has it. rtnl held.
 */
void qv_tc_replay(struct qv_pf *pf)
{
	struct qv_tc_flow *flow;
	int j;

	if (pf->esw_mode != DEVLINK_ESWITCH_MODE_SWITCHDEV ||
	    qv_rd32(pf->hw, QV_DEV_ESW_MODE) == QV_ESW_SWITCHDEV)
		return;
	dev_warn(&pf->pdev->dev, "the device was reset: eswitch and rules again\n");
	for (j = 0; j < QV_ESW_NUM_POLICERS; j++) {
		if (!pf->policers[j].users)
			continue;
		qv_wr32(pf->hw, QV_POLICER(j) + QV_PL_BURST,
			pf->policers[j].burst);
		qv_wr64(pf->hw, QV_POLICER(j) + QV_PL_RATE_LO,
			pf->policers[j].rate * 8);
	}
	list_for_each_entry(flow, &pf->flows, list) {
		qv_rule_write(pf, flow->rule, flow->regs, flow->prio);
		flow->pkts = 0;
		flow->bytes = 0;
		flow->drops = 0;
	}
	qv_wr32(pf->hw, QV_DEV_ESW_MODE, QV_ESW_SWITCHDEV);
}

/*
 * VF port @port goes away with its representor, and tc keeps the rules on
 * other ports (the uplink's) that redirect to it: their mirred now has no
 * device and drops what they match. So does the device, rather than hand
 * that traffic to the next VF to get the port. rtnl held.
 */
void qv_tc_port_gone(struct qv_pf *pf, u16 port)
{
	struct qv_tc_flow *flow;

	list_for_each_entry(flow, &pf->flows, list) {
		u32 *act = &flow->regs[QV_RL_ACTION / 4];
		u32 *arg = &flow->regs[QV_RL_ACT_ARG / 4];

		if (!(*act & QV_RLA_REDIRECT) || (*arg & 0xffff) != port)
			continue;
		*act = (*act & ~QV_RLA_REDIRECT) | QV_RLA_DROP;
		*arg &= ~0xffffu;
		/*
		 * Committing the rule starts its counters again: what they
		 * held and tc has not seen yet is carried over (the next
		 * report is the new count less this, modulo 2^64).
		 */
		flow->pkts -= qv_rd64(pf->hw, QV_RULE_STATS(flow->rule) +
				      QV_RLS_PACKETS);
		flow->bytes -= qv_rd64(pf->hw, QV_RULE_STATS(flow->rule) +
				       QV_RLS_BYTES);
		qv_rule_write(pf, flow->rule, flow->regs, flow->prio);
	}
}

/* Rules on the uplink (the PF netdev) outlive representors: count them. */
bool qv_tc_uplink_rules(struct qv_pf *pf)
{
	struct qv_tc_flow *flow;

	list_for_each_entry(flow, &pf->flows, list)
		if (flow->port == QV_PORT_UPLINK)
			return true;
	return false;
}
