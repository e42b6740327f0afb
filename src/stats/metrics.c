#include "stats/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/units.h"

#define REQ_MAX 8192            /* request line and headers, bytes */
#define IO_TIMEOUT_MS 2000      /* writing one answer */
#define POLL_MS 100             /* how often the thread looks at the stop flag */

/* ---------------------------------------------------------------- address */

static int addr_bad(char *err, size_t errlen, const char *arg, const char *why)
{
    snprintf(err, errlen,
             "--metrics '%s': %s; expected PORT, :PORT, ADDR:PORT or [IPv6]:PORT "
             "(e.g. 127.0.0.1:9100; without ADDR only loopback listens)", arg, why);
    return -1;
}

int metrics_parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len, char *err,
                       size_t errlen)
{
    char host[64];
    const char *port;
    uint64_t pv;

    memset(ss, 0, sizeof(*ss));
    if (arg[0] == '\0')
        return addr_bad(err, errlen, arg, "empty");
    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (close == NULL || close[1] != ':')
            return addr_bad(err, errlen, arg, "an IPv6 address in brackets must be followed by :PORT");
        size_t hl = (size_t)(close - arg - 1);
        if (hl == 0 || hl >= sizeof(host))
            return addr_bad(err, errlen, arg, "bad IPv6 address");
        memcpy(host, arg + 1, hl);
        host[hl] = '\0';
        port = close + 2;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            return addr_bad(err, errlen, arg, "not a numeric IPv6 address");
        s6->sin6_family = AF_INET6;
        *len = sizeof(*s6);
    } else {
        const char *colon = strrchr(arg, ':');
        size_t hl = colon ? (size_t)(colon - arg) : 0;
        port = colon ? colon + 1 : arg;
        if (hl >= sizeof(host))
            return addr_bad(err, errlen, arg, "address too long");
        memcpy(host, arg, hl);
        host[hl] = '\0';
        if (strchr(host, ':'))
            return addr_bad(err, errlen, arg, "IPv6 addresses go in brackets");
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        *len = sizeof(*s4);
        if (hl == 0 || strcmp(host, "localhost") == 0)
            s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            return addr_bad(err, errlen, arg, "not a numeric IPv4 address");
    }
    if (port[0] == '\0' || lc_parse_u64(port, 0, 65535, &pv) < 0)
        return addr_bad(err, errlen, arg, "the port must be a whole number from 0 to 65535");
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)pv);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)pv);
    return 0;
}

