/* Post-rotation hand-off (-z CMD): each closed file is run through CMD FILE
 * on a thread of its own, never on the writer's or a receive lcore's time.
 * The writer only pushes the file onto a bounded single-producer/single-
 * consumer queue (hook_submit: no lock, no syscall but one eventfd write);
 * the hook thread spawns CMD (posix_spawn, bounded concurrency), reaps it
 * through a pidfd, logs failures and counts every outcome. A full queue
 * hands nothing over: the file stays on disk, warned, counted, listed. */
#ifndef LC_HOOK_H
#define LC_HOOK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "stats/counters.h"
#include "stats/stats.h"

/* ---- the queue (pure: unit-tested without threads) ----
 *
 * One producer (the writer), one consumer (the hook thread). Entries are
 * numbered from 1 in submission order (seq); a slot holds the file's name
 * and its index in the writer's file list. */
struct hookq_ent {
    uint64_t seq;
    unsigned file;              /* index into the writer's file_record list */
    char name[300];             /* as file_record.name */
};

struct hookq {
    struct hookq_ent *e;
    unsigned cap;
    uint64_t head;              /* next to pop (consumer) */
    uint64_t tail;              /* next to push (producer) */
};

/* A queue of cap entries. 0 or -ENOMEM. */
int hookq_init(struct hookq *q, unsigned cap);
void hookq_free(struct hookq *q);

/* Producer: append; false when full (nothing changes). */
bool hookq_push(struct hookq *q, uint64_t seq, unsigned file, const char *name);

/* Consumer: take the oldest into *out; false when empty. */
bool hookq_pop(struct hookq *q, struct hookq_ent *out);

/* Entries waiting (either side; exact when the other side is idle). */
unsigned hookq_count(const struct hookq *q);

/* ---- the runner ---- */

#define HOOK_MAX_JOBS 64

/* What became of a file's hand-off (file_record.hook). */
enum hook_state {
    HOOK_OFF = 0,               /* no -z */
    HOOK_QUEUED,                /* handed over, no outcome (yet) */
    HOOK_OK,                    /* CMD exited 0 */
    HOOK_FAILED,                /* non-zero exit, a signal, or it could not start */
    HOOK_QUEUE_FULL,            /* not handed over: the queue was full */
    HOOK_NOT_RUN,               /* queued but never run (exit wait ended, or deleted first) */
    HOOK_RUNNING,               /* still running when linecap exited */
};

/* Its name in --stats-json ("post_rotate" of each file). */
static inline const char *hook_state_name(enum hook_state s)
{
    static const char *const n[] = { "off", "queued", "ok", "failed", "queue_full", "not_run",
                                     "running_at_exit" };
    return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "off";
}

struct hook_run {
    pid_t pid;
    int pidfd;
    uint64_t seq;
    unsigned file;
    char name[300];
};

struct hook_result {
    unsigned file;
    uint8_t state;              /* enum hook_state */
};

struct hook {
    /* configuration */
    char cmd[4096];             /* resolved program path */
    char dir[4096];             /* absolute output directory */
    int dirfd;
    unsigned jobs;
    /* shared */
    struct hookq q;
    int efd;                    /* eventfd: writer -> hook thread */
    volatile int closing;       /* no more submissions: run what is queued, then exit */
    volatile int aborting;      /* stop spawning, exit now */
    volatile int idle;          /* closing, queue empty, nothing running: done */
    uint64_t done_upto;         /* every seq <= this has an outcome (hook thread, release) */
    volatile uint64_t v[HC_MAX];        /* LC_HOOK_COUNTERS; relaxed loads */
    /* writer-side */
    uint64_t next_seq;
    unsigned full_warned;
    /* hook-thread side */
    struct hook_run run[HOOK_MAX_JOBS];
    unsigned nrun;
    uint64_t last_popped;
    struct hook_result *res;    /* outcomes, read after hook_stop */
    unsigned nres, cap_res;
    pthread_t thread;
    bool started;
    bool inited;
};

/* Resolve cmd (a name without '/' is searched in PATH) and check that this
 * (already privilege-dropped) process may execute it. 0, or -1 with one
 * line in err. */
int hook_resolve(const char *cmd, char *out, size_t cap, char *err, size_t errlen);

/* Set up for cmd (resolved) on files in dir (opened as dirfd). 0 or -errno. */
int hook_init(struct hook *h, const char *cmd, const char *dir, int dirfd, unsigned jobs,
              unsigned queue);

/* Start the hook thread (all signals blocked in it). 0 or -errno. */
int hook_start(struct hook *h);

/* Writer: hand over the closed file files[file] named name. Returns its
 * seq (> 0), or 0 when the queue is full (counted; the caller marks the
 * file). Never blocks. */
uint64_t hook_submit(struct hook *h, unsigned file, const char *name);

/* Writer: whether the hand-off seq has no outcome yet (queued or running). */
static inline bool hook_pending(const struct hook *h, uint64_t seq)
{
    return seq > __atomic_load_n(&h->done_upto, __ATOMIC_ACQUIRE);
}

/* After the writer's last close: run what is queued, then the thread
 * exits (hook_idle turns true). */
void hook_close(struct hook *h);

/* True once closed, drained and nothing runs. */
static inline bool hook_idle(const struct hook *h)
{
    return __atomic_load_n(&h->idle, __ATOMIC_ACQUIRE) != 0;
}

/* Stop waiting: nothing more is spawned; running commands are left to
 * finish on their own (HOOK_RUNNING), queued files are HOOK_NOT_RUN. */
void hook_abort(struct hook *h);

/* Join the thread (after hook_idle or hook_abort). Idempotent. */
void hook_stop(struct hook *h);

/* After hook_stop: copy each file's outcome into files[].hook. */
void hook_apply(const struct hook *h, struct file_record *files, unsigned nfiles);

/* Counters now (relaxed loads), v[HC_MAX]. */
void hook_counters(const struct hook *h, uint64_t *v);

/* Free everything. Idempotent; zeroed memory is fine. */
void hook_free(struct hook *h);

#endif
