/* The index reader (index.h), format version 2 (idxfmt.h, docs/INDEX.md).
 *
 * Opening trusts nothing it uses: the magic, the version, the head's CRC,
 * then every length, offset and count of the header, the chunk table (its
 * CRC, then decoded) and the fence tables, against the image length and
 * each other: head, chunk table and each kind's key blocks tile the image
 * with no gap. idx_open (an image in memory) also checks every block's CRC,
 * so a damaged image is refused whole; idx_open_fd reads only the head and
 * the chunk table, and a key block when a lookup first needs it (its CRC
 * checked then). A block's structure (keys sorted and inside its fences,
 * posting offsets increasing) is checked on its first use, a posting list
 * each time it is walked. A lookup that meets a block it cannot read, whose
 * CRC fails or which is malformed answers every chunk: a superset, so the
 * caller, which runs the whole filter on what it reads, stays exact. */
#include "index/idxfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { BLK_UNCHECKED, BLK_GOOD, BLK_BAD };

struct kblk {
    uint64_t off;               /* in the image */
    uint32_t len, nkeys, crc;
    int state;                  /* BLK_*: checked on first use */
    uint8_t *mem;               /* idx_open_fd: read on first use (owned) */
};

struct kind {
    const uint8_t *fence;       /* nblocks x (klen + IDXF_FENCE_TAIL), in the head */
    uint32_t nkeys, nblocks;
    struct kblk *b;
};

struct idx_priv {
    struct kind k[IDX_K_MAX];
    uint8_t *head;              /* idx_open_fd: the head (owned) */
    int fd;                     /* idx_open_fd's file, else -1 */
    uint64_t bytes_read;
    uint32_t lazy_errors;
};

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        int n = snprintf(err, errlen, "index: ");
        if (n > 0 && (size_t)n < errlen)
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}


/* Decode a posting list, calling set for each chunk (when out is not
 * NULL). Returns the number of chunks, or -1 if the list is not well
 * formed for nchunks. */
static int64_t walk_post(const uint8_t *p, const uint8_t *end, int bitmap, uint32_t nchunks,
                         uint64_t *out)
{
    int64_t n = 0;
    uint64_t v;
    if (p >= end)
        return -1;
    if (!bitmap) {
        uint64_t c = 0;
        for (int first = 1; p < end; first = 0) {
            if (idxf_get_varint(&p, end, 5, &v) || v > UINT32_MAX)
                return -1;
            c = first ? v : c + 1 + v;
            if (c >= nchunks)
                return -1;
            if (out)
                out[c / 64] |= 1ull << (c % 64);
            n++;
        }
        return n;
    }
    if (idxf_get_varint(&p, end, 5, &v) || v >= nchunks || p >= end)
        return -1;
    /* canonical: the base chunk is set, the last byte is not zero */
    if (!(p[0] & 1) || end[-1] == 0)
        return -1;
    uint64_t base = v;
    for (size_t i = 0; p + i < end; i++) {
        uint8_t byte = p[i];
        while (byte) {
            unsigned bit = (unsigned)__builtin_ctz(byte);
            uint64_t c = base + i * 8 + bit;
            if (c >= nchunks)
                return -1;
            if (out)
                out[c / 64] |= 1ull << (c % 64);
            byte &= (uint8_t)(byte - 1);
            n++;
        }
    }
    return n;
}

