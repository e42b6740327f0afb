#!/usr/bin/env bash
# Paired A/B of two linecap builds on bench/run.sh's net_null rows, interleaved
# in one run (this VM drifts by up to 30 %, so a change to the receive or
# write path is judged against the previous build measured beside it):
#   capture to disk, 64 B and 1514 B (net_null, pcap, O_DIRECT, 2 GiB pool)
#   count-only, 64 B and 1514 B, and testpmd rxonly on the same vdev
# Each repetition runs every configuration once per build, the build order
# alternating per repetition.
#
#   bench/ab.sh BASE_BUILD [NEW_BUILD]      (NEW_BUILD default: build)
#
# Environment: LCAB_REPS (3), LCAB_DUR seconds per run (10), LCAB_KINDS the
# rows ("capture count"; count-only rows bring testpmd), LCAB_DIR scratch
# on the disk under test (/var/tmp/lcab), LCAB_OUT report to append to
# (bench/RESULTS.md; "-" for stdout only), LCAB_SIZES frame sizes ("64 1514"),
# LCAB_ARGS_BASE / LCAB_ARGS_NEW extra linecap options for each side (one
# build against itself: bench/ab.sh build build with LCAB_ARGS_BASE=--no-index).
BASE=${1:?usage: bench/ab.sh BASE_BUILD [NEW_BUILD]}
shift
. "$(dirname "$0")/lib.sh"
case $BASE in /*) ;; *) BASE=$ROOT/$BASE ;; esac
REPS=${LCAB_REPS:-3}
DUR=${LCAB_DUR:-10}
DIR=${LCAB_DIR:-/var/tmp/lcab}
OUT=${LCAB_OUT:-$HERE/RESULTS.md}
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$BASE/linecap" ] && [ -x "$LC" ] || die "build both first ($BASE/linecap, $LC)"
mkdir -p "$DIR" || die "cannot create $DIR"
LOGS=$DIR/logs.$(date +%Y%m%d-%H%M%S)
mkdir -p "$LOGS"
RES=$LOGS/results.jsonl
: >"$RES"
rm_capture() { rm -f "$DIR"/x.pcap "$DIR"/x.pcap.manifest.json "$DIR"/.x.pcap.partial "$DIR"/x.pcap.idx "$DIR"/.x.pcap.idx.partial; }
read -r -a ARGS_BASE <<<"${LCAB_ARGS_BASE:-}"
read -r -a ARGS_NEW <<<"${LCAB_ARGS_NEW:-}"
on_exit rm_capture

# run_lc TAG BIN KIND SIZE REP [EXTRA ARGS...]
run_lc() {
    local tag=$1 bin=$2 kind=$3 size=$4 rep=$5 base=$LOGS/$1-$3-$4-$5 mode
    shift 5
    if [ "$kind" = capture ]; then mode=(-w "$DIR/x.pcap"); else mode=(--count-only); fi
    rm_capture
    "$bin" -i "net_null0,size=$size" "${mode[@]}" -a "duration:$DUR" --cores 1 "$@" \
        --stats-interval 1 --stats-json "$base.json" 2>"$base.err" >/dev/null
    local fsize=0
    [ -f "$DIR/x.pcap" ] && fsize=$(stat -c %s "$DIR/x.pcap")
    rm_capture
    if [ "$kind" = capture ]; then
        $PY "$HERE/lcb.py" capture "$size" "$rep" "$DUR" "$base.json" "$base.err" "$fsize" NA
    else
        $PY "$HERE/lcb.py" count "$size" "$rep" "$base.json"
    fi | $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); d["build"]=sys.argv[1]; print(json.dumps(d))' "$tag" >>"$RES"
    log "$tag $kind $size B rep $rep: $(tail -1 "$RES" | $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); print("%.2f Mpps" % d.get("wr_mpps", d.get("mpps", 0)))')"
}

run_testpmd() {   # SIZE REP
    local size=$1 rep=$2 base=$LOGS/testpmd-$1-$2
    dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --vdev "net_null0,size=$size" --in-memory \
        -- --forward-mode=rxonly --nb-cores=1 --stats-period 1 -a </dev/null >"$base.log" 2>&1 &
    local pid=$! i
    track "$pid"
    for i in $(seq 1 $(((DUR + 40) * 2))); do
        [ "$(grep -c 'Rx-pps' "$base.log" 2>/dev/null)" -ge $((DUR + 2)) ] && break
        sleep 0.5
    done
    stop_pid "$pid" 30
    stop_all
    $PY "$HERE/lcb.py" testpmd "$size" "$rep" "$base.log" |
        $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); d["build"]="testpmd"; print(json.dumps(d))' >>"$RES"
}

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
grep -q hypervisor /proc/cpuinfo && cpu="$cpu (virtual machine)"
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then order="base new"; else order="new base"; fi
    for kind in ${LCAB_KINDS:-capture count}; do
        for size in ${LCAB_SIZES:-64 1514}; do
            for b in $order; do
                if [ "$b" = base ]; then run_lc base "$BASE/linecap" "$kind" "$size" "$rep" "${ARGS_BASE[@]}"
                else run_lc new "$LC" "$kind" "$size" "$rep" "${ARGS_NEW[@]}"; fi
            done
            [ "$kind" = count ] && run_testpmd "$size" "$rep"
        done
    done
done

report=$($PY - "$RES" "$cpu" "$(git -C "$BASE/.." rev-parse --short HEAD 2>/dev/null)" \
    "$(git -C "$ROOT" rev-parse --short HEAD)" "$DUR" "${LCAB_ARGS_BASE:-}" "${LCAB_ARGS_NEW:-}" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu, rbase, rnew, dur, abase, anew = sys.argv[2:8]
if abase or anew:
    rbase += " " + (abase or "(no options)")
    rnew += " " + (anew or "(no options)")
def med(v):
    v = sorted(v); n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
def val(r):
    return r["wr_mpps"] if r["kind"] == "capture" else r["mpps"]
cells = {}
for r in rows:
    cells.setdefault((r["kind"], r["cfg"], r["build"]), []).append(val(r))
out = ["## Paired A/B, net_null rows (bench/ab.sh)", "",
       f"Machine: {cpu}; base {rbase} vs new {rnew}; {dur} s per run, interleaved, build order "
       "alternating per repetition; linecap on CPU 1 (writer on CPU 0); capture = pcap to the root "
       "disk with O_DIRECT, 2 GiB pool; Mpps written (capture) or received (count-only, testpmd).", "",
       "| row | base: median [min - max] | new: median [min - max] | new/base (median) | new/base range | testpmd rxonly |",
       "|---|---|---|---|---|---|"]
for kind in ("capture", "count"):
    for cfg in ("64", "1514"):
        b = cells.get((kind, cfg, "base"), []); n = cells.get((kind, cfg, "new"), [])
        t = cells.get(("testpmd", cfg, "testpmd"), []) if kind == "count" else []
        if not b or not n:
            continue
        fmt = lambda v: "%.2f [%.2f - %.2f]" % (med(v), min(v), max(v))
        out.append(f"| {kind} {cfg} B | {fmt(b)} | {fmt(n)} | {med(n) / med(b):.3f} | "
                   f"{min(n) / max(b):.3f} - {max(n) / min(b):.3f} | {fmt(t) if t else '-'} |")
print("\n".join(out))
PY
)
echo "$report"
if [ "$OUT" != "-" ]; then
    { echo; echo "$report"; } >>"$OUT"
    log "appended to $OUT; logs in $LOGS"
fi
