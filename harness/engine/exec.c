/*
 * exec - the step engine of one trial (see exec.h).
 */
#define _GNU_SOURCE
#include "exec.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disks.h"
#include "collect.h"
#include "guest.h"
#include "backend.h"
#include "trial.h"

#define OFFLINE_TIMEOUT_MS (10 * 60 * 1000)

static const struct step *cur(const struct exec *e)
{
	return e->step < e->sc->nr_steps ? &e->sc->steps[e->step] : NULL;
}

static void next_step(struct exec *e)
{
	e->step++;
	e->step_started = 0;
	e->step_boots = 0;
	e->clean_streak = 0;
}

static void add_checkf(struct exec *e, int ok, const char *diag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_checkf(struct exec *e, int ok, const char *diag, const char *fmt, ...)
{
	struct strbuf name = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&name, "step %zu: ", e->step + 1);
	va_start(ap, fmt);
	strbuf_vaddf(&name, fmt, ap);
	va_end(ap);
	trial_add_check(e->t, name.buf, ok, ok ? NULL : diag);
	strbuf_release(&name);
}

static void boot_done_cb(void *ctx, struct boot *b);

/*
 * This boot's switches: the scenario's, its race knobs (the trial's draw
 * from a range, when there was one; t NULL: the scenario's own), a
 * power_off step's.
 */
/* The race knobs of trial t: its draw from a range, when there was one; t NULL: the scenario's. */
static void race_delays(const struct scenario *sc, const struct trial_result *t, int *agent,
			int *sensor)
{
	int drawn = t && t->race_drawn;

	*agent = drawn ? t->agent_delay_ms : sc->agent_delay_ms;
	*sensor = drawn ? t->sensor_delay_ms : sc->sensor_delay_ms;
}

static char *boot_switches(const struct scenario *sc, const struct trial_result *t,
			   const struct step *power_off)
{
	struct strbuf sb = STRBUF_INIT;
	int agent, sensor;

	if (sc->append)
		strbuf_addf(&sb, " %s", sc->append);
	/* profile: the guest says how the race knobs reach it (else disks_race_ops()) */
	race_delays(sc, t, &agent, &sensor);
	if (sc->image->guest->race_knobs)
		sc->image->guest->race_knobs(&sb, agent, sensor);
	if (power_off && power_off->append)
		strbuf_addf(&sb, " %s", power_off->append);
	return strbuf_detach(&sb);
}

/* A cold boot's command line: the image's, then this boot's switches. */
static char *cold_append(const struct scenario *sc, const struct trial_result *t,
			 const struct step *power_off)
{
	char *switches = boot_switches(sc, t, power_off);
	char *append = xasprintf("%s%s", sc->image->append, switches);

	free(switches);
	return append;
}

/*
 * How boot b starts, into e->vm, e->restore and e->resume: the live
 * deploy's booted state for the trial's first boot, else the pre-mount
 * state when the boot's switches can be typed on its console, else cold.
 */
static void choose_start(struct exec *e, const struct boot_result *b,
			 const struct step *power_off)
{
	const struct scenario *sc = e->sc;
	const struct guest_profile *guest = sc->image->guest;
	char *switches = boot_switches(sc, e->t, power_off);
	const char *backend = backend_of(sc->image, e->env.backend);
	/* The backend says which saved states its boots restore: none is a cold boot. */
	int restores = backend_restores(backend);
	const void *premount =
	    backend_premount_state(backend, e->env.host, sc->image, e->env.disk.premount);

	free(e->append);
	e->append = NULL;
	e->restore = NULL;
	strbuf_reset(&e->resume);
	if (b->n == 1 && e->env.disk.live && restores) {
		e->restore = e->env.disk.live;
		e->append = exec_append(sc);
	} else if (premount &&
		   guest->resume_line(&e->resume, switches, random_u64() /* each copy of the saved state its own */, (int64_t)time(NULL)) == 0) {
		e->restore = premount;
		e->append = exec_premount_append(sc);
	} else {
		strbuf_reset(&e->resume);
		e->append = cold_append(sc, e->t, power_off);
	}
	e->vm = exec_vm_config(sc, e->env.accel, e->append, e->env.disk.overlay, e->env.work_dir);
	free(switches);
}

