#!/usr/bin/env bash
# Virtual links between a traffic generator and linecap, set up and torn down
# by name. Run as root.
#
#   scripts/links.sh up KIND NAME [--mtu N] [--queues N] [--capture-owns] [--queue-size N]
#   scripts/links.sh down NAME
#   scripts/links.sh down-all
#   scripts/links.sh list
#
# KIND:
#   memif  shared-memory packet interface: the generator is the server (it
#          creates the socket), linecap the client. Start the generator first:
#          a memif client whose server socket is absent fails to start.
#   vhost  virtio-user <-> vhost-user: linecap is virtio-user in server mode
#          (it creates the socket and waits in start-up until the peer comes),
#          the generator net_vhost in client mode (it reconnects until the
#          socket exists), so either may start first. A virtio-user process
#          needs --single-file-segments or --in-memory (linecap runs
#          --in-memory).
#   veth   a veth pair: lc-NAME-a in this namespace (linecap, net_af_packet or
#          tcpdump), lc-NAME-b in network namespace lc-NAME (the sender, under
#          `ip netns exec lc-NAME`). Both up, IPv6 off (no kernel chatter in
#          exact-count tests).
#   tap    a persistent multi-queue tap device lc-NAME (the form net_tap can
#          attach to): linecap reads it with net_tap, anything sending on the
#          kernel interface lc-NAME (net_af_packet, tcpreplay, scapy) feeds it.
#          net_tap leaves it down when it exits; `up` again sets it up.
#
# Options of up: --mtu N (veth, tap), --queues N (vhost), --queue-size N
# (vhost: virtio-user's ring size, queue_size), and --capture-owns (memif,
# vhost): the roles the other way round, the capture side owns the link and
# is up and polling before the generator comes, as a NIC queue is polled
# before traffic arrives (bench/study.sh): memif capture role=server,
# generator role=client (start the capture first); vhost capture net_vhost
# (the back end, server socket), generator net_virtio_user (it connects, and
# needs --single-file-segments or --in-memory).
#
# `up` prints shell assignments (eval them): LINK_KIND, LINK_NAME, LINK_GEN and
# LINK_CAPTURE (the -i device strings of the two sides), LINK_GEN_NETNS (run
# the generator under `ip netns exec` when set), LINK_KERNEL_IF, LINK_NOTE.
# It records what it created under $LC_LINKS_DIR/links/NAME (default
# /run/linecap), and `down` removes exactly that: the namespace and devices by
# the names recorded, socket files only when no process listens on them.
# Both are idempotent. Exit: 0 done, 1 failed, 64 usage.
set -u
RUN_DIR=${LC_LINKS_DIR:-/run/linecap}
STATE=$RUN_DIR/links

die() { echo "links.sh: $*" >&2; exit 1; }
usage() { echo "links.sh: $*" >&2; echo "usage: links.sh up KIND NAME [--mtu N] [--queues N] [--capture-owns] [--queue-size N] | down NAME | down-all | list" >&2; exit 64; }

valid_name() {
    # lc-NAME-a must fit IFNAMSIZ (15 characters)
    [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_]{0,9}$ ]] ||
        usage "name '$1': expected 1-10 letters, digits or _ (starting with a letter or digit)"
}

# NAME='VALUE' (values never hold a quote: names are validated)
q() { printf "%s='%s'\n" "$1" "$2"; }

# the PIDs of the processes listening on unix socket PATH (empty: nobody)
listeners() {
    ss -xlpnH 2>/dev/null | awk -v p="$1" '$5 == p' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | tr '\n' ' '
}

# remove socket file PATH unless a process listens on it
clear_socket() {
    local path=$1 pids
    [ -e "$path" ] || return 0
    [ -S "$path" ] || die "$path exists and is not a socket: not touching it"
    pids=$(listeners "$path")
    if [ -n "$pids" ]; then
        echo "links.sh: $path is in use by PID $pids: left in place" >&2
        return 1
    fi
    rm -f "$path"
}

record() { printf '%s\n' "$*" >>"$STATE/$NAME/created"; }

need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root"; }

# ------------------------------------------------------------------ up

up_memif() {
    local sock=$RUN_DIR/$NAME.sock
    clear_socket "$sock" || true
    grep -qx "socket $sock" "$STATE/$NAME/created" 2>/dev/null || record "socket $sock"
    local common="socket=$sock,socket-abstract=no" gen=server cap=client first=generator
    [ "$OWNS" = 0 ] || { gen=client cap=server first=capture; }
    q LINK_GEN "net_memif0,role=$gen,id=0,$common"
    q LINK_CAPTURE "net_memif0,role=$cap,id=0,$common"
    q LINK_GEN_NETNS ""
    q LINK_KERNEL_IF ""
    q LINK_NOTE "start the $first (memif server) first: the client fails to start without the server socket"
}