void metrics_addr_str(const struct sockaddr *sa, char *out, size_t cap)
{
    char h[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
        snprintf(out, cap, "[%s]:%u", h, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
        snprintf(out, cap, "%s:%u", h, ntohs(s4->sin_port));
    }
}

/* ---------------------------------------------------------------- exposition */

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/* HELP text: backslash and newline escaped. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s ", name);
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
    fprintf(f, "\n# TYPE %s %s\n", name, type);
}

void metrics_render(FILE *f, const struct st_snapshot *s, const struct metrics_info *info)
{
    char n[96];

    family(f, "linecap_info", "gauge", "linecap and DPDK versions (value 1)");
    fputs("linecap_info{version=", f);
    label(f, info->version ? info->version : "");
    fputs(",dpdk=", f);
    label(f, info->dpdk ? info->dpdk : "");
    fputs("} 1\n", f);
    family(f, "linecap_start_time_seconds", "gauge", "capture start, seconds since the Unix epoch");
    fprintf(f, "linecap_start_time_seconds %.3f\n", info->start_unix);
    family(f, "linecap_uptime_seconds", "gauge", "seconds since the capture started");
    fprintf(f, "linecap_uptime_seconds %.3f\n", s->elapsed_s);

    family(f, "linecap_port_info", "gauge", "capture ports: DPDK device name and driver (value 1)");
    for (int p = 0; p < s->nports; p++) {
        fprintf(f, "linecap_port_info{port=\"%u\",device=", s->ports[p].port);
        label(f, s->ports[p].name);
        fputs(",driver=", f);
        label(f, s->ports[p].driver);
        fputs("} 1\n", f);
    }
    family(f, "linecap_queue_info", "gauge",
           "receive queues: the stream (file sequence) and CPU that poll them (value 1)");
    for (int p = 0; p < s->nports; p++)
        for (int q = 0; q < s->ports[p].nq; q++)
            fprintf(f, "linecap_queue_info{port=\"%u\",queue=\"%u\",stream=\"%d\",cpu=\"%u\"} 1\n",
                    s->ports[p].port, s->ports[p].q[q].queue, s->ports[p].q[q].stream,
                    s->ports[p].q[q].lcore);

    for (int i = 0; i < QC_MAX; i++) {
        snprintf(n, sizeof(n), "linecap_%s_total", lc_queue_counter_names[i]);
        family(f, n, "counter", lc_queue_counter_help[i]);
        for (int p = 0; p < s->nports; p++)
            for (int q = 0; q < s->ports[p].nq; q++)
                fprintf(f, "%s{port=\"%u\",queue=\"%u\"} %llu\n", n, s->ports[p].port,
                        s->ports[p].q[q].queue, (unsigned long long)s->ports[p].q[q].v[i]);
    }
    for (int i = 0; i < PC_MAX; i++) {
        snprintf(n, sizeof(n), "linecap_%s_total", lc_port_counter_names[i]);
        family(f, n, "counter", lc_port_counter_help[i]);
        for (int p = 0; p < s->nports; p++)
            fprintf(f, "%s{port=\"%u\"} %llu\n", n, s->ports[p].port,
                    (unsigned long long)s->ports[p].v[i]);
    }
    for (int i = 0; s->hook_on && i < HC_MAX; i++) {
        snprintf(n, sizeof(n), "linecap_%s_total", lc_hook_counter_names[i]);
        family(f, n, "counter", lc_hook_counter_help[i]);
        fprintf(f, "%s %llu\n", n, (unsigned long long)s->hv[i]);
    }
    family(f, "linecap_files_closed_total", "counter", "output files completed (trimmed, renamed)");
    fprintf(f, "linecap_files_closed_total %llu\n", (unsigned long long)s->files);
    family(f, "linecap_blocks", "gauge", "blocks of the block pool by state (free: ready for "
           "the receive loops; in_use: filling or queued for the writer)");
    fprintf(f, "linecap_blocks{state=\"free\"} %u\n", s->blocks_free);
    fprintf(f, "linecap_blocks{state=\"in_use\"} %u\n",
            s->blocks_total >= s->blocks_free ? s->blocks_total - s->blocks_free : 0);
    family(f, "linecap_mbufs_in_use", "gauge", "mbufs of the ports' pools in rings, caches or in flight");
    fprintf(f, "linecap_mbufs_in_use %llu\n", (unsigned long long)s->mbufs_in_use);
}

/* ---------------------------------------------------------------- HTTP */

static void simple(FILE *f, const char *status, const char *extra, const char *body)
{
    fprintf(f,
            "HTTP/1.0 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
            "%sConnection: close\r\n\r\n%s",
            status, strlen(body), extra, body);
}

int metrics_respond(FILE *f, const char *req, size_t len, const struct st_snapshot *s,
                    const struct metrics_info *info)
{
    char line[512];
    const char *eol = memchr(req, '\n', len);

    if (eol == NULL) {
        simple(f, "400 Bad Request", "", "bad request\n");
        return 400;
    }
    size_t ll = (size_t)(eol - req);
    if (ll > 0 && req[ll - 1] == '\r')
        ll--;
    if (ll >= sizeof(line)) {
        simple(f, "414 URI Too Long", "", "request line too long\n");
        return 414;
    }
    memcpy(line, req, ll);
    line[ll] = '\0';
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || strchr(sp2 + 1, ' ')) {
        simple(f, "400 Bad Request", "", "bad request\n");
        return 400;
    }
    *sp1 = *sp2 = '\0';
    const char *method = line, *target = sp1 + 1;
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) {
        simple(f, "405 Method Not Allowed", "Allow: GET, HEAD\r\n", "only GET /metrics\n");
        return 405;
    }
    size_t tl = strcspn(target, "?");
    if (tl != 8 || strncmp(target, "/metrics", 8) != 0) {
        simple(f, "404 Not Found", "", "not found: linecap serves GET /metrics\n");
        return 404;
    }
    if (s == NULL) {
        simple(f, "503 Service Unavailable", "", "not capturing\n");
        return 503;
    }
    char *body = NULL;
    size_t blen = 0;
    FILE *b = open_memstream(&body, &blen);
    if (b == NULL) {
        simple(f, "500 Internal Server Error", "", "out of memory\n");
        return 500;
    }
    metrics_render(b, s, info);
    if (fclose(b) != 0) {
        free(body);
        simple(f, "500 Internal Server Error", "", "out of memory\n");
        return 500;
    }
    fprintf(f,
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n", blen);
    if (!head)
        fwrite(body, 1, blen, f);
    free(body);
    return 200;
}

