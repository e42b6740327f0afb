/* pcapng in host byte order, as libpcap and Wireshark write it. Section and
 * block numbers refer to draft-ietf-opsawg-pcapng (version 1.0 of the format).
 *
 * A file is: SHB, one IDB per capture port (interface id = its index, if_tsresol
 * 9: timestamps in nanoseconds), the packets as EPBs, and one ISB per interface
 * written at close. The EPB is the hot record: 28 bytes of header, the frame
 * padded to 32 bits, the options (epb_flags "inbound", epb_queue when the port
 * has several queues, opt_endofopt) and the 4-byte trailing length. A 60-byte
 * frame from a one-queue port takes 104 bytes (pcap: 76). */
#ifndef LC_PCAPNG_H
#define LC_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCAPNG_SHB_TYPE 0x0A0D0D0AU
#define PCAPNG_IDB_TYPE 0x00000001U
#define PCAPNG_ISB_TYPE 0x00000005U
#define PCAPNG_EPB_TYPE 0x00000006U
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4DU

/* option codes (sec. 3.5, 4.1-4.6) */
enum {
    PCAPNG_OPT_ENDOFOPT = 0,
    PCAPNG_OPT_COMMENT = 1,
    PCAPNG_SHB_HARDWARE = 2,
    PCAPNG_SHB_OS = 3,
    PCAPNG_SHB_USERAPPL = 4,
    PCAPNG_IF_NAME = 2,
    PCAPNG_IF_DESCRIPTION = 3,
    PCAPNG_IF_TSRESOL = 9,
    PCAPNG_IF_FILTER = 11,
    PCAPNG_EPB_FLAGS = 2,
    PCAPNG_EPB_QUEUE = 6,
    PCAPNG_ISB_STARTTIME = 2,
    PCAPNG_ISB_ENDTIME = 3,
    PCAPNG_ISB_IFRECV = 4,
    PCAPNG_ISB_IFDROP = 5,
    PCAPNG_ISB_FILTERACCEPT = 6,
    PCAPNG_ISB_OSDROP = 7,
    PCAPNG_ISB_USRDELIV = 8,
};

#define PCAPNG_EPB_FLAG_INBOUND 0x1U    /* bits 0-1 = 01 (sec. 4.3.1) */

struct pcapng_shb {             /* sec. 4.1, up to the options */
    uint32_t type;
    uint32_t total_len;
    uint32_t magic;
    uint16_t major, minor;      /* 1.0 */
    int64_t section_len;        /* -1: not known */
} __attribute__((packed));
_Static_assert(sizeof(struct pcapng_shb) == 24, "SHB options start at offset 24 (sec. 4.1)");

struct pcapng_idb {             /* sec. 4.2 */
    uint32_t type;
    uint32_t total_len;
    uint16_t linktype;
    uint16_t reserved;
    uint32_t snaplen;
};
_Static_assert(sizeof(struct pcapng_idb) == 16, "IDB options start at offset 16 (sec. 4.2)");

struct pcapng_epb {             /* sec. 4.3 */
    uint32_t type;
    uint32_t total_len;
    uint32_t ifid;
    uint32_t ts_high, ts_low;   /* units of if_tsresol (ns) since 1970 */
    uint32_t caplen;
    uint32_t origlen;
};
_Static_assert(sizeof(struct pcapng_epb) == 28, "EPB packet data at offset 28 (sec. 4.3)");

struct pcapng_isb {             /* sec. 4.6 */
    uint32_t type;
    uint32_t total_len;
    uint32_t ifid;
    uint32_t ts_high, ts_low;
};
_Static_assert(sizeof(struct pcapng_isb) == 20, "ISB options at offset 20 (sec. 4.6)");

/* Options of one source's EPBs: epb_flags (inbound), epb_queue when the
 * queue is worth naming, opt_endofopt. Built once per source. */
#define PCAPNG_EPB_OPTS_MAX 20
struct pcapng_epb_opts {
    uint32_t len;               /* 12, or 20 with epb_queue */
    uint8_t b[PCAPNG_EPB_OPTS_MAX];
};

/* queue < 0: no epb_queue option. */
void pcapng_epb_opts_init(struct pcapng_epb_opts *o, int queue);

/* Total length of the EPB of a caplen-byte frame with these options. */
static inline uint32_t pcapng_epb_len(uint32_t caplen, uint32_t optlen)
{
    return (uint32_t)sizeof(struct pcapng_epb) + ((caplen + 3u) & ~3u) + optlen + 4u;
}

static inline struct pcapng_epb pcapng_epb_hdr(uint32_t total, uint32_t ifid, uint64_t ns,
                                               uint32_t caplen, uint32_t origlen)
{
    struct pcapng_epb h = { PCAPNG_EPB_TYPE, total, ifid, (uint32_t)(ns >> 32), (uint32_t)ns,
                            caplen, origlen };
    return h;
}

static inline void pcapng_put32(uint8_t *dst, uint32_t v)
{
    memcpy(dst, &v, 4);
}

/* The EPB header at dst; the frame goes at dst + 28. Zeroes the last 32-bit
 * word the frame will occupy, so that after the frame is copied over it the
 * padding bytes are zero without a per-length branch. Field by field: a
 * header built in a temporary struct and copied out cost 2-3x more per
 * record here (bench/encode.c; the copy's wide loads wait on the narrow
 * stores that built it). */
static inline void pcapng_put_epb_head(uint8_t *dst, uint32_t total, uint32_t ifid, uint64_t ns,
                                       uint32_t caplen, uint32_t origlen)
{
    pcapng_put32(dst, PCAPNG_EPB_TYPE);
    pcapng_put32(dst + 4, total);
    pcapng_put32(dst + 8, ifid);
    pcapng_put32(dst + 12, (uint32_t)(ns >> 32));
    pcapng_put32(dst + 16, (uint32_t)ns);
    pcapng_put32(dst + 20, caplen);
    pcapng_put32(dst + 24, origlen);
    if (caplen & 3u)
        pcapng_put32(dst + sizeof(struct pcapng_epb) + (caplen & ~3u), 0);
}

/* After the frame: dst = the EPB start. Options and the trailing length. */
static inline void pcapng_put_epb_tail(uint8_t *dst, uint32_t total,
                                       const struct pcapng_epb_opts *o)
{
    uint8_t *p = dst + total - 4 - o->len;
    if (o->len == 12)
        memcpy(p, o->b, 12);    /* constant sizes: two moves, no loop */
    else
        memcpy(p, o->b, 20);
    pcapng_put32(dst + total - 4, total);
}

/* The bytes of an EPB that follow the frame, padding included, for a record
 * written in pieces (the slow path): out must hold 3 + 20 + 4 bytes.
 * Returns their count. */
static inline uint32_t pcapng_epb_trailer(uint8_t *out, uint32_t caplen, uint32_t total,
                                          const struct pcapng_epb_opts *o)
{
    uint32_t pad = (4u - (caplen & 3u)) & 3u;
    memset(out, 0, pad);
    memcpy(out + pad, o->b, o->len);
    memcpy(out + pad + o->len, &total, 4);
    return pad + o->len + 4;
}

#endif
