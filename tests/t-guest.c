/*
 * t-guest - the guest-profile seam (guest.h): the registry, the Linux
 * profile's values, its crash detector behind the interface (a Linux oops
 * fed line by line comes out as one crash, the panic line flagged fatal),
 * its race knobs and crash-line test, and the QEMU argv builder (argv.h)
 * for the Linux machine and for a disk-boot machine that only a profile
 * describes.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "guest.h"
#include "tap.h"
#include "util.h"

static void test_registry(void)
{
	const struct guest_profile *g = guest_profile_find("linux");
	struct strbuf sb = STRBUF_INIT;

	tap_ok(g == &guest_profile_linux, "find: 'linux' is the Linux profile");
	tap_ok(guest_profile_find("windows") == NULL, "find: a kind with no profile gives NULL");
	tap_ok(guest_profile_find("Linux") == NULL, "find: kinds are case-sensitive");
	tap_ok(guest_profile_find("") == NULL && guest_profile_find(NULL) == NULL,
	       "find: empty and NULL give NULL");
	guest_profile_kinds(&sb);
	tap_is_str(sb.buf, "'linux'", "kinds: the list a scenario error shows");
	strbuf_release(&sb);
	if (!g)
		return;
	tap_is_str(g->kind, "linux", "linux: its kind");
	tap_ok(g->machine.direct_kernel && g->machine.boot && g->machine.firmware,
	       "linux: a direct kernel boot, with its options and firmware");
	tap_ok(g->default_marker && g->default_append && g->sensor_path[0] == '/' &&
		   g->agent_path[0] == '/' && g->content_dir[0] == '/' &&
		   g->content_dir[strlen(g->content_dir) - 1] != '/',
	       "linux: defaults and absolute guest paths (content_dir without a trailing '/')");
	tap_ok(g->artifacts & GUEST_ARTIFACT_SCREENSHOT, "linux: a crash keeps a screenshot");
	tap_ok(g->probe_append && g->probe_done, "linux: has a kvm probe");
}

/* A page-fault oops that ends in a panic, as the reference guest prints it. */
static const char *const oops[] = {
    "[    2.701000] refsensor: loaded c291-bad.sys",
    "[    2.718411] BUG: unable to handle page fault for address: ffffc900001c5000",
    "[    2.718624] #PF: supervisor read access in kernel mode",
    "[    2.719263] Oops: 0000 [#1] PREEMPT SMP NOPTI",
    "[    2.719476] CPU: 0 PID: 67 Comm: insmod Tainted: G           OE      6.1.0 #1",
    "[    2.719902] RIP: 0010:refsensor_eval+0x4f/0xc0 [refsensor]",
    "[    2.722245] Call Trace:",
    "[    2.722458]  <TASK>",
    "[    2.722671]  refsensor_init+0x498/0x1000 [refsensor]",
    "[    2.723097]  do_one_initcall+0x59/0x220",
    "[    2.725227]  </TASK>",
    "[    2.726000] ---[ end trace 0000000000000000 ]---",
    "[    2.727000] Kernel panic - not syncing: Fatal exception",
    "[    2.728000] ---[ end Kernel panic - not syncing: Fatal exception ]---",
};

static void test_detector(void)
{
	struct crash_detector *d = guest_profile_linux.detector_new();
	struct crash c = {0};
	int fatal_at = -1, in_report = 0, got;

	for (size_t i = 0; i < ARRAY_SIZE(oops); i++) {
		/* The panic's closing line repeats its text: the first fatal line counts. */
		if (crash_detector_feed(d, oops[i], strlen(oops[i]), i + 1) && fatal_at < 0)
			fatal_at = (int)i;
		if (i == 5)
			in_report = crash_detector_in_report(d);
	}
	tap_ok(in_report, "detector: in a report after the oops's first lines");
	tap_is_int(fatal_at, 12, "detector: the panic line is the first fatal one");
	crash_detector_flush(d);
	got = crash_detector_next(d, &c);
	tap_ok(got, "detector: the oops comes out as a crash");
	if (got) {
		tap_is_str(c.title, "BUG: unable to handle kernel paging request in refsensor_eval",
			   "detector: its title");
		tap_is_str(c.func, "refsensor_eval", "detector: its guilty function");
		tap_is_str(c.module, "refsensor", "detector: its module");
		tap_is_int((long long)c.line, 2, "detector: it starts at the BUG line");
		tap_ok(c.tainted_oot, "detector: out-of-tree taint seen");
	}
	crash_release(&c);
	tap_ok(!crash_detector_next(d, &c), "detector: one report, one crash");
	tap_ok(!crash_detector_in_report(d) && !crash_detector_body_ended(d),
	       "detector: idle afterwards");
	crash_detector_free(d);
	crash_detector_free(NULL);
	tap_ok(1, "detector: free accepts NULL");
}

