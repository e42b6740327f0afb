#include "app/telemetry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "common/units.h"

static st_source_fn tel_source;
static void *tel_ctx;

/* A snapshot on the heap (it is large), or NULL when there is none. */
static struct st_snapshot *take(void)
{
    struct st_snapshot *s = malloc(sizeof(*s));
    if (s != NULL && tel_source(tel_ctx, s) != 0) {
        free(s);
        s = NULL;
    }
    return s;
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
    (void)cmd;
    (void)params;
    struct st_snapshot *s = take();
    if (s == NULL)
        return -EAGAIN;
    rte_tel_data_start_dict(d);
    for (int i = 0; i < QC_MAX; i++)
        rte_tel_data_add_dict_u64(d, lc_queue_counter_names[i], s->tq[i]);
    for (int i = 0; i < PC_MAX; i++)
        rte_tel_data_add_dict_u64(d, lc_port_counter_names[i], s->tp[i]);
    for (int i = 0; s->hook_on && i < HC_MAX; i++)
        rte_tel_data_add_dict_u64(d, lc_hook_counter_names[i], s->hv[i]);
    rte_tel_data_add_dict_u64(d, "files", s->files);
    rte_tel_data_add_dict_u64(d, "blocks_free", s->blocks_free);
    rte_tel_data_add_dict_u64(d, "blocks_total", s->blocks_total);
    rte_tel_data_add_dict_u64(d, "mbufs_in_use", s->mbufs_in_use);
    rte_tel_data_add_dict_u64(d, "uptime_ms", (uint64_t)(s->elapsed_s * 1000));
    free(s);
    return 0;
}

static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
    (void)cmd;
    (void)params;
    struct st_snapshot *s = take();
    if (s == NULL)
        return -EAGAIN;
    rte_tel_data_start_dict(d);
    for (int p = 0; p < s->nports; p++) {
        const struct st_port *pt = &s->ports[p];
        struct rte_tel_data *c = rte_tel_data_alloc();
        if (c == NULL)
            break;
        rte_tel_data_start_dict(c);
        rte_tel_data_add_dict_string(c, "name", pt->name);
        rte_tel_data_add_dict_string(c, "driver", pt->driver);
        rte_tel_data_add_dict_u64(c, "queues", (uint64_t)pt->nq);
        for (int i = 0; i < PC_MAX; i++)
            rte_tel_data_add_dict_u64(c, lc_port_counter_names[i], pt->v[i]);
        char key[16];
        snprintf(key, sizeof(key), "%u", pt->port);
        rte_tel_data_add_dict_container(d, key, c, 0);
    }
    free(s);
    return 0;
}

static int cmd_queues(const char *cmd, const char *params, struct rte_tel_data *d)
{
    (void)cmd;
    uint64_t port;
    if (params == NULL || lc_parse_u64(params, 0, UINT16_MAX, &port) < 0)
        return -EINVAL;
    struct st_snapshot *s = take();
    if (s == NULL)
        return -EAGAIN;
    int p = 0;
    while (p < s->nports && s->ports[p].port != port)
        p++;
    if (p == s->nports) {
        free(s);
        return -ENODEV;
    }
    rte_tel_data_start_dict(d);
    const struct st_port *pt = &s->ports[p];
    for (int q = 0; q < pt->nq; q++) {
        struct rte_tel_data *c = rte_tel_data_alloc();
        if (c == NULL)
            break;
        rte_tel_data_start_dict(c);
        rte_tel_data_add_dict_int(c, "stream", pt->q[q].stream);
        rte_tel_data_add_dict_int(c, "cpu", (int)pt->q[q].lcore);
        for (int i = 0; i < QC_MAX; i++)
            rte_tel_data_add_dict_u64(c, lc_queue_counter_names[i], pt->q[q].v[i]);
        char key[16];
        snprintf(key, sizeof(key), "%u", pt->q[q].queue);
        rte_tel_data_add_dict_container(d, key, c, 0);
    }
    free(s);
    return 0;
}

int lc_telemetry_register(st_source_fn source, void *ctx)
{
    int rc;
    tel_source = source;
    tel_ctx = ctx;
    rc = rte_telemetry_register_cmd("/linecap/stats", cmd_stats,
                                    "linecap totals: every queue and port counter. No parameters");
    if (rc == 0)
        rc = rte_telemetry_register_cmd("/linecap/ports", cmd_ports,
                                        "linecap per-port device counters. No parameters");
    if (rc == 0)
        rc = rte_telemetry_register_cmd("/linecap/queues", cmd_queues,
                                        "linecap per-queue counters. Parameter: port id");
    return rc;
}