int metrics_open(struct metrics_server *m, const char *arg, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;

    memset(m, 0, sizeof(*m));
    m->fd = -1;
    if (metrics_parse_addr(arg, &ss, &len, err, errlen) < 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "--metrics '%s': cannot create a socket: %s", arg, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0) {
        char a[80];
        metrics_addr_str((struct sockaddr *)&ss, a, sizeof(a));
        snprintf(err, errlen, "--metrics '%s': cannot listen on %s: %s", arg, a, strerror(errno));
        close(fd);
        return -1;
    }
    len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    metrics_addr_str((struct sockaddr *)&ss, m->addr, sizeof(m->addr));
    m->fd = fd;
    return 0;
}

/* The server is one thread polling the listener and up to NCONN
 * connections, each a small state machine: read the request head, write the
 * answer, drain what the client sent after it. Every state has a deadline
 * from when it began (not from the last byte), so a client that trickles a
 * byte now and then holds one slot for at most HEAD_MS + IO_MS + DRAIN_MS,
 * never the thread: other scrapes are answered meanwhile, and the stop flag
 * is looked at every POLL_MS whatever the clients do. */
#define NCONN 8                 /* connections served at once; more wait in the backlog */
#define HEAD_MS 1000            /* the whole request head, from accept */
#define DRAIN_MS 200            /* reading after the answer, in all */
#define DRAIN_MAX 65536         /* bytes read after the answer, at most */

enum conn_state { C_FREE, C_HEAD, C_WRITE, C_DRAIN };

struct conn {
    int fd;
    enum conn_state st;
    int64_t deadline;           /* CLOCK_MONOTONIC ms */
    size_t n;                   /* head bytes read (C_HEAD), drained bytes (C_DRAIN) */
    char *out;                  /* the answer (C_WRITE) */
    size_t olen, off;
    char req[REQ_MAX];
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->out);
    c->out = NULL;
    c->fd = -1;
    c->st = C_FREE;
}

/* The end of a request head (an empty line) within buf[0..n), looking only
 * at what the last k bytes could complete. */
