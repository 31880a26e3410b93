/*
 * cmd-shard - run --shard's selection and report --merge (see cmd-shard.h).
 */
#define _GNU_SOURCE
#include "cmd-shard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd-report.h"
#include "escape.h"
#include "history.h"
#include "report-html.h"
#include "report-json.h"
#include "usage.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_INFRA 3

static const char *env_get(const char *name)
{
	return getenv(name);
}

int run_shard_resolve(const char *arg, int total, struct shard_spec *ret, struct bp_error *err)
{
	const char *source;

	if (strcmp(arg, "auto")) {
		if (total)
			return error_set(err, "--shard-total goes with --shard auto");
		return shard_parse(arg, ret, err);
	}
	return shard_from_env(env_get, total, ret, &source, err);
}

int run_shard_select(struct run_result *r, const struct shard_spec *spec, const char *db,
		     struct bp_error *err)
{
	const char **names = xcalloc(r->nr_trials + 1, sizeof(*names));
	double *durations = xcalloc(r->nr_trials + 1, sizeof(*durations));
	int *shard = xcalloc(r->nr_trials + 1, sizeof(*shard)), known, ret = -1;
	size_t kept = 0;

	if (shard_suite_digest(r->suite_path, r->suite_sha256, err) < 0)
		goto out;
	for (size_t i = 0; i < r->nr_trials; i++)
		names[i] = r->trials[i].scenario->name;
	known = history_durations(db, names, r->nr_trials, durations, err);
	if (known < 0)
		goto out;
	shard_partition(names, known ? durations : NULL, r->nr_trials, spec->total, shard);
	shard_partition_digest(names, shard, r->nr_trials, spec->total, r->partition_sha256);
	for (size_t i = 0; i < r->nr_trials; i++) {
		if (shard[i] == spec->index)
			r->trials[kept++] = r->trials[i];
		else
			free(r->trials[i].dir);
	}
	r->nr_trials = kept;
	r->shard_index = spec->index;
	r->shard_total = spec->total;
	ret = 0;
out:
	free(names);
	free(durations);
	free(shard);
	return ret;
}

/* ---- report --merge ----------------------------------------------------- */

struct merge_shard {
	const char *dir;
	json_t *root;
	const json_t *shard; /* root's "shard" */
	int index;
};

struct merge {
	struct merge_shard *shards;
	size_t nr;
	int total;
	struct merge_shard **by_index; /* [1..total]; NULL: missing */
};

/*
 * A results.json's text for a message on the terminal (escape_term()): up
 * to four at once, valid until the fourth call after.
 */
static const char *esc(const char *s)
{
	static struct strbuf ring[4] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
	static int next;
	struct strbuf *sb = &ring[next++ % 4];

	strbuf_reset(sb);
	escape_term(sb, s ? s : "");
	return sb->buf;
}

/* A trial directory name from a results.json: one plain path component. */
static int safe_dir_name(const char *s)
{
	return s && *s && *s != '.' && !strchr(s, '/') && strlen(s) < 256;
}

