/* Retention: which of this run's closed files to delete. A pure policy
 * over a registry of the files this run closed: the -b files:N ring (per
 * stream, the newest N kept) and the room policy (--disk-limit,
 * --min-free, and a full disk: the oldest closed files of any stream go
 * first). It never touches the disk: the caller deletes the file a
 * function names and reports the outcome with ret_removed(). Files still
 * open are not in the registry, so they are never named. A file's index
 * (file_record.idx_bytes) is one with it: counted with its bytes and
 * deleted with it. */
#ifndef LC_RETENTION_H
#define LC_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "stats/stats.h"        /* struct file_record */

struct retention {
    /* Every closed file of this run, in closing order (read by the
     * summary, the JSON and the manifest). */
    struct file_record *files;
    unsigned nfiles, cap_files;
    /* -b files:N: per stream, the newest ring_files whole files (indices
     * into files), oldest at head. */
    int nstreams;
    unsigned ring_files;        /* 0 = keep all */
    int *ring;                  /* nstreams * ring_files */
    struct ret_ring { unsigned head, count; } *rings;  /* nstreams */
    /* Room on disk: when either is set, the oldest closed files are
     * deleted to make room. */
    uint64_t disk_limit, min_free;
    uint64_t closed_bytes;      /* bytes of the closed, undeleted files */
    unsigned reclaim_next;      /* files[] below this are not candidates */
    volatile uint64_t files_reclaimed;
};

/* The bytes a closed file takes on disk: its own and its index's. */
static inline uint64_t ret_file_bytes(const struct file_record *f)
{
    return f->bytes + f->idx_bytes;
}

/* Empty registry for nstreams streams. 0, or -ENOMEM with r freed. */
int ret_init(struct retention *r, int nstreams, unsigned ring_files, uint64_t disk_limit,
             uint64_t min_free);

/* Free the registry and the rings. Idempotent. */
void ret_free(struct retention *r);

/* A zeroed record appended for a file just closed, or NULL when out of
 * memory (the file then goes unrecorded and is never deleted). */
struct file_record *ret_add(struct retention *r);

/* The file files[idx], of stream (0..nstreams-1), closed whole: its bytes
 * (with its index's) count towards --disk-limit and it enters the stream's ring. Returns the
 * index of the file the ring pushes out, for the caller to delete, or -1
 * (ring not full, no ring, or that file is already deleted). */
int ret_keep(struct retention *r, int stream, unsigned idx);

/* True when a room policy is set: a full disk (ENOSPC) deletes files. */
static inline bool ret_reclaims(const struct retention *r)
{
    return r->disk_limit || r->min_free;
}

/* The oldest closed, undeleted, whole file (any stream) to delete for
 * room, or -1 when none is left. Each file is named once: one whose
 * deletion fails is not named again. */
int ret_reclaim_next(struct retention *r);

/* The caller removed files[idx] and its index (or found them gone);
 * reclaimed: to make room, else by the ring. */
void ret_removed(struct retention *r, unsigned idx, bool reclaimed);

enum ret_room { RET_FITS = 0, RET_DISK_LIMIT, RET_MIN_FREE };

/* Before the open files grow by grow bytes: does the room policy still
 * hold? open_bytes: what the open files take now; avail: free bytes on the
 * filesystem (UINT64_MAX when not known). RET_DISK_LIMIT or RET_MIN_FREE:
 * delete ret_reclaim_next() and ask again. */
enum ret_room ret_room(const struct retention *r, uint64_t open_bytes, uint64_t grow,
                       uint64_t avail);

#endif
