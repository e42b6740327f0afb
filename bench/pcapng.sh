#!/usr/bin/env bash
# pcapng vs pcap: linecap capturing 64 B frames from net_null, same machine,
# same run, alternating formats.
#
#   bench/pcapng.sh [BUILD]        BUILD: meson build directory (default: build)
#
# LCB_REPS runs per format (default 3) of LCB_DUR s (default 10):
#   disk   -w on LCB_DIR (the disk, O_DIRECT), as bench/run.sh's capture runs:
#          the disk is the limit, so written Mpps follows bytes per packet
#   tmpfs  (only with LCB_PNG_TMPFS=1) -w on /dev/shm in a ring of 2 x 200 MB
#          files; on the project's VM the writer's copy into the page cache
#          (~0.7 GB/s) is the limit there, so it says little about the formats
# then build/bench_encode (bench/encode.c): the encoding cost per record alone.
# Prints a markdown section (and writes it to LCB_PNG_OUT if set). Waits for
# /tmp/lc-quiet to disappear and for no other linecap/testpmd/fio before each run.
. "$(dirname "$0")/lib.sh"
DIR=${LCB_DIR:-/var/tmp/lcbench}
REPS=${LCB_REPS:-3}
DUR=${LCB_DUR:-10}
SHM=/dev/shm/lcpng.$$
LOGS=$DIR/png.$(date +%Y%m%d-%H%M%S)

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$LC" ] || die "$LC not found"
mkdir -p "$DIR" "$LOGS" "$SHM" || die "cannot create $DIR, $LOGS or $SHM"
trap 'rm -rf "$SHM" "$DIR"/x.pcap* "$DIR"/.x.pcap*' EXIT

quiet() {
    local waited=0
    while [ -e /tmp/lc-quiet ] || pgrep -x linecap >/dev/null || pgrep -x dpdk-testpmd >/dev/null ||
          pgrep -x fio >/dev/null || pgrep -x linecap-gen >/dev/null; do
        [ $((waited % 60)) -eq 0 ] && log "waiting for a quiet machine"
        sleep 2; waited=$((waited + 2))
    done
}

