/*
 * cmd-report - `bootproof report`, `bootproof runs` and report_after_run()
 * (see cmd-report.h).
 */
#define _GNU_SOURCE
#include "cmd-report.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd-shard.h"
#include "escape.h"
#include "history.h"
#include "litter.h"
#include "report-html.h"
#include "report-json.h"
#include "report-trend.h"
#include "usage.h"

#define EXIT_NEW 1
#define EXIT_USAGE 2
#define EXIT_ERROR 3
#define DEFAULT_REPORTS "reports"

const struct cmd_usage report_usage = {
	"report",
	"report [-r REPORTS] [--history DB] [--format html,junit,tap] [--compare [OTHER]] "
	"[--fail-on-new] RUN | report --trend [-r REPORTS] [--history DB] | "
	"report --merge [-r REPORTS] [--history DB] DIR...",
	"Re-render a run's index.html, junit.xml and results.tap from its results.json, write "
	"the trend page, or merge shard runs into one.",
	"options:\n"
	"  -r, --reports DIR    where run ids and 'latest' are looked up (default reports)\n"
	"  --history DB         the history (default history.db beside the run directory)\n"
	"  --format LIST        render only these, comma-separated: html, junit, tap\n"
	"  --compare [OTHER]    record RUN in the history and list new and fixed crash\n"
	"                       signatures and flaky scenarios against the previous run of\n"
	"                       its suite (or OTHER: a run id or a run directory)\n"
	"  --fail-on-new        exit 1 when there is a new signature (implies --compare)\n"
	"  --trend              write REPORTS/trend.html from the history (default\n"
	"                       REPORTS/history.db): per suite its runs over time, each\n"
	"                       crash signature's first and last run, flaky scenarios\n"
	"  --merge DIR...       make one new run in REPORTS of the shard run directories\n"
	"                       DIR... (`run --shard`): their trials, one results.json\n"
	"                       and its reports; exit status as run's (a missing or\n"
	"                       incomplete shard: 3; shards of another suite or\n"
	"                       partition, or a shard given twice: 2)\n"
	"  -h, --help           this help\n"
	"\n"
	"RUN: a run directory, or a run id or 'latest' in REPORTS. Rendering a run's\n"
	"index.html also writes trend.html beside the run directory. Exit status: 0 done,\n"
	"1 new signatures with --fail-on-new, 2 usage error, 3 a file or the history could\n"
	"not be read or written.\n",
};
const struct cmd_usage runs_usage = {
	"runs",
	"runs [-r REPORTS] [--history DB]",
	"List the runs in the history, newest first.",
	"options:\n"
	"  -r, --reports DIR    the reports directory (default reports)\n"
	"  --history DB         the history (default REPORTS/history.db)\n"
	"  -h, --help           this help\n"
	"\n"
	"One line per run: id, start (UTC), scenarios, pass/fail/infra, distinct crash\n"
	"signatures, complete or why not, suite.\n",
};

/* The directory holding the run directory: REPORTS for REPORTS/<run-id>. Caller frees. */
static char *reports_of(const char *run_dir)
{
	char *real = realpath(run_dir, NULL);
	char *copy = xstrdup(real ? real : run_dir);
	char *dir = xstrdup(dirname(copy));

	free(copy);
	free(real);
	return dir;
}

/* history.db beside the run directory: REPORTS/history.db for REPORTS/<run-id>. */
static char *default_db(const char *run_dir)
{
	char *reports = reports_of(run_dir);
	char *db = xasprintf("%s/history.db", reports);

	free(reports);
	return db;
}

/* Text on a terminal: escape_term(), so no escape sequence and no line of its own. */
static void print_safe(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	escape_term(&sb, s);
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
}

/* print_safe(), then spaces to width and one more. */
static void print_column(const char *s, size_t width)
{
	size_t n = s ? strlen(s) : 0;

	print_safe(s);
	printf("%*s ", (int)(n < width ? width - n : 0), "");
}

static int is_run_dir(const char *path)
{
	char *json = xasprintf("%s/results.json", path);
	struct stat st;
	int ret = stat(json, &st) == 0 && S_ISREG(st.st_mode);

	free(json);
	return ret;
}

static char *run_id_of(const char *run_dir, struct bp_error *err)
{
	json_t *root;
	char *id;

	if (report_load(run_dir, &root, err) < 0)
		return NULL;
	id = xstrdup(rj_str(root, "run_id"));
	json_decref(root);
	return id;
}

/*
 * RUN on the command line: a run directory; a run id or "latest" under
 * reports; a run id recorded in the history db (if one was named).
 */
