#!/usr/bin/env bash
# End to end at 10 Gb/s line rate (a measurement, not a test):
#   linecap-gen --rate 10g -> virtio-user/vhost-user -> linecap writing pcap
#   to disk, beside dpdk-testpmd rxonly on the same link in the same run.
# Traffic: 64 B frames (14.88 Mpps) and the ~965 B "caida" mix (1.22 GB/s).
# Generator on CPU 0; the receiver on CPU 1: testpmd's forwarding lcore,
# and all of linecap (taskset -c 1: receive loop, writer and main thread;
# the writer sleeps in O_DIRECT writes, so it fits beside the receive loop).
# linecap-split is the layout linecap picks by itself when it may use both
# CPUs: writer and main thread on CPU 0, which is the generator's here, so
# the generator loses the writer's CPU time (about 1 Mpps, bench/RESULTS.md).
#
#   bench/e2e.sh [BUILD]
#
# Environment: LCE_DUR seconds per run (60), LCE_REPS runs per cell (1),
# LCE_DIR scratch directory on the disk under test (/var/tmp/lce),
# LCE_OUT report to append to (bench/RESULTS.md; "-" for stdout only),
# LCE_ENGINES the receivers, run in this order in every rep (default
# "testpmd linecap"): testpmd, linecap, linecap-count (--count-only), and
# linecap-split (writer on CPU 0), and
# any of them as NAME@VAR=VALUE to run linecap with that environment
# (paired A/B runs of a change: LCE_REPS=6 LCE_ENGINES="linecap linecap@X=1"), and
# NAME@LCE_BIN=PATH to run that linecap binary instead (the previous commit's
# build: LCE_ENGINES="testpmd linecap linecap@LCE_BIN=/tmp/base/build/linecap").
# NAME@LCE_ARGS=OPT[,OPT...] adds those linecap options (the index on and off
# in one run: LCE_ENGINES="linecap linecap@LCE_ARGS=--no-index").
. "$(dirname "$0")/lib.sh"
DUR=${LCE_DUR:-60}
REPS=${LCE_REPS:-1}
DIR=${LCE_DIR:-/var/tmp/lce}
OUT=${LCE_OUT:-$HERE/RESULTS.md}
LOGS=$DIR/logs.$(date +%Y%m%d-%H%M%S)

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$LC" ] && [ -x "$GEN" ] || die "build first (ninja -C build)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd is not installed"
mkdir -p "$DIR" "$LOGS" || die "cannot create $DIR"
RES=$LOGS/results.jsonl
: >"$RES"
# the link: scripts/links.sh vhost (linecap virtio-user server=1, the
# generator net_vhost client=1), its state private to this run
export LC_LINKS_DIR=$DIR/links.$$
LK=e$(($$ % 100000))
cleanup() {
    rm -f "$DIR"/cap*.pcap "$DIR"/cap*.pcap.idx "$DIR"/cap*.manifest.json "$DIR"/.cap*.partial
    "$LINKS" down "$LK" >/dev/null 2>&1 && rm -rf "$LC_LINKS_DIR"
}
on_exit cleanup
eval "$("$LINKS" up vhost "$LK" ${LCE_QSIZE:+--queue-size "$LCE_QSIZE"})" || die "links.sh up vhost $LK failed"
GEN_LINK=$LINK_GEN
CAP_LINK=$LINK_CAPTURE

traffic_args() {   # 64 | caida
    case $1 in
        64) echo "--size 64" ;;
        caida) echo "--mix caida" ;;
    esac
}

# gen_run TRAFFIC BASE: the generator at 10 Gb/s for DUR seconds (blocking)
gen_run() {
    # shellcheck disable=SC2046
    "$GEN" -i "$GEN_LINK" --cores 0 $(traffic_args "$1") --flows 64 --rate 10g \
        --duration "$DUR" --link-wait 30 --quiet --json "$2.gen.json" \
        -- --file-prefix=lceg$$ --single-file-segments >"$2.gen.log" 2>&1
}

