/* The index builder (index.h): keys of every record, chunks, posting lists,
 * and the image (layout: idxfmt.h, docs/INDEX.md).
 *
 * Per record: the frame's headers are read once (keys_of), each key is
 * looked up in one open-addressing hash table, and only a key not yet seen
 * in the current chunk appends a delta varint to its posting list. Posting
 * lists grow in 32-byte segments from one pool; the pool, the table, the
 * key array and the chunk array grow by doubling, so a steady-state add
 * allocates nothing. Measured with bench/idxbuild.c (docs/INDEX.md). */
#include "index/idxfmt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SEG_DATA 28u
#define LINKTYPE_ETHERNET 1u
#define LINKTYPE_RAW 101u
#define MAX_TAGS 8

struct seg {
    uint32_t next;              /* index in the pool, 0: none */
    uint8_t d[SEG_DATA];
};

struct ent {
    uint64_t a, b;              /* the value's bytes, zero padded (16 bytes) */
    uint32_t last;              /* last chunk posted + 1; 0: none */
    uint32_t first;             /* first chunk posted */
    uint32_t nbytes;            /* bytes of delta varints */
    uint32_t head, tail;        /* segment chain */
    uint8_t kind;
    uint8_t fill;               /* bytes used in the tail segment */
};

struct bchunk {
    uint64_t off, end, ts_first, ts_min, ts_max;
    uint32_t records, opaque;
};

struct idx_builder {
    uint32_t chunk_bytes;
    int err;                    /* sticky: -ENOMEM */
    /* keys */
    struct ent *ent;
    uint32_t nent, capent;
    uint32_t *slot;             /* entry index + 1, 0: empty */
    uint32_t nslot;             /* power of two */
    /* posting segments (index 0 unused) */
    struct seg *seg;
    uint32_t nseg, capseg;
    /* chunks */
    struct bchunk *ch;
    uint32_t nch, capch;
    uint32_t cur;               /* current chunk id (nch - 1) */
    /* file */
    uint64_t records, ts_min, ts_max, ts_first, ts_last;
};

static int grow(void **p, uint32_t *cap, size_t elem, uint32_t need)
{
    if (need <= *cap)
        return 0;
    uint64_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX / 2)
        return -ENOMEM;
    void *q = realloc(*p, (size_t)n * elem);
    if (q == NULL)
        return -ENOMEM;
    *p = q;
    *cap = (uint32_t)n;
    return 0;
}

struct idx_builder *idx_builder_new(void)
{
    struct idx_builder *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->chunk_bytes = IDX_CHUNK_BYTES;
    b->nslot = 1u << 13;
    b->slot = calloc(b->nslot, sizeof(*b->slot));
    b->nseg = 1;
    if (b->slot == NULL || grow((void **)&b->ent, &b->capent, sizeof(*b->ent), 4096) ||
        grow((void **)&b->seg, &b->capseg, sizeof(*b->seg), 4096) ||
        grow((void **)&b->ch, &b->capch, sizeof(*b->ch), 1024)) {
        idx_builder_free(b);
        return NULL;
    }
    return b;
}

int idx_builder_set_chunk_bytes(struct idx_builder *b, uint32_t bytes)
{
    if (bytes < IDX_CHUNK_MIN || bytes > IDX_CHUNK_MAX || b->nch)
        return -EINVAL;
    b->chunk_bytes = bytes;
    return 0;
}

void idx_builder_reset(struct idx_builder *b)
{
    memset(b->slot, 0, (size_t)b->nslot * sizeof(*b->slot));
    b->nent = 0;
    b->nseg = 1;
    b->nch = 0;
    b->cur = 0;
    b->err = 0;
    b->records = b->ts_min = b->ts_max = b->ts_first = b->ts_last = 0;
}

void idx_builder_free(struct idx_builder *b)
{
    if (b == NULL)
        return;
    free(b->ent);
    free(b->slot);
    free(b->seg);
    free(b->ch);
    free(b);
}

/* ---- keys ---- */

