#!/usr/bin/env bash
# linecap test suite: unit tests, then the vdev integration cases.
#
#   tests/run.sh BUILD [ASAN_BUILD]
#
# Runs every BUILD/tests/unit/test_* (each exits 0 on success), then every
# vdev case (tests/vdev/t_*.sh) with BUILD/linecap. With ASAN_BUILD, the unit
# tests and the cases marked "asan" run again with ASAN_BUILD/linecap.
# One line per test: "ok NAME", "skip NAME: reason" (a case that cannot run
# here, see `skip` in tests/vdev/lib.sh) or "FAIL NAME: reason"; the last
# line is "N passed, N failed, N skipped"; the exit status is non-zero when
# anything failed (skips alone leave it 0).
# Environment: LC_CASES="a b" runs only those vdev cases (no unit tests);
# LC_KEEP=1 keeps each case's output under tests/out/; the log of every
# failed test stays in tests/out/RUN.TAG.NAME.log.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
BUILD=${1:?usage: tests/run.sh BUILD [ASAN_BUILD]}
ASAN_BUILD=${2:-}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
if [ -n "$ASAN_BUILD" ]; then case $ASAN_BUILD in /*) ;; *) ASAN_BUILD=$ROOT/$ASAN_BUILD ;; esac; fi

source "$ROOT/tests/vdev/lib.sh"
for s in "$ROOT"/tests/vdev/t_*.sh; do source "$s"; done

LC_RUN=run$$
export LC_RUN
mkdir -p "$OUTROOT"
PASSED=0
FAILED=0
SKIPPED=0

run_units() {
    local build=$1 tag=$2 t name rc found=0
    for t in "$build"/tests/unit/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        found=1
        name=$(basename "$t")
        timeout -s KILL 120 "$t" >"$OUTROOT/$LC_RUN.$tag.$name.log" 2>&1 </dev/null
        rc=$?
        if [ $rc = 0 ]; then
            echo "ok $tag/$name"
            PASSED=$((PASSED + 1))
            rm -f "$OUTROOT/$LC_RUN.$tag.$name.log"
        else
            echo "FAIL $tag/$name: exit $rc: $(grep -iE 'fail|error|assert' "$OUTROOT/$LC_RUN.$tag.$name.log" | head -1 | cut -c1-200)"
            FAILED=$((FAILED + 1))
        fi
    done
    if [ $found = 0 ]; then
        echo "FAIL $tag/unit: no unit test binaries in $build/tests/unit/"
        FAILED=$((FAILED + 1))
    fi
}

if [ -n "${LC_CASES:-}" ]; then
    read -r -a SELECTED <<<"$LC_CASES"
    ASAN_SELECTED=("${SELECTED[@]}")
else
    SELECTED=("${CASES[@]}")
    ASAN_SELECTED=("${ASAN_CASES[@]}")
    run_units "$BUILD" unit
fi
run_cases "$BUILD/linecap" vdev "${SELECTED[@]}"

if [ -n "$ASAN_BUILD" ]; then
    # leak checking on: linecap exits leak-free (DPDK included) on every
    # path the cases take; set ASAN_OPTIONS=detect_leaks=0 to look past leaks
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    [ -n "${LC_CASES:-}" ] || run_units "$ASAN_BUILD" asan-unit
    run_cases "$ASAN_BUILD/linecap" asan "${ASAN_SELECTED[@]}"
fi

rmdir "$OUTROOT/$LC_RUN" 2>/dev/null
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
