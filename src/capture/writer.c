/* Writer thread: takes blocks from every stream's ring in order, writes each
 * in place with one aligned direct write, and carries out the file
 * lifecycle the stream marked (start, end). All slow work (open, trim,
 * fsync, rename, unlink) happens here, never on a receive lcore. */
#include "capture/writer.h"
#include "common/exitcodes.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/statvfs.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "format/pcap.h"
#include "format/pcapng.h"
#include "index/index.h"

static void wcnt_add(struct writer_stream *ws, int si, int idx, uint64_t n)
{
    __atomic_store_n(&ws->cnt[si].v[idx], ws->cnt[si].v[idx] + n, __ATOMIC_RELAXED);
}

/* First fatal error wins; the capture stops and exits with code. */
static void fail(struct writer *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct writer *w, int code, const char *fmt, ...)
{
    struct run_state *r = w->run;
    if (r->fatal == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->fatal_msg, sizeof(r->fatal_msg), fmt, ap);
        va_end(ap);
        __atomic_store_n(&r->fatal, code, __ATOMIC_RELEASE);
    }
    r->stop = 1;
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Per interface (port), cumulative since the capture started, over every
 * queue of the port whichever stream polls it. The receive counters are
 * relaxed loads (exact at the final close: the receive lcores have
 * stopped); the writer's own are exact; the device's are what the main
 * thread last published (its final reading at the final close). */
static void writer_ifstats(const struct writer *w, struct format_ifstats *st)
{
    const int nif = w->finfo->nifaces;
    const uint64_t now = realtime_ns();

    memset(st, 0, sizeof(*st) * (size_t)nif);
    for (int p = 0; p < nif; p++) {
        const uint64_t *v = w->ports[p].v;
        st[p].start_ns = w->start_ns;
        st[p].end_ns = now;
        st[p].ifrecv = __atomic_load_n(&v[PC_nic_packets], __ATOMIC_RELAXED);
        st[p].ifdrop = __atomic_load_n(&v[PC_nic_missed], __ATOMIC_RELAXED) +
                       __atomic_load_n(&v[PC_nic_errors], __ATOMIC_RELAXED);
        st[p].osdrop = __atomic_load_n(&v[PC_mbuf_failures], __ATOMIC_RELAXED);
    }
    for (int i = 0; i < w->nstreams; i++) {
        const struct writer_stream *ws = &w->ws[i];
        const struct rx_stream *rx = ws->rx;
        for (int si = 0; si < rx->nsrc; si++) {
            struct format_ifstats *f = &st[rx->src[si].ifid];
            uint64_t v[QC_MAX];
            pipeline_source_counters(rx, ws->cnt, si, v);
            f->filteraccept += v[QC_received] > v[QC_filtered] ? v[QC_received] - v[QC_filtered] : 0;
            f->osdrop += v[QC_dropped_no_block] + v[QC_lost_disk] + v[QC_unwritten_abort];
            f->usrdeliv += v[QC_written];
            f->short_frames += v[QC_short_frames];
        }
    }
}

static bool reclaim_oldest(struct writer *w);

/* Write n bytes at off of the open file. With a room policy, a full disk
 * deletes this run's oldest closed file and writes again, while one is
 * left. 0 or -errno; on success the file's size on disk is updated. */
static int write_at(struct writer *w, struct writer_stream *ws, const void *buf, size_t n,
                    uint64_t off, bool *fell_back)
{
    int rc = outfile_pwrite(&ws->f, buf, n, off, fell_back);
    while (rc == -ENOSPC && ret_reclaims(&w->ret) && reclaim_oldest(w))
        rc = outfile_pwrite(&ws->f, buf, n, off, fell_back);
    if (rc == 0 && off + n > ws->disk_size)
        ws->disk_size = off + n;
    return rc;
}

/* Append the format's trailer (pcapng: the statistics blocks) after the
 * last complete record: the file's last partial page, kept in ws->tail, is
 * written again with the trailer behind it in one aligned write, and the
 * close trims the zero padding after it. On failure the file keeps its
 * records and ends without the trailer. */
