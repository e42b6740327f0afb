/* The run manifest: one JSON file written at exit beside the output files,
 * named after the run's first file (FIRST.manifest.json), that says what
 * ran, on what, and what it captured: linecap and DPDK versions, the
 * command line, ports with drivers and enabled receive offloads, queues,
 * cores, the clock source, start and end times, % captured, the files,
 * and the --stats-json document itself under "stats". */
#ifndef LC_MANIFEST_H
#define LC_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include "app/options.h"
#include "dpdk/port.h"
#include "stats/stats.h"

#define MANIFEST_SUFFIX ".manifest.json"

struct manifest_port {
    uint16_t id;
    unsigned nq;
    char name[128];
    char driver[64];
    bool rss, promisc, scatter, nic_ts;
    const char *offloads[64];   /* enabled receive offloads' names: SCATTER, TIMESTAMP */
    unsigned noffloads;
};

struct manifest {
    int argc;
    char **argv;
    uint64_t start_ns;          /* CLOCK_REALTIME at the start of capture */
    uint64_t tsc_hz;
    unsigned rx_cpus[LC_MAX_CORES];
    int nrx;
    unsigned main_cpu;          /* main thread, writer and metrics thread */
    const char *metrics_addr;   /* bound --metrics address, NULL if none */
    bool telemetry;
    uint32_t linktype;          /* pcap link type of every file */
    int nports;
    struct manifest_port ports[LC_MAX_IFACES];
};

/* Record a port as configured (its enabled receive offloads are read from
 * the device now: they are gone once the port is closed). */
void manifest_add_port(struct manifest *m, const struct port_info *pi);

/* The manifest's base name for the run whose first file is first. */
int manifest_name(char *out, size_t cap, const char *first);

/* Write DIR/NAME.manifest.json (O_CREAT|O_EXCL|O_NOFOLLOW, 0600), NAME the
 * first file of stream 0 (else the first file) of files[]. Nothing is
 * written when no file was. Returns 0 (name of what was written in out, or
 * "" when nothing) or a negative errno. */
int manifest_write(const struct manifest *m, const struct config *c, int dirfd, const char *dir,
                   const struct st_snapshot *s, const char *reason, int exit_code,
                   const struct file_record *files, unsigned nfiles, bool sync, char *out,
                   size_t outcap);

#endif
