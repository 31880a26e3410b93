/*
 * virt-event - libvirt's event implementation on core/loop (see
 * virt-event.h).
 *
 * libvirt's handles and timers live in two arrays under one mutex, each
 * entry with the loop handle or timer that mirrors it (0: none yet).
 * Every change marks the table dirty and writes the eventfd; on the loop
 * thread, ve_sync() then adds, changes and removes loop entries to match,
 * drops removed entries and calls their free callbacks, with the mutex
 * released. Dispatch re-reads the entry under the mutex, so what libvirt
 * changed on another thread since the last sync is respected.
 */
#define _GNU_SOURCE
#include "virt-event.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

struct ve_handle {
	int watch, fd, events; /* events: libvirt's VIR_EVENT_HANDLE_* */
	virEventHandleCallback cb;
	void *opaque;
	virFreeCallback ff;
	int removed;
	int id;	      /* the loop handle */
	short polled; /* the poll events it has */
	int *key;     /* the watch, as the loop handle's ctx (stable while entries move) */
};

struct ve_timer {
	int timer, interval; /* ms; -1 disabled, 0 every round */
	virEventTimeoutCallback cb;
	void *opaque;
	virFreeCallback ff;
	int removed;
	int id;	     /* the loop timer, 0 while disabled */
	int applied; /* the interval id was armed with (-1: none) */
	int *key;    /* the timer, as the loop timer's ctx */
};

struct ve_post {
	void (*fn)(void *ctx);
	void *ctx;
};

static struct {
	pthread_mutex_t mu;
	struct loop *loop;
	pthread_t thread;
	int efd, id_efd;
	struct ve_handle *h;
	size_t nr_h, alloc_h;
	struct ve_timer *t;
	size_t nr_t, alloc_t;
	struct ve_post *posts;
	size_t nr_posts, alloc_posts;
	int next_watch, next_timer;
} ve = {.mu = PTHREAD_MUTEX_INITIALIZER, .efd = -1};

static void ve_wake(void)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(ve.efd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is full, the loop is woken anyway. */
}

static short ve_to_poll(int events)
{
	return (events & VIR_EVENT_HANDLE_READABLE ? POLLIN : 0) |
	       (events & VIR_EVENT_HANDLE_WRITABLE ? POLLOUT : 0);
}

static int ve_from_poll(short revents)
{
	return (revents & POLLIN ? VIR_EVENT_HANDLE_READABLE : 0) |
	       (revents & POLLOUT ? VIR_EVENT_HANDLE_WRITABLE : 0) |
	       (revents & (POLLERR | POLLNVAL) ? VIR_EVENT_HANDLE_ERROR : 0) |
	       (revents & POLLHUP ? VIR_EVENT_HANDLE_HANGUP : 0);
}

static struct ve_handle *ve_find_handle(int watch)
{
	for (size_t i = 0; i < ve.nr_h; i++)
		if (ve.h[i].watch == watch && !ve.h[i].removed)
			return &ve.h[i];
	return NULL;
}

static struct ve_timer *ve_find_timer(int timer)
{
	for (size_t i = 0; i < ve.nr_t; i++)
		if (ve.t[i].timer == timer && !ve.t[i].removed)
			return &ve.t[i];
	return NULL;
}

static void ve_on_fd(struct loop *l, int fd, short revents, void *ctx)
{
	int watch = *(const int *)ctx, events;
	virEventHandleCallback cb = NULL;
	void *opaque = NULL;
	struct ve_handle *h;

	pthread_mutex_lock(&ve.mu);
	h = ve_find_handle(watch);
	if (h) {
		events = ve_from_poll(revents) &
			 (h->events | VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP);
		if (events) {
			cb = h->cb;
			opaque = h->opaque;
		}
	}
	pthread_mutex_unlock(&ve.mu);
	if (cb)
		cb(watch, fd, events, opaque);
}

static void ve_on_timer(struct loop *l, void *ctx)
{
	int timer = *(const int *)ctx;
	virEventTimeoutCallback cb = NULL;
	void *opaque = NULL;
	struct ve_timer *t;

	pthread_mutex_lock(&ve.mu);
	t = ve_find_timer(timer);
	if (t && t->interval >= 0) {
		/* Re-armed before the call: the callback may change it (a later sync). */
		loop_timer_move(l, t->id, now_ms() + t->interval);
		cb = t->cb;
		opaque = t->opaque;
	}
	pthread_mutex_unlock(&ve.mu);
	if (cb)
		cb(timer, opaque);
}

