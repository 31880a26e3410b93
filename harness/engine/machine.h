/*
 * machine - what a boot needs from a virtual machine, whatever runs it: the
 * backend interface (direct QEMU: backend/qemu/machine-qemu.c; libvirt:
 * backend/libvirt/machine-libvirt.c; backend.h picks one).
 *
 * A machine lives in the process's event loop (loop.h): it registers its
 * own fds and timers there and never waits outside it, so starting,
 * restoring, screenshotting, saving and stopping one machine never holds
 * up another. What it observes comes to its owner as callbacks:
 *
 *   console  the guest's console bytes as they arrive (len 0: the console
 *            closed, no more bytes)
 *   marker   the same for the marker port of a profile that has one
 *            (guest.h: machine.marker_serial); NULL: the owner ignores it
 *   event    a struct machine_event (below): backend specifics (QMP event
 *            names, SHUTDOWN reasons, exit statuses, libvirt lifecycle
 *            events) turned into kinds
 *
 * Life: a backend's constructor -> machine_start() (cold, paused) or
 * machine_restore() (paused at a saved state) -> READY (or START_FAILED)
 * -> machine_take_channel() and machine_cont() -> ... -> machine_stop()
 * -> EXITED (always the last event, also after START_FAILED) ->
 * machine_release(). Every op may be called from inside a callback of the
 * same machine; machine_release() must not be (release from a timer or
 * another object's callback). Ops return 0 once the request is on its way
 * and -1 (err filled) if it could not be made; their answers are events.
 */
#ifndef BP_MACHINE_H
#define BP_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "util.h"

enum machine_event_kind {
	MACHINE_READY,		/* started or restored, paused: machine_cont() lets it run */
	MACHINE_START_FAILED,	/* reason: why (the backend's own log tail included) */
	MACHINE_PANIC,		/* the guest said it panicked; a bugcheck when has_bugcheck */
	MACHINE_CRASH_LOADED,	/* the guest wrote its crash dump */
	MACHINE_RESET,		/* the guest reset itself (reason: backend's words) */
	MACHINE_SHUTDOWN_GUEST, /* the guest powered off (reason: backend's words) */
	MACHINE_SHUTDOWN_HOST,	/* the host asked it to stop (reason: backend's words) */
	MACHINE_WATCHDOG,	/* the guest's watchdog fired (reason: its action) */
	MACHINE_CHANNEL_CLOSED, /* the guest closed its end of the update channel */
	MACHINE_ANSWERED,	/* the reply to machine_probe(): the backend is alive */
	MACHINE_SCREENSHOT,	/* machine_screenshot() finished: ok, or reason */
	MACHINE_SAVED,		/* machine_save() finished: ok, or reason */
	MACHINE_SENT,		/* machine_send_keys()/inject_nmi() answered: ok, or reason */
	MACHINE_DUMPED,		/* machine_dump() finished: ok, or reason (the backend's refusal) */
	MACHINE_EXITED,		/* gone and reaped; reason: how ("qemu exited with status 0") */
};

struct machine_event {
	enum machine_event_kind kind;
	const char *reason; /* valid during the callback; may be NULL */
	int ok;		    /* SCREENSHOT, SAVED, SENT; EXITED: it exited with status 0 */
	int has_bugcheck;   /* PANIC: the backend carried the guest's bugcheck */
	uint64_t bugcheck;  /* the stop code */
	uint64_t param[4];  /* its 4 parameters */
	int64_t host_ns;    /* now_ns() when the backend read it */
};

struct machine_cb {
	void (*console)(void *ctx, const char *buf, size_t len, int64_t host_ns);
	void (*marker)(void *ctx, const char *buf, size_t len, int64_t host_ns);
	void (*event)(void *ctx, const struct machine_event *ev);
	void *ctx;
};

struct machine;

