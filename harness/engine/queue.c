/*
 * queue - a FIFO of submitted trials and `jobs` slots (see queue.h).
 */
#define _GNU_SOURCE
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trial.h"

struct queued {
	struct trial_result *t;
	size_t id;
	queue_done_fn done;
	void *ctx;
};

struct slot {
	struct exec exec; /* first: an exec's address is its slot's */
	struct queued job;
	char *work_dir;
	int64_t t0;
	int busy;
	struct queue *q;
};

struct queue {
	struct queue_env env;
	struct slot *slots;
	struct queued *fifo;
	size_t head, nr, alloc;
	size_t running;
};

static void fill(struct queue *q);

static void on_exec_done(void *ctx, struct exec *e)
{
	struct slot *s = (struct slot *)e;
	struct queue *q = s->q;
	struct queued job = s->job;

	exec_release(&s->exec);
	job.t->duration_s = (double)(now_ms() - s->t0) / 1000.0;
	free(s->work_dir);
	s->work_dir = NULL;
	s->busy = 0;
	q->running--;
	if (job.done)
		job.done(job.ctx, job.t);
	fill(q);
}

/*
 * The trial cannot start (its disk, a host): what and why as a failed
 * check, judged aborted without running (infra: never a green run of nothing).
 */
static void refuse(struct queue *q, struct queued *job, const char *what, const char *why)
{
	char *msg = xasprintf("%s: %s", what, why);

	trial_add_check(job->t, msg, 0, why);
	job->t->aborted = 1;
	trial_judge(job->t);
	free(msg);
	if (job->done)
		job->done(job->ctx, job->t);
}

static void slot_start(struct queue *q, struct slot *s, struct queued *job)
{
	struct trial_disk disk = {.base = INJECT_OPS_INIT};
	struct bp_error err;
	struct exec_env env;
	char *dir = xasprintf("%s/%s", q->env.run_dir, job->t->dir);
	/*
	 * An attempt after one lost with its host gets a scratch of its own: the
	 * lost host may run the old attempt's domain on for a while (a restored
	 * one is not autodestroy), and it must not meet the new one's disk.
	 */
	char *work_dir = job->t->nr_attempts
			     ? xasprintf("%s/%zu-%zu", q->env.work, job->id, job->t->nr_attempts)
			     : xasprintf("%s/%zu", q->env.work, job->id);

	if (mkdir_p(dir, &err) < 0)
		fprintf(stderr, "bootproof: %s\n", err.msg);
	free(dir);
	if (mkdir_p(work_dir, &err) < 0 ||
	    (q->env.prepare &&
	     q->env.prepare(q->env.ctx, job->t, job->id, work_dir, &disk, &err) < 0)) {
		inject_ops_release(&disk.base);
		free(work_dir);
		refuse(q, job, "trial disk", err.msg);
		return;
	}
	s->job = *job;
	s->q = q;
	s->work_dir = work_dir;
	s->t0 = now_ms();
	s->busy = 1;
	q->running++;
	env = (struct exec_env){.accel = q->env.accel,
				.backend = q->env.backend,
				.host = job->t->host ? job->t->host : q->env.host,
				.run_dir = q->env.run_dir,
				.work_dir = s->work_dir,
				.loop = q->env.loop,
				.on_boot = q->env.on_boot,
				.on_done = on_exec_done,
				.ctx = q->env.ctx,
				.disk = disk};
	exec_start(&s->exec, &env, job->t);
}

/* Start queued trials in the free slots, in order. */
static void fill(struct queue *q)
{
	for (int i = 0; i < q->env.jobs && q->head < q->nr; i++) {
		struct queued job;
		struct bp_error err;
		int admit = 1;

		if (q->slots[i].busy || bp_interrupted)
			continue;
		if (q->env.admit)
			admit = q->env.admit(q->env.ctx, q->fifo[q->head].t, &err);
		if (!admit)
			break;
		job = q->fifo[q->head++];
		if (admit < 0) {
			refuse(q, &job, "host", err.msg);
			i--; /* the slot is still free for the next one */
			continue;
		}
		slot_start(q, &q->slots[i], &job);
	}
}

struct queue *queue_new(const struct queue_env *env)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->env = *env;
	if (q->env.jobs < 1)
		q->env.jobs = 1;
	q->slots = xcalloc((size_t)q->env.jobs, sizeof(*q->slots));
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	for (int i = 0; i < q->env.jobs; i++)
		if (q->slots[i].busy) {
			exec_release(&q->slots[i].exec);
			free(q->slots[i].work_dir);
		}
	free(q->slots);
	free(q->fifo);
	free(q);
}

void queue_submit(struct queue *q, struct trial_result *t, size_t id, queue_done_fn done, void *ctx)
{
	if (q->nr == q->alloc) {
		q->alloc = q->alloc ? 2 * q->alloc : 16;
		q->fifo = xrealloc(q->fifo, q->alloc * sizeof(*q->fifo));
	}
	q->fifo[q->nr++] = (struct queued){t, id, done, ctx};
	fill(q);
}

size_t queue_pending(const struct queue *q)
{
	return q->running + (q->nr - q->head);
}

const struct exec *queue_slot(const struct queue *q, int i)
{
	return i >= 0 && i < q->env.jobs && q->slots[i].busy ? &q->slots[i].exec : NULL;
}

void queue_drain(struct queue *q)
{
	q->head = q->nr;
}
