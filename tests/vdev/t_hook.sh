# Post-rotation hand-off (-z CMD) and wall-clock rotation (-b interval:S).
# The hook is a script that records each call: its argument count and path,
# the file's size and packet count as tcpdump reads it then, whether tcpdump
# read it whole, whether NAME.idx is there, whether a partial name for it
# still exists, and the uid it runs as. The oracle is tcpdump, at call time
# and after the run.
# shellcheck shell=bash

# hook_setup: $HK (a directory anyone may write: -Z nobody), $HOOK (the
# script), $HLOG (its log). Env: HOOK_EXIT (exit status), HOOK_SLEEP (s).
hook_setup() {
    HK=$T/hk
    mkdir -p "$HK"
    chmod 1777 "$HK"
    HOOK=$HK/hook.sh
    HLOG=$HK/calls.log
    : >"$HLOG"
    chmod 666 "$HLOG"
    cat >"$HOOK" <<EOF
#!/bin/sh
f=\$1
n=\$(basename "\$f")
d=\$(dirname "\$f")
[ -n "\$HOOK_SLEEP" ] && sleep "\$HOOK_SLEEP"
size=\$(stat -c %s "\$f" 2>/dev/null || echo missing)
cnt=\$(tcpdump -r "\$f" -nn -q 2>/dev/null | wc -l)
if tcpdump -r "\$f" -nn -q >/dev/null 2>&1; then ok=valid; else ok=invalid; fi
[ -e "\$f.idx" ] && idx=idx || idx=noidx
[ -e "\$d/.\$n.partial" ] && part=partial || part=nopartial
echo "\$# \$f \$size \$cnt \$ok \$idx \$part \$(id -u)" >>"$HLOG"
exit \${HOOK_EXIT:-0}
EOF
    chmod 755 "$HOOK"
}