static void test_knobs_and_lines(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *line = "[    2.1] [  T106] BUG: unable to handle page fault";

	strbuf_adds(&sb, "console=x");
	guest_profile_linux.race_knobs(&sb, -1, -1);
	tap_is_str(sb.buf, "console=x", "race knobs: none set, nothing added");
	guest_profile_linux.race_knobs(&sb, 0, 3000);
	tap_is_str(sb.buf, "console=x bootproof.agent_delay_ms=0 bootproof.sensor_delay_ms=3000",
		   "race knobs: linux puts them on the kernel command line");
	strbuf_release(&sb);
	tap_ok(guest_crash_line(line, strlen(line)), "crash line: after timestamp and caller id");
	tap_ok(!guest_crash_line(line, 22), "crash line: only the given length is read");
	tap_ok(!guest_crash_line("[ 1.0] refsensor: no BUG: here", 30),
	       "crash line: a marker mid-line is context");
}

static int argv_has(char **argv, const char *opt, const char *value)
{
	for (char **p = argv; p[0] && p[1]; p++)
		if (!strcmp(p[0], opt) && (!value || !strcmp(p[1], value)))
			return 1;
	return 0;
}

/* A machine only a profile describes: q35, booted from its disk by firmware. */
static const struct guest_qemu_opt disk_boot[] = {{"-bios", "/fw/OVMF.fd"}, {NULL, NULL}};
static const char *const disk_fw[] = {"OVMF.fd", NULL};
static const struct guest_profile disk_guest = {
    .kind = "test-disk",
    .machine = {.type = "q35",
		.boot = disk_boot,
		.disk_if = "ide",
		.display = "VGA",
		.panic_device = "pvpanic",
		.firmware = disk_fw},
    .probe_append = NULL,
};

static void test_argv(void)
{
	struct vm_config cfg = {.guest = &guest_profile_linux,
				.accel = "tcg",
				.kernel = "/k",
				.initrd = "/i",
				.append = "a b",
				.disk = "/d,x",
				.memory_mib = 128};
	char **v = qemu_argv_vm(&cfg, "/q", "/s", "/u");

	tap_ok(argv_has(v, "-M", "pc") && argv_has(v, "-kernel", "/k") &&
		   argv_has(v, "-initrd", "/i") && argv_has(v, "-append", "a b"),
	       "argv: linux boots its kernel on pc");
	tap_ok(argv_has(v, "-drive", "file=/d,,x,if=virtio,format=qcow2") &&
		   argv_has(v, "-device", "pvpanic") && !argv_has(v, "-incoming", NULL),
	       "argv: linux's disk (',' escaped) and panic device");
	argv_free(v);
	v = qemu_argv_probe(&guest_profile_linux, "kvm", "/k", "/tmp/ser");
	tap_ok(argv_has(v, "-accel", "kvm") && argv_has(v, "-kernel", "/k") &&
		   argv_has(v, "-append", guest_profile_linux.probe_append) &&
		   !argv_has(v, "-initrd", NULL) && !argv_has(v, "-drive", NULL) &&
		   argv_has(v, "-serial", "file:/tmp/ser") && !argv_has(v, "-S", NULL),
	       "argv: the probe boots the kernel alone, console to a file");
	argv_free(v);
	cfg.guest = &disk_guest;
	cfg.kernel = cfg.initrd = cfg.append = NULL;
	cfg.incoming = 1;
	v = qemu_argv_vm(&cfg, "/q", "/s", "/u");
	tap_ok(argv_has(v, "-M", "q35") && argv_has(v, "-bios", "/fw/OVMF.fd") &&
		   !argv_has(v, "-kernel", NULL) && !argv_has(v, "-append", NULL) &&
		   argv_has(v, "-drive", "file=/d,,x,if=ide,format=qcow2") &&
		   argv_has(v, "-incoming", "defer"),
	       "argv: a disk-boot profile's machine, firmware and disk, no kernel");
	argv_free(v);
}

int main(void)
{
	test_registry();
	test_detector();
	test_knobs_and_lines();
	test_argv();
	return tap_done();
}
