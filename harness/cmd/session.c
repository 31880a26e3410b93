/*
 * session - one run's frame (see session.h).
 */
#define _GNU_SOURCE
#include "session.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "backend.h"
#include "cmd-report.h"
#include "golden.h"
#include "hostpool.h"
#include "inject.h"
#include "litter.h"
#include "loop.h"
#include "proc.h"
#include "report-json.h"
#include "scenario.h"
#include "stats.h"
#include "trial.h"
#include "virt-conn.h"

#define KVM_PROBE_MS 3000

void session_init(struct session *s, const struct session_opts *o, size_t capacity)
{
	struct utsname uts;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->capacity = capacity;
	s->r.trials = xcalloc(capacity ? capacity : 1, sizeof(*s->r.trials));
	s->slots = xcalloc(capacity ? capacity : 1, sizeof(*s->slots));
	s->r.suite_path = xstrdup(o->suite_path);
	s->r.host = xstrdup(uname(&uts) == 0 ? uts.nodename : "unknown");
	s->tap = (struct tap_writer){.out = {stdout}, .nr_out = 1};
	s->t0 = now_ms();
	/* JSON numbers are exact up to 2^53: the seed must read back as written. */
	s->r.seed = o->has_seed ? o->seed : random_u64() & ((UINT64_C(1) << 53) - 1);
}

struct trial_result *session_add(struct session *s, const struct scenario *sc, const char *label)
{
	struct trial_result *t;

