/*
 * t-machine-rules - every verdict rule of boot.h against a fake machine
 * (machine.h) in this process: no QEMU, no guest. Each case is a script of
 * console lines and machine events at times after READY; the fake answers
 * probes, screenshots and stops as its case says. All cases share one
 * event loop, so the test takes as long as its slowest case (~7 s). Cases
 * with a live push get an update channel: a socket pair whose guest end
 * the script writes the agent's lines to.
 */
#define _GNU_SOURCE
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot.h"
#include "loop.h"
#include "machine.h"
#include "tap.h"

enum probe_mode { PROBE_ANSWER, PROBE_SILENT, PROBE_CLOSED, PROBE_FAIL };

struct fstep {
	int at_ms;		      /* after READY */
	const char *console;	      /* bytes, or NULL */
	enum machine_event_kind kind; /* else this event (MACHINE_READY: none) */
	const char *reason;
	int bugcheck; /* a PANIC with code 0x7e and params 1..4 */
	const char *agent; /* a line from the guest's agent on the update channel */
};

struct fake {
	struct machine m;
	struct loop *l;
	const struct fstep *script;
	size_t next;
	int t_script;
	int fail_start;
	enum probe_mode probe;
	int exited, cut, stopped, shots, conts;
	int t_exit;
	int64_t t_ready;
	const char *exit_reason;
	char typed[64]; /* what boot typed on the console */
	int conts_at_typing; /* conts when it typed: a paused guest reads nothing */
	int channel; /* has an update channel */
	int agent_fd; /* the guest's end of it */
};

static void fake_exit_now(struct loop *l, void *ctx)
{
	struct fake *f = ctx;
	struct machine_event ev = {.kind = MACHINE_EXITED, .reason = f->exit_reason, .ok = 1};

	f->t_exit = 0;
	if (f->exited)
		return;
	f->exited = 1;
	loop_timer_remove(l, f->t_script);
	f->m.cb.event(f->m.cb.ctx, &ev);
}

static void fake_exit_soon(struct fake *f, const char *reason)
{
	if (f->t_exit || f->exited)
		return;
	f->exit_reason = reason;
	f->t_exit = loop_timer_add(f->l, now_ms() + 10, fake_exit_now, f);
}

static void fake_emit(struct fake *f, enum machine_event_kind kind, const char *reason)
{
	struct machine_event ev = {.kind = kind, .reason = reason, .ok = 1, .host_ns = now_ns()};

	f->m.cb.event(f->m.cb.ctx, &ev);
}

/* The script's next step, then the timer moved to the one after. */
static void fake_script(struct loop *l, void *ctx)
{
	struct fake *f = ctx;
	const struct fstep *s = &f->script[f->next];

	if (f->next == 0 && !s->console && s->kind == MACHINE_READY && !s->reason) {
		/* step 0 is READY itself */
		f->t_ready = now_ms();
		fake_emit(f, MACHINE_READY, NULL);
	} else if (s->agent) {
		if (write(f->agent_fd, s->agent, strlen(s->agent)) < 0)
			perror("agent write");
	} else if (s->console) {
		f->m.cb.console(f->m.cb.ctx, s->console, strlen(s->console), now_ns());
	} else if (s->bugcheck) {
		struct machine_event ev = {.kind = MACHINE_PANIC,
					   .has_bugcheck = 1,
					   .bugcheck = 0x7e,
					   .param = {1, 2, 3, 4},
					   .host_ns = now_ns()};

		f->m.cb.event(f->m.cb.ctx, &ev);
	} else if (s->kind == MACHINE_EXITED) {
		f->exit_reason = s->reason;
		fake_exit_now(l, f);
		return;
	} else {
		fake_emit(f, s->kind, s->reason);
	}
	if (f->exited)
		return;
	s = &f->script[++f->next];
	if (s->at_ms >= 0)
		loop_timer_move(l, f->t_script, f->t_ready + s->at_ms);
}

static int fake_start(struct machine *m, struct bp_error *err)
{
	struct fake *f = (struct fake *)m;

	if (f->fail_start)
		return error_set(err, "no such backend");
	f->l = m->loop;
	f->t_ready = now_ms();
	f->t_script = loop_timer_add(m->loop, now_ms(), fake_script, f);
	return 0;
}

static int fake_restore(struct machine *m, const void *state, struct bp_error *err)
{
	return fake_start(m, err);
}

