/* blockfill: linecap's receive-core -> writer pipeline without DPDK or
 * linecap code, to tell the machine's behaviour from linecap's.
 *
 * A producer pinned to CPU 1 fills 4 MiB blocks of a 2 MiB-hugepage pool
 * with REC-byte records as fast as it can (dropping, like linecap, when no
 * block is free); a writer pinned to CPU 0 writes each full block with one
 * O_DIRECT pwrite to FILE (or, with FILE = "sleep", only sleeps 1.3 ms per
 * block: the same recycling of the pool without disk I/O). Every second it
 * prints the stored and written rates and the producer's *fill speed*, the
 * rate at which it writes record bytes while it has a block.
 *
 *   cc -O2 -pthread -o /var/tmp/blockfill bench/blockfill.c
 *   /var/tmp/blockfill REC NBLOCKS SECONDS FILE|sleep [nt]
 *   e.g. /var/tmp/blockfill 80 512 12 /var/tmp/lcbench/bf.dat
 *
 * "nt" fills with non-temporal (streaming) stores instead of memcpy
 * (REC must be a multiple of 16). Not run by bench/run.sh; see the notes in
 * the benchmark report for what it showed on the project's VM. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BS (4u << 20)

static unsigned nb, rec;
static uint8_t *mem;
static unsigned *fullq, *freeq;     /* SPSC index queues of block numbers */
static _Atomic unsigned long full_head, full_tail, free_head, free_tail;
static _Atomic int stop;
static _Atomic unsigned long written;
static int fd = -1;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void *writer(void *arg)
{
    (void)arg;
    pin(0);
    off_t off = 0;
    while (!stop || full_head != full_tail) {
        if (full_head == full_tail) {
            usleep(50);
            continue;
        }
        unsigned b = fullq[full_tail % nb];
        if (fd < 0) {
            struct timespec d = { 0, 1300000 };
            nanosleep(&d, NULL);
        } else if (pwrite(fd, mem + (size_t)b * BS, BS, off) != (ssize_t)BS) {
            perror("pwrite");
            exit(1);
        }
        off += BS;
        written += BS;
        full_tail++;
        freeq[free_head % nb] = b;
        free_head++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s REC NBLOCKS SECONDS FILE|sleep [nt]\n", argv[0]);
        return 64;
    }
    rec = (unsigned)atoi(argv[1]);
    nb = (unsigned)atoi(argv[2]);
    double secs = atof(argv[3]);
    int nt = argc > 5 && strcmp(argv[5], "nt") == 0;
    if (rec == 0 || rec > 2048 || nb == 0 || (nt && rec % 16)) {
        fprintf(stderr, "bad REC or NBLOCKS\n");
        return 64;
    }
    mem = mmap(NULL, (size_t)nb * BS, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap MAP_HUGETLB");
        return 1;
    }
    fullq = calloc(nb, sizeof(*fullq));
    freeq = calloc(nb, sizeof(*freeq));
    for (unsigned i = 0; i < nb; i++)
        freeq[i] = i;
    free_head = nb;
    if (strcmp(argv[4], "sleep") != 0) {
        fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
        if (fd < 0) {
            perror(argv[4]);
            return 1;
        }
    }
    pthread_t w;
    pthread_create(&w, NULL, writer, NULL);
    pin(1);

    uint8_t src[2048] __attribute__((aligned(16)));
    memset(src, 0x5a, sizeof(src));
    unsigned long stored = 0, dropped = 0, fill_ns = 0;
    unsigned long ps = 0, pw = 0, pd = 0, pf = 0;
    double t0 = now(), tl = t0;
    for (;;) {
        double t = now();
        if (t - tl >= 1.0) {
            double dt = t - tl, fill_s = (fill_ns - pf) / 1e9;
            unsigned long wr = written;
            printf("%5.1fs stored %6.2f Mrec/s %5.2f GB/s  written %5.2f GB/s  dropped %7.2f Mrec/s"
                   "  fill speed %5.2f GB/s  producer busy filling %3.0f%%\n",
                   t - t0, (stored - ps) / 1e6 / dt, (stored - ps) * (double)rec / 1e9 / dt,
                   (wr - pw) / 1e9 / dt, (dropped - pd) / 1e6 / dt,
                   fill_s > 0 ? (stored - ps) * (double)rec / fill_s / 1e9 : 0, 100 * fill_s / dt);
            fflush(stdout);
            ps = stored; pw = wr; pd = dropped; pf = fill_ns; tl = t;
            if (t - t0 >= secs)
                break;
        }
        if (free_tail == free_head) {   /* no free block: a burst of 32 dropped */
            dropped += 32;
            continue;
        }
        unsigned b = freeq[free_tail % nb];
        free_tail++;
        uint8_t *p = mem + (size_t)b * BS;
        unsigned n = BS / rec;
        struct timespec a, z;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (nt) {
            for (unsigned k = 0; k < n; k++) {
                __m128i *d = (__m128i *)(p + (size_t)k * rec);
                for (unsigned q = 0; q < rec / 16; q++)
                    _mm_stream_si128(d + q, _mm_load_si128((const __m128i *)src + q));
                src[0]++;
            }
            _mm_sfence();
        } else {
            for (unsigned k = 0; k < n; k++) {
                memcpy(p + (size_t)k * rec, src, rec);
                src[0]++;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &z);
        fill_ns += (unsigned long)((z.tv_sec - a.tv_sec) * 1000000000L + (z.tv_nsec - a.tv_nsec));
        stored += n;
        fullq[full_head % nb] = b;
        full_head++;
    }
    stop = 1;
    pthread_join(w, NULL);
    if (fd >= 0) {
        close(fd);
        unlink(argv[4]);
    }
    return 0;
}
