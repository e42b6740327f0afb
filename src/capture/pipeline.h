/* The capture pipeline: receive streams (one per receive lcore) encode
 * records into blocks and hand full blocks to one writer thread over a
 * single-producer/single-consumer ring per stream; the writer returns
 * blocks to a shared free ring. Nothing on the receive path waits for the
 * disk: with no free block a packet is dropped and counted. */
#ifndef LC_PIPELINE_H
#define LC_PIPELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_stack.h>

#include "capture/block.h"
#include "dpdk/port.h"
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

/* The counters of source si of stream rx: its receive counters plus the
 * writer's (wcnt: that stream's writer counters, NULL without a writer),
 * by relaxed loads. The one sum behind the statistics and the pcapng
 * statistics blocks. */
void pipeline_source_counters(const struct rx_stream *rx, const struct rx_counters *wcnt, int si,
                              uint64_t v[QC_MAX]);

#define PIPELINE_MAX_PORTS ST_MAX_PORTS

/* What a pipeline is built from. The pointers stay valid while it lives. */
struct pipeline_conf {
    int nrx;                            /* receive streams: lcores 1..nrx */
    const unsigned *rx_cpus;            /* the CPU of each (statistics) */
    unsigned main_cpu;                  /* the writer's CPU */
    struct port_info *ports;            /* set up before pipeline_streams */
    int nports;
    uint32_t snaplen;
    bool count_only;                    /* no pool, no writer, no files */
    const struct lc_filter *filter;     /* NULL: keep every packet */
    const char *filter_text;
    const struct lc_clock *clock;
    uint64_t count;                     /* -c: packets to keep, 0 = no limit */
    struct rot_policy rot;              /* -b and the -a size and file limits */
    bool rotating;                      /* -b given: decided once, by the caller */
    uint64_t buffer_mib;                /* -B: the block pool */
    const struct format_ops *fmt;
    const struct format_info *finfo;    /* the ports as the file header names them */
    int dirfd;                          /* output directory */
    const struct name_template *tmpl;
    bool sync;                          /* fdatasync at close */
    unsigned mode;                      /* file mode */
    unsigned ring_files;                /* -b files:N, 0 = keep all */
    uint64_t disk_limit, min_free;
    bool index;                         /* an index beside every file (src/index) */
    struct hook *hook;                  /* -z: closed files handed over, NULL: none */
};

struct writer;
struct hook;

/* Receive streams, the block pool and its free stack, the writer, and the
 * device counters as the main thread publishes them. Zeroed memory is a
 * pipeline that pipeline_free accepts. */
struct pipeline {
    struct pipeline_conf c;
    struct run_state run;
    struct block_pool pool;
    unsigned held_max;                  /* blocks one stream may hold (block_plan) */
    struct rte_stack *free;
    struct rx_stream *streams;          /* c.nrx */
    struct writer *w;                   /* NULL with count_only */
    pthread_t wt;
    double t_start;                     /* lc_now_s() at start */
    uint64_t start_ns;                  /* CLOCK_REALTIME at start */
    bool writer_running, launched, rx_stopped;
    /* Device counters as the main thread reads them (they carry a port's
     * counters across a reset), and as it last published them: the one copy
     * every other thread reads (relaxed loads). */
    uint64_t port_read[PIPELINE_MAX_PORTS][PC_MAX];
    struct port_pub pub[PIPELINE_MAX_PORTS];
};

/* Keep c, build the file header once to know its size, then the block
 * pool (before any port starts: populating a large pool takes time) and
 * its free stack. Returns 0, or an exit code with one line in err. */
int pipeline_init(struct pipeline *p, const struct pipeline_conf *c, char *err, size_t errlen);

/* The streams, once c.ports are set up: every (port, queue) source spread
 * over the receive streams. Returns 0, or an exit code with one line in err. */
int pipeline_streams(struct pipeline *p, char *err, size_t errlen);

/* Assemble and start the writer thread (on c.main_cpu), note the start
 * time, launch the receive lcores. Returns 0, or an exit code with one
 * line in err. */
int pipeline_start(struct pipeline *p, char *err, size_t errlen);

/* Read the device counters and publish them (main thread only; nothing
 * once stopped: the final reading stays published). */
void pipeline_poll_ports(struct pipeline *p);

/* Stop receiving: the lcores end their files and return; the final device
 * counters are read and published; the writer is told to drain what is
 * queued and exit. Returns when the lcores are done, without waiting for
 * the writer (pipeline_drained). Idempotent. */
void pipeline_stop(struct pipeline *p);

/* After pipeline_stop: whether the writer has drained and exited (true
 * without a writer). Does not block. */
bool pipeline_drained(struct pipeline *p);

/* Tell the writer to stop writing now (a forced exit): what is queued is
 * counted as unwritten_abort. */
void pipeline_abort(struct pipeline *p);

/* Counters now; the device's as last published unless read_ports (main
 * thread only). Without read_ports any thread may call it. */
void pipeline_snapshot(struct pipeline *p, struct st_snapshot *ss, bool read_ports);

/* The files this run closed, in closing order (deleted ones marked): read
 * after the writer has exited. Returns how many; *files NULL with none. */
unsigned pipeline_files(const struct pipeline *p, const struct file_record **files);

/* After the writer has exited and the hook thread has been joined: each
 * file's hand-off outcome into its record, and the files:N deletions that
 * waited for a hook carried out (main thread). */
void pipeline_hook_done(struct pipeline *p);

/* Stop and join whatever runs (waiting for the writer's drain), free
 * everything. Needs the EAL. Idempotent; zeroed memory is fine. */
void pipeline_free(struct pipeline *p);

#endif
