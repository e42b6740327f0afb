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

/* The last partial page of a file plus the largest trailer (16 ISBs of 112
 * bytes) fit in this. */
#define WRITER_TAIL_CAP (2 * BLOCK_ALIGN)

struct writer_stream {
    struct rx_stream *rx;
    struct outfile f;
    bool open;
    uint64_t file_seq;
    uint64_t file_start_ns;
    uint64_t rec_ok;            /* end of the last complete record on disk */
    uint64_t records, bytes, ts_first, ts_last;
    uint64_t files;
    uint64_t disk_size;         /* bytes the open file takes (its furthest write) */
    /* With a file trailer: the bytes [tail_off, rec_ok) of the open file (its
     * last partial page up to the last complete record), kept from the last
     * block written, so that the trailer can be written after them in one
     * aligned write at close. */
    uint8_t *tail;              /* TAIL_CAP bytes, BLOCK_ALIGN-aligned */
    uint64_t tail_off;
    bool failed;                /* a write error ended this file */
    struct rx_counters cnt[BLOCK_MAX_SRC];      /* LC_WR_COUNTERS, owner: writer */
    /* ring of closed files for -b files:N (indices into the file list) */
    int *ring;
    unsigned ring_n, ring_head, ring_count;
};

struct writer {
    int nstreams;
    struct writer_stream *ws;
    int dirfd;
    struct name_template tmpl;
    bool rotating;
    bool multi;                 /* several streams: names carry _sK */
    bool direct;                /* try O_DIRECT */
    bool sync;                  /* fdatasync at close */
    unsigned mode;              /* file mode */
    unsigned ring_files;        /* -b files:N, 0 = keep all */
    /* Room on disk (--disk-limit, --min-free): when either is set, this
     * run's oldest closed files are deleted to make room, also on ENOSPC. */
    uint64_t disk_limit, min_free;
    uint64_t closed_bytes;      /* bytes of this run's closed, undeleted files */
    unsigned reclaim_next;      /* files[] below this are deleted */
    volatile uint64_t files_reclaimed;
    struct rte_stack *free;
    struct run_state *run;
    const struct format_ops *fmt;
    const struct format_info *finfo;
    const struct port_pub *ports;       /* finfo->nifaces entries, in interface id order */
    uint64_t start_ns;          /* capture start, CLOCK_REALTIME (pcapng isb_starttime) */
    volatile int rx_done;       /* all receive lcores finished */
    bool warned_buffered;

    /* Closed files, appended by the writer, read by main after join. */
    struct file_record *files;
    unsigned nfiles, cap_files;
    volatile uint64_t files_closed;
};

/* Writer thread body. Returns when rx_done and every ring is drained. */
void *writer_main(void *arg);

#endif
