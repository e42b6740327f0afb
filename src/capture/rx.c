/* Receive loop: burst in, one timestamp per burst, encode records straight
 * into the current block, hand full blocks to the writer.
 *
 * Why one TSC read per burst: every packet of a burst was taken from the
 * ring by the same rte_eth_rx_burst call; reading the clock again per packet
 * would only measure our own encoding loop (and costs ~6 ns per read here). */
#include "capture/pipeline.h"

#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "format/pcap.h"
#include "format/pcapng.h"

/* A device clock reading to CLOCK_REALTIME ns; readings from before the
 * calibration point (packets received while it ran) map backwards. */
static inline uint64_t devclock_ns(const struct lc_clock *c, uint64_t ticks)
{
    int64_t d = (int64_t)(ticks - c->base_tsc);
    if (d >= 0)
        return c->base_ns + (uint64_t)(((__uint128_t)(uint64_t)d * c->mult) >> 32);
    return c->base_ns - (uint64_t)(((__uint128_t)(uint64_t)-d * c->mult) >> 32);
}

/* Return a burst to its mempool. The common case -- every mbuf direct,
 * one segment, not shared, from one pool -- is exactly the state a pool
 * keeps its free mbufs in, so the burst goes back in one bulk put with no
 * per-mbuf writes. Anything else takes DPDK's general path. */
static inline void free_burst(struct rte_mbuf **pkts, uint16_t n)
{
    struct rte_mempool *mp = pkts[0]->pool;
    for (uint16_t i = 0; i < n; i++) {
        const struct rte_mbuf *m = pkts[i];
        if (unlikely(m->pool != mp || m->nb_segs != 1 || rte_mbuf_refcnt_read(m) != 1 ||
                     (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)))) {
            rte_pktmbuf_free_bulk(pkts, n);
            return;
        }
    }
    rte_mempool_put_bulk(mp, (void **)pkts, n);
}


static inline void cnt_add(struct rx_stream *s, int si, int idx, uint64_t n)
{
    /* Single writer (this lcore); readers use relaxed loads. */
    __atomic_store_n(&s->cnt[si].v[idx], s->cnt[si].v[idx] + n, __ATOMIC_RELAXED);
}

/* A free block, or NULL when the pool is empty or this stream already
 * holds its share (so that one fast stream cannot starve the others). */
static struct block *block_get(struct rx_stream *s)
{
    void *p;
    if (__atomic_load_n(&s->held, __ATOMIC_RELAXED) >= s->held_max)
        return NULL;
    if (rte_stack_pop(s->free, &p, 1) != 1)
        return NULL;
    __atomic_fetch_add(&s->held, 1, __ATOMIC_RELAXED);
    struct block *b = p;
    b->len = 0;
    b->flags = 0;
    b->stream = (uint16_t)s->id;
    b->rec_end = 0;
    b->file_seq = s->file_seq;
    b->file_start_ns = 0;
    b->ts_first = 0;
    b->ts_last = 0;
    memset(b->nrec, 0, sizeof(b->nrec));
    memset(b->nbytes, 0, sizeof(b->nbytes));
    return b;
}

static void handoff(struct rx_stream *s, struct block *b, uint32_t len, uint64_t tsc)
{
    b->len = len;
    /* The ring holds every block of the pool: it cannot be full. */
    rte_ring_sp_enqueue(s->full, b);
    s->last_handoff_tsc = tsc;
    writer_kick(s->run);
}

/* End the open file: its last block goes out marked FILE_END. If the last
 * block already went out full, the next FILE_START closes the file. */
static void file_end(struct rx_stream *s, uint64_t tsc)
{
    if (s->cur && s->off > 0) {
        s->cur->flags |= BLOCK_FILE_END;
        handoff(s, s->cur, s->off, tsc);
        s->cur = NULL;
        s->off = 0;
    }
    s->file_open = false;
}

/* Start file number file_seq+1 in a fresh block, header first. Returns false
 * when no block is free (the caller retries; packets meanwhile are dropped). */
