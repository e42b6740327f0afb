/* `linecap extract`: see extract_cmd.c and docs/EXTRACT.md. */
#ifndef LC_EXTRACT_CMD_H
#define LC_EXTRACT_CMD_H

#include "common/opttab.h"

/* argv[0] is "extract". Returns the process exit code. */
int extract_main(int argc, char **argv);

/* its options and help */
extern const struct lc_cmd extract_command;

#endif
