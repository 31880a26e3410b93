/*
 * t-boot - the boot state machine against a fake QEMU: this binary itself,
 * run as $BOOTPROOF_QEMU with $FAKEQEMU set. The fake connects to the
 * harness's sockets like QEMU does, answers QMP (greeting, {"return": {}}
 * to everything, a status for query-status, exit on quit), writes
 * $FAKEQEMU_CONSOLE to the serial socket once "cont" comes, and with
 * FAKEQEMU=stop then stops itself (SIGSTOP), as a wedged host process
 * would. No guest, no timing tighter than seconds.
 *
 *   - a guest silent under a responsive QEMU is a hang;
 *   - a SIGSTOPped QEMU is infra ("qemu stopped answering QMP"), judged
 *     within its deadline, and while it is wound down the other boots of
 *     the same event loop are not held up (a 20 ms heartbeat timer in
 *     the loop measures the longest stall);
 *   - a non-fatal report that is the guest's last output is judged about
 *     2 s after it ends, not at the silence deadline;
 *   - the machine's crash triggers (machine.h: send_keys, inject_nmi)
 *     reach QMP as send-key of qcodes and inject-nmi, each answered by a
 *     SENT event, a refusal (FAKEQEMU=nonmi) with QEMU's words; before
 *     READY they are refused at once. $FAKEQEMU_LOG, if set, gets every
 *     QMP line the fake reads.
 *   - machine_dump(): QEMU's dump-guest-memory with win-dmp, detached, and
 *     its DUMP_COMPLETED: written (FAKEQEMU_DUMP=ok writes the file), or
 *     refused as QEMU refuses a guest without a VMCOREINFO note (=refuse),
 *     or an error reply (=error); a backend without the op says so;
 *   - a Windows boot with a host-side dump (FAKEQEMU_PANIC: GUEST_PANICKED
 *     after the console's bugcheck): the dump is asked for at the panic,
 *     its refusal is the dump's view, and the serial and event views are
 *     recorded beside it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "boot.h"
#include "loop.h"
#include "machine-qemu.h"
#include "tap.h"

/* ---- the fake QEMU ---- */

static int fake_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		exit(2);
	return fd;
}

/* "socket,id=ID,path=P" (',' doubled inside P) -> fd connected to P, by id. */
static void fake_chardev(const char *spec, int *qmp, int *ser)
{
	const char *p = strstr(spec, ",path=");
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t n = 0;
	int fd;

	if (!p)
		return;
	for (p += 6; *p && n < sizeof(path) - 1; p++) {
		if (*p == ',' && p[1] == ',')
			p++;
		else if (*p == ',')
			break;
		path[n++] = *p;
	}
	path[n] = '\0';
	fd = fake_connect(path);
	if (strstr(spec, "id=qmp,"))
		*qmp = fd;
	else if (strstr(spec, "id=ser0,"))
		*ser = fd;
	/* the update port stays connected and silent */
}

static void fake_write(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			exit(3);
		s += n;
		len -= (size_t)n;
	}
}

static void fake_console(int ser)
{
	struct strbuf sb = STRBUF_INIT;
	const char *file = getenv("FAKEQEMU_CONSOLE");

	if (file && read_file(file, &sb, NULL) == 0)
		fake_write(ser, sb.buf);
	strbuf_release(&sb);
	if (!strcmp(getenv("FAKEQEMU"), "stop"))
		raise(SIGSTOP);
}

/*
 * dump-guest-memory as FAKEQEMU_DUMP says: its reply (set into reply) and
 * the DUMP_COMPLETED event to write after it (NULL: none).
 */
