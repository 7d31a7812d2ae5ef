/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qosvnic: driver for the qosvnic SR-IOV NIC (PF 1af4:10f0, VF 1af4:10f1).
 *
 * One qv_adapter exists per PCI function that carries traffic: every VF
 * and the PF's own queue pair (function 0). The PF additionally owns a
 * qv_pf (devlink private data) that manages the VFs through the per-function
 * management window of PF BAR0.
 */
#ifndef QOSVNIC_H
#define QOSVNIC_H

#include <linux/bitops.h>
#include <linux/bpf.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ethtool.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-hi-lo.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/devlink.h>
#include <net/flow_offload.h>
#include <net/xdp.h>

#include "qosvnic_hw.h"
#include "compat.h"

#define QV_DRV_NAME		"qosvnic"

enum qv_board {
	QV_BOARD_PF,
	QV_BOARD_VF,
};

/* Descriptor layouts; offsets are checked against the contract at build. */
struct qv_tx_desc {
	__le64 addr;
	__le16 len;
	u8 cmd;
	u8 status;
	__le16 mss;
	__le16 vlan;
};

struct qv_rx_desc {
	__le64 addr;
	/* written back by the device */
	__le16 len;
	__le16 status;
	__le16 vlan;
	__le16 gso_size;
};

#define QV_RING_DEFAULT		512
#define QV_RING_MIN		128
#define QV_RING_MAX		(QV_RING_MAX_BYTES / QV_TXD_SIZE)
#define QV_TXD_MAX_DATA		0x8000	/* split larger buffers */
#define QV_TXD_USE_COUNT(s)	DIV_ROUND_UP((s), QV_TXD_MAX_DATA)
/* worst case: every buffer split once, plus slack */
#define QV_TX_DESC_NEEDED	(2 * (MAX_SKB_FRAGS + 1) + 2)
#define QV_TX_WAKE_THRESH	(2 * QV_TX_DESC_NEEDED)
/*
 * The queue is woken at QV_TX_WAKE_THRESH free descriptors; a ring of
 * QV_RING_MIN must be able to get there with frames in flight, or a
 * stopped queue never wakes. Checked at build time (qv_check_layout()),
 * since MAX_SKB_FRAGS is a kernel configuration option since 6.7.
 */
/*
 * Headroom in front of each received frame: an skb's, or XDP's while a
 * program is attached (the rings are rebuilt when that changes). Not
 * XDP's always: the larger headroom makes a 64 KiB large-receive frame
 * span one buffer more than MAX_SKB_FRAGS allows.
 */
#define QV_RX_HEADROOM		(NET_SKB_PAD + NET_IP_ALIGN)
#define QV_RX_HEADROOM_XDP	XDP_PACKET_HEADROOM
/*
 * Buffer handed to the device: a page_pool page of 2^order pages less
 * headroom and skb_shared_info.
 */
#define QV_RX_BUF_LEN_ORDER(order, headroom)				\
	ALIGN_DOWN((PAGE_SIZE << (order)) - (headroom) -		\
		   SKB_DATA_ALIGN(sizeof(struct skb_shared_info)), 64)
#define QV_RX_BUF_LEN_FOR(headroom)	QV_RX_BUF_LEN_ORDER(0, headroom)
#define QV_RX_BUF_LEN		QV_RX_BUF_LEN_FOR(QV_RX_HEADROOM)
/*
 * With large receive on and no XDP, buffers are 16 KiB pages unless
 * ethtool -G rx-buf-len asks for less: a 64 KiB large-receive frame spans
 * 5 buffers instead of 18, the stack can coalesce such frames in the
 * socket's queue (18 frags cannot), and the receiving task copies and
 * frees far fewer pieces. Under TCG this took tcp_rx from 710 to 1092
 * Mbit/s (bench-nic, medians of 3).
 */
