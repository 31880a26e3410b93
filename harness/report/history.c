/*
 * history - the run history in SQLite (see history.h).
 */
#define _GNU_SOURCE
#include "history.h"

#include <libgen.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report-html.h"
#include "shard.h"

static const char schema_sql[] =
	"CREATE TABLE runs ("
	"  run_id TEXT PRIMARY KEY,"
	"  suite TEXT NOT NULL,"
	"  started TEXT NOT NULL,"
	"  duration_s REAL,"
	"  host TEXT,"
	"  accelerator TEXT,"
	"  complete INTEGER NOT NULL,"
	"  incomplete_reason TEXT,"
	"  scenarios INTEGER NOT NULL,"
	"  pass INTEGER NOT NULL,"
	"  fail INTEGER NOT NULL,"
	"  infra INTEGER NOT NULL,"
	"  dir TEXT,"
	"  recorded_at TEXT NOT NULL,"
	"  shard TEXT);"
	"CREATE INDEX runs_suite ON runs(suite, started);"
	"CREATE TABLE scenarios ("
	"  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  image TEXT, sensor TEXT, content TEXT,"
	"  image_sha256 TEXT, sensor_sha256 TEXT, content_sha256 TEXT,"
	"  expect TEXT,"
	"  verdict TEXT,"
	"  boots_planned INTEGER,"
	"  duration_s REAL,"
	"  PRIMARY KEY (run_id, name));"
	"CREATE TABLE signatures ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL UNIQUE);"
	"CREATE TABLE boots ("
	"  run_id TEXT NOT NULL,"
	"  scenario TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  outcome TEXT,"
	"  title TEXT,"
	"  duration_s REAL,"
	"  log TEXT,"
	"  screenshot TEXT,"
	"  signature_id INTEGER REFERENCES signatures(id),"
	"  PRIMARY KEY (run_id, scenario, n),"
	"  FOREIGN KEY (run_id, scenario) REFERENCES scenarios(run_id, name) ON DELETE CASCADE);"
	"CREATE INDEX boots_signature ON boots(signature_id);"
	"PRAGMA user_version = 2;";

/* Version 1 to 2: which shard of its suite a run was ("K/N"; NULL: the whole). */
static const char migrate_sql[] = "ALTER TABLE runs ADD COLUMN shard TEXT;"
				  "PRAGMA user_version = 2;";

static int db_error(sqlite3 *db, struct bp_error *err, const char *what, const char *path)
{
	return error_set(err, "cannot %s '%s': %s", what, path,
			 db ? sqlite3_errmsg(db) : "out of memory");
}