static const char *fake_dump(json_t *args, json_t *reply)
{
	const char *mode = getenv("FAKEQEMU_DUMP");
	const char *proto = json_string_value(json_object_get(args, "protocol"));
	const char *fmt = json_string_value(json_object_get(args, "format"));

	if (!mode || !strcmp(mode, "error") || !fmt || strcmp(fmt, "win-dmp") ||
	    !json_is_true(json_object_get(args, "detach")) || !proto || strncmp(proto, "file:", 5)) {
		json_object_set_new(reply, "error", json_pack("{s:s, s:s}", "class", "GenericError",
							      "desc", "dump: fake refuses"));
		return NULL;
	}
	json_object_set_new(reply, "return", json_object());
	if (!strcmp(mode, "refuse")) {
		fclose(fopen(proto + 5, "w")); /* QEMU opens the file before it fails */
		return "{\"event\": \"DUMP_COMPLETED\", \"data\": {\"result\": {\"status\": "
		       "\"failed\", \"completed\": 0, \"total\": 0}, \"error\": \"win-dump: "
		       "invalid vmcoreinfo note size\"}}\n";
	}
	{
		FILE *f = fopen(proto + 5, "w");

		fputs("PAGEDU64", f);
		fclose(f);
	}
	return "{\"event\": \"DUMP_COMPLETED\", \"data\": {\"result\": {\"status\": "
	       "\"completed\", \"completed\": 8, \"total\": 8}}}\n";
}

/* One QMP command line: answered; returns 1 after quit. */
static int fake_command(int qmp, int ser, const char *line)
{
	json_t *msg = json_loads(line, 0, NULL), *id = json_object_get(msg, "id");
	const char *cmd = json_string_value(json_object_get(msg, "execute"));
	json_t *reply = json_object();
	const char *after = NULL;
	char *text;
	int quit = cmd && !strcmp(cmd, "quit");

	const char *log = getenv("FAKEQEMU_LOG");

	if (log) {
		FILE *f = fopen(log, "a");

		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
	}
	if (cmd && !strcmp(cmd, "inject-nmi") && !strcmp(getenv("FAKEQEMU"), "nonmi"))
		json_object_set_new(reply, "error", json_pack("{s:s, s:s}", "class", "GenericError",
							      "desc", "NMI not supported"));
	if (cmd && !strcmp(cmd, "dump-guest-memory"))
		after = fake_dump(json_object_get(msg, "arguments"), reply);
	else if (cmd && !strcmp(cmd, "query-status"))
		json_object_set_new(reply, "return", json_pack("{s:s, s:b}", "status", "running",
							       "running", 1));
	else
		json_object_set_new(reply, "return", json_object());
	if (id)
		json_object_set(reply, "id", id);
	text = json_dumps(reply, JSON_COMPACT);
	fake_write(qmp, text);
	fake_write(qmp, "\n");
	if (after) {
		/* The guest stays paused while QEMU writes (FAKEQEMU_PANIC=first: its console after). */
		if (getenv("FAKEQEMU_DUMP_S"))
			sleep((unsigned)atoi(getenv("FAKEQEMU_DUMP_S")));
		fake_write(qmp, after);
		if (getenv("FAKEQEMU_PANIC") && !strcmp(getenv("FAKEQEMU_PANIC"), "first"))
			fake_console(ser);
	}
	if (cmd && !strcmp(cmd, "cont")) {
		const char *panic = getenv("FAKEQEMU_PANIC");

		if (!panic || strcmp(panic, "first"))
			fake_console(ser);
		if (panic)
			fake_write(qmp, "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": "
					"\"run\"}}\n");
	}
	free(text);
	json_decref(reply);
	json_decref(msg);
	return quit;
}

static int fake_qemu(int argc, char **argv)
{
	struct strbuf in = STRBUF_INIT;
	int qmp = -1, ser = -1;
	char buf[4096];

	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-chardev"))
			fake_chardev(argv[++i], &qmp, &ser);
	if (qmp < 0 || ser < 0)
		return 2;
	fake_write(qmp, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
			"\"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\n");
	for (;;) {
		ssize_t n = read(qmp, buf, sizeof(buf));
		char *nl;

		if (n <= 0)
			return 0;
		strbuf_add(&in, buf, (size_t)n);
		while ((nl = strchr(in.buf, '\n'))) {
			*nl = '\0';
			if (fake_command(qmp, ser, in.buf))
				return 0;
			strbuf_remove_prefix(&in, (size_t)(nl - in.buf) + 1);
		}
	}
}

