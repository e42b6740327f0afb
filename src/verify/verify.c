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

static void usage(FILE *f)
{
    fprintf(f,
"Usage: linecap verify [OPTIONS] FILE|DIR...\n"
"Read pcap/pcapng files in the order given (a directory: its files in name\n"
"order, hidden and *.json files skipped) and report records, bytes, flows\n"
"(5-tuples over Ethernet/VLAN/IPv4/IPv6 + UDP/TCP), and for frames carrying\n"
"linecap-gen's stamp: missing sequence numbers (per flow, counted from 0),\n"
"duplicates, reordering, timestamps going backwards, capture latency.\n"
"\n"
"  --json FILE          write the report as JSON to FILE ('-': stdout, and no\n"
"                       human summary)\n"
"  --gen-json FILE      linecap-gen's --json: \"attempted\" (else \"sent\") is\n"
"                       the offered load, \"failed\" the frames the link\n"
"                       refused (numbered, never on the wire), \"stamped\"\n"
"                       (if present) the frames numbered; an\n"
"                       optional \"flows\" list of {src,dst,sport,dport,sent}\n"
"                       gives each flow's count (missing tails per flow)\n"
"  --capture-json FILE  linecap's --stats-json: explain each missing packet by\n"
"                       the stage that counted it\n"
"  --from-first         count each flow's sequence from its first seen number\n"
"                       instead of 0 (a capture started after the generator)\n"
"  --ranges N           missing ranges listed per flow (default 16)\n"
"  --flows N            flows listed in the report (default 1000 in JSON, all\n"
"                       up to 20 in the summary)\n"
"  -q, --quiet          no human summary\n"
"  -h, --help           this text\n"
"\n"
"Exit codes: 0 consistent, 1 inconsistencies (unexplained loss, sequence gaps\n"
"not covered by counted drops, duplicates), 64 usage, 66 an input file could\n"
"not be opened or read to its end, 73 the --json file could not be created.\n");
}

static int bad_value(const char *opt, const char *val, const char *want)
{
    lc_err("%s '%s': %s", opt, val, want);
    return EXIT_USAGE;
}