static bool file_start(struct rx_stream *s, uint64_t tsc)
{
    if (s->cur == NULL) {
        s->cur = block_get(s);
        if (s->cur == NULL)
            return false;
    }
    struct block *b = s->cur;
    uint64_t now = lc_clock_ns(s->clock, tsc);
    b->file_seq = ++s->file_seq;
    b->flags |= BLOCK_FILE_START;
    b->file_start_ns = now;
    b->file_off = 0;
    size_t h = s->fmt->file_header(b->data, s->bsize, s->finfo);
    s->off = (uint32_t)h;
    s->clean_off = 0;
    b->rec_end = h;
    s->fpos = h;
    /* The blocks the writer appends at close count in the file's size. */
    s->fst.bytes = h + s->trailer_len;
    s->fst.pkts = 0;
    s->fst.start_ns = now;
    s->fst.index = s->file_seq;
    s->deadline_tsc = s->rot_ticks ? tsc + s->rot_ticks : UINT64_MAX;
    s->fst.boundary_ns = rotation_boundary(s->rot.interval_ns, now);
    if (s->fst.boundary_ns != UINT64_MAX) {
        /* -b interval: the next wall-clock boundary as a TSC deadline, so
         * the per-burst check stays one compare. 1 us early: the policy,
         * which sees ns, decides exactly (keep until the boundary). */
        uint64_t gap = s->fst.boundary_ns - now;
        uint64_t d = tsc + lc_clock_ticks(s->clock, gap > 1000 ? gap - 1000 : 0);
        if (d < s->deadline_tsc)
            s->deadline_tsc = d;
    }
    s->file_open = true;
    return true;
}

static void stop_for_limit(struct rx_stream *s)
{
    s->run->autostop = 1;
    s->run->stop = 1;
}

/* Ask the rotation policy before a record of reclen bytes at ns (reclen 0:
 * a time check) and carry out its answer: rotate (end the file, start the
 * next: file_open stays false when no block was free for it), or stop the
 * capture at a -a limit. False when stopped. */
static bool rotate_or_stop(struct rx_stream *s, uint64_t ns, uint32_t reclen, uint64_t tsc)
{
    enum rot_action a = rotation_decide(&s->rot, &s->fst, ns, reclen);
    if (a == ROT_STOP) {
        stop_for_limit(s);
        return false;
    }
    if (a == ROT_ROTATE) {
        file_end(s, tsc);
        file_start(s, tsc);
    }
    return true;
}

/* Make room for a record of reclen bytes: a current block, and a spare when
 * the record will straddle into the next block. False: drop the record. */
static bool reserve(struct rx_stream *s, uint32_t reclen)
{
    if (s->cur == NULL) {
        s->cur = block_get(s);
        if (s->cur == NULL)
            return false;
        s->cur->file_off = s->fpos;     /* after a full block: aligned */
        s->off = 0;
        s->clean_off = 0;
    }
    if (s->off + reclen > s->bsize && s->spare == NULL) {
        s->spare = block_get(s);
        if (s->spare == NULL)
            return false;
    }
    return true;
}

/* Append bytes, continuing into the spare block at the block boundary. */
static void put_bytes(struct rx_stream *s, const void *p, uint32_t n, uint64_t tsc)
{
    const uint8_t *src = p;
    while (n > 0) {
        uint32_t k = RTE_MIN(n, s->bsize - s->off);
        memcpy(s->cur->data + s->off, src, k);
        s->off += k;
        src += k;
        n -= k;
        if (s->off == s->bsize && n > 0) {
            struct block *next = s->spare;
            s->spare = NULL;
            next->file_off = s->cur->file_off + s->bsize;
            handoff(s, s->cur, s->bsize, tsc);
            s->cur = next;
            s->off = 0;
            s->clean_off = 0;
        }
    }
}

static inline void rec_done(struct rx_stream *s, int si, uint32_t reclen, uint64_t ns)
{
    struct block *b = s->cur;
    b->nrec[si]++;
    b->nbytes[si] += reclen;
    b->rec_end = b->file_off + s->off;
    if (b->ts_first == 0)
        b->ts_first = ns;
    b->ts_last = ns;
    s->fst.bytes += reclen;
    s->fst.pkts++;
}

