/*
 * machine-qemu - a QEMU child as a machine (see machine-qemu.h): every wait
 * is a loop handle or timer, every QMP command an async one from a queue.
 */
#define _GNU_SOURCE
#include "machine-qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmp-event.h"
#include "snapshot.h"

/* Migration is throttled to 32 MiB/s by default; a local file needs no limit. */
#define SAVE_MAX_BANDWIDTH (64LL << 30)
#define QM_MAX_CMDS 8

enum qm_state { QM_NEW, QM_CONNECTING, QM_GREETING, QM_SETUP, QM_MIGRATING, QM_READY, QM_GONE };

enum qm_kind {
	CMD_SETUP, CMD_CONT, CMD_PROBE, CMD_SHOT, CMD_SAVE, CMD_INPUT, CMD_QUIT, CMD_DUMP, CMD_QUERY_DUMP
};

struct qm_cmd {
	enum qm_kind kind;
	const char *name;
	json_t *args;
	int fd; /* sent alongside, or -1 (borrowed) */
};

struct qm {
	struct machine m;
	struct vm_config cfg;
	struct vm vm;
	enum qm_state state;
	int id_listen[VM_NR_SOCKS], id_qmp, id_serial, id_marker, id_pid;
	int t_start, t_shot, t_stop, t_save, t_dump;
	struct qm_cmd q[QM_MAX_CMDS]; /* q[0] is in flight when in_flight */
	size_t nq;
	int in_flight;
	int stale; /* the command in flight outlived its deadline: QEMU is not reading */
	int qmp_dead;
	int start_failed; /* START_FAILED said */
	int killed;	  /* SIGKILL sent */
	int saving;	  /* a save's migration is running */
	int dumping;	  /* a dump-guest-memory is running (DUMPED not said yet) */
	int state_fd;	  /* restore: the saved state; save: the file written */
	char *fail_msg;	  /* why the start is failing, once QEMU exits (or the deadline) */
	char *prefix;	  /* of start failures: which snapshot a restore was from */
	char *shot_path;
};

static void qm_emit(struct qm *qm, enum machine_event_kind kind, const char *reason, int ok)
{
	struct machine_event ev = {.kind = kind, .reason = reason, .ok = ok, .host_ns = now_ns()};

	qm->m.cb.event(qm->m.cb.ctx, &ev);
}

static void qm_timer_clear(struct qm *qm, int *id)
{
	if (*id)
		loop_timer_remove(qm->m.loop, *id);
	*id = 0;
}

static void qm_handle_clear(struct qm *qm, int *id)
{
	if (*id)
		loop_fd_remove(qm->m.loop, *id);
	*id = 0;
}

static void qm_power_cut(struct machine *m);

static void qm_start_failed(struct qm *qm, const char *msg)
{
	struct bp_error err;

	if (qm->start_failed || qm->state >= QM_READY)
		return;
	qm->start_failed = 1;
	qm_timer_clear(qm, &qm->t_start);
	error_set(&err, "%s", qm->fail_msg ? qm->fail_msg : msg);
	if (qm->prefix)
		error_prefix(&err, "%s", qm->prefix);
	vm_add_log(&qm->vm, &err);
	qm_emit(qm, MACHINE_START_FAILED, err.msg, 0);
	qm_power_cut(&qm->m);
}

static void qm_ready(struct qm *qm)
{
	qm_timer_clear(qm, &qm->t_start);
	if (qm->state_fd >= 0)
		close(qm->state_fd); /* restored: QEMU holds its own copy no longer needed */
	qm->state_fd = -1;
	qm->state = QM_READY;
	qm_emit(qm, MACHINE_READY, NULL, 1);
}

static void qm_cmd_done(struct qm *qm, const struct qm_cmd *c, int r, const char *msg,
			json_t *ret);

