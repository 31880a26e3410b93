/*
 * report-json - render a run_result as results.json, and read it back
 * checked (see report-json.h).
 */
#include "report-json.h"

#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "report-digest.h"
#include "report-schema.h"

/* Any text as a JSON string: repaired to valid UTF-8 (escape.h), never dropped. */
static json_t *jstr(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	escape_text(&sb, s, strlen(s));
	j = json_stringn(sb.buf, sb.len);
	strbuf_release(&sb);
	return j ? j : json_string("");
}

/* A figure the agent reported, or null. */
static json_t *figure(long long v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *samples_json(const struct boot_result *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->nr_samples; i++) {
		const struct mem_sample *m = &b->samples[i];
		json_t *o = json_object();

		json_object_set_new(o, "n", json_integer(m->n));
		json_object_set_new(o, "t_s", json_real(m->t_s));
		json_object_set_new(o, "mem_available_kib", figure(m->mem_available_kib));
		json_object_set_new(o, "mem_free_kib", figure(m->mem_free_kib));
		json_object_set_new(o, "slab_kib", figure(m->slab_kib));
		json_object_set_new(o, "module_bytes", figure(m->module_bytes));
		json_array_append_new(a, o);
	}
	return a;
}

/* "0x50", "0xFFFFF8048B58334C": hex strings, since JSON numbers cannot hold every u64 exactly. */
static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llX", (unsigned long long)v);
	return json_string(buf);
}

static json_t *sources_json(const struct boot_result *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->nr_views; i++) {
		const struct source_view *v = &b->views[i];
		json_t *o = json_object(), *params = json_array();

		for (int k = 0; k < v->nparams && k < 4; k++)
			json_array_append_new(params, hex(v->param[k]));
		json_object_set_new(o, "source", jstr(v->source));
		json_object_set_new(o, "title", jstr(v->title));
		json_object_set_new(o, "code", v->has_code ? hex(v->code) : json_null());
		json_object_set_new(o, "parameters", params);
		json_object_set_new(o, "driver", jstr(v->driver));
		json_object_set_new(o, "file", jstr(v->file));
		json_object_set_new(o, "note", jstr(v->note));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *report_json_boot(const struct boot_result *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer(b->n));
	json_object_set_new(o, "step", json_integer(b->step));
	json_object_set_new(o, "expect", b->expect == OUTCOME_NONE ? json_string("any")
								  : jstr(outcome_name(b->expect)));
	json_object_set_new(o, "outcome", jstr(outcome_name(b->outcome)));
	/* Judged once, by trial_boot_judge(); null while the boot runs. */
	json_object_set_new(o, "ok", b->outcome == OUTCOME_NONE ? json_null() : json_boolean(b->ok));
	json_object_set_new(o, "title", jstr(b->title));
	json_object_set_new(o, "duration_s", json_real(b->duration_s));
	json_object_set_new(o, "detect_ms", json_real(b->detect_ms));
	json_object_set_new(o, "start_ms", json_real(b->start_ms));
	json_object_set_new(o, "log", jstr(b->log));
	json_object_set_new(o, "screenshot", jstr(b->screenshot));
	json_object_set_new(o, "crash_line", json_integer((json_int_t)b->crash_line));
	json_object_set_new(o, "crash_kind", jstr(b->crash_kind));
	json_object_set_new(o, "crash_function", jstr(b->crash_func));
	json_object_set_new(o, "crash_module", jstr(b->crash_module));
	json_object_set_new(o, "tainted_oot", json_boolean(b->tainted_oot));
	json_object_set_new(o, "marker_seen", json_boolean(b->marker_seen));
	json_object_set_new(o, "guest_panicked", json_boolean(b->panicked));
	json_object_set_new(o, "shutdown_reason", jstr(b->shutdown_reason));
	json_object_set_new(o, "excerpt", jstr(b->excerpt));
	json_object_set_new(o, "update_installed", json_boolean(b->update_installed));
	json_object_set_new(o, "live_pushed", json_boolean(b->live_pushed));
	json_object_set_new(o, "update_error", jstr(b->update_error));
	json_object_set_new(o, "restored", json_boolean(b->restored));
	json_object_set_new(o, "powered_off", json_boolean(b->powered_off));
	/* A soak's: how many pushes this boot took, and the guest's figures after each. */
	if (b->pushes || b->nr_samples) {
		json_object_set_new(o, "pushes", json_integer(b->pushes));
		json_object_set_new(o, "samples", samples_json(b));
	}
	/* A crash boot of a profile with dump artifacts: what each source saw. */
	if (b->nr_views) {
		json_object_set_new(o, "sources", sources_json(b));
		json_object_set_new(o, "sources_disagree", jstr(b->disagree));
	}
	return o;
}