static void start_boot(struct exec *e, enum outcome expect, const struct step *power_off)
{
	const struct scenario *sc = e->sc;
	const struct guest_profile *guest = sc->image->guest;
	struct boot_result *b = trial_add_boot(e->t);

	b->step = (int)e->step + 1;
	b->expect = expect;
	b->log = xasprintf("%s/boot-%d.log", e->t->dir, b->n);
	free(e->log_path);
	e->log_path = xasprintf("%s/%s", e->env.run_dir, b->log);
	free(e->shot_rel);
	free(e->shot_path);
	e->shot_rel = xasprintf("%s/boot-%d.png", e->t->dir, b->n);
	e->shot_path = xasprintf("%s/%s", e->env.run_dir, e->shot_rel);
	free(e->dump_rel);
	free(e->dump_path);
	e->dump_rel = xasprintf("%s/boot-%d.dmp", e->t->dir, b->n);
	e->dump_path = xasprintf("%s/%s", e->env.run_dir, e->dump_rel);
	choose_start(e, b, power_off);
	e->p = (struct boot_params){
		.machine = backend_machine_new(backend_of(sc->image, e->env.backend), e->env.host,
					       &e->vm),
		.guest = sc->image->guest,
		.loop = e->env.loop,
		.on_done = boot_done_cb,
		.ctx = e,
		.marker = sc->image->marker,
		.log_contains = sc->log_contains,
		.boot_timeout_ms = sc->boot_timeout_s * 1000,
		.silence_timeout_ms = sc->silence_timeout_s * 1000,
		.log_path = e->log_path,
		.publish = e->published,
		.push = e->push,
		.evaluated = sc->sensor->evaluated_re,
		.settle_ms = sc->settle_ms,
		.restore = e->restore,
		.resume_input = e->resume.len ? e->resume.buf : NULL,
		.power_off_at = power_off ? power_off->at : NULL,
		/* profile: a screenshot only for a guest whose profile collects one */
		.screenshot_path = guest->artifacts & GUEST_ARTIFACT_SCREENSHOT ? e->shot_path : NULL,
		.screenshot_rel = e->shot_rel,
		/* profile: a host-side dump at the panic event (guest.h) */
		.dump_path = guest->artifacts & GUEST_ARTIFACT_HOST_DUMP ? e->dump_path : NULL,
		.dump_rel = e->dump_rel,
		.recovery_screen = sc->recovery == 1,
	};
	e->push = NULL; /* a live deploy reaches exactly one boot */
	if (cur(e) && cur(e)->kind == STEP_SOAK) {
		e->p.stats = 1;
		e->p.soak_pushes = cur(e)->soak_pushes ? cur(e)->count : 0;
		e->p.soak_until_ms = e->soak_until_ms;
		if (cur(e)->soak_pushes)
			e->p.push = cur(e)->content;
	}
	e->step_boots++;
	e->booting = 1;
	boot_start(&e->boot, &e->p, b);
}

struct vm_config exec_vm_config(const struct scenario *sc, const char *accel, const char *append,
				const char *disk, const char *run_dir)
{
	return (struct vm_config){.guest = sc->image->guest, /* profile: the machine */
				  .accel = accel,
				  .kernel = sc->image->kernel,
				  .initrd = sc->image->initrd,
				  .append = append,
				  .disk = disk,
				  .memory_mib = sc->image->memory_mib,
				  .run_dir = run_dir};
}

static void abort_trial(struct exec *e, const char *why)
{
	if (e->base) {
		/* Before step 1: no step to name. */
		char *name = xasprintf("base content injection failed: %s", why);

		trial_add_check(e->t, name, 0, why);
		free(name);
		e->base = 0;
	} else {
		add_checkf(e, 0, why, "offline operation on the trial disk");
	}
	e->t->aborted = 1;
	e->step = e->sc->nr_steps;
}

static void offline_done(struct exec *e, int ok, const char *why);
static void collect_done(struct exec *e, int ok, const char *why);
static void advance(struct exec *e);

/* The worker exited, or its deadline passed (exited 0): its results into checks. */
static void offline_end(struct exec *e, int exited)
{
	struct bp_error err;
	int ok;

	loop_fd_remove(e->env.loop, e->id_offline);
	loop_timer_remove(e->env.loop, e->t_offline);
	e->id_offline = e->t_offline = 0;
	ok = inject_finish(&e->task, !exited, &err) == 0;
	offline_done(e, ok, exited ? err.msg : "libguestfs did not finish in time");
	advance(e);
}

