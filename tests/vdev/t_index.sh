# The index beside every capture file (issue 13): written for every closed
# file (pcap and pcapng, two streams, rotation by size and count), deleted
# with its file by the files:N ring and --disk-limit, counted in the limit,
# rebuilt by `linecap recover` after a SIGKILL, none with --no-index; a
# failure to write one leaves the capture whole. Each index is judged by an
# independent route: its record count and first/min/max timestamps equal
# tshark's and capinfos' for the capture file; and it is byte for byte the
# index idx_build_fd builds from the closed file (tests/vdev/idxdump.c).
# shellcheck shell=bash

ix_tool() { IDXDUMP=$(dirname "$LINECAP")/tests/unit/idxdump; [ -x "$IDXDUMP" ] || fail "no $IDXDUMP (build tests/vdev/idxdump.c)"; }

# ix_field LINE KEY: KEY=VALUE out of an idxdump line
ix_field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ix_check FILE [quick]: FILE.idx validates, describes FILE, equals the
# index built from FILE, and (unless quick) its records and first/min/max
# times are tshark's and capinfos' for FILE
ix_check() {
    local f=$1 b line want got
    b=$(basename "$f")
    [ -f "$f.idx" ] || fail "$b: no index $b.idx beside it: $(ls -A "$(dirname "$f")" | tr '\n' ' ' | cut -c1-300)"
    line=$("$IDXDUMP" "$f.idx" "$f" 2>"$T/idxdump.err") || fail "$b.idx: $(cat "$T/idxdump.err")"
    check_sanitizer "$T/idxdump.err"
    IX_RECORDS=$(ix_field "$line" records)
    [ "${2:-}" = quick ] && return 0
    want=$(tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null | $PY -c '
import sys
ts = []
for l in sys.stdin:
    l = l.strip()
    if l:
        s, _, frac = l.partition(".")
        ts.append(int(s) * 10**9 + int((frac + "000000000")[:9]))
print("%d %d %d %d" % (len(ts), min(ts), max(ts), ts[0]) if ts else "0")')
    if [ "$want" = 0 ]; then
        got=$(ix_field "$line" records)
    else
        got="$(ix_field "$line" records) $(ix_field "$line" ts_min) $(ix_field "$line" ts_max) $(ix_field "$line" ts_first)"
    fi
    [ "$got" = "$want" ] || fail "$b.idx: records/ts_min/ts_max/first '$got', tshark '$want'"
    [ "$(ix_field "$line" records)" = "$(cap_count "$f")" ] ||
        fail "$b.idx: $(ix_field "$line" records) records, capinfos $(cap_count "$f")"
    [ "$(ix_field "$line" file_size)" = "$(stat -c %s "$f")" ] ||
        fail "$b.idx: file_size $(ix_field "$line" file_size), the file has $(stat -c %s "$f") bytes"
    [ "$(stat -c '%U %a' "$f.idx")" = "$(stat -c '%U %a' "$f")" ] ||
        fail "$b.idx: owner/mode $(stat -c '%U %a' "$f.idx"), its file's $(stat -c '%U %a' "$f")"
}

# ix_all [SAMPLE]: every capture file in W has a checked index (with SAMPLE,
# the readers' oracle runs on the first SAMPLE files and the last only), no
# index is without its file, no partial name is left; sets IX_FILES and
# IX_SUM (records)
ix_all() {
    local f files n=0 sum=0 x k=${1:-0}
    mapfile -t files < <(out_files)
    for f in "${files[@]}"; do
        if [ "$k" -gt 0 ] && [ "$n" -ge "$k" ] && [ "$f" != "${files[-1]}" ]; then
            ix_check "$f" quick
        else
            ix_check "$f"
        fi
        n=$((n + 1))
        sum=$((sum + IX_RECORDS))
    done
    for x in "$W"/*.idx; do
        [ -e "$x" ] || continue
        [ -f "${x%.idx}" ] || fail "$(basename "$x") without its capture file"
    done
    no_partials
    IX_FILES=$n
    IX_SUM=$sum
}

# ix_manifest: the run manifest lists each kept file's index with its size
ix_manifest() {
    local m r
    m=$(ls "$W"/*.manifest.json 2>/dev/null | head -1)
    [ -n "$m" ] || fail "no run manifest in $W"
    r=$($PY - "$m" "$W" <<'PYEOF'
import json, os, sys
m = json.load(open(sys.argv[1])); w = sys.argv[2]
if m.get("index") is not True: print("index %r" % m.get("index")); sys.exit()
ix = m["indexes"]
if [x["file"] for x in ix] != m["files"]: print("indexes %r vs files %r" % ([x["file"] for x in ix], m["files"])); sys.exit()
for x in ix:
    if x["index"] != x["file"] + ".idx" or x["bytes"] != os.path.getsize(os.path.join(w, x["index"])):
        print("entry %r" % x); sys.exit()
if m["index_failures"] != 0: print("index_failures %r" % m["index_failures"]); sys.exit()
print("ok")
PYEOF
)
    [ "$r" = ok ] || fail "manifest: $r"
}

# two streams (two ports, --cores 1,1), pcap and pcapng, rotation by size and
# by count: an index for every file, each checked; the records of the indexes
# add up to what the JSON says was written
register index_rotate asan
case_index_rotate() {
    ix_tool
    local na nb cfg fmt rot
    na=$(cap_count "$DATA/filter.pcap")
    nb=$(cap_count "$MIXED")
    for cfg in "pcap filesize:20" "pcapng packets:40" "pcapng filesize:20" "pcap packets:40"; do
        read -r fmt rot <<<"$cfg"
        rm -rf "${W:?}"/* "$W"/.[!.]* 2>/dev/null
        lc -i "net_pcap0,rx_pcap=$DATA/filter.pcap" -i "net_pcap1,rx_pcap=$MIXED" --cores 1,1 -F "$fmt" \
            -w "$W/r.$fmt" -b "$rot" -c $((na + nb)) --stats-json "$T/s.json"
        expect_rc 0 "$fmt -b $rot"
        ix_all
        [ "$IX_FILES" -ge 4 ] || fail "$fmt -b $rot: only $IX_FILES files"
        [ "$(ls "$W" | grep -c '_s1_')" -ge 2 ] || fail "$fmt -b $rot: stream 1 wrote no files: $(ls "$W" | tr '\n' ' ')"
        [ "$IX_SUM" = "$(jget "$T/s.json" 'd["totals"]["written"]')" ] ||
            fail "$fmt -b $rot: the indexes hold $IX_SUM records, JSON written $(jget "$T/s.json" 'd["totals"]["written"]')"
        [ "$IX_SUM" = $((na + nb)) ] || fail "$fmt -b $rot: $IX_SUM records, sent $((na + nb))"
        ix_manifest
        grep -q "^$IX_FILES index files written ($(cat "$W"/*.idx | wc -c) bytes, " "$LC_ERR" ||
            fail "$fmt -b $rot: summary: $(grep -i index "$LC_ERR")"
        [ "$(jget "$T/s.json" '[d["index_failures"], all(f["indexed"] for f in d["files"])]')" = "0 True" ] ||
            fail "$fmt -b $rot: --stats-json: $(jget "$T/s.json" 'd["files"]')"
    done
}

# -b files:3: the ring deletes each file's index with it
register index_ring asan
case_index_ring() {
    ix_tool
    lc -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/g.pcap" -b packets:100 -b files:3 -c 2000 \
        --stats-json "$T/s.json"
    expect_rc 0 "-b files:3"
    ix_all
    [ "$IX_FILES" = 3 ] || fail "$IX_FILES files kept, expected 3"
    [ "$(ls "$W" | grep -c '\.idx$')" = 3 ] || fail "indexes left: $(ls "$W" | grep '\.idx$' | tr '\n' ' ')"
    [ "$(jget "$T/s.json" 'sum(1 for f in d["files"] if f["deleted"])')" = 17 ] ||
        fail "JSON: $(jget "$T/s.json" 'sum(1 for f in d["files"] if f["deleted"])') files deleted, expected 17"
    ix_manifest
}

# --disk-limit on a 48 MiB tmpfs: the files and their indexes stay within
# the limit; deleted files take their indexes with them
register index_disk_limit
case_index_disk_limit() {
    ix_tool
    mount -t tmpfs -o size=48m tmpfs "$W" || skip "cannot mount a tmpfs on $W"
    trap 'umount -l "$W" 2>/dev/null' EXIT
    lc -i "net_null0,size=1400" -w "$W/d.pcap" -b filesize:8000 --disk-limit 30M -a duration:2 \
        --stats-json "$T/s.json"
    expect_rc 0 "--disk-limit 30M"
    local used
    used=$(ls -A "$W" | grep -v '\.json$' | sed "s|^|$W/|" | xargs -r stat -c %s | awk '{s += $1} END {print s + 0}')
    [ "$used" -le $((30 * 1048576)) ] || fail "files and indexes take $used bytes, over --disk-limit 30M"
    [ "$(jget "$T/s.json" 'sum(1 for f in d["files"] if f["deleted_for_room"]) > 0')" = true ] ||
        fail "no file deleted for room"
    ix_all
    [ "$(ls "$W" | grep -c '\.idx$')" = "$IX_FILES" ] || fail "$(ls "$W" | grep -c '\.idx$') indexes for $IX_FILES files"
    ix_manifest
}

# SIGKILL under load, then `linecap recover`: the recovered file gets its
# index; a crash between the renames (a whole index under its partial name)
# is renamed into place; a torn partial index is rebuilt from the file; a
# partial index whose file is gone is removed
register index_recover asan
case_index_recover() {
    ix_tool
    local out rc f b
    # until the kill finds a file open under its partial name (it may land
    # between a file's renames and the next file's creation: valid, but
    # nothing to recover)
    local try
    for try in 1 2 3 4 5; do
        rm -rf "${W:?}"/* "$W"/.[!.]* 2>/dev/null
        lc_bg -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/k.pcap" -b filesize:4000
        wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC)"; }
        sleep "0.$((RANDOM % 4 + 3))"
        lc_alive || { lc_wait_exit 1; fail "linecap ended before SIGKILL (exit $LC_RC)"; }
        kill -KILL "$LC_PID"; wait "$LC_PID" 2>/dev/null; kill "$LC_WD" 2>/dev/null; wait "$LC_WD" 2>/dev/null
        ls -A "$W" | grep -qE '^\.k_.*\.pcap\.partial$' && break
        log "try $try: no partial capture file after SIGKILL: $(ls -A "$W" | grep partial | tr '\n' ' ')"
    done
    ls -A "$W" | grep -qE '^\.k_.*\.pcap\.partial$' || fail "no partial capture file after 5 SIGKILLs"
    out=$("$LINECAP" recover "$W" 2>&1); rc=$?
    log "recover: $out"
    [ $rc = 0 ] || fail "linecap recover exits $rc: $out"
    # killed right after a file's creation: its empty partial is too new for
    # recover (RECOVER_YOUNG_SECS); older, it is removed
    if echo "$out" | grep -q "too new"; then
        sleep 5.5
        out=$("$LINECAP" recover "$W" 2>&1) || fail "linecap recover (again) exits $?: $out"
    fi
    if echo "$out" | grep -q ': kept [0-9]* records'; then
        echo "$out" | grep -q 'index missing, built from the file' || fail "recovered, no index built: $out"
    fi
    if echo "$out" | grep -q '\.idx\.partial: '; then
        echo "$out" | grep -qE 'index whole and valid .*, renamed' || fail "partial index not renamed: $out"
    fi
    ix_all 3
    [ "$IX_FILES" -ge 2 ] || fail "$IX_FILES files"

    # a crash between the two renames: the whole index under its partial name
    f=$(out_files | head -1); b=$(basename "$f")
    cp "$f.idx" "$T/saved.idx"
    mv "$f.idx" "$W/.$b.idx.partial"
    out=$("$LINECAP" recover "$W" 2>&1) || fail "recover (whole partial index) exits $?: $out"
    echo "$out" | grep -q "$b.idx: index whole and valid (.*), renamed" || fail "not renamed: $out"
    cmp -s "$f.idx" "$T/saved.idx" || fail "$b.idx changed by the rename"
    # torn: cut in the middle; the index is built again from the file
    head -c $(($(stat -c %s "$T/saved.idx") / 2)) "$T/saved.idx" >"$W/.$b.idx.partial"
    rm -f "$f.idx"
    out=$("$LINECAP" recover "$W" 2>&1) || fail "recover (torn partial index) exits $?: $out"
    echo "$out" | grep -q "$b.idx: index missing, built from the file" || fail "not rebuilt: $out"
    cmp -s "$f.idx" "$T/saved.idx" || fail "$b.idx rebuilt differs from the one the capture wrote"
    # another file's index under this file's partial name (stale), and an
    # index partial whose capture file is gone
    local b2
    b2=$(basename "$(out_files | sed -n 2p)")
    cp "$T/saved.idx" "$W/.$b2.idx.partial"
    cp "$T/saved.idx" "$W/.gone.pcap.idx.partial"
    out=$("$LINECAP" recover "$W" 2>&1) || fail "recover (stale, orphan) exits $?: $out"
    echo "$out" | grep -q "$b2.idx: index valid .*kept; the partial index removed" || fail "stale partial: $out"
    echo "$out" | grep -q "gone.pcap.idx.partial: removed: its capture file is gone" || fail "orphan partial: $out"
    ix_all 3
    out=$("$LINECAP" recover "$W" 2>&1) || fail "a second recover exits $?: $out"
    echo "$out" | tail -1 | grep -q "^linecap recover: 0 recovered, 0 removed.*indexes: 0 built" ||
        fail "a second recover: $(echo "$out" | tail -1)"
}

# --no-index: no index; an index that cannot be written (its name taken by
# a directory) leaves the capture whole: exit 0, a warning, the manifest says
register index_off_and_failure asan
case_index_off_and_failure() {
    ix_tool
    lc -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/n.pcap" -b packets:100 --no-index -c 300
    expect_rc 0 "--no-index"
    [ -z "$(ls -A "$W" | grep '\.idx')" ] || fail "--no-index wrote $(ls -A "$W" | grep '\.idx' | tr '\n' ' ')"
    [ "$(jget "$(ls "$W"/*.manifest.json)" '[d["index"], len(d["indexes"])]')" = "False 0" ] ||
        fail "manifest: $(jget "$(ls "$W"/*.manifest.json)" '[d["index"], len(d["indexes"])]')"
    rm -rf "${W:?}"/*
    mkdir "$W/f.pcap.idx"
    lc -i "net_pcap0,rx_pcap=$MIXED" -w "$W/f.pcap" -c "$(cap_count "$MIXED")" --stats-json "$T/f.json"
    expect_rc 0 "an index name taken"
    grep -q "warning: index of .*f.pcap not written" "$LC_ERR" || fail "no warning: $(cat "$LC_ERR")"
    grep -q "^1 files left without an index (the first: f.pcap: .*); \`linecap recover $W\` builds them" "$LC_ERR" ||
        fail "summary: $(grep -i index "$LC_ERR")"
    [ "$(jget "$T/f.json" '[d["index_failures"], d["files"][0]["indexed"], "index_error" in d["files"][0]]')" = "1 False True" ] ||
        fail "--stats-json: $(jget "$T/f.json" '[d["totals"], d["files"]]')"
    pcap_valid "$W/f.pcap"
    [ "$PV_COUNT" = "$(cap_count "$MIXED")" ] || fail "f.pcap holds $PV_COUNT records"
    [ "$(jget "$W/f.pcap.manifest.json" '[d["index_failures"], d["indexes"][0]["index"]]')" = "1 None" ] ||
        fail "manifest: $(jget "$W/f.pcap.manifest.json" '[d["index_failures"], d["indexes"]]')"
}
