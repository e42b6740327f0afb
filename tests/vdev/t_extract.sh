# linecap extract and linecap index (issue 13): every answer record for
# record equal to libpcap's over all the files merged in time order
# (mergecap, then tcpdump -r -w EXPR, trimmed to the window), whatever the
# state of the index files (capture-written, rebuilt, missing, torn, stale,
# hostile); exit codes and one-line errors.
# shellcheck shell=bash

EX_PY='
import struct, sys, hashlib

def recs(path):
    """(ts_ns, caplen, len, md5) of every record of a pcap file (either
    byte order, usec or nsec): the files read here were written by tcpdump"""
    b = open(path, "rb").read()
    if len(b) < 24:
        raise SystemExit("%s: %d bytes, no pcap header" % (path, len(b)))
    m = b[:4]
    if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif m in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit("%s: not pcap (magic %s)" % (path, m.hex()))
    mag = struct.unpack(e + "I", m)[0]
    mul = 1 if mag == 0xa1b23c4d else 1000
    out, p = [], 24
    while p + 16 <= len(b):
        s, f, cl, ln = struct.unpack(e + "IIII", b[p:p + 16])
        d = b[p + 16:p + 16 + cl]
        if len(d) < cl:
            raise SystemExit("%s: torn record at %d" % (path, p))
        out.append((s * 1000000000 + f * mul, cl, ln, hashlib.md5(d).hexdigest()))
        p += 16 + cl
    if p != len(b):
        raise SystemExit("%s: %d trailing bytes" % (path, len(b) - p))
    return out
'

