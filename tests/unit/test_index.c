/* The packet index (src/index): builder -> image -> reader round trips,
 * chunking, every key kind (QinQ, IPv6, fragments, raw IP, ARP, opaque
 * frames), both posting encodings, idx_build_fd over pcap/pcapng files of
 * every magic and byte order, and hostile images: every single-byte flip
 * and every truncation of a small image is rejected (or, with the checksum
 * recomputed, either rejected or opened with consistent answers). */
#include "index/index.h"
#include "index/idxfmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "test_index_frames.h"

static uint8_t frame[2048];

static bool has(const uint64_t *set, uint32_t c)
{
    return (set[c / 64] >> (c % 64)) & 1;
}

static unsigned count(const struct idx *x, const uint64_t *set)
{
    unsigned n = 0;
    for (uint32_t c = 0; c < x->nchunks; c++)
        n += has(set, c);
    return n;
}

static struct idx_key k4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    struct idx_key k = { IDX_K_IPV4, 4, { 0 } };
    tf_v4(k.v, a, b, c, d);
    return k;
}

static struct idx_key k6(unsigned n)
{
    struct idx_key k = { IDX_K_IPV6, 16, { 0 } };
    tf_v6(k.v, n);
    return k;
}

static struct idx_key kport(unsigned p)
{
    struct idx_key k = { IDX_K_PORT, 2, { (uint8_t)(p >> 8), (uint8_t)p } };
    return k;
}

static struct idx_key kproto(unsigned p)
{
    struct idx_key k = { IDX_K_PROTO, 1, { (uint8_t)p } };
    return k;
}

static struct idx_key kvlan(unsigned v)
{
    struct idx_key k = { IDX_K_VLAN, 2, { (uint8_t)(v >> 8), (uint8_t)v } };
    return k;
}

/* the chunks holding key k, as a list "0,3," */
static const char *chunks_of(const struct idx *x, struct idx_key k)
{
    static char s[1024];
    uint64_t set[64];
    size_t n = 0;
    idx_lookup(x, &k, set);
    s[0] = '\0';
    for (uint32_t c = 0; c < x->nchunks && n + 12 < sizeof(s); c++)
        if (has(set, c))
            n += (size_t)snprintf(s + n, sizeof(s) - n, "%u,", c);
    return s;
}

static uint8_t *finish(struct idx_builder *b, size_t *len, uint64_t end)
{
    struct idx_ident id = { .file_size = end + 10, .data_end = end, .format = 1 };
    memcpy(id.head, "\xd4\xc3\xb2\xa1", 4);
    uint8_t *img = NULL;
    CHECK(idx_builder_finish(b, &id, &img, len) == 0);
    return img;
}

/* Each record its own chunk (512-byte records, 512-byte chunks): record i
 * is chunk i. */
