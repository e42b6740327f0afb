/* `linecap verify FILE...`: read capture files back and explain them. */
#ifndef LC_VERIFY_H
#define LC_VERIFY_H

/* argv[0] is "verify". Returns the process exit code. */
int verify_main(int argc, char **argv);

#endif
