/* LD_PRELOAD shim for the fault tests: makes pwrite() (what linecap's
 * writer uses for capture files) misbehave on schedule.
 *
 *   LC_WFAULT="short=N,eintr=N,eio=N,enospc=N"
 *     short=N   every Nth call writes only half (rounded down to 4 KiB, so
 *               direct I/O stays aligned) and returns that count
 *     eintr=N   every Nth call fails with EINTR, writing nothing
 *     eio=N     every call after the Nth fails with EIO
 *   LC_WFAULT_REPORT=PATH  at exit, "calls C short S eintr E eio I" to PATH
 *
 * linecap is built with _FILE_OFFSET_BITS=64, so its pwrite is pwrite64.
 * Only for tests: not part of linecap. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static long every_short, every_eintr, eio_after;
static long calls, n_short, n_eintr, n_eio;

static void __attribute__((constructor)) wf_init(void)
{
    real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
    const char *s = getenv("LC_WFAULT");
    while (s && *s) {
        long v = 0;
        const char *eq = strchr(s, '=');
        if (eq == NULL)
            break;
        v = strtol(eq + 1, NULL, 10);
        if (strncmp(s, "short=", 6) == 0)
            every_short = v;
        else if (strncmp(s, "eintr=", 6) == 0)
            every_eintr = v;
        else if (strncmp(s, "eio=", 4) == 0)
            eio_after = v;
        s = strchr(s, ',');
        if (s)
            s++;
    }
}

static void __attribute__((destructor)) wf_report(void)
{
    const char *p = getenv("LC_WFAULT_REPORT");
    FILE *f = p && calls ? fopen(p, "w") : NULL;     /* the process that wrote */
    if (f) {
        fprintf(f, "calls %ld short %ld eintr %ld eio %ld\n", calls, n_short, n_eintr, n_eio);
        fclose(f);
    }
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    long k = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (eio_after && k > eio_after) {
        __atomic_add_fetch(&n_eio, 1, __ATOMIC_RELAXED);
        errno = EIO;
        return -1;
    }
    if (every_eintr && k % every_eintr == 0) {
        __atomic_add_fetch(&n_eintr, 1, __ATOMIC_RELAXED);
        errno = EINTR;
        return -1;
    }
    if (every_short && k % every_short == 0 && n >= 8192) {
        __atomic_add_fetch(&n_short, 1, __ATOMIC_RELAXED);
        n = (n / 2) & ~(size_t)4095;
    }
    return real_pwrite(fd, buf, n, off);
}
