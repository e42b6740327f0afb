#!/usr/bin/env bash
# The capture study (issue 4; docs/STUDY.md): which engine captures a
# saturated link, on which path, for 64 B frames and the ~965 B backbone mix.
#
#   bench/study.sh [--smoke] [BUILD]       (make study = bench/study.sh build)
#
# Matrix: paths memif, vhost, veth x traffic 64@10g, 965@10g, 64@max, 965@max
# x engines linecap (pcap to disk), linecap --count-only, dpdk-testpmd rxonly,
# dpdk-dumpcap on a testpmd primary (memif, vhost), tcpdump -w and netsniff-ng
# (veth); plus the second consumer (two captures of the same traffic).
# Each run: the receiver is up and polling first, then linecap-gen offers the
# traffic for LCS_DUR seconds with --no-retry (a frame the link's ring cannot
# take is dropped and counted, as a NIC drops on a full receive ring), the
# receiver is stopped after the generator's last frame, and only then does the
# generator close its port (linecap-gen --linger: no disconnect while a peer
# polls). Generator on CPU 0, receive core on CPU 1.
#
# --smoke: one short run (LCS_DUR 1) per cell, no second consumer, results to
# LCS_OUT (default tests/out/study-smoke); the full run writes results/.
#
# Environment: LCS_DUR seconds of traffic per run (3; smoke 1), LCS_REPS (3;
# smoke 1), LCS_DIR scratch directory on the disk under test (/var/tmp/lcstudy),
# LCS_OUT output directory, LCS_PATHS, LCS_TRAFFIC, LCS_ENGINES (subsets),
# LCS_SECOND (1: run the second-consumer case; smoke 0), LCS_MAXWAIT seconds
# to wait for other DPDK programs to end before a run (full 300, smoke 0).
SMOKE=0
if [ "${1:-}" = --smoke ]; then SMOKE=1; shift; fi
. "$(dirname "$0")/lib.sh"
HELPER=$HERE/study.py
if [ $SMOKE = 1 ]; then
    DUR=${LCS_DUR:-1} REPS=${LCS_REPS:-1} SECOND=${LCS_SECOND:-0} MAXWAIT=${LCS_MAXWAIT:-0}
    OUT=${LCS_OUT:-$ROOT/tests/out/study-smoke}
    TRAFFIC=${LCS_TRAFFIC:-64@10g 965@max}
else
    DUR=${LCS_DUR:-3} REPS=${LCS_REPS:-3} SECOND=${LCS_SECOND:-1} MAXWAIT=${LCS_MAXWAIT:-300}
    OUT=${LCS_OUT:-$ROOT/results}
fi
PATHS=${LCS_PATHS:-memif vhost veth}
TRAFFIC=${TRAFFIC:-${LCS_TRAFFIC:-64@10g 965@10g 64@max 965@max}}
ENGINES=${LCS_ENGINES:-linecap linecap-count testpmd dumpcap tcpdump netsniff-ng}
SCRATCH=${LCS_DIR:-/var/tmp/lcstudy}
# the CPU window starts T1 s after the generator is started (its EAL is up
# and it is sending) and ends at its last frame
T1=$([ "$DUR" -ge 2 ] && echo 0.8 || echo 0.4)
DIR=$SCRATCH/$$
CAPDIR=$DIR/cap
LOGS=$DIR/runs
TAG=lcs$$
LOCK=/tmp/lc-study.lock

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$LC" ] && [ -x "$GEN" ] || die "no $LC or $GEN: build first (make build)"
for t in dpdk-testpmd dpdk-dumpcap tcpdump netsniff-ng capinfos taskset; do
    command -v $t >/dev/null || die "$t is not installed (bash scripts/setup.sh)"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (generator on CPU 0, capture on CPU 1)"

# ------------------------------------------------------------ bookkeeping

