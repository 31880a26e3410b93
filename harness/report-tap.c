/*
 * report-tap - write the TAP13 stream (see report-tap.h).
 */
#include "report-tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trial.h"

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
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		strbuf_adds(sb, "    ");
		strbuf_add(sb, text, len);
		strbuf_addch(sb, '\n');
		text += len + (nl ? 1 : 0);
	}
}

/* Quote a one-line value for YAML (double-quoted, escaped). */
static void add_scalar(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addf(sb, "  %s: \"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	strbuf_adds(sb, "\"\n");
}

/*
 * A test point's description: '#' would start a directive (a guest printing
 * "# SKIP" must not skip its own crash), so it is escaped as TAP says.
 */
static void add_description(struct strbuf *sb, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '#' || *p == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '\n');
}

static void add_point(struct strbuf *sb, int ok, int n, const char *description)
{
	strbuf_addf(sb, "%s %d - ", ok ? "ok" : "not ok", n);
	add_description(sb, description);
}

void tap_begin(struct tap_writer *w)
{
	w->n = 0;
	out(w, "TAP version 13\n");
	flush(w);
}

void tap_comment(struct tap_writer *w, const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "# %s\n", text);
	out(w, sb.buf);
	flush(w);
	strbuf_release(&sb);
}

void tap_boot(struct tap_writer *w, const struct trial_result *t, const struct boot_result *b)
{
	struct strbuf sb = STRBUF_INIT, desc = STRBUF_INIT;
	int ok = trial_boot_ok(t, b);

	strbuf_addf(&desc, "%s: boot %d %s", t->scenario->name, b->n, outcome_name(b->outcome));
	if (b->title)
		strbuf_addf(&desc, ": %s", b->title);
	add_point(&sb, ok, ++w->n, desc.buf);
	strbuf_release(&desc);
	if (b->outcome != OUTCOME_CLEAN || !ok) {
		strbuf_adds(&sb, "  ---\n");
		strbuf_addf(&sb, "  expected: %s\n",
			    b->expect == OUTCOME_NONE ? "any" : outcome_name(b->expect));
		strbuf_addf(&sb, "  outcome: %s\n", outcome_name(b->outcome));
		if (b->title)
			add_scalar(&sb, "title", b->title);
		if (b->log)
			add_scalar(&sb, "log", b->log);
		if (b->crash_line)
			strbuf_addf(&sb, "  line: %zu\n", b->crash_line);
		strbuf_addf(&sb, "  duration_s: %.3f\n", b->duration_s);
		if (b->excerpt && *b->excerpt)
			add_block(&sb, "excerpt", b->excerpt);
		strbuf_adds(&sb, "  ...\n");
	}
	out(w, sb.buf);
	flush(w);
	strbuf_release(&sb);
}

void tap_checks(struct tap_writer *w, const struct trial_result *t)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < t->nr_checks; i++) {
		const struct check_result *c = &t->checks[i];
		char *desc = xasprintf("%s: %s", t->scenario->name, c->name);

		add_point(&sb, c->ok, ++w->n, desc);
		free(desc);
		if (c->diag) {
			strbuf_adds(&sb, "  ---\n");
			add_scalar(&sb, "why", c->diag);
			strbuf_adds(&sb, "  ...\n");
		}
	}
	out(w, sb.buf);
	flush(w);
	strbuf_release(&sb);
}

void tap_end(struct tap_writer *w)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "1..%d\n", w->n);
	out(w, sb.buf);
	flush(w);
	strbuf_release(&sb);
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
