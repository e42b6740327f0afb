#include "capture/block.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int block_pool_init(struct block_pool *p, unsigned n)
{
    uint64_t len = (uint64_t)n * BLOCK_SIZE;

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
    for (unsigned i = 0; i < n; i++)
        p->blocks[i].data = p->mem + (uint64_t)i * BLOCK_SIZE;
    return 0;
}

void block_pool_free(struct block_pool *p)
{
    if (p->mem)
        munmap(p->mem, p->mem_len);
    free(p->blocks);
    memset(p, 0, sizeof(*p));
}
