/* Recovery of capture files a crash left under their partial name.
 *
 * linecap writes every file as DIR/.NAME.partial and renames it to NAME only
 * after trimming it to its last complete record. A SIGKILL, an OOM kill or a
 * power cut leaves the partial file: its records are valid up to some point,
 * after which come a torn record, or zeros (the padding of the last aligned
 * direct write), or nothing. recover_scan() finds the end of the last complete
 * record (pcap) or block (pcapng) without trusting anything past it;
 * recover_path() trims the file there, syncs it and gives it its final name.
 * Pure file code: no DPDK, so it is unit-tested and fuzzed on its own. */
#ifndef LC_RECOVER_H
#define LC_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum recover_format {
    RECOVER_NONE = 0,       /* no complete file header: nothing captured */
    RECOVER_PCAP,
    RECOVER_PCAPNG,
    RECOVER_UNKNOWN,        /* not a file linecap writes: left alone */
};

struct recover_scan {
    enum recover_format format;
    uint64_t good_end;      /* bytes [0, good_end) are complete */
    uint64_t records;       /* packet records (pcap) / packet blocks (pcapng) in them */
    uint64_t size;          /* bytes scanned */
    const char *why;        /* why the scan stopped before size; NULL when it did not */
    bool zero;              /* every byte scanned is zero (or there are none) */
};

/* Scan a capture file's bytes. Never reads outside [p, p + n). */
void recover_scan_buf(const uint8_t *p, size_t n, struct recover_scan *out);

/* Scan an open file (mapped read-only). Returns 0 or -errno. */
int recover_scan_fd(int fd, struct recover_scan *out);

/* The final name of a partial name (".NAME.partial" -> "NAME");
 * false when name is not a partial name. */
bool recover_final_name(const char *partial, char *out, size_t cap);

/* An empty or all-zero partial file modified less than this many seconds
 * ago may be a capture's file between its creation and its lock: left alone. */
#define RECOVER_YOUNG_SECS 5

struct recover_result {
    struct recover_scan scan;
    char final[512];        /* the name given (in the same directory) */
    bool removed;           /* empty or all zero bytes: removed */
    bool busy;              /* a running capture holds its lock: left alone */
    bool young;             /* empty or all zeros, but too new to remove: left alone */
    bool trimmed;           /* bytes were cut (also when an error came after) */
    double age;             /* seconds since its last modification */
};

/* Recover DIR/NAME (a partial name). Nothing is changed until the file is
 * locked (flock LOCK_EX|LOCK_NB: a running capture holds it) and its new
 * name is secured: a hard link under NAME, else NAME with ".recovered"
 * before its extension (linkat never replaces; a link that is already this
 * very file, left by a recover that died, is taken). Then it is trimmed to
 * its last complete record, fdatasync'ed, the partial name is removed and
 * the directory fsync'ed. A file that is empty or all zero bytes (read
 * whole) held nothing and is removed, unless it was modified less than
 * RECOVER_YOUNG_SECS ago. dry_run only scans.
 * Returns 0, or -errno and the file is left as it was (unless res->trimmed):
 * -EEXIST both names are taken; -EILSEQ not a pcap/pcapng file linecap
 * writes; -ENODATA no complete file header, yet not all zeros (a torn
 * header: scan.why says which). */
int recover_path(int dirfd, const char *name, bool dry_run, struct recover_result *res);

#endif
