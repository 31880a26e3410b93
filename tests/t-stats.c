/*
 * t-stats - the Wilson score interval against published values, its edges
 * (p = 0, p = 1, n = 0), the repro stop rule and range draws.
 */
#include "stats.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>

static int near(double got, double want, const char *name)
{
	char msg[128];
	int ok = tap_ok(fabs(got - want) < 5e-4, name);

	if (!ok) {
		snprintf(msg, sizeof(msg), "got %.6f, want %.6f", got, want);
		tap_diag(msg);
	}
	return ok;
}

static void test_wilson(void)
{
	struct stats_interval ci;

	/* Values from Newcombe (1998), table I, and the usual 5/10 example. */
	stats_wilson(5, 10, STATS_Z95, &ci);
	near(ci.low, 0.2366, "5/10: low 0.2366");
	near(ci.high, 0.7634, "5/10: high 0.7634");
	near(ci.rate, 0.5, "5/10: rate 0.5");
	stats_wilson(81, 263, STATS_Z95, &ci);
	near(ci.low, 0.2553, "81/263 (Newcombe): low 0.2553");
	near(ci.high, 0.3662, "81/263 (Newcombe): high 0.3662");
	stats_wilson(15, 148, STATS_Z95, &ci);
	near(ci.low, 0.0624, "15/148 (Newcombe): low 0.0624");
	near(ci.high, 0.1605, "15/148 (Newcombe): high 0.1605");
	stats_wilson(37, 40, STATS_Z95, &ci);
	near(ci.low, 0.8014, "37/40: low 0.8014 (the README's 80-97 %)");
	near(ci.high, 0.9742, "37/40: high 0.9742");
	near(ci.half, 0.0864, "37/40: half-width 0.0864");

	/* p = 0 and p = 1: one-sided, never empty. */
	stats_wilson(0, 10, STATS_Z95, &ci);
	tap_ok(ci.low == 0, "0/10: low exactly 0");
	near(ci.high, 0.2775, "0/10: high 0.2775");
	stats_wilson(10, 10, STATS_Z95, &ci);
	near(ci.low, 0.7225, "10/10: low 0.7225");
	tap_ok(ci.high == 1, "10/10: high exactly 1");
	stats_wilson(1, 1, STATS_Z95, &ci);
	near(ci.low, 0.2065, "1/1: low 0.2065");
	/* n = 0: nothing known. */
	stats_wilson(0, 0, STATS_Z95, &ci);
	tap_ok(ci.low == 0 && ci.high == 1 && ci.rate == 0, "0/0: the whole [0, 1]");
	near(ci.half, 0.5, "0/0: half-width 0.5");
	stats_wilson(3, 2, STATS_Z95, &ci);
	tap_ok(ci.low == 0 && ci.high == 1, "k > n: the whole [0, 1], not a NaN");
}

static void test_done(void)
{
	unsigned n;

	tap_ok(!stats_done(0, 0, 0.10, 100), "no trial yet: not done");
	/* Every trial reproduces: +-10 points is reached at 16 trials, not 15. */
	tap_ok(!stats_done(15, 15, 0.10, 100), "15/15: half-width 0.102, not done");
	tap_ok(stats_done(16, 16, 0.10, 100), "16/16: half-width 0.097, done");
	tap_ok(stats_done(0, 16, 0.10, 100), "0/16: done (symmetric to 16/16)");
	for (n = 1; n < 200 && !stats_done(n / 2, n, 0.10, 1000); n++)
		;
	tap_is_int(n, 93, "half reproduce: +-10 points at 93 trials");
	tap_ok(stats_done(5, 10, 0.10, 10), "max trials reached: done whatever the interval");
	tap_ok(!stats_done(5, 9, 0.10, 10), "one short of max trials: not done at 5/9");
	tap_ok(stats_done(1, 1, 0.5, 100), "1/1 at +-50 points: done");
}

static void test_draw(void)
{
	int lo = 1 << 30, hi = -1, same = 1, differ = 0, mean_ok;
	long sum = 0;

	for (unsigned i = 0; i < 1000; i++) {
		int v = stats_draw(42, i, 0, 4000);

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		sum += v;
		same &= v == stats_draw(42, i, 0, 4000);
		differ += v != stats_draw(43, i, 0, 4000);
	}
	tap_ok(lo >= 0 && hi <= 4000, "draws stay within 0-4000");
	tap_ok(lo < 200 && hi > 3800, "draws cover the range");
	mean_ok = sum / 1000 > 1800 && sum / 1000 < 2200;
	tap_ok(mean_ok, "draws are about uniform (mean near 2000)");
	tap_ok(same, "the same seed and index give the same value");
	tap_ok(differ > 900, "another seed gives other values");
	tap_is_int(stats_draw(7, 3, 500, 500), 500, "a single value: that value");
	tap_is_int(stats_draw(7, 3, 9, 2), 9, "hi below lo: lo");
}

int main(void)
{
	test_wilson();
	test_done();
	test_draw();
	return tap_done();
}
