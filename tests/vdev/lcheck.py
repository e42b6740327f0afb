#!/usr/bin/python3
"""Independent checks for linecap's output (stdlib only; run with /usr/bin/python3).

  lcheck.py pcap FILE [--snaplen N] [--ts-min NS] [--ts-max NS] [--no-monotone]
      Walk a pcap file record by record, without libpcap: nanosecond magic
      0xa1b23c4d, version 2.4, linktype 1 (Ethernet), header snaplen (== N if
      given, else != 0); every record caplen <= origlen, caplen <= snaplen,
      nanoseconds < 1e9, no record header of 16 zero bytes (caplen 0 is a
      legal record, but ts 0 + caplen 0 + origlen 0 is a zero-filled tail), timestamps non-decreasing and inside [ts-min, ts-max];
      the file ends exactly at a record boundary (this catches the zero-filled
      or truncated tails that tcpdump/tshark/capinfos accept).
      Prints one JSON line: records, bytes, first_ns, last_ns, max_caplen.
  lcheck.py cyclic OUT IN
      Every record i of OUT has the bytes (and original length) of record
      i mod n of IN (n = records in IN); prints the number of records.
  lcheck.py members IN OUT...
      Every record of every OUT is one whole frame of IN (bytes and original
      length): nothing torn or corrupted under load. Prints the record count.
  lcheck.py interleave OUT... -- IN...
      The records of the OUTs are all frames of all INs, each once, each IN's
      frames in their order (any interleaving). Prints the record count.
  lcheck.py get JSONFILE EXPR
      Print EXPR evaluated with d = the parsed JSON (lists joined by spaces).
  lcheck.py identity JSONFILE
      Check linecap's end-of-run JSON for consistency: per queue and in totals
      received = filtered + counted_only + written + dropped_no_block +
      lost_disk + unwritten_abort; totals = sums over ports and queues;
      totals.drops = the sum of the drop counters; identity block agrees;
      totals.files == number of files listed. Prints "ok" or the
      first problem (exit 1).
"""
import json
import mmap
import os
import struct
import sys

NS_MAGIC = 0xA1B23C4D


def die(msg):
    print(msg)
    sys.exit(1)


class Pcap:
    """A pcap file walked record by record over mmap (files of GBs are fine)."""

    def __init__(self, path, any_magic=False):
        self.path = path
        self.f = open(path, "rb")
        self.size = os.fstat(self.f.fileno()).st_size
        if self.size < 24:
            raise ValueError("%s: %d bytes, shorter than a pcap header" % (path, self.size))
        self.mm = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        m = struct.unpack_from("<I", self.mm, 0)[0]
        ok = (NS_MAGIC, 0xA1B2C3D4) if any_magic else (NS_MAGIC,)
        if m in ok:
            self.e = "<"
        elif struct.unpack_from(">I", self.mm, 0)[0] in ok:
            self.e = ">"
        else:
            raise ValueError("%s: magic %08x is not the nanosecond pcap magic a1b23c4d" % (path, m))
        vmaj, vmin, _tz, _sig, snap, link = struct.unpack_from(self.e + "HHiIII", self.mm, 4)
        self.version = (vmaj, vmin)
        self.snaplen = snap
        self.linktype = link & 0x0FFFFFFF
        self.rec = struct.Struct(self.e + "IIII")

    def records(self):
        """yield (index, sec, frac, caplen, origlen, data_offset)"""
        mm, n, rec = self.mm, self.size, self.rec
        off = 24
        i = 0
        while off < n:
            if n - off < 16:
                raise ValueError("%s: %d stray bytes after record %d at offset %d" % (self.path, n - off, i, off))
            sec, frac, cap, orig = rec.unpack_from(mm, off)
            if off + 16 + cap > n:
                raise ValueError("%s: record %d at offset %d: caplen %d runs past the end" % (self.path, i, off, cap))
            yield i, sec, frac, cap, orig, off + 16
            off += 16 + cap
            i += 1

    def data(self, off, cap):
        return self.mm[off:off + cap]


