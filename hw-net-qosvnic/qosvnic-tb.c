/*
 * qosvnic: token buckets against QEMU_CLOCK_VIRTUAL.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Policing semantics of Linux `tc police`: the bucket holds at most
 * `burst` bytes, fills at `rate` bits per second, and a frame of L bytes
 * conforms only if L bytes of tokens are there now; a frame that does not
 * conform takes nothing and borrows nothing.
 *
 * The refill is lazy (done when the bucket is looked at) and exact: the
 * bucket keeps whole bytes plus a remainder in 1 / (8 * 10^9) byte, and the
 * product rate * elapsed_ns is formed in 128 bits, so that a qtest stepping
 * virtual time by T sees exactly floor(B + R * T / 8) bytes of credit
 * however the interval was cut into refills.
 *
 * A primitive: it knows buckets, not functions; the receive path and the
 * TX engine configure their buckets from the function's settings.
 */

#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "migration/vmstate.h"
#include "qosvnic.h"

/* Default ingress burst: 10 ms at the configured rate ... */
#define QV_TB_DEFAULT_BURST_DIV 100
/*
 * ... but never less than a 64 KiB GSO super-frame plus headers, so that a
 * backend handing us TSO frames is not starved by the default.
 */
#define QV_TB_DEFAULT_BURST_MIN (64 * KiB + 256)

uint64_t qv_tb_default_burst(uint64_t rate_bits_per_s)
{
    return MAX(rate_bits_per_s / 8 / QV_TB_DEFAULT_BURST_DIV,
               QV_TB_DEFAULT_BURST_MIN);
}

static void qv_tb_refill(QvTokenBucket *tb, int64_t now_ns)
{
    uint64_t lo, hi, rem, dt;

    if (!tb->rate_bits) {
        return;
    }
    if (now_ns <= tb->last_ns) {
        /* The virtual clock does not go backwards; be defensive anyway. */
        return;
    }
    /* Unsigned: now_ns - last_ns may not fit in an int64_t. */
    dt = (uint64_t)now_ns - (uint64_t)tb->last_ns;
    tb->last_ns = now_ns;
    if (tb->tokens >= (int64_t)tb->burst) {
        tb->tokens = tb->burst;
        tb->frac = 0;
        return;
    }

    /* add = rate_bits * dt + frac, in 1 / QV_TB_FRAC_UNIT byte units. */
    mulu64(&lo, &hi, tb->rate_bits, dt);
    if (uadd64_overflow(lo, tb->frac, &lo)) {
        hi++;
    }
    rem = divu128(&lo, &hi, QV_TB_FRAC_UNIT);
    if (hi || lo >= (uint64_t)((int64_t)tb->burst - tb->tokens)) {
        tb->tokens = tb->burst;
        tb->frac = 0;
    } else {
        tb->tokens += lo;
        tb->frac = rem;
    }
}

void qv_tb_reset(QvTokenBucket *tb, int64_t now_ns)
{
    tb->tokens = tb->burst;
    tb->frac = 0;
    tb->last_ns = now_ns;
}

void qv_tb_config_bits(QvTokenBucket *tb, uint64_t rate_bits_per_s,
                       uint64_t burst_bytes, int64_t now_ns)
{
    /* An unlimited or zero-depth bucket had nothing: start full. */
    bool start_full = !tb->rate_bits || !tb->burst;

    burst_bytes = MIN(burst_bytes, QV_TB_LIMIT);
    if (tb->rate_bits == rate_bits_per_s && tb->burst == burst_bytes) {
        return;
    }
    /*
     * Credit earned (or debt owed) under the old rate is kept, up to the
     * new depth: re-applying a limit does not refill the bucket.
     */
    qv_tb_refill(tb, now_ns);
    tb->rate_bits = rate_bits_per_s;
    tb->burst = burst_bytes;
    if (start_full) {
        qv_tb_reset(tb, now_ns);
    } else if (tb->tokens >= (int64_t)tb->burst) {
        tb->tokens = tb->burst;
        tb->frac = 0;
    }
    tb->last_ns = now_ns;
}

void qv_tb_config(QvTokenBucket *tb, uint64_t rate_bytes_per_s,
                  uint64_t burst_bytes, int64_t now_ns)
{
    uint64_t bits = rate_bytes_per_s > UINT64_MAX / 8 ? UINT64_MAX
                                                      : rate_bytes_per_s * 8;

    qv_tb_config_bits(tb, bits, burst_bytes, now_ns);
}

bool qv_tb_conform(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns)
{
    if (!tb->rate_bits) {
        return true;
    }
    qv_tb_refill(tb, now_ns);
    return bytes <= QV_TB_LIMIT && tb->tokens >= (int64_t)bytes;
}

void qv_tb_consume(QvTokenBucket *tb, uint64_t bytes)
{
    if (!tb->rate_bits) {
        return;
    }
    tb->tokens = tb->tokens > (int64_t)MIN(bytes, QV_TB_LIMIT) ?
                 tb->tokens - (int64_t)bytes : 0;
}

void qv_tb_charge(QvTokenBucket *tb, uint64_t bytes)
{
    if (!tb->rate_bits) {
        return;
    }
    tb->tokens = MAX(tb->tokens - (int64_t)MIN(bytes, QV_TB_LIMIT),
                     -QV_TB_DEBT_MAX);
}

bool qv_tb_take(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns)
{
    if (!qv_tb_conform(tb, bytes, now_ns)) {
        return false;
    }
    qv_tb_consume(tb, bytes);
    return true;
}

int64_t qv_tb_wait_ns(QvTokenBucket *tb, uint64_t bytes, int64_t now_ns)
{
    uint64_t lo, hi, need;

    if (qv_tb_conform(tb, bytes, now_ns)) {
        return 0;
    }
    if (bytes > tb->burst) {
        return INT64_MAX;
    }
    /*
     * need = (bytes - tokens) * FRAC_UNIT - frac, then / rate, rounded up;
     * bytes <= burst, so a debt only adds to what must be refilled.
     */
    mulu64(&lo, &hi, (uint64_t)((int64_t)bytes - tb->tokens),
           QV_TB_FRAC_UNIT);
    if (lo < tb->frac) {
        hi--;
    }
    lo -= tb->frac;
    need = tb->rate_bits - 1;
    if (uadd64_overflow(lo, need, &lo)) {
        hi++;
    }
    divu128(&lo, &hi, tb->rate_bits);
    if (hi || lo > INT64_MAX) {
        return INT64_MAX;
    }
    return lo;
}

bool qv_tb_post_load(QvTokenBucket *tb, int64_t now_ns)
{
    /*
     * A debt no frame can run up would hold the bucket's owner for
     * centuries, and a refill time before the clock's start is not one
     * this device wrote.
     */
    if (tb->burst > QV_TB_LIMIT || tb->tokens > (int64_t)tb->burst ||
        tb->tokens < -QV_TB_DEBT_MAX || tb->frac >= QV_TB_FRAC_UNIT ||
        tb->last_ns < 0) {
        return false;
    }
    tb->last_ns = MIN(tb->last_ns, now_ns);
    return true;
}

const VMStateDescription vmstate_qv_token_bucket = {
    .name = "qosvnic/token-bucket",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(rate_bits, QvTokenBucket),
        VMSTATE_UINT64(burst, QvTokenBucket),
        VMSTATE_INT64(tokens, QvTokenBucket),
        VMSTATE_UINT64(frac, QvTokenBucket),
        VMSTATE_INT64(last_ns, QvTokenBucket),
        VMSTATE_END_OF_LIST()
    }
};
