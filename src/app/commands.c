#include "app/commands.h"

#include "app/extract_cmd.h"
#include "app/index_cmd.h"
#include "app/recover_cmd.h"
#include "verify/verify.h"

const struct lc_cmd *const lc_subcommands[] = {
    &verify_command, &recover_command, &extract_command, &index_command, NULL,
};
