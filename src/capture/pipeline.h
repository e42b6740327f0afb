/* The capture pipeline: receive streams (one per receive lcore) encode
 * records into blocks and hand full blocks to one writer thread over a
 * single-producer/single-consumer ring per stream; the writer returns
 * blocks to a shared free ring. Nothing on the receive path waits for the
 * disk: with no free block a packet is dropped and counted. */
#ifndef LC_PIPELINE_H
#define LC_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_stack.h>

#include "capture/block.h"
#include "common/tsclock.h"
#include "filter/filter.h"
#include "format/format.h"
#include "format/pcapng.h"
#include "stats/counters.h"
#include "stats/stats.h"
#include "storage/names.h"
#include "storage/outfile.h"
#include "storage/rotation.h"

#define RX_BURST 32

struct rx_source {
    uint16_t port;
    uint16_t queue;
    int ts_field;               /* NIC timestamp dynfield offset, -1: TSC per burst */
    uint64_t ts_flag;
    const struct lc_clock *dclk;        /* device clock -> CLOCK_REALTIME */
    uint32_t ifid;              /* the port's index in -i order: its pcapng interface id */
    struct pcapng_epb_opts epb; /* options of this source's EPBs */
};

/* Counters of one source (port, queue) owned by its receive lcore. */
struct rx_counters {
    uint64_t v[QC_MAX];
} __rte_cache_aligned;

/* Shared run state. Set by the main thread or by whoever hits a limit. */
struct run_state {
    volatile int stop;          /* 1: stop receiving, drain, close */
    volatile int abort;         /* 1: second signal: stop writing now */
    int64_t budget;             /* packets left under -c (when has_budget) */
    bool has_budget;
    volatile int autostop;      /* a -c/-a limit stopped the capture */
    volatile int fatal;         /* exit code of a fatal writer error, 0 if none */
    char fatal_msg[512];
    /* The writer sleeps on a futex when every ring is empty; a receive
     * lcore that hands off a block wakes it only when it sleeps. */
    uint32_t writer_wake;       /* futex word: bumped by each wake */
    int writer_sleeping;        /* 1 while the writer is (about to be) asleep */
};

/* Wake the writer if it sleeps (after a handoff or at stop). */
void writer_kick(struct run_state *r);

struct rx_stream {
    /* Read-only after start. */
    int id;
    unsigned lcore;
    int nsrc;
    struct rx_source src[BLOCK_MAX_SRC];
    uint32_t snaplen;
    uint32_t bsize;             /* block size of the pool */
    uint32_t held_max;          /* most blocks this stream may hold (its share) */
    bool count_only;
    const struct lc_filter *filter;     /* NULL: keep every packet */
    const struct format_ops *fmt;
    bool ng;                    /* fmt is pcapng */
    const struct format_info *finfo;
    uint32_t trailer_len;       /* bytes the writer appends at close (pcapng ISBs) */
    struct rot_policy rot;
    uint64_t lim_bytes;         /* first size at which rotation_decide must be asked */
    uint64_t lim_pkts;
    uint64_t rot_ticks;         /* -b duration in TSC ticks, 0 if off */
    uint64_t flush_ticks;       /* hand off a partial block when idle this long */
    struct rte_ring *full;      /* SP/SC, to the writer */
    struct rte_stack *free;      /* LIFO, shared, from the writer */
    const struct lc_clock *clock;
    struct run_state *run;

    /* Owner (receive lcore) state. */
    struct block *cur;
    struct block *spare;        /* reserved for a record that straddles */
    uint32_t off;               /* bytes used in cur */
    uint32_t clean_off;         /* bytes of cur already flushed once */
    bool file_open;
    uint64_t file_seq;
    uint64_t fpos;              /* logical offset in the open file */
    struct rot_state fst;
    uint64_t deadline_tsc;      /* time rotation due */
    uint64_t last_handoff_tsc;
    volatile int done;          /* set by the lcore when it has handed off all */
    /* Blocks this stream holds: taken from the free stack by its lcore
     * (cur, spare, handed off) until the writer returns them. Incremented by
     * the lcore, decremented by the writer and by the lcore at stop. */
    uint32_t held;

    struct rx_counters cnt[BLOCK_MAX_SRC];
};

/* The device counters of one port as the main thread last read them
 * (every 10 ms, and once more after the receive lcores stopped, before
 * rx_done): relaxed stores by main, relaxed loads by the writer (pcapng
 * statistics blocks) and the metrics and telemetry threads. */
struct port_pub {
    uint64_t v[PC_MAX];
};

/* Receive loop for one stream (an lcore function). */
int rx_stream_main(void *arg);

#endif
