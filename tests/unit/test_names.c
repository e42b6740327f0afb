#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "storage/names.h"

int main(void)
{
    struct name_template t;
    char out[300];

    setenv("TZ", "UTC", 1);
    CHECK(names_split("/tmp/cap/out.pcap", &t) == 0);
    CHECK(strcmp(t.dir, "/tmp/cap") == 0 && strcmp(t.prefix, "out") == 0 &&
          strcmp(t.ext, ".pcap") == 0);
    CHECK(names_split("out", &t) == 0);
    CHECK(strcmp(t.dir, ".") == 0 && strcmp(t.prefix, "out") == 0 && t.ext[0] == '\0');
    CHECK(names_split("/x.pcap", &t) == 0 && strcmp(t.dir, "/") == 0);
    CHECK(names_split("a.b.pcapng", &t) == 0 && strcmp(t.prefix, "a.b") == 0 &&
          strcmp(t.ext, ".pcapng") == 0);
    CHECK(names_split(".hidden", &t) == 0 && strcmp(t.prefix, ".hidden") == 0);
    CHECK(names_split("dir/", &t) == -EINVAL);
    CHECK(names_split("..", &t) == -EINVAL);
    CHECK(names_split("", &t) == -EINVAL);

    /* 2026-11-25 10:15:00 UTC */
    uint64_t ns = 1795601700ULL * 1000000000ULL + 123;
    names_split("/d/cap.pcap", &t);
    CHECK(names_format(out, sizeof(out), &t, true, -1, 1, ns) > 0);
    CHECK(strcmp(out, "cap_00001_20261125101500.pcap") == 0);
    CHECK(names_format(out, sizeof(out), &t, true, 2, 123456, ns) > 0);
    CHECK(strcmp(out, "cap_s2_123456_20261125101500.pcap") == 0);
    CHECK(names_format(out, sizeof(out), &t, false, -1, 1, ns) > 0);
    CHECK(strcmp(out, "cap.pcap") == 0);
    CHECK(names_format(out, sizeof(out), &t, false, 1, 1, ns) > 0);
    CHECK(strcmp(out, "cap_s1.pcap") == 0);
    CHECK(names_partial(out, sizeof(out), "cap.pcap") > 0 && strcmp(out, ".cap.pcap.partial") == 0);
    /* Generated names never contain a slash: they stay in the directory. */
    CHECK(strchr(out, '/') == NULL);

    char longp[400];
    memset(longp, 'a', 250);
    strcpy(longp + 250, ".pcap");
    CHECK(names_split(longp, &t) == 0);
    CHECK(names_format(out, sizeof(out), &t, true, -1, 1, ns) == -ENAMETOOLONG);
    return check_done("test_names");
}
