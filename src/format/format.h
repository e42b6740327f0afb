/* Output formats: pure encoders over plain buffers. One ops table per format;
 * one place (format_by_name) picks it. */
#ifndef LC_FORMAT_H
#define LC_FORMAT_H

#include <stddef.h>
#include <stdint.h>

struct format_info {
    uint32_t snaplen;
    uint32_t linktype;      /* LINKTYPE_ETHERNET = 1 */
};

struct format_ops {
    const char *name;       /* "pcap" */
    const char *ext;        /* ".pcap" */
    /* Bytes of per-record framing before the packet data. */
    uint32_t rec_hdr_len;
    /* Write the file header into buf (cap bytes). Returns its length, or 0 if
     * cap is too small. */
    size_t (*file_header)(uint8_t *buf, size_t cap, const struct format_info *info);
    /* Walk the records of a complete file image [buf, buf+len) and return the
     * offset just past the last complete record (the longest valid prefix);
     * *nrec receives the number of records in that prefix. */
    size_t (*valid_prefix)(const uint8_t *buf, size_t len, uint64_t *nrec);
};

extern const struct format_ops format_pcap;

/* The ops for "pcap" (later "pcapng"), or NULL. */
const struct format_ops *format_by_name(const char *name);

#endif
