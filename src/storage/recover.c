/* Recovery of partial capture files: see recover.h.
 *
 * Nothing past the last record that can be checked whole is trusted. pcap
 * files are walked by the encoder's own valid_prefix (format/pcap.c: caplen
 * within the snap length and the frame, nanoseconds below 1e9, the record
 * inside the file). A pcapng block must have a length that is a multiple of
 * 4, at least 12, inside the file, and the same length again in its
 * trailer; twelve zero bytes where a block should start are the zero
 * padding of an aligned direct write: the end. */
#include "storage/recover.h"

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
#include <unistd.h>

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_MIN_BLOCK 12u
#define PCAPNG_MIN_SHB 28u

static uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return swap ? __builtin_bswap32(v) : v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void scan_pcapng(const uint8_t *p, size_t n, struct recover_scan *out)
{
    size_t off = 0;
    bool swap = false;

    while (off < n) {
        if (n - off < PCAPNG_MIN_BLOCK) {
            out->why = all_zero(p + off, n - off) ? "zero-filled tail" : "torn block header";
            return;
        }
        const uint8_t *b = p + off;
        if (all_zero(b, PCAPNG_MIN_BLOCK)) {
            out->why = "zero-filled tail";
            return;
        }
        uint32_t type = rd32(b, false);     /* the SHB type reads the same both ways */
        if (type == PCAPNG_SHB) {
            uint32_t bom = rd32(b + 8, false);
            if (bom == PCAPNG_BOM) {
                swap = false;
            } else if (bom == __builtin_bswap32(PCAPNG_BOM)) {
                swap = true;
            } else {
                out->why = "section header with a bad byte-order magic";
                return;
            }
        } else if (off == 0) {
            out->why = "does not start with a section header block";
            return;
        } else {
            type = rd32(b, swap);
        }
        uint32_t len = rd32(b + 4, swap);
        if (len < PCAPNG_MIN_BLOCK || len % 4 != 0 ||
            (type == PCAPNG_SHB && len < PCAPNG_MIN_SHB)) {
            out->why = "block with an impossible length (torn block)";
            return;
        }
        if (n - off < len) {
            out->why = "torn block (the file ends inside it)";
            return;
        }
        if (rd32(b + len - 4, swap) != len) {
            out->why = "block lengths disagree (torn block)";
            return;
        }
        if (type == 6 || type == 3 || type == 2)    /* enhanced, simple, obsolete packet */
            out->records++;
        off += len;
        out->good_end = off;
        out->format = RECOVER_PCAPNG;
    }
}

void recover_scan_buf(const uint8_t *p, size_t n, struct recover_scan *out)
{
    memset(out, 0, sizeof(*out));
    out->size = n;
    if (n >= 4 && rd32(p, false) == PCAPNG_SHB) {
        scan_pcapng(p, n, out);
        if (out->format == RECOVER_NONE)
            out->good_end = 0;
        return;
    }
    if (n < sizeof(struct pcap_file_hdr) || all_zero(p, sizeof(struct pcap_file_hdr))) {
        out->why = "no complete file header";
        return;
    }
    if (rd32(p, false) != PCAP_MAGIC_NSEC) {
        out->format = RECOVER_UNKNOWN;
        out->why = "not a pcap or pcapng file written by linecap (unknown magic)";
        return;
    }
    /* the encoder's own walker: the record rules live with the format */
    out->format = RECOVER_PCAP;
    out->good_end = format_pcap.valid_prefix(p, n, &out->records);
    if (out->good_end < n)
        out->why = all_zero(p + out->good_end, n - out->good_end)
                       ? "zero-filled tail" : "torn record";
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
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            res->busy = true;
            return 0;
        }
        return -e;
    }
    int rc = recover_scan_fd(fd, &res->scan);
    if (rc < 0 || dry_run) {
        close(fd);
        return rc;
    }
    if (res->scan.format == RECOVER_UNKNOWN) {
        close(fd);
        return -EILSEQ;
    }
    if (res->scan.format == RECOVER_NONE) {
        /* Not even a file header: nothing was captured into it. */
        close(fd);
        if (unlinkat(dirfd, name, 0) < 0)
            return -errno;
        res->removed = true;
        (void)fsync(dirfd);
        return 0;
    }
    if (res->scan.good_end < res->scan.size && ftruncate(fd, (off_t)res->scan.good_end) < 0)
        rc = -errno;
    if (rc == 0 && fdatasync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc < 0)
        return rc;
    rc = outfile_rename_noreplace(dirfd, name, res->final);
    if (rc == -EEXIST) {
        char alt[sizeof(res->final)];
        if (!alt_name(res->final, alt, sizeof(alt)))
            return -ENAMETOOLONG;
        rc = outfile_rename_noreplace(dirfd, name, alt);
        if (rc == 0)
            memcpy(res->final, alt, sizeof(alt));
    }
    if (rc == 0)
        (void)fsync(dirfd);
    return rc;
}
