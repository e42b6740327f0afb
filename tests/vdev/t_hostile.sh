# Hostile frames from net_pcap: a frame whose buffers hold fewer bytes than
# its length, and records larger than a small block (issue 11, items 1-2).
# shellcheck shell=bash

# hostile_input: make the inputs of tests/data/make_hostile.py in T
hostile_input() {
    $PY "$DATA/make_hostile.py" "$T" || fail "make_hostile.py failed"
}

# rec_lens FILE: "caplen/origlen" of every record of a pcap (one per line)
rec_lens() {
    $PY - "$1" <<'PYEOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
while off + 16 <= len(d):
    _, _, cl, ol = struct.unpack_from("<IIII", d, off)
    print("%d/%d" % (cl, ol))
    off += 16 + cl
PYEOF
}

# hostile_short: the 80054-byte frame arrives with 14518 bytes in its
# segments: its record says caplen 14518 (the bytes present, which are the
# frame's first 14518 bytes) and orig len 80054, counted as short_frames;
# every reader takes the whole file; in pcapng the statistics blocks say it
# too. Before: a record claiming 80054 bytes followed by 14518, and tcpdump,
# tshark and capinfos rejected the file.
register hostile_short asan
case_hostile_short() {
    local f
    hostile_input
    lc -i "net_pcap0,rx_pcap=$T/jumbo.pcap" -w "$W/j.pcap" -c 6 --stats-json "$T/s.json"
    expect_rc 0 "jumbo replay"
    f=$W/j.pcap
    pcap_valid "$f"
    [ "$PV_COUNT" = 6 ] || fail "$PV_COUNT records, expected 6"
    tshark -r "$f" >/dev/null 2>"$T/tshark.err" || fail "tshark -r exits $?: $(head -1 "$T/tshark.err")"
    [ "$(rec_lens "$f" | tr '\n' ' ')" = "60/60 1514/1514 14518/80054 200/200 9000/9000 64/64 " ] ||
        fail "caplen/origlen: $(rec_lens "$f" | tr '\n' ' ')"
    # the bytes present are the frame's own: the output's frames are the
    # input's, the long one cut to 14518 bytes
    editcap -s 14518 "$T/jumbo.pcap" "$T/cut.pcap" 2>/dev/null || fail "editcap failed"
    frames_text "$T/cut.pcap" >"$T/in.txt"
    frames_text "$f" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/in.txt" "short frame"
    [ "$(jget "$T/s.json" '[d["totals"]["short_frames"], d["totals"]["written"], d["totals"]["received"]]')" = "1 6 6" ] ||
        fail "JSON short_frames/written/received: $(jget "$T/s.json" '[d["totals"]["short_frames"], d["totals"]["written"], d["totals"]["received"]]')"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "identity: $($LCHECK identity "$T/s.json")"

    # pcapng: the same EPB lengths; the ISB carries short_frames=1
    lc -i "net_pcap0,rx_pcap=$T/jumbo.pcap" -w "$W/j.pcapng" -n -c 6 --stats-json "$T/n.json"
    expect_rc 0 "jumbo replay, pcapng"
    tshark -r "$W/j.pcapng" -T fields -e frame.cap_len -e frame.len >"$T/ng.len" 2>"$T/tshark.err" ||
        fail "tshark -r j.pcapng exits $?: $(head -1 "$T/tshark.err")"
    [ "$(tr '\t\n' '/ ' <"$T/ng.len")" = "60/60 1514/1514 14518/80054 200/200 9000/9000 64/64 " ] ||
        fail "pcapng cap_len/len: $(tr '\t\n' '/ ' <"$T/ng.len")"
    local r
    r=$($PY "$VDEV/pngcheck.py" isb-json "$W/j.pcapng" "$T/n.json")
    [ "$r" = ok ] || fail "pcapng ISBs vs JSON: $r"
    grep -aq "short_frames=1: " "$W/j.pcapng" || fail "no short_frames comment in the ISB"

    # a capture filter reads the bytes present: a load past them fails (no
    # crash: DPDK's packet read walked off the chain by its pkt_len); the
    # verdicts are libpcap's on the unfiltered output
    local expr='len = 200 or ether[30000] = 0' k
    tcpdump -r "$f" -w "$T/want.pcap" "$expr" 2>/dev/null || fail "tcpdump filter failed"
    k=$(cap_count "$T/want.pcap")
    [ "$k" = 1 ] || fail "libpcap keeps $k frames of the output, expected 1 (len 200)"
    lc -i "net_pcap0,rx_pcap=$T/jumbo.pcap" -w "$W/fl.pcap" -c "$k" --stats-json "$T/f.json" -f "$expr"
    expect_rc 0 "jumbo replay with a filter"
    frames_text "$T/want.pcap" >"$T/want.txt"
    frames_text "$W/fl.pcap" >"$T/got.txt"
    same_frames "$T/got.txt" "$T/want.txt" "filtered short frame"
    [ "$(jget "$T/f.json" '[d["totals"]["written"], d["totals"]["filtered"]]')" = "1 5" ] ||
        fail "JSON written/filtered: $(jget "$T/f.json" '[d["totals"]["written"], d["totals"]["filtered"]]'), expected 1 5"
}

# hostile_big_record: with small blocks (-b packets:20, -b filesize:60) a
# 65535-byte frame at offset 65530 of a block makes a record that would
# span three 64 KiB blocks; blocks now hold the largest record the snaplen
# allows. Before: SIGSEGV (no second spare block). Every file valid, the
# frames byte-identical to the input, in order.
register hostile_big_record asan
case_hostile_big_record() {
    local how f n
    hostile_input
    frames_text "$T/big.pcap" >"$T/in.txt"
    for how in "pcap packets:20" "pcapng packets:20" "pcap filesize:60" "pcapng filesize:60"; do
        set -- $how
        rm -rf "${W:?}"/*
        lc -i "net_pcap0,rx_pcap=$T/big.pcap" -w "$W/b.$1" -F "$1" -b "$2" -c 45 \
            --stats-json "$T/s.json"
        expect_rc 0 "$how"
        no_partials
        n=0
        : >"$T/out.txt"
        for f in $(out_files); do
            tshark -r "$f" >/dev/null 2>"$T/tshark.err" ||
                fail "$how: tshark -r $(basename "$f") exits $?: $(head -1 "$T/tshark.err")"
            capinfos -M -c "$f" >"$T/ci.txt" 2>&1 || fail "$how: capinfos $(basename "$f"): $(tail -1 "$T/ci.txt")"
            n=$((n + $(awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}' "$T/ci.txt")))
            frames_text "$f" >>"$T/out.txt"
        done
        [ "$n" = 45 ] || fail "$how: $n records in $(out_files | wc -l) files, expected 45"
        same_frames "$T/out.txt" "$T/in.txt" "$how"
        [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$how: identity: $($LCHECK identity "$T/s.json")"
    done
}
