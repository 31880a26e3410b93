/*
 * machine-libvirt - a transient libvirt domain as a machine (see
 * machine-libvirt.h).
 *
 * The machine object is the loop thread's; each job has a context of its
 * own (struct lv_job: what the worker needs, copied or referenced) and
 * holds a reference on the machine, so a machine released while a job is
 * on its way is freed once the last job is done. Streams are the loop's
 * while their callbacks are registered; a teardown job takes them (and the
 * domain) over, aborts and frees them on the worker.
 */
#define _GNU_SOURCE
#include "machine-libvirt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "domxml.h"
#include "guest.h"
#include "qmp-event.h"
#include "qmp.h"
#include "virt-conn.h"
#include "virt-event.h"
#include "virt-golden.h"
#include "virt-remote.h"

enum lv_state { LV_NEW, LV_CREATING, LV_READY, LV_GONE };
enum lv_stream { ST_CONSOLE, ST_MARKER, ST_CHANNEL, ST_NR };
enum lv_job_kind {
	J_UPLOAD,
	J_CREATE,
	J_RESTORE,
	J_RESUME,
	J_PROBE,
	J_SHOT,
	J_KEYS,
	J_NMI,
	J_DUMP,
	J_SAVE,
	J_TEARDOWN
};

/* A chord's keys at most (machine.h: send_keys). */
#define LV_KEYS 8
enum lv_destroy { D_NONE, D_GRACEFUL, D_FORCED };

#define LV_BUF 65536

/* One direction of the channel bridge: bytes read, not yet written on. */
struct lv_buf {
	char data[LV_BUF];
	size_t off, len;
};

struct lv {
	struct machine m;
	struct vm_config cfg;
	struct virt_conn *c;
	struct virt_listener lis;
	char *uri, *name, *log_path;
	char *uuid;  /* a golden build's, given; else the host's */
	/*
	 * A remote host's (virt-remote.h): the prefix of the machine's volumes
	 * there, else NULL. dirty: they may exist (uploaded, not yet deleted);
	 * ran: a domain ran on the upload (its disk is fetched back).
	 */
	char *vol;
	int dirty, ran;
	char *exit_reason; /* EXITED's, held until the disk is back (exit_due) */
	int exit_ok, exit_due;
	int golden;  /* a golden build (machine_libvirt_new_golden()): saved, so not autodestroy */
	struct virt_golden_save *save; /* restored from it: given back when the machine is freed */
	int refs, released;
	enum lv_state state;
	virDomainPtr dom;
	virStreamPtr st[ST_NR];
	int st_cb[ST_NR];   /* its event callback is registered */
	int sp[2];	    /* the channel's socketpair: [0] the caller's, [1] the bridge's */
	int id_sp;
	struct lv_buf to_host, to_guest;
	int t_start;
	int start_failed, exited, panicked, shut_seen, console_eof;
	int stopped;  /* the domain is known gone: nothing to destroy */
	int creating; /* the create job is on its way */
	int tearing;  /* a teardown job is on its way */
	int saving;   /* a save job is on its way: its end is SAVED, then EXITED */
	int cut_due;  /* stop or power cut asked while the domain was being created */
	char *shot_path;
};

struct lv_job {
	struct lv *lv;
	enum lv_job_kind kind;
	char *xml;
	char *name;	  /* J_RESTORE: the saved domain's; J_UPLOAD: the domain's */
	char *uuid;	  /* J_UPLOAD: the domain's */
	int marker;
	int golden;	  /* J_CREATE: a domain to be saved (not autodestroy) */
	enum lv_job_kind then; /* J_UPLOAD: the job that makes the domain next */
	int fetch;	  /* J_TEARDOWN on a remote host: the disk fetched back */
	struct bp_error fetch_err; /* why it was not (fetch_err.msg[0]) */
	virDomainPtr dom; /* the job's own reference */
	virStreamPtr st[ST_NR];
	enum lv_destroy destroy;
	char *path;
	unsigned int keys[LV_KEYS]; /* J_KEYS: Linux input key codes */
	int nkeys;
};

static const char *const lv_stream_name[ST_NR] = {"console", "marker port", "update channel"};

static void lv_error(struct bp_error *err, const char *fmt, const char *arg)
{
	const char *msg = virGetLastErrorMessage();
	char what[256];

	snprintf(what, sizeof(what), fmt, arg);
	error_set(err, "%s: %s", what, msg ? msg : "unknown error");
}

static void lv_emit(struct lv *lv, enum machine_event_kind kind, const char *reason, int ok)
{
	struct machine_event ev = {.kind = kind, .reason = reason, .ok = ok, .host_ns = now_ns()};

	if (!lv->released && !lv->exited)
		lv->m.cb.event(lv->m.cb.ctx, &ev);
}

static void lv_free(struct lv *lv)
{
	if (lv->dom)
		virDomainFree(lv->dom);
	for (int i = 0; i < ST_NR; i++)
		if (lv->st[i])
			virStreamFree(lv->st[i]);
	for (int i = 0; i < 2; i++)
		if (lv->sp[i] >= 0)
			close(lv->sp[i]);
	virt_golden_give(lv->save);
	free(lv->uri);
	free(lv->uuid);
	free(lv->name);
	free(lv->log_path);
	free(lv->shot_path);
	free(lv->vol);
	free(lv->exit_reason);
	free(lv);
}

static void lv_unref(struct lv *lv)
{
	if (--lv->refs == 0)
		lv_free(lv);
}

/* ---- jobs: what runs on the host's worker ---- */

