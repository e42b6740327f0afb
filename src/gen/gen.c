/* linecap-gen: placeholder until the generator lands. */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "linecap-gen: not built yet\n");
    return 70;
}
