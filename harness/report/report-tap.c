/*
 * report-tap - write the TAP13 stream (see report-tap.h).
 */
#include "report-tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "report-html.h"
#include "report-json.h"

#define EXCERPT_LINES 25

static void failed(struct tap_writer *w, size_t i)
{
	if (!w->errnum[i])
		w->errnum[i] = errno ? errno : EIO;
}

static void out(struct tap_writer *w, const char *s)
{
	for (size_t i = 0; i < w->nr_out; i++)
		if (fputs(s, w->out[i]) == EOF)
			failed(w, i);
}

static void flush(struct tap_writer *w)
{
	for (size_t i = 0; i < w->nr_out; i++)
		if (fflush(w->out[i]) == EOF)
			failed(w, i);
}

/* The first EXCERPT_LINES lines of text (where a report names its cause) as a YAML block. */
static void add_block(struct strbuf *sb, const char *key, const char *text)
{
	strbuf_addf(sb, "  %s: |\n", key);
	for (int lines = 0; *text && lines < EXCERPT_LINES; lines++) {
		size_t len = strcspn(text, "\n");

		strbuf_adds(sb, "    ");
		escape_yaml_line(sb, text, len);
		strbuf_addch(sb, '\n');
		text += len + (text[len] == '\n');
	}
}

/* A one-line value for YAML, double-quoted; nothing for NULL. */
static void add_scalar(struct strbuf *sb, const char *key, const char *value)
{
	if (!value)
		return;
	strbuf_addf(sb, "  %s: \"", key);
	escape_yaml_quoted(sb, value);
	strbuf_adds(sb, "\"\n");
}

static void add_point(struct strbuf *sb, int ok, int n, const char *description)
{
	strbuf_addf(sb, "%s %d - ", ok ? "ok" : "not ok", n);
	escape_tap_line(sb, description);
	strbuf_addch(sb, '\n');
}

/* A trial never started on purpose: a passing point with a SKIP directive. */
static void add_skip(struct strbuf *sb, int n, const char *name, const char *reason)
{
	strbuf_addf(sb, "ok %d - ", n);
	escape_tap_line(sb, name);
	strbuf_adds(sb, " # SKIP ");
	escape_tap_line(sb, reason);
	strbuf_addch(sb, '\n');
}

static void add_comment(struct strbuf *sb, const char *text)
{
	strbuf_adds(sb, "# ");
	escape_tap_line(sb, text);
	strbuf_addch(sb, '\n');
}

/*
 * Where a trial's boots run, before its first boot's point: a libvirt
 * host's URI; nothing for the direct backend ("local"), whose host is the
 * run's. Attempts lost with their host come first (--retry-infra).
 */
static void add_host(struct strbuf *sb, const char *name, const char *host)
{
	char *text;

	if (!host || !strcmp(host, "local"))
		return;
	text = xasprintf("%s: on host %s", name, host);
	add_comment(sb, text);
	free(text);
}

static void add_attempt(struct strbuf *sb, const char *name, size_t i, const char *host,
			const char *reason)
{
	char *text = xasprintf("%s: attempt %zu lost with host %s: %s", name, i + 1, host, reason);

	add_comment(sb, text);
	free(text);
}

/*
 * Boot b (its results.json object) of scenario name as point n. Enum
 * fields are the schema's words, so only text fields need escaping.
 */
static void render_boot(struct strbuf *sb, const char *name, const json_t *b, int n)
{
	const char *outcome = rj_str(b, "outcome"), *title = rj_str(b, "title");
	const char *excerpt = rj_str(b, "excerpt");
	char *desc = xasprintf("%s: boot %lld %s%s%s", name, rj_int(b, "n"), outcome,
			       title ? ": " : "", title ? title : "");
	int ok = rj_true(b, "ok");

	add_point(sb, ok, n, desc);
	free(desc);
	if (!strcmp(outcome, "clean") && ok)
		return;
	strbuf_adds(sb, "  ---\n");
	strbuf_addf(sb, "  expected: %s\n  outcome: %s\n", rj_str(b, "expect"), outcome);
	add_scalar(sb, "title", title);
	add_scalar(sb, "log", rj_str(b, "log"));
	if (rj_int(b, "crash_line"))
		strbuf_addf(sb, "  line: %lld\n", rj_int(b, "crash_line"));
	strbuf_addf(sb, "  duration_s: %.3f\n", rj_num(b, "duration_s"));
	if (rj_true(b, "powered_off"))
		strbuf_adds(sb, "  powered_off: true\n");
	add_scalar(sb, "update_error", rj_str(b, "update_error"));
	if (excerpt && *excerpt)
		add_block(sb, "excerpt", excerpt);
	strbuf_adds(sb, "  ...\n");
}

