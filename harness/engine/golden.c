/*
 * golden - the libvirt hosts' golden saves, built before any trial (see
 * golden.h).
 */
#define _GNU_SOURCE
#include "golden.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "boot.h"
#include "exec.h"
#include "guest.h"
#include "inject.h"
#include "machine-libvirt.h"
#include "virt-conn.h"
#include "virt-event.h"
#include "virt-golden.h"

/* One save in the making: a host's slot for an image. */
struct build {
	const struct scenario *sc; /* the first trial of its image: how it boots */
	const char *uri;
	char *dir, *disk, *log, *state, *name, *uuid, *append;
	struct vm_config vm;
	struct boot b;
	struct boot_result res;
	int started, booted, saved, exited, save_ok;
	char why[sizeof(((struct bp_error *)0)->msg)];
};

static void build_booted(void *ctx, struct boot *b)
{
	((struct build *)ctx)->booted = 1;
}

/* After the verdict only the save's answers count (boot.h: keep). */
static void build_console(void *ctx, const char *buf, size_t len, int64_t host_ns)
{
}

static void build_event(void *ctx, const struct machine_event *ev)
{
	struct build *g = ctx;

	if (ev->kind == MACHINE_SAVED) {
		g->saved = 1;
		g->save_ok = ev->ok;
		snprintf(g->why, sizeof(g->why), "%s", ev->reason ? ev->reason : "");
	} else if (ev->kind == MACHINE_EXITED) {
		g->exited = 1;
		if (!g->saved)
			snprintf(g->why, sizeof(g->why), "%s", ev->reason ? ev->reason : "exited");
	}
}

static int build_start(struct build *g, const char *accel, const char *work_dir, size_t n,
		       struct loop *l, struct bp_error *err)
{
	const struct scenario *sc = g->sc;

	g->dir = xasprintf("%s/golden-%zu", work_dir, n);
	g->disk = xasprintf("%s/system.qcow2", g->dir);
	g->log = xasprintf("%s/boot.log", g->dir);
	g->state = xasprintf("%s/save", g->dir);
	if (mkdir(g->dir, 0755) < 0)
		return error_set(err, "cannot create '%s': %s", g->dir, strerror(errno));
	if (overlay_create(sc->image->disk, g->disk, err) < 0)
		return -1;
	g->name = virt_golden_name(n);
	g->uuid = virt_golden_uuid();
	g->append = exec_premount_append(sc);
	g->vm = exec_vm_config(sc, accel, g->append, g->disk, g->dir);
	boot_start(&g->b,
		   &(struct boot_params){
		       .machine = machine_libvirt_new_golden(&g->vm, g->uri, g->name, g->uuid),
		       .guest = sc->image->guest,
		       .loop = l,
		       .on_done = build_booted,
		       .ctx = g,
		       .keep = 1,
		       .marker = sc->image->guest->premount_ready,
		       .boot_timeout_ms = sc->boot_timeout_s * 1000,
		       .silence_timeout_ms = sc->silence_timeout_s * 1000,
		       .log_path = g->log,
		   },
		   &g->res);
	g->started = 1;
	return 0;
}

/* Builds still booting (phase 0), or saving (1: judged clean, not yet gone). */
static int pending(const struct build *g, int phase)
{
	if (!g->started)
		return 0;
	return phase == 0 ? !g->booted : g->res.outcome == OUTCOME_CLEAN && !g->exited;
}

/* No build pending in phase (or a signal: -1). */
static int wait_all(const struct build *v, size_t n, int phase, struct loop *l)
{
	for (;;) {
		size_t i = 0;

		while (i < n && !pending(&v[i], phase))
			i++;
		if (i == n)
			return 0;
		if (bp_interrupted || (loop_once(l, 1000) < 0 && errno != EINTR))
			return -1;
	}
}

