/*
 * report-trend - trend.html (see report-trend.h).
 */
#include "report-trend.h"

#include <string.h>
#include <sys/stat.h>

#include "escape.h"
#include "report-html.h"

#define CHART_LEFT 40  /* the y axis' labels */
#define CHART_W 860    /* the bars' area */
#define CHART_H 160
#define CHART_TOP 8
#define CHART_BOTTOM 30 /* the dates */
#define SLOT_MAX 36     /* a bar's slot when there are few runs */
#define DATE_GAP 72     /* px between two date labels */
#define SQUARE 9        /* a verdict's square */

static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"margin:0;color:#1d1d1f;background:#f5f6f8}"
	"main{max-width:1120px;margin:0 auto;padding:20px 24px 48px}"
	"h1{font-size:22px;margin:4px 0 2px}h2{font-size:18px;margin:0 0 4px}"
	"h3{font-size:15px;margin:14px 0 6px}"
	"code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}"
	".sub,.meta,.def{color:#5f6368}.sub{margin:0 0 16px}.def{font-size:12.5px;margin:0 0 6px}"
	"section.suite{background:#fff;border:1px solid #dde1e6;border-radius:8px;"
	"padding:16px 18px;margin:16px 0}"
	"svg.trend{display:block;margin:8px 0 2px;overflow:visible}"
	".legend{font-size:12px;color:#5f6368;margin:0 0 6px}"
	".legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceff1;vertical-align:top}"
	"th{color:#5f6368;font-weight:500;font-size:12px}td.n{text-align:right}"
	"td.n,td.when{white-space:nowrap}"
	".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;"
	"font-weight:600;color:#fff;background:#c62828;vertical-align:middle}"
	"a{color:#1a5fb4}";

/* bottom to top in a bar */
static const struct {
	const char *cls, *label, *fill;
} segs[] = {
	{"pass", "passed", "#2e7d32"},
	{"fail", "failed", "#c62828"},
	{"infra", "infra", "#6d6d6d"},
	{"unfinished", "not finished", "#bdbdbd"},
};

static void text(struct strbuf *o, const char *s)
{
	escape_markups(o, s, 0);
}

/* The date of a start time ("2026-01-10T02:00:00Z" -> "2026-01-10"), escaped. */
static void date(struct strbuf *o, const char *started)
{
	size_t n = started ? strlen(started) : 0;

	escape_markup(o, started ? started : "", n > 10 ? 10 : n, 0);
}

/* REPORTS/RUN/index.html, when the run's page is there. 1 if a link was opened. */
static int run_link_open(struct strbuf *o, const char *reports_dir, const char *run_id)
{
	struct strbuf url = STRBUF_INIT;
	struct stat st;
	char *page;
	int ok;

	if (!reports_dir || !run_id || strchr(run_id, '/') || !report_add_url(&url, run_id)) {
		strbuf_release(&url);
		return 0;
	}
	page = xasprintf("%s/%s/index.html", reports_dir, run_id);
	ok = stat(page, &st) == 0 && S_ISREG(st.st_mode);
	free(page);
	if (ok)
		strbuf_addf(o, "<a href=\"%s/index.html\">", url.buf);
	strbuf_release(&url);
	return ok;
}

/* "DATE (RUN)", the run linked when its page exists. */
static void run_ref(struct strbuf *o, const char *reports_dir, const char *run_id,
		    const char *started)
{
	int linked;

	date(o, started);
	strbuf_adds(o, " <span class=\"meta\">(");
	linked = run_link_open(o, reports_dir, run_id);
	text(o, run_id);
	strbuf_adds(o, linked ? "</a>)</span>" : ")</span>");
}

static long run_unfinished(const struct history_run *r)
{
	long u = r->scenarios - r->pass - r->fail - r->infra;

	return u > 0 ? u : 0;
}