static int open_chunks(struct idx *x, const uint8_t *p, const uint8_t *end, char *err,
                       size_t errlen)
{
    struct idx_chunk *ch = NULL;
    if (x->nchunks) {
        /* each chunk takes at least 7 bytes: no allocation beyond the image's size */
        if ((uint64_t)x->nchunks * 7 > (uint64_t)(end - p))
            return bad(err, errlen, "%u chunks cannot fit in a chunk table of %zu bytes",
                       x->nchunks, (size_t)(end - p));
        ch = calloc(x->nchunks, sizeof(*ch));
        if (ch == NULL) {
            if (err && errlen)
                snprintf(err, errlen, "index: out of memory for %u chunks", x->nchunks);
            return -ENOMEM;
        }
    }
    x->chunks = ch;
    uint64_t prev_end = 0, prev_ts = 0, recs = 0, tmin = UINT64_MAX, tmax = 0;
    for (uint32_t i = 0; i < x->nchunks; i++) {
        uint64_t v[7];
        for (int j = 0; j < 7; j++)
            if (idxf_get_varint(&p, end, 10, &v[j]))
                return bad(err, errlen, "chunk %u: truncated or malformed varint", i);
        struct idx_chunk *c = &ch[i];
        c->off = prev_end + v[0];
        c->end = c->off + v[1];
        if (c->off < prev_end || v[1] == 0 || c->end < c->off || c->end > x->ident.data_end)
            return bad(err, errlen, "chunk %u: bytes [%llu, %llu) outside the file's records "
                       "(they end at %llu) or out of order", i, (unsigned long long)c->off,
                       (unsigned long long)c->end, (unsigned long long)x->ident.data_end);
        if (v[2] == 0 || v[2] > UINT32_MAX || v[3] > v[2] || v[2] > v[1])
            return bad(err, errlen, "chunk %u: %llu records, %llu opaque in %llu bytes", i,
                       (unsigned long long)v[2], (unsigned long long)v[3],
                       (unsigned long long)v[1]);
        c->records = (uint32_t)v[2];
        c->opaque = (uint32_t)v[3];
        c->ts_first = prev_ts + idxf_unzigzag(v[4]);
        if (v[5] > c->ts_first || c->ts_first + v[6] < c->ts_first)
            return bad(err, errlen, "chunk %u: timestamps out of range", i);
        c->ts_min = c->ts_first - v[5];
        c->ts_max = c->ts_first + v[6];
        recs += c->records;
        tmin = c->ts_min < tmin ? c->ts_min : tmin;
        tmax = c->ts_max > tmax ? c->ts_max : tmax;
        prev_end = c->end;
        prev_ts = c->ts_first;
    }
    if (p != end)
        return bad(err, errlen, "%zu bytes left after %u chunks", (size_t)(end - p), x->nchunks);
    if (recs != x->records)
        return bad(err, errlen, "the chunks hold %llu records, the header says %llu",
                   (unsigned long long)recs, (unsigned long long)x->records);
    if (x->nchunks == 0) {
        if (x->ts_min || x->ts_max || x->ts_first || x->ts_last)
            return bad(err, errlen, "timestamps without records");
    } else if (tmin != x->ts_min || tmax != x->ts_max || x->ts_first != ch[0].ts_first ||
               x->ts_last < x->ts_min || x->ts_last > x->ts_max) {
        return bad(err, errlen, "the header's time range does not match its chunks'");
    }
    return 0;
}

/* Keys compare as big-endian byte strings (memcmp order). */
static inline int key_cmp(const uint8_t *a, const uint8_t *b, unsigned kl)
{
    uint64_t x, y;
    switch (kl) {
    case 1:
        return (int)a[0] - (int)b[0];
    case 2:
        x = (uint64_t)a[0] << 8 | a[1];
        y = (uint64_t)b[0] << 8 | b[1];
        break;
    case 4:
        x = __builtin_bswap32(idxf_get32(a));
        y = __builtin_bswap32(idxf_get32(b));
        break;
    default:
        return memcmp(a, b, kl);
    }
    return (x > y) - (x < y);
}


size_t idx_set_words(const struct idx *x)
{
    size_t n = ((size_t)x->nchunks + 63) / 64;
    return n ? n : 1;
}

static void set_clear(const struct idx *x, uint64_t *out)
{
    memset(out, 0, idx_set_words(x) * sizeof(*out));
}

/* every chunk: the answer to a lookup in a malformed directory or list */
static void set_all(const struct idx *x, uint64_t *out)
{
    set_clear(x, out);
    for (uint32_t i = 0; i < x->nchunks / 64; i++)
        out[i] = ~0ull;
    if (x->nchunks % 64)
        out[x->nchunks / 64] = (1ull << (x->nchunks % 64)) - 1;
}


ssize_t idxf_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* The first bytes of an image of len bytes (avail of them at h, at least
 * 12 or all): magic, version, lengths. Returns the head length, or 0 with
 * err set. */
