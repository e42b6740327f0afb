/* The stamp linecap-gen writes into every generated frame whose size allows
 * it, and `linecap verify` reads back. It is the first 18 bytes of the UDP
 * payload (a 60-byte Ethernet/IPv4/UDP frame has exactly 18), all fields
 * little-endian and unaligned:
 *
 *   offset 0  u16  magic   LC_STAMP_MAGIC
 *   offset 2  u64  seq     per-flow sequence number, 0, 1, 2, ... in send order
 *   offset 10 u64  tx_ns   send time, CLOCK_REALTIME nanoseconds (TSC-derived)
 *
 * A flow is the 5-tuple (src/dst address, protocol, src/dst port) of the
 * frame; over IPv6 the same stamp follows the UDP header. Frames too small
 * for it (or replayed unchanged) carry none and are counted, not sequenced. */
#ifndef LC_STAMP_H
#define LC_STAMP_H

#include <stdint.h>
#include <string.h>

#define LC_STAMP_MAGIC 0x4c43u   /* bytes 0x43 0x4c: "CL" on the wire */
#define LC_STAMP_LEN 18u

struct lc_stamp {
    uint64_t seq;
    uint64_t tx_ns;
};

static inline void lc_stamp_put(uint8_t *p, uint64_t seq, uint64_t tx_ns)
{
    uint16_t m = LC_STAMP_MAGIC;
    memcpy(p, &m, 2);           /* x86-64 and aarch64 are little-endian */
    memcpy(p + 2, &seq, 8);
    memcpy(p + 10, &tx_ns, 8);
}

/* 1 and *st filled when p[0..len) starts with a stamp, else 0. */
static inline int lc_stamp_get(const uint8_t *p, uint32_t len, struct lc_stamp *st)
{
    uint16_t m;
    if (len < LC_STAMP_LEN)
        return 0;
    memcpy(&m, p, 2);
    if (m != LC_STAMP_MAGIC)
        return 0;
    memcpy(&st->seq, p + 2, 8);
    memcpy(&st->tx_ns, p + 10, 8);
    return 1;
}

#endif
