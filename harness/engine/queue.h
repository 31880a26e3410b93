/*
 * queue - the trial queue: trials are submitted at any time, also while
 * others run, and each submitter is called back when its trial is judged.
 * At most `jobs` trials run at once, in submission order, all in one event
 * loop (loop.h); `run` is one user of it.
 *
 * A trial's disk is asked for when the trial is scheduled, not when it is
 * submitted (env.prepare: its overlay, the snapshots its boots restore,
 * and the base content that its exec injects before its first boot, see
 * exec.h), so a long queue holds no disks it does not use yet.
 * Each trial gets its own scratch directory WORK/<id>, id being the
 * submitter's, created before prepare is asked (the overlay may go there).
 *
 * Callbacks (on_boot, done, prepare) come from the loop, except that a
 * trial whose disk cannot be prepared is judged aborted and done at once,
 * possibly inside queue_submit(). done is called after the trial's exec is
 * released, and may submit more.
 */
#ifndef BP_QUEUE_H
#define BP_QUEUE_H

#include <stddef.h>

#include "exec.h"
#include "loop.h"
#include "results.h"

struct queue;

typedef void (*queue_done_fn)(void *ctx, struct trial_result *t);
/*
 * The trial's disk, now, in work_dir (WORK/<id>, exists): 0 with *ret
 * filled (exec.h; the queue hands it to the exec, which releases its base
 * ops), or -1 with err and ret->base left empty. *ret comes zeroed.
 */
typedef int (*queue_prepare_fn)(void *ctx, struct trial_result *t, size_t id,
				const char *work_dir, struct trial_disk *ret, struct bp_error *err);
/*
 * May the next queued trial start now (a slot is free)? 1 yes, 0 not yet
 * (the queue asks again when a running trial ends: there must be one), -1
 * never: it is judged aborted with err, as a disk that cannot be made.
 */
typedef int (*queue_admit_fn)(void *ctx, struct trial_result *t, struct bp_error *err);

struct queue_env {
	struct loop *loop;
	int jobs;
	const char *accel;
	const char *backend, *host; /* exec.h; a trial's own host (t->host) wins */
	const char *run_dir; /* reports/<run-id> */
	const char *work;    /* scratch root */
	queue_prepare_fn prepare;
	queue_admit_fn admit; /* NULL: every free slot takes the next trial */
	exec_boot_fn on_boot;
	void *ctx; /* for prepare and on_boot */
};

struct queue *queue_new(const struct queue_env *env);
/* Accepts NULL. Running trials are stopped (their results stay as they are). */
void queue_free(struct queue *q);
/* Queue t; done(ctx, t) once it is judged (or could not start: aborted). */
void queue_submit(struct queue *q, struct trial_result *t, size_t id, queue_done_fn done,
		  void *ctx);
/* Trials queued or running. */
size_t queue_pending(const struct queue *q);
/* Slot i's running trial (0 <= i < jobs), or NULL: for progress lines. */
const struct exec *queue_slot(const struct queue *q, int i);
/* Stop scheduling (an interrupted run): queued trials are dropped, done never called for them. */
void queue_drain(struct queue *q);

#endif
