# The harness of every bench script, sourced as its first line:
#     . "$(dirname "$0")/lib.sh"
# Takes the script's $1 (the build directory, default build/, relative to
# the repository) and sets HERE (bench/), ROOT, BUILD, LC and GEN (the two
# binaries), PY, LINKS (scripts/links.sh), PARSE (bench/lcparse.py), and
# die/log, which prefix the script's name.
#
# Processes: spawn starts one in the background and records it; stop_pid stops
# one (SIGINT, then KILL); on_exit names a function to run at exit. At exit,
# on SIGINT or SIGTERM every recorded process still running is stopped, then
# the on_exit functions run (newest first); SIGINT/SIGTERM then exit 130.
#
# CPU pinning on a 2-CPU machine shared by a generator and a capture (as
# README.md recommends): ON_GEN and ON_CAP are the taskset prefixes of the
# two sides (GEN_CPU 0, CAP_CPU 1).
set -u
export LC_ALL=C
export PYTHONDONTWRITEBYTECODE=1   # importing lcparse leaves no __pycache__ in bench/
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
LC=$BUILD/linecap
GEN=$BUILD/linecap-gen
PY=/usr/bin/python3
LINKS=$ROOT/scripts/links.sh
PARSE=$ROOT/bench/lcparse.py
BENCH_NAME=$(basename "${BASH_SOURCE[1]}")
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
log() { echo "$BENCH_NAME: $*" >&2; }

GEN_CPU=0
CAP_CPU=1
ON_GEN=(taskset -c "$GEN_CPU")
ON_CAP=(taskset -c "$CAP_CPU")

PIDS=()          # processes started by spawn (or tracked), to stop at exit
EXIT_FNS=()      # functions named by on_exit

# spawn NAME LOGFILE CMD...: run CMD in the background (stdin /dev/null, stdout
# and stderr to LOGFILE), record its PID in PIDS and in P_NAME
spawn() {
    local name=$1 logf=$2
    shift 2
    "$@" >"$logf" 2>&1 </dev/null &
    eval "P_$name=$!"
    PIDS+=("$!")
}

# track PID: record a process started otherwise, to be stopped at exit
track() { PIDS+=("$1"); }

# stop_pid PID SECS: SIGINT, wait up to SECS, then KILL; returns its exit code
stop_pid() {
    local p=$1 i=0
    kill -INT "$p" 2>/dev/null
    while kill -0 "$p" 2>/dev/null && [ $i -lt $(($2 * 50)) ]; do sleep 0.02; i=$((i + 1)); done
    kill -0 "$p" 2>/dev/null && { log "PID $p still running $2 s after SIGINT: KILL"; kill -KILL "$p"; }
    wait "$p" 2>/dev/null
}

# stop_all [SECS]: every recorded process still running: SIGINT, wait up to
# SECS (1), then KILL; forget them all
stop_all() {
    local p i=0 left
    for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
    while [ $i -lt $((${1:-1} * 50)) ]; do
        left=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
        [ $left = 1 ] || break
        sleep 0.02
        i=$((i + 1))
    done
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    PIDS=()
}

# wait_for FILE PATTERN SECS PID: until FILE matches the extended regular
# expression PATTERN (0) or PID has exited or SECS passed (1)
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

on_exit() { EXIT_FNS+=("$1"); }

lib_exit() {
    local i
    trap - EXIT INT TERM
    stop_all 1
    for ((i = ${#EXIT_FNS[@]} - 1; i >= 0; i--)); do "${EXIT_FNS[$i]}"; done
}
trap 'lib_exit' EXIT
trap 'lib_exit; exit 130' INT TERM

# busy_pids NAME...: PIDs of processes with these exact names that are
# neither this script nor its children (another session's runs)
busy_pids() {
    local n p pp
    for n in "$@"; do
        for p in $(pgrep -x "$n"); do
            pp=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)
            [ "$pp" = $$ ] || [ "$p" = $$ ] && continue
            echo "$p"
        done
    done
}
# the programs that disturb a measurement on a small machine
BUSY_NAMES=(dpdk-testpmd linecap linecap-gen dpdk-dumpcap fio cc1 tcpdump netsniff-ng)

# wait_quiet MAXWAIT: wait up to MAXWAIT s until no BUSY_NAMES process of
# another session runs and /tmp/lc-quiet is absent; returns 1 (and counts
# OVERLAP) when the machine was still busy
OVERLAP=0
wait_quiet() {
    local t=0
    while { [ -e /tmp/lc-quiet ] || [ -n "$(busy_pids "${BUSY_NAMES[@]}")" ]; } && [ $t -lt "$1" ]; do
        [ $((t % 60)) = 59 ] && log "waiting for a quiet machine: $(busy_pids "${BUSY_NAMES[@]}" | xargs)"
        sleep 1
        t=$((t + 1))
    done
    [ -z "$(busy_pids "${BUSY_NAMES[@]}")" ] && return 0
    OVERLAP=$((OVERLAP + 1))
    [ "$1" -gt 0 ] && log "machine still busy after ${1}s; running anyway"
    return 1
}
