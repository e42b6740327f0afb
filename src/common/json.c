#include "common/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

/* s quoted: '"' and '\\' escaped, control bytes as \u00XX, other bytes as
 * they are. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void lc_json_init(struct lc_json *j, FILE *f)
{
    j->f = f;
    j->err = 0;
    j->depth = 0;
    j->lines = 0;
    j->top_done = false;
}

static void fail(struct lc_json *j, int err)
{
    if (j->err == 0)
        j->err = err;
}

static void indent(struct lc_json *j, int level)
{
    fputc('\n', j->f);
    for (int i = 0; i < level; i++)
        fputs("  ", j->f);
}

/* Everything before a value: the comma, the line break and indent or the
 * space, the key. false (nothing to write) after a misuse. */
static bool begin(struct lc_json *j, const char *key)
{
    if (j->err)
        return false;
    if (j->depth == 0) {
        if (key != NULL || j->top_done) {
            fail(j, -EINVAL);
            return false;
        }
        j->top_done = true;
        return true;
    }
    struct lc_json_level *c = &j->lvl[j->depth - 1];
    if ((key != NULL) != c->object) {
        fail(j, -EINVAL);
        return false;
    }
    if (c->any)
        fputc(',', j->f);
    if (c->lines)
        indent(j, j->lines);
    else if (c->any)
        fputc(' ', j->f);
    c->any = true;
    if (key != NULL) {
        put_str(j->f, key);
        fputs(": ", j->f);
    }
    return true;
}

static void open_container(struct lc_json *j, const char *key, enum lc_json_style style,
                           bool object)
{
    if (j->depth == LC_JSON_DEPTH) {
        fail(j, -EINVAL);
        return;
    }
    if (!begin(j, key))
        return;
    fputc(object ? '{' : '[', j->f);
    bool lines = style == LC_JSON_LINES;
    j->lvl[j->depth].object = object;
    j->lvl[j->depth].lines = lines;
    j->lvl[j->depth].any = false;
    j->depth++;
    j->lines += lines;
}

void lc_json_object(struct lc_json *j, const char *key, enum lc_json_style style)
{
    open_container(j, key, style, true);
}

void lc_json_array(struct lc_json *j, const char *key, enum lc_json_style style)
{
    open_container(j, key, style, false);
}

void lc_json_end(struct lc_json *j)
{
    if (j->err)
        return;
    if (j->depth == 0) {
        fail(j, -EINVAL);
        return;
    }
    struct lc_json_level *c = &j->lvl[--j->depth];
    j->lines -= c->lines;
    if (c->lines && c->any)
        indent(j, j->lines);
    fputc(c->object ? '}' : ']', j->f);
}

void lc_json_string(struct lc_json *j, const char *key, const char *s)
{
    if (!begin(j, key))
        return;
    if (s != NULL)
        put_str(j->f, s);
    else
        fputs("null", j->f);
}

void lc_json_u64(struct lc_json *j, const char *key, uint64_t v)
{
    if (begin(j, key))
        fprintf(j->f, "%" PRIu64, v);
}

void lc_json_i64(struct lc_json *j, const char *key, int64_t v)
{
    if (begin(j, key))
        fprintf(j->f, "%" PRId64, v);
}

void lc_json_double(struct lc_json *j, const char *key, double v, int prec)
{
    if (!begin(j, key))
        return;
    if (isfinite(v))
        fprintf(j->f, "%.*f", prec, v);
    else
        fputs("null", j->f);
}

void lc_json_bool(struct lc_json *j, const char *key, bool v)
{
    if (begin(j, key))
        fputs(v ? "true" : "false", j->f);
}

void lc_json_null(struct lc_json *j, const char *key)
{
    if (begin(j, key))
        fputs("null", j->f);
}

int lc_json_finish(struct lc_json *j)
{
    if (j->depth != 0 || !j->top_done)
        fail(j, -EINVAL);
    fputc('\n', j->f);
    if (fflush(j->f) != 0)
        fail(j, errno ? -errno : -EIO);
    if (ferror(j->f))
        fail(j, -EIO);
    return j->err;
}
