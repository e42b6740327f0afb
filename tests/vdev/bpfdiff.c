/* bpfdiff: linecap's capture filter against libpcap, verdict by verdict.
 *
 *   bpfdiff PCAP EXPRFILE [--repairs N]
 *   bpfdiff PCAP EXPRFILE --bench SECONDS
 *
 * For every expression of EXPRFILE (one a line, '#' comments) and every frame
 * of PCAP: libpcap's verdict (pcap_offline_filter on the classic program)
 * against linecap's filter (filter_load: rte_bpf_convert + repairs +
 * rte_bpf_load) run by each engine -- DPDK's JIT, DPDK's interpreter and
 * libpcap's bpf_filter over the mbuf -- each on the frame in one mbuf, split
 * into two segments after 13 bytes (inside the Ethernet header) and split in
 * the middle. A program DPDK refuses falls back to libpcap's engine as in
 * linecap (counted, not a disagreement). Prints each disagreement and a
 * summary; exits 1 on any. --repairs N loads with only the REPAIR_* bits N
 * (0: DPDK's conversion as it is; shows the defects repair.h works around,
 * and may crash in the JIT). Runs its own EAL: --no-huge.
 *
 * --bench: for each expression and engine, the time filter_run_burst takes
 * per packet over bursts of 32 taken in turn from the frames of PCAP (in one
 * mbuf each, hot in cache): the filter's own cost, without a port, a mempool
 * or a disk; SECONDS per expression and engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "filter/filter.h"
#include "format/pcap.h"

#define MAX_FRAMES 4096

struct frame {
    struct pcap_pkthdr h;
    u_char *data;
};

static struct rte_mempool *mp;

/* The frame as a chain: first segment of at most cut bytes (0: as much as
 * fits), the rest in further segments. */
static struct rte_mbuf *make_chain(const struct frame *fr, uint32_t cut)
{
    struct rte_mbuf *head = NULL, *last = NULL;
    uint32_t off = 0, len = fr->h.caplen;
    do {
        struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
        if (m == NULL) {
            fprintf(stderr, "bpfdiff: out of mbufs\n");
            exit(2);
        }
        uint32_t room = rte_pktmbuf_tailroom(m);
        uint32_t k = len - off;
        if (head == NULL && cut && cut < k)
            k = cut;
        if (k > room)
            k = room;
        memcpy(rte_pktmbuf_append(m, (uint16_t)k), fr->data + off, k);
        off += k;
        if (head == NULL) {
            head = m;
        } else {
            last->next = m;
            head->nb_segs++;
            head->pkt_len += k;
        }
        last = m;
    } while (off < len);
    return head;
}

