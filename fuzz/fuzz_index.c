/* The index reader and plans on any bytes. The first byte picks:
 *   0  the rest as an index image, as it is (the checksums guard it);
 *   1  the same with its checksums recomputed (head, chunk table, blocks:
 *      idxf_fix_crcs), so the structure checks behind them are what the
 *      fuzzer reaches;
 *   2  the rest as a capture file for idx_build_fd: what it builds must
 *      open, with as many records as the chunks hold;
 *   3  the rest as a filter expression, compiled to a plan and run on a
 *      small built index;
 *   4  as 1, read through a file (a memfd: idx_open_fd, blocks read on
 *      lookup); 5: as 0 through a file.
 * An image idx_open accepts must open through a file too, and answer the
 * same (both paths check every block they use).
 * Whatever opens must answer inside its chunks: lookups, ranges, time,
 * opaque and plans set no bit at or past nchunks. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "index/idxfmt.h"
#include "index/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *exprs[] = {
    "host 10.0.0.1", "port 80 or 443", "tcp and not udp", "vlan 10 and host 10.0.0.2",
    "net 10.0.0.0/8 or host 2001:db8::1", "portrange 1-1000 and icmp", "proto 17",
};

static void answers(const struct idx *x, const uint8_t *keys, size_t nk)
{
    size_t w = idx_set_words(x);
    uint64_t *set = calloc(w, sizeof(*set));
    if (set == NULL)
        return;
#define INSIDE()                                                     \
    do {                                                             \
        for (size_t b = x->nchunks; b < w * 64; b++)                 \
            if ((set[b / 64] >> (b % 64)) & 1)                       \
                abort();                                             \
    } while (0)
    for (uint8_t kind = 0; kind <= IDX_K_MAX; kind++) {
        struct idx_key k = { kind, kind < IDX_K_MAX ? idxf_klen[kind] : 3, { 0 } };
        memcpy(k.v, keys, nk < 16 ? nk : 16);
        idx_lookup(x, &k, set);
        INSIDE();
        struct idx_key hi = k;
        memset(hi.v, 0xff, sizeof(hi.v));
        idx_lookup_range(x, &k, &hi, set);
        INSIDE();
    }
    idx_time(x, x->ts_min, x->ts_min + (x->ts_max - x->ts_min) / 2, set);
    INSIDE();
    idx_opaque(x, set);
    INSIDE();
    for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
        struct idx_plan *p;
        if (idx_plan_compile(exprs[i], &p, NULL, 0) == 0) {
            idx_plan_eval(p, x, set);
            INSIDE();
            idx_plan_free(p);
        }
    }
    uint64_t recs = 0;
    for (uint32_t c = 0; c < x->nchunks; c++) {
        if (x->chunks[c].end <= x->chunks[c].off || x->chunks[c].end > x->ident.data_end ||
            x->chunks[c].opaque > x->chunks[c].records)
            abort();
        recs += x->chunks[c].records;
    }
    if (recs != x->records)
        abort();
    free(set);
}

static void image(const uint8_t *p, size_t n)
{
    struct idx x;
    char err[256];
    if (idx_open(&x, p, n, err, sizeof(err)) == 0) {
        answers(&x, p + (n > 200 ? 180 : 0), n > 200 ? 16 : 0);
        idx_close(&x);
    }
}

/* through a file: whatever opens answers inside its chunks; what idx_open
 * accepts opens, and its lookups answer as idx_open's */
