/*
 * run - the `run` command (see run.h): one run from suite to reports.
 */
#define _GNU_SOURCE
#include "run.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rings.h"
#include "scenario.h"
#include "session.h"
#include "usage.h"

struct run_opts {
	struct session_opts s;
	char **names;
	int nr_names;
};

const struct cmd_usage run_usage = {
	"run",
	"run [-c SUITE] [-r REPORTS] [-j N] [-q] [--keep] [--history DB] [--cache DIR] [--cold] "
	"[SCENARIO...]",
	"Boot the suite's scenarios (all, or those named) and report every boot.",
	"options:\n"
	"  -c, --suite SUITE    the suite file (default scenarios.yaml)\n"
	"  -r, --reports DIR    write the run into DIR/<run-id>/ (default reports)\n"
	"  -j, --jobs N         run N guests at once, 1 to 64 (default: one per core, as\n"
	"                       memory allows)\n"
	"  -q, --quiet          no live progress block on the terminal (TAP is still printed)\n"
	"  --keep               keep the scratch directory (overlays, sockets, QEMU logs)\n"
	"  --history DB         record the run in DB (default REPORTS/history.db)\n"
	"  --cache DIR          the golden snapshot cache (default $BOOTPROOF_CACHE, else\n"
	"                       $XDG_CACHE_HOME/bootproof/snapshots)\n"
	"  --cold               no snapshots: every boot is a cold boot\n"
	"  -h, --help           this help\n"
	"\n"
	"SCENARIO: a scenario's name; NAME selects every matrix entry NAME/SENSOR.\n"
	"A suite with rings runs ring by ring: a ring starts once every earlier one\n"
	"passed, the first failure stops the run and the trials not started are\n"
	"skipped; without names, scenarios in no ring are not run.\n"
	"TAP goes to stdout; the progress block (on a terminal, without CI or TERM=dumb)\n"
	"to stderr. Exit status: 0 every expectation met, 1 an expectation failed,\n"
	"2 usage or configuration error (nothing started), 3 infrastructure failure or\n"
	"interrupted.\n",
};

/* 0 to run, 1 the help was printed, -1 a usage error (printed). */
static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{"suite", required_argument, NULL, 'c'},
		{"reports", required_argument, NULL, 'r'},
		{"keep", no_argument, NULL, 'k'},
		{"history", required_argument, NULL, 'H'},
		{"cache", required_argument, NULL, 'C'},
		{"cold", no_argument, NULL, 'K'},
		{"jobs", required_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->s.suite_path = "scenarios.yaml";
	o->s.reports = "reports";
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)"bootproof run";
	while ((c = getopt_long(argc, argv, "c:r:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->s.suite_path = optarg;
			break;
		case 'r':
			o->s.reports = optarg;
			break;
		case 'k':
			o->s.keep = 1;
			break;
		case 'q':
			o->s.quiet = 1;
			break;
		case 'h':
			usage_help(&run_usage);
			return 1;
		case 'H':
			o->s.history = optarg;
			break;
		case 'C':
			o->s.cache = optarg;
			break;
		case 'K':
			o->s.cold = 1;
			break;
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);

			if (*end || j < 1 || j > 64) {
				fprintf(stderr, "bootproof: -j takes a number from 1 to 64, got '%s'\n",
					optarg);
				usage_error(&run_usage);
				return -1;
			}
			o->s.jobs = (int)j;
			break;
		}
		default:
			usage_error(&run_usage);
			return -1;
		}
	}
	o->names = argv + optind;
	o->nr_names = argc - optind;
	return 0;
}

int run_selects(char *const *names, int nr_names, const struct scenario *sc)
{
	if (!nr_names)
		return 1;
	for (int i = 0; i < nr_names; i++)
		if (scenario_selected_by(sc, names[i]))
			return 1;
	return 0;
}

int run_check_names(char *const *names, int nr_names, const struct suite *s,
		    struct bp_error *err)
{
	for (int i = 0; i < nr_names; i++) {
		int found = 0;

		for (size_t j = 0; j < s->nr_scenarios; j++)
			found |= run_selects(&names[i], 1, &s->scenarios[j]);
		if (!found)
			return error_set(err, "no scenario named '%s' in '%s'", names[i], s->path);
	}
	return 0;
}

/*
 * The scenarios the options select, in suite order, as the session's
 * trials. With rings and no names: every scenario in a ring (one in none
 * runs only when named).
 */
static void select_trials(struct session *s, struct suite *suite, const struct run_opts *o)
{
	for (size_t i = 0; i < suite->nr_scenarios; i++) {
		const struct scenario *sc = &suite->scenarios[i];

		if (o->nr_names ? run_selects(o->names, o->nr_names, sc)
				: !suite->nr_rings || sc->ring)
			session_add(s, sc, NULL);
	}
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct suite suite = {0};
	struct session s;
	struct rings g;
	struct bp_error err;
	int status;

	switch (parse_opts(argc, argv, &o)) {
	case 1:
		return 0;
	case -1:
		return SESSION_EXIT_USAGE;
	}
	if (suite_load(&suite, o.s.suite_path, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		return SESSION_EXIT_USAGE;
	}
	if (run_check_names(o.names, o.nr_names, &suite, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		suite_free(&suite);
		return SESSION_EXIT_USAGE;
	}
	session_init(&s, &o.s, suite.nr_scenarios);
	select_trials(&s, &suite, &o);
	rings_init(&g, &s, &suite);
	if (session_start(&s, &err) < 0 && !s.started)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	/* Without rings: every trial at once. */
	rings_start(&g);
	session_loop(&s);
	status = session_finish(&s);
	rings_release(&g);
	session_release(&s);
	suite_free(&suite);
	return status;
}
