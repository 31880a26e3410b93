/*
 * t-virt-event - libvirt's events on the harness's loop (virt-event.h) and
 * a connection's worker (virt-conn.h), with libvirt's in-process test
 * driver (test:///default): handles and timers through libvirt's public
 * virEvent* calls, removal from inside a callback (free callbacks later,
 * from the loop), calls from another thread waking the loop, and domain
 * lifecycle events from virDomainCreateXML / destroy run on the worker.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "loop.h"
#include "tap.h"
#include "util.h"
#include "virt-conn.h"
#include "virt-event.h"

static pthread_t main_thread;
static int calls, frees, wrong_thread, watch_id, in_remove;
static int timer_calls, timer_frees;

static void on_free(void *opaque)
{
	(*(int *)opaque)++;
	if (in_remove)
		wrong_thread++; /* called from inside a remove: counted as a failure */
	if (!pthread_equal(pthread_self(), main_thread))
		wrong_thread++;
}

/* Removes itself at its first call. */
static void on_fd(int watch, int fd, int events, void *opaque)
{
	char b[16];

	calls++;
	if (!pthread_equal(pthread_self(), main_thread))
		wrong_thread++;
	if (read(fd, b, sizeof(b)) < 0)
		return;
	in_remove = 1;
	virEventRemoveHandle(watch);
	in_remove = 0;
}

static void on_timer(int timer, void *opaque)
{
	timer_calls++;
	if (!pthread_equal(pthread_self(), main_thread))
		wrong_thread++;
	if (timer_calls == 3) {
		in_remove = 1;
		virEventRemoveTimeout(timer);
		in_remove = 0;
	}
}

/* Rounds until *flag reaches want, at most ms; returns the time taken. */
static int64_t run_until(struct loop *l, int *flag, int want, int ms)
{
	int64_t t0 = now_ms();

	while (*flag < want && now_ms() - t0 < ms)
		loop_once(l, 100);
	return now_ms() - t0;
}

static void check_handles(struct loop *l)
{
	int p[2], before = virt_event_count();

	if (pipe(p) < 0)
		return;
	watch_id = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE, on_fd, NULL, NULL);
	tap_ok(watch_id > 0, "virEventAddHandle gives a watch");
	virEventRemoveHandle(watch_id);
	/* a second handle, the one that fires: its free callback counted */
	watch_id = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE, on_fd, &frees, on_free);
	if (write(p[1], "x", 1) != 1)
		return;
	run_until(l, &calls, 1, 2000);
	tap_is_int(calls, 1, "a readable fd calls its handle");
	tap_is_int(frees, 0, "removed from inside its callback: not freed there");
	if (write(p[1], "y", 1) != 1)
		return;
	run_until(l, &frees, 1, 2000);
	loop_once(l, 50);
	tap_is_int(calls, 1, "a removed handle is not called again");
	tap_is_int(frees, 1, "its free callback comes later, from the loop, once");
	tap_is_int(virt_event_count(), before, "nothing of it is left");
	close(p[0]);
	close(p[1]);
}

static void check_timers(struct loop *l)
{
	int t = virEventAddTimeout(20, on_timer, &timer_frees, on_free), later;
	int64_t took = run_until(l, &timer_frees, 1, 3000);

	tap_is_int(timer_calls, 3, "a 20 ms timer fires again and again, until removed at 3");
	tap_is_int(timer_frees, 1, "its free callback once, after the callback returned");
	tap_ok(took >= 40, "the interval is kept");
	t = virEventAddTimeout(-1, on_timer, NULL, NULL);
	later = timer_calls;
	loop_once(l, 100);
	tap_is_int(timer_calls, later, "a disabled timer does not fire");
	virEventUpdateTimeout(t, 0);
	run_until(l, &timer_calls, later + 1, 1000);
	tap_is_int(timer_calls, later + 1, "enabled at 0 ms: it fires in the next rounds");
	virEventRemoveTimeout(t);
}

struct thread_arg {
	int timer;
	int posted;
	int p[2];
};

static void on_posted(void *ctx)
{
	struct thread_arg *a = ctx;

	a->posted = pthread_equal(pthread_self(), main_thread) ? 1 : -1;
}

static void *other_thread(void *ctx)
{
	struct thread_arg *a = ctx;

	usleep(200 * 1000);
	/* from another thread: a handle and a post, while the loop sleeps in poll */
	virEventAddHandle(a->p[0], VIR_EVENT_HANDLE_READABLE, on_fd, &frees, on_free);
	virt_event_post(on_posted, a);
	return NULL;
}

