#!/usr/bin/python3
"""Checks for linecap's metrics, telemetry and manifest (stdlib only).

  mcheck.py expo BODY HEADERS
      BODY is a scraped /metrics response body, HEADERS its response headers
      (curl -D). Checks the Prometheus text format 0.0.4: Content-Type
      text/plain; version=0.0.4; every line is "# HELP name text",
      "# TYPE name counter|gauge" or a sample "name{l="v",...} value" of the
      family whose HELP and TYPE came just before; counters end in _total;
      no family twice; no sample twice. Prints the number of samples.
  mcheck.py compare BODY STATSJSON
      Every queue counter of every queue and every port counter of every
      port in linecap's --stats-json equals the scraped sample
      linecap_NAME_total{port=,queue=} / {port=} exactly, and the exposition
      has no counter sample the JSON does not have. Prints "ok N".
  mcheck.py values BODY NAME
      Print the sum of the samples of NAME.
  mcheck.py telemetry SOCKET OUT
      Query a DPDK telemetry v2 socket (SOCK_SEQPACKET): /, /linecap/stats,
      /linecap/ports, /linecap/queues,P for each port; write them as one
      JSON document {"cmds": [...], "stats": {...}, "ports": {...},
      "queues": {P: {...}}} to OUT.
  mcheck.py tcompare TELJSON STATSJSON
      The telemetry answers equal the --stats-json counters (totals, per
      port, per queue) exactly. Prints "ok N".
  mcheck.py manifest MANIFEST STATSJSON T0 T1 -- ARGV...
      The run manifest agrees with the --stats-json document and the run:
      stats == the JSON document; versions; argv; ports/drivers/queues;
      cores; clock; % captured; files; T0 <= start <= end <= T1 (ns).
      Prints "ok" or the first problem (exit 1).
"""
import json
import re
import socket
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABELS = r'\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\}'
SAMPLE = re.compile(r"^(%s)(%s)? ([-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf))$" % (NAME, LABELS))
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

QUEUE_KEYS_NOT_COUNTERS = {"queue", "stream", "lcore"}
PORT_KEYS_NOT_COUNTERS = {"port", "name", "driver", "queues"}


def die(msg):
    print(msg)
    sys.exit(1)


def parse(body):
    """{(name, frozenset(labels.items())): value}, {name: type}"""
    samples, types, helped = {}, {}, set()
    fam = None
    for n, line in enumerate(body.split("\n"), 1):
        if line == "":
            if n != len(body.split("\n")):
                die("line %d is empty" % n)
            continue
        m = HELP.match(line)
        if m:
            if m.group(1) in helped:
                die("line %d: family %s has a second HELP" % (n, m.group(1)))
            helped.add(m.group(1))
            fam = None
            continue
        m = TYPE.match(line)
        if m:
            if m.group(1) not in helped:
                die("line %d: TYPE of %s without HELP before it" % (n, m.group(1)))
            if m.group(1) in types:
                die("line %d: family %s has a second TYPE" % (n, m.group(1)))
            types[m.group(1)] = m.group(2)
            if m.group(2) == "counter" and not m.group(1).endswith("_total"):
                die("line %d: counter %s does not end in _total" % (n, m.group(1)))
            fam = m.group(1)
            continue
        m = SAMPLE.match(line)
        if not m:
            die("line %d does not parse: %r" % (n, line))
        if m.group(1) != fam:
            die("line %d: sample of %s outside its family (HELP/TYPE) block" % (n, m.group(1)))
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        if key in samples:
            die("line %d: sample %s twice" % (n, line))
        v = m.group(3)
        samples[key] = int(v) if re.match(r"^[0-9]+$", v) else float(v)
    return samples, types


def cmd_expo(body_path, headers_path):
    body = open(body_path, encoding="utf-8", newline="").read()
    headers = open(headers_path, encoding="latin-1", newline="").read()
    status = headers.split("\r\n", 1)[0]
    if not re.match(r"^HTTP/1\.[01] 200 ", status):
        die("status line %r" % status)
    ct = [h for h in headers.split("\r\n") if h.lower().startswith("content-type:")]
    if not ct or "text/plain" not in ct[0] or "version=0.0.4" not in ct[0]:
        die("Content-Type %r, expected text/plain; version=0.0.4" % ct)
    samples, types = parse(body)
    if not samples:
        die("no samples")
    print(len(samples))