/* ---- the tests ---- */

static char dir[] = "/tmp/bootproof-t-boot.XXXXXX";

struct one {
	struct boot b;
	struct boot_params p;
	struct vm_config vm;
	struct boot_result res;
	char *run_dir, *log, *console;
};

static struct loop *loop;
static int64_t max_stall_ms; /* the heartbeat's worst lateness */

static void one_start_guest(struct one *o, const char *name, const char *mode,
			    const char *console, int silence_s, const struct guest_profile *guest,
			    const char *dump_path)
{
	char *run_dir = xasprintf("%s/%s", dir, name), *con = xasprintf("%s/%s.console", dir, name);
	FILE *f;

	mkdir_p(run_dir, NULL);
	f = fopen(con, "w");
	fputs(console, f);
	fclose(f);
	memset(o, 0, sizeof(*o));
	o->run_dir = run_dir;
	o->console = con;
	o->log = xasprintf("%s/%s.log", dir, name);
	o->vm = (struct vm_config){.guest = guest, .accel = "tcg", .kernel = "k", .initrd = "i", .append = "a",
				  .disk = "d", .memory_mib = 64, .run_dir = run_dir};
	o->p = (struct boot_params){
		.machine = machine_qemu_new(&o->vm),
		.guest = guest,
		.loop = loop,
		.marker = "never printed",
		.boot_timeout_ms = 60000,
		.silence_timeout_ms = silence_s * 1000,
		.log_path = o->log,
		.dump_path = dump_path,
		.dump_rel = dump_path ? "win/boot-1.dmp" : NULL,
	};
	/* The fake reads its mode and console when it starts (boot_start spawns it). */
	setenv("FAKEQEMU", mode, 1);
	setenv("FAKEQEMU_CONSOLE", con, 1);
	boot_start(&o->b, &o->p, &o->res);
}

static void one_start(struct one *o, const char *name, const char *mode, const char *console,
		      int silence_s)
{
	one_start_guest(o, name, mode, console, silence_s, &guest_profile_linux, NULL);
}

static void one_release(struct one *o)
{
	boot_release(&o->b);
	free(o->res.title);
	free(o->res.excerpt);
	free(o->res.shutdown_reason);
	free(o->res.screenshot);
	free(o->res.update_error);
	free(o->run_dir);
	free(o->log);
	free(o->console);
}

#define HEARTBEAT_MS 20

static void heartbeat(struct loop *l, void *ctx)
{
	int *id = ctx;
	static int64_t due;
	int64_t now = now_ms();

	if (due && now - due > max_stall_ms)
		max_stall_ms = now - due;
	due = now + HEARTBEAT_MS;
	loop_timer_move(l, *id, due);
}

/* Drive boots in one shared event loop, as run.c does, until all are done (bounded). */
static void run_all(struct one **v, int n, int limit_s)
{
	int64_t end = now_ms() + limit_s * 1000;
	static int hb;

	hb = loop_timer_add(loop, now_ms(), heartbeat, &hb);
	while (now_ms() < end) {
		int busy = 0;

		for (int i = 0; i < n; i++)
			busy += !boot_done(&v[i]->b);
		if (!busy)
			break;
		if (loop_once(loop, 1000) < 0)
			break;
	}
	loop_timer_remove(loop, hb);
}

#define HELLO "[    0.000000] Linux version 6.1.0 (fake)\n[    0.100000] fake: hello\n"

/*
 * All boots share one poll loop, as in a -j run, so the test takes as long
 * as its slowest boot: the checks below read each boot's result afterwards.
 */
