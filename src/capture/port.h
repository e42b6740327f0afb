/* TEMPORARY (issue 12 merge): the port layer moved to dpdk/port.h. Only
 * src/app/main.c still includes this name; the integrator changes that
 * include and deletes this file. */
#include "dpdk/port.h"
