#!/usr/bin/python3
"""Parsing, aggregation and plots for bench/study.sh (stdlib + matplotlib).

  study.py row RUNDIR          one run's logs -> one JSON line (stdout)
  study.py oneline             a JSON line (stdin) -> a short progress line
  study.py report RUNS.jsonl META.json OUTDIR
                               study.csv, study-runs.csv, study.md and the
                               bar charts (PNG, SVG) in OUTDIR
  study.py check OUTDIR [--paths P,..] [--traffic T,..] [--engines E,..]
                               every cell present, every linecap cell's
                               identity holds; prints "ok" or the problems

Every run is judged against what the generator offered (its `attempted`):

    offered = captured + link refused (generator's `failed`: the link's ring
              was full) + kernel drops (veth) + the drops the engine counted
              + unexplained

For linecap the engine's drops are its own sum, totals.drops of
--stats-json (kernel_drops, the af_packet socket's, go to the kernel
column), plus frames left in the device; the identity holds when
unexplained is 0 and linecap's own identity holds. Output of the programs
is parsed by lcparse.py.
"""
import csv
import json
import os
import statistics
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lcparse import read, jload  # noqa: E402
import lcparse  # noqa: E402

PATHS = ["memif", "vhost", "veth"]
PATH_LABEL = {"memif": "memif (zero-copy shared memory ~ passthrough / VF)",
              "vhost": "virtio-user -> vhost-user (~ VirtIO)",
              "veth": "af_packet on veth (kernel stack)",
              "memif-x2": "2 x memif, same traffic (second consumer)"}
PATH_SHORT = {"memif": "memif", "vhost": "vhost-user", "veth": "veth/af_packet", "memif-x2": "2 x memif"}
TRAFFIC = ["64@10g", "965@10g", "64@max", "965@max"]
TRAFFIC_LABEL = {"64@10g": "64 B @ 10 Gb/s", "965@10g": "~965 B mix @ 10 Gb/s",
                 "64@max": "64 B @ gen. max", "965@max": "~965 B mix @ gen. max"}
TRAFFIC_FILE = {"64@10g": "64B-10g", "965@10g": "965B-10g", "64@max": "64B-max", "965@max": "965B-max"}
ENGINES = ["linecap", "linecap-pcapng", "linecap-count", "testpmd", "dumpcap", "tcpdump", "netsniff-ng"]
ENGINE_LABEL = {"linecap": "linecap -w (pcap)", "linecap-pcapng": "linecap -w (pcapng)",
                "linecap-count": "linecap --count-only", "testpmd": "dpdk-testpmd rxonly",
                "dumpcap": "dpdk-dumpcap (testpmd primary)", "tcpdump": "tcpdump -w",
                "netsniff-ng": "netsniff-ng"}
LINECAP_ENGINES = ("linecap", "linecap-pcapng", "linecap-count")


def applies(path, engine):
    if engine == "dumpcap":
        return path in ("memif", "vhost")
    if engine in ("tcpdump", "netsniff-ng"):
        return path == "veth"
    return True


def die(msg):
    print("study.py: " + msg, file=sys.stderr)
    sys.exit(1)


def cpu_percent(path, names):
    lines = [l.split() for l in read(path).splitlines() if l.strip()]
    s = {l[0]: l for l in lines}
    if "t1" not in s or "t2" not in s:
        return {}
    a, b = s["t1"], s["t2"]
    dt = float(b[1]) - float(a[1])
    hz = os.sysconf("SC_CLK_TCK")
    out = {}
    for i, n in enumerate(names):
        try:
            x, y = int(a[2 + i]), int(b[2 + i])
        except (IndexError, ValueError):
            continue
        if x >= 0 and y >= 0 and dt > 0:
            out["cpu_" + n] = round(100.0 * (y - x) / hz / dt, 1)
    for tok_a, tok_b in zip(a[2 + len(names):], b[2 + len(names):]):
        k, va = tok_a.split(":")
        _, vb = tok_b.split(":")
        if dt > 0:
            out[k + "_busy"] = round(100.0 * (int(vb) - int(va)) / hz / dt, 1)
    out["cpu_window_s"] = round(dt, 2)
    return out


