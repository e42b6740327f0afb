#!/usr/bin/env python3
"""Layer-3 (tun) traffic for tests/vdev/t_l3.sh. Run inside the test's own
network namespace.

  tunpkt.py create NAME ARPHRD   a persistent tun device NAME (IFF_TUN,
                                 IFF_NO_PI) whose ARPHRD type is set with
                                 TUNSETLINK (65534 = the tun's own)
  tunpkt.py send NAME REF        attach to tun NAME and write 12 IP packets
                                 into it (the kernel receives them, so an
                                 AF_PACKET socket on NAME sees them as they
                                 are: raw IP, no link-layer header), and the
                                 same packets to REF, a pcap with
                                 LINKTYPE_RAW (101), as the oracle

The packets, in this order (the last one is ICMP, so a capture filtered on
'icmp' with -c 6 has seen every other packet before it stops):
  I1 U4 I2 U6 U4 I3 U4 I4 U6 U4 I5 I6
I = ICMP echo request 10.250.0.2 -> 10.250.0.1 (id 0x1234, seq n),
U4 = UDP/IPv4 10.250.0.2:40000 -> 10.250.0.1:5000+k,
U6 = UDP/IPv6 fd00:250::2 -> fd00:250::1 port 6000+k.
"""
import fcntl
import os
import socket
import struct
import sys
import time

# the Internet checksum of the filter test data's frames
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
from make_filter_data import csum  # noqa: E402

TUNSETIFF = 0x400454ca
TUNSETPERSIST = 0x400454cb
TUNSETLINK = 0x400454cd
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def ip4(proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                    socket.inet_aton("10.250.0.2"), socket.inet_aton("10.250.0.1"))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6_udp(dport):
    src = socket.inet_pton(socket.AF_INET6, "fd00:250::2")
    dst = socket.inet_pton(socket.AF_INET6, "fd00:250::1")
    data = b"six" * 8
    udp = struct.pack("!HHHH", 40000, dport, 8 + len(data), 0) + data
    pseudo = src + dst + struct.pack("!IxxxB", len(udp), 17)
    udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xFFFF) + udp[8:]
    return struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + src + dst + udp


def icmp_echo(seq):
    b = struct.pack("!BBHHH", 8, 0, 0, 0x1234, seq) + b"linecap-l3" * 4
    return b[:2] + struct.pack("!H", csum(b)) + b[4:]


def udp4(dport):
    return struct.pack("!HHHH", 40000, dport, 8 + 16, 0) + b"U" * 16


def packets():
    out, ni, nu4, nu6 = [], 0, 0, 0
    for k in "I U4 I U6 U4 I U4 I U6 U4 I I".split():
        if k == "I":
            ni += 1
            out.append(ip4(1, icmp_echo(ni), ni))
        elif k == "U4":
            out.append(ip4(17, udp4(5000 + nu4), 100 + nu4))
            nu4 += 1
        else:
            out.append(ip6_udp(6000 + nu6))
            nu6 += 1
    return out


def attach(name, persist_link=None):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    if persist_link is not None:
        if persist_link != 65534:
            fcntl.ioctl(fd, TUNSETLINK, persist_link)
        fcntl.ioctl(fd, TUNSETPERSIST, 1)
    return fd


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "create":
        os.close(attach(sys.argv[2], int(sys.argv[3])))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "send":
        fd = attach(sys.argv[2])
        pk = packets()
        with open(sys.argv[3], "wb") as ref:
            ref.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))
            for i, p in enumerate(pk):
                ref.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p)
        for p in pk:
            os.write(fd, p)
            time.sleep(0.002)
        time.sleep(0.2)
        os.close(fd)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
