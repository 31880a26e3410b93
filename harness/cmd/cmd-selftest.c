/*
 * cmd-selftest - crash an image on purpose and check that every source
 * sees it (see cmd-selftest.h): a boot to the marker (boot.h, kept), then
 * the trial's own callbacks on the running machine.
 */
#define _GNU_SOURCE
#include "cmd-selftest.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "backend.h"
#include "boot.h"
#include "console.h"
#include "escape.h"
#include "guest.h"
#include "hostpool.h"
#include "inject.h"
#include "litter.h"
#include "loop.h"
#include "proc.h"
#include "scenario.h"
#include "stopcodes.h"
#include "usage.h"
#include "windump.h"

/* scenario.c's built-in timeouts, for an image no scenario uses. */
#define ST_BOOT_S 60
#define ST_SILENCE_S 30
#define ST_KVM_PROBE_MS 3000
/*
 * After the panic event, how long the guest has to reset by itself before
 * the self-test ends it: a libvirt domain with on_crash=preserve never
 * does, and what the sources show is in by then (the blue-screen text
 * comes before the pvpanic callback; the host-side dump is waited for).
 */
#define ST_PANIC_GRACE_MS 5000

const struct cmd_usage selftest_usage = {
    "selftest",
    "selftest -c SUITE [-r REPORTS] [--backend qemu|libvirt [--host URI[,disks=shared|upload]]] IMAGE",
    "Crash a Windows image on purpose, twice: does every crash source see it?",
    "options:\n"
    "  -c, --suite SUITE    the suite file (default scenarios.yaml)\n"
    "  -r, --reports DIR    the serial logs go to DIR/selftest/IMAGE/ (default reports)\n"
    "  --backend NAME       what boots IMAGE when its suite entry names no backend:\n"
    "                       qemu (default) or libvirt\n"
    "  --host URI[,disks=shared|upload]\n"
    "                       the libvirt host (default: the suite's first hosts: entry,\n"
    "                       else qemu:///system); disks as for run --host\n"
    "  -h, --help           this help\n"
    "\n"
    "IMAGE: an image of the suite, of kind windows. No sensor, no content: two cold\n"
    "boots of an overlay of its disk, each up to the boot-complete marker, then\n"
    "crashed: right-Ctrl + Scroll Lock twice (send-key; CrashOnCtrlScroll),\n"
    "MANUALLY_INITIATED_CRASH (0xE2); an NMI (inject-nmi; NMICrashDump),\n"
    "NMI_HARDWARE_FAILURE (0x80). Each source is then checked: the EMS console\n"
    "(COM1), pvpanic (GUEST_PANICKED), the host-side dump written at the panic\n"
    "(QEMU win-dmp, kept in DIR/selftest/IMAGE/; needs virtio-win's fwcfg driver),\n"
    "hv-crash (under KVM only). Bounded by the longest boot_timeout of the suite's\n"
    "scenarios on IMAGE (60 s if none).\n"
    "\n"
    "One TAP line per check, then the plan and a summary. Exit status: 0 every\n"
    "source saw both crashes, 1 a source missed one or the image did not come up,\n"
    "2 usage error (also: IMAGE is not a Windows image), 3 infrastructure failure\n"
    "or interrupted.\n",
};

struct st_trigger {
	const char *name; /* the trial's name: its log, its TAP lines */
	const char *how;  /* what is sent, after the machine's monitor ("QMP", "libvirt") */
	uint32_t code;	  /* the bugcheck it gives */
	int keys;	  /* 1: right-Ctrl + Scroll Lock twice; 0: an NMI */
};

static const struct st_trigger st_triggers[] = {
    {"ctrl-scroll", "send-key ctrl_r + scroll_lock, twice", 0xE2, 1},
    {"nmi", "inject-nmi", 0x80, 0},
};

#define ST_NR_TRIALS (sizeof(st_triggers) / sizeof(st_triggers[0]))

struct selftest;