#define QV_RX_ORDER_LARGE	2
#define QV_RX_REFILL_BATCH	16
/*
 * Frames up to this size are copied into a small skb and their page goes
 * straight back to the pool: a 64-byte datagram then accounts a few
 * hundred bytes of truesize against the socket, not a whole page. With
 * large buffers, a frame that fits an Ethernet MTU is copied as well, or
 * every such datagram would account 16 KiB.
 */
#define QV_RX_COPYBREAK		256
#define QV_RX_COPYBREAK_LARGE	(ETH_FRAME_LEN + VLAN_HLEN)
#define QV_ITR_RX_DEFAULT	20
#define QV_ITR_TX_DEFAULT	50
#define QV_MBX_TIMEOUT_MS	500
#define QV_SERVICE_PERIOD	(2 * HZ)

struct qv_tx_buf {
	struct sk_buff *skb;
	DEFINE_DMA_UNMAP_ADDR(dma);
	DEFINE_DMA_UNMAP_LEN(len);
	u32 bytecount;
	u16 gso_segs;
	u16 eop;		/* valid on the first buffer of a frame */
	bool page;		/* mapped with skb_frag_dma_map */
	bool pool;		/* xdpf lives in this pair's RX page pool */
	/* instead of skb: a frame of XDP_TX or ndo_xdp_xmit (not in BQL) */
	struct xdp_frame *xdpf;
};

struct qv_tx_ring {
	struct qv_tx_desc *desc;
	struct qv_tx_buf *buf;
	dma_addr_t dma;
	u32 count;
	u32 next_to_use;
	u32 next_to_clean;
	/* written under tx_lock only: qv_xmit_ring(), qv_xdp_xmit() */
	struct u64_stats_sync syncp;
	u64 restart_queue;	/* started again in qv_maybe_stop_tx() */
	u64 busy;
	u64 dropped;		/* mapping failures, oversize frames */
	u64 csum;
	u64 tso;
	u64 xdp_xmit;		/* queued by ndo_xdp_xmit (tx_lock held) */
	u64 xdp_xmit_err;	/* refused: ring full, mapping failure */
	/* written by the NAPI poll only: one u64_stats_sync per writer */
	struct u64_stats_sync cp_syncp;
	u64 wake_queue;		/* woken by qv_clean_tx() */
	u64 err_frames;		/* QV_TXD_STA_ERR write-backs */
	u64 packets;		/* completed, for ethtool -S per queue */
	u64 bytes;
};

/* Attributes of the RX frame in progress, from its first descriptor. */
struct qv_rx_first {
	u16 status;
	u16 vlan;
	u16 gso_size;
	u16 src_port;		/* with QV_RXD_STA_SRC_PORT */
	u32 rss_hash;		/* with QV_RXD_STA_RSS_MASK */
	bool discard;
};

struct qv_rx_ring {
	struct qv_rx_desc *desc;
	struct page **pages;
	struct page_pool *pp;
	u32 headroom;		/* QV_RX_HEADROOM[_XDP], fixed at open */
	u32 buf_len;		/* QV_RX_BUF_LEN_ORDER(order, headroom) */
	u32 truesize;		/* PAGE_SIZE << order: a buffer's page */
	u32 copybreak_len;	/* QV_RX_COPYBREAK[_LARGE] */
	struct sk_buff *skb;	/* frame continued from the last poll */
	struct qv_rx_first first;
	dma_addr_t dma;
	u32 count;
	u32 next_to_use;
	u32 next_to_clean;
	struct u64_stats_sync syncp;
	u64 alloc_fail;
	u64 dropped;		/* frames freed by the driver */
	u64 frame_err;		/* too many fragments */
	u64 runt;		/* first buffer shorter than an Ethernet header */
	u64 gso_frames;		/* large frames (QV_RXD_STA_GSO_*) */
	u64 csum_ok;
	u64 csum_none;
	u64 vlan_strip;
	u64 copybreak;		/* small frames copied (copybreak_len) */
	u64 packets;		/* delivered or taken by XDP, per queue */
	u64 bytes;
	u64 xdp_drop;
	u64 xdp_tx;
	u64 xdp_redirect;
	u64 xdp_aborted;	/* XDP_ABORTED, bad verdicts, failed TX/redirect */
	struct xdp_rxq_info xdp_rxq;
};

