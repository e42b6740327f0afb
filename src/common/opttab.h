/* One option table per command. getopt_long's structures, the --help text,
 * the man page and the --config file's names all come from it, so they
 * cannot disagree. Pure: no exit, no global state beyond getopt's. */
#ifndef LC_OPTTAB_H
#define LC_OPTTAB_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define LC_STR_(x) #x
#define LC_XSTR(x) LC_STR_(x)

#define LC_OPT_MAX 64               /* rows of one table, headings included */

/* A row. key: what getopt_long returns, a short option letter (also the
 * short option, 1..255) or a code >= 256 for a long-only option; 0 with a
 * help text: a heading; all zero: the end. */
struct lc_opt {
    int key;
    const char *name;               /* long name, or NULL: a short option only */
    const char *arg;                /* the argument's name, NULL: takes none */
    const char *help;               /* one or a few lines, '\n' between */
};

/* A command: its table and the words around it. */
struct lc_cmd {
    const char *name;               /* "linecap", "linecap verify", "linecap-gen" */
    const char *summary;            /* one line: linecap --help's list, man NAME */
    const char *usage;              /* synopsis lines after the name, '\n' between */
    const char *about;              /* description paragraphs (blank line between) */
    const struct lc_opt *opts;
    const char *notes;              /* paragraphs after the options, or NULL */
    const char *exits;              /* "0 ok, 64 usage, ...": the exit codes */
    const char *shortopts_head;     /* getopt flags before the letters: ":" or "-:" */
    /* more text after the notes (generated lists), or NULL; roff: as man
     * page source */
    void (*more)(FILE *out, bool roff);
};

/* getopt_long's option array (NULL-terminated) and short option string of
 * a table: exactly its rows. Returns 0, or -1 when nlo or nso is too small. */
int opttab_getopt(const struct lc_cmd *cmd, struct option *lo, size_t nlo, char *so, size_t nso);

/* The row whose long name is name or, as getopt_long takes it, its unique
 * abbreviation (len: bytes of name to compare). NULL: none or ambiguous. */
const struct lc_opt *opttab_find_long(const struct lc_opt *t, const char *name, size_t len);
const struct lc_opt *opttab_find_short(const struct lc_opt *t, int letter);

/* The --help text: usage, about, the subcommands (subs, NULL-terminated, or
 * NULL), the options, the notes, the exit codes. */
void opttab_help(FILE *out, const struct lc_cmd *cmd, const struct lc_cmd *const *subs);

/* text filled (words rewrapped) into columns col to 79, the cursor at
 * column at; ends the line */
void opttab_fill(FILE *out, const char *text, int col, int at);

/* roff source: the options as .TP paragraphs (headings as .SS when
 * sub_headings, else as bold lines), and text with roff's special
 * characters escaped (paragraphs separated by .PP). */
void opttab_man_options(FILE *out, const struct lc_cmd *cmd, bool sub_headings);
void opttab_man_text(FILE *out, const char *text);
/* the synopsis line(s) of a command, as roff */
void opttab_man_synopsis(FILE *out, const struct lc_cmd *cmd);

/* ---- --config FILE ------------------------------------------------------
 * One option per line: its long name without dashes, then its value (the
 * rest of the line, trimmed; "..." keeps spaces, \" and \\ inside); '#'
 * starts a comment line; blank lines are ignored; `eal ARGS...` gives EAL
 * arguments (whitespace-separated words, each may be quoted). */

struct opttab_words {
    char **opt;                     /* "--name" or "--name=value", in file order */
    int nopt;
    char **eal;                     /* the words of every eal line */
    int neal;
    void *mem;                      /* one allocation holding all of it */
};

/* The command-line words of a configuration file's text (file: its name
 * for messages; config_key: the row that must not appear inside a file).
 * Returns 0, EXIT_USAGE with "FILE:LINE: ..." in err, or EXIT_OSERR.
 * Free w->mem. */
int opttab_config_words(const struct lc_cmd *cmd, int config_key, const char *file,
                        const char *text, struct opttab_words *w, char *err, size_t errlen);

/* argv with every --config FILE (or --config=FILE, or an abbreviation, as
 * getopt_long would find it before "--") replaced by the file's words at
 * its place, and the files' EAL words put right after "--" (added at the
 * end if absent). from_file[i]: word i came from a file. */
struct opttab_argv {
    int argc;
    char **argv;                    /* NULL-terminated */
    bool *from_file;
    void *mem;                      /* free with opttab_argv_free */
};

/* Returns 0 (x->argv is argv itself, x->mem NULL, when there is no
 * --config), EXIT_USAGE ("FILE:LINE: ..." or a missing file name),
 * EXIT_NOINPUT (the file cannot be read: one line naming it) or EXIT_OSERR,
 * with the line in err. */
int opttab_expand(const struct lc_cmd *cmd, int config_key, int argc, char **argv,
                  struct opttab_argv *x, char *err, size_t errlen);
void opttab_argv_free(struct opttab_argv *x);

#endif