static void lv_job_release(struct lv_job *j)
{
	for (int i = 0; i < ST_NR; i++)
		if (j->st[i]) {
			virStreamAbort(j->st[i]);
			virStreamFree(j->st[i]);
		}
	if (j->dom)
		virDomainFree(j->dom);
	free(j->xml);
	free(j->name);
	free(j->uuid);
	free(j->path);
	free(j);
}

/* The new domain's console, marker port and update channel, on non-blocking streams. */
static int lv_open_streams(virConnectPtr conn, struct lv_job *j, struct bp_error *err)
{
	static const char *const dev[ST_NR] = {DOMXML_CONSOLE, DOMXML_MARKER, NULL};

	for (int i = 0; i < ST_NR; i++) {
		int r;

		if (i == ST_MARKER && !j->marker)
			continue;
		j->st[i] = virStreamNew(conn, VIR_STREAM_NONBLOCK);
		r = !j->st[i] ? -1
		    : i == ST_CHANNEL
			? virDomainOpenChannel(j->dom, "org.bootproof.update", j->st[i],
					       VIR_DOMAIN_CHANNEL_FORCE)
			: virDomainOpenConsole(j->dom, dev[i], j->st[i], VIR_DOMAIN_CONSOLE_FORCE);
		if (r < 0) {
			lv_error(err, "cannot open the domain's %s", lv_stream_name[i]);
			j->destroy = D_FORCED;
			return -1;
		}
	}
	return 0;
}

/*
 * On a remote host, j->path is the pool's file base + ext (virt-remote.h):
 * what the host writes or reads there (a save, a dump). 0 or -1 with err.
 */
static int lv_host_file(virConnectPtr conn, struct lv_job *j, const char *base, const char *ext,
			struct bp_error *err)
{
	char *file = xasprintf("%s%s", base, ext);

	free(j->path);
	j->path = virt_remote_path(conn, file, err);
	free(file);
	return j->path ? 0 : -1;
}

/* A remote host's dump: written into its pool, fetched to dest, deleted there. */
static int lv_run_remote_dump(virConnectPtr conn, struct lv_job *j, struct bp_error *err)
{
	char *dest = j->path, *file = xasprintf("%s.dmp", j->lv->vol);
	int r = -1;

	j->path = NULL;
	if (lv_host_file(conn, j, j->lv->vol, ".dmp", err) < 0)
		goto out;
	if (virDomainCoreDumpWithFormat(j->dom, j->path, VIR_DOMAIN_CORE_DUMP_FORMAT_WIN_DMP,
					VIR_DUMP_MEMORY_ONLY) < 0) {
		lv_error(err, "cannot write a win-dmp%s", "");
		goto out;
	}
	r = virt_remote_fetch(conn, file, dest, err);
	virt_remote_drop(conn, file, &(struct bp_error){0});
out:
	free(j->path);
	j->path = dest; /* the local file, as for a local host */
	free(file);
	return r;
}

/*
 * A remote host's teardown, after the destroy: the disk back (j->fetch),
 * the machine's volumes deleted. A disk that cannot be fetched leaves the
 * local one stale: it is removed, so no offline check reads the state
 * before the boot as the state after it.
 */
static void lv_run_remote_end(virConnectPtr conn, struct lv_job *j)
{
	struct bp_error err;

	if (j->fetch && virt_remote_get(conn, &j->lv->cfg, j->lv->vol, &j->fetch_err) < 0)
		unlink(j->lv->cfg.disk);
	virt_remote_drop(conn, j->lv->vol, &err);
}

/*
 * A trial's domain dies with the harness's connection (autodestroy); a
 * golden build's cannot (libvirt saves no autodestroy domain), nor can a
 * restored one (virDomainRestoreFlags has no such flag): those two are
 * destroyed by the machine, and after a killed harness by the next run
 * (virt-conn.h: the sweep of dead harnesses' domains).
 */
static int lv_run_create(virConnectPtr conn, struct lv_job *j, struct bp_error *err)
{
	j->dom = virDomainCreateXML(conn, j->xml,
				    VIR_DOMAIN_START_PAUSED |
					(j->golden ? 0 : VIR_DOMAIN_START_AUTODESTROY));
	if (!j->dom)
		return lv_error(err, "cannot create the domain%s", ""), -1;
	return lv_open_streams(conn, j, err);
}

/* The saved domain back, paused, on the trial's disk, console log and channel (j->xml). */
static int lv_run_restore(virConnectPtr conn, struct lv_job *j, struct bp_error *err)
{
	if (j->lv->vol && lv_host_file(conn, j, j->name, ".save", err) < 0)
		return -1;
	if (virDomainRestoreFlags(conn, j->path, j->xml, VIR_DOMAIN_SAVE_PAUSED) < 0)
		return lv_error(err, "cannot restore the golden save '%s'", j->path), -1;
	j->dom = virDomainLookupByName(conn, j->name);
	if (!j->dom)
		return lv_error(err, "the restored domain '%s' is not found", j->name), -1;
	return lv_open_streams(conn, j, err);
}

static int lv_sink(virStreamPtr st, const char *data, size_t n, void *opaque)
{
	return write_all(*(int *)opaque, data, n) < 0 ? -1 : (int)n;
}

/*
 * The screenshot's stream into j->path. libvirt gives what QEMU's
 * screendump wrote: PNG with QEMU 7.2 and libvirt 9.0 (measured); another
 * format is refused rather than mislabelled.
 */
