/* linecap: main, configuration checks, signals, start and stop. The only
 * code that exits. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_stack.h>
#include <rte_version.h>

#include "app/eal.h"
#include "app/manifest.h"
#include "app/options.h"
#include "app/telemetry.h"
#include "capture/pipeline.h"
#include "capture/writer.h"
#include "capture/port.h"
#include "common/log.h"
#include "common/sys.h"
#include "app/recover_cmd.h"
#include "filter/filter.h"
#include "format/pcap.h"
#include "verify/verify.h"
#include "stats/metrics.h"
#include "stats/stats.h"

/* CPUs this process may run on, in order. */
struct app {
    struct config cfg;
    struct eal_args eal;
    struct name_template tmpl;
    int dirfd;
    unsigned main_cpu;
    unsigned rx_cpus[LC_MAX_CORES];
    int nrx;
    uint16_t port_ids[LC_MAX_IFACES];
    struct port_info ports[LC_MAX_IFACES];
    int nports;
    struct lc_clock clock;
    struct bpf_program fprog;       /* the filter compiled by libpcap (before EAL) */
    bool has_fprog;
    struct lc_filter filter;        /* loaded (after EAL) */
    bool has_filter;
    struct block_pool pool;
    unsigned held_max;              /* blocks one stream may hold (block_plan) */
    struct rte_stack *free_ring;
    struct rx_stream *streams;
    struct writer writer;
    struct run_state run;
    double t_start;
    /* Whether the run is live: the metrics and telemetry threads take a
     * snapshot only under pub_lock while it is (see app_source). */
    pthread_mutex_t pub_lock;
    bool live;
    /* Device counters as the main thread reads them (its own: they carry
     * a port's counters across a reset); published in pub below. */
    uint64_t port_read[LC_MAX_IFACES][PC_MAX];
    struct metrics_server metrics;
    struct manifest man;
    /* output format and what its headers say */
    const struct format_ops *fmt;
    struct format_info finfo;
    int linktype;                   /* of every port (lc_ports_linktype) */
    char userappl[64], os[256], hardware[256];
    char if_desc[LC_MAX_IFACES][256];
    /* The device counters as last published by the main thread, the one
     * copy every other thread reads (relaxed loads): the writer for pcapng
     * ISBs, the metrics and telemetry threads, the live line. */
    struct port_pub pub[LC_MAX_IFACES];
};

/* The format's file header with every port, built once to know its size:
 * the rotation needs it and the first block must hold it. */
static void describe_output(struct app *a)
{
    struct config *c = &a->cfg;
    struct format_info *fi = &a->finfo;

    snprintf(a->userappl, sizeof(a->userappl), "linecap %s", LINECAP_VERSION);
    lc_os_name(a->os, sizeof(a->os));
    lc_cpu_model(a->hardware, sizeof(a->hardware));
    memset(fi, 0, sizeof(*fi));
    fi->snaplen = c->snaplen;
    fi->linktype = (uint32_t)a->linktype;
    fi->userappl = a->userappl;
    fi->os = a->os;
    fi->hardware = a->hardware;
    fi->nifaces = a->nports;
    for (int p = 0; p < a->nports; p++) {
        char name[RTE_ETH_NAME_MAX_LEN] = "?";
        struct rte_eth_dev_info info;
        const char *drv = "?";
        rte_eth_dev_get_name_by_port(a->port_ids[p], name);
        if (rte_eth_dev_info_get(a->port_ids[p], &info) == 0 && info.driver_name)
            drv = info.driver_name;
        snprintf(a->if_desc[p], sizeof(a->if_desc[p]), "DPDK port %u, device %s, driver %s",
                 a->port_ids[p], name, drv);
        fi->ifaces[p].name = c->ifaces[p];
        fi->ifaces[p].description = a->if_desc[p];
        fi->ifaces[p].filter = c->filter;
    }
}

/* The longest record of a caplen-byte frame in format f. */
static uint32_t record_len_max(const struct format_ops *f, uint32_t caplen)
{
    return f->kind == FORMAT_PCAPNG ? pcapng_epb_len(caplen, PCAPNG_EPB_OPTS_MAX)
                                    : (uint32_t)f->rec_hdr_len + caplen;
}

/* Check the output before anything starts: the directory exists and is
 * writable, the name is usable, and a single file does not exist yet. */