PIDS=()        # every process we started and may have to stop
LINK=""        # veth link name (scripts/links.sh), when up
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
    sleep 0.5
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
    PIDS=()
    if [ -n "$LINK" ]; then
        LC_LINKS_DIR=$DIR/links "$ROOT/scripts/links.sh" down "$LINK" >/dev/null 2>&1 ||
            log "links.sh down $LINK failed: namespace lc-$LINK may be left"
        LINK=""
    fi
    rm -rf "$CAPDIR" "$DIR"/*.sock "$DIR/links" /var/run/dpdk/${TAG}* 2>/dev/null
    local m
    for m in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do rm -f "$m/${TAG}"* 2>/dev/null; done
    [ "${LOCK_OWNED:-0}" = 0 ] || rm -f "$LOCK"
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

# The lead's benchmarks hold /tmp/lc-bench.lock: a full study waits for it.
if [ $SMOKE = 0 ]; then
    while [ -e /tmp/lc-bench.lock ]; do log "waiting for /tmp/lc-bench.lock"; sleep 30; done
    echo $$ >"$LOCK"
    LOCK_OWNED=1
fi

mkdir -p "$CAPDIR" "$LOGS" "$OUT" || die "cannot create $DIR or $OUT"
RUNS=$DIR/runs.jsonl
: >"$RUNS"
case " $PATHS " in *" veth "*)
    cc -O2 -Wall -shared -fPIC -o "$DIR/afp_drops.so" "$HERE/afp_drops.c" -ldl ||
        die "cannot build $HERE/afp_drops.c" ;;
esac

# other DPDK programs, captures or compilers disturb a 2-CPU machine: wait up
# to MAXWAIT s for them before each run, and count the runs that overlapped one
OVERLAP=0
foreign() {
    local p pp
    for p in $(pgrep -x dpdk-testpmd; pgrep -x linecap; pgrep -x linecap-gen; pgrep -x dpdk-dumpcap; pgrep -x cc1; pgrep -x fio; pgrep -x tcpdump; pgrep -x netsniff-ng); do
        pp=$(awk '{print $4}' /proc/$p/stat 2>/dev/null)
        [ "$pp" = $$ ] || [ "$p" = $$ ] && continue
        echo "$p"
    done
}
wait_quiet() {
    local t=0
    [ "$MAXWAIT" -gt 0 ] || return 0
    while [ -n "$(foreign)" ] && [ $t -lt "$MAXWAIT" ]; do sleep 1; t=$((t + 1)); done
    [ -z "$(foreign)" ] || { OVERLAP=$((OVERLAP + 1)); log "machine still busy after ${MAXWAIT}s; running anyway"; }
}

# ------------------------------------------------------------ paths

# Who owns the link: the receiver, always. It is up and polling before the
# sender connects, as a NIC queue is polled before traffic arrives:
#   memif  receiver role=server (creates the socket, polls while unconnected),
#          generator role=client;
#   vhost  receiver net_vhost (the vhost-user back end, server socket),
#          generator net_virtio_user (connects; its link comes up when the
#          back end is ready);
#   veth   scripts/links.sh: receiver on lc-NAME-a, generator under
#          `ip netns exec lc-NAME` on lc-NAME-b (net_af_packet).
path_up() {   # PATH
    local sock=$DIR/$1.sock
    REC_IF="" GEN_NS=""
    case $1 in
    memif)
        rm -f "$sock"
        REC_DEV="net_memif0,role=server,id=0,socket=$sock,socket-abstract=no"
        GEN_DEV="net_memif0,role=client,id=0,socket=$sock,socket-abstract=no" ;;
    vhost)
        rm -f "$sock"
        REC_DEV="net_vhost0,iface=$sock,queues=1"
        GEN_DEV="net_virtio_user0,path=$sock,queues=1" ;;
    veth)
        if [ -z "$LINK" ]; then
            LINK=s$(($$ % 100000))
            local out
            out=$(LC_LINKS_DIR=$DIR/links "$ROOT/scripts/links.sh" up veth "$LINK") || die "links.sh up veth $LINK failed"
            eval "$out"
            VETH_A=$LINK_KERNEL_IF VETH_B=lc-$LINK-b VETH_NS=$LINK_GEN_NETNS GEN_VETH=$LINK_GEN
        fi
        REC_IF=$VETH_A
        REC_DEV="net_af_packet0,iface=$VETH_A"
        GEN_DEV=$GEN_VETH
        GEN_NS=$VETH_NS ;;
    esac
    SOCK=$sock
}

# ------------------------------------------------------------ traffic

# RATE@10g: paced at 10 Gb/s wire rate with --no-retry: the link never waits
#   (a frame its ring cannot take is dropped and counted as refused), the
#   saturated link of the paper;
# RATE@max: as fast as the generator's core can send, with back-pressure
#   (a refused frame is offered again): the highest rate the path and the
#   engine sustain together, and whether the engine loses frames inside.
traffic_args() {   # 64@10g | 965@10g | 64@max | 965@max
    local size=${1%@*} rate=${1#*@} a
    case $size in 64) a="--size 64" ;; 965) a="--mix caida" ;; esac
    if [ "$rate" = max ]; then echo "$a"; else echo "$a --rate $rate --no-retry"; fi
}

# ------------------------------------------------------------ processes

# start NAME LOGFILE CMD...: background process, recorded in PIDS; sets P_NAME
start() {
    local name=$1 logf=$2
    shift 2
    "$@" >"$logf" 2>&1 </dev/null &
    eval "P_$name=$!"
    PIDS+=("$!")
}

# wait_for FILE PATTERN SECS PID: until FILE matches PATTERN (1 found, 0 not)
wait_for() {
    local i=0
    while [ $i -lt $(($3 * 50)) ]; do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || return 1
        sleep 0.02
        i=$((i + 1))
    done
    return 1
}

# stop_pid PID SECS: SIGINT, wait up to SECS, then KILL; returns the exit code
stop_pid() {
    local p=$1 i=0
    kill -INT "$p" 2>/dev/null
    while kill -0 "$p" 2>/dev/null && [ $i -lt $(($2 * 50)) ]; do sleep 0.02; i=$((i + 1)); done
    kill -0 "$p" 2>/dev/null && { log "PID $p still running $2 s after SIGINT: KILL"; kill -KILL "$p"; }
    wait "$p" 2>/dev/null
}

# CPU time (utime+stime, clock ticks) of PIDS and of each CPU (busy ticks of
# /proc/stat: everything but idle and iowait), one sample line per call
cpu_sample() {   # LABEL FILE PID...
    local label=$1 f=$2 p
    shift 2
    {
        printf '%s %s' "$label" "$(date +%s.%N)"
        for p in "$@"; do
            printf ' %s' "$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo -1)"
        done
        awk '/^cpu[01] / {printf " %s:%d", $1, $2+$3+$4+$7+$8+$9}' /proc/stat
        echo
    } >>"$f"
}

# Kernel drops on the veth path: the sender's veth tx_dropped, the receiver's
# rx_dropped and the per-CPU backlog drops (/proc/net/softnet_stat column 2).
# Drops in an af_packet socket's ring are counted by the socket's owner only
# (PACKET_STATISTICS): tcpdump, netsniff-ng and linecap (kernel_drops) report
# them; DPDK 22.11's net_af_packet does not, so testpmd on veth runs with
# bench/afp_drops.c preloaded, which reads them when the socket is closed.
kern_counters() {
    [ -n "$GEN_NS" ] || { echo "0 0 0"; return; }
    local sn=0 x
    for x in $(awk '{print $2}' /proc/net/softnet_stat); do sn=$((sn + 16#$x)); done
    echo "$(ip netns exec "$GEN_NS" cat /sys/class/net/"$VETH_B"/statistics/tx_dropped) $(cat /sys/class/net/"$VETH_A"/statistics/rx_dropped) $sn"
}

# The generator: linecap-gen on CPU 0 for DUR seconds. --linger keeps its
# port open after the last frame (its JSON is already written) until the
# receiver has stopped and left: neither side sees its peer disconnect while
# it is inside a burst call (the net_memif race of DESIGN.md), and every frame
# it attempted was attempted while the receiver ran.
gen_start() {   # RUNDIR TRAFFIC [DEV [SUFFIX]]
    local r=$1 dev=${3:-$GEN_DEV} sfx=${4:-} ns=()
    [ -z "$GEN_NS" ] || ns=(ip netns exec "$GEN_NS")
    # shellcheck disable=SC2046
    "${ns[@]}" "$GEN" -i "$dev" --cores 0 $(traffic_args "$2") --flows 8 \
        --duration "$DUR" --link-wait 20 --linger 60 --quiet --json "$r/gen$sfx.json" \
        -- --file-prefix="${TAG}g$sfx" >"$r/gen$sfx.out" 2>"$r/gen$sfx.err" </dev/null &
    local p=$!
    PIDS+=("$p")
    eval "GEN_PID$sfx=$p"
}

# wait until the generator has sent its last frame: its JSON appears (renamed
# into place whole) right after, at most DUR + 30 s
gen_wait_done() {   # RUNDIR PID [SUFFIX]
    local r=$1 p=$2 sfx=${3:-}
    wait_for "$r/gen$sfx.json" '"per_queue"' $((DUR + 30)) "$p" ||
        log "generator $p did not finish: $(tail -2 "$r/gen$sfx.err" | tr '\n' '|')"
}

# after the receiver has gone: the generator leaves its linger when it sees
# the link down (memif, vhost) or on SIGINT (veth: the link stays up)
gen_release() {   # RUNDIR PID [SUFFIX]
    local r=$1 p=$2 sfx=${3:-}
    stop_pid "$p" 10
    echo $? >"$r/gen$sfx.rc"
}

# ------------------------------------------------------------ one run

LC_BASE=(--cores 1 --stats-interval 0)
TP_EAL=(--lcores 0@0,2@1 --main-lcore 0 --no-pci --file-prefix "${TAG}t" --log-level 'pmd.*:error')
TP_APP=(--forward-mode=rxonly --nb-cores=1 --rxd=4096 --txd=512 -a --stats-period 1)

run_one() {   # PATH TRAFFIC ENGINE REP
    local path=$1 tr=$2 eng=$3 rep=$4
    local r=$LOGS/$path.$tr.$eng.$rep
    rm -rf "$r" "$CAPDIR"
    mkdir -p "$r" "$CAPDIR"
    printf 'path=%s\ntraffic=%s\nengine=%s\nrep=%s\nduration=%s\n' "$path" "$tr" "$eng" "$rep" "$DUR" >"$r/meta"
    path_up "$path"
    wait_quiet
    local rx=() rxpids=() ready='' rxname=rx
    case $eng in
    linecap)
        rx=("$LC" -i "${REC_IF:-$REC_DEV}" "${LC_BASE[@]}" -w "$CAPDIR/cap.pcap" -b filesize:1000000 -b files:3
            --stats-json "$r/rx.json" -- --file-prefix="${TAG}r")
        ready='^linecap: port' ;;
    linecap-count)
        rx=("$LC" -i "${REC_IF:-$REC_DEV}" "${LC_BASE[@]}" --count-only --stats-json "$r/rx.json"
            -- --file-prefix="${TAG}r")
        ready='^linecap: port' ;;
    testpmd|dumpcap)
        rx=(dpdk-testpmd "${TP_EAL[@]}" --vdev "$REC_DEV" -- "${TP_APP[@]}")
        ready='packet forwarding - ports=' ;;
    tcpdump)
        rx=(taskset -c 1 tcpdump -i "$REC_IF" -n -s 0 -w "$CAPDIR/td.pcap" -C 1000 -W 3 -Z root)
        ready='listening on' ;;
    netsniff-ng)
        rx=(netsniff-ng --in "$REC_IF" --out "$CAPDIR/" --prefix ns --interval 1000MiB --overwrite 3
            --silent --bind-cpu 1 --notouch-irq)
        ready='Running' ;;
    esac
    # testpmd's af_packet socket drops (see kern_counters); linecap counts
    # its own (kernel_drops in its JSON)
    [ "$path" = veth ] && case $eng in testpmd)
        rx=(env LD_PRELOAD="$DIR/afp_drops.so" LCS_AFP_DROPS="$r/afp" "${rx[@]}") ;; esac
    local k0 k1
    k0=$(kern_counters)
    start RX "$r/rx.log" "${rx[@]}"
    rxpids=("$P_RX")
    if ! wait_for "$r/rx.log" "$ready" 20 "$P_RX"; then
        log "$path $tr $eng $rep: receiver not ready: $(tail -3 "$r/rx.log" | tr '\n' '|')"
    fi
    if [ "$eng" = dumpcap ]; then
        start DC "$r/dc.log" env LD_PRELOAD=librte_mempool_dpaa.so.23 taskset -c 0 \
            dpdk-dumpcap --file-prefix="${TAG}t" -i 0 -q -w "$CAPDIR/dump.pcapng"
        rxpids+=("$P_DC")
        wait_for "$r/dc.log" "^File: " 20 "$P_DC" ||
            log "$path $tr dumpcap $rep: dumpcap not capturing: $(tail -3 "$r/dc.log" | tr '\n' '|')"
    fi
    sleep 0.3
    gen_start "$r" "$tr"
    local gp=$GEN_PID
    sleep "$T1"
    cpu_sample t1 "$r/cpu" "$gp" "${rxpids[@]}"
    gen_wait_done "$r" "$gp"
    cpu_sample t2 "$r/cpu" "$gp" "${rxpids[@]}"
    sleep 0.3                    # the last frames reach the receiver
    k1=$(kern_counters)
    echo "$k0 $k1" >"$r/kern"
    if [ "$eng" = dumpcap ]; then
        stop_pid "$P_DC" 20
        echo $? >"$r/dc.rc"
    fi
    stop_pid "$P_RX" 30
    echo $? >"$r/rx.rc"
    gen_release "$r" "$gp"
    PIDS=()
    case $eng in
    dumpcap) capinfos -M -c "$CAPDIR/dump.pcapng" 2>/dev/null |
                 awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}' >"$r/dc.count" ;;
    esac
    rm -rf "$CAPDIR"
    $PY "$HELPER" row "$r" >>"$RUNS" || log "cannot parse run $r"
    log "$(tail -1 "$RUNS" | $PY "$HELPER" oneline)"
}

# The second consumer: the paper's two VFs, each receiving every frame. Two
# memif links, each fed by its own linecap-gen offering the same traffic
# (both on CPU 0), two linecap captures to disk (both receive cores on CPU 1):
# what a second copy of the traffic costs on the same two CPUs.
run_second() {   # TRAFFIC ENGINE REP
    local tr=$1 eng=$2 rep=$3 i
    local r=$LOGS/second.$tr.$eng.$rep
    rm -rf "$r" "$CAPDIR"
    mkdir -p "$r" "$CAPDIR"
    printf 'path=%s\ntraffic=%s\nengine=%s\nrep=%s\nduration=%s\nconsumers=2\n' memif-x2 "$tr" "$eng" "$rep" "$DUR" >"$r/meta"
    GEN_NS=""
    wait_quiet
    local rxp=() gp=()
    for i in 1 2; do
        rm -f "$DIR/m$i.sock"
        local cap=(-w "$CAPDIR/c$i.pcap" -b filesize:1000000 -b files:3 -B 1024)
        [ "$eng" = linecap-count ] && cap=(--count-only)
        start RX "$r/rx$i.log" "$LC" -i "net_memif$i,role=server,id=0,socket=$DIR/m$i.sock,socket-abstract=no" \
            "${LC_BASE[@]}" "${cap[@]}" --stats-json "$r/rx$i.json" -- --file-prefix="${TAG}r$i"
        rxp+=("$P_RX")
        wait_for "$r/rx$i.log" '^linecap: port' 20 "$P_RX" || log "second $tr: capture $i not ready"
    done
    sleep 0.3
    for i in 1 2; do
        gen_start "$r" "$tr" "net_memif$i,role=client,id=0,socket=$DIR/m$i.sock,socket-abstract=no" "$i"
        eval "gp+=(\$GEN_PID$i)"
    done
    sleep "$T1"
    cpu_sample t1 "$r/cpu" "${gp[@]}" "${rxp[@]}"
    gen_wait_done "$r" "${gp[0]}" 1
    gen_wait_done "$r" "${gp[1]}" 2
    cpu_sample t2 "$r/cpu" "${gp[@]}" "${rxp[@]}"
    sleep 0.3
    echo "0 0 0 0 0 0" >"$r/kern"
    for i in 1 2; do stop_pid "${rxp[$((i - 1))]}" 30; echo $? >"$r/rx$i.rc"; done
    for i in 1 2; do gen_release "$r" "${gp[$((i - 1))]}" "$i"; done
    PIDS=()
    rm -rf "$CAPDIR" "$DIR"/m?.sock
    $PY "$HELPER" row "$r" >>"$RUNS" || log "cannot parse run $r"
    log "$(tail -1 "$RUNS" | $PY "$HELPER" oneline)"
}

applies() {   # PATH ENGINE
    case $2 in
    dumpcap) [ "$1" != veth ] ;;
    tcpdump|netsniff-ng) [ "$1" = veth ] ;;
    *) return 0 ;;
    esac
}

# ------------------------------------------------------------ the matrix

T0=$(date +%s)
log "$( [ $SMOKE = 1 ] && echo smoke || echo full ) study: ${DUR}s per run, $REPS repetitions, logs in $LOGS"
for rep in $(seq 1 "$REPS"); do
    for path in $PATHS; do
        for tr in $TRAFFIC; do
            for eng in $ENGINES; do
                applies "$path" "$eng" || continue
                run_one "$path" "$tr" "$eng" "$rep"
            done
        done
    done
    if [ "$SECOND" = 1 ]; then
        for tr in 64@10g 965@10g; do
            for eng in linecap linecap-count; do run_second "$tr" "$eng" "$rep"; done
        done
    fi
done
ELAPSED=$(( $(date +%s) - T0 ))

# machine and run description for the report
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
virt="bare metal"
if grep -qw hypervisor /proc/cpuinfo; then
    virt="virtual machine"
    v=$(systemd-detect-virt --vm 2>/dev/null)
    [ -n "$v" ] && [ "$v" != none ] && virt="$virt ($v)"
    case $(uname -r) in *-fc-*) virt="$virt, Firecracker kernel" ;; esac
fi
$PY - "$DIR/meta.json" <<EOF
import json, sys
json.dump({"cpu": "$cpu", "vcpus": $(nproc), "virt": "$virt", "kernel": "$(uname -r)",
           "dpdk": "$(pkg-config --modversion libdpdk 2>/dev/null || echo '?')",
           "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')",
           "date": "$(date -u '+%Y-%m-%d %H:%M UTC')", "duration_s": $DUR, "reps": $REPS,
           "elapsed_s": $ELAPSED, "overlap": $OVERLAP, "smoke": $SMOKE,
           "mem_gib": $(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo),
           "disk": "$(df --output=source,fstype /var/tmp | tail -1 | tr -s ' ')"}, open(sys.argv[1], "w"))
EOF
cp "$RUNS" "$OUT/study-runs.jsonl"
$PY "$HELPER" report "$RUNS" "$DIR/meta.json" "$OUT" || die "report failed (runs in $RUNS)"
log "done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s: $OUT/study.md"
cleanup
trap - EXIT
if [ $SMOKE = 1 ] && [ "${LCS_KEEP:-0}" != 1 ]; then rm -rf "$DIR"; else log "run logs kept in $LOGS"; fi