def gen_part(r, sfxs):
    row = {"offered": 0, "gen_sent": 0, "link_refused": 0, "gen_elapsed_s": 0.0, "gen_pacing_behind": 0,
           "gen_rc": []}
    wire_bits = 0.0
    ok = True
    for s in sfxs:
        g = jload(os.path.join(r, "gen%s.json" % s))
        row["gen_rc"].append(read(os.path.join(r, "gen%s.rc" % s), "?").strip())
        if g is None:
            ok = False
            continue
        row["offered"] += g["attempted"]
        row["gen_sent"] += g["sent"]
        row["link_refused"] += g["failed"]
        row["gen_elapsed_s"] = max(row["gen_elapsed_s"], g["elapsed_s"])
        row["gen_pacing_behind"] += g.get("pacing_behind", 0)
        row["target_mpps"] = round(g["target"]["pps"] / 1e6, 3) if g.get("target", {}).get("pps") else None
        wire_bits += g["attempted"] * (g["size_model"]["mean_frame_bytes_with_fcs"] + 20) * 8
    el = row["gen_elapsed_s"]
    row["offered_mpps"] = round(row["offered"] / el / 1e6, 4) if el else None
    row["offered_gbps"] = round(wire_bits / el / 1e9, 3) if el else None
    row["gen_rc"] = ",".join(row["gen_rc"])
    return row, ok


def linecap_part(j, engine):
    """linecap's drops are its own sum (totals.drops); the af_packet socket's
    share of it (kernel_drops) is reported in the kernel column"""
    t = j["totals"]
    kd = t.get("kernel_drops", 0)
    # delivered by the device, never taken by the receive loop
    left = max(0, t["nic_packets"] - t["received"] - t["after_limit"])
    d = {"linecap": lcparse.drops(j) - kd, "left_in_device": left}
    captured = t["counted_only"] if engine == "linecap-count" else t["written"]
    return {"received": t["received"], "captured": captured, "written": t["written"],
            "engine_drops": sum(d.values()), "drops": d, "lc_identity": bool(j["identity"]["holds"]),
            "lc_kernel_drops": kd,
            "stop_reason": j.get("stop_reason")}


