/* recover_scan_buf on the tails a crash leaves, and recover_path on real
 * files in a scratch directory. The files it keeps are read back by libpcap
 * in tests/vdev/t_recover.sh; here the offsets are checked exactly. */
#include "storage/recover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "format/pcap.h"

static uint8_t buf[1 << 16];

/* a pcap file of nrec records of caplen bytes each; returns its length */
static size_t make_pcap(uint8_t *p, unsigned nrec, uint32_t caplen)
{
    struct pcap_file_hdr h = { PCAP_MAGIC_NSEC, 2, 4, 0, 0, 256, 1 };
    size_t off = sizeof(h);
    memcpy(p, &h, sizeof(h));
    for (unsigned i = 0; i < nrec; i++) {
        pcap_put_rec_hdr(p + off, 1700000000u + i, 999999999u, caplen, caplen + 4);
        memset(p + off + 16, 0xA5, caplen);
        off += 16 + caplen;
    }
    return off;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* SHB + IDB + nrec EPBs of 60 bytes; returns its length */
static size_t make_pcapng(uint8_t *p, unsigned nrec)
{
    size_t off = 0;
    put32(p, 0x0A0D0D0A); put32(p + 4, 28); put32(p + 8, 0x1A2B3C4D);
    p[12] = 1; p[13] = 0; p[14] = 0; p[15] = 0;
    memset(p + 16, 0xff, 8); put32(p + 24, 28);
    off = 28;
    put32(p + off, 1); put32(p + off + 4, 20); put32(p + off + 8, 1); put32(p + off + 12, 256);
    put32(p + off + 16, 20);
    off += 20;
    for (unsigned i = 0; i < nrec; i++) {
        uint32_t len = 32 + 60;
        put32(p + off, 6); put32(p + off + 4, len); put32(p + off + 8, 0);
        put32(p + off + 12, 0); put32(p + off + 16, i); put32(p + off + 20, 60);
        put32(p + off + 24, 60); memset(p + off + 28, 0x5A, 60); put32(p + off + len - 4, len);
        off += len;
    }
    return off;
}

static void test_pcap_tails(void)
{
    struct recover_scan s;
    size_t n = make_pcap(buf, 10, 60);
    size_t good = n;

    recover_scan_buf(buf, n, &s);           /* a complete file */
    CHECK(s.format == RECOVER_PCAP);
    CHECK_EQ_U(s.good_end, n);
    CHECK_EQ_U(s.records, 10);
    CHECK(s.why == NULL);

    memset(buf + n, 0, 4096);               /* zero padding of the last direct write */
    recover_scan_buf(buf, n + 4096, &s);
    CHECK_EQ_U(s.good_end, good);
    CHECK_EQ_U(s.records, 10);
    CHECK(s.why && strstr(s.why, "zero"));

    recover_scan_buf(buf, n + 7, &s);       /* a few zero bytes: less than a header */
    CHECK_EQ_U(s.good_end, good);

    make_pcap(buf, 11, 60);                 /* the 11th record torn in its data */
    recover_scan_buf(buf, good + 16 + 30, &s);
    CHECK_EQ_U(s.good_end, good);
    CHECK_EQ_U(s.records, 10);
    CHECK(s.why && strstr(s.why, "torn"));
    recover_scan_buf(buf, good + 9, &s);    /* torn in its header */
    CHECK_EQ_U(s.good_end, good);

    pcap_put_rec_hdr(buf + good, 1, 2, 100000, 100000);    /* over the snap length */
    recover_scan_buf(buf, good + 4096, &s);
    CHECK_EQ_U(s.good_end, good);
    pcap_put_rec_hdr(buf + good, 1, 2, 60, 59);            /* caplen above len */
    recover_scan_buf(buf, good + 4096, &s);
    CHECK_EQ_U(s.good_end, good);
    pcap_put_rec_hdr(buf + good, 1, 1000000000u, 60, 60);  /* nanoseconds >= 1e9 */
    recover_scan_buf(buf, good + 4096, &s);
    CHECK_EQ_U(s.good_end, good);

    recover_scan_buf(buf, 24, &s);          /* header only: valid, empty */
    CHECK(s.format == RECOVER_PCAP);
    CHECK_EQ_U(s.good_end, 24);
    CHECK_EQ_U(s.records, 0);
    recover_scan_buf(buf, 23, &s);          /* torn header: nothing */
    CHECK(s.format == RECOVER_NONE);
    CHECK_EQ_U(s.good_end, 0);
    memset(buf, 0, 64);
    recover_scan_buf(buf, 64, &s);          /* zeros only */
    CHECK(s.format == RECOVER_NONE);
    recover_scan_buf(NULL, 0, &s);
    CHECK(s.format == RECOVER_NONE);

    /* a pcap linecap does not write (microseconds): not touched */
    uint32_t hdr[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1 };
    memcpy(buf, hdr, 24);
    recover_scan_buf(buf, 24 + 100, &s);
    CHECK(s.format == RECOVER_UNKNOWN);
}

/* caplen 0 is a legal record (net_pcap replays them, linecap writes them):
 * the walk goes on past it; only an all-zero record header (the padding of
 * the last direct write) ends the data. */
static void test_pcap_zero_length(void)
{
    struct recover_scan s;
    size_t n = make_pcap(buf, 2, 60), end;

    pcap_put_rec_hdr(buf + n, 1700000002u, 5, 0, 60);       /* caplen 0, len 60 */
    n += 16;
    pcap_put_rec_hdr(buf + n, 1700000003u, 6, 0, 0);        /* no length at all, dated */
    n += 16;
    pcap_put_rec_hdr(buf + n, 0, 0, 0, 80054);              /* undated, origlen only */
    n += 16;
    pcap_put_rec_hdr(buf + n, 1700000004u, 7, 60, 80054);   /* cut by the snap length */
    memset(buf + n + 16, 0xA5, 60);
    n += 16 + 60;
    pcap_put_rec_hdr(buf + n, 1700000005u, 8, 60, 64);
    memset(buf + n + 16, 0xA5, 60);
    n += 16 + 60;
    end = n;

    recover_scan_buf(buf, n, &s);
    CHECK(s.format == RECOVER_PCAP);
    CHECK_EQ_U(s.good_end, end);
    CHECK_EQ_U(s.records, 7);
    CHECK(s.why == NULL);

    memset(buf + n, 0, 4096);               /* then the zero tail: cut there */
    recover_scan_buf(buf, n + 4096, &s);
    CHECK_EQ_U(s.good_end, end);
    CHECK_EQ_U(s.records, 7);
    CHECK(s.why && strstr(s.why, "zero"));
    recover_scan_buf(buf, n + 16, &s);      /* exactly one zero header */
    CHECK_EQ_U(s.good_end, end);
    CHECK_EQ_U(s.records, 7);

    /* the file header then zeros only: no records */
    memset(buf + 24, 0, 64);
    recover_scan_buf(buf, 24 + 64, &s);
    CHECK_EQ_U(s.good_end, 24);
    CHECK_EQ_U(s.records, 0);
}

static void test_pcapng_tails(void)
{
    struct recover_scan s;
    size_t n = make_pcapng(buf, 5);

    recover_scan_buf(buf, n, &s);
    CHECK(s.format == RECOVER_PCAPNG);
    CHECK_EQ_U(s.good_end, n);
    CHECK_EQ_U(s.records, 5);

    memset(buf + n, 0, 4096);
    recover_scan_buf(buf, n + 4096, &s);
    CHECK_EQ_U(s.good_end, n);
    CHECK_EQ_U(s.records, 5);

    size_t m = make_pcapng(buf, 6);
    recover_scan_buf(buf, m - 1, &s);       /* the last block torn */
    CHECK_EQ_U(s.good_end, n);
    CHECK_EQ_U(s.records, 5);
    put32(buf + m - 4, 96);                 /* trailer disagrees */
    recover_scan_buf(buf, m, &s);
    CHECK_EQ_U(s.good_end, n);
    put32(buf + n + 4, 13);                 /* impossible length */
    recover_scan_buf(buf, m, &s);
    CHECK_EQ_U(s.good_end, n);

    /* an EPB with caplen 0 is legal: kept, and the walk goes on */
    size_t z = make_pcapng(buf, 2);
    put32(buf + z, 6); put32(buf + z + 4, 32); put32(buf + z + 8, 0); put32(buf + z + 12, 0);
    put32(buf + z + 16, 9); put32(buf + z + 20, 0); put32(buf + z + 24, 60); put32(buf + z + 28, 32);
    size_t z2 = make_pcapng(buf + z + 32, 1) - 48;      /* one more 60-byte EPB after it */
    memmove(buf + z + 32, buf + z + 32 + 48, z2);
    recover_scan_buf(buf, z + 32 + z2, &s);
    CHECK(s.format == RECOVER_PCAPNG);
    CHECK_EQ_U(s.good_end, z + 32 + z2);
    CHECK_EQ_U(s.records, 4);
    memset(buf + z + 32 + z2, 0, 4096);
    recover_scan_buf(buf, z + 32 + z2 + 4096, &s);
    CHECK_EQ_U(s.good_end, z + 32 + z2);
    CHECK_EQ_U(s.records, 4);

    make_pcapng(buf, 6);
    recover_scan_buf(buf, 20, &s);          /* torn section header */
    CHECK(s.format == RECOVER_NONE);
    CHECK_EQ_U(s.good_end, 0);

    make_pcapng(buf, 1);                    /* the other byte order: not ours, left alone */
    put32(buf + 4, __builtin_bswap32(28));
    put32(buf + 8, __builtin_bswap32(0x1A2B3C4D));
    recover_scan_buf(buf, 200, &s);
    CHECK(s.format == RECOVER_UNKNOWN);
    CHECK_EQ_U(s.good_end, 0);
}

static void test_names(void)
{
    char out[64];
    CHECK(recover_final_name(".cap.pcap.partial", out, sizeof(out)));
    CHECK(strcmp(out, "cap.pcap") == 0);
    CHECK(!recover_final_name("cap.pcap.partial", out, sizeof(out)));
    CHECK(!recover_final_name(".cap.pcap", out, sizeof(out)));
    CHECK(!recover_final_name("..partial", out, sizeof(out)));
    CHECK(!recover_final_name("...partial", out, sizeof(out)));
}

static int write_file(int dirfd, const char *name, const void *p, size_t n)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, p, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

static off_t size_of(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, 0) == 0 ? st.st_size : -1;
}

