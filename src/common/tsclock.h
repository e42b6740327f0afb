/* TSC -> CLOCK_REALTIME nanoseconds.
 *
 * The receive path reads the TSC once per burst (one rdtsc costs ~6 ns in a
 * VM) and converts with one multiply and shift. The conversion is anchored
 * to CLOCK_REALTIME at start and the TSC frequency is measured against
 * CLOCK_MONOTONIC_RAW over a calibration window, so timestamps are
 * monotone and within a few ppm of the system clock. */
#ifndef LC_TSCLOCK_H
#define LC_TSCLOCK_H

#include <stdint.h>

struct lc_clock {
    uint64_t base_tsc;
    uint64_t base_ns;   /* CLOCK_REALTIME ns at base_tsc */
    uint64_t mult;      /* ns per tick, 32.32 fixed point */
    uint64_t hz;        /* measured ticks per second */
};

static inline uint64_t lc_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

static inline uint64_t lc_clock_ns(const struct lc_clock *c, uint64_t tsc)
{
    uint64_t d = tsc - c->base_tsc;
    return c->base_ns + (uint64_t)(((__uint128_t)d * c->mult) >> 32);
}

/* Ticks in ns nanoseconds (for deadlines compared against the TSC). */
static inline uint64_t lc_clock_ticks(const struct lc_clock *c, uint64_t ns)
{
    return (uint64_t)(((__uint128_t)ns * c->hz) / 1000000000ULL);
}

/* Measure the TSC rate over window_ms and anchor to CLOCK_REALTIME.
 * hint_hz (0 if unknown) is used when the measurement looks wrong. */
void lc_clock_calibrate(struct lc_clock *c, unsigned window_ms, uint64_t hint_hz);

/* CLOCK_REALTIME now, in ns. */
uint64_t lc_realtime_ns(void);

#endif
