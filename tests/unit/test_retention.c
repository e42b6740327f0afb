/* Retention policy (storage/retention.h) with the writer's part played
 * here: files "close" into the registry, the test "deletes" what the policy
 * names and reports it back. */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "storage/retention.h"

/* A file of stream s closes with the given size and error (0: whole).
 * Returns the ring's victim (-1: none); *idx is the file's index. */
static int close_file(struct retention *r, int s, uint64_t bytes, int error, unsigned *idx)
{
    struct file_record *fr = ret_add(r);
    *idx = 0;
    if (fr == NULL)
        return -2;
    snprintf(fr->name, sizeof(fr->name), "s%d_%u", s, r->nfiles - 1);
    fr->stream = s;
    fr->bytes = bytes;
    fr->error = error;
    *idx = (unsigned)(fr - r->files);
    return error ? -1 : ret_keep(r, s, *idx);
}

/* What the writer's make_room does: delete the oldest until the policy
 * holds. Returns the files deleted, or -1 when none was left. */
static int make_room(struct retention *r, uint64_t open_bytes, uint64_t grow, uint64_t avail,
                     uint64_t freed_per_file)
{
    int n = 0;
    while (ret_room(r, open_bytes, grow, avail) != RET_FITS) {
        int i = ret_reclaim_next(r);
        if (i < 0)
            return -1;
        avail += freed_per_file;
        ret_removed(r, (unsigned)i, true);
        n++;
    }
    return n;
}

static void test_ring(void)
{
    struct retention r;
    unsigned idx, a[4], b[4], c[2];

    CHECK(ret_init(&r, 3, 2, 0, 0) == 0);
    CHECK(!ret_reclaims(&r));
    /* three streams, interleaved: each keeps its newest 2 */
    CHECK(close_file(&r, 0, 100, 0, &a[0]) == -1);
    CHECK(close_file(&r, 1, 100, 0, &b[0]) == -1);
    CHECK(close_file(&r, 0, 100, 0, &a[1]) == -1);
    CHECK(close_file(&r, 2, 100, 0, &c[0]) == -1);
    CHECK(close_file(&r, 1, 100, 0, &b[1]) == -1);
    CHECK_EQ_U(close_file(&r, 0, 100, 0, &a[2]), a[0]);
    ret_removed(&r, a[0], false);
    CHECK_EQ_U(close_file(&r, 1, 100, 0, &b[2]), b[0]);
    ret_removed(&r, b[0], false);
    CHECK_EQ_U(close_file(&r, 0, 100, 0, &a[3]), a[1]);
    ret_removed(&r, a[1], false);
    CHECK(close_file(&r, 2, 100, 0, &c[1]) == -1);      /* stream 2: only 2 files */
    CHECK(r.files[a[0]].deleted && !r.files[a[0]].reclaimed);
    CHECK(r.files[a[1]].deleted && r.files[b[0]].deleted);
    CHECK(!r.files[a[2]].deleted && !r.files[a[3]].deleted && !r.files[b[1]].deleted);
    CHECK(!r.files[b[2]].deleted && !r.files[c[0]].deleted && !r.files[c[1]].deleted);
    CHECK_EQ_U(r.nfiles, 9);
    CHECK_EQ_U(r.closed_bytes, 6 * 100);
    CHECK_EQ_U(r.files_reclaimed, 0);

    /* a file that failed at close is not in the ring */
    CHECK(close_file(&r, 2, 50, -5, &idx) == -1);
    CHECK_EQ_U(r.closed_bytes, 600);
    CHECK_EQ_U(close_file(&r, 2, 100, 0, &idx), c[0]);
    ret_removed(&r, c[0], false);

    /* a deletion that failed: out of the ring, still on disk and counted,
     * and the next ring turn names the next file, not it again */
    CHECK_EQ_U(close_file(&r, 1, 100, 0, &idx), b[1]);
    CHECK_EQ_U(r.closed_bytes, 700);
    CHECK_EQ_U(close_file(&r, 1, 100, 0, &idx), b[2]);
    CHECK(!r.files[b[1]].deleted);
    ret_free(&r);
    ret_free(&r);       /* idempotent */
}

