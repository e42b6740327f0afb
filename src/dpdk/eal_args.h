/* The EAL's argument vector, built by linecap and linecap-gen: grows as
 * arguments are added, so no count of cores, ports or pass-through
 * arguments the options accept can overflow it. Pure string building: no
 * DPDK headers, unit-tested without an EAL. */
#ifndef LC_EAL_ARGS_H
#define LC_EAL_ARGS_H

#include <stdarg.h>

struct eal_args {
    int argc;
    int cap;
    char **argv;                /* argc strings, then NULL (when argc > 0) */
    char **view;                /* the copy handed to the EAL (eal_args_view) */
    int err;                    /* first error (-ENOMEM), sticky */
};

/* Empty vector. */
void eal_args_init(struct eal_args *e);

/* Append one argument formatted like printf. Returns 0 or -ENOMEM (and
 * e->err is set: later calls do nothing). */
int eal_args_add(struct eal_args *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append "--lcores=0@MAIN,1@CPU0,2@CPU1,...": lcore 0 is the main lcore on
 * main_cpu, lcore i+1 runs on cpus[i] (a CPU may repeat: several lcores
 * then share it). Returns 0 or -ENOMEM. */
int eal_args_lcores(struct eal_args *e, unsigned main_cpu, const unsigned *cpus, int n);

/* A copy of argv (argc + 1 pointers) to hand to rte_eal_init, which
 * permutes it and overwrites an entry with the program name: the strings
 * stay reachable (and freed) through argv. NULL on ENOMEM. */
char **eal_args_view(struct eal_args *e);

/* Free every argument. The EAL keeps pointers into argv after
 * rte_eal_init: free only after rte_eal_cleanup, or never. */
void eal_args_free(struct eal_args *e);

#endif
