/*
 * t-shard - the partition of a suite into shards (harness/model/shard.h):
 * for N = 1..8 the shards are disjoint and their union is the suite, the
 * partition and its digest do not change when the suite is reordered, a
 * history balances it (greedy: the busiest shard at most one entry above
 * the idlest, and better than by name alone on a skewed suite), and K/N
 * comes from the command line or each batch system's variables. And what
 * the partition reads from the history: the median duration per scenario of
 * complete whole runs (shard runs left out), a version 1 history migrated,
 * and a shard compared with the same shard's previous run.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"
#include "report-json.h"
#include "shard.h"
#include "tap.h"

#define NR 23

static const char *names[NR];
static char name_buf[NR][32];

/* A test's environment: NAME=VALUE pairs, NULL-terminated. */
static const char *const *env;

static const char *fake_get(const char *name)
{
	for (size_t i = 0; env[i]; i += 2)
		if (!strcmp(env[i], name))
			return env[i + 1];
	return NULL;
}

/* Each entry in exactly one shard of 1..total, and each shard at least n/total (rounded down). */
static int covers(const int *shard, size_t n, int total)
{
	int count[9] = {0};

	for (size_t i = 0; i < n; i++) {
		if (shard[i] < 1 || shard[i] > total)
			return 0;
		count[shard[i]]++;
	}
	for (int k = 1; k <= total; k++)
		if ((size_t)count[k] < n / (size_t)total)
			return 0;
	return 1;
}

static void test_partition(void)
{
	const char *rev[NR];
	int shard[NR], shard_rev[NR], all_cover = 1, all_stable = 1, all_digest = 1;
	char d1[SHA256_HEX_LEN + 1], d2[SHA256_HEX_LEN + 1], d3[SHA256_HEX_LEN + 1];

	for (size_t i = 0; i < NR; i++)
		rev[i] = names[NR - 1 - i];
	for (int total = 1; total <= 8; total++) {
		shard_partition(names, NULL, NR, total, shard);
		shard_partition(rev, NULL, NR, total, shard_rev);
		all_cover &= covers(shard, NR, total);
		for (size_t i = 0; i < NR; i++)
			all_stable &= shard[i] == shard_rev[NR - 1 - i];
		shard_partition_digest(names, shard, NR, total, d1);
		shard_partition_digest(rev, shard_rev, NR, total, d2);
		all_digest &= !strcmp(d1, d2);
	}
	tap_ok(all_cover, "N = 1..8: every entry in exactly one shard, shards balanced by count");
	tap_ok(all_stable, "N = 1..8: the reversed suite gives every entry the same shard");
	tap_ok(all_digest, "N = 1..8: and the same partition digest");

	shard_partition(names, NULL, NR, 3, shard);
	shard_partition_digest(names, shard, NR, 3, d1);
	shard[0] = shard[0] % 3 + 1;
	shard_partition_digest(names, shard, NR, 3, d2);
	tap_ok(strcmp(d1, d2) != 0, "one entry in another shard: another digest");
	shard_partition_digest(names, shard, NR - 1, 3, d3);
	tap_ok(strcmp(d2, d3) != 0, "one entry fewer: another digest");
	shard_partition(names, NULL, NR, 1, shard);
	shard_partition_digest(names, shard, NR, 1, d1);
	shard_partition(names, NULL, NR, 2, shard);
	shard_partition_digest(names, shard, NR, 2, d2);
	tap_ok(strcmp(d1, d2) != 0, "another total: another digest");
}

static int in_range(const int *shard, size_t n, int total)
{
	for (size_t i = 0; i < n; i++)
		if (shard[i] < 1 || shard[i] > total)
			return 0;
	return 1;
}

/* The largest shard total minus the smallest. */
static double spread(const double *dur, const int *shard, size_t n, int total)
{
	double load[9] = {0}, lo = 1e300, hi = 0;

	for (size_t i = 0; i < n; i++)
		load[shard[i]] += dur[i];
	for (int k = 1; k <= total; k++) {
		lo = load[k] < lo ? load[k] : lo;
		hi = load[k] > hi ? load[k] : hi;
	}
	return hi - lo;
}

