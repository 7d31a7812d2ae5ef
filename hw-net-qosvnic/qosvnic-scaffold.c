/*
 * TEMPORARY scaffold so the skeleton links while the datapath files are
 * written. Each definition here is deleted when its real implementation
 * lands in the file named next to it. Nothing here is a feature.
 */
#include "qemu/osdep.h"
#include "migration/vmstate.h"
#include "qosvnic.h"

/* qosvnic-tb.c */
void qv_tb_config(QvTokenBucket *tb, uint64_t rate, uint64_t burst,
                  int64_t now_ns)
{
    tb->rate = rate;
    tb->burst = burst;
    tb->last_ns = now_ns;
}

/* qosvnic-buf.c */
void qosvnic_buf_init(QosvnicState *s) { }
void qosvnic_buf_free(QosvnicState *s) { }
void qosvnic_buf_set_reserve(QosvnicState *s, QvFunc *f, uint32_t bytes) { }
uint32_t qosvnic_buf_shared_free_bytes(QosvnicState *s) { return 0; }
void qosvnic_buf_flush(QosvnicState *s, QvFunc *f) { }
const VMStateDescription vmstate_qosvnic_buf = {
    .name = "qosvnic-buf",
    .fields = (const VMStateField[]) { VMSTATE_END_OF_LIST() },
};

/* qosvnic-rx.c */
void qosvnic_mac_table_update(QosvnicState *s, QvFunc *f, const MACAddr *o) { }
ssize_t qosvnic_nc_receive_iov(NetClientState *nc, const struct iovec *iov,
                               int iovcnt)
{
    return iov_size(iov, iovcnt);
}
bool qosvnic_nc_can_receive(NetClientState *nc) { return true; }

/* qosvnic-sched.c */
void qosvnic_sched_kick(QosvnicState *s, QvFunc *f) { }
void qosvnic_sched_bh(void *opaque) { }
void qosvnic_sched_remove(QosvnicState *s, QvFunc *f) { }
void qosvnic_dma_timer_cb(void *opaque) { }

/* qosvnic-tx.c */
void qosvnic_tx_kick(QosvnicState *s) { }
void qosvnic_tx_bh(void *opaque) { }
void qosvnic_tx_timer_cb(void *opaque) { }

/* qosvnic-mbx.c */
void qosvnic_mbx_vf_write(QvFunc *f, uint32_t val) { }
void qosvnic_mbx_pf_write(QvFunc *f, uint32_t val) { }
uint32_t qosvnic_mbx_pf_ctrl(QvFunc *f) { return 0; }
