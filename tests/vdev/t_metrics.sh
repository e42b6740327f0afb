# Metrics: the Prometheus endpoint (--metrics), DPDK telemetry (--telemetry)
# and the run manifest, each checked against the --stats-json statistics.
# Scrapes go through curl; the format, the telemetry socket and the manifest
# are judged by mcheck.py (stdlib only) and DPDK's own dpdk-telemetry.py.
# shellcheck shell=bash

MCHECK="$PY $VDEV/mcheck.py"

# wait_metrics SECS: the address linecap printed ("metrics: http://A/metrics")
# into METRICS_ADDR; fails if it does not appear while linecap runs
wait_metrics() {
    local i=0
    METRICS_ADDR=
    while [ $i -lt $(($1 * 20)) ]; do
        METRICS_ADDR=$(sed -n 's|^linecap: metrics: http://\(.*\)/metrics$|\1|p' "$LC_ERR" | head -1)
        [ -n "$METRICS_ADDR" ] && return 0
        lc_alive || fail "linecap ended before serving metrics: $(tail -3 "$LC_ERR" | tr '\n' '|')"
        sleep 0.05
        i=$((i + 1))
    done
    fail "no 'metrics: http://...' line within $1 s: $(tail -3 "$LC_ERR" | tr '\n' '|')"
}

# scrape NAME: GET /metrics into $T/NAME.prom (headers $T/NAME.hdr); the
# format must be valid; sets SCRAPE_N (samples)
scrape() {
    curl -sS --max-time 5 -D "$T/$1.hdr" -o "$T/$1.prom" "http://$METRICS_ADDR/metrics" 2>"$T/$1.curl" ||
        fail "curl http://$METRICS_ADDR/metrics exits $?: $(cat "$T/$1.curl")"
    SCRAPE_N=$($MCHECK expo "$T/$1.prom" "$T/$1.hdr") || fail "scrape $1: $SCRAPE_N"
}

# metrics_exact: a capture of known.pcap serves valid metrics while it runs;
# after the traffic ends (before exit) the scraped counters, the telemetry
# answers (our client and dpdk-telemetry.py) equal the exit statistics
# exactly; the manifest agrees with them and with the run.
register metrics_exact asan
case_metrics_exact() {
    local t0 t1 r n sock args
    n=$(KNOWN_N)
    args=(-i "net_pcap0,rx_pcap=$KNOWN" -w "$W/m.pcap" -a duration:4 --metrics 127.0.0.1:0
          --telemetry --stats-json "$T/s.json")
    t0=$(now_ns)
    lc_bg "${args[@]}"
    wait_metrics 30
    case $METRICS_ADDR in 127.0.0.1:[1-9]*) ;; *) fail "metrics address $METRICS_ADDR is not loopback with a port" ;; esac
    scrape during
    # the replay ends at once; 100 ms later the last partial block is written
    sleep 1.5
    lc_alive || fail "linecap ended before the final scrape"
    scrape final
    sock=/var/run/dpdk/$LC_PREFIX/dpdk_telemetry.v2
    [ -S "$sock" ] || fail "no telemetry socket $sock"
    r=$($MCHECK telemetry "$sock" "$T/tel.json" 2>&1) || fail "telemetry client: $r"
    printf '/linecap/stats\n/linecap/ports\n' |
        /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "$LC_PREFIX" >"$T/dt.out" 2>&1 ||
        fail "dpdk-telemetry.py exits $?: $(head -c 300 "$T/dt.out")"
    lc_alive || fail "linecap ended before the telemetry queries"
    # a path other than /metrics: 404
    r=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$METRICS_ADDR/") || true
    [ "$r" = 404 ] || fail "GET / answered $r, expected 404"
    lc_wait_exit 10
    t1=$(now_ns)
    expect_rc 0 "capture with --metrics --telemetry"
    [ "$(jget "$T/s.json" 'd["totals"]["written"]')" = "$n" ] ||
        fail "written $(jget "$T/s.json" 'd["totals"]["written"]'), expected $n"
    r=$($MCHECK compare "$T/final.prom" "$T/s.json") || fail "scraped vs --stats-json: $r"
    log "scrape = JSON: $r"
    r=$($MCHECK tcompare "$T/tel.json" "$T/s.json") || fail "telemetry vs --stats-json: $r"
    log "telemetry = JSON: $r"
    # dpdk-telemetry.py printed one JSON line per command
    r=$($PY -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
s = [l["/linecap/stats"] for l in lines if "/linecap/stats" in l][0]
p = [l["/linecap/ports"] for l in lines if "/linecap/ports" in l][0]
d = json.load(open(sys.argv[2]))
print("ok" if s["received"] == d["totals"]["received"] and s["written"] == d["totals"]["written"]
      and p["0"]["nic_packets"] == d["ports"][0]["nic_packets"] else "differ: %s %s" % (s, p))
' "$T/dt.out" "$T/s.json" 2>&1)
    [ "$r" = ok ] || fail "dpdk-telemetry.py vs --stats-json: $r"
    # the manifest, beside the file, named after it
    [ "$(ls -A "$W" | tr '\n' ' ')" = "m.pcap m.pcap.idx m.pcap.manifest.json " ] ||
        fail "output dir holds '$(ls -A "$W" | tr '\n' ' ')', expected m.pcap, m.pcap.idx and m.pcap.manifest.json"
    [ "$(stat -c %a "$W/m.pcap.manifest.json")" = 600 ] ||
        fail "manifest mode $(stat -c %a "$W/m.pcap.manifest.json"), expected 600"
    r=$($MCHECK manifest "$W/m.pcap.manifest.json" "$T/s.json" "$t0" "$t1" -- \
        "${LC_COMMON[@]}" "${args[@]}" -- "${LC_EAL[@]}") || fail "$r"
    [ "$(jget "$W/m.pcap.manifest.json" '[d["metrics"], d["telemetry"], d["ports"][0]["driver"], d["captured_pct"]]')" = \
      "$METRICS_ADDR True net_pcap 100.0" ] ||
        fail "manifest metrics/telemetry/driver/captured_pct: $(jget "$W/m.pcap.manifest.json" '[d["metrics"], d["telemetry"], d["ports"][0]["driver"], d["captured_pct"]]')"
    pcap_valid "$W/m.pcap"
    [ "$PV_COUNT" = "$n" ] || fail "$PV_COUNT records in m.pcap, expected $n"
}

