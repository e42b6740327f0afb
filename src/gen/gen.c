/* linecap-gen: main, EAL and port set-up, signals, live line, report. The
 * only code of the generator that exits. The EAL is built the way linecap
 * builds it (src/app/main.c): --in-memory, explicit --lcores, --no-huge when
 * hugepages are short, --no-pci unless a PCI port is given, and a file
 * prefix of its own so it runs beside linecap or testpmd. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "common/log.h"
#include "dpdk/cores.h"
#include "dpdk/eal_args.h"
#include "common/json.h"
#include "common/sys.h"
#include "dpdk/port.h"
#include "common/tsclock.h"
#include "gen/genconf.h"
#include "gen/gentx.h"
#include "gen/replay.h"

/* -i classification, as linecap's lc_port_spec_kind(): 'p' PCI, 'n' index,
 * 'v' vdev, 'k' kernel interface (sent through net_af_packet), 0 unknown. */
struct gen {
    struct gen_config cfg;
    unsigned main_cpu;
    unsigned tx_cpus[GEN_MAX_CORES];
    int ncpu;
    unsigned nq;
    uint32_t nflows;
    uint16_t port;
    char port_name[RTE_ETH_NAME_MAX_LEN];
    char driver[64];
    struct rte_mempool *mp;
    struct lc_clock clock;
    struct gen_replay replay;
    struct gen_run run;
    struct gen_txq *q;
    struct gen_worker workers[GEN_MAX_CORES];
    uint16_t sizes[GEN_SIZE_TABLE_MAX];
    unsigned nsizes;
    double mean_frame;          /* with FCS */
    double target_pps, target_wire_bps;
};

/* Transmit cores: --cores, else the first allowed CPU; the main thread on
 * the first allowed CPU not transmitting. */
static int pick_cores(struct gen *g, char *err, size_t errlen)
{
    struct gen_config *c = &g->cfg;
    struct lc_cores lc;
    int rc = lc_cores_pick(c->cores, c->ncores, LC_CORE_FIRST, &lc, err, errlen);
    if (rc)
        return rc;
    memcpy(g->tx_cpus, lc.work, (size_t)lc.nwork * sizeof(lc.work[0]));
    g->ncpu = lc.nwork;
    g->main_cpu = lc.main_cpu;
    if (lc.main_shared && !c->quiet)
        lc_warn("--cores: every CPU transmits; the main thread shares CPU %u with a transmit loop",
                g->main_cpu);
    return 0;
}

static int start_eal(struct gen *g, const char *argv0)
{
    /* grows with the arguments: no count of cores or pass-through
     * arguments the options accept can overflow it; the EAL keeps pointers
     * into it, so it is never freed */
    static struct eal_args e;
    const struct gen_config *c = &g->cfg;
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "lcgen%d", (int)getpid());
    struct eal_conf ec = {
        .argv0 = argv0,
        .file_prefix = prefix,
        .main_cpu = g->main_cpu,
        .cpus = g->tx_cpus,
        .ncpus = g->ncpu,
        .telemetry = false,
        .ports = &c->iface,
        .nports = 1,
        .no_huge = !eal_args_user_mem(c->eal_args, c->n_eal_args) && lc_free_hugepages() < 64,
        .mem_mb = 256 + 32 * g->nq,
        /* One memory file per segment list, so virtio-user can share the
         * whole heap with vhost-user in a few regions. */
        .single_file_segments = true,
        .user = c->eal_args,
        .nuser = c->n_eal_args,
    };
    if (g->replay.n)
        ec.mem_mb += (unsigned)(g->nq * 4096ull * (g->replay.max_len + 256) >> 20);
    if (ec.no_huge && !c->quiet)
        lc_info("notice: no free hugepages; running DPDK with --no-huge (slower; "
                "virtio-user needs hugepages)");
    eal_args_build(&e, &ec);
    char **v = eal_args_view(&e);
    if (v == NULL) {
        rte_errno = ENOMEM;
        return -1;
    }
    return rte_eal_init(e.argc, v);
}

static int attach_port(struct gen *g, char *err, size_t errlen)
{
    return port_attach(g->cfg.iface, 0, &g->port, err, errlen);
}

static void zero_mbuf(struct rte_mempool *mp, void *opaque, void *obj, unsigned idx)
{
    (void)mp;
    (void)opaque;
    (void)idx;
    struct rte_mbuf *m = obj;
    memset(m->buf_addr, 0, m->buf_len);
}

