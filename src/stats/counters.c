#include "stats/counters.h"

#define LC_NAME(name, cls, help) #name,
#define LC_HELP(name, cls, help) help,
#define LC_CLASS(name, cls, help) LC_CNT_##cls,
const char *const lc_queue_counter_names[QC_MAX] = { LC_QUEUE_COUNTERS(LC_NAME) };
const char *const lc_queue_counter_help[QC_MAX] = { LC_QUEUE_COUNTERS(LC_HELP) };
const enum lc_counter_class lc_queue_counter_class[QC_MAX] = { LC_QUEUE_COUNTERS(LC_CLASS) };
const char *const lc_port_counter_names[PC_MAX] = { LC_PORT_COUNTERS(LC_NAME) };
const char *const lc_port_counter_help[PC_MAX] = { LC_PORT_COUNTERS(LC_HELP) };
const enum lc_counter_class lc_port_counter_class[PC_MAX] = { LC_PORT_COUNTERS(LC_CLASS) };
const char *const lc_hook_counter_names[HC_MAX] = { LC_HOOK_COUNTERS(LC_NAME) };
const char *const lc_hook_counter_help[HC_MAX] = { LC_HOOK_COUNTERS(LC_HELP) };
#define LC_NOT_DROP(name, cls, help) _Static_assert(LC_CNT_##cls != LC_CNT_DROP, #name);
LC_HOOK_COUNTERS(LC_NOT_DROP)       /* files, not packets: never in "drops" */

static uint64_t drops(const uint64_t *v, const enum lc_counter_class *cls, int n)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        if (cls[i] == LC_CNT_DROP)
            s += v[i];
    return s;
}

uint64_t lc_queue_drops(const uint64_t *v)
{
    return drops(v, lc_queue_counter_class, QC_MAX);
}

uint64_t lc_port_drops(const uint64_t *v)
{
    return drops(v, lc_port_counter_class, PC_MAX);
}
