/*
 * virt-conn - a libvirt connection and its worker thread (see virt-conn.h).
 *
 * The loop thread and the worker share only the job queue (under the
 * connection's mutex) and the connection pointer, which the worker alone
 * uses for calls. Results come back through virt_event_post(): a job is
 * done on the loop thread, where everything else of this module lives
 * (listeners, the lost state, the pending count).
 */
#define _GNU_SOURCE
#include "virt-conn.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "loop.h"
#include "virt-event.h"

struct vc_job {
	struct virt_conn *c;
	virt_job_fn run;
	virt_done_fn done;
	void *ctx;
	int r;
	struct bp_error err;
	struct vc_job *next;
};

struct virt_conn {
	char *uri;
	/* the worker's */
	virConnectPtr conn;
	struct bp_error open_err;
	pthread_t thread;
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct vc_job *head, *tail;
	int quit;
	/* the loop thread's */
	int pending;
	int closed; /* the worker closed the connection and ends */
	char *lost;
	int never_open; /* the open failed: nothing was made there */
	struct virt_listener *listeners;
	struct virt_conn *next;
};

static struct virt_conn *vc_all;

/* libvirt's last error on this thread, as the message of err (prefixed by what). */
static void vc_error(struct bp_error *err, const char *what)
{
	const char *msg = virGetLastErrorMessage();

	error_set(err, "%s: %s", what, msg ? msg : "unknown error");
}

static struct virt_listener *vc_find(struct virt_conn *c, virDomainPtr dom)
{
	const char *name = dom ? virDomainGetName(dom) : NULL;

	for (struct virt_listener *l = c->listeners; name && l; l = l->next)
		if (!strcmp(l->name, name))
			return l;
	return NULL;
}

/* libvirt dispatches domain events from its event loop: the loop thread. */
static int vc_on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			   void *opaque)
{
	struct virt_listener *l = vc_find(opaque, dom);

	if (l && l->lifecycle)
		l->lifecycle(l->ctx, event, detail, now_ns());
	return 0;
}

static void vc_on_qmp(virConnectPtr conn, virDomainPtr dom, const char *event, long long seconds,
		      unsigned int micros, const char *details, void *opaque)
{
	struct virt_listener *l = vc_find(opaque, dom);

	if (l && l->qmp)
		l->qmp(l->ctx, event, details, now_ns());
}

/* Tell each listener once; a callback may unlisten any listener, so restart each time. */
static void vc_tell_lost(struct virt_conn *c)
{
	struct virt_listener *l;

	for (;;) {
		for (l = c->listeners; l && l->lost_said; l = l->next)
			;
		if (!l)
			return;
		l->lost_said = 1;
		if (l->lost)
			l->lost(l->ctx, c->lost);
	}
}

struct vc_close {
	struct virt_conn *c;
	int reason;
};

static void vc_lost_posted(void *ctx)
{
	struct vc_close *cl = ctx;
	struct virt_conn *c = cl->c;

	if (!c->lost)
		c->lost = cl->reason == VIR_CONNECT_CLOSE_REASON_KEEPALIVE
			      ? xasprintf("libvirt host '%s' stopped answering (keepalive)", c->uri)
		      : cl->reason == VIR_CONNECT_CLOSE_REASON_EOF
			      ? xasprintf("libvirt host '%s' closed the connection", c->uri)
			      : xasprintf("the connection to libvirt host '%s' failed", c->uri);
	free(cl);
	vc_tell_lost(c);
}

/* On whichever thread noticed the close. */
static void vc_on_close(virConnectPtr conn, int reason, void *opaque)
{
	struct vc_close *cl;

	if (reason == VIR_CONNECT_CLOSE_REASON_CLIENT)
		return; /* ours: virt_conn_close_all() */
	cl = xcalloc(1, sizeof(*cl));
	cl->c = opaque;
	cl->reason = reason;
	virt_event_post(vc_lost_posted, cl);
}

/* An optional feature the driver lacks (the test driver: keepalive, QEMU's monitor). */
static int vc_optional(int r)
{
	virErrorPtr e = virGetLastError();

	return r >= 0 || (e && e->code == VIR_ERR_NO_SUPPORT) ? 0 : -1;
}

/* On the worker, before its first job. */
static void vc_open(struct virt_conn *c)
{
	c->conn = virConnectOpen(c->uri);
	if (!c->conn) {
		vc_error(&c->open_err, "cannot connect to libvirt host");
		error_prefix(&c->open_err, "'%s'", c->uri);
		return;
	}
	/* 1: the daemon has no keepalive; the close callback still sees an EOF. */
	if (vc_optional(virConnectSetKeepAlive(c->conn, VIRT_CONN_KEEPALIVE_S,
					       VIRT_CONN_KEEPALIVE_COUNT)) < 0 ||
	    vc_optional(virConnectRegisterCloseCallback(c->conn, vc_on_close, c, NULL)) < 0 ||
	    virConnectDomainEventRegisterAny(c->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					     VIR_DOMAIN_EVENT_CALLBACK(vc_on_lifecycle), c,
					     NULL) < 0 ||
	    vc_optional(virConnectDomainQemuMonitorEventRegister(c->conn, NULL, NULL, vc_on_qmp, c,
								 NULL, 0)) < 0) {
		vc_error(&c->open_err, "cannot set up the connection");
		error_prefix(&c->open_err, "libvirt host '%s'", c->uri);
		virConnectClose(c->conn);
		c->conn = NULL;
	}
}

