/*
 * t-loop - the event loop (harness/core/loop.h): fd handles, timers, and
 * changes made from inside callbacks.
 */
#include <poll.h>
#include <unistd.h>

#include "loop.h"
#include "tap.h"
#include "util.h"

static int pipe_a[2], pipe_b[2];
static int a_id, b_id, a_calls, b_calls, t_calls, t2_calls, added_calls;
static int periodic_id, periodic_calls;

static void on_b(struct loop *l, int fd, short revents, void *ctx)
{
	b_calls++;
}

static void on_added(struct loop *l, int fd, short revents, void *ctx)
{
	added_calls++;
	loop_fd_remove(l, *(int *)ctx);
}

/* Removes b (ready in the same round) and adds a handle on a ready fd. */
static void on_a(struct loop *l, int fd, short revents, void *ctx)
{
	static int added;

	a_calls++;
	tap_ok(revents & POLLIN, "handle: called with the events that happened");
	loop_fd_remove(l, b_id);
	loop_fd_remove(l, a_id);
	added = loop_fd_add(l, pipe_b[0], POLLIN, on_added, &added);
}

static void on_timer(struct loop *l, void *ctx)
{
	t_calls++;
	loop_timer_remove(l, *(int *)ctx); /* the other timer, due in the same round */
}

static void on_timer2(struct loop *l, void *ctx)
{
	t2_calls++;
}

static void on_periodic(struct loop *l, void *ctx)
{
	if (++periodic_calls < 3)
		loop_timer_move(l, periodic_id, now_ms() + 5);
}

int main(void)
{
	struct loop *l = loop_new();
	int t2;
	int64_t t0;

	if (pipe(pipe_a) < 0 || pipe(pipe_b) < 0)
		return 1;
	if (write(pipe_a[1], "x", 1) != 1 || write(pipe_b[1], "y", 1) != 1)
		return 1;
	a_id = loop_fd_add(l, pipe_a[0], POLLIN, on_a, NULL);
	b_id = loop_fd_add(l, pipe_b[0], POLLIN, on_b, NULL);
	tap_ok(a_id > 0 && b_id > a_id, "ids are positive and new");
	tap_is_int(loop_once(l, 1000), 1, "round 1: one callback (b was removed by a's)");
	tap_is_int(b_calls, 0, "a handle removed in the round is not called later in it");
	tap_is_int(added_calls, 0, "a handle added in the round is not called in it");
	tap_is_int(loop_once(l, 1000), 1, "round 2: the added handle is called");
	tap_is_int(added_calls, 1, "once, and it removed itself");
	tap_is_int(loop_busy(l), 0, "nothing left registered");
	loop_fd_remove(l, a_id); /* stale id: harmless */

	loop_timer_add(l, now_ms() + 10, on_timer, &t2);
	t2 = loop_timer_add(l, now_ms() + 20, on_timer2, NULL);
	loop_timer_move(l, t2, now_ms() + 10); /* due in the same round as the first */
	t0 = now_ms();
	loop_run(l);
	tap_ok(now_ms() - t0 >= 10, "loop_run waits for the timer, not busily");
	tap_is_int(t_calls, 1, "timer called once");
	tap_is_int(t2_calls, 0, "a timer removed by another's callback is not called");

	periodic_id = loop_timer_add(l, now_ms(), on_periodic, NULL);
	loop_run(l);
	tap_is_int(periodic_calls, 3, "a timer re-armed from its callback fires again");
	tap_is_int(loop_busy(l), 0, "a fired timer nobody re-armed is gone");

	{
		int id = loop_fd_add(l, pipe_b[0], 0, on_b, NULL);

		tap_is_int(loop_once(l, 0), 0, "a paused handle (no events) is not called");
		loop_fd_events(l, id, POLLIN);
		tap_is_int(loop_once(l, 0), 1, "resumed, it is");
		loop_fd_remove(l, id);
	}
	loop_free(l);
	return tap_done();
}