/* Send what is queued while nothing is in flight; a failed send fails that command. */
static int qm_send_next(struct qm *qm, struct bp_error *ret_err)
{
	int ret = 0;

	while (qm->nq && !qm->in_flight) {
		struct qm_cmd c = qm->q[0];
		struct bp_error err;

		if (qmp_send_async_fd(qm->vm.qmp, c.name, c.args, c.fd, &err) == 0) {
			qm->q[0].args = NULL; /* stolen */
			qm->in_flight = 1;
			break;
		}
		memmove(qm->q, qm->q + 1, --qm->nq * sizeof(*qm->q));
		qm->qmp_dead = 1;
		if (ret_err)
			*ret_err = err;
		ret = -1;
		qm_cmd_done(qm, &c, -1, err.msg, NULL);
	}
	return ret;
}

/* Queue a command (args stolen). -1 if the connection is dead or sending failed at once. */
static int qm_submit(struct qm *qm, enum qm_kind kind, const char *name, json_t *args, int fd,
		     struct bp_error *err)
{
	if (!qm->vm.qmp || qm->qmp_dead || qm->nq == QM_MAX_CMDS) {
		json_decref(args);
		return error_set(err, "qmp '%s': %s", name,
				 qm->nq == QM_MAX_CMDS ? "too many commands queued"
						       : "qmp connection closed");
	}
	qm->q[qm->nq++] = (struct qm_cmd){kind, name, args, fd};
	return qm_send_next(qm, err);
}

/*
 * Migration capabilities: events, and x-ignore-shared with a RAM file
 * (snapshot.h: a save leaves the shared RAM out of the stream, a clone
 * takes it from its private mapping of the file).
 */
static json_t *qm_capabilities(int ignore_shared)
{
	return json_pack("{s:[{s:s, s:b}, {s:s, s:b}]}", "capabilities", "capability", "events",
			 "state", 1, "capability", "x-ignore-shared", "state", ignore_shared);
}

static void qm_setup(struct qm *qm)
{
	qm->state = QM_SETUP;
	qm_submit(qm, CMD_SETUP, "qmp_capabilities", NULL, -1, NULL);
	if (qm->state_fd < 0)
		return;
	qm_submit(qm, CMD_SETUP, "migrate-set-capabilities", qm_capabilities(1), -1, NULL);
	qm_submit(qm, CMD_SETUP, "getfd", json_pack("{s:s}", "fdname", SNAPSHOT_STATE_FD_NAME),
		  qm->state_fd, NULL);
	qm_submit(qm, CMD_SETUP, "migrate-incoming",
		  json_pack("{s:s}", "uri", "fd:" SNAPSHOT_STATE_FD_NAME), -1, NULL);
}

static void qm_save_done(struct qm *qm, int ok, const char *msg)
{
	if (!qm->saving)
		return;
	qm->saving = 0;
	qm_timer_clear(qm, &qm->t_save);
	if (ok && fsync(qm->state_fd) < 0) {
		ok = 0;
		msg = strerror(errno);
	}
	qm_emit(qm, MACHINE_SAVED, ok ? NULL : msg, ok);
}

static void qm_dump_done(struct qm *qm, int ok, const char *msg)
{
	if (!qm->dumping)
		return;
	qm->dumping = 0;
	qm_timer_clear(qm, &qm->t_dump);
	qm_emit(qm, MACHINE_DUMPED, ok ? NULL : msg, ok);
}

/* query-dump's or DUMP_COMPLETED's "result" (DumpQueryResult): done, or still going. */
static void qm_dump_status(struct qm *qm, json_t *result, const char *error)
{
	const char *st = json_string_value(json_object_get(result, "status"));

	if (st && !strcmp(st, "completed"))
		qm_dump_done(qm, 1, NULL);
	else if (st && !strcmp(st, "failed"))
		qm_dump_done(qm, 0, error ? error : "dump failed");
	else if (!st || strcmp(st, "active"))
		qm_dump_done(qm, 0, error ? error : "no dump under way");
}