static uint64_t check_start(const uint8_t *h, size_t avail, uint64_t len, char *err, size_t errlen)
{
    if (avail < 12 || memcmp(h + IDXF_MAGIC, IDX_MAGIC, 8) != 0) {
        if (len < 12)
            bad(err, errlen, "%llu bytes: shorter than the %u-byte header and head checksum",
                (unsigned long long)len, IDXF_HDR_LEN + 4);
        else
            bad(err, errlen, "not a linecap index (bad magic)");
        return 0;
    }
    uint32_t ver = idxf_get32(h + IDXF_VERSION);
    if (ver != IDX_VERSION) {
        bad(err, errlen, "version %u, expected %u", ver, IDX_VERSION);
        return 0;
    }
    if (len < IDXF_HDR_LEN + 4 || avail < IDXF_HDR_LEN) {
        bad(err, errlen, "%llu bytes: shorter than the %u-byte header and head checksum",
            (unsigned long long)len, IDXF_HDR_LEN + 4);
        return 0;
    }
    uint64_t hl = idxf_get32(h + IDXF_HEADLEN);
    if (idxf_get32(h + IDXF_HDRLEN) != IDXF_HDR_LEN || idxf_get64(h + IDXF_IMGLEN) != len) {
        bad(err, errlen, "header says %llu bytes, the image has %llu (torn or padded)",
            (unsigned long long)idxf_get64(h + IDXF_IMGLEN), (unsigned long long)len);
        return 0;
    }
    if (hl < IDXF_HDR_LEN + 4 || hl > len) {
        bad(err, errlen, "head of %llu bytes outside the image's %llu", (unsigned long long)hl,
            (unsigned long long)len);
        return 0;
    }
    return hl;
}

/* The whole head h (hl bytes) of an image of len bytes: its CRC, the
 * header's fields, the kind table and the fences. Sets x's fields and pv's
 * kinds (block arrays allocated). */
