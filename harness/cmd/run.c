/*
 * run - the `run` command (see run.h): one run from suite to reports.
 */
#define _GNU_SOURCE
#include "run.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cmd-shard.h"
#include "hostpool.h"
#include "rings.h"
#include "scenario.h"
#include "session.h"
#include "usage.h"

struct run_opts {
	struct session_opts s;
	struct shard_spec shard; /* total 0: the whole selection */
	struct hostpool hosts;   /* --host, else the suite's hosts:; --retry-infra (hostpool.h);
				    no hosts: this machine */
	int retry_given;         /* --retry-infra was given */
	char **names;
	int nr_names;
};

const struct cmd_usage run_usage = {
	"run",
	"run [-c SUITE] [-r REPORTS] [-j N] [-q] [--keep] [--history DB] [--cache DIR] [--cold] "
	"[--shard K/N|auto [--shard-total N]] [--backend qemu|libvirt [--host URI[,slots=N][,disks=shared|upload]]... "
	"[--retry-infra N]] [SCENARIO...]",
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
	"  --shard K/N          run only shard K of N of the selection (1 <= K <= N): the\n"
	"                       same K/N, suite and history give the same scenarios on any\n"
	"                       machine, balanced by the history's median durations\n"
	"  --shard auto         K/N from the batch system: BOOTPROOF_SHARD=K/N,\n"
	"                       CI_NODE_INDEX/CI_NODE_TOTAL (GitLab parallel),\n"
	"                       SLURM_ARRAY_TASK_ID/_COUNT/_MIN (Slurm array), or\n"
	"                       JOB_COMPLETION_INDEX (Kubernetes Indexed Job, 0-based)\n"
	"  --shard-total N      the number of shards, with JOB_COMPLETION_INDEX\n"
	"  --backend NAME       what runs the guests of images that name none: qemu\n"
	"                       (default: QEMU children of bootproof) or libvirt (transient\n"
	"                       domains on a libvirt host; every boot cold)\n"
	"  --host URI[,slots=N][,disks=shared|upload]\n"
	"                       a libvirt host (default qemu:///system), e.g.\n"
	"                       qemu+tcp://HOST/system or qemu+ssh://HOST/system;\n"
	"                       repeatable: a pool the trials are spread over, at most N\n"
	"                       at once on each (1 to 64, default 1); disks: its daemon\n"
	"                       opens the trials' files here (shared) or gets them in its\n"
	"                       storage pool (upload), by default shared only for a URI\n"
	"                       of this machine (no host, +unix, localhost, loopback);\n"
	"                       replaces the suite's hosts: whole\n"
	"  --retry-infra N      a trial lost with its host runs again on another host, up\n"
	"                       to N times (0 to 16, default 0; with --host or hosts:)\n"
	"  -h, --help           this help\n"
	"\n"
	"SCENARIO: a scenario's name; NAME selects every matrix entry NAME/SENSOR.\n"
	"Shards: every shard must read the same history; `bootproof report --merge`\n"
	"makes one run of their run directories.\n"
	"A suite with rings runs ring by ring: a ring starts once every earlier one\n"
	"passed, the first failure stops the run and the trials not started are\n"
	"skipped; without names, scenarios in no ring are not run.\n"
	"TAP goes to stdout; the progress block (on a terminal, without CI or TERM=dumb)\n"
	"to stderr. Exit status: 0 every expectation met, 1 an expectation failed,\n"
	"2 usage or configuration error (nothing started), 3 infrastructure failure or\n"
	"interrupted.\n",
};

int run_session_opt(int c, const char *arg, struct session_opts *o, const struct cmd_usage *u)
{
	char *end;
	long j;

	switch (c) {
	case 'c':
		o->suite_path = arg;
		return 1;
	case 'r':
		o->reports = arg;
		return 1;
	case 'k':
		o->keep = 1;
		return 1;
	case 'q':
		o->quiet = 1;
		return 1;
	case 'H':
		o->history = arg;
		return 1;
	case 'C':
		o->cache = arg;
		return 1;
	case 'K':
		o->cold = 1;
		return 1;
	case 'j':
		j = strtol(arg, &end, 10);
		if (*end || !*arg || j < 1 || j > 64) {
			fprintf(stderr, "bootproof: -j takes a number from 1 to 64, got '%s'\n", arg);
			usage_error(u);
			return -1;
		}
		o->jobs = (int)j;
		return 1;
	}
	return 0;
}

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
		{"shard", required_argument, NULL, 'S'},
		{"shard-total", required_argument, NULL, 'T'},
		{"backend", required_argument, NULL, 'B'},
		{"host", required_argument, NULL, 'O'},
		{"retry-infra", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *shard = NULL;
	long shard_total = 0;
	struct bp_error err;
	int c;

	o->s.suite_path = "scenarios.yaml";
	o->s.reports = "reports";
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)"bootproof run";
	while ((c = getopt_long(argc, argv, "c:r:j:qh", longopts, NULL)) != -1) {
		int taken = c == 'h' || c == '?' ? 0 : run_session_opt(c, optarg, &o->s, &run_usage);

		if (taken < 0)
			return -1;
		if (taken)
			continue;
		if (c == 'h') {
			usage_help(&run_usage);
			return 1;
		}
		if (c == 'S') {
			shard = optarg;
			continue;
		}
		if (c == 'B' && backend_valid(optarg)) {
			o->s.backend = optarg;
			continue;
		}
		if (c == 'B') {
			fprintf(stderr, "bootproof: --backend takes 'qemu' or 'libvirt', got '%s'\n",
				optarg);
			usage_error(&run_usage);
			return -1;
		}
		if ((c == 'O' && hostpool_add(&o->hosts, optarg, &err) < 0) ||
		    (c == 'R' && hostpool_set_retry(&o->hosts, optarg, &err) < 0)) {
			fprintf(stderr, "bootproof: %s\n", err.msg);
			usage_error(&run_usage);
			return -1;
		}
		if (c == 'O' || c == 'R') {
			o->retry_given |= c == 'R';
			continue;
		}
		if (c == 'T') {
			char *end;

			shard_total = strtol(optarg, &end, 10);
			if (*end || shard_total < 1 || shard_total > SHARD_MAX) {
				fprintf(stderr, "bootproof: --shard-total takes a number from 1 to %d, "
						"got '%s'\n", SHARD_MAX, optarg);
				usage_error(&run_usage);
				return -1;
			}
			continue;
		}
		usage_error(&run_usage);
		return -1;
	}
	if ((shard && run_shard_resolve(shard, (int)shard_total, &o->shard, &err) < 0) ||
	    (!shard && shard_total && error_set(&err, "--shard-total goes with --shard auto")) ||
	    (o->hosts.nr_hosts && o->s.backend && strcmp(o->s.backend, "libvirt") &&
	     error_set(&err, "--host goes with --backend libvirt"))) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		usage_error(&run_usage);
		return -1;
	}
	o->names = argv + optind;
	o->nr_names = argc - optind;
	return 0;
}

