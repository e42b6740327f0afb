#!/usr/bin/python3
"""Generate tests/data/filter.pcap, the capture the filter cases judge on.

    python3 tests/data/make_filter_data.py [OUT]

Raw frames built with struct (no scapy), deterministic (fixed seed, fixed
timestamps in 2021). A diverse mix so that every kind of classic BPF access
is exercised: IPv4 TCP with every flag combination seen in practice and with
IP options (header length > 20, so libpcap indexes the TCP header through X),
UDP (DNS, NTP, ports in and out of 1000-2000), ICMP, IGMP, IPv4 fragments
(first and later), broadcast and multicast, ARP request/reply, 802.1Q and
QinQ (802.1ad + 802.1Q) tagged IPv4/IPv6/ARP, IPv6 TCP/UDP/ICMPv6 with and
without extension headers, IPv6 multicast, LLC/STP (802.3 length field),
LLDP, runts (shorter than an Ethernet header), frames cut inside the IP or
TCP header, minimum 60-byte frames, 1514-byte frames and jumbo frames (net_pcap
hands frames above ~2 KB over as multi-segment mbufs, so loads past the first
segment are exercised too). Captured length = original length everywhere.
"""
import random
import struct
import sys

SEED = 5
BASE_TS = 1612137600  # 2021-02-01T00:00:00Z

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
MAC_C = bytes.fromhex("0a1b2c3d4e5f")
BCAST = b"\xff" * 6


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def eth(dst, src, etype, tags=()):
    """tags: sequence of (tpid, vid, pcp)"""
    h = dst + src
    for tpid, vid, pcp in tags:
        h += struct.pack("!HH", tpid, (pcp << 13) | vid)
    return h + struct.pack("!H", etype)


def tcp(sport, dport, flags, seq=1000, ack=0, win=65535, payload=b"", opts=b""):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts + payload


