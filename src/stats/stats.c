#include "stats/stats.h"
#include "common/json.h"
#include "storage/hook.h"      /* enum hook_state (header only) */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void st_totals(struct st_snapshot *s)
{
    memset(s->tq, 0, sizeof(s->tq));
    memset(s->tp, 0, sizeof(s->tp));
    for (int p = 0; p < s->nports; p++) {
        const struct st_port *pt = &s->ports[p];
        for (int i = 0; i < PC_MAX; i++)
            s->tp[i] += pt->v[i];
        for (int q = 0; q < pt->nq; q++)
            for (int i = 0; i < QC_MAX; i++)
                s->tq[i] += pt->q[q].v[i];
    }
}

int64_t st_unaccounted(const uint64_t *v)
{
    uint64_t acc = v[QC_filtered] + v[QC_counted_only] + v[QC_written] + lc_queue_drops(v);
    return (int64_t)(v[QC_received] - acc);
}

uint64_t st_drops(const struct st_snapshot *s)
{
    return lc_queue_drops(s->tq) + lc_port_drops(s->tp);
}

static double rate(uint64_t a, uint64_t b, double dt)
{
    return dt > 0 ? (double)(a - b) / dt : 0.0;
}

void st_live_line(FILE *out, const struct st_snapshot *n, const struct st_snapshot *p)
{
    double dt = n->elapsed_s - p->elapsed_s;
    fprintf(out,
            "linecap: %6.1fs rx %7.3f Mpps %6.2f Gb/s  written %7.3f Mpps  "
            "drops: nic %llu nombuf %llu block %llu disk %llu  files %llu  free blocks %u/%u  "
            "mbufs in use %u\n",
            n->elapsed_s, rate(n->tq[QC_received], p->tq[QC_received], dt) / 1e6,
            rate(n->tq[QC_received_bytes], p->tq[QC_received_bytes], dt) * 8 / 1e9,
            rate(n->tq[QC_written], p->tq[QC_written], dt) / 1e6,
            (unsigned long long)(lc_port_drops(n->tp) - n->tp[PC_mbuf_failures]),
            (unsigned long long)n->tp[PC_mbuf_failures],
            (unsigned long long)n->tq[QC_dropped_no_block],
            (unsigned long long)n->tq[QC_lost_disk], (unsigned long long)n->files,
            n->blocks_free, n->blocks_total, n->mbufs_in_use);
    fflush(out);
}

static void fmt_ts(char *buf, size_t cap, uint64_t ns)
{
    if (ns == 0) {
        snprintf(buf, cap, "-");
        return;
    }
    time_t sec = (time_t)(ns / 1000000000ULL);
    struct tm tm;
    char d[32];
    localtime_r(&sec, &tm);
    strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%09llu", d, (unsigned long long)(ns % 1000000000ULL));
}

const char *st_index_error(const struct file_record *fr)
{
    if (fr->idx_error == -EILSEQ)
        return "records not walked in step";
    return fr->idx_error ? strerror(-fr->idx_error) : "not written";
}

