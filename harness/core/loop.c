/*
 * loop - one poll() for the whole process (see loop.h).
 *
 * Handles and timers live in two arrays, looked up by id. Removal only
 * marks an entry dead; dead entries are compacted away at the end of a
 * round, when no callback can hold an index. Entries added during a round
 * carry that round's number and are skipped until the next. Arrays grow,
 * so nothing keeps a pointer into them across a callback.
 */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "util.h"

struct handle {
	int id;
	int fd;
	short events;
	int dead;
	uint64_t round; /* added in this round */
	loop_fd_fn fn;
	void *ctx;
};

struct timer {
	int id;
	int64_t at_ms;
	int armed;
	int dead;
	uint64_t round;
	loop_timer_fn fn;
	void *ctx;
};

struct loop {
	struct handle *h;
	size_t nr_h, alloc_h;
	struct timer *t;
	size_t nr_t, alloc_t;
	struct pollfd *pfd;
	size_t alloc_pfd;
	int next_id;
	uint64_t round;
	int stop;
};

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->next_id = 1;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	free(l->h);
	free(l->t);
	free(l->pfd);
	free(l);
}

static struct handle *find_handle(struct loop *l, int id)
{
	for (size_t i = 0; i < l->nr_h; i++)
		if (l->h[i].id == id && !l->h[i].dead)
			return &l->h[i];
	return NULL;
}

static struct timer *find_timer(struct loop *l, int id)
{
	for (size_t i = 0; i < l->nr_t; i++)
		if (l->t[i].id == id && !l->t[i].dead)
			return &l->t[i];
	return NULL;
}

int loop_fd_add(struct loop *l, int fd, short events, loop_fd_fn fn, void *ctx)
{
	if (l->nr_h == l->alloc_h) {
		l->alloc_h = l->alloc_h ? 2 * l->alloc_h : 16;
		l->h = xrealloc(l->h, l->alloc_h * sizeof(*l->h));
	}
	l->h[l->nr_h++] = (struct handle){
	    .id = l->next_id++, .fd = fd, .events = events, .round = l->round, .fn = fn, .ctx = ctx};
	return l->h[l->nr_h - 1].id;
}

void loop_fd_events(struct loop *l, int id, short events)
{
	struct handle *h = find_handle(l, id);

	if (h)
		h->events = events;
}

void loop_fd_remove(struct loop *l, int id)
{
	struct handle *h = find_handle(l, id);

	if (h)
		h->dead = 1;
}

int loop_timer_add(struct loop *l, int64_t at_ms, loop_timer_fn fn, void *ctx)
{
	if (l->nr_t == l->alloc_t) {
		l->alloc_t = l->alloc_t ? 2 * l->alloc_t : 16;
		l->t = xrealloc(l->t, l->alloc_t * sizeof(*l->t));
	}
	l->t[l->nr_t++] = (struct timer){.id = l->next_id++,
					 .at_ms = at_ms,
					 .armed = 1,
					 .round = l->round,
					 .fn = fn,
					 .ctx = ctx};
	return l->t[l->nr_t - 1].id;
}

void loop_timer_move(struct loop *l, int id, int64_t at_ms)
{
	struct timer *t = find_timer(l, id);

	if (t) {
		t->at_ms = at_ms;
		t->armed = 1;
	}
}

void loop_timer_remove(struct loop *l, int id)
{
	struct timer *t = find_timer(l, id);

	if (t)
		t->dead = 1;
}

int loop_busy(const struct loop *l)
{
	int n = 0;

	for (size_t i = 0; i < l->nr_h; i++)
		n += !l->h[i].dead;
	for (size_t i = 0; i < l->nr_t; i++)
		n += !l->t[i].dead && l->t[i].armed;
	return n;
}

/* Drop dead entries and fired timers nobody re-armed. */
static void compact(struct loop *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr_h; i++)
		if (!l->h[i].dead)
			l->h[n++] = l->h[i];
	l->nr_h = n;
	n = 0;
	for (size_t i = 0; i < l->nr_t; i++)
		if (!l->t[i].dead && l->t[i].armed)
			l->t[n++] = l->t[i];
	l->nr_t = n;
}

/* The poll timeout: the nearest armed timer, capped by max_wait_ms (-1: none). */
static int timeout_ms(const struct loop *l, int max_wait_ms)
{
	int64_t now = now_ms(), wait = max_wait_ms < 0 ? INT64_MAX : max_wait_ms;

	for (size_t i = 0; i < l->nr_t; i++)
		if (!l->t[i].dead && l->t[i].armed && l->t[i].at_ms - now < wait)
			wait = l->t[i].at_ms - now;
	if (wait == INT64_MAX)
		return -1;
	return wait < 0 ? 0 : wait > 60000 ? 60000 : (int)wait;
}

/* Poll the live handles; returns how many pollfd entries there are, -1 on error. */
static int poll_handles(struct loop *l, int max_wait_ms, size_t *ret_nr)
{
	size_t n = 0;

	if (l->alloc_pfd < l->nr_h) {
		l->alloc_pfd = l->nr_h;
		l->pfd = xrealloc(l->pfd, l->alloc_pfd * sizeof(*l->pfd));
	}
	/* One pollfd per handle, in order; a paused or dead handle polls fd -1 (ignored). */
	for (size_t i = 0; i < l->nr_h; i++, n++) {
		int live = !l->h[i].dead && l->h[i].events;

		l->pfd[n] = (struct pollfd){.fd = live ? l->h[i].fd : -1, .events = l->h[i].events};
	}
	*ret_nr = n;
	if (poll(l->pfd, (nfds_t)n, timeout_ms(l, max_wait_ms)) < 0)
		return errno == EINTR ? 0 : -1;
	return 0;
}

int loop_once(struct loop *l, int max_wait_ms)
{
	size_t nr;
	int calls = 0;
	int64_t now;

	l->round++;
	if (poll_handles(l, max_wait_ms, &nr) < 0)
		return -1;
	/* Index i still names the handle polled: entries are only appended until compact(). */
	for (size_t i = 0; i < nr; i++) {
		struct handle h = l->h[i];

		if (h.dead || h.round == l->round || !l->pfd[i].revents || l->pfd[i].fd < 0)
			continue;
		h.fn(l, h.fd, l->pfd[i].revents, h.ctx);
		calls++;
	}
	now = now_ms();
	for (size_t i = 0; i < l->nr_t; i++) {
		struct timer t = l->t[i];

		if (t.dead || !t.armed || t.round == l->round || t.at_ms > now)
			continue;
		l->t[i].armed = 0; /* fired: the callback may re-arm it with loop_timer_move() */
		t.fn(l, t.ctx);
		calls++;
	}
	compact(l);
	return calls;
}

void loop_run(struct loop *l)
{
	l->stop = 0;
	while (!l->stop && loop_busy(l))
		if (loop_once(l, -1) < 0)
			break;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}
