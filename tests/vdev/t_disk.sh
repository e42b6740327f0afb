# Disk faults: a full disk (a 48 MiB tmpfs) with the default policy (stop,
# exit 74, a valid file, the loss counted) and with the room policies
# (--disk-limit, --min-free: delete this run's oldest closed files, keep
# capturing); the output directory removed or remounted read-only mid-run.
# shellcheck shell=bash

# small_fs SIZE: mount a tmpfs of SIZE on $W (unmounted when the case ends)
small_fs() {
    mount -t tmpfs -o "size=$1" tmpfs "$W" || fail "cannot mount a tmpfs on $W"
    trap 'umount -l "$W" 2>/dev/null' EXIT
}

# the JSON of $1: records summed over the files not deleted == files on disk
kept_files_match() {
    local json=$1 files f sum=0
    mapfile -t files < <(out_files)
    for f in "${files[@]}"; do
        pcap_valid_big "$f"
        sum=$((sum + PV_COUNT))
    done
    local jkept jsum
    jkept=$(jget "$json" 'sum(1 for f in d["files"] if not f["deleted"])')
    jsum=$(jget "$json" 'sum(f["records"] for f in d["files"] if not f["deleted"])')
    [ "$jkept" = "${#files[@]}" ] || fail "JSON lists $jkept kept files, ${#files[@]} on disk"
    [ "$jsum" = "$sum" ] || fail "kept files hold $sum records (capinfos), JSON says $jsum"
    KEPT_RECORDS=$sum
}

# full disk, default policy: exit 74 within 2 s of filling it, one error line
# naming the file and ENOSPC, the file valid and trimmed to a record, the loss
# counted as lost_disk, the identity exact, no partial file left
register disk_full_stop asan
case_disk_full_stop() {
    small_fs 48m
    local t0 t1
    t0=$(now_ns)
    lc -i "net_null0,size=1400" -w "$W/full.pcap" -B 64 --stats-json "$T/s.json"
    expect_rc 74 "full disk"
    grep -q "No space left on device" "$LC_ERR" || fail "no ENOSPC message: $(head -c 300 "$LC_ERR")"
    [ "$(grep -c 'error:' "$LC_ERR")" = 1 ] || fail "expected one error line: $(grep 'error:' "$LC_ERR")"
    # filling 48 MiB takes well under a second here; start-up about one
    awk -v s="$LC_SECS" 'BEGIN{exit !(s <= 5)}' || fail "exit ${LC_SECS}s after start (limit: start-up + fill + 2 s)"
    no_partials
    pcap_valid_big "$W/full.pcap"
    [ "$PV_COUNT" = "$(jget "$T/s.json" 'd["totals"]["written"]')" ] || fail "file holds $PV_COUNT records, JSON written $(jget "$T/s.json" 'd["totals"]["written"]')"
    [ "$(jget "$T/s.json" 'd["totals"]["lost_disk"] > 0')" = true ] ||
        fail "no lost_disk counted: $(jget "$T/s.json" 'd["totals"]')"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
}

# --disk-limit 30M with 8 MB files: exit 0 after the duration, the files on
# disk within the limit and all valid, files deleted (deleted_for_room), no
# disk loss, the identity exact
register disk_ring_limit asan
case_disk_ring_limit() {
    small_fs 48m
    lc -i "net_null0,size=1400" -w "$W/r.pcap" -b filesize:8000 --disk-limit 30M -B 64 \
        -a duration:2 --stats-json "$T/s.json"
    expect_rc 0 "--disk-limit"
    no_partials
    local used
    # the capture files (the run manifest beside them is not capture data)
    used=$(out_files | xargs -r stat -c %s | awk '{s += $1} END {print s + 0}')
    [ "$used" -le $((30 * 1048576)) ] || fail "files take $used bytes, over --disk-limit 30M"
    kept_files_match "$T/s.json"
    [ "$(jget "$T/s.json" 'sum(1 for f in d["files"] if f["deleted_for_room"]) > 0')" = true ] ||
        fail "no file deleted for room (JSON)"
    [ "$(jget "$T/s.json" 'd["totals"]["lost_disk"]')" = 0 ] || fail "lost_disk $(jget "$T/s.json" 'd["totals"]["lost_disk"]'), expected 0"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
    grep -q "deleted to make room" "$LC_OUT" "$LC_ERR" || fail "the summary does not count the deleted files"
}

