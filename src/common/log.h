/* Logging: one line per message to stderr, prefixed with the program name. */
#ifndef LC_LOG_H
#define LC_LOG_H

#include <stdarg.h>

extern const char *lc_progname;
extern int lc_verbose;

void lc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lc_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
