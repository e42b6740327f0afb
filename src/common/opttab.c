#include "common/opttab.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/exitcodes.h"
#include "common/units.h"

#define HELP_COL 26                 /* where the help column starts */
#define HELP_WIDTH 79               /* the longest line of --help */

static bool is_row(const struct lc_opt *r)
{
    return r->key != 0 || r->help != NULL;
}

static bool has_short(const struct lc_opt *r)
{
    return r->key > 0 && r->key < 256;
}

int opttab_getopt(const struct lc_cmd *cmd, struct option *lo, size_t nlo, char *so, size_t nso)
{
    size_t n = 0, k = strlen(cmd->shortopts_head);

    if (k + 1 > nso)
        return -1;
    memcpy(so, cmd->shortopts_head, k);
    for (const struct lc_opt *r = cmd->opts; is_row(r); r++) {
        if (r->key == 0)
            continue;
        if (has_short(r)) {
            if (k + 3 > nso)
                return -1;
            so[k++] = (char)r->key;
            if (r->arg)
                so[k++] = ':';
        }
        if (r->name) {
            if (n + 2 > nlo)
                return -1;
            lo[n++] = (struct option){ r->name, r->arg ? required_argument : no_argument, NULL, r->key };
        }
    }
    so[k] = '\0';
    if (n + 1 > nlo)
        return -1;
    lo[n] = (struct option){ NULL, 0, NULL, 0 };
    return 0;
}

const struct lc_opt *opttab_find_long(const struct lc_opt *t, const char *name, size_t len)
{
    const struct lc_opt *hit = NULL;
    int nhit = 0;

    for (const struct lc_opt *r = t; is_row(r); r++) {
        if (r->key == 0 || r->name == NULL || strncmp(r->name, name, len) != 0)
            continue;
        if (r->name[len] == '\0')
            return r;               /* exact */
        if (hit == NULL || hit->key != r->key)
            nhit++;
        hit = r;
    }
    return nhit == 1 ? hit : NULL;
}

const struct lc_opt *opttab_find_short(const struct lc_opt *t, int letter)
{
    for (const struct lc_opt *r = t; is_row(r); r++)
        if (has_short(r) && r->key == letter)
            return r;
    return NULL;
}

/* ---- --help ------------------------------------------------------------- */

/* "-i, --interface PORT", "    --cores LIST", "-w FILE" */
static int label(char *buf, size_t n, const struct lc_opt *r)
{
    const char *arg = r->arg ? r->arg : "";
    const char *sp = r->arg ? " " : "";
    if (has_short(r) && r->name)
        return snprintf(buf, n, "-%c, --%s%s%s", r->key, r->name, sp, arg);
    if (has_short(r))
        return snprintf(buf, n, "-%c%s%s", r->key, sp, arg);
    return snprintf(buf, n, "    --%s%s%s", r->name, sp, arg);
}

/* text as it is, lines after the first indented */
static void lines(FILE *out, const char *text, int indent)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (!first)
            fprintf(out, "%*s", n ? indent : 0, "");
        fprintf(out, "%.*s\n", (int)n, p);
        first = false;
        p += n + (e ? 1 : 0);
    }
}

/* text filled into the columns [col, HELP_WIDTH), the first line's
 * indent already written (at column at) */
void opttab_fill(FILE *out, const char *text, int col, int at)
{
    const char *p = text;
    int x = at;
    bool first = true;
    for (;;) {
        p += strspn(p, " \n");
        size_t n = strcspn(p, " \n");
        if (n == 0)
            break;
        if (!first && x + 1 + (int)n > HELP_WIDTH) {
            fprintf(out, "\n%*s", col, "");
            x = col;
        } else if (!first) {
            fputc(' ', out);
            x++;
        }
        fprintf(out, "%.*s", (int)n, p);
        x += (int)n;
        first = false;
        p += n;
    }
    fputc('\n', out);
}

