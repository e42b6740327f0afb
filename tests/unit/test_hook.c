/* The post-rotate queue (pure) and the runner on real child processes
 * (no EAL): order, outcomes, counters, a full queue, a missing file. */
#include "check.h"
#include "storage/hook.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void queue_tests(void)
{
    struct hookq q;
    struct hookq_ent e;

    CHECK(hookq_init(&q, 3) == 0);
    CHECK(!hookq_pop(&q, &e));
    CHECK(hookq_push(&q, 1, 10, "a"));
    CHECK(hookq_push(&q, 2, 11, "b"));
    CHECK(hookq_push(&q, 3, 12, "c"));
    CHECK(!hookq_push(&q, 4, 13, "d"));        /* full: nothing changes */
    CHECK_EQ_U(hookq_count(&q), 3);
    CHECK(hookq_pop(&q, &e) && e.seq == 1 && e.file == 10 && strcmp(e.name, "a") == 0);
    CHECK(hookq_push(&q, 4, 13, "d"));         /* wraps */
    for (unsigned want = 2; want <= 4; want++) {
        CHECK(hookq_pop(&q, &e));
        CHECK_EQ_U(e.seq, want);
        CHECK_EQ_U(e.file, 9 + want);
    }
    CHECK(!hookq_pop(&q, &e));
    CHECK_EQ_U(hookq_count(&q), 0);
    /* a name longer than a slot is cut, never overflows */
    char lng[400];
    memset(lng, 'x', sizeof(lng) - 1);
    lng[sizeof(lng) - 1] = '\0';
    CHECK(hookq_push(&q, 5, 0, lng));
    CHECK(hookq_pop(&q, &e) && strlen(e.name) == sizeof(e.name) - 1);
    hookq_free(&q);
    hookq_free(&q);
}

static void put(const char *dir, const char *name, const char *text, int mode)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
        chmod(p, (mode_t)mode);
    }
}

static void wait_idle(struct hook *h)
{
    for (int i = 0; i < 1000 && !hook_idle(h); i++) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
}

static void runner_tests(void)
{
    char dir[] = "/tmp/lc_hook_XXXXXX";
    char err[512], cmd[4096], script[1024], log[600];
    struct hook h;
    uint64_t v[HC_MAX];

    if (mkdtemp(dir) == NULL) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(log, sizeof(log), "%s/calls", dir);
    snprintf(script, sizeof(script),
             "#!/bin/sh\necho \"$# $1\" >>%s\ncase \"$1\" in *bad*) exit 3;; esac\nexit 0\n", log);
    put(dir, "hook.sh", script, 0755);
    put(dir, "f1.pcap", "1", 0600);
    put(dir, "f2_bad.pcap", "2", 0600);
    put(dir, "f3.pcap", "3", 0600);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);

    /* resolution: a path must be executable; a bare name is looked up in PATH */
    snprintf(cmd, sizeof(cmd), "%s/f1.pcap", dir);
    CHECK(hook_resolve(cmd, cmd, sizeof(cmd), err, sizeof(err)) < 0 && strstr(err, "-z '") != NULL);
    CHECK(hook_resolve("/nonexistent/x", cmd, sizeof(cmd), err, sizeof(err)) < 0);
    CHECK(hook_resolve("sh", cmd, sizeof(cmd), err, sizeof(err)) == 0 && strchr(cmd, '/') != NULL);
    CHECK(hook_resolve("no-such-program-xyz", cmd, sizeof(cmd), err, sizeof(err)) < 0);
    snprintf(script, sizeof(script), "%s/hook.sh", dir);
    CHECK(hook_resolve(script, cmd, sizeof(cmd), err, sizeof(err)) == 0);

    /* three files, one failing, one deleted before its turn, in order */
    CHECK(hook_init(&h, cmd, dir, dirfd, 1, 8) == 0);
    CHECK(hook_start(&h) == 0);
    CHECK_EQ_U(hook_submit(&h, 0, "f1.pcap"), 1);
    CHECK_EQ_U(hook_submit(&h, 1, "f2_bad.pcap"), 2);
    CHECK_EQ_U(hook_submit(&h, 2, "gone.pcap"), 3);
    CHECK_EQ_U(hook_submit(&h, 3, "f3.pcap"), 4);
    hook_close(&h);
    wait_idle(&h);
    CHECK(hook_idle(&h));
    hook_stop(&h);
    CHECK(!hook_pending(&h, 4));
    hook_counters(&h, v);
    CHECK_EQ_U(v[HC_hook_started], 3);
    CHECK_EQ_U(v[HC_hook_succeeded], 2);
    CHECK_EQ_U(v[HC_hook_failed], 1);
    CHECK_EQ_U(v[HC_hook_not_run], 1);
    CHECK_EQ_U(v[HC_hook_queue_full], 0);
    struct file_record fr[4];
    memset(fr, 0, sizeof(fr));
    hook_apply(&h, fr, 4);
    CHECK_EQ_U(fr[0].hook, HOOK_OK);
    CHECK_EQ_U(fr[1].hook, HOOK_FAILED);
    CHECK_EQ_U(fr[2].hook, HOOK_NOT_RUN);
    CHECK_EQ_U(fr[3].hook, HOOK_OK);
    hook_free(&h);
    hook_free(&h);

    /* the calls: argv {CMD, DIR/FILE}, one each, in order */
    char want[2048], got[2048] = "";
    snprintf(want, sizeof(want), "1 %s/f1.pcap\n1 %s/f2_bad.pcap\n1 %s/f3.pcap\n", dir, dir, dir);
    FILE *f = fopen(log, "r");
    if (f) {
        size_t n = fread(got, 1, sizeof(got) - 1, f);
        got[n] = '\0';
        fclose(f);
    }
    CHECK(strcmp(got, want) == 0);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "calls:\n%s---\nexpected:\n%s", got, want);

    /* a queue of 1 with the thread not started: the second is refused */
    CHECK(hook_init(&h, cmd, dir, dirfd, 1, 1) == 0);
    CHECK_EQ_U(hook_submit(&h, 0, "f1.pcap"), 1);
    CHECK_EQ_U(hook_submit(&h, 1, "f3.pcap"), 0);
    CHECK(hook_pending(&h, 1));
    hook_counters(&h, v);
    CHECK_EQ_U(v[HC_hook_queue_full], 1);
    /* aborted before it ran: not run */
    CHECK(hook_start(&h) == 0);
    hook_abort(&h);
    hook_stop(&h);
    hook_counters(&h, v);
    CHECK_EQ_U(v[HC_hook_started] + v[HC_hook_not_run], 1);
    hook_free(&h);
    struct timespec ts = { 0, 300000000 };
    nanosleep(&ts, NULL);               /* a command left running ends before the clean-up */

    struct hook z;
    memset(&z, 0, sizeof(z));
    hook_free(&z);                      /* zeroed: nothing to free, fd 0 untouched */
    CHECK(fcntl(0, F_GETFD) >= 0);

    close(dirfd);
    const char *names[] = { "calls", "hook.sh", "f1.pcap", "f2_bad.pcap", "f3.pcap" };
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

int main(void)
{
    queue_tests();
    runner_tests();
    return check_done("test_hook");
}
