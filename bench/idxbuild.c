/* idxbuild: the index builder's cost per record, the index's size against
 * the capture's, and what a one-host query would read (docs/INDEX.md).
 * Frames like linecap-gen's (UDP from 10.0.0.1 + f % 65536, port 1024 +
 * f % 60000, to 10.255.0.1:9), one of FLOWS flows drawn at random per
 * record, sizes fixed or from the caida mix (src/gen/genconf.c, sizes with
 * FCS: 4 bytes less captured). Records are laid out as in a pcap file (16 +
 * caplen) of MB megabytes; the builder is used four times (after the
 * first file grew its tables, the best of three files after
 * idx_builder_reset is the steady state), timed in the thread's CPU time.
 * No disk, no other thread.
 *
 *   build/bench_idxbuild [MIX [CHUNK [MB [FLOWS]]]]
 *     MIX 64 | caida | a frame size (default: both 64 and caida);
 *     CHUNK bytes (default: a sweep 4 KiB .. 1 MiB); MB 1024; FLOWS 10000
 *   LC_IDX_NO_FLOW_CACHE=1 turns the builder's flow cache off (the same image).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen/genconf.h"
#include "index/index.h"

#define TPL 64                  /* template bytes kept per flow: the headers */

/* this thread's CPU time: a busy machine preempts, it does not bill us */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t xs = 0x2545F4914F6CDD1Dull;
static inline uint64_t rnd(void)
{
    xs ^= xs << 13;
    xs ^= xs >> 7;
    xs ^= xs << 17;
    return xs;
}

static void be16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, v >> 16);
    be16(p + 2, v & 0xffff);
}

static void flow_frame(uint8_t *f, uint32_t flow)
{
    memset(f, 0, TPL);
    memset(f, 0x02, 6);
    memset(f + 6, 0x04, 6);
    be16(f + 12, 0x0800);
    f[14] = 0x45;
    f[22] = 64;
    f[23] = 17;
    be32(f + 26, gen_flow_src_ip(0x0a000001, flow));
    be32(f + 30, 0x0aff0001);
    be16(f + 34, gen_flow_src_port(flow));
    be16(f + 36, 9);
}

struct result {
    double ns_per_rec, open_ms, finish_ms;
    uint64_t pcap_bytes, idx_bytes, records;
    double host_read;           /* fraction of the pcap bytes a one-host query reads */
};

