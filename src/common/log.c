#include "common/log.h"

#include <stdio.h>

const char *lc_progname = "linecap";
int lc_verbose = 1;

static void vlog(const char *tag, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof(line), fmt, ap);
    fprintf(stderr, "%s: %s%s\n", lc_progname, tag, line);
}

void lc_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("error: ", fmt, ap);
    va_end(ap);
}

void lc_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}

void lc_info(const char *fmt, ...)
{
    va_list ap;
    if (lc_verbose <= 0)
        return;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}
