/* linecap's run: live statistics for the metrics and telemetry threads, the
 * control loop (signals, limits, errors, the live line) and the drain. */
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_version.h>

#include "app/capture.h"
#include "app/telemetry.h"
#include "common/log.h"
#include "common/sys.h"

/* The metrics and telemetry threads' view (st_source_fn): the same
 * relaxed loads as the live line, device counters as the main thread last
 * read them (every 10 ms). */
static int app_source(void *ctx, struct st_snapshot *ss)
{
    struct app *a = ctx;
    int rc = -1;
    pthread_mutex_lock(&a->pub_lock);
    if (a->live) {
        pipeline_snapshot(&a->pipe, ss, false);
        rc = 0;
    }
    pthread_mutex_unlock(&a->pub_lock);
    return rc;
}

/* The capture runs: from here on the metrics thread and the telemetry
 * commands answer; the manifest learns the cores and the clock. */
static void go_live(struct app *a)
{
    const struct config *c = &a->cfg;
    a->man.start_ns = a->pipe.start_ns;
    a->man.nrx = a->cores.nwork;
    _Static_assert(sizeof(a->man.rx_cpus) == sizeof(a->cores.work), "one CPU list size");
    memcpy(a->man.rx_cpus, a->cores.work, sizeof(a->man.rx_cpus));
    a->man.main_cpu = a->cores.main_cpu;
    a->man.tsc_hz = a->clock.hz;
    pthread_mutex_lock(&a->pub_lock);
    a->live = true;
    pthread_mutex_unlock(&a->pub_lock);
    if (c->metrics) {
        struct metrics_info mi = { LINECAP_VERSION, rte_version(), (double)a->man.start_ns / 1e9 };
        int rc = metrics_start(&a->metrics, app_source, a, &mi, (int)a->cores.main_cpu);
        if (rc < 0) {
            lc_warn("--metrics %s: cannot start the metrics thread: %s; no metrics this run",
                    c->metrics, strerror(-rc));
        } else {
            lc_info("metrics: http://%s/metrics", a->metrics.addr);
            a->man.metrics_addr = a->metrics.addr;
        }
    }
    if (c->telemetry) {
        if (lc_telemetry_register(app_source, a) != 0)
            lc_warn("--telemetry: cannot register the /linecap commands");
        else
            lc_info("telemetry: /linecap/stats, /linecap/ports, /linecap/queues,PORT on %s/dpdk_telemetry.v2",
                    rte_eal_get_runtime_dir());
        a->man.telemetry = true;
    }
}

void run_unlive(struct app *a)
{
    pthread_mutex_lock(&a->pub_lock);
    a->live = false;
    pthread_mutex_unlock(&a->pub_lock);
}

/* Until a signal, a limit, an error or -a duration; the live line. */
static const char *control_loop(struct app *a, int *seen)
{
    const struct config *c = &a->cfg;
    struct run_state *run = &a->pipe.run;
    struct st_snapshot prev, cur;

    pipeline_snapshot(&a->pipe, &prev, true);
    double next_stats = c->stats_interval_ns ? (double)c->stats_interval_ns / 1e9 : -1;
    for (;;) {
        struct timespec nap = { 0, 10000000 };
        nanosleep(&nap, NULL);
        pipeline_poll_ports(&a->pipe);
        double t = lc_now_s() - a->pipe.t_start;
        if (lc_signals > *seen) {
            *seen = lc_signals;
            if (!run->stop) {
                run->stop = 1;
                lc_info("stopping: draining and closing files (signal again to force)");
            }
            return "signal";
        }
        if (run->fatal)
            return "error";
        if (run->stop)
            return "limit";
        if (c->stop_ns && t * 1e9 >= (double)c->stop_ns) {
            run->stop = 1;
            return "duration";
        }
        if (next_stats > 0 && t >= next_stats) {
            pipeline_snapshot(&a->pipe, &cur, true);
            st_live_line(stderr, &cur, &prev);
            prev = cur;
            next_stats += (double)c->stats_interval_ns / 1e9;
        }
    }
}

/* The writer has closed the last files and handed them over: wait for the
 * queued and running post-rotate commands, up to --post-rotate-wait; a
 * signal that would force the drain (the second) ends the wait, and after
 * a forced drain there is no wait. */
static void hook_wait(struct app *a, int *seen, bool signalled, bool forced)
{
    const struct config *c = &a->cfg;
    struct hook *h = &a->hook;
    double t0 = lc_now_s(), limit = (double)c->post_rotate_wait_ns / 1e9;
    bool said = false;

    hook_close(h);
    while (!hook_idle(h)) {
        int more = lc_signals - *seen;
        *seen = lc_signals;
        if (more > 0 && !signalled) {
            signalled = true;
            more--;
        }
        const char *why = forced ? "the exit was forced"
                          : more > 0 ? "a signal"
                          : lc_now_s() - t0 >= limit ? "--post-rotate-wait" : NULL;
        if (why) {
            lc_warn("post-rotate: not waiting any longer (%s): %u files still queued, the "
                    "running commands are left to finish", why, hookq_count(&h->q));
            hook_abort(h);
            break;
        }
        if (!said && lc_now_s() - t0 >= 1.0) {
            said = true;
            lc_info("post-rotate: waiting up to %.0f s for the commands (%u files queued; "
                    "signal again to stop waiting)", limit, hookq_count(&h->q));
        }
        struct timespec nap = { 0, 5000000 };
        nanosleep(&nap, NULL);
    }
    hook_stop(h);
    pipeline_hook_done(&a->pipe);
}

const char *run_capture(struct app *a)
{
    int seen = 0;

    go_live(a);
    const char *reason = control_loop(a, &seen);

    /* Drain: the receive lcores end their files, then the writer empties
     * the rings. A signal during the drain forces only when it is the
     * second: after a -c/-a/-b stop the first one asks for what a signal
     * always asks, a clean stop, and the queued blocks are still written. */
    pipeline_stop(&a->pipe);
    bool signalled = strcmp(reason, "signal") == 0;
    while (!pipeline_drained(&a->pipe)) {
        int more = lc_signals - seen;
        seen = lc_signals;
        if (more > 0 && !signalled) {
            signalled = true;
            more--;
            lc_info("stopping: draining and closing files (signal again to force)");
        }
        if (more > 0 && !a->pipe.run.abort) {
            pipeline_abort(&a->pipe);
            lc_warn("forced exit: queued blocks are not written (counted as unwritten_abort)");
        }
        struct timespec nap = { 0, 2000000 };
        nanosleep(&nap, NULL);
    }
    if (a->cfg.post_rotate)
        hook_wait(a, &seen, signalled, a->pipe.run.abort != 0);
    return reason;
}
