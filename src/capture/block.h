/* Blocks: the unit handed from a receive lcore to the writer.
 *
 * Each receive stream encodes one continuous byte stream per output file.
 * A block carries the bytes of that stream at [file_off, file_off + len),
 * file_off always a multiple of 4096, so the writer can write it with
 * O_DIRECT in place: no copy between receive and disk. Full blocks are
 * exactly the pool's block size long and records may straddle two blocks. When the
 * stream is idle a partial block is flushed; its unaligned tail (< 4096 B)
 * is copied to the start of the next block, which rewrites that page. */
#ifndef LC_BLOCK_H
#define LC_BLOCK_H

#include <stdint.h>

#define BLOCK_SIZE_MAX (4u << 20)     /* the default: one 4 MiB direct write per block */
#define BLOCK_SIZE_MIN (64u << 10)    /* for small rotated files */
#define BLOCK_ALIGN 4096u
#define BLOCK_MAX_SRC 8         /* (port, queue) sources per receive stream */

enum {
    BLOCK_FILE_START = 1u << 0, /* first block of a file (starts with its header) */
    BLOCK_FILE_END = 1u << 1,   /* last block of a file: close it after writing */
};

struct block {
    uint8_t *data;              /* pool->bsize bytes, BLOCK_ALIGN-aligned */
    uint32_t len;
    uint32_t flags;
    uint16_t stream;
    uint64_t file_off;          /* file offset of data[0] */
    uint64_t rec_end;           /* file offset past the last record that ends here; 0: none */
    uint64_t file_seq;          /* 1-based file number within the stream */
    uint64_t file_start_ns;     /* with BLOCK_FILE_START: when the file was started */
    uint64_t ts_first, ts_last; /* timestamps of the first/last record ending here */
    uint32_t nrec[BLOCK_MAX_SRC];   /* records that end in this block, per source */
    uint64_t nbytes[BLOCK_MAX_SRC]; /* their record bytes */
};

struct block_pool {
    struct block *blocks;
    unsigned n;
    uint32_t bsize;             /* bytes per block, a power of two */
    uint8_t *mem;
    uint64_t mem_len;
    int hugepages;              /* 1 if backed by 2 MiB pages */
};

/* Allocate n blocks of bsize bytes, from 2 MiB hugepages when possible
 * (each direct write then needs few segments), else ordinary pages.
 * Returns 0 or -errno. */
int block_pool_init(struct block_pool *p, unsigned n, uint32_t bsize);

/* Block size for a run: BLOCK_SIZE_MAX, or smaller when every file is
 * expected to be small (rotation by a small size or packet count), so that
 * many short files in flight to the writer do not each pin 4 MiB. */
uint32_t block_size_for(uint64_t file_bytes_hint);
void block_pool_free(struct block_pool *p);

/* Blocks one receive stream may hold at least: the one it fills, a spare
 * for a record that straddles, and two with the writer, so that every
 * stream keeps writing whatever the others do. */
#define BLOCK_MIN_PER_STREAM 4u

struct block_plan {
    uint32_t bsize;             /* bytes per block, a power of two */
    unsigned n;                 /* blocks in the pool */
    unsigned per_stream;        /* most blocks one stream may hold: its fair share */
};

/* The pool for pool_bytes shared by nstreams streams. The block size is
 * block_size_for(hint), raised to hold the largest record (max_rec: a record
 * then spans at most two blocks, the current one and the spare) and twice
 * the file header plus trailer (hdr_trl: the first block holds the header),
 * then lowered (not below those) until every stream gets
 * BLOCK_MIN_PER_STREAM blocks. Returns 0, or -ENOSPC when pool_bytes is too
 * small even so, with *min_bytes the smallest pool that works. Pure. */
int block_plan(uint64_t pool_bytes, unsigned nstreams, uint64_t hint, uint32_t max_rec,
               uint32_t hdr_trl, struct block_plan *out, uint64_t *min_bytes);

#endif