static char *find_run_dir(const char *arg, const char *reports, const char *db,
			  struct bp_error *err)
{
	char *dir = NULL;

	if (is_run_dir(arg))
		return xstrdup(arg);
	if (!strchr(arg, '/')) {
		dir = xasprintf("%s/%s", reports, arg);
		if (is_run_dir(dir))
			return dir;
		free(dir);
		dir = NULL;
		if (db && access(db, F_OK) == 0 && history_run_dir(db, arg, &dir, NULL) > 0 &&
		    is_run_dir(dir))
			return dir;
		free(dir);
	}
	error_set(err, "no run '%s': not a run directory (no results.json), nor a run in '%s'",
		  arg, reports);
	return NULL;
}

/* The titles of diff's new signatures, for the page. */
static const char **new_titles(const struct history_diff *d)
{
	const char **t = xcalloc(d->nr_new + 1, sizeof(*t));

	for (size_t i = 0; i < d->nr_new; i++)
		t[i] = d->new_sigs[i].title;
	return t;
}

static void context_from(struct report_context *ctx, const struct history_diff *d,
			 const char **titles)
{
	*ctx = (struct report_context){.compared = 1,
				       .compared_with = d->other_id,
				       .new_sigs = titles,
				       .nr_new_sigs = d->nr_new};
}

/* trend.html beside the run directory (REPORTS for REPORTS/<run-id>), from db. */
static int trend_beside(const char *run_dir, const char *db, struct bp_error *err)
{
	char *reports = reports_of(run_dir);
	int ret = report_trend(db, reports, err);

	free(reports);
	return ret;
}

int report_after_run(const char *run_dir, const char *db_path, struct bp_error *err)
{
	struct history_diff d = {0};
	struct report_context ctx;
	struct bp_error herr = {{0}};
	char *db = db_path ? xstrdup(db_path) : default_db(run_dir), *run_id = NULL;
	const char **titles = NULL;
	int have_diff = 0, ret = -1;

	run_id = run_id_of(run_dir, err);
	if (!run_id)
		goto out;
	if (history_record(db, run_dir, &herr) == 0 &&
	    history_compare(db, run_id, NULL, &d, &herr) == 0) {
		have_diff = 1;
		titles = new_titles(&d);
		context_from(&ctx, &d, titles);
	}
	if (report_render_ctx(run_dir, have_diff ? &ctx : NULL,
			      REPORT_HTML | REPORT_JUNIT | REPORT_TAP_IF_MISSING, err) < 0)
		goto out;
	if (!have_diff) {
		error_set(err, "%s", herr.msg);
		goto out;
	}
	if (trend_beside(run_dir, db, err) < 0)
		goto out;
	ret = 0;
out:
	free(titles);
	history_diff_release(&d);
	free(run_id);
	free(db);
	return ret;
}

/* results.json says incomplete with no reason: the run was killed. 1 if marked. */
static int mark_killed(const char *run_dir)
{
	char *path = xasprintf("%s/results.json", run_dir);
	json_t *root = NULL;
	int ret = 0;

	/* Only a results.json that passes the schema is rewritten: the rest is left as found. */
	if (report_load(run_dir, &root, NULL) < 0 || json_is_true(json_object_get(root, "complete")) ||
	    !json_is_null(json_object_get(root, "incomplete_reason")))
		goto out;
	json_object_set_new(root, "incomplete_reason", json_string(LITTER_KILLED));
	if (report_json_save(root, path, NULL) == 0)
		ret = 1;
out:
	json_decref(root);
	free(path);
	return ret;
}


void report_killed_run(void *ctx, const char *run_dir)
{
	(void)ctx;
	if (mark_killed(run_dir))
		report_after_run(run_dir, NULL, NULL);
}

const struct litter_sweeper report_sweeper = {
	.note = litter_note_stderr,
	.dead_run = report_killed_run,
};

static void print_diff(const struct history_diff *d, const char *db)
{
	if (!d->other_id) {
		printf("no earlier complete run of suite '");
		print_safe(d->suite);
		printf("' in '");
		print_safe(db);
		printf("' to compare ");
		print_safe(d->run_id);
		printf(" with\nno new signatures\n");
		return;
	}
	printf("compared ");
	print_safe(d->run_id);
	printf(" with ");
	print_safe(d->other_id);
	printf(" (suite '");
	print_safe(d->suite);
	printf("')\n");
	for (size_t i = 0; i < d->nr_new; i++) {
		printf("new signature: ");
		print_safe(d->new_sigs[i].title);
		printf(" (");
		print_safe(d->new_sigs[i].where);
		printf(")\n");
	}
	if (!d->nr_new)
		printf("no new signatures\n");
	for (size_t i = 0; i < d->nr_fixed; i++) {
		printf("fixed signature: ");
		print_safe(d->fixed[i].title);
		printf(" (was on ");
		print_safe(d->fixed[i].where);
		printf(")\n");
	}
	for (size_t i = 0; i < d->nr_flaky; i++) {
		printf("flaky scenario: ");
		print_safe(d->flaky[i].scenario);
		printf(" (");
		print_safe(d->flaky[i].verdict);
		printf(", was ");
		print_safe(d->flaky[i].was);
		printf(")\n");
	}
}