struct st_trial {
	struct selftest *st;
	const struct st_trigger *trig;
	struct boot b;
	struct boot_params p;
	struct vm_config vm;
	struct boot_result res;
	char *dir, *overlay, *log;
	struct console con;
	struct crash_detector *det;
	int logfd;
	int t_deadline;
	int t_panic; /* ST_PANIC_GRACE_MS after the panic event */
	const char *monitor; /* the machine's, once the trigger went out ("QMP", "libvirt") */
	int started;	 /* boot_start() made */
	int up;		 /* judged clean at the marker: the machine is ours */
	int sends, sent; /* requests made, and answered ok */
	char *send_err;	 /* a request failed: why */
	char *title;	 /* the first crash the console showed */
	int panicked, has_bugcheck;
	uint64_t bugcheck;
	int reset;    /* the guest reset or powered off */
	int stopping; /* we stopped it (deadline, failed trigger) */
	char *infra;  /* the machine failed under us: why */
	int done;
	/* The host-side dump at the panic event (guest.h: GUEST_ARTIFACT_HOST_DUMP). */
	char *dump_path;
	int dump_asked, dump_done, dump_ok;
	char *dump_why; /* not written: why */
};

struct selftest {
	struct suite suite;
	const struct image *img;
	const char *backend, *host_arg; /* --backend, --host */
	const char *host;		/* the libvirt host (st_host()), NULL: the default */
	struct hostpool pool;		/* --host's, parsed */
	const char *accel;
	char accel_reason[256];
	int boot_ms, silence_ms;
	char *work, *out;
	struct loop *loop;
	int n, missed, infra;
	struct strbuf missed_list;
	struct st_trial trials[ST_NR_TRIALS];
};

/* The boot's first crash, once the detector completes it. */
static void st_collect(struct st_trial *t)
{
	struct crash c;

	while (crash_detector_next(t->det, &c)) {
		if (!t->title)
			t->title = xstrdup(c.title);
		crash_release(&c);
	}
}

static void st_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct st_trial *t = ctx;

	crash_detector_feed(t->det, line, len, lineno);
	st_collect(t);
}

static void st_console(void *ctx, const char *buf, size_t len, int64_t host_ns)
{
	struct st_trial *t = ctx;

	(void)host_ns;
	if (!len) {
		console_finish(&t->con);
		return;
	}
	if (t->logfd >= 0 && write_all(t->logfd, buf, len) < 0) {
		close(t->logfd);
		t->logfd = -1;
	}
	console_feed(&t->con, buf, len);
}

static void st_stop(struct st_trial *t)
{
	t->stopping = 1;
	machine_stop(t->b.m);
}

static void st_deadline(struct loop *l, void *ctx)
{
	struct st_trial *t = ctx;

	(void)l;
	t->t_deadline = 0;
	st_stop(t);
}

static void st_panic_grace(struct loop *l, void *ctx)
{
	struct st_trial *t = ctx;

	t->t_panic = 0;
	if (t->dump_asked && !t->dump_done && !t->dump_why)
		t->t_panic = loop_timer_add(l, now_ms() + 1000, st_panic_grace, t);
	else
		st_stop(t);
}

/* The machine is gone: what the console held is judged, the trial is done. */
static void st_exited(struct st_trial *t, const char *reason)
{
	console_finish(&t->con);
	crash_detector_flush(t->det);
	st_collect(t);
	if (t->t_deadline)
		loop_timer_remove(t->st->loop, t->t_deadline);
	if (t->t_panic)
		loop_timer_remove(t->st->loop, t->t_panic);
	t->t_deadline = t->t_panic = 0;
	if (!t->reset && !t->stopping && !t->infra)
		t->infra = xasprintf("%s without the guest asking", reason ? reason : "it exited");
	t->done = 1;
}

/* At the panic event, as a trial's boot does: the host writes the guest's win-dmp. */
static void st_ask_dump(struct st_trial *t)
{
	struct bp_error err;

	if (t->dump_asked || !(t->st->img->guest->artifacts & GUEST_ARTIFACT_HOST_DUMP))
		return;
	t->dump_asked = 1;
	if (machine_dump(t->b.m, t->dump_path, &err) < 0)
		t->dump_why = xstrdup(err.msg);
}

