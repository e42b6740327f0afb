/* `linecap verify` on any input: the first byte picks what the rest is -- a
 * capture file, the generator's JSON or the capture's JSON (each beside a
 * valid empty capture) -- and verify must return one of its exit codes
 * without crashing, leaking or reading out of bounds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/format.h"
#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfile(const void *p, size_t n, char *path, size_t cap)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
        abort();
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    static uint8_t empty[64];
    static size_t empty_len;
    if (!init) {
        init = 1;
        if (freopen("/dev/null", "w", stdout) == NULL)
            abort();
        struct format_info fi = { .snaplen = 262144, .linktype = 1 };
        empty_len = format_pcap.file_header(empty, sizeof(empty), &fi);
    }
    if (size < 1)
        return 0;
    char in[64], cap[64];
    int fd = memfile(data + 1, size - 1, in, sizeof(in));
    int fd2 = memfile(empty, empty_len, cap, sizeof(cap));
    char *argv[8];
    int argc = 0;
    argv[argc++] = (char *)"verify";
    argv[argc++] = (char *)"-q";
    switch (data[0] % 3) {
    case 0:
        argv[argc++] = in;
        break;
    case 1:
        argv[argc++] = (char *)"--gen-json";
        argv[argc++] = in;
        argv[argc++] = cap;
        break;
    default:
        argv[argc++] = (char *)"--capture-json";
        argv[argc++] = in;
        argv[argc++] = cap;
        break;
    }
    argv[argc] = NULL;
    int rc = verify_main(argc, argv);
    if (rc != 0 && rc != 1 && rc != 64 && rc != 66 && rc != 71 && rc != 73)
        abort();
    close(fd);
    close(fd2);
    return 0;
}
