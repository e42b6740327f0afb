/* Post-rotation hand-off: the queue, and the thread that runs CMD FILE. */
#include "storage/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"

extern char **environ;

/* ---------------------------------------------------------------- queue */

int hookq_init(struct hookq *q, unsigned cap)
{
    memset(q, 0, sizeof(*q));
    q->e = calloc(cap ? cap : 1, sizeof(*q->e));
    if (q->e == NULL)
        return -ENOMEM;
    q->cap = cap ? cap : 1;
    return 0;
}

void hookq_free(struct hookq *q)
{
    free(q->e);
    q->e = NULL;
    q->cap = 0;
}

bool hookq_push(struct hookq *q, uint64_t seq, unsigned file, const char *name)
{
    uint64_t t = q->tail;
    if (t - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) >= q->cap)
        return false;
    struct hookq_ent *e = &q->e[t % q->cap];
    e->seq = seq;
    e->file = file;
    snprintf(e->name, sizeof(e->name), "%s", name);
    __atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);
    return true;
}

bool hookq_pop(struct hookq *q, struct hookq_ent *out)
{
    uint64_t h = q->head;
    if (h == __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE))
        return false;
    *out = q->e[h % q->cap];
    __atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE);
    return true;
}

unsigned hookq_count(const struct hookq *q)
{
    return (unsigned)(__atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) -
                      __atomic_load_n(&q->head, __ATOMIC_ACQUIRE));
}

/* ---------------------------------------------------------------- runner */

static void cnt_add(struct hook *h, int i)
{
    __atomic_fetch_add(&h->v[i], 1, __ATOMIC_RELAXED);
}

static bool executable(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && faccessat(AT_FDCWD, p, X_OK, AT_EACCESS) == 0;
}

int hook_resolve(const char *cmd, char *out, size_t cap, char *err, size_t errlen)
{
    if (strchr(cmd, '/')) {
        if (!executable(cmd)) {
            snprintf(err, errlen, "-z '%s': not an executable file for this user (%s)", cmd,
                     access(cmd, F_OK) == 0 ? "no permission or not a regular file"
                                            : strerror(errno));
            return -1;
        }
        snprintf(out, cap, "%s", cmd);
        return 0;
    }
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n > 0 && (size_t)snprintf(out, cap, "%.*s/%s", (int)n, p, cmd) < cap && executable(out))
            return 0;
        p += n + (c != NULL);
    }
    snprintf(err, errlen, "-z '%s': no executable of that name in PATH (give a path)", cmd);
    return -1;
}

int hook_init(struct hook *h, const char *cmd, const char *dir, int dirfd, unsigned jobs,
              unsigned queue)
{
    memset(h, 0, sizeof(*h));
    h->efd = -1;
    snprintf(h->cmd, sizeof(h->cmd), "%s", cmd);
    /* the command may run anywhere: give it an absolute path */
    char *rp = realpath(dir, NULL);
    snprintf(h->dir, sizeof(h->dir), "%s", rp ? rp : dir);
    free(rp);
    h->dirfd = dirfd;
    h->jobs = jobs < 1 ? 1 : jobs > HOOK_MAX_JOBS ? HOOK_MAX_JOBS : jobs;
    if (hookq_init(&h->q, queue) < 0)
        return -ENOMEM;
    h->inited = true;
    h->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h->efd < 0) {
        int e = errno;
        hookq_free(&h->q);
        return -e;
    }
    return 0;
}

