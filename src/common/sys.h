/* Small process-level helpers shared by linecap and linecap-gen: stop
 * signals, a monotonic clock in seconds, hugepage and CPU discovery, and
 * the classification of a -i value. No DPDK here. */
#ifndef LC_SYS_H
#define LC_SYS_H

#include <signal.h>
#include <stddef.h>

/* Incremented by SIGINT and SIGTERM once lc_install_stop_signals ran;
 * SIGPIPE and SIGXFSZ are ignored. */
extern volatile sig_atomic_t lc_signals;
void lc_install_stop_signals(void);

/* CLOCK_MONOTONIC in seconds. */
double lc_now_s(void);

/* Free 2 MiB hugepages (0 if unknown). */
unsigned lc_free_hugepages(void);

/* The CPUs this process may run on, ascending; returns how many (<= max). */
int lc_allowed_cpus(unsigned *cpus, int max);

/* 0 when every CPU of want[] is in allowed[]; else -1 and one line in err
 * naming the first CPU that is not (the --cores check). */
int lc_cpus_allowed(const unsigned *want, int nwant, const unsigned *allowed, int nallowed,
                    char *err, size_t errlen);

/* Classify a -i value before DPDK starts: 'p' PCI address, 'n' port index,
 * 'v' vdev (net_...), 'k' kernel network interface, 0 unknown. */
int lc_port_spec_kind(const char *spec);

/* "Linux 6.1.0-18-amd64" (uname sysname and release). */
void lc_os_name(char *out, size_t cap);

/* The CPU model per /proc/cpuinfo ("model name", or the ARM "Hardware"),
 * else the machine name from uname. */
void lc_cpu_model(char *out, size_t cap);

#endif
