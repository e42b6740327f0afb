# pcapng output (-n / -F pcapng): known input byte-identical, rotation into
# self-contained files, two ports and several queues, the statistics blocks
# equal to the JSON statistics at close, signals.
# shellcheck shell=bash

PNGCHECK="$PY $VDEV/pngcheck.py"

# reader_quiet NAME ERRFILE: a reader's stderr holds nothing but its
# informational line (tcpdump: "reading from file ...", Wireshark tools as
# root: "Running as user ...")
reader_quiet() {
    local extra
    extra=$(grep -v -e '^reading from file .*, link-type EN10MB (Ethernet), snapshot length [0-9]*$' \
        -e '^Running as user "root" and group "root"\. This could be dangerous\.$' "$2")
    [ -z "$extra" ] || fail "$1 warns: $(echo "$extra" | head -3 | tr '\n' '|')"
}

# png_valid FILE [pngcheck walk options]: tcpdump (libpcap), tshark and
# capinfos read the whole file without a warning, agree on the record count
# with our strict walker, and capinfos sees pcapng with nanosecond
# timestamps and one statistics entry per interface. Sets PV_COUNT, PNG_JSON.
png_valid() {
    local f=$1 b c1 c2 c3 c4 nif
    shift
    b=$(basename "$f")
    [ -f "$f" ] || fail "$f: no such file"
    tcpdump -r "$f" -nn -q >"$T/tcpdump.txt" 2>"$T/tcpdump.err" ||
        fail "tcpdump -r $b exits $?: $(tail -1 "$T/tcpdump.err")"
    reader_quiet "tcpdump -r $b" "$T/tcpdump.err"
    tshark -r "$f" -T fields -e frame.number >"$T/tshark.txt" 2>"$T/tshark.err" ||
        fail "tshark -r $b exits $?: $(tail -1 "$T/tshark.err")"
    reader_quiet "tshark -r $b" "$T/tshark.err"
    capinfos -M "$f" >"$T/capinfos.txt" 2>"$T/capinfos.err" ||
        fail "capinfos $b exits $?: $(tail -1 "$T/capinfos.err")"
    reader_quiet "capinfos $b" "$T/capinfos.err"
    PNG_JSON=$($PNGCHECK walk "$f" "$@") || fail "pngcheck: $PNG_JSON"
    c1=$(wc -l <"$T/tcpdump.txt")
    c2=$(wc -l <"$T/tshark.txt")
    c3=$(awk -F: '/^Number of packets/ {gsub(/ /,"",$2); print $2}' "$T/capinfos.txt")
    c4=$(jfield "$PNG_JSON" records)
    [ "$c1" = "$c2" ] && [ "$c2" = "$c3" ] && [ "$c3" = "$c4" ] ||
        fail "$b: readers disagree on the record count: tcpdump $c1, tshark $c2, capinfos $c3, pngcheck $c4"
    grep -q '^File type: *pcapng$' "$T/capinfos.txt" ||
        fail "$b: capinfos file type: $(grep '^File type' "$T/capinfos.txt")"
    grep -q '^File timestamp precision: *nanoseconds (9)$' "$T/capinfos.txt" ||
        fail "$b: capinfos: $(grep 'timestamp precision' "$T/capinfos.txt")"
    nif=$(jget_str "$PNG_JSON" 'len(d["idbs"])')
    [ "$(grep -c 'Time precision = nanoseconds (9)' "$T/capinfos.txt")" = "$nif" ] ||
        fail "$b: capinfos does not see nanosecond precision on all $nif interfaces"
    [ "$(grep -c 'Number of stat entries = 1$' "$T/capinfos.txt")" = "$nif" ] ||
        fail "$b: capinfos does not see one statistics block per interface: $(grep 'stat entries' "$T/capinfos.txt" | tr '\n' '|')"
    PV_COUNT=$c4
}

