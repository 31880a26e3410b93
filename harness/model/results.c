/*
 * results - constructors and destructors of the run data model.
 */
#include "results.h"

#include <stdlib.h>
#include <string.h>

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_FAIL:
		return "fail";
	case VERDICT_INFRA:
		return "infra";
	}
	return "unknown";
}

const char *ring_state_name(enum ring_state s)
{
	switch (s) {
	case RING_NOT_RUN:
		return "not_run";
	case RING_RUNNING:
		return "running";
	case RING_PASSED:
		return "passed";
	case RING_FAILED:
		return "failed";
	case RING_SKIPPED:
		return "skipped";
	}
	return "not_run";
}

struct mem_sample *boot_add_sample(struct boot_result *b)
{
	struct mem_sample *m;

	ALLOC_GROW(b->samples, b->nr_samples + 1, b->alloc_samples);
	m = &b->samples[b->nr_samples++];
	*m = (struct mem_sample){
	    .mem_available_kib = -1, .mem_free_kib = -1, .slab_kib = -1, .module_bytes = -1};
	return m;
}

struct source_view *boot_add_view(struct boot_result *b, const char *source)
{
	struct source_view *v;

	ALLOC_GROW(b->views, b->nr_views + 1, b->alloc_views);
	v = &b->views[b->nr_views++];
	*v = (struct source_view){.source = source};
	return v;
}

struct boot_result *trial_add_boot(struct trial_result *t)
{
	struct boot_result *b;

	ALLOC_GROW(t->boots, t->nr_boots + 1, t->alloc_boots);
	b = &t->boots[t->nr_boots++];
	memset(b, 0, sizeof(*b));
	b->n = (int)t->nr_boots;
	return b;
}

void trial_add_check(struct trial_result *t, const char *name, int ok, const char *diag)
{
	struct check_result *c;

	ALLOC_GROW(t->checks, t->nr_checks + 1, t->alloc_checks);
	c = &t->checks[t->nr_checks++];
	c->name = xstrdup(name);
	c->ok = ok;
	c->diag = diag ? xstrdup(diag) : NULL;
}

/* What one attempt at t produced, freed. */
static void trial_release_run(struct trial_result *t)
{
	for (size_t j = 0; j < t->nr_boots; j++)
		boot_result_release(&t->boots[j]);
	for (size_t j = 0; j < t->nr_checks; j++) {
		free(t->checks[j].name);
		free(t->checks[j].diag);
	}
	for (size_t j = 0; j < t->recovery.nr_manual; j++)
		free(t->recovery.manual[j]);
	free(t->recovery.manual);
	free(t->recovery.summary);
	free(t->soak.stopped);
	free(t->boots);
	free(t->checks);
	free(t->host);
}

void trial_reset(struct trial_result *t)
{
	trial_release_run(t);
	t->boots = NULL;
	t->nr_boots = t->alloc_boots = 0;
	t->checks = NULL;
	t->nr_checks = t->alloc_checks = 0;
	memset(&t->recovery, 0, sizeof(t->recovery));
	memset(&t->soak, 0, sizeof(t->soak));
	t->host = NULL;
	t->verdict = VERDICT_PASS;
	t->finished = t->aborted = 0;
	t->duration_s = 0;
}

void trial_add_attempt(struct trial_result *t, const char *host, const char *reason)
{
	struct trial_attempt *a;

	ALLOC_GROW(t->attempts, t->nr_attempts + 1, t->alloc_attempts);
	a = &t->attempts[t->nr_attempts++];
	a->host = xstrdup(host);
	a->reason = xstrdup(reason ? reason : "host lost");
}

void trial_set_host(struct trial_result *t, const char *host)
{
	free(t->host);
	t->host = host ? xstrdup(host) : NULL;
}

void recovery_add_manual(struct recovery *r, const char *what)
{
	ALLOC_GROW(r->manual, r->nr_manual + 1, r->alloc_manual);
	r->manual[r->nr_manual++] = xstrdup(what);
}

void boot_result_release(struct boot_result *b)
{
	free(b->title);
	free(b->excerpt);
	free(b->crash_kind);
	free(b->crash_func);
	free(b->crash_module);
	free(b->log);
	free(b->screenshot);
	free(b->shutdown_reason);
	free(b->update_error);
	free(b->samples);
	for (size_t i = 0; i < b->nr_views; i++) {
		free(b->views[i].driver);
		free(b->views[i].title);
		free(b->views[i].note);
		free(b->views[i].file);
	}
	free(b->views);
	free(b->disagree);
}

void repro_add_other(struct repro_entry *e, const char *title)
{
	for (size_t i = 0; i < e->nr_others; i++)
		if (!strcmp(e->others[i].title, title)) {
			e->others[i].count++;
			return;
		}
	ALLOC_GROW(e->others, e->nr_others + 1, e->alloc_others);
	e->others[e->nr_others++] = (struct repro_other){xstrdup(title), 1};
}

void repro_result_free(struct repro_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nr_entries; i++) {
		for (size_t j = 0; j < r->entries[i].nr_others; j++)
			free(r->entries[i].others[j].title);
		free(r->entries[i].others);
		free(r->entries[i].scenario);
	}
	free(r->entries);
	free(r->field_report);
	free(r->signature);
	free(r);
}

void bisect_result_free(struct bisect_result *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nr_files; i++) {
		free(b->files[i].as);
		free(b->files[i].path);
		free(b->files[i].instances);
	}
	for (size_t i = 0; i < b->nr_versions; i++)
		free(b->versions[i].content);
	free(b->files);
	free(b->versions);
	free(b->scenario);
	free(b->content);
	free(b->signature);
	free(b);
}

void run_result_release(struct run_result *r)
{
	if (!r)
		return;
	repro_result_free(r->repro);
	bisect_result_free(r->bisect);
	for (size_t i = 0; i < r->nr_trials; i++) {
		struct trial_result *t = &r->trials[i];

		trial_release_run(t);
		for (size_t j = 0; j < t->nr_attempts; j++) {
			free(t->attempts[j].host);
			free(t->attempts[j].reason);
		}
		free(t->attempts);
		free(t->skipped);
		free(t->dir);
	}
	free(r->trials);
	for (size_t i = 0; i < r->nr_rings; i++) {
		free(r->rings[i].name);
		free(r->rings[i].reason);
	}
	free(r->rings);
	free(r->run_id);
	free(r->dir);
	free(r->suite_path);
	free(r->accel);
	free(r->accel_reason);
	free(r->host);
	free(r->incomplete_reason);
	free(r->work_dir);
	memset(r, 0, sizeof(*r));
}
