/* linecap's subcommands, in the order linecap --help and linecap(1) list
 * them. */
#ifndef LC_APP_COMMANDS_H
#define LC_APP_COMMANDS_H

#include "common/opttab.h"

/* verify, recover, extract, index; NULL-terminated */
extern const struct lc_cmd *const lc_subcommands[];

#endif
