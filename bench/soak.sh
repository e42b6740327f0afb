#!/usr/bin/env bash
# Endurance (a measurement, not a test): linecap-gen -> memif -> linecap.
#   1. soak: SOAK_SECS (600) of 64 B frames at SOAK_PPS (500k), rotating
#      every second and keeping the newest 20 files; every 10 s the process's
#      resident memory, open descriptors, threads, mbufs in use and free
#      blocks are sampled. Flat means: no growth from the first sample after
#      warm-up (30 s) to the last beyond 1 MiB / 0 descriptors / 0 threads.
#   2. fast rotation: SOAK_FAST_SECS (180) rotating every 100 ms, all files
#      kept: every file valid (capinfos and tcpdump -r exit 0, lcheck: ends at
#      a record boundary) and the records summed over the files == written.
# On this 2-vCPU VM the generator runs on CPU 0, the receive core on CPU 1
# (the writer shares CPU 0). For 24 h on real hardware: SOAK_SECS=86400.
#
#   bench/soak.sh [BUILD]   Environment: SOAK_SECS, SOAK_FAST_SECS, SOAK_PPS,
#                           SOAK_DIR (/var/tmp/soak), SOAK_OUT (bench/RESULTS.md; "-": stdout)
. "$(dirname "$0")/lib.sh"
SECS=${SOAK_SECS:-600}
FAST=${SOAK_FAST_SECS:-180}
PPS=${SOAK_PPS:-500000}
DIR=${SOAK_DIR:-/var/tmp/soak}
OUT=${SOAK_OUT:-$HERE/RESULTS.md}
LK=soak$$
LCHECK="/usr/bin/python3 $ROOT/tests/vdev/lcheck.py"

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$LC" ] && [ -x "$GEN" ] || die "build first (ninja -C build)"
rm -rf "$DIR" && mkdir -p "$DIR/files" || die "cannot create $DIR"
GEN_PID= LC_PID=
# at exit: the capture first, then the generator (a memif server must not
# leave while its client polls), then the link
cleanup() {
    [ -z "$LC_PID" ] || stop_pid "$LC_PID" 10
    [ -z "$GEN_PID" ] || stop_pid "$GEN_PID" 10
    "$LINKS" down "$LK" >/dev/null 2>&1
}
on_exit cleanup