/* Configure nq transmit queues (and one receive queue, which some drivers
 * require and nothing polls), the mbuf pool, and start the port. */
static int setup_port(struct gen *g, char *err, size_t errlen)
{
    struct rte_eth_dev_info info;
    struct rte_eth_conf conf;
    uint16_t rxd = 256, txd = 1024;
    uint16_t id = g->port;
    int rc;

    rc = rte_eth_dev_info_get(id, &info);
    if (rc != 0) {
        snprintf(err, errlen, "port %u: cannot read device info: %s", id, rte_strerror(-rc));
        return -1;
    }
    rte_eth_dev_get_name_by_port(id, g->port_name);
    snprintf(g->driver, sizeof(g->driver), "%s", info.driver_name ? info.driver_name : "?");
    if (g->nq > info.max_tx_queues) {
        snprintf(err, errlen, "-q %u: port %u %s has %u transmit queues", g->nq, id, g->port_name,
                 info.max_tx_queues);
        return -1;
    }
    uint32_t max_len = g->cfg.model == GEN_REPLAY ? g->replay.max_len : 0;
    if (g->cfg.model == GEN_FIXED)
        max_len = g->cfg.size - GEN_FCS;
    else if (g->cfg.model != GEN_REPLAY)
        max_len = 1518 - GEN_FCS;

    memset(&conf, 0, sizeof(conf));
    if (max_len > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN) {
        uint32_t mtu = max_len - RTE_ETHER_HDR_LEN;
        if (mtu > info.max_mtu) {
            snprintf(err, errlen, "port %u %s: frames of %u B need an MTU of %u; the device allows %u",
                     id, g->port_name, max_len + GEN_FCS, mtu, info.max_mtu);
            return -1;
        }
        if (info.max_rx_pktlen && max_len + GEN_FCS > info.max_rx_pktlen) {
            snprintf(err, errlen, "port %u %s (%s): frames of %u B exceed the largest frame the "
                     "device takes, %u B", id, g->port_name, info.driver_name,
                     max_len + GEN_FCS, info.max_rx_pktlen);
            return -1;
        }
        conf.rxmode.mtu = mtu;
    }
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    rc = rte_eth_dev_configure(id, 1, (uint16_t)g->nq, &conf);
    if (rc < 0) {
        snprintf(err, errlen, "port %u %s: cannot configure %u transmit queues: %s", id,
                 g->port_name, g->nq, rte_strerror(-rc));
        return -1;
    }
    rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd);

    int socket = rte_eth_dev_socket_id(id);
    if (socket < 0)
        socket = (int)rte_socket_id();
    unsigned nmb = g->nq * ((unsigned)txd + 2 * GEN_MAX_BURST) + (unsigned)g->ncpu * 384 + rxd + 2048;
    uint32_t room = RTE_PKTMBUF_HEADROOM + RTE_MAX(max_len, (uint32_t)RTE_MBUF_DEFAULT_DATAROOM);
    g->mp = rte_pktmbuf_pool_create("lcgen_mb", nmb, 256, 0, (uint16_t)room, socket);
    if (g->mp == NULL) {
        snprintf(err, errlen, "port %u %s: cannot allocate %u mbufs of %u B: %s", id, g->port_name,
                 nmb, room, rte_strerror(rte_errno));
        return -1;
    }
    rte_mempool_obj_iter(g->mp, zero_mbuf, NULL);
    rc = rte_eth_rx_queue_setup(id, 0, rxd, (unsigned)socket, NULL, g->mp);
    if (rc < 0) {
        snprintf(err, errlen, "port %u %s: cannot set up a receive queue: %s", id, g->port_name,
                 rte_strerror(-rc));
        return -1;
    }
    for (unsigned q = 0; q < g->nq; q++) {
        struct rte_eth_txconf txc = info.default_txconf;
        txc.offloads = conf.txmode.offloads;
        rc = rte_eth_tx_queue_setup(id, (uint16_t)q, txd, (unsigned)socket, &txc);
        if (rc < 0) {
            snprintf(err, errlen, "port %u %s: cannot set up transmit queue %u: %s", id,
                     g->port_name, q, rte_strerror(-rc));
            return -1;
        }
    }
    rc = rte_eth_dev_start(id);
    if (rc < 0) {
        snprintf(err, errlen, "port %u %s: cannot start: %s", id, g->port_name, rte_strerror(-rc));
        return -1;
    }
    rte_eth_stats_reset(id);
    return 0;
}

