/* `linecap extract`: the packets of a time window and a filter expression
 * from a store of pcap/pcapng files, merged in time order, as one pcap or
 * pcapng stream. The engine is index/extract.c; this is its command line. */
#include "app/extract_cmd.h"

#include "common/exitcodes.h"
#include "common/log.h"
#include "common/units.h"
#include "index/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OPT_FROM = 256, OPT_TO };

static const struct lc_opt extract_opts[] = {
    { OPT_FROM, "from", "TIME", "only packets at or after TIME" },
    { OPT_TO, "to", "TIME", "only packets before TIME" },
    { 'w', NULL, "FILE|-",
      "write to FILE, or to stdout with '-' (the default when stdout\n"
      "is not a terminal: linecap extract ... | tcpdump -r -)" },
    { 'F', NULL, "pcap|pcapng",
      "output format (default pcap, nanosecond timestamps; files of\n"
      "different link types need pcapng)" },
    { 'c', NULL, "N", "stop after N packets" },
    { 'q', "quiet", NULL, "no notices and no report line" },
    { 'h', "help", NULL, "this text" },
    { 0, NULL, NULL, NULL },
};

const struct lc_cmd extract_command = {
    .name = "linecap extract",
    .summary = "the packets of a time window and a filter, from many files, merged",
    .usage = "[OPTIONS] DIR|FILE... [--] [EXPRESSION]",
    .about =
"Write the packets of the capture files (pcap or pcapng; a DIR means every\n"
"*.pcap, *.pcapng and *.cap file in it, not the hidden partial files of a\n"
"running capture) that fall in the time window and match the libpcap filter\n"
"EXPRESSION (the words of tcpdump and of linecap -f), merged in timestamp\n"
"order across files, streams and ports: pcap with nanosecond timestamps, or\n"
"pcapng. The index beside each file (NAME.idx, written by the capture or by\n"
"`linecap index`) skips the files and the parts of files that cannot hold a\n"
"match; every record read is then checked against the whole expression and\n"
"the window, so the answer is exactly what tcpdump -r would select from all\n"
"the files merged. A file without a usable index (missing, older than its\n"
"file, damaged) is read whole, with a one-line notice.\n"
"\n"
"The arguments after the options are paths as long as they exist (or contain\n"
"'/' or end in .pcap, .pcapng, .cap); the first other one starts the\n"
"EXPRESSION, which is the rest of the arguments joined with spaces. With\n"
"'--', everything after it is the EXPRESSION.",
    .opts = extract_opts,
    .notes =
"TIME: RFC 3339 (2026-12-03T09:30:00Z, 2026-12-03T10:30:00.250+01:00), epoch\n"
"seconds with an optional fraction (1764754200.5), 'now', or relative to now:\n"
"-30s, -15m, -2h, -1d, -1.5h, -500ms.\n"
"\n"
"The report on stderr: files considered, opened (the others were pruned by\n"
"their index), scanned without an index, chunks and bytes read, packets read\n"
"and written, time.",
    .exits = "0 done, 64 usage (a bad option or TIME, pcap output of mixed link\n"
             "types), 65 bad filter expression, 66 nothing to read (a path or file that\n"
             "cannot be read, no capture file), 73 cannot create FILE, 74 I/O error.",
    .shortopts_head = ":",
};

static void notice(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "%s: %s\n", lc_progname, line);
}

static uint64_t realtime_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int parse_time(const char *opt, const char *s, uint64_t now, uint64_t *ns)
{
    int rc = extract_parse_time(s, now, ns);
    if (rc == 0)
        return 0;
    lc_err("%s '%s': %s (expected RFC 3339 like 2026-12-03T09:30:00Z, epoch seconds like "
           "1764754200.5, or relative like -2h, -15m, -30s, -1d)", opt, s,
           rc == -ERANGE ? "out of range" : "not a time");
    return EXIT_USAGE;
}

static bool looks_like_path(const char *a)
{
    struct stat st;
    return stat(a, &st) == 0 || strchr(a, '/') != NULL || extract_capture_name(a);
}

static void human(char *out, size_t n, uint64_t b)
{
    if (b >= (1ull << 30))
        snprintf(out, n, "%.1f GiB", (double)b / (double)(1ull << 30));
    else if (b >= (1ull << 20))
        snprintf(out, n, "%.1f MiB", (double)b / (double)(1ull << 20));
    else if (b >= 1024)
        snprintf(out, n, "%.1f KiB", (double)b / 1024.0);
    else
        snprintf(out, n, "%llu B", (unsigned long long)b);
}