static void test_balance(void)
{
	double dur[NR], dur_rev[NR], known[NR], max = 0, median;
	size_t nr_known = 0;
	const char *rev[NR];
	int shard[NR], shard_rev[NR], by_name[NR], bounded = 1, better = 1, stable = 1, cover = 1;

	/* A skewed synthetic history: a few long entries, many short, some unknown. */
	for (size_t i = 0; i < NR; i++) {
		dur[i] = i % 7 == 0 ? 120.0 + (double)i : 5.0 + (double)(i % 3);
		if (i % 11 == 5)
			dur[i] = -1; /* no history: the median of the known */
		max = dur[i] > max ? dur[i] : max;
		rev[NR - 1 - i] = names[i];
		dur_rev[NR - 1 - i] = dur[i];
		if (dur[i] >= 0)
			known[nr_known++] = dur[i];
	}
	median = shard_median(known, nr_known);
	for (int total = 1; total <= 8; total++) {
		double filled[NR];

		shard_partition(names, dur, NR, total, shard);
		shard_partition(rev, dur_rev, NR, total, shard_rev);
		shard_partition(names, NULL, NR, total, by_name);
		for (size_t i = 0; i < NR; i++) {
			filled[i] = dur[i] < 0 ? median : dur[i];
			stable &= shard[i] == shard_rev[NR - 1 - i];
		}
		cover &= in_range(shard, NR, total);
		bounded &= spread(filled, shard, NR, total) <= max;
		if (total >= 2 && total <= 4)
			better &=
			    spread(filled, shard, NR, total) < spread(filled, by_name, NR, total);
	}
	tap_ok(cover, "with a history: every entry in one shard");
	tap_ok(bounded,
	       "with a history: the busiest shard at most the longest entry above the idlest");
	tap_ok(better, "with a history: better balanced than by name alone (N = 2..4)");
	tap_ok(stable, "with a history: the reversed suite gives every entry the same shard");

	for (size_t i = 0; i < NR; i++)
		dur[i] = -1;
	shard_partition(names, dur, NR, 3, shard);
	shard_partition(names, NULL, NR, 3, by_name);
	tap_ok(!memcmp(shard, by_name, sizeof(shard)),
	       "a history that knows none of the entries: the same as no history");
	{
		double same[NR];

		for (size_t i = 0; i < NR; i++)
			same[i] = 10;
		shard_partition(names, same, NR, 4, shard);
		tap_ok(covers(shard, NR, 4) && spread(same, shard, NR, 4) <= 10,
		       "equal durations: shards differ by at most one entry");
	}
	tap_ok(shard_median((double[]){3, 1, 2}, 3) == 2 &&
		   shard_median((double[]){4, 1}, 2) == 2.5 && shard_median(NULL, 0) == -1,
	       "median: odd, even, none");
}

static void test_parse(void)
{
	struct shard_spec s = {0};
	struct bp_error err;
	static const char *const bad[] = {"",	  "3",	  "0/3",      "4/3",  "1/0",
					  "-1/3", "1/-3", "a/3",      "1/3x", "1//3",
					  "/3",	  "1/",	  "1/100001", "+1/3", " 1/3"};
	int all_bad = 1;

	tap_ok(shard_parse("2/3", &s, &err) == 0 && s.index == 2 && s.total == 3, "'2/3'");
	tap_ok(shard_parse("1/1", &s, &err) == 0 && s.index == 1 && s.total == 1, "'1/1'");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		all_bad &= shard_parse(bad[i], &s, &err) < 0;
	tap_ok(all_bad, "junk, K > N, N < 1, K < 1, signs and spaces are refused");
	shard_parse("4/3", &s, &err);
	tap_is_str(err.msg, "--shard: shard 4 is not one of 1..3", "K > N says so");
	shard_parse("1/0", &s, &err);
	tap_is_str(err.msg, "--shard: the number of shards must be at least 1", "N < 1 says so");
}

/* shard_from_env() with the pairs given; *s and the source filled. */
static int from_env(const char *const *pairs, int total, struct shard_spec *s, const char **src,
		    struct bp_error *err)
{
	env = pairs;
	*s = (struct shard_spec){0};
	*src = NULL;
	return shard_from_env(fake_get, total, s, src, err);
}

