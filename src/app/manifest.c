#include "app/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_version.h>

#include "common/json.h"
#include "common/tsclock.h"
#include "index/index.h"

void manifest_add_port(struct manifest *m, const struct port_info *pi)
{
    if (m->nports >= LC_MAX_IFACES)
        return;
    struct manifest_port *mp = &m->ports[m->nports++];
    struct rte_eth_conf conf;
    memset(mp, 0, sizeof(*mp));
    mp->id = pi->id;
    mp->nq = pi->nq;
    snprintf(mp->name, sizeof(mp->name), "%s", pi->name);
    snprintf(mp->driver, sizeof(mp->driver), "%s", pi->driver);
    mp->rss = pi->rss;
    mp->promisc = pi->promisc;
    mp->scatter = pi->scatter;
    mp->nic_ts = pi->nic_ts;
    if (rte_eth_dev_conf_get(pi->id, &conf) != 0)
        return;
    for (int b = 0; b < 64; b++)
        if (conf.rxmode.offloads & (1ULL << b))
            mp->offloads[mp->noffloads++] = rte_eth_dev_rx_offload_name(1ULL << b);
}

int manifest_name(char *out, size_t cap, const char *first)
{
    int n = snprintf(out, cap, "%s%s", first, MANIFEST_SUFFIX);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

static void iso_utc(struct lc_json *j, const char *key, uint64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000ULL);
    struct tm tm;
    char d[32], t[48];
    gmtime_r(&sec, &tm);
    strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(t, sizeof(t), "%s.%09lluZ", d, (unsigned long long)(ns % 1000000000ULL));
    lc_json_string(j, key, t);
}

