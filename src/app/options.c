
#include "app/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/opttab.h"
#include "common/units.h"
#include "stats/counters.h"
#include "stats/metrics.h"

enum {
    OPT_CORES = 256,
    OPT_COUNT_ONLY,
    OPT_STATS_INTERVAL,
    OPT_STATS_JSON,
    OPT_VERSION,
    OPT_NO_SYNC,
    OPT_QUIET,
    OPT_TIME_SOURCE,
    OPT_DISK_LIMIT,
    OPT_MIN_FREE,
    OPT_NO_JIT,
    OPT_METRICS,
    OPT_TELEMETRY,
    OPT_NO_INDEX,
    OPT_HOOK_JOBS,
    OPT_HOOK_QUEUE,
    OPT_HOOK_WAIT,
    OPT_CONFIG,
};

/* The capture's options: getopt's, --help's, the man page's and the
 * --config file's names. */
static const struct lc_opt capture_opts[] = {
    { 0, NULL, NULL, "Input" },
    { 'i', "interface", "PORT",
      "PCI address (0000:01:00.0), DPDK vdev (net_memif0,role=client,...),\n"
      "port index, or a kernel interface name (taken through net_af_packet\n"
      "with a 16384-frame ring unless framecnt= is given; its ring-full\n"
      "drops are counted as kernel_drops); repeat for more ports" },
    { 'f', "filter", "FILTER",
      "capture filter in libpcap (tcpdump) syntax, e.g. 'udp port 53';\n"
      "or give it as the last words, as tcpdump does. Packets it rejects\n"
      "are freed and counted as filtered (not drops); -c counts matches" },
    { OPT_NO_JIT, "no-jit", NULL, "run the filter in DPDK's BPF interpreter, not its JIT" },
    { 's', "snaplen", "SNAPLEN",
      "bytes kept per packet, 1-" LC_XSTR(LC_MAX_SNAPLEN) " (default " LC_XSTR(LC_MAX_SNAPLEN) ")" },
    { OPT_TIME_SOURCE, "time-source", "SRC",
      "auto (default: NIC receive timestamps when the port offers them,\n"
      "else the TSC, once per burst) or tsc" },
    { 0, NULL, NULL, "Output" },
    { 'w', "write", "FILE",
      "output file; with -b, FILE_00001_YYYYmmddHHMMSS.EXT (EXT: the one\n"
      "of FILE, else .pcap or .pcapng)" },
    { 'F', "format", "pcap|pcapng", "output format (default pcap, nanosecond magic)" },
    { 'n', "pcapng", NULL,
      "pcapng: a section and interface header per file (ports in -i order,\n"
      "nanosecond timestamps), inbound flag (and queue if -q > 1) per packet,\n"
      "interface statistics blocks at every close (see DESIGN.md)" },
    { 'P', "pcap", NULL, "pcap (the default)" },
    { OPT_COUNT_ONLY, "count-only", NULL, "receive and count on the identical path; store nothing" },
    { OPT_NO_SYNC, "no-sync", NULL, "do not fdatasync each file at close" },
    { OPT_NO_INDEX, "no-index", NULL,
      "no index beside each file (default: FILE.idx, e.g. cap.pcap.idx,\n"
      "written at close, deleted with its file: `linecap extract` reads it)" },
    { 'g', "group-read", NULL, "files readable by the group (0640); default 0600, whatever the umask" },
    { 0, NULL, NULL, "Hand-off of closed files" },
    { 'z', "post-rotate", "CMD",
      "run CMD FILE (no shell; as the -Z user) for each file once it is\n"
      "closed, synced and renamed, its index in place; also the last file\n"
      "at a stop. Never blocks the capture: a full queue leaves the file\n"
      "on disk, warned, counted and listed (docs/HANDOFF.md)" },
    { OPT_HOOK_JOBS, "post-rotate-jobs", "N", "commands running at once (default 1: one at a time, in order)" },
    { OPT_HOOK_QUEUE, "post-rotate-queue", "N", "closed files waiting for a command (default 64)" },
    { OPT_HOOK_WAIT, "post-rotate-wait", "S",
      "at exit, wait up to S s for queued and running commands\n"
      "(default 60; 0: do not wait; a signal ends the wait)" },
    { 0, NULL, NULL, "Stop, rotation and disk space" },
    { 'c', "count", "N", "stop after N packets" },
    { 'a', "autostop", "COND", "autostop: duration:S | filesize:KB | packets:N | files:N" },
    { 'b', "ring-buffer", "COND",
      "rotate:   duration:S | interval:S | filesize:KB | packets:N; files:N\n"
      "keeps the newest N (KB = 1000 bytes; interval: files start at\n"
      "wall-clock multiples of S s, e.g. interval:60 on each minute;\n"
      "rotation by time happens even with no traffic)" },
    { OPT_DISK_LIMIT, "disk-limit", "SIZE",
      "keep this run's files within SIZE (e.g. 20G) by deleting its own\n"
      "oldest closed files; needs -b rotation" },
    { OPT_MIN_FREE, "min-free", "SIZE",
      "likewise keep SIZE free on the output filesystem; a full disk\n"
      "then also deletes the oldest file instead of stopping\n"
      "(without either: a full disk ends the capture, exit 74)" },
    { 0, NULL, NULL, "Performance" },
    { 'q', "queues", "QUEUES", "receive queues per port (RSS), default 1" },
    { OPT_CORES, "cores", "LIST",
      "receive cores, one stream each (default: the last CPU); the writer\n"
      "and main thread use the first CPU not in LIST (a CPU may repeat:\n"
      "its receive loops then take turns on it)" },
    { 'B', "buffer-size", "MIB",
      "block pool (buffer between receive and disk), default 2048 MiB;\n"
      "each stream may hold its share, at least 4 blocks" },
    { 0, NULL, NULL, "Reporting" },
    { OPT_STATS_INTERVAL, "stats-interval", "S", "live line on stderr every S seconds (default 1; 0 = none)" },
    { OPT_STATS_JSON, "stats-json", "FILE", "write the final statistics as JSON" },
    { OPT_METRICS, "metrics", "ADDR:PORT",
      "serve Prometheus metrics on http://ADDR:PORT/metrics; PORT or\n"
      ":PORT listens on 127.0.0.1 only, another address only when given\n"
      "([::1]:PORT for IPv6; port 0: any free port, printed at start)" },
    { OPT_TELEMETRY, "telemetry", NULL,
      "DPDK telemetry socket with /linecap/stats, /linecap/ports and\n"
      "/linecap/queues,PORT (dpdk-telemetry.py; -f with --file-prefix)" },
    { OPT_QUIET, "quiet", NULL, "no start-up information lines" },
    { 0, NULL, NULL, "Other" },
    { 'Z', "user", "USER",
      "drop privileges to USER after DPDK initialisation (files are\n"
      "then owned by USER; the output directory must be writable by it)" },
    { OPT_CONFIG, "config", "FILE",
      "read options from FILE, one a line: the long name without dashes,\n"
      "then the value (rest of the line; \"...\" keeps spaces), # comments,\n"
      "`eal ARGS...` for EAL arguments; they take the place of --config, so\n"
      "later options override them (-i adds a port)" },
    { 'h', "help", NULL, "this text" },
    { OPT_VERSION, "version", NULL, "the version" },
    { 0, NULL, NULL, NULL },
};

