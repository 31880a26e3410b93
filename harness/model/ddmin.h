/*
 * ddmin - Zeller's delta debugging (ddmin) as a pure state machine, for a
 * test that is slow, runs in parallel and may be flaky.
 *
 * The universe is the items 0..N-1; the whole of it "crashes" (the caller
 * measured that). Each round splits the current configuration C (a crashing
 * subset, sorted) into n chunks and asks about those chunks (subsets) and,
 * when n > 2, their complements in C. A candidate is decided CRASH on the
 * first trial that crashed and CLEAN after k clean trials: a flaky crash
 * that shows with probability p is then missed with probability (1-p)^k.
 * The round ends at the first candidate decided CRASH (C becomes it: n = 2
 * for a chunk, max(n-1, 2) for a complement) or when every candidate is
 * CLEAN (n doubles, up to |C|; at n = |C| the search is over). C is then
 * 1-minimal as far as the test tells: removing any one item makes it clean.
 * Configurations decided once are remembered and not tested again.
 *
 * Use: ddmin_init() -> repeat { ddmin_next() while it gives a trial to
 * start; ddmin_report() each trial's answer } until ddmin_done() ->
 * ddmin_release(). Answers are matched to their round: one for a round
 * that has ended is ignored (its trial was only a hedge). No I/O, no time.
 */
#ifndef BP_DDMIN_H
#define BP_DDMIN_H

#include <stddef.h>

enum ddmin_state {
	DDMIN_OPEN,  /* undecided */
	DDMIN_CRASH, /* a trial showed the crash */
	DDMIN_CLEAN, /* k trials were clean */
};

/* A trial's answer for ddmin_report(). */
enum ddmin_answer {
	DDMIN_ANSWER_NONE = -1, /* no answer (the trial failed to run): it can be asked again */
	DDMIN_ANSWER_CLEAN = 0,
	DDMIN_ANSWER_CRASH = 1,
};

struct ddmin_cand {
	size_t *items; /* sorted item numbers */
	size_t nr;
	int running; /* trials started and not answered */
	int cleans;
	enum ddmin_state state;
};

struct ddmin_memo {
	size_t *items;
	size_t nr;
	enum ddmin_state state;
};

struct ddmin {
	size_t *cur; /* C: sorted */
	size_t nr_cur;
	size_t n; /* the granularity of this round */
	int k;	  /* clean trials that decide CLEAN, >= 1 */
	struct ddmin_cand *cands;
	size_t nr_cands;
	unsigned round; /* 1-based number of the current round */
	int done;
	size_t trials;	/* trials handed out by ddmin_next() */
	size_t decided; /* candidates decided by trials (not from memory) */
	struct ddmin_memo *memo;
	size_t nr_memo, alloc_memo;
};

/* Start on items 0..nr_items-1 (all of them crash), k clean trials to call a candidate clean. */
void ddmin_init(struct ddmin *d, size_t nr_items, int k);
/*
 * The next trial to start: 1 with *ret_round and *ret_cand set (the
 * candidate's items: d->cands[*ret_cand]), or 0 when none is wanted now
 * (wait for answers; or ddmin_done()). Trials go to the undecided
 * candidate with the fewest trials out or answered clean, so each
 * candidate gets one before any gets a second.
 */
int ddmin_next(struct ddmin *d, unsigned *ret_round, size_t *ret_cand);
/* The answer of a trial ddmin_next() gave; may end the round and start the next. */
void ddmin_report(struct ddmin *d, unsigned round, size_t cand, enum ddmin_answer a);
/* The search is over: d->cur is the result. */
int ddmin_done(const struct ddmin *d);
void ddmin_release(struct ddmin *d);

#endif