# metrics_live: while net_null traffic flows (--count-only), every scrape is
# valid and received_total grows; the exit statistics are not below it.
register metrics_live
case_metrics_live() {
    local a b c last
    lc_bg -i net_null0 --count-only -a duration:3 --metrics :0 --stats-json "$T/s.json"
    wait_metrics 30
    case $METRICS_ADDR in 127.0.0.1:*) ;; *) fail "--metrics :0 listens on $METRICS_ADDR, not loopback" ;; esac
    scrape s1
    a=$($MCHECK values "$T/s1.prom" linecap_received_total)
    sleep 0.3
    scrape s2
    b=$($MCHECK values "$T/s2.prom" linecap_received_total)
    sleep 0.3
    scrape s3
    c=$($MCHECK values "$T/s3.prom" linecap_received_total)
    lc_alive || fail "linecap ended before the third scrape"
    [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ] || fail "received_total does not grow: $a, $b, $c"
    [ "$($MCHECK values "$T/s3.prom" linecap_counted_only_total)" -ge "$b" ] ||
        fail "counted_only_total below an earlier received_total"
    lc_wait_exit 10
    expect_rc 0 "net_null --count-only --metrics"
    last=$(jget "$T/s.json" 'd["totals"]["received"]')
    [ "$last" -ge "$c" ] || fail "exit received $last below the scraped $c"
    dir_empty "--count-only: no manifest"
}

