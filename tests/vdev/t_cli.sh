# The command line's documents: for each command, the options --help lists
# and the ones the man page lists are the same set (each parsed from its own
# output), getopt takes every one of them, the man pages render without a
# warning, and `meson install` puts binaries and pages in place. --config
# FILE: the same capture as the command line; bad lines and files.
# shellcheck shell=bash

# help_opts FILE: the option names of a --help text, one a line ("-x",
# "--name"): the lines starting with "  -" or "      --", up to the gap
# before the help column
help_opts() {
    grep -E '^  (-[[:alnum:]]|    --[[:alnum:]])' "$1" |
        sed -E 's/^ +//; s/  .*$//' |
        grep -oE '(^|[ ,])--?[[:alnum:]][[:alnum:]-]*' | sed -E 's/^[ ,]//' | LC_ALL=C sort -u
}

# man_opts PAGE SECTION: the option names of the .TP tags of one section of
# a man page's source: SECTION "OPTIONS" (.SH OPTIONS up to the next .SH) or
# a command's name (.SS "linecap verify" up to the next .SS or .SH)
man_opts() {
    awk -v sec="$2" '
        /^\.SH / { on = (sec == "OPTIONS" && $0 == ".SH OPTIONS"); tag = 0; next }
        /^\.SS / { if (sec != "OPTIONS") on = ($0 == ".SS \"" sec "\""); tag = 0; next }
        on && /^\.TP/ { tag = 1; next }
        on && tag { print; tag = 0 }' "$1" |
        grep -oE '\\fB(\\-)+[[:alnum:]][^\\]*(\\-[^\\]*)*\\fR' |
        sed -E 's/\\fB//; s/\\fR//; s/\\-/-/g' | LC_ALL=C sort -u
}

# compare_opts WHAT HELP-FILE PAGE SECTION: prints the differences; status 1 if any
compare_opts() {
    local h m
    h=$(help_opts "$2")
    m=$(man_opts "$3" "$4")
    if [ -z "$h" ] || [ "$h" != "$m" ]; then
        echo "$1: --help and the man page differ:" \
            "$(diff <(echo "$h") <(echo "$m") | grep '^[<>]' | tr '\n' ' ')"
        return 1
    fi
    return 0
}

