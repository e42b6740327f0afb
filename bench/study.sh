#!/usr/bin/env bash
# The capture study (issue 4; docs/STUDY.md): which engine captures a
# saturated link, on which path, for 64 B frames and the ~965 B backbone mix.
#
#   bench/study.sh [--smoke] [BUILD]       (make study = bench/study.sh build)
#
# Matrix: paths memif, vhost, veth x traffic 64@10g, 965@10g, 64@max, 965@max
# x engines linecap (pcap to disk), linecap-pcapng (-F pcapng to disk),
# linecap --count-only, dpdk-testpmd rxonly, dpdk-dumpcap on a testpmd
# primary (memif, vhost), tcpdump -w and netsniff-ng (veth); plus the second
# consumer (two captures of the same traffic).
# Each run: the receiver is up and polling first, then linecap-gen offers the
# traffic for LCS_DUR seconds with --no-retry (a frame the link's ring cannot
# take is dropped and counted, as a NIC drops on a full receive ring), the
# receiver is stopped after the generator's last frame, and only then does the
# generator close its port (linecap-gen --linger: no disconnect while a peer
# polls). The generator on CPU 0 (taskset -c 0), the capture on CPU 1, each
# engine in the layout its documentation recommends (docs/STUDY-LAYOUT.md):
# linecap whole under taskset -c 1 (README.md's layout for a 2-CPU machine
# shared with a generator), testpmd's lcores on CPU 1, tcpdump and
# netsniff-ng under taskset -c 1, dpdk-dumpcap on CPU 0.
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
ENGINES=${LCS_ENGINES:-linecap linecap-pcapng linecap-count testpmd dumpcap tcpdump netsniff-ng}
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

# links (scripts/links.sh) live in a private state directory: down-all
# removes this run's links and nothing else
export LC_LINKS_DIR=$DIR/links
cleanup() {
    "$LINKS" down-all >/dev/null 2>&1 || log "links.sh down-all failed: a namespace lc-s* may be left"
    rm -rf "$CAPDIR" "$DIR/links" /var/run/dpdk/${TAG}* 2>/dev/null
    local m
    for m in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do rm -f "$m/${TAG}"* 2>/dev/null; done
    [ "${LOCK_OWNED:-0}" = 0 ] || rm -f "$LOCK"
}
on_exit cleanup

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
    cc -O2 -Wall -shared -fPIC -o "$DIR/afp_drops.so" "$ROOT/tests/shim/afp_drops.c" -ldl ||
        die "cannot build $ROOT/tests/shim/afp_drops.c" ;;
esac

# other DPDK programs, captures or compilers disturb a 2-CPU machine: wait up
# to MAXWAIT s for them before each run (lib.sh's wait_quiet), and count the
# runs that overlapped one (OVERLAP)

# ------------------------------------------------------------ paths