/* set a file's modification time SECS seconds back */
static void age_file(int dirfd, const char *name, int secs)
{
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= secs;
    t[1] = t[0];
    CHECK(utimensat(dirfd, name, t, 0) == 0);
}

static void test_files(void)
{
    char dir[] = "/tmp/lc-test-recover-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        CHECK(!"mkdtemp");
        return;
    }
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    struct recover_result r;
    size_t n = make_pcap(buf, 3, 60);
    memset(buf + n, 0, 1000);

    /* trimmed and renamed */
    CHECK(write_file(dirfd, ".a.pcap.partial", buf, n + 1000) == 0);
    CHECK(recover_path(dirfd, ".a.pcap.partial", false, &r) == 0);
    CHECK(strcmp(r.final, "a.pcap") == 0);
    CHECK_EQ_U(size_of(dirfd, "a.pcap"), n);
    CHECK(size_of(dirfd, ".a.pcap.partial") < 0);

    /* the final name exists: .recovered, and the existing file untouched */
    CHECK(write_file(dirfd, ".a.pcap.partial", buf, n + 10) == 0);
    CHECK(recover_path(dirfd, ".a.pcap.partial", false, &r) == 0);
    CHECK(strcmp(r.final, "a.recovered.pcap") == 0);
    CHECK_EQ_U(size_of(dirfd, "a.recovered.pcap"), n);
    CHECK_EQ_U(size_of(dirfd, "a.pcap"), n);
    /* both exist: refused, the partial stays as it was */
    CHECK(write_file(dirfd, ".a.pcap.partial", buf, n + 10) == 0);
    CHECK(recover_path(dirfd, ".a.pcap.partial", false, &r) == -EEXIST);
    CHECK_EQ_U(size_of(dirfd, ".a.pcap.partial"), n + 10);  /* not trimmed, not renamed */
    CHECK(!r.trimmed);
    CHECK_EQ_U(size_of(dirfd, "a.pcap"), n);
    CHECK_EQ_U(size_of(dirfd, "a.recovered.pcap"), n);
    unlinkat(dirfd, ".a.pcap.partial", 0);

    /* a recover that died after linking the final name: the link that is
     * this very file is taken, not a reason for .recovered */
    CHECK(write_file(dirfd, ".f.pcap.partial", buf, n + 10) == 0);
    CHECK(linkat(dirfd, ".f.pcap.partial", dirfd, "f.pcap", 0) == 0);
    CHECK(recover_path(dirfd, ".f.pcap.partial", false, &r) == 0);
    CHECK(strcmp(r.final, "f.pcap") == 0);
    CHECK_EQ_U(size_of(dirfd, "f.pcap"), n);
    CHECK(size_of(dirfd, ".f.pcap.partial") < 0);
    CHECK(size_of(dirfd, "f.recovered.pcap") < 0);

    /* dry run changes nothing */
    CHECK(write_file(dirfd, ".b.pcap.partial", buf, n + 10) == 0);
    CHECK(recover_path(dirfd, ".b.pcap.partial", true, &r) == 0);
    CHECK_EQ_U(r.scan.good_end, n);
    CHECK_EQ_U(size_of(dirfd, ".b.pcap.partial"), n + 10);

    /* locked by a writer: left alone */
    int fd = openat(dirfd, ".b.pcap.partial", O_RDONLY);
    CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
    CHECK(recover_path(dirfd, ".b.pcap.partial", false, &r) == 0);
    CHECK(r.busy);
    CHECK_EQ_U(size_of(dirfd, ".b.pcap.partial"), n + 10);
    close(fd);

    /* zeros only, older than RECOVER_YOUNG_SECS: removed */
    static const uint8_t zeros[8192];
    CHECK(write_file(dirfd, ".c.pcap.partial", zeros, 100) == 0);
    age_file(dirfd, ".c.pcap.partial", RECOVER_YOUNG_SECS + 1);
    CHECK(recover_path(dirfd, ".c.pcap.partial", false, &r) == 0);
    CHECK(r.removed);
    CHECK(size_of(dirfd, ".c.pcap.partial") < 0);
    CHECK(write_file(dirfd, ".c.pcap.partial", zeros, 0) == 0);         /* empty */
    age_file(dirfd, ".c.pcap.partial", RECOVER_YOUNG_SECS + 1);
    CHECK(recover_path(dirfd, ".c.pcap.partial", false, &r) == 0);
    CHECK(r.removed);
    CHECK(size_of(dirfd, ".c.pcap.partial") < 0);

    /* empty or zeros but just modified: a capture may be creating it */
    CHECK(write_file(dirfd, ".y.pcap.partial", zeros, 0) == 0);
    CHECK(recover_path(dirfd, ".y.pcap.partial", false, &r) == 0);
    CHECK(r.young && !r.removed);
    CHECK_EQ_U(size_of(dirfd, ".y.pcap.partial"), 0);
    CHECK(write_file(dirfd, ".z.pcap.partial", zeros, 4096) == 0);
    CHECK(recover_path(dirfd, ".z.pcap.partial", false, &r) == 0);
    CHECK(r.young && !r.removed);
    CHECK_EQ_U(size_of(dirfd, ".z.pcap.partial"), 4096);

    /* no complete header but not all zeros: left as it is, however old */
    uint8_t *g = buf + 8192;
    memset(g, 0, 8192);                     /* a zero header, records after it */
    memcpy(g + 4096, buf + 24, n - 24);
    CHECK(write_file(dirfd, ".g.pcap.partial", g, 4096 + n - 24) == 0);
    age_file(dirfd, ".g.pcap.partial", 3600);
    CHECK(recover_path(dirfd, ".g.pcap.partial", false, &r) == -ENODATA);
    CHECK(!r.removed);
    CHECK_EQ_U(size_of(dirfd, ".g.pcap.partial"), 4096 + n - 24);
    memset(g, 0, 8192);                     /* zeros but the very last byte */
    g[8191] = 1;
    CHECK(write_file(dirfd, ".h.pcap.partial", g, 8192) == 0);
    age_file(dirfd, ".h.pcap.partial", 3600);
    CHECK(recover_path(dirfd, ".h.pcap.partial", false, &r) == -ENODATA);
    CHECK_EQ_U(size_of(dirfd, ".h.pcap.partial"), 8192);
    CHECK(write_file(dirfd, ".i.pcap.partial", buf, 10) == 0);          /* torn header */
    age_file(dirfd, ".i.pcap.partial", 3600);
    CHECK(recover_path(dirfd, ".i.pcap.partial", false, &r) == -ENODATA);
    CHECK_EQ_U(size_of(dirfd, ".i.pcap.partial"), 10);
    /* a pcapng section header longer than the file: torn, left as it is */
    size_t ng = make_pcapng(g, 2);
    put32(g + 4, 4096); put32(g + 4092, 4096);
    CHECK(write_file(dirfd, ".j.pcapng.partial", g, ng) == 0);
    age_file(dirfd, ".j.pcapng.partial", 3600);
    CHECK(recover_path(dirfd, ".j.pcapng.partial", false, &r) == -ENODATA);
    CHECK(r.scan.why && strstr(r.scan.why, "longer than the file"));
    CHECK_EQ_U(size_of(dirfd, ".j.pcapng.partial"), ng);
    /* only its block type written, zeros after it: still not all zero */
    memset(g + 4, 0, 4092);
    CHECK(write_file(dirfd, ".k.pcapng.partial", g, 4096) == 0);
    age_file(dirfd, ".k.pcapng.partial", 3600);
    CHECK(recover_path(dirfd, ".k.pcapng.partial", false, &r) == -ENODATA);
    CHECK_EQ_U(size_of(dirfd, ".k.pcapng.partial"), 4096);

    /* not a file linecap writes: refused, left as it was */
    uint32_t us[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1 };
    CHECK(write_file(dirfd, ".e.pcap.partial", us, sizeof(us)) == 0);
    CHECK(recover_path(dirfd, ".e.pcap.partial", false, &r) == -EILSEQ);
    CHECK_EQ_U(size_of(dirfd, ".e.pcap.partial"), sizeof(us));

    /* not a partial name: refused */
    CHECK(recover_path(dirfd, "a.pcap", false, &r) == -EINVAL);
    /* a symlink under a partial name is not followed */
    CHECK(symlinkat("a.pcap", dirfd, ".d.pcap.partial") == 0);
    CHECK(recover_path(dirfd, ".d.pcap.partial", false, &r) < 0);
    CHECK_EQ_U(size_of(dirfd, "a.pcap"), n);

    const char *names[] = { "a.pcap", "a.recovered.pcap", ".a.pcap.partial", ".b.pcap.partial",
                            ".d.pcap.partial", ".e.pcap.partial", "f.pcap", ".y.pcap.partial",
                            ".z.pcap.partial", ".g.pcap.partial", ".h.pcap.partial",
                            ".i.pcap.partial", ".j.pcapng.partial", ".k.pcapng.partial" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlinkat(dirfd, names[i], 0);
    close(dirfd);
    rmdir(dir);
}

int main(void)
{
    test_pcap_tails();
    test_pcap_zero_length();
    test_pcapng_tails();
    test_names();
    test_files();
    return check_done("test_recover");
}
