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
    return check_done("test_rotation");
}
