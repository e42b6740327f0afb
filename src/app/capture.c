/* linecap's capture command, the steps before DPDK starts: options and
 * every check that needs no EAL, so that a bad value leaves nothing behind;
 * and the privilege drop, once the ports are up. */
#include "app/capture.h"
#include "app/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_version.h>

#include "common/log.h"
#include "common/sys.h"
#include "format/pcap.h"
#include "stats/stats.h"

int app_options(struct app *a, int argc, char **argv)
{
    char err[10000];

    a->dirfd = -1;
    a->json_fd = -1;
    a->metrics.fd = -1;
    pthread_mutex_init(&a->pub_lock, NULL);
    int rc = options_parse(argc, argv, &a->cfg, err, sizeof(err));
    if (rc) {
        lc_err("%s", err);
        return rc;
    }
    /* the manifest records the options in force: --config files expanded */
    a->man.argc = a->cfg.argc;
    a->man.argv = a->cfg.argv;
    if (a->cfg.help)
        options_usage(stdout, lc_subcommands);
    else if (a->cfg.version)
        printf("linecap %s (%s)\n", LINECAP_VERSION, rte_version());
    if (a->cfg.quiet)
        lc_verbose = 0;
    return 0;
}

/* Receive cores: --cores, else the last allowed CPU; the main thread and
 * the writer take the first allowed CPU not used for receive. */
static int pick_cores(struct app *a)
{
    const struct config *c = &a->cfg;
    const struct lc_cores *k = &a->cores;
    char err[256];

    int rc = lc_cores_pick(c->cores, c->ncores, LC_CORE_LAST, &a->cores, err, sizeof(err));
    if (rc) {
        lc_err("%s", err);
        return rc;
    }
    for (int i = 0; i < k->nwork && !c->quiet; i++) {
        int same = 0, first = i;
        for (int j = 0; j < k->nwork; j++) {
            if (k->work[j] == k->work[i]) {
                same++;
                if (j < first)
                    first = j;
            }
        }
        if (same > 1 && first == i)
            lc_warn("--cores: %d receive loops share CPU %u (they take turns on it)", same,
                    k->work[i]);
    }
    if (k->main_shared && !c->quiet)
        lc_warn("--cores %s: every CPU receives; the writer and main thread share CPU %u "
                "with a receive loop", c->ncores ? "list" : "default", k->main_cpu);
    return 0;
}

/* lstat(dir/name) finds something: the error line for it. */
static bool output_exists(const struct app *a, const char *name, bool partial, char *err,
                          size_t errlen)
{
    const struct config *c = &a->cfg;
    struct stat st;
    char path[4800];

    snprintf(path, sizeof(path), "%s/%s", a->tmpl.dir, name);
    if (lstat(path, &st) != 0)
        return false;
    if (partial)
        snprintf(err, errlen, "-w '%s': '%s' is left from an earlier run that did not finish; "
                 "run 'linecap recover %s' first", c->outpath, path, a->tmpl.dir);
    else
        snprintf(err, errlen, "-w '%s': '%s' exists; linecap does not overwrite files",
                 c->outpath, path);
    return true;
}

/* Check the output before anything starts: the directory exists and is
 * writable, the name is usable, and a single file does not exist yet. */
static int check_output(struct app *a, char *err, size_t errlen)
{
    const struct config *c = &a->cfg;
    struct stat st;

    if (names_split(c->outpath, &a->tmpl) < 0) {
        snprintf(err, errlen, "-w '%s': expected a file name (not a directory or empty)", c->outpath);
        return EXIT_USAGE;
    }
    if (stat(a->tmpl.dir, &st) != 0) {
        snprintf(err, errlen, "-w '%s': directory '%s': %s", c->outpath, a->tmpl.dir,
                 errno == ENOENT ? "does not exist" : strerror(errno));
        return EXIT_CANTCREAT;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "-w '%s': '%s' is not a directory", c->outpath, a->tmpl.dir);
        return EXIT_CANTCREAT;
    }
    if (access(a->tmpl.dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "-w '%s': directory '%s' is not writable: %s", c->outpath,
                 a->tmpl.dir, strerror(errno));
        return EXIT_CANTCREAT;
    }
    /* Rotated names take the extension of -w; without one, the format's. */
    if (a->rotating && a->tmpl.ext[0] == '\0')
        snprintf(a->tmpl.ext, sizeof(a->tmpl.ext), "%s", a->fmt->ext);
    int n = c->ncores > 1 ? c->ncores : 1;
    for (int s = 0; !a->rotating && s < n; s++) {
        char name[300], man[340], part[320];
        if (names_format(name, sizeof(name), &a->tmpl, false, n > 1 ? s : -1, 1, 0) < 0) {
            snprintf(err, errlen, "-w '%s': file name too long", c->outpath);
            return EXIT_USAGE;
        }
        if (output_exists(a, name, false, err, errlen) ||
            (s == 0 && manifest_name(man, sizeof(man), name) >= 0 &&
             output_exists(a, man, false, err, errlen)) ||
            (names_partial(part, sizeof(part), name) >= 0 &&
             output_exists(a, part, true, err, errlen)))
            return EXIT_CANTCREAT;
    }
    a->dirfd = open(a->tmpl.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (a->dirfd < 0) {
        snprintf(err, errlen, "-w '%s': cannot open directory '%s': %s", c->outpath, a->tmpl.dir,
                 strerror(errno));
        return EXIT_CANTCREAT;
    }
    return 0;
}