static int parse_opts(int argc, char **argv, struct vopts *o)
{
    static const struct option lo[] = {
        {"json", required_argument, NULL, 'j'},
        {"gen-json", required_argument, NULL, 'g'},
        {"capture-json", required_argument, NULL, 'C'},
        {"from-first", no_argument, NULL, 'F'},
        {"ranges", required_argument, NULL, 'r'},
        {"flows", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof(*o));
    o->max_ranges = 16;
    o->max_flows = 1000;
    optind = 0; /* glibc: full re-initialisation, so a second call works */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qh", lo, NULL)) != -1) {
        switch (c) {
        case 'j': o->json_path = optarg; break;
        case 'g': o->gen_path = optarg; break;
        case 'C': o->cap_path = optarg; break;
        case 'F': o->from_first = 1; break;
        case 'q': o->quiet = 1; break;
        case 'r':
            if (lc_parse_u64(optarg, 0, 1000000, &o->max_ranges) < 0)
                return bad_value("--ranges", optarg, "expected a whole number from 0 to 1000000");
            break;
        case 'f':
            if (lc_parse_u64(optarg, 0, UINT32_MAX, &o->max_flows) < 0)
                return bad_value("--flows", optarg, "expected a whole number from 0 to 4294967295");
            break;
        case 'h': usage(stdout); return -1;
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
        if (e->d_name[0] == '.' || (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0))
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

static void ju(FILE *f, const char *k, uint64_t v, int comma)
{
    fprintf(f, "%s\"%s\": %" PRIu64, comma ? ", " : "", k, v);
}

static void ji(FILE *f, const char *k, int64_t v, int comma)
{
    fprintf(f, "%s\"%s\": %" PRId64, comma ? ", " : "", k, v);
}

static void json_flow(FILE *f, const struct vf_flow *fl)
{
    char ks[160], a[INET6_ADDRSTRLEN];
    int af = fl->key.family == 6 ? AF_INET6 : AF_INET;
    vf_key_str(&fl->key, ks, sizeof(ks));
    fprintf(f, "{\"flow\": ");
    lc_json_str(f, ks);
    fprintf(f, ", \"src\": ");
    lc_json_str(f, inet_ntop(af, fl->key.src, a, sizeof(a)));
    fprintf(f, ", \"dst\": ");
    lc_json_str(f, inet_ntop(af, fl->key.dst, a, sizeof(a)));
    fprintf(f, ", \"proto\": %u, \"sport\": %u, \"dport\": %u", fl->key.proto, fl->key.sport,
            fl->key.dport);
    ju(f, "records", fl->records, 1);
    ju(f, "bytes", fl->bytes, 1);
    ju(f, "stamped", fl->stamped, 1);
    if (fl->min_seq != UINT64_MAX) {
        ju(f, "first_seq", fl->min_seq, 1);
        ju(f, "max_seq", fl->max_seq, 1);
    } else {
        fprintf(f, ", \"first_seq\": null, \"max_seq\": null");
    }
    if (fl->sent != VF_UNKNOWN)
        ju(f, "sent", fl->sent, 1);
    else
        fprintf(f, ", \"sent\": null");
    ju(f, "missing", fl->missing, 1);
    ju(f, "gaps", fl->gaps, 1);
    ju(f, "tail", fl->tail, 1);
    fprintf(f, ", \"missing_ranges\": [");
    for (uint32_t r = 0; r < fl->nranges; r++)
        fprintf(f, "%s[%" PRIu64 ", %" PRIu64 "]", r ? ", " : "", fl->ranges[r].first,
                fl->ranges[r].last);
    fprintf(f, "], \"ranges_complete\": %s", fl->nranges == fl->gaps ? "true" : "false");
    ju(f, "duplicates", fl->duplicates, 1);
    ju(f, "reordered", fl->reordered, 1);
    ju(f, "ts_backwards", fl->ts_backwards, 1);
    ju(f, "seq_untracked", fl->seq_wild, 1);
    fprintf(f, "}");
}

static void json_notes(FILE *f, const char *k, char **list, unsigned n)
{
    fprintf(f, ",\n  \"%s\": [", k);
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "%s\n    ", i ? "," : "");
        lc_json_str(f, list[i]);
    }
    fprintf(f, "%s]", n ? "\n  " : "");
}

static void write_json(FILE *f, const struct vf_state *s, const struct vopts *o,
                       const struct va_gen *g, const struct va_cap *c, const struct va_result *r,
                       const struct notes *nt, int rc)
{
    const struct vf_totals *t = &s->t;
    const struct vf_latency *l = &s->lat;
    fprintf(f, "{\n  \"files\": [");
    for (uint32_t i = 0; i < s->nfiles; i++) {
        const struct vf_file *vf = &s->files[i];
        fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
        lc_json_str(f, vf->path);
        fprintf(f, ", \"format\": \"%s\"", vf->pcapng ? "pcapng" : "pcap");
        ju(f, "records", vf->records, 1);
        ju(f, "bytes", vf->bytes, 1);
        ju(f, "first_ns", vf->first_ns, 1);
        ju(f, "last_ns", vf->last_ns, 1);
        fprintf(f, ", \"error\": ");
        if (vf->error) {
            fprintf(f, "{\"kind\": \"%s\", \"message\": ", vf->error == VF_ERR_OPEN ? "open" : "read");
            lc_json_str(f, vf->msg ? vf->msg : "");
            fprintf(f, "}}");
        } else {
            fprintf(f, "null}");
        }
    }
    fprintf(f, "%s],\n  ", s->nfiles ? "\n  " : "");
    ju(f, "records", t->records, 0);
    ju(f, "bytes", t->bytes, 1);
    ju(f, "wire_bytes", t->wire_bytes, 1);
    ju(f, "stamped", t->stamped, 1);
    ju(f, "unstamped", t->unstamped, 1);
    ju(f, "truncated", t->truncated, 1);
    ju(f, "non_ip", t->non_ip, 1);
    ju(f, "bad_ip", t->bad_ip, 1);
    ju(f, "non_ethernet", t->non_ethernet, 1);
    ju(f, "ts_backwards_in_order", t->ts_backwards_order, 1);
    ju(f, "flows", s->nflows, 1);
    fprintf(f, ",\n  \"seq\": {\"counted_from\": \"%s\"", o->from_first ? "first" : "zero");
    ju(f, "missing", t->missing, 1);
    ju(f, "gaps", t->gaps, 1);
    if (t->tail_known)
        ju(f, "tail", t->tail, 1);
    else
        fprintf(f, ", \"tail\": null");
    ju(f, "duplicates", t->duplicates, 1);
    ju(f, "reordered", t->reordered, 1);
    ju(f, "ts_backwards", t->ts_backwards, 1);
    ju(f, "seq_untracked", t->seq_wild, 1);
    fprintf(f, "},\n  \"latency_ns\": {");
    ju(f, "count", l->count, 0);
    ju(f, "negative", l->negative, 1);
    if (l->count) {
        ji(f, "min", l->min, 1);
        ji(f, "p50", vf_latency_quantile(l, 0.5), 1);
        ji(f, "p90", vf_latency_quantile(l, 0.9), 1);
        ji(f, "p99", vf_latency_quantile(l, 0.99), 1);
        ji(f, "p999", vf_latency_quantile(l, 0.999), 1);
        ji(f, "max", l->max, 1);
    } else {
        fprintf(f, ", \"min\": null, \"p50\": null, \"p90\": null, \"p99\": null, "
                   "\"p999\": null, \"max\": null");
    }
    fprintf(f, "},\n  \"flow_list\": [");
    uint32_t nf = s->nflows < o->max_flows ? s->nflows : (uint32_t)o->max_flows;
    for (uint32_t i = 0; i < nf; i++) {
        fprintf(f, "%s\n    ", i ? "," : "");
        json_flow(f, &s->flows[i]);
    }
    fprintf(f, "%s],\n  \"flow_list_complete\": %s", nf ? "\n  " : "",
            nf == s->nflows ? "true" : "false");
    fprintf(f, ",\n  \"accounting\": ");
    if (!g->have && !c->have) {
        fprintf(f, "null");
    } else {
        fprintf(f, "{");
        if (r->have_offered) {
            ji(f, "offered", r->offered, 0);
            ji(f, "captured", r->captured, 1);
            ji(f, "missing", r->missing, 1);
        } else {
            fprintf(f, "\"offered\": null");
            ji(f, "captured", r->captured, 1);
            fprintf(f, ", \"missing\": null");
        }
        fprintf(f, ",\n    \"stages\": {");
        if (r->have_offered) {
            ji(f, "refused_by_link", r->refused, 0);
            fprintf(f, ", ");
        }
        if (r->have_offered && c->have) {
            ji(f, "not_received", r->not_received, 0);
            ji(f, "not_received_explained", r->not_received_explained, 1);
            fprintf(f, ", ");
        }
        ji(f, "nic_missed", r->nic_missed, 0);
        ji(f, "nic_errors", r->nic_errors, 1);
        ji(f, "mbuf_failures", r->mbuf_failures, 1);
        ji(f, "kernel_drops", r->kernel_drops, 1);
        ji(f, "not_taken", r->not_taken, 1);
        ji(f, "after_limit", r->after_limit, 1);
        ji(f, "filtered", r->filtered, 1);
        ji(f, "counted_only", r->counted_only, 1);
        ji(f, "dropped_no_block", r->dropped_no_block, 1);
        ji(f, "lost_disk", r->lost_disk, 1);
        ji(f, "unwritten_abort", r->unwritten_abort, 1);
        fprintf(f, "},\n    ");
        ji(f, "counted", r->counted, 0);
        if (r->have_offered)
            ji(f, "unexplained", r->unexplained, 1);
        else
            fprintf(f, ", \"unexplained\": null");
        if (c->have) {
            fprintf(f, ",\n    \"capture\": {\"stop_reason\": ");
            lc_json_str(f, c->stop_reason);
            ju(f, "received", c->received, 1);
            ju(f, "written", c->written, 1);
            ju(f, "nic_packets", c->nic_packets, 1);
            ju(f, "files_listed", c->files_listed, 1);
            ju(f, "files_deleted", c->files_deleted, 1);
            ju(f, "kept_records", c->kept_records, 1);
            ji(f, "identity_residual", r->identity_residual, 1);
            ji(f, "kept_minus_read", r->written_vs_files, 1);
            fprintf(f, "}");
        } else {
            fprintf(f, ",\n    \"capture\": null");
        }
        fprintf(f, "\n  }");
    }
    json_notes(f, "problems", (char **)nt->problem, nt->nproblem);
    json_notes(f, "warnings", (char **)nt->warning, nt->nwarning);
    fprintf(f, ",\n  \"consistent\": %s,\n  \"exit_code\": %d\n}\n",
            nt->nproblem + nt->problems_dropped ? "false" : "true", rc);
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
        write_json(out, &s, &o, &g, &c, &r, &nt, rc);
        if (jf && fclose(jf) != 0) {
            lc_err("--json '%s': write failed: %s", o.json_path, strerror(errno));
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