/* Loop entries to match the table; returns the free callbacks due, to call unlocked. */
static size_t ve_sync_locked(struct ve_post *frees, size_t max)
{
	size_t n = 0, nf = 0;

	for (size_t i = 0; i < ve.nr_h; i++) {
		struct ve_handle *h = &ve.h[i];

		if (h->removed) {
			if (h->id)
				loop_fd_remove(ve.loop, h->id);
			h->id = 0;
			if (h->ff && nf == max) {
				ve.h[n++] = *h; /* freed in a later round */
				continue;
			}
			if (h->ff)
				frees[nf++] = (struct ve_post){(void (*)(void *))h->ff, h->opaque};
			free(h->key); /* its loop handle is removed: never called again */
			continue;
		}
		if (!h->id)
			h->id = loop_fd_add(ve.loop, h->fd, h->polled = ve_to_poll(h->events),
					    ve_on_fd, h->key);
		else if (h->polled != ve_to_poll(h->events))
			loop_fd_events(ve.loop, h->id, h->polled = ve_to_poll(h->events));
		ve.h[n++] = *h;
	}
	ve.nr_h = n;
	n = 0;
	for (size_t i = 0; i < ve.nr_t; i++) {
		struct ve_timer *t = &ve.t[i];

		if (t->removed || t->interval < 0) {
			if (t->id)
				loop_timer_remove(ve.loop, t->id);
			t->id = 0;
			t->applied = -1;
		}
		if (t->removed) {
			if (t->ff && nf == max) {
				ve.t[n++] = *t; /* freed in a later round */
				continue;
			}
			if (t->ff)
				frees[nf++] = (struct ve_post){(void (*)(void *))t->ff, t->opaque};
			free(t->key);
			continue;
		}
		if (t->interval >= 0 && t->applied != t->interval) {
			int64_t at = now_ms() + t->interval;

			if (t->id)
				loop_timer_move(ve.loop, t->id, at);
			else
				t->id = loop_timer_add(ve.loop, at, ve_on_timer,
						       t->key);
			t->applied = t->interval;
		}
		ve.t[n++] = *t;
	}
	ve.nr_t = n;
	return nf;
}

#define VE_BATCH 64

/* On the loop thread: the table applied, then the free callbacks and the posts. */
static void ve_on_wake(struct loop *l, int fd, short revents, void *ctx)
{
	struct ve_post frees[VE_BATCH], *posts;
	uint64_t v;
	size_t nf, np;
	ssize_t n;

	do
		n = read(ve.efd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	pthread_mutex_lock(&ve.mu);
	nf = ve_sync_locked(frees, VE_BATCH);
	posts = ve.posts;
	np = ve.nr_posts;
	ve.posts = NULL;
	ve.nr_posts = ve.alloc_posts = 0;
	pthread_mutex_unlock(&ve.mu);
	if (nf == VE_BATCH)
		ve_wake(); /* more removed entries than one batch: the next round frees them */
	for (size_t i = 0; i < nf; i++)
		frees[i].fn(frees[i].ctx);
	for (size_t i = 0; i < np; i++)
		posts[i].fn(posts[i].ctx);
	free(posts);
}

static int ve_add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
			 virFreeCallback ff)
{
	int watch;

	pthread_mutex_lock(&ve.mu);
	if (ve.nr_h == ve.alloc_h) {
		ve.alloc_h = ve.alloc_h ? 2 * ve.alloc_h : 16;
		ve.h = xrealloc(ve.h, ve.alloc_h * sizeof(*ve.h));
	}
	watch = ++ve.next_watch;
	ve.h[ve.nr_h++] = (struct ve_handle){.watch = watch,
					     .fd = fd,
					     .events = events,
					     .cb = cb,
					     .opaque = opaque,
					     .ff = ff,
					     .key = xmalloc(sizeof(int))};
	*ve.h[ve.nr_h - 1].key = watch;
	pthread_mutex_unlock(&ve.mu);
	ve_wake();
	return watch;
}

