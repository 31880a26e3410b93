/*
 * boot - judge one boot from the console, machine events and deadlines
 * (see boot.h for the rules).
 */
#define _GNU_SOURCE
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "screen.h"

/* How long to wait for the console report after a panic signal. */
#define CRASH_GRACE_MS 3000
/* How long the machine has to answer a probe at a hang deadline before it is judged wedged. */
#define PROBE_MS 3000
/* A report whose body has ended, then this long without output: it is judged. */
#define BODY_QUIET_MS 2000
/* The recovery check: the two screendumps this far apart must show the same screen. */
#define RECOVERY_GAP_MS 3000

static void boot_set_done(struct boot *b);
static void boot_settle(struct boot *b);
static void finish_interrupted(struct boot *b);
static void finish_panic(struct boot *b);
static void on_update(struct loop *l, int fd, short revents, void *ctx);
static void wind_on(struct boot *b);

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
	if (b->p.evaluated && o == OUTCOME_CLEAN && st->pushes_loaded > b->evaluated)
		b->res->unevaluated = st->pushes_loaded - b->evaluated;
	if (st->protocol_error && !b->res->update_error)
		b->res->update_error = xstrdup(st->protocol_msg);
	else if (st->errors && !b->res->update_error)
		b->res->update_error = xstrdup(st->error);
}

/*
 * Winding down without blocking the loop that serves other VMs: a crash's
 * screenshot first (the machine keeps its deadline), then the machine's
 * stop; a machine that stopped answering is cut off at once. done once the
 * machine says it exited.
 */
static void stop_begin(struct boot *b, enum outcome o)
{
	struct bp_error err;
	int wedged = b->probe && now_ms() >= b->t_probe_ms;

	if (b->exited || (o == OUTCOME_CLEAN && b->p.keep)) {
		boot_set_done(b);
	} else if (wedged) {
		machine_power_cut(b->m);
	} else if (o == OUTCOME_CRASH && b->p.screenshot_path && b->t_cont_ms &&
		   machine_screenshot(b->m, b->p.screenshot_path, &err) == 0) {
		b->shooting = 1;
	} else {
		wind_on(b);
	}
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
	if (!b->res->marker_seen && !b->p.guest->machine.marker_serial &&
	    strstr(line, b->p.marker))
		b->res->marker_seen = 1;
	if (b->p.log_contains && strstr(line, b->p.log_contains))
		b->res->log_matched = 1;
	if (b->p.power_off_at && strstr(line, b->p.power_off_at))
		b->power_off_due = 1;
	/* profile: the recovery environment's words, for a recovery verdict's title */
	if (b->p.recovery_screen && !b->recovery_line && b->p.guest->recovery_line &&
	    b->p.guest->recovery_line(line, len))
		b->recovery_line = xstrndup(line, len > 120 ? 120 : len);
	/* A line that came before a push's bytes were all written cannot be its evaluation. */
	if (b->p.evaluated && b->upd && b->evaluated < update_state(b->upd)->pushes_sent &&
	    !regexec(b->p.evaluated, line, 0, NULL, 0))
		b->evaluated++;
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
			b->serial.has_code = c.has_code;
			b->serial.code = c.code;
			b->serial.nparams = c.nparams;
			memcpy(b->serial.param, c.param, sizeof(c.param));
		}
		crash_release(&c);
	}
}

/*
 * Every live push answered by the agent, and then the sensor's evaluated
 * line for each file it took, or the settle time passed since.
 */
static int pushes_settled(struct boot *b)
{
	const struct update_state *st;

	if (b->p.stats && !b->soak_done)
		return 0;
	if (!b->p.push)
		return 1;
	if (!b->upd)
		return 0;
	st = update_state(b->upd);
	if (st->pushes_done + st->errors < st->pushes_queued && !st->protocol_error && !st->eof)
		return 0;
	if (!b->t_settled_ms)
		b->t_settled_ms = now_ms() + b->p.settle_ms;
	if (b->p.evaluated && b->evaluated >= st->pushes_loaded)
		return 1;
	return now_ms() >= b->t_settled_ms;
}

