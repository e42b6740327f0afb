/* The pcap encoder round-tripped through libpcap: records built from the
 * input (the receive loop's own calls: file_header, pcap_put_rec_hdr, then
 * the bytes) must read back through pcap_next_ex with the same timestamps,
 * lengths and bytes, and the encoder's valid_prefix must keep all of it. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "format/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[MAXREC * (16 + 2048) + 64];
    struct { uint32_t sec, nsec, caplen, len; const uint8_t *p; } rec[MAXREC];
    if (size < 2)
        return 0;
    struct format_info fi = { .snaplen = 1u + (((uint32_t)data[0] << 8 | data[1]) % 2048),
                              .linktype = LINKTYPE_ETHERNET };
    size_t off = format_pcap.file_header(buf, sizeof(buf), &fi);
    if (off != sizeof(struct pcap_file_hdr))
        abort();
    size_t i = 2;
    int n = 0;
    /* each record: 2 bytes length, 4 bytes of time, then up to that many bytes */
    while (n < MAXREC && size - i >= 6) {
        uint32_t want = 1u + (((uint32_t)data[i] << 8 | data[i + 1]) % 2048);
        uint32_t t;
        memcpy(&t, data + i + 2, 4);
        i += 6;
        uint32_t have = (uint32_t)(size - i < want ? size - i : want);
        if (have == 0)
            break;
        rec[n].len = want > have ? want : have;     /* the frame was this long */
        rec[n].caplen = have < fi.snaplen ? have : fi.snaplen;
        rec[n].sec = t >> 2;
        rec[n].nsec = (t * 2654435761u) % 1000000000u;
        rec[n].p = data + i;
        pcap_put_rec_hdr(buf + off, rec[n].sec, rec[n].nsec, rec[n].caplen, rec[n].len);
        memcpy(buf + off + 16, rec[n].p, rec[n].caplen);
        off += 16 + rec[n].caplen;
        i += have;
        n++;
    }
    uint64_t nrec = 0;
    if (format_pcap.valid_prefix(buf, off, &nrec) != off || nrec != (uint64_t)n)
        abort();

    char eb[PCAP_ERRBUF_SIZE];
    FILE *f = fmemopen(buf, off, "rb");
    if (f == NULL)
        abort();
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, eb);
    if (pc == NULL)
        abort();    /* libpcap refused our header */
    if (pcap_datalink(pc) != DLT_EN10MB || pcap_snapshot(pc) != (int)fi.snaplen)
        abort();
    struct pcap_pkthdr *h;
    const u_char *d;
    int k = 0, rc;
    while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
        if (k >= n || h->caplen != rec[k].caplen || h->len != rec[k].len ||
            (uint32_t)h->ts.tv_sec != rec[k].sec || (uint32_t)h->ts.tv_usec != rec[k].nsec ||
            memcmp(d, rec[k].p, h->caplen) != 0)
            abort();
        k++;
    }
    if (rc != PCAP_ERROR_BREAK || k != n)
        abort();    /* libpcap saw an error or a different number of records */
    pcap_close(pc);
    return 0;
}