# check_calls WHAT [UID]: one call per file in $W, in file order, each when
# the file was whole (valid, final size and count, index in place, no
# partial name), as UID (default: ours)
check_calls() {
    local what=$1 uid=${2:-$(id -u)} files nf i f line
    mapfile -t files < <(out_files)
    nf=${#files[@]}
    [ "$nf" -ge 1 ] || fail "$what: no capture file"
    [ "$(wc -l <"$HLOG")" = "$nf" ] ||
        fail "$what: $(wc -l <"$HLOG") hook calls for $nf files: $(cut -d' ' -f2 "$HLOG" | xargs -n1 basename | tr '\n' ' ')"
    for ((i = 0; i < nf; i++)); do
        f=${files[$i]}
        line=$(sed -n "$((i + 1))p" "$HLOG")
        pcap_valid "$f"
        read -r -a c <<<"$line"
        [ "${c[0]}" = 1 ] || fail "$what: call $((i + 1)) had ${c[0]} arguments, expected 1 (FILE)"
        [ "${c[1]}" = "$(realpath "$f")" ] || fail "$what: call $((i + 1)) was for ${c[1]}, expected $f (order or duplicate)"
        [ "${c[2]}" = "$(stat -c %s "$f")" ] || fail "$what: $(basename "$f") was ${c[2]} bytes at call time, $(stat -c %s "$f") after"
        [ "${c[3]}" = "$PV_COUNT" ] || fail "$what: tcpdump read ${c[3]} packets of $(basename "$f") at call time, $PV_COUNT after"
        [ "${c[4]}" = valid ] || fail "$what: tcpdump could not read $(basename "$f") at call time"
        [ "${c[5]}" = idx ] || fail "$what: $(basename "$f").idx was not in place at call time"
        [ "${c[6]}" = nopartial ] || fail "$what: a partial name of $(basename "$f") existed at call time"
        [ "${c[7]}" = "$uid" ] || fail "$what: the hook ran as uid ${c[7]}, expected $uid"
    done
    HOOK_NF=$nf
}

# the JSON's hook counters: started succeeded failed queue_full not_run
hook_counts() {
    jget "$1" '" ".join(str(d["totals"][k]) for k in ("hook_started","hook_succeeded","hook_failed","hook_queue_full","hook_not_run"))'
}

# -c stop with rotation by packets: 6 files, each handed over once, in
# order, whole, the last one (closed by the stop) too
register hook_count_stop asan
case_hook_count_stop() {
    hook_setup
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/cap.pcap" -c 263 -b packets:50 -z "$HOOK" \
        --stats-json "$T/s.json"
    expect_rc 0 "-c 263 -b packets:50 -z"
    no_partials
    check_calls "-c stop"
    [ "$HOOK_NF" = 6 ] || fail "$HOOK_NF files, expected 6"
    [ "$(hook_counts "$T/s.json")" = "6 6 0 0 0" ] || fail "hook counters $(hook_counts "$T/s.json"), expected 6 6 0 0 0"
    [ "$(jget "$T/s.json" '",".join(f.get("post_rotate","-") for f in d["files"])')" = "ok,ok,ok,ok,ok,ok" ] ||
        fail "files' post_rotate: $(jget "$T/s.json" '",".join(f.get("post_rotate","-") for f in d["files"])')"
    [ "$(jget "$T/s.json" 'd["totals"]["drops"]')" = 0 ] || fail "hook counters counted as drops"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
}

# SIGTERM: the file open at the signal is handed over too, after its close;
# with -Z nobody (when root) the hook runs as nobody
register hook_sigterm asan
case_hook_sigterm() {
    local uid
    hook_setup
    uid=$(id -u)
    local z=()
    if [ "$uid" = 0 ] && id nobody >/dev/null 2>&1 && runuser -u nobody -- test -x "$HOOK" 2>/dev/null; then
        chown nobody "$W"
        z=(-Z nobody)
        uid=$(id -u nobody)
    else
        log "note: not root or nobody cannot reach $HOOK: the hook runs as $(id -un)"
    fi
    lc_bg -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/sig.pcap" -b packets:100 -z "$HOOK" "${z[@]}" \
        --stats-json "$T/s.json"
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC): $(head -c 300 "$LC_ERR")"; }
    # the 263 packets: two full files handed over, the third open
    local i
    for i in $(seq 1 100); do [ "$(wc -l <"$HLOG")" -ge 2 ] && break; sleep 0.05; done
    sleep 0.3
    lc_alive || { lc_wait_exit 1; fail "linecap ended before the signal (exit $LC_RC)"; }
    [ "$(wc -l <"$HLOG")" = 2 ] || fail "$(wc -l <"$HLOG") calls before the signal, expected 2 (the third file is open)"
    kill -TERM "$LC_PID"
    lc_wait_exit 10
    expect_rc 0 "SIGTERM with -z"
    no_partials
    check_calls "SIGTERM" "$uid"
    [ "$HOOK_NF" = 3 ] || fail "$HOOK_NF files, expected 3"
    [ "$(hook_counts "$T/s.json")" = "3 3 0 0 0" ] || fail "hook counters $(hook_counts "$T/s.json"), expected 3 3 0 0 0"
}

