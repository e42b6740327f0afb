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
    # a partial name holding nothing (torn header) is removed, not renamed
    head -c 10 "$W/busy.pcap" >"$W/.torn.pcap.partial"
    out=$("$LINECAP" recover "$W" 2>&1) || fail "recover exits $?: $out"
    [ ! -e "$W/.torn.pcap.partial" ] && [ ! -e "$W/torn.pcap" ] || fail "torn header file not removed: $(ls -A "$W")"
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
