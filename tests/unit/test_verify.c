/* linecap verify: the frame parser over VLAN/IPv6, the analyser (gaps,
 * duplicates, reordering, latency), files written with libpcap's own
 * pcap_dump (including a torn one), and verify_main's verdicts and exit
 * codes with generator and capture JSON. */
#include <fcntl.h>
#include <stdarg.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "format/stamp.h"
#include "verify/account.h"
#include "verify/flow.h"
#include "verify/verify.h"

static char dir[] = "/tmp/lc_test_verify_XXXXXX";

/* ------------------------------------------------------------ frame builder */

struct fb {
    int vlans;        /* 802.1Q tags (the outer one 802.1ad when 2) */
    int v6;           /* IPv6 instead of IPv4 */
    int v6_hbh;       /* an IPv6 hop-by-hop header before UDP */
    int tcp;          /* TCP instead of UDP (no stamp) */
    int frag;         /* IPv4: a later fragment */
    uint16_t sport, dport;
    uint8_t src_last; /* last byte of the source address */
    int stamp;
    uint64_t seq, tx_ns;
    uint32_t len;     /* wire length (>= headers + 8 + 18) */
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Build the frame into buf; returns its length. */
static uint32_t build(uint8_t *buf, const struct fb *b)
{
    uint32_t off = 12, l3, l4;
    memset(buf, 0, b->len);
    memset(buf, 0xaa, 6);
    memset(buf + 6, 0xbb, 6);
    for (int v = 0; v < b->vlans; v++) {
        put16(buf + off, v == 0 && b->vlans > 1 ? 0x88a8 : 0x8100);
        put16(buf + off + 2, (uint16_t)(100 + v));
        off += 4;
    }
    put16(buf + off, b->v6 ? 0x86dd : 0x0800);
    l3 = off + 2;
    if (b->v6) {
        uint8_t *ip = buf + l3;
        uint32_t ext = b->v6_hbh ? 8 : 0;
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(b->len - l3 - 40));
        ip[6] = b->v6_hbh ? 0 : (b->tcp ? 6 : 17);
        ip[7] = 64;
        ip[8] = 0x20; ip[9] = 0x01; ip[10] = 0x0d; ip[11] = 0xb8;
        ip[23] = b->src_last;
        ip[24] = 0x20; ip[25] = 0x01; ip[26] = 0x0d; ip[27] = 0xb8;
        ip[39] = 2;
        if (b->v6_hbh) {
            ip[40] = b->tcp ? 6 : 17; /* next header */
            ip[41] = 0;               /* 8 bytes */
        }
        l4 = l3 + 40 + ext;
    } else {
        uint8_t *ip = buf + l3;
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(b->len - l3));
        if (b->frag)
            put16(ip + 6, 185);
        ip[8] = 64;
        ip[9] = b->tcp ? 6 : 17;
        ip[12] = 10; ip[15] = b->src_last;
        ip[16] = 10; ip[19] = 2;
        l4 = l3 + 20;
    }
    put16(buf + l4, b->sport);
    put16(buf + l4 + 2, b->dport);
    if (!b->tcp) {
        put16(buf + l4 + 4, (uint16_t)(b->len - l4));
        if (b->stamp)
            lc_stamp_put(buf + l4 + 8, b->seq, b->tx_ns);
    }
    return b->len;
}