static void write_trailer(struct writer *w, struct writer_stream *ws)
{
    struct format_ifstats st[FORMAT_MAX_IFACES];
    size_t keep = (size_t)(ws->rec_ok - ws->tail_off);

    writer_ifstats(w, st);
    size_t n = w->fmt->file_trailer(ws->tail + keep, WRITER_TAIL_CAP - keep, w->finfo, st);
    if (n == 0) {
        fail(w, EXIT_SOFTWARE, "statistics blocks of %s/%s do not fit %u bytes <- writer stream %d",
             w->tmpl.dir, ws->f.partial, WRITER_TAIL_CAP, ws->rx->id);
        return;
    }
    size_t padded = (keep + n + BLOCK_ALIGN - 1) & ~(size_t)(BLOCK_ALIGN - 1);
    memset(ws->tail + keep + n, 0, padded - keep - n);
    bool fell_back = false;
    int rc = write_at(w, ws, ws->tail, padded, ws->tail_off, &fell_back);
    if (rc < 0) {
        fail(w, EXIT_IOERR, "write %s/%s at offset %llu (statistics blocks): %s <- writer stream %d",
             w->tmpl.dir, ws->f.partial, (unsigned long long)ws->tail_off, strerror(-rc),
             ws->rx->id);
        return;
    }
    ws->f.length = ws->rec_ok + n;
}

/* After a block is written: keep the page holding the end of its last
 * complete record, up to that end (it lies inside the block: file_off is
 * aligned). At most 4095 bytes per block. */
static void keep_tail(struct writer_stream *ws, const struct block *b)
{
    uint64_t page = b->rec_end & ~(uint64_t)(BLOCK_ALIGN - 1);
    memcpy(ws->tail, b->data + (page - b->file_off), (size_t)(b->rec_end - page));
    ws->tail_off = page;
}

/* ---- the index of the open file ----
 *
 * After each block is written, its records are walked and added to the
 * stream's index builder, in file order. Blocks of a file hold one
 * continuous byte stream: a flushed partial block's last page comes again at
 * the start of the next block (the walk resumes at the next record, past
 * it), and a record may straddle a full block and the next one (its first
 * bytes wait in ix.carry). pcap records follow the 24-byte file header;
 * pcapng is walked block by block from offset 0 and only EPBs are records.
 * The walk runs on the index thread (ix_main) while the writer waits for
 * the disk: walked by the writer itself, net_null 64 B wrote 0.43x as many
 * Mpps as --no-index; on the index thread 0.99x (bench/ab.sh, 6 pairs,
 * 0.89-1.03). */

#define IX_PREFETCH 4096     /* bytes of a block read ahead of the walk */

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Bytes of a record header that give its length: pcap's 16-byte header,
 * a pcapng block's type and total length. */
static uint32_t ix_hdr_len(bool ng)
{
    return ng ? 8 : (uint32_t)sizeof(struct pcap_rec_hdr);
}

/* The length of the record or block whose header is at r; 0 when it cannot
 * be one (this stream's own bytes: only a bug gets here). */
static uint32_t ix_rec_len(const struct writer_index *x, bool ng, const uint8_t *r)
{
    uint64_t n = ng ? rd32(r + 4) : (uint64_t)sizeof(struct pcap_rec_hdr) + rd32(r + 8);
    if (n < ix_hdr_len(ng) || n > x->carry_cap || (ng && (n % 4 != 0 || n < 12)))
        return 0;
    return (uint32_t)n;
}

static void ix_add(struct writer *w, struct writer_index *x, bool ng, uint64_t off,
                   const uint8_t *r, uint32_t rl, bool light)
{
    uint64_t ts;
    uint32_t caplen;
    const uint8_t *frame;
    if (ng) {
        if (rd32(r) != PCAPNG_EPB_TYPE)
            return;                     /* the section and interface headers */
        if (rl < sizeof(struct pcapng_epb) + 4) {
            x->err = -EILSEQ;
            return;
        }
        ts = (uint64_t)rd32(r + 12) << 32 | rd32(r + 16);      /* if_tsresol 9: ns */
        caplen = rd32(r + 20);
        frame = r + sizeof(struct pcapng_epb);
        if (caplen > rl - sizeof(struct pcapng_epb) - 4) {
            x->err = -EILSEQ;
            return;
        }
    } else {
        ts = (uint64_t)rd32(r) * 1000000000ULL + rd32(r + 4);
        caplen = rl - (uint32_t)sizeof(struct pcap_rec_hdr);
        frame = r + sizeof(struct pcap_rec_hdr);
    }
    /* light: by time only (link type 0: an opaque record, which every
     * query reads) */
    x->shed += light;
    if (idx_builder_add(x->b, off, rl, ts, frame, caplen, light ? 0 : w->finfo->linktype) < 0)
        x->err = -ENOMEM;
}

/* Until the index thread has walked every block queued so far (before a
 * file's index is started or finished). At most a block's walk. */
static void ix_wait(struct writer *w)
{
    const struct timespec ts = { 0, 20000 };
    while (w->ixq && __atomic_load_n(&w->ix_done, __ATOMIC_ACQUIRE) != w->ix_sent)
        nanosleep(&ts, NULL);
}