static void on_offline_exit(struct loop *l, int fd, short revents, void *ctx)
{
	offline_end(ctx, 1);
}

static void on_offline_late(struct loop *l, void *ctx)
{
	offline_end(ctx, 0);
}

static void start_offline(struct exec *e)
{
	struct bp_error err;

	e->job = (struct inject_job){e->env.disk.overlay, e->ops.v, e->ops.nr};
	if (inject_start(&e->task, &e->job, 1, e->env.accel, &err) < 0) {
		if (e->collecting)
			collect_done(e, 0, err.msg);
		else
			abort_trial(e, err.msg);
		inject_ops_release(&e->ops);
		return;
	}
	e->offline = 1;
	if (!e->collecting) /* a crash boot's dumps are no step of their own */
		e->t_step_ms = now_ms();
	e->id_offline = loop_fd_add(e->env.loop, e->task.fd, POLLIN, on_offline_exit, e);
	e->t_offline =
	    loop_timer_add(e->env.loop, now_ms() + OFFLINE_TIMEOUT_MS, on_offline_late, e);
}

/* The current step's offline operation finished: turn its results into checks. */
/* A remediation's offline work is done: each part a manual step and a check. */
static void remediated(struct exec *e, const struct step *s)
{
	int removed = 0;

	for (size_t i = 0; i < e->ops.nr; i++) {
		const struct inject_op *op = &e->ops.v[i];
		char *what = op->kind == INJECT_SERVICE_START
				 ? xasprintf("offline: service %s disabled (Start=4)", op->name)
			     : op->kind == INJECT_SAFEBOOT
				 ? xasprintf("offline: the next boot %s Safe Mode",
					     op->value ? "is in" : "leaves")
				 : xasprintf("offline delete of %s (%d file%s)", op->guest,
					     op->result, op->result == 1 ? "" : "s");

		recovery_add_manual(&e->t->recovery, what);
		if (op->kind == INJECT_REMOVE_GLOB)
			removed += op->result;
		if (op->kind == INJECT_SERVICE_START)
			add_checkf(e, op->result, "no such service", "service %s disabled", op->name);
		free(what);
	}
	if (s->nr_remove)
		add_checkf(e, removed > 0, "nothing matched", "manual remediation removed %d file%s",
			   removed, removed == 1 ? "" : "s");
}

struct collect_ctx {
	struct exec *e;
	struct boot_result *b;
	const char *dir_rel; /* the dumps' directory, relative to the run directory */
	int views;
};

/* One copied dump: this boot's unless an earlier boot collected it (exec.h). */
static void collected_one(void *ctx, const struct collected *c)
{
	struct collect_ctx *cc = ctx;
	struct exec *e = cc->e;
	const struct guest_profile *guest = e->sc->image->guest;
	char *key, *path;
	struct source_view *v;
	struct bp_error err;

	if (c->left) {
		v = boot_add_view(cc->b, SOURCE_DUMP);
		v->note = xasprintf("%llu more dump%s on the guest disk left out",
				    (unsigned long long)c->left, c->left == 1 ? "" : "s");
		return;
	}
	key = xasprintf("%llu %lld %s\n", (unsigned long long)c->size, (long long)c->mtime,
			c->guest);
	path = xasprintf("%s/%s", e->dumps_dir, c->name);
	if (strstr(e->dumps_seen.buf, key)) {
		unlink(path); /* an earlier boot's, collected then */
		goto out;
	}
	strbuf_adds(&e->dumps_seen, key);
	v = boot_add_view(cc->b, SOURCE_DUMP);
	cc->views++;
	v->file = xasprintf("%s/%s", cc->dir_rel, c->name);
	if (guest->dump_view && guest->dump_view(path, v, &err) < 0)
		v->note = xasprintf("%s: %s", c->guest, err.msg);
	else if (c->copied < c->size)
		v->note = xasprintf("%s: truncated, %llu of %llu bytes copied", c->guest,
				    (unsigned long long)c->copied, (unsigned long long)c->size);
	else
		v->note = xstrdup(c->guest);
out:
	free(path);
	free(key);
}

