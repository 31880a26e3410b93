/*
 * t-ddmin - delta debugging (ddmin.h) against synthetic oracles: the
 * result is 1-minimal and crashes, one culprit and interacting pairs are
 * found exactly, a flaky crash is still narrowed with k clean trials, and
 * answers that arrive late or out of order are taken right.
 */
#include <stdlib.h>

#include "ddmin.h"
#include "tap.h"

/* An oracle: the set crashes when it holds every item of one of the combos (bitmasks). */
struct oracle {
	unsigned combos[4];
	int nr_combos;
	double p; /* probability a crashing set shows it in one trial (1: not flaky) */
	unsigned seed;
};

static unsigned mask_of(const size_t *items, size_t nr)
{
	unsigned m = 0;

	for (size_t i = 0; i < nr; i++)
		m |= 1u << items[i];
	return m;
}

static int crashes(const struct oracle *o, unsigned m)
{
	for (int i = 0; i < o->nr_combos; i++)
		if ((m & o->combos[i]) == o->combos[i])
			return 1;
	return 0;
}

static enum ddmin_answer ask(struct oracle *o, const size_t *items, size_t nr)
{
	if (!crashes(o, mask_of(items, nr)))
		return DDMIN_ANSWER_CLEAN;
	return (double)rand_r(&o->seed) / RAND_MAX < o->p ? DDMIN_ANSWER_CRASH : DDMIN_ANSWER_CLEAN;
}

/*
 * Run d to the end: up to `par` trials out at once, answered newest first
 * when lifo (late answers of a finished round included), else oldest first.
 */
static void drive(struct ddmin *d, struct oracle *o, int par, int lifo)
{
	struct {
		unsigned round;
		size_t cand;
		enum ddmin_answer a;
	} out[64];
	int nr = 0;

	while (!ddmin_done(d)) {
		unsigned round;
		size_t cand;

		while (nr < par && ddmin_next(d, &round, &cand)) {
			out[nr].round = round;
			out[nr].cand = cand;
			out[nr].a = ask(o, d->cands[cand].items, d->cands[cand].nr);
			nr++;
		}
		if (!nr)
			break;
		if (lifo) {
			nr--;
			ddmin_report(d, out[nr].round, out[nr].cand, out[nr].a);
		} else {
			ddmin_report(d, out[0].round, out[0].cand, out[0].a);
			memmove(out, out + 1, (size_t)--nr * sizeof(out[0]));
		}
	}
}

static void t_one_culprit(void)
{
	for (size_t culprit = 0; culprit < 6; culprit++) {
		struct oracle o = {.combos = {1u << culprit}, .nr_combos = 1, .p = 1};
		struct ddmin d;

		ddmin_init(&d, 6, 1);
		drive(&d, &o, 2, 0);
		if (!tap_ok(ddmin_done(&d) && d.nr_cur == 1 && d.cur[0] == culprit,
			    "one bad file of 6: narrowed to exactly it"))
			printf("#   culprit %zu, got %zu items\n", culprit, d.nr_cur);
		ddmin_release(&d);
	}
}

static void t_pair(void)
{
	struct oracle o = {.combos = {(1u << 1) | (1u << 6)}, .nr_combos = 1, .p = 1};
	struct ddmin d;

	ddmin_init(&d, 8, 1);
	drive(&d, &o, 4, 0);
	tap_is_int(mask_of(d.cur, d.nr_cur), (1u << 1) | (1u << 6),
		   "two items that crash only together: both kept, nothing else");
	ddmin_release(&d);
}

/* Random monotone oracles: the result crashes and is 1-minimal. */
static void t_one_minimal(void)
{
	unsigned seed = 12345;
	int bad = 0, runs = 300;

	for (int r = 0; r < runs; r++) {
		size_t n = 2 + (size_t)(rand_r(&seed) % 11);
		struct oracle o = {.nr_combos = 1 + rand_r(&seed) % 3, .p = 1};
		struct ddmin d;
		unsigned m;

		for (int i = 0; i < o.nr_combos; i++)
			o.combos[i] = (unsigned)rand_r(&seed) & ((1u << n) - 1);
		if (!crashes(&o, (1u << n) - 1))
			continue;
		ddmin_init(&d, n, 1);
		drive(&d, &o, 1 + r % 5, r % 2);
		m = mask_of(d.cur, d.nr_cur);
		if (!ddmin_done(&d) || !crashes(&o, m))
			bad++;
		for (size_t i = 0; i < d.nr_cur && d.nr_cur > 1; i++)
			if (crashes(&o, m & ~(1u << d.cur[i])))
				bad++;
		ddmin_release(&d);
	}
	tap_is_int(bad, 0, "300 random oracles: every result crashes and is 1-minimal");
}

