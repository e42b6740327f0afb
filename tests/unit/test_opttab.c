/* Option tables: getopt's structures, the --config file's words (every bad
 * line exits 64 naming FILE:LINE), their place on the command line, and the
 * --help and man page rows of a table. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/exitcodes.h"
#include "common/opttab.h"

enum { K_LONG = 256, K_CONFIG };

static const struct lc_opt opts[] = {
    { 0, NULL, NULL, "Group" },
    { 'i', "interface", "PORT", "a port" },
    { 'w', "write", "FILE", "output\nsecond line" },
    { 'g', "group-read", NULL, "group: a long help text that is filled into the columns of the "
      "help text, up to the 80th" },
    { 'x', NULL, "N", "short only" },
    { K_LONG, "long-only", NULL, "long only" },
    { K_CONFIG, "config", "FILE", "a file" },
    { 0, NULL, NULL, NULL },
};

static const struct lc_cmd cmd = {
    .name = "prog",
    .summary = "a test",
    .usage = "-i PORT",
    .about = "About.",
    .opts = opts,
    .exits = "0 ok",
    .shortopts_head = "-:",
};

static char err[512];

static int words(const char *text, struct opttab_words *w)
{
    err[0] = '\0';
    return opttab_config_words(&cmd, K_CONFIG, "f.conf", text, w, err, sizeof(err));
}

#define BAD(needle, text)                                                               \
    do {                                                                                \
        struct opttab_words w_;                                                         \
        CHECK(words(text, &w_) == EXIT_USAGE);                                          \
        CHECK(w_.mem == NULL);                                                          \
        if (strstr(err, needle) == NULL || strchr(err, '\n')) {                         \
            check_failures++;                                                           \
            fprintf(stderr, "%s:%d: message '%s' does not name '%s' on one line\n",     \
                    __FILE__, __LINE__, err, needle);                                   \
        }                                                                               \
    } while (0)

static char *tmpfile_with(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/test_opttab.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
    return path;
}

int main(void)
{
    struct option lo[LC_OPT_MAX];
    char so[64];

    /* getopt's structures: every row, nothing else */
    CHECK(opttab_getopt(&cmd, lo, LC_OPT_MAX, so, sizeof(so)) == 0);
    CHECK(strcmp(so, "-:i:w:gx:") == 0);
    CHECK(strcmp(lo[0].name, "interface") == 0 && lo[0].has_arg == required_argument &&
          lo[0].val == 'i');
    CHECK(strcmp(lo[2].name, "group-read") == 0 && lo[2].has_arg == no_argument);
    CHECK(strcmp(lo[3].name, "long-only") == 0 && lo[3].val == K_LONG);
    CHECK(strcmp(lo[4].name, "config") == 0 && lo[5].name == NULL);
    CHECK(opttab_getopt(&cmd, lo, 3, so, sizeof(so)) < 0);
    CHECK(opttab_getopt(&cmd, lo, LC_OPT_MAX, so, 5) < 0);
    /* abbreviations as getopt_long takes them */
    CHECK(opttab_find_long(opts, "conf", 4)->key == K_CONFIG);
    CHECK(opttab_find_long(opts, "interface", 9)->key == 'i');
    CHECK(opttab_find_long(opts, "nope", 4) == NULL);
    CHECK(opttab_find_short(opts, 'x')->key == 'x' && opttab_find_short(opts, 'q') == NULL);

    /* the words of a file */
    struct opttab_words w;
    CHECK(words("# a comment\n"
                "\n"
                "interface net_pcap0,iface=eth0\n"
                "  write   /var/x y.pcap   \n"
                "\tgroup-read\r\n"
                "write \"  two  spaces \\\" \\\\ \"\n"
                "eal --no-huge -m \"512 x\"\n"
                "long-only\n"
                "interface a#b", &w) == 0);
    CHECK(w.nopt == 6 && w.neal == 3);
    if (w.nopt == 6 && w.neal == 3) {
        CHECK(strcmp(w.opt[0], "--interface=net_pcap0,iface=eth0") == 0);
        CHECK(strcmp(w.opt[1], "--write=/var/x y.pcap") == 0);
        CHECK(strcmp(w.opt[2], "--group-read") == 0);
        CHECK(strcmp(w.opt[3], "--write=  two  spaces \" \\ ") == 0);
        CHECK(strcmp(w.opt[4], "--long-only") == 0);
        CHECK(strcmp(w.opt[5], "--interface=a#b") == 0);
        CHECK(strcmp(w.eal[0], "--no-huge") == 0 && strcmp(w.eal[1], "-m") == 0 &&
              strcmp(w.eal[2], "512 x") == 0);
    }
    free(w.mem);
    CHECK(words("", &w) == 0 && w.nopt == 0 && w.neal == 0);
    free(w.mem);

    BAD("f.conf:2: unknown option 'frobnicate'", "# x\nfrobnicate 1\n");
    BAD("f.conf:1: unknown option '--write'", "--write x");
    BAD("f.conf:1: unknown option 'x'", "x 3");        /* a short name is no line */
    BAD("f.conf:3: 'write' needs a value", "\n\nwrite   \n");
    BAD("f.conf:1: 'group-read' takes no value (found 'yes')", "group-read yes");
    BAD("f.conf:1: no closing", "write \"abc\n");
    BAD("f.conf:1: text after the closing", "write \"abc\" def");
    BAD("f.conf:1: no closing", "eal \"-m");
    BAD("f.conf:2: 'config' cannot be used", "group-read\nconfig other.conf");

    /* the file's lines in place of --config, its EAL words after -- */
    struct opttab_argv x;
    char *f = tmpfile_with("write a.pcap\neal -m 64\ngroup-read\n");
    char *v1[] = { "prog", "-i", "p", "--config", f, "-w", "b.pcap", "--", "--no-huge", NULL };
    CHECK(opttab_expand(&cmd, K_CONFIG, 9, v1, &x, err, sizeof(err)) == 0);
    CHECK(x.argc == 11);
    if (x.argc == 11) {
        const char *want[] = { "prog", "-i", "p", "--write=a.pcap", "--group-read", "-w", "b.pcap",
                               "--", "-m", "64", "--no-huge" };
        const bool ff[] = { 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0 };
        for (int i = 0; i < 11; i++) {
            CHECK(strcmp(x.argv[i], want[i]) == 0);
            CHECK(x.from_file[i] == ff[i]);
        }
        CHECK(x.argv[11] == NULL);
    }
    opttab_argv_free(&x);
    /* --config=FILE and an abbreviation; "--" added for the EAL words */
    char eq[128];
    snprintf(eq, sizeof(eq), "--conf=%s", f);
    char *v2[] = { "prog", eq, NULL };
    CHECK(opttab_expand(&cmd, K_CONFIG, 2, v2, &x, err, sizeof(err)) == 0);
    CHECK(x.argc == 6 && strcmp(x.argv[3], "--") == 0 && strcmp(x.argv[5], "64") == 0 &&
          x.argv[6] == NULL);
    opttab_argv_free(&x);
    /* an option's value, or anything after --, is no --config */
    char *v3[] = { "prog", "-w", "--config", "-gx", "--config", "--write", "--config",
                   "--", "--config", "y", NULL };
    CHECK(opttab_expand(&cmd, K_CONFIG, 10, v3, &x, err, sizeof(err)) == 0);
    CHECK(x.argv == v3 && x.mem == NULL && x.from_file == NULL);
    opttab_argv_free(&x);
    /* no --config: argv itself */
    CHECK(opttab_expand(&cmd, K_CONFIG, 3, v1, &x, err, sizeof(err)) == 0 && x.argv == v1);
    /* a missing or unreadable file: one line naming it, 66; no file name: 64 */
    char *v4[] = { "prog", "--config", "/nonexistent/x.conf", NULL };
    CHECK(opttab_expand(&cmd, K_CONFIG, 3, v4, &x, err, sizeof(err)) == EXIT_NOINPUT);
    CHECK(strstr(err, "/nonexistent/x.conf") && strchr(err, '\n') == NULL);
    char *v5[] = { "prog", "--config", NULL };
    CHECK(opttab_expand(&cmd, K_CONFIG, 2, v5, &x, err, sizeof(err)) == EXIT_USAGE);
    char *v6[] = { "prog", "--config", "/tmp", NULL };
    CHECK(opttab_expand(&cmd, K_CONFIG, 3, v6, &x, err, sizeof(err)) == EXIT_NOINPUT);
    unlink(f);
    /* a bad line in the file: 64 with FILE:LINE */
    f = tmpfile_with("write a\nbogus\n");
    char *v7[] = { "prog", "--config", f, NULL };
    CHECK(opttab_expand(&cmd, K_CONFIG, 3, v7, &x, err, sizeof(err)) == EXIT_USAGE);
    char want[128];
    snprintf(want, sizeof(want), "%s:2: unknown option 'bogus'", f);
    CHECK(strstr(err, want) == err);
    unlink(f);

    /* --help: every row, headings, continuation lines */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    opttab_help(m, &cmd, NULL);
    fclose(m);
    CHECK(strstr(buf, "Usage: prog -i PORT\n") == buf);
    CHECK(strstr(buf, "\nGroup:\n  -i, --interface PORT    a port\n"));
    CHECK(strstr(buf, "  -w, --write FILE        output second line\n"));
    CHECK(strstr(buf, "  -x N                    short only\n"));
    CHECK(strstr(buf, "      --long-only         long only\n"));
    CHECK(strstr(buf, "\nExit codes: 0 ok\n"));
    CHECK(strstr(buf, "  -g, --group-read        group: a long help text that is filled into the\n"
                      "                          columns of the help text, up to the 80th\n"));
    free(buf);
    /* the man page rows: escaped, one .TP each */
    m = open_memstream(&buf, &len);
    opttab_man_options(m, &cmd, true);
    fclose(m);
    CHECK(strstr(buf, ".SS Group\n.TP\n\\fB\\-i\\fR, \\fB\\-\\-interface\\fR \\fIPORT\\fR\na port\n"));
    CHECK(strstr(buf, ".TP\n\\fB\\-\\-long\\-only\\fR\nlong only\n"));
    CHECK(strstr(buf, ".TP\n\\fB\\-x\\fR \\fIN\\fR\nshort only\n"));
    free(buf);
    m = open_memstream(&buf, &len);
    opttab_man_text(m, "a\n.dot\n\nb \\ c-d");
    fclose(m);
    CHECK(strcmp(buf, "a\n\\&.dot\n.PP\nb \\e c\\-d\n") == 0);
    free(buf);
    return check_done("test_opttab");
}