/* The crash boot's dumps are copied (or could not be): its views, then their comparison. */
static void collect_done(struct exec *e, int ok, const char *why)
{
	struct boot_result *b = &e->t->boots[e->t->nr_boots - 1];
	struct collect_ctx cc = {e, b, NULL, 0};
	struct bp_error err;
	char *rel = xasprintf("%s/boot-%d-dumps", e->t->dir, b->n);

	e->collecting = 0;
	cc.dir_rel = rel;
	if (ok && collect_manifest_read(e->dumps_dir, collected_one, &cc, &err) < 0) {
		ok = 0;
		why = err.msg;
	}
	if (!ok || !cc.views) {
		struct source_view *v = boot_add_view(b, SOURCE_DUMP);

		v->note = ok ? xstrdup("no dump: none new on the guest disk")
			     : xasprintf("no dump: cannot copy the guest's dumps: %s", why);
	}
	if (!cc.views)
		remove_tree(e->dumps_dir);
	trial_boot_sources(b);
	free(rel);
	free(e->dumps_dir);
	e->dumps_dir = NULL;
}

/* After a crash boot of a profile that keeps the OS's dumps: copy them off (exec.h). */
static int collect_start(struct exec *e, const struct boot_result *b)
{
	const struct guest_profile *guest = e->sc->image->guest;
	struct bp_error err;

	if (!(guest->artifacts & GUEST_ARTIFACT_DUMPS) || !guest->dump_globs ||
	    b->outcome != OUTCOME_CRASH || bp_interrupted)
		return 0;
	e->dumps_dir = xasprintf("%s/%s/boot-%d-dumps", e->env.run_dir, e->t->dir, b->n);
	if (mkdir_p(e->dumps_dir, &err) < 0) {
		e->collecting = 1;
		collect_done(e, 0, err.msg);
		return 0;
	}
	for (const char *const *g = guest->dump_globs; *g; g++) {
		inject_ops_add(&e->ops, INJECT_COLLECT, e->dumps_dir, *g);
		e->ops.v[e->ops.nr - 1].value = EXEC_DUMP_MAX;
	}
	e->collecting = 1;
	start_offline(e);
	return 1;
}

static void offline_done(struct exec *e, int ok, const char *why)
{
	const struct step *s = cur(e);
	size_t k = 0;

	e->offline = 0;
	if (e->collecting) {
		collect_done(e, ok, why);
		inject_ops_release(&e->ops);
		return;
	}
	if (!ok) {
		abort_trial(e, why);
		inject_ops_release(&e->ops);
		return;
	}
	if (e->base) { /* the trial's base content is on its disk: step 1 may start */
		e->base = 0;
		inject_ops_release(&e->ops);
		return;
	}
	switch (s->kind) {
	case STEP_EXPECT_FILES:
		for (size_t i = 0; i < s->nr_present; i++, k++)
			add_checkf(e, e->ops.v[k].result == 1, "no such file on the guest disk",
				   "guest disk has %s", s->present[i]);
		for (size_t i = 0; i < s->nr_absent; i++, k++)
			add_checkf(e, e->ops.v[k].result == 0, "still on the guest disk",
				   "guest disk lacks %s", s->absent[i]);
		break;
	case STEP_REMEDIATE:
		remediated(e, s);
		break;
	default:
		break;
	}
	inject_ops_release(&e->ops);
	next_step(e);
}

/* Checks at the end of a boot step over the boots it made. */
static void finish_boot_step(struct exec *e, const struct step *s)
{
	const struct trial_result *t = e->t;
	int ok = 1, crashes = 0;

	if (!s->title)
		return;
	for (size_t i = t->nr_boots - (size_t)e->step_boots; i < t->nr_boots; i++)
		if (t->boots[i].outcome == OUTCOME_CRASH) {
			crashes++;
			ok &= t->boots[i].title && strstr(t->boots[i].title, s->title) != NULL;
		}
	add_checkf(e, ok && crashes, "a boot's crash title differs, or none crashed",
		   "crash title contains '%s'", s->title);
}

static void on_done_timer(struct loop *l, void *ctx)
{
	struct exec *e = ctx;

	e->t_done = 0;
	if (e->env.on_done)
		e->env.on_done(e->env.ctx, e);
}

