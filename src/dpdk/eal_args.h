/* The EAL's argument vector, built by linecap and linecap-gen: grows as
 * arguments are added, so no count of cores, ports or pass-through
 * arguments the options accept can overflow it. Pure string building: no
 * DPDK headers, unit-tested without an EAL. */
#ifndef LC_EAL_ARGS_H
#define LC_EAL_ARGS_H

#include <stdarg.h>
#include <stdbool.h>

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

/* What linecap's and linecap-gen's vectors differ in; eal_args_build adds
 * the rest the same way for both. */
struct eal_conf {
    const char *argv0;
    const char *file_prefix;            /* --file-prefix=; NULL: the EAL's (rte) */
    unsigned main_cpu;                  /* lcore 0 */
    const unsigned *cpus;               /* lcore i+1 on cpus[i] */
    int ncpus;
    bool telemetry;                     /* false: --no-telemetry */
    const char *const *ports;           /* the -i values: -a for each PCI address */
    int nports;
    /* Memory, unless the user's arguments choose it (eal_args_user_mem):
     * no_huge adds --no-huge -m mem_mb, else single_file_segments adds
     * --single-file-segments. */
    bool no_huge;
    unsigned mem_mb;
    bool single_file_segments;
    const char *const *user;            /* after "--": passed last, unchanged */
    int nuser;
};

/* argv0, --in-memory, [--file-prefix], --lcores, --main-lcore=0, telemetry
 * and log levels, -a for each PCI port (--no-pci when no port is PCI or a
 * port index), the memory arguments, then the user's. Returns 0 or -ENOMEM. */
int eal_args_build(struct eal_args *e, const struct eal_conf *c);

/* Whether the user's EAL arguments choose the memory themselves (a hugepage
 * option, -m, or a segment layout). */
bool eal_args_user_mem(const char *const *user, int nuser);

/* Free every argument. The EAL keeps pointers into argv after
 * rte_eal_init: free only after rte_eal_cleanup, or never. */
void eal_args_free(struct eal_args *e);

#endif