json_t *report_json_check(const struct check_result *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", jstr(c->name));
	json_object_set_new(o, "ok", json_boolean(c->ok));
	json_object_set_new(o, "diag", jstr(c->diag));
	return o;
}

static json_t *recovery_json(const struct recovery *r)
{
	json_t *o = json_object(), *manual = json_array();

	for (size_t i = 0; i < r->nr_manual; i++)
		json_array_append_new(manual, jstr(r->manual[i]));
	json_object_set_new(o, "summary", jstr(r->summary));
	json_object_set_new(o, "recovered_without_manual_steps", json_boolean(r->recovered));
	json_object_set_new(o, "boots_to_recovery", r->recovered ? json_integer(r->boots) : json_null());
	json_object_set_new(o, "boots_tried", json_integer(r->boots));
	json_object_set_new(o, "max_boots", json_integer(r->max_boots));
	json_object_set_new(o, "time_to_recovery_s", r->recovered ? json_real(r->seconds) : json_null());
	json_object_set_new(o, "rollback_arrived_at_boot",
			    r->rollback_boot ? json_integer(r->rollback_boot) : json_null());
	json_object_set_new(o, "manual_steps", manual);
	json_object_set_new(o, "manual_steps_needed", json_integer((json_int_t)r->nr_manual));
	json_object_set_new(o, "manual_remediation_verified", json_boolean(r->remediation_verified));
	if (r->stuck_boot)
		json_object_set_new(o, "stuck_at_recovery_boot", json_integer(r->stuck_boot));
	return o;
}

static json_t *soak_json(const struct soak_result *k)
{
	json_t *o = json_object();

	json_object_set_new(o, "step", json_integer(k->step));
	json_object_set_new(o, "unit", json_string(k->pushes ? "push" : "boot"));
	json_object_set_new(o, "planned", json_integer(k->planned));
	json_object_set_new(o, "done", json_integer(k->done));
	json_object_set_new(o, "duration_limit_s", k->duration_s ? json_integer(k->duration_s)
								  : json_null());
	json_object_set_new(o, "seconds", json_real(k->seconds));
	json_object_set_new(o, "stopped", jstr(k->stopped));
	return o;
}

/* What the trial ran, byte for byte: --compare's test of "unchanged" (report-digest.h). */
static void add_digests(json_t *o, const struct scenario *sc)
{
	char hex[SHA256_HEX_LEN + 1];

	if (report_digest_image(sc, hex) == 0)
		json_object_set_new(o, "image_sha256", json_string(hex));
	if (report_digest_sensor(sc->sensor, hex) == 0)
		json_object_set_new(o, "sensor_sha256", json_string(hex));
	if (sc->content && report_digest_content(sc->content, hex) == 0)
		json_object_set_new(o, "content_sha256", json_string(hex));
}