	if (s->r.nr_trials >= s->capacity)
		return NULL;
	t = &s->r.trials[s->r.nr_trials++];
	t->scenario = sc;
	/* "good-291/v1" -> "good-291-v1": one directory per trial. */
	t->dir = label ? xasprintf("%s-%s", sc->name, label) : xstrdup(sc->name);
	for (char *p = t->dir; *p; p++)
		if (*p == '/')
			*p = '-';
	if (sc->agent_delay_max_ms > sc->agent_delay_ms ||
	    sc->sensor_delay_max_ms > sc->sensor_delay_ms) {
		uint64_t i = (uint64_t)(t - s->r.trials);

		t->race_drawn = 1;
		/* Two streams of one seed: index 2i for the agent, 2i+1 for the sensor. */
		t->agent_delay_ms = sc->agent_delay_ms < 0 ? -1
				    : stats_draw(s->r.seed, 2 * i, sc->agent_delay_ms,
						 sc->agent_delay_max_ms);
		t->sensor_delay_ms = sc->sensor_delay_ms < 0 ? -1
				     : stats_draw(s->r.seed, 2 * i + 1, sc->sensor_delay_ms,
						  sc->sensor_delay_max_ms);
	}
	return t;
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
 * When this save fails (a full disk: the file on disk is an earlier,
 * complete one) the run ends with SESSION_EXIT_INFRA: the host failed.
 */
void session_save(struct session *s)
{
	static char last[sizeof(((struct bp_error *)0)->msg)];
	char *path = xasprintf("%s/results.json", s->r.dir);
	struct bp_error err;

	s->json_failed = report_json_write(&s->r, path, &err) < 0;
	/* Once per distinct error, not once per boot. */
	if (s->json_failed && strcmp(err.msg, last))
		fprintf(stderr, "bootproof: %s\n", err.msg);
	snprintf(last, sizeof(last), "%s", s->json_failed ? err.msg : "");
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

void session_note(struct session *s, const char *msg)
{
	progress_clear(&s->prog);
	tap_comment(&s->tap, msg);
}

void session_skip(struct session *s, struct trial_result *t, const char *reason)
{
	free(t->skipped);
	t->skipped = xstrdup(reason);
	progress_clear(&s->prog);
	tap_skip(&s->tap, t);
}

/* Snapshot news into the TAP stream as comments. */
static void note(void *ctx, const char *msg)
{
	session_note(ctx, msg);
}

/* A boot finished somewhere: into the TAP stream and results.json at once. */
/* t's pool host stopped answering and t will run again elsewhere (pool_trial_ended()). */
static int lost_to_retry(const struct session *s, const struct trial_result *t)
{
	int h = s->slots[t - s->r.trials].pool_host - 1;

	return s->o.pool && h >= 0 && backend_host_lost(s->o.pool->hosts[h].uri) &&
	       hostpool_retries(s->o.pool, h, t);
}

static void on_boot(void *ctx, struct exec *e, const struct boot_result *b)
{
	struct session *s = ctx;

	progress_clear(&s->prog);
	s->finished_boots++;
	s->boot_time += b->duration_s;
	/*
	 * A boot cut by its host's loss, the trial retried: no TAP point (the
	 * retry's boots are the trial's, in results.json too), a comment.
	 */
	if (b->outcome == OUTCOME_INFRA && lost_to_retry(s, e->t)) {
		char *note = xasprintf("%s: boot %d infra, lost with host %s: the trial runs again "
				       "on another host",
				       e->t->scenario->name, b->n, e->t->host);

		session_note(s, note);
		free(note);
	} else {
		tap_boot(&s->tap, e->t, b);
	}
	session_save(s);
}

static void on_trial_done(void *ctx, struct trial_result *t);

static int on_libvirt(const struct session *s, const struct trial_result *t)
{
	return !strcmp(backend_of(t->scenario->image, s->o.backend), "libvirt");
}

/*
 * A pool's trial starts once one of its hosts has a free slot (queue.h
 * admit): that host is its own from now (t->host, the exec's machine's).
 */
static int admit(void *ctx, struct trial_result *t, struct bp_error *err)
{
	struct session *s = ctx;
	int h;

	if (!on_libvirt(s, t))
		return 1;
	h = hostpool_pick(s->o.pool, t);
	if (h >= 0) {
		s->slots[t - s->r.trials].pool_host = h + 1;
		trial_set_host(t, s->o.pool->hosts[h].uri);
		return 1;
	}
	if (hostpool_capacity(s->o.pool) > 0)
		return 0;
	return error_set(err, "no host of the pool is left: each stopped answering");
}

/*
 * t ended on a pool's host: its slot is free, and if the host stopped
 * answering meanwhile it is lost for the run (takes no more trials). A
 * trial it cut short (infra) is retried elsewhere if the pool allows:
 * returns 1 then, t queued again with its attempt recorded.
 */
static int pool_trial_ended(struct session *s, struct trial_result *t)
{
	size_t i = (size_t)(t - s->r.trials);
	int h = s->slots[i].pool_host - 1;
	const char *lost;

	if (h < 0)
		return 0;
	s->slots[i].pool_host = 0;
	lost = backend_host_lost(s->o.pool->hosts[h].uri);
	if (!lost || t->verdict != VERDICT_INFRA) {
		if (lost)
			hostpool_lose(s->o.pool, h);
		hostpool_done(s->o.pool, h);
		return 0;
	}
	hostpool_lose(s->o.pool, h);
	if (!hostpool_trial_lost(s->o.pool, h, t, lost))
		return 0;
	trial_reset(t);
	disks_trial_forget(&s->disks, i);
	queue_submit(s->q, t, i, on_trial_done, s);
	return 1;
}

/* A trial is scheduled: its overlay now, its base content for its exec to inject. */
static int prepare(void *ctx, struct trial_result *t, size_t id, const char *work_dir,
		   struct trial_disk *ret, struct bp_error *err)
{
	struct session *s = ctx;

	/* a pool's trial has its host (admit()); the others run here or on the one host */
	if (!t->host)
		trial_set_host(t, !on_libvirt(s, t) ? HOSTPOOL_LOCAL
				  : s->o.host	     ? s->o.host
						     : VIRT_CONN_DEFAULT_URI);
	return disks_trial(&s->disks, id, t->scenario, work_dir, ret, err);
}

static void on_trial_done(void *ctx, struct trial_result *t)
{
	struct session *s = ctx;
	struct session_slot *slot = &s->slots[t - s->r.trials];

	progress_clear(&s->prog);
	if (s->o.pool && pool_trial_ended(s, t))
		return;
	if (t->finished)
		tap_checks(&s->tap, t);
	session_save(s);
	if (slot->done)
		slot->done(slot->ctx, t);
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

static void announce(struct session *s, const char *reason)
{
	char *msg = xasprintf("run %s: %zu scenarios, accelerator %s (%s)", s->r.run_id,
			      s->r.nr_trials, s->r.accel, reason);

	tap_begin(&s->tap);
	tap_comment(&s->tap, msg);
	free(msg);
}

/* The scratch directory and results.tap beside the TAP on stdout. */
static int open_scratch(struct session *s, struct bp_error *err)
{
	s->work = xasprintf("%s/bootproof-XXXXXX", litter_tmp_dir());
	if (litter_mkdtemp(s->work, s->r.dir, err) < 0)
		return -1;
	s->have_work = 1;
	guestfs_tmpdir(s->work);
	s->tap_path = xasprintf("%s/results.tap", s->r.dir);
	s->tap_tmp = xasprintf("%s.tmp", s->tap_path);
	s->tapf = fopen(s->tap_tmp, "w");
	if (s->tapf)
		s->tap.out[s->tap.nr_out++] = s->tapf;
	return 0;
}

/* Some trial boots on a backend that restores saved states: snapshots are worth building. */
static int session_restores(const struct session *s)
{
	for (size_t i = 0; i < s->r.nr_trials; i++)
		if (backend_restores(backend_of(s->r.trials[i].scenario->image, s->o.backend)))
			return 1;
	return 0;
}

/* The libvirt hosts' golden saves (golden.h): the pool's hosts, or the one host with -j slots. */
static int golden_saves(struct session *s, struct bp_error *err)
{
	size_t n = s->o.pool ? s->o.pool->nr_hosts : 1;
	struct golden_host *h = xcalloc(n, sizeof(*h));
	int rc;

	for (size_t i = 0; i < n; i++)
		h[i] = s->o.pool ? (struct golden_host){s->o.pool->hosts[i].uri,
							s->o.pool->hosts[i].slots}
				 : (struct golden_host){s->o.host, s->r.jobs};
	rc = golden_build(&s->r, s->o.backend, h, n, s->loop, s->work, note, s);
	free(h);
	if (rc < 0)
		error_set(err, "interrupted by signal %d", (int)bp_interrupted);
	return rc;
}

static void open_queue(struct session *s)
{
	struct queue_env env = {.loop = s->loop,
				.jobs = s->r.jobs,
				.accel = s->r.accel,
				.backend = s->o.backend,
				.host = s->o.host,
				.run_dir = s->r.dir,
				.work = s->work,
				.prepare = prepare,
				.admit = s->o.pool ? admit : NULL,
				.on_boot = on_boot,
				.ctx = s};

	s->q = queue_new(&env);
	s->t_trials = now_ms();
}

int session_start(struct session *s, struct bp_error *err)
{
	const struct image *img = s->r.nr_trials ? s->r.trials[0].scenario->image : NULL;
	char reason[256], *cache = NULL;
	int rc;

	proc_stop_on_signals();
	progress_init(&s->prog, 2);
	if (s->o.quiet)
		s->prog.enabled = 0;
	s->loop = loop_new();
	/* What runs killed before us left (their scratch, half-written reports). */
	litter_sweep_all(&report_sweeper);
	if (make_run_dir(&s->r, s->o.reports, err) < 0 || open_scratch(s, err) < 0)
		return -1;
	s->started = 1;
	/* The probe boots the first trial's guest the way its profile says. */
	s->r.accel = xstrdup(accel_probe(s->work, img ? img->guest : NULL,
					 img ? img->kernel : NULL, KVM_PROBE_MS, reason,
					 sizeof(reason)));
	s->r.accel_reason = xstrdup(reason);
	announce(s, reason);
	session_save(s);
	point_latest(s->o.reports, s->r.run_id);
	if (!s->o.cold && session_restores(s))
		cache = cache_dir(s->o.cache);
	rc = disks_snapshots(&s->disks, &s->r, cache, s->work, note, s, err);
	free(cache);
	s->r.jobs = s->o.jobs ? s->o.jobs : default_jobs(&s->r);
	/* a pool runs as many trials at once as it has slots (-j may say fewer) */
	if (s->o.pool && (!s->o.jobs || s->r.jobs > hostpool_capacity(s->o.pool)))
		s->r.jobs = hostpool_capacity(s->o.pool);
	/* hosts that do not see this machine's files get the disks through their pools */
	for (size_t i = 0; s->o.pool && i < s->o.pool->nr_hosts; i++)
		if (hostpool_uploads(s->o.pool->hosts[i].uri, s->o.pool->hosts[i].disks))
			backend_host_uploads(s->o.pool->hosts[i].uri);
	if (s->o.keep)
		s->r.work_dir = xstrdup(s->work);
	if (rc == 0 && !s->o.cold)
		rc = golden_saves(s, err);
	if (rc < 0) {
		char *msg = xasprintf("infrastructure failure: %s", err->msg);

		session_note(s, msg);
		fprintf(stderr, "bootproof: %s\n", msg);
		session_incomplete(s, msg);
		free(msg);
		return -1;
	}
	open_queue(s);
	return 0;
}

void session_submit(struct session *s, struct trial_result *t, session_done_fn done, void *ctx)
{
	size_t i = (size_t)(t - s->r.trials);

	s->slots[i] = (struct session_slot){done, ctx, 1, 0};
	/* No queue (the start failed): the trial is reported as never run. */
	if (s->q)
		queue_submit(s->q, t, i, on_trial_done, s);
}

size_t session_pending(const struct session *s)
{
	return s->q ? queue_pending(s->q) : 0;
}

static void draw_progress(struct session *s, struct progress_line *lines)
{
	int nr_lines = 0, left, total = 0;

	for (size_t i = 0; i < s->r.nr_trials; i++)
		if (s->slots[i].submitted)
			total += s->r.trials[i].scenario->boots;
	for (int i = 0; i < s->r.jobs; i++) {
		const struct exec *e = queue_slot(s->q, i);

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
	left = total - s->finished_boots;
	progress_draw(&s->prog, lines, nr_lines, s->finished_boots, total,
		      s->finished_boots && left > 0
			      ? s->boot_time / s->finished_boots * left / s->r.jobs
			      : -1);
}

/*
 * Every submitted trial through the queue, at most r.jobs at once, all in
 * one event loop: each trial's boots and offline work register there.
 */
void session_loop(struct session *s)
{
	struct progress_line *lines;

	if (!s->q)
		return;
	lines = xcalloc((size_t)s->r.jobs, sizeof(*lines));
	while (queue_pending(s->q)) {
		if (bp_interrupted)
			queue_drain(s->q); /* what runs ends through the loop; nothing new starts */
		draw_progress(s, lines);
		if (loop_once(s->loop, 1000) < 0)
			break;
	}
	progress_clear(&s->prog);
	free(lines);
}

void session_incomplete(struct session *s, const char *reason)
{
	if (s->incomplete)
		return;
	s->incomplete = 1;
	free(s->r.incomplete_reason);
	s->r.incomplete_reason = xstrdup(reason);
}

/* The end of the TAP stream: why the run is incomplete, if it is. */
static void note_end(struct session *s)
{
	struct run_result *r = &s->r;

	if (bp_interrupted) {
		/* The signal is the reason, whatever it made fail (a stopped libguestfs worker). */
		free(r->incomplete_reason);
		r->incomplete_reason = xasprintf("interrupted by signal %d", (int)bp_interrupted);
	}
	if (!r->complete) {
		char *msg = xasprintf("incomplete run: %s",
				      r->incomplete_reason ? r->incomplete_reason : "unknown");

		tap_comment(&s->tap, msg);
		free(msg);
	}
	tap_end(&s->tap);
}

/*
 * Trials never submitted nor judged by their caller are not part of the
 * run, unless their caller skipped them on purpose (a ring failed).
 */
static void drop_unrun(struct session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->r.nr_trials; i++) {
		if (!s->slots[i].submitted && !s->r.trials[i].finished && !s->r.trials[i].skipped) {
			free(s->r.trials[i].dir);
			continue;
		}
		s->r.trials[n] = s->r.trials[i];
		s->slots[n++] = s->slots[i];
	}
	s->r.nr_trials = n;
}

static int exit_status(const struct session *s)
{
	int status = 0;

	if (!s->r.complete || s->json_failed || s->tap_failed)
		return SESSION_EXIT_INFRA;
	for (size_t i = 0; i < s->r.nr_trials; i++) {
		if (s->r.trials[i].verdict == VERDICT_INFRA)
			return SESSION_EXIT_INFRA;
		if (s->r.trials[i].verdict == VERDICT_FAIL)
			status = SESSION_EXIT_FAIL;
	}
	return status;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

int session_finish(struct session *s)
{
	struct bp_error err;

	if (!s->started)
		return SESSION_EXIT_INFRA;
	if (s->q) {
		queue_free(s->q);
		s->q = NULL;
		s->r.trials_s = (double)(now_ms() - s->t_trials) / 1000.0;
	}
	s->r.complete = !bp_interrupted && !s->incomplete;
	drop_unrun(s);
	/* Now, not at exit: an interrupted worker has a short grace to clean up. */
	inject_shutdown();
	note_end(s);
	/* Before report_after_run, which renders results.tap from results.json if there is none. */
	if (s->tapf && tap_file_commit(&s->tap, s->tapf, s->tap_tmp, s->tap_path, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		s->tap_failed = 1;
	}
	s->tapf = NULL;
	s->r.peak_rss_kib = peak_rss_kib();
	s->r.duration_s = (double)(now_ms() - s->t0) / 1000.0;
	session_save(s);
	/* The other formats and the history derive from results.json. */
	if (report_after_run(s->r.dir, s->o.history, &err) < 0)
		fprintf(stderr, "bootproof: warning: %s\n", err.msg);
	return exit_status(s);
}

/* After the reports: only stderr is left to say it on. */
static void warn(void *ctx, const char *msg)
{
	fprintf(stderr, "bootproof: warning: %s\n", msg);
}

void session_release(struct session *s)
{
	inject_shutdown();
	queue_free(s->q);
	/* The libvirt hosts' last teardowns: no domain outlives the run but a lost host's. */
	backend_shutdown(BACKEND_SHUTDOWN_MS, warn, NULL);
	if (s->tapf) {
		fclose(s->tapf);
		unlink(s->tap_tmp);
	}
	if (s->have_work && !s->o.keep)
		remove_tree(s->work);
	if (s->have_work && s->o.keep)
		litter_keep(s->work);
	else if (s->have_work)
		litter_forget(s->work);
	disks_release(&s->disks);
	loop_free(s->loop);
	free(s->work);
	free(s->tap_path);
	free(s->tap_tmp);
	free(s->slots);
	run_result_release(&s->r);
	memset(s, 0, sizeof(*s));
}
