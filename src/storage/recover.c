/* Recovery of partial capture files: see recover.h.
 *
 * Nothing past the last record that can be checked whole is trusted: each
 * file is walked by its encoder's own valid_prefix (format/pcap.c: caplen
 * within the snap length and the frame, nanoseconds below 1e9, the record
 * inside the file; format/pcapng.c: a block length that is a multiple of 4,
 * at least 12, inside the file and repeated in its trailer, packets on a
 * known interface). Files linecap did not write are left alone. */
#include "storage/recover.h"
#include "format/byteorder.h"

#include "format/format.h"
#include "format/pcap.h"
#include "index/index.h"
#include "storage/names.h"
#include "storage/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_MIN_SHB 28u

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Where the walk stopped: zeros (the padding of the last aligned write) or
 * a torn record. */
static void tail_reason(const uint8_t *p, struct recover_scan *out)
{
    if (out->good_end < out->size)
        out->why = all_zero(p + out->good_end, out->size - out->good_end)
                       ? "zero-filled tail" : "torn record";
}

void recover_scan_buf(const uint8_t *p, size_t n, struct recover_scan *out)
{
    /* The encoders' own walkers decide what a complete record is: the
     * rules live with each format (format/pcap.c, format/pcapng.c). */
    memset(out, 0, sizeof(*out));
    out->size = n;
    if (n == 0) {
        out->zero = true;
        out->why = "empty";
        return;
    }
    if (n >= 4 && rd32(p, false) == PCAPNG_SHB) {
        uint32_t bom = n >= 12 ? rd32(p + 8, false) : 0;
        if (bom != PCAPNG_BOM && !(n < 12 || all_zero(p + 4, 8))) {
            out->format = RECOVER_UNKNOWN;      /* other byte order: not ours */
            out->why = "a section header linecap does not write (byte order)";
            return;
        }
        if (bom != PCAPNG_BOM || n < PCAPNG_MIN_SHB) {
            out->why = "a torn section header";
            return;
        }
        if (rd32(p + 4, false) > n) {
            out->why = "a section header longer than the file (torn)";
            return;
        }
        out->good_end = format_pcapng.valid_prefix(p, n, &out->records);
        if (out->good_end == 0) {
            out->format = RECOVER_UNKNOWN;
            out->why = "a section header linecap does not write (byte order or version)";
            return;
        }
        out->format = RECOVER_PCAPNG;
        tail_reason(p, out);
        return;
    }
    if (n < sizeof(struct pcap_file_hdr)) {
        out->zero = all_zero(p, n);
        out->why = out->zero ? "zeros only" : "a torn file header";
        return;
    }
    if (all_zero(p, sizeof(struct pcap_file_hdr))) {
        out->zero = all_zero(p, n);
        out->why = out->zero ? "zeros only" : "a file header of zeros, but data after it";
        return;
    }
    if (rd32(p, false) != PCAP_MAGIC_NSEC) {
        out->format = RECOVER_UNKNOWN;
        out->why = "not a pcap or pcapng file written by linecap (unknown magic)";
        return;
    }
    out->format = RECOVER_PCAP;
    out->good_end = format_pcap.valid_prefix(p, n, &out->records);
    tail_reason(p, out);
}

int recover_scan_fd(int fd, struct recover_scan *out)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (st.st_size == 0) {
        recover_scan_buf(NULL, 0, out);
        return 0;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return -errno;
    recover_scan_buf(m, (size_t)st.st_size, out);
    munmap(m, (size_t)st.st_size);
    return 0;
}

bool recover_final_name(const char *partial, char *out, size_t cap)
{
    size_t n = strlen(partial), sl = strlen(LC_PARTIAL_SUFFIX);
    if (n < 2 + sl || partial[0] != '.' || strcmp(partial + n - sl, LC_PARTIAL_SUFFIX) != 0 ||
        strchr(partial, '/') != NULL)
        return false;
    size_t k = n - sl - 1;
    if (k + 1 > cap)
        return false;
    memcpy(out, partial + 1, k);
    out[k] = '\0';
    return strcmp(out, ".") != 0 && strcmp(out, "..") != 0;
}