/* The attempts lost with their host (hostpool.h), in order. */
static json_t *attempts_json(const struct trial_result *t)
{
	json_t *a = json_array();

	for (size_t i = 0; i < t->nr_attempts; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "host", jstr(t->attempts[i].host));
		json_object_set_new(x, "reason", jstr(t->attempts[i].reason));
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *trial_json(const struct trial_result *t, const char *accel)
{
	const struct scenario *sc = t->scenario;
	json_t *o = json_object(), *boots = json_array(), *checks = json_array();

	json_object_set_new(o, "name", jstr(sc->name));
	json_object_set_new(o, "image", jstr(sc->image->name));
	json_object_set_new(o, "sensor", jstr(sc->sensor->name));
	json_object_set_new(o, "content", jstr(sc->content ? sc->content->name : NULL));
	json_object_set_new(o, "expect", jstr(outcome_name(sc->expect)));
	json_object_set_new(o, "boots_planned", json_integer(sc->boots));
	json_object_set_new(o, "verdict", t->finished ? jstr(verdict_name(t->verdict)) : json_null());
	json_object_set_new(o, "accelerator", jstr(accel));
	json_object_set_new(o, "duration_s", json_real(t->duration_s));
	json_object_set_new(o, "dir", jstr(t->dir));
	add_digests(o, sc);
	for (size_t i = 0; i < t->nr_boots; i++)
		json_array_append_new(boots, report_json_boot(&t->boots[i]));
	for (size_t i = 0; i < t->nr_checks; i++)
		json_array_append_new(checks, report_json_check(&t->checks[i]));
	json_object_set_new(o, "boots", boots);
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "recovery",
			    t->recovery.tracked ? recovery_json(&t->recovery) : json_null());
	json_object_set_new(o, "soak", t->soak.tracked ? soak_json(&t->soak) : json_null());
	json_object_set_new(o, "ring", jstr(sc->ring ? sc->ring->name : NULL));
	json_object_set_new(o, "skipped", jstr(t->skipped));
	json_object_set_new(o, "host", jstr(t->host));
	if (t->nr_attempts)
		json_object_set_new(o, "attempts", attempts_json(t));
	if (t->race_drawn) {
		json_t *race = json_object();

		json_object_set_new(race, "agent_delay_ms", t->agent_delay_ms < 0
								? json_null()
								: json_integer(t->agent_delay_ms));
		json_object_set_new(race, "sensor_delay_ms", t->sensor_delay_ms < 0
								 ? json_null()
								 : json_integer(t->sensor_delay_ms));
		json_object_set_new(o, "race", race);
	}
	return o;
}

static json_t *repro_entry_json(const struct repro_entry *e)
{
	json_t *o = json_object(), *others = json_array();

	for (size_t i = 0; i < e->nr_others; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "title", jstr(e->others[i].title));
		json_object_set_new(x, "count", json_integer(e->others[i].count));
		json_array_append_new(others, x);
	}
	json_object_set_new(o, "scenario", jstr(e->scenario));
	json_object_set_new(o, "trials", json_integer(e->trials));
	json_object_set_new(o, "reproduced", json_integer(e->reproduced));
	json_object_set_new(o, "other_crashes", json_integer(e->other));
	json_object_set_new(o, "clean", json_integer(e->clean));
	json_object_set_new(o, "others", others);
	json_object_set_new(o, "rate", json_real(e->rate));
	json_object_set_new(o, "ci_low", json_real(e->ci_low));
	json_object_set_new(o, "ci_high", json_real(e->ci_high));
	return o;
}

static json_t *repro_json(const struct repro_result *r)
{
	json_t *o = json_object(), *entries = json_array();

	for (size_t i = 0; i < r->nr_entries; i++)
		json_array_append_new(entries, repro_entry_json(&r->entries[i]));
	json_object_set_new(o, "field_report", jstr(r->field_report));
	json_object_set_new(o, "signature", jstr(r->signature));
	json_object_set_new(o, "precision", json_real(r->precision));
	json_object_set_new(o, "max_trials", json_integer(r->max_trials));
	json_object_set_new(o, "entries", entries);
	return o;
}

static json_t *rate_json(const struct bisect_rate *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "trials", json_integer(r->trials));
	json_object_set_new(o, "crashes", json_integer(r->crashes));
	json_object_set_new(o, "rate", r->trials ? json_real((double)r->crashes / r->trials)
						 : json_null());
	return o;
}

