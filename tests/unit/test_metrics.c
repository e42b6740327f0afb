/* --metrics addresses, the Prometheus exposition (every line parses, every
 * counter of the list appears with HELP and TYPE) and the HTTP answers,
 * including a real socket served by the metrics thread. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "stats/metrics.h"

static char err[512];

static int addr(const char *arg, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (metrics_parse_addr(arg, &ss, &len, err, sizeof(err)) < 0)
        return -1;
    metrics_addr_str((struct sockaddr *)&ss, out, cap);
    return 0;
}

static void good(const char *arg, const char *want)
{
    char got[80] = "";
    CHECK(addr(arg, got, sizeof(got)) == 0);
    if (strcmp(got, want) != 0) {
        check_failures++;
        fprintf(stderr, "--metrics '%s' -> '%s', expected '%s' (%s)\n", arg, got, want, err);
    }
}

static void bad(const char *arg)
{
    char got[80];
    CHECK(addr(arg, got, sizeof(got)) < 0);
    if (strstr(err, arg) == NULL || strchr(err, '\n') != NULL) {
        check_failures++;
        fprintf(stderr, "--metrics '%s': message '%s' does not name it on one line\n", arg, err);
    }
}

static struct st_snapshot snap;
static const struct metrics_info info = { "9.9.9", "DPDK 22.11.11", 1700000000.5 };

static void fill(void)
{
    memset(&snap, 0, sizeof(snap));
    snap.elapsed_s = 2.5;
    snap.nports = 2;
    for (int p = 0; p < 2; p++) {
        struct st_port *pt = &snap.ports[p];
        pt->port = (uint16_t)(p * 3);
        snprintf(pt->name, sizeof(pt->name), p ? "net_pcap\"1\\x" : "net_null0");
        snprintf(pt->driver, sizeof(pt->driver), "net_drv%d", p);
        pt->nq = 2;
        for (int i = 0; i < PC_MAX; i++)
            pt->v[i] = 1000u * (unsigned)p + (unsigned)i;
        for (int q = 0; q < 2; q++) {
            pt->q[q].queue = (uint16_t)q;
            pt->q[q].stream = q;
            pt->q[q].lcore = 1;
            for (int i = 0; i < QC_MAX; i++)
                pt->q[q].v[i] = 100000u * (unsigned)p + 100u * (unsigned)q + (unsigned)i +
                                (i == 0 ? 18446744073709551000ull : 0);
        }
    }
    snap.files = 7;
    snap.blocks_total = 16;
    snap.blocks_free = 12;
    st_totals(&snap);
}

static char *render(size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    metrics_render(f, &snap, &info);
    fclose(f);
    return buf;
}

/* Every line is a HELP, a TYPE, or a sample "name{labels} value" whose
 * family had HELP and TYPE just before; returns the number of samples. */
