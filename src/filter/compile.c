#include "filter/filter.h"

#include <stdio.h>

int filter_compile(const char *expr, uint32_t snaplen, struct bpf_program *prog, char *err,
                   size_t errlen)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
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