struct qv_adapter;

/*
 * One RX/TX queue pair of the function and its NAPI context. Pair 0 has
 * two MSI-X vectors (QV_VEC_RX, QV_VEC_TX), every other pair one
 * (QV_VEC_QP); both raise this NAPI.
 */
struct qv_qpair {
	struct qv_adapter *ad;
	struct napi_struct napi;
	struct qv_tx_ring tx;
	struct qv_rx_ring rx;
	/*
	 * the TX ring's producers: the netdev queue, and on pair 0 of the PF
	 * the representors and the self-test
	 */
	spinlock_t tx_lock;
	u16 idx;
	u32 causes;		/* QV_INT_* of its vectors */
	char irq_name[2][IFNAMSIZ + 16];
};

enum qv_state_bits {
	QV_S_DOWN,
	QV_S_REMOVING,
	QV_S_RESET_CLAIM,	/* a reset request's record is being written */
	QV_S_RESET_REQ,		/* ... and is ready for the service task */
	QV_S_RXMODE_REQ,
	QV_S_LINK_CHECK,
	QV_S_PF_MSG,
	QV_S_PF_RESET,		/* VF: the PF asked us to reset (config changed) */
	QV_S_FLR,		/* between reset_prepare and reset_done */
	QV_S_MBX_TIMEOUT,	/* a mailbox transaction timed out: report it */
	QV_S_MBX_TEST,		/* devlink health test of the mailbox */
	QV_S_SELFTEST,		/* ethtool -t owns the rings */
};

/* Why a function reset was asked for: the devlink health reporter. */
enum qv_reset_reason {
	QV_RR_NONE,
	QV_RR_TX_TIMEOUT,
	QV_RR_RING_ERR,
};

/* Ring state when an error was seen; a health reporter's dump. */
struct qv_health_snap {
	u32 status;
	u32 misc_cause;
	u32 tx_head, tx_tail, tx_ntc, tx_ntu;
	u32 rx_head, rx_tail, rx_ntc, rx_ntu;
	u32 mbx_ctrl;
	u32 mbx_type;		/* mailbox: the message that timed out */
	u32 vf;			/* PF mailbox: the VF that did not answer */
	bool test;		/* devlink health test */
};

struct qv_pf;

struct qv_adapter {
	struct net_device *netdev;
	struct pci_dev *pdev;
	void __iomem *hw;	/* this function's register block */
	struct qv_pf *pf;	/* NULL on a VF */
	unsigned long state;
	u32 msg_enable;

	struct qv_qpair qp[QV_NUM_QUEUES];
	u16 num_qp;		/* queue pairs in use (while up) */
	u16 req_qp;		/* ethtool -L: for the next open */
	u16 max_qp;		/* what the device and the vectors allow */
	/* RSS, programmed at open: hash types, key, indirection table */
	u32 rss_ctrl;
	u8 rss_key[QV_RSS_KEY_BYTES];
	u8 rss_reta[QV_RSS_RETA_SIZE];
	u32 tx_count;		/* ring sizes for the next open */
	u32 rx_count;
	u32 rx_buf_req;		/* ethtool -G rx-buf-len; 0: by LRO */
	u16 itr_us[QV_NUM_VECTORS];
	u32 dev_features;	/* QV_FN_FEATURES */
	struct bpf_prog *xdp_prog;	/* read by NAPI under RCU */
	bool pf_answers;	/* VF: the PF answered QV_MSG_RESET */