# Who owns the link: the receiver, always (links.sh --capture-owns). It is
# up and polling before the sender connects, as a NIC queue is polled before
# traffic arrives:
#   memif  receiver role=server (creates the socket, polls while unconnected),
#          generator role=client;
#   vhost  receiver net_vhost (the vhost-user back end, server socket),
#          generator net_virtio_user (connects; its link comes up when the
#          back end is ready);
#   veth   receiver on lc-NAME-a, generator under `ip netns exec lc-NAME` on
#          lc-NAME-b (net_af_packet).
# One link per path (s<PID>m, s<PID>h, s<PID>), made on first use; up again
# removes a stale socket.
path_up() {   # PATH
    local name=s$(($$ % 100000)) out
    case $1 in
    memif) out=$("$LINKS" up memif "${name}m" --capture-owns) ;;
    vhost) out=$("$LINKS" up vhost "${name}h" --capture-owns) ;;
    veth) out=$("$LINKS" up veth "$name") ;;
    esac || die "links.sh up $1 failed"
    eval "$out"
    REC_DEV=$LINK_CAPTURE GEN_DEV=$LINK_GEN GEN_NS=$LINK_GEN_NETNS REC_IF=$LINK_KERNEL_IF
    VETH_A=$LINK_KERNEL_IF VETH_B=lc-$name-b
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
# (spawn, stop_pid, wait_for, stop_all: lib.sh)

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
# tests/shim/afp_drops.c preloaded, which reads them when the socket is closed.
kern_counters() {
    [ -n "$GEN_NS" ] || { echo "0 0 0"; return; }
    local sn=0 x
    for x in $(awk '{print $2}' /proc/net/softnet_stat); do sn=$((sn + 16#$x)); done
    echo "$(ip netns exec "$GEN_NS" cat /sys/class/net/"$VETH_B"/statistics/tx_dropped) $(cat /sys/class/net/"$VETH_A"/statistics/rx_dropped) $sn"
}

# The generator: linecap-gen whole on CPU 0 (taskset -c 0 ... --cores 0) for
# DUR seconds. --linger keeps its
# port open after the last frame (its JSON is already written) until the
# receiver has stopped and left: neither side sees its peer disconnect while
# it is inside a burst call (the net_memif race of DESIGN.md), and every frame
# it attempted was attempted while the receiver ran.
gen_start() {   # RUNDIR TRAFFIC [DEV [SUFFIX]]
    local r=$1 dev=${3:-$GEN_DEV} sfx=${4:-} ns=()
    [ -z "$GEN_NS" ] || ns=(ip netns exec "$GEN_NS")
    # shellcheck disable=SC2046
    "${ns[@]}" "${ON_GEN[@]}" "$GEN" -i "$dev" --cores "$GEN_CPU" $(traffic_args "$2") --flows 8 \
        --duration "$DUR" --link-wait 20 --linger 60 --quiet --json "$r/gen$sfx.json" \
        -- --file-prefix="${TAG}g$sfx" >"$r/gen$sfx.out" 2>"$r/gen$sfx.err" </dev/null &
    local p=$!
    track "$p"
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

# linecap: whole on the capture CPU (README.md: `taskset -c 1 linecap --cores 1`)
LC_BASE=(--cores "$CAP_CPU" --stats-interval 0)
# testpmd: both lcores on the capture CPU; the forwarding lcore's id (2)
# differs from dumpcap's (0), PLATFORM.md
TP_EAL=(--lcores "0@$CAP_CPU,2@$CAP_CPU" --main-lcore 0 --no-pci --file-prefix "${TAG}t" --log-level 'pmd.*:error')
TP_APP=(--forward-mode=rxonly --nb-cores=1 --rxd=4096 --txd=512 -a --stats-period 1)

run_one() {   # PATH TRAFFIC ENGINE REP
    local path=$1 tr=$2 eng=$3 rep=$4
    local r=$LOGS/$path.$tr.$eng.$rep
    rm -rf "$r" "$CAPDIR"
    mkdir -p "$r" "$CAPDIR"
    printf 'path=%s\ntraffic=%s\nengine=%s\nrep=%s\nduration=%s\n' "$path" "$tr" "$eng" "$rep" "$DUR" >"$r/meta"
    path_up "$path"
    wait_quiet "$MAXWAIT"
    local rx=() rxpids=() ready='' rxname=rx
    case $eng in
    linecap)
        rx=("${ON_CAP[@]}" "$LC" -i "${REC_IF:-$REC_DEV}" "${LC_BASE[@]}" -w "$CAPDIR/cap.pcap"
            -b filesize:1000000 -b files:3 --stats-json "$r/rx.json" -- --file-prefix="${TAG}r")
        ready='^linecap: port' ;;
    linecap-pcapng)
        rx=("${ON_CAP[@]}" "$LC" -i "${REC_IF:-$REC_DEV}" "${LC_BASE[@]}" -F pcapng -w "$CAPDIR/cap.pcapng"
            -b filesize:1000000 -b files:3 --stats-json "$r/rx.json" -- --file-prefix="${TAG}r")
        ready='^linecap: port' ;;
    linecap-count)
        rx=("${ON_CAP[@]}" "$LC" -i "${REC_IF:-$REC_DEV}" "${LC_BASE[@]}" --count-only --stats-json "$r/rx.json"
            -- --file-prefix="${TAG}r")
        ready='^linecap: port' ;;
    testpmd|dumpcap)
        rx=(dpdk-testpmd "${TP_EAL[@]}" --vdev "$REC_DEV" -- "${TP_APP[@]}")
        ready='packet forwarding - ports=' ;;
    tcpdump)
        rx=("${ON_CAP[@]}" tcpdump -i "$REC_IF" -n -s 0 -w "$CAPDIR/td.pcap" -C 1000 -W 3 -Z root)
        ready='listening on' ;;
    netsniff-ng)
        rx=("${ON_CAP[@]}" netsniff-ng --in "$REC_IF" --out "$CAPDIR/" --prefix ns --interval 1000MiB
            --overwrite 3 --silent --bind-cpu "$CAP_CPU" --notouch-irq)
        ready='Running' ;;
    esac
    # testpmd's af_packet socket drops (see kern_counters); linecap counts
    # its own (kernel_drops in its JSON)
    [ "$path" = veth ] && case $eng in testpmd)
        rx=(env LD_PRELOAD="$DIR/afp_drops.so" LCS_AFP_DROPS="$r/afp" "${rx[@]}") ;; esac
    local k0 k1
    k0=$(kern_counters)
    spawn RX "$r/rx.log" "${rx[@]}"
    rxpids=("$P_RX")
    if ! wait_for "$r/rx.log" "$ready" 20 "$P_RX"; then
        log "$path $tr $eng $rep: receiver not ready: $(tail -3 "$r/rx.log" | tr '\n' '|')"
    fi
    if [ "$eng" = dumpcap ]; then
        spawn DC "$r/dc.log" env LD_PRELOAD=librte_mempool_dpaa.so.23 "${ON_GEN[@]}" \
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
    stop_all
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
    wait_quiet "$MAXWAIT"
    local rxp=() gp=() link=() out
    for i in 1 2; do
        out=$("$LINKS" up memif "s$(($$ % 100000))m$i" --capture-owns) || die "links.sh up memif failed"
        eval "$out"
        link+=("$LINK_GEN")
        local cap=(-w "$CAPDIR/c$i.pcap" -b filesize:1000000 -b files:3 -B 1024)
        [ "$eng" = linecap-count ] && cap=(--count-only)
        spawn RX "$r/rx$i.log" "${ON_CAP[@]}" "$LC" -i "$LINK_CAPTURE" \
            "${LC_BASE[@]}" "${cap[@]}" --stats-json "$r/rx$i.json" -- --file-prefix="${TAG}r$i"
        rxp+=("$P_RX")
        wait_for "$r/rx$i.log" '^linecap: port' 20 "$P_RX" || log "second $tr: capture $i not ready"
    done
    sleep 0.3
    for i in 1 2; do
        gen_start "$r" "$tr" "${link[$((i - 1))]}" "$i"
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
    stop_all
    rm -rf "$CAPDIR"
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
lib_exit     # stop what runs, remove the links, then the logs
if [ $SMOKE = 1 ] && [ "${LCS_KEEP:-0}" != 1 ]; then rm -rf "$DIR"; else log "run logs kept in $LOGS"; fi
