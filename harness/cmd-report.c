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

#include "history.h"
#include "report-html.h"

#define EXIT_NEW 1
#define EXIT_USAGE 2
#define EXIT_ERROR 3

static const char report_usage[] =
	"usage: bootproof report RUN_DIR [--history DB] [--compare[=RUN_ID]] [--fail-on-new]\n";
static const char runs_usage[] = "usage: bootproof runs [--history DB]\n";

/* history.db beside the run directory: reports/history.db for reports/<run-id>. */
static char *default_db(const char *run_dir)
{
	char *copy = xstrdup(run_dir), *db = xasprintf("%s/history.db", dirname(copy));

	free(copy);
	return db;
}

/* Guest text on a terminal: no control characters (no escape sequences). */
static void print_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
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

/* A run named on the command line: a run id, or a run directory. */
static char *resolve_run(const char *arg)
{
	struct stat st;
	char *id;

	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode) && (id = run_id_of(arg, NULL)))
		return id;
	return xstrdup(arg);
}

/* The titles of diff's new signatures, for the page; NULL-safe. */
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

int report_after_run(const char *run_dir, const char *db_path, struct bp_error *err)
{
	struct history_diff d = {0};
	struct report_context ctx;
	struct bp_error herr = {{0}};
	char *db = db_path ? xstrdup(db_path) : default_db(run_dir), *run_id = NULL;
	const char **titles = NULL;
	int have_diff = 0, hist_failed = 0, ret = -1;

	run_id = run_id_of(run_dir, err);
	if (!run_id)
		goto out;
	if (history_record(db, run_dir, &herr) < 0 ||
	    history_compare(db, run_id, NULL, &d, &herr) < 0)
		hist_failed = 1;
	else
		have_diff = 1;
	if (have_diff) {
		titles = new_titles(&d);
		context_from(&ctx, &d, titles);
	}
	if (report_render_ctx(run_dir, have_diff ? &ctx : NULL, err) < 0)
		goto out;
	if (hist_failed) {
		error_set(err, "%s", herr.msg);
		goto out;
	}
	ret = 0;
out:
	free(titles);
	history_diff_release(&d);
	free(run_id);
	free(db);
	return ret;
}

static void print_diff(const struct history_diff *d, const char *db)
{
	if (!d->other_id) {
		printf("no earlier complete run of suite '");
		print_safe(d->suite);
		printf("' in '%s' to compare %s with\nno new signatures\n", db, d->run_id);
		return;
	}
	printf("compared %s with %s (suite '", d->run_id, d->other_id);
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
		printf(" (%s, was %s)\n", d->flaky[i].verdict, d->flaky[i].was);
	}
}

/* "--opt VALUE" or "--opt=VALUE": 1 and *value set, 0 not this option, -1 value missing. */
static int opt_value(char **argv, int argc, int *i, const char *opt, const char **value)
{
	size_t n = strlen(opt);

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

int cmd_report(int argc, char **argv)
{
	const char *history = NULL, *other_arg = NULL, *pos[2] = {NULL, NULL};
	int nr_pos = 0, compare = 0, fail_on_new = 0, after_compare = -1, status = EXIT_ERROR;
	struct history_diff d = {0};
	struct report_context ctx;
	struct bp_error err;
	char *db = NULL, *run_id = NULL, *other = NULL;
	const char **titles = NULL;
	const char *run_dir;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(report_usage, stdout);
			return 0;
		}
		if ((r = opt_value(argv, argc, &i, "--history", &history))) {
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
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "bootproof: unknown option '%s'\n", a);
			goto usage;
		} else if (nr_pos < 2) {
			pos[nr_pos++] = a;
		} else {
			goto usage;
		}
	}
	/* "RUN_DIR --compare OTHER" and "--compare OTHER RUN_DIR": OTHER right after --compare. */
	if (nr_pos == 2 && after_compare >= 0 && after_compare < 2 && !other_arg) {
		other_arg = pos[after_compare];
		run_dir = pos[!after_compare];
	} else if (nr_pos == 1) {
		run_dir = pos[0];
	} else {
		goto usage;
	}

	db = history ? xstrdup(history) : default_db(run_dir);
	if (history || compare) {
		if (history_record(db, run_dir, &err) < 0)
			goto fail;
	}
	if (compare) {
		run_id = run_id_of(run_dir, &err);
		if (!run_id)
			goto fail;
		other = other_arg ? resolve_run(other_arg) : NULL;
		if (history_compare(db, run_id, other, &d, &err) < 0)
			goto fail;
		titles = new_titles(&d);
		context_from(&ctx, &d, titles);
	}
	if (report_render_ctx(run_dir, compare ? &ctx : NULL, &err) < 0)
		goto fail;
	if (compare)
		print_diff(&d, db);
	status = fail_on_new && d.nr_new ? EXIT_NEW : 0;
	goto out;
usage:
	fputs(report_usage, stderr);
	return EXIT_USAGE;
fail:
	fprintf(stderr, "bootproof: %s\n", err.msg);
out:
	free(titles);
	history_diff_release(&d);
	free(run_id);
	free(other);
	free(db);
	return status;
}

int cmd_runs(int argc, char **argv)
{
	const char *db = NULL;
	struct history_run *runs;
	struct bp_error err;
	int n;

	for (int i = 1; i < argc; i++) {
		int r;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(runs_usage, stdout);
			return 0;
		}
		r = opt_value(argv, argc, &i, "--history", &db);
		if (r <= 0) {
			fputs(runs_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (!db)
		db = HISTORY_DEFAULT_DB;
	n = history_runs(db, &runs, &err);
	if (n < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		return EXIT_ERROR;
	}
	if (!n) {
		printf("no runs recorded in '%s'\n", db);
		return 0;
	}
	printf("%-24s %-20s %5s %5s %5s %5s %4s  %-8s %s\n", "RUN", "STARTED", "SCEN", "PASS",
	       "FAIL", "INFRA", "SIGS", "COMPLETE", "SUITE");
	for (int i = 0; i < n; i++) {
		const struct history_run *r = &runs[i];

		printf("%-24s %-20s %5ld %5ld %5ld %5ld %4ld  %-8s ", r->run_id, r->started,
		       r->scenarios, r->pass, r->fail, r->infra, r->signatures,
		       r->complete ? "yes" : "no");
		print_safe(r->suite);
		if (!r->complete && r->incomplete_reason) {
			printf(" (incomplete: ");
			print_safe(r->incomplete_reason);
			printf(")");
		}
		putchar('\n');
	}
	history_runs_free(runs, (size_t)n);
	return 0;
}