register help_man
case_help_man() {
    local B errs="" page="" cmd sec o out rc
    B=$(dirname "$LINECAP")
    [ -x "$B/linecap-gen" ] || fail "no $B/linecap-gen"
    for page in linecap linecap-gen; do
        [ -s "$B/$page.1" ] || fail "no man page $B/$page.1 (meson custom_target)"
    done
    # the sets, per command
    for cmd in "" verify recover extract index gen; do
        if [ "$cmd" = gen ]; then
            "$B/linecap-gen" --help >"$T/help.gen" 2>&1 || fail "linecap-gen --help: exit $?"
            page=$B/linecap-gen.1 sec=OPTIONS
        elif [ -z "$cmd" ]; then
            "$LINECAP" --help >"$T/help." 2>&1 || fail "linecap --help: exit $?"
            page=$B/linecap.1 sec=OPTIONS
        else
            "$LINECAP" "$cmd" --help >"$T/help.$cmd" 2>&1 || fail "linecap $cmd --help: exit $?"
            page=$B/linecap.1 sec="linecap $cmd"
        fi
        out=$(compare_opts "linecap $cmd" "$T/help.$cmd" "$page" "$sec") || errs="$errs; $out"
        # getopt takes each (a value missing, or nothing else to do, but
        # never "unknown option")
        for o in $(help_opts "$T/help.$cmd"); do
            if [ "$cmd" = gen ]; then
                timeout 20 "$B/linecap-gen" "$o" >"$T/o.out" 2>"$T/o.err" </dev/null
            elif [ -z "$cmd" ]; then
                timeout 20 "$LINECAP" "$o" >"$T/o.out" 2>"$T/o.err" </dev/null
            else
                timeout 20 "$LINECAP" "$cmd" "$o" >"$T/o.out" 2>"$T/o.err" </dev/null
            fi
            rc=$?
            check_sanitizer "$T/o.err"
            if grep -qi "unknown option" "$T/o.err" || [ "$rc" -gt 128 ]; then
                errs="$errs; linecap $cmd $o: exit $rc: $(head -c 120 "$T/o.err")"
            fi
        done
        # and refuses a name no table has
        if [ "$cmd" = gen ]; then
            "$B/linecap-gen" --no-such-option >/dev/null 2>"$T/o.err"
        else
            # shellcheck disable=SC2086
            "$LINECAP" $cmd --no-such-option >/dev/null 2>"$T/o.err"
        fi
        grep -q "unknown option" "$T/o.err" || errs="$errs; linecap $cmd: --no-such-option not refused"
    done
    # the capture's help lists the subcommands, each with its line
    for cmd in verify recover extract index; do
        grep -qE "^  $cmd +[a-z]" "$T/help." || errs="$errs; linecap --help does not list $cmd"
    done
    grep -q "linecap COMMAND --help" "$T/help." || errs="$errs; linecap --help: no 'linecap COMMAND --help'"
    # the comparison can fail: one row fewer in a copy of the page, or of a help text
    awk '/^\.SH OPTIONS/ { on = 1 } on && /^\.TP/ && !done { getline; getline; done = 1; next }
         { print }' "$B/linecap.1" >"$T/less.1"
    compare_opts "linecap" "$T/help." "$T/less.1" OPTIONS >/dev/null &&
        errs="$errs; a man page without its first option row compares equal"
    grep -v -- '--snaplen' "$T/help." >"$T/help.less"
    compare_opts "linecap" "$T/help.less" "$B/linecap.1" OPTIONS >/dev/null &&
        errs="$errs; a help text without --snaplen compares equal"
    # the pages have the sections a man page has
    for page in linecap linecap-gen; do
        for sec in NAME SYNOPSIS DESCRIPTION OPTIONS '"EXIT STATUS"' FILES EXAMPLES '"SEE ALSO"'; do
            grep -qx ".SH $sec" "$B/$page.1" || errs="$errs; $page.1: no .SH $sec"
        done
    done
    for cmd in verify recover extract index; do
        grep -qx ".SS \"linecap $cmd\"" "$B/linecap.1" || errs="$errs; linecap.1: no linecap $cmd"
    done
    # they render without a warning (groff's strictest), and man -l reads them
    if command -v groff >/dev/null; then
        for page in linecap linecap-gen; do
            groff -man -Tutf8 -ww -z "$B/$page.1" >"$T/groff.out" 2>&1
            [ -s "$T/groff.out" ] && errs="$errs; groff -ww $page.1: $(head -c 300 "$T/groff.out" | tr '\n' '|')"
            command -v man >/dev/null || { errs="$errs; man absent (scripts/setup.sh installs man-db)"; continue; }
            MANWIDTH=80 man -l "$B/$page.1" >"$T/man.$page" 2>"$T/man.err" </dev/null ||
                errs="$errs; man -l $page.1 failed: $(head -c 200 "$T/man.err")"
            grep -q "EXIT STATUS" "$T/man.$page" || errs="$errs; man -l $page.1: no EXIT STATUS"
        done
    else
        errs="$errs; groff absent (scripts/setup.sh installs groff-base): rendering not checked"
    fi
    if command -v mandoc >/dev/null; then
        for page in linecap linecap-gen; do
            mandoc -Tlint -Wwarning "$B/$page.1" >"$T/lint.out" 2>&1 ||
                errs="$errs; mandoc -Tlint $page.1: $(head -c 300 "$T/lint.out" | tr '\n' '|')"
        done
    fi
    # meson install into a DESTDIR: both programs and both pages
    if command -v meson >/dev/null; then
        DESTDIR=$T/inst meson install -C "$B" --no-rebuild --quiet >"$T/install.out" 2>&1 ||
            errs="$errs; meson install: $(tail -c 300 "$T/install.out" | tr '\n' '|')"
        for f in bin/linecap bin/linecap-gen share/man/man1/linecap.1 share/man/man1/linecap-gen.1; do
            [ -n "$(find "$T/inst" -path "*/$f" -print -quit)" ] || errs="$errs; meson install: no $f"
        done
        cmp -s "$(find "$T/inst" -path '*/man1/linecap.1' -print -quit)" "$B/linecap.1" ||
            errs="$errs; the installed linecap.1 is not the built one"
    fi
    [ -z "$errs" ] || fail "${errs#; }"
}

