/* The extract engine (extract.h, docs/EXTRACT.md).
 *
 * Phase 1, per file in order: open its index (NAME.idx) if any, reading its
 * head and chunk table (idx_open_fd; the key blocks the plan needs are read
 * on lookup, and announced a window of files ahead: preopen); a file
 * whose index still describes it (same size, index not older) and whose
 * time range misses the window or whose plan answers no chunk is skipped
 * without opening it. Otherwise the file is opened, its header read (pcap
 * header, or pcapng SHB and IDBs up to the first packet block), the index
 * checked against the file (size and first 64 bytes), and the candidate
 * chunks become byte ranges to read. Files without a usable index are read
 * whole from their first record.
 *
 * Phase 2: a k-way merge. Every file sits in a min-heap keyed by the
 * timestamp of its next matching record; a file not yet started sits there
 * keyed by the lowest timestamp it can give (its candidate chunks' ts_min),
 * so it is started (its buffer allocated, its ranges read) only when the
 * merge reaches its time. Equal timestamps go as mergecap orders them: the
 * head of the file given later first.
 *
 * The index only prunes: every record read is decoded and run through the
 * window and the whole libpcap program. When a chunk does not hold what the
 * index says (a record crossing its end, a timestamp outside its range, a
 * new section), the file falls back to a whole scan that skips the records
 * before that point (already handled), so the answer stays exact. */
#include "index/extract.h"
#include "format/byteorder.h"

#include "common/exitcodes.h"
#include "format/pcap.h"
#include "format/pcapng.h"
#include "index/index.h"
#include "index/idxfmt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEAD_LEN 64
#define MAX_REC (64u << 20)             /* a record or block larger than this is corrupt */
#define IDX_MAX_BYTES (2ull << 30)      /* an index larger than this is not read */
#define TAIL_MAX (1u << 20)             /* bytes after an index's data_end checked in phase 1 */
#define HDR_MAX (16u << 20)             /* pcapng bytes before the first packet block */
#define BUF_SCAN (1u << 20)
#define BUF_CHUNK (256u << 10)
#define PREFETCH_BUDGET (1ull << 30)    /* candidate bytes announced with WILLNEED */
#define SCAN_OPEN_MAX 64
#define IDX_HEAD_WILLNEED (64u << 10)   /* an index's head and chunk table, usually */
#define PREOPEN_AHEAD 128               /* indexes opened and their blocks announced ahead */
#define FD_SPARE 32                     /* descriptors left to the rest of the process */
#define PCAP_MAGIC_USEC 0xa1b2c3d4U
#define PCAP_MAGIC_KUZNETZOV 0xa1b2cd34U
#define PCAPNG_PB_TYPE 2u               /* obsolete Packet Block */
#define PCAPNG_SPB_TYPE 3u
#define LINKTYPE_MASK 0x03FFFFFFu       /* the FCS bits above are not the link type */

enum { FMT_PCAP = 1, FMT_PCAPNG = 2 };

struct iface {
    uint32_t linktype, snaplen;
    uint64_t units;             /* ticks per second (if_tsresol) */
    int64_t tsoff;              /* if_tsoffset, seconds */
    int outif;                  /* pcapng output interface, -1 until used */
};

struct range {
    uint64_t off, end;
    uint64_t ts_lo, ts_hi;      /* from the index: every record in it lies inside */
};

struct loaded;

struct xfile {
    char *path;
    unsigned order;
    int fd;
    struct stat st;
    int fmt;
    /* pcap */
    bool swap;
    uint32_t frac_ns;           /* ns per ts fraction unit: 1000 (usec) or 1 */
    uint32_t rechdr;            /* 16, or 24 (Kuznetzov's modified pcap) */
    struct iface pif;           /* the file's one interface */
    /* pcapng: interfaces at the first packet block, and as read */
    struct iface *if0, *ifs;
    uint32_t nif0, nifs, ifcap;
    bool ngswap0, ngswap;
    uint64_t data_off;          /* first record / packet block */
    /* what to read */
    struct range *ranges;
    size_t nranges, ri;
    bool scan;                  /* no usable index: every record from data_off */
    bool rebuilt;               /* index built in memory */
    uint64_t skip_below;        /* scan after a fallback: records before were handled */
    uint64_t key_lo;            /* heap key until started */
    bool started;
    /* buffer over the current range */
    uint8_t *buf;
    size_t bcap, blen, bpos;
    uint64_t boff, rend;
    /* the current matching record */
    uint64_t ts;
    uint32_t caplen, len;
    const uint8_t *data;
    struct iface *cif;
    struct loaded *pre;         /* its index, opened ahead (phase 1's window) */
};

struct prog {
    uint32_t linktype;
    struct bpf_program bpf;
};

struct out {
    const struct extract_req *req;
    uint8_t *buf;
    size_t len, cap;
    int err;                    /* first write error (negative errno) */
    struct extract_report *rep;
    /* pcapng interfaces written */
    struct { uint32_t linktype, snaplen; } oif[256];
    int noif;
};

struct ctx {
    const struct extract_req *req;
    struct extract_report *rep;
    char *err;
    size_t errlen;
    int rc;
    uint64_t from, to;          /* [from, to) */
    bool has_expr;
    struct idx_plan *plan;
    struct prog *progs;
    int nprogs;
    struct xfile **files;
    size_t nfiles, fcap;
    unsigned nscan;
    uint64_t prefetched;
    struct out out;
    uint32_t out_linktype;      /* pcap output: its one link type */
    char notice[1200];
};

/* ---------------------------------------------------------------- small helpers */

