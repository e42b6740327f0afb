#include "storage/outfile.h"
#include "storage/names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int outfile_open(struct outfile *f, int dirfd, const char *final, unsigned mode,
                 bool want_direct, bool *fell_back)
{
    struct stat st;
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->dirfd = dirfd;
    if (snprintf(f->final, sizeof(f->final), "%s", final) >= (int)sizeof(f->final))
        return -ENAMETOOLONG;
    if (names_partial(f->partial, sizeof(f->partial), final) < 0)
        return -ENAMETOOLONG;
    /* Never overwrite: the final name must not exist (a link counts). */
    if (fstatat(dirfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return -EEXIST;

    /* O_DIRECT is set after the open with fcntl(F_SETFL), not asked of
     * openat: some filesystems (older tmpfs, some FUSE) create the file and
     * then fail openat(O_DIRECT) with EINVAL, so a buffered O_EXCL retry
     * met EEXIST and left an empty partial file. Removing that name before
     * a retry would unlink by name a file that may by then be another's;
     * one open and then F_SETFL, which takes O_DIRECT or refuses it (then
     * buffered writes, *fell_back for the caller's warning), creates once. */
    int fd = openat(dirfd, f->partial, flags, mode);
    if (fd < 0)
        return -errno;
    /* Locked at once and held until close (or death): `linecap recover`
     * leaves a locked partial file alone (and an unlocked empty one younger
     * than a few seconds), so it never trims or removes a file being
     * written. Blocking: a recover holds a lock only while it looks. A file
     * that cannot be locked is not written, as it would be unprotected. */
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            close(fd);
            unlinkat(dirfd, f->partial, 0);
            return -ENOLCK;
        }
    }
    /* A recover older than the young-file rule may have removed the name
     * while it held the lock: then this file would vanish at close. */
    if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
        close(fd);
        return -ENOENT;
    }
    if (want_direct) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_DIRECT) < 0) {
            *fell_back = true;
            want_direct = false;
        }
    }
    /* The umask may have narrowed or (with a group option) we want exactly
     * mode: set it explicitly. */
    if (fchmod(fd, mode) < 0) {
        int e = errno;
        close(fd);
        unlinkat(dirfd, f->partial, 0);
        return -e;
    }
    f->fd = fd;
    f->direct = want_direct;
    return 0;
}

int outfile_pwrite(struct outfile *f, const void *buf, size_t len, uint64_t off,
                   bool *fell_back)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(f->fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EINVAL && f->direct) {
                /* The filesystem takes O_DIRECT at open but not this write:
                 * continue buffered, same bytes. */
                int fl = fcntl(f->fd, F_GETFL);
                if (fl < 0 || fcntl(f->fd, F_SETFL, fl & ~O_DIRECT) < 0)
                    return -EINVAL;
                f->direct = false;
                *fell_back = true;
                continue;
            }
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int outfile_rename_noreplace(int dirfd, const char *from, const char *to)
{
    if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
        return 0;
    int e = errno;
    if (e != EINVAL && e != ENOSYS)
        return -e;
    /* Filesystem without RENAME_NOREPLACE: link+unlink never replaces. */
    if (linkat(dirfd, from, dirfd, to, 0) < 0)
        return -errno;
    unlinkat(dirfd, from, 0);
    return 0;
}

void outfile_discard(struct outfile *f)
{
    if (f->fd < 0)
        return;
    close(f->fd);
    f->fd = -1;
    unlinkat(f->dirfd, f->partial, 0);
}

int outfile_close(struct outfile *f, bool sync)
{
    int rc = 0;

    if (f->fd < 0)
        return -EBADF;
    if (ftruncate(f->fd, (off_t)f->length) < 0)
        rc = -errno;
    if (sync && fdatasync(f->fd) < 0 && rc == 0)
        rc = -errno;
    if (close(f->fd) < 0 && rc == 0)
        rc = -errno;
    f->fd = -1;
    /* Rename even after an error: the trimmed prefix is a valid file and
     * must not stay hidden under its partial name. */
    int r = outfile_rename_noreplace(f->dirfd, f->partial, f->final);
    if (r < 0 && rc == 0)
        rc = r;
    if (sync && fsync(f->dirfd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}