/* Non-zero if an image of the suite boots on libvirt (its backend:, else run_backend). */
static int run_uses_libvirt(const struct suite *suite, const char *run_backend)
{
	for (size_t i = 0; i < suite->nr_images; i++)
		if (!strcmp(backend_of(&suite->images[i], run_backend), "libvirt"))
			return 1;
	return 0;
}

/*
 * The pool: --host's, else the suite's hosts:, either only where an image
 * boots on libvirt. Returns 0, or -1 with err (a usage error when
 * *usage is set after it, else a suite error).
 */
static int run_pool(struct run_opts *o, const struct suite *suite, int *usage,
		    struct bp_error *err)
{
	int from_suite = !o->hosts.nr_hosts;

	*usage = 1;
	for (size_t i = 0; from_suite && i < suite->nr_hosts; i++)
		if (hostpool_add_host(&o->hosts, suite->hosts[i].uri, suite->hosts[i].slots,
				      suite->hosts[i].disks, err) < 0)
			return error_prefix(err, "%s:%d:%d", suite->path, suite->hosts[i].line,
					    suite->hosts[i].column);
	if (o->retry_given && !o->hosts.nr_hosts)
		return error_set(err, "--retry-infra goes with --host or the suite's hosts:, and "
				      "'%s' has none", suite->path);
	if (o->hosts.nr_hosts && !run_uses_libvirt(suite, o->s.backend)) {
		*usage = !from_suite;
		if (from_suite)
			return error_set(err, "%s:%d:%d: 'hosts' goes with --backend libvirt or an "
					      "image of backend libvirt, and no image of the suite is "
					      "one",
					 suite->path, suite->hosts_line, suite->hosts_column);
		return error_set(err, "--host goes with --backend libvirt or an image of backend "
				      "libvirt, and no image of '%s' is one",
				 suite->path);
	}
	if (o->hosts.nr_hosts) {
		o->s.host = o->hosts.hosts[0].uri;
		o->s.pool = &o->hosts;
	}
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
 * trials; with rings and no names, every scenario in a ring (one in none
 * runs only when named); of those, with --shard, the shard's
 * (cmd-shard.h). Returns 0, or -1 with err.
 */
static int select_trials(struct session *s, struct suite *suite, const struct run_opts *o,
			 struct bp_error *err)
{
	char *db;
	int ret;

	for (size_t i = 0; i < suite->nr_scenarios; i++) {
		const struct scenario *sc = &suite->scenarios[i];

		if (o->nr_names ? run_selects(o->names, o->nr_names, sc)
				: !suite->nr_rings || sc->ring)
			session_add(s, sc, NULL);
	}
	if (!o->shard.total)
		return 0;
	db = o->s.history ? xstrdup(o->s.history) : xasprintf("%s/history.db", o->s.reports);
	ret = run_shard_select(&s->r, &o->shard, db, err);
	free(db);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct suite suite = {0};
	struct session s;
	struct rings g;
	struct bp_error err;
	int status = parse_opts(argc, argv, &o), usage;

	if (status) {
		status = status > 0 ? 0 : SESSION_EXIT_USAGE;
		goto out;
	}
	status = SESSION_EXIT_USAGE;
	if (suite_load(&suite, o.s.suite_path, &err) < 0 ||
	    run_check_names(o.names, o.nr_names, &suite, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		goto out;
	}
	if (run_pool(&o, &suite, &usage, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		if (usage)
			usage_error(&run_usage);
		goto out;
	}
	session_init(&s, &o.s, suite.nr_scenarios);
	if (select_trials(&s, &suite, &o, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		session_release(&s);
		goto out;
	}
	rings_init(&g, &s, &suite);
	if (session_start(&s, &err) < 0 && !s.started)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	/* Without rings: every trial at once. */
	rings_start(&g);
	session_loop(&s);
	status = session_finish(&s);
	rings_release(&g);
	session_release(&s);
out:
	suite_free(&suite);
	hostpool_release(&o.hosts);
	return status;
}
