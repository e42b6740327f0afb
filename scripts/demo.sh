#!/usr/bin/env bash
# linecap demo: a real ~10 s capture that needs nothing outside this repo.
#
#   scripts/demo.sh BUILD        (make demo)
#
# Default source (DEMO_SOURCE=gen): the real path on this machine, two
# processes on two cores:
#
#   linecap-gen (CPU 0, memif server) --memif--> linecap (CPU 1, memif client)
#
# linecap-gen sends 64 B frames (the worst case: 60 B + FCS) in 4 flows at
# DEMO_PPS frames/s (default 3m, which this kind of 2-vCPU VM holds with no
# drop; see the note below) for DEMO_SECONDS (default 10), each frame stamped
# with a per-flow sequence number and its send time. linecap writes
# ./capture/demo_NNNNN_*.pcap, rotating every 200 MB (all files kept, so that
# verify can account for every frame). Then: linecap's own summary, every
# file as an independent reader (capinfos) sees it, and `linecap verify` of
# the files against the generator's and linecap's JSON: offered, captured,
# and which counter explains each missing frame.
#
# Both sides stop by count (the generator sends exactly N frames, linecap
# stops after receiving N): linecap leaves its receive loop before the
# generator closes the link, which avoids DPDK 22.11's net_memif disconnect
# race (see DESIGN.md).
#
# DEMO_SOURCE=pcap: the earlier demo: DPDK's net_pcap replaying
# tests/data/mixed.pcap (64 frames of 60..1724 bytes: IPv4/IPv6 TCP/UDP,
# VLAN, QinQ, ARP) over and over, as fast as it comes, rotation every 50 MB,
# newest 10 files kept.
#
# Environment: DEMO_SOURCE (gen|pcap), DEMO_SECONDS (10), DEMO_PPS (3m; any
# linecap-gen --pps value), DEMO_ARGS (extra linecap options).
#
# Rate note (64 B, memif, this VM): linecap-gen holds 5 Mpps and more on its
# core, but linecap's writer thread shares CPU 0 with the generator's
# busy-polling core (two CPUs, three busy threads); 3 Mpps (about 230 MB/s of
# pcap records) leaves margin.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
BUILD=${1:-build}
BIN=$BUILD/linecap
GEN=$BUILD/linecap-gen
OUT=capture
SECS=${DEMO_SECONDS:-10}
SOURCE=${DEMO_SOURCE:-gen}
PY=/usr/bin/python3

[ -x "$BIN" ] || { echo "demo: $BIN not found; run 'make build' first" >&2; exit 2; }
command -v capinfos >/dev/null || { echo "demo: capinfos (tshark package) is not installed; run 'make setup'" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] || { echo "demo: DEMO_SECONDS '$SECS': expected a whole number of seconds >= 1" >&2; exit 2; }

mkdir -p "$OUT"
# remove the previous demo's files (only ours: other files in capture/ stay)
rm -f "$OUT"/demo_*.pcap "$OUT"/demo*.manifest.json "$OUT"/.demo_*.partial "$OUT"/demo-stats.json "$OUT"/demo-gen.json \
    "$OUT"/demo-verify.json "$OUT"/.demo-gen.held.json* "$OUT/.demo-gen.log"

