/* The exit codes of linecap, its subcommands and linecap-gen: sysexits
 * style (shared RELIABILITY plan), one list for every program. Only
 * src/app/ and src/gen/gen.c exit; library code returns these values for
 * them to use (the writer's fatal errors). */
#ifndef LC_EXITCODES_H
#define LC_EXITCODES_H

enum {
    EXIT_PROBLEM = 1,       /* linecap verify: the capture is not consistent */
    EXIT_USAGE = 64,        /* bad option or value */
    EXIT_FILTER = 65,       /* bad capture filter */
    EXIT_PORT = 66,         /* bad, absent or busy port (linecap-gen: also an unreadable replay file) */
    EXIT_NOINPUT = 66,      /* recover, verify: an input path cannot be read */
    EXIT_UNAVAILABLE = 69,  /* DPDK could not start (memory, EAL arguments) */
    EXIT_SOFTWARE = 70,     /* internal error */
    EXIT_OSERR = 71,        /* out of memory */
    EXIT_CANTCREAT = 73,    /* cannot create output (files, --metrics listener, --json) */
    EXIT_IOERR = 74,        /* I/O error during capture */
};

#endif
