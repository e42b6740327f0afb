#include "common/tsclock.h"

#include <time.h>

static uint64_t ts_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t lc_realtime_ns(void)
{
    return ts_ns(CLOCK_REALTIME);
}

/* Read the TSC and a clock together; keep the tightest of a few tries so a
 * preemption between the two reads does not skew the pair. */
static void pair(clockid_t id, uint64_t *tsc, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = lc_rdtsc();
        uint64_t n = ts_ns(id);
        uint64_t t1 = lc_rdtsc();
        if (t1 - t0 < best) {
            best = t1 - t0;
            *tsc = t0 + (t1 - t0) / 2;
            *ns = n;
        }
    }
}

void lc_clock_calibrate(struct lc_clock *c, unsigned window_ms, uint64_t hint_hz)
{
    uint64_t t0 = 0, n0 = 0, t1 = 0, n1 = 0;
    struct timespec w = { .tv_sec = window_ms / 1000,
                          .tv_nsec = (long)(window_ms % 1000) * 1000000L };

    pair(CLOCK_MONOTONIC_RAW, &t0, &n0);
    nanosleep(&w, NULL);
    pair(CLOCK_MONOTONIC_RAW, &t1, &n1);

    uint64_t hz = (n1 > n0) ? (uint64_t)((__uint128_t)(t1 - t0) * 1000000000ULL / (n1 - n0)) : 0;
    if (hz < 100000000ULL && hint_hz)   /* < 100 MHz: measurement failed */
        hz = hint_hz;
    if (hz == 0)
        hz = 1000000000ULL;
    c->hz = hz;
    c->mult = (uint64_t)(((__uint128_t)1000000000ULL << 32) / hz);
    pair(CLOCK_REALTIME, &c->base_tsc, &c->base_ns);
}
