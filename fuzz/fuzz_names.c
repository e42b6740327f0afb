/* Output names from any -w path: a name built from the template never
 * holds a '/', never is "." or "..", fits in 255 bytes, and its partial
 * name maps back to it. */
#include <stdlib.h>
#include <string.h>

#include "storage/names.h"
#include "storage/recover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name, int n)
{
    char part[320], back[512];
    if (n < 0)
        return;
    if ((size_t)n != strlen(name) || n > 255 || strchr(name, '/') || !strcmp(name, ".") ||
        !strcmp(name, "..") || n == 0)
        abort();
    if (names_partial(part, sizeof(part), name) >= 0) {
        if (!recover_final_name(part, back, sizeof(back)) || strcmp(back, name) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct name_template t;
    char path[5000], name[512];
    if (size < 10 || size - 10 >= sizeof(path))
        return 0;
    memcpy(path, data + 10, size - 10);
    path[size - 10] = '\0';
    if (names_split(path, &t) < 0)
        return 0;
    uint64_t seq = 0, ns = 0;
    memcpy(&seq, data, 4);
    memcpy(&ns, data + 4, 5);
    ns *= 1000;
    int stream = (int8_t)data[9];
    check_name(name, names_format(name, sizeof(name), &t, false, -1, 1, ns));
    check_name(name, names_format(name, sizeof(name), &t, true, stream < 0 ? -1 : stream,
                                  seq, ns));
    return 0;
}
