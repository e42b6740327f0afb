#!/usr/bin/env bash
# The packet index (issue 13), measured on a large store (a measurement,
# not a test):
#   1. a store of >= LCI_GB GB in files of LCI_FILE_MB MB captured here:
#      linecap-gen (caida mix, LCI_FLOWS flows) -> virtio-user/vhost-user ->
#      linecap -b filesize (the index written by the capture; files without
#      one are indexed with `linecap index`, timed);
#   2. index size: index bytes as % of pcap bytes;
#   3. one host's packets over the whole store, page cache dropped first:
#      linecap extract vs tcpdump -r over the same files (tcpdump over the
#      whole store takes long: by default it runs over LCI_TD_FILES files and
#      the time is extrapolated, which the report says; LCI_TD_FILES=all runs
#      it over every file);
#   4. a 1-minute window: the report line shows that only the files
#      overlapping it were opened.
# The store is deleted at the end (LCI_KEEP=1 keeps it).
#
#   bench/index.sh [BUILD]
#
# Environment: LCI_DIR (/var/tmp/lci: on the disk under test), LCI_GB (40),
# LCI_FILE_MB (40), LCI_FLOWS (10000), LCI_RATE (generator rate, 1g: the store
# then spans about 5 minutes, so that a 1-minute window is a part of it), LCI_TD_FILES (20, or "all"), LCI_OUT (- = stdout only, the
# default; a file: the "Packet index" section is appended to it), LCI_KEEP
# (keep the store), LCI_REUSE=1 (measure a kept store again: no capture).
. "$(dirname "$0")/lib.sh"
DIR=${LCI_DIR:-/var/tmp/lci}
GB=${LCI_GB:-40}
FMB=${LCI_FILE_MB:-40}
FLOWS=${LCI_FLOWS:-10000}
RATE=${LCI_RATE:-1g}
TDF=${LCI_TD_FILES:-20}
OUT=${LCI_OUT:--}
STORE=$DIR/store
LOGS=$DIR/logs.$(date +%Y%m%d-%H%M%S)
NFILES=$(((GB * 1000 + FMB - 1) / FMB))

[ "$(id -u)" -eq 0 ] || die "run as root (drop_caches, links)"
[ -x "$LC" ] && [ -x "$GEN" ] || die "build first (ninja -C build)"
command -v tcpdump >/dev/null || die "tcpdump is not installed"
mkdir -p "$STORE" "$LOGS" || die "cannot create $DIR"
avail=$(df -Pk "$DIR" | awk 'NR == 2 {print int($4 / 1048576)}')
[ "${LCI_REUSE:-0}" = 1 ] || [ "$avail" -ge $((GB + 5)) ] || die "$DIR: $avail GiB free, the store needs $GB GB + 5"

export LC_LINKS_DIR=$DIR/links.$$
LK=i$(($$ % 100000))
cleanup() {
    "$LINKS" down "$LK" >/dev/null 2>&1 && rm -rf "$LC_LINKS_DIR"
    if [ "${LCI_KEEP:-0}" != 1 ]; then rm -rf "$STORE"; fi
}
on_exit cleanup
wait_quiet 600 || true

# ---- 1. the store (LCI_REUSE=1: the one a previous LCI_KEEP=1 run left)
nf=$(ls "$STORE" 2>/dev/null | grep -c '\.pcap$')
if [ "${LCI_REUSE:-0}" = 1 ] && [ "$nf" -ge "$NFILES" ]; then
    log "reusing the store in $STORE ($nf files)"
    t0=0 t1=0
