/*
 * trial - expectations and verdicts (see trial.h).
 */
#include "trial.h"

#include <stdlib.h>
#include <string.h>

void trial_boot_judge(const struct trial_result *t, struct boot_result *b)
{
	(void)t;
	if (b->powered_off) /* the harness cut the power on purpose */
		b->ok = b->expect == OUTCOME_INFRA;
	else
		b->ok = b->outcome != OUTCOME_INFRA && b->outcome != OUTCOME_NONE &&
			(b->expect == OUTCOME_NONE || b->outcome == b->expect);
}

/*
 * "sources disagree: serial says 0x50, dump MEMORY.DMP says 0xD1; ..." over
 * the views that carry a code, then those that name a driver.
 */
static void disagree_on(struct strbuf *sb, const struct boot_result *b, int drivers)
{
	const struct source_view *first = NULL;
	int differ = 0;

	for (size_t i = 0; i < b->nr_views; i++) {
		const struct source_view *v = &b->views[i];

		if (drivers ? !v->driver : !v->has_code)
			continue;
		if (!first)
			first = v;
		else if (drivers ? strcmp(v->driver, first->driver) != 0 : v->code != first->code)
			differ = 1;
	}
	if (!differ)
		return;
	strbuf_adds(sb, sb->len ? "; " : "sources disagree: ");
	for (size_t i = 0, n = 0; i < b->nr_views; i++) {
		const struct source_view *v = &b->views[i];
		const char *base = v->file ? strrchr(v->file, '/') : NULL;

		if (drivers ? !v->driver : !v->has_code)
			continue;
		strbuf_addf(sb, "%s%s%s%s says ", n++ ? ", " : "", v->source, v->file ? " " : "",
			    v->file ? (base ? base + 1 : v->file) : "");
		if (drivers)
			strbuf_adds(sb, v->driver);
		else
			strbuf_addf(sb, "0x%X", v->code);
	}
}

void trial_boot_sources(struct boot_result *b)
{
	struct strbuf sb = STRBUF_INIT;

	disagree_on(&sb, b, 0);
	disagree_on(&sb, b, 1);
	free(b->disagree);
	b->disagree = sb.len ? strbuf_detach(&sb) : NULL;
	strbuf_release(&sb);
}

static void check_title(struct trial_result *t)
{
	const char *want = t->scenario->expect_title;
	char *name = xasprintf("crash title contains '%s'", want);
	struct strbuf diag = STRBUF_INIT;
	int crashes = 0, ok = 1;

	for (size_t i = 0; i < t->nr_boots; i++) {
		const struct boot_result *b = &t->boots[i];

		if (b->outcome != OUTCOME_CRASH)
			continue;
		crashes++;
		if (!b->title || !strstr(b->title, want)) {
			ok = 0;
			strbuf_addf(&diag, "boot %d title '%s'; ", b->n, b->title ? b->title : "");
		}
	}
	if (!crashes) {
		ok = 0;
		strbuf_adds(&diag, "no boot crashed");
	}
	trial_add_check(t, name, ok, ok ? NULL : diag.buf);
	strbuf_release(&diag);
	free(name);
}

static void check_log(struct trial_result *t)
{
	const char *want = t->scenario->log_contains;
	char *name = xasprintf("every boot's console shows '%s'", want);
	struct strbuf diag = STRBUF_INIT;
	int ok = t->nr_boots > 0;

	for (size_t i = 0; i < t->nr_boots; i++)
		if (!t->boots[i].log_matched) {
			ok = 0;
			strbuf_addf(&diag, "missing on boot %d; ", t->boots[i].n);
		}
	trial_add_check(t, name, ok, ok ? NULL : diag.buf);
	strbuf_release(&diag);
	free(name);
}

void trial_judge(struct trial_result *t)
{
	const struct scenario *sc = t->scenario;
	int infra = t->aborted, fail = 0;

	if (!sc->explicit_steps && sc->expect_title)
		check_title(t);
	if (sc->log_contains)
		check_log(t);
	for (size_t i = 0; i < t->nr_boots; i++) {
		const struct boot_result *b = &t->boots[i];

		/* A powered-off boot is infra by design, not a failure of the host. */
		if (!b->powered_off && (b->outcome == OUTCOME_INFRA || b->outcome == OUTCOME_NONE))
			infra = 1;
		else if (!b->ok)
			fail = 1;
	}
	for (size_t i = 0; i < t->nr_checks; i++)
		if (!t->checks[i].ok)
			fail = 1;
	t->verdict = infra ? VERDICT_INFRA : fail ? VERDICT_FAIL : VERDICT_PASS;
	t->finished = 1;
}
