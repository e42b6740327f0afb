# Privileges and file safety: -Z drops to a user with no capabilities left
# and every file (the first included) is that user's; modes 0600 / 0640 (-g)
# whatever the umask; links planted at output names are never followed.
# shellcheck shell=bash

# -Z nobody into a directory nobody owns, umask 000: while it runs the
# process is nobody with empty capability sets; every file, the first one
# included, is owned by nobody, mode 0600; with -g, 0640
register security_drop_user asan
case_security_drop_user() {
    local uid f st um
    uid=$(id -u nobody)
    um=$(umask)
    chown nobody "$W"
    # umask set and restored around each run, no subshell: a subshell would
    # swallow the run's timeout, exit status and sanitizer report
    umask 000
    lc_bg -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/z.pcap" -b filesize:2000 -Z nobody \
        --stats-json "$T/s.json"
    umask "$um"
    local i
    for i in $(seq 1 200); do [ -n "$(ls -A "$W")" ] && break; lc_alive || break; sleep 0.05; done
    sleep 0.5
    st=$(cat "/proc/$LC_PID/status" 2>/dev/null) || { lc_wait_exit 1; fail "linecap is not running (exit $LC_RC)"; }
    echo "$st" | grep -qE "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid" || fail "not running as nobody: $(echo "$st" | grep ^Uid)"
    echo "$st" | grep -qE "^CapEff:\s+0+$" || fail "capabilities left: $(echo "$st" | grep ^CapEff)"
    echo "$st" | grep -qE "^CapPrm:\s+0+$" || fail "permitted capabilities left: $(echo "$st" | grep ^CapPrm)"
    kill -INT "$LC_PID"
    lc_wait_exit 5
    expect_rc 0 "-Z nobody, after SIGINT"
    no_partials
    local n=0
    for f in $(out_files); do
        [ "$(stat -c '%u %a' "$f")" = "$uid 600" ] || fail "$(basename "$f"): owner/mode $(stat -c '%U %a' "$f"), expected nobody 600"
        n=$((n + 1))
    done
    [ $n -ge 2 ] || fail "expected several rotated files, got $n"
    [ "$(stat -c '%U' "$(out_files | head -1)")" = nobody ] || fail "the first file is not nobody's"

    rm -rf "${W:?}"/*
    umask 077
    lc -i "net_pcap0,rx_pcap=$MIXED" -w "$W/g.pcap" -g -Z nobody -c 10
    umask "$um"
    expect_rc 0 "-g -Z nobody, umask 077"
    [ "$(stat -c '%U %a' "$W/g.pcap")" = "nobody 640" ] || fail "-g: $(stat -c '%U %a' "$W/g.pcap"), expected nobody 640"
    umask 000
    lc -i "net_pcap0,rx_pcap=$MIXED" -w "$W/r.pcap" -c 10
    umask "$um"
    expect_rc 0 "as root, umask 000"
    [ "$(stat -c '%a' "$W/r.pcap")" = 600 ] || fail "umask 000 as root: mode $(stat -c '%a' "$W/r.pcap"), expected 600"
}

# -Z into a directory the user cannot write: refused before capture (73),
# one line naming the user and the directory, no file; an unknown user: 64
register security_bad_user
case_security_bad_user() {
    chmod 755 "$W"
    lc -i net_null0 -w "$W/x.pcap" -Z nobody
    expect_rc 73 "-Z nobody, root-owned directory"
    [ "$(wc -l <"$LC_ERR")" -le 2 ] && grep -q "not writable by that user" "$LC_ERR" || fail "message: $(cat "$LC_ERR")"
    dir_empty "-Z into an unwritable directory"
    lc -i net_null0 -w "$W/x.pcap" -Z no-such-user-lc
    expect_rc 64 "-Z unknown user"
    grep -q "no-such-user-lc" "$LC_ERR" || fail "the message does not name the user: $(cat "$LC_ERR")"
    dir_empty "-Z unknown user"
}

# links planted at the output name or its partial name are never followed:
# the capture refuses (73) and the link targets are untouched
register security_links
case_security_links() {
    echo precious >"$T/target"
    ln -s "$T/target" "$W/l.pcap"
    lc -i "net_pcap0,rx_pcap=$MIXED" -w "$W/l.pcap"
    expect_rc 73 "a symlink at the output name"
    [ "$(cat "$T/target")" = precious ] || fail "the link target was written"
    rm -f "$W/l.pcap"
    ln -s "$T/target" "$W/.p.pcap.partial"
    lc -i "net_pcap0,rx_pcap=$MIXED" -w "$W/p.pcap"
    expect_rc 73 "a symlink at the partial name"
    [ "$(cat "$T/target")" = precious ] || fail "the link target was written"
    [ ! -e "$W/p.pcap" ] || fail "a file was created despite the planted link"
    # a name with a directory part never escapes it: the -w directory is used as given
    mkdir -p "$W/d"
    lc -i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/d/../d/n.pcap" -b filesize:1 -c 100
    expect_rc 0 "-w with .. in the directory"
    [ "$(ls "$W/d" | grep -c '^n_')" -ge 1 ] || fail "rotated files not in the -w directory: $(ls -R "$W")"
}

# --stats-json is opened as root before -Z: never through a link, never
# truncating a file linecap did not create. A symlink, a hard-linked file or
# another user's file at that name: exit 73 before any port starts, one line
# naming the path and the reason, the file untouched, no capture file. Else
# mode 0600 (-g: 0640) whatever the umask, owned by the -Z user, and a re-run
# with the same path replaces its own earlier file.
register security_stats_json asan
case_security_stats_json() {
    local P="net_pcap0,rx_pcap=$MIXED" J=$T/j um v uid
    uid=$(id -u nobody)
    um=$(umask)
    mkdir -p "$J"
    echo precious >"$J/precious"
    refused() { # WHAT NEEDLE PATH
        lc -i "$P" -w "$W/c.pcap" -c 10 --stats-json "$3"
        expect_rc 73 "--stats-json at $1"
        [ "$(grep -c '' "$LC_ERR")" = 1 ] && grep -qF -- "'$3'" "$LC_ERR" && grep -q "$2" "$LC_ERR" ||
            fail "$1: expected one line naming '$3' and '$2': $(head -c 300 "$LC_ERR" | tr '\n' '|')"
        [ "$(cat "$J/precious")" = precious ] || fail "$1: the file behind it was written"
        dir_empty "--stats-json at $1"
    }
    ln -s "$J/precious" "$J/link.json"
    refused "a symlink" "symbolic link" "$J/link.json"
    [ -L "$J/link.json" ] || fail "the symlink was replaced"
    ln -s "$J/nothing" "$J/dangling.json"
    refused "a dangling symlink" "symbolic link" "$J/dangling.json"
    [ ! -e "$J/nothing" ] || fail "the dangling symlink was followed"
    ln "$J/precious" "$J/hard.json"
    refused "a hard link" "link" "$J/hard.json"
    echo theirs >"$J/other.json"
    chown nobody "$J/other.json"
    refused "another user's file" "another user" "$J/other.json"
    [ "$(cat "$J/other.json")" = theirs ] || fail "another user's file was written"
    mkfifo "$J/fifo.json"
    refused "a FIFO" "not a regular file" "$J/fifo.json"

    # umask 000: 0600, valid JSON; a re-run replaces the file
    umask 000
    lc -i "$P" -w "$W/a.pcap" -c 10 --stats-json "$J/s.json"
    umask "$um"
    expect_rc 0 "--stats-json, umask 000"
    [ "$(stat -c '%U %a %h' "$J/s.json")" = "root 600 1" ] ||
        fail "umask 000: $(stat -c '%U %a %h' "$J/s.json"), expected root 600 1"
    [ "$(jget "$J/s.json" 'd["totals"]["written"]')" = 10 ] || fail "s.json: written is not 10"
    lc -i "$P" -w "$W/b.pcap" -c 7 --stats-json "$J/s.json"
    expect_rc 0 "--stats-json, re-run with the same path"
    [ "$(jget "$J/s.json" 'd["totals"]["written"]')" = 7 ] || fail "re-run: s.json not rewritten"
    [ "$(stat -c '%a' "$J/s.json")" = 600 ] || fail "re-run: mode $(stat -c '%a' "$J/s.json")"
    # -g: 0640
    umask 077
    lc -i "$P" -w "$W/g.pcap" -c 10 -g --stats-json "$J/g.json"
    umask "$um"
    expect_rc 0 "--stats-json -g"
    [ "$(stat -c '%a' "$J/g.json")" = 640 ] || fail "-g: mode $(stat -c '%a' "$J/g.json"), expected 640"
    # -Z nobody: nobody's, and a re-run over it works
    rm -rf "${W:?}"/*
    chown nobody "$W"
    for v in 1 2; do
        lc -i "$P" -w "$W/z$v.pcap" -c 10 -Z nobody --stats-json "$J/z.json"
        expect_rc 0 "--stats-json -Z nobody (run $v)"
        [ "$(stat -c '%u %a' "$J/z.json")" = "$uid 600" ] ||
            fail "-Z nobody (run $v): $(stat -c '%U %a' "$J/z.json"), expected nobody 600"
        [ "$(jget "$J/z.json" 'd["totals"]["written"]')" = 10 ] || fail "-Z nobody (run $v): bad JSON"
    done
}
