#!/usr/bin/python3
"""Generate the committed test captures (run with /usr/bin/python3: needs scapy).

    /usr/bin/python3 tests/data/make_data.py [OUTDIR]

Deterministic: the same bytes on every run (fixed seed, fixed timestamps).

known.pcap   ~260 Ethernet frames, 60..9000 bytes (60, 64, 1514, 1518, 2000+,
             4000+, 9000 included), IPv4 TCP/UDP, 802.1Q VLAN, QinQ (802.1ad
             outer + 802.1Q inner), IPv6 TCP/UDP/ICMPv6, ARP. Every frame has
             a distinct payload that starts with "LCSEQ" and its index.
             Frames above ~2 KB become multi-segment mbufs in net_pcap.
small.pcap   32 frames of exactly 64 bytes (IPv4/UDP, distinct payloads), for
             load through net_pcap's infinite_rx.
mixed.pcap   the first 64 frames of known.pcap up to 2000 bytes (one mbuf
             each: net_pcap's infinite_rx takes no multi-segment mbufs).
empty.pcap   a pcap file header and no record: a silent net_pcap source.

All files are classic microsecond pcap (magic 0xa1b2c3d4, linktype 1) with
timestamps in 2021, so a test can tell receive timestamps from file ones.
"""
import os
import random
import struct
import sys

from scapy.all import (ARP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest, IP, IPv6,
                       Raw, TCP, UDP)

SEED = 20261125
BASE_TS = 1609459200  # 2021-01-01T00:00:00Z

SRC_MAC = "02:00:00:00:00:01"
DST_MAC = "02:00:00:00:00:02"


def payload(idx, n):
    """n bytes, distinct per frame: a tag with the index, then a pattern."""
    tag = b"LCSEQ%06d:" % idx
    body = bytes(((idx * 131 + j * 7) ^ (j >> 8)) & 0xFF for j in range(max(0, n - len(tag))))
    return (tag + body)[:n]


def headers(kind, idx):
    eth = Ether(src=SRC_MAC, dst=DST_MAC)
    sport = 10000 + idx
    if kind == "ip4udp":
        return eth / IP(src="198.51.100.1", dst="198.51.100.2", id=idx) / UDP(sport=sport, dport=7001)
    if kind == "ip4tcp":
        return eth / IP(src="198.51.100.1", dst="198.51.100.2", id=idx) / TCP(sport=sport, dport=7002, seq=idx * 1000, flags="PA")
    if kind == "vlan":
        return eth / Dot1Q(vlan=100 + idx % 50) / IP(src="192.0.2.1", dst="192.0.2.2", id=idx) / UDP(sport=sport, dport=7003)
    if kind == "qinq":
        return eth / Dot1AD(vlan=300) / Dot1Q(vlan=10 + idx % 20) / IP(src="192.0.2.3", dst="192.0.2.4", id=idx) / TCP(sport=sport, dport=7004, flags="A")
    if kind == "ip6tcp":
        return eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=sport, dport=7005, seq=idx, flags="PA")
    if kind == "ip6udp":
        return eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=sport, dport=7006)
    if kind == "icmp6":
        return eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=7, seq=idx)
    if kind == "arp":
        return eth / ARP(op=1, hwsrc=SRC_MAC, psrc="198.51.100.1", pdst="198.51.100.%d" % (2 + idx % 200))
    raise ValueError(kind)


KINDS = ["ip4udp", "ip4tcp", "vlan", "qinq", "ip6tcp", "ip6udp", "icmp6", "arp"]


def frame(kind, idx, size):
    h = headers(kind, idx)
    hl = len(bytes(h))
    if kind == "arp":
        # ARP carries no payload: pad to the size (distinct padding per frame)
        return bytes(h) + payload(idx, size - hl)
    if size - hl < 12:
        raise ValueError("size %d too small for %s" % (size, kind))
    pkt = h / Raw(payload(idx, size - hl))
    b = bytes(pkt)  # scapy fills lengths and checksums
    assert len(b) == size, (kind, size, len(b))
    return b


def known_sizes(rng):
    explicit = [60, 60, 61, 63, 64, 64, 65, 66, 100, 127, 128, 255, 256, 511, 512,
                1000, 1023, 1024, 1499, 1500, 1513, 1514, 1514, 1515, 1517, 1518, 1518,
                1519, 1522, 2000, 2046, 2047, 2048, 2049, 2050, 2100, 2500, 3000, 3500,
                4000, 4095, 4096, 4097, 4500, 5000, 6000, 7000, 8000, 8191, 8192, 8999,
                9000, 9000]
    sizes = list(explicit)
    for _ in range(210):
        r = rng.random()
        if r < 0.60:
            sizes.append(rng.randint(60, 600))
        elif r < 0.85:
            sizes.append(rng.randint(601, 1518))
        else:
            sizes.append(rng.randint(1519, 9000))
    rng.shuffle(sizes)
    # keep a few landmarks at fixed places: first and last frames
    sizes[0], sizes[-1] = 60, 9000
    return sizes


def min_size(kind):
    if kind == "arp":
        return 60
    return len(bytes(headers(kind, 0))) + 12


def write_pcap(path, frames, ts_step_us):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        t = BASE_TS * 1000000
        for b in frames:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(b), len(b)))
            f.write(b)
            t += ts_step_us


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(SEED)

    frames = []
    for idx, size in enumerate(known_sizes(rng)):
        kind = KINDS[idx % len(KINDS)]
        if size < min_size(kind):
            kind = "arp" if size < 64 and idx % 2 else "ip4udp"
        if kind == "arp" and size > 1518:
            kind = "ip4udp"
        frames.append(frame(kind, idx, size))
    assert len(set(frames)) == len(frames)
    write_pcap(os.path.join(out, "known.pcap"), frames, 1000)

    small = [frame("ip4udp", 50000 + i, 64) for i in range(32)]
    assert len(set(small)) == len(small)
    write_pcap(os.path.join(out, "small.pcap"), small, 10)

    # net_pcap refuses multi-segment mbufs with infinite_rx: a load source of
    # mixed frames that each fit one 2 KB mbuf
    mixed = [b for b in frames if len(b) <= 2000][:64]
    write_pcap(os.path.join(out, "mixed.pcap"), mixed, 100)

    write_pcap(os.path.join(out, "empty.pcap"), [], 1)

    total = sum(len(b) for b in frames)
    print("known.pcap: %d frames, %d..%d bytes, %d bytes of frames" %
          (len(frames), min(map(len, frames)), max(map(len, frames)), total))
    print("small.pcap: %d frames of 64 bytes" % len(small))
    print("mixed.pcap: %d frames, %d..%d bytes" % (len(mixed), min(map(len, mixed)), max(map(len, mixed))))
    print("empty.pcap: header only")


if __name__ == "__main__":
    main()
