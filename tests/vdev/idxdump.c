/* idxdump: what an index file (src/index/index.h) says, for tests/vdev/t_index.sh.
 *
 *   idxdump IDX        validate IDX; print one line:
 *                      records=N ts_min=NS ts_max=NS ts_first=NS chunks=K file_size=B
 *                      data_end=B format=1|2
 *   idxdump IDX CAP    the same, and IDX must describe CAP (idx_matches) and be
 *                      byte for byte the index idx_build_fd builds from CAP
 *
 * The chunk table must tile [first chunk's offset, data_end) in file order,
 * its records sum to the total and its timestamps lie in [ts_min, ts_max].
 * Exit 0, or 1 with one line on stderr naming what is wrong. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/index.h"

static int die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "idxdump: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    return 1;
}

static int slurp(const char *path, uint8_t **buf, size_t *len)
{
    int fd = open(path, O_RDONLY);
    *buf = NULL;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    *len = (size_t)st.st_size;
    *buf = malloc(*len ? *len : 1);
    size_t got = 0;
    while (*buf && got < *len) {
        ssize_t k = read(fd, *buf + got, *len - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    return *buf && got == *len ? 0 : -EIO;
}

int main(int argc, char **argv)
{
    uint8_t *img = NULL;
    size_t len = 0;
    char err[256];
    struct idx x;

    if (argc != 2 && argc != 3)
        return die("usage: idxdump IDX [CAPTURE]%s%s", "", "");
    if (slurp(argv[1], &img, &len) < 0)
        return die("%s: cannot read%s", argv[1], "");
    if (idx_open(&x, img, len, err, sizeof(err)) < 0)
        return die("%s: does not validate: %s", argv[1], err);

    uint64_t recs = 0, prev_end = x.nchunks ? x.chunks[0].off : x.ident.data_end;
    for (uint32_t i = 0; i < x.nchunks; i++) {
        const struct idx_chunk *c = &x.chunks[i];
        char at[32];
        snprintf(at, sizeof(at), "%u", i);
        if (c->off != prev_end || c->end <= c->off || c->records == 0)
            return die("%s: chunk %s does not follow the one before", argv[1], at);
        if (c->ts_min < x.ts_min || c->ts_max > x.ts_max || c->ts_first < c->ts_min ||
            c->ts_first > c->ts_max || c->opaque > c->records)
            return die("%s: chunk %s: times or counts out of range", argv[1], at);
        recs += c->records;
        prev_end = c->end;
    }
    if (recs != x.records || prev_end != x.ident.data_end)
        return die("%s: chunks do not add up to the records and data end%s", argv[1], "");
    if (x.ident.data_end > x.ident.file_size)
        return die("%s: data end past the file size%s", argv[1], "");
    printf("records=%llu ts_min=%llu ts_max=%llu ts_first=%llu chunks=%u file_size=%llu "
           "data_end=%llu format=%u\n",
           (unsigned long long)x.records, (unsigned long long)x.ts_min,
           (unsigned long long)x.ts_max,
           (unsigned long long)(x.nchunks ? x.chunks[0].ts_first : 0), x.nchunks,
           (unsigned long long)x.ident.file_size, (unsigned long long)x.ident.data_end,
           x.ident.format);

    if (argc == 3) {
        int fd = open(argv[2], O_RDONLY);
        struct stat st;
        struct idx_ident id;
        memset(&id, 0, sizeof(id));
        if (fd < 0 || fstat(fd, &st) < 0 || pread(fd, id.head, sizeof(id.head), 0) < 0)
            return die("%s: cannot read%s", argv[2], "");
        id.file_size = (uint64_t)st.st_size;
        id.format = memcmp(id.head, "\x0a\x0d\x0d\x0a", 4) == 0 ? 2 : 1;
        if (!idx_matches(&x, &id))
            return die("%s does not describe %s (stale)", argv[1], argv[2]);
        uint8_t *again;
        size_t alen;
        if (idx_build_fd(fd, &again, &alen, err, sizeof(err)) < 0)
            return die("idx_build_fd %s: %s", argv[2], err);
        close(fd);
        if (alen != len || memcmp(again, img, len) != 0) {
            size_t k = 0;
            while (k < len && k < alen && again[k] == img[k])
                k++;
            char d[96];
            snprintf(d, sizeof(d), "%zu bytes written, %zu rebuilt, first difference at %zu", len,
                     alen, k);
            return die("%s differs from the index built from the file: %s", argv[1], d);
        }
        free(again);
    }
    idx_close(&x);
    free(img);
    return 0;
}
