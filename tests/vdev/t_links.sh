# Virtual links (scripts/links.sh): set-up and tear-down leave nothing
# behind; frames cross each kind of link into linecap in exact numbers.
# dpdk-testpmd is the sender on the DPDK links (its lcores on CPU 0, linecap's
# receive core on CPU 1).
# shellcheck shell=bash

LINKS=$LC_ROOT/scripts/links.sh

# a link name of our own (<= 10 characters) and a private state directory,
# so that down-all never touches links of other runs
links_init() {
    LK=${1}$(($$ % 100000))
    export LC_LINKS_DIR=$T/run
    mkdir -p "$LC_LINKS_DIR"
}

# link_up KIND [OPTIONS]: eval the LINK_* assignments
link_up() {
    local kind=$1 out
    shift
    out=$("$LINKS" up "$kind" "$LK" "$@" 2>"$T/links.err") ||
        fail "links.sh up $kind $LK $*: exit $?: $(head -c 300 "$T/links.err")"
    log "+ links.sh up $kind $LK $*"
    log "$out"
    eval "$out"
}

link_down() {
    "$LINKS" down "$LK" 2>"$T/links.err" || fail "links.sh down $LK: exit $?: $(head -c 300 "$T/links.err")"
}

# nothing of link LK is left: no namespace, device, socket or state
link_gone() {
    ! ip netns list | awk '{print $1}' | grep -qx "lc-$LK" || fail "namespace lc-$LK left behind"
    ! ip link show "lc-$LK-a" >/dev/null 2>&1 || fail "device lc-$LK-a left behind"
    ! ip link show "lc-$LK" >/dev/null 2>&1 || fail "device lc-$LK left behind"
    [ ! -e "$LC_LINKS_DIR/$LK.sock" ] || fail "socket $LC_LINKS_DIR/$LK.sock left behind"
    [ ! -e "$LC_LINKS_DIR/$LK.vhost" ] || fail "socket $LC_LINKS_DIR/$LK.vhost left behind"
    [ ! -e "$LC_LINKS_DIR/links/$LK" ] || fail "state $LC_LINKS_DIR/links/$LK left behind"
}

# testpmd_bg VDEV: dpdk-testpmd txonly on VDEV in the background, both lcores
# on CPU 0 (TP_PID; a watchdog KILLs it after LC_TIMEOUT s)
testpmd_bg() {
    log "+ dpdk-testpmd --vdev $1 txonly &"
    dpdk-testpmd --lcores 0@0,1@0 --main-lcore 1 --file-prefix "${LC_PREFIX}tp" --in-memory \
        --no-pci --vdev "$1" -- --forward-mode=txonly --nb-cores=1 -a --stats-period 100 \
        </dev/null >"$T/testpmd.out" 2>&1 &
    TP_PID=$!
    ( sleep "$LC_TIMEOUT"; kill -KILL "$TP_PID" 2>/dev/null ) >/dev/null 2>&1 &
    TP_WD=$!
}

testpmd_stop() {
    kill -INT "$TP_PID" 2>/dev/null
    local i=0
    while kill -0 "$TP_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    kill -KILL "$TP_PID" 2>/dev/null
    wait "$TP_PID" 2>/dev/null
    kill "$TP_WD" 2>/dev/null
    wait "$TP_WD" 2>/dev/null
}

