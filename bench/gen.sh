#!/usr/bin/env bash
# linecap-gen benchmark (a measurement, not a test):
#   1. maximum Mpps on one core, 64 B, over memif and over virtio-user ->
#      vhost-user, linecap-gen beside dpdk-testpmd --forward-mode=txonly on
#      the same link in the same run (interleaved);
#   2. rate accuracy of linecap-gen --pps 1m over memif for 10 s.
# Sender on CPU 0 (its main thread on CPU 1), receiver dpdk-testpmd rxonly
# on CPU 1. Median (min-max) of LCG_REPS runs.
#
#   bench/gen.sh [BUILD]        BUILD: meson build dir with linecap-gen (default build)
#
# Environment: LCG_REPS (3), LCG_DUR seconds per max-rate run (5),
# LCG_ACC_DUR seconds per accuracy run (10), LCG_OUT report to append to
# (bench/RESULTS.md; "-" for stdout only), LCG_LOGS log directory.
. "$(dirname "$0")/lib.sh"
REPS=${LCG_REPS:-3}
DUR=${LCG_DUR:-5}
ACC_DUR=${LCG_ACC_DUR:-10}
OUT=${LCG_OUT:-$HERE/RESULTS.md}
LOGS=${LCG_LOGS:-/var/tmp/lcgbench/logs.$(date +%Y%m%d-%H%M%S)}
RX_PID=

[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$GEN" ] || die "$GEN not found: build first"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd is not installed"
mkdir -p "$LOGS" || die "cannot create $LOGS"
RES=$LOGS/results.tsv
: > "$RES"

# the links (scripts/links.sh, state private to this run): memif with the
# sender as server; virtio with the receiver as the vhost-user back end
export LC_LINKS_DIR=$LOGS/links
links_down() { "$LINKS" down-all >/dev/null 2>&1; }
on_exit links_down
eval "$("$LINKS" up memif "gm$(($$ % 100000))")" || die "links.sh up memif failed"
MEMIF_RX=$LINK_CAPTURE MEMIF_TX=$LINK_GEN
eval "$("$LINKS" up vhost "gv$(($$ % 100000))" --capture-owns)" || die "links.sh up vhost failed"
VHOST_RX=$LINK_CAPTURE VHOST_TX=$LINK_GEN SOCK_VHOST=${LINK_CAPTURE#*iface=}
SOCK_VHOST=${SOCK_VHOST%%,*}

# Receiver: testpmd rxonly on CPU 1 (main and forwarding lcore both there;
# the main thread only wakes for the stats line).
start_rx() {   # link logfile
    local vdev
    case $1 in
    memif) vdev=$MEMIF_RX ;;
    virtio) vdev=$VHOST_RX ;;
    esac
    rm -f "$SOCK_VHOST"
    dpdk-testpmd --lcores 0@1,1@1 --main-lcore 0 --in-memory --file-prefix lcgbrx$$ --no-pci \
        --vdev "$vdev" --log-level=pmd.*:error -- --forward-mode=rxonly --nb-cores=1 \
        --txd=1024 --rxd=1024 -a --stats-period 1 </dev/null >"$2" 2>&1 &
    RX_PID=$!
    track "$RX_PID"
    sleep 2
}

stop_rx() {
    stop_pid "$RX_PID" 30
    RX_PID=
}

# Median of the per-second "<Rx|Tx>-pps:" values of a testpmd log, without
# the first two and the last one (ramp-up and stop).
pps_median() {   # log Rx|Tx
    $PY "$PARSE" pps "$1" "$2"
}

sender_port() {   # link
    case $1 in
    memif) echo "$MEMIF_TX" ;;
    virtio) echo "$VHOST_TX" ;;
    esac
}

