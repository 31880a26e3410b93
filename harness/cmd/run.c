/*
 * run - the `run` command (see run.h): one run from suite to reports.
 */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "boot.h"
#include "exec.h"
#include "inject.h"
#include "cmd-report.h"
#include "cmd-shard.h"
#include "disks.h"
#include "litter.h"
#include "loop.h"
#include "proc.h"
#include "progress.h"
#include "queue.h"
#include "report-json.h"
#include "report-tap.h"
#include "scenario.h"
#include "trial.h"
#include "usage.h"

#define KVM_PROBE_MS 3000
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_INFRA 3

struct run_opts {
	const char *suite;
	const char *reports;
	const char *history; /* NULL: history.db beside the run directories */
	const char *cache;   /* snapshot cache; NULL: $BOOTPROOF_CACHE or ~/.cache/bootproof */
	int cold;            /* no snapshots: every trial boots */
	int keep;
	int quiet;           /* no progress block */
	int jobs;
	struct shard_spec shard; /* total 0: the whole selection */
	char **names;
	int nr_names;
};

static void on_signal(int sig)
{
	bp_interrupted = sig;
	/* No QEMU outlives an interrupted run; the main loop writes the report. */
	proc_kill_all();
}

static void install_signals(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

const struct cmd_usage run_usage = {
	"run",
	"run [-c SUITE] [-r REPORTS] [-j N] [-q] [--keep] [--history DB] [--cache DIR] [--cold] "
	"[--shard K/N|auto [--shard-total N]] [SCENARIO...]",
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
	"  -h, --help           this help\n"
	"\n"
	"SCENARIO: a scenario's name; NAME selects every matrix entry NAME/SENSOR.\n"
	"Shards: every shard must read the same history; `bootproof report --merge`\n"
	"makes one run of their run directories.\n"
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
		{"shard", required_argument, NULL, 'S'},
		{"shard-total", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *shard = NULL;
	long shard_total = 0;
	struct bp_error err;
	int c;

	o->suite = "scenarios.yaml";
	o->reports = "reports";
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)"bootproof run";
	while ((c = getopt_long(argc, argv, "c:r:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->suite = optarg;
			break;
		case 'r':
			o->reports = optarg;
			break;
		case 'k':
			o->keep = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage_help(&run_usage);
			return 1;
		case 'H':
			o->history = optarg;
			break;
		case 'C':
			o->cache = optarg;
			break;
		case 'K':
			o->cold = 1;
			break;
		case 'S':
			shard = optarg;
			break;
		case 'T': {
			char *end;

			shard_total = strtol(optarg, &end, 10);
			if (*end || shard_total < 1 || shard_total > SHARD_MAX) {
				fprintf(stderr, "bootproof: --shard-total takes a number from 1 to %d, "
						"got '%s'\n", SHARD_MAX, optarg);
				usage_error(&run_usage);
				return -1;
			}
			break;
		}
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);

			if (*end || j < 1 || j > 64) {
				fprintf(stderr, "bootproof: -j takes a number from 1 to 64, got '%s'\n",
					optarg);
				usage_error(&run_usage);
				return -1;
			}
			o->jobs = (int)j;
			break;
		}
		default:
			usage_error(&run_usage);
			return -1;
		}
	}
	if ((shard && run_shard_resolve(shard, (int)shard_total, &o->shard, &err) < 0) ||
	    (!shard && shard_total && error_set(&err, "--shard-total goes with --shard auto"))) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		usage_error(&run_usage);
		return -1;
	}
	o->names = argv + optind;
	o->nr_names = argc - optind;
	return 0;
}

