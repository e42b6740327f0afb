/* `linecap verify`: options, inputs, the verdict, and the two reports
 * (human on stdout, JSON with --json). The counting is in analyze.c, the
 * end-to-end accounting in account.c. */
#include "verify/verify.h"
#include "common/exitcodes.h"
#include "common/json.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/units.h"
#include "index/index.h"
#include "verify/account.h"

#define MAX_NOTES 64

struct vopts {
    const char *json_path;
    const char *gen_path;
    const char *cap_path;
    int from_first;
    int quiet;
    uint64_t max_ranges;
    uint64_t max_flows;
};

/* problems make the exit status 1; warnings are reported only */
struct notes {
    char *problem[MAX_NOTES];
    unsigned nproblem, problems_dropped;
    char *warning[MAX_NOTES];
    unsigned nwarning, warnings_dropped;
};

static void note(char **list, unsigned *n, unsigned *dropped, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    if (*n >= MAX_NOTES || !(list[*n] = strdup(buf)))
        (*dropped)++;
    else
        (*n)++;
}

__attribute__((format(printf, 2, 3))) static void problem(struct notes *nt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note(nt->problem, &nt->nproblem, &nt->problems_dropped, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void warning(struct notes *nt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note(nt->warning, &nt->nwarning, &nt->warnings_dropped, fmt, ap);
    va_end(ap);
}

enum { OPT_JSON = 256, OPT_GEN_JSON, OPT_CAPTURE_JSON, OPT_FROM_FIRST, OPT_RANGES, OPT_FLOWS };

static const struct lc_opt verify_opts[] = {
    { OPT_JSON, "json", "FILE",
      "write the report as JSON to FILE ('-': stdout, and no\n"
      "human summary)" },
    { OPT_GEN_JSON, "gen-json", "FILE",
      "linecap-gen's --json: \"attempted\" (else \"sent\") is\n"
      "the offered load, \"failed\" the frames the link\n"
      "refused (numbered, never on the wire), \"stamped\"\n"
      "(if present) the frames numbered; an\n"
      "optional \"flows\" list of {src,dst,sport,dport,sent}\n"
      "gives each flow's count (missing tails per flow)" },
    { OPT_CAPTURE_JSON, "capture-json", "FILE",
      "linecap's --stats-json: explain each missing packet by\n"
      "the stage that counted it" },
    { OPT_FROM_FIRST, "from-first", NULL,
      "count each flow's sequence from its first seen number\n"
      "instead of 0 (a capture started after the generator)" },
    { OPT_RANGES, "ranges", "N", "missing ranges listed per flow (default 16)" },
    { OPT_FLOWS, "flows", "N",
      "flows listed in the report (default 1000 in JSON, all\n"
      "up to 20 in the summary)" },
    { 'q', "quiet", NULL, "no human summary" },
    { 'h', "help", NULL, "this text" },
    { 0, NULL, NULL, NULL },
};

const struct lc_cmd verify_command = {
    .name = "linecap verify",
    .summary = "read capture files back: counts, flows, loss, order, latency",
    .usage = "[OPTIONS] FILE|DIR...",
    .about =
"Read pcap/pcapng files in the order given (a directory: its files in name\n"
"order, hidden and *.json files skipped) and report records, bytes, flows\n"
"(5-tuples over Ethernet/VLAN/IPv4/IPv6 + UDP/TCP), and for frames carrying\n"
"linecap-gen's stamp: missing sequence numbers (per flow, counted from 0),\n"
"duplicates, reordering, timestamps going backwards, capture latency.",
    .opts = verify_opts,
    .exits = "0 consistent, 1 inconsistencies (unexplained loss, sequence gaps\n"
             "not covered by counted drops, duplicates), 64 usage, 66 an input file could\n"
             "not be opened or read to its end, 73 the --json file could not be created.",
    .shortopts_head = ":",
};

static int bad_value(const char *opt, const char *val, const char *want)
{
    lc_err("%s '%s': %s", opt, val, want);
    return EXIT_USAGE;
}

static int parse_opts(int argc, char **argv, struct vopts *o)
{
    struct option lo[LC_OPT_MAX];
    char so[2 * LC_OPT_MAX + 4];
    int c;

    if (opttab_getopt(&verify_command, lo, LC_OPT_MAX, so, sizeof(so)) < 0)
        return EXIT_SOFTWARE;
    memset(o, 0, sizeof(*o));
    o->max_ranges = 16;
    o->max_flows = 1000;
    optind = 0; /* glibc: full re-initialisation, so a second call works */
    opterr = 0;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: o->json_path = optarg; break;
        case OPT_GEN_JSON: o->gen_path = optarg; break;
        case OPT_CAPTURE_JSON: o->cap_path = optarg; break;
        case OPT_FROM_FIRST: o->from_first = 1; break;
        case 'q': o->quiet = 1; break;
        case OPT_RANGES:
            if (lc_parse_u64(optarg, 0, 1000000, &o->max_ranges) < 0)
                return bad_value("--ranges", optarg, "expected a whole number from 0 to 1000000");
            break;
        case OPT_FLOWS:
            if (lc_parse_u64(optarg, 0, UINT32_MAX, &o->max_flows) < 0)
                return bad_value("--flows", optarg, "expected a whole number from 0 to 4294967295");
            break;
        case 'h': opttab_help(stdout, &verify_command, NULL); return -1;
        case ':':
            lc_err("option '%s' needs a value (see linecap verify --help)", argv[optind - 1]);
            return EXIT_USAGE;
        default:
            lc_err("unknown option '%s' (see linecap verify --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        lc_err("no capture file given (usage: linecap verify [OPTIONS] FILE|DIR...)");
        return EXIT_USAGE;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read every file of dir (name order, no hidden, no *.json) into s.
 * Returns the worst of vf_read_file's results, or VF_ERR_OPEN. */
static int read_dir(struct vf_state *s, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int worst = 0;
    if (!d)
        return vf_read_file(s, dir); /* records the error */
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        size_t il = strlen(IDX_SUFFIX);
        /* hidden partials, the manifest and JSON, the packet indexes */
        if (e->d_name[0] == '.' || (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) ||
            (l > il && strcmp(e->d_name + l - il, IDX_SUFFIX) == 0))
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*nn));
            if (!nn)
                break;
            names = nn;
        }
        if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            int rc = vf_read_file(s, names[i]);
            if (rc < 0 || (rc > 0 && worst == 0))
                worst = rc;
        }
        free(names[i]);
    }
    free(names);
    return worst;
}