void st_summary(FILE *out, const struct st_snapshot *s, const char *reason,
                const struct file_record *files, unsigned nfiles, const char *dir)
{
    const uint64_t *t = s->tq;
    double secs = s->elapsed_s > 0 ? s->elapsed_s : 1e-9;

    fprintf(out, "linecap: stopped (%s%s) after %.3f s\n", reason,
            s->forced ? ", forced by a second signal" : "", s->elapsed_s);
    for (int p = 0; p < s->nports; p++) {
        const struct st_port *pt = &s->ports[p];
        fprintf(out, "port %u %s (%s):", pt->port, pt->name, pt->driver);
        for (int i = 0; i < PC_MAX; i++)
            fprintf(out, " %s %llu", lc_port_counter_names[i], (unsigned long long)pt->v[i]);
        fputc('\n', out);
        for (int q = 0; q < pt->nq; q++) {
            const struct st_queue *qq = &pt->q[q];
            fprintf(out, "  queue %u (stream %d, lcore %u):", qq->queue, qq->stream, qq->lcore);
            for (int i = 0; i < QC_MAX; i++)
                fprintf(out, " %s %llu", lc_queue_counter_names[i], (unsigned long long)qq->v[i]);
            fputc('\n', out);
        }
    }
    fprintf(out, "%llu packets received (%.3f Mpps, %.3f Gb/s)\n",
            (unsigned long long)t[QC_received], (double)t[QC_received] / secs / 1e6,
            (double)t[QC_received_bytes] * 8 / secs / 1e9);
    fprintf(out, "%llu packets written (%llu bytes) in %llu files\n",
            (unsigned long long)t[QC_written], (unsigned long long)t[QC_written_bytes],
            (unsigned long long)s->files);
    if (s->filter)
        fprintf(out, "%llu packets filtered out by '%s' (%s)\n", (unsigned long long)t[QC_filtered],
                s->filter, s->filter_engine ? s->filter_engine : "");
    else
        fprintf(out, "%llu packets filtered\n", (unsigned long long)t[QC_filtered]);
    fprintf(out,
            "%llu packets dropped by linecap (%llu no free block, %llu disk, %llu forced exit)\n",
            (unsigned long long)lc_queue_drops(t), (unsigned long long)t[QC_dropped_no_block],
            (unsigned long long)t[QC_lost_disk], (unsigned long long)t[QC_unwritten_abort]);
    fprintf(out, "%llu packets dropped by the device (%llu missed, %llu errors, %llu mbuf failures, "
                 "%llu kernel socket ring full)\n",
            (unsigned long long)lc_port_drops(s->tp),
            (unsigned long long)s->tp[PC_nic_missed], (unsigned long long)s->tp[PC_nic_errors],
            (unsigned long long)s->tp[PC_mbuf_failures], (unsigned long long)s->tp[PC_kernel_drops]);
    int64_t un = st_unaccounted(t);
    fprintf(out, "accounting: received %llu = filtered + counted + written + dropped: %s\n",
            (unsigned long long)t[QC_received],
            un == 0 ? "exact" : "MISMATCH");
    if (un != 0)
        fprintf(out, "accounting: %lld packets unaccounted\n", (long long)un);
    /* Files: every kept file when few, else the first and last few; files
     * the ring buffer deleted are counted, not listed. */
    unsigned kept = 0, deleted = 0, reclaimed = 0;
    for (unsigned i = 0; i < nfiles; i++) {
        files[i].deleted ? deleted++ : kept++;
        reclaimed += files[i].reclaimed;
    }
    if (deleted > reclaimed)
        fprintf(out, "%u files deleted by the ring buffer (-b files:N)\n", deleted - reclaimed);
    if (reclaimed)
        fprintf(out, "%u files deleted to make room (--disk-limit, --min-free, full disk)\n",
                reclaimed);
    /* Indexes (none with --no-index): how many, their share, the failures. */
    unsigned nidx = 0, nfail = 0, first_fail = 0;
    uint64_t idx_bytes = 0, cap_bytes = 0, light = 0, recs = 0;
    for (unsigned i = 0; i < nfiles; i++) {
        if (files[i].indexed) {
            nidx++;
            idx_bytes += files[i].idx_bytes;
            cap_bytes += files[i].bytes;
            light += files[i].idx_light;
            recs += files[i].records;
        }
        if (files[i].idx_error && nfail++ == 0)
            first_fail = i;
    }
    if (nidx)
        fprintf(out, "%u index files written (%llu bytes, %.2f %% of their capture files)\n", nidx,
                (unsigned long long)idx_bytes, cap_bytes ? 100.0 * (double)idx_bytes / (double)cap_bytes : 0.0);
    if (light)
        fprintf(out, "%llu of %llu records indexed by time only: the index thread was behind, "
                "so it did not read their keys (no packet lost; queries read their chunks whole)\n",
                (unsigned long long)light, (unsigned long long)recs);
    if (nfail)
        fprintf(out, "%u files left without an index (the first: %s: %s); `linecap recover %s` builds them\n",
                nfail, files[first_fail].name, st_index_error(&files[first_fail]), dir);
    for (unsigned i = 0, k = 0; i < nfiles; i++) {
        const struct file_record *f = &files[i];
        if (f->deleted)
            continue;
        k++;
        if (kept > 20 && k > 10 && k <= kept - 10) {
            if (k == 11)
                fprintf(out, "... %u more files ...\n", kept - 20);
            continue;
        }
        char a[48], b[48];
        fmt_ts(a, sizeof(a), f->ts_first);
        fmt_ts(b, sizeof(b), f->ts_last);
        fprintf(out, "file %s/%s: %llu records, %llu bytes, first %s, last %s%s\n", dir,
                f->name, (unsigned long long)f->records, (unsigned long long)f->bytes, a, b,
                f->error ? " (ended by an error)" : "");
    }
    if (s->hook_on) {
        const uint64_t *h = s->hv;
        uint64_t any = 0;
        for (int i = 0; i < HC_MAX; i++)
            any |= h[i];
        if (any)
            fprintf(out, "post-rotate: %llu started, %llu succeeded, %llu failed, %llu not handed "
                         "over (queue full), %llu not run\n",
                    (unsigned long long)h[HC_hook_started], (unsigned long long)h[HC_hook_succeeded],
                    (unsigned long long)h[HC_hook_failed], (unsigned long long)h[HC_hook_queue_full],
                    (unsigned long long)h[HC_hook_not_run]);
        /* the files a consumer has not seen, by name (JSON: "post_rotate") */
        unsigned named = 0;
        for (unsigned i = 0; i < nfiles; i++) {
            const struct file_record *f = &files[i];
            if (f->deleted || (f->hook != HOOK_QUEUE_FULL && f->hook != HOOK_NOT_RUN &&
                               f->hook != HOOK_RUNNING))
                continue;
            if (++named > 10)
                continue;
            fprintf(out, "post-rotate: %s/%s %s\n", dir, f->name,
                    f->hook == HOOK_QUEUE_FULL ? "not handed over (queue full)"
                    : f->hook == HOOK_NOT_RUN ? "not run" : "still running at exit");
        }
        if (named > 10)
            fprintf(out, "post-rotate: ... %u more such files (see --stats-json)\n", named - 10);
    }
    fflush(out);
}

