#include "gen/genconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

double gen_wire_pps(double bps, double avg_frame)
{
    return bps / ((avg_frame + GEN_WIRE_OVERHEAD) * 8.0);
}

double gen_wire_bps(double pps, double avg_frame)
{
    return pps * (avg_frame + GEN_WIRE_OVERHEAD) * 8.0;
}

double gen_l2_bps(double pps, double avg_frame)
{
    return pps * avg_frame * 8.0;
}

/* ---- size models -------------------------------------------------------- */

/* Simple IMIX (the common 7:4:1 form). Mean 355.83 B. */
static const struct gen_size_weight imix_bins[] = {
    { 64, 7 }, { 576, 4 }, { 1518, 1 },
};

/* "caida": the bimodal shape of backbone traffic as in CAIDA's statistics
 * for its 2014 anonymized OC-192 traces (equinix-chicago / equinix-sanjose,
 * per-trace packet size histograms and average sizes at
 * https://www.caida.org/data/passive/passive_trace_statistics.xml): a large
 * mode of full-size packets, a mode of minimum-size TCP acknowledgements, and
 * a thin spread between (576 B legacy MSS, partial segments). This is a
 * coarse 8-bin approximation of that shape, not data from a trace; the
 * weights (per mille) are chosen so the mean frame size with FCS is 965.05 B,
 * the ~965 B average of the trace the original study used. */
static const struct gen_size_weight caida_bins[] = {
    { 64, 237 }, { 70, 50 }, { 128, 40 }, { 256, 25 },
    { 576, 35 }, { 1024, 20 }, { 1280, 25 }, { 1518, 568 },
};

const struct gen_size_weight *gen_model_bins(enum gen_model m, unsigned *n)
{
    switch (m) {
    case GEN_IMIX:
        *n = sizeof(imix_bins) / sizeof(imix_bins[0]);
        return imix_bins;
    case GEN_CAIDA:
        *n = sizeof(caida_bins) / sizeof(caida_bins[0]);
        return caida_bins;
    default:
        *n = 0;
        return NULL;
    }
}

double gen_model_mean(enum gen_model m, uint32_t fixed_size)
{
    unsigned n;
    const struct gen_size_weight *b = gen_model_bins(m, &n);
    if (b == NULL)
        return fixed_size;
    double s = 0, w = 0;
    for (unsigned i = 0; i < n; i++) {
        s += (double)b[i].size * b[i].weight;
        w += b[i].weight;
    }
    return s / w;
}

const char *gen_model_name(enum gen_model m)
{
    switch (m) {
    case GEN_FIXED: return "fixed";
    case GEN_IMIX: return "imix";
    case GEN_CAIDA: return "caida";
    case GEN_REPLAY: return "replay";
    }
    return "?";
}

unsigned gen_size_table(enum gen_model m, uint32_t fixed_size, uint16_t *tab, unsigned max)
{
    unsigned n, w = 0, len = 0;
    const struct gen_size_weight *b = gen_model_bins(m, &n);

    if (max == 0)
        return 0;
    if (b == NULL) {
        tab[0] = (uint16_t)fixed_size;
        return 1;
    }
    for (unsigned i = 0; i < n; i++)
        w += b[i].weight;
    if (w == 0 || w > max)
        return 0;
    unsigned k = max / w;
    for (unsigned r = 0; r < k; r++)
        for (unsigned i = 0; i < n; i++)
            for (unsigned j = 0; j < b[i].weight; j++)
                tab[len++] = b[i].size;
    /* Fisher-Yates with a fixed xorshift seed: the same order every run. */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (unsigned i = len - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned j = (unsigned)(x % (i + 1));
        uint16_t t = tab[i];
        tab[i] = tab[j];
        tab[j] = t;
    }
    return len;
}

/* ---- checksums and flows ------------------------------------------------ */

uint32_t gen_csum_add(uint32_t sum, const void *p, size_t len)
{
    const uint8_t *b = p;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (len & 1)
        sum += (uint32_t)b[len - 1] << 8;
    return sum;
}

uint16_t gen_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* 65536 and 60000 share only the factor 32, so (f mod 65536, f mod 60000)
 * repeats after 122,880,000 flows, far above GEN_MAX_FLOWS. */
uint32_t gen_flow_src_ip(uint32_t base, uint32_t f)
{
    return base + (f % 65536u);
}