static void test_env(void)
{
	struct shard_spec s;
	struct bp_error err;
	const char *src;

	tap_ok(from_env((const char *[]){NULL}, 0, &s, &src, &err) < 0, "nothing set: refused");
	tap_like(err.msg, "no shard in the environment", "and says so");
	tap_ok(from_env((const char *[]){"BOOTPROOF_SHARD", "2/5", NULL}, 0, &s, &src, &err) == 0 &&
		   s.index == 2 && s.total == 5 && !strcmp(src, "BOOTPROOF_SHARD"),
	       "BOOTPROOF_SHARD=2/5");
	tap_ok(from_env((const char *[]){"BOOTPROOF_SHARD", "6/5", NULL}, 0, &s, &src, &err) < 0,
	       "BOOTPROOF_SHARD=6/5 refused");
	tap_ok(from_env((const char *[]){"CI_NODE_INDEX", "3", "CI_NODE_TOTAL", "3", NULL}, 0, &s,
			&src, &err) == 0 &&
		   s.index == 3 && s.total == 3,
	       "GitLab: CI_NODE_INDEX=3 CI_NODE_TOTAL=3 is 3/3 (1-based)");
	tap_ok(from_env((const char *[]){"CI_NODE_INDEX", "1", NULL}, 0, &s, &src, &err) < 0,
	       "GitLab: CI_NODE_TOTAL missing refused");
	tap_like(err.msg, "CI_NODE_TOTAL is not set", "and named");
	tap_ok(from_env((const char *[]){"CI_NODE_INDEX", "0", "CI_NODE_TOTAL", "3", NULL}, 0, &s,
			&src, &err) < 0,
	       "GitLab: CI_NODE_INDEX=0 refused (1-based)");
	tap_ok(from_env((const char *[]){"SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "4",
					 "SLURM_ARRAY_TASK_MIN", "0", NULL},
			0, &s, &src, &err) == 0 &&
		   s.index == 1 && s.total == 4,
	       "Slurm --array=0-3: task 0 is 1/4");
	tap_ok(from_env((const char *[]){"SLURM_ARRAY_TASK_ID", "7", "SLURM_ARRAY_TASK_COUNT", "3",
					 "SLURM_ARRAY_TASK_MIN", "5", NULL},
			0, &s, &src, &err) == 0 &&
		   s.index == 3 && s.total == 3,
	       "Slurm --array=5-7: task 7 is 3/3");
	tap_ok(from_env((const char *[]){"SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "3",
					 NULL},
			0, &s, &src, &err) == 0 &&
		   s.index == 3 && s.total == 3,
	       "Slurm without SLURM_ARRAY_TASK_MIN: base 0");
	tap_ok(from_env((const char *[]){"SLURM_ARRAY_TASK_ID", "8", "SLURM_ARRAY_TASK_COUNT", "3",
					 "SLURM_ARRAY_TASK_MIN", "0", NULL},
			0, &s, &src, &err) < 0,
	       "Slurm: a task beyond the count (a stepped array) refused");
	tap_ok(from_env((const char *[]){"SLURM_ARRAY_TASK_ID", "1", NULL}, 0, &s, &src, &err) < 0,
	       "Slurm: SLURM_ARRAY_TASK_COUNT missing refused");
	tap_ok(from_env((const char *[]){"JOB_COMPLETION_INDEX", "0", NULL}, 4, &s, &src, &err) ==
		       0 &&
		   s.index == 1 && s.total == 4,
	       "Kubernetes: JOB_COMPLETION_INDEX=0 with --shard-total 4 is 1/4 (0-based)");
	tap_ok(from_env((const char *[]){"JOB_COMPLETION_INDEX", "4", NULL}, 4, &s, &src, &err) < 0,
	       "Kubernetes: JOB_COMPLETION_INDEX=4 of 4 refused");
	tap_ok(from_env((const char *[]){"JOB_COMPLETION_INDEX", "0", NULL}, 0, &s, &src, &err) < 0,
	       "Kubernetes: without --shard-total refused");
	tap_like(err.msg, "--shard-total", "and names --shard-total");
	tap_ok(from_env((const char *[]){"CI_NODE_INDEX", "x", "CI_NODE_TOTAL", "3", NULL}, 0, &s,
			&src, &err) < 0,
	       "a variable that is not a number refused");
	tap_ok(from_env((const char *[]){"JOB_COMPLETION_INDEX", "0", "BOOTPROOF_SHARD", "2/2",
					 "CI_NODE_INDEX", "1", "CI_NODE_TOTAL", "2", NULL},
			5, &s, &src, &err) == 0 &&
		   s.index == 2 && s.total == 2 && !strcmp(src, "BOOTPROOF_SHARD"),
	       "BOOTPROOF_SHARD comes first");
}