void st_json_put(struct lc_json *j, const char *key, const struct st_snapshot *s,
                 const char *reason, int exit_code, const struct file_record *files,
                 unsigned nfiles, const char *dir)
{
    lc_json_object(j, key, LC_JSON_LINES);
    lc_json_string(j, "version", LINECAP_VERSION);
    lc_json_string(j, "stop_reason", reason);
    lc_json_bool(j, "forced", s->forced);
    if (s->filter) {
        lc_json_object(j, "filter", LC_JSON_INLINE);
        lc_json_string(j, "expression", s->filter);
        lc_json_string(j, "engine", s->filter_engine ? s->filter_engine : "");
        lc_json_end(j);
    } else {
        lc_json_null(j, "filter");
    }
    lc_json_i64(j, "exit_code", exit_code);
    lc_json_double(j, "elapsed_s", s->elapsed_s, 6);
    lc_json_array(j, "ports", LC_JSON_LINES);
    for (int p = 0; p < s->nports; p++) {
        const struct st_port *pt = &s->ports[p];
        lc_json_object(j, NULL, LC_JSON_INLINE);
        lc_json_u64(j, "port", pt->port);
        lc_json_string(j, "name", pt->name);
        lc_json_string(j, "driver", pt->driver);
        for (int i = 0; i < PC_MAX; i++)
            lc_json_u64(j, lc_port_counter_names[i], pt->v[i]);
        lc_json_array(j, "queues", LC_JSON_LINES);
        for (int q = 0; q < pt->nq; q++) {
            const struct st_queue *qq = &pt->q[q];
            lc_json_object(j, NULL, LC_JSON_INLINE);
            lc_json_u64(j, "queue", qq->queue);
            lc_json_i64(j, "stream", qq->stream);
            lc_json_u64(j, "lcore", qq->lcore);
            for (int i = 0; i < QC_MAX; i++)
                lc_json_u64(j, lc_queue_counter_names[i], qq->v[i]);
            lc_json_end(j);
        }
        lc_json_end(j);
        lc_json_end(j);
    }
    lc_json_end(j);
    lc_json_object(j, "totals", LC_JSON_INLINE);
    for (int i = 0; i < QC_MAX; i++)
        lc_json_u64(j, lc_queue_counter_names[i], s->tq[i]);
    for (int i = 0; i < PC_MAX; i++)
        lc_json_u64(j, lc_port_counter_names[i], s->tp[i]);
    if (s->hook_on)
        for (int i = 0; i < HC_MAX; i++)
            lc_json_u64(j, lc_hook_counter_names[i], s->hv[i]);
    lc_json_u64(j, "drops", st_drops(s));
    lc_json_u64(j, "files", s->files);
    lc_json_end(j);
    /* files left without an index (as in the run manifest) */
    unsigned nfail = 0;
    for (unsigned i = 0; i < nfiles; i++)
        nfail += files[i].idx_error != 0;
    lc_json_u64(j, "index_failures", nfail);
    lc_json_array(j, "files", LC_JSON_LINES);
    for (unsigned i = 0; i < nfiles; i++) {
        const struct file_record *fr = &files[i];
        char p[4400];
        snprintf(p, sizeof(p), "%s/%s", dir, fr->name);
        lc_json_object(j, NULL, LC_JSON_INLINE);
        lc_json_string(j, "name", fr->name);
        lc_json_string(j, "path", p);
        lc_json_i64(j, "stream", fr->stream);
        lc_json_u64(j, "records", fr->records);
        lc_json_u64(j, "bytes", fr->bytes);
        lc_json_u64(j, "first_ns", fr->ts_first);
        lc_json_u64(j, "last_ns", fr->ts_last);
        lc_json_bool(j, "deleted", fr->deleted);
        lc_json_bool(j, "deleted_for_room", fr->reclaimed);
        lc_json_i64(j, "error", fr->error);
        lc_json_bool(j, "indexed", fr->indexed);
        lc_json_u64(j, "index_bytes", fr->idx_bytes);
        lc_json_u64(j, "index_time_only", fr->idx_light);
        if (fr->idx_error)
            lc_json_string(j, "index_error", st_index_error(fr));
        if (fr->hook)
            lc_json_string(j, "post_rotate", hook_state_name((enum hook_state)fr->hook));
        lc_json_end(j);
    }
    lc_json_end(j);
    int64_t un = st_unaccounted(s->tq);
    lc_json_object(j, "identity", LC_JSON_INLINE);
    lc_json_bool(j, "holds", un == 0);
    lc_json_u64(j, "received", s->tq[QC_received]);
    lc_json_u64(j, "accounted", s->tq[QC_received] - (uint64_t)un);
    lc_json_end(j);
    lc_json_end(j);
}