def cmd_values(body_path, name):
    samples, _ = parse(open(body_path, encoding="utf-8").read())
    print(sum(v for (n, _l), v in samples.items() if n == name))


def cmd_compare(body_path, json_path):
    samples, types = parse(open(body_path, encoding="utf-8").read())
    d = json.load(open(json_path))
    want = {}
    for p in d["ports"]:
        for k, v in p.items():
            if k not in PORT_KEYS_NOT_COUNTERS:
                want[("linecap_%s_total" % k, frozenset({("port", str(p["port"]))}))] = v
        for q in p["queues"]:
            for k, v in q.items():
                if k not in QUEUE_KEYS_NOT_COUNTERS:
                    want[("linecap_%s_total" % k,
                          frozenset({("port", str(p["port"])), ("queue", str(q["queue"]))}))] = v
    bad = []
    for key, v in sorted(want.items(), key=lambda kv: str(kv[0])):
        got = samples.get(key)
        if got != v:
            bad.append("%s%s scraped %s, JSON %s" % (key[0], dict(key[1]), got, v))
    # every per-port/per-queue counter sample is one the JSON has
    for (n, labels), v in samples.items():
        if types.get(n) == "counter" and any(k == "port" for k, _ in labels):
            if (n, labels) not in want:
                bad.append("%s%s=%s is not in the JSON" % (n, dict(labels), v))
    if bad:
        die("; ".join(bad[:6]))
    print("ok %d" % len(want))


def recv_json(s):
    return json.loads(s.recv(1 << 20).decode())


def cmd_telemetry(path, out):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    hello = recv_json(s)
    res = {"hello": hello}
    s.send(b"/")
    res["cmds"] = recv_json(s)["/"]
    s.send(b"/linecap/stats")
    res["stats"] = recv_json(s)["/linecap/stats"]
    s.send(b"/linecap/ports")
    res["ports"] = recv_json(s)["/linecap/ports"]
    res["queues"] = {}
    for p in sorted(res["ports"] or {}):
        s.send(("/linecap/queues,%s" % p).encode())
        res["queues"][p] = recv_json(s)["/linecap/queues"]
    s.close()
    json.dump(res, open(out, "w"), indent=1)


def cmd_tcompare(tel_path, json_path):
    t = json.load(open(tel_path))
    d = json.load(open(json_path))
    for c in ("/linecap/stats", "/linecap/ports", "/linecap/queues"):
        if c not in t["cmds"]:
            die("telemetry does not list %s: %s" % (c, t["cmds"]))
    bad, n = [], 0
    for k, v in d["totals"].items():
        if k in ("files", "drops"):     # not counters: a count of files, a sum of counters
            continue
        n += 1
        if t["stats"].get(k) != v:
            bad.append("stats %s: telemetry %s, JSON %s" % (k, t["stats"].get(k), v))
    if set(t["stats"]) - set(d["totals"]) - {"blocks_free", "blocks_total", "mbufs_in_use", "uptime_ms"}:
        bad.append("stats has keys the JSON has not: %s" % (set(t["stats"]) - set(d["totals"])))
    for p in d["ports"]:
        tp = (t["ports"] or {}).get(str(p["port"]))
        if tp is None:
            bad.append("no telemetry for port %s" % p["port"])
            continue
        for k, v in p.items():
            if k in ("port", "queues"):
                continue
            n += 1
            if tp.get(k) != v:
                bad.append("port %s %s: telemetry %s, JSON %s" % (p["port"], k, tp.get(k), v))
        tq = t["queues"].get(str(p["port"])) or {}
        for q in p["queues"]:
            tqq = tq.get(str(q["queue"]), {})
            for k, v in q.items():
                if k in QUEUE_KEYS_NOT_COUNTERS:
                    continue
                n += 1
                if tqq.get(k) != v:
                    bad.append("port %s queue %s %s: telemetry %s, JSON %s"
                               % (p["port"], q["queue"], k, tqq.get(k), v))
    if bad:
        die("; ".join(bad[:6]))
    print("ok %d" % n)