# ex_py ARGS: python with recs() defined; the program on stdin
ex_py() { $PY -c "$EX_PY
$(cat)" "$@"; }

# ex_store DIR [linecap options]: a store of several files from two
# streams (two net_pcap ports, one per receive core: filter.pcap 16 times,
# 4160 packets, and known.pcap 8 times, 2104 packets; net_pcap's endless
# mode takes no multi-segment frames) in files of 200 kB, named
# st_sK_NNNNN_TIME.pcap (or .pcapng with -n; EX_PREFIX for another prefix)
EX_STORE_N=6264
ex_store() {
    local dir=$1; shift
    mkdir -p "$dir"
    [ -f "$T/in0.pcap" ] || ex_py "$FILTER_PCAP" 16 "$T/in0.pcap" "$KNOWN" 8 "$T/in1.pcap" <<'EOF'
for src, k, dst in ((sys.argv[1], int(sys.argv[2]), sys.argv[3]), (sys.argv[4], int(sys.argv[5]), sys.argv[6])):
    b = open(src, "rb").read()
    open(dst, "wb").write(b[:24] + b[24:] * k)
EOF
    lc -i "net_pcap0,rx_pcap=$T/in0.pcap" -i "net_pcap1,rx_pcap=$T/in1.pcap" \
        --cores 0,1 -w "$dir/${EX_PREFIX:-st}" -b filesize:200 -a duration:1.5 "$@"
    expect_rc 0 "store capture"
    [ "$(ls "$dir" | grep -c "^${EX_PREFIX:-st}_s1_")" -ge 2 ] && [ "$(ls "$dir" | grep -c "^${EX_PREFIX:-st}_s0_")" -ge 2 ] ||
        fail "store: expected several files from each of two streams: $(ls "$dir" | tr '\n' ' ')"
    ls -A "$dir" | grep -q '\.partial$' && fail "store: partial files left: $(ls -A "$dir")"
    return 0
}

# ex_files DIR: the capture files extract reads in DIR, in its order
ex_files() { ls -1 "$1" | grep -E '\.(pcap|pcapng|cap)$' | grep -v '^\.' | LC_ALL=C sort | sed "s|^|$1/|"; }

# ex_index DIR: indexes for every file (those the capture wrote are kept)
ex_index() {
    local dir=$1 f missing=0
    for f in $(ex_files "$dir"); do [ -f "$f.idx" ] || missing=1; done
    if [ $missing = 1 ]; then
        log "  (some files have no index from the capture: linecap index builds them)"
        lc_raw index -q "$dir"
        expect_rc 0 "linecap index $dir"
    fi
    for f in $(ex_files "$dir"); do [ -s "$f.idx" ] || fail "no index beside $f"; done
}

# ex_oracle DIR: the store merged in extract's file order by mergecap, as
# nanosecond pcap (libpcap reads no pcapng whose interfaces differ in
# snaplen), rewritten by tcpdump: $T/merged.pcap
ex_oracle() {
    # shellcheck disable=SC2046
    mergecap -F nsecpcap -w "$T/merged.raw.pcap" $(ex_files "$1") 2>"$T/mergecap.err" ||
        fail "mergecap: $(tail -1 "$T/mergecap.err")"
    tcpdump --nano -r "$T/merged.raw.pcap" -w "$T/merged.pcap" 2>"$T/td.err" ||
        fail "tcpdump cannot read the merged store: $(tail -1 "$T/td.err")"
}

# ex_queries DIR FORMAT QUERYFILE: every line "FROM;TO;EXPR" (ns, empty
# = open) is run through linecap extract -F FORMAT and through the oracle; all
# compared at once. Sets EXQ_N (queries), EXQ_RECS (records compared).
ex_queries() {
    local dir=$1 fmt=$2 qf=$3 i=0 from to expr args errs=""
    : >"$T/pairs"
    while IFS=';' read -r from to expr; do
        i=$((i + 1))
        args=()
        [ -n "$from" ] && args+=(--from "$(ex_secs "$from")")
        [ -n "$to" ] && args+=(--to "$(ex_secs "$to")")
        lc_raw extract -F "$fmt" "${args[@]}" -w "$T/x$i.$fmt" "$dir" -- "$expr"
        if [ "$LC_RC" != 0 ]; then
            errs="$errs; [$expr] exit $LC_RC: $(head -c 200 "$LC_ERR" | tr '\n' '|')"
            continue
        fi
        grep -q "files considered" "$LC_ERR" || errs="$errs; [$expr] no report line"
        # libpcap reads what extract wrote: it is the reader the comparison uses
        tcpdump --nano -r "$T/x$i.$fmt" -w "$T/xc$i.pcap" 2>"$T/td.err" ||
            { errs="$errs; [$expr] tcpdump cannot read the output: $(tail -1 "$T/td.err")"; continue; }
        tcpdump --nano -r "$T/merged.pcap" -w "$T/o$i.pcap" "$expr" 2>"$T/td.err" ||
            { errs="$errs; [$expr] tcpdump rejects it: $(tail -1 "$T/td.err")"; continue; }
        printf '%s\t%s\t%s\t%s\t%s\n' "$T/o$i.pcap" "$T/xc$i.pcap" "${from:-0}" "${to:-0}" "$expr" >>"$T/pairs"
    done <"$qf"
    [ -z "$errs" ] || fail "extract ($fmt):${errs}"
    EXQ_N=$i
    EXQ_RECS=$(ex_py "$T/pairs" <<'EOF'
bad, total = [], 0
for line in open(sys.argv[1]):
    o, x, f, t, expr = line.rstrip("\n").split("\t")
    f, t = int(f), int(t) or (1 << 64)
    want = [r for r in recs(o) if f <= r[0] < t]
    got = recs(x)
    total += len(want)
    if want != got:
        k = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        bad.append("[%s window %d-%d] %d records, oracle %d; first difference at %d: %s vs %s" % (
            expr, f, t, len(got), len(want), k, got[k] if k < len(got) else "-",
            want[k] if k < len(want) else "-"))
if bad:
    print("MISMATCH " + str(len(bad)) + ": " + " | ".join(bad[:4]))
else:
    print(total)
EOF
)
    case $EXQ_RECS in
    MISMATCH*) fail "extract ($fmt) differs from the oracle: $EXQ_RECS" ;;
    esac
}

# ns -> "SEC.NNNNNNNNN"
ex_secs() { printf '%d.%09d' $(($1 / 1000000000)) $(($1 % 1000000000)); }

