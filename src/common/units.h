/* Strict parsers for numbers users type: every character must be consumed,
 * values are range-checked, and nothing is silently truncated. */
#ifndef LC_UNITS_H
#define LC_UNITS_H

#include <stddef.h>
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

/* A rate: a positive decimal with an optional fraction and an optional k, m
 * or g suffix (10^3, 10^6, 10^9, either case): "10g", "2.5g", "14.88m",
 * "1000000". Returns 0, or -EINVAL / -ERANGE (zero, or above max). */
int lc_parse_si(const char *s, double max, double *out);

/* "aa:bb:cc:dd:ee:ff" (two hex digits per byte, either case) -> 6 bytes.
 * Returns 0 or -EINVAL. */
int lc_parse_mac(const char *s, uint8_t mac[6]);

/* Dotted-quad "a.b.c.d" (each 0-255, 1-3 digits) -> host-order address.
 * Returns 0 or -EINVAL. */
int lc_parse_ipv4(const char *s, uint32_t *ip);

/* The one usage-error line of every option parser: fmt into err (it names
 * the bad value and what was expected). Returns EXIT_USAGE. */
int lc_bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
