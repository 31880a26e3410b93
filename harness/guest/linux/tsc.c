/*
 * tsc - the host's TSC frequency (see tsc.h).
 */
#define _GNU_SOURCE
#include "tsc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "util.h"

/*
 * "N.NNN" followed by suffix (at most 3 decimals, N below 100000) at p, as
 * kHz; 0 if not that.
 */
static unsigned mhz_to_khz(const char *p, const char *end, const char *suffix)
{
	size_t sn = strlen(suffix);
	unsigned long mhz = 0, frac = 0;
	int digits = 0, decimals = 0;

	for (; p < end && *p >= '0' && *p <= '9' && digits < 5; p++, digits++)
		mhz = mhz * 10 + (unsigned long)(*p - '0');
	if (!digits || mhz == 0)
		return 0;
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9' && decimals < 3; p++, decimals++)
			frac = frac * 10 + (unsigned long)(*p - '0');
	for (int i = decimals; i < 3; i++)
		frac *= 10;
	if ((size_t)(end - p) < sn || memcmp(p, suffix, sn))
		return 0;
	return (unsigned)(mhz * 1000 + frac);
}

/* The value after the last prefix in log[0, len) that parses, as kHz; 0 if none. */
static unsigned last_khz(const char *log, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = log, *end = log + len, *hit;
	unsigned khz = 0;

	while ((hit = memmem(p, (size_t)(end - p), prefix, n))) {
		unsigned v = mhz_to_khz(hit + n, end, " MHz");

		if (v)
			khz = v;
		p = hit + n;
	}
	return khz;
}

unsigned tsc_khz_from_log(const char *log, size_t len)
{
	unsigned khz = last_khz(log, len, "tsc: Refined TSC clocksource calibration: ");

	return khz ? khz : last_khz(log, len, "tsc: Detected ");
}

/* Non-zero if the line at p (up to its newline) has word, between blanks or its ends. */
static int has_word(const char *p, const char *word)
{
	size_t n = strlen(word), len = strcspn(p, "\n");
	const char *end = p + len;

	for (const char *q = p; (q = memmem(q, (size_t)(end - q), word, n)); q += n)
		if ((q == p || q[-1] == ' ') && (q + n == end || q[n] == ' '))
			return 1;
	return 0;
}

/* The value of the first "key<blanks>: " line of text, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *q = p + n;

		if (strncmp(p, key, n) || (*q != ' ' && *q != '\t' && *q != ':'))
			continue;
		q += strspn(q, " \t");
		if (*q == ':')
			return q + 1 + strspn(q + 1, " ");
	}
	return NULL;
}

unsigned tsc_khz_from_cpuinfo(const char *text)
{
	const char *mhz = field(text, "cpu MHz"), *flags = field(text, "flags");

	if (!mhz || !flags || !has_word(flags, "constant_tsc") || has_word(flags, "aperfmperf"))
		return 0;
	return mhz_to_khz(mhz, mhz + strcspn(mhz, "\n"), "");
}

/* The kernel log, if this process may read it (dmesg_restrict); NULL if not. */
static char *kernel_log(size_t *len)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n;
	char *buf;

	if (size <= 0)
		return NULL;
	buf = xmalloc((size_t)size);
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

unsigned tsc_host_khz(void)
{
	static int looked;
	static unsigned khz;
	struct strbuf cpuinfo = STRBUF_INIT;
	size_t len = 0;
	char *log;

	if (looked)
		return khz;
	looked = 1;
	log = kernel_log(&len);
	if (log)
		khz = tsc_khz_from_log(log, len);
	free(log);
	if (!khz && read_file("/proc/cpuinfo", &cpuinfo, NULL) == 0)
		khz = tsc_khz_from_cpuinfo(cpuinfo.buf);
	strbuf_release(&cpuinfo);
	return khz;
}