static void ve_update_handle(int watch, int events)
{
	struct ve_handle *h;

	pthread_mutex_lock(&ve.mu);
	if ((h = ve_find_handle(watch)))
		h->events = events;
	pthread_mutex_unlock(&ve.mu);
	ve_wake();
}

static int ve_remove_handle(int watch)
{
	struct ve_handle *h;

	pthread_mutex_lock(&ve.mu);
	if ((h = ve_find_handle(watch)))
		h->removed = 1;
	pthread_mutex_unlock(&ve.mu);
	ve_wake();
	return h ? 0 : -1;
}

static int ve_add_timeout(int interval, virEventTimeoutCallback cb, void *opaque,
			  virFreeCallback ff)
{
	int timer;

	pthread_mutex_lock(&ve.mu);
	if (ve.nr_t == ve.alloc_t) {
		ve.alloc_t = ve.alloc_t ? 2 * ve.alloc_t : 16;
		ve.t = xrealloc(ve.t, ve.alloc_t * sizeof(*ve.t));
	}
	timer = ++ve.next_timer;
	ve.t[ve.nr_t++] = (struct ve_timer){.timer = timer,
					     .interval = interval,
					     .cb = cb,
					     .opaque = opaque,
					     .ff = ff,
					     .applied = -1,
					     .key = xmalloc(sizeof(int))};
	*ve.t[ve.nr_t - 1].key = timer;
	pthread_mutex_unlock(&ve.mu);
	ve_wake();
	return timer;
}

static void ve_update_timeout(int timer, int interval)
{
	struct ve_timer *t;

	pthread_mutex_lock(&ve.mu);
	if ((t = ve_find_timer(timer))) {
		t->interval = interval;
		t->applied = -2; /* re-armed from now even at the same interval */
	}
	pthread_mutex_unlock(&ve.mu);
	ve_wake();
}

static int ve_remove_timeout(int timer)
{
	struct ve_timer *t;

	pthread_mutex_lock(&ve.mu);
	if ((t = ve_find_timer(timer)))
		t->removed = 1;
	pthread_mutex_unlock(&ve.mu);
	ve_wake();
	return t ? 0 : -1;
}

/* A library does not print: libvirt's errors reach callers through virGetLastError(). */
static void ve_quiet(void *opaque, virErrorPtr e)
{
}

int virt_event_register(struct loop *l, struct bp_error *err)
{
	if (ve.loop)
		return ve.loop == l ? 0 : error_set(err, "libvirt's events run in another loop");
	ve.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ve.efd < 0)
		return error_set(err, "eventfd: %s", strerror(errno));
	ve.loop = l;
	ve.thread = pthread_self();
	ve.id_efd = loop_fd_add(l, ve.efd, POLLIN, ve_on_wake, NULL);
	virSetErrorFunc(NULL, ve_quiet);
	virEventRegisterImpl(ve_add_handle, ve_update_handle, ve_remove_handle, ve_add_timeout,
			     ve_update_timeout, ve_remove_timeout);
	return 0;
}

struct loop *virt_event_loop(void)
{
	return ve.loop;
}

int virt_event_on_loop(void)
{
	return ve.loop && pthread_equal(pthread_self(), ve.thread);
}

void virt_event_post(void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&ve.mu);
	if (ve.nr_posts == ve.alloc_posts) {
		ve.alloc_posts = ve.alloc_posts ? 2 * ve.alloc_posts : 16;
		ve.posts = xrealloc(ve.posts, ve.alloc_posts * sizeof(*ve.posts));
	}
	ve.posts[ve.nr_posts++] = (struct ve_post){fn, ctx};
	pthread_mutex_unlock(&ve.mu);
	ve_wake();
}

int virt_event_count(void)
{
	int n = 0;

	pthread_mutex_lock(&ve.mu);
	for (size_t i = 0; i < ve.nr_h; i++)
		n += !ve.h[i].removed;
	for (size_t i = 0; i < ve.nr_t; i++)
		n += !ve.t[i].removed;
	pthread_mutex_unlock(&ve.mu);
	return n;
}