/* One run's bar: its segments stacked from the chart's bottom, one tooltip. */
static void bar(struct strbuf *o, const struct history_run *r, double x, double w, double scale,
		const char *reports_dir)
{
	long counts[] = {r->pass, r->fail, r->infra, run_unfinished(r)};
	double y = CHART_TOP + CHART_H;
	int linked = run_link_open(o, reports_dir, r->run_id);

	strbuf_addf(o, "<g class=\"run%s\" data-run=\"", r->complete ? "" : " incomplete");
	escape_markups(o, r->run_id, ESCAPE_ATTR);
	strbuf_adds(o, "\"><title>");
	text(o, r->run_id);
	strbuf_adds(o, ", ");
	text(o, r->started);
	for (size_t k = 0; k < ARRAY_SIZE(segs); k++)
		if (counts[k] || k < 3)
			strbuf_addf(o, "%s %ld %s", k ? "," : ":", counts[k], segs[k].label);
	if (!r->complete) {
		strbuf_adds(o, "; incomplete");
		if (r->incomplete_reason) {
			strbuf_adds(o, ": ");
			text(o, r->incomplete_reason);
		}
	}
	strbuf_adds(o, "</title>");
	for (size_t k = 0; k < ARRAY_SIZE(segs); k++) {
		double h = (double)counts[k] * scale;

		if (!counts[k])
			continue;
		y -= h;
		strbuf_addf(o, "<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			       "height=\"%.1f\" fill=\"%s\"%s/>",
			    segs[k].cls, x, y, w, h, segs[k].fill,
			    r->complete ? "" : " fill-opacity=\"0.55\"");
	}
	strbuf_adds(o, linked ? "</g></a>\n" : "</g>\n");
}

/* The y axis: 0, the middle and the top, with grid lines. */
static void axis(struct strbuf *o, long ymax, int width)
{
	for (int t = 0; t <= 2; t++) {
		long v = ymax * t / 2;
		double y = CHART_TOP + CHART_H - (double)v * CHART_H / (double)ymax;

		if (t == 1 && (v == 0 || v == ymax))
			continue;
		strbuf_addf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>"
			       "<text x=\"%d\" y=\"%.1f\" fill=\"#80868b\" font-size=\"10\" "
			       "text-anchor=\"end\">%ld</text>\n",
			    CHART_LEFT, y, width, y, t ? "#eceff1" : "#cfd4da", CHART_LEFT - 6, y + 3,
			    v);
	}
}

/* The suite's latest runs as stacked bars, a date under the first bar of a day. */
static void chart(struct strbuf *o, const struct history_suite *s, const char *reports_dir)
{
	size_t first = s->nr_runs > TREND_MAX_RUNS ? s->nr_runs - TREND_MAX_RUNS : 0;
	size_t n = s->nr_runs - first;
	double slot = (double)CHART_W / (double)(n > 0 ? n : 1), last_label = -1e9;
	int width = CHART_LEFT + CHART_W, height = CHART_TOP + CHART_H + CHART_BOTTOM;
	const char *last_date = NULL;
	long ymax = 1;

	if (slot > SLOT_MAX)
		slot = SLOT_MAX;
	for (size_t i = first; i < s->nr_runs; i++) {
		const struct history_run *r = &s->runs[i];
		long total = r->pass + r->fail + r->infra + run_unfinished(r);

		if (total > ymax)
			ymax = total;
	}
	strbuf_addf(o, "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		       "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		       "aria-label=\"scenarios passed, failed and infra per run\">\n",
		    width, height, width, height);
	axis(o, ymax, width);
	for (size_t i = first; i < s->nr_runs; i++) {
		const struct history_run *r = &s->runs[i];
		double x = CHART_LEFT + (double)(i - first) * slot + slot * 0.15;
		double w = slot * 0.7 < 2 ? 2 : slot * 0.7;

		bar(o, r, x, w, (double)CHART_H / (double)ymax, reports_dir);
		if ((!last_date || !r->started || strncmp(last_date, r->started, 10)) &&
		    x - last_label >= DATE_GAP - 0.5) {
			strbuf_addf(o, "<text class=\"date\" x=\"%.1f\" y=\"%d\" fill=\"#5f6368\" "
				       "font-size=\"10\">",
				    x, CHART_TOP + CHART_H + 14);
			date(o, r->started);
			strbuf_adds(o, "</text>\n");
			last_label = x;
			last_date = r->started;
		}
	}
	strbuf_adds(o, "</svg>\n<p class=\"legend\">");
	for (size_t k = 0; k < ARRAY_SIZE(segs); k++)
		strbuf_addf(o, "<i style=\"background:%s\"></i>%s", segs[k].fill, segs[k].label);
	strbuf_adds(o, " · scenarios per run, oldest left");
	if (first)
		strbuf_addf(o, "; the latest %d of %zu runs", TREND_MAX_RUNS, s->nr_runs);
	strbuf_adds(o, "; a pale bar: the run did not finish</p>\n");
}

