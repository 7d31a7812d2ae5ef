/*
 * qosvnic: the embedded switch (eswitch): its mode, the rule table, the
 * lookup, the policers and the rule counters.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * In legacy mode the device is a VEB (qosvnic-rx.c, qosvnic-tx.c switch by
 * MAC). In switchdev mode the receive path asks this file what to do with
 * a frame from the uplink, and the transmit path with a frame a VF sends:
 * qosvnic_esw_key() describes the frame, qosvnic_esw_lookup() finds the
 * first valid rule (lowest priority, then lowest index) that matches it,
 * or sends it to the PF (the slow path to the representor), and
 * qosvnic_esw_pass() counts it and polices it, once per frame that leaves
 * (per segment for TSO). The callers carry the verdict out: they deliver
 * to a function through its receive admission or to the wire, so that a
 * rule can never get around a VF's admission control.
 *
 * The PF writes a rule field by field while it is not valid and commits it
 * with QV_RL_VALID; the commit checks the whole rule, decodes its match
 * (esw_match[]) and puts it into the lookup order (esw_order[]). Work is
 * bounded: a lookup walks at most QV_ESW_NUM_RULES rules, a commit sorts
 * them once.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "qemu/cutils.h"
#include "migration/vmstate.h"
#include "qosvnic.h"
#include "trace.h"

#define QV_IP_PROTO_SCTP        132
#define QV_IPV6_FRAG_HDR        44

/* Reserved bits of each rule register: a rule that sets one is refused. */
static const uint32_t qv_rl_reserved[QV_RL_REGS] = {
    [QV_RL_CTRL / 4] = ~(QV_RL_VALID | QV_RL_PRIO_MASK),
    [QV_RL_MATCH / 4] = ~QV_RLM_ALL,
    [QV_RL_KEY / 4] = 0x70000000u,
    [QV_RL_PROTO / 4] = 0xff000000u,
    [QV_RL_DMAC_HI / 4] = 0xffff0000u,
    [QV_RL_DMAC_MASK_HI / 4] = 0xffff0000u,
    [QV_RL_SMAC_HI / 4] = 0xffff0000u,
    [QV_RL_SMAC_MASK_HI / 4] = 0xffff0000u,
    [QV_RL_ACTION / 4] = ~(QV_RLA_ALL | (0xffu << QV_RLA_POLICER_SHIFT)),
};

bool qosvnic_esw_port_valid(QosvnicState *s, uint32_t port)
{
    return port == QV_PORT_UPLINK || port < s->num_funcs;
}

static uint32_t qv_rl(const QvEswRule *r, hwaddr reg)
{
    return r->regs[reg / 4];
}

static void qv_rl_mac(const QvEswRule *r, hwaddr lo, uint8_t *mac)
{
    stl_le_p(mac, qv_rl(r, lo));
    stw_le_p(mac + 4, qv_rl(r, lo + 4));
}

/* ------------------------------------------------------------ rules */

/* What is wrong with rule @r, or NULL: it can be committed. */
static const char *qv_rule_problem(QosvnicState *s, const QvEswRule *r)
{
    uint32_t fields = qv_rl(r, QV_RL_MATCH);
    uint32_t act = qv_rl(r, QV_RL_ACTION);
    uint32_t proto = qv_rl(r, QV_RL_PROTO) >> QV_RL_IP_PROTO_SHIFT;

    for (unsigned i = 0; i < QV_RL_REGS; i++) {
        if (r->regs[i] & qv_rl_reserved[i]) {
            return "reserved bits set";
        }
    }
    if ((fields & QV_RLM_VLAN) && (fields & QV_RLM_UNTAGGED)) {
        return "matches tagged and untagged frames at once";
    }
    if ((fields & QV_RLM_IN_PORT) &&
        !qosvnic_esw_port_valid(s, qv_rl(r, QV_RL_KEY) & 0xffff)) {
        return "ingress port does not exist";
    }
    if ((fields & (QV_RLM_L4_SRC | QV_RLM_L4_DST)) &&
        (!(fields & QV_RLM_IP_PROTO) ||
         (proto != IP_PROTO_TCP && proto != IP_PROTO_UDP &&
          proto != QV_IP_PROTO_SCTP))) {
        return "L4 ports need a TCP, UDP or SCTP protocol match";
    }
    if (!!(act & QV_RLA_REDIRECT) == !!(act & QV_RLA_DROP)) {
        return "needs exactly one of redirect and drop";
    }
    if ((act & QV_RLA_REDIRECT) &&
        !qosvnic_esw_port_valid(s, qv_rl(r, QV_RL_ACT_ARG) & 0xffff)) {
        return "redirect port does not exist";
    }
    if ((act & QV_RLA_POLICE) &&
        (act >> QV_RLA_POLICER_SHIFT) >= QV_ESW_NUM_POLICERS) {
        return "policer does not exist";
    }
    return NULL;
}

