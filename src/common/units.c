#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcodes.h"

int lc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int lc_parse_size(const char *s, uint64_t *bytes)
{
    static const char units[] = "kmgt";
    char num[32];
    size_t n = 0;
    uint64_t v;

    if (s == NULL)
        return -EINVAL;
    while (isdigit((unsigned char)s[n]))
        n++;
    if (n == 0 || n >= sizeof(num))
        return n == 0 ? -EINVAL : -ERANGE;
    memcpy(num, s, n);
    num[n] = '\0';
    int rc = lc_parse_u64(num, 1, UINT64_MAX, &v);
    if (rc < 0)
        return rc;
    const char *u = s + n;
    unsigned shift = 0;
    if (*u) {
        const char *k = strchr(units, tolower((unsigned char)*u));
        if (k == NULL)
            return -EINVAL;
        shift = 10u * (unsigned)(k - units + 1);
        u++;
        if (strcmp(u, "iB") != 0 && strcmp(u, "B") != 0 && strcmp(u, "") != 0)
            return -EINVAL;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *bytes = v << shift;
    return 0;
}

/* The decimal at *s: digits, then optionally '.' and digits, at least one
 * digit in all. The integer part in *ip (-ERANGE once it passes limit), the
 * first 9 digits of the fraction as *frac / *fscale; *s moved past it.
 * Returns 0, or -EINVAL / -ERANGE. */
static int scan_decimal(const char **s, uint64_t limit, uint64_t *ip, uint64_t *frac,
                        uint64_t *fscale)
{
    const char *p = *s;
    int digits = 0;

    *ip = 0;
    *frac = 0;
    *fscale = 1;
    for (; isdigit((unsigned char)*p); p++, digits++) {
        if (*ip > limit)
            return -ERANGE;
        *ip = *ip * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++, digits++) {
            if (*fscale < 1000000000ULL) {
                *frac = *frac * 10 + (uint64_t)(*p - '0');
                *fscale *= 10;
            }
        }
    }
    if (digits == 0)
        return -EINVAL;
    *s = p;
    return 0;
}

int lc_parse_duration_ns(const char *s, uint64_t *ns)
{
    uint64_t ip, frac, fscale;
    const char *p = s;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    int rc = scan_decimal(&p, 1000000000ULL, &ip, &frac, &fscale); /* > 31 years: a typo */
    if (rc < 0)
        return rc;

    uint64_t unit_ns;
    if (*p == '\0' || strcmp(p, "s") == 0)
        unit_ns = 1000000000ULL;
    else if (strcmp(p, "ms") == 0)
        unit_ns = 1000000ULL;
    else if (strcmp(p, "m") == 0)
        unit_ns = 60ULL * 1000000000ULL;
    else if (strcmp(p, "h") == 0)
        unit_ns = 3600ULL * 1000000000ULL;
    else
        return -EINVAL;

    /* Each step checked: the integer part can fit while the fraction
     * carries the sum past 2^64-1 ns ("307445734.99m" wrapped to 25.7 s). */
    uint64_t v, fv;
    __uint128_t f128 = (__uint128_t)frac * unit_ns / fscale;
    if (__builtin_mul_overflow(ip, unit_ns, &v) || f128 > UINT64_MAX)
        return -ERANGE;
    fv = (uint64_t)f128;
    if (__builtin_add_overflow(v, fv, &v))
        return -ERANGE;
    if (v == 0)
        return -ERANGE;
    *ns = v;
    return 0;
}

int lc_parse_cpu_list(const char *s, unsigned *ids, int max)
{
    int n = 0;
    const char *p = s;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    while (*p) {
        char *end;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        unsigned long a = strtoul(p, &end, 10), b = a;
        p = end;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                return -EINVAL;
            b = strtoul(p, &end, 10);
            p = end;
            if (b < a)
                return -EINVAL;
        }
        if (b >= 1024)
            return -ERANGE;
        for (unsigned long c = a; c <= b; c++) {
            /* a CPU may repeat: its lcores then share it (functional
             * tests of many streams on a small machine) */
            if (n >= max)
                return -ERANGE;
            ids[n++] = (unsigned)c;
        }
        if (*p == ',') {
            p++;
            if (*p == '\0')
                return -EINVAL;
        } else if (*p != '\0') {
            return -EINVAL;
        }
    }
    return n;
}

int lc_parse_si(const char *s, double max, double *out)
{
    uint64_t ip, frac, fscale;
    const char *p = s;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    int rc = scan_decimal(&p, 1000000000000000ULL, &ip, &frac, &fscale);
    if (rc < 0)
        return rc;
    double mult = 1;
    switch (*p) {
    case '\0': break;
    case 'k': case 'K': mult = 1e3; p++; break;
    case 'm': case 'M': mult = 1e6; p++; break;
    case 'g': case 'G': mult = 1e9; p++; break;
    default: return -EINVAL;
    }
    if (*p != '\0')
        return -EINVAL;
    double v = ((double)ip + (double)frac / (double)fscale) * mult;
    if (v <= 0 || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int lc_parse_mac(const char *s, uint8_t mac[6])
{
    uint8_t v[6];

    if (s == NULL)
        return -EINVAL;
    for (int i = 0; i < 6; i++, s += 3) {
        int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0 || s[2] != (i < 5 ? ':' : '\0'))
            return -EINVAL;
        v[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(mac, v, sizeof(v));
    return 0;
}

int lc_parse_ipv4(const char *s, uint32_t *ip)
{
    uint32_t v = 0;
    const char *p = s;

    if (s == NULL)
        return -EINVAL;
    for (int i = 0; i < 4; i++) {
        unsigned o = 0;
        int d = 0;
        for (; isdigit((unsigned char)*p) && d < 4; p++, d++)
            o = o * 10 + (unsigned)(*p - '0');
        if (d == 0 || d > 3 || o > 255)
            return -EINVAL;
        v = (v << 8) | o;
        if (i < 3) {
            if (*p != '.')
                return -EINVAL;
            p++;
        }
    }
    if (*p != '\0')
        return -EINVAL;
    *ip = v;
    return 0;
}

int lc_bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return EXIT_USAGE;
}
