/* linecap-gen's pure parts: rate arithmetic, size models, option parsing. */
#include <string.h>

#include "check.h"
#include "gen/genconf.h"

static double fabs_(double x) { return x < 0 ? -x : x; }
#define fabs fabs_
#define NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

static int parse(const char *line, struct gen_config *c, char *err, size_t errlen)
{
    char buf[1024], *argv[64];
    int argc = 0;
    snprintf(buf, sizeof(buf), "linecap-gen %s", line);
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    return gen_options_parse(argc, argv, c, err, errlen);
}

static void test_rates(void)
{
    /* 10 Gb/s of 64 B frames: 10e9 / ((64 + 20) * 8) = 14,880,952.38 pps */
    NEAR(gen_wire_pps(10e9, 64), 14880952.38, 0.01);
    NEAR(gen_wire_pps(10e9, 1518), 812743.82, 0.01);
    NEAR(gen_wire_pps(1e9, 64), 1488095.24, 0.01);
    NEAR(gen_wire_pps(40e9, 64), 59523809.52, 0.01);
    NEAR(gen_wire_bps(14880952.380952, 64), 10e9, 1);
    NEAR(gen_l2_bps(1e6, 64), 512e6, 1e-6);
}

static void test_models(void)
{
    static uint16_t tab[GEN_SIZE_TABLE_MAX];
    NEAR(gen_model_mean(GEN_FIXED, 64), 64, 0);
    NEAR(gen_model_mean(GEN_IMIX, 0), (64.0 * 7 + 576 * 4 + 1518) / 12, 1e-9);
    NEAR(gen_model_mean(GEN_CAIDA, 0), 965, 1.0);   /* the ~965 B of the CAIDA 2014 trace */
    enum gen_model ms[] = { GEN_IMIX, GEN_CAIDA };
    for (unsigned m = 0; m < 2; m++) {
        unsigned n = gen_size_table(ms[m], 0, tab, GEN_SIZE_TABLE_MAX), nb;
        CHECK(n > 0);
        double s = 0;
        for (unsigned i = 0; i < n; i++) {
            s += tab[i];
            CHECK(tab[i] >= GEN_MIN_FRAME && tab[i] <= 1518);
        }
        /* every period of the table has exactly the model's mean */
        NEAR(s / n, gen_model_mean(ms[m], 0), 1e-9);
        const struct gen_size_weight *b = gen_model_bins(ms[m], &nb);
        unsigned w = 0;
        for (unsigned i = 0; i < nb; i++)
            w += b[i].weight;
        CHECK_EQ_U(n % w, 0);
        /* shuffled: the first 12 entries are not all one size */
        int diff = 0;
        for (unsigned i = 1; i < 12; i++)
            diff |= tab[i] != tab[0];
        CHECK(diff);
    }
    CHECK_EQ_U(gen_size_table(GEN_FIXED, 128, tab, 8), 1);
    CHECK_EQ_U(tab[0], 128);
    CHECK_EQ_U(gen_size_table(GEN_CAIDA, 0, tab, 10), 0);   /* one period does not fit */
    /* 10 Gb/s with the caida mix: about 1.27 Mpps */
    NEAR(gen_wire_pps(10e9, gen_model_mean(GEN_CAIDA, 0)), 1.2685e6, 2e3);
}

static void test_flows_csum(void)
{
    /* distinct (ip, port) for every flow: check a stretch around the wraps */
    uint32_t f1 = 65536, f0 = 0;
    CHECK(gen_flow_src_ip(0x0a000001, f0) == gen_flow_src_ip(0x0a000001, f1));
    CHECK(gen_flow_src_port(f0) != gen_flow_src_port(f1));
    CHECK(gen_flow_src_port(60000) == gen_flow_src_port(0));
    CHECK(gen_flow_src_ip(0, 60000) != gen_flow_src_ip(0, 0));
    /* RFC 1071 example header: 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7 */
    uint8_t ip[20] = { 0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0,
                       0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7 };
    CHECK_EQ_U(gen_csum_fold(gen_csum_add(0, ip, 20)), 0xb861);
}