int main(int argc, char **argv)
{
    unsigned repairs = 3;       /* REPAIR_ALL */
    double bench_s = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: bpfdiff PCAP EXPRFILE [--repairs N | --bench SECONDS]\n");
        return 2;
    }
    if (argc == 5 && strcmp(argv[3], "--repairs") == 0)
        repairs = (unsigned)atoi(argv[4]);
    if (argc == 5 && strcmp(argv[3], "--bench") == 0)
        bench_s = atof(argv[4]);

    char prefix[64];
    snprintf(prefix, sizeof(prefix), "--file-prefix=bpfdiff%d", (int)getpid());
    char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf", prefix,
                    "--no-telemetry", "--log-level=lib.eal:error", "-l", "0", NULL };
    if (rte_eal_init(11, eal) < 0) {
        fprintf(stderr, "bpfdiff: EAL: %s\n", rte_strerror(rte_errno));
        return 2;
    }
    mp = rte_pktmbuf_pool_create("bpfdiff", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                 SOCKET_ID_ANY);
    if (mp == NULL) {
        fprintf(stderr, "bpfdiff: mempool: %s\n", rte_strerror(rte_errno));
        return 2;
    }

    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(argv[1], eb);
    if (in == NULL) {
        fprintf(stderr, "bpfdiff: %s\n", eb);
        return 2;
    }
    static struct frame fr[MAX_FRAMES];
    int nf = 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    while (nf < MAX_FRAMES && pcap_next_ex(in, &h, &d) == 1) {
        fr[nf].h = *h;
        fr[nf].data = malloc(h->caplen ? h->caplen : 1);
        memcpy(fr[nf].data, d, h->caplen);
        nf++;
    }
    pcap_close(in);

    /* three layouts of every frame */
    enum { NV = 3 };
    static const char *vname[NV] = { "one segment", "split after 13 B", "split in the middle" };
    static struct rte_mbuf *mb[NV][MAX_FRAMES];
    for (int i = 0; i < nf; i++) {
        mb[0][i] = make_chain(&fr[i], 0);
        mb[1][i] = make_chain(&fr[i], fr[i].h.caplen > 13 ? 13 : 0);
        mb[2][i] = make_chain(&fr[i], fr[i].h.caplen > 1 ? fr[i].h.caplen / 2 : 0);
    }

    FILE *ef = fopen(argv[2], "r");
    if (ef == NULL) {
        perror(argv[2]);
        return 2;
    }
    char line[4096];
    long nexpr = 0, verdicts = 0, bad = 0, repairs_ld = 0, repairs_js = 0, fallbacks = 0;
    static const enum filter_engine engines[] = { FILTER_JIT, FILTER_INTERP, FILTER_CLASSIC };
    const int nengines = 3;
    while (fgets(line, sizeof(line), ef)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        struct bpf_program prog;
        char err[512];
        if (filter_compile(line, LINKTYPE_ETHERNET, 262144, &prog, err, sizeof(err)) < 0) {
            printf("'%s': does not compile: %s\n", line, err);
            bad++;
            continue;
        }
        nexpr++;
        static int want[MAX_FRAMES];
        for (int i = 0; i < nf; i++)
            want[i] = pcap_offline_filter(&prog, &fr[i].h, fr[i].data) != 0;
        int shown = 0;
        for (int e = 0; e < nengines; e++) {
            struct lc_filter f;
            if (filter_load_ext(&f, &prog, engines[e], repairs, err, sizeof(err)) < 0) {
                printf("'%s': %s\n", line, err);
                bad++;
                continue;
            }
            if (f.engine != engines[e]) {
                if (f.engine == FILTER_CLASSIC && engines[e] != FILTER_CLASSIC) {
                    if (e == 0)
                        printf("'%s': runs in libpcap's engine: %s\n", line, f.note);
                    fallbacks++;
                } else {
                    printf("'%s': engine %s, not the one asked for (%s)\n", line,
                           filter_engine_name(&f), f.note);
                    bad++;
                }
            }
            if (e == 0) {
                repairs_ld += f.fixed_ldind;
                repairs_js += f.fixed_jset;
            }
            if (bench_s > 0) {
                /* bursts of 32 from a ring of the frames, one segment each */
                static struct rte_mbuf *ring[MAX_FRAMES + 32];
                for (int i = 0; i < nf + 32; i++)
                    ring[i] = mb[0][i % nf];
                uint64_t rc[32], hz = rte_get_tsc_hz(), pkts = 0, matched = 0;
                uint64_t t0 = rte_rdtsc(), until = t0 + (uint64_t)(bench_s * (double)hz);
                uint64_t t1 = t0;
                int at = 0;
                while (t1 < until) {
                    for (int r = 0; r < 64; r++) {
                        filter_run_burst(&f, &ring[at], rc, 32);
                        matched += rc[0] != 0;
                        at += 32;
                        if (at >= nf)
                            at -= nf;
                    }
                    pkts += 64 * 32;
                    t1 = rte_rdtsc();
                }
                printf("bench\t%s\t%s\t%.2f\n", filter_engine_name(&f), line,
                       (double)(t1 - t0) * 1e9 / (double)hz / (double)pkts);
                (void)matched;
                filter_free(&f);
                continue;
            }
            for (int v = 0; v < NV; v++) {
                for (int i = 0; i < nf; i += 32) {
                    uint16_t n = (uint16_t)(nf - i < 32 ? nf - i : 32);
                    uint64_t rc[32];
                    filter_run_burst(&f, &mb[v][i], rc, n);
                    for (int k = 0; k < n; k++) {
                        verdicts++;
                        if ((rc[k] != 0) != want[i + k]) {
                            bad++;
                            if (shown++ < 5)
                                printf("'%s': frame %d (%u B, %s), %s: %s, libpcap: %s\n", line,
                                       i + k + 1, fr[i + k].h.caplen, vname[v],
                                       filter_engine_name(&f), rc[k] ? "match" : "no match",
                                       want[i + k] ? "match" : "no match");
                        }
                    }
                }
            }
            filter_free(&f);
        }
        pcap_freecode(&prog);
    }
    fclose(ef);
    printf("%ld expressions x %d frames x %d layouts x %d engines: %ld verdicts, %ld "
           "disagreements (repairs: %ld indirect loads, %ld jset; %ld loads fell back to libpcap)\n",
           nexpr, nf, NV, nengines, verdicts, bad, repairs_ld, repairs_js, fallbacks);
    for (int v = 0; v < NV; v++)
        for (int i = 0; i < nf; i++)
            rte_pktmbuf_free(mb[v][i]);
    for (int i = 0; i < nf; i++)
        free(fr[i].data);
    rte_mempool_free(mp);
    rte_eal_cleanup();
    return bad ? 1 : 0;
}
