/* The end-to-end accounting of `linecap verify`: what linecap-gen says it
 * sent (--gen-json), what linecap says happened to each packet
 * (--capture-json, its --stats-json), and what the files hold. */
#ifndef LC_VERIFY_ACCOUNT_H
#define LC_VERIFY_ACCOUNT_H

#include <stdint.h>

#include "verify/verify.h"

struct va_genflow {
    struct vf_key key;
    uint64_t sent;
};

struct va_gen {
    int have;
    uint64_t sent;            /* top-level "sent" */
    /* optional "attempted" and "failed" (attempted = sent + failed): frames
     * the link refused (tx_burst did not take them) were built and stamped
     * first, so their sequence numbers are gaps on the wire. Without them
     * attempted = sent and failed = 0. */
    uint64_t attempted, failed;
    uint64_t stamped;         /* optional "stamped": frames that carried a stamp, else attempted */
    struct va_genflow *flows; /* optional "flows": [{"src","dst","sport","dport","proto","sent"}] */
    uint32_t nflows;
};

/* linecap's --stats-json, the keys this needs (totals and files). */
struct va_cap {
    int have;
    char stop_reason[32];
    uint64_t received, filtered, counted_only, dropped_no_block, after_limit;
    uint64_t written, lost_disk, unwritten_abort;
    uint64_t nic_packets, nic_missed, nic_errors, mbuf_failures;
    uint64_t kernel_drops;    /* AF_PACKET socket ring full (optional key, newer linecap) */
    uint64_t files_listed, files_deleted;
    uint64_t kept_records;    /* records of the files not deleted by -b files:N */
};

/* Parse the generator's JSON. 0, or -1 with a message naming the file and
 * the bad value in err. */
int va_gen_load(const char *path, struct va_gen *g, char *err, unsigned errcap);
void va_gen_free(struct va_gen *g);

/* Parse linecap's stats JSON. 0, or -1 with a message in err. */
int va_cap_load(const char *path, struct va_cap *c, char *err, unsigned errcap);

/* vf_sent_fn over g's per-flow list. */
uint64_t va_gen_flow_sent(void *g, const struct vf_key *k);

/* The result: every missing packet attributed to a stage. Signed: a
 * negative value is itself an inconsistency. */
struct va_result {
    int have_offered;
    int64_t offered, captured, missing; /* offered: the generator's attempted */
    int64_t refused;          /* the generator's failed: refused by the link, never on the wire */
    int64_t not_received;     /* sent but never counted by the port */
    int64_t not_received_explained; /* the part the sequence numbers show as a tail */
    int64_t nic_missed, nic_errors, mbuf_failures, kernel_drops;
    int64_t not_taken;        /* counted by the device, not taken by the receive loop */
    int64_t after_limit, filtered, counted_only, dropped_no_block, lost_disk, unwritten_abort;
    int64_t counted;          /* the sum of the capture's counted stages above (not refused) */
    int64_t unexplained;
    int64_t identity_residual; /* received - (filtered + counted_only + written + drops) */
    int64_t written_vs_files;  /* kept_records - captured */
};

/* Fill r from the analyser's totals and the two JSON inputs (either may be
 * absent: have == 0). */
void va_compute(const struct vf_state *s, const struct va_gen *g, const struct va_cap *c,
                struct va_result *r);

#endif
