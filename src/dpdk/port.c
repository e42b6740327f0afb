#include "dpdk/port.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "common/log.h"
#include "common/sys.h"

int port_attach(const char *spec, int index, uint16_t *id, char *err, size_t errlen)
{
    char name[RTE_ETH_NAME_MAX_LEN];
    char devargs[512];

    switch (lc_port_spec_kind(spec)) {
    case 'n': {
        unsigned long v = strtoul(spec, NULL, 10);
        if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v)) {
            snprintf(err, errlen, "-i '%s': no DPDK port with index %s (%u ports available)",
                     spec, spec, rte_eth_dev_count_avail());
            return -1;
        }
        *id = (uint16_t)v;
        return 0;
    }
    case 'p':
        if (rte_eth_dev_get_port_by_name(spec, id) == 0)
            return 0;
        snprintf(name, sizeof(name), "0000:%s", spec);
        if (rte_eth_dev_get_port_by_name(name, id) == 0)
            return 0;
        snprintf(err, errlen,
                 "-i '%s': no DPDK port at this PCI address (is the device bound to vfio-pci?)",
                 spec);
        return -1;
    case 'k':
        snprintf(devargs, sizeof(devargs), "net_af_packet_lc%d,iface=%s,framecnt=%u", index, spec,
                 PORT_AFP_FRAMECNT);
        break;
    case 'v':
        /* net_af_packet without a ring size of the user's: linecap's larger
         * default (an explicit framecnt= is kept as given) */
        if ((strncmp(spec, "net_af_packet", 13) == 0 || strncmp(spec, "eth_af_packet", 13) == 0) &&
            strstr(spec, "framecnt=") == NULL)
            snprintf(devargs, sizeof(devargs), "%s,framecnt=%u", spec, PORT_AFP_FRAMECNT);
        else
            snprintf(devargs, sizeof(devargs), "%s", spec);
        break;
    default:
        snprintf(err, errlen,
                 "-i '%s': expected a PCI address, a DPDK vdev (net_...), a port index or a "
                 "network interface", spec);
        return -1;
    }

    size_t n = strcspn(devargs, ",");
    if (n >= sizeof(name)) {
        snprintf(err, errlen, "-i '%s': device name too long", spec);
        return -1;
    }
    memcpy(name, devargs, n);
    name[n] = '\0';
    if (rte_eth_dev_get_port_by_name(name, id) == 0) {
        snprintf(err, errlen, "-i '%s': device %s is given twice", spec, name);
        return -1;
    }
    int rc = rte_dev_probe(devargs);
    if (rc < 0) {
        if (rc == -EFAULT) {
            /* the vdev bus found no driver for this name */
            size_t d = strlen(name);
            while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
                d--;
            snprintf(err, errlen,
                     "-i '%s': no DPDK driver named '%.*s' (expected a virtual device such as "
                     "net_pcap0, net_null0, net_memif0, net_af_packet0, net_tap0, net_vhost0, "
                     "net_virtio_user0, a PCI address or a port index)",
                     spec, (int)d, name);
        } else if (rc == -EPERM || rc == -EINVAL) {
            snprintf(err, errlen, "-i '%s': the driver refused these arguments%s", spec,
                     rte_log_get_global_level() >= RTE_LOG_ERR
                         ? " (unknown key or bad value; the driver's own message, if any, is above)" : "");
        } else {
            snprintf(err, errlen, "-i '%s': cannot create the device: %s", spec,
                     rte_strerror(-rc));
        }
        return -1;
    }
    if (rte_eth_dev_get_port_by_name(name, id) != 0) {
        snprintf(err, errlen, "-i '%s': device created but it is not an ethernet port", spec);
        return -1;
    }
    return 0;
}

/* Map the device clock to CLOCK_REALTIME: two readings of the device clock
 * window_ms apart, each bracketed by CLOCK_REALTIME reads. 0 or -errno. */
static int devclock_calibrate(uint16_t id, struct lc_clock *c, unsigned window_ms)
{
    uint64_t d0, d1, t0, t1;
    if (rte_eth_read_clock(id, &d0) != 0)
        return -ENOTSUP;
    t0 = lc_realtime_ns();
    struct timespec nap = { 0, (long)window_ms * 1000000L };
    nanosleep(&nap, NULL);
    if (rte_eth_read_clock(id, &d1) != 0)
        return -ENOTSUP;
    t1 = lc_realtime_ns();
    if (d1 <= d0 || t1 <= t0)
        return -EINVAL;
    c->base_tsc = d1;           /* here: a device clock reading */
    c->base_ns = t1;
    c->hz = (uint64_t)((__uint128_t)(d1 - d0) * 1000000000ULL / (t1 - t0));
    if (c->hz == 0)
        return -EINVAL;
    c->mult = (uint64_t)(((__uint128_t)1000000000ULL << 32) / c->hz);
    return 0;
}