static void test_ring_after_reclaim(void)
{
    struct retention r;
    unsigned f[3];

    CHECK(ret_init(&r, 1, 2, 1000, 0) == 0);
    CHECK(ret_reclaims(&r));
    CHECK(close_file(&r, 0, 400, 0, &f[0]) == -1);
    CHECK(close_file(&r, 0, 400, 0, &f[1]) == -1);
    /* room for 300 more: the oldest goes */
    CHECK(make_room(&r, 0, 300, UINT64_MAX, 0) == 1);
    CHECK(r.files[f[0]].deleted && r.files[f[0]].reclaimed);
    /* the ring's turn for f[0] finds it deleted already: nothing to do */
    CHECK(close_file(&r, 0, 400, 0, &f[2]) == -1);
    CHECK_EQ_U(r.closed_bytes, 800);
    CHECK_EQ_U(r.files_reclaimed, 1);
    ret_free(&r);
}

static void test_disk_limit(void)
{
    struct retention r;
    unsigned f[6];

    CHECK(ret_init(&r, 2, 0, 1000, 0) == 0);
    CHECK(ret_room(&r, 0, 1000, UINT64_MAX) == RET_FITS);
    CHECK(ret_room(&r, 0, 1001, UINT64_MAX) == RET_DISK_LIMIT);
    /* no ring: every whole file counts, none is named by ret_keep */
    CHECK(close_file(&r, 1, 200, 0, &f[0]) == -1);
    CHECK(close_file(&r, 0, 100, 0, &f[1]) == -1);
    CHECK(close_file(&r, 1, 150, -28, &f[2]) == -1);    /* failed at close */
    CHECK(close_file(&r, 0, 300, 0, &f[3]) == -1);
    CHECK(close_file(&r, 1, 100, 0, &f[4]) == -1);
    CHECK_EQ_U(r.closed_bytes, 700);
    /* open files take 200: 700 + 200 + 100 fits exactly */
    CHECK(ret_room(&r, 200, 100, UINT64_MAX) == RET_FITS);
    CHECK(ret_room(&r, 200, 101, UINT64_MAX) == RET_DISK_LIMIT);
    /* oldest first, across streams; the failed file is never named */
    CHECK(make_room(&r, 200, 101, UINT64_MAX, 0) == 1);
    CHECK(r.files[f[0]].reclaimed);
    CHECK(make_room(&r, 200, 500, UINT64_MAX, 0) == 2);
    CHECK(r.files[f[1]].reclaimed && r.files[f[3]].reclaimed);
    CHECK(!r.files[f[2]].deleted && !r.files[f[4]].deleted);
    CHECK_EQ_U(r.closed_bytes, 100);
    CHECK_EQ_U(r.files_reclaimed, 3);
    /* a file closed later is a candidate too; it is named after f[4] */
    CHECK(close_file(&r, 0, 100, 0, &f[5]) == -1);
    CHECK_EQ_U(ret_reclaim_next(&r), f[4]);
    /* the caller could not delete f[4]: it is not named again */
    CHECK_EQ_U(ret_reclaim_next(&r), f[5]);
    ret_removed(&r, f[5], true);
    CHECK(!r.files[f[4]].deleted);
    CHECK_EQ_U(r.closed_bytes, 100);
    /* nothing left: the open files alone break the limit (ENOSPC, 74) */
    CHECK(ret_reclaim_next(&r) == -1);
    CHECK(make_room(&r, 950, 100, UINT64_MAX, 0) == -1);
    CHECK(ret_reclaim_next(&r) == -1);
    CHECK_EQ_U(r.files_reclaimed, 4);
    ret_free(&r);
}

static void test_min_free(void)
{
    struct retention r;
    unsigned f[3];

    CHECK(ret_init(&r, 1, 0, 0, 1000) == 0);
    CHECK(ret_reclaims(&r));
    CHECK(ret_room(&r, 0, 100, 1100) == RET_FITS);
    CHECK(ret_room(&r, 0, 101, 1100) == RET_MIN_FREE);
    CHECK(ret_room(&r, 0, 101, UINT64_MAX) == RET_FITS);  /* statvfs failed */
    CHECK(ret_room(&r, 1u << 30, 100, 1100) == RET_FITS); /* no --disk-limit */
    for (int i = 0; i < 3; i++)
        CHECK(close_file(&r, 0, 300, 0, &f[i]) == -1);
    /* each deletion frees 300: two go */
    CHECK(make_room(&r, 0, 500, 1000, 300) == 2);
    CHECK(r.files[f[0]].reclaimed && r.files[f[1]].reclaimed && !r.files[f[2]].deleted);
    /* a full disk with one file left: it goes, then nothing is left */
    CHECK_EQ_U(ret_reclaim_next(&r), f[2]);
    ret_removed(&r, f[2], true);
    CHECK(ret_reclaim_next(&r) == -1);
    CHECK_EQ_U(r.files_reclaimed, 3);
    CHECK_EQ_U(r.closed_bytes, 0);
    ret_free(&r);

    /* both set: --disk-limit is reported first */
    CHECK(ret_init(&r, 1, 0, 1000, 1000) == 0);
    CHECK(ret_room(&r, 900, 200, 0) == RET_DISK_LIMIT);
    CHECK(ret_room(&r, 0, 200, 0) == RET_MIN_FREE);
    ret_free(&r);
}

