#include "gen/gentx.h"

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_pause.h>

#include "format/stamp.h"

/* Owner-written counter, read by the main thread with relaxed loads. */
#define CNT_ADD(q, k, v) __atomic_store_n(&(q)->c[k], (q)->c[k] + (v), __ATOMIC_RELAXED)

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void gen_flow_init(struct gen_flow *fl, const struct gen_config *c, uint32_t f, uint32_t size)
{
    uint8_t *h = fl->hdr;
    uint16_t len = (uint16_t)(size - GEN_FCS);

    memset(fl, 0, sizeof(*fl));
    memcpy(h, c->dst_mac, 6);
    memcpy(h + 6, c->src_mac, 6);
    put16(h + 12, 0x0800);
    uint8_t *ip = h + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, 0);                   /* total length: below */
    put16(ip + 4, 0);                   /* id */
    put16(ip + 6, 0x4000);              /* DF */
    ip[8] = 64;
    ip[9] = 17;
    put16(ip + 10, 0);
    put32(ip + 12, gen_flow_src_ip(c->src_ip, f));
    put32(ip + 16, c->dst_ip);
    fl->csum_base = gen_csum_add(0, ip, 20);
    put16(ip + 2, (uint16_t)(len - 14));
    put16(ip + 10, gen_csum_fold(fl->csum_base + (uint32_t)(len - 14)));
    uint8_t *udp = ip + 20;
    put16(udp, gen_flow_src_port(f));
    put16(udp + 2, c->dst_port);
    put16(udp + 4, (uint16_t)(len - 34));
    put16(udp + 6, 0);                  /* no UDP checksum (IPv4 allows it) */
}

/* Generated frames: header from the flow's template, then the stamp; the
 * rest of the payload is never touched (the pool was zeroed at creation and
 * only these 60 bytes are ever written). Returns the bytes in the burst.
 * Measured: 64 B into net_null, alloc + build + tx + free, 80-92 Mpps on one
 * core = 11-12 ns/frame (EPYC VM; linecap-gen -i net_null0 --count 1e8). */
static inline uint64_t build_generated(struct gen_txq *q, struct rte_mbuf **pkts, unsigned n,
                                       uint64_t tx_ns)
{
    uint64_t bytes = 0;
    uint32_t fc = q->flow_cur;

    if (q->fixed) {
        const uint16_t len = q->fixed_len;
        for (unsigned i = 0; i < n; i++) {
            struct rte_mbuf *m = pkts[i];
            struct gen_flow *fl = &q->flows[fc];
            fc = fc + 1 == q->nflows ? 0 : fc + 1;
            uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
            memcpy(p, fl->hdr, GEN_HDR_LEN);
            lc_stamp_put(p + GEN_HDR_LEN, fl->seq++, tx_ns);
            m->data_len = len;
            m->pkt_len = len;
        }
        bytes = (uint64_t)len * n;
        if (q->per_byte)
            q->units += (uint64_t)(len + GEN_FCS + GEN_WIRE_OVERHEAD) * n;
    } else {
        unsigned sc = q->size_cur;
        for (unsigned i = 0; i < n; i++) {
            struct rte_mbuf *m = pkts[i];
            struct gen_flow *fl = &q->flows[fc];
            fc = fc + 1 == q->nflows ? 0 : fc + 1;
            uint16_t len = (uint16_t)(q->sizes[sc] - GEN_FCS);
            sc = sc + 1 == q->nsizes ? 0 : sc + 1;
            uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
            memcpy(p, fl->hdr, GEN_HDR_LEN);
            uint16_t iplen = (uint16_t)(len - 14);
            put16(p + 16, iplen);
            put16(p + 24, gen_csum_fold(fl->csum_base + iplen));
            put16(p + 38, (uint16_t)(len - 34));
            lc_stamp_put(p + GEN_HDR_LEN, fl->seq++, tx_ns);
            m->data_len = len;
            m->pkt_len = len;
            bytes += len;
        }
        q->size_cur = sc;
        if (q->per_byte)
            q->units += bytes + (uint64_t)(GEN_FCS + GEN_WIRE_OVERHEAD) * n;
    }
    q->flow_cur = fc;
    if (!q->per_byte)
        q->units += n;
    CNT_ADD(q, GQ_STAMPED, n);
    return bytes;
}

/* Replayed frames: the record copied whole; with --stamp, 18 bytes more. */
static inline uint64_t build_replay(struct gen_txq *q, struct rte_mbuf **pkts, unsigned n,
                                    uint64_t tx_ns)
{
    const struct gen_replay *rp = q->rp;
    uint64_t bytes = 0, stamped = 0;
    uint32_t rc = q->rec_cur;

    for (unsigned i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        const struct gen_record *r = &rp->rec[q->recs[rc]];
        rc = rc + 1 == q->nrecs ? 0 : rc + 1;
        const uint8_t *src = rp->arena + r->off;
        uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
        rte_memcpy(p, src, r->len);
        if (r->stamp_off) {
            lc_stamp_put(p + r->stamp_off, q->rseq[r->flow]++, tx_ns);
            if (r->csum_off)
                gen_csum_patch(p + r->csum_off, src + r->stamp_off, p + r->stamp_off, LC_STAMP_LEN);
            stamped++;
        }
        m->data_len = r->len;
        m->pkt_len = r->len;
        bytes += r->len;
    }
    q->rec_cur = rc;
    if (q->per_byte)
        q->units += bytes + (uint64_t)(GEN_FCS + GEN_WIRE_OVERHEAD) * n;
    else
        q->units += n;
    if (stamped)
        CNT_ADD(q, GQ_STAMPED, stamped);
    return bytes;
}