/* The builds' images: the libvirt trials that restore at the pre-mount point. */
static size_t pick_images(const struct run_result *r, const char *backend,
			  const struct scenario **imgs)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nr_trials; i++) {
		const struct scenario *sc = r->trials[i].scenario;
		size_t k = 0;

		if (backend_restores(backend_of(sc->image, backend)) || sc->cold ||
		    !sc->image->guest->premount_switch)
			continue;
		while (k < n && imgs[k]->image != sc->image)
			k++;
		if (k == n)
			imgs[n++] = sc;
	}
	return n;
}

static const char *host_name(const char *uri)
{
	return uri ? uri : VIRT_CONN_DEFAULT_URI;
}

/* Built or not, and why not; a good one joins the registry. */
static void build_finish(struct build *g, golden_note_fn note, void *ctx, size_t *ok)
{
	const char *img = g->sc->image->name, *host = host_name(g->uri);

	if (g->res.outcome != OUTCOME_CLEAN) {
		note_fmt(note, ctx,
		      "golden save of %s on %s: the boot to '%s' was judged %s: %s; "
		      "that slot's boots are cold",
		      img, host, g->sc->image->guest->premount_ready, outcome_name(g->res.outcome),
		      g->res.title ? g->res.title : "no title");
	} else if (!g->save_ok) {
		note_fmt(note, ctx, "golden save of %s on %s: %s; that slot's boots are cold", img, host,
		      g->why[0] ? g->why : "not saved");
	} else {
		virt_golden_add(g->uri, g->sc->image, g->state, g->name, g->uuid);
		(*ok)++;
	}
}

int golden_build(const struct run_result *r, const char *backend, const struct golden_host *hosts,
		 size_t nr_hosts, struct loop *l, const char *work_dir, golden_note_fn note, void *ctx)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	const struct scenario **imgs = xcalloc(r->nr_trials + 1, sizeof(*imgs));
	size_t nr_imgs = pick_images(r, backend, imgs), n = 0, ok = 0;
	struct build *v;
	struct bp_error err;
	int64_t t0 = now_ms();
	int rc = 0;

	for (size_t h = 0; h < nr_hosts && nr_imgs; h++) {
		struct virt_conn *c;

		n += nr_imgs * (size_t)hosts[h].slots;
		/* first on each host's worker: what killed runs of this machine left */
		if (virt_event_register(l, &err) == 0 && (c = virt_conn_get(hosts[h].uri, &err)))
			virt_golden_sweep(c, note, ctx);
	}
	v = xcalloc(n + 1, sizeof(*v));
	n = 0;
	for (size_t k = 0; k < nr_imgs; k++)
		for (size_t h = 0; h < nr_hosts; h++)
			for (int s = 0; s < hosts[h].slots; s++, n++) {
				v[n].sc = imgs[k];
				v[n].uri = hosts[h].uri;
				if (build_start(&v[n], r->accel, work_dir, n, l, &err) < 0)
					note_fmt(note, ctx, "golden save of %s: %s; that slot's boots are cold",
					      imgs[k]->image->name, err.msg);
			}
	if (wait_all(v, n, 0, l) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct machine *m = v[i].b.m;

		if (!v[i].started || v[i].res.outcome != OUTCOME_CLEAN)
			continue;
		m->cb = (struct machine_cb){build_console, NULL, build_event, &v[i]};
		if (machine_save(m, v[i].state, &err) < 0) {
			snprintf(v[i].why, sizeof(v[i].why), "%s", err.msg);
			machine_stop(m);
		}
	}
	if (rc == 0 && wait_all(v, n, 1, l) < 0)
		rc = -1;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && v[i].started)
			build_finish(&v[i], note, ctx, &ok);
		if (v[i].started)
			boot_release(&v[i].b);
		boot_result_release(&v[i].res);
		free(v[i].dir);
		free(v[i].disk);
		free(v[i].log);
		free(v[i].state);
		free(v[i].name);
		free(v[i].uuid);
		free(v[i].append);
	}
	if (n && rc == 0)
		note_fmt(note, ctx, "golden saves: %zu of %zu made in %.1f s", ok, n,
		      (double)(now_ms() - t0) / 1000.0);
	free(v);
	free(imgs);
	return rc;
}