static int open_head(struct idx *x, struct idx_priv *pv, const uint8_t *h, uint64_t hl,
                     uint64_t len, char *err, size_t errlen)
{
    uint32_t crc = idxf_crc32c(h, hl - 4);
    if (crc != idxf_get32(h + hl - 4))
        return bad(err, errlen, "head checksum mismatch (0x%08x, stored 0x%08x)", crc,
                   idxf_get32(h + hl - 4));
    x->len = len;
    x->ident.file_size = idxf_get64(h + IDXF_FILESIZE);
    x->ident.data_end = idxf_get64(h + IDXF_DATAEND);
    x->ident.format = idxf_get32(h + IDXF_FORMAT);
    memcpy(x->ident.head, h + IDXF_HEAD, 64);
    x->chunk_bytes = idxf_get32(h + IDXF_CHUNKB);
    x->records = idxf_get64(h + IDXF_RECORDS);
    x->ts_min = idxf_get64(h + IDXF_TSMIN);
    x->ts_max = idxf_get64(h + IDXF_TSMAX);
    x->ts_first = idxf_get64(h + IDXF_TSFIRST);
    x->ts_last = idxf_get64(h + IDXF_TSLAST);
    x->nchunks = idxf_get32(h + IDXF_NCHUNKS);
    uint64_t ctoff = idxf_get64(h + IDXF_CTOFF), ctlen = idxf_get64(h + IDXF_CTLEN);
    if (x->ident.format != IDX_FORMAT_PCAP && x->ident.format != IDX_FORMAT_PCAPNG)
        return bad(err, errlen, "capture format %u: expected 1 (pcap) or 2 (pcapng)",
                   x->ident.format);
    if (idxf_get32(h + IDXF_FLAGS) != 0)
        return bad(err, errlen, "unknown flags 0x%x", idxf_get32(h + IDXF_FLAGS));
    if (x->ident.data_end > x->ident.file_size)
        return bad(err, errlen, "records end at %llu, past the file's %llu bytes",
                   (unsigned long long)x->ident.data_end, (unsigned long long)x->ident.file_size);
    if (x->chunk_bytes < IDX_CHUNK_MIN || x->chunk_bytes > IDX_CHUNK_MAX)
        return bad(err, errlen, "chunk size %u outside %u..%u", x->chunk_bytes, IDX_CHUNK_MIN,
                   IDX_CHUNK_MAX);
    if (ctoff != hl || ctlen > len - hl)
        return bad(err, errlen, "chunk table at %llu (%llu bytes) not right after the head "
                   "inside the image", (unsigned long long)ctoff, (unsigned long long)ctlen);
    if ((x->records == 0) != (x->nchunks == 0))
        return bad(err, errlen, "%llu records in %u chunks", (unsigned long long)x->records,
                   x->nchunks);
    uint64_t fpos = IDXF_HDR_LEN, pos = ctoff + ctlen;
    for (int k = 1; k < IDX_K_MAX; k++) {
        const uint8_t *kt = h + IDXF_KINDS + (size_t)(k - 1) * IDXF_KIND_LEN;
        unsigned kl = idxf_klen[k], fl = kl + IDXF_FENCE_TAIL;
        struct kind *d = &pv->k[k];
        d->nkeys = idxf_get32(kt + 4);
        d->nblocks = idxf_get32(kt + 8);
        uint64_t fo = idxf_get32(kt + 12), bo = idxf_get64(kt + 16), blen = idxf_get64(kt + 24);
        if (idxf_get32(kt) != (uint32_t)k)
            return bad(err, errlen, "kind table entry %d names kind %u", k, idxf_get32(kt));
        if (fo != fpos || (uint64_t)d->nblocks * fl > hl - 4 - fpos || bo != pos ||
            blen > len - pos || d->nblocks > d->nkeys || (d->nkeys == 0) != (d->nblocks == 0))
            return bad(err, errlen, "kind %d: %u keys in %u blocks, fences at %llu, blocks at "
                       "%llu (%llu bytes) do not follow at %llu / %llu inside %llu bytes", k,
                       d->nkeys, d->nblocks, (unsigned long long)fo, (unsigned long long)bo,
                       (unsigned long long)blen, (unsigned long long)fpos,
                       (unsigned long long)pos, (unsigned long long)len);
        d->fence = h + fpos;
        if (d->nblocks) {
            /* bounded by the head's size, which the image holds */
            d->b = calloc(d->nblocks, sizeof(*d->b));
            if (d->b == NULL) {
                if (err && errlen)
                    snprintf(err, errlen, "index: out of memory for %u blocks", d->nblocks);
                return -ENOMEM;
            }
        }
        uint64_t keys = 0, off = bo;
        for (uint32_t j = 0; j < d->nblocks; j++) {
            const uint8_t *f = d->fence + (size_t)j * fl;
            struct kblk *b = &d->b[j];
            b->off = off;
            b->len = idxf_get32(f + kl);
            b->nkeys = idxf_get32(f + kl + 4);
            b->crc = idxf_get32(f + kl + 8);
            /* every key takes its entry and at least one posting byte */
            if (b->nkeys == 0 || b->len > IDXF_POST_OFFMASK ||
                (uint64_t)b->nkeys * (kl + 5) > b->len || b->len > bo + blen - off ||
                (j > 0 && key_cmp(f - fl, f, kl) >= 0) || (k == IDX_K_VLAN && (f[0] & 0xf0)))
                return bad(err, errlen, "kind %d block %u: %u keys in %u bytes at %llu, or its "
                           "first key out of order", k, j, b->nkeys, b->len,
                           (unsigned long long)off);
            keys += b->nkeys;
            off += b->len;
        }
        if (keys != d->nkeys || off != bo + blen)
            return bad(err, errlen, "kind %d: its blocks hold %llu keys in %llu bytes, the "
                       "header says %u in %llu", k, (unsigned long long)keys,
                       (unsigned long long)(off - bo), d->nkeys, (unsigned long long)blen);
        fpos += (uint64_t)d->nblocks * fl;
        pos += blen;
    }
    if (fpos != hl - 4)
        return bad(err, errlen, "%llu bytes between the fences and the head checksum",
                   (unsigned long long)(hl - 4 - fpos));
    if (pos != len)
        return bad(err, errlen, "%llu bytes after the last key block",
                   (unsigned long long)(len - pos));
    return 0;
}

static int open_ct(struct idx *x, const uint8_t *h, const uint8_t *ct, uint64_t ctlen, char *err,
                   size_t errlen)
{
    uint32_t crc = idxf_crc32c(ct, ctlen);
    if (crc != idxf_get32(h + IDXF_CTCRC))
        return bad(err, errlen, "chunk table checksum mismatch (0x%08x, stored 0x%08x)", crc,
                   idxf_get32(h + IDXF_CTCRC));
    return open_chunks(x, ct, ct + ctlen, err, errlen);
}

static struct idx_priv *priv_new(struct idx *x, char *err, size_t errlen)
{
    struct idx_priv *pv = calloc(1, sizeof(*pv));
    if (pv == NULL) {
        if (err && errlen)
            snprintf(err, errlen, "index: out of memory");
        return NULL;
    }
    pv->fd = -1;
    x->priv = pv;
    return pv;
}

