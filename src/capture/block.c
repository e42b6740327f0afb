#include "capture/block.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int block_pool_init(struct block_pool *p, unsigned n, uint32_t bsize)
{
    uint64_t len = (uint64_t)n * bsize;

    memset(p, 0, sizeof(*p));
    p->blocks = calloc(n, sizeof(*p->blocks));
    if (p->blocks == NULL)
        return -ENOMEM;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
    if (m != MAP_FAILED) {
        p->hugepages = 1;
    } else {
        m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                 -1, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            free(p->blocks);
            p->blocks = NULL;
            return -e;
        }
    }
    p->mem = m;
    p->mem_len = len;
    p->n = n;
    p->bsize = bsize;
    for (unsigned i = 0; i < n; i++)
        p->blocks[i].data = p->mem + (uint64_t)i * bsize;
    return 0;
}

void block_pool_free(struct block_pool *p)
{
    if (p->mem)
        munmap(p->mem, p->mem_len);
    free(p->blocks);
    memset(p, 0, sizeof(*p));
}

uint32_t block_size_for(uint64_t file_bytes_hint)
{
    uint32_t b = BLOCK_SIZE_MAX;
    if (file_bytes_hint == 0)
        return b;
    while (b > BLOCK_SIZE_MIN && (uint64_t)b / 2 >= file_bytes_hint)
        b /= 2;
    return b;
}

int block_plan(uint64_t pool_bytes, unsigned nstreams, uint64_t hint, uint32_t max_rec,
               uint32_t hdr_trl, struct block_plan *out, uint64_t *min_bytes)
{
    uint32_t floor = BLOCK_SIZE_MIN;
    while (floor < BLOCK_SIZE_MAX && (floor < max_rec || floor < 2 * (uint64_t)hdr_trl))
        floor *= 2;
    uint32_t b = block_size_for(hint);
    if (b < floor)
        b = floor;
    uint64_t need = (uint64_t)BLOCK_MIN_PER_STREAM * (nstreams ? nstreams : 1);
    while (b > floor && pool_bytes / b < need)
        b /= 2;
    *min_bytes = need * floor;
    if (pool_bytes / b < need)
        return -ENOSPC;
    out->bsize = b;
    out->n = (unsigned)(pool_bytes / b);
    out->per_stream = out->n / (nstreams ? nstreams : 1);
    return 0;
}
