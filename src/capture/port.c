#include "capture/port.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
        snprintf(devargs, sizeof(devargs), "net_af_packet_lc%d,iface=%s", index, spec);
        break;
    case 'v':
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

void port_read_stats(struct port_info *pi, uint64_t v[PC_MAX])
{
    struct rte_eth_stats st;
    uint64_t r[PC_MAX];
    if (rte_eth_stats_get(pi->id, &st) != 0) {
        for (int i = 0; i < PC_MAX; i++)
            v[i] = pi->stat_base[i] + pi->stat_last[i];
        return;
    }
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