/* ------------------------------------------------------------------ JSON */

static void json_flow(struct lc_json *j, const struct vf_flow *fl)
{
    char ks[160], a[INET6_ADDRSTRLEN];
    int af = fl->key.family == 6 ? AF_INET6 : AF_INET;
    lc_json_object(j, NULL, LC_JSON_INLINE);
    lc_json_string(j, "flow", vf_key_str(&fl->key, ks, sizeof(ks)));
    lc_json_string(j, "src", inet_ntop(af, fl->key.src, a, sizeof(a)));
    lc_json_string(j, "dst", inet_ntop(af, fl->key.dst, a, sizeof(a)));
    lc_json_u64(j, "proto", fl->key.proto);
    lc_json_u64(j, "sport", fl->key.sport);
    lc_json_u64(j, "dport", fl->key.dport);
    lc_json_u64(j, "records", fl->records);
    lc_json_u64(j, "bytes", fl->bytes);
    lc_json_u64(j, "stamped", fl->stamped);
    if (fl->min_seq != UINT64_MAX) {
        lc_json_u64(j, "first_seq", fl->min_seq);
        lc_json_u64(j, "max_seq", fl->max_seq);
    } else {
        lc_json_null(j, "first_seq");
        lc_json_null(j, "max_seq");
    }
    if (fl->sent != VF_UNKNOWN)
        lc_json_u64(j, "sent", fl->sent);
    else
        lc_json_null(j, "sent");
    lc_json_u64(j, "missing", fl->missing);
    lc_json_u64(j, "gaps", fl->gaps);
    lc_json_u64(j, "tail", fl->tail);
    lc_json_array(j, "missing_ranges", LC_JSON_INLINE);
    for (uint32_t r = 0; r < fl->nranges; r++) {
        lc_json_array(j, NULL, LC_JSON_INLINE);
        lc_json_u64(j, NULL, fl->ranges[r].first);
        lc_json_u64(j, NULL, fl->ranges[r].last);
        lc_json_end(j);
    }
    lc_json_end(j);
    lc_json_bool(j, "ranges_complete", fl->nranges == fl->gaps);
    lc_json_u64(j, "duplicates", fl->duplicates);
    lc_json_u64(j, "reordered", fl->reordered);
    lc_json_u64(j, "ts_backwards", fl->ts_backwards);
    lc_json_u64(j, "seq_untracked", fl->seq_wild);
    lc_json_end(j);
}