# png_valid_big FILE [pngcheck walk options]: the same for files of millions
# of records, where tshark's per-frame dissection costs minutes here: capinfos
# (Wireshark's reader, through the statistics blocks at the end), tcpdump -w
# /dev/null (libpcap) and pngcheck read the whole file; tshark the first 1000
# frames. All without a warning. Sets PV_COUNT, PNG_JSON.
png_valid_big() {
    local f=$1 b c3 c4 nif
    shift
    b=$(basename "$f")
    [ -f "$f" ] || fail "$f: no such file"
    tcpdump -r "$f" -nn -c 1000000000 -w /dev/null 2>"$T/tcpdump.err" ||
        fail "tcpdump -r $b exits $?: $(tail -1 "$T/tcpdump.err")"
    reader_quiet "tcpdump -r $b" "$T/tcpdump.err"
    tshark -r "$f" -c 1000 -T fields -e frame.number >"$T/tshark.txt" 2>"$T/tshark.err" ||
        fail "tshark -r $b exits $?: $(tail -1 "$T/tshark.err")"
    reader_quiet "tshark -r $b" "$T/tshark.err"
    capinfos -M "$f" >"$T/capinfos.txt" 2>"$T/capinfos.err" ||
        fail "capinfos $b exits $?: $(tail -1 "$T/capinfos.err")"
    reader_quiet "capinfos $b" "$T/capinfos.err"
    PNG_JSON=$($PNGCHECK walk "$f" "$@") || fail "pngcheck: $PNG_JSON"
    c3=$(awk -F: '/^Number of packets/ {gsub(/ /,"",$2); print $2}' "$T/capinfos.txt")
    c4=$(jfield "$PNG_JSON" records)
    [ "$c3" = "$c4" ] || fail "$b: capinfos counts $c3 records, pngcheck $c4"
    nif=$(jget_str "$PNG_JSON" 'len(d["idbs"])')
    [ "$(grep -c 'Number of stat entries = 1$' "$T/capinfos.txt")" = "$nif" ] ||
        fail "$b: capinfos does not see one statistics block per interface"
    PV_COUNT=$c4
}

# jget_str JSONTEXT EXPR
jget_str() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); v=eval(sys.argv[2]); print(" ".join(map(str,v)) if isinstance(v,list) else v)' "$1" "$2"; }

