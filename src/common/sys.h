/* Small process-level helpers shared by linecap and linecap-gen: stop
 * signals, a monotonic clock in seconds, hugepage and CPU discovery, and
 * the classification of a -i value. No DPDK here. */
#ifndef LC_SYS_H
#define LC_SYS_H

#include <signal.h>
#include <stddef.h>

/* Incremented by SIGINT and SIGTERM once lc_install_stop_signals ran;
 * SIGPIPE and SIGXFSZ are ignored. */
extern volatile sig_atomic_t lc_signals;
void lc_install_stop_signals(void);

/* CLOCK_MONOTONIC in seconds. */
double lc_now_s(void);

/* Free 2 MiB hugepages (0 if unknown). */
unsigned lc_free_hugepages(void);

/* The CPUs this process may run on, ascending; returns how many (<= max). */
int lc_allowed_cpus(unsigned *cpus, int max);

/* 0 when every CPU of want[] is in allowed[]; else -1 and one line in err
 * naming the first CPU that is not (the --cores check). */
int lc_cpus_allowed(const unsigned *want, int nwant, const unsigned *allowed, int nallowed,
                    char *err, size_t errlen);

/* Classify a -i value before DPDK starts: 'p' PCI address, 'n' port index,
 * 'v' vdev (net_...), 'k' kernel network interface, 0 unknown. */
int lc_port_spec_kind(const char *spec);

/* The pcap link type of what an AF_PACKET socket (SOCK_RAW, as
 * net_af_packet opens it) delivers on a Linux interface of ARPHRD type
 * arphrd: LINKTYPE_ETHERNET (format/pcap.h) for Ethernet and loopback,
 * LINKTYPE_RAW for the types whose devices have no link-layer header (the
 * data starts at the IPv4/IPv6 header), -1 for any other type. */
int lc_arphrd_linktype(unsigned arphrd);

/* The pcap link type of the packets of one capture run over the -i values
 * specs[0..n), read before DPDK starts. A kernel interface (-i IFNAME, or
 * the iface= of a net_af_packet vdev, or the iface=, rx_iface= or
 * rx_iface_in= of a net_pcap vdev) by its ARPHRD type in
 * /sys/class/net/IFNAME/type; every other DPDK port is Ethernet, and so is
 * an interface name that does not exist (attaching the port says why).
 * Returns the link type, or -1 with one line in err: an interface whose
 * type has no link type here (or, through net_pcap, one where libpcap would
 * add a cooked header), or values whose link types differ (a pcap file has
 * one link type, and linecap's pcapng IDBs share one). */
int lc_ports_linktype(const char *const *specs, int n, char *err, size_t errlen);

/* "Linux 6.1.0-18-amd64" (uname sysname and release). */
void lc_os_name(char *out, size_t cap);

/* The CPU model per /proc/cpuinfo ("model name", or the ARM "Hardware"),
 * else the machine name from uname. */
void lc_cpu_model(char *out, size_t cap);

#endif