static json_t *bisect_json(const struct bisect_result *b)
{
	json_t *o = json_object(), *files = json_array(), *versions = json_array();

	for (size_t i = 0; i < b->nr_files; i++) {
		const struct bisect_file *f = &b->files[i];
		json_t *fo = json_object(), *inst = json_array();

		for (size_t j = 0; j < f->nr_instances; j++)
			json_array_append_new(inst, json_integer((json_int_t)f->instances[j]));
		json_object_set_new(fo, "as", jstr(f->as));
		json_object_set_new(fo, "path", jstr(f->path));
		json_object_set_new(fo, "instances", f->of_instances ? inst : json_null());
		if (!f->of_instances)
			json_decref(inst);
		json_object_set_new(fo, "of_instances",
				    f->of_instances ? json_integer((json_int_t)f->of_instances)
						    : json_null());
		json_array_append_new(files, fo);
	}
	for (size_t i = 0; i < b->nr_versions; i++) {
		json_t *vo = rate_json(&b->versions[i].rate);

		json_object_set_new(vo, "content", jstr(b->versions[i].content));
		json_object_set_new(vo, "verdict", jstr(b->versions[i].verdict));
		json_array_append_new(versions, vo);
	}
	json_object_set_new(o, "scenario", jstr(b->scenario));
	json_object_set_new(o, "content", jstr(b->content));
	json_object_set_new(o, "signature", jstr(b->signature));
	json_object_set_new(o, "title_given", json_boolean(b->title_given));
	json_object_set_new(o, "outcome", jstr(b->outcome));
	json_object_set_new(o, "p", json_real(b->p));
	json_object_set_new(o, "k", json_integer(b->k));
	json_object_set_new(o, "full", rate_json(&b->full));
	json_object_set_new(o, "minimal", files);
	json_object_set_new(o, "minimal_rate", rate_json(&b->minimal));
	json_object_set_new(o, "rounds", json_integer(b->rounds));
	json_object_set_new(o, "trials", json_integer(b->trials));
	json_object_set_new(o, "wall_s", json_real(b->wall_s));
	json_object_set_new(o, "versions", b->versions ? versions : json_null());
	if (!b->versions)
		json_decref(versions);
	json_object_set_new(o, "last_good", jstr(b->last_good));
	json_object_set_new(o, "first_bad", jstr(b->first_bad));
	return o;
}

/* A staged run's rings: each one's state and trial counts. */
static json_t *rings_json(const struct run_result *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nr_rings; i++) {
		json_t *o = json_object();
		size_t n[4] = {0}; /* trials, passed, failed (fail or infra), skipped */

		for (size_t j = 0; j < r->nr_trials; j++) {
			const struct trial_result *t = &r->trials[j];

			if (!t->scenario->ring || t->scenario->ring->index != i)
				continue;
			n[0]++;
			if (t->skipped)
				n[3]++;
			else if (t->finished)
				n[t->verdict == VERDICT_PASS ? 1 : 2]++;
		}
		json_object_set_new(o, "index", json_integer((json_int_t)i));
		json_object_set_new(o, "name", jstr(r->rings[i].name));
		json_object_set_new(o, "state", json_string(ring_state_name(r->rings[i].state)));
		json_object_set_new(o, "reason", jstr(r->rings[i].reason));
		json_object_set_new(o, "trials", json_integer((json_int_t)n[0]));
		json_object_set_new(o, "passed", json_integer((json_int_t)n[1]));
		json_object_set_new(o, "failed", json_integer((json_int_t)n[2]));
		json_object_set_new(o, "skipped", json_integer((json_int_t)n[3]));
		json_array_append_new(a, o);
	}
	return a;
}

