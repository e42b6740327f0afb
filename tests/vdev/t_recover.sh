# Crashes: SIGKILL under load leaves valid closed files and one partial file
# that `linecap recover` turns into a valid file; a partial file a running
# capture writes is never touched.
# shellcheck shell=bash

# kill_under_load NAME: start a loaded capture rotating by size, SIGKILL it
# after a moment; leaves the output in $W
kill_under_load() {
    lc_bg -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/$1.pcap" -b filesize:400000 -B 64
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    sleep "0.$((RANDOM % 5 + 3))"
    lc_alive || { lc_wait_exit 1; fail "linecap ended before SIGKILL (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    kill -KILL "$LC_PID"
    wait "$LC_PID" 2>/dev/null
    kill "$LC_WD" 2>/dev/null
    wait "$LC_WD" 2>/dev/null
}

# real_records FILE: the records libpcap (tcpdump) reads from FILE before the
# first bogus zero-length record a zero-filled tail reads as (linecap's
# records here all have a length) or the end or a torn record
real_records() {
    tcpdump -r "$1" -nn -q 2>/dev/null |
        awk '/^\[Invalid header: caplen==0, len==0\]/ {exit} {n++} END {print n + 0}'
}

# recovered_exact RECOVER_OUTPUT: for every "PARTIAL -> FINAL: kept N records,
# B bytes" line, with the partial as the crash left it in $T/crash: N is
# exactly the records libpcap reads from it before its tail, FINAL holds N
# records (capinfos, lcheck) of B bytes, and FINAL is byte for byte the first
# N records of the partial as libpcap writes them back (tcpdump -c N -w)
recovered_exact() {
    local line part fin n b have lines=0
    while IFS= read -r line; do
        [[ $line =~ ^(.*)\ -\>\ (.*):\ kept\ ([0-9]+)\ records,\ ([0-9]+)\ bytes ]] || continue
        part=$T/crash/$(basename "${BASH_REMATCH[1]}")
        fin=${BASH_REMATCH[2]}
        n=${BASH_REMATCH[3]}
        b=${BASH_REMATCH[4]}
        lines=$((lines + 1))
        [ -f "$part" ] || fail "no copy of $(basename "$part")"
        have=$(real_records "$part")
        [ "$have" = "$n" ] || fail "$(basename "$part"): libpcap reads $have records before its tail, recover kept $n"
        [ "$(stat -c %s "$fin")" = "$b" ] || fail "$(basename "$fin"): $(stat -c %s "$fin") bytes, recover said $b"
        pcap_valid_big "$fin"
        [ "$PV_COUNT" = "$n" ] || fail "$(basename "$fin") holds $PV_COUNT records, recover said $n"
        if [ "$n" -gt 0 ]; then
            tcpdump -r "$part" -c "$n" --time-stamp-precision=nano -w "$T/first.pcap" 2>/dev/null ||
                fail "tcpdump -c $n -w of $(basename "$part") failed"
            cmp -s "$T/first.pcap" "$fin" ||
                fail "$(basename "$fin") is not the first $n records of $(basename "$part"): $(cmp "$T/first.pcap" "$fin" 2>&1 | head -1)"
        fi
    done <<<"$1"
    [ "$lines" -gt 0 ] || fail "no 'kept N records' line in: $1"
}

# SIGKILL three times at random moments: every closed file valid before
# recovery; after `linecap recover DIR` no partial file remains, every file
# is valid to its last byte (lcheck: no torn or zero tail) and holds only
# whole frames of the input; recover a second time finds nothing; a new
# capture with the same -w then starts
register recover_sigkill asan
case_recover_sigkill() {
    local trial files f sum out rc
    for trial in 1 2 3; do
        rm -rf "${W:?}"/* "$W"/.[!.]* 2>/dev/null
        kill_under_load "k$trial"
        mapfile -t files < <(out_files)
        for f in "${files[@]}"; do pcap_valid_big "$f"; done
        ls -A "$W" | grep -q '\.partial$' || fail "trial $trial: no partial file after SIGKILL: $(ls -A "$W" | tr '\n' ' ')"
        # the partial files as the crash left them, for the comparison below
        local p
        rm -rf "$T/crash"; mkdir -p "$T/crash"
        for p in "$W"/.*.partial; do cp "$p" "$T/crash/"; done
        out=$("$LINECAP" recover "$W" 2>&1)
        rc=$?
        log "recover: $out"
        [ $rc = 0 ] || fail "trial $trial: linecap recover exits $rc: $out"
        no_partials
        echo "$out" | tail -1 | grep -qE "^linecap recover: [1-9][0-9]* recovered" ||
            fail "trial $trial: recover reported '$(echo "$out" | tail -1)'"
        recovered_exact "$out"
        mapfile -t files < <(out_files)
        sum=0
        for f in "${files[@]}"; do
            pcap_valid_big "$f"
            sum=$((sum + PV_COUNT))
        done
        [ "$sum" -gt 0 ] || fail "trial $trial: no records in any file"
        out=$($LCHECK members "$MIXED" "${files[@]}") || fail "trial $trial: $out"
        out=$("$LINECAP" recover "$W" 2>&1) || fail "second recover exits $?: $out"
        echo "$out" | tail -1 | grep -q "^linecap recover: 0 recovered, 0 removed" ||
            fail "trial $trial: second recover: '$(echo "$out" | tail -1)'"
    done
    # the name of a crashed single-file capture is free again after recovery
    rm -rf "${W:?}"/*
    lc_bg -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/one.pcap" -B 64
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC)"; }
    sleep 0.3
    kill -KILL "$LC_PID"; wait "$LC_PID" 2>/dev/null; kill "$LC_WD" 2>/dev/null
    lc -i "net_pcap0,rx_pcap=$MIXED" -w "$W/one.pcap"
    expect_rc 73 "a stale partial file of the same name"
    grep -q "linecap recover" "$T/run$LC_N.err" || fail "the refusal does not point to linecap recover: $(cat "$T/run$LC_N.err")"
    "$LINECAP" recover -q "$W" >/dev/null || fail "recover of one.pcap failed"
    pcap_valid_big "$W/one.pcap"
}

# recover while a capture runs: its partial file is in use and left alone
# (the capture then ends normally with a valid file); bad paths and names
register recover_busy_and_bad
case_recover_busy_and_bad() {
    local out rc size1 size2
    lc_bg -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/busy.pcap" -B 64 --stats-json "$T/s.json"
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC)"; }
    sleep 0.3
    out=$("$LINECAP" recover "$W" 2>&1)
    rc=$?
    [ $rc = 0 ] || fail "recover during a capture exits $rc: $out"
    echo "$out" | grep -q "in use by a running capture" || fail "recover did not leave the live file alone: $out"
    [ -e "$W/.busy.pcap.partial" ] || fail "the live partial file is gone"
    kill -INT "$LC_PID"
    lc_wait_exit 5
    expect_rc 0 "SIGINT after recover"
    pcap_valid_big "$W/busy.pcap"
    [ "$PV_COUNT" = "$(jget "$T/s.json" 'd["totals"]["written"]')" ] || fail "busy.pcap holds $PV_COUNT records, JSON says $(jget "$T/s.json" 'd["totals"]["written"]')"

    out=$("$LINECAP" recover "$W/busy.pcap" 2>&1); rc=$?
    [ $rc = 64 ] || fail "recover of a final file exits $rc, expected 64: $out"
    [ "$(echo "$out" | wc -l)" -le 2 ] && echo "$out" | grep -q "not a partial capture file" ||
        fail "recover of a final file: '$out'"
    out=$("$LINECAP" recover "$W/nonexistent" 2>&1); rc=$?
    [ $rc = 66 ] || fail "recover of a missing path exits $rc, expected 66: $out"
    out=$("$LINECAP" recover --bogus "$W" 2>&1); rc=$?
    [ $rc = 64 ] || fail "recover --bogus exits $rc, expected 64: $out"
    # a torn header over real bytes is reported and left as it is (73)
    head -c 10 "$W/busy.pcap" >"$W/.torn.pcap.partial"
    touch -d '-1 hour' "$W/.torn.pcap.partial"
    out=$("$LINECAP" recover "$W" 2>&1); rc=$?
    [ $rc = 73 ] || fail "recover of a torn header exits $rc, expected 73: $out"
    echo "$out" | grep -q "torn.pcap.partial: no complete file header (a torn file header) and not all zero bytes: left as it is" ||
        fail "no line for the torn header: $out"
    [ "$(stat -c %s "$W/.torn.pcap.partial")" = 10 ] && [ ! -e "$W/torn.pcap" ] || fail "torn header file changed: $(ls -lA "$W")"
}

# old_partial NAME: set NAME's mtime an hour back (past the young-file rule)
old_partial() { touch -d '-1 hour' "$W/$1"; }

# recover_one NAME: run recover on W/NAME alone; sets out, rc
recover_one() {
    out=$("$LINECAP" recover "$W/$1" 2>&1); rc=$?
    log "recover $1: exit $rc: $out"
}

# unchanged NAME: W/NAME is byte for byte its copy in T
unchanged() { cmp -s "$W/$1" "$T/$1" || fail "$1 was changed: $(ls -lA "$W" | tr '\n' '|')"; }

# recover removes only what is empty or zeros to the last byte and not new,
# changes nothing before it has secured the new name, leaves a locked file
# alone, and says per file what it did
register recover_safety asan
case_recover_safety() {
    local out rc hdr
    editcap -F nsecpcap "$MIXED" "$T/ns.pcap" || fail "editcap failed"
    # 1. a zero file header then records (data after the zeros): not removed
    { head -c 4096 /dev/zero; tail -c +25 "$T/ns.pcap"; } >"$W/.g.pcap.partial"
    old_partial .g.pcap.partial; cp "$W/.g.pcap.partial" "$T/"
    recover_one .g.pcap.partial
    [ $rc = 73 ] || fail "zeros then data: exit $rc, expected 73: $out"
    echo "$out" | grep -q "no complete file header (a file header of zeros, but data after it) and not all zero bytes: left as it is, nothing changed" ||
        fail "zeros then data: '$out'"
    unchanged .g.pcap.partial
    #    zeros to the very end (12 KiB): removed, and said so
    head -c 12288 /dev/zero >"$W/.z.pcap.partial"; old_partial .z.pcap.partial
    recover_one .z.pcap.partial
    [ $rc = 0 ] && echo "$out" | grep -q "z.pcap.partial: removed (12288 bytes, all zero): nothing captured in it" ||
        fail "an all-zero file: exit $rc: $out"
    [ ! -e "$W/.z.pcap.partial" ] || fail "the all-zero file is still there"
    # 2. a pcapng section header longer than the file: torn, left as it is
    $PY -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IIIHHq", 0x0A0D0D0A, 4096, 0x1A2B3C4D, 1, 0, -1) + bytes(200))' \
        >"$W/.s.pcapng.partial"
    old_partial .s.pcapng.partial; cp "$W/.s.pcapng.partial" "$T/"
    recover_one .s.pcapng.partial
    [ $rc = 73 ] && echo "$out" | grep -q "a section header longer than the file (torn)) and not all zero bytes: left as it is" ||
        fail "SHB longer than the file: exit $rc: $out"
    unchanged .s.pcapng.partial
    # 3. both names taken: the partial is not trimmed, not renamed, and said so
    { cat "$T/ns.pcap"; head -c 3000 /dev/zero; } >"$W/.t.pcap.partial"
    cp "$W/.t.pcap.partial" "$T/"
    echo other >"$W/t.pcap"; echo other >"$W/t.recovered.pcap"
    recover_one .t.pcap.partial
    [ $rc = 73 ] && echo "$out" | grep -q "t.pcap.partial: t.pcap and its .recovered name both exist; left as it is, nothing changed" ||
        fail "both names taken: exit $rc: $out"
    unchanged .t.pcap.partial
    [ "$(cat "$W/t.pcap")$(cat "$W/t.recovered.pcap")" = otherother ] || fail "an existing file was changed"
    rm -f "$W/t.recovered.pcap"
    recover_one .t.pcap.partial         # now one name is free: recovered there
    [ $rc = 0 ] && [ ! -e "$W/.t.pcap.partial" ] || fail "recover with a free .recovered name: exit $rc: $out"
    pcap_valid "$W/t.recovered.pcap"
    [ "$PV_COUNT" = "$(cap_count "$MIXED")" ] || fail "t.recovered.pcap holds $PV_COUNT records"
    # 4. locked (as a capture holds its file): skipped with a line saying so
    cp "$T/.t.pcap.partial" "$W/.l.pcap.partial"; old_partial .l.pcap.partial
    cp "$W/.l.pcap.partial" "$T/"
    flock -x "$W/.l.pcap.partial" sleep 5 &
    local fpid=$!
    sleep 0.3
    recover_one .l.pcap.partial
    kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
    [ $rc = 0 ] && echo "$out" | grep -q "l.pcap.partial: in use by a running capture (locked), left alone" ||
        fail "a locked file: exit $rc: $out"
    unchanged .l.pcap.partial
    # 5. empty or zeros, but just written: left alone (a capture may be
    #    starting it); once older than 5 s, removed
    : >"$W/.y.pcap.partial"
    head -c 4096 /dev/zero >"$W/.y2.pcap.partial"
    out=$("$LINECAP" recover "$W" 2>&1); rc=$?
    log "recover: $out"
    echo "$out" | grep -q "y.pcap.partial: empty, but modified [0-9.]* s ago (under 5 s: a capture may be starting it), left alone" &&
        echo "$out" | grep -q "y2.pcap.partial: all zero bytes, but modified [0-9.]* s ago (under 5 s" ||
        fail "young empty files: $out"
    echo "$out" | tail -1 | grep -q " 2 too new," || fail "summary: $(echo "$out" | tail -1)"
    [ -e "$W/.y.pcap.partial" ] && [ -e "$W/.y2.pcap.partial" ] || fail "a young empty file was removed"
    touch -d '-6 sec' "$W/.y.pcap.partial"
    recover_one .y.pcap.partial
    [ $rc = 0 ] && [ ! -e "$W/.y.pcap.partial" ] && echo "$out" | grep -q "removed (0 bytes)" ||
        fail "an empty file 6 s old: exit $rc: $out"
}

# zero_len_partial FILE: a crashed partial file written the way linecap
# writes pcap: 5 records, two of them caplen 0 (one with origlen 60, one
# with no length at all but a timestamp), one cut by the snap length
# (origlen 80054), then the zero padding of the last direct write
zero_len_partial() {
    $PY - "$1" <<'PYEOF'
import struct, sys
h = struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 262144, 1)
eth = bytes.fromhex('ffffffffffff020000000001') + b'\x08\x00' + bytes(range(46))
def r(sec, ns, cap, orig, data=b''):
    return struct.pack('<IIII', sec, ns, cap, orig) + data
d = (h + r(1700000000, 1, 60, 60, eth) + r(1700000000, 2, 0, 60) + r(1700000000, 3, 0, 0)
     + r(1700000000, 4, 60, 80054, eth) + r(1700000000, 5, 60, 60, eth))
open(sys.argv[1], 'wb').write(d + bytes(4096 - len(d) % 4096))
PYEOF
}

# caplen-0 records in the middle of a partial file are records: recover
# keeps all 5 (readers agree), cuts only the zero padding
register recover_zero_length
case_recover_zero_length() {
    local out rc
    zero_len_partial "$W/.z.pcap.partial"
    out=$("$LINECAP" recover "$W" 2>&1); rc=$?
    log "recover: $out"
    [ $rc = 0 ] || fail "recover exits $rc: $out"
    echo "$out" | grep -q "kept 5 records, 284 bytes," || fail "recover did not keep the 5 records: $out"
    pcap_valid "$W/z.pcap"
    [ "$PV_COUNT" = 5 ] || fail "z.pcap holds $PV_COUNT records, expected 5"
}
