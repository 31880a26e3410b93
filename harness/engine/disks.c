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
#include <unistd.h>

#include "boot.h"
#include "exec.h"
#include "guest.h"
#include "hash.h"

void disks_base_ops(const struct scenario *sc, struct inject_ops *ops)
{
	const struct guest_profile *g = sc->image->guest; /* profile: where things go */

	inject_ops_add(ops, INJECT_UPLOAD, sc->sensor->module, g->sensor_path);
	if (g->sensor_service)
		inject_ops_add_reg(ops, INJECT_SERVICE, g->sensor_service, g->sensor_path, 0);
	if (sc->sensor->agent)
		inject_ops_add(ops, INJECT_UPLOAD, sc->sensor->agent, g->agent_path);
	if (sc->sensor->agent && g->agent_service)
		inject_ops_add_reg(ops, INJECT_AGENT_SERVICE, g->agent_service, g->agent_path, 0);
	inject_ops_add_content(ops, sc->content, g->content_dir);
	/* The scenario's `recovery:` (the suite refuses it on images without a registry). */
	if (sc->recovery >= 0)
		inject_ops_add_reg(ops, INJECT_RECOVERY, NULL, NULL, (unsigned)sc->recovery);
}

void disks_race_ops(const struct scenario *sc, int agent_delay_ms, int sensor_delay_ms,
		    struct inject_ops *ops)
{
	const struct guest_profile *g = sc->image->guest; /* profile: where the knobs go */