static void capture_more(FILE *out, bool roff);

const struct lc_cmd options_capture_cmd = {
    .name = "linecap",
    .summary = "capture from DPDK ports to pcap or pcapng files at line rate",
    .usage = "-i PORT [-i PORT ...] -w FILE [options] [FILTER] [-- EAL-ARGS]\n"
             "-i PORT --count-only [options] [FILTER]\n"
             "--config FILE [options]\n"
             "COMMAND [OPTIONS] ...",
    .about = "Capture from DPDK ports to pcap or pcapng files (nanosecond timestamps) at\n"
             "line rate. Arguments after -- go to the DPDK EAL (expert).",
    .opts = capture_opts,
    .notes = "At exit a JSON manifest (versions, ports, offloads, cores, clock, options,\n"
             "counters, % captured, files) is written beside the files as\n"
             "FIRST-FILE.manifest.json.",
    .exits = "0 ok (also after SIGINT/SIGTERM), 64 usage, 65 filter, 66 port (or\n"
             "the --config file cannot be read), 69 DPDK unavailable, 73 cannot create\n"
             "output (a file, the manifest, or the --metrics address cannot be bound),\n"
             "74 I/O error during capture.",
    .shortopts_head = "-:",
    .more = capture_more,
};

/* "key:value" for -a and -b. */
static int parse_cond(char opt, const char *arg, struct config *c, char *err, size_t errlen)
{
    const char *colon = strchr(arg, ':');
    const bool stop = (opt == 'a');
    uint64_t v;

    if (colon == NULL)
        return lc_bad(err, errlen,
                      "-%c '%s': expected duration:SECONDS, %sfilesize:KB, packets:N or files:N",
                      opt, arg, stop ? "" : "interval:SECONDS, ");
    size_t klen = (size_t)(colon - arg);
    const char *val = colon + 1;

    if (klen == 8 && strncmp(arg, "duration", 8) == 0) {
        if (lc_parse_duration_ns(val, &v) < 0)
            return lc_bad(err, errlen,
                          "-%c '%s': duration must be a positive number of seconds (e.g. 10, 0.5, 100ms)",
                          opt, arg);
        if (stop)
            c->stop_ns = v;
        else
            c->rot_ns = v;
    } else if (!stop && klen == 8 && strncmp(arg, "interval", 8) == 0) {
        /* whole seconds, as dumpcap: boundaries at multiples since the epoch */
        if (lc_parse_u64(val, 1, 31 * 86400, &v) < 0)
            return lc_bad(err, errlen, "-b '%s': interval must be a whole number of seconds "
                          "from 1 to 2678400 (files start at multiples of it since the epoch)", arg);
        c->rot_interval_ns = v * 1000000000ULL;
    } else if (klen == 8 && strncmp(arg, "filesize", 8) == 0) {
        /* kB = 1000 bytes, as in Wireshark's dumpcap. */
        if (lc_parse_u64(val, 1, UINT64_MAX / 1000, &v) < 0)
            return lc_bad(err, errlen, "-%c '%s': filesize must be a whole number of kB (1000 bytes), >= 1",
                          opt, arg);
        if (stop)
            c->stop_bytes = v * 1000;
        else
            c->rot_bytes = v * 1000;
    } else if (klen == 7 && strncmp(arg, "packets", 7) == 0) {
        if (lc_parse_u64(val, 1, INT64_MAX, &v) < 0)
            return lc_bad(err, errlen, "-%c '%s': packets must be a whole number >= 1", opt, arg);
        if (stop)
            c->count = v;
        else
            c->rot_pkts = v;
    } else if (klen == 5 && strncmp(arg, "files", 5) == 0) {
        if (lc_parse_u64(val, 1, 1000000, &v) < 0)
            return lc_bad(err, errlen, "-%c '%s': files must be a whole number from 1 to 1000000",
                          opt, arg);
        if (stop)
            c->stop_files = v;
        else
            c->ring_files = v;
    } else {
        return lc_bad(err, errlen,
                      "-%c '%s': unknown condition '%.*s'; expected duration, %sfilesize, packets or files",
                      opt, arg, (int)klen, arg, stop ? "" : "interval, ");
    }
    return 0;
}