static struct one hang, stopped, other, warning;

static void check_silent_guest_is_a_hang(void)
{
	struct one *a = &hang;

	tap_ok(boot_done(&a->b), "silent guest: the boot ends");
	tap_is_str(outcome_name(a->res.outcome), "hang", "silent guest, responsive qemu: hang");
	tap_is_str(a->res.title, "hang: no console output for 2 s", "the hang names its deadline");
	tap_ok(a->res.duration_s >= 2 && a->res.duration_s < 10, "judged at the silence deadline");
}

static void check_stopped_qemu_is_infra(void)
{
	struct one *a = &stopped, *c = &other;
	char msg[128];

	tap_ok(boot_done(&a->b) && boot_done(&c->b), "stopped qemu: both boots end");
	tap_is_str(outcome_name(a->res.outcome), "infra", "a SIGSTOPped qemu: infra, not hang");
	tap_like(a->res.title, "qemu stopped answering QMP", "the title says qemu stopped answering");
	tap_like(a->res.title, "hang: no console output for 2 s", "and at which deadline");
	snprintf(msg, sizeof(msg), "judged within deadline + probe (%.1f s)", a->res.duration_s);
	tap_ok(a->res.duration_s >= 2 && a->res.duration_s < 2 + 3 + 5, msg);
	tap_is_str(outcome_name(c->res.outcome), "hang", "the other boot keeps its own verdict");
	snprintf(msg, sizeof(msg), "longest stall of the shared loop: %lld ms", (long long)max_stall_ms);
	tap_diag(msg);
	/* A blocking quit or kill wait would stall it for seconds. 1 s leaves room for load. */
	tap_ok(max_stall_ms < 1000, "the stopped qemu never holds the shared loop 1 s");
}

static const char warning_console[] =
		HELLO "[    1.000000] ------------[ cut here ]------------\n"
		      "[    1.000001] WARNING: CPU: 0 PID: 1 at drivers/fake.c:10 fake_probe+0x10/0x20\n"
		      "[    1.000002] Modules linked in: refsensor\n"
		      "[    1.000003] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1\n"
		      "[    1.000004] RIP: 0010:fake_probe+0x10/0x20\n"
		      "[    1.000005] Call Trace:\n"
		      "[    1.000006]  <TASK>\n"
		      "[    1.000007]  do_one_initcall+0x10/0x20\n"
		      "[    1.000008]  </TASK>\n"
		      "[    1.000009] ---[ end trace 0000000000000000 ]---\n";

static void check_report_end_then_quiet(void)
{
	struct one *a = &warning;
	char msg[128];

	tap_is_str(outcome_name(a->res.outcome), "crash", "a WARNING as the last output: crash");
	tap_is_str(a->res.title, "WARNING in fake_probe", "with its title");
	snprintf(msg, sizeof(msg), "judged ~2 s after its end, not at the 30 s silence deadline (%.1f s)",
		 a->res.duration_s);
	tap_ok(a->res.duration_s < 10, msg);
}

/* The triggers through machine-qemu against the fake: READY, both sent, SENT twice, stop. */
struct trig {
	struct machine *m;
	int sent_ok, sent_failed, exited, early;
	char reason[128];
	struct bp_error err;
};

static void trig_console(void *ctx, const char *buf, size_t len, int64_t host_ns)
{
}

static void trig_event(void *ctx, const struct machine_event *ev)
{
	static const char *const chord[] = {"ctrl_r", "scroll_lock"};
	struct trig *t = ctx;

	if (ev->kind == MACHINE_READY) {
		if (machine_send_keys(t->m, chord, 2, &t->err) < 0 ||
		    machine_inject_nmi(t->m, &t->err) < 0)
			machine_stop(t->m);
	} else if (ev->kind == MACHINE_SENT) {
		if (ev->ok) {
			t->sent_ok++;
		} else {
			t->sent_failed++;
			snprintf(t->reason, sizeof(t->reason), "%s", ev->reason);
		}
		if (t->sent_ok + t->sent_failed == 2)
			machine_stop(t->m);
	} else if (ev->kind == MACHINE_EXITED || ev->kind == MACHINE_START_FAILED) {
		t->exited = 1;
	}
}

