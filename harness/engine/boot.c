/*
 * boot - judge one boot from the console, QMP events and deadlines
 * (see boot.h for the rules).
 */
#define _GNU_SOURCE
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long to wait for the console report after a panic signal. */
#define CRASH_GRACE_MS 3000
#define QMP_STARTUP_MS 15000
#define QUIT_GRACE_MS 3000
/* A live push answered: this long without a crash and the boot is clean. */
#define LIVE_SETTLE_MS 1000
#define SCREENDUMP_MS 2000
/* How long QEMU has to answer query-status at a hang deadline before it is judged wedged. */
#define PROBE_MS 3000
/* A report whose body has ended, then this long without output: it is judged. */
#define BODY_QUIET_MS 2000
/* A SIGKILLed QEMU is normally gone in milliseconds; past this, wait for it blocking. */
#define KILL_WAIT_MS 10000

/* What the update channel did this boot, into the result. */
static void record_update(struct boot *b, enum outcome o)
{
	const struct update_state *st;

	if (!b->upd)
		return;
	st = update_state(b->upd);
	b->res->update_installed = st->sets_done > 0;
	/* Taken: the agent said so, or the guest died once the bytes were in. */
	b->res->live_pushed = st->pushes_done > 0 || (st->pushes_sent > 0 && o == OUTCOME_CRASH);
	if (st->protocol_error && !b->res->update_error)
		b->res->update_error = xstrdup(st->protocol_msg);
	else if (st->errors && !b->res->update_error)
		b->res->update_error = xstrdup(st->error);
}

/*
 * Winding down without blocking the loop that serves other VMs: each stage
 * sends what it must and waits for QEMU through the poll loop (the QMP fd,
 * the pidfd) until its own deadline; a stage that gets no answer passes to
 * the next. QEMU that stopped answering (the probe said so) is killed at once.
 */
static void stop_stage(struct boot *b, enum boot_stop stage)
{
	struct bp_error err;

	b->stop = stage;
	if (stage == STOP_SHOT) {
		/* The crash as the screen showed it, for the report; best effort. */
		b->t_stop_ms = now_ms() + SCREENDUMP_MS;
		if (qmp_send_async(b->vm.qmp,
				   "screendump", json_pack("{s:s, s:s}", "filename",
							   b->p.screenshot_path, "format", "png"),
				   &err) == 0)
			return;
		unlink(b->p.screenshot_path);
		stage = b->stop = STOP_QUIT;
	}
	if (stage == STOP_QUIT) {
		b->t_stop_ms = now_ms() + QUIT_GRACE_MS;
		if (qmp_send_async(b->vm.qmp, "quit", NULL, &err) == 0)
			return;
		b->stop = STOP_KILL;
	}
	b->t_stop_ms = now_ms() + KILL_WAIT_MS;
	proc_kill_nowait(&b->vm.proc);
}

static void stop_begin(struct boot *b, enum outcome o)
{
	int wedged = b->probe && now_ms() >= b->t_probe_ms;

	if (b->vm.proc.pid <= 0 || vm_reap(&b->vm)) {
		b->done = 1;
	} else if (wedged || !b->vm.qmp || b->qmp_eof) {
		stop_stage(b, STOP_KILL);
	} else if (o == OUTCOME_CRASH && b->p.screenshot_path) {
		stop_stage(b, STOP_SHOT);
	} else {
		stop_stage(b, STOP_QUIT);
	}
}

/* The stop's next move: from boot_step while judged and not done. */
static void stop_step(struct boot *b, int exited)
{
	struct bp_error err;
	struct qmp_event ev;
	int64_t now = now_ms();

	if ((exited || b->stop == STOP_KILL) && vm_reap(&b->vm)) {
		b->done = 1;
		return;
	}
	/* Drained whatever the stage (the fd is polled): events after the verdict change nothing. */
	if (!b->qmp_eof && qmp_read(b->vm.qmp, &err) < 0)
		b->qmp_eof = 1;
	while (qmp_next_event(b->vm.qmp, &ev))
		qmp_event_release(&ev);
	if (b->stop == STOP_SHOT) {
		int r = qmp_async_reply(b->vm.qmp, NULL, &err);

		if (r == 1)
			b->res->screenshot = xstrdup(b->p.screenshot_rel);
		else if (r < 0 || now >= b->t_stop_ms)
			unlink(b->p.screenshot_path);
		if (r != 0 || now >= b->t_stop_ms)
			stop_stage(b, r == 0 || b->qmp_eof ? STOP_KILL : STOP_QUIT);
		return;
	}
	if (now < b->t_stop_ms)
		return;
	if (b->stop == STOP_QUIT) {
		stop_stage(b, STOP_KILL);
		return;
	}
	/* Not gone KILL_WAIT_MS after SIGKILL: the host is in trouble; wait for it here. */
	proc_kill(&b->vm.proc);
	b->done = 1;
}

