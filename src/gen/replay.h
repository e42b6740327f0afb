/* linecap-gen --replay: load a pcap/pcapng file (libpcap, any precision)
 * into memory once, classify each record's flow (5-tuple), and apply the
 * static part of --rewrite and --stamp at load time, so that the transmit
 * loop only copies a record and, with --stamp, writes 18 bytes. Pure: no
 * DPDK. The file is treated as hostile: every header is bounds-checked
 * against the captured length. */
#ifndef LC_GEN_REPLAY_H
#define LC_GEN_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "gen/genconf.h"

struct gen_record {
    uint64_t off;           /* bytes in the arena */
    uint16_t len;           /* bytes sent (the captured length) */
    uint16_t stamp_off;     /* offset of the stamp in the frame, 0 = none */
    uint16_t csum_off;      /* UDP checksum to update after stamping, 0 = none */
    uint32_t flow;          /* flow index, 0 .. nflows-1 */
};

struct gen_replay {
    uint8_t *arena;
    struct gen_record *rec;
    uint32_t n;             /* records kept */
    uint32_t nflows;
    uint32_t max_len;       /* largest record */
    uint64_t bytes;         /* sum of len */
    uint64_t skipped_big;   /* records longer than GEN_MAX_FRAME - 4, not sent */
    uint64_t truncated;     /* records whose captured length < original length */
    uint64_t stampable;     /* records that get a stamp (with --stamp) */
    uint64_t rewritten_ip;  /* IPv4 records whose addresses --rewrite set */
};

/* Load path. Returns 0, or -1 with one line in err (unreadable file, not
 * Ethernet, no frame to send, out of memory). */
int gen_replay_load(const char *path, const struct gen_config *c, struct gen_replay *r,
                    char *err, size_t errlen);

void gen_replay_free(struct gen_replay *r);

/* One's complement update of a checksum (network order bytes at csum) for
 * n bytes (n even, 2-aligned relative to the checksummed data) changed
 * from old to new (RFC 1624). A UDP result of 0 is sent as 0xffff. */
static inline void gen_csum_patch(uint8_t *csum, const uint8_t *old, const uint8_t *new_, unsigned n)
{
    uint32_t s = (uint16_t)~(csum[0] << 8 | csum[1]);
    for (unsigned i = 0; i + 1 < n; i += 2) {
        s += (uint16_t)~(old[i] << 8 | old[i + 1]);
        s += (uint32_t)(new_[i] << 8 | new_[i + 1]);
    }
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    uint16_t r = (uint16_t)~s;
    if (r == 0)
        r = 0xffff;
    csum[0] = (uint8_t)(r >> 8);
    csum[1] = (uint8_t)r;
}

#endif
