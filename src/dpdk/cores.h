/* Core picking shared by linecap and linecap-gen: which CPUs run the work
 * loops (receive or transmit) and which one the main thread takes.
 * TEMPORARY (helper P's stand-in, replaced by helper D's). */
#ifndef LC_DPDK_CORES_H
#define LC_DPDK_CORES_H

#include <stdbool.h>
#include <stddef.h>

#define LC_CORES_MAX 64

enum lc_core_default { LC_CORE_FIRST, LC_CORE_LAST };

struct lc_cores {
    unsigned work[LC_CORES_MAX];
    int nwork;
    unsigned main_cpu;
    bool main_shared;
};

/* Plan from the allowed CPUs (ascending): work = req (each must be
 * allowed), or without req the first or last allowed CPU; main_cpu = the
 * first allowed CPU not in work, else work[0] with main_shared. Returns 0
 * or an exit code with one line in err. Pure. */
int lc_cores_plan(const unsigned *allowed, int nallowed, const unsigned *req, int nreq,
                  enum lc_core_default def, struct lc_cores *out, char *err, size_t errlen);

/* Read the process affinity, then lc_cores_plan. */
int lc_cores_pick(const unsigned *req, int nreq, enum lc_core_default def,
                  struct lc_cores *out, char *err, size_t errlen);

#endif