static void render_check(struct strbuf *sb, const char *name, const json_t *c, int n)
{
	char *desc = xasprintf("%s: %s", name, rj_str(c, "name"));

	add_point(sb, rj_true(c, "ok"), n, desc);
	free(desc);
	if (rj_str(c, "diag")) {
		strbuf_adds(sb, "  ---\n");
		add_scalar(sb, "why", rj_str(c, "diag"));
		strbuf_adds(sb, "  ...\n");
	}
}

void tap_begin(struct tap_writer *w)
{
	w->n = 0;
	out(w, "TAP version 13\n");
	flush(w);
}

static void emit(struct tap_writer *w, struct strbuf *sb)
{
	out(w, sb->buf);
	flush(w);
	strbuf_release(sb);
}

void tap_comment(struct tap_writer *w, const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	add_comment(&sb, text);
	emit(w, &sb);
}

void tap_boot(struct tap_writer *w, const struct trial_result *t, const struct boot_result *b)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *j = report_json_boot(b);

	if (b->n == 1) {
		for (size_t i = 0; i < t->nr_attempts; i++)
			add_attempt(&sb, t->scenario->name, i, t->attempts[i].host,
				    t->attempts[i].reason);
		add_host(&sb, t->scenario->name, t->host);
	}
	render_boot(&sb, t->scenario->name, j, ++w->n);
	json_decref(j);
	emit(w, &sb);
}

void tap_checks(struct tap_writer *w, const struct trial_result *t)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < t->nr_checks; i++) {
		json_t *j = report_json_check(&t->checks[i]);

		render_check(&sb, t->scenario->name, j, ++w->n);
		json_decref(j);
	}
	emit(w, &sb);
}

void tap_skip(struct tap_writer *w, const struct trial_result *t)
{
	struct strbuf sb = STRBUF_INIT;

	add_skip(&sb, ++w->n, t->scenario->name, t->skipped ? t->skipped : "skipped");
	emit(w, &sb);
}

void tap_end(struct tap_writer *w)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "1..%d\n", w->n);
	emit(w, &sb);
}

void report_tap(const json_t *root, struct strbuf *o)
{
	const json_t *scenarios = json_object_get(root, "scenarios"), *sc, *b, *c;
	char *head = xasprintf("run %s: %zu scenarios, accelerator %s (re-rendered from results.json)",
			       rj_str(root, "run_id"), json_array_size(scenarios),
			       rj_str(root, "accelerator") ? rj_str(root, "accelerator") : "unknown");
	size_t i, j;
	int n = 0;

	strbuf_adds(o, "TAP version 13\n");
	add_comment(o, head);
	free(head);
	json_array_foreach(scenarios, i, sc) {
		if (rj_str(sc, "skipped"))
			add_skip(o, ++n, rj_str(sc, "name"), rj_str(sc, "skipped"));
		json_array_foreach(json_object_get(sc, "attempts"), j, b)
			add_attempt(o, rj_str(sc, "name"), j, rj_str(b, "host"), rj_str(b, "reason"));
		if (json_array_size(json_object_get(sc, "boots")))
			add_host(o, rj_str(sc, "name"), rj_str(sc, "host"));
		json_array_foreach(json_object_get(sc, "boots"), j, b)
			if (rj_str(b, "outcome")) /* else not judged: cut off during this boot */
				render_boot(o, rj_str(sc, "name"), b, ++n);
		json_array_foreach(json_object_get(sc, "checks"), j, c)
			render_check(o, rj_str(sc, "name"), c, ++n);
	}
	if (!rj_true(root, "complete")) {
		char *msg = xasprintf("incomplete run: %s", rj_str(root, "incomplete_reason")
								 ? rj_str(root, "incomplete_reason")
								 : "no reason recorded");

		add_comment(o, msg);
		free(msg);
	}
	strbuf_addf(o, "1..%d\n", n);
}

int tap_file_commit(struct tap_writer *w, FILE *f, const char *tmp, const char *path,
		    struct bp_error *err)
{
	int e = 0;

	for (size_t i = 0; i < w->nr_out; i++)
		if (w->out[i] == f) {
			e = w->errnum[i];
			/* Later points go to the other outputs only. */
			w->out[i] = w->out[--w->nr_out];
			w->errnum[i] = w->errnum[w->nr_out];
			break;
		}
	if (fflush(f) == EOF && !e)
		e = errno;
	if (fsync(fileno(f)) < 0 && !e)
		e = errno;
	if (fclose(f) == EOF && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return error_set(err, "cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}
