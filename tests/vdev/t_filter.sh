# Capture filters (-f EXPR, or trailing words): verdicts identical to
# libpcap's, filtered packets counted as filtered, bad expressions refused
# before anything starts.
# shellcheck shell=bash

FILTER_PCAP=$DATA/filter.pcap
FILTER_EXPRS=$VDEV/filter_exprs.txt

# filter_exprs: the expressions of filter_exprs.txt, one a line
filter_exprs() { grep -v -e '^#' -e '^$' "$FILTER_EXPRS"; }

# filter_table STRIDE ENGINE_ARGS...: every STRIDE-th expression through
# linecap reading filter.pcap from net_pcap must write exactly the frames
# `tcpdump -r -w EXPR` writes (same bytes, same order), and count every other
# frame as filtered: received = in, filtered = in - out, written = out,
# identity exact. net_pcap hands over the whole file in the first
# milliseconds, so each run lasts 0.2 s; a run that has not received the
# whole file by then (a descheduled core) is repeated with 2 s.
filter_table() {
    local stride=$1; shift
    local n expr want got i=0 k=0 errs="" j J engine want_engine=JIT
    n=$(cap_count "$FILTER_PCAP")
    [ "${1:-}" = --no-jit ] && want_engine=interpreter
    while IFS= read -r expr; do
        k=$((k + 1))
        [ $(((k - 1) % stride)) = 0 ] || continue
        i=$((i + 1))
        # DPDK cannot convert protochain (it jumps backwards): libpcap runs it
        engine=$want_engine
        case $expr in *protochain*) engine=libpcap ;; esac
        tcpdump -r "$FILTER_PCAP" -w "$T/want$i.pcap" "$expr" 2>"$T/tcpdump.err" ||
            fail "tcpdump rejects '$expr': $(tail -1 "$T/tcpdump.err")"
        want=$(cap_count "$T/want$i.pcap")
        J='[d["totals"]["nic_packets"], d["totals"]["received"], d["totals"]["filtered"], d["totals"]["written"], d["totals"]["after_limit"], d["filter"]["engine"], d["filter"]["expression"]]'
        lc -i "net_pcap0,rx_pcap=$FILTER_PCAP" -w "$W/f$i.pcap" -a duration:0.2 \
            --stats-json "$T/s$i.json" "$@" -f "$expr"
        [ "$LC_RC" = 0 ] && j=$(jget "$T/s$i.json" "$J")
        if [ "$LC_RC" = 0 ] && [ "$(echo "$j" | cut -d' ' -f2)" != "$n" ]; then
            log "  [$expr] the file was not read whole in 0.2 s: again with 2 s"
            rm -f "$W/f$i.pcap"
            lc -i "net_pcap0,rx_pcap=$FILTER_PCAP" -w "$W/f$i.pcap" -a duration:2 \
                --stats-json "$T/s$i.json" "$@" -f "$expr"
            [ "$LC_RC" = 0 ] && j=$(jget "$T/s$i.json" "$J")
        fi
        if [ "$LC_RC" != 0 ]; then
            errs="$errs; [$expr] exit $LC_RC: $(head -c 200 "$LC_ERR" | tr '\n' '|')"
            continue
        fi
        grep -qF "filter '$expr': $engine" "$LC_ERR" ||
            errs="$errs; [$expr] start line does not say '$engine': $(grep -m1 "filter '" "$LC_ERR")"
        frames_text "$T/want$i.pcap" >"$T/want.txt"
        frames_text "$W/f$i.pcap" >"$T/got.txt"
        if ! cmp -s "$T/want.txt" "$T/got.txt"; then
            got=$(cap_count "$W/f$i.pcap")
            errs="$errs; [$expr] linecap wrote $got frames, tcpdump $want; first difference: $(diff "$T/want.txt" "$T/got.txt" | head -2 | tr '\n' '|' | cut -c1-160)"
            continue
        fi
        [ "$j" = "$n $n $((n - want)) $want 0 $engine $expr" ] ||
            errs="$errs; [$expr] JSON nic_packets/received/filtered/written/after_limit/engine/expression: $j, expected $n $n $((n - want)) $want 0 $engine $expr"
        [ "$($LCHECK identity "$T/s$i.json")" = ok ] ||
            errs="$errs; [$expr] $($LCHECK identity "$T/s$i.json")"
        rm -f "$W/f$i.pcap" "$T/want$i.pcap"
    done < <(filter_exprs)
    [ "$i" -ge $((100 / stride)) ] || fail "only $i expressions of $FILTER_EXPRS run"
    [ -z "$errs" ] || fail "${errs#; }"
}

