/* LD_PRELOAD shim for the fault tests: makes pwrite() (what linecap's
 * writer uses for capture files), the O_DIRECT open and the lock of a
 * partial file misbehave on schedule.
 *
 *   LC_WFAULT="short=N,eintr=N,eio=N,enospc=N,odirect=N,nolock=1"
 *     short=N   every Nth call writes only half (rounded down to 4 KiB, so
 *               direct I/O stays aligned) and returns that count
 *     eintr=N   every Nth call fails with EINTR, writing nothing
 *     eio=N     every call after the Nth fails with EIO
 *     enospc=N  the disk holds N bytes (over all files): a write that would
 *               pass N writes what fits, rounded down to 4 KiB, and returns
 *               that count; once nothing fits, writes fail with ENOSPC
 *     odirect=1 openat(O_DIRECT) of a *.partial name creates the file and
 *               then fails with EINVAL, as older tmpfs and some FUSE do
 *     odirect=2 the same, and fcntl(F_SETFL) refuses O_DIRECT (EINVAL) on a
 *               *.partial file: a filesystem without direct I/O
 *     nolock=1  flock() on a *.partial file fails with ENOLCK
 *   LC_WFAULT_REPORT=PATH  at exit, "calls C short S eintr E eio I enospc B
 *               odirect O setfl F nolock L" to PATH
 *
 * linecap is built with _FILE_OFFSET_BITS=64, so its pwrite is pwrite64,
 * its openat openat64 and its fcntl fcntl64 (glibc >= 2.28).
 * Only for tests: not part of linecap. */
#undef _FILE_OFFSET_BITS      /* define openat and openat64 both, not one as the other */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);
static int (*real_flock)(int, int);
static long every_short, every_eintr, eio_after, enospc_at, odirect_mode, nolock;
static long calls, n_short, n_eintr, n_eio, n_enospc, n_odirect, n_setfl, n_nolock;
static long long written;

static void __attribute__((constructor)) wf_init(void)
{
    real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
    real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    real_openat64 = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat64");
    real_fcntl = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl");
    real_fcntl64 = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl64");
    real_flock = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
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
        else if (strncmp(s, "enospc=", 7) == 0)
            enospc_at = v;
        else if (strncmp(s, "odirect=", 8) == 0)
            odirect_mode = v;
        else if (strncmp(s, "nolock=", 7) == 0)
            nolock = v;
        s = strchr(s, ',');
        if (s)
            s++;
    }
}

static void __attribute__((destructor)) wf_report(void)
{
    const char *p = getenv("LC_WFAULT_REPORT");
    FILE *f = p && (calls || n_odirect || n_nolock) ? fopen(p, "w") : NULL;  /* the process that wrote */
    if (f) {
        fprintf(f, "calls %ld short %ld eintr %ld eio %ld enospc %ld odirect %ld setfl %ld "
                "nolock %ld\n", calls, n_short, n_eintr, n_eio, n_enospc, n_odirect, n_setfl,
                n_nolock);
        fclose(f);
    }
}

static int ends_partial(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 8 && strcmp(name + n - 8, ".partial") == 0;
}

static int fd_is_partial(int fd)
{
    char l[64], t[4096];
    snprintf(l, sizeof(l), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(l, t, sizeof(t) - 1);
    if (n <= 0)
        return 0;
    t[n] = '\0';
    return ends_partial(t);
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
    if (enospc_at) {
        /* one writer thread writes capture files: no race on `written` */
        long long room = enospc_at - __atomic_load_n(&written, __ATOMIC_RELAXED);
        if (room < (long long)n)
            n = room > 0 ? (size_t)room & ~(size_t)4095 : 0;
        if (n == 0) {
            __atomic_add_fetch(&n_enospc, 1, __ATOMIC_RELAXED);
            errno = ENOSPC;
            return -1;
        }
    }
    ssize_t w = real_pwrite(fd, buf, n, off);
    if (w > 0 && enospc_at)
        __atomic_add_fetch(&written, (long long)w, __ATOMIC_RELAXED);
    return w;
}

/* openat(O_DIRECT) as a filesystem that creates the file, then refuses */
static int wf_openat(int (*real)(int, const char *, int, ...), int dirfd, const char *name,
                     int flags, mode_t mode)
{
    if (odirect_mode && (flags & O_DIRECT) && ends_partial(name)) {
        __atomic_add_fetch(&n_odirect, 1, __ATOMIC_RELAXED);
        int fd = real(dirfd, name, flags & ~O_DIRECT, mode);
        if (fd < 0)
            return -1;
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return real(dirfd, name, flags, mode);
}

int openat(int dirfd, const char *name, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    return wf_openat(real_openat, dirfd, name, flags, mode);
}

int openat64(int dirfd, const char *name, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    return wf_openat(real_openat64 ? real_openat64 : real_openat, dirfd, name, flags, mode);
}

static int wf_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
    if (odirect_mode >= 2 && cmd == F_SETFL && ((long)arg & O_DIRECT) && fd_is_partial(fd)) {
        __atomic_add_fetch(&n_setfl, 1, __ATOMIC_RELAXED);
        errno = EINVAL;
        return -1;
    }
    return real(fd, cmd, arg);
}

/* as glibc's own fcntl: the third argument, when there is one, is read as a
 * pointer-sized value */
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return wf_fcntl(real_fcntl, fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return wf_fcntl(real_fcntl64 ? real_fcntl64 : real_fcntl, fd, cmd, arg);
}

int flock(int fd, int op)
{
    if (nolock && fd_is_partial(fd)) {
        __atomic_add_fetch(&n_nolock, 1, __ATOMIC_RELAXED);
        errno = ENOLCK;
        return -1;
    }
    return real_flock(fd, op);
}
