/*
 * stats - Wilson intervals, the stop rule and range draws (see stats.h).
 */
#include "stats.h"

#include <math.h>

void stats_wilson(unsigned k, unsigned n, double z, struct stats_interval *ret)
{
	double p, z2, denom, centre, half;

	if (n == 0 || k > n) {
		*ret = (struct stats_interval){0, 0, 1, 0.5};
		return;
	}
	p = (double)k / n;
	z2 = z * z;
	denom = 1 + z2 / n;
	centre = (p + z2 / (2.0 * n)) / denom;
	half = z / denom * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
	ret->rate = p;
	ret->half = half;
	ret->low = centre - half < 0 ? 0 : centre - half;
	ret->high = centre + half > 1 ? 1 : centre + half;
	/* Exact at the edges, where rounding would leave 0.9999999999. */
	if (k == 0)
		ret->low = 0;
	if (k == n)
		ret->high = 1;
}

int stats_done(unsigned k, unsigned n, double half_width, unsigned max_trials)
{
	struct stats_interval ci;

	if (n >= max_trials)
		return 1;
	if (n == 0)
		return 0;
	stats_wilson(k, n, STATS_Z95, &ci);
	/* A hair of slack: 0.1 must stop at a half-width computed as 0.1000000001. */
	return ci.half <= half_width + 1e-12;
}

int stats_draw(uint64_t seed, uint64_t index, int lo, int hi)
{
	uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;

	if (hi <= lo)
		return lo;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return lo + (int)(z % (uint64_t)(hi - lo + 1));
}
