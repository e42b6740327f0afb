#include "verify/account.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An unsigned integer member; 0 if found, -1 if absent or not a number >= 0. */
static int get_u64(const json_t *o, const char *key, uint64_t *v)
{
    json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return -1;
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

static json_t *load(const char *path, char *err, unsigned errcap)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (je.line > 0)
            snprintf(err, errcap, "%s: line %d: %s", path, je.line, je.text);
        else
            snprintf(err, errcap, "%s", je.text); /* "unable to open PATH: REASON" */
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errcap, "%s: not a JSON object", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

static int parse_addr(const char *s, struct vf_key *k)
{
    if (inet_pton(AF_INET, s, k->src) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, k->src) == 1)
        return 6;
    return -1;
}

int va_gen_load(const char *path, struct va_gen *g, char *err, unsigned errcap)
{
    json_t *root, *fl, *tot;
    memset(g, 0, sizeof(*g));
    root = load(path, err, errcap);
    if (!root)
        return -1;
    tot = json_object_get(root, "totals");
    if (get_u64(root, "sent", &g->sent) < 0 && get_u64(tot, "sent", &g->sent) < 0) {
        snprintf(err, errcap, "%s: no \"sent\" count (a whole number >= 0)", path);
        goto fail;
    }
    /* linecap-gen numbers a frame when it builds it, before tx_burst: a
     * frame the link refused consumed its number, so the numbers run over
     * attempted = sent + failed, and attempted is what was offered. */
    if (get_u64(root, "attempted", &g->attempted) < 0 && get_u64(tot, "attempted", &g->attempted) < 0)
        g->attempted = g->sent;
    if (get_u64(root, "failed", &g->failed) < 0 && get_u64(tot, "failed", &g->failed) < 0)
        g->failed = g->attempted - (g->attempted >= g->sent ? g->sent : g->attempted);
    if (g->attempted < g->sent || g->attempted - g->sent != g->failed) {
        snprintf(err, errcap,
                 "%s: \"attempted\" %llu != \"sent\" %llu + \"failed\" %llu (not linecap-gen's "
                 "counts?)", path, (unsigned long long)g->attempted, (unsigned long long)g->sent,
                 (unsigned long long)g->failed);
        goto fail;
    }
    if (get_u64(root, "stamped", &g->stamped) < 0 || g->stamped > g->attempted)
        g->stamped = g->attempted;
    fl = json_object_get(root, "flows");
    if (json_is_array(fl) && json_array_size(fl) > 0) {
        size_t n = json_array_size(fl);
        g->flows = calloc(n, sizeof(*g->flows));
        if (!g->flows) {
            snprintf(err, errcap, "%s: out of memory", path);
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_array_get(fl, i);
            struct va_genflow *gf = &g->flows[g->nflows];
            struct vf_key d;
            uint64_t sp, dp, pr = 17;
            const char *src = json_string_value(json_object_get(o, "src"));
            const char *dst = json_string_value(json_object_get(o, "dst"));
            int fa, fb;
            /* a list without tuples cannot be matched to flows: use "sent" only */
            if (!src || !dst || get_u64(o, "sport", &sp) < 0 || get_u64(o, "dport", &dp) < 0 ||
                get_u64(o, "sent", &gf->sent) < 0)
                continue;
            json_t *pj = json_object_get(o, "proto");
            if (json_is_integer(pj))
                pr = (uint64_t)json_integer_value(pj);
            else if (json_is_string(pj) && strcmp(json_string_value(pj), "tcp") == 0)
                pr = 6;
            memset(&d, 0, sizeof(d));
            fa = parse_addr(src, &gf->key);
            fb = parse_addr(dst, &d);
            if (fa < 0 || fa != fb || sp > 65535 || dp > 65535 || pr > 255) {
                snprintf(err, errcap, "%s: flows[%zu]: bad tuple", path, i);
                goto fail;
            }
            memcpy(gf->key.dst, d.src, 16);
            gf->key.family = (uint8_t)fa;
            gf->key.proto = (uint8_t)pr;
            gf->key.sport = (uint16_t)sp;
            gf->key.dport = (uint16_t)dp;
            g->nflows++;
        }
    }
    json_decref(root);
    g->have = 1;
    return 0;
fail:
    json_decref(root);
    va_gen_free(g);
    return -1;
}

void va_gen_free(struct va_gen *g)
{
    free(g->flows);
    g->flows = NULL;
    g->nflows = 0;
}

uint64_t va_gen_flow_sent(void *ctx, const struct vf_key *k)
{
    const struct va_gen *g = ctx;
    for (uint32_t i = 0; i < g->nflows; i++)
        if (memcmp(&g->flows[i].key, k, sizeof(*k)) == 0)
            return g->flows[i].sent;
    return VF_UNKNOWN;
}