static inline uint32_t hash_of(uint64_t a, uint64_t bb, uint8_t kind)
{
    uint64_t h = (a ^ (bb * 0x9E3779B97F4A7C15ull) ^ kind) * 0xC2B2AE3D27D4EB4Full;
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static int rehash(struct idx_builder *b)
{
    uint32_t n = b->nslot * 2;
    uint32_t *s = calloc(n, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < b->nent; i++) {
        const struct ent *e = &b->ent[i];
        uint32_t h = hash_of(e->a, e->b, e->kind) & (n - 1);
        while (s[h])
            h = (h + 1) & (n - 1);
        s[h] = i + 1;
    }
    free(b->slot);
    b->slot = s;
    b->nslot = n;
    return 0;
}

static int new_seg(struct idx_builder *b, uint32_t *idx)
{
    if (b->nseg == b->capseg && grow((void **)&b->seg, &b->capseg, sizeof(*b->seg), b->nseg + 1))
        return -ENOMEM;
    *idx = b->nseg++;
    b->seg[*idx].next = 0;
    return 0;
}

/* Append chunk cur to e's posting list (cur > e's last). */
static int post(struct idx_builder *b, struct ent *e, uint32_t cur)
{
    uint8_t v[5];
    unsigned n = idxf_put_varint(v, e->last ? (uint64_t)(cur - e->last) : cur);
    for (unsigned i = 0; i < n; i++) {
        if (e->fill == SEG_DATA || e->tail == 0) {
            uint32_t s;
            if (new_seg(b, &s))
                return -ENOMEM;
            if (e->tail)
                b->seg[e->tail].next = s;
            else
                e->head = s;
            e->tail = s;
            e->fill = 0;
        }
        b->seg[e->tail].d[e->fill++] = v[i];
    }
    if (e->last == 0)
        e->first = cur;
    e->nbytes += n;
    e->last = cur + 1;
    return 0;
}

/* Note key (kind, a, bb) in the current chunk. */
static inline void key(struct idx_builder *b, uint8_t kind, uint64_t a, uint64_t bb)
{
    uint32_t mask = b->nslot - 1, h = hash_of(a, bb, kind) & mask;
    uint32_t s;
    while ((s = b->slot[h]) != 0) {
        struct ent *e = &b->ent[s - 1];
        if (e->a == a && e->b == bb && e->kind == kind) {
            if (e->last != b->cur + 1 && post(b, e, b->cur))
                b->err = -ENOMEM;
            return;
        }
        h = (h + 1) & mask;
    }
    /* a new key */
    if (b->nent == b->capent && grow((void **)&b->ent, &b->capent, sizeof(*b->ent), b->nent + 1)) {
        b->err = -ENOMEM;
        return;
    }
    struct ent *e = &b->ent[b->nent];
    memset(e, 0, sizeof(*e));
    e->a = a;
    e->b = bb;
    e->kind = kind;
    if (post(b, e, b->cur)) {
        b->err = -ENOMEM;
        return;
    }
    b->slot[h] = ++b->nent;
    if ((uint64_t)b->nent * 2 > b->nslot && rehash(b))
        b->err = -ENOMEM;
}

static inline uint64_t ld(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, p, n);
    return v;
}

static inline unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static inline void key_ports(struct idx_builder *b, const uint8_t *l4)
{
    key(b, IDX_K_PORT, ld(l4, 2), 0);
    key(b, IDX_K_PORT, ld(l4 + 2, 2), 0);
}

