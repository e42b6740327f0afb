/* Rotation policy: a pure function from (policy, state of the open file,
 * now, size of the next record) to keep / rotate / stop. Its one caller is
 * the receive loop, which owns the byte stream and so knows every record
 * boundary; the writer only carries out what the stream says. */
#ifndef LC_ROTATION_H
#define LC_ROTATION_H

#include <stdbool.h>
#include <stdint.h>

struct rot_policy {
    uint64_t max_bytes;     /* -b filesize: rotate before exceeding (0 = off) */
    uint64_t max_pkts;      /* -b packets  (0 = off) */
    uint64_t max_ns;        /* -b duration (0 = off) */
    uint64_t interval_ns;   /* -b interval: at wall-clock multiples of it (0 = off) */
    uint64_t stop_bytes;    /* -a filesize: stop before exceeding (0 = off) */
    uint64_t stop_files;    /* -a files: stop instead of opening file N+1 (0 = off) */
};

struct rot_state {
    uint64_t bytes;         /* bytes in the open file, header included */
    uint64_t pkts;          /* records in the open file */
    uint64_t start_ns;      /* when the open file was started */
    uint64_t boundary_ns;   /* -b interval: the next multiple of it after start_ns */
    uint64_t index;         /* 1 for the first file */
};

enum rot_action { ROT_KEEP = 0, ROT_ROTATE, ROT_STOP };

/* -b interval: the first multiple of interval_ns (since the epoch) after
 * now_ns, where a file started at now_ns ends (UINT64_MAX with interval 0
 * or past the end of time). */
static inline uint64_t rotation_boundary(uint64_t interval_ns, uint64_t now_ns)
{
    if (interval_ns == 0)
        return UINT64_MAX;
    uint64_t k = now_ns / interval_ns + 1;
    if (k > UINT64_MAX / interval_ns)
        return UINT64_MAX;
    return k * interval_ns;
}

/* Decide before appending a record of reclen bytes at time now_ns (reclen 0:
 * a time check with no record). A file that holds no record yet is never
 * rotated for size or count, so a record larger than the limit still lands
 * whole in a file of its own (files are <= limit + one record). */
static inline enum rot_action rotation_decide(const struct rot_policy *p,
                                              const struct rot_state *s,
                                              uint64_t now_ns, uint64_t reclen)
{
    bool rotate = false;

    if (p->max_ns && now_ns - s->start_ns >= p->max_ns && now_ns >= s->start_ns)
        rotate = true;
    if (p->interval_ns && now_ns >= s->boundary_ns)
        rotate = true;
    if (s->pkts > 0 && reclen > 0) {
        if (p->stop_bytes && s->bytes + reclen > p->stop_bytes)
            return ROT_STOP;
        if (p->max_bytes && s->bytes + reclen > p->max_bytes)
            rotate = true;
        if (p->max_pkts && s->pkts >= p->max_pkts)
            rotate = true;
    }
    if (!rotate)
        return ROT_KEEP;
    if (p->stop_files && s->index >= p->stop_files)
        return ROT_STOP;
    return ROT_ROTATE;
}

#endif