run_linecap() {   # TRAFFIC REP ENGINE
    local tr=$1 rep=$2 eng=${3:-linecap} tag=${3:-linecap}
    tag=${tag//\//_}               # NAME@LCE_BIN=PATH: no '/' in a log name
    local base=$LOGS/$tag-$1-$2
    local envs=() mode=(-w "$DIR/cap.pcap" -b filesize:2000000 -b files:4)
    case $eng in *@*) envs=("${eng#*@}") ;; esac
    # NAME@LCE_BIN=PATH: that linecap binary (a paired run against another build)
    local bin=$LC
    case $eng in *@LCE_BIN=*) bin=${eng#*@LCE_BIN=}; envs=() ;; esac
    local extra=() v
    case $eng in *@LCE_ARGS=*) v=${eng#*@LCE_ARGS=}; read -r -a extra <<<"${v//,/ }"; envs=() ;; esac
    case $eng in linecap-count*) mode=(--count-only) ;; esac
    local pin=("${ON_CAP[@]}")
    case $eng in linecap-split*) pin=() ;; esac
    rm -f "$DIR"/cap*.pcap "$DIR"/cap*.pcap.idx "$DIR"/cap*.manifest.json "$DIR"/.cap*.partial
    # a 4-file ring of 2 GB files bounds the disk used by a 60 s run
    env "${envs[@]}" "${pin[@]}" "$bin" -i "$CAP_LINK" --cores 1 "${mode[@]}" "${extra[@]}" \
        --stats-interval 1 --stats-json "$base.json" -- --file-prefix=lcec$$ --single-file-segments \
        >"$base.out" 2>"$base.err" &
    local lpid=$!
    track "$lpid"
    gen_run "$tr" "$base"
    sleep 2     # let the last frames reach the file
    stop_pid "$lpid" 60
    local rc=$?
    stop_all
    rm -f "$DIR"/cap*.pcap "$DIR"/cap*.pcap.idx "$DIR"/cap*.manifest.json "$DIR"/.cap*.partial
    $PY - "$tr" "$rep" "$base" "$rc" "$eng" "$HERE" >>"$RES" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[6])
import lcparse
tr, rep, base, rc, eng = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
g = json.load(open(base + ".gen.json"))
c = lcparse.jload(base + ".json")
t = c["totals"] if c else {}
try:
    drops = lcparse.drops(c) if c else None
except lcparse.NoDrops:    # a build from before totals.drops (linecap@LCE_BIN=...)
    drops = None
print(json.dumps({"engine": eng, "traffic": tr, "rep": rep, "rc": rc,
    "gen_sent": g["sent"], "gen_mpps": g["mpps"], "gen_wire_gbps": g["wire_gbps"],
    "rate_error_pct": g["rate_error_pct"],
    "received": t.get("received"), "written": t.get("written"),
    "written_bytes": t.get("written_bytes"), "drops": drops,
    "dropped_no_block": t.get("dropped_no_block"), "nic_missed": t.get("nic_missed"),
    "mbuf_failures": t.get("mbuf_failures"),
    "identity": c["identity"]["holds"] if c else None,
    "elapsed_s": g["elapsed_s"]}))
PY
    log "$eng $tr rep $rep: $(tail -1 "$RES")"
}

run_testpmd() {   # TRAFFIC REP
    local tr=$1 rep=$2 base=$LOGS/testpmd-$1-$2
    dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --single-file-segments --file-prefix=lcet$$ \
        --vdev "$CAP_LINK" -- --forward-mode=rxonly --nb-cores=1 --stats-period 1 -a \
        </dev/null >"$base.log" 2>&1 &
    local tpid=$!
    track "$tpid"
    gen_run "$tr" "$base"
    sleep 2
    stop_pid "$tpid" 30
    stop_all
    $PY - "$tr" "$rep" "$base" "$HERE" >>"$RES" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[4])
