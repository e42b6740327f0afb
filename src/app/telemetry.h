/* linecap's counters through DPDK telemetry: /linecap/stats (totals),
 * /linecap/ports (per port) and /linecap/queues,PORT (per queue), each a
 * dictionary built from the one counter list. Requires the EAL to run with
 * telemetry (linecap --telemetry). */
#ifndef LC_TELEMETRY_H
#define LC_TELEMETRY_H

#include "stats/metrics.h"

/* Register the commands; they call source(ctx) from DPDK's telemetry
 * thread. Returns 0 or a negative errno. */
int lc_telemetry_register(st_source_fn source, void *ctx);

#endif
