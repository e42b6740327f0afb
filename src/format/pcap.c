#include "format/format.h"
#include "format/pcap.h"

#include <stddef.h>
#include <string.h>

static size_t pcap_file_header(uint8_t *buf, size_t cap, const struct format_info *info)
{
    struct pcap_file_hdr h = {
        .magic = PCAP_MAGIC_NSEC,
        .version_major = PCAP_VERSION_MAJOR,
        .version_minor = PCAP_VERSION_MINOR,
        .thiszone = 0,
        .sigfigs = 0,
        .snaplen = info->snaplen,
        .linktype = info->linktype,
    };
    if (cap < sizeof(h))
        return 0;
    memcpy(buf, &h, sizeof(h));
    return sizeof(h);
}

/* Hostile input: every length is checked against what remains. A record is
 * valid when its header and caplen bytes are present, caplen <= snaplen
 * (or 262144 if the header says 0), caplen <= origlen and ts_nsec < 1e9.
 *
 * caplen 0 is a record (pcap allows it, net_pcap replays such frames and
 * linecap writes them), but the zero padding of a crashed file's last
 * direct write also reads as caplen-0 records (every reader takes it as
 * bogus zero-length packets, see PLATFORM.md). The rule: a record header of
 * 16 zero bytes (ts 0, caplen 0, origlen 0) ends the data; any other
 * header with caplen 0 (a timestamp or an origlen) is a record. linecap
 * stamps every record with the capture time, so it never writes an all-zero
 * header itself; a foreign record dated 1970-01-01 00:00:00.0 with no
 * length is the one case lost, and it holds no bytes. */
static size_t pcap_valid_prefix(const uint8_t *buf, size_t len, uint64_t *nrec)
{
    struct pcap_file_hdr fh;
    uint64_t n = 0;

    *nrec = 0;
    if (len < sizeof(fh))
        return 0;
    memcpy(&fh, buf, sizeof(fh));
    if (fh.magic != PCAP_MAGIC_NSEC)
        return 0;
    uint32_t snap = fh.snaplen ? fh.snaplen : 262144;
    size_t off = sizeof(fh);
    while (len - off >= sizeof(struct pcap_rec_hdr)) {
        struct pcap_rec_hdr rh;
        memcpy(&rh, buf + off, sizeof(rh));
        if (rh.caplen > snap || rh.caplen > rh.origlen || rh.ts_nsec >= PCAP_NSEC_PER_SEC)
            break;
        if (rh.caplen == 0 && rh.origlen == 0 && rh.ts_sec == 0 && rh.ts_nsec == 0)
            break;                      /* zeros: the end of the data */
        if (len - off - sizeof(rh) < rh.caplen)
            break;
        off += sizeof(rh) + rh.caplen;
        n++;
    }
    *nrec = n;
    return off;
}

static size_t pcap_trailer_len(const struct format_info *info)
{
    (void)info;
    return 0;
}

const struct format_ops format_pcap = {
    .name = "pcap",
    .ext = ".pcap",
    .kind = FORMAT_PCAP,
    .rec_hdr_len = sizeof(struct pcap_rec_hdr),
    .file_header = pcap_file_header,
    .file_trailer = NULL,
    .trailer_len = pcap_trailer_len,
    .valid_prefix = pcap_valid_prefix,
};

const struct format_ops *format_by_name(const char *name)
{
    if (strcmp(name, "pcap") == 0)
        return &format_pcap;
    if (strcmp(name, "pcapng") == 0)
        return &format_pcapng;
    return NULL;
}