/* Bytes of the record of a caplen-byte frame from source src. */
static __rte_always_inline uint32_t rec_len(const bool ng, const struct rx_source *src,
                                            uint32_t caplen)
{
    return ng ? pcapng_epb_len(caplen, src->epb.len)
              : (uint32_t)sizeof(struct pcap_rec_hdr) + caplen;
}

/* Bytes the segments of m hold, counted up to at least upto (a chain is
 * walked no further than nb_segs segments). */
static uint32_t seg_bytes(const struct rte_mbuf *m, uint32_t upto)
{
    uint32_t have = 0;
    uint16_t nseg = 0;
    for (const struct rte_mbuf *seg = m; seg != NULL && nseg < m->nb_segs && have < upto;
         seg = seg->next, nseg++)
        have += seg->data_len;
    return have;
}

/* The general path: no block yet, a straddling record, a chained mbuf or a
 * limit to check. Returns 0 stored, 1 dropped, 2 stop (limit reached). */
static int record_slow(struct rx_stream *s, int si, struct rte_mbuf *m, uint32_t caplen,
                       uint64_t ns, uint64_t tsc)
{
    const struct rx_source *src = &s->src[si];
    /* A record never claims more bytes than the segments hold: a driver can
     * say a length its buffers do not carry (DPDK 22.11's net_pcap keeps a
     * jumbo frame's length in 16 bits: pkt_len 80054, 14518 bytes). */
    uint32_t have = seg_bytes(m, caplen);
    if (have < caplen) {
        caplen = have;
        cnt_add(s, si, QC_short_frames, 1);
    }
    uint32_t reclen = rec_len(s->ng, src, caplen);

    if (!s->file_open && !file_start(s, tsc))
        return 1;
    if (s->fst.bytes + reclen > s->lim_bytes || s->fst.pkts >= s->lim_pkts) {
        if (!rotate_or_stop(s, ns, reclen, tsc))
            return 2;
        if (!s->file_open)
            return 1;
    }
    if (!reserve(s, reclen))
        return 1;

    if (s->ng) {
        struct pcapng_epb h = pcapng_epb_hdr(reclen, src->ifid, ns, caplen, m->pkt_len);
        put_bytes(s, &h, sizeof(h), tsc);
    } else {
        uint8_t hdr[sizeof(struct pcap_rec_hdr)];
        uint32_t sec, nsec;
        pcap_ts_split(ns, &sec, &nsec);
        pcap_put_rec_hdr(hdr, sec, nsec, caplen, m->pkt_len);
        put_bytes(s, hdr, sizeof(hdr), tsc);
    }
    uint32_t left = caplen;
    for (struct rte_mbuf *seg = m; left > 0; seg = seg->next) {
        uint32_t k = RTE_MIN(left, (uint32_t)seg->data_len);
        put_bytes(s, rte_pktmbuf_mtod(seg, void *), k, tsc);
        left -= k;
    }
    if (s->ng) {
        uint8_t tail[3 + PCAPNG_EPB_OPTS_MAX + 4];
        put_bytes(s, tail, pcapng_epb_trailer(tail, caplen, reclen, &src->epb), tsc);
    }
    rec_done(s, si, reclen, ns);
    if (s->off == s->bsize) {
        handoff(s, s->cur, s->bsize, tsc);
        s->fpos = s->cur->file_off + s->bsize;
        s->cur = NULL;
        s->off = 0;
    }
    return 0;
}

/* Take up to n packets under the -c budget; returns how many to keep. */
static inline uint16_t budget_take(struct rx_stream *s, uint16_t n)
{
    if (!s->run->has_budget)
        return n;
    int64_t old = __atomic_fetch_sub(&s->run->budget, n, __ATOMIC_RELAXED);
    int64_t take = old <= 0 ? 0 : (old < n ? old : n);
    if (old - n <= 0) {
        s->run->autostop = 1;
        s->run->stop = 1;
    }
    return (uint16_t)take;
}