static void finish(struct boot *b, enum outcome o, const char *title, const char *excerpt)
{
	int64_t t = now_ns();

	if (b->judged)
		return;
	b->judged = 1;
	if (o == OUTCOME_CRASH && (b->t_panic_ns || b->t_report_ns))
		b->res->detect_ms = (double)(t - (b->t_panic_ns ? b->t_panic_ns : b->t_report_ns)) / 1e6;
	b->res->outcome = o;
	free(b->res->title);
	b->res->title = title ? xstrdup(title) : NULL;
	if (excerpt) {
		free(b->res->excerpt);
		b->res->excerpt = xstrdup(excerpt);
	}
	b->res->duration_s = (double)(now_ms() - b->t_start_ms) / 1000.0;
	record_update(b, o);
	stop_begin(b, o);
}

static char *tail_text(const struct boot *b)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < BOOT_TAIL_LINES; i++) {
		const char *l = b->tail[(b->tail_next + i) % BOOT_TAIL_LINES];

		if (l) {
			strbuf_adds(&sb, l);
			strbuf_addch(&sb, '\n');
		}
	}
	return strbuf_detach(&sb);
}

static void finish_tail(struct boot *b, enum outcome o, const char *title)
{
	char *tail = tail_text(b);

	finish(b, o, title, tail);
	free(tail);
}

static void on_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct boot *b = ctx;
	size_t slot = b->tail_next++ % BOOT_TAIL_LINES;
	int fatal;

	free(b->tail[slot]);
	b->tail[slot] = xstrndup(line, len);
	if (!b->res->marker_seen && strstr(line, b->p.marker))
		b->res->marker_seen = 1;
	if (b->p.log_contains && strstr(line, b->p.log_contains))
		b->res->log_matched = 1;
	if (b->p.power_off_at && strstr(line, b->p.power_off_at))
		b->power_off_due = 1;
	/* profile: the guest's detector says which line is its fatal one */
	fatal = crash_detector_feed(b->det, line, len, lineno);
	/* Host arrival time of the crash's first line and of the fatal line, for detect_ms. */
	if (!b->t_report_ns && crash_detector_in_report(b->det))
		b->t_report_ns = b->t_chunk_ns;
	if (!b->t_panic_ns && fatal)
		b->t_panic_ns = b->t_chunk_ns;
}

/* Record the first completed crash; later ones are consequences. */
static void collect_crashes(struct boot *b)
{
	struct crash c;

	while (crash_detector_next(b->det, &c)) {
		if (!b->have_crash) {
			b->have_crash = 1;
			b->res->title = xstrdup(c.title);
			b->res->excerpt = xstrdup(c.report);
			b->res->crash_line = c.line;
			b->res->crash_kind = xstrdup(c.kind);
			b->res->crash_func = c.func[0] ? xstrdup(c.func) : NULL;
			b->res->crash_module = c.module[0] ? xstrdup(c.module) : NULL;
			b->res->tainted_oot = c.tainted_oot;
		}
		crash_release(&c);
	}
}

/* Every live push answered by the agent, and the settle time passed since. */
static int pushes_settled(struct boot *b)
{
	const struct update_state *st;

	if (!b->p.push)
		return 1;
	if (!b->upd)
		return 0;
	st = update_state(b->upd);
	if (st->pushes_done + st->errors < st->pushes_queued && !st->protocol_error && !st->eof)
		return 0;
	if (!b->t_settled_ms)
		b->t_settled_ms = now_ms() + LIVE_SETTLE_MS;
	return now_ms() >= b->t_settled_ms;
}

static void judge(struct boot *b)
{
	if (b->judged)
		return;
	collect_crashes(b);
	if (b->have_crash) {
		char *title = xstrdup(b->res->title);

		finish(b, OUTCOME_CRASH, title, NULL);
		free(title);
	} else if (b->res->marker_seen && !crash_detector_in_report(b->det) && pushes_settled(b)) {
		finish(b, OUTCOME_CLEAN, NULL, NULL);
	}
}

