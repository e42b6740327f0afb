/* linecap-gen configuration, size models and rate arithmetic. Pure: no DPDK,
 * no EAL, so the unit tests link it alone (tests/unit/test_gen.c).
 *
 * Frame sizes in this file count the 4-byte FCS, as the Ethernet standard
 * and RFC 2544 do: a "64 B" frame is 60 bytes in the mbuf plus the FCS the
 * device appends. On the wire each frame also costs 8 bytes of preamble+SFD
 * and 12 bytes of inter-frame gap: GEN_WIRE_OVERHEAD = 20 on top of it. */
#ifndef LC_GENCONF_H
#define LC_GENCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/exitcodes.h"
#include "common/opttab.h"

#define GEN_FCS 4u
#define GEN_WIRE_OVERHEAD 20u          /* preamble+SFD 8, IFG 12 */
#define GEN_MIN_FRAME 64u              /* with FCS: 60 B Eth/IPv4/UDP + 18 B stamp */
#define GEN_MAX_FRAME 9022u            /* with FCS: 9000 B MTU + 14 + 4 + 4 spare */
#define GEN_HDR_LEN 42u                /* Ethernet 14 + IPv4 20 + UDP 8 */
#define GEN_MAX_FLOWS 1000000u
#define GEN_MAX_CORES 64
#define GEN_MAX_QUEUES 64
#define GEN_MAX_BURST 256u
#define GEN_MAX_EAL_ARGS 64
#define GEN_SIZE_TABLE_MAX 4096u

enum gen_model { GEN_FIXED, GEN_IMIX, GEN_CAIDA, GEN_REPLAY };

struct gen_config {
    const char *iface;                  /* -i */
    unsigned queues;                    /* -q, 0 = one per core */
    unsigned cores[GEN_MAX_CORES];      /* --cores */
    int ncores;
    enum gen_model model;
    uint32_t size;                      /* --size, with FCS */
    const char *replay;                 /* --replay FILE */
    bool rewrite, stamp;                /* replay: --rewrite, --stamp */
    uint32_t flows;                     /* --flows, 0 = one per queue */
    double rate_bps;                    /* --rate, wire bits/s; 0 = none */
    double pps;                         /* --pps; 0 = none */
    uint64_t duration_ns;               /* --duration; 0 = none */
    uint64_t count;                     /* --count; 0 = none */
    unsigned burst;                     /* --burst; 0 = automatic */
    bool no_retry;                      /* --no-retry */
    uint8_t src_mac[6], dst_mac[6];     /* --src-mac, --dst-mac */
    uint32_t src_ip, dst_ip;            /* --src-ip, --dst-ip (host order) */
    uint16_t dst_port;                  /* --dst-port */
    uint64_t link_wait_ns;              /* --link-wait */
    uint64_t linger_ns;                 /* --linger */
    const char *json;                   /* --json FILE */
    bool quiet;
    const char *eal_args[GEN_MAX_EAL_ARGS];
    int n_eal_args;
    bool help, version;
    void *argv_mem;                     /* --config's words (gen_options_free) */
};

/* linecap-gen's option table, --help and man page words. */
extern const struct lc_cmd gen_command;

/* Fill c from argv, with each --config FILE's lines in its place. Returns
 * 0, or an exit code with one line in err naming the bad value and what was
 * expected. Never exits, never prints. c's strings may point into
 * c->argv_mem: gen_options_free when done with c. */
int gen_options_parse(int argc, char **argv, struct gen_config *c, char *err, size_t errlen);
void gen_options_free(struct gen_config *c);

void gen_usage(FILE *out);

/* Packets per second that fill bps of wire with frames averaging
 * avg_frame bytes (with FCS): bps / ((avg_frame + 20) * 8). */
double gen_wire_pps(double bps, double avg_frame);

/* Wire bits/s and L2 bits/s (frame with FCS) for pps frames of the given
 * average size (with FCS). */
double gen_wire_bps(double pps, double avg_frame);
double gen_l2_bps(double pps, double avg_frame);

/* One weighted size in a model: frame size with FCS, weight. */
struct gen_size_weight {
    uint16_t size;
    uint16_t weight;
};

/* The model's bins; *n set. NULL for GEN_FIXED and GEN_REPLAY. */
const struct gen_size_weight *gen_model_bins(enum gen_model m, unsigned *n);

/* Mean frame size with FCS of a model (fixed: size). */
double gen_model_mean(enum gen_model m, uint32_t fixed_size);

const char *gen_model_name(enum gen_model m);

/* A send order of sizes (with FCS) in which every size of the model occurs
 * exactly weight * k times for the largest k that fits in max (the order is
 * a fixed pseudo-random shuffle so sizes interleave). Returns the length
 * (> 0), or 0 if max is too small for one period. Fixed: one entry. */
unsigned gen_size_table(enum gen_model m, uint32_t fixed_size, uint16_t *tab, unsigned max);

/* Internet checksum helpers (RFC 1071) for the header templates. */
uint32_t gen_csum_add(uint32_t sum, const void *p, size_t len);
uint16_t gen_csum_fold(uint32_t sum);

/* Flow f's source address and port: distinct (ip, port) pairs for all
 * f < GEN_MAX_FLOWS, varying both so RSS on IPs only or on ports spreads. */
uint32_t gen_flow_src_ip(uint32_t base, uint32_t f);
uint16_t gen_flow_src_port(uint32_t f);

#endif
