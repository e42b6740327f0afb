/* Capture filter: a libpcap expression compiled to classic BPF (libpcap only,
 * before the EAL starts), converted to eBPF with rte_bpf_convert, repaired
 * for two DPDK defects (repair.h), loaded with rte_bpf_load and run per burst
 * by DPDK's x86-64 JIT, or by its interpreter where there is no JIT. A
 * program DPDK cannot take (libpcap's protochain jumps backwards) runs in
 * libpcap's own classic interpreter instead. */
#ifndef LC_FILTER_H
#define LC_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

/* Compile expr for the pcap link type the packets carry (LINKTYPE_ETHERNET
 * or LINKTYPE_RAW, format/pcap.h) with snaplen, optimised, netmask unknown.
 * Needs no EAL. The program reads the packet from its first byte, so it runs
 * unchanged on DPDK's eBPF. Returns 0, or -1 with libpcap's message in err.
 * Free prog with pcap_freecode. */
int filter_compile(const char *expr, uint32_t linktype, uint32_t snaplen, struct bpf_program *prog,
                   char *err, size_t errlen);

struct rte_bpf;
struct rte_mbuf;

enum filter_engine {
    FILTER_JIT,         /* DPDK eBPF, native code */
    FILTER_INTERP,      /* DPDK eBPF, rte_bpf_exec_burst */
    FILTER_CLASSIC,     /* libpcap's bpf_filter on the classic program */
};

/* A loaded filter, shared read-only by every receive lcore. */
struct lc_filter {
    enum filter_engine engine;
    struct rte_bpf *bpf;
    uint64_t (*jit)(void *);
    struct bpf_insn *cbpf;      /* FILTER_CLASSIC: a copy of the classic program */
    uint32_t cbpf_insns;        /* classic instructions from libpcap */
    uint32_t ebpf_insns;        /* eBPF instructions loaded (after repair) */
    uint32_t fixed_ldind;       /* repairs made, see repair.h */
    uint32_t fixed_jset;
    char note[160];             /* why not the JIT, when not */
};

/* Convert, repair and load a compiled program (after rte_eal_init: the
 * conversion allocates from the DPDK heap). want: the best engine allowed
 * (FILTER_JIT; FILTER_INTERP for --no-jit); a program DPDK cannot convert or
 * load falls back to FILTER_CLASSIC, with the reason in f->note. Returns 0,
 * or -1 (out of memory) with the reason in err. prog stays the caller's. */
int filter_load(struct lc_filter *f, const struct bpf_program *prog, enum filter_engine want,
                char *err, size_t errlen);

/* filter_load with the repairs of repair.h chosen (REPAIR_* bits), for the
 * differential test that shows what DPDK does without them. */
int filter_load_ext(struct lc_filter *f, const struct bpf_program *prog, enum filter_engine want,
                    unsigned repairs, char *err, size_t errlen);

void filter_free(struct lc_filter *f);

/* "JIT", "interpreter" or "libpcap". */
const char *filter_engine_name(const struct lc_filter *f);

/* Run the filter over n packets: rc[i] != 0 means packet i matches. */
void filter_run_burst(const struct lc_filter *f, struct rte_mbuf **pkts, uint64_t *rc,
                      uint16_t n);

#endif
