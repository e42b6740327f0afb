#include "app/report.h"

#include <string.h>

#include "common/log.h"

int report_exit(struct app *a, const char *reason)
{
    const struct config *c = &a->cfg;
    const struct run_state *run = &a->pipe.run;
    const struct file_record *files;
    unsigned nfiles = pipeline_files(&a->pipe, &files);
    struct st_snapshot fin;
    int rc;

    /* the device counters as read once the receive lcores stopped */
    pipeline_snapshot(&a->pipe, &fin, false);
    int code = run->fatal ? run->fatal : 0;
    if (run->fatal) {
        reason = "error";
        lc_err("%s", run->fatal_msg);
    }
    fin.forced = run->abort != 0;
    st_summary(stderr, &fin, reason, files, nfiles, a->tmpl.dir);
    if (a->json_f) {
        rc = st_json(a->json_f, &fin, reason, code, files, nfiles, a->tmpl.dir);
        a->json_f = NULL;       /* closed */
        if (rc < 0) {
            lc_err("--stats-json '%s': cannot write: %s", c->stats_json, strerror(-rc));
            if (code == 0)
                code = EXIT_CANTCREAT;
        }
    }
    if (!c->count_only) {
        char mname[400];
        rc = manifest_write(&a->man, c, a->dirfd, a->tmpl.dir, &fin, reason, code, files, nfiles,
                            !c->no_sync, mname, sizeof(mname));
        /* After a failed run (a full disk, a removed directory) the cause
         * has had its error line: this is a consequence, a warning. */
        if (rc < 0 && code == 0) {
            lc_err("manifest '%s/%s': cannot write: %s", a->tmpl.dir, mname[0] ? mname : "?",
                   strerror(-rc));
            code = EXIT_CANTCREAT;
        } else if (rc < 0) {
            lc_warn("manifest '%s/%s' not written: %s", a->tmpl.dir, mname[0] ? mname : "?",
                    strerror(-rc));
        }
    }
    return code;
}