static void read_serial(struct boot *b)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(b->vm.serial_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b->t_chunk_ns = now_ns();
		b->t_last_output_ms = b->t_chunk_ns / 1000000;
		if (b->logfd >= 0 && write(b->logfd, buf, (size_t)n) != n) {
			/* A full disk must not stop judging; the log is best effort. */
			close(b->logfd);
			b->logfd = -1;
		}
		console_feed(&b->con, buf, (size_t)n);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		b->serial_eof = 1;
		console_finish(&b->con);
	}
}

static void handle_event(struct boot *b, const struct qmp_event *ev)
{
	if (!strcmp(ev->name, "GUEST_PANICKED") || !strcmp(ev->name, "GUEST_CRASHLOADED")) {
		b->res->panicked = 1;
		if (!b->t_grace_ms)
			b->t_grace_ms = now_ms() + CRASH_GRACE_MS;
	} else if (!strcmp(ev->name, "VSERPORT_CHANGE") && b->upd && ev->data &&
		   json_is_false(json_object_get(ev->data, "open")) &&
		   json_is_string(json_object_get(ev->data, "id")) &&
		   !strcmp(json_string_value(json_object_get(ev->data, "id")), VM_UPDATE_PORT_ID)) {
		struct bp_error err;

		/* The agent closed the port: a frame it left half written is recorded. */
		update_guest_closed(b->upd, &err);
	} else if (!strcmp(ev->name, "SHUTDOWN")) {
		json_t *reason = ev->data ? json_object_get(ev->data, "reason") : NULL;

		free(b->res->shutdown_reason);
		b->res->shutdown_reason =
			xstrdup(json_is_string(reason) ? json_string_value(reason) : "unknown");
	}
}

/* Serve the agent; a broken channel is recorded, the boot goes on being judged. */
static void serve_update(struct boot *b, short revents)
{
	struct bp_error err;

	if (revents & (POLLIN | POLLHUP | POLLERR))
		update_on_readable(b->upd, &err);
	if ((revents & POLLOUT) && update_fd(b->upd) >= 0)
		update_on_writable(b->upd, &err);
}

/* Hand the update port to an update object and put up what the boot serves. */
static int start_update(struct boot *b, struct bp_error *err)
{
	const struct content_set *cs;

	b->upd = update_new(b->vm.update_fd);
	b->vm.update_fd = -1;
	if (b->p.restore)
		update_resume(b->upd);
	if ((cs = b->p.publish)) {
		struct update_file *files = xcalloc(cs->nr_files + 1, sizeof(*files));
		int r;

		for (size_t i = 0; i < cs->nr_files; i++)
			files[i] = (struct update_file){cs->files[i].path, cs->files[i].as};
		/* Named after the content set, so the guest's set id says what it has. */
		r = update_publish(b->upd, update_valid_id(cs->name) ? cs->name : NULL, files,
				   cs->nr_files, err);
		free(files);
		if (r < 0)
			return -1;
	}
	if ((cs = b->p.push))
		for (size_t i = 0; i < cs->nr_files; i++)
			if (update_push(b->upd, cs->files[i].path, cs->files[i].as, 1, err) < 0)
				return -1;
	return 0;
}

static void read_qmp(struct boot *b)
{
	struct qmp_event ev;
	struct bp_error err;

	/* QMP closes as QEMU exits; the pidfd tells us how it ended. */
	if (!b->qmp_eof && qmp_read(b->vm.qmp, &err) < 0)
		b->qmp_eof = 1;
	while (qmp_next_event(b->vm.qmp, &ev)) {
		handle_event(b, &ev);
		qmp_event_release(&ev);
	}
}

/* QEMU is gone: whatever the console and events said decides. */
static void judge_exit(struct boot *b)
{
	char how[128], *msg;
	const char *reason = b->res->shutdown_reason;

	/* Take every byte QEMU wrote before exiting. */
	if (!b->serial_eof)
		read_serial(b);
	read_qmp(b);
	crash_detector_flush(b->det);
	judge(b);
	if (b->judged)
		return;
	if (b->res->panicked) {
		finish_tail(b, OUTCOME_CRASH, "guest panicked (pvpanic) with no console report");
		return;
	}
	if (reason && !strcmp(reason, "guest-reset")) {
		finish_tail(b, OUTCOME_CRASH, "unexpected reboot");
		return;
	}
	if (reason && (!strcmp(reason, "guest-shutdown") || !strcmp(reason, "guest-panic"))) {
		finish_tail(b, OUTCOME_CRASH, "unexpected shutdown");
		return;
	}
	msg = xasprintf("qemu %s without the guest asking", proc_describe(&b->vm.proc, how, sizeof(how)));
	finish_tail(b, OUTCOME_INFRA, msg);
	free(msg);
}

