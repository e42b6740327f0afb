/* Command line: Wireshark dumpcap's words, validated in one place. */
#ifndef LC_OPTIONS_H
#define LC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "common/exitcodes.h"
#include "common/opttab.h"

#define LC_MAX_IFACES 16
#define LC_MAX_CORES 64
#define LC_MAX_EAL_ARGS 64
#define LC_MAX_SNAPLEN 262144
#define LC_MAX_FILTER 8192          /* bytes of a filter given as trailing words */

struct config {
    const char *ifaces[LC_MAX_IFACES];
    int nifaces;
    const char *outpath;            /* -w */
    const char *format;             /* -F / -n / -P: "pcap" (default) or "pcapng" */
    uint32_t snaplen;               /* -s */
    uint64_t count;                 /* -c / -a packets (0 = none) */
    uint64_t stop_ns;               /* -a duration */
    uint64_t stop_bytes;            /* -a filesize (bytes) */
    uint64_t stop_files;            /* -a files */
    uint64_t rot_ns;                /* -b duration */
    uint64_t rot_interval_ns;       /* -b interval: at wall-clock multiples */
    uint64_t rot_bytes;             /* -b filesize (bytes) */
    uint64_t rot_pkts;              /* -b packets */
    uint64_t ring_files;            /* -b files: keep the newest N */
    uint64_t disk_limit;            /* --disk-limit: bytes of this run's files, 0 = none */
    uint64_t min_free;              /* --min-free: bytes to leave free, 0 = none */
    unsigned queues;                /* -q */
    unsigned cores[LC_MAX_CORES];   /* --cores: receive cores */
    int ncores;
    bool count_only;
    uint64_t stats_interval_ns;     /* 0 = no live line */
    const char *stats_json;
    const char *user;               /* -Z */
    bool group_read;                /* -g: files 0640 instead of 0600 */
    uint64_t buffer_mib;            /* -B: block pool */
    bool tsc_only;                  /* --time-source tsc */
    bool no_sync;                   /* --no-sync: skip fdatasync at close */
    bool no_index;                  /* --no-index: no index file beside each file */
    bool quiet;                     /* --quiet: no informational lines */
    const char *filter;             /* -f EXPR or the trailing words; NULL: none */
    bool no_jit;                    /* --no-jit: run the filter interpreted */
    const char *metrics;            /* --metrics ADDR:PORT (validated) */
    bool telemetry;                 /* --telemetry: DPDK telemetry socket */
    const char *eal_args[LC_MAX_EAL_ARGS];
    int n_eal_args;
    const char *post_rotate;        /* -z / --post-rotate CMD, run on each closed file */
    unsigned post_rotate_jobs;      /* --post-rotate-jobs: at most this many at once */
    unsigned post_rotate_queue;     /* --post-rotate-queue: closed files waiting */
    uint64_t post_rotate_wait_ns;   /* --post-rotate-wait: at exit, for the hooks */
    bool help, version;
    char filter_words[LC_MAX_FILTER];   /* storage when the filter is trailing words */
    int argc;                       /* the command line with --config files in place */
    char **argv;
    void *argv_mem;                 /* their storage (options_free) */
};

/* linecap's (the capture's) option table, --help and man page words. */
extern const struct lc_cmd options_capture_cmd;

/* Fill cfg from argv, with each --config FILE's lines in its place (see
 * common/opttab.h). Returns 0, or an exit code with one line (no program
 * name, no newline) in err naming the bad value and what was expected
 * (EXIT_NOINPUT: a --config file cannot be read). Never exits, never
 * prints. cfg's strings point into argv or into cfg->argv_mem: call
 * options_free when done with cfg, also after an error. */
int options_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);
void options_free(struct config *cfg);

/* The --help text, with the subcommands (NULL-terminated) listed. */
void options_usage(FILE *out, const struct lc_cmd *const *subs);

#endif