void opttab_help(FILE *out, const struct lc_cmd *cmd, const struct lc_cmd *const *subs)
{
    const char *p = cmd->usage;
    bool first = true;

    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        fprintf(out, "%s%s %.*s\n", first ? "Usage: " : "       ", cmd->name, (int)n, p);
        first = false;
        p += n + (e ? 1 : 0);
    }
    fprintf(out, "\n");
    lines(out, cmd->about, 0);
    if (subs && subs[0]) {
        fprintf(out, "\nCommands (linecap COMMAND --help: the command's options):\n");
        for (int i = 0; subs[i]; i++) {
            const char *w = strrchr(subs[i]->name, ' ');
            fprintf(out, "  %-10s %s\n", w ? w + 1 : subs[i]->name, subs[i]->summary);
        }
    }
    fprintf(out, "\n");
    for (const struct lc_opt *r = cmd->opts; is_row(r); r++) {
        if (r->key == 0) {
            fprintf(out, "%s%s:\n", r == cmd->opts ? "" : "\n", r->help);
            continue;
        }
        char lab[128];
        int n = label(lab, sizeof(lab), r);
        fprintf(out, "  %s", lab);
        if (n + 2 + 2 > HELP_COL) {
            fprintf(out, "\n%*s", HELP_COL, "");
        } else {
            fprintf(out, "%*s", HELP_COL - 2 - n, "");
        }
        opttab_fill(out, r->help, HELP_COL, HELP_COL);
    }
    if (cmd->notes) {
        fprintf(out, "\n");
        lines(out, cmd->notes, 0);
    }
    fprintf(out, "\nExit codes: ");
    opttab_fill(out, cmd->exits, 12, 12);
    if (cmd->more) {
        fprintf(out, "\n");
        cmd->more(out, false);
    }
}

/* ---- man page ------------------------------------------------------------ */

/* One line of text, roff-escaped: backslash, minus, a leading dot or quote. */
static void roff_line(FILE *out, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (n && (*s == '.' || *s == '\''))
        fputs("\\&", out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out);
        else
            fputc(s[i], out);
    }
    fputc('\n', out);
}

void opttab_man_text(FILE *out, const char *text)
{
    const char *p = text;
    bool blank = false;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t k = strspn(p, " \t");
        if (k >= n) {
            blank = true;
        } else {
            if (blank)
                fputs(".PP\n", out);
            blank = false;
            roff_line(out, p, n);
        }
        p += n + (e ? 1 : 0);
    }
}

static void man_label(FILE *out, const struct lc_opt *r)
{
    if (has_short(r))
        fprintf(out, "\\fB\\-%c\\fR", r->key);
    if (has_short(r) && r->name)
        fputs(", ", out);
    if (r->name) {
        fputs("\\fB\\-\\-", out);
        for (const char *c = r->name; *c; c++)
            fputs(*c == '-' ? "\\-" : (char[2]){ *c, 0 }, out);
        fputs("\\fR", out);
    }
    if (r->arg) {
        fputs(" \\fI", out);
        for (const char *c = r->arg; *c; c++)
            fputs(*c == '-' ? "\\-" : *c == '\\' ? "\\e" : (char[2]){ *c, 0 }, out);
        fputs("\\fR", out);
    }
    fputc('\n', out);
}

void opttab_man_options(FILE *out, const struct lc_cmd *cmd, bool sub_headings)
{
    for (const struct lc_opt *r = cmd->opts; is_row(r); r++) {
        if (r->key == 0) {
            if (sub_headings) {
                fputs(".SS ", out);
                roff_line(out, r->help, strlen(r->help));
            } else {
                fputs(".PP\n.B ", out);
                roff_line(out, r->help, strlen(r->help));
            }
            continue;
        }
        fputs(".TP\n", out);
        man_label(out, r);
        opttab_man_text(out, r->help);
    }
}

void opttab_man_synopsis(FILE *out, const struct lc_cmd *cmd)
{
    const char *p = cmd->usage;
    bool first = true;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        fputs(first ? ".PP\n.B " : ".br\n.B ", out);
        first = false;
        roff_line(out, cmd->name, strlen(cmd->name));
        roff_line(out, p, n);
        p += n + (e ? 1 : 0);
    }
}

/* ---- --config ------------------------------------------------------------ */

/* One word at *pp (quoted or not) copied to *dst; *pp moves past it.
 * Returns 0, or -1 with the reason in why. */
static int word(const char **pp, char **dst, bool rest, const char **why)
{
    const char *p = *pp;
    char *d = *dst;

    if (*p == '"') {
        p++;
        while (*p != '"') {
            if (*p == '\0' || *p == '\n') {
                *why = "no closing '\"'";
                return -1;
            }
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                p++;
            *d++ = *p++;
        }
        p++;
        const char *q = p + strspn(p, " \t\r");
        if (rest && *q != '\0' && *q != '\n') {
            *why = "text after the closing '\"'";
            return -1;
        }
    } else if (rest) {
        /* the rest of the line, trailing blanks trimmed */
        const char *e = p + strcspn(p, "\n");
        while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        memcpy(d, p, (size_t)(e - p));
        d += e - p;
        p = e;
    } else {
        while (*p && !strchr(" \t\r\n", *p))
            *d++ = *p++;
    }
    *d++ = '\0';
    *pp = p;
    *dst = d;
    return 0;
}