int options_parse(int argc, char **argv, struct config *c, char *err, size_t errlen)
{
    uint64_t v;
    int o;
    size_t wlen = 0;            /* bytes in c->filter_words */

    struct option lo[LC_OPT_MAX];
    char so[2 * LC_OPT_MAX + 4];
    struct opttab_argv x;
    bool w_file = false, f_file = false;    /* -w, -f came from a --config file */

    memset(c, 0, sizeof(*c));
    c->snaplen = LC_MAX_SNAPLEN;
    c->queues = 1;
    c->format = "pcap";
    c->stats_interval_ns = 1000000000ULL;
    c->buffer_mib = 2048;
    c->post_rotate_jobs = 1;
    c->post_rotate_queue = 64;
    c->post_rotate_wait_ns = 60 * 1000000000ULL;
    err[0] = '\0';
    if (opttab_getopt(&options_capture_cmd, lo, LC_OPT_MAX, so, sizeof(so)) < 0)
        return lc_bad(err, errlen, "the option table is too large"), EXIT_SOFTWARE;

    /* --config FILE: its lines take its place; a single-valued option
     * given later on the command line replaces the file's */
    int rc = opttab_expand(&options_capture_cmd, OPT_CONFIG, argc, argv, &x, err, errlen);
    if (rc)
        return rc;
    c->argv_mem = x.mem;
    c->argc = argc = x.argc;
    c->argv = argv = x.argv;
#define FROM_FILE() (x.from_file != NULL && x.from_file[optind - 1])

    /* "-": words that are not options come back in order as o == 1 (the
     * filter, as tcpdump takes it); "--" still ends the scan. optind 0 makes
     * glibc re-read that mode on every call. */
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        switch (o) {
        case 1: {
            size_t k = strlen(optarg);
            if (wlen + k + 2 > sizeof(c->filter_words))
                return lc_bad(err, errlen, "the filter words are longer than %d bytes at '%.40s'",
                              LC_MAX_FILTER - 1, optarg);
            if (wlen)
                c->filter_words[wlen++] = ' ';
            memcpy(c->filter_words + wlen, optarg, k + 1);
            wlen += k;
            break;
        }
        case 'f':
            if (c->filter && !(f_file && !FROM_FILE()))
                return lc_bad(err, errlen, "-f '%s': only one -f is allowed (already '%s')", optarg,
                              c->filter);
            f_file = FROM_FILE();
            if (optarg[strspn(optarg, " \t\n")] == '\0')
                return lc_bad(err, errlen, "-f '%s': expected a capture filter expression "
                              "(libpcap syntax, e.g. 'udp port 53')", optarg);
            c->filter = optarg;
            break;
        case OPT_NO_JIT:
            c->no_jit = true;
            break;
        case 'i':
            if (c->nifaces >= LC_MAX_IFACES)
                return lc_bad(err, errlen, "-i '%s': at most %d interfaces", optarg, LC_MAX_IFACES);
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "-i '': expected a PCI address, a DPDK vdev (net_...), a port index or an interface name");
            c->ifaces[c->nifaces++] = optarg;
            break;
        case 'w':
            if (c->outpath && !(w_file && !FROM_FILE()))
                return lc_bad(err, errlen, "-w '%s': only one -w is allowed (already '%s')", optarg, c->outpath);
            w_file = FROM_FILE();
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "-w '': expected an output file name");
            c->outpath = optarg;
            break;
        case 's':
            if (lc_parse_u64(optarg, 1, LC_MAX_SNAPLEN, &v) < 0)
                return lc_bad(err, errlen, "-s '%s': snaplen must be a whole number from 1 to %d",
                              optarg, LC_MAX_SNAPLEN);
            c->snaplen = (uint32_t)v;
            break;
        case 'c':
            if (lc_parse_u64(optarg, 1, INT64_MAX, &v) < 0)
                return lc_bad(err, errlen, "-c '%s': packet count must be a whole number >= 1", optarg);
            c->count = v;
            break;
        case 'a':
        case 'b':
            if ((rc = parse_cond((char)o, optarg, c, err, errlen)) != 0)
                return rc;
            break;
        case 'q':
            if (lc_parse_u64(optarg, 1, 64, &v) < 0)
                return lc_bad(err, errlen, "-q '%s': queues must be a whole number from 1 to 64", optarg);
            c->queues = (unsigned)v;
            break;
        case 'B':
            if (lc_parse_u64(optarg, 16, 1 << 20, &v) < 0)
                return lc_bad(err, errlen, "-B '%s': buffer size must be a whole number of MiB from 16 to 1048576",
                              optarg);
            c->buffer_mib = v;
            break;
        case 'g':
            c->group_read = true;
            break;
        case 'F':
            /* the last of -F, -n and -P wins, as in dumpcap */
            if (strcmp(optarg, "pcap") == 0)
                c->format = "pcap";
            else if (strcmp(optarg, "pcapng") == 0)
                c->format = "pcapng";
            else
                return lc_bad(err, errlen, "-F '%s': unknown format; expected pcap or pcapng", optarg);
            break;
        case 'n':
            c->format = "pcapng";
            break;
        case 'P':
            c->format = "pcap";
            break;
        case 'Z':
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "-Z '': expected a user name");
            c->user = optarg;
            break;
        case 'h':
            c->help = true;
            break;
        case OPT_CORES: {
            int n = lc_parse_cpu_list(optarg, c->cores, LC_MAX_CORES);
            if (n == -ERANGE)
                return lc_bad(err, errlen, "--cores '%s': at most %d receive cores, CPU ids below 1024",
                              optarg, LC_MAX_CORES);
            if (n < 0)
                return lc_bad(err, errlen, "--cores '%s': expected a list of CPU ids such as 1 or 1,3 or 2-5",
                              optarg);
            c->ncores = n;
            break;
        }
        case OPT_COUNT_ONLY:
            c->count_only = true;
            break;
        case OPT_STATS_INTERVAL:
            if (strcmp(optarg, "0") == 0)
                c->stats_interval_ns = 0;
            else if (lc_parse_duration_ns(optarg, &v) < 0)
                return lc_bad(err, errlen, "--stats-interval '%s': expected seconds > 0 (e.g. 1, 0.5), or 0 for none",
                              optarg);
            else
                c->stats_interval_ns = v;
            break;
        case OPT_STATS_JSON:
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "--stats-json '': expected a file name");
            c->stats_json = optarg;
            break;
        case OPT_VERSION:
            c->version = true;
            break;
        case OPT_NO_SYNC:
            c->no_sync = true;
            break;
        case OPT_QUIET:
            c->quiet = true;
            break;
        case OPT_TIME_SOURCE:
            if (strcmp(optarg, "auto") == 0)
                c->tsc_only = false;
            else if (strcmp(optarg, "tsc") == 0)
                c->tsc_only = true;
            else
                return lc_bad(err, errlen, "--time-source '%s': expected auto (the NIC's clock when "
                              "it offers receive timestamps, else the TSC) or tsc", optarg);
            break;
        case OPT_DISK_LIMIT:
        case OPT_MIN_FREE:
            if (lc_parse_size(optarg, o == OPT_DISK_LIMIT ? &c->disk_limit : &c->min_free) < 0)
                return lc_bad(err, errlen, "%s '%s': expected a size in bytes with an optional "
                              "suffix k, M, G or T (powers of 1024), e.g. 500M or 20G",
                              o == OPT_DISK_LIMIT ? "--disk-limit" : "--min-free", optarg);
            break;
        case OPT_METRICS: {
            struct sockaddr_storage ss;
            socklen_t sl;
            if (metrics_parse_addr(optarg, &ss, &sl, err, errlen) < 0)
                return EXIT_USAGE;
            c->metrics = optarg;
            break;
        }
        case OPT_TELEMETRY:
            c->telemetry = true;
            break;
        case OPT_NO_INDEX:
            c->no_index = true;
            break;
        case 'z':
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "-z '': expected a command (a program run as CMD FILE "
                              "on each closed file)");
            c->post_rotate = optarg;
            break;
        case OPT_HOOK_JOBS:
            if (lc_parse_u64(optarg, 1, 64, &v) < 0)
                return lc_bad(err, errlen, "--post-rotate-jobs '%s': expected a whole number "
                              "from 1 to 64 (commands running at once)", optarg);
            c->post_rotate_jobs = (unsigned)v;
            break;
        case OPT_HOOK_QUEUE:
            if (lc_parse_u64(optarg, 1, 65536, &v) < 0)
                return lc_bad(err, errlen, "--post-rotate-queue '%s': expected a whole number "
                              "from 1 to 65536 (closed files waiting for the command)", optarg);
            c->post_rotate_queue = (unsigned)v;
            break;
        case OPT_HOOK_WAIT:
            if (strcmp(optarg, "0") == 0)
                c->post_rotate_wait_ns = 0;
            else if (lc_parse_duration_ns(optarg, &v) < 0)
                return lc_bad(err, errlen, "--post-rotate-wait '%s': expected seconds (e.g. 60, "
                              "0.5) or 0 (do not wait at exit)", optarg);
            else
                c->post_rotate_wait_ns = v;
            break;
        case OPT_CONFIG:            /* replaced by opttab_expand */
            break;
        case ':':
            if (optopt)
                return lc_bad(err, errlen, "-%c: missing value", optopt);
            return lc_bad(err, errlen, "%s: missing value", argv[optind - 1]);
        default:
            if (optopt)
                return lc_bad(err, errlen, "-%c: unknown option (see --help)", optopt);
            return lc_bad(err, errlen, "%s: unknown option (see --help)", argv[optind - 1]);
        }
    }
    if (wlen) {
        if (c->filter && !f_file)
            return lc_bad(err, errlen, "'%s': a filter is given both with -f and as words; "
                          "give one (EAL arguments go after --)", c->filter_words);
        c->filter = c->filter_words;
    }
    /* Everything after "--" goes to the DPDK EAL, for experts. */
    for (int i = optind; i < argc; i++) {
        if (c->n_eal_args >= LC_MAX_EAL_ARGS)
            return lc_bad(err, errlen, "'%s': too many EAL arguments (at most %d)", argv[i], LC_MAX_EAL_ARGS);
        c->eal_args[c->n_eal_args++] = argv[i];
    }