run_gen() {   # link rep
    local link=$1 rep=$2 tag="gen.$1.$2"
    [ "$link" = virtio ] && start_rx "$link" "$LOGS/$tag.rx.log"
    "$GEN" -i "$(sender_port "$link")" --cores 0 --size 64 --duration "$DUR" --link-wait 10 \
        --json "$LOGS/$tag.json" >"$LOGS/$tag.log" 2>&1 &
    local g=$!
    track "$g"
    [ "$link" = memif ] && { sleep 1; start_rx "$link" "$LOGS/$tag.rx.log"; }
    wait $g
    local rc=$?
    local rx; rx=$(pps_median "$LOGS/$tag.rx.log" Rx)
    stop_rx
    local mpps; mpps=$(sed -n 's/.*"mpps": \([0-9.]*\).*/\1/p' "$LOGS/$tag.json" 2>/dev/null | head -1)
    printf 'max\t%s\tgen\t%s\t%s\t%s\t%s\n' "$link" "$rep" "${mpps:-0}" "$(awk -v r="$rx" 'BEGIN{printf "%.4f", r/1e6}')" "$rc" >>"$RES"
    log "gen $link rep $rep: sender ${mpps:-?} Mpps, receiver $(awk -v r="$rx" 'BEGIN{printf "%.3f", r/1e6}') Mpps (rc $rc)"
}

run_testpmd() {   # link rep
    local link=$1 rep=$2 tag="testpmd.$1.$2" extra=
    [ "$link" = virtio ] && { extra=--single-file-segments; start_rx "$link" "$LOGS/$tag.rx.log"; }
    dpdk-testpmd --lcores 0@1,1@0 --main-lcore 0 --in-memory --file-prefix lcgbtx$$ --no-pci \
        $extra --vdev "$(sender_port "$link")" --log-level=pmd.*:error -- --forward-mode=txonly \
        --txpkts=60 --burst=32 --nb-cores=1 --txd=1024 --rxd=1024 -a --stats-period 1 \
        </dev/null >"$LOGS/$tag.log" 2>&1 &
    local tx=$!
    track "$tx"
    [ "$link" = memif ] && { sleep 1; start_rx "$link" "$LOGS/$tag.rx.log"; }
    sleep $((DUR + 2))
    stop_pid "$tx" 30
    local rx; rx=$(pps_median "$LOGS/$tag.rx.log" Rx)
    stop_rx
    local txp; txp=$(pps_median "$LOGS/$tag.log" Tx)
    printf 'max\t%s\ttestpmd\t%s\t%s\t%s\t0\n' "$link" "$rep" "$(awk -v r="$txp" 'BEGIN{printf "%.4f", r/1e6}')" "$(awk -v r="$rx" 'BEGIN{printf "%.4f", r/1e6}')" >>"$RES"
    log "testpmd txonly $link rep $rep: sender $(awk -v r="$txp" 'BEGIN{printf "%.3f", r/1e6}') Mpps, receiver $(awk -v r="$rx" 'BEGIN{printf "%.3f", r/1e6}') Mpps"
}

run_acc() {   # rep
    local tag="acc.memif.$1"
    "$GEN" -i "$(sender_port memif)" --cores 0 --size 64 --pps 1m --duration "$ACC_DUR" \
        --link-wait 10 --json "$LOGS/$tag.json" >"$LOGS/$tag.log" 2>&1 &
    local g=$!
    track "$g"
    sleep 1
    start_rx memif "$LOGS/$tag.rx.log"
    wait $g
    stop_rx
    local err sent mpps
    err=$(sed -n 's/.*"rate_error_pct": \([-0-9.e]*\).*/\1/p' "$LOGS/$tag.json" | head -1)
    sent=$(sed -n 's/.*"sent": \([0-9]*\).*/\1/p' "$LOGS/$tag.json" | head -1)
    mpps=$(sed -n 's/.*"mpps": \([0-9.]*\).*/\1/p' "$LOGS/$tag.json" | head -1)
    printf 'acc\tmemif\tgen\t%s\t%s\t%s\t%s\n' "$1" "${mpps:-0}" "${err:-nan}" "${sent:-0}" >>"$RES"
    log "accuracy rep $1: ${mpps:-?} Mpps, error ${err:-?} %, sent ${sent:-?}"
}

