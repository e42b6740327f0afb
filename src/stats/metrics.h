/* Metrics users can scrape: the Prometheus text exposition format (0.0.4)
 * generated from the one counter list, served on GET /metrics by a small
 * HTTP/1.0-style server on its own thread. No DPDK here: the counters come
 * from a snapshot function the application supplies, which reads them with
 * relaxed loads as the live line does. */
#ifndef LC_METRICS_H
#define LC_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "stats/stats.h"

/* Fill *out with the current counters. Returns 0, or -1 when there is
 * nothing to report (not started, or shutting down). Called from the
 * metrics thread (and the DPDK telemetry thread): must be thread-safe. */
typedef int (*st_source_fn)(void *ctx, struct st_snapshot *out);

/* What the exposition adds to the counters. */
struct metrics_info {
    const char *version;        /* linecap version */
    const char *dpdk;           /* rte_version() */
    double start_unix;          /* CLOCK_REALTIME seconds at start */
};

/* Parse --metrics: "PORT", ":PORT", "ADDR:PORT" (numeric IPv4 or
 * "localhost"), "[IPv6]:PORT"; PORT 0-65535 (0: the kernel picks one).
 * Without an address the endpoint is loopback (127.0.0.1) only.
 * Returns 0, or -1 with one line in err naming the value and the form. */
int metrics_parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err,
                       size_t errlen);

/* "ADDR:PORT" / "[ADDR]:PORT" of a socket address. */
void metrics_addr_str(const struct sockaddr *sa, char *out, size_t cap);

/* The exposition of one snapshot, written to f. */
void metrics_render(FILE *f, const struct st_snapshot *s, const struct metrics_info *info);

struct metrics_server {
    int fd;                     /* listening socket, -1 when closed */
    char addr[80];              /* the bound address, as metrics_addr_str */
    pthread_t thread;
    bool running;
    volatile int stop;
    st_source_fn source;
    void *ctx;
    struct metrics_info info;
    uint64_t served;            /* requests answered (owner: the metrics thread) */
};

/* Bind and listen on arg (see metrics_parse_addr) before anything starts.
 * Returns 0, or -1 with one line in err (the address and the errno text). */
int metrics_open(struct metrics_server *m, const char *arg, char *err, size_t errlen);

/* Start serving on a thread pinned to cpu (-1: no pinning). Connections
 * that arrived since metrics_open wait in the listen backlog until then.
 * Returns 0 or a negative errno. */
int metrics_start(struct metrics_server *m, st_source_fn source, void *ctx,
                  const struct metrics_info *info, int cpu);

/* Stop the thread (within ~100 ms, whatever the clients do) and close. */
void metrics_stop(struct metrics_server *m);

/* Answer one request already read (for tests): the status code, and the
 * whole response written to f. */
int metrics_respond(FILE *f, const char *req, size_t len, const struct st_snapshot *s,
                    const struct metrics_info *info);

#endif
