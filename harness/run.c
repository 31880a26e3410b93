/*
 * run - the `run` command (see run.h): one run from suite to reports.
 */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
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
#include "inject.h"
#include "proc.h"
#include "progress.h"
#include "report-json.h"
#include "report-tap.h"
#include "scenario.h"
#include "trial.h"

#define KVM_PROBE_MS 3000
#define INJECT_TIMEOUT_MS (10 * 60 * 1000)
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_INFRA 3

struct run_opts {
	const char *suite;
	const char *reports;
	int keep;
	int jobs;
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

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{"suite", required_argument, NULL, 'c'},
		{"reports", required_argument, NULL, 'r'},
		{"keep", no_argument, NULL, 'k'},
		{"jobs", required_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->suite = "scenarios.yaml";
	o->reports = "reports";
	while ((c = getopt_long(argc, argv, "c:r:j:", longopts, NULL)) != -1) {
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
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);

			if (*end || j < 1 || j > 64) {
				fprintf(stderr, "bootproof: -j takes a number from 1 to 64, got '%s'\n",
					optarg);
				return -1;
			}
			o->jobs = (int)j;
			break;
		}
		default:
			fprintf(stderr, "usage: bootproof run [-c SUITE] [-r REPORTS] [-j N] "
					"[--keep] [SCENARIO...]\n");
			return -1;
		}
	}
	o->names = argv + optind;
	o->nr_names = argc - optind;
	return 0;
}

/* A name selects a scenario exactly, or all its matrix entries ("NAME" of "NAME/v1"). */
static int selected(const struct run_opts *o, const struct scenario *sc)
{
	if (!o->nr_names)
		return 1;
	for (int i = 0; i < o->nr_names; i++) {
		size_t n = strlen(o->names[i]);

		if (!strcmp(sc->name, o->names[i]) ||
		    (!strncmp(sc->name, o->names[i], n) && sc->name[n] == '/'))
			return 1;
	}
	return 0;
}

