/*
 * qosvnic qtest helpers; see qosvnic-qtest-lib.h.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qemu/sockets.h"
#include "qemu/iov.h"
#include "qobject/qdict.h"
#include "standard-headers/linux/pci_regs.h"
#include "qosvnic-qtest-lib.h"

#define QV_T_ECAM           0xb0000000ULL
#define QV_T_MCH_PCIEXBAR   0x60

const uint8_t qv_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

uint64_t qv_ecam(uint8_t bus, uint8_t devfn, uint16_t off)
{
    return QV_T_ECAM | ((uint64_t)bus << 20) | ((uint64_t)devfn << 12) | off;
}

uint32_t qv_cfg_readl(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off)
{
    return qtest_readl(d->qts, qv_ecam(bus, devfn, off));
}

uint16_t qv_cfg_readw(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off)
{
    return qtest_readw(d->qts, qv_ecam(bus, devfn, off));
}

void qv_cfg_writel(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off,
                   uint32_t val)
{
    qtest_writel(d->qts, qv_ecam(bus, devfn, off), val);
}

void qv_cfg_writew(QvDev *d, uint8_t bus, uint8_t devfn, uint16_t off,
                   uint16_t val)
{
    qtest_writew(d->qts, qv_ecam(bus, devfn, off), val);
}

uint8_t qv_fn_devfn(int fn)
{
    return fn == 0 ? QV_T_PF_DEVFN :
           QV_T_PF_DEVFN + QV_SRIOV_VF_OFFSET + (fn - 1) * QV_SRIOV_VF_STRIDE;
}

static void qv_bridge_setup(QvDev *d)
{
    /* MCH: map ECAM at 0xb0000000 (firmware would do this). */
    qtest_outl(d->qts, 0xcf8, 0x80000000 | QV_T_MCH_PCIEXBAR);
    qtest_outl(d->qts, 0xcfc, QV_T_ECAM | 1);
    qtest_outl(d->qts, 0xcf8, 0x80000000 | (QV_T_MCH_PCIEXBAR + 4));
    qtest_outl(d->qts, 0xcfc, 0);

    /* Root port: bus 1 behind it, one window for all BARs. */
    qv_cfg_writel(d, 0, QV_T_RP_DEVFN, PCI_PRIMARY_BUS, 0x00010100);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_MEMORY_BASE, 0xe000);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_MEMORY_LIMIT, 0xe0f0);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_PREF_MEMORY_BASE, 0xe101);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_PREF_MEMORY_LIMIT, 0xe1f1);
    qv_cfg_writel(d, 0, QV_T_RP_DEVFN, PCI_PREF_BASE_UPPER32, 0);
    qv_cfg_writel(d, 0, QV_T_RP_DEVFN, PCI_PREF_LIMIT_UPPER32, 0);
    qv_cfg_writew(d, 0, QV_T_RP_DEVFN, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static void qv_pf_setup(QvDev *d)
{
    uint16_t sriov = QV_EXTCAP_SRIOV_OFFSET;

    qv_cfg_writel(d, QV_T_PF_BUS, QV_T_PF_DEVFN, PCI_BASE_ADDRESS_0,
                  QV_T_PF_BAR0);
    qv_cfg_writel(d, QV_T_PF_BUS, QV_T_PF_DEVFN, PCI_BASE_ADDRESS_2,
                  QV_T_PF_BAR2);
    qv_cfg_writel(d, QV_T_PF_BUS, QV_T_PF_DEVFN, PCI_BASE_ADDRESS_3, 0);
    /* VF BARs live in the SR-IOV capability. */
    qv_cfg_writel(d, QV_T_PF_BUS, QV_T_PF_DEVFN, sriov + PCI_SRIOV_BAR,
                  QV_T_VF_BAR0);
    qv_cfg_writel(d, QV_T_PF_BUS, QV_T_PF_DEVFN, sriov + PCI_SRIOV_BAR + 4, 0);
    qv_cfg_writel(d, QV_T_PF_BUS, QV_T_PF_DEVFN, sriov + PCI_SRIOV_BAR + 8,
                  QV_T_VF_BAR2);
    qv_cfg_writel(d, QV_T_PF_BUS, QV_T_PF_DEVFN, sriov + PCI_SRIOV_BAR + 12,
                  0);
    qv_cfg_writew(d, QV_T_PF_BUS, QV_T_PF_DEVFN, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qv_msix_setup(d, 0);
}

static char *qv_args(const char *device_opts, const char *netdev,
                     const char *extra_args)
{
    return g_strdup_printf("-M q35 -nodefaults -m 512M "
                           "-device pcie-root-port,id=rp0,bus=pcie.0,"
                           "chassis=1,addr=1.0 "
                           "-device qosvnic,bus=rp0,addr=0.0,netdev=hs0%s%s "
                           "%s %s",
                           device_opts && *device_opts ? "," : "",
                           device_opts ? device_opts : "", netdev,
                           extra_args ? extra_args : "");
}

QvDev *qv_start_netdev(const char *device_opts, const char *netdev,
                       const char *extra_args)
{
    QvDev *d = g_new0(QvDev, 1);
    g_autofree char *args = qv_args(device_opts, netdev, extra_args);

    d->qts = qtest_init(args);
    d->sock = -1;
    d->mem_next = QV_T_MEM_START;
    qv_bridge_setup(d);
    d->max_vfs = qv_cfg_readw(d, QV_T_PF_BUS, QV_T_PF_DEVFN,
                              QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_TOTAL_VF);
    qv_pf_setup(d);
    return d;
}

QvDev *qv_start_incoming(const char *device_opts, const char *uri)
{
    QvDev *d = g_new0(QvDev, 1);
    int sv[2];
    g_autofree char *netdev = NULL;
    g_autofree char *incoming = g_strdup_printf("-incoming %s", uri);
    g_autofree char *args = NULL;

    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    netdev = g_strdup_printf("-netdev socket,fd=%d,id=hs0", sv[1]);
    args = qv_args(device_opts, netdev, incoming);
    d->qts = qtest_init(args);
    close(sv[1]);
    d->sock = sv[0];
    d->mem_next = QV_T_MEM_START;
    return d;
}

QvDev *qv_start(const char *device_opts, const char *extra_args)
{
    QvDev *d;
    int sv[2];
    g_autofree char *netdev = NULL;

    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    netdev = g_strdup_printf("-netdev socket,fd=%d,id=hs0", sv[1]);
    d = qv_start_netdev(device_opts, netdev, extra_args);
    close(sv[1]);
    d->sock = sv[0];
    return d;
}

char *qv_start_fails(const char *device_opts)
{
    g_autofree char *args = qv_args(device_opts,
                                    "-netdev user,id=hs0", NULL);
    g_autofree char *cmd = NULL;
    char *err = NULL;
    int status;

    const char *qemu = g_getenv("QTEST_QEMU_BINARY");

    g_assert_nonnull(qemu);
    cmd = g_strdup_printf("%s %s -display none -S", qemu, args);
    g_assert(g_spawn_command_line_sync(cmd, NULL, &err, &status, NULL));
    g_assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return err;
}

static void qv_wait_migration(QTestState *qts)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *st = ret && qdict_haskey(ret, "status") ?
                         qdict_get_str(ret, "status") : "none";
        bool done = !strcmp(st, "completed");

        g_assert_cmpstr(st, !=, "failed");
        qobject_unref(rsp);
        if (done) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(1000);
    }
}

