/* The block pool plan: blocks hold the largest record (a record spans at
 * most the current block and one spare), every stream gets its share of at
 * least BLOCK_MIN_PER_STREAM blocks, and a pool too small for that is
 * refused with the smallest one that works. */
#include <errno.h>

#include "capture/block.h"
#include "check.h"

#define MiB (1ull << 20)

int main(void)
{
    struct block_plan p;
    uint64_t min;

    /* the default: 2 GiB, one stream, no rotation: 512 blocks of 4 MiB */
    CHECK(block_plan(2048 * MiB, 1, 0, 262160, 24, &p, &min) == 0);
    CHECK(p.bsize == 4 * MiB && p.n == 512 && p.per_stream == 512);

    /* small files shrink blocks, but never below the largest record: at the
     * default snaplen (262144 + 16) that is 512 KiB, not 64 KiB */
    CHECK(block_plan(64 * MiB, 1, 60000, 262160, 24, &p, &min) == 0);
    CHECK_EQ_U(p.bsize, 512 * 1024);
    CHECK(block_plan(64 * MiB, 1, 60000, 1514 + 16, 24, &p, &min) == 0);
    CHECK_EQ_U(p.bsize, 64 * 1024);
    /* a record of exactly a block still fits; one byte more doubles it */
    CHECK(block_plan(64 * MiB, 1, 1, 64 * 1024, 24, &p, &min) == 0 && p.bsize == 64 * 1024);
    CHECK(block_plan(64 * MiB, 1, 1, 64 * 1024 + 1, 24, &p, &min) == 0 && p.bsize == 128 * 1024);
    /* the first block holds the file header and trailer twice over */
    CHECK(block_plan(64 * MiB, 1, 1, 100, 40000, &p, &min) == 0 && p.bsize == 128 * 1024);

    /* -B 16 with two streams: 4 MiB blocks would give 2 each; 2 MiB blocks
     * give each stream its 4 */
    CHECK(block_plan(16 * MiB, 2, 0, 262160, 24, &p, &min) == 0);
    CHECK(p.bsize == 2 * MiB && p.n == 8 && p.per_stream == 4);
    /* 8 streams in 16 MiB: 512 KiB blocks, 4 each */
    CHECK(block_plan(16 * MiB, 8, 0, 262160, 24, &p, &min) == 0);
    CHECK(p.bsize == 512 * 1024 && p.n == 32 && p.per_stream == 4);
    /* every stream's share is at least the minimum */
    for (unsigned ns = 1; ns <= 64; ns++) {
        for (uint64_t mib = 16; mib <= 4096; mib *= 2) {
            if (block_plan(mib * MiB, ns, 0, 262160, 24, &p, &min) == 0) {
                CHECK(p.per_stream >= BLOCK_MIN_PER_STREAM);
                CHECK((uint64_t)p.per_stream * ns <= p.n);
                CHECK(p.bsize >= 262160);
            } else {
                CHECK(mib * MiB < min);
            }
        }
    }
    /* too small: refused, with the smallest pool that works */
    CHECK(block_plan(16 * MiB, 16, 0, 262160, 24, &p, &min) == -ENOSPC);
    CHECK_EQ_U(min, 16ull * 4 * 512 * 1024);
    CHECK(block_plan(min, 16, 0, 262160, 24, &p, &min) == 0 && p.per_stream == 4);
    return check_done("test_block");
}