static void signatures(struct strbuf *o, const struct history_suite *s, const char *reports_dir)
{
	const char *latest = s->nr_runs ? s->runs[s->nr_runs - 1].run_id : NULL;

	strbuf_adds(o, "<h3>Crash signatures</h3>\n");
	if (!s->nr_sigs) {
		strbuf_adds(o, "<p class=\"meta\">No boot of this suite ever crashed.</p>\n");
		return;
	}
	strbuf_adds(o, "<table class=\"signatures\">\n<tr><th>signature</th><th>first seen</th>"
		       "<th>last seen</th><th>runs</th><th>boots</th></tr>\n");
	for (size_t i = 0; i < s->nr_sigs; i++) {
		const struct history_span *sp = &s->sigs[i];
		int current = latest && sp->last_run && !strcmp(sp->last_run, latest);

		strbuf_addf(o, "<tr class=\"signature%s\"><td><code>", current ? " current" : "");
		text(o, sp->title);
		strbuf_addf(o, "</code>%s</td><td class=\"when\">",
			    current ? " <span class=\"badge\">in the latest run</span>" : "");
		run_ref(o, reports_dir, sp->first_run, sp->first_started);
		strbuf_adds(o, "</td><td class=\"when\">");
		run_ref(o, reports_dir, sp->last_run, sp->last_started);
		strbuf_addf(o, "</td><td class=\"n\">%ld of %zu</td><td class=\"n\">%ld</td></tr>\n",
			    sp->runs, s->nr_runs, sp->boots);
	}
	strbuf_adds(o, "</table>\n");
}

/* A flaky scenario's verdicts, oldest first, the latest TREND_MAX_VERDICTS. */
static void verdict_strip(struct strbuf *o, const char *verdicts)
{
	size_t n = strlen(verdicts), first = n > TREND_MAX_VERDICTS ? n - TREND_MAX_VERDICTS : 0;
	int w = (int)(n - first) * (SQUARE + 2);

	strbuf_addf(o, "<svg class=\"verdicts\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		       "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"verdicts\">",
		    w, SQUARE, w, SQUARE);
	for (size_t i = first; i < n; i++) {
		int pass = verdicts[i] == 'p';

		strbuf_addf(o, "<rect class=\"v %s\" x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" "
			       "fill=\"%s\"/>",
			    pass ? "pass" : "fail", (int)(i - first) * (SQUARE + 2), SQUARE, SQUARE,
			    pass ? segs[0].fill : segs[1].fill);
	}
	strbuf_adds(o, "</svg>");
}

