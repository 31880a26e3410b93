/*
 * rings - a staged run (`rings:` in the suite, scenario.h struct ring)
 * through a session (session.h): ring 0's trials first, ring N's only once
 * every trial of rings 0..N-1 passed, the way content should reach the
 * world: a canary first, then wider rings.
 *
 * The first trial of a ring that does not pass (a crash, a missed
 * expectation, an infrastructure failure) stops the run: the ring's trials
 * still running finish and are reported as they end; its trials not yet
 * started and every trial of the later rings are never started, and are
 * recorded skipped (trial_result.skipped: "ring 0 (canary) failed:
 * bad-291-v1 crashed: TITLE", a TAP `# SKIP` point at once). So that "not
 * yet started" is exact, at most r.jobs ring trials are submitted at a
 * time: the queue never holds a ring trial waiting for a slot.
 *
 * Trials the session holds that are in no ring (named on the command line)
 * are submitted at once, alongside ring 0, and never skipped: they are not
 * part of the rollout. The run's ring summary is s->r.rings.
 *
 * Use: rings_init() after the session's trials were added, then
 * rings_start() instead of submitting them (after session_start()), then
 * session_loop(), session_finish(), rings_release(). An interrupted run
 * leaves its ring "running" and the later ones "not_run".
 */
#ifndef BP_RINGS_H
#define BP_RINGS_H

#include <stddef.h>

#include "scenario.h"
#include "session.h"

struct rings {
	struct session *s;
	const struct suite *suite;
	size_t ring;	/* the current ring */
	size_t cursor;	/* its next trial to look at (index into s->r.trials) */
	size_t running; /* its trials submitted and not yet judged */
	size_t started; /* its trials submitted so far */
	int stopped;	/* a ring failed: nothing more starts */
	char *why;	/* that failure, for the skip reasons */
};

void rings_init(struct rings *g, struct session *s, const struct suite *suite);
/* Submit what runs first: the trials in no ring, and ring 0's first ones. */
void rings_start(struct rings *g);
void rings_release(struct rings *g);

/* Why a judged trial did not pass, in words ("NAME crashed: TITLE"; malloc'd). */
char *rings_failure(const struct trial_result *t);

#endif
