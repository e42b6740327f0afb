# linecap verify on real captures: known.pcap replayed through net_pcap (no
# stamps), and stamped frames (the linecap-gen stamp, written here by Python)
# with known gaps, a -c cut and a generator count.
# shellcheck shell=bash

# verify_run ARGS...: run `linecap verify` (VRC, output in $T/v.out)
verify_run() {
    log "+ linecap verify $*"
    timeout -s KILL 60 "$LINECAP" verify "$@" >"$T/v.out" 2>"$T/v.err" </dev/null
    VRC=$?
    log "  exit $VRC; stderr: $(head -c 500 "$T/v.err")"
    check_sanitizer "$T/v.err"
}

# stamped_pcap OUT FLOWS PER_FLOW [SKIP]: 64 B IPv4/UDP frames, flow f from
# 10.1.0.f:1000+f, round-robin over the flows, stamp seq 0..PER_FLOW-1 per
# flow; SKIP "f:seq,f:seq,..." leaves those out
stamped_pcap() {
    "$PY" - "$@" <<'EOF'
import struct, sys, time
out, nflows, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
skip = set()
if len(sys.argv) > 4 and sys.argv[4]:
    for s in sys.argv[4].split(","):
        f, q = s.split(":")
        skip.add((int(f), int(q)))
def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s & 0xffff) + (s >> 16)
    return (~((s & 0xffff) + (s >> 16))) & 0xffff
now = time.time_ns()
with open(out, "wb") as fh:
    fh.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
    i = 0
    for q in range(per):
        for f in range(nflows):
            if (f, q) in skip:
                continue
            payload = struct.pack("<HQQ", 0x4c43, q, now + i) + b"\0" * 4
            udp = struct.pack("!HHHH", 1000 + f, 2000, 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                             bytes([10, 1, 0, f]), bytes([10, 2, 0, 1]))
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp
            ts = 1600000000 * 10**9 + i * 1000
            fh.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(frame), len(frame)))
            fh.write(frame)
            i += 1
EOF
}

# known.pcap through net_pcap: verify's counts equal tcpdump's and capinfos';
# no stamps, so every record is unstamped; the capture JSON agrees
register verify_known asan
case_verify_known() {
    local n bytes
    n=$(KNOWN_N)
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/cap.pcap" -c "$n" --stats-json "$T/s.json"
    expect_rc 0 "replay -c $n"
    pcap_valid "$W/cap.pcap"
    verify_run --json "$T/v.json" --capture-json "$T/s.json" "$W/cap.pcap"
    [ "$VRC" = 0 ] || fail "verify exit $VRC: $(tail -3 "$T/v.out" | tr '\n' '|')"
    bytes=$(capinfos -M -d "$W/cap.pcap" | awk -F: '/Data size/ {gsub(/[^0-9]/,"",$2); print $2}')
    [ "$(jget "$T/v.json" '[d["records"], d["bytes"], d["stamped"], d["unstamped"], d["consistent"]]')" = \
        "$PV_COUNT $bytes 0 $PV_COUNT True" ] ||
        fail "verify records/bytes/stamped/unstamped/consistent: $(jget "$T/v.json" '[d["records"], d["bytes"], d["stamped"], d["unstamped"], d["consistent"]]'), expected $PV_COUNT $bytes 0 $PV_COUNT True"
    [ "$PV_COUNT" = "$n" ] || fail "tcpdump/capinfos count $PV_COUNT, expected $n"
    [ "$(jget "$T/v.json" '[d["accounting"]["capture"]["kept_records"], d["accounting"]["capture"]["identity_residual"]]')" = "$n 0" ] ||
        fail "verify's view of the capture JSON: $(jget "$T/v.json" 'd["accounting"]["capture"]')"
    # the same as pcapng (editcap), read through libpcap's pcapng reader
    editcap -F pcapng "$W/cap.pcap" "$T/cap.pcapng" 2>/dev/null || fail "editcap -F pcapng failed"
    verify_run --json "$T/vng.json" "$T/cap.pcapng"
    [ "$VRC" = 0 ] || fail "verify of the pcapng copy: exit $VRC"
    [ "$(jget "$T/vng.json" '[d["files"][0]["format"], d["records"], d["bytes"]]')" = "pcapng $n $bytes" ] ||
        fail "pcapng copy: format/records/bytes $(jget "$T/vng.json" '[d["files"][0]["format"], d["records"], d["bytes"]]')"
    # the same through a directory argument, and the human summary
    verify_run "$W"
    [ "$VRC" = 0 ] || fail "verify DIR exit $VRC"
    grep -q "^1 files, $n records" "$T/v.out" || fail "summary: $(head -1 "$T/v.out")"
    grep -q '^result: consistent' "$T/v.out" || fail "summary: $(tail -1 "$T/v.out")"
}

