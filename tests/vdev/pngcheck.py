#!/usr/bin/python3
"""A strict pcapng walker for linecap's pcapng files (stdlib only; no Debian
tool prints the Interface Statistics Blocks, so the tests read them here).

  pngcheck.py walk FILE [--snaplen N] [--nif N] [--ts-min NS] [--ts-max NS]
      Check FILE block by block against draft-ietf-opsawg-pcapng and the
      layout linecap promises: one little-endian section, SHB (version 1.0,
      section length -1, shb_hardware/os/userappl), then exactly the IDBs
      (linktype 1, snaplen, if_name, if_description, if_tsresol = 9, optional
      if_filter), then only EPBs (known interface, 0 < caplen <= origlen,
      caplen <= snaplen, zero padding, epb_flags = 1 (inbound), optional
      epb_queue, nothing else, minimal length), then one ISB per interface in
      order with all seven statistics; every option list well formed and
      ended by opt_endofopt; the file ends exactly after the last ISB;
      timestamps non-decreasing and inside [ts-min, ts-max].
      Prints one JSON object: records, epb_bytes, size, shb, idbs, isbs,
      per_if, queues, first_ns, last_ns, epb_lens.
  pngcheck.py isb-json FILE JSONFILE
      The ISBs of FILE equal linecap's --stats-json statistics per port:
      isb_ifrecv = nic_packets, isb_ifdrop = nic_missed + nic_errors,
      isb_filteraccept = sum(received - filtered), isb_osdrop = mbuf_failures
      + sum(dropped_no_block + lost_disk + unwritten_abort), isb_usrdeliv =
      sum(written) over the port's queues, and an opt_comment "short_frames=N: ..."
      exactly when sum(short_frames) = N > 0. Prints "ok" or the differences.
"""
import json
import mmap
import os
import struct
import sys

SHB, IDB, ISB, EPB = 0x0A0D0D0A, 1, 5, 6


class Bad(Exception):
    pass


def options(body, off, where):
    """Parse the option list body[off:]; return [(code, value bytes)]."""
    out = []
    end = len(body)
    seen_end = False
    while off < end:
        if end - off < 4:
            raise Bad("%s: %d stray bytes in the options" % (where, end - off))
        code, ln = struct.unpack_from("<HH", body, off)
        off += 4
        padded = (ln + 3) & ~3
        if off + padded > end:
            raise Bad("%s: option %d of length %d runs past the block" % (where, code, ln))
        val = bytes(body[off:off + ln])
        pad = body[off + ln:off + padded]
        if any(pad):
            raise Bad("%s: option %d padding not zero" % (where, code))
        off += padded
        if code == 0:
            if ln != 0:
                raise Bad("%s: opt_endofopt with length %d" % (where, ln))
            seen_end = True
            if off != end:
                raise Bad("%s: %d bytes after opt_endofopt" % (where, end - off))
            break
        out.append((code, val))
    if out and not seen_end:
        raise Bad("%s: option list without opt_endofopt" % where)
    return out


def utf8(val, where):
    try:
        return val.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Bad("%s: string option is not valid UTF-8: %s" % (where, e))


def once(opts, where, allowed):
    d = {}
    for code, val in opts:
        if code not in allowed:
            raise Bad("%s: unexpected option code %d" % (where, code))
        if code in d:
            raise Bad("%s: option %d repeated" % (where, code))
        d[code] = val
    return d