static QvDev *qv_migrate_to(QvDev *src, const char *device_opts,
                             const char *incoming)
{
    g_autofree char *path = g_strdup_printf("%s/qosvnic-mig-XXXXXX",
                                            g_get_tmp_dir());
    g_autofree char *uri = NULL;
    g_autofree char *netdev = NULL;
    g_autofree char *args = NULL;
    QvDev *d = g_new0(QvDev, 1);
    int fd = g_mkstemp(path);
    int sv[2];

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    uri = g_strdup_printf("file:%s", path);
    qtest_qmp_assert_success(src->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    qv_wait_migration(src->qts);

    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    netdev = g_strdup_printf("-netdev socket,fd=%d,id=hs0", sv[1]);
    args = qv_args(device_opts, netdev, incoming);
    d->qts = qtest_init(args);
    close(sv[1]);
    d->sock = sv[0];
    qtest_qmp_assert_success(d->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    qv_wait_migration(d->qts);
    unlink(path);
    d->max_vfs = src->max_vfs;
    d->num_vfs = src->num_vfs;
    d->mem_next = src->mem_next;
    return d;
}

QvDev *qv_migrate(QvDev *src, const char *device_opts)
{
    return qv_migrate_to(src, device_opts, "-incoming defer");
}

QvDev *qv_migrate_stopped(QvDev *src, const char *device_opts)
{
    return qv_migrate_to(src, device_opts, "-incoming defer -S");
}

void qv_system_reset(QvDev *d)
{
    qtest_system_reset(d->qts);
    qv_bridge_setup(d);
    qv_pf_setup(d);
    d->num_vfs = 0;
}

void qv_stop(QvDev *d)
{
    qtest_quit(d->qts);
    if (d->sock >= 0) {
        close(d->sock);
    }
    g_free(d);
}

void qv_enable_vfs(QvDev *d, unsigned n)
{
    uint16_t sriov = QV_EXTCAP_SRIOV_OFFSET;
    unsigned i;

    qv_cfg_writew(d, QV_T_PF_BUS, QV_T_PF_DEVFN, sriov + PCI_SRIOV_NUM_VF, n);
    qv_cfg_writew(d, QV_T_PF_BUS, QV_T_PF_DEVFN, sriov + PCI_SRIOV_CTRL,
                  PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE |
                  PCI_SRIOV_CTRL_ARI);
    d->num_vfs = n;
    for (i = 1; i <= n; i++) {
        /*
         * QEMU maps a VF's BARs only with its own Memory Space bit set
         * (real VFs use VF MSE alone); Linux sets both.
         */
        qv_cfg_writew(d, QV_T_PF_BUS, qv_fn_devfn(i), PCI_COMMAND,
                      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        qv_msix_setup(d, i);
    }
}

void qv_disable_vfs(QvDev *d)
{
    qv_cfg_writew(d, QV_T_PF_BUS, QV_T_PF_DEVFN,
                  QV_EXTCAP_SRIOV_OFFSET + PCI_SRIOV_CTRL, 0);
    d->num_vfs = 0;
}

uint64_t qv_fn_bar0(QvDev *d, int fn)
{
    return fn == 0 ? QV_T_PF_BAR0 :
           QV_T_VF_BAR0 + (uint64_t)(fn - 1) * QV_VF_BAR0_SIZE;
}

uint64_t qv_fn_bar2(int fn)
{
    return fn == 0 ? QV_T_PF_BAR2 :
           QV_T_VF_BAR2 + (uint64_t)(fn - 1) * QV_VF_BAR2_SIZE;
}

uint32_t qv_rd(QvDev *d, int fn, uint32_t reg)
{
    return qtest_readl(d->qts, qv_fn_bar0(d, fn) + reg);
}

void qv_wr(QvDev *d, int fn, uint32_t reg, uint32_t val)
{
    qtest_writel(d->qts, qv_fn_bar0(d, fn) + reg, val);
}

uint64_t qv_stat(QvDev *d, int fn, unsigned idx)
{
    return qtest_readq(d->qts, qv_fn_bar0(d, fn) + QV_FN_STAT(idx));
}

uint32_t qv_mg_rd(QvDev *d, int fn, uint32_t reg)
{
    return qtest_readl(d->qts, QV_T_PF_BAR0 + QV_MGMT(fn) + reg);
}

void qv_mg_wr(QvDev *d, int fn, uint32_t reg, uint32_t val)
{
    qtest_writel(d->qts, QV_T_PF_BAR0 + QV_MGMT(fn) + reg, val);
}

uint64_t qv_mg_stat(QvDev *d, int fn, unsigned idx)
{
    return qtest_readq(d->qts, QV_T_PF_BAR0 + QV_MGMT(fn) + QV_MG_STAT(idx));
}

void qv_set_rx_rate(QvDev *d, int fn, uint64_t bits_per_s, uint32_t burst)
{
    qv_mg_wr(d, fn, QV_MG_RX_BURST, burst);
    qv_mg_wr(d, fn, QV_MG_RX_RATE_HI, bits_per_s >> 32);
    qv_mg_wr(d, fn, QV_MG_RX_RATE_LO, (uint32_t)bits_per_s);
}

void qv_fn_mac(QvDev *d, int fn, uint8_t mac[6])
{
    uint32_t lo = qv_rd(d, fn, QV_FN_MAC_LO);
    uint32_t hi = qv_rd(d, fn, QV_FN_MAC_HI);

    stl_le_p(mac, lo);
    stw_le_p(mac + 4, hi);
}

uint64_t qv_alloc(QvDev *d, size_t size, size_t align)
{
    uint64_t a = QEMU_ALIGN_UP(d->mem_next, align);

    g_assert_cmpuint(a + size, <=, QV_T_MEM_END);
    d->mem_next = a + size;
    qtest_memset(d->qts, a, 0, size);
    return a;
}

static uint64_t qv_irq_word(int fn, int vec)
{
    return QV_T_IRQ_PAGE + (fn * QV_NUM_VECTORS + vec) * 4;
}

void qv_msix_setup(QvDev *d, int fn)
{
    uint8_t devfn = qv_fn_devfn(fn);
    uint64_t table = qv_fn_bar2(fn) + QV_MSIX_TABLE_OFFSET;
    uint16_t ctrl;
    int v;

    for (v = 0; v < QV_NUM_VECTORS; v++) {
        uint64_t e = table + v * PCI_MSIX_ENTRY_SIZE;

        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_LOWER_ADDR, qv_irq_word(fn, v));
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_DATA, 0x1000 + v);
        qtest_writel(d->qts, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
        qtest_writel(d->qts, qv_irq_word(fn, v), 0);
    }
    ctrl = qv_cfg_readw(d, QV_T_PF_BUS, devfn,
                        QV_CAP_MSIX_OFFSET + PCI_MSIX_FLAGS);
    qv_cfg_writew(d, QV_T_PF_BUS, devfn, QV_CAP_MSIX_OFFSET + PCI_MSIX_FLAGS,
                  (ctrl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
}

bool qv_irq_fired(QvDev *d, int fn, int vec)
{
    uint32_t w = qtest_readl(d->qts, qv_irq_word(fn, vec));

    if (w) {
        g_assert_cmphex(w, ==, 0x1000 + vec);
        qtest_writel(d->qts, qv_irq_word(fn, vec), 0);
    }
    return w != 0;
}

void qv_fn_start(QvDev *d, int fn)
{
    qv_wr(d, fn, QV_FN_CTRL, QV_CTRL_RX_EN | QV_CTRL_TX_EN);
    qv_wr(d, fn, QV_FN_INT_MASK_CLR, QV_INT_ALL);
}

/* Ring register @qreg (QV_Q_*) of @r's queue: queue 0's where they were. */
static uint32_t qv_qreg(const QvRing *r, uint32_t qreg)
{
    return (r->q ? QV_FN_QUEUE(r->q) : QV_FN_RX_BASE_LO) + qreg;
}

void qv_rx_setup(QvDev *d, int fn, QvRing *r, uint32_t ndesc,
                 uint32_t buf_size, bool post_all)
{
    qv_rxq_setup(d, fn, 0, r, ndesc, buf_size, post_all);
}

void qv_rxq_setup(QvDev *d, int fn, int q, QvRing *r, uint32_t ndesc,
                  uint32_t buf_size, bool post_all)
{
    uint32_t i;

    memset(r, 0, sizeof(*r));
    r->fn = fn;
    r->q = q;
    r->ndesc = ndesc;
    r->buf_size = buf_size;
    r->base = qv_alloc(d, ndesc * QV_RXD_SIZE, 4096);
    r->bufs = qv_alloc(d, (uint64_t)ndesc * buf_size, 4096);
    for (i = 0; i < ndesc; i++) {
        qtest_writeq(d->qts, r->base + i * QV_RXD_SIZE + QV_RXD_ADDR,
                     r->bufs + (uint64_t)i * buf_size);
    }
    qv_wr(d, fn, qv_qreg(r, QV_Q_RX_BASE_LO), (uint32_t)r->base);
    qv_wr(d, fn, qv_qreg(r, QV_Q_RX_BASE_HI), r->base >> 32);
    qv_wr(d, fn, qv_qreg(r, QV_Q_RX_SIZE), ndesc * QV_RXD_SIZE);
    qv_wr(d, fn, QV_FN_RX_BUF_SIZE, buf_size);
    if (post_all) {
        qv_rx_post(d, r, ndesc - 1);
    }
}

void qv_rx_post(QvDev *d, QvRing *r, uint32_t n)
{
    r->tail = (r->tail + n) % r->ndesc;
    qv_wr(d, r->fn, qv_qreg(r, QV_Q_RX_TAIL), r->tail);
}

int qv_rx_take(QvDev *d, QvRing *r, uint8_t *buf, size_t size,
               uint16_t *status, uint16_t *vlan, uint16_t *gso)
{
    size_t total = 0;
    bool first = true;

    for (;;) {
        uint64_t desc = r->base + r->next * QV_RXD_SIZE;
        uint16_t len = qtest_readw(d->qts, desc + QV_RXD_LEN);
        uint16_t sta = qtest_readw(d->qts, desc + QV_RXD_STATUS);

        if (!(sta & QV_RXD_STA_DD)) {
            g_assert_true(first);   /* a frame is written back whole */
            return -1;
        }
        if (first) {
            if (status) {
                *status = sta;
            }
            if (vlan) {
                *vlan = qtest_readw(d->qts, desc + QV_RXD_VLAN);
            }
            if (gso) {
                *gso = qtest_readw(d->qts, desc + QV_RXD_GSO_SIZE);
            }
            if (sta & QV_RXD_STA_SRC_PORT) {
                r->src_port = qtest_readw(d->qts, desc + QV_RXD_SRC_PORT);
            }
            if (sta & QV_RXD_STA_RSS_MASK) {
                r->rss_hash = qtest_readl(d->qts, desc + QV_RXD_RSS_HASH);
            }
        }
        g_assert_cmpuint(len, <=, r->buf_size);
        if (buf && total + len <= size) {
            qtest_memread(d->qts, r->bufs + (uint64_t)r->next * r->buf_size,
                          buf + total, len);
        }
        total += len;
        /* Give the descriptor back clean for its next use. */
        qtest_writeq(d->qts, desc + QV_RXD_ADDR,
                     r->bufs + (uint64_t)r->next * r->buf_size);
        qtest_writeq(d->qts, desc + 8, 0);
        r->next = (r->next + 1) % r->ndesc;
        first = false;
        if (sta & QV_RXD_STA_EOP) {
            return total;
        }
    }
}

void qv_tx_setup(QvDev *d, int fn, QvRing *r, uint32_t ndesc)
{
    qv_txq_setup(d, fn, 0, r, ndesc);
}

void qv_txq_setup(QvDev *d, int fn, int q, QvRing *r, uint32_t ndesc)
{
    memset(r, 0, sizeof(*r));
    r->fn = fn;
    r->q = q;
    r->ndesc = ndesc;
    r->base = qv_alloc(d, ndesc * QV_TXD_SIZE, 4096);
    qv_wr(d, fn, qv_qreg(r, QV_Q_TX_BASE_LO), (uint32_t)r->base);
    qv_wr(d, fn, qv_qreg(r, QV_Q_TX_BASE_HI), r->base >> 32);
    qv_wr(d, fn, qv_qreg(r, QV_Q_TX_SIZE), ndesc * QV_TXD_SIZE);
}

void qv_tx_send(QvDev *d, QvRing *r, const void *frame, size_t len,
                uint8_t cmd, uint16_t mss, uint16_t vlan)
{
    uint64_t buf = qv_alloc(d, len, 64);

    qtest_memwrite(d->qts, buf, frame, len);
    qv_tx_post(d, r, buf, len, cmd, mss, vlan);
}

void qv_tx_post(QvDev *d, QvRing *r, uint64_t buf, size_t len,
                uint8_t cmd, uint16_t mss, uint16_t vlan)
{
    uint64_t desc = r->base + r->tail * QV_TXD_SIZE;

    qtest_writeq(d->qts, desc + QV_TXD_ADDR, buf);
    qtest_writew(d->qts, desc + QV_TXD_LEN, len);
    qtest_writeb(d->qts, desc + QV_TXD_CMD, cmd | QV_TXD_EOP);
    qtest_writeb(d->qts, desc + QV_TXD_STATUS, 0);
    qtest_writew(d->qts, desc + QV_TXD_MSS, mss);
    qtest_writew(d->qts, desc + QV_TXD_VLAN, vlan);
    r->tail = (r->tail + 1) % r->ndesc;
    qv_wr(d, r->fn, qv_qreg(r, QV_Q_TX_TAIL), r->tail);
}

uint8_t qv_tx_status(QvDev *d, QvRing *r, uint32_t i)
{
    return qtest_readb(d->qts, r->base + i * QV_TXD_SIZE + QV_TXD_STATUS);
}

void qv_inject(QvDev *d, const void *frame, size_t len)
{
    uint32_t be_len = cpu_to_be32(len);
    struct iovec iov[] = {
        { .iov_base = &be_len, .iov_len = sizeof(be_len) },
        { .iov_base = (void *)frame, .iov_len = len },
    };
    ssize_t ret = iov_send(d->sock, iov, 2, 0, sizeof(be_len) + len);

    g_assert_cmpint(ret, ==, sizeof(be_len) + len);
}

static bool qv_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, timeout_ms) <= 0) {
            return false;
        }
        n = recv(fd, (uint8_t *)buf + got, len - got, 0);
        if (n <= 0) {
            return false;
        }
        got += n;
    }
    return true;
}