static void test_options(void)
{
    struct gen_config c;
    char err[512];

    CHECK(parse("-i net_null0", &c, err, sizeof(err)) == 0);
    CHECK_EQ_U(c.size, 64);
    CHECK(c.model == GEN_FIXED && c.rate_bps == 0 && c.pps == 0);
    CHECK(parse("-i net_null0 --rate 10g --size 1518 --flows 8 --cores 0 -q 2 --duration 10 --count 5",
                &c, err, sizeof(err)) == 0);
    CHECK(c.rate_bps == 10e9 && c.size == 1518 && c.flows == 8 && c.queues == 2 &&
          c.duration_ns == 10000000000ULL && c.count == 5);
    CHECK(parse("-i net_null0 --mix caida --pps 14.88m", &c, err, sizeof(err)) == 0);
    CHECK(c.model == GEN_CAIDA && fabs(c.pps - 14.88e6) < 1e-3);
    CHECK(parse("-i net_null0 --replay x.pcap --rewrite --stamp", &c, err, sizeof(err)) == 0);
    CHECK(c.model == GEN_REPLAY && c.rewrite && c.stamp);
    CHECK(parse("-i net_null0 -- --log-level=8", &c, err, sizeof(err)) == 0);
    CHECK_EQ_U(c.n_eal_args, 1);
    CHECK(parse("--help", &c, err, sizeof(err)) == 0 && c.help);
    CHECK(parse("-i net_null0 --src-mac 0A:0b:0c:0d:0e:0f --dst-mac 02:00:00:00:00:09 --src-ip 192.168.1.2 "
                "--dst-ip 10.1.2.3 --rate 2.5g", &c, err, sizeof(err)) == 0);
    CHECK(c.src_mac[0] == 0x0a && c.src_mac[5] == 0x0f && c.dst_mac[5] == 9);
    CHECK(c.src_ip == 0xc0a80102 && c.dst_ip == 0x0a010203 && c.rate_bps == 2.5e9);

    /* bad values: exit 64 and one line naming the value */
    struct { const char *line, *needle; } bad[] = {
        { "", "-i" },
        { "-i net_null0 --size 63", "'63'" },
        { "-i net_null0 --size 60", "FCS" },
        { "-i net_null0 --size 9023", "'9023'" },
        { "-i net_null0 --size 64x", "'64x'" },
        { "-i net_null0 --rate 10x", "'10x'" },
        { "-i net_null0 --rate 0", "'0'" },
        { "-i net_null0 --rate -1g", "'-1g'" },
        { "-i net_null0 --pps abc", "'abc'" },
        { "-i net_null0 --rate 1g --pps 1m", "one or the other" },
        { "-i net_null0 --size 64 --imix", "only one" },
        { "-i net_null0 --mix foo", "'foo'" },
        { "-i net_null0 --flows 0", "'0'" },
        { "-i net_null0 --flows 2000000", "'2000000'" },
        { "-i net_null0 -q 4 --flows 2", "--flows 2" },
        { "-i net_null0 --cores 0,1 -q 1", "-q 1" },
        { "-i net_null0 --cores x", "'x'" },
        { "-i net_null0 --duration -3", "'-3'" },
        { "-i net_null0 --duration 0", "'0'" },
        { "-i net_null0 --count 0", "'0'" },
        { "-i net_null0 --burst 0", "'0'" },
        { "-i net_null0 --burst 1000", "'1000'" },
        { "-i net_null0 --src-mac 1:2:3", "'1:2:3'" },
        { "-i net_null0 --dst-mac 02:00:00:00:00:0x", "'02:00:00:00:00:0x'" },
        { "-i net_null0 --dst-ip 10.0.0.256", "'10.0.0.256'" },
        { "-i net_null0 --src-ip 10.0.0", "'10.0.0'" },
        { "-i net_null0 --pps 0", "'0'" },
        { "-i net_null0 --rate 2000g", "'2000g'" },
        { "-i net_null0 --dst-port 70000", "'70000'" },
        { "-i net_null0 --stamp", "--stamp" },
        { "-i net_null0 --replay x.pcap --flows 4", "--flows" },
        { "-i net_null0 --bogus", "--bogus" },
        { "-i net_null0 --rate", "missing value" },
        { "-i net_null0 stray", "'stray'" },
        { "-i a -i b", "one port" },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse(bad[i].line, &c, err, sizeof(err));
        CHECK_EQ_U(rc, EXIT_USAGE);
        if (strstr(err, bad[i].needle) == NULL || strchr(err, '\n') != NULL) {
            fprintf(stderr, "option line '%s': error '%s' does not name '%s'\n", bad[i].line, err,
                    bad[i].needle);
            check_failures++;
        }
    }
}

int main(void)
{
    test_rates();
    test_models();
    test_flows_csum();
    test_options();
    return check_done("test_gen");
}