int opttab_config_words(const struct lc_cmd *cmd, int config_key, const char *file,
                        const char *text, struct opttab_words *w, char *err, size_t errlen)
{
    size_t len = strlen(text), nlines = 1;
    for (const char *c = text; *c; c++)
        if (*c == '\n' || *c == ' ' || *c == '\t')
            nlines++;
    /* each word: at most its bytes + "--" + '=' + NUL */
    size_t bytes = len + 4 * nlines + 8;
    char *mem = malloc(2 * nlines * sizeof(char *) + bytes);
    if (mem == NULL)
        return lc_bad(err, errlen, "%s: out of memory", file), EXIT_OSERR;
    memset(w, 0, sizeof(*w));
    w->mem = mem;
    w->opt = (char **)mem;
    w->eal = w->opt + nlines;
    char *d = (char *)(w->eal + nlines);

    const char *p = text;
    for (unsigned line = 1; *p; line++) {
        const char *eol = p + strcspn(p, "\n");
        p += strspn(p, " \t\r");
        if (p >= eol || *p == '#') {
            p = *eol ? eol + 1 : eol;
            continue;
        }
        size_t nlen = strcspn(p, " \t\r\n");
        const char *v = p + nlen;
        v += strspn(v, " \t\r");
        const char *why = NULL;
        if (nlen == 3 && strncmp(p, "eal", 3) == 0) {
            while (v < eol) {
                w->eal[w->neal++] = d;
                if (word(&v, &d, false, &why) < 0)
                    goto bad;
                v += strspn(v, " \t\r");
            }
            p = *eol ? eol + 1 : eol;
            continue;
        }
        const struct lc_opt *r = NULL;
        for (const struct lc_opt *t = cmd->opts; is_row(t); t++)
            if (t->key && t->name && strlen(t->name) == nlen && strncmp(t->name, p, nlen) == 0)
                r = t;
        if (r == NULL) {
            free(mem);
            memset(w, 0, sizeof(*w));
            return lc_bad(err, errlen, "%s:%u: unknown option '%.*s' (expected a long option of "
                          "%s --help without its dashes, or eal)", file, line, (int)nlen, p,
                          cmd->name);
        }
        if (r->key == config_key) {
            free(mem);
            memset(w, 0, sizeof(*w));
            return lc_bad(err, errlen, "%s:%u: '%s' cannot be used inside a configuration file",
                          file, line, r->name);
        }
        if (r->arg == NULL && v < eol) {
            free(mem);
            memset(w, 0, sizeof(*w));
            return lc_bad(err, errlen, "%s:%u: '%s' takes no value (found '%.*s')", file, line,
                          r->name, (int)(eol - v), v);
        }
        if (r->arg != NULL && v >= eol) {
            free(mem);
            memset(w, 0, sizeof(*w));
            return lc_bad(err, errlen, "%s:%u: '%s' needs a value (%s)", file, line, r->name,
                          r->arg);
        }
        w->opt[w->nopt++] = d;
        d += sprintf(d, "--%s%s", r->name, r->arg ? "=" : "");
        if (r->arg) {
            if (word(&v, &d, true, &why) < 0)
                goto bad;
        } else {
            d++;
        }
        p = *eol ? eol + 1 : eol;
        continue;
bad:
        free(mem);
        memset(w, 0, sizeof(*w));
        return lc_bad(err, errlen, "%s:%u: %s", file, line, why);
    }
    return 0;
}

/* A file's whole text, NUL-terminated (at most 1 MiB). */
static char *slurp(const char *path, int *err_no)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err_no = errno;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            *err_no = ENOMEM;
            break;
        }
        if (n + 1 == cap) {
            if (cap >= (1u << 20)) {
                *err_no = EFBIG;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL)
                free(buf);
            buf = nb;
            cap *= 2;
            continue;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *err_no = errno;
            break;
        }
        if (r == 0) {
            close(fd);
            buf[n] = '\0';
            if (memchr(buf, '\0', n)) {
                free(buf);
                *err_no = EILSEQ;
                return NULL;
            }
            return buf;
        }
        n += (size_t)r;
    }
    close(fd);
    free(buf);
    return NULL;
}

void opttab_argv_free(struct opttab_argv *x)
{
    free(x->mem);
    memset(x, 0, sizeof(*x));
}

/* The config file named by word i (and maybe i + 1), or NULL: not --config.
 * *used: words taken. */
