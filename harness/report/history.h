/*
 * history - every run's scenarios, boots and crash signatures in one SQLite
 * database (reports/history.db by default), so a run can be compared with
 * the one before it and a signature counted across boots, scenarios and runs.
 *
 * Tables (PRAGMA user_version = HISTORY_DB_VERSION):
 *   runs(run_id, suite, started, duration_s, host, accelerator, complete,
 *        incomplete_reason, scenarios, pass, fail, infra, dir, recorded_at,
 *        shard)                                       shard "K/N", NULL: the whole suite
 *   scenarios(run_id, name, image, sensor, content, image_sha256,
 *        sensor_sha256, content_sha256, expect, verdict, boots_planned,
 *        duration_s)                                      verdict NULL: unfinished
 *   signatures(id, title UNIQUE)                           one per normalized title
 *   boots(run_id, scenario, n, outcome, title, duration_s, log, screenshot,
 *        signature_id)                                     signature only for crashes
 *
 * A scenario's key (scenarios.name, boots.scenario) is its name, or
 * NAME#K for the K-th of several trials of one scenario in a run (repro).
 *
 * A signature is report_signature() of a crash title; the same title on any
 * boot of any scenario of any run is the same row. Recording a run is one
 * transaction: a run_id already present is replaced whole (re-rendering or
 * re-recording is idempotent), a run with "complete": false is recorded
 * with complete = 0. Writers wait up to HISTORY_BUSY_MS for each other.
 * A version 1 database (no runs.shard) is migrated the first time it is
 * opened for writing; read as it is, its runs count as whole runs.
 *
 * history_suites() reads the whole history per suite for the trend page
 * (report-trend.h); it needs no table or column beyond version 1's.
 *
 * Every function opens the database, does its work and closes it again; none
 * prints. Strings handed back are owned by the caller (see *_release).
 */
#ifndef BP_HISTORY_H
#define BP_HISTORY_H

#include <stddef.h>

#include "util.h"

#define HISTORY_DB_VERSION 2
#define HISTORY_BUSY_MS 10000
#define HISTORY_DEFAULT_DB "reports/history.db"

/*
 * Record RUN_DIR/results.json in db_path (created, with its directory, if
 * missing). Returns 0, or -1 with err and the database unchanged.
 */
int history_record(const char *db_path, const char *run_dir, struct bp_error *err);

struct history_sig {
	char *title;
	char *where; /* "SCENARIO boot 1, 2; SCENARIO2 boot 1" in the run it was seen in */
};

struct history_flaky {
	char *scenario;
	char *verdict; /* in this run */
	char *was;     /* in the other run */
};

/*
 * A comparison of run_id with other_id: signatures seen in this run and not
 * in the other (new), seen in the other and not in this one (fixed), and
 * flaky scenarios: in both runs with the same image, sensor and content (by
 * name, and by sha256 where both runs recorded one), with a verdict that
 * went from pass to fail or back (infra verdicts say nothing about the
 * product and are left out). Lists are sorted by title / scenario name.
 */
struct history_diff {
	char *run_id;
	char *other_id; /* NULL: there was no earlier run to compare with */
	char *suite;
	struct history_sig *new_sigs;
	size_t nr_new;
	struct history_sig *fixed;
	size_t nr_fixed;
	struct history_flaky *flaky;
	size_t nr_flaky;
};

/*
 * Compare run_id (already recorded) with other_id, or with NULL: the latest
 * complete run of the same suite and the same shard (a whole run: a whole
 * one, sharded and merged or not) that started before it (ties broken by
 * run_id); if there is none, ret->other_id is NULL and the lists are empty.
 * Returns 0, or -1 with err (unknown run, unreadable database).
 */
int history_compare(const char *db_path, const char *run_id, const char *other_id,
		    struct history_diff *ret, struct bp_error *err);
void history_diff_release(struct history_diff *d);

struct history_run {
	char *run_id;
	char *started;
	char *suite;
	long scenarios, pass, fail, infra;
	long signatures; /* distinct crash signatures in the run */
	int complete;
	char *incomplete_reason;
};

/*
 * The directory run_id was recorded from (absolute). Returns 1 and sets
 * *ret (caller frees), 0 when the run or its directory is not recorded, or
 * -1 with err when the history cannot be read.
 */
int history_run_dir(const char *db_path, const char *run_id, char **ret, struct bp_error *err);

/*
 * What `run --shard` balances by: ret[i] is the median duration_s of
 * names[i] over the finished scenarios of complete runs that were not
 * shards (merged runs count), or -1 where there is none. Runs that are
 * shards are left out so that a shard finishing early, recording into a
 * history other shards have yet to read, changes nobody's partition.
 * Returns how many names have one (0 when db_path does not exist), or -1
 * with err.
 */
int history_durations(const char *db_path, const char *const *names, size_t n, double *ret,
		      struct bp_error *err);

/* Every recorded run, newest first. Returns the count, or -1 with err. */
int history_runs(const char *db_path, struct history_run **ret, struct bp_error *err);
void history_runs_free(struct history_run *runs, size_t nr);

/* A crash signature over a suite's whole history. */
struct history_span {
	char *title;
	char *first_run, *first_started; /* the earliest run it was seen in */
	char *last_run, *last_started;   /* the latest */
	long runs;                       /* runs it was seen in */
	long boots;                      /* boots it crashed, in all of them */
};

/*
 * A flaky scenario over a suite's whole history: with the same image, sensor
 * and content (names, and the SHA-256 digests the runs recorded: a run that
 * recorded none counts as other inputs than one that did), it passed in at
 * least one run and failed in at least one other. Infra verdicts (the host,
 * not the product) and unfinished scenarios are left out.
 */
struct history_flake {
	char *scenario, *image, *sensor, *content; /* content NULL: none */
	long pass, fail;
	long changes;      /* verdict changes from one run to the next, oldest first */
	char *verdicts;    /* one letter a run, oldest first: 'p' pass, 'f' fail */
	char *last_run, *last_started;
};

/* One suite's history: runs oldest first; signatures latest seen first. */
struct history_suite {
	char *suite;
	struct history_run *runs;
	size_t nr_runs;
	struct history_span *sigs;
	size_t nr_sigs;
	struct history_flake *flaky;
	size_t nr_flaky;
};

/*
 * Every suite of the history (by name), for the trend page. An empty
 * history (no tables yet) has no suites. Returns the count, or -1 with err
 * (a missing or unreadable history).
 */
int history_suites(const char *db_path, struct history_suite **ret, struct bp_error *err);
void history_suites_free(struct history_suite *suites, size_t nr);

#endif