static void qv_rule_decode(const QvEswRule *r, QvEswMatch *m)
{
    uint32_t key = qv_rl(r, QV_RL_KEY), proto = qv_rl(r, QV_RL_PROTO);
    uint32_t l4 = qv_rl(r, QV_RL_L4), l4m = qv_rl(r, QV_RL_L4_MASK);

    m->fields = qv_rl(r, QV_RL_MATCH);
    m->in_port = key & 0xffff;
    m->vid = (key >> QV_RL_VID_SHIFT) & QV_VLAN_VID_MASK;
    m->frag = key & QV_RL_FRAG_YES;
    m->etype = proto & 0xffff;
    m->proto = proto >> QV_RL_IP_PROTO_SHIFT;
    qv_rl_mac(r, QV_RL_DMAC_LO, m->dmac);
    qv_rl_mac(r, QV_RL_DMAC_MASK_LO, m->dmask);
    qv_rl_mac(r, QV_RL_SMAC_LO, m->smac);
    qv_rl_mac(r, QV_RL_SMAC_MASK_LO, m->smask);
    for (unsigned i = 0; i < ETH_ALEN; i++) {
        m->dmac[i] &= m->dmask[i];
        m->smac[i] &= m->smask[i];
    }
    m->sport_mask = l4m & 0xffff;
    m->dport_mask = l4m >> 16;
    m->sport = l4 & m->sport_mask;
    m->dport = (l4 >> 16) & m->dport_mask;
}

static int qv_u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* The valid rules, decoded, in lookup order: priority, then index. */
static void qv_rules_rebuild(QosvnicState *s)
{
    uint32_t keys[QV_ESW_NUM_RULES];
    uint32_t n = 0;

    QEMU_BUILD_BUG_ON(QV_ESW_NUM_RULES > 0x10000);
    for (unsigned i = 0; i < QV_ESW_NUM_RULES; i++) {
        uint32_t ctrl = qv_rl(&s->esw_rules[i], QV_RL_CTRL);

        if (ctrl & QV_RL_VALID) {
            qv_rule_decode(&s->esw_rules[i], &s->esw_match[i]);
            keys[n++] = (ctrl & QV_RL_PRIO_MASK) | i;
        }
    }
    qsort(keys, n, sizeof(keys[0]), qv_u32_cmp);
    for (uint32_t k = 0; k < n; k++) {
        s->esw_order[k] = keys[k] & 0xffff;
    }
    s->esw_nvalid = n;
}

static void qv_rule_write_ctrl(QosvnicState *s, unsigned i, uint32_t val)
{
    QvEswRule *r = &s->esw_rules[i];
    uint32_t old = r->regs[QV_RL_CTRL / 4];
    const char *why;

    if ((old & QV_RL_VALID) && (val & QV_RL_VALID)) {
        if (val != old) {
            qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: eswitch rule %u: "
                          "CTRL 0x%x written while valid: ignored\n", i, val);
        }
        return;
    }
    r->regs[QV_RL_CTRL / 4] = val & QV_RL_PRIO_MASK;
    if (val & QV_RL_VALID) {
        why = (val & qv_rl_reserved[QV_RL_CTRL / 4]) ? "reserved bits set"
                                                     : qv_rule_problem(s, r);
        if (why) {
            qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: eswitch rule %u "
                          "refused: %s\n", i, why);
            trace_qosvnic_esw_rule(i, false, why);
            return;
        }
        r->regs[QV_RL_CTRL / 4] |= QV_RL_VALID;
        r->packets = r->bytes = 0;
        r->last_use_ns = 0;
        trace_qosvnic_esw_rule(i, true, "committed");
    } else if (old & QV_RL_VALID) {
        trace_qosvnic_esw_rule(i, false, "removed");
    }
    qv_rules_rebuild(s);
}