/* Queues, their flows, sizes and pacing. */
static int build_queues(struct gen *g, char *err, size_t errlen)
{
    const struct gen_config *c = &g->cfg;
    g->q = rte_zmalloc("lcgen_q", sizeof(struct gen_txq) * g->nq, RTE_CACHE_LINE_SIZE);
    if (g->q == NULL) {
        snprintf(err, errlen, "out of memory for %u queues", g->nq);
        return EXIT_SOFTWARE;
    }
    double hz = (double)g->clock.hz;
    double pps_q = g->target_pps / g->nq;
    unsigned burst = c->burst;
    if (burst == 0) {
        burst = 32;
        if (pps_q > 0) {    /* paced: about 10 us of frames per burst */
            double b = pps_q * 10e-6;
            burst = b < 1 ? 1 : b > 32 ? 32 : (unsigned)(b + 0.5);
        }
    }
    for (unsigned i = 0; i < g->nq; i++) {
        struct gen_txq *q = &g->q[i];
        q->port = g->port;
        q->queue = (uint16_t)i;
        q->mp = g->mp;
        q->run = &g->run;
        q->burst = burst;
        q->paced = g->target_pps > 0;
        q->per_byte = c->rate_bps > 0;
        if (c->rate_bps > 0)
            q->tpu = hz * 8.0 / (c->rate_bps / g->nq);
        else if (c->pps > 0)
            q->tpu = hz / (c->pps / g->nq);
        if (c->model == GEN_REPLAY) {
            const struct gen_replay *r = &g->replay;
            q->rp = r;
            uint32_t k = 0;
            for (uint32_t j = 0; j < r->n; j++)
                k += r->rec[j].flow % g->nq == i;
            q->recs = calloc(k ? k : 1, sizeof(uint32_t));
            q->rseq = calloc(r->nflows, sizeof(uint64_t));
            if (q->recs == NULL || q->rseq == NULL) {
                snprintf(err, errlen, "out of memory for the replay index");
                return EXIT_SOFTWARE;
            }
            for (uint32_t j = 0; j < r->n; j++)
                if (r->rec[j].flow % g->nq == i)
                    q->recs[q->nrecs++] = j;
            if (q->nrecs == 0) {
                snprintf(err, errlen, "--replay: %u flows in the file for %u queues: queue %u would "
                         "have nothing to send; use -q %u or fewer", r->nflows, g->nq, i,
                         r->nflows < g->nq ? r->nflows : g->nq - 1);
                return EXIT_USAGE;
            }
        } else {
            q->fixed = c->model == GEN_FIXED;
            q->fixed_len = (uint16_t)(c->size - GEN_FCS);
            q->sizes = g->sizes;
            q->nsizes = g->nsizes;
            q->size_cur = (i * 97u) % g->nsizes;    /* queues out of step */
            q->nflows = (g->nflows - i + g->nq - 1) / g->nq;
            q->flows = rte_zmalloc("lcgen_flows", sizeof(struct gen_flow) * q->nflows,
                                   RTE_CACHE_LINE_SIZE);
            if (q->flows == NULL) {
                snprintf(err, errlen, "out of memory for %u flow templates", q->nflows);
                return EXIT_SOFTWARE;
            }
            for (uint32_t j = 0; j < q->nflows; j++)
                gen_flow_init(&q->flows[j], c, i + j * g->nq, q->fixed ? c->size : GEN_MIN_FRAME);
        }
        struct gen_worker *w = &g->workers[i % (unsigned)g->ncpu];
        w->lcore = i % (unsigned)g->ncpu + 1;
        w->q[w->nq++] = q;
    }
    return 0;
}

struct totals {
    uint64_t v[GQ_MAX];
    double elapsed;
};

static void sum_counters(const struct gen *g, struct totals *t)
{
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < g->nq; i++)
        for (int k = 0; k < GQ_MAX; k++)
            t->v[k] += __atomic_load_n(&g->q[i].c[k], __ATOMIC_RELAXED);
}

static double q_elapsed(const struct gen *g, const struct gen_txq *q)
{
    if (q->last_tsc <= g->run.start_tsc)
        return 0;
    return (double)(q->last_tsc - g->run.start_tsc) / (double)g->clock.hz;
}