def cmd_row(args):
    r = args[0]
    meta = dict(l.split("=", 1) for l in read(os.path.join(r, "meta")).split() if "=" in l)
    path, engine = meta["path"], meta["engine"]
    two = meta.get("consumers") == "2"
    row = {"path": path, "traffic": meta["traffic"], "engine": engine, "rep": int(meta["rep"]),
           "duration_s": float(meta["duration"]), "status": "ok", "notes": []}
    g, gok = gen_part(r, ["1", "2"] if two else [""])
    row.update(g)
    if not gok:
        row["status"] = "generator JSON missing (exit %s)" % g["gen_rc"]
    kern = [int(x) for x in read(os.path.join(r, "kern"), "0 0 0 0 0 0").split()] or [0] * 6
    if len(kern) == 6:
        row["kernel_drops"] = (kern[3] - kern[0]) + (kern[4] - kern[1])
        row["softnet_drops"] = kern[5] - kern[2]
    else:
        row["kernel_drops"] = row["softnet_drops"] = 0
    # a backlog drop shows in softnet_stat and in the veth's tx_dropped: once
    row["kernel_drops"] = max(row["kernel_drops"], row["softnet_drops"])
    # af_packet socket-ring drops of testpmd on veth, read by
    # bench/afp_drops.c when the socket closed (not reported by the PMD);
    # linecap reports its own (kernel_drops, added below)
    afp = read(os.path.join(r, "afp")).split()
    row["afpacket_drops"] = int(afp[0]) if afp else None
    if path == "veth" and engine == "testpmd":
        if afp:
            row["kernel_drops"] += row["afpacket_drops"]
        else:
            row["notes"].append("af_packet socket drops not read")
    names = ["gen"]
    if engine in LINECAP_ENGINES:
        if two:
            parts = []
            for i in (1, 2):
                j = jload(os.path.join(r, "rx%d.json" % i))
                if j is None:
                    row["status"] = "capture %d JSON missing (exit %s)" % (i, read(os.path.join(r, "rx%d.rc" % i)).strip())
                else:
                    try:
                        parts.append(linecap_part(j, engine))
                    except lcparse.NoDrops as e:
                        row["status"] = str(e)
            if len(parts) == 2:
                row["received"] = parts[0]["received"] + parts[1]["received"]
                row["captured"] = parts[0]["captured"] + parts[1]["captured"]
                row["engine_drops"] = parts[0]["engine_drops"] + parts[1]["engine_drops"]
                row["lc_kernel_drops"] = parts[0]["lc_kernel_drops"] + parts[1]["lc_kernel_drops"]
                row["drops"] = {k: parts[0]["drops"][k] + parts[1]["drops"][k] for k in parts[0]["drops"]}
                row["lc_identity"] = parts[0]["lc_identity"] and parts[1]["lc_identity"]
                row["captured_each"] = [p["captured"] for p in parts]
            names = ["gen", "gen2", "rx", "rx2"]
        else:
            j = jload(os.path.join(r, "rx.json"))
            if j is None:
                row["status"] = "linecap JSON missing (exit %s)" % read(os.path.join(r, "rx.rc")).strip()
            else:
                try:
                    row.update(linecap_part(j, engine))
                except lcparse.NoDrops as e:
                    row["status"] = str(e)
            names = ["gen", "rx"]
        row["afpacket_drops"] = row.get("lc_kernel_drops")
        row["kernel_drops"] += row.get("lc_kernel_drops") or 0
    elif engine in ("testpmd", "dumpcap"):
        tp = lcparse.testpmd(read(os.path.join(r, "rx.log")))
        if tp["received"] is None:
            row["status"] = "no testpmd statistics (exit %s)" % read(os.path.join(r, "rx.rc")).strip()
        row["received"] = tp["received"] or 0
        row["drops"] = {"nic_missed": tp["missed"], "mbuf_failures": tp["nombuf"], "nic_errors": tp["errors"]}
        names = ["gen", "rx"]
        if engine == "testpmd":
            row["captured"] = row["received"]
        else:
            names = ["gen", "rx", "dumpcap"]
            c = read(os.path.join(r, "dc.count")).strip()
            row["captured"] = int(c) if c.isdigit() else 0
            if not c.isdigit():
                row["status"] = "dumpcap file unreadable (exit %s)" % read(os.path.join(r, "dc.rc")).strip()
            dc = lcparse.dumpcap(read(os.path.join(r, "dc.log")))
            row["drops"]["dumpcap_dropped"] = dc["dropped"]
            row["dumpcap_reported"] = dc["received"]
            # received by testpmd but not handed to dumpcap and not counted
            # dropped by it: frames before dumpcap attached/after it detached
        row["engine_drops"] = sum(row["drops"].values())
    elif engine == "tcpdump":
        td = lcparse.tcpdump(read(os.path.join(r, "rx.log")))
        if td is None:
            row["status"] = "no tcpdump statistics (exit %s)" % read(os.path.join(r, "rx.rc")).strip()
            td = {"captured": 0, "received": 0, "dropped": 0}
        row["captured"], row["received"], sd = td["captured"], td["received"], td["dropped"]
        # received by the socket, not dropped, not written: still in the ring
        # when tcpdump stopped
        row["drops"] = {"socket_dropped": sd, "unprocessed_at_exit": max(0, row["received"] - row["captured"] - sd)}
        row["engine_drops"] = sum(row["drops"].values())
        names = ["gen", "rx"]
    elif engine == "netsniff-ng":
        ns = lcparse.netsniff(read(os.path.join(r, "rx.log")))
        if ns is None:
            row["status"] = "no netsniff-ng statistics (exit %s)" % read(os.path.join(r, "rx.rc")).strip()
            ns = {"incoming": 0, "unread": 0, "passed": 0, "failed": 0}
        row["received"] = ns["incoming"]
        row["captured"] = ns["passed"] - ns["unread"]
        row["drops"] = {"socket_dropped": ns["failed"], "unread_on_exit": ns["unread"]}
        row["engine_drops"] = ns["failed"] + ns["unread"]
        names = ["gen", "rx"]
    row.update(cpu_percent(os.path.join(r, "cpu"), names))
    if row["status"] == "ok" and row["offered"]:
        row["pct_captured"] = round(100.0 * row["captured"] / row["offered"], 4)
        row["unexplained"] = (row["offered"] - row["captured"] - row["link_refused"] - row["kernel_drops"]
                              - row["engine_drops"])
        if engine in LINECAP_ENGINES:
            row["identity"] = "holds" if (row["unexplained"] == 0 and row.get("lc_identity")) else "FAILS"
        else:
            row["identity"] = "n/a"
    else:
        row["pct_captured"] = None
        row["unexplained"] = None
        row["identity"] = "FAILS" if engine.startswith("linecap") else "n/a"
    row["notes"] = "; ".join(row["notes"])
    print(json.dumps(row, sort_keys=True))


