/* Worker and main CPUs of linecap (receive, default the last allowed CPU)
 * and linecap-gen (transmit, default the first): lc_cores_plan on given
 * allowed sets, no EAL. */
#include <string.h>

#include "check.h"
#include "common/exitcodes.h"
#include "dpdk/cores.h"

static char err[256];

int main(void)
{
    struct lc_cores lc;
    const unsigned four[] = { 2, 3, 5, 7 };

    /* defaults: one worker, main on the first allowed CPU not working */
    CHECK(lc_cores_plan(four, 4, NULL, 0, LC_CORE_LAST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == 1 && lc.work[0] == 7 && lc.main_cpu == 2 && !lc.main_shared);
    CHECK(lc_cores_plan(four, 4, NULL, 0, LC_CORE_FIRST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == 1 && lc.work[0] == 2 && lc.main_cpu == 3 && !lc.main_shared);

    /* explicit lists, in the order given; repeats allowed */
    const unsigned req[] = { 7, 2, 7 };
    CHECK(lc_cores_plan(four, 4, req, 3, LC_CORE_LAST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == 3 && lc.work[0] == 7 && lc.work[1] == 2 && lc.work[2] == 7);
    CHECK(lc.main_cpu == 3 && !lc.main_shared);
    const unsigned mid[] = { 5 };
    CHECK(lc_cores_plan(four, 4, mid, 1, LC_CORE_FIRST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == 1 && lc.work[0] == 5 && lc.main_cpu == 2 && !lc.main_shared);

    /* a CPU not allowed: usage error, the line names it */
    const unsigned bad[] = { 3, 4 };
    err[0] = '\0';
    CHECK(lc_cores_plan(four, 4, bad, 2, LC_CORE_LAST, &lc, err, sizeof(err)) == EXIT_USAGE);
    CHECK(strcmp(err, "--cores: CPU 4 is not available to this process (allowed: 2-7)") == 0);

    /* every allowed CPU works: main shares the first worker's CPU */
    const unsigned all[] = { 5, 7, 3, 2 };
    CHECK(lc_cores_plan(four, 4, all, 4, LC_CORE_LAST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == 4 && lc.main_cpu == 5 && lc.main_shared);
    const unsigned one[] = { 9 };
    CHECK(lc_cores_plan(one, 1, NULL, 0, LC_CORE_LAST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == 1 && lc.work[0] == 9 && lc.main_cpu == 9 && lc.main_shared);
    CHECK(lc_cores_plan(one, 1, NULL, 0, LC_CORE_FIRST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.work[0] == 9 && lc.main_cpu == 9 && lc.main_shared);

    /* the limit, and no allowed CPU at all */
    unsigned many[LC_CORES_MAX + 1];
    for (int i = 0; i <= LC_CORES_MAX; i++)
        many[i] = 2;
    CHECK(lc_cores_plan(four, 4, many, LC_CORES_MAX, LC_CORE_LAST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == LC_CORES_MAX && lc.work[LC_CORES_MAX - 1] == 2 && lc.main_cpu == 3);
    CHECK(lc_cores_plan(four, 4, many, LC_CORES_MAX + 1, LC_CORE_LAST, &lc, err,
                        sizeof(err)) == EXIT_USAGE);
    CHECK(lc_cores_plan(four, 0, NULL, 0, LC_CORE_LAST, &lc, err, sizeof(err)) == EXIT_SOFTWARE);
    CHECK(strcmp(err, "cannot read the CPU affinity of this process") == 0);

    /* this process: the pick agrees with the plan's invariants */
    CHECK(lc_cores_pick(NULL, 0, LC_CORE_LAST, &lc, err, sizeof(err)) == 0);
    CHECK(lc.nwork == 1 && (lc.main_shared ? lc.main_cpu == lc.work[0] : lc.main_cpu < lc.work[0]));
    return check_done("test_cores");
}
