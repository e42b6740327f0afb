#!/usr/bin/env bash
# linecap benchmark: disk (fio), capture to disk, receive only, testpmd baseline.
#
#   bench/run.sh [BUILD]          BUILD: meson build directory (default: build)
#
# Writes a markdown report to stdout and to bench/RESULTS.md. Run as root after
# `bash scripts/setup.sh` (hugepages). About 9 minutes with the defaults.
#
# Environment (all optional):
#   LCB_DIR     scratch directory for capture output and fio, on the disk under
#               test, not tmpfs (default /var/tmp/lcbench); capture output and
#               fio's file are deleted after each run, logs are kept in logs.*/
#   LCB_REPS    runs per configuration (default 3; the report gives the median)
#   LCB_DUR     seconds per run (default 10)
#   LCB_MAXWAIT seconds to wait for a quiet machine before a run (default 900)
#   LCB_FOREIGN_MAX  CPU seconds other processes may use during a run before
#               it is repeated (default 0.3)
#   LCB_OUT     report file (default bench/RESULTS.md; "-" for stdout only)
. "$(dirname "$0")/lib.sh"

DIR=${LCB_DIR:-/var/tmp/lcbench}
REPS=${LCB_REPS:-3}
DUR=${LCB_DUR:-10}
MAXWAIT=${LCB_MAXWAIT:-900}
FOREIGN_MAX=${LCB_FOREIGN_MAX:-0.3}
OUT=${LCB_OUT:-$HERE/RESULTS.md}
HELPER=$HERE/lcb.py
FIOBUF=/dev/hugepages/lcbench-fio.buf
SIZES="64 1514"
# ENGINE:IODEPTH[:zero]. fio fills its buffers with pseudo-random bytes; the
# :zero run writes zeros, closer to what linecap writes from net_null (zero
# payloads behind each 16 B header), in case the virtual disk's backing store
# writes such data faster.
FIO_CFGS="psync:1 io_uring:1 io_uring:2 io_uring:4 psync:1:zero"
T0=$(date +%s)


[ "$(id -u)" -eq 0 ] || die "run as root (DPDK, hugepages, O_DIRECT on $DIR)"
[ -x "$LC" ] || die "$LC not found: build first (ninja -C ${BUILD#$ROOT/})"
for t in fio dpdk-testpmd jq; do command -v $t >/dev/null || die "$t is not installed"; done
mount | grep -q 'on /dev/hugepages type hugetlbfs' || die "/dev/hugepages is not mounted: bash scripts/setup.sh"
hp=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || echo 0)
[ "$hp" -ge 1100 ] || die "$hp 2 MiB hugepages reserved; linecap's 2 GiB block pool needs ~1100: bash scripts/setup.sh"
mkdir -p "$DIR" || die "cannot create $DIR"
fstype=$(stat -f -c %T "$DIR")
case $fstype in tmpfs|ramfs) die "$DIR is on $fstype: set LCB_DIR to a directory on the disk" ;; esac
avail_gb=$(( $(df -P -k "$DIR" | awk 'NR==2{print $4}') / 1024 / 1024 ))
[ "$avail_gb" -ge 45 ] || die "$DIR has $avail_gb GB free; a 10 s capture writes up to ~35 GB"
LOGS=$DIR/logs.$(date +%Y%m%d-%H%M%S)
mkdir -p "$LOGS"
RES=$LOGS/results.jsonl
CMDS=$LOGS/commands.txt
: > "$RES"; : > "$CMDS"
RETRIES=0; CONTENDED=0

