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
    size_t k = 0;
    for (int b = 0; b < 64; b++) {
        uint64_t bit = 1ULL << b;
        if (!(conf.rxmode.offloads & bit))
            continue;
        int w = snprintf(mp->offloads + k, sizeof(mp->offloads) - k, "%s\"%s\"", k ? ", " : "",
                         rte_eth_dev_rx_offload_name(bit));
        if (w < 0 || (size_t)w >= sizeof(mp->offloads) - k)
            break;
        k += (size_t)w;
    }
}

int manifest_name(char *out, size_t cap, const char *first)
{
    int n = snprintf(out, cap, "%s%s", first, MANIFEST_SUFFIX);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

static void iso_utc(FILE *f, uint64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000ULL);
    struct tm tm;
    char d[32];
    gmtime_r(&sec, &tm);
    strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "\"%s.%09lluZ\"", d, (unsigned long long)(ns % 1000000000ULL));
}

static void body(FILE *f, const struct manifest *m, const struct config *c, const char *dir,
                 const struct st_snapshot *s, const char *reason, int exit_code,
                 const struct file_record *files, unsigned nfiles, uint64_t end_ns)
{
    fprintf(f, "{\n  \"manifest_version\": 1,\n  \"linecap_version\": ");
    lc_json_str(f, LINECAP_VERSION);
    fprintf(f, ",\n  \"dpdk_version\": ");
    lc_json_str(f, rte_version());
    fprintf(f, ",\n  \"argv\": [");
    for (int i = 0; i < m->argc; i++) {
        fputs(i ? ", " : "", f);
        lc_json_str(f, m->argv[i]);
    }
    fprintf(f, "],\n  \"start_ns\": %llu, \"start_time\": ", (unsigned long long)m->start_ns);
    iso_utc(f, m->start_ns);
    fprintf(f, ",\n  \"end_ns\": %llu, \"end_time\": ", (unsigned long long)end_ns);
    iso_utc(f, end_ns);
    fprintf(f, ",\n  \"elapsed_s\": %.6f,\n  \"stop_reason\": ", s->elapsed_s);
    lc_json_str(f, reason);
    fprintf(f, ", \"exit_code\": %d,\n", exit_code);

    int nic = 0;
    for (int p = 0; p < m->nports; p++)
        nic += m->ports[p].nic_ts;
    fprintf(f, "  \"clock\": {\"source\": \"%s\", \"tsc_hz\": %llu},\n",
            nic == 0 ? "tsc" : nic == m->nports ? "nic" : "mixed", (unsigned long long)m->tsc_hz);
    fprintf(f, "  \"cores\": {\"receive\": [");
    for (int i = 0; i < m->nrx; i++)
        fprintf(f, "%s%u", i ? ", " : "", m->rx_cpus[i]);
    fprintf(f, "], \"main\": %u, \"writer\": %u},\n", m->main_cpu, m->main_cpu);
    fprintf(f, "  \"format\": ");
    lc_json_str(f, c->format);
    fprintf(f, ", \"linktype\": %u, \"snaplen\": %u, \"queues_per_port\": %u, "
            "\"buffer_mib\": %llu,\n", m->linktype, c->snaplen, c->queues,
            (unsigned long long)c->buffer_mib);
    fprintf(f, "  \"metrics\": ");
    if (m->metrics_addr)
        lc_json_str(f, m->metrics_addr);
    else
        fputs("null", f);
    fprintf(f, ", \"telemetry\": %s,\n  \"ports\": [", m->telemetry ? "true" : "false");
    for (int p = 0; p < m->nports; p++) {
        const struct manifest_port *mp = &m->ports[p];
        fprintf(f, "%s\n    {\"port\": %u, \"name\": ", p ? "," : "", mp->id);
        lc_json_str(f, mp->name);
        fprintf(f, ", \"driver\": ");
        lc_json_str(f, mp->driver);
        fprintf(f,
                ", \"queues\": %u, \"rss\": %s, \"promiscuous\": %s, \"scatter\": %s, "
                "\"timestamps\": \"%s\", \"rx_offloads\": [%s]}",
                mp->nq, mp->rss ? "true" : "false", mp->promisc ? "true" : "false",
                mp->scatter ? "true" : "false", mp->nic_ts ? "nic" : "tsc", mp->offloads);
    }
    /* % captured: what reached the files out of what reached the device. */
    const uint64_t *t = s->tq;
    uint64_t offered = t[QC_received] + s->tp[PC_nic_missed] + s->tp[PC_nic_errors] +
                       s->tp[PC_mbuf_failures] + s->tp[PC_kernel_drops];
    fprintf(f, "\n  ],\n  \"captured_pct\": ");
    if (offered)
        fprintf(f, "%.6f", 100.0 * (double)t[QC_written] / (double)offered);
    else
        fputs("null", f);
    fprintf(f, ",\n  \"output_dir\": ");
    lc_json_str(f, dir);
    fprintf(f, ",\n  \"files\": [");
    for (unsigned i = 0, k = 0; i < nfiles; i++) {
        if (files[i].deleted)
            continue;
        fputs(k++ ? ", " : "", f);
        lc_json_str(f, files[i].name);
    }
    unsigned deleted = 0;
    for (unsigned i = 0; i < nfiles; i++)
        deleted += files[i].deleted;
    fprintf(f, "],\n  \"files_deleted\": %u,\n  \"stats\": ", deleted);
    st_json_write(f, s, reason, exit_code, files, nfiles, dir);
    fprintf(f, "}\n");
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
    body(f, m, c, dir, s, reason, exit_code, files, nfiles, end_ns);
    if (rc == 0 && fflush(f) != 0)
        rc = -errno;
    if (rc == 0 && ferror(f))
        rc = -EIO;
    if (rc == 0 && sync && (fdatasync(fd) != 0 || fsync(dirfd) != 0))
        rc = -errno;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(dirfd, name, 0);   /* no torn manifest (a full disk) */
    return rc;
}
