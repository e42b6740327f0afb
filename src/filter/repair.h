/* Repairs applied to the output of DPDK 22.11's rte_bpf_convert before
 * loading it. Pure functions on eBPF instructions: no EAL.
 *
 * 1. Indirect loads (classic `ld{b,h,w} [x + k]`): the converter takes the
 *    index register from BPF_SRC(code), but in a load that bit belongs to the
 *    size field, so halfword loads index with X by luck and byte and word
 *    loads index with the accumulator. The classic index is always X (r7 in
 *    the converted program): every indirect load gets src_reg = r7.
 * 2. `jset #k` with k in -128..127: the x86-64 JIT emits TEST r/m, imm32
 *    (F7 /0) followed by a 1-byte immediate, so the following bytes decode
 *    as garbage (wrong verdicts or SIGSEGV/SIGILL). Such a jset becomes
 *    `mov r9, #k; jset r0, r9` (the converter never uses r9) and every jump
 *    offset is recomputed around the inserted instruction. */
#ifndef LC_FILTER_REPAIR_H
#define LC_FILTER_REPAIR_H

#include <stdint.h>

#include <bpf_def.h>

enum { REPAIR_LDIND = 1, REPAIR_JSET = 2, REPAIR_ALL = 3 };

struct repair_stats {
    uint32_t ldind;     /* indirect loads given r7 as index */
    uint32_t jset;      /* jset #k rewritten to a register form */
};

/* Instructions bpf_repair will produce from in[0..n); what: REPAIR_* bits
 * (all in linecap; the differential test turns them off one by one). */
uint32_t bpf_repair_len(const struct ebpf_insn *in, uint32_t n, unsigned what);

/* Write the repaired program to out (room for bpf_repair_len(in, n, what)).
 * Returns the number written, or -1 when a jump leaves the program or an
 * offset no longer fits in 16 bits (the caller refuses the filter). */
int64_t bpf_repair(const struct ebpf_insn *in, uint32_t n, unsigned what,
                   struct ebpf_insn *out, struct repair_stats *st);

#endif
