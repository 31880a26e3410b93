/*
 * hostpool - which host runs which trial (see hostpool.h).
 */
#include "hostpool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

int hostpool_parse_disks(const char *s, size_t len, enum host_disks *ret)
{
	if (len == 6 && !strncmp(s, "shared", 6))
		*ret = HOST_DISKS_SHARED;
	else if (len == 6 && !strncmp(s, "upload", 6))
		*ret = HOST_DISKS_UPLOAD;
	else
		return -1;
	return 0;
}

/*
 * The options after the URI's ',' (opts), as hostpool_add() says: sets
 * *slots and *disks for those given; 0 or -1 with err.
 */
static int parse_host_opts(const char *arg, const char *opts, int *slots, enum host_disks *disks,
			   struct bp_error *err)
{
	enum { OPT_SLOTS, OPT_DISKS, OPT_N };
	static const char *const names[OPT_N] = {[OPT_SLOTS] = "slots", [OPT_DISKS] = "disks"};
	int seen[OPT_N] = {0};
	const char *end;

	for (const char *o = opts;; o = end + 1) {
		const char *eq, *v;
		size_t k = 0, vlen;

		end = o + strcspn(o, ",");
		if (end == o)
			return error_set(err, "--host '%s': empty option after ','", arg);
		eq = memchr(o, '=', (size_t)(end - o));
		while (k < OPT_N && !(eq && (size_t)(eq - o) == strlen(names[k]) &&
				      !strncmp(o, names[k], strlen(names[k]))))
			k++;
		if (k == OPT_N)
			return error_set(err,
					 "--host '%s': unknown option '%.*s' (known: slots=N, "
					 "disks=shared|upload)",
					 arg, (int)(end - o), o);
		if (seen[k]++)
			return error_set(err, "--host '%s': %s given twice", arg, names[k]);
		v = eq + 1;
		vlen = (size_t)(end - v);
		if (k == OPT_SLOTS && (*slots = parse_count(v, vlen, 1, HOSTPOOL_MAX_SLOTS)) < 0)
			return error_set(
			    err, "--host '%s': slots takes a number from 1 to %d, got '%.*s'", arg,
			    HOSTPOOL_MAX_SLOTS, (int)vlen, v);
		if (k == OPT_DISKS && hostpool_parse_disks(v, vlen, disks) < 0)
			return error_set(err,
					 "--host '%s': disks takes shared or upload, got '%.*s'",
					 arg, (int)vlen, v);
		if (!*end)
			return 0;
	}
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

int hostpool_add_host(struct hostpool *p, const char *uri, int slots, enum host_disks disks,
		      struct bp_error *err)
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
	p->hosts[p->nr_hosts++] =
	    (struct pool_host){.uri = xstrdup(uri), .slots = slots, .disks = disks};
	return 0;
}

int hostpool_add(struct hostpool *p, const char *arg, struct bp_error *err)
{
	const char *comma = strchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
	enum host_disks disks = HOST_DISKS_AUTO;
	int slots = 1, ret;
	char *uri;

	if (blank(arg, len))
		return error_set(err, "--host '%s': empty URI", arg);
	if (comma && parse_host_opts(arg, comma + 1, &slots, &disks, err) < 0)
		return -1;
	uri = xstrndup(arg, len);
	ret = hostpool_add_host(p, uri, slots, disks, err);
	free(uri);
	return ret < 0 ? error_prefix(err, "--host") : 0;
}

/* The host part of a URI, s[0..len): this machine, as hostpool_uploads() says. */
static int local_host(const char *s, size_t len)
{
	char h[INET6_ADDRSTRLEN + 2];
	struct in_addr v4;
	struct in6_addr v6;

	if (!len)
		return 1;
	if (len >= sizeof(h))
		return 0;
	memcpy(h, s, len);
	h[len] = 0;
	if (!strcasecmp(h, "localhost"))
		return 1;
	if (inet_pton(AF_INET, h, &v4) == 1)
		return ntohl(v4.s_addr) >> 24 == 127;
	if (h[0] != '[' || h[len - 1] != ']')
		return 0;
	h[len - 1] = 0;
	return inet_pton(AF_INET6, h + 1, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

int hostpool_uploads(const char *uri, enum host_disks disks)
{
	static const char scheme[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";
	const char *sep = strstr(uri, "://"), *plus, *auth, *end, *host, *port;
	size_t n;

	if (disks != HOST_DISKS_AUTO)
		return disks == HOST_DISKS_UPLOAD;
	/* driver[+transport]: letters first, then RFC 3986 scheme characters. */
	if (!sep || sep == uri || strspn(uri, scheme) != (size_t)(sep - uri) ||
	    strspn(uri, "0123456789+-.") > 0)
		return 1;
	plus = memchr(uri, '+', (size_t)(sep - uri));
	if (plus && sep - plus == 5 && !strncasecmp(plus + 1, "unix", 4))
		return 0;
	/* [user@][host][:port], up to the path or query. */
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	host = auth;
	for (const char *c = auth; c < end; c++)
		if (*c == '@')
			host = c + 1;
	if (*host == '[') {
		port = memchr(host, ']', (size_t)(end - host));
		if (!port)
			return 1;
		port++;
	} else {
		port = memchr(host, ':', (size_t)(end - host));
		port = port ? port : end;
	}
	n = (size_t)(end - port);
	if (n && (*port != ':' || n < 2 || n > 6 || strspn(port + 1, "0123456789") != n - 1))
		return 1;
	return !local_host(host, (size_t)(port - host));
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