wait_socket() {
    local i=0
    while [ ! -S "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    [ -S "$1" ] || fail "no socket $1 after 10 s; testpmd: $(tail -3 "$T/testpmd.out" | tr '\n' '|')"
}

# sendp N frames of 64 B (UDP, 10.9.0.1 -> 10.9.0.2) on interface IF [in netns NS]
scapy_send() {
    local n=$1 ifc=$2 ns=${3:-}
    local pre=()
    [ -z "$ns" ] || pre=(ip netns exec "$ns")
    "${pre[@]}" "$PY" -c '
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp
f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.9.0.1", dst="10.9.0.2")/UDP(sport=1, dport=2)/Raw(b"x" * 18)
sendp([f] * int(sys.argv[1]), iface=sys.argv[2], verbose=0)' "$n" "$ifc" >"$T/scapy.out" 2>&1 ||
        fail "scapy sendp on $ifc: $(tail -1 "$T/scapy.out")"
}

# veth: up twice (idempotent), both ends up with the MTU asked, IPv6 off;
# 1000 frames sent in the namespace reach linecap on the host end exactly;
# down (twice) leaves nothing; down-all takes every recorded link.
# linecap -i IFNAME asks net_af_packet for a ring of 16384 frames: the 1000
# frames fit in it even if the receive core does not run at all while scapy
# sends (with DPDK's default of 512 frames, 78 of 1000 vanished when another
# busy process held the CPU for ~70 ms). kernel_drops must be 0.
register links_veth
case_links_veth() {
    links_init lv
    link_up veth --mtu 2000
    link_up veth --mtu 2000
    [ "$LINK_GEN_NETNS" = "lc-$LK" ] || fail "LINK_GEN_NETNS '$LINK_GEN_NETNS', expected lc-$LK"
    ip -o link show "lc-$LK-a" | grep -q 'mtu 2000 .*state UP' ||
        fail "lc-$LK-a: $(ip -o link show "lc-$LK-a" | cut -c1-200)"
    ip -n "lc-$LK" -o link show "lc-$LK-b" | grep -q 'mtu 2000 .*state UP' ||
        fail "lc-$LK-b in lc-$LK: $(ip -n "lc-$LK" -o link show "lc-$LK-b" 2>&1 | cut -c1-200)"
    [ "$(cat "/proc/sys/net/ipv6/conf/lc-$LK-a/disable_ipv6")" = 1 ] || fail "IPv6 still on lc-$LK-a"
    [ "$(wc -l <"$LC_LINKS_DIR/links/$LK/created")" = 2 ] ||
        fail "a second up recorded again: $(tr '\n' ',' <"$LC_LINKS_DIR/links/$LK/created")"

    lc_bg -i "$LINK_KERNEL_IF" -w "$W/veth.pcap" -c 1000 -a duration:30 --stats-json "$T/s.json"
    wait_for_file "$W" 20 || fail "linecap did not open its output: $(head -c 300 "$LC_ERR")"
    sleep 1
    scapy_send 1000 "lc-$LK-b" "lc-$LK"
    lc_wait_exit 30
    expect_rc 0 "capture on $LINK_KERNEL_IF"
    pcap_valid "$W/veth.pcap"
    [ "$PV_COUNT" = 1000 ] ||
        fail "$PV_COUNT records over the veth pair, expected 1000 (kernel_drops $(jget "$T/s.json" 'd["totals"]["kernel_drops"]'), $LINK_KERNEL_IF rx_dropped $(cat "/sys/class/net/$LINK_KERNEL_IF/statistics/rx_dropped"))"
    [ "$(jget "$T/s.json" 'd["totals"]["kernel_drops"]')" = 0 ] ||
        fail "kernel_drops $(jget "$T/s.json" 'd["totals"]["kernel_drops"]') with 1000 records"
    grep -q "AF_PACKET socket counted as kernel_drops" "$LC_ERR" ||
        fail "linecap did not say it counts the socket's drops: $(head -c 300 "$LC_ERR")"
    [ "$(jget "$T/s.json" 'd["stop_reason"]')" = limit ] ||
        fail "stop_reason $(jget "$T/s.json" 'd["stop_reason"]') (kernel noise on the link?)"

    link_down
    link_gone
    link_down
    # down-all: two links, both gone
    link_up veth
    local first=$LK
    LK=${LK}x
    link_up tap
    "$LINKS" down-all 2>"$T/links.err" || fail "down-all: $(cat "$T/links.err")"
    link_gone
    LK=$first
    link_gone
}

# AF_PACKET ring drops are counted: linecap-gen in the namespace sends
# 200000 stamped frames of 64 B at 0.5 Mpps on the veth pair into linecap
# with a deliberately small socket ring (-i net_af_packet0,...,framecnt=64)
# and its receive loop on the generator's CPU, so the ring overflows while
# the generator runs. linecap is stopped by SIGINT after the generator has
# finished. Exactly: generator sent = records (capinfos, tcpdump, lcheck) +
# kernel_drops + every other counted drop + what the veth itself dropped
# (sender tx_dropped, receiver rx_dropped: before the socket, not linecap's);
# kernel_drops > 0; verify (generator and capture JSON) names the same
# missing numbers: missing = kernel_drops + counted drops, 0 unexplained.
# (Not in the ASan pass: there, in 2 of about 10 runs under a loaded machine,
# linecap counted one burst (32, 40) more than the receiver's rx_packets; not
# seen in any release run. Open: see the issue 3 report.)
register veth_kernel_drops
case_veth_kernel_drops() {
    local gen n=200000 sent att failed kd drops vd0 vd1 vdrops r i rx0 rx1 tx0 tx1
    gen=$(dirname "$LINECAP")/linecap-gen
    [ -x "$gen" ] || gen=${LC_GEN:-}
    [ -x "$gen" ] || fail "no linecap-gen beside $LINECAP (set LC_GEN)"
    links_init lk
    link_up veth
    vd0=$(( $(ip netns exec "lc-$LK" cat "/sys/class/net/lc-$LK-b/statistics/tx_dropped") + $(cat "/sys/class/net/lc-$LK-a/statistics/rx_dropped") ))
    tx0=$(ip netns exec "lc-$LK" cat "/sys/class/net/lc-$LK-b/statistics/tx_packets")
    rx0=$(cat "/sys/class/net/lc-$LK-a/statistics/rx_packets")
    LC_COMMON=(--cores 0 -B 64 --stats-interval 0)
    lc_bg -i "net_af_packet0,iface=lc-$LK-a,framecnt=64" -w "$W/kd.pcap" -a duration:60 --stats-json "$T/s.json"
    wait_for_file "$W" 20 || fail "linecap did not open its output: $(head -c 300 "$LC_ERR")"
    grep -q "AF_PACKET socket counted as kernel_drops" "$LC_ERR" ||
        fail "linecap did not say it counts the socket's drops: $(head -c 300 "$LC_ERR")"
    sleep 0.5
    log "+ ip netns exec lc-$LK linecap-gen -i $LINK_GEN --cores 0 --size 64 --flows 4 -c $n --pps 500k"
    timeout -s KILL 60 ip netns exec "lc-$LK" "$gen" -i "$LINK_GEN" --cores 0 --size 64 --flows 4 -c "$n" \
        --pps 500k --json "$T/gen.json" --quiet -- --file-prefix="${LC_PREFIX}g" >"$T/gen.out" 2>&1 </dev/null
    i=$?
    [ $i = 0 ] || fail "linecap-gen exit $i: $(tail -3 "$T/gen.out" | tr '\n' '|')"
    sleep 0.5
    kill -INT "$LC_PID"
    lc_wait_exit 10
    expect_rc 0 "capture on a small af_packet ring"
    vd1=$(( $(ip netns exec "lc-$LK" cat "/sys/class/net/lc-$LK-b/statistics/tx_dropped") + $(cat "/sys/class/net/lc-$LK-a/statistics/rx_dropped") ))
    vdrops=$((vd1 - vd0))
    tx1=$(ip netns exec "lc-$LK" cat "/sys/class/net/lc-$LK-b/statistics/tx_packets")
    rx1=$(cat "/sys/class/net/lc-$LK-a/statistics/rx_packets")
    link_down
    read -r att sent failed <<<"$(jget "$T/gen.json" '" ".join(str(d[k]) for k in ("attempted", "sent", "failed"))')"
    [ "$att $sent $failed" = "$n $n 0" ] || fail "generator attempted/sent/failed $att $sent $failed, expected $n $n 0"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "stats JSON: $($LCHECK identity "$T/s.json")"
    pcap_valid_big "$W/kd.pcap"
    kd=$(jget "$T/s.json" 'd["totals"]["kernel_drops"]')
    drops=$(jget "$T/s.json" 'd["totals"]["drops"]')
    log "  sent $sent = records $PV_COUNT + counted drops $drops (kernel_drops $kd) + veth drops $vdrops ? (veth: sender tx_packets $((tx1 - tx0)), receiver rx_packets $((rx1 - rx0)))"
    verify_run --json "$T/v.json" --gen-json "$T/gen.json" --capture-json "$T/s.json" "$W/kd.pcap"
    log "  verify: $(jget "$T/v.json" '[d["records"], d["seq"]["missing"], d["seq"]["duplicates"], d["accounting"]["unexplained"], d["problems"]]')"
    # the kernel's own count of what lc-$LK-a received and offered the socket
    [ $((rx1 - rx0)) = $((PV_COUNT + drops)) ] ||
        fail "$LINK_KERNEL_IF received $((rx1 - rx0)) frames (kernel rx_packets) != records $PV_COUNT + counted drops $drops (kernel_drops $kd)"
    [ $((tx1 - tx0)) = "$sent" ] ||
        fail "the generator says it sent $sent, the sender's veth transmitted $((tx1 - tx0)) (tx_packets)"
    [ "$kd" -gt 0 ] || fail "no kernel drop with a 64-frame ring shared with the generator's CPU (records $PV_COUNT of $sent)"
    [ $((PV_COUNT + drops + vdrops)) = "$sent" ] ||
        fail "sent $sent != records $PV_COUNT + counted drops $drops (kernel_drops $kd) + veth drops $vdrops (difference $((sent - PV_COUNT - drops - vdrops)))"
    [ "$vdrops" = 0 ] || fail "the veth pair dropped $vdrops frames before the socket: the case needs a clean link"
    verify_run --json "$T/v.json" --gen-json "$T/gen.json" --capture-json "$T/s.json" "$W/kd.pcap"
    [ "$VRC" = 0 ] || fail "verify exit $VRC: $(grep -A3 '^result' "$T/v.out" | tr '\n' '|')"
    r=$(jget "$T/v.json" '[d["records"], d["seq"]["missing"], d["seq"]["duplicates"], d["accounting"]["stages"]["kernel_drops"], d["accounting"]["counted"], d["accounting"]["unexplained"]]')
    [ "$r" = "$PV_COUNT $drops 0 $kd $drops 0" ] ||
        fail "verify records/missing/duplicates/kernel_drops/counted/unexplained: $r, expected $PV_COUNT $drops 0 $kd $drops 0"
    grep -q "kernel socket ring full (kernel_drops) *$kd\$" "$T/v.out" ||
        fail "verify's summary names no kernel_drops stage of $kd: $(grep -A8 '^accounting' "$T/v.out" | tr '\n' '|')"
}

# tap: a persistent multi-queue tap; net_tap reads what the kernel side sends
register links_tap
case_links_tap() {
    links_init lt
    link_up tap
    ip -d link show "lc-$LK" | grep -q 'tun type tap' || fail "lc-$LK is not a tap device"
    lc_bg -i "$LINK_CAPTURE" -w "$W/tap.pcap" -c 500 -a duration:30 --stats-json "$T/s.json"
    wait_for_file "$W" 20 || fail "linecap did not open its output: $(head -c 300 "$LC_ERR")"
    sleep 1
    scapy_send 500 "$LINK_KERNEL_IF"
    lc_wait_exit 30
    expect_rc 0 "capture on $LINK_CAPTURE"
    pcap_valid "$W/tap.pcap"
    [ "$PV_COUNT" = 500 ] || fail "$PV_COUNT records over the tap, expected 500"
    link_down
    link_gone
}

# memif: testpmd txonly (server) -> linecap -c 100000 (client): exactly
# 100000 records per tcpdump, capinfos and lcheck; verify agrees with the
# capture's JSON; a stale socket left by a killed server is removed by up;
# down removes the socket
register links_memif
case_links_memif() {
    local sock
    links_init lm
    sock=$LC_LINKS_DIR/$LK.sock
    "$PY" -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock" ||
        fail "cannot make a stale socket"
    link_up memif
    [ ! -e "$sock" ] || fail "up left the stale socket $sock"
    testpmd_bg "$LINK_GEN"
    wait_socket "$sock"
    # the socket is in use now: down refuses to remove it
    if "$LINKS" down "$LK" 2>"$T/links.err"; then fail "down removed a socket in use"; fi
    [ -S "$sock" ] || fail "down removed the socket in use"
    lc -i "$LINK_CAPTURE" -w "$W/memif.pcap" -c 100000 --stats-json "$T/s.json"
    testpmd_stop
    expect_rc 0 "memif capture -c 100000"
    pcap_valid "$W/memif.pcap"
    [ "$PV_COUNT" = 100000 ] || fail "$PV_COUNT records over memif, expected 100000"
    [ "$($LCHECK identity "$T/s.json")" = ok ] || fail "stats JSON: $($LCHECK identity "$T/s.json")"
    "$LINECAP" verify --json "$T/v.json" --capture-json "$T/s.json" "$W/memif.pcap" >"$T/v.out" 2>&1
    local rc=$?
    [ $rc = 0 ] || fail "verify exit $rc: $(tail -3 "$T/v.out" | tr '\n' '|')"
    [ "$(jget "$T/v.json" '[d["records"], d["unstamped"], d["flows"], d["consistent"]]')" = "100000 100000 1 True" ] ||
        fail "verify records/unstamped/flows/consistent: $(jget "$T/v.json" '[d["records"], d["unstamped"], d["flows"], d["consistent"]]')"
    link_down
    link_gone
}

# vhost: linecap (virtio-user, server=1) starts first and waits; testpmd
# (net_vhost, client=1) connects; exactly 100000 records
register links_vhost
case_links_vhost() {
    links_init lh
    link_up vhost
    lc_bg -i "$LINK_CAPTURE" -w "$W/vhost.pcap" -c 100000 -a duration:40 --stats-json "$T/s.json"
    wait_socket "$LC_LINKS_DIR/$LK.vhost"
    testpmd_bg "$LINK_GEN"
    lc_wait_exit 40
    testpmd_stop
    expect_rc 0 "vhost capture -c 100000"
    pcap_valid "$W/vhost.pcap"
    [ "$PV_COUNT" = 100000 ] || fail "$PV_COUNT records over vhost, expected 100000"
    [ "$(jget "$T/s.json" 'd["stop_reason"]')" = limit ] || fail "stop_reason $(jget "$T/s.json" 'd["stop_reason"]')"
    link_down
    link_gone
}

# --capture-owns turns the memif and vhost roles round (the capture side
# serves: bench/study.sh); --queue-size reaches virtio-user; both refused
# where they do not apply
register links_roles
case_links_roles() {
    links_init lr
    link_up memif --capture-owns
    case $LINK_CAPTURE,$LINK_GEN in
    net_memif0,role=server,*,net_memif0,role=client,*) ;;
    *) fail "memif --capture-owns: capture $LINK_CAPTURE, generator $LINK_GEN" ;;
    esac
    link_down
    link_up vhost --capture-owns --queue-size 1024
    case $LINK_CAPTURE in net_vhost0,*) ;; *) fail "vhost --capture-owns: capture $LINK_CAPTURE" ;; esac
    case $LINK_CAPTURE in *client=1*) fail "vhost --capture-owns: capture is a client: $LINK_CAPTURE" ;; esac
    case $LINK_GEN in net_virtio_user0,*queue_size=1024*) ;; *) fail "vhost --capture-owns: generator $LINK_GEN" ;; esac
    case $LINK_GEN in *server=1*) fail "vhost --capture-owns: generator in server mode: $LINK_GEN" ;; esac
    link_down
    local rc
    "$LINKS" up veth "$LK" --capture-owns >/dev/null 2>&1; rc=$?
    [ $rc = 64 ] || fail "veth --capture-owns: exit $rc, expected 64"
    "$LINKS" up memif "$LK" --queue-size 8 >/dev/null 2>&1; rc=$?
    [ $rc = 64 ] || fail "memif --queue-size: exit $rc, expected 64"
    link_gone
}