def walk(path, snaplen=None, nif=None, ts_min=None, ts_max=None):
    f = open(path, "rb")
    size = os.fstat(f.fileno()).st_size
    if size == 0:
        raise Bad("empty file")
    data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    off = 0
    phase = "shb"
    idbs, isbs = [], []
    shb = {}
    records = epb_bytes = 0
    per_if, queues, epb_lens = {}, {}, {}
    first = last = None
    while off < size:
        if size - off < 12:
            raise Bad("%d stray bytes at offset %d" % (size - off, off))
        btype, blen = struct.unpack_from("<II", data, off)
        where = "block at offset %d (type %#x)" % (off, btype)
        if blen < 12 or blen % 4 or off + blen > size:
            raise Bad("%s: bad length %d (file size %d)" % (where, blen, size))
        (tlen,) = struct.unpack_from("<I", data, off + blen - 4)
        if tlen != blen:
            raise Bad("%s: trailing length %d != %d" % (where, tlen, blen))
        body = memoryview(data)[off + 8:off + blen - 4]
        if phase == "shb":
            if btype != SHB:
                raise Bad("%s: the file does not start with an SHB" % where)
            magic, major, minor, slen = struct.unpack_from("<IHHq", body, 0)
            if magic != 0x1A2B3C4D or (major, minor) != (1, 0) or slen != -1:
                raise Bad("%s: magic %#x version %d.%d section length %d" % (where, magic, major, minor, slen))
            d = once(options(body, 16, where), where, {2, 3, 4})
            for code, key in ((2, "hardware"), (3, "os"), (4, "userappl")):
                if code not in d:
                    raise Bad("%s: no shb_%s" % (where, key))
                shb[key] = utf8(d[code], where)
            phase = "idb"
        elif btype == IDB:
            if phase != "idb":
                raise Bad("%s: IDB after the first packet" % where)
            lt, _res, snap = struct.unpack_from("<HHI", body, 0)
            d = once(options(body, 8, where), where, {2, 3, 9, 11})
            if lt != 1:
                raise Bad("%s: linktype %d, expected 1" % (where, lt))
            if snaplen is not None and snap != snaplen:
                raise Bad("%s: snaplen %d, expected %d" % (where, snap, snaplen))
            if d.get(9) != b"\x09":
                raise Bad("%s: if_tsresol %r, expected 9 (nanoseconds)" % (where, d.get(9)))
            for code in (2, 3):
                if code not in d:
                    raise Bad("%s: no option %d (if_name/if_description)" % (where, code))
            idb = {"snaplen": snap, "name": utf8(d[2], where), "description": utf8(d[3], where)}
            if 11 in d:
                if not d[11] or d[11][0] != 0:
                    raise Bad("%s: if_filter is not a libpcap filter string" % where)
                idb["filter"] = utf8(d[11][1:], where)
            idbs.append(idb)
        elif btype == EPB:
            if phase == "isb":
                raise Bad("%s: EPB after the statistics" % where)
            if phase == "idb":
                if nif is not None and len(idbs) != nif:
                    raise Bad("%d IDBs, expected %d" % (len(idbs), nif))
                phase = "epb"
            ifid, hi, lo, cap, orig = struct.unpack_from("<IIIII", body, 0)
            if ifid >= len(idbs):
                raise Bad("%s: interface %d of %d" % (where, ifid, len(idbs)))
            if cap == 0 or cap > orig or cap > idbs[ifid]["snaplen"]:
                raise Bad("%s: caplen %d origlen %d snaplen %d" % (where, cap, orig, idbs[ifid]["snaplen"]))
            padded = (cap + 3) & ~3
            if 20 + padded > len(body):
                raise Bad("%s: caplen %d runs past the block" % (where, cap))
            if any(body[20 + cap:20 + padded]):
                raise Bad("%s: packet padding not zero" % where)
            d = once(options(body, 20 + padded, where), where, {2, 6})
            if d.get(2) != struct.pack("<I", 1):
                raise Bad("%s: epb_flags %r, expected inbound (1)" % (where, d.get(2)))
            optlen = 8 + 4 + (8 if 6 in d else 0)
            if blen != 32 + padded + optlen:
                raise Bad("%s: length %d, not the minimal %d" % (where, blen, 32 + padded + optlen))
            if 6 in d:
                (q,) = struct.unpack("<I", d[6])
                qd = queues.setdefault(str(ifid), {})
                qd[str(q)] = qd.get(str(q), 0) + 1
            ns = (hi << 32) | lo
            if last is not None and ns < last:
                raise Bad("%s: timestamp %d before the previous %d" % (where, ns, last))
            if ts_min is not None and ns < ts_min:
                raise Bad("%s: timestamp %d before the run started (%d)" % (where, ns, ts_min))
            if ts_max is not None and ns > ts_max:
                raise Bad("%s: timestamp %d after the run ended (%d)" % (where, ns, ts_max))
            if first is None:
                first = ns
            last = ns
            records += 1
            epb_bytes += blen
            per_if[str(ifid)] = per_if.get(str(ifid), 0) + 1
            epb_lens[str(blen)] = epb_lens.get(str(blen), 0) + 1
        elif btype == ISB:
            if phase == "idb" and nif is not None and len(idbs) != nif:
                raise Bad("%d IDBs, expected %d" % (len(idbs), nif))
            phase = "isb"
            ifid, hi, lo = struct.unpack_from("<III", body, 0)
            if ifid != len(isbs):
                raise Bad("%s: ISB for interface %d, expected %d" % (where, ifid, len(isbs)))
            d = once(options(body, 12, where), where, {1, 2, 3, 4, 5, 6, 7, 8})
            if sorted(k for k in d if k != 1) != [2, 3, 4, 5, 6, 7, 8]:
                raise Bad("%s: ISB options %s, expected 2..8 (and a comment)" % (where, sorted(d)))
            def ts(v):
                h, l = struct.unpack("<II", v)
                return (h << 32) | l
            isb = {"ifid": ifid, "ts": (hi << 32) | lo, "starttime": ts(d[2]), "endtime": ts(d[3])}
            # the comment, only with short frames: "short_frames=N: ..."
            isb["short_frames"] = 0
            if 1 in d:
                c = utf8(d[1], where)
                if not c.startswith("short_frames=") or ":" not in c:
                    raise Bad("%s: ISB comment %r" % (where, c))
                isb["short_frames"] = int(c[len("short_frames="):c.index(":")])
                if isb["short_frames"] == 0:
                    raise Bad("%s: ISB comment for 0 short frames" % where)
            for code, key in ((4, "ifrecv"), (5, "ifdrop"), (6, "filteraccept"), (7, "osdrop"), (8, "usrdeliv")):
                (isb[key],) = struct.unpack("<Q", d[code])
            if isb["ts"] != isb["endtime"] or isb["starttime"] > isb["endtime"]:
                raise Bad("%s: timestamp %d, start %d, end %d" % (where, isb["ts"], isb["starttime"], isb["endtime"]))
            isbs.append(isb)
        else:
            raise Bad("%s: unexpected block type" % where)
        off += blen
    if phase == "shb":
        raise Bad("empty file")
    if nif is not None and len(idbs) != nif:
        raise Bad("%d IDBs, expected %d" % (len(idbs), nif))
    if len(isbs) != len(idbs):
        raise Bad("%d ISBs for %d interfaces (the file must end with one per interface)" % (len(isbs), len(idbs)))
    return {"records": records, "epb_bytes": epb_bytes, "size": size, "shb": shb, "idbs": idbs,
            "isbs": isbs, "per_if": per_if, "queues": queues, "first_ns": first, "last_ns": last,
            "epb_lens": epb_lens}


