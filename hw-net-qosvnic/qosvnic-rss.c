/*
 * qosvnic: receive side scaling, the hash.
 *
 * Copyright (c) 2026 qosvnic developers
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The Toeplitz hash of Microsoft's RSS specification over the frame's
 * IPv4/IPv6 addresses and, for TCP and UDP, its ports, with a function's
 * 40-byte key. Which hash types apply is the function's QV_FN_RSS_CTRL;
 * the receive path (qosvnic-rx.c) picks the queue from the hash and the
 * function's indirection table. This file knows frames and keys, not
 * functions.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "net/eth.h"
#include "qosvnic.h"

/* Addresses and ports of the longest input: IPv6 with ports. */
#define QV_RSS_INPUT_MAX        (16 + 16 + 2 + 2)

uint32_t qosvnic_rss_toeplitz(const uint8_t *key, const uint8_t *data,
                              size_t len)
{
    uint32_t hash = 0, window = ldl_be_p(key);
    size_t i;

    /* The input may use every key bit but the last 32, which the window has */
    assert(len <= QV_RSS_KEY_BYTES - 4);
    for (i = 0; i < len; i++) {
        uint8_t next = key[i + 4];

        for (int b = 7; b >= 0; b--) {
            if (data[i] & (1u << b)) {
                hash ^= window;
            }
            window = window << 1 | ((next >> b) & 1);
        }
    }
    return hash;
}

/* L3 of the frame: its ethertype and offset past any 802.1Q tag. */
static size_t qv_rss_l3(const uint8_t *d, size_t len, uint16_t *proto)
{
    size_t l3 = ETH_HLEN;

    if (len < ETH_HLEN) {
        return 0;
    }
    *proto = lduw_be_p(d + 12);
    if (*proto == ETH_P_VLAN && len >= ETH_HLEN + 4) {
        *proto = lduw_be_p(d + 16);
        l3 += 4;
    }
    return l3;
}

/*
 * Hash input of an IPv4 frame: addresses, and ports for an enabled L4
 * type of a first fragment-free datagram. Returns the input length and
 * sets *@type, or 0.
 */
static size_t qv_rss_ipv4(uint32_t ctrl, const uint8_t *p, size_t left,
                          uint8_t *in, unsigned *type)
{
    size_t ihl = left ? (p[0] & 0xf) * 4 : 0;
    uint8_t proto;

    if (left < 20 || (p[0] >> 4) != 4 || ihl < 20) {
        return 0;
    }
    memcpy(in, p + 12, 8);
    proto = p[9];
    if (!(lduw_be_p(p + 6) & 0x3fff) && left >= ihl + 4) {
        if (proto == IP_PROTO_TCP && (ctrl & QV_RSS_IPV4_TCP)) {
            memcpy(in + 8, p + ihl, 4);
            *type = QV_RSS_TYPE_IPV4_TCP;
            return 12;
        }
        if (proto == IP_PROTO_UDP && (ctrl & QV_RSS_IPV4_UDP)) {
            memcpy(in + 8, p + ihl, 4);
            *type = QV_RSS_TYPE_IPV4_UDP;
            return 12;
        }
    }
    if (!(ctrl & QV_RSS_IPV4)) {
        return 0;
    }
    *type = QV_RSS_TYPE_IPV4;
    return 8;
}

/* The same for IPv6 (ports only right after the fixed header). */
static size_t qv_rss_ipv6(uint32_t ctrl, const uint8_t *p, size_t left,
                          uint8_t *in, unsigned *type)
{
    uint8_t next;

    if (left < 40 || (p[0] >> 4) != 6) {
        return 0;
    }
    memcpy(in, p + 8, 32);
    next = p[6];
    if (left >= 44) {
        if (next == IP_PROTO_TCP && (ctrl & QV_RSS_IPV6_TCP)) {
            memcpy(in + 32, p + 40, 4);
            *type = QV_RSS_TYPE_IPV6_TCP;
            return 36;
        }
        if (next == IP_PROTO_UDP && (ctrl & QV_RSS_IPV6_UDP)) {
            memcpy(in + 32, p + 40, 4);
            *type = QV_RSS_TYPE_IPV6_UDP;
            return 36;
        }
    }
    if (!(ctrl & QV_RSS_IPV6)) {
        return 0;
    }
    *type = QV_RSS_TYPE_IPV6;
    return 32;
}

unsigned qosvnic_rss_hash(uint32_t ctrl, const uint8_t *key,
                          const uint8_t *d, size_t len, uint32_t *hash)
{
    uint8_t in[QV_RSS_INPUT_MAX];
    unsigned type = QV_RSS_TYPE_NONE;
    uint16_t proto = 0;
    size_t l3, n = 0;

    if (!(ctrl & QV_RSS_ALL)) {
        return QV_RSS_TYPE_NONE;
    }
    l3 = qv_rss_l3(d, len, &proto);
    if (!l3) {
        return QV_RSS_TYPE_NONE;
    }
    if (proto == ETH_P_IP) {
        n = qv_rss_ipv4(ctrl, d + l3, len - l3, in, &type);
    } else if (proto == ETH_P_IPV6) {
        n = qv_rss_ipv6(ctrl, d + l3, len - l3, in, &type);
    }
    if (!n) {
        return QV_RSS_TYPE_NONE;
    }
    *hash = qosvnic_rss_toeplitz(key, in, n);
    return type;
}
