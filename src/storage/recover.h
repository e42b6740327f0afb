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

/* ---- the index beside a capture file (src/index/index.h) ----
 *
 * The capture writes NAME's index (NAME + IDX_SUFFIX) under its partial
 * name, syncs it, and renames it right after NAME. A crash leaves no index
 * for the open file and, between the two renames, a whole index under its
 * partial name; an index is never trusted unless it validates and
 * describes the file (idx_open, idx_matches). */

enum recover_idx_state {
    RECOVER_IDX_OK = 0,     /* present, valid, describes the file: kept */
    RECOVER_IDX_BUILT,      /* missing: built from the file */
    RECOVER_IDX_REBUILT,    /* torn or stale (see why): built again, replaced */
    RECOVER_IDX_RENAMED,    /* a leftover partial that is whole and describes the file: renamed */
    RECOVER_IDX_REMOVED,    /* a leftover partial whose capture file is gone: removed */
    RECOVER_IDX_BUSY,       /* a partial a running capture holds: left alone */
};

struct recover_idx_result {
    enum recover_idx_state state;
    char name[520];         /* the index's final name */
    uint64_t bytes;         /* its size */
    uint64_t records;       /* records it describes */
    const char *why;        /* REBUILT: "torn", "stale"; OK/RENAMED: NULL */
    bool removed_partial;   /* a leftover partial index was removed */
    char err[256];          /* one line on failure */
};

/* Make DIR/CAPTURE's index describe it, after CAPTURE was recovered (its
 * writer is gone): kept when it validates and matches the file; else built
 * from the file (idx_build_fd), written under its partial name (a leftover
 * one not held by a capture is removed first, however new),
 * synced, renamed into place (a torn or stale index is replaced), the
 * directory synced. The index gets the capture file's mode. dry_run only
 * looks. Returns 0, or a negative errno with one line in err (-EBUSY: a
 * capture holds the partial name; -EINVAL: not a pcap/pcapng file). */
int recover_index(int dirfd, const char *capture, bool dry_run, struct recover_idx_result *res);

/* Whether name is a partial index name (".CAPTURE.idx.partial"); if so the
 * capture file's name goes to out. */
bool recover_index_partial_name(const char *name, char *out, size_t cap);

/* A leftover partial index (".CAPTURE.idx.partial"): left alone when a
 * capture holds it (BUSY); else, when CAPTURE exists, its index is made
 * right -- the partial renamed into place when it validates and describes
 * CAPTURE and no valid index is there, else recover_index -- and the
 * partial removed; without CAPTURE the partial is removed (REMOVED).
 * dry_run only looks. Returns 0 or a negative errno with err. */
int recover_index_partial(int dirfd, const char *partial, bool dry_run,
                          struct recover_idx_result *res);

#endif
