/*
 * qmp - a QEMU Machine Protocol client on one connected stream socket.
 *
 * The harness listens and QEMU connects, so the client starts from an
 * accepted fd. Messages are JSON objects, one per line; replies carry
 * "return" or "error" (and the "id" we sent), events carry "event". Events
 * that arrive while a command waits for its reply are queued in order and
 * handed out by qmp_next_event(). Nothing here prints; failures fill err.
 *
 * Typical life: qmp_new(fd) -> qmp_handshake() -> qmp_command()/qmp_cont()
 * ... and, from a poll loop, qmp_read() whenever qmp_fd() is readable,
 * then qmp_next_event() until it returns 0 -> qmp_free().
 *
 * EOF ("qmp connection closed") and protocol errors (invalid JSON, a
 * message over QMP_MAX_MESSAGE bytes) are final: every later call fails
 * with the same message, so stop polling qmp_fd() then. Events read before
 * the failure stay queued: drain qmp_next_event() even after a -1.
 * Replies whose id is not the one awaited (e.g. a late reply to a command
 * that timed out) are dropped.
 */
#ifndef BP_QMP_H
#define BP_QMP_H

#include <jansson.h>
#include <stdint.h>

#include "util.h"

/* Longest message accepted, without its newline; longer is a protocol error. */
#define QMP_MAX_MESSAGE (1024 * 1024)
/* Timeout of the typed commands (qmp_cont() ...) unless qmp_set_timeout() says otherwise. */
#define QMP_DEFAULT_TIMEOUT_MS 10000

struct qmp;

struct qmp_event {
	char *name;	 /* e.g. "GUEST_PANICKED", "RESET", "SHUTDOWN" */
	json_t *data;	 /* the event's "data" object (a new reference), or NULL */
	int64_t host_ns; /* now_ns() when the read that completed the event returned */
};

/* Takes ownership of fd (closed by qmp_free), making it non-blocking and close-on-exec. */
struct qmp *qmp_new(int fd);
/* Accepts NULL; releases queued events. */
void qmp_free(struct qmp *q);
int qmp_fd(const struct qmp *q);
/* Timeout for the typed commands below. */
void qmp_set_timeout(struct qmp *q, int timeout_ms);

/* Read the greeting and negotiate capabilities within timeout_ms. */
int qmp_handshake(struct qmp *q, int timeout_ms, struct bp_error *err);

/*
 * Send {"execute": cmd, "arguments": args, "id": N} and wait up to
 * timeout_ms for the matching reply. args is stolen (may be NULL). On
 * success *ret_return (if not NULL) gets a new reference to "return".
 * An "error" reply fails with "qmp 'cmd' failed: Class: desc"; no reply
 * in time with "qmp 'cmd' timed out after N ms". Waiting polls the fd (no
 * sleeping) and stops early with an error if a signal sets bp_interrupted.
 *
 * Integers above INT64_MAX and up to UINT64_MAX (guest-chosen uint64
 * values: GUEST_PANICKED's hyper-v arg1..arg5) come out as JSON strings of
 * their exact decimal digits, read them with strtoull(); every other
 * number is as jansson decodes it. A message with an integer beyond both
 * int64 and uint64 is a protocol error ("integer beyond uint64").
 */
int qmp_command(struct qmp *q, const char *cmd, json_t *args, json_t **ret_return, int timeout_ms,
		struct bp_error *err);
/*
 * Parse one JSON text as the client does (integers above INT64_MAX as
 * their exact decimal strings, above): a new reference, or NULL with err
 * ("integer beyond uint64", or jansson's words). For QMP JSON that comes
 * another way (libvirt's QEMU monitor events).
 */
json_t *qmp_json_load(const char *s, size_t len, struct bp_error *err);

/*
 * Read what is available without blocking (at most about 2 MiB, so a flood
 * cannot hold a poll loop) and queue events. Returns the number of events
 * queued by this call (0 or more), -1 on EOF or error.
 */
int qmp_read(struct qmp *q, struct bp_error *err);
/* 1 and *ret filled (caller releases), or 0 when the queue is empty. */
int qmp_next_event(struct qmp *q, struct qmp_event *ret);
/* Accepts NULL and released events. */
void qmp_event_release(struct qmp_event *ev);