#undef FROM_FILE
    if (c->help || c->version)
        return 0;

    if (c->nifaces == 0)
        return lc_bad(err, errlen, "no interface: give -i PORT (a PCI address, net_... vdev, port index or interface)");
    if (c->count_only && c->outpath)
        return lc_bad(err, errlen, "-w '%s': --count-only stores nothing; give one or the other", c->outpath);
    if (!c->count_only && c->outpath == NULL)
        return lc_bad(err, errlen, "no output: give -w FILE (or --count-only)");
    const bool rot = c->rot_ns || c->rot_interval_ns || c->rot_bytes || c->rot_pkts;
    if (c->count_only && c->post_rotate)
        return lc_bad(err, errlen, "-z '%s': --count-only writes no file to hand over", c->post_rotate);
    if (c->count_only && (c->rot_ns || c->rot_interval_ns || c->rot_bytes || c->rot_pkts || c->ring_files ||
                          c->stop_bytes || c->stop_files))
        return lc_bad(err, errlen, "--count-only stores nothing: -b and -a filesize/files do not apply");
    if (c->count_only && (c->disk_limit || c->min_free))
        return lc_bad(err, errlen, "--count-only stores nothing: --disk-limit and --min-free do not apply");
    if ((c->disk_limit || c->min_free) && !rot)
        return lc_bad(err, errlen, "%s needs a rotation condition (-b duration:S, interval:S, "
                      "filesize:KB or packets:N): room is made by deleting this run's oldest closed files",
                      c->disk_limit ? "--disk-limit" : "--min-free");
    if (c->no_jit && c->filter == NULL)
        return lc_bad(err, errlen, "--no-jit applies to a capture filter: give -f EXPR");
    if (c->ring_files && !rot)
        return lc_bad(err, errlen, "-b files:%llu needs a rotation condition: -b duration:S, "
                      "interval:S, filesize:KB or packets:N",
                      (unsigned long long)c->ring_files);
    return 0;
}

