/* encode: the receive core's per-record encoding cost, pcap vs pcapng, with
 * linecap's own inline encoders (format/pcap.h, format/pcapng.h) and no
 * DPDK, no disk, no other thread: frames of FRAME bytes are encoded back to
 * back into a 4 MiB buffer (hugepage-backed when possible) over and over for
 * SECONDS per format, alternating formats five times. Prints ns/record and
 * GB/s of records per format (best and median of the five).
 *
 *   build/bench_encode [FRAME [SECONDS]]     (default 64 B, 1 s per round)
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "format/pcap.h"
#include "format/pcapng.h"

#define BS (4u << 20)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Fill the buffer once; returns records encoded. The frame source cycles
 * through 32 distinct frames as a burst of mbufs would. */
static uint64_t fill(uint8_t *buf, const uint8_t *frames, uint32_t flen, int ng,
                     const struct pcapng_epb_opts *o, uint64_t ns)
{
    uint32_t off = 0;
    uint64_t n = 0;
    uint32_t sec = (uint32_t)(ns / 1000000000ULL), nsec = (uint32_t)(ns % 1000000000ULL);
    if (ng) {
        uint32_t rl = pcapng_epb_len(flen, o->len);
        while (off + rl <= BS) {
            uint8_t *d = buf + off;
            pcapng_put_epb_head(d, rl, 0, ns, flen, flen);
            memcpy(d + sizeof(struct pcapng_epb), frames + (n & 31) * flen, flen);
            pcapng_put_epb_tail(d, rl, o);
            off += rl;
            n++;
        }
    } else {
        uint32_t rl = (uint32_t)sizeof(struct pcap_rec_hdr) + flen;
        while (off + rl <= BS) {
            uint8_t *d = buf + off;
            pcap_put_rec_hdr(d, sec, nsec, flen, flen);
            memcpy(d + sizeof(struct pcap_rec_hdr), frames + (n & 31) * flen, flen);
            off += rl;
            n++;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    uint32_t flen = argc > 1 ? (uint32_t)atoi(argv[1]) : 64;
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    struct pcapng_epb_opts o;
    pcapng_epb_opts_init(&o, -1);

    uint8_t *buf = mmap(NULL, BS, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
    if (buf == MAP_FAILED)
        buf = mmap(NULL, BS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    uint8_t *frames = malloc(32 * (size_t)flen);
    if (buf == MAP_FAILED || frames == NULL || flen == 0 || flen > 9000) {
        fprintf(stderr, "encode: bad frame size or no memory\n");
        return 1;
    }
    for (uint32_t i = 0; i < 32 * flen; i++)
        frames[i] = (uint8_t)(i * 7);

    double nsrec[2][5], gbs[2][5];
    uint32_t rl[2] = { (uint32_t)sizeof(struct pcap_rec_hdr) + flen, pcapng_epb_len(flen, o.len) };
    volatile uint64_t sink = 0;
    for (int round = 0; round < 5; round++) {
        for (int k = 0; k < 2; k++) {
            int ng = (round & 1) ? 1 - k : k;      /* alternate which goes first */
            uint64_t recs = 0;
            double t0 = now(), t;
            do {
                recs += fill(buf, frames, flen, ng, &o, 1764000000123456789ULL + recs);
                sink += buf[recs % BS];
                t = now();
            } while (t - t0 < secs);
            nsrec[ng][round] = (t - t0) * 1e9 / (double)recs;
            gbs[ng][round] = (double)recs * rl[ng] / (t - t0) / 1e9;
        }
    }
    printf("frame %u B: record bytes pcap %u, pcapng %u\n", flen, rl[0], rl[1]);
    for (int ng = 0; ng < 2; ng++) {
        qsort(nsrec[ng], 5, sizeof(double), cmp);
        qsort(gbs[ng], 5, sizeof(double), cmp);
        printf("%-6s ns/record best %.2f median %.2f; GB/s of records best %.2f median %.2f\n",
               ng ? "pcapng" : "pcap", nsrec[ng][0], nsrec[ng][2], gbs[ng][4], gbs[ng][2]);
    }
    return (int)(sink & 0);
}
