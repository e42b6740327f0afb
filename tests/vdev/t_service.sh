# The systemd unit (docs/SERVICE.md): its command line and working
# conditions, as read from the unit meson writes (BUILD/linecap@.service),
# and systemd-analyze's verdicts on it.
# shellcheck shell=bash

# unit_vals FILE KEY: every value of KEY= in the [Service] (or [Unit])
# section, in order, one a line (comment lines skipped, whitespace trimmed)
unit_vals() {
    awk -v key="$2" '
        /^[ \t]*[#;]/ { next }
        /^\[/ { sec = $0; next }
        (sec == "[Service]" || sec == "[Unit]") && index($0, "=") {
            k = substr($0, 1, index($0, "=") - 1); gsub(/[ \t]/, "", k)
            if (k != key) next
            v = substr($0, index($0, "=") + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
            print v
        }' "$1"
}
unit_last() { unit_vals "$1" "$2" | tail -1; }

# unit_spec STRING INSTANCE: systemd's specifiers for a system service
unit_spec() {
    local s=$1 i=$2
    s=${s//%%/$'\x01'}
    s=${s//%i/$i}
    s=${s//%I/$i}
    s=${s//%t//run}
    s=${s//%S//var/lib}
    s=${s//%C//var/cache}
    s=${s//%L//var/log}
    printf '%s' "${s//$'\x01'/%}"
}

# unit_secs VALUE: a systemd time span ("30", "30s", "1min 30s", "500ms") in
# whole seconds, rounded up
unit_secs() {
    awk -v v="$1" 'BEGIN {
        t = 0; n = split(v, w, /[ \t]+/)
        for (k = 1; k <= n; k++) {
            if (w[k] == "") continue
            x = w[k] + 0; u = w[k]; sub(/^[0-9.]+/, "", u)
            if (u == "" || u == "s" || u == "sec") t += x
            else if (u == "ms" || u == "msec") t += x / 1000
            else if (u == "m" || u == "min") t += x * 60
            else { print "bad"; exit }
        }
        printf "%d\n", (t == int(t)) ? t : int(t) + 1 }'
}

# A mount point for the namespace: made on the host if absent (the path is
# recorded so that svc_cleanup removes what this case made, and only that).
svc_mkdir() {
    local d=$1 top=$1
    while [ ! -e "$(dirname "$top")" ]; do top=$(dirname "$top"); done
    [ -e "$top" ] || echo "$top" >>"$T/made"
    mkdir -p "$d"
}

svc_cleanup() {
    local d
    if [ -s "$T/made" ]; then
        # deepest first; only empty directories (nothing mounted in them here)
        tac "$T/made" | while read -r d; do [ -n "$d" ] && rm -rf --one-file-system "$d"; done
    fi
    if [ -s "$T/user_made" ]; then
        userdel "$(cat "$T/user_made")" 2>/dev/null
        groupdel "$(cat "$T/user_made")" 2>/dev/null
    fi
    return 0
}

# The unit's ExecStart, run as systemd runs it, on a net_pcap replay of
# known.pcap, then stopped with the unit's KillSignal: it ends within
# TimeoutStopSec, exit 0, every file closed (no .partial), valid and owned by
# the unit's user, the records adding up to the JSON's written count and the input's.
#
# Emulated (no systemd as PID 1 here): a private mount namespace (unshare -m)
# where the whole tree is read-only (ProtectSystem=strict) except the
# StateDirectory (this case's W bound there), the RuntimeDirectory (a tmpfs)
# and ReadWritePaths; /tmp and /var/tmp private tmpfs (PrivateTmp); /home,
# /root, /run/user empty and read-only (ProtectHome); /dev a tmpfs with only
# null, zero, full, random, urandom, tty, pts, shm and hugepages
# and fd, std* links (PrivateDevices); the config directory of ExecStart's --config holds this
# case's configuration. Then setpriv: User=, Group= with its groups,
# CapabilityBoundingSet= and AmbientCapabilities=, NoNewPrivileges=;
# WorkingDirectory=, UMask=, LimitMEMLOCK=, a clean environment with
# Environment=, HOME/USER/LOGNAME/SHELL and RUNTIME_/STATE_DIRECTORY as
# systemd sets them; stdin /dev/null.
# Not emulated: SystemCallFilter=, RestrictAddressFamilies= (seccomp),
# ProtectKernel*=, ProtectClock=, ProtectHostname=, ProtectProc=,
# Restrict{Namespaces,Realtime,SUIDSGID}=, LockPersonality= (systemd-analyze
# security checks that they are set). ExecStart's program is this build's
# linecap, copied into the config directory (any user can read it there).
register service
case_service() {
    local unit inst=t exec prog cfg cfgdir user group state rt rw sig stop_s mask
    local -a words env caps_amb caps_bound
    unit=$(dirname "$LINECAP")/linecap@.service
    [ -f "$unit" ] || fail "no unit $unit (meson writes it from dist/linecap@.service.in)"
    command -v setpriv >/dev/null && command -v unshare >/dev/null || skip "setpriv or unshare missing"
    [ "$(id -u)" = 0 ] || skip "needs root (mount namespace, another user)"
    "$LINECAP" --help 2>&1 | grep -q -- '--config' || skip "this linecap has no --config yet"
    trap svc_cleanup EXIT

    exec=$(unit_spec "$(unit_last "$unit" ExecStart)" "$inst")
    exec=${exec#[-@:+!]}
    [ -n "$exec" ] || fail "no ExecStart= in $unit"
    case $exec in *\"*|*\'*) fail "ExecStart with quotes: this case splits on spaces only: $exec" ;; esac
    read -r -a words <<<"$exec"
    prog=${words[0]}
    cfg=""
    local k
    for k in "${!words[@]}"; do
        [ "${words[$k]}" = --config ] && cfg=${words[$((k + 1))]:-}
    done
    [ -n "$cfg" ] || fail "ExecStart has no --config FILE: $exec"
    cfgdir=$(dirname "$cfg")
    user=$(unit_last "$unit" User)
    group=$(unit_last "$unit" Group)
    [ -n "$user" ] && [ "$user" != root ] || fail "the unit runs as '${user:-root}', not as a dedicated user"
    group=${group:-$user}
    state=$(unit_last "$unit" StateDirectory)
    [ -n "$state" ] || fail "no StateDirectory= in the unit"
    state=/var/lib/$(unit_spec "${state%% *}" "$inst")
    rt=$(unit_last "$unit" RuntimeDirectory)
    [ -n "$rt" ] && rt=/run/$(unit_spec "${rt%% *}" "$inst")
    rw=$(unit_spec "$(unit_vals "$unit" ReadWritePaths | tr '\n' ' ')" "$inst")
    sig=$(unit_last "$unit" KillSignal)
    sig=${sig:-SIGTERM}
    stop_s=$(unit_secs "$(unit_last "$unit" TimeoutStopSec)")
    [ -n "$stop_s" ] && [ "$stop_s" != bad ] && [ "$stop_s" -gt 0 ] ||
        fail "TimeoutStopSec '$(unit_last "$unit" TimeoutStopSec)' not understood"
    mask=$(unit_last "$unit" UMask)
    mask=${mask:-0022}
    read -r -a caps_amb <<<"$(unit_last "$unit" AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_//g')"
    read -r -a caps_bound <<<"$(unit_last "$unit" CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_//g')"
    mapfile -t env < <(unit_vals "$unit" Environment | while read -r -a a; do
        for x in "${a[@]}"; do unit_spec "$x" "$inst"; echo; done; done)
    log "unit: prog $prog, config $cfg, user $user:$group, state $state, runtime ${rt:-none}," \
        "rw '$rw', stop $sig within ${stop_s}s, umask $mask, ambient ${caps_amb[*]:-none}," \
        "bounding ${caps_bound[*]:-all}, env ${env[*]:-none}"

    # the user: the unit's (made for this case if absent, removed after)
    if ! getent passwd "$user" >/dev/null; then
        useradd --system --user-group --no-create-home --home-dir "$state" \
            --shell /usr/sbin/nologin "$user" || fail "cannot create the user $user"
        echo "$user" >"$T/user_made"
    fi
    local uid gid
    uid=$(id -u "$user")
    gid=$(getent group "$group" | cut -d: -f3)
    [ -n "$gid" ] || fail "no group $group"

    # this case's configuration, in a directory bound over ExecStart's
    mkdir -p "$T/etc"
    cp "$KNOWN" "$T/etc/known.pcap"
    install -m 0755 "$LINECAP" "$T/etc/linecap-under-test"
    cat >"$T/etc/$inst.conf" <<EOF
# t_service: one replay of known.pcap, rotated by size, until the stop signal
interface net_pcap0,rx_pcap=$cfgdir/known.pcap
write $state/svc.pcap
ring-buffer filesize:100
buffer-size 64
cores 1
stats-interval 0
group-read
stats-json $state/stats.json
eal --file-prefix=$LC_PREFIX
EOF
    chmod 0644 "$T/etc/$inst.conf" "$T/etc/known.pcap"
    chmod 0755 "$T/etc"
    chown "$uid:$gid" "$W"
    chmod 0750 "$W"

    svc_mkdir "$cfgdir"
    svc_mkdir "$state"
    [ -n "$rt" ] && svc_mkdir "$rt"
    local p
    for p in $rw; do p=${p#-}; [ "$p" = "$state" ] || svc_mkdir "$p"; done

    # the namespace's set-up, then exec (same PID: the signal goes to linecap)
    cat >"$T/ns.sh" <<'EOF'
set -e
cfgdir=$1 state=$2 rt=$3 W=$4 ETC=$5 uid=$6 gid=$7; shift 7
mount --make-rprivate /
mount --bind "$ETC" "$cfgdir"
mount --bind "$W" "$state"
if [ -n "$rt" ]; then mount -t tmpfs -o mode=0755,uid=$uid,gid=$gid tmpfs "$rt"; fi
# PrivateTmp
mount -t tmpfs -o mode=1777 tmpfs /tmp
[ -d /var/tmp ] && mount -t tmpfs -o mode=1777 tmpfs /var/tmp
# PrivateDevices: a /dev of pseudo devices, built in the private /tmp
d=/tmp/.svcdev
mkdir -p $d
mount -t tmpfs -o mode=0755 tmpfs $d
for n in null zero full random urandom tty; do touch $d/$n; mount --bind /dev/$n $d/$n; done
mkdir -p $d/pts $d/shm $d/hugepages
mount --bind /dev/pts $d/pts
ln -s /proc/self/fd $d/fd; ln -s pts/ptmx $d/ptmx
ln -s /proc/self/fd/0 $d/stdin; ln -s /proc/self/fd/1 $d/stdout; ln -s /proc/self/fd/2 $d/stderr
mount -t tmpfs -o mode=1777 tmpfs $d/shm
if mountpoint -q /dev/hugepages; then mount --bind /dev/hugepages $d/hugepages; fi
mount --move $d /dev
rmdir $d
# ProtectHome
for h in /home /root /run/user; do if [ -d $h ]; then mount -t tmpfs -o ro,mode=0755 tmpfs $h; fi; done
# ProtectSystem=strict: every mount read-only but the API file systems and
# the writable places above
keep=" $state $rt /tmp /var/tmp "
while read -r mp; do
    case $mp in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
    case $keep in *" $mp "*) continue ;; esac
    mount -o remount,bind,ro "$mp" 2>/dev/null || true
done < <(awk '{print $5}' /proc/self/mountinfo | sort -u)
exec "$@"
EOF
    local bound amb
    bound=-all
    for p in "${caps_bound[@]}"; do bound+=",+$p"; done
    amb=""
    for p in "${caps_amb[@]}"; do amb+="${amb:+,}+$p"; done
    local -a sp=(setpriv --reuid="$uid" --regid="$gid" --init-groups --bounding-set="$bound")
    [ -n "$amb" ] && sp+=(--inh-caps="$amb" --ambient-caps="$amb")
    [ "$(unit_last "$unit" NoNewPrivileges)" = yes ] && sp+=(--no-new-privs)
    local wd
    wd=$(unit_spec "$(unit_last "$unit" WorkingDirectory)" "$inst")
    wd=${wd:-/}
    local lim=unlimited
    [ "$(unit_last "$unit" LimitMEMLOCK)" = infinity ] || lim=$(unit_last "$unit" LimitMEMLOCK)
    [ -n "$lim" ] || lim=8192

    LC_N=$((LC_N + 1))
    LC_OUT=$T/run$LC_N.out
    LC_ERR=$T/run$LC_N.err
    words[0]=$cfgdir/linecap-under-test
    log "+ unshare -m ... ${sp[*]} env -i ... ${words[*]}"
    local um
    um=$(umask)
    umask "$mask"
    ulimit -l "$lim" 2>/dev/null || log "note: ulimit -l $lim refused"
    unshare -m bash "$T/ns.sh" "$cfgdir" "$state" "$rt" "$W" "$T/etc" "$uid" "$gid" \
        "${sp[@]}" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 HOME="$state" USER="$user" LOGNAME="$user" SHELL=/usr/sbin/nologin \
        STATE_DIRECTORY="$state" ${rt:+RUNTIME_DIRECTORY="$rt"} "${env[@]}" \
        bash -c 'cd "$1" && shift && exec "$@"' _ "$wd" "${words[@]}" \
        >"$LC_OUT" 2>"$LC_ERR" </dev/null &
    LC_PID=$!
    umask "$um"
    ( sleep "$LC_TIMEOUT"; kill -KILL "$LC_PID" 2>/dev/null ) >/dev/null 2>&1 &
    LC_WD=$!

    wait_for_file "$W" 30 || { lc_wait_exit 1; fail "no output file appeared (exit $LC_RC): $(head -c 400 "$LC_ERR")"; }
    sleep 1
    lc_alive || { lc_wait_exit 1; fail "linecap ended before the signal (exit $LC_RC): $(head -c 400 "$LC_ERR")"; }
    local st
    st=$(cat "/proc/$LC_PID/status")
    echo "$st" | grep -q "^Name:.*linecap" || fail "the PID is not linecap: $(echo "$st" | grep ^Name)"
    echo "$st" | grep -qE "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid" || fail "not running as $user: $(echo "$st" | grep ^Uid)"
    [ "$(unit_last "$unit" NoNewPrivileges)" != yes ] || echo "$st" | grep -qE "^NoNewPrivs:\s+1" ||
        fail "NoNewPrivs not set"
    log "running: $(echo "$st" | grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs):' | tr '\n' ' ')"

    kill -s "${sig#SIG}" "$LC_PID"
    lc_wait_exit "$stop_s"
    expect_rc 0 "after $sig"
    awk -v s="$LC_EXIT_SECS" -v l="$stop_s" 'BEGIN{exit !(s <= l)}' ||
        fail "exit ${LC_EXIT_SECS}s after $sig, TimeoutStopSec ${stop_s}s"

    no_partials
    local files f sum=0 owner out
    mapfile -t files < <(out_files)
    [ "${#files[@]}" -ge 2 ] || fail "expected rotated files, found: $(ls -A "$W" | tr '\n' ' ')"
    for f in "${files[@]}"; do
        pcap_valid "$f"
        sum=$((sum + PV_COUNT))
        owner=$(stat -c '%u:%g %a' "$f")
        [ "$owner" = "$uid:$gid 640" ] || fail "$(basename "$f"): owner/mode $owner, expected $uid:$gid 640"
    done
    [ -s "$W/stats.json" ] || fail "no stats JSON in the state directory"
    [ "$($LCHECK identity "$W/stats.json")" = ok ] || fail "$($LCHECK identity "$W/stats.json")"
    [ "$(jget "$W/stats.json" 'd["totals"]["written"]')" = "$sum" ] ||
        fail "files hold $sum records, JSON written $(jget "$W/stats.json" 'd["totals"]["written"]')"
    [ "$(jget "$W/stats.json" 'd["stop_reason"]')" = signal ] || fail "stop_reason not signal"
    [ "$sum" = "$(KNOWN_N)" ] || fail "files hold $sum records, the input $(KNOWN_N)"
    out=$($LCHECK members "$KNOWN" "${files[@]}") || fail "records not frames of the input: $out"
    log "stop after $sig: ${LC_EXIT_SECS}s (limit ${stop_s}s), ${#files[@]} files, $sum records"
}

# systemd-analyze verify: no complaint about the unit (an instance of it, in
# a root holding the installed files: verify checks ExecStart's program);
# systemd-analyze security --offline: exposure <= 4.0
register service_analyze
case_service_analyze() {
    local unit score out
    unit=$(dirname "$LINECAP")/linecap@.service
    [ -f "$unit" ] || fail "no unit $unit"
    command -v systemd-analyze >/dev/null || skip "systemd-analyze missing"
    mkdir -p "$T/u"
    cp "$unit" "$T/u/linecap@.service"
    # verify: ExecStart's program must exist; point it at this build's binary
    sed "s|^ExecStart=[^ ]*|ExecStart=$LINECAP|" "$unit" >"$T/u/linecap@.service"
    out=$(cd "$T/u" && systemd-analyze verify --man=no "$T/u/linecap@x.service" 2>&1)
    [ -z "$out" ] || fail "systemd-analyze verify: $(echo "$out" | head -3 | tr '\n' '|')"
    cp "$unit" "$T/u/linecap@.service"
    out=$(cd "$T/u" && systemd-analyze security --offline=true --no-pager "$T/u/linecap@x.service" 2>&1)
    echo "$out" >"$T/security.txt"
    score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' | tail -1)
    [ -n "$score" ] || fail "no exposure level in systemd-analyze security's output: $(echo "$out" | tail -2 | tr '\n' '|')"
    log "exposure $score"
    awk -v s="$score" 'BEGIN{exit !(s <= 4.0)}' || fail "exposure $score > 4.0"
}
