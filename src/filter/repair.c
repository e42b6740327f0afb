#include "filter/repair.h"

#include <stdbool.h>
#include <stdlib.h>

#define CONV_REG_X EBPF_REG_7       /* rte_bpf_convert: classic X */
#define SCRATCH_REG EBPF_REG_9      /* never used by rte_bpf_convert */

static bool is_jump(uint8_t code)
{
    return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != EBPF_CALL &&
           BPF_OP(code) != EBPF_EXIT;
}

static bool small_jset_imm(const struct ebpf_insn *i, unsigned what)
{
    return (what & REPAIR_JSET) && i->code == (BPF_JMP | BPF_JSET | BPF_K) && i->imm >= -128 && i->imm <= 127;
}

uint32_t bpf_repair_len(const struct ebpf_insn *in, uint32_t n, unsigned what)
{
    uint32_t len = n;
    for (uint32_t i = 0; i < n; i++)
        len += small_jset_imm(&in[i], what);
    return len;
}

int64_t bpf_repair(const struct ebpf_insn *in, uint32_t n, unsigned what,
                   struct ebpf_insn *out, struct repair_stats *st)
{
    /* start[i]: where old instruction i begins in out; a jump to i lands on
     * its first instruction (the inserted mov of a jset). start[n] is one
     * past the end. */
    uint32_t *start = malloc(((size_t)n + 1) * sizeof(*start));
    if (start == NULL)
        return -1;
    uint32_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        start[i] = o;
        o += small_jset_imm(&in[i], what) ? 2 : 1;
    }
    start[n] = o;

    st->ldind = 0;
    st->jset = 0;
    o = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct ebpf_insn x = in[i];

        if ((what & REPAIR_LDIND) && BPF_CLASS(x.code) == BPF_LD && BPF_MODE(x.code) == BPF_IND &&
            x.src_reg != CONV_REG_X) {
            x.src_reg = CONV_REG_X;
            st->ldind++;
        }
        if (small_jset_imm(&x, what)) {
            struct ebpf_insn mov = {
                .code = EBPF_ALU64 | EBPF_MOV | BPF_K,
                .dst_reg = SCRATCH_REG,
                .imm = x.imm,
            };
            out[o++] = mov;
            x.code = BPF_JMP | BPF_JSET | BPF_X;
            x.src_reg = SCRATCH_REG;
            x.imm = 0;
            st->jset++;
        }
        if (is_jump(x.code)) {
            int64_t target = (int64_t)i + 1 + x.off;
            int64_t off = target >= 0 && target <= (int64_t)n
                              ? (int64_t)start[target] - ((int64_t)o + 1) : INT32_MAX;
            if (off < INT16_MIN || off > INT16_MAX) {
                free(start);
                return -1;
            }
            x.off = (int16_t)off;
        }
        out[o++] = x;
    }
    free(start);
    return o;
}
