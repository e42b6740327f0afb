#include <errno.h>
#include <string.h>

#include "check.h"
#include "common/exitcodes.h"
#include "common/sys.h"
#include "common/units.h"
#include "format/pcap.h"

int main(void)
{
    uint64_t v;
    unsigned ids[8];

    CHECK(lc_parse_u64("0", 0, 10, &v) == 0 && v == 0);
    CHECK(lc_parse_u64("262144", 1, 262144, &v) == 0 && v == 262144);
    CHECK(lc_parse_u64("262145", 1, 262144, &v) == -ERANGE);
    CHECK(lc_parse_u64("0", 1, 10, &v) == -ERANGE);
    CHECK(lc_parse_u64("10x", 0, 100, &v) == -EINVAL);
    CHECK(lc_parse_u64("-5", 0, 100, &v) == -EINVAL);
    CHECK(lc_parse_u64("", 0, 100, &v) == -EINVAL);
    CHECK(lc_parse_u64(" 5", 0, 100, &v) == -EINVAL);
    CHECK(lc_parse_u64("18446744073709551616", 0, UINT64_MAX, &v) == -ERANGE);
    CHECK(lc_parse_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);

    CHECK(lc_parse_size("4096", &v) == 0 && v == 4096);
    CHECK(lc_parse_size("500M", &v) == 0 && v == 500ULL << 20);
    CHECK(lc_parse_size("2G", &v) == 0 && v == 2ULL << 30);
    CHECK(lc_parse_size("2GiB", &v) == 0 && v == 2ULL << 30);
    CHECK(lc_parse_size("3k", &v) == 0 && v == 3072);
    CHECK(lc_parse_size("1T", &v) == 0 && v == 1ULL << 40);
    CHECK(lc_parse_size("0", &v) == -ERANGE);
    CHECK(lc_parse_size("", &v) == -EINVAL);
    CHECK(lc_parse_size("M", &v) == -EINVAL);
    CHECK(lc_parse_size("5X", &v) == -EINVAL);
    CHECK(lc_parse_size("5Mx", &v) == -EINVAL);
    CHECK(lc_parse_size("-5M", &v) == -EINVAL);
    CHECK(lc_parse_size("1.5G", &v) == -EINVAL);
    CHECK(lc_parse_size("99999999999T", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("1", &v) == 0 && v == 1000000000ULL);
    CHECK(lc_parse_duration_ns("0.5", &v) == 0 && v == 500000000ULL);
    CHECK(lc_parse_duration_ns("100ms", &v) == 0 && v == 100000000ULL);
    CHECK(lc_parse_duration_ns("2m", &v) == 0 && v == 120000000000ULL);
    CHECK(lc_parse_duration_ns("1h", &v) == 0 && v == 3600000000000ULL);
    CHECK(lc_parse_duration_ns("1.25s", &v) == 0 && v == 1250000000ULL);
    CHECK(lc_parse_duration_ns("0", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("-1", &v) == -EINVAL);
    CHECK(lc_parse_duration_ns("10x", &v) == -EINVAL);
    CHECK(lc_parse_duration_ns(".", &v) == -EINVAL);
    CHECK(lc_parse_duration_ns("", &v) == -EINVAL);
    CHECK(lc_parse_duration_ns("1e3", &v) == -EINVAL);
    /* overflow is checked after each multiply and add: the integer part
     * fits, the fraction pushes the sum past 2^64-1 ns (it used to wrap to
     * 25.7 s); the edges are the largest value that fits and one digit of
     * the 9th decimal above it */
    CHECK(lc_parse_duration_ns("307445734.99m", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("307445734m", &v) == 0 && v == 18446744040000000000ULL);
    CHECK(lc_parse_duration_ns("307445734.561825860m", &v) == 0 && v == 18446744073709551600ULL);
    CHECK(lc_parse_duration_ns("307445734.561825861m", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("307445735m", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("5124095.576030431h", &v) == 0 && v == 18446744073709551600ULL);
    CHECK(lc_parse_duration_ns("5124095.576030432h", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("5124095.9h", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("5124096h", &v) == -ERANGE);
    CHECK(lc_parse_duration_ns("9999999999.999999999s", &v) == 0 && v == 9999999999999999999ULL);
    CHECK(lc_parse_size("16777215T", &v) == 0 && v == 16777215ULL << 40);
    CHECK(lc_parse_size("16777216T", &v) == -ERANGE);
    CHECK(lc_parse_size("18446744073709551615", &v) == 0 && v == UINT64_MAX);
    CHECK(lc_parse_size("18446744073709551616", &v) == -ERANGE);

    CHECK(lc_parse_cpu_list("1", ids, 8) == 1 && ids[0] == 1);
    CHECK(lc_parse_cpu_list("0,2", ids, 8) == 2 && ids[1] == 2);
    CHECK(lc_parse_cpu_list("1-3,5", ids, 8) == 4 && ids[2] == 3 && ids[3] == 5);
    /* a CPU may repeat: several lcores share it */
    CHECK(lc_parse_cpu_list("1,1", ids, 8) == 2 && ids[0] == 1 && ids[1] == 1);
    CHECK(lc_parse_cpu_list("0-1,0-1,0-1,0-1", ids, 8) == 8 && ids[6] == 0 && ids[7] == 1);
    CHECK(lc_parse_cpu_list("0-1,0-1,0-1,0-1,0", ids, 8) == -ERANGE);
    CHECK(lc_parse_cpu_list("3-1", ids, 8) == -EINVAL);
    CHECK(lc_parse_cpu_list("abc", ids, 8) == -EINVAL);
    CHECK(lc_parse_cpu_list("1,", ids, 8) == -EINVAL);
    CHECK(lc_parse_cpu_list("0-9", ids, 8) == -ERANGE);
    CHECK(lc_parse_cpu_list("", ids, 8) == -EINVAL);

    /* rates (linecap-gen --rate, --pps) */
    double d;
    CHECK(lc_parse_si("10g", 1e12, &d) == 0 && d == 10e9);
    CHECK(lc_parse_si("2.5g", 1e12, &d) == 0 && d == 2.5e9);
    CHECK(lc_parse_si("2.5G", 1e12, &d) == 0 && d == 2.5e9);
    CHECK(lc_parse_si("100m", 1e12, &d) == 0 && d == 100e6);
    CHECK(lc_parse_si("14.88m", 1e10, &d) == 0 && d > 14.88e6 - 1e-3 && d < 14.88e6 + 1e-3);
    CHECK(lc_parse_si("500k", 1e10, &d) == 0 && d == 500e3);
    CHECK(lc_parse_si("500K", 1e10, &d) == 0 && d == 500e3);
    CHECK(lc_parse_si("1000000", 1e10, &d) == 0 && d == 1e6);
    CHECK(lc_parse_si(".5k", 1e10, &d) == 0 && d == 500);
    CHECK(lc_parse_si("1000g", 1e12, &d) == 0 && d == 1e12);
    CHECK(lc_parse_si("0", 1e12, &d) == -ERANGE);
    CHECK(lc_parse_si("0g", 1e12, &d) == -ERANGE);
    CHECK(lc_parse_si("2000g", 1e12, &d) == -ERANGE);
    CHECK(lc_parse_si("", 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si(NULL, 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si("g", 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si(".", 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si("10x", 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si("10gb", 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si("-1g", 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si(" 1g", 1e12, &d) == -EINVAL);
    CHECK(lc_parse_si("1.5.2", 1e12, &d) == -EINVAL);

    /* MAC and IPv4 addresses (linecap-gen --src-mac, --dst-ip ...) */
    uint8_t mac[6];
    uint32_t ip;
    CHECK(lc_parse_mac("02:00:00:00:00:0a", mac) == 0 && mac[0] == 2 && mac[5] == 10);
    CHECK(lc_parse_mac("AA:bb:Cc:dD:ee:FF", mac) == 0 && mac[0] == 0xaa && mac[3] == 0xdd &&
          mac[5] == 0xff);
    CHECK(lc_parse_mac("02:00:00:00:00:0a:", mac) == -EINVAL);
    CHECK(lc_parse_mac("02:00:00:00:00", mac) == -EINVAL);
    CHECK(lc_parse_mac("02:00:00:00:00:0", mac) == -EINVAL);
    CHECK(lc_parse_mac("2:0:0:0:0:1", mac) == -EINVAL);
    CHECK(lc_parse_mac("02-00-00-00-00-01", mac) == -EINVAL);
    CHECK(lc_parse_mac("02:00:00:00:00:0g", mac) == -EINVAL);
    CHECK(lc_parse_mac("-2:00:00:00:00:01", mac) == -EINVAL);
    CHECK(lc_parse_mac(" 2:00:00:00:00:01", mac) == -EINVAL);
    CHECK(lc_parse_mac("", mac) == -EINVAL);
    CHECK(lc_parse_ipv4("192.168.0.1", &ip) == 0 && ip == 0xc0a80001);
    CHECK(lc_parse_ipv4("0.0.0.0", &ip) == 0 && ip == 0);
    CHECK(lc_parse_ipv4("255.255.255.255", &ip) == 0 && ip == 0xffffffff);
    CHECK(lc_parse_ipv4("010.0.0.1", &ip) == 0 && ip == 0x0a000001);
    CHECK(lc_parse_ipv4("1.2.3", &ip) == -EINVAL);
    CHECK(lc_parse_ipv4("1.2.3.4.5", &ip) == -EINVAL);
    CHECK(lc_parse_ipv4("1.2.3.256", &ip) == -EINVAL);
    CHECK(lc_parse_ipv4("1.2.3.0001", &ip) == -EINVAL);
    CHECK(lc_parse_ipv4("1..3.4", &ip) == -EINVAL);
    CHECK(lc_parse_ipv4("1.2.3.4 ", &ip) == -EINVAL);
    CHECK(lc_parse_ipv4("", &ip) == -EINVAL);

    /* the usage line: formatted, truncated to errlen, EXIT_USAGE */
    {
        char e[16];
        CHECK(lc_bad(e, sizeof(e), "-q '%s': bad", "x") == EXIT_USAGE && strcmp(e, "-q 'x': bad") == 0);
        CHECK(lc_bad(e, 8, "%s", "0123456789") == EXIT_USAGE && strcmp(e, "0123456") == 0);
    }

    /* ARPHRD type -> pcap link type (what AF_PACKET hands over) */
    CHECK(lc_arphrd_linktype(1) == LINKTYPE_ETHERNET);          /* ETHER */
    CHECK(lc_arphrd_linktype(772) == LINKTYPE_ETHERNET);        /* LOOPBACK */
    CHECK(lc_arphrd_linktype(65534) == LINKTYPE_RAW);           /* NONE: tun, wg */
    CHECK(lc_arphrd_linktype(512) == LINKTYPE_RAW);             /* PPP */
    CHECK(lc_arphrd_linktype(519) == LINKTYPE_RAW);             /* RAWIP */
    CHECK(lc_arphrd_linktype(768) == LINKTYPE_RAW);             /* TUNNEL */
    CHECK(lc_arphrd_linktype(769) == LINKTYPE_RAW);             /* TUNNEL6 */
    CHECK(lc_arphrd_linktype(776) == LINKTYPE_RAW);             /* SIT */
    CHECK(lc_arphrd_linktype(778) == -1);                       /* IPGRE */
    CHECK(lc_arphrd_linktype(803) == -1);                       /* 802.11 radiotap */
    CHECK(lc_arphrd_linktype(0) == -1);

    /* DPDK ports and absent interfaces are Ethernet; lo is (type 772) */
    {
        char err[512];
        const char *eth[] = { "net_null0", "0000:00:04.0", "0", "lo", "net_af_packet0,iface=lo",
                              "net_pcap0,rx_pcap=x.pcap", "net_af_packet1,iface=../../x",
                              "net_af_packet2,iface=lcnosuchif0" };
        CHECK(lc_ports_linktype(eth, 8, err, sizeof(err)) == LINKTYPE_ETHERNET);
        CHECK(lc_ports_linktype(eth, 0, err, sizeof(err)) == LINKTYPE_ETHERNET);
    }
    return check_done("test_units");
}
