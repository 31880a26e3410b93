/*
 * ddmin - delta debugging as a state machine (see ddmin.h).
 */
#include "ddmin.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int same_items(const size_t *a, size_t na, const size_t *b, size_t nb)
{
	return na == nb && (!na || !memcmp(a, b, na * sizeof(*a)));
}

static enum ddmin_state memo_find(const struct ddmin *d, const size_t *items, size_t nr)
{
	for (size_t i = 0; i < d->nr_memo; i++)
		if (same_items(d->memo[i].items, d->memo[i].nr, items, nr))
			return d->memo[i].state;
	return DDMIN_OPEN;
}

static void memo_add(struct ddmin *d, const size_t *items, size_t nr, enum ddmin_state st)
{
	struct ddmin_memo *m;

	ALLOC_GROW(d->memo, d->nr_memo + 1, d->alloc_memo);
	m = &d->memo[d->nr_memo++];
	m->items = xcalloc(nr ? nr : 1, sizeof(*items));
	memcpy(m->items, items, nr * sizeof(*items));
	m->nr = nr;
	m->state = st;
}

static void free_cands(struct ddmin *d)
{
	for (size_t i = 0; i < d->nr_cands; i++)
		free(d->cands[i].items);
	free(d->cands);
	d->cands = NULL;
	d->nr_cands = 0;
}

/* Chunk i of n of C: cur[lo, hi). */
static void chunk_bounds(const struct ddmin *d, size_t i, size_t *lo, size_t *hi)
{
	*lo = i * d->nr_cur / d->n;
	*hi = (i + 1) * d->nr_cur / d->n;
}

static void add_cand(struct ddmin *d, size_t *items, size_t nr)
{
	struct ddmin_cand *c = &d->cands[d->nr_cands++];

	*c = (struct ddmin_cand){.items = items, .nr = nr};
	c->state = memo_find(d, items, nr);
}

/* This round's candidates: the n chunks, then (n > 2) their complements. */
static void build_round(struct ddmin *d)
{
	size_t lo, hi;

	free_cands(d);
	d->round++;
	d->cands = xcalloc(2 * d->n, sizeof(*d->cands));
	for (size_t i = 0; i < d->n; i++) {
		size_t *items;

		chunk_bounds(d, i, &lo, &hi);
		items = xcalloc(hi - lo, sizeof(*items));
		memcpy(items, d->cur + lo, (hi - lo) * sizeof(*items));
		add_cand(d, items, hi - lo);
	}
	for (size_t i = 0; d->n > 2 && i < d->n; i++) {
		size_t *items = xcalloc(d->nr_cur, sizeof(*items)), nr = 0;

		chunk_bounds(d, i, &lo, &hi);
		for (size_t j = 0; j < d->nr_cur; j++)
			if (j < lo || j >= hi)
				items[nr++] = d->cur[j];
		add_cand(d, items, nr);
	}
}

/*
 * Move on when this round is decided (repeatedly: a new round's
 * candidates may be decided already from memory).
 */
static void advance(struct ddmin *d)
{
	while (!d->done) {
		size_t crash = d->nr_cands, open = 0;

		for (size_t i = 0; i < d->nr_cands; i++) {
			if (d->cands[i].state == DDMIN_CRASH && crash == d->nr_cands)
				crash = i;
			open += d->cands[i].state == DDMIN_OPEN;
		}
		if (crash < d->nr_cands) {
			struct ddmin_cand *c = &d->cands[crash];

			free(d->cur);
			d->cur = c->items;
			d->nr_cur = c->nr;
			c->items = NULL;
			d->n = crash < d->n ? 2 : (d->n - 1 > 2 ? d->n - 1 : 2);
		} else if (open) {
			return;
		} else if (d->n >= d->nr_cur) {
			d->done = 1;
			break;
		} else {
			d->n = 2 * d->n < d->nr_cur ? 2 * d->n : d->nr_cur;
		}
		if (d->nr_cur < 2) {
			d->done = 1;
			break;
		}
		if (d->n > d->nr_cur)
			d->n = d->nr_cur;
		build_round(d);
	}
	free_cands(d);
}

void ddmin_init(struct ddmin *d, size_t nr_items, int k)
{
	memset(d, 0, sizeof(*d));
	d->k = k < 1 ? 1 : k;
	d->cur = xcalloc(nr_items ? nr_items : 1, sizeof(*d->cur));
	for (size_t i = 0; i < nr_items; i++)
		d->cur[i] = i;
	d->nr_cur = nr_items;
	d->n = 2;
	if (nr_items < 2) {
		d->done = 1;
		return;
	}
	build_round(d);
	advance(d);
}

int ddmin_next(struct ddmin *d, unsigned *ret_round, size_t *ret_cand)
{
	size_t best = d->nr_cands;
	int best_load = 0;

	if (d->done)
		return 0;
	for (size_t i = 0; i < d->nr_cands; i++) {
		const struct ddmin_cand *c = &d->cands[i];
		int load = c->running + c->cleans;

		if (c->state != DDMIN_OPEN || load >= d->k)
			continue;
		if (best == d->nr_cands || load < best_load) {
			best = i;
			best_load = load;
		}
	}
	if (best == d->nr_cands)
		return 0;
	d->cands[best].running++;
	d->trials++;
	*ret_round = d->round;
	*ret_cand = best;
	return 1;
}

void ddmin_report(struct ddmin *d, unsigned round, size_t cand, enum ddmin_answer a)
{
	struct ddmin_cand *c;

	if (d->done || round != d->round || cand >= d->nr_cands)
		return;
	c = &d->cands[cand];
	if (c->running > 0)
		c->running--;
	if (c->state != DDMIN_OPEN)
		return;
	if (a == DDMIN_ANSWER_CRASH)
		c->state = DDMIN_CRASH;
	else if (a == DDMIN_ANSWER_CLEAN && ++c->cleans >= d->k)
		c->state = DDMIN_CLEAN;
	if (c->state == DDMIN_OPEN)
		return;
	d->decided++;
	memo_add(d, c->items, c->nr, c->state);
	advance(d);
}

int ddmin_done(const struct ddmin *d)
{
	return d->done;
}

void ddmin_release(struct ddmin *d)
{
	free_cands(d);
	for (size_t i = 0; i < d->nr_memo; i++)
		free(d->memo[i].items);
	free(d->memo);
	free(d->cur);
	memset(d, 0, sizeof(*d));
}
