/* pcapng encoder: golden bytes from the specification (SHB, IDB, EPB with
 * and without padding and epb_queue, ISB), strings made valid UTF-8, the
 * prefix walker on truncated and hostile input, and a whole file image read
 * back by libpcap (an independent reader) with nanosecond timestamps. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "format/format.h"
#include "format/pcapng.h"

static const uint8_t golden_shb[56] = {
    0x0a, 0x0d, 0x0d, 0x0a, 0x38, 0, 0, 0,             /* SHB, 56 bytes */
    0x4d, 0x3c, 0x2b, 0x1a, 0x01, 0x00, 0x00, 0x00,     /* byte-order magic, 1.0 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* section length -1 */
    0x02, 0x00, 0x01, 0x00, 'X', 0, 0, 0,               /* shb_hardware "X" */
    0x03, 0x00, 0x01, 0x00, 'L', 0, 0, 0,               /* shb_os "L" */
    0x04, 0x00, 0x02, 0x00, 'l', 'c', 0, 0,             /* shb_userappl "lc" */
    0, 0, 0, 0,                                         /* opt_endofopt */
    0x38, 0, 0, 0,
};

static const uint8_t golden_idb[48] = {
    0x01, 0, 0, 0, 0x30, 0, 0, 0,                       /* IDB, 48 bytes */
    0x01, 0x00, 0x00, 0x00, 0x60, 0, 0, 0,              /* Ethernet, snaplen 96 */
    0x02, 0x00, 0x02, 0x00, 'p', '0', 0, 0,             /* if_name "p0" */
    0x09, 0x00, 0x01, 0x00, 0x09, 0, 0, 0,              /* if_tsresol 9 */
    0x0b, 0x00, 0x04, 0x00, 0x00, 't', 'c', 'p',        /* if_filter libpcap "tcp" */
    0, 0, 0, 0,
    0x30, 0, 0, 0,
};

/* EPB of a 61-byte frame (origlen 100) on interface 2 at ns 2^32 + 2, queue 3 */
static const uint8_t golden_epb_head[28] = {
    0x06, 0, 0, 0, 0x74, 0, 0, 0,                       /* EPB, 116 bytes */
    0x02, 0, 0, 0,                                      /* interface 2 */
    0x01, 0, 0, 0, 0x02, 0, 0, 0,                       /* ts high 1, low 2 */
    0x3d, 0, 0, 0, 0x64, 0, 0, 0,                       /* caplen 61, origlen 100 */
};
static const uint8_t golden_epb_tail[3 + 20 + 4] = {
    0, 0, 0,                                            /* padding of the frame */
    0x02, 0x00, 0x04, 0x00, 0x01, 0, 0, 0,              /* epb_flags inbound */
    0x06, 0x00, 0x04, 0x00, 0x03, 0, 0, 0,              /* epb_queue 3 */
    0, 0, 0, 0,
    0x74, 0, 0, 0,
};

static struct format_info info1(void)
{
    struct format_info fi;
    memset(&fi, 0, sizeof(fi));
    fi.snaplen = 96;
    fi.linktype = 1;
    fi.hardware = "X";
    fi.os = "L";
    fi.userappl = "lc";
    fi.nifaces = 1;
    fi.ifaces[0].name = "p0";
    fi.ifaces[0].filter = "tcp";
    return fi;
}

static void test_header(void)
{
    uint8_t buf[4096];
    struct format_info fi = info1();

    CHECK(format_by_name("pcapng") == &format_pcapng);
    CHECK_EQ_U(format_pcapng.kind, FORMAT_PCAPNG);
    CHECK(strcmp(format_pcapng.ext, ".pcapng") == 0);
    size_t n = format_pcapng.file_header(buf, sizeof(buf), &fi);
    CHECK_EQ_U(n, 56 + 48);
    CHECK(memcmp(buf, golden_shb, 56) == 0);
    CHECK(memcmp(buf + 56, golden_idb, 48) == 0);
    for (size_t cap = 0; cap < n; cap++)
        CHECK_EQ_U(format_pcapng.file_header(buf, cap, &fi), 0);

    /* no description, no filter: those options are left out */
    fi.ifaces[0].filter = NULL;
    CHECK_EQ_U(format_pcapng.file_header(buf, sizeof(buf), &fi), 56 + 40);
    /* several interfaces: one IDB each */
    fi.nifaces = 3;
    fi.ifaces[1].name = "p1";
    fi.ifaces[2].name = "p2";
    CHECK_EQ_U(format_pcapng.file_header(buf, sizeof(buf), &fi), 56 + 3 * 40);
}