static void json_notes(struct lc_json *j, const char *k, char **list, unsigned n)
{
    lc_json_array(j, k, LC_JSON_LINES);
    for (unsigned i = 0; i < n; i++)
        lc_json_string(j, NULL, list[i]);
    lc_json_end(j);
}

/* The report as JSON to f. Returns 0 or -errno (lc_json_finish). */
static int write_json(FILE *f, const struct vf_state *s, const struct vopts *o,
                      const struct va_gen *g, const struct va_cap *c, const struct va_result *r,
                      const struct notes *nt, int rc)
{
    const struct vf_totals *t = &s->t;
    const struct vf_latency *l = &s->lat;
    struct lc_json jw, *j = &jw;
    lc_json_init(j, f);
    lc_json_object(j, NULL, LC_JSON_LINES);
    lc_json_array(j, "files", LC_JSON_LINES);
    for (uint32_t i = 0; i < s->nfiles; i++) {
        const struct vf_file *vf = &s->files[i];
        lc_json_object(j, NULL, LC_JSON_INLINE);
        lc_json_string(j, "path", vf->path);
        lc_json_string(j, "format", vf->pcapng ? "pcapng" : "pcap");
        lc_json_u64(j, "records", vf->records);
        lc_json_u64(j, "bytes", vf->bytes);
        lc_json_u64(j, "first_ns", vf->first_ns);
        lc_json_u64(j, "last_ns", vf->last_ns);
        if (vf->error) {
            lc_json_object(j, "error", LC_JSON_INLINE);
            lc_json_string(j, "kind", vf->error == VF_ERR_OPEN ? "open" : "read");
            lc_json_string(j, "message", vf->msg ? vf->msg : "");
            lc_json_end(j);
        } else {
            lc_json_null(j, "error");
        }
        lc_json_end(j);
    }
    lc_json_end(j);
    lc_json_u64(j, "records", t->records);
    lc_json_u64(j, "bytes", t->bytes);
    lc_json_u64(j, "wire_bytes", t->wire_bytes);
    lc_json_u64(j, "stamped", t->stamped);
    lc_json_u64(j, "unstamped", t->unstamped);
    lc_json_u64(j, "truncated", t->truncated);
    lc_json_u64(j, "non_ip", t->non_ip);
    lc_json_u64(j, "bad_ip", t->bad_ip);
    lc_json_u64(j, "non_ethernet", t->non_ethernet);
    lc_json_u64(j, "ts_backwards_in_order", t->ts_backwards_order);
    lc_json_u64(j, "flows", s->nflows);
    lc_json_object(j, "seq", LC_JSON_INLINE);
    lc_json_string(j, "counted_from", o->from_first ? "first" : "zero");
    lc_json_u64(j, "missing", t->missing);
    lc_json_u64(j, "gaps", t->gaps);
    if (t->tail_known)
        lc_json_u64(j, "tail", t->tail);
    else
        lc_json_null(j, "tail");
    lc_json_u64(j, "duplicates", t->duplicates);
    lc_json_u64(j, "reordered", t->reordered);
    lc_json_u64(j, "ts_backwards", t->ts_backwards);
    lc_json_u64(j, "seq_untracked", t->seq_wild);
    lc_json_end(j);
    lc_json_object(j, "latency_ns", LC_JSON_INLINE);
    lc_json_u64(j, "count", l->count);
    lc_json_u64(j, "negative", l->negative);
    static const char *const qname[] = { "p50", "p90", "p99", "p999" };
    static const double qv[] = { 0.5, 0.9, 0.99, 0.999 };
    if (l->count) {
        lc_json_i64(j, "min", l->min);
        for (unsigned i = 0; i < 4; i++)
            lc_json_i64(j, qname[i], vf_latency_quantile(l, qv[i]));
        lc_json_i64(j, "max", l->max);
    } else {
        lc_json_null(j, "min");
        for (unsigned i = 0; i < 4; i++)
            lc_json_null(j, qname[i]);
        lc_json_null(j, "max");
    }
    lc_json_end(j);
    uint32_t nf = s->nflows < o->max_flows ? s->nflows : (uint32_t)o->max_flows;
    lc_json_array(j, "flow_list", LC_JSON_LINES);
    for (uint32_t i = 0; i < nf; i++)
        json_flow(j, &s->flows[i]);
    lc_json_end(j);
    lc_json_bool(j, "flow_list_complete", nf == s->nflows);
    if (!g->have && !c->have) {
        lc_json_null(j, "accounting");
    } else {
        lc_json_object(j, "accounting", LC_JSON_LINES);
        if (r->have_offered) {
            lc_json_i64(j, "offered", r->offered);
            lc_json_i64(j, "captured", r->captured);
            lc_json_i64(j, "missing", r->missing);
        } else {
            lc_json_null(j, "offered");
            lc_json_i64(j, "captured", r->captured);
            lc_json_null(j, "missing");
        }
        lc_json_object(j, "stages", LC_JSON_INLINE);
        if (r->have_offered)
            lc_json_i64(j, "refused_by_link", r->refused);
        if (r->have_offered && c->have) {
            lc_json_i64(j, "not_received", r->not_received);
            lc_json_i64(j, "not_received_explained", r->not_received_explained);
        }
        lc_json_i64(j, "nic_missed", r->nic_missed);
        lc_json_i64(j, "nic_errors", r->nic_errors);
        lc_json_i64(j, "mbuf_failures", r->mbuf_failures);
        lc_json_i64(j, "kernel_drops", r->kernel_drops);
        lc_json_i64(j, "not_taken", r->not_taken);
        lc_json_i64(j, "after_limit", r->after_limit);
        lc_json_i64(j, "filtered", r->filtered);
        lc_json_i64(j, "counted_only", r->counted_only);
        lc_json_i64(j, "dropped_no_block", r->dropped_no_block);
        lc_json_i64(j, "lost_disk", r->lost_disk);
        lc_json_i64(j, "unwritten_abort", r->unwritten_abort);
        lc_json_end(j);
        lc_json_i64(j, "counted", r->counted);
        if (r->have_offered)
            lc_json_i64(j, "unexplained", r->unexplained);
        else
            lc_json_null(j, "unexplained");
        if (c->have) {
            lc_json_object(j, "capture", LC_JSON_INLINE);
            lc_json_string(j, "stop_reason", c->stop_reason);
            lc_json_u64(j, "received", c->received);
            lc_json_u64(j, "written", c->written);
            lc_json_u64(j, "nic_packets", c->nic_packets);
            lc_json_u64(j, "files_listed", c->files_listed);
            lc_json_u64(j, "files_deleted", c->files_deleted);
            lc_json_u64(j, "kept_records", c->kept_records);
            lc_json_i64(j, "identity_residual", r->identity_residual);
            lc_json_i64(j, "kept_minus_read", r->written_vs_files);
            lc_json_end(j);
        } else {
            lc_json_null(j, "capture");
        }
        lc_json_end(j);
    }
    json_notes(j, "problems", (char **)nt->problem, nt->nproblem);
    json_notes(j, "warnings", (char **)nt->warning, nt->nwarning);
    lc_json_bool(j, "consistent", nt->nproblem + nt->problems_dropped == 0);
    lc_json_i64(j, "exit_code", rc);
    lc_json_end(j);
    return lc_json_finish(j);
}

