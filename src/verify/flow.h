/* Frame parser for `linecap verify`: Ethernet, any number of VLAN tags,
 * IPv4/IPv6 (skipping IPv6 extension headers), UDP/TCP ports, and the
 * linecap-gen payload stamp of stamp.h. Pure: no allocation, no libpcap.
 * Every length is checked against the captured bytes, never the wire length. */
#ifndef LC_VERIFY_FLOW_H
#define LC_VERIFY_FLOW_H

#include <stdint.h>

/* A flow: the 5-tuple. IPv4 addresses sit in the first 4 bytes of src/dst,
 * the rest zero, so a key compares and hashes as plain bytes. */
struct vf_key {
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t sport; /* host order; 0 for protocols without ports */
    uint16_t dport;
    uint8_t family; /* 4 or 6 */
    uint8_t proto;  /* IP protocol number */
    uint8_t pad[2]; /* always zero */
};

enum vf_kind {
    VF_NON_IP,    /* not IPv4/IPv6 (ARP, LLDP, ...): no flow */
    VF_BAD_IP,    /* claims IP but its headers are cut short or malformed */
    VF_FLOW,      /* key valid */
};

struct vf_pkt {
    enum vf_kind kind;
    struct vf_key key;
    uint8_t vlans;     /* VLAN tags crossed */
    uint8_t stamped;   /* 1: seq and tx_ns valid */
    uint8_t truncated; /* 1: the snaplen cut the frame before a stamp could be read */
    uint64_t seq;
    uint64_t tx_ns;
};

/* Parse one frame of caplen captured bytes (wire length len). Always fills
 * *out (kind says how far it got); returns out->kind. */
enum vf_kind vf_parse(const uint8_t *p, uint32_t caplen, uint32_t len, struct vf_pkt *out);

/* "10.0.0.1:5000 > 10.0.0.2:6000 udp" into buf (>= 128 bytes); returns buf. */
char *vf_key_str(const struct vf_key *k, char *buf, unsigned cap);

#endif