/* Store a burst, specialised per format (ng: pcapng EPBs, else pcap
 * records) so that neither pays for the other. Measured: see
 * bench/RESULTS.md (net_null, 64 B). */
static __rte_always_inline void burst_store(struct rx_stream *s, int si, struct rte_mbuf **pkts,
                                            uint16_t n, uint16_t keep, uint64_t tsc,
                                            const bool ng)
{
    uint64_t ns = lc_clock_ns(s->clock, tsc);
    uint32_t sec = 0, nsec = 0;
    if (!ng)
        pcap_ts_split(ns, &sec, &nsec);
    const uint32_t snap = s->snaplen;
    uint64_t bytes = 0, dropped = 0;
    uint16_t i = 0;

    if (tsc >= s->deadline_tsc && !rotate_or_stop(s, ns, 0, tsc))
        keep = 0;

    /* Writer behind and no block free: drop the burst in one step rather
     * than asking the free ring once per packet. */
    if (unlikely(s->cur == NULL) && s->file_open) {
        s->cur = block_get(s);
        if (s->cur == NULL) {
            for (i = 0; i < keep; i++)
                bytes += pkts[i]->pkt_len;
            dropped = keep;
            i = keep;
        } else {
            s->cur->file_off = s->fpos;
            s->off = 0;
            s->clean_off = 0;
        }
    }

    const struct rx_source *src = &s->src[si];
    for (; i < keep; i++) {
        struct rte_mbuf *m = pkts[i];
        if (i + 1 < keep)
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
        if (unlikely(src->ts_field >= 0)) {
            /* the NIC's own receive time, per packet, when it gave one */
            if (m->ol_flags & src->ts_flag) {
                ns = devclock_ns(src->dclk,
                                 *RTE_MBUF_DYNFIELD(m, src->ts_field, const uint64_t *));
            } else {
                ns = lc_clock_ns(s->clock, tsc);
            }
            if (!ng)
                pcap_ts_split(ns, &sec, &nsec);
        }
        uint32_t len = m->pkt_len;
        uint32_t caplen = RTE_MIN(len, snap);
        uint32_t reclen = rec_len(ng, src, caplen);
        bytes += len;

        /* one buffer holding the whole frame (else record_slow reads the
         * chain, and what a short buffer really holds) */
        if (likely(s->cur != NULL && s->off + reclen <= s->bsize && m->data_len == len &&
                   s->fst.bytes + reclen <= s->lim_bytes && s->fst.pkts < s->lim_pkts &&
                   s->file_open)) {
            uint8_t *dst = s->cur->data + s->off;
            if (ng) {
                pcapng_put_epb_head(dst, reclen, src->ifid, ns, caplen, len);
                rte_memcpy(dst + sizeof(struct pcapng_epb), rte_pktmbuf_mtod(m, void *), caplen);
                pcapng_put_epb_tail(dst, reclen, &src->epb);
            } else {
                pcap_put_rec_hdr(dst, sec, nsec, caplen, len);
                rte_memcpy(dst + sizeof(struct pcap_rec_hdr), rte_pktmbuf_mtod(m, void *),
                           caplen);
            }
            s->off += reclen;
            rec_done(s, si, reclen, ns);
            if (unlikely(s->off == s->bsize)) {
                handoff(s, s->cur, s->bsize, tsc);
                s->fpos = s->cur->file_off + s->bsize;
                s->cur = NULL;
                s->off = 0;
            }
            continue;
        }
        int r = record_slow(s, si, m, caplen, ns, tsc);
        if (r == 1) {
            dropped++;
        } else if (r == 2) {        /* rotate_or_stop stopped the capture */
            bytes -= len;
            keep = i;
            break;
        }
    }
    cnt_add(s, si, QC_received, keep);
    cnt_add(s, si, QC_received_bytes, bytes);
    if (dropped)
        cnt_add(s, si, QC_dropped_no_block, dropped);
    if (n > keep)
        cnt_add(s, si, QC_after_limit, n - keep);
    free_burst(pkts, n);
}