	if (g->race_knobs || !g->sensor_service)
		return;
	if (agent_delay_ms >= 0 && g->race_values.agent)
		inject_ops_add_reg(ops, INJECT_SERVICE_PARAM, g->sensor_service,
				   g->race_values.agent, (unsigned)agent_delay_ms);
	if (sensor_delay_ms >= 0 && g->race_values.sensor)
		inject_ops_add_reg(ops, INJECT_SERVICE_PARAM, g->sensor_service,
				   g->race_values.sensor, (unsigned)sensor_delay_ms);
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

/* A snapshot NAME: what it was made from, readable, and safe as a file name. */
static char *snapshot_name(const char *image, const char *what, const char *append)
{
	/* The command line's hash: the race switches differ. */
	uint64_t h = fnv1a64_update(FNV1A64_INIT, append, strlen(append));
	char *name = xasprintf("%s-%s-%016" PRIx64, image, what, h);

	for (char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
			*p = '_';
	return name;
}

/*
 * The snapshot named spec->name: the one this run has already, or built or
 * reused now (taking the name); NULL when it cannot be had (noted).
 */
static const struct snapshot *ensure(struct disks *d, struct snapshot_spec *spec, char *name,
				     disks_note_fn note, void *ctx)
{
	struct bp_error err;
	int64_t t0 = now_ms();
	int built = 0, ok;

	for (size_t k = 0; k < d->nr_snaps; k++)
		if (!strcmp(d->names[k], name)) {
			free(name);
			return d->snaps[k].dir ? &d->snaps[k] : NULL;
		}
	spec->name = name;
	spec->boot = disks_snapshot_boot;
	ok = snapshot_ensure(spec, &d->snaps[d->nr_snaps], &built, &err) == 0;
	d->names[d->nr_snaps++] = name;
	if (!ok)
		note_fmt(note, ctx, "snapshot %s: %s; its boots are cold", name, err.msg);
	else if (built)
		note_fmt(note, ctx, "snapshot %s: built in %.1f s (%s)", name,
		      (double)(now_ms() - t0) / 1000.0, d->snaps[d->nr_snaps - 1].why);
	else
		note_fmt(note, ctx, "snapshot %s: reused", name);
	return ok ? &d->snaps[d->nr_snaps - 1] : NULL;
}

/* The booted state a trial whose first step is a live deploy restores. */
static const struct snapshot *live_snapshot(struct disks *d, const struct scenario *sc,
					    const char *accel, const char *cache_dir,
					    disks_note_fn note, void *ctx)
{
	struct inject_ops ops = INJECT_OPS_INIT;
	char *append = exec_append(sc), *what;
	const struct snapshot *s;
	struct snapshot_spec spec = {
	    .cache_dir = cache_dir,
	    .vm = exec_vm_config(sc, accel, append, NULL, NULL),
	    .golden = sc->image->disk,
	    .ready = sc->image->marker,
	    .boot_timeout_ms = sc->boot_timeout_s * 1000,
	};

	disks_base_ops(sc, &ops);
	spec.ops = ops.v;
	spec.nr_ops = ops.nr;
	what = xasprintf("%s-%s", sc->sensor->name, sc->content ? sc->content->name : "none");
	s = ensure(d, &spec, snapshot_name(sc->image->name, what, append), note, ctx);
	free(what);
	inject_ops_release(&ops);
	free(append);
	return s;
}

/*
 * Named after what the state is made of, not the image's name: images that
 * differ only in their marker (a test's) share one.
 */
static char *premount_name(const struct image *img, const char *append)
{
	const char *parts[] = {img->kernel ? img->kernel : "", img->initrd ? img->initrd : "",
			       img->disk, append};
	uint64_t h = FNV1A64_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		h = fnv1a64_update(h, parts[i], strlen(parts[i]) + 1);
	h = fnv1a64_update(h, &img->memory_mib, sizeof(img->memory_mib));
	return xasprintf("premount-%016" PRIx64, h);
}

/* The image's pre-mount state (guest.h), which any boot of it may restore. */
static const struct snapshot *premount_snapshot(struct disks *d, const struct scenario *sc,
						const char *accel, const char *cache_dir,
						disks_note_fn note, void *ctx)
{
	char *append = exec_premount_append(sc);
	const struct snapshot *s;
	struct snapshot_spec spec = {
	    .cache_dir = cache_dir,
	    .vm = exec_vm_config(sc, accel, append, NULL, NULL),
	    .golden = sc->image->disk,
	    .ready = sc->image->guest->premount_ready,
	    .boot_timeout_ms = sc->boot_timeout_s * 1000,
	    .premount = 1,
	};

	s = ensure(d, &spec, premount_name(sc->image, append), note, ctx);
	free(append);
	return s;
}

/* The trials that share base content (same image, sensor and content set). */
static int same_base(const struct scenario *a, const struct scenario *b)
{
	return a->image == b->image && a->sensor == b->sensor && a->content == b->content;
}

/* How many trials besides trial i (none restoring a booted state) share its base content. */
static size_t base_sharers(const struct disks *d, const struct run_result *r, size_t i)
{
	size_t n = 0;

	for (size_t k = 0; k < r->nr_trials; k++)
		n += k != i && !d->live[k] && same_base(r->trials[k].scenario, r->trials[i].scenario);
	return n;
}

/*
 * One base disk per base content that several trials share, injected in
 * one libguestfs batch: each of those trials' overlays then starts with
 * its content on it, and none waits for the run's one appliance. Content
 * only one trial uses stays that trial's first offline step, which
 * overlaps other trials' boots. If the batch fails, the trials inject
 * their own (exec.h), as they would without it.
 */
static void make_bases(struct disks *d, const struct run_result *r, const char *work_dir,
		       disks_note_fn note, void *ctx)
{
	struct inject_job *jobs = xcalloc(r->nr_trials, sizeof(*jobs));
	struct inject_ops *ops = xcalloc(r->nr_trials, sizeof(*ops));
	struct bp_error err;
	size_t nr = 0;
	int64_t t0 = now_ms();
	int ok = 1;

	for (size_t i = 0; i < r->nr_trials && ok; i++) {
		const struct scenario *sc = r->trials[i].scenario;
		size_t k = 0;

		if (d->live[i] || !base_sharers(d, r, i))
			continue;
		while (k < i && (d->live[k] || !same_base(r->trials[k].scenario, sc)))
			k++;
		if (k < i) {
			d->base[i] = d->base[k];
			continue;
		}
		d->bases[d->nr_bases] = xasprintf("%s/base-%zu.qcow2", work_dir, nr);
		d->base[i] = d->bases[d->nr_bases++];
		ok = overlay_create(sc->image->disk, d->base[i], &err) == 0;
		disks_base_ops(sc, &ops[nr]);
		jobs[nr] = (struct inject_job){d->base[i], ops[nr].v, ops[nr].nr};
		nr++;
	}
	if (ok && nr)
		ok = inject_batch_isolated(jobs, nr, r->accel, DISKS_BASE_TIMEOUT_MS, &err) == 0;
	if (!ok) {
		note_fmt(note, ctx, "base disks: %s; each trial injects its own", err.msg);
		memset(d->base, 0, r->nr_trials * sizeof(*d->base));
	} else if (nr) {
		note_fmt(note, ctx, "base disks: %zu, injected in %.1f s", nr,
		      (double)(now_ms() - t0) / 1000.0);
	}
	for (size_t i = 0; i < nr; i++)
		inject_ops_release(&ops[i]);
	free(ops);
	free(jobs);
}

int disks_snapshots(struct disks *d, const struct run_result *r, const char *cache_dir,
		    const char *work_dir, disks_note_fn note, void *ctx, struct bp_error *err)
{
	memset(d, 0, sizeof(*d));
	d->nr_trials = r->nr_trials;
	d->overlays = xcalloc(r->nr_trials, sizeof(*d->overlays));
	/* NOLINTBEGIN(bugprone-sizeof-expression): arrays of pointers, sized by one pointer */
	d->live = xcalloc(r->nr_trials, sizeof(*d->live));
	d->premount = xcalloc(r->nr_trials, sizeof(*d->premount));
	/* NOLINTEND(bugprone-sizeof-expression) */
	d->base = xcalloc(r->nr_trials, sizeof(*d->base));
	d->bases = xcalloc(r->nr_trials, sizeof(*d->bases));
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	d->scs = xcalloc(r->nr_trials, sizeof(*d->scs));
	for (size_t i = 0; i < r->nr_trials; i++)
		d->scs[i] = r->trials[i].scenario;
	/* At most two per trial: its live deploy's and its image's pre-mount state. */
	d->snaps = xcalloc(2 * r->nr_trials, sizeof(*d->snaps));
	d->names = xcalloc(2 * r->nr_trials, sizeof(*d->names));
	for (size_t i = 0; cache_dir && i < r->nr_trials && !bp_interrupted; i++) {
		const struct scenario *sc = r->trials[i].scenario;

		if (wants_snapshot(sc))
			d->live[i] = live_snapshot(d, sc, r->accel, cache_dir, note, ctx);
		if (!sc->cold && sc->image->guest->premount_switch)
			d->premount[i] = premount_snapshot(d, sc, r->accel, cache_dir, note, ctx);
	}
	if (work_dir && !bp_interrupted)
		make_bases(d, r, work_dir, note, ctx);
	if (bp_interrupted)
		return error_set(err, "interrupted by signal %d", (int)bp_interrupted);
	return 0;
}

/* Two trials' boots restore the same booted state: same base content and command line. */
static int same_live(const struct scenario *a, const struct scenario *b)
{
	char *x, *y;
	int same;

	if (!same_base(a, b) || !wants_snapshot(a) || !wants_snapshot(b))
		return 0;
	x = exec_append(a);
	y = exec_append(b);
	same = !strcmp(x, y);
	free(x);
	free(y);
	return same;
}

/*
 * Trial i came after disks_snapshots(): the snapshots an earlier trial of
 * its image (and base content, for a booted state) has; no base disk.
 */
static void late_trial(struct disks *d, size_t i, const struct scenario *sc)
{
	size_t n = i + 1;

	d->overlays = xrealloc(d->overlays, n * sizeof(*d->overlays));
	/* NOLINTBEGIN(bugprone-sizeof-expression): arrays of pointers, sized by one pointer */
	d->live = xrealloc(d->live, n * sizeof(*d->live));
	d->premount = xrealloc(d->premount, n * sizeof(*d->premount));
	d->base = xrealloc(d->base, n * sizeof(*d->base));
	d->scs = xrealloc(d->scs, n * sizeof(*d->scs));
	/* NOLINTEND(bugprone-sizeof-expression) */
	for (size_t k = d->nr_trials; k < n; k++) {
		d->overlays[k] = NULL;
		d->live[k] = d->premount[k] = NULL;
		d->base[k] = NULL;
		d->scs[k] = NULL;
	}
	d->nr_trials = n;
	d->scs[i] = sc;
	for (size_t k = 0; k < i; k++) {
		if (!d->scs[k])
			continue;
		if (!d->live[i] && d->live[k] && same_live(d->scs[k], sc))
			d->live[i] = d->live[k];
		if (!d->premount[i] && d->premount[k] && !sc->cold &&
		    d->scs[k]->image == sc->image)
			d->premount[i] = d->premount[k];
	}
}

int disks_trial(struct disks *d, size_t i, const struct scenario *sc, const char *dir,
		struct trial_disk *ret, struct bp_error *err)
{
	if (i >= d->nr_trials)
		late_trial(d, i, sc);
	if (d->overlays[i])
		return error_set(err, "trial %zu: its disk was made already", i);
	d->overlays[i] = xasprintf("%s/system.qcow2", dir);
	if (overlay_create(d->live[i]	? d->live[i]->disk
			   : d->base[i] ? d->base[i]
					: sc->image->disk,
			   d->overlays[i], err) < 0)
		return -1;
	if (!d->live[i] && !d->base[i])
		disks_base_ops(sc, &ret->base);
	ret->overlay = d->overlays[i];
	ret->live = d->live[i];
	ret->premount = d->premount[i];
	return 0;
}

void disks_trial_forget(struct disks *d, size_t i)
{
	if (i >= d->nr_trials || !d->overlays[i])
		return;
	unlink(d->overlays[i]);
	free(d->overlays[i]);
	d->overlays[i] = NULL;
}

void disks_release(struct disks *d)
{
	for (size_t i = 0; d->overlays && i < d->nr_trials; i++)
		free(d->overlays[i]);
	for (size_t i = 0; i < d->nr_snaps; i++) {
		snapshot_release(&d->snaps[i]);
		free(d->names[i]);
	}
	for (size_t i = 0; d->bases && i < d->nr_bases; i++)
		free(d->bases[i]);
	free(d->bases);
	free(d->base);
	free(d->overlays);
	free(d->live);
	free(d->premount);
	free(d->scs);
	free(d->snaps);
	free(d->names);
	memset(d, 0, sizeof(*d));
}