int st_json_write(FILE *f, const struct st_snapshot *s, const char *reason, int exit_code,
                  const struct file_record *files, unsigned nfiles, const char *dir)
{
    struct lc_json j;
    lc_json_init(&j, f);
    st_json_put(&j, NULL, s, reason, exit_code, files, nfiles, dir);
    return lc_json_finish(&j);
}

int st_json(FILE *f, const struct st_snapshot *s, const char *reason, int exit_code,
            const struct file_record *files, unsigned nfiles, const char *dir)
{
    int rc = st_json_write(f, s, reason, exit_code, files, nfiles, dir);
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

int st_json_create(const char *path, unsigned mode, long uid, long gid, char *err,
                   size_t errlen)
{
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    struct stat st;

    int fd = open(path, flags, mode);
    if (fd < 0 && errno == EEXIST) {
        /* Someone else's file, or one reached through a link, is never
         * written. Between lstat and unlink the name may be swapped: unlink
         * then removes the newcomer (never writes through it) and O_EXCL
         * fails if it comes back. */
        const char *why = NULL;
        if (lstat(path, &st) != 0)
            why = strerror(errno);
        else if (S_ISLNK(st.st_mode))
            why = "it is a symbolic link (linecap never follows one)";
        else if (!S_ISREG(st.st_mode))
            why = "it exists and is not a regular file";
        else if (st.st_uid != geteuid() && (uid < 0 || st.st_uid != (uid_t)uid))
            why = "it exists and belongs to another user";
        else if (st.st_nlink != 1)
            why = "it exists and has other hard links";
        if (why) {
            snprintf(err, errlen, "--stats-json '%s': refusing to replace it: %s", path, why);
            return -1;
        }
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "--stats-json '%s': cannot replace it: %s", path,
                     strerror(errno));
            return -1;
        }
        fd = open(path, flags, mode);
    }
    if (fd < 0) {
        snprintf(err, errlen, "--stats-json '%s': cannot create: %s", path,
                 errno == EEXIST ? "it reappeared while being replaced" : strerror(errno));
        return -1;
    }
    if (fchmod(fd, mode) != 0 || (uid >= 0 && fchown(fd, (uid_t)uid, (gid_t)gid) != 0)) {
        snprintf(err, errlen, "--stats-json '%s': cannot set its mode or owner: %s", path,
                 strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}