int idx_open(struct idx *x, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    memset(x, 0, sizeof(*x));
    if (err && errlen)
        err[0] = '\0';
    uint64_t hl = check_start(buf, len, len, err, errlen);
    if (hl == 0)
        return -EINVAL;
    struct idx_priv *pv = priv_new(x, err, errlen);
    if (pv == NULL)
        return -ENOMEM;
    x->buf = buf;
    int rc = open_head(x, pv, buf, hl, len, err, errlen);
    if (rc == 0)
        rc = open_ct(x, buf, buf + hl, idxf_get64(buf + IDXF_CTLEN), err, errlen);
    /* every block's checksum: a damaged image is refused whole */
    for (int k = 1; rc == 0 && k < IDX_K_MAX; k++)
        for (uint32_t j = 0; rc == 0 && j < pv->k[k].nblocks; j++) {
            const struct kblk *b = &pv->k[k].b[j];
            uint32_t crc = idxf_crc32c(buf + b->off, b->len);
            if (crc != b->crc)
                rc = bad(err, errlen, "kind %d block %u: checksum mismatch (0x%08x, stored "
                         "0x%08x)", k, j, crc, b->crc);
        }
    if (rc)
        idx_close(x);
    return rc;
}

int idx_open_fd(struct idx *x, int fd, uint64_t file_len, char *err, size_t errlen)
{
    memset(x, 0, sizeof(*x));
    if (err && errlen)
        err[0] = '\0';
    struct idx_priv *pv = priv_new(x, err, errlen);
    if (pv == NULL)
        return -ENOMEM;
    int rc = -EINVAL;
    uint8_t *ct = NULL;
    size_t first = file_len < IDXF_HEAD_READ ? (size_t)file_len : IDXF_HEAD_READ;
    uint8_t *h = malloc(IDXF_HEAD_READ);
    if (h == NULL)
        goto nomem;
    pv->head = h;
    ssize_t n = idxf_pread_full(fd, h, first, 0);
    if (n >= 0)
        pv->bytes_read += (uint64_t)n;
    if (n != (ssize_t)first) {
        rc = n < 0 ? (int)n : -EIO;
        bad(err, errlen, "reading the head: %s", n < 0 ? strerror((int)-n) : "short read");
        goto fail;
    }
    uint64_t hl = check_start(h, first, file_len, err, errlen);
    if (hl == 0)
        goto fail;
    if (hl > first) {
        if ((h = realloc(h, hl)) == NULL)
            goto nomem;
        pv->head = h;
        n = idxf_pread_full(fd, h + first, hl - first, first);
        if (n >= 0)
            pv->bytes_read += (uint64_t)n;
        if (n != (ssize_t)(hl - first)) {
            rc = n < 0 ? (int)n : -EIO;
            bad(err, errlen, "reading the head: %s", n < 0 ? strerror((int)-n) : "short read");
            goto fail;
        }
    }
    if ((rc = open_head(x, pv, h, hl, file_len, err, errlen)) != 0)
        goto fail;
    uint64_t ctlen = idxf_get64(h + IDXF_CTLEN);
    if ((ct = malloc(ctlen ? ctlen : 1)) == NULL)
        goto nomem;
    /* the part the first read brought */
    size_t have = first > hl ? first - (size_t)hl : 0;
    have = have < ctlen ? have : (size_t)ctlen;
    memcpy(ct, h + hl, have);
    n = idxf_pread_full(fd, ct + have, ctlen - have, hl + have);
    if (n >= 0)
        pv->bytes_read += (uint64_t)n;
    if (n != (ssize_t)(ctlen - have)) {
        rc = n < 0 ? (int)n : -EIO;
        bad(err, errlen, "reading the chunk table: %s", n < 0 ? strerror((int)-n) : "short read");
        goto fail;
    }
    if ((rc = open_ct(x, h, ct, ctlen, err, errlen)) != 0)
        goto fail;
    free(ct);
    pv->fd = fd;
    x->open_read = pv->bytes_read;
    pv->bytes_read = 0;
    return 0;
nomem:
    rc = -ENOMEM;
    if (err && errlen)
        snprintf(err, errlen, "index: out of memory");
fail:
    free(ct);
    uint64_t got = pv->bytes_read;
    idx_close(x);
    x->open_read = got;
    return rc;
}