up_vhost() {
    local sock=$RUN_DIR/$NAME.vhost
    clear_socket "$sock" || true
    grep -qx "socket $sock" "$STATE/$NAME/created" 2>/dev/null || record "socket $sock"
    local virtio="net_virtio_user0,path=$sock,queues=$QUEUES${QSIZE:+,queue_size=$QSIZE}"
    if [ "$OWNS" = 0 ]; then
        q LINK_GEN "net_vhost0,iface=$sock,queues=$QUEUES,client=1"
        q LINK_CAPTURE "$virtio,server=1"
        q LINK_NOTE "either side may start first; the virtio-user side needs --single-file-segments or --in-memory"
    else
        q LINK_GEN "$virtio"
        q LINK_CAPTURE "net_vhost0,iface=$sock,queues=$QUEUES"
        q LINK_NOTE "start the capture (vhost-user back end, server socket) first; the generator (virtio-user) needs --single-file-segments or --in-memory"
    fi
    q LINK_GEN_NETNS ""
    q LINK_KERNEL_IF ""
}

# create-if-absent helpers: each records what it created
ensure_netns() {
    local ns=$1
    if ! ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        ip netns add "$ns" || die "ip netns add $ns failed"
    fi
    grep -qx "netns $ns" "$STATE/$NAME/created" || record "netns $ns"
    ip -n "$ns" link set lo up
}

no_ipv6() {
    local ns=$1 ifc=$2
    if [ -n "$ns" ]; then
        ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" 2>/dev/null || true
    else
        sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" 2>/dev/null || true
    fi
}

up_veth() {
    local ns=lc-$NAME a=lc-$NAME-a b=lc-$NAME-b
    need_root "veth"
    ensure_netns "$ns"
    if ! ip link show "$a" >/dev/null 2>&1; then
        ip -n "$ns" link del "$b" 2>/dev/null # a half-made pair from a killed run
        ip link add "$a" type veth peer name "$b" netns "$ns" ||
            die "ip link add $a type veth peer name $b netns $ns failed"
    fi
    grep -qx "link $a" "$STATE/$NAME/created" || record "link $a"
    ip -n "$ns" link show "$b" >/dev/null 2>&1 ||
        die "$a exists but its peer $b is not in namespace $ns (not made by links.sh?)"
    if [ -n "$MTU" ]; then
        ip link set "$a" mtu "$MTU" || die "mtu $MTU on $a refused"
        ip -n "$ns" link set "$b" mtu "$MTU" || die "mtu $MTU on $b refused"
    fi
    no_ipv6 "" "$a"
    no_ipv6 "$ns" "$b"
    ip link set "$a" up && ip -n "$ns" link set "$b" up || die "cannot set $a/$b up"
    q LINK_GEN "net_af_packet0,iface=$b"
    q LINK_CAPTURE "net_af_packet0,iface=$a"
    q LINK_GEN_NETNS "$ns"
    q LINK_KERNEL_IF "$a"
    q LINK_NOTE "run the sender under: ip netns exec $ns ...; capture on $a (linecap -i $a takes net_af_packet)"
}

up_tap() {
    local t=lc-$NAME
    need_root "tap"
    if ! ip link show "$t" >/dev/null 2>&1; then
        ip tuntap add dev "$t" mode tap multi_queue || die "ip tuntap add dev $t mode tap multi_queue failed"
    elif ! ip -d link show "$t" | grep -q 'tun type tap'; then
        die "$t exists and is not a tap device (not made by links.sh?)"
    fi
    grep -qx "tap $t" "$STATE/$NAME/created" || record "tap $t"
    [ -z "$MTU" ] || ip link set "$t" mtu "$MTU" || die "mtu $MTU on $t refused"
    no_ipv6 "" "$t"
    ip link set "$t" up || die "cannot set $t up"
    q LINK_GEN "net_af_packet0,iface=$t"
    q LINK_CAPTURE "net_tap0,iface=$t"
    q LINK_GEN_NETNS ""
    q LINK_KERNEL_IF "$t"
    q LINK_NOTE "frames sent on $t reach the net_tap reader; net_tap sets $t down at exit"
}

