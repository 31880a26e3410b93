/*
 * tap.h - a tiny TAP producer for the C unit tests, run by prove.
 *
 * Each test binary calls the checks below and ends with `return tap_done();`,
 * which prints the plan and returns non-zero if any check failed. Checks
 * print the compared values on failure as TAP comments.
 */
#ifndef BP_TAP_H
#define BP_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline int tap_is_int(long long got, long long want, const char *name)
{
	int ok = tap_ok(got == want, name);

	if (!ok)
		printf("#   got: %lld\n#   expected: %lld\n", got, want);
	return ok;
}

static inline int tap_is_str(const char *got, const char *want, const char *name)
{
	int ok = tap_ok(got && want ? strcmp(got, want) == 0 : got == want, name);

	if (!ok)
		printf("#   got: '%s'\n#   expected: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return ok;
}

static inline int tap_like(const char *got, const char *needle, const char *name)
{
	int ok = tap_ok(got && strstr(got, needle), name);

	if (!ok)
		printf("#   got: '%s'\n#   expected to contain: '%s'\n", got ? got : "(null)",
		       needle);
	return ok;
}

static inline void tap_diag(const char *msg)
{
	printf("# %s\n", msg);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