def cmd_pcap(args):
    path = args[0]
    want_snap = None
    ts_min = ts_max = None
    monotone = True
    i = 1
    while i < len(args):
        if args[i] == "--snaplen":
            want_snap = int(args[i + 1]); i += 2
        elif args[i] == "--ts-min":
            ts_min = int(args[i + 1]); i += 2
        elif args[i] == "--ts-max":
            ts_max = int(args[i + 1]); i += 2
        elif args[i] == "--no-monotone":
            monotone = False; i += 1
        else:
            die("unknown argument " + args[i])
    try:
        p = Pcap(path)
        if p.version != (2, 4):
            die("%s: version %s, expected 2.4" % (path, p.version))
        if p.linktype != 1:
            die("%s: linktype %d, expected 1 (Ethernet)" % (path, p.linktype))
        if p.snaplen == 0:
            die("%s: header snaplen is 0" % path)
        if want_snap is not None and p.snaplen != want_snap:
            die("%s: header snaplen %d, expected %d" % (path, p.snaplen, want_snap))
        prev = first = last = None
        maxcap = 0
        count = 0
        for idx, sec, frac, cap, orig, off in p.records():
            count += 1
            zero_hdr = sec == 0 and frac == 0 and cap == 0 and orig == 0
            if zero_hdr or cap > orig or cap > p.snaplen or frac >= 1000000000:
                where = "%s: record %d (offset %d)" % (path, idx, off - 16)
                if zero_hdr:
                    die("%s: record header of zeros (a zero-filled tail)" % where)
                if cap > orig:
                    die("%s: caplen %d > origlen %d" % (where, cap, orig))
                if cap > p.snaplen:
                    die("%s: caplen %d > header snaplen %d" % (where, cap, p.snaplen))
                die("%s: nanoseconds field %d >= 1e9" % (where, frac))
            ts = sec * 1000000000 + frac
            if monotone and prev is not None and ts < prev:
                die("%s: record %d: timestamp %d goes back from %d" % (path, idx, ts, prev))
            if ts_min is not None and ts < ts_min:
                die("%s: record %d: timestamp %d before the run started (%d)" % (path, idx, ts, ts_min))
            if ts_max is not None and ts > ts_max:
                die("%s: record %d: timestamp %d after the run ended (%d)" % (path, idx, ts, ts_max))
            prev = ts
            if first is None:
                first = ts
            last = ts
            if cap > maxcap:
                maxcap = cap
    except (OSError, ValueError) as ex:
        die(str(ex))
    print(json.dumps(dict(records=count, bytes=p.size, first_ns=first, last_ns=last,
                          max_caplen=maxcap, snaplen=p.snaplen)))


def input_frames(path):
    p = Pcap(path, any_magic=True)
    return [(orig, p.data(off, cap)) for _i, _s, _f, cap, orig, off in p.records()]


def cmd_cyclic(args):
    out, inp = args
    try:
        irecs = input_frames(inp)
        if not irecs:
            die("%s has no records" % inp)
        o = Pcap(out)
        n = 0
        for i, _s, _f, cap, orig, off in o.records():
            eorig, eb = irecs[i % len(irecs)]
            b = o.data(off, cap)
            if orig != eorig or b != eb:
                die("record %d of %s differs from record %d of %s (caplen/len %d/%d, expected %d/%d)" %
                    (i, out, i % len(irecs), inp, cap, orig, len(eb), eorig))
            n += 1
    except (OSError, ValueError) as ex:
        die(str(ex))
    print(n)


def cmd_members(args):
    """members IN OUT...: every record of every OUT is a whole frame of IN
    (same bytes, same original length). Prints the record count."""
    inp, outs = args[0], args[1:]
    try:
        frames = set((orig, bytes(b)) for orig, b in input_frames(inp))
        by_len = {}
        for orig, b in frames:
            by_len.setdefault(len(b), set()).add(b)
        n = 0
        for out in outs:
            o = Pcap(out)
            for i, _s, _f, cap, orig, off in o.records():
                if (orig, o.data(off, cap)) not in frames:
                    die("%s: record %d (caplen %d, len %d) is not a frame of %s" % (out, i, cap, orig, inp))
                n += 1
    except (OSError, ValueError) as ex:
        die(str(ex))
    print(n)