static void finish(struct exec *e)
{
	struct recovery *r = &e->t->recovery;

	if (r->tracked && !e->t->aborted) {
		if (r->stuck_boot)
			r->summary = xasprintf("not recovered: boot %d stopped at the recovery screen, "
					       "manual remediation needed%s",
					       r->stuck_boot,
					       !r->nr_manual		     ? ""
					       : r->remediation_verified ? "; manual remediation: verified"
									 : "; manual remediation: failed");
		else if (r->recovered)
			r->summary = xasprintf("recovered after %d boot%s, no manual steps", r->boots,
					       r->boots == 1 ? "" : "s");
		else if (r->nr_manual)
			r->summary = xasprintf("not recovered within %d boots; manual remediation: %s",
					       r->max_boots,
					       r->remediation_verified ? "verified" : "failed");
		else
			r->summary = xasprintf("not recovered within %d boots", r->max_boots);
		trial_add_check(e->t, r->summary, r->recovered || r->remediation_verified,
				r->recovered || r->remediation_verified
					? NULL
					: "neither an automatic recovery nor a verified remediation");
	}
	if (!bp_interrupted)
		trial_judge(e->t);
	e->done = 1;
	e->t_done = loop_timer_add(e->env.loop, now_ms(), on_done_timer, e);
}

/* Why soak step s ended after the boot last (NULL: it goes on). */
static char *soak_stop(struct exec *e, const struct step *s, const struct boot_result *last)
{
	int done = s->soak_pushes ? last->pushes : e->step_boots;

	if (last->outcome != OUTCOME_CLEAN)
		return xasprintf("%s %d %s%s%s", s->soak_pushes ? "push" : "boot",
				 s->soak_pushes ? done + 1 : e->step_boots,
				 outcome_name(last->outcome), last->title ? ": " : "",
				 last->title ? last->title : "");
	if (last->update_error)
		return xasprintf("%s %d: %s", s->soak_pushes ? "push" : "boot", done + 1,
				 last->update_error);
	if (done >= s->count)
		return xstrdup("count");
	if (e->soak_until_ms && now_ms() >= e->soak_until_ms)
		return xstrdup("duration");
	if (s->soak_pushes)
		return xasprintf("the boot ended after %d push%s", done, done == 1 ? "" : "es");
	return NULL;
}

/*
 * The soak's figures into t->soak (its first soak step) and its check:
 * every boot or push it made was answered with memory figures, and it
 * made them all unless its time ran out.
 */
static void soak_end(struct exec *e, const struct step *s, char *stopped)
{
	struct soak_result *k = &e->t->soak;
	const struct trial_result *t = e->t;
	int done = 0, samples = 0, ok;

	for (size_t i = t->nr_boots - (size_t)e->step_boots; i < t->nr_boots; i++) {
		done += s->soak_pushes ? t->boots[i].pushes : t->boots[i].outcome == OUTCOME_CLEAN;
		samples += (int)t->boots[i].nr_samples;
	}
	ok = (done == s->count || !strcmp(stopped, "duration")) && samples >= done && done > 0;
	if (k->tracked && k->step == (int)e->step + 1) {
		k->done = done;
		k->seconds = (double)(now_ms() - e->t_step_ms) / 1000.0;
		free(k->stopped);
		k->stopped = xstrdup(stopped);
	}
	add_checkf(e, ok,
		   samples < done ? "the guest's agent did not answer STATS (memory figures)"
				  : stopped,
		   "soak: %d of %d %s%s with memory figures (%s)", done, s->count,
		   s->soak_pushes ? "push" : "boot",
		   s->count == 1 ? "" : s->soak_pushes ? "es" : "s", stopped);
	free(stopped);
	next_step(e);
}

static void soak_advance(struct exec *e, const struct step *s)
{
	struct soak_result *k = &e->t->soak;
	char *stopped;

	if (!e->step_boots) {
		if (!k->tracked)
			*k = (struct soak_result){.tracked = 1,
						  .step = (int)e->step + 1,
						  .pushes = s->soak_pushes,
						  .planned = s->count,
						  .duration_s = s->duration_s};
		e->soak_until_ms = s->duration_s ? now_ms() + (int64_t)s->duration_s * 1000 : 0;
		start_boot(e, OUTCOME_CLEAN, NULL);
		return;
	}
	stopped = soak_stop(e, s, &e->t->boots[e->t->nr_boots - 1]);
	if (stopped)
		soak_end(e, s, stopped);
	else
		start_boot(e, OUTCOME_CLEAN, NULL);
}

