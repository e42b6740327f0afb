#include "verify/flow.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "format/stamp.h"

#define ETH_HLEN 14u
#define MAX_VLANS 8u

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The stamp is looked for in UDP payloads only; "truncated" means the wire
 * frame was long enough to hold one but the captured bytes are not. */
static void read_stamp(const uint8_t *l4, uint32_t cap_left, uint32_t wire_left,
                       struct vf_pkt *out)
{
    struct lc_stamp st;
    if (cap_left < 8)
        return;
    if (lc_stamp_get(l4 + 8, cap_left - 8, &st)) {
        out->stamped = 1;
        out->seq = st.seq;
        out->tx_ns = st.tx_ns;
    } else if (cap_left < 8 + LC_STAMP_LEN && wire_left >= 8 + LC_STAMP_LEN) {
        out->truncated = 1;
    }
}

static void read_ports(const uint8_t *l4, uint32_t cap_left, uint32_t wire_left,
                       struct vf_pkt *out)
{
    uint8_t proto = out->key.proto;
    if (proto != 17 && proto != 6 && proto != 132)
        return;
    if (cap_left < 4) {
        if (wire_left >= 4)
            out->truncated = 1;
        return;
    }
    out->key.sport = rd16(l4);
    out->key.dport = rd16(l4 + 2);
    if (proto == 17)
        read_stamp(l4, cap_left, wire_left, out);
}

static enum vf_kind parse(const uint8_t *p, uint32_t caplen, uint32_t len, struct vf_pkt *out)
{
    uint32_t off = ETH_HLEN, wire = len < caplen ? caplen : len;
    uint16_t type;

    memset(out, 0, sizeof(*out));
    out->kind = VF_NON_IP;
    if (caplen < ETH_HLEN)
        return out->kind;
    type = rd16(p + 12);
    while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && out->vlans < MAX_VLANS) {
        if (caplen < off + 4)
            return out->kind;
        type = rd16(p + off + 2);
        off += 4;
        out->vlans++;
    }
    if (type == 0x0800) {
        const uint8_t *ip = p + off;
        uint32_t ihl, tot;
        out->kind = VF_BAD_IP;
        if (caplen < off + 20 || (ip[0] >> 4) != 4)
            return out->kind;
        ihl = (ip[0] & 0x0fu) * 4u;
        tot = rd16(ip + 2);
        if (ihl < 20 || caplen < off + ihl || tot < ihl)
            return out->kind;
        out->key.family = 4;
        out->key.proto = ip[9];
        memcpy(out->key.src, ip + 12, 4);
        memcpy(out->key.dst, ip + 16, 4);
        out->kind = VF_FLOW;
        if ((rd16(ip + 6) & 0x1fffu) != 0) /* a later fragment: no L4 header */
            return out->kind;
        off += ihl;
        /* the IP total length bounds the L4 bytes (Ethernet padding is not payload) */
        uint32_t l4_wire = tot - ihl;
        if (off + l4_wire < wire)
            wire = off + l4_wire;
        read_ports(p + off, caplen > off ? (caplen < wire ? caplen : wire) - off : 0,
                   wire > off ? wire - off : 0, out);
        return out->kind;
    }
    if (type == 0x86dd) {
        const uint8_t *ip = p + off;
        uint32_t plen, hops = 0;
        uint8_t nh;
        out->kind = VF_BAD_IP;
        if (caplen < off + 40 || (ip[0] >> 4) != 6)
            return out->kind;
        plen = rd16(ip + 4);
        nh = ip[6];
        out->key.family = 6;
        memcpy(out->key.src, ip + 8, 16);
        memcpy(out->key.dst, ip + 24, 16);
        off += 40;
        if (off + plen < wire)
            wire = off + plen;
        /* extension headers: hop-by-hop, routing, destination options, fragment */
        while ((nh == 0 || nh == 43 || nh == 60 || nh == 44) && hops++ < 8) {
            if (caplen < off + 8)
                return out->kind;
            if (nh == 44) {
                uint16_t fo = rd16(p + off + 2);
                nh = p[off];
                off += 8;
                if ((fo & 0xfff8u) != 0) { /* a later fragment */
                    out->key.proto = nh;
                    out->kind = VF_FLOW;
                    return out->kind;
                }
                continue;
            }
            uint32_t hl = (p[off + 1] + 1u) * 8u;
            nh = p[off];
            off += hl;
        }
        if (off > caplen)
            return out->kind;
        out->key.proto = nh;
        out->kind = VF_FLOW;
        read_ports(p + off, (caplen < wire ? caplen : wire) > off ? (caplen < wire ? caplen : wire) - off : 0,
                   wire > off ? wire - off : 0, out);
        return out->kind;
    }
    return out->kind;
}

enum vf_kind vf_parse(const uint8_t *p, uint32_t caplen, uint32_t len, struct vf_pkt *out)
{
    parse(p, caplen, len, out);
    /* headers cut by the snaplen: the frame could not be classified fully */
    if (out->kind != VF_FLOW && caplen < len)
        out->truncated = 1;
    return out->kind;
}

char *vf_key_str(const struct vf_key *k, char *buf, unsigned cap)
{
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    const char *pn;
    int af = k->family == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, k->src, s, sizeof(s));
    inet_ntop(af, k->dst, d, sizeof(d));
    switch (k->proto) {
    case 17: pn = "udp"; break;
    case 6: pn = "tcp"; break;
    case 132: pn = "sctp"; break;
    default: pn = NULL;
    }
    if (pn && k->family == 6)
        snprintf(buf, cap, "[%s]:%u > [%s]:%u %s", s, k->sport, d, k->dport, pn);
    else if (pn)
        snprintf(buf, cap, "%s:%u > %s:%u %s", s, k->sport, d, k->dport, pn);
    else
        snprintf(buf, cap, "%s > %s proto %u", s, d, k->proto);
    return buf;
}
