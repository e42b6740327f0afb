#include "common/sys.h"

#include <ctype.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

volatile sig_atomic_t lc_signals;

static void on_stop_signal(int sig)
{
    (void)sig;
    lc_signals++;
}

void lc_install_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Past RLIMIT_FSIZE a write then fails with EFBIG, which the writer
     * handles (the file ends at its last record, exit 74), instead of the
     * default action killing the process with files left half-named. */
    signal(SIGXFSZ, SIG_IGN);
}

double lc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned lc_free_hugepages(void)
{
    FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
    unsigned n = 0;
    if (f) {
        if (fscanf(f, "%u", &n) != 1)
            n = 0;
        fclose(f);
    }
    return n;
}

int lc_allowed_cpus(unsigned *cpus, int max)
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = (unsigned)c;
    return n;
}

int lc_cpus_allowed(const unsigned *want, int nwant, const unsigned *allowed, int nallowed,
                    char *err, size_t errlen)
{
    for (int i = 0; i < nwant; i++) {
        bool ok = false;
        for (int j = 0; j < nallowed; j++)
            ok |= allowed[j] == want[i];
        if (!ok) {
            snprintf(err, errlen, "--cores: CPU %u is not available to this process (allowed: %u-%u)",
                     want[i], allowed[0], allowed[nallowed - 1]);
            return -1;
        }
    }
    return 0;
}

int lc_port_spec_kind(const char *spec)
{
    int colons = 0, dots = 0;
    bool hex = true, digits = true;

    for (const char *p = spec; *p; p++) {
        if (!isdigit((unsigned char)*p))
            digits = false;
        if (*p == ':')
            colons++;
        else if (*p == '.')
            dots++;
        else if (!isxdigit((unsigned char)*p))
            hex = false;
    }
    if (digits && *spec)
        return 'n';
    if (hex && dots == 1 && (colons == 1 || colons == 2))
        return 'p';
    if (strncmp(spec, "net_", 4) == 0)
        return 'v';
    if (strlen(spec) < 16 && strchr(spec, '/') == NULL && strchr(spec, ',') == NULL) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/sys/class/net/%s", spec);
        if (stat(path, &st) == 0)
            return 'k';
    }
    return 0;
}

void lc_os_name(char *out, size_t cap)
{
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(out, cap, "%s %s", u.sysname, u.release);
    else
        snprintf(out, cap, "Linux");
}

void lc_cpu_model(char *out, size_t cap)
{
    static const char *const keys[] = { "model name", "Hardware", "cpu model", "Model" };
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");

    out[0] = '\0';
    while (f && out[0] == '\0' && fgets(line, sizeof(line), f)) {
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            size_t n = strlen(keys[k]);
            if (strncmp(line, keys[k], n) != 0)
                continue;
            const char *v = strchr(line + n, ':');
            if (v == NULL)
                continue;
            v++;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t len = strcspn(v, "\n");
            if (len > 0) {
                snprintf(out, cap, "%.*s", (int)len, v);
                break;
            }
        }
    }
    if (f)
        fclose(f);
    if (out[0] == '\0') {
        struct utsname u;
        snprintf(out, cap, "%s", uname(&u) == 0 ? u.machine : "unknown");
    }
}