/* ---- the history's side ------------------------------------------------- */

static char scratch[] = "/tmp/t-shard.XXXXXX";

/*
 * A minimal results.json: run_id 20260101-0000SS-1, complete or not, a
 * shard "K/N" or NULL, scenarios "NAME=SECONDS,..." (each a pass), and
 * extra top-level fields (text ending in ", ", or "").
 */
static char *doc(int sec, int complete, const char *shard, const char *scen, const char *extra)
{
	struct strbuf sb = STRBUF_INIT, list = STRBUF_INIT;
	char *copy = xstrdup(scen), *save = NULL;
	int k = 0, n = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		*eq = '\0';
		strbuf_addf(&list,
			    "%s{\"name\": \"%s\", \"image\": \"linux\", \"sensor\": \"v1\", "
			    "\"content\": null, \"expect\": \"clean\", \"boots_planned\": 1, "
			    "\"verdict\": \"pass\", \"accelerator\": \"tcg\", \"duration_s\": %s, "
			    "\"dir\": \"%s\", \"boots\": [], \"checks\": [], \"recovery\": null}",
			    list.len ? ", " : "", tok, eq + 1, tok);
	}
	if (shard)
		sscanf(shard, "%d/%d", &k, &n);
	strbuf_addf(
	    &sb,
	    "{\"schema\": \"bootproof-results\", \"schema_version\": 2, "
	    "\"run_id\": \"20260101-0000%02d-1\", \"suite\": \"s.yaml\", "
	    "\"started\": \"2026-01-01T00:00:%02dZ\", \"duration_s\": 1, \"complete\": %s, "
	    "\"incomplete_reason\": null, \"host\": \"h\", \"accelerator\": \"tcg\", "
	    "\"accelerator_reason\": \"r\", \"jobs\": 1, \"trials_s\": 1, \"work_dir\": null, "
	    "\"harness_peak_rss_kib\": 0, %s",
	    sec, sec, complete ? "true" : "false", extra);
	if (shard)
		strbuf_addf(&sb,
			    "\"shard\": {\"index\": %d, \"total\": %d, \"suite_sha256\": "
			    "\"%064d\", \"partition_sha256\": \"%064d\"}, ",
			    k, n, 0, 0);
	strbuf_addf(&sb,
		    "\"summary\": {\"scenarios\": 0, \"pass\": 0, \"fail\": 0, \"infra\": 0}, "
		    "\"scenarios\": [%s]}\n",
		    list.buf);
	strbuf_release(&list);
	free(copy);
	return strbuf_detach(&sb);
}

/* doc() written into its run directory and recorded in db. */
static int record(const char *db, int sec, int complete, const char *shard, const char *scen)
{
	char *dir = xasprintf("%s/run-%02d", scratch, sec),
	     *path = xasprintf("%s/results.json", dir);
	char *text = doc(sec, complete, shard, scen, "");
	struct bp_error err;
	int ret;

	ret = mkdir_p(dir, &err) == 0 && write_file_atomic(path, text, strlen(text), &err) == 0 &&
		      history_record(db, dir, &err) == 0
		  ? 0
		  : -1;
	if (ret < 0)
		tap_diag(err.msg);
	free(text);
	free(dir);
	free(path);
	return ret;
}

/* report_json_parse() of doc(): 0 accepted, -1 refused (err says why). */
static int parses(const char *shard, const char *extra, struct bp_error *err)
{
	char *text = doc(1, 1, shard, "a=1", extra);
	json_t *root;
	int ret = report_json_parse(text, strlen(text), "t.json", &root, err);

	json_decref(root);
	free(text);
	return ret;
}