/* Start the work of the current step, or move on until something runs. */
static void advance(struct exec *e)
{
	while (!e->booting && !e->offline && !e->done) {
		const struct step *s = cur(e);
		struct recovery *r = &e->t->recovery;

		if (!s || bp_interrupted || e->t->aborted) {
			finish(e);
			return;
		}
		if (!e->step_started) {
			e->step_started = 1;
			e->t_step_ms = now_ms();
		}
		switch (s->kind) {
		case STEP_BOOT:
			if (e->step_boots < s->count) {
				start_boot(e, s->expect, NULL);
				break;
			}
			finish_boot_step(e, s);
			next_step(e);
			break;
		case STEP_DEPLOY:
			if (s->live) {
				e->push = s->content;
				next_step(e);
				break;
			}
			inject_ops_add_content(&e->ops, s->content, e->sc->image->guest->content_dir); /* profile */
			start_offline(e);
			break;
		case STEP_ROLLBACK:
			e->published = s->content;
			e->t_published_ms = now_ms();
			next_step(e);
			break;
		case STEP_REBOOT_UNTIL_CLEAN: {
			const struct boot_result *last =
				e->step_boots ? &e->t->boots[e->t->nr_boots - 1] : NULL;

			r->tracked = 1;
			r->max_boots = s->count;
			if (last && last->outcome == OUTCOME_RECOVERY) {
				/* Stuck at the recovery screen: no reboot gets it out. */
				r->stuck_boot = last->n;
				r->boots = e->step_boots;
				next_step(e);
			} else if (last && last->outcome == OUTCOME_CLEAN) {
				r->recovered = r->nr_manual == 0;
				r->boots = e->step_boots;
				r->seconds = (double)(now_ms() - (e->t_published_ms ? e->t_published_ms
										     : e->t_step_ms)) /
					     1000.0;
				next_step(e);
			} else if (e->step_boots < s->count) {
				start_boot(e, OUTCOME_NONE, NULL);
			} else {
				r->boots = e->step_boots;
				next_step(e);
			}
			break;
		}
		case STEP_CLEAN_BOOTS:
			if (e->step_boots < s->count) {
				start_boot(e, OUTCOME_CLEAN, NULL);
				break;
			}
			add_checkf(e, e->clean_streak == s->count, "a boot was not clean",
				   "%d consecutive clean boots", s->count);
			if (r->nr_manual && e->clean_streak == s->count)
				r->remediation_verified = 1;
			next_step(e);
			break;
		case STEP_POWER_OFF:
			if (!e->step_boots) {
				/* Expected: the harness itself cuts the power, so infra by design. */
				start_boot(e, OUTCOME_INFRA, s);
				break;
			}
			add_checkf(e, e->t->boots[e->t->nr_boots - 1].powered_off,
				   "the boot ended before that line appeared", "power off at '%s'",
				   s->at);
			next_step(e);
			break;
		case STEP_EXPECT_FILES:
			for (size_t i = 0; i < s->nr_present; i++)
				inject_ops_add(&e->ops, INJECT_EXISTS, NULL, s->present[i]);
			for (size_t i = 0; i < s->nr_absent; i++)
				inject_ops_add(&e->ops, INJECT_EXISTS, NULL, s->absent[i]);
			start_offline(e);
			break;
		case STEP_SOAK:
			soak_advance(e, s);
			break;
		case STEP_REMEDIATE:
			if (s->only_if_not_recovered && r->recovered) {
				next_step(e);
				break;
			}
			for (size_t i = 0; i < s->nr_remove; i++)
				inject_ops_add(&e->ops, INJECT_REMOVE_GLOB, NULL, s->remove[i]);
			if (s->disable_service)
				inject_ops_add_reg(&e->ops, INJECT_SERVICE_START, s->disable_service,
						   NULL, 4);
			if (s->safe_mode >= 0)
				inject_ops_add_reg(&e->ops, INJECT_SAFEBOOT, NULL, NULL,
						   (unsigned)s->safe_mode);
			start_offline(e);
			break;
		}
	}
}