def isb_json(path, jpath):
    w = walk(path)
    d = json.load(open(jpath))
    ports = d["ports"]
    probs = []
    if len(ports) != len(w["isbs"]):
        probs.append("%d ISBs, %d ports in the JSON" % (len(w["isbs"]), len(ports)))
    for p, isb in zip(ports, w["isbs"]):
        qs = p["queues"]
        want = {
            "ifrecv": p["nic_packets"],
            "ifdrop": p["nic_missed"] + p["nic_errors"],
            "filteraccept": sum(q["received"] - q["filtered"] for q in qs),
            "osdrop": p["mbuf_failures"] + sum(q["dropped_no_block"] + q["lost_disk"] + q["unwritten_abort"] for q in qs),
            "usrdeliv": sum(q["written"] for q in qs),
            "short_frames": sum(q["short_frames"] for q in qs),
        }
        for k, v in want.items():
            if isb[k] != v:
                probs.append("interface %d (%s) isb_%s %d, JSON says %d" % (isb["ifid"], p["name"], k, isb[k], v))
    if probs:
        print("; ".join(probs))
        return 1
    print("ok")
    return 0


def main(argv):
    try:
        if len(argv) >= 2 and argv[0] == "walk":
            kw = {}
            args = argv[2:]
            for i in range(0, len(args), 2):
                key = {"--snaplen": "snaplen", "--nif": "nif", "--ts-min": "ts_min", "--ts-max": "ts_max"}[args[i]]
                kw[key] = int(args[i + 1])
            print(json.dumps(walk(argv[1], **kw)))
            return 0
        if len(argv) == 3 and argv[0] == "isb-json":
            return isb_json(argv[1], argv[2])
    except Bad as e:
        print("%s: %s" % (argv[1], e))
        return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
