/* The command line parser on any argument vector (arguments separated by
 * NUL bytes): it returns 0 or an exit code with a message, and never
 * crashes, leaks or reads past an argument. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config c;
    static int quiet;
    char *argv[66];
    int argc = 0;
    char err[10000];

    if (!quiet) {
        quiet = 1;
        if (freopen("/dev/null", "w", stdout) == NULL)
            abort();
    }
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    argv[argc++] = (char *)"linecap";
    for (size_t i = 0; i < size && argc < 64;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    int rc = options_parse(argc, argv, &c, err, sizeof(err));
    options_free(&c);
    if (rc > 0 && err[0] == '\0')
        abort();    /* every refusal says why */
    free(buf);
    return 0;
}
