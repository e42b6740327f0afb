/* The index builder (index.h): keys of every record, chunks, posting lists,
 * and the image (layout: idxfmt.h, docs/INDEX.md).
 *
 * Per record: the frame's headers are read once (keys_of); each key's slot
 * in one open-addressing hash table (key and posting state in 32 bytes) is
 * prefetched and updated a few records later, so cache misses overlap; only
 * a key not yet seen in the current chunk appends a delta varint to its
 * posting list (6 bytes in the slot, then 32-byte segments from one pool).
 * The table, the pool and the chunk array grow by doubling: a steady-state
 * add allocates nothing. 50-60 ns per record at 64 B with 10,000 flows on
 * this machine (bench/idxbuild.c, docs/INDEX.md). */
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

/* One key and its posting state in the hash table: half a cache line, so
 * a lookup that finds its key already posted in this chunk touches one
 * line, and a post usually only its buf. */
struct slot {
    uint32_t val;               /* the value's bytes (IPv4, port, proto, VLAN), or an IPv6 id */
    uint8_t kind;               /* 0: empty */
    uint8_t nbuf;               /* posting bytes in buf, not yet in segments */
    uint8_t buf[6];
    uint32_t last;              /* last chunk posted + 1 (0: none) */
    uint32_t first;             /* first chunk posted */
    uint32_t nbytes;            /* posting bytes: segments + buf */
    uint32_t head, tail;        /* segment chain */
};
_Static_assert(sizeof(struct slot) == 32, "a slot is half a cache line");

struct v6addr {
    uint64_t a, b;
};

/* A key read from a record, waiting for its table update: the slot is
 * prefetched when the key is read and updated PEND_AHEAD keys later, so
 * the cache misses of a few records overlap (bench/idxbuild.c: 64 B, 10,000
 * flows). */
struct pend {
    uint32_t val;
    uint32_t chunk;
    uint8_t kind;
};
#define PEND 64                 /* a power of two above PEND_AHEAD + one record's keys */
#define PEND_AHEAD 24

/* The flow cache: the keys of a recent record, and the chunk they were
 * queued for. A record whose keys equal an entry's in the same chunk adds
 * nothing (its keys are posted there already) and skips the table: most
 * records of a flow-local stream (bench/idxbuild.c, 64 flows at 64 B: 200
 * records per chunk, 3 of each flow). Entries are compared whole: a hit is
 * exact, a hash collision only a miss. */
#define FC_BITS 10
#define FC_KEYS 11              /* records with more keys bypass the cache */
struct fc_ent {
    uint32_t chunk1;            /* chunk + 1, 0: empty */
    uint8_t n;
    uint8_t kind[FC_KEYS];
    uint32_t val[FC_KEYS + 1];
};
_Static_assert(sizeof(struct fc_ent) == 64, "a flow cache entry is a cache line");
#define REC_KEYS 16
_Static_assert(MAX_TAGS + 6 <= REC_KEYS, "a record's keys: its tags, 2 addresses, 2 protocols, 2 ports");

struct bchunk {
    uint64_t off, end, ts_first, ts_min, ts_max;
    uint32_t records, opaque;
};

