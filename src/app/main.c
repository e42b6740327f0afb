/* linecap: dispatch to a subcommand, or run a capture step by step. The
 * only code that exits. */
#include <string.h>

#include "app/capture.h"
#include "app/extract_cmd.h"
#include "app/index_cmd.h"
#include "app/recover_cmd.h"
#include "app/report.h"
#include "common/log.h"
#include "common/sys.h"
#include "verify/verify.h"

/* The capture, in order: everything checked before DPDK starts, then the
 * EAL, the block pool before the ports (populating a large pool takes
 * time, and a started port would miss packets meanwhile), the streams over
 * the ports' queues, the privilege drop, the run, the report. */
static int capture(struct app *a, int argc, char **argv)
{
    char err[1024];
    int rc;

    if ((rc = app_options(a, argc, argv)) != 0 || a->cfg.help || a->cfg.version)
        return rc;
    if ((rc = app_check(a)) != 0 || (rc = app_dpdk(a, argv[0])) != 0 ||
        (rc = app_pipeline(a)) != 0 || (rc = app_ports(a)) != 0)
        return rc;
    if ((rc = pipeline_streams(&a->pipe, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }
    if ((rc = app_privileges(a)) != 0)
        return rc;
    lc_install_stop_signals();
    if ((rc = pipeline_start(&a->pipe, err, sizeof(err))) != 0) {
        lc_err("%s", err);
        return rc;
    }
    const char *reason = run_capture(a);
    app_ports_stop(a);
    return report_exit(a, reason);
}

int main(int argc, char **argv)
{
    static struct app app;

    lc_progname = "linecap";
    if (argc > 1 && strcmp(argv[1], "verify") == 0) {
        lc_progname = "linecap verify";
        return verify_main(argc - 1, argv + 1);
    }
    if (argc > 1 && strcmp(argv[1], "recover") == 0) {
        lc_progname = "linecap recover";
        return recover_main(argc - 1, argv + 1);
    }
    if (argc > 1 && strcmp(argv[1], "extract") == 0) {
        lc_progname = "linecap extract";
        return extract_main(argc - 1, argv + 1);
    }
    if (argc > 1 && strcmp(argv[1], "index") == 0) {
        lc_progname = "linecap index";
        return index_main(argc - 1, argv + 1);
    }
    int rc = capture(&app, argc, argv);
    app_teardown(&app);
    return rc;
}