static void wake(struct hook *h)
{
    uint64_t one = 1;
    if (write(h->efd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the thread will look */
    }
}

uint64_t hook_submit(struct hook *h, unsigned file, const char *name)
{
    uint64_t seq = h->next_seq + 1;
    if (!hookq_push(&h->q, seq, file, name)) {
        cnt_add(h, HC_hook_queue_full);
        if (++h->full_warned <= 10)
            lc_warn("post-rotate: queue full (%u files waiting): %s/%s not handed to the "
                    "command; it stays on disk (listed as queue_full)%s", h->q.cap, h->dir, name,
                    h->full_warned == 10 ? "; further ones are counted, not reported" : "");
        return 0;
    }
    h->next_seq = seq;
    wake(h);
    return seq;
}

static void result(struct hook *h, unsigned file, enum hook_state st)
{
    if (h->nres == h->cap_res) {
        unsigned cap = h->cap_res ? h->cap_res * 2 : 64;
        struct hook_result *r = realloc(h->res, cap * sizeof(*r));
        if (r == NULL)
            return;             /* the counters still say it */
        h->res = r;
        h->cap_res = cap;
    }
    h->res[h->nres++] = (struct hook_result){ file, (uint8_t)st };
}

/* Every seq below the oldest running one, or up to the last taken from
 * the queue, has its outcome. */
static void publish_done(struct hook *h)
{
    uint64_t d = h->last_popped;
    for (unsigned i = 0; i < h->nrun; i++)
        if (h->run[i].seq - 1 < d)
            d = h->run[i].seq - 1;
    __atomic_store_n(&h->done_upto, d, __ATOMIC_RELEASE);
}

/* Spawn CMD DIR/NAME: no shell, stdin /dev/null, stdout to our stderr,
 * every other descriptor closed, default signals, its own process group
 * (a terminal's ^C to linecap does not kill a running upload). */
static void spawn_one(struct hook *h, const struct hookq_ent *e)
{
    char path[sizeof(h->dir) + sizeof(e->name) + 1];
    snprintf(path, sizeof(path), "%s/%s", h->dir, e->name);
    if (faccessat(h->dirfd, e->name, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
        cnt_add(h, HC_hook_not_run);
        result(h, e->file, HOOK_NOT_RUN);
        lc_warn("post-rotate: %s is gone (deleted for room before its turn); not run", path);
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    char *argv[] = { h->cmd, path, NULL };
    pid_t pid;
    int rc = posix_spawn(&pid, h->cmd, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    cnt_add(h, HC_hook_started);
    if (rc != 0) {
        cnt_add(h, HC_hook_failed);
        result(h, e->file, HOOK_FAILED);
        lc_warn("post-rotate: cannot run %s %s: %s", h->cmd, path, strerror(rc));
        return;
    }
    struct hook_run *r = &h->run[h->nrun++];
    r->pid = pid;
    r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);    /* -1: reaped by polling */
    r->seq = e->seq;
    r->file = e->file;
    snprintf(r->name, sizeof(r->name), "%s", e->name);
}

/* Reap run i if it has ended: log a failure, count, free its slot. */
static bool reap(struct hook *h, unsigned i)
{
    struct hook_run *r = &h->run[i];
    int st;
    pid_t p = waitpid(r->pid, &st, WNOHANG);
    if (p == 0 || (p < 0 && errno == EINTR))
        return false;
    if (p < 0) {
        cnt_add(h, HC_hook_failed);
        result(h, r->file, HOOK_FAILED);
        lc_warn("post-rotate: %s %s/%s: cannot wait for it: %s", h->cmd, h->dir, r->name,
                strerror(errno));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        cnt_add(h, HC_hook_succeeded);
        result(h, r->file, HOOK_OK);
        if (lc_verbose > 1)
            lc_info("post-rotate: %s %s/%s: done", h->cmd, h->dir, r->name);
    } else {
        cnt_add(h, HC_hook_failed);
        result(h, r->file, HOOK_FAILED);
        if (WIFEXITED(st))
            lc_warn("post-rotate: %s %s/%s: exit status %d", h->cmd, h->dir, r->name,
                    WEXITSTATUS(st));
        else
            lc_warn("post-rotate: %s %s/%s: killed by signal %d (%s)", h->cmd, h->dir, r->name,
                    WTERMSIG(st), strsignal(WTERMSIG(st)));
    }
    if (r->pidfd >= 0)
        close(r->pidfd);
    h->run[i] = h->run[--h->nrun];
    return true;
}

static void *hook_main(void *arg)
{
    struct hook *h = arg;
    struct pollfd pfd[1 + HOOK_MAX_JOBS];

    for (;;) {
        if (__atomic_load_n(&h->aborting, __ATOMIC_ACQUIRE))
            break;
        struct hookq_ent e;
        while (h->nrun < h->jobs && hookq_pop(&h->q, &e)) {
            h->last_popped = e.seq;
            spawn_one(h, &e);
        }
        publish_done(h);
        if (__atomic_load_n(&h->closing, __ATOMIC_ACQUIRE) && h->nrun == 0 &&
            hookq_count(&h->q) == 0)
            break;
        int n = 0, timeout = 100;
        pfd[n++] = (struct pollfd){ .fd = h->efd, .events = POLLIN };
        for (unsigned i = 0; i < h->nrun; i++) {
            if (h->run[i].pidfd >= 0)
                pfd[n++] = (struct pollfd){ .fd = h->run[i].pidfd, .events = POLLIN };
            else
                timeout = 10;
        }
        if (poll(pfd, (nfds_t)n, timeout) > 0 && (pfd[0].revents & POLLIN)) {
            uint64_t v;
            if (read(h->efd, &v, sizeof(v)) < 0) {
                /* EAGAIN: another read took it */
            }
        }
        for (unsigned i = 0; i < h->nrun;)
            if (!reap(h, i))
                i++;
    }
    /* Aborted: what runs is left to finish on its own; what waits is not run. */
    for (unsigned i = 0; i < h->nrun; i++) {
        result(h, h->run[i].file, HOOK_RUNNING);
        lc_warn("post-rotate: %s %s/%s still running at exit (not waited for)", h->cmd, h->dir,
                h->run[i].name);
        if (h->run[i].pidfd >= 0)
            close(h->run[i].pidfd);
    }
    h->nrun = 0;
    struct hookq_ent e;
    unsigned left = 0;
    while (hookq_pop(&h->q, &e)) {
        cnt_add(h, HC_hook_not_run);
        result(h, e.file, HOOK_NOT_RUN);
        if (++left <= 10)
            lc_warn("post-rotate: %s/%s: not run (the wait at exit ended)", h->dir, e.name);
    }
    if (left > 10)
        lc_warn("post-rotate: %u more files not run (listed as not_run)", left - 10);
    __atomic_store_n(&h->idle, 1, __ATOMIC_RELEASE);
    return NULL;
}

int hook_start(struct hook *h)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&h->thread, NULL, hook_main, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -rc;
    pthread_setname_np(h->thread, "lc-hook");
    h->started = true;
    return 0;
}

void hook_close(struct hook *h)
{
    __atomic_store_n(&h->closing, 1, __ATOMIC_RELEASE);
    if (h->efd >= 0)
        wake(h);
}

void hook_abort(struct hook *h)
{
    __atomic_store_n(&h->aborting, 1, __ATOMIC_RELEASE);
    if (h->efd >= 0)
        wake(h);
}

void hook_stop(struct hook *h)
{
    if (!h->started)
        return;
    pthread_join(h->thread, NULL);
    h->started = false;
}

void hook_apply(const struct hook *h, struct file_record *files, unsigned nfiles)
{
    for (unsigned i = 0; i < h->nres; i++)
        if (h->res[i].file < nfiles)
            files[h->res[i].file].hook = h->res[i].state;
}

void hook_counters(const struct hook *h, uint64_t *v)
{
    for (int i = 0; i < HC_MAX; i++)
        v[i] = __atomic_load_n(&h->v[i], __ATOMIC_RELAXED);
}

void hook_free(struct hook *h)
{
    if (!h->inited)
        return;
    if (h->started) {
        hook_abort(h);
        hook_stop(h);
    }
    hookq_free(&h->q);
    if (h->efd >= 0)
        close(h->efd);
    h->efd = -1;
    free(h->res);
    h->res = NULL;
    h->nres = h->cap_res = 0;
    h->inited = false;
}
