/* Statistics snapshots and their three views (live line, exit summary,
 * JSON), all generated from the one counter list. Plain data, no DPDK. */
#ifndef LC_STATS_H
#define LC_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/json.h"
#include "stats/counters.h"

#define ST_MAX_PORTS 16
#define ST_MAX_QUEUES 64

struct st_queue {
    uint16_t queue;
    int stream;
    unsigned lcore;
    uint64_t v[QC_MAX];
};

struct st_port {
    uint16_t port;
    char name[128];
    char driver[64];
    uint64_t v[PC_MAX];
    int nq;
    struct st_queue q[ST_MAX_QUEUES];
};

struct st_snapshot {
    double elapsed_s;
    int nports;
    struct st_port ports[ST_MAX_PORTS];
    uint64_t tq[QC_MAX];        /* queue counters summed */
    uint64_t tp[PC_MAX];        /* port counters summed */
    uint64_t files;
    unsigned blocks_free, blocks_total;
    unsigned mbufs_in_use;      /* summed over the ports' pools (live line) */
    bool forced;                /* a second signal ended the drain early */
    bool hook_on;               /* -z given: hv[] is meaningful */
    uint64_t hv[HC_MAX];        /* LC_HOOK_COUNTERS */
    const char *filter;         /* the capture filter expression, NULL: none */
    const char *filter_engine;  /* "JIT" or "interpreter" */
};

/* What the writer reports about each closed file. */
struct file_record {
    char name[300];
    int stream;
    uint64_t records;
    uint64_t bytes;
    uint64_t ts_first, ts_last;
    int error;                  /* 0 or negative errno it ended with */
    /* Its index (name + IDX_SUFFIX, src/index/index.h), written after it
     * and deleted with it; its bytes count with the file's in --disk-limit. */
    bool indexed;               /* the index was written */
    uint64_t idx_bytes;         /* its size, 0 without one */
    int idx_error;              /* 0, or the negative errno that left the file without one */
    uint64_t idx_light;         /* its records indexed by time only: the index thread was
                                 * behind (every query reads their chunks) */
    bool deleted;               /* removed (with its index) by the files:N ring or to make room */
    bool reclaimed;             /* removed to make room (--disk-limit, --min-free, full disk) */
    /* -z: the hand-off's number (0: not handed over) and outcome (enum
     * hook_state, src/storage/hook.h; 0: no -z) */
    uint64_t hook_seq;
    uint8_t hook;
};

/* Why a file has no index, in words (fr->idx_error set). */
const char *st_index_error(const struct file_record *fr);

/* Sum queues and ports into tq/tp. */
void st_totals(struct st_snapshot *s);

/* received - (filtered + counted_only + written + every queue drop): 0 when
 * the identity holds. */
int64_t st_unaccounted(const uint64_t *qv);

/* Every DROP-class counter of the totals, queues' and ports' ("drops" in
 * the totals of --stats-json). Needs st_totals first. */
uint64_t st_drops(const struct st_snapshot *s);

/* One live line (rates over the interval since prev). */
void st_live_line(FILE *out, const struct st_snapshot *now, const struct st_snapshot *prev);

/* The exit summary, like tcpdump's, plus one line per file. */
void st_summary(FILE *out, const struct st_snapshot *s, const char *reason,
                const struct file_record *files, unsigned nfiles, const char *dir);

/* The --stats-json document (keys: counters.h; docs/METRICS.md) as the value of key (NULL: the
 * top-level value) in j (the run manifest embeds it under "stats"). */
void st_json_put(struct lc_json *j, const char *key, const struct st_snapshot *s,
                 const char *reason, int exit_code, const struct file_record *files,
                 unsigned nfiles, const char *dir);

/* The document alone to f, flushed (f stays open). Returns 0 or -errno. */
int st_json_write(FILE *f, const struct st_snapshot *s, const char *reason, int exit_code,
                  const struct file_record *files, unsigned nfiles, const char *dir);

/* Create the --stats-json file at path, as root before -Z: O_CREAT|O_EXCL|
 * O_NOFOLLOW, then exactly mode (whatever the umask) and, with uid >= 0,
 * owned by uid:gid. A regular file with one link owned by the effective user
 * or by uid (an earlier run's) is unlinked and created anew; a symlink, any
 * other kind of file, another user's or a hard-linked file is refused, never
 * opened. Returns the descriptor, or -1 with one line in err naming the path
 * and the reason. */
int st_json_create(const char *path, unsigned mode, long uid, long gid, char *err,
                   size_t errlen);

/* The same document written to f (opened by the caller before privileges
 * are dropped) and closed. Returns 0 or -errno. */
int st_json(FILE *f, const struct st_snapshot *s, const char *reason, int exit_code,
            const struct file_record *files, unsigned nfiles, const char *dir);

#endif
