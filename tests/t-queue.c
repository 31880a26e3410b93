/*
 * t-queue - the trial queue (harness/engine/queue.h) with trials that have
 * no steps, so nothing boots: submission order, at most `jobs` at once,
 * disks asked for as trials are scheduled (not at submission), a trial
 * submitted from a done callback while others run, a refused disk, and a
 * base content injection that fails (its disk does not exist: the
 * libguestfs worker refuses the job before launching an appliance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "queue.h"
#include "tap.h"

#define NR 6

static struct image img = {
    .guest = &guest_profile_linux, .append = "console=ttyS0", .marker = "ready", .memory_mib = 64};
static struct scenario sc = {
    .name = "empty", .image = &img, .boots = 1, .agent_delay_ms = -1, .sensor_delay_ms = -1};
static struct run_result run;
static struct trial_result *trials;
static struct queue *q;
static int prepared, done_order[NR + 1], nr_done, max_running, late_submitted;
static char work[] = "/tmp/bootproof-t-queue.XXXXXX";

static int prepare(void *ctx, struct trial_result *t, size_t id, const char *work_dir,
		   struct trial_disk *ret, struct bp_error *err)
{
	prepared++;
	if (id == 3)
		return error_set(err, "no space left for trial 3");
	ret->overlay = "unused.qcow2";
	if (id == NR) /* the late one: the order of the others stays as it is */
		inject_ops_add(&ret->base, INJECT_UPLOAD, "/dev/null", "/sensor.ko");
	return 0;
}

static void done(void *ctx, struct trial_result *t)
{
	int running = 0;

	for (int i = 0; i < 2; i++)
		running += queue_slot(q, i) != NULL;
	if (running + 1 > max_running)
		max_running = running + 1;
	done_order[nr_done++] = (int)(t - trials);
	if (!late_submitted) {
		/* a run goes on: submit one more from inside */
		late_submitted = 1;
		queue_submit(q, &trials[NR], NR, done, NULL);
	}
}

int main(void)
{
	struct loop *l = loop_new();
	struct queue_env env = {.loop = l, .jobs = 2, .accel = "tcg", .prepare = prepare};
	int64_t end;
	int in_order = 1;

	if (!mkdtemp(work)) {
		perror("mkdtemp");
		return 1;
	}
	env.run_dir = env.work = work;
	q = queue_new(&env);
	run.trials = trials = xcalloc(NR + 1, sizeof(*trials));
	run.nr_trials = NR + 1;
	for (int i = 0; i <= NR; i++) {
		trials[i].scenario = &sc;
		trials[i].dir = xasprintf("t%d", i);
	}
	for (int i = 0; i < NR; i++)
		queue_submit(q, &trials[i], (size_t)i, done, NULL);
	tap_is_int(prepared, 2,
		   "disks are asked for as trials are scheduled: 2 of 6 at submission");
	tap_is_int((int)queue_pending(q), NR, "all 6 pending");
	end = now_ms() + 10000;
	while (queue_pending(q) && now_ms() < end)
		loop_once(l, 1000);
	tap_is_int(nr_done, NR + 1, "every trial's submitter was called back, the late one too");
	tap_is_int(prepared, NR + 1, "every trial's disk was asked for once");
	tap_ok(max_running <= 2, "never more than -j 2 at once");
	for (int i = 0; i < NR; i++)
		in_order &= done_order[i] == i || (i == 3) || done_order[i] == 3;
	tap_ok(in_order, "in submission order (trial 3, refused, ends at once)");
	tap_ok(trials[3].aborted && trials[3].nr_checks == 1 && !trials[3].checks[0].ok,
	       "a trial whose disk was refused is aborted, with the reason as a check");
	tap_like(trials[3].checks[0].diag, "no space left", "the check says why");
	tap_ok(trials[NR].aborted && trials[NR].verdict == VERDICT_INFRA &&
		       trials[NR].nr_checks == 1 && !trials[NR].checks[0].ok && !trials[NR].nr_boots,
	       "a failed base content injection makes the trial infra, before any step");
	tap_like(trials[NR].checks[0].name, "base content injection failed: ",
		 "its check says so");
	tap_like(trials[NR].checks[0].diag, "unused.qcow2", "and why");
	tap_ok(trials[0].finished && !trials[0].nr_checks,
	       "the others were judged, with nothing added for an injection they did not have");
	queue_free(q);
	loop_free(l);
	inject_shutdown();
	remove_tree(work);
	run_result_release(&run);
	return tap_done();
}
