/* pcapng encoder: SHB and IDBs (file header), ISBs (file trailer), EPB
 * options, and the prefix walker. See pcapng.h. */
#include "format/format.h"
#include "format/pcapng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* String options are cut to these many bytes (at a character boundary);
 * the filter may be longer than a name. */
#define STR_MAX 1024u
#define FILTER_MAX 4096u

/* An option writer over [buf, buf + cap): a failed put leaves ok false. */
struct ob {
    uint8_t *buf;
    size_t cap, len;
    bool ok;
};

static void ob_raw(struct ob *o, const void *p, size_t n)
{
    if (!o->ok || o->cap - o->len < n) {
        o->ok = false;
        return;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void ob_u32(struct ob *o, uint32_t v)
{
    ob_raw(o, &v, 4);
}

static void ob_zero(struct ob *o, size_t n)
{
    static const uint8_t z[4];
    ob_raw(o, z, n);
}

/* One option: code, length, value, zero padding to 32 bits. */
static void ob_opt(struct ob *o, uint16_t code, const void *val, uint16_t len)
{
    uint16_t h[2] = { code, len };
    ob_raw(o, h, 4);
    ob_raw(o, val, len);
    ob_zero(o, (4u - (len & 3u)) & 3u);
}

/* Length of the longest prefix of s[0..n) that is valid UTF-8 and ends on a
 * character boundary. */
static size_t utf8_valid_len(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (n - i <= k)
            return i;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return i;
        i += k + 1;
    }
    return n;
}

/* A UTF-8 string option (sec. 3.6.3: writers write valid UTF-8 only): at
 * most max bytes; an invalid byte becomes '?'. prefix (0 or one byte, the
 * if_filter type) goes before the text. Absent or empty strings are left out. */
static void ob_str(struct ob *o, uint16_t code, const char *s, size_t max, int prefix)
{
    if (s == NULL || *s == '\0')
        return;
    size_t n = strlen(s);
    if (n > max)
        n = max;
    uint8_t tmp[1 + FILTER_MAX];
    size_t t = 0, i = 0;
    if (prefix >= 0)
        tmp[t++] = (uint8_t)prefix;
    const uint8_t *u = (const uint8_t *)s;
    while (i < n) {
        size_t v = utf8_valid_len(u + i, n - i);
        memcpy(tmp + t, u + i, v);
        t += v;
        i += v;
        if (i < n) {
            tmp[t++] = '?';
            i++;
        }
    }
    ob_opt(o, code, tmp, (uint16_t)t);
}

/* Start a block: type and a length patched by ob_end. */
static size_t ob_begin(struct ob *o, uint32_t type)
{
    size_t start = o->len;
    ob_u32(o, type);
    ob_u32(o, 0);
    return start;
}

static void ob_end(struct ob *o, size_t start)
{
    ob_u32(o, 0);               /* the trailing length, patched below */
    if (!o->ok)
        return;
    uint32_t total = (uint32_t)(o->len - start);
    memcpy(o->buf + start + 4, &total, 4);
    memcpy(o->buf + o->len - 4, &total, 4);
}

static void ob_endofopt(struct ob *o)
{
    ob_u32(o, 0);               /* code 0, length 0 */
}

static size_t pcapng_file_header(uint8_t *buf, size_t cap, const struct format_info *info)
{
    struct ob o = { buf, cap, 0, true };

    size_t b = ob_begin(&o, PCAPNG_SHB_TYPE);
    ob_u32(&o, PCAPNG_BYTE_ORDER_MAGIC);
    uint16_t ver[2] = { 1, 0 };
    ob_raw(&o, ver, 4);
    int64_t section_len = -1;
    ob_raw(&o, &section_len, 8);
    ob_str(&o, PCAPNG_SHB_HARDWARE, info->hardware, STR_MAX, -1);
    ob_str(&o, PCAPNG_SHB_OS, info->os, STR_MAX, -1);
    ob_str(&o, PCAPNG_SHB_USERAPPL, info->userappl, STR_MAX, -1);
    ob_endofopt(&o);
    ob_end(&o, b);

    for (int i = 0; i < info->nifaces; i++) {
        const struct format_iface *f = &info->ifaces[i];
        b = ob_begin(&o, PCAPNG_IDB_TYPE);
        uint16_t lt[2] = { (uint16_t)info->linktype, 0 };
        ob_raw(&o, lt, 4);
        ob_u32(&o, info->snaplen);
        ob_str(&o, PCAPNG_IF_NAME, f->name, STR_MAX, -1);
        ob_str(&o, PCAPNG_IF_DESCRIPTION, f->description, STR_MAX, -1);
        uint8_t tsresol = 9;    /* 10^-9 s */
        ob_opt(&o, PCAPNG_IF_TSRESOL, &tsresol, 1);
        ob_str(&o, PCAPNG_IF_FILTER, f->filter, FILTER_MAX, 0);   /* 0: libpcap syntax */
        ob_endofopt(&o);
        ob_end(&o, b);
    }
    return o.ok ? o.len : 0;
}

/* ISB: 20 bytes, 7 options of 8 bytes (12 each), end of options, trailer;
 * and, only when some frames were short, an opt_comment saying how many. */
#define ISB_LEN (20u + 7u * 12u + 4u + 4u)
#define ISB_SHORT_FMT "short_frames=%llu: frames written with fewer bytes than their length"
/* the option with a 20-digit count in place of %llu, padded to 4 bytes */
#define ISB_SHORT_MAX (4u + (((unsigned)sizeof(ISB_SHORT_FMT) - 5u + 20u + 3u) & ~3u))

static size_t pcapng_trailer_len(const struct format_info *info)
{
    return (size_t)info->nifaces * (ISB_LEN + ISB_SHORT_MAX);
}

static void ob_ts_opt(struct ob *o, uint16_t code, uint64_t ns)
{
    uint32_t v[2] = { (uint32_t)(ns >> 32), (uint32_t)ns };
    ob_opt(o, code, v, 8);
}

static void ob_u64_opt(struct ob *o, uint16_t code, uint64_t v)
{
    ob_opt(o, code, &v, 8);
}

static size_t pcapng_file_trailer(uint8_t *buf, size_t cap, const struct format_info *info,
                                  const struct format_ifstats *st)
{
    struct ob o = { buf, cap, 0, true };

    for (int i = 0; i < info->nifaces; i++) {
        const struct format_ifstats *s = &st[i];
        size_t b = ob_begin(&o, PCAPNG_ISB_TYPE);
        ob_u32(&o, (uint32_t)i);
        ob_u32(&o, (uint32_t)(s->end_ns >> 32));
        ob_u32(&o, (uint32_t)s->end_ns);
        ob_ts_opt(&o, PCAPNG_ISB_STARTTIME, s->start_ns);
        ob_ts_opt(&o, PCAPNG_ISB_ENDTIME, s->end_ns);
        ob_u64_opt(&o, PCAPNG_ISB_IFRECV, s->ifrecv);
        ob_u64_opt(&o, PCAPNG_ISB_IFDROP, s->ifdrop);
        ob_u64_opt(&o, PCAPNG_ISB_FILTERACCEPT, s->filteraccept);
        ob_u64_opt(&o, PCAPNG_ISB_OSDROP, s->osdrop);
        ob_u64_opt(&o, PCAPNG_ISB_USRDELIV, s->usrdeliv);
        if (s->short_frames) {
            char c[96];
            int k = snprintf(c, sizeof(c), ISB_SHORT_FMT, (unsigned long long)s->short_frames);
            ob_opt(&o, PCAPNG_OPT_COMMENT, c, (uint16_t)k);
        }
        ob_endofopt(&o);
        ob_end(&o, b);
    }
    return o.ok ? o.len : 0;
}

void pcapng_epb_opts_init(struct pcapng_epb_opts *o, int queue)
{
    struct ob w = { o->b, sizeof(o->b), 0, true };
    uint32_t flags = PCAPNG_EPB_FLAG_INBOUND;
    memset(o, 0, sizeof(*o));
    ob_opt(&w, PCAPNG_EPB_FLAGS, &flags, 4);
    if (queue >= 0) {
        uint32_t q = (uint32_t)queue;
        ob_opt(&w, PCAPNG_EPB_QUEUE, &q, 4);
    }
    ob_endofopt(&w);
    o->len = (uint32_t)w.len;
}

/* Hostile input: every length is checked against what remains. The file
 * must start with a host-order SHB; then any blocks, each with a length
 * >= 12, a multiple of 4, inside the image and repeated in its trailer. An
 * EPB must name a known interface (an IDB of this section before it) and
 * hold its caplen (<= origlen). Unknown block types are skipped, as readers
 * do. The prefix ends after the last block that passes. */
static size_t pcapng_valid_prefix(const uint8_t *buf, size_t len, uint64_t *nrec)
{
    size_t off = 0, good = 0;
    uint64_t n = 0, n_good = 0;
    uint32_t nif = 0;

    *nrec = 0;
    while (len - off >= 12) {
        uint32_t type, blen, tlen;
        memcpy(&type, buf + off, 4);
        memcpy(&blen, buf + off + 4, 4);
        if (blen < 12 || (blen & 3u) || blen > len - off)
            break;
        memcpy(&tlen, buf + off + blen - 4, 4);
        if (tlen != blen)
            break;
        if (off == 0 && type != PCAPNG_SHB_TYPE)
            break;
        if (type == PCAPNG_SHB_TYPE) {
            struct pcapng_shb h;
            if (blen < sizeof(h) + 4)
                break;
            memcpy(&h, buf + off, sizeof(h));
            if (h.magic != PCAPNG_BYTE_ORDER_MAGIC || h.major != 1)
                break;
            nif = 0;
        } else if (type == PCAPNG_IDB_TYPE) {
            if (blen < sizeof(struct pcapng_idb) + 4)
                break;
            nif++;
        } else if (type == PCAPNG_EPB_TYPE) {
            struct pcapng_epb e;
            if (blen < sizeof(e) + 4)
                break;
            memcpy(&e, buf + off, sizeof(e));
            if (e.ifid >= nif || e.caplen > e.origlen ||
                e.caplen > blen - sizeof(e) - 4)
                break;
            n++;
        }
        off += blen;
        good = off;
        n_good = n;
    }
    *nrec = n_good;
    return good;
}

const struct format_ops format_pcapng = {
    .name = "pcapng",
    .ext = ".pcapng",
    .kind = FORMAT_PCAPNG,
    .rec_hdr_len = sizeof(struct pcapng_epb),
    .file_header = pcapng_file_header,
    .file_trailer = pcapng_file_trailer,
    .trailer_len = pcapng_trailer_len,
    .valid_prefix = pcapng_valid_prefix,
};
