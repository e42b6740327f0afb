# Bad input: exit codes 64 / 66 / 73, one stderr line naming the bad value,
# and no file left behind. Output file modes.
# shellcheck shell=bash

# a whole-token match for short values such as 0 or 1 in an error line
tok() { printf '(^|[^[:alnum:]_.])%s([^[:alnum:]_.]|$)' "$1"; }

# bad_usage: every bad option value exits 64 before anything starts, with
# exactly one stderr line that names it, and writes nothing
register bad_usage asan
case_bad_usage() {
    local P="net_pcap0,rx_pcap=$KNOWN" F=$W/cap.pcap errs="" i args needle
    # each entry: NEEDLE-ERE <TAB> ARGS (split on spaces; no spaces inside values)
    local table=(
        "$(tok 0)	-i $P -w $F -s 0"
        "10x	-i $P -w $F -s 10x"
        "300000	-i $P -w $F -s 300000"
        "262145	-i $P -w $F -s 262145"
        "-1	-i $P -w $F -s -1"
        "$(tok 0)	-i $P -w $F -c 0"
        "-5	-i $P -w $F -c -5"
        "12abc	-i $P -w $F -c 12abc"
        "-1	-i $P -w $F -a duration:-1"
        "10x	-i $P -w $F -a duration:10x"
        "filesize	-i $P -w $F -b filesize:0"
        "abc	-i $P -w $F -b packets:abc"
        "files	-i $P -w $F -b files:3"
        "bogus	-i $P -w $F -a bogus:1"
        "bogus	-i $P -w $F -b bogus:1"
        "--frobnicate	-i $P -w $F --frobnicate"
        "-s|'s'|snaplen	-i $P -w $F -s"
        "-w|'w'	-i $P -w"
        "-i|interface|port	-w $F"
        "-w|count-only|output	-i $P"
        "abc	-i $P -w $F --cores abc"
        "$(tok 0)	-i $P -w $F -q 0"
        "$(tok 1)	-i $P -w $F -B 1"
        "count-only|-w	-i $P -w $F --count-only"
        "pcapng2	-i $P -w $F -F pcapng2"
        "-3	-i $P -w $F --stats-interval -3"
    )
    for ((i = 0; i < ${#table[@]}; i++)); do
        needle=${table[$i]%%	*}
        read -r -a args <<<"${table[$i]#*	}"
        lc_raw "${args[@]}"
        local what="linecap ${args[*]#"$W/"}"
        what=${what//$KNOWN/known.pcap}
        if [ "$LC_RC" != 64 ]; then
            errs="$errs; [$what] exit $LC_RC (want 64)"
        elif [ "$(grep -c '' "$LC_ERR")" != 1 ]; then
            errs="$errs; [$what] $(grep -c '' "$LC_ERR") stderr lines (want 1): $(head -c 160 "$LC_ERR" | tr '\n' '|')"
        elif ! grep -qE -e "$needle" "$LC_ERR"; then
            errs="$errs; [$what] stderr does not name the bad value (/$needle/): $(head -c 160 "$LC_ERR")"
        fi
        if [ -n "$(ls -A "$W")" ]; then
            errs="$errs; [$what] left files: $(ls -A "$W" | tr '\n' ' ')"
            rm -rf "${W:?}"/* "$W"/.[!.]*
        fi
    done
    # the boundaries are accepted: -s 1 and -s 262144 (validated by a real run)
    for s in 1 262144; do
        lc -i "$P" -w "$W/ok$s.pcap" -c 3 -s "$s"
        [ "$LC_RC" = 0 ] || errs="$errs; [-s $s] exit $LC_RC (want 0): $(head -c 160 "$LC_ERR")"
    done
    [ -z "$errs" ] || fail "${errs#; }"
}

# bad_port: absent or malformed ports exit 66 with one line of linecap's own
# naming the port (DPDK's EAL may log more), and write nothing
register bad_port asan
case_bad_port() {
    local errs="" spec needle e
    local table=(
        "net_bogus0	net_bogus0"
        "9	9"
        "0000:99:00.0	0000:99:00.0"
        "nonexistent.pcap|net_pcap0	net_pcap0,rx_pcap=/nonexistent.pcap"
        "net_bogus1	net_null0 net_bogus1"
    )
    for e in "${table[@]}"; do
        needle=${e%%	*}
        read -r -a ports <<<"${e#*	}"
        args=()
        for spec in "${ports[@]}"; do args+=(-i "$spec"); done
        lc "${args[@]}" -w "$W/cap.pcap" -c 10
        if [ "$LC_RC" != 66 ]; then
            errs="$errs; [-i ${ports[*]}] exit $LC_RC (want 66): $(grep -v '^EAL' "$LC_ERR" | head -c 160 | tr '\n' '|')"
        elif [ "$(grep -c '^linecap' "$LC_ERR")" != 1 ]; then
            errs="$errs; [-i ${ports[*]}] $(grep -c '^linecap' "$LC_ERR") lines of linecap's own on stderr (want 1; DPDK's EAL lines aside)"
        elif ! grep '^linecap' "$LC_ERR" | grep -qE -e "$needle"; then
            errs="$errs; [-i ${ports[*]}] linecap's stderr line does not name the port: $(grep '^linecap' "$LC_ERR" | head -c 160)"
        fi
        if [ -n "$(ls -A "$W")" ]; then
            errs="$errs; [-i ${ports[*]}] left files: $(ls -A "$W" | tr '\n' ' ')"
            rm -rf "${W:?}"/* "$W"/.[!.]*
        fi
    done
    [ -z "$errs" ] || fail "${errs#; }"
}

# bad_output: an output that cannot be created exits 73 with one stderr line
# naming the path, and creates nothing: a nonexistent directory (with and
# without rotation), an existing file (left untouched), a path under a regular
# file, a dangling symlink at the output name (not followed), a read-only mount
register bad_output asan
case_bad_output() {
    local P="net_pcap0,rx_pcap=$KNOWN" errs=""
    out73() { # WHAT NEEDLE ARGS...
        local what=$1 needle=$2
        shift 2
        lc -i "$P" -c 10 "$@"
        if [ "$LC_RC" != 73 ]; then
            errs="$errs; [$what] exit $LC_RC (want 73): $(head -c 160 "$LC_ERR" | tr '\n' '|')"
        elif [ "$(grep -c '' "$LC_ERR")" != 1 ]; then
            errs="$errs; [$what] $(grep -c '' "$LC_ERR") stderr lines (want 1): $(head -c 200 "$LC_ERR" | tr '\n' '|')"
        elif ! grep -qF -e "$needle" "$LC_ERR"; then
            errs="$errs; [$what] stderr does not name $needle: $(head -c 160 "$LC_ERR")"
        fi
    }
    local nodir=$W/no/such/dir
    out73 "nonexistent dir" "$nodir" -w "$nodir/cap.pcap"
    out73 "nonexistent dir, -b" "$nodir" -w "$nodir/cap.pcap" -b packets:10
    [ -e "$W/no" ] && errs="$errs; [nonexistent dir] created $W/no"
    dir_listing() { ls -A "$W" | tr '\n' ' '; }

    echo precious >"$W/exists.pcap"
    out73 "existing file" "exists.pcap" -w "$W/exists.pcap"
    [ "$(cat "$W/exists.pcap")" = precious ] || errs="$errs; [existing file] its content changed"
    [ "$(dir_listing)" = "exists.pcap " ] || errs="$errs; [existing file] dir now holds: $(dir_listing)"
    rm -f "$W/exists.pcap"

    echo x >"$W/plain"
    out73 "path under a regular file" "plain" -w "$W/plain/cap.pcap"
    [ "$(dir_listing)" = "plain " ] || errs="$errs; [under a file] dir now holds: $(dir_listing)"
    rm -f "$W/plain"

    ln -s "$T/link-target.pcap" "$W/link.pcap"
    out73 "dangling symlink at the name" "link.pcap" -w "$W/link.pcap"
    [ -e "$T/link-target.pcap" ] && errs="$errs; [symlink] the link was followed: $T/link-target.pcap created"
    [ "$(dir_listing)" = "link.pcap " ] || errs="$errs; [symlink] dir now holds: $(dir_listing)"
    rm -f "$W/link.pcap"

    echo torn >"$W/.left.pcap.partial"
    out73 "partial file of an earlier run" ".left.pcap.partial" -w "$W/left.pcap"
    [ "$(cat "$W/.left.pcap.partial")" = torn ] || errs="$errs; [partial] its content changed"
    [ "$(dir_listing)" = ".left.pcap.partial " ] || errs="$errs; [partial] dir now holds: $(dir_listing)"
    rm -f "$W/.left.pcap.partial"

    mkdir "$W/ro"
    local ro_skipped=""
    if mount -t tmpfs -o ro,size=1m tmpfs "$W/ro" 2>/dev/null; then
        out73 "read-only filesystem" "ro/cap.pcap" -w "$W/ro/cap.pcap"
        [ -z "$(ls -A "$W/ro")" ] || errs="$errs; [read-only] files: $(ls -A "$W/ro")"
        umount "$W/ro"
    else
        ro_skipped=1
    fi
    rmdir "$W/ro"
    [ -z "$errs" ] || fail "${errs#; }"
    # the other parts passed, but not all of the case ran: not an ok
    [ -z "$ro_skipped" ] ||
        skip "cannot mount a read-only tmpfs here: the read-only part did not run (the others passed)"
}

# output files are 0600 whatever the umask (000 here): a single file and
# rotated files
register file_mode asan
case_file_mode() {
    local f n m
    n=$(KNOWN_N)
    umask 000
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/one.pcap" -c 10
    expect_rc 0 "umask 000, single file"
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/rot.pcap" -c "$n" -b packets:100
    expect_rc 0 "umask 000, -b packets:100"
    umask 022
    [ "$(out_files | wc -l)" = 4 ] || fail "expected one.pcap and 3 rotated files: $(ls -A "$W" | tr '\n' ' ')"
    for f in $(out_files); do
        m=$(stat -c %a "$f")
        [ "$m" = 600 ] || fail "$(basename "$f"): mode $m under umask 000, expected 600"
    done
}

# a failure after the ports started (too many receive cores for the queues;
# -Z into a directory the user cannot write) still stops the ports and the
# EAL: the vhost-user socket the port created is removed, exit 64 / 73 with
# one line, no file (before the one teardown, these returns skipped
# port_shutdown and rte_eal_cleanup and left the socket behind)
register teardown_after_ports asan
case_teardown_after_ports() {
    local S=$T/sock errs=""
    mkdir -p "$S"
    chown nobody "$S"       # -Z nobody: the socket is removed after the drop
    lc -i "net_vhost0,iface=$S/a.sock" -w "$W/cap.pcap" -f udp --cores 1,1
    [ "$LC_RC" != 66 ] || skip "no net_vhost here: $(grep '^linecap' "$LC_ERR" | head -1)"
    [ "$LC_RC" = 64 ] || errs="$errs; [--cores 1,1] exit $LC_RC, want 64"
    grep -q '^linecap: error: --cores: 2 receive cores for 1 queues' "$LC_ERR" ||
        errs="$errs; [--cores 1,1] no error line about the cores"
    [ ! -e "$S/a.sock" ] || errs="$errs; [--cores 1,1] socket $S/a.sock left behind"
    lc -i "net_vhost0,iface=$S/b.sock" -w "$W/cap.pcap" -f udp -Z nobody --stats-json "$T/s.json"
    [ "$LC_RC" = 73 ] || errs="$errs; [-Z nobody] exit $LC_RC, want 73"
    [ "$(grep -c '^linecap: error:' "$LC_ERR")" = 1 ] ||
        errs="$errs; [-Z nobody] $(grep -c '^linecap: error:' "$LC_ERR") error lines, want 1"
    [ ! -e "$S/b.sock" ] || errs="$errs; [-Z nobody] socket $S/b.sock left behind"
    [ -z "$(ls -A "$W")" ] || errs="$errs; files left: $(ls -A "$W" | tr '\n' ' ')"
    [ -z "$errs" ] || fail "${errs#; }"
}
