/* Minimal unit-test helpers: CHECK records a failure and goes on. */
#ifndef LC_CHECK_H
#define LC_CHECK_H

#include <stdio.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        check_count++;                                                                  \
        if (!(cond)) {                                                                  \
            check_failures++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
        }                                                                               \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                \
    do {                                                                                \
        unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b);  \
        check_count++;                                                                  \
        if (_a != _b) {                                                                 \
            check_failures++;                                                           \
            fprintf(stderr, "%s:%d: %s == %llu, expected %llu\n", __FILE__, __LINE__, #a, \
                    _a, _b);                                                            \
        }                                                                               \
    } while (0)

static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