static void test_keys(void)
{
    struct idx_builder *b = idx_builder_new();
    CHECK(idx_builder_set_chunk_bytes(b, 512) == 0);
    struct tf t[16];
    memset(t, 0, sizeof(t));
    /* 0: IPv4 TCP */
    t[0].ipv = 4; t[0].proto = 6; t[0].sport = 1234; t[0].dport = 80;
    tf_v4(t[0].src, 10, 0, 0, 1); tf_v4(t[0].dst, 10, 0, 0, 2);
    /* 1: QinQ 802.1ad outer 100, inner 200, IPv4 UDP */
    t[1] = t[0]; t[1].tags[0] = 0x88a8; t[1].vid[0] = 100; t[1].tags[1] = 0x8100;
    t[1].vid[1] = 0x2000 | 200; t[1].proto = 17; t[1].sport = 53; t[1].dport = 5353;
    tf_v4(t[1].src, 192, 168, 1, 1);
    /* 2: IPv6 TCP */
    t[2].ipv = 6; t[2].proto = 6; t[2].sport = 443; t[2].dport = 50000;
    tf_v6(t[2].src, 1); tf_v6(t[2].dst, 2);
    /* 3: IPv4 non-first fragment of UDP: addresses and proto only */
    t[3] = t[0]; t[3].proto = 17; t[3].frag = 185; t[3].sport = 7777; t[3].dport = 8888;
    tf_v4(t[3].src, 10, 0, 0, 3);
    /* 4: IPv4 first fragment (MF) with ports */
    t[4] = t[0]; t[4].frag = 0x2000; t[4].sport = 9999; t[4].dport = 80;
    /* 5: raw IPv4 ICMP */
    t[5].raw = 1; t[5].ipv = 4; t[5].proto = 1; tf_v4(t[5].src, 172, 16, 0, 1);
    tf_v4(t[5].dst, 172, 16, 0, 2);
    /* 6: raw IPv6 ICMPv6 */
    t[6].raw = 1; t[6].ipv = 6; t[6].proto = 58; tf_v6(t[6].src, 7); tf_v6(t[6].dst, 8);
    /* 7: ARP 10.9.9.9 -> 10.8.8.8 */
    t[7].ipv = 0; tf_v4(t[7].src, 10, 9, 9, 9); tf_v4(t[7].dst, 10, 8, 8, 8);
    /* 8: LLDP-like other ethertype: no keys, not opaque */
    t[8].ipv = -1;
    /* 9: IPv4 with options (ihl 7), SCTP */
    t[9] = t[0]; t[9].ihl = 7; t[9].proto = 132; t[9].sport = 36412; t[9].dport = 2905;
    /* 10: 802.1Q 4095 then IPv6 UDP */
    t[10] = t[2]; t[10].tags[0] = 0x8100; t[10].vid[0] = 4095; t[10].proto = 17;
    t[10].sport = 5060; t[10].dport = 5061;
    /* 11: IPv6 fragment header, then UDP: proto 44 and 17, no ports */
    t[11] = t[2]; t[11].v6frag = 1; t[11].proto = 17; t[11].sport = 4444; t[11].dport = 4445;
    uint64_t off = 24;
    for (int i = 0; i < 12; i++) {
        size_t n = tf_build(frame, &t[i]);
        CHECK(idx_builder_add(b, off, 512, 1000 + (uint64_t)i, frame, (uint32_t)n,
                              t[i].raw ? 101 : 1) == 0);
        off += 512;
    }
    /* 12: opaque: truncated IPv4 header; 13: unknown link type; 14: TCP header cut before the ports */
    size_t n = tf_build(frame, &t[0]);
    CHECK(idx_builder_add(b, off, 512, 2000, frame, 14 + 19, 1) == 0);
    off += 512;
    CHECK(idx_builder_add(b, off, 512, 2001, frame, (uint32_t)n, 113) == 0);
    off += 512;
    CHECK(idx_builder_add(b, off, 512, 1500, frame, 14 + 20 + 3, 1) == 0);
    off += 512;
    /* out of order offsets are refused */
    CHECK(idx_builder_add(b, 24, 512, 1, frame, (uint32_t)n, 1) == -EINVAL);
    size_t len;
    uint8_t *img = finish(b, &len, off);
    struct idx x;
    char err[256];
    CHECK(idx_open(&x, img, len, err, sizeof(err)) == 0);
    CHECK_EQ_U(x.nchunks, 15);
    CHECK_EQ_U(x.records, 15);
    CHECK_EQ_U(x.ts_min, 1000);
    CHECK_EQ_U(x.ts_max, 2001);
    CHECK_EQ_U(x.ts_first, 1000);
    CHECK_EQ_U(x.ts_last, 1500);
    CHECK_EQ_U(x.chunk_bytes, 512);
    CHECK_EQ_U(x.ident.data_end, off);
    CHECK_EQ_U(x.chunks[3].off, 24 + 3 * 512);
    CHECK_EQ_U(x.chunks[3].end, 24 + 4 * 512);
    CHECK(strcmp(chunks_of(&x, k4(10, 0, 0, 1)), "0,4,9,14,") == 0);   /* 14: keys before the cut */
    CHECK(strcmp(chunks_of(&x, k4(10, 0, 0, 2)), "0,1,3,4,9,14,") == 0);
    CHECK(strcmp(chunks_of(&x, k4(192, 168, 1, 1)), "1,") == 0);
    CHECK(strcmp(chunks_of(&x, k4(10, 0, 0, 3)), "3,") == 0);
    CHECK(strcmp(chunks_of(&x, k4(172, 16, 0, 2)), "5,") == 0);
    CHECK(strcmp(chunks_of(&x, k4(10, 9, 9, 9)), "7,") == 0);
    CHECK(strcmp(chunks_of(&x, k4(10, 8, 8, 8)), "7,") == 0);
    CHECK(strcmp(chunks_of(&x, k4(1, 2, 3, 4)), "") == 0);
    CHECK(strcmp(chunks_of(&x, k6(1)), "2,10,11,") == 0);
    CHECK(strcmp(chunks_of(&x, k6(8)), "6,") == 0);
    CHECK(strcmp(chunks_of(&x, kport(80)), "0,4,") == 0);
    CHECK(strcmp(chunks_of(&x, kport(53)), "1,") == 0);
    CHECK(strcmp(chunks_of(&x, kport(7777)), "") == 0);       /* non-first fragment */
    CHECK(strcmp(chunks_of(&x, kport(9999)), "4,") == 0);
    CHECK(strcmp(chunks_of(&x, kport(2905)), "9,") == 0);     /* behind IPv4 options */
    CHECK(strcmp(chunks_of(&x, kport(5061)), "10,") == 0);
    CHECK(strcmp(chunks_of(&x, kproto(6)), "0,2,4,14,") == 0);
    CHECK(strcmp(chunks_of(&x, kproto(17)), "1,3,10,11,") == 0);
    CHECK(strcmp(chunks_of(&x, kproto(1)), "5,") == 0);
    CHECK(strcmp(chunks_of(&x, kproto(58)), "6,") == 0);
    CHECK(strcmp(chunks_of(&x, kproto(132)), "9,") == 0);
    CHECK(strcmp(chunks_of(&x, kproto(44)), "11,") == 0);
    CHECK(strcmp(chunks_of(&x, kport(4444)), "") == 0);
    CHECK(strcmp(chunks_of(&x, kvlan(100)), "1,") == 0);
    CHECK(strcmp(chunks_of(&x, kvlan(200)), "1,") == 0);      /* PCP bits dropped */
    CHECK(strcmp(chunks_of(&x, kvlan(4095)), "10,") == 0);
    struct idx_key bad = kport(80);
    bad.len = 4;
    CHECK(strcmp(chunks_of(&x, bad), "") == 0);
    uint64_t set[1];
    idx_opaque(&x, set);
    CHECK_EQ_U(set[0], (1u << 12) | (1u << 13) | (1u << 14));
    idx_time(&x, 1004, 1006, set);
    CHECK_EQ_U(set[0], (1u << 4) | (1u << 5) | (1u << 6));
    idx_time(&x, 1600, 1999, set);
    CHECK_EQ_U(set[0], 0);
    /* ranges: 10.0.0.0/24, ports 50-100 */
    struct idx_key lo = k4(10, 0, 0, 0), hi = k4(10, 0, 0, 255);
    idx_lookup_range(&x, &lo, &hi, set);
    CHECK_EQ_U(set[0], (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 9) | (1u << 14));
    lo = kport(50);
    hi = kport(100);
    idx_lookup_range(&x, &lo, &hi, set);
    CHECK_EQ_U(set[0], (1u << 0) | (1u << 1) | (1u << 4));
    struct idx_ident same = x.ident;
    CHECK(idx_matches(&x, &same));
    same.file_size++;
    CHECK(!idx_matches(&x, &same));
    same = x.ident;
    same.head[5] ^= 1;
    CHECK(!idx_matches(&x, &same));
    idx_close(&x);
    free(img);
    idx_builder_free(b);
}

/* Chunk boundaries at record boundaries once IDX bytes are reached; both
 * posting encodings; many keys (table and pool growth); reuse after reset. */