def cmd_oneline(_args):
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        pct = "%.2f %%" % r["pct_captured"] if r.get("pct_captured") is not None else "n/a"
        print("%s %s %s #%d: offered %s (%.3f Mpps), captured %s = %s, refused %s, engine drops %s, "
              "unexplained %s, identity %s, cpu gen %s%% rx %s%% [%s]" % (
                  r["path"], r["traffic"], r["engine"], r["rep"], r.get("offered"), r.get("offered_mpps") or 0,
                  r.get("captured"), pct, r.get("link_refused"), r.get("engine_drops"), r.get("unexplained"),
                  r.get("identity"), r.get("cpu_gen"), r.get("cpu_rx"), r["status"]))


# ------------------------------------------------------------------ report

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def fmt_pct(m, lo, hi):
    if m is None:
        return "no data"

    def f(x):
        if x >= 99.995 and x < 100:
            return "%.3f" % x
        return "%.1f" % x if x >= 10 else "%.2f" % x
    return "%s %% (%s–%s)" % (f(m), f(lo), f(hi))


def fmt_n(x):
    if x is None:
        return "–"
    if isinstance(x, float) and not x.is_integer():
        return "%.1f" % x
    return "{:,}".format(int(x)).replace(",", " ")


def aggregate(rows):
    cells = {}
    for r in rows:
        cells.setdefault((r["path"], r["traffic"], r["engine"]), []).append(r)
    agg = {}
    for k, rs in cells.items():
        ok = [r for r in rs if r.get("pct_captured") is not None]
        pcts = [r["pct_captured"] for r in ok]
        a = {"path": k[0], "traffic": k[1], "engine": k[2], "runs": len(rs), "runs_ok": len(ok),
             "pct_med": med(pcts), "pct_min": min(pcts) if pcts else None, "pct_max": max(pcts) if pcts else None}
        for f in ("offered", "offered_mpps", "offered_gbps", "received", "captured", "link_refused",
                  "kernel_drops", "engine_drops", "cpu_gen", "cpu_gen2", "cpu_rx", "cpu_rx2", "cpu_dumpcap",
                  "cpu0_busy", "cpu1_busy", "gen_pacing_behind"):
            a[f + "_med"] = med([r.get(f) for r in ok])
        dk = sorted({d for r in ok for d in r.get("drops", {})})
        for d in dk:
            a["drop_" + d + "_med"] = med([r["drops"].get(d, 0) for r in ok])
        a["unexplained_max"] = max((abs(r["unexplained"]) for r in ok), default=None)
        if k[2].startswith("linecap"):
            a["identity"] = "holds" if (ok and len(ok) == len(rs) and all(r["identity"] == "holds" for r in ok)) else "FAILS"
        else:
            a["identity"] = "n/a"
        a["status"] = "; ".join(sorted({r["status"] for r in rs if r["status"] != "ok"}))
        agg[k] = a
    return agg


CSV_FIELDS = ["path", "traffic", "engine", "runs", "runs_ok", "pct_med", "pct_min", "pct_max",
              "offered_mpps_med", "offered_gbps_med", "offered_med", "received_med", "captured_med",
              "link_refused_med", "kernel_drops_med", "engine_drops_med", "drop_linecap_med",
              "drop_left_in_device_med", "drop_nic_missed_med",
              "drop_mbuf_failures_med", "drop_dropped_no_block_med", "drop_lost_disk_med",
              "drop_dumpcap_dropped_med", "drop_socket_dropped_med", "unexplained_max", "identity",
              "cpu_gen_med", "cpu_rx_med", "cpu_dumpcap_med", "cpu0_busy_med", "cpu1_busy_med",
              "gen_pacing_behind_med", "status"]