/* Invalid UTF-8 becomes '?', valid multi-byte characters stay; strings are
 * cut at 1024 bytes on a character boundary. */
static void test_strings(void)
{
    uint8_t buf[8192];
    struct format_info fi = info1();
    fi.ifaces[0].filter = NULL;
    fi.ifaces[0].name = "a\xc3\xa9\xff\xe2\x82";    /* a, e-acute, invalid, torn euro sign */
    size_t n = format_pcapng.file_header(buf, sizeof(buf), &fi);
    CHECK(n > 56);
    const uint8_t want[] = { 0x02, 0x00, 0x06, 0x00, 'a', 0xc3, 0xa9, '?', '?', '?', 0, 0 };
    CHECK(memcmp(buf + 56 + 16, want, sizeof(want)) == 0);

    char lng[2000];
    memset(lng, 'x', sizeof(lng));
    lng[1023] = '\xc3';         /* a 2-byte character across the cut */
    lng[1024] = '\xa9';
    lng[sizeof(lng) - 1] = '\0';
    fi.ifaces[0].name = lng;
    n = format_pcapng.file_header(buf, sizeof(buf), &fi);
    uint16_t code, len;
    memcpy(&code, buf + 56 + 16, 2);
    memcpy(&len, buf + 56 + 18, 2);
    CHECK_EQ_U(code, PCAPNG_IF_NAME);
    CHECK_EQ_U(len, 1024);
    CHECK_EQ_U(buf[56 + 20 + 1023], '?');
}

static void test_epb(void)
{
    uint8_t rec[256];
    uint8_t frame[61];
    struct pcapng_epb_opts o1, oq;

    pcapng_epb_opts_init(&o1, -1);
    pcapng_epb_opts_init(&oq, 3);
    CHECK_EQ_U(o1.len, 12);
    CHECK_EQ_U(oq.len, 20);
    /* the hot case: 60-byte frame, one queue: 104 bytes */
    CHECK_EQ_U(pcapng_epb_len(60, o1.len), 104);
    CHECK_EQ_U(pcapng_epb_len(61, oq.len), 116);
    CHECK_EQ_U(pcapng_epb_len(0, o1.len), 44);

    for (int i = 0; i < 61; i++)
        frame[i] = (uint8_t)(0xa0 + i);
    memset(rec, 0xee, sizeof(rec));     /* padding must come out zero anyway */
    uint32_t total = pcapng_epb_len(61, oq.len);
    pcapng_put_epb_head(rec, total, 2, (1ULL << 32) + 2, 61, 100);
    memcpy(rec + 28, frame, 61);
    pcapng_put_epb_tail(rec, total, &oq);
    CHECK(memcmp(rec, golden_epb_head, 28) == 0);
    CHECK(memcmp(rec + 28, frame, 61) == 0);
    CHECK(memcmp(rec + 28 + 61, golden_epb_tail, sizeof(golden_epb_tail)) == 0);
    CHECK_EQ_U(rec[total], 0xee);      /* nothing written past the record */

    /* the pieces of the slow path give the same bytes */
    uint8_t t[3 + PCAPNG_EPB_OPTS_MAX + 4];
    CHECK_EQ_U(pcapng_epb_trailer(t, 61, total, &oq), sizeof(golden_epb_tail));
    CHECK(memcmp(t, golden_epb_tail, sizeof(golden_epb_tail)) == 0);
    struct pcapng_epb h = pcapng_epb_hdr(total, 2, (1ULL << 32) + 2, 61, 100);
    CHECK(memcmp(&h, golden_epb_head, 28) == 0);

    /* every caplen mod 4: padding zero, the trailing length at the end */
    for (uint32_t c = 56; c <= 64; c++) {
        memset(rec, 0xee, sizeof(rec));
        total = pcapng_epb_len(c, o1.len);
        pcapng_put_epb_head(rec, total, 0, 5, c, c);
        memset(rec + 28, 0x55, c);
        pcapng_put_epb_tail(rec, total, &o1);
        for (uint32_t k = 28 + c; k < 28 + ((c + 3) & ~3u); k++)
            CHECK_EQ_U(rec[k], 0);
        uint32_t tl;
        memcpy(&tl, rec + total - 4, 4);
        CHECK_EQ_U(tl, total);
        CHECK_EQ_U(rec[total], 0xee);
        CHECK_EQ_U(total % 4, 0);
    }
}

