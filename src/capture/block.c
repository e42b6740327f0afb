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