static void st_event(void *ctx, const struct machine_event *ev)
{
	struct st_trial *t = ctx;

	switch (ev->kind) {
	case MACHINE_SENT:
		if (ev->ok) {
			t->sent++;
		} else if (!t->send_err) {
			t->send_err = xstrdup(ev->reason ? ev->reason : "refused");
			st_stop(t);
		}
		break;
	case MACHINE_PANIC:
		if (!t->panicked)
			t->t_panic = loop_timer_add(t->st->loop, now_ms() + ST_PANIC_GRACE_MS,
						    st_panic_grace, t);
		t->panicked = 1;
		st_ask_dump(t);
		if (ev->has_bugcheck && !t->has_bugcheck) {
			t->has_bugcheck = 1;
			t->bugcheck = ev->bugcheck;
		}
		break;
	case MACHINE_DUMPED:
		t->dump_done = 1;
		t->dump_ok = ev->ok;
		if (!ev->ok && !t->dump_why)
			t->dump_why = xstrdup(ev->reason ? ev->reason : "refused");
		break;
	case MACHINE_RESET:
	case MACHINE_SHUTDOWN_GUEST:
		t->reset = 1;
		break;
	case MACHINE_EXITED:
		st_exited(t, ev->reason);
		break;
	default:
		break;
	}
}

/* Crash it: the trigger's requests, each answered by a SENT event. */
static int st_fire(struct st_trial *t, struct bp_error *err)
{
	static const char *const chord[] = {"ctrl_r", "scroll_lock"};

	t->monitor = t->b.m->monitor;
	if (!t->trig->keys) {
		t->sends++;
		return machine_inject_nmi(t->b.m, err);
	}
	/* "Hold down the rightmost CTRL key, and press the SCROLL LOCK key twice." */
	for (int i = 0; i < 2; i++) {
		t->sends++;
		if (machine_send_keys(t->b.m, chord, 2, err) < 0)
			return -1;
	}
	return 0;
}

/* The boot is judged (from a loop timer): clean at the marker, the machine is ours. */
static void st_up(void *ctx, struct boot *b)
{
	struct st_trial *t = ctx;
	struct bp_error err;

	if (t->res.outcome != OUTCOME_CLEAN) {
		t->done = 1;
		return;
	}
	t->up = 1;
	t->logfd = open(t->log, O_WRONLY | O_APPEND | O_CLOEXEC);
	console_init(&t->con, st_line, t);
	t->det = t->st->img->guest->detector_new();
	if (b->exited) {
		/* Gone between the verdict and this timer: its EXITED went to the boot. */
		t->reset = b->end == MACHINE_RESET || b->end == MACHINE_SHUTDOWN_GUEST;
		st_exited(t, "qemu exited at the marker");
		return;
	}
	b->m->cb = (struct machine_cb){st_console, NULL, st_event, t};
	t->t_deadline = loop_timer_add(t->st->loop, now_ms() + t->st->boot_ms, st_deadline, t);
	if (st_fire(t, &err) < 0) {
		t->send_err = xstrdup(err.msg);
		st_stop(t);
	}
}

static int st_trial_start(struct selftest *st, struct st_trial *t, struct bp_error *err)
{
	const struct image *img = st->img;

	t->st = st;
	t->logfd = -1;
	t->dir = xasprintf("%s/%s", st->work, t->trig->name);
	t->overlay = xasprintf("%s/disk.qcow2", t->dir);
	t->dump_path = xasprintf("%s/%s.dmp", st->out, t->trig->name);
	t->log = xasprintf("%s/%s.log", st->out, t->trig->name);
	if (mkdir_p(t->dir, err) < 0 || overlay_create(img->disk, t->overlay, err) < 0)
		return -1;
	t->vm = (struct vm_config){.guest = img->guest,
				   .accel = st->accel,
				   .kernel = img->kernel,
				   .initrd = img->initrd,
				   .append = img->append,
				   .disk = t->overlay,
				   .memory_mib = img->memory_mib,
				   .run_dir = t->dir};
	t->p = (struct boot_params){
	    .machine = backend_machine_new(backend_of(st->img, st->backend), st->host, &t->vm),
	    .guest = img->guest,
	    .loop = st->loop,
	    .on_done = st_up,
	    .ctx = t,
	    .keep = 1,
	    .marker = img->marker,
	    .boot_timeout_ms = st->boot_ms,
	    .silence_timeout_ms = st->silence_ms,
	    .log_path = t->log,
	};
	t->started = 1;
	boot_start(&t->b, &t->p, &t->res);
	return 0;
}

