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
};

/* Scan a capture file's bytes. Never reads outside [p, p + n). */
void recover_scan_buf(const uint8_t *p, size_t n, struct recover_scan *out);

/* Scan an open file (mapped read-only). Returns 0 or -errno. */
int recover_scan_fd(int fd, struct recover_scan *out);

/* The final name of a partial name (".NAME.partial" -> "NAME");
 * false when name is not a partial name. */
bool recover_final_name(const char *partial, char *out, size_t cap);

struct recover_result {
    struct recover_scan scan;
    char final[512];        /* the name given (in the same directory) */
    bool removed;           /* held no complete header: removed */
    bool busy;              /* a running capture holds it: left alone */
};

/* Recover DIR/NAME (a partial name): trim, fdatasync, rename without
 * replacing anything (NAME, else NAME with ".recovered" before its
 * extension), fsync the directory. dry_run only scans. Returns 0, or -errno
 * (-EEXIST when both names are taken; -EILSEQ when it is not a pcap/pcapng
 * file linecap writes; the file is then left as it was). */
int recover_path(int dirfd, const char *name, bool dry_run, struct recover_result *res);

#endif