	struct delayed_work service;
	/* serialises VF mailbox transactions */
	struct mutex mbx_lock;
	/*
	 * Protects hw_base and stats_frozen, and is held across a function
	 * reset, so that a reader never sees the device counters restart.
	 */
	spinlock_t stats_lock;
	u64 hw_base[QV_NUM_STATS];
	bool stats_frozen;	/* FLR in progress: hw_base is the value */
	u64 tx_timeouts;
	u64 resets;
	char irq_name[IFNAMSIZ + 8];	/* the misc vector */

	/* devlink: the PF's instance, or the VF's own (info, health) */
	struct devlink *devlink;
	struct devlink_health_reporter *rep_tx;
	struct devlink_health_reporter *rep_ring;
	struct devlink_health_reporter *rep_mbx;
	enum qv_reset_reason reset_reason;	/* being reported */
	struct qv_health_snap snap;	/* at the error, for the dump */
	/* A request's record, until the service task takes it (CLAIM). */
	enum qv_reset_reason req_reason;
	struct qv_health_snap req_snap;
	struct qv_health_snap mbx_snap;
	bool mbx_unhealthy;		/* reported, not answered since */

	/* VF: the QoS tuple asked for with tc mqprio (Mbit/s; max 0 = none) */
	u32 qos_min;
	u32 qos_def;
	u32 qos_max;

	atomic_t test_irqs;		/* ethtool -t: interrupts seen */
};

/* The VF's own devlink instance (info and health reporters). */
struct qv_vf_devlink {
	struct qv_adapter *ad;
};

/* A VF's representor (switchdev mode): its traffic goes through the PF. */
struct qv_repr {
	struct net_device *netdev;
	struct qv_pf *pf;
	struct qv_vf *vf;
	/* Its counters are the netdev's tstats (see qv_repr_add()). */
	/* matchall police on egress = the VF's ingress policer */
	unsigned long police_cookie;
	u64 police_drops;		/* QV_STAT_DROP_RATE reported so far */
	u64 police_pkts;
	u64 police_bytes;
};

/* Per-VF PF-side state; the device registers are the source of truth. */
struct qv_vf {
	struct qv_pf *pf;
	u16 id;
	bool admin_mac;		/* set with ip link set PF vf N mac */
	bool notify_pending;	/* QV_MSG_RESET to send when the mailbox is free */
	bool driver_seen;	/* it has asked for a reset since enable */
	bool notify_missed;	/* ... a change not sent while it seemed gone */
	bool msg_outstanding;	/* sent a message the VF has not acknowledged */
	u32 admin_min_tx;	/* ip link min_tx_rate (Mbit/s) */
	u32 admin_max_tx;	/* ip link max_tx_rate, ceiling for QOS_REQ */
	u32 req_min_tx;		/* granted through QOS_REQ; 0 = none */
	u32 req_max_tx;
	u32 mc_count;		/* last SET_MC count */
	u32 occ_cur;		/* devlink-sb occupancy snapshot */
	u32 occ_max;
	unsigned long msg_sent;	/* jiffies of the message in flight */
	bool mbx_timed_out;	/* reported; not again for this message */
	bool mbx_faulty;	/* reported, and not heard from since */
	bool rate_leaf;		/* devlink rate leaf created */
	struct devlink_port dl_port;
	struct qv_repr *repr;	/* switchdev mode */
};

/* The PF-owned settings of a function put back after a device reset. */
#define QV_MG_CFG_WORDS	(QV_MG_BUF_ALPHA / 4 + 1)

/* An offloaded tc rule (flower) and the device rule that carries it. */
struct qv_tc_flow {
	struct list_head list;
	unsigned long cookie;
	u16 rule;		/* index in the device's rule table */
	u16 port;		/* ingress port (the netdev it is on) */
	u16 prio;
	u32 regs[QV_RULE_STRIDE / 4];	/* as written, for a replay */
	s16 policer;		/* -1: none */
	u64 pkts, bytes;	/* device counters reported so far */
	u64 drops;		/* policer drops reported so far */
};

