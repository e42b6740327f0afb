/* `linecap index [-q] DIR|FILE...`: build (or rebuild) the index beside
 * existing pcap/pcapng files written by any tool: NAME -> NAME.idx, written
 * as .NAME.idx.partial in the same directory, synced, then renamed, like
 * the capture files themselves. See index/index.h. */
#include "app/index_cmd.h"

#include "common/exitcodes.h"
#include "common/log.h"
#include "index/extract.h"
#include "index/index.h"
#include "storage/names.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

static const struct lc_opt index_opts[] = {
    { 'q', "quiet", NULL, "only errors and the summary line" },
    { 'h', "help", NULL, "this text" },
    { 0, NULL, NULL, NULL },
};

const struct lc_cmd index_command = {
    .name = "linecap index",
    .summary = "build the packet index (FILE.idx) of existing capture files",
    .usage = "[OPTIONS] DIR|FILE...",
    .about =
"Build the packet index of existing capture files (pcap or pcapng, written by\n"
"linecap, tcpdump, dumpcap or any other tool): FILE.idx beside each FILE, or\n"
"beside every *.pcap, *.pcapng and *.cap file of a DIR (not the hidden\n"
"partial files of a running capture). An existing index is rebuilt. The index\n"
"is written under a hidden partial name (.FILE.idx.partial), synced and\n"
"renamed, so a reader never sees half of one. linecap extract uses it to skip\n"
"the files and chunks that cannot hold a match. One line per file says what\n"
"was done.",
    .opts = index_opts,
    .exits = "0 every file indexed, 64 usage, 66 a path cannot be read or is\n"
             "not a pcap/pcapng file, 73 an index cannot be written, 74 I/O error.",
    .shortopts_head = ":",
};

struct tally {
    unsigned done, failed;
    uint64_t cap_bytes, idx_bytes;
    int rc;
    bool quiet;
};

static void worse(struct tally *t, int rc)
{
    if (t->rc == 0 || rc > t->rc)
        t->rc = rc;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void one(struct tally *t, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        lc_err("%s: cannot open: %s", path, strerror(errno));
        t->failed++;
        worse(t, EXIT_NOINPUT);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        lc_err("%s: not a regular file", path);
        close(fd);
        t->failed++;
        worse(t, EXIT_NOINPUT);
        return;
    }
    uint8_t *img = NULL;
    size_t len = 0;
    char err[512] = "";
    int rc = idx_build_fd(fd, &img, &len, err, sizeof(err));
    close(fd);
    if (rc < 0) {
        lc_err("%s: %s", path, err[0] ? err : strerror(-rc));
        t->failed++;
        worse(t, rc == -EINVAL ? EXIT_NOINPUT : rc == -ENOMEM ? EXIT_OSERR : EXIT_IOERR);
        free(img);
        return;
    }
    struct idx x;
    uint64_t records = 0;
    uint32_t nchunks = 0;
    if (idx_open(&x, img, len, err, sizeof(err)) == 0) {
        records = x.records;
        nchunks = x.nchunks;
        idx_close(&x);
    } else {
        lc_err("%s: the index built does not read back: %s", path, err);
        free(img);
        t->failed++;
        worse(t, EXIT_SOFTWARE);
        return;
    }
    /* DIR/.BASE.idx.partial -> DIR/BASE.idx */
    char b1[4096], b2[4096], base[512], part[600], ppath[4800], fpath[4200];
    snprintf(b1, sizeof(b1), "%s", path);
    snprintf(b2, sizeof(b2), "%s", path);
    const char *dir = dirname(b1);
    snprintf(base, sizeof(base), "%s%s", basename(b2), IDX_SUFFIX);
    if (names_partial(part, sizeof(part), base) < 0) {
        lc_err("%s: name too long for its index", path);
        free(img);
        t->failed++;
        worse(t, EXIT_CANTCREAT);
        return;
    }
    snprintf(ppath, sizeof(ppath), "%s/%s", dir, part);
    snprintf(fpath, sizeof(fpath), "%s%s", path, IDX_SUFFIX);
    int ofd = open(ppath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (ofd < 0) {
        lc_err("%s: cannot create %s: %s", path, ppath, strerror(errno));
        free(img);
        t->failed++;
        worse(t, EXIT_CANTCREAT);
        return;
    }
    rc = write_all(ofd, img, len);
    if (rc == 0 && fsync(ofd) < 0)
        rc = -errno;
    if (close(ofd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(ppath, fpath) < 0)
        rc = -errno;
    free(img);
    if (rc < 0) {
        lc_err("%s: cannot write %s: %s", path, fpath, strerror(-rc));
        unlink(ppath);
        t->failed++;
        worse(t, rc == -EIO ? EXIT_IOERR : EXIT_CANTCREAT);
        return;
    }
    t->done++;
    t->cap_bytes += (uint64_t)st.st_size;
    t->idx_bytes += len;
    if (!t->quiet)
        printf("%s -> %s: %llu records, %u chunks, %zu bytes (%.2f %% of %llu)\n", path, fpath,
               (unsigned long long)records, nchunks, len,
               st.st_size ? 100.0 * (double)len / (double)st.st_size : 0.0,
               (unsigned long long)st.st_size);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void do_dir(struct tally *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        lc_err("%s: cannot read directory: %s", dir, strerror(errno));
        worse(t, EXIT_NOINPUT);
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!extract_capture_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (nn == NULL)
                break;
            names = nn;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            break;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            one(t, p);
        free(names[i]);
    }
    free(names);
}

int index_main(int argc, char **argv)
{
    struct option lo[LC_OPT_MAX];
    char so[2 * LC_OPT_MAX + 4];
    struct tally t = {0};
    int c;

    if (opttab_getopt(&index_command, lo, LC_OPT_MAX, so, sizeof(so)) < 0)
        return EXIT_SOFTWARE;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        switch (c) {
        case 'q': t.quiet = true; break;
        case 'h': opttab_help(stdout, &index_command, NULL); return 0;
        default:
            lc_err("unknown option '%s' (see linecap index --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        lc_err("no directory or file given (usage: linecap index [OPTIONS] DIR|FILE...)");
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            lc_err("%s: %s", argv[i], strerror(errno));
            worse(&t, EXIT_NOINPUT);
            continue;
        }
        if (S_ISDIR(st.st_mode))
            do_dir(&t, argv[i]);
        else
            one(&t, argv[i]);
    }
    printf("linecap index: %u indexed (%.2f %% of %llu capture bytes), %u failed\n", t.done,
           t.cap_bytes ? 100.0 * (double)t.idx_bytes / (double)t.cap_bytes : 0.0,
           (unsigned long long)t.cap_bytes, t.failed);
    fflush(stdout);
    return t.rc;
}