static int exec(sqlite3 *db, const char *sql, const char *path, struct bp_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error_set(err, "history '%s': %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Open the history; for writing it is created (with its directory) and its
 * tables made if new. *ret_empty is set when a read-only open found no tables.
 */
static int db_open(const char *path, int write, sqlite3 **ret, int *ret_empty,
		   struct bp_error *err)
{
	sqlite3 *db = NULL;
	int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	int v;

	*ret = NULL;
	if (ret_empty)
		*ret_empty = 0;
	if (write) {
		char *copy = xstrdup(path), *dir = dirname(copy);
		int r = mkdir_p(dir, err);

		free(copy);
		if (r < 0)
			return -1;
	}
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		db_error(db, err, "open history", path);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, HISTORY_BUSY_MS);
	if (exec(db, "PRAGMA foreign_keys = ON", path, err) < 0)
		goto fail;
	v = user_version(db);
	if (v < 0) {
		db_error(db, err, "read history", path);
		goto fail;
	}
	if (v > HISTORY_DB_VERSION) {
		error_set(err, "history '%s' has version %d; this bootproof reads version %d", path,
			  v, HISTORY_DB_VERSION);
		goto fail;
	}
	if (v == 0) {
		if (!write) {
			if (ret_empty)
				*ret_empty = 1;
		} else if (exec(db, "BEGIN IMMEDIATE", path, err) < 0) {
			goto fail;
		} else if (user_version(db) == 0 && exec(db, schema_sql, path, err) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		} else if (exec(db, "COMMIT", path, err) < 0) {
			goto fail;
		}
	} else if (v < HISTORY_DB_VERSION && write) {
		if (exec(db, "BEGIN IMMEDIATE", path, err) < 0)
			goto fail;
		if (user_version(db) == 1 && exec(db, migrate_sql, path, err) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
		if (exec(db, "COMMIT", path, err) < 0)
			goto fail;
	}
	*ret = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? xstrdup((const char *)s) : NULL;
}

/* Run a prepared insert/delete to completion and reset it for reuse. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static const char *verdict_of(const json_t *sc)
{
	const char *v = rj_str(sc, "verdict");

	return v && (!strcmp(v, "pass") || !strcmp(v, "fail") || !strcmp(v, "infra")) ? v : NULL;
}

enum { ST_DEL, ST_RUN, ST_SCEN, ST_SIG_ADD, ST_SIG_ID, ST_BOOT, ST_SIG_GC, NR_ST };

static const char *const record_sql[NR_ST] = {
	[ST_DEL] = "DELETE FROM runs WHERE run_id = ?1",
	[ST_RUN] = "INSERT INTO runs (run_id, suite, started, duration_s, host, accelerator,"
		   " complete, incomplete_reason, scenarios, pass, fail, infra, dir, recorded_at,"
		   " shard) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_SCEN] = "INSERT INTO scenarios (run_id, name, image, sensor, content, image_sha256,"
		    " sensor_sha256, content_sha256, expect, verdict, boots_planned, duration_s)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_SIG_ADD] = "INSERT OR IGNORE INTO signatures (title) VALUES (?1)",
	[ST_SIG_ID] = "SELECT id FROM signatures WHERE title = ?1",
	[ST_BOOT] = "INSERT INTO boots (run_id, scenario, n, outcome, title, duration_s, log,"
		    " screenshot, signature_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_SIG_GC] = "DELETE FROM signatures WHERE id NOT IN"
		      " (SELECT signature_id FROM boots WHERE signature_id IS NOT NULL)",
};

/*
 * Scenario i's key in the history: its name, or "NAME#K" (its K-th trial,
 * 1-based) when the run has several trials of it (`repro`). Caller frees.
 */
static char *history_name(const json_t *scenarios, size_t i)
{
	const char *name = rj_str(json_array_get(scenarios, i), "name");
	size_t k = 0, n = 0;

	name = name ? name : "";
	for (size_t j = 0; j < json_array_size(scenarios); j++) {
		const char *other = rj_str(json_array_get(scenarios, j), "name");

		if (other && !strcmp(other, name)) {
			n++;
			k += j <= i;
		}
	}
	return n > 1 ? xasprintf("%s#%zu", name, k) : xstrdup(name);
}

static int record_boot(sqlite3_stmt **st, const char *run_id, const char *name, const json_t *b)
{
	const char *outcome = rj_str(b, "outcome");
	sqlite3_int64 sig_id = 0;

	if (outcome && !strcmp(outcome, "crash")) {
		char *sig = report_signature(rj_str(b, "title"));
		int rc;

		bind_text(st[ST_SIG_ADD], 1, sig);
		rc = step_done(st[ST_SIG_ADD]);
		bind_text(st[ST_SIG_ID], 1, sig);
		free(sig);
		if (rc < 0 || sqlite3_step(st[ST_SIG_ID]) != SQLITE_ROW) {
			sqlite3_reset(st[ST_SIG_ID]);
			return -1;
		}
		sig_id = sqlite3_column_int64(st[ST_SIG_ID], 0);
		sqlite3_reset(st[ST_SIG_ID]);
	}
	bind_text(st[ST_BOOT], 1, run_id);
	bind_text(st[ST_BOOT], 2, name);
	sqlite3_bind_int64(st[ST_BOOT], 3, rj_int(b, "n"));
	bind_text(st[ST_BOOT], 4, outcome);
	bind_text(st[ST_BOOT], 5, rj_str(b, "title"));
	sqlite3_bind_double(st[ST_BOOT], 6, rj_num(b, "duration_s"));
	bind_text(st[ST_BOOT], 7, rj_str(b, "log"));
	bind_text(st[ST_BOOT], 8, rj_str(b, "screenshot"));
	if (sig_id)
		sqlite3_bind_int64(st[ST_BOOT], 9, sig_id);
	return step_done(st[ST_BOOT]);
}

static int record_run(sqlite3_stmt **st, const json_t *root, const char *run_dir)
{
	const json_t *scenarios = json_object_get(root, "scenarios"), *sc, *b;
	const json_t *shard = json_object_get(root, "shard");
	const char *run_id = rj_str(root, "run_id");
	long counts[3] = {0};
	char now[32], *dir = realpath(run_dir, NULL);
	time_t t = time(NULL);
	size_t i, j;
	int rc;

	json_array_foreach(scenarios, i, sc) {
		const char *v = verdict_of(sc);

		if (v)
			counts[!strcmp(v, "pass") ? 0 : !strcmp(v, "fail") ? 1 : 2]++;
	}
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	bind_text(st[ST_DEL], 1, run_id);
	if (step_done(st[ST_DEL]) < 0) {
		free(dir);
		return -1;
	}
	bind_text(st[ST_RUN], 1, run_id);
	bind_text(st[ST_RUN], 2, rj_str(root, "suite") ? rj_str(root, "suite") : "");
	bind_text(st[ST_RUN], 3, rj_str(root, "started") ? rj_str(root, "started") : "");
	sqlite3_bind_double(st[ST_RUN], 4, rj_num(root, "duration_s"));
	bind_text(st[ST_RUN], 5, rj_str(root, "host"));
	bind_text(st[ST_RUN], 6, rj_str(root, "accelerator"));
	sqlite3_bind_int(st[ST_RUN], 7, rj_true(root, "complete"));
	bind_text(st[ST_RUN], 8, rj_str(root, "incomplete_reason"));
	sqlite3_bind_int64(st[ST_RUN], 9, (sqlite3_int64)json_array_size(scenarios));
	for (int k = 0; k < 3; k++)
		sqlite3_bind_int64(st[ST_RUN], 10 + k, counts[k]);
	bind_text(st[ST_RUN], 13, dir ? dir : run_dir);
	bind_text(st[ST_RUN], 14, now);
	if (shard) {
		char *k_n = xasprintf("%lld/%lld", (long long)rj_int(shard, "index"),
				      (long long)rj_int(shard, "total"));

		bind_text(st[ST_RUN], 15, k_n);
		free(k_n);
	}
	free(dir);
	if (step_done(st[ST_RUN]) < 0)
		return -1;
	json_array_foreach(scenarios, i, sc) {
		static const char *const cols[] = {"image",	    "sensor",	     "content",
						   "image_sha256",  "sensor_sha256", "content_sha256",
						   "expect"};
		char *name = history_name(scenarios, i);

		bind_text(st[ST_SCEN], 1, run_id);
		bind_text(st[ST_SCEN], 2, name);
		for (int k = 0; k < (int)ARRAY_SIZE(cols); k++)
			bind_text(st[ST_SCEN], 3 + k, rj_str(sc, cols[k]));
		bind_text(st[ST_SCEN], 10, verdict_of(sc));
		sqlite3_bind_int64(st[ST_SCEN], 11, rj_int(sc, "boots_planned"));
		sqlite3_bind_double(st[ST_SCEN], 12, rj_num(sc, "duration_s"));
		rc = step_done(st[ST_SCEN]);
		json_array_foreach(json_object_get(sc, "boots"), j, b)
			if (rc == 0)
				rc = record_boot(st, run_id, name, b);
		free(name);
		if (rc < 0)
			return -1;
	}
	rc = sqlite3_step(st[ST_SIG_GC]);
	sqlite3_reset(st[ST_SIG_GC]);
	return rc == SQLITE_DONE ? 0 : -1;
}

int history_record(const char *db_path, const char *run_dir, struct bp_error *err)
{
	sqlite3_stmt *st[NR_ST] = {0};
	sqlite3 *db = NULL;
	json_t *root = NULL;
	int ret = -1, in_tx = 0;

	if (report_load(run_dir, &root, err) < 0)
		return -1;
	if (db_open(db_path, 1, &db, NULL, err) < 0)
		goto out;
	for (int i = 0; i < NR_ST; i++)
		if (sqlite3_prepare_v2(db, record_sql[i], -1, &st[i], NULL) != SQLITE_OK) {
			db_error(db, err, "prepare history", db_path);
			goto out;
		}
	if (exec(db, "BEGIN IMMEDIATE", db_path, err) < 0)
		goto out;
	in_tx = 1;
	if (record_run(st, root, run_dir) < 0) {
		error_set(err, "cannot record run '%s' in '%s': %s", rj_str(root, "run_id"),
			  db_path, sqlite3_errmsg(db));
		goto out;
	}
	if (exec(db, "COMMIT", db_path, err) < 0)
		goto out;
	in_tx = 0;
	ret = 0;
out:
	if (in_tx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < NR_ST; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	json_decref(root);
	return ret;
}

/* ---- comparing ---------------------------------------------------------- */

/* The run's signatures, sorted by title, each with where it happened. */
static int load_sigs(sqlite3 *db, const char *run_id, struct history_sig **ret, size_t *nr)
{
	static const char sql[] =
		"SELECT s.title, b.scenario, b.n FROM boots b JOIN signatures s"
		" ON s.id = b.signature_id WHERE b.run_id = ?1 ORDER BY s.title, b.scenario, b.n";
	struct history_sig *sigs = NULL;
	size_t n = 0, alloc = 0;
	struct strbuf where = STRBUF_INIT;
	char *last_scenario = NULL;
	sqlite3_stmt *st;
	int rc;

	*ret = NULL;
	*nr = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *title = (const char *)sqlite3_column_text(st, 0);
		const char *scenario = (const char *)sqlite3_column_text(st, 1);

		if (!n || strcmp(sigs[n - 1].title, title)) {
			if (n)
				sigs[n - 1].where = strbuf_detach(&where);
			ALLOC_GROW(sigs, n + 1, alloc);
			sigs[n++] = (struct history_sig){xstrdup(title), NULL};
			free(last_scenario);
			last_scenario = NULL;
		}
		if (!last_scenario || strcmp(last_scenario, scenario)) {
			strbuf_addf(&where, "%s%s boot %d", where.len ? "; " : "", scenario,
				    sqlite3_column_int(st, 2));
			free(last_scenario);
			last_scenario = xstrdup(scenario);
		} else {
			strbuf_addf(&where, ", %d", sqlite3_column_int(st, 2));
		}
	}
	if (n)
		sigs[n - 1].where = strbuf_detach(&where);
	strbuf_release(&where);
	free(last_scenario);
	sqlite3_finalize(st);
	*ret = sigs;
	*nr = n;
	return rc == SQLITE_DONE ? 0 : -1;
}

static void sigs_free(struct history_sig *sigs, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(sigs[i].title);
		free(sigs[i].where);
	}
	free(sigs);
}

/* title is in sigs; entries sig_minus() already took (title NULL) are skipped. */
static int sig_in(const struct history_sig *sigs, size_t nr, const char *title)
{
	for (size_t i = 0; i < nr; i++)
		if (sigs[i].title && !strcmp(sigs[i].title, title))
			return 1;
	return 0;
}

/* Move the signatures of a that are not in b to *ret (a's entries are taken). */
static void sig_minus(struct history_sig *a, size_t nr_a, const struct history_sig *b,
		      size_t nr_b, struct history_sig **ret, size_t *nr)
{
	size_t alloc = 0;

	for (size_t i = 0; i < nr_a; i++) {
		if (sig_in(b, nr_b, a[i].title))
			continue;
		ALLOC_GROW(*ret, *nr + 1, alloc);
		(*ret)[(*nr)++] = a[i];
		a[i] = (struct history_sig){NULL, NULL};
	}
}

static int run_info(sqlite3 *db, const char *run_id, char **ret_suite, char **ret_started)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT suite, started FROM runs WHERE run_id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	bind_text(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		if (ret_suite)
			*ret_suite = column_dup(st, 0);
		if (ret_started)
			*ret_started = column_dup(st, 1);
	}
	sqlite3_finalize(st);
	return found;
}

