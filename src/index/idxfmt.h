/* The index image layout (docs/INDEX.md), shared by the builder and the
 * reader; private to src/index. Every integer is little-endian; the
 * sections follow each other in this order with no gap:
 *
 *   header (IDXF_HDR_LEN bytes, the kind table at its end)
 *   chunk table (varints, IDXF_* below)
 *   for each kind 1..IDX_K_MAX-1: directory (nkeys x (value + u32)), postings
 *   CRC32C of everything before it (u32)
 */
#ifndef LC_INDEX_IDXFMT_H
#define LC_INDEX_IDXFMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "index/index.h"

#define IDXF_NKINDS (IDX_K_MAX - 1)

/* header field offsets */
#define IDXF_MAGIC 0            /* 8 bytes: IDX_MAGIC */
#define IDXF_VERSION 8          /* u32 IDX_VERSION */
#define IDXF_HDRLEN 12          /* u32 IDXF_HDR_LEN */
#define IDXF_IMGLEN 16          /* u64 the whole image, CRC included */
#define IDXF_FILESIZE 24        /* u64 ident.file_size */
#define IDXF_DATAEND 32         /* u64 ident.data_end */
#define IDXF_FORMAT 40          /* u32 ident.format */
#define IDXF_CHUNKB 44          /* u32 the builder's chunk size */
#define IDXF_HEAD 48            /* 64 bytes ident.head */
#define IDXF_RECORDS 112        /* u64 */
#define IDXF_TSMIN 120          /* u64 */
#define IDXF_TSMAX 128          /* u64 */
#define IDXF_TSFIRST 136        /* u64 */
#define IDXF_TSLAST 144         /* u64 */
#define IDXF_NCHUNKS 152        /* u32 */
#define IDXF_FLAGS 156          /* u32, 0 */
#define IDXF_CTOFF 160          /* u64 chunk table offset (= IDXF_HDR_LEN) */
#define IDXF_CTLEN 168          /* u64 chunk table length */
#define IDXF_KINDS 176          /* IDXF_NKINDS x 32 bytes: */
#define IDXF_KIND_LEN 32        /*   u32 kind, u32 nkeys, u64 dir_off, u64 post_off, u64 post_len */
#define IDXF_HDR_LEN (IDXF_KINDS + IDXF_NKINDS * IDXF_KIND_LEN)

/* a directory entry's u32: offset of its posting list in the kind's
 * postings; the list ends where the next entry's starts */
#define IDXF_POST_BITMAP 0x80000000u    /* set: a bitmap, else delta varints */
#define IDXF_POST_OFFMASK 0x7fffffffu

/* the value length of each kind (index = kind), 0: no such kind */
static const uint8_t idxf_klen[IDX_K_MAX] = {
    [IDX_K_IPV4] = 4, [IDX_K_IPV6] = 16, [IDX_K_PROTO] = 1, [IDX_K_PORT] = 2, [IDX_K_VLAN] = 2,
};

static inline void idxf_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void idxf_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t idxf_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t idxf_get64(const uint8_t *p)
{
    return (uint64_t)idxf_get32(p) | (uint64_t)idxf_get32(p + 4) << 32;
}

static inline unsigned idxf_varint_len(uint64_t v)
{
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Write v at p (room for 10 bytes); returns the bytes written. */
static inline unsigned idxf_put_varint(uint8_t *p, uint64_t v)
{
    unsigned n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Read a varint of at most maxbytes bytes (10 for 64 bits, 5 for 32) from
 * [*p, end); 0 and *p moved past it, or -1 (truncated, too long, or bits
 * past 64). */
static inline int idxf_get_varint(const uint8_t **p, const uint8_t *end, unsigned maxbytes,
                                  uint64_t *v)
{
    uint64_t r = 0;
    const uint8_t *q = *p;
    for (unsigned i = 0; i < maxbytes; i++) {
        if (q >= end)
            return -1;
        uint8_t c = *q++;
        if (i == 9 && c > 1)
            return -1;              /* more than 64 bits */
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            if (i > 0 && c == 0)
                return -1;          /* not the shortest form: one image, one encoding */
            *p = q;
            *v = r;
            return 0;
        }
    }
    return -1;
}

static inline uint64_t idxf_zigzag(uint64_t d)
{
    return (d << 1) ^ (uint64_t)((int64_t)d >> 63);
}

static inline uint64_t idxf_unzigzag(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

/* CRC32C (Castagnoli), crc32c.c: SSE4.2 when the CPU has it. */
uint32_t idxf_crc32c(const uint8_t *p, size_t n);

#endif
