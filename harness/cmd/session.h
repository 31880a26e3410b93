/*
 * session - one run's frame, for every command that boots trials (`run`,
 * and the commands that decide what to boot next from what the last boots
 * showed: repro, bisect, fuzz, rings):
 *
 *   reports/<run-id>/ and reports/latest, the scratch directory (litter.h:
 *   a killed run's is swept by the next), the accelerator probe, the TAP
 *   stream (stdout and results.tap), results.json after every boot and
 *   every trial, the golden snapshots and shared base disks (disks.h), the
 *   trial queue in one event loop (queue.h) with the progress block, and
 *   at the end the other report formats and the history (cmd-report.h)
 *   and the exit status.
 *
 * Use: session_init() -> session_add() the trials known up front ->
 * session_start() -> session_submit() (also from a done callback, and
 * trials added after the start) -> session_loop() -> session_finish() ->
 * session_release(). Trials live in s->r.trials, at most `capacity` of
 * them, and never move: a pointer to one stays valid until
 * session_release(). Trials added before session_start() get the
 * snapshots and base disks planned for them; later ones get the snapshots
 * an earlier trial of the same image (and content, for a booted state)
 * has, and no base disk (disks.h). A trial added but never submitted is
 * not in the reports unless it is finished (its caller judged it) or
 * skipped (t->skipped: its caller decided not to run it, and says why):
 * session_finish() drops the others, moving the trials after them.
 *
 * SIGINT, SIGTERM and SIGHUP end the session's guests at once
 * (proc_kill_all) and make session_loop() return; session_finish() still
 * writes the reports, with the run incomplete.
 */
#ifndef BP_SESSION_H
#define BP_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "disks.h"
#include "hostpool.h"
#include "progress.h"
#include "queue.h"
#include "report-tap.h"
#include "results.h"

#define SESSION_EXIT_FAIL 1
#define SESSION_EXIT_USAGE 2
#define SESSION_EXIT_INFRA 3

struct session_opts {
	const char *suite_path;
	const char *reports; /* the run goes to REPORTS/<run-id>/ */
	const char *history; /* NULL: history.db beside the run directories */
	const char *cache;   /* snapshot cache; NULL: $BOOTPROOF_CACHE or ~/.cache/bootproof */
	int cold;            /* no snapshots: every trial boots cold */
	const char *backend; /* backend.h: the run's (NULL: qemu); an image's own wins */
	const char *host;    /* the libvirt backend's host URI (NULL: qemu:///system) */
	/*
	 * --host given (hostpool.h; the caller's, outliving the session): the
	 * libvirt trials go to its free slots, at most its capacity at once
	 * (and -j); a trial that was running on a host when it stopped
	 * answering is retried on another one as the pool's retry_infra says.
	 * NULL: every libvirt trial on host.
	 */
	struct hostpool *pool;
	int keep;            /* keep the scratch directory */
	int quiet;           /* no progress block */
	int jobs;            /* 0: one per core, as memory allows */
	int has_seed;        /* seed given; else a random one */
	uint64_t seed;       /* r.seed: the draws of race ranges (scenario.h) */
};

/* A trial of the session is judged: after its TAP lines and results.json. */
typedef void (*session_done_fn)(void *ctx, struct trial_result *t);

struct session_slot {
	session_done_fn done;
	void *ctx;
	int submitted;
	int pool_host; /* 1 + the pool's host its current attempt runs on; 0: none */
};

struct session {
	struct run_result r; /* r.trials: `capacity` entries, r.nr_trials used */
	size_t capacity;
	struct session_opts o;
	struct tap_writer tap;
	/* the rest is the session's own */
	struct session_slot *slots;
	struct disks disks;
	struct loop *loop;
	struct queue *q;
	struct progress prog;
	FILE *tapf;
	char *tap_path, *tap_tmp, *work;
	int have_work, started, incomplete, json_failed, tap_failed, finished_boots;
	double boot_time;
	int64_t t0, t_trials;
};

/* Ready for trials; nothing is created yet. */
void session_init(struct session *s, const struct session_opts *o, size_t capacity);
/*
 * A new trial of sc, its directory "NAME" ('/' -> '-'), or "NAME-LABEL"
 * with a label (the caller keeps directories unique). NULL when the
 * session holds `capacity` trials already. A race knob given as a range
 * gets the trial's own value, stats_draw() of the session's seed and the
 * trial's index (results.json records both).
 */
struct trial_result *session_add(struct session *s, const struct scenario *sc, const char *label);
/*
 * The run directory, scratch, accelerator, TAP header, snapshots and base
 * disks, the queue. 0; or -1 with err: s->started 0 when not even the run
 * directory could be made (print err; session_finish() returns
 * SESSION_EXIT_INFRA), else the failure (an interrupt while snapshots were
 * built) is noted and session_finish() reports the run incomplete.
 * Snapshots that cannot be had are not an error (noted; those boots are
 * cold). Either way session_submit()/session_loop()/session_finish() may
 * follow: without a queue nothing runs.
 */
int session_start(struct session *s, struct bp_error *err);
/*
 * Queue t (one of the session's); done (may be NULL) once it is judged.
 * After a failed start t is only recorded, as a trial that did not run.
 */
void session_submit(struct session *s, struct trial_result *t, session_done_fn done, void *ctx);
/* Run until no trial is queued or running, or the session is interrupted. */
void session_loop(struct session *s);
/* Trials queued or running. */
size_t session_pending(const struct session *s);
/*
 * t (one of the session's, never submitted) will not run, for reason: it
 * is kept in the reports as skipped (t->skipped), with a TAP point
 * `ok N - NAME # SKIP reason` now. No failure for the exit status.
 */
void session_skip(struct session *s, struct trial_result *t, const char *reason);
/* A line into the TAP stream as a comment (untrusted text is fine). */
void session_note(struct session *s, const char *msg);
/* The run cannot complete (the caller's reason): session_finish() reports it incomplete. */
void session_incomplete(struct session *s, const char *reason);
/*
 * The end: the run complete unless interrupted or session_incomplete(), the TAP
 * stream closed, results.json and every other report and the history
 * written. Returns the exit status: 0 every expectation met,
 * SESSION_EXIT_FAIL one failed, SESSION_EXIT_INFRA infrastructure
 * (incomplete, a trial judged infra, a report that could not be written).
 */
int session_finish(struct session *s);
/* Save results.json now (after the caller changed what it records). */
void session_save(struct session *s);
void session_release(struct session *s);

#endif