static void qv_rule_write(QosvnicState *s, unsigned i, hwaddr reg,
                          uint32_t val)
{
    QvEswRule *r = &s->esw_rules[i];

    if (reg == QV_RL_CTRL) {
        qv_rule_write_ctrl(s, i, val);
    } else if (qv_rl(r, QV_RL_CTRL) & QV_RL_VALID) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: eswitch rule %u: field "
                      "0x%" HWADDR_PRIx " written while the rule is valid: "
                      "ignored\n", i, reg);
    } else {
        r->regs[reg / 4] = val;
    }
}

/* ------------------------------------------------------------ lookup */

void qosvnic_esw_key(const uint8_t *d, size_t len, int tci, uint16_t in_port,
                     QvEswKey *k)
{
    size_t l3;

    memset(k, 0, sizeof(*k));
    k->in_port = in_port;
    if (len < ETH_HLEN) {
        return;
    }
    memcpy(k->dst, d, ETH_ALEN);
    memcpy(k->src, d + ETH_ALEN, ETH_ALEN);
    k->etype = lduw_be_p(d + 12);
    l3 = ETH_HLEN;
    if (tci >= 0) {
        k->tagged = true;
        k->vid = tci & QV_VLAN_VID_MASK;
    } else if (k->etype == ETH_P_VLAN && len >= ETH_HLEN + 4) {
        k->tagged = true;
        k->vid = lduw_be_p(d + 14) & QV_VLAN_VID_MASK;
        k->etype = lduw_be_p(d + 16);
        l3 += 4;
    }
    if (k->etype == ETH_P_IP && len >= l3 + 20 && (d[l3] >> 4) == 4) {
        size_t ihl = (d[l3] & 0xf) * 4;
        uint16_t frag = lduw_be_p(d + l3 + 6);

        k->ip = true;
        k->proto = d[l3 + 9];
        k->frag = frag & 0x3fff;
        l3 += ihl;
        k->l4 = ihl >= 20 && !(frag & 0x1fff) && len >= l3 + 4;
    } else if (k->etype == ETH_P_IPV6 && len >= l3 + 40 &&
               (d[l3] >> 4) == 6) {
        k->ip = true;
        k->proto = d[l3 + 6];
        k->frag = k->proto == QV_IPV6_FRAG_HDR;
        l3 += 40;
        k->l4 = len >= l3 + 4;
    }
    if (k->l4 && (k->proto == IP_PROTO_TCP || k->proto == IP_PROTO_UDP ||
                  k->proto == QV_IP_PROTO_SCTP)) {
        k->sport = lduw_be_p(d + l3);
        k->dport = lduw_be_p(d + l3 + 2);
    } else {
        k->l4 = false;
    }
}

static bool qv_mac_match(const uint8_t *mac, const uint8_t *want,
                         const uint8_t *mask)
{
    for (unsigned i = 0; i < ETH_ALEN; i++) {
        if ((mac[i] & mask[i]) != want[i]) {
            return false;
        }
    }
    return true;
}