# --min-free tiny: the disk really fills (ENOSPC), the oldest file goes and
# the write is retried: exit 0, nothing lost to the disk, every file valid
register disk_ring_enospc
case_disk_ring_enospc() {
    small_fs 48m
    lc -i "net_null0,size=1400" -w "$W/e.pcap" -b filesize:8000 --min-free 4k -B 64 \
        -a duration:2 --stats-json "$T/s.json"
    expect_rc 0 "--min-free on a filling disk"
    no_partials
    kept_files_match "$T/s.json"
    [ "$(jget "$T/s.json" 'd["totals"]["lost_disk"]')" = 0 ] || fail "lost_disk $(jget "$T/s.json" 'd["totals"]["lost_disk"]'), expected 0"
    [ "$(jget "$T/s.json" 'sum(1 for f in d["files"] if f["deleted_for_room"]) > 0')" = true ] ||
        fail "the disk never filled: no file deleted for room"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "$($LCHECK identity "$T/s.json")"
}

# the output directory removed, then (another run) remounted read-only,
# during a rotating capture: exit 74 within 2 s, files left valid
register disk_dir_gone
case_disk_dir_gone() {
    mkdir -p "$W/sub"
    lc_bg -i "net_null0,size=1400" -w "$W/sub/g.pcap" -b filesize:20000 -b files:3 -B 64
    wait_for_file "$W/sub" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC)"; }
    sleep 0.5
    # linecap may create the next file while rm empties the directory: again
    # until the directory itself is gone
    local i
    for i in $(seq 1 100); do
        rm -rf "$W/sub" 2>/dev/null
        [ -e "$W/sub" ] || break
    done
    [ -e "$W/sub" ] && fail "could not remove the output directory"
    lc_wait_exit 2
    expect_rc 74 "output directory removed"
    [ "$(grep -c 'error:' "$LC_ERR")" = 1 ] || fail "expected one error line: $(head -c 300 "$LC_ERR")"
    awk -v s="$LC_EXIT_SECS" 'BEGIN{exit !(s <= 2)}' || fail "exit ${LC_EXIT_SECS}s after the directory went, limit 2 s"

    # read-only: an immutable directory on a loop-mounted ext4 image (a
    # remount would be refused while linecap holds a file open for writing)
    mkdir -p "$W/ro"
    truncate -s 256M "$T/ro.img" && mkfs.ext4 -q -F "$T/ro.img" && mount -o loop "$T/ro.img" "$W/ro" ||
        fail "cannot mount an ext4 image"
    trap 'chattr -i "$W/ro" 2>/dev/null; umount -l "$W/ro" 2>/dev/null' EXIT
    lc_bg -i "net_null0,size=1400" -w "$W/ro/g.pcap" -b filesize:20000 -b files:3 -B 64 --stats-json "$T/ro.json"
    wait_for_file "$W/ro" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC)"; }
    # at least one file closed (renamed) before the directory turns read-only
    local i
    for i in $(seq 1 200); do
        ls "$W/ro" | grep -q '^g_.*\.pcap$' && break
        sleep 0.05
    done
    chattr +i "$W/ro" || fail "cannot make the directory immutable"
    lc_wait_exit 2
    expect_rc 74 "output directory made read-only"
    awk -v s="$LC_EXIT_SECS" 'BEGIN{exit !(s <= 2)}' || fail "exit ${LC_EXIT_SECS}s after chattr +i, limit 2 s"
    [ "$(grep -c 'error:' "$LC_ERR")" = 1 ] || fail "expected one error line: $(head -c 300 "$LC_ERR")"
    local f n=0
    for f in "$W"/ro/g_*.pcap; do [ -e "$f" ] && { pcap_valid_big "$f"; n=$((n + 1)); }; done
    [ $n -ge 1 ] || fail "no closed file in the read-only directory"
    [ "$($LCHECK identity "$T/ro.json")" = ok ] || fail "$($LCHECK identity "$T/ro.json")"
}

# bad values: one line naming the value, exit 64, no file
register disk_bad_options
case_disk_bad_options() {
    local args
    for args in "--disk-limit 0 -b filesize:1000" "--disk-limit 12Q -b filesize:1000" \
                "--min-free -5 -b filesize:1000" "--disk-limit 1G" "--min-free 1G --count-only"; do
        # shellcheck disable=SC2086
        if [[ $args == *count-only* ]]; then
            lc -i net_null0 $args
        else
            lc -i net_null0 -w "$W/x.pcap" $args
        fi
        expect_rc 64 "$args"
        [ "$(wc -l <"$LC_ERR")" = 1 ] || fail "$args: expected one line, got: $(cat "$LC_ERR")"
        dir_empty "$W" || fail "$args: files created: $(ls -A "$W")"
    done
}
