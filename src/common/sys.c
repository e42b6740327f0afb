#include "common/sys.h"

#include <ctype.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "format/pcap.h"         /* LINKTYPE_* */

#ifndef ARPHRD_RAWIP
#define ARPHRD_RAWIP 519
#endif

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

int lc_arphrd_linktype(unsigned arphrd)
{
    switch (arphrd) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:       /* lo has Ethernet header_ops (zero addresses) */
        return LINKTYPE_ETHERNET;
    /* Devices without header_ops: AF_PACKET hands over skb->data, which is
     * the IP header both ways (seen on a tun: 0x45.. in, and the kernel's
     * own 0x45.. and 0x60.. out); libpcap maps these to DLT_RAW on a raw
     * socket as well. */
    case ARPHRD_NONE:           /* tun (IFF_TUN), WireGuard */
    case ARPHRD_PPP:            /* ppp_generic: the protocol field is pulled
                                 * on receive, pushed after the taps on send */
    case ARPHRD_RAWIP:          /* rmnet, qmi_wwan raw-ip */
    case ARPHRD_TUNNEL:         /* ipip, vti */
    case ARPHRD_TUNNEL6:        /* ip6tnl, vti6 */
    case ARPHRD_SIT:            /* sit */
        return LINKTYPE_RAW;
    default:
        /* Not GRE (778, 823) either: a GRE device without a remote address
         * has header_ops, and then the outer IP and GRE headers come first. */
        return -1;
    }
}

#define SPEC_MAX_IFACES 8

/* The kernel interfaces a -i value captures from (see lc_ports_linktype);
 * a value that cannot be an interface name is left out. Returns how many;
 * *libpcap: they are opened through libpcap (net_pcap), not AF_PACKET. */
static int spec_ifaces(const char *spec, char names[][IFNAMSIZ], int max, bool *libpcap)
{
    static const char *const afp_keys[] = { "iface", NULL };
    static const char *const pcap_keys[] = { "iface", "rx_iface", "rx_iface_in", NULL };
    const char *const *keys;
    int n = 0;

    *libpcap = false;
    if (lc_port_spec_kind(spec) == 'k') {
        snprintf(names[0], IFNAMSIZ, "%s", spec);
        return 1;
    }
    if (strncmp(spec, "net_af_packet", 13) == 0)
        keys = afp_keys;
    else if (strncmp(spec, "net_pcap", 8) == 0) {
        keys = pcap_keys;
        *libpcap = true;
    }
    else
        return 0;
    for (const char *p = strchr(spec, ','); p != NULL && n < max; p = strchr(p, ',')) {
        p++;
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        if (eq == NULL)
            continue;
        size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
        for (int k = 0; keys[k] != NULL; k++) {
            if (strlen(keys[k]) != klen || memcmp(p, keys[k], klen) != 0)
                continue;
            if (vlen == 0 || vlen >= IFNAMSIZ || memchr(eq + 1, '/', vlen) != NULL)
                break;
            memcpy(names[n], eq + 1, vlen);
            names[n][vlen] = '\0';
            if (strcmp(names[n], ".") != 0 && strcmp(names[n], "..") != 0)
                n++;
            break;
        }
    }
    return n;
}

/* The ARPHRD type of interface name per sysfs, or -1 when there is none. */
static long iface_arphrd(const char *name)
{
    char path[64], line[32], *end;
    long v = -1;

    snprintf(path, sizeof(path), "/sys/class/net/%.*s/type", IFNAMSIZ - 1, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    if (fgets(line, sizeof(line), f) != NULL) {
        v = strtol(line, &end, 10);
        if (end == line || v < 0 || v > 65535)
            v = -1;
    }
    fclose(f);
    return v;
}

static const char *linktype_name(int lt)
{
    return lt == LINKTYPE_RAW ? "raw IP, link type 101" : "Ethernet, link type 1";
}

int lc_ports_linktype(const char *const *specs, int n, char *err, size_t errlen)
{
    int lt = -1;
    const char *lt_spec = NULL;

    for (int i = 0; i < n; i++) {
        char names[SPEC_MAX_IFACES][IFNAMSIZ];
        bool libpcap;
        int nn = spec_ifaces(specs[i], names, SPEC_MAX_IFACES, &libpcap);
        for (int j = 0; j < (nn > 0 ? nn : 1); j++) {
            int l = LINKTYPE_ETHERNET;
            long t = nn > 0 ? iface_arphrd(names[j]) : -1;
            if (t >= 0 && (l = lc_arphrd_linktype((unsigned)t)) < 0) {
                snprintf(err, errlen,
                         "-i '%s': interface %s has ARPHRD type %ld, which linecap cannot label "
                         "(supported: Ethernet 1 and loopback 772, written as Ethernet; none "
                         "65534 (tun, WireGuard), PPP 512, raw IP 519, IPIP 768, IPv6 tunnel "
                         "769 and SIT 776, written as raw IP)", specs[i], names[j], t);
                return -1;
            }
            /* libpcap (net_pcap) reads raw IP only where it keeps a raw
             * socket (none, IPIP, SIT); for PPP, RAWIP, IPv6 tunnels it
             * switches to cooked mode and prepends a Linux SLL header. */
            if (libpcap && l == LINKTYPE_RAW && t != ARPHRD_NONE && t != ARPHRD_TUNNEL &&
                t != ARPHRD_SIT) {
                snprintf(err, errlen,
                         "-i '%s': net_pcap reads interface %s (ARPHRD type %ld) through "
                         "libpcap, which adds a Linux cooked header there; use -i %s", specs[i],
                         names[j], t, names[j]);
                return -1;
            }
            if (lt_spec == NULL) {
                lt = l;
                lt_spec = specs[i];
            } else if (l != lt) {
                /* One link type per run: pcap has one per file, and the
                 * pcapng writer gives every IDB the same one. */
                snprintf(err, errlen,
                         "-i '%s' (%s) and -i '%s' (%s): a capture file holds one link type; "
                         "capture them in separate runs", lt_spec, linktype_name(lt), specs[i],
                         linktype_name(l));
                return -1;
            }
        }
    }
    return lt < 0 ? LINKTYPE_ETHERNET : lt;
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