/* A new file: an empty builder, the walk at its first record. */
static void ix_start(struct writer *w, struct writer_stream *ws, const struct block *b)
{
    struct writer_index *x = &ws->ix;
    if (x->b == NULL)
        return;
    ix_wait(w);
    idx_builder_reset(x->b);
    x->err = 0;
    x->carry_len = 0;
    x->shed = 0;
    x->next = w->fmt->kind == FORMAT_PCAPNG ? 0 : sizeof(struct pcap_file_hdr);
    memset(x->head, 0, sizeof(x->head));
    memcpy(x->head, b->data, b->len < sizeof(x->head) ? b->len : sizeof(x->head));
}

/* Add the records of block b, just written; light: their places and times
 * only, no keys. */
static void ix_block(struct writer *w, struct writer_stream *ws, const struct block *b, bool light)
{
    struct writer_index *x = &ws->ix;
    if (x->b == NULL || x->err)
        return;
    const bool ng = w->fmt->kind == FORMAT_PCAPNG;
    const uint32_t hl = ix_hdr_len(ng);
    const uint64_t off0 = b->file_off, end = off0 + b->len;
    uint64_t p = x->next;
    uint32_t used = 0;          /* bytes of b that completed the carried record */

    if (x->carry_len) {
        /* the rest of a record that began in the previous block */
        uint32_t have = x->carry_len;
        if (off0 != p + have) {
            x->err = -EILSEQ;
            return;
        }
        if (have < hl) {
            used = hl - have < b->len ? hl - have : b->len;
            memcpy(x->carry + have, b->data, used);
            have += used;
            if (have < hl) {
                x->carry_len = have;
                return;
            }
        }
        uint32_t rl = ix_rec_len(x, ng, x->carry);
        if (rl == 0) {
            x->err = -EILSEQ;
            return;
        }
        uint32_t more = rl - have;
        if (more > b->len - used) {     /* longer than this block too (not with our blocks) */
            memcpy(x->carry + have, b->data + used, b->len - used);
            x->carry_len = have + (b->len - used);
            return;
        }
        memcpy(x->carry + have, b->data + used, more);
        ix_add(w, x, ng, p, x->carry, rl, light);
        p += rl;
        x->carry_len = 0;
    }
    if (p < off0) {
        x->err = -EILSEQ;               /* a gap: bytes never seen */
        return;
    }
    /* The block was written by the receive core: each record header read
     * here would be a cache miss that stalls the walk (it needs that header
     * for the next record's place). Prefetch the lines ahead as a stream. */
    const uint8_t *pf = b->data + ((p - off0) & ~(uint64_t)63), *bend = b->data + b->len;
    while (p < end && end - p >= hl) {
        const uint8_t *r = b->data + (p - off0);
        const uint8_t *want = bend - r > IX_PREFETCH ? r + IX_PREFETCH : bend;
        for (; pf < want; pf += 64)
            __builtin_prefetch(pf);
        uint32_t rl = ix_rec_len(x, ng, r);
        if (rl == 0) {
            x->err = -EILSEQ;
            return;
        }
        if (end - p < rl)
            break;
        ix_add(w, x, ng, p, r, rl, light);
        p += rl;
    }
    if (p < end) {                      /* straddles into the next block */
        x->carry_len = (uint32_t)(end - p);
        memcpy(x->carry, b->data + (p - off0), x->carry_len);
    }
    x->next = p;
}

/* A file left without an index: counted, and said (the first few times). */
static void ix_failed(struct writer *w, struct writer_stream *ws, const char *name, int err)
{
    __atomic_store_n(&w->idx_failed, w->idx_failed + 1, __ATOMIC_RELAXED);
    if (w->idx_failed <= 3)
        lc_warn("index of %s/%s not written: %s (the capture file is whole; its index can be "
                "built later)%s <- writer stream %d", w->tmpl.dir, name,
                err == -EILSEQ ? "its records were not walked in step" : strerror(-err),
                w->idx_failed == 3 ? "; further such files are not reported" : "", ws->rx->id);
}

/* Room for n more bytes under --disk-limit/--min-free, deleting this run's
 * oldest closed files; false when none is left. */
static bool room_for(struct writer *w, uint64_t n, enum ret_room *why);

/* Write the open file's index under its partial name (synced with the
 * capture file's policy), before the capture file is renamed; *xf is then
 * open for ix_commit. Returns 0, or a negative errno (nothing is left). */
