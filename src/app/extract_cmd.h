/* `linecap extract`: see extract_cmd.c and docs/EXTRACT.md. */
#ifndef LC_EXTRACT_CMD_H
#define LC_EXTRACT_CMD_H

/* argv[0] is "extract". Returns the process exit code. */
int extract_main(int argc, char **argv);

#endif