/* A device policer shared by flows with the same tc police index. */
struct qv_tc_policer {
	u32 index;		/* tc action index */
	u32 users;
	u64 rate;		/* bytes/s */
	u32 burst;
};

struct qv_pf {
	struct pci_dev *pdev;
	struct devlink *devlink;
	void __iomem *hw;	/* whole PF BAR0 */
	struct qv_adapter *adapter;
	struct devlink_port dl_port;	/* function 0 / uplink */
	u32 occ_cur;
	u32 occ_max;
	bool sb_registered;
	bool vfs_reset;		/* the device was reset with its VFs: tell them */
	/* protects vfs[], num_vfs and read-modify-write of QV_MG_* */
	struct mutex cfg_lock;
	struct qv_vf *vfs;
	int num_vfs;
	/* vfs[]' devlink ports registered; devl_lock (representors follow) */
	int num_vf_ports;
	struct work_struct mbx_work;
	/* ip link vf rates changed: refresh devlink rate's view (devl_lock) */
	struct work_struct rate_sync_work;

	/* eswitch (esw.c, tc.c); mode changes under devl_lock, rules rtnl */
	u16 esw_mode;		/* DEVLINK_ESWITCH_MODE_* */
	struct netdev_phys_item_id switch_id;
	struct list_head flows;	/* struct qv_tc_flow, under rtnl */
	DECLARE_BITMAP(rules_used, QV_ESW_NUM_RULES);
	struct qv_tc_policer policers[QV_ESW_NUM_POLICERS];
	u64 clock_ns;		/* QV_DEV_CLOCK and jiffies read together */
	unsigned long clock_jiffies;

	/* mgmt.c: every function's settings as written; cfg_lock */
	u32 mg_cfg[QV_MAX_FUNCS][QV_MG_CFG_WORDS];
	u16 mg_cfg_set[QV_MAX_FUNCS];	/* bit reg / 4: recorded */
};

/* ---------------------------------------------------- register access */
static inline u32 qv_rd32(void __iomem *base, u32 reg)
{
	return readl(base + reg);
}

static inline void qv_wr32(void __iomem *base, u32 reg, u32 val)
{
	writel(val, base + reg);
}

/* Low word first: the device latches the high word on the low read. */
static inline u64 qv_rd64(void __iomem *base, u32 reg)
{
	return lo_hi_readq(base + reg);
}

/* High word first: the device commits a 64-bit value on the low write. */
static inline void qv_wr64(void __iomem *base, u32 reg, u64 val)
{
	hi_lo_writeq(val, base + reg);
}

/*
 * Register @off (QV_Q_*) of queue pair @q: pair 0 at the original
 * registers (which QV_FN_QUEUE(0) aliases on devices with queue pairs).
 */
/*
 * Running and attached. A detached function (FLR, AER, suspend) is
 * stopped, and its resume reopens it with what was set meanwhile: the
 * paths that stop and reopen it to apply a setting must not reopen it.
 */
static inline bool qv_live(const struct net_device *netdev)
{
	return netif_running(netdev) && netif_device_present(netdev);
}

static inline u32 qv_q_reg(u16 q, u32 off)
{
	return (q ? QV_FN_QUEUE(q) : QV_FN_RX_BASE_LO) + off;
}

static inline void __iomem *qv_mgmt(struct qv_pf *pf, unsigned int fn)
{
	return pf->hw + QV_MGMT(fn);
}

static inline void qv_mac_to_regs(const u8 *mac, u32 *lo, u32 *hi)
{
	*lo = mac[0] | mac[1] << 8 | mac[2] << 16 | (u32)mac[3] << 24;
	*hi = mac[4] | mac[5] << 8;
}

static inline void qv_regs_to_mac(u32 lo, u32 hi, u8 *mac)
{
	mac[0] = lo;
	mac[1] = lo >> 8;
	mac[2] = lo >> 16;
	mac[3] = lo >> 24;
	mac[4] = hi;
	mac[5] = hi >> 8;
}

