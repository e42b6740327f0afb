/* The JSON writer (src/common/json.c): layout, commas, escaping, numbers,
 * misuse and write errors. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"

static char *buf;
static size_t len;

static struct lc_json *start(void)
{
    static struct lc_json j;
    FILE *f = open_memstream(&buf, &len);
    lc_json_init(&j, f);
    return &j;
}

/* finish, close, compare with want; the writer's return value */
static int done(struct lc_json *j, const char *want)
{
    int rc = lc_json_finish(j);
    fclose(j->f);
    if (want && strcmp(buf, want) != 0) {
        fprintf(stderr, "JSON differs:\n--- got\n%s--- want\n%s", buf, want);
        check_failures++;
    }
    check_count++;
    free(buf);
    buf = NULL;
    return rc;
}

static void test_layout(void)
{
    struct lc_json *j = start();
    lc_json_object(j, NULL, LC_JSON_LINES);
    lc_json_string(j, "version", "1.0");
    lc_json_u64(j, "n", 18446744073709551615ULL);
    lc_json_i64(j, "neg", -5);
    lc_json_bool(j, "t", true);
    lc_json_bool(j, "f", false);
    lc_json_null(j, "nothing");
    lc_json_string(j, "nul", NULL);
    lc_json_object(j, "inline", LC_JSON_INLINE);
    lc_json_u64(j, "a", 1);
    lc_json_array(j, "pairs", LC_JSON_INLINE);
    lc_json_array(j, NULL, LC_JSON_INLINE);
    lc_json_u64(j, NULL, 64);
    lc_json_u64(j, NULL, 7);
    lc_json_end(j);
    lc_json_end(j);
    lc_json_array(j, "rows", LC_JSON_LINES);
    lc_json_object(j, NULL, LC_JSON_INLINE);
    lc_json_u64(j, "q", 0);
    lc_json_end(j);
    lc_json_object(j, NULL, LC_JSON_INLINE);
    lc_json_u64(j, "q", 1);
    lc_json_end(j);
    lc_json_end(j);
    lc_json_end(j);
    lc_json_array(j, "empty", LC_JSON_LINES);
    lc_json_end(j);
    lc_json_object(j, "empty_obj", LC_JSON_INLINE);
    lc_json_end(j);
    lc_json_array(j, "list", LC_JSON_LINES);
    lc_json_string(j, NULL, "x");
    lc_json_string(j, NULL, "y");
    lc_json_end(j);
    lc_json_end(j);
    CHECK_EQ_U(done(j,
                    "{\n"
                    "  \"version\": \"1.0\",\n"
                    "  \"n\": 18446744073709551615,\n"
                    "  \"neg\": -5,\n"
                    "  \"t\": true,\n"
                    "  \"f\": false,\n"
                    "  \"nothing\": null,\n"
                    "  \"nul\": null,\n"
                    "  \"inline\": {\"a\": 1, \"pairs\": [[64, 7]], \"rows\": [\n"
                    "    {\"q\": 0},\n"
                    "    {\"q\": 1}\n"
                    "  ]},\n"
                    "  \"empty\": [],\n"
                    "  \"empty_obj\": {},\n"
                    "  \"list\": [\n"
                    "    \"x\",\n"
                    "    \"y\"\n"
                    "  ]\n"
                    "}\n"), 0);

    /* a scalar as the whole document */
    j = start();
    lc_json_u64(j, NULL, 3);
    CHECK_EQ_U(done(j, "3\n"), 0);
}

static void test_strings(void)
{
    struct lc_json *j = start();
    lc_json_object(j, NULL, LC_JSON_INLINE);
    lc_json_string(j, "q\"k", "a\"b\\c\n\t\x01\x1f \x7f\xc3\xa9/");
    lc_json_string(j, "", "");
    lc_json_end(j);
    CHECK_EQ_U(done(j, "{\"q\\\"k\": \"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f \x7f\xc3\xa9/\", \"\": \"\"}\n"),
               0);
}

static void test_doubles(void)
{
    struct lc_json *j = start();
    lc_json_array(j, NULL, LC_JSON_INLINE);
    lc_json_double(j, NULL, 1.5, 6);
    lc_json_double(j, NULL, 2.0 / 3.0, 4);
    lc_json_double(j, NULL, -0.125, 3);
    lc_json_double(j, NULL, 14880952.380952, 0);
    lc_json_double(j, NULL, INFINITY, 6);
    lc_json_double(j, NULL, -INFINITY, 6);
    lc_json_double(j, NULL, nan(""), 6);
    lc_json_end(j);
    CHECK_EQ_U(done(j, "[1.500000, 0.6667, -0.125, 14880952, null, null, null]\n"), 0);
}

static void test_misuse(void)
{
    struct lc_json *j;

    j = start();                                      /* a key inside an array */
    lc_json_array(j, NULL, LC_JSON_INLINE);
    lc_json_u64(j, "k", 1);
    lc_json_end(j);
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* no key inside an object */
    lc_json_object(j, NULL, LC_JSON_INLINE);
    lc_json_u64(j, NULL, 1);
    lc_json_end(j);
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* a key at the top */
    lc_json_u64(j, "k", 1);
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* two top-level values */
    lc_json_u64(j, NULL, 1);
    lc_json_u64(j, NULL, 2);
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* end with nothing open */
    lc_json_object(j, NULL, LC_JSON_INLINE);
    lc_json_end(j);
    lc_json_end(j);
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* left open */
    lc_json_object(j, NULL, LC_JSON_LINES);
    lc_json_u64(j, "a", 1);
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* nothing written */
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* too deep */
    for (int i = 0; i <= LC_JSON_DEPTH; i++)
        lc_json_array(j, NULL, LC_JSON_INLINE);
    for (int i = 0; i <= LC_JSON_DEPTH; i++)
        lc_json_end(j);
    CHECK(done(j, NULL) == -EINVAL);

    j = start();                                      /* exactly as deep as allowed */
    for (int i = 0; i < LC_JSON_DEPTH; i++)
        lc_json_array(j, NULL, LC_JSON_INLINE);
    for (int i = 0; i < LC_JSON_DEPTH; i++)
        lc_json_end(j);
    CHECK(done(j, NULL) == 0);
}

static void test_write_error(void)
{
    struct lc_json j;
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL) {
        fprintf(stderr, "test_json: no /dev/full, write error case skipped\n");
        return;
    }
    lc_json_init(&j, f);
    lc_json_object(&j, NULL, LC_JSON_LINES);
    lc_json_string(&j, "k", "v");
    lc_json_end(&j);
    CHECK(lc_json_finish(&j) == -ENOSPC);
    fclose(f);
}

int main(void)
{
    test_layout();
    test_strings();
    test_doubles();
    test_misuse();
    test_write_error();
    return check_done("test_json");
}
