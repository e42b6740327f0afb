# Layer-3 interfaces: a tun device (ARPHRD_NONE, as WireGuard) delivers raw
# IP with no link-layer header, so the files must say LINKTYPE_RAW (101) and
# the filter must be compiled for raw IP. Everything runs in a network
# namespace of the case's own (linecap through `ip netns exec`), removed on
# every exit path; the traffic is written into the tun by tunpkt.py, which
# also writes the same packets to a reference pcap (link type 101).
# shellcheck shell=bash

TUNPKT=$VDEV/tunpkt.py

# l3_up: namespace lcl3PID with IPv6 off (nothing of the kernel's own on the
# tun) and a persistent, up tun lctun0 with no address (what is written into
# it is received and then dropped, nothing answers); LINECAP runs in it.
l3_up() {
    L3NS=lcl3$$
    trap 'l3_down' EXIT
    ip netns add "$L3NS" || fail "ip netns add $L3NS"
    ip netns exec "$L3NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
        net.ipv6.conf.all.disable_ipv6=1 || fail "sysctl disable_ipv6 in $L3NS"
    l3_tun lctun0 65534
    printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$L3NS" "$LINECAP" >"$T/lcns"
    chmod +x "$T/lcns"
    LINECAP=$T/lcns
}

# l3_tun NAME ARPHRD: a persistent tun of that ARPHRD type, up
l3_tun() {
    ip netns exec "$L3NS" "$PY" "$TUNPKT" create "$1" "$2" 2>"$T/tun.err" ||
        fail "tunpkt.py create $1 $2: $(tail -1 "$T/tun.err")"
    ip -n "$L3NS" link set "$1" up || fail "ip link set $1 up in $L3NS"
    local t
    t=$(ip netns exec "$L3NS" cat "/sys/class/net/$1/type")
    [ "$t" = "$2" ] || fail "$1: ARPHRD type $t, expected $2"
}

l3_down() {
    local d
    for d in $(ip -n "$L3NS" -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep '^lc'); do
        ip -n "$L3NS" link del "$d" 2>/dev/null
    done
    ip netns del "$L3NS" 2>/dev/null
    return 0
}