static void st_trial_run(struct selftest *st, struct st_trial *t)
{
	struct bp_error err;

	if (st_trial_start(st, t, &err) < 0) {
		t->infra = xstrdup(err.msg);
		return;
	}
	while (!t->done && !bp_interrupted)
		if (loop_once(st->loop, 1000) < 0)
			break;
	if (!t->done && !t->infra)
		t->infra = xstrdup("interrupted");
}

static void st_trial_release(struct st_trial *t)
{
	if (t->started)
		boot_release(&t->b);
	crash_detector_free(t->det);
	if (t->logfd >= 0)
		close(t->logfd);
	boot_result_release(&t->res);
	free(t->dir);
	free(t->overlay);
	free(t->log);
	free(t->send_err);
	free(t->title);
	free(t->infra);
	free(t->dump_path);
	free(t->dump_why);
}

enum st_verdict { ST_OK, ST_MISSED, ST_SKIP };

/* A TAP comment: "# NAME: WHAT" + text escaped. */
static void st_note(const char *name, const char *what, const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "# %s: %s", name, what);
	escape_tap_line(&sb, text);
	puts(sb.buf);
	strbuf_release(&sb);
}

/* One TAP line: "ok N - TRIAL: CHECK: WHAT", WHAT escaped (guest and QEMU text). */
static void st_point(struct selftest *st, const struct st_trial *t, const char *check,
		     enum st_verdict v, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s %d - %s: %s", v == ST_MISSED ? "not ok" : "ok", ++st->n, t->trig->name,
		    check);
	if (v == ST_SKIP) {
		strbuf_adds(&sb, " # SKIP ");
		escape_tap_line(&sb, what);
	} else if (what) {
		strbuf_adds(&sb, ": ");
		escape_tap_line(&sb, what);
	}
	puts(sb.buf);
	if (v == ST_MISSED) {
		st->missed++;
		strbuf_addf(&st->missed_list, "%s%s %s", st->missed > 1 ? ", " : "", t->trig->name,
			    check);
	}
	strbuf_release(&sb);
}

/*
 * The host-side dump written at the panic event (QEMU's win-dmp, which
 * needs the guest's VMCOREINFO note: virtio-win's fwcfg driver), kept as
 * REPORTS/selftest/IMAGE/TRIAL.dmp: its BugCheckCode is the trigger's.
 */
static enum st_verdict st_dump(const struct st_trial *t, char **ret_what)
{
	struct windump d;
	struct bp_error err;
	struct strbuf sb = STRBUF_INIT;
	enum st_verdict v = ST_MISSED;

	if (!(t->st->img->guest->artifacts & GUEST_ARTIFACT_HOST_DUMP)) {
		*ret_what = xstrdup("the image's profile takes no host-side dump");
		return ST_SKIP;
	}
	if (!t->panicked) {
		*ret_what = xstrdup("no panic event to write a dump at");
		return ST_MISSED;
	}
	if (!t->dump_ok) {
		unlink(t->dump_path); /* what QEMU may have left of it */
		*ret_what = xasprintf("no host-side dump: %s (the image needs virtio-win's fwcfg driver)",
				      t->dump_why ? t->dump_why
						  : "the machine exited before it was written");
		return ST_MISSED;
	}
	if (windump_read(t->dump_path, &d, &err) < 0) {
		*ret_what = xasprintf("the host-side dump cannot be read: %s", err.msg);
	} else {
		windump_title(&d, &sb);
		if (d.code == t->trig->code) {
			v = ST_OK;
			*ret_what = xasprintf("host-side win-dmp: %s", sb.buf);
		} else {
			*ret_what = xasprintf("the host-side dump says %s, not 0x%X", sb.buf,
					      t->trig->code);
		}
	}
	windump_release(&d);
	strbuf_release(&sb);
	return v;
}