/* ---- the host-side dump ---- */

struct mach {
	struct machine *m;
	struct vm_config vm;
	const char *path;
	int dumped, ok, exited;
	char why[sizeof(((struct bp_error *)0)->msg)];
};

static void mach_event(void *ctx, const struct machine_event *ev)
{
	struct mach *t = ctx;
	struct bp_error err;

	if (ev->kind == MACHINE_READY && machine_dump(t->m, t->path, &err) < 0) {
		t->dumped = -1;
		snprintf(t->why, sizeof(t->why), "%s", err.msg);
		machine_stop(t->m);
	} else if (ev->kind == MACHINE_DUMPED) {
		t->dumped++;
		t->ok = ev->ok;
		snprintf(t->why, sizeof(t->why), "%s", ev->reason ? ev->reason : "");
		machine_stop(t->m);
	} else if (ev->kind == MACHINE_EXITED) {
		t->exited = 1;
	}
}

static void check_crash_triggers(void)
{
	static const char *const chord[] = {"ctrl_r"};
	char *run_dir = xasprintf("%s/trig", dir), *log = xasprintf("%s/trig.qmp", dir);
	struct vm_config vm = {.guest = &guest_profile_linux, .accel = "tcg", .kernel = "k",
			       .initrd = "i", .append = "a", .disk = "d", .memory_mib = 64,
			       .run_dir = run_dir};
	struct machine_cb cb = {trig_console, NULL, trig_event, NULL};
	struct trig t = {.err = {""}};
	struct strbuf sb = STRBUF_INIT;
	int64_t end = now_ms() + 20000;

	mkdir_p(run_dir, NULL);
	setenv("FAKEQEMU", "nonmi", 1);
	setenv("FAKEQEMU_LOG", log, 1);
	t.m = machine_qemu_new(&vm);
	cb.ctx = &t;
	tap_is_int(machine_start(t.m, loop, &cb, &t.err), 0, "triggers: the machine starts");
	tap_is_int(machine_send_keys(t.m, chord, 1, &t.err), -1, "triggers: no keys before READY");
	tap_like(t.err.msg, "not running", "triggers: says the machine is not running");
	t.err.msg[0] = '\0';
	while (!t.exited && now_ms() < end)
		if (loop_once(loop, 1000) < 0)
			break;
	tap_ok(t.exited, "triggers: the machine exits once both are answered");
	tap_is_str(t.err.msg, "", "triggers: both requests made");
	tap_is_int(t.sent_ok, 1, "triggers: send-key answered ok (SENT)");
	tap_is_int(t.sent_failed, 1, "triggers: inject-nmi refused (SENT, not ok)");
	tap_like(t.reason, "NMI not supported", "triggers: the refusal in QEMU's words");
	read_file(log, &sb, NULL);
	tap_like(sb.buf ? sb.buf : "",
		 "\"execute\":\"send-key\",\"arguments\":{\"keys\":[{\"type\":\"qcode\","
		 "\"data\":\"ctrl_r\"},{\"type\":\"qcode\",\"data\":\"scroll_lock\"}]}",
		 "triggers: send-key carries the qcodes, in order");
	tap_like(sb.buf ? sb.buf : "", "\"execute\":\"inject-nmi\"", "triggers: inject-nmi sent");
	machine_release(t.m);
	unsetenv("FAKEQEMU_LOG");
	strbuf_release(&sb);
	free(run_dir);
	free(log);
}

