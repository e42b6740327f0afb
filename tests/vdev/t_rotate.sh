# Rotation: by size, by packet count, by time without traffic, ring of N files.
# shellcheck shell=bash

# rotated names: PREFIX_NNNNN_YYYYmmddHHMMSS.EXT numbered 1..k without a gap;
# prints nothing, fails on a bad name. $1 = PREFIX, $2 = EXT, rest = files in order
check_names() {
    local prefix=$1 ext=$2 i=0 f b
    shift 2
    for f in "$@"; do
        i=$((i + 1))
        b=$(basename "$f")
        [[ $b =~ ^${prefix}_([0-9]{5})_([0-9]{14})\.${ext}$ ]] || fail "file name $b is not ${prefix}_NNNNN_YYYYmmddHHMMSS.$ext"
        [ $((10#${BASH_REMATCH[1]})) = $i ] || fail "file $b is number ${BASH_REMATCH[1]}, expected $i (gap or duplicate in the numbering)"
        date -d "$(echo "${BASH_REMATCH[2]}" | sed -E 's/(....)(..)(..)(..)(..)(..)/\1-\2-\3 \4:\5:\6/')" >/dev/null 2>&1 ||
            fail "file $b: ${BASH_REMATCH[2]} is not a date"
    done
}

# rotation by size: every file valid, each <= limit + one record, no record
# split (readers), rotation not premature (a file plus the next file's first
# record exceeds the limit), no gap or duplicate: the files' frames in file
# order are exactly the input's
register rot_size asan
case_rot_size() {
    local n kb limit files f i nf size next total maxrec
    n=$(KNOWN_N)
    maxrec=$((16 + 9000))
    frames_text "$KNOWN" >"$T/in.txt"
    for kb in 100 5; do
        rm -rf "${W:?}"/*
        limit=$((kb * 1000))
        lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/cap.pcap" -c "$n" -b "filesize:$kb" --stats-json "$T/s.json"
        expect_rc 0 "-b filesize:$kb"
        no_partials
        mapfile -t files < <(out_files)
        nf=${#files[@]}
        [ "$nf" -ge 2 ] || fail "-b filesize:$kb: $nf files"
        check_names cap pcap "${files[@]}"
        total=0
        for ((i = 0; i < nf; i++)); do
            f=${files[$i]}
            pcap_valid "$f"
            [ "$PV_COUNT" -ge 1 ] || fail "$(basename "$f"): no record"
            total=$((total + PV_COUNT))
            size=$(stat -c %s "$f")
            [ "$size" -le $((limit + maxrec)) ] ||
                fail "$(basename "$f"): $size bytes > limit $limit + one max record $maxrec"
            if [ $i -lt $((nf - 1)) ]; then
                # 16 + caplen of the next file's first record
                next=$(($(tshark -r "${files[$((i + 1))]}" -c 1 -T fields -e frame.cap_len 2>/dev/null) + 16))
                [ $((size + next)) -gt "$limit" ] ||
                    fail "$(basename "$f"): rotated early: $size bytes + next record $next <= limit $limit"
            fi
        done
        [ "$total" = "$n" ] || fail "-b filesize:$kb: $total records in $nf files, expected $n"
        frames_text "${files[@]}" >"$T/out.txt"
        same_frames "$T/out.txt" "$T/in.txt" "-b filesize:$kb (files concatenated)"
        [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "-b filesize:$kb: $($LCHECK identity "$T/s.json")"
        [ "$(jget "$T/s.json" '[d["totals"]["files"], d["totals"]["written"]]')" = "$nf $n" ] ||
            fail "-b filesize:$kb: JSON files/written $(jget "$T/s.json" '[d["totals"]["files"], d["totals"]["written"]]'), expected $nf $n"
    done
}

# rotation by packets: every file but the last has exactly N records; the
# last has the rest; concatenation == input
register rot_packets
case_rot_packets() {
    local n per files nf i f total
    n=$(KNOWN_N)
    per=50
    frames_text "$KNOWN" >"$T/in.txt"
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/cap.pcap" -c "$n" -b "packets:$per" --stats-json "$T/s.json"
    expect_rc 0 "-b packets:$per"
    no_partials
    mapfile -t files < <(out_files)
    nf=${#files[@]}
    [ "$nf" = $(((n + per - 1) / per)) ] || fail "$nf files, expected $(((n + per - 1) / per)) for $n packets"
    check_names cap pcap "${files[@]}"
    total=0
    for ((i = 0; i < nf; i++)); do
        f=${files[$i]}
        pcap_valid "$f"
        total=$((total + PV_COUNT))
        if [ $i -lt $((nf - 1)) ]; then
            [ "$PV_COUNT" = "$per" ] || fail "$(basename "$f"): $PV_COUNT records, expected $per"
        else
            [ "$PV_COUNT" = $((n - per * (nf - 1))) ] || fail "last file $(basename "$f"): $PV_COUNT records, expected $((n - per * (nf - 1)))"
        fi
    done
    [ "$total" = "$n" ] || fail "$total records in all, expected $n"
    frames_text "${files[@]}" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/in.txt" "-b packets:$per (files concatenated)"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
}

# rotation by time without any traffic: net_ring0 (its own ring, nothing sends)
# with -b duration:1 -a duration:3.5: 3..5 valid header-only files, the run
# lasts about 3.5 s, stop_reason "duration"
register rot_time_idle asan
case_rot_time_idle() {
    local files nf f
    lc -i net_ring0 -w "$W/idle.pcap" -b duration:1 -a duration:3.5 --stats-json "$T/s.json"
    expect_rc 0 "net_ring0 -b duration:1 -a duration:3.5"
    no_partials
    mapfile -t files < <(out_files)
    nf=${#files[@]}
    [ "$nf" -ge 3 ] && [ "$nf" -le 5 ] || fail "$nf files after 3.5 s with -b duration:1, expected 3..5: $(ls -A "$W" | tr '\n' ' ')"
    check_names idle pcap "${files[@]}"
    for f in "${files[@]}"; do
        pcap_header_ok "$f" 262144
        pcap_valid "$f"
        [ "$PV_COUNT" = 0 ] || fail "$(basename "$f"): $PV_COUNT records from a silent port"
        [ "$(stat -c %s "$f")" = 24 ] || fail "$(basename "$f"): $(stat -c %s "$f") bytes, expected a 24-byte header"
    done
    awk -v s="$LC_SECS" 'BEGIN{exit !(s >= 3.5 && s < 15)}' || fail "the run took ${LC_SECS}s, expected 3.5 s plus start-up"
    [ "$(jget "$T/s.json" 'd["stop_reason"]')" = duration ] || fail "stop_reason $(jget "$T/s.json" 'd["stop_reason"]'), expected duration"
    [ "$(jget "$T/s.json" 'd["totals"]["files"]')" = "$nf" ] || fail "JSON totals.files $(jget "$T/s.json" 'd["totals"]["files"]'), $nf on disk"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
}

# time rotation keeps running when the capture is idle, also with the empty
# net_pcap file source (a second silent vdev), and with -b files:2 deleting
register rot_time_ring
case_rot_time_ring() {
    local files nf
    lc -i "net_pcap0,rx_pcap=$EMPTY" -w "$W/idle.pcap" -b duration:1 -b files:2 -a duration:4.5 --stats-json "$T/s.json"
    expect_rc 0 "empty net_pcap -b duration:1 -b files:2 -a duration:4.5"
    no_partials
    mapfile -t files < <(out_files)
    nf=${#files[@]}
    [ "$nf" = 2 ] || fail "$nf files remain with -b files:2: $(ls -A "$W" | tr '\n' ' ')"
    for f in "${files[@]}"; do pcap_valid "$f"; done
    created=$(jget "$T/s.json" 'd["totals"]["files"]')
    [ "$created" -ge 4 ] && [ "$created" -le 6 ] || fail "JSON: $created files created in 4.5 s with -b duration:1, expected 4..6"
    [ "$(basename "${files[1]}")" = "$(jget "$T/s.json" '[f["name"] for f in d["files"] if not f["deleted"]][-1]')" ] ||
        fail "the newest file on disk $(basename "${files[1]}") is not the JSON's last kept file"
    [ "$(file_num "${files[0]}")" = "$(printf %05d $((created - 1)))" ] && [ "$(file_num "${files[1]}")" = "$(printf %05d "$created")" ] ||
        fail "kept $(basename "${files[0]}") $(basename "${files[1]}"), expected numbers $((created - 1)) and $created"
}

# ring of 3 files: -b packets:20 -b files:3 over 263 packets = 14 files made;
# exactly 00012..00014 remain (20, 20, 3 records, the input's last 43 frames);
# the JSON lists 1..11 as deleted, 12..14 as kept
register ring_files asan
case_ring_files() {
    local n per k made files i f want
    n=$(KNOWN_N)
    per=20; k=3
    made=$(((n + per - 1) / per))
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/ring.pcap" -c "$n" -b "packets:$per" -b "files:$k" --stats-json "$T/s.json"
    expect_rc 0 "-b packets:$per -b files:$k"
    no_partials
    mapfile -t files < <(out_files)
    [ "${#files[@]}" = "$k" ] || fail "${#files[@]} files remain, expected $k: $(ls -A "$W" | tr '\n' ' ')"
    for ((i = 0; i < k; i++)); do
        f=${files[$i]}
        [ "$(file_num "$f")" = "$(printf %05d $((made - k + 1 + i)))" ] ||
            fail "remaining files $(ls -A "$W" | tr '\n' ' '), expected numbers $((made - k + 1))..$made"
        pcap_valid "$f"
        if [ $i -lt $((k - 1)) ]; then want=$per; else want=$((n - per * (made - 1))); fi
        [ "$PV_COUNT" = "$want" ] || fail "$(basename "$f"): $PV_COUNT records, expected $want"
    done
    editcap -r "$KNOWN" "$T/tail.pcap" "$((per * (made - k) + 1))-$n" 2>/dev/null
    frames_text "$T/tail.pcap" >"$T/in.txt"
    frames_text "${files[@]}" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/in.txt" "the kept files"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
    got=$(jget "$T/s.json" '[int(f["name"].split("_")[1]) for f in d["files"] if f["deleted"]]')
    want=$(seq -s ' ' 1 $((made - k)))
    [ "$got" = "$want" ] || fail "JSON deleted files: numbers '$got', expected '$want'"
    got=$(jget "$T/s.json" '[f["name"] for f in d["files"] if not f["deleted"]]')
    want=$(for f in "${files[@]}"; do basename "$f"; done | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$want" ] || fail "JSON kept files '$got', on disk '$want'"
    [ "$(jget "$T/s.json" '[d["totals"]["files"], len(d["files"])]')" = "$made $made" ] ||
        fail "JSON totals.files/len(files) $(jget "$T/s.json" '[d["totals"]["files"], len(d["files"])]'), expected $made $made"
}

# autostop conditions: -a packets:N (exactly N), -a filesize:KB (one file,
# stopped at a record boundary next to the limit), -a files:N with -b packets
# (exactly N full files); each output is a prefix of the input, stop_reason
# "limit"
register autostop
case_autostop() {
    local n files f size last nextlen limit k
    n=$(KNOWN_N)
    frames_text "$KNOWN" >"$T/in.txt"

    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/p.pcap" -a packets:100 --stats-json "$T/p.json"
    expect_rc 0 "-a packets:100"
    pcap_valid "$W/p.pcap"
    [ "$PV_COUNT" = 100 ] || fail "-a packets:100: $PV_COUNT records"
    editcap -r "$KNOWN" "$T/first.pcap" 1-100 2>/dev/null
    frames_text "$T/first.pcap" >"$T/first.txt"
    frames_text "$W/p.pcap" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/first.txt" "-a packets:100"
    [ "$(jget "$T/p.json" 'd["stop_reason"]')" = limit ] || fail "-a packets:100: stop_reason $(jget "$T/p.json" 'd["stop_reason"]')"

    limit=100000
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/s.pcap" -a filesize:100 --stats-json "$T/s.json"
    expect_rc 0 "-a filesize:100"
    [ "$(out_files | wc -l)" = 2 ] || fail "-a filesize:100 made more than one file: $(ls -A "$W" | tr '\n' ' ')"
    pcap_valid "$W/s.pcap"
    k=$PV_COUNT
    [ "$k" -ge 1 ] && [ "$k" -lt "$n" ] || fail "-a filesize:100: $k records"
    size=$(stat -c %s "$W/s.pcap")
    last=$(($(tshark -r "$W/s.pcap" -T fields -e frame.cap_len 2>/dev/null | tail -1) + 16))
    nextlen=$(($(tshark -r "$KNOWN" -T fields -e frame.len 2>/dev/null | sed -n "$((k + 1))p") + 16))
    # stopped on the record that reached the limit or before the one that would pass it
    [ $((size - last)) -lt $limit ] && [ $((size + nextlen)) -gt $limit ] ||
        fail "-a filesize:100: $k records, $size bytes (last record $last, next $nextlen): not stopped at the limit $limit"
    editcap -r "$KNOWN" "$T/first.pcap" "1-$k" 2>/dev/null
    frames_text "$T/first.pcap" >"$T/first.txt"
    frames_text "$W/s.pcap" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/first.txt" "-a filesize:100"
    [ "$(jget "$T/s.json" 'd["stop_reason"]')" = limit ] || fail "-a filesize:100: stop_reason $(jget "$T/s.json" 'd["stop_reason"]')"
    rm -f "$W"/*

    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/f.pcap" -b packets:50 -a files:3 --stats-json "$T/f.json"
    expect_rc 0 "-b packets:50 -a files:3"
    no_partials
    mapfile -t files < <(out_files)
    [ "${#files[@]}" = 3 ] || fail "-b packets:50 -a files:3: ${#files[@]} files: $(ls -A "$W" | tr '\n' ' ')"
    for f in "${files[@]}"; do
        pcap_valid "$f"
        [ "$PV_COUNT" = 50 ] || fail "-a files:3: $(basename "$f") has $PV_COUNT records, expected 50"
    done
    editcap -r "$KNOWN" "$T/first.pcap" 1-150 2>/dev/null
    frames_text "$T/first.pcap" >"$T/first.txt"
    frames_text "${files[@]}" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/first.txt" "-b packets:50 -a files:3"
    [ "$(jget "$T/f.json" '[d["stop_reason"], d["totals"]["written"], d["totals"]["files"]]')" = "limit 150 3" ] ||
        fail "-a files:3: JSON stop_reason/written/files $(jget "$T/f.json" '[d["stop_reason"], d["totals"]["written"], d["totals"]["files"]]'), expected limit 150 3"
}