static inline void qv_irq_enable(struct qv_adapter *ad, u32 causes)
{
	qv_wr32(ad->hw, QV_FN_INT_MASK_CLR, causes);
}

static inline void qv_irq_disable(struct qv_adapter *ad, u32 causes)
{
	qv_wr32(ad->hw, QV_FN_INT_MASK_SET, causes);
}

/* main.c */
int qv_vf_get_config(struct qv_adapter *ad, u8 *mac, u32 *mtu);
int qv_vf_qos_request(struct qv_adapter *ad, u32 min, u32 def, u32 max,
		      u32 *grant);

/* netdev.c */
extern const struct net_device_ops qv_vf_netdev_ops;
extern const struct net_device_ops qv_pf_netdev_ops;
void qv_set_features_hw(struct qv_adapter *ad, netdev_features_t f);
void qv_netdev_setup(struct qv_adapter *ad);
void qv_service_task(struct work_struct *work);
void qv_service_kick(struct qv_adapter *ad);
int qv_open(struct net_device *netdev);
int qv_stop(struct net_device *netdev);
u64 qv_hw_stat(struct qv_adapter *ad, unsigned int idx);
void qv_function_reset(struct qv_adapter *ad);
void qv_function_restore(struct qv_adapter *ad);
void qv_reinit_locked(struct qv_adapter *ad);
void qv_stats_freeze(struct qv_adapter *ad);
void qv_stats_thaw(struct qv_adapter *ad);
void qv_update_link(struct qv_adapter *ad);
irqreturn_t qv_msix_misc(int irq, void *data);
void qv_health_snapshot(struct qv_adapter *ad, struct qv_health_snap *s);
void qv_write_mac(struct qv_adapter *ad, const u8 *mac);
void qv_request_reset(struct qv_adapter *ad, enum qv_reset_reason why);
bool qv_request_reset_test(struct qv_adapter *ad, enum qv_reset_reason why);
int qv_setup_tc(struct net_device *netdev, enum tc_setup_type type,
		void *type_data);

/* rings.c */
static inline u32 qv_next(u32 i, u32 count)
{
	return i + 1 == count ? 0 : i + 1;
}

/* Free TX descriptors; the producer holds tx_lock. */
static inline u32 qv_tx_unused(struct qv_tx_ring *tx)
{
	u32 ntc = READ_ONCE(tx->next_to_clean);
	u32 ntu = READ_ONCE(tx->next_to_use);

	return (ntc > ntu ? 0 : tx->count) + ntc - ntu - 1;
}

u32 qv_tx_fill(struct qv_tx_ring *tx, u32 i, dma_addr_t dma,
	       unsigned int size, bool *first, u8 cmd, u16 mss, u16 vlan);
int qv_rings_alloc(struct qv_adapter *ad);
u32 qv_rx_order(const struct qv_adapter *ad, bool xdp);
void qv_rings_free(struct qv_adapter *ad);
void qv_rings_hw_setup(struct qv_adapter *ad);
void qv_rings_hw_clear(struct qv_adapter *ad);
void qv_rings_clean(struct qv_adapter *ad);
int qv_poll(struct napi_struct *napi, int budget);
netdev_tx_t qv_xmit(struct sk_buff *skb, struct net_device *netdev);
void qv_tx_lock(struct qv_qpair *qp);
bool qv_tx_trylock(struct qv_qpair *qp);
void qv_tx_unlock(struct qv_qpair *qp);
/* A representor's frame on the PF's ring, to @port. */
int qv_xmit_port(struct qv_adapter *ad, struct sk_buff *skb, u16 port);
netdev_tx_t qv_xmit_test(struct qv_adapter *ad, struct sk_buff *skb);

