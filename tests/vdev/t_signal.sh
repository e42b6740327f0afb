# Signals: SIGTERM under load, a second SIGINT, SIGINT when idle.
# shellcheck shell=bash

# load_checks WHAT JSON [members-input]: after a signalled stop under load:
# no .partial, every file valid (capinfos, tcpdump, lcheck), the records summed
# over the files == totals.written, the JSON identity holds, stop_reason
# "signal", something was received and written; with an input, every record is
# a whole frame of it
load_checks() {
    local what=$1 json=$2 input=${3:-} files f sum=0 written
    no_partials
    mapfile -t files < <(out_files)
    [ "${#files[@]}" -ge 1 ] || fail "$what: no output file"
    for f in "${files[@]}"; do
        pcap_valid_big "$f"
        sum=$((sum + PV_COUNT))
    done
    [ -s "$json" ] || fail "$what: no stats JSON"
    [ "$($LCHECK identity "$json")" = ok ] || fail "$what: $($LCHECK identity "$json")"
    written=$(jget "$json" 'd["totals"]["written"]')
    [ "$sum" = "$written" ] || fail "$what: files hold $sum records (capinfos), JSON totals.written = $written"
    [ "$(jget "$json" 'd["stop_reason"]')" = signal ] || fail "$what: stop_reason $(jget "$json" 'd["stop_reason"]'), expected signal"
    [ "$(jget "$json" 'd["totals"]["received"] > 0 and d["totals"]["written"] > 0')" = true ] ||
        fail "$what: nothing received or written: $(jget "$json" 'd["totals"]')"
    [ "$(jget "$json" 'len(d["files"])')" = "${#files[@]}" ] ||
        fail "$what: JSON lists $(jget "$json" 'len(d["files"])') files, ${#files[@]} on disk"
    if [ -n "$input" ]; then
        out=$($LCHECK members "$input" "${files[@]}") || fail "$what: $out"
    fi
}