/* Typed commands, each one round trip. */
int qmp_cont(struct qmp *q, struct bp_error *err);
/* EOF after the request was sent (QEMU exiting) counts as success. */
int qmp_quit(struct qmp *q, struct bp_error *err);
int qmp_stop(struct qmp *q, struct bp_error *err);
int qmp_system_reset(struct qmp *q, struct bp_error *err);
/* {"filename": png_path, "format": "png"}; QEMU writes the file. */
int qmp_screendump(struct qmp *q, const char *png_path, struct bp_error *err);
/*
 * The arguments of send-key for one chord: {"keys": [{"type": "qcode",
 * "data": K}, ...]} (QEMU presses them in order, holds them its default
 * 100 ms and releases them in reverse order). A new reference.
 */
json_t *qmp_send_key_args(const char *const *keys, size_t n);
/* *ret_status gets a malloc'd status string such as "running" or "paused". */
int qmp_query_status(struct qmp *q, char **ret_status, struct bp_error *err);

/*
 * For a poll loop that serves other VMs too and must not wait on this one:
 * qmp_send_async() sends {"execute": cmd, "arguments": args, "id": N}
 * (args stolen, may be NULL) in one non-blocking write and returns at once;
 * if the bytes do not all go out (QEMU stopped reading its monitor) the
 * connection is dead ("qmp 'cmd' would block: ..."), as a half-written
 * command cannot be taken back. One such command at a time; qmp_command()
 * may run meanwhile. Its reply arrives through qmp_read() (or any other
 * call that reads); qmp_async_reply() then takes it: 0 not arrived yet, 1
 * a "return" (*ret_return, if not NULL, gets a new reference), -1 an
 * "error" reply ("qmp 'cmd' failed: Class: desc"), or the connection died
 * first, or no command is waiting. After 1 or -1 the next one may be sent.
 * A reply that never comes is the caller's deadline to keep.
 */
int qmp_send_async(struct qmp *q, const char *cmd, json_t *args, struct bp_error *err);
int qmp_async_reply(struct qmp *q, json_t **ret_return, struct bp_error *err);
/* The same, with a copy of pass_fd sent alongside (SCM_RIGHTS; see qmp_getfd()). */
int qmp_send_async_fd(struct qmp *q, const char *cmd, json_t *args, int pass_fd,
		      struct bp_error *err);
/* The greeting has been read (by any call that reads): qmp_capabilities may go. */
int qmp_greeted(const struct qmp *q);

/*
 * getfd: pass a copy of fd to QEMU (SCM_RIGHTS on the QMP socket, with the
 * command's bytes) under name, for a later "fd:NAME" URI. The caller keeps
 * and still owns fd. QEMU refuses names that start with a digit (an "fd:N"
 * URI with a number means QEMU's own fd N) and replaces an fd of the same
 * name; a migration URI takes the named fd out of QEMU's table.
 */
int qmp_getfd(struct qmp *q, int fd, const char *name, struct bp_error *err);
/* migrate {"uri": uri}: starts an outgoing migration, e.g. to "fd:NAME". */
int qmp_migrate(struct qmp *q, const char *uri, struct bp_error *err);
/* migrate-incoming {"uri": uri}: QEMU must have been started with -incoming defer. */
int qmp_migrate_incoming(struct qmp *q, const char *uri, struct bp_error *err);
/* migrate-set-capabilities with one capability, e.g. ("events", 1). */
int qmp_migrate_set_capability(struct qmp *q, const char *capability, int on,
			       struct bp_error *err);

/*
 * Wait up to timeout_ms for the next event called name and hand it out
 * (caller releases *ret). Only that event leaves the queue: others, queued
 * before or while waiting, stay there in arrival order for
 * qmp_next_event(). -1 on timeout ("no 'NAME' event within N ms"), EOF
 * (an event read before the EOF still counts) or a signal.
 */
int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, struct qmp_event *ret,
		   struct bp_error *err);
/*
 * Wait up to timeout_ms for the migration (either direction) to finish,
 * from MIGRATION events (the "events" capability must be on): 0 on status
 * "completed"; -1 on "failed"/"cancelled" ("migration failed: " plus
 * query-migrate's error-desc when QEMU gives one), on timeout ("migration
 * did not complete within N ms (last status 'active')") or on EOF (QEMU
 * 7.2 exits when an incoming migration fails). MIGRATION events are
 * consumed; other events stay queued.
 */
int qmp_wait_migration(struct qmp *q, int timeout_ms, struct bp_error *err);

#endif