# Other DPDK programs, builds or linecap runs (not ours) disturb a 2-CPU VM:
# wait up to LCG_MAXWAIT s for them to end before each run (lib.sh), and say
# how many runs still overlapped one (OVERLAP).
MAXWAIT=${LCG_MAXWAIT:-300}

T0=$(date +%s)
for rep in $(seq 1 "$REPS"); do
    for link in memif virtio; do
        if [ $((rep % 2)) = 1 ]; then wait_quiet "$MAXWAIT"; run_gen $link $rep; wait_quiet "$MAXWAIT"; run_testpmd $link $rep
        else wait_quiet "$MAXWAIT"; run_testpmd $link $rep; wait_quiet "$MAXWAIT"; run_gen $link $rep; fi
    done
    wait_quiet "$MAXWAIT"
    run_acc "$rep"
done
stop_all

med() {   # kind link who column
    awk -F'\t' -v k="$1" -v l="$2" -v w="$3" -v c="$4" '$1==k && $2==l && $3==w {print $c}' "$RES" |
        sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "n/a"; exit}
            m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
            printf "%.2f (%.2f–%.2f)", m, v[1], v[NR]}'
}
medacc() {
    awk -F'\t' '$1=="acc" {print $6}' "$RES" | sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "n/a"; exit}
        m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
        printf "%+.3f %% (%+.3f to %+.3f)", m, v[1], v[NR]}'
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
ncpu=$(nproc)
kern=$(uname -r)
dpdkv=$(pkg-config --modversion libdpdk 2>/dev/null || echo '?')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
report=$(cat <<EOF

## linecap-gen

Generated by \`bench/gen.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') ($(( ($(date +%s) - T0) / 60 )) min).
Machine: $cpu, $ncpu vCPUs, Firecracker VM, Debian 12, kernel $kern, DPDK $dpdkv;
linecap-gen $($GEN --version | awk '{print $2}') at commit $commit (${BUILD#$ROOT/}/).
Sender on CPU 0 (its main/stats thread on CPU 1), receiver \`dpdk-testpmd --forward-mode=rxonly\` on CPU 1.
Median (min–max) of $REPS runs; linecap-gen and testpmd txonly alternate run by run on the same link.
Before each run the script waited for other DPDK programs, linecap runs and compilers to end
(runs that still overlapped one: $OVERLAP).

### Maximum rate, 64 B frames (60 B + FCS), one sending core, ${DUR} s per run

| link | linecap-gen sent Mpps | testpmd txonly sent Mpps | receiver Mpps with gen | receiver Mpps with txonly |
|---|---:|---:|---:|---:|
| memif | $(med max memif gen 5) | $(med max memif testpmd 5) | $(med max memif gen 6) | $(med max memif testpmd 6) |
| virtio-user → vhost-user | $(med max virtio gen 5) | $(med max virtio testpmd 5) | $(med max virtio gen 6) | $(med max virtio testpmd 6) |

- linecap-gen's rate is \`sent / elapsed\` from its JSON (every frame stamped, per-flow sequence
  numbers, retried until the ring takes it); testpmd's is the median of its per-second \`Tx-pps\`
  lines (first two and last left out; txonly frees what the ring refuses and does not count it as
  sent). Receiver Mpps: median of the receiving testpmd's per-second \`Rx-pps\`.
- The receiver shares CPU 1 with the sender's main thread (which only wakes every 5 ms).

### Rate accuracy: \`--pps 1m --size 64\` over memif, ${ACC_DUR} s

| target | achieved Mpps | rate error (sent / elapsed vs target) | required |
|---|---:|---:|---:|
| 1.000 Mpps | $(med acc memif gen 5) | $(medacc) | ±1 % |

Raw results: \`$RES\` (logs beside it).
EOF
)
echo "$report"
if [ "$OUT" != - ]; then
    printf '%s\n' "$report" >>"$OUT"
    log "appended to $OUT"
fi