uint16_t gen_flow_src_port(uint32_t f)
{
    return (uint16_t)(1024u + f % 60000u);
}

/* ---- options ------------------------------------------------------------ */

enum {
    OPT_CORES = 256, OPT_SIZE, OPT_IMIX, OPT_MIX, OPT_REPLAY, OPT_REWRITE, OPT_STAMP,
    OPT_FLOWS, OPT_RATE, OPT_PPS, OPT_DURATION, OPT_BURST, OPT_NO_RETRY, OPT_SRC_MAC,
    OPT_DST_MAC, OPT_SRC_IP, OPT_DST_IP, OPT_DST_PORT, OPT_LINK_WAIT, OPT_LINGER, OPT_JSON, OPT_QUIET,
    OPT_VERSION, OPT_CONFIG,
};

/* the numbers the help text spells out */
_Static_assert(GEN_MIN_FRAME == 64 && GEN_MAX_FRAME == 9022, "--size's help text");

static const struct lc_opt gen_opts[] = {
    { 0, NULL, NULL, "Port and cores" },
    { 'i', "interface", "PORT",
      "PCI address (0000:01:00.0), DPDK vdev (net_memif0,role=server,socket=/run/x.sock;\n"
      "net_virtio_user0,path=/run/vhost.sock; net_af_packet0,iface=veth0; net_null0;\n"
      "net_pcap0,tx_pcap=f.pcap), or a port index" },
    { OPT_CORES, "cores", "LIST",
      "transmit cores (default: the first CPU); the main thread uses the first\n"
      "CPU not in LIST" },
    { 'q', "queues", "N", "transmit queues (default: one per core), dealt round-robin over the cores" },
    { 0, NULL, NULL, "Traffic (Ethernet/IPv4/UDP, valid IPv4 checksum, UDP checksum 0)" },
    { OPT_SIZE, "size", "N",
      "fixed frame size N in bytes COUNTING the 4-byte FCS the device adds:\n"
      "64 (default) puts 60 B in each mbuf. 64 to 9022" },
    { OPT_IMIX, "imix", NULL, "simple IMIX 64:7, 576:4, 1518:1 (mean 355.8 B)" },
    { OPT_MIX, "mix", "NAME", "imix, or caida: backbone-like bimodal mix, mean 965 B" },
    { OPT_FLOWS, "flows", "N",
      "N distinct 5-tuples (source IP and UDP source port vary) so RSS\n"
      "spreads them (default: one per queue)" },
    { OPT_REPLAY, "replay", "FILE", "send the frames of a pcap/pcapng file, looped, unchanged" },
    { OPT_REWRITE, "rewrite", NULL,
      "replay: set MACs to --src-mac/--dst-mac and IPv4 addresses to\n"
      "--src-ip (+ flow index)/--dst-ip, fixing checksums" },
    { OPT_STAMP, "stamp", NULL, "replay: stamp UDP frames with room for it (payload >= 18 B)" },
    { OPT_SRC_MAC, "src-mac", "MAC", "source MAC (default 02:00:00:00:00:01)" },
    { OPT_DST_MAC, "dst-mac", "MAC", "destination MAC (default 02:00:00:00:00:02)" },
    { OPT_SRC_IP, "src-ip", "IP", "source IPv4 address (default 10.0.0.1 + flow index)" },
    { OPT_DST_IP, "dst-ip", "IP", "destination IPv4 address (default 10.255.0.1)" },
    { OPT_DST_PORT, "dst-port", "N", "destination UDP port (default 9)" },
    { 0, NULL, NULL, "Rate (default: as fast as the port takes frames)" },
    { OPT_RATE, "rate", "R",
      "wire bits/s counting preamble+SFD 8 B, FCS 4 B and gap 12 B per frame:\n"
      "10g = 14.88 Mpps at 64 B; k, m, g suffixes, decimals (2.5g)" },
    { OPT_PPS, "pps", "P", "frames per second (1m, 14.88m)" },
    { OPT_BURST, "burst", "N", "frames per transmit call (default 32; paced: ~10 us of frames)" },
    { 0, NULL, NULL, "Limits (default: until SIGINT/SIGTERM)" },
    { OPT_DURATION, "duration", "S", "stop after S seconds (10, 0.5, 100ms)" },
    { 'c', "count", "N", "send exactly N frames in total" },
    { OPT_NO_RETRY, "no-retry", NULL,
      "free frames the port refuses and count them as failed (default:\n"
      "offer them again, so every attempted frame is sent unless a stop\n"
      "interrupts the retry)" },
    { OPT_LINK_WAIT, "link-wait", "S", "wait up to S s for the link to come up before sending (default 10; 0)" },
    { OPT_LINGER, "linger", "S",
      "after a --count or --duration stop, keep the port open until the\n"
      "peer disconnects or S s pass (default 0): frames still in the link\n"
      "reach a receiver that stops by its own count, and on memif the peer\n"
      "never leaves while this side is inside a send call" },
    { 0, NULL, NULL, "Report and other" },
    { OPT_JSON, "json", "FILE", "final statistics as JSON; the summary always goes to stderr" },
    { OPT_QUIET, "quiet", NULL, "no live line and no start-up lines" },
    { OPT_CONFIG, "config", "FILE",
      "read options from FILE, one a line, as linecap --config does (long\n"
      "names without dashes, `eal ARGS...`); later options override them" },
    { 'h', "help", NULL, "this text" },
    { OPT_VERSION, "version", NULL, "the version" },
    { 0, NULL, NULL, NULL },
};