int run_selects(char *const *names, int nr_names, const struct scenario *sc)
{
	if (!nr_names)
		return 1;
	for (int i = 0; i < nr_names; i++) {
		size_t n = strlen(names[i]);

		if (!strcmp(sc->name, names[i]) ||
		    (!strncmp(sc->name, names[i], n) && sc->name[n] == '/'))
			return 1;
	}
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

/* "good-291/v1" -> "good-291-v1": one directory per trial. */
static char *trial_dir_name(const char *name)
{
	char *d = xstrdup(name);

	for (char *p = d; *p; p++)
		if (*p == '/')
			*p = '-';
	return d;
}

static int make_run_dir(struct run_result *r, const char *reports, struct bp_error *err)
{
	char stamp[32];
	time_t t = time(NULL);

	r->started_unix = (int64_t)t;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	r->run_id = xasprintf("%s-%ld", stamp, (long)getpid());
	r->dir = xasprintf("%s/%s", reports, r->run_id);
	return mkdir_p(r->dir, err);
}

/* reports/latest -> <run-id>, replaced atomically. */
static void point_latest(const char *reports, const char *run_id)
{
	char *tmp = xasprintf("%s/.latest.%ld", reports, (long)getpid());
	char *latest = xasprintf("%s/latest", reports);

	unlink(tmp);
	if (symlink(run_id, tmp) == 0 && rename(tmp, latest) < 0)
		unlink(tmp);
	free(tmp);
	free(latest);
}

/*
 * The last save of results.json failed (a full disk: the file on disk is an
 * earlier, complete one), or results.tap could not be written: the run ends
 * with EXIT_INFRA, the host failed.
 */
static int json_failed, tap_failed;

static void save_json(struct run_result *r)
{
	static char last[sizeof(((struct bp_error *)0)->msg)];
	char *path = xasprintf("%s/results.json", r->dir);
	struct bp_error err;

	json_failed = report_json_write(r, path, &err) < 0;
	/* Once per distinct error, not once per boot. */
	if (json_failed && strcmp(err.msg, last))
		fprintf(stderr, "bootproof: %s\n", err.msg);
	snprintf(last, sizeof(last), "%s", json_failed ? err.msg : "");
	free(path);
}

/* The snapshot cache, absolute (snapshot.h needs it so). */
static char *cache_dir(const char *opt)
{
	const char *env = getenv("BOOTPROOF_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *dir, *abs;

	if (opt || (env && *env))
		dir = xstrdup(opt ? opt : env);
	else if (xdg && *xdg)
		dir = xasprintf("%s/bootproof/snapshots", xdg);
	else
		dir = xasprintf("%s/.cache/bootproof/snapshots", home && *home ? home : "/tmp");
	if (mkdir_p(dir, NULL) == 0 && (abs = realpath(dir, NULL))) {
		free(dir);
		return abs;
	}
	return dir;
}

/* Snapshot news into the TAP stream as comments. */
static void note(void *ctx, const char *msg)
{
	tap_comment(ctx, msg);
}

struct run_ctx {
	struct run_result *r;
	struct tap_writer *tap;
	struct progress *prog;
	struct queue *q;
	struct disks *disks;
	int jobs;
	int finished_boots;
	double boot_time;
};

/* A boot finished somewhere: into the TAP stream and results.json at once. */
static void on_boot(void *ctx, struct exec *e, const struct boot_result *b)
{
	struct run_ctx *rc = ctx;

	progress_clear(rc->prog);
	rc->finished_boots++;
	rc->boot_time += b->duration_s;
	tap_boot(rc->tap, e->t, b);
	save_json(rc->r);
}

/* A trial is scheduled: its overlay now, its base content for its exec to inject. */
static int prepare(void *ctx, struct trial_result *t, size_t id, const char *work_dir,
		   struct trial_disk *ret, struct bp_error *err)
{
	struct run_ctx *rc = ctx;

	return disks_trial(rc->disks, id, t->scenario, work_dir, ret, err);
}

static void on_trial_done(void *ctx, struct trial_result *t)
{
	struct run_ctx *rc = ctx;

	progress_clear(rc->prog);
	if (t->finished)
		tap_checks(rc->tap, t);
	save_json(rc->r);
}

static void draw_progress(struct run_ctx *rc, struct progress_line *lines, int total)
{
	int nr_lines = 0, left;

	for (int i = 0; i < rc->jobs; i++) {
		const struct exec *e = queue_slot(rc->q, i);

		if (!e)
			continue;
		lines[nr_lines++] = (struct progress_line){
			e->t->scenario->name, (int)e->t->nr_boots, e->t->scenario->boots,
			e->offline ? "offline"
			: !e->booting ? "-"
			: crash_detector_in_report(e->boot.det) ? "crashing"
			: e->boot.res->marker_seen ? "up" : "booting",
			(double)(now_ms() - e->boot.t_start_ms) / 1000.0};
	}
	/* Recovery loops end early, so the ETA is an upper bound. */
	left = total - rc->finished_boots;
	progress_draw(rc->prog, lines, nr_lines, rc->finished_boots, total,
		      rc->finished_boots && left > 0
			      ? rc->boot_time / rc->finished_boots * left / rc->jobs
			      : -1);
}

/*
 * Run every trial through the trial queue, at most `jobs` at once, all in
 * one event loop: each trial's boots and offline work register there.
 */
static void run_trials(struct run_result *r, const char *work, struct disks *d, int jobs,
		       int quiet, struct tap_writer *tap)
{
	struct progress_line *lines = xcalloc((size_t)jobs, sizeof(*lines));
	struct progress prog;
	struct loop *l = loop_new();
	struct run_ctx rc = {.r = r, .tap = tap, .prog = &prog, .disks = d, .jobs = jobs};
	struct queue_env env = {.loop = l, .jobs = jobs, .accel = r->accel, .run_dir = r->dir,
				.work = work, .prepare = prepare, .on_boot = on_boot, .ctx = &rc};
	int total = 0;

	progress_init(&prog, 2);
	if (quiet)
		prog.enabled = 0;
	rc.q = queue_new(&env);
	for (size_t i = 0; i < r->nr_trials; i++)
		total += r->trials[i].scenario->boots;
	for (size_t i = 0; i < r->nr_trials; i++)
		queue_submit(rc.q, &r->trials[i], i, on_trial_done, &rc);
	while (queue_pending(rc.q)) {
		if (bp_interrupted)
			queue_drain(rc.q); /* what runs ends through the loop; nothing new starts */
		draw_progress(&rc, lines, total);
		if (loop_once(l, 1000) < 0)
			break;
	}
	progress_clear(&prog);
	queue_free(rc.q);
	loop_free(l);
	free(lines);
}

/* Default parallelism: one guest per core, as far as memory allows. */
static int default_jobs(const struct run_result *r)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	long mem_mib = pages > 0 && page > 0 ? pages / (1024 * 1024 / page) : 1024;
	int need = 256;

	for (size_t i = 0; i < r->nr_trials; i++)
		if (r->trials[i].scenario->image->memory_mib > need)
			need = r->trials[i].scenario->image->memory_mib;
	/* Each guest costs its RAM plus ~200 MiB of QEMU; keep half the host free. */
	long by_mem = mem_mib / 2 / (need + 200);
	long j = cores < by_mem ? cores : by_mem;

	return j < 1 ? 1 : (int)j;
}

static int exit_status(const struct run_result *r)
{
	int status = 0;

	if (!r->complete || json_failed || tap_failed)
		return EXIT_INFRA;
	for (size_t i = 0; i < r->nr_trials; i++) {
		if (r->trials[i].verdict == VERDICT_INFRA)
			return EXIT_INFRA;
		if (r->trials[i].verdict == VERDICT_FAIL)
			status = EXIT_FAIL;
	}
	return status;
}

/*
 * libguestfs's own temporary directory inside the work directory, so that
 * a killed run's is swept with it (its socket directory cannot move: see
 * litter.h). A user's choice stands.
 */
static void guestfs_tmpdir(const char *work)
{
	char *dir = xasprintf("%s/guestfs", work);

	if (!getenv("LIBGUESTFS_TMPDIR") && mkdir_p(dir, NULL) == 0)
		setenv("LIBGUESTFS_TMPDIR", dir, 1);
	free(dir);
}

static void run_announce(struct tap_writer *tap, const struct run_result *r, const char *reason)
{
	char *msg = xasprintf("run %s: %zu scenarios, accelerator %s (%s)", r->run_id,
			      r->nr_trials, r->accel, reason);

	tap_begin(tap);
	tap_comment(tap, msg);
	free(msg);
}

/* The end of the TAP stream: why the run is incomplete, if it is. */
static void run_note_end(struct tap_writer *tap, struct run_result *r)
{
	if (bp_interrupted && !r->complete) {
		/* The signal is the reason, whatever it made fail (a stopped libguestfs worker). */
		free(r->incomplete_reason);
		r->incomplete_reason = xasprintf("interrupted by signal %d", (int)bp_interrupted);
	}
	if (!r->complete) {
		char *msg = xasprintf("incomplete run: %s",
				      r->incomplete_reason ? r->incomplete_reason : "unknown");

		tap_comment(tap, msg);
		free(msg);
	}
	tap_end(tap);
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/*
 * The scenarios the options select, in suite order, as trials of r; of
 * those, with --shard, the shard's (cmd-shard.h). Returns 0, or -1 with err.
 */
static int select_trials(struct run_result *r, struct suite *suite, const struct run_opts *o,
			 struct bp_error *err)
{
	char *db;
	int ret;

	r->trials = xcalloc(suite->nr_scenarios, sizeof(*r->trials));
	for (size_t i = 0; i < suite->nr_scenarios; i++)
		if (run_selects(o->names, o->nr_names, &suite->scenarios[i])) {
			struct trial_result *t = &r->trials[r->nr_trials++];

			t->scenario = &suite->scenarios[i];
			t->dir = trial_dir_name(t->scenario->name);
		}
	if (!o->shard.total)
		return 0;
	db = o->history ? xstrdup(o->history) : xasprintf("%s/history.db", o->reports);
	ret = run_shard_select(r, &o->shard, db, err);
	free(db);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct suite suite = {0};
	struct run_result r = {0};
	struct tap_writer tap = {.out = {stdout}, .nr_out = 1};
	struct bp_error err;
	struct utsname uts;
	char reason[256], *work = NULL, *cache = NULL;
	struct disks disks = {0};
	char *tap_path = NULL, *tap_tmp = NULL;
	int64_t t0 = now_ms();
	int status = EXIT_INFRA, have_work = 0;
	FILE *tapf = NULL;

	switch (parse_opts(argc, argv, &o)) {
	case 1:
		return 0;
	case -1:
		return EXIT_USAGE;
	}
	if (suite_load(&suite, o.suite, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (run_check_names(o.names, o.nr_names, &suite, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		suite_free(&suite);
		return EXIT_USAGE;
	}
	install_signals();
	r.suite_path = xstrdup(o.suite);
	r.host = xstrdup(uname(&uts) == 0 ? uts.nodename : "unknown");
	if (select_trials(&r, &suite, &o, &err) < 0) {
		status = EXIT_USAGE;
		goto out_err;
	}
	/* What runs killed before us left (their scratch, half-written reports). */
	litter_sweep_all(&report_sweeper);
	work = xasprintf("%s/bootproof-XXXXXX", litter_tmp_dir());
	if (make_run_dir(&r, o.reports, &err) < 0)
		goto out_err;
	if (litter_mkdtemp(work, r.dir, &err) < 0)
		goto out_err;
	have_work = 1;
	guestfs_tmpdir(work);
	tap_path = xasprintf("%s/results.tap", r.dir);
	tap_tmp = xasprintf("%s.tmp", tap_path);
	tapf = fopen(tap_tmp, "w");
	if (tapf)
		tap.out[tap.nr_out++] = tapf;
	/* profile: the probe boots the first trial's guest the way its profile says */
	r.accel = xstrdup(accel_probe(work, r.nr_trials ? r.trials[0].scenario->image->guest : NULL,
				      r.nr_trials ? r.trials[0].scenario->image->kernel : NULL,
				      KVM_PROBE_MS, reason, sizeof(reason)));
	r.accel_reason = xstrdup(reason);
	run_announce(&tap, &r, reason);
	save_json(&r);
	point_latest(o.reports, r.run_id);
	if (!o.cold)
		cache = cache_dir(o.cache);
	if (disks_snapshots(&disks, &r, cache, work, note, &tap, &err) < 0) {
		char *msg = xasprintf("infrastructure failure: %s", err.msg);

		tap_comment(&tap, msg);
		fprintf(stderr, "bootproof: %s\n", msg);
		r.incomplete_reason = msg;
		goto finish;
	}
	r.jobs = o.jobs ? o.jobs : default_jobs(&r);
	if (o.keep)
		r.work_dir = xstrdup(work);
	{
		int64_t t_trials = now_ms();

		run_trials(&r, work, &disks, r.jobs, o.quiet, &tap);
		r.trials_s = (double)(now_ms() - t_trials) / 1000.0;
	}
	if (!bp_interrupted)
		r.complete = 1;
finish:
	/* Now, not at exit: an interrupted worker has a short grace to clean up. */
	inject_shutdown();
	run_note_end(&tap, &r);
	/* Before report_after_run, which renders results.tap from results.json if there is none. */
	if (tapf && tap_file_commit(&tap, tapf, tap_tmp, tap_path, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		tap_failed = 1;
	}
	tapf = NULL;
	r.peak_rss_kib = peak_rss_kib();
	r.duration_s = (double)(now_ms() - t0) / 1000.0;
	save_json(&r);
	/* The other formats and the history derive from results.json. */
	if (report_after_run(r.dir, o.history, &err) < 0)
		fprintf(stderr, "bootproof: warning: %s\n", err.msg);
	status = exit_status(&r);
	goto out;
out_err:
	fprintf(stderr, "bootproof: %s\n", err.msg);
out:
	inject_shutdown();
	if (tapf) {
		fclose(tapf);
		unlink(tap_tmp);
	}
	if (have_work && !o.keep)
		remove_tree(work);
	if (have_work && o.keep)
		litter_keep(work);
	else if (have_work)
		litter_forget(work);
	disks_release(&disks);
	free(work);
	free(tap_path);
	free(tap_tmp);
	run_result_release(&r);
	suite_free(&suite);
	return status;
}