static int check_output(struct app *a, char *err, size_t errlen)
{
    struct config *c = &a->cfg;
    struct stat st;

    if (names_split(c->outpath, &a->tmpl) < 0) {
        snprintf(err, errlen, "-w '%s': expected a file name (not a directory or empty)", c->outpath);
        return EXIT_USAGE;
    }
    if (stat(a->tmpl.dir, &st) != 0) {
        snprintf(err, errlen, "-w '%s': directory '%s': %s", c->outpath, a->tmpl.dir,
                 errno == ENOENT ? "does not exist" : strerror(errno));
        return EXIT_CANTCREAT;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "-w '%s': '%s' is not a directory", c->outpath, a->tmpl.dir);
        return EXIT_CANTCREAT;
    }
    if (access(a->tmpl.dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "-w '%s': directory '%s' is not writable: %s", c->outpath,
                 a->tmpl.dir, strerror(errno));
        return EXIT_CANTCREAT;
    }
    bool rotating = c->rot_ns || c->rot_bytes || c->rot_pkts;
    /* Rotated names take the extension of -w; without one, the format's. */
    if (rotating && a->tmpl.ext[0] == '\0')
        snprintf(a->tmpl.ext, sizeof(a->tmpl.ext), "%s", a->fmt->ext);
    if (!rotating) {
        int n = c->ncores > 1 ? c->ncores : 1;
        for (int s = 0; s < n; s++) {
            char name[300];
            if (names_format(name, sizeof(name), &a->tmpl, false, n > 1 ? s : -1, 1, 0) < 0) {
                snprintf(err, errlen, "-w '%s': file name too long", c->outpath);
                return EXIT_USAGE;
            }
            char path[4400];
            snprintf(path, sizeof(path), "%s/%s", a->tmpl.dir, name);
            if (lstat(path, &st) == 0) {
                snprintf(err, errlen, "-w '%s': '%s' exists; linecap does not overwrite files",
                         c->outpath, path);
                return EXIT_CANTCREAT;
            }
            char man[340];
            if (s == 0 && manifest_name(man, sizeof(man), name) >= 0) {
                char mpath[4500];
                snprintf(mpath, sizeof(mpath), "%s/%s", a->tmpl.dir, man);
                if (lstat(mpath, &st) == 0) {
                    snprintf(err, errlen, "-w '%s': '%s' exists; linecap does not overwrite files",
                             c->outpath, mpath);
                    return EXIT_CANTCREAT;
                }
            }
            char part[320];
            if (names_partial(part, sizeof(part), name) >= 0) {
                char ppath[4800];
                snprintf(ppath, sizeof(ppath), "%s/%s", a->tmpl.dir, part);
                if (lstat(ppath, &st) == 0) {
                    snprintf(err, errlen,
                             "-w '%s': '%s' is left from an earlier run that did not finish; "
                             "run 'linecap recover %s' first", c->outpath, ppath, a->tmpl.dir);
                    return EXIT_CANTCREAT;
                }
            }
        }
    }
    a->dirfd = open(a->tmpl.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (a->dirfd < 0) {
        snprintf(err, errlen, "-w '%s': cannot open directory '%s': %s", c->outpath, a->tmpl.dir,
                 strerror(errno));
        return EXIT_CANTCREAT;
    }
    return 0;
}

/* Receive cores: --cores, else the last allowed CPU. The main thread and
 * the writer share the first allowed CPU not used for receive. */
static int pick_cores(struct app *a, char *err, size_t errlen)
{
    unsigned cpus[1024];
    int n = lc_allowed_cpus(cpus, 1024);
    struct config *c = &a->cfg;

    if (n == 0) {
        snprintf(err, errlen, "cannot read the CPU affinity of this process");
        return EXIT_SOFTWARE;
    }
    if (c->ncores) {
        if (lc_cpus_allowed(c->cores, c->ncores, cpus, n, err, errlen) < 0)
            return EXIT_USAGE;
        for (int i = 0; i < c->ncores; i++)
            a->rx_cpus[i] = c->cores[i];
        a->nrx = c->ncores;
    } else {
        a->rx_cpus[0] = cpus[n - 1];
        a->nrx = 1;
    }
    for (int i = 0; i < a->nrx && !c->quiet; i++) {
        int same = 0, first = i;
        for (int j = 0; j < a->nrx; j++) {
            if (a->rx_cpus[j] == a->rx_cpus[i]) {
                same++;
                if (j < first)
                    first = j;
            }
        }
        if (same > 1 && first == i)
            lc_warn("--cores: %d receive loops share CPU %u (they take turns on it)", same,
                    a->rx_cpus[i]);
    }
    a->main_cpu = a->rx_cpus[0];
    bool shared = true;
    for (int j = 0; j < n && shared; j++) {
        bool used = false;
        for (int i = 0; i < a->nrx; i++)
            used |= a->rx_cpus[i] == cpus[j];
        if (!used) {
            a->main_cpu = cpus[j];
            shared = false;
        }
    }
    if (shared && !c->quiet)
        lc_warn("--cores %s: every CPU receives; the writer and main thread share CPU %u "
                "with a receive loop", c->ncores ? "list" : "default", a->main_cpu);
    return 0;
}

static int start_eal(struct app *a, const char *argv0)
{
    bool no_huge = !app_eal_user_mem(&a->cfg) && lc_free_hugepages() < 64;
    if (no_huge && !a->cfg.quiet)
        lc_info("notice: no free hugepages; running DPDK with --no-huge (slower)");
    if (app_eal_args(&a->eal, &a->cfg, argv0, a->main_cpu, a->rx_cpus, a->nrx, no_huge) < 0) {
        rte_errno = ENOMEM;
        return -1;
    }
    /* The EAL keeps pointers into the vector: it lives as long as app. */
    char **v = eal_args_view(&a->eal);
    if (v == NULL) {
        rte_errno = ENOMEM;
        return -1;
    }
    return rte_eal_init(a->eal.argc, v);
}