static int one(const uint8_t *tpl, uint32_t flows, const uint16_t *sizes, unsigned nsizes,
               uint32_t chunk, uint64_t mb, struct idx_builder *b, struct result *r)
{
    uint64_t limit = mb << 20, off = 24, n = 0, ts = 1700000000ull * 1000000000ull;
    uint32_t si = 0;
    idx_builder_reset(b);
    if (idx_builder_set_chunk_bytes(b, chunk))
        return -1;
    double t0 = now();
    while (off < limit) {
        uint32_t flow = (uint32_t)(rnd() % flows);
        uint32_t caplen = sizes[si] - 4u;
        si = si + 1 == nsizes ? 0 : si + 1;
        if (idx_builder_add(b, off, 16 + caplen, ts, tpl + (size_t)flow * TPL,
                            caplen < TPL ? caplen : TPL, 1))
            return -1;
        off += 16 + caplen;
        ts += 67;
        n++;
    }
    double t1 = now();
    struct idx_ident id = { .file_size = off, .data_end = off, .format = IDX_FORMAT_PCAP };
    uint8_t *img;
    size_t len;
    if (idx_builder_finish(b, &id, &img, &len))
        return -1;
    double t2 = now();
    struct idx x;
    char err[256];
    if (idx_open(&x, img, len, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    double t3 = now();
    /* a one-host query: the bytes of the chunks holding one source */
    uint64_t *set = calloc(idx_set_words(&x), 8), bytes = 0;
    const int hosts = 20;
    for (int h = 0; h < hosts; h++) {
        struct idx_key k = { IDX_K_IPV4, 4, { 0 } };
        uint32_t ip = gen_flow_src_ip(0x0a000001, (uint32_t)(rnd() % flows));
        k.v[0] = (uint8_t)(ip >> 24);
        k.v[1] = (uint8_t)(ip >> 16);
        k.v[2] = (uint8_t)(ip >> 8);
        k.v[3] = (uint8_t)ip;
        idx_lookup(&x, &k, set);
        for (uint32_t c = 0; c < x.nchunks; c++)
            if ((set[c / 64] >> (c % 64)) & 1)
                bytes += x.chunks[c].end - x.chunks[c].off;
    }
    r->ns_per_rec = (t1 - t0) * 1e9 / (double)n;
    r->finish_ms = (t2 - t1) * 1e3;
    r->open_ms = (t3 - t2) * 1e3;
    r->pcap_bytes = off;
    r->idx_bytes = len;
    r->records = n;
    r->host_read = (double)bytes / hosts / (double)off;
    free(set);
    idx_close(&x);
    free(img);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mix = argc > 1 ? argv[1] : NULL;
    uint32_t chunk = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 0;
    uint64_t mb = argc > 3 ? strtoull(argv[3], NULL, 0) : 1024;
    uint32_t flows = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 10000;
    static const uint32_t sweep[] = { 4096, 8192, 16384, 32768, 65536, 262144, 1048576 };
    const char *mixes[2] = { "64", "caida" };
    int nmix = mix ? 1 : 2;
    if (mix)
        mixes[0] = mix;
    if (flows == 0 || mb == 0) {
        fprintf(stderr, "usage: bench_idxbuild [MIX [CHUNK [MB [FLOWS]]]]\n");
        return 64;
    }
    uint8_t *tpl = malloc((size_t)flows * TPL);
    for (uint32_t f = 0; f < flows; f++)
        flow_frame(tpl + (size_t)f * TPL, f);
    static uint16_t sizes[8192];
    struct idx_builder *b = idx_builder_new();
    /* LC_IDX_NO_FLOW_CACHE=1: the builder without its flow cache (same image) */
    if (b && getenv("LC_IDX_NO_FLOW_CACHE"))
        idx_builder_set_flow_cache(b, false);
    printf("%-6s %8s %8s %10s %9s %8s %7s %9s %9s %10s\n", "mix", "chunk", "file_MB", "records",
           "ns/rec", "idx_%", "idx_KB", "finish_ms", "open_ms", "host_read%");
    for (int m = 0; m < nmix; m++) {
        unsigned ns;
        if (strcmp(mixes[m], "caida") == 0)
            ns = gen_size_table(GEN_CAIDA, 0, sizes, 8192);
        else
            ns = gen_size_table(GEN_FIXED, (uint32_t)atoi(mixes[m]), sizes, 8192);
        if (ns == 0 || sizes[0] < 60) {
            fprintf(stderr, "bench_idxbuild: mix '%s': expected 64, caida or a frame size >= 60\n",
                    mixes[m]);
            return 64;
        }
        for (size_t c = 0; c < (chunk ? 1 : sizeof(sweep) / sizeof(sweep[0])); c++) {
            uint32_t cb = chunk ? chunk : sweep[c];
            struct result r;
            /* the first run grows the builder's tables; the best of the
             * next three is the steady state */
            struct result best = { 0 };
            for (int rep = 0; rep < 4; rep++) {
                xs = 0x2545F4914F6CDD1Dull;
                if (one(tpl, flows, sizes, ns, cb, mb, b, &r)) {
                    fprintf(stderr, "bench_idxbuild: chunk %u failed\n", cb);
                    return 70;
                }
                if (rep == 1 || (rep > 1 && r.ns_per_rec < best.ns_per_rec))
                    best = r;
            }
            r = best;
            printf("%-6s %8u %8llu %10llu %9.1f %8.3f %7llu %9.1f %9.2f %10.3f\n", mixes[m], cb,
                   (unsigned long long)mb, (unsigned long long)r.records, r.ns_per_rec,
                   100.0 * (double)r.idx_bytes / (double)r.pcap_bytes,
                   (unsigned long long)(r.idx_bytes >> 10), r.finish_ms, r.open_ms,
                   100.0 * r.host_read);
            fflush(stdout);
        }
    }
    idx_builder_free(b);
    free(tpl);
    return 0;
}
