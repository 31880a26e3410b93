/*
 * report-junit - junit.xml from results.json (see report-junit.h).
 */
#define _GNU_SOURCE
#include "report-junit.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report-html.h"

static void attr(struct strbuf *o, const char *name, const char *value)
{
	strbuf_addf(o, " %s=\"", name);
	escape_markups(o, value ? value : "", ESCAPE_ATTR);
	strbuf_addch(o, '"');
}

/* The boot's serial log, bounded by report_log_read(), escaped, as <system-out>. */
static void system_out(struct strbuf *o, const char *run_dir, const char *log)
{
	struct strbuf buf = STRBUF_INIT;

	if (report_log_read(run_dir, log, JUNIT_LOG_HEAD, JUNIT_LOG_TAIL, &buf) < 0)
		return;
	strbuf_adds(o, "<system-out>");
	escape_markup(o, buf.buf, buf.len, 0);
	strbuf_adds(o, "</system-out>\n");
	strbuf_release(&buf);
}

static void time_attr(struct strbuf *o, double s)
{
	strbuf_addf(o, " time=\"%.3f\"", s < 0 ? 0 : s);
}

struct counts {
	long tests, failures, errors, skipped;
};

static void testcase_open(struct strbuf *o, const char *scenario, const char *name, double t)
{
	char *cls = xasprintf("bootproof.%s", scenario ? scenario : "");

	strbuf_adds(o, "<testcase");
	attr(o, "name", name);
	attr(o, "classname", cls);
	time_attr(o, t);
	strbuf_adds(o, ">\n");
	free(cls);
}

static void boot_case(struct strbuf *o, struct counts *c, const json_t *sc, const json_t *b,
		      const char *run_dir)
{
	const char *outcome = rj_str(b, "outcome"), *title = rj_str(b, "title");
	const char *expect = rj_str(b, "expect"), *excerpt = rj_str(b, "excerpt");
	char *case_name = xasprintf("boot %lld", rj_int(b, "n"));

	c->tests++;
	testcase_open(o, rj_str(sc, "name"), case_name, rj_num(b, "duration_s"));
	if (!outcome) {
		c->skipped++;
		strbuf_adds(o, "<skipped message=\"not judged: the run was interrupted\"/>\n");
	} else if (rj_true(b, "ok")) {
		/* Passed, whatever the outcome: a power_off step's boot is infra by design. */
	} else if (!strcmp(outcome, "infra")) {
		c->errors++;
		strbuf_adds(o, "<error type=\"infra\"");
		attr(o, "message", title ? title : "infrastructure failure");
		strbuf_adds(o, ">");
		escape_markups(o, excerpt ? excerpt : title, 0);
		strbuf_adds(o, "</error>\n");
	} else {
		char *why = xasprintf("expected %s, boot was %s", expect ? expect : "?", outcome);

		c->failures++;
		strbuf_adds(o, "<failure");
		attr(o, "type", outcome);
		attr(o, "message", title ? title : why);
		strbuf_adds(o, ">");
		escape_markups(o, why, 0);
		strbuf_addch(o, '\n');
		escape_markups(o, excerpt, 0);
		strbuf_adds(o, "</failure>\n");
		free(why);
	}
	system_out(o, run_dir, rj_str(b, "log"));
	strbuf_adds(o, "</testcase>\n");
	free(case_name);
}

/* The recovery figures of a rollback scenario, as the suite's <system-out>. */
static void recovery_out(struct strbuf *o, const json_t *rec)
{
	const json_t *m;
	size_t i;

	if (!json_is_object(rec))
		return;
	strbuf_adds(o, "<system-out>recovery: ");
	escape_markups(o, rj_str(rec, "summary"), 0);
	strbuf_addf(o, "\nrecovered without manual steps: %s\n",
		    rj_true(rec, "recovered_without_manual_steps") ? "yes" : "no");
	if (json_is_integer(json_object_get(rec, "rollback_arrived_at_boot")))
		strbuf_addf(o, "rollback installed at boot %lld\n",
			    rj_int(rec, "rollback_arrived_at_boot"));
	json_array_foreach(json_object_get(rec, "manual_steps"), i, m) {
		strbuf_adds(o, "manual step: ");
		escape_markups(o, json_string_value(m), 0);
		strbuf_addch(o, '\n');
	}
	strbuf_adds(o, "</system-out>\n");
}

/* Attempts lost with their host: property "attempt.N", value "URI: reason". */
static void lost_attempts(struct strbuf *o, const json_t *attempts)
{
	const json_t *a;
	size_t i;

	json_array_foreach(attempts, i, a) {
		char *name = xasprintf("attempt.%zu", i + 1);
		char *v = xasprintf("lost with host %s: %s", rj_str(a, "host"), rj_str(a, "reason"));

		strbuf_adds(o, "<property");
		attr(o, "name", name);
		attr(o, "value", v);
		strbuf_adds(o, "/>\n");
		free(name);
		free(v);
	}
}