int app_check(struct app *a)
{
    const struct config *c = &a->cfg;
    char err[10000];
    int rc;

    a->fmt = format_by_name(c->format);
    if (a->fmt == NULL) {
        lc_err("-F '%s': no such format", c->format);
        return EXIT_SOFTWARE;
    }
    a->rotating = c->rot_ns || c->rot_interval_ns || c->rot_bytes || c->rot_pkts;
    for (int i = 0; i < c->nifaces; i++) {
        if (lc_port_spec_kind(c->ifaces[i]) == 0) {
            lc_err("-i '%s': expected a PCI address, a DPDK vdev (net_...), a port index or a "
                   "network interface", c->ifaces[i]);
            return EXIT_PORT;
        }
    }
    /* The link type before anything starts: the filter is compiled for it
     * and every file header says it. A tun, WireGuard or PPP interface has
     * no Ethernet header (raw IP); an interface type that fits no link type,
     * or -i values of different link types, exit 66 before any file. */
    a->linktype = lc_ports_linktype(c->ifaces, c->nifaces, err, sizeof(err));
    if (a->linktype < 0) {
        lc_err("%s", err);
        return EXIT_PORT;
    }
    a->man.linktype = (uint32_t)a->linktype;
    if (a->linktype != LINKTYPE_ETHERNET && !c->quiet)
        lc_info("link type %d (raw IPv4/IPv6): the interface has no link-layer header",
                a->linktype);
    if (c->user && getpwnam(c->user) == NULL) {
        lc_err("-Z '%s': no such user", c->user);
        return EXIT_USAGE;
    }
    if ((rc = pick_cores(a)) != 0)
        return rc;
    if (!c->count_only && (rc = check_output(a, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }
    if (c->metrics && metrics_open(&a->metrics, c->metrics, err, sizeof(err)) < 0) {
        lc_err("%s", err);
        return EXIT_CANTCREAT;
    }
    /* The filter is compiled before DPDK starts: libpcap needs no EAL, and a
     * bad expression leaves nothing behind and no EAL noise. */
    if (c->filter) {
        if (filter_compile(c->filter, (uint32_t)a->linktype, c->snaplen, &a->fprog, err,
                           sizeof(err)) < 0) {
            lc_err("-f '%s': invalid capture filter: %s", c->filter, err);
            return EXIT_FILTER;
        }
        a->has_fprog = true;
    }
    /* --stats-json: created now, as root, before DPDK and any port start
     * (st_json_create: no link followed, no other file replaced). */
    if (c->stats_json) {
        struct passwd *pw = c->user ? getpwnam(c->user) : NULL;
        a->json_fd = st_json_create(c->stats_json, c->group_read ? 0640 : 0600,
                                    pw ? (long)pw->pw_uid : -1, pw ? (long)pw->pw_gid : -1, err,
                                    sizeof(err));
        if (a->json_fd < 0) {
            lc_err("%s", err);
            return EXIT_CANTCREAT;
        }
    }
    return 0;
}

static int drop_privileges(const char *user, char *err, size_t errlen)
{
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, errlen, "-Z '%s': no such user", user);
        return EXIT_USAGE;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "-Z '%s': cannot switch to this user: %s", user, strerror(errno));
        return EXIT_USAGE;
    }
    if (setuid(0) == 0) {
        snprintf(err, errlen, "-Z '%s': privileges could be regained; refusing to run", user);
        return EXIT_SOFTWARE;
    }
    return 0;
}

int app_privileges(struct app *a)
{
    const struct config *c = &a->cfg;
    char err[512];
    int rc;

    /* Created while still root: -Z must not make it unwritable at exit. */
    if (a->json_fd >= 0) {
        a->json_f = fdopen(a->json_fd, "w");
        if (a->json_f == NULL) {
            lc_err("--stats-json '%s': cannot open: %s", c->stats_json, strerror(errno));
            return EXIT_CANTCREAT;
        }
        a->json_fd = -1;        /* json_f owns it */
    }
    if (c->user && (rc = drop_privileges(c->user, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }
    if (c->user && !c->count_only && faccessat(a->dirfd, ".", W_OK | X_OK, 0) != 0) {
        lc_err("-Z '%s': directory '%s' is not writable by that user", c->user, a->tmpl.dir);
        return EXIT_CANTCREAT;
    }
    if (c->post_rotate) {
        /* after the drop (glibc's setuid changes every thread): the check
         * and every command run as the -Z user */
        char cmd[sizeof(a->hook.cmd)];
        if (hook_resolve(c->post_rotate, cmd, sizeof(cmd), err, sizeof(err)) < 0) {
            lc_err("%s", err);
            return EXIT_USAGE;
        }
        if ((rc = hook_init(&a->hook, cmd, a->tmpl.dir, a->dirfd, c->post_rotate_jobs,
                            c->post_rotate_queue)) < 0 ||
            (rc = hook_start(&a->hook)) < 0) {
            lc_err("-z '%s': cannot start the hand-off thread: %s", c->post_rotate,
                   strerror(-rc));
            return EXIT_OSERR;
        }
    }
    return 0;
}