static inline bool l4_has_ports(unsigned proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

/* IPv4 at p: the bytes libpcap reads for host/proto/port, wherever the
 * version nibble points (libpcap reads offsets, not versions, after the
 * ethertype). Non-first fragments carry no ports (libpcap's port tests
 * skip them). Returns whether the record is opaque. */
static bool keys_ipv4(struct idx_builder *b, const uint8_t *p, const uint8_t *end)
{
    if (end - p < 20)
        return true;
    unsigned ihl = (p[0] & 0x0fu) * 4;
    if (ihl < 20)
        return true;
    key(b, IDX_K_IPV4, ld(p + 12, 4), 0);
    key(b, IDX_K_IPV4, ld(p + 16, 4), 0);
    key(b, IDX_K_PROTO, p[9], 0);
    if ((be16(p + 6) & 0x1fff) != 0 || !l4_has_ports(p[9]))
        return false;
    if (end - p < (ptrdiff_t)ihl + 4)
        return true;
    key_ports(b, p + ihl);
    return false;
}

/* IPv6 at p: the first header (libpcap's port tests do not follow the
 * chain); its "ip6 proto N" (so tcp, udp, icmp6...) also takes the next
 * header of a fragment header right after the first (gencode.c, gen_proto
 * without CHASE_CHAIN). */
static bool keys_ipv6(struct idx_builder *b, const uint8_t *p, const uint8_t *end)
{
    if (end - p < 40)
        return true;
    key(b, IDX_K_IPV6, ld(p + 8, 8), ld(p + 16, 8));
    key(b, IDX_K_IPV6, ld(p + 24, 8), ld(p + 32, 8));
    key(b, IDX_K_PROTO, p[6], 0);
    if (p[6] == 44) {
        if (end - p < 41)
            return true;
        key(b, IDX_K_PROTO, p[40], 0);
        return false;
    }
    if (!l4_has_ports(p[6]))
        return false;
    if (end - p < 44)
        return true;
    key_ports(b, p + 40);
    return false;
}

/* ARP/RARP: libpcap's "host X" compares the sender and target protocol
 * addresses at fixed offsets 14 and 24, whatever the sizes say. */
static bool keys_arp(struct idx_builder *b, const uint8_t *p, const uint8_t *end)
{
    if (end - p < 28)
        return true;
    key(b, IDX_K_IPV4, ld(p + 14, 4), 0);
    key(b, IDX_K_IPV4, ld(p + 24, 4), 0);
    return false;
}

/* Note the keys of one frame; returns whether it is opaque (its keys could
 * not all be read: a filter primitive might match it unseen). A frame that
 * no index primitive can match (an Ethernet type other than IPv4, IPv6,
 * ARP, RARP; a raw frame of another IP version) has no keys and is not
 * opaque. */
static bool keys_of(struct idx_builder *b, const uint8_t *f, uint32_t caplen, uint32_t linktype)
{
    const uint8_t *p = f, *end = f + caplen;
    unsigned type;
    if (linktype == LINKTYPE_RAW) {
        if (caplen < 1)
            return true;
        switch (p[0] >> 4) {
        case 4: return keys_ipv4(b, p, end);
        case 6: return keys_ipv6(b, p, end);
        default: return false;
        }
    }
    if (linktype != LINKTYPE_ETHERNET || caplen < 14)
        return true;
    type = be16(p + 12);
    p += 14;
    /* 802.1Q, 802.1ad and the old QinQ type, the three libpcap's "vlan" knows */
    for (int t = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; t++) {
        if (t == MAX_TAGS || end - p < 4)
            return true;
        uint8_t vid[2] = { (uint8_t)(p[0] & 0x0f), p[1] };
        key(b, IDX_K_VLAN, ld(vid, 2), 0);
        type = be16(p + 2);
        p += 4;
    }
    switch (type) {
    case 0x0800: return keys_ipv4(b, p, end);
    case 0x86dd: return keys_ipv6(b, p, end);
    case 0x0806:
    case 0x8035: return keys_arp(b, p, end);
    default: return false;
    }
}

int idx_builder_add(struct idx_builder *b, uint64_t off, uint32_t rec_len, uint64_t ts_ns,
                    const uint8_t *frame, uint32_t caplen, uint32_t linktype)
{
    if (b->err)
        return b->err;
    if (rec_len == 0 || off + rec_len < off || (b->nch && off < b->ch[b->cur].end))
        return -EINVAL;
    struct bchunk *c = &b->ch[b->cur];
    if (b->nch == 0 || c->end - c->off >= b->chunk_bytes) {
        if (b->nch == b->capch && grow((void **)&b->ch, &b->capch, sizeof(*b->ch), b->nch + 1))
            return b->err = -ENOMEM;
        b->cur = b->nch++;
        c = &b->ch[b->cur];
        c->off = off;
        c->ts_first = c->ts_min = c->ts_max = ts_ns;
        c->records = c->opaque = 0;
    }
    c->end = off + rec_len;
    if (ts_ns < c->ts_min)
        c->ts_min = ts_ns;
    if (ts_ns > c->ts_max)
        c->ts_max = ts_ns;
    c->records++;
    if (b->records == 0)
        b->ts_first = b->ts_min = b->ts_max = ts_ns;
    if (ts_ns < b->ts_min)
        b->ts_min = ts_ns;
    if (ts_ns > b->ts_max)
        b->ts_max = ts_ns;
    b->ts_last = ts_ns;
    b->records++;
    if (keys_of(b, frame, caplen, linktype))
        c->opaque++;
    return b->err;
}

/* ---- the image ---- */

static int ent_cmp(const void *x, const void *y, void *arg)
{
    const struct ent *e = arg;
    const struct ent *p = &e[*(const uint32_t *)x], *q = &e[*(const uint32_t *)y];
    if (p->kind != q->kind)
        return p->kind < q->kind ? -1 : 1;
    uint8_t u[16], v[16];
    memcpy(u, &p->a, 8);
    memcpy(u + 8, &p->b, 8);
    memcpy(v, &q->a, 8);
    memcpy(v + 8, &q->b, 8);
    return memcmp(u, v, 16);
}

static uint64_t bitmap_len(const struct ent *e)
{
    return idxf_varint_len(e->first) + (e->last - 1 - e->first) / 8 + 1;
}

static bool use_bitmap(const struct ent *e)
{
    return bitmap_len(e) < e->nbytes;
}

/* Write e's posting list at p; returns its length. */
static size_t put_post(const struct idx_builder *b, const struct ent *e, uint8_t *p)
{
    bool bm = use_bitmap(e);
    size_t n = 0;
    uint32_t s = e->head, k = 0, left = e->nbytes;
    if (!bm) {
        while (left) {
            uint32_t m = left < SEG_DATA ? left : SEG_DATA;
            memcpy(p + n, b->seg[s].d, m);
            n += m;
            left -= m;
            s = b->seg[s].next;
        }
        return n;
    }
    size_t hdr = idxf_put_varint(p, e->first), blen = (size_t)bitmap_len(e) - hdr;
    uint8_t *bits = p + hdr;
    memset(bits, 0, blen);
    uint64_t v = 0, chunk = 0;
    unsigned shift = 0;
    bool firstv = true;
    while (left) {
        uint8_t c = b->seg[s].d[k++];
        left--;
        if (k == SEG_DATA) {
            k = 0;
            s = b->seg[s].next;
        }
        v |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
        if (c & 0x80)
            continue;
        chunk = firstv ? v : chunk + 1 + v;
        firstv = false;
        uint64_t bit = chunk - e->first;
        bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
        v = 0;
        shift = 0;
    }
    return hdr + blen;
}

static size_t put_chunks(const struct idx_builder *b, uint8_t *p)
{
    size_t n = 0;
    uint64_t prev_end = 0, prev_ts = 0;
    for (uint32_t i = 0; i < b->nch; i++) {
        const struct bchunk *c = &b->ch[i];
        n += idxf_put_varint(p + n, c->off - prev_end);
        n += idxf_put_varint(p + n, c->end - c->off);
        n += idxf_put_varint(p + n, c->records);
        n += idxf_put_varint(p + n, c->opaque);
        n += idxf_put_varint(p + n, idxf_zigzag(c->ts_first - prev_ts));
        n += idxf_put_varint(p + n, c->ts_first - c->ts_min);
        n += idxf_put_varint(p + n, c->ts_max - c->ts_first);
        prev_end = c->end;
        prev_ts = c->ts_first;
    }
    return n;
}

int idx_builder_finish(struct idx_builder *b, const struct idx_ident *id, uint8_t **out,
                       size_t *outlen)
{
    if (b->err)
        return b->err;
    uint64_t last_end = b->nch ? b->ch[b->nch - 1].end : 0;
    if (id->data_end < last_end || id->file_size < id->data_end)
        return -EINVAL;
    uint32_t *ord = malloc(((size_t)b->nent + 1) * sizeof(*ord));
    uint8_t *ct = malloc((size_t)b->nch * 70 + 1);
    if (ord == NULL || ct == NULL) {
        free(ord);
        free(ct);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < b->nent; i++)
        ord[i] = i;
    qsort_r(ord, b->nent, sizeof(*ord), ent_cmp, b->ent);
    size_t ctlen = put_chunks(b, ct);

    /* sizes per kind */
    uint64_t nkeys[IDX_K_MAX] = { 0 }, plen[IDX_K_MAX] = { 0 };
    for (uint32_t i = 0; i < b->nent; i++) {
        const struct ent *e = &b->ent[i];
        nkeys[e->kind]++;
        plen[e->kind] += use_bitmap(e) ? bitmap_len(e) : e->nbytes;
    }
    uint64_t total = IDXF_HDR_LEN + ctlen + 4;
    for (int k = 1; k < IDX_K_MAX; k++) {
        if (plen[k] > IDXF_POST_OFFMASK)
            goto too_big;
        total += nkeys[k] * (idxf_klen[k] + 4u) + plen[k];
    }
    uint8_t *img = malloc(total);
    if (img == NULL) {
        free(ord);
        free(ct);
        return -ENOMEM;
    }
    memset(img, 0, IDXF_HDR_LEN);
    memcpy(img + IDXF_MAGIC, IDX_MAGIC, 8);
    idxf_put32(img + IDXF_VERSION, IDX_VERSION);
    idxf_put32(img + IDXF_HDRLEN, IDXF_HDR_LEN);
    idxf_put64(img + IDXF_IMGLEN, total);
    idxf_put64(img + IDXF_FILESIZE, id->file_size);
    idxf_put64(img + IDXF_DATAEND, id->data_end);
    idxf_put32(img + IDXF_FORMAT, id->format);
    idxf_put32(img + IDXF_CHUNKB, b->chunk_bytes);
    memcpy(img + IDXF_HEAD, id->head, 64);
    idxf_put64(img + IDXF_RECORDS, b->records);
    idxf_put64(img + IDXF_TSMIN, b->ts_min);
    idxf_put64(img + IDXF_TSMAX, b->ts_max);
    idxf_put64(img + IDXF_TSFIRST, b->ts_first);
    idxf_put64(img + IDXF_TSLAST, b->ts_last);
    idxf_put32(img + IDXF_NCHUNKS, b->nch);
    idxf_put64(img + IDXF_CTOFF, IDXF_HDR_LEN);
    idxf_put64(img + IDXF_CTLEN, ctlen);
    memcpy(img + IDXF_HDR_LEN, ct, ctlen);

    size_t pos = IDXF_HDR_LEN + ctlen;
    uint32_t i = 0;
    for (int k = 1; k < IDX_K_MAX; k++) {
        uint8_t *kt = img + IDXF_KINDS + (size_t)(k - 1) * IDXF_KIND_LEN;
        unsigned kl = idxf_klen[k];
        size_t dir = pos, postoff = pos + nkeys[k] * (kl + 4u), pp = 0;
        idxf_put32(kt, (uint32_t)k);
        idxf_put32(kt + 4, (uint32_t)nkeys[k]);
        idxf_put64(kt + 8, dir);
        idxf_put64(kt + 16, postoff);
        idxf_put64(kt + 24, plen[k]);
        for (uint64_t j = 0; j < nkeys[k]; j++, i++) {
            const struct ent *e = &b->ent[ord[i]];
            uint8_t v[16];
            memcpy(v, &e->a, 8);
            memcpy(v + 8, &e->b, 8);
            uint8_t *d = img + dir + j * (kl + 4u);
            memcpy(d, v, kl);
            idxf_put32(d + kl, (uint32_t)pp | (use_bitmap(e) ? IDXF_POST_BITMAP : 0));
            pp += put_post(b, e, img + postoff + pp);
        }
        pos = postoff + pp;
    }
    idxf_put32(img + pos, idxf_crc32c(img, pos));
    free(ord);
    free(ct);
    *out = img;
    *outlen = total;
    return 0;
too_big:
    free(ord);
    free(ct);
    return -EOVERFLOW;
}
