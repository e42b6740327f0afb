/* One output file's lifecycle: created under a hidden partial name
 * (O_EXCL|O_NOFOLLOW, mode 0600 whatever the umask), written with aligned
 * direct writes, trimmed to its logical length, synced and renamed to its
 * final name without replacing anything. Plain file descriptors only. */
#ifndef LC_OUTFILE_H
#define LC_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTFILE_ALIGN 4096

struct outfile {
    int dirfd;              /* output directory (not owned) */
    int fd;                 /* -1 when closed */
    bool direct;            /* O_DIRECT currently in effect */
    uint64_t length;        /* logical length (what the file will be trimmed to) */
    char partial[300];
    char final[300];
};

/* Create dir/.final.partial and lock it (flock LOCK_EX, held until close).
 * want_direct asks for O_DIRECT; when the filesystem refuses it the file is
 * written buffered and *fell_back is set. Returns 0 or a negative errno
 * (-EEXIST if the final or partial name exists; -ENOLCK when the file cannot
 * be locked: it is then removed). */
int outfile_open(struct outfile *f, int dirfd, const char *final, unsigned mode,
                 bool want_direct, bool *fell_back);

/* Write len bytes at offset off, looping over short writes and EINTR. With
 * O_DIRECT buf, len and off must be OUTFILE_ALIGN-aligned; if the kernel
 * refuses the direct write (EINVAL) the file continues buffered and
 * *fell_back is set. Returns 0 or a negative errno. */
int outfile_pwrite(struct outfile *f, const void *buf, size_t len, uint64_t off,
                   bool *fell_back);

/* Trim to f->length, fdatasync if sync, close and rename to the final name
 * (never replacing an existing file), then sync the directory.
 * Returns 0 or a negative errno; the fd is closed in every case. */
int outfile_close(struct outfile *f, bool sync);

/* Close and remove the partial file: for a file of which not even the
 * header reached the disk (a final name must always be a valid file). */
void outfile_discard(struct outfile *f);

/* Rename dirfd/from to dirfd/to, never replacing an existing name
 * (renameat2 RENAME_NOREPLACE; link+unlink where the filesystem lacks it).
 * Returns 0 or -errno (-EEXIST when `to` exists). */
int outfile_rename_noreplace(int dirfd, const char *from, const char *to);

#endif