# -a stops: -a files:3 (the rotation policy's stop) and -a duration
register hook_autostop
case_hook_autostop() {
    hook_setup
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/a.pcap" -b packets:50 -a files:3 -z "$HOOK" \
        --stats-json "$T/s.json"
    expect_rc 0 "-a files:3 -z"
    check_calls "-a files:3"
    [ "$HOOK_NF" = 3 ] || fail "-a files:3: $HOOK_NF files"
    rm -f "$W"/*
    hook_setup
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/d.pcap" -b packets:200 -a duration:1.5 -z "$HOOK" \
        --stats-json "$T/d.json"
    expect_rc 0 "-a duration:1.5 -z"
    check_calls "-a duration"
    [ "$HOOK_NF" = 2 ] || fail "-a duration: $HOOK_NF files, expected 2"
    [ "$(hook_counts "$T/d.json")" = "2 2 0 0 0" ] || fail "hook counters $(hook_counts "$T/d.json")"
}

# a failing hook (exit 3): counted, one line each, the capture unaffected
register hook_fail
case_hook_fail() {
    hook_setup
    HOOK_EXIT=3 lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/f.pcap" -c 263 -b packets:100 -z "$HOOK" \
        --stats-json "$T/s.json"
    expect_rc 0 "a failing hook"
    check_calls "failing hook"
    [ "$(hook_counts "$T/s.json")" = "3 0 3 0 0" ] || fail "hook counters $(hook_counts "$T/s.json"), expected 3 0 3 0 0"
    [ "$(grep -c 'post-rotate: .*exit status 3' "$LC_ERR")" = 3 ] ||
        fail "expected 3 lines 'exit status 3': $(grep post-rotate "$LC_ERR" | head -5)"
    grep -q '^post-rotate: 3 started, 0 succeeded, 3 failed' "$LC_ERR" || fail "no hook line in the summary"
    # a command that is not executable: refused before capture (64), no file
    chmod 644 "$HOOK"
    rm -f "$W"/*
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/x.pcap" -z "$HOOK"
    expect_rc 64 "-z on a file that is not executable"
    grep -q -- "-z '$HOOK'" "$LC_ERR" || fail "the error does not name the command: $(head -c 300 "$LC_ERR")"
    [ -z "$(out_files)" ] || fail "files left after the refusal: $(out_files)"
}

# a slow hook and a queue of 1: files not handed over are counted, named in
# a warning and listed, and stay on disk; every file either ran or is listed.
# Then a wait at exit shorter than the work: not_run counted and listed.
register hook_queue_full
case_hook_queue_full() {
    local nf started full names
    hook_setup
    HOOK_SLEEP=0.4 lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/q.pcap" -c 263 -b packets:20 -z "$HOOK" \
        --post-rotate-queue 1 --stats-json "$T/s.json"
    expect_rc 0 "slow hook, queue 1"
    nf=$(out_files | wc -l)
    [ "$nf" = 14 ] || fail "$nf files, expected 14"
    read -r started _ _ full _ <<<"$(hook_counts "$T/s.json")"
    [ "$full" -ge 1 ] || fail "no queue_full with a 0.4 s hook and a queue of 1 ($(hook_counts "$T/s.json"))"
    [ $((started + full)) = "$nf" ] || fail "started $started + queue_full $full != $nf files"
    [ "$(wc -l <"$HLOG")" = "$started" ] || fail "$(wc -l <"$HLOG") calls, $started started"
    names=$(jget "$T/s.json" '" ".join(f["name"] for f in d["files"] if f.get("post_rotate") == "queue_full")')
    [ "$(echo "$names" | wc -w)" = "$full" ] || fail "listed queue_full: '$names', counted $full"
    for f in $names; do
        [ -f "$W/$f" ] || fail "$f (queue full) is not on disk"
        grep -q "$f" "$HLOG" && fail "$f listed as queue_full was handed over"
        grep -q "queue full.*$f" "$LC_ERR" || [ "$full" -gt 10 ] || fail "$f not named in a warning"
    done
    # the exit wait ends before the queued commands: counted, listed, prompt
    rm -f "$W"/*
    hook_setup
    HOOK_SLEEP=1.5 lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/w.pcap" -c 263 -b packets:100 -z "$HOOK" \
        --post-rotate-queue 8 --post-rotate-wait 1 --stats-json "$T/w.json"
    expect_rc 0 "--post-rotate-wait 1"
    local nr
    read -r started _ _ full nr <<<"$(hook_counts "$T/w.json")"
    [ "$nr" -ge 1 ] || fail "nothing counted not_run with a 1.5 s hook and a 1 s wait ($(hook_counts "$T/w.json"))"
    [ "$(jget "$T/w.json" 'sum(1 for f in d["files"] if f.get("post_rotate") == "not_run")')" = "$nr" ] ||
        fail "not_run listed $(jget "$T/w.json" '[f.get("post_rotate") for f in d["files"]]'), counted $nr"
    awk -v s="$LC_SECS" 'BEGIN{exit !(s < 10)}' || fail "the run took ${LC_SECS}s with --post-rotate-wait 1"
    grep -q "not waiting any longer (--post-rotate-wait)" "$LC_ERR" || fail "no line about the ended wait"
}

# -b files:2 with a slow hook: the ring never deletes a file before its
# command ran (every call found its file whole), and at exit only 2 remain
register hook_ring
case_hook_ring() {
    local nj
    hook_setup
    HOOK_SLEEP=0.2 lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/r.pcap" -c 263 -b packets:50 -b files:2 \
        -z "$HOOK" --post-rotate-queue 16 --stats-json "$T/s.json"
    expect_rc 0 "-b files:2 -z"
    nj=$(jget "$T/s.json" 'len(d["files"])')
    [ "$nj" = 6 ] || fail "$nj files closed, expected 6"
    [ "$(wc -l <"$HLOG")" = 6 ] || fail "$(wc -l <"$HLOG") calls for 6 files"
    grep -v ' valid idx nopartial ' "$HLOG" && fail "a call found its file missing or not whole: $(grep -v ' valid ' "$HLOG" | head -2)"
    [ "$(out_files | wc -l)" = 2 ] || fail "$(out_files | wc -l) files left, expected 2 (-b files:2)"
    [ "$(hook_counts "$T/s.json")" = "6 6 0 0 0" ] || fail "hook counters $(hook_counts "$T/s.json")"
}

# -b interval:2: every file's packets lie within one even-second window
# [2k, 2k+2) (tcpdump's nanosecond timestamps), files after the first start
# in the window right after the previous file's, and their names say an even
# second. Traffic: UDP to 127.0.0.1 every 20 ms, captured on lo.
register rot_interval
case_rot_interval() {
    local files nf i f first last w prevw sec
    [ -d /sys/class/net/lo ] || skip "no lo interface"
    $PY -c '
import socket, time, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    s.sendto(b"linecap-interval-test", ("127.0.0.1", 9))
    time.sleep(0.02)
' 9 &
    local spid=$!
    lc -i lo -w "$W/iv.pcap" -b interval:2 -a duration:7 -f "udp port 9" --stats-json "$T/s.json"
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    expect_rc 0 "-b interval:2 on lo"
    mapfile -t files < <(out_files)
    nf=${#files[@]}
    [ "$nf" -ge 4 ] && [ "$nf" -le 5 ] || fail "$nf files in 7 s of -b interval:2, expected 4 or 5"
    prevw=-1
    for ((i = 0; i < nf; i++)); do
        f=${files[$i]}
        pcap_valid "$f"
        [ "$PV_COUNT" -ge 1 ] || continue
        tcpdump --time-stamp-precision=nano -tt -nn -r "$f" 2>/dev/null | awk '{print $1}' >"$T/ts.txt"
        first=$(head -1 "$T/ts.txt")
        last=$(tail -1 "$T/ts.txt")
        w=$(awk -v t="$first" 'BEGIN{printf "%d", int(t / 2)}')
        [ "$w" = "$(awk -v t="$last" 'BEGIN{printf "%d", int(t / 2)}')" ] ||
            fail "$(basename "$f"): packets from $first to $last span a 2 s boundary"
        if [ $i -gt 0 ]; then
            [ "$w" = $((prevw + 1)) ] || fail "$(basename "$f"): window $w after window $prevw (a boundary skipped or repeated)"
            # the first packet soon after the boundary (traffic every 20 ms)
            awk -v t="$first" -v b=$((w * 2)) 'BEGIN{exit !(t >= b && t < b + 0.5)}' ||
                fail "$(basename "$f"): first packet at $first, boundary $((w * 2))"
            sec=$(basename "$f" | sed -E 's/^.*_[0-9]{5}_[0-9]{12}([0-9]{2})\..*$/\1/')
            [ $((10#$sec % 2)) = 0 ] || fail "$(basename "$f"): started at second $sec, not even"
        fi
        prevw=$w
    done
}