# known.pcap through net_pcap as pcapng: every frame once, in order,
# byte-identical (tcpdump -xx and tshark lengths); SHB/IDB contents; inbound
# flags; the ISB equals the JSON; the EPBs are all the bytes written
register png_replay asan
case_png_replay() {
    local n t0 t1 f hw
    n=$(KNOWN_N)
    t0=$(now_ns)
    lc -i "$PCAP_PORT" -n -w "$W/cap.pcapng" -c "$n" --stats-json "$T/s.json"
    t1=$(now_ns)
    expect_rc 0 "-n -c $n"
    [ "$(ls -A "$W" | tr '\n' ' ')" = "cap.pcapng cap.pcapng.idx cap.pcapng.manifest.json " ] ||
        fail "output dir holds '$(ls -A "$W" | tr '\n' ' ')', expected exactly cap.pcapng, its index and its manifest"
    f=$W/cap.pcapng
    png_valid "$f" --snaplen 262144 --nif 1 --ts-min "$t0" --ts-max "$t1"
    [ "$PV_COUNT" = "$n" ] || fail "$PV_COUNT records, expected $n"
    frames_text "$KNOWN" >"$T/in.txt"
    frames_text "$f" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/in.txt" "pcapng replay"
    tshark -r "$KNOWN" -T fields -e frame.len -e frame.cap_len >"$T/in.len" 2>/dev/null
    tshark -r "$f" -T fields -e frame.len -e frame.cap_len >"$T/out.len" 2>/dev/null
    cmp -s "$T/in.len" "$T/out.len" ||
        fail "tshark frame.len/cap_len differ: $(diff "$T/in.len" "$T/out.len" | head -3 | tr '\n' '|')"
    # per-frame digests of the bytes, independent of tcpdump's decoding
    tshark -r "$KNOWN" -T fields -e frame.md5_hash >"$T/in.md5" 2>/dev/null
    tshark -r "$f" -T fields -e frame.md5_hash >"$T/out.md5" 2>/dev/null
    [ -s "$T/in.md5" ] && cmp -s "$T/in.md5" "$T/out.md5" || fail "per-frame md5 differ from the input"
    tshark -r "$f" -c 1 -T fields -e frame.time_epoch 2>/dev/null | grep -qE '^[0-9]+\.[0-9]{9}$' ||
        fail "tshark frame.time_epoch is not nanosecond"
    # every packet inbound on interface 0, named as given with -i
    [ "$(tshark -r "$f" -T fields -e frame.packet_flags_direction -e frame.interface_id 2>/dev/null | sort | uniq -c | awk '{print $1, $2, $3}')" = "$n 0x00000001 0" ] ||
        fail "direction/interface per tshark: $(tshark -r "$f" -T fields -e frame.packet_flags_direction -e frame.interface_id 2>/dev/null | sort | uniq -c | tr '\n' '|')"
    [ "$(tshark -r "$f" -c 1 -T fields -e frame.interface_name 2>/dev/null)" = "$PCAP_PORT" ] ||
        fail "tshark frame.interface_name '$(tshark -r "$f" -c 1 -T fields -e frame.interface_name 2>/dev/null)', expected the -i word"
    [ "$(jget_str "$PNG_JSON" 'd["idbs"][0]["description"]')" = "DPDK port 0, device net_pcap0, driver net_pcap" ] ||
        fail "if_description '$(jget_str "$PNG_JSON" 'd["idbs"][0]["description"]')'"
    [ "$(jget_str "$PNG_JSON" '"filter" in d["idbs"][0]')" = False ] || fail "if_filter present without a filter"
    [ "$(jget_str "$PNG_JSON" 'd["shb"]["userappl"]')" = "linecap $($LINECAP --version | awk '{print $2}')" ] ||
        fail "shb_userappl '$(jget_str "$PNG_JSON" 'd["shb"]["userappl"]')'"
    [ "$(jget_str "$PNG_JSON" 'd["shb"]["os"]')" = "$(uname -s) $(uname -r)" ] ||
        fail "shb_os '$(jget_str "$PNG_JSON" 'd["shb"]["os"]')', expected '$(uname -s) $(uname -r)'"
    hw=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
    [ -z "$hw" ] || [ "$(jget_str "$PNG_JSON" 'd["shb"]["hardware"]')" = "$hw" ] ||
        fail "shb_hardware '$(jget_str "$PNG_JSON" 'd["shb"]["hardware"]')', expected '$hw'"
    grep -q "^Capture application: *linecap " "$T/capinfos.txt" || fail "capinfos: $(grep 'Capture application' "$T/capinfos.txt")"
    # statistics: equal to the JSON, and to what this file holds
    out=$($PNGCHECK isb-json "$f" "$T/s.json") || fail "ISB vs JSON: $out"
    [ "$(jget_str "$PNG_JSON" '[d["isbs"][0][k] for k in ("ifrecv", "ifdrop", "filteraccept", "osdrop", "usrdeliv")]')" = "$n 0 $n 0 $n" ] ||
        fail "ISB ifrecv/ifdrop/filteraccept/osdrop/usrdeliv: $(jget_str "$PNG_JSON" '[d["isbs"][0][k] for k in ("ifrecv", "ifdrop", "filteraccept", "osdrop", "usrdeliv")]'), expected $n 0 $n 0 $n"
    [ "$(jget_str "$PNG_JSON" 'd["isbs"][0]["starttime"] <= d["first_ns"] <= d["last_ns"] <= d["isbs"][0]["endtime"]')" = True ] ||
        fail "ISB start/end times do not bracket the packets: $(jget_str "$PNG_JSON" '[d["isbs"][0]["starttime"], d["first_ns"], d["last_ns"], d["isbs"][0]["endtime"]]')"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "stats JSON: $($LCHECK identity "$T/s.json")"
    [ "$(jget "$T/s.json" '[d["totals"]["written"], d["totals"]["written_bytes"], d["files"][0]["bytes"]]')" = \
      "$n $(jfield "$PNG_JSON" epb_bytes) $(stat -c %s "$f")" ] ||
        fail "JSON written/written_bytes/file bytes $(jget "$T/s.json" '[d["totals"]["written"], d["totals"]["written_bytes"], d["files"][0]["bytes"]]'), pngcheck $n $(jfield "$PNG_JSON" epb_bytes), size $(stat -c %s "$f")"
    [ "$(stat -c %a "$f")" = 600 ] || fail "mode $(stat -c %a "$f"), expected 600"
}