static bool qv_rule_match(const QvEswMatch *m, const QvEswKey *k)
{
    uint32_t f = m->fields;

    return (!(f & QV_RLM_IN_PORT) || k->in_port == m->in_port) &&
           (!(f & QV_RLM_DST_MAC) || qv_mac_match(k->dst, m->dmac, m->dmask)) &&
           (!(f & QV_RLM_SRC_MAC) || qv_mac_match(k->src, m->smac, m->smask)) &&
           (!(f & QV_RLM_VLAN) || (k->tagged && k->vid == m->vid)) &&
           (!(f & QV_RLM_UNTAGGED) || !k->tagged) &&
           (!(f & QV_RLM_ETYPE) || k->etype == m->etype) &&
           (!(f & QV_RLM_IP_PROTO) || (k->ip && k->proto == m->proto)) &&
           (!(f & QV_RLM_FRAG) || (k->ip && k->frag == m->frag)) &&
           (!(f & QV_RLM_L4_SRC) ||
            (k->l4 && (k->sport & m->sport_mask) == m->sport)) &&
           (!(f & QV_RLM_L4_DST) ||
            (k->l4 && (k->dport & m->dport_mask) == m->dport));
}

void qosvnic_esw_lookup(QosvnicState *s, const QvEswKey *k, QvEswVerdict *v)
{
    memset(v, 0, sizeof(*v));
    v->rule = -1;
    v->policer = -1;
    v->port = 0;                /* no rule: the slow path to the PF */
    for (uint32_t n = 0; n < s->esw_nvalid; n++) {
        unsigned i = s->esw_order[n];
        const QvEswRule *r = &s->esw_rules[i];
        uint32_t act, arg;

        if (!qv_rule_match(&s->esw_match[i], k)) {
            continue;
        }
        act = qv_rl(r, QV_RL_ACTION);
        arg = qv_rl(r, QV_RL_ACT_ARG);
        v->rule = i;
        v->drop = act & QV_RLA_DROP;
        v->port = arg & 0xffff;
        v->pop = act & QV_RLA_VLAN_POP;
        v->push = act & QV_RLA_VLAN_PUSH;
        v->tci = arg >> QV_RL_TCI_SHIFT;
        if (act & QV_RLA_POLICE) {
            v->policer = act >> QV_RLA_POLICER_SHIFT;
        }
        break;
    }
    trace_qosvnic_esw_lookup(k->in_port, v->rule, v->drop, v->port);
}

bool qosvnic_esw_pass(QosvnicState *s, const QvEswVerdict *v, size_t len,
                      int64_t now)
{
    QvEswRule *r;
    QvPolicer *p;

    if (v->rule < 0) {
        s->esw_miss++;
        return true;
    }
    r = &s->esw_rules[v->rule];
    r->packets++;
    r->bytes += len;
    r->last_use_ns = MAX(now, 1);
    if (v->policer < 0) {
        return true;
    }
    p = &s->esw_pol[v->policer];
    qv_tb_config_bits(&p->tb, p->rate_bits,
                      p->burst ? p->burst : qv_tb_default_burst(p->rate_bits),
                      now);
    if (!qv_tb_conform(&p->tb, len, now)) {
        p->drops++;
        trace_qosvnic_esw_police(v->policer, len);
        return false;
    }
    qv_tb_consume(&p->tb, len);
    return true;
}

static bool qv_tagged(const struct iovec *iov, int iovcnt, size_t len)
{
    uint8_t tpid[2];

    return len >= ETH_HLEN + 4 &&
           iov_to_buf(iov, iovcnt, 12, tpid, 2) == 2 &&
           lduw_be_p(tpid) == ETH_P_VLAN;
}

int qosvnic_esw_edit_iov(const QvEswVerdict *v, const struct iovec *iov,
                         int iovcnt, struct iovec *out, int max,
                         uint8_t tag[4])
{
    size_t len = iov_size(iov, iovcnt), skip, n;
    bool pop = v->pop && qv_tagged(iov, iovcnt, len);
    int cnt;

    if (!pop && !v->push) {
        return -1;
    }
    if (len < ETH_HLEN) {
        return 0;
    }
    cnt = iov_copy(out, max - 1, iov, iovcnt, 0, 2 * ETH_ALEN);
    n = 2 * ETH_ALEN;
    if (v->push) {
        stw_be_p(tag, ETH_P_VLAN);
        stw_be_p(tag + 2, v->tci);
        out[cnt++] = (struct iovec) { .iov_base = tag, .iov_len = 4 };
        n += 4;
    }
    skip = 2 * ETH_ALEN + (pop ? 4 : 0);
    cnt += iov_copy(out + cnt, max - cnt, iov, iovcnt, skip, len - skip);
    n += len - skip;
    return iov_size(out, cnt) == n ? cnt : 0;
}