# run_phase NAME SECS PPS LINECAP-ROTATION-ARGS...: gen + linecap for SECS;
# samples into $DIR/NAME.samples; linecap's JSON in $DIR/NAME.json
run_phase() {
    local name=$1 secs=$2 pps=$3
    shift 3
    eval "$("$LINKS" up memif "$LK")" || die "links.sh up memif failed"
    "$GEN" -i "$LINK_GEN" --cores 0 --size 64 --flows 4 --pps "$pps" --duration "$secs" \
        --linger 30 --quiet --json "$DIR/$name.gen.json" -- --file-prefix=soakg$$ \
        >"$DIR/$name.gen.log" 2>&1 </dev/null &
    GEN_PID=$!
    local i=0 sock=${LINK_GEN#*socket=}
    sock=${sock%%,*}
    while [ ! -S "$sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    sleep 1
    rm -rf "$DIR/files" && mkdir -p "$DIR/files"
    "$LC" -i "$LINK_CAPTURE" --cores 1 -w "$DIR/files/$name.pcap" "$@" -a "duration:$((secs + 3))" \
        --stats-interval 10 --stats-json "$DIR/$name.json" -- --file-prefix=soakc$$ \
        >"$DIR/$name.out" 2>"$DIR/$name.err" &
    LC_PID=$!
    : >"$DIR/$name.samples"
    local t0
    t0=$(date +%s)
    while kill -0 "$LC_PID" 2>/dev/null; do
        sleep 10
        kill -0 "$LC_PID" 2>/dev/null || break
        local rss fds thr mb fb
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$LC_PID/status" 2>/dev/null)
        thr=$(awk '/^Threads/ {print $2}' "/proc/$LC_PID/status" 2>/dev/null)
        fds=$(ls "/proc/$LC_PID/fd" 2>/dev/null | wc -l)
        mb=$(grep -o 'mbufs in use [0-9]*' "$DIR/$name.err" | tail -1 | grep -o '[0-9]*$')
        fb=$(grep -o 'free blocks [0-9]*/[0-9]*' "$DIR/$name.err" | tail -1 | cut -d' ' -f3)
        echo "$(( $(date +%s) - t0 )) ${rss:-0} ${fds:-0} ${thr:-0} ${mb:-0} ${fb:-0/0}" >>"$DIR/$name.samples"
    done
    wait "$LC_PID"
    LC_RC=$?
    LC_PID=
    wait "$GEN_PID"
    GEN_PID=
    "$LINKS" down "$LK" >/dev/null 2>&1
}

log "phase 1: soak ${SECS} s at $PPS pps, -b duration:1 -b files:20"
run_phase soak "$SECS" "$PPS" -b duration:1 -b files:20
soak_rc=$LC_RC
soak_id=$($LCHECK identity "$DIR/soak.json" 2>&1)
soak_line=$(awk -v warm=30 '
    $1 >= warm && !n { r0 = $2; f0 = $3; t0 = $4; n = 1 }
    { if ($2 > rmax) rmax = $2; if ($3 > fmax) fmax = $3; if ($5 > mmax) mmax = $5;
      if (fmin == "" || $3 < fmin) fmin = $3; r1 = $2; f1 = $3; t1 = $4; cnt++ }
    END { printf "%d samples; RSS %.1f -> %.1f MiB (max %.1f); fds %d -> %d (range %d-%d); threads %d -> %d; mbufs in use max %d",
          cnt, r0/1024, r1/1024, rmax/1024, f0, f1, fmin, fmax, t0, t1, mmax;
          flat = (r1 - r0 <= 1024 && f1 <= f0 && t1 <= t0); print (flat ? "; FLAT" : "; GROWING") }' "$DIR/soak.samples")
soak_written=$($LCHECK get "$DIR/soak.json" 'd["totals"]["written"]' 2>/dev/null)
log "soak: exit $soak_rc, identity $soak_id, $soak_line"

log "phase 2: fast rotation ${FAST} s at $((PPS / 5)) pps, -b duration:0.1, all files kept"
run_phase fast "$FAST" $((PPS / 5)) -b duration:0.1
fast_rc=$LC_RC
fast_id=$($LCHECK identity "$DIR/fast.json" 2>&1)
nfiles=0 bad=0 sum=0
for f in "$DIR"/files/fast_*.pcap; do
    [ -e "$f" ] || continue
    nfiles=$((nfiles + 1))
    c=$(capinfos -M -c "$f" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    if [ -z "$c" ] || ! tcpdump -r "$f" -w /dev/null 2>/dev/null || ! $LCHECK pcap "$f" >/dev/null 2>&1; then
        bad=$((bad + 1))
        log "invalid: $f"
        continue
    fi
    sum=$((sum + c))
done
fast_written=$($LCHECK get "$DIR/fast.json" 'd["totals"]["written"]' 2>/dev/null)
partials=$(ls -A "$DIR/files" | grep -c '\.partial$')
log "fast: exit $fast_rc, identity $fast_id, $nfiles files, $bad invalid, records $sum, written $fast_written, partials $partials"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
verdict=ok
[ "$soak_rc" = 0 ] && [ "$soak_id" = ok ] && echo "$soak_line" | grep -q FLAT || verdict=FAIL
[ "$fast_rc" = 0 ] && [ "$fast_id" = ok ] && [ $bad = 0 ] && [ "$sum" = "$fast_written" ] && [ "$partials" = 0 ] || verdict=FAIL
report="## Endurance (bench/soak.sh): $verdict

Machine: $cpu; linecap $(git -C "$ROOT" rev-parse --short HEAD); linecap-gen (CPU 0) -> memif -> linecap (CPU 1), 64 B.

- Soak, $SECS s at $PPS pps, a new file every second, newest 20 kept: exit $soak_rc, identity $soak_id,
  $soak_written packets written; $soak_line.
- Fast rotation, $FAST s at $((PPS / 5)) pps, a new file every 100 ms, all kept: exit $fast_rc, identity
  $fast_id; $nfiles files, $bad invalid (capinfos, tcpdump -r, lcheck), records summed $sum = written
  $fast_written; partial files left: $partials.
"
echo "$report"
if [ "$OUT" != "-" ]; then
    { echo; echo "$report"; } >>"$OUT"
fi
cp "$DIR"/*.samples "$DIR"/*.json /tmp/ 2>/dev/null
rm -rf "$DIR/files"
[ "$verdict" = ok ]
