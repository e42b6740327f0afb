# Several receive streams share the block pool fairly (issue 11, item 6):
# each stream may hold at most its share of the blocks (at least 4), so no
# stream starves another, and a -B too small for the streams is refused.
# Functional, not a rate test: on this 2-CPU machine 4 and 8 streams run as
# lcores sharing CPUs (--cores may repeat a CPU).
# shellcheck shell=bash

# streams_check JSON NSTREAMS: every stream wrote, none less than a quarter
# of the busiest, the identity holds per queue, every file readable
streams_check() {
    local json=$1 ns=$2 what=$3 r f
    [ "$($LCHECK identity "$json")" = ok ] || fail "$what: identity: $($LCHECK identity "$json")"
    r=$($PY - "$json" "$ns" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1])); ns = int(sys.argv[2])
w = [q["written"] for p in d["ports"] for q in p["queues"]]
if len(w) != ns:
    print("%d queues, expected %d" % (len(w), ns)); sys.exit()
if min(w) == 0 or min(w) * 4 < max(w):
    print("written per stream %s: a stream starved" % w); sys.exit()
print("ok")
PYEOF
)
    [ "$r" = ok ] || fail "$what: $r"
    for f in $(out_files); do
        capinfos -M -c "$f" >"$T/ci.txt" 2>&1 || fail "$what: capinfos $(basename "$f"): $(tail -1 "$T/ci.txt")"
    done
    [ "$(out_files | wc -l)" -ge "$ns" ] || fail "$what: $(out_files | wc -l) files for $ns streams"
}

# 2 streams on 2 CPUs with -B 16 (before: stream 0 wrote ~1 % of stream 1),
# then 4 and 8 streams as lcores sharing the 2 CPUs
register streams_fair
case_streams_fair() {
    local cfg ns cores B
    for cfg in "2 0,1 16" "4 1,1,1,1 32" "8 0,1,0,1,0,1,0,1 32"; do
        read -r ns cores B <<<"$cfg"
        rm -rf "${W:?}"/*
        lc -i net_null0 -q "$ns" --cores "$cores" -B "$B" -s 64 -w "$W/st.pcap" -b filesize:50000 -b files:3 \
            -a duration:2 --stats-json "$T/s$ns.json"
        expect_rc 0 "$ns streams on CPUs $cores, -B $B"
        no_partials
        streams_check "$T/s$ns.json" "$ns" "$ns streams"
    done
}

# -B below what the streams need: one line naming the value and the minimum,
# exit 64, no file
register streams_min_buffer
case_streams_min_buffer() {
    lc -i net_null0 -q 16 --cores 0,1,0,1,0,1,0,1,0,1,0,1,0,1,0,1 -B 16 -w "$W/x.pcap" -c 10
    expect_rc 64 "-B 16 for 16 streams"
    grep -q -- "-B 16: too small for 16 receive streams: at least 32 MiB" "$LC_ERR" ||
        fail "message: $(cat "$LC_ERR")"
    [ "$(grep -c "error" "$LC_ERR")" = 1 ] || fail "not one error line: $(cat "$LC_ERR")"
    dir_empty "-B too small"
}