/* The console's bugcheck: the expected code's title, with or without a driver. */
static void st_check_ems(struct selftest *st, const struct st_trial *t)
{
	struct strbuf want = STRBUF_INIT;
	char *msg;

	stopcode_title(&want, 1, t->trig->code, NULL);
	if (t->title && !strncmp(t->title, want.buf, want.len) &&
	    (!t->title[want.len] || !strncmp(t->title + want.len, " in ", 4))) {
		st_point(st, t, "ems", ST_OK, t->title);
	} else {
		msg = t->title
			  ? xasprintf("the console showed '%s', not %s", t->title, want.buf)
			  : xasprintf("no bugcheck on the console (EMS on COM1: bcdedit /ems)");
		st_point(st, t, "ems", ST_MISSED, msg);
		free(msg);
	}
	strbuf_release(&want);
}

static void st_check_hv(struct selftest *st, const struct st_trial *t)
{
	char *msg;

	if (strcmp(st->accel, "kvm")) {
		msg = xasprintf("needs KVM (accelerator: %s)", st->accel);
		st_point(st, t, "hv-crash", ST_SKIP, msg);
	} else if (t->has_bugcheck && t->bugcheck == t->trig->code) {
		msg = xasprintf("GUEST_PANICKED with bugcheck 0x%llX",
				(unsigned long long)t->bugcheck);
		st_point(st, t, "hv-crash", ST_OK, msg);
	} else {
		msg = t->has_bugcheck ? xasprintf("GUEST_PANICKED with bugcheck 0x%llX, not 0x%X",
						  (unsigned long long)t->bugcheck, t->trig->code)
				      : xstrdup("no Hyper-V bugcheck in GUEST_PANICKED");
		st_point(st, t, "hv-crash", ST_MISSED, msg);
	}
	free(msg);
}

static const char *const st_after_up[] = {"trigger", "ems", "pvpanic", "dump", "hv-crash"};

static void st_report(struct selftest *st, const struct st_trial *t)
{
	enum st_verdict v;
	char *msg;

	if (t->infra || (t->started && t->res.outcome == OUTCOME_INFRA))
		st->infra = 1;
	if (!t->up) {
		msg = t->started ? xasprintf("%s: %s", outcome_name(t->res.outcome),
					     t->res.title ? t->res.title : "")
				 : xstrdup(t->infra);
		st_point(st, t, "comes up", ST_MISSED, msg);
		free(msg);
		for (size_t i = 0; i < sizeof(st_after_up) / sizeof(st_after_up[0]); i++)
			st_point(st, t, st_after_up[i], ST_SKIP, "the image did not come up");
		return;
	}
	st_point(st, t, "comes up", ST_OK, "the boot-complete marker");
	if (t->send_err || t->sent < t->sends) {
		msg = xasprintf("%s %s: %s", t->monitor ? t->monitor : "", t->trig->how,
				t->send_err ? t->send_err : "no answer");
		st_point(st, t, "trigger", ST_MISSED, msg);
		free(msg);
	} else {
		msg = xasprintf("%s %s", t->monitor, t->trig->how);
		st_point(st, t, "trigger", ST_OK, msg);
		free(msg);
	}
	st_check_ems(st, t);
	st_point(st, t, "pvpanic", t->panicked ? ST_OK : ST_MISSED,
		 t->panicked ? "GUEST_PANICKED"
			     : "no GUEST_PANICKED (the image needs virtio-win's pvpanic driver)");
	v = st_dump(t, &msg);
	st_point(st, t, "dump", v, msg);
	free(msg);
	st_check_hv(st, t);
	if (t->infra)
		st_note(t->trig->name, "infrastructure: ", t->infra);
}