size_t qosvnic_esw_edit_buf(const QvEswVerdict *v, uint8_t *d, size_t len,
                            size_t cap)
{
    struct iovec iov = { .iov_base = d, .iov_len = len };

    if (len < ETH_HLEN) {
        return len;
    }
    if (v->pop && qv_tagged(&iov, 1, len)) {
        memmove(d + 12, d + 16, len - 16);
        len -= 4;
    }
    if (v->push) {
        if (len + 4 > cap) {
            return 0;
        }
        memmove(d + 16, d + 12, len - 12);
        stw_be_p(d + 12, ETH_P_VLAN);
        stw_be_p(d + 14, v->tci);
        len += 4;
    }
    return len;
}

/* --------------------------------------------------------- registers */

uint64_t qosvnic_esw_dev_read(QosvnicState *s, hwaddr addr)
{
    int64_t now;

    switch (addr) {
    case QV_DEV_ESW_MODE:
        return s->esw_mode;
    case QV_DEV_ESW_RULES:
        return QV_ESW_NUM_RULES;
    case QV_DEV_ESW_POLICERS:
        return QV_ESW_NUM_POLICERS;
    case QV_DEV_CLOCK_LO:
        now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        s->esw_latch = (uint64_t)now >> 32;
        return (uint32_t)now;
    case QV_DEV_ESW_MISS_LO:
        s->esw_latch = s->esw_miss >> 32;
        return (uint32_t)s->esw_miss;
    case QV_DEV_CLOCK_HI:
    case QV_DEV_ESW_MISS_HI:
        return s->esw_latch;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: read of unknown device "
                  "register 0x%" HWADDR_PRIx "\n", addr);
    return 0;
}

void qosvnic_esw_dev_write(QosvnicState *s, hwaddr addr, uint32_t val)
{
    if (addr != QV_DEV_ESW_MODE) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: write 0x%x to read-only or "
                      "unknown device register 0x%" HWADDR_PRIx "\n",
                      val, addr);
        return;
    }
    if (val != QV_ESW_LEGACY && val != QV_ESW_SWITCHDEV) {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: eswitch mode %u invalid: "
                      "ignored\n", val);
        return;
    }
    trace_qosvnic_esw_mode(s->esw_mode, val);
    s->esw_mode = val;
}

/* A 64-bit counter read as two words, low first (the latch). */
static uint32_t qv_read64(QosvnicState *s, uint64_t v, hwaddr off)
{
    if (off & 4) {
        return s->esw_latch;
    }
    s->esw_latch = v >> 32;
    return (uint32_t)v;
}

static uint64_t qv_rule_stat_read(QosvnicState *s, hwaddr addr)
{
    QvEswRule *r = &s->esw_rules[(addr - QV_RULE_STATS_BASE) /
                                 QV_RLS_STRIDE];
    hwaddr off = (addr - QV_RULE_STATS_BASE) % QV_RLS_STRIDE;

    switch (off & ~4) {
    case QV_RLS_PACKETS:
        return qv_read64(s, r->packets, off);
    case QV_RLS_BYTES:
        return qv_read64(s, r->bytes, off);
    case QV_RLS_LASTUSE:
        return qv_read64(s, r->last_use_ns, off);
    }
    return 0;
}

static uint64_t qv_policer_read(QosvnicState *s, hwaddr addr)
{
    QvPolicer *p = &s->esw_pol[(addr - QV_POLICER_BASE) / QV_POLICER_STRIDE];
    hwaddr off = (addr - QV_POLICER_BASE) % QV_POLICER_STRIDE;

    switch (off) {
    case QV_PL_RATE_LO:
        return (uint32_t)p->rate_bits;
    case QV_PL_RATE_HI:
        return p->rate_bits >> 32;
    case QV_PL_BURST:
        return p->burst;
    case QV_PL_DROPS_LO:
    case QV_PL_DROPS_HI:
        return qv_read64(s, p->drops, off - QV_PL_DROPS_LO);
    }
    return 0;
}