static int lv_shot_save(struct lv_job *j, char *mime, struct bp_error *err)
{
	int fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r = -1;

	if (fd < 0) {
		error_set(err, "cannot create '%s': %s", j->path, strerror(errno));
		virStreamAbort(j->st[0]);
		goto out;
	}
	if (virStreamRecvAll(j->st[0], lv_sink, &fd) < 0 || virStreamFinish(j->st[0]) < 0) {
		lv_error(err, "cannot read the screenshot%s", "");
		virStreamAbort(j->st[0]);
	} else if (strcmp(mime, "image/png")) {
		error_set(err, "the screenshot is %s, not PNG", mime);
	} else {
		r = 0;
	}
	if (close(fd) < 0 && r == 0)
		r = error_set(err, "cannot write '%s': %s", j->path, strerror(errno));
	if (r < 0)
		unlink(j->path);
out:
	virStreamFree(j->st[0]);
	j->st[0] = NULL;
	free(mime);
	return r;
}

/* Gone already is gone: a destroy of a domain that stopped succeeds. */
static int lv_destroy_dom(virDomainPtr dom, enum lv_destroy how, struct bp_error *err)
{
	int state, reason;

	if (how == D_GRACEFUL && virDomainDestroyFlags(dom, VIR_DOMAIN_DESTROY_GRACEFUL) == 0)
		return 0;
	if (virDomainDestroy(dom) == 0)
		return 0;
	if (virDomainGetState(dom, &state, &reason, 0) < 0 || state == VIR_DOMAIN_SHUTOFF)
		return 0;
	return lv_error(err, "cannot destroy the domain%s", ""), -1;
}

static int lv_run(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	struct lv_job *j = ctx;
	int state, reason;
	char *mime;

	switch (j->kind) {
	case J_UPLOAD:
		j->xml = virt_remote_put(conn, j->lv->uri, &j->lv->cfg, j->name, j->uuid, j->lv->vol,
					 j->lv->cfg.run_dir ? j->lv->cfg.run_dir : P_tmpdir, err);
		return j->xml ? 0 : -1;
	case J_CREATE:
		if (lv_run_create(conn, j, err) == 0)
			return 0;
		break;
	case J_RESTORE:
		if (lv_run_restore(conn, j, err) == 0)
			return 0;
		break;
	case J_SAVE:
		/* the domain stops once saved: STOPPED (saved), then EXITED */
		if (j->lv->vol && lv_host_file(conn, j, j->name, ".save", err) < 0)
			return -1;
		if (virDomainSaveFlags(j->dom, j->path, NULL, 0) == 0)
			return 0;
		lv_error(err, "cannot save the domain%s", "");
		return -1;
	case J_RESUME:
		if (virDomainResume(j->dom) == 0)
			return 0;
		lv_error(err, "cannot resume the domain%s", "");
		return -1;
	case J_PROBE:
		if (virDomainGetState(j->dom, &state, &reason, 0) == 0)
			return 0;
		lv_error(err, "cannot get the domain's state%s", "");
		return -1;
	case J_SHOT:
		if (!(j->st[0] = virStreamNew(conn, 0)) ||
		    !(mime = virDomainScreenshot(j->dom, j->st[0], 0, 0))) {
			lv_error(err, "cannot take a screenshot%s", "");
			return -1;
		}
		return lv_shot_save(j, mime, err);
	case J_KEYS:
		/* pressed together, held 50 ms, released (virDomainSendKey's chord) */
		if (virDomainSendKey(j->dom, VIR_KEYCODE_SET_LINUX, 50, j->keys, j->nkeys, 0) == 0)
			return 0;
		lv_error(err, "cannot send keys%s", "");
		return -1;
	case J_NMI:
		if (virDomainInjectNMI(j->dom, 0) == 0)
			return 0;
		lv_error(err, "cannot inject an NMI%s", "");
		return -1;
	case J_DUMP:
		if (j->lv->vol)
			return lv_run_remote_dump(conn, j, err);
		if (virDomainCoreDumpWithFormat(j->dom, j->path, VIR_DOMAIN_CORE_DUMP_FORMAT_WIN_DMP,
						VIR_DUMP_MEMORY_ONLY) == 0)
			return 0;
		lv_error(err, "cannot write a win-dmp%s", "");
		return -1;
	case J_TEARDOWN:
		break;
	}
	/* Streams first: the domain is destroyed with nothing attached. */
	for (int i = 0; i < ST_NR; i++)
		if (j->st[i]) {
			virStreamAbort(j->st[i]);
			virStreamFree(j->st[i]);
			j->st[i] = NULL;
		}
	if (j->dom && j->destroy != D_NONE) {
		struct bp_error derr;

		if (lv_destroy_dom(j->dom, j->destroy, &derr) < 0 && j->kind == J_TEARDOWN) {
			*err = derr;
			return -1;
		}
	}
	if (j->kind != J_TEARDOWN)
		return -1;
	if (j->lv->vol)
		lv_run_remote_end(conn, j);
	return 0;
}

/* ---- the loop side ---- */

static void lv_done(void *ctx, int r, const struct bp_error *err);

static struct lv_job *lv_job_new(struct lv *lv, enum lv_job_kind kind)
{
	struct lv_job *j = xcalloc(1, sizeof(*j));

	j->lv = lv;
	j->kind = kind;
	if (lv->dom && kind != J_CREATE && kind != J_RESTORE && kind != J_TEARDOWN) {
		virDomainRef(lv->dom);
		j->dom = lv->dom;
	}
	return j;
}

static void lv_submit(struct lv *lv, struct lv_job *j)
{
	lv->refs++;
	virt_conn_submit(lv->c, lv_run, lv_done, j);
}

static void lv_timer_clear(struct lv *lv, int *id)
{
	if (*id)
		loop_timer_remove(lv->m.loop, *id);
	*id = 0;
}

/* The loop lets go of the streams (callbacks removed); they stay for a teardown. */
static void lv_bridge_close(struct lv *lv);

static void lv_streams_quiet(struct lv *lv)
{
	for (int i = 0; i < ST_NR; i++)
		if (lv->st_cb[i]) {
			virStreamEventRemoveCallback(lv->st[i]);
			lv->st_cb[i] = 0;
		}
	lv_bridge_close(lv);
}