# -s with pcapng: IDB snaplen, caplen cut (padding when not a multiple of 4),
# the kept bytes are the frame's first bytes (editcap -s of the input)
register png_snaplen asan
case_png_snaplen() {
    local s n
    n=$(KNOWN_N)
    tshark -r "$KNOWN" -T fields -e frame.len >"$T/in.len" 2>/dev/null
    for s in 61 96; do
        rm -rf "${W:?}"/*
        lc -i "$PCAP_PORT" -F pcapng -w "$W/s$s.pcapng" -c "$n" -s "$s"
        expect_rc 0 "-F pcapng -s $s"
        png_valid "$W/s$s.pcapng" --snaplen "$s" --nif 1
        [ "$PV_COUNT" = "$n" ] || fail "-s $s: $PV_COUNT records, expected $n"
        tshark -r "$W/s$s.pcapng" -T fields -e frame.len -e frame.cap_len >"$T/out.len" 2>/dev/null
        awk -v s="$s" '{ c = $1 < s ? $1 : s; print $1 "\t" c }' "$T/in.len" >"$T/want.len"
        cmp -s "$T/want.len" "$T/out.len" ||
            fail "-s $s: frame.len/cap_len differ (want|got): $(diff "$T/want.len" "$T/out.len" | head -3 | tr '\n' '|')"
        editcap -s "$s" "$KNOWN" "$T/cut.pcap" 2>/dev/null
        frames_text "$T/cut.pcap" >"$T/cut.txt"
        frames_text "$W/s$s.pcapng" >"$T/out.txt"
        same_frames "$T/out.txt" "$T/cut.txt" "-s $s"
    done
    # a 60-byte frame costs 104 bytes on disk (pcap: 76): cut everything to 60
    rm -rf "${W:?}"/*
    lc -i "$PCAP_PORT" -n -w "$W/s60.pcapng" -c "$n" -s 60
    expect_rc 0 "-n -s 60"
    png_valid "$W/s60.pcapng" --snaplen 60
    [ "$(jget_str "$PNG_JSON" 'd["epb_lens"]')" = "{'104': $n}" ] ||
        fail "-s 60: EPB lengths $(jget_str "$PNG_JSON" 'd["epb_lens"]'), expected all 104"
}

# rotation with pcapng: by size (every file <= the limit, statistics blocks
# included) and by count (-w without an extension: names get .pcapng); each
# file valid and self-contained (SHB and IDB first, ISB last); the files'
# frames in order are the input; each file's isb_usrdeliv is the records
# written up to and including it; the last file's ISB equals the JSON; idle
# time rotation gives header-and-statistics files
register png_rotate asan
case_png_rotate() {
    local n files nf i f total size limit per
    n=$(KNOWN_N)
    frames_text "$KNOWN" >"$T/in.txt"
    for spec in "filesize:20:cap.pcapng" "packets:50:cap"; do
        rm -rf "${W:?}"/*
        IFS=: read -r kind val name <<<"$spec"
        lc -i "$PCAP_PORT" -n -w "$W/$name" -c "$n" -b "$kind:$val" --stats-json "$T/s.json"
        expect_rc 0 "-n -b $kind:$val"
        no_partials
        mapfile -t files < <(out_files)
        nf=${#files[@]}
        [ "$nf" -ge 3 ] || fail "-b $kind:$val: $nf files"
        check_names cap pcapng "${files[@]}"
        total=0
        for ((i = 0; i < nf; i++)); do
            f=${files[$i]}
            png_valid "$f" --nif 1 --snaplen 262144
            [ "$PV_COUNT" -ge 1 ] || fail "$(basename "$f"): no record"
            total=$((total + PV_COUNT))
            [ "$(jget_str "$PNG_JSON" 'd["isbs"][0]["usrdeliv"]')" = "$total" ] ||
                fail "$(basename "$f"): isb_usrdeliv $(jget_str "$PNG_JSON" 'd["isbs"][0]["usrdeliv"]'), expected $total (records up to this file)"
            size=$(stat -c %s "$f")
            if [ "$kind" = filesize ]; then
                limit=$((val * 1000))
                [ "$size" -le "$limit" ] || [ "$PV_COUNT" = 1 ] ||
                    fail "$(basename "$f"): $size bytes > limit $limit with $PV_COUNT records"
            elif [ $i -lt $((nf - 1)) ]; then
                [ "$PV_COUNT" = "$val" ] || fail "$(basename "$f"): $PV_COUNT records, expected $val"
            fi
        done
        [ "$total" = "$n" ] || fail "-b $kind:$val: $total records in $nf files, expected $n"
        frames_text "${files[@]}" >"$T/out.txt"
        same_frames "$T/out.txt" "$T/in.txt" "-n -b $kind:$val (files concatenated)"
        out=$($PNGCHECK isb-json "${files[$((nf - 1))]}" "$T/s.json") || fail "last file's ISB vs JSON: $out"
        [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
        [ "$(jget "$T/s.json" '[d["totals"]["files"], d["totals"]["written"]]')" = "$nf $n" ] ||
            fail "-b $kind:$val: JSON files/written $(jget "$T/s.json" '[d["totals"]["files"], d["totals"]["written"]]'), expected $nf $n"
    done

    # idle: net_ring0 with time rotation: files with no packet, still SHB, IDB, ISB
    rm -rf "${W:?}"/*
    lc -i net_ring0 -n -w "$W/idle" -b duration:1 -a duration:2.5 --stats-json "$T/s.json"
    expect_rc 0 "net_ring0 -n -b duration:1 -a duration:2.5"
    no_partials
    mapfile -t files < <(out_files)
    nf=${#files[@]}
    [ "$nf" -ge 2 ] && [ "$nf" -le 4 ] || fail "$nf idle files: $(ls -A "$W" | tr '\n' ' ')"
    check_names idle pcapng "${files[@]}"
    for f in "${files[@]}"; do
        png_valid "$f" --nif 1
        [ "$PV_COUNT" = 0 ] || fail "$(basename "$f"): $PV_COUNT records from a silent port"
    done
    out=$($PNGCHECK isb-json "${files[$((nf - 1))]}" "$T/s.json") || fail "idle: last file's ISB vs JSON: $out"
}

# two ports in one file: one IDB each in -i order, every packet on its port's
# interface id (each port's frames are its input, in order); then a port with
# two queues: EPBs carry epb_queue, counted per queue as the JSON counts them;
# ISBs per interface equal the JSON
register png_ports
case_png_ports() {
    local n1 n2 f
    n1=$(KNOWN_N); n2=$(cap_count "$SMALL")
    lc -i "net_pcap0,rx_pcap=$KNOWN" -i "net_pcap1,rx_pcap=$SMALL" -n -w "$W/two.pcapng" -a duration:2 --stats-json "$T/s.json"
    expect_rc 0 "two net_pcap ports, pcapng"
    f=$W/two.pcapng
    png_valid "$f" --nif 2
    [ "$PV_COUNT" = $((n1 + n2)) ] || fail "$PV_COUNT records, expected $n1 + $n2"
    [ "$(jget_str "$PNG_JSON" '[i["name"] for i in d["idbs"]]')" = "net_pcap0,rx_pcap=$KNOWN net_pcap1,rx_pcap=$SMALL" ] ||
        fail "if_name: $(jget_str "$PNG_JSON" '[i["name"] for i in d["idbs"]]')"
    [ "$(jget_str "$PNG_JSON" '[d["per_if"].get("0"), d["per_if"].get("1"), d["queues"]]')" = "$n1 $n2 {}" ] ||
        fail "records per interface / queues: $(jget_str "$PNG_JSON" '[d["per_if"], d["queues"]]'), expected $n1 $n2 and no epb_queue"
    for i in 0 1; do
        tshark -r "$f" -Y "frame.interface_id == $i" -F pcap -w "$T/if$i.pcap" 2>/dev/null ||
            fail "tshark cannot split interface $i"
        frames_text "$T/if$i.pcap" >"$T/out$i.txt"
    done
    frames_text "$KNOWN" >"$T/in0.txt"
    frames_text "$SMALL" >"$T/in1.txt"
    same_frames "$T/out0.txt" "$T/in0.txt" "interface 0 (net_pcap0)"
    same_frames "$T/out1.txt" "$T/in1.txt" "interface 1 (net_pcap1)"
    out=$($PNGCHECK isb-json "$f" "$T/s.json") || fail "ISB vs JSON: $out"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"

    rm -rf "${W:?}"/*
    lc -i net_null0 -q 2 -n -w "$W/q.pcapng" -c 5000 --stats-json "$T/q.json"
    expect_rc 0 "net_null0 -q 2 -n -c 5000"
    png_valid "$W/q.pcapng" --nif 1
    [ "$PV_COUNT" = 5000 ] || fail "-q 2: $PV_COUNT records, expected 5000"
    got=$(jget_str "$PNG_JSON" '[d["queues"]["0"].get(q, 0) for q in ("0", "1")]')
    want=$(jget "$T/q.json" '[q["written"] for q in d["ports"][0]["queues"]]')
    [ "$got" = "$want" ] || fail "-q 2: EPBs per epb_queue $got, JSON written per queue $want"
    [ "$(jget_str "$PNG_JSON" '[min(d["queues"]["0"].values()) > 0, len(d["queues"]["0"])]')" = "True 2" ] ||
        fail "-q 2: queues seen $(jget_str "$PNG_JSON" 'd["queues"]'), expected both"
    [ "$(jget_str "$PNG_JSON" 'sorted(d["epb_lens"])')" = 116 ] ||
        fail "-q 2: EPB lengths $(jget_str "$PNG_JSON" 'd["epb_lens"]'), expected 116 (64 B + 32 + 20 of options)"
    out=$($PNGCHECK isb-json "$W/q.pcapng" "$T/q.json") || fail "-q 2: ISB vs JSON: $out"
}

# signals with pcapng: SIGINT under load (endless source, rotation) ends every
# file with its ISB; the last equals the JSON written after the drain. A
# second SIGINT (forced: queued blocks unwritten) still leaves valid files
# whose last ISB counts the unwritten packets as the JSON does.
register png_signal asan
case_png_signal() {
    local files f sum
    for mode in once twice; do
        rm -rf "${W:?}"/*
        if [ $mode = once ]; then
            lc_bg -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -n -w "$W/sig.pcapng" -b filesize:400000 --stats-json "$T/s.json"
        else
            lc_bg -i "net_null0,size=1400" -n -w "$W/sig.pcapng" -B 256 --stats-json "$T/s.json"
        fi
        wait_for_file "$W" 30 || { lc_wait_exit 1; fail "$mode: no output file appeared (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
        sleep 0.5
        lc_alive || { lc_wait_exit 1; fail "$mode: linecap ended before the signal (exit $LC_RC)"; }
        kill -INT "$LC_PID"
        if [ $mode = twice ]; then sleep 0.01; kill -INT "$LC_PID" 2>/dev/null; fi
        lc_wait_exit 5
        [ $mode = twice ] && [ "$LC_RC" -lt 128 ] || expect_rc 0 "SIGINT ($mode)"
        no_partials
        mapfile -t files < <(out_files)
        [ "${#files[@]}" -ge 1 ] || fail "$mode: no file"
        sum=0
        for f in "${files[@]}"; do
            png_valid_big "$f" --nif 1
            sum=$((sum + PV_COUNT))
        done
        [ "$sum" = "$(jget "$T/s.json" 'd["totals"]["written"]')" ] ||
            fail "$mode: files hold $sum records, JSON written $(jget "$T/s.json" 'd["totals"]["written"]')"
        out=$($PNGCHECK isb-json "${files[-1]}" "$T/s.json") || fail "$mode: last ISB vs JSON: $out"
        [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$mode: $($LCHECK identity "$T/s.json")"
        if [ $mode = once ]; then
            # every record a whole frame of the input (converted for lcheck, which reads pcap)
            local conv=() k=0
            for f in "${files[@]}"; do
                k=$((k + 1))
                editcap -F nsecpcap "$f" "$T/conv$k.pcap" 2>"$T/editcap.err" || fail "editcap $(basename "$f"): $(cat "$T/editcap.err")"
                conv+=("$T/conv$k.pcap")
            done
            out=$($LCHECK members "$MIXED" "${conv[@]}") || fail "$mode: $out"
        fi
        log "$mode: $sum records in ${#files[@]} files; forced $(jget "$T/s.json" 'd["forced"]'), unwritten $(jget "$T/s.json" 'd["totals"]["unwritten_abort"]')"
    done
}

# a capture filter with pcapng: if_filter holds the expression (libpcap
# syntax), the file holds what tcpdump's filter keeps, and the ISB's
# isb_filteraccept (received - filtered) equals the JSON
register png_filter asan
case_png_filter() {
    local want expr="ip and udp"
    want=$(tcpdump -r "$KNOWN" -nn "$expr" 2>/dev/null | wc -l)
    lc -i "$PCAP_PORT" -n -w "$W/f.pcapng" -a duration:2 -f "$expr" --stats-json "$T/s.json"
    expect_rc 0 "-n -f '$expr'"
    png_valid "$W/f.pcapng" --nif 1
    [ "$PV_COUNT" = "$want" ] || fail "$PV_COUNT records, tcpdump's filter keeps $want"
    [ "$(jget_str "$PNG_JSON" 'd["idbs"][0].get("filter")')" = "$expr" ] ||
        fail "if_filter '$(jget_str "$PNG_JSON" 'd["idbs"][0].get("filter")')', expected '$expr'"
    grep -q "Filter string = $expr$" "$T/capinfos.txt" || fail "capinfos does not show the filter: $(grep -i filter "$T/capinfos.txt")"
    out=$($PNGCHECK isb-json "$W/f.pcapng" "$T/s.json") || fail "ISB vs JSON: $out"
    [ "$(jget_str "$PNG_JSON" '[d["isbs"][0]["ifrecv"], d["isbs"][0]["filteraccept"], d["isbs"][0]["usrdeliv"]]')" = "$(KNOWN_N) $want $want" ] ||
        fail "ISB ifrecv/filteraccept/usrdeliv $(jget_str "$PNG_JSON" '[d["isbs"][0]["ifrecv"], d["isbs"][0]["filteraccept"], d["isbs"][0]["usrdeliv"]]'), expected $(KNOWN_N) $want $want"
}