def cmd_report(args):
    runs_path, meta_path, out = args
    rows = [json.loads(l) for l in open(runs_path) if l.strip()]
    meta = jload(meta_path) or {}
    agg = aggregate(rows)
    os.makedirs(out, exist_ok=True)

    # per-cell CSV
    with open(os.path.join(out, "study.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for e in ENGINES:
            for p in PATHS + ["memif-x2"]:
                for t in TRAFFIC:
                    if (p, t, e) in agg:
                        w.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in agg[(p, t, e)].items()})
    run_fields = ["path", "traffic", "engine", "rep", "status", "offered", "offered_mpps", "offered_gbps",
                  "gen_sent", "link_refused", "kernel_drops", "softnet_drops", "afpacket_drops", "received", "captured",
                  "engine_drops", "drops", "unexplained", "identity", "pct_captured", "cpu_gen", "cpu_gen2",
                  "cpu_rx", "cpu_rx2", "cpu_dumpcap", "cpu0_busy", "cpu1_busy", "cpu_window_s",
                  "gen_pacing_behind", "gen_elapsed_s", "gen_rc", "duration_s"]
    with open(os.path.join(out, "study-runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=run_fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            r = dict(r)
            if isinstance(r.get("drops"), dict):
                r["drops"] = " ".join("%s=%d" % kv for kv in sorted(r["drops"].items()) if kv[1])
            w.writerow(r)

    md = []
    md.append("# The capture study: % of offered packets captured")
    md.append("")
    md.append("Generated by `make study` (`bench/study.sh`) on %s; method and caveats in "
              "[docs/STUDY.md](../docs/STUDY.md)." % meta.get("date", "?"))
    md.append("Machine: %s, %s vCPUs, %s, %s GiB RAM, Debian 12, kernel %s, DPDK %s; linecap at commit %s. "
              "Capture files on %s." % (meta.get("cpu", "?"), meta.get("vcpus", "?"), meta.get("virt", "?"),
                                        meta.get("mem_gib", "?"), meta.get("kernel", "?"), meta.get("dpdk", "?"),
                                        meta.get("commit", "?"), meta.get("disk", "?")))
    md.append("Each cell: %% of the frames the generator offered that the engine captured, median (min–max) "
              "of %s runs of %s s; generator on CPU 0, the capture on CPU 1, each engine in the layout its "
              "documentation recommends (docs/STUDY-LAYOUT.md). The whole matrix took "
              "%d min %d s%s." % (meta.get("reps", "?"), meta.get("duration_s", "?"), meta.get("elapsed_s", 0) // 60,
                                 meta.get("elapsed_s", 0) % 60,
                                 "; %d runs overlapped other DPDK programs on the machine" % meta["overlap"]
                                 if meta.get("overlap") else ""))
    md.append("")
    md.append("## Table I: captured / offered")
    md.append("")
    md.append("| Engine | Path | " + " | ".join(TRAFFIC_LABEL[t] for t in TRAFFIC) + " |")
    md.append("|---|---|" + "---:|" * len(TRAFFIC))
    for e in ENGINES:
        for p in PATHS:
            if not applies(p, e):
                continue
            cells = []
            for t in TRAFFIC:
                if (p, t, e) in agg:
                    a = agg[(p, t, e)]
                    cells.append(fmt_pct(a["pct_med"], a["pct_min"], a["pct_max"]))
                else:
                    cells.append("not run")
            md.append("| %s | %s | %s |" % (ENGINE_LABEL[e], PATH_SHORT[p], " | ".join(cells)))
    md.append("")
    md.append("## Offered load: what the generator held (median Mpps / wire Gb/s)")
    md.append("")
    md.append("linecap-gen on one core. `@ 10 Gb/s`: paced at 14.88 Mpps (64 B) or 1.27 Mpps (mix) with "
              "`--no-retry`, so the link never waits: frames its ring refused count as offered and not captured. "
              "`@ gen. max`: unpaced with back-pressure (a refused frame is offered again), so the rate is what "
              "generator, path and engine sustain together (it differs per engine: see the detail table).")
    md.append("")
    md.append("| Path | " + " | ".join(TRAFFIC_LABEL[t] for t in TRAFFIC) + " |")
    md.append("|---|" + "---:|" * len(TRAFFIC))
    for p in PATHS:
        cells = []
        for t in TRAFFIC:
            v = [r for r in rows if r["path"] == p and r["traffic"] == t and r.get("offered_mpps")]
            cells.append("%.2f Mpps / %.2f Gb/s" % (med([r["offered_mpps"] for r in v]), med([r["offered_gbps"] for r in v]))
                         if v else "–")
        md.append("| %s | %s |" % (PATH_SHORT[p], " | ".join(cells)))
    md.append("")
    md.append("## Every cell: counts (medians), drops by stage, accounting, CPU")
    md.append("")
    md.append("offered = captured + refused by the link + kernel drops + engine drops + unexplained. "
              "*Refused*: the generator's `failed` (the link's ring was full). *Kernel*: veth tx_dropped + "
              "rx_dropped + backlog drops, and for linecap and testpmd on veth the drops of their af_packet "
              "socket's ring (DPDK 22.11's net_af_packet does not report them: linecap reads them itself, "
              "`kernel_drops`; for testpmd tests/shim/afp_drops.c reads them). *Engine drops*: linecap's own sum of its "
              "drop counters (`totals.drops` of --stats-json less `kernel_drops`) plus frames left in the device, "
              "testpmd's RX-dropped/nombuf, dumpcap's dropped plus testpmd's, the socket drops "
              "tcpdump and netsniff-ng report. *Identity*: for linecap, unexplained = 0 and linecap's own "
              "received = written + drops, in every run. CPU: % of one CPU over the traffic window "
              "(utime+stime from /proc/PID/stat); CPU0/CPU1: whole-CPU busy %, softirq included.")
    md.append("")
    md.append("| Path | Traffic | Engine | offered | offered Mpps | received | captured | refused | kernel | engine drops | "
              "largest drop | unexplained (max) | identity | CPU gen | CPU capture | CPU0 / CPU1 busy |")
    md.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|")
    for p in PATHS + ["memif-x2"]:
        for t in TRAFFIC:
            for e in ENGINES:
                a = agg.get((p, t, e))
                if a is None:
                    continue
                drops = {k[5:-4]: v for k, v in a.items() if k.startswith("drop_") and v}
                big = max(drops.items(), key=lambda kv: kv[1]) if drops else None
                cap_cpu = fmt_n(a["cpu_rx_med"])
                if a.get("cpu_dumpcap_med") is not None:
                    cap_cpu += " + dumpcap " + fmt_n(a["cpu_dumpcap_med"])
                if a.get("cpu_rx2_med") is not None:
                    cap_cpu += " + " + fmt_n(a["cpu_rx2_med"])
                gen_cpu = fmt_n(a["cpu_gen_med"])
                if a.get("cpu_gen2_med") is not None:
                    gen_cpu += " + " + fmt_n(a["cpu_gen2_med"])
                md.append("| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s %% | %s %% | %s / %s %% |" % (
                    PATH_SHORT[p], TRAFFIC_LABEL[t], ENGINE_LABEL[e], fmt_n(a["offered_med"]), a["offered_mpps_med"] or 0,
                    fmt_n(a["received_med"]),
                    fmt_n(a["captured_med"]), fmt_n(a["link_refused_med"]), fmt_n(a["kernel_drops_med"]),
                    fmt_n(a["engine_drops_med"]), "%s %s" % (big[0], fmt_n(big[1])) if big else "–",
                    fmt_n(a["unexplained_max"]), a["identity"] + (" (" + a["status"] + ")" if a["status"] else ""),
                    gen_cpu, cap_cpu, fmt_n(a["cpu0_busy_med"]), fmt_n(a["cpu1_busy_med"])))
    x2 = [k for k in agg if k[0] == "memif-x2"]
    if x2:
        md.append("")
        md.append("## Second consumer (the paper's two VFs): the same traffic delivered to two captures")
        md.append("")
        md.append("Two memif links, each fed by its own linecap-gen offering the same traffic (both generators on "
                  "CPU 0), two linecap processes (both receive cores on CPU 1). % captured over both copies; the "
                  "single-consumer memif cell beside it.")
        md.append("")
        md.append("| Engine | Traffic | one consumer | two consumers (both copies) | capture CPU (each) |")
        md.append("|---|---|---:|---:|---:|")
        for e in ("linecap", "linecap-count"):
            for t in TRAFFIC:
                a = agg.get(("memif-x2", t, e))
                if a is None:
                    continue
                s = agg.get(("memif", t, e))
                md.append("| %s | %s | %s | %s | %s %% + %s %% |" % (
                    ENGINE_LABEL[e], TRAFFIC_LABEL[t], fmt_pct(s["pct_med"], s["pct_min"], s["pct_max"]) if s else "–",
                    fmt_pct(a["pct_med"], a["pct_min"], a["pct_max"]), fmt_n(a["cpu_rx_med"]), fmt_n(a["cpu_rx2_med"])))
    md.append("")
    md.append("Charts: " + ", ".join("[%s](study-%s.svg)" % (TRAFFIC_LABEL[t], TRAFFIC_FILE[t]) for t in TRAFFIC) +
              " (PNG beside each). Per-run values: [study-runs.csv](study-runs.csv); per cell: [study.csv](study.csv).")
    with open(os.path.join(out, "study.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    plot(agg, meta, out)


def plot(agg, meta, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colors = {"linecap": "#1f77b4", "linecap-count": "#aec7e8", "testpmd": "#2ca02c", "dumpcap": "#ff7f0e",
              "tcpdump": "#d62728", "netsniff-ng": "#9467bd", "linecap-pcapng": "#cccccc"}
    engines = ENGINES
    for t in TRAFFIC:
        if not any(k[1] == t and a["pct_med"] is not None for k, a in agg.items()):
            continue
        fig, ax = plt.subplots(figsize=(9, 4.6))
        width = 0.8 / 6
        done = set()
        for j, p in enumerate(PATHS):
            here = [e for e in engines if agg.get((p, t, e)) and agg[(p, t, e)]["pct_med"] is not None]
            for i, e in enumerate(here):
                a = agg[(p, t, e)]
                x = j + width * (i - (len(here) - 1) / 2.0)
                y = a["pct_med"]
                ax.bar([x], [y], width * 0.92, yerr=[[y - a["pct_min"]], [a["pct_max"] - y]], capsize=2,
                       label=None if e in done else ENGINE_LABEL[e], color=colors[e], edgecolor="black",
                       linewidth=0.4)
                done.add(e)
                ax.text(x, a["pct_max"] + 1.0, "%.0f" % y if y >= 9.5 else "%.1f" % y, ha="center", va="bottom",
                        fontsize=6.5)
        ax.set_xticks(range(len(PATHS)))
        ax.set_xticklabels([PATH_LABEL[p] for p in PATHS], fontsize=8)
        ax.set_ylim(0, 112)
        ax.set_ylabel("% of offered frames captured")
        ax.set_title("%s: %% captured, median and min–max of %s runs (%s, %s vCPUs)" % (
            TRAFFIC_LABEL[t], meta.get("reps", "?"), meta.get("cpu", "?"), meta.get("vcpus", "?")), fontsize=9)
        ax.axhline(100, color="grey", linewidth=0.5, linestyle="--")
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(out, "study-%s.%s" % (TRAFFIC_FILE[t], ext)), dpi=120)
        plt.close(fig)


# ------------------------------------------------------------------ check

def cmd_check(args):
    out = args[0]
    opts = dict(zip(args[1::2], args[2::2]))
    paths = opts.get("--paths", ",".join(PATHS)).split(",")
    traffic = opts.get("--traffic", ",".join(TRAFFIC)).split(",")
    engines = opts.get("--engines", ",".join(ENGINES)).split(",")
    problems = []
    for f in ["study.csv", "study-runs.csv", "study.md"] + ["study-%s.%s" % (TRAFFIC_FILE[t], x) for t in traffic
                                                             for x in ("png", "svg")]:
        p = os.path.join(out, f)
        if not os.path.isfile(p) or os.path.getsize(p) == 0:
            problems.append("missing or empty: " + f)
    cells = {}
    if os.path.isfile(os.path.join(out, "study.csv")):
        for r in csv.DictReader(open(os.path.join(out, "study.csv"))):
            cells[(r["path"], r["traffic"], r["engine"])] = r
    md = read(os.path.join(out, "study.md"))
    for p in paths:
        for t in traffic:
            for e in engines:
                if not applies(p, e):
                    continue
                c = cells.get((p, t, e))
                if c is None:
                    problems.append("cell %s %s %s absent from study.csv" % (p, t, e))
                    continue
                if not c["pct_med"]:
                    problems.append("cell %s %s %s has no measurement (%s)" % (p, t, e, c["status"]))
                if e.startswith("linecap") and c["identity"] != "holds":
                    problems.append("cell %s %s %s: identity %s (unexplained max %s; %s)" % (
                        p, t, e, c["identity"], c["unexplained_max"], c["status"]))
    for e in engines:
        for p in paths:
            if applies(p, e) and "| %s | %s |" % (ENGINE_LABEL[e], PATH_SHORT[p]) not in md:
                problems.append("study.md has no row %s / %s" % (e, p))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok")


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"row": cmd_row, "oneline": cmd_oneline, "report": cmd_report, "check": cmd_check}.get(
        cmd, lambda a: die("unknown command " + cmd))(args)


if __name__ == "__main__":
    main()
