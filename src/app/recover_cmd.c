/* `linecap recover [-n] PATH...`: give the files a crashed capture left
 * under their partial names (DIR/.NAME.partial) their final names, each
 * trimmed to its last complete record. See storage/recover.h. */
#include "app/recover_cmd.h"

#include "app/options.h"
#include "common/log.h"
#include "index/index.h"
#include "storage/recover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static const struct lc_opt recover_opts[] = {
    { 'n', "dry-run", NULL, "report what would be done, change nothing" },
    { 'q', "quiet", NULL, "only errors and the summary line" },
    { 'h', "help", NULL, "this text" },
    { 0, NULL, NULL, NULL },
};

const struct lc_cmd recover_command = {
    .name = "linecap recover",
    .summary = "recover the files a crashed capture left under partial names",
    .usage = "[OPTIONS] DIR|FILE...",
    .about =
"Recover the capture files a crash (SIGKILL, OOM, power loss) left under\n"
"their partial names (DIR/.NAME.partial): each is cut after its last complete\n"
"record or block (a torn record or the zero padding of the last direct write\n"
"never stays), synced, and renamed to NAME -- or NAME with '.recovered'\n"
"before its extension when NAME exists; the new name is secured (a hard link,\n"
"which never replaces) before a byte is cut, so when both names exist the file\n"
"stays exactly as it was. A partial file that is empty or all zero bytes held\n"
"no packets and is removed, unless it was modified less than 5 s ago (a\n"
"capture may be creating it). A partial file without a complete file header\n"
"that is not all zeros (a torn header) is reported and left as it is. A\n"
"partial file a running capture holds (its lock) is left alone. One line per\n"
"file says what was done.\n"
"\n"
"Each recovered file gets its index (NAME.idx) built from it. A partial index\n"
"(DIR/.NAME.idx.partial, left by a crash between the renames of a file and of\n"
"its index) is renamed into place when it is whole and describes NAME, else\n"
"NAME's index is built again from NAME; it is removed when NAME is gone. An\n"
"index that does not validate or describes another file is replaced.",
    .opts = recover_opts,
    .exits = "0 every partial file recovered (or none found), 64 usage,\n"
             "66 a path could not be read, 73 a file could not be recovered (left as it\n"
             "was, unless its line says otherwise) or its index not written.",
    .shortopts_head = ":",
};

struct tally {
    unsigned recovered, removed, busy, young, failed;
    unsigned idx_built, idx_kept, idx_failed;
    int rc;
    bool dry_run, quiet;
};

static void worse(struct tally *t, int rc)
{
    if (t->rc == 0 || (rc != 0 && rc > t->rc))
        t->rc = rc;
}

/* The line for what was done to an index (partial: the leftover partial
 * index it came from, NULL when after its file's recovery). */
static void index_line(struct tally *t, int rc, const struct recover_idx_result *x,
                       const char *dir, const char *partial)
{
    const bool dry = t->dry_run;
    if (rc == -ENOENT && partial)
        return;                 /* taken by its file's recovery meanwhile */
    if (rc < 0) {
        lc_err("%s/%s: index not written: %s (the capture file is whole)", dir, x->name, x->err);
        t->idx_failed++;
        worse(t, EXIT_CANTCREAT);
        return;
    }
    char from[600] = "";
    if (partial)
        snprintf(from, sizeof(from), "%s/%s: ", dir, partial);
    switch (x->state) {
    case RECOVER_IDX_BUSY:
        if (!t->quiet)
            printf("%sin use by a running capture (locked), left alone\n", from);
        t->busy++;
        return;
    case RECOVER_IDX_REMOVED:
        if (!t->quiet)
            printf("%s%s: its capture file is gone\n", from, dry ? "would be removed" : "removed");
        return;
    case RECOVER_IDX_OK:
        if (!t->quiet)
            printf("%s%s/%s: index valid (%llu records, %llu bytes), kept%s\n", from, dir, x->name,
                   (unsigned long long)x->records, (unsigned long long)x->bytes,
                   x->removed_partial ? "; the partial index removed" : "");
        t->idx_kept++;
        return;
    case RECOVER_IDX_RENAMED:
        if (!t->quiet)
            printf("%s-> %s/%s: index whole and valid (%llu records, %llu bytes), %s\n", from, dir,
                   x->name, (unsigned long long)x->records, (unsigned long long)x->bytes,
                   dry ? "would be renamed" : "renamed");
        t->idx_kept++;
        return;
    case RECOVER_IDX_BUILT:
    case RECOVER_IDX_REBUILT:
        if (!t->quiet) {
            char what[80];
            snprintf(what, sizeof(what), "%s, %s", x->state == RECOVER_IDX_BUILT ? "missing"
                     : x->why ? x->why : "invalid", dry ? "would be built" : "built");
            if (dry)
                printf("%s%s/%s: index %s\n", from, dir, x->name, what);
            else
                printf("%s%s/%s: index %s from the file (%llu records, %llu bytes)\n", from, dir,
                       x->name, what, (unsigned long long)x->records,
                       (unsigned long long)x->bytes);
        }
        t->idx_built++;
        return;
    }
}