/* One round of a soak: every file of the pushed set once. */
static int push_round(struct boot *b, struct bp_error *err)
{
	const struct content_set *cs = b->p.push;

	for (size_t i = 0; cs && i < cs->nr_files; i++)
		if (update_push(b->upd, cs->files[i].path, cs->files[i].as, 0, err) < 0)
			return -1;
	b->rounds++;
	return 0;
}

/* The agent's latest figures as the soak's next sample. */
static void add_sample(struct boot *b, const struct update_state *st)
{
	struct mem_sample *m = boot_add_sample(b->res);

	m->n = b->p.soak_pushes ? b->rounds : 1;
	m->t_s = (double)(now_ms() - b->t_start_ms) / 1000.0;
	m->mem_available_kib = st->mem_available_kib;
	m->mem_free_kib = st->mem_free_kib;
	m->slab_kib = st->slab_kib;
	m->module_bytes = st->module_bytes;
	b->samples++;
	b->res->pushes = b->p.soak_pushes ? b->rounds : 0;
	b->t_progress_ms = now_ms();
}

/*
 * A soak, once the guest is up: STATS after each answered round (or once,
 * for a boot soak), then the next round, until the count or the time is
 * reached. An agent that fails a push or a STATS ends it (recorded in
 * update_error, the soak's figures say how far it got).
 */
static void soak_step(struct boot *b)
{
	const struct update_state *st;
	struct bp_error err;
	int want;

	if (!b->p.stats || b->soak_done || b->judged || !b->res->marker_seen || !b->upd)
		return;
	st = update_state(b->upd);
	if (!b->t_progress_ms)
		b->t_progress_ms = now_ms();
	if (st->stats_answered > b->samples)
		add_sample(b, st);
	if (st->protocol_error || st->errors || st->eof || update_fd(b->upd) < 0) {
		b->soak_done = 1;
		return;
	}
	if (st->stats_asked > st->stats_answered || st->pushes_done < st->pushes_queued)
		return;
	want = b->p.soak_pushes ? b->rounds : 1;
	if (b->samples < want) {
		if (update_stats(b->upd, &err) < 0)
			b->soak_done = 1;
		return;
	}
	if (b->rounds < b->p.soak_pushes &&
	    (!b->p.soak_until_ms || now_ms() < b->p.soak_until_ms)) {
		if (push_round(b, &err) < 0)
			b->soak_done = 1;
		return;
	}
	b->soak_done = 1;
}

static void judge(struct boot *b)
{
	if (b->judged)
		return;
	soak_step(b);
	collect_crashes(b);
	if (b->have_crash) {
		char *title = xstrdup(b->res->title);

		finish(b, OUTCOME_CRASH, title, NULL);
		free(title);
	} else if (b->res->marker_seen && !crash_detector_in_report(b->det) && pushes_settled(b)) {
		finish(b, OUTCOME_CLEAN, NULL, NULL);
	}
}

/* The machine's console bytes (len 0: the console closed). */
static void on_console(void *ctx, const char *buf, size_t n, int64_t host_ns)
{
	struct boot *b = ctx;

	if (b->judged)
		return;
	if (!n) {
		b->serial_eof = 1;
		console_finish(&b->con);
		boot_settle(b);
		return;
	}
	b->t_chunk_ns = host_ns;
	b->t_last_output_ms = host_ns / 1000000;
	if (b->logfd >= 0 && write(b->logfd, buf, n) != (ssize_t)n) {
		/* A full disk must not stop judging; the log is best effort. */
		close(b->logfd);
		b->logfd = -1;
	}
	console_feed(&b->con, buf, n);
	boot_settle(b);
}

/* A line of the marker port (guest.h: machine.marker_serial): the marker, or nothing. */
static void on_marker_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct boot *b = ctx;

	if (!b->res->marker_seen && strstr(line, b->p.marker))
		b->res->marker_seen = 1;
}

