#include "dpdk/eal_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sys.h"

void eal_args_init(struct eal_args *e)
{
    memset(e, 0, sizeof(*e));
}

static int push(struct eal_args *e, char *s)
{
    if (e->argc + 2 > e->cap) {
        int cap = e->cap ? 2 * e->cap : 32;
        char **v = realloc(e->argv, (size_t)cap * sizeof(*v));
        if (v == NULL) {
            free(s);
            e->err = -ENOMEM;
            return e->err;
        }
        e->argv = v;
        e->cap = cap;
    }
    e->argv[e->argc++] = s;
    e->argv[e->argc] = NULL;
    return 0;
}

int eal_args_add(struct eal_args *e, const char *fmt, ...)
{
    if (e->err)
        return e->err;
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        e->err = -ENOMEM;
        return e->err;
    }
    return push(e, s);
}

int eal_args_lcores(struct eal_args *e, unsigned main_cpu, const unsigned *cpus, int n)
{
    if (e->err)
        return e->err;
    /* "--lcores=" + "0@" + up to 10 digits, then per lcore ",",
     * up to 10 + 1 + 10 characters */
    size_t cap = 32 + (size_t)(n > 0 ? n : 0) * 24;
    char *s = malloc(cap);
    if (s == NULL) {
        e->err = -ENOMEM;
        return e->err;
    }
    size_t k = (size_t)snprintf(s, cap, "--lcores=0@%u", main_cpu);
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(s + k, cap - k, ",%d@%u", i + 1, cpus[i]);
    return push(e, s);
}

char **eal_args_view(struct eal_args *e)
{
    if (e->err || e->argc == 0)
        return NULL;
    free(e->view);
    e->view = malloc((size_t)(e->argc + 1) * sizeof(*e->view));
    if (e->view == NULL) {
        e->err = -ENOMEM;
        return NULL;
    }
    memcpy(e->view, e->argv, (size_t)(e->argc + 1) * sizeof(*e->view));
    return e->view;
}

void eal_args_free(struct eal_args *e)
{
    for (int i = 0; i < e->argc; i++)
        free(e->argv[i]);
    free(e->argv);
    free(e->view);
    memset(e, 0, sizeof(*e));
}

bool eal_args_user_mem(const char *const *user, int nuser)
{
    for (int i = 0; i < nuser; i++)
        if (strstr(user[i], "huge") || strcmp(user[i], "-m") == 0 || strstr(user[i], "segments"))
            return true;
    return false;
}

int eal_args_build(struct eal_args *e, const struct eal_conf *c)
{
    bool any_pci = false, any_index = false;

    eal_args_add(e, "%s", c->argv0);
    eal_args_add(e, "--in-memory");
    if (c->file_prefix)
        eal_args_add(e, "--file-prefix=%s", c->file_prefix);
    eal_args_lcores(e, c->main_cpu, c->cpus, c->ncpus);
    eal_args_add(e, "--main-lcore=0");
    if (!c->telemetry)
        eal_args_add(e, "--no-telemetry");
    else
        eal_args_add(e, "--log-level=lib.telemetry:error");
    eal_args_add(e, "--log-level=lib.eal:error");
    eal_args_add(e, "--log-level=pmd.*:warning");
    /* rte_bpf_convert logs a refused program; linecap's start line says it */
    eal_args_add(e, "--log-level=lib.bpf:critical");
    for (int i = 0; i < c->nports; i++) {
        int k = lc_port_spec_kind(c->ports[i]);
        if (k == 'p') {
            any_pci = true;
            eal_args_add(e, "-a");
            eal_args_add(e, "%s", c->ports[i]);
        } else if (k == 'n') {
            any_index = true;
        }
    }
    if (!any_pci && !any_index)
        eal_args_add(e, "--no-pci");
    if (!eal_args_user_mem(c->user, c->nuser)) {
        if (c->no_huge) {
            eal_args_add(e, "--no-huge");
            eal_args_add(e, "-m");
            eal_args_add(e, "%u", c->mem_mb);
        } else if (c->single_file_segments) {
            eal_args_add(e, "--single-file-segments");
        }
    }
    for (int i = 0; i < c->nuser; i++)
        eal_args_add(e, "%s", c->user[i]);
    return e->err;
}