void idx_close(struct idx *x)
{
    struct idx_priv *pv = x->priv;
    if (pv) {
        for (int k = 1; k < IDX_K_MAX; k++) {
            for (uint32_t j = 0; pv->k[k].b && j < pv->k[k].nblocks; j++)
                free(pv->k[k].b[j].mem);
            free(pv->k[k].b);
        }
        free(pv->head);
        free(pv);
    }
    free((void *)x->chunks);
    memset(x, 0, sizeof(*x));
}

uint64_t idx_bytes_read(const struct idx *x)
{
    const struct idx_priv *pv = x->priv;
    return x->open_read + (pv ? pv->bytes_read : 0);
}

uint32_t idx_lazy_errors(const struct idx *x)
{
    const struct idx_priv *pv = x->priv;
    return pv ? __atomic_load_n(&pv->lazy_errors, __ATOMIC_RELAXED) : 0;
}


/* The fence of the last block of d whose first key is <= v, or -1. */
static int64_t fence_of(const struct kind *d, unsigned kl, const uint8_t *v)
{
    unsigned fl = kl + IDXF_FENCE_TAIL;
    uint32_t lo = 0, hi = d->nblocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (key_cmp(d->fence + (size_t)mid * fl, v, kl) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int64_t)lo - 1;
}

/* Whether block j of kind k is well formed: keys strictly sorted, the
 * first its fence's value, the last below the next fence's, posting
 * offsets strictly increasing from 0 inside the block's postings (no list
 * is empty), VLAN keys below 4096. */
static bool block_good(const struct kind *d, int k, uint32_t j, const uint8_t *p)
{
    const struct kblk *b = &d->b[j];
    unsigned kl = idxf_klen[k], el = kl + 4, fl = kl + IDXF_FENCE_TAIL;
    uint32_t plen = b->len - b->nkeys * el, prev = 0;
    for (uint32_t i = 0; i < b->nkeys; i++) {
        const uint8_t *e = p + (size_t)i * el;
        uint32_t o = idxf_get32(e + kl) & IDXF_POST_OFFMASK;
        if ((i == 0 && (memcmp(e, d->fence + (size_t)j * fl, kl) != 0 || o != 0)) ||
            (i > 0 && (key_cmp(e - el, e, kl) >= 0 || o <= prev)) || o >= plen ||
            (k == IDX_K_VLAN && (e[0] & 0xf0)))
            return false;
        prev = o;
    }
    const uint8_t *last = p + (size_t)(b->nkeys - 1) * el;
    return j + 1 == d->nblocks || key_cmp(last, d->fence + (size_t)(j + 1) * fl, kl) < 0;
}

/* Block j of kind k, read and checked on first use; NULL when it cannot be
 * read, its checksum fails or it is malformed. */
static const uint8_t *block(const struct idx *x, int k, uint32_t j)
{
    struct idx_priv *pv = x->priv;
    struct kind *d = &pv->k[k];
    struct kblk *b = &d->b[j];
    int st = __atomic_load_n(&b->state, __ATOMIC_RELAXED);
    if (st == BLK_BAD)
        return NULL;
    const uint8_t *p = x->buf ? x->buf + b->off : b->mem;
    if (p == NULL) {
        uint8_t *m = malloc(b->len);
        ssize_t n = m ? idxf_pread_full(pv->fd, m, b->len, b->off) : -ENOMEM;
        if (n > 0)
            pv->bytes_read += (uint64_t)n;
        if (n != (ssize_t)b->len || idxf_crc32c(m, b->len) != b->crc) {
            free(m);
            st = BLK_BAD;
        } else {
            p = b->mem = m;
        }
    }
    if (st == BLK_UNCHECKED)
        st = block_good(d, k, j, p) ? BLK_GOOD : BLK_BAD;
    if (st == BLK_BAD && b->state != BLK_BAD)
        __atomic_fetch_add(&pv->lazy_errors, 1, __ATOMIC_RELAXED);
    /* idempotent in memory: two threads would store the same answer */
    __atomic_store_n(&b->state, st, __ATOMIC_RELAXED);
    return st == BLK_GOOD ? p : NULL;
}

static struct kind *kind_of(const struct idx *x, const struct idx_key *k)
{
    if (x->priv == NULL || k->kind == 0 || k->kind >= IDX_K_MAX || k->len != idxf_klen[k->kind])
        return NULL;
    return &((struct idx_priv *)x->priv)->k[k->kind];
}

