/* Query plans against libpcap: for a set of frames, each in its own chunk,
 * and many expressions (a fixed list, then thousands drawn at random from
 * the primitives with and/or/not/parentheses), every frame
 * pcap_offline_filter accepts must lie in a chunk the plan names. A plan
 * may name more (a superset), but the listed ones must prune. */
#include "index/index.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_index_frames.h"

#define NF 64

struct fr {
    uint8_t b[600];
    uint32_t len;
};

static struct fr eth[NF], raw[NF];
static int neth, nraw;

static void add(struct fr *set, int *n, const struct tf *t, uint32_t cut)
{
    struct fr *f = &set[(*n)++];
    f->len = (uint32_t)tf_build(f->b, t);
    if (cut && cut < f->len)
        f->len = cut;
}

static void frames(void)
{
    struct tf t;
    for (int i = 0; i < 40; i++) {
        memset(&t, 0, sizeof(t));
        t.ipv = i % 5 == 4 ? 6 : 4;
        static const uint8_t protos[] = { 6, 17, 132, 1, 6, 17, 47, 6 };
        t.proto = protos[i % 8];
        if (t.ipv == 6 && t.proto == 1)
            t.proto = 58;
        t.sport = (uint16_t)(1000 + i % 7);
        t.dport = (uint16_t)(i % 3 == 0 ? 80 : i % 3 == 1 ? 443 : 53);
        tf_v4(t.src, 10, 0, (unsigned)i % 3, (unsigned)i % 11);
        tf_v4(t.dst, 192, 168, 1, (unsigned)i % 4);
        tf_v6(t.src, (unsigned)i % 6);
        tf_v6(t.dst, 100 + (unsigned)i % 2);
        if (i % 6 == 1) {
            t.tags[0] = 0x8100;
            t.vid[0] = (uint16_t)(10 + i % 3);
        }
        if (i % 9 == 2) {
            t.tags[0] = 0x88a8;
            t.vid[0] = 100;
            t.tags[1] = 0x8100;
            t.vid[1] = (uint16_t)(200 + i % 2);
        }
        if (i == 13)
            t.frag = 100;               /* non-first fragment */
        if (i == 17)
            t.frag = 0x2000;            /* first fragment */
        if (i == 21)
            t.ihl = 6;
        if (i == 24 || i == 29)
            t.v6frag = 1;               /* IPv6 TCP / UDP behind a fragment header */
        t.pad = (uint32_t)(i % 4) * 10;
        add(eth, &neth, &t, i == 33 ? 14 + 20 + 2 : 0);     /* 33: ports cut */
        t.tags[0] = t.tags[1] = 0;
        t.raw = 1;
        add(raw, &nraw, &t, 0);
    }
    /* ARP, other ethertype */
    memset(&t, 0, sizeof(t));
    t.ipv = 0;
    tf_v4(t.src, 10, 0, 0, 1);
    tf_v4(t.dst, 10, 0, 9, 9);
    add(eth, &neth, &t, 0);
    t.tags[0] = 0x8100;
    t.vid[0] = 10;
    add(eth, &neth, &t, 0);
    memset(&t, 0, sizeof(t));
    t.ipv = -1;
    add(eth, &neth, &t, 0);
    /* an untagged IPv4/UDP frame (ports 1234 -> 5678) that libpcap's
     * "vlan 10 or port 80" accepts: after "vlan" the port test reads 4 bytes
     * further in (type = IP length 0x0800, proto = source byte 1 = 17,
     * IHL = the IP ID's high byte 5, port = the UDP length 80) */
    memset(&t, 0, sizeof(t));
    t.ipv = 4;
    t.proto = 17;
    t.sport = 1234;
    t.dport = 5678;
    tf_v4(t.src, 10, 17, 0, 1);
    tf_v4(t.dst, 10, 0, 7, 7);
    add(eth, &neth, &t, 0);
    uint8_t *sh = eth[neth - 1].b;
    sh[16] = 0x08;
    sh[17] = 0x00;
    sh[18] = 0x05;
    sh[24] = sh[25] = 0;
    sh[38] = 0;
    sh[39] = 80;
    /* a runt */
    memset(&t, 0, sizeof(t));
    t.ipv = 4;
    t.proto = 6;
    tf_v4(t.src, 10, 0, 0, 1);
    add(eth, &neth, &t, 20);
}