static int ix_write(struct writer *w, struct writer_stream *ws, struct outfile *xf, size_t *len)
{
    struct writer_index *x = &ws->ix;
    char name[sizeof(ws->f.final) + 8];
    uint8_t *img = NULL;
    bool fell_back = false;

    ix_wait(w);
    if (x->err)
        return x->err;
    if (x->next != ws->rec_ok)
        return -EILSEQ;
    if (snprintf(name, sizeof(name), "%s%s", ws->f.final, IDX_SUFFIX) >= (int)sizeof(name))
        return -ENAMETOOLONG;
    struct idx_ident id = {
        .file_size = ws->f.length,
        .data_end = ws->rec_ok,
        .format = w->fmt->kind == FORMAT_PCAPNG ? 2 : 1,
    };
    memcpy(id.head, x->head, sizeof(id.head));
    if (ws->f.length < sizeof(id.head))
        memset(id.head + ws->f.length, 0, sizeof(id.head) - ws->f.length);
    int rc = idx_builder_finish(x->b, &id, &img, len);
    if (rc < 0)
        return rc;
    enum ret_room why;
    if (ret_reclaims(&w->ret) && !room_for(w, *len, &why)) {
        free(img);
        return -ENOSPC;
    }
    rc = outfile_open(xf, w->dirfd, name, w->mode, false, &fell_back);
    if (rc < 0) {
        free(img);
        return rc;
    }
    rc = outfile_pwrite(xf, img, *len, 0, &fell_back);
    while (rc == -ENOSPC && ret_reclaims(&w->ret) && reclaim_oldest(w))
        rc = outfile_pwrite(xf, img, *len, 0, &fell_back);
    free(img);
    xf->length = *len;
    if (rc == 0 && w->sync && fdatasync(xf->fd) < 0)
        rc = -errno;
    if (rc < 0)
        outfile_discard(xf);
    return rc;
}

/* Give the index written by ix_write its final name, right after its
 * capture file got its own (the caller syncs the directory once for both).
 * 0 or a negative errno (then no index remains). */
static int ix_commit(struct writer *w, struct outfile *xf)
{
    int rc = outfile_close(xf, false);
    if (rc < 0)
        unlinkat(w->dirfd, xf->final, 0);
    return rc;
}

/* Delete a closed file and its index (the index after the file: a crash
 * between leaves an index that names a missing file, never a file whose
 * index was lost while it stayed). Returns 0 or -errno of the file. */
static int delete_file(struct writer *w, const struct file_record *fr)
{
    if (unlinkat(w->dirfd, fr->name, 0) < 0 && errno != ENOENT)
        return -errno;
    if (fr->indexed) {
        char name[sizeof(fr->name) + 8];
        snprintf(name, sizeof(name), "%s%s", fr->name, IDX_SUFFIX);
        if (unlinkat(w->dirfd, name, 0) < 0 && errno != ENOENT)
            lc_warn("cannot remove %s/%s: %s", w->tmpl.dir, name, strerror(errno));
    }
    return 0;
}

/* A file closed whole: it counts towards the room policy and enters its
 * stream's -b files:N ring, which may push out the oldest (deleted here:
 * only files this run wrote, by the exact names it gave them). */
static void ring_delete(struct writer *w, unsigned old)
{
    const char *name = w->ret.files[old].name;
    int rc = delete_file(w, &w->ret.files[old]);
    if (rc == 0)
        ret_removed(&w->ret, old, false);
    else
        lc_warn("ring buffer: cannot remove %s: %s", name, strerror(-rc));
}

/* Whether file i's post-rotate command has not finished (queued or running). */
static bool hook_busy(const struct writer *w, unsigned i)
{
    return w->hook && w->ret.files[i].hook_seq && hook_pending(w->hook, w->ret.files[i].hook_seq);
}

/* The ring's deletions that waited for a hook: done once it finished (a
 * file deleted meanwhile to make room is skipped). */
static void ring_deferred(struct writer *w, bool at_exit)
{
    unsigned k = 0;
    for (unsigned j = 0; j < w->ndeferred; j++) {
        unsigned i = w->deferred[j];
        const struct file_record *fr = &w->ret.files[i];
        if (fr->deleted)
            continue;
        if (at_exit ? fr->hook == HOOK_NOT_RUN || fr->hook == HOOK_RUNNING : hook_busy(w, i))
            w->deferred[k++] = i;           /* still waiting (at exit: kept) */
        else
            ring_delete(w, i);
    }
    w->ndeferred = k;
}

static void keep_file(struct writer *w, struct writer_stream *ws, unsigned idx)
{
    int old = ret_keep(&w->ret, (int)(ws - w->ws), idx);
    if (old < 0)
        return;
    if (hook_busy(w, (unsigned)old)) {
        /* never deleted before its command has run: kept until then */
        if (w->ndeferred == w->cap_deferred) {
            unsigned cap = w->cap_deferred ? w->cap_deferred * 2 : 16;
            unsigned *d = realloc(w->deferred, cap * sizeof(*d));
            if (d == NULL) {
                ring_delete(w, (unsigned)old);
                return;
            }
            w->deferred = d;
            w->cap_deferred = cap;
        }
        w->deferred[w->ndeferred++] = (unsigned)old;
        return;
    }
    ring_delete(w, (unsigned)old);
}