static const char *config_at(const struct lc_cmd *cmd, int config_key, int argc, char **argv,
                             int i, int *used, int *skip)
{
    const char *a = argv[i];
    *used = 1;
    *skip = 0;
    if (a[0] != '-' || a[1] == '\0')
        return NULL;
    if (a[1] == '-') {
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct lc_opt *r = opttab_find_long(cmd->opts, a + 2, n);
        if (r == NULL)
            return NULL;
        if (r->arg && !eq)
            *skip = 1;              /* its value is the next word */
        if (r->key != config_key)
            return NULL;
        if (eq)
            return eq + 1;
        *used = 2;
        return i + 1 < argc ? argv[i + 1] : "";
    }
    /* a cluster of short options: the first that takes a value ends it */
    for (const char *c = a + 1; *c; c++) {
        const struct lc_opt *r = opttab_find_short(cmd->opts, *c);
        if (r && r->arg) {
            if (c[1] == '\0')
                *skip = 1;
            break;
        }
    }
    return NULL;
}

int opttab_expand(const struct lc_cmd *cmd, int config_key, int argc, char **argv,
                  struct opttab_argv *x, char *err, size_t errlen)
{
    struct opttab_words files[8];
    int nfiles = 0, rc = 0, dd = argc;
    int slot[8];                    /* the argv index each file replaces */
    int used_at[8];

    memset(x, 0, sizeof(*x));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            dd = i;
            break;
        }
        int used, skip;
        const char *f = config_at(cmd, config_key, argc, argv, i, &used, &skip);
        if (f == NULL) {
            i += skip;
            continue;
        }
        if (f[0] == '\0') {
            rc = lc_bad(err, errlen, "--config: missing value (a configuration file)");
            goto out;
        }
        if (nfiles == 8) {
            rc = lc_bad(err, errlen, "--config '%s': at most 8 configuration files", f);
            goto out;
        }
        int e = 0;
        char *text = slurp(f, &e);
        if (text == NULL) {
            lc_bad(err, errlen, "--config '%s': cannot read: %s", f,
                   e == EILSEQ ? "not a text file (a NUL byte)" : strerror(e));
            rc = e == ENOMEM ? EXIT_OSERR : EXIT_NOINPUT;
            goto out;
        }
        rc = opttab_config_words(cmd, config_key, f, text, &files[nfiles], err, errlen);
        free(text);
        if (rc)
            goto out;
        slot[nfiles] = i;
        used_at[nfiles] = used;
        nfiles++;
        i += used - 1;
    }
    if (nfiles == 0) {
        x->argc = argc;
        x->argv = argv;
        return 0;
    }

    /* the new vector: argv[0], words before "--" with each --config
     * replaced, "--", the files' EAL words, the words after "--" */
    size_t n = (size_t)argc + 2, bytes = 0;
    for (int k = 0; k < nfiles; k++) {
        n += (size_t)files[k].nopt + (size_t)files[k].neal;
        for (int j = 0; j < files[k].nopt; j++)
            bytes += strlen(files[k].opt[j]) + 1;
        for (int j = 0; j < files[k].neal; j++)
            bytes += strlen(files[k].eal[j]) + 1;
    }
    char *mem = malloc(n * (sizeof(char *) + sizeof(bool)) + bytes);
    if (mem == NULL) {
        rc = lc_bad(err, errlen, "--config: out of memory");
        rc = EXIT_OSERR;
        goto out;
    }
    char **av = (char **)mem;
    bool *ff = (bool *)(av + n);
    char *d = (char *)(ff + n);
    int m = 0, k = 0, neal = 0;
#define PUT(s, file)                                                                    \
    do {                                                                                \
        av[m] = (s);                                                                    \
        ff[m++] = (file);                                                               \
    } while (0)
#define COPY(s)                                                                         \
    do {                                                                                \
        size_t l_ = strlen(s) + 1;                                                      \
        memcpy(d, (s), l_);                                                             \
        PUT(d, true);                                                                   \
        d += l_;                                                                        \
    } while (0)
    for (int i = 0; i < dd; i++) {
        if (k < nfiles && i == slot[k]) {
            for (int j = 0; j < files[k].nopt; j++)
                COPY(files[k].opt[j]);
            neal += files[k].neal;
            i += used_at[k] - 1;
            k++;
            continue;
        }
        PUT(argv[i], false);
    }
    if (neal || dd < argc)
        PUT(dd < argc ? argv[dd] : (char *)"--", false);
    for (k = 0; k < nfiles; k++)
        for (int j = 0; j < files[k].neal; j++)
            COPY(files[k].eal[j]);
    for (int i = dd + 1; i < argc; i++)
        PUT(argv[i], false);
#undef PUT
#undef COPY
    av[m] = NULL;
    x->argc = m;
    x->argv = av;
    x->from_file = ff;
    x->mem = mem;
out:
    for (int j = 0; j < nfiles; j++)
        free(files[j].mem);
    return rc;
}