ssize_t qv_wire_recv(QvDev *d, void *buf, size_t size, int timeout_ms)
{
    uint32_t be_len;
    size_t len;
    g_autofree uint8_t *tmp = NULL;

    qv_sync(d);
    if (!qv_read_full(d->sock, &be_len, sizeof(be_len), timeout_ms)) {
        return -1;
    }
    len = be32_to_cpu(be_len);
    tmp = g_malloc(len);
    g_assert_true(qv_read_full(d->sock, tmp, len, 5000));
    memcpy(buf, tmp, MIN(len, size));
    return len;
}

uint32_t qv_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += lduw_be_p(p + i);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

uint16_t qv_csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

size_t qv_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
                uint16_t ethertype, size_t len)
{
    size_t i;

    g_assert_cmpuint(len, >=, 14);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    stw_be_p(buf + 12, ethertype);
    for (i = 14; i < len; i++) {
        buf[i] = i & 0xff;
    }
    return len;
}

void qv_sync(QvDev *d)
{
    int i;

    /*
     * Each qtest command is a main-loop iteration: fd handlers and bottom
     * halves run, virtual time stays. (clock_step 0 is refused: "could not
     * advance time".) A few, for BHs that reschedule themselves after a
     * budget.
     */
    for (i = 0; i < 8; i++) {
        qtest_readl(d->qts, QV_T_IRQ_PAGE);
    }
}