/* One burst: take budget, allocate, build, transmit (retrying what the
 * port refuses unless --no-retry). Returns -1 when the budget is spent. */
static int send_burst(struct gen_txq *q, uint64_t now)
{
    struct gen_run *run = q->run;
    struct rte_mbuf *pkts[GEN_MAX_BURST];
    unsigned n = q->burst;

    if (run->has_budget) {
        int64_t left = __atomic_fetch_sub(&run->budget, (int64_t)n, __ATOMIC_RELAXED);
        if (left <= 0)
            return -1;
        if (left < (int64_t)n) {
            /* give back what we cannot use, so the others see exact zero */
            __atomic_fetch_add(&run->budget, (int64_t)n - left, __ATOMIC_RELAXED);
            n = (unsigned)left;
        }
    }
    if (unlikely(rte_pktmbuf_alloc_bulk(q->mp, pkts, n) != 0)) {
        CNT_ADD(q, GQ_ALLOC_FAIL, 1);
        if (run->has_budget)
            __atomic_fetch_add(&run->budget, (int64_t)n, __ATOMIC_RELAXED);
        return 0;
    }
    uint64_t tx_ns = lc_clock_ns(run->clock, now);
    uint64_t bytes = q->rp ? build_replay(q, pkts, n, tx_ns) : build_generated(q, pkts, n, tx_ns);
    CNT_ADD(q, GQ_ATTEMPTED, n);

    uint16_t sent = rte_eth_tx_burst(q->port, q->queue, pkts, (uint16_t)n);
    if (unlikely(sent < n)) {
        if (run->retry) {
            while (sent < n && !run->stop)
                sent += rte_eth_tx_burst(q->port, q->queue, pkts + sent, (uint16_t)(n - sent));
        }
        if (sent < n) {
            for (unsigned i = sent; i < n; i++)
                bytes -= pkts[i]->pkt_len;
            rte_pktmbuf_free_bulk(pkts + sent, n - sent);
            CNT_ADD(q, GQ_FAILED, n - sent);
        }
    }
    CNT_ADD(q, GQ_SENT, sent);
    CNT_ADD(q, GQ_BYTES, bytes);
    return 0;
}

static inline uint64_t deadline_of(const struct gen_txq *q)
{
    return q->t0 + (uint64_t)((double)q->units * q->tpu);
}

int gen_worker_main(void *arg)
{
    struct gen_worker *w = arg;
    struct gen_run *run = w->q[0]->run;
    int live = w->nq;

    while (lc_rdtsc() < run->start_tsc && !run->stop)
        rte_pause();
    for (int i = 0; i < w->nq; i++)
        w->q[i]->t0 = run->start_tsc;

    /* Paced: a queue sends a burst when its deadline (origin + units sent x
     * ticks per unit) has passed; the deadline is absolute, so rounding
     * never accumulates. A backlog beyond max_lag (the link or this core
     * could not keep up) is forgiven rather than sent as one long burst. */
    while (live > 0 && !run->stop) {
        uint64_t now = lc_rdtsc();
        if (run->end_tsc && now >= run->end_tsc)
            break;
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < w->nq; i++) {
            struct gen_txq *q = w->q[i];
            if (q->done)
                continue;
            if (q->paced) {
                uint64_t dl = deadline_of(q);
                if (now < dl) {
                    if (dl < next)
                        next = dl;
                    continue;
                }
                if (now - dl > run->max_lag_ticks) {
                    q->t0 += now - dl - run->max_lag_ticks;
                    CNT_ADD(q, GQ_BEHIND, 1);
                    CNT_ADD(q, GQ_FORGIVEN, now - dl - run->max_lag_ticks);
                }
            }
            if (unlikely(q->first_tsc == 0))
                q->first_tsc = now;
            if (send_burst(q, now) < 0) {
                q->last_tsc = lc_rdtsc();
                q->done = 1;
                live--;
            }
            next = 0;
        }
        if (next != 0 && next != UINT64_MAX) {
            /* Every queue waits: pause, reading the TSC every few pauses
             * (one rdtsc costs ~6 ns here). */
            while (lc_rdtsc() < next && !run->stop) {
                rte_pause();
                rte_pause();
                rte_pause();
                rte_pause();
            }
        }
    }
    uint64_t end = lc_rdtsc();
    for (int i = 0; i < w->nq; i++) {
        if (!w->q[i]->done)
            w->q[i]->last_tsc = end;
        __atomic_store_n(&w->q[i]->done, 1, __ATOMIC_RELEASE);
    }
    return 0;
}