static void image_fd(const uint8_t *p, size_t n)
{
    int fd = memfd_create("fuzz_index", 0);
    if (fd < 0)
        return;
    struct idx x, y;
    char err[256];
    if (write(fd, p, n) == (ssize_t)n && idx_open_fd(&y, fd, n, err, sizeof(err)) == 0) {
        const uint8_t *keys = p + (n > 200 ? 180 : 0);
        size_t nk = n > 200 ? 16 : 0;
        if (idx_open(&x, p, n, NULL, 0) == 0) {
            size_t w = idx_set_words(&x);
            uint64_t *a = calloc(w, 8), *b = calloc(w, 8);
            for (uint8_t kind = 1; a && b && kind < IDX_K_MAX; kind++) {
                struct idx_key k = { kind, idxf_klen[kind], { 0 } }, hi = k;
                memcpy(k.v, keys, nk);
                memset(hi.v, 0xff, sizeof(hi.v));
                idx_prefetch(&y, &k, &hi);
                idx_lookup(&x, &k, a);
                idx_lookup(&y, &k, b);
                if (memcmp(a, b, w * 8) != 0)
                    abort();
                idx_lookup_range(&x, &k, &hi, a);
                idx_lookup_range(&y, &k, &hi, b);
                if (memcmp(a, b, w * 8) != 0)
                    abort();
            }
            free(a);
            free(b);
            idx_close(&x);
        }
        answers(&y, keys, nk);
        idx_close(&y);
    } else if (idx_open(&x, p, n, NULL, 0) == 0) {
        abort();                /* the memory path accepts what the file path refuses */
    }
    close(fd);
}

/* a small index of a few frames (mode 3) */
static uint8_t *small(size_t *len)
{
    static const uint8_t f[] = {
        2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 0x81, 0, 0, 10, 8, 0,
        0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        0x04, 0xd2, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0, 0, 0, 0, 0, 0, 0,
    };
    struct idx_builder *b = idx_builder_new();
    uint8_t *img = NULL;
    if (b == NULL)
        return NULL;
    idx_builder_set_chunk_bytes(b, 512);
    for (unsigned i = 0; i < 200; i++)
        idx_builder_add(b, 24 + i * 100ull, 100, i, f, i % 7 ? sizeof(f) : 20, 1);
    struct idx_ident id = { .file_size = 20024, .data_end = 20024, .format = 1 };
    if (idx_builder_finish(b, &id, &img, len))
        img = NULL;
    idx_builder_free(b);
    return img;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 6;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    if (mode == 0) {
        image(p, n);
    } else if (mode == 1 || mode == 4) {
        uint8_t *c = malloc(n ? n : 1);
        if (c == NULL)
            return 0;
        memcpy(c, p, n);
        idxf_fix_crcs(c, n);
        if (mode == 1)
            image(c, n);
        else
            image_fd(c, n);
        free(c);
    } else if (mode == 5) {
        image_fd(p, n);
    } else if (mode == 2) {
        int fd = memfd_create("fuzz_index", 0);
        if (fd < 0)
            return 0;
        if (write(fd, p, n) == (ssize_t)n) {
            uint8_t *img;
            size_t len;
            char err[256];
            if (idx_build_fd(fd, &img, &len, err, sizeof(err)) == 0) {
                struct idx x;
                if (idx_open(&x, img, len, err, sizeof(err)) != 0)
                    abort();                    /* the builder wrote what the reader refuses */
                if (n % 2)
                    image_fd(img, len);
                if (x.ident.file_size != n || x.ident.data_end > n)
                    abort();
                answers(&x, p, n < 16 ? n : 16);
                idx_close(&x);
                free(img);
            }
        }
        close(fd);
    } else {
        static uint8_t *img;
        static size_t len;
        static struct idx x;
        if (img == NULL) {
            img = small(&len);
            if (img == NULL || idx_open(&x, img, len, NULL, 0) != 0)
                abort();
        }
        char *e = malloc(n + 1);
        if (e == NULL)
            return 0;
        memcpy(e, p, n);
        e[n] = '\0';
        struct idx_plan *pl;
        if (idx_plan_compile(e, &pl, NULL, 0) == 0) {
            uint64_t set[4];
            idx_plan_eval(pl, &x, set);
            for (size_t b = x.nchunks; b < idx_set_words(&x) * 64; b++)
                if ((set[b / 64] >> (b % 64)) & 1)
                    abort();
            idx_plan_free(pl);
        }
        free(e);
    }
    return 0;
}
