/*
 * qosvnic qtest helpers: a q35 machine with the qosvnic PF behind a PCIe
 * root port, programmed by hand through ECAM (there is no firmware under
 * qtest and libqos cannot reach extended config space), a socket netdev
 * for injecting and capturing frames, and ring helpers that act like a
 * minimal driver.
 *
 * Interrupts: every MSI-X vector of every function is pointed at its own
 * word of guest RAM, so a message is a DMA write the test can observe
 * (qv_irq_fired) without an interrupt controller.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef QOSVNIC_QTEST_LIB_H
#define QOSVNIC_QTEST_LIB_H

#include "libqtest.h"
#include "hw/net/qosvnic/qosvnic_hw.h"

#define QV_T_RP_DEVFN       0x08        /* root port at 00:01.0 */
#define QV_T_PF_BUS         1
#define QV_T_PF_DEVFN       0
#define QV_T_PF_BAR0        0xe0000000ULL
#define QV_T_PF_BAR2        0xe0040000ULL
#define QV_T_VF_BAR0        0xe1000000ULL  /* VF n at + n * 16 KiB */
#define QV_T_VF_BAR2        0xe1400000ULL
#define QV_T_IRQ_PAGE       0x00100000ULL  /* MSI-X message words */
#define QV_T_MEM_START      0x00200000ULL
#define QV_T_MEM_END        0x10000000ULL  /* -m 512M */

typedef struct QvDev {
    QTestState *qts;
    int sock;                   /* test end of the socket netdev */
    unsigned max_vfs;
    unsigned num_vfs;
    uint64_t mem_next;
} QvDev;

typedef struct QvRing {
    int fn;
    int q;                      /* queue pair (0: the QV_FN_RX/TX_* ones) */
    uint64_t base;
    uint32_t ndesc;
    uint32_t next;              /* next descriptor the test looks at */
    uint32_t tail;              /* driver tail as written */
    uint64_t bufs;              /* RX: ndesc buffers of buf_size */
    uint32_t buf_size;
    uint16_t src_port;          /* RX: of the last frame taken, if tagged */
    uint32_t rss_hash;          /* RX: of the last frame taken, if hashed */
} QvRing;

/*
 * Start QEMU with "-device qosvnic,<device_opts>" and optional extra
 * arguments; program the root port, the PF's BARs and bus mastering.
 */
QvDev *qv_start(const char *device_opts, const char *extra_args);
/* Same with the caller's "-netdev ...,id=hs0" (d->sock is then -1). */
QvDev *qv_start_netdev(const char *device_opts, const char *netdev,
                       const char *extra_args);
/*
 * Start a destination for incoming migration from @uri: config space,
 * registers and guest RAM come from the migration stream, so nothing is
 * programmed here; the caller carries over its QvRing and mem_next.
 */
QvDev *qv_start_incoming(const char *device_opts, const char *uri);
/* Start expecting QEMU to refuse the options; returns its stderr. */
char *qv_start_fails(const char *device_opts);
void qv_stop(QvDev *d);
/*
 * System reset (the device's reset), then the root port and the PF
 * programmed again as at start; VFs are disabled by it.
 */
void qv_system_reset(QvDev *d);
/*
 * Migrate @src (through a file) into a new QEMU started with the same
 * @device_opts and its own socket netdev; returns it running. @src is
 * left paused for the caller to stop. The VFs' config space and MSI-X
 * tables travel with the PF.
 */
QvDev *qv_migrate(QvDev *src, const char *device_opts);
/* The same, but the destination stays stopped (-S) until "cont". */
QvDev *qv_migrate_stopped(QvDev *src, const char *device_opts);

/* Config space through ECAM. */
/* The guest-physical address of a config register (MMCONFIG). */
uint64_t qv_ecam(uint8_t bus, uint8_t devfn, uint16_t off);
uint32_t qv_cfg_readl(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off);
uint16_t qv_cfg_readw(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off);
void qv_cfg_writel(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off,
                   uint32_t val);
void qv_cfg_writew(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off,
                   uint16_t val);
/* devfn of function fn (0 = PF). */
uint8_t qv_fn_devfn(int fn);

/*
 * Enable n VFs (NumVFs, VF Enable, VF MSE) with bus mastering and MSI-X
 * set up on each; qv_disable_vfs clears VF Enable.
 */
void qv_enable_vfs(QvDev *d, unsigned n);
void qv_disable_vfs(QvDev *d);