static void qv_policer_write(QosvnicState *s, hwaddr addr, uint32_t val)
{
    unsigned j = (addr - QV_POLICER_BASE) / QV_POLICER_STRIDE;
    QvPolicer *p = &s->esw_pol[j];

    switch ((addr - QV_POLICER_BASE) % QV_POLICER_STRIDE) {
    case QV_PL_RATE_HI:
        p->rate_hi_stage = val;
        break;
    case QV_PL_RATE_LO:
        p->rate_bits = deposit64(val, 32, 32, p->rate_hi_stage);
        p->rate_hi_stage = 0;
        trace_qosvnic_esw_policer(j, p->rate_bits, p->burst);
        break;
    case QV_PL_BURST:
        p->burst = val;
        trace_qosvnic_esw_policer(j, p->rate_bits, p->burst);
        break;
    case QV_PL_DROPS_LO:
        p->drops = 0;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: write 0x%x to read-only or "
                      "unknown policer register 0x%" HWADDR_PRIx "\n", val,
                      addr);
        break;
    }
}

uint64_t qosvnic_esw_read(QosvnicState *s, hwaddr addr)
{
    if (addr >= QV_RULE_BASE &&
        addr < QV_RULE(QV_ESW_NUM_RULES)) {
        unsigned i = (addr - QV_RULE_BASE) / QV_RULE_STRIDE;

        return s->esw_rules[i].regs[(addr - QV_RULE_BASE) %
                                    QV_RULE_STRIDE / 4];
    }
    if (addr >= QV_RULE_STATS_BASE &&
        addr < QV_RULE_STATS(QV_ESW_NUM_RULES)) {
        return qv_rule_stat_read(s, addr);
    }
    if (addr >= QV_POLICER_BASE && addr < QV_POLICER(QV_ESW_NUM_POLICERS)) {
        return qv_policer_read(s, addr);
    }
    qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: read of unknown eswitch "
                  "register 0x%" HWADDR_PRIx "\n", addr);
    return 0;
}

void qosvnic_esw_write(QosvnicState *s, hwaddr addr, uint32_t val)
{
    if (addr >= QV_RULE_BASE && addr < QV_RULE(QV_ESW_NUM_RULES)) {
        qv_rule_write(s, (addr - QV_RULE_BASE) / QV_RULE_STRIDE,
                      (addr - QV_RULE_BASE) % QV_RULE_STRIDE, val);
    } else if (addr >= QV_POLICER_BASE &&
               addr < QV_POLICER(QV_ESW_NUM_POLICERS)) {
        qv_policer_write(s, addr, val);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "qosvnic: write 0x%x to read-only or "
                      "unknown eswitch register 0x%" HWADDR_PRIx "\n", val,
                      addr);
    }
}

/* ------------------------------------------------------- life cycle */

void qosvnic_esw_reset(QosvnicState *s)
{
    s->esw_mode = QV_ESW_LEGACY;
    memset(s->esw_rules, 0, sizeof(s->esw_rules));
    memset(s->esw_pol, 0, sizeof(s->esw_pol));
    s->esw_nvalid = 0;
    s->esw_miss = 0;
    s->esw_latch = 0;
}

/* ------------------------------------------------------------ migration */

/* Frames held with a source port; frames on the free list do not count. */
static bool qv_frames_have_ports(QosvnicState *s)
{
    for (uint32_t fn = 0; fn < QV_MAX_FUNCS; fn++) {
        QvPartition *p = &s->funcs[fn].part;

        for (unsigned q = 0; q < QV_NUM_QUEUES; q++) {
            uint32_t i = p->head[q];

            for (uint32_t n = 0; n < p->qframes[q] && i < s->ncells;
                 n++, i = s->frames[i].next) {
                if (s->frames[i].status & QV_RXD_STA_SRC_PORT) {
                    return true;
                }
            }
        }
    }
    return false;
}

