# The Debian package (make deb, docs/SERVICE.md): its contents, lintian,
# and install / remove / purge on this machine leaving nothing behind.
# shellcheck shell=bash

PKG_SNAP_DIRS="/usr /etc /var/lib /lib /opt"

# pkg_snapshot FILE: every path under PKG_SNAP_DIRS, less what changes on
# its own or with any dpkg run (dpkg's and apt's state, the user databases'
# backup copies, caches)
pkg_snapshot() {
    # shellcheck disable=SC2086
    find $PKG_SNAP_DIRS -xdev 2>/dev/null |
        grep -Ev '^/var/lib/(dpkg|apt|systemd|ucf|man-db|dhcp|logrotate|private)(/|$)' |
        grep -Ev '^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-$|^/etc/ld\.so\.cache$' |
        LC_ALL=C sort >"$1"
}

pkg_cleanup() {
    if [ -e "$T/installed" ]; then
        dpkg -P linecap >>"$T/cleanup.log" 2>&1 || log "cleanup: dpkg -P linecap failed: $(tail -2 "$T/cleanup.log")"
    fi
    if [ -e "$T/installed" ] && getent passwd linecap >/dev/null; then
        userdel linecap 2>/dev/null
    fi
    if [ -e "$T/installed" ] && getent group linecap >/dev/null; then
        groupdel linecap 2>/dev/null
    fi
    if [ -e "$T/installed" ]; then rm -rf /var/lib/linecap /etc/linecap; fi
    return 0
}