static void on_marker(void *ctx, const char *buf, size_t n, int64_t host_ns)
{
	struct boot *b = ctx;

	if (b->judged)
		return;
	if (n)
		console_feed(&b->marker_con, buf, n);
	else
		console_finish(&b->marker_con);
	boot_settle(b);
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

	b->upd = update_new(machine_take_channel(b->m));
	if (update_fd(b->upd) >= 0)
		b->id_upd = loop_fd_add(b->p.loop, update_fd(b->upd), POLLIN, on_update, b);
	if (b->p.restore && !b->p.resume_input)
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
	/* A soak's rounds start once the guest is up (soak_step()). */
	if ((cs = b->p.push) && !b->p.soak_pushes)
		for (size_t i = 0; i < cs->nr_files; i++)
			if (update_push(b->upd, cs->files[i].path, cs->files[i].as, 1, err) < 0)
				return -1;
	return 0;
}

/* What boot_timeout counts from: the start, or in a soak under way its last answer. */
static int64_t timeout_base(const struct boot *b)
{
	return b->p.stats && b->t_progress_ms > b->t_cont_ms ? b->t_progress_ms : b->t_cont_ms;
}

int64_t boot_deadline(const struct boot *b)
{
	int64_t d = timeout_base(b) + b->p.boot_timeout_ms;
	int64_t s = b->t_last_output_ms ? b->t_last_output_ms + b->p.silence_timeout_ms : INT64_MAX;

	if (b->done || b->judged || !b->t_cont_ms || b->dump_state == 1)
		return INT64_MAX; /* starting, stopping, dumping: the machine keeps those deadlines */
	if (b->probe)
		return b->t_probe_ms;
	if (b->still > 0) /* the machine's screendump deadline bounds states 1 and 3 */
		return b->still == 2 ? b->t_still_ms : INT64_MAX;
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
 * A hang deadline passed: before calling it a hang, ask the machine
 * (without waiting here) whether it still answers. Takes msg.
 */
static void probe_begin(struct boot *b, char *msg)
{
	struct bp_error err;
	int r = machine_probe(b->m, &err);

	if (r == 0) {
		b->probe = msg;
		b->t_probe_ms = now_ms() + PROBE_MS;
		return;
	}
	if (r > 0) {
		/* The monitor closed: the machine is exiting, and the hang was there before. */
		finish_tail(b, OUTCOME_HANG, msg);
	} else {
		char *why = xasprintf("%s stopped answering %s (%s; at %s)", b->m->name,
				      b->m->monitor, err.msg, msg);

		finish_tail(b, OUTCOME_INFRA, why);
		free(why);
	}
	free(msg);
}

/* ---- the recovery check (boot.h: "recovery") ---- */

static char *still_first(const struct boot *b)
{
	return xasprintf("%s.first.png", b->p.screenshot_path);
}

/* The check is over (once a boot): its first screendump removed, its hang title handed back. */
static char *still_end(struct boot *b)
{
	char *msg = b->still_msg, *first = still_first(b);

	b->still_msg = NULL;
	b->still = -1;
	unlink(first);
	free(first);
	return msg;
}

/* Not a recovery screen (or it could not be seen): the deadline's hang, probed. */
static void still_give_up(struct boot *b, const char *why)
{
	char *msg = still_end(b), *more = xasprintf("%s (not a recovery screen: %s)", msg, why);

	free(msg);
	probe_begin(b, more);
}

/* A hang deadline passed: with p.recovery_screen, look at the screen first. Takes msg. */
static void hang_deadline(struct boot *b, char *msg)
{
	struct bp_error err;
	char *first;

	if (!b->p.recovery_screen || !b->p.screenshot_path || b->still) {
		probe_begin(b, msg);
		return;
	}
	first = still_first(b);
	b->still_msg = msg;
	if (machine_screenshot(b->m, first, &err) == 0)
		b->still = 1;
	else
		still_give_up(b, "no screendump");
	free(first);
}

/* A screendump of the check is in (ok: it was written). */
static void still_shot(struct boot *b, int ok)
{
	struct bp_error err;
	const char *why = NULL;
	char *first, *title, *msg;
	int r;

	if (!ok) {
		still_give_up(b, "no screendump");
		return;
	}
	if (b->still == 1) {
		b->still = 2;
		b->t_still_ms = now_ms() + RECOVERY_GAP_MS;
		return;
	}
	first = still_first(b);
	r = screen_still(first, b->p.screenshot_path, &why, &err);
	free(first);
	if (r <= 0) {
		still_give_up(b, r < 0 ? err.msg : why);
		return;
	}
	msg = still_end(b);
	title = xasprintf("recovery: the guest stopped at its recovery screen (%s, the screen "
			  "unchanged for %d s%s%s%s)",
			  strncmp(msg, "hang: ", 6) ? msg : msg + 6, RECOVERY_GAP_MS / 1000,
			  b->recovery_line ? "; console: '" : "",
			  b->recovery_line ? b->recovery_line : "", b->recovery_line ? "'" : "");
	free(msg);
	free(b->res->screenshot);
	b->res->screenshot = xstrdup(b->p.screenshot_rel);
	finish_tail(b, OUTCOME_RECOVERY, title);
	free(title);
}

/* The second screendump is due. */
static void still_timer(struct boot *b)
{
	struct bp_error err;

	if (b->still != 2 || now_ms() < b->t_still_ms)
		return;
	b->still = 3;
	if (machine_screenshot(b->m, b->p.screenshot_path, &err) < 0)
		still_give_up(b, "no screendump");
}

/* The answer is an event (MACHINE_ANSWERED); none by the probe's deadline: the backend hangs. */
static void probe_check(struct boot *b)
{
	if (!b->probe || b->judged || now_ms() < b->t_probe_ms)
		return;
	{
		char *why = xasprintf("%s stopped answering %s (no reply within %d ms; at %s)",
				      b->m->name, b->m->monitor, PROBE_MS, b->probe);

		finish_tail(b, OUTCOME_INFRA, why);
		free(why);
	}
}

/* No console report within the grace after a panic, crash-dump or watchdog signal. */
static void finish_panic(struct boot *b)
{
	char *msg;

	if (b->has_bugcheck)
		msg = xasprintf("bugcheck 0x%08llx (0x%llx, 0x%llx, 0x%llx, 0x%llx) with no console "
				"report",
				(unsigned long long)b->bugcheck, (unsigned long long)b->param[0],
				(unsigned long long)b->param[1], (unsigned long long)b->param[2],
				(unsigned long long)b->param[3]);
	else if (b->watchdog)
		msg = xasprintf("guest watchdog fired (%s) with no console report", b->watchdog);
	else
		msg = xstrdup("guest panicked (pvpanic) with no console report");
	finish_tail(b, OUTCOME_CRASH, msg);
	free(msg);
}

/* The machine is gone: whatever the console and events said decides. */
static void judge_exit(struct boot *b, const char *how)
{
	char *msg;

	crash_detector_flush(b->det);
	judge(b);
	if (b->judged)
		return;
	if (b->res->panicked) {
		finish_panic(b);
		return;
	}
	if (b->end == MACHINE_RESET) {
		finish_tail(b, OUTCOME_CRASH, "unexpected reboot");
		return;
	}
	if (b->end == MACHINE_SHUTDOWN_GUEST) {
		finish_tail(b, OUTCOME_CRASH, "unexpected shutdown");
		return;
	}
	msg = xasprintf("%s without the guest asking", how ? how : "the machine exited");
	finish_tail(b, OUTCOME_INFRA, msg);
	free(msg);
}

/* Started and paused: serve the update channel and let the guest run. */
static void on_ready(struct boot *b)
{
	struct bp_error err;

	if (b->p.restore) {
		b->res->restored = 1;
		b->res->marker_seen = !b->p.resume_input;
	}
	if (start_update(b, &err) < 0 || machine_cont(b->m, &err) < 0 ||
	    (b->p.resume_input && machine_console_input(b->m, b->p.resume_input,
							strlen(b->p.resume_input), &err) < 0)) {
		error_prefix(&err, "cannot start %s", b->m->name);
		finish(b, OUTCOME_INFRA, err.msg, NULL);
		return;
	}
	/*
	 * Silence counts from the first console byte: before it, a slow start
	 * (firmware, kernel decompression on a loaded host) is only bounded by
	 * the boot timeout.
	 */
	b->t_cont_ms = now_ms();
	b->res->start_ms = (double)(b->t_cont_ms - b->t_start_ms);
	b->t_last_output_ms = 0;
}

/* The first panic event's bugcheck, when the backend carried one. */
static void record_bugcheck(struct boot *b, const struct machine_event *ev)
{
	if (ev->has_bugcheck && !b->has_bugcheck) {
		b->has_bugcheck = 1;
		b->bugcheck = ev->bugcheck;
		memcpy(b->param, ev->param, sizeof(b->param));
	}
}

/* The host-side dump is over: ok, or why there is none. */
static void dump_over(struct boot *b, int ok, const char *why)
{
	b->dump_state = 2;
	b->dump_ok = ok;
	free(b->dump_why);
	b->dump_why = ok ? NULL : xstrdup(why ? why : "the machine gave no reason");
	if (!ok)
		unlink(b->p.dump_path); /* what QEMU created before it refused */
	else
		chmod(b->p.dump_path, 0644); /* QEMU makes it owner-read-only; it is the run's, like a log */
	/* The guest was paused: the grace for its console report starts again. */
	if (!b->judged && b->t_grace_ms)
		b->t_grace_ms = now_ms() + CRASH_GRACE_MS;
	if (!b->judged && b->t_last_output_ms)
		b->t_last_output_ms = now_ms();
}

/* At the guest's panic (boot.h): the machine writes a host-side dump before it stops. */
static void dump_begin(struct boot *b)
{
	struct bp_error err;

	if (!b->p.dump_path || b->dump_state || b->exited)
		return;
	if (b->t_dump_wait)
		loop_timer_remove(b->p.loop, b->t_dump_wait);
	b->t_dump_wait = 0;
	if (machine_dump(b->m, b->p.dump_path, &err) == 0)
		b->dump_state = 1;
	else
		dump_over(b, 0, err.msg);
}

static void on_dump_wait(struct loop *l, void *ctx)
{
	struct boot *b = ctx;

	b->t_dump_wait = 0;
	if (!b->dump_state)
		dump_over(b, 0, "no panic event before the boot ended");
	wind_on(b);
}

/*
 * After a crash's screenshot (or instead of it): the host-side dump asked
 * for at the panic event, or one still to come (a crash judged from the
 * console before the panic event: held CRASH_GRACE_MS for it), then the stop.
 */
static void wind_on(struct boot *b)
{
	if (b->dump_state == 1 || b->t_dump_wait)
		return; /* DUMPED, or the wait's end, calls again */
	if (b->p.dump_path && !b->dump_state && !b->exited && b->res->outcome == OUTCOME_CRASH) {
		if (b->res->panicked) {
			dump_begin(b);
			if (b->dump_state == 1)
				return;
		} else {
			b->t_dump_wait =
			    loop_timer_add(b->p.loop, now_ms() + CRASH_GRACE_MS, on_dump_wait, b);
			return;
		}
	}
	machine_stop(b->m);
}

/* A panic-like signal: the console has CRASH_GRACE_MS to bring its report. */
static void on_panic(struct boot *b, const struct machine_event *ev)
{
	b->res->panicked = 1;
	if (ev->kind == MACHINE_WATCHDOG && !b->watchdog)
		b->watchdog = xstrdup(ev->reason ? ev->reason : "unknown");
	record_bugcheck(b, ev);
	if (!b->t_grace_ms)
		b->t_grace_ms = now_ms() + CRASH_GRACE_MS;
	if (ev->kind == MACHINE_PANIC)
		dump_begin(b);
}

static void on_event_judging(struct boot *b, const struct machine_event *ev)
{
	struct bp_error err;

	switch (ev->kind) {
	case MACHINE_READY:
		on_ready(b);
		break;
	case MACHINE_START_FAILED: {
		char *msg = xasprintf("cannot start %s: %s", b->m->name, ev->reason);

		finish(b, OUTCOME_INFRA, msg, NULL);
		free(msg);
		break;
	}
	case MACHINE_PANIC:
	case MACHINE_CRASH_LOADED:
	case MACHINE_WATCHDOG:
		on_panic(b, ev);
		break;
	case MACHINE_RESET:
	case MACHINE_SHUTDOWN_GUEST:
	case MACHINE_SHUTDOWN_HOST:
		b->end = ev->kind;
		free(b->res->shutdown_reason);
		b->res->shutdown_reason = xstrdup(ev->reason ? ev->reason : "unknown");
		break;
	case MACHINE_CHANNEL_CLOSED:
		/* The agent closed the port: a frame it left half written is recorded. */
		if (b->upd)
			update_guest_closed(b->upd, &err);
		break;
	case MACHINE_SCREENSHOT:
		if (b->still == 1 || b->still == 3)
			still_shot(b, ev->ok);
		break;
	case MACHINE_ANSWERED:
		/* Any answer shows a responsive backend: the guest hangs. */
		if (b->probe)
			finish_tail(b, OUTCOME_HANG, b->probe);
		break;
	case MACHINE_EXITED:
		if (bp_interrupted)
			finish_interrupted(b);
		judge_exit(b, ev->reason);
		break;
	default:
		break;
	}
}

static void on_event(void *ctx, const struct machine_event *ev)
{
	struct boot *b = ctx;

	if (ev->kind == MACHINE_EXITED)
		b->exited = 1;
	if (ev->kind == MACHINE_DUMPED && b->dump_state == 1)
		dump_over(b, ev->ok, ev->reason);
	if (!b->judged) {
		on_event_judging(b, ev);
		boot_settle(b);
		return;
	}
	/* Judged: only the wind-down's answers matter (and a late panic, for its dump). */
	if (ev->kind == MACHINE_SCREENSHOT && b->shooting) {
		b->shooting = 0;
		if (ev->ok)
			b->res->screenshot = xstrdup(b->p.screenshot_rel);
		wind_on(b);
	} else if (ev->kind == MACHINE_PANIC) {
		b->res->panicked = 1;
		record_bugcheck(b, ev);
		if (!b->shooting && b->t_dump_wait) {
			dump_begin(b);
			wind_on(b);
		}
	} else if (ev->kind == MACHINE_DUMPED && !b->shooting) {
		wind_on(b);
	} else if (ev->kind == MACHINE_EXITED) {
		boot_set_done(b);
	}
}

static void check_timers(struct boot *b)
{
	int64_t now = now_ms();
	char *msg = NULL;

	/* A dump being written pauses the guest: none of its deadlines runs meanwhile. */
	if (b->judged || b->probe || !b->t_cont_ms || b->dump_state == 1)
		return;
	if (b->still > 0) {
		still_timer(b);
		return;
	}
	if (b->t_grace_ms && now >= b->t_grace_ms) {
		crash_detector_flush(b->det);
		judge(b);
		if (!b->judged)
			finish_panic(b);
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
	if (now >= timeout_base(b) + b->p.boot_timeout_ms)
		msg = b->res->marker_seen && b->p.stats
			      ? xasprintf("hang: the soak's push %d or its stats not answered "
					  "within %d s",
					  b->rounds, b->p.boot_timeout_ms / 1000)
		      : b->res->marker_seen
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
			hang_deadline(b, msg);
	}
}

static void finish_interrupted(struct boot *b)
{
	char *msg = xasprintf("interrupted by signal %d", (int)bp_interrupted);

	finish_tail(b, OUTCOME_INFRA, msg);
	free(msg);
}

/* Next in the owner's loop round, not inside the machine's callback that made us done. */
static void on_done_timer(struct loop *l, void *ctx)
{
	struct boot *b = ctx;

	b->t_done = 0;
	if (b->p.on_done)
		b->p.on_done(b->p.ctx, b);
}

/* The serial console's view: the report the boot's title came from. */
static void view_serial(struct boot *b)
{
	struct source_view *v = boot_add_view(b->res, SOURCE_SERIAL);

	if (!b->have_crash) {
		v->note = xstrdup("no crash report on the console");
		return;
	}
	v->title = xstrdup(b->res->title);
	v->driver = b->res->crash_module ? xstrdup(b->res->crash_module) : NULL;
	v->has_code = b->serial.has_code;
	v->code = b->serial.code;
	v->nparams = b->serial.nparams;
	memcpy(v->param, b->serial.param, sizeof(v->param));
}

/* The panic event's view: its bugcheck, when the backend carried one (KVM's Hyper-V MSRs). */
static void view_event(struct boot *b)
{
	struct source_view *v = boot_add_view(b->res, SOURCE_EVENT);
	struct strbuf title = STRBUF_INIT;

	if (!b->res->panicked) {
		v->note = xstrdup("no panic event");
		return;
	}
	if (!b->has_bugcheck) {
		v->note = xstrdup("a panic event without the bugcheck's code (pvpanic)");
		return;
	}
	v->has_code = 1;
	v->code = (uint32_t)b->bugcheck;
	v->nparams = 4;
	memcpy(v->param, b->param, sizeof(v->param));
	if (b->p.guest->bugcheck_title) {
		b->p.guest->bugcheck_title(&title, 1, v->code, NULL);
		v->title = strbuf_detach(&title);
	}
}

/* The host-side dump's view: the file as the profile reads it, or why there is none. */
static void view_host_dump(struct boot *b)
{
	struct source_view *v = boot_add_view(b->res, SOURCE_DUMP);
	struct bp_error err;

	if (b->dump_state == 2 && b->dump_ok && b->p.guest->dump_view &&
	    b->p.guest->dump_view(b->p.dump_path, v, &err) < 0) {
		v->note = xasprintf("host-side dump unreadable: %s", err.msg);
	} else if (!(b->dump_state == 2 && b->dump_ok)) {
		const char *why = b->dump_state == 2 ? b->dump_why
				  : b->dump_state == 1 ? "the machine exited before the dump was written"
				  : b->res->panicked	 ? "the machine exited before the dump was asked for"
							 : "no panic event before the boot ended";

		v->note = xasprintf("no dump: %s", why);
		return;
	}
	v->file = xstrdup(b->p.dump_rel);
}

/* A crash boot of a profile with dump artifacts: each source's own view (boot.h). */
static void record_views(struct boot *b)
{
	if (b->res->outcome != OUTCOME_CRASH ||
	    !(b->p.guest->artifacts & (GUEST_ARTIFACT_DUMPS | GUEST_ARTIFACT_HOST_DUMP)))
		return;
	view_serial(b);
	view_event(b);
	if (b->p.dump_path)
		view_host_dump(b);
}

static void boot_set_done(struct boot *b)
{
	if (b->done)
		return;
	b->done = 1;
	if (b->t_dump_wait)
		loop_timer_remove(b->p.loop, b->t_dump_wait);
	b->t_dump_wait = 0;
	record_views(b);
	if (b->t_id)
		loop_timer_remove(b->p.loop, b->t_id);
	b->t_id = 0;
	if (b->id_upd)
		loop_fd_remove(b->p.loop, b->id_upd);
	b->id_upd = 0;
	b->t_done = loop_timer_add(b->p.loop, now_ms(), on_done_timer, b);
}

/* After anything happened: the verdict rules, then the timer moved to the next deadline. */
static void boot_settle(struct boot *b)
{
	if (b->done)
		return;
	if (!b->judged && b->power_off_due) {
		/* Not a quit: what the guest had not written is lost, as in a power cut. */
		char *msg = xasprintf("powered off by the harness at '%s'", b->p.power_off_at);

		machine_power_cut(b->m);
		b->res->powered_off = 1;
		finish_tail(b, OUTCOME_INFRA, msg);
		free(msg);
	}
	judge(b);
	probe_check(b);
	check_timers(b);
	if (!b->judged && bp_interrupted)
		finish_interrupted(b);
	if (b->done)
		return;
	if (b->upd && b->id_upd)
		loop_fd_events(b->p.loop, b->id_upd,
			       b->judged || update_fd(b->upd) < 0
				       ? 0
				       : POLLIN | (update_want_write(b->upd) ? POLLOUT : 0));
	loop_timer_move(b->p.loop, b->t_id, boot_deadline(b));
}

static void on_timer(struct loop *l, void *ctx)
{
	boot_settle(ctx);
}

static void on_update(struct loop *l, int fd, short revents, void *ctx)
{
	struct boot *b = ctx;

	if (!b->judged)
		serve_update(b, revents);
	boot_settle(b);
}

void boot_start(struct boot *b, const struct boot_params *p, struct boot_result *res)
{
	static const struct machine_cb cb = {on_console, on_marker, on_event, NULL};
	struct machine_cb mine = cb;
	struct bp_error err;
	int r;

	memset(b, 0, sizeof(*b));
	b->p = *p;
	b->res = res;
	b->m = p->machine;
	b->det = p->guest->detector_new(); /* the guest profile's detector */
	console_init(&b->con, on_line, b);
	console_init(&b->marker_con, on_marker_line, b);
	b->t_start_ms = now_ms();
	b->t_id = loop_timer_add(p->loop, INT64_MAX, on_timer, b);
	b->logfd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (b->logfd < 0) {
		error_set(&err, "cannot create '%s': %s", p->log_path, strerror(errno));
		goto infra;
	}
	mine.ctx = b;
	r = p->restore ? machine_restore(b->m, p->loop, &mine, p->restore, &err)
		       : machine_start(b->m, p->loop, &mine, &err);
	if (r == 0)
		return;
infra:
	/* Nothing runs: no EXITED is coming. */
	b->exited = 1;
	error_prefix(&err, "cannot start %s", b->m->name);
	finish(b, OUTCOME_INFRA, err.msg, NULL);
}

void boot_release(struct boot *b)
{
	if (b->p.loop) {
		if (b->t_id)
			loop_timer_remove(b->p.loop, b->t_id);
		if (b->t_done)
			loop_timer_remove(b->p.loop, b->t_done);
		if (b->id_upd)
			loop_fd_remove(b->p.loop, b->id_upd);
	}
	b->t_id = b->t_done = b->id_upd = 0;
	free(b->probe);
	b->probe = NULL;
	free(b->watchdog);
	b->watchdog = NULL;
	free(b->dump_why);
	b->dump_why = NULL;
	if (b->p.loop && b->t_dump_wait)
		loop_timer_remove(b->p.loop, b->t_dump_wait);
	b->t_dump_wait = 0;
	free(b->still_msg);
	b->still_msg = NULL;
	free(b->recovery_line);
	b->recovery_line = NULL;
	machine_release(b->m);
	b->m = NULL;
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

static void run_done(void *ctx, struct boot *b)
{
	loop_stop(b->p.loop);
}

void boot_run(const struct boot_params *p, struct boot_result *res)
{
	struct boot_params q = *p;
	struct boot b;

	q.loop = loop_new();
	q.on_done = run_done;
	boot_start(&b, &q, res);
	while (!boot_done(&b) || b.t_done)
		if (loop_once(q.loop, 1000) < 0)
			break;
	boot_release(&b);
	loop_free(q.loop);
}