/* NAME.EXT -> NAME.recovered.EXT (NAME.recovered without an extension) */
static bool alt_name(const char *final, char *out, size_t cap)
{
    const char *dot = strrchr(final, '.');
    int n;
    if (dot == NULL || dot == final)
        n = snprintf(out, cap, "%s.recovered", final);
    else
        n = snprintf(out, cap, "%.*s.recovered%s", (int)(dot - final), final, dot);
    return n > 0 && (size_t)n < cap;
}

/* Whether dirfd/name is the file of st (same device and inode). */
static bool same_file(int dirfd, const char *name, const struct stat *st)
{
    struct stat o;
    return fstatat(dirfd, name, &o, AT_SYMLINK_NOFOLLOW) == 0 && o.st_dev == st->st_dev &&
           o.st_ino == st->st_ino;
}

/* Secure res->final (else its .recovered form) for the file before a byte
 * of it changes: a hard link, which never replaces. A name that already is
 * this file (the link of a recover that died before removing the partial
 * name) is taken as it is. 0, -EEXIST when both are other files, or the
 * linkat error (a filesystem without hard links: -EPERM, -EOPNOTSUPP). */
static int reserve_name(int dirfd, const char *name, const struct stat *st,
                        struct recover_result *res)
{
    char alt[sizeof(res->final)];
    if (!alt_name(res->final, alt, sizeof(alt)))
        return -ENAMETOOLONG;
    const char *cand[2] = { res->final, alt };
    for (int i = 0; i < 2; i++) {
        if (linkat(dirfd, name, dirfd, cand[i], 0) == 0 || (errno == EEXIST && same_file(dirfd, cand[i], st))) {
            if (i == 1)
                memcpy(res->final, alt, sizeof(alt));
            return 0;
        }
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* Cut the file after its last complete record, if anything follows it.
 * 0 or -errno. */
static int trim_to_good(int fd, struct recover_result *res)
{
    if (res->scan.good_end < res->scan.size) {
        if (ftruncate(fd, (off_t)res->scan.good_end) < 0)
            return -errno;
        res->trimmed = true;
    }
    return 0;
}

/* Without hard links: pick the first free name now, trim, then rename
 * without replacing. Another process can take the name in between; then
 * the trimmed file stays under its partial name (-EEXIST, res->trimmed). */
static int trim_and_rename(int fd, int dirfd, const char *name, struct recover_result *res)
{
    char alt[sizeof(res->final)];
    struct stat st;
    if (!alt_name(res->final, alt, sizeof(alt)))
        return -ENAMETOOLONG;
    bool final_free = fstatat(dirfd, res->final, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
    if (!final_free) {
        if (!(fstatat(dirfd, alt, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT))
            return -EEXIST;
        memcpy(res->final, alt, sizeof(alt));
    }
    int rc = trim_to_good(fd, res);
    if (rc < 0)
        return rc;
    if (fdatasync(fd) < 0)
        return -errno;
    return outfile_rename_noreplace(dirfd, name, res->final);
}

int recover_path(int dirfd, const char *name, bool dry_run, struct recover_result *res)
{
    memset(res, 0, sizeof(*res));
    if (!recover_final_name(name, res->final, sizeof(res->final)))
        return -EINVAL;
    int fd = openat(dirfd, name, (dry_run ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    /* The writer locks its file right after creating it and holds the
     * lock until the file has its final name. */
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            res->busy = true;
            return 0;
        }
        return -e;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    res->age = (double)(now.tv_sec - st.st_mtim.tv_sec) +
               (double)(now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
    int rc = recover_scan_fd(fd, &res->scan);
    if (rc < 0)
        goto out;
    if (res->scan.format == RECOVER_UNKNOWN) {
        rc = -EILSEQ;
        goto out;
    }
    if (res->scan.format == RECOVER_NONE) {
        if (!res->scan.zero) {
            rc = -ENODATA;          /* a torn header over real bytes: a person looks */
            goto out;
        }
        /* Empty or zeros only: nothing was captured into it -- unless it is
         * so new that a capture may have created it and not yet locked it
         * (or written its header); a clock step back also counts as new. */
        if (res->age < RECOVER_YOUNG_SECS) {
            res->young = true;
            goto out;
        }
        if (!dry_run) {
            if (unlinkat(dirfd, name, 0) < 0) {
                rc = -errno;
                goto out;
            }
            (void)fsync(dirfd);
        }
        res->removed = true;
        goto out;
    }
    if (dry_run)
        goto out;
    rc = reserve_name(dirfd, name, &st, res);
    if (rc == -EEXIST)
        goto out;                   /* untouched */
    if (rc < 0) {
        rc = trim_and_rename(fd, dirfd, name, res);
        if (rc == 0)
            (void)fsync(dirfd);
        goto out;
    }
    /* Both names are links to this file now: trim, sync, drop the partial
     * name. A crash in between leaves both; the next recover finds the
     * final name is this file and goes on. */
    if ((rc = trim_to_good(fd, res)) < 0) {
        unlinkat(dirfd, res->final, 0);         /* undo the link: as it was */
        goto out;
    }
    if (fdatasync(fd) < 0) {
        rc = -errno;
        unlinkat(dirfd, res->final, 0);         /* not synced: no final name */
        goto out;
    }
    if (unlinkat(dirfd, name, 0) < 0) {
        rc = -errno;
        goto out;
    }
    (void)fsync(dirfd);
out:
    close(fd);
    return rc;
}

/* ---- the index beside a capture file ---- */

#define IDX_READ_MAX (1ULL << 32)   /* an index this large is not one we wrote */

static void seterr(struct recover_idx_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void seterr(struct recover_idx_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->err, sizeof(res->err), fmt, ap);
    va_end(ap);
}

bool recover_index_partial_name(const char *name, char *out, size_t cap)
{
    char final[600];
    size_t sl = strlen(IDX_SUFFIX);
    if (!recover_final_name(name, final, sizeof(final)))
        return false;
    size_t n = strlen(final);
    if (n <= sl || strcmp(final + n - sl, IDX_SUFFIX) != 0 || n - sl + 1 > cap)
        return false;
    memcpy(out, final, n - sl);
    out[n - sl] = '\0';
    return true;
}

/* The identity of the capture file open on fd: its size, first bytes and
 * format (struct idx_ident; data_end is the index's to say). */
static int cap_ident(int fd, struct idx_ident *id, struct stat *st)
{
    memset(id, 0, sizeof(*id));
    if (fstat(fd, st) < 0)
        return -errno;
    if (!S_ISREG(st->st_mode))
        return -EINVAL;
    ssize_t n = pread(fd, id->head, sizeof(id->head), 0);
    if (n < 0)
        return -errno;
    id->file_size = (uint64_t)st->st_size;
    id->format = n >= 4 && rd32(id->head, false) == PCAPNG_SHB ? 2 : 1;
    return 0;
}

/* The whole of a regular file open on fd, malloc'd. 0 or -errno. */
static int read_all(int fd, uint8_t **buf, size_t *len)
{
    struct stat st;
    *buf = NULL;
    *len = 0;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((uint64_t)st.st_size > IDX_READ_MAX)
        return -EFBIG;
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *p = malloc(n ? n : 1);
    if (p == NULL)
        return -ENOMEM;
    while (got < n) {
        ssize_t k = pread(fd, p + got, n - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            free(p);
            return -e;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    *buf = p;
    *len = got;
    return 0;
}

/* Whether [buf, buf+len) is a valid index that describes the file id.
 * *why: "torn" (does not validate) or "stale" (another file's). */
static bool idx_good(const uint8_t *buf, size_t len, const struct idx_ident *id,
                     uint64_t *records, const char **why)
{
    struct idx x;
    char err[160];
    if (idx_open(&x, buf, len, err, sizeof(err)) < 0) {
        *why = "torn";
        return false;
    }
    bool ok = idx_matches(&x, id);
    if (ok)
        *records = x.records;
    else
        *why = "stale";
    idx_close(&x);
    return ok;
}

/* Whether the partial name dirfd/part is free to take over: no capture
 * holds its lock and (unless its writer is known dead: its capture file was
 * just recovered) it is not a file a capture has only just created, empty
 * and young. Opens it into *fd (locked) when it exists. 0 (with *fd -1 when
 * it does not exist), -EBUSY, or -errno. */
static int take_partial(int dirfd, const char *part, bool dead, int *fd)
{
    struct stat st;
    struct timespec now;
    *fd = openat(dirfd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0)
        return errno == ENOENT ? 0 : -errno;
    if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return e == EWOULDBLOCK ? -EBUSY : -e;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (!dead && st.st_size == 0 && now.tv_sec - st.st_mtim.tv_sec < RECOVER_YOUNG_SECS)) {
        int e = S_ISREG(st.st_mode) ? -EBUSY : -EINVAL;
        close(*fd);
        *fd = -1;
        return e;
    }
    return 0;
}

/* Write img as dirfd/final through its partial name: created exclusively
 * (a leftover partial that no capture holds is removed first), locked,
 * written, synced, renamed (over an existing final name only when replace),
 * the directory synced. 0 or -errno; nothing is left on failure. */
static int write_index(int dirfd, const char *final, const uint8_t *img, size_t len, mode_t mode,
                       bool replace, bool dead, struct recover_idx_result *res)
{
    char part[600];
    int fd = -1, rc = 0;
    if (names_partial(part, sizeof(part), final) < 0)
        return -ENAMETOOLONG;
    for (int tries = 0; fd < 0; tries++) {
        fd = openat(dirfd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0)
            break;
        if (errno != EEXIST || tries > 0) {
            rc = -errno;
            seterr(res, "cannot create %s: %s", part, strerror(-rc));
            return rc;
        }
        int old;
        rc = take_partial(dirfd, part, dead, &old);
        if (rc < 0) {
            seterr(res, "%s: %s", part, rc == -EBUSY ? "in use by a running capture"
                                                     : strerror(-rc));
            return rc;
        }
        if (old >= 0) {
            if (unlinkat(dirfd, part, 0) == 0)
                res->removed_partial = true;
            close(old);
        }
    }
    (void)flock(fd, LOCK_EX | LOCK_NB);
    if (fchmod(fd, mode) < 0)
        rc = -errno;
    for (size_t off = 0; rc == 0 && off < len;) {
        ssize_t k = pwrite(fd, img + off, len - off, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            rc = k < 0 ? -errno : -EIO;
        else
            off += (size_t)k;
    }
    if (rc == 0 && fdatasync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0) {
        if (replace)
            rc = renameat(dirfd, part, dirfd, final) < 0 ? -errno : 0;
        else
            rc = outfile_rename_noreplace(dirfd, part, final);
    }
    if (rc < 0) {
        seterr(res, "cannot write %s: %s", final, strerror(-rc));
        unlinkat(dirfd, part, 0);
        return rc;
    }
    (void)fsync(dirfd);
    return 0;
}

/* The index of the capture file open on cfd (identity id), as found at
 * res->name: OK when valid and describing it, else how it is to be built. */
static int check_index(int dirfd, const struct idx_ident *id, struct recover_idx_result *res,
                       bool *replace)
{
    *replace = false;
    int xfd = openat(dirfd, res->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (xfd < 0) {
        if (errno != ENOENT) {
            int e = errno;
            seterr(res, "cannot open %s: %s", res->name,
                   e == ELOOP ? "a symbolic link (not followed, not replaced)" : strerror(e));
            return -e;
        }
        res->state = RECOVER_IDX_BUILT;
        return 0;
    }
    uint8_t *buf;
    size_t len;
    int rc = read_all(xfd, &buf, &len);
    close(xfd);
    if (rc == 0 && idx_good(buf, len, id, &res->records, &res->why)) {
        res->state = RECOVER_IDX_OK;
        res->bytes = len;
    } else {
        if (rc < 0)
            res->why = "unreadable";
        res->state = RECOVER_IDX_REBUILT;
        *replace = true;
    }
    free(buf);
    return 0;
}

/* Build the index of the capture file open on cfd and write it. */
static int build_index(int dirfd, int cfd, mode_t mode, bool replace, bool dead,
                       struct recover_idx_result *res)
{
    uint8_t *img = NULL;
    size_t len = 0;
    char err[200];
    int rc = idx_build_fd(cfd, &img, &len, err, sizeof(err));
    if (rc < 0) {
        seterr(res, "cannot build the index: %s", err);
        return rc;
    }
    struct idx x;
    if (idx_open(&x, img, len, err, sizeof(err)) == 0) {
        res->records = x.records;
        idx_close(&x);
    }
    rc = write_index(dirfd, res->name, img, len, mode, replace, dead, res);
    free(img);
    if (rc == 0)
        res->bytes = len;
    return rc;
}

int recover_index(int dirfd, const char *capture, bool dry_run, struct recover_idx_result *res)
{
    struct idx_ident id;
    struct stat st;
    bool replace;

    memset(res, 0, sizeof(*res));
    if (snprintf(res->name, sizeof(res->name), "%s%s", capture, IDX_SUFFIX) >=
        (int)sizeof(res->name)) {
        seterr(res, "index name too long");
        return -ENAMETOOLONG;
    }
    int cfd = openat(dirfd, capture, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0) {
        int e = errno;
        seterr(res, "cannot open %s: %s", capture, strerror(e));
        return -e;
    }
    int rc = cap_ident(cfd, &id, &st);
    if (rc == 0)
        rc = check_index(dirfd, &id, res, &replace);
    else
        seterr(res, "%s: %s", capture, strerror(-rc));
    if (rc == 0 && res->state != RECOVER_IDX_OK && !dry_run)
        rc = build_index(dirfd, cfd, st.st_mode & 0777, replace, true, res);
    close(cfd);
    return rc;
}

int recover_index_partial(int dirfd, const char *partial, bool dry_run,
                          struct recover_idx_result *res)
{
    char cap[520];
    struct idx_ident id;
    struct stat st;

    memset(res, 0, sizeof(*res));
    if (!recover_index_partial_name(partial, cap, sizeof(cap)) ||
        !recover_final_name(partial, res->name, sizeof(res->name))) {
        seterr(res, "not a partial index name");
        return -EINVAL;
    }
    int pfd;
    int rc = take_partial(dirfd, partial, false, &pfd);
    if (rc == -EBUSY) {
        res->state = RECOVER_IDX_BUSY;
        return 0;
    }
    if (rc == 0 && pfd < 0)
        rc = -ENOENT;                   /* gone meanwhile (its capture's recovery took it) */
    if (rc < 0) {
        seterr(res, "%s: %s", partial, strerror(-rc));
        return rc;
    }
    int cfd = openat(dirfd, cap, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0) {
        rc = -errno;
        if (rc != -ENOENT) {
            seterr(res, "cannot open %s: %s", cap, strerror(-rc));
            close(pfd);
            return rc;
        }
        /* its capture file is gone (deleted by a ring or disk policy, or
         * recovered under another name, which has its own index) */
        res->state = RECOVER_IDX_REMOVED;
        rc = 0;
        if (!dry_run && unlinkat(dirfd, partial, 0) < 0 && errno != ENOENT) {
            rc = -errno;
            seterr(res, "cannot remove %s: %s", partial, strerror(-rc));
        } else {
            res->removed_partial = true;
            (void)fsync(dirfd);
        }
        close(pfd);
        return rc;
    }
    bool replace = false;
    rc = cap_ident(cfd, &id, &st);
    if (rc < 0)
        seterr(res, "%s: %s", cap, strerror(-rc));
    else
        rc = check_index(dirfd, &id, res, &replace);
    if (rc == 0 && res->state != RECOVER_IDX_OK) {
        /* whole and describing the file: the capture synced it before it
         * renamed the file, and died before renaming it */
        uint8_t *buf;
        size_t len;
        uint64_t recs = 0;
        const char *why = NULL;
        if (read_all(pfd, &buf, &len) == 0 && idx_good(buf, len, &id, &recs, &why)) {
            res->state = RECOVER_IDX_RENAMED;
            res->records = recs;
            res->bytes = len;
            res->why = NULL;
            if (!dry_run) {
                rc = fsync(pfd) < 0 ? -errno : 0;
                if (rc == 0 && replace)
                    rc = renameat(dirfd, partial, dirfd, res->name) < 0 ? -errno : 0;
                else if (rc == 0)
                    rc = outfile_rename_noreplace(dirfd, partial, res->name);
                if (rc < 0)
                    seterr(res, "cannot rename %s to %s: %s", partial, res->name,
                           strerror(-rc));
                else
                    (void)fsync(dirfd);
            }
            free(buf);
            close(pfd);
            close(cfd);
            return rc;
        }
        free(buf);
    }
    /* not usable: the partial goes, the index is kept or built from the file */
    if (rc == 0 && !dry_run) {
        if (unlinkat(dirfd, partial, 0) == 0)
            res->removed_partial = true;
        if (res->state != RECOVER_IDX_OK)
            rc = build_index(dirfd, cfd, st.st_mode & 0777, replace, false, res);
    } else if (rc == 0) {
        res->removed_partial = true;
    }
    close(pfd);
    close(cfd);
    return rc;
}