static void test_trailer(void)
{
    uint8_t buf[4096];
    struct format_info fi = info1();
    struct format_ifstats st[2] = {
        { .start_ns = 0x100000002ULL, .end_ns = 0x300000004ULL, .ifrecv = 10, .ifdrop = 1,
          .filteraccept = 9, .osdrop = 2, .usrdeliv = 7 },
        { .start_ns = 5, .end_ns = 6, .ifrecv = 1, .ifdrop = 2, .filteraccept = 3,
          .osdrop = 4, .usrdeliv = 5 },
    };
    fi.nifaces = 2;
    fi.ifaces[1].name = "p1";
    CHECK(format_pcapng.file_trailer != NULL);
    CHECK(format_pcap.file_trailer == NULL);
    CHECK_EQ_U(format_pcap.trailer_len(&fi), 0);
    size_t n = format_pcapng.file_trailer(buf, sizeof(buf), &fi, st);
    CHECK_EQ_U(n, 2 * 112);
    /* trailer_len is the most it can be: with short frames an ISB carries a
     * comment saying how many; at 20 digits the bound is reached */
    CHECK(format_pcapng.trailer_len(&fi) >= n);
    {
        uint8_t big[4096];
        struct format_ifstats st2[2] = { st[0], st[1] };
        st2[0].short_frames = 3;
        st2[1].short_frames = UINT64_MAX;
        size_t n2 = format_pcapng.file_trailer(big, sizeof(big), &fi, st2);
        CHECK(n2 > n && n2 <= format_pcapng.trailer_len(&fi));
        static const char c3[] = "short_frames=3: ";
        CHECK(memmem(big, n2, c3, sizeof(c3) - 1) != NULL);
        CHECK(memmem(big, n2, "short_frames=18446744073709551615: ", 35) != NULL);
        st2[0].short_frames = UINT64_MAX;
        CHECK_EQ_U(format_pcapng.file_trailer(big, sizeof(big), &fi, st2),
                   format_pcapng.trailer_len(&fi));
    }
    CHECK_EQ_U(format_pcapng.file_trailer(buf, n - 1, &fi, st), 0);
    static const uint8_t isb0[112] = {
        0x05, 0, 0, 0, 0x70, 0, 0, 0, 0, 0, 0, 0,            /* ISB, 112 bytes, interface 0 */
        0x03, 0, 0, 0, 0x04, 0, 0, 0,                        /* timestamp = end time */
        0x02, 0, 8, 0, 1, 0, 0, 0, 2, 0, 0, 0,               /* isb_starttime high, low */
        0x03, 0, 8, 0, 3, 0, 0, 0, 4, 0, 0, 0,               /* isb_endtime */
        0x04, 0, 8, 0, 10, 0, 0, 0, 0, 0, 0, 0,              /* isb_ifrecv 10 */
        0x05, 0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0,               /* isb_ifdrop 1 */
        0x06, 0, 8, 0, 9, 0, 0, 0, 0, 0, 0, 0,               /* isb_filteraccept 9 */
        0x07, 0, 8, 0, 2, 0, 0, 0, 0, 0, 0, 0,               /* isb_osdrop 2 */
        0x08, 0, 8, 0, 7, 0, 0, 0, 0, 0, 0, 0,               /* isb_usrdeliv 7 */
        0, 0, 0, 0,
        0x70, 0, 0, 0,
    };
    CHECK(memcmp(buf, isb0, sizeof(isb0)) == 0);
    uint32_t ifid;
    memcpy(&ifid, buf + 112 + 8, 4);
    CHECK_EQ_U(ifid, 1);
}

/* header, n EPBs of 60..60+n-1 bytes on interface 0, trailer */
static size_t build_file(uint8_t *buf, size_t cap, const struct format_info *fi, int n,
                         size_t *ends)
{
    struct pcapng_epb_opts o;
    struct format_ifstats st[FORMAT_MAX_IFACES];
    size_t off = format_pcapng.file_header(buf, cap, fi);
    pcapng_epb_opts_init(&o, -1);
    for (int i = 0; i < n; i++) {
        uint32_t c = 60 + (uint32_t)i;
        uint32_t total = pcapng_epb_len(c, o.len);
        uint64_t ns = 1700000000ULL * 1000000000ULL + 123456789ULL + (uint64_t)i;
        pcapng_put_epb_head(buf + off, total, 0, ns, c, c + 4);
        for (uint32_t k = 0; k < c; k++)
            buf[off + 28 + k] = (uint8_t)(i + k);
        pcapng_put_epb_tail(buf + off, total, &o);
        off += total;
        ends[i] = off;
    }
    memset(st, 0, sizeof(st));
    off += format_pcapng.file_trailer(buf + off, cap - off, fi, st);
    return off;
}

