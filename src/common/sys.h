/* Small process-level helpers shared by linecap and linecap-gen: stop
 * signals, a monotonic clock in seconds, hugepage and CPU discovery, and
 * the classification of a -i value. No DPDK here. */
#ifndef LC_SYS_H
#define LC_SYS_H

#include <signal.h>

/* Incremented by SIGINT and SIGTERM once lc_install_stop_signals ran;
 * SIGPIPE is ignored. */
extern volatile sig_atomic_t lc_signals;
void lc_install_stop_signals(void);

/* CLOCK_MONOTONIC in seconds. */
double lc_now_s(void);

/* Free 2 MiB hugepages (0 if unknown). */
unsigned lc_free_hugepages(void);

/* The CPUs this process may run on, ascending; returns how many (<= max). */
int lc_allowed_cpus(unsigned *cpus, int max);

/* Classify a -i value before DPDK starts: 'p' PCI address, 'n' port index,
 * 'v' vdev (net_...), 'k' kernel network interface, 0 unknown. */
int lc_port_spec_kind(const char *spec);

#endif