static void vc_job_done(void *ctx)
{
	struct vc_job *j = ctx;

	j->c->pending--;
	j->done(j->ctx, j->r, &j->err);
	free(j);
}

static void vc_closed_posted(void *ctx)
{
	((struct virt_conn *)ctx)->closed = 1;
}

/* A host never reached is lost as one that stopped answering: a pool takes it out. */
static void vc_open_failed_posted(void *ctx)
{
	struct virt_conn *c = ctx;

	c->never_open = 1;
	if (!c->lost)
		c->lost = xstrdup(c->open_err.msg);
	vc_tell_lost(c);
}

static void *vc_worker(void *arg)
{
	struct virt_conn *c = arg;
	struct vc_job *j;

	vc_open(c);
	/* posted before any job's done: a job failed by it finds the host lost */
	if (!c->conn)
		virt_event_post(vc_open_failed_posted, c);
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (!c->head && !c->quit)
			pthread_cond_wait(&c->cv, &c->mu);
		j = c->head;
		if (j && !(c->head = j->next))
			c->tail = NULL;
		pthread_mutex_unlock(&c->mu);
		if (!j)
			break;
		if (!c->conn) {
			j->r = -1;
			j->err = c->open_err;
		} else {
			j->r = j->run(c->conn, j->ctx, &j->err) < 0 ? -1 : 0;
		}
		virt_event_post(vc_job_done, j);
	}
	if (c->conn)
		virConnectClose(c->conn);
	virt_event_post(vc_closed_posted, c);
	return NULL;
}

struct virt_conn *virt_conn_get(const char *uri, struct bp_error *err)
{
	struct virt_conn *c;

	if (!uri)
		uri = VIRT_CONN_DEFAULT_URI;
	if (!virt_event_loop()) {
		error_set(err, "libvirt: no event loop registered");
		return NULL;
	}
	for (c = vc_all; c; c = c->next)
		if (!c->lost && !strcmp(c->uri, uri))
			return c;
	c = xcalloc(1, sizeof(*c));
	c->uri = xstrdup(uri);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, vc_worker, c) != 0) {
		error_set(err, "libvirt host '%s': cannot start its worker thread", uri);
		free(c->uri);
		free(c);
		return NULL;
	}
	c->next = vc_all;
	vc_all = c;
	return c;
}

const char *virt_conn_uri_lost(const char *uri)
{
	/* vc_all is newest first */
	for (struct virt_conn *c = vc_all; c; c = c->next)
		if (c->lost && !strcmp(c->uri, uri ? uri : VIRT_CONN_DEFAULT_URI))
			return c->lost;
	return NULL;
}

const char *virt_conn_uri(const struct virt_conn *c)
{
	return c->uri;
}

const char *virt_conn_lost(const struct virt_conn *c)
{
	return c->lost;
}

int virt_conn_never_open(const struct virt_conn *c)
{
	return c->never_open;
}

int virt_conn_pending(const struct virt_conn *c)
{
	return c->pending;
}

void virt_conn_submit(struct virt_conn *c, virt_job_fn run, virt_done_fn done, void *ctx)
{
	struct vc_job *j = xcalloc(1, sizeof(*j));

	*j = (struct vc_job){.c = c, .run = run, .done = done, .ctx = ctx};
	c->pending++;
	if (c->lost || c->closed) {
		/* Never from inside submit: done comes from the loop, as for any job. */
		j->r = -1;
		error_set(&j->err, "%s", c->lost ? c->lost : "the connection is closed");
		virt_event_post(vc_job_done, j);
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (c->tail)
		c->tail->next = j;
	else
		c->head = j;
	c->tail = j;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void virt_conn_listen(struct virt_conn *c, struct virt_listener *l)
{
	l->lost_said = 0;
	l->next = c->listeners;
	c->listeners = l;
}

void virt_conn_unlisten(struct virt_conn *c, struct virt_listener *l)
{
	for (struct virt_listener **p = c ? &c->listeners : NULL; p && *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			return;
		}
}

void virt_conn_close_all(int timeout_ms)
{
	struct loop *l = virt_event_loop();
	int64_t end = now_ms() + timeout_ms;
	int busy;

	if (!l)
		return;
	do {
		busy = 0;
		for (struct virt_conn *c = vc_all; c; c = c->next)
			busy |= c->pending > 0;
	} while (busy && now_ms() < end && loop_once(l, 100) >= 0);
	for (struct virt_conn *c = vc_all; c; c = c->next) {
		pthread_mutex_lock(&c->mu);
		c->quit = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	do {
		busy = 0;
		for (struct virt_conn *c = vc_all; c; c = c->next)
			busy |= !c->closed;
	} while (busy && now_ms() < end && loop_once(l, 100) >= 0);
	while (vc_all) {
		struct virt_conn *c = vc_all;

		vc_all = c->next;
		/* A worker stuck in a call to a dead host is left to the process's exit. */
		if (!c->closed) {
			pthread_detach(c->thread);
			continue;
		}
		pthread_join(c->thread, NULL);
		free(c->lost);
		free(c->uri);
		free(c);
	}
}
