/* linecap's exit report: the summary on stderr, the --stats-json document
 * and the run manifest, all from one final snapshot. */
#ifndef LC_APP_REPORT_H
#define LC_APP_REPORT_H

#include "app/capture.h"

/* After the drain and the ports' stop: report the run that ended for
 * reason. Returns the exit code (a fatal writer error's, 73 when the
 * --stats-json or the manifest of a clean run cannot be written, else 0). */
int report_exit(struct app *a, const char *reason);

#endif