/* ------------------------------------------------------------------ human */

static void print_ranges(FILE *f, const struct vf_flow *fl)
{
    for (uint32_t r = 0; r < fl->nranges; r++) {
        const struct vf_range *g = &fl->ranges[r];
        if (g->first == g->last)
            fprintf(f, "%s%" PRIu64, r ? ", " : "", g->first);
        else
            fprintf(f, "%s%" PRIu64 "-%" PRIu64, r ? ", " : "", g->first, g->last);
    }
    if (fl->nranges < fl->gaps)
        fprintf(f, ", ... (%" PRIu64 " more gaps)", fl->gaps - fl->nranges);
}

static void stage(FILE *f, const char *what, int64_t v)
{
    fprintf(f, "    %-44s %12" PRId64 "\n", what, v);
}

static void write_human(FILE *f, const struct vf_state *s, const struct vopts *o,
                        const struct va_gen *g, const struct va_cap *c, const struct va_result *r,
                        const struct notes *nt)
{
    const struct vf_totals *t = &s->t;
    const struct vf_latency *l = &s->lat;
    uint32_t nerr = 0;
    for (uint32_t i = 0; i < s->nfiles; i++)
        nerr += s->files[i].error != 0;
    fprintf(f, "%u files%s, %" PRIu64 " records, %" PRIu64 " bytes captured (%" PRIu64
               " on the wire)\n",
            s->nfiles, nerr ? " (some unreadable, see below)" : "", t->records, t->bytes,
            t->wire_bytes);
    for (uint32_t i = 0; i < s->nfiles; i++) {
        const struct vf_file *vf = &s->files[i];
        if (vf->error)
            fprintf(f, "  %s: %s error after %" PRIu64 " records: %s\n", vf->path,
                    vf->error == VF_ERR_OPEN ? "open" : "read", vf->records,
                    vf->msg ? vf->msg : "");
        else if (s->nfiles <= 10)
            fprintf(f, "  %s: %s, %" PRIu64 " records\n", vf->path,
                    vf->pcapng ? "pcapng" : "pcap", vf->records);
    }
    fprintf(f,
            "%" PRIu64 " stamped, %" PRIu64 " unstamped (%" PRIu64 " cut by the snaplen, %" PRIu64
            " not IP, %" PRIu64 " bad IP, %" PRIu64 " not Ethernet)\n",
            t->stamped, t->unstamped, t->truncated, t->non_ip, t->bad_ip, t->non_ethernet);
    fprintf(f,
            "%u flows; sequence (from %s): %" PRIu64 " missing in %" PRIu64 " gaps, %" PRIu64
            " duplicates, %" PRIu64 " reordered, %" PRIu64 " timestamps backwards",
            s->nflows, o->from_first ? "first seen" : "0", t->missing, t->gaps, t->duplicates,
            t->reordered, t->ts_backwards);
    if (t->tail_known)
        fprintf(f, " (%" PRIu64 " of the missing after the last captured)", t->tail);
    fprintf(f, "\n");
    if (l->count)
        fprintf(f,
                "latency (capture - send) over %" PRIu64 " frames, us: min %.3f p50 %.3f p90 %.3f "
                "p99 %.3f p99.9 %.3f max %.3f%s\n",
                l->count, l->min / 1e3, vf_latency_quantile(l, 0.5) / 1e3,
                vf_latency_quantile(l, 0.9) / 1e3, vf_latency_quantile(l, 0.99) / 1e3,
                vf_latency_quantile(l, 0.999) / 1e3, l->max / 1e3,
                l->negative ? " (some negative: clocks differ)" : "");
    /* all flows when few; otherwise those with findings */
    uint32_t shown = 0, quiet_flows = 0, lim = o->max_flows < 20 ? (uint32_t)o->max_flows : 20;
    for (uint32_t i = 0; i < s->nflows; i++) {
        const struct vf_flow *fl = &s->flows[i];
        char ks[160];
        int finding = fl->missing || fl->duplicates || fl->reordered || fl->ts_backwards;
        if ((s->nflows > lim && !finding) || shown >= lim) {
            quiet_flows++;
            continue;
        }
        shown++;
        fprintf(f, "  flow %s: %" PRIu64 " records", vf_key_str(&fl->key, ks, sizeof(ks)),
                fl->records);
        if (fl->min_seq != UINT64_MAX)
            fprintf(f, ", seq %" PRIu64 "..%" PRIu64, fl->min_seq, fl->max_seq);
        if (fl->sent != VF_UNKNOWN)
            fprintf(f, ", sent %" PRIu64, fl->sent);
        if (fl->duplicates || fl->reordered || fl->ts_backwards)
            fprintf(f, ", %" PRIu64 " duplicates, %" PRIu64 " reordered, %" PRIu64
                       " timestamps backwards",
                    fl->duplicates, fl->reordered, fl->ts_backwards);
        if (fl->missing) {
            fprintf(f, ", missing %" PRIu64 ": ", fl->missing);
            print_ranges(f, fl);
        }
        fprintf(f, "\n");
    }
    if (quiet_flows)
        fprintf(f, "  ... %u more flows not listed (--json lists them)\n", quiet_flows);
    if (g->have || c->have) {
        fprintf(f, "accounting:\n");
        if (r->have_offered) {
            fprintf(f, "  offered  %12" PRId64 "  (generator attempted)\n", r->offered);
            fprintf(f, "  captured %12" PRId64 "  (records in the files)\n", r->captured);
            fprintf(f, "  missing  %12" PRId64 "\n", r->missing);
        } else {
            fprintf(f, "  captured %12" PRId64 "  (records in the files; no --gen-json: offered unknown)\n",
                    r->captured);
        }
        if (r->have_offered)
            stage(f, "refused by the link (generator tx failed)", r->refused);
        if (c->have) {
            if (r->have_offered)
                stage(f, "not received by the port (on the link at stop)",
                      r->not_received_explained);
            stage(f, "NIC missed (imissed)", r->nic_missed);
            stage(f, "NIC errors (ierrors)", r->nic_errors);
            stage(f, "mbuf allocation failures (rx_nombuf)", r->mbuf_failures);
            stage(f, "kernel socket ring full (kernel_drops)", r->kernel_drops);
            stage(f, "left in the device queue", r->not_taken);
            stage(f, "after the -c/-a limit (after_limit)", r->after_limit);
            stage(f, "filtered", r->filtered);
            stage(f, "counted only (--count-only)", r->counted_only);
            stage(f, "no free block (dropped_no_block)", r->dropped_no_block);
            stage(f, "disk error (lost_disk)", r->lost_disk);
            stage(f, "forced exit (unwritten_abort)", r->unwritten_abort);
        }
        if (r->have_offered)
            stage(f, "unexplained", r->unexplained);
    }
    for (unsigned i = 0; i < nt->nwarning; i++)
        fprintf(f, "warning: %s\n", nt->warning[i]);
    if (nt->nproblem + nt->problems_dropped == 0) {
        fprintf(f, "result: consistent\n");
    } else {
        fprintf(f, "result: %u problems\n", nt->nproblem + nt->problems_dropped);
        for (unsigned i = 0; i < nt->nproblem; i++)
            fprintf(f, "  - %s\n", nt->problem[i]);
    }
}