static void test_prefix(void)
{
    static uint8_t buf[8192];
    size_t ends[8];
    uint64_t n;
    struct format_info fi = info1();
    size_t hlen = format_pcapng.file_header(buf, sizeof(buf), &fi);
    size_t len = build_file(buf, sizeof(buf), &fi, 5, ends);

    CHECK_EQ_U(format_pcapng.valid_prefix(buf, len, &n), len);
    CHECK_EQ_U(n, 5);
    /* cut anywhere inside the third record: two records remain */
    for (size_t cut = ends[1]; cut < ends[2]; cut++) {
        CHECK_EQ_U(format_pcapng.valid_prefix(buf, cut, &n), ends[1]);
        CHECK_EQ_U(n, 2);
    }
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, hlen, &n), hlen);
    CHECK_EQ_U(n, 0);
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, 10, &n), 0);
    /* a zero-filled tail is not a block */
    uint8_t *z = calloc(1, len + 512);
    memcpy(z, buf, ends[4]);
    CHECK_EQ_U(format_pcapng.valid_prefix(z, ends[4] + 512, &n), ends[4]);
    CHECK_EQ_U(n, 5);
    free(z);
    /* trailer length differs, unknown interface, caplen over origlen, length
     * not a multiple of 4, length past the end: stop before that record */
    uint32_t v;
    memcpy(&v, buf + ends[3] - 4, 4);
    v += 4;
    memcpy(buf + ends[3] - 4, &v, 4);
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, len, &n), ends[2]);
    v -= 4;
    memcpy(buf + ends[3] - 4, &v, 4);
    buf[ends[2] + 8] = 1;       /* interface 1: no such IDB */
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, len, &n), ends[2]);
    buf[ends[2] + 8] = 0;
    buf[ends[2] + 24] = 0;      /* origlen below caplen */
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, len, &n), ends[2]);
    buf[ends[2] + 24] = (uint8_t)(60 + 3 + 4);
    buf[ends[2] + 4] += 2;      /* length not a multiple of 4 */
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, len, &n), ends[2]);
    buf[ends[2] + 4] = 0xff;
    buf[ends[2] + 5] = 0xff;    /* length past the end */
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, len, &n), ends[2]);
    /* not pcapng at all */
    memset(buf, 0xd4, 4);
    CHECK_EQ_U(format_pcapng.valid_prefix(buf, len, &n), 0);
}

/* libpcap reads a whole image: every record, nanosecond timestamps, lengths
 * and bytes, then the ISBs without complaint. */
static void test_libpcap(void)
{
    static uint8_t buf[8192];
    size_t ends[8];
    struct format_info fi = info1();
    size_t len = build_file(buf, sizeof(buf), &fi, 7, ends);
    char path[] = "/tmp/test_pcapng.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, buf, len) == (ssize_t)len);
    close(fd);

    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    CHECK(p != NULL);
    if (p == NULL) {
        fprintf(stderr, "libpcap: %s\n", err);
        unlink(path);
        return;
    }
    CHECK_EQ_U(pcap_datalink(p), DLT_EN10MB);
    CHECK_EQ_U(pcap_snapshot(p), 96);
    struct pcap_pkthdr *h;
    const u_char *d;
    int i = 0, rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        CHECK_EQ_U(h->caplen, 60 + (unsigned)i);
        CHECK_EQ_U(h->len, 64 + (unsigned)i);
        CHECK_EQ_U(h->ts.tv_sec, 1700000000);
        CHECK_EQ_U(h->ts.tv_usec, 123456789 + i);     /* nanoseconds with PRECISION_NANO */
        CHECK(d[0] == (u_char)i && d[h->caplen - 1] == (u_char)(i + h->caplen - 1));
        i++;
    }
    CHECK_EQ_U(rc, -2);         /* the end of the file, no error */
    CHECK_EQ_U(i, 7);
    pcap_close(p);
    unlink(path);
}

int main(void)
{
    test_header();
    test_strings();
    test_epb();
    test_trailer();
    test_prefix();
    test_libpcap();
    return check_done("test_pcapng");
}