# config_file: --config FILE and the same options on the command line make
# the same capture (tcpdump reads both alike); bad lines and files
register config_file asan
case_config_file() {
    cat >"$T/a.conf" <<EOF
# the same as the command line below
interface net_pcap0,rx_pcap=$KNOWN
write $W/a.pcap
snaplen 96
count 40
filter "udp or tcp"
EOF
    lc --config "$T/a.conf"
    expect_rc 0 "capture with --config"
    lc -i "net_pcap0,rx_pcap=$KNOWN" -w "$W/b.pcap" -s 96 -c 40 -f "udp or tcp"
    expect_rc 0 "capture with the command line"
    [ -s "$W/a.pcap" ] && [ -s "$W/b.pcap" ] || fail "no files: $(ls "$W")"
    tcpdump -r "$W/a.pcap" -nn -t -x >"$T/a.txt" 2>/dev/null
    tcpdump -r "$W/b.pcap" -nn -t -x >"$T/b.txt" 2>/dev/null
    [ "$(grep -c 'IP' "$T/a.txt")" -gt 0 ] || fail "tcpdump reads no packet from a.pcap"
    cmp -s "$T/a.txt" "$T/b.txt" || fail "--config and the command line captured differently: $(diff "$T/a.txt" "$T/b.txt" | head -3 | tr '\n' '|')"
    # a later option replaces the file's: -s 60 after --config
    lc --config "$T/a.conf" -w "$W/c.pcap" -s 60
    expect_rc 0 "--config then -w -s"
    [ -s "$W/c.pcap" ] || fail "-w after --config: no c.pcap"
    # the pcap file header's snaplen (bytes 16-19)
    [ "$(od -An -tu4 -j16 -N4 "$W/c.pcap" | tr -d ' ')" = 60 ] ||
        fail "-s 60 after --config: snaplen $(od -An -tu4 -j16 -N4 "$W/c.pcap")"
    # a bad line: exit 64, one line FILE:LINE
    printf 'interface net_null0\nwrite %s/d.pcap\nsnaplen\n' "$W" >"$T/bad.conf"
    lc_raw --config "$T/bad.conf"
    expect_rc 64 "a bad line"
    [ "$(grep -c '' "$LC_ERR")" = 1 ] && grep -q "$T/bad.conf:3: 'snaplen' needs a value" "$LC_ERR" ||
        fail "a bad line: $(head -c 200 "$LC_ERR" | tr '\n' '|')"
    printf 'interface net_null0\n\n# x\nwrtie %s/d.pcap\n' "$W" >"$T/bad.conf"
    lc_raw --config "$T/bad.conf"
    expect_rc 64 "an unknown name"
    grep -q "$T/bad.conf:4: unknown option 'wrtie'" "$LC_ERR" || fail "an unknown name: $(head -c 200 "$LC_ERR")"
    # a value the option refuses: its usual message, exit 64
    printf 'interface net_null0\nwrite %s/d.pcap\nsnaplen 0\n' "$W" >"$T/bad.conf"
    lc_raw --config "$T/bad.conf"
    expect_rc 64 "snaplen 0"
    grep -q "'0'" "$LC_ERR" || fail "snaplen 0: $(head -c 200 "$LC_ERR")"
    # an unreadable file: exit 66, one line naming it
    lc_raw --config "$T/none.conf"
    expect_rc 66 "a missing file"
    [ "$(grep -c '' "$LC_ERR")" = 1 ] && grep -q "$T/none.conf" "$LC_ERR" ||
        fail "a missing file: $(head -c 200 "$LC_ERR" | tr '\n' '|')"
    [ ! -e "$W/d.pcap" ] || fail "a refused configuration left d.pcap"
    # linecap-gen reads the same format
    local B
    B=$(dirname "$LINECAP")
    printf 'rate 10g\npps 1m\n' >"$T/gen.conf"
    "$B/linecap-gen" -i net_null0 --config "$T/gen.conf" >"$T/gen.out" 2>&1
    local rc=$?
    [ $rc = 64 ] && grep -q -- "--rate and --pps" "$T/gen.out" ||
        fail "linecap-gen --config: exit $rc: $(head -c 200 "$T/gen.out")"
}