const struct lc_cmd gen_command = {
    .name = "linecap-gen",
    .summary = "send stamped test traffic on a DPDK port at an exact rate",
    .usage = "-i PORT [traffic] [rate] [limits] [options] [-- EAL-ARGS]\n"
             "--config FILE [options]",
    .about = "Send stamped test traffic on a DPDK port at an exact rate, counting every\n"
             "frame. Arguments after -- go to the DPDK EAL (expert).",
    .opts = gen_opts,
    .notes = "Every generated frame carries the linecap stamp in its first 18 UDP payload\n"
             "bytes: magic 0x4c43, per-flow sequence number, send time (CLOCK_REALTIME ns,\n"
             "one reading per burst). Counts: attempted = sent + failed, exactly, per queue\n"
             "and in total.",
    .exits = "0 ok (also after SIGINT/SIGTERM), 64 usage, 66 port or replay file (or\n"
             "the --config file cannot be read), 69 DPDK unavailable, 70 internal error,\n"
             "73 --json cannot be written.",
    .shortopts_head = ":",
};

static int set_model(struct gen_config *c, enum gen_model m, const char *what, int *nmodel,
                     char *err, size_t errlen)
{
    if (++*nmodel > 1)
        return lc_bad(err, errlen, "%s: give only one of --size, --imix, --mix, --replay", what);
    c->model = m;
    return 0;
}

