/* The one JSON string writer of linecap, linecap-gen and linecap verify. */
#ifndef LC_JSON_H
#define LC_JSON_H

#include <stdio.h>

/* s as a quoted JSON string: '"' and '\\' escaped, control bytes as \u00XX. */
void lc_json_str(FILE *f, const char *s);

#endif