int va_cap_load(const char *path, struct va_cap *c, char *err, unsigned errcap)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
#define K(n) {#n, offsetof(struct va_cap, n)}
        K(received), K(filtered), K(dropped_no_block), K(after_limit), K(written),
        K(lost_disk), K(unwritten_abort), K(nic_packets), K(nic_missed), K(nic_errors),
        K(mbuf_failures),
#undef K
    };
    json_t *root, *tot, *files, *sr;
    memset(c, 0, sizeof(*c));
    root = load(path, err, errcap);
    if (!root)
        return -1;
    tot = json_object_get(root, "totals");
    if (!json_is_object(tot)) {
        snprintf(err, errcap, "%s: no \"totals\" object (not linecap --stats-json output?)",
                 path);
        goto fail;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (get_u64(tot, keys[i].key, (uint64_t *)((char *)c + keys[i].off)) < 0) {
            snprintf(err, errcap, "%s: totals.%s missing or not a whole number", path,
                     keys[i].key);
            goto fail;
        }
    get_u64(tot, "counted_only", &c->counted_only); /* newer linecap only */
    get_u64(tot, "kernel_drops", &c->kernel_drops); /* newer linecap only */
    sr = json_object_get(root, "stop_reason");
    snprintf(c->stop_reason, sizeof(c->stop_reason), "%s",
             json_is_string(sr) ? json_string_value(sr) : "");
    files = json_object_get(root, "files");
    for (size_t i = 0; json_is_array(files) && i < json_array_size(files); i++) {
        json_t *f = json_array_get(files, i);
        uint64_t r = 0;
        c->files_listed++;
        if (json_is_true(json_object_get(f, "deleted"))) {
            c->files_deleted++;
            continue;
        }
        if (get_u64(f, "records", &r) < 0) {
            snprintf(err, errcap, "%s: files[%zu].records missing or not a whole number", path, i);
            goto fail;
        }
        c->kept_records += r;
    }
    json_decref(root);
    c->have = 1;
    return 0;
fail:
    json_decref(root);
    return -1;
}

void va_compute(const struct vf_state *s, const struct va_gen *g, const struct va_cap *c,
                struct va_result *r)
{
    memset(r, 0, sizeof(*r));
    r->captured = (int64_t)s->t.records;
    if (g && g->have) {
        r->have_offered = 1;
        r->offered = (int64_t)g->attempted;
        r->refused = (int64_t)g->failed;
        r->missing = r->offered - r->captured;
    }
    if (!c || !c->have) {
        r->unexplained = r->missing - r->refused;
        return;
    }
    r->nic_missed = (int64_t)c->nic_missed;
    r->nic_errors = (int64_t)c->nic_errors;
    r->mbuf_failures = (int64_t)c->mbuf_failures;
    r->kernel_drops = (int64_t)c->kernel_drops;
    r->not_taken = (int64_t)c->nic_packets - (int64_t)c->received - (int64_t)c->after_limit;
    if (r->not_taken < 0)
        r->not_taken = 0; /* a device that does not count (reported as is by linecap) */
    r->after_limit = (int64_t)c->after_limit;
    r->filtered = (int64_t)c->filtered;
    r->counted_only = (int64_t)c->counted_only;
    r->dropped_no_block = (int64_t)c->dropped_no_block;
    r->lost_disk = (int64_t)c->lost_disk;
    r->unwritten_abort = (int64_t)c->unwritten_abort;
    r->counted = r->nic_missed + r->nic_errors + r->mbuf_failures + r->kernel_drops + r->not_taken +
                 r->after_limit + r->filtered + r->counted_only + r->dropped_no_block +
                 r->lost_disk + r->unwritten_abort;
    r->identity_residual = (int64_t)c->received -
                           (int64_t)(c->filtered + c->counted_only + c->written +
                                     c->dropped_no_block + c->lost_disk + c->unwritten_abort);
    r->written_vs_files = (int64_t)c->kept_records - r->captured;
    if (!r->have_offered)
        return;
    /* A device whose counters were reset (memif and vhost reset theirs when
     * the peer disconnects) delivered at least what the loop took. */
    uint64_t delivered = c->nic_packets;
    if (delivered < c->received + c->after_limit)
        delivered = c->received + c->after_limit;
    /* what reached the link: attempted - refused = the generator's sent */
    r->not_received = r->offered - r->refused -
                      (int64_t)(delivered + c->nic_missed + c->nic_errors + c->mbuf_failures +
                                c->kernel_drops);
    /* Frames the port never saw are explained as still on the link when the
     * capture stopped only where the sequence numbers agree: they must be
     * the tail of their flows. Without stamps nothing can be checked. */
    if (r->not_received > 0) {
        if (s->t.stamped == 0 || !s->t.tail_known)
            r->not_received_explained = r->not_received;
        else
            r->not_received_explained = r->not_received < (int64_t)s->t.tail
                                            ? r->not_received
                                            : (int64_t)s->t.tail;
    }
    r->unexplained = r->missing - r->refused - r->counted - r->not_received_explained;
}