static int check_names(const struct run_opts *o, const struct suite *s)
{
	for (int i = 0; i < o->nr_names; i++) {
		struct run_opts one = {.names = &o->names[i], .nr_names = 1};
		int found = 0;

		for (size_t j = 0; j < s->nr_scenarios; j++)
			found |= selected(&one, &s->scenarios[j]);
		if (!found) {
			fprintf(stderr, "bootproof: no scenario named '%s' in '%s'\n", o->names[i],
				s->path);
			return -1;
		}
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

static void save_json(struct run_result *r)
{
	char *path = xasprintf("%s/results.json", r->dir);
	struct bp_error err;

	if (report_json_write(r, path, &err) < 0)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	free(path);
}

/* Overlays for every trial, then one libguestfs launch injects them all. */
static int prepare_disks(struct run_result *r, const char *work, char **overlays,
			 struct bp_error *err)
{
	struct inject_job *jobs = xcalloc(r->nr_trials, sizeof(*jobs));
	int ret = -1;

	for (size_t i = 0; i < r->nr_trials; i++) {
		const struct scenario *sc = r->trials[i].scenario;
		const struct content_set *cs = sc->content;
		size_t nr = 1 + (cs ? cs->nr_files : 0);
		struct inject_op *ops = xcalloc(nr, sizeof(*ops));

		overlays[i] = xasprintf("%s/%zu/system.qcow2", work, i);
		if (overlay_create(sc->image->disk, overlays[i], err) < 0)
			goto out;
		ops[0] = (struct inject_op){INJECT_UPLOAD, sc->sensor->module,
					    "/sensor/refsensor.ko", 0};
		for (size_t f = 0; cs && f < cs->nr_files; f++)
			ops[1 + f] = (struct inject_op){INJECT_UPLOAD, cs->files[f].path,
							xasprintf("/sensor/content/%s",
								  cs->files[f].as),
							0};
		jobs[i] = (struct inject_job){overlays[i], ops, nr};
	}
	ret = inject_batch_isolated(jobs, r->nr_trials, r->accel, INJECT_TIMEOUT_MS, err);
out:
	for (size_t i = 0; i < r->nr_trials; i++) {
		for (size_t j = 1; j < jobs[i].nr_ops; j++)
			free((char *)jobs[i].ops[j].guest);
		free(jobs[i].ops);
	}
	free(jobs);
	return ret;
}

/* One trial in flight: its boots run one after another on its overlay. */
struct slot {
	struct trial_result *t;
	struct boot boot;
	struct boot_params p;
	char *work_dir;
	char *overlay;
	char *log_path;
	int64_t t0;
	int busy;
};

static void slot_start_boot(struct run_result *r, struct slot *s)
{
	const struct scenario *sc = s->t->scenario;
	struct boot_result *b = trial_add_boot(s->t);

	b->log = xasprintf("%s/boot-%d.log", s->t->dir, b->n);
	free(s->log_path);
	s->log_path = xasprintf("%s/%s", r->dir, b->log);
	s->p = (struct boot_params){
		.vm = {.accel = r->accel,
		       .kernel = sc->image->kernel,
		       .initrd = sc->image->initrd,
		       .append = sc->image->append,
		       .disk = s->overlay,
		       .memory_mib = sc->image->memory_mib,
		       .run_dir = s->work_dir},
		.marker = sc->image->marker,
		.log_contains = sc->log_contains,
		.boot_timeout_ms = sc->boot_timeout_s * 1000,
		.silence_timeout_ms = sc->silence_timeout_s * 1000,
		.log_path = s->log_path,
	};
	boot_start(&s->boot, &s->p, b);
}

static void slot_start(struct run_result *r, struct slot *s, struct trial_result *t,
		       const char *work, size_t idx, char *overlay)
{
	char *dir = xasprintf("%s/%s", r->dir, t->dir);
	struct bp_error err;

	if (mkdir_p(dir, &err) < 0)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	free(dir);
	s->t = t;
	s->work_dir = xasprintf("%s/%zu", work, idx);
	s->overlay = overlay;
	s->t0 = now_ms();
	s->busy = 1;
	slot_start_boot(r, s);
}

/* A boot finished: report it, then start the next boot or close the trial. */
static void slot_advance(struct run_result *r, struct slot *s, struct tap_writer *tap)
{
	struct trial_result *t = s->t;
	const struct boot_result *b = &t->boots[t->nr_boots - 1];

	boot_release(&s->boot);
	tap_boot(tap, t, b);
	t->duration_s = (double)(now_ms() - s->t0) / 1000.0;
	if (!bp_interrupted && b->outcome != OUTCOME_INFRA && b->n < t->scenario->boots) {
		save_json(r);
		slot_start_boot(r, s);
		return;
	}
	if (!bp_interrupted) {
		trial_judge(t);
		tap_checks(tap, t);
	}
	save_json(r);
	free(s->work_dir);
	free(s->log_path);
	s->work_dir = s->log_path = NULL;
	s->busy = 0;
}

/*
 * Run every trial, at most `jobs` at once, all driven by one poll loop:
 * each boot contributes its fds and its next deadline.
 */
static void run_trials(struct run_result *r, const char *work, char **overlays, int jobs,
		       struct tap_writer *tap)
{
	struct slot *slots = xcalloc((size_t)jobs, sizeof(*slots));
	struct pollfd *fds = xcalloc((size_t)jobs * BOOT_MAX_POLLFDS, sizeof(*fds));
	int *nr_fds = xcalloc((size_t)jobs, sizeof(*nr_fds));
	struct progress_line *lines = xcalloc((size_t)jobs, sizeof(*lines));
	struct progress prog;
	size_t next = 0;
	int total = 0, finished = 0;
	double boot_time = 0;

	progress_init(&prog, 2);
	for (size_t i = 0; i < r->nr_trials; i++)
		total += r->trials[i].scenario->boots;
	for (;;) {
		int64_t deadline = INT64_MAX, wait;
		int busy = 0, n = 0, nr_lines = 0;

		for (int i = 0; i < jobs; i++) {
			struct slot *s = &slots[i];

			while (s->busy && boot_done(&s->boot)) {
				const struct trial_result *t = s->t;

				progress_clear(&prog);
				finished++;
				boot_time += t->boots[t->nr_boots - 1].duration_s;
				/* A trial cut short (infra) will not run its remaining boots. */
				if (t->boots[t->nr_boots - 1].outcome == OUTCOME_INFRA)
					total -= t->scenario->boots - (int)t->nr_boots;
				slot_advance(r, s, tap);
			}
			if (!s->busy && next < r->nr_trials && !bp_interrupted) {
				slot_start(r, s, &r->trials[next], work, next, overlays[next]);
				next++;
				i--; /* the new boot may already be done (infra): look again */
				continue;
			}
			busy += s->busy;
		}
		if (!busy)
			break;
		for (int i = 0; i < jobs; i++) {
			struct slot *s = &slots[i];

			if (!s->busy)
				continue;
			lines[nr_lines++] = (struct progress_line){
				s->t->scenario->name, (int)s->t->nr_boots, s->t->scenario->boots,
				detector_in_report(s->boot.det) ? "crashing"
				: s->boot.res->marker_seen ? "up" : "booting",
				(double)(now_ms() - s->boot.t_start_ms) / 1000.0};
		}
		progress_draw(&prog, lines, nr_lines, finished, total,
			      finished ? boot_time / finished * (total - finished) / jobs : -1);
		for (int i = 0; i < jobs; i++) {
			nr_fds[i] = slots[i].busy ? boot_pollfds(&slots[i].boot, fds + n) : 0;
			n += nr_fds[i];
			if (slots[i].busy && boot_deadline(&slots[i].boot) < deadline)
				deadline = boot_deadline(&slots[i].boot);
		}
		wait = deadline == INT64_MAX ? 1000 : deadline - now_ms();
		if (poll(fds, (nfds_t)n, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
			break;
		n = 0;
		for (int i = 0; i < jobs; i++) {
			if (slots[i].busy)
				boot_step(&slots[i].boot, fds + n, nr_fds[i]);
			n += nr_fds[i];
		}
	}
	progress_clear(&prog);
	free(slots);
	free(fds);
	free(nr_fds);
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

	if (!r->complete)
		return EXIT_INFRA;
	for (size_t i = 0; i < r->nr_trials; i++) {
		if (r->trials[i].verdict == VERDICT_INFRA)
			return EXIT_INFRA;
		if (r->trials[i].verdict == VERDICT_FAIL)
			status = EXIT_FAIL;
	}
	return status;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct suite suite = {0};
	struct run_result r = {0};
	struct tap_writer tap = {.out = {stdout}, .nr_out = 1};
	struct bp_error err;
	struct utsname uts;
	char reason[256], work[] = "/tmp/bootproof-XXXXXX", **overlays = NULL;
	char *tap_path = NULL, *tap_tmp = NULL;
	int64_t t0 = now_ms();
	int status = EXIT_INFRA, have_work = 0;
	FILE *tapf = NULL;

	if (parse_opts(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (suite_load(&suite, o.suite, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (check_names(&o, &suite) < 0) {
		suite_free(&suite);
		return EXIT_USAGE;
	}
	install_signals();
	r.suite_path = xstrdup(o.suite);
	r.host = xstrdup(uname(&uts) == 0 ? uts.nodename : "unknown");
	r.trials = xcalloc(suite.nr_scenarios, sizeof(*r.trials));
	for (size_t i = 0; i < suite.nr_scenarios; i++)
		if (selected(&o, &suite.scenarios[i])) {
			struct trial_result *t = &r.trials[r.nr_trials++];

			t->scenario = &suite.scenarios[i];
			t->dir = trial_dir_name(t->scenario->name);
		}
	if (make_run_dir(&r, o.reports, &err) < 0)
		goto out_err;
	if (!mkdtemp(work)) {
		error_set(&err, "cannot create '%s': %s", work, strerror(errno));
		goto out_err;
	}
	have_work = 1;
	tap_path = xasprintf("%s/results.tap", r.dir);
	tap_tmp = xasprintf("%s.tmp", tap_path);
	tapf = fopen(tap_tmp, "w");
	if (tapf)
		tap.out[tap.nr_out++] = tapf;
	r.accel = xstrdup(accel_probe(work, KVM_PROBE_MS, reason, sizeof(reason)));
	r.accel_reason = xstrdup(reason);
	tap_begin(&tap);
	{
		char *msg = xasprintf("run %s: %zu scenarios, accelerator %s (%s)", r.run_id,
				      r.nr_trials, r.accel, reason);

		tap_comment(&tap, msg);
		free(msg);
	}
	save_json(&r);
	point_latest(o.reports, r.run_id);
	overlays = xcalloc(r.nr_trials, sizeof(*overlays));
	for (size_t i = 0; i < r.nr_trials; i++) {
		char *d = xasprintf("%s/%zu", work, i);

		mkdir_p(d, NULL);
		free(d);
	}
	if (prepare_disks(&r, work, overlays, &err) < 0) {
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

		run_trials(&r, work, overlays, r.jobs, &tap);
		r.trials_s = (double)(now_ms() - t_trials) / 1000.0;
	}
	if (bp_interrupted)
		r.incomplete_reason = xasprintf("interrupted by signal %d", (int)bp_interrupted);
	else
		r.complete = 1;
finish:
	tap_end(&tap);
	{
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0)
			r.peak_rss_kib = ru.ru_maxrss;
	}
	r.duration_s = (double)(now_ms() - t0) / 1000.0;
	save_json(&r);
	status = exit_status(&r);
	goto out;
out_err:
	fprintf(stderr, "bootproof: %s\n", err.msg);
out:
	if (tapf) {
		fclose(tapf);
		rename(tap_tmp, tap_path);
	}
	if (have_work && !o.keep)
		remove_tree(work);
	for (size_t i = 0; overlays && i < r.nr_trials; i++)
		free(overlays[i]);
	free(overlays);
	free(tap_path);
	free(tap_tmp);
	run_result_release(&r);
	suite_free(&suite);
	return status;
}