/* A machine of the fake QEMU in dump mode `mode`, asked for a dump once READY. */
static void mach_run(struct mach *t, const char *mode)
{
	struct machine_cb cb = {NULL, NULL, mach_event, t};
	char *run_dir = xasprintf("%s/dump-%s", dir, mode);
	struct bp_error err;
	int64_t end = now_ms() + 20000;

	mkdir_p(run_dir, NULL);
	memset(t, 0, sizeof(*t));
	t->path = xasprintf("%s/boot-1.dmp", run_dir);
	t->vm = (struct vm_config){.guest = &guest_profile_windows, .accel = "tcg", .disk = "d",
				   .memory_mib = 64, .run_dir = run_dir};
	setenv("FAKEQEMU", "run", 1);
	setenv("FAKEQEMU_DUMP", mode, 1);
	t->m = machine_qemu_new(&t->vm);
	if (machine_start(t->m, loop, &cb, &err) < 0)
		tap_diag(err.msg);
	while (!t->exited && now_ms() < end)
		if (loop_once(loop, 1000) < 0)
			break;
	machine_release(t->m);
	unsetenv("FAKEQEMU_DUMP");
	free(run_dir);
}

static void check_machine_dump(void)
{
	struct machine_ops none = {0};
	struct machine bare = {.ops = &none};
	struct bp_error err;
	struct mach t;

	mach_run(&t, "ok");
	tap_ok(t.dumped == 1 && t.ok, "dump: dump-guest-memory win-dmp, detached, then "
				      "DUMP_COMPLETED: DUMPED ok");
	tap_ok(access(t.path, F_OK) == 0, "dump: the file is where it was asked for");
	tap_ok(t.exited, "dump: then the machine stops");
	free((char *)t.path);
	mach_run(&t, "refuse");
	tap_ok(t.dumped == 1 && !t.ok, "dump: no VMCOREINFO note: DUMPED not ok");
	tap_is_str(t.why, "win-dump: invalid vmcoreinfo note size", "dump: with QEMU's own reason");
	free((char *)t.path);
	mach_run(&t, "error");
	tap_ok(t.dumped == 1 && !t.ok, "dump: an error reply: DUMPED not ok");
	tap_like(t.why, "dump: fake refuses", "dump: with the reply's reason");
	free((char *)t.path);
	tap_is_int(machine_dump(&bare, "/nonexistent", &err), -1,
		   "dump: a backend without the op cannot");
	tap_is_str(err.msg, "not supported by this backend", "dump: and says so");
}

/* A Windows bugcheck on EMS, as the stand-in guest prints it (tests/data/windows). */
static const char win_ems[] =
    "Computer is booting, SAC started and initialized.\r\n!SAC>\r\n"
    "<INSTANCE CLASSNAME=\"BLUESCREEN\">\r\n"
    "<PROPERTY NAME=\"STOPCODE\" TYPE=\"string\"><VALUE>\"0x50\"</VALUE></PROPERTY>"
    "<machine-info>\r\n</machine-info>\r\n</INSTANCE>\r\n!SAC>\r\n"
    "Your PC ran into a problem and needs to restart.\r\n\r\n"
    "PAGE_FAULT_IN_NONPAGED_AREA\r\n\r\nREFSENSOR.SYS\r\n\r\n0xFFFF840500000074\r\n"
    "0x0\r\n0xFFFFF8048B58334C\r\n0x2\r\n\r\n100% complete\r\n";