# filter_jit: every expression (over 100), run by DPDK's JIT
register filter_jit
case_filter_jit() { filter_table 1; }

# filter_interp: every fourth expression run by DPDK's interpreter (--no-jit,
# the engine where there is no JIT); filter_diff compares all of them with
# libpcap verdict by verdict
register filter_interp
case_filter_interp() { filter_table 4 --no-jit; }

# filter_diff: every expression x every frame x three mbuf layouts (one
# segment, split in the Ethernet header, split in the middle) x the three
# engines (DPDK JIT, DPDK interpreter, libpcap over the mbuf), against
# libpcap's own pcap_offline_filter; and proof that each repair matters:
# without the indirect-load repair the interpreter disagrees
register filter_diff asan
case_filter_diff() {
    local tool out
    tool=$(dirname "$LINECAP")/tests/unit/bpfdiff
    [ -x "$tool" ] || fail "no $tool"
    out=$(timeout -s KILL 120 "$tool" "$FILTER_PCAP" "$FILTER_EXPRS" 2>"$T/bpfdiff.err")
    local rc=$?
    log "$out"
    check_sanitizer "$T/bpfdiff.err"
    [ $rc = 0 ] || fail "bpfdiff exit $rc: $(echo "$out" | head -5 | tr '\n' '|') $(head -c 200 "$T/bpfdiff.err")"
    echo "$out" | grep -qE '^[0-9]+ expressions x 260 frames x 3 layouts x 3 engines: [0-9]+ verdicts, 0 disagreements \(repairs: [1-9][0-9]* indirect loads, [1-9][0-9]* jset; 4 loads fell back to libpcap\)$' ||
        fail "bpfdiff summary: $(echo "$out" | tail -1)"
    # the oracle can fail: DPDK's conversion without the indirect-load repair
    # (the JIT's jset repair kept, as without it the JIT crashes)
    out=$(timeout -s KILL 120 "$tool" "$FILTER_PCAP" "$FILTER_EXPRS" --repairs 2 2>"$T/bpfdiff2.err")
    rc=$?
    check_sanitizer "$T/bpfdiff2.err"
    [ $rc = 1 ] && echo "$out" | grep -qF "'tcp[tcpflags] & tcp-syn != 0': frame" ||
        fail "without the indirect-load repair bpfdiff should disagree on tcp flags: exit $rc, $(echo "$out" | tail -1)"
}

