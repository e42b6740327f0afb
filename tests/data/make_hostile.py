#!/usr/bin/env python3
"""Hostile inputs for tests/vdev/t_hostile.sh, written into DIR:
  jumbo.pcap  frames of 60, 1514, 80054, 200, 9000 and 64 bytes; DPDK 22.11's
              net_pcap delivers the 80054-byte one with pkt_len 80054 and only
              14518 bytes in its segments (its length kept in 16 bits).
  big.pcap    19 frames filling 65530 bytes of a 64 KiB block behind a 24-byte
              file header, then a 65535-byte frame (a record of 65551 bytes that
              would span three 64 KiB blocks), then 25 frames more: 45 in all.
Frames are Ethernet/IPv4/UDP with a payload that differs per frame.
usage: make_hostile.py DIR"""
import struct
import sys


def frame(n, seed):
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    ipl = n - 14
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, min(ipl, 65535), seed & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    udp = struct.pack("!HHHH", 1000 + seed, 2000, min(ipl - 20, 65535), 0)
    body = bytes((seed * 7 + i) & 0xFF for i in range(n - 14 - 20 - 8))
    return eth + ip + udp + body


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, r in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i, i, len(r), len(r)) + r)


def main(d):
    write(d + "/jumbo.pcap", [frame(n, i + 1) for i, n in enumerate((60, 1514, 80054, 200, 9000, 64))])
    sizes = [3430] * 18 + [3462]
    assert 24 + sum(16 + s for s in sizes) == 65530
    sizes += [65535] + [60 + 37 * i for i in range(25)]
    write(d + "/big.pcap", [frame(n, i + 1) for i, n in enumerate(sizes)])


if __name__ == "__main__":
    main(sys.argv[1])