struct machine_ops {
	int (*start)(struct machine *m, struct bp_error *err);
	/* state: the backend's saved state (for QEMU a struct snapshot) */
	int (*restore)(struct machine *m, const void *state, struct bp_error *err);
	/* The update channel's stream, once READY: the caller owns it (-1: none). */
	int (*take_channel)(struct machine *m);
	int (*cont)(struct machine *m, struct bp_error *err);
	/* Ask the backend whether it answers: ANSWERED if so. 1: its monitor is closed already. */
	int (*probe)(struct machine *m, struct bp_error *err);
	int (*screenshot)(struct machine *m, const char *png_path, struct bp_error *err);
	/* Pause the guest and write its state to path: SAVED; then stop it. */
	int (*save)(struct machine *m, const char *path, struct bp_error *err);
	/*
	 * Type len bytes (a short line) on the guest's console, once READY.
	 * Nothing waits: what the backend cannot take at once is an error.
	 */
	int (*console_input)(struct machine *m, const char *buf, size_t len, struct bp_error *err);
	/*
	 * Press keys[0..n) together, in order, and release them in reverse
	 * order, once READY: one chord on the guest's keyboard (for QEMU its
	 * PS/2 keyboard). Key names are QEMU's QKeyCode names ("ctrl_r",
	 * "scroll_lock"), which libvirt's keycode tables know as well. The
	 * answer is SENT. NULL: the backend cannot (machine_send_keys() says so).
	 */
	int (*send_keys)(struct machine *m, const char *const *keys, size_t n,
			 struct bp_error *err);
	/* Raise a non-maskable interrupt on the guest's CPUs, once READY: SENT. NULL: cannot. */
	int (*inject_nmi)(struct machine *m, struct bp_error *err);
	/*
	 * Write the guest's memory as a Windows crash dump (QEMU's win-dmp,
	 * which needs the guest to have published its VMCOREINFO note) to
	 * path, without waiting here: DUMPED, ok or with the backend's reason.
	 * The guest is paused while it is written. NULL: the backend cannot.
	 */
	int (*dump)(struct machine *m, const char *path, struct bp_error *err);
	/* Pull the plug at once: what the guest had not written is lost. EXITED follows. */
	void (*power_cut)(struct machine *m);
	/* Ask it to go, bounded: a graceful quit, then a power cut. EXITED follows. */
	void (*stop)(struct machine *m);
	/* Free; a machine still running is killed first. */
	void (*release)(struct machine *m);
};

struct machine {
	const struct machine_ops *ops;
	const char *name;    /* for titles: "qemu" */
	const char *monitor; /* for titles: "QMP" */
	struct loop *loop;
	struct machine_cb cb;
};

/* Each op with the loop and callbacks to use (start and restore take them). */
static inline int machine_start(struct machine *m, struct loop *l, const struct machine_cb *cb,
				struct bp_error *err)
{
	m->loop = l;
	m->cb = *cb;
	return m->ops->start(m, err);
}

static inline int machine_restore(struct machine *m, struct loop *l, const struct machine_cb *cb,
				  const void *state, struct bp_error *err)
{
	m->loop = l;
	m->cb = *cb;
	return m->ops->restore(m, state, err);
}

static inline int machine_take_channel(struct machine *m)
{
	return m->ops->take_channel(m);
}

static inline int machine_cont(struct machine *m, struct bp_error *err)
{
	return m->ops->cont(m, err);
}

static inline int machine_probe(struct machine *m, struct bp_error *err)
{
	return m->ops->probe(m, err);
}

static inline int machine_screenshot(struct machine *m, const char *png, struct bp_error *err)
{
	return m->ops->screenshot(m, png, err);
}

static inline int machine_save(struct machine *m, const char *path, struct bp_error *err)
{
	return m->ops->save(m, path, err);
}

static inline int machine_console_input(struct machine *m, const char *buf, size_t len,
					struct bp_error *err)
{
	return m->ops->console_input(m, buf, len, err);
}

static inline int machine_send_keys(struct machine *m, const char *const *keys, size_t n,
				    struct bp_error *err)
{
	if (!m->ops->send_keys)
		return error_set(err, "%s: sending keys is not supported by this backend", m->name);
	return m->ops->send_keys(m, keys, n, err);
}

static inline int machine_inject_nmi(struct machine *m, struct bp_error *err)
{
	if (!m->ops->inject_nmi)
		return error_set(err, "%s: injecting an NMI is not supported by this backend",
				 m->name);
	return m->ops->inject_nmi(m, err);
}

/* -1 "not supported by this backend" when it has no dump op. */
static inline int machine_dump(struct machine *m, const char *path, struct bp_error *err)
{
	if (!m->ops->dump)
		return error_set(err, "not supported by this backend");
	return m->ops->dump(m, path, err);
}

static inline void machine_power_cut(struct machine *m)
{
	m->ops->power_cut(m);
}

static inline void machine_stop(struct machine *m)
{
	m->ops->stop(m);
}

/* Accepts NULL. */
static inline void machine_release(struct machine *m)
{
	if (m)
		m->ops->release(m);
}

#endif
