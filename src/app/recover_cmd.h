/* `linecap recover`: see recover_cmd.c. */
#ifndef LC_RECOVER_CMD_H
#define LC_RECOVER_CMD_H

/* argv[0] is "recover". Returns the process exit code. */
int recover_main(int argc, char **argv);

#endif
