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

static void finish(struct boot *b, enum outcome o, const char *title, const char *excerpt)
{
	int64_t t = now_ns();

	if (b->done)
		return;
	b->done = 1;
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
	vm_stop(&b->vm, QUIT_GRACE_MS);
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

	free(b->tail[slot]);
	b->tail[slot] = xstrndup(line, len);
	if (!b->res->marker_seen && strstr(line, b->p.marker))
		b->res->marker_seen = 1;
	if (b->p.log_contains && strstr(line, b->p.log_contains))
		b->res->log_matched = 1;
	detector_line(b->det, line, len, lineno);
	/* Host arrival time of the crash's first line and of the panic line, for detect_ms. */
	if (!b->t_report_ns && detector_in_report(b->det))
		b->t_report_ns = b->t_chunk_ns;
	if (!b->t_panic_ns && strstr(line, "Kernel panic - not syncing"))
		b->t_panic_ns = b->t_chunk_ns;
}

/* Record the first completed crash; later ones are consequences. */
static void collect_crashes(struct boot *b)
{
	struct crash c;

	while (detector_next(b->det, &c)) {
		if (!b->have_crash) {
			b->have_crash = 1;
			b->res->title = xstrdup(c.title);
			b->res->excerpt = xstrdup(c.report);
			b->res->crash_line = c.line;
		}
		crash_release(&c);
	}
}

static void judge(struct boot *b)
{
	if (b->done)
		return;
	collect_crashes(b);
	if (b->have_crash) {
		char *title = xstrdup(b->res->title);

		finish(b, OUTCOME_CRASH, title, NULL);
		free(title);
	} else if (b->res->marker_seen && !detector_in_report(b->det)) {
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
	} else if (!strcmp(ev->name, "SHUTDOWN")) {
		json_t *reason = ev->data ? json_object_get(ev->data, "reason") : NULL;

		free(b->res->shutdown_reason);
		b->res->shutdown_reason =
			xstrdup(json_is_string(reason) ? json_string_value(reason) : "unknown");
	}
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
	detector_flush(b->det);
	judge(b);
	if (b->done)
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
	b->det = detector_new();
	console_init(&b->con, on_line, b);
	b->t_start_ms = now_ms();
	b->logfd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (b->logfd < 0) {
		error_set(&err, "cannot create '%s': %s", p->log_path, strerror(errno));
		goto infra;
	}
	if (vm_start(&b->vm, &p->vm, QMP_STARTUP_MS, &err) < 0)
		goto infra;
	if (vm_cont(&b->vm, &err) < 0)
		goto infra;
	b->t_cont_ms = b->t_last_output_ms = now_ms();
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
	if (!b->serial_eof)
		fds[n++] = (struct pollfd){b->vm.serial_fd, POLLIN, 0};
	if (!b->qmp_eof)
		fds[n++] = (struct pollfd){qmp_fd(b->vm.qmp), POLLIN, 0};
	fds[n++] = (struct pollfd){b->vm.proc.pidfd, POLLIN, 0};
	return n;
}

int64_t boot_deadline(const struct boot *b)
{
	int64_t d = b->t_cont_ms + b->p.boot_timeout_ms;
	int64_t s = b->t_last_output_ms + b->p.silence_timeout_ms;

	if (b->done)
		return INT64_MAX;
	if (s < d)
		d = s;
	if (b->t_grace_ms && b->t_grace_ms < d)
		d = b->t_grace_ms;
	return d;
}

static void check_timers(struct boot *b)
{
	int64_t now = now_ms();
	char *msg = NULL;

	if (b->done)
		return;
	if (b->t_grace_ms && now >= b->t_grace_ms) {
		detector_flush(b->det);
		judge(b);
		if (!b->done)
			finish_tail(b, OUTCOME_CRASH, "guest panicked (pvpanic) with no console report");
		return;
	}
	if (now >= b->t_cont_ms + b->p.boot_timeout_ms)
		msg = xasprintf("hang: no boot-complete marker within %d s", b->p.boot_timeout_ms / 1000);
	else if (now >= b->t_last_output_ms + b->p.silence_timeout_ms)
		msg = xasprintf("hang: no console output for %d s", b->p.silence_timeout_ms / 1000);
	if (msg) {
		/* A report cut off by the deadline is still a crash. */
		detector_flush(b->det);
		judge(b);
		finish_tail(b, OUTCOME_HANG, msg);
		free(msg);
	}
}

void boot_step(struct boot *b, const struct pollfd *fds, int nfds)
{
	int exited = 0;

	for (int i = 0; i < nfds && !b->done; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == b->vm.serial_fd)
			read_serial(b);
		else if (b->vm.qmp && fds[i].fd == qmp_fd(b->vm.qmp))
			read_qmp(b);
		else if (fds[i].fd == b->vm.proc.pidfd)
			exited = 1;
	}
	judge(b);
	if (!b->done && exited)
		judge_exit(b);
	check_timers(b);
	if (!b->done && bp_interrupted) {
		char *msg = xasprintf("interrupted by signal %d", (int)bp_interrupted);

		finish_tail(b, OUTCOME_INFRA, msg);
		free(msg);
	}
}

void boot_release(struct boot *b)
{
	vm_release(&b->vm);
	detector_free(b->det);
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
