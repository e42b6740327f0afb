# linecap vdev test library: sourced by tests/run.sh and by every tests/vdev/t_*.sh.
#
# A case is a bash function case_NAME registered with `register NAME [asan]`
# ("asan" marks it for the ASan+UBSan pass). Each case runs in its own bash
# process (see run_one) with:
#   W     an empty output directory, its own   (tests/out/RUN/NAME/w)
#   T     a scratch directory for oracle output (tests/out/RUN/NAME/t)
#   LINECAP  the binary under test (absolute path)
# A case fails by calling `fail "reason"` (never inside $(...)); it passes by
# returning; when what it tests cannot be set up here (no tmpfs mount, a
# missing tool) it calls `skip "reason"`: reported and counted as skipped,
# never as passed. Every linecap run goes through lc / lc_bg, which put a KILL
# timeout on it and add the common options --cores 1 -B 64 --stats-interval 0.
#
# Oracles: tcpdump, tshark, capinfos (independent readers) and lcheck.py (our
# own record walker, which also catches zero-filled/truncated tails).

LC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VDEV=$LC_ROOT/tests/vdev
DATA=$LC_ROOT/tests/data
OUTROOT=${LC_OUTROOT:-$LC_ROOT/tests/out}
PY=/usr/bin/python3
LCHECK="$PY $VDEV/lcheck.py"

KNOWN=$DATA/known.pcap
SMALL=$DATA/small.pcap
EMPTY=$DATA/empty.pcap
MIXED=$DATA/mixed.pcap

# Options every capture run gets (before the case's own, so a case's bad value
# is the one parsed last) and the EAL arguments after "--": a file prefix of
# our own so that other DPDK primaries on the machine do not collide with us.
LC_COMMON=(--cores 1 -B 64 --stats-interval 0)
LC_PREFIX=${LC_PREFIX:-lctest$$}
read -r -a LC_EAL <<<"${LC_EAL_ARGS:---file-prefix=$LC_PREFIX}"
LC_TIMEOUT=${LC_TIMEOUT:-60}

CASES=()
ASAN_CASES=()
register() {
    CASES+=("$1")
    [ "${2:-}" = asan ] && ASAN_CASES+=("$1")
    return 0
}

log() { printf '%s\n' "$*" >&2; }

fail() {
    printf '%s\n' "$*" >"$CASE_DIR/reason"
    log "FAIL: $*"
    exit 1
}

# skip REASON: end the case as skipped (exit 77 with the reason in
# $CASE_DIR/skip); run_cases counts it apart from passes and failures
LC_SKIP_RC=77
skip() {
    printf '%s\n' "$*" >"$CASE_DIR/skip"
    log "SKIP: $*"
    exit "$LC_SKIP_RC"
}

now_ns() { date +%s%N; }

# ---------------------------------------------------------------- running linecap

LC_N=0
# Sanitizer reports make a run fail even when the exit code looks right.
check_sanitizer() {
    local err=$1
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$err"; then
        fail "sanitizer report in $(basename "$err"): $(grep -m1 -E 'ERROR: |runtime error:' "$err")"
    fi
}

# lc ARGS...   run linecap in the foreground (common options + ARGS + -- EAL).
# Sets LC_RC, LC_OUT, LC_ERR (files), LC_SECS (wall time).
lc() {
    LC_N=$((LC_N + 1))
    LC_OUT=$T/run$LC_N.out
    LC_ERR=$T/run$LC_N.err
    log "+ linecap ${LC_COMMON[*]} $* -- ${LC_EAL[*]}"
    local t0 t1
    t0=$(now_ns)
    timeout -s KILL "$LC_TIMEOUT" "$LINECAP" "${LC_COMMON[@]}" "$@" -- "${LC_EAL[@]}" \
        >"$LC_OUT" 2>"$LC_ERR" </dev/null
    LC_RC=$?
    t1=$(now_ns)
    LC_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
    log "  exit $LC_RC after ${LC_SECS}s; stderr: $(head -c 2000 "$LC_ERR")"
    [ "$LC_RC" = 137 ] && fail "linecap killed by the ${LC_TIMEOUT}s timeout ($*)"
    check_sanitizer "$LC_ERR"
    return 0
}