static int fake_take_channel(struct machine *m)
{
	struct fake *f = (struct fake *)m;
	int sv[2];

	if (!f->channel ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	f->agent_fd = sv[1];
	return sv[0];
}

static int fake_cont(struct machine *m, struct bp_error *err)
{
	((struct fake *)m)->conts++;
	return 0;
}

static void fake_answer(struct loop *l, void *ctx)
{
	fake_emit(ctx, MACHINE_ANSWERED, NULL);
}

static int fake_probe(struct machine *m, struct bp_error *err)
{
	struct fake *f = (struct fake *)m;

	switch (f->probe) {
	case PROBE_ANSWER:
		loop_timer_add(f->l, now_ms() + 5, fake_answer, f);
		return 0;
	case PROBE_SILENT:
		return 0;
	case PROBE_CLOSED:
		return 1;
	case PROBE_FAIL:
		break;
	}
	return error_set(err, "monitor would block");
}

static void fake_shot_done(struct loop *l, void *ctx)
{
	fake_emit(ctx, MACHINE_SCREENSHOT, NULL);
}

static int fake_screenshot(struct machine *m, const char *png, struct bp_error *err)
{
	struct fake *f = (struct fake *)m;

	f->shots++;
	loop_timer_add(f->l, now_ms() + 5, fake_shot_done, f);
	return 0;
}

static int fake_save(struct machine *m, const char *path, struct bp_error *err)
{
	return error_set(err, "not here");
}

static int fake_console_input(struct machine *m, const char *buf, size_t len,
			      struct bp_error *err)
{
	struct fake *f = (struct fake *)m;
	size_t have = strlen(f->typed);

	if (have + len >= sizeof(f->typed))
		return error_set(err, "the console took %zu of %zu bytes", sizeof(f->typed) - have - 1,
				 len);
	memcpy(f->typed + have, buf, len);
	f->conts_at_typing = f->conts;
	return 0;
}

static void fake_power_cut(struct machine *m)
{
	struct fake *f = (struct fake *)m;

	f->cut++;
	fake_exit_soon(f, "fake killed by signal 9 (Killed)");
}

static void fake_stop(struct machine *m)
{
	struct fake *f = (struct fake *)m;

	f->stopped++;
	fake_exit_soon(f, "fake exited with status 0");
}

static void fake_release(struct machine *m)
{
	struct fake *f = (struct fake *)m;

	if (f->l) {
		loop_timer_remove(f->l, f->t_script);
		loop_timer_remove(f->l, f->t_exit);
	}
}

static const struct machine_ops fake_ops = {
    .start = fake_start,
    .restore = fake_restore,
    .take_channel = fake_take_channel,
    .cont = fake_cont,
    .probe = fake_probe,
    .screenshot = fake_screenshot,
    .save = fake_save,
    .console_input = fake_console_input,
    .power_cut = fake_power_cut,
    .stop = fake_stop,
    .release = fake_release,
};

/* ---- the cases ---- */

#define READY                                                                                      \
	{                                                                                          \
		0, NULL, MACHINE_READY, NULL, 0, NULL                                              \
	}
#define LINE(t, s)                                                                                 \
	{                                                                                          \
		t, s, MACHINE_READY, NULL, 0, NULL                                                 \
	}
#define EVENT(t, k, r)                                                                             \
	{                                                                                          \
		t, NULL, k, r, 0, NULL                                                             \
	}
#define AGENT(t, s)                                                                                \
	{                                                                                          \
		t, NULL, MACHINE_READY, NULL, 0, s                                                 \
	}
#define END                                                                                        \
	{                                                                                          \
		-1, NULL, MACHINE_READY, NULL, 0, NULL                                             \
	}
#define HELLO "[    0.000000] Linux version 6.1.0 (fake)\n"
#define OOPS                                                                                       \
	"[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"         \
	"[    1.000001] Oops: 0000 [#1] SMP\n"                                                     \
	"[    1.000002] RIP: 0010:fake_read+0x10/0x20 [refsensor]\n"                               \
	"[    1.000003] Kernel panic - not syncing: Fatal exception\n"

/* A live push: the file, and the console line the sensor prints once it evaluated one. */
#define PUSHED "C-00000291-00000000-00000032.sys"
#define EVALUATED_RE "refsensor: /proc/refsensor/load#[0-9]+: [0-9]+ instances: "
#define EVALUATED_LINE                                                                             \
	"[    1.500000] refsensor: /proc/refsensor/load#1: 1 instances: 0 match, 0 no match, 1 "  \
	"rejected\n"

struct live {
	int evaluated; /* the sensor declares EVALUATED_RE */
	int settle_ms;
	int unevaluated;    /* expected in the result */
	int min_ms, max_ms; /* the verdict's time after READY, expected (0: any) */
};

struct rule_case {
	const char *name;
	const struct fstep *script;
	enum probe_mode probe;
	int fail_start, restore;
	const char *power_off_at;
	const char *outcome, *title; /* expected; title: a substring */
	/* boot and silence timeouts instead of 2 s and 1 s (a panic's grace is 3 s) */
	int quiet_s;
	/* restore: a pre-mount state, continued by typing this on the console */
	const char *resume;
	struct live live; /* with .settle_ms or .evaluated: a live push */
	struct fake f;
	struct boot b;
	struct boot_params p;
	struct boot_result res;
	char *log;
};

static const struct fstep s_report[] = {READY, LINE(50, HELLO), LINE(100, OOPS), END};
static const struct fstep s_panic[] = {READY, LINE(50, HELLO), EVENT(100, MACHINE_PANIC, NULL),
				       END};
static const struct fstep s_bugcheck[] = {READY, LINE(50, HELLO), {100, NULL, 0, NULL, 1, NULL},
					  END};
static const struct fstep s_watchdog[] = {READY, LINE(50, HELLO),
					  EVENT(100, MACHINE_WATCHDOG, "reset"), END};
static const struct fstep s_dump[] = {READY, LINE(50, HELLO),
				      EVENT(100, MACHINE_CRASH_LOADED, NULL), END};
static const struct fstep s_panic_then_report[] = {
    READY, LINE(50, HELLO), EVENT(100, MACHINE_PANIC, NULL), LINE(300, OOPS), END};
static const struct fstep s_reboot[] = {
    READY, LINE(50, HELLO), EVENT(100, MACHINE_RESET, "guest-reset"),
    EVENT(120, MACHINE_EXITED, "fake exited with status 0"), END};
static const struct fstep s_shutdown[] = {
    READY, LINE(50, HELLO), EVENT(100, MACHINE_SHUTDOWN_GUEST, "guest-shutdown"),
    EVENT(120, MACHINE_EXITED, "fake exited with status 0"), END};
static const struct fstep s_host_quit[] = {
    READY, LINE(50, HELLO), EVENT(100, MACHINE_SHUTDOWN_HOST, "host-signal"),
    EVENT(120, MACHINE_EXITED, "fake exited with status 0"), END};
static const struct fstep s_killed[] = {
    READY, LINE(50, HELLO), EVENT(100, MACHINE_EXITED, "fake killed by signal 9 (Killed)"), END};
static const struct fstep s_clean[] = {READY, LINE(50, HELLO), LINE(100, "bootproof: ready\n"),
				       END};
static const struct fstep s_silent[] = {READY, LINE(50, HELLO), END};
#define AGENT_HELLO AGENT(60, "HELLO proto=1 boot=1 version=1 set=-\n")
#define AGENT_DONE(t) AGENT(t, "DONE push=" PUSHED " loaded=1 persist=1\n")
static const struct fstep s_live_evaluated[] = {
    READY, LINE(50, HELLO), AGENT_HELLO, LINE(70, "bootproof: ready\n"), AGENT_DONE(200),
    LINE(210, EVALUATED_LINE), END};
static const struct fstep s_live_line_first[] = {
    READY, LINE(50, HELLO), AGENT_HELLO, LINE(70, "bootproof: ready\n"),
    LINE(190, EVALUATED_LINE), AGENT_DONE(200), END};
static const struct fstep s_live_no_line[] = {
    READY, LINE(50, HELLO), AGENT_HELLO, LINE(70, "bootproof: ready\n"), AGENT_DONE(200), END};
/* the line comes before HELLO, so before the push was written: not its evaluation */
static const struct fstep s_live_early_line[] = {
    READY, LINE(50, HELLO), LINE(55, EVALUATED_LINE), AGENT_HELLO,
    LINE(70, "bootproof: ready\n"), AGENT_DONE(200), END};
static const struct fstep s_live_crash[] = {
    READY, LINE(50, HELLO), AGENT_HELLO, LINE(70, "bootproof: ready\n"), AGENT_DONE(200),
    LINE(300, OOPS), END};
static const struct fstep s_nothing[] = {READY, END};
static const struct fstep s_start_fail[] = {
    EVENT(0, MACHINE_START_FAILED, "qemu exited during startup"),
    EVENT(10, MACHINE_EXITED, "fake exited with status 1"), END};
static const struct fstep s_cut[] = {READY, LINE(50, HELLO), LINE(100, "fault point 1\n"), END};
static const struct fstep s_warning[] = {
    READY, LINE(50, HELLO),
    LINE(100, "[    1.000000] ------------[ cut here ]------------\n"
	      "[    1.000001] WARNING: CPU: 0 PID: 1 at drivers/fake.c:10 fake_probe+0x10/0x20\n"
	      "[    1.000004] RIP: 0010:fake_probe+0x10/0x20\n"
	      "[    1.000005] Call Trace:\n"
	      "[    1.000006]  <TASK>\n"
	      "[    1.000007]  do_one_initcall+0x10/0x20\n"
	      "[    1.000008]  </TASK>\n"
	      "[    1.000009] ---[ end trace 0000000000000000 ]---\n"),
    END};

static struct rule_case cases[] = {
    {.name = "console report",
     .script = s_report,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "kernel NULL pointer dereference in fake_read"},
    {.name = "panic, no report",
     .script = s_panic,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "guest panicked (pvpanic) with no console report",
     .quiet_s = 5},
    {.name = "bugcheck, no report",
     .script = s_bugcheck,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "bugcheck 0x0000007e (0x1, 0x2, 0x3, 0x4) with no console report",
     .quiet_s = 5},
    {.name = "watchdog, no report",
     .script = s_watchdog,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "guest watchdog fired (reset) with no console report",
     .quiet_s = 5},
    {.name = "crash dump, no report",
     .script = s_dump,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "guest panicked (pvpanic) with no console report",
     .quiet_s = 5},
    {.name = "panic, then its report in the grace",
     .script = s_panic_then_report,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "kernel NULL pointer dereference in fake_read"},
    {.name = "guest reset",
     .script = s_reboot,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "unexpected reboot"},
    {.name = "guest shutdown",
     .script = s_shutdown,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "unexpected shutdown"},
    {.name = "host shutdown",
     .script = s_host_quit,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "infra",
     .title = "fake exited with status 0 without the guest asking"},
    {.name = "killed",
     .script = s_killed,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "infra",
     .title = "fake killed by signal 9 (Killed) without the guest asking"},
    {.name = "marker",
     .script = s_clean,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "clean",
     .title = NULL},
    {.name = "restored: marker seen",
     .script = s_nothing,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 1,
     .power_off_at = NULL,
     .outcome = "clean",
     .title = NULL},
    {.name = "restored before the marker: typed, then the marker",
     .script = s_clean,
     .probe = PROBE_ANSWER,
     .restore = 1,
     .resume = "bootproof.seed=1\n",
     .outcome = "clean",
     .title = NULL},
    {.name = "restored before the marker: no marker",
     .script = s_nothing,
     .probe = PROBE_ANSWER,
     .restore = 1,
     .resume = "bootproof.seed=2\n",
     .outcome = "hang",
     .title = "hang: no boot-complete marker within 2 s"},
    {.name = "silence, answered",
     .script = s_silent,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "hang",
     .title = "hang: no console output for 1 s"},
    {.name = "no marker, answered",
     .script = s_nothing,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "hang",
     .title = "hang: no boot-complete marker within 2 s"},
    {.name = "silence, monitor closed",
     .script = s_silent,
     .probe = PROBE_CLOSED,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "hang",
     .title = "hang: no console output"},
    {.name = "silence, no answer",
     .script = s_silent,
     .probe = PROBE_SILENT,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "infra",
     .title = "fake stopped answering FMP (no reply within 3000 ms; at hang: no console output"},
    {.name = "silence, probe not sent",
     .script = s_silent,
     .probe = PROBE_FAIL,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "infra",
     .title = "fake stopped answering FMP (monitor would block; at hang"},
    {.name = "start refused",
     .script = s_nothing,
     .probe = PROBE_ANSWER,
     .fail_start = 1,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "infra",
     .title = "cannot start fake: no such backend"},
    {.name = "start failed",
     .script = s_start_fail,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "infra",
     .title = "cannot start fake: qemu exited during startup"},
    {.name = "power cut",
     .script = s_cut,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = "fault point",
     .outcome = "infra",
     .title = "powered off by the harness at 'fault point'"},
    {.name = "report ended, then quiet",
     .script = s_warning,
     .probe = PROBE_ANSWER,
     .fail_start = 0,
     .restore = 0,
     .power_off_at = NULL,
     .outcome = "crash",
     .title = "WARNING in fake_probe",
     30},
    /* a live push: clean as soon as the evaluated line came, else after settle_ms */
    {.name = "live push, evaluated line after the answer",
     .script = s_live_evaluated,
     .probe = PROBE_ANSWER,
     .outcome = "clean",
     .quiet_s = 10,
     .live = {.evaluated = 1, .settle_ms = 8000, .max_ms = 5000}},
    {.name = "live push, evaluated line before the answer",
     .script = s_live_line_first,
     .probe = PROBE_ANSWER,
     .outcome = "clean",
     .quiet_s = 10,
     .live = {.evaluated = 1, .settle_ms = 8000, .min_ms = 200, .max_ms = 5000}},
    {.name = "live push, evaluated line never comes",
     .script = s_live_no_line,
     .probe = PROBE_ANSWER,
     .outcome = "clean",
     .quiet_s = 10,
     .live = {.evaluated = 1, .settle_ms = 1500, .unevaluated = 1, .min_ms = 1700}},
    {.name = "live push, a line before the push was written",
     .script = s_live_early_line,
     .probe = PROBE_ANSWER,
     .outcome = "clean",
     .quiet_s = 10,
     .live = {.evaluated = 1, .settle_ms = 1500, .unevaluated = 1, .min_ms = 1700}},
    {.name = "live push, no evaluated line declared",
     .script = s_live_evaluated,
     .probe = PROBE_ANSWER,
     .outcome = "clean",
     .quiet_s = 10,
     .live = {.settle_ms = 1500, .min_ms = 1700}},
    {.name = "live push, crash after the answer",
     .script = s_live_crash,
     .probe = PROBE_ANSWER,
     .outcome = "crash",
     .title = "kernel NULL pointer dereference in fake_read",
     .quiet_s = 3, /* the report is judged at the silence deadline, as in "console report" */
     .live = {.evaluated = 1, .settle_ms = 8000}},
};

static regex_t evaluated_re;
static struct content_file pushed_file = {NULL, PUSHED};
static const struct content_set pushed = {.name = "bad-291", .files = &pushed_file, .nr_files = 1};

static char dir[] = "/tmp/bootproof-t-rules.XXXXXX";
static int pending;

static void case_done(void *ctx, struct boot *b)
{
	pending--;
}

static void case_start(struct rule_case *c, struct loop *l, int i)
{
	c->f = (struct fake){.m = {&fake_ops, "fake", "FMP", NULL, {0}},
			     .script = c->script,
			     .probe = c->probe,
			     .fail_start = c->fail_start,
			     .channel = c->live.settle_ms || c->live.evaluated,
			     .agent_fd = -1};
	c->log = xasprintf("%s/%d.log", dir, i);
	c->p = (struct boot_params){
	    .machine = &c->f.m,
	    .guest = &guest_profile_linux,
	    .loop = l,
	    .on_done = case_done,
	    .marker = "bootproof: ready",
	    .boot_timeout_ms = c->quiet_s ? c->quiet_s * 1000 : 2000,
	    .silence_timeout_ms = c->quiet_s ? c->quiet_s * 1000 : 1000,
	    .log_path = c->log,
	    .restore = c->restore ? (const void *)"state" : NULL,
	    .resume_input = c->resume,
	    .power_off_at = c->power_off_at,
	    .screenshot_path = "/nonexistent/shot.png",
	    .screenshot_rel = "shot.png",
	};
	if (c->f.channel) {
		c->p.push = &pushed;
		c->p.evaluated = c->live.evaluated ? &evaluated_re : NULL;
		c->p.settle_ms = c->live.settle_ms;
	}
	pending++;
	boot_start(&c->b, &c->p, &c->res);
}

/* The live push's figures: pushed, what was missing, when the verdict came. */
static void live_check(struct rule_case *c)
{
	char name[160];
	/* boot_start() to the verdict: READY comes at once from the fake */
	long long at_ms = (long long)(c->res.duration_s * 1000);

	snprintf(name, sizeof(name), "%s: the push was taken", c->name);
	tap_ok(c->res.live_pushed && !c->res.update_error, name);
	snprintf(name, sizeof(name), "%s: %d file(s) without their evaluated line", c->name,
		 c->live.unevaluated);
	tap_is_int(c->res.unevaluated, c->live.unevaluated, name);
	if (c->live.min_ms) {
		snprintf(name, sizeof(name), "%s: judged no sooner than %d ms (got %lld)", c->name,
			 c->live.min_ms, at_ms);
		tap_ok(at_ms >= c->live.min_ms, name);
	}
	if (c->live.max_ms) {
		snprintf(name, sizeof(name), "%s: judged within %d ms, no fixed wait (got %lld)",
			 c->name, c->live.max_ms, at_ms);
		tap_ok(at_ms < c->live.max_ms, name);
	}
}

static void case_check(struct rule_case *c)
{
	char name[160];
	int crash = !strcmp(c->outcome, "crash");

	snprintf(name, sizeof(name), "%s: %s", c->name, c->outcome);
	tap_is_str(outcome_name(c->res.outcome), c->outcome, name);
	if (c->title) {
		snprintf(name, sizeof(name), "%s: the title says so", c->name);
		tap_like(c->res.title, c->title, name);
	}
	snprintf(name, sizeof(name), "%s: the machine exited, the boot is done", c->name);
	tap_ok(boot_done(&c->b) && (c->f.exited || c->fail_start), name);
	if (crash && c->script != s_reboot && c->script != s_shutdown) {
		snprintf(name, sizeof(name), "%s: a crash's screenshot was asked for, then a stop",
			 c->name);
		tap_ok(c->f.shots == 1 && c->res.screenshot && (c->f.stopped || c->f.exited), name);
	}
	if (!strcmp(c->name, "silence, no answer") || !strcmp(c->name, "power cut")) {
		snprintf(name, sizeof(name), "%s: the power was cut", c->name);
		tap_ok(c->f.cut >= 1, name);
	}
	if (c->restore && !c->resume) {
		snprintf(name, sizeof(name), "%s: recorded as restored, marker seen", c->name);
		tap_ok(c->res.restored && c->res.marker_seen, name);
	}
	if (c->resume) {
		snprintf(name, sizeof(name), "%s: recorded as restored", c->name);
		tap_ok(c->res.restored, name);
		snprintf(name, sizeof(name), "%s: the resume line typed once, after cont", c->name);
		tap_ok(!strcmp(c->f.typed, c->resume) && c->f.conts_at_typing >= 1, name);
	}
	if (c->f.channel)
		live_check(c);
}

static void case_release(struct rule_case *c)
{
	/* The fake is static storage: boot_release calls its release op only. */
	boot_release(&c->b);
	if (c->f.agent_fd >= 0)
		close(c->f.agent_fd);
	free(c->res.title);
	free(c->res.excerpt);
	free(c->res.shutdown_reason);
	free(c->res.screenshot);
	free(c->res.update_error);
	free(c->res.crash_kind);
	free(c->res.crash_func);
	free(c->res.crash_module);
	free(c->log);
}

static const struct rule_case *case_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	abort();
}

int main(void)
{
	struct loop *l = loop_new();
	struct bp_error err;
	int64_t end;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	pushed_file.path = xasprintf("%s/%s", dir, PUSHED);
	if (write_file_atomic(pushed_file.path, "content", 7, &err) < 0 ||
	    regcomp(&evaluated_re, EVALUATED_RE, REG_EXTENDED | REG_NOSUB)) {
		perror("setup");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		case_start(&cases[i], l, (int)i);
	end = now_ms() + 30000;
	while (pending > 0 && now_ms() < end)
		if (loop_once(l, 1000) < 0)
			break;
	tap_is_int(pending, 0, "every case ends within 30 s");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		case_check(&cases[i]);
	tap_ok(case_named("report ended, then quiet")->res.duration_s < 5,
	       "a report that ended is judged ~2 s after, not at the silence deadline");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		case_release(&cases[i]);
	regfree(&evaluated_re);
	free(pushed_file.path);
	loop_free(l);
	remove_tree(dir);
	return tap_done();
}