/* Streams and domain to a job of their own: closed, destroyed (how), freed. */
static void lv_teardown(struct lv *lv, enum lv_destroy how)
{
	struct lv_job *j;

	if (lv->creating) {
		lv->cut_due = how == D_NONE ? D_FORCED : how;
		return;
	}
	lv_streams_quiet(lv);
	if (lv->tearing || (!lv->dom && !lv->st[0] && !lv->st[1] && !lv->st[2] && !lv->dirty))
		return;
	lv->tearing = 1;
	j = lv_job_new(lv, J_TEARDOWN);
	j->dom = lv->dom;
	lv->dom = NULL;
	memcpy(j->st, lv->st, sizeof(j->st));
	memset(lv->st, 0, sizeof(lv->st));
	j->destroy = lv->stopped ? D_NONE : how;
	/* a golden build's disk serves nobody after it; a released machine's nobody reads */
	j->fetch = lv->ran && !lv->golden && !lv->released;
	lv->dirty = 0;
	lv_submit(lv, j);
}

/* Read a console stream dry into cb (NULL: drained): 1 at its end. */
static int lv_read_stream(struct lv *lv, int i,
			  void (*cb)(void *ctx, const char *buf, size_t len, int64_t host_ns))
{
	char buf[LV_BUF];
	int n;

	while ((n = virStreamRecv(lv->st[i], buf, sizeof(buf))) > 0)
		if (cb && !lv->released && !lv->exited)
			cb(lv->m.cb.ctx, buf, (size_t)n, now_ns());
	if (n == -2)
		return 0;
	virStreamEventRemoveCallback(lv->st[i]);
	lv->st_cb[i] = 0;
	if (cb && !lv->released && !lv->exited)
		cb(lv->m.cb.ctx, NULL, 0, now_ns());
	return 1;
}

static void lv_read_console(struct lv *lv)
{
	if (lv->st_cb[ST_CONSOLE] && lv_read_stream(lv, ST_CONSOLE, lv->m.cb.console))
		lv->console_eof = 1;
	if (lv->st_cb[ST_MARKER])
		lv_read_stream(lv, ST_MARKER, lv->m.cb.marker);
}

static void lv_on_console(virStreamPtr st, int events, void *opaque)
{
	struct lv *lv = opaque;

	/* A dispatch libvirt had queued may come after the loop let go of the stream. */
	if (st == lv->st[ST_CONSOLE] && lv->st_cb[ST_CONSOLE] &&
	    lv_read_stream(lv, ST_CONSOLE, lv->m.cb.console))
		lv->console_eof = 1;
	else if (st == lv->st[ST_MARKER] && lv->st_cb[ST_MARKER])
		lv_read_stream(lv, ST_MARKER, lv->m.cb.marker);
}

/*
 * The domain is gone: its last console bytes, then EXITED, the last event.
 * On a remote host EXITED waits for the teardown that fetches the disk
 * back (the caller's next steps read it), unless the host is lost.
 */
static void lv_exited(struct lv *lv, const char *reason, int ok)
{
	if (lv->exited)
		return;
	if (lv->vol && (lv->dirty || lv->tearing) && !lv->released && !virt_conn_lost(lv->c)) {
		if (!lv->exit_due) {
			lv->exit_due = 1;
			lv->exit_reason = xstrdup(reason);
			lv->exit_ok = ok;
		}
		lv_teardown(lv, D_FORCED);
		return;
	}
	lv_read_console(lv);
	if (!lv->console_eof && !lv->released)
		lv->m.cb.console(lv->m.cb.ctx, NULL, 0, now_ns());
	lv->console_eof = 1;
	lv_timer_clear(lv, &lv->t_start);
	if (lv->stopped) { /* gone from its host: its golden save serves the next boot */
		virt_golden_give(lv->save);
		lv->save = NULL;
	}
	lv_emit(lv, MACHINE_EXITED, reason, ok);
	lv->exited = 1;
	lv->state = LV_GONE;
	virt_conn_unlisten(lv->c, &lv->lis);
	lv_teardown(lv, D_FORCED); /* a domain not known stopped is destroyed */
}

static void lv_start_failed(struct lv *lv, const char *msg)
{
	if (lv->start_failed || lv->state >= LV_READY)
		return;
	lv->start_failed = 1;
	lv_timer_clear(lv, &lv->t_start);
	lv_emit(lv, MACHINE_START_FAILED, msg, 0);
}

/* ---- the update channel: a socketpair end bridged to the channel's stream ---- */

/* The bridge ends: the caller's end of the socketpair reads EOF. */
static void lv_bridge_close(struct lv *lv)
{
	if (lv->st_cb[ST_CHANNEL]) {
		virStreamEventRemoveCallback(lv->st[ST_CHANNEL]);
		lv->st_cb[ST_CHANNEL] = 0;
	}
	if (lv->id_sp)
		loop_fd_remove(lv->m.loop, lv->id_sp);
	lv->id_sp = 0;
	if (lv->sp[1] >= 0)
		close(lv->sp[1]);
	lv->sp[1] = -1;
}

/* Each side is read only while the other has taken everything read before. */
static void lv_bridge_events(struct lv *lv)
{
	if (lv->st_cb[ST_CHANNEL])
		virStreamEventUpdateCallback(lv->st[ST_CHANNEL],
					     (lv->to_host.len ? 0 : VIR_STREAM_EVENT_READABLE) |
						 (lv->to_guest.len ? VIR_STREAM_EVENT_WRITABLE : 0));
	if (lv->id_sp)
		loop_fd_events(lv->m.loop, lv->id_sp,
			       (lv->to_guest.len ? 0 : POLLIN) | (lv->to_host.len ? POLLOUT : 0));
}

