/* pcap encoder: golden bytes from the specification, and the prefix walker
 * on truncated and hostile input. */
#include <string.h>

#include "check.h"
#include "format/format.h"
#include "format/pcap.h"

static const uint8_t golden_hdr[24] = {
    0x4d, 0x3c, 0xb2, 0xa1,     /* magic 0xa1b23c4d, little endian */
    0x02, 0x00, 0x04, 0x00,     /* version 2.4 */
    0, 0, 0, 0, 0, 0, 0, 0,     /* reserved */
    0x60, 0x00, 0x00, 0x00,     /* snaplen 96 */
    0x01, 0x00, 0x00, 0x00,     /* LINKTYPE_ETHERNET */
};

static const uint8_t golden_rec[16] = {
    0x78, 0x56, 0x34, 0x12,     /* ts_sec 0x12345678 */
    0xff, 0xc9, 0x9a, 0x3b,     /* ts_nsec 999999999 */
    0x3c, 0x00, 0x00, 0x00,     /* caplen 60 */
    0x28, 0x23, 0x00, 0x00,     /* origlen 9000 */
};

int main(void)
{
    uint8_t buf[4096];
    struct format_info fi = { .snaplen = 96, .linktype = 1 };
    uint64_t n;

    CHECK(format_by_name("pcap") == &format_pcap);
    CHECK(format_by_name("pcapx") == NULL);
    CHECK_EQ_U(format_pcap.file_header(buf, sizeof(buf), &fi), 24);
    CHECK(memcmp(buf, golden_hdr, 24) == 0);
    CHECK_EQ_U(format_pcap.file_header(buf, 23, &fi), 0);

    pcap_put_rec_hdr(buf + 24, 0x12345678, 999999999, 60, 9000);
    CHECK(memcmp(buf + 24, golden_rec, 16) == 0);

    /* Two records of 60 bytes, then a torn third. */
    memset(buf + 40, 0xab, 60);
    pcap_put_rec_hdr(buf + 100, 1, 2, 60, 60);
    memset(buf + 116, 0xcd, 60);
    size_t full = 176;
    CHECK_EQ_U(format_pcap.valid_prefix(buf, full, &n), full);
    CHECK_EQ_U(n, 2);
    pcap_put_rec_hdr(buf + full, 1, 2, 60, 60);
    for (size_t cut = full; cut < full + 16 + 60; cut++) {
        CHECK_EQ_U(format_pcap.valid_prefix(buf, cut, &n), full);
        CHECK_EQ_U(n, 2);
    }
    /* Zero-filled tail (what a crash after preallocation leaves) is not a record. */
    memset(buf + full, 0, 200);
    CHECK_EQ_U(format_pcap.valid_prefix(buf, full + 200, &n), full);
    /* caplen over snaplen, caplen over origlen, nsec out of range: stop there. */
    pcap_put_rec_hdr(buf + full, 1, 2, 97, 100);
    CHECK_EQ_U(format_pcap.valid_prefix(buf, full + 16 + 97, &n), full);
    pcap_put_rec_hdr(buf + full, 1, 2, 60, 59);
    CHECK_EQ_U(format_pcap.valid_prefix(buf, full + 16 + 60, &n), full);
    pcap_put_rec_hdr(buf + full, 1, 1000000000, 60, 60);
    CHECK_EQ_U(format_pcap.valid_prefix(buf, full + 16 + 60, &n), full);
    /* Not a nanosecond pcap at all. */
    buf[0] = 0xd4;
    CHECK_EQ_U(format_pcap.valid_prefix(buf, full, &n), 0);
    CHECK_EQ_U(format_pcap.valid_prefix(buf, 10, &n), 0);
    return check_done("test_pcap");
}
