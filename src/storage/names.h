/* Output names. "-w DIR/NAME.EXT" splits into a directory, a prefix and an
 * extension; rotated files are named like Wireshark's dumpcap:
 * PREFIX_00001_20261125101500.EXT (file number, local start time), with
 * "_sK" after PREFIX when there are several receive streams. A file is
 * written as ".NAME.partial" in the same directory and renamed when whole. */
#ifndef LC_NAMES_H
#define LC_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_PARTIAL_SUFFIX ".partial"

struct name_template {
    char dir[4096];
    char prefix[256];
    char ext[32];
};

/* Split path into directory, prefix and extension (from the last dot of
 * the base name; none if it has no dot). Returns 0 or -EINVAL (empty name,
 * "." or "..", a component too long). */
int names_split(const char *path, struct name_template *t);

/* The final base name (no directory) of file number seq (1-based) of stream
 * stream (-1 when there is one stream), started at start_ns (CLOCK_REALTIME).
 * rotating: the dumpcap-style numbered form; else PREFIX EXT.
 * Returns the length, or -ENAMETOOLONG. */
int names_format(char *out, size_t cap, const struct name_template *t, bool rotating,
                 int stream, uint64_t seq, uint64_t start_ns);

/* ".BASE.partial" for a final base name. Returns length or -ENAMETOOLONG. */
int names_partial(char *out, size_t cap, const char *base);

#endif