static void test_parse(void)
{
    uint8_t buf[2048];
    struct vf_pkt pk;
    struct fb b;
    uint32_t n;

    /* 60-byte IPv4/UDP: exactly room for the stamp */
    b = (struct fb){.sport = 1000, .dport = 2000, .src_last = 1, .stamp = 1, .seq = 77,
                    .tx_ns = 123456789, .len = 60};
    n = build(buf, &b);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.key.family, 4);
    CHECK_EQ_U(pk.key.proto, 17);
    CHECK_EQ_U(pk.key.sport, 1000);
    CHECK_EQ_U(pk.key.dport, 2000);
    CHECK_EQ_U(pk.key.src[0], 10);
    CHECK_EQ_U(pk.key.src[3], 1);
    CHECK_EQ_U(pk.stamped, 1);
    CHECK_EQ_U(pk.seq, 77);
    CHECK_EQ_U(pk.tx_ns, 123456789);
    CHECK_EQ_U(pk.truncated, 0);
    /* cut by a snaplen of 59: the stamp's last byte is gone */
    CHECK_EQ_U(vf_parse(buf, 59, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.stamped, 0);
    CHECK_EQ_U(pk.truncated, 1);
    CHECK_EQ_U(pk.key.sport, 1000);
    /* cut inside the IP header */
    CHECK_EQ_U(vf_parse(buf, 20, n, &pk), VF_BAD_IP);
    CHECK_EQ_U(pk.truncated, 1);
    /* one and two VLAN tags (802.1ad outer) */
    b.vlans = 1;
    b.len = 64;
    n = build(buf, &b);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.vlans, 1);
    CHECK_EQ_U(pk.stamped, 1);
    CHECK_EQ_U(pk.seq, 77);
    b.vlans = 2;
    b.len = 68;
    n = build(buf, &b);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.vlans, 2);
    CHECK_EQ_U(pk.stamped, 1);
    CHECK_EQ_U(pk.key.dport, 2000);
    /* IPv6 over a VLAN, plain and with a hop-by-hop header */
    b = (struct fb){.vlans = 1, .v6 = 1, .sport = 5, .dport = 6, .src_last = 9, .stamp = 1,
                    .seq = 1ULL << 40, .tx_ns = 1, .len = 200};
    n = build(buf, &b);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.key.family, 6);
    CHECK_EQ_U(pk.key.src[0], 0x20);
    CHECK_EQ_U(pk.key.src[15], 9);
    CHECK_EQ_U(pk.key.dst[15], 2);
    CHECK_EQ_U(pk.key.sport, 5);
    CHECK_EQ_U(pk.stamped, 1);
    CHECK_EQ_U(pk.seq, 1ULL << 40);
    b.v6_hbh = 1;
    n = build(buf, &b);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.key.proto, 17);
    CHECK_EQ_U(pk.key.dport, 6);
    CHECK_EQ_U(pk.stamped, 1);
    /* TCP: ports, never a stamp */
    b = (struct fb){.tcp = 1, .sport = 80, .dport = 81, .stamp = 1, .len = 80};
    n = build(buf, &b);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.key.proto, 6);
    CHECK_EQ_U(pk.key.sport, 80);
    CHECK_EQ_U(pk.stamped, 0);
    /* a later IPv4 fragment: a flow without ports */
    b = (struct fb){.frag = 1, .sport = 80, .dport = 81, .stamp = 1, .len = 80};
    n = build(buf, &b);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.key.sport, 0);
    CHECK_EQ_U(pk.stamped, 0);
    /* ARP: not IP; a runt: not IP */
    b = (struct fb){.len = 60};
    n = build(buf, &b);
    put16(buf + 12, 0x0806);
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_NON_IP);
    CHECK_EQ_U(vf_parse(buf, 10, 10, &pk), VF_NON_IP);
    /* the stamp's magic must match */
    b = (struct fb){.sport = 1, .dport = 2, .stamp = 1, .len = 60};
    n = build(buf, &b);
    buf[42] ^= 0xff;
    CHECK_EQ_U(vf_parse(buf, n, n, &pk), VF_FLOW);
    CHECK_EQ_U(pk.stamped, 0);
    CHECK_EQ_U(pk.truncated, 0);
}

/* ------------------------------------------------------------ analyser */

static void rec(struct vf_state *s, uint8_t src, uint64_t seq, uint64_t ts, uint64_t tx)
{
    uint8_t buf[128];
    struct fb b = {.sport = 1000, .dport = 2000, .src_last = src, .stamp = 1, .seq = seq,
                   .tx_ns = tx, .len = 64};
    uint32_t n = build(buf, &b);
    CHECK(vf_record(s, ts, buf, n, n) == 0);
}

