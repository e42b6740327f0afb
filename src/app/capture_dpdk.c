/* linecap's capture command, the steps with DPDK: the EAL, the filter's
 * load, the ports, the pipeline's configuration, and the one teardown. */
#include "app/capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "app/eal.h"
#include "common/log.h"
#include "common/sys.h"

static int start_eal(struct app *a, const char *argv0)
{
    bool no_huge = !app_eal_user_mem(&a->cfg) && lc_free_hugepages() < 64;
    if (no_huge && !a->cfg.quiet)
        lc_info("notice: no free hugepages; running DPDK with --no-huge (slower)");
    if (app_eal_args(&a->eal, &a->cfg, argv0, a->cores.main_cpu, a->cores.work, a->cores.nwork,
                     no_huge) < 0) {
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

/* The filter program is converted (in the DPDK heap) and loaded before any
 * port is touched. */
static int load_filter(struct app *a)
{
    const struct config *c = &a->cfg;
    char err[10000];

    int rc = filter_load(&a->filter, &a->fprog, c->no_jit ? FILTER_INTERP : FILTER_JIT, err,
                         sizeof(err));
    pcap_freecode(&a->fprog);
    a->has_fprog = false;
    if (rc < 0) {
        lc_err("-f '%s': cannot load the capture filter: %s", c->filter, err);
        return EXIT_FILTER;
    }
    a->has_filter = true;
    const struct lc_filter *f = &a->filter;
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
    return 0;
}

/* The format's file header with every port: what the pipeline builds once
 * to know its size (the rotation needs it and the first block must hold it). */
static void describe_output(struct app *a)
{
    const struct config *c = &a->cfg;
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
    const char *want = a->fmt->ext;
    if (a->tmpl.ext[0] && strcmp(a->tmpl.ext, want) != 0 &&
        (strcmp(a->tmpl.ext, ".pcap") == 0 || strcmp(a->tmpl.ext, ".pcapng") == 0))
        lc_info("notice: -w '%s' is written as %s (its extension says otherwise)",
                c->outpath, a->fmt->name);
}

int app_dpdk(struct app *a, const char *argv0)
{
    const struct config *c = &a->cfg;
    char err[10000];
    int rc;

    if (start_eal(a, argv0) < 0) {
        lc_err("DPDK EAL initialisation failed: %s (see the EAL message above)",
               rte_strerror(rte_errno));
        return EXIT_UNAVAILABLE;
    }
    a->eal_started = true;
    if (a->has_fprog && (rc = load_filter(a)) != 0)
        return rc;
    /* Ports: resolve every -i before anything is configured. */
    for (int i = 0; i < c->nifaces; i++) {
        uint16_t id;
        if (port_attach(c->ifaces[i], i, &id, err, sizeof(err)) < 0) {
            lc_err("%s", err);
            return EXIT_PORT;
        }
        for (int j = 0; j < a->nports; j++) {
            if (a->port_ids[j] == id) {
                lc_err("-i '%s': port %u is given twice", c->ifaces[i], id);
                return EXIT_PORT;
            }
        }
        a->port_ids[a->nports++] = id;
    }
    lc_clock_calibrate(&a->clock, 100, rte_get_tsc_hz());
    if (!c->count_only)
        describe_output(a);
    return 0;
}

int app_pipeline(struct app *a)
{
    const struct config *c = &a->cfg;
    char err[1024];
    struct pipeline_conf pc = {
        .nrx = a->cores.nwork,
        .rx_cpus = a->cores.work,
        .main_cpu = a->cores.main_cpu,
        .ports = a->ports,
        .nports = a->nports,
        .snaplen = c->snaplen,
        .count_only = c->count_only,
        .filter = a->has_filter ? &a->filter : NULL,
        .filter_text = c->filter,
        .clock = &a->clock,
        .count = c->count,
        .rot = {
            .max_bytes = c->rot_bytes,
            .max_pkts = c->rot_pkts,
            .max_ns = c->rot_ns,
            .interval_ns = c->rot_interval_ns,
            .stop_bytes = c->stop_bytes,
            .stop_files = c->stop_files,
        },
        .rotating = a->rotating,
        .buffer_mib = c->buffer_mib,
        .fmt = a->fmt,
        .finfo = &a->finfo,
        .dirfd = a->dirfd,
        .tmpl = &a->tmpl,
        .sync = !c->no_sync,
        .mode = c->group_read ? 0640 : 0600,
        .ring_files = (unsigned)c->ring_files,
        .disk_limit = c->disk_limit,
        .min_free = c->min_free,
        .index = !c->no_index,
        .hook = c->post_rotate ? &a->hook : NULL,
    };
    int rc = pipeline_init(&a->pipe, &pc, err, sizeof(err));
    if (rc)
        lc_err("%s", err);
    return rc;
}

/* One line per port: what it offers and what is used. */
static void port_line(const struct port_info *pi)
{
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
            pi->promisc ? "on" : "not supported", sc, ts);
    if (pi->nkfd)
        lc_info("port %u %s: ring-full drops of its %d AF_PACKET socket%s counted as "
                "kernel_drops", pi->id, pi->name, pi->nkfd, pi->nkfd > 1 ? "s" : "");
}

int app_ports(struct app *a)
{
    const struct config *c = &a->cfg;
    char err[10000];
    unsigned per_port_rx = (unsigned)a->cores.nwork;

    for (int p = 0; p < a->nports; p++) {
        struct port_info *pi = &a->ports[p];
        if (port_setup(a->port_ids[p], c->queues, 4096, per_port_rx * (256 + 64), !c->tsc_only,
                       pi, err, sizeof(err)) < 0) {
            lc_err("%s", err);
            return EXIT_PORT;
        }
        a->nstarted = p + 1;
        if (port_kernel_sockets(pi, a->ports, p, err, sizeof(err)) < 0) {
            lc_err("%s", err);
            return EXIT_PORT;
        }
        port_line(pi);
        manifest_add_port(&a->man, pi);
    }
    return 0;
}

void app_ports_stop(struct app *a)
{
    for (int p = 0; p < a->nstarted; p++)
        port_shutdown(a->port_ids[p]);
    a->nstarted = 0;
}

void app_teardown(struct app *a)
{
    run_unlive(a);
    metrics_stop(&a->metrics);
    pipeline_stop(&a->pipe);            /* no receive loop polls a port now */
    app_ports_stop(a);
    if (a->has_filter)
        filter_free(&a->filter);
    a->has_filter = false;
    if (a->has_fprog)
        pcap_freecode(&a->fprog);
    a->has_fprog = false;
    if (a->eal_started)
        pipeline_free(&a->pipe);
    hook_free(&a->hook);                /* after the writer: it hands files over */
    if (a->json_f)
        fclose(a->json_f);
    a->json_f = NULL;
    if (a->json_fd >= 0)
        close(a->json_fd);
    a->json_fd = -1;
    if (a->dirfd >= 0)
        close(a->dirfd);
    a->dirfd = -1;
    if (a->eal_started) {
        rte_eal_cleanup();
        eal_args_free(&a->eal);
    }
    a->eal_started = false;
}