int gen_options_parse(int argc, char **argv, struct gen_config *c, char *err, size_t errlen)
{
    uint64_t v;
    double d;
    int o, nmodel = 0, rc;

    struct option lo[LC_OPT_MAX];
    char so[2 * LC_OPT_MAX + 4];
    struct opttab_argv x;
    bool i_file = false;                /* -i came from a --config file */

    memset(c, 0, sizeof(*c));
    c->model = GEN_FIXED;
    c->size = GEN_MIN_FRAME;
    memcpy(c->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
    memcpy(c->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
    c->src_ip = 0x0a000001;     /* 10.0.0.1 (+ flow index) */
    c->dst_ip = 0x0aff0001;     /* 10.255.0.1 */
    c->dst_port = 9;            /* discard */
    c->link_wait_ns = 10000000000ULL;
    err[0] = '\0';
    if (opttab_getopt(&gen_command, lo, LC_OPT_MAX, so, sizeof(so)) < 0)
        return lc_bad(err, errlen, "the option table is too large"), EXIT_SOFTWARE;
    /* --config FILE: its lines take its place; later options win */
    if ((rc = opttab_expand(&gen_command, OPT_CONFIG, argc, argv, &x, err, errlen)) != 0)
        return rc;
    c->argv_mem = x.mem;
    argc = x.argc;
    argv = x.argv;

    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        bool from_file = x.from_file != NULL && x.from_file[optind - 1];
        switch (o) {
        case 'i':
            if (c->iface && !(i_file && !from_file))
                return lc_bad(err, errlen, "-i '%s': linecap-gen sends on one port (already -i '%s')",
                              optarg, c->iface);
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "-i '': expected a PCI address, a DPDK vdev (net_...) or a port index");
            c->iface = optarg;
            i_file = from_file;
            break;
        case 'q':
            if (lc_parse_u64(optarg, 1, GEN_MAX_QUEUES, &v) < 0)
                return lc_bad(err, errlen, "-q '%s': transmit queues must be a whole number from 1 to %d",
                              optarg, GEN_MAX_QUEUES);
            c->queues = (unsigned)v;
            break;
        case 'c':
            if (lc_parse_u64(optarg, 1, INT64_MAX, &v) < 0)
                return lc_bad(err, errlen, "--count '%s': expected a whole number of frames >= 1", optarg);
            c->count = v;
            break;
        case 'h':
            c->help = true;
            break;
        case OPT_CORES: {
            int n = lc_parse_cpu_list(optarg, c->cores, GEN_MAX_CORES);
            if (n < 0)
                return lc_bad(err, errlen, "--cores '%s': expected a list of CPU ids such as 0 or 0,2 or 0-3",
                              optarg);
            c->ncores = n;
            break;
        }
        case OPT_SIZE:
            if ((rc = set_model(c, GEN_FIXED, "--size", &nmodel, err, errlen)))
                return rc;
            if (lc_parse_u64(optarg, GEN_MIN_FRAME, GEN_MAX_FRAME, &v) < 0)
                return lc_bad(err, errlen,
                              "--size '%s': expected a frame size in bytes from %u to %u, counting the "
                              "4-byte FCS (64 = 60 B sent + FCS)", optarg, GEN_MIN_FRAME, GEN_MAX_FRAME);
            c->size = (uint32_t)v;
            break;
        case OPT_IMIX:
            if ((rc = set_model(c, GEN_IMIX, "--imix", &nmodel, err, errlen)))
                return rc;
            break;
        case OPT_MIX:
            if (strcmp(optarg, "imix") == 0)
                rc = set_model(c, GEN_IMIX, "--mix", &nmodel, err, errlen);
            else if (strcmp(optarg, "caida") == 0)
                rc = set_model(c, GEN_CAIDA, "--mix", &nmodel, err, errlen);
            else
                return lc_bad(err, errlen, "--mix '%s': unknown size mix; expected imix or caida", optarg);
            if (rc)
                return rc;
            break;
        case OPT_REPLAY:
            if ((rc = set_model(c, GEN_REPLAY, "--replay", &nmodel, err, errlen)))
                return rc;
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "--replay '': expected a pcap or pcapng file");
            c->replay = optarg;
            break;
        case OPT_REWRITE:
            c->rewrite = true;
            break;
        case OPT_STAMP:
            c->stamp = true;
            break;
        case OPT_FLOWS:
            if (lc_parse_u64(optarg, 1, GEN_MAX_FLOWS, &v) < 0)
                return lc_bad(err, errlen, "--flows '%s': expected a whole number from 1 to %u",
                              optarg, GEN_MAX_FLOWS);
            c->flows = (uint32_t)v;
            break;
        case OPT_RATE:
            if (lc_parse_si(optarg, 1e12, &d) < 0)
                return lc_bad(err, errlen,
                              "--rate '%s': expected wire bits per second > 0 with an optional k, m or g "
                              "suffix (e.g. 10g, 2.5g, 100m), at most 1000g", optarg);
            c->rate_bps = d;
            break;
        case OPT_PPS:
            if (lc_parse_si(optarg, 1e10, &d) < 0)
                return lc_bad(err, errlen,
                              "--pps '%s': expected frames per second > 0 with an optional k, m or g "
                              "suffix (e.g. 1m, 14.88m)", optarg);
            c->pps = d;
            break;
        case OPT_DURATION:
            if (lc_parse_duration_ns(optarg, &v) < 0)
                return lc_bad(err, errlen, "--duration '%s': expected a positive number of seconds (e.g. 10, 0.5, 100ms)",
                              optarg);
            c->duration_ns = v;
            break;
        case OPT_BURST:
            if (lc_parse_u64(optarg, 1, GEN_MAX_BURST, &v) < 0)
                return lc_bad(err, errlen, "--burst '%s': expected a whole number from 1 to %u", optarg,
                              GEN_MAX_BURST);
            c->burst = (unsigned)v;
            break;
        case OPT_NO_RETRY:
            c->no_retry = true;
            break;
        case OPT_SRC_MAC:
        case OPT_DST_MAC:
            if (lc_parse_mac(optarg, o == OPT_SRC_MAC ? c->src_mac : c->dst_mac) < 0)
                return lc_bad(err, errlen, "--%s-mac '%s': expected a MAC address like 02:00:00:00:00:01",
                              o == OPT_SRC_MAC ? "src" : "dst", optarg);
            break;
        case OPT_SRC_IP:
        case OPT_DST_IP:
            if (lc_parse_ipv4(optarg, o == OPT_SRC_IP ? &c->src_ip : &c->dst_ip) < 0)
                return lc_bad(err, errlen, "--%s-ip '%s': expected an IPv4 address like 10.0.0.1",
                              o == OPT_SRC_IP ? "src" : "dst", optarg);
            break;
        case OPT_DST_PORT:
            if (lc_parse_u64(optarg, 0, 65535, &v) < 0)
                return lc_bad(err, errlen, "--dst-port '%s': expected a UDP port from 0 to 65535", optarg);
            c->dst_port = (uint16_t)v;
            break;
        case OPT_LINK_WAIT:
            if (strcmp(optarg, "0") == 0)
                c->link_wait_ns = 0;
            else if (lc_parse_duration_ns(optarg, &v) < 0)
                return lc_bad(err, errlen, "--link-wait '%s': expected seconds (e.g. 10, 0.5), or 0 not to wait",
                              optarg);
            else
                c->link_wait_ns = v;
            break;
        case OPT_LINGER:
            if (strcmp(optarg, "0") == 0)
                c->linger_ns = 0;
            else if (lc_parse_duration_ns(optarg, &v) < 0)
                return lc_bad(err, errlen, "--linger '%s': expected seconds (e.g. 10, 0.5), or 0 not to wait",
                              optarg);
            else
                c->linger_ns = v;
            break;
        case OPT_JSON:
            if (optarg[0] == '\0')
                return lc_bad(err, errlen, "--json '': expected a file name");
            c->json = optarg;
            break;
        case OPT_QUIET:
            c->quiet = true;
            break;
        case OPT_VERSION:
            c->version = true;
            break;
        case OPT_CONFIG:            /* replaced by opttab_expand */
            break;
        case ':':
            if (optopt && optopt < 256)
                return lc_bad(err, errlen, "-%c: missing value", optopt);
            return lc_bad(err, errlen, "%s: missing value", argv[optind - 1]);
        default:
            if (optopt && optopt < 256)
                return lc_bad(err, errlen, "-%c: unknown option (see --help)", optopt);
            return lc_bad(err, errlen, "%s: unknown option (see --help)", argv[optind - 1]);
        }
    }
    bool after_dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
    if (optind < argc && !after_dashdash)
        return lc_bad(err, errlen, "'%s': unexpected argument (EAL arguments go after --)", argv[optind]);
    for (int i = optind; i < argc; i++) {
        if (c->n_eal_args >= GEN_MAX_EAL_ARGS)
            return lc_bad(err, errlen, "'%s': too many EAL arguments (at most %d)", argv[i], GEN_MAX_EAL_ARGS);
        c->eal_args[c->n_eal_args++] = argv[i];
    }
    if (c->help || c->version)
        return 0;

    if (c->iface == NULL)
        return lc_bad(err, errlen, "no port: give -i PORT (a PCI address, net_... vdev or port index)");
    if (c->rate_bps > 0 && c->pps > 0)
        return lc_bad(err, errlen, "--rate and --pps: give one or the other");
    if (c->model != GEN_REPLAY && (c->rewrite || c->stamp))
        return lc_bad(err, errlen, "--%s applies to --replay only (generated frames are always stamped)",
                      c->rewrite ? "rewrite" : "stamp");
    if (c->model == GEN_REPLAY && c->flows)
        return lc_bad(err, errlen, "--flows %u: with --replay the flows are those of the file", c->flows);
    unsigned nq = c->queues ? c->queues : (c->ncores ? (unsigned)c->ncores : 1);
    if (c->ncores && nq < (unsigned)c->ncores)
        return lc_bad(err, errlen, "-q %u: fewer transmit queues than the %d --cores; give at least %d",
                      nq, c->ncores, c->ncores);
    if (c->model != GEN_REPLAY && c->flows && c->flows < nq)
        return lc_bad(err, errlen,
                      "--flows %u: fewer flows than the %u transmit queues (each flow's sequence numbers "
                      "belong to one queue); give at least %u", c->flows, nq, nq);
    return 0;
}

void gen_usage(FILE *out)
{
    opttab_help(out, &gen_command, NULL);
}

void gen_options_free(struct gen_config *c)
{
    free(c->argv_mem);
    c->argv_mem = NULL;
}