/* Load each DIR and refuse what cannot be merged. Returns 0, or -1 with err. */
static int merge_load(struct merge *m, char **dirs, size_t nr, struct bp_error *err)
{
	const struct merge_shard *first;

	m->shards = xcalloc(nr, sizeof(*m->shards));
	for (size_t i = 0; i < nr; i++) {
		struct merge_shard *s = &m->shards[m->nr++];

		s->dir = dirs[i];
		if (report_load(dirs[i], &s->root, err) < 0)
			return -1;
		s->shard = json_object_get(s->root, "shard");
		if (!s->shard)
			return error_set(err,
					 "'%s' is not a shard run (its results.json has no "
					 "\"shard\": run it with --shard K/N)",
					 s->dir);
		s->index = (int)rj_int(s->shard, "index");
	}
	first = &m->shards[0];
	m->total = (int)rj_int(first->shard, "total");
	for (size_t i = 1; i < nr; i++) {
		const struct merge_shard *s = &m->shards[i];

		if (strcmp(rj_str(s->shard, "suite_sha256"), rj_str(first->shard, "suite_sha256")))
			return error_set(err,
					 "'%s' is a shard of another suite than '%s' (suite "
					 "sha256 %.12s..., not %.12s...)",
					 s->dir, first->dir, rj_str(s->shard, "suite_sha256"),
					 rj_str(first->shard, "suite_sha256"));
		if (rj_int(s->shard, "total") != m->total ||
		    strcmp(rj_str(s->shard, "partition_sha256"),
			   rj_str(first->shard, "partition_sha256")))
			return error_set(err,
					 "'%s' (shard %lld/%lld) was cut from another partition "
					 "than '%s' (shard %d/%d): the shards read different "
					 "histories or selected different scenarios",
					 s->dir, rj_int(s->shard, "index"),
					 rj_int(s->shard, "total"), first->dir, first->index,
					 m->total);
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	m->by_index = xcalloc((size_t)m->total + 1, sizeof(*m->by_index));
	for (size_t i = 0; i < nr; i++) {
		struct merge_shard *s = &m->shards[i];

		if (s->index > m->total)
			return error_set(err, "'%s': shard %d of %d", s->dir, s->index, m->total);
		if (m->by_index[s->index])
			return error_set(err, "shard %d/%d is given twice: '%s' and '%s'", s->index,
					 m->total, m->by_index[s->index]->dir, s->dir);
		m->by_index[s->index] = s;
	}
	return 0;
}

/* No scenario in two shards, every trial directory a plain name. */
static int merge_check_scenarios(const struct merge *m, struct bp_error *err)
{
	json_t *seen = json_object();
	int ret = -1;

	for (int k = 1; k <= m->total; k++) {
		const struct merge_shard *s = m->by_index[k];
		size_t i;
		json_t *sc;

		if (!s)
			continue;
		json_array_foreach(json_object_get(s->root, "scenarios"), i, sc)
		{
			const char *name = rj_str(sc, "name"), *dir = rj_str(sc, "dir");
			json_t *other = json_object_get(seen, name);

			if (other) {
				error_set(err, "scenario '%s' is in two shards: '%s' and '%s'",
					  esc(name), json_string_value(other), s->dir);
				goto out;
			}
			if (!safe_dir_name(dir)) {
				error_set(err, "'%s': scenario '%s' has an unsafe directory name",
					  s->dir, esc(name));
				goto out;
			}
			json_object_set_new(seen, name, json_string(s->dir));
		}
	}
	ret = 0;
out:
	json_decref(seen);
	return ret;
}

/* Copy one regular file (a symbolic link or anything else is left out). */
static int copy_file(const char *from, const char *to, struct bp_error *err)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), out = -1, ret = -1;
	struct stat st;
	ssize_t n;

	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = in < 0 && errno != ELOOP
			  ? error_set(err, "cannot read '%s': %s", from, strerror(errno))
			  : 0;
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		error_set(err, "cannot create '%s': %s", to, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0) {
			error_set(err, "cannot write '%s': %s", to, strerror(errno));
			goto out;
		}
	if (n < 0) {
		error_set(err, "cannot read '%s': %s", from, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && ret == 0)
		ret = error_set(err, "cannot write '%s': %s", to, strerror(errno));
	return ret;
}

/* The files of SHARD_DIR/NAME into RUN_DIR/NAME; a trial that left no directory is fine. */
static int copy_trial(const char *shard_dir, const char *name, const char *run_dir,
		      struct bp_error *err)
{
	char *from = xasprintf("%s/%s", shard_dir, name), *to = xasprintf("%s/%s", run_dir, name);
	DIR *d = opendir(from);
	struct dirent *de;
	int ret = -1;