else
eval "$("$LINKS" up vhost "$LK")" || die "links.sh up vhost $LK failed"
rm -rf "${STORE:?}"/* "$STORE"/.[!.]* 2>/dev/null
log "capturing $NFILES files of $FMB MB ($GB GB) at $RATE, caida mix, $FLOWS flows"
t0=$(date +%s.%N)
"${ON_CAP[@]}" "$LC" -i "$LINK_CAPTURE" --cores 1 -w "$STORE/st.pcap" -b "filesize:$((FMB * 1000))" \
    -a "files:$NFILES" --stats-interval 10 --stats-json "$LOGS/cap.json" \
    -- --file-prefix=lcic$$ --single-file-segments >"$LOGS/cap.out" 2>"$LOGS/cap.err" &
cpid=$!
track "$cpid"
"${ON_GEN[@]}" "$GEN" -i "$LINK_GEN" --cores 0 --mix caida --flows "$FLOWS" --rate "$RATE" \
    --duration 100000 --link-wait 30 --quiet --json "$LOGS/gen.json" \
    -- --file-prefix=lcig$$ --single-file-segments >"$LOGS/gen.log" 2>&1 &
gpid=$!
track "$gpid"
wait "$cpid"
crc=$?
stop_pid "$gpid" 10
stop_all
t1=$(date +%s.%N)
[ "$crc" = 0 ] || die "capture exit $crc: $(tail -2 "$LOGS/cap.err")"
fi
nf=$(ls "$STORE" | grep -c '\.pcap$')
pcap_bytes=$(find "$STORE" -maxdepth 1 -name '*.pcap' -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')
log "store: $nf files, $pcap_bytes bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}') s"

# ---- 2. the index (capture-written, or built now)
noidx=0
for f in "$STORE"/*.pcap; do [ -f "$f.idx" ] || noidx=$((noidx + 1)); done
idx_build_s=-
# a reused store's indexes may be of an older format: linecap index
# keeps the valid ones and rebuilds the others
if [ "$noidx" -gt 0 ] || [ "${LCI_REUSE:-0}" = 1 ]; then
    log "$noidx files without an index from the capture: linecap index"
    t0=$(date +%s.%N)
    "$LC" index -q "$STORE" >"$LOGS/index.out" 2>&1 || die "linecap index: $(tail -2 "$LOGS/index.out")"
    t1=$(date +%s.%N)
    idx_build_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
fi
idx_bytes=$(find "$STORE" -maxdepth 1 -name '*.pcap.idx' -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')
idx_pct=$(awk -v a="$idx_bytes" -v b="$pcap_bytes" 'BEGIN{printf "%.2f", 100 * a / b}')
log "index: $idx_bytes bytes, $idx_pct % of the pcap bytes"

# ---- 3. one host over the whole store, cold cache
first=$(ls "$STORE"/*.pcap | head -1)
host=$(tcpdump -nn -r "$first" -c 1 ip 2>/dev/null | awk '{print $3}' | cut -d. -f1-4)
[ -n "$host" ] || die "no IPv4 host in $first"
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
drop
t0=$(date +%s.%N)
"$LC" extract -w "$LOGS/host.pcap" "$STORE" host "$host" 2>"$LOGS/extract.err" || die "extract: $(tail -1 "$LOGS/extract.err")"
t1=$(date +%s.%N)
ex_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
ex_n=$(tcpdump -r "$LOGS/host.pcap" 2>/dev/null | wc -l)
ex_report=$(tail -1 "$LOGS/extract.err")
log "extract host $host: $ex_n packets in $ex_s s ($ex_report)"
# the same, warm
t0=$(date +%s.%N)
"$LC" extract -w /dev/null "$STORE" host "$host" 2>/dev/null
t1=$(date +%s.%N)
ex_warm=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')

# tcpdump -r over the same files (a subset, extrapolated by bytes, unless all)
mapfile -t files < <(ls "$STORE"/*.pcap | LC_ALL=C sort)
if [ "$TDF" = all ]; then sub=("${files[@]}"); else sub=("${files[@]:0:$TDF}"); fi
sub_bytes=$(stat -c %s "${sub[@]}" | awk '{s += $1} END {printf "%.0f\n", s}')
drop
t0=$(date +%s.%N)
td_n=0
for f in "${sub[@]}"; do
    k=$(tcpdump -nn -r "$f" host "$host" 2>/dev/null | wc -l)
    td_n=$((td_n + k))
done
t1=$(date +%s.%N)
td_sub=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
td_s=$(awk -v t="$td_sub" -v a="$sub_bytes" -v b="$pcap_bytes" 'BEGIN{printf "%.1f", t * b / a}')
td_how="measured over all $nf files"
[ "${#sub[@]}" -lt "$nf" ] && td_how="measured over ${#sub[@]} files ($sub_bytes bytes, ${td_sub} s, $td_n packets) and extrapolated by bytes to the $nf files"
speedup=$(awk -v a="$td_s" -v b="$ex_s" 'BEGIN{printf "%.0f", a / b}')
log "tcpdump -r host $host: $td_s s ($td_how); extract is ${speedup}x faster"

# ---- 4. a 1-minute window in the middle of the store
read -r tmin tmax < <(for f in "${files[0]}" "${files[-1]}"; do
    tcpdump -tt -nn -r "$f" -c 1 2>/dev/null | awk '{print $1}'; done | xargs)
mid=$(awk -v a="$tmin" -v b="$tmax" 'BEGIN{printf "%d", (a + b) / 2}')
drop
"$LC" extract --from "$mid" --to "$((mid + 60))" -w /dev/null "$STORE" 2>"$LOGS/win.err" ||
    die "extract window: $(tail -1 "$LOGS/win.err")"
win_report=$(tail -1 "$LOGS/win.err")
span=$(awk -v a="$tmin" -v b="$tmax" 'BEGIN{printf "%.0f", b - a}')
log "1-minute window ($span s of store): $win_report"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
grep -q hypervisor /proc/cpuinfo && cpu="$cpu (virtual machine)"
disk=$(df -P "$DIR" | awk 'NR == 2 {print $1}')
report() {
    cat <<EOF

## Packet index

$(date -u +%Y-%m-%d), $cpu; store on $disk ($DIR). bench/index.sh: linecap-gen --mix caida
--flows $FLOWS --rate $RATE over virtio-user/vhost-user, linecap -b filesize:$((FMB * 1000)).

| | |
|---|---|
| store | $nf files, $pcap_bytes pcap bytes |
| index | $idx_bytes bytes = **$idx_pct %** of the pcap bytes$([ "$idx_build_s" != - ] && echo " (built by linecap index in $idx_build_s s: $noidx files had none from the capture)") |
| one host ($host), page cache dropped | linecap extract **$ex_s s** ($ex_n packets; warm $ex_warm s) |
| the same with tcpdump -r | $td_s s ($td_how) |
| speed-up | **${speedup}x** |
| extract report | $ex_report |
| 1-minute window, cold | $win_report |
EOF
}
if [ "$OUT" = - ]; then report; else report | tee -a "$OUT"; fi