static void flaky(struct strbuf *o, const struct history_suite *s, const char *reports_dir)
{
	strbuf_adds(o, "<h3>Flaky scenarios</h3>\n<p class=\"flaky-def def\">A scenario is "
		       "<b>flaky</b> when, with the same image, sensor and content (their names and "
		       "the SHA-256 digests each run recorded), it passed in at least one run and "
		       "failed in at least one other: the verdict changed although nothing it boots "
		       "did. Infra verdicts (the host, not the product) and unfinished scenarios are "
		       "left out.</p>\n");
	if (!s->nr_flaky) {
		strbuf_adds(o, "<p class=\"meta\">No scenario of this suite is flaky.</p>\n");
		return;
	}
	strbuf_adds(o, "<table class=\"flaky\">\n<tr><th>scenario</th><th>inputs</th>"
		       "<th>passed</th><th>failed</th><th>changes</th><th>verdicts, oldest first"
		       "</th><th>last run</th></tr>\n");
	for (size_t i = 0; i < s->nr_flaky; i++) {
		const struct history_flake *f = &s->flaky[i];

		strbuf_adds(o, "<tr class=\"flaky\"><td><code>");
		text(o, f->scenario);
		strbuf_adds(o, "</code></td><td class=\"meta\">image <code>");
		text(o, f->image);
		strbuf_adds(o, "</code> · sensor <code>");
		text(o, f->sensor);
		strbuf_adds(o, "</code> · content <code>");
		text(o, f->content ? f->content : "(none)");
		strbuf_addf(o, "</code></td><td class=\"n\">%ld</td><td class=\"n\">%ld</td>"
			       "<td class=\"n\">%ld</td><td>",
			    f->pass, f->fail, f->changes);
		verdict_strip(o, f->verdicts);
		strbuf_adds(o, "</td><td class=\"when\">");
		run_ref(o, reports_dir, f->last_run, f->last_started);
		strbuf_adds(o, "</td></tr>\n");
	}
	strbuf_adds(o, "</table>\n");
}

static void suite(struct strbuf *o, const struct history_suite *s, size_t si,
		  const char *reports_dir)
{
	const struct history_run *first = &s->runs[0], *last = &s->runs[s->nr_runs - 1];

	strbuf_addf(o, "<section class=\"suite\" id=\"suite-%zu\">\n<h2 class=\"suite-name\">"
		       "suite <code>",
		    si);
	text(o, s->suite);
	strbuf_addf(o, "</code></h2>\n<p class=\"meta\">%zu run%s, from ", s->nr_runs,
		    s->nr_runs == 1 ? "" : "s");
	date(o, first->started);
	strbuf_adds(o, " to ");
	date(o, last->started);
	strbuf_addf(o, "; the latest: %ld passed, %ld failed, %ld infra, ", last->pass, last->fail,
		    last->infra);
	run_ref(o, reports_dir, last->run_id, last->started);
	strbuf_adds(o, "</p>\n");
	chart(o, s, reports_dir);
	signatures(o, s, reports_dir);
	flaky(o, s, reports_dir);
	strbuf_adds(o, "</section>\n");
}

void report_trend_html(const struct history_suite *suites, size_t nr, const char *db,
		       const char *reports_dir, struct strbuf *o)
{
	size_t runs = 0;

	for (size_t i = 0; i < nr; i++)
		runs += suites[i].nr_runs;
	strbuf_addf(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		       "img-src 'self' data:; style-src 'unsafe-inline'\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<title>bootproof trend</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n"
		       "<h1>bootproof trend</h1>\n<p class=\"sub\" id=\"trend-sum\">%zu run%s of %zu "
		       "suite%s in the history <code>",
		    css, runs, runs == 1 ? "" : "s", nr, nr == 1 ? "" : "s");
	text(o, db);
	strbuf_adds(o, "</code></p>\n");
	if (!nr)
		strbuf_adds(o, "<p id=\"no-runs\">No runs recorded yet.</p>\n");
	for (size_t i = 0; i < nr; i++)
		if (suites[i].nr_runs)
			suite(o, &suites[i], i, reports_dir);
	strbuf_adds(o, "</main>\n</body>\n</html>\n");
}

int report_trend(const char *db_path, const char *reports_dir, struct bp_error *err)
{
	struct history_suite *suites;
	struct strbuf sb = STRBUF_INIT;
	char *path;
	int n, ret;

	n = history_suites(db_path, &suites, err);
	if (n < 0)
		return -1;
	report_trend_html(suites, (size_t)n, db_path, reports_dir, &sb);
	path = xasprintf("%s/%s", reports_dir, TREND_FILE);
	ret = write_file_atomic(path, sb.buf, sb.len, err);
	free(path);
	strbuf_release(&sb);
	history_suites_free(suites, (size_t)n);
	return ret;
}
