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

# a filesystem that creates the file and then fails openat(O_DIRECT) with
# EINVAL (older tmpfs, some FUSE): the capture still writes every file, once,
# with O_DIRECT set by fcntl (odirect=1) or buffered with the warning when
# fcntl refuses it too (odirect=2); exit 0, files valid, no partial left
register fault_odirect_open
case_fault_odirect_open() {
    local mode rep
    for mode in 1 2; do
        rm -rf "${W:?}"/* "$W"/.[!.]* 2>/dev/null
        LC_WFAULT=odirect=$mode LC_WFAULT_REPORT=$T/rep$mode LD_PRELOAD=$(WFAULT_SO) \
            lc -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -c 3000 -w "$W/d.pcap" \
            -b filesize:100 --stats-json "$T/s$mode.json"
        expect_rc 0 "odirect=$mode"
        rep=$(cat "$T/rep$mode" 2>/dev/null)
        log "shim: $rep"
        if [ $mode = 2 ]; then
            # (linecap no longer asks openat for O_DIRECT: only F_SETFL is refused)
            case $rep in *"setfl 0 "*|"") fail "odirect=2: the shim did not refuse F_SETFL: '$rep'" ;; esac
            grep -q "refuses O_DIRECT" "$LC_ERR" || fail "odirect=2: no buffered warning: $(head -c 300 "$LC_ERR")"
        else
            grep -q "refuses O_DIRECT" "$LC_ERR" && fail "odirect=1: fell back to buffered writes on a filesystem that takes O_DIRECT by fcntl"
        fi
        faults_files_ok "$T/s$mode.json"
        [ "$(out_files | wc -l)" -gt 1 ] || fail "odirect=$mode: expected several files: $(ls -A "$W")"
        [ "$(jget "$T/s$mode.json" 'd["totals"]["written"] + d["totals"]["dropped_no_block"]')" = 3000 ] ||
            fail "odirect=$mode: written + dropped_no_block != 3000: $(jget "$T/s$mode.json" 'd["totals"]')"
        out=$($LCHECK members "$MIXED" $(out_files)) || fail "$out"
    done
}

# a partial file that cannot be locked is not written (`linecap recover`
# could trim it under the writer): exit 74, one error line, nothing left
register fault_nolock
case_fault_nolock() {
    LC_WFAULT=nolock=1 LD_PRELOAD=$(WFAULT_SO) \
        lc -i "net_pcap0,rx_pcap=$MIXED" -c 10 -w "$W/l.pcap"
    expect_rc 74 "flock refused"
    grep -q "No locks available" "$LC_ERR" || fail "no ENOLCK message: $(head -c 300 "$LC_ERR")"
    [ "$(grep -c 'error:' "$LC_ERR")" = 1 ] || fail "expected one error line: $(grep 'error:' "$LC_ERR")"
    dir_empty "flock refused"
}

# the shim's disk holds 300000 bytes: ENOSPC ends the capture as a full disk
# does (exit 74, one error line, the files valid, lost_disk counted); -c
# 20000 (about 12 MB) bounds the run should the shim not act
register fault_enospc
case_fault_enospc() {
    LC_WFAULT=enospc=300000 LC_WFAULT_REPORT=$T/rep LD_PRELOAD=$(WFAULT_SO) \
        lc -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -c 20000 -w "$W/n.pcap" -b filesize:100 \
        --stats-json "$T/s.json"
    expect_rc 74 "ENOSPC"
    log "shim: $(cat "$T/rep")"
    grep -q "No space left on device" "$LC_ERR" || fail "no ENOSPC message: $(head -c 300 "$LC_ERR")"
    [ "$(grep -c 'error:' "$LC_ERR")" = 1 ] || fail "expected one error line: $(grep 'error:' "$LC_ERR")"
    faults_files_ok "$T/s.json"
    [ "$(jget "$T/s.json" 'd["totals"]["lost_disk"] > 0')" = true ] || fail "no lost_disk counted"
    local total=0 f
    for f in $(out_files); do total=$((total + $(stat -c %s "$f"))); done
    [ "$total" -le 300000 ] || fail "the files hold $total bytes, more than the 300000 the disk had"
}
