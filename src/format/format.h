/* Output formats: pure encoders over plain buffers. One ops table per format;
 * one place (format_by_name) picks it. The per-record encoders are inline
 * (pcap.h, pcapng.h) because the receive loop specialises on the format. */
#ifndef LC_FORMAT_H
#define LC_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FORMAT_MAX_IFACES 16

enum format_kind { FORMAT_PCAP = 0, FORMAT_PCAPNG = 1 };

/* One capture interface (a port), described in pcapng's IDB. */
struct format_iface {
    const char *name;           /* if_name: the -i word */
    const char *description;    /* if_description: DPDK device and driver */
    const char *filter;         /* if_filter: capture filter text, NULL = none */
};

struct format_info {
    uint32_t snaplen;
    uint32_t linktype;          /* LINKTYPE_ETHERNET = 1 */
    /* pcapng only (pcap ignores them) */
    const char *userappl;       /* shb_userappl, "linecap 0.1.0" */
    const char *os;             /* shb_os, "Linux 6.1.0" */
    const char *hardware;       /* shb_hardware, the CPU model */
    int nifaces;                /* IDBs, interface id = index */
    struct format_iface ifaces[FORMAT_MAX_IFACES];
};

/* Statistics of one interface at a file's close (pcapng ISB). Times are
 * CLOCK_REALTIME nanoseconds; counts are cumulative since capture start. */
struct format_ifstats {
    uint64_t start_ns, end_ns;
    uint64_t ifrecv, ifdrop, filteraccept, osdrop, usrdeliv;
    uint64_t short_frames;      /* written with fewer bytes than their length (a comment) */
};

struct format_ops {
    const char *name;       /* "pcap" */
    const char *ext;        /* ".pcap" */
    enum format_kind kind;
    /* Bytes of per-record framing before the packet data. */
    uint32_t rec_hdr_len;
    /* Write the file header into buf (cap bytes). Returns its length, or 0 if
     * cap is too small. */
    size_t (*file_header)(uint8_t *buf, size_t cap, const struct format_info *info);
    /* Blocks appended when a file is closed, after its last record: st holds
     * info->nifaces entries. Returns the length written, 0 if cap is too
     * small; NULL when the format has none. */
    size_t (*file_trailer)(uint8_t *buf, size_t cap, const struct format_info *info,
                           const struct format_ifstats *st);
    /* The most file_trailer can produce (0 without one): the rotation counts
     * it in a file's size, the writer keeps room for it. */
    size_t (*trailer_len)(const struct format_info *info);
    /* Walk the records of a complete file image [buf, buf+len) and return the
     * offset just past the last complete record (the longest valid prefix);
     * *nrec receives the number of records in that prefix. */
    size_t (*valid_prefix)(const uint8_t *buf, size_t len, uint64_t *nrec);
};

extern const struct format_ops format_pcap;
extern const struct format_ops format_pcapng;

/* The ops for "pcap" or "pcapng", or NULL. */
const struct format_ops *format_by_name(const char *name);

#endif