static int drop_privileges(const char *user, char *err, size_t errlen)
{
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, errlen, "-Z '%s': no such user", user);
        return EXIT_USAGE;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "-Z '%s': cannot switch to this user: %s", user, strerror(errno));
        return EXIT_USAGE;
    }
    if (setuid(0) == 0) {
        snprintf(err, errlen, "-Z '%s': privileges could be regained; refusing to run", user);
        return EXIT_SOFTWARE;
    }
    return 0;
}

/* Build the streams: sources (port, queue) spread over the receive cores. */
static int build_streams(struct app *a, char *err, size_t errlen)
{
    struct config *c = &a->cfg;
    int nsrc = 0;
    for (int p = 0; p < a->nports; p++)
        nsrc += (int)a->ports[p].nq;
    if (a->nrx > nsrc) {
        snprintf(err, errlen, "--cores: %d receive cores for %d queues; give at most %d (or more -q)",
                 a->nrx, nsrc, nsrc);
        return EXIT_USAGE;
    }
    if (nsrc > a->nrx * BLOCK_MAX_SRC) {
        snprintf(err, errlen, "%d queues on %d receive cores: at most %d queues per core",
                 nsrc, a->nrx, BLOCK_MAX_SRC);
        return EXIT_USAGE;
    }
    a->streams = rte_zmalloc("streams", sizeof(struct rx_stream) * (size_t)a->nrx,
                             RTE_CACHE_LINE_SIZE);
    if (a->streams == NULL) {
        snprintf(err, errlen, "out of memory for %d streams", a->nrx);
        return EXIT_SOFTWARE;
    }
    int k = 0;
    for (int p = 0; p < a->nports; p++) {
        for (unsigned q = 0; q < a->ports[p].nq; q++, k++) {
            struct rx_stream *s = &a->streams[k % a->nrx];
            s->src[s->nsrc].port = a->ports[p].id;
            s->src[s->nsrc].queue = (uint16_t)q;
            s->src[s->nsrc].ts_field = a->ports[p].ts_field;
            s->src[s->nsrc].ts_flag = a->ports[p].ts_flag;
            s->src[s->nsrc].dclk = &a->ports[p].dclk;
            s->src[s->nsrc].ifid = (uint32_t)p;
            /* epb_queue only where it tells something: a port with several queues */
            pcapng_epb_opts_init(&s->src[s->nsrc].epb, a->ports[p].nq > 1 ? (int)q : -1);
            s->nsrc++;
        }
    }
    bool rotating = c->rot_ns || c->rot_bytes || c->rot_pkts;
    for (int i = 0; i < a->nrx; i++) {
        struct rx_stream *s = &a->streams[i];
        char rn[RTE_RING_NAMESIZE];
        s->id = i;
        s->lcore = (unsigned)i + 1;
        s->snaplen = c->snaplen;
        s->bsize = a->pool.bsize;
        s->held_max = a->held_max ? a->held_max : UINT32_MAX;
        s->count_only = c->count_only;
        s->filter = a->has_filter ? &a->filter : NULL;
        s->fmt = a->fmt;
        s->ng = a->fmt->kind == FORMAT_PCAPNG;
        s->finfo = &a->finfo;
        s->trailer_len = (uint32_t)a->fmt->trailer_len(&a->finfo);
        s->rot.max_bytes = c->rot_bytes;
        s->rot.max_pkts = c->rot_pkts;
        s->rot.max_ns = c->rot_ns;
        s->rot.stop_bytes = c->stop_bytes;
        s->rot.stop_files = c->stop_files;
        s->lim_bytes = UINT64_MAX;
        if (c->rot_bytes)
            s->lim_bytes = c->rot_bytes;
        if (c->stop_bytes && c->stop_bytes < s->lim_bytes)
            s->lim_bytes = c->stop_bytes;
        s->lim_pkts = c->rot_pkts ? c->rot_pkts : UINT64_MAX;
        /* -a files without -b: the one file is the limit; nothing to do. */
        s->rot_ticks = c->rot_ns ? lc_clock_ticks(&a->clock, c->rot_ns) : 0;
        s->flush_ticks = lc_clock_ticks(&a->clock, 100000000ULL);
        s->clock = &a->clock;
        s->run = &a->run;
        s->free = a->free_ring;
        snprintf(rn, sizeof(rn), "lc_full%d", i);
        s->full = rte_ring_create(rn, a->pool.n + 1, (int)rte_socket_id(),
                                  RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
        if (s->full == NULL) {
            snprintf(err, errlen, "cannot create ring %s: %s", rn, rte_strerror(rte_errno));
            return EXIT_SOFTWARE;
        }
    }
    (void)rotating;
    return 0;
}

static void publish_port(struct app *a, int p, const uint64_t v[PC_MAX])
{
    for (int i = 0; i < PC_MAX; i++)
        __atomic_store_n(&a->pub[p].v[i], v[i], __ATOMIC_RELAXED);
}

/* Read the device counters and publish them (main thread only). */
static void poll_ports(struct app *a)
{
    for (int p = 0; p < a->nports; p++) {
        port_read_stats(&a->ports[p], a->port_read[p]);    /* keeps counters across a reset */
        publish_port(a, p, a->port_read[p]);
    }
}

/* Counters now; the device's as last read unless read_ports. */
static void snapshot(struct app *a, struct st_snapshot *ss, bool read_ports)
{
    if (read_ports)
        poll_ports(a);
    memset(ss, 0, sizeof(*ss));
    ss->elapsed_s = lc_now_s() - a->t_start;
    ss->nports = a->nports;
    for (int p = 0; p < a->nports; p++) {
        struct st_port *sp = &ss->ports[p];
        sp->port = a->ports[p].id;
        snprintf(sp->name, sizeof(sp->name), "%s", a->ports[p].name);
        snprintf(sp->driver, sizeof(sp->driver), "%s", a->ports[p].driver);
        for (int i = 0; i < PC_MAX; i++)
            sp->v[i] = __atomic_load_n(&a->pub[p].v[i], __ATOMIC_RELAXED);
        sp->nq = (int)a->ports[p].nq;
    }
    for (int i = 0; i < a->nrx; i++) {
        struct rx_stream *s = &a->streams[i];
        for (int si = 0; si < s->nsrc; si++) {
            int p = 0;
            while (p < a->nports && a->ports[p].id != s->src[si].port)
                p++;
            struct st_queue *q = &ss->ports[p].q[s->src[si].queue];
            q->queue = s->src[si].queue;
            q->stream = s->id;
            q->lcore = a->rx_cpus[i];
            for (int c = 0; c < QC_MAX; c++) {
                uint64_t v = __atomic_load_n(&s->cnt[si].v[c], __ATOMIC_RELAXED);
                if (a->writer.ws)
                    v += __atomic_load_n(&a->writer.ws[i].cnt[si].v[c], __ATOMIC_RELAXED);
                q->v[c] = v;
            }
        }
    }
    /* A device whose counters were reset (memif, vhost: the peer left)
     * delivered at least what linecap took from it. */
    for (int p = 0; p < a->nports; p++) {
        if (!a->ports[p].stat_reset)
            continue;
        uint64_t took = 0;
        for (int q = 0; q < ss->ports[p].nq; q++)
            took += ss->ports[p].q[q].v[QC_received] + ss->ports[p].q[q].v[QC_after_limit];
        if (ss->ports[p].v[PC_nic_packets] < took)
            ss->ports[p].v[PC_nic_packets] = took;
    }
    ss->filter = a->has_filter ? a->cfg.filter : NULL;
    ss->filter_engine = a->has_filter ? filter_engine_name(&a->filter) : NULL;
    ss->files = __atomic_load_n(&a->writer.files_closed, __ATOMIC_RELAXED);
    ss->blocks_total = a->pool.n;
    ss->blocks_free = a->free_ring ? rte_stack_count(a->free_ring) : 0;
    for (int p = 0; p < a->nports; p++)
        if (a->ports[p].mp)
            ss->mbufs_in_use += rte_mempool_in_use_count(a->ports[p].mp);
    st_totals(ss);
}

/* The metrics and telemetry threads' view (st_source_fn): the same
 * relaxed loads as the live line, device counters as the main thread last
 * read them (every 10 ms). */
static int app_source(void *ctx, struct st_snapshot *ss)
{
    struct app *a = ctx;
    int rc = -1;
    pthread_mutex_lock(&a->pub_lock);
    if (a->live) {
        snapshot(a, ss, false);
        rc = 0;
    }
    pthread_mutex_unlock(&a->pub_lock);
    return rc;
}

/* The capture runs: from here on the metrics thread and the telemetry
 * commands answer; the manifest learns the cores and the clock. */
static void go_live(struct app *a)
{
    struct config *c = &a->cfg;
    a->man.nrx = a->nrx;
    memcpy(a->man.rx_cpus, a->rx_cpus, sizeof(a->man.rx_cpus));
    a->man.main_cpu = a->main_cpu;
    a->man.tsc_hz = a->clock.hz;
    pthread_mutex_lock(&a->pub_lock);
    a->live = true;
    pthread_mutex_unlock(&a->pub_lock);
    if (c->metrics) {
        struct metrics_info mi = { LINECAP_VERSION, rte_version(), (double)a->man.start_ns / 1e9 };
        int rc = metrics_start(&a->metrics, app_source, a, &mi, (int)a->main_cpu);
        if (rc < 0) {
            lc_warn("--metrics %s: cannot start the metrics thread: %s; no metrics this run",
                    c->metrics, strerror(-rc));
        } else {
            lc_info("metrics: http://%s/metrics", a->metrics.addr);
            a->man.metrics_addr = a->metrics.addr;
        }
    }
    if (c->telemetry) {
        if (lc_telemetry_register(app_source, a) != 0)
            lc_warn("--telemetry: cannot register the /linecap commands");
        else
            lc_info("telemetry: /linecap/stats, /linecap/ports, /linecap/queues,PORT on %s/dpdk_telemetry.v2",
                    rte_eal_get_runtime_dir());
        a->man.telemetry = true;
    }
}

static void *writer_thread(void *arg)
{
    return writer_main(arg);
}

int main(int argc, char **argv)
{
    static struct app app;
    struct app *a = &app;
    char err[10000];
    int rc;

    lc_progname = "linecap";
    if (argc > 1 && strcmp(argv[1], "verify") == 0) {
        lc_progname = "linecap verify";
        return verify_main(argc - 1, argv + 1);
    }
    if (argc > 1 && strcmp(argv[1], "recover") == 0) {
        lc_progname = "linecap recover";
        return recover_main(argc - 1, argv + 1);
    }
    a->dirfd = -1;
    a->metrics.fd = -1;
    pthread_mutex_init(&a->pub_lock, NULL);
    a->man.argc = argc;
    a->man.argv = argv;
    rc = options_parse(argc, argv, &a->cfg, err, sizeof(err));
    if (rc) {
        lc_err("%s", err);
        return rc;
    }
    struct config *c = &a->cfg;
    if (c->help) {
        options_usage(stdout);
        return 0;
    }
    if (c->version) {
        printf("linecap %s (%s)\n", LINECAP_VERSION, rte_version());
        return 0;
    }
    if (c->quiet)
        lc_verbose = 0;
    a->fmt = format_by_name(c->format);
    if (a->fmt == NULL) {
        lc_err("-F '%s': no such format", c->format);
        return EXIT_SOFTWARE;
    }
    for (int i = 0; i < c->nifaces; i++) {
        if (lc_port_spec_kind(c->ifaces[i]) == 0) {
            lc_err("-i '%s': expected a PCI address, a DPDK vdev (net_...), a port index or a "
                   "network interface", c->ifaces[i]);
            return EXIT_PORT;
        }
    }
    /* The link type before anything starts: the filter is compiled for it
     * and every file header says it. A tun, WireGuard or PPP interface has
     * no Ethernet header (raw IP); an interface type that fits no link type,
     * or -i values of different link types, exit 66 before any file. */
    a->linktype = lc_ports_linktype(c->ifaces, c->nifaces, err, sizeof(err));
    if (a->linktype < 0) {
        lc_err("%s", err);
        return EXIT_PORT;
    }
    a->man.linktype = (uint32_t)a->linktype;
    if (a->linktype != LINKTYPE_ETHERNET && !c->quiet)
        lc_info("link type %d (raw IPv4/IPv6): the interface has no link-layer header",
                a->linktype);
    if (c->user && getpwnam(c->user) == NULL) {
        lc_err("-Z '%s': no such user", c->user);
        return EXIT_USAGE;
    }
    if ((rc = pick_cores(a, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }
    if (!c->count_only && (rc = check_output(a, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }
    if (c->metrics && metrics_open(&a->metrics, c->metrics, err, sizeof(err)) < 0) {
        lc_err("%s", err);
        return EXIT_CANTCREAT;
    }

    /* The filter is compiled before DPDK starts: libpcap needs no EAL, and a
     * bad expression leaves nothing behind and no EAL noise. */
    if (c->filter) {
        if (filter_compile(c->filter, (uint32_t)a->linktype, c->snaplen, &a->fprog, err, sizeof(err)) < 0) {
            lc_err("-f '%s': invalid capture filter: %s", c->filter, err);
            return EXIT_FILTER;
        }
        a->has_fprog = true;
    }
    /* --stats-json: created now, as root, before DPDK and any port start
     * (st_json_create: no link followed, no other file replaced). */
    int json_fd = -1;
    if (c->stats_json) {
        struct passwd *pw = c->user ? getpwnam(c->user) : NULL;
        json_fd = st_json_create(c->stats_json, c->group_read ? 0640 : 0600,
                                 pw ? (long)pw->pw_uid : -1, pw ? (long)pw->pw_gid : -1, err,
                                 sizeof(err));
        if (json_fd < 0) {
            if (a->has_fprog)
                pcap_freecode(&a->fprog);
            lc_err("%s", err);
            return EXIT_CANTCREAT;
        }
    }
    if (start_eal(a, argv[0]) < 0) {
        if (a->has_fprog)
            pcap_freecode(&a->fprog);
        lc_err("DPDK EAL initialisation failed: %s (see the EAL message above)",
               rte_strerror(rte_errno));
        return EXIT_UNAVAILABLE;
    }

    /* The filter program is converted (in the DPDK heap) and loaded before
     * any port is touched. */
    if (a->has_fprog) {
        rc = filter_load(&a->filter, &a->fprog, c->no_jit ? FILTER_INTERP : FILTER_JIT, err,
                         sizeof(err));
        pcap_freecode(&a->fprog);
        a->has_fprog = false;
        if (rc < 0) {
            lc_err("-f '%s': cannot load the capture filter: %s", c->filter, err);
            rte_eal_cleanup();
            return EXIT_FILTER;
        }
        a->has_filter = true;
        struct lc_filter *f = &a->filter;
        char how[320];
        if (f->engine == FILTER_CLASSIC)
            snprintf(how, sizeof(how), "libpcap's classic BPF interpreter (%u instructions): %s",
                     f->cbpf_insns, f->note);
        else
            snprintf(how, sizeof(how), "%s%s%s (%u classic -> %u eBPF instructions; repaired "
                     "%u indirect loads, %u jset)", filter_engine_name(f),
                     f->engine == FILTER_JIT ? "" : ": ", f->engine == FILTER_JIT ? "" : f->note,
                     f->cbpf_insns, f->ebpf_insns, f->fixed_ldind, f->fixed_jset);
        lc_info("filter '%s': %s", c->filter, how);
    }

    /* Ports: resolve every -i before anything is configured. */
    for (int i = 0; i < c->nifaces; i++) {
        uint16_t id;
        if (port_attach(c->ifaces[i], i, &id, err, sizeof(err)) < 0) {
            lc_err("%s", err);
            rte_eal_cleanup();
            return EXIT_PORT;
        }
        for (int j = 0; j < a->nports; j++) {
            if (a->port_ids[j] == id) {
                lc_err("-i '%s': port %u is given twice", c->ifaces[i], id);
                rte_eal_cleanup();
                return EXIT_PORT;
            }
        }
        a->port_ids[a->nports++] = id;
    }

    lc_clock_calibrate(&a->clock, 100, rte_get_tsc_hz());

    /* The file header names every port (pcapng): build it once to know its
     * size before the block size is chosen. */
    size_t hdr_len = 0, trl_len = 0;
    if (!c->count_only) {
        describe_output(a);
        uint8_t *tmp = malloc(BLOCK_SIZE_MAX);
        hdr_len = tmp ? a->fmt->file_header(tmp, BLOCK_SIZE_MAX, &a->finfo) : 0;
        free(tmp);
        trl_len = a->fmt->trailer_len(&a->finfo);
        if (hdr_len == 0 || trl_len + BLOCK_ALIGN > WRITER_TAIL_CAP) {
            lc_err("cannot build the %s file header for %d ports", a->fmt->name, a->nports);
            rte_eal_cleanup();
            return EXIT_SOFTWARE;
        }
        const char *want = a->fmt->ext;
        if (a->tmpl.ext[0] && strcmp(a->tmpl.ext, want) != 0 &&
            (strcmp(a->tmpl.ext, ".pcap") == 0 || strcmp(a->tmpl.ext, ".pcapng") == 0))
            lc_info("notice: -w '%s' is written as %s (its extension says otherwise)",
                    c->outpath, a->fmt->name);
    }

    /* Blocks before ports: populating a large pool takes time, and a started
     * port would miss packets meanwhile. */
    if (!c->count_only) {
        /* Small files (rotation by a small size or count) get small blocks:
         * each file in flight to the writer pins at least one block. */
        uint64_t hint = 0;
        if (c->rot_bytes)
            hint = c->rot_bytes;
        if (c->rot_pkts) {
            uint64_t per = record_len_max(a->fmt, 0);      /* record framing */
            uint64_t est = c->rot_pkts * (per + (uint64_t)RTE_MIN(c->snaplen, 1514u)) +
                           hdr_len + trl_len;
            hint = hint ? RTE_MIN(hint, est) : est;
        }
        /* the largest record the snaplen allows, framing of either format */
        uint32_t max_rec = record_len_max(a->fmt, c->snaplen);
        struct block_plan plan;
        uint64_t min_bytes;
        if (block_plan(c->buffer_mib << 20, (unsigned)a->nrx, hint, max_rec,
                       (uint32_t)(hdr_len + trl_len), &plan, &min_bytes) < 0) {
            lc_err("-B %llu: too small for %d receive stream%s: at least %llu MiB (%u blocks "
                   "of %llu KiB per stream at snaplen %u)",
                   (unsigned long long)c->buffer_mib, a->nrx, a->nrx > 1 ? "s" : "",
                   (unsigned long long)((min_bytes + (1u << 20) - 1) >> 20), BLOCK_MIN_PER_STREAM,
                   (unsigned long long)(min_bytes / BLOCK_MIN_PER_STREAM / a->nrx >> 10),
                   c->snaplen);
            rte_eal_cleanup();
            return EXIT_USAGE;
        }
        a->held_max = plan.per_stream;
        uint32_t bsize = plan.bsize;
        unsigned nblocks = plan.n;
        rc = block_pool_init(&a->pool, nblocks, bsize);
        if (rc < 0) {
            lc_err("-B %llu: cannot allocate a %llu MiB block pool: %s",
                   (unsigned long long)c->buffer_mib, (unsigned long long)c->buffer_mib,
                   strerror(-rc));
            rte_eal_cleanup();
            return EXIT_UNAVAILABLE;
        }
        if (!a->pool.hugepages)
            lc_info("notice: block pool of %llu MiB is on 4 KiB pages (no free hugepages): "
                    "direct writes are split and slower",
                    (unsigned long long)c->buffer_mib);
        /* A stack, not a ring: the block reused next is the one freed last,
         * so in steady state a few blocks circulate (hot in the TLB) and the
         * depth of the pool is touched only while the disk stalls, instead
         * of cycling FIFO through all of it (up to 2 GiB). */
        a->free_ring = rte_stack_create("lc_free", a->pool.n, (int)rte_socket_id(),
                                        RTE_STACK_F_LF);
        if (a->free_ring == NULL) {
            lc_err("cannot create the free-block ring: %s", rte_strerror(rte_errno));
            rte_eal_cleanup();
            return EXIT_SOFTWARE;
        }
        for (unsigned i = 0; i < a->pool.n; i++)
        {
            struct block *bp = &a->pool.blocks[a->pool.n - 1 - i];
            rte_stack_push(a->free_ring, (void **)&bp, 1);
        }
    }

    unsigned per_port_rx = (unsigned)a->nrx;
    for (int p = 0; p < a->nports; p++) {
        if (port_setup(a->port_ids[p], c->queues, 4096, per_port_rx * (256 + 64),
                       !c->tsc_only, &a->ports[p], err, sizeof(err)) < 0) {
            lc_err("%s", err);
            for (int q = 0; q < p; q++)
                port_shutdown(a->port_ids[q]);
            rte_eal_cleanup();
            return EXIT_PORT;
        }
        struct port_info *pi = &a->ports[p];
        if (port_kernel_sockets(pi, a->ports, p, err, sizeof(err)) < 0) {
            lc_err("%s", err);
            for (int q = 0; q <= p; q++)
                port_shutdown(a->port_ids[q]);
            rte_eal_cleanup();
            return EXIT_PORT;
        }
        char sc[64], ts[160];
        if (pi->nic_ts)
            snprintf(ts, sizeof(ts), "on (device clock %.6f MHz mapped to the system clock)",
                     (double)pi->dclk.hz / 1e6);
        else if (pi->ts_offload_offered)
            snprintf(ts, sizeof(ts), "offered, not used (%s): TSC timestamps", pi->ts_note);
        else
            snprintf(ts, sizeof(ts), "not offered: TSC timestamps");
        if (pi->scatter)
            snprintf(sc, sizeof(sc), "on (frames up to %u B)", pi->max_frame);
        else
            snprintf(sc, sizeof(sc), "not offered (jumbo frames only if the driver chains mbufs)");
        lc_info("port %u %s (%s): %u queue%s%s, promiscuous %s, scatter %s, rx timestamp offload %s",
                pi->id, pi->name, pi->driver, pi->nq, pi->nq > 1 ? "s" : "",
                pi->nq > 1 ? (pi->rss ? " with RSS" : " WITHOUT RSS") : "",
                pi->promisc ? "on" : "not supported", sc,
                ts);
        if (pi->nkfd)
            lc_info("port %u %s: ring-full drops of its %d AF_PACKET socket%s counted as "
                    "kernel_drops", pi->id, pi->name, pi->nkfd, pi->nkfd > 1 ? "s" : "");
        manifest_add_port(&a->man, pi);
    }

    if ((rc = build_streams(a, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }

    /* Created above, while still root: -Z must not make it unwritable at exit. */
    FILE *json_f = NULL;
    if (json_fd >= 0 && (json_f = fdopen(json_fd, "w")) == NULL) {
        lc_err("--stats-json '%s': cannot open: %s", c->stats_json, strerror(errno));
        close(json_fd);
        return EXIT_CANTCREAT;
    }
    if (c->user && (rc = drop_privileges(c->user, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        if (json_f)
            fclose(json_f);
        return rc;
    }
    if (c->user && !c->count_only && faccessat(a->dirfd, ".", W_OK | X_OK, 0) != 0) {
        lc_err("-Z '%s': directory '%s' is not writable by that user", c->user, a->tmpl.dir);
        if (json_f)
            fclose(json_f);
        return EXIT_CANTCREAT;
    }

    a->run.has_budget = c->count > 0;
    a->run.budget = (int64_t)c->count;

    pthread_t wt;
    bool writer_running = false;
    if (!c->count_only) {
        struct writer *w = &a->writer;
        struct writer_conf wc = {
            .nstreams = a->nrx,
            .streams = a->streams,
            .dirfd = a->dirfd,
            .tmpl = &a->tmpl,
            .rotating = c->rot_ns || c->rot_bytes || c->rot_pkts,
            .sync = !c->no_sync,
            .mode = c->group_read ? 0640 : 0600,
            .ring_files = (unsigned)c->ring_files,
            .disk_limit = c->disk_limit,
            .min_free = c->min_free,
            .free = a->free_ring,
            .run = &a->run,
            .fmt = a->fmt,
            .finfo = &a->finfo,
            .ports = a->pub,
        };
        if (writer_init(w, &wc) < 0) {
            lc_err("out of memory");
            return EXIT_SOFTWARE;
        }
        if (pthread_create(&wt, NULL, writer_thread, w) != 0) {
            lc_err("cannot start the writer thread");
            return EXIT_SOFTWARE;
        }
        cpu_set_t cs;
        CPU_ZERO(&cs);
        CPU_SET(a->main_cpu, &cs);
        pthread_setaffinity_np(wt, sizeof(cs), &cs);
        pthread_setname_np(wt, "lc-writer");
        writer_running = true;
    }

    lc_install_stop_signals();
    a->t_start = lc_now_s();
    a->man.start_ns = lc_realtime_ns();
    a->writer.start_ns = a->man.start_ns;   /* pcapng isb_starttime */
    for (int i = 0; i < a->nrx; i++)
        rte_eal_remote_launch(rx_stream_main, &a->streams[i], a->streams[i].lcore);
    go_live(a);

    /* Control loop: signals, limits, errors, the live line. */
    struct st_snapshot prev, cur;
    snapshot(a, &prev, true);
    double next_stats = c->stats_interval_ns ? (double)c->stats_interval_ns / 1e9 : -1;
    const char *reason = "signal";
    int seen = 0;
    for (;;) {
        struct timespec nap = { 0, 10000000 };
        nanosleep(&nap, NULL);
        poll_ports(a);
        double t = lc_now_s() - a->t_start;
        if (lc_signals > seen) {
            seen = lc_signals;
            if (!a->run.stop) {
                reason = "signal";
                a->run.stop = 1;
                lc_info("stopping: draining and closing files (signal again to force)");
            }
            break;
        }
        if (a->run.fatal) {
            reason = "error";
            break;
        }
        if (a->run.stop) {
            reason = "limit";
            break;
        }
        if (c->stop_ns && t * 1e9 >= (double)c->stop_ns) {
            reason = "duration";
            a->run.stop = 1;
            break;
        }
        if (next_stats > 0 && t >= next_stats) {
            snapshot(a, &cur, true);
            st_live_line(stderr, &cur, &prev);
            prev = cur;
            next_stats += (double)c->stats_interval_ns / 1e9;
        }
    }
    a->run.stop = 1;

    /* Drain: receive lcores end their files, then the writer empties the
     * rings. A further signal turns the drain into an abort. */
    for (;;) {
        bool all = true;
        for (int i = 0; i < a->nrx; i++)
            all &= __atomic_load_n(&a->streams[i].done, __ATOMIC_ACQUIRE) != 0;
        if (all)
            break;
        struct timespec nap = { 0, 1000000 };
        nanosleep(&nap, NULL);
    }
    rte_eal_mp_wait_lcore();
    struct st_snapshot fin;
    snapshot(a, &fin, true);    /* device counters before the ports stop */
    uint64_t port_v[LC_MAX_IFACES][PC_MAX];
    for (int p = 0; p < a->nports; p++)
        memcpy(port_v[p], fin.ports[p].v, sizeof(port_v[p]));
    /* The final device counters, for the statistics blocks of the files the
     * writer closes after rx_done: the same values the JSON reports. */
    for (int p = 0; p < a->nports; p++)
        publish_port(a, p, port_v[p]);
    if (writer_running) {
        __atomic_store_n(&a->writer.rx_done, 1, __ATOMIC_RELEASE);
        writer_kick(&a->run);
        /* A signal during the drain forces only when it is the second: after
         * a -c/-a/-b stop the first one asks for what a signal always asks,
         * a clean stop, and the queued blocks are still written. */
        bool signalled = strcmp(reason, "signal") == 0;
        for (;;) {
            if (pthread_tryjoin_np(wt, NULL) == 0)
                break;
            int more = lc_signals - seen;
            seen = lc_signals;
            if (more > 0 && !signalled) {
                signalled = true;
                more--;
                lc_info("stopping: draining and closing files (signal again to force)");
            }
            if (more > 0 && !a->run.abort) {
                a->run.abort = 1;
                writer_kick(&a->run);
                lc_warn("forced exit: queued blocks are not written (counted as unwritten_abort)");
            }
            struct timespec nap = { 0, 2000000 };
            nanosleep(&nap, NULL);
        }
    }
    for (int p = 0; p < a->nports; p++)
        port_shutdown(a->port_ids[p]);

    snapshot(a, &fin, false);
    for (int p = 0; p < a->nports; p++)
        memcpy(fin.ports[p].v, port_v[p], sizeof(port_v[p]));
    st_totals(&fin);
    int code = a->run.fatal ? a->run.fatal : 0;
    if (a->run.fatal) {
        reason = "error";
        lc_err("%s", a->run.fatal_msg);
    }
    fin.forced = a->run.abort != 0;
    st_summary(stderr, &fin, reason, a->writer.ret.files, a->writer.ret.nfiles, a->tmpl.dir);
    if (json_f) {
        rc = st_json(json_f, &fin, reason, code, a->writer.ret.files, a->writer.ret.nfiles,
                     a->tmpl.dir);
        if (rc < 0) {
            lc_err("--stats-json '%s': cannot write: %s", c->stats_json, strerror(-rc));
            if (code == 0)
                code = EXIT_CANTCREAT;
        }
    }
    if (!c->count_only) {
        char mname[400];
        rc = manifest_write(&a->man, c, a->dirfd, a->tmpl.dir, &fin, reason, code,
                            a->writer.ret.files, a->writer.ret.nfiles, !c->no_sync, mname, sizeof(mname));
        /* After a failed run (a full disk, a removed directory) the cause
         * has had its error line: this is a consequence, a warning. */
        if (rc < 0 && code == 0) {
            lc_err("manifest '%s/%s': cannot write: %s", a->tmpl.dir,
                   mname[0] ? mname : "?", strerror(-rc));
            code = EXIT_CANTCREAT;
        } else if (rc < 0) {
            lc_warn("manifest '%s/%s' not written: %s", a->tmpl.dir, mname[0] ? mname : "?",
                    strerror(-rc));
        }
    }
    pthread_mutex_lock(&a->pub_lock);
    a->live = false;        /* telemetry callbacks answer nothing from now on */
    pthread_mutex_unlock(&a->pub_lock);
    metrics_stop(&a->metrics);
    if (a->has_filter)
        filter_free(&a->filter);
    writer_free(&a->writer);
    rte_eal_cleanup();
    return code;
}
