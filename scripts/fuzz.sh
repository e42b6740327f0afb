#!/usr/bin/env bash
# libFuzzer runs of the fuzz targets (fuzz/fuzz_*.c), with ASan+UBSan.
#
#   scripts/fuzz.sh [TARGET...]        (default: every target)
#
# Builds each target with clang's -fsanitize=fuzzer into build-fuzz/, runs
# it for FUZZ_SECS seconds of wall time (default 1800) on a working corpus
# seeded from fuzz/corpus/TARGET, then merges what found new coverage back
# into fuzz/corpus/TARGET (minimised, so the committed corpus stays small;
# `make test` replays it). FUZZ_PARALLEL targets run at once (default 2),
# under SCHED_IDLE when FUZZ_IDLE=1 so they only take otherwise idle CPU.
# Prints per target: executions, CPU seconds, coverage, crashes. A crash
# leaves build-fuzz/TARGET/crash-* and makes the exit status non-zero.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
OUT=$ROOT/build-fuzz
SECS=${FUZZ_SECS:-1800}
PAR=${FUZZ_PARALLEL:-2}
CC=${FUZZ_CC:-clang-14}
ALL="recover names options pcap verify index"
TARGETS=${*:-$ALL}
CFLAGS=(-O1 -g -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DALLOW_EXPERIMENTAL_API
        '-DLINECAP_VERSION="fuzz"' -I"$ROOT/src" -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=undefined)
die() { echo "fuzz.sh: $*" >&2; exit 2; }
command -v "$CC" >/dev/null || die "$CC not found (apt-get install clang-14)"

sources() {     # the sources each target links
    local common="src/common/log.c src/common/units.c src/common/tsclock.c src/common/sys.c src/common/json.c"
    local storage="src/storage/recover.c src/storage/names.c src/storage/outfile.c src/format/pcap.c src/format/pcapng.c"
    case $1 in
        recover|names) echo "fuzz/fuzz_$1.c $storage" ;;
        options) echo "fuzz/fuzz_options.c src/app/options.c src/stats/counters.c src/stats/metrics.c src/stats/stats.c $common" ;;
        pcap) echo "fuzz/fuzz_pcap.c src/format/pcap.c src/format/pcapng.c -lpcap" ;;
        index) echo "fuzz/fuzz_index.c src/index/build.c src/index/read.c src/index/plan.c src/index/idxfile.c src/index/crc32c.c" ;;
        verify) echo "fuzz/fuzz_verify.c src/verify/flow.c src/verify/analyze.c src/verify/account.c src/verify/verify.c src/format/pcap.c src/format/pcapng.c $common -lpcap -ljansson -lm" ;;
        *) return 1 ;;
    esac
}

run_one() {     # TARGET: build, fuzz, merge; writes $OUT/$1/summary
    local t=$1 dir=$OUT/$1 bin=$OUT/$1/fuzz_$1 src
    mkdir -p "$dir/work"
    src=$(sources "$t") || { echo "$t: unknown target" >"$dir/summary"; return 1; }
    # shellcheck disable=SC2086
    "$CC" "${CFLAGS[@]}" $src -o "$bin" 2>"$dir/build.log" ||
        { echo "$t: build failed: $(head -3 "$dir/build.log")" >"$dir/summary"; return 1; }
    cp -n "fuzz/corpus/$t"/* "$dir/work/" 2>/dev/null
    local pre=() timeout=10
    # under SCHED_IDLE a busy machine can starve a run for many seconds:
    # libFuzzer's timeout is wall time, so give it room there (a timeout
    # found is re-run below and kept only if it reproduces)
    [ "${FUZZ_IDLE:-0}" = 1 ] && pre=(chrt -i 0) && timeout=120
    local t0 t1
    t0=$(awk '{print $14+$15}' /proc/self/stat 2>/dev/null)
    ( cd "$dir" && /usr/bin/time -f "%U %S" -o "$dir/cpu" "${pre[@]}" "$bin" -max_total_time="$SECS" \
        -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" work \
        >"$dir/fuzz.log" 2>&1 )
    local rc=$?
    "$bin" -merge=1 "fuzz/corpus/$t" "$dir/work" >"$dir/merge.log" 2>&1
    local a
    for a in "$dir"/timeout-*; do
        [ -e "$a" ] || continue
        if "$bin" -timeout=10 "$a" >"$a.rerun" 2>&1; then
            echo "$t: $(basename "$a") does not reproduce alone in 10 s (the run was starved): dropped" >>"$dir/notes"
            rm -f "$a" "$a.rerun"
            [ $rc = 70 ] && rc=0
        fi
    done
    local execs cov crashes cpu
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$dir/fuzz.log" | tail -1 | grep -o '[0-9]*')
    crashes=$(ls "$dir" | grep -cE '^(crash|leak|timeout|oom)-')
    cpu=$(awk '{printf "%.0f", $1+$2}' "$dir/cpu" 2>/dev/null)
    cat "$dir/notes" 2>/dev/null
    echo "$t: ${execs:-?} executions, ${cpu:-?} CPU s, coverage ${cov:-?} edges, corpus $(ls "fuzz/corpus/$t" | wc -l) inputs, ${crashes} findings (exit $rc)" >"$dir/summary"
    [ "$crashes" = 0 ] && [ $rc = 0 ]
}

rc=0
running=0
for t in $TARGETS; do
    run_one "$t" &
    running=$((running + 1))
    if [ $running -ge "$PAR" ]; then wait -n || rc=1; running=$((running - 1)); fi
done
while [ $running -gt 0 ]; do wait -n || rc=1; running=$((running - 1)); done
for t in $TARGETS; do cat "$OUT/$t/summary" 2>/dev/null; done
exit $rc
