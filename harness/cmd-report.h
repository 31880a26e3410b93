/*
 * cmd-report - `bootproof report` and `bootproof runs`, and the step `run`
 * takes after its last results.json.
 *
 *   bootproof report RUN_DIR [--history DB] [--compare[=RUN_ID]] [--fail-on-new]
 *     Re-renders index.html and junit.xml (and results.tap if missing) from
 *     RUN_DIR/results.json. With --history or --compare the run is also
 *     recorded in the history (replacing an earlier record of the same run).
 *     --compare compares it with the previous complete run of the same suite
 *     (or RUN_ID; "RUN_DIR --compare RUN_ID" works too) and prints
 *       compared RUN with OTHER (suite SUITE)
 *       new signature: TITLE (where)           one line each, or "no new signatures"
 *       fixed signature: TITLE (where it was)
 *       flaky scenario: NAME (VERDICT, was VERDICT)
 *     and the page shows the new signatures. --fail-on-new (implies
 *     --compare) exits 1 when there is a new signature.
 *   bootproof runs [--history DB]
 *     Lists recorded runs, newest first: id, started, suite, scenarios,
 *     pass/fail/infra, distinct signatures, complete or why not.
 *
 * DB defaults to history.db beside RUN_DIR (reports/history.db for a run in
 * reports/), and to reports/history.db for `runs`.
 * Exit status: 0 done, 1 new signatures with --fail-on-new, 2 usage, 3 a
 * file or the history could not be read or written.
 */
#ifndef BP_CMD_REPORT_H
#define BP_CMD_REPORT_H

#include "util.h"

int cmd_report(int argc, char **argv);
int cmd_runs(int argc, char **argv);

/*
 * After a run (complete or not): record RUN_DIR in the history (db_path, or
 * NULL for history.db beside RUN_DIR), compare it with the previous run of
 * its suite and render its reports with the new signatures marked. Prints
 * nothing. Returns 0, or -1 with err (a failing history does not stop the
 * rendering; err then names the history's error).
 */
int report_after_run(const char *run_dir, const char *db_path, struct bp_error *err);

#endif