# make deb (scripts/deb.sh; or LC_DEB=FILE built earlier in the same run):
# dpkg-deb -c lists the programs, the unit, the example configuration, the
# docs (and the man pages once the tree has man/); Depends comes from the
# shared libraries (Debian's DPDK and libpcap); lintian reports no error;
# dpkg -i, /usr/bin/linecap --version, the unit in place and verified by
# systemd-analyze, the system user made; dpkg -r keeps the configuration and
# the user, dpkg -P removes every file and the user: the listing of /usr,
# /etc, /var/lib, /lib and /opt is as before.
register package
case_package() {
    local deb ver arch f missing="" out
    [ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
    for f in dpkg-buildpackage dh lintian dpkg-deb; do
        command -v "$f" >/dev/null || skip "$f missing (make setup installs debhelper and lintian)"
    done
    if dpkg-query -W -f='${Status}' linecap 2>/dev/null | grep -q "installed\|config-files"; then
        skip "a linecap package is already installed here: not replacing it"
    fi
    getent passwd linecap >/dev/null && skip "a user linecap exists: purge would remove it"
    [ -e /var/lib/linecap ] && skip "/var/lib/linecap exists: purge would remove it"
    [ -e /etc/linecap ] && skip "/etc/linecap exists: purge would remove it"
    trap pkg_cleanup EXIT

    ver=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$LC_ROOT/meson.build" | head -1)
    arch=$(dpkg --print-architecture)
    if [ -n "${LC_DEB:-}" ]; then
        deb=$LC_DEB
    else
        local t0 t1
        t0=$(now_ns)
        bash "$LC_ROOT/scripts/deb.sh" "$T/deb" >"$T/deb.log" 2>&1 ||
            fail "make deb failed: $(tail -5 "$T/deb.log" | tr '\n' '|' | cut -c1-400)"
        t1=$(now_ns)
        deb=$(tail -1 "$T/deb.log")
        log "deb built in $(( (t1 - t0) / 1000000000 )) s: $deb"
    fi
    [ "$(basename "$deb")" = "linecap_${ver}_${arch}.deb" ] || fail "package named $(basename "$deb"), expected linecap_${ver}_${arch}.deb"
    [ -f "$deb" ] || fail "no $deb"

    # contents
    dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$T/contents"
    local want=(/usr/bin/linecap /usr/bin/linecap-gen /lib/systemd/system/linecap@.service
                /etc/linecap/example.conf /usr/share/doc/linecap/copyright
                "/usr/share/doc/linecap/README.md(.gz)?" "/usr/share/doc/linecap/DESIGN.md(.gz)?"
                "/usr/share/doc/linecap/docs/SERVICE.md(.gz)?")
    if [ -d "$LC_ROOT/man" ]; then
        want+=("/usr/share/man/man1/linecap.1(.gz)?" "/usr/share/man/man1/linecap-gen.1(.gz)?")
    else
        log "note: no man/ in the tree yet: man pages not expected"
    fi
    for f in "${want[@]}"; do
        grep -qxE "$f" "$T/contents" || missing="$missing $f"
    done
    [ -z "$missing" ] || fail "dpkg-deb -c: missing$missing"
    grep -E '^/usr/(lib|share)/.*(test_|bench_)' "$T/contents" && fail "test or bench programs in the package"
    out=$(dpkg-deb -f "$deb" Depends)
    log "Depends: $out"
    echo "$out" | grep -q 'librte-' || fail "Depends names no DPDK library package: $out"
    echo "$out" | grep -q 'libpcap' || fail "Depends names no libpcap package: $out"

    # lintian: errors fail, the rest is listed in the log
    lintian --tag-display-limit 0 "$deb" >"$T/lintian.txt" 2>&1
    log "lintian: $(grep -c '^W:' "$T/lintian.txt") warnings, $(grep -c '^I:' "$T/lintian.txt") infos"
    sed 's/^/  lintian: /' "$T/lintian.txt" >&2
    grep -q '^E:' "$T/lintian.txt" && fail "lintian errors: $(grep '^E:' "$T/lintian.txt" | head -3 | tr '\n' '|')"

    # install
    pkg_snapshot "$T/before"
    touch "$T/installed"
    dpkg -i "$deb" >"$T/dpkg-i.log" 2>&1 || fail "dpkg -i failed: $(tail -3 "$T/dpkg-i.log" | tr '\n' '|')"
    out=$(/usr/bin/linecap --version 2>&1) || fail "/usr/bin/linecap --version exits $?: $out"
    echo "$out" | grep -q "$ver" || fail "linecap --version says '$out', expected $ver"
    getent passwd linecap >/dev/null || fail "no system user linecap after install"
    [ "$(stat -c %U /var/lib/linecap 2>/dev/null)" = linecap ] || fail "/var/lib/linecap not owned by linecap"
    if out=$(systemctl cat linecap@.service 2>&1); then
        echo "$out" | grep -q '^ExecStart=/usr/bin/linecap --config /etc/linecap/%i.conf$' ||
            fail "systemctl cat: no ExecStart=/usr/bin/linecap --config /etc/linecap/%i.conf"
    else
        log "note: systemctl cat does not work here ($(echo "$out" | head -1)); reading the file"
        grep -qx 'ExecStart=/usr/bin/linecap --config /etc/linecap/%i.conf' /lib/systemd/system/linecap@.service ||
            fail "/lib/systemd/system/linecap@.service: no ExecStart=/usr/bin/linecap --config /etc/linecap/%i.conf"
    fi
    if command -v systemd-analyze >/dev/null; then
        out=$(systemd-analyze verify --man=no linecap@example.service 2>&1)
        [ -z "$out" ] || fail "systemd-analyze verify of the installed unit: $(echo "$out" | head -3 | tr '\n' '|')"
    fi

    # remove: the configuration and the user stay
    dpkg -r linecap >"$T/dpkg-r.log" 2>&1 || fail "dpkg -r failed: $(tail -3 "$T/dpkg-r.log" | tr '\n' '|')"
    [ ! -e /usr/bin/linecap ] || fail "/usr/bin/linecap still there after dpkg -r"
    [ -f /etc/linecap/example.conf ] || fail "dpkg -r removed the configuration (a conffile)"
    # purge: nothing left
    dpkg -P linecap >"$T/dpkg-p.log" 2>&1 || fail "dpkg -P failed: $(tail -3 "$T/dpkg-p.log" | tr '\n' '|')"
    rm -f "$T/installed"
    getent passwd linecap >/dev/null && fail "user linecap still there after purge"
    getent group linecap >/dev/null && fail "group linecap still there after purge"
    pkg_snapshot "$T/after"
    if ! cmp -s "$T/before" "$T/after"; then
        fail "install + purge changed the file tree: $(diff "$T/before" "$T/after" | grep '^[<>]' | head -5 | tr '\n' ' ')"
    fi
}