static void qm_cmd_done(struct qm *qm, const struct qm_cmd *c, int r, const char *msg,
			json_t *ret)
{
	json_decref(c->args);
	switch (c->kind) {
	case CMD_SETUP:
		if (r < 0)
			qm_start_failed(qm, msg);
		else if (!strcmp(c->name, "migrate-incoming") && qm->state == QM_SETUP)
			qm->state = QM_MIGRATING;
		else if (!strcmp(c->name, "qmp_capabilities") && qm->state_fd < 0)
			qm_ready(qm);
		break;
	case CMD_PROBE:
		/* Any answer, even an error, shows a QEMU that reads its monitor. */
		if (r > 0 || (r < 0 && !qm->qmp_dead))
			qm_emit(qm, MACHINE_ANSWERED, NULL, 1);
		break;
	case CMD_SHOT:
		if (!qm->t_shot)
			break; /* timed out: said already */
		qm_timer_clear(qm, &qm->t_shot);
		if (r <= 0)
			unlink(qm->shot_path);
		qm_emit(qm, MACHINE_SCREENSHOT, r > 0 ? NULL : msg, r > 0);
		break;
	case CMD_SAVE:
		if (r < 0)
			qm_save_done(qm, 0, msg);
		break;
	case CMD_INPUT:
		qm_emit(qm, MACHINE_SENT, r > 0 ? NULL : msg, r > 0);
		break;
	case CMD_DUMP:
		/* Refused at once (no such format, a file it cannot create), or detached. */
		if (r < 0)
			qm_dump_done(qm, 0, msg);
		break;
	case CMD_QUERY_DUMP:
		if (r < 0)
			qm_dump_done(qm, 0, msg);
		else if (qm->dumping)
			qm_dump_status(qm, ret, NULL);
		if (qm->dumping)
			qm_dump_done(qm, 0, "the dump did not complete in time");
		break;
	case CMD_CONT:
	case CMD_QUIT:
		/* A failed cont or quit shows in what QEMU does next (or the stop's deadline). */
		break;
	}
}

/* The command in flight got its reply (or the connection died under it). */
static void qm_check_reply(struct qm *qm)
{
	struct bp_error err;
	struct qm_cmd c;
	json_t *ret = NULL;
	int r;

	if (!qm->in_flight || (r = qmp_async_reply(qm->vm.qmp, &ret, &err)) == 0)
		return;
	c = qm->q[0];
	memmove(qm->q, qm->q + 1, --qm->nq * sizeof(*qm->q));
	qm->in_flight = qm->stale = 0;
	qm_cmd_done(qm, &c, r, err.msg, ret);
	json_decref(ret);
	qm_send_next(qm, NULL);
}

static const char *qm_str(const struct qmp_event *e, const char *key)
{
	const char *s = e->data ? json_string_value(json_object_get(e->data, key)) : NULL;

	return s ? s : "unknown";
}

static void qm_migration(struct qm *qm, const char *status)
{
	int failed = !strcmp(status, "failed") || !strcmp(status, "cancelled");
	/* The events may overtake migrate-incoming's reply. */
	int incoming = qm->state == QM_MIGRATING || (qm->state == QM_SETUP && qm->state_fd >= 0);

	if (incoming && !strcmp(status, "completed")) {
		qm_ready(qm);
	} else if (incoming && failed) {
		/* QEMU 7.2 exits after a failed incoming migration: its log says why. */
		free(qm->fail_msg);
		qm->fail_msg = xasprintf("migration %s", status);
		loop_timer_move(qm->m.loop, qm->t_start, now_ms() + 1000);
	} else if (qm->saving && (failed || !strcmp(status, "completed"))) {
		char *msg = xasprintf("migration %s", status);

		qm_save_done(qm, !failed, msg);
		free(msg);
	}
}

static void qm_event(struct qm *qm, const struct qmp_event *e)
{
	struct machine_event ev = {.host_ns = e->host_ns};

	if (qmp_machine_event(e->name, e->data, VM_UPDATE_PORT_ID, &ev))
		qm->m.cb.event(qm->m.cb.ctx, &ev);
	else if (!strcmp(e->name, "MIGRATION"))
		qm_migration(qm, qm_str(e, "status"));
	else if (!strcmp(e->name, "DUMP_COMPLETED") && e->data)
		qm_dump_status(qm, json_object_get(e->data, "result"),
			       json_string_value(json_object_get(e->data, "error")));
}

