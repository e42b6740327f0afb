#!/usr/bin/env bash
# SIGKILL endurance (a measurement of a promise, not a timed test):
# N times, a loaded capture (linecap-gen -> memif -> linecap, 64 B at
# LCK_PPS, rotation by size) is killed with SIGKILL at a random moment
# (0.2-2.0 s after its first file appeared); then
#   - every closed file must read cleanly with tcpdump -r and tshark (exit 0)
#     and end exactly at a record boundary (lcheck: no torn or zero tail);
#   - `linecap recover DIR` must turn the partial file into a file that
#     passes the same checks (tests/vdev/t_recover.sh also checks that every
#     record is a whole input frame);
#   - no partial file may remain.
# Prints one line per trial and a summary; appends it to bench/RESULTS.md.
#
#   bench/kill.sh [BUILD]      Environment: LCK_TRIALS (50), LCK_PPS (2000000), LCK_DIR (/var/tmp/lck),
#                              LCK_OUT (bench/RESULTS.md; "-" for stdout only)
. "$(dirname "$0")/lib.sh"
TRIALS=${LCK_TRIALS:-50}
PPS=${LCK_PPS:-2000000}
LK=lck$$
DIR=${LCK_DIR:-/var/tmp/lck}
OUT=${LCK_OUT:-$HERE/RESULTS.md}
LCHECK="/usr/bin/python3 $ROOT/tests/vdev/lcheck.py"

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$LC" ] && [ -x "$GEN" ] || die "build first (ninja -C build)"
command -v tshark >/dev/null && command -v tcpdump >/dev/null || die "needs tcpdump and tshark"

links_down() { "$LINKS" down "$LK" >/dev/null 2>&1; }
on_exit links_down

# valid FILE: tcpdump and tshark read it with exit 0, lcheck finds it whole
export LCHECK
valid() {
    tcpdump -r "$1" -nn -w /dev/null 2>/dev/null || { echo "tcpdump -r exits $?"; return 1; }
    tshark -r "$1" -w /dev/null -F pcap 2>/dev/null || { echo "tshark -r exits $?"; return 1; }
    $LCHECK pcap "$1" >/dev/null 2>&1 || { echo "lcheck: $($LCHECK pcap "$1" 2>&1 | tail -1)"; return 1; }
}
export -f valid

bad=0 closed=0 partials=0 recovered_recs=0 cut_bytes=0 zero_tails=0 torn=0 removed=0
t_start=$(date +%s)
for trial in $(seq 1 "$TRIALS"); do
    rm -rf "$DIR" && mkdir -p "$DIR" || die "cannot create $DIR"
    # a paced source (linecap-gen over memif, CPU 0) keeps the volume per
    # trial small enough to check every file with tshark
    eval "$("$LINKS" up memif "$LK")" || die "links.sh up memif failed"
    sock=${LINK_GEN#*socket=}
    sock=${sock%%,*}
    "$GEN" -i "$LINK_GEN" --cores 0 --size 64 --flows 4 --pps "$PPS" --duration 30 --quiet \
        -- --file-prefix=lckg$$ >/dev/null 2>&1 </dev/null &
    gpid=$!
    track "$gpid"
    for _ in $(seq 1 200); do [ -S "$sock" ] && break; sleep 0.05; done
    "$LC" -i "$LINK_CAPTURE" --cores 1 -w "$DIR/k.pcap" -b filesize:20000 -B 256 \
        --stats-interval 0 --quiet -- --file-prefix=lck$$ >/dev/null 2>"$DIR.err" &
    pid=$!
    track "$pid"
    # wait for the first file, then a random moment
    for _ in $(seq 1 200); do [ -n "$(ls -A "$DIR")" ] && break; sleep 0.05; done
    sleep "$(awk -v r="$RANDOM" 'BEGIN{printf "%.2f", 0.2 + 1.8 * r / 32767}')"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    kill -KILL "$gpid" 2>/dev/null     # memif: the server may not outlive a killed client cleanly
    wait "$gpid" 2>/dev/null
    stop_all
    "$LINKS" down "$LK" >/dev/null 2>&1
    why=""
    nclosed=$(ls "$DIR" | grep -c '^k_.*\.pcap$')
    # the closed files, two at a time (tshark and lcheck dominate)
    bads=$(ls "$DIR" | grep '^k_.*\.pcap$' | sed "s|^|$DIR/|" |
           xargs -r -P 2 -I{} bash -c 'r=$(valid "$1") || echo "closed $(basename "$1"): $r;"' _ {})
    [ -n "$bads" ] && why="$why $bads"
    np=$(ls -A "$DIR" | grep -c '\.partial$')
    rec=$("$LC" recover "$DIR" 2>&1)
    rc=$?
    [ $rc = 0 ] || why="$why recover exits $rc: $(echo "$rec" | tail -1);"
    [ "$(ls -A "$DIR" | grep -c '\.partial$')" = 0 ] || why="$why partial file left;"
    for f in "$DIR"/k_*.pcap; do
        [ -e "$f" ] || continue
        r=$(valid "$f") || why="$why after recover $(basename "$f"): $r;"
    done
    recs=$(echo "$rec" | grep -o 'kept [0-9]* records' | grep -o '[0-9]*' | awk '{s += $1} END {print s + 0}')
    cut=$(echo "$rec" | grep -o '[0-9]* bytes cut' | grep -o '^[0-9]*' | awk '{s += $1} END {print s + 0}')
    echo "$rec" | grep -q 'zero-filled tail' && zero_tails=$((zero_tails + 1))
    echo "$rec" | grep -q 'torn record' && torn=$((torn + 1))
    echo "$rec" | grep -q ': removed (' && removed=$((removed + 1))
    closed=$((closed + nclosed))
    partials=$((partials + np))
    recovered_recs=$((recovered_recs + ${recs:-0}))
    cut_bytes=$((cut_bytes + ${cut:-0}))
    if [ -n "$why" ]; then
        bad=$((bad + 1))
        echo "trial $trial: FAIL:$why"
        cp -a "$DIR" "$DIR.fail$trial" 2>/dev/null
    else
        echo "trial $trial: ok ($nclosed closed files valid, $np partial recovered: $(echo "$rec" | grep -- '->' | sed 's/.*: kept/kept/'))"
    fi
done
rm -rf "$DIR" "$DIR.err"
secs=$(( $(date +%s) - t_start ))
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
report="## SIGKILL at random moments (bench/kill.sh)

Machine: $cpu; linecap $(git -C "$ROOT" rev-parse --short HEAD); $TRIALS trials in $secs s: linecap-gen
(CPU 0, 64 B at $PPS pps) -> memif -> linecap (CPU 1) into \`-b filesize:20000\`, SIGKILL 0.2-2.0 s after the
first file appeared, then \`linecap recover\`. A file is valid when tcpdump -r and tshark -r exit 0 and
lcheck finds it ending exactly at a record boundary.

| trials | failed | closed files checked | partial files | recovered records | bytes cut | torn-record tails | zero-filled tails | removed (no header) |
|---|---|---|---|---|---|---|---|---|
| $TRIALS | $bad | $closed | $partials | $recovered_recs | $cut_bytes | $torn | $zero_tails | $removed |
"
echo "$report"
if [ "$OUT" != "-" ]; then
    { echo; echo "$report"; } >>"$OUT"
fi
[ $bad = 0 ]