static void human(char *b, size_t n, double v)
{
    if (v >= 1e9)
        snprintf(b, n, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(b, n, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(b, n, "%.1fk", v / 1e3);
    else
        snprintf(b, n, "%.0f", v);
}

static const char *model_desc(const struct gen *g, char *b, size_t n)
{
    const struct gen_config *c = &g->cfg;
    switch (c->model) {
    case GEN_FIXED:
        snprintf(b, n, "fixed %u B (%u B + FCS)", c->size, c->size - GEN_FCS);
        break;
    case GEN_IMIX:
    case GEN_CAIDA:
        snprintf(b, n, "%s, mean %.2f B with FCS", gen_model_name(c->model), g->mean_frame);
        break;
    case GEN_REPLAY:
        snprintf(b, n, "replay %s: %u frames, %u flows, mean %.2f B with FCS%s%s", c->replay,
                 g->replay.n, g->replay.nflows, g->mean_frame, c->rewrite ? ", rewritten" : "",
                 c->stamp ? ", stamped" : "");
        break;
    }
    return b;
}

struct report {
    struct totals t;
    double elapsed, pps, wire_bps, l2_bps, err_pct;
    /* Pacing backlog forgiven (the core or the link could not keep up for
     * longer than max_lag): the time off schedule, and the rate error over
     * the time on schedule (elapsed - forgiven), which is what the pacer
     * controls. Per queue; the run's is the queue with the longest. */
    double forgiven, paced_elapsed, paced_err_pct;
    bool has_target;
    const char *reason;
    uint64_t opackets, obytes, oerrors;
};

static void make_report(const struct gen *g, struct report *r, const char *reason)
{
    memset(r, 0, sizeof(*r));
    sum_counters(g, &r->t);
    for (unsigned i = 0; i < g->nq; i++) {
        double e = q_elapsed(g, &g->q[i]);
        double fg = (double)g->q[i].c[GQ_FORGIVEN] / (double)g->clock.hz;
        if (e > r->elapsed)
            r->elapsed = e;
        if (fg > r->forgiven)
            r->forgiven = fg;
        if (e - fg > r->paced_elapsed)
            r->paced_elapsed = e - fg;
    }
    if (r->elapsed > 0) {
        double sent = (double)r->t.v[GQ_SENT], bytes = (double)r->t.v[GQ_BYTES];
        r->pps = sent / r->elapsed;
        r->wire_bps = (bytes + sent * (GEN_FCS + GEN_WIRE_OVERHEAD)) * 8 / r->elapsed;
        r->l2_bps = (bytes + sent * GEN_FCS) * 8 / r->elapsed;
    }
    r->has_target = g->target_pps > 0;
    if (r->has_target) {
        if (g->cfg.rate_bps > 0)
            r->err_pct = (r->wire_bps - g->cfg.rate_bps) / g->cfg.rate_bps * 100;
        else
            r->err_pct = (r->pps - g->cfg.pps) / g->cfg.pps * 100;
        /* the same over the time on schedule (all rates scale with 1/elapsed) */
        r->paced_err_pct = r->err_pct;
        if (r->paced_elapsed > 0 && r->elapsed > 0)
            r->paced_err_pct = ((100 + r->err_pct) * r->elapsed / r->paced_elapsed) - 100;
    }
    r->reason = reason;
    struct rte_eth_stats st;
    if (rte_eth_stats_get(g->port, &st) == 0) {
        r->opackets = st.opackets;
        r->obytes = st.obytes;
        r->oerrors = st.oerrors;
    }
}

static void print_summary(FILE *f, const struct gen *g, const struct report *r)
{
    char md[600];
    const uint64_t *v = r->t.v;
    fprintf(f, "linecap-gen: stopped by %s after %.3f s\n", r->reason, r->elapsed);
    fprintf(f, "  port %u %s (%s), %u queue%s on %d core%s, %u flow%s, %s\n", g->port, g->port_name,
            g->driver, g->nq, g->nq > 1 ? "s" : "", g->ncpu, g->ncpu > 1 ? "s" : "", g->nflows,
            g->nflows > 1 ? "s" : "", model_desc(g, md, sizeof(md)));
    fprintf(f, "  attempted %llu = sent %llu + failed %llu%s;  bytes %llu (L2 without FCS)\n",
            (unsigned long long)v[GQ_ATTEMPTED], (unsigned long long)v[GQ_SENT],
            (unsigned long long)v[GQ_FAILED],
            v[GQ_ATTEMPTED] == v[GQ_SENT] + v[GQ_FAILED] ? "" : "  MISMATCH",
            (unsigned long long)v[GQ_BYTES]);
    fprintf(f, "  achieved %.4f Mpps, %.4f Gb/s wire, %.4f Gb/s L2 (with FCS)\n", r->pps / 1e6,
            r->wire_bps / 1e9, r->l2_bps / 1e9);
    if (r->has_target)
        fprintf(f, "  target %.4f Mpps, %.4f Gb/s wire (%s): error %+.3f %%\n", g->target_pps / 1e6,
                g->target_wire_bps / 1e9, g->cfg.rate_bps > 0 ? "--rate" : "--pps", r->err_pct);
    else
        fprintf(f, "  target: maximum rate\n");
    fprintf(f, "  stamped %llu, mbuf allocation failures %llu, pacing fell behind %llu times\n",
            (unsigned long long)v[GQ_STAMPED], (unsigned long long)v[GQ_ALLOC_FAIL],
            (unsigned long long)v[GQ_BEHIND]);
    if (v[GQ_BEHIND] && r->has_target)
        fprintf(f, "  %.3f s of backlog forgiven (off schedule); over the %.3f s on schedule: "
                   "error %+.3f %%\n", r->forgiven, r->paced_elapsed, r->paced_err_pct);
    for (unsigned i = 0; g->nq > 1 && i < g->nq; i++) {
        const struct gen_txq *q = &g->q[i];
        double e = q_elapsed(g, q);
        fprintf(f, "  queue %u (cpu %u): attempted %llu sent %llu failed %llu bytes %llu, %.4f Mpps\n",
                i, g->tx_cpus[i % (unsigned)g->ncpu], (unsigned long long)q->c[GQ_ATTEMPTED],
                (unsigned long long)q->c[GQ_SENT], (unsigned long long)q->c[GQ_FAILED],
                (unsigned long long)q->c[GQ_BYTES], e > 0 ? (double)q->c[GQ_SENT] / e / 1e6 : 0.0);
    }
    fprintf(f, "  device: opackets %llu obytes %llu oerrors %llu\n", (unsigned long long)r->opackets,
            (unsigned long long)r->obytes, (unsigned long long)r->oerrors);
}

static int write_json(const char *path, const struct gen *g, const struct report *r, int code)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -errno;
    const uint64_t *v = r->t.v;
    const struct gen_config *c = &g->cfg;
    struct lc_json j;
    lc_json_init(&j, f);
    lc_json_object(&j, NULL, LC_JSON_LINES);
    lc_json_string(&j, "program", "linecap-gen");
    lc_json_string(&j, "version", LINECAP_VERSION);
    lc_json_string(&j, "reason", r->reason);
    lc_json_i64(&j, "exit_code", code);
    lc_json_object(&j, "port", LC_JSON_INLINE);
    lc_json_u64(&j, "id", g->port);
    lc_json_string(&j, "name", g->port_name);
    lc_json_string(&j, "driver", g->driver);
    lc_json_u64(&j, "opackets", r->opackets);
    lc_json_u64(&j, "obytes", r->obytes);
    lc_json_u64(&j, "oerrors", r->oerrors);
    lc_json_end(&j);
    lc_json_object(&j, "size_model", LC_JSON_INLINE);
    lc_json_string(&j, "name", gen_model_name(c->model));
    lc_json_double(&j, "mean_frame_bytes_with_fcs", g->mean_frame, 4);
    if (c->model == GEN_FIXED)
        lc_json_u64(&j, "frame_bytes_with_fcs", c->size);
    unsigned nb;
    const struct gen_size_weight *b = gen_model_bins(c->model, &nb);
    if (b) {
        lc_json_array(&j, "bins", LC_JSON_INLINE);
        for (unsigned i = 0; i < nb; i++) {
            lc_json_array(&j, NULL, LC_JSON_INLINE);
            lc_json_u64(&j, NULL, b[i].size);
            lc_json_u64(&j, NULL, b[i].weight);
            lc_json_end(&j);
        }
        lc_json_end(&j);
    }
    if (c->model == GEN_REPLAY) {
        lc_json_string(&j, "file", c->replay);
        lc_json_u64(&j, "records", g->replay.n);
        lc_json_bool(&j, "rewrite", c->rewrite);
        lc_json_bool(&j, "stamp", c->stamp);
        lc_json_u64(&j, "stampable_records", g->replay.stampable);
        lc_json_u64(&j, "skipped_too_big", g->replay.skipped_big);
        lc_json_u64(&j, "truncated_records", g->replay.truncated);
    }
    lc_json_end(&j);
    lc_json_u64(&j, "flows", g->nflows);
    lc_json_u64(&j, "queues", g->nq);
    lc_json_i64(&j, "cores", g->ncpu);
    lc_json_u64(&j, "burst", g->q[0].burst);
    lc_json_bool(&j, "retry", g->run.retry);
    lc_json_object(&j, "target", LC_JSON_INLINE);
    lc_json_string(&j, "kind", c->rate_bps > 0 ? "rate" : c->pps > 0 ? "pps" : "max");
    lc_json_double(&j, "pps", g->target_pps, 3);
    lc_json_double(&j, "wire_bps", g->target_wire_bps, 3);
    lc_json_end(&j);
    lc_json_u64(&j, "attempted", v[GQ_ATTEMPTED]);
    lc_json_u64(&j, "sent", v[GQ_SENT]);
    lc_json_u64(&j, "failed", v[GQ_FAILED]);
    lc_json_u64(&j, "bytes", v[GQ_BYTES]);
    lc_json_u64(&j, "stamped", v[GQ_STAMPED]);
    lc_json_u64(&j, "alloc_failures", v[GQ_ALLOC_FAIL]);
    lc_json_u64(&j, "pacing_behind", v[GQ_BEHIND]);
    lc_json_double(&j, "elapsed_s", r->elapsed, 9);
    lc_json_double(&j, "mpps", r->pps / 1e6, 6);
    lc_json_double(&j, "wire_gbps", r->wire_bps / 1e9, 6);
    lc_json_double(&j, "l2_gbps", r->l2_bps / 1e9, 6);
    if (r->has_target)
        lc_json_double(&j, "rate_error_pct", r->err_pct, 6);
    else
        lc_json_null(&j, "rate_error_pct");
    lc_json_double(&j, "pacing_forgiven_s", r->forgiven, 9);
    lc_json_double(&j, "paced_elapsed_s", r->paced_elapsed, 9);
    if (r->has_target)
        lc_json_double(&j, "rate_error_paced_pct", r->paced_err_pct, 6);
    else
        lc_json_null(&j, "rate_error_paced_pct");
    lc_json_bool(&j, "identity_holds", v[GQ_ATTEMPTED] == v[GQ_SENT] + v[GQ_FAILED]);
    lc_json_array(&j, "per_queue", LC_JSON_LINES);
    for (unsigned i = 0; i < g->nq; i++) {
        const struct gen_txq *q = &g->q[i];
        double e = q_elapsed(g, q);
        lc_json_object(&j, NULL, LC_JSON_INLINE);
        lc_json_u64(&j, "queue", i);
        lc_json_u64(&j, "cpu", g->tx_cpus[i % (unsigned)g->ncpu]);
        lc_json_u64(&j, "flows", q->rp ? 0 : q->nflows);
        lc_json_u64(&j, "attempted", q->c[GQ_ATTEMPTED]);
        lc_json_u64(&j, "sent", q->c[GQ_SENT]);
        lc_json_u64(&j, "failed", q->c[GQ_FAILED]);
        lc_json_u64(&j, "bytes", q->c[GQ_BYTES]);
        lc_json_u64(&j, "stamped", q->c[GQ_STAMPED]);
        lc_json_double(&j, "elapsed_s", e, 9);
        lc_json_double(&j, "mpps", e > 0 ? (double)q->c[GQ_SENT] / e / 1e6 : 0.0, 6);
        lc_json_end(&j);
    }
    lc_json_end(&j);
    lc_json_end(&j);
    int rc = lc_json_finish(&j);
    if (rc < 0) {
        fclose(f);
        unlink(tmp);
        return rc;
    }
    fclose(f);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    return 0;
}

static void live_line(const struct gen *g, const struct totals *cur, const struct totals *prev,
                      double dt, double t)
{
    double sent = (double)(cur->v[GQ_SENT] - prev->v[GQ_SENT]);
    double bytes = (double)(cur->v[GQ_BYTES] - prev->v[GQ_BYTES]);
    char tot[32];
    human(tot, sizeof(tot), (double)cur->v[GQ_SENT]);
    fprintf(stderr, "linecap-gen: %6.1f s  %8.4f Mpps  %7.3f Gb/s wire  %7.3f Gb/s L2  failed %llu  sent %s%s\n",
            t, sent / dt / 1e6, (bytes + sent * 24) * 8 / dt / 1e9, (bytes + sent * 4) * 8 / dt / 1e9,
            (unsigned long long)cur->v[GQ_FAILED], tot, g->cfg.quiet ? "" : "");
}

int main(int argc, char **argv)
{
    static struct gen gen;
    struct gen *g = &gen;
    struct gen_config *c = &g->cfg;
    char err[4096];
    int rc;

    lc_progname = "linecap-gen";
    rc = gen_options_parse(argc, argv, c, err, sizeof(err));
    if (rc) {
        lc_err("%s", err);
        return rc;
    }
    if (c->help) {
        gen_usage(stdout);
        return 0;
    }
    if (c->version) {
        printf("linecap-gen %s (%s)\n", LINECAP_VERSION, rte_version());
        return 0;
    }
    if (c->quiet)
        lc_verbose = 0;
    if (lc_port_spec_kind(c->iface) == 0) {
        lc_err("-i '%s': expected a PCI address, a DPDK vdev (net_...), a port index or a network "
               "interface", c->iface);
        return EXIT_PORT;
    }
    if ((rc = pick_cores(g, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }
    g->nq = c->queues ? c->queues : (unsigned)g->ncpu;
    if (c->model == GEN_REPLAY) {
        if (gen_replay_load(c->replay, c, &g->replay, err, sizeof(err)) < 0) {
            lc_err("%s", err);
            return EXIT_PORT;
        }
        g->nflows = g->replay.nflows;
        g->mean_frame = (double)g->replay.bytes / g->replay.n + GEN_FCS;
        if (g->replay.skipped_big)
            lc_warn("--replay '%s': %llu records longer than %u B are not sent", c->replay,
                    (unsigned long long)g->replay.skipped_big, GEN_MAX_FRAME - GEN_FCS);
        if (c->stamp && g->replay.stampable == 0)
            lc_warn("--stamp: no UDP frame in '%s' has room for the 18-byte stamp", c->replay);
    } else {
        g->nflows = c->flows ? c->flows : g->nq;
        g->nsizes = gen_size_table(c->model, c->size, g->sizes, GEN_SIZE_TABLE_MAX);
        g->mean_frame = gen_model_mean(c->model, c->size);
        if (g->nsizes == 0) {
            lc_err("size table does not fit");
            return EXIT_SOFTWARE;
        }
    }
    if (c->rate_bps > 0) {
        g->target_wire_bps = c->rate_bps;
        g->target_pps = gen_wire_pps(c->rate_bps, g->mean_frame);
    } else if (c->pps > 0) {
        g->target_pps = c->pps;
        g->target_wire_bps = gen_wire_bps(c->pps, g->mean_frame);
    }

    if (start_eal(g, argv[0]) < 0) {
        lc_err("DPDK EAL initialisation failed: %s (see the EAL message above)",
               rte_strerror(rte_errno));
        return EXIT_UNAVAILABLE;
    }
    if (attach_port(g, err, sizeof(err)) < 0 || setup_port(g, err, sizeof(err)) < 0) {
        lc_err("%s", err);
        rte_eal_cleanup();
        return EXIT_PORT;
    }
    lc_clock_calibrate(&g->clock, 100, rte_get_tsc_hz());
    if ((rc = build_queues(g, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        rte_eth_dev_stop(g->port);
        rte_eal_cleanup();
        return rc;
    }
    lc_install_stop_signals();

    /* Wait for the link (a memif server waits for its client). */
    struct rte_eth_link link;
    double t_wait = lc_now_s();
    memset(&link, 0, sizeof(link));
    for (;;) {
        rte_eth_link_get_nowait(g->port, &link);
        if (link.link_status || lc_signals || (lc_now_s() - t_wait) * 1e9 >= (double)c->link_wait_ns)
            break;
        struct timespec nap = { 0, 10000000 };
        nanosleep(&nap, NULL);
    }
    if (!link.link_status && !lc_signals && c->link_wait_ns)
        lc_warn("port %u %s: link still down after %.1f s; sending anyway", g->port, g->port_name,
                (double)c->link_wait_ns / 1e9);

    char md[600], cl[400];
    int k = 0;
    cl[0] = '\0';
    for (int i = 0; i < g->ncpu; i++)
        k += snprintf(cl + k, sizeof(cl) - (size_t)k, "%s%u", i ? "," : "", g->tx_cpus[i]);
    lc_info("port %u %s (%s): %u transmit queue%s on cpu %s (main thread cpu %u)", g->port,
            g->port_name, g->driver, g->nq, g->nq > 1 ? "s" : "", cl, g->main_cpu);
    lc_info("traffic: %s, %u flow%s, burst %u; target %s", model_desc(g, md, sizeof(md)), g->nflows,
            g->nflows > 1 ? "s" : "", g->q[0].burst,
            g->target_pps > 0 ? "paced" : "maximum rate");
    if (g->target_pps > 0)
        lc_info("target: %.4f Mpps = %.4f Gb/s wire (frame + FCS + 20 B preamble/gap)",
                g->target_pps / 1e6, g->target_wire_bps / 1e9);

    g->run.clock = &g->clock;
    g->run.retry = !c->no_retry;
    g->run.has_budget = c->count > 0;
    g->run.budget = (int64_t)c->count;
    g->run.max_lag_ticks = g->clock.hz / 4;     /* 250 ms: see docs/GENERATOR.md, pacing */
    if (lc_signals)
        g->run.stop = 1;            /* stopped while waiting for the link: send nothing */
    uint64_t t0 = lc_rdtsc() + g->clock.hz / 1000;
    g->run.start_tsc = t0;
    g->run.end_tsc = c->duration_ns ? t0 + lc_clock_ticks(&g->clock, c->duration_ns) : 0;
    double t_start = lc_now_s() + 0.001;
    for (int i = 0; i < g->ncpu; i++)
        if (g->workers[i].nq > 0)
            rte_eal_remote_launch(gen_worker_main, &g->workers[i], g->workers[i].lcore);

    const char *reason = "signal";
    struct totals prev, cur;
    sum_counters(g, &prev);
    double next_line = 1.0, t_prev = 0;
    for (;;) {
        struct timespec nap = { 0, 5000000 };
        nanosleep(&nap, NULL);
        double t = lc_now_s() - t_start;
        if (lc_signals) {
            reason = "signal";
            break;
        }
        bool all = true;
        for (unsigned i = 0; i < g->nq; i++)
            all &= __atomic_load_n(&g->q[i].done, __ATOMIC_ACQUIRE) != 0;
        if (all) {
            reason = c->count ? "count" : c->duration_ns ? "duration" : "signal";
            break;
        }
        if (c->duration_ns && lc_rdtsc() >= g->run.end_tsc + g->clock.hz / 100) {
            reason = "duration";    /* a worker stuck in a retry: stop it */
            break;
        }
        if (!c->quiet && t >= next_line) {
            sum_counters(g, &cur);
            live_line(g, &cur, &prev, t - t_prev, t);
            prev = cur;
            t_prev = t;
            next_line += 1.0;
        }
    }
    g->run.stop = 1;
    rte_eal_mp_wait_lcore();

    struct report r;
    make_report(g, &r, reason);
    print_summary(stderr, g, &r);
    int code = 0;
    if (r.t.v[GQ_ATTEMPTED] != r.t.v[GQ_SENT] + r.t.v[GQ_FAILED]) {
        lc_err("internal error: attempted != sent + failed");
        code = EXIT_SOFTWARE;
    }
    if (c->json) {
        rc = write_json(c->json, g, &r, code);
        if (rc < 0) {
            lc_err("--json '%s': cannot write: %s", c->json, strerror(-rc));
            if (code == 0)
                code = EXIT_CANTCREAT;
        }
    }
    if (c->linger_ns && !lc_signals && strcmp(reason, "signal") != 0) {
        /* the JSON is out; wait for the peer to leave first */
        double t0 = lc_now_s();
        for (;;) {
            struct rte_eth_link link;
            memset(&link, 0, sizeof(link));
            rte_eth_link_get_nowait(g->port, &link);
            if (!link.link_status || lc_signals || (lc_now_s() - t0) * 1e9 >= (double)c->linger_ns)
                break;
            struct timespec nap = { 0, 5000000 };
            nanosleep(&nap, NULL);
        }
    }
    rte_eth_dev_stop(g->port);
    rte_eth_dev_close(g->port);
    for (unsigned i = 0; i < g->nq; i++) {
        free(g->q[i].recs);
        free(g->q[i].rseq);
        rte_free(g->q[i].flows);
    }
    rte_free(g->q);
    rte_eal_cleanup();
    gen_replay_free(&g->replay);
    return code;
}