/* A Windows boot whose bugcheck's console report comes with GUEST_PANICKED (pvpanic). */
static void check_boot_dump_views(void)
{
	struct one o;
	struct one *v[] = {&o};
	char *dmp = xasprintf("%s/win/boot-1.dmp", dir);
	const struct source_view *sv;

	setenv("FAKEQEMU_PANIC", "1", 1);
	setenv("FAKEQEMU_DUMP", "refuse", 1);
	one_start_guest(&o, "win", "run", win_ems, 30, &guest_profile_windows, dmp);
	unsetenv("FAKEQEMU_PANIC");
	unsetenv("FAKEQEMU_DUMP");
	run_all(v, 1, 40);
	tap_is_str(outcome_name(o.res.outcome), "crash", "views: the Windows boot is a crash");
	tap_is_str(o.res.title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys",
		   "views: its title is the console's");
	tap_is_int((long long)o.res.nr_views, 3, "views: serial, event, host-side dump");
	if (o.res.nr_views == 3) {
		sv = &o.res.views[0];
		tap_ok(!strcmp(sv->source, SOURCE_SERIAL) && sv->has_code && sv->code == 0x50 &&
			   sv->nparams == 4 && sv->param[2] == 0xFFFFF8048B58334Cull &&
			   sv->driver && !strcmp(sv->driver, "refsensor.sys"),
		       "views: the serial one has the code, the four parameters and the driver");
		sv = &o.res.views[1];
		tap_ok(!strcmp(sv->source, SOURCE_EVENT) && !sv->has_code && sv->note &&
			   strstr(sv->note, "without the bugcheck's code"),
		       "views: the event one: a panic without a code (pvpanic)");
		sv = &o.res.views[2];
		tap_ok(!strcmp(sv->source, SOURCE_DUMP) && !sv->file, "views: no dump file");
		tap_is_str(sv->note, "no dump: win-dump: invalid vmcoreinfo note size",
			   "views: the refusal is the dump's view");
	}
	tap_ok(access(dmp, F_OK) != 0, "views: the empty file QEMU left is removed");
	boot_result_release(&o.res);
	memset(&o.res, 0, sizeof(o.res));
	one_release(&o);
	free(dmp);
}

/*
 * The panic event first, then a dump that takes longer than the crash
 * grace, the console's report only after it (the guest was paused): the
 * grace waits for the dump, so the boot is titled by the console's report.
 */
static void check_boot_dump_pauses_grace(void)
{
	struct one o;
	struct one *v[] = {&o};
	char *dmp = xasprintf("%s/slow/boot-1.dmp", dir);

	setenv("FAKEQEMU_PANIC", "first", 1);
	setenv("FAKEQEMU_DUMP", "refuse", 1);
	setenv("FAKEQEMU_DUMP_S", "5", 1);
	one_start_guest(&o, "slow", "run", win_ems, 30, &guest_profile_windows, dmp);
	unsetenv("FAKEQEMU_PANIC");
	unsetenv("FAKEQEMU_DUMP");
	unsetenv("FAKEQEMU_DUMP_S");
	run_all(v, 1, 40);
	tap_is_str(o.res.title, "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys",
		   "a 5 s dump at the panic: the crash grace waits for it, the console's report "
		   "after it titles the boot");
	boot_result_release(&o.res);
	memset(&o.res, 0, sizeof(o.res));
	one_release(&o);
	free(dmp);
}

int main(int argc, char **argv)
{
	char *self;

	if (getenv("FAKEQEMU"))
		return fake_qemu(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	self = realpath("/proc/self/exe", NULL);
	setenv("BOOTPROOF_QEMU", self, 1);
	loop = loop_new();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	{
		struct one *v[] = {&hang, &stopped, &other, &warning};

		one_start(&hang, "hang", "run", HELLO, 2);
		one_start(&stopped, "stopped", "stop", HELLO, 2);
		one_start(&other, "other", "run", HELLO, 8);
		one_start(&warning, "warning", "run", warning_console, 30);
		run_all(v, 4, 60);
		check_silent_guest_is_a_hang();
		check_stopped_qemu_is_infra();
		check_report_end_then_quiet();
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			one_release(v[i]);
	}
	check_crash_triggers();
	check_machine_dump();
	check_boot_dump_views();
	check_boot_dump_pauses_grace();
	remove_tree(dir);
	loop_free(loop);
	free(self);
	return tap_done();
}