/*
 * Sent whenever anything differs from qosvnic_esw_reset(): rules and
 * policers the PF has only begun to write (a rule's fields before VALID, a
 * policer's burst or the staged high word of its rate) are state too.
 */
static bool qosvnic_esw_needed(void *opaque)
{
    QosvnicState *s = opaque;

    return s->esw_mode != QV_ESW_LEGACY || s->esw_miss || s->esw_latch ||
           !buffer_is_zero(s->esw_rules, sizeof(s->esw_rules)) ||
           !buffer_is_zero(s->esw_pol, sizeof(s->esw_pol)) ||
           qv_frames_have_ports(s);
}

/*
 * The stream is not trusted: the mode, every valid rule (checked as a
 * commit would), the policers' buckets and the frames' source ports.
 * Called by the PF's post_load after qosvnic_buf_post_load(): the frames'
 * status comes with the buffer, their source ports with the eswitch, and
 * a stream may send those subsections in any order.
 */
int qosvnic_esw_post_load(QosvnicState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    if (s->esw_mode != QV_ESW_LEGACY && s->esw_mode != QV_ESW_SWITCHDEV) {
        return qv_load_reject("eswitch mode out of range");
    }
    for (unsigned i = 0; i < QV_ESW_NUM_RULES; i++) {
        QvEswRule *r = &s->esw_rules[i];

        if ((qv_rl(r, QV_RL_CTRL) & QV_RL_VALID) && qv_rule_problem(s, r)) {
            return qv_load_reject("invalid eswitch rule");
        }
        r->last_use_ns = MIN(r->last_use_ns, now);
    }
    for (unsigned j = 0; j < QV_ESW_NUM_POLICERS; j++) {
        if (!qv_tb_post_load(&s->esw_pol[j].tb, now)) {
            return qv_load_reject("eswitch policer bucket out of range");
        }
    }
    for (uint32_t i = 0; i < s->ncells; i++) {
        if ((s->frames[i].status & QV_RXD_STA_SRC_PORT) &&
            !qosvnic_esw_port_valid(s, s->frames[i].src_port)) {
            return qv_load_reject("frame source port out of range");
        }
    }
    qv_rules_rebuild(s);
    return 0;
}

static const VMStateDescription vmstate_qv_esw_rule = {
    .name = "qosvnic/esw-rule",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, QvEswRule, QV_RL_REGS),
        VMSTATE_UINT64(packets, QvEswRule),
        VMSTATE_UINT64(bytes, QvEswRule),
        VMSTATE_INT64(last_use_ns, QvEswRule),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_qv_policer = {
    .name = "qosvnic/esw-policer",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(rate_bits, QvPolicer),
        VMSTATE_UINT32(burst, QvPolicer),
        VMSTATE_UINT32(rate_hi_stage, QvPolicer),
        VMSTATE_UINT64(drops, QvPolicer),
        VMSTATE_STRUCT(tb, QvPolicer, 1, vmstate_qv_token_bucket,
                       QvTokenBucket),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_qv_frame_port = {
    .name = "qosvnic/esw-frame-port",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(src_port, QvFrame),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_qosvnic_esw = {
    .name = "qosvnic/eswitch",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = qosvnic_esw_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(esw_mode, QosvnicState),
        VMSTATE_STRUCT_ARRAY(esw_rules, QosvnicState, QV_ESW_NUM_RULES, 1,
                             vmstate_qv_esw_rule, QvEswRule),
        VMSTATE_STRUCT_ARRAY(esw_pol, QosvnicState, QV_ESW_NUM_POLICERS, 1,
                             vmstate_qv_policer, QvPolicer),
        VMSTATE_UINT64(esw_miss, QosvnicState),
        VMSTATE_UINT32(esw_latch, QosvnicState),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(frames, QosvnicState, ncells,
                                             vmstate_qv_frame_port, QvFrame),
        VMSTATE_END_OF_LIST()
    },
};
