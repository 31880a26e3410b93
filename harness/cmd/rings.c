/*
 * rings - a staged run, ring by ring (see rings.h).
 */
#define _GNU_SOURCE
#include "rings.h"

#include <stdlib.h>
#include <string.h>

#include "trial.h"

static void on_done(void *ctx, struct trial_result *t);

static int in_ring(const struct trial_result *t, size_t ring)
{
	return t->scenario->ring && t->scenario->ring->index == ring;
}

void rings_init(struct rings *g, struct session *s, const struct suite *suite)
{
	memset(g, 0, sizeof(*g));
	g->s = s;
	g->suite = suite;
	s->r.nr_rings = suite->nr_rings;
	s->r.rings = xcalloc(suite->nr_rings ? suite->nr_rings : 1, sizeof(*s->r.rings));
	for (size_t i = 0; i < suite->nr_rings; i++)
		s->r.rings[i].name = xstrdup(suite->rings[i].name);
}

char *rings_failure(const struct trial_result *t)
{
	const char *name = t->scenario->name;

	for (size_t i = 0; i < t->nr_boots; i++) {
		const struct boot_result *b = &t->boots[i];
		const char *title = b->title ? b->title : "no title";

		if (b->ok || b->outcome == OUTCOME_NONE)
			continue;
		switch (b->outcome) {
		case OUTCOME_CRASH:
			return xasprintf("%s crashed: %s", name, title);
		case OUTCOME_HANG:
			return xasprintf("%s hung: %s", name, title);
		case OUTCOME_RECOVERY:
			return xasprintf("%s stopped at the recovery screen: %s", name, title);
		case OUTCOME_INFRA:
			return xasprintf("%s: infrastructure failure: %s", name, title);
		default:
			return xasprintf("%s: boot %d was %s, expected %s", name, b->n,
					 outcome_name(b->outcome), outcome_name(b->expect));
		}
	}
	for (size_t i = 0; i < t->nr_checks; i++)
		if (!t->checks[i].ok)
			return xasprintf("%s: check failed: %s", name, t->checks[i].name);
	return xasprintf("%s: %s", name, verdict_name(t->verdict));
}

/* "ring 0 (canary) failed: WHY" for every trial that will not start now. */
static void skip_rest(struct rings *g)
{
	struct run_result *r = &g->s->r;
	char *reason =
	    xasprintf("ring %zu (%s) failed: %s", g->ring, r->rings[g->ring].name, g->why);

	for (size_t i = 0; i < r->nr_trials; i++) {
		struct trial_result *t = &r->trials[i];

		if (!t->scenario->ring || t->scenario->ring->index < g->ring ||
		    g->s->slots[i].submitted)
			continue;
		session_skip(g->s, t, reason);
	}
	for (size_t i = g->ring + 1; i < r->nr_rings; i++) {
		r->rings[i].state = RING_SKIPPED;
		free(r->rings[i].reason);
		r->rings[i].reason = xstrdup(reason);
	}
	free(reason);
	session_save(g->s);
}

/*
 * Keep the current ring's trials flowing, at most r.jobs at once; once it
 * has none left, the next ring starts.
 */
static void fill(struct rings *g)
{
	struct run_result *r = &g->s->r;
	size_t jobs = r->jobs > 0 ? (size_t)r->jobs : 1;

	while (!g->stopped && !bp_interrupted && g->ring < r->nr_rings) {
		while (g->running < jobs && g->cursor < r->nr_trials) {
			struct trial_result *t = &r->trials[g->cursor++];

			if (!in_ring(t, g->ring))
				continue;
			g->running++;
			g->started++;
			session_submit(g->s, t, on_done, g);
		}
		if (g->running || g->cursor < r->nr_trials)
			return;
		/* None of its trials selected (names on the command line): it did not run. */
		r->rings[g->ring].state = g->started ? RING_PASSED : RING_NOT_RUN;
		if (++g->ring < r->nr_rings) {
			char *msg =
			    xasprintf("ring %zu (%s): %s; ring %zu (%s) starts", g->ring - 1,
				      r->rings[g->ring - 1].name,
				      g->started ? "every trial passed" : "no trial selected",
				      g->ring, r->rings[g->ring].name);

			session_note(g->s, msg);
			free(msg);
			r->rings[g->ring].state = RING_RUNNING;
			g->cursor = 0;
			g->started = 0;
		}
	}
}

static void on_done(void *ctx, struct trial_result *t)
{
	struct rings *g = ctx;
	struct ring_result *rr = &g->s->r.rings[g->ring];

	g->running--;
	if (!g->stopped && t->finished && t->verdict != VERDICT_PASS) {
		char *msg;

		g->stopped = 1;
		g->why = rings_failure(t);
		rr->state = RING_FAILED;
		rr->reason = xstrdup(g->why);
		msg = xasprintf("ring %zu (%s) failed: %s; the run stops here", g->ring, rr->name,
				g->why);
		session_note(g->s, msg);
		free(msg);
		skip_rest(g);
	}
	fill(g);
}

void rings_start(struct rings *g)
{
	struct run_result *r = &g->s->r;

	for (size_t i = 0; i < r->nr_trials; i++)
		if (!r->trials[i].scenario->ring)
			session_submit(g->s, &r->trials[i], NULL, NULL);
	if (!r->nr_rings)
		return;
	r->rings[0].state = RING_RUNNING;
	fill(g);
}

void rings_release(struct rings *g)
{
	free(g->why);
	memset(g, 0, sizeof(*g));
}
