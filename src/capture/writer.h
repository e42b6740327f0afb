/* The writer thread: one per run; takes full blocks from every stream's
 * ring, writes them in place and carries out the file lifecycle (open,
 * trailer, sync, rename, ring and disk-room deletion). */
#ifndef LC_WRITER_H
#define LC_WRITER_H

#include "capture/pipeline.h"
#include "storage/hook.h"
#include "storage/retention.h"

/* The last partial page of a file plus the largest trailer (16 ISBs of 112
 * bytes) fit in this. */
#define WRITER_TAIL_CAP (2 * BLOCK_ALIGN)

struct idx_builder;

/* The index of the open file (src/index/index.h), built from the records of
 * each block after it is written: the receive core pays nothing. */
struct writer_index {
    struct idx_builder *b;      /* NULL: --no-index */
    uint64_t next;              /* file offset of the next record (or block) to walk */
    uint8_t *carry;             /* the first bytes of a record that straddles into the next block */
    uint32_t carry_len, carry_cap;
    uint8_t head[64];           /* the file's first bytes (struct idx_ident) */
    int err;                    /* 0, or why this file gets no index (-ENOMEM, -EILSEQ) */
    uint64_t shed;              /* records indexed by time only (the walk was behind) */
};

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
    struct writer_index ix;
    struct rx_counters cnt[BLOCK_MAX_SRC];      /* LC_WR_COUNTERS, owner: writer */
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
    struct rte_stack *free;
    struct run_state *run;
    const struct format_ops *fmt;
    const struct format_info *finfo;
    const struct port_pub *ports;       /* finfo->nifaces entries, in interface id order */
    uint64_t start_ns;          /* capture start, CLOCK_REALTIME (pcapng isb_starttime) */
    volatile int rx_done;       /* all receive lcores finished */
    bool warned_buffered;
    bool index;                 /* write an index beside every file */
    volatile uint64_t idx_failed;       /* closed files left without an index */
    bool ix_shed_all;           /* LINECAP_TEST_INDEX_LIGHT: every block walked light */
    /* The index thread walks the blocks the writer has written while the
     * writer waits for the disk with the next one; it returns them to the
     * free stack. NULL ixq: the writer walks them itself. */
    struct rte_ring *ixq;       /* written blocks, SP/SC, writer -> index thread */
    pthread_t ixt;
    bool ix_running;
    uint64_t ix_sent;           /* blocks queued (writer) */
    uint64_t ix_done;           /* blocks walked and returned (index thread) */
    volatile int ix_stop;
    uint32_t ix_wake;           /* futex word, as run_state.writer_wake */
    int ix_sleeping;

    /* This run's closed files (ret.files[0..ret.nfiles), read by main
     * after join) and which of them to delete: -b files:N, --disk-limit,
     * --min-free. */
    struct retention ret;
    volatile uint64_t files_closed;
    /* -z: each file closed whole is handed over; the files:N ring keeps a
     * file whose command has not finished (deferred[]: indices into
     * ret.files) and deletes it at a later close or at exit. */
    struct hook *hook;
    unsigned *deferred;
    unsigned ndeferred, cap_deferred;
};

/* Writer thread body. Returns when rx_done and every ring is drained. */
void *writer_main(void *arg);

/* What the writer is built from (writer_init). */
struct writer_conf {
    int nstreams;
    struct rx_stream *streams;          /* nstreams, the writer's sources */
    int dirfd;                          /* output directory */
    const struct name_template *tmpl;
    bool rotating;
    bool sync;                          /* fdatasync at close */
    unsigned mode;                      /* file mode */
    unsigned ring_files;                /* -b files:N, 0 = keep all */
    uint64_t disk_limit, min_free;
    struct rte_stack *free;
    struct run_state *run;
    const struct format_ops *fmt;
    const struct format_info *finfo;
    const struct port_pub *ports;
    bool index;                         /* an index beside every file (not --no-index) */
    unsigned nblocks;                   /* blocks in the pool (the index queue's size) */
    struct hook *hook;                  /* -z, NULL: none */
};

/* Fill w from c (allocations only, no thread). 0, or -ENOMEM with w freed. */
int writer_init(struct writer *w, const struct writer_conf *c);

/* After the writer has exited and the hooks have ended: delete the files
 * the ring kept for their hook, except those whose command never ran
 * (kept, listed). Main thread. */
void writer_flush_deferred(struct writer *w);

/* Free what writer_init allocated (the file list stays until then). Idempotent. */
void writer_free(struct writer *w);

#endif
