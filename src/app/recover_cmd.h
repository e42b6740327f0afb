/* `linecap recover`: see recover_cmd.c. */
#ifndef LC_RECOVER_CMD_H
#define LC_RECOVER_CMD_H

#include "common/opttab.h"

/* argv[0] is "recover". Returns the process exit code. */
int recover_main(int argc, char **argv);

/* its options and help */
extern const struct lc_cmd recover_command;

#endif