/* "--opt VALUE" or "--opt=VALUE": 1 and *value set, 0 not this option, -1 value missing. */
static int opt_value(char **argv, int argc, int *i, const char *opt, const char *alias,
		     const char **value)
{
	size_t n = strlen(opt);

	if (alias && !strcmp(argv[*i], alias)) {
		if (*i + 1 >= argc)
			return -1;
		*value = argv[++*i];
		return 1;
	}
	if (strncmp(argv[*i], opt, n))
		return 0;
	if (argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

/* "html,junit,tap" to REPORT_* flags; 0 for an unknown name. */
static unsigned parse_formats(const char *list)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = {{"html", REPORT_HTML}, {"junit", REPORT_JUNIT}, {"tap", REPORT_TAP}};
	unsigned flags = 0;

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (strlen(names[i].name) == n && !strncmp(p, names[i].name, n))
				break;
		if (i == ARRAY_SIZE(names)) {
			fprintf(stderr, "bootproof: unknown format '%.*s' (html, junit, tap)\n",
				(int)n, p);
			return 0;
		}
		flags |= names[i].flag;
		p += n + (p[n] == ',');
	}
	return flags;
}

/*
 * OTHER of --compare: a run directory (recorded in db first, so it can be
 * compared) or a run id. Returns the run id, or NULL with err.
 */
static char *other_run(const char *arg, const char *db, struct bp_error *err)
{
	char *id;

	if (!is_run_dir(arg))
		return xstrdup(arg);
	id = run_id_of(arg, err);
	if (id && history_record(db, arg, err) < 0) {
		free(id);
		return NULL;
	}
	return id;
}

/* report --trend: REPORTS/trend.html from the history. */
static int cmd_trend(const char *reports, const char *history)
{
	char *db = history ? xstrdup(history) : xasprintf("%s/history.db", reports);
	char *path = xasprintf("%s/%s", reports, TREND_FILE);
	struct bp_error err = {{0}};
	int status = 0;

	if (access(db, F_OK) < 0) {
		error_set(&err, "no history '%s': nothing was recorded there", db);
		status = EXIT_ERROR;
	} else if (report_trend(db, reports, &err) < 0) {
		status = EXIT_ERROR;
	}
	if (status) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
	} else {
		printf("wrote ");
		print_safe(path);
		putchar('\n');
	}
	free(path);
	free(db);
	return status;
}