void boot_start(struct boot *b, const struct boot_params *p, struct boot_result *res)
{
	struct bp_error err;

	memset(b, 0, sizeof(*b));
	b->p = *p;
	b->res = res;
	b->vm.serial_fd = b->vm.update_fd = -1;
	b->vm.proc.pidfd = -1;
	b->det = p->vm.guest->detector_new(); /* profile: the guest's detector */
	console_init(&b->con, on_line, b);
	b->t_start_ms = now_ms();
	b->logfd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (b->logfd < 0) {
		error_set(&err, "cannot create '%s': %s", p->log_path, strerror(errno));
		goto infra;
	}
	if (p->restore) {
		if (vm_start_restored(&b->vm, &p->vm, p->restore, QMP_STARTUP_MS, &err) < 0)
			goto infra;
		res->restored = 1;
		res->marker_seen = 1;
	} else if (vm_start(&b->vm, &p->vm, QMP_STARTUP_MS, &err) < 0) {
		goto infra;
	}
	if (start_update(b, &err) < 0 || vm_cont(&b->vm, &err) < 0)
		goto infra;
	/*
	 * Silence counts from the first console byte: before it, a slow start
	 * (firmware, kernel decompression on a loaded host) is only bounded by
	 * the boot timeout.
	 */
	b->t_cont_ms = now_ms();
	b->t_last_output_ms = 0;
	return;
infra:
	error_prefix(&err, "cannot start qemu");
	finish(b, OUTCOME_INFRA, err.msg, NULL);
}

int boot_pollfds(struct boot *b, struct pollfd *fds)
{
	int n = 0;

	if (b->done)
		return 0;
	if (!b->judged && !b->serial_eof)
		fds[n++] = (struct pollfd){b->vm.serial_fd, POLLIN, 0};
	if (!b->qmp_eof)
		fds[n++] = (struct pollfd){qmp_fd(b->vm.qmp), POLLIN, 0};
	if (!b->judged && b->upd && update_fd(b->upd) >= 0)
		fds[n++] = (struct pollfd){update_fd(b->upd),
					   POLLIN | (update_want_write(b->upd) ? POLLOUT : 0), 0};
	fds[n++] = (struct pollfd){b->vm.proc.pidfd, POLLIN, 0};
	return n;
}

int64_t boot_deadline(const struct boot *b)
{
	int64_t d = b->t_cont_ms + b->p.boot_timeout_ms;
	int64_t s = b->t_last_output_ms ? b->t_last_output_ms + b->p.silence_timeout_ms : INT64_MAX;

	if (b->done)
		return INT64_MAX;
	if (b->judged)
		return b->t_stop_ms;
	if (b->probe)
		return b->t_probe_ms;
	if (s < d)
		d = s;
	if (b->t_grace_ms && b->t_grace_ms < d)
		d = b->t_grace_ms;
	if (b->t_settled_ms && b->t_settled_ms < d)
		d = b->t_settled_ms;
	if (b->t_last_output_ms && crash_detector_body_ended(b->det) &&
	    b->t_last_output_ms + BODY_QUIET_MS < d)
		d = b->t_last_output_ms + BODY_QUIET_MS;
	return d;
}

/*
 * A hang deadline passed: before calling it a hang, ask QEMU (without
 * waiting here) whether it still answers. Takes msg.
 */
static void probe_begin(struct boot *b, char *msg)
{
	struct bp_error err;

	if (!b->qmp_eof && qmp_send_async(b->vm.qmp, "query-status", NULL, &err) == 0) {
		b->probe = msg;
		b->t_probe_ms = now_ms() + PROBE_MS;
		return;
	}
	if (b->qmp_eof) {
		/* QMP closed: QEMU is exiting, and the hang was there before. */
		finish_tail(b, OUTCOME_HANG, msg);
	} else {
		char *why = xasprintf("qemu stopped answering QMP (%s; at %s)", err.msg, msg);

		finish_tail(b, OUTCOME_INFRA, why);
		free(why);
	}
	free(msg);
}

