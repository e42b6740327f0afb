#!/usr/bin/env bash
# One-time, idempotent machine set-up for linecap on Debian 12 (run as root).
#   - installs the Debian packages that are missing (build, runtime, oracles)
#   - reserves 2 MiB hugepages and mounts hugetlbfs; if that fails, says so in
#     one line: linecap then runs with --no-huge on its own.
set -u
PKGS="build-essential pkg-config meson ninja-build dpdk dpdk-dev libdpdk-dev libpcap-dev
      tcpdump tshark fio liburing-dev python3-scapy clang-14 libclang-rt-14-dev iproute2 procps
      libjansson-dev netsniff-ng python3-matplotlib valgrind e2fsprogs util-linux
      debhelper lintian groff-base man-db"
HUGEPAGES=${LINECAP_HUGEPAGES:-1536}   # 3 GiB: mbuf pools + the default 2 GiB block pool

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages:$missing (run as root to install them)" >&2
        exit 1
    fi
    echo "setup: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || { echo "setup: apt-get update failed" >&2; exit 1; }
    apt-get install -y -q --no-install-recommends $missing >/dev/null ||
        { echo "setup: apt-get install$missing failed" >&2; exit 1; }
fi

if [ "$(id -u)" -eq 0 ]; then
    cur=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
    if [ "$cur" -lt "$HUGEPAGES" ]; then
        echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
    fi
    if ! mount | grep -q 'type hugetlbfs'; then
        mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
    fi
fi
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$free" -lt 256 ]; then
    echo "setup: notice: only $free free 2 MiB hugepages; linecap will run with --no-huge (slower)"
else
    echo "setup: $free free 2 MiB hugepages"
fi
exit 0
