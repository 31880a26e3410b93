/*
 * virt-event - libvirt's event loop is the harness's own (loop.h).
 *
 * virt_event_register() gives libvirt an implementation of its event API
 * (virEventRegisterImpl: handles and timers) on one loop, before any
 * connection is opened; libvirt's sockets, keepalive timers, stream and
 * domain-event dispatch then run in that loop's rounds, in its thread,
 * like every other fd of the harness.
 *
 * libvirt calls its add/update/remove functions from any thread (a
 * connection's worker thread, virt-conn.h, makes blocking calls that do).
 * core/loop.c stays single-threaded: the implementation keeps its own
 * table under a mutex, and the loop's handles and timers are made to match
 * it on the loop thread, woken through an eventfd. So a change takes effect
 * from the loop's next round; a handle or timer removed (on any thread) is
 * never called again, and its free callback is called later from the loop,
 * never from inside the remove call. A handle is called with the events it
 * asks for now (libvirt pauses handles while a thread does its I/O), or an
 * error or hang-up.
 *
 * virt_event_post() is the same wake-up for anyone: fn(ctx) runs on the
 * loop thread in a coming round, in the order posted.
 *
 * Once per process: libvirt cannot drop an implementation, so the loop
 * must live until the process ends (the session's loop does).
 */
#ifndef BP_VIRT_EVENT_H
#define BP_VIRT_EVENT_H

#include "loop.h"
#include "util.h"

/*
 * Register on l, the calling thread being l's. 0; a second call with the
 * same loop is a no-op; with another loop, or if the eventfd cannot be
 * made, -1 with err.
 */
int virt_event_register(struct loop *l, struct bp_error *err);
/* The loop registered, or NULL. */
struct loop *virt_event_loop(void);
/* Non-zero on the registered loop's thread. */
int virt_event_on_loop(void);
/* From any thread, once registered: fn(ctx) on the loop thread, soon. */
void virt_event_post(void (*fn)(void *ctx), void *ctx);
/* Handles and timers libvirt holds now (not removed), for tests. */
int virt_event_count(void);

#endif