static void test_chunks_and_postings(void)
{
    struct idx_builder *b = idx_builder_new();
    CHECK(idx_builder_set_chunk_bytes(b, 100) == -EINVAL);
    CHECK(idx_builder_set_chunk_bytes(b, 1000) == 0);
    for (int round = 0; round < 2; round++) {
        struct tf t;
        memset(&t, 0, sizeof(t));
        t.ipv = 4;
        t.proto = 17;
        t.dport = 9;
        tf_v4(t.dst, 10, 255, 0, 1);
        uint64_t off = 24, t0 = 1000000000000ull;
        const unsigned nrec = 40000;
        uint32_t rl = 0;
        for (unsigned i = 0; i < nrec; i++) {
            /* 40000 distinct sources; port 7 every 1000th record (sparse) */
            tf_v4(t.src, 11, (i >> 16) & 255, (i >> 8) & 255, i & 255);
            t.sport = i % 1000 == 0 ? 7 : (uint16_t)(1024 + i % 50000);
            size_t n = tf_build(frame, &t);
            rl = 16 + (uint32_t)n;
            CHECK(idx_builder_add(b, off, rl, t0 - i, frame, (uint32_t)n, 1) == 0);
            off += rl;
        }
        /* a chunk closes at the record that reaches 1000 bytes */
        size_t len;
        uint8_t *img = finish(b, &len, off);
        struct idx x;
        char err[256];
        CHECK(idx_open(&x, img, len, err, sizeof(err)) == 0);
        uint32_t per = (1000 + rl - 1) / rl;
        CHECK_EQ_U(x.nchunks, (nrec + per - 1) / per);
        CHECK_EQ_U(x.chunks[1].records, per);
        CHECK_EQ_U(x.chunks[1].off, 24 + per * rl);
        CHECK_EQ_U(x.chunks[0].ts_first, t0);
        CHECK_EQ_U(x.chunks[0].ts_min, t0 - per + 1);
        CHECK_EQ_U(x.ts_last, t0 - nrec + 1);
        /* the destination: every chunk (a bitmap), the port 7: sparse (varints) */
        const struct idx_key dst = k4(10, 255, 0, 1), p7 = kport(7);
        uint64_t *set = calloc(idx_set_words(&x), 8);
        idx_lookup(&x, &dst, set);
        CHECK_EQ_U(count(&x, set), x.nchunks);
        idx_lookup(&x, &p7, set);
        CHECK_EQ_U(count(&x, set), nrec / 1000);
        for (unsigned i = 0; i < nrec; i += 1000)
            CHECK(has(set, i / per));
        /* the encodings in the image: 10.255.0.1 sorts first, so does port 7 */
        const uint8_t *kt4 = img + IDXF_KINDS + (IDX_K_IPV4 - 1) * IDXF_KIND_LEN;
        const uint8_t *ktp = img + IDXF_KINDS + (IDX_K_PORT - 1) * IDXF_KIND_LEN;
        CHECK_EQ_U(idxf_get32(kt4 + 4), nrec + 1);
        CHECK(idxf_get32(kt4 + 8) > 100);             /* blocks */
        const uint8_t *d4 = img + idxf_get64(kt4 + 16);
        CHECK(memcmp(d4, dst.v, 4) == 0);
        CHECK(idxf_get32(d4 + 4) & IDXF_POST_BITMAP);
        const uint8_t *dp = img + idxf_get64(ktp + 16);
        CHECK(memcmp(dp, p7.v, 2) == 0);
        CHECK(!(idxf_get32(dp + 2) & IDXF_POST_BITMAP));
        CHECK(idxf_get32(dp + 6 + 2) & IDXF_POST_BITMAP);      /* port 9: every chunk */
        /* a few sources, each in exactly its chunk */
        for (unsigned i = 0; i < nrec; i += 997) {
            struct idx_key s = k4(11, (i >> 16) & 255, (i >> 8) & 255, i & 255);
            idx_lookup(&x, &s, set);
            CHECK_EQ_U(count(&x, set), 1);
            CHECK(has(set, i / per));
        }
        free(set);
        idx_close(&x);
        free(img);
        idx_builder_reset(b);
    }
    /* an empty index */
    size_t len;
    uint8_t *img = finish(b, &len, 24);
    struct idx x;
    CHECK(idx_open(&x, img, len, NULL, 0) == 0);
    CHECK_EQ_U(x.nchunks, 0);
    CHECK_EQ_U(idx_set_words(&x), 1);
    uint64_t set[1] = { 5 };
    struct idx_key k = kport(1);
    idx_lookup(&x, &k, set);
    CHECK_EQ_U(set[0], 0);
    idx_close(&x);
    free(img);
    idx_builder_free(b);
}

/* a small image with every kind and both encodings */
static uint8_t *small_image(size_t *len)
{
    struct idx_builder *b = idx_builder_new();
    idx_builder_set_chunk_bytes(b, 512);
    struct tf t;
    memset(&t, 0, sizeof(t));
    uint64_t off = 24;
    for (int i = 0; i < 24; i++) {
        t.ipv = i % 3 == 2 ? 6 : 4;
        t.proto = i % 2 ? 6 : 17;
        t.sport = (uint16_t)(100 + i % 5);
        t.dport = 80;
        t.tags[0] = i % 4 ? 0x8100 : 0;
        t.vid[0] = (uint16_t)(i % 7);
        tf_v4(t.src, 10, 0, 0, (unsigned)i % 6);
        tf_v4(t.dst, 10, 0, 1, 1);
        tf_v6(t.src, (unsigned)i % 4);
        tf_v6(t.dst, 99);
        size_t n = tf_build(frame, &t);
        idx_builder_add(b, off, 300, (uint64_t)1e18 + (uint64_t)i * 7, frame,
                        i == 5 ? 10 : (uint32_t)n, 1);
        off += 300;
    }
    uint8_t *img = finish(b, len, off);
    idx_builder_free(b);
    return img;
}

/* what an opened index answers stays inside its chunks */
static void consistent(const struct idx *x)
{
    size_t w = idx_set_words(x);
    uint64_t *set = calloc(w, 8);
    uint64_t recs = 0;
    for (uint32_t c = 0; c < x->nchunks; c++) {
        CHECK(x->chunks[c].off < x->chunks[c].end && x->chunks[c].end <= x->ident.data_end);
        CHECK(c == 0 || x->chunks[c].off >= x->chunks[c - 1].end);
        CHECK(x->chunks[c].opaque <= x->chunks[c].records);
        recs += x->chunks[c].records;
    }
    CHECK(recs == x->records);
    struct idx_key ks[] = { k4(10, 0, 0, 1), k4(10, 0, 1, 1), k6(99), kport(80), kproto(6), kvlan(3) };
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        idx_lookup(x, &ks[i], set);
        for (size_t j = x->nchunks; j < w * 64; j++)
            CHECK(!has(set, (uint32_t)j));
    }
    free(set);
}

static void test_hostile(void)
{
    size_t len;
    uint8_t *img = small_image(&len);
    uint8_t *cp = malloc(len);
    struct idx x;
    char err[256];
    CHECK(idx_open(&x, img, len, err, sizeof(err)) == 0);
    CHECK_EQ_U(x.nchunks, 12);
    CHECK(x.chunks[2].opaque == 1);
    consistent(&x);
    idx_close(&x);
    /* truncation at every length */
    for (size_t n = 0; n < len; n++) {
        memcpy(cp, img, n);
        CHECK(idx_open(&x, cp, n, err, sizeof(err)) != 0);
    }
    /* every single-byte change: a checksum (head, chunk table, block)
     * catches it; with the checksums recomputed, the structure checks
     * reject it or it is consistent */
    unsigned opened = 0, tried = 0;
    for (size_t i = 0; i < len; i++) {
        for (int v = 0; v < 256; v += 51) {
            memcpy(cp, img, len);
            cp[i] ^= (uint8_t)(v ? v : 0x80);
            CHECK(idx_open(&x, cp, len, err, sizeof(err)) != 0);
            {
                idxf_fix_crcs(cp, len);
                tried++;
                if (idx_open(&x, cp, len, err, sizeof(err)) == 0) {
                    opened++;
                    consistent(&x);
                    idx_close(&x);
                }
            }
        }
    }
    printf("re-checksummed flips: %u of %u opened (consistent)\n", opened, tried);
    CHECK(opened < tried / 2);
    /* a wrong version and a padded image */
    memcpy(cp, img, len);
    idxf_put32(cp + IDXF_VERSION, 1);
    idxf_fix_crcs(cp, len);
    CHECK(idx_open(&x, cp, len, err, sizeof(err)) == -EINVAL);
    CHECK(strstr(err, "version 1, expected 2") != NULL);
    uint8_t *big = calloc(len + 4, 1);
    memcpy(big, img, len);
    CHECK(idx_open(&x, big, len + 4, err, sizeof(err)) != 0);
    free(big);
    free(cp);
    free(img);
}