# SIGTERM at full speed (net_pcap infinite_rx of mixed frames, rotation by
# size): exit 0 within 5 s, every file valid and complete
register sigterm_load asan
case_sigterm_load() {
    lc_bg -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/load.pcap" -b filesize:400000 --stats-json "$T/s.json"
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    sleep 0.5
    lc_alive || { lc_wait_exit 1; fail "linecap ended before the signal (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    kill -TERM "$LC_PID"
    lc_wait_exit 5
    expect_rc 0 "SIGTERM under load"
    awk -v s="$LC_EXIT_SECS" 'BEGIN{exit !(s <= 5)}' || fail "exit ${LC_EXIT_SECS}s after SIGTERM, limit 5 s"
    load_checks "SIGTERM under load" "$T/s.json" "$MIXED"
}

# SIGINT, then a second SIGINT 10 ms later, while the first one's drain runs
# (net_null0 of 1400 B frames, a 256 MiB pool to drain): exit within 1 s of
# the second, normally (not by a signal), with valid files, no .partial and
# complete accounting (what was not written is unwritten_abort)
register sigint_twice asan
case_sigint_twice() {
    lc_bg -i "net_null0,size=1400" -w "$W/twice.pcap" -B 256 --stats-json "$T/s.json"
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    sleep 0.5
    lc_alive || { lc_wait_exit 1; fail "linecap ended before the signal (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    kill -INT "$LC_PID"
    sleep 0.01
    lc_alive || log "note: linecap had finished its drain before the second SIGINT"
    kill -INT "$LC_PID" 2>/dev/null
    lc_wait_exit 1
    [ "$LC_RC" -lt 128 ] || fail "ended by a signal (exit $LC_RC) after the second SIGINT"
    awk -v s="$LC_EXIT_SECS" 'BEGIN{exit !(s <= 1)}' || fail "exit ${LC_EXIT_SECS}s after the second SIGINT, limit 1 s"
    load_checks "second SIGINT (exit $LC_RC)" "$T/s.json"
}

# SIGINT on an idle port: exit 0 within 5 s, one valid empty file
register sigint_idle
case_sigint_idle() {
    lc_bg -i net_ring0 -w "$W/idle.pcap" --stats-json "$T/s.json"
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    sleep 0.3
    kill -INT "$LC_PID"
    lc_wait_exit 5
    expect_rc 0 "SIGINT when idle"
    awk -v s="$LC_EXIT_SECS" 'BEGIN{exit !(s <= 5)}' || fail "exit ${LC_EXIT_SECS}s after SIGINT, limit 5 s"
    no_partials
    [ "$(ls -A "$W" | tr '\n' ' ')" = "idle.pcap idle.pcap.idx idle.pcap.manifest.json " ] || fail "output dir holds '$(ls -A "$W" | tr '\n' ' ')', expected idle.pcap"
    pcap_header_ok "$W/idle.pcap" 262144
    pcap_valid "$W/idle.pcap"
    [ "$PV_COUNT" = 0 ] || fail "$PV_COUNT records from a silent port"
    [ "$(jget "$T/s.json" '[d["stop_reason"], d["exit_code"], d["totals"]["received"]]')" = "signal 0 0" ] ||
        fail "JSON stop_reason/exit_code/received $(jget "$T/s.json" '[d["stop_reason"], d["exit_code"], d["totals"]["received"]]')"
}

# A signal during the drain after a -c stop (issue 11, item 9): the disk is
# throttled to 40 MB/s so that writing the queued 150000 frames of 1400 B
# (212 MB, all in the 256 MiB pool) takes ~5 s. One SIGTERM then is a clean
# stop like any first signal: everything queued is written (before: it
# aborted and counted the queue as unwritten_abort). Two signals force.
register signal_during_drain
case_signal_during_drain() {
    local n=150000 r
    e2e_throttle "$W" 40000000
    local real=$LINECAP
    for sigs in 1 2; do
        rm -rf "${W:?}"/*
        LINECAP=$T/throttled lc_bg -i "net_null0,size=1400" -w "$W/d$sigs.pcap" -B 256 -c "$n" \
            --stats-json "$T/d$sigs.json"
        wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
        sleep 1
        lc_alive || { lc_wait_exit 1; fail "linecap finished its drain within 1 s: the disk is not slow (exit $LC_RC)"; }
        kill -TERM "$LC_PID"
        if [ "$sigs" = 2 ]; then
            sleep 0.2
            kill -TERM "$LC_PID"
            lc_wait_exit 2
        else
            lc_wait_exit 30
        fi
        expect_rc 0 "$sigs SIGTERM during the drain after -c $n"
        [ "$($LCHECK identity "$T/d$sigs.json")" = ok ] || fail "identity: $($LCHECK identity "$T/d$sigs.json")"
        r=$(jget "$T/d$sigs.json" '[d["stop_reason"], d["totals"]["written"], d["totals"]["unwritten_abort"], d.get("forced", False)]')
        if [ "$sigs" = 1 ]; then
            [ "$r" = "limit $n 0 False" ] ||
                fail "one SIGTERM during the drain: stop_reason/written/unwritten_abort/forced = $r, expected limit $n 0 False"
            pcap_valid_big "$W/d1.pcap"
            [ "$PV_COUNT" = "$n" ] || fail "d1.pcap holds $PV_COUNT records, expected $n"
        else
            case $r in
            "limit "*" True") ;;
            *) fail "two SIGTERMs during the drain: stop_reason/written/unwritten_abort/forced = $r, expected a forced stop" ;;
            esac
            [ "$(jget "$T/d2.json" 'd["totals"]["unwritten_abort"] > 0')" = true ] ||
                fail "two SIGTERMs: nothing counted as unwritten_abort ($r)"
        fi
        no_partials
    done
    LINECAP=$real
}
