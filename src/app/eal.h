/* linecap's EAL arguments, built from the validated configuration: pure
 * (no EAL), so a unit test checks them at every limit the options accept. */
#ifndef LC_APP_EAL_H
#define LC_APP_EAL_H

#include <stdbool.h>

#include "app/options.h"
#include "dpdk/eal_args.h"

/* argv0, --in-memory, --lcores (main lcore 0 on main_cpu, receive lcore
 * i+1 on rx_cpus[i]), log levels, -a for each PCI -i (else --no-pci unless
 * a port is given by index), --no-huge -m when no_huge and the user gave
 * no memory option, then the user's arguments after "--". Returns 0 or
 * -ENOMEM. */
int app_eal_args(struct eal_args *e, const struct config *c, const char *argv0,
                 unsigned main_cpu, const unsigned *rx_cpus, int nrx, bool no_huge);

/* Whether the user's EAL arguments choose the memory themselves. */
bool app_eal_user_mem(const struct config *c);

#endif