/* xdp.c: verdicts of qv_xdp_run() (a poll ORs them for its flushes) */
#define QV_XDP_PASS		0
#define QV_XDP_CONSUMED		BIT(0)	/* dropped; the page is recycled */
#define QV_XDP_TX		BIT(1)	/* on this pair's TX ring */
#define QV_XDP_REDIR		BIT(2)	/* xdp_do_flush() at the poll's end */
/* The largest MTU whose frames fit one RX buffer, as XDP needs. */
#define QV_XDP_MAX_MTU							\
	(QV_RX_BUF_LEN_FOR(QV_RX_HEADROOM_XDP) - ETH_HLEN - VLAN_HLEN)
int qv_bpf(struct net_device *netdev, struct netdev_bpf *bpf);
int qv_xdp_xmit(struct net_device *netdev, int n, struct xdp_frame **frames,
		u32 flags);
unsigned int qv_xdp_run(struct qv_qpair *qp, struct bpf_prog *prog,
			struct page *page, u32 *off, u32 *len);
void qv_xdp_tx_flush(struct qv_qpair *qp);
netdev_features_t qv_features_check(struct sk_buff *skb,
				    struct net_device *dev,
				    netdev_features_t features);
irqreturn_t qv_msix_ring(int irq, void *data);

/* ethtool.c */
void qv_set_ethtool_ops(struct net_device *netdev);
/* netdev.c: RSS and queue pairs */
void qv_rss_write(struct qv_adapter *ad);
void qv_rss_default_reta(struct qv_adapter *ad);

/* selftest.c: ethtool -t */
#define QV_TEST_REG	0
#define QV_TEST_IRQ	1
#define QV_TEST_LOOP	2	/* the PF's tests from here: offline */
#define QV_TEST_SCATTER	3
#define QV_TEST_DOORBELL 4
#define QV_TEST_NUM	5
extern const char qv_test_names[QV_TEST_NUM][ETH_GSTRING_LEN];
void qv_self_test(struct net_device *netdev, struct ethtool_test *eth_test,
		  u64 *data);

/* mbx.c */
int qv_vf_mbx_xfer(struct qv_adapter *ad, u32 *msg, unsigned int len,
		   u32 *reply, unsigned int rlen);
void qv_vf_mbx_poll(struct qv_adapter *ad);
void qv_pf_mbx_work(struct work_struct *work);
void qv_pf_notify_vf(struct qv_pf *pf, struct qv_vf *vf);
void qv_pf_notify_all_vfs(struct qv_pf *pf);
int qv_pf_mac_holder(struct qv_pf *pf, int except_fn, const u8 *mac);
void qv_pf_mbx_check_timeouts(struct qv_pf *pf);
int qv_vf_mbx_ping(struct qv_adapter *ad);

/* pf_sriov.c */
int qv_sriov_configure(struct pci_dev *pdev, int num_vfs);
void qv_sriov_disable(struct qv_pf *pf);
int qv_set_vf_mac(struct net_device *dev, int vf, u8 *mac);
int qv_set_vf_vlan(struct net_device *dev, int vf, u16 vlan, u8 qos,
		   __be16 proto);
int qv_set_vf_rate(struct net_device *dev, int vf, int min, int max);
int qv_set_vf_spoofchk(struct net_device *dev, int vf, bool on);
int qv_set_vf_trust(struct net_device *dev, int vf, bool on);
int qv_set_vf_link_state(struct net_device *dev, int vf, int state);
int qv_get_vf_config(struct net_device *dev, int vf,
		     struct ifla_vf_info *ivi);
int qv_get_vf_stats(struct net_device *dev, int vf,
		    struct ifla_vf_stats *vf_stats);
u32 qv_host_capped(struct qv_pf *pf, unsigned int fn, u32 reg);
int qv_vf_program_rates(struct qv_pf *pf, struct qv_vf *vf, u32 min, u32 max,
			u32 *cap_min, u32 *cap_max);
