/* The filter's pure parts: libpcap compilation (errors carry libpcap's
 * message) and the repairs of DPDK's converted programs (repair.h), on
 * hand-built eBPF with known jump targets. No EAL. */
#include <string.h>

#include "check.h"
#include "filter/filter.h"
#include "filter/repair.h"
#include "format/pcap.h"

#define INS(c, d, s, o, i) ((struct ebpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

int main(void)
{
    struct bpf_program p;
    char err[512];

    CHECK(filter_compile("udp port 53", LINKTYPE_ETHERNET, 262144, &p, err, sizeof(err)) == 0);
    CHECK(p.bf_len > 4);
    pcap_freecode(&p);
    CHECK(filter_compile("tcp prot 80", LINKTYPE_ETHERNET, 262144, &p, err, sizeof(err)) < 0);
    CHECK(strstr(err, "syntax error") != NULL);
    CHECK(filter_compile("host 300.1.1.1", LINKTYPE_ETHERNET, 96, &p, err, sizeof(err)) < 0);
    CHECK(strstr(err, "300.1.1.1") != NULL);
    CHECK(filter_compile("icmp", 999, 262144, &p, err, sizeof(err)) < 0);
    CHECK(strstr(err, "999") != NULL);

    /* Raw IP (a tun): the program reads the IP header at offset 0. The same
     * ICMP echo request matches 'icmp' compiled for raw IP, not compiled
     * for Ethernet (where its bytes would be addresses and an ethertype). */
    {
        static const uint8_t icmp4[28] = {
            0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 250, 0, 2, 10, 250, 0, 1,
            8, 0, 0xf7, 0xfe, 0, 1, 0, 0,
        };
        static const uint8_t udp6[48] = {
            0x60, 0, 0, 0, 0, 8, 17, 64, [8] = 0xfd, [23] = 1, [24] = 0xfd, [39] = 2,
            0x9c, 0x40, 0x13, 0x88, 0, 8, 0, 0,
        };
        CHECK(filter_compile("icmp", LINKTYPE_RAW, 262144, &p, err, sizeof(err)) == 0);
        CHECK(bpf_filter(p.bf_insns, icmp4, sizeof(icmp4), sizeof(icmp4)) != 0);
        CHECK(bpf_filter(p.bf_insns, udp6, sizeof(udp6), sizeof(udp6)) == 0);
        pcap_freecode(&p);
        CHECK(filter_compile("ip6 and udp port 5000", LINKTYPE_RAW, 262144, &p, err, sizeof(err)) == 0);
        CHECK(bpf_filter(p.bf_insns, udp6, sizeof(udp6), sizeof(udp6)) != 0);
        CHECK(bpf_filter(p.bf_insns, icmp4, sizeof(icmp4), sizeof(icmp4)) == 0);
        pcap_freecode(&p);
        CHECK(filter_compile("icmp", LINKTYPE_ETHERNET, 262144, &p, err, sizeof(err)) == 0);
        CHECK(bpf_filter(p.bf_insns, icmp4, sizeof(icmp4), sizeof(icmp4)) == 0);
        pcap_freecode(&p);
    }

    /* An indirect byte load indexed by A (DPDK's conversion) gets X (r7); a
     * halfword one already has r7 and is left alone. */
    {
        struct ebpf_insn in[] = {
            INS(BPF_LD | BPF_IND | BPF_B, 0, EBPF_REG_0, 0, 14),
            INS(BPF_LD | BPF_IND | BPF_W, 0, EBPF_REG_0, 0, 16),
            INS(BPF_LD | BPF_IND | BPF_H, 0, EBPF_REG_7, 0, 14),
            INS(BPF_JMP | EBPF_EXIT, 0, 0, 0, 0),
        };
        struct ebpf_insn out[8];
        struct repair_stats st;
        CHECK_EQ_U(bpf_repair_len(in, 4, REPAIR_ALL), 4);
        CHECK_EQ_U(bpf_repair(in, 4, REPAIR_ALL, out, &st), 4);
        CHECK_EQ_U(st.ldind, 2);
        CHECK_EQ_U(st.jset, 0);
        CHECK(out[0].src_reg == EBPF_REG_7 && out[1].src_reg == EBPF_REG_7 &&
              out[2].src_reg == EBPF_REG_7 && out[0].imm == 14 && out[1].imm == 16);
    }
    /* jset #2 becomes mov r9, 2; jset r0, r9; every jump keeps its target:
     *   0: ja +3        -> 4 (exit)        forward over the insertion
     *   1: jset r0, #2 +1 -> 3
     *   2: mov r0, 0
     *   3: jeq r0, #1, -4 -> 0             backward over the insertion
     *   4: exit
     * A jset #-200 or #0x100 is not touched. */
    {
        struct ebpf_insn in[] = {
            INS(BPF_JMP | BPF_JA, 0, 0, 3, 0),
            INS(BPF_JMP | BPF_JSET | BPF_K, 0, 0, 1, 2),
            INS(BPF_ALU | EBPF_MOV | BPF_K, 0, 0, 0, 0),
            INS(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, -4, 1),
            INS(BPF_JMP | EBPF_EXIT, 0, 0, 0, 0),
            INS(BPF_JMP | BPF_JSET | BPF_K, 0, 0, 0, -200),
            INS(BPF_JMP | BPF_JSET | BPF_K, 0, 0, -7, 0x100),
        };
        struct ebpf_insn out[16];
        struct repair_stats st;
        CHECK_EQ_U(bpf_repair_len(in, 7, REPAIR_ALL), 8);
        CHECK_EQ_U(bpf_repair(in, 7, REPAIR_ALL, out, &st), 8);
        CHECK_EQ_U(st.jset, 1);
        /* new layout: 0 ja, 1 mov r9, 2 jset x, 3 mov r0, 4 jeq, 5 exit, 6, 7 */
        CHECK(out[0].code == (BPF_JMP | BPF_JA) && out[0].off == 4);           /* -> 5 */
        CHECK(out[1].code == (EBPF_ALU64 | EBPF_MOV | BPF_K) && out[1].dst_reg == EBPF_REG_9 &&
              out[1].imm == 2);
        CHECK(out[2].code == (BPF_JMP | BPF_JSET | BPF_X) && out[2].src_reg == EBPF_REG_9 &&
              out[2].dst_reg == EBPF_REG_0 && out[2].off == 1);               /* -> 4 */
        CHECK(out[4].code == (BPF_JMP | BPF_JEQ | BPF_K) && out[4].off == -5);  /* -> 0 */
        CHECK(out[6].code == (BPF_JMP | BPF_JSET | BPF_K) && out[6].imm == -200 && out[6].off == 0);
        CHECK(out[7].imm == 0x100 && out[7].off == -8);                        /* -> 0 */
    }
    /* a jump out of the program is refused */
    {
        struct ebpf_insn in[] = { INS(BPF_JMP | BPF_JA, 0, 0, 5, 0), INS(BPF_JMP | EBPF_EXIT, 0, 0, 0, 0) };
        struct ebpf_insn out[4];
        struct repair_stats st;
        CHECK(bpf_repair(in, 2, REPAIR_ALL, out, &st) < 0);
    }
    return check_done("test_filter");
}
