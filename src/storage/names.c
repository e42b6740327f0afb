#include "storage/names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int names_split(const char *path, struct name_template *t)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0;

    memset(t, 0, sizeof(*t));
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return -EINVAL;
    if (slash) {
        if (dlen == 0)
            dlen = 1;               /* "/name" */
        if (dlen >= sizeof(t->dir))
            return -EINVAL;
        memcpy(t->dir, path, dlen);
    } else {
        strcpy(t->dir, ".");
    }
    const char *dot = strrchr(base, '.');
    size_t plen = (dot && dot != base) ? (size_t)(dot - base) : strlen(base);
    if (plen >= sizeof(t->prefix))
        return -EINVAL;
    memcpy(t->prefix, base, plen);
    if (dot && dot != base) {
        if (strlen(dot) >= sizeof(t->ext))
            return -EINVAL;
        strcpy(t->ext, dot);
    }
    return 0;
}

int names_format(char *out, size_t cap, const struct name_template *t, bool rotating,
                 int stream, uint64_t seq, uint64_t start_ns)
{
    char stag[16] = "";
    int n;

    if (stream >= 0)
        snprintf(stag, sizeof(stag), "_s%d", stream);
    if (!rotating) {
        n = snprintf(out, cap, "%s%s%s", t->prefix, stag, t->ext);
    } else {
        time_t sec = (time_t)(start_ns / 1000000000ULL);
        struct tm tm;
        char when[32];
        localtime_r(&sec, &tm);
        strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
        n = snprintf(out, cap, "%s%s_%05llu_%s%s", t->prefix, stag,
                     (unsigned long long)seq, when, t->ext);
    }
    if (n < 0 || (size_t)n >= cap || n > 255)
        return -ENAMETOOLONG;
    return n;
}

int names_partial(char *out, size_t cap, const char *base)
{
    int n = snprintf(out, cap, ".%s%s", base, LC_PARTIAL_SUFFIX);
    if (n < 0 || (size_t)n >= cap || n > 255)
        return -ENAMETOOLONG;
    return n;
}
