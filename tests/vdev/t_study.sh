# The study's smoke version (bench/study.sh --smoke): one 1 s run per cell of
# the paths memif, vhost, veth x traffic 64@10g and 965@max x every engine
# that applies. Passes when the results files exist, every cell of that matrix
# is present with a measurement, and the identity offered = captured + counted
# drops holds for every linecap cell (bench/study.py check).
# shellcheck shell=bash

register study_smoke
case_study_smoke() {
    local out=$T/study
    local build
    build=$(dirname "$LINECAP")
    [ -x "$build/linecap-gen" ] || fail "no linecap-gen beside $LINECAP"
    LCS_OUT=$out LCS_DIR=$T/scratch timeout -s KILL 200 bash "$LC_ROOT/bench/study.sh" --smoke "$build" \
        >"$T/study.out" 2>"$T/study.err" </dev/null
    local rc=$?
    log "  study.sh --smoke exit $rc: $(tail -2 "$T/study.err" | tr '\n' '|')"
    [ $rc = 0 ] || fail "bench/study.sh --smoke exit $rc: $(grep -v '^study.sh: [a-z]* [0-9]*@' "$T/study.err" | tail -3 | tr '\n' '|')"
    local r
    r=$("$PY" "$LC_ROOT/bench/study.py" check "$out" --traffic 64@10g,965@max 2>&1) ||
        fail "study check: $(echo "$r" | head -5 | tr '\n' '|')"
    # nothing left behind: the run's processes (EAL file prefix lcsPID*), its
    # veth namespace (lc-sNNNNN), sockets, DPDK runtime directories
    local pid
    pid=$(sed -n 's|.*logs in .*/\([0-9][0-9]*\)/runs.*|\1|p' "$T/study.err" | head -1)
    [ -n "$pid" ] || fail "cannot find the study's PID in its log"
    pgrep -f "lcs${pid}[gtr]" >/dev/null && fail "processes left: $(pgrep -af "lcs${pid}[gtr]" | head -3 | tr '\n' '|')"
    ip netns list | grep -q "^lc-s$((pid % 100000))\b" && fail "namespace lc-s$((pid % 100000)) left"
    ls -d /var/run/dpdk/lcs"${pid}"* >/dev/null 2>&1 && fail "DPDK runtime dirs left: $(ls -d /var/run/dpdk/lcs"${pid}"*)"
    [ -z "$(ls -A "$T/scratch" 2>/dev/null)" ] || fail "scratch left: $(ls -A "$T/scratch" | head -3)"
    return 0
}