static uint8_t *build(const struct fr *set, int n, uint32_t lt, size_t *len)
{
    struct idx_builder *b = idx_builder_new();
    idx_builder_set_chunk_bytes(b, 512);
    for (int i = 0; i < n; i++)
        idx_builder_add(b, 24 + (uint64_t)i * 512, 512, (uint64_t)i, set[i].b, set[i].len, lt);
    struct idx_ident id = { .file_size = 24 + (uint64_t)n * 512, .data_end = 24 + (uint64_t)n * 512,
                            .format = 1 };
    uint8_t *img = NULL;
    idx_builder_finish(b, &id, &img, len);
    idx_builder_free(b);
    return img;
}

struct ctx {
    pcap_t *pc;
    struct idx x;
    const struct fr *set;
    int n;
    unsigned compiled, accepted, candidates;
};

/* -1: libpcap rejects expr; else the candidates; a missing accepted frame fails */
static int check_expr(struct ctx *c, const char *expr)
{
    struct bpf_program prog;
    if (pcap_compile(c->pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return -1;
    struct idx_plan *p;
    char err[128];
    CHECK(idx_plan_compile(expr, &p, err, sizeof(err)) == 0);
    uint64_t set[2] = { 0, 0 };
    idx_plan_eval(p, &c->x, set);
    int cand = 0;
    for (int i = 0; i < c->n; i++) {
        bool in = (set[i / 64] >> (i % 64)) & 1;
        struct pcap_pkthdr h = { { 0, 0 }, c->set[i].len, c->set[i].len };
        cand += in;
        if (pcap_offline_filter(&prog, &h, c->set[i].b)) {
            c->accepted++;
            if (!in) {
                check_failures++;
                fprintf(stderr, "'%s': frame %d accepted by libpcap, not a candidate\n", expr, i);
            }
        }
    }
    c->compiled++;
    c->candidates += (unsigned)cand;
    idx_plan_free(p);
    pcap_freecode(&prog);
    return cand;
}

static const char *fixed[] = {
    "host 10.0.0.1", "src host 10.0.1.4", "dst host 192.168.1.2", "host 10.0.9.9",
    "ip host 10.0.0.1", "arp host 10.0.9.9", "host 2001:db8::1", "ip6 src host 2001:db8::3",
    "dst host 2001:db8::101", "port 80", "src port 1003", "dst port 53", "tcp port 443",
    "udp port 53", "sctp port 80", "tcp", "udp", "sctp", "icmp", "icmp6", "proto 47",
    "ip proto 6", "ip6 proto 17", "ip proto \\udp", "vlan 10", "vlan 100", "vlan 100 and vlan 200",
    "vlan and host 10.0.0.1", "host 10.0.0.1 or vlan 11", "port 80 or 443", "port 80 or 443 or 53",
    "host 10.0.0.1 or 10.0.0.2", "host 10.0.0.1 and port 80", "host 10.0.0.1 or port 80 and tcp",
    "tcp and (port 80 or port 53)", "not tcp", "! port 80", "not host 10.0.0.1 and udp",
    "host 10.0.0.1 && port 1001", "host 10.0.0.1 || port 1001", "net 10.0.0.0/24",
    "net 10.0.1.0/24 and tcp", "net 192.168", "net 10.0.2.0 mask 255.255.255.0", "net 2001:db8::/120",
    "portrange 50-90", "tcp portrange 440-450", "src or dst port 80", "src and dst host 10.0.0.1",
    "tcp[13] & 2 != 0", "tcp[tcpflags] & tcp-syn != 0 and host 10.0.0.1", "len > 100 and port 80",
    "ip", "ip6", "arp", "ether host 02:02:02:02:02:02", "ether proto 0x88cc", "less 80",
    "greater 100 or udp", "ip multicast or port 443", "(host 10.0.0.1)", "((port 80) and (tcp))",
    "icmp or icmp6", "ip and not udp", "vlan 10 or host 10.0.0.1", "mpls or port 80",
    "ip[9] = 6 or port 53", "ip6 and tcp", "proto \\tcp", "tcp dst port 80 or udp src port 1001",
    "host 10.0.0.1 and (port 80 or 443)", "port 443 and host 192.168.1.1 or host 10.0.2.5",
    "vlan 10 or port 80", "vlan 10 or udp", "(vlan 10 or tcp) or port 80", "mpls 5 or port 80",
};

/* a random expression over the primitives */
static unsigned long rnd = 88172645463325252ull;
static unsigned r(unsigned n)
{
    rnd ^= rnd << 13;
    rnd ^= rnd >> 7;
    rnd ^= rnd << 17;
    return (unsigned)(rnd % n);
}

static void rand_prim(char *s, size_t n)
{
    static const char *dir[] = { "", "src ", "dst " };
    static const char *l4[] = { "tcp", "udp", "sctp", "icmp", "icmp6" };
    switch (r(9)) {
    case 0: snprintf(s, n, "%shost 10.0.%u.%u", dir[r(3)], r(3), r(12)); break;
    case 1: snprintf(s, n, "%shost 2001:db8::%x", dir[r(3)], r(7) + (r(2) ? 0x100 : 0)); break;
    case 2: snprintf(s, n, "%s%sport %u", r(2) ? "" : l4[r(3)], r(2) ? " " : " ", r(2) ? 1000 + r(8) : (unsigned[]){ 80, 443, 53, 22 }[r(4)]); break;
    case 3: snprintf(s, n, "%s", l4[r(5)]); break;
    case 4: snprintf(s, n, "%sproto %u", (const char *[]){ "", "ip ", "ip6 " }[r(3)], (unsigned[]){ 6, 17, 1, 58, 47, 132 }[r(6)]); break;
    case 5: snprintf(s, n, "vlan %u", (unsigned[]){ 10, 11, 12, 100, 200, 201 }[r(6)]); break;
    case 6: snprintf(s, n, "net 10.0.%u.0/%u", r(3), 20 + r(13)); break;
    case 7: snprintf(s, n, "%s", (const char *[]){ "ip", "ip6", "arp", "tcp[13] & 2 != 0", "len > 90" }[r(5)]); break;
    default: snprintf(s, n, "%u", (unsigned[]){ 80, 443, 53 }[r(3)]); break;     /* bare: inherits */
    }
}

/* append a random expression at s (room: n bytes, truncated if need be) */
static void rand_expr(char *s, size_t n, int depth)
{
    unsigned k = depth > 3 ? 0 : r(5);
    size_t l = strlen(s);
    if (k <= 1) {
        rand_prim(s + l, n - l);
        return;
    }
    if (k == 2) {
        strncat(s, r(3) ? "(" : "not (", n - l - 1);
        rand_expr(s, n, depth + 1);
        l = strlen(s);
        strncat(s, ")", n - l - 1);
        return;
    }
    rand_expr(s, n, depth + 1);
    l = strlen(s);
    strncat(s, (const char *[]){ " and ", " or ", " && ", " || " }[r(4)], n - l - 1);
    rand_expr(s, n, depth + 1);
}

static void run(struct ctx *c, const char *what)
{
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_expr(c, fixed[i]);
    for (int i = 0; i < 4000; i++) {
        char e[2048] = "";
        rand_expr(e, sizeof(e), 0);
        check_expr(c, e);
    }
    printf("%s: %u expressions libpcap compiled, %u frames accepted, %.1f %% of the frames "
           "candidates\n", what, c->compiled, c->accepted,
           100.0 * c->candidates / ((double)c->compiled * c->n));
}

/* a random expression over tests/data/filter.pcap's hosts and ports */
static void file_expr(char *s, size_t n, int depth)
{
    static const char *h4[] = { "10.0.0.1", "10.0.0.2", "10.1.2.3", "192.168.1.10", "172.16.5.4",
                                "198.51.100.7", "203.0.113.9", "10.9.9.9" };
    static const char *h6[] = { "2001:db8::1", "2001:db8::2", "2001:db8:1::10", "fe80::1", "fd00::5",
                                "ff02::1" };
    static const unsigned ports[] = { 22, 53, 80, 123, 443, 999, 1000, 1500, 2000, 2001, 5000, 8080,
                                      65535, 521, 4000 };
    static const char *other[] = { "tcp", "udp", "icmp", "icmp6", "sctp", "arp", "ip6", "vlan",
                                   "vlan 100", "vlan 200", "vlan 4094", "ip proto 17", "ip6 proto 6",
                                   "net 192.168.1.0/24", "net 2001:db8::/32", "portrange 990-1010",
                                   "tcp[tcpflags] & tcp-syn != 0", "ip6 multicast" };
    size_t l = strlen(s);
    unsigned k = depth > 3 ? r(4) : r(7);
    char p[128];
    switch (k) {
    case 0: snprintf(p, sizeof(p), "%shost %s", (const char *[]){ "", "src ", "dst " }[r(3)], h4[r(8)]); break;
    case 1: snprintf(p, sizeof(p), "host %s", h6[r(6)]); break;
    case 2: snprintf(p, sizeof(p), "%sport %u", (const char *[]){ "", "tcp ", "udp ", "src " }[r(4)], ports[r(15)]); break;
    case 3: snprintf(p, sizeof(p), "%s", other[r(18)]); break;
    case 4:
        strncat(s, r(3) ? "(" : "not (", n - l - 1);
        file_expr(s, n, depth + 1);
        l = strlen(s);
        strncat(s, ")", n - l - 1);
        return;
    default:
        file_expr(s, n, depth + 1);
        l = strlen(s);
        strncat(s, r(2) ? " and " : " or ", n - l - 1);
        file_expr(s, n, depth + 1);
        return;
    }
    strncat(s, p, n - l - 1);
}

/* The index idx_build_fd makes of a real file (512-byte chunks) against
 * libpcap reading the same file: each record's chunk is found by its end
 * offset (ftell after pcap_next_ex). */
static void file_check(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s%s%s", name[0] == '/' ? "" : TEST_DATA, name[0] == '/' ? "" : "/",
             name);
    int fd = open(path, O_RDONLY);
    uint8_t *img;
    size_t len;
    char err[256], eb[PCAP_ERRBUF_SIZE];
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(idx_build_fd_chunk(fd, 512, &img, &len, err, sizeof(err)) == 0);
    close(fd);
    struct idx x;
    CHECK(idx_open(&x, img, len, err, sizeof(err)) == 0);
    /* the records and their chunks */
    pcap_t *pc = pcap_open_offline(path, eb);
    CHECK(pc != NULL);
    if (pc == NULL)
        return;
    static struct { struct pcap_pkthdr h; uint8_t d[2048]; uint32_t chunk; } rec[4096];
    int n = 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    uint32_t c = 0;
    while (n < 4096 && pcap_next_ex(pc, &h, &d) == 1) {
        uint64_t end = (uint64_t)ftell(pcap_file(pc));
        while (c < x.nchunks && x.chunks[c].end < end)
            c++;
        CHECK(c < x.nchunks && x.chunks[c].off < end && end <= x.chunks[c].end);
        if (c < x.nchunks) {        /* its time (libpcap's microseconds) inside the chunk's */
            uint64_t us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
            CHECK(us >= x.chunks[c].ts_min / 1000 && us <= x.chunks[c].ts_max / 1000);
        }
        rec[n].h = *h;
        memcpy(rec[n].d, d, h->caplen < 2048 ? h->caplen : 2048);
        rec[n].chunk = c;
        n++;
    }
    CHECK_EQ_U(n, x.records);
    unsigned compiled = 0, accepted = 0, cand = 0, total = 0;
    uint64_t *set = calloc(idx_set_words(&x), 8);
    for (int e = 0; e < 1500; e++) {
        char expr[2048] = "";
        file_expr(expr, sizeof(expr), 0);
        struct bpf_program prog;
        if (pcap_compile(pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
            continue;
        compiled++;
        struct idx_plan *p;
        CHECK(idx_plan_compile(expr, &p, NULL, 0) == 0);
        idx_plan_eval(p, &x, set);
        for (int i = 0; i < n; i++) {
            bool in = (set[rec[i].chunk / 64] >> (rec[i].chunk % 64)) & 1;
            total++;
            cand += in;
            if (pcap_offline_filter(&prog, &rec[i].h, rec[i].d)) {
                accepted++;
                if (!in) {
                    check_failures++;
                    fprintf(stderr, "%s: '%s': record %d accepted by libpcap, chunk %u not a "
                            "candidate\n", name, expr, i, rec[i].chunk);
                }
            }
        }
        idx_plan_free(p);
        pcap_freecode(&prog);
    }
    printf("%s: %d records in %u chunks, %u expressions, %u records accepted, %.1f %% of the "
           "records in candidate chunks\n", name, n, x.nchunks, compiled, accepted,
           total ? 100.0 * cand / total : 0);
    free(set);
    pcap_close(pc);
    idx_close(&x);
    free(img);
}

int main(void)
{
    frames();
    size_t len;
    uint8_t *img = build(eth, neth, 1, &len);
    struct ctx c = { .pc = pcap_open_dead(DLT_EN10MB, 65535), .set = eth, .n = neth };
    CHECK(idx_open(&c.x, img, len, NULL, 0) == 0);
    CHECK(c.x.nchunks == (uint32_t)neth);
    /* pruning where the index can answer (opaque: frames 33 and the runt) */
    CHECK(check_expr(&c, "host 10.0.0.1") < 10);
    CHECK(check_expr(&c, "port 80 and host 10.0.0.1") < 5);
    CHECK(check_expr(&c, "vlan 100") < 8);
    CHECK(check_expr(&c, "icmp6") < 6);
    CHECK(check_expr(&c, "host 2001:db8::101") < neth / 2 + 2);
    CHECK(check_expr(&c, "not host 10.0.0.1") == neth);
    CHECK(check_expr(&c, "vlan 10 and host 10.0.0.1") < neth / 2);
    run(&c, "ethernet");
    idx_close(&c.x);
    pcap_close(c.pc);
    free(img);

    img = build(raw, nraw, 101, &len);
    struct ctx d = { .pc = pcap_open_dead(DLT_RAW, 65535), .set = raw, .n = nraw };
    CHECK(idx_open(&d.x, img, len, NULL, 0) == 0);
    CHECK(check_expr(&d, "host 10.0.0.1") < 6);
    run(&d, "raw IP");
    idx_close(&d.x);
    pcap_close(d.pc);
    free(img);

    file_check("filter.pcap");
    file_check("mixed.pcap");
    file_check("known.pcap");
    /* more files by hand (pcapng from editcap, other writers): IDXPLAN_FILES="/a /b" */
    char *more = getenv("IDXPLAN_FILES") ? strdup(getenv("IDXPLAN_FILES")) : NULL;
    for (char *sv, *f = more ? strtok_r(more, " ", &sv) : NULL; f; f = strtok_r(NULL, " ", &sv))
        file_check(f);
    free(more);

    /* plans alone */
    struct idx_plan *p;
    CHECK(idx_plan_compile("host 10.0.0.1 and", &p, NULL, 0) == 0);
    CHECK(idx_plan_all(p));
    idx_plan_free(p);
    CHECK(idx_plan_compile("((((", &p, NULL, 0) == 0);
    CHECK(idx_plan_all(p));
    idx_plan_free(p);
    CHECK(idx_plan_compile("", &p, NULL, 0) == 0);
    CHECK(idx_plan_all(p));
    idx_plan_free(p);
    CHECK(idx_plan_compile("port 80", &p, NULL, 0) == 0);
    CHECK(!idx_plan_all(p));
    idx_plan_free(p);
    CHECK(idx_plan_all(NULL));
    return check_done("test_idxplan");
}
