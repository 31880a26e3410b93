/*
 * shard - a suite's partition into N shards and where K/N comes from (see
 * shard.h).
 */
#include "shard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A decimal number 0..SHARD_MAX, the whole string. */
static int number(const char *s, long *ret)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*ret = strtol(s, &end, 10);
	return *end || errno || *ret > SHARD_MAX ? -1 : 0;
}

static int spec_check(long k, long n, struct shard_spec *ret, const char *what,
		      struct bp_error *err)
{
	if (n < 1)
		return error_set(err, "%s: the number of shards must be at least 1", what);
	if (k < 1 || k > n)
		return error_set(err, "%s: shard %ld is not one of 1..%ld", what, k, n);
	ret->index = (int)k;
	ret->total = (int)n;
	return 0;
}

int shard_parse(const char *arg, struct shard_spec *ret, struct bp_error *err)
{
	const char *slash = strchr(arg, '/');
	char *k_text;
	long k, n;
	int bad;

	if (!slash)
		return error_set(err, "--shard takes K/N (or auto), got '%s'", arg);
	k_text = xstrndup(arg, (size_t)(slash - arg));
	bad = number(k_text, &k) < 0 || number(slash + 1, &n) < 0;
	free(k_text);
	if (bad)
		return error_set(err, "--shard takes K/N (or auto), got '%s'", arg);
	return spec_check(k, n, ret, "--shard", err);
}

/* VAR's value as a number; err names VAR. */
static int env_number(const char *(*get)(const char *), const char *var, long *ret,
		      struct bp_error *err)
{
	const char *v = get(var);

	if (!v)
		return error_set(err, "--shard auto: %s is not set", var);
	if (number(v, ret) < 0)
		return error_set(err, "--shard auto: %s is not a number from 0 to %d", var,
				 SHARD_MAX);
	return 0;
}

int shard_from_env(const char *(*get)(const char *name), int total, struct shard_spec *ret,
		   const char **ret_source, struct bp_error *err)
{
	long k, n, min = 0;

	if (get("BOOTPROOF_SHARD")) {
		*ret_source = "BOOTPROOF_SHARD";
		if (shard_parse(get("BOOTPROOF_SHARD"), ret, err) < 0)
			return error_prefix(err, "BOOTPROOF_SHARD");
		return 0;
	}
	if (get("CI_NODE_INDEX")) {
		*ret_source = "CI_NODE_INDEX";
		if (env_number(get, "CI_NODE_INDEX", &k, err) < 0 ||
		    env_number(get, "CI_NODE_TOTAL", &n, err) < 0)
			return -1;
		return spec_check(k, n, ret, "--shard auto: CI_NODE_INDEX/CI_NODE_TOTAL", err);
	}
	if (get("SLURM_ARRAY_TASK_ID")) {
		*ret_source = "SLURM_ARRAY_TASK_ID";
		if (env_number(get, "SLURM_ARRAY_TASK_ID", &k, err) < 0 ||
		    env_number(get, "SLURM_ARRAY_TASK_COUNT", &n, err) < 0 ||
		    (get("SLURM_ARRAY_TASK_MIN") &&
		     env_number(get, "SLURM_ARRAY_TASK_MIN", &min, err) < 0))
			return -1;
		return spec_check(k - min + 1, n, ret,
				  "--shard auto: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1",
				  err);
	}
	if (get("JOB_COMPLETION_INDEX")) {
		*ret_source = "JOB_COMPLETION_INDEX";
		if (env_number(get, "JOB_COMPLETION_INDEX", &k, err) < 0)
			return -1;
		if (total < 1)
			return error_set(err, "--shard auto: JOB_COMPLETION_INDEX is set: give the "
					      "number of shards with --shard-total N");
		return spec_check(k + 1, total, ret, "--shard auto: JOB_COMPLETION_INDEX + 1", err);
	}
	return error_set(err, "--shard auto: no shard in the environment: set BOOTPROOF_SHARD=K/N, "
			      "or run under GitLab parallel (CI_NODE_INDEX), a Slurm array "
			      "(SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job "
			      "(JOB_COMPLETION_INDEX)");
}

struct entry {
	const char *name;
	uint64_t hash;
	double duration;
	size_t pos; /* in the caller's arrays */
};

static int by_hash(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int by_duration(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->duration != y->duration)
		return x->duration > y->duration ? -1 : 1;
	return by_hash(a, b);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double shard_median(double *v, size_t nr)
{
	if (!nr)
		return -1;
	qsort(v, nr, sizeof(*v), by_double);
	return nr % 2 ? v[nr / 2] : (v[nr / 2 - 1] + v[nr / 2]) / 2;
}

/* The median of the known (>= 0) durations; -1 when none is known. */
static double known_median(const double *durations, size_t n)
{
	double *known = xcalloc(n ? n : 1, sizeof(*known)), m;
	size_t nr = 0;

	for (size_t i = 0; i < n; i++)
		if (durations[i] >= 0)
			known[nr++] = durations[i];
	m = shard_median(known, nr);
	free(known);
	return m;
}

void shard_partition(const char *const *names, const double *durations, size_t n, int total,
		     int *ret_shard)
{
	struct entry *e = xcalloc(n ? n : 1, sizeof(*e));
	double *load = xcalloc((size_t)total, sizeof(*load));
	double median = durations ? known_median(durations, n) : -1;

	for (size_t i = 0; i < n; i++) {
		e[i] = (struct entry){
		    names[i], fnv1a64_update(FNV1A64_INIT, names[i], strlen(names[i])), median, i};
		if (durations && median >= 0 && durations[i] >= 0)
			e[i].duration = durations[i];
	}
	if (median < 0) {
		qsort(e, n, sizeof(*e), by_hash);
		for (size_t i = 0; i < n; i++)
			ret_shard[e[i].pos] = (int)(i % (size_t)total) + 1;
		goto out;
	}
	qsort(e, n, sizeof(*e), by_duration);
	for (size_t i = 0; i < n; i++) {
		int best = 0;

		for (int s = 1; s < total; s++)
			if (load[s] < load[best])
				best = s;
		load[best] += e[i].duration;
		ret_shard[e[i].pos] = best + 1;
	}
out:
	free(load);
	free(e);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

void shard_partition_digest(const char *const *names, const int *shard, size_t n, int total,
			    char out[SHA256_HEX_LEN + 1])
{
	struct entry *e = xcalloc(n ? n : 1, sizeof(*e));
	struct strbuf sb = STRBUF_INIT;
	unsigned char d[32];
	struct sha256 c;

	for (size_t i = 0; i < n; i++)
		e[i] = (struct entry){.name = names[i], .pos = i};
	qsort(e, n, sizeof(*e), by_name);
	strbuf_addf(&sb, "%d\n", total);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s\t%d\n", e[i].name, shard[e[i].pos]);
	sha256_init(&c);
	sha256_update(&c, sb.buf, sb.len);
	sha256_final(&c, d);
	sha256_hex(d, out);
	strbuf_release(&sb);
	free(e);
}

int shard_suite_digest(const char *path, char out[SHA256_HEX_LEN + 1], struct bp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char d[32];
	struct sha256 c;

	if (read_file(path, &sb, err) < 0) {
		strbuf_release(&sb);
		return -1;
	}
	sha256_init(&c);
	sha256_update(&c, sb.buf, sb.len);
	sha256_final(&c, d);
	sha256_hex(d, out);
	strbuf_release(&sb);
	return 0;
}