/*
 * The sensor declares the line it prints once it evaluated a file: a clean
 * boot whose sensor never said so for a file it took proves nothing.
 */
static void check_evaluated(struct exec *e, const struct boot_result *b)
{
	const struct scenario *sc = e->t->scenario;
	char *why = b->unevaluated
			? xasprintf("sensor '%s' printed no console line matching its 'evaluated' "
				    "pattern '%s' for %d pushed file%s it took, within %d ms of the "
				    "agent's answer: the sensor does not evaluate pushed content, or "
				    "the pattern does not match what it prints",
				    sc->sensor->name, sc->sensor->evaluated, b->unevaluated,
				    b->unevaluated == 1 ? "" : "s", sc->settle_ms)
			: NULL;

	trial_add_check(e->t, "the sensor said it evaluated the pushed content", !why, why);
	free(why);
}

static void boot_finished(struct exec *e)
{
	struct boot_result *b = &e->t->boots[e->t->nr_boots - 1];

	boot_release(&e->boot);
	e->booting = 0;
	trial_boot_judge(e->t, b);
	if (b->update_installed && !e->t->recovery.rollback_boot)
		e->t->recovery.rollback_boot = b->n;
	e->clean_streak = b->outcome == OUTCOME_CLEAN ? e->clean_streak + 1 : 0;
	if (e->p.push && b->outcome != OUTCOME_INFRA) {
		int ok = b->live_pushed && !b->update_error;

		trial_add_check(e->t, "live content pushed into the running guest", ok,
				ok ? NULL
				: b->update_error ? b->update_error
						  : "the guest's agent never took the pushed content");
	}
	if (e->p.push && e->p.evaluated && b->outcome == OUTCOME_CLEAN)
		check_evaluated(e, b);
	if (b->outcome == OUTCOME_INFRA && !b->powered_off)
		e->t->aborted = 1;
	if (!collect_start(e, b))
		trial_boot_sources(b);
	if (e->env.on_boot)
		e->env.on_boot(e->env.ctx, e, b);
}

char *exec_append(const struct scenario *sc)
{
	return cold_append(sc, NULL, NULL);
}

char *exec_premount_append(const struct scenario *sc)
{
	return xasprintf("%s %s", sc->image->append, sc->image->guest->premount_switch);
}

void exec_start(struct exec *e, const struct exec_env *env, struct trial_result *t)
{
	memset(e, 0, sizeof(*e));
	e->env = *env;
	e->t = t;
	e->sc = t->scenario;
	e->task.fd = -1;
	strbuf_init(&e->resume);
	strbuf_init(&e->dumps_seen);
	/* Base content first: exactly what a cold boot expects on its disk. */
	e->ops = env->disk.base;
	e->env.disk.base = (struct inject_ops)INJECT_OPS_INIT;
	/* then the trial's race knobs, for a guest that reads them from its disk */
	if (!env->disk.live) {
		int agent, sensor;

		race_delays(e->sc, t, &agent, &sensor);
		disks_race_ops(e->sc, agent, sensor, &e->ops);
	}
	if (e->ops.nr) {
		e->base = 1;
		start_offline(e);
	}
	advance(e);
}

static void boot_done_cb(void *ctx, struct boot *b)
{
	struct exec *e = ctx;

	boot_finished(e);
	advance(e);
}

void exec_release(struct exec *e)
{
	if (e->booting)
		boot_release(&e->boot);
	if (e->offline) {
		loop_fd_remove(e->env.loop, e->id_offline);
		loop_timer_remove(e->env.loop, e->t_offline);
		inject_finish(&e->task, 1, NULL);
	}
	if (e->t_done)
		loop_timer_remove(e->env.loop, e->t_done);
	e->t_done = 0;
	e->booting = e->offline = e->base = 0;
	inject_ops_release(&e->ops);
	free(e->log_path);
	free(e->shot_path);
	free(e->shot_rel);
	free(e->append);
	free(e->dump_path);
	free(e->dump_rel);
	free(e->dumps_dir);
	strbuf_release(&e->resume);
	strbuf_release(&e->dumps_seen);
	e->log_path = e->shot_path = e->shot_rel = e->append = NULL;
	e->dump_path = e->dump_rel = e->dumps_dir = NULL;
	e->collecting = 0;
}