/* A shard's previous run is the same shard's; a whole run's, a whole one's (merged or not). */
static char *previous_run(sqlite3 *db, const char *run_id, const char *suite, const char *started)
{
	static const char sql[] =
		"SELECT run_id FROM runs WHERE suite = ?1 AND run_id <> ?2 AND complete = 1"
		" AND (started < ?3 OR (started = ?3 AND run_id < ?2))"
		" AND shard IS (SELECT shard FROM runs WHERE run_id = ?2)"
		" ORDER BY started DESC, run_id DESC LIMIT 1";
	static const char sql_v1[] =
		"SELECT run_id FROM runs WHERE suite = ?1 AND run_id <> ?2 AND complete = 1"
		" AND (started < ?3 OR (started = ?3 AND run_id < ?2))"
		" ORDER BY started DESC, run_id DESC LIMIT 1";
	sqlite3_stmt *st;
	char *id = NULL;

	if (sqlite3_prepare_v2(db, user_version(db) >= 2 ? sql : sql_v1, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	bind_text(st, 1, suite);
	bind_text(st, 2, run_id);
	bind_text(st, 3, started);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = column_dup(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int load_flaky(sqlite3 *db, struct history_diff *d)
{
	static const char sql[] =
		"SELECT a.name, a.verdict, b.verdict FROM scenarios a JOIN scenarios b"
		" ON a.name = b.name"
		" WHERE a.run_id = ?1 AND b.run_id = ?2"
		" AND a.image IS b.image AND a.sensor IS b.sensor AND a.content IS b.content"
		" AND (a.image_sha256 IS NULL OR b.image_sha256 IS NULL"
		"      OR a.image_sha256 = b.image_sha256)"
		" AND (a.sensor_sha256 IS NULL OR b.sensor_sha256 IS NULL"
		"      OR a.sensor_sha256 = b.sensor_sha256)"
		" AND (a.content_sha256 IS NULL OR b.content_sha256 IS NULL"
		"      OR a.content_sha256 = b.content_sha256)"
		" AND a.verdict IN ('pass', 'fail') AND b.verdict IN ('pass', 'fail')"
		" AND a.verdict <> b.verdict ORDER BY a.name";
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_text(st, 1, d->run_id);
	bind_text(st, 2, d->other_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(d->flaky, d->nr_flaky + 1, alloc);
		d->flaky[d->nr_flaky++] = (struct history_flaky){column_dup(st, 0),
								 column_dup(st, 1),
								 column_dup(st, 2)};
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int history_compare(const char *db_path, const char *run_id, const char *other_id,
		    struct history_diff *ret, struct bp_error *err)
{
	struct history_sig *mine = NULL, *theirs = NULL;
	size_t nr_mine = 0, nr_theirs = 0;
	char *started = NULL;
	sqlite3 *db;
	int empty, found, ret_code = -1;

	memset(ret, 0, sizeof(*ret));
	if (db_open(db_path, 0, &db, &empty, err) < 0)
		return -1;
	ret->run_id = xstrdup(run_id);
	found = empty ? 0 : run_info(db, run_id, &ret->suite, &started);
	if (found <= 0) {
		if (found < 0)
			db_error(db, err, "read history", db_path);
		else
			error_set(err, "run '%s' is not in the history '%s'", run_id, db_path);
		goto out;
	}
	if (other_id) {
		found = run_info(db, other_id, NULL, NULL);
		if (found <= 0) {
			if (found < 0)
				db_error(db, err, "read history", db_path);
			else
				error_set(err, "run '%s' is not in the history '%s'", other_id,
					  db_path);
			goto out;
		}
		ret->other_id = xstrdup(other_id);
	} else {
		ret->other_id = previous_run(db, run_id, ret->suite, started);
	}
	if (!ret->other_id) {
		ret_code = 0;
		goto out;
	}
	if (load_sigs(db, run_id, &mine, &nr_mine) < 0 ||
	    load_sigs(db, ret->other_id, &theirs, &nr_theirs) < 0 || load_flaky(db, ret) < 0) {
		db_error(db, err, "read history", db_path);
		goto out;
	}
	sig_minus(mine, nr_mine, theirs, nr_theirs, &ret->new_sigs, &ret->nr_new);
	sig_minus(theirs, nr_theirs, mine, nr_mine, &ret->fixed, &ret->nr_fixed);
	ret_code = 0;
out:
	sigs_free(mine, nr_mine);
	sigs_free(theirs, nr_theirs);
	free(started);
	sqlite3_close(db);
	if (ret_code < 0)
		history_diff_release(ret);
	return ret_code;
}

void history_diff_release(struct history_diff *d)
{
	if (!d)
		return;
	sigs_free(d->new_sigs, d->nr_new);
	sigs_free(d->fixed, d->nr_fixed);
	for (size_t i = 0; i < d->nr_flaky; i++) {
		free(d->flaky[i].scenario);
		free(d->flaky[i].verdict);
		free(d->flaky[i].was);
	}
	free(d->flaky);
	free(d->run_id);
	free(d->other_id);
	free(d->suite);
	memset(d, 0, sizeof(*d));
}

/* ---- listing ------------------------------------------------------------ */

int history_run_dir(const char *db_path, const char *run_id, char **ret, struct bp_error *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int empty, rc, found = 0;

	*ret = NULL;
	if (db_open(db_path, 0, &db, &empty, err) < 0)
		return -1;
	if (empty) {
		sqlite3_close(db);
		return 0;
	}
	if (sqlite3_prepare_v2(db, "SELECT dir FROM runs WHERE run_id = ?1", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_error(db, err, "read history", db_path);
		sqlite3_close(db);
		return -1;
	}
	bind_text(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		*ret = column_dup(st, 0);
		found = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(db, err, "read history", db_path);
		found = -1;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return found;
}

#define RUNS_SELECT                                                                            \
	"SELECT r.run_id, r.started, r.suite, r.scenarios, r.pass, r.fail, r.infra,"           \
	" (SELECT COUNT(DISTINCT signature_id) FROM boots b WHERE b.run_id = r.run_id),"     \
	" r.complete, r.incomplete_reason FROM runs r"

/* The rows of a RUNS_SELECT query. Returns 0, or -1 (*ret then NULL). */
static int load_runs(sqlite3 *db, const char *sql, struct history_run **ret, size_t *nr)
{
	struct history_run *runs = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st = NULL;
	int rc;

	*ret = NULL;
	*nr = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(runs, n + 1, alloc);
		runs[n++] = (struct history_run){
			.run_id = column_dup(st, 0),
			.started = column_dup(st, 1),
			.suite = column_dup(st, 2),
			.scenarios = sqlite3_column_int64(st, 3),
			.pass = sqlite3_column_int64(st, 4),
			.fail = sqlite3_column_int64(st, 5),
			.infra = sqlite3_column_int64(st, 6),
			.signatures = sqlite3_column_int64(st, 7),
			.complete = sqlite3_column_int(st, 8),
			.incomplete_reason = column_dup(st, 9),
		};
		/* NOT NULL in the harness's schema; a database from elsewhere may differ. */
		if (!runs[n - 1].suite)
			runs[n - 1].suite = xstrdup("");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		history_runs_free(runs, n);
		return -1;
	}
	*ret = runs;
	*nr = n;
	return 0;
}

int history_runs(const char *db_path, struct history_run **ret, struct bp_error *err)
{
	struct history_run *runs = NULL;
	size_t n = 0;
	sqlite3 *db;
	int empty, rc = 0;

	*ret = NULL;
	if (db_open(db_path, 0, &db, &empty, err) < 0)
		return -1;
	if (!empty && load_runs(db, RUNS_SELECT " ORDER BY r.started DESC, r.run_id DESC", &runs,
				&n) < 0)
		rc = db_error(db, err, "read history", db_path);
	sqlite3_close(db);
	*ret = runs;
	return rc < 0 ? -1 : (int)n;
}

void history_runs_free(struct history_run *runs, size_t nr)
{
	for (size_t i = 0; runs && i < nr; i++) {
		free(runs[i].run_id);
		free(runs[i].started);
		free(runs[i].suite);
		free(runs[i].incomplete_reason);
	}
	free(runs);
}

/* ---- the trend: every suite over the whole history ---------------------- */

/* The suite named name in suites (sorted by name), or NULL. */
static struct history_suite *suite_find(struct history_suite *suites, size_t nr, const char *name)
{
	for (size_t i = 0; name && i < nr; i++)
		if (!strcmp(suites[i].suite, name))
			return &suites[i];
	return NULL;
}

/* Every run, split into suites (by name; each suite's runs oldest first). */
static int load_suites(sqlite3 *db, struct history_suite **ret, size_t *nr)
{
	struct history_run *runs;
	struct history_suite *suites = NULL;
	size_t n = 0, alloc = 0, nr_runs, i, first = 0;

	*ret = NULL;
	*nr = 0;
	if (load_runs(db, RUNS_SELECT " ORDER BY r.suite, r.started, r.run_id", &runs, &nr_runs) < 0)
		return -1;
	for (i = 1; i <= nr_runs; i++) {
		struct history_suite *s;

		if (i < nr_runs && !strcmp(runs[i].suite, runs[first].suite))
			continue;
		ALLOC_GROW(suites, n + 1, alloc);
		s = &suites[n++];
		*s = (struct history_suite){.suite = xstrdup(runs[first].suite),
					    .nr_runs = i - first};
		s->runs = xcalloc(s->nr_runs, sizeof(*s->runs));
		memcpy(s->runs, runs + first, s->nr_runs * sizeof(*s->runs));
		first = i;
	}
	free(runs); /* its strings now belong to the suites */
	*ret = suites;
	*nr = n;
	return 0;
}

static int span_cmp(const void *pa, const void *pb)
{
	const struct history_span *a = pa, *b = pb;
	int c = strcmp(b->last_started, a->last_started);

	if (!c)
		c = strcmp(b->last_run, a->last_run);
	return c ? c : strcmp(a->title, b->title);
}

/* Each suite's signatures: first and last run seen, runs and boots; latest first. */
static int load_spans(sqlite3 *db, struct history_suite *suites, size_t nr)
{
	static const char sql[] =
		"SELECT r.suite, s.title, r.run_id, r.started, COUNT(*) FROM boots b"
		" JOIN signatures s ON s.id = b.signature_id JOIN runs r ON r.run_id = b.run_id"
		" GROUP BY r.suite, s.id, r.run_id ORDER BY r.suite, s.title, r.started, r.run_id";
	struct history_suite *cur = NULL;
	size_t alloc = 0;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *suite = (const char *)sqlite3_column_text(st, 0);
		const char *title = (const char *)sqlite3_column_text(st, 1);
		struct history_span *sp;

		if (!cur || strcmp(cur->suite, suite)) {
			cur = suite_find(suites, nr, suite);
			alloc = cur ? cur->nr_sigs : 0;
		}
		if (!cur || !title)
			continue;
		sp = cur->nr_sigs ? &cur->sigs[cur->nr_sigs - 1] : NULL;
		if (!sp || strcmp(sp->title, title)) {
			ALLOC_GROW(cur->sigs, cur->nr_sigs + 1, alloc);
			sp = &cur->sigs[cur->nr_sigs++];
			*sp = (struct history_span){.title = xstrdup(title),
						    .first_run = column_dup(st, 2),
						    .first_started = column_dup(st, 3)};
		} else {
			free(sp->last_run);
			free(sp->last_started);
		}
		sp->last_run = column_dup(st, 2);
		sp->last_started = column_dup(st, 3);
		sp->runs++;
		sp->boots += sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < nr; i++)
		if (suites[i].nr_sigs > 1)
			qsort(suites[i].sigs, suites[i].nr_sigs, sizeof(*suites[i].sigs), span_cmp);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Columns 0..7 of two rows name the same scenario and inputs (NULL equals NULL). */
static int same_inputs(char *const *a, sqlite3_stmt *st)
{
	for (int i = 0; i < 8; i++) {
		const char *b = (const char *)sqlite3_column_text(st, i);

		if (!a[i] != !b || (a[i] && strcmp(a[i], b)))
			return 0;
	}
	return 1;
}

/* One scenario's verdicts with one set of inputs, gathered row by row. */
struct flake_acc {
	char *key[8]; /* suite, name, image, sensor, content, 3 digests */
	struct strbuf verdicts;
	long pass, fail, changes;
	char *last_run, *last_started;
};

static void flake_reset(struct flake_acc *f)
{
	for (int i = 0; i < 8; i++) {
		free(f->key[i]);
		f->key[i] = NULL;
	}
	strbuf_reset(&f->verdicts);
	free(f->last_run);
	free(f->last_started);
	f->last_run = f->last_started = NULL;
	f->pass = f->fail = f->changes = 0;
}

/* The accumulated scenario, if it passed and failed, to its suite's flaky list. */
static void flake_flush(struct flake_acc *f, struct history_suite *suites, size_t nr)
{
	struct history_suite *s = f->key[0] ? suite_find(suites, nr, f->key[0]) : NULL;

	if (s && f->pass && f->fail) {
		s->flaky = xrealloc(s->flaky, (s->nr_flaky + 1) * sizeof(*s->flaky));
		s->flaky[s->nr_flaky++] = (struct history_flake){
			.scenario = f->key[1], .image = f->key[2], .sensor = f->key[3],
			.content = f->key[4], .pass = f->pass, .fail = f->fail,
			.changes = f->changes, .verdicts = strbuf_detach(&f->verdicts),
			.last_run = f->last_run, .last_started = f->last_started};
		f->key[1] = f->key[2] = f->key[3] = f->key[4] = NULL;
		f->last_run = f->last_started = NULL;
	}
	flake_reset(f);
}

static int load_flakes(sqlite3 *db, struct history_suite *suites, size_t nr)
{
	static const char sql[] =
		"SELECT r.suite, sc.name, sc.image, sc.sensor, sc.content, sc.image_sha256,"
		" sc.sensor_sha256, sc.content_sha256, sc.verdict, r.run_id, r.started"
		" FROM scenarios sc JOIN runs r ON r.run_id = sc.run_id"
		" WHERE sc.verdict IN ('pass', 'fail') ORDER BY r.suite, sc.name, sc.image,"
		" sc.sensor, sc.content, sc.image_sha256, sc.sensor_sha256, sc.content_sha256,"
		" r.started, r.run_id";
	struct flake_acc f = {.verdicts = STRBUF_INIT};
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int pass = !strcmp((const char *)sqlite3_column_text(st, 8), "pass");
		char v = pass ? 'p' : 'f';

		if (!f.key[0] || !same_inputs(f.key, st)) {
			flake_flush(&f, suites, nr);
			for (int i = 0; i < 8; i++)
				f.key[i] = column_dup(st, i);
		} else if (f.verdicts.buf[f.verdicts.len - 1] != v) {
			f.changes++;
		}
		strbuf_addch(&f.verdicts, v);
		f.pass += pass;
		f.fail += !pass;
		free(f.last_run);
		free(f.last_started);
		f.last_run = column_dup(st, 9);
		f.last_started = column_dup(st, 10);
	}
	sqlite3_finalize(st);
	flake_flush(&f, suites, nr);
	strbuf_release(&f.verdicts);
	return rc == SQLITE_DONE ? 0 : -1;
}

int history_suites(const char *db_path, struct history_suite **ret, struct bp_error *err)
{
	struct history_suite *suites = NULL;
	size_t n = 0;
	sqlite3 *db;
	int empty, rc = 0;

	*ret = NULL;
	if (db_open(db_path, 0, &db, &empty, err) < 0)
		return -1;
	if (!empty && (load_suites(db, &suites, &n) < 0 || load_spans(db, suites, n) < 0 ||
		       load_flakes(db, suites, n) < 0)) {
		rc = db_error(db, err, "read history", db_path);
		history_suites_free(suites, n);
		suites = NULL;
		n = 0;
	}
	sqlite3_close(db);
	*ret = suites;
	return rc < 0 ? -1 : (int)n;
}

void history_suites_free(struct history_suite *suites, size_t nr)
{
	for (size_t i = 0; suites && i < nr; i++) {
		struct history_suite *s = &suites[i];

		free(s->suite);
		history_runs_free(s->runs, s->nr_runs);
		for (size_t j = 0; j < s->nr_sigs; j++) {
			free(s->sigs[j].title);
			free(s->sigs[j].first_run);
			free(s->sigs[j].first_started);
			free(s->sigs[j].last_run);
			free(s->sigs[j].last_started);
		}
		free(s->sigs);
		for (size_t j = 0; j < s->nr_flaky; j++) {
			struct history_flake *f = &s->flaky[j];

			free(f->scenario);
			free(f->image);
			free(f->sensor);
			free(f->content);
			free(f->verdicts);
			free(f->last_run);
			free(f->last_started);
		}
		free(s->flaky);
	}
	free(suites);
}

/* ---- durations ---------------------------------------------------------- */

int history_durations(const char *db_path, const char *const *names, size_t n, double *ret,
		      struct bp_error *err)
{
	static const char sql[] =
		"SELECT s.duration_s FROM scenarios s JOIN runs r ON r.run_id = s.run_id"
		" WHERE s.name = ?1 AND r.complete = 1 AND s.verdict IS NOT NULL"
		" AND s.duration_s IS NOT NULL AND r.shard IS NULL";
	static const char sql_v1[] =
		"SELECT s.duration_s FROM scenarios s JOIN runs r ON r.run_id = s.run_id"
		" WHERE s.name = ?1 AND r.complete = 1 AND s.verdict IS NOT NULL"
		" AND s.duration_s IS NOT NULL";
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	double *v = NULL;
	size_t alloc = 0;
	int empty, known = 0, ret_code = -1;

	for (size_t i = 0; i < n; i++)
		ret[i] = -1;
	if (access(db_path, F_OK) < 0)
		return 0;
	if (db_open(db_path, 0, &db, &empty, err) < 0)
		return -1;
	if (empty) {
		ret_code = 0;
		goto out;
	}
	if (sqlite3_prepare_v2(db, user_version(db) >= 2 ? sql : sql_v1, -1, &st, NULL) !=
	    SQLITE_OK) {
		db_error(db, err, "read history", db_path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t nr = 0;
		int rc;

		bind_text(st, 1, names[i]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			ALLOC_GROW(v, nr + 1, alloc);
			v[nr++] = sqlite3_column_double(st, 0);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_error(db, err, "read history", db_path);
			goto out;
		}
		ret[i] = shard_median(v, nr);
		known += ret[i] >= 0;
	}
	ret_code = known;
out:
	free(v);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret_code;
}