int extract_main(int argc, char **argv)
{
    struct option lo[LC_OPT_MAX];
    char so[2 * LC_OPT_MAX + 4];
    struct extract_req req = { .format = EXTRACT_PCAP, .out_fd = STDOUT_FILENO };
    const char *from = NULL, *to = NULL, *wfile = NULL;
    bool quiet = false;
    int c;

    /* an explicit "--": options and paths before it, the expression after */
    int dd = -1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            dd = i;
            break;
        }
    int oargc = dd >= 0 ? dd : argc;
    if (opttab_getopt(&extract_command, lo, LC_OPT_MAX, so, sizeof(so)) < 0)
        return EXIT_SOFTWARE;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(oargc, argv, so, lo, NULL)) != -1) {
        switch (c) {
        case OPT_FROM: from = optarg; break;
        case OPT_TO: to = optarg; break;
        case 'w': wfile = optarg; break;
        case 'q': quiet = true; break;
        case 'F':
            if (strcmp(optarg, "pcap") == 0)
                req.format = EXTRACT_PCAP;
            else if (strcmp(optarg, "pcapng") == 0)
                req.format = EXTRACT_PCAPNG;
            else {
                lc_err("-F '%s': expected pcap or pcapng", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'c':
            if (lc_parse_u64(optarg, 1, UINT64_MAX, &req.max_count) != 0) {
                lc_err("-c '%s': expected a packet count of at least 1", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h': opttab_help(stdout, &extract_command, NULL); return 0;
        case ':':
            lc_err("option '%s' needs a value (see linecap extract --help)", argv[optind - 1]);
            return EXIT_USAGE;
        default:
            lc_err("unknown option '%s' (see linecap extract --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    /* paths, then the expression */
    int npaths = 0, first_expr = oargc;
    for (int i = optind; i < oargc; i++) {
        if (dd < 0 && !looks_like_path(argv[i])) {
            first_expr = i;
            break;
        }
        npaths++;
    }
    if (npaths == 0) {
        if (optind < oargc)
            lc_err("'%s' is not an existing directory or file: give the paths first, then the "
                   "expression (usage: linecap extract [OPTIONS] DIR|FILE... [EXPRESSION])",
                   argv[optind]);
        else
            lc_err("no directory or capture file given (usage: linecap extract [OPTIONS] "
                   "DIR|FILE... [EXPRESSION])");
        return EXIT_USAGE;
    }
    size_t elen = 1;
    int e0 = dd >= 0 ? dd + 1 : first_expr, e1 = dd >= 0 ? argc : oargc;
    for (int i = e0; i < e1; i++)
        elen += strlen(argv[i]) + 1;
    char *expr = calloc(1, elen);
    if (expr == NULL) {
        lc_err("out of memory");
        return EXIT_OSERR;
    }
    for (int i = e0; i < e1; i++) {
        if (i > e0)
            strcat(expr, " ");
        strcat(expr, argv[i]);
    }
    req.paths = (const char *const *)argv + optind;
    req.npaths = (size_t)npaths;
    req.expr = expr;

    int rc = 0;
    uint64_t now = realtime_ns();
    if ((from && (rc = parse_time("--from", from, now, &req.from_ns)) != 0) ||
        (to && (rc = parse_time("--to", to, now, &req.to_ns)) != 0))
        goto out;
    if (to && req.to_ns == 0)
        req.to_ns = 1;          /* --to 0: an empty window, not "no end" */
    if (from && to && req.from_ns >= req.to_ns) {
        lc_err("--from %s is not before --to %s: the window is empty", from, to);
        rc = EXIT_USAGE;
        goto out;
    }
    /* the output */
    bool created = false;
    int fd = STDOUT_FILENO;
    if (wfile == NULL || strcmp(wfile, "-") == 0) {
        if (isatty(STDOUT_FILENO)) {
            lc_err("stdout is a terminal: refusing to write %s there (give -w FILE, or pipe "
                   "into tcpdump -r - or wireshark -k -i -)",
                   req.format == EXTRACT_PCAP ? "pcap" : "pcapng");
            rc = EXIT_USAGE;
            goto out;
        }
    } else {
        fd = open(wfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            lc_err("-w %s: cannot create: %s", wfile, strerror(errno));
            rc = EXIT_CANTCREAT;
            goto out;
        }
        created = true;
    }
    struct stat ost;
    if (fstat(fd, &ost) == 0 && S_ISREG(ost.st_mode)) {
        req.exclude_dev = (uint64_t)ost.st_dev;
        req.exclude_ino = (uint64_t)ost.st_ino;
    } else {
        created = false;        /* a device or pipe: never unlinked */
    }
    req.out_fd = fd;
    if (!quiet)
        req.notice = notice;

    struct extract_report r;
    char err[1200];
    rc = extract_run(&req, &r, err, sizeof(err));
    if (fd != STDOUT_FILENO) {
        if (close(fd) < 0 && rc == 0) {
            snprintf(err, sizeof(err), "-w %s: %s", wfile, strerror(errno));
            rc = EXIT_IOERR;
        }
        /* nothing written (a usage, filter or input error): no file */
        if (created && rc != 0 && r.bytes_written == 0)
            unlink(wfile);
    }
    if (rc != 0)
        lc_err("%s", err);
    if (!quiet && (rc == 0 || r.bytes_written > 0)) {
        char rb[32], ib[32];
        human(rb, sizeof(rb), r.bytes_read);
        human(ib, sizeof(ib), r.idx_bytes);
        fprintf(stderr,
                "%s: %llu files considered, %llu opened, %llu scanned without index%s; "
                "%llu of %llu indexed chunks read, %s read (+ %s of index); %llu packets read, "
                "%llu written; %.3f s\n",
                lc_progname, (unsigned long long)r.files_considered,
                (unsigned long long)r.files_opened, (unsigned long long)r.files_scanned,
                r.files_failed ? ", some unreadable" : "", (unsigned long long)r.chunks_read,
                (unsigned long long)r.chunks_total, rb, ib,
                (unsigned long long)r.records_read, (unsigned long long)r.records_written,
                r.elapsed_s);
    }
out:
    free(expr);
    return rc;
}
