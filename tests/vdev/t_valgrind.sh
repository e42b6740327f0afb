# valgrind (memcheck, leaks included) over everything that runs without
# DPDK's EAL: every unit test and fuzz-corpus replay, `linecap verify` and
# `linecap recover`. (The EAL cannot reserve its memory areas under valgrind
# -- "Cannot allocate VA space for memseg list" -- so the capture path itself
# is checked by the ASan+UBSan+LSan pass instead.)
# shellcheck shell=bash

register valgrind_clean
case_valgrind_clean() {
    command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/setup.sh installs it)"
    local vg=(valgrind -q --error-exitcode=99 --leak-check=full
              --errors-for-leak-kinds=definite,indirect,possible)
    local t n=0 rc
    for t in "$(dirname "$LINECAP")"/tests/unit/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        "${vg[@]}" "$t" >"$T/vg.out" 2>&1
        rc=$?
        [ $rc = 0 ] || fail "valgrind $(basename "$t"): exit $rc: $(grep -m3 '==' "$T/vg.out" | tr '\n' '|')"
        n=$((n + 1))
    done
    [ $n -ge 10 ] || fail "only $n unit tests found"
    "${vg[@]}" "$LINECAP" verify --json "$T/v.json" "$DATA/known.pcap" >"$T/vg.out" 2>&1
    rc=$?
    [ $rc = 0 ] || [ $rc = 1 ] || fail "valgrind linecap verify: exit $rc: $(grep -m3 '==' "$T/vg.out" | tr '\n' '|')"
    # a torn nanosecond pcap, as linecap writes it
    editcap -F nsecpcap "$DATA/known.pcap" "$T/ns.pcap" || fail "editcap failed"
    head -c 200000 "$T/ns.pcap" >"$W/.cut.pcap.partial"
    "${vg[@]}" "$LINECAP" recover "$W" >"$T/vg.out" 2>&1
    rc=$?
    [ $rc = 0 ] || fail "valgrind linecap recover: exit $rc: $(grep -m3 '==' "$T/vg.out" | tr '\n' '|')"
    [ -f "$W/cut.pcap" ] || fail "recover under valgrind did not produce cut.pcap"
}
