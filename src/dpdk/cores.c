/* TEMPORARY: helper P's stand-in for helper D's core picking. */
#include "dpdk/cores.h"

#include <stdio.h>
#include <string.h>

#include "common/exitcodes.h"
#include "common/sys.h"

int lc_cores_plan(const unsigned *allowed, int nallowed, const unsigned *req, int nreq,
                  enum lc_core_default def, struct lc_cores *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (nallowed <= 0) {
        snprintf(err, errlen, "cannot read the CPU affinity of this process");
        return EXIT_SOFTWARE;
    }
    if (nreq > LC_CORES_MAX) {
        snprintf(err, errlen, "--cores: at most %d CPUs", LC_CORES_MAX);
        return EXIT_USAGE;
    }
    if (nreq > 0) {
        if (lc_cpus_allowed(req, nreq, allowed, nallowed, err, errlen) < 0)
            return EXIT_USAGE;
        memcpy(out->work, req, sizeof(*req) * (size_t)nreq);
        out->nwork = nreq;
    } else {
        out->work[0] = def == LC_CORE_FIRST ? allowed[0] : allowed[nallowed - 1];
        out->nwork = 1;
    }
    out->main_cpu = out->work[0];
    out->main_shared = true;
    for (int j = 0; j < nallowed && out->main_shared; j++) {
        bool used = false;
        for (int i = 0; i < out->nwork; i++)
            used |= out->work[i] == allowed[j];
        if (!used) {
            out->main_cpu = allowed[j];
            out->main_shared = false;
        }
    }
    return 0;
}

int lc_cores_pick(const unsigned *req, int nreq, enum lc_core_default def,
                  struct lc_cores *out, char *err, size_t errlen)
{
    unsigned cpus[1024];
    int n = lc_allowed_cpus(cpus, 1024);
    return lc_cores_plan(cpus, n, req, nreq, def, out, err, errlen);
}
