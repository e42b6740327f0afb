/* The index image layout, version 2 (docs/INDEX.md), shared by the builder
 * and the reader; private to src/index. Every integer is little-endian; the
 * sections follow each other in this order with no gap, and end at the
 * image's end:
 *
 *   head: header (IDXF_HDR_LEN bytes, the kind table at its end), the fence
 *         tables of kinds 1..IDX_K_MAX-1, CRC32C of the head before it (u32)
 *   chunk table (varints; its CRC32C in the header)
 *   for each kind 1..IDX_K_MAX-1: its key blocks, each = directory
 *         (nkeys x (value + u32)) then postings; each block's CRC32C is in
 *         its fence
 *
 * A reader of one key reads the head, the chunk table and one block.
 */
#ifndef LC_INDEX_IDXFMT_H
#define LC_INDEX_IDXFMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "index/index.h"

#include <sys/types.h>

/* pread until n bytes or the end of the file (EINTR retried): the bytes
 * read, or -errno. read.c; extract.c uses it too. */
ssize_t idxf_pread_full(int fd, void *buf, size_t n, uint64_t off);

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
#define IDXF_CTCRC 176          /* u32 CRC32C of the chunk table */
#define IDXF_HEADLEN 180        /* u32 head length: header, fences, head CRC */
#define IDXF_KINDS 184          /* IDXF_NKINDS x 32 bytes: */
#define IDXF_KIND_LEN 32        /*   u32 kind, u32 nkeys, u32 nblocks, u32 fence table offset
                                 *   (in the head), u64 blocks offset, u64 blocks length */
#define IDXF_HDR_LEN (IDXF_KINDS + IDXF_NKINDS * IDXF_KIND_LEN)
_Static_assert(IDXF_HDR_LEN == 344, "docs/INDEX.md: the header is 344 bytes");

/* A fence (one per key block, in the head): the block's first value (the
 * kind's value length), then u32 block length, u32 keys, u32 CRC32C of the
 * block. The blocks of a kind tile its blocks section in fence order: a
 * block's offset is the sum of the lengths before it. */
#define IDXF_FENCE_TAIL 12
/* The builder closes a block at IDXF_BLOCK_KEYS keys or once it holds
 * IDXF_BLOCK_BYTES bytes: a one-key lookup reads about 4 KiB of keys and
 * postings (docs/INDEX.md). */
#define IDXF_BLOCK_KEYS 256u
#define IDXF_BLOCK_BYTES 4096u
/* what a reader reads first: the head, usually whole */
#define IDXF_HEAD_READ 4096u

/* a directory entry's u32: offset of its posting list in its block's
 * postings; the list ends where the next entry's starts (the last: at the
 * block's end) */
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

/* Recompute every checksum of an image in place (chunk table, key blocks,
 * then the head), staying in bounds whatever it holds: for tests and the
 * fuzzer, to reach the checks behind the checksums. */
static inline void idxf_fix_crcs(uint8_t *img, size_t len)
{
    if (len < IDXF_HDR_LEN + 4)
        return;
    uint64_t hl = idxf_get32(img + IDXF_HEADLEN);
    uint64_t ctoff = idxf_get64(img + IDXF_CTOFF), ctlen = idxf_get64(img + IDXF_CTLEN);
    if (ctoff <= len && ctlen <= len - ctoff)
        idxf_put32(img + IDXF_CTCRC, idxf_crc32c(img + ctoff, ctlen));
    for (int k = 1; k < IDX_K_MAX; k++) {
        const uint8_t *kt = img + IDXF_KINDS + (size_t)(k - 1) * IDXF_KIND_LEN;
        unsigned fl = idxf_klen[k] + IDXF_FENCE_TAIL;
        uint64_t nb = idxf_get32(kt + 8), f = idxf_get32(kt + 12), off = idxf_get64(kt + 16);
        for (uint64_t j = 0; j < nb && f + fl <= len; j++, f += fl) {
            uint64_t bl = idxf_get32(img + f + idxf_klen[k]);
            if (off > len || bl > len - off)
                break;
            idxf_put32(img + f + idxf_klen[k] + 8, idxf_crc32c(img + off, bl));
            off += bl;
        }
    }
    if (hl >= IDXF_HDR_LEN + 4 && hl <= len)
        idxf_put32(img + hl - 4, idxf_crc32c(img, hl - 4));
}

#endif