/* Write what b holds: 0, or -1 when the other side is gone. */
static int lv_flush_host(struct lv *lv)
{
	struct lv_buf *b = &lv->to_host;

	while (b->len) {
		ssize_t n = write(lv->sp[1], b->data + b->off, b->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		b->off += (size_t)n;
		b->len -= (size_t)n;
	}
	b->off = 0;
	return 0;
}

static int lv_flush_guest(struct lv *lv)
{
	struct lv_buf *b = &lv->to_guest;

	while (b->len) {
		int n = virStreamSend(lv->st[ST_CHANNEL], b->data + b->off, b->len);

		if (n == -2)
			return 0;
		if (n < 0)
			return -1;
		b->off += (size_t)n;
		b->len -= (size_t)n;
	}
	b->off = 0;
	return 0;
}

/* What the guest sent, into the socket: 0, or -1 at the stream's end. */
static int lv_pump_to_host(struct lv *lv)
{
	while (!lv->to_host.len && lv->st_cb[ST_CHANNEL]) {
		int n = virStreamRecv(lv->st[ST_CHANNEL], lv->to_host.data, LV_BUF);

		if (n == -2)
			return 0;
		if (n <= 0)
			return -1;
		lv->to_host.len = (size_t)n;
		if (lv_flush_host(lv) < 0)
			return -1;
	}
	return 0;
}

static void lv_on_channel(virStreamPtr st, int events, void *opaque)
{
	struct lv *lv = opaque;
	int r = 0;

	if (st != lv->st[ST_CHANNEL] || !lv->st_cb[ST_CHANNEL])
		return;
	if (events & VIR_STREAM_EVENT_WRITABLE)
		r = lv_flush_guest(lv);
	if (r == 0 && (events & (VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP)))
		r = lv_pump_to_host(lv);
	if (r < 0 || (events & VIR_STREAM_EVENT_ERROR))
		lv_bridge_close(lv);
	else
		lv_bridge_events(lv);
}

static void lv_on_sp(struct loop *l, int fd, short revents, void *ctx)
{
	struct lv *lv = ctx;
	int r = 0;

	if (revents & POLLOUT)
		r = lv_flush_host(lv);
	if (r == 0 && (revents & (POLLIN | POLLHUP)) && !lv->to_guest.len) {
		ssize_t n;

		do
			n = read(fd, lv->to_guest.data, LV_BUF);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			lv->to_guest.len = (size_t)n;
			r = lv_flush_guest(lv);
		} else if (n == 0 || errno != EAGAIN) {
			r = -1; /* the caller closed its end */
		}
	}
	if (r < 0 || (revents & POLLERR))
		lv_bridge_close(lv);
	else
		lv_bridge_events(lv);
}

static int lv_bridge_open(struct lv *lv, struct bp_error *err)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, lv->sp) < 0)
		return error_set(err, "socketpair: %s", strerror(errno));
	lv->id_sp = loop_fd_add(lv->m.loop, lv->sp[1], POLLIN, lv_on_sp, lv);
	return 0;
}

/* Streams' callbacks on the loop (their ff NULL: the streams die before the machine). */
static int lv_streams_start(struct lv *lv, struct bp_error *err)
{
	for (int i = 0; i < ST_NR; i++) {
		if (!lv->st[i])
			continue;
		if (virStreamEventAddCallback(lv->st[i], VIR_STREAM_EVENT_READABLE |
							     VIR_STREAM_EVENT_ERROR |
							     VIR_STREAM_EVENT_HANGUP,
					      i == ST_CHANNEL ? lv_on_channel : lv_on_console, lv,
					      NULL) < 0)
			return lv_error(err, "cannot watch the domain's %s", lv_stream_name[i]), -1;
		lv->st_cb[i] = 1;
	}
	return lv_bridge_open(lv, err);
}

/* ---- job results, events ---- */

static void lv_created(struct lv *lv, struct lv_job *j, int r, const struct bp_error *err)
{
	struct bp_error serr;

	lv->creating = 0;
	if (r == 0) {
		/* The domain and its streams are the machine's now (torn down with it). */
		lv->ran = 1;
		lv->dom = j->dom;
		j->dom = NULL;
		memcpy(lv->st, j->st, sizeof(lv->st));
		memset(j->st, 0, sizeof(j->st));
	}
	if (lv->exited || lv->released || lv->cut_due) {
		lv_teardown(lv, lv->cut_due ? (enum lv_destroy)lv->cut_due : D_FORCED);
		if (!lv->exited)
			lv_exited(lv, "libvirt domain destroyed before it ran", 0);
		return;
	}
	if (r < 0) {
		lv->stopped = 1; /* not created, or destroyed by the job */
		lv_start_failed(lv, err->msg);
		lv_exited(lv, "libvirt domain not created", 0);
		return;
	}
	if (lv_streams_start(lv, &serr) < 0) {
		lv_start_failed(lv, serr.msg);
		lv_teardown(lv, D_FORCED);
		lv_exited(lv, "libvirt domain destroyed", 0);
		return;
	}
	lv_timer_clear(lv, &lv->t_start);
	lv->state = LV_READY;
	lv_emit(lv, MACHINE_READY, NULL, 1);
}

static void lv_make(struct lv *lv, enum lv_job_kind kind, char *xml, const char *path);