# the measured process (watch_run) is stopped by lib.sh at exit
cleanup() {
    rm -f "$DIR"/*.pcap "$DIR"/*.pcap.idx "$DIR"/*.manifest.json "$DIR"/.*.partial "$DIR"/fio.dat "$FIOBUF" 2>/dev/null
}
on_exit cleanup

# --- other processes -------------------------------------------------------
# Other linecap/dpdk-testpmd/fio processes, not counting $1 and its children.
others() {
    local me=${1:-0} p pp
    for p in $(pgrep -x linecap; pgrep -x dpdk-testpmd; pgrep -x fio); do
        [ "$p" = "$me" ] && continue
        pp=$(awk '{print $4}' /proc/$p/stat 2>/dev/null)
        [ "$pp" = "$me" ] && continue
        echo "$p"
    done
}

# Busy jiffies (user+nice+system) of all CPUs since boot.
cpu_busy() { awk '/^cpu /{print $2 + $3 + $4}' /proc/stat; }
# CPU seconds of this shell's finished children (the `times` builtin, which
# must run in this shell, not in a $(...) subshell).
TIMES=$LOGS/.times
child_cpu() { awk 'NR==2{split($1,a,/[ms]/); split($2,b,/[ms]/); print a[1]*60+a[2]+b[1]*60+b[2]}' "$TIMES"; }

# Wait until no other linecap/dpdk-testpmd/fio runs and the machine is quiet
# (under 0.15 CPU busy) for a second.
wait_idle() {
    local waited=0 quiet=0 b0 b1 why
    b0=$(cpu_busy)
    while [ $quiet -lt 1 ]; do
        sleep 1; waited=$((waited + 1))
        b1=$(cpu_busy)
        why=""
        [ -n "$(others)" ] && why="running: $(others | xargs)"
        [ $((b1 - b0)) -gt 15 ] && why="${why:+$why; }CPU busy $((b1 - b0))%"
        b0=$b1
        if [ -n "$why" ]; then
            quiet=0
            [ $((waited % 30)) -eq 1 ] && log "waiting for a quiet machine ($why)"
            if [ $waited -ge "$MAXWAIT" ]; then
                log "still busy after ${MAXWAIT}s; measuring anyway (flagged)"
                return 1
            fi
        else
            quiet=$((quiet + 1))
        fi
    done
    return 0
}

# Run "$@" in the background as CUR_PID; watch for other processes while it
# runs. ON_TICK is called every 0.5 s with the tick number. Sets RC, FOREIGN (CPU seconds used
# meanwhile by anything but this script and its children) and OVERLAP=1 if
# another linecap/dpdk-testpmd/fio appeared or FOREIGN exceeded LCB_FOREIGN_MAX.
watch_run() {
    local t=0 b0 b1 m0 m1
    OVERLAP=0
    b0=$(cpu_busy); times > "$TIMES"; m0=$(child_cpu)
    "$@" &
    CUR_PID=$!
    track "$CUR_PID"
    while kill -0 $CUR_PID 2>/dev/null; do
        [ -n "$(others $CUR_PID)" ] && OVERLAP=1
        [ -n "${ON_TICK:-}" ] && $ON_TICK $t
        sleep 0.5; t=$((t + 1))
    done
    wait $CUR_PID; RC=$?
    CUR_PID=
    stop_all 0
    b1=$(cpu_busy); times > "$TIMES"; m1=$(child_cpu)
    FOREIGN=$(awk -v b=$((b1 - b0)) -v m0="$m0" -v m1="$m1" -v hz="$(getconf CLK_TCK)" \
              'BEGIN{f = b / hz - (m1 - m0); printf "%.2f", f < 0 ? 0 : f}')
    awk -v f="$FOREIGN" -v m="$FOREIGN_MAX" 'BEGIN{exit !(f > m)}' && OVERLAP=1
}

# measure KIND CFG REP: wait for the machine, run, retry (twice) if another
# run overlapped, append the parsed line to $RES.
measure() {
    local kind=$1 cfg=$2 rep=$3 try idle
    for try in 1 2 3; do
        idle=1
        wait_idle || idle=0
        "run_$kind" "$cfg" "$rep"
        [ $OVERLAP -eq 0 ] && [ $idle -eq 1 ] && break
        [ $try -lt 3 ] && { RETRIES=$((RETRIES + 1)); log "$kind $cfg rep $rep overlapped other work (other CPU ${FOREIGN} s): again"; }
    done
    if [ "${PARSED:-}" = "" ]; then
        log "$kind $cfg rep $rep: no result (see $LOGS)"
        return
    fi
    if [ $OVERLAP -ne 0 ] || [ $idle -eq 0 ]; then
        CONTENDED=$((CONTENDED + 1))
        echo "$PARSED" | jq -c --argjson f "$FOREIGN" '.foreign_cpu_s = $f | .contended = true' >> "$RES"
    else
        echo "$PARSED" | jq -c --argjson f "$FOREIGN" '.foreign_cpu_s = $f' >> "$RES"
    fi
}

once() { grep -qxF -- "$1" "$CMDS" || echo "$1" >> "$CMDS"; }

# --- 1. fio ------------------------------------------------------------------
run_fio() {
    local eng qd data rep=$2 j extra=()
    IFS=: read -r eng qd data <<< "$1"
    j=$LOGS/fio-${1//:/-}-$rep.json
    [ "$data" = zero ] && extra=(--zero_buffers)
    local cmd=(fio --name=seqwrite --filename="$DIR/fio.dat" --rw=write --bs=4M
               --direct=1 --ioengine="$eng" --iodepth="$qd"
               --iomem=mmaphuge:"$FIOBUF" --hugepage-size=2m "${extra[@]}"
               --size=48G --time_based --runtime="$DUR" --fallocate=none --unlink=1
               --cpus_allowed=0 --output-format=json --output="$j")
    once "${cmd[*]}"
    rm -f "$DIR/fio.dat" "$FIOBUF"
    watch_run "${cmd[@]}"
    rm -f "$DIR/fio.dat" "$FIOBUF"
    PARSED=""
    [ $RC -eq 0 ] && PARSED=$($PY "$HELPER" fio "$1" "$rep" "$j") || log "fio $1 failed ($RC)"
    [ -n "$PARSED" ] && log "fio $1 rep $rep: $(echo "$PARSED" | jq -r '.gbs*1000|round/1000') GB/s"
}

# --- 2. capture to disk ----------------------------------------------------------
# CPU time (ticks) of the writer thread of CUR_PID, sampled at 1 s and at the
# end of the receive window.
WCPU0=""; WCPU1=""
writer_ticks() {
    local t
    for t in /proc/$CUR_PID/task/*; do
        [ "$(cat $t/comm 2>/dev/null)" = lc-writer ] && { awk '{print $14 + $15}' $t/stat; return; }
    done
}
cap_tick() {   # called every 0.5 s with the tick number
    if [ "$1" -eq 2 ]; then WCPU0=$(writer_ticks); WT0=$(date +%s.%N); fi
    if [ "$1" -eq $(( DUR * 2 - 1 )) ]; then WCPU1=$(writer_ticks); WT1=$(date +%s.%N); fi
}
run_capture() {
    local size=$1 rep=$2 base=$LOGS/capture-$1-$2 fsize=0 wcpu=NA
    local cmd=("$LC" -i "net_null0,size=$size" -w "$DIR/x.pcap" -a "duration:$DUR"
               --cores 1 --stats-interval 1 --stats-json "$base.json")
    once "${cmd[*]}"
    rm -f "$DIR/x.pcap" "$DIR/x.pcap.idx" "$DIR/x.pcap.manifest.json" "$DIR/.x.pcap.partial" "$DIR/.x.pcap.idx.partial" "$base.json"
    WCPU0=""; WCPU1=""
    ON_TICK=cap_tick watch_run "${cmd[@]}" 2> "$base.err"
    [ -f "$DIR/x.pcap" ] && fsize=$(stat -c %s "$DIR/x.pcap")
    rm -f "$DIR/x.pcap" "$DIR/x.pcap.idx" "$DIR/x.pcap.manifest.json" "$DIR/.x.pcap.partial" "$DIR/.x.pcap.idx.partial"
    if [ -n "$WCPU0" ] && [ -n "$WCPU1" ]; then
        wcpu=$(awk -v a="$WCPU0" -v b="$WCPU1" -v t0="$WT0" -v t1="$WT1" -v hz="$(getconf CLK_TCK)" \
               'BEGIN{printf "%.1f", 100 * (b - a) / hz / (t1 - t0)}')
    fi
    PARSED=""
    if [ $RC -eq 0 ] && [ -s "$base.json" ]; then
        PARSED=$($PY "$HELPER" capture "$size" "$rep" "$DUR" "$base.json" "$base.err" "$fsize" "$wcpu")
        log "capture ${size} B rep $rep: $(echo "$PARSED" | jq -r '"\(.gbs*1000|round/1000) GB/s, written \(.wr_mpps*100|round/100) Mpps, rx \(.rx_mpps*10|round/10) Mpps"')"
    else
        log "capture $size rep $rep failed (exit $RC): $(tail -2 "$base.err")"
    fi
}

# --- 3. count-only ------------------------------------------------------------
run_count() {
    local size=$1 rep=$2 base=$LOGS/count-$1-$2
    local cmd=("$LC" -i "net_null0,size=$size" --count-only -a "duration:$DUR"
               --cores 1 --stats-interval 0 --stats-json "$base.json")
    once "${cmd[*]}"
    rm -f "$base.json"
    watch_run "${cmd[@]}" 2> "$base.err"
    PARSED=""
    if [ $RC -eq 0 ] && [ -s "$base.json" ]; then
        PARSED=$($PY "$HELPER" count "$size" "$rep" "$base.json")
        log "count-only ${size} B rep $rep: $(echo "$PARSED" | jq -r '.mpps*10|round/10') Mpps"
    else
        log "count-only $size rep $rep failed (exit $RC): $(tail -2 "$base.err")"
    fi
}

# --- 4. testpmd rxonly -----------------------------------------------------------
# testpmd takes a few seconds to start (its mbuf pool): stop it with SIGINT once
# it has printed DUR+2 per-second statistics (the first one is before
# forwarding starts), or after DUR+40 s.
TP_LOG=""; TP_SENT=0
tp_tick() {
    [ $TP_SENT -eq 0 ] || return 0
    if [ "$(grep -c 'Rx-pps' "$TP_LOG" 2>/dev/null)" -ge $((DUR + 2)) ] || [ "$1" -ge $(( (DUR + 40) * 2 )) ]; then
        kill -INT $CUR_PID 2>/dev/null
        TP_SENT=1
    fi
}
run_testpmd() {
    local size=$1 rep=$2 base=$LOGS/testpmd-$1-$2
    local cmd=(dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --vdev "net_null0,size=$size"
               --in-memory -- --forward-mode=rxonly --nb-cores=1 --stats-period 1 -a)
    once "${cmd[*]} </dev/null   # SIGINT after $((DUR + 2)) statistics lines"
    TP_LOG=$base.log; TP_SENT=0
    ON_TICK=tp_tick watch_run "${cmd[@]}" < /dev/null > "$base.log" 2>&1
    PARSED=""
    if grep -q 'Rx-pps' "$base.log"; then
        PARSED=$($PY "$HELPER" testpmd "$size" "$rep" "$base.log")
        log "testpmd ${size} B rep $rep: $(echo "$PARSED" | jq -r '.mpps*10|round/10') Mpps"
    else
        log "testpmd $size rep $rep failed (exit $RC): $(tail -3 "$base.log")"
    fi
}

# --- machine -------------------------------------------------------------------
dev=$(df -P "$DIR" | awk 'NR==2{print $1}')
blk=$(basename "$(readlink -f "$dev")")
q=/sys/block/$blk/queue
drv=$(basename "$(readlink -f /sys/block/$blk/device/driver 2>/dev/null)" 2>/dev/null)
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
grep -q hypervisor /proc/cpuinfo && cpu="$cpu (virtual machine)"
git_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
git -C "$ROOT" diff --quiet HEAD -- src meson.build 2>/dev/null || git_rev="$git_rev (src/ modified)"

log "results and logs: $LOGS"
log "plan: fio ${FIO_CFGS}, capture/count-only/testpmd at ${SIZES} B; ${REPS} runs each, ${DUR} s"

# Interleaved: each repetition measures everything once, so the disk, whose
# speed drifts over minutes, is measured by fio and by linecap close together.
for rep in $(seq 1 "$REPS"); do
    log "repetition $rep of $REPS"
    for c in $FIO_CFGS; do measure fio "$c" "$rep"; done
    for s in $SIZES; do measure capture "$s" "$rep"; done
    for s in $SIZES; do    # adjacent pairs, the order alternating per repetition
        if [ $((rep % 2)) -eq 1 ]; then measure count "$s" "$rep"; measure testpmd "$s" "$rep"
        else measure testpmd "$s" "$rep"; measure count "$s" "$rep"; fi
    done
done

T1=$(date +%s)
jq -n --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
      --argjson wall "$(( T1 - T0 ))" \
      --arg cpu "$cpu" \
      --arg kernel "$(uname -sr)" \
      --arg memory "$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)" \
      --arg disk "/dev/$blk, $(lsblk -dno SIZE /dev/$blk | xargs), driver ${drv:-?}, scheduler $(sed 's/.*\[\(.*\)\].*/\1/' $q/scheduler), max_segments $(cat $q/max_segments), max_sectors_kb $(cat $q/max_sectors_kb), rotational $(cat $q/rotational)" \
      --arg filesystem "$(findmnt -no FSTYPE,OPTIONS -T "$DIR" | xargs) (scratch: $DIR)" \
      --arg hugepages "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) x 2 MiB" \
      --arg dpdk "$(pkg-config --modversion libdpdk 2>/dev/null) ($(dpkg-query -W -f='${Version}' dpdk 2>/dev/null))" \
      --arg fio "$(fio --version)" \
      --arg linecap "$("$LC" --version 2>&1 | head -1), $(basename "$BUILD")/ buildtype $(meson introspect --buildoptions "$BUILD" 2>/dev/null | jq -r '.[]|select(.name=="buildtype").value' 2>/dev/null)" \
      --arg commit "$git_rev" \
      --arg bench_dir "$LOGS" \
      --argjson reps "$REPS" --argjson dur "$DUR" --argjson retries "$RETRIES" --argjson contended "$CONTENDED" \
      '{date:$date, wall_min:($wall/60), cpu:$cpu, kernel:$kernel, memory:$memory, disk:$disk,
        filesystem:$filesystem, hugepages:$hugepages, dpdk:$dpdk, fio:$fio, linecap:$linecap,
        commit:$commit, bench_dir:$bench_dir, reps:$reps, dur:$dur, retries:$retries, contended:$contended}' \
      > "$LOGS/meta.json"

$PY "$HELPER" report "$RES" "$LOGS/meta.json" "$CMDS" > "$LOGS/RESULTS.md" || die "report failed"
cat "$LOGS/RESULTS.md"
[ "$OUT" != "-" ] && cp "$LOGS/RESULTS.md" "$OUT" && log "wrote $OUT"
exit 0
