/*
 * disks - golden snapshots up front, trial overlays on demand (see disks.h).
 */
#define _GNU_SOURCE
#include "disks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "exec.h"
#include "guest.h"
#include "hash.h"

void disks_base_ops(const struct scenario *sc, struct inject_ops *ops)
{
	const struct guest_profile *g = sc->image->guest; /* profile: where things go */

	inject_ops_add(ops, INJECT_UPLOAD, sc->sensor->module, g->sensor_path);
	if (sc->sensor->agent)
		inject_ops_add(ops, INJECT_UPLOAD, sc->sensor->agent, g->agent_path);
	inject_ops_add_content(ops, sc->content, g->content_dir);
}

static void snapshot_booted(void *ctx, struct boot *b)
{
	*(int *)ctx = 1;
}

int disks_snapshot_boot(const struct snapshot_spec *spec, struct machine *m, struct loop *l,
			const char *log_path, int (*saved)(void *ctx, struct bp_error *err),
			void *ctx, struct bp_error *err)
{
	int booted = 0, ret = -1;
	struct boot b;
	struct boot_result res = {0}; /* boot_start() fills it, it does not clear it */
	const struct boot_params p = {
	    .machine = m,
	    .guest = spec->vm.guest,
	    .loop = l,
	    .on_done = snapshot_booted,
	    .ctx = &booted,
	    .keep = 1,
	    .marker = spec->ready,
	    .boot_timeout_ms = spec->boot_timeout_ms,
	    .silence_timeout_ms =
		spec->silence_timeout_ms ? spec->silence_timeout_ms : spec->boot_timeout_ms,
	    .log_path = log_path,
	};

	/* the boot ends on its own deadlines, a signal included (judged infra) */
	boot_start(&b, &p, &res);
	while (!booted)
		if (loop_once(l, 1000) < 0) {
			error_set(err, "event loop: %s", strerror(errno));
			goto out;
		}
	if (res.outcome != OUTCOME_CLEAN)
		error_set(err, "the boot to '%s' was judged %s: %s", spec->ready,
			  outcome_name(res.outcome), res.title ? res.title : "no title");
	else
		ret = saved(ctx, err);
out:
	boot_release(&b);
	boot_result_release(&res);
	return ret;
}

/* The guest must be up before its first push: a restored guest is exactly that. */
static int wants_snapshot(const struct scenario *sc)
{
	return sc->nr_steps && sc->steps[0].kind == STEP_DEPLOY && sc->steps[0].live;
}

/* NAME of sc's snapshot: what it was made from, readable, and safe as a file name. */
static char *snapshot_name(const struct scenario *sc, const char *append)
{
	/* The command line's hash: the race switches differ. */
	uint64_t h = fnv1a64_update(FNV1A64_INIT, append, strlen(append));
	char *name = xasprintf("%s-%s-%s-%016" PRIx64, sc->image->name, sc->sensor->name,
			       sc->content ? sc->content->name : "none", h);

	for (char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
			*p = '_';
	return name;
}

static void notef(disks_note_fn note, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void notef(disks_note_fn note, void *ctx, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (note)
		note(ctx, sb.buf);
	strbuf_release(&sb);
}

/* Find or make the snapshot trial i restores; NULL when it boots cold. */
static const struct snapshot *trial_snapshot(struct disks *d, const struct run_result *r,
					     size_t i, const char *cache_dir, char **names,
					     disks_note_fn note, void *ctx)
{
	const struct scenario *sc = r->trials[i].scenario;
	struct snapshot_spec spec;
	struct inject_ops ops = INJECT_OPS_INIT;
	struct bp_error err;
	char *append, *name;
	int64_t t0 = now_ms();
	int built = 0, ok;

	if (!cache_dir || !wants_snapshot(sc))
		return NULL;
	append = exec_append(sc);
	name = snapshot_name(sc, append);
	for (size_t k = 0; k < d->nr_snaps; k++)
		if (names[k] && !strcmp(names[k], name)) {
			free(append);
			free(name);
			return d->snaps[k].dir ? &d->snaps[k] : NULL;
		}
	spec = (struct snapshot_spec){
		.cache_dir = cache_dir,
		.name = name,
		.vm = exec_vm_config(sc, r->accel, append, NULL, NULL),
		.golden = sc->image->disk,
		.ready = sc->image->marker,
		.boot_timeout_ms = sc->boot_timeout_s * 1000,
		.boot = disks_snapshot_boot,
	};
	disks_base_ops(sc, &ops);
	spec.ops = ops.v;
	spec.nr_ops = ops.nr;
	ok = snapshot_ensure(&spec, &d->snaps[d->nr_snaps], &built, &err) == 0;
	names[d->nr_snaps++] = name;
	if (!ok)
		notef(note, ctx, "snapshot %s: %s; its trials boot cold", name, err.msg);
	else if (built)
		notef(note, ctx, "snapshot %s: built in %.1f s (%s)", name,
		      (double)(now_ms() - t0) / 1000.0, d->snaps[d->nr_snaps - 1].why);
	else
		notef(note, ctx, "snapshot %s: reused", name);
	inject_ops_release(&ops);
	free(append);
	return ok ? &d->snaps[d->nr_snaps - 1] : NULL;
}

int disks_snapshots(struct disks *d, const struct run_result *r, const char *cache_dir,
		    disks_note_fn note, void *ctx, struct bp_error *err)
{
	char **names = xcalloc(r->nr_trials, sizeof(*names));

	memset(d, 0, sizeof(*d));
	d->nr_trials = r->nr_trials;
	d->overlays = xcalloc(r->nr_trials, sizeof(*d->overlays));
	d->snap = xcalloc(r->nr_trials, sizeof(*d->snap));
	d->snaps = xcalloc(r->nr_trials, sizeof(*d->snaps));
	for (size_t i = 0; i < r->nr_trials && !bp_interrupted; i++)
		d->snap[i] = trial_snapshot(d, r, i, cache_dir, names, note, ctx);
	for (size_t i = 0; i < r->nr_trials; i++)
		free(names[i]);
	free(names);
	if (bp_interrupted)
		return error_set(err, "interrupted by signal %d", (int)bp_interrupted);
	return 0;
}

int disks_trial(struct disks *d, size_t i, const struct scenario *sc, const char *dir,
		const char **ret_overlay, const struct snapshot **ret_snap,
		struct inject_ops *ret_base, struct bp_error *err)
{
	if (i >= d->nr_trials || d->overlays[i])
		return error_set(err, "trial %zu: no such trial, or its disk was made", i);
	d->overlays[i] = xasprintf("%s/system.qcow2", dir);
	if (overlay_create(d->snap[i] ? d->snap[i]->disk : sc->image->disk, d->overlays[i], err) < 0)
		return -1;
	if (!d->snap[i])
		disks_base_ops(sc, ret_base);
	*ret_overlay = d->overlays[i];
	*ret_snap = d->snap[i];
	return 0;
}

void disks_release(struct disks *d)
{
	for (size_t i = 0; d->overlays && i < d->nr_trials; i++)
		free(d->overlays[i]);
	for (size_t i = 0; i < d->nr_snaps; i++)
		snapshot_release(&d->snaps[i]);
	free(d->overlays);
	free(d->snap);
	free(d->snaps);
	memset(d, 0, sizeof(*d));
}