/* A remote host has the domain's files (r 0) and j its XML: the domain made next. */
static void lv_uploaded(struct lv *lv, struct lv_job *j, int r, const struct bp_error *err)
{
	if (r == 0 && !lv->exited && !lv->released && !lv->cut_due) {
		lv_make(lv, j->then, j->xml, j->path);
		j->xml = NULL;
		return;
	}
	lv->creating = 0;
	if (r < 0) {
		lv->stopped = 1; /* no domain was made */
		lv_start_failed(lv, err->msg);
	}
	lv_teardown(lv, D_FORCED); /* the volumes uploaded so far */
	lv_exited(lv, r < 0 ? "libvirt domain not created" : "libvirt domain destroyed before it ran",
		  0);
}

static void lv_done(void *ctx, int r, const struct bp_error *err)
{
	struct lv_job *j = ctx;
	struct lv *lv = j->lv;

	switch (j->kind) {
	case J_UPLOAD:
		lv_uploaded(lv, j, r, err);
		break;
	case J_CREATE:
	case J_RESTORE:
		lv_created(lv, j, r, err);
		break;
	case J_SAVE:
		lv->saving = 0;
		lv_emit(lv, MACHINE_SAVED, r == 0 ? NULL : err->msg, r == 0);
		if (r == 0) {
			lv->stopped = 1; /* a saved domain is gone from its host */
			lv_exited(lv, "libvirt domain saved", 1);
		}
		break;
	case J_PROBE:
		if (r == 0)
			lv_emit(lv, MACHINE_ANSWERED, NULL, 1);
		break;
	case J_SHOT:
		lv_emit(lv, MACHINE_SCREENSHOT, r == 0 ? NULL : err->msg, r == 0);
		break;
	case J_KEYS:
	case J_NMI:
		lv_emit(lv, MACHINE_SENT, r == 0 ? NULL : err->msg, r == 0);
		break;
	case J_DUMP:
		if (r < 0)
			unlink(j->path);
		lv_emit(lv, MACHINE_DUMPED, r == 0 ? NULL : err->msg, r == 0);
		break;
	case J_TEARDOWN:
		lv->tearing = 0;
		lv->stopped |= r == 0;
		if (r < 0 && (lv->golden || lv->save))
			virt_golden_left(lv->uri, lv->name);
		if (j->fetch_err.msg[0]) {
			/* the boot's disk is lost with the host's copy: the trial cannot go on */
			free(lv->exit_reason);
			lv->exit_reason = xasprintf("the disk was not fetched back from the host: %s",
						    j->fetch_err.msg);
			lv->exit_ok = 0;
			lv->exit_due = 1;
		}
		/* Destroyed (or it failed): gone either way for the harness; the host reaps. */
		if (lv->exit_due)
			lv_exited(lv, lv->exit_reason, lv->exit_ok);
		else
			lv_exited(lv, r == 0 ? "libvirt domain destroyed" : err->msg, 0);
		break;
	case J_RESUME:
		/* A failed resume shows in what the domain does next (or the boot's deadlines). */
		break;
	}
	lv_job_release(j);
	lv_unref(lv);
}

static void lv_on_lifecycle(void *ctx, int event, int detail, int64_t host_ns)
{
	struct lv *lv = ctx;

	if (lv->state != LV_READY || lv->exited)
		return;
	if (event == VIR_DOMAIN_EVENT_CRASHED && !lv->panicked) {
		lv->panicked = 1;
		lv_emit(lv, MACHINE_PANIC, "libvirt: crashed", 1);
	} else if (event == VIR_DOMAIN_EVENT_SHUTDOWN && !lv->shut_seen &&
		   detail != VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED) {
		lv->shut_seen = 1;
		lv_emit(lv,
			detail == VIR_DOMAIN_EVENT_SHUTDOWN_GUEST ? MACHINE_SHUTDOWN_GUEST
								  : MACHINE_SHUTDOWN_HOST,
			"libvirt: shutdown", 1);
	} else if (event == VIR_DOMAIN_EVENT_STOPPED && lv->saving) {
		lv->stopped = 1; /* the save's end says so, SAVED first */
	} else if (event == VIR_DOMAIN_EVENT_STOPPED) {
		static const char *const how[] = {"shutdown", "destroyed", "crashed", "migrated",
						  "saved",    "failed",	   "from snapshot"};
		char *msg = xasprintf("libvirt domain stopped (%s)",
				      detail >= 0 && detail < (int)ARRAY_SIZE(how) ? how[detail]
										: "unknown");

		lv->stopped = 1;
		lv_exited(lv, msg, detail == VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN);
		free(msg);
	}
}

static void lv_on_qmp(void *ctx, const char *event, const char *data, int64_t host_ns)
{
	struct lv *lv = ctx;
	struct machine_event ev = {.host_ns = host_ns};
	struct bp_error err;
	json_t *j = data ? qmp_json_load(data, strlen(data), &err) : NULL;

	if (lv->state == LV_READY && !lv->exited &&
	    qmp_machine_event(event, j, DOMXML_UPDATE_ALIAS, &ev)) {
		if (ev.kind == MACHINE_PANIC)
			lv->panicked = 1;
		else if (ev.kind == MACHINE_RESET || ev.kind == MACHINE_SHUTDOWN_GUEST ||
			 ev.kind == MACHINE_SHUTDOWN_HOST)
			lv->shut_seen = 1;
		else if (ev.kind == MACHINE_CHANNEL_CLOSED && lv_pump_to_host(lv) < 0)
			lv_bridge_close(lv); /* what the guest wrote first is in the socket */
		if (!lv->released)
			lv->m.cb.event(lv->m.cb.ctx, &ev);
	}
	json_decref(j);
}

static void lv_on_lost(void *ctx, const char *reason)
{
	struct lv *lv = ctx;

	lv_start_failed(lv, reason);
	/* Not autodestroy: the run's end tries again (virt-golden.h). */
	if ((lv->golden || lv->save) && !virt_conn_never_open(lv->c))
		virt_golden_left(lv->uri, lv->name);
	/* The host's worker may be stuck in a call: nothing waits for it. */
	lv_streams_quiet(lv);
	lv->tearing = 1;
	lv_exited(lv, reason, 0);
}

