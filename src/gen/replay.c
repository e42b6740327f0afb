#include "gen/replay.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX_BYTES (4ULL << 30)       /* arena limit: 4 GiB */
#define REPLAY_MAX_RECORDS (64u << 20)

struct flow_key {
    uint8_t kind;           /* 4, 6: IP 5-tuple; 0: other (MACs + ethertype) */
    uint8_t proto;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

/* Headers of one frame, bounds-checked; offsets 0 when absent. */
struct parsed {
    unsigned l3, l4, l4_len;    /* l4_len: captured bytes from l4 on */
    uint16_t ethertype;
    uint8_t proto;
    int ipver;
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void parse(const uint8_t *f, unsigned len, struct parsed *ps)
{
    memset(ps, 0, sizeof(*ps));
    if (len < 14)
        return;
    unsigned off = 12;
    uint16_t et = rd16(f + off);
    off += 2;
    for (int tags = 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++) {
        if (len < off + 4)
            return;
        et = rd16(f + off + 2);
        off += 4;
    }
    ps->ethertype = et;
    if (et == 0x0800 && len >= off + 20 && (f[off] >> 4) == 4) {
        unsigned ihl = (f[off] & 15u) * 4u;
        if (ihl < 20 || len < off + ihl)
            return;
        ps->ipver = 4;
        ps->l3 = off;
        ps->proto = f[off + 9];
        bool first_frag = (rd16(f + off + 6) & 0x1fff) == 0;
        bool more = (rd16(f + off + 6) & 0x2000) != 0;
        if (first_frag && !more) {
            ps->l4 = off + ihl;
            ps->l4_len = len - ps->l4;
        }
    } else if (et == 0x86dd && len >= off + 40 && (f[off] >> 4) == 6) {
        ps->ipver = 6;
        ps->l3 = off;
        ps->proto = f[off + 6];
        ps->l4 = off + 40;          /* extension headers are not followed */
        ps->l4_len = len - ps->l4;
    }
}

static void flow_key_of(const uint8_t *f, unsigned len, const struct parsed *ps, struct flow_key *k)
{
    memset(k, 0, sizeof(*k));
    if (ps->ipver == 4) {
        k->kind = 4;
        memcpy(k->src, f + ps->l3 + 12, 4);
        memcpy(k->dst, f + ps->l3 + 16, 4);
    } else if (ps->ipver == 6) {
        k->kind = 6;
        memcpy(k->src, f + ps->l3 + 8, 16);
        memcpy(k->dst, f + ps->l3 + 24, 16);
    } else {
        k->kind = 0;
        if (len >= 12) {
            memcpy(k->src, f + 6, 6);
            memcpy(k->dst, f, 6);
        }
        k->sport = ps->ethertype;
        return;
    }
    k->proto = ps->proto;
    if ((ps->proto == 6 || ps->proto == 17) && ps->l4 && ps->l4_len >= 4) {
        k->sport = rd16(f + ps->l4);
        k->dport = rd16(f + ps->l4 + 2);
    }
}

static uint64_t key_hash(const struct flow_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = 1469598103934665603ULL;    /* FNV-1a */
    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Flow index of every record, by 5-tuple, in order of first appearance. */
static int classify(struct gen_replay *r, const struct parsed *ps_all, char *err, size_t errlen)
{
    size_t cap = 16;
    while (cap < (size_t)r->n * 2)
        cap <<= 1;
    struct flow_key *keys = calloc(cap, sizeof(*keys));
    uint32_t *ids = malloc(cap * sizeof(*ids));
    if (keys == NULL || ids == NULL) {
        free(keys);
        free(ids);
        snprintf(err, errlen, "--replay: out of memory for the flow table of %u records", r->n);
        return -1;
    }
    memset(ids, 0xff, cap * sizeof(*ids));
    r->nflows = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        struct flow_key k;
        const uint8_t *f = r->arena + r->rec[i].off;
        flow_key_of(f, r->rec[i].len, &ps_all[i], &k);
        size_t h = key_hash(&k) & (cap - 1);
        while (ids[h] != UINT32_MAX && memcmp(&keys[h], &k, sizeof(k)) != 0)
            h = (h + 1) & (cap - 1);
        if (ids[h] == UINT32_MAX) {
            keys[h] = k;
            ids[h] = r->nflows++;
        }
        r->rec[i].flow = ids[h];
    }
    free(keys);
    free(ids);
    return 0;
}

/* --rewrite: MACs always; IPv4 addresses with the header checksum and the
 * TCP/UDP checksum patched (a UDP checksum of 0 stays 0). */
static void rewrite(uint8_t *f, const struct gen_record *rec, const struct parsed *ps,
                    const struct gen_config *c, struct gen_replay *r)
{
    if (rec->len >= 12) {
        memcpy(f, c->dst_mac, 6);
        memcpy(f + 6, c->src_mac, 6);
    }
    if (ps->ipver != 4)
        return;
    uint8_t *ip = f + ps->l3;
    uint8_t old[8], nw[8];
    uint32_t s = gen_flow_src_ip(c->src_ip, rec->flow), d = c->dst_ip;
    memcpy(old, ip + 12, 8);
    uint8_t a[8] = { (uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s,
                     (uint8_t)(d >> 24), (uint8_t)(d >> 16), (uint8_t)(d >> 8), (uint8_t)d };
    memcpy(nw, a, 8);
    memcpy(ip + 12, nw, 8);
    unsigned ihl = (ip[0] & 15u) * 4u;
    wr16(ip + 10, 0);
    wr16(ip + 10, gen_csum_fold(gen_csum_add(0, ip, ihl)));
    if (ps->l4) {
        unsigned coff = ps->proto == 6 ? 16 : ps->proto == 17 ? 6 : 0;
        if (coff && ps->l4_len >= coff + 2) {
            uint8_t *cs = f + ps->l4 + coff;
            if (!(ps->proto == 17 && rd16(cs) == 0)) {
                gen_csum_patch(cs, old, nw, 8);
                if (ps->proto == 6 && rd16(cs) == 0xffff)
                    wr16(cs, 0);    /* TCP has no "no checksum": keep the true value */
            }
        }
    }
    r->rewritten_ip++;
}

/* --stamp: where the UDP payload has room for it. IPv4: the UDP checksum is
 * set to 0 here (allowed); IPv6: patched per frame after stamping. */
static void prepare_stamp(uint8_t *f, struct gen_record *rec, const struct parsed *ps,
                          struct gen_replay *r)
{
    if (ps->proto != 17 || ps->l4 == 0 || ps->l4_len < 8u + 18u)
        return;
    unsigned ulen = rd16(f + ps->l4 + 4);
    if (ulen < 8u + 18u)
        return;
    rec->stamp_off = (uint16_t)(ps->l4 + 8);
    if (ps->ipver == 4)
        wr16(f + ps->l4 + 6, 0);
    else if (rd16(f + ps->l4 + 6) != 0 && ps->l4_len >= ulen)
        rec->csum_off = (uint16_t)(ps->l4 + 6);
    else if (ps->l4_len < ulen) {
        rec->stamp_off = 0;         /* IPv6, truncated: the checksum cannot be kept valid */
        return;
    }
    r->stampable++;
}

int gen_replay_load(const char *path, const struct gen_config *c, struct gen_replay *r,
                    char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    size_t acap = 1 << 20, rcap = 1024;
    struct parsed *ps = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (p == NULL) {
        snprintf(err, errlen, "--replay '%s': cannot read: %s", path, ebuf);
        return -1;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        snprintf(err, errlen, "--replay '%s': link type %s, expected Ethernet (EN10MB)", path,
                 pcap_datalink_val_to_name(pcap_datalink(p)) ? pcap_datalink_val_to_name(pcap_datalink(p)) : "?");
        pcap_close(p);
        return -1;
    }
    r->arena = malloc(acap);
    r->rec = malloc(rcap * sizeof(*r->rec));
    if (r->arena == NULL || r->rec == NULL)
        goto oom;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        if (h->caplen > GEN_MAX_FRAME - GEN_FCS || h->caplen == 0) {
            r->skipped_big += h->caplen != 0;
            continue;
        }
        if (h->caplen < h->len)
            r->truncated++;
        if (r->n >= REPLAY_MAX_RECORDS || r->bytes + h->caplen > REPLAY_MAX_BYTES) {
            snprintf(err, errlen, "--replay '%s': more than %u records or %llu GiB; use a smaller file",
                     path, REPLAY_MAX_RECORDS, REPLAY_MAX_BYTES >> 30);
            goto fail;
        }
        if (r->bytes + h->caplen > acap) {
            while (r->bytes + h->caplen > acap)
                acap *= 2;
            uint8_t *na = realloc(r->arena, acap);
            if (na == NULL)
                goto oom;
            r->arena = na;
        }
        if (r->n == rcap) {
            rcap *= 2;
            struct gen_record *nr = realloc(r->rec, rcap * sizeof(*nr));
            if (nr == NULL)
                goto oom;
            r->rec = nr;
        }
        struct gen_record *rec = &r->rec[r->n++];
        memset(rec, 0, sizeof(*rec));
        rec->off = r->bytes;
        rec->len = (uint16_t)h->caplen;
        memcpy(r->arena + r->bytes, data, h->caplen);
        r->bytes += h->caplen;
        if (h->caplen > r->max_len)
            r->max_len = h->caplen;
    }
    if (rc == PCAP_ERROR) {
        snprintf(err, errlen, "--replay '%s': read error after %u records: %s", path, r->n,
                 pcap_geterr(p));
        goto fail;
    }
    pcap_close(p);
    p = NULL;
    if (r->n == 0) {
        snprintf(err, errlen, "--replay '%s': no frame to send (%llu records longer than %u B skipped)",
                 path, (unsigned long long)r->skipped_big, GEN_MAX_FRAME - GEN_FCS);
        goto fail;
    }
    ps = malloc((size_t)r->n * sizeof(*ps));
    if (ps == NULL)
        goto oom;
    for (uint32_t i = 0; i < r->n; i++)
        parse(r->arena + r->rec[i].off, r->rec[i].len, &ps[i]);
    if (classify(r, ps, err, errlen) < 0)
        goto fail;
    for (uint32_t i = 0; i < r->n; i++) {
        uint8_t *f = r->arena + r->rec[i].off;
        if (c->rewrite)
            rewrite(f, &r->rec[i], &ps[i], c, r);
        if (c->stamp)
            prepare_stamp(f, &r->rec[i], &ps[i], r);
    }
    free(ps);
    return 0;

oom:
    snprintf(err, errlen, "--replay '%s': out of memory after %u records (%llu bytes)", path, r->n,
             (unsigned long long)r->bytes);
fail:
    free(ps);
    if (p)
        pcap_close(p);
    gen_replay_free(r);
    return -1;
}

void gen_replay_free(struct gen_replay *r)
{
    free(r->arena);
    free(r->rec);
    r->arena = NULL;
    r->rec = NULL;
}
