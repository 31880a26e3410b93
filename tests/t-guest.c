/*
 * t-guest - the guest-profile seam (guest.h): the registry, the Linux
 * profile's values, its crash detector behind the interface (a Linux oops
 * fed line by line comes out as one crash, the panic line flagged fatal),
 * its race knobs and crash-line test, and the QEMU argv builder (argv.h)
 * for the Linux machine and for a disk-boot machine that only a profile
 * describes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "disks.h"
#include "guest.h"
#include "tap.h"
#include "tsc.h"
#include "util.h"

static void test_registry(void)
{
	const struct guest_profile *g = guest_profile_find("linux");
	struct strbuf sb = STRBUF_INIT;

	tap_ok(g == &guest_profile_linux, "find: 'linux' is the Linux profile");
	tap_ok(guest_profile_find("plan9") == NULL, "find: a kind with no profile gives NULL");
	tap_ok(guest_profile_find("windows") == &guest_profile_windows, "find: windows");
	tap_ok(guest_profile_find("Linux") == NULL, "find: kinds are case-sensitive");
	tap_ok(guest_profile_find("") == NULL && guest_profile_find(NULL) == NULL,
	       "find: empty and NULL give NULL");
	guest_profile_kinds(&sb);
	tap_is_str(sb.buf, "'linux' or 'windows'", "kinds: the list a scenario error shows");
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
	tap_ok(!(g->artifacts & GUEST_ARTIFACT_SCREENSHOT) && !g->machine.display,
	       "linux: no screen on microvm, so no screenshot");
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

/* The reference Windows driver reads the very value the profile writes its delay to. */
static void test_knob_names(void)
{
	const char *slash = strrchr(__FILE__, '/');
	char *src = xasprintf("%.*s/../sensor/windows/refsensor-win.c",
			      (int)(slash ? slash - __FILE__ : 1), slash ? __FILE__ : ".");
	char *want = xasprintf("rs_param(L\"%s\")", guest_profile_windows.race_values.sensor);
	struct strbuf sb = STRBUF_INIT;
	struct bp_error err;

	if (read_file(src, &sb, &err) < 0)
		tap_diag(err.msg);
	tap_ok(strstr(sb.buf, want) != NULL,
	       "race on windows: sensor/windows/refsensor-win.c reads the profile's sensor value");
	strbuf_release(&sb);
	free(want);
	free(src);
}

/* Windows takes the race knobs from its registry, written offline before the first boot. */
static void test_knobs_windows(void)
{
	struct image img = {.guest = &guest_profile_windows};
	struct scenario sc = {.image = &img};
	struct inject_ops ops = INJECT_OPS_INIT;
	struct guest_profile none = {.kind = "none"}, no_service = guest_profile_windows;

	tap_ok(guest_takes_race(&guest_profile_linux) && guest_takes_race(&guest_profile_windows),
	       "race: both profiles take the knobs");
	no_service.sensor_service = NULL;
	tap_ok(!guest_takes_race(&none) && !guest_takes_race(&no_service),
	       "race: not a guest with neither a command line nor a sensor service to take them");
	disks_race_ops(&sc, 0, 3000, &ops);
	if (tap_is_int((int)ops.nr, 2, "race on windows: two registry ops")) {
		tap_ok(ops.v[0].kind == INJECT_SERVICE_PARAM &&
			   !strcmp(ops.v[0].name, "refsensor") &&
			   !strcmp(ops.v[0].guest, "AgentDelayMs") && ops.v[0].value == 0,
		       "race on windows: refsensor\\Parameters AgentDelayMs = 0");
		tap_ok(ops.v[1].kind == INJECT_SERVICE_PARAM &&
			   !strcmp(ops.v[1].name, "refsensor") &&
			   !strcmp(ops.v[1].guest, "SensorDelayMs") && ops.v[1].value == 3000,
		       "race on windows: refsensor\\Parameters SensorDelayMs = 3000, the driver's");
	}
	inject_ops_release(&ops);
	disks_race_ops(&sc, -1, 250, &ops);
	tap_ok(ops.nr == 1 && !strcmp(ops.v[0].guest, "SensorDelayMs") && ops.v[0].value == 250,
	       "race on windows: a knob not set is not written");
	inject_ops_release(&ops);
	img.guest = &guest_profile_linux;
	disks_race_ops(&sc, 0, 3000, &ops);
	tap_is_int((int)ops.nr, 0, "race on linux: no registry ops (the command line takes them)");
	inject_ops_release(&ops);
	test_knob_names();
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
		.disk_device = "ide-hd",
		.serial_device = "virtio-serial-pci",
		.display = "VGA",
		.panic_device = "pvpanic",
		.firmware = disk_fw},
    .probe_append = NULL,
};