# l3_capture NAME ARGS...: linecap ARGS in the namespace, tunpkt.py writes
# the 12 packets into tun NAME once linecap has its file open (reference
# in $T/ref.pcap); linecap must stop by itself (-c) with exit 0
l3_capture() {
    local ifc=$1
    shift
    rm -f "$W"/* "$W"/.[!.]*
    lc_bg "$@" -a duration:30 --stats-json "$T/s.json"
    wait_for_file "$W" 20 || fail "linecap did not open its output: $(head -c 300 "$LC_ERR")"
    sleep 1
    ip netns exec "$L3NS" "$PY" "$TUNPKT" send "$ifc" "$T/ref.pcap" 2>"$T/send.err" ||
        fail "tunpkt.py send $ifc: $(tail -1 "$T/send.err")"
    lc_wait_exit 30
    expect_rc 0 "capture on $ifc ($*)"
    [ "$(jget "$T/s.json" 'd["stop_reason"]')" = limit ] ||
        fail "stop_reason $(jget "$T/s.json" 'd["stop_reason"]'), expected limit (-c)"
}

# raw_ok FILE: every reader takes FILE as raw IP and sees the reference's
# frames byte for byte, in order
raw_ok() {
    local f=$1 n
    tcpdump -r "$f" -nn >"$T/td.txt" 2>"$T/td.err" || fail "tcpdump -r $(basename "$f"): $(tail -1 "$T/td.err")"
    grep -q 'link-type RAW' "$T/td.err" || fail "tcpdump: $(basename "$f") is $(grep -o 'link-type [^,]*' "$T/td.err")"
    n=$(grep -c 'IP 10.250.0.2 > 10.250.0.1: ICMP echo request, id 4660, seq [1-6], length 48' "$T/td.txt")
    [ "$n" = 6 ] || fail "tcpdump decodes $n ICMP echo requests 10.250.0.2 > 10.250.0.1, expected 6: $(head -2 "$T/td.txt" | tr '\n' '|')"
    n=$(grep -c 'IP 10.250.0.2.40000 > 10.250.0.1.500[0-3]: UDP' "$T/td.txt")
    [ "$n" = 4 ] || fail "tcpdump decodes $n UDP/IPv4 packets, expected 4"
    n=$(grep -c 'IP6 fd00:250::2.40000 > fd00:250::1.600[01]: UDP' "$T/td.txt")
    [ "$n" = 2 ] || fail "tcpdump decodes $n UDP/IPv6 packets, expected 2"
    tshark -r "$f" -T fields -e frame.encap_type -e ip.proto -e ipv6.nxt >"$T/ts.txt" 2>"$T/ts.err" ||
        fail "tshark -r $(basename "$f"): $(tail -1 "$T/ts.err")"
    n=$(awk -F'\t' '$1 == 7 && ($2 == 1 || $2 == 17 || $3 == 17)' "$T/ts.txt" | wc -l)
    [ "$n" = 12 ] || fail "tshark: $n of $(wc -l <"$T/ts.txt") frames are raw IP (encap 7) ICMP/UDP, expected 12: $(head -2 "$T/ts.txt" | tr '\n\t' '| ')"
    [ "$(cap_count "$f")" = 12 ] || fail "capinfos counts $(cap_count "$f") records, expected 12"
    frames_text "$T/ref.pcap" >"$T/ref.txt"
    frames_text "$f" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/ref.txt" "$(basename "$f")"
}

# -i tun: pcap and pcapng say raw IP (pcap header 101, the IDB 101, the
# manifest 101), tcpdump and tshark decode ICMP, UDP/IPv4 and UDP/IPv6, the
# frames are the written packets byte for byte; -f icmp (explicit
# net_af_packet form) keeps exactly the 6 ICMP packets and filters the 6
# others. Before the fix every file said Ethernet (tcpdump: "ethertype
# Unknown (0x0afa)") and this case failed at the first check.
register l3_tun asan
case_l3_tun() {
    l3_up
    local lt

    l3_capture lctun0 -i lctun0 -c 12 -w "$W/tun.pcap"
    lt=$(od -An -tu4 -j20 -N4 "$W/tun.pcap" | tr -d ' \n')
    [ "$lt" = 101 ] || fail "tun.pcap: linktype $lt in the pcap header, expected 101 (LINKTYPE_RAW)"
    grep -q 'link type 101' "$LC_ERR" || fail "linecap did not say the link type: $(head -c 300 "$LC_ERR")"
    raw_ok "$W/tun.pcap"
    lt=$(jget "$W/tun.pcap.manifest.json" 'd["linktype"]')
    [ "$lt" = 101 ] || fail "manifest linktype $lt, expected 101"

    l3_capture lctun0 -n -i lctun0 -c 12 -w "$W/tun.pcapng"
    lt=$($PY -c '
import struct, sys
b = open(sys.argv[1], "rb").read()
off, lts = 0, []
while off + 12 <= len(b):
    t, l = struct.unpack_from("<II", b, off)
    if t == 1:
        lts.append(struct.unpack_from("<H", b, off + 8)[0])
    off += l
print(",".join(map(str, lts)))' "$W/tun.pcapng")
    [ "$lt" = 101 ] || fail "tun.pcapng: IDB link types '$lt', expected one IDB with 101"
    raw_ok "$W/tun.pcapng"

    l3_capture lctun0 -i net_af_packet0,iface=lctun0 -f icmp -c 6 -w "$W/icmp.pcap"
    [ "$(od -An -tu4 -j20 -N4 "$W/icmp.pcap" | tr -d ' \n')" = 101 ] || fail "icmp.pcap: not linktype 101"
    tcpdump -r "$T/ref.pcap" -w "$T/ref_icmp.pcap" icmp 2>/dev/null || fail "tcpdump cannot filter the reference"
    [ "$(cap_count "$T/ref_icmp.pcap")" = 6 ] || fail "tcpdump's 'icmp' keeps $(cap_count "$T/ref_icmp.pcap") of the reference, expected 6"
    frames_text "$T/ref_icmp.pcap" >"$T/ref.txt"
    frames_text "$W/icmp.pcap" >"$T/out.txt"
    same_frames "$T/out.txt" "$T/ref.txt" "icmp.pcap (-f icmp)"
    local j
    j=$(jget "$T/s.json" '[d["totals"]["received"], d["totals"]["filtered"], d["totals"]["written"]]')
    [ "$j" = "12 6 6" ] || fail "-f icmp: [received, filtered, written] = $j, expected [12, 6, 6]"
    l3_down
}

# An ARPHRD type with no link type here (a tun set to 803, 802.11 radiotap,
# with TUNSETLINK), a tun (raw IP) beside lo or net_null0 (Ethernet), and
# net_pcap on a PPP interface (libpcap would prepend a cooked header) each
# exit 66 with one line naming what is wrong, before the EAL and any file.
# A tun set to PPP (512) through -i NAME, and a tun through net_pcap's
# iface=, are raw IP.
register l3_types
case_l3_types() {
    l3_up
    l3_tun lcl3rt0 803
    lc -i lcl3rt0 -w "$W/x.pcap"
    expect_rc 66 "-i on an ARPHRD 803 interface"
    [ "$(wc -l <"$LC_ERR")" = 1 ] || fail "not one line: $(head -c 400 "$LC_ERR" | tr '\n' '|')"
    grep -q "lcl3rt0.*ARPHRD type 803.*supported" "$LC_ERR" || fail "message: $(cat "$LC_ERR")"
    dir_empty "ARPHRD 803"

    lc -i lo -i lctun0 -w "$W/x.pcap"
    expect_rc 66 "-i lo -i lctun0"
    [ "$(wc -l <"$LC_ERR")" = 1 ] || fail "not one line: $(head -c 400 "$LC_ERR" | tr '\n' '|')"
    grep -q "'lo' (Ethernet.*'lctun0' (raw IP.*one link type" "$LC_ERR" || fail "message: $(cat "$LC_ERR")"
    dir_empty "mixed link types"

    lc -n -i lctun0 -i net_null0 -w "$W/x.pcapng"
    expect_rc 66 "-n -i lctun0 -i net_null0"
    dir_empty "mixed link types, pcapng"

    l3_tun lcl3pp0 512
    lc -i net_pcap0,iface=lcl3pp0 -w "$W/x.pcap"
    expect_rc 66 "net_pcap on a PPP interface"
    grep -q "cooked header there; use -i lcl3pp0" "$LC_ERR" || fail "message: $(cat "$LC_ERR")"
    dir_empty "net_pcap on PPP"

    l3_capture lcl3pp0 -i lcl3pp0 -c 12 -w "$W/ppp.pcap"
    [ "$(od -An -tu4 -j20 -N4 "$W/ppp.pcap" | tr -d ' \n')" = 101 ] || fail "ppp.pcap: not linktype 101"
    raw_ok "$W/ppp.pcap"

    l3_capture lctun0 -i net_pcap0,iface=lctun0 -c 12 -w "$W/pcaptun.pcap"
    [ "$(od -An -tu4 -j20 -N4 "$W/pcaptun.pcap" | tr -d ' \n')" = 101 ] || fail "pcaptun.pcap: not linktype 101"
    raw_ok "$W/pcaptun.pcap"
    l3_down
    ! ip netns list | awk '{print $1}' | grep -qx "$L3NS" || fail "namespace $L3NS left behind"
}
