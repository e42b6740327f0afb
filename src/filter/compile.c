#include "filter/filter.h"

#include <stdio.h>

#include "format/pcap.h"

int filter_compile(const char *expr, uint32_t linktype, uint32_t snaplen, struct bpf_program *prog,
                   char *err, size_t errlen)
{
    /* libpcap compiles for a DLT, which for raw IP is not the LINKTYPE
     * value the file carries (DLT_RAW is 12 on Linux, LINKTYPE_RAW 101) */
    int dlt;
    switch (linktype) {
    case LINKTYPE_ETHERNET:
        dlt = DLT_EN10MB;
        break;
    case LINKTYPE_RAW:
        dlt = DLT_RAW;
        break;
    default:
        snprintf(err, errlen, "no filter compiler for link type %u", linktype);
        return -1;
    }
    pcap_t *p = pcap_open_dead(dlt, (int)snaplen);
    if (p == NULL) {
        snprintf(err, errlen, "cannot open a libpcap compile context");
        return -1;
    }
    if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "%s", pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    pcap_close(p);
    return 0;
}