# stamped frames, 4 flows x 250: complete -> 0 missing, offered = captured;
# with gaps -> exactly the missing ranges, exit 1; -c 600 of the complete set
# with the generator's count 1000 -> the 400 missing are each flow's tail,
# explained by after_limit + not received, exit 0
register verify_stamped asan
case_verify_stamped() {
    local r
    stamped_pcap "$T/full.pcap" 4 250 || fail "cannot write full.pcap"
    stamped_pcap "$T/gaps.pcap" 4 250 "0:10,0:100,0:101,0:102,3:249" || fail "cannot write gaps.pcap"
    echo '{"sent": 1000, "flows": 4}' >"$T/gen.json"

    lc -i "net_pcap0,rx_pcap=$T/full.pcap" -w "$W/full.pcap" -c 1000 --stats-json "$T/s_full.json"
    expect_rc 0 "replay full.pcap"
    verify_run --json "$T/v.json" --gen-json "$T/gen.json" --capture-json "$T/s_full.json" "$W/full.pcap"
    [ "$VRC" = 0 ] || fail "verify of the complete capture: exit $VRC: $(tail -4 "$T/v.out" | tr '\n' '|')"
    r=$(jget "$T/v.json" '[d["records"], d["stamped"], d["flows"], d["seq"]["missing"], d["seq"]["duplicates"], d["accounting"]["offered"], d["accounting"]["unexplained"], d["latency_ns"]["count"]]')
    [ "$r" = "1000 1000 4 0 0 1000 0 1000" ] ||
        fail "records/stamped/flows/missing/dups/offered/unexplained/latency count: $r"

    lc -i "net_pcap0,rx_pcap=$T/gaps.pcap" -w "$W/gaps.pcap" -c 995 --stats-json "$T/s_gaps.json"
    expect_rc 0 "replay gaps.pcap"
    verify_run --json "$T/v.json" --capture-json "$T/s_gaps.json" "$W/gaps.pcap"
    [ "$VRC" = 1 ] || fail "verify with unexplained gaps: exit $VRC, expected 1"
    r=$(jget "$T/v.json" '[d["seq"]["missing"], d["seq"]["gaps"], [f["missing_ranges"] for f in d["flow_list"] if f["sport"] == 1000][0]]')
    [ "$r" = "4 2 [[10, 10], [100, 102]]" ] || fail "missing/gaps/ranges of flow 0: $r"
    # with the generator's count the tail of flow 3 (seq 249) shows too
    verify_run --json "$T/v.json" --gen-json "$T/gen.json" --capture-json "$T/s_gaps.json" "$W/gaps.pcap"
    [ "$VRC" = 1 ] || fail "verify with gaps and --gen-json: exit $VRC, expected 1"
    r=$(jget "$T/v.json" '[d["seq"]["missing"], d["seq"]["tail"], d["accounting"]["missing"], d["accounting"]["unexplained"]]')
    # the tail packet never reached the port (explained); the 4 inside are not
    [ "$r" = "5 1 5 4" ] || fail "missing/tail/accounting missing/unexplained: $r"

    lc -i "net_pcap0,rx_pcap=$T/full.pcap" -w "$W/cut.pcap" -c 600 --stats-json "$T/s_cut.json"
    expect_rc 0 "replay full.pcap -c 600"
    verify_run --json "$T/v.json" --gen-json "$T/gen.json" --capture-json "$T/s_cut.json" "$W/cut.pcap"
    [ "$VRC" = 0 ] || fail "verify of a -c 600 capture: exit $VRC: $(tail -4 "$T/v.out" | tr '\n' '|')"
    r=$(jget "$T/v.json" '[d["records"], d["seq"]["missing"], d["seq"]["tail"], d["accounting"]["missing"], d["accounting"]["stages"]["after_limit"] + d["accounting"]["stages"]["not_received_explained"], d["accounting"]["unexplained"]]')
    [ "$r" = "600 400 400 400 400 0" ] ||
        fail "records/missing/tail/accounting missing/after_limit+not_received/unexplained: $r"
    # a torn copy: records up to the tear are read, exit 66
    head -c 30000 "$W/full.pcap" >"$T/torn.pcap"
    verify_run --json "$T/v.json" "$T/torn.pcap"
    [ "$VRC" = 66 ] || fail "verify of a torn file: exit $VRC, expected 66"
    r=$(jget "$T/v.json" '[d["records"], d["files"][0]["error"]["kind"]]')
    [ "$r" = "$(( (30000 - 24) / 80 )) read" ] || fail "torn file: records/error $r"
}

