/* The verify analyser: flows, sequence bitmaps, latency histogram, reading
 * files through libpcap. See verify.h. */
#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/verify.h"

#define CHUNK_BITS 16u
#define CHUNK_SEQS (1u << CHUNK_BITS)
#define CHUNK_WORDS (CHUNK_SEQS / 64u)

int vf_init(struct vf_state *s, int from_first, unsigned max_ranges)
{
    memset(s, 0, sizeof(*s));
    s->from_first = from_first;
    s->max_ranges = max_ranges;
    s->nslots = 256;
    s->slots = calloc(s->nslots, sizeof(*s->slots));
    s->lat.min = INT64_MAX;
    s->lat.max = INT64_MIN;
    s->mem_limit = VF_MEM_LIMIT;
    return s->slots ? 0 : -ENOMEM;
}

void vf_free(struct vf_state *s)
{
    for (uint32_t i = 0; i < s->nflows; i++) {
        struct vf_flow *f = &s->flows[i];
        for (uint32_t c = 0; c < f->nchunks; c++)
            free(f->chunks[c]);
        free(f->chunks);
        free(f->ranges);
    }
    for (uint32_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].path);
        free(s->files[i].msg);
    }
    free(s->files);
    free(s->flows);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

/* FNV-1a over the key bytes (the padding is always zero). */
static uint32_t key_hash(const struct vf_key *k)
{
    const uint8_t *b = (const uint8_t *)k;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static uint32_t *slot_of(const struct vf_state *s, const struct vf_key *k)
{
    uint32_t mask = s->nslots - 1, i = key_hash(k) & mask;
    for (;;) {
        uint32_t *sl = &s->slots[i];
        if (*sl == 0 || memcmp(&s->flows[*sl - 1].key, k, sizeof(*k)) == 0)
            return sl;
        i = (i + 1) & mask;
    }
}

const struct vf_flow *vf_find(const struct vf_state *s, const struct vf_key *k)
{
    uint32_t *sl = slot_of(s, k);
    return *sl ? &s->flows[*sl - 1] : NULL;
}

static int grow_slots(struct vf_state *s)
{
    uint32_t n = s->nslots * 2;
    uint32_t *ns = calloc(n, sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    free(s->slots);
    s->slots = ns;
    s->nslots = n;
    for (uint32_t i = 0; i < s->nflows; i++)
        *slot_of(s, &s->flows[i].key) = i + 1;
    return 0;
}

static struct vf_flow *flow_get(struct vf_state *s, const struct vf_key *k)
{
    uint32_t *sl = slot_of(s, k);
    struct vf_flow *f;
    if (*sl)
        return &s->flows[*sl - 1];
    if (s->nflows == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 64;
        struct vf_flow *nf = realloc(s->flows, cap * sizeof(*nf));
        if (!nf)
            return NULL;
        s->flows = nf;
        s->cap = cap;
    }
    f = &s->flows[s->nflows];
    memset(f, 0, sizeof(*f));
    f->key = *k;
    f->min_seq = UINT64_MAX;
    f->sent = VF_UNKNOWN;
    s->nflows++;
    *sl = s->nflows;
    if (s->nflows * 2 > s->nslots && grow_slots(s) < 0) {
        s->nflows--;
        return NULL;
    }
    return &s->flows[s->nflows - 1];
}

/* Histogram bucket of a magnitude: exact below VF_HIST_SUB, then
 * VF_HIST_SUB linear sub-buckets per power of two. */
static uint32_t hist_bucket(uint64_t v)
{
    if (v < VF_HIST_SUB)
        return (uint32_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= 7 */
    uint64_t mant = v >> (e - 7u);                   /* [128, 256) */
    return VF_HIST_SUB + (e - 7u) * VF_HIST_SUB + (uint32_t)(mant - VF_HIST_SUB);
}

/* The middle of bucket b's value range. */
static uint64_t hist_value(uint32_t b)
{
    if (b < VF_HIST_SUB)
        return b;
    unsigned e = (b - VF_HIST_SUB) / VF_HIST_SUB + 7u;
    uint64_t mant = (b - VF_HIST_SUB) % VF_HIST_SUB + VF_HIST_SUB;
    uint64_t lo = mant << (e - 7u), width = 1ULL << (e - 7u);
    return lo + (width - 1) / 2;
}

static void latency_add(struct vf_latency *l, int64_t v)
{
    l->count++;
    if (v < l->min)
        l->min = v;
    if (v > l->max)
        l->max = v;
    if (v < 0) {
        l->negative++;
        l->neg[hist_bucket((uint64_t)(-(v + 1)) + 1)]++;
    } else {
        l->pos[hist_bucket((uint64_t)v)]++;
    }
}

int64_t vf_latency_quantile(const struct vf_latency *l, double q)
{
    uint64_t rank, seen = 0;
    int64_t v = 0;
    if (l->count == 0)
        return 0;
    rank = (uint64_t)ceil(q * (double)l->count);
    if (rank < 1)
        rank = 1;
    if (rank > l->count)
        rank = l->count;
    for (uint32_t b = VF_HIST_N; b-- > 0;) {
        seen += l->neg[b];
        if (seen >= rank) {
            v = -(int64_t)hist_value(b);
            goto out;
        }
    }
    for (uint32_t b = 0; b < VF_HIST_N; b++) {
        seen += l->pos[b];
        if (seen >= rank) {
            v = (int64_t)hist_value(b);
            goto out;
        }
    }
    v = l->max;
out:
    if (v < l->min)
        v = l->min;
    if (v > l->max)
        v = l->max;
    return v;
}

/* Mark seq seen; returns 1 if it was already, 0 if new, 2 if over the
 * memory budget (not tracked), -ENOMEM. */
static int seq_mark(struct vf_state *s, struct vf_flow *f, uint64_t seq)
{
    uint64_t c = seq >> CHUNK_BITS;
    uint64_t *w, bit;
    if (c >= f->nchunks) {
        uint32_t n = f->nchunks ? f->nchunks : 1;
        while (n <= c)
            n *= 2;
        uint64_t more = (uint64_t)(n - f->nchunks) * sizeof(uint64_t *);
        if (s->mem_used + more > s->mem_limit)
            return 2;
        s->mem_used += more;
        uint64_t **nc = realloc(f->chunks, n * sizeof(*nc));
        if (!nc)
            return -ENOMEM;
        memset(nc + f->nchunks, 0, (n - f->nchunks) * sizeof(*nc));
        f->chunks = nc;
        f->nchunks = n;
    }
    if (!f->chunks[c]) {
        if (s->mem_used + CHUNK_WORDS * 8u > s->mem_limit)
            return 2;
        s->mem_used += CHUNK_WORDS * 8u;
        f->chunks[c] = calloc(CHUNK_WORDS, sizeof(uint64_t));
        if (!f->chunks[c])
            return -ENOMEM;
    }
    w = &f->chunks[c][(seq & (CHUNK_SEQS - 1)) >> 6];
    bit = 1ULL << (seq & 63);
    if (*w & bit)
        return 1;
    *w |= bit;
    return 0;
}

int vf_record(struct vf_state *s, uint64_t ts_ns, const uint8_t *p, uint32_t caplen,
              uint32_t len)
{
    struct vf_pkt pk;
    struct vf_flow *f;

    s->t.records++;
    s->t.bytes += caplen;
    s->t.wire_bytes += len;
    if (s->t.records > 1 && ts_ns < s->prev_ts)
        s->t.ts_backwards_order++;
    s->prev_ts = ts_ns;

    vf_parse(p, caplen, len, &pk);
    if (pk.truncated)
        s->t.truncated++;
    if (pk.kind != VF_FLOW) {
        s->t.unstamped++;
        if (pk.kind == VF_NON_IP)
            s->t.non_ip++;
        else
            s->t.bad_ip++;
        return 0;
    }
    f = flow_get(s, &pk.key);
    if (!f)
        return -ENOMEM;
    if (f->records && ts_ns < f->last_ts)
        f->ts_backwards++;
    f->last_ts = ts_ns;
    f->records++;
    f->bytes += caplen;
    if (!pk.stamped) {
        s->t.unstamped++;
        return 0;
    }
    s->t.stamped++;
    f->stamped++;
    latency_add(&s->lat, (int64_t)(ts_ns - pk.tx_ns));
    if (pk.seq >= VF_SEQ_LIMIT) {
        f->seq_wild++;
        return 0;
    }
    int dup = seq_mark(s, f, pk.seq);
    if (dup < 0)
        return dup;
    if (dup == 2) {
        f->seq_wild++;
        return 0;
    }
    if (dup) {
        f->duplicates++;
        return 0;
    }
    if (f->min_seq == UINT64_MAX) { /* the first tracked seq of the flow */
        f->min_seq = f->max_seq = pk.seq;
        return 0;
    }
    if (pk.seq < f->max_seq)
        f->reordered++;
    else
        f->max_seq = pk.seq;
    if (pk.seq < f->min_seq)
        f->min_seq = pk.seq;
    return 0;
}

static struct vf_file *file_add(struct vf_state *s, const char *path)
{
    struct vf_file *nf = realloc(s->files, (s->nfiles + 1) * sizeof(*nf));
    if (!nf)
        return NULL;
    s->files = nf;
    nf = &s->files[s->nfiles];
    memset(nf, 0, sizeof(*nf));
    nf->path = strdup(path);
    if (!nf->path)
        return NULL;
    s->nfiles++;
    return nf;
}

int vf_read_file(struct vf_state *s, const char *path)
{
    char eb[PCAP_ERRBUF_SIZE];
    struct vf_file *vf = file_add(s, path);
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *pc;
    FILE *fp;
    int rc, dlt;

    if (!vf)
        return -ENOMEM;
    eb[0] = 0;
    fp = fopen(path, "rb");
    if (!fp) {
        snprintf(eb, sizeof(eb), "%s", strerror(errno));
        goto open_err;
    }
    unsigned char magic[4];
    if (fread(magic, 1, 4, fp) == 4 && magic[0] == 0x0a && magic[1] == 0x0d &&
        magic[2] == 0x0d && magic[3] == 0x0a)
        vf->pcapng = 1;
    rewind(fp);
    /* pcap_fopen_offline takes fp and closes it with pcap_close */
    pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, eb);
    if (!pc) {
        fclose(fp);
        goto open_err;
    }
    dlt = pcap_datalink(pc);
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
        if (vf->records == 0)
            vf->first_ns = ts;
        vf->last_ns = ts;
        vf->records++;
        vf->bytes += h->caplen;
        if (dlt == DLT_EN10MB) {
            if (vf_record(s, ts, data, h->caplen, h->len) < 0) {
                pcap_close(pc);
                return -ENOMEM;
            }
        } else {
            s->t.records++;
            s->t.bytes += h->caplen;
            s->t.wire_bytes += h->len;
            s->t.non_ethernet++;
            s->t.unstamped++;
        }
    }
    if (rc == PCAP_ERROR) {
        vf->error = VF_ERR_READ;
        vf->msg = strdup(pcap_geterr(pc));
    }
    pcap_close(pc);
    return vf->error;
open_err:
    vf->error = VF_ERR_OPEN;
    vf->msg = strdup(eb);
    return vf->error;
}

static uint64_t bit_at(const struct vf_flow *f, uint64_t seq)
{
    uint64_t c = seq >> CHUNK_BITS;
    if (c >= f->nchunks || !f->chunks[c])
        return 0;
    return (f->chunks[c][(seq & (CHUNK_SEQS - 1)) >> 6] >> (seq & 63)) & 1;
}

/* The 64-bit word holding seq, shifted so bit 0 is seq. */
static uint64_t word_from(const struct vf_flow *f, uint64_t seq)
{
    uint64_t c = seq >> CHUNK_BITS;
    if (c >= f->nchunks || !f->chunks[c])
        return 0;
    return f->chunks[c][(seq & (CHUNK_SEQS - 1)) >> 6] >> (seq & 63);
}

static int add_range(struct vf_state *s, struct vf_flow *f, uint64_t a, uint64_t b)
{
    f->gaps++;
    f->missing += b - a + 1;
    if (f->nranges >= s->max_ranges)
        return 0;
    if (!f->ranges) {
        f->ranges = calloc(s->max_ranges, sizeof(*f->ranges));
        if (!f->ranges)
            return -ENOMEM;
    }
    f->ranges[f->nranges].first = a;
    f->ranges[f->nranges].last = b;
    f->nranges++;
    return 0;
}

/* Walk [base, end) and record the runs of unseen seqs. */
static int find_gaps(struct vf_state *s, struct vf_flow *f, uint64_t base, uint64_t end)
{
    uint64_t q = base;
    while (q < end) {
        uint64_t c = q >> CHUNK_BITS;
        if (bit_at(f, q)) {
            /* skip the run of seen seqs */
            uint64_t inv = ~word_from(f, q);
            unsigned room = 64u - (unsigned)(q & 63);
            if (room < 64)
                inv &= (1ULL << room) - 1;
            q += inv ? (uint64_t)__builtin_ctzll(inv) : room;
            continue;
        }
        uint64_t a = q;
        while (q < end && !bit_at(f, q)) {
            c = q >> CHUNK_BITS;
            if (c >= f->nchunks || !f->chunks[c]) {
                q = (c + 1) << CHUNK_BITS;
                continue;
            }
            uint64_t w = word_from(f, q);
            unsigned room = 64u - (unsigned)(q & 63);
            q += w ? (uint64_t)__builtin_ctzll(w) : room;
        }
        if (q > end)
            q = end;
        if (add_range(s, f, a, q - 1) < 0)
            return -ENOMEM;
    }
    return 0;
}

int vf_finish(struct vf_state *s, vf_sent_fn sent, void *ctx, uint64_t total_sent)
{
    uint64_t span = 0;
    int all_known = s->nflows > 0;

    s->t.missing = s->t.gaps = s->t.tail = s->t.duplicates = s->t.reordered = 0;
    s->t.ts_backwards = s->t.seq_wild = s->t.seq_covered = 0;

    for (uint32_t i = 0; i < s->nflows; i++) {
        struct vf_flow *f = &s->flows[i];
        f->missing = f->gaps = f->tail = 0;
        f->nranges = 0;
        f->sent = sent ? sent(ctx, &f->key) : VF_UNKNOWN;
        s->t.duplicates += f->duplicates;
        s->t.reordered += f->reordered;
        s->t.ts_backwards += f->ts_backwards;
        s->t.seq_wild += f->seq_wild;
        if (f->min_seq == UINT64_MAX) { /* no tracked seq */
            if (f->sent != VF_UNKNOWN && f->stamped == 0 && f->sent) {
                f->tail = f->sent;
                if (add_range(s, f, 0, f->sent - 1) < 0)
                    return -ENOMEM;
            } else if (f->sent == VF_UNKNOWN) {
                all_known = 0;
            }
            s->t.missing += f->missing;
            s->t.gaps += f->gaps;
            s->t.tail += f->tail;
            continue;
        }
        uint64_t base = s->from_first ? f->min_seq : 0, end = f->max_seq + 1;
        if (f->sent != VF_UNKNOWN && f->sent > end)
            end = f->sent;
        if (f->sent == VF_UNKNOWN)
            all_known = 0;
        span += f->max_seq + 1 - base;
        if (find_gaps(s, f, base, end) < 0)
            return -ENOMEM;
        if (f->sent != VF_UNKNOWN && f->sent > f->max_seq + 1)
            f->tail = f->sent - (f->max_seq + 1);
        s->t.missing += f->missing;
        s->t.gaps += f->gaps;
        s->t.tail += f->tail;
    }
    s->t.seq_span = span;
    s->t.tail_known = all_known;
    /* Only a total count from the generator: the tail is what the flows'
     * spans do not cover (flows are numbered from 0, so from_first is moot). */
    if (!all_known && total_sent != VF_UNKNOWN && !s->from_first && s->t.stamped) {
        uint64_t covered = 0;
        for (uint32_t i = 0; i < s->nflows; i++) {
            const struct vf_flow *f = &s->flows[i];
            if (f->min_seq != UINT64_MAX)
                covered += f->sent != VF_UNKNOWN && f->sent > f->max_seq + 1 ? f->sent
                                                                             : f->max_seq + 1;
            else if (f->sent != VF_UNKNOWN)
                covered += f->sent;
        }
        s->t.tail_known = 1;
        s->t.seq_covered = covered;
        if (total_sent > covered) {
            s->t.tail += total_sent - covered;
            s->t.missing += total_sent - covered;
        }
    }
    return 0;
}