# metrics_bad: a malformed --metrics exits 64, an address that cannot be
# bound (in use, not local) exits 73; one line naming it; nothing written
register metrics_bad asan
case_metrics_bad() {
    local P="net_pcap0,rx_pcap=$KNOWN" v errs="" holder port
    for v in abc 70000 127.0.0.1 127.0.0.1: 1.2.3.256:80 ::1:80 '[::1]' example.com:80 -5 ''; do
        lc_raw -i "$P" -w "$W/x.pcap" --metrics "$v"
        if [ "$LC_RC" != 64 ]; then
            errs="$errs; [--metrics '$v'] exit $LC_RC (want 64)"
        elif [ "$(grep -c '' "$LC_ERR")" != 1 ]; then
            errs="$errs; [--metrics '$v'] $(grep -c '' "$LC_ERR") stderr lines (want 1)"
        elif ! grep -qF -e "--metrics '$v'" "$LC_ERR"; then
            errs="$errs; [--metrics '$v'] does not name the value: $(head -c 200 "$LC_ERR")"
        fi
        [ -z "$(ls -A "$W")" ] || { errs="$errs; [--metrics '$v'] left files: $(ls -A "$W")"; rm -rf "${W:?}"/*; }
    done
    # a port in use
    $PY -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/holder.port" &
    holder=$!
    for _ in $(seq 100); do [ -s "$T/holder.port" ] && break; sleep 0.05; done
    port=$(cat "$T/holder.port")
    lc -i "$P" -w "$W/x.pcap" --metrics "127.0.0.1:$port"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    if [ "$LC_RC" != 73 ]; then
        errs="$errs; [port in use] exit $LC_RC (want 73)"
    elif [ "$(grep -c '' "$LC_ERR")" != 1 ] || ! grep -q "127.0.0.1:$port.*in use" "$LC_ERR"; then
        errs="$errs; [port in use] stderr: $(head -c 300 "$LC_ERR" | tr '\n' '|')"
    fi
    [ -z "$(ls -A "$W")" ] || { errs="$errs; [port in use] left files: $(ls -A "$W")"; rm -rf "${W:?}"/*; }
    # an address that is not this machine's (TEST-NET-1)
    lc -i "$P" -w "$W/x.pcap" --metrics 192.0.2.1:9100
    if [ "$LC_RC" != 73 ] || [ "$(grep -c '' "$LC_ERR")" != 1 ] || ! grep -q "192.0.2.1:9100" "$LC_ERR"; then
        errs="$errs; [192.0.2.1:9100] exit $LC_RC (want 73), stderr: $(head -c 300 "$LC_ERR" | tr '\n' '|')"
    fi
    [ -z "$(ls -A "$W")" ] || errs="$errs; [192.0.2.1] left files: $(ls -A "$W")"
    [ -z "$errs" ] || fail "${errs#; }"
}

# manifest_on_error: a capture ended by a full disk (exit 74) still leaves its
# manifest beside the files it wrote, saying so, and agreeing with the JSON
register manifest_on_error asan
case_manifest_on_error() {
    local t0 t1 r first args
    mkdir -p "$W/full"
    mount -t tmpfs -o size=2m tmpfs "$W/full" 2>/dev/null || skip "cannot mount a 2 MB tmpfs here (a full disk is needed)"
    trap 'umount "$W/full" 2>/dev/null' EXIT
    args=(-i "net_pcap0,rx_pcap=$MIXED,infinite_rx=1" -w "$W/full/f.pcap" -b filesize:200 -c 1000000
          --stats-json "$T/s.json")
    t0=$(now_ns)
    lc "${args[@]}"
    t1=$(now_ns)
    expect_rc 74 "capture into a full 2 MB tmpfs"
    [ "$(jget "$T/s.json" '[d["stop_reason"], d["exit_code"]]')" = "error 74" ] ||
        fail "JSON stop_reason/exit_code: $(jget "$T/s.json" '[d["stop_reason"], d["exit_code"]]')"
    first=$(jget "$T/s.json" '[f["name"] for f in d["files"] if f["stream"] == 0][0]')
    [ -f "$W/full/$first.manifest.json" ] ||
        fail "no manifest $first.manifest.json after the disk-full exit: $(ls -A "$W/full" | tr '\n' ' ')"
    r=$($MCHECK manifest "$W/full/$first.manifest.json" "$T/s.json" "$t0" "$t1" -- \
        "${LC_COMMON[@]}" "${args[@]}" -- "${LC_EAL[@]}") || fail "$r"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "stats JSON: $($LCHECK identity "$T/s.json")"
    umount "$W/full"
}

# metrics_slow_client: clients that send one byte every 90 ms (one never
# finishing its request head, one trickling after a complete head, each
# reconnecting when dropped) neither delay other scrapes (each answered
# within 1 s) nor hold linecap after SIGINT (exit within 2 s)
register metrics_slow_client asan
case_metrics_slow_client() {
    local i t0 t1 ms tr
    lc_bg -i net_null0 --count-only --metrics 127.0.0.1:0
    wait_metrics 30
    $PY -c '
import socket, sys, threading, time
host, port = sys.argv[1].rsplit(":", 1)
def trickle(first):
    while True:
        try:
            s = socket.create_connection((host, int(port)))
            s.sendall(first)
            while True:
                s.sendall(b"a")
                time.sleep(0.09)
        except OSError:
            time.sleep(0.05)
threading.Thread(target=trickle, args=(b"GET /metrics HTTP/1.0\r\nX-Slow: ",), daemon=True).start()
threading.Thread(target=trickle, args=(b"GET /metrics HTTP/1.0\r\n\r\n",), daemon=True).start()
time.sleep(120)' "$METRICS_ADDR" >"$T/trickle.out" 2>&1 &
    tr=$!
    # shellcheck disable=SC2064
    trap "kill $tr 2>/dev/null; lc_alive && kill -KILL $LC_PID" EXIT
    sleep 0.5
    for i in 1 2 3 4; do
        t0=$(now_ns)
        curl -sS --max-time 1 -o "$T/s$i.prom" "http://$METRICS_ADDR/metrics" 2>"$T/s$i.curl" ||
            fail "scrape $i beside the slow clients: curl exits $? within 1 s: $(cat "$T/s$i.curl")"
        t1=$(now_ns)
        ms=$(((t1 - t0) / 1000000))
        log "scrape $i answered in $ms ms"
        grep -q '^linecap_received_total' "$T/s$i.prom" || fail "scrape $i: no linecap_received_total"
        sleep 0.4
    done
    lc_alive || fail "linecap ended before SIGINT"
    kill -INT "$LC_PID"
    lc_wait_exit 2
    awk -v s="$LC_EXIT_SECS" 'BEGIN{exit !(s <= 2.0)}' ||
        fail "linecap took ${LC_EXIT_SECS}s to exit after SIGINT with slow metrics clients (limit 2 s)"
    expect_rc 0 "SIGINT with slow metrics clients"
    trap - EXIT     # linecap is reaped: its PID must not be KILLed later
    kill "$tr" 2>/dev/null
    wait "$tr" 2>/dev/null
    return 0
}