/* ------------------------------------------------------------------ verdict */

static void judge(const struct vf_state *s, const struct va_gen *g, const struct va_cap *c,
                  const struct va_result *r, struct notes *nt)
{
    const struct vf_totals *t = &s->t;
    uint64_t inner = t->missing - t->tail;

    for (uint32_t i = 0; i < s->nfiles; i++)
        if (s->files[i].error)
            problem(nt, "%s: cannot %s: %s", s->files[i].path,
                    s->files[i].error == VF_ERR_OPEN ? "open" : "read to its end",
                    s->files[i].msg ? s->files[i].msg : "");
    if (t->duplicates)
        problem(nt, "%" PRIu64 " duplicate sequence numbers", t->duplicates);
    if (c->have) {
        if (r->identity_residual)
            problem(nt, "capture identity broken: received %" PRIu64
                        " != filtered + counted_only + written + drops (off by %" PRId64 ")",
                    c->received, r->identity_residual);
        if (r->written_vs_files)
            problem(nt, "the files read hold %" PRId64 " records, the capture wrote %" PRIu64
                        " to the files it kept",
                    r->captured, c->kept_records);
        if (inner > (uint64_t)(r->counted + r->refused))
            problem(nt, "%" PRIu64 " sequence numbers missing inside the flows, more than the %" PRId64
                        " drops the capture counted + the %" PRId64 " frames the link refused",
                    inner, r->counted, r->refused);
    } else if (g->have && inner > (uint64_t)r->refused) {
        problem(nt, "%" PRIu64 " sequence numbers missing inside the flows, more than the %" PRId64
                    " frames the link refused, and no --capture-json to explain the rest",
                inner, r->refused);
    } else if (t->missing && !g->have) {
        problem(nt, "%" PRIu64 " sequence numbers missing and no --capture-json to explain them",
                t->missing);
    }
    if (g->have) {
        if (r->unexplained)
            problem(nt, "%" PRId64 " packets unexplained: offered %" PRId64 " - captured %" PRId64
                        " - refused by the link %" PRId64 " - counted drops %" PRId64
                        " - not received %" PRId64,
                    r->unexplained, r->offered, r->captured, r->refused, r->counted,
                    r->not_received_explained);
        if (c->have && r->not_received < 0)
            problem(nt, "the port counted %" PRId64 " more packets than the generator sent",
                    -r->not_received);
        if (c->have && r->not_received > r->not_received_explained)
            problem(nt, "%" PRId64 " packets never reached the port and are not the tail of their flows "
                        "(lost on the link?)",
                    r->not_received - r->not_received_explained);
        if (t->stamped && t->tail_known && !s->from_first) {
            /* the highest sequence numbers cannot exceed what was sent */
            if (t->seq_covered > g->stamped)
                problem(nt, "sequence numbers reach %" PRIu64 " frames, the generator stamped %" PRIu64,
                        t->seq_covered, g->stamped);
        }
    }
    if (c->have && c->nic_packets < c->received + c->after_limit)
        warning(nt, "the device counted %" PRIu64 " packets, linecap took %" PRIu64
                    " (device counters reset, e.g. by a memif/vhost peer disconnecting?)",
                c->nic_packets, c->received + c->after_limit);
    if (t->seq_wild)
        warning(nt, "%" PRIu64 " stamps not tracked (sequence number >= 2^36, or past the 1 GiB bitmap budget)", t->seq_wild);
    if (t->reordered)
        warning(nt, "%" PRIu64 " frames arrived after a higher sequence number of their flow",
                t->reordered);
    if (t->ts_backwards)
        warning(nt, "%" PRIu64 " capture timestamps below their flow's previous one",
                t->ts_backwards);
    if (t->truncated)
        warning(nt, "%" PRIu64 " frames cut by the snaplen before their stamp or headers",
                t->truncated);
}