void qv_wait_stat_sum(QvDev *d, const int *fns, int nfn, const unsigned *idx,
                      int nidx, uint64_t want)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    uint64_t sum = 0;

    for (;;) {
        int i, j;

        sum = 0;
        for (i = 0; i < nfn; i++) {
            for (j = 0; j < nidx; j++) {
                sum += qv_mg_stat(d, fns[i], idx[j]);
            }
        }
        if (sum >= want || g_get_monotonic_time() > deadline) {
            break;
        }
        qv_sync(d);
        g_usleep(1000);
    }
    g_assert_cmpuint(sum, ==, want);
}

void qv_step(QvDev *d, int64_t ns)
{
    qtest_clock_step(d->qts, ns);
}

char *qv_trace_args(const char *pattern, char **path)
{
    int fd;

    *path = g_strdup_printf("%s/qosvnic-trace-XXXXXX", g_get_tmp_dir());
    fd = g_mkstemp(*path);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    return g_strdup_printf("-trace enable=%s,file=%s", pattern, *path);
}

GPtrArray *qv_trace_lines(const char *path, const char *name)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *text = NULL;
    g_auto(GStrv) all = NULL;
    g_autofree char *key = g_strdup_printf("%s ", name);

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    all = g_strsplit(text, "\n", -1);
    for (char **l = all; *l; l++) {
        /* "[pid@time:]name args": the log backend's line format. */
        const char *p = strstr(*l, key);

        if (p && (p == *l || p[-1] == ':')) {
            g_ptr_array_add(lines, g_strdup(p + strlen(key)));
        }
    }
    return lines;
}
