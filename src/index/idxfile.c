/* idx_build_fd: the index of an existing capture file from any writer.
 * pcap: every magic (microsecond 0xa1b2c3d4, nanosecond 0xa1b23c4d, and
 * the modified-pcap 0xa1b2cd34 with its longer record header), both byte
 * orders. pcapng: every section and byte order, several interfaces with
 * their link types, if_tsresol and if_tsoffset; EPB, SPB (no timestamp: 0,
 * as libpcap gives it) and the obsolete PB carry packets, other blocks are
 * skipped. The walk stops at the first record that is not whole (a file
 * being written, a torn tail): the index covers the records before it. */
#include "index/idxfmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define MAX_IFACES 4096
#define LT_MASK 0x03FFFFFFu     /* libpcap's LT_LINKTYPE: the FCS bits off */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, bool swap)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
}

/* records of a pcap file; *end: past the last whole record (the pcapng
 * walk: past the last packet block) */
static int walk_pcap(struct idx_builder *b, const uint8_t *p, size_t n, uint64_t *end)
{
    uint32_t magic = rd32(p, false);
    bool swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u || magic == 0x34cdb2a1u;
    uint32_t m = swap ? __builtin_bswap32(magic) : magic;
    uint64_t frac_ns = m == 0xa1b23c4du ? 1 : 1000;
    size_t hl = m == 0xa1b2cd34u ? 24 : 16;
    uint32_t lt = rd32(p + 20, swap) & LT_MASK;
    size_t off = 24;
    while (n - off >= hl) {
        const uint8_t *r = p + off;
        uint32_t caplen = rd32(r + 8, swap);
        if (caplen > n - off - hl)
            break;
        uint64_t ts = (uint64_t)rd32(r, swap) * 1000000000ull + (uint64_t)rd32(r + 4, swap) * frac_ns;
        int rc = idx_builder_add(b, off, (uint32_t)(hl + caplen), ts, r + hl, caplen, lt);
        if (rc)
            return rc;
        off += hl + caplen;
    }
    *end = off;
    return 0;
}

struct iface {
    uint32_t linktype;
    uint64_t units;             /* timestamp units per second */
    int64_t offset_s;           /* if_tsoffset */
};

/* if_tsresol and if_tsoffset of an IDB's options [p, e) */
static void idb_options(const uint8_t *p, const uint8_t *e, bool swap, struct iface *f)
{
    while (e - p >= 4) {
        uint16_t code = rd16(p, swap), len = rd16(p + 2, swap);
        size_t padded = ((size_t)len + 3) & ~(size_t)3;
        if (code == 0 || (size_t)(e - p - 4) < padded)
            break;
        if (code == 9 && len >= 1) {
            uint8_t r = p[4];
            uint8_t v = r & 0x7f;
            if (r & 0x80)
                f->units = v < 64 ? 1ull << v : 0;
            else if (v <= 19) {
                f->units = 1;
                for (uint8_t i = 0; i < v; i++)
                    f->units *= 10;
            } else {
                f->units = 0;
            }
        } else if (code == 14 && len == 8) {
            uint64_t o;
            memcpy(&o, p + 4, 8);
            f->offset_s = (int64_t)(swap ? __builtin_bswap64(o) : o);
        }
        p += 4 + padded;
    }
}

static uint64_t ng_ts(const struct iface *f, uint64_t t)
{
    if (f->units == 0)
        return 0;
    unsigned __int128 ns = (unsigned __int128)t * 1000000000u / f->units;
    ns += (unsigned __int128)((__int128)f->offset_s * 1000000000);
    return (uint64_t)ns;
}