# ex_windows MERGED EXPR...: query lines with time windows whose edges fall on
# records, just after records, between files, and outside the store
ex_windows() {
    local merged=$1; shift
    ex_py "$merged" "$@" <<'EOF'
r = recs(sys.argv[1]); exprs = sys.argv[2:]
ts = sorted(set(x[0] for x in r)); n = len(ts)
w = [(ts[n // 3], ts[2 * n // 3]),              # edges on records
     (ts[n // 3] + 1, ts[2 * n // 3] + 1),      # edges just after records
     (ts[n // 5] - 1, ts[n // 5 + 7]),          # a few records
     (ts[n // 2], ts[n // 2] + 1),              # one timestamp
     (ts[0], ts[-1] + 1),                       # the whole store
     (ts[0] - 10**9, ts[0]),                    # before the store: nothing
     (ts[-1] + 1, ts[-1] + 10**9),              # after it: nothing
     (ts[n // 7], 0), (0, ts[6 * n // 7])]      # open ends
# between two records (a gap of at least 3 ns)
for i in range(n // 2, n - 1):
    if ts[i + 1] - ts[i] > 2:
        w.append((ts[i] + 1, ts[i + 1])); break
for e in exprs:
    for a, b in w:
        print("%d;%s;%s" % (a, b if b else "", e))
EOF
}

# the expressions: the capture filter table, and index-shaped ones
ex_exprs() {
    filter_exprs
    cat <<'EOF'
host 10.0.0.1 or host 192.168.1.20
host 10.0.0.1 and tcp
not host 10.0.0.1
not (host 10.0.0.1 or port 53)
src host 10.0.0.1 and dst port 80
udp and not port 53
vlan 100 and host 10.0.0.1
vlan 200 or vlan 100
ip6 host 2001:db8::1 and tcp
ip6 and not icmp6
net 10.0.0.0/24 or net 192.168.1.0/24
host 10.0.0.1 and (port 80 or port 443)
proto 17 or proto 1
tcp[tcpflags] & tcp-syn != 0 and not host 10.0.0.1
port 12345
host 203.0.113.77
EOF
}

# the store read whole by each query: pcap and pcapng store, pcap and pcapng output
ex_store_case() {
    local fmt=$1 ext=$2; shift 2
    local S=$W/store n
    ex_store "$S" "$@"
    ex_index "$S"
    ex_oracle "$S"
    ex_exprs | sed 's/^/;;/' >"$T/q.txt"
    ex_windows "$T/merged.pcap" "" "tcp" "host 10.0.0.1" "not udp" "vlan" >>"$T/q.txt"
    n=$(wc -l <"$T/q.txt")
    [ "$n" -ge 60 ] || fail "only $n queries"
    ex_queries "$S" "$fmt" "$T/q.txt"
    log "  $EXQ_N queries ($ext store, $fmt out), $EXQ_RECS records equal to the oracle's"
    [ "$EXQ_RECS" -gt 1000 ] || fail "only $EXQ_RECS records compared: the store is too small"
}

register extract_pcap_store asan
case_extract_pcap_store() { ex_store_case pcap pcap; }

register extract_pcapng_store asan
case_extract_pcapng_store() { ex_store_case pcapng pcapng -n; }

# a file window: a narrow window opens only the files that overlap it
register extract_time_prune
case_extract_time_prune() {
    local S=$W/store f first last n opened
    ex_store "$S"
    ex_index "$S"
    n=$(ex_files "$S" | wc -l)
    f=$(ex_files "$S" | sed -n 3p)
    read -r first last < <(ex_py "$f" <<'EOF'
r = recs(sys.argv[1]); print(min(x[0] for x in r), max(x[0] for x in r))
EOF
)
    lc_raw extract --from "$(ex_secs "$first")" --to "$(ex_secs $((first + 1)))" -w "$T/one.pcap" "$S"
    expect_rc 0 "a 1 ns window"
    opened=$(sed -n 's/.* considered, \([0-9]*\) opened.*/\1/p' "$LC_ERR")
    [ -n "$opened" ] || fail "no report line: $(cat "$LC_ERR")"
    [ "$opened" -ge 1 ] && [ "$opened" -le 3 ] ||
        fail "a 1 ns window inside $(basename "$f") opened $opened of $n files (expected 1-3: the overlapping ones)"
    grep -q "$n files considered" "$LC_ERR" || fail "report: $(cat "$LC_ERR")"
    lc_raw extract --from "$(ex_secs $((last + 3600000000000)))" -w "$T/none.pcap" "$S"
    expect_rc 0 "a window after the store"
    grep -q "$n files considered, 0 opened" "$LC_ERR" ||
        fail "a window after the store still opened files: $(cat "$LC_ERR")"
    [ "$(cap_count "$T/none.pcap")" = 0 ] || fail "a window after the store: packets written"
}

# relative and absolute TIME forms on a store captured just now
register extract_times
case_extract_times() {
    local S=$W/store all rfc
    ex_store "$S"
    ex_index "$S"
    lc_raw extract -w "$T/all.pcap" "$S"
    expect_rc 0 "whole store"
    all=$(cap_count "$T/all.pcap")
    [ "$all" = $EX_STORE_N ] || fail "whole store: $all packets, expected $EX_STORE_N"
    lc_raw extract --from -1h -w "$T/rel.pcap" "$S"
    expect_rc 0 "--from -1h"
    [ "$(cap_count "$T/rel.pcap")" = "$all" ] || fail "--from -1h: $(cap_count "$T/rel.pcap") packets, expected $all"
    lc_raw extract --from -2d --to -1d -w "$T/old.pcap" "$S"
    expect_rc 0 "--from -2d --to -1d"
    [ "$(cap_count "$T/old.pcap")" = 0 ] || fail "--from -2d --to -1d: packets written"
    grep -q " 0 opened" "$LC_ERR" || fail "--from -2d --to -1d opened files: $(cat "$LC_ERR")"
    lc_raw extract --from -30s --to now -w "$T/now.pcap" "$S"
    expect_rc 0 "--from -30s --to now"
    [ "$(cap_count "$T/now.pcap")" = "$all" ] || fail "--from -30s --to now: $(cap_count "$T/now.pcap")"
    # RFC 3339 (UTC and with an offset) equals epoch seconds for the same instant
    read -r mid rfc rfc2 < <(ex_py "$T/all.pcap" <<'EOF'
import datetime
r = sorted(x[0] for x in recs(sys.argv[1])); m = r[len(r) // 2]
s, ns = divmod(m, 10**9)
d = datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
d2 = d.astimezone(datetime.timezone(datetime.timedelta(hours=5, minutes=30)))
print(m, d.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % ns, d2.strftime("%Y-%m-%dT%H:%M:%S") + ".%09d+05:30" % ns)
EOF
)
    lc_raw extract --from "$(ex_secs "$mid")" -w "$T/e.pcap" "$S"
    expect_rc 0 "epoch --from"
    lc_raw extract --from "$rfc" -w "$T/r.pcap" "$S"
    expect_rc 0 "RFC 3339 --from $rfc"
    lc_raw extract --from "$rfc2" -w "$T/r2.pcap" "$S"
    expect_rc 0 "RFC 3339 --from $rfc2"
    cmp -s "$T/e.pcap" "$T/r.pcap" || fail "--from $rfc differs from --from $(ex_secs "$mid")"
    cmp -s "$T/e.pcap" "$T/r2.pcap" || fail "--from $rfc2 differs from --from $(ex_secs "$mid")"
    local k
    k=$(cap_count "$T/e.pcap")
    [ "$k" -gt 0 ] && [ "$k" -lt "$all" ] || fail "--from the middle record: $k of $all packets"
}

# a store of pcap and pcapng files, each index in every bad state: the same answer
register extract_bad_index asan
case_extract_bad_index() {
    local S=$W/store f i=0 q
    ex_store "$S"
    EX_PREFIX=ng ex_store "$S" -n
    lc_raw index -q "$S"
    expect_rc 0 "linecap index"
    ex_oracle "$S"
    printf ';;%s\n' "host 10.0.0.1" "host 10.0.0.9" "tcp port 80" "vlan 100" "ip6" "not tcp" "" >"$T/q.txt"
    ex_queries "$S" pcapng "$T/q.txt"
    mkdir -p "$T/good" && cp "$T"/xc*.pcap "$T/good/"
    for f in $(ex_files "$S"); do
        i=$((i + 1))
        case $((i % 4)) in
        0) rm -f "$f.idx" ;;                                              # missing
        1) truncate -s $(($(stat -c %s "$f.idx") / 2)) "$f.idx" ;;        # torn
        2) head -c "$(stat -c %s "$f.idx")" /dev/urandom >"$f.idx" ;;      # hostile
        3) cp "$(ex_files "$S" | head -1).idx" "$f.idx" 2>/dev/null ;;    # another file's
        esac
    done
    ex_queries "$S" pcapng "$T/q.txt"
    for q in "$T"/good/*.pcap; do
        cmp -s "$q" "$T/$(basename "$q")" || fail "damaged indexes: $(basename "$q") differs from the answer with good ones"
    done
    grep -q "scanned without index" "$LC_ERR" || fail "no report line"
    grep -q " 0 scanned without index" "$LC_ERR" && fail "damaged indexes but nothing scanned: $(tail -1 "$LC_ERR")"
    # a key block damaged (its CRC no longer matches): the index opens, the
    # lookups meeting the block read every chunk, with a notice
    lc_raw index -q "$S"
    f=$(ex_files "$S" | head -1)
    ex_py "$f.idx" <<'EOF'
b = bytearray(open(sys.argv[1], "rb").read())
assert b[8] == 2
head, ctlen = struct.unpack("<I", b[180:184])[0], struct.unpack("<Q", b[168:176])[0]
b[head + ctlen + 2] ^= 0x40    # the first IPv4 key of the first block
open(sys.argv[1], "wb").write(b)
EOF
    ex_queries "$S" pcapng "$T/q.txt"
    grep -q "key block unreadable or damaged" "$LC_ERR" "$T"/*.err 2>/dev/null || fail "no notice of the damaged key block"
    # stale: a file grows after its index was written (records appended)
    lc_raw index -q "$S"
    f=$(ex_files "$S" | grep '\.pcap$' | sed -n 2p)
    ex_py "$f" "$(ex_files "$S" | grep '\.pcap$' | sed -n 5p)" <<'EOF'
b = open(sys.argv[2], "rb").read()[24:]
open(sys.argv[1], "ab").write(b)
EOF
    ex_oracle "$S"
    ex_queries "$S" pcapng "$T/q.txt"
    grep -q "stale index" "$T"/run*.err || fail "the grown file's index was not found stale"
    # and a file rewritten in place at the same size after its index, its
    # first 64 bytes kept (10.0.0.1 becomes 10.0.0.9; its mtime is newer)
    lc_raw index -q "$S"
    sleep 0.05
    f=$(ex_files "$S" | grep '\.pcap$' | sed -n 3p)
    ex_py "$f" <<'EOF'
a = open(sys.argv[1], "rb").read()
open(sys.argv[1], "r+b").write(a[:64] + a[64:].replace(bytes([10, 0, 0, 1]), bytes([10, 0, 0, 9])))
EOF
    ex_oracle "$S"
    ex_queries "$S" pcapng "$T/q.txt"
}

# indexes for files other tools wrote: tcpdump (usec pcap), big-endian pcap,
# tshark pcapng, a snaplen-cut file; linecap index reports one line per file
register extract_foreign asan
case_extract_foreign() {
    local S=$W/foreign n
    mkdir -p "$S"
    tcpdump -r "$FILTER_PCAP" -w "$S/a_tcpdump.pcap" 2>/dev/null || fail "tcpdump -w"
    editcap -F pcap -s 96 "$KNOWN" "$S/b_snap96.pcap" 2>/dev/null || fail "editcap -s 96"
    tshark -r "$MIXED" -F pcapng -w "$S/c_tshark.pcapng" 2>/dev/null || fail "tshark -w pcapng"
    ex_py "$FILTER_PCAP" "$S/d_bigendian.pcap" <<'EOF'
import struct
b = open(sys.argv[1], "rb").read()
e = "<" if b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
h = struct.unpack(e + "IHHiIII", b[:24])
out = [struct.pack(">IHHiIII", 0xa1b2c3d4, *h[1:])]
p, k = 24, 0
while p + 16 <= len(b):
    s, f, cl, ln = struct.unpack(e + "IIII", b[p:p + 16])
    if h[0] == 0xa1b23c4d: f //= 1000
    out.append(struct.pack(">IIII", s + 7, f, cl, ln) + b[p + 16:p + 16 + cl])
    p += 16 + cl
open(sys.argv[2], "wb").write(b"".join(out))
EOF
    lc_raw index "$S"
    expect_rc 0 "linecap index on foreign files"
    n=$(grep -c -- '-> .*\.idx: [0-9]* records' "$LC_OUT")
    [ "$n" = 4 ] || fail "linecap index: $n file lines, expected 4: $(cat "$LC_OUT")"
    grep -q "linecap index: 4 indexed" "$LC_OUT" || fail "summary: $(tail -1 "$LC_OUT")"
    ls -A "$S" | grep -q partial && fail "partial files left: $(ls -A "$S")"
    ex_oracle "$S"
    { filter_exprs | awk 'NR % 3 == 1'; ex_exprs | tail -16; } | sed 's/^/;;/' >"$T/q.txt"
    ex_windows "$T/merged.pcap" "ip" >>"$T/q.txt"
    ex_queries "$S" pcapng "$T/q.txt"
    log "  $EXQ_N queries over tcpdump/tshark/big-endian files, $EXQ_RECS records equal"
    # one file named alone
    lc_raw extract -w "$T/all.pcap" "$S/a_tcpdump.pcap"
    expect_rc 0 "one file"
    [ "$(cap_count "$T/all.pcap")" = "$(cap_count "$FILTER_PCAP")" ] || fail "one tcpdump file: count differs"
}

# stdout read by tcpdump, -c, pcapng output, mixed link types
register extract_stdout asan
case_extract_stdout() {
    local S=$W/store a b
    ex_store "$S"
    ex_index "$S"
    ex_oracle "$S"
    "$LINECAP" extract "$S" tcp 2>"$T/e1" | tcpdump --nano -r - -w "$T/p.pcap" 2>"$T/td.err" ||
        fail "linecap extract ... | tcpdump -r -: $(tail -1 "$T/td.err") / $(tail -1 "$T/e1")"
    check_sanitizer "$T/e1"
    tcpdump --nano -r "$T/merged.pcap" -w "$T/o.pcap" tcp 2>/dev/null
    a=$(ex_py "$T/p.pcap" <<<'print(recs(sys.argv[1]))' | md5sum)
    b=$(ex_py "$T/o.pcap" <<<'print(recs(sys.argv[1]))' | md5sum)
    [ "$a" = "$b" ] || fail "stdout (no -w) piped to tcpdump differs from the oracle"
    "$LINECAP" extract -F pcapng -w - "$S" -- udp 2>"$T/e2" | tcpdump --nano -r - -w "$T/u.pcap" 2>"$T/td.err" ||
        fail "-F pcapng -w - | tcpdump -r -: $(tail -1 "$T/td.err")"
    tcpdump --nano -r "$T/merged.pcap" -w "$T/ou.pcap" udp 2>/dev/null
    a=$(ex_py "$T/u.pcap" <<<'print(recs(sys.argv[1]))' | md5sum)
    b=$(ex_py "$T/ou.pcap" <<<'print(recs(sys.argv[1]))' | md5sum)
    [ "$a" = "$b" ] || fail "pcapng to stdout differs from the oracle"
    # -c N: the first N of the answer
    lc_raw extract -c 7 -w "$T/c7.pcap" "$S" ip
    expect_rc 0 "-c 7"
    tcpdump --nano -r "$T/merged.pcap" -c 7 -w "$T/o7.pcap" ip 2>/dev/null
    cmp -s <(ex_py "$T/c7.pcap" <<<'print(recs(sys.argv[1]))') <(ex_py "$T/o7.pcap" <<<'print(recs(sys.argv[1]))') ||
        fail "-c 7 is not the first 7 packets of the answer"
    # header: nanosecond magic, linktype 1
    pcap_header_ok "$T/c7.pcap" "$(od -An -tu4 -j16 -N4 "$T/c7.pcap" | tr -d ' \n')"
    # mixed link types: raw IP (101) beside Ethernet: pcap refused (64, one line), pcapng holds both
    ex_py "$SMALL" "$S/zz_raw.pcap" <<'EOF'
import struct
b = open(sys.argv[1], "rb").read(); e = "<" if b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
h = struct.unpack(e + "IHHiIII", b[:24]); out = [struct.pack(e + "IHHiII", h[0], h[1], h[2], 0, 0, 65535) + struct.pack(e + "I", 101)]
p = 24
while p + 16 <= len(b):
    s, f, cl, ln = struct.unpack(e + "IIII", b[p:p + 16]); d = b[p + 16:p + 16 + cl]; p += 16 + cl
    if d[12:14] == b"\x08\x00":
        out.append(struct.pack(e + "IIII", s, f, cl - 14, ln - 14) + d[14:])
open(sys.argv[2], "wb").write(b"".join(out))
EOF
    lc_raw extract -w "$T/mixed.pcap" "$S" ip
    expect_rc 64 "pcap output of Ethernet and raw IP files"
    grep -q "error: .*link type.*-F pcapng" "$LC_ERR" ||
        fail "mixed link types: $(cat "$LC_ERR")"
    [ -e "$T/mixed.pcap" ] && fail "mixed link types: an output file was left"
    lc_raw extract -F pcapng -w "$T/mixed.pcapng" "$S" ip
    expect_rc 0 "pcapng output of Ethernet and raw IP files"
    a=$(tshark -r "$T/mixed.pcapng" -T fields -e frame.interface_id 2>/dev/null | sort -u | tr '\n' ' ')
    [ "$a" = "0 1 " ] || fail "mixed pcapng: interfaces used '$a', expected 0 1"
    a=$(tshark -r "$T/mixed.pcapng" 2>/dev/null | wc -l)
    b=$(($(tcpdump -r "$T/merged.pcap" ip 2>/dev/null | wc -l) + $(tcpdump -r "$S/zz_raw.pcap" ip 2>/dev/null | wc -l)))
    [ "$a" = "$b" ] || fail "mixed pcapng: $a packets, expected $b"
}

# exit codes, each with one line
register extract_errors asan
case_extract_errors() {
    local S=$W/store
    ex_store "$S"
    ex_index "$S"
    ex_err() {   # WANT WHAT ARGS...
        local want=$1 what=$2; shift 2
        lc_raw "$@"
        expect_rc "$want" "$what"
        [ "$(grep -c . "$LC_ERR")" = 1 ] || fail "$what: not one line on stderr: $(cat "$LC_ERR")"
    }
    ex_err 65 "bad expression" extract -w "$T/o.pcap" "$S" -- host
    ex_err 65 "port out of range" extract -w "$T/o.pcap" "$S" tcp port 99999
    [ -e "$T/o.pcap" ] && fail "a bad expression left an output file"
    ex_err 64 "bad --from" extract --from yesterday -w "$T/o.pcap" "$S"
    grep -q "yesterday" "$LC_ERR" || fail "the line does not name the value: $(cat "$LC_ERR")"
    ex_err 64 "bad month" extract --from 2026-13-01T00:00:00Z -w "$T/o.pcap" "$S"
    ex_err 64 "bad unit" extract --to -5x -w "$T/o.pcap" "$S"
    ex_err 64 "no offset" extract --to 2026-12-03T09:30:00 -w "$T/o.pcap" "$S"
    ex_err 64 "empty window" extract --from 1764754200 --to 1764754200 -w "$T/o.pcap" "$S"
    ex_err 64 "bad -F" extract -F pcapx -w "$T/o.pcap" "$S"
    ex_err 64 "bad -c" extract -c 0 -w "$T/o.pcap" "$S"
    ex_err 64 "no path" extract -w "$T/o.pcap"
    ex_err 66 "missing path" extract -w "$T/o.pcap" "$W/nonexistent/dir" tcp
    mkdir -p "$W/empty"
    ex_err 66 "directory without captures" extract -w "$T/o.pcap" "$W/empty"
    head -c 5000 /dev/urandom >"$W/junk.pcap"
    ex_err 66 "not a capture file" extract -w "$T/o.pcap" "$W/junk.pcap"
    ex_err 74 "output write error" extract -w /dev/full "$S"
    ex_err 73 "output cannot be created" extract -w "$W/nonexistent/o.pcap" "$S"
    ex_err 64 "index: no path" index
    ex_err 66 "index: not a capture" index "$W/junk.pcap"
    lc_raw index "$W/nonexistent.pcap"
    expect_rc 66 "index: missing file"
    # stdout a terminal: refused
    if command -v script >/dev/null; then
        script -qec "$LINECAP extract $S" /dev/null >"$T/tty.out" 2>&1
        [ $? = 64 ] || fail "pcap to a terminal: not refused with 64: $(head -c 200 "$T/tty.out")"
        grep -q "terminal" "$T/tty.out" || fail "pcap to a terminal: $(head -c 200 "$T/tty.out")"
    fi
    # the help
    lc_raw extract --help
    expect_rc 0 "extract --help"
    grep -q "Exit codes" "$LC_OUT" || fail "extract --help"
    lc_raw index --help
    expect_rc 0 "index --help"
}

# more files without an index than extract scans at once (64): the others
# are indexed in memory and opened when the merge reaches them
register extract_many_unindexed asan
case_extract_many_unindexed() {
    local S=$W/store n
    ex_store "$S" -b filesize:40
    rm -f "$S"/*.idx
    n=$(ex_files "$S" | wc -l)
    [ "$n" -gt 70 ] || fail "only $n files: the case needs more than 64"
    ex_oracle "$S"
    printf ';;%s\n' "" "host 10.0.0.1" "tcp port 80" "vlan 100" "ip6 and udp" >"$T/q.txt"
    ex_windows "$T/merged.pcap" "ip" | sed -n '1,4p' >>"$T/q.txt"
    ex_queries "$S" pcap "$T/q.txt"
    grep -q "indexed in memory" "$LC_ERR" || fail "no file was indexed in memory: $(tail -3 "$LC_ERR")"
    grep -q "$n scanned without index" "$LC_ERR" || fail "report: $(tail -1 "$LC_ERR")"
}

# an index that passes every check before reading (same size, same first 64
# bytes, not older than the file) but whose chunks do not match the records
# (their timestamps moved): the file falls back to a scan at the first
# record outside its chunk's time range; the answer stays exact
register extract_fallback asan
case_extract_fallback() {
    local S=$W/store f
    ex_store "$S"
    ex_index "$S"
    f=$(ex_files "$S" | sed -n 2p)
    ex_py "$f" <<'EOF'
import struct
b = bytearray(open(sys.argv[1], "rb").read())
p, offs = 24, []
while p + 16 <= len(b):
    offs.append(p)
    p += 16 + struct.unpack("<I", b[p + 8:p + 12])[0]
for o in offs[len(offs) // 2:]:
    s = struct.unpack("<I", b[o:o + 4])[0]
    b[o:o + 4] = struct.pack("<I", s + 1)
open(sys.argv[1], "r+b").write(bytes(b))
EOF
    touch -d "@$(($(stat -c %Y "$f.idx") - 10))" "$f"
    ex_oracle "$S"
    printf ';;%s\n' "" "ip" "tcp or udp" >"$T/q.txt"
    ex_queries "$S" pcap "$T/q.txt"
    grep -q "the index does not describe the file at offset" "$LC_ERR" ||
        fail "no fallback notice: $(grep -v 'files considered' "$LC_ERR" | head -3)"
}

# The index thread behind (LINECAP_TEST_INDEX_LIGHT: every block walked as
# when it is): records are indexed by time only, opaque, so every query
# reads every chunk of the window, and the answers stay the oracle's; the
# summary and --stats-json say how many records.
register extract_light_index asan
case_extract_light_index() {
    local S=$W/store n light recs
    export LINECAP_TEST_INDEX_LIGHT=1
    ex_store "$S" --stats-json "$T/s.json"
    unset LINECAP_TEST_INDEX_LIGHT
    recs=$(jget "$T/s.json" 'd["totals"]["written"]')
    light=$(jget "$T/s.json" 'sum(f["index_time_only"] for f in d["files"])')
    [ "$light" = "$recs" ] || fail "index_time_only $light of $recs records"
    grep -q "^$recs of $recs records indexed by time only" "$LC_ERR" ||
        fail "summary: $(grep -i "index" "$LC_ERR" | head -3)"
    n=$(ex_files "$S" | wc -l)
    for f in $(ex_files "$S"); do [ -s "$f.idx" ] || fail "no index beside $f"; done
    lc_raw extract -w "$T/h.pcap" "$S" host 10.0.0.1
    expect_rc 0 "extract host"
    grep -qE "$n files considered, $n opened, 0 scanned without index; ([0-9]+) of \\1 indexed chunks read" "$LC_ERR" ||
        fail "a time-only index pruned chunks by key: $(tail -1 "$LC_ERR")"
    ex_oracle "$S"
    ex_exprs | head -20 | sed 's/^/;;/' >"$T/q.txt"
    ex_windows "$T/merged.pcap" "" "tcp" >>"$T/q.txt"
    ex_queries "$S" pcap "$T/q.txt"
    [ "$EXQ_RECS" -gt 1000 ] || fail "only $EXQ_RECS records compared"
}

# indexes of format version 1 (tests/data/v1: built by linecap index of
# 2026-12-03 from known.pcap and mixed.pcap) beside their files: extract
# refuses them ("version 1, expected 2"), scans, and still answers exactly;
# linecap index rebuilds them as version 2, and so does linecap recover
# when one is left under its partial name
register extract_v1_index asan
case_extract_v1_index() {
    local S=$W/v1 f out
    mkdir -p "$S"
    cp "$KNOWN" "$S/a_known.pcap"
    cp "$MIXED" "$S/b_mixed.pcap"
    sleep 0.05
    cp "$DATA/v1/known.pcap.idx" "$S/a_known.pcap.idx"
    cp "$DATA/v1/mixed.pcap.idx" "$S/b_mixed.pcap.idx"
    [ "$(od -An -tu4 -j8 -N4 "$S/a_known.pcap.idx" | tr -d ' ')" = 1 ] || fail "test data: not a version 1 index"
    ex_oracle "$S"
    printf ';;%s\n' "host 10.0.0.1" "tcp port 80" "udp" "" >"$T/q.txt"
    ex_queries "$S" pcap "$T/q.txt"
    grep -q "version 1, expected 2" "$LC_ERR" || fail "no notice of the version 1 index: $(cat "$LC_ERR")"
    grep -q " 2 scanned without index" "$LC_ERR" || fail "version 1 indexes not scanned: $(tail -1 "$LC_ERR")"
    mkdir -p "$T/v1ans" && cp "$T"/xc*.pcap "$T/v1ans/"
    # linecap index rebuilds them
    lc_raw index -q "$S"
    expect_rc 0 "linecap index over version 1 indexes"
    IDXDUMP=$(dirname "$LINECAP")/tests/unit/idxdump
    for f in "$S/a_known.pcap" "$S/b_mixed.pcap"; do
        "$IDXDUMP" "$f.idx" "$f" >/dev/null 2>"$T/idxdump.err" || fail "$f.idx after linecap index: $(cat "$T/idxdump.err")"
        [ "$(od -An -tu4 -j8 -N4 "$f.idx" | tr -d ' ')" = 2 ] || fail "$f.idx: not rebuilt as version 2"
    done
    ex_queries "$S" pcap "$T/q.txt"
    grep -q " 0 scanned without index" "$LC_ERR" || fail "rebuilt indexes not used: $(tail -1 "$LC_ERR")"
    for f in "$T"/v1ans/*.pcap; do
        cmp -s "$f" "$T/$(basename "$f")" || fail "$(basename "$f"): the answers with version 1 and 2 indexes differ"
    done
    # a version 1 index left under its partial name: recover rebuilds it
    rm -f "$S/a_known.pcap.idx"
    cp "$DATA/v1/known.pcap.idx" "$S/.a_known.pcap.idx.partial"
    out=$("$LINECAP" recover "$S" 2>&1) || fail "linecap recover exits $?: $out"
    log "recover: $out"
    [ -f "$S/a_known.pcap.idx" ] && [ ! -e "$S/.a_known.pcap.idx.partial" ] || fail "recover did not rebuild the version 1 partial index: $out"
    "$IDXDUMP" "$S/a_known.pcap.idx" "$S/a_known.pcap" >/dev/null 2>"$T/idxdump.err" || fail "after recover: $(cat "$T/idxdump.err")"
}
