/*
 * report-trend - REPORTS/trend.html: every suite of the history on one
 * static page (inline CSS and SVG, no script, no network access; the same
 * Content-Security-Policy as a run's index.html), so a nightly's people see
 * how the suite has done over time and not only last night.
 *
 * Per suite (section class="suite", h2 class="suite-name"):
 *   - its runs as a stacked bar chart (svg class="trend"), one bar a run,
 *     oldest left, the latest TREND_MAX_RUNS of them: g class="run"
 *     data-run="RUN_ID" holding one rect class="bar pass|fail|infra|
 *     unfinished" per non-zero count, as high as that many scenarios; the
 *     date (UTC) under the first bar of each day there is room for; a bar
 *     links to REPORTS/RUN_ID/index.html when that file exists;
 *   - its crash signatures (table class="signatures", tr class="signature",
 *     "signature current" when the suite's latest run has it): first and
 *     last run seen (date and run), in how many runs and boots;
 *   - its flaky scenarios (table class="flaky", tr class="flaky"), as
 *     history.h defines them (struct history_flake; the page says it in
 *     p class="flaky-def"), with each run's verdict, oldest first, the latest
 *     TREND_MAX_VERDICTS as small squares (rect class="v pass|fail").
 *
 * Every string from the history (suite, run ids, dates, titles, names) is
 * escaped with escape_markup() (escape.h) and links are built only with
 * report_add_url() (report-html.h): a title of "</svg><script>" is text.
 */
#ifndef BP_REPORT_TREND_H
#define BP_REPORT_TREND_H

#include <stddef.h>

#include "history.h"
#include "util.h"

#define TREND_FILE "trend.html"
#define TREND_MAX_RUNS 60
#define TREND_MAX_VERDICTS 40

/*
 * The page for suites (history_suites()) into out. db names the history in
 * the page's header; reports_dir is where run pages are looked for (NULL:
 * bars link nowhere).
 */
void report_trend_html(const struct history_suite *suites, size_t nr, const char *db,
		       const char *reports_dir, struct strbuf *out);

/*
 * Read the history db_path and write REPORTS_DIR/trend.html with
 * write_file_atomic(). Returns 0, or -1 with err (a missing or unreadable
 * history: nothing is written; an unwritable directory).
 */
int report_trend(const char *db_path, const char *reports_dir, struct bp_error *err);

#endif
