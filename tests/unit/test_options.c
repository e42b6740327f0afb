/* Option parsing: good combinations and each bad value (exit 64, a message
 * naming the value). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/options.h"
#include "check.h"

static struct config cfg;
static char err[512];

static int parse(int n, ...)
{
    char *argv[64];
    va_list ap;
    argv[0] = "linecap";
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        argv[i + 1] = va_arg(ap, char *);
    va_end(ap);
    argv[n + 1] = NULL;
    options_free(&cfg);
    return options_parse(n + 1, argv, &cfg, err, sizeof(err));
}

/* Two parsed configurations are the same: every field, strings by value
 * (the argv they came from aside). */
static int same(const struct config *a, const struct config *b)
{
    static struct config x, y;
    const struct config *s[2] = { a, b };
    struct config *d[2] = { &x, &y };
    for (int k = 0; k < 2; k++) {
        memcpy(d[k], s[k], sizeof(x));
        d[k]->argc = 0;
        d[k]->argv = NULL;
        d[k]->argv_mem = NULL;
    }
#define STR(f)                                                                          \
    do {                                                                                \
        if ((x.f == NULL) != (y.f == NULL) || (x.f && strcmp(x.f, y.f) != 0)) {         \
            fprintf(stderr, "differ: %s\n", #f);                                        \
            return 0;                                                                   \
        }                                                                               \
        x.f = y.f = NULL;                                                               \
    } while (0)
    for (int i = 0; i < LC_MAX_IFACES; i++)
        STR(ifaces[i]);
    for (int i = 0; i < LC_MAX_EAL_ARGS; i++)
        STR(eal_args[i]);
    STR(outpath);
    STR(format);
    STR(stats_json);
    STR(user);
    STR(filter);
    STR(metrics);
#undef STR
    return memcmp(&x, &y, sizeof(x)) == 0;
}

static char *write_conf(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/test_options.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
    return path;
}

#define BAD(needle, n, ...)                                                             \
    do {                                                                                \
        CHECK(parse(n, __VA_ARGS__) == EXIT_USAGE);                                     \
        if (strstr(err, needle) == NULL) {                                              \
            check_failures++;                                                           \
            fprintf(stderr, "%s:%d: message '%s' does not name '%s'\n", __FILE__,       \
                    __LINE__, err, needle);                                             \
        }                                                                               \
        CHECK(strchr(err, '\n') == NULL);                                               \
    } while (0)

int main(void)
{
    CHECK(parse(4, "-i", "net_null0", "-w", "x.pcap") == 0);
    CHECK(cfg.snaplen == 262144 && cfg.queues == 1 && cfg.buffer_mib == 2048);
    CHECK(cfg.stats_interval_ns == 1000000000ULL && strcmp(cfg.format, "pcap") == 0);
    CHECK(parse(14, "-i", "a", "-i", "net_b", "-w", "x", "-s", "96", "-c", "5", "-b",
                "filesize:100", "-b", "files:3") == 0);
    CHECK(cfg.nifaces == 2 && cfg.snaplen == 96 && cfg.count == 5 && cfg.rot_bytes == 100000 &&
          cfg.ring_files == 3);
    CHECK(parse(10, "-i", "x", "-w", "y", "-a", "duration:1.5", "-b", "duration:100ms",
                "--cores", "1") == 0);
    CHECK(cfg.stop_ns == 1500000000ULL && cfg.rot_ns == 100000000ULL && cfg.ncores == 1);
    CHECK(parse(9, "-i", "x", "--count-only", "-q", "4", "--", "--no-huge", "-m", "512") == 0);
    CHECK(cfg.count_only && cfg.queues == 4 && cfg.n_eal_args == 3 &&
          strcmp(cfg.eal_args[0], "--no-huge") == 0);
    CHECK(parse(6, "-i", "x", "-w", "y", "-a", "packets:7") == 0 && cfg.count == 7);
    CHECK(parse(1, "--help") == 0 && cfg.help);
    /* an index beside every file unless --no-index */
    CHECK(parse(4, "-i", "x", "-w", "y") == 0 && !cfg.no_index);
    CHECK(parse(5, "-i", "x", "-w", "y", "--no-index") == 0 && cfg.no_index);
    CHECK(parse(1, "--version") == 0 && cfg.version);
    CHECK(parse(6, "-i", "x", "-w", "y", "--stats-interval", "0") == 0 &&
          cfg.stats_interval_ns == 0);
    /* formats: -n / --pcapng, -P / --pcap, -F; the last one given wins */
    CHECK(parse(5, "-i", "x", "-w", "y", "-n") == 0 && strcmp(cfg.format, "pcapng") == 0);
    CHECK(parse(5, "-i", "x", "-w", "y", "--pcapng") == 0 && strcmp(cfg.format, "pcapng") == 0);
    CHECK(parse(6, "-i", "x", "-w", "y", "-F", "pcapng") == 0 &&
          strcmp(cfg.format, "pcapng") == 0);
    CHECK(parse(6, "-i", "x", "-w", "y", "-n", "-P") == 0 && strcmp(cfg.format, "pcap") == 0);
    CHECK(parse(6, "-i", "x", "-w", "y", "-P", "--pcapng") == 0 &&
          strcmp(cfg.format, "pcapng") == 0);
    CHECK(parse(7, "-i", "x", "-w", "y", "-n", "-F", "pcap") == 0 &&
          strcmp(cfg.format, "pcap") == 0);
    CHECK(parse(6, "-i", "x", "-w", "y", "-F", "pcap") == 0 && strcmp(cfg.format, "pcap") == 0 &&
          cfg.filter == NULL);

    BAD("'0'", 6, "-i", "x", "-w", "y", "-s", "0");
    BAD("'10x'", 6, "-i", "x", "-w", "y", "-s", "10x");
    BAD("'300000'", 6, "-i", "x", "-w", "y", "-s", "300000");
    BAD("'0'", 6, "-i", "x", "-w", "y", "-c", "0");
    BAD("'-5'", 6, "-i", "x", "-w", "y", "-c", "-5");
    BAD("duration:-1", 6, "-i", "x", "-w", "y", "-a", "duration:-1");
    BAD("duration:10x", 6, "-i", "x", "-w", "y", "-a", "duration:10x");
    BAD("duration:307445734.99m", 6, "-i", "x", "-w", "y", "-b", "duration:307445734.99m");
    BAD("filesize:0", 6, "-i", "x", "-w", "y", "-b", "filesize:0");
    BAD("filesize:10x", 6, "-i", "x", "-w", "y", "-b", "filesize:10x");
    BAD("files:3", 6, "-i", "x", "-w", "y", "-b", "files:3");
    BAD("bogus", 6, "-i", "x", "-w", "y", "-a", "bogus:1");
    BAD("nocolon", 6, "-i", "x", "-w", "y", "-b", "nocolon");
    BAD("--frobnicate", 5, "-i", "x", "-w", "y", "--frobnicate");
    BAD("-x", 5, "-i", "x", "-w", "y", "-x");
    BAD("-s", 5, "-i", "x", "-w", "y", "-s");
    BAD("interface", 2, "-w", "y");
    BAD("-w", 2, "-i", "x");
    BAD("abc", 6, "-i", "x", "-w", "y", "--cores", "abc");
    BAD("'0'", 6, "-i", "x", "-w", "y", "-q", "0");
    BAD("'1'", 6, "-i", "x", "-w", "y", "-B", "1");
    BAD("'pcapx'", 6, "-i", "x", "-w", "y", "-F", "pcapx");
    BAD("pcap or pcapng", 6, "-i", "x", "-w", "y", "-F", "PCAPNG");
    BAD("'ng'", 6, "-i", "x", "-w", "y", "-F", "ng");
    BAD("'y'", 5, "-i", "x", "-w", "y", "--count-only");
    BAD("'z'", 6, "-i", "x", "-w", "y", "-w", "z");
    BAD("'2x'", 6, "-i", "x", "-w", "y", "--stats-interval", "2x");
    BAD("'nic'", 6, "-i", "x", "-w", "y", "--time-source", "nic");
    /* the capture filter: -f, or the words that are not options (in order,
     * wherever getopt finds them), never what follows "--" */
    CHECK(parse(6, "-i", "x", "-w", "y", "-f", "udp port 53") == 0 && cfg.filter &&
          strcmp(cfg.filter, "udp port 53") == 0 && !cfg.no_jit);
    CHECK(parse(4, "-i", "x", "-w", "y") == 0 && cfg.filter == NULL);
    CHECK(parse(10, "-i", "x", "tcp", "and", "-w", "y", "port", "80", "--", "-m") == 0 &&
          cfg.filter && strcmp(cfg.filter, "tcp and port 80") == 0 && cfg.n_eal_args == 1 &&
          strcmp(cfg.eal_args[0], "-m") == 0);
    CHECK(parse(7, "-i", "x", "--count-only", "--no-jit", "--filter", "ip6", "--") == 0 &&
          strcmp(cfg.filter, "ip6") == 0 && cfg.no_jit && cfg.n_eal_args == 0);
    BAD("'tcp'", 7, "-i", "x", "-w", "y", "-f", "udp", "tcp");
    BAD("'tcp'", 8, "-i", "x", "-w", "y", "-f", "udp", "-f", "tcp");
    BAD("-f ''", 6, "-i", "x", "-w", "y", "-f", "");
    BAD("-f ' '", 6, "-i", "x", "-w", "y", "-f", " ");
    BAD("--no-jit", 5, "-i", "x", "-w", "y", "--no-jit");
    BAD("-f", 5, "-i", "x", "-w", "y", "-f");
    {
        static char big[LC_MAX_FILTER + 10];
        memset(big, 'a', sizeof(big) - 1);
        BAD("longer than", 5, "-i", "x", "-w", "y", big);
    }

    /* --config FILE gives the same configuration as the command line */
    {
        static struct config a;
        char *f = write_conf(
            "# a probe\n"
            "interface net_pcap0,iface=eth0\n"
            "interface net_null0\n"
            "write /var/lib/linecap/x/cap.pcap\n"
            "ring-buffer filesize:1000\n"
            "ring-buffer files:100\n"
            "autostop duration:60\n"
            "snaplen 128\n"
            "pcapng\n"
            "filter \"udp and not port 53\"\n"
            "no-jit\n"
            "cores 1,3\n"
            "queues 2\n"
            "buffer-size 512\n"
            "stats-interval 0\n"
            "stats-json /tmp/s.json\n"
            "min-free 20G\n"
            "metrics 127.0.0.1:9100\n"
            "time-source tsc\n"
            "user nobody\n"
            "group-read\n"
            "no-sync\n"
            "no-index\n"
            "quiet\n"
            "telemetry\n"
            "eal --no-huge -m 512\n");
        CHECK(parse(2, "--config", f) == 0);
        memcpy(&a, &cfg, sizeof(a));
        cfg.argv_mem = NULL;            /* now a's */
        CHECK(parse(45, "-i", "net_pcap0,iface=eth0", "-i", "net_null0", "-w",
                    "/var/lib/linecap/x/cap.pcap", "-b", "filesize:1000", "-b", "files:100", "-a",
                    "duration:60", "-s", "128", "-n", "-f", "udp and not port 53", "--no-jit",
                    "--cores", "1,3", "-q", "2", "-B", "512", "--stats-interval", "0",
                    "--stats-json", "/tmp/s.json", "--min-free", "20G", "--metrics",
                    "127.0.0.1:9100", "--time-source", "tsc", "-Z", "nobody", "-g", "--no-sync",
                    "--no-index", "--quiet", "--telemetry", "--", "--no-huge", "-m", "512") == 0);
        CHECK(a.nifaces == 2 && a.ring_files == 100 && a.rot_bytes == 1000000 &&
              a.snaplen == 128 && a.no_jit && a.ncores == 2 && a.n_eal_args == 3 && a.quiet);
        CHECK(same(&a, &cfg));
        /* options after --config: single-valued ones replace the file's, -i adds */
        CHECK(parse(8, "--config", f, "-w", "other.pcap", "-f", "tcp", "-i", "net_null1") == 0);
        CHECK(strcmp(cfg.outpath, "other.pcap") == 0 && strcmp(cfg.filter, "tcp") == 0 &&
              cfg.nifaces == 3);
        CHECK(parse(4, "--config", f, "-s", "64") == 0 && cfg.snaplen == 64);
        CHECK(parse(5, "--config", f, "icmp", "or", "arp") == 0 &&
              strcmp(cfg.filter, "icmp or arp") == 0);
        /* the file's value after the command line's: its place wins */
        CHECK(parse(4, "-s", "64", "--config", f) == 0 && cfg.snaplen == 128);
        /* but two -w on the command line, or in the file, stay an error */
        BAD("'z'", 6, "--config", f, "-w", "y", "-w", "z");
        BAD("'y'", 4, "-w", "y", "--config", f);
        /* the manifest's argv: the expanded one */
        CHECK(parse(2, "--config", f) == 0 && cfg.argc == 29 &&
              strcmp(cfg.argv[1], "--interface=net_pcap0,iface=eth0") == 0);
        free(a.argv_mem);
        unlink(f);
        f = write_conf("write a.pcap\nsnaplen 0\n");
        BAD("'0'", 4, "-i", "x", "--config", f);
        unlink(f);
        f = write_conf("interface x\nwrite\n");
        BAD(":2: 'write' needs a value", 2, "--config", f);
        unlink(f);
        CHECK(parse(2, "--config", "/nonexistent.conf") == EXIT_NOINPUT &&
              strstr(err, "/nonexistent.conf") != NULL);
        BAD("--config", 1, "--config");
        options_free(&cfg);
    }
    /* every long option getopt takes is in --help and in the man page */
    {
        struct option lo[LC_OPT_MAX];
        char so[2 * LC_OPT_MAX + 4], *help = NULL, *man = NULL, want[80];
        size_t hl = 0, ml = 0;
        CHECK(opttab_getopt(&options_capture_cmd, lo, LC_OPT_MAX, so, sizeof(so)) == 0);
        FILE *h = open_memstream(&help, &hl), *m = open_memstream(&man, &ml);
        options_usage(h, NULL);
        opttab_man_options(m, &options_capture_cmd, true);
        fclose(h);
        fclose(m);
        int n = 0;
        for (; lo[n].name; n++) {
            snprintf(want, sizeof(want), "--%s%s", lo[n].name, lo[n].has_arg ? " " : "");
            CHECK(strstr(help, want) != NULL);
            char *d = want;
            d += sprintf(d, "\\fB\\-\\-");
            for (const char *c = lo[n].name; *c; c++)
                d += sprintf(d, *c == '-' ? "\\-" : "%c", *c);
            sprintf(d, "\\fR");
            CHECK(strstr(man, want) != NULL);
        }
        CHECK(n >= 30);
        free(help);
        free(man);
    }
    return check_done("test_options");
}