# filter_bad: an invalid expression exits 65 before anything starts, with one
# line naming the expression and libpcap's reason, and creates no file; a
# filter both as -f and as words, or an empty -f, is a usage error (64)
register filter_bad asan
case_filter_bad() {
    local P="net_pcap0,rx_pcap=$FILTER_PCAP" errs="" e
    local bad=("tcp prot 80" "host 300.1.1.1" "ip[" "udp port 99999" "ether host zz:00:00:00:00:01"
               "tcp[tcpflags] & tcp-syn != 0 and vlan" "portrange 2000-" "frobnicate")
    for e in "${bad[@]}"; do
        lc_raw -i "$P" -w "$W/bad.pcap" -f "$e"
        if [ "$LC_RC" != 65 ]; then
            errs="$errs; [-f '$e'] exit $LC_RC (want 65): $(head -c 160 "$LC_ERR" | tr '\n' '|')"
        elif [ "$(grep -c '' "$LC_ERR")" != 1 ]; then
            errs="$errs; [-f '$e'] $(grep -c '' "$LC_ERR") stderr lines (want 1): $(head -c 200 "$LC_ERR" | tr '\n' '|')"
        else
            local msg
            msg=$(tcpdump -r "$FILTER_PCAP" -w /dev/null "$e" 2>&1 | sed -n 's/^tcpdump: //p' | head -1)
            [ -n "$msg" ] || fail "tcpdump accepts '$e'"
            grep -qF -- "'$e'" "$LC_ERR" || errs="$errs; [-f '$e'] stderr does not name the expression: $(cat "$LC_ERR")"
            grep -qF -- "$msg" "$LC_ERR" || errs="$errs; [-f '$e'] stderr lacks libpcap's message '$msg': $(cat "$LC_ERR")"
        fi
        [ -z "$(ls -A "$W")" ] || { errs="$errs; [-f '$e'] left files: $(ls -A "$W" | tr '\n' ' ')"; rm -rf "${W:?}"/* "$W"/.[!.]*; }
    done
    # valid for tcpdump -r (netmask 0) but not with an unknown netmask
    lc_raw -i "$P" -w "$W/bad.pcap" -f "ip broadcast"
    [ "$LC_RC" = 65 ] && [ "$(grep -c '' "$LC_ERR")" = 1 ] && grep -qF "'ip broadcast'" "$LC_ERR" &&
        grep -qF "netmask not known" "$LC_ERR" ||
        errs="$errs; [-f 'ip broadcast'] exit $LC_RC: $(head -c 200 "$LC_ERR" | tr '\n' '|')"
    # the same through the trailing words, and with --count-only
    lc_raw -i "$P" -w "$W/bad.pcap" tcp prot 80
    [ "$LC_RC" = 65 ] && grep -qF "'tcp prot 80'" "$LC_ERR" ||
        errs="$errs; [trailing 'tcp prot 80'] exit $LC_RC: $(head -c 160 "$LC_ERR")"
    lc_raw -i "$P" --count-only -f "ip[" 
    [ "$LC_RC" = 65 ] || errs="$errs; [--count-only -f 'ip['] exit $LC_RC (want 65)"
    # usage errors: -f and words, -f twice, empty -f, --no-jit without a filter
    local use=("-f udp tcp" "-f udp -f tcp" "-f ''" "--no-jit")
    for e in "${use[@]}"; do
        eval "lc_raw -i \"\$P\" -w \"\$W/bad.pcap\" $e"
        [ "$LC_RC" = 64 ] && [ "$(grep -c '' "$LC_ERR")" = 1 ] ||
            errs="$errs; [$e] exit $LC_RC, $(grep -c '' "$LC_ERR") lines (want 64, 1): $(head -c 160 "$LC_ERR" | tr '\n' '|')"
    done
    [ -z "$(ls -A "$W")" ] || errs="$errs; files left: $(ls -A "$W" | tr '\n' ' ')"
    [ -z "$errs" ] || fail "${errs#; }"
}

# filter_words: the filter as trailing words (tcpdump style), -c counting
# matches, --count-only with a filter, EAL arguments after -- untouched
register filter_words asan
case_filter_words() {
    local P="net_pcap0,rx_pcap=$FILTER_PCAP" n want j
    n=$(cap_count "$FILTER_PCAP")
    tcpdump -r "$FILTER_PCAP" -w "$T/want.pcap" "tcp and port 80" 2>/dev/null
    want=$(cap_count "$T/want.pcap")
    # words before and after options, as getopt permutes them
    lc -i "$P" tcp and -w "$W/w.pcap" port 80 -a duration:0.5 --stats-json "$T/w.json"
    expect_rc 0 "filter as words"
    frames_text "$T/want.pcap" >"$T/want.txt"
    frames_text "$W/w.pcap" >"$T/got.txt"
    same_frames "$T/got.txt" "$T/want.txt" "filter as words 'tcp and port 80'"
    [ "$(jget "$T/w.json" 'd["filter"]["expression"]')" = "tcp and port 80" ] ||
        fail "JSON filter expression: $(jget "$T/w.json" 'd["filter"]')"
    # -c N counts packets that match: exactly the first N matches
    lc -i "$P" -w "$W/c.pcap" -c 5 -f "tcp and port 80" --stats-json "$T/c.json"
    expect_rc 0 "-c 5 with a filter"
    editcap -r "$T/want.pcap" "$T/first5.pcap" 1-5 2>/dev/null
    frames_text "$T/first5.pcap" >"$T/want5.txt"
    frames_text "$W/c.pcap" >"$T/got5.txt"
    same_frames "$T/got5.txt" "$T/want5.txt" "-c 5 -f 'tcp and port 80'"
    j=$(jget "$T/c.json" '[d["stop_reason"], d["totals"]["written"], d["totals"]["received"] - d["totals"]["filtered"]]')
    [ "$j" = "limit 5 5" ] || fail "-c 5 JSON stop_reason/written/received-filtered: $j"
    [ "$($LCHECK identity "$T/c.json")" = ok ] || fail "-c 5: $($LCHECK identity "$T/c.json")"
    # --count-only: received = filtered + counted_only
    cd "$W" || fail "cd"
    lc -i "$P" --count-only -a duration:0.5 --stats-json "$T/co.json" -f "tcp and port 80"
    cd "$LC_ROOT" || fail "cd"
    expect_rc 0 "--count-only with a filter"
    j=$(jget "$T/co.json" '[d["totals"]["received"], d["totals"]["filtered"], d["totals"]["counted_only"]]')
    [ "$j" = "$n $((n - want)) $want" ] || fail "--count-only JSON received/filtered/counted_only: $j, expected $n $((n - want)) $want"
    [ "$($LCHECK identity "$T/co.json")" = ok ] || fail "--count-only: $($LCHECK identity "$T/co.json")"
    grep -q "packets filtered out by 'tcp and port 80'" "$LC_ERR" ||
        fail "summary does not name the filter: $(grep filtered "$LC_ERR")"
}