static bool head_complete(const char *buf, size_t n, size_t k)
{
    for (size_t i = n - k < 3 ? 0 : n - k - 3; i + 1 < n; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            return true;
        if (i + 3 < n && memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return true;
    }
    return false;
}

/* The head is in (or REQ_MAX bytes without its end): the answer, to write. */
static void conn_answer(struct metrics_server *m, struct conn *c, struct st_snapshot *snap,
                        bool whole)
{
    FILE *f = open_memstream(&c->out, &c->olen);
    if (f == NULL) {
        conn_close(c);
        return;
    }
    if (!whole) {
        simple(f, "431 Request Header Fields Too Large", "", "request too large\n");
    } else {
        int ok = m->source(m->ctx, snap) == 0;
        metrics_respond(f, c->req, c->n, ok ? snap : NULL, &m->info);
    }
    if (fclose(f) != 0) {
        conn_close(c);
        return;
    }
    c->off = 0;
    c->st = C_WRITE;
    c->deadline = now_ms() + IO_TIMEOUT_MS;
}

/* One step of c when poll says it is ready (or right after the answer is
 * built: the write usually completes at once). */
static void conn_step(struct metrics_server *m, struct conn *c, struct st_snapshot *snap)
{
    ssize_t k;

    switch (c->st) {
    case C_HEAD:
        k = recv(c->fd, c->req + c->n, sizeof(c->req) - c->n, 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (k < 0 || (k == 0 && c->n == 0)) {
            conn_close(c);
            return;
        }
        if (k == 0) {               /* the client ended its side: answer what came */
            conn_answer(m, c, snap, true);
            break;
        }
        c->n += (size_t)k;
        if (head_complete(c->req, c->n, (size_t)k))
            conn_answer(m, c, snap, true);
        else if (c->n == sizeof(c->req))
            conn_answer(m, c, snap, false);
        else
            return;
        break;
    case C_WRITE:
        break;
    case C_DRAIN:
        /* Closing with unread request bytes would reset the connection and
         * could discard the answer at the client: read (and drop) what
         * follows, bounded in bytes and time. */
        k = recv(c->fd, c->req, sizeof(c->req), 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (k <= 0 || (c->n += (size_t)k) >= DRAIN_MAX)
            conn_close(c);
        return;
    case C_FREE:
        return;
    }
    if (c->st != C_WRITE)
        return;
    while (c->off < c->olen) {
        k = send(c->fd, c->out + c->off, c->olen - c->off, MSG_NOSIGNAL);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (k <= 0) {
            conn_close(c);
            return;
        }
        c->off += (size_t)k;
    }
    free(c->out);
    c->out = NULL;
    m->served++;
    shutdown(c->fd, SHUT_WR);
    c->st = C_DRAIN;
    c->n = 0;
    c->deadline = now_ms() + DRAIN_MS;
}

static void *serve(void *arg)
{
    struct metrics_server *m = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);     /* signals are the main thread's */
    struct st_snapshot *snap = malloc(sizeof(*snap));
    struct conn *cs = calloc(NCONN, sizeof(*cs));
    if (snap == NULL || cs == NULL) {
        free(snap);
        free(cs);
        return NULL;
    }
    for (int i = 0; i < NCONN; i++)
        cs[i].fd = -1;
    while (!__atomic_load_n(&m->stop, __ATOMIC_RELAXED)) {
        struct pollfd p[NCONN + 1];
        int who[NCONN + 1], np = 0, nfree = 0;
        int64_t now = now_ms(), wait = POLL_MS;
        for (int i = 0; i < NCONN; i++) {
            if (cs[i].st == C_FREE) {
                nfree++;
                continue;
            }
            if (cs[i].deadline - now < wait)
                wait = cs[i].deadline - now > 0 ? cs[i].deadline - now : 0;
            p[np] = (struct pollfd){ .fd = cs[i].fd,
                                     .events = cs[i].st == C_WRITE ? POLLOUT : POLLIN };
            who[np++] = i;
        }
        if (nfree > 0) {            /* else new clients wait in the backlog */
            p[np] = (struct pollfd){ .fd = m->fd, .events = POLLIN };
            who[np++] = -1;
        }
        if (poll(p, (nfds_t)np, (int)wait) < 0 && errno != EINTR)
            continue;
        for (int j = 0; j < np; j++) {
            if (who[j] >= 0 && p[j].revents)
                conn_step(m, &cs[who[j]], snap);
        }
        now = now_ms();
        for (int i = 0; i < NCONN; i++)
            if (cs[i].st != C_FREE && now >= cs[i].deadline)
                conn_close(&cs[i]);
        if (np > 0 && who[np - 1] == -1 && (p[np - 1].revents & POLLIN)) {
            for (int i = 0; i < NCONN; i++) {
                if (cs[i].st != C_FREE)
                    continue;
                int c = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (c < 0)
                    break;
                cs[i] = (struct conn){ .fd = c, .st = C_HEAD, .deadline = now_ms() + HEAD_MS };
            }
        }
    }
    for (int i = 0; i < NCONN; i++)
        if (cs[i].st != C_FREE)
            conn_close(&cs[i]);
    free(cs);
    free(snap);
    return NULL;
}

int metrics_start(struct metrics_server *m, st_source_fn source, void *ctx,
                  const struct metrics_info *info, int cpu)
{
    m->source = source;
    m->ctx = ctx;
    m->info = *info;
    m->stop = 0;
    int rc = pthread_create(&m->thread, NULL, serve, m);
    if (rc != 0)
        return -rc;
    m->running = true;
    pthread_setname_np(m->thread, "lc-metrics");
    if (cpu >= 0) {
        cpu_set_t cs;
        CPU_ZERO(&cs);
        CPU_SET(cpu, &cs);
        pthread_setaffinity_np(m->thread, sizeof(cs), &cs);
    }
    return 0;
}

void metrics_stop(struct metrics_server *m)
{
    if (m->running) {
        __atomic_store_n(&m->stop, 1, __ATOMIC_RELAXED);
        pthread_join(m->thread, NULL);
        m->running = false;
    }
    if (m->fd >= 0) {
        close(m->fd);
        m->fd = -1;
    }
}