/* p = 0.5 and k = 7 (a crash missed with p < 1 %): still narrowed to the culprit. */
static void t_flaky(void)
{
	int right = 0, runs = 200;

	for (int r = 0; r < runs; r++) {
		struct oracle o = {.combos = {1u << (r % 6)},
				   .nr_combos = 1,
				   .p = 0.5,
				   .seed = (unsigned)r * 7919u + 1};
		struct ddmin d;

		ddmin_init(&d, 6, 7);
		drive(&d, &o, 2, r % 2);
		right += d.nr_cur == 1 && d.cur[0] == (size_t)(r % 6);
		ddmin_release(&d);
	}
	if (!tap_ok(right >= runs * 95 / 100,
		    "a crash shown half the time: narrowed right in >= 95 % of runs"))
		printf("#   right in %d of %d\n", right, runs);
}

static void t_answers(void)
{
	struct oracle o = {.combos = {1u << 3}, .nr_combos = 1, .p = 1};
	struct ddmin d;
	unsigned round, r2;
	size_t cand, c2;

	ddmin_init(&d, 4, 3);
	tap_ok(ddmin_next(&d, &round, &cand) && ddmin_next(&d, &r2, &c2) && cand != c2,
	       "the first two trials go to two different candidates");
	/* the chunk {2,3} crashes: the round ends; a late answer for it is ignored */
	ddmin_report(&d, round, cand, ask(&o, d.cands[cand].items, d.cands[cand].nr));
	ddmin_report(&d, r2, c2, ask(&o, d.cands[c2].items, d.cands[c2].nr));
	tap_ok(d.round == 2 && d.nr_cur == 2 && d.cur[0] == 2 && d.cur[1] == 3,
	       "the crashing chunk is the next configuration; the other answer is stale");
	ddmin_report(&d, 1, 0, DDMIN_ANSWER_CRASH);
	tap_ok(d.round == 2 && d.nr_cur == 2, "a stale crash answer changes nothing");
	/* {2} needs 3 clean trials; a trial that could not run can be asked again */
	tap_ok(ddmin_next(&d, &round, &cand), "a trial for the new round");
	ddmin_report(&d, round, cand, DDMIN_ANSWER_NONE);
	tap_is_int(d.cands[cand].running + d.cands[cand].cleans, 0, "no answer: nothing counted");
	drive(&d, &o, 2, 0);
	tap_ok(d.nr_cur == 1 && d.cur[0] == 3, "then narrowed to the culprit");
	tap_ok(d.trials <= 3 + 3 + 4, "clean candidates took k trials each, no more");
	ddmin_release(&d);

	ddmin_init(&d, 1, 5);
	tap_ok(ddmin_done(&d) && !ddmin_next(&d, &round, &cand), "one item: nothing to test");
	ddmin_release(&d);
}

/* Configurations decided once are not tested again. */
static void t_memo(void)
{
	struct oracle o = {.combos = {1u << 0, 1u << 7}, .nr_combos = 2, .p = 1};
	struct ddmin d;

	ddmin_init(&d, 8, 1);
	drive(&d, &o, 1, 0);
	tap_ok(d.nr_cur == 1 && (d.cur[0] == 0 || d.cur[0] == 7),
	       "two culprits: one of them alone");
	tap_ok(d.trials == d.decided, "every trial decided a new configuration");
	ddmin_release(&d);
}

int main(void)
{
	t_one_culprit();
	t_pair();
	t_one_minimal();
	t_flaky();
	t_answers();
	t_memo();
	return tap_done();
}
