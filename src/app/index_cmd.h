/* `linecap index`: see index_cmd.c. */
#ifndef LC_INDEX_CMD_H
#define LC_INDEX_CMD_H

#include "common/opttab.h"

/* argv[0] is "index". Returns the process exit code. */
int index_main(int argc, char **argv);

/* its options and help */
extern const struct lc_cmd index_command;

#endif