struct idx_builder {
    uint32_t chunk_bytes;
    int err;                    /* sticky: -ENOMEM */
    /* keys: open addressing, linear probing, at most half full */
    struct slot *tab;
    uint32_t ntab, nkeys;
    unsigned shift;             /* 64 - log2(ntab) */
    struct pend pend[PEND];
    uint32_t phead, ptail;
    /* the keys of the record being added: the first FC_KEYS in rk (the
     * rest zero, so that an entry compares whole), more in ov */
    struct fc_ent rk;
    uint32_t rn;
    uint8_t ovkind[REC_KEYS - FC_KEYS];
    uint32_t ovval[REC_KEYS - FC_KEYS];
    struct fc_ent *fc;          /* 1 << FC_BITS entries; NULL: off */
    uint32_t fc_tries, fc_hits; /* in the current chunk */
    uint32_t fc_skip;           /* chunks left without the cache (few hits seen) */
    /* IPv6 addresses -> ids (the slot's val) */
    struct v6addr *v6;
    uint32_t nv6, capv6;
    uint32_t *v6slot;           /* id + 1, 0: empty */
    uint32_t nv6slot;
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

#define TAB0 (1u << 13)
#define V6TAB0 (1u << 10)

struct idx_builder *idx_builder_new(void)
{
    struct idx_builder *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->chunk_bytes = IDX_CHUNK_BYTES;
    b->ntab = TAB0;
    b->shift = 64 - 13;
    b->tab = calloc(b->ntab, sizeof(*b->tab));
    b->nv6slot = V6TAB0;
    b->v6slot = calloc(b->nv6slot, sizeof(*b->v6slot));
    b->nseg = 1;
    b->fc = aligned_alloc(64, sizeof(*b->fc) << FC_BITS);
    if (b->fc)
        memset(b->fc, 0, sizeof(*b->fc) << FC_BITS);
    if (b->tab == NULL || b->v6slot == NULL || b->fc == NULL ||
        grow((void **)&b->v6, &b->capv6, sizeof(*b->v6), 256) ||
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

void idx_builder_set_flow_cache(struct idx_builder *b, bool on)
{
    if (!on) {
        free(b->fc);
        b->fc = NULL;
    } else if (b->fc == NULL && (b->fc = aligned_alloc(64, sizeof(*b->fc) << FC_BITS)) != NULL) {
        memset(b->fc, 0, sizeof(*b->fc) << FC_BITS);
    }
}

void idx_builder_reset(struct idx_builder *b)
{
    memset(b->tab, 0, (size_t)b->ntab * sizeof(*b->tab));
    memset(b->v6slot, 0, (size_t)b->nv6slot * sizeof(*b->v6slot));
    b->nkeys = 0;
    b->phead = b->ptail = 0;
    b->rn = 0;
    b->fc_tries = b->fc_hits = b->fc_skip = 0;
    memset(&b->rk, 0, sizeof(b->rk));
    if (b->fc)
        memset(b->fc, 0, sizeof(*b->fc) << FC_BITS);
    b->nv6 = 0;
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
    free(b->tab);
    free(b->fc);
    free(b->v6);
    free(b->v6slot);
    free(b->seg);
    free(b->ch);
    free(b);
}

/* ---- keys ---- */

static inline uint32_t hash_of(uint32_t val, uint8_t kind, unsigned shift)
{
    return (uint32_t)((((uint64_t)val << 8) | kind) * 0x9E3779B97F4A7C15ull >> shift);
}

static int rehash(struct idx_builder *b)
{
    uint32_t n = b->ntab * 2;
    unsigned shift = b->shift - 1;
    struct slot *t = calloc(n, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < b->ntab; i++) {
        const struct slot *s = &b->tab[i];
        if (s->kind == 0)
            continue;
        uint32_t h = hash_of(s->val, s->kind, shift);
        while (t[h].kind)
            h = (h + 1) & (n - 1);
        t[h] = *s;
    }
    free(b->tab);
    b->tab = t;
    b->ntab = n;
    b->shift = shift;
    return 0;
}

/* Move s's buffered posting bytes to its segment chain. */
static int flush(struct idx_builder *b, struct slot *s)
{
    uint32_t done = s->nbytes - s->nbuf;        /* bytes already in segments */
    for (unsigned i = 0; i < s->nbuf; i++, done++) {
        uint32_t fill = done % SEG_DATA;
        if (fill == 0) {
            if (b->nseg == b->capseg &&
                grow((void **)&b->seg, &b->capseg, sizeof(*b->seg), b->nseg + 1))
                return -ENOMEM;
            uint32_t n = b->nseg++;
            b->seg[n].next = 0;
            if (s->tail)
                b->seg[s->tail].next = n;
            else
                s->head = n;
            s->tail = n;
        }
        b->seg[s->tail].d[fill] = s->buf[i];
    }
    s->nbuf = 0;
    return 0;
}

/* Append chunk cur to s's posting list (cur > s's last). */
static inline void post(struct idx_builder *b, struct slot *s, uint32_t cur)
{
    uint8_t v[5];
    unsigned n = idxf_put_varint(v, s->last ? (uint64_t)(cur - s->last) : cur);
    if (s->nbuf + n > sizeof(s->buf) && flush(b, s)) {
        b->err = -ENOMEM;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        s->buf[s->nbuf++] = v[i];
    s->nbytes += n;
    if (s->last == 0)
        s->first = cur;
    s->last = cur + 1;
}

/* Post chunk in key (kind, val)'s list, unless it is there already. */
static inline void apply(struct idx_builder *b, uint8_t kind, uint32_t val, uint32_t chunk)
{
    uint32_t mask = b->ntab - 1, h = hash_of(val, kind, b->shift);
    struct slot *s;
    for (;;) {
        s = &b->tab[h];
        if (s->val == val && s->kind == kind) {
            if (s->last != chunk + 1)
                post(b, s, chunk);
            return;
        }
        if (s->kind == 0)
            break;
        h = (h + 1) & mask;
    }
    memset(s, 0, sizeof(*s));
    s->val = val;
    s->kind = kind;
    post(b, s, chunk);
    if (++b->nkeys * 2ull > b->ntab && rehash(b))
        b->err = -ENOMEM;
}

/* Queue key (kind, val) for the current chunk, its slot prefetched. */
static inline void queue(struct idx_builder *b, uint8_t kind, uint32_t val)
{
    struct pend *p = &b->pend[b->phead++ % PEND];
    p->val = val;
    p->kind = kind;
    p->chunk = b->cur;
    __builtin_prefetch(&b->tab[hash_of(val, kind, b->shift)], 1);
}

/* Note key (kind, val) of the record being added. */
static inline void key(struct idx_builder *b, uint8_t kind, uint32_t val)
{
    if (b->rn < FC_KEYS) {
        b->rk.kind[b->rn] = kind;
        b->rk.val[b->rn++] = val;
    } else if (b->rn < REC_KEYS) {
        b->ovkind[b->rn - FC_KEYS] = kind;
        b->ovval[b->rn++ - FC_KEYS] = val;
    }
}

/* Queue the record's keys, unless the flow cache says the same keys were
 * queued for this chunk already. */
static inline void record_keys(struct idx_builder *b)
{
    struct fc_ent *r = &b->rk;
    uint32_t n = b->rn;
    if (n == 0)
        return;
    b->rn = 0;
    if (b->fc && b->fc_skip == 0 && n <= FC_KEYS) {
        b->fc_tries++;
        r->chunk1 = b->cur + 1;
        r->n = (uint8_t)n;
        uint64_t h = ((uint64_t)r->val[0] << 32 | r->val[1]) ^ ((uint64_t)r->val[n - 1] << 13) ^ n;
        struct fc_ent *e = &b->fc[h * 0x9E3779B97F4A7C15ull >> (64 - FC_BITS)];
        if (memcmp(e, r, sizeof(*e)) == 0) {
            b->fc_hits++;
            memset(r, 0, sizeof(*r));
            return;
        }
        *e = *r;
    }
    for (uint32_t i = 0; i < n && i < FC_KEYS; i++)
        queue(b, r->kind[i], r->val[i]);
    for (uint32_t i = FC_KEYS; i < n; i++)
        queue(b, b->ovkind[i - FC_KEYS], b->ovval[i - FC_KEYS]);
    memset(r, 0, sizeof(*r));
}

/* Apply the queued keys but the last keep. */
static inline void drain(struct idx_builder *b, uint32_t keep)
{
    while (b->phead - b->ptail > keep) {
        const struct pend *p = &b->pend[b->ptail++ % PEND];
        apply(b, p->kind, p->val, p->chunk);
    }
}

static int v6_rehash(struct idx_builder *b)
{
    uint32_t n = b->nv6slot * 2;
    uint32_t *t = calloc(n, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < b->nv6; i++) {
        uint32_t h = (uint32_t)((b->v6[i].a ^ (b->v6[i].b * 0x9E3779B97F4A7C15ull)) *
                                0xC2B2AE3D27D4EB4Full >> 32) & (n - 1);
        while (t[h])
            h = (h + 1) & (n - 1);
        t[h] = i + 1;
    }
    free(b->v6slot);
    b->v6slot = t;
    b->nv6slot = n;
    return 0;
}

static inline uint64_t ld(const uint8_t *p, unsigned n);

/* Note the IPv6 address at p: its id is the key's value. */
static void key6(struct idx_builder *b, const uint8_t *p)
{
    uint64_t a = ld(p, 8), c = ld(p + 8, 8);
    uint32_t mask = b->nv6slot - 1;
    uint32_t h = (uint32_t)((a ^ (c * 0x9E3779B97F4A7C15ull)) * 0xC2B2AE3D27D4EB4Full >> 32) & mask;
    uint32_t s;
    while ((s = b->v6slot[h]) != 0) {
        if (b->v6[s - 1].a == a && b->v6[s - 1].b == c) {
            key(b, IDX_K_IPV6, s - 1);
            return;
        }
        h = (h + 1) & mask;
    }
    if (b->nv6 == b->capv6 && grow((void **)&b->v6, &b->capv6, sizeof(*b->v6), b->nv6 + 1)) {
        b->err = -ENOMEM;
        return;
    }
    b->v6[b->nv6].a = a;
    b->v6[b->nv6].b = c;
    b->v6slot[h] = ++b->nv6;
    key(b, IDX_K_IPV6, b->nv6 - 1);
    if ((uint64_t)b->nv6 * 2 > b->nv6slot && v6_rehash(b))
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
    key(b, IDX_K_PORT, (uint32_t)ld(l4, 2));
    key(b, IDX_K_PORT, (uint32_t)ld(l4 + 2, 2));
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
    key(b, IDX_K_IPV4, (uint32_t)ld(p + 12, 4));
    key(b, IDX_K_IPV4, (uint32_t)ld(p + 16, 4));
    key(b, IDX_K_PROTO, p[9]);
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
    key6(b, p + 8);
    key6(b, p + 24);
    key(b, IDX_K_PROTO, p[6]);
    if (p[6] == 44) {
        if (end - p < 41)
            return true;
        key(b, IDX_K_PROTO, p[40]);
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
    key(b, IDX_K_IPV4, (uint32_t)ld(p + 14, 4));
    key(b, IDX_K_IPV4, (uint32_t)ld(p + 24, 4));
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
        key(b, IDX_K_VLAN, (uint32_t)ld(vid, 2));
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
        /* without flow locality (under 1 hit in 4) the cache only costs:
         * it rests for 15 chunks, then tries again */
        if (b->fc_skip)
            b->fc_skip--;
        else if (b->fc_tries >= 16 && b->fc_hits * 4 < b->fc_tries)
            b->fc_skip = 15;
        b->fc_tries = b->fc_hits = 0;
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
    record_keys(b);
    drain(b, PEND_AHEAD);
    return b->err;
}

/* ---- the image ---- */

/* s's value bytes (zero padded to 16) */
static void slot_value(const struct idx_builder *b, const struct slot *s, uint8_t v[16])
{
    memset(v, 0, 16);
    if (s->kind == IDX_K_IPV6) {
        memcpy(v, &b->v6[s->val].a, 8);
        memcpy(v + 8, &b->v6[s->val].b, 8);
    } else {
        memcpy(v, &s->val, 4);
    }
}

static int slot_cmp(const void *x, const void *y, void *arg)
{
    const struct idx_builder *b = arg;
    const struct slot *p = &b->tab[*(const uint32_t *)x], *q = &b->tab[*(const uint32_t *)y];
    if (p->kind != q->kind)
        return p->kind < q->kind ? -1 : 1;
    uint8_t u[16], v[16];
    slot_value(b, p, u);
    slot_value(b, q, v);
    return memcmp(u, v, 16);
}

static uint64_t bitmap_len(const struct slot *s)
{
    return idxf_varint_len(s->first) + (s->last - 1 - s->first) / 8 + 1;
}

static bool use_bitmap(const struct slot *s)
{
    return bitmap_len(s) < s->nbytes;
}

/* s's delta varints into p (nbytes) */
static void slot_bytes(const struct idx_builder *b, const struct slot *s, uint8_t *p)
{
    uint32_t left = s->nbytes - s->nbuf, seg = s->head;
    while (left) {
        uint32_t m = left < SEG_DATA ? left : SEG_DATA;
        memcpy(p, b->seg[seg].d, m);
        p += m;
        left -= m;
        seg = b->seg[seg].next;
    }
    memcpy(p, s->buf, s->nbuf);
}

/* Write s's posting list at p; returns its length. scratch: nbytes. */
static size_t put_post(const struct idx_builder *b, const struct slot *s, uint8_t *p,
                       uint8_t *scratch)
{
    if (!use_bitmap(s)) {
        slot_bytes(b, s, p);
        return s->nbytes;
    }
    slot_bytes(b, s, scratch);
    size_t hdr = idxf_put_varint(p, s->first), blen = (size_t)bitmap_len(s) - hdr;
    uint8_t *bits = p + hdr;
    memset(bits, 0, blen);
    const uint8_t *q = scratch, *end = scratch + s->nbytes;
    uint64_t v, chunk = 0;
    for (bool firstv = true; q < end; firstv = false) {
        if (idxf_get_varint(&q, end, 5, &v))
            break;                      /* cannot happen: written by post() */
        chunk = firstv ? v : chunk + 1 + v;
        uint64_t bit = chunk - s->first;
        bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
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

/* a key block: keys [first, first + n) of ord, len bytes */
struct blk {
    uint32_t first, n;
    uint64_t len;
};

static uint64_t post_len(const struct slot *s)
{
    return use_bitmap(s) ? bitmap_len(s) : s->nbytes;
}

int idx_builder_finish(struct idx_builder *b, const struct idx_ident *id, uint8_t **out,
                       size_t *outlen)
{
    drain(b, 0);
    if (b->err)
        return b->err;
    uint64_t last_end = b->nch ? b->ch[b->nch - 1].end : 0;
    if (id->data_end < last_end || id->file_size < id->data_end)
        return -EINVAL;
    uint32_t *ord = malloc(((size_t)b->nkeys + 1) * sizeof(*ord));
    struct blk *bl = malloc(((size_t)b->nkeys + 1) * sizeof(*bl));
    uint8_t *ct = malloc((size_t)b->nch * 70 + 1);
    uint8_t *img = NULL, *scratch = NULL;
    int rc = -ENOMEM;
    if (ord == NULL || bl == NULL || ct == NULL)
        goto out;
    uint32_t n = 0, maxbytes = 1;
    for (uint32_t i = 0; i < b->ntab; i++) {
        const struct slot *s = &b->tab[i];
        if (s->kind == 0)
            continue;
        ord[n++] = i;
        if (s->nbytes > maxbytes)
            maxbytes = s->nbytes;
    }
    qsort_r(ord, n, sizeof(*ord), slot_cmp, b);
    /* cut each kind's keys into blocks */
    uint32_t nkeys[IDX_K_MAX] = { 0 }, nblk[IDX_K_MAX] = { 0 }, nb = 0;
    uint64_t blen[IDX_K_MAX] = { 0 }, fences = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct slot *s = &b->tab[ord[i]];
        unsigned kl = idxf_klen[s->kind];
        struct blk *cur = nb ? &bl[nb - 1] : NULL;
        if (cur == NULL || b->tab[ord[cur->first]].kind != s->kind || cur->n == IDXF_BLOCK_KEYS ||
            cur->len >= IDXF_BLOCK_BYTES) {
            cur = &bl[nb++];
            *cur = (struct blk){ i, 0, 0 };
            nblk[s->kind]++;
            fences += kl + IDXF_FENCE_TAIL;
        }
        cur->n++;
        cur->len += kl + 4u + post_len(s);
        nkeys[s->kind]++;
        blen[s->kind] += kl + 4u + post_len(s);
        if (cur->len > IDXF_POST_OFFMASK) {
            rc = -EOVERFLOW;
            goto out;
        }
    }
    size_t ctlen = put_chunks(b, ct);
    uint64_t headlen = IDXF_HDR_LEN + fences + 4, total = headlen + ctlen;
    if (headlen > UINT32_MAX) {
        rc = -EOVERFLOW;
        goto out;
    }
    for (int k = 1; k < IDX_K_MAX; k++)
        total += blen[k];
    img = malloc(total);
    scratch = malloc(maxbytes);
    if (img == NULL || scratch == NULL)
        goto out;
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
    idxf_put64(img + IDXF_CTOFF, headlen);
    idxf_put64(img + IDXF_CTLEN, ctlen);
    idxf_put32(img + IDXF_CTCRC, idxf_crc32c(ct, ctlen));
    idxf_put32(img + IDXF_HEADLEN, (uint32_t)headlen);
    memcpy(img + headlen, ct, ctlen);

    size_t fpos = IDXF_HDR_LEN, pos = headlen + ctlen;
    uint32_t bi = 0;
    for (int k = 1; k < IDX_K_MAX; k++) {
        uint8_t *kt = img + IDXF_KINDS + (size_t)(k - 1) * IDXF_KIND_LEN;
        unsigned kl = idxf_klen[k];
        idxf_put32(kt, (uint32_t)k);
        idxf_put32(kt + 4, nkeys[k]);
        idxf_put32(kt + 8, nblk[k]);
        idxf_put32(kt + 12, (uint32_t)fpos);
        idxf_put64(kt + 16, pos);
        idxf_put64(kt + 24, blen[k]);
        for (uint32_t j = 0; j < nblk[k]; j++, bi++) {
            const struct blk *c = &bl[bi];
            uint8_t *blk = img + pos, *post = blk + (size_t)c->n * (kl + 4u);
            size_t pp = 0;
            for (uint32_t e = 0; e < c->n; e++) {
                const struct slot *s = &b->tab[ord[c->first + e]];
                uint8_t v[16];
                slot_value(b, s, v);
                uint8_t *d = blk + (size_t)e * (kl + 4u);
                memcpy(d, v, kl);
                idxf_put32(d + kl, (uint32_t)pp | (use_bitmap(s) ? IDXF_POST_BITMAP : 0));
                pp += put_post(b, s, post + pp, scratch);
            }
            uint8_t *f = img + fpos;
            memcpy(f, blk, kl);
            idxf_put32(f + kl, (uint32_t)c->len);
            idxf_put32(f + kl + 4, c->n);
            idxf_put32(f + kl + 8, idxf_crc32c(blk, c->len));
            fpos += kl + IDXF_FENCE_TAIL;
            pos += c->len;
        }
    }
    idxf_put32(img + fpos, idxf_crc32c(img, fpos));
    *out = img;
    *outlen = total;
    img = NULL;
    rc = 0;
out:
    free(ord);
    free(bl);
    free(ct);
    free(scratch);
    free(img);
    return rc;
}