static void qm_read_qmp(struct qm *qm)
{
	struct qmp_event ev;

	if (!qm->vm.qmp)
		return;
	/* QMP closes as QEMU exits; the pidfd tells how it ended. */
	if (!qm->qmp_dead && qmp_read(qm->vm.qmp, NULL) < 0) {
		qm->qmp_dead = 1;
		qm_handle_clear(qm, &qm->id_qmp);
	}
	if (qm->state == QM_GREETING && qmp_greeted(qm->vm.qmp))
		qm_setup(qm);
	qm_check_reply(qm);
	while (qmp_next_event(qm->vm.qmp, &ev)) {
		qm_event(qm, &ev);
		qmp_event_release(&ev);
	}
}

static void qm_on_qmp(struct loop *l, int fd, short revents, void *ctx)
{
	qm_read_qmp(ctx);
}

/* What a serial port's stream has, to its callback (cb may be NULL: drained). */
static void qm_read_stream(struct qm *qm, int fd, int *id,
			   void (*cb)(void *ctx, const char *buf, size_t len, int64_t host_ns))
{
	char buf[65536];
	ssize_t n;

	if (!*id)
		return;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (cb)
			cb(qm->m.cb.ctx, buf, (size_t)n, now_ns());
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		qm_handle_clear(qm, id);
		if (cb)
			cb(qm->m.cb.ctx, NULL, 0, now_ns());
	}
}

static void qm_read_serial(struct qm *qm)
{
	qm_read_stream(qm, qm->vm.serial_fd, &qm->id_serial, qm->m.cb.console);
}

static void qm_on_serial(struct loop *l, int fd, short revents, void *ctx)
{
	qm_read_serial(ctx);
}

static void qm_on_marker(struct loop *l, int fd, short revents, void *ctx)
{
	struct qm *qm = ctx;

	qm_read_stream(qm, fd, &qm->id_marker, qm->m.cb.marker);
}