int qv_vf_take_back_rates(struct qv_pf *pf, struct qv_vf *vf);
u32 qv_vf_min_sum(struct qv_pf *pf, struct qv_vf *except);
/* Which of the two egress rates a caller sets (devlink sets one). */
enum qv_rate_keep {
	QV_RATE_SET_BOTH,
	QV_RATE_KEEP_MIN,
	QV_RATE_KEEP_MAX,
};

int qv_vf_set_admin_rates(struct qv_pf *pf, int vf, u32 min, u32 max,
			  enum qv_rate_keep keep,
			  struct netlink_ext_ack *extack);
int qv_vf_set_admin_mac(struct qv_pf *pf, int vf, const u8 *mac);

/* devlink.c */
struct qv_pf *qv_devlink_alloc(struct pci_dev *pdev);
int qv_devlink_init(struct qv_pf *pf);
void qv_devlink_register(struct qv_pf *pf);
void qv_devlink_unregister(struct qv_pf *pf);
void qv_devlink_fini(struct qv_pf *pf);
void qv_devlink_free(struct qv_pf *pf);
void qv_devlink_netdev_attach(struct qv_pf *pf, struct net_device *netdev);
void qv_devlink_netdev_detach(struct qv_pf *pf);
int qv_devlink_vf_ports_add(struct qv_pf *pf);
void qv_devlink_vf_ports_del(struct qv_pf *pf);
void qv_devlink_rate_sync(struct work_struct *work);
struct devlink *qv_vf_devlink_alloc(struct qv_adapter *ad);
void qv_vf_devlink_free(struct devlink *devlink);

/* health.c: devlink health reporters tx_timeout, ring_error, mailbox */
void qv_health_create(struct qv_adapter *ad);
void qv_health_destroy(struct qv_adapter *ad);
/* Report @ad->reset_reason (and recover: the reset). No rtnl held. */
void qv_health_report_reset(struct qv_adapter *ad);
void qv_health_report_mbx(struct qv_adapter *ad, const char *msg);
void qv_health_mbx_ok(struct qv_adapter *ad);

/* esw.c: eswitch mode, representors */
int qv_esw_mode_get(struct devlink *devlink, u16 *mode);
int qv_esw_mode_set(struct devlink *devlink, u16 mode,
		    struct netlink_ext_ack *extack);
int qv_esw_reprs_add(struct qv_pf *pf);	/* devl_lock held */
void qv_esw_reprs_del(struct qv_pf *pf);	/* devl_lock held */
/*
 * Switchdev: every frame the PF receives names its source port; those from
 * the wire (or the PF itself) are the PF netdev's own, those from a VF its
 * representor's.
 */
static inline bool qv_rx_from_vf(u16 status, u16 port)
{
	return (status & QV_RXD_STA_SRC_PORT) && port != QV_PORT_UPLINK &&
	       port != 0;
}

/* The PF received a frame from VF port @port: its representor, or NULL. */
struct net_device *qv_esw_rx_netdev(struct qv_adapter *ad, u16 port,
				    unsigned int len);
bool qv_is_repr(const struct net_device *netdev);

/* tc.c: flower and matchall offload on representors and the uplink */
int qv_tc_setup_block(struct net_device *netdev, struct qv_pf *pf,
		      u16 port, struct flow_block_offload *f);
void qv_tc_flush(struct qv_pf *pf);
void qv_tc_port_gone(struct qv_pf *pf, u16 port);

/* mgmt.c */
void qv_mg_wr32(struct qv_pf *pf, unsigned int fn, u32 reg, u32 val);
void qv_mg_wr64(struct qv_pf *pf, unsigned int fn, u32 reg, u64 val);
void qv_mg_restore(struct qv_pf *pf);
void qv_tc_init(struct qv_pf *pf);
bool qv_tc_uplink_rules(struct qv_pf *pf);
void qv_tc_replay(struct qv_pf *pf);

#endif /* QOSVNIC_H */