static void capture_more(FILE *out, bool roff)
{
    static const char *const head[2] = {
        "Counters (per queue; received = filtered + written + every drop below)",
        "Counters (per port, from the device)",
    };
    for (int k = 0; k < 2; k++) {
        int n = k == 0 ? QC_MAX : PC_MAX;
        const char *const *names = k == 0 ? lc_queue_counter_names : lc_port_counter_names;
        const char *const *help = k == 0 ? lc_queue_counter_help : lc_port_counter_help;
        if (roff) {
            fprintf(out, ".SS ");
            opttab_man_text(out, head[k]);
        } else {
            fprintf(out, "%s:\n", head[k]);
        }
        for (int i = 0; i < n; i++) {
            if (roff) {
                fprintf(out, ".TP\n.B ");
                opttab_man_text(out, names[i]);
                opttab_man_text(out, help[i]);
            } else {
                fprintf(out, "  %-18s ", names[i]);
                opttab_fill(out, help[i], 21, 21);
            }
        }
    }
    if (roff) {
        fprintf(out, ".SS ");
        opttab_man_text(out, "Counters (with -z, per run; files, not drops)");
    } else {
        fprintf(out, "Counters (with -z, per run; files, not drops):\n");
    }
    for (int i = 0; i < HC_MAX; i++) {
        if (roff) {
            fprintf(out, ".TP\n.B ");
            opttab_man_text(out, lc_hook_counter_names[i]);
            opttab_man_text(out, lc_hook_counter_help[i]);
        } else {
            fprintf(out, "  %-18s ", lc_hook_counter_names[i]);
            opttab_fill(out, lc_hook_counter_help[i], 21, 21);
        }
    }
}

void options_usage(FILE *out, const struct lc_cmd *const *subs)
{
    opttab_help(out, &options_capture_cmd, subs);
}

void options_free(struct config *c)
{
    free(c->argv_mem);
    c->argv_mem = NULL;
}