# lc_raw ARGS...   run the binary with exactly ARGS (no common options, no
# EAL arguments): for command-line validation cases.
lc_raw() {
    LC_N=$((LC_N + 1))
    LC_OUT=$T/run$LC_N.out
    LC_ERR=$T/run$LC_N.err
    log "+ linecap $*"
    timeout -s KILL 30 "$LINECAP" "$@" >"$LC_OUT" 2>"$LC_ERR" </dev/null
    LC_RC=$?
    log "  exit $LC_RC; stderr: $(head -c 2000 "$LC_ERR")"
    [ "$LC_RC" = 137 ] && fail "linecap killed by the 30s timeout ($*)"
    check_sanitizer "$LC_ERR"
    return 0
}

# lc_bg ARGS...   start linecap in the background; LC_PID is linecap itself
# (so signals reach it directly); a watchdog KILLs it after LC_TIMEOUT s.
lc_bg() {
    LC_N=$((LC_N + 1))
    LC_OUT=$T/run$LC_N.out
    LC_ERR=$T/run$LC_N.err
    log "+ linecap ${LC_COMMON[*]} $* -- ${LC_EAL[*]} &"
    "$LINECAP" "${LC_COMMON[@]}" "$@" -- "${LC_EAL[@]}" >"$LC_OUT" 2>"$LC_ERR" </dev/null &
    LC_PID=$!
    ( sleep "$LC_TIMEOUT"; kill -KILL "$LC_PID" 2>/dev/null ) >/dev/null 2>&1 &
    LC_WD=$!
}

