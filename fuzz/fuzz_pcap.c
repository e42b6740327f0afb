/* Both encoders round-tripped through libpcap. Records built from the input
 * with the receive loop's own calls (pcap: file_header, pcap_put_rec_hdr,
 * the bytes; pcapng: file_header with SHB/IDB strings taken from the input,
 * pcapng_put_epb_head, the bytes, pcapng_put_epb_tail, then the ISB trailer)
 * must read back through pcap_next_ex with the same timestamps, lengths and
 * bytes, and each encoder's valid_prefix must keep all of it. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "format/pcap.h"
#include "format/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 64

struct rec { uint32_t sec, nsec, caplen, len; const uint8_t *p; };

/* libpcap must read exactly recs[0..n) from the image. */
static void read_back(uint8_t *img, size_t len, const struct format_info *fi,
                      const struct rec *rec, int n)
{
    char eb[PCAP_ERRBUF_SIZE];
    FILE *f = fmemopen(img, len, "rb");
    if (f == NULL)
        abort();
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, eb);
    if (pc == NULL)
        abort();    /* libpcap refused our header */
    if (pcap_datalink(pc) != DLT_EN10MB || pcap_snapshot(pc) != (int)fi->snaplen)
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
}

/* A NUL-terminated copy of size/7 input bytes at slot j (strings may hold
 * any bytes: device names and filters come from outside). */
static const char *str_slot(char *dst, size_t cap, const uint8_t *data, size_t size, int j)
{
    size_t n = size / 7, at = (size_t)j * n;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, data + at, n);
    dst[n] = '\0';
    return dst;
}

/* The same records as pcapng: 1-3 interfaces, EPBs spread over them, with or
 * without epb_queue, ISBs at the end. */
static void pcapng_round_trip(const uint8_t *data, size_t size, uint32_t snaplen,
                              const struct rec *rec, int n)
{
    static uint8_t buf[MAXREC * (28 + 2048 + 3 + PCAPNG_EPB_OPTS_MAX + 4) + 64 * 1024];
    static char str[8][5000];
    struct format_info fi = { .snaplen = snaplen, .linktype = LINKTYPE_ETHERNET,
                              .nifaces = 1 + data[0] % 3 };
    fi.hardware = str_slot(str[0], sizeof(str[0]), data, size, 0);
    fi.os = str_slot(str[1], sizeof(str[1]), data, size, 1);
    fi.userappl = str_slot(str[2], sizeof(str[2]), data, size, 2);
    for (int i = 0; i < fi.nifaces; i++) {
        fi.ifaces[i].name = str_slot(str[3 + i], sizeof(str[3 + i]), data, size, 3 + i);
        fi.ifaces[i].description = str_slot(str[6], sizeof(str[6]), data, size, 6);
        fi.ifaces[i].filter = i == 0 ? str_slot(str[7], sizeof(str[7]), data, size, 1) : NULL;
    }
    size_t off = format_pcapng.file_header(buf, sizeof(buf), &fi);
    if (off == 0 || off % 4)
        abort();
    uint64_t nrec = 1;
    if (format_pcapng.valid_prefix(buf, off, &nrec) != off || nrec != 0)
        abort();    /* the header alone is a valid file of no records */
    struct pcapng_epb_opts o;
    pcapng_epb_opts_init(&o, (data[1] & 1) ? -1 : data[1] % 8);
    for (int k = 0; k < n; k++) {
        uint64_t ns = (uint64_t)rec[k].sec * 1000000000u + rec[k].nsec;
        uint32_t total = pcapng_epb_len(rec[k].caplen, o.len);
        pcapng_put_epb_head(buf + off, total, (uint32_t)k % (uint32_t)fi.nifaces, ns,
                            rec[k].caplen, rec[k].len);
        memcpy(buf + off + sizeof(struct pcapng_epb), rec[k].p, rec[k].caplen);
        pcapng_put_epb_tail(buf + off, total, &o);
        off += total;
    }
    struct format_ifstats st[FORMAT_MAX_IFACES] = { 0 };
    for (int i = 0; i < fi.nifaces; i++)
        st[i] = (struct format_ifstats){ 1, 2 + (uint64_t)n, (uint64_t)n, 0, (uint64_t)n, 0,
                                         (uint64_t)n, (n & 1) ? UINT64_MAX - (uint64_t)n : 0 };
    size_t t = format_pcapng.file_trailer(buf + off, sizeof(buf) - off, &fi, st);
    if (t == 0 || t > format_pcapng.trailer_len(&fi))
        abort();
    off += t;
    if (format_pcapng.valid_prefix(buf, off, &nrec) != off || nrec != (uint64_t)n)
        abort();
    read_back(buf, off, &fi, rec, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[MAXREC * (16 + 2048) + 64];
    struct rec rec[MAXREC];
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

    read_back(buf, off, &fi, rec, n);
    pcapng_round_trip(data, size, fi.snaplen, rec, n);
    return 0;
}
