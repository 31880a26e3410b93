/*
 * cmd-report - `bootproof report` and `bootproof runs`, and the step `run`
 * takes after its last results.json.
 *
 *   bootproof report [-r REPORTS] [--history DB] [--format LIST]
 *                    [--compare [OTHER]] [--fail-on-new] RUN
 *     Re-renders RUN's reports from its results.json: index.html, junit.xml
 *     and results.tap, or those LIST names ("html,junit,tap"). RUN is a run
 *     directory, or a run id (or "latest") under REPORTS (default reports),
 *     or a run id the history recorded. Without --compare the history is
 *     only read: if it holds RUN, the page keeps its comparison with the run
 *     before it. --compare records RUN in the history (replacing an earlier
 *     record of it), compares it with the latest complete run of the same
 *     suite that started before it, or with OTHER (a run id in the history,
 *     or a run directory, recorded first), and prints
 *       compared RUN with OTHER (suite 'SUITE')
 *       new signature: TITLE (SCENARIO boot N, ...)   one line each, or
 *       no new signatures                             exactly this line
 *       fixed signature: TITLE (was on SCENARIO boot N, ...)
 *       flaky scenario: NAME (VERDICT, was VERDICT)
 *     (with no earlier run: a line saying so, then "no new signatures"),
 *     and the page marks the new signatures. --fail-on-new (implies
 *     --compare) makes the exit status 1 when there is a new signature, so
 *     a nightly job can gate on new crashes only. Whenever index.html is
 *     rendered and the history exists, trend.html beside the run directory
 *     is rewritten too (the page links to it).
 *   bootproof report --trend [-r REPORTS] [--history DB]
 *     Writes REPORTS/trend.html (report-trend.h) from DB (default
 *     REPORTS/history.db) and prints "wrote PATH"; no RUN, --compare or
 *     --format with it (usage error). A missing or unreadable history: 3.
 *   bootproof runs [-r REPORTS] [--history DB]
 *     Lists recorded runs, newest first: id, start (UTC), scenarios,
 *     pass/fail/infra, distinct crash signatures, complete or why not,
 *     suite.
 *
 * DB defaults to history.db beside the run directory (REPORTS/history.db,
 * where `run` records every run), and to REPORTS/history.db for `runs`.
 * Text from a run printed on the terminal goes through escape_term() (escape.h):
 * no escape sequence, no line break of its own.
 * Exit status: 0 done, 1 new signatures with --fail-on-new, 2 usage, 3 a
 * file or the history could not be read or written.
 */
#ifndef BP_CMD_REPORT_H
#define BP_CMD_REPORT_H

#include "litter.h"

#include "util.h"

struct cmd_usage;

int cmd_report(int argc, char **argv);
int cmd_runs(int argc, char **argv);
extern const struct cmd_usage report_usage, runs_usage;

/*
 * After a run (complete or not): record RUN_DIR in the history (db_path, or
 * NULL for history.db beside RUN_DIR), compare it with the previous run of
 * its suite, render index.html and junit.xml (and results.tap if the run
 * left none) with the new signatures marked, and trend.html beside RUN_DIR
 * from the history. Prints nothing. Returns 0, or
 * -1 with err (a failing history does not stop the rendering; err then
 * names the history's error).
 */
int report_after_run(const char *run_dir, const char *db_path, struct bp_error *err);
/*
 * A run litter_sweep() found dead (litter.h): a results.json that passes the
 * schema and still says incomplete with no reason gets incomplete_reason
 * "killed" (rewritten atomically), then its other reports and history
 * record are rendered from it. report_sweeper is the sweep the commands run.
 */
void report_killed_run(void *ctx, const char *run_dir);
extern const struct litter_sweeper report_sweeper;

#endif