int port_setup(uint16_t id, unsigned nq, unsigned nb_rxd, unsigned extra_mbufs, bool want_nic_ts,
               struct port_info *pi, char *err, size_t errlen)
{
    struct rte_eth_dev_info info;
    struct rte_eth_conf conf;
    uint16_t rxd = (uint16_t)nb_rxd, txd = 512;
    int rc;

    memset(pi, 0, sizeof(*pi));
    pi->id = id;
    rc = rte_eth_dev_info_get(id, &info);
    if (rc != 0) {
        snprintf(err, errlen, "port %u: cannot read device info: %s", id, rte_strerror(-rc));
        return -1;
    }
    rte_eth_dev_get_name_by_port(id, pi->name);
    snprintf(pi->driver, sizeof(pi->driver), "%s", info.driver_name ? info.driver_name : "?");

    if (nq > info.max_rx_queues) {
        lc_warn("port %u %s: %u queues asked, the device has %u: using %u", id, pi->name, nq,
                info.max_rx_queues, info.max_rx_queues);
        nq = info.max_rx_queues;
    }
    if (nq == 0)
        nq = 1;
    pi->nq = nq;

    memset(&conf, 0, sizeof(conf));
    if (nq > 1) {
        uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
        if (hf) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = hf;
            pi->rss = true;
        }
    }
    uint32_t buf = RTE_MBUF_DEFAULT_DATAROOM;
    pi->max_frame = buf;
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
        pi->scatter = true;
        uint32_t mtu = RTE_MIN(info.max_mtu, (uint16_t)9600);
        if (mtu > RTE_ETHER_MTU)
            conf.rxmode.mtu = mtu;
    }
    pi->ts_offload_offered = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) != 0;
    pi->ts_field = -1;
    if (pi->ts_offload_offered && want_nic_ts) {
        int off = -1;
        uint64_t flag = 0;
        if (rte_mbuf_dyn_rx_timestamp_register(&off, &flag) == 0 && off >= 0) {
            conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
            pi->ts_field = off;
            pi->ts_flag = flag;
        } else {
            snprintf(pi->ts_note, sizeof(pi->ts_note), "no mbuf field for it");
        }
    } else if (pi->ts_offload_offered) {
        snprintf(pi->ts_note, sizeof(pi->ts_note), "--time-source tsc");
    }

    rc = rte_eth_dev_configure(id, (uint16_t)nq, 1, &conf);
    if (rc < 0 && conf.rxmode.mtu) {
        conf.rxmode.mtu = 0;    /* some devices refuse a jumbo MTU: try without */
        rc = rte_eth_dev_configure(id, (uint16_t)nq, 1, &conf);
    }
    if (rc < 0) {
        snprintf(err, errlen, "port %u %s: cannot configure %u receive queues: %s", id, pi->name,
                 nq, rte_strerror(-rc));
        return -1;
    }
    if (conf.rxmode.mtu)
        pi->max_frame = conf.rxmode.mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
    rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd);

    int socket = rte_eth_dev_socket_id(id);
    if (socket < 0)
        socket = (int)rte_socket_id();
    char pname[RTE_MEMPOOL_NAMESIZE];
    snprintf(pname, sizeof(pname), "lc_mb%u", id);
    unsigned nmb = nq * (rxd + 64) + extra_mbufs + 1024;
    pi->mp = rte_pktmbuf_pool_create(pname, nmb, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pi->mp == NULL) {
        snprintf(err, errlen, "port %u %s: cannot allocate %u mbufs: %s", id, pi->name, nmb,
                 rte_strerror(rte_errno));
        return -1;
    }
    for (unsigned q = 0; q < nq; q++) {
        struct rte_eth_rxconf rxc = info.default_rxconf;
        rxc.offloads = conf.rxmode.offloads;
        rc = rte_eth_rx_queue_setup(id, (uint16_t)q, rxd, (unsigned)socket, &rxc, pi->mp);
        if (rc < 0) {
            snprintf(err, errlen, "port %u %s: cannot set up receive queue %u: %s", id, pi->name,
                     q, rte_strerror(-rc));
            return -1;
        }
    }
    rc = rte_eth_tx_queue_setup(id, 0, txd, (unsigned)socket, NULL);
    if (rc < 0) {
        snprintf(err, errlen, "port %u %s: cannot set up a transmit queue: %s", id, pi->name,
                 rte_strerror(-rc));
        return -1;
    }
    rc = rte_eth_dev_start(id);
    if (rc < 0) {
        snprintf(err, errlen, "port %u %s: cannot start: %s", id, pi->name, rte_strerror(-rc));
        return -1;
    }
    if (pi->ts_field >= 0) {
        rc = devclock_calibrate(id, &pi->dclk, 100);
        if (rc == 0) {
            pi->nic_ts = true;
        } else {
            snprintf(pi->ts_note, sizeof(pi->ts_note), "the device clock cannot be read: %s",
                     rte_strerror(-rc));
            pi->ts_field = -1;
        }
    }
    rc = rte_eth_promiscuous_enable(id);
    pi->promisc = (rc == 0) || rte_eth_promiscuous_get(id) == 1;
    rte_eth_stats_reset(id);
    return 0;
}

