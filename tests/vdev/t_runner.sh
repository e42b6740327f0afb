# The case runner itself (run_cases in lib.sh, the summary of tests/run.sh):
# a case that calls `skip` is reported "skip TAG/NAME: reason" and counted
# as skipped, never as passed; skips alone leave the exit status 0.
# shellcheck shell=bash

# Dummy cases, never registered: only runner_skip runs them (via LC_CASES).
case_dummy_skips() { skip "dummy: nothing to test here"; }
case_dummy_passes() { return 0; }
case_dummy_fails() { fail "dummy: failed on purpose"; }
case_dummy_exit77() { exit 77; }    # 77 without `skip` is not a skip

# run_dummies OUT NAME...: tests/run.sh on the dummy cases, output in
# $T/OUT, its exit status in RD_RC
run_dummies() {
    local out=$1
    shift
    LC_OUTROOT=$T/runs LC_CASES="$*" timeout -s KILL 60 bash "$LC_ROOT/tests/run.sh" \
        "$(dirname "$LINECAP")" >"$T/$out" 2>&1 </dev/null
    RD_RC=$?
    log "tests/run.sh on '$*': exit $RD_RC: $(tr '\n' '|' <"$T/$out")"
}

register runner_skip
case_runner_skip() {
    run_dummies all dummy_skips dummy_passes dummy_fails dummy_exit77
    [ "$RD_RC" = 1 ] || fail "exit $RD_RC with one skip, one pass, two failures; expected 1"
    grep -qx "skip vdev/dummy_skips: dummy: nothing to test here" "$T/all" ||
        fail "no line 'skip vdev/dummy_skips: dummy: nothing to test here': $(tr '\n' '|' <"$T/all")"
    grep -q "^ok vdev/dummy_skips" "$T/all" && fail "a skipping case reported ok"
    grep -qx "ok vdev/dummy_passes" "$T/all" || fail "no 'ok vdev/dummy_passes': $(tr '\n' '|' <"$T/all")"
    grep -q "^FAIL vdev/dummy_fails: dummy: failed on purpose" "$T/all" ||
        fail "no 'FAIL vdev/dummy_fails': $(tr '\n' '|' <"$T/all")"
    grep -q "^FAIL vdev/dummy_exit77: " "$T/all" ||
        fail "exit 77 without skip is not reported as a failure: $(tr '\n' '|' <"$T/all")"
    [ "$(tail -1 "$T/all")" = "1 passed, 2 failed, 1 skipped" ] ||
        fail "last line '$(tail -1 "$T/all")', expected '1 passed, 2 failed, 1 skipped'"
    # skips alone do not fail the run, and the count is always printed
    run_dummies skiponly dummy_skips dummy_passes
    [ "$RD_RC" = 0 ] || fail "exit $RD_RC with one skip and one pass; expected 0"
    [ "$(tail -1 "$T/skiponly")" = "1 passed, 0 failed, 1 skipped" ] ||
        fail "last line '$(tail -1 "$T/skiponly")', expected '1 passed, 0 failed, 1 skipped'"
    run_dummies passonly dummy_passes
    [ "$RD_RC" = 0 ] && [ "$(tail -1 "$T/passonly")" = "1 passed, 0 failed, 0 skipped" ] ||
        fail "one pass: exit $RD_RC, last line '$(tail -1 "$T/passonly")', expected 0 and '1 passed, 0 failed, 0 skipped'"
}

# The cases that need a tmpfs mount (manifest_on_error; the read-only part of
# bad_output) skip, never pass, where mount fails (here: a `mount` first in
# PATH that always fails, as in a container without CAP_SYS_ADMIN)
register runner_nomount
case_runner_nomount() {
    mkdir -p "$T/shim"
    printf '#!/bin/sh\necho "mount: permission denied (test shim)" >&2\nexit 32\n' >"$T/shim/mount"
    chmod +x "$T/shim/mount"
    PATH=$T/shim:$PATH run_dummies nomount manifest_on_error bad_output
    grep -q "^skip vdev/manifest_on_error: cannot mount" "$T/nomount" ||
        fail "manifest_on_error without a tmpfs: $(tr '\n' '|' <"$T/nomount")"
    grep -q "^skip vdev/bad_output: cannot mount a read-only tmpfs" "$T/nomount" ||
        fail "bad_output without a tmpfs: $(tr '\n' '|' <"$T/nomount")"
    [ "$RD_RC" = 0 ] && [ "$(tail -1 "$T/nomount")" = "0 passed, 0 failed, 2 skipped" ] ||
        fail "exit $RD_RC, last line '$(tail -1 "$T/nomount")', expected 0 and '0 passed, 0 failed, 2 skipped'"
}