	if (!d) {
		ret = errno == ENOENT
			  ? 0
			  : error_set(err, "cannot read '%s': %s", from, strerror(errno));
		goto out;
	}
	if (mkdir_p(to, err) < 0)
		goto out;
	while ((de = readdir(d))) {
		char *src, *dst;
		int r;

		if (de->d_name[0] == '.')
			continue;
		src = xasprintf("%s/%s", from, de->d_name);
		dst = xasprintf("%s/%s", to, de->d_name);
		r = copy_file(src, dst, err);
		free(src);
		free(dst);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	if (d)
		closedir(d);
	free(from);
	free(to);
	return ret;
}

/* ", "-joined, each value once. */
static void add_distinct(struct strbuf *sb, json_t *seen, const char *s)
{
	if (!s || json_object_get(seen, s))
		return;
	json_object_set_new(seen, s, json_true());
	if (sb->len)
		strbuf_adds(sb, ", ");
	strbuf_adds(sb, s);
}

/* Why the merged run is incomplete ("" when it is not), and the missing indexes. */
static void merge_reasons(const struct merge *m, struct strbuf *why, json_t *missing)
{
	for (int k = 1; k <= m->total; k++) {
		const struct merge_shard *s = m->by_index[k];

		if (why->len && (!s || !rj_true(s->root, "complete")))
			strbuf_adds(why, "; ");
		if (!s) {
			strbuf_addf(why, "shard %d/%d missing", k, m->total);
			json_array_append_new(missing, json_integer(k));
		} else if (!rj_true(s->root, "complete")) {
			strbuf_addf(why, "shard %d/%d (run %s) incomplete: %s", k, m->total,
				    rj_str(s->root, "run_id"),
				    rj_str(s->root, "incomplete_reason")
					? rj_str(s->root, "incomplete_reason")
					: "killed or still running");
		}
	}
}

/* The larger of root[key] and v, into root[key] as a real or an integer like the source's. */
static void keep_max(json_t *root, const json_t *shard_root, const char *key)
{
	json_t *v = json_object_get(shard_root, key);

	if (json_number_value(v) > json_number_value(json_object_get(root, key)))
		json_object_set(root, key, v);
}

/* The whole run's fields, from the shards', into root (a copy of the first present shard's). */
static void merge_fields(const struct merge *m, json_t *root, const char *run_id,
			 const char *started)
{
	struct strbuf why = STRBUF_INIT, hosts = STRBUF_INIT;
	json_t *scenarios = json_array(), *runs = json_array(), *missing = json_array();
	json_t *merged = json_object(), *summary = json_object(), *seen = json_object();
	const char *accel = NULL;
	long long counts[3] = {0};
	int mixed = 0;

	merge_reasons(m, &why, missing);
	for (int k = 1; k <= m->total; k++) {
		const struct merge_shard *s = m->by_index[k];
		size_t i;
		json_t *sc;

		if (!s)
			continue;
		json_array_append_new(runs, json_string(rj_str(s->root, "run_id")));
		add_distinct(&hosts, seen, rj_str(s->root, "host"));
		mixed |= accel && rj_str(s->root, "accelerator") &&
			 strcmp(accel, rj_str(s->root, "accelerator"));
		if (!accel)
			accel = rj_str(s->root, "accelerator");
		keep_max(root, s->root, "duration_s");
		keep_max(root, s->root, "trials_s");
		keep_max(root, s->root, "jobs");
		keep_max(root, s->root, "harness_peak_rss_kib");
		json_array_foreach(json_object_get(s->root, "scenarios"), i, sc)
		{
			const char *v = rj_str(sc, "verdict");

			if (v)
				counts[!strcmp(v, "pass") ? 0 : !strcmp(v, "fail") ? 1 : 2]++;
			json_array_append(scenarios, sc);
		}
	}
	json_object_set_new(merged, "total", json_integer(m->total));
	json_object_set(merged, "suite_sha256",
			json_object_get(json_object_get(root, "shard"), "suite_sha256"));
	json_object_set(merged, "partition_sha256",
			json_object_get(json_object_get(root, "shard"), "partition_sha256"));
	json_object_set_new(merged, "runs", runs);
	json_object_set_new(merged, "missing", missing);
	json_object_set_new(summary, "scenarios",
			    json_integer((json_int_t)json_array_size(scenarios)));
	json_object_set_new(summary, "pass", json_integer(counts[0]));
	json_object_set_new(summary, "fail", json_integer(counts[1]));
	json_object_set_new(summary, "infra", json_integer(counts[2]));
	json_object_set_new(root, "run_id", json_string(run_id));
	json_object_set_new(root, "started", json_string(started));
	json_object_set_new(root, "complete", json_boolean(!why.len));
	json_object_set_new(root, "incomplete_reason",
			    why.len ? json_string(why.buf) : json_null());
	json_object_set_new(root, "host", json_string(hosts.buf));
	if (mixed) {
		json_object_set_new(root, "accelerator", json_null());
		json_object_set_new(root, "accelerator_reason", json_string("the shards differ"));
	}
	json_object_set_new(root, "work_dir", json_null());
	json_object_del(root, "shard");
	json_object_set_new(root, "merged", merged);
	json_object_set_new(root, "summary", summary);
	json_object_set_new(root, "scenarios", scenarios);
	json_decref(seen);
	strbuf_release(&why);
	strbuf_release(&hosts);
}

/* The earliest "started" of the shards (ISO 8601 UTC: compared as strings). */
static const char *earliest_start(const struct merge *m)
{
	const char *t = NULL;

	for (size_t i = 0; i < m->nr; i++) {
		const char *s = rj_str(m->shards[i].root, "started");

		if (!t || strcmp(s, t) < 0)
			t = s;
	}
	return t;
}

/* Exit status of the merged run, as run's exit_status(). */
static int merged_status(const json_t *root)
{
	size_t i;
	json_t *sc;
	int status = 0;

	if (!rj_true(root, "complete"))
		return EXIT_INFRA;
	json_array_foreach(json_object_get(root, "scenarios"), i, sc)
	{
		const char *v = rj_str(sc, "verdict");

		if (!v || !strcmp(v, "infra"))
			return EXIT_INFRA;
		if (!strcmp(v, "fail"))
			status = EXIT_FAIL;
	}
	return status;
}

/* REPORTS/<run-id> made, with the run id format run uses; latest pointed at it later. */
static char *merge_run_dir(const char *reports, char **ret_id, struct bp_error *err)
{
	char stamp[32], *dir;
	time_t t = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	*ret_id = xasprintf("%s-%ld", stamp, (long)getpid());
	dir = xasprintf("%s/%s", reports, *ret_id);
	if (mkdir_p(reports, err) < 0)
		goto fail;
	if (mkdir(dir, 0755) < 0) {
		error_set(err, "cannot create '%s': %s", dir, strerror(errno));
		goto fail;
	}
	return dir;
fail:
	free(dir);
	return NULL;
}

/* Copy every present shard's trial directories into run_dir. */
static int merge_copy(const struct merge *m, const char *run_dir, struct bp_error *err)
{
	for (int k = 1; k <= m->total; k++) {
		const struct merge_shard *s = m->by_index[k];
		size_t i;
		json_t *sc;

		if (!s)
			continue;
		json_array_foreach(json_object_get(s->root, "scenarios"), i,
				   sc) if (copy_trial(s->dir, rj_str(sc, "dir"), run_dir, err) <
					   0) return -1;
	}
	return 0;
}

/* Write the merged run: its directory, trials, results.json, reports, latest. */
static int merge_write(const struct merge *m, const char *reports, const char *history,
		       json_t **ret_root, char **ret_dir, struct bp_error *err)
{
	char *run_id = NULL, *dir = merge_run_dir(reports, &run_id, err), *path = NULL;
	char *tmp = NULL, *latest = NULL;
	json_t *root = NULL;
	struct bp_error rerr;
	int ret = -1;

	if (!dir)
		goto out;
	for (int k = 1; k <= m->total && !root; k++)
		if (m->by_index[k])
			root = json_deep_copy(m->by_index[k]->root);
	merge_fields(m, root, run_id, earliest_start(m));
	if (merge_copy(m, dir, err) < 0)
		goto out;
	path = xasprintf("%s/results.json", dir);
	if (report_json_save(root, path, err) < 0)
		goto out;
	/* Like run: a failing history is a warning; the reports are written. */
	if (report_after_run(dir, history, &rerr) < 0)
		fprintf(stderr, "bootproof: warning: %s\n", rerr.msg);
	tmp = xasprintf("%s/.latest.%ld", reports, (long)getpid());
	latest = xasprintf("%s/latest", reports);
	unlink(tmp);
	if (symlink(run_id, tmp) == 0 && rename(tmp, latest) < 0)
		unlink(tmp);
	*ret_root = root;
	root = NULL;
	*ret_dir = dir;
	dir = NULL;
	ret = 0;
out:
	json_decref(root);
	free(run_id);
	free(dir);
	free(path);
	free(tmp);
	free(latest);
	return ret;
}

int cmd_merge(int argc, char **argv)
{
	const char *reports = "reports", *history = NULL;
	char **dirs = xcalloc((size_t)argc, sizeof(*dirs)), *run_dir = NULL;
	struct merge m = {0};
	struct bp_error err = {{0}};
	json_t *root = NULL;
	size_t nr = 0;
	int status = EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (usage_is_help(a)) {
			status = usage_help(&report_usage);
			goto out;
		}
		if (!strcmp(a, "--merge"))
			continue;
		if ((!strcmp(a, "-r") || !strcmp(a, "--reports") || !strcmp(a, "--history")) &&
		    i + 1 < argc) {
			*(a[1] == '-' && a[2] == 'h' ? &history : &reports) = argv[++i];
		} else if (!strncmp(a, "--reports=", 10)) {
			reports = a + 10;
		} else if (!strncmp(a, "--history=", 10)) {
			history = a + 10;
		} else if (a[0] == '-') {
			fprintf(stderr,
				"bootproof: report --merge takes -r REPORTS, --history DB "
				"and run directories, not '%s'\n",
				a);
			usage_error(&report_usage);
			goto out;
		} else {
			dirs[nr++] = argv[i];
		}
	}
	if (!nr) {
		fprintf(stderr, "bootproof: report --merge needs the shards' run directories\n");
		usage_error(&report_usage);
		goto out;
	}
	if (merge_load(&m, dirs, nr, &err) < 0 || merge_check_scenarios(&m, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		goto out;
	}
	if (merge_write(&m, reports, history, &root, &run_dir, &err) < 0) {
		fprintf(stderr, "bootproof: %s\n", err.msg);
		status = EXIT_INFRA;
		goto out;
	}
	status = merged_status(root);
	{
		const json_t *sum = json_object_get(root, "summary");
		const char *why = rj_str(root, "incomplete_reason");

		printf("merged %zu of %d shards into %s: %lld scenarios, %lld pass, %lld fail, "
		       "%lld infra%s%s\n",
		       nr, m.total, esc(run_dir), rj_int(sum, "scenarios"), rj_int(sum, "pass"),
		       rj_int(sum, "fail"), rj_int(sum, "infra"), why ? "; incomplete: " : "",
		       why ? esc(why) : "");
	}
out:
	for (size_t i = 0; i < m.nr; i++)
		json_decref(m.shards[i].root);
	free(m.shards);
	free(m.by_index);
	json_decref(root);
	free(run_dir);
	free(dirs);
	return status;
}
