/* src/index/extract.h (issue 13): the extract engine. Reads the records of
 * a set of pcap/pcapng files that fall in a time window and match a libpcap
 * filter expression, merged in timestamp order, and writes them as one pcap
 * (nanosecond) or pcapng stream. The index beside each file (NAME.idx, see
 * index.h) prunes files and chunks; every candidate record is then decoded
 * and run through the whole compiled filter and the window, so the answer
 * is the one libpcap gives over all the files merged in time order. Files
 * without a usable index (missing, stale, torn, hostile) are scanned whole.
 * No DPDK, no exit: `linecap extract` and a later query service call it.
 * See docs/EXTRACT.md. */
#ifndef LC_EXTRACT_H
#define LC_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum extract_format { EXTRACT_PCAP = 0, EXTRACT_PCAPNG = 1 };

struct extract_req {
    /* files, or directories: every *.pcap, *.pcapng, *.cap in it (not
     * recursive, names starting with '.' skipped: partial files), in name
     * order; files in the order given. Of records with the same timestamp
     * in different files, mergecap's order: the later file's first. */
    const char *const *paths;
    size_t npaths;
    uint64_t from_ns;           /* window [from_ns, to_ns): 0 = no start */
    uint64_t to_ns;             /* UINT64_MAX (or 0) = no end */
    const char *expr;           /* libpcap filter; NULL or "" = every record */
    enum extract_format format;
    uint64_t max_count;         /* stop after this many records; 0 = all */
    /* Output: out_write(out_arg, buf, len) when set (returns 0 or a negative
     * errno), else write-all to out_fd. */
    int out_fd;
    int (*out_write)(void *arg, const void *buf, size_t len);
    void *out_arg;
    /* One-line notices (a file scanned without index, a torn tail...);
     * NULL = none. */
    void (*notice)(void *arg, const char *line);
    void *notice_arg;
    /* A file never read as input (the output file, when it lies in a
     * directory being read); 0/0 = none. */
    uint64_t exclude_dev, exclude_ino;
    /* Files needing a whole scan beyond this many are indexed in memory
     * first (idx_build_fd) so they open lazily; 0 = the default (64). */
    unsigned scan_open_max;
};

struct extract_report {
    uint64_t files_considered;  /* capture files named or found in directories */
    uint64_t files_opened;      /* capture files opened (the others pruned by their index) */
    uint64_t files_scanned;     /* read without a usable index (missing, stale, corrupt) */
    uint64_t files_failed;      /* could not be read (error notice given) */
    uint64_t chunks_total;      /* chunks in the usable indexes of the files considered */
    uint64_t chunks_read;       /* of those, read */
    uint64_t bytes_read;        /* capture file bytes read (headers, chunks, scans) */
    uint64_t idx_bytes;         /* index bytes read */
    uint64_t records_read;      /* records decoded */
    uint64_t records_written;
    uint64_t bytes_written;     /* output bytes (0: nothing written, not even a header) */
    double elapsed_s;
};

/* Run the extract. Returns 0, or an exit code from common/exitcodes.h with
 * one line in err: EXIT_USAGE (mixed link types for pcap output, a bad
 * request), EXIT_FILTER (the expression does not compile for a link type
 * of the files), EXIT_NOINPUT (no capture file found, or a path / file
 * that cannot be read: the others are still extracted), EXIT_IOERR (read
 * or write error), EXIT_OSERR (out of memory). Nothing is written before
 * the expression compiled and the inputs' headers were read, so a usage,
 * filter or no-input error leaves bytes_written 0. rep is always filled. */
int extract_run(const struct extract_req *req, struct extract_report *rep, char *err,
                size_t errlen);

/* Parse a TIME: RFC 3339 ("2026-12-03T09:30:00Z", "...09:30:00.25+01:00";
 * 't'/' ' for 'T' and 'z' accepted), epoch seconds with an optional fraction
 * ("1764754200.5"), "now", or relative to now_ns: "-2h", "-15m", "-30s",
 * "-1d", "-1.5h" (ms, s, m, h, d). Returns 0 and *ns, or -EINVAL / -ERANGE. */
int extract_parse_time(const char *s, uint64_t now_ns, uint64_t *ns);

/* Whether a directory entry name is a capture file extract reads. */
bool extract_capture_name(const char *name);

#endif
