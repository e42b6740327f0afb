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
# down (twice) leaves nothing; down-all takes every recorded link
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
    [ "$PV_COUNT" = 1000 ] || fail "$PV_COUNT records over the veth pair, expected 1000"
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
