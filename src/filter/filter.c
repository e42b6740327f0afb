#include "filter/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "filter/repair.h"

/* Largest packet the classic engine reads whole; bytes beyond it read as
 * absent (a load there rejects), like a capture with this snaplen. */
#define CLASSIC_MAX 262144

static int load_classic(struct lc_filter *f, const struct bpf_program *prog, char *err,
                        size_t errlen)
{
    f->cbpf = malloc(prog->bf_len * sizeof(*f->cbpf));
    if (f->cbpf == NULL) {
        snprintf(err, errlen, "out of memory for %u classic instructions", prog->bf_len);
        return -1;
    }
    memcpy(f->cbpf, prog->bf_insns, prog->bf_len * sizeof(*f->cbpf));
    f->engine = FILTER_CLASSIC;
    return 0;
}

int filter_load(struct lc_filter *f, const struct bpf_program *prog, enum filter_engine want,
                char *err, size_t errlen)
{
    return filter_load_ext(f, prog, want, REPAIR_ALL, err, errlen);
}

int filter_load_ext(struct lc_filter *f, const struct bpf_program *prog, enum filter_engine want,
                    unsigned repairs, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->cbpf_insns = prog->bf_len;
    if (want == FILTER_CLASSIC) {
        snprintf(f->note, sizeof(f->note), "asked for");
        return load_classic(f, prog, err, errlen);
    }

    struct rte_bpf_prm *prm = rte_bpf_convert(prog);
    if (prm == NULL) {
        snprintf(f->note, sizeof(f->note), "DPDK's rte_bpf_convert refuses the program "
                 "(rte_errno %d: an instruction it cannot convert, such as the backward jump of "
                 "libpcap's protochain)", rte_errno);
        return load_classic(f, prog, err, errlen);
    }
    uint32_t n = bpf_repair_len(prm->ins, prm->nb_ins, repairs);
    struct ebpf_insn *ins = calloc(n, sizeof(*ins));
    struct repair_stats rs = { 0, 0 };
    if (ins == NULL || bpf_repair(prm->ins, prm->nb_ins, repairs, ins, &rs) != (int64_t)n) {
        snprintf(f->note, sizeof(f->note),
                 "the converted program (%u eBPF instructions) cannot be repaired", prm->nb_ins);
        free(ins);
        rte_free(prm);
        return load_classic(f, prog, err, errlen);
    }
    struct rte_bpf_prm p = *prm;
    p.ins = ins;
    p.nb_ins = n;
    f->bpf = rte_bpf_load(&p);     /* copies the instructions */
    int e = rte_errno;
    free(ins);
    rte_free(prm);
    if (f->bpf == NULL) {
        snprintf(f->note, sizeof(f->note), "DPDK's rte_bpf_load refuses the program (%u eBPF "
                 "instructions): %s", n, rte_strerror(e));
        return load_classic(f, prog, err, errlen);
    }
    f->ebpf_insns = n;
    f->fixed_ldind = rs.ldind;
    f->fixed_jset = rs.jset;

    struct rte_bpf_jit jit;
    memset(&jit, 0, sizeof(jit));
    if (want != FILTER_JIT)
        snprintf(f->note, sizeof(f->note), "--no-jit");
    else if (rte_bpf_get_jit(f->bpf, &jit) != 0 || jit.func == NULL)
        snprintf(f->note, sizeof(f->note), "DPDK has no JIT for this CPU or program");
    else
        f->jit = jit.func;
    f->engine = f->jit ? FILTER_JIT : FILTER_INTERP;
    return 0;
}

void filter_free(struct lc_filter *f)
{
    if (f->bpf)
        rte_bpf_destroy(f->bpf);
    free(f->cbpf);
    f->bpf = NULL;
    f->jit = NULL;
    f->cbpf = NULL;
}

const char *filter_engine_name(const struct lc_filter *f)
{
    switch (f->engine) {
    case FILTER_JIT:
        return "JIT";
    case FILTER_INTERP:
        return "interpreter";
    default:
        return "libpcap";
    }
}

/* libpcap's interpreter wants the packet in one piece: a chained mbuf is
 * gathered into a per-thread buffer first. */
static void run_classic(const struct lc_filter *f, struct rte_mbuf **pkts, uint64_t *rc,
                        uint16_t n)
{
    static __thread uint8_t flat[CLASSIC_MAX];
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        uint32_t len = rte_pktmbuf_pkt_len(m);
        const uint8_t *p;
        uint32_t buflen;
        if (m->nb_segs == 1) {
            p = rte_pktmbuf_mtod(m, const uint8_t *);
            buflen = rte_pktmbuf_data_len(m);
        } else {
            buflen = len < CLASSIC_MAX ? len : CLASSIC_MAX;
            p = rte_pktmbuf_read(m, 0, buflen, flat);
            if (p == NULL)
                buflen = 0;
        }
        rc[i] = bpf_filter(f->cbpf, p, len, buflen);
    }
}

void filter_run_burst(const struct lc_filter *f, struct rte_mbuf **pkts, uint64_t *rc,
                      uint16_t n)
{
    switch (f->engine) {
    case FILTER_JIT:
        for (uint16_t i = 0; i < n; i++)
            rc[i] = f->jit(pkts[i]);
        break;
    case FILTER_INTERP:
        rte_bpf_exec_burst(f->bpf, (void **)pkts, rc, n);
        break;
    default:
        run_classic(f, pkts, rc, n);
        break;
    }
}
