/* linecap's capture command: the state its steps share and the steps, in
 * the order main.c runs them. Each step prints its own error line and
 * returns 0 or an exit code; app_teardown undoes whatever ran, from any
 * point. */
#ifndef LC_APP_CAPTURE_H
#define LC_APP_CAPTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "app/manifest.h"
#include "app/options.h"
#include "capture/pipeline.h"
#include "dpdk/port.h"
#include "dpdk/cores.h"
#include "dpdk/eal_args.h"
#include "filter/filter.h"
#include "stats/metrics.h"
#include "storage/hook.h"

struct app {
    struct config cfg;
    const struct format_ops *fmt;
    bool rotating;                  /* -b given: rotated names (decided once) */
    int linktype;                   /* of every port (lc_ports_linktype) */
    struct lc_cores cores;          /* receive CPUs, the main thread's CPU */
    struct name_template tmpl;
    int dirfd;                      /* output directory, -1 */
    struct metrics_server metrics;
    struct bpf_program fprog;       /* the filter compiled by libpcap (before EAL) */
    bool has_fprog;
    int json_fd;                    /* --stats-json, created before DPDK; -1 */
    FILE *json_f;                   /* the same, once opened for writing */
    struct eal_args eal;            /* the EAL keeps pointers into it */
    bool eal_started;
    struct lc_filter filter;        /* loaded (after EAL) */
    bool has_filter;
    uint16_t port_ids[LC_MAX_IFACES];
    struct port_info ports[LC_MAX_IFACES];
    int nports;                     /* attached */
    int nstarted;                   /* set up and started: ports[0..nstarted) */
    struct lc_clock clock;
    /* output format and what its headers say */
    struct format_info finfo;
    char userappl[64], os[256], hardware[256];
    char if_desc[LC_MAX_IFACES][256];
    struct pipeline pipe;
    /* Whether the run is live: the metrics and telemetry threads take a
     * snapshot only under pub_lock while it is (run.c). */
    pthread_mutex_t pub_lock;
    bool live;
    struct manifest man;
    struct hook hook;               /* -z: started after the privilege drop */
};

/* capture.c: before DPDK starts */

/* Parse the options; print --help or --version (then cfg.help or
 * cfg.version is set and the run ends with 0). */
int app_options(struct app *a, int argc, char **argv);

/* Everything checked before DPDK: format, -i values and their link type,
 * -Z user, cores, output directory and names, --metrics listener, the
 * filter (compiled), --stats-json (created, as root). */
int app_check(struct app *a);

/* Open --stats-json for writing, drop privileges (-Z), check that the
 * output directory stays writable; -z: check CMD as that user and start
 * the hook thread (its children run as that user). */
int app_privileges(struct app *a);

/* capture_dpdk.c */

/* EAL, filter load, port attach, clock, the file header's description. */
int app_dpdk(struct app *a, const char *argv0);

/* pipeline_init from the configuration (the block pool, before the ports). */
int app_pipeline(struct app *a);

/* Set up and start every port. */
int app_ports(struct app *a);

/* Stop the started ports. Idempotent. */
void app_ports_stop(struct app *a);

/* Undo whatever ran: threads, ports, filter, pipeline, files, EAL.
 * Idempotent, from any point. */
void app_teardown(struct app *a);

/* run.c */

/* Go live (metrics, telemetry), run the control loop until a signal, a
 * limit, an error or -a duration, then drain (a second signal forces).
 * Returns the reason: "signal", "limit", "duration" or "error". */
const char *run_capture(struct app *a);

/* The metrics and telemetry threads answer nothing from now on. Idempotent. */
void run_unlive(struct app *a);

#endif