# run FMT TARGET REP
run() {
    local fmt=$1 tgt=$2 rep=$3 base=$LOGS/$1-$2-$3 flag=() out=()
    [ "$fmt" = pcapng ] && flag=(-n)
    if [ "$tgt" = disk ]; then
        out=(-w "$DIR/x.$fmt")
    else
        out=(-w "$SHM/x.$fmt" -b filesize:200000 -b files:2)
    fi
    local cmd=("$LC" -i net_null0,size=64 "${flag[@]}" "${out[@]}" -a "duration:$DUR"
               --cores 1 --stats-interval 1 --stats-json "$base.json")
    echo "${cmd[*]}" >> "$LOGS/commands.txt"
    quiet
    rm -f "$DIR"/x.pcap* "$DIR"/.x.pcap* "$SHM"/*
    "${cmd[@]}" 2> "$base.err" || log "$fmt $tgt rep $rep: exit $? ($(tail -1 "$base.err"))"
    rm -f "$DIR"/x.pcap* "$DIR"/.x.pcap* "$SHM"/*
    log "$fmt $tgt rep $rep: $($PY - "$base.json" "$DUR" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1])); t = j["totals"]
print("rx %.1f Mpps, written %.2f Mpps, %.1f B/packet" % (t["received"] / float(sys.argv[2]) / 1e6,
      t["written"] / j["elapsed_s"] / 1e6, t["written_bytes"] / max(t["written"], 1)))
EOF
)"
}

log "logs: $LOGS"
TARGETS="disk"
[ "${LCB_PNG_TMPFS:-0}" = 1 ] && TARGETS="disk tmpfs"
for rep in $(seq 1 "$REPS"); do
    for tgt in $TARGETS; do
        if [ $((rep % 2)) -eq 1 ]; then run pcap "$tgt" "$rep"; run pcapng "$tgt" "$rep"
        else run pcapng "$tgt" "$rep"; run pcap "$tgt" "$rep"; fi
    done
done

quiet
taskset -c 1 "$BUILD/bench_encode" 64 1 > "$LOGS/encode-64.txt" 2>&1 || log "bench_encode failed"
taskset -c 1 "$BUILD/bench_encode" 60 1 > "$LOGS/encode-60.txt" 2>&1 || log "bench_encode failed"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
grep -q hypervisor /proc/cpuinfo && cpu="$cpu (virtual machine)"
$PY - "$LOGS" "$REPS" "$DUR" "$cpu" "$(uname -sr)" "$(git -C "$ROOT" rev-parse --short HEAD)" \
    "$(findmnt -no SOURCE,FSTYPE -T "$DIR" | xargs)" <<'EOF' | tee "$LOGS/section.md"
import json, re, statistics, sys, datetime
logs, reps, dur, cpu, kern, rev, disk = sys.argv[1:8]
reps, dur = int(reps), float(dur)
LIVE = re.compile(r"linecap:\s+([\d.]+)s rx\s+([\d.]+) Mpps.*?block (\d+) disk.*?free blocks (\d+)/")
rows = {}
for fmt in ("pcap", "pcapng"):
    for tgt in ("disk", "tmpfs"):
        for rep in range(1, reps + 1):
            base = "%s/%s-%s-%d" % (logs, fmt, tgt, rep)
            try:
                j = json.load(open(base + ".json"))
            except Exception:
                continue
            t = j["totals"]
            free_rx, prev = [], 0
            for m in LIVE.finditer(open(base + ".err", errors="replace").read()):
                _ts, rx, blk, free = m.groups()
                if int(blk) == prev and int(free) > 0:
                    free_rx.append(float(rx))
                prev = int(blk)
            rows.setdefault((fmt, tgt), []).append({
                "rx": t["received"] / dur / 1e6, "wr": t["written"] / j["elapsed_s"] / 1e6,
                "gbs": t["written_bytes"] / j["elapsed_s"] / 1e9,
                "bpp": t["written_bytes"] / max(t["written"], 1),
                "drop": 100.0 * t["dropped_no_block"] / max(t["received"], 1),
                "free": max(free_rx) if free_rx else None,
                "ok": j["identity"]["holds"] and j["exit_code"] == 0})
def mmm(v, nd=2):
    v = [x for x in v if x is not None]
    if not v:
        return "n/a"
    m = statistics.median(v)
    return ("%.*f" % (nd, m)) if len(v) == 1 else "%.*f (%.*f–%.*f)" % (nd, m, nd, min(v), nd, max(v))
now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
print("## 6. pcapng vs pcap (bench/pcapng.sh)\n")
print("Generated by `bench/pcapng.sh` on %s. Machine: %s, %s; linecap at commit %s. "
      "`net_null0,size=64` (64-byte frames) into one receive core, %d runs of %.0f s per format, "
      "pcap and pcapng alternating in the same run (order flipped every repetition); median (min–max). "
      "*disk*: `-w` on %s with O_DIRECT, as in section 2 (*tmpfs*, with LCB_PNG_TMPFS=1: `-w /dev/shm/...` "
      "in a ring of 2 x 200 MB files)." % (now, cpu, kern, rev, reps, dur, disk))
print()
print("| target | format | bytes/packet on disk | rx Mpps | written Mpps | GB/s written | dropped (no block) % | rx core Mpps, blocks free | identity, exit 0 |")
print("|---|---|---:|---:|---:|---:|---:|---:|---|")
for tgt in ("disk", "tmpfs"):
    for fmt in ("pcap", "pcapng"):
        r = rows.get((fmt, tgt), [])
        if not r:
            continue
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (tgt, fmt, mmm([x["bpp"] for x in r], 1),
              mmm([x["rx"] for x in r], 1), mmm([x["wr"] for x in r]), mmm([x["gbs"] for x in r]),
              mmm([x["drop"] for x in r], 1), mmm([x["free"] for x in r], 1),
              "yes" if r and all(x["ok"] for x in r) else "NO"))
def ratio(tgt, key):
    a = [x[key] for x in rows.get(("pcapng", tgt), [])]
    b = [x[key] for x in rows.get(("pcap", tgt), [])]
    return statistics.median(a) / statistics.median(b) if a and b else float("nan")
print()
print("- pcapng / pcap, medians: written Mpps %.3f, GB/s %.3f." % (ratio("disk", "wr"), ratio("disk", "gbs")))
print("- bytes/packet = written_bytes / written. net_null's `size=64` puts 64 bytes in the mbuf: "
      "pcap 16 + 64 = 80; pcapng EPB 28 + 64 + epb_flags 8 + opt_endofopt 4 + trailing length 4 = 108 "
      "(one queue, so no epb_queue). A 60-byte frame takes 76 and 104 (t_pcapng checks 104).")
for fl in ("64", "60"):
    try:
        txt = open("%s/encode-%s.txt" % (logs, fl)).read().strip().splitlines()
        print("- `bench_encode %s` (encoding alone, CPU 1, 5 alternating rounds of 1 s): %s" % (fl, "; ".join(txt)))
    except OSError:
        pass
print("- rx core Mpps, blocks free: the best 1 s live-line interval in which blocks were free and the "
      "no-block counter did not move (n/a: never for a whole second).")
print("- Logs: `%s`." % logs)
EOF
