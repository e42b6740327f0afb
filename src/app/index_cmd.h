/* `linecap index`: see index_cmd.c. */
#ifndef LC_INDEX_CMD_H
#define LC_INDEX_CMD_H

/* argv[0] is "index". Returns the process exit code. */
int index_main(int argc, char **argv);

#endif
