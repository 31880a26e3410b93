/*
 * loop - the process's one event loop: fd handles and timers, in the manner
 * of Valkey's ae.c, with the one poll() of the harness.
 *
 * A handle watches one fd for poll() events and calls its function with the
 * events that happened; a timer calls its function once at an absolute
 * now_ms() time (re-arm it from the callback for a periodic one). A child's
 * exit is a handle on its pidfd (readable once it exited): the loop needs
 * no SIGCHLD handler.
 *
 * Handles and timers may be added, changed and removed from inside any
 * callback, including the one running: a removed handle is never called
 * again, not even later in the same dispatch round; one added during a
 * round is first polled in the next. Ids are positive and never reused
 * within a loop, so a stale id is harmless (it names nothing).
 *
 * loop_run() dispatches until loop_stop() or until nothing is registered;
 * loop_once() runs one round (poll with the nearest timer as its timeout,
 * capped by max_wait_ms, then due handles and timers) for callers that
 * interleave their own checks (a signal flag). A callback must not block:
 * everything that waits waits through the loop.
 */
#ifndef BP_LOOP_H
#define BP_LOOP_H

#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(struct loop *l, int fd, short revents, void *ctx);
typedef void (*loop_timer_fn)(struct loop *l, void *ctx);

struct loop *loop_new(void);
/* Accepts NULL. Nothing is called; fds are not closed (they are their owners'). */
void loop_free(struct loop *l);

/* Watch fd for events (POLLIN, POLLOUT; 0 pauses it). Returns the handle id (> 0). */
int loop_fd_add(struct loop *l, int fd, short events, loop_fd_fn fn, void *ctx);
void loop_fd_events(struct loop *l, int id, short events);
void loop_fd_remove(struct loop *l, int id);

/* Call fn once at now_ms() >= at_ms. Returns the timer id (> 0). */
int loop_timer_add(struct loop *l, int64_t at_ms, loop_timer_fn fn, void *ctx);
/* Move a pending timer (also one that has fired: it is armed again). */
void loop_timer_move(struct loop *l, int id, int64_t at_ms);
void loop_timer_remove(struct loop *l, int id);

/*
 * One round: poll (at most max_wait_ms, -1 for no cap, and never past the
 * nearest timer), then the handles with events, then the due timers.
 * Returns the number of callbacks made, or -1 if poll failed (not EINTR:
 * an interrupted poll is a round with no callbacks).
 */
int loop_once(struct loop *l, int max_wait_ms);
/* Rounds until loop_stop() or until no handle and no timer is registered. */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Registered handles and pending timers. */
int loop_busy(const struct loop *l);

#endif
