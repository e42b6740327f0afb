/* `linecap verify FILE...`: read capture files back and explain them.
 *
 * The analyser (vf_*) takes records one at a time, from files through
 * libpcap or straight from a test, and keeps per flow: records, sequence
 * numbers seen (a bitmap), duplicates, late arrivals, timestamps going
 * backwards, and a latency histogram (capture ts - stamp tx_ns). vf_finish()
 * turns the bitmaps into missing counts and ranges. No DPDK here. */
#ifndef LC_VERIFY_H
#define LC_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/opttab.h"
#include "verify/flow.h"

/* argv[0] is "verify". Returns the process exit code:
 * 0 consistent, 1 inconsistencies, 64 usage, 66 an input could not be read,
 * 73 the --json output could not be created. */
int verify_main(int argc, char **argv);

/* its options and help */
extern const struct lc_cmd verify_command;

#define VF_UNKNOWN UINT64_MAX

/* One missing range [first, last] of sequence numbers. */
struct vf_range {
    uint64_t first, last;
};

struct vf_flow {
    struct vf_key key;
    uint64_t records, bytes, stamped;
    uint64_t min_seq, max_seq;  /* over stamped records */
    uint64_t duplicates;        /* a sequence number seen again */
    uint64_t reordered;         /* arrived after a higher sequence number */
    uint64_t ts_backwards;      /* capture ts below the flow's previous one */
    uint64_t seq_wild;          /* not tracked: seq >= VF_SEQ_LIMIT or over mem_limit */
    uint64_t last_ts;
    uint64_t **chunks;          /* bitmap of seen seqs, 2^16 per chunk */
    uint32_t nchunks;
    /* filled by vf_finish() */
    uint64_t sent;              /* frames the generator sent on it, or VF_UNKNOWN */
    uint64_t missing;           /* in [base, max_seq] never seen */
    uint64_t gaps;              /* ranges of them */
    uint64_t tail;              /* sent - (max_seq + 1) when sent is known */
    struct vf_range *ranges;    /* the first nranges of the gaps */
    uint32_t nranges;
};

#define VF_SEQ_LIMIT (1ULL << 36)
/* Bitmap memory budget: 1 GiB tracks 8.6e9 sequence numbers; a crafted file
 * cannot make verify allocate more (the excess is counted as untracked). */
#define VF_MEM_LIMIT (1ULL << 30)
#define VF_HIST_SUB 128u /* sub-buckets per power of two: < 0.8 % error */
#define VF_HIST_N (VF_HIST_SUB + 57u * VF_HIST_SUB)

struct vf_file {
    char *path;
    int pcapng;
    int error;      /* 0, or VF_ERR_OPEN / VF_ERR_READ */
    char *msg;      /* libpcap's message when error */
    uint64_t records, bytes;
    uint64_t first_ns, last_ns;
};

enum { VF_ERR_OPEN = 1, VF_ERR_READ = 2 };

struct vf_totals {
    uint64_t records, bytes, wire_bytes;
    uint64_t stamped, unstamped, truncated, non_ip, bad_ip, non_ethernet;
    uint64_t ts_backwards_order;  /* below the previous record, in reading order */
    uint64_t missing, gaps, duplicates, reordered, ts_backwards, seq_wild;
    uint64_t seq_span;            /* sum over flows of max_seq + 1 - base */
    uint64_t tail;                /* missing after each flow's last seq (sent known) */
    int tail_known;               /* 0: no generator count, tail is 0 */
    uint64_t seq_covered;         /* with a total count: sum over flows of max_seq + 1 */
};

struct vf_latency {
    uint64_t count, negative;
    int64_t min, max;
    uint64_t pos[VF_HIST_N], neg[VF_HIST_N];
};

struct vf_state {
    int from_first;
    unsigned max_ranges;
    struct vf_flow *flows;
    uint32_t nflows, cap;
    uint32_t *slots;     /* open addressing: flow index + 1, 0 empty */
    uint32_t nslots;     /* power of two */
    struct vf_file *files;
    uint32_t nfiles;
    uint64_t prev_ts;
    uint64_t mem_used, mem_limit; /* bitmap bytes */
    struct vf_totals t;
    struct vf_latency lat;
};

/* 0, or -ENOMEM. max_ranges: how many missing ranges to keep per flow. */
int vf_init(struct vf_state *s, int from_first, unsigned max_ranges);
void vf_free(struct vf_state *s);

/* Take one record (Ethernet frame, capture time ts_ns). 0 or -ENOMEM. */
int vf_record(struct vf_state *s, uint64_t ts_ns, const uint8_t *p, uint32_t caplen,
              uint32_t len);

/* Read one pcap/pcapng file with libpcap (nanosecond precision) into s.
 * Returns 0, VF_ERR_OPEN (nothing read) or VF_ERR_READ (records up to the
 * error were taken); the file entry in s->files says what happened. */
int vf_read_file(struct vf_state *s, const char *path);

/* The generator's per-flow count for key, or VF_UNKNOWN; ctx is opaque. */
typedef uint64_t (*vf_sent_fn)(void *ctx, const struct vf_key *k);

/* Compute missing/gaps/ranges per flow and the totals; sent may be NULL.
 * total_sent (or VF_UNKNOWN) gives the aggregate tail when no per-flow count
 * exists. 0 or -ENOMEM. */
int vf_finish(struct vf_state *s, vf_sent_fn sent, void *ctx, uint64_t total_sent);

/* Latency percentile (q in [0,1]) in ns from the histogram; within 0.8 %. */
int64_t vf_latency_quantile(const struct vf_latency *l, double q);

/* A flow by key, or NULL. */
const struct vf_flow *vf_find(const struct vf_state *s, const struct vf_key *k);

#endif