/* A file's index counts with it and goes with it: closed_bytes holds both,
 * the room policy sees both, the ring and a reclaim take both away. */
static void test_index_bytes(void)
{
    struct retention r;
    unsigned f[4];

    CHECK(ret_init(&r, 1, 3, 1000, 0) == 0);
    for (int i = 0; i < 3; i++) {
        struct file_record *fr = ret_add(&r);
        CHECK(fr != NULL);
        fr->stream = 0;
        fr->bytes = 200;
        fr->indexed = i != 1;           /* the second file's index failed */
        fr->idx_bytes = i != 1 ? 50 : 0;
        f[i] = (unsigned)(fr - r.files);
        CHECK_EQ_U(ret_file_bytes(fr), i != 1 ? 250 : 200);
        CHECK(ret_keep(&r, 0, f[i]) == -1);
    }
    CHECK_EQ_U(r.closed_bytes, 700);
    /* 700 closed + 200 open + 100 fits; +101 does not: the index bytes count */
    CHECK(ret_room(&r, 200, 100, UINT64_MAX) == RET_FITS);
    CHECK(ret_room(&r, 200, 101, UINT64_MAX) == RET_DISK_LIMIT);
    /* the oldest goes, with its index: 250 freed */
    CHECK(make_room(&r, 200, 101, UINT64_MAX, 0) == 1);
    CHECK(r.files[f[0]].deleted && r.files[f[0]].reclaimed);
    CHECK_EQ_U(r.closed_bytes, 450);
    /* the ring pushes out the next one (no index: 200 freed) */
    struct file_record *fr = ret_add(&r);
    fr->bytes = 100;
    fr->indexed = true;
    fr->idx_bytes = 10;
    f[3] = (unsigned)(fr - r.files);
    CHECK_EQ_U(r.closed_bytes, 450);
    int old = ret_keep(&r, 0, f[3]);
    CHECK(old == -1);                   /* f[0]'s turn: deleted already */
    CHECK_EQ_U(r.closed_bytes, 560);
    fr = ret_add(&r);
    fr->bytes = 100;
    CHECK_EQ_U(ret_keep(&r, 0, (unsigned)(fr - r.files)), f[1]);
    ret_removed(&r, f[1], false);
    CHECK_EQ_U(r.closed_bytes, 460);
    ret_free(&r);
}

static void test_many(void)
{
    struct retention r;
    unsigned idx;

    /* the registry grows past its first allocation; the ring keeps 3 */
    CHECK(ret_init(&r, 1, 3, 0, 0) == 0);
    int named = 0;
    for (unsigned i = 0; i < 200; i++) {
        int v = close_file(&r, 0, 10, 0, &idx);
        CHECK_EQ_U(idx, i);
        if (i >= 3) {
            CHECK_EQ_U(v, i - 3);
            ret_removed(&r, (unsigned)v, false);
            named++;
        }
    }
    CHECK_EQ_U(named, 197);
    CHECK_EQ_U(r.closed_bytes, 30);
    CHECK(r.files[196].deleted && !r.files[197].deleted);
    CHECK_EQ_U(r.files[150].bytes, 10);
    /* reclaim skips what the ring deleted */
    CHECK_EQ_U(ret_reclaim_next(&r), 197);
    ret_free(&r);
}

int main(void)
{
    test_ring();
    test_ring_after_reclaim();
    test_disk_limit();
    test_min_free();
    test_index_bytes();
    test_many();
    return check_done("test_retention");
}
