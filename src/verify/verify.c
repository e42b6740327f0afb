#include "verify/verify.h"

#include <stdio.h>

int verify_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "linecap verify: not built yet\n");
    return 70;
}
