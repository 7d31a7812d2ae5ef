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

/* Exact refill in byte-nanoseconds (tokens are bytes * 1e9). */
static void qv_tb_refill(QvTokenBucket *tb, int64_t now_ns)
{
    int64_t cap = (int64_t)tb->burst * NANOSECONDS_PER_SECOND;
    int64_t dt = now_ns - tb->last_ns;

    tb->last_ns = now_ns;
    if (dt <= 0 || tb->tokens >= cap) {
        tb->tokens = MIN(tb->tokens, cap);
        return;
    }
    if ((uint64_t)dt >= (uint64_t)(cap - tb->tokens) / tb->rate) {
        tb->tokens = cap;
    } else {
        tb->tokens += tb->rate * dt;
    }
}

void qv_tb_reset(QvTokenBucket *tb, int64_t now_ns)
{
    tb->tokens = (int64_t)tb->burst * NANOSECONDS_PER_SECOND;
    tb->last_ns = now_ns;
}

bool qv_tb_take(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns)
{
    if (!tb->rate) {
        return true;
    }
    qv_tb_refill(tb, now_ns);
    if (tb->tokens < (int64_t)bytes * NANOSECONDS_PER_SECOND) {
        return false;
    }
    tb->tokens -= bytes * NANOSECONDS_PER_SECOND;
    return true;
}

int64_t qv_tb_wait_ns(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns)
{
    int64_t need;

    if (!tb->rate) {
        return 0;
    }
    if (bytes > tb->burst) {
        return INT64_MAX;
    }
    qv_tb_refill(tb, now_ns);
    need = (int64_t)bytes * NANOSECONDS_PER_SECOND - tb->tokens;
    return need <= 0 ? 0 : DIV_ROUND_UP(need, tb->rate);
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
QvFunc *qosvnic_mac_lookup(QosvnicState *s, const uint8_t *mac)
{
    uint32_t fn;

    for (fn = 0; fn < s->num_funcs; fn++) {
        if (!memcmp(s->funcs[fn].mac.a, mac, ETH_ALEN)) {
            return &s->funcs[fn];
        }
    }
    return NULL;
}
void qosvnic_rx_frame(QosvnicState *s, const struct iovec *iov, int iovcnt,
                      bool from_loopback, uint32_t src_fn) { }
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