static int walk_pcapng(struct idx_builder *b, const uint8_t *p, size_t n, uint64_t *end)
{
    struct iface *ifs = malloc(MAX_IFACES * sizeof(*ifs));
    if (ifs == NULL)
        return -ENOMEM;
    unsigned nif = 0;
    bool swap = false, in_section = false;
    size_t off = 0;
    int rc = 0;
    *end = 0;
    while (n - off >= 12) {
        const uint8_t *k = p + off;
        uint32_t type = rd32(k, false);
        if (type == 0x0A0D0D0Au) {
            uint32_t bom = rd32(k + 8, false);
            if (bom == 0x1A2B3C4Du)
                swap = false;
            else if (bom == 0x4D3C2B1Au)
                swap = true;
            else
                break;
            nif = 0;
            in_section = true;
        } else {
            type = rd32(k, swap);
        }
        if (!in_section)
            break;
        uint32_t len = rd32(k + 4, swap);
        if (len < 12 || len % 4 || len > n - off || rd32(k + len - 4, swap) != len)
            break;
        const uint8_t *body = k + 8, *bend = k + len - 4;
        const uint8_t *data = NULL;
        uint32_t caplen = 0, ifid = 0;
        uint64_t ts = 0;
        bool pkt = false, ts_ok = true;
        switch (type) {
        case 1:         /* IDB */
            if (bend - body >= 8 && nif < MAX_IFACES) {
                struct iface *f = &ifs[nif++];
                f->linktype = rd16(body, swap);
                f->units = 1000000;
                f->offset_s = 0;
                idb_options(body + 8, bend, swap, f);
            }
            break;
        case 6:         /* EPB */
        case 2:         /* PB (obsolete): a 16-bit interface id and drops */
            if (bend - body >= 20) {
                ifid = type == 6 ? rd32(body, swap) : rd16(body, swap);
                ts = (uint64_t)rd32(body + 4, swap) << 32 | rd32(body + 8, swap);
                caplen = rd32(body + 12, swap);
                data = body + 20;
                pkt = true;
                if (caplen > (size_t)(bend - data))
                    goto stop;      /* libpcap stops reading here too */
            }
            break;
        case 3:         /* SPB: interface 0, no timestamp */
            if (bend - body >= 4) {
                uint32_t orig = rd32(body, swap);
                data = body + 4;
                caplen = orig < (size_t)(bend - data) ? orig : (uint32_t)(bend - data);
                pkt = true;
                ts_ok = false;
            }
            break;
        default:
            break;
        }
        if (pkt) {
            uint32_t lt = ifid < nif ? ifs[ifid].linktype : 0xffffffffu;    /* unknown: opaque */
            if (ifid < nif && ts_ok)
                ts = ng_ts(&ifs[ifid], ts);
            else
                ts = 0;
            rc = idx_builder_add(b, off, len, ts, data, caplen, lt);
            if (rc)
                break;
            *end = off + len;
        }
        off += len;
    }
stop:
    free(ifs);
    return rc;
}

int idx_build_fd(int fd, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    return idx_build_fd_chunk(fd, IDX_CHUNK_BYTES, out, outlen, err, errlen);
}

int idx_build_fd_chunk(int fd, uint32_t chunk_bytes, uint8_t **out, size_t *outlen, char *err,
                       size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail(err, errlen, -errno, "cannot stat the capture file: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(err, errlen, -EINVAL, "not a regular file: expected a pcap or pcapng file");
    size_t n = (size_t)st.st_size;
    if (n < 24)
        return fail(err, errlen, -EINVAL, "%zu bytes: too short for a pcap or pcapng file", n);
    const uint8_t *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return fail(err, errlen, -errno, "cannot map the capture file: %s", strerror(errno));
    madvise((void *)p, n, MADV_SEQUENTIAL);
    uint32_t magic;
    memcpy(&magic, p, 4);
    uint32_t sw = __builtin_bswap32(magic);
    struct idx_ident id = { .file_size = n };
    memcpy(id.head, p, n < 64 ? n : 64);
    int rc;
    struct idx_builder *b = idx_builder_new();
    if (b == NULL) {
        rc = fail(err, errlen, -ENOMEM, "out of memory");
        goto out;
    }
    if (idx_builder_set_chunk_bytes(b, chunk_bytes)) {
        rc = fail(err, errlen, -EINVAL, "chunk size %u: expected %u to %u bytes", chunk_bytes,
                  IDX_CHUNK_MIN, IDX_CHUNK_MAX);
        goto out;
    }
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du || magic == 0xa1b2cd34u ||
        sw == 0xa1b2c3d4u || sw == 0xa1b23c4du || sw == 0xa1b2cd34u) {
        id.format = IDX_FORMAT_PCAP;
        rc = walk_pcap(b, p, n, &id.data_end);
    } else if (magic == 0x0A0D0D0Au) {
        id.format = IDX_FORMAT_PCAPNG;
        rc = walk_pcapng(b, p, n, &id.data_end);
    } else {
        rc = fail(err, errlen, -EINVAL, "magic 0x%08x: not a pcap or pcapng file", magic);
        goto out;
    }
    if (rc == 0)
        rc = idx_builder_finish(b, &id, out, outlen);
    if (rc)
        fail(err, errlen, rc, "cannot build the index: %s", strerror(-rc));
out:
    idx_builder_free(b);
    munmap((void *)p, n);
    return rc;
}