def udp(sport, dport, payload=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(typ, code, payload=b""):
    h = struct.pack("!BBHHH", typ, code, 0, 1, 1) + payload
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def ipv4(src, dst, proto, l4, ttl=64, tos=0, ident=1, flags_frag=0, opts=b""):
    ihl = (20 + len(opts)) // 4
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, tos, 20 + len(opts) + len(l4), ident,
                    flags_frag, ttl, proto, 0, ip4(src), ip4(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def ipv6(src, dst, nh, l4, hlim=64, tc=0, ext=b""):
    return struct.pack("!IHBB16s16s", (6 << 28) | (tc << 20), len(ext) + len(l4), nh, hlim,
                       ip6(src), ip6(dst)) + ext + l4


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ip4(spa), tha, ip4(tpa))


def pad(f, n=60):
    return f + b"\0" * (n - len(f)) if len(f) < n else f


def body(n, seed):
    return bytes(((seed * 131 + j * 7) ^ (j >> 8)) & 0xFF for j in range(n))


F_FIN, F_SYN, F_RST, F_PSH, F_ACK, F_URG, F_ECE, F_CWR = 1, 2, 4, 8, 16, 32, 64, 128
FLAGSETS = [F_SYN, F_SYN | F_ACK, F_ACK, F_PSH | F_ACK, F_FIN | F_ACK, F_RST, F_RST | F_ACK,
            F_URG | F_ACK, F_SYN | F_ECE | F_CWR, 0, F_FIN | F_PSH | F_URG]
HOSTS4 = ["10.0.0.1", "10.0.0.2", "10.1.2.3", "192.168.1.10", "192.168.1.20", "172.16.5.4",
          "198.51.100.7", "203.0.113.9"]
HOSTS6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1::10", "fe80::1", "fd00::5"]
PORTS = [22, 53, 80, 123, 443, 999, 1000, 1500, 2000, 2001, 5000, 8080, 65535]


def frames():
    rng = random.Random(SEED)
    out = []
    add = out.append

    # IPv4 TCP: every flag set, across hosts, ports, TTLs, TOS, with/without options
    for i, fl in enumerate(FLAGSETS):
        for j in range(4):
            s, d = rng.sample(HOSTS4, 2)
            sp, dp = rng.choice(PORTS), rng.choice(PORTS)
            opts = b"" if j % 2 == 0 else b"\x01\x01\x01\x00" * (1 + (i % 3))  # NOPs + EOL
            topts = b"\x02\x04\x05\xb4\x01\x03\x03\x07" if j == 3 else b""  # MSS, NOP, WS
            ttl = [1, 32, 63, 64, 65, 128, 255][(i + j) % 7]
            tos = [0, 0xB8, 0x10, 0x02][j]
            pl = body(rng.choice([0, 0, 6, 100, 400, 1400]), i * 10 + j)
            add(pad(eth(MAC_B, MAC_A, 0x0800) +
                    ipv4(s, d, 6, tcp(sp, dp, fl, seq=i * 7919 + j, payload=pl, opts=topts), ttl=ttl, tos=tos,
                         ident=i * 16 + j, opts=opts)))
    # IPv4 UDP: DNS both ways, NTP, range edges, big ports
    for i, (sp, dp) in enumerate([(40000, 53), (53, 40000), (123, 123), (5000, 999), (5000, 1000),
                                  (5000, 1500), (5000, 2000), (5000, 2001), (1000, 7000),
                                  (2000, 7000), (65535, 9), (68, 67)]):
        s, d = HOSTS4[i % len(HOSTS4)], HOSTS4[(i + 3) % len(HOSTS4)]
        add(pad(eth(MAC_A, MAC_B, 0x0800) +
                ipv4(s, d, 17, udp(sp, dp, body(20 + i * 37, i)), ttl=30 + i, ident=200 + i)))
        # with IP options too (UDP ports then sit behind a 24..32 byte header)
        add(pad(eth(MAC_A, MAC_B, 0x0800) +
                ipv4(s, d, 17, udp(sp, dp, body(8, i)), ident=300 + i,
                     opts=b"\x94\x04\x00\x00" * (1 + i % 3))))
    # ICMP echo request/reply, unreachable, time exceeded
    for i, (t, c) in enumerate([(8, 0), (0, 0), (3, 3), (11, 0), (8, 0)]):
        add(pad(eth(MAC_B, MAC_A, 0x0800) +
                ipv4(HOSTS4[i], HOSTS4[i + 1], 1, icmp(t, c, body(32 + i * 10, i)), ident=400 + i)))
    # IGMP to a multicast group, UDP multicast (mDNS), UDP broadcast (DHCP)
    add(pad(eth(bytes.fromhex("01005e000001"), MAC_A, 0x0800) +
            ipv4("10.0.0.1", "224.0.0.1", 2, bytes.fromhex("1164ee9b00000000"), ttl=1)))
    add(pad(eth(bytes.fromhex("01005e0000fb"), MAC_A, 0x0800) +
            ipv4("192.168.1.10", "224.0.0.251", 17, udp(5353, 5353, body(40, 1)), ttl=255)))
    add(pad(eth(BCAST, MAC_C, 0x0800) +
            ipv4("0.0.0.0", "255.255.255.255", 17, udp(68, 67, body(240, 2)), ttl=64)))
    add(pad(eth(BCAST, MAC_A, 0x0800) +
            ipv4("10.255.255.254", "10.255.255.255", 17, udp(137, 137, body(50, 3)))))
    # IPv4 fragments: a first fragment (MF, offset 0) holding the TCP/UDP
    # header, then later fragments (offset > 0) whose bytes look like ports
    for i in range(3):
        l4 = tcp(1234, 80, F_ACK, payload=body(200, i)) if i != 1 else udp(1234, 53, body(200, i))
        proto = 17 if i == 1 else 6
        add(eth(MAC_B, MAC_A, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", proto, l4, ident=500 + i,
                                             flags_frag=0x2000))
        fake = struct.pack("!HH", 80, 53) + body(100, i)   # "ports" 80 and 53 at the L4 offset
        add(eth(MAC_B, MAC_A, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", proto, fake, ident=500 + i,
                                             flags_frag=26 + i))
    # DF set, not a fragment
    add(pad(eth(MAC_B, MAC_A, 0x0800) +
            ipv4("10.0.0.2", "10.0.0.1", 6, tcp(80, 1234, F_SYN | F_ACK), flags_frag=0x4000)))
    # ARP request (broadcast) and reply
    add(pad(eth(BCAST, MAC_A, 0x0806) + arp(1, MAC_A, "10.0.0.1", b"\0" * 6, "10.0.0.2")))
    add(pad(eth(MAC_A, MAC_B, 0x0806) + arp(2, MAC_B, "10.0.0.2", MAC_A, "10.0.0.1")))
    add(pad(eth(BCAST, MAC_C, 0x0806) + arp(1, MAC_C, "192.168.1.20", b"\0" * 6, "192.168.1.1")))
    # 802.1Q tagged: IPv4 TCP/UDP/ICMP, IPv6 UDP, ARP; vlan 100, 200, 4094, pcp
    for i, vid in enumerate([100, 200, 100, 4094, 1, 200]):
        tag = ((0x8100, vid, i % 8),)
        add(pad(eth(MAC_B, MAC_A, 0x0800, tag) +
                ipv4(HOSTS4[i], HOSTS4[-1 - i], 6, tcp(40000 + i, [80, 443, 22, 1500, 80, 8080][i],
                                                       FLAGSETS[i], payload=body(i * 50, i)))))
        add(pad(eth(MAC_A, MAC_B, 0x0800, tag) +
                ipv4(HOSTS4[-1 - i], HOSTS4[i], 17, udp(53 if i % 2 else 1500, 40000 + i,
                                                        body(30, i)))))
        add(pad(eth(MAC_A, MAC_B, 0x86DD, tag) +
                ipv6(HOSTS6[i % 5], HOSTS6[(i + 1) % 5], 17, udp(1000 + i * 300, 53, body(20, i)))))
    add(pad(eth(MAC_B, MAC_A, 0x0800, ((0x8100, 300, 0),)) +
            ipv4("10.0.0.1", "10.0.0.2", 1, icmp(8, 0, body(16, 0)))))
    add(pad(eth(BCAST, MAC_A, 0x0806, ((0x8100, 100, 0),)) +
            arp(1, MAC_A, "10.0.0.1", b"\0" * 6, "10.0.0.9")))
    # IPv4 over VLAN with IP options, SYN (tcp flags behind a tag and X)
    add(pad(eth(MAC_B, MAC_A, 0x0800, ((0x8100, 100, 0),)) +
            ipv4("10.0.0.5", "10.0.0.6", 6, tcp(1111, 1500, F_SYN), opts=b"\x01\x01\x01\x00")))
    # QinQ: 802.1ad outer + 802.1Q inner
    for i in range(3):
        tags = ((0x88A8, 300 + i, 0), (0x8100, 10 + i, 0))
        add(pad(eth(MAC_B, MAC_A, 0x0800, tags) +
                ipv4("192.168.1.10", "192.168.1.20", 6, tcp(2222, 80, FLAGSETS[i * 2]))))
    add(pad(eth(MAC_B, MAC_A, 0x86DD, ((0x8100, 300, 0), (0x8100, 20, 0))) +
            ipv6("2001:db8::1", "2001:db8::2", 6, tcp(3333, 443, F_SYN))))
    # IPv6: TCP flags, UDP, ICMPv6 echo / neighbour solicitation to multicast
    for i, fl in enumerate([F_SYN, F_SYN | F_ACK, F_ACK, F_RST, F_FIN | F_ACK]):
        add(pad(eth(MAC_B, MAC_A, 0x86DD) +
                ipv6(HOSTS6[i], HOSTS6[(i + 2) % 5], 6, tcp(50000 + i, PORTS[i * 2], fl,
                                                            payload=body(i * 30, i)), hlim=[1, 64, 255, 63, 128][i])))
    for i, (sp, dp) in enumerate([(40000, 53), (53, 40000), (1500, 1500), (999, 2001)]):
        add(pad(eth(MAC_A, MAC_B, 0x86DD) +
                ipv6(HOSTS6[i], HOSTS6[4 - i], 17, udp(sp, dp, body(40, i)))))
    add(pad(eth(MAC_B, MAC_A, 0x86DD) +
            ipv6("2001:db8::1", "2001:db8::2", 58, bytes.fromhex("80000000") + body(20, 5))))
    add(pad(eth(bytes.fromhex("3333ff000002"), MAC_A, 0x86DD) +
            ipv6("fe80::1", "ff02::1:ff00:2", 58, bytes.fromhex("87000000") + body(20, 6), hlim=255)))
    add(pad(eth(bytes.fromhex("333300000001"), MAC_A, 0x86DD) +
            ipv6("fe80::1", "ff02::1", 17, udp(521, 521, body(24, 7)))))
    # IPv6 with a hop-by-hop header before UDP, and a fragment header before TCP
    hbh = bytes([17, 0]) + b"\x01\x04\x00\x00\x00\x00"
    add(pad(eth(MAC_B, MAC_A, 0x86DD) + ipv6("2001:db8::1", "2001:db8::2", 0, udp(4000, 53, body(10, 8)), ext=hbh)))
    frag = struct.pack("!BBHI", 6, 0, 0x0001, 77)
    add(pad(eth(MAC_B, MAC_A, 0x86DD) + ipv6("2001:db8::2", "2001:db8::1", 44, tcp(80, 4000, F_ACK), ext=frag)))
    # 802.3 / LLC: STP BPDU to 01:80:c2:00:00:00, and a SNAP frame; LLDP
    stp = b"\x42\x42\x03" + b"\x00\x00\x00\x00" + body(31, 9)
    add(pad(bytes.fromhex("0180c2000000") + MAC_A + struct.pack("!H", len(stp)) + stp))
    snap = b"\xaa\xaa\x03\x00\x00\x0c\x20\x00" + body(30, 10)
    add(pad(bytes.fromhex("01000ccccccc") + MAC_A + struct.pack("!H", len(snap)) + snap))
    add(pad(eth(bytes.fromhex("0180c200000e"), MAC_A, 0x88CC) + body(40, 11)))
    # runts and cut frames (captured length = original length: really short)
    add(MAC_B + MAC_A[:4])                                 # 10 B: no ethertype
    add(eth(MAC_B, MAC_A, 0x0800))                          # 14 B: IPv4, no header
    add(eth(MAC_B, MAC_A, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", 6, b"")[:12])   # cut in IP
    add(eth(MAC_B, MAC_A, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", 6, tcp(1, 80, F_SYN))[:30])  # cut in TCP
    add(eth(MAC_B, MAC_A, 0x86DD) + ipv6("2001:db8::1", "2001:db8::2", 17, udp(1, 53))[:20])
    add(eth(MAC_B, MAC_A, 0x8100) + b"\x00")                # tag cut
    # big frames: 1514 and jumbo (multi-segment in net_pcap); the payload
    # pattern lets 'ether[2100:2]' style tests read past the first segment
    for i, n in enumerate([1514, 1518, 3000, 9000, 9018]):
        pl = body(n, 100 + i)
        if i % 2 == 0:
            f = eth(MAC_B, MAC_A, 0x0800) + ipv4("10.0.0.1", "10.0.0.2", 17, udp(7000 + i, 53 if i == 2 else 9, pl))
        else:
            f = eth(MAC_B, MAC_A, 0x86DD) + ipv6("2001:db8::1", "2001:db8::2", 6, tcp(7000 + i, 80, F_PSH | F_ACK, payload=pl))
        add(f[:n])
    # a random tail: mixed IPv4/IPv6 TCP/UDP, random hosts, ports, flags, sizes
    for i in range(120):
        k = rng.random()
        pl = body(rng.choice([0, 10, 60, 200, 700, 1400]), 1000 + i)
        sp, dp = rng.choice(PORTS + [rng.randint(1, 65535)]), rng.choice(PORTS + [rng.randint(1, 65535)])
        tags = ((0x8100, rng.choice([100, 200, 300]), 0),) if rng.random() < 0.25 else ()
        if k < 0.55:
            s, d = rng.sample(HOSTS4, 2)
            is_tcp = rng.random() < 0.6
            l4 = tcp(sp, dp, rng.choice(FLAGSETS), payload=pl) if is_tcp else udp(sp, dp, pl)
            proto = 6 if is_tcp else 17
            f = eth(rng.choice([MAC_A, MAC_B, BCAST]), MAC_C, 0x0800, tags) + ipv4(
                s, d, proto, l4, ttl=rng.choice([1, 2, 63, 64, 65, 128, 255]), ident=i)
        else:
            s, d = rng.sample(HOSTS6, 2)
            is_tcp = rng.random() < 0.6
            l4 = tcp(sp, dp, rng.choice(FLAGSETS), payload=pl) if is_tcp else udp(sp, dp, pl)
            f = eth(rng.choice([MAC_A, MAC_B]), MAC_C, 0x86DD, tags) + ipv6(s, d, 6 if is_tcp else 17, l4)
        add(pad(f))
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", BASE_TS + i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/filter.pcap"
    fr = frames()
    write_pcap(out, fr)
    print("%s: %d frames, %d..%d bytes" % (out, len(fr), min(map(len, fr)), max(map(len, fr))))