static void check_threads(struct loop *l)
{
	struct thread_arg a = {0};
	pthread_t th;
	int64_t t0;

	if (pipe(a.p) < 0 || write(a.p[1], "z", 1) != 1)
		return;
	calls = frees = 0;
	pthread_create(&th, NULL, other_thread, &a);
	t0 = now_ms();
	/* no cap: only the other thread's eventfd write can end this poll early */
	while (!a.posted && now_ms() - t0 < 5000)
		loop_once(l, 5000);
	tap_ok(now_ms() - t0 < 3000, "a call from another thread wakes the loop's poll");
	tap_is_int(a.posted, 1, "a post runs on the loop thread");
	run_until(l, &frees, 1, 2000);
	tap_is_int(calls, 1, "a handle added on another thread is polled by the loop");
	tap_is_int(frees, 1, "and freed from the loop once removed");
	pthread_join(th, NULL);
	close(a.p[0]);
	close(a.p[1]);
}

/* ---- virt-conn on the test driver ---- */

struct dom_seen {
	int started, stopped, done, r, lost;
	char err[256];
};

static void on_lifecycle(void *ctx, int event, int detail, int64_t ns)
{
	struct dom_seen *d = ctx;

	if (!pthread_equal(pthread_self(), main_thread))
		wrong_thread++;
	d->started += event == VIR_DOMAIN_EVENT_STARTED;
	d->stopped += event == VIR_DOMAIN_EVENT_STOPPED;
}

static int job_create(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	static const char xml[] = "<domain type='test'><name>t-virt-event</name>"
				  "<memory>65536</memory><os><type>hvm</type></os></domain>";
	virDomainPtr dom;

	if (pthread_equal(pthread_self(), main_thread))
		return error_set(err, "the job ran on the loop thread");
	dom = virDomainCreateXML(conn, xml, 0);
	if (!dom)
		return error_set(err, "create: %s", virGetLastErrorMessage());
	virDomainFree(dom);
	return 0;
}

static int job_destroy(virConnectPtr conn, void *ctx, struct bp_error *err)
{
	virDomainPtr dom = virDomainLookupByName(conn, "t-virt-event");
	int r = dom ? virDomainDestroy(dom) : -1;

	if (dom)
		virDomainFree(dom);
	return r < 0 ? error_set(err, "destroy: %s", virGetLastErrorMessage()) : 0;
}

static void on_done(void *ctx, int r, const struct bp_error *err)
{
	struct dom_seen *d = ctx;

	if (!pthread_equal(pthread_self(), main_thread))
		wrong_thread++;
	d->done++;
	d->r |= r;
	if (r < 0)
		snprintf(d->err, sizeof(d->err), "%.200s", err->msg);
}

static void check_conn(struct loop *l)
{
	struct dom_seen d = {0};
	struct virt_listener lis = {.name = "t-virt-event", .lifecycle = on_lifecycle, .ctx = &d};
	struct bp_error err;
	struct virt_conn *c = virt_conn_get("test:///default", &err);

	if (!tap_ok(c != NULL, "a connection to test:///default"))
		return tap_diag(err.msg);
	tap_ok(virt_conn_get("test:///default", &err) == c, "one connection per URI");
	virt_conn_listen(c, &lis);
	virt_conn_submit(c, job_create, on_done, &d);
	tap_is_int(virt_conn_pending(c), 1, "the job is pending");
	run_until(l, &d.done, 1, 10000);
	run_until(l, &d.started, 1, 2000);
	tap_is_int(d.done, 1, "the create job is done, on the loop");
	if (d.r)
		tap_diag(d.err);
	tap_is_int(d.r, 0, "virDomainCreateXML ran on the worker");
	tap_is_int(d.started, 1, "its STARTED event reaches the domain's listener");
	virt_conn_submit(c, job_destroy, on_done, &d);
	run_until(l, &d.done, 2, 10000);
	run_until(l, &d.stopped, 1, 2000);
	tap_is_int(d.stopped, 1, "destroy: STOPPED");
	tap_is_int(d.done, 2, "the destroy job is done");
	virt_conn_unlisten(c, &lis);
	virt_conn_submit(c, job_create, on_done, &d);
	virt_conn_submit(c, job_destroy, on_done, &d);
	run_until(l, &d.done, 4, 10000);
	tap_is_int(d.started + d.stopped, 2, "an unlistened domain's events go nowhere");
	virt_conn_close_all(5000);
	tap_is_int(d.done, 4, "close_all leaves no job undone");
}

int main(void)
{
	struct loop *l = loop_new();
	struct bp_error err;

	main_thread = pthread_self();
	tap_is_int(virt_event_register(l, &err), 0, "registered on the loop");
	tap_is_int(virt_event_register(l, &err), 0, "again on the same loop: a no-op");
	{
		struct loop *other = loop_new();

		tap_is_int(virt_event_register(other, &err), -1, "another loop is refused");
		loop_free(other);
	}
	check_handles(l);
	check_timers(l);
	check_threads(l);
	check_conn(l);
	tap_is_int(wrong_thread, 0, "every callback and free on the loop thread, none inside a remove");
	return tap_done();
}
