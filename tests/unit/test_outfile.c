/* File lifecycle on a real directory: partial name, exact trim, mode 0600
 * whatever the umask, no overwrite, no link followed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "storage/outfile.h"

int main(void)
{
    char dir[] = "/tmp/lc_outfile_XXXXXX";
    struct outfile f;
    bool fb = false;
    struct stat st;
    static uint8_t buf[8192] __attribute__((aligned(4096)));

    CHECK(mkdtemp(dir) != NULL);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    umask(0);

    CHECK(outfile_open(&f, dfd, "a.pcap", 0600, true, &fb) == 0);
    CHECK(fstatat(dfd, ".a.pcap.partial", &st, 0) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(fstatat(dfd, "a.pcap", &st, 0) != 0);         /* not visible until whole */
    memset(buf, 0x5a, sizeof(buf));
    CHECK(outfile_pwrite(&f, buf, 8192, 0, &fb) == 0);
    CHECK(outfile_pwrite(&f, buf, 4096, 8192, &fb) == 0);
    f.length = 10000;                                   /* trim the padding */
    CHECK(outfile_close(&f, true) == 0);
    CHECK(fstatat(dfd, "a.pcap", &st, 0) == 0);
    CHECK_EQ_U(st.st_size, 10000);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(fstatat(dfd, ".a.pcap.partial", &st, 0) != 0);

    /* Never overwrite an existing final name. */
    CHECK(outfile_open(&f, dfd, "a.pcap", 0600, true, &fb) == -EEXIST);
    /* A link planted at the final name counts as existing. */
    CHECK(symlinkat("/tmp/elsewhere", dfd, "b.pcap") == 0);
    CHECK(outfile_open(&f, dfd, "b.pcap", 0600, true, &fb) == -EEXIST);
    /* A link planted at the partial name is not followed. */
    CHECK(symlinkat("/tmp/elsewhere2", dfd, ".c.pcap.partial") == 0);
    CHECK(outfile_open(&f, dfd, "c.pcap", 0600, true, &fb) == -EEXIST);
    CHECK(access("/tmp/elsewhere2", F_OK) != 0);

    /* The final name appearing while we write is not replaced. */
    CHECK(outfile_open(&f, dfd, "d.pcap", 0600, false, &fb) == 0);
    CHECK(outfile_pwrite(&f, buf, 100, 0, &fb) == 0);
    int other = openat(dfd, "d.pcap", O_CREAT | O_WRONLY, 0644);
    CHECK(other >= 0);
    close(other);
    f.length = 100;
    CHECK(outfile_close(&f, false) == -EEXIST);
    CHECK(fstatat(dfd, "d.pcap", &st, 0) == 0 && st.st_size == 0);

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_done("test_outfile");
}