static void test_schema(void)
{
	static const char merged[] = "\"merged\": {\"total\": 3, \"suite_sha256\": \"%064d\", "
				     "\"partition_sha256\": \"%064d\", \"runs\": [\"r\"], "
				     "\"missing\": [%s]}, ";
	char *ok_merged = xasprintf(merged, 0, 0, "2"),
	     *bad_merged = xasprintf(merged, 0, 0, "\"2\"");
	struct bp_error err;

	tap_ok(parses(NULL, "", &err) == 0, "results.json without a shard: accepted");
	tap_ok(parses("2/3", "", &err) == 0, "with \"shard\": accepted");
	tap_ok(parses("0/3", "", &err) < 0, "shard index 0: refused");
	tap_like(err.msg, "/shard/index", "and the field named");
	tap_ok(parses(NULL, "\"shard\": {\"index\": 1, \"total\": 1}, ", &err) < 0,
	       "a shard without its digests: refused");
	tap_ok(parses(NULL, ok_merged, &err) == 0, "with \"merged\": accepted");
	tap_ok(parses(NULL, bad_merged, &err) < 0, "merged.missing not integers: refused");
	free(ok_merged);
	free(bad_merged);
}

static long long db_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* The previous run history_compare() picks for run_id, as its seconds; -1: none. */
static int previous(const char *db, const char *run_id)
{
	struct history_diff d;
	int sec = -2;

	if (history_compare(db, run_id, NULL, &d, NULL) == 0) {
		sec = d.other_id ? atoi(d.other_id + 13) : -1;
		history_diff_release(&d);
	}
	return sec;
}

static void test_history(void)
{
	static const char *const hnames[] = {"a", "b/v1", "c"};
	char *db = xasprintf("%s/history.db", scratch);
	double dur[3];
	struct bp_error err;
	int n;

	n = history_durations(db, hnames, 3, dur, &err);
	tap_ok(n == 0 && dur[0] == -1 && dur[2] == -1, "no history file: no durations, no error");
	tap_ok(access(db, F_OK) < 0, "and reading made none");
	record(db, 1, 1, NULL, "a=10,b/v1=5");
	record(db, 2, 1, NULL, "a=30");
	record(db, 3, 1, NULL, "a=20");
	record(db, 4, 1, "1/2", "a=1000,c=1000");
	record(db, 5, 0, NULL, "a=500,c=500");
	n = history_durations(db, hnames, 3, dur, &err);
	tap_is_int(n, 2, "two of three names have a duration");
	tap_ok(dur[0] == 20 && dur[1] == 5 && dur[2] == -1,
	       "the median over complete whole runs; a shard's and an incomplete run's left out");
	record(db, 6, 1, "1/2", "a=7");
	record(db, 7, 1, NULL, "a=8");
	record(db, 8, 1, "1/2", "a=9");
	tap_is_int(previous(db, "20260101-000008-1"), 6,
		   "a shard compares with the same shard's run");
	tap_is_int(previous(db, "20260101-000007-1"), 3,
		   "a whole run with a whole run, not a shard");

	/* The same history as version 1 wrote it: no runs.shard. */
	db_int(db, "ALTER TABLE runs DROP COLUMN shard");
	db_int(db, "PRAGMA user_version = 1");
	n = history_durations(db, hnames, 3, dur, &err);
	tap_ok(n == 3 && dur[2] == 1000, "a version 1 history is read as it is (every run whole)");
	tap_is_int(previous(db, "20260101-000007-1"), 6, "and compared as before");
	tap_is_int(db_int(db, "PRAGMA user_version"), 1, "reading leaves it version 1");
	record(db, 9, 1, "2/2", "c=3");
	tap_is_int(db_int(db, "PRAGMA user_version"), 2, "recording migrates it to version 2");
	tap_is_int(db_int(db, "SELECT count(*) FROM runs WHERE shard = '2/2'"), 1,
		   "and records the shard");
	tap_is_int(db_int(db, "SELECT count(*) FROM runs WHERE shard IS NULL"), 8,
		   "the runs it had count as whole ones");
	free(db);
}

int main(void)
{
	for (size_t i = 0; i < NR; i++) {
		snprintf(name_buf[i], sizeof(name_buf[i]), i % 2 ? "scen-%zu/v%zu" : "s%zu", i,
			 i % 3);
		names[i] = name_buf[i];
	}
	test_partition();
	test_balance();
	test_parse();
	test_env();
	if (!mkdtemp(scratch)) {
		printf("Bail out! cannot make '%s'\n", scratch);
		return 1;
	}
	test_history();
	test_schema();
	remove_tree(scratch);
	return tap_done();
}
