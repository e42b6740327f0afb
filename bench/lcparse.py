#!/usr/bin/python3
"""What bench/ reads from the programs it runs, parsed in one place:
dpdk-testpmd's statistics, dpdk-dumpcap's summary, linecap's --stats-json
and live line, tcpdump's and netsniff-ng's exit summaries. Standard library
only. Imported by lcb.py, study.py and the scripts' inline Python
(sys.path.insert(0, BENCH_DIR); import lcparse); also a command line:

  lcparse.py testpmd LOG        testpmd(LOG) as one JSON line
  lcparse.py pps LOG Rx|Tx      median of the steady per-second Rx-pps or
                                Tx-pps lines, in packets/s (0: none)
  lcparse.py drops STATS.json   linecap's drops (totals.drops)
"""
import json
import re
import statistics
import sys


def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def jload(path):
    """a JSON file, None when absent or unreadable"""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def last_int(text, pattern, default=None):
    """the last match of PATTERN's first group in TEXT, as an int"""
    m = re.findall(pattern, text)
    return int(m[-1]) if m else default


# ------------------------------------------------------------------ testpmd

ACCUMULATED = "Accumulated forward statistics for all ports"
PORT0 = "Forward statistics for port 0"


def testpmd(log):
    """dpdk-testpmd's output: received (RX-packets) and missed (RX-dropped)
    of the final accumulated forward statistics (None/0 when absent: the
    forward-stream counters, which survive a peer's disconnect), nombuf and
    errors of port 0's final block, the per-second Rx-pps and Tx-pps
    samples, and whether a forwarding lcore 1 was reported"""
    tail = log.split(ACCUMULATED)[-1] if ACCUMULATED in log else ""
    block = log.rsplit(PORT0, 1)[-1] if PORT0 in log else ""
    return {"received": last_int(tail, r"RX-packets:\s*(\d+)"),
            "missed": last_int(tail, r"RX-dropped:\s*(\d+)", 0),
            "nombuf": last_int(block, r"RX-nombufs:\s*(\d+)", 0),
            "errors": last_int(block, r"RX-error:\s*(\d+)", 0),
            "rx_pps": [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", log)],
            "tx_pps": [int(x) for x in re.findall(r"Tx-pps:\s+(\d+)", log)],
            "fwd_core1": "Logical Core 1 (socket" in log}


def steady(samples, head=1):
    """per-second samples without the zeros before traffic started, the
    first HEAD after (a partial second, ramp-up) and the last (the stop)"""
    s = list(samples)
    while s and s[0] == 0:
        s.pop(0)
    return [x for x in s[head:-1] if x > 0] or s


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ------------------------------------------------------------------ dumpcap

def dumpcap(log):
    """dpdk-dumpcap's exit line: received and dropped on its interface
    (None when it printed none)"""
    m = re.findall(r"Packets received/dropped on interface '[^']*':?\s*(\d+)/(\d+)", log)
    return {"received": int(m[-1][0]) if m else None, "dropped": int(m[-1][1]) if m else 0}


# ------------------------------------------------------------------ linecap

class NoDrops(Exception):
    pass


def drops(stats):
    """linecap's drops: totals.drops of --stats-json, the sum of its
    drop-class counters (src/stats/counters.h), kernel_drops included"""
    t = stats["totals"]
    if "drops" not in t:
        raise NoDrops("linecap's --stats-json has no totals.drops (linecap older than issue 12)")
    return t["drops"]


LIVE = re.compile(r"linecap:\s+([\d.]+)s rx\s+([\d.]+) Mpps.*?written\s+([\d.]+) Mpps.*?"
                  r"block (\d+) disk (\d+).*?free blocks (\d+)/(\d+)")


def live(err):
    """linecap's per-second live lines (stderr): (seconds, rx Mpps, written
    Mpps, dropped_no_block, lost_disk, free blocks, blocks)"""
    return [(float(a), float(b), float(c), int(d), int(e), int(f), int(g))
            for a, b, c, d, e, f, g in LIVE.findall(err)]


def rx_free(lines):
    """rx Mpps of the live seconds in which blocks were free and the
    no-block counter did not move: the receive core's own rate"""
    out, prev = [], 0
    for ts, rx, wr, blk, disk, free, total in lines:
        if blk == prev and free > 0:
            out.append(rx)
        prev = blk
    return out


# ------------------------------------------------------------------ kernel engines

def tcpdump(log):
    """tcpdump's exit summary: captured, received by filter, dropped by kernel
    (None when it printed none)"""
    if "packets captured" not in log:
        return None
    return {"captured": last_int(log, r"(\d+) packets? captured", 0),
            "received": last_int(log, r"(\d+) packets? received by filter", 0),
            "dropped": last_int(log, r"(\d+) packets? dropped by kernel", 0)}


def netsniff(log):
    """netsniff-ng's exit summary: incoming, unread at exit, passed and
    failed filter (None when it printed none)"""
    if "packets incoming" not in log:
        return None
    return {"incoming": last_int(log, r"(\d+)\s+packets incoming", 0),
            "unread": last_int(log, r"packets incoming \((\d+) unread", 0),
            "passed": last_int(log, r"(\d+)\s+packets passed filter", 0),
            "failed": last_int(log, r"(\d+)\s+packets failed filter", 0)}


def main():
    a = sys.argv[1:]
    if a[:1] == ["testpmd"] and len(a) == 2:
        print(json.dumps(testpmd(read(a[1]))))
    elif a[:1] == ["pps"] and len(a) == 3 and a[2] in ("Rx", "Tx"):
        t = testpmd(read(a[1]))
        print(median(steady(t["rx_pps" if a[2] == "Rx" else "tx_pps"], head=2)) or 0)
    elif a[:1] == ["drops"] and len(a) == 2:
        print(drops(jload(a[1])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
