#include "app/eal.h"

#include <string.h>

#include "common/sys.h"

bool app_eal_user_mem(const struct config *c)
{
    for (int i = 0; i < c->n_eal_args; i++)
        if (strstr(c->eal_args[i], "huge") || strcmp(c->eal_args[i], "-m") == 0)
            return true;
    return false;
}

int app_eal_args(struct eal_args *e, const struct config *c, const char *argv0,
                 unsigned main_cpu, const unsigned *rx_cpus, int nrx, bool no_huge)
{
    bool any_pci = false, any_index = false;

    eal_args_add(e, "%s", argv0);
    eal_args_add(e, "--in-memory");
    eal_args_lcores(e, main_cpu, rx_cpus, nrx);
    eal_args_add(e, "--main-lcore=0");
    if (!c->telemetry)
        eal_args_add(e, "--no-telemetry");
    else
        eal_args_add(e, "--log-level=lib.telemetry:error");
    eal_args_add(e, "--log-level=lib.eal:error");
    eal_args_add(e, "--log-level=pmd.*:warning");
    /* rte_bpf_convert logs a refused program; linecap's start line says it */
    eal_args_add(e, "--log-level=lib.bpf:critical");
    for (int i = 0; i < c->nifaces; i++) {
        int k = lc_port_spec_kind(c->ifaces[i]);
        if (k == 'p') {
            any_pci = true;
            eal_args_add(e, "-a");
            eal_args_add(e, "%s", c->ifaces[i]);
        } else if (k == 'n') {
            any_index = true;
        }
    }
    if (!any_pci && !any_index)
        eal_args_add(e, "--no-pci");
    if (no_huge && !app_eal_user_mem(c)) {
        eal_args_add(e, "--no-huge");
        eal_args_add(e, "-m");
        eal_args_add(e, "%u", 256 + 64 * (unsigned)c->nifaces * c->queues);
    }
    for (int i = 0; i < c->n_eal_args; i++)
        eal_args_add(e, "%s", c->eal_args[i]);
    return e->err;
}