static void burst_store_pcap(struct rx_stream *s, int si, struct rte_mbuf **pkts, uint16_t n,
                             uint16_t keep, uint64_t tsc)
{
    burst_store(s, si, pkts, n, keep, tsc, false);
}

static void burst_store_pcapng(struct rx_stream *s, int si, struct rte_mbuf **pkts, uint16_t n,
                               uint16_t keep, uint64_t tsc)
{
    burst_store(s, si, pkts, n, keep, tsc, true);
}

/* Count-only: the identical receive, timestamp and accounting path, with the
 * encoding and storage left out. */
static void burst_count(struct rx_stream *s, int si, struct rte_mbuf **pkts, uint16_t n,
                        uint16_t keep, uint64_t tsc)
{
    uint64_t bytes = 0;
    volatile uint64_t ns = lc_clock_ns(s->clock, tsc);
    (void)ns;
    for (uint16_t i = 0; i < keep; i++)
        bytes += pkts[i]->pkt_len;
    cnt_add(s, si, QC_received, keep);
    cnt_add(s, si, QC_received_bytes, bytes);
    cnt_add(s, si, QC_counted_only, keep);
    if (n > keep)
        cnt_add(s, si, QC_after_limit, n - keep);
    free_burst(pkts, n);
}

/* Run the capture filter over a burst: the packets it matches stay at the
 * front of pkts in their order; the others are freed here and counted as
 * received and filtered (never as drops). Returns how many match.
 * Measured (bench/filter.sh, 64 B, count-only, JIT): +6.9 ns/packet for
 * 'udp', +10.1 ns for a two-branch VLAN/IPv6 expression. */
static uint16_t burst_filter(struct rx_stream *s, int si, struct rte_mbuf **pkts, uint16_t n)
{
    uint64_t rc[RX_BURST];
    struct rte_mbuf *rej[RX_BURST];
    uint16_t k = 0, r = 0;
    uint64_t rbytes = 0;

    /* A buffer chain holding fewer bytes than pkt_len (see record_slow)
     * would take the filter's loads past its last segment: the filter sees
     * the bytes present, the record the length as given. */
    uint32_t saved_len[RX_BURST];
    uint16_t short_at[RX_BURST], nshort = 0;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        if (unlikely(m->data_len != m->pkt_len)) {
            uint32_t have = seg_bytes(m, m->pkt_len);
            if (have < m->pkt_len) {
                saved_len[nshort] = m->pkt_len;
                short_at[nshort++] = i;
                m->pkt_len = have;
            }
        }
    }
    filter_run_burst(s->filter, pkts, rc, n);
    for (uint16_t j = 0; j < nshort; j++)
        pkts[short_at[j]]->pkt_len = saved_len[j];
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        if (rc[i] != 0) {
            pkts[k++] = m;
        } else {
            rej[r++] = m;
            rbytes += m->pkt_len;
        }
    }
    if (r) {
        cnt_add(s, si, QC_received, r);
        cnt_add(s, si, QC_received_bytes, rbytes);
        cnt_add(s, si, QC_filtered, r);
        free_burst(rej, r);
    }
    return k;
}

/* One burst from source si: filter, take from the -c budget, store or
 * count. Returns the packets that passed the filter (0: nothing to do, so
 * the caller's idle work -- flushes, time rotation -- still runs when a
 * busy link carries only packets the filter rejects). */
static uint16_t burst_handle(struct rx_stream *s, int si, struct rte_mbuf **pkts, uint16_t n,
                             uint64_t tsc)
{
    if (s->filter != NULL) {
        n = burst_filter(s, si, pkts, n);
        if (n == 0)
            return 0;
    }
    uint16_t keep = budget_take(s, n);
    if (s->count_only)
        burst_count(s, si, pkts, n, keep, tsc);
    else if (s->ng)
        burst_store_pcapng(s, si, pkts, n, keep, tsc);
    else
        burst_store_pcap(s, si, pkts, n, keep, tsc);
    return n;
}