void writer_flush_deferred(struct writer *w)
{
    ring_deferred(w, true);
}

static void close_file(struct writer *w, struct writer_stream *ws)
{
    if (!ws->open)
        return;
    if (ws->rec_ok == 0) {
        /* not even the file header was written (the first write failed):
         * no file rather than an empty one under a final name */
        outfile_discard(&ws->f);
        ws->open = false;
        ws->disk_size = 0;
        return;
    }
    ws->f.length = ws->rec_ok;
    if (w->fmt->file_trailer && ws->tail && ws->rec_ok > 0 && !ws->failed)
        write_trailer(w, ws);
    /* The index is written and synced under its partial name first, then
     * renamed right after the capture file: a crash between leaves its
     * partial name, which `linecap recover` checks and renames or rebuilds. */
    struct outfile xf;
    size_t xlen = 0;
    int xrc = ws->ix.b ? ix_write(w, ws, &xf, &xlen) : 0;
    const bool pair = ws->ix.b && xrc == 0;
    int rc = 0;
    if (pair && w->sync) {
        /* the file trimmed and synced here, so that its rename and its
         * index's follow each other at once and one directory sync covers
         * both (outfile_close then only trims again and renames) */
        if (ftruncate(ws->f.fd, (off_t)ws->f.length) < 0 || fdatasync(ws->f.fd) < 0)
            rc = -errno;
    }
    int crc = outfile_close(&ws->f, w->sync && !pair);
    if (rc == 0)
        rc = crc;
    ws->open = false;
    if (pair) {
        if (rc == 0) {
            xrc = ix_commit(w, &xf);
        } else {
            outfile_discard(&xf);
            xrc = rc;
        }
        if (w->sync && fsync(w->dirfd) < 0 && rc == 0)
            rc = -errno;
    }
    if (ws->ix.b && xrc < 0)
        ix_failed(w, ws, ws->f.final, xrc);
    struct file_record *fr = ret_add(&w->ret);
    if (fr) {
        snprintf(fr->name, sizeof(fr->name), "%s", ws->f.final);
        fr->stream = ws->rx->id;
        fr->records = ws->records;
        fr->bytes = ws->f.length;
        fr->ts_first = ws->ts_first;
        fr->ts_last = ws->ts_last;
        fr->error = rc;
        fr->indexed = ws->ix.b && xrc == 0;
        fr->idx_bytes = fr->indexed ? xlen : 0;
        fr->idx_error = ws->ix.b ? xrc : 0;
        fr->idx_light = fr->indexed ? ws->ix.shed : 0;
    }
    ws->disk_size = 0;
    ws->files++;
    __atomic_store_n(&w->files_closed, w->files_closed + 1, __ATOMIC_RELAXED);
    if (rc < 0) {
        fail(w, EXIT_IOERR, "close %s/%s: %s <- writer stream %d", w->tmpl.dir, ws->f.final,
             strerror(-rc), ws->rx->id);
        return;
    }
    /* Renamed, synced, its index in place: hand it over (never waits). */
    if (w->hook) {
        uint64_t seq = hook_submit(w->hook, fr ? (unsigned)(fr - w->ret.files) : UINT_MAX,
                                   ws->f.final);
        if (fr) {
            fr->hook_seq = seq;
            fr->hook = seq ? HOOK_QUEUED : HOOK_QUEUE_FULL;
        }
    }
    if (fr)
        keep_file(w, ws, (unsigned)(fr - w->ret.files));
    if (w->ndeferred)
        ring_deferred(w, false);
}

static void open_file(struct writer *w, struct writer_stream *ws, const struct block *b)
{
    char name[300];
    bool fell_back = false;

    ws->file_seq = b->file_seq;
    ws->file_start_ns = b->file_start_ns;
    ws->rec_ok = 0;
    ws->tail_off = 0;
    ws->failed = false;
    ws->records = ws->bytes = ws->ts_first = ws->ts_last = 0;
    if (names_format(name, sizeof(name), &w->tmpl, w->rotating, w->multi ? ws->rx->id : -1,
                     b->file_seq, b->file_start_ns) < 0) {
        fail(w, EXIT_IOERR, "file name too long for %s/%s <- rotate <- writer stream %d",
             w->tmpl.dir, w->tmpl.prefix, ws->rx->id);
        return;
    }
    int rc = outfile_open(&ws->f, w->dirfd, name, w->mode, w->direct, &fell_back);
    if (rc < 0) {
        fail(w, rc == -EEXIST ? 73 : 74, "create %s/%s: %s <- %s <- writer stream %d",
             w->tmpl.dir, name,
             rc == -EEXIST ? "the file or its partial name exists, not overwriting"
                           : strerror(-rc),
             b->file_seq > 1 ? "rotate" : "open", ws->rx->id);
        return;
    }
    if (fell_back && !w->warned_buffered) {
        w->warned_buffered = true;
        lc_warn("%s: filesystem refuses O_DIRECT; writing buffered (same bytes, more CPU)",
                w->tmpl.dir);
    }
    ws->open = true;
    ix_start(w, ws, b);
}

