#include "stats/counters.h"

#define LC_NAME(name, help) #name,
#define LC_HELP(name, help) help,
const char *const lc_queue_counter_names[QC_MAX] = { LC_QUEUE_COUNTERS(LC_NAME) };
const char *const lc_queue_counter_help[QC_MAX] = { LC_QUEUE_COUNTERS(LC_HELP) };
const char *const lc_port_counter_names[PC_MAX] = { LC_PORT_COUNTERS(LC_NAME) };
const char *const lc_port_counter_help[PC_MAX] = { LC_PORT_COUNTERS(LC_HELP) };