# true while LC_PID runs (a zombie counts as gone)
lc_alive() {
    local st
    st=$(sed -e 's/^.*) //' "/proc/$LC_PID/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# lc_wait_exit SECS: wait up to SECS for linecap to end; sets LC_EXIT_SECS
# (time waited) and LC_RC; if it is still running then, KILLs it and fails.
lc_wait_exit() {
    local limit=$1 t0 t1
    t0=$(now_ns)
    while lc_alive; do
        t1=$(now_ns)
        if [ $(((t1 - t0) / 1000000)) -gt $((limit * 1000 + 2000)) ]; then break; fi
        sleep 0.02
    done
    t1=$(now_ns)
    LC_EXIT_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
    if lc_alive; then
        kill -KILL "$LC_PID" 2>/dev/null
        wait "$LC_PID" 2>/dev/null
        kill "$LC_WD" 2>/dev/null
        fail "linecap still running ${LC_EXIT_SECS}s after the signal (limit ${limit}s); KILLed"
    fi
    wait "$LC_PID"
    LC_RC=$?
    kill "$LC_WD" 2>/dev/null
    wait "$LC_WD" 2>/dev/null
    log "  exit $LC_RC ${LC_EXIT_SECS}s after the signal; stderr: $(head -c 2000 "$LC_ERR")"
    [ "$LC_RC" = 137 ] && fail "linecap killed by the ${LC_TIMEOUT}s watchdog"
    check_sanitizer "$LC_ERR"
    return 0
}

# wait_for_file DIR SECS: until DIR holds any entry (e.g. the first .partial)
wait_for_file() {
    local dir=$1 secs=$2 i=0
    while [ $i -lt $((secs * 20)) ]; do
        [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return 0
        lc_alive || return 1
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

expect_rc() {
    local want=$1 what=$2
    [ "$LC_RC" = "$want" ] ||
        fail "$what: exit $LC_RC, expected $want; stderr: $(head -c 300 "$LC_ERR" | tr '\n' '|')"
}

# ---------------------------------------------------------------- oracles

# capture files in W in file-number order (dot files, i.e. .partial, the
# manifest and the indexes excluded)
# (names are PREFIX_NNNNN_...: the zero-padded number sorts them)
out_files() { ls -1 "$W" 2>/dev/null | grep -v '^\.' | grep -v '\.json$' | grep -v '\.idx$' | LC_ALL=C sort | sed "s|^|$W/|"; }

# the 5-digit number of a rotated file name PREFIX_NNNNN_YYYYmmddHHMMSS.EXT
file_num() { basename "$1" | sed -E 's/^.*_([0-9]{5})_[0-9]{14}\.[A-Za-z0-9]+$/\1/'; }

no_partials() {
    local p
    p=$(ls -A "$W" | grep '\.partial$' || true)
    [ -z "$p" ] || fail "temporary files left in the output dir: $(echo $p)"
}

# records in a pcap per capinfos (exact, -M)
cap_count() { capinfos -M -c "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}'; }
# records per tcpdump
tcpd_count() { tcpdump -r "$1" -nn -q 2>/dev/null | wc -l; }

# pcap_valid FILE [lcheck pcap options]: every reader accepts the whole file,
# and they agree on the record count. Sets PV_COUNT and PV_JSON.
pcap_valid() {
    local f=$1; shift
    local c1 c2 c3
    [ -f "$f" ] || fail "$f: no such file"
    tcpdump -r "$f" -nn -q >"$T/tcpdump.txt" 2>"$T/tcpdump.err" ||
        fail "tcpdump -r $(basename "$f") exits $?: $(tail -1 "$T/tcpdump.err")"
    capinfos -M -c "$f" >"$T/capinfos.txt" 2>&1 ||
        fail "capinfos $(basename "$f") exits $?: $(tail -1 "$T/capinfos.txt")"
    PV_JSON=$($LCHECK pcap "$f" "$@") || fail "lcheck: $PV_JSON"
    c1=$(wc -l <"$T/tcpdump.txt")
    c2=$(awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}' "$T/capinfos.txt")
    c3=$(jfield "$PV_JSON" records)
    [ "$c1" = "$c2" ] && [ "$c2" = "$c3" ] ||
        fail "$(basename "$f"): readers disagree on the record count: tcpdump $c1, capinfos $c2, lcheck $c3"
    PV_COUNT=$c2
}

# pcap_valid_big FILE: the same with capinfos + lcheck only (files of millions
# of records, where tcpdump's text output costs too much)
pcap_valid_big() {
    local f=$1; shift
    local c2 c3
    [ -f "$f" ] || fail "$f: no such file"
    capinfos -M -c "$f" >"$T/capinfos.txt" 2>&1 ||
        fail "capinfos $(basename "$f") exits $?: $(tail -1 "$T/capinfos.txt")"
    tcpdump -r "$f" -nn -c 1000000000 -w /dev/null 2>"$T/tcpdump.err" ||
        fail "tcpdump -r $(basename "$f") exits $?: $(tail -1 "$T/tcpdump.err")"
    PV_JSON=$($LCHECK pcap "$f" "$@") || fail "lcheck: $PV_JSON"
    c2=$(awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}' "$T/capinfos.txt")
    c3=$(jfield "$PV_JSON" records)
    [ "$c2" = "$c3" ] || fail "$(basename "$f"): capinfos counts $c2 records, lcheck $c3"
    PV_COUNT=$c2
}

# jfield JSONTEXT KEY
jfield() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# jget FILE EXPR  (d = the JSON document); fails the case when FILE is not JSON
jget() { $LCHECK get "$1" "$2"; }

# the ns-pcap magic, linktype 1 and snaplen from the file header, raw bytes
pcap_header_ok() {
    local f=$1 snap=$2 magic link hsnap
    magic=$(od -An -tx1 -N4 "$f" | tr -d ' \n')
    [ "$magic" = 4d3cb2a1 ] || [ "$magic" = a1b23c4d ] ||
        fail "$(basename "$f"): magic bytes $magic, not the nanosecond pcap magic a1b23c4d"
    link=$(od -An -tu4 -j20 -N4 "$f" | tr -d ' \n')
    [ "$link" = 1 ] || fail "$(basename "$f"): linktype $link, expected 1 (Ethernet)"
    hsnap=$(od -An -tu4 -j16 -N4 "$f" | tr -d ' \n')
    [ "$hsnap" = "$snap" ] || fail "$(basename "$f"): header snaplen $hsnap, expected $snap"
    capinfos -t "$f" 2>/dev/null | grep -qi 'nanosecond' ||
        fail "$(basename "$f"): capinfos does not see nanosecond pcap: $(capinfos -t "$f" 2>&1 | grep -i type)"
}

# the frames as text, without timestamps: tcpdump -t -nn -xx over FILES, in order
frames_text() { local f; for f in "$@"; do tcpdump -r "$f" -t -nn -xx 2>/dev/null; done; }

# same_frames OUT_TEXT IN_TEXT WHAT: fail with the first differing line
same_frames() {
    if ! cmp -s "$1" "$2"; then
        local d
        d=$(diff "$2" "$1" | head -4 | tr '\n' '|' | cut -c1-300)
        fail "$3: frames differ from the input (diff input output: $d)"
    fi
}

# packets in a pcap (input side), per capinfos
KNOWN_N() { cap_count "$KNOWN"; }

# the output directory must be empty
dir_empty() {
    local c
    c=$(ls -A "$W")
    [ -z "$c" ] || fail "$1: files left in the output dir: $(echo $c | cut -c1-200)"
}

# ---------------------------------------------------------------- case runner

# run_one NAME: run case_NAME in this process with a fresh W and T.
# Called via: bash -c 'source lib.sh; source t_*.sh...; run_one NAME'
run_one() {
    local name=$1
    CASE_DIR=$OUTROOT/$LC_RUN/$name
    rm -rf "$CASE_DIR"
    mkdir -p "$CASE_DIR/w" "$CASE_DIR/t"
    W=$CASE_DIR/w
    T=$CASE_DIR/t
    [ -x "$LINECAP" ] || fail "no executable $LINECAP"
    "case_$name"
}

# run_cases LINECAP_PATH TAG NAME...: prints "ok TAG/NAME", "skip TAG/NAME:
# reason" or "FAIL TAG/NAME: reason" per case; adds to PASSED / SKIPPED /
# FAILED. A skip is exit 77 with the reason `skip` wrote; exit 77 without it
# is a failure.
run_cases() {
    local bin=$1 tag=$2 name rc reason dir
    shift 2
    for name in "$@"; do
        dir=$OUTROOT/$LC_RUN/$name
        LINECAP=$bin LC_RUN=$LC_RUN LC_PREFIX="lct$$_$name" \
            timeout -s KILL "${LC_CASE_TIMEOUT:-240}" bash -c '
                source "$1/lib.sh"
                for s in "$1"/t_*.sh; do source "$s"; done
                run_one "$2"' _ "$VDEV" "$name" >"$OUTROOT/$LC_RUN.$tag.$name.log" 2>&1
        rc=$?
        if [ $rc = 0 ]; then
            echo "ok $tag/$name"
            PASSED=$((PASSED + 1))
            rm -f "$OUTROOT/$LC_RUN.$tag.$name.log"
        elif [ $rc = "$LC_SKIP_RC" ] && [ -s "$dir/skip" ] && [ ! -e "$dir/reason" ]; then
            echo "skip $tag/$name: $(tr '\n' ' ' <"$dir/skip" | sed 's/ $//')"
            SKIPPED=$((SKIPPED + 1))
            rm -f "$OUTROOT/$LC_RUN.$tag.$name.log"
        else
            reason=$(tr '\n' ' ' <"$dir/reason" 2>/dev/null | sed 's/ $//')
            [ -n "$reason" ] || reason="exit $rc (killed after ${LC_CASE_TIMEOUT:-240}s?)"
            echo "FAIL $tag/$name: $reason (log: tests/out/$LC_RUN.$tag.$name.log)"
            FAILED=$((FAILED + 1))
        fi
        # the outputs of load cases are large: keep them only on request
        if [ "${LC_KEEP:-0}" = 1 ]; then
            mv "$dir" "$OUTROOT/$LC_RUN.$tag.$name.out" 2>/dev/null
        else
            rm -rf "$dir"
        fi
        # DPDK's runtime dir and any hugepage files a killed run left behind
        # (only our own file prefix)
        rm -rf "/var/run/dpdk/lct$$_$name" 2>/dev/null
        local m
        for m in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do
            rm -f "$m/lct$$_${name}map_"* 2>/dev/null
        done
    done
}