cmd_up() {
    [ $# -ge 2 ] || usage "up needs KIND and NAME"
    KIND=$1 NAME=$2
    shift 2
    MTU="" QUEUES=1 OWNS=0 QSIZE=""
    while [ $# -gt 0 ]; do
        case $1 in
        --mtu) [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 68 ] && [ "$2" -le 65535 ] ||
                   usage "--mtu '${2:-}': expected a whole number from 68 to 65535"
               MTU=$2; shift 2 ;;
        --queues) [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 64 ] ||
                      usage "--queues '${2:-}': expected a whole number from 1 to 64"
                  QUEUES=$2; shift 2 ;;
        --queue-size) [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 32768 ] ||
                          usage "--queue-size '${2:-}': expected a whole number from 1 to 32768"
                      QSIZE=$2; shift 2 ;;
        --capture-owns) OWNS=1; shift ;;
        *) usage "unknown option '$1'" ;;
        esac
    done
    case $KIND in memif|vhost|veth|tap) ;; *) usage "kind '$KIND': expected memif, vhost, veth or tap" ;; esac
    valid_name "$NAME"
    [ "$KIND" = veth ] || [ "$KIND" = tap ] || [ -z "$MTU" ] || usage "--mtu applies to veth and tap only"
    [ "$KIND" = memif ] || [ "$KIND" = vhost ] || [ "$OWNS" = 0 ] || usage "--capture-owns applies to memif and vhost only"
    [ "$KIND" = vhost ] || [ -z "$QSIZE" ] || usage "--queue-size applies to vhost only"
    mkdir -p "$STATE/$NAME" || die "cannot create $STATE/$NAME"
    chmod 755 "$RUN_DIR"
    if [ -f "$STATE/$NAME/kind" ]; then
        local have
        have=$(cat "$STATE/$NAME/kind")
        [ "$have" = "$KIND" ] || die "link $NAME exists as $have; run: links.sh down $NAME"
    else
        echo "$KIND" >"$STATE/$NAME/kind"
        echo "$$" >"$STATE/$NAME/creator_pid"
        : >"$STATE/$NAME/created"
    fi
    q LINK_KIND "$KIND"
    q LINK_NAME "$NAME"
    "up_$KIND"
}

# ------------------------------------------------------------------ down

# undo one line of a link's "created" list
undo() {
    local what=$1 obj=$2
    case $what in
    socket) clear_socket "$obj" ;;
    link) ! ip link show "$obj" >/dev/null 2>&1 || ip link del "$obj" ;;
    tap) ! ip link show "$obj" >/dev/null 2>&1 || ip tuntap del dev "$obj" mode tap multi_queue ;;
    netns)
        if ip netns list | awk '{print $1}' | grep -qx "$obj"; then
            local pids
            pids=$(ip netns pids "$obj" 2>/dev/null | tr '\n' ' ')
            [ -z "$pids" ] || { echo "links.sh: namespace $obj still has processes $pids: left in place" >&2; return 1; }
            ip netns del "$obj"
        fi ;;
    *) echo "links.sh: unknown record '$what $obj'" >&2; return 1 ;;
    esac
}

cmd_down() {
    [ $# = 1 ] || usage "down needs NAME"
    NAME=$1
    valid_name "$NAME"
    local dir=$STATE/$NAME rc=0 what obj
    [ -d "$dir" ] || return 0
    # newest first: devices before the namespace that holds their peers
    if [ -f "$dir/created" ]; then
        while read -r what obj; do
            [ -n "$what" ] || continue
            undo "$what" "$obj" || rc=1
        done < <(tac "$dir/created")
    fi
    if [ $rc = 0 ]; then
        rm -rf "$dir"
    else
        echo "links.sh: $NAME only partly removed; $dir kept" >&2
    fi
    return $rc
}

cmd_down_all() {
    local d rc=0
    [ -d "$STATE" ] || return 0
    for d in "$STATE"/*/; do
        [ -d "$d" ] || continue
        cmd_down "$(basename "$d")" || rc=1
    done
    return $rc
}

cmd_list() {
    local d
    [ -d "$STATE" ] || return 0
    for d in "$STATE"/*/; do
        [ -d "$d" ] || continue
        printf '%s %s: %s\n' "$(basename "$d")" "$(cat "$d/kind" 2>/dev/null)" \
            "$(tr '\n' ',' <"$d/created" 2>/dev/null | sed 's/,$//')"
    done
}

[ $# -ge 1 ] || usage "no command"
cmd=$1
shift
case $cmd in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
down-all) [ $# = 0 ] || usage "down-all takes no arguments"; cmd_down_all ;;
list) cmd_list ;;
-h|--help) sed -n '2,/^# Both are idempotent/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) usage "unknown command '$cmd'" ;;
esac
