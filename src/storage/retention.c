#include "storage/retention.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ret_init(struct retention *r, int nstreams, unsigned ring_files, uint64_t disk_limit,
             uint64_t min_free)
{
    memset(r, 0, sizeof(*r));
    r->nstreams = nstreams;
    r->ring_files = ring_files;
    r->disk_limit = disk_limit;
    r->min_free = min_free;
    if (ring_files && nstreams > 0) {
        r->ring = calloc((size_t)nstreams * ring_files, sizeof(*r->ring));
        r->rings = calloc((size_t)nstreams, sizeof(*r->rings));
        if (r->ring == NULL || r->rings == NULL) {
            ret_free(r);
            return -ENOMEM;
        }
    }
    return 0;
}

void ret_free(struct retention *r)
{
    free(r->ring);
    r->ring = NULL;
    free(r->rings);
    r->rings = NULL;
    free(r->files);
    r->files = NULL;
    r->nfiles = r->cap_files = 0;
}

struct file_record *ret_add(struct retention *r)
{
    if (r->nfiles == r->cap_files) {
        unsigned cap = r->cap_files ? r->cap_files * 2 : 64;
        struct file_record *f = realloc(r->files, cap * sizeof(*f));
        if (f == NULL)
            return NULL;
        r->files = f;
        r->cap_files = cap;
    }
    struct file_record *fr = &r->files[r->nfiles++];
    memset(fr, 0, sizeof(*fr));
    return fr;
}

int ret_keep(struct retention *r, int stream, unsigned idx)
{
    r->closed_bytes += ret_file_bytes(&r->files[idx]);
    if (r->ring_files == 0)
        return -1;
    int *ring = &r->ring[(size_t)stream * r->ring_files];
    struct ret_ring *rg = &r->rings[stream];
    if (rg->count < r->ring_files) {
        ring[(rg->head + rg->count) % r->ring_files] = (int)idx;
        rg->count++;
        return -1;
    }
    int old = ring[rg->head];
    ring[rg->head] = (int)idx;
    rg->head = (rg->head + 1) % r->ring_files;
    return r->files[old].deleted ? -1 : old;   /* deleted already: to make room */
}

int ret_reclaim_next(struct retention *r)
{
    while (r->reclaim_next < r->nfiles) {
        unsigned i = r->reclaim_next++;
        if (!r->files[i].deleted && !r->files[i].error)
            return (int)i;
    }
    return -1;
}

void ret_removed(struct retention *r, unsigned idx, bool reclaimed)
{
    struct file_record *fr = &r->files[idx];
    fr->deleted = true;
    r->closed_bytes -= ret_file_bytes(fr);
    if (reclaimed) {
        fr->reclaimed = true;
        __atomic_store_n(&r->files_reclaimed, r->files_reclaimed + 1, __ATOMIC_RELAXED);
    }
}

enum ret_room ret_room(const struct retention *r, uint64_t open_bytes, uint64_t grow,
                       uint64_t avail)
{
    if (r->disk_limit && r->closed_bytes + open_bytes + grow > r->disk_limit)
        return RET_DISK_LIMIT;
    if (r->min_free && avail < r->min_free + grow)
        return RET_MIN_FREE;
    return RET_FITS;
}