# print the kept files as capinfos reads them, and check linecap's JSON
# against them; sets TOTAL
file_table() {
    shopt -s nullglob
    local files=("$OUT"/demo_*.pcap)
    if [ ${#files[@]} = 0 ]; then
        echo "demo: no capture file was written" >&2
        return 1
    fi
    echo
    echo "== the kept files, as capinfos reads them"
    {
        printf 'file\trecords\tbytes\tfirst packet\tlast packet\n'
        capinfos -T -r -M -c -s -a -e "${files[@]}" | sed 's|^capture/||'
    } | column -t -s "$(printf '\t')"
    TOTAL=$(capinfos -T -r -M -c "${files[@]}" | awk -F'\t' '{s += $2} END {print s}')
    echo
    echo "== $TOTAL records in ${#files[@]} kept files"
    [ -s "$OUT/demo-stats.json" ] || return 0
    "$PY" - "$OUT/demo-stats.json" "$TOTAL" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
kept = [f for f in d["files"] if not f["deleted"]]
deleted = [f for f in d["files"] if f["deleted"]]
print("linecap's JSON: stop_reason %s after %.1f s; received %d, written %d in %d files "
      "(%d deleted by the ring, %d kept, %d records in the kept files)"
      % (d["stop_reason"], d["elapsed_s"], t["received"], t["written"], t["files"],
         len(deleted), len(kept), sum(f["records"] for f in kept)))
print("  dropped: %d no free block (disk behind), %d disk errors; device: %d missed, %d mbuf failures"
      % (t["dropped_no_block"], t["lost_disk"], t["nic_missed"], t["mbuf_failures"]))
print("  identity received = filtered + written + dropped: %s"
      % ("holds" if d["identity"]["holds"] else "DOES NOT HOLD"))
if sum(f["records"] for f in kept) != int(sys.argv[2]):
    print("  MISMATCH: capinfos counts %s records in the kept files" % sys.argv[2])
    sys.exit(1)
PY
}

# ------------------------------------------------------------------ pcap

demo_pcap() {
    local src=$ROOT/tests/data/mixed.pcap rc
    [ -f "$src" ] || { echo "demo: $src missing (tests/data/make_data.py makes it)" >&2; exit 2; }
    echo "== linecap: ${SECS} s from net_pcap (infinite replay of tests/data/mixed.pcap) into $OUT/"
    echo "   rotation every 50 MB (-b filesize:50000), newest 10 files kept (-b files:10)"
    echo
    # shellcheck disable=SC2086
    "$BIN" -i "net_pcap0,rx_pcap=$src,infinite_rx=1" -w "$OUT/demo.pcap" \
        -b filesize:50000 -b files:10 -a "duration:$SECS" \
        --stats-interval 1 --stats-json "$OUT/demo-stats.json" ${DEMO_ARGS:-}
    rc=$?
    echo
    echo "== linecap exit code: $rc"
    file_table || exit 1
    exit $rc
}

# ------------------------------------------------------------------ gen

LK=demo$$
LK=${LK:0:10}
RUN_DIR=${LC_LINKS_DIR:-/run/linecap}
GEN_PID=
cleanup() {
    if [ -n "$GEN_PID" ] && kill -0 "$GEN_PID" 2>/dev/null; then
        kill -INT "$GEN_PID" 2>/dev/null
        local i=0
        while kill -0 "$GEN_PID" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
        kill -KILL "$GEN_PID" 2>/dev/null
        wait "$GEN_PID" 2>/dev/null
    fi
    "$ROOT/scripts/links.sh" down "$LK" >/dev/null 2>&1
    rm -f "$OUT"/.demo-gen.held.json* "$OUT/.demo-gen.log"
}

demo_gen() {
    local pps n rc grc links
    [ -x "$GEN" ] || { echo "demo: $GEN not found; run 'make build' first" >&2; exit 2; }
    [ "$(id -u)" = 0 ] || { echo "demo: the memif demo runs DPDK and needs root (or DEMO_SOURCE=pcap)" >&2; exit 2; }
    [ "$(nproc)" -ge 2 ] || { echo "demo: the memif demo needs 2 CPUs (generator and capture); DEMO_SOURCE=pcap needs one" >&2; exit 2; }
    pps=$("$PY" - "${DEMO_PPS:-3m}" <<'PY'
import re, sys
m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([kmg]?)", sys.argv[1].lower())
if not m:
    sys.exit(1)
v = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2)]
print(int(v) if v >= 1 else "")
PY
    ) && [ -n "$pps" ] || { echo "demo: DEMO_PPS '${DEMO_PPS:-}': expected a rate such as 3m, 500k or 2000000" >&2; exit 2; }
    n=$((pps * SECS))

    # links left by earlier demos that were killed: down removes their state
    # and sockets (a socket some process still listens on stays)
    local d
    for d in "$RUN_DIR"/links/demo*; do
        [ -d "$d" ] && "$ROOT/scripts/links.sh" down "$(basename "$d")" >/dev/null 2>&1
    done
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    links=$("$ROOT/scripts/links.sh" up memif "$LK") || { echo "demo: scripts/links.sh up memif $LK failed" >&2; exit 1; }
    eval "$links"

    echo "== linecap-gen (CPU 0) --memif--> linecap (CPU 1): $n frames of 64 B in 4 flows at $(awk -v p="$pps" 'BEGIN{printf "%.2f", p/1e6}') Mpps (${SECS} s)"
    echo "   link: $LINK_GEN"
    echo "   into $OUT/demo_NNNNN_*.pcap, a new file every 200 MB (-b filesize:200000), all kept"
    echo
    # --linger: after its last frame the generator keeps the link open until
    # linecap has taken every frame from the ring and disconnected (on memif
    # neither side may leave while the other is inside a burst call: see
    # DESIGN.md)
    "$GEN" -i "$LINK_GEN" --cores 0 --size 64 --flows 4 --pps "$pps" -c "$n" --linger 30 \
        --json "$OUT/demo-gen.json" --quiet -- --file-prefix=lcdemogen$$ \
        >"$OUT/.demo-gen.log" 2>&1 </dev/null &
    GEN_PID=$!
    local i=0
    while [ ! -S "$RUN_DIR/$LK.sock" ] && [ $i -lt 200 ]; do
        kill -0 "$GEN_PID" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    if [ ! -S "$RUN_DIR/$LK.sock" ]; then
        echo "demo: linecap-gen did not come up:" >&2
        cat "$OUT/.demo-gen.log" >&2
        exit 1
    fi
    # linecap stops after the generator's N frames (-a duration ends it
    # should the link break)
    # shellcheck disable=SC2086
    "$BIN" -i "$LINK_CAPTURE" --cores 1 -w "$OUT/demo.pcap" -b filesize:200000 \
        -c "$n" -a "duration:$((SECS * 3 + 10))" \
        --stats-interval 1 --stats-json "$OUT/demo-stats.json" ${DEMO_ARGS:-} -- --file-prefix=lcdemo$$
    rc=$?
    echo
    echo "== linecap exit code: $rc"
    # the generator ends when linecap's disconnect reaches it
    i=0
    while kill -0 "$GEN_PID" 2>/dev/null && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if kill -0 "$GEN_PID" 2>/dev/null; then
        echo "demo: linecap-gen still running 10 s after linecap stopped; stopping it" >&2
        kill -INT "$GEN_PID"
    fi
    wait "$GEN_PID"
    grc=$?
    GEN_PID=
    echo
    echo "== linecap-gen exit code: $grc"
    grep -v 'mp action callback' "$OUT/.demo-gen.log"
    rm -f "$OUT/.demo-gen.log"
    "$ROOT/scripts/links.sh" down "$LK" >/dev/null 2>&1

    file_table || exit 1
    echo
    echo "== linecap verify --gen-json $OUT/demo-gen.json --capture-json $OUT/demo-stats.json $OUT/demo_*.pcap"
    "$BIN" verify --flows 8 --json "$OUT/demo-verify.json" --gen-json "$OUT/demo-gen.json" \
        --capture-json "$OUT/demo-stats.json" "$OUT"/demo_*.pcap
    local vrc=$?
    echo
    echo "== verify exit code: $vrc (0: every frame the generator sent is in the files or explained by a counter)"
    [ $rc = 0 ] || exit $rc
    [ $grc = 0 ] || exit $grc
    exit $vrc
}

case $SOURCE in
gen) demo_gen ;;
pcap) demo_pcap ;;
*) echo "demo: DEMO_SOURCE '$SOURCE': expected gen or pcap" >&2; exit 2 ;;
esac