/* s as the Linux profile passes it on this host: with " tsc_early_khz=N" if the host states N. */
static const char *tsc_append(const char *s)
{
	static char buf[512];
	unsigned khz = tsc_host_khz();

	if (khz)
		snprintf(buf, sizeof(buf), "%s tsc_early_khz=%u", s, khz);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	return buf;
}

static void test_argv(void)
{
	struct vm_config cfg = {.guest = &guest_profile_linux,
				.accel = "tcg",
				.kernel = "/k",
				.initrd = "/i",
				.append = "a b",
				.disk = "/d,x",
				.memory_mib = 128};
	char **v = qemu_argv_vm(&cfg, "/q", "/s", "/u", "/m");

	tap_ok(argv_has(v, "-M", "microvm,isa-serial=on,rtc=on") && argv_has(v, "-kernel", "/k") &&
		   argv_has(v, "-initrd", "/i"),
	       "argv: linux boots its kernel on microvm");
	tap_ok(argv_has(v, "-append", tsc_append("a b")),
	       "argv: the image's command line, then the host's TSC frequency if it states one");
	tap_ok(argv_has(v, "-drive", "file=/d,,x,if=none,id=disk0,format=qcow2") &&
		   argv_has(v, "-device", "virtio-blk-device,drive=disk0") &&
		   argv_has(v, "-device", "virtio-serial-device") &&
		   argv_has(v, "-device", "pvpanic") && !argv_has(v, "-device", "VGA") &&
		   !argv_has(v, "-incoming", NULL),
	       "argv: linux's disk (',' escaped) on virtio-mmio, update port, panic device, no screen");
	argv_free(v);
	cfg.append = "a tsc_early_khz=1234";
	v = qemu_argv_vm(&cfg, "/q", "/s", "/u", "/m");
	tap_ok(argv_has(v, "-append", "a tsc_early_khz=1234"),
	       "argv: a command line that sets tsc_early_khz keeps its own");
	argv_free(v);
	v = qemu_argv_probe(&guest_profile_linux, "kvm", "/k", "/tmp/ser");
	tap_ok(argv_has(v, "-accel", "kvm") && argv_has(v, "-kernel", "/k") &&
		   argv_has(v, "-append", tsc_append(guest_profile_linux.probe_append)) &&
		   !argv_has(v, "-initrd", NULL) && !argv_has(v, "-drive", NULL) &&
		   argv_has(v, "-serial", "file:/tmp/ser") && !argv_has(v, "-S", NULL),
	       "argv: the probe boots the kernel alone, console to a file");
	argv_free(v);
	cfg.guest = &disk_guest;
	cfg.kernel = cfg.initrd = cfg.append = NULL;
	cfg.incoming = 1;
	v = qemu_argv_vm(&cfg, "/q", "/s", "/u", "/m");
	tap_ok(argv_has(v, "-M", "q35") && argv_has(v, "-bios", "/fw/OVMF.fd") &&
		   !argv_has(v, "-kernel", NULL) && !argv_has(v, "-append", NULL) &&
		   argv_has(v, "-drive", "file=/d,,x,if=none,id=disk0,format=qcow2") &&
		   argv_has(v, "-device", "ide-hd,drive=disk0") && argv_has(v, "-device", "VGA") &&
		   argv_has(v, "-device", "virtio-serial-pci") && argv_has(v, "-incoming", "defer"),
	       "argv: a disk-boot profile's machine, firmware and disk, no kernel");
	tap_ok(!argv_has(v, "-chardev", "socket,id=ser1,path=/m"),
	       "argv: no marker port for a profile whose marker is on the console");
	argv_free(v);
	cfg.guest = &guest_profile_windows;
	cfg.incoming = 0;
	v = qemu_argv_vm(&cfg, "/q", "/s", "/u", "/m");
	tap_ok(argv_has(v, "-M", "q35") && argv_has(v, "-bios", "/usr/share/ovmf/OVMF.fd") &&
		   !argv_has(v, "-kernel", NULL) && argv_has(v, "-device", "ide-hd,drive=disk0") &&
		   argv_has(v, "-device", "VGA") && argv_has(v, "-device", "pvpanic"),
	       "argv: windows boots its disk through OVMF on q35, AHCI, a screen, pvpanic");
	tap_ok(argv_has(v, "-serial", "chardev:ser0") &&
		   argv_has(v, "-chardev", "socket,id=ser1,path=/m") &&
		   argv_has(v, "-serial", "chardev:ser1"),
	       "argv: windows has COM1 (EMS console) and COM2 (the marker port)");
	tap_ok(!argv_has(v, "-cpu", NULL), "argv: windows under TCG: QEMU's default CPU");
	argv_free(v);
	cfg.accel = "kvm";
	v = qemu_argv_vm(&cfg, "/q", "/s", "/u", "/m");
	tap_ok(argv_has(v, "-cpu", "host,hv-crash"),
	       "argv: windows under KVM: the Hyper-V crash MSRs (hv-crash: the bugcheck in GUEST_PANICKED)");
	argv_free(v);
}

