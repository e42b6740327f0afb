/* linecap's EAL arguments, built from the validated configuration: pure
 * (no EAL), so a unit test checks them at every limit the options accept. */
#ifndef LC_APP_EAL_H
#define LC_APP_EAL_H

#include <stdbool.h>

#include "app/options.h"
#include "dpdk/eal_args.h"

/* eal_args_build for linecap: main lcore 0 on main_cpu, receive lcore i+1
 * on rx_cpus[i], the EAL's default file prefix (the telemetry socket's
 * path), --no-huge -m sized by ports x queues when no_huge and the user gave
 * no memory option. Returns 0 or -ENOMEM. */
int app_eal_args(struct eal_args *e, const struct config *c, const char *argv0,
                 unsigned main_cpu, const unsigned *rx_cpus, int nrx, bool no_huge);

/* Whether the user's EAL arguments choose the memory themselves
 * (eal_args_user_mem). */
bool app_eal_user_mem(const struct config *c);

#endif