static void count_lost(struct writer_stream *ws, const struct block *b, int idx)
{
    for (int si = 0; si < ws->rx->nsrc; si++)
        if (b->nrec[si])
            wcnt_add(ws, si, idx, b->nrec[si]);
}

/* Delete this run's oldest closed file (any stream) to make room.
 * False when none is left. */
static bool reclaim_oldest(struct writer *w)
{
    int i;
    while ((i = ret_reclaim_next(&w->ret)) >= 0) {
        const char *name = w->ret.files[i].name;
        int rc = delete_file(w, &w->ret.files[i]);
        if (rc < 0) {
            lc_warn("making room: cannot remove %s: %s", name, strerror(-rc));
            continue;
        }
        ret_removed(&w->ret, (unsigned)i, true);
        if (w->ret.files_reclaimed == 1)
            lc_info("making room: deleting this run's oldest closed files (first: %s)", name);
        return true;
    }
    return false;
}

static bool room_for(struct writer *w, uint64_t grow, enum ret_room *why)
{
    for (;;) {
        uint64_t open_bytes = 0, avail = UINT64_MAX;
        struct statvfs sv;
        if (w->ret.disk_limit)
            for (int i = 0; i < w->nstreams; i++)
                open_bytes += w->ws[i].disk_size;
        if (w->ret.min_free && fstatvfs(w->dirfd, &sv) == 0)
            avail = (uint64_t)sv.f_bavail * sv.f_frsize;
        *why = ret_room(&w->ret, open_bytes, grow, avail);
        if (*why == RET_FITS)
            return true;
        if (!reclaim_oldest(w))
            return false;
    }
}

/* Before a write that grows the open file by grow bytes: delete oldest
 * closed files until --disk-limit and --min-free hold. False (and the
 * capture stops, 74) when they cannot. */
static bool make_room(struct writer *w, struct writer_stream *ws, uint64_t grow)
{
    enum ret_room room;
    if (room_for(w, grow, &room))
        return true;
    fail(w, EXIT_IOERR, "%s %s/%s: no closed file of this run is left to delete "
         "(files smaller than the limit are needed: see -b filesize) <- writer stream %d",
         room == RET_DISK_LIMIT ? "--disk-limit" : "--min-free", w->tmpl.dir,
         ws->f.final, ws->rx->id);
    return false;
}

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts);

/* A block goes back to the free stack (LIFO: the next block used is the one
 * just written, so a few blocks circulate). */
static void release_block(struct writer_stream *ws, struct block *b)
{
    __atomic_fetch_sub(&ws->rx->held, 1, __ATOMIC_RELAXED);
    rte_stack_push(ws->rx->free, (void **)&b, 1);
}

/* Hand a written block (the last one of its file too: FILE_END closes
 * after ix_wait) to the index thread. The queue holds the whole pool. */
static void ix_submit(struct writer *w, struct block *b)
{
    /* Read before the hand-over: once queued, the index thread may return
     * b to the pool (the futex wake below can run it at once on this CPU)
     * and a receive core refill it, FILE_END included. */
    const bool end = b->flags & BLOCK_FILE_END;
    struct writer_stream *ws = &w->ws[b->stream];
    rte_ring_sp_enqueue(w->ixq, b);
    w->ix_sent++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* as writer_kick */
    if (__atomic_load_n(&w->ix_sleeping, __ATOMIC_RELAXED)) {
        __atomic_add_fetch(&w->ix_wake, 1, __ATOMIC_RELEASE);
        futex(&w->ix_wake, FUTEX_WAKE_PRIVATE, 1, NULL);
    }
    if (end)
        close_file(w, ws);
}

/* The index thread: walk each written block into its stream's builder,
 * then return it. Sleeps on a futex when the queue is empty. */