/* Idle work between bursts: time rotation with no traffic, retrying a file
 * start that found no block, and flushing a partial block so that a slow
 * link still reaches the disk within flush_ticks. */
static void idle_work(struct rx_stream *s, uint64_t tsc)
{
    if (s->count_only)
        return;
    if (!s->file_open) {
        file_start(s, tsc);
        return;
    }
    if (tsc >= s->deadline_tsc) {
        rotate_or_stop(s, lc_clock_ns(s->clock, tsc), 0, tsc);
        return;
    }
    if (s->cur && s->off > s->clean_off && tsc - s->last_handoff_tsc >= s->flush_ticks) {
        struct block *next = block_get(s);
        if (next == NULL)
            return;
        uint32_t tail = s->off & (BLOCK_ALIGN - 1);
        uint32_t aligned = s->off - tail;
        next->file_off = s->cur->file_off + aligned;
        memcpy(next->data, s->cur->data + aligned, tail);
        /* Flushes happen between records: the tail ends on a boundary. */
        next->rec_end = tail ? next->file_off + tail : 0;
        handoff(s, s->cur, s->off, tsc);
        s->cur = next;
        s->off = tail;
        s->clean_off = tail;
    }
}

int rx_stream_main(void *arg)
{
    struct rx_stream *s = arg;
    struct rte_mbuf *pkts[RX_BURST];
    uint64_t tsc = rte_rdtsc();

    s->last_handoff_tsc = tsc;
    s->deadline_tsc = UINT64_MAX;
    if (!s->count_only)
        file_start(s, tsc);

    while (likely(!__atomic_load_n(&s->run->stop, __ATOMIC_RELAXED))) {
        uint16_t got = 0;
        for (int si = 0; si < s->nsrc; si++) {
            uint16_t n = rte_eth_rx_burst(s->src[si].port, s->src[si].queue, pkts, RX_BURST);
            if (n == 0)
                continue;
            tsc = rte_rdtsc();
            got += burst_handle(s, si, pkts, n, tsc);
        }
        if (got == 0) {
            tsc = rte_rdtsc();
            idle_work(s, tsc);
        }
    }

    /* Drain: packets already in the receive rings arrived before the stop;
     * take them (bounded to 10 ms for a source that never runs dry) so the
     * device counters and ours agree. Not after a -c/-a limit or a forced
     * exit. */
    if (!s->run->autostop && !s->run->abort) {
        uint64_t until = rte_rdtsc() + s->flush_ticks / 10;
        bool more = true;
        while (more && rte_rdtsc() < until) {
            more = false;
            for (int si = 0; si < s->nsrc; si++) {
                uint16_t n = rte_eth_rx_burst(s->src[si].port, s->src[si].queue, pkts, RX_BURST);
                if (n == 0)
                    continue;
                more = true;
                tsc = rte_rdtsc();
                burst_handle(s, si, pkts, n, tsc);
            }
        }
    }

    /* Stop: the open file's last block goes out unmarked. The writer closes
     * the file once every receive lcore has stopped and the main thread has
     * read the ports' final counters (rx_done), so that the statistics
     * blocks a format writes at close hold the final values. */
    tsc = rte_rdtsc();
    if (!s->count_only && s->file_open) {
        if (s->cur && s->off > 0) {
            handoff(s, s->cur, s->off, tsc);
            s->cur = NULL;
            s->off = 0;
        }
        s->file_open = false;
    }
    if (s->cur) {
        __atomic_fetch_sub(&s->held, 1, __ATOMIC_RELAXED);
        rte_stack_push(s->free, (void **)&s->cur, 1);
        s->cur = NULL;
    }
    if (s->spare) {
        __atomic_fetch_sub(&s->held, 1, __ATOMIC_RELAXED);
        rte_stack_push(s->free, (void **)&s->spare, 1);
        s->spare = NULL;
    }
    __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
    writer_kick(s->run);
    return 0;
}