/* The longest timeouts of the suite's scenarios on the image (the built-in ones if none). */
static void st_timeouts(struct selftest *st)
{
	int boot_s = 0, silence_s = 0;

	for (size_t i = 0; i < st->suite.nr_scenarios; i++) {
		const struct scenario *sc = &st->suite.scenarios[i];

		if (sc->image != st->img)
			continue;
		if (sc->boot_timeout_s > boot_s)
			boot_s = sc->boot_timeout_s;
		if (sc->silence_timeout_s > silence_s)
			silence_s = sc->silence_timeout_s;
	}
	st->boot_ms = (boot_s ? boot_s : ST_BOOT_S) * 1000;
	st->silence_ms = (silence_s ? silence_s : ST_SILENCE_S) * 1000;
}

/* 0 to run, 1 the help was printed, -1 a usage error (printed). */
static int st_parse(int argc, char **argv, struct selftest *st, const char **suite,
		    const char **reports, const char **image)
{
	static const struct option longopts[] = {
	    {"suite", required_argument, NULL, 'c'},
	    {"reports", required_argument, NULL, 'r'},
	    {"backend", required_argument, NULL, 'B'},
	    {"host", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:c:r:h", longopts, NULL)) != -1) {
		if (c == 'c') {
			*suite = optarg;
		} else if (c == 'r') {
			*reports = optarg;
		} else if (c == 'B' && backend_valid(optarg)) {
			st->backend = optarg;
		} else if (c == 'O' && *optarg) {
			st->host_arg = optarg;
		} else if (c == 'B' || c == 'O') {
			fprintf(stderr, "bootproof selftest: %s\n",
				c == 'B' ? "--backend takes 'qemu' or 'libvirt'" : "--host takes a URI");
			usage_error(&selftest_usage);
			return -1;
		} else if (c == 'h') {
			usage_help(&selftest_usage);
			return 1;
		} else {
			fprintf(stderr, "bootproof selftest: %s '%s'\n",
				c == ':' ? "missing argument for" : "unknown option",
				argv[optind - 1]);
			usage_error(&selftest_usage);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "bootproof selftest: %s\n",
			optind == argc ? "name the image to test" : "one image at a time");
		usage_error(&selftest_usage);
		return -1;
	}
	if (st->host_arg && (!st->backend || strcmp(st->backend, "libvirt"))) {
		fprintf(stderr, "bootproof selftest: --host goes with --backend libvirt\n");
		usage_error(&selftest_usage);
		return -1;
	}
	*image = argv[optind];
	return 0;
}

/*
 * The libvirt host the image boots on: --host (run's syntax; slots mean
 * nothing to one machine at a time), else the suite's first hosts: entry
 * when the image boots on libvirt, else the default. One that does not
 * share this machine's files gets the disks uploaded (hostpool.h).
 */
static int st_host(struct selftest *st, struct bp_error *err)
{
	enum host_disks disks = HOST_DISKS_AUTO;

	if (st->host_arg) {
		if (hostpool_add(&st->pool, st->host_arg, err) < 0)
			return -1;
		st->host = st->pool.hosts[0].uri;
		disks = st->pool.hosts[0].disks;
	} else if (st->suite.nr_hosts && !strcmp(backend_of(st->img, st->backend), "libvirt")) {
		st->host = st->suite.hosts[0].uri;
		disks = st->suite.hosts[0].disks;
	}
	if (st->host && hostpool_uploads(st->host, disks))
		backend_host_uploads(st->host);
	return 0;
}

/* The image by name, a Windows one: else the message and -1. */
static int st_find_image(struct selftest *st, const char *name)
{
	for (size_t i = 0; i < st->suite.nr_images; i++)
		if (!strcmp(st->suite.images[i].name, name))
			st->img = &st->suite.images[i];
	if (!st->img) {
		fprintf(stderr, "bootproof selftest: the suite has no image '%s'\n", name);
		return -1;
	}
	if (strcmp(st->img->kind, "windows")) {
		fprintf(
		    stderr,
		    "bootproof selftest: image '%s' is of kind %s: the self-test crashes Windows "
		    "images (CrashOnCtrlScroll, NMICrashDump); a Linux image's crash path is "
		    "its scenarios' to show\n",
		    name, st->img->kind);
		return -1;
	}
	return 0;
}

/* Scratch, the log directory, the accelerator. */
static int st_prepare(struct selftest *st, const char *reports, struct bp_error *err)
{
	char *img_dir = xstrdup(st->img->name);

	for (char *p = img_dir; *p; p++)
		if (*p == '/')
			*p = '-';
	st->out = xasprintf("%s/selftest/%s", reports, img_dir);
	free(img_dir);
	if (mkdir_p(st->out, err) < 0)
		return -1;
	st->work = xasprintf("%s/bootproof-XXXXXX", litter_tmp_dir());
	if (litter_mkdtemp(st->work, NULL, err) < 0) {
		free(st->work);
		st->work = NULL;
		return -1;
	}
	st->accel = accel_probe(st->work, st->img->guest, st->img->kernel, ST_KVM_PROBE_MS,
				st->accel_reason, sizeof(st->accel_reason));
	return 0;
}

static int st_summary(struct selftest *st)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	printf("1..%d\n", st->n);
	strbuf_addf(&sb, "# selftest %s: ", st->img->name);
	if (st->missed) {
		strbuf_addf(&sb, "%d of %d checks missed the crash: ", st->missed, st->n);
		escape_tap_line(&sb, st->missed_list.buf);
	} else {
		strbuf_adds(&sb, "every source saw both crashes");
	}
	if (st->infra || bp_interrupted)
		strbuf_adds(&sb, " (infrastructure failure)");
	puts(sb.buf);
	strbuf_release(&sb);
	rc = st->infra || bp_interrupted ? 3 : st->missed ? 1 : 0;
	return rc;
}

