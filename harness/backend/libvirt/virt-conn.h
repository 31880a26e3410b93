/*
 * virt-conn - one libvirt connection per host URI, and the thread that
 * makes its blocking calls.
 *
 * libvirt's calls are round trips to a daemon (CreateXML 0.5-2 s, save,
 * restore, destroy seconds on a loaded host; the first connection after a
 * daemon starts ~8 s). None of them runs on the loop thread: each
 * connection has one worker thread that runs jobs in the order submitted,
 * and each job's done callback is called on the loop thread
 * (virt-event.h's post), so a slow host only delays its own jobs, never
 * the judging of another host's guests.
 *
 * virt_conn_get() returns the process's connection to a URI, making it on
 * first use: the worker's first job opens it (virConnectOpen), sets
 * keepalive (VIRT_CONN_KEEPALIVE_S x VIRT_CONN_KEEPALIVE_COUNT: a host that
 * stops answering is dropped within ~15 s), a close callback, and one
 * lifecycle and one QEMU-monitor event registration for all domains,
 * which it hands to the listener of each domain name (virt_conn_listen());
 * keepalive, the close callback and QEMU's monitor events are skipped on a
 * driver without them (the in-process test:///default).
 * A job submitted before the open ends waits for it; if the open failed,
 * every job fails with the open's error and run is not called.
 *
 * Lost: once the connection closes (keepalive, the daemon gone, an
 * error), or when it could not be opened at all, virt_conn_lost() says why ("libvirt host 'URI' stopped
 * answering (keepalive)") and every listener's lost callback is called
 * once, on the loop thread. Jobs in flight then fail (libvirt fails calls
 * on a closed connection); jobs submitted later fail at once with the
 * same reason. The connection is not reopened (a pool may make a new one:
 * virt_conn_get() after a loss gives a fresh connection to the URI).
 *
 * For other modules' blocking helpers (a storage pool's uploads, say):
 * write them as a virt_job_fn taking the virConnectPtr and submit them;
 * they run on the host's worker in order with the machines' jobs. Nothing
 * but the worker may use the virConnectPtr for blocking calls.
 *
 * Loop-thread only, except what a job's run does on the worker: every
 * function here is called on virt_event_register()'s loop thread.
 */
#ifndef BP_VIRT_CONN_H
#define BP_VIRT_CONN_H

#include <stdint.h>

#include <libvirt/libvirt.h>

#include "util.h"

#define VIRT_CONN_KEEPALIVE_S 5
#define VIRT_CONN_KEEPALIVE_COUNT 2
/* qemu:///system: the local system daemon (a remote URI names another). */
#define VIRT_CONN_DEFAULT_URI "qemu:///system"

struct virt_conn;

/*
 * On the worker: the blocking calls, with the open connection. 0, or -1
 * with err. ctx is the submitter's; the job must not touch what the loop
 * thread uses meanwhile (give it a context of its own).
 */
typedef int (*virt_job_fn)(virConnectPtr conn, void *ctx, struct bp_error *err);
/* On the loop thread, always, once the job ran (or failed without running). */
typedef void (*virt_done_fn)(void *ctx, int r, const struct bp_error *err);

/* What a domain's events go to (callbacks on the loop thread; may be NULL). */
struct virt_listener {
	const char *name; /* the domain's name */
	/* lifecycle: virDomainEventType and its detail */
	void (*lifecycle)(void *ctx, int event, int detail, int64_t host_ns);
	/* a raw QMP event: name, its "data" as JSON text (may be NULL) */
	void (*qmp)(void *ctx, const char *event, const char *data, int64_t host_ns);
	/* the connection closed: reason names the host */
	void (*lost)(void *ctx, const char *reason);
	void *ctx;
	/* private */
	struct virt_listener *next;
	int lost_said;
};

/*
 * The connection to uri (NULL: VIRT_CONN_DEFAULT_URI), shared by every
 * caller; never NULL. -1 with err only when libvirt's events are not
 * registered (virt_event_register()) or the worker cannot start.
 */
struct virt_conn *virt_conn_get(const char *uri, struct bp_error *err);
const char *virt_conn_uri(const struct virt_conn *c);
/* Why it is lost, or NULL while it is up (or still opening). */
const char *virt_conn_lost(const struct virt_conn *c);
/* Non-zero once it is known the connection could not be opened: nothing was made there. */
int virt_conn_never_open(const struct virt_conn *c);
/*
 * Why a connection to uri (NULL: the default) was lost, the latest, or
 * NULL if none was: a pool (hostpool.h) asks after a trial on that host
 * ends, virt_conn_get() having made a fresh connection since or not.
 */
const char *virt_conn_uri_lost(const char *uri);

/* Run run(conn, ctx) on c's worker, then done(ctx, r, err) on the loop thread. */
void virt_conn_submit(struct virt_conn *c, virt_job_fn run, virt_done_fn done, void *ctx);
/* Jobs submitted and not yet done. */
int virt_conn_pending(const struct virt_conn *c);

/* Events of the domain l->name to l (l is the caller's, linked until unlisten; c may be NULL there). */
void virt_conn_listen(struct virt_conn *c, struct virt_listener *l);
void virt_conn_unlisten(struct virt_conn *c, struct virt_listener *l);

/*
 * At the end of the process: wait (running the loop, at most timeout_ms)
 * for every connection's jobs, then stop the workers and close the
 * connections (transient AUTODESTROY domains still running are destroyed
 * by the daemon when their connection closes).
 */
void virt_conn_close_all(int timeout_ms);

#endif