/* Any answer (even an error) shows a responsive QEMU: the guest hangs. No answer: QEMU does. */
static void probe_check(struct boot *b)
{
	struct bp_error err;
	int r;

	if (!b->probe || b->judged)
		return;
	if (!b->qmp_eof)
		read_qmp(b);
	r = qmp_async_reply(b->vm.qmp, NULL, &err);
	if (r != 0 && !b->qmp_eof) {
		finish_tail(b, OUTCOME_HANG, b->probe);
	} else if (now_ms() >= b->t_probe_ms) {
		char *why = xasprintf("qemu stopped answering QMP (no reply to query-status within "
				      "%d ms; at %s)",
				      PROBE_MS, b->probe);

		finish_tail(b, OUTCOME_INFRA, why);
		free(why);
	}
}

static void check_timers(struct boot *b)
{
	int64_t now = now_ms();
	char *msg = NULL;

	if (b->judged || b->probe)
		return;
	if (b->t_grace_ms && now >= b->t_grace_ms) {
		crash_detector_flush(b->det);
		judge(b);
		if (!b->judged)
			finish_tail(b, OUTCOME_CRASH, "guest panicked (pvpanic) with no console report");
		return;
	}
	/* A report past its end marker, then quiet: no trailer is coming (the guest lives on). */
	if (b->t_last_output_ms && crash_detector_body_ended(b->det) &&
	    now >= b->t_last_output_ms + BODY_QUIET_MS) {
		crash_detector_flush(b->det);
		judge(b);
		if (b->judged)
			return;
	}
	if (now >= b->t_cont_ms + b->p.boot_timeout_ms)
		msg = b->res->marker_seen
			      ? xasprintf("hang: live content not taken within %d s",
					  b->p.boot_timeout_ms / 1000)
			      : xasprintf("hang: no boot-complete marker within %d s",
					  b->p.boot_timeout_ms / 1000);
	else if (b->t_last_output_ms && now >= b->t_last_output_ms + b->p.silence_timeout_ms)
		msg = xasprintf("hang: no console output for %d s", b->p.silence_timeout_ms / 1000);
	if (msg) {
		/* A report cut off by the deadline is still a crash. */
		crash_detector_flush(b->det);
		judge(b);
		if (b->judged)
			free(msg);
		else
			probe_begin(b, msg);
	}
}

void boot_step(struct boot *b, const struct pollfd *fds, int nfds)
{
	int exited = 0;

	if (b->done)
		return;
	for (int i = 0; i < nfds; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == b->vm.proc.pidfd)
			exited = 1;
		else if (b->judged)
			continue;
		else if (fds[i].fd == b->vm.serial_fd)
			read_serial(b);
		else if (b->vm.qmp && fds[i].fd == qmp_fd(b->vm.qmp))
			read_qmp(b);
		else if (b->upd && fds[i].fd == update_fd(b->upd))
			serve_update(b, fds[i].revents);
	}
	if (b->judged) {
		stop_step(b, exited);
		return;
	}
	if (b->power_off_due) {
		/* SIGKILL, not quit: what the guest had not written is lost, as in a power cut. */
		char *msg = xasprintf("powered off by the harness at '%s'", b->p.power_off_at);

		proc_kill(&b->vm.proc);
		b->res->powered_off = 1;
		finish_tail(b, OUTCOME_INFRA, msg);
		free(msg);
	}
	judge(b);
	if (!b->judged && exited)
		judge_exit(b);
	probe_check(b);
	check_timers(b);
	if (!b->judged && bp_interrupted) {
		char *msg = xasprintf("interrupted by signal %d", (int)bp_interrupted);

		finish_tail(b, OUTCOME_INFRA, msg);
		free(msg);
	}
}

void boot_release(struct boot *b)
{
	free(b->probe);
	b->probe = NULL;
	vm_release(&b->vm);
	update_free(b->upd);
	b->upd = NULL;
	crash_detector_free(b->det);
	b->det = NULL;
	if (b->logfd >= 0)
		close(b->logfd);
	b->logfd = -1;
	for (size_t i = 0; i < BOOT_TAIL_LINES; i++) {
		free(b->tail[i]);
		b->tail[i] = NULL;
	}
}

void boot_run(const struct boot_params *p, struct boot_result *res)
{
	struct boot b;

	boot_start(&b, p, res);
	while (!boot_done(&b)) {
		struct pollfd fds[BOOT_MAX_POLLFDS];
		int n = boot_pollfds(&b, fds);
		int64_t wait = boot_deadline(&b) - now_ms();

		if (poll(fds, (nfds_t)n, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
			break;
		boot_step(&b, fds, n);
	}
	boot_release(&b);
}