static void test_crc(void)
{
    CHECK_EQ_U(idxf_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
    CHECK_EQ_U(idxf_crc32c((const uint8_t *)"", 0), 0);
}

/* ---- idx_build_fd ---- */

static size_t put(uint8_t *p, size_t o, const void *v, size_t n, bool swap)
{
    uint8_t t[8];
    memcpy(t, v, n);
    if (swap)
        for (size_t i = 0; i < n / 2; i++) {
            uint8_t c = t[i];
            t[i] = t[n - 1 - i];
            t[n - 1 - i] = c;
        }
    memcpy(p + o, t, n);
    return o + n;
}

static size_t p32(uint8_t *p, size_t o, uint32_t v, bool s) { return put(p, o, &v, 4, s); }
static size_t p16(uint8_t *p, size_t o, uint16_t v, bool s) { return put(p, o, &v, 2, s); }

static int memfd(const uint8_t *p, size_t n)
{
    int fd = memfd_create("idxtest", 0);
    if (fd < 0 || write(fd, p, n) != (ssize_t)n)
        return -1;
    return fd;
}

static uint8_t file[1 << 16];

/* a pcap of 3 frames (the third torn off) with magic m, byte order s */
static size_t make_pcap(uint32_t m, bool s, uint32_t lt)
{
    size_t o = 0;
    o = p32(file, o, m, s);
    o = p16(file, o, 2, s);
    o = p16(file, o, 4, s);
    o = p32(file, o, 0, s);
    o = p32(file, o, 0, s);
    o = p32(file, o, 65535, s);
    o = p32(file, o, lt, s);
    struct tf t;
    memset(&t, 0, sizeof(t));
    t.ipv = 4;
    t.proto = 6;
    t.raw = lt == 101;
    for (int i = 0; i < 3; i++) {
        tf_v4(t.src, 10, 1, 1, (unsigned)i + 1);
        t.sport = (uint16_t)(1000 + i);
        size_t n = tf_build(frame, &t);
        o = p32(file, o, 1700000000u + (uint32_t)i, s);
        o = p32(file, o, 500, s);
        o = p32(file, o, (uint32_t)n, s);
        o = p32(file, o, (uint32_t)n, s);
        if (m == 0xa1b2cd34u) {
            o = p32(file, o, 0, s);
            o = p32(file, o, 0, s);
        }
        memcpy(file + o, frame, i == 2 ? 5 : n);
        o += i == 2 ? 5 : n;
    }
    return o;
}

static void check_built(const uint8_t *img, size_t len, uint64_t ts0, unsigned nrec, int fmt,
                        unsigned absent)
{
    struct idx x;
    char err[256];
    CHECK(idx_open(&x, img, len, err, sizeof(err)) == 0);
    CHECK_EQ_U(x.records, nrec);
    CHECK_EQ_U(x.ts_first, ts0);
    CHECK_EQ_U(x.ident.format, fmt);
    CHECK(strcmp(chunks_of(&x, k4(10, 1, 1, 2)), "0,") == 0);
    CHECK(strcmp(chunks_of(&x, kport(1001)), "0,") == 0);
    CHECK(strcmp(chunks_of(&x, k4(10, 1, 1, absent)), "") == 0);
    idx_close(&x);
}

static void test_build_fd(void)
{
    static const uint32_t magics[] = { 0xa1b2c3d4u, 0xa1b23c4du, 0xa1b2cd34u };
    uint8_t *img;
    size_t len;
    char err[256];
    for (int mi = 0; mi < 3; mi++)
        for (int s = 0; s < 2; s++)
            for (int raw = 0; raw < 2; raw++) {
                size_t n = make_pcap(magics[mi], s, raw ? 101 : 1);
                int fd = memfd(file, n);
                CHECK(idx_build_fd(fd, &img, &len, err, sizeof(err)) == 0);
                check_built(img, len, 1700000000ull * 1000000000ull +
                            (mi == 1 ? 500 : 500000), 2, IDX_FORMAT_PCAP, 3);
                struct idx x;
                idx_open(&x, img, len, NULL, 0);
                CHECK_EQ_U(x.ident.file_size, n);
                CHECK_EQ_U(x.ident.data_end, n - 5 - (mi == 2 ? 24 : 16));
                CHECK(memcmp(x.ident.head, file, 64) == 0);
                idx_close(&x);
                free(img);
                close(fd);
            }
    /* pcapng, both byte orders: SHB, IDB 0 (Ethernet, ns), IDB 1 (raw,
     * 2^-10 s, offset 5 s), EPB on 1, EPB on 0, SPB, ISB, a torn EPB */
    for (int s = 0; s < 2; s++) {
        size_t o = 0;
        o = p32(file, o, 0x0A0D0D0A, s);
        o = p32(file, o, 28, s);
        o = p32(file, o, 0x1A2B3C4D, s);
        o = p16(file, o, 1, s);
        o = p16(file, o, 0, s);
        o = p32(file, o, 0xffffffff, s);
        o = p32(file, o, 0xffffffff, s);
        o = p32(file, o, 28, s);
        /* IDB 0: if_tsresol 9 */
        o = p32(file, o, 1, s);
        o = p32(file, o, 32, s);
        o = p16(file, o, 1, s);
        o = p16(file, o, 0, s);
        o = p32(file, o, 0, s);
        o = p16(file, o, 9, s);
        o = p16(file, o, 1, s);
        file[o] = 9; file[o + 1] = file[o + 2] = file[o + 3] = 0;
        o += 4;
        o = p16(file, o, 0, s);
        o = p16(file, o, 0, s);
        o = p32(file, o, 32, s);
        /* IDB 1: raw, if_tsresol 2^-10, if_tsoffset 5 */
        o = p32(file, o, 1, s);
        o = p32(file, o, 40, s);
        o = p16(file, o, 101, s);
        o = p16(file, o, 0, s);
        o = p32(file, o, 0, s);
        o = p16(file, o, 9, s);
        o = p16(file, o, 1, s);
        file[o] = 0x8a; file[o + 1] = file[o + 2] = file[o + 3] = 0;
        o += 4;
        o = p16(file, o, 14, s);
        o = p16(file, o, 8, s);
        uint64_t five = 5;
        o = put(file, o, &five, 8, s);
        o = p32(file, o, 40, s);
        struct tf t;
        memset(&t, 0, sizeof(t));
        t.ipv = 4;
        t.proto = 6;
        for (int i = 0; i < 4; i++) {
            tf_v4(t.src, 10, 1, 1, (unsigned)i + 1);
            t.sport = (uint16_t)(1000 + i);
            t.raw = i == 0;
            size_t n = tf_build(frame, &t), pad = (n + 3) & ~(size_t)3;
            if (i == 2) {       /* SPB */
                uint32_t bl = (uint32_t)(16 + pad);
                o = p32(file, o, 3, s);
                o = p32(file, o, bl, s);
                o = p32(file, o, (uint32_t)n, s);
                memset(file + o, 0, pad);
                memcpy(file + o, frame, n);
                o += pad;
                o = p32(file, o, bl, s);
                /* an ISB for interface 0 */
                o = p32(file, o, 5, s);
                o = p32(file, o, 24, s);
                o = p32(file, o, 0, s);
                o = p32(file, o, 0, s);
                o = p32(file, o, 0, s);
                o = p32(file, o, 24, s);
                continue;
            }
            uint32_t bl = (uint32_t)(32 + pad);
            uint64_t ts = i == 0 ? 1024ull * 10 + 512 : 1700000000123456789ull;
            o = p32(file, o, 6, s);
            o = p32(file, o, bl, s);
            o = p32(file, o, i == 0 ? 1 : 0, s);
            o = p32(file, o, (uint32_t)(ts >> 32), s);
            o = p32(file, o, (uint32_t)ts, s);
            o = p32(file, o, (uint32_t)n, s);
            o = p32(file, o, (uint32_t)n, s);
            memset(file + o, 0, pad);
            memcpy(file + o, frame, n);
            o += pad;
            o = p32(file, o, i == 3 ? bl + 4 : bl, s);     /* the last one torn */
        }
        int fd = memfd(file, o);
        CHECK(idx_build_fd(fd, &img, &len, err, sizeof(err)) == 0);
        check_built(img, len, 15500000000ull, 3, IDX_FORMAT_PCAPNG, 4);
        struct idx x;
        idx_open(&x, img, len, NULL, 0);
        CHECK_EQ_U(x.ts_min, 0);                        /* the SPB */
        CHECK_EQ_U(x.ts_max, 1700000000123456789ull);
        CHECK(strcmp(chunks_of(&x, k4(10, 1, 1, 1)), "0,") == 0);   /* raw, on IDB 1 */
        idx_close(&x);
        free(img);
        close(fd);
    }
    /* not a capture file */
    memset(file, 'x', 100);
    int fd = memfd(file, 100);
    CHECK(idx_build_fd(fd, &img, &len, err, sizeof(err)) == -EINVAL);
    CHECK(strstr(err, "not a pcap or pcapng") != NULL);
    close(fd);
}

/* The lazy checks (idx_open does not walk directories nor postings): a
 * malformed posting list or an unsorted directory, checksums recomputed,
 * opens; a lookup that meets it answers every chunk (a superset), and the
 * other keys and kinds answer as before. */
static unsigned n_all(const struct idx *x, const struct idx_key *k)
{
    uint64_t set[64];
    idx_lookup(x, k, set);
    return count(x, set);
}

static bool same_answer(const struct idx *a, const struct idx *b, const struct idx_key *k)
{
    uint64_t sa[64], sb[64];
    idx_lookup(a, k, sa);
    idx_lookup(b, k, sb);
    return memcmp(sa, sb, idx_set_words(a) * 8) == 0;
}

/* the key of directory entry i of kind k in image img */
static struct idx_key dir_key(const uint8_t *img, int k, uint32_t i)
{
    const uint8_t *kt = img + IDXF_KINDS + (size_t)(k - 1) * IDXF_KIND_LEN;
    unsigned kl = idxf_klen[k];
    struct idx_key key = { (uint8_t)k, (uint8_t)kl, { 0 } };
    memcpy(key.v, img + idxf_get64(kt + 16) + (size_t)i * (kl + 4), kl);      /* block 0 */
    return key;
}

static void test_lazy(void)
{
    size_t len;
    uint8_t *img = small_image(&len);
    uint8_t *cp = malloc(len);
    const int K = IDX_K_PORT;
    const unsigned E = 2 + 4;                   /* a port directory entry */
    const uint8_t *kt = img + IDXF_KINDS + (K - 1) * IDXF_KIND_LEN;
    uint32_t nkeys = idxf_get32(kt + 4);
    CHECK_EQ_U(idxf_get32(kt + 8), 1);         /* one block */
    /* from entry 1 on: entry 0 (port 80) is in every chunk */
    uint64_t dir = idxf_get64(kt + 16) + E, post = idxf_get64(kt + 16) + nkeys * E;
    struct idx x0, x;
    CHECK(nkeys >= 4);
    CHECK(idx_open(&x0, img, len, NULL, 0) == 0);
    struct idx_key other = kproto(6), k0 = dir_key(img, K, 1), k1 = dir_key(img, K, 2);
    CHECK(n_all(&x0, &k0) < x0.nchunks && n_all(&x0, &k1) < x0.nchunks);
    for (int mode = 0; mode < 4; mode++) {
        memcpy(cp, img, len);
        switch (mode) {
        case 0:         /* key 1's list: a chunk id past nchunks (one-byte varint) */
            cp[post + (idxf_get32(cp + dir + 2) & IDXF_POST_OFFMASK)] = 0x7f;
            break;
        case 1:         /* keys 1 and 2 swapped: the directory is not sorted */
            memcpy(cp + dir, img + dir + E, 2);
            memcpy(cp + dir + E, img + dir, 2);
            break;
        case 2:         /* key 2's list starts where key 1's does */
            idxf_put32(cp + dir + E + 2, idxf_get32(cp + dir + 2));
            break;
        case 3:         /* key 3's list offset past the postings */
            idxf_put32(cp + dir + 2 * E + 2, 0x7ffffff0u);
            break;
        }
        idxf_fix_crcs(cp, len);
        CHECK(idx_open(&x, cp, len, NULL, 0) == 0);
        consistent(&x);
        CHECK(same_answer(&x0, &x, &other));
        if (mode == 0) {
            CHECK_EQ_U(n_all(&x, &k0), x.nchunks);
            CHECK(same_answer(&x0, &x, &k1));
        } else {
            CHECK_EQ_U(n_all(&x, &k0), x.nchunks);
            CHECK_EQ_U(n_all(&x, &k1), x.nchunks);
            struct idx_key lo = kport(0), hi = kport(65535);
            uint64_t set[64];
            idx_lookup_range(&x, &lo, &hi, set);
            CHECK_EQ_U(count(&x, set), x.nchunks);
        }
        idx_close(&x);
    }
    idx_close(&x0);
    free(cp);
    free(img);
}

/* ---- key blocks and the fd path ---- */

#define BF 10000                /* flows */
#define BR 30000                /* records */

struct bimg {
    uint8_t *img;
    size_t len;
    uint16_t flow[BR];          /* each record's flow */
    uint32_t chunk[BR];         /* each record's chunk */
    uint32_t nchunks;
};

/* flow f: 10.0.0.0 + 3f -> 10.255.0.1, UDP 1024 + f -> 9 */
static struct idx_key bsrc(unsigned f)
{
    unsigned a = 3 * f;
    return k4(10, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void build_blocks(struct bimg *bi)
{
    struct idx_builder *b = idx_builder_new();
    CHECK(idx_builder_set_chunk_bytes(b, 512) == 0);
    struct tf t;
    memset(&t, 0, sizeof(t));
    t.ipv = 4;
    t.proto = 17;
    t.dport = 9;
    tf_v4(t.dst, 10, 255, 0, 1);
    uint32_t s = 12345;
    uint64_t off = 24;
    for (unsigned i = 0; i < BR; i++) {
        s = s * 1103515245u + 12345u;
        unsigned f = (s >> 8) % BF;
        bi->flow[i] = (uint16_t)f;
        struct idx_key k = bsrc(f);
        memcpy(t.src, k.v, 4);
        t.sport = (uint16_t)(1024 + f);
        size_t n = tf_build(frame, &t);
        CHECK(idx_builder_add(b, off, 100, 1000 + i, frame, (uint32_t)n, 1) == 0);
        off += 100;
    }
    bi->img = finish(b, &bi->len, off);
    idx_builder_free(b);
    struct idx x;
    CHECK(idx_open(&x, bi->img, bi->len, NULL, 0) == 0);
    bi->nchunks = x.nchunks;
    uint32_t c = 0;
    for (unsigned i = 0; i < BR; i++) {
        uint64_t o = 24 + 100ull * i;
        while (c < x.nchunks && x.chunks[c].end <= o)
            c++;
        CHECK(c < x.nchunks && x.chunks[c].off <= o);
        bi->chunk[i] = c;
    }
    idx_close(&x);
}

/* the expected chunks of source addresses / source ports in [lo, hi] of flow
 * values, from the records themselves */
static void expect(const struct bimg *bi, int kind, uint32_t lo, uint32_t hi, uint64_t *set)
{
    memset(set, 0, ((bi->nchunks + 63) / 64) * 8);
    for (unsigned i = 0; i < BR; i++) {
        uint32_t v = kind == IDX_K_IPV4 ? (10u << 24) + 3u * bi->flow[i] : 1024u + bi->flow[i];
        if (v >= lo && v <= hi)
            set[bi->chunk[i] / 64] |= 1ull << (bi->chunk[i] % 64);
        if (kind == IDX_K_PORT && 9 >= lo && 9 <= hi)
            set[bi->chunk[i] / 64] |= 1ull << (bi->chunk[i] % 64);
        if (kind == IDX_K_IPV4 && 0x0aff0001u >= lo && 0x0aff0001u <= hi)
            set[bi->chunk[i] / 64] |= 1ull << (bi->chunk[i] % 64);
    }
}

static struct idx_key kval(int kind, uint32_t v)
{
    return kind == IDX_K_IPV4 ? k4(v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)
                              : kport(v);
}

static bool range_is(const struct idx *x, const struct bimg *bi, int kind, uint32_t lo,
                     uint32_t hi)
{
    static uint64_t got[128], want[128];
    struct idx_key a = kval(kind, lo), b = kval(kind, hi);
    idx_lookup_range(x, &a, &b, got);
    expect(bi, kind, lo, hi, want);
    return memcmp(got, want, idx_set_words(x) * 8) == 0;
}

/* got holds want */
static bool superset(const uint64_t *got, const uint64_t *want, size_t words)
{
    for (size_t w = 0; w < words; w++)
        if ((want[w] & ~got[w]) != 0)
            return false;
    return true;
}

/* kind k's fence j in img, and its block's offset */
static uint8_t *fence(uint8_t *img, int k, uint32_t j, uint64_t *boff)
{
    const uint8_t *kt = img + IDXF_KINDS + (size_t)(k - 1) * IDXF_KIND_LEN;
    unsigned kl = idxf_klen[k], fl = kl + IDXF_FENCE_TAIL;
    uint64_t o = idxf_get64(kt + 16);
    for (uint32_t i = 0; i < j; i++)
        o += idxf_get32(img + idxf_get32(kt + 12) + (size_t)i * fl + kl);
    if (boff)
        *boff = o;
    return img + idxf_get32(kt + 12) + (size_t)j * fl;
}

/* Several blocks per kind: every key and ranges across block edges answer
 * what the records say, in memory and through a file; the fd path reads
 * the head, the chunk table and one block for one key. */
static void test_blocks(struct bimg *bi)
{
    struct idx x, y;
    char err[256];
    CHECK(idx_open(&x, bi->img, bi->len, err, sizeof(err)) == 0);
    const uint8_t *kt4 = bi->img + IDXF_KINDS + (IDX_K_IPV4 - 1) * IDXF_KIND_LEN;
    const uint8_t *ktp = bi->img + IDXF_KINDS + (IDX_K_PORT - 1) * IDXF_KIND_LEN;
    uint32_t nb4 = idxf_get32(kt4 + 8), nbp = idxf_get32(ktp + 8);
    printf("blocks: %u keys IPv4 in %u, %u ports in %u; image %zu bytes, head %u\n",
           idxf_get32(kt4 + 4), nb4, idxf_get32(ktp + 4), nbp, bi->len,
           idxf_get32(bi->img + IDXF_HEADLEN));
    CHECK(nb4 >= 20 && nbp >= 20);
    int fd = memfd(bi->img, bi->len);
    CHECK(fd >= 0);
    CHECK(idx_open_fd(&y, fd, bi->len, err, sizeof(err)) == 0);
    uint64_t opened = idx_bytes_read(&y), hl = idxf_get32(bi->img + IDXF_HEADLEN);
    uint64_t hc = hl + idxf_get64(bi->img + IDXF_CTLEN);
    CHECK_EQ_U(opened, hc > IDXF_HEAD_READ ? hc : IDXF_HEAD_READ);
    CHECK_EQ_U(y.nchunks, x.nchunks);
    CHECK(memcmp(x.chunks, y.chunks, x.nchunks * sizeof(*x.chunks)) == 0);
    struct idx_key k = bsrc(5000);
    uint64_t blen;
    fence(bi->img, IDX_K_IPV4, 1, &blen);
    idx_prefetch(&y, &k, &k);
    CHECK(range_is(&y, bi, IDX_K_IPV4, (10u << 24) + 15000, (10u << 24) + 15000));
    uint64_t one = idx_bytes_read(&y) - opened;
    printf("one key through the file: %llu + %llu bytes of %zu\n", (unsigned long long)opened,
           (unsigned long long)one, bi->len);
    CHECK(one > 0 && one <= 2 * IDXF_BLOCK_BYTES);
    /* every key, both paths */
    for (unsigned f = 0; f < BF; f++) {
        uint32_t v4 = (10u << 24) + 3 * f, vp = 1024 + f;
        CHECK(range_is(&x, bi, IDX_K_IPV4, v4, v4));
        CHECK(range_is(&y, bi, IDX_K_IPV4, v4, v4));
        CHECK(range_is(&x, bi, IDX_K_PORT, vp, vp));
        CHECK(range_is(&y, bi, IDX_K_PORT, vp, vp));
        /* absent values between keys */
        CHECK(range_is(&y, bi, IDX_K_IPV4, v4 + 1, v4 + 2));
    }
    CHECK(range_is(&y, bi, IDX_K_IPV4, 0, (10u << 24) - 1));
    CHECK(range_is(&y, bi, IDX_K_IPV4, 0xffff0000u, 0xffffffffu));
    /* net 10.0.16.0/20 and a portrange: several blocks each */
    CHECK(range_is(&x, bi, IDX_K_IPV4, (10u << 24) + (16 << 8), (10u << 24) + (32 << 8) - 1));
    CHECK(range_is(&y, bi, IDX_K_IPV4, (10u << 24) + (16 << 8), (10u << 24) + (32 << 8) - 1));
    CHECK(range_is(&y, bi, IDX_K_PORT, 2000, 2600));
    /* ranges whose ends fall on block edges, on keys and between them */
    uint32_t s = 99;
    for (int i = 0; i < 300; i++) {
        s = s * 1103515245u + 12345u;
        int kind = i % 2 ? IDX_K_PORT : IDX_K_IPV4;
        uint32_t j = (s >> 8) % (kind == IDX_K_PORT ? nbp : nb4);
        const uint8_t *f = fence(bi->img, kind, j, NULL);
        uint32_t edge = kind == IDX_K_PORT ? (uint32_t)f[0] << 8 | f[1]
                                           : __builtin_bswap32(idxf_get32(f));
        uint32_t lo = edge - (s >> 20) % 3, hi = edge + (s >> 4) % 2000;
        CHECK(range_is(&y, bi, kind, lo, hi));
        CHECK(range_is(&x, bi, kind, lo, hi));
    }
    /* a plan through the file */
    struct idx_plan *p;
    CHECK(idx_plan_compile("host 10.0.0.3 or udp port 1030", &p, NULL, 0) == 0);
    idx_plan_prefetch(p, &y);
    uint64_t a[128], b[128];
    idx_plan_eval(p, &x, a);
    idx_plan_eval(p, &y, b);
    CHECK(memcmp(a, b, idx_set_words(&x) * 8) == 0);
    idx_plan_free(p);
    CHECK_EQ_U(idx_lazy_errors(&y), 0);
    idx_close(&y);
    idx_close(&x);
    close(fd);
}

/* Damage behind the checksums, and damage the checksums catch late. */
static void test_block_damage(struct bimg *bi)
{
    struct idx x, y;
    char err[256];
    uint8_t *cp = malloc(bi->len);
    uint64_t want[128], got[128];
    const size_t words = (bi->nchunks + 63) / 64;
    CHECK(cp != NULL);
    /* a byte of IPv4 block 3 changed, its CRC not: idx_open refuses the
     * image; through a file, the keys of block 3 answer every chunk, the
     * others what they should */
    uint64_t b3;
    uint8_t *f3 = fence(bi->img, IDX_K_IPV4, 3, &b3);
    uint32_t len3 = idxf_get32(f3 + 4);
    memcpy(cp, bi->img, bi->len);
    cp[b3 + len3 - 2] ^= 0x10;
    CHECK(idx_open(&x, cp, bi->len, err, sizeof(err)) == -EINVAL);
    CHECK(strstr(err, "block 3: checksum") != NULL);
    int fd = memfd(cp, bi->len);
    CHECK(idx_open_fd(&y, fd, bi->len, err, sizeof(err)) == 0);
    uint32_t first3 = __builtin_bswap32(idxf_get32(f3));
    struct idx_key in3 = kval(IDX_K_IPV4, first3 + 3), in2 = kval(IDX_K_IPV4, first3 - 3);
    idx_lookup(&y, &in3, got);
    CHECK_EQ_U(count(&y, got), y.nchunks);
    CHECK_EQ_U(idx_lazy_errors(&y), 1);
    CHECK(range_is(&y, bi, IDX_K_IPV4, first3 - 3, first3 - 3));
    CHECK(range_is(&y, bi, IDX_K_PORT, 1024, 1100));
    idx_lookup_range(&y, &in2, &in3, got);                 /* a range meeting it */
    CHECK_EQ_U(count(&y, got), y.nchunks);
    CHECK_EQ_U(idx_lazy_errors(&y), 1);
    idx_close(&y);
    close(fd);

    /* a file cut short after the open: blocks not read yet answer every
     * chunk, blocks read before stay exact */
    fd = memfd(bi->img, bi->len);
    CHECK(idx_open_fd(&y, fd, bi->len, err, sizeof(err)) == 0);
    CHECK(range_is(&y, bi, IDX_K_IPV4, first3 + 3, first3 + 3));
    CHECK(ftruncate(fd, (off_t)b3 + 10) == 0);
    CHECK(range_is(&y, bi, IDX_K_IPV4, first3 + 3, first3 + 3));        /* cached */
    idx_lookup(&y, &in2, got);                                          /* block 2: before the cut */
    expect(bi, IDX_K_IPV4, first3 - 3, first3 - 3, want);
    CHECK(memcmp(got, want, words * 8) == 0);
    struct idx_key p = kport(5000);
    idx_lookup(&y, &p, got);
    CHECK_EQ_U(count(&y, got), y.nchunks);
    CHECK(idx_lazy_errors(&y) >= 1);
    idx_close(&y);
    /* and a file shorter than its header says: refused at open */
    CHECK(idx_open_fd(&y, fd, b3 + 10, err, sizeof(err)) == -EINVAL);
    CHECK(strstr(err, "torn or padded") != NULL);
    close(fd);

    /* lying fences, checksums recomputed: (0) block 3's fence value below
     * its first key: opens, block 3 answers every chunk; (1) fences 2 and
     * 3 swapped: refused; (2) block 2 longer, block 3 shorter by as much
     * (overlapping the old edge): opens, every answer a superset; (3) a
     * fence's key count off by one: refused */
    for (int mode = 0; mode < 4; mode++) {
        memcpy(cp, bi->img, bi->len);
        uint8_t *f2 = fence(cp, IDX_K_IPV4, 2, NULL), *g3 = fence(cp, IDX_K_IPV4, 3, NULL);
        uint8_t t[4];
        switch (mode) {
        case 0:
            idxf_put32(g3, __builtin_bswap32(first3 - 1));
            break;
        case 1:
            memcpy(t, f2, 4);
            memcpy(f2, g3, 4);
            memcpy(g3, t, 4);
            break;
        case 2:
            idxf_put32(f2 + 4, idxf_get32(f2 + 4) + 6);
            idxf_put32(g3 + 4, idxf_get32(g3 + 4) - 6);
            break;
        case 3:
            idxf_put32(f2 + 8, idxf_get32(f2 + 8) + 1);
            break;
        }
        idxf_fix_crcs(cp, bi->len);
        fd = memfd(cp, bi->len);
        int rm = idx_open(&x, cp, bi->len, err, sizeof(err));
        int rf = idx_open_fd(&y, fd, bi->len, err, sizeof(err));
        CHECK(rm == rf);
        if (mode == 1 || mode == 3) {
            CHECK(rm == -EINVAL);
            close(fd);
            continue;
        }
        CHECK(rm == 0);
        for (int w = 0; w < 2; w++) {
            struct idx *z = w ? &y : &x;
            for (unsigned f = 0; f < BF; f += 7) {
                uint32_t v = (10u << 24) + 3 * f;
                struct idx_key k = kval(IDX_K_IPV4, v);
                idx_lookup(z, &k, got);
                expect(bi, IDX_K_IPV4, v, v, want);
                CHECK(superset(got, want, words));
                if (mode == 0 && v >= first3 - 1 && v < first3 + 200)
                    CHECK_EQ_U(count(z, got), z->nchunks);
                if (mode == 0 && v < first3 - 600)
                    CHECK(memcmp(got, want, words * 8) == 0);
            }
            CHECK(range_is(z, bi, IDX_K_PORT, 1024, 4000));
        }
        idx_close(&x);
        idx_close(&y);
        close(fd);
    }
    free(cp);
}

/* The flow cache changes no byte of the image: random records from a few
 * dozen flows of every kind, in small and default chunks, over two files
 * through one builder (the reset must forget the cache: chunk ids start
 * again at 0), built with the cache and without. */
static void test_flow_cache(void)
{
    struct tf fl[40];
    memset(fl, 0, sizeof(fl));
    for (int i = 0; i < 40; i++) {
        struct tf *t = &fl[i];
        unsigned r = (unsigned)(i / 2) * 2654435761u >> 16;
        t->ipv = (r % 7 == 0) ? 6 : (r % 11 == 0) ? 0 : (r % 13 == 0) ? -1 : 4;
        t->proto = (uint8_t)((r % 3 == 0) ? 6 : (r % 3 == 1) ? 17 : 1);
        t->sport = (uint16_t)(1000 + i);
        t->dport = (uint16_t)(i / 2 % 5 == 0 ? 80 : 53);
        /* pairs (2k, 2k+1) differ only in the source port (and maybe
         * the protocol): the same cache slot, told apart by the compare */
        tf_v4(t->src, 10, 0, 0, (unsigned)i / 2);
        tf_v4(t->dst, 10, 1, 0, (unsigned)i / 2 % 4);
        if (t->ipv == 6) {
            tf_v6(t->src, (unsigned)i);
            tf_v6(t->dst, 1000 + (unsigned)i % 3);
        }
        if (i / 2 % 4 == 1) {
            t->tags[0] = 0x8100;
            t->vid[0] = (uint16_t)(i % 3);
        }
        if (i / 2 % 8 == 3) {
            t->tags[1] = 0x8100;
            t->vid[1] = (uint16_t)(100 + i % 2);
        }
        if (i / 2 % 9 == 4)
            t->frag = 100;
        t->raw = (i / 2 % 17 == 16);
        if (t->raw && t->ipv != 4 && t->ipv != 6)
            t->ipv = 4;
    }
    for (int chunk = 0; chunk < 2; chunk++) {
        struct idx_builder *on = idx_builder_new(), *off = idx_builder_new();
        CHECK(on && off);
        idx_builder_set_flow_cache(off, false);
        if (chunk == 0) {
            CHECK(idx_builder_set_chunk_bytes(on, 512) == 0);
            CHECK(idx_builder_set_chunk_bytes(off, 512) == 0);
        }
        /* file 1 begins as file 0 (10 records): a cache the reset left
         * would take its records for ones already posted */
        for (int file = 0; file < 2; file++) {
            uint64_t o = 24;
            uint32_t s = 777u;
            for (int k = 0; k < (file ? 20000 : 10); k++) {
                s = s * 1103515245u + 12345u;
                /* flow locality: runs of the same few flows */
                const struct tf *t = &fl[(s >> 16) % (k % 1000 < 500 ? 5 : 40)];
                size_t n = tf_build(frame, t);
                uint32_t cap = (s >> 8) % 50 == 0 ? (uint32_t)n / 2 : (uint32_t)n;
                uint32_t lt = t->raw ? 101 : 1;
                CHECK(idx_builder_add(on, o, 16 + cap, 1000 + (uint64_t)k, frame, cap, lt) == 0);
                CHECK(idx_builder_add(off, o, 16 + cap, 1000 + (uint64_t)k, frame, cap, lt) == 0);
                o += 16 + cap;
            }
            size_t la = 0, lb = 0;
            uint8_t *a = finish(on, &la, o), *b = finish(off, &lb, o);
            CHECK(a && b && la == lb && memcmp(a, b, la) == 0);
            free(a);
            free(b);
            idx_builder_reset(on);
            idx_builder_reset(off);
        }
        idx_builder_free(on);
        idx_builder_free(off);
    }
}

int main(void)
{
    test_flow_cache();
    test_crc();
    test_keys();
    test_chunks_and_postings();
    test_hostile();
    test_lazy();
    test_build_fd();
    struct bimg *bi = calloc(1, sizeof(*bi));
    CHECK(bi != NULL);
    build_blocks(bi);
    test_blocks(bi);
    test_block_damage(bi);
    free(bi->img);
    free(bi);
    return check_done("test_index");
}