int cmd_selftest(int argc, char **argv)
{
	const char *suite_path = "scenarios.yaml", *reports = "reports", *image = NULL;
	struct selftest st = {.missed_list = STRBUF_INIT};
	struct bp_error err;
	int rc;

	for (size_t i = 0; i < ST_NR_TRIALS; i++) {
		st.trials[i].trig = &st_triggers[i];
		st.trials[i].logfd = -1;
	}
	rc = st_parse(argc, argv, &st, &suite_path, &reports, &image);
	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE_ERROR;
	if (suite_load(&st.suite, suite_path, &err) < 0) {
		fprintf(stderr, "bootproof selftest: %s\n", err.msg);
		return EXIT_USAGE_ERROR;
	}
	hostpool_init(&st.pool);
	if (st_find_image(&st, image) < 0) {
		suite_free(&st.suite);
		return EXIT_USAGE_ERROR;
	}
	if (st_host(&st, &err) < 0) {
		fprintf(stderr, "bootproof selftest: %s\n", err.msg);
		usage_error(&selftest_usage);
		suite_free(&st.suite);
		return EXIT_USAGE_ERROR;
	}
	st_timeouts(&st);
	proc_stop_on_signals();
	if (st_prepare(&st, reports, &err) < 0) {
		fprintf(stderr, "bootproof selftest: %s\n", err.msg);
		rc = 3;
		goto out;
	}
	st_note("selftest", "accelerator: ", st.accel_reason);
	st.loop = loop_new();
	for (size_t i = 0; i < ST_NR_TRIALS; i++) {
		if (!bp_interrupted)
			st_trial_run(&st, &st.trials[i]);
		else
			st.trials[i].infra = xstrdup("interrupted");
		st_report(&st, &st.trials[i]);
		fflush(stdout);
	}
	rc = st_summary(&st);
out:
	for (size_t i = 0; i < ST_NR_TRIALS; i++)
		st_trial_release(&st.trials[i]);
	/* The libvirt host's last teardowns: no domain outlives the self-test. */
	backend_shutdown(BACKEND_SHUTDOWN_MS, NULL, NULL);
	if (st.loop)
		loop_free(st.loop);
	if (st.work) {
		remove_tree(st.work);
		litter_forget(st.work);
	}
	free(st.work);
	free(st.out);
	strbuf_release(&st.missed_list);
	hostpool_release(&st.pool);
	suite_free(&st.suite);
	return rc;
}