/* The host's TSC frequency as kernel logs and /proc/cpuinfo state it (tsc.h). */
static void test_tsc(void)
{
	const char log[] = "<6>[    0.000265] tsc: Detected 2095.998 MHz processor\n"
			   "<6>[    1.2] tsc: Refined TSC clocksource calibration: 2096.061 MHz\n";
	const char detected[] = "[ 0.1] tsc: Detected 3000 MHz processor\n";
	const char cpuinfo[] = "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2095.998\n"
			       "flags\t\t: fpu tsc constant_tsc nonstop_tsc\n\nprocessor\t: 1\n";

	tap_is_int(tsc_khz_from_log(log, sizeof(log) - 1), 2096061,
		   "tsc: the refined calibration wins over the first estimate");
	tap_is_int(tsc_khz_from_log(detected, sizeof(detected) - 1), 3000000,
		   "tsc: a whole MHz figure");
	tap_is_int(tsc_khz_from_log(log, 42), 0, "tsc: a line cut before its unit is not read");
	tap_is_int(tsc_khz_from_log("tsc: Detected 12x MHz\ntsc: Detected  MHz", 38), 0,
		   "tsc: malformed figures give none");
	tap_is_int(tsc_khz_from_cpuinfo(cpuinfo), 2095998, "tsc: cpuinfo with constant_tsc");
	tap_is_int(tsc_khz_from_cpuinfo("cpu MHz\t: 2095.998\nflags\t: fpu tsc nonstop_tsc\n"), 0,
		   "tsc: cpuinfo without constant_tsc gives none");
	tap_is_int(tsc_khz_from_cpuinfo("cpu MHz\t: 1200.000\nflags\t: constant_tsc aperfmperf\n"), 0,
		   "tsc: cpuinfo's measured clock (aperfmperf) is not the TSC's");
	tap_is_int(tsc_khz_from_cpuinfo("flags\t: constant_tsc_x\ncpu MHz\t: 1.0\n"), 0,
		   "tsc: a flag is a whole word");
	tap_is_int(tsc_khz_from_cpuinfo(""), 0, "tsc: empty cpuinfo gives none");
	tap_ok(tsc_host_khz() == tsc_host_khz(), "tsc: this host's figure is the same on every call");
}

int main(void)
{
	test_tsc();
	test_registry();
	test_detector();
	test_knobs_and_lines();
	test_knobs_windows();
	test_argv();
	return tap_done();
}