def cmd_manifest(man_path, json_path, t0, t1, argv):
    m = json.load(open(man_path))
    d = json.load(open(json_path))
    t0, t1 = int(t0), int(t1)

    def need(cond, what):
        if not cond:
            die("manifest: " + what)

    need(m.get("stats") == d, "stats differ from the --stats-json document")
    need(m["manifest_version"] == 1, "manifest_version %r" % m.get("manifest_version"))
    need(m["linecap_version"] == d["version"], "linecap_version %r vs %r" % (m["linecap_version"], d["version"]))
    need(re.match(r"^DPDK 22\.11", m["dpdk_version"]), "dpdk_version %r" % m["dpdk_version"])
    need(m["argv"][1:] == argv, "argv %r, expected [...] + %r" % (m["argv"], argv))
    need(m["argv"][0].endswith("linecap"), "argv[0] %r" % m["argv"][0])
    need(t0 <= m["start_ns"] <= m["end_ns"] <= t1,
         "times: start %d end %d outside the run [%d, %d]" % (m["start_ns"], m["end_ns"], t0, t1))
    need(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", m["start_time"]), "start_time %r" % m["start_time"])
    need(m["stop_reason"] == d["stop_reason"] and m["exit_code"] == d["exit_code"], "stop_reason/exit_code")
    need(m["clock"]["source"] in ("tsc", "nic", "mixed") and m["clock"]["tsc_hz"] > 0, "clock %r" % m["clock"])
    need(len(m["cores"]["receive"]) >= 1, "cores %r" % m["cores"])
    need(len(m["ports"]) == len(d["ports"]), "ports %d vs %d" % (len(m["ports"]), len(d["ports"])))
    for mp, dp in zip(m["ports"], d["ports"]):
        need(mp["port"] == dp["port"] and mp["name"] == dp["name"] and mp["driver"] == dp["driver"],
             "port %r vs %r" % (mp, dp))
        need(mp["queues"] == len(dp["queues"]), "port %s queues %s vs %d" % (mp["port"], mp["queues"], len(dp["queues"])))
        need(isinstance(mp["rx_offloads"], list) and all(isinstance(o, str) for o in mp["rx_offloads"]),
             "rx_offloads %r" % mp["rx_offloads"])
        need(("SCATTER" in mp["rx_offloads"]) == mp["scatter"], "scatter %r vs offloads %r" % (mp["scatter"], mp["rx_offloads"]))
    t = d["totals"]
    offered = t["received"] + t["nic_missed"] + t["nic_errors"] + t["mbuf_failures"] + t["kernel_drops"]
    if offered:
        need(abs(m["captured_pct"] - 100.0 * t["written"] / offered) < 1e-4,
             "captured_pct %r, expected %r" % (m["captured_pct"], 100.0 * t["written"] / offered))
    else:
        need(m["captured_pct"] is None, "captured_pct %r with nothing offered" % m["captured_pct"])
    kept = [f["name"] for f in d["files"] if not f["deleted"]]
    need(m["files"] == kept, "files %r vs %r" % (m["files"], kept))
    need(m["files_deleted"] == len(d["files"]) - len(kept), "files_deleted %r" % m["files_deleted"])
    print("ok")


def main():
    a = sys.argv[1:]
    if not a:
        die(__doc__)
    if a[0] == "expo":
        cmd_expo(a[1], a[2])
    elif a[0] == "compare":
        cmd_compare(a[1], a[2])
    elif a[0] == "values":
        cmd_values(a[1], a[2])
    elif a[0] == "telemetry":
        cmd_telemetry(a[1], a[2])
    elif a[0] == "tcompare":
        cmd_tcompare(a[1], a[2])
    elif a[0] == "manifest":
        if a[5] != "--":
            die("usage: manifest MANIFEST STATSJSON T0 T1 -- ARGV...")
        cmd_manifest(a[1], a[2], a[3], a[4], a[6:])
    else:
        die(__doc__)


if __name__ == "__main__":
    main()
