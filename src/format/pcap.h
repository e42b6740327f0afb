/* pcap savefile with nanosecond timestamps (magic 0xa1b23c4d), host byte
 * order as libpcap writes it. See draft-ietf-opsawg-pcap, sections 4-5. */
#ifndef LC_PCAP_H
#define LC_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCAP_MAGIC_NSEC 0xa1b23c4dU
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101        /* raw IPv4/IPv6: no link-layer header */
#define PCAP_NSEC_PER_SEC 1000000000U

struct pcap_file_hdr {          /* section 4: File Header */
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;           /* reserved, 0 */
    uint32_t sigfigs;           /* reserved, 0 */
    uint32_t snaplen;
    uint32_t linktype;
};
_Static_assert(sizeof(struct pcap_file_hdr) == 24, "pcap file header is 24 bytes (sec. 4)");

struct pcap_rec_hdr {           /* section 5: Packet Record */
    uint32_t ts_sec;
    uint32_t ts_nsec;           /* nanoseconds with the 0xa1b23c4d magic */
    uint32_t caplen;
    uint32_t origlen;
};
_Static_assert(sizeof(struct pcap_rec_hdr) == 16, "pcap record header is 16 bytes (sec. 5)");
_Static_assert(offsetof(struct pcap_rec_hdr, caplen) == 8, "CapLen at offset 8 (sec. 5)");

/* A time in ns since the epoch as the record header's ts_sec and ts_nsec
 * (seconds kept to 32 bits, as the header holds them). */
static inline void pcap_ts_split(uint64_t ns, uint32_t *sec, uint32_t *nsec)
{
    uint32_t s = (uint32_t)(ns / PCAP_NSEC_PER_SEC);
    *sec = s;
    *nsec = (uint32_t)(ns - (uint64_t)s * PCAP_NSEC_PER_SEC);
}

/* Encode one record header at dst (no alignment required). */
static inline void pcap_put_rec_hdr(uint8_t *dst, uint32_t sec, uint32_t nsec,
                                    uint32_t caplen, uint32_t origlen)
{
    struct pcap_rec_hdr h = { sec, nsec, caplen, origlen };
    memcpy(dst, &h, sizeof(h));
}

#endif
