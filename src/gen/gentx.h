/* linecap-gen data plane: per-queue transmit context and the lcore loop.
 *
 * Each transmit queue is owned by one lcore and owns a disjoint set of
 * flows (flow f belongs to queue f mod nq), so per-flow sequence numbers
 * need no atomics. Counters are written only by the owner lcore and read
 * by the main thread with relaxed loads. */
#ifndef LC_GENTX_H
#define LC_GENTX_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "common/tsclock.h"
#include "gen/genconf.h"
#include "gen/replay.h"

struct rte_mempool;

/* One flow's header template: Ethernet/IPv4/UDP with the lengths and IPv4
 * checksum of the fixed size; csum_base is the IPv4 header sum without the
 * total length and checksum, for the sizes of a mix. */
struct gen_flow {
    uint8_t hdr[GEN_HDR_LEN];
    uint16_t pad;
    uint32_t csum_base;
    uint64_t seq;
} __rte_cache_aligned;

/* GQ_FORGIVEN: TSC ticks of pacing backlog forgiven (beyond max_lag). */
enum gen_qc { GQ_ATTEMPTED, GQ_SENT, GQ_FAILED, GQ_BYTES, GQ_ALLOC_FAIL, GQ_BEHIND, GQ_STAMPED,
              GQ_FORGIVEN, GQ_MAX };

/* Shared by all lcores; written by the main thread before launch, then
 * only stop (main) and budget (every lcore, atomically). */
struct gen_run {
    volatile int stop;
    bool has_budget;
    int64_t budget;             /* --count: frames not yet taken */
    bool retry;
    uint64_t start_tsc;         /* every queue's pacing starts here */
    uint64_t end_tsc;           /* --duration: no burst starts at or after; 0 = none */
    uint64_t max_lag_ticks;     /* pacing: backlog allowed before it is forgiven */
    const struct lc_clock *clock;
};

struct gen_txq {
    /* read-only after setup */
    uint16_t port, queue;
    struct rte_mempool *mp;
    struct gen_run *run;
    unsigned burst;
    bool paced, per_byte;       /* per_byte: --rate (wire bytes), else --pps (frames) */
    double tpu;                 /* TSC ticks per pacing unit */
    bool fixed;                 /* one size: the template is complete */
    uint16_t fixed_len;         /* bytes in the mbuf (no FCS) */
    uint16_t *sizes;            /* frame sizes with FCS, in send order */
    unsigned nsizes;
    struct gen_flow *flows;
    uint32_t nflows;
    const struct gen_replay *rp;
    uint32_t *recs;             /* replay: indices of this queue's records */
    uint32_t nrecs;
    uint64_t *rseq;             /* replay: next sequence number per file flow */
    /* owner state */
    uint32_t flow_cur, rec_cur;
    unsigned size_cur;
    uint64_t t0;                /* pacing origin (moves when lag is forgiven) */
    uint64_t units;             /* wire bytes or frames scheduled so far */
    /* counters, owner-written */
    uint64_t c[GQ_MAX] __rte_cache_aligned;
    uint64_t first_tsc, last_tsc;
    volatile int done;
} __rte_cache_aligned;

struct gen_worker {
    unsigned lcore;
    int nq;
    struct gen_txq *q[GEN_MAX_QUEUES];
};

/* lcore entry (arg: struct gen_worker *). Returns 0. */
int gen_worker_main(void *arg);

/* Header template of flow f for frame size (with FCS) size. */
void gen_flow_init(struct gen_flow *fl, const struct gen_config *c, uint32_t f, uint32_t size);

#endif