# linecap-gen -c 100000 --linger -> memif -> linecap -c 100000 -> verify: 4
# flows of IMIX at 1 Mpps; the generator keeps the link open after its last
# frame until linecap has left (no side may leave while the other is in a
# burst call: the net_memif race in DESIGN.md). Every frame the generator
# sent is captured (or explained); no gap inside a flow, no duplicate;
# sequences start at 0.
register verify_gen_memif
case_verify_gen_memif() {
    local gen r lk
    gen=$(dirname "$LINECAP")/linecap-gen
    [ -x "$gen" ] || fail "no $gen"
    lk=vg$(($$ % 100000))
    export LC_LINKS_DIR=$T/run
    eval "$("$LC_ROOT/scripts/links.sh" up memif "$lk")" || fail "links.sh up memif failed"
    log "+ linecap-gen -i $LINK_GEN -c 100000 --linger 30 &"
    timeout -s KILL 60 "$gen" -i "$LINK_GEN" --cores 0 --flows 4 --imix -c 100000 --linger 30 --pps 1m \
        --json "$T/gen.json" --quiet -- --file-prefix="${LC_PREFIX}g" >"$T/gen.out" 2>&1 </dev/null &
    local gpid=$! i=0
    while [ ! -S "$LC_LINKS_DIR/$lk.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    lc -i "$LINK_CAPTURE" -w "$W/gen.pcap" -c 100000 --stats-json "$T/s.json"
    wait "$gpid"
    local grc=$?
    [ $grc = 0 ] || fail "linecap-gen exit $grc: $(tail -3 "$T/gen.out" | tr '\n' '|')"
    expect_rc 0 "capture of linecap-gen over memif"
    "$LC_ROOT/scripts/links.sh" down "$lk" || fail "links.sh down failed"
    pcap_valid_big "$W/gen.pcap"
    [ "$PV_COUNT" = 100000 ] || fail "$PV_COUNT records, expected 100000"
    verify_run --json "$T/v.json" --gen-json "$T/gen.json" --capture-json "$T/s.json" "$W/gen.pcap"
    [ "$VRC" = 0 ] || fail "verify exit $VRC: $(grep -A3 '^result' "$T/v.out" | tr '\n' '|')"
    r=$(jget "$T/v.json" '[d["records"], d["stamped"], d["flows"], d["seq"]["missing"] == d["seq"]["tail"], d["seq"]["duplicates"], d["accounting"]["offered"] == d["records"] + d["seq"]["tail"], d["accounting"]["unexplained"], min(f["first_seq"] for f in d["flow_list"])]')
    [ "$r" = "100000 100000 4 True 0 True 0 0" ] ||
        fail "records, stamped, flows, missing only at the tails, dups, offered = records + tail, unexplained, first seq: $r"
}
