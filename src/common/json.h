/* The one JSON writer of linecap, linecap-gen and linecap verify: streaming
 * (straight to a FILE, in call order, no allocation), with the commas, the
 * key quoting and the indentation done here. A container is opened either
 * LC_JSON_LINES (one member per line, indented two spaces per level) or
 * LC_JSON_INLINE (members on one line, ", " between them).
 *
 *     struct lc_json j;
 *     lc_json_init(&j, f);
 *     lc_json_object(&j, NULL, LC_JSON_LINES);
 *     lc_json_u64(&j, "received", n);
 *     lc_json_end(&j);
 *     rc = lc_json_finish(&j);
 *
 * key: the member's name inside an object; NULL inside an array and for the
 * top-level value. A misuse (a key missing or given where none belongs, an
 * end with nothing open, nesting deeper than LC_JSON_DEPTH) is recorded as
 * -EINVAL, as a failed write is as -errno, and the first of them is
 * returned by lc_json_finish. */
#ifndef LC_JSON_H
#define LC_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define LC_JSON_DEPTH 16

enum lc_json_style { LC_JSON_LINES, LC_JSON_INLINE };

struct lc_json_level {
    bool object;                /* else an array */
    bool lines;                 /* LC_JSON_LINES */
    bool any;                   /* a member was written */
};

struct lc_json {
    FILE *f;
    int err;                    /* first error: 0, -EINVAL or -errno */
    int depth;                  /* open containers */
    int lines;                  /* open LC_JSON_LINES containers (the indent level) */
    bool top_done;              /* the top-level value is written */
    struct lc_json_level lvl[LC_JSON_DEPTH];
};

void lc_json_init(struct lc_json *j, FILE *f);

/* Open an object or an array; lc_json_end closes the innermost open one. */
void lc_json_object(struct lc_json *j, const char *key, enum lc_json_style style);
void lc_json_array(struct lc_json *j, const char *key, enum lc_json_style style);
void lc_json_end(struct lc_json *j);

/* Values. A NULL string is written as null; a double that is not finite
 * (NaN, inf) too, else with prec digits after the point ("%.*f"). */
void lc_json_string(struct lc_json *j, const char *key, const char *s);
void lc_json_u64(struct lc_json *j, const char *key, uint64_t v);
void lc_json_i64(struct lc_json *j, const char *key, int64_t v);
void lc_json_double(struct lc_json *j, const char *key, double v, int prec);
void lc_json_bool(struct lc_json *j, const char *key, bool v);
void lc_json_null(struct lc_json *j, const char *key);

/* After the top-level value: every container closed, a final newline,
 * fflush. Returns 0, or the first error (-EINVAL for a misuse or an
 * unfinished document, -errno for a failed write). The FILE stays open. */
int lc_json_finish(struct lc_json *j);

#endif