/* Per-function register block of fn (0 = PF), and its 64-bit stats. */
uint64_t qv_fn_bar0(QvDev *d, int fn);
/* Its MSI-X BAR (table at QV_MSIX_TABLE_OFFSET). */
uint64_t qv_fn_bar2(int fn);
uint32_t qv_rd(QvDev *d, int fn, uint32_t reg);
void qv_wr(QvDev *d, int fn, uint32_t reg, uint32_t val);
uint64_t qv_stat(QvDev *d, int fn, unsigned idx);
/* PF management window of fn, and the PF's view of fn's stats. */
uint32_t qv_mg_rd(QvDev *d, int fn, uint32_t reg);
void qv_mg_wr(QvDev *d, int fn, uint32_t reg, uint32_t val);
uint64_t qv_mg_stat(QvDev *d, int fn, unsigned idx);
void qv_set_rx_rate(QvDev *d, int fn, uint64_t bits_per_s, uint32_t burst);
void qv_fn_mac(QvDev *d, int fn, uint8_t mac[6]);

/* Guest memory bump allocator. */
uint64_t qv_alloc(QvDev *d, size_t size, size_t align);

/* MSI-X: program fn's table to RAM words and enable it. */
void qv_msix_setup(QvDev *d, int fn);
/* True if vector vec of fn sent a message since the last call. */
bool qv_irq_fired(QvDev *d, int fn, int vec);

/* Rings. RX: ndesc buffers of buf_size, all posted (tail = ndesc - 1). */
void qv_rx_setup(QvDev *d, int fn, QvRing *r, uint32_t ndesc,
                 uint32_t buf_size, bool post_all);
/* The same for RX queue @q (QV_FN_QUEUE); the buffer size is fn's. */
void qv_rxq_setup(QvDev *d, int fn, int q, QvRing *r, uint32_t ndesc,
                  uint32_t buf_size, bool post_all);
/* Post n more RX buffers (advance tail). */
void qv_rx_post(QvDev *d, QvRing *r, uint32_t n);
/*
 * If descriptor r->next is done, copy the frame (all its descriptors) to
 * buf and return its length, status and vlan/gso of the first descriptor;
 * else -1. r->src_port gets the source port the device wrote over the
 * first buffer address (QV_RXD_STA_SRC_PORT), r->rss_hash the RSS hash
 * (QV_RXD_STA_RSS_MASK); every buffer address is
 * written again, as a driver does before it reposts a descriptor.
 */
int qv_rx_take(QvDev *d, QvRing *r, uint8_t *buf, size_t size,
               uint16_t *status, uint16_t *vlan, uint16_t *gso);
void qv_tx_setup(QvDev *d, int fn, QvRing *r, uint32_t ndesc);
void qv_txq_setup(QvDev *d, int fn, int q, QvRing *r, uint32_t ndesc);
/* Queue one frame as a single descriptor and ring the doorbell. */
void qv_tx_send(QvDev *d, QvRing *r, const void *frame, size_t len,
                uint8_t cmd, uint16_t mss, uint16_t vlan);
/* The same for @len bytes already in guest memory at @buf. */
void qv_tx_post(QvDev *d, QvRing *r, uint64_t buf, size_t len,
                uint8_t cmd, uint16_t mss, uint16_t vlan);
/* Status byte of TX descriptor i. */
uint8_t qv_tx_status(QvDev *d, QvRing *r, uint32_t i);
/* Enable RX and TX on fn (QV_FN_CTRL) and unmask its interrupts. */
void qv_fn_start(QvDev *d, int fn);

/*
 * Socket netdev: inject a frame as if from the wire; receive what the
 * device sent to the wire (-1 if nothing within timeout_ms).
 */
void qv_inject(QvDev *d, const void *frame, size_t len);
ssize_t qv_wire_recv(QvDev *d, void *buf, size_t size, int timeout_ms);
/* Build an Ethernet frame of len bytes (>= 14) with a counter pattern. */
size_t qv_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
                uint16_t ethertype, size_t len);

/*
 * Let QEMU's main loop run (bottom halves, socket reads) without
 * advancing virtual time.
 */
void qv_sync(QvDev *d);
/*
 * Poll until the sum of stats idxs[] over functions fns reaches want, or
 * fail after 5 s wall clock; virtual time does not move.
 */
void qv_wait_stat_sum(QvDev *d, const int *fns, int nfn, const unsigned *idx,
                      int nidx, uint64_t want);
/* Advance virtual time. */
void qv_step(QvDev *d, int64_t ns);

/*
 * Trace events as a test observable: qv_trace_args() returns "-trace"
 * arguments that log the events matching @pattern to a new temporary
 * file (its path in *@path, for the caller to unlink), and
 * qv_trace_lines() the arguments of every line event @name logged so far.
 */
char *qv_trace_args(const char *pattern, char **path);
GPtrArray *qv_trace_lines(const char *path, const char *name);

/*
 * Internet checksum: qv_csum_add sums 16-bit big-endian words (an odd last
 * byte is padded), qv_csum_fold folds the carries; neither complements.
 */
uint32_t qv_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t qv_csum_fold(uint32_t sum);

extern const uint8_t qv_bcast[6];

#endif
