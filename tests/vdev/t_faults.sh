# Write faults (tests/shim/wfault.c via LD_PRELOAD, RLIMIT_FSIZE via
# prlimit): short writes and EINTR are retried with nothing lost; EIO and
# EFBIG end the capture (74) with valid files and the loss counted.
# shellcheck shell=bash

WFAULT_SO() { echo "$(dirname "$LINECAP")/tests/unit/libwfault.so"; }

# files in W valid, their records summed == JSON written, identity exact
faults_files_ok() {
    local json=$1 f sum=0
    no_partials
    for f in $(out_files); do
        pcap_valid_big "$f"
        sum=$((sum + PV_COUNT))
    done
    [ "$sum" = "$(jget "$json" 'd["totals"]["written"]')" ] ||
        fail "files hold $sum records, JSON written $(jget "$json" 'd["totals"]["written"]')"
    [ "$($LCHECK identity "$json")" = ok ] || fail "$($LCHECK identity "$json")"
}

# every 2nd write short, every 3rd EINTR: exit 0, nothing lost to the disk
# (written + dropped_no_block = 300000), every record a whole input frame,
# and the shim really did misbehave
register fault_short_eintr
case_fault_short_eintr() {
    local so
    so=$(WFAULT_SO)
    [ -f "$so" ] || fail "no shim $so"
    LC_WFAULT=short=2,eintr=3 LC_WFAULT_REPORT=$T/rep LD_PRELOAD=$so \
        lc -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -c 300000 -w "$W/s.pcap" -b filesize:20000 \
        --stats-json "$T/s.json"
    expect_rc 0 "short writes and EINTR"
    read -r _ calls _ nshort _ neintr _ <"$T/rep" || fail "no shim report"
    [ "$nshort" -gt 0 ] && [ "$neintr" -gt 0 ] || fail "the shim did not act: $(cat "$T/rep")"
    faults_files_ok "$T/s.json"
    # the source outruns any disk: what did not fit the pool is dropped_no_block
    [ "$(jget "$T/s.json" 'd["totals"]["lost_disk"]')" = 0 ] || fail "lost_disk $(jget "$T/s.json" 'd["totals"]["lost_disk"]'): a retried write lost packets"
    [ "$(jget "$T/s.json" 'd["totals"]["written"] + d["totals"]["dropped_no_block"]')" = 300000 ] ||
        fail "written + dropped_no_block != 300000: $(jget "$T/s.json" 'd["totals"]')"
    out=$($LCHECK members "$MIXED" $(out_files)) || fail "$out"
    log "shim: $(cat "$T/rep")"
}

# EIO from the 6th write on: exit 74 with one error line naming EIO, the
# files valid (the failing one ends at its last complete record), lost_disk
# counted
register fault_eio
case_fault_eio() {
    LC_WFAULT=eio=5 LD_PRELOAD=$(WFAULT_SO) \
        lc -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/e.pcap" -b filesize:20000 \
        --stats-json "$T/s.json"
    expect_rc 74 "EIO"
    grep -q "Input/output error" "$LC_ERR" || fail "no EIO message: $(head -c 300 "$LC_ERR")"
    [ "$(grep -c 'error:' "$LC_ERR")" = 1 ] || fail "expected one error line: $(grep 'error:' "$LC_ERR")"
    faults_files_ok "$T/s.json"
    [ "$(jget "$T/s.json" 'd["totals"]["lost_disk"] > 0')" = true ] || fail "no lost_disk counted"
}

# a file size limit set on the running capture (prlimit --pid; at start it
# would stop DPDK's own set-up): EFBIG, not death by SIGXFSZ: exit 74, the
# file valid, lost_disk counted
register fault_efbig asan
case_fault_efbig() {
    lc_bg -i "net_null0,size=1400" -w "$W/big.pcap" -B 64 --stats-json "$T/s.json"
    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC)"; }
    sleep 0.2
    prlimit --pid "$LC_PID" --fsize=$(( $(stat -c %s "$W/.big.pcap.partial") + 20000000 )) ||
        fail "prlimit failed"
    lc_wait_exit 5
    expect_rc 74 "RLIMIT_FSIZE"
    grep -q "File too large" "$LC_ERR" || fail "no EFBIG message: $(head -c 300 "$LC_ERR")"
    faults_files_ok "$T/s.json"
    [ "$(jget "$T/s.json" 'd["totals"]["lost_disk"] > 0')" = true ] || fail "no lost_disk counted"
}