static int check_format(char *text)
{
    regex_t sample, help, type;
    CHECK(regcomp(&sample,
                  "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
                  "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*\\})? [-+]?[0-9.eE+]+$",
                  REG_EXTENDED) == 0);
    CHECK(regcomp(&help, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$", REG_EXTENDED) == 0);
    CHECK(regcomp(&type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$", REG_EXTENDED) == 0);
    char fam[128] = "", helped[128] = "";
    int n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        regmatch_t m[2];
        if (regexec(&help, l, 2, m, 0) == 0) {
            snprintf(helped, sizeof(helped), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), l + m[1].rm_so);
        } else if (regexec(&type, l, 2, m, 0) == 0) {
            snprintf(fam, sizeof(fam), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), l + m[1].rm_so);
            CHECK(strcmp(fam, helped) == 0);
        } else if (regexec(&sample, l, 2, m, 0) == 0) {
            int nl = (int)(m[1].rm_eo - m[1].rm_so);
            if ((int)strlen(fam) != nl || strncmp(l, fam, (size_t)nl) != 0) {
                check_failures++;
                fprintf(stderr, "sample outside its family '%s': %s\n", fam, l);
            }
            n++;
        } else {
            check_failures++;
            fprintf(stderr, "line does not parse: '%s'\n", l);
        }
    }
    regfree(&sample);
    regfree(&help);
    regfree(&type);
    return n;
}

static int respond(const char *req, char **out)
{
    size_t len;
    FILE *f = open_memstream(out, &len);
    int code = metrics_respond(f, req, strlen(req), &snap, &info);
    fclose(f);
    return code;
}

static int source(void *ctx, struct st_snapshot *out)
{
    (void)ctx;
    *out = snap;
    return 0;
}

/* A real request to the served socket; the response in buf. */
static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fetch(const char *addrport, const char *req, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (metrics_parse_addr(addrport, &ss, &len, err, sizeof(err)) < 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0)
        return -1;
    if (write(fd, req, strlen(req)) < 0)
        return -1;
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = '\0';
    close(fd);
    return (int)n;
}

int main(void)
{
    good("9100", "127.0.0.1:9100");
    good(":9100", "127.0.0.1:9100");
    good("127.0.0.1:9100", "127.0.0.1:9100");
    good("localhost:80", "127.0.0.1:80");
    good("0.0.0.0:9100", "0.0.0.0:9100");
    good("10.1.2.3:65535", "10.1.2.3:65535");
    good("[::1]:9100", "[::1]:9100");
    good("[::]:0", "[::]:0");
    good("0", "127.0.0.1:0");
    bad("");
    bad("abc");
    bad(":");
    bad("127.0.0.1:");
    bad("127.0.0.1");
    bad("65536");
    bad("-1");
    bad("1.2.3.256:80");
    bad("1.2.3:80");
    bad("example.com:80");
    bad("::1:9100");
    bad("[::1]9100");
    bad("[::1]");
    bad("[zz]:1");
    bad("9100x");

    fill();
    size_t len;
    char *text = render(&len);
    /* every counter of the list, per queue and per port, with its help */
    for (int i = 0; i < QC_MAX; i++) {
        char want[256];
        snprintf(want, sizeof(want), "# TYPE linecap_%s_total counter\n", lc_queue_counter_names[i]);
        CHECK(strstr(text, want) != NULL);
        snprintf(want, sizeof(want), "# HELP linecap_%s_total %s\n", lc_queue_counter_names[i],
                 lc_queue_counter_help[i]);
        CHECK(strstr(text, want) != NULL);
        snprintf(want, sizeof(want), "\nlinecap_%s_total{port=\"3\",queue=\"1\"} %llu\n",
                 lc_queue_counter_names[i], (unsigned long long)snap.ports[1].q[1].v[i]);
        CHECK(strstr(text, want) != NULL);
    }
    CHECK(strstr(text, "linecap_received_total{port=\"0\",queue=\"0\"} 18446744073709551000\n") != NULL);
    for (int i = 0; i < PC_MAX; i++) {
        char want[256];
        snprintf(want, sizeof(want), "\nlinecap_%s_total{port=\"3\"} %llu\n",
                 lc_port_counter_names[i], (unsigned long long)snap.ports[1].v[i]);
        CHECK(strstr(text, want) != NULL);
    }
    CHECK(strstr(text, "linecap_port_info{port=\"3\",device=\"net_pcap\\\"1\\\\x\",driver=\"net_drv1\"} 1\n") != NULL);
    CHECK(strstr(text, "linecap_info{version=\"9.9.9\",dpdk=\"DPDK 22.11.11\"} 1\n") != NULL);
    CHECK(strstr(text, "linecap_blocks{state=\"in_use\"} 4\n") != NULL);
    CHECK(strstr(text, "linecap_files_closed_total 7\n") != NULL);
    CHECK(strstr(text, "linecap_start_time_seconds 1700000000.500\n") != NULL);
    int samples = check_format(text);
    CHECK_EQ_U(samples, 3 + 2 + 4 + QC_MAX * 4 + PC_MAX * 2 + 1 + 2 + 1);
    free(text);

    char *out;
    CHECK(respond("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &out) == 200);
    CHECK(strncmp(out, "HTTP/1.0 200 OK\r\n", 17) == 0);
    CHECK(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
    char *body = strstr(out, "\r\n\r\n");
    CHECK(body != NULL);
    if (body) {
        unsigned long cl = strtoul(strstr(out, "Content-Length: ") + 16, NULL, 10);
        CHECK_EQ_U(cl, strlen(body + 4));
        CHECK(strncmp(body + 4, "# HELP linecap_info ", 20) == 0);
    }
    free(out);
    CHECK(respond("GET /metrics?x=1 HTTP/1.0\n\n", &out) == 200);
    free(out);
    CHECK(respond("HEAD /metrics HTTP/1.0\r\n\r\n", &out) == 200);
    CHECK(strstr(out, "\r\n\r\n")[4] == '\0');
    free(out);
    CHECK(respond("GET / HTTP/1.1\r\n\r\n", &out) == 404);
    CHECK(strncmp(out, "HTTP/1.0 404 ", 13) == 0);
    free(out);
    CHECK(respond("GET /metricsx HTTP/1.1\r\n\r\n", &out) == 404);
    free(out);
    CHECK(respond("POST /metrics HTTP/1.1\r\n\r\n", &out) == 405);
    free(out);
    CHECK(respond("GET /metrics\r\n\r\n", &out) == 400);
    free(out);
    CHECK(respond("garbage", &out) == 400);
    free(out);

    /* the thread: a listener on a port the kernel picks, real requests */
    struct metrics_server m;
    CHECK(metrics_open(&m, "127.0.0.1:0", err, sizeof(err)) == 0);
    CHECK(strncmp(m.addr, "127.0.0.1:", 10) == 0 && strcmp(m.addr, "127.0.0.1:0") != 0);
    /* the same address again: in use, one line naming it */
    struct metrics_server m2;
    CHECK(metrics_open(&m2, m.addr, err, sizeof(err)) < 0);
    CHECK(strstr(err, m.addr) != NULL && strstr(err, "in use") != NULL);
    CHECK(metrics_start(&m, source, NULL, &info, -1) == 0);
    static char buf[1 << 20];
    CHECK(fetch(m.addr, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf)) > 0);
    CHECK(strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0);
    char want[128];
    snprintf(want, sizeof(want), "linecap_written_total{port=\"0\",queue=\"1\"} %d\n",
             100 + QC_written);
    CHECK(strstr(buf, want) != NULL);
    CHECK(fetch(m.addr, "GET /nothing HTTP/1.0\r\n\r\n", buf, sizeof(buf)) > 0);
    CHECK(strncmp(buf, "HTTP/1.0 404 ", 13) == 0);
    /* an oversized request is refused, not read forever */
    static char big[20000];
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
    CHECK(fetch(m.addr, big, buf, sizeof(buf)) > 0);
    CHECK(strncmp(buf, "HTTP/1.0 431 ", 13) == 0);
    /* clients that hold a connection (a head never finished; a head, then
     * nothing read) do not delay another scrape, nor the stop */
    struct sockaddr_storage ss;
    socklen_t sl;
    int slow[2];
    CHECK(metrics_parse_addr(m.addr, &ss, &sl, err, sizeof(err)) == 0);
    const char *slow_req[2] = { "GET /metrics HTTP/1.0\r\nX-Slow: a", "GET /metrics HTTP/1.0\r\n\r\nmore" };
    for (int i = 0; i < 2; i++) {
        slow[i] = socket(ss.ss_family, SOCK_STREAM, 0);
        CHECK(slow[i] >= 0 && connect(slow[i], (struct sockaddr *)&ss, sl) == 0);
        CHECK(write(slow[i], slow_req[i], strlen(slow_req[i])) > 0);
    }
    usleep(50000);
    double t0 = mono_s();
    CHECK(fetch(m.addr, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf)) > 0);
    CHECK(strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0);
    double dt = mono_s() - t0;
    if (dt > 0.5)
        fprintf(stderr, "scrape beside two slow clients took %.3f s\n", dt);
    CHECK(dt < 0.5);
    t0 = mono_s();
    metrics_stop(&m);
    dt = mono_s() - t0;
    CHECK(dt < 0.3);
    CHECK(m.fd == -1);
    close(slow[0]);
    close(slow[1]);
    return check_done("test_metrics");
}