def cmd_interleave(args):
    """interleave OUT... -- IN...: the records of OUT (in file order) are the
    frames of all INs, each exactly once, each IN's frames in its own order
    (any interleaving of the inputs). Prints the record count."""
    k = args.index("--")
    outs, ins = args[:k], args[k + 1:]
    try:
        queues = [input_frames(p) for p in ins]
        owner = {}
        for qi, q in enumerate(queues):
            for fi, fr in enumerate(q):
                key = (fr[0], bytes(fr[1]))
                if key in owner:
                    die("input frame %d of %s is not unique" % (fi, ins[qi]))
                owner[key] = (qi, fi)
        nxt = [0] * len(queues)
        n = 0
        for out in outs:
            o = Pcap(out)
            for i, _s, _f, cap, orig, off in o.records():
                key = (orig, bytes(o.data(off, cap)))
                if key not in owner:
                    die("%s: record %d is no frame of the inputs" % (out, i))
                qi, fi = owner[key]
                if fi != nxt[qi]:
                    die("%s: record %d is frame %d of %s, expected its frame %d (out of order, "
                        "duplicate or missing)" % (out, i, fi, ins[qi], nxt[qi]))
                nxt[qi] += 1
                n += 1
        for qi, q in enumerate(queues):
            if nxt[qi] != len(q):
                die("only %d of the %d frames of %s were captured" % (nxt[qi], len(q), ins[qi]))
    except (OSError, ValueError) as ex:
        die(str(ex))
    print(n)


def cmd_get(args):
    path, expr = args
    with open(path) as f:
        d = json.load(f)
    v = eval(expr, {"d": d, "sum": sum, "len": len})  # test-owned expressions only
    if isinstance(v, (list, tuple)):
        print(" ".join(json.dumps(x) if isinstance(x, (dict, list)) else str(x) for x in v))
    elif isinstance(v, bool):
        print("true" if v else "false")
    elif isinstance(v, (dict,)):
        print(json.dumps(v))
    else:
        print(v)


QKEYS = ["received", "received_bytes", "filtered", "counted_only", "dropped_no_block", "after_limit", "short_frames",
         "written", "written_bytes", "lost_disk", "unwritten_abort"]
PKEYS = ["nic_packets", "nic_bytes", "nic_missed", "nic_errors", "mbuf_failures", "kernel_drops"]
# the drop class of src/stats/counters.h, written out as this check's oracle
# for totals.drops (the scripts read totals.drops, not this list)
DROPS = ["dropped_no_block", "lost_disk", "unwritten_abort", "nic_missed", "nic_errors", "mbuf_failures",
         "kernel_drops"]


def identity_of(q, where):
    acc = (q["filtered"] + q["counted_only"] + q["written"] + q["dropped_no_block"] + q["lost_disk"]
           + q["unwritten_abort"])
    if q["received"] != acc:
        die("%s: received %d != filtered %d + counted_only %d + written %d + dropped_no_block %d + "
            "lost_disk %d + unwritten_abort %d = %d"
            % (where, q["received"], q["filtered"], q["counted_only"], q["written"],
               q["dropped_no_block"], q["lost_disk"], q["unwritten_abort"], acc))
    return acc


def cmd_identity(args):
    path = args[0]
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as ex:
        die("%s: %s" % (path, ex))
    try:
        sums = {k: 0 for k in QKEYS + PKEYS}
        for p in d["ports"]:
            for k in PKEYS:
                sums[k] += p[k]
            for q in p["queues"]:
                for k in QKEYS:
                    if not isinstance(q[k], int) or q[k] < 0:
                        die("port %s queue %s: %s = %r" % (p["port"], q["queue"], k, q[k]))
                    sums[k] += q[k]
                identity_of(q, "port %s queue %s" % (p["port"], q["queue"]))
        t = d["totals"]
        for k in QKEYS + PKEYS:
            if t[k] != sums[k]:
                die("totals.%s = %d but the ports/queues sum to %d" % (k, t[k], sums[k]))
        acc = identity_of(t, "totals")
        if t["drops"] != sum(t[k] for k in DROPS):
            die("totals.drops = %d but %s sum to %d" % (t["drops"], " + ".join(DROPS), sum(t[k] for k in DROPS)))
        idn = d["identity"]
        if idn["holds"] is not True:
            die("identity.holds is %r" % idn["holds"])
        if idn["received"] != t["received"] or idn["accounted"] != acc:
            die("identity block %r disagrees with totals (received %d, accounted %d)" % (idn, t["received"], acc))
        if t["files"] != len(d["files"]):
            die("totals.files = %d but %d files listed" % (t["files"], len(d["files"])))
        recs = sum(f["records"] for f in d["files"])
        if recs != t["written"]:
            die("files' records sum to %d, totals.written = %d" % (recs, t["written"]))
    except (KeyError, TypeError) as ex:
        die("%s: missing or malformed key %s" % (path, ex))
    print("ok")


def main():
    if len(sys.argv) < 3:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"pcap": cmd_pcap, "cyclic": cmd_cyclic, "members": cmd_members, "interleave": cmd_interleave, "get": cmd_get, "identity": cmd_identity}[cmd](args)


if __name__ == "__main__":
    main()
