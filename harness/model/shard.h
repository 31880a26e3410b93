/*
 * shard - which part of a suite one of N machines runs (`run --shard K/N`).
 *
 * The unit is a trial: one scenario matrix entry ("NAME" or "NAME/SENSOR").
 * The partition depends only on the entries' names, N and, when there is
 * one, each name's median duration from the history; never on the order of
 * the suite file. So every shard, given the same suite and the same
 * history, computes the same partition, and shard_partition_digest() lets
 * a merge check that they did.
 *
 *   - no durations (no history): the entries sorted by the FNV-1a 64 hash
 *     of their name (ties: by name), dealt round-robin to shards 1..N;
 *   - durations: an entry without one gets the median of the known ones;
 *     longest first (ties: name hash, then name), each onto the shard with
 *     the least total so far (ties: the lowest index). Greedy: the busiest
 *     shard ends at most one entry's duration above the idlest.
 *
 * Where K and N come from: "K/N" (1 <= K <= N), or "auto", the batch
 * system's variables (shard_from_env()).
 */
#ifndef BP_SHARD_H
#define BP_SHARD_H

#include <stddef.h>

#include "hash.h"
#include "util.h"

#define SHARD_MAX 100000

struct shard_spec {
	int index; /* 1-based */
	int total;
};

/* "K/N": 0, or -1 with err saying what is wrong. */
int shard_parse(const char *arg, struct shard_spec *ret, struct bp_error *err);

/*
 * --shard auto: the first of these that is set (get is getenv(), or a
 * test's lookup):
 *   BOOTPROOF_SHARD=K/N                     (any system; a GitHub matrix)
 *   CI_NODE_INDEX, CI_NODE_TOTAL            (GitLab `parallel:`, 1-based)
 *   SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN
 *                                           (K = ID - MIN + 1; MIN default 0;
 *                                            a contiguous array, no step)
 *   JOB_COMPLETION_INDEX                    (Kubernetes Indexed Job, 0-based;
 *                                            N is total, --shard-total)
 * total is 0 when not given. *ret_source names the variable used. Returns
 * 0, or -1 with err: none set, or a value that is not a shard.
 */
int shard_from_env(const char *(*get)(const char *name), int total, struct shard_spec *ret,
		   const char **ret_source, struct bp_error *err);

/*
 * The partition of n entries into total shards: ret_shard[i] (1..total) is
 * the shard of names[i]. durations is NULL (no history) or holds each
 * entry's seconds, negative where the history has none.
 */
void shard_partition(const char *const *names, const double *durations, size_t n, int total,
		     int *ret_shard);

/*
 * SHA-256 over the partition: "N\n", then "NAME\tK\n" for every entry
 * sorted by name (bytewise). Equal digests: the same entries in the same
 * shards.
 */
void shard_partition_digest(const char *const *names, const int *shard, size_t n, int total,
			    char out[SHA256_HEX_LEN + 1]);

/* The median of v[0..nr) (sorted in place), -1 when nr is 0. */
double shard_median(double *v, size_t nr);

/* SHA-256 of the suite file's bytes. Returns 0, or -1 with err. */
int shard_suite_digest(const char *path, char out[SHA256_HEX_LEN + 1], struct bp_error *err);

#endif
