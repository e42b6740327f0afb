/* The index reader (index.h). idx_open trusts nothing it uses: the magic,
 * the version, the checksum, then every length, offset and count of the
 * header, the chunk table (decoded) and the kind table against the image
 * and against each other, the sections laid end to end with no gap. It
 * does not walk the key directories nor the posting lists: a query needs
 * one kind's directory and a few keys' postings per file, and a store
 * opens a thousand indexes. A kind's directory is checked (strictly
 * sorted, posting offsets increasing and inside the postings) on its first
 * lookup, and a posting list when it is walked (chunk ids below nchunks,
 * increasing). A lookup that finds either malformed answers every chunk:
 * a superset, so the caller's answer stays exact. */
#include "index/idxfmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum { DIR_UNCHECKED, DIR_GOOD, DIR_BAD };

struct kdir {
    const uint8_t *dir;         /* nkeys x (klen + 4) */
    const uint8_t *post;
    uint32_t nkeys;
    uint32_t plen;
    int state;                  /* DIR_*: checked on first use (atomic) */
};

struct idx_priv {
    struct kdir k[IDX_K_MAX];
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

/* posting list i of kind dir d: [*s, *e) in d->post, and whether a bitmap */
static void post_span(const struct kdir *d, unsigned klen, uint32_t i, const uint8_t **s,
                      const uint8_t **e, int *bitmap)
{
    uint32_t o = idxf_get32(d->dir + (size_t)i * (klen + 4) + klen);
    uint32_t o2 = i + 1 < d->nkeys ? idxf_get32(d->dir + (size_t)(i + 1) * (klen + 4) + klen)
                                   : d->plen;
    o2 &= IDXF_POST_OFFMASK;
    *bitmap = (o & IDXF_POST_BITMAP) != 0;
    o &= IDXF_POST_OFFMASK;
    if (o > d->plen || o2 > d->plen || o2 < o)
        o = o2 = 0;             /* not after dir_good: an empty list, malformed */
    *s = d->post + o;
    *e = d->post + o2;
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

static int open_kinds(struct idx *x, struct idx_priv *pv, size_t pos, char *err, size_t errlen)
{
    const uint8_t *b = x->buf;
    size_t limit = x->len - 4;
    for (int k = 1; k < IDX_K_MAX; k++) {
        const uint8_t *kt = b + IDXF_KINDS + (size_t)(k - 1) * IDXF_KIND_LEN;
        unsigned kl = idxf_klen[k];
        uint32_t nkeys = idxf_get32(kt + 4);
        uint64_t dir = idxf_get64(kt + 8), post = idxf_get64(kt + 16), plen = idxf_get64(kt + 24);
        if (idxf_get32(kt) != (uint32_t)k)
            return bad(err, errlen, "kind table entry %d names kind %u", k, idxf_get32(kt));
        if (dir != pos || (uint64_t)nkeys * (kl + 4) > limit - pos ||
            post != dir + (uint64_t)nkeys * (kl + 4) || plen > limit - post ||
            plen > IDXF_POST_OFFMASK)
            return bad(err, errlen, "kind %d: directory at %llu (%u keys), postings at %llu "
                       "(%llu bytes) do not follow at %zu inside %zu bytes", k,
                       (unsigned long long)dir, nkeys, (unsigned long long)post,
                       (unsigned long long)plen, pos, x->len);
        struct kdir *d = &pv->k[k];
        d->dir = b + dir;
        d->nkeys = nkeys;
        d->post = b + post;
        d->plen = (uint32_t)plen;
        if (nkeys == 0 && plen != 0)
            return bad(err, errlen, "kind %d: postings without keys", k);
        pos = post + plen;
    }
    if (pos != limit)
        return bad(err, errlen, "%zu bytes between the last section and the checksum", limit - pos);
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

/* Whether kind k's directory is well formed: keys strictly sorted, posting
 * offsets strictly increasing from 0 and inside the postings (so no list is
 * empty), VLAN keys below 4096. Checked once, on first use. */
static bool dir_good(struct kdir *d, int k)
{
    int st = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
    if (st != DIR_UNCHECKED)
        return st == DIR_GOOD;
    unsigned kl = idxf_klen[k];
    uint32_t prev_off = 0;
    st = DIR_GOOD;
    for (uint32_t i = 0; i < d->nkeys; i++) {
        const uint8_t *e = d->dir + (size_t)i * (kl + 4);
        uint32_t o = idxf_get32(e + kl) & IDXF_POST_OFFMASK;
        if ((i > 0 && key_cmp(e - (kl + 4), e, kl) >= 0) || (i == 0 && o != 0) ||
            (i > 0 && o <= prev_off) || o >= d->plen || (k == IDX_K_VLAN && (e[0] & 0xf0))) {
            st = DIR_BAD;
            break;
        }
        prev_off = o;
    }
    /* idempotent: two threads would store the same answer */
    __atomic_store_n(&d->state, st, __ATOMIC_RELAXED);
    return st == DIR_GOOD;
}

int idx_open(struct idx *x, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    memset(x, 0, sizeof(*x));
    if (err && errlen)
        err[0] = '\0';
    if (len < IDXF_HDR_LEN + 4)
        return bad(err, errlen, "%zu bytes: shorter than the %u-byte header and checksum", len,
                   IDXF_HDR_LEN + 4);
    if (memcmp(buf + IDXF_MAGIC, IDX_MAGIC, 8) != 0)
        return bad(err, errlen, "not a linecap index (bad magic)");
    uint32_t ver = idxf_get32(buf + IDXF_VERSION);
    if (ver != IDX_VERSION)
        return bad(err, errlen, "version %u: expected %u", ver, IDX_VERSION);
    if (idxf_get32(buf + IDXF_HDRLEN) != IDXF_HDR_LEN || idxf_get64(buf + IDXF_IMGLEN) != len)
        return bad(err, errlen, "header says %llu bytes, the image has %zu (torn or padded)",
                   (unsigned long long)idxf_get64(buf + IDXF_IMGLEN), len);
    uint32_t crc = idxf_crc32c(buf, len - 4);
    if (crc != idxf_get32(buf + len - 4))
        return bad(err, errlen, "checksum mismatch (0x%08x, stored 0x%08x)", crc,
                   idxf_get32(buf + len - 4));
    x->buf = buf;
    x->len = len;
    x->ident.file_size = idxf_get64(buf + IDXF_FILESIZE);
    x->ident.data_end = idxf_get64(buf + IDXF_DATAEND);
    x->ident.format = idxf_get32(buf + IDXF_FORMAT);
    memcpy(x->ident.head, buf + IDXF_HEAD, 64);
    x->chunk_bytes = idxf_get32(buf + IDXF_CHUNKB);
    x->records = idxf_get64(buf + IDXF_RECORDS);
    x->ts_min = idxf_get64(buf + IDXF_TSMIN);
    x->ts_max = idxf_get64(buf + IDXF_TSMAX);
    x->ts_first = idxf_get64(buf + IDXF_TSFIRST);
    x->ts_last = idxf_get64(buf + IDXF_TSLAST);
    x->nchunks = idxf_get32(buf + IDXF_NCHUNKS);
    uint64_t ctoff = idxf_get64(buf + IDXF_CTOFF), ctlen = idxf_get64(buf + IDXF_CTLEN);
    int rc;
    if (x->ident.format != IDX_FORMAT_PCAP && x->ident.format != IDX_FORMAT_PCAPNG)
        rc = bad(err, errlen, "capture format %u: expected 1 (pcap) or 2 (pcapng)", x->ident.format);
    else if (idxf_get32(buf + IDXF_FLAGS) != 0)
        rc = bad(err, errlen, "unknown flags 0x%x", idxf_get32(buf + IDXF_FLAGS));
    else if (x->ident.data_end > x->ident.file_size)
        rc = bad(err, errlen, "records end at %llu, past the file's %llu bytes",
                 (unsigned long long)x->ident.data_end, (unsigned long long)x->ident.file_size);
    else if (x->chunk_bytes < IDX_CHUNK_MIN || x->chunk_bytes > IDX_CHUNK_MAX)
        rc = bad(err, errlen, "chunk size %u outside %u..%u", x->chunk_bytes, IDX_CHUNK_MIN,
                 IDX_CHUNK_MAX);
    else if (ctoff != IDXF_HDR_LEN || ctlen > len - 4 - IDXF_HDR_LEN)
        rc = bad(err, errlen, "chunk table at %llu (%llu bytes) outside the image",
                 (unsigned long long)ctoff, (unsigned long long)ctlen);
    else if ((x->records == 0) != (x->nchunks == 0))
        rc = bad(err, errlen, "%llu records in %u chunks", (unsigned long long)x->records,
                 x->nchunks);
    else
        rc = open_chunks(x, buf + ctoff, buf + ctoff + ctlen, err, errlen);
    if (rc == 0) {
        struct idx_priv *pv = calloc(1, sizeof(*pv));
        if (pv == NULL) {
            if (err && errlen)
                snprintf(err, errlen, "index: out of memory");
            rc = -ENOMEM;
        } else {
            x->priv = pv;
            rc = open_kinds(x, pv, (size_t)(ctoff + ctlen), err, errlen);
        }
    }
    if (rc)
        idx_close(x);
    return rc;
}

void idx_close(struct idx *x)
{
    free((void *)x->chunks);
    free(x->priv);
    memset(x, 0, sizeof(*x));
}

bool idx_matches(const struct idx *x, const struct idx_ident *file)
{
    return x->ident.file_size == file->file_size &&
           (file->format == 0 || file->format == x->ident.format) &&
           memcmp(x->ident.head, file->head, sizeof(file->head)) == 0;
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

/* The directory index of the first key of kind k >= v (nkeys if none). */
static uint32_t lower_bound(const struct kdir *d, unsigned kl, const uint8_t *v)
{
    uint32_t lo = 0, hi = d->nkeys;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (key_cmp(d->dir + (size_t)mid * (kl + 4), v, kl) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct kdir *kind_dir(const struct idx *x, const struct idx_key *k)
{
    if (x->priv == NULL || k->kind == 0 || k->kind >= IDX_K_MAX || k->len != idxf_klen[k->kind])
        return NULL;
    return &((struct idx_priv *)x->priv)->k[k->kind];
}

void idx_lookup(const struct idx *x, const struct idx_key *k, uint64_t *out)
{
    idx_lookup_range(x, k, k, out);
}

void idx_lookup_range(const struct idx *x, const struct idx_key *lo, const struct idx_key *hi,
                      uint64_t *out)
{
    set_clear(x, out);
    struct kdir *d = kind_dir(x, lo);
    if (d == NULL || hi->kind != lo->kind || hi->len != lo->len)
        return;
    if (!dir_good(d, lo->kind)) {
        set_all(x, out);
        return;
    }
    unsigned kl = idxf_klen[lo->kind];
    for (uint32_t i = lower_bound(d, kl, lo->v); i < d->nkeys; i++) {
        if (key_cmp(d->dir + (size_t)i * (kl + 4), hi->v, kl) > 0)
            break;
        const uint8_t *s, *e;
        int bm;
        post_span(d, kl, i, &s, &e, &bm);
        if (walk_post(s, e, bm, x->nchunks, out) <= 0) {
            set_all(x, out);
            return;
        }
    }
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