static void *ix_main(void *arg)
{
    struct writer *w = arg;
    const struct timespec tmo = { 0, 100000000 };
    for (;;) {
        void *p;
        if (rte_ring_sc_dequeue(w->ixq, &p) == 0) {
            struct block *b = p;
            struct writer_stream *ws = &w->ws[b->stream];
            /* Behind: written blocks waiting for the walk are half of what
             * a stream may hold (its receive core drops at all of them):
             * walk light until the walk catches up, so that the index
             * never costs a packet. (A disk that is behind holds blocks
             * before they are written: that is not the walk's to fix.) */
            unsigned waiting = rte_ring_count(w->ixq);
            ix_block(w, ws, b, w->ix_shed_all || waiting * 2 >= ws->rx->held_max);
            release_block(ws, b);
            __atomic_store_n(&w->ix_done, w->ix_done + 1, __ATOMIC_RELEASE);
            continue;
        }
        if (__atomic_load_n(&w->ix_stop, __ATOMIC_ACQUIRE))
            break;
        uint32_t seen = __atomic_load_n(&w->ix_wake, __ATOMIC_ACQUIRE);
        __atomic_store_n(&w->ix_sleeping, 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (rte_ring_count(w->ixq) == 0 && !__atomic_load_n(&w->ix_stop, __ATOMIC_ACQUIRE))
            futex(&w->ix_wake, FUTEX_WAIT_PRIVATE, seen, &tmo);
        __atomic_store_n(&w->ix_sleeping, 0, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void handle_block(struct writer *w, struct writer_stream *ws, struct block *b)
{
    if (b->flags & BLOCK_FILE_START) {
        close_file(w, ws);
        if (!w->run->fatal && !w->run->abort)
            open_file(w, ws, b);
    }
    if (w->run->abort) {
        count_lost(ws, b, QC_unwritten_abort);
    } else if (!ws->open || w->run->fatal) {
        count_lost(ws, b, QC_lost_disk);
    } else {
        uint32_t padded = (b->len + BLOCK_ALIGN - 1) & ~(BLOCK_ALIGN - 1);
        bool fell_back = false;
        if (padded > b->len)
            memset(b->data + b->len, 0, padded - b->len);
        uint64_t end = b->file_off + padded;
        int rc;
        if (ret_reclaims(&w->ret) &&
            !make_room(w, ws, end > ws->disk_size ? end - ws->disk_size : 0))
            rc = -ENOSPC;
        else
            rc = write_at(w, ws, b->data, padded, b->file_off, &fell_back);
        if (fell_back && !w->warned_buffered) {
            w->warned_buffered = true;
            lc_warn("%s: direct write refused; writing buffered (same bytes)", w->tmpl.dir);
        }
        if (rc < 0) {
            count_lost(ws, b, QC_lost_disk);
            ws->failed = true;
            fail(w, EXIT_IOERR, "write %s/%s at offset %llu: %s <- writer stream %d", w->tmpl.dir,
                 ws->f.partial, (unsigned long long)b->file_off, strerror(-rc), ws->rx->id);
            close_file(w, ws);      /* trimmed to the last complete record */
        } else {
            uint64_t recs = 0;
            for (int si = 0; si < ws->rx->nsrc; si++) {
                if (b->nrec[si]) {
                    wcnt_add(ws, si, QC_written, b->nrec[si]);
                    wcnt_add(ws, si, QC_written_bytes, b->nbytes[si]);
                    recs += b->nrec[si];
                }
            }
            if (b->rec_end) {
                ws->rec_ok = b->rec_end;
                if (ws->tail)
                    keep_tail(ws, b);
            }
            ws->records += recs;
            if (recs && ws->ts_first == 0)
                ws->ts_first = b->ts_first;
            if (recs)
                ws->ts_last = b->ts_last;
            if (ws->ix.b && w->ixq) {
                ix_submit(w, b);
                return;         /* the index thread returns the block */
            }
            ix_block(w, ws, b, false);
        }
    }
    if (b->flags & BLOCK_FILE_END)
        close_file(w, ws);
    release_block(ws, b);
}

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

void writer_kick(struct run_state *r)
{
    /* Pairs with the writer's fence between announcing its sleep and
     * looking at the rings a last time: either it sees the block, or we
     * see it asleep. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&r->writer_sleeping, __ATOMIC_RELAXED)) {
        __atomic_add_fetch(&r->writer_wake, 1, __ATOMIC_RELEASE);
        futex(&r->writer_wake, FUTEX_WAKE_PRIVATE, 1, NULL);
    }
}

static bool rings_empty(struct writer *w)
{
    for (int i = 0; i < w->nstreams; i++)
        if (rte_ring_count(w->ws[i].rx->full) != 0)
            return false;
    return true;
}

/* Nothing to do: sleep until a receive lcore hands off a block (or 100 ms
 * pass, for rx_done and anything else that did not kick). No polling, so
 * the writer's CPU -- shared with the generator or other work on small
 * machines -- is not woken tens of thousands of times a second. */
static void writer_sleep(struct writer *w)
{
    struct run_state *r = w->run;
    const struct timespec tmo = { 0, 100000000 };
    uint32_t seen = __atomic_load_n(&r->writer_wake, __ATOMIC_ACQUIRE);
    __atomic_store_n(&r->writer_sleeping, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (rings_empty(w) && !__atomic_load_n(&w->rx_done, __ATOMIC_ACQUIRE))
        futex(&r->writer_wake, FUTEX_WAIT_PRIVATE, seen, &tmo);
    __atomic_store_n(&r->writer_sleeping, 0, __ATOMIC_RELAXED);
}

void *writer_main(void *arg)
{
    struct writer *w = arg;

    /* the index thread shares the writer's CPU (inherited affinity): the
     * writer mostly waits for the disk */
    if (w->ixq) {
        if (pthread_create(&w->ixt, NULL, ix_main, w) == 0) {
            w->ix_running = true;
            pthread_setname_np(w->ixt, "lc-index");
        } else {
            rte_ring_free(w->ixq);      /* the writer walks the blocks itself */
            w->ixq = NULL;
        }
    }

    for (;;) {
        bool any = false;
        bool rx_done = __atomic_load_n(&w->rx_done, __ATOMIC_ACQUIRE);
        for (int i = 0; i < w->nstreams; i++) {
            struct writer_stream *ws = &w->ws[i];
            void *p;
            /* At most a few blocks per stream per round: fairness. */
            for (int k = 0; k < 4 && rte_ring_sc_dequeue(ws->rx->full, &p) == 0; k++) {
                handle_block(w, ws, p);
                any = true;
            }
        }
        if (!any) {
            if (rx_done)
                break;
            writer_sleep(w);
        }
    }
    for (int i = 0; i < w->nstreams; i++)
        close_file(w, &w->ws[i]);
    if (w->ix_running) {
        __atomic_store_n(&w->ix_stop, 1, __ATOMIC_RELEASE);
        __atomic_add_fetch(&w->ix_wake, 1, __ATOMIC_RELEASE);
        futex(&w->ix_wake, FUTEX_WAKE_PRIVATE, 1, NULL);
        pthread_join(w->ixt, NULL);
        w->ix_running = false;
    }
    return NULL;
}

int writer_init(struct writer *w, const struct writer_conf *c)
{
    memset(w, 0, sizeof(*w));
    w->nstreams = c->nstreams;
    w->ws = calloc((size_t)c->nstreams, sizeof(*w->ws));
    if (w->ws == NULL)
        return -ENOMEM;
    if (ret_init(&w->ret, c->nstreams, c->ring_files, c->disk_limit, c->min_free) < 0)
        goto nomem;
    for (int i = 0; i < c->nstreams; i++) {
        struct writer_stream *ws = &w->ws[i];
        ws->rx = &c->streams[i];
        ws->f.fd = -1;
        if (c->fmt->file_trailer) {
            ws->tail = aligned_alloc(BLOCK_ALIGN, WRITER_TAIL_CAP);
            if (ws->tail == NULL)
                goto nomem;
        }
        if (c->index) {
            /* a record spans at most two blocks: it fits one */
            ws->ix.carry_cap = ws->rx->bsize;
            ws->ix.carry = malloc(ws->ix.carry_cap);
            ws->ix.b = idx_builder_new();
            if (ws->ix.carry == NULL || ws->ix.b == NULL)
                goto nomem;
        }
    }
    w->index = c->index;
    /* tests: every block walked light, as when the index thread is behind */
    w->ix_shed_all = getenv("LINECAP_TEST_INDEX_LIGHT") != NULL;
    if (c->index && c->nblocks) {
        unsigned n = 1;
        while (n < c->nblocks + 1)
            n <<= 1;
        w->ixq = rte_ring_create("lc_ixq", n, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (w->ixq == NULL)
            goto nomem;
    }
    w->dirfd = c->dirfd;
    w->tmpl = *c->tmpl;
    w->rotating = c->rotating;
    w->multi = c->nstreams > 1;
    w->direct = true;
    w->sync = c->sync;
    w->mode = c->mode;
    w->free = c->free;
    w->run = c->run;
    w->fmt = c->fmt;
    w->finfo = c->finfo;
    w->ports = c->ports;
    w->hook = c->hook;
    return 0;
nomem:
    writer_free(w);
    return -ENOMEM;
}

void writer_free(struct writer *w)
{
    if (w->ws) {
        for (int i = 0; i < w->nstreams; i++) {
            free(w->ws[i].tail);
            free(w->ws[i].ix.carry);
            if (w->ws[i].ix.b)
                idx_builder_free(w->ws[i].ix.b);
        }
        free(w->ws);
        w->ws = NULL;
    }
    ret_free(&w->ret);
    free(w->deferred);
    w->deferred = NULL;
    w->ndeferred = w->cap_deferred = 0;
    rte_ring_free(w->ixq);
    w->ixq = NULL;
}