static void one(struct tally *t, int dirfd, const char *dir, const char *name)
{
    struct recover_idx_result xr;
    struct recover_result r;
    int rc = recover_path(dirfd, name, t->dry_run, &r);
    const struct recover_scan *s = &r.scan;

    if (rc < 0) {
        char alt[600] = "";
        if (rc == -EEXIST)
            snprintf(alt, sizeof(alt), "%s and its .recovered name both exist", r.final);
        const char *what =
            rc == -EEXIST    ? alt
            : rc == -EILSEQ  ? "not a pcap or pcapng file written by linecap"
            : rc == -ENODATA ? (s->why ? s->why : "no complete file header")
                             : strerror(-rc);
        if (rc == -ENODATA)
            lc_err("%s/%s: no complete file header (%s) and not all zero bytes: left as it is, "
                   "nothing changed", dir, name, what);
        else if (r.trimmed)
            lc_err("%s/%s: %s; it was already cut to %llu bytes (its last complete record) "
                   "and stays under its partial name", dir, name, what,
                   (unsigned long long)s->good_end);
        else
            lc_err("%s/%s: %s; left as it is, nothing changed", dir, name, what);
        t->failed++;
        worse(t, EXIT_CANTCREAT);
        return;
    }
    if (r.busy) {
        if (!t->quiet)
            printf("%s/%s: in use by a running capture (locked), left alone\n", dir, name);
        t->busy++;
        return;
    }
    if (r.young) {
        if (!t->quiet)
            printf("%s/%s: %s, but modified %.1f s ago (under %d s: a capture may be starting "
                   "it), left alone\n", dir, name,
                   s->size ? "all zero bytes" : "empty", r.age, RECOVER_YOUNG_SECS);
        t->young++;
        return;
    }
    if (s->format == RECOVER_NONE) {
        if (!t->quiet)
            printf("%s/%s: %s (%llu bytes%s): nothing captured in it\n", dir, name,
                   t->dry_run ? "would be removed" : "removed", (unsigned long long)s->size,
                   s->size ? ", all zero" : "");
        t->removed++;
        return;
    }
    if (!t->quiet) {
        char cut[160] = "";
        if (s->good_end < s->size)
            snprintf(cut, sizeof(cut), ", %llu bytes cut at offset %llu: %s",
                     (unsigned long long)(s->size - s->good_end),
                     (unsigned long long)s->good_end, s->why ? s->why : "?");
        printf("%s/%s -> %s/%s: %s %llu %s, %llu bytes%s\n", dir, name, dir, r.final,
               t->dry_run ? "would keep" : "kept", (unsigned long long)s->records,
               s->format == RECOVER_PCAPNG ? "packet blocks" : "records",
               (unsigned long long)s->good_end, cut);
    }
    t->recovered++;
    if (t->dry_run) {           /* the file keeps its partial name: nothing to look at */
        memset(&xr, 0, sizeof(xr));
        xr.state = RECOVER_IDX_BUILT;
        snprintf(xr.name, sizeof(xr.name), "%s%s", r.final, IDX_SUFFIX);
        index_line(t, 0, &xr, dir, NULL);
        return;
    }
    index_line(t, recover_index(dirfd, r.final, false, &xr), &xr, dir, NULL);
}

