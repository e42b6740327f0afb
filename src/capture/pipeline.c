/* The capture pipeline's wiring: the block pool and its free stack, the
 * receive streams, the writer thread, the device counters the main thread
 * publishes, and the statistics snapshot over all of them. */
#include "capture/pipeline.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "capture/writer.h"
#include "common/exitcodes.h"
#include "common/log.h"
#include "common/sys.h"

void pipeline_source_counters(const struct rx_stream *rx, const struct rx_counters *wcnt, int si,
                              uint64_t v[QC_MAX])
{
    for (int c = 0; c < QC_MAX; c++) {
        v[c] = __atomic_load_n(&rx->cnt[si].v[c], __ATOMIC_RELAXED);
        if (wcnt)
            v[c] += __atomic_load_n(&wcnt[si].v[c], __ATOMIC_RELAXED);
    }
}

/* The longest record of a caplen-byte frame in format f. */
static uint32_t record_len_max(const struct format_ops *f, uint32_t caplen)
{
    return f->kind == FORMAT_PCAPNG ? pcapng_epb_len(caplen, PCAPNG_EPB_OPTS_MAX)
                                    : f->rec_hdr_len + caplen;
}

/* The pool: its block size from the file sizes rotation expects, the
 * largest record and the file header and trailer (hdr_trl bytes). */
static int make_pool(struct pipeline *p, uint64_t hdr_trl, char *err, size_t errlen)
{
    const struct pipeline_conf *c = &p->c;

    /* Small files (rotation by a small size or count) get small blocks:
     * each file in flight to the writer pins at least one block. */
    uint64_t hint = 0;
    if (c->rot.max_bytes)
        hint = c->rot.max_bytes;
    if (c->rot.max_pkts) {
        uint64_t per = record_len_max(c->fmt, 0);      /* record framing */
        uint64_t est = c->rot.max_pkts * (per + (uint64_t)RTE_MIN(c->snaplen, 1514u)) + hdr_trl;
        hint = hint ? RTE_MIN(hint, est) : est;
    }
    uint32_t max_rec = record_len_max(c->fmt, c->snaplen);
    struct block_plan plan;
    uint64_t min_bytes;
    if (block_plan(c->buffer_mib << 20, (unsigned)c->nrx, hint, max_rec, (uint32_t)hdr_trl,
                   &plan, &min_bytes) < 0) {
        snprintf(err, errlen, "-B %llu: too small for %d receive stream%s: at least %llu MiB "
                 "(%u blocks of %llu KiB per stream at snaplen %u)",
                 (unsigned long long)c->buffer_mib, c->nrx, c->nrx > 1 ? "s" : "",
                 (unsigned long long)((min_bytes + (1u << 20) - 1) >> 20), BLOCK_MIN_PER_STREAM,
                 (unsigned long long)(min_bytes / BLOCK_MIN_PER_STREAM / c->nrx >> 10),
                 c->snaplen);
        return EXIT_USAGE;
    }
    p->held_max = plan.per_stream;
    int rc = block_pool_init(&p->pool, plan.n, plan.bsize);
    if (rc < 0) {
        snprintf(err, errlen, "-B %llu: cannot allocate a %llu MiB block pool: %s",
                 (unsigned long long)c->buffer_mib, (unsigned long long)c->buffer_mib,
                 strerror(-rc));
        return EXIT_UNAVAILABLE;
    }
    if (!p->pool.hugepages)
        lc_info("notice: block pool of %llu MiB is on 4 KiB pages (no free hugepages): "
                "direct writes are split and slower", (unsigned long long)c->buffer_mib);
    /* A stack, not a ring: the block reused next is the one freed last,
     * so in steady state a few blocks circulate (hot in the TLB) and the
     * depth of the pool is touched only while the disk stalls, instead
     * of cycling FIFO through all of it (up to 2 GiB). */
    p->free = rte_stack_create("lc_free", p->pool.n, (int)rte_socket_id(), RTE_STACK_F_LF);
    if (p->free == NULL) {
        snprintf(err, errlen, "cannot create the free-block ring: %s", rte_strerror(rte_errno));
        return EXIT_SOFTWARE;
    }
    for (unsigned i = 0; i < p->pool.n; i++) {
        struct block *bp = &p->pool.blocks[p->pool.n - 1 - i];
        rte_stack_push(p->free, (void **)&bp, 1);
    }
    return 0;
}