int report_json_write(const struct run_result *r, const char *path, struct bp_error *err)
{
	json_t *root = json_object(), *trials = json_array(), *summary = json_object();
	size_t counts[3] = {0}, skipped = 0;
	char started[32];
	time_t t = (time_t)r->started_unix;
	int ret;

	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	for (size_t i = 0; i < r->nr_trials; i++) {
		if (r->trials[i].finished)
			counts[r->trials[i].verdict]++;
		skipped += r->trials[i].skipped != NULL;
		json_array_append_new(trials, trial_json(&r->trials[i], r->accel));
	}
	json_object_set_new(summary, "scenarios", json_integer((json_int_t)r->nr_trials));
	json_object_set_new(summary, "pass", json_integer((json_int_t)counts[VERDICT_PASS]));
	json_object_set_new(summary, "fail", json_integer((json_int_t)counts[VERDICT_FAIL]));
	json_object_set_new(summary, "infra", json_integer((json_int_t)counts[VERDICT_INFRA]));
	json_object_set_new(summary, "skipped", json_integer((json_int_t)skipped));
	json_object_set_new(root, "schema", json_string("bootproof-results"));
	json_object_set_new(root, "schema_version", json_integer(RESULTS_SCHEMA_VERSION));
	json_object_set_new(root, "run_id", jstr(r->run_id));
	json_object_set_new(root, "suite", jstr(r->suite_path));
	json_object_set_new(root, "started", json_string(started));
	json_object_set_new(root, "duration_s", json_real(r->duration_s));
	json_object_set_new(root, "complete", json_boolean(r->complete));
	json_object_set_new(root, "incomplete_reason", jstr(r->incomplete_reason));
	json_object_set_new(root, "host", jstr(r->host));
	json_object_set_new(root, "accelerator", jstr(r->accel));
	json_object_set_new(root, "accelerator_reason", jstr(r->accel_reason));
	json_object_set_new(root, "jobs", json_integer(r->jobs));
	json_object_set_new(root, "trials_s", json_real(r->trials_s));
	json_object_set_new(root, "work_dir", jstr(r->work_dir));
	json_object_set_new(root, "harness_peak_rss_kib", json_integer(r->peak_rss_kib));
	if (r->shard_total) {
		json_t *shard = json_object();

		json_object_set_new(shard, "index", json_integer(r->shard_index));
		json_object_set_new(shard, "total", json_integer(r->shard_total));
		json_object_set_new(shard, "suite_sha256", json_string(r->suite_sha256));
		json_object_set_new(shard, "partition_sha256", json_string(r->partition_sha256));
		json_object_set_new(root, "shard", shard);
	}
	json_object_set_new(root, "summary", summary);
	if (r->nr_rings)
		json_object_set_new(root, "rings", rings_json(r));
	json_object_set_new(root, "scenarios", trials);
	json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
	if (r->repro)
		json_object_set_new(root, "repro", repro_json(r->repro));
	if (r->bisect)
		json_object_set_new(root, "bisect", bisect_json(r->bisect));
	ret = report_json_save(root, path, err);
	json_decref(root);
	return ret;
}

int report_json_save(const json_t *root, const char *path, struct bp_error *err)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (!text)
		return error_set(err, "cannot encode '%s'", path);
	strbuf_adds(&sb, text);
	strbuf_addch(&sb, '\n');
	ret = write_file_atomic(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	free(text);
	return ret;
}

int report_json_parse(const char *text, size_t len, const char *what, json_t **ret,
		      struct bp_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	const char *schema = json_string_value(json_object_get(root, "schema"));
	json_t *version = json_object_get(root, "schema_version");
	int ret_code = -1;

	*ret = NULL;
	if (!root) {
		error_set(err, "%s:%d:%d: %s", what, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root) || !schema || strcmp(schema, RESULTS_SCHEMA_NAME)) {
		error_set(err, "'%s' is not a bootproof results file (no \"schema\": \"%s\")", what,
			  RESULTS_SCHEMA_NAME);
		goto out;
	}
	if (!json_is_integer(version) || json_integer_value(version) != RESULTS_SCHEMA_VERSION) {
		error_set(err, "'%s': unsupported schema_version %lld (this bootproof reads %d)",
			  what, (long long)json_integer_value(version), RESULTS_SCHEMA_VERSION);
		goto out;
	}
	if (report_schema_check(root, what, err) < 0)
		goto out;
	*ret = root;
	root = NULL;
	ret_code = 0;
out:
	json_decref(root);
	return ret_code;
}

int report_load(const char *run_dir, json_t **ret, struct bp_error *err)
{
	char *path = xasprintf("%s/results.json", run_dir);
	struct strbuf sb = STRBUF_INIT;
	int ret_code = -1;

	*ret = NULL;
	if (read_file(path, &sb, NULL) < 0)
		error_set(err, "cannot read '%s': %s", path, strerror(errno));
	else
		ret_code = report_json_parse(sb.buf, sb.len, path, ret, err);
	strbuf_release(&sb);
	free(path);
	return ret_code;
}