static void one_index_partial(struct tally *t, int dirfd, const char *dir, const char *name)
{
    struct recover_idx_result x;
    index_line(t, recover_index_partial(dirfd, name, t->dry_run, &x), &x, dir, name);
}

static void do_dir(struct tally *t, const char *dir)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dirfd < 0 ? NULL : fdopendir(dup(dirfd));
    if (d == NULL) {
        lc_err("%s: cannot read directory: %s", dir, strerror(errno));
        if (dirfd >= 0)
            close(dirfd);
        worse(t, EXIT_NOINPUT);
        return;
    }
    /* Capture files first, then leftover partial indexes (whose capture
     * file may just have been recovered). */
    struct dirent *e;
    char final[512];
    char **idx = NULL;
    size_t nidx = 0, cap = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
            continue;
        if (!recover_final_name(e->d_name, final, sizeof(final)))
            continue;
        if (recover_index_partial_name(e->d_name, final, sizeof(final))) {
            if (nidx == cap) {
                cap = cap ? 2 * cap : 16;
                char **n = realloc(idx, cap * sizeof(*idx));
                if (n == NULL)
                    break;
                idx = n;
            }
            if ((idx[nidx] = strdup(e->d_name)) != NULL)
                nidx++;
            continue;
        }
        one(t, dirfd, dir, e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < nidx; i++) {
        one_index_partial(t, dirfd, dir, idx[i]);
        free(idx[i]);
    }
    free(idx);
    close(dirfd);
}

int recover_main(int argc, char **argv)
{
    struct option lo[LC_OPT_MAX];
    char so[2 * LC_OPT_MAX + 4];
    struct tally t = {0};
    int c;

    if (opttab_getopt(&recover_command, lo, LC_OPT_MAX, so, sizeof(so)) < 0)
        return EXIT_SOFTWARE;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        switch (c) {
        case 'n': t.dry_run = true; break;
        case 'q': t.quiet = true; break;
        case 'h': opttab_help(stdout, &recover_command, NULL); return 0;
        default:
            lc_err("unknown option '%s' (see linecap recover --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        lc_err("no directory or file given (usage: linecap recover [OPTIONS] DIR|FILE...)");
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        struct stat st;
        const char *path = argv[i];
        if (lstat(path, &st) < 0) {
            lc_err("%s: %s", path, strerror(errno));
            worse(&t, EXIT_NOINPUT);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            do_dir(&t, path);
            continue;
        }
        char b1[4096], b2[4096], final[512];
        snprintf(b1, sizeof(b1), "%s", path);
        snprintf(b2, sizeof(b2), "%s", path);
        const char *dir = dirname(b1), *base = basename(b2);
        if (!S_ISREG(st.st_mode) || !recover_final_name(base, final, sizeof(final))) {
            lc_err("%s: not a partial capture file (expected DIR/.NAME.partial, as linecap "
                   "names a file while it writes it, or a directory)", path);
            worse(&t, EXIT_USAGE);
            continue;
        }
        int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
            lc_err("%s: cannot open directory: %s", dir, strerror(errno));
            worse(&t, EXIT_NOINPUT);
            continue;
        }
        if (recover_index_partial_name(base, final, sizeof(final)))
            one_index_partial(&t, dirfd, dir, base);
        else
            one(&t, dirfd, dir, base);
        close(dirfd);
    }
    printf("linecap recover: %u %s, %u removed (empty or zeros), %u in use, %u too new, "
           "%u failed; indexes: %u %s, %u kept, %u failed\n", t.recovered,
           t.dry_run ? "to recover" : "recovered", t.removed, t.busy, t.young, t.failed,
           t.idx_built, t.dry_run ? "to build" : "built", t.idx_kept, t.idx_failed);
    fflush(stdout);
    return t.rc;
}