int pipeline_init(struct pipeline *p, const struct pipeline_conf *c, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->c = *c;
    p->run.has_budget = c->count > 0;
    p->run.budget = (int64_t)c->count;
    if (c->count_only)
        return 0;
    /* The file header names every port (pcapng): build it once to know
     * its size before the block size is chosen. */
    uint8_t *tmp = malloc(BLOCK_SIZE_MAX);
    size_t hdr_len = tmp ? c->fmt->file_header(tmp, BLOCK_SIZE_MAX, c->finfo) : 0;
    free(tmp);
    size_t trl_len = c->fmt->trailer_len(c->finfo);
    if (hdr_len == 0 || trl_len + BLOCK_ALIGN > WRITER_TAIL_CAP) {
        snprintf(err, errlen, "cannot build the %s file header for %d ports", c->fmt->name,
                 c->nports);
        return EXIT_SOFTWARE;
    }
    p->w = calloc(1, sizeof(*p->w));
    if (p->w == NULL) {
        snprintf(err, errlen, "out of memory");
        return EXIT_SOFTWARE;
    }
    return make_pool(p, hdr_len + trl_len, err, errlen);
}

int pipeline_streams(struct pipeline *p, char *err, size_t errlen)
{
    const struct pipeline_conf *c = &p->c;
    int nrx = c->nrx;
    int nsrc = 0;
    for (int i = 0; i < c->nports; i++)
        nsrc += (int)c->ports[i].nq;
    if (nrx > nsrc) {
        snprintf(err, errlen, "--cores: %d receive cores for %d queues; give at most %d (or more -q)",
                 nrx, nsrc, nsrc);
        return EXIT_USAGE;
    }
    if (nsrc > nrx * BLOCK_MAX_SRC) {
        snprintf(err, errlen, "%d queues on %d receive cores: at most %d queues per core",
                 nsrc, nrx, BLOCK_MAX_SRC);
        return EXIT_USAGE;
    }
    p->streams = rte_zmalloc("streams", sizeof(struct rx_stream) * (size_t)nrx,
                             RTE_CACHE_LINE_SIZE);
    if (p->streams == NULL) {
        snprintf(err, errlen, "out of memory for %d streams", nrx);
        return EXIT_SOFTWARE;
    }
    int k = 0;
    for (int i = 0; i < c->nports; i++) {
        const struct port_info *pi = &c->ports[i];
        for (unsigned q = 0; q < pi->nq; q++, k++) {
            struct rx_stream *s = &p->streams[k % nrx];
            struct rx_source *src = &s->src[s->nsrc++];
            src->port = pi->id;
            src->queue = (uint16_t)q;
            src->ts_field = pi->ts_field;
            src->ts_flag = pi->ts_flag;
            src->dclk = &pi->dclk;
            src->ifid = (uint32_t)i;
            /* epb_queue only where it tells something: a port with several queues */
            pcapng_epb_opts_init(&src->epb, pi->nq > 1 ? (int)q : -1);
        }
    }
    for (int i = 0; i < nrx; i++) {
        struct rx_stream *s = &p->streams[i];
        char rn[RTE_RING_NAMESIZE];
        s->id = i;
        s->lcore = (unsigned)i + 1;
        s->snaplen = c->snaplen;
        s->bsize = p->pool.bsize;
        s->held_max = p->held_max ? p->held_max : UINT32_MAX;
        s->count_only = c->count_only;
        s->filter = c->filter;
        s->fmt = c->fmt;
        s->ng = c->fmt->kind == FORMAT_PCAPNG;
        s->finfo = c->finfo;
        s->trailer_len = (uint32_t)c->fmt->trailer_len(c->finfo);
        s->rot = c->rot;
        s->lim_bytes = UINT64_MAX;
        if (c->rot.max_bytes)
            s->lim_bytes = c->rot.max_bytes;
        if (c->rot.stop_bytes && c->rot.stop_bytes < s->lim_bytes)
            s->lim_bytes = c->rot.stop_bytes;
        s->lim_pkts = c->rot.max_pkts ? c->rot.max_pkts : UINT64_MAX;
        /* -a files without -b: the one file is the limit; nothing to do. */
        s->rot_ticks = c->rot.max_ns ? lc_clock_ticks(c->clock, c->rot.max_ns) : 0;
        s->flush_ticks = lc_clock_ticks(c->clock, 100000000ULL);
        s->clock = c->clock;
        s->run = &p->run;
        s->free = p->free;
        snprintf(rn, sizeof(rn), "lc_full%d", i);
        s->full = rte_ring_create(rn, p->pool.n + 1, (int)rte_socket_id(),
                                  RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
        if (s->full == NULL) {
            snprintf(err, errlen, "cannot create ring %s: %s", rn, rte_strerror(rte_errno));
            return EXIT_SOFTWARE;
        }
    }
    return 0;
}

int pipeline_start(struct pipeline *p, char *err, size_t errlen)
{
    const struct pipeline_conf *c = &p->c;

    if (p->w) {
        struct writer_conf wc = {
            .nstreams = c->nrx,
            .streams = p->streams,
            .dirfd = c->dirfd,
            .tmpl = c->tmpl,
            .rotating = c->rotating,
            .sync = c->sync,
            .mode = c->mode,
            .ring_files = c->ring_files,
            .disk_limit = c->disk_limit,
            .min_free = c->min_free,
            .free = p->free,
            .run = &p->run,
            .fmt = c->fmt,
            .finfo = c->finfo,
            .ports = p->pub,
            .index = c->index,
            .nblocks = p->pool.n,
            .hook = c->hook,
        };
        if (writer_init(p->w, &wc) < 0) {
            snprintf(err, errlen, "out of memory");
            return EXIT_SOFTWARE;
        }
    }
    p->t_start = lc_now_s();
    p->start_ns = lc_realtime_ns();
    if (p->w) {
        p->w->start_ns = p->start_ns;       /* pcapng isb_starttime */
        if (pthread_create(&p->wt, NULL, writer_main, p->w) != 0) {
            snprintf(err, errlen, "cannot start the writer thread");
            return EXIT_SOFTWARE;
        }
        p->writer_running = true;
        cpu_set_t cs;
        CPU_ZERO(&cs);
        CPU_SET(c->main_cpu, &cs);
        pthread_setaffinity_np(p->wt, sizeof(cs), &cs);
        pthread_setname_np(p->wt, "lc-writer");
    }
    for (int i = 0; i < c->nrx; i++)
        rte_eal_remote_launch(rx_stream_main, &p->streams[i], p->streams[i].lcore);
    p->launched = true;
    return 0;
}

static void publish_port(struct pipeline *p, int i, const uint64_t v[PC_MAX])
{
    for (int k = 0; k < PC_MAX; k++)
        __atomic_store_n(&p->pub[i].v[k], v[k], __ATOMIC_RELAXED);
}

void pipeline_poll_ports(struct pipeline *p)
{
    if (p->rx_stopped)
        return;
    for (int i = 0; i < p->c.nports; i++) {
        /* port_read_stats keeps the counters across a reset */
        port_read_stats(&p->c.ports[i], p->port_read[i]);
        publish_port(p, i, p->port_read[i]);
    }
}

void pipeline_snapshot(struct pipeline *p, struct st_snapshot *ss, bool read_ports)
{
    const struct pipeline_conf *c = &p->c;
    const struct writer *w = p->w;

    if (read_ports)
        pipeline_poll_ports(p);
    memset(ss, 0, sizeof(*ss));
    ss->elapsed_s = lc_now_s() - p->t_start;
    ss->nports = c->nports;
    for (int i = 0; i < c->nports; i++) {
        struct st_port *sp = &ss->ports[i];
        sp->port = c->ports[i].id;
        snprintf(sp->name, sizeof(sp->name), "%s", c->ports[i].name);
        snprintf(sp->driver, sizeof(sp->driver), "%s", c->ports[i].driver);
        for (int k = 0; k < PC_MAX; k++)
            sp->v[k] = __atomic_load_n(&p->pub[i].v[k], __ATOMIC_RELAXED);
        sp->nq = (int)c->ports[i].nq;
    }
    for (int i = 0; p->streams && i < c->nrx; i++) {
        const struct rx_stream *s = &p->streams[i];
        for (int si = 0; si < s->nsrc; si++) {
            int pi = 0;
            while (pi < c->nports && c->ports[pi].id != s->src[si].port)
                pi++;
            struct st_queue *q = &ss->ports[pi].q[s->src[si].queue];
            q->queue = s->src[si].queue;
            q->stream = s->id;
            q->lcore = c->rx_cpus[i];
            pipeline_source_counters(s, w && w->ws ? w->ws[i].cnt : NULL, si, q->v);
        }
    }
    /* A device whose counters were reset (memif, vhost: the peer left)
     * delivered at least what linecap took from it. */
    for (int i = 0; i < c->nports; i++) {
        if (!c->ports[i].stat_reset)
            continue;
        uint64_t took = 0;
        for (int q = 0; q < ss->ports[i].nq; q++)
            took += ss->ports[i].q[q].v[QC_received] + ss->ports[i].q[q].v[QC_after_limit];
        if (ss->ports[i].v[PC_nic_packets] < took)
            ss->ports[i].v[PC_nic_packets] = took;
    }
    ss->filter = c->filter ? c->filter_text : NULL;
    ss->filter_engine = c->filter ? filter_engine_name(c->filter) : NULL;
    ss->files = w ? __atomic_load_n(&w->files_closed, __ATOMIC_RELAXED) : 0;
    if (c->hook) {
        ss->hook_on = true;
        hook_counters(c->hook, ss->hv);
    }
    ss->blocks_total = p->pool.n;
    ss->blocks_free = p->free ? rte_stack_count(p->free) : 0;
    for (int i = 0; i < c->nports; i++)
        if (c->ports[i].mp)
            ss->mbufs_in_use += rte_mempool_in_use_count(c->ports[i].mp);
    st_totals(ss);
}

void pipeline_stop(struct pipeline *p)
{
    if (p->launched && !p->rx_stopped) {
        p->run.stop = 1;
        /* the receive lcores end their files and hand off what they hold */
        for (;;) {
            bool all = true;
            for (int i = 0; i < p->c.nrx; i++)
                all &= __atomic_load_n(&p->streams[i].done, __ATOMIC_ACQUIRE) != 0;
            if (all)
                break;
            struct timespec nap = { 0, 1000000 };
            nanosleep(&nap, NULL);
        }
        rte_eal_mp_wait_lcore();
        /* The final device counters, for the statistics blocks of the files
         * the writer closes from now on: the same values the JSON reports
         * (with the reset correction of the snapshot). */
        struct st_snapshot fin;
        pipeline_snapshot(p, &fin, true);
        for (int i = 0; i < p->c.nports; i++)
            publish_port(p, i, fin.ports[i].v);
    }
    p->run.stop = 1;
    p->rx_stopped = true;
    if (p->writer_running && !__atomic_load_n(&p->w->rx_done, __ATOMIC_RELAXED)) {
        __atomic_store_n(&p->w->rx_done, 1, __ATOMIC_RELEASE);
        writer_kick(&p->run);
    }
}

bool pipeline_drained(struct pipeline *p)
{
    if (p->writer_running && pthread_tryjoin_np(p->wt, NULL) == 0)
        p->writer_running = false;
    return !p->writer_running;
}

void pipeline_abort(struct pipeline *p)
{
    p->run.abort = 1;
    writer_kick(&p->run);
}

void pipeline_free(struct pipeline *p)
{
    pipeline_stop(p);
    if (p->writer_running) {
        pthread_join(p->wt, NULL);
        p->writer_running = false;
    }
    if (p->w) {
        writer_free(p->w);
        free(p->w);
        p->w = NULL;
    }
    if (p->streams) {
        for (int i = 0; i < p->c.nrx; i++)
            rte_ring_free(p->streams[i].full);
        rte_free(p->streams);
        p->streams = NULL;
    }
    if (p->free)
        rte_stack_free(p->free);
    p->free = NULL;
    block_pool_free(&p->pool);
    p->launched = false;
}

unsigned pipeline_files(const struct pipeline *p, const struct file_record **files)
{
    *files = p->w ? p->w->ret.files : NULL;
    return p->w ? p->w->ret.nfiles : 0;
}

void pipeline_hook_done(struct pipeline *p)
{
    if (p->w == NULL || p->c.hook == NULL || pipeline_drained(p) == false)
        return;
    hook_apply(p->c.hook, p->w->ret.files, p->w->ret.nfiles);
    writer_flush_deferred(p->w);
}