static int body(FILE *f, const struct manifest *m, const struct config *c, const char *dir,
                const struct st_snapshot *s, const char *reason, int exit_code,
                const struct file_record *files, unsigned nfiles, uint64_t end_ns)
{
    struct lc_json j;
    lc_json_init(&j, f);
    lc_json_object(&j, NULL, LC_JSON_LINES);
    lc_json_u64(&j, "manifest_version", 1);
    lc_json_string(&j, "linecap_version", LINECAP_VERSION);
    lc_json_string(&j, "dpdk_version", rte_version());
    lc_json_array(&j, "argv", LC_JSON_INLINE);
    for (int i = 0; i < m->argc; i++)
        lc_json_string(&j, NULL, m->argv[i]);
    lc_json_end(&j);
    lc_json_u64(&j, "start_ns", m->start_ns);
    iso_utc(&j, "start_time", m->start_ns);
    lc_json_u64(&j, "end_ns", end_ns);
    iso_utc(&j, "end_time", end_ns);
    lc_json_double(&j, "elapsed_s", s->elapsed_s, 6);
    lc_json_string(&j, "stop_reason", reason);
    lc_json_i64(&j, "exit_code", exit_code);

    int nic = 0;
    for (int p = 0; p < m->nports; p++)
        nic += m->ports[p].nic_ts;
    lc_json_object(&j, "clock", LC_JSON_INLINE);
    lc_json_string(&j, "source", nic == 0 ? "tsc" : nic == m->nports ? "nic" : "mixed");
    lc_json_u64(&j, "tsc_hz", m->tsc_hz);
    lc_json_end(&j);
    lc_json_object(&j, "cores", LC_JSON_INLINE);
    lc_json_array(&j, "receive", LC_JSON_INLINE);
    for (int i = 0; i < m->nrx; i++)
        lc_json_u64(&j, NULL, m->rx_cpus[i]);
    lc_json_end(&j);
    lc_json_u64(&j, "main", m->main_cpu);
    lc_json_u64(&j, "writer", m->main_cpu);
    lc_json_end(&j);
    lc_json_string(&j, "format", c->format);
    lc_json_u64(&j, "linktype", m->linktype);
    lc_json_u64(&j, "snaplen", c->snaplen);
    lc_json_u64(&j, "queues_per_port", c->queues);
    lc_json_u64(&j, "buffer_mib", c->buffer_mib);
    lc_json_string(&j, "metrics", m->metrics_addr);    /* NULL: null */
    lc_json_bool(&j, "telemetry", m->telemetry);
    lc_json_array(&j, "ports", LC_JSON_LINES);
    for (int p = 0; p < m->nports; p++) {
        const struct manifest_port *mp = &m->ports[p];
        lc_json_object(&j, NULL, LC_JSON_INLINE);
        lc_json_u64(&j, "port", mp->id);
        lc_json_string(&j, "name", mp->name);
        lc_json_string(&j, "driver", mp->driver);
        lc_json_u64(&j, "queues", mp->nq);
        lc_json_bool(&j, "rss", mp->rss);
        lc_json_bool(&j, "promiscuous", mp->promisc);
        lc_json_bool(&j, "scatter", mp->scatter);
        lc_json_string(&j, "timestamps", mp->nic_ts ? "nic" : "tsc");
        lc_json_array(&j, "rx_offloads", LC_JSON_INLINE);
        for (unsigned i = 0; i < mp->noffloads; i++)
            lc_json_string(&j, NULL, mp->offloads[i]);
        lc_json_end(&j);
        lc_json_end(&j);
    }
    lc_json_end(&j);
    /* % captured: what reached the files out of what reached the device. */
    uint64_t offered = s->tq[QC_received] + lc_port_drops(s->tp);
    if (offered)
        lc_json_double(&j, "captured_pct", 100.0 * (double)s->tq[QC_written] / (double)offered, 6);
    else
        lc_json_null(&j, "captured_pct");
    lc_json_string(&j, "output_dir", dir);
    unsigned deleted = 0;
    lc_json_array(&j, "files", LC_JSON_INLINE);
    for (unsigned i = 0; i < nfiles; i++) {
        if (files[i].deleted)
            deleted++;
        else
            lc_json_string(&j, NULL, files[i].name);
    }
    lc_json_end(&j);
    lc_json_u64(&j, "files_deleted", deleted);
    /* Each kept file's index, in the order of "files": its name and size,
     * or null and why it is missing (the file itself is whole). */
    unsigned idx_failed = 0;
    lc_json_bool(&j, "index", !c->no_index);
    lc_json_array(&j, "indexes", LC_JSON_LINES);
    for (unsigned i = 0; i < nfiles && !c->no_index; i++) {
        const struct file_record *fr = &files[i];
        if (fr->idx_error)
            idx_failed++;
        if (fr->deleted)
            continue;
        char name[sizeof(fr->name) + 8];
        snprintf(name, sizeof(name), "%s%s", fr->name, IDX_SUFFIX);
        lc_json_object(&j, NULL, LC_JSON_INLINE);
        lc_json_string(&j, "file", fr->name);
        if (fr->indexed) {
            lc_json_string(&j, "index", name);
            lc_json_u64(&j, "bytes", fr->idx_bytes);
        } else {
            lc_json_null(&j, "index");
            lc_json_string(&j, "error", st_index_error(fr));
        }
        lc_json_end(&j);
    }
    lc_json_end(&j);
    lc_json_u64(&j, "index_failures", idx_failed);
    st_json_put(&j, "stats", s, reason, exit_code, files, nfiles, dir);
    lc_json_end(&j);
    return lc_json_finish(&j);
}

int manifest_write(const struct manifest *m, const struct config *c, int dirfd, const char *dir,
                   const struct st_snapshot *s, const char *reason, int exit_code,
                   const struct file_record *files, unsigned nfiles, bool sync, char *out,
                   size_t outcap)
{
    const struct file_record *first = NULL;
    out[0] = '\0';
    for (unsigned i = 0; i < nfiles && first == NULL; i++)
        if (files[i].stream == 0)
            first = &files[i];
    if (first == NULL && nfiles > 0)
        first = &files[0];
    if (first == NULL)
        return 0;
    char name[340];
    if (manifest_name(name, sizeof(name), first->name) < 0)
        return -ENAMETOOLONG;
    snprintf(out, outcap, "%s", name);
    uint64_t end_ns = lc_realtime_ns();
    unsigned mode = c->group_read ? 0640 : 0600;     /* as the capture files */
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (fchmod(fd, mode) != 0)
        rc = -errno;
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        rc = -errno;
        close(fd);
        unlinkat(dirfd, name, 0);
        return rc;
    }
    int wrc = body(f, m, c, dir, s, reason, exit_code, files, nfiles, end_ns);
    if (rc == 0)
        rc = wrc;
    if (rc == 0 && sync && (fdatasync(fd) != 0 || fsync(dirfd) != 0))
        rc = -errno;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(dirfd, name, 0);   /* no torn manifest (a full disk) */
    return rc;
}
