/*
 * hostpool - which host runs which trial (see hostpool.h).
 */
#include "hostpool.h"

#include <stdlib.h>
#include <string.h>

void hostpool_init(struct hostpool *p)
{
	memset(p, 0, sizeof(*p));
}

void hostpool_release(struct hostpool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_hosts; i++)
		free(p->hosts[i].uri);
	free(p->hosts);
	memset(p, 0, sizeof(*p));
}

/* A URI as compared for duplicates: trailing '/' do not make another host. */
static size_t uri_len(const char *uri, size_t len)
{
	while (len > 1 && uri[len - 1] == '/')
		len--;
	return len;
}

/* "N" for 1 <= N <= max: N, else -1. */
static int parse_count(const char *s, size_t len, int min, int max)
{
	long v = 0;

	if (!len || len > 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < min || v > max ? -1 : (int)v;
}

/* The options after the URI: ",slots=N" (once). Sets *slots; 0 or -1 with err. */
static int parse_host_opts(const char *arg, const char *opts, int *slots, struct bp_error *err)
{
	int seen = 0;

	while (*opts) {
		const char *end = strchr(opts, ','), *eq;
		size_t len = end ? (size_t)(end - opts) : strlen(opts);

		eq = memchr(opts, '=', len);
		if (!eq || (size_t)(eq - opts) != 5 || strncmp(opts, "slots", 5))
			return error_set(err, "--host '%s': unknown option '%.*s' (only slots=N)", arg,
					 (int)len, opts);
		if (seen++)
			return error_set(err, "--host '%s': slots given twice", arg);
		*slots = parse_count(eq + 1, len - 6, 1, HOSTPOOL_MAX_SLOTS);
		if (*slots < 0)
			return error_set(err, "--host '%s': slots takes a number from 1 to %d, got '%.*s'",
					 arg, HOSTPOOL_MAX_SLOTS, (int)(len - 6), eq + 1);
		opts += len + (end != NULL);
		if (end && !*opts)
			return error_set(err, "--host '%s': empty option after ','", arg);
	}
	return 0;
}

/* Empty or only blanks: no URI at all. */
static int blank(const char *s, size_t len)
{
	return strspn(s, " \t") >= len;
}

int hostpool_same_uri(const char *a, const char *b)
{
	size_t n = uri_len(a, strlen(a));

	return n == uri_len(b, strlen(b)) && !strncmp(a, b, n);
}

int hostpool_add_host(struct hostpool *p, const char *uri, int slots, struct bp_error *err)
{
	if (blank(uri, strlen(uri)))
		return error_set(err, "host '%s': empty URI", uri);
	if (slots < 1 || slots > HOSTPOOL_MAX_SLOTS)
		return error_set(err, "host '%s': slots takes a number from 1 to %d, got %d", uri,
				 HOSTPOOL_MAX_SLOTS, slots);
	for (size_t i = 0; i < p->nr_hosts; i++)
		if (hostpool_same_uri(p->hosts[i].uri, uri))
			return error_set(err, "host '%s' given twice", uri);
	if (p->nr_hosts == p->alloc_hosts) {
		p->alloc_hosts = p->alloc_hosts ? 2 * p->alloc_hosts : 4;
		p->hosts = xrealloc(p->hosts, p->alloc_hosts * sizeof(*p->hosts));
	}
	p->hosts[p->nr_hosts++] = (struct pool_host){.uri = xstrdup(uri), .slots = slots};
	return 0;
}

int hostpool_add(struct hostpool *p, const char *arg, struct bp_error *err)
{
	const char *comma = strchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
	int slots = 1, ret;
	char *uri;

	if (blank(arg, len))
		return error_set(err, "--host '%s': empty URI", arg);
	if (comma && !comma[1])
		return error_set(err, "--host '%s': empty option after ','", arg);
	if (comma && parse_host_opts(arg, comma + 1, &slots, err) < 0)
		return -1;
	uri = xstrndup(arg, len);
	ret = hostpool_add_host(p, uri, slots, err);
	free(uri);
	return ret < 0 ? error_prefix(err, "--host") : 0;
}

int hostpool_set_retry(struct hostpool *p, const char *arg, struct bp_error *err)
{
	int n = parse_count(arg, strlen(arg), 0, HOSTPOOL_MAX_RETRY);

	if (n < 0)
		return error_set(err, "--retry-infra takes a number from 0 to %d, got '%s'",
				 HOSTPOOL_MAX_RETRY, arg);
	p->retry_infra = n;
	return 0;
}

int hostpool_capacity(const struct hostpool *p)
{
	int n = 0;

	for (size_t i = 0; i < p->nr_hosts; i++)
		n += p->hosts[i].lost ? 0 : p->hosts[i].slots;
	return n;
}

/* t was already lost on the host with this URI. */
static int tried_on(const struct trial_result *t, const char *uri)
{
	for (size_t i = 0; t && i < t->nr_attempts; i++)
		if (!strcmp(t->attempts[i].host, uri))
			return 1;
	return 0;
}

/* a is a better choice than b (b may be NULL): less loaded, fewer started, given first. */
static int better(const struct pool_host *a, const struct pool_host *b)
{
	long x, y;

	if (!b)
		return 1;
	x = (long)a->busy * b->slots;
	y = (long)b->busy * a->slots;
	if (x != y)
		return x < y;
	return a->started < b->started;
}

int hostpool_pick(struct hostpool *p, const struct trial_result *t)
{
	int best = -1;

	/* Pass 0: hosts t was not lost on; pass 1: any, when none of those is free. */
	for (int pass = 0; pass < 2 && best < 0; pass++)
		for (size_t i = 0; i < p->nr_hosts; i++) {
			struct pool_host *h = &p->hosts[i];

			if (h->lost || h->busy >= h->slots || (!pass && tried_on(t, h->uri)))
				continue;
			if (better(h, best < 0 ? NULL : &p->hosts[best]))
				best = (int)i;
		}
	if (best >= 0) {
		p->hosts[best].busy++;
		p->hosts[best].started++;
	}
	return best;
}

void hostpool_done(struct hostpool *p, int h)
{
	if (h >= 0 && (size_t)h < p->nr_hosts && p->hosts[h].busy > 0)
		p->hosts[h].busy--;
}

void hostpool_lose(struct hostpool *p, int h)
{
	if (h >= 0 && (size_t)h < p->nr_hosts)
		p->hosts[h].lost = 1;
}

int hostpool_retries(const struct hostpool *p, int h, const struct trial_result *t)
{
	int others = 0;

	if (h < 0 || (size_t)h >= p->nr_hosts)
		return 0;
	for (size_t i = 0; i < p->nr_hosts; i++)
		others += (int)i != h && !p->hosts[i].lost;
	return others && (int)t->nr_attempts < p->retry_infra;
}

int hostpool_trial_lost(struct hostpool *p, int h, struct trial_result *t, const char *why)
{
	int again = hostpool_retries(p, h, t);

	if (h < 0 || (size_t)h >= p->nr_hosts)
		return 0;
	hostpool_done(p, h);
	trial_add_attempt(t, p->hosts[h].uri, why);
	return again;
}
