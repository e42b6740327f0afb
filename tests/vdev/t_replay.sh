# Known input through net_pcap: exact replay, -c, snaplen, --count-only.
# shellcheck shell=bash

PCAP_PORT="net_pcap0,rx_pcap=$KNOWN"

# replay: every frame of known.pcap once, in order, byte-identical; pcap header
# with the nanosecond magic, linktype 1, snaplen 262144; receive timestamps
# (not the file's 2021 ones) inside the run, non-decreasing.
register replay asan
case_replay() {
    local n t0 t1 f
    n=$(KNOWN_N)
    t0=$(now_ns)
    lc -i "$PCAP_PORT" -w "$W/cap.pcap" -c "$n" --stats-json "$T/s.json"
    t1=$(now_ns)
    expect_rc 0 "replay -c $n"
    [ "$(ls -A "$W" | tr '\n' ' ')" = "cap.pcap cap.pcap.idx cap.pcap.manifest.json " ] ||
        fail "output dir holds '$(ls -A "$W" | tr '\n' ' ')', expected exactly cap.pcap, its index and its manifest"
    f=$W/cap.pcap
    pcap_header_ok "$f" 262144
    pcap_valid "$f" --snaplen 262144 --ts-min "$t0" --ts-max "$t1"
    [ "$PV_COUNT" = "$n" ] || fail "$PV_COUNT records, expected $n"
    frames_text "$KNOWN" >"$T/in.txt"
    frames_text "$f" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/in.txt" "replay"
    tshark -r "$KNOWN" -T fields -e frame.len -e frame.cap_len >"$T/in.len" 2>/dev/null
    tshark -r "$f" -T fields -e frame.len -e frame.cap_len >"$T/out.len" 2>/dev/null ||
        fail "tshark -r exits $?"
    cmp -s "$T/in.len" "$T/out.len" ||
        fail "tshark frame.len/cap_len differ: $(diff "$T/in.len" "$T/out.len" | head -3 | tr '\n' '|')"
    # tshark sees nanosecond timestamps (9 decimals in frame.time_epoch)
    tshark -r "$f" -c 1 -T fields -e frame.time_epoch 2>/dev/null | grep -qE '^[0-9]+\.[0-9]{9}$' ||
        fail "tshark frame.time_epoch is not nanosecond: $(tshark -r "$f" -c 1 -T fields -e frame.time_epoch 2>&1)"
    [ "$(stat -c %a "$f")" = 600 ] || fail "cap.pcap mode $(stat -c %a "$f"), expected 600"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "stats JSON: $($LCHECK identity "$T/s.json")"
    [ "$(jget "$T/s.json" 'd["stop_reason"]')" = limit ] ||
        fail "stop_reason $(jget "$T/s.json" 'd["stop_reason"]'), expected limit"
    [ "$(jget "$T/s.json" '[d["totals"]["received"], d["totals"]["written"], d["files"][0]["records"], d["files"][0]["name"]]')" = "$n $n $n cap.pcap" ] ||
        fail "JSON received/written/records/name: $(jget "$T/s.json" '[d["totals"]["received"], d["totals"]["written"], d["files"][0]["records"], d["files"][0]["name"]]'), expected $n $n $n cap.pcap"
    [ "$(jget "$T/s.json" 'd["totals"]["written_bytes"] + 24')" = "$(stat -c %s "$f")" ] ||
        fail "JSON written_bytes+24 = $(jget "$T/s.json" 'd["totals"]["written_bytes"] + 24') != file size $(stat -c %s "$f")"
}

