/* Frames for the index tests (test_index.c, test_idxplan.c): Ethernet with
 * 0-2 VLAN tags, IPv4 (options, fragments), IPv6, TCP/UDP/SCTP/ICMP, ARP,
 * raw IP. Each builder writes at f and returns the frame's length. */
#ifndef LC_TEST_INDEX_FRAMES_H
#define LC_TEST_INDEX_FRAMES_H

#include <stdint.h>
#include <string.h>

struct tf {
    uint16_t tags[2];           /* TPIDs (0x8100, 0x88a8, 0x9100), 0 = none */
    uint16_t vid[2];
    int ipv;                    /* 4, 6, 0 = ARP (ethertype 0x0806), -1 = other ethertype */
    uint8_t src[16], dst[16];
    uint8_t proto;
    uint16_t sport, dport;
    uint16_t frag;              /* IPv4 fragment offset (8-byte units) */
    int ihl;                    /* IPv4 header words (5 default) */
    int raw;                    /* no Ethernet header */
    int v6frag;                 /* IPv6: a fragment header (next: proto) before L4 */
    uint32_t pad;               /* payload bytes after the L4 header */
};

static inline void tf_be16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline size_t tf_build(uint8_t *f, const struct tf *t)
{
    size_t o = 0;
    if (!t->raw) {
        memset(f, 0x02, 6);
        memset(f + 6, 0x04, 6);
        o = 12;
        for (int i = 0; i < 2; i++)
            if (t->tags[i]) {
                tf_be16(f + o, t->tags[i]);
                tf_be16(f + o + 2, t->vid[i]);
                o += 4;
            }
        unsigned type = t->ipv == 4 ? 0x0800 : t->ipv == 6 ? 0x86dd : t->ipv == 0 ? 0x0806 : 0x88cc;
        tf_be16(f + o, type);
        o += 2;
    }
    size_t ip = o, l4;
    if (t->ipv == 4) {
        int ihl = t->ihl ? t->ihl : 5;
        memset(f + o, 0, (size_t)ihl * 4);
        f[o] = (uint8_t)(0x40 | ihl);
        f[o + 8] = 64;
        f[o + 9] = t->proto;
        tf_be16(f + o + 6, t->frag);
        memcpy(f + o + 12, t->src, 4);
        memcpy(f + o + 16, t->dst, 4);
        l4 = o + (size_t)ihl * 4;
    } else if (t->ipv == 6) {
        memset(f + o, 0, 40);
        f[o] = 0x60;
        f[o + 6] = t->proto;
        f[o + 7] = 64;
        memcpy(f + o + 8, t->src, 16);
        memcpy(f + o + 24, t->dst, 16);
        l4 = o + 40;
        if (t->v6frag) {
            f[o + 6] = 44;
            memset(f + l4, 0, 8);
            f[l4] = t->proto;
            l4 += 8;
        }
    } else if (t->ipv == 0) {
        /* ARP request: Ethernet/IPv4 */
        static const uint8_t h[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
        memcpy(f + o, h, 8);
        memset(f + o + 8, 0x04, 6);
        memcpy(f + o + 14, t->src, 4);
        memset(f + o + 18, 0, 6);
        memcpy(f + o + 24, t->dst, 4);
        return o + 28;
    } else {
        memset(f + o, 0x11, 30);
        return o + 30;
    }
    size_t l4len = 0;
    if (t->proto == 6 || t->proto == 17 || t->proto == 132) {
        l4len = t->proto == 6 ? 20 : t->proto == 17 ? 8 : 12;
        memset(f + l4, 0, l4len);
        tf_be16(f + l4, t->sport);
        tf_be16(f + l4 + 2, t->dport);
        if (t->proto == 6)
            f[l4 + 12] = 0x50;
    } else if (t->proto == 1 || t->proto == 58) {
        l4len = 8;
        memset(f + l4, 0, 8);
        f[l4] = t->proto == 1 ? 8 : 128;
    }
    memset(f + l4 + l4len, 0xab, t->pad);
    size_t total = l4 + l4len + t->pad;
    if (t->ipv == 4)
        tf_be16(f + ip + 2, (unsigned)(total - ip));
    else
        tf_be16(f + ip + 4, (unsigned)(total - ip - 40));
    (void)ip;
    return total;
}

static inline void tf_v4(uint8_t *a, unsigned x, unsigned y, unsigned z, unsigned w)
{
    a[0] = (uint8_t)x;
    a[1] = (uint8_t)y;
    a[2] = (uint8_t)z;
    a[3] = (uint8_t)w;
}

/* 2001:db8::N */
static inline void tf_v6(uint8_t *a, unsigned n)
{
    memset(a, 0, 16);
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[14] = (uint8_t)(n >> 8);
    a[15] = (uint8_t)n;
}

#endif