int cmd_report(int argc, char **argv)
{
	const char *history = NULL, *reports = DEFAULT_REPORTS, *formats_arg = NULL;
	const char *other_arg = NULL, *pos[2] = {NULL, NULL};
	int nr_pos = 0, compare = 0, fail_on_new = 0, trend = 0, after_compare = -1;
	int status = EXIT_ERROR;
	unsigned formats = REPORT_ALL;
	struct history_diff d = {0};
	struct report_context ctx;
	struct bp_error err = {{0}};
	char *db = NULL, *run_dir = NULL, *run_id = NULL, *other = NULL;
	const char **titles = NULL, *run_arg;
	int have_diff = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--merge"))
			return cmd_merge(argc, argv);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (usage_is_help(a))
			return usage_help(&report_usage);
		if ((r = opt_value(argv, argc, &i, "--history", NULL, &history)) ||
		    (r = opt_value(argv, argc, &i, "--reports", "-r", &reports)) ||
		    (r = opt_value(argv, argc, &i, "--format", NULL, &formats_arg))) {
			if (r < 0)
				goto usage;
		} else if (!strcmp(a, "--compare")) {
			compare = 1;
			after_compare = nr_pos;
		} else if (!strncmp(a, "--compare=", 10)) {
			compare = 1;
			other_arg = a + 10;
		} else if (!strcmp(a, "--fail-on-new")) {
			fail_on_new = compare = 1;
		} else if (!strcmp(a, "--trend")) {
			trend = 1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "bootproof: unknown option '%s'\n", a);
			goto usage;
		} else if (nr_pos < 2) {
			pos[nr_pos++] = a;
		} else {
			goto usage;
		}
	}
	if (trend) {
		if (nr_pos || compare || formats_arg)
			goto usage;
		return cmd_trend(reports, history);
	}
	/* "--compare OTHER RUN" and "RUN --compare OTHER": OTHER right after --compare. */
	if (nr_pos == 2 && after_compare >= 0 && after_compare < 2 && !other_arg) {
		other_arg = pos[after_compare];
		run_arg = pos[!after_compare];
	} else if (nr_pos == 1) {
		run_arg = pos[0];
	} else {
		goto usage;
	}
	if (formats_arg && !(formats = parse_formats(formats_arg)))
		goto usage;

	run_dir = find_run_dir(run_arg, reports, history, &err);
	if (!run_dir)
		goto fail;
	run_id = run_id_of(run_dir, &err);
	if (!run_id)
		goto fail;
	db = history ? xstrdup(history) : default_db(run_dir);
	if (compare) {
		if (history_record(db, run_dir, &err) < 0)
			goto fail;
		if (other_arg && !(other = other_run(other_arg, db, &err)))
			goto fail;
		if (history_compare(db, run_id, other, &d, &err) < 0)
			goto fail;
		have_diff = 1;
	} else if (access(db, F_OK) == 0) {
		/* Keep the page's comparison if the history knows the run; read only. */
		have_diff = history_compare(db, run_id, NULL, &d, NULL) == 0;
	}
	if (have_diff) {
		titles = new_titles(&d);
		context_from(&ctx, &d, titles);
	}
	if (report_render_ctx(run_dir, have_diff ? &ctx : NULL, formats, &err) < 0)
		goto fail;
	/* The page links to ../trend.html: keep it there and current. */
	if ((formats & REPORT_HTML) && access(db, F_OK) == 0 && trend_beside(run_dir, db, &err) < 0)
		fprintf(stderr, "bootproof: warning: %s\n", err.msg);
	if (compare)
		print_diff(&d, db);
	status = fail_on_new && d.nr_new ? EXIT_NEW : 0;
	goto out;
usage:
	return usage_error(&report_usage);
fail:
	fprintf(stderr, "bootproof: %s\n", err.msg);
out:
	free(titles);
	history_diff_release(&d);
	free(run_dir);
	free(run_id);
	free(other);
	free(db);
	return status;
}

int cmd_runs(int argc, char **argv)
{
	const char *history = NULL, *reports = DEFAULT_REPORTS;
	struct history_run *runs;
	struct bp_error err;
	char *db;
	int n;

	for (int i = 1; i < argc; i++) {
		int r;

		if (usage_is_help(argv[i]))
			return usage_help(&runs_usage);
		if ((r = opt_value(argv, argc, &i, "--history", NULL, &history)) == 0)
			r = opt_value(argv, argc, &i, "--reports", "-r", &reports);
		if (r <= 0) {
			if (!r)
				fprintf(stderr, "bootproof: unknown argument '%s'\n", argv[i]);
			return usage_error(&runs_usage);
		}
	}
	/* Runs that were killed are listed as such, and their leftovers go. */
	litter_sweep_all(&report_sweeper);
	db = history ? xstrdup(history) : xasprintf("%s/history.db", reports);
	if (access(db, F_OK) < 0) {
		printf("no runs recorded: there is no history '%s'\n", db);
		free(db);
		return 0;
	}
	n = history_runs(db, &runs, &err);
	if (n < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		free(db);
		return EXIT_ERROR;
	}
	if (!n) {
		printf("no runs recorded in '%s'\n", db);
		free(db);
		return 0;
	}
	printf("%-24s %-20s %4s %4s %4s %5s %4s  %-8s %s\n", "RUN", "STARTED", "SCEN", "PASS",
	       "FAIL", "INFRA", "SIGS", "COMPLETE", "SUITE");
	for (int i = 0; i < n; i++) {
		const struct history_run *r = &runs[i];

		print_column(r->run_id, 24);
		print_column(r->started, 20);
		printf("%4ld %4ld %4ld %5ld %4ld  %-8s ", r->scenarios, r->pass, r->fail, r->infra,
		       r->signatures, r->complete ? "yes" : "no");
		print_safe(r->suite);
		if (!r->complete) {
			printf(" (incomplete: ");
			print_safe(r->incomplete_reason ? r->incomplete_reason
							: "no reason recorded: still running, or killed");
			printf(")");
		}
		putchar('\n');
	}
	history_runs_free(runs, (size_t)n);
	free(db);
	return 0;
}