/* Add the statistics of pi's kernel sockets since the last read (reading
 * resets them in the kernel). */
static void kernel_stats_harvest(struct port_info *pi)
{
    for (int i = 0; i < pi->nkfd; i++) {
        struct tpacket_stats ks;
        socklen_t len = sizeof(ks);
        memset(&ks, 0, sizeof(ks));
        if (getsockopt(pi->kfd[i], SOL_PACKET, PACKET_STATISTICS, &ks, &len) == 0) {
            pi->kdrops += ks.tp_drops;
            pi->kpackets += ks.tp_packets;
        }
    }
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int port_kernel_sockets(struct port_info *pi, const struct port_info *earlier, int nearlier,
                        char *err, size_t errlen)
{
    struct rte_eth_dev_info info;
    pi->nkfd = 0;
    if (strcmp(pi->driver, "net_af_packet") != 0)
        return 0;
    if (rte_eth_dev_info_get(pi->id, &info) != 0 || info.if_index == 0) {
        snprintf(err, errlen, "port %u %s: cannot read the interface index of the device", pi->id,
                 pi->name);
        return -1;
    }
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        snprintf(err, errlen, "port %u %s: cannot list /proc/self/fd to find its kernel sockets: %s",
                 pi->id, pi->name, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        struct stat st;
        int dom = 0;
        socklen_t len = sizeof(dom);
        struct sockaddr_ll sll;
        socklen_t slen = sizeof(sll);
        if (*end != '\0' || fd < 0 || fd == dirfd(d) || fstat((int)fd, &st) != 0 ||
            !S_ISSOCK(st.st_mode))
            continue;
        if (getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) != 0 || dom != AF_PACKET)
            continue;
        memset(&sll, 0, sizeof(sll));
        if (getsockname((int)fd, (struct sockaddr *)&sll, &slen) != 0 ||
            sll.sll_ifindex != (int)info.if_index)
            continue;
        bool claimed = false;
        for (int p = 0; p < nearlier && !claimed; p++)
            for (int k = 0; k < earlier[p].nkfd; k++)
                claimed |= earlier[p].kfd[k] == (int)fd;
        if (claimed)
            continue;
        if (pi->nkfd == PORT_MAX_KSOCK) {
            closedir(d);
            snprintf(err, errlen, "port %u %s: more than %d kernel sockets on interface index %u",
                     pi->id, pi->name, PORT_MAX_KSOCK, info.if_index);
            return -1;
        }
        pi->kfd[pi->nkfd++] = (int)fd;
    }
    closedir(d);
    /* One socket per queue pair (max_rx_queues). Two ports on one interface:
     * each takes that many, lowest descriptors first (the order the probes
     * opened them); their sockets share the PMD's fanout group, so the
     * attribution between the two ports is by that order, the sum exact. */
    qsort(pi->kfd, (size_t)pi->nkfd, sizeof(pi->kfd[0]), cmp_int);
    if (info.max_rx_queues > 0 && pi->nkfd > (int)info.max_rx_queues)
        pi->nkfd = (int)info.max_rx_queues;
    if (pi->nkfd == 0) {
        snprintf(err, errlen, "port %u %s: no AF_PACKET socket bound to interface index %u found: "
                 "its kernel drops could not be counted", pi->id, pi->name, info.if_index);
        return -1;
    }
    /* counted from here, like the device counters reset at start */
    kernel_stats_harvest(pi);
    pi->kdrops = pi->kpackets = 0;
    return pi->nkfd;
}

void port_read_stats(struct port_info *pi, uint64_t v[PC_MAX])
{
    struct rte_eth_stats st;
    uint64_t r[PC_MAX];
    kernel_stats_harvest(pi);
    if (rte_eth_stats_get(pi->id, &st) != 0) {
        pi->stat_last[PC_kernel_drops] = pi->kdrops;
        for (int i = 0; i < PC_MAX; i++)
            v[i] = pi->stat_base[i] + pi->stat_last[i];
        return;
    }
    r[PC_kernel_drops] = pi->kdrops;
    r[PC_nic_packets] = st.ipackets;
    r[PC_nic_bytes] = st.ibytes;
    r[PC_nic_missed] = st.imissed;
    r[PC_nic_errors] = st.ierrors;
    r[PC_mbuf_failures] = st.rx_nombuf;
    for (int i = 0; i < PC_MAX; i++) {
        if (r[i] < pi->stat_last[i]) {
            pi->stat_base[i] += pi->stat_last[i];
            pi->stat_reset = true;
        }
        pi->stat_last[i] = r[i];
        v[i] = pi->stat_base[i] + r[i];
    }
}

void port_shutdown(uint16_t id)
{
    rte_eth_dev_stop(id);
    rte_eth_dev_close(id);
}