# -c N gives exactly N records, the first N frames of the input
register count_n asan
case_count_n() {
    local n N
    N=$(KNOWN_N)
    frames_text "$KNOWN" >"$T/in.txt"
    for n in 1 2 100 $((N - 1)); do
        rm -rf "${W:?}"/*
        lc -i "$PCAP_PORT" -w "$W/c$n.pcap" -c "$n" --stats-json "$T/s$n.json"
        expect_rc 0 "-c $n"
        no_partials
        pcap_valid "$W/c$n.pcap"
        [ "$PV_COUNT" = "$n" ] || fail "-c $n: $PV_COUNT records"
        # the first n frames of the input, in order
        editcap -r "$KNOWN" "$T/first.pcap" "1-$n" 2>/dev/null
        frames_text "$T/first.pcap" >"$T/first.txt"
        frames_text "$W/c$n.pcap" >"$T/out.txt"
        same_frames "$T/out.txt" "$T/first.txt" "-c $n"
        [ "$(jget "$T/s$n.json" '[d["stop_reason"], d["totals"]["received"], d["totals"]["written"]]')" = "limit $n $n" ] ||
            fail "-c $n: JSON stop_reason/received/written $(jget "$T/s$n.json" '[d["stop_reason"], d["totals"]["received"], d["totals"]["written"]]')"
        [ "$($LCHECK identity "$T/s$n.json")" = ok ] || fail "-c $n: $($LCHECK identity "$T/s$n.json")"
    done
}

# -c N from an endless source (net_pcap infinite_rx): exactly N records, the
# input frames over and over in order (64 B frames, and mixed 60..1724 B frames;
# infinite_rx takes no multi-segment mbufs, so no jumbo frames here)
register count_infinite asan
case_count_infinite() {
    local n src
    for spec in "$SMALL:1" "$SMALL:1000" "$SMALL:100000" "$MIXED:1000" "$MIXED:20000"; do
        src=${spec%:*}; n=${spec##*:}
        rm -rf "${W:?}"/*
        lc -i "net_pcap0,rx_pcap=$src,infinite_rx=1" -w "$W/inf.pcap" -c "$n" --stats-json "$T/s.json"
        expect_rc 0 "infinite_rx $(basename "$src") -c $n"
        no_partials
        pcap_valid "$W/inf.pcap"
        [ "$PV_COUNT" = "$n" ] || fail "infinite_rx $(basename "$src") -c $n: $PV_COUNT records"
        out=$($LCHECK cyclic "$W/inf.pcap" "$src") ||
            fail "infinite_rx $(basename "$src") -c $n: $out"
        [ "$(jget "$T/s.json" '[d["stop_reason"], d["totals"]["received"], d["totals"]["written"]]')" = "limit $n $n" ] ||
            fail "-c $n infinite: JSON stop_reason/received/written $(jget "$T/s.json" '[d["stop_reason"], d["totals"]["received"], d["totals"]["written"]]')"
        [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "-c $n infinite: $($LCHECK identity "$T/s.json")"
    done
}

# -s: no record longer than the snaplen, original lengths kept, the kept bytes
# are the frame's first bytes (compared with editcap -s of the input)
register snaplen asan
case_snaplen() {
    local s n
    n=$(KNOWN_N)
    tshark -r "$KNOWN" -T fields -e frame.len >"$T/in.len" 2>/dev/null
    for s in 96 60 2048 8999; do
        rm -rf "${W:?}"/*
        lc -i "$PCAP_PORT" -w "$W/s$s.pcap" -c "$n" -s "$s"
        expect_rc 0 "-s $s"
        pcap_header_ok "$W/s$s.pcap" "$s"
        pcap_valid "$W/s$s.pcap" --snaplen "$s"
        [ "$PV_COUNT" = "$n" ] || fail "-s $s: $PV_COUNT records, expected $n"
        tshark -r "$W/s$s.pcap" -T fields -e frame.len -e frame.cap_len >"$T/out.len" 2>/dev/null
        awk -v s="$s" '{ c = $1 < s ? $1 : s; print $1 "\t" c }' "$T/in.len" >"$T/want.len"
        cmp -s "$T/want.len" "$T/out.len" ||
            fail "-s $s: frame.len/cap_len differ from the input's frame.len (want|got): $(diff "$T/want.len" "$T/out.len" | head -3 | tr '\n' '|')"
        editcap -s "$s" "$KNOWN" "$T/cut.pcap" 2>/dev/null
        frames_text "$T/cut.pcap" >"$T/cut.txt"
        frames_text "$W/s$s.pcap" >"$T/out.txt"
        same_frames "$T/out.txt" "$T/cut.txt" "-s $s"
    done
}

# --count-only counts what a normal run writes, on the same finite input;
# it creates no file
register count_only asan
case_count_only() {
    local n a b c
    n=$(KNOWN_N)
    cd "$W" || fail "cd $W"
    lc -i "$PCAP_PORT" --count-only -a duration:2 --stats-json "$T/a.json"
    cd "$LC_ROOT" || fail "cd $LC_ROOT"
    expect_rc 0 "--count-only -a duration:2"
    dir_empty "--count-only (cwd)"
    lc -i "$PCAP_PORT" -w "$W/cap.pcap" -a duration:2 --stats-json "$T/b.json"
    expect_rc 0 "-w -a duration:2"
    pcap_valid "$W/cap.pcap"
    a=$(jget "$T/a.json" '[d["stop_reason"], d["totals"]["received"], d["totals"]["received_bytes"], d["totals"]["nic_packets"], d["totals"]["files"]]')
    b=$(jget "$T/b.json" '[d["stop_reason"], d["totals"]["received"], d["totals"]["received_bytes"], d["totals"]["nic_packets"]]')
    c=$(jget "$T/b.json" 'd["totals"]["written"]')
    bytes=$(capinfos -M -d "$KNOWN" | awk -F: '/Data size/ {gsub(/[^0-9]/,"",$2); print $2}')
    [ "$a" = "duration $n $bytes $n 0" ] ||
        fail "--count-only JSON stop_reason/received/received_bytes/nic_packets/files: $a, expected duration $n $bytes $n 0"
    [ "$b" = "duration $n $bytes $n" ] ||
        fail "normal run JSON stop_reason/received/received_bytes/nic_packets: $b, expected duration $n $bytes $n"
    [ "$c" = "$n" ] && [ "$PV_COUNT" = "$n" ] || fail "normal run wrote $c (JSON), $PV_COUNT (capinfos); expected $n"
    c=$(jget "$T/a.json" '[d["identity"]["holds"], d["totals"]["counted_only"], d["totals"]["written"]]')
    [ "$c" = "True $n 0" ] || fail "--count-only identity/counted_only/written: $c, expected True $n 0"
}

# two ports, one receive core: one file holding every frame of both inputs
# once, each port's frames in their order; per-port counts in the JSON
register two_ports
case_two_ports() {
    local n1 n2 out
    n1=$(KNOWN_N); n2=$(cap_count "$SMALL")
    lc -i "net_pcap0,rx_pcap=$KNOWN" -i "net_pcap1,rx_pcap=$SMALL" -w "$W/two.pcap" -a duration:2 --stats-json "$T/s.json"
    expect_rc 0 "two net_pcap ports"
    [ "$(ls -A "$W" | tr '\n' ' ')" = "two.pcap two.pcap.idx two.pcap.manifest.json " ] || fail "output dir holds '$(ls -A "$W" | tr '\n' ' ')', expected two.pcap"
    pcap_valid "$W/two.pcap"
    [ "$PV_COUNT" = $((n1 + n2)) ] || fail "$PV_COUNT records, expected $n1 + $n2"
    out=$($LCHECK interleave "$W/two.pcap" -- "$KNOWN" "$SMALL") || fail "$out"
    [ "$(jget "$T/s.json" '[[p["name"], p["nic_packets"], sum(q["written"] for q in p["queues"])] for p in d["ports"]]')" = \
        "[\"net_pcap0\", $n1, $n1] [\"net_pcap1\", $n2, $n2]" ] ||
        fail "JSON per port [name, nic_packets, written]: $(jget "$T/s.json" '[[p["name"], p["nic_packets"], sum(q["written"] for q in p["queues"])] for p in d["ports"]]')"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
}
