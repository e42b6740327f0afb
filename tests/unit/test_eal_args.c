/* The EAL argument vectors of linecap and linecap-gen at the limits the
 * options accept: 64 receive cores on CPUs up to 1023, 16 PCI ports, 64
 * arguments after "--" (fixed-size buffers overflowed at ~30 cores and with
 * 12+ PCI ports plus 64 pass-through arguments); what the two programs'
 * vectors differ in, and the user's memory options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/eal.h"
#include "app/options.h"
#include "check.h"

static struct config cfg;
static char err[512];

static int find(const struct eal_args *e, const char *arg)
{
    for (int i = 0; i < e->argc; i++)
        if (strcmp(e->argv[i], arg) == 0)
            return i;
    return -1;
}

int main(void)
{
    /* the primitive: grows without bound, keeps argv NULL-terminated */
    struct eal_args e;
    eal_args_init(&e);
    for (int i = 0; i < 1000; i++)
        CHECK(eal_args_add(&e, "arg%d", i) == 0);
    CHECK(e.argc == 1000 && e.argv[1000] == NULL && strcmp(e.argv[999], "arg999") == 0);
    /* the EAL's copy: what it overwrites is not lost */
    char **v = eal_args_view(&e);
    CHECK(v != NULL && v != e.argv && v[999] == e.argv[999] && v[1000] == NULL);
    v[5] = "program";
    CHECK(strcmp(e.argv[5], "arg5") == 0);
    eal_args_free(&e);

    unsigned cpus[64];
    for (int i = 0; i < 64; i++)
        cpus[i] = 1023 - (unsigned)(i % 2);        /* repeats allowed: lcores share a CPU */
    eal_args_init(&e);
    CHECK(eal_args_lcores(&e, 1000, cpus, 64) == 0);
    char want[2048];
    size_t k = (size_t)snprintf(want, sizeof(want), "--lcores=0@1000");
    for (int i = 0; i < 64; i++)
        k += (size_t)snprintf(want + k, sizeof(want) - k, ",%d@%u", i + 1, cpus[i]);
    CHECK(e.argc == 1 && strcmp(e.argv[0], want) == 0);
    eal_args_free(&e);

    /* linecap at its limits, through the option parser */
    char *argv[400];
    char pci[16][16], cores[300];
    int n = 0;
    argv[n++] = "linecap";
    for (int i = 0; i < 16; i++) {
        snprintf(pci[i], sizeof(pci[i]), "0000:%02x:00.0", i + 1);
        argv[n++] = "-i";
        argv[n++] = pci[i];
    }
    size_t ck = 0;
    for (int i = 0; i < 64; i++)
        ck += (size_t)snprintf(cores + ck, sizeof(cores) - ck, "%s%u", i ? "," : "",
                               960 + (unsigned)i);
    argv[n++] = "--cores";
    argv[n++] = cores;
    argv[n++] = "-w";
    argv[n++] = "x.pcap";
    argv[n++] = "--telemetry";
    argv[n++] = "--";
    for (int i = 0; i < 64; i++)
        argv[n++] = i == 63 ? "--last-user-arg" : "--log-level=pmd.net.x:info";
    argv[n] = NULL;
    CHECK(options_parse(n, argv, &cfg, err, sizeof(err)) == 0);
    CHECK(cfg.nifaces == 16 && cfg.ncores == 64 && cfg.n_eal_args == 64);

    eal_args_init(&e);
    CHECK(app_eal_args(&e, &cfg, "linecap", 5, cfg.cores, cfg.ncores, true) == 0);
    /* argv0, --in-memory, --lcores, --main-lcore, telemetry log level, 3
     * log levels, 2 per PCI port, --no-huge -m N, 64 user arguments */
    CHECK_EQ_U(e.argc, 1 + 1 + 1 + 1 + 1 + 3 + 32 + 3 + 64);
    CHECK(e.argv[e.argc] == NULL);
    CHECK(strcmp(e.argv[e.argc - 1], "--last-user-arg") == 0);
    CHECK(strncmp(e.argv[2], "--lcores=0@5,1@960,2@961,", 25) == 0);
    k = (size_t)snprintf(want, sizeof(want), "--lcores=0@5");
    for (int i = 0; i < 64; i++)
        k += (size_t)snprintf(want + k, sizeof(want) - k, ",%d@%d", i + 1, 960 + i);
    CHECK(strcmp(e.argv[2], want) == 0);
    int npci = 0;
    for (int i = 0; i + 1 < e.argc; i++)
        if (strcmp(e.argv[i], "-a") == 0 && strncmp(e.argv[i + 1], "0000:", 5) == 0)
            npci++;
    CHECK(npci == 16);
    for (int i = 0; i < e.argc; i++)
        CHECK(strcmp(e.argv[i], "--no-pci") != 0);
    eal_args_free(&e);

    /* one more of each is refused by the parser with a line naming the limit */
    argv[n++] = "--one-too-many";
    argv[n] = NULL;
    CHECK(options_parse(n, argv, &cfg, err, sizeof(err)) == EXIT_USAGE && strstr(err, "64"));
    char *a2[] = { "linecap", "-i", "x", "-w", "y", "--cores", "0-64", NULL };
    CHECK(options_parse(7, a2, &cfg, err, sizeof(err)) == EXIT_USAGE && strstr(err, "at most 64"));

    /* linecap-gen's vector: its file prefix, --no-telemetry, one vdev port
     * (--no-pci), --single-file-segments with hugepages */
    const char *vdev = "net_memif0,role=server";
    unsigned tx[2] = { 3, 3 };
    struct eal_conf ec = {
        .argv0 = "linecap-gen", .file_prefix = "lcgen42", .main_cpu = 0, .cpus = tx,
        .ncpus = 2, .ports = &vdev, .nports = 1, .mem_mb = 288, .single_file_segments = true,
    };
    eal_args_init(&e);
    CHECK(eal_args_build(&e, &ec) == 0);
    const char *gen_want[] = { "linecap-gen", "--in-memory", "--file-prefix=lcgen42",
                               "--lcores=0@0,1@3,2@3", "--main-lcore=0", "--no-telemetry",
                               "--log-level=lib.eal:error", "--log-level=pmd.*:warning",
                               "--log-level=lib.bpf:critical", "--no-pci",
                               "--single-file-segments" };
    CHECK_EQ_U(e.argc, sizeof(gen_want) / sizeof(gen_want[0]));
    for (int i = 0; i < e.argc && i < (int)(sizeof(gen_want) / sizeof(gen_want[0])); i++)
        CHECK(strcmp(e.argv[i], gen_want[i]) == 0);
    eal_args_free(&e);
    /* without hugepages: --no-huge -m, no segment option */
    ec.no_huge = true;
    eal_args_init(&e);
    CHECK(eal_args_build(&e, &ec) == 0);
    int nh = find(&e, "--no-huge");
    CHECK(nh > 0 && nh + 3 == e.argc && strcmp(e.argv[nh + 1], "-m") == 0 &&
          strcmp(e.argv[nh + 2], "288") == 0);
    CHECK(find(&e, "--single-file-segments") < 0);
    eal_args_free(&e);
    /* a port index: no --no-pci, no -a */
    const char *idx = "0";
    ec.ports = &idx;
    eal_args_init(&e);
    CHECK(eal_args_build(&e, &ec) == 0);
    CHECK(find(&e, "--no-pci") < 0 && find(&e, "-a") < 0);
    eal_args_free(&e);

    /* the user's memory options, the same for both programs: a hugepage
     * option, -m or a segment layout turns off --no-huge -m and
     * --single-file-segments; the user's arguments come last, unchanged */
    const char *mem[] = { "--huge-dir=/mnt/h", "-m", "--single-file-segments",
                          "--huge-unlink" };
    const char *other[] = { "--log-level=pmd.net.memif:debug", "--in-memory" };
    for (int i = 0; i < 4; i++)
        CHECK(eal_args_user_mem(&mem[i], 1));
    for (int i = 0; i < 2; i++)
        CHECK(!eal_args_user_mem(&other[i], 1));
    CHECK(!eal_args_user_mem(NULL, 0));
    for (int i = 0; i < 2; i++) {
        ec.single_file_segments = i == 0;
        ec.no_huge = i == 1;
        ec.user = &mem[2];
        ec.nuser = 1;
        eal_args_init(&e);
        CHECK(eal_args_build(&e, &ec) == 0);
        CHECK(find(&e, "--no-huge") < 0 && find(&e, "-m") < 0);
        CHECK(find(&e, "--single-file-segments") == e.argc - 1);
        eal_args_free(&e);
    }
    char *a3[] = { "linecap", "-i", "net_null0", "-w", "y", "--", "--single-file-segments", NULL };
    CHECK(options_parse(7, a3, &cfg, err, sizeof(err)) == 0);
    CHECK(app_eal_user_mem(&cfg));
    eal_args_init(&e);
    CHECK(app_eal_args(&e, &cfg, "linecap", 0, cfg.cores, 1, true) == 0);
    CHECK(find(&e, "--no-huge") < 0 && find(&e, "--no-pci") > 0);
    CHECK(find(&e, "--single-file-segments") == e.argc - 1 && find(&e, "--file-prefix") < 0);
    eal_args_free(&e);
    return check_done("test_eal_args");
}