/* the blocks of lo's kind that may hold keys in [lo, hi]: [*j0, *j1) */
static struct kind *blocks_of(const struct idx *x, const struct idx_key *lo,
                              const struct idx_key *hi, uint32_t *j0, uint32_t *j1)
{
    struct kind *d = kind_of(x, lo);
    if (d == NULL || hi->kind != lo->kind || hi->len != lo->len || d->nblocks == 0)
        return NULL;
    unsigned kl = idxf_klen[lo->kind];
    int64_t a = fence_of(d, kl, lo->v), b = fence_of(d, kl, hi->v);
    if (b < 0 || b < a)
        return NULL;
    *j0 = a < 0 ? 0 : (uint32_t)a;
    *j1 = (uint32_t)b + 1;
    return d;
}

void idx_lookup(const struct idx *x, const struct idx_key *k, uint64_t *out)
{
    idx_lookup_range(x, k, k, out);
}

void idx_lookup_range(const struct idx *x, const struct idx_key *lo, const struct idx_key *hi,
                      uint64_t *out)
{
    set_clear(x, out);
    uint32_t j0, j1;
    struct kind *d = blocks_of(x, lo, hi, &j0, &j1);
    if (d == NULL)
        return;
    unsigned kl = idxf_klen[lo->kind], el = kl + 4;
    for (uint32_t j = j0; j < j1; j++) {
        const uint8_t *p = block(x, lo->kind, j);
        if (p == NULL) {
            set_all(x, out);
            return;
        }
        const struct kblk *b = &d->b[j];
        const uint8_t *post = p + (size_t)b->nkeys * el, *end = p + b->len;
        /* the first key >= lo */
        uint32_t i = 0, n = b->nkeys;
        while (i < n) {
            uint32_t mid = i + (n - i) / 2;
            if (key_cmp(p + (size_t)mid * el, lo->v, kl) < 0)
                i = mid + 1;
            else
                n = mid;
        }
        for (; i < b->nkeys; i++) {
            const uint8_t *e = p + (size_t)i * el;
            if (key_cmp(e, hi->v, kl) > 0)
                break;
            uint32_t o = idxf_get32(e + kl);
            const uint8_t *s = post + (o & IDXF_POST_OFFMASK);
            const uint8_t *t = i + 1 < b->nkeys
                                   ? post + (idxf_get32(e + el + kl) & IDXF_POST_OFFMASK)
                                   : end;
            if (walk_post(s, t, (o & IDXF_POST_BITMAP) != 0, x->nchunks, out) <= 0) {
                set_all(x, out);
                return;
            }
        }
    }
}

void idx_prefetch(const struct idx *x, const struct idx_key *lo, const struct idx_key *hi)
{
    uint32_t j0, j1;
    struct kind *d = blocks_of(x, lo, hi, &j0, &j1);
    if (d == NULL || x->buf != NULL)
        return;
    int fd = ((struct idx_priv *)x->priv)->fd;
    uint64_t off = 0, len = 0;
    for (uint32_t j = j0; j <= j1; j++) {
        const struct kblk *b = j < j1 ? &d->b[j] : NULL;
        bool want = b && b->mem == NULL && b->state != BLK_BAD;
        if (want && len && off + len == b->off) {
            len += b->len;
            continue;
        }
        if (len)
            posix_fadvise(fd, (off_t)off, (off_t)len, POSIX_FADV_WILLNEED);
        off = want ? b->off : 0;
        len = want ? b->len : 0;
    }
}

bool idx_matches(const struct idx *x, const struct idx_ident *file)
{
    return x->ident.file_size == file->file_size &&
           (file->format == 0 || file->format == x->ident.format) &&
           memcmp(x->ident.head, file->head, sizeof(file->head)) == 0;
}

void idx_time(const struct idx *x, uint64_t from_ns, uint64_t to_ns, uint64_t *out)
{
    set_clear(x, out);
    for (uint32_t i = 0; i < x->nchunks; i++)
        if (x->chunks[i].ts_max >= from_ns && x->chunks[i].ts_min <= to_ns)
            out[i / 64] |= 1ull << (i % 64);
}

void idx_opaque(const struct idx *x, uint64_t *out)
{
    set_clear(x, out);
    for (uint32_t i = 0; i < x->nchunks; i++)
        if (x->chunks[i].opaque)
            out[i / 64] |= 1ull << (i % 64);
}