static void note(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    if (c->req->notice == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(c->notice, sizeof(c->notice), fmt, ap);
    va_end(ap);
    c->req->notice(c->req->notice_arg, c->notice);
}

/* The first error wins; its line goes to err. */
static int fail(struct ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, int rc, const char *fmt, ...)
{
    if (c->rc == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
        c->rc = rc;
    }
    return rc;
}

/* A file that cannot be read: its line is a notice, the run goes on with
 * the others and ends with this code. */
static void file_fail(struct ctx *c, struct xfile *x, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void file_fail(struct ctx *c, struct xfile *x, int rc, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->rep->files_failed++;
    if (c->rc != 0)
        note(c, "%s: %s", x->path, line);
    fail(c, rc, "%s: %s", x->path, line);
}

static uint64_t now_mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* libpcap compiles for a DLT; a few LINKTYPE values differ from theirs */
static int linktype_to_dlt(uint32_t lt)
{
    switch (lt) {
    case 100: return DLT_ATM_RFC1483;
    case LINKTYPE_RAW: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    default: return (int)lt;
    }
}

/* ticks since the epoch in 'units' per second (+ offset s) -> ns */
static uint64_t ticks_ns(uint64_t t, const struct iface *f)
{
    unsigned __int128 ns;
    if (f->units == 1000000000ull)
        ns = t;
    else
        ns = (unsigned __int128)t * 1000000000ull / f->units;
    ns += (unsigned __int128)((__int128)f->tsoff * 1000000000);
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* ---------------------------------------------------------------- filter programs */

static int prog_compile(struct ctx *c, uint32_t linktype, const char *who)
{
    for (int i = 0; i < c->nprogs; i++)
        if (c->progs[i].linktype == linktype)
            return i;
    struct prog *np = realloc(c->progs, (size_t)(c->nprogs + 1) * sizeof(*np));
    if (np == NULL)
        return fail(c, EXIT_OSERR, "out of memory"), -1;
    c->progs = np;
    struct prog *p = &c->progs[c->nprogs];
    memset(p, 0, sizeof(*p));
    p->linktype = linktype;
    if (c->has_expr) {
        int dlt = linktype_to_dlt(linktype);
        pcap_t *pd = pcap_open_dead(dlt, 262144);
        if (pd == NULL)
            return fail(c, EXIT_OSERR, "cannot open a libpcap compile context"), -1;
        if (pcap_compile(pd, &p->bpf, c->req->expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            const char *name = pcap_datalink_val_to_name(dlt);
            if (who)
                fail(c, EXIT_FILTER, "bad filter expression '%s' for link type %u (%s) of %s: %s",
                     c->req->expr, linktype, name ? name : "?", who, pcap_geterr(pd));
            else
                fail(c, EXIT_FILTER, "bad filter expression '%s': %s", c->req->expr,
                     pcap_geterr(pd));
            pcap_close(pd);
            return -1;
        }
        pcap_close(pd);
    }
    return c->nprogs++;
}

static bool prog_match(struct ctx *c, const struct xfile *x)
{
    if (!c->has_expr)
        return true;
    uint32_t lt = x->cif->linktype;
    int i;
    for (i = 0; i < c->nprogs; i++)
        if (c->progs[i].linktype == lt)
            break;
    if (i == c->nprogs && (i = prog_compile(c, lt, x->path)) < 0)
        return false;
    struct pcap_pkthdr h = { .caplen = x->caplen, .len = x->len };
    return pcap_offline_filter(&c->progs[i].bpf, &h, x->data) != 0;
}

/* ---------------------------------------------------------------- output */

static int out_flush(struct out *o)
{
    if (o->len == 0 || o->err)
        return o->err;
    const struct extract_req *r = o->req;
    if (r->out_write) {
        int rc = r->out_write(r->out_arg, o->buf, o->len);
        if (rc < 0)
            o->err = rc;
    } else {
        size_t done = 0;
        while (done < o->len) {
            ssize_t w = write(r->out_fd, o->buf + done, o->len - done);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                o->err = -errno;
                break;
            }
            done += (size_t)w;
        }
    }
    if (o->err == 0)
        o->rep->bytes_written += o->len;
    o->len = 0;
    return o->err;
}

static int out_put(struct out *o, const void *p, size_t n)
{
    while (n > 0) {
        if (o->len == o->cap && out_flush(o) < 0)
            return o->err;
        size_t k = o->cap - o->len < n ? o->cap - o->len : n;
        memcpy(o->buf + o->len, p, k);
        o->len += k;
        p = (const uint8_t *)p + k;
        n -= k;
    }
    return o->err;
}

static void put_opt(uint8_t *b, size_t *n, uint16_t code, const void *v, uint16_t len)
{
    memcpy(b + *n, &code, 2);
    memcpy(b + *n + 2, &len, 2);
    memcpy(b + *n + 4, v, len);
    memset(b + *n + 4 + len, 0, (4u - (len & 3u)) & 3u);
    *n += 4 + ((len + 3u) & ~3u);
}

static int out_shb(struct out *o)
{
    uint8_t b[256];
    size_t n = sizeof(struct pcapng_shb);
    char appl[64];
    snprintf(appl, sizeof(appl), "linecap %s (extract)", LINECAP_VERSION);
    put_opt(b, &n, PCAPNG_SHB_USERAPPL, appl, (uint16_t)strlen(appl));
    memset(b + n, 0, 4);        /* opt_endofopt */
    n += 4;
    uint32_t total = (uint32_t)(n + 4);
    struct pcapng_shb h = { PCAPNG_SHB_TYPE, total, PCAPNG_BYTE_ORDER_MAGIC, 1, 0, -1 };
    memcpy(b, &h, sizeof(h));
    memcpy(b + n, &total, 4);
    return out_put(o, b, total);
}

/* The pcapng output interface of a link type: written on first use, with
 * snaplen (phase 1 gives the largest of the inputs of that link type). One
 * per link type, not per (link type, snaplen): libpcap refuses a pcapng
 * file whose interfaces differ in snaplen, and `| tcpdump -r -` must work. */
static int out_if(struct out *o, uint32_t linktype, uint32_t snaplen)
{
    for (int i = 0; i < o->noif; i++)
        if (o->oif[i].linktype == linktype)
            return i;
    if (o->noif == (int)(sizeof(o->oif) / sizeof(o->oif[0])))
        return -1;
    uint8_t b[64];
    size_t n = sizeof(struct pcapng_idb);
    uint8_t res = 9;
    put_opt(b, &n, PCAPNG_IF_TSRESOL, &res, 1);
    memset(b + n, 0, 4);
    n += 4;
    uint32_t total = (uint32_t)(n + 4);
    struct pcapng_idb h = { PCAPNG_IDB_TYPE, total, (uint16_t)linktype, 0, snaplen };
    memcpy(b, &h, sizeof(h));
    memcpy(b + n, &total, 4);
    if (out_put(o, b, total) < 0)
        return -1;
    o->oif[o->noif].linktype = linktype;
    o->oif[o->noif].snaplen = snaplen;
    return o->noif++;
}

static int out_pcap_header(struct out *o, uint32_t linktype, uint32_t snaplen)
{
    struct pcap_file_hdr h = { PCAP_MAGIC_NSEC, PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR, 0, 0,
                               snaplen, linktype };
    return out_put(o, &h, sizeof(h));
}

static int out_record(struct ctx *c, struct xfile *x)
{
    struct out *o = &c->out;
    if (c->req->format == EXTRACT_PCAP) {
        if (x->cif->linktype != c->out_linktype)
            return fail(c, EXIT_USAGE, "%s: an interface with link type %u after the output "
                        "began with link type %u: a pcap file holds one link type (use -F "
                        "pcapng)", x->path, x->cif->linktype, c->out_linktype);
        uint32_t sec, nsec;
        pcap_ts_split(x->ts, &sec, &nsec);
        uint8_t h[16];
        pcap_put_rec_hdr(h, sec, nsec, x->caplen, x->len);
        out_put(o, h, 16);
        out_put(o, x->data, x->caplen);
    } else {
        if (x->cif->outif < 0) {
            x->cif->outif = out_if(o, x->cif->linktype, x->cif->snaplen);
            if (x->cif->outif < 0)
                return fail(c, EXIT_USAGE, "more than 256 distinct interfaces in the output");
        }
        uint32_t total = pcapng_epb_len(x->caplen, 0);
        uint8_t h[28];
        struct pcapng_epb e = pcapng_epb_hdr(total, (uint32_t)x->cif->outif, x->ts, x->caplen,
                                             x->len);
        memcpy(h, &e, sizeof(e));
        static const uint8_t zero[4];
        out_put(o, h, sizeof(h));
        out_put(o, x->data, x->caplen);
        out_put(o, zero, (4u - (x->caplen & 3u)) & 3u);
        out_put(o, &total, 4);
    }
    if (o->err)
        return fail(c, EXIT_IOERR, "writing the output: %s", strerror(-o->err));
    c->rep->records_written++;
    return 0;
}

/* ---------------------------------------------------------------- file list */

bool extract_capture_name(const char *name)
{
    static const char *const ext[] = { ".pcap", ".pcapng", ".cap" };
    size_t n = strlen(name);
    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
            return true;
    }
    return false;
}

static int add_file(struct ctx *c, const char *path, const struct stat *st)
{
    if (c->req->exclude_ino && (uint64_t)st->st_dev == c->req->exclude_dev &&
        (uint64_t)st->st_ino == c->req->exclude_ino)
        return 0;
    if (c->nfiles == c->fcap) {
        size_t nc = c->fcap ? c->fcap * 2 : 64;
        struct xfile **nf = realloc(c->files, nc * sizeof(*nf));
        if (nf == NULL)
            return fail(c, EXIT_OSERR, "out of memory");
        c->files = nf;
        c->fcap = nc;
    }
    struct xfile *x = calloc(1, sizeof(*x));
    if (x == NULL || (x->path = strdup(path)) == NULL) {
        free(x);
        return fail(c, EXIT_OSERR, "out of memory");
    }
    x->fd = -1;
    x->order = (unsigned)c->nfiles;
    c->files[c->nfiles++] = x;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct ctx *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return fail(c, EXIT_NOINPUT, "%s: cannot read directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (!extract_capture_name(e->d_name))
            continue;
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (nn == NULL) {
                rc = fail(c, EXIT_OSERR, "out of memory");
                break;
            }
            names = nn;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            rc = fail(c, EXIT_OSERR, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    char path[4096];
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            size_t dl = strlen(dir);
            snprintf(path, sizeof(path), "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/",
                     names[i]);
            struct stat st;
            /* d_type DT_UNKNOWN / links: only regular files */
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                rc = add_file(c, path, &st);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* ---------------------------------------------------------------- headers */

static int if_add(struct xfile *x, const struct iface *f)
{
    if (x->nifs == x->ifcap) {
        uint32_t nc = x->ifcap ? x->ifcap * 2 : 4;
        struct iface *n = realloc(x->ifs, nc * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        x->ifs = n;
        x->ifcap = nc;
    }
    x->ifs[x->nifs++] = *f;
    return 0;
}

/* An IDB block b of blen bytes (complete, validated length). */
static int parse_idb(struct xfile *x, const uint8_t *b, uint32_t blen, bool swap)
{
    if (blen < 20)
        return -EINVAL;
    struct iface f = { .linktype = rd16(b + 8, swap), .snaplen = rd32(b + 12, swap),
                       .units = 1000000, .tsoff = 0, .outif = -1 };
    uint32_t p = 16, end = blen - 4;
    while (p + 4 <= end) {
        uint16_t code = rd16(b + p, swap), len = rd16(b + p + 2, swap);
        if (code == 0 || p + 4 + len > end)
            break;
        const uint8_t *v = b + p + 4;
        if (code == PCAPNG_IF_TSRESOL && len >= 1) {
            uint8_t r = v[0];
            unsigned e = r & 0x7f;
            if (r & 0x80) {
                if (e > 63)
                    return -EINVAL;
                f.units = 1ull << e;
            } else {
                if (e > 19)
                    return -EINVAL;
                f.units = 1;
                for (unsigned i = 0; i < e; i++)
                    f.units *= 10;
            }
            if (f.units == 0)
                return -EINVAL;
        } else if (code == 14 && len >= 8) {   /* if_tsoffset */
            uint64_t o;
            memcpy(&o, v, 8);
            f.tsoff = (int64_t)(swap ? __builtin_bswap64(o) : o);
        }
        p += 4 + ((len + 3u) & ~3u);
    }
    return if_add(x, &f);
}

/* pcap file header, or pcapng SHB + blocks up to the first packet block.
 * Fills the format fields and data_off. -EINVAL: not pcap/pcapng (msg). */
static int read_header(struct ctx *c, struct xfile *x, const char **why)
{
    uint8_t h[24];
    ssize_t n = idxf_pread_full(x->fd, h, sizeof(h), 0);
    if (n < 0)
        return (int)n;
    c->rep->bytes_read += (uint64_t)n;
    *why = "shorter than a file header";
    if (n < 12)
        return -EINVAL;
    uint32_t m;
    memcpy(&m, h, 4);
    uint32_t ms = __builtin_bswap32(m);
    if (m == PCAP_MAGIC_USEC || m == PCAP_MAGIC_NSEC || m == PCAP_MAGIC_KUZNETZOV ||
        ms == PCAP_MAGIC_USEC || ms == PCAP_MAGIC_NSEC || ms == PCAP_MAGIC_KUZNETZOV) {
        if (n < 24)
            return -EINVAL;
        x->fmt = FMT_PCAP;
        x->swap = !(m == PCAP_MAGIC_USEC || m == PCAP_MAGIC_NSEC || m == PCAP_MAGIC_KUZNETZOV);
        uint32_t mm = x->swap ? ms : m;
        x->frac_ns = mm == PCAP_MAGIC_NSEC ? 1 : 1000;
        x->rechdr = mm == PCAP_MAGIC_KUZNETZOV ? 24 : 16;
        x->pif.snaplen = rd32(h + 16, x->swap);
        x->pif.linktype = rd32(h + 20, x->swap) & LINKTYPE_MASK;
        x->pif.units = 1000000000ull;
        x->pif.outif = -1;
        x->data_off = 24;
        return 0;
    }
    if (m != PCAPNG_SHB_TYPE) {
        *why = "not a pcap or pcapng file (unknown magic)";
        return -EINVAL;
    }
    x->fmt = FMT_PCAPNG;
    /* walk blocks until the first packet block */
    uint64_t off = 0;
    uint8_t *b = NULL;
    size_t bcap = 0;
    int rc = 0;
    bool swap = false;
    for (;;) {
        uint8_t bh[12];
        n = idxf_pread_full(x->fd, bh, sizeof(bh), off);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        if (n < 8)
            break;              /* end of file: no packet */
        uint32_t type;
        memcpy(&type, bh, 4);
        if (type == PCAPNG_SHB_TYPE) {
            if (n < 12) {
                *why = "torn section header block";
                rc = -EINVAL;
                break;
            }
            uint32_t bo;
            memcpy(&bo, bh + 8, 4);
            if (bo == PCAPNG_BYTE_ORDER_MAGIC)
                swap = false;
            else if (bo == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
                swap = true;
            else {
                *why = "pcapng section header with a bad byte-order magic";
                rc = -EINVAL;
                break;
            }
            if (off != 0) {
                /* a second section before any packet: start over with it */
                x->nifs = 0;
            }
            x->ngswap0 = swap;
        } else {
            type = swap ? __builtin_bswap32(type) : type;
        }
        uint32_t tl = rd32(bh + 4, swap);
        if (tl < 12 || (tl & 3) || tl > MAX_REC) {
            *why = "pcapng block with a bad length before the first packet";
            rc = -EINVAL;
            break;
        }
        if (type == PCAPNG_EPB_TYPE || type == PCAPNG_SPB_TYPE || type == PCAPNG_PB_TYPE)
            break;
        if (off + tl > HDR_MAX) {
            *why = "more than 16 MiB of pcapng blocks before the first packet";
            rc = -EINVAL;
            break;
        }
        if (type == PCAPNG_IDB_TYPE) {
            if (bcap < tl) {
                uint8_t *nb = realloc(b, tl);
                if (nb == NULL) {
                    rc = -ENOMEM;
                    break;
                }
                b = nb;
                bcap = tl;
            }
            n = idxf_pread_full(x->fd, b, tl, off);
            if (n < 0) {
                rc = (int)n;
                break;
            }
            if ((uint32_t)n < tl)
                break;          /* torn at the end: no packet after it */
            c->rep->bytes_read += (uint64_t)n;
            if ((rc = parse_idb(x, b, tl, swap)) < 0) {
                *why = "pcapng interface block with a bad if_tsresol";
                break;
            }
        }
        c->rep->bytes_read += sizeof(bh);
        off += tl;
    }
    free(b);
    if (rc < 0)
        return rc;
    x->data_off = off;
    x->ngswap = x->ngswap0;
    if (x->nifs) {
        x->if0 = malloc(x->nifs * sizeof(*x->if0));
        if (x->if0 == NULL)
            return -ENOMEM;
        memcpy(x->if0, x->ifs, x->nifs * sizeof(*x->if0));
    }
    x->nif0 = x->nifs;
    return 0;
}

/* ---------------------------------------------------------------- reading records */

enum { R_REC = 1, R_END = 0, R_IRREG = -1000, R_TORN = -1001, R_BAD = -1002 };

/* Make n bytes available at buf + bpos inside the current range.
 * 1: ok; 0: the range (or file) ends first; <0: -errno. */
static int want(struct ctx *c, struct xfile *x, size_t n)
{
    if (x->blen - x->bpos >= n)
        return 1;
    if (x->bpos) {
        memmove(x->buf, x->buf + x->bpos, x->blen - x->bpos);
        x->boff += x->bpos;
        x->blen -= x->bpos;
        x->bpos = 0;
    }
    if (n > x->bcap) {
        size_t nc = x->bcap;
        while (nc < n)
            nc *= 2;
        uint8_t *nb = realloc(x->buf, nc);
        if (nb == NULL)
            return -ENOMEM;
        x->buf = nb;
        x->bcap = nc;
    }
    while (x->blen < n) {
        uint64_t fo = x->boff + x->blen;
        if (fo >= x->rend)
            return 0;
        uint64_t left = x->rend - fo;
        size_t k = x->bcap - x->blen;
        if (k > left)
            k = (size_t)left;
        ssize_t r = pread(x->fd, x->buf + x->blen, k, (off_t)fo);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return 0;
        x->blen += (size_t)r;
        c->rep->bytes_read += (uint64_t)r;
    }
    return 1;
}

static void range_start(struct xfile *x, uint64_t off, uint64_t end)
{
    x->boff = off;
    x->rend = end;
    x->blen = x->bpos = 0;
}

/* Decode the record at the current position into x->ts/caplen/len/data/cif
 * and step past it. R_REC, R_END (range done), R_TORN (the range ends inside
 * a record), R_IRREG (not what an index range may hold), R_BAD, -errno. */
static int next_raw(struct ctx *c, struct xfile *x, uint64_t *recoff)
{
    int w;
    for (;;) {
        if ((w = want(c, x, 1)) <= 0)
            return w < 0 ? w : R_END;
        *recoff = x->boff + x->bpos;
        if (x->fmt == FMT_PCAP) {
            if ((w = want(c, x, x->rechdr)) <= 0)
                return w < 0 ? w : R_TORN;
            const uint8_t *h = x->buf + x->bpos;
            uint32_t sec = rd32(h, x->swap), frac = rd32(h + 4, x->swap);
            uint32_t caplen = rd32(h + 8, x->swap), len = rd32(h + 12, x->swap);
            if (caplen > MAX_REC)
                return R_BAD;
            if ((w = want(c, x, x->rechdr + caplen)) <= 0)
                return w < 0 ? w : R_TORN;
            h = x->buf + x->bpos;
            x->ts = (uint64_t)sec * 1000000000ull + (uint64_t)frac * x->frac_ns;
            x->caplen = caplen;
            x->len = len;
            x->data = h + x->rechdr;
            x->cif = &x->pif;
            x->bpos += x->rechdr + caplen;
            c->rep->records_read++;
            return R_REC;
        }
        /* pcapng */
        if ((w = want(c, x, 12)) <= 0)
            return w < 0 ? w : R_TORN;
        const uint8_t *b = x->buf + x->bpos;
        uint32_t type;
        memcpy(&type, b, 4);
        bool shb = type == PCAPNG_SHB_TYPE;
        if (shb) {
            if (!x->scan)
                return R_IRREG;
            uint32_t bo;
            memcpy(&bo, b + 8, 4);
            if (bo == PCAPNG_BYTE_ORDER_MAGIC)
                x->ngswap = false;
            else if (bo == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
                x->ngswap = true;
            else
                return R_BAD;
        } else if (x->ngswap) {
            type = __builtin_bswap32(type);
        }
        uint32_t tl = rd32(b + 4, x->ngswap);
        if (tl < 12 || (tl & 3) || tl > MAX_REC)
            return R_BAD;
        if ((w = want(c, x, tl)) <= 0)
            return w < 0 ? w : R_TORN;
        b = x->buf + x->bpos;
        if (rd32(b + tl - 4, x->ngswap) != tl)
            return R_BAD;
        x->bpos += tl;
        bool sw = x->ngswap;
        if (shb) {
            x->nifs = 0;        /* a new section: interfaces start over */
            continue;
        }
        if (type == PCAPNG_IDB_TYPE) {
            int rc = parse_idb(x, b, tl, sw);
            if (rc == -ENOMEM)
                return rc;
            if (rc < 0)
                return R_BAD;
            continue;
        }
        uint32_t ifid, caplen, len, hl;
        uint64_t t;
        if (type == PCAPNG_EPB_TYPE || type == PCAPNG_PB_TYPE) {
            if (tl < 32)
                return R_BAD;
            ifid = type == PCAPNG_EPB_TYPE ? rd32(b + 8, sw) : rd16(b + 8, sw);
            t = (uint64_t)rd32(b + 12, sw) << 32 | rd32(b + 16, sw);
            caplen = rd32(b + 20, sw);
            len = rd32(b + 24, sw);
            hl = 28;
            if (caplen > tl - 32)
                return R_BAD;
        } else if (type == PCAPNG_SPB_TYPE) {
            if (tl < 16)
                return R_BAD;
            ifid = 0;
            t = 0;
            len = rd32(b + 8, sw);
            hl = 12;
            caplen = len < tl - 16 ? len : tl - 16;
        } else {
            continue;           /* NRB, ISB, DSB, custom...: no packet */
        }
        if (ifid >= x->nifs)
            return x->scan ? R_BAD : R_IRREG;
        struct iface *f = &x->ifs[ifid];
        if (type == PCAPNG_SPB_TYPE) {
            if (f->snaplen && caplen > f->snaplen)
                caplen = f->snaplen;
            x->ts = 0;
        } else {
            x->ts = ticks_ns(t, f);
        }
        x->caplen = caplen;
        x->len = len;
        x->data = b + hl;
        x->cif = f;
        c->rep->records_read++;
        return R_REC;
    }
}

/* Leave the index: read the whole file from its first record, skipping the
 * records before skip_below (the index path handled them). */
static void fall_back(struct ctx *c, struct xfile *x, uint64_t skip_below, const char *why)
{
    note(c, "%s: the index does not describe the file at offset %llu (%s): scanning it", x->path,
         (unsigned long long)skip_below, why);
    c->rep->files_scanned++;
    x->scan = true;
    x->skip_below = skip_below;
    x->ri = x->nranges;
    x->nifs = 0;
    for (uint32_t i = 0; i < x->nif0; i++)
        if_add(x, &x->if0[i]);  /* fits: ifcap >= nif0 */
    x->ngswap = x->ngswap0;
    range_start(x, x->data_off, (uint64_t)x->st.st_size);
    posix_fadvise(x->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

/* Advance to the next record that matches the window and the filter.
 * 1: x->ts... hold it; 0: the file is done; <0: an error was recorded. */
static int next_match(struct ctx *c, struct xfile *x)
{
    for (;;) {
        uint64_t off = 0;
        int r = next_raw(c, x, &off);
        if (r == R_END) {
            if (x->scan || x->ri + 1 >= x->nranges)
                return 0;
            x->ri++;
            range_start(x, x->ranges[x->ri].off, x->ranges[x->ri].end);
            continue;
        }
        if (r == R_TORN || r == R_BAD || r == R_IRREG) {
            if (!x->scan) {
                fall_back(c, x, off, r == R_TORN ? "a record crosses the chunk end"
                                     : r == R_BAD ? "a malformed record"
                                                  : "a block the chunk should not hold");
                continue;
            }
            if (r == R_TORN) {
                note(c, "%s: the file ends inside a record at offset %llu: its last %llu "
                     "bytes are not a complete record (a torn tail; see linecap recover)",
                     x->path, (unsigned long long)off,
                     (unsigned long long)((uint64_t)x->st.st_size - off));
                return 0;
            }
            file_fail(c, x, EXIT_NOINPUT, "malformed record at offset %llu: the file is read "
                      "up to there", (unsigned long long)off);
            return 0;
        }
        if (r < 0) {
            file_fail(c, x, r == -ENOMEM ? EXIT_OSERR : EXIT_IOERR, "read error: %s",
                      strerror(-r));
            return -1;
        }
        if (x->scan) {
            if (off < x->skip_below)
                continue;
        } else {
            const struct range *g = &x->ranges[x->ri];
            if (x->ts < g->ts_lo || x->ts > g->ts_hi) {
                /* undo: this record is read again by the scan */
                c->rep->records_read--;
                fall_back(c, x, off, "a timestamp outside the chunk's range");
                continue;
            }
        }
        if (x->ts < c->from || x->ts >= c->to)
            continue;
        if (!prog_match(c, x)) {
            if (c->rc == EXIT_FILTER)
                return -1;
            continue;
        }
        return 1;
    }
}

/* ---------------------------------------------------------------- phase 1 */

struct loaded {
    const char *path;           /* the capture file's */
    int fd;                     /* the index file, open while x is (lazy block reads) */
    struct idx x;
    bool open;
    struct stat st;
};

/* Open NAME.idx and read its head and chunk table (idx_open_fd: the key
 * blocks are read when the plan looks them up). Returns true with l
 * filled, or false with why. */
static bool load_index(struct ctx *c, const char *path, struct loaded *l, char *why, size_t wl)
{
    char ip[4200];
    snprintf(ip, sizeof(ip), "%s%s", path, IDX_SUFFIX);
    memset(l, 0, sizeof(*l));
    l->path = path;
    l->fd = open(ip, O_RDONLY | O_CLOEXEC);
    if (l->fd < 0) {
        snprintf(why, wl, errno == ENOENT ? "no index" : "%s: %s", ip, strerror(errno));
        return false;
    }
    if (fstat(l->fd, &l->st) < 0 || !S_ISREG(l->st.st_mode) ||
        (uint64_t)l->st.st_size > IDX_MAX_BYTES) {
        snprintf(why, wl, "%s: not a regular file of at most 2 GiB", ip);
        close(l->fd);
        l->fd = -1;
        return false;
    }
    char e[256] = "";
    if (idx_open_fd(&l->x, l->fd, (uint64_t)l->st.st_size, e, sizeof(e)) != 0) {
        c->rep->idx_bytes += idx_bytes_read(&l->x);
        snprintf(why, wl, "%s: %s", ip, e[0] ? e : "not a valid index");
        close(l->fd);
        l->fd = -1;
        return false;
    }
    l->open = true;
    return true;
}

static void unload(struct ctx *c, struct loaded *l)
{
    if (l->open) {
        c->rep->idx_bytes += idx_bytes_read(&l->x);
        uint32_t bad = idx_lazy_errors(&l->x);
        if (bad)
            note(c, "%s%s: %u key block%s unreadable or damaged: every chunk read for %s keys",
                 l->path, IDX_SUFFIX, bad, bad > 1 ? "s" : "", bad > 1 ? "their" : "its");
        idx_close(&l->x);
    }
    if (l->fd >= 0)
        close(l->fd);
    memset(l, 0, sizeof(*l));
    l->fd = -1;
}

static bool ts_newer_eq(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* Candidate ranges of x from index l (plan AND window), adjacent chunks
 * joined. Returns the number of candidate chunks, -EINVAL (a chunk out of
 * place: the index cannot be used) or -ENOMEM. */
static long candidates(struct ctx *c, const struct idx *ix, struct xfile *x)
{
    size_t words = idx_set_words(ix);
    uint64_t *a = calloc(words ? words : 1, 8), *t = calloc(words ? words : 1, 8);
    long nc = 0;
    if (a == NULL || t == NULL) {
        free(a);
        free(t);
        return -ENOMEM;
    }
    idx_plan_eval(c->plan, ix, a);
    idx_time(ix, c->from, c->to - 1, t);
    free(x->ranges);
    x->ranges = NULL;
    x->nranges = 0;
    size_t cap = 0;
    for (uint32_t i = 0; i < ix->nchunks; i++) {
        if (!((a[i / 64] & t[i / 64]) >> (i % 64) & 1))
            continue;
        const struct idx_chunk *k = &ix->chunks[i];
        struct range *g = x->nranges ? &x->ranges[x->nranges - 1] : NULL;
        /* chunks lie inside the indexed data, after the header, in file
         * order: else the index is not to be trusted (scan) */
        if (k->off < x->data_off || k->end <= k->off || k->end > ix->ident.data_end ||
            (g && k->off < g->end)) {
            free(a);
            free(t);
            return -EINVAL;
        }
        nc++;
        if (g && g->end == k->off) {
            g->end = k->end;
            g->ts_lo = k->ts_min < g->ts_lo ? k->ts_min : g->ts_lo;
            g->ts_hi = k->ts_max > g->ts_hi ? k->ts_max : g->ts_hi;
            continue;
        }
        if (x->nranges == cap) {
            cap = cap ? cap * 2 : 8;
            struct range *nr = realloc(x->ranges, cap * sizeof(*nr));
            if (nr == NULL) {
                free(a);
                free(t);
                return -ENOMEM;
            }
            x->ranges = nr;
        }
        x->ranges[x->nranges++] = (struct range){ k->off, k->end, k->ts_min, k->ts_max };
    }
    free(a);
    free(t);
    return nc;
}

/* Whether the bytes after the index's data_end hold no record (pcap: none
 * at all; pcapng: only complete non-packet blocks). Else the index does
 * not cover the file. */
static bool tail_clean(struct ctx *c, struct xfile *x, uint64_t data_end)
{
    uint64_t size = (uint64_t)x->st.st_size;
    if (data_end > size)
        return false;
    if (data_end == size)
        return true;
    if (x->fmt == FMT_PCAP || size - data_end > TAIL_MAX)
        return false;
    size_t n = (size_t)(size - data_end);
    uint8_t *b = malloc(n);
    if (b == NULL)
        return false;
    ssize_t r = idxf_pread_full(x->fd, b, n, data_end);
    bool ok = r == (ssize_t)n;
    if (r > 0)
        c->rep->bytes_read += (uint64_t)r;
    size_t p = 0;
    while (ok && p < n) {
        if (n - p < 12) {
            ok = false;
            break;
        }
        uint32_t type;
        memcpy(&type, b + p, 4);
        if (type == PCAPNG_SHB_TYPE) {
            ok = false;
            break;
        }
        type = x->ngswap0 ? __builtin_bswap32(type) : type;
        uint32_t tl = rd32(b + p + 4, x->ngswap0);
        if (tl < 12 || (tl & 3) || tl > n - p || type == PCAPNG_EPB_TYPE ||
            type == PCAPNG_SPB_TYPE || type == PCAPNG_PB_TYPE || type == PCAPNG_IDB_TYPE) {
            ok = false;
            break;
        }
        p += tl;
    }
    free(b);
    return ok;
}

static void close_file(struct xfile *x)
{
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    free(x->buf);
    x->buf = NULL;
    free(x->ranges);
    x->ranges = NULL;
    x->nranges = 0;
}

static void free_file(struct xfile *x)
{
    close_file(x);
    free(x->ifs);
    free(x->if0);
    free(x->path);
    free(x);
}

/* Open x's index ahead of its turn and announce the key blocks the plan
 * will read (posix_fadvise WILLNEED), so the disk sees the reads of many
 * files at once. Returns whether x->pre holds it (else prepare loads it). */
static bool preopen(struct ctx *c, struct xfile *x)
{
    char why[512];
    struct loaded *l = malloc(sizeof(*l));
    if (l == NULL)
        return false;
    if (!load_index(c, x->path, l, why, sizeof(why))) {
        free(l);
        return false;
    }
    if (l->x.records && l->x.ts_max >= c->from && l->x.ts_min < c->to)
        idx_plan_prefetch(c->plan, &l->x);
    x->pre = l;
    return true;
}

static void drop_pre(struct ctx *c, struct xfile *x)
{
    if (x->pre) {
        unload(c, x->pre);
        free(x->pre);
        x->pre = NULL;
    }
}

/* Decide how to read x. Returns 1: to read, 0: nothing to read (closed),
 * -1: failed (recorded). */
static int prepare(struct ctx *c, struct xfile *x)
{
    struct loaded l = { .fd = -1 };
    char why[5000] = "";
    int rc = 1;
    bool have = false, trusted = false;

    if (stat(x->path, &x->st) < 0) {
        file_fail(c, x, EXIT_NOINPUT, "%s", strerror(errno));
        return -1;
    }
    if (x->pre) {
        l = *x->pre;
        free(x->pre);
        x->pre = NULL;
        have = true;
    } else {
        have = load_index(c, x->path, &l, why, sizeof(why));
    }
    if (have) {
        /* unchanged since the index was written: prune without opening */
        trusted = (uint64_t)x->st.st_size == l.x.ident.file_size &&
                  ts_newer_eq(&l.st.st_mtim, &x->st.st_mtim);
        if (trusted && (l.x.records == 0 || l.x.ts_max < c->from || l.x.ts_min >= c->to)) {
            c->rep->chunks_total += l.x.nchunks;
            unload(c, &l);
            return 0;
        }
        if (trusted) {
            x->data_off = 0;    /* checked again against the header below */
            long nc = candidates(c, &l.x, x);
            if (nc == 0) {
                c->rep->chunks_total += l.x.nchunks;
                unload(c, &l);
                return 0;
            }
        }
    }
    x->fd = open(x->path, O_RDONLY | O_CLOEXEC);
    if (x->fd < 0) {
        int e = errno;
        unload(c, &l);
        file_fail(c, x, e == EMFILE || e == ENFILE ? EXIT_IOERR : EXIT_NOINPUT,
                  "cannot open: %s", strerror(e));
        return -1;
    }
    c->rep->files_opened++;
    if (fstat(x->fd, &x->st) < 0 || !S_ISREG(x->st.st_mode)) {
        unload(c, &l);
        file_fail(c, x, EXIT_NOINPUT, "not a regular file");
        return -1;
    }
    const char *bad = "";
    int hr = read_header(c, x, &bad);
    if (hr < 0) {
        unload(c, &l);
        if (hr == -EINVAL)
            file_fail(c, x, EXIT_NOINPUT, "%s", bad);
        else
            file_fail(c, x, hr == -ENOMEM ? EXIT_OSERR : EXIT_IOERR, "read error: %s",
                      strerror(-hr));
        return -1;
    }
    if (have) {
        struct idx_ident id = { .file_size = (uint64_t)x->st.st_size,
                                .format = x->fmt == FMT_PCAP ? 1 : 2 };
        ssize_t n = idxf_pread_full(x->fd, id.head, HEAD_LEN, 0);
        if (!ts_newer_eq(&l.st.st_mtim, &x->st.st_mtim)) {
            snprintf(why, sizeof(why), "stale index (%s was modified after %s%s)", x->path,
                     x->path, IDX_SUFFIX);
            have = false;
        } else if (n < 0 || !idx_matches(&l.x, &id)) {
            snprintf(why, sizeof(why), "stale index (the file changed after %s%s was written)",
                     x->path, IDX_SUFFIX);
            have = false;
        } else if (!tail_clean(c, x, l.x.ident.data_end)) {
            snprintf(why, sizeof(why), "stale index (records after its data end)");
            have = false;
        }
    }
    if (have) {
        if (l.x.records == 0 || l.x.ts_max < c->from || l.x.ts_min >= c->to)
            rc = 0;
        else {
            long nc = candidates(c, &l.x, x);
            if (nc == -ENOMEM) {
                unload(c, &l);
                file_fail(c, x, EXIT_OSERR, "out of memory");
                return -1;
            }
            if (nc < 0) {
                snprintf(why, sizeof(why), "%s%s: chunks out of place", x->path, IDX_SUFFIX);
                have = false;
            } else {
                c->rep->chunks_read += (uint64_t)nc;
                rc = nc > 0;
            }
        }
        if (have) {
            c->rep->chunks_total += l.x.nchunks;
            unload(c, &l);
            if (rc == 0) {
                close_file(x);
                return 0;
            }
            return 1;
        }
    }
    {
        unload(c, &l);
        c->rep->files_scanned++;
        unsigned max = c->req->scan_open_max ? c->req->scan_open_max : SCAN_OPEN_MAX;
        if (c->nscan >= max) {
            /* build the index in memory so the file opens only when the
             * merge reaches its time */
            uint8_t *img = NULL;
            size_t len = 0;
            char e[256] = "";
            struct idx ix;
            if (idx_build_fd(x->fd, &img, &len, e, sizeof(e)) == 0 &&
                idx_open(&ix, img, len, e, sizeof(e)) == 0) {
                c->rep->bytes_read += (uint64_t)x->st.st_size;
                note(c, "%s: %s: indexed in memory", x->path, why);
                x->rebuilt = true;
                long nc = 0;
                if (ix.records && ix.ts_max >= c->from && ix.ts_min < c->to)
                    nc = candidates(c, &ix, x);
                if (nc >= 0) {
                    c->rep->chunks_total += ix.nchunks;
                    c->rep->chunks_read += (uint64_t)nc;
                }
                idx_close(&ix);
                free(img);
                img = NULL;
                if (nc == -ENOMEM) {
                    file_fail(c, x, EXIT_OSERR, "out of memory");
                    return -1;
                }
                if (nc == 0) {
                    close_file(x);
                    return 0;
                }
                if (nc > 0)
                    return 1;
                x->rebuilt = false;     /* not usable after all: scan */
            }
            free(img);
        }
        note(c, "%s: %s: scanning the whole file", x->path, why);
        c->nscan++;
        x->scan = true;
    }
    return 1;
}

/* Announce the candidate byte ranges to the kernel (asynchronous
 * readahead), up to a budget, so cold reads queue in parallel. */
static void prefetch(struct ctx *c, struct xfile *x)
{
    if (x->scan) {
        posix_fadvise(x->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        return;
    }
    for (size_t i = 0; i < x->nranges && c->prefetched < PREFETCH_BUDGET; i++) {
        uint64_t n = x->ranges[i].end - x->ranges[i].off;
        posix_fadvise(x->fd, (off_t)x->ranges[i].off, (off_t)n, POSIX_FADV_WILLNEED);
        c->prefetched += n;
    }
}

/* ---------------------------------------------------------------- the merge */

static bool heap_less(const struct xfile *a, const struct xfile *b)
{
    uint64_t ka = a->started ? a->ts : a->key_lo, kb = b->started ? b->ts : b->key_lo;
    if (ka != kb)
        return ka < kb;
    /* mergecap's rule: of the heads with the same timestamp, the file
     * given last goes first (wiretap's is_earlier() holds for ties) */
    return a->order > b->order;
}

static void heap_down(struct xfile **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(h[l], h[m]))
            m = l;
        if (l + 1 < n && heap_less(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        struct xfile *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static int start_file(struct ctx *c, struct xfile *x)
{
    x->bcap = x->scan ? BUF_SCAN : BUF_CHUNK;
    x->buf = malloc(x->bcap);
    if (x->buf == NULL)
        return fail(c, EXIT_OSERR, "out of memory");
    x->started = true;
    x->ngswap = x->ngswap0;
    if (x->scan)
        range_start(x, x->data_off, (uint64_t)x->st.st_size);
    else
        range_start(x, x->ranges[0].off, x->ranges[0].end);
    return 0;
}

static int merge(struct ctx *c, struct xfile **h, size_t n)
{
    for (size_t i = n; i-- > 0;)
        heap_down(h, n, i);
    uint64_t max = c->req->max_count;
    while (n > 0) {
        struct xfile *x = h[0];
        if (x->started) {
            if (max && c->rep->records_written >= max)
                break;
            if (out_record(c, x) < 0)
                return -1;
        } else if (start_file(c, x) < 0) {
            return -1;
        }
        int r = next_match(c, x);
        if (r < 0 && c->rc != EXIT_NOINPUT && c->rc != EXIT_IOERR)
            return -1;
        if (r <= 0) {
            close_file(x);
            h[0] = h[--n];
        }
        if (n)
            heap_down(h, n, 0);
    }
    return 0;
}

/* ---------------------------------------------------------------- the run */

/* The largest snaplen (0 = 262144) of the inputs' interfaces of a link type. */
static uint32_t snap_max(struct xfile **live, size_t nlive, uint32_t linktype)
{
    uint32_t m = 0;
    for (size_t i = 0; i < nlive; i++) {
        struct xfile *x = live[i];
        struct iface *fs = x->fmt == FMT_PCAP ? &x->pif : x->if0;
        uint32_t nf = x->fmt == FMT_PCAP ? 1 : x->nif0;
        for (uint32_t k = 0; k < nf; k++) {
            uint32_t s = fs[k].snaplen ? fs[k].snaplen : 262144;
            if (fs[k].linktype == linktype && s > m)
                m = s;
        }
    }
    return m ? m : 262144;
}

int extract_run(const struct extract_req *req, struct extract_report *rep, char *err,
                size_t errlen)
{
    struct ctx c = { .req = req, .rep = rep, .err = err, .errlen = errlen };
    uint64_t t0 = now_mono_ns();
    struct xfile **live = NULL;
    size_t nlive = 0;

    memset(rep, 0, sizeof(*rep));
    if (errlen)
        err[0] = '\0';
    c.from = req->from_ns;
    c.to = req->to_ns ? req->to_ns : UINT64_MAX;
    c.has_expr = req->expr && req->expr[strspn(req->expr, " \t\n")] != '\0';
    c.out.req = req;
    c.out.rep = rep;
    c.out.cap = 1u << 20;
    if ((c.out.buf = malloc(c.out.cap)) == NULL) {
        fail(&c, EXIT_OSERR, "out of memory");
        goto done;
    }
    if (req->format != EXTRACT_PCAP && req->format != EXTRACT_PCAPNG) {
        fail(&c, EXIT_USAGE, "unknown output format %d", (int)req->format);
        goto done;
    }
    /* the expression first: a bad one reads nothing (Ethernet: linecap's
     * link type; other link types of the files are compiled as found) */
    if (prog_compile(&c, LINKTYPE_ETHERNET, NULL) < 0)
        goto done;
    if (c.has_expr) {
        char e[256];
        if (idx_plan_compile(req->expr, &c.plan, e, sizeof(e)) != 0)
            c.plan = NULL;      /* no pruning by keys; time still prunes */
    }
    for (size_t i = 0; i < req->npaths; i++) {
        struct stat st;
        const char *p = req->paths[i];
        if (stat(p, &st) < 0) {
            fail(&c, EXIT_NOINPUT, "%s: %s", p, strerror(errno));
            goto done;
        }
        if (S_ISDIR(st.st_mode))
            add_dir(&c, p);
        else
            add_file(&c, p, &st);
        if (c.rc)
            goto done;
    }
    rep->files_considered = c.nfiles;
    if (c.nfiles == 0) {
        fail(&c, EXIT_NOINPUT, "no capture file (*.pcap, *.pcapng, *.cap) in %s%s",
             req->npaths ? req->paths[0] : "(no path)", req->npaths > 1 ? " ..." : "");
        goto done;
    }
    /* warm the index files' heads and chunk tables: their reads then
     * overlap (the key blocks are announced by preopen, a window ahead) */
    for (size_t i = 0; i < c.nfiles; i++) {
        char ip[4200];
        snprintf(ip, sizeof(ip), "%s%s", c.files[i]->path, IDX_SUFFIX);
        int fd = open(ip, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            posix_fadvise(fd, 0, IDX_HEAD_WILLNEED, POSIX_FADV_WILLNEED);
            close(fd);
        }
    }
    /* and the capture files' first page: phase 1 reads the header of each
     * file it cannot prune by its index alone, one file after another
     * (cold: one disk round trip each, 1,000 files about 0.5 s) */
    for (size_t i = 0; i < c.nfiles; i++) {
        int fd = open(c.files[i]->path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            posix_fadvise(fd, 0, 4096, POSIX_FADV_WILLNEED);
            close(fd);
        }
    }
    live = calloc(c.nfiles, sizeof(*live));
    if (live == NULL) {
        fail(&c, EXIT_OSERR, "out of memory");
        goto done;
    }
    /* descriptors: the capture files kept open (at most one per live file)
     * and the indexes opened ahead stay below the limit */
    struct rlimit rl;
    uint64_t fdmax = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                         ? (uint64_t)rl.rlim_cur : 1024;
    size_t ahead = 0, npre = 0;
    for (size_t i = 0; i < c.nfiles; i++) {
        struct xfile *x = c.files[i];
        if (ahead <= i)
            ahead = i + 1;
        while (ahead < c.nfiles && ahead < i + PREOPEN_AHEAD &&
               nlive + npre + FD_SPARE < fdmax) {
            npre += preopen(&c, c.files[ahead]);
            ahead++;
        }
        if (x->pre)
            npre--;
        int r = prepare(&c, x);
        if (r < 0 && (c.rc == EXIT_OSERR || c.rc == EXIT_FILTER))
            goto done;
        if (r <= 0) {
            close_file(x);
            continue;
        }
        x->key_lo = x->scan ? 0 : UINT64_MAX;
        for (size_t k = 0; k < x->nranges; k++)
            if (x->ranges[k].ts_lo < x->key_lo)
                x->key_lo = x->ranges[k].ts_lo;
        if (x->key_lo < c.from)
            x->key_lo = c.from;
        live[nlive++] = x;
    }
    if (c.rc != 0 && nlive == 0)
        goto done;              /* nothing readable: no output at all */
    /* the link types of the files to read: each compiles, and pcap holds one */
    uint32_t lt0 = LINKTYPE_ETHERNET, snap = 0;
    const char *lt0_path = NULL;
    for (size_t i = 0; i < nlive; i++) {
        struct xfile *x = live[i];
        struct iface *fs = x->fmt == FMT_PCAP ? &x->pif : x->if0;
        uint32_t nf = x->fmt == FMT_PCAP ? 1 : x->nif0;
        for (uint32_t k = 0; k < nf; k++) {
            if (prog_compile(&c, fs[k].linktype, x->path) < 0)
                goto done;
            uint32_t s = fs[k].snaplen ? fs[k].snaplen : 262144;
            snap = s > snap ? s : snap;
            if (lt0_path == NULL) {
                lt0 = fs[k].linktype;
                lt0_path = x->path;
            } else if (fs[k].linktype != lt0 && req->format == EXTRACT_PCAP) {
                fail(&c, EXIT_USAGE, "%s has link type %u and %s link type %u: a pcap file "
                     "holds one link type (use -F pcapng)", lt0_path, lt0, x->path,
                     fs[k].linktype);
                goto done;
            }
        }
    }
    if (snap == 0)
        snap = 262144;
    /* the output header */
    if (req->format == EXTRACT_PCAP) {
        c.out_linktype = lt0;
        out_pcap_header(&c.out, lt0, snap);
    } else {
        out_shb(&c.out);
        for (size_t i = 0; i < nlive; i++) {
            struct xfile *x = live[i];
            struct iface *fs = x->fmt == FMT_PCAP ? &x->pif : x->if0;
            uint32_t nf = x->fmt == FMT_PCAP ? 1 : x->nif0;
            for (uint32_t k = 0; k < nf; k++)
                fs[k].outif = out_if(&c.out, fs[k].linktype,
                                     snap_max(live, nlive, fs[k].linktype));
        }
        if (c.out.noif == 0)
            out_if(&c.out, LINKTYPE_ETHERNET, 262144);
    }
    /* the running interface tables start as copies of the header ones */
    for (size_t i = 0; i < nlive; i++) {
        struct xfile *x = live[i];
        x->nifs = 0;
        for (uint32_t k = 0; k < x->nif0; k++)
            if (if_add(x, &x->if0[k]) < 0) {
                fail(&c, EXIT_OSERR, "out of memory");
                goto done;
            }
    }
    for (size_t i = 0; i < nlive && c.prefetched < PREFETCH_BUDGET; i++)
        prefetch(&c, live[i]);
    if (c.out.err == 0)
        merge(&c, live, nlive);
    if (out_flush(&c.out) < 0)
        fail(&c, EXIT_IOERR, "writing the output: %s", strerror(-c.out.err));

done:
    free(live);
    for (size_t i = 0; i < c.nfiles; i++) {
        drop_pre(&c, c.files[i]);
        free_file(c.files[i]);
    }
    free(c.files);
    for (int i = 0; i < c.nprogs; i++)
        if (c.has_expr)
            pcap_freecode(&c.progs[i].bpf);
    free(c.progs);
    if (c.plan)
        idx_plan_free(c.plan);
    free(c.out.buf);
    rep->elapsed_s = (double)(now_mono_ns() - t0) / 1e9;
    return c.rc;
}

/* ---------------------------------------------------------------- TIME */

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n digits at s into *v; false unless all are digits */
static bool digits(const char *s, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return true;
}

/* ".ddd" at *s: up to 9 digits kept as ns (more are truncated) */
static int fraction(const char **s, uint64_t *ns)
{
    *ns = 0;
    if (**s != '.')
        return 0;
    (*s)++;
    if (!isdigit((unsigned char)**s))
        return -EINVAL;
    uint64_t scale = 100000000;
    while (isdigit((unsigned char)**s)) {
        *ns += (uint64_t)(**s - '0') * scale;
        scale /= 10;
        (*s)++;
    }
    return 0;
}

int extract_parse_time(const char *s, uint64_t now_ns, uint64_t *ns)
{
    if (s == NULL || *s == '\0')
        return -EINVAL;
    if (strcmp(s, "now") == 0) {
        *ns = now_ns;
        return 0;
    }
    if (s[0] == '-') {
        /* relative: -N[.f]UNIT */
        const char *p = s + 1;
        uint64_t whole = 0, frac;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        while (isdigit((unsigned char)*p)) {
            if (whole > 1000000000000ull)
                return -ERANGE;
            whole = whole * 10 + (uint64_t)(*p++ - '0');
        }
        if (fraction(&p, &frac) < 0)
            return -EINVAL;
        uint64_t unit;
        if (strcmp(p, "ms") == 0)
            unit = 1000000ull;
        else if (strcmp(p, "s") == 0)
            unit = 1000000000ull;
        else if (strcmp(p, "m") == 0)
            unit = 60000000000ull;
        else if (strcmp(p, "h") == 0)
            unit = 3600000000000ull;
        else if (strcmp(p, "d") == 0)
            unit = 86400000000000ull;
        else
            return -EINVAL;
        unsigned __int128 d = (unsigned __int128)whole * unit +
                              (unsigned __int128)frac * unit / 1000000000ull;
        if (d > now_ns)
            return -ERANGE;
        *ns = now_ns - (uint64_t)d;
        return 0;
    }
    size_t n = strlen(s);
    if (strspn(s, "0123456789") == n || (strchr(s, '.') && strspn(s, "0123456789.") == n)) {
        const char *p = s;
        uint64_t sec = 0, frac;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        while (isdigit((unsigned char)*p)) {
            if (sec > 10000000000ull)
                return -ERANGE;
            sec = sec * 10 + (uint64_t)(*p++ - '0');
        }
        if (fraction(&p, &frac) < 0 || *p)
            return -EINVAL;
        if (sec > UINT64_MAX / 1000000000ull - 1)
            return -ERANGE;
        *ns = sec * 1000000000ull + frac;
        return 0;
    }
    /* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
    unsigned Y, M, D, h, m, sec, oh = 0, om = 0;
    if (n < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
        !digits(s + 8, 2, &D) || !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return -EINVAL;
    const char *p = s + 19;
    uint64_t frac;
    if (fraction(&p, &frac) < 0)
        return -EINVAL;
    int sign = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        sign = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && digits(p + 1, 2, &oh) &&
               p[3] == ':' && digits(p + 4, 2, &om)) {
        sign = *p == '+' ? 1 : -1;
    } else {
        return -EINVAL;
    }
    static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) ||
        h > 23 || m > 59 || sec > 60 || oh > 23 || om > 59)
        return -ERANGE;
    int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + (sec == 60 ? 59 : sec);
    t -= sign * (int64_t)(oh * 3600 + om * 60);
    if (t < 0)
        return -ERANGE;
    *ns = (uint64_t)t * 1000000000ull + frac;
    return 0;
}
