/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78, initial and final
 * value ~0), the index image's checksum. The SSE4.2 crc32 instruction where
 * the CPU has it (a query opens every index of a store: the checksum is
 * most of idx_open's time), else slicing-by-8 tables. Known answer:
 * crc32c("123456789") = 0xE3069283. */
#include "index/idxfmt.h"

#include <stdbool.h>

static uint32_t tab[8][256];
static bool tab_ready;

static void tab_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            tab[t][i] = (tab[t - 1][i] >> 8) ^ tab[0][tab[t - 1][i] & 0xff];
    __atomic_store_n(&tab_ready, true, __ATOMIC_RELEASE);
}

static uint32_t crc_soft(uint32_t c, const uint8_t *p, size_t n)
{
    if (!__atomic_load_n(&tab_ready, __ATOMIC_ACQUIRE))
        tab_init();             /* idempotent: two threads write the same tables */
    while (n >= 8) {
        uint32_t lo = c ^ idxf_get32(p);
        uint32_t hi = idxf_get32(p + 4);
        c = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^ tab[5][(lo >> 16) & 0xff] ^
            tab[4][lo >> 24] ^ tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
            tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ tab[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#endif

uint32_t idxf_crc32c(const uint8_t *p, size_t n)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        return ~crc_hw(~0u, p, n);
#endif
    return ~crc_soft(~0u, p, n);
}