static const struct vf_flow *flow_of(const struct vf_state *s, uint8_t src)
{
    uint8_t buf[128];
    struct vf_pkt pk;
    struct fb b = {.sport = 1000, .dport = 2000, .src_last = src, .len = 64};
    build(buf, &b);
    vf_parse(buf, 64, 64, &pk);
    return vf_find(s, &pk.key);
}

static void test_analyse(void)
{
    struct vf_state s;
    const struct vf_flow *f;
    /* flow 1: 0..9 without 3, 7, 8; 5 twice; 2 after 4; ts 6 goes backwards */
    static const uint64_t seqs[] = {0, 1, 4, 2, 5, 5, 6, 9};
    CHECK(vf_init(&s, 0, 16) == 0);
    for (unsigned i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        rec(&s, 1, seqs[i], i == 6 ? 500 : 1000 + i, 900 + i);
    /* flow 2: 100..199 complete, from 100 */
    for (uint64_t q = 100; q < 200; q++)
        rec(&s, 2, q, 2000 + q, 2000 + q - 1000);
    CHECK(vf_finish(&s, NULL, NULL, VF_UNKNOWN) == 0);
    CHECK_EQ_U(s.nflows, 2);
    f = flow_of(&s, 1);
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_U(f->records, 8);
        CHECK_EQ_U(f->missing, 3);
        CHECK_EQ_U(f->gaps, 2);
        CHECK_EQ_U(f->nranges, 2);
        CHECK_EQ_U(f->ranges[0].first, 3);
        CHECK_EQ_U(f->ranges[0].last, 3);
        CHECK_EQ_U(f->ranges[1].first, 7);
        CHECK_EQ_U(f->ranges[1].last, 8);
        CHECK_EQ_U(f->duplicates, 1);
        CHECK_EQ_U(f->reordered, 1);
        CHECK_EQ_U(f->ts_backwards, 1);
        CHECK_EQ_U(f->min_seq, 0);
        CHECK_EQ_U(f->max_seq, 9);
    }
    f = flow_of(&s, 2);
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_U(f->missing, 100); /* counted from 0 */
        CHECK_EQ_U(f->gaps, 1);
        CHECK_EQ_U(f->ranges[0].first, 0);
        CHECK_EQ_U(f->ranges[0].last, 99);
    }
    CHECK_EQ_U(s.t.missing, 103);
    CHECK_EQ_U(s.t.duplicates, 1);
    CHECK_EQ_U(s.t.records, 108);
    CHECK_EQ_U(s.t.stamped, 108);
    CHECK_EQ_U(s.lat.count, 108);
    CHECK_EQ_U(s.lat.negative, 1); /* ts 500 - tx 906 */
    vf_free(&s);

    /* --from-first: flow 2 complete; with a total of 250 sent the tail is
     * known only when counted from 0 */
    CHECK(vf_init(&s, 1, 16) == 0);
    for (uint64_t q = 100; q < 200; q++)
        rec(&s, 2, q, q, q);
    CHECK(vf_finish(&s, NULL, NULL, VF_UNKNOWN) == 0);
    CHECK_EQ_U(s.t.missing, 0);
    vf_free(&s);
    CHECK(vf_init(&s, 0, 16) == 0);
    for (uint64_t q = 0; q < 200; q++)
        if (q != 50)
            rec(&s, 2, q, q, q);
    for (uint64_t q = 0; q < 40; q++)
        rec(&s, 3, q, q, q);
    CHECK(vf_finish(&s, NULL, NULL, 250) == 0);
    CHECK_EQ_U(s.t.tail_known, 1);
    CHECK_EQ_U(s.t.tail, 10);
    CHECK_EQ_U(s.t.missing, 11);
    vf_free(&s);

    /* big gaps across chunks, range list cut at 2 */
    CHECK(vf_init(&s, 0, 2) == 0);
    rec(&s, 4, 0, 1, 1);
    rec(&s, 4, 70000, 1, 1);
    rec(&s, 4, 70002, 1, 1);
    rec(&s, 4, 300000, 1, 1);
    CHECK(vf_finish(&s, NULL, NULL, VF_UNKNOWN) == 0);
    f = flow_of(&s, 4);
    if (f) {
        CHECK_EQ_U(f->gaps, 3);
        CHECK_EQ_U(f->missing, 300001 - 4);
        CHECK_EQ_U(f->nranges, 2);
        CHECK_EQ_U(f->ranges[0].first, 1);
        CHECK_EQ_U(f->ranges[0].last, 69999);
        CHECK_EQ_U(f->ranges[1].first, 70001);
        CHECK_EQ_U(f->ranges[1].last, 70001);
    }
    vf_free(&s);

    /* the bitmap memory budget: past it, seqs are counted as untracked */
    CHECK(vf_init(&s, 0, 2) == 0);
    s.mem_limit = 8 + 8192;
    rec(&s, 4, 0, 1, 1);
    rec(&s, 4, 1, 1, 1);
    rec(&s, 4, 70000, 1, 1);
    CHECK(vf_finish(&s, NULL, NULL, VF_UNKNOWN) == 0);
    CHECK_EQ_U(s.t.seq_wild, 1);
    CHECK_EQ_U(s.t.missing, 0);
    CHECK(s.mem_used <= s.mem_limit);
    vf_free(&s);

    /* latency quantiles: 1..100000 ns, each once */
    CHECK(vf_init(&s, 0, 2) == 0);
    for (uint64_t q = 0; q < 100000; q++)
        rec(&s, 5, q, 1000000 + q + 1, 1000000);
    int64_t p50 = vf_latency_quantile(&s.lat, 0.5), p99 = vf_latency_quantile(&s.lat, 0.99);
    CHECK(p50 > 49500 && p50 < 50500);
    CHECK(p99 > 98200 && p99 < 99800);
    CHECK_EQ_U(vf_latency_quantile(&s.lat, 0), 1);
    CHECK_EQ_U(vf_latency_quantile(&s.lat, 1), 100000);
    CHECK_EQ_U(s.lat.min, 1);
    CHECK_EQ_U(s.lat.max, 100000);
    vf_free(&s);
}