/* The serial socket is non-blocking: a short line fits its buffer or fails. */
static int qm_console_input(struct machine *m, const char *buf, size_t len, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;
	ssize_t n;

	if (qm->vm.serial_fd < 0)
		return error_set(err, "the console is not connected");
	do
		n = write(qm->vm.serial_fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_set(err, "cannot type on the console: %s", strerror(errno));
	if ((size_t)n != len)
		return error_set(err, "the console took %zd of %zu bytes", n, len);
	return 0;
}

/* QEMU is gone: what it wrote before is taken first, then EXITED, the last event. */
static void qm_exited(struct qm *qm)
{
	char how[128], *msg;

	qm_read_serial(qm);
	qm_read_qmp(qm);
	proc_reap(&qm->vm.proc);
	qm_start_failed(qm, "qemu exited during startup");
	qm->state = QM_GONE;
	qm_save_done(qm, 0, "qemu exited during the save");
	qm_dump_done(qm, 0, "qemu exited before the dump was written");
	for (int i = 0; i < VM_NR_SOCKS; i++)
		qm_handle_clear(qm, &qm->id_listen[i]);
	qm_handle_clear(qm, &qm->id_qmp);
	qm_handle_clear(qm, &qm->id_serial);
	qm_handle_clear(qm, &qm->id_marker);
	qm_handle_clear(qm, &qm->id_pid);
	qm_timer_clear(qm, &qm->t_start);
	qm_timer_clear(qm, &qm->t_shot);
	qm_timer_clear(qm, &qm->t_stop);
	qm_timer_clear(qm, &qm->t_dump);
	msg = xasprintf("qemu %s", proc_describe(&qm->vm.proc, how, sizeof(how)));
	qm_emit(qm, MACHINE_EXITED, msg, qm->vm.proc.exit == PROC_EXITED && qm->vm.proc.code == 0);
	free(msg);
}

static void qm_on_pid(struct loop *l, int fd, short revents, void *ctx)
{
	qm_exited(ctx);
}

static void qm_on_listen(struct loop *l, int fd, short revents, void *ctx)
{
	struct qm *qm = ctx;

	for (int i = 0; i < VM_NR_SOCKS; i++) {
		if (qm->vm.listen_fd[i] != fd)
			continue;
		qm_handle_clear(qm, &qm->id_listen[i]);
		if (vm_accept(&qm->vm, i) == 1) {
			qm->state = QM_GREETING;
			qm->id_qmp = loop_fd_add(l, qmp_fd(qm->vm.qmp), POLLIN, qm_on_qmp, qm);
			qm->id_serial = loop_fd_add(l, qm->vm.serial_fd, POLLIN, qm_on_serial, qm);
			if (qm->vm.marker_fd >= 0)
				qm->id_marker =
				    loop_fd_add(l, qm->vm.marker_fd, POLLIN, qm_on_marker, qm);
		} else if (qm->vm.listen_fd[i] >= 0) {
			/* not accepted after all (a spurious wakeup): keep listening */
			qm->id_listen[i] = loop_fd_add(l, fd, POLLIN, qm_on_listen, qm);
		}
		return;
	}
}

static void qm_on_start_deadline(struct loop *l, void *ctx)
{
	struct qm *qm = ctx;
	char msg[128];

	qm->t_start = 0;
	if (qm->state == QM_CONNECTING)
		snprintf(msg, sizeof(msg), "qemu did not connect within the startup deadline");
	else if (qm->state == QM_GREETING)
		snprintf(msg, sizeof(msg), "timed out waiting for the qmp greeting after %d ms",
			 MACHINE_QEMU_START_MS);
	else if (qm->state == QM_MIGRATING)
		snprintf(msg, sizeof(msg), "migration did not complete within %d ms",
			 MACHINE_QEMU_START_MS);
	else
		snprintf(msg, sizeof(msg), "qmp '%s' timed out after %d ms",
			 qm->nq ? qm->q[0].name : "?", MACHINE_QEMU_START_MS);
	qm_start_failed(qm, msg);
}

static int qm_spawn(struct qm *qm, const struct vm_config *cfg, struct bp_error *err)
{
	struct loop *l = qm->m.loop;

	qm->t_start = loop_timer_add(l, now_ms() + MACHINE_QEMU_START_MS, qm_on_start_deadline, qm);
	if (vm_spawn(&qm->vm, cfg, err) < 0) {
		vm_add_log(&qm->vm, err);
		qm_timer_clear(qm, &qm->t_start);
		qm->state = QM_GONE;
		return -1;
	}
	qm->state = QM_CONNECTING;
	for (int i = 0; i < qm->vm.nr_socks; i++)
		qm->id_listen[i] = loop_fd_add(l, qm->vm.listen_fd[i], POLLIN, qm_on_listen, qm);
	qm->id_pid = loop_fd_add(l, qm->vm.proc.pidfd, POLLIN, qm_on_pid, qm);
	return 0;
}

static int qm_start(struct machine *m, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;

	qm->cfg.incoming = 0;
	return qm_spawn(qm, &qm->cfg, err);
}

static int qm_restore(struct machine *m, const void *state, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;
	const struct snapshot *s = state;

	qm->cfg.incoming = 0; /* the snapshot was checked against the trial's own options */
	qm->state_fd = snapshot_open_state(s, &qm->cfg, err);
	snapshot_clone_config(s, &qm->cfg);
	if (qm->state_fd < 0 || qm_spawn(qm, &qm->cfg, err) < 0) {
		qm->state = QM_GONE;
		return error_prefix(err, "cannot restore snapshot '%s'", s->dir);
	}
	qm->prefix = xasprintf("cannot restore snapshot '%s'", s->dir);
	return 0;
}

static int qm_take_channel(struct machine *m)
{
	struct qm *qm = (struct qm *)m;
	int fd = qm->vm.update_fd;

	qm->vm.update_fd = -1;
	return fd;
}

static int qm_cont(struct machine *m, struct bp_error *err)
{
	return qm_submit((struct qm *)m, CMD_CONT, "cont", NULL, -1, err);
}

static int qm_probe(struct machine *m, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;

	if (qm->qmp_dead || !qm->vm.qmp)
		return 1;
	return qm_submit(qm, CMD_PROBE, "query-status", NULL, -1, err);
}

static int qm_send_keys(struct machine *m, const char *const *keys, size_t n, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;

	if (qm->state != QM_READY)
		return error_set(err, "qmp 'send-key': the machine is not running");
	return qm_submit(qm, CMD_INPUT, "send-key", qmp_send_key_args(keys, n), -1, err);
}

static int qm_inject_nmi(struct machine *m, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;

	if (qm->state != QM_READY)
		return error_set(err, "qmp 'inject-nmi': the machine is not running");
	return qm_submit(qm, CMD_INPUT, "inject-nmi", NULL, -1, err);
}

static void qm_on_shot_deadline(struct loop *l, void *ctx)
{
	struct qm *qm = ctx;

	qm->t_shot = 0;
	qm->stale = 1;
	unlink(qm->shot_path);
	qm_emit(qm, MACHINE_SCREENSHOT, "no screendump reply in time", 0);
}

static int qm_screenshot(struct machine *m, const char *png, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;

	free(qm->shot_path);
	qm->shot_path = xstrdup(png);
	qm->t_shot =
	    loop_timer_add(m->loop, now_ms() + MACHINE_QEMU_SHOT_MS, qm_on_shot_deadline, qm);
	if (qm_submit(qm, CMD_SHOT, "screendump",
		      json_pack("{s:s, s:s}", "filename", png, "format", "png"), -1, err) == 0)
		return 0;
	qm_timer_clear(qm, &qm->t_shot);
	unlink(png);
	return -1;
}

static void qm_on_save_deadline(struct loop *l, void *ctx)
{
	struct qm *qm = ctx;

	qm->t_save = 0;
	qm_save_done(qm, 0, "migration did not complete in time");
}

/* stop drains the guest's I/O and flushes the disk; no bandwidth limit: one pass. */
static int qm_save(struct machine *m, const char *path, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;

	qm->state_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (qm->state_fd < 0)
		return error_set(err, "cannot create '%s': %s", path, strerror(errno));
	qm->saving = 1;
	qm->t_save =
	    loop_timer_add(m->loop, now_ms() + MACHINE_QEMU_SAVE_MS, qm_on_save_deadline, qm);
	qm_submit(qm, CMD_SAVE, "migrate-set-capabilities", qm_capabilities(qm->cfg.ram_shared), -1,
		  NULL);
	qm_submit(qm, CMD_SAVE, "stop", NULL, -1, NULL);
	qm_submit(qm, CMD_SAVE, "migrate-set-parameters",
		  json_pack("{s:I}", "max-bandwidth", (json_int_t)SAVE_MAX_BANDWIDTH), -1, NULL);
	qm_submit(qm, CMD_SAVE, "getfd", json_pack("{s:s}", "fdname", SNAPSHOT_STATE_FD_NAME),
		  qm->state_fd, NULL);
	qm_submit(qm, CMD_SAVE, "migrate", json_pack("{s:s}", "uri", "fd:" SNAPSHOT_STATE_FD_NAME),
		  -1, NULL);
	if (qm->saving)
		return 0;
	return error_set(err, "cannot save: qmp connection closed");
}

/* No DUMP_COMPLETED in time: what does QEMU say of the dump (CMD_QUERY_DUMP decides)? */
static void qm_on_dump_deadline(struct loop *l, void *ctx)
{
	struct qm *qm = ctx;

	qm->t_dump = 0;
	if (qm_submit(qm, CMD_QUERY_DUMP, "query-dump", NULL, -1, NULL) < 0)
		qm_dump_done(qm, 0, "the dump did not complete in time");
}

/*
 * Detached, so QMP stays free for the stop that follows; QEMU pauses the
 * guest while it writes and says DUMP_COMPLETED (with an error when the
 * guest published no VMCOREINFO note: "win-dump: invalid vmcoreinfo note size").
 */
static int qm_dump(struct machine *m, const char *path, struct bp_error *err)
{
	struct qm *qm = (struct qm *)m;
	char *uri;
	int r;

	if (qm->dumping)
		return error_set(err, "a dump is being written already");
	qm->dumping = 1;
	qm->t_dump =
	    loop_timer_add(m->loop, now_ms() + MACHINE_QEMU_DUMP_MS, qm_on_dump_deadline, qm);
	uri = xasprintf("file:%s", path);
	r = qm_submit(qm, CMD_DUMP, "dump-guest-memory",
		      json_pack("{s:b, s:s, s:b, s:s}", "paging", 0, "protocol", uri, "detach", 1,
				"format", "win-dmp"),
		      -1, err);
	free(uri);
	if (r < 0 && qm->dumping) {
		qm->dumping = 0;
		qm_timer_clear(qm, &qm->t_dump);
	}
	return r < 0 ? -1 : 0;
}

static void qm_on_kill_deadline(struct loop *l, void *ctx)
{
	struct qm *qm = ctx;

	qm->t_stop = 0;
	/* Not gone long after SIGKILL: the host is in trouble; wait for it here. */
	proc_kill(&qm->vm.proc);
	qm_exited(qm);
}

static void qm_power_cut(struct machine *m)
{
	struct qm *qm = (struct qm *)m;

	if (qm->state == QM_GONE || qm->killed || qm->vm.proc.pid <= 0)
		return;
	qm->killed = 1;
	proc_kill_nowait(&qm->vm.proc);
	qm_timer_clear(qm, &qm->t_stop);
	qm->t_stop =
	    loop_timer_add(m->loop, now_ms() + MACHINE_QEMU_KILL_MS, qm_on_kill_deadline, qm);
}

static void qm_on_quit_deadline(struct loop *l, void *ctx)
{
	struct qm *qm = ctx;

	qm->t_stop = 0;
	qm_power_cut(&qm->m);
}

static void qm_stop(struct machine *m)
{
	struct qm *qm = (struct qm *)m;

	if (qm->state == QM_GONE || qm->killed || qm->t_stop)
		return;
	/* Nothing to save before it is up; and a QEMU not reading its monitor hears no quit. */
	if (qm->state < QM_READY || qm->stale ||
	    qm_submit(qm, CMD_QUIT, "quit", NULL, -1, NULL) < 0) {
		qm_power_cut(m);
		return;
	}
	qm->t_stop =
	    loop_timer_add(m->loop, now_ms() + MACHINE_QEMU_QUIT_MS, qm_on_quit_deadline, qm);
}

static void qm_release(struct machine *m)
{
	struct qm *qm = (struct qm *)m;

	if (m->loop && qm->state != QM_GONE) {
		for (int i = 0; i < VM_NR_SOCKS; i++)
			qm_handle_clear(qm, &qm->id_listen[i]);
		qm_handle_clear(qm, &qm->id_qmp);
		qm_handle_clear(qm, &qm->id_serial);
		qm_handle_clear(qm, &qm->id_marker);
		qm_handle_clear(qm, &qm->id_pid);
	}
	if (m->loop) {
		qm_timer_clear(qm, &qm->t_start);
		qm_timer_clear(qm, &qm->t_shot);
		qm_timer_clear(qm, &qm->t_stop);
		qm_timer_clear(qm, &qm->t_save);
		qm_timer_clear(qm, &qm->t_dump);
	}
	/* Still running: killed, as machine.h says (no quit: nobody waits for it). */
	proc_kill(&qm->vm.proc);
	vm_release(&qm->vm);
	for (size_t i = 0; i < qm->nq; i++)
		json_decref(qm->q[i].args);
	if (qm->state_fd >= 0)
		close(qm->state_fd);
	free(qm->fail_msg);
	free(qm->prefix);
	free(qm->shot_path);
	free(qm);
}

static const struct machine_ops qm_ops = {
    .start = qm_start,
    .restore = qm_restore,
    .take_channel = qm_take_channel,
    .cont = qm_cont,
    .probe = qm_probe,
    .screenshot = qm_screenshot,
    .save = qm_save,
    .dump = qm_dump,
    .console_input = qm_console_input,
    .send_keys = qm_send_keys,
    .inject_nmi = qm_inject_nmi,
    .power_cut = qm_power_cut,
    .stop = qm_stop,
    .release = qm_release,
};

struct machine *machine_qemu_new(const struct vm_config *cfg)
{
	struct qm *qm = xcalloc(1, sizeof(*qm));

	qm->m.ops = &qm_ops;
	qm->m.name = "qemu";
	qm->m.monitor = "QMP";
	qm->cfg = *cfg;
	qm->state_fd = -1;
	qm->vm.proc.pidfd = qm->vm.serial_fd = qm->vm.update_fd = qm->vm.marker_fd = -1;
	for (int i = 0; i < VM_NR_SOCKS; i++)
		qm->vm.listen_fd[i] = qm->vm.conn_fd[i] = -1;
	return &qm->m;
}
