/* Port control plane: find or create the DPDK port for a -i value, probe what
 * it offers, configure queues, and say at start what could not be enabled. */
#ifndef LC_PORT_H
#define LC_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tsclock.h"
#include "stats/counters.h"

struct rte_mempool;

#define PORT_MAX_KSOCK 16

/* net_af_packet ring linecap asks for when the -i value does not: frames of
 * 2048 B (DPDK's default size) in 4 KiB blocks. DPDK's default is 512 frames
 * (1 MiB), which a veth at 0.5 Mpps overflows in about 1 ms of a stalled
 * receive core; 16384 frames (32 MiB; the PMD maps as much again for its
 * transmit ring) absorb about 30 ms. */
#define PORT_AFP_FRAMECNT 16384

struct port_info {
    uint16_t id;
    unsigned nq;                /* receive queues configured */
    char name[128];
    char driver[64];
    struct rte_mempool *mp;
    bool promisc, scatter, rss, ts_offload_offered;
    /* NIC receive timestamps, when offered and the device clock can be read:
     * the mbuf field holding them and the device clock mapped to
     * CLOCK_REALTIME (same fixed-point form as the TSC clock). */
    bool nic_ts;
    int ts_field;               /* dynfield offset, -1 if unused */
    uint64_t ts_flag;           /* ol_flags bit marking a valid timestamp */
    struct lc_clock dclk;
    char ts_note[96];           /* why NIC timestamps are not used */
    /* Device counters made monotone: memif and vhost zero theirs when the
     * peer disconnects; what was counted before is kept in base. */
    uint64_t stat_base[PC_MAX], stat_last[PC_MAX];
    bool stat_reset;            /* a reset was seen: device counts are lower bounds */
    uint32_t max_frame;         /* largest frame the setup can receive whole */
    /* net_af_packet: the kernel sockets behind the port. DPDK 22.11 does not
     * report their ring-full drops; the main thread reads them with
     * PACKET_STATISTICS (which resets on read) and accumulates. */
    int kfd[PORT_MAX_KSOCK];
    int nkfd;
    uint64_t kdrops, kpackets; /* since the start (tp_packets includes the drops) */
};

/* Resolve (probing a vdev or an af_packet device for a kernel interface)
 * to a port id. Returns 0, or -1 with one line in err. */
int port_attach(const char *spec, int index, uint16_t *id, char *err, size_t errlen);

/* Configure nq receive queues (fewer if the device has fewer, with a
 * warning) and start the port. Returns 0, or -1 with one line in err. */
int port_setup(uint16_t id, unsigned nq, unsigned nb_rxd, unsigned extra_mbufs, bool want_nic_ts,
               struct port_info *pi, char *err, size_t errlen);

/* Device counters into the port counter list, carried across a reset of
 * the device's own counters (a value going down) since the last call.
 * Called by the main thread only, often (every 10 ms) so that little is
 * lost when a peer disconnect resets them. */
void port_read_stats(struct port_info *pi, uint64_t v[PC_MAX]);

/* net_af_packet: find the AF_PACKET sockets of port pi (bound to its
 * interface, not claimed by one of the nearlier ports before it) among this
 * process's file descriptors, and zero their statistics. Returns how many
 * (0 for other drivers), or -1 with one line in err. */
int port_kernel_sockets(struct port_info *pi, const struct port_info *earlier, int nearlier,
                        char *err, size_t errlen);

void port_shutdown(uint16_t id);

#endif