static void testsuite(struct strbuf *o, struct counts *total, const json_t *root,
		      const json_t *sc, size_t idx, const char *run_dir)
{
	static const char *const props[] = {"image", "sensor", "content", "expect", "verdict",
					    "accelerator", "ring", "host"};
	const json_t *boots = json_object_get(sc, "boots"), *checks = json_object_get(sc, "checks");
	const json_t *b, *c;
	const char *name = rj_str(sc, "name"), *verdict = rj_str(sc, "verdict"), *last = NULL;
	struct strbuf cases = STRBUF_INIT;
	struct counts n = {0};
	long long planned = rj_int(sc, "boots_planned");
	const char *skipped = rj_str(sc, "skipped");
	size_t j;

	if (skipped) {
		/* Never started on purpose (a staged run stopped): one case says why. */
		n.tests++;
		n.skipped++;
		testcase_open(&cases, name, "skipped", 0);
		strbuf_adds(&cases, "<skipped");
		attr(&cases, "message", skipped);
		strbuf_adds(&cases, "/>\n</testcase>\n");
		planned = 0;
	}
	json_array_foreach(boots, j, b) {
		boot_case(&cases, &n, sc, b, run_dir);
		last = rj_str(b, "outcome");
	}
	/* Boots a cut-off trial never ran (a rollback scenario may end early by design). */
	for (long long k = (long long)json_array_size(boots) + 1;
	     (!verdict || !strcmp(verdict, "infra")) && k <= planned; k++) {
		char *case_name = xasprintf("boot %lld", k);

		n.tests++;
		n.skipped++;
		testcase_open(&cases, name, case_name, 0);
		/* An unfinished trial (no verdict) was cut off with its run. */
		strbuf_addf(&cases, "<skipped message=\"not run: %s\"/>\n</testcase>\n",
			    !verdict ? "the run was interrupted"
			    : last && !strcmp(last, "infra")
				    ? "the trial stopped at an infrastructure failure"
			    : !rj_true(root, "complete") ? "the run was interrupted"
							 : "the trial ended early");
		free(case_name);
	}
	json_array_foreach(checks, j, c) {
		char *case_name = xasprintf("check: %s", rj_str(c, "name") ? rj_str(c, "name") : "");

		n.tests++;
		testcase_open(&cases, name, case_name, 0);
		if (!rj_true(c, "ok")) {
			n.failures++;
			strbuf_adds(&cases, "<failure type=\"check\"");
			attr(&cases, "message", rj_str(c, "diag") ? rj_str(c, "diag") : "failed");
			strbuf_adds(&cases, ">");
			escape_markups(&cases, rj_str(c, "diag"), 0);
			strbuf_adds(&cases, "</failure>\n");
		}
		strbuf_adds(&cases, "</testcase>\n");
		free(case_name);
	}

	strbuf_adds(o, "<testsuite");
	attr(o, "name", name);
	strbuf_addf(o, " tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" skipped=\"%ld\"", n.tests,
		    n.failures, n.errors, n.skipped);
	time_attr(o, rj_num(sc, "duration_s"));
	attr(o, "timestamp", rj_str(root, "started"));
	attr(o, "hostname", rj_str(root, "host"));
	strbuf_addf(o, " id=\"%zu\" package=\"bootproof\">\n<properties>\n", idx);
	for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
		const char *v = rj_str(sc, props[i]);

		if (!strcmp(props[i], "verdict") && !v)
			v = skipped ? "skipped" : "unfinished";
		if (!v)
			continue;
		strbuf_adds(o, "<property");
		attr(o, "name", props[i]);
		attr(o, "value", v);
		strbuf_adds(o, "/>\n");
	}
	lost_attempts(o, json_object_get(sc, "attempts"));
	strbuf_adds(o, "</properties>\n");
	strbuf_add(o, cases.buf, cases.len);
	recovery_out(o, json_object_get(sc, "recovery"));
	strbuf_adds(o, "</testsuite>\n");
	strbuf_release(&cases);
	total->tests += n.tests;
	total->failures += n.failures;
	total->errors += n.errors;
	total->skipped += n.skipped;
}

void report_junit(const json_t *root, const char *run_dir, struct strbuf *o)
{
	const json_t *scenarios = json_object_get(root, "scenarios"), *sc;
	struct strbuf suites = STRBUF_INIT;
	struct counts total = {0};
	char *name = xasprintf("bootproof run %s", rj_str(root, "run_id"));
	size_t i;

	json_array_foreach(scenarios, i, sc)
		testsuite(&suites, &total, root, sc, i, run_dir);
	strbuf_adds(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	attr(o, "name", name);
	strbuf_addf(o, " tests=\"%ld\" failures=\"%ld\" errors=\"%ld\"", total.tests,
		    total.failures, total.errors);
	time_attr(o, rj_num(root, "duration_s"));
	strbuf_adds(o, ">\n");
	strbuf_add(o, suites.buf, suites.len);
	strbuf_adds(o, "</testsuites>\n");
	strbuf_release(&suites);
	free(name);
}
