/*
 * fakeqmp - a scripted fake QMP server for unit tests, after libvirt's
 * qemumonitortestutils: the QMP client is tested without QEMU.
 *
 * Build a script, start it, talk to the returned fd with the client under
 * test, close the client, then finish:
 *
 *	struct fakeqmp *f = fakeqmp_new();
 *	fakeqmp_greet(f);                          greeting + qmp_capabilities
 *	fakeqmp_expect(f, "cont", NULL);           read "cont", do not answer yet
 *	fakeqmp_event(f, "{\"event\": \"STOP\"}");   written before the reply
 *	fakeqmp_reply(f, "{\"return\": {}}");       answers "cont" (id copied)
 *	fd = fakeqmp_start(f, &err);               forks the server
 *	... qmp_new(fd), calls, qmp_free() ...
 *	fakeqmp_finish(f, &err) == 0               the script ran exactly
 *
 * Steps run in order in a forked child on one end of a socketpair. A
 * command that is not the expected one (name or arguments), a command after
 * the script's end, EOF while a command is expected, or 5 s without one
 * fail the script: the child exits non-zero and fakeqmp_finish() returns -1
 * with the reason in err. Writes to a client that already closed are not an
 * error (a later expected command then fails). Unless the script ends with
 * fakeqmp_close(), the server waits for the client to close after the last
 * step, so close the client before fakeqmp_finish().
 *
 * Builders abort on a malformed JSON argument: that is a bug in the test.
 */
#ifndef BP_FAKEQMP_H
#define BP_FAKEQMP_H

#include "util.h"

struct fakeqmp;

struct fakeqmp *fakeqmp_new(void);

/* Send a QEMU 7.2 greeting, expect qmp_capabilities, answer {"return": {}}. */
void fakeqmp_greet(struct fakeqmp *f);
/*
 * Read one command: it must be cmd with no (or empty) arguments and carry
 * an "id". If reply is not NULL, answer it at once (see fakeqmp_reply).
 */
void fakeqmp_expect(struct fakeqmp *f, const char *cmd, const char *reply);
/* The same, and its "arguments" must equal the JSON object args. */
void fakeqmp_expect_args(struct fakeqmp *f, const char *cmd, const char *args, const char *reply);
/*
 * The same, and the command must come with exactly one fd (SCM_RIGHTS,
 * sent with its bytes): the server writes fd_text to that fd and closes
 * it, so the test sees which file reached the "QEMU". A command of any
 * other step that comes with an fd fails the script.
 */
void fakeqmp_expect_fd(struct fakeqmp *f, const char *cmd, const char *args, const char *fd_text,
		       const char *reply);
/* Write reply (a JSON object) with the last expected command's "id" added, and a newline. */
void fakeqmp_reply(struct fakeqmp *f, const char *reply);
/* Write one JSON object and a newline. */
void fakeqmp_event(struct fakeqmp *f, const char *json);
/* Write these bytes exactly, in one write() where the socket allows. */
void fakeqmp_send(struct fakeqmp *f, const char *raw);
/* Close the connection (the client sees EOF) and end the script. */
void fakeqmp_close(struct fakeqmp *f);

/* Fork the server; returns the client's fd (close-on-exec) or -1 with err. */
int fakeqmp_start(struct fakeqmp *f, struct bp_error *err);
/*
 * Wait (at most 10 s, then SIGKILL) for the server, reap it and free f.
 * Returns 0 if the script ran to its end, -1 with the reason in err.
 * Accepts NULL and a never-started f.
 */
int fakeqmp_finish(struct fakeqmp *f, struct bp_error *err);

#endif
