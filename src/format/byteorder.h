/* Reading capture files written on either byte order: a pcap or pcapng
 * field at p, swapped when the file's magic / byte-order magic said so. */
#ifndef LC_BYTEORDER_H
#define LC_BYTEORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return swap ? __builtin_bswap32(v) : v;
}

static inline uint16_t rd16(const uint8_t *p, bool swap)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return swap ? __builtin_bswap16(v) : v;
}

#endif
