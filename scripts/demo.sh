#!/usr/bin/env bash
# linecap demo: a real ~10 s capture that needs nothing outside this repo.
#
#   scripts/demo.sh BUILD        (make demo)
#
# Source: DPDK's net_pcap driver replaying tests/data/mixed.pcap (64 frames of
# 60..1724 bytes: IPv4/IPv6 TCP/UDP, VLAN, QinQ, ARP) over and over with
# infinite_rx, as fast as it comes. Output: ./capture/demo_NNNNN_*.pcap with
# rotation every 50 MB, the newest 10 files kept. linecap prints a live line
# every second and its own summary at the end; then this script lists every
# kept file as an independent reader (capinfos) sees it.
# Environment: DEMO_SECONDS (default 10), DEMO_ARGS (extra linecap options).
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
BUILD=${1:-build}
BIN=$BUILD/linecap
SRC=$ROOT/tests/data/mixed.pcap
OUT=capture
SECS=${DEMO_SECONDS:-10}

[ -x "$BIN" ] || { echo "demo: $BIN not found; run 'make build' first" >&2; exit 2; }
[ -f "$SRC" ] || { echo "demo: $SRC missing (tests/data/make_data.py makes it)" >&2; exit 2; }
command -v capinfos >/dev/null || { echo "demo: capinfos (tshark package) is not installed; run 'make setup'" >&2; exit 2; }

mkdir -p "$OUT"
# remove the previous demo's files (only ours: other files in capture/ stay)
rm -f "$OUT"/demo_*.pcap "$OUT"/.demo_*.partial "$OUT"/demo-stats.json

echo "== linecap: ${SECS} s from net_pcap (infinite replay of tests/data/mixed.pcap) into $OUT/"
echo "   rotation every 50 MB (-b filesize:50000), newest 10 files kept (-b files:10)"
echo
# shellcheck disable=SC2086
"$BIN" -i "net_pcap0,rx_pcap=$SRC,infinite_rx=1" -w "$OUT/demo.pcap" \
    -b filesize:50000 -b files:10 -a "duration:$SECS" \
    --stats-interval 1 --stats-json "$OUT/demo-stats.json" ${DEMO_ARGS:-}
rc=$?
echo
echo "== linecap exit code: $rc"

shopt -s nullglob
files=("$OUT"/demo_*.pcap)
if [ ${#files[@]} = 0 ]; then
    echo "demo: no capture file was written" >&2
    exit 1
fi

echo
echo "== the kept files, as capinfos reads them"
{
    printf 'file\trecords\tbytes\tfirst packet\tlast packet\n'
    capinfos -T -r -M -c -s -a -e "${files[@]}" | sed 's|^capture/||'
} | column -t -s "$(printf '\t')"

total=$(capinfos -T -r -M -c "${files[@]}" | awk -F'\t' '{s += $2} END {print s}')
echo
echo "== $total records in ${#files[@]} kept files"
if [ -s "$OUT/demo-stats.json" ]; then
    /usr/bin/python3 - "$OUT/demo-stats.json" "$total" <<'PY'
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
fi
exit $rc