int verify_main(int argc, char **argv)
{
    struct vopts o;
    struct vf_state s;
    struct va_gen g;
    struct va_cap c;
    struct va_result r;
    struct notes nt;
    char err[1024];
    int rc, read_bad = 0;
    FILE *jf = NULL;

    memset(&g, 0, sizeof(g));
    memset(&c, 0, sizeof(c));
    memset(&nt, 0, sizeof(nt));
    rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (o.gen_path && va_gen_load(o.gen_path, &g, err, sizeof(err)) < 0) {
        lc_err("--gen-json %s", err);
        return EXIT_NOINPUT;
    }
    if (o.cap_path && va_cap_load(o.cap_path, &c, err, sizeof(err)) < 0) {
        lc_err("--capture-json %s", err);
        va_gen_free(&g);
        return EXIT_NOINPUT;
    }
    if (o.json_path && strcmp(o.json_path, "-") != 0) {
        jf = fopen(o.json_path, "w");
        if (!jf) {
            lc_err("--json '%s': cannot create: %s", o.json_path, strerror(errno));
            va_gen_free(&g);
            return EXIT_CANTCREAT;
        }
    }
    if (vf_init(&s, o.from_first, (unsigned)o.max_ranges) < 0)
        goto nomem;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        int e = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? read_dir(&s, argv[i])
                                                               : vf_read_file(&s, argv[i]);
        if (e < 0)
            goto nomem;
        if (e)
            read_bad = 1;
    }
    if (vf_finish(&s, g.nflows ? va_gen_flow_sent : NULL, &g, g.have ? g.stamped : VF_UNKNOWN) < 0)
        goto nomem;
    va_compute(&s, &g, &c, &r);
    judge(&s, &g, &c, &r, &nt);
    rc = read_bad ? EXIT_NOINPUT : (nt.nproblem + nt.problems_dropped ? EXIT_PROBLEM : 0);
    for (uint32_t i = 0; i < s.nfiles; i++)
        if (s.files[i].error)
            lc_err("%s: %s", s.files[i].path, s.files[i].msg ? s.files[i].msg : "unreadable");
    if (o.json_path) {
        FILE *out = jf ? jf : stdout;
        int wrc = write_json(out, &s, &o, &g, &c, &r, &nt, rc);
        if (jf && fclose(jf) != 0 && wrc == 0)
            wrc = -errno;
        if (jf && wrc < 0) {
            lc_err("--json '%s': write failed: %s", o.json_path, strerror(-wrc));
            rc = EXIT_CANTCREAT;
        }
    }
    if (!o.quiet && !(o.json_path && !jf))
        write_human(stdout, &s, &o, &g, &c, &r, &nt);
    fflush(stdout);
    vf_free(&s);
    va_gen_free(&g);
    for (unsigned i = 0; i < nt.nproblem; i++)
        free(nt.problem[i]);
    for (unsigned i = 0; i < nt.nwarning; i++)
        free(nt.warning[i]);
    return rc;
nomem:
    lc_err("out of memory");
    if (jf)
        fclose(jf);
    vf_free(&s);
    va_gen_free(&g);
    return EXIT_OSERR;
}