/* ------------------------------------------------------------ files */

/* Write frames (flow src 1, the given seqs) with libpcap into path. */
static void write_pcap(const char *path, const uint64_t *seqs, unsigned n, uint64_t ts0)
{
    pcap_t *pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = pcap_dump_open(pd, path);
    CHECK(d != NULL);
    if (!d) {
        pcap_close(pd);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t buf[128];
        struct fb b = {.vlans = i % 2, .sport = 1000, .dport = 2000, .src_last = 1, .stamp = 1,
                       .seq = seqs[i], .tx_ns = ts0 + i * 1000 - 5000, .len = 64 + 4 * (i % 2)};
        struct pcap_pkthdr h;
        uint64_t ts = ts0 + i * 1000;
        build(buf, &b);
        h.ts.tv_sec = (time_t)(ts / 1000000000u);
        h.ts.tv_usec = (suseconds_t)(ts % 1000000000u);
        h.caplen = h.len = b.len;
        pcap_dump((u_char *)d, &h, buf);
    }
    pcap_dump_close(d);
    pcap_close(pd);
}

static char *path_of(const char *name)
{
    static char p[32][256];
    static int k;
    char *r = p[k++ % 32];
    snprintf(r, 256, "%s/%s", dir, name);
    return r;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int run_verify(const char *a0, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    argv[argc++] = (char *)"verify";
    va_start(ap, a0);
    for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    int rc = verify_main(argc, argv);
    fflush(stdout);
    return rc;
}

/* the value of "key": N in the file (first occurrence), or -1 */
static long long json_num(const char *path, const char *key)
{
    static char text[1 << 20];
    char pat[128];
    FILE *f = fopen(path, "r");
    size_t n;
    char *p;
    if (!f)
        return -1;
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    snprintf(pat, sizeof(pat), "\"%s\": ", key);
    p = strstr(text, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static void test_files(void)
{
    struct vf_state s;
    /* file a: 0..4, file b: 5, 7, 8, 8 (dup), 6 (late), 10 => missing 9 */
    static const uint64_t a[] = {0, 1, 2, 3, 4};
    static const uint64_t b[] = {5, 7, 8, 8, 6, 10};
    char *pa = path_of("a.pcap"), *pb = path_of("b.pcap"), *pt = path_of("torn.pcap");
    write_pcap(pa, a, 5, 1700000000000000000ULL);
    write_pcap(pb, b, 6, 1700000000000010000ULL);

    CHECK(vf_init(&s, 0, 16) == 0);
    CHECK_EQ_U(vf_read_file(&s, pa), 0);
    CHECK_EQ_U(vf_read_file(&s, pb), 0);
    CHECK(vf_finish(&s, NULL, NULL, VF_UNKNOWN) == 0);
    CHECK_EQ_U(s.nfiles, 2);
    CHECK_EQ_U(s.files[0].records, 5);
    CHECK_EQ_U(s.files[1].records, 6);
    CHECK_EQ_U(s.files[0].first_ns, 1700000000000000000ULL);
    CHECK_EQ_U(s.t.records, 11);
    CHECK_EQ_U(s.t.stamped, 11);
    CHECK_EQ_U(s.nflows, 1); /* VLAN or not, one 5-tuple */
    CHECK_EQ_U(s.t.missing, 1);
    CHECK_EQ_U(s.t.duplicates, 1);
    CHECK_EQ_U(s.t.reordered, 1);
    CHECK_EQ_U(s.lat.min, 5000);
    CHECK_EQ_U(s.lat.max, 5000);
    CHECK_EQ_U(s.flows[0].ranges[0].first, 9);
    vf_free(&s);

    /* a torn file: the last record cut in half; a missing file */
    {
        FILE *in = fopen(pb, "rb");
        char buf[4096];
        size_t n = in ? fread(buf, 1, sizeof(buf), in) : 0;
        if (in)
            fclose(in);
        FILE *out = fopen(pt, "wb");
        if (out) {
            fwrite(buf, 1, n - 30, out);
            fclose(out);
        }
    }
    CHECK(vf_init(&s, 0, 16) == 0);
    CHECK_EQ_U(vf_read_file(&s, pt), VF_ERR_READ);
    CHECK_EQ_U(vf_read_file(&s, path_of("nonexistent.pcap")), VF_ERR_OPEN);
    CHECK_EQ_U(vf_read_file(&s, pa), 0);
    CHECK_EQ_U(s.files[0].records, 5);
    CHECK_EQ_U(s.t.records, 10);
    CHECK(s.files[0].msg && strstr(s.files[0].msg, "truncated"));
    vf_free(&s);

    /* verify_main: exit codes and JSON */
    char *js = path_of("out.json"), *gj = path_of("gen.json"), *cj = path_of("cap.json");
    CHECK_EQ_U(run_verify("-q", "--json", js, pa, NULL), 0);
    CHECK_EQ_U(json_num(js, "records"), 5);
    CHECK_EQ_U(json_num(js, "exit_code"), 0);
    /* gap, duplicate: 1 */
    CHECK_EQ_U(run_verify("-q", "--json", js, pa, pb, NULL), 1);
    CHECK_EQ_U(json_num(js, "missing"), 1);
    CHECK_EQ_U(json_num(js, "duplicates"), 1);
    CHECK_EQ_U(run_verify("-q", pa, pt, NULL), 66);
    CHECK_EQ_U(run_verify("-q", "--bogus", pa, NULL), 64);
    CHECK_EQ_U(run_verify("-q", "--ranges", "x", pa, NULL), 64);
    CHECK_EQ_U(run_verify("-q", NULL), 64);
    CHECK_EQ_U(run_verify("-q", "--json", path_of("no/such/dir/x.json"), pa, NULL), 73);
    CHECK_EQ_U(run_verify("-q", "--gen-json", path_of("absent.json"), pa, NULL), 66);
    write_text(gj, "{\"sent\": 7,");
    CHECK_EQ_U(run_verify("-q", "--gen-json", gj, pa, NULL), 66);

    /* offered 8 (0..7), captured 5 (0..4): 3 missing at the tail; the
     * capture says 2 after_limit and the port never saw 1 */
    write_text(gj, "{\"sent\": 8, \"flows\": 1}");
    write_text(cj, "{\"stop_reason\": \"limit\", \"totals\": {\"received\": 5, \"filtered\": 0, "
                   "\"dropped_no_block\": 0, \"counted_only\": 0, \"after_limit\": 2, "
                   "\"written\": 5, \"written_bytes\": 420, \"lost_disk\": 0, \"unwritten_abort\": 0, "
                   "\"nic_packets\": 7, \"nic_bytes\": 1, \"nic_missed\": 0, \"nic_errors\": 0, "
                   "\"mbuf_failures\": 0, \"files\": 1}, \"files\": [{\"name\": \"a.pcap\", "
                   "\"records\": 5, \"deleted\": false}]}");
    CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, "--capture-json", cj, pa, NULL), 0);
    CHECK_EQ_U(json_num(js, "offered"), 8);
    CHECK_EQ_U(json_num(js, "not_received"), 1);
    CHECK_EQ_U(json_num(js, "tail"), 3);
    CHECK_EQ_U(json_num(js, "unexplained"), 0);
    /* device counters reset by a peer disconnect (nic_packets 0): the port
     * delivered at least what linecap received */
    {
        FILE *f = fopen(cj, "r");
        char text[2048] = "", *p;
        size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
        if (f)
            fclose(f);
        text[n] = 0;
        p = strstr(text, "\"nic_packets\": 7");
        CHECK(p != NULL);
        if (p) {
            p[15] = '0'; /* "nic_packets": 7 -> 0 */
            write_text(cj, text);
        }
    }
    CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, "--capture-json", cj, pa, NULL), 0);
    CHECK_EQ_U(json_num(js, "not_received"), 1);
    CHECK_EQ_U(json_num(js, "unexplained"), 0);
    /* without the capture JSON the 3 are unexplained */
    CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, pa, NULL), 1);
    CHECK_EQ_U(json_num(js, "unexplained"), 3);
    /* a generator count below the sequence numbers seen */
    write_text(gj, "{\"sent\": 3}");
    CHECK_EQ_U(run_verify("-q", "--gen-json", gj, pa, NULL), 1);
    /* "stamped" below "sent": the seq tail counts stamped frames only */
    write_text(gj, "{\"sent\": 9, \"stamped\": 5}");
    CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, pa, NULL), 1);
    CHECK_EQ_U(json_num(js, "tail"), 0);
    CHECK_EQ_U(json_num(js, "unexplained"), 4);
    /* per-flow counts by tuple: flow 10.0.0.1 sent 8 */
    write_text(gj, "{\"sent\": 8, \"flows\": [{\"src\": \"10.0.0.1\", \"dst\": \"10.0.0.2\", "
                   "\"sport\": 1000, \"dport\": 2000, \"proto\": 17, \"sent\": 8}]}");
    CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, "--capture-json", cj, pa, NULL), 0);
    CHECK_EQ_U(json_num(js, "sent"), 8);
    CHECK_EQ_U(json_num(js, "tail"), 3);
    /* linecap-gen --no-retry: 12 attempted, the link refused 3 (numbers 5,
     * 6 and 9 were consumed by frames tx_burst did not take), 9 sent; the
     * port got 8 (8 records) and 1 (seq 11) was on the link at the stop.
     * offered = attempted = captured 8 + refused 3 + not received 1 */
    {
        static const uint64_t r[] = {0, 1, 2, 3, 4, 7, 8, 10};
        char *pr = path_of("refused.pcap"), *rj = path_of("rcap.json");
        write_pcap(pr, r, 8, 1700000000000020000ULL);
        write_text(gj, "{\"attempted\": 12, \"sent\": 9, \"failed\": 3, \"stamped\": 12, "
                       "\"flows\": 1}");
        write_text(rj, "{\"totals\": {\"received\": 8, \"filtered\": 0, \"dropped_no_block\": 0, "
                       "\"after_limit\": 0, \"written\": 8, \"lost_disk\": 0, \"unwritten_abort\": 0, "
                       "\"nic_packets\": 8, \"nic_missed\": 0, \"nic_errors\": 0, \"mbuf_failures\": 0}, "
                       "\"files\": [{\"records\": 8}]}");
        CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, "--capture-json", rj, pr, NULL), 0);
        CHECK_EQ_U(json_num(js, "offered"), 12);
        CHECK_EQ_U(json_num(js, "refused_by_link"), 3);
        CHECK_EQ_U(json_num(js, "not_received"), 1);
        CHECK_EQ_U(json_num(js, "tail"), 1);
        CHECK_EQ_U(json_num(js, "unexplained"), 0);
        /* the same frames with only 2 refused: one gap inside is unexplained */
        write_text(gj, "{\"attempted\": 12, \"sent\": 10, \"failed\": 2, \"stamped\": 12}");
        CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, "--capture-json", rj, pr, NULL), 1);
        CHECK_EQ_U(json_num(js, "refused_by_link"), 2);
        /* kernel drops (an AF_PACKET ring) explain what never reached the port */
        write_text(gj, "{\"attempted\": 12, \"sent\": 10, \"failed\": 2, \"stamped\": 12}");
        write_text(rj, "{\"totals\": {\"received\": 8, \"filtered\": 0, \"dropped_no_block\": 0, "
                       "\"after_limit\": 0, \"written\": 8, \"lost_disk\": 0, \"unwritten_abort\": 0, "
                       "\"nic_packets\": 8, \"nic_missed\": 0, \"nic_errors\": 0, \"mbuf_failures\": 0, "
                       "\"kernel_drops\": 1}, \"files\": [{\"records\": 8}]}");
        CHECK_EQ_U(run_verify("-q", "--json", js, "--gen-json", gj, "--capture-json", rj, pr, NULL), 0);
        CHECK_EQ_U(json_num(js, "kernel_drops"), 1);
        CHECK_EQ_U(json_num(js, "not_received"), 1);
        CHECK_EQ_U(json_num(js, "unexplained"), 0);
        /* counts that do not add up: 66 */
        write_text(gj, "{\"attempted\": 12, \"sent\": 9, \"failed\": 2}");
        CHECK_EQ_U(run_verify("-q", "--gen-json", gj, pr, NULL), 66);
    }
    /* an internal gap (seq 9 of file b) no counter explains */
    write_text(cj, "{\"totals\": {\"received\": 11, \"filtered\": 0, \"dropped_no_block\": 0, "
                   "\"after_limit\": 0, \"written\": 11, \"lost_disk\": 0, \"unwritten_abort\": 0, "
                   "\"nic_packets\": 11, \"nic_missed\": 0, \"nic_errors\": 0, \"mbuf_failures\": 0}, "
                   "\"files\": [{\"records\": 5}, {\"records\": 6}]}");
    CHECK_EQ_U(run_verify("-q", "--json", js, "--capture-json", cj, pa, pb, NULL), 1);
    /* the capture JSON is missing a key: 66 */
    write_text(cj, "{\"totals\": {\"received\": 11}}");
    CHECK_EQ_U(run_verify("-q", "--capture-json", cj, pa, NULL), 66);
    /* a directory: files in name order (a.pcap, b.pcap, torn.pcap) */
    CHECK_EQ_U(run_verify("-q", "--json", js, dir, NULL), 66);
    CHECK_EQ_U(json_num(js, "records"), 5);
    unlink(pt);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_parse();
    test_analyse();
    test_files();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done("test_verify");
}
