/* Rotation policy with a fake clock. */
#include "check.h"
#include "storage/rotation.h"

#define S 1000000000ULL

int main(void)
{
    struct rot_policy p = { 0 };
    struct rot_state s = { .bytes = 24, .pkts = 0, .start_ns = 100 * S, .index = 1 };

    /* No policy: always keep. */
    CHECK(rotation_decide(&p, &s, 200 * S, 1000) == ROT_KEEP);

    /* Size: a record that would exceed the limit rotates, unless the file
     * holds no record yet (a record larger than the limit lands whole). */
    p.max_bytes = 1000;
    CHECK(rotation_decide(&p, &s, 100 * S, 5000) == ROT_KEEP);
    s.pkts = 1;
    s.bytes = 900;
    CHECK(rotation_decide(&p, &s, 100 * S, 100) == ROT_KEEP);      /* exactly 1000 */
    CHECK(rotation_decide(&p, &s, 100 * S, 101) == ROT_ROTATE);
    CHECK(rotation_decide(&p, &s, 100 * S, 0) == ROT_KEEP);        /* time check only */

    /* Packets. */
    p = (struct rot_policy){ .max_pkts = 10 };
    s = (struct rot_state){ .bytes = 24, .pkts = 9, .start_ns = 0, .index = 1 };
    CHECK(rotation_decide(&p, &s, 0, 80) == ROT_KEEP);
    s.pkts = 10;
    CHECK(rotation_decide(&p, &s, 0, 80) == ROT_ROTATE);

    /* Time: due at start + duration, with or without a record. */
    p = (struct rot_policy){ .max_ns = 2 * S };
    s = (struct rot_state){ .bytes = 24, .pkts = 0, .start_ns = 10 * S, .index = 1 };
    CHECK(rotation_decide(&p, &s, 11 * S, 0) == ROT_KEEP);
    CHECK(rotation_decide(&p, &s, 12 * S - 1, 0) == ROT_KEEP);
    CHECK(rotation_decide(&p, &s, 12 * S, 0) == ROT_ROTATE);
    CHECK(rotation_decide(&p, &s, 12 * S, 80) == ROT_ROTATE);
    /* A clock step backwards never rotates. */
    CHECK(rotation_decide(&p, &s, 5 * S, 0) == ROT_KEEP);

    /* -a files:3: the rotation that would open file 4 stops instead. */
    p.stop_files = 3;
    s.index = 2;
    CHECK(rotation_decide(&p, &s, 12 * S, 0) == ROT_ROTATE);
    s.index = 3;
    CHECK(rotation_decide(&p, &s, 12 * S, 0) == ROT_STOP);

    /* -a filesize: stop before exceeding, even with -b filesize. */
    p = (struct rot_policy){ .max_bytes = 500, .stop_bytes = 800 };
    s = (struct rot_state){ .bytes = 450, .pkts = 5, .start_ns = 0, .index = 1 };
    CHECK(rotation_decide(&p, &s, 0, 100) == ROT_ROTATE);
    s.bytes = 750;
    CHECK(rotation_decide(&p, &s, 0, 100) == ROT_STOP);

    /* -b interval:60: boundaries at multiples of 60 s since the epoch; the
     * first file runs from its start to the next one. */
    CHECK(rotation_boundary(0, 123 * S) == UINT64_MAX);
    CHECK(rotation_boundary(60 * S, 0) == 60 * S);
    CHECK(rotation_boundary(60 * S, 61 * S) == 120 * S);
    CHECK(rotation_boundary(60 * S, 120 * S - 1) == 120 * S);
    CHECK(rotation_boundary(60 * S, 120 * S) == 180 * S);     /* started on one: the next */
    CHECK(rotation_boundary(2 * S, 1700000001 * S + 5) == 1700000002 * S);
    CHECK(rotation_boundary(UINT64_MAX / 2, UINT64_MAX - 1) == UINT64_MAX);
    p = (struct rot_policy){ .interval_ns = 60 * S };
    s = (struct rot_state){ .bytes = 24, .pkts = 3, .start_ns = 61 * S, .index = 1 };
    s.boundary_ns = rotation_boundary(p.interval_ns, s.start_ns);
    CHECK(rotation_decide(&p, &s, 119 * S, 0) == ROT_KEEP);
    CHECK(rotation_decide(&p, &s, 120 * S - 1, 80) == ROT_KEEP);
    CHECK(rotation_decide(&p, &s, 120 * S, 0) == ROT_ROTATE);
    CHECK(rotation_decide(&p, &s, 120 * S, 80) == ROT_ROTATE);
    CHECK(rotation_decide(&p, &s, 500 * S, 0) == ROT_ROTATE);   /* late: still rotates */
    p.stop_files = 1;
    CHECK(rotation_decide(&p, &s, 120 * S, 0) == ROT_STOP);
    return check_done("test_rotation");
}