static void lv_on_start_deadline(struct loop *l, void *ctx)
{
	struct lv *lv = ctx;
	char msg[128];

	lv->t_start = 0;
	snprintf(msg, sizeof(msg), "libvirt did not start the domain within %d ms",
		 MACHINE_LIBVIRT_START_MS);
	lv_start_failed(lv, msg);
	lv->cut_due = D_FORCED; /* destroyed once created; EXITED then */
}

/* ---- machine_ops ---- */

/* The job that makes the domain from xml (taken), under the start deadline. */
static void lv_make(struct lv *lv, enum lv_job_kind kind, char *xml, const char *path)
{
	struct lv_job *j;

	lv->t_start = loop_timer_add(lv->m.loop, now_ms() + MACHINE_LIBVIRT_START_MS,
				     lv_on_start_deadline, lv);
	j = lv_job_new(lv, kind);
	j->xml = xml;
	j->marker = lv->cfg.guest->machine.marker_serial;
	j->golden = lv->golden;
	j->name = xstrdup(lv->name);
	j->path = path ? xstrdup(path) : NULL;
	lv_submit(lv, j);
}

/*
 * The domain made by a J_CREATE or J_RESTORE job (path: the save), READY
 * once it is; on a remote host its files uploaded first (J_UPLOAD, which
 * builds the XML; the start deadline counts from its end: a first upload
 * of a large image is bounded by the host's keepalive, not by it).
 */
static int lv_begin(struct lv *lv, enum lv_job_kind kind, const char *path, struct bp_error *err)
{
	struct machine *m = &lv->m;
	struct lv_job *j;
	char *xml = NULL;

	/* libvirt's events join the first loop a libvirt machine starts in, for good. */
	if (virt_event_register(m->loop, err) < 0 || !(lv->c = virt_conn_get(lv->uri, err)))
		return -1;
	if (!lv->vol && !(xml = domxml_build(&lv->cfg, lv->name, lv->uuid, lv->log_path, NULL, err)))
		return -1;
	lv->lis = (struct virt_listener){.name = lv->name,
					 .lifecycle = lv_on_lifecycle,
					 .qmp = lv_on_qmp,
					 .lost = lv_on_lost,
					 .ctx = lv};
	virt_conn_listen(lv->c, &lv->lis);
	lv->state = LV_CREATING;
	lv->creating = 1;
	if (xml) {
		lv_make(lv, kind, xml, path);
		return 0;
	}
	j = lv_job_new(lv, J_UPLOAD);
	j->then = kind;
	j->name = xstrdup(lv->name);
	j->uuid = lv->uuid ? xstrdup(lv->uuid) : NULL;
	j->path = path ? xstrdup(path) : NULL;
	lv->dirty = 1;
	lv_submit(lv, j);
	return 0;
}

static int lv_start(struct machine *m, struct bp_error *err)
{
	return lv_begin((struct lv *)m, J_CREATE, NULL, err);
}

/*
 * state: the key of the host's golden saves (virt-golden.h). The domain
 * takes a free save's name and UUID, the rest (disk, console log) is the
 * trial's.
 */
static int lv_restore(struct machine *m, const void *state, struct bp_error *err)
{
	struct lv *lv = (struct lv *)m;

	lv->save = virt_golden_take(lv->uri, state);
	if (!lv->save)
		return error_set(err, "libvirt host '%s' has no free golden save", lv->uri);
	free(lv->name);
	free(lv->uuid);
	lv->name = xstrdup(lv->save->name);
	lv->uuid = xstrdup(lv->save->uuid);
	return lv_begin(lv, J_RESTORE, lv->save->path, err);
}

/* A golden build's domain only: virDomainSaveFlags to path (on the host). */
static int lv_save(struct machine *m, const char *path, struct bp_error *err)
{
	struct lv *lv = (struct lv *)m;
	struct lv_job *j;

	if (!lv->golden)
		return error_set(err, "only a golden build's libvirt domain can be saved");
	if (lv->state != LV_READY || lv->exited)
		return error_set(err, "the libvirt domain is not running");
	j = lv_job_new(lv, J_SAVE);
	j->path = xstrdup(path);
	j->name = xstrdup(lv->name);
	lv->saving = 1;
	lv_submit(lv, j);
	return 0;
}

static int lv_take_channel(struct machine *m)
{
	struct lv *lv = (struct lv *)m;
	int fd = lv->sp[0];

	lv->sp[0] = -1;
	return fd;
}

static int lv_simple_job(struct lv *lv, enum lv_job_kind kind, struct bp_error *err)
{
	if (lv->state != LV_READY || lv->exited)
		return error_set(err, "the libvirt domain is not running");
	lv_submit(lv, lv_job_new(lv, kind));
	return 0;
}

static int lv_cont(struct machine *m, struct bp_error *err)
{
	return lv_simple_job((struct lv *)m, J_RESUME, err);
}

static int lv_probe(struct machine *m, struct bp_error *err)
{
	struct lv *lv = (struct lv *)m;

	if (!lv->c || virt_conn_lost(lv->c) || lv->exited)
		return 1;
	return lv_simple_job(lv, J_PROBE, err);
}

static int lv_screenshot(struct machine *m, const char *png, struct bp_error *err)
{
	struct lv *lv = (struct lv *)m;
	struct lv_job *j;

	if (lv->state != LV_READY || lv->exited)
		return error_set(err, "the libvirt domain is not running");
	j = lv_job_new(lv, J_SHOT);
	j->path = xstrdup(png);
	lv_submit(lv, j);
	return 0;
}

