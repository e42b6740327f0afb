/* Which CPUs the worker lcores and the main lcore of linecap (receive) and
 * linecap-gen (transmit) run on. No DPDK headers: the plan is a pure
 * function of the allowed CPUs, unit-tested without an EAL. */
#ifndef LC_CORES_H
#define LC_CORES_H

#include <stdbool.h>
#include <stddef.h>

#define LC_CORES_MAX 64

/* The worker CPU when none is requested: linecap receives on the last
 * allowed CPU, linecap-gen transmits on the first. */
enum lc_core_default { LC_CORE_FIRST, LC_CORE_LAST };

struct lc_cores {
    unsigned work[LC_CORES_MAX];        /* worker lcore i+1 runs on work[i] */
    int nwork;
    unsigned main_cpu;                  /* first allowed CPU not in work, else work[0] */
    bool main_shared;                   /* every allowed CPU is in work */
};

/* Plan from the allowed CPUs (ascending) and the requested ones (--cores,
 * repeats allowed; nreq 0: one CPU chosen by def). Returns 0, or an exit
 * code (common/exitcodes.h) with one line in err: EXIT_USAGE when a
 * requested CPU is not allowed (the line names it), EXIT_SOFTWARE when no
 * CPU is allowed. Callers print their own warnings (main_shared, repeats). */
int lc_cores_plan(const unsigned *allowed, int nallowed, const unsigned *req, int nreq,
                  enum lc_core_default def, struct lc_cores *out, char *err, size_t errlen);

/* lc_cores_plan on the CPU affinity of this process. */
int lc_cores_pick(const unsigned *req, int nreq, enum lc_core_default def,
                  struct lc_cores *out, char *err, size_t errlen);

#endif