import lcparse
tr, rep, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
g = json.load(open(base + ".gen.json"))
# the forward-stream totals (software counters: they survive the peer's
# disconnect, unlike the vhost/virtio port counters)
tp = lcparse.testpmd(lcparse.read(base + ".log"))
rx, dropped = tp["received"], tp["missed"] if tp["received"] is not None else None
print(json.dumps({"engine": "testpmd-rxonly", "traffic": tr, "rep": rep,
    "gen_sent": g["sent"], "gen_mpps": g["mpps"], "gen_wire_gbps": g["wire_gbps"],
    "rate_error_pct": g["rate_error_pct"], "received": rx, "drops": dropped,
    "elapsed_s": g["elapsed_s"]}))
PY
    log "testpmd $tr rep $rep: $(tail -1 "$RES")"
}

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
grep -q hypervisor /proc/cpuinfo && cpu="$cpu (virtual machine)"
for rep in $(seq 1 "$REPS"); do
    for tr in ${LCE_TRAFFIC:-64 caida}; do
        for eng in ${LCE_ENGINES:-testpmd linecap}; do
            case $eng in
                testpmd) run_testpmd "$tr" "$rep" ;;
                linecap*) run_linecap "$tr" "$rep" "$eng" ;;
                *) die "unknown engine $eng (testpmd, linecap, linecap-count, linecap-split, NAME@VAR=VALUE)" ;;
            esac
        done
    done
done

report=$($PY - "$RES" "$DUR" "$cpu" "$(git -C "$ROOT" rev-parse --short HEAD)" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
dur, cpu, rev = sys.argv[2], sys.argv[3], sys.argv[4]
out = []
out.append("## End to end at 10 Gb/s: linecap-gen -> virtio-user/vhost-user -> capture (bench/e2e.sh)")
out.append("")
out.append(f"Machine: {cpu}; linecap {rev}; {dur} s per run; generator on CPU 0 at "
           "`--rate 10g` (wire rate, 64 flows); receiver on CPU 1 (testpmd's forwarding lcore; "
           "linecap whole under `taskset -c 1`: receive loop, writer, main thread; linecap-split: "
           "writer and main thread on CPU 0 beside the generator); linecap writes pcap "
           "with O_DIRECT to the root disk (ext4 on virtio-blk) in a ring of 4 x 2 GB files.")
out.append("")
out.append("| traffic | receiver | offered (gen sent) | gen Mpps | gen wire Gb/s | rate error | received | written | drops (all stages) | captured |")
out.append("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    rx = r.get("received")
    wr = rx if r["engine"].startswith("linecap-count") else r.get("written", rx)
    pct = "%.4f %%" % (100.0 * wr / r["gen_sent"]) if (wr is not None and r["gen_sent"]) else "n/a"
    tr = "64 B" if r["traffic"] == "64" else "~965 B mix"
    out.append(f"| {tr} | {r['engine']} | {r['gen_sent']} | {r['gen_mpps']:.3f} | {r['gen_wire_gbps']:.3f} | "
               f"{r['rate_error_pct']:+.3f} % | {rx} | {r.get('written', '-')} | {'n/a' if r.get('drops') is None else r['drops']} | {pct} |")
out.append("")
cells = {}
for r in rows:
    cells.setdefault((r["traffic"], r["engine"]), []).append(r["gen_mpps"])
if any(len(v) > 1 for v in cells.values()):
    out.append("Per receiver over the reps (gen Mpps): median [min - max]")
    out.append("")
    for (tr, eng), v in cells.items():
        v = sorted(v)
        med = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
        out.append(f"- {'64 B' if tr == '64' else '~965 B mix'}, {eng}: {med:.3f} [{v[0]:.3f} - {v[-1]:.3f}], {len(v)} runs")
    out.append("")
print("\n".join(out))
PY
)
echo "$report"
if [ "$OUT" != "-" ]; then
    { echo; echo "$report"; } >>"$OUT"
    log "appended to $OUT; logs in $LOGS"
fi
