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
#include "storage/names.h"
#include "storage/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
