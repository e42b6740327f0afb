/* Strict parsers for numbers users type: every character must be consumed,
 * values are range-checked, and nothing is silently truncated. */
#ifndef LC_UNITS_H
#define LC_UNITS_H

#include <stdint.h>

/* Decimal unsigned integer in [min, max]. Returns 0, or -EINVAL / -ERANGE. */
int lc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Duration in seconds with an optional fraction ("1", "0.5", "2.25") and an
 * optional unit suffix ms, s, m, h. Result in nanoseconds, > 0.
 * Returns 0, or -EINVAL / -ERANGE. */
int lc_parse_duration_ns(const char *s, uint64_t *ns);

/* A size in bytes: a whole number with an optional binary suffix k, M, G or
 * T (powers of 1024; "KiB" style spellings too), e.g. "500M", "2G", "4096".
 * Returns 0, or -EINVAL / -ERANGE (overflow, or 0). */
int lc_parse_size(const char *s, uint64_t *bytes);

/* A list of CPU ids: "1", "0,2", "1-3,5". Returns the count (> 0) written to
 * ids (at most max), or -EINVAL / -ERANGE. Duplicates are rejected. */
int lc_parse_cpu_list(const char *s, unsigned *ids, int max);

#endif