/*
 * QEMU's QKeyCode names (machine.h) as Linux input key codes, which
 * virDomainSendKey takes on every hypervisor: the keys the harness sends.
 */
static const struct {
	const char *qcode;
	unsigned int linux_code;
} lv_keymap[] = {
    {"ctrl", 29},   {"ctrl_r", 97},	     {"alt", 56},      {"alt_r", 100},
    {"shift", 42},  {"shift_r", 54},     {"delete", 111},  {"scroll_lock", 70},
    {"sysrq", 99},  {"esc", 1},	     {"ret", 28},      {"f8", 66},
};

static int lv_send_keys(struct machine *m, const char *const *keys, size_t n,
			struct bp_error *err)
{
	struct lv *lv = (struct lv *)m;
	struct lv_job *j;
	unsigned int codes[LV_KEYS];
	size_t i, k;

	if (n == 0 || n > LV_KEYS)
		return error_set(err, "a chord of 1 to %d keys, not %zu", LV_KEYS, n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(lv_keymap) / sizeof(lv_keymap[0]); k++)
			if (!strcmp(keys[i], lv_keymap[k].qcode))
				break;
		if (k == sizeof(lv_keymap) / sizeof(lv_keymap[0]))
			return error_set(err, "key '%s' is not known to the libvirt backend", keys[i]);
		codes[i] = lv_keymap[k].linux_code;
	}
	if (lv->state != LV_READY || lv->exited)
		return error_set(err, "the libvirt domain is not running");
	j = lv_job_new(lv, J_KEYS);
	memcpy(j->keys, codes, n * sizeof(codes[0]));
	j->nkeys = (int)n;
	lv_submit(lv, j);
	return 0;
}

static int lv_inject_nmi(struct machine *m, struct bp_error *err)
{
	return lv_simple_job((struct lv *)m, J_NMI, err);
}

static int lv_dump(struct machine *m, const char *path, struct bp_error *err)
{
	struct lv *lv = (struct lv *)m;
	struct lv_job *j;

	if (lv->state != LV_READY || lv->exited)
		return error_set(err, "the libvirt domain is not running");
	j = lv_job_new(lv, J_DUMP);
	j->path = xstrdup(path);
	lv_submit(lv, j);
	return 0;
}

static int lv_console_input(struct machine *m, const char *buf, size_t len, struct bp_error *err)
{
	struct lv *lv = (struct lv *)m;
	int n;

	if (!lv->st_cb[ST_CONSOLE])
		return error_set(err, "the console is not connected");
	n = virStreamSend(lv->st[ST_CONSOLE], buf, len);
	if (n == -2)
		return error_set(err, "the console takes no input now");
	if (n < 0)
		return lv_error(err, "cannot type on the console%s", ""), -1;
	if ((size_t)n != len)
		return error_set(err, "the console took %d of %zu bytes", n, len);
	return 0;
}

static void lv_power_cut(struct machine *m)
{
	struct lv *lv = (struct lv *)m;

	if (!lv->exited)
		lv_teardown(lv, D_FORCED);
}

static void lv_stop(struct machine *m)
{
	struct lv *lv = (struct lv *)m;

	if (!lv->exited)
		lv_teardown(lv, D_GRACEFUL);
}

static void lv_release(struct machine *m)
{
	struct lv *lv = (struct lv *)m;

	if (!lv)
		return;
	lv->released = 1;
	if (m->loop) {
		lv_timer_clear(lv, &lv->t_start);
		if (!lv->exited) {
			virt_conn_unlisten(lv->c, &lv->lis);
			lv_teardown(lv, D_FORCED); /* killed, as machine.h says */
			lv->exited = 1;
		}
		lv_streams_quiet(lv);
	}
	lv_unref(lv);
}

static const struct machine_ops lv_ops = {
    .start = lv_start,
    .restore = lv_restore,
    .take_channel = lv_take_channel,
    .cont = lv_cont,
    .probe = lv_probe,
    .screenshot = lv_screenshot,
    .save = lv_save,
    .console_input = lv_console_input,
    .send_keys = lv_send_keys,
    .inject_nmi = lv_inject_nmi,
    .dump = lv_dump,
    .power_cut = lv_power_cut,
    .stop = lv_stop,
    .release = lv_release,
};

struct machine *machine_libvirt_new_golden(const struct vm_config *cfg, const char *uri,
					   const char *name, const char *uuid)
{
	struct lv *lv = (struct lv *)machine_libvirt_new(cfg, uri);

	lv->golden = 1;
	free(lv->name);
	lv->name = xstrdup(name);
	lv->uuid = xstrdup(uuid);
	return &lv->m;
}

struct machine *machine_libvirt_new(const struct vm_config *cfg, const char *uri)
{
	static unsigned seq;
	struct lv *lv = xcalloc(1, sizeof(*lv));

	lv->m.ops = &lv_ops;
	lv->m.name = "libvirt domain";
	lv->m.monitor = "libvirt";
	lv->cfg = *cfg;
	lv->uri = xstrdup(uri ? uri : VIRT_CONN_DEFAULT_URI);
	lv->refs = 1;
	lv->sp[0] = lv->sp[1] = -1;
	/* Unique on the host: harnesses of other machines may share it. */
	lv->name = xasprintf("bootproof-%d-%u-%08llx", (int)getpid(), ++seq,
			     (unsigned long long)(random_u64() & 0xffffffffu));
	if (virt_remote(lv->uri))
		lv->vol = virt_harness_name('v', seq); /* its console log would be the host's */
	else if (cfg->run_dir)
		lv->log_path = xasprintf("%s/libvirt-console.log", cfg->run_dir);
	return &lv->m;
}
