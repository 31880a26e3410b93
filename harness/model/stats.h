/*
 * stats - the arithmetic of `bootproof repro`: a reproduction rate's
 * confidence interval, the rule that says when enough trials ran, and the
 * per-trial draw of a value from a range. Pure functions, no state.
 *
 * stats_wilson(): the Wilson score interval of k successes in n trials at
 * STATS_Z95 (95 %): centre (p + z^2/2n) / (1 + z^2/n), half-width
 * z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2), clamped to [0, 1]. Unlike
 * the normal approximation it is never empty at p = 0 or p = 1 (0/20 gives
 * 0-16 %). n = 0 gives [0, 1], half-width 0.5: nothing is known.
 *
 * stats_done(): stop once the interval's half-width is at most half_width
 * (0.10 for "+-10 points") or n reached max_trials.
 *
 * stats_draw(): a value in [lo, hi] from (seed, index) alone, by SplitMix64:
 * the same seed gives every trial the same value again.
 */
#ifndef BP_STATS_H
#define BP_STATS_H

#include <stdint.h>

#define STATS_Z95 1.959963984540054

struct stats_interval {
	double rate; /* k / n; 0 when n is 0 */
	double low, high;
	double half; /* (high - low) / 2 before clamping */
};

void stats_wilson(unsigned k, unsigned n, double z, struct stats_interval *ret);
int stats_done(unsigned k, unsigned n, double half_width, unsigned max_trials);
int stats_draw(uint64_t seed, uint64_t index, int lo, int hi);

#endif
