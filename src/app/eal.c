#include "app/eal.h"

bool app_eal_user_mem(const struct config *c)
{
    return eal_args_user_mem(c->eal_args, c->n_eal_args);
}

int app_eal_args(struct eal_args *e, const struct config *c, const char *argv0,
                 unsigned main_cpu, const unsigned *rx_cpus, int nrx, bool no_huge)
{
    struct eal_conf ec = {
        .argv0 = argv0,
        .main_cpu = main_cpu,
        .cpus = rx_cpus,
        .ncpus = nrx,
        .telemetry = c->telemetry,
        .ports = c->ifaces,
        .nports = c->nifaces,
        .no_huge = no_huge,
        .mem_mb = 256 + 64 * (unsigned)c->nifaces * c->queues,
        .user = c->eal_args,
        .nuser = c->n_eal_args,
    };
    return eal_args_build(e, &ec);
}
