/*
 * t-windisk - the offline work of a Windows trial on a synthetic Windows
 * disk, through the real libguestfs worker (inject.h) and real NTFS.
 *
 * The test makes the disk itself: GPT, an EFI system partition (FAT) with
 * the BCD store, and an NTFS partition with a Windows-like tree in
 * unexpected case (/WINDOWS/system32/Drivers, as ntfs-3g may show it),
 * SYSTEM, SOFTWARE and BCD hives, each an empty regf file (the one
 * tests/winguest/regf.py writes from the documented format) filled through
 * the libguestfs hivex calls. Then, on an overlay of it: inspection
 * finds Windows; the sensor is installed at its profile path and
 * registered as a boot-start service (read back from the hive); content is
 * deployed; a scenario's race knobs become the service's Parameters
 * values the driver reads (the Windows profile's, through disks_race_ops());
 * expect_files and remediate globs match case-insensitively;
 * disable_service sets Start=4; safe_mode sets and clears the default
 * entry's safeboot element; the update agent is registered as an
 * own-process auto-start service and recovery: true|false sets the
 * entry's recoveryenabled and bootstatuspolicy; and a worker killed in the middle of a write
 * leaves a disk that still mounts, with hives that still open.
 * An appliance launch is 10-60 s under TCG: this is not in check-fast.
 */
#define _GNU_SOURCE
#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disks.h"
#include "guest.h"
#include "inject.h"
#include "tap.h"

#define TIMEOUT_MS (10 * 60 * 1000)
#define BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
#define ENTRY "{6a7b5f3e-0000-4000-8000-b00770000001}"
#define REG_SZ 1
#define REG_DWORD 4

static char tmp[] = "/tmp/t-windisk.XXXXXX";

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/*
 * An x86-64 console program's PE headers, nothing more: inspection reads a
 * Windows root's architecture from System32\cmd.exe's (`file`).
 */
static void pe_stub(unsigned char *b, size_t len)
{
	memset(b, 0, len);
	memcpy(b, "MZ", 2);
	put32(b + 0x3C, 0x40);		 /* e_lfanew */
	memcpy(b + 0x40, "PE\0\0", 4);
	b[0x44] = 0x64, b[0x45] = 0x86; /* Machine: AMD64 */
	b[0x54] = 0xF0;			 /* SizeOfOptionalHeader */
	b[0x56] = 0x22;			 /* executable, large-address aware */
	b[0x58] = 0x0B, b[0x59] = 0x02; /* PE32+ */
	b[0x58 + 68] = 3;		 /* Subsystem: console */
}

static int64_t key(guestfs_h *g, const char *path)
{
	int64_t node = guestfs_hivex_root(g);
	char *copy = strdup(path), *save = NULL;

	for (char *c = strtok_r(copy, "\\", &save); c && node > 0; c = strtok_r(NULL, "\\", &save)) {
		int64_t child = guestfs_hivex_node_get_child(g, node, c);

		node = child > 0 ? child : guestfs_hivex_node_add_child(g, node, c);
	}
	free(copy);
	return node;
}

static int set_str(guestfs_h *g, int64_t node, const char *name, const char *s)
{
	size_t n = strlen(s) + 1;
	char *w = calloc(n, 2);
	int r;

	for (size_t i = 0; i < n; i++)
		w[2 * i] = s[i];
	r = guestfs_hivex_node_set_value(g, node, name, REG_SZ, w, 2 * n);
	free(w);
	return r;
}

static int set_dword(guestfs_h *g, int64_t node, const char *name, uint32_t v)
{
	unsigned char le[4];

	put32(le, v);
	return guestfs_hivex_node_set_value(g, node, name, REG_DWORD, (char *)le, 4);
}

/* An empty hive (tests/winguest/regf.py's), made once in main(). */
static char empty_hive[64];

/* The empty hive at path, then what fill() puts in it. */
static int hive(guestfs_h *g, const char *path, int (*fill)(guestfs_h *g))
{
	int r = guestfs_upload(g, empty_hive, path) < 0 ||
			guestfs_hivex_open(g, path, GUESTFS_HIVEX_OPEN_WRITE, 1, -1) < 0 || fill(g) < 0 ||
			guestfs_hivex_commit(g, NULL) < 0
		    ? -1
		    : 0;

	guestfs_hivex_close(g);
	return r;
}

static int fill_system(guestfs_h *g)
{
	return set_dword(g, key(g, "Select"), "Current", 1) < 0 ||
			       set_dword(g, key(g, "Select"), "Default", 1) < 0 ||
			       key(g, "ControlSet001\\Services\\Tcpip") <= 0 ||
			       set_str(g, key(g, "ControlSet001\\Control\\ComputerName\\ComputerName"),
				       "ComputerName", "BP-WIN-GUEST") < 0
		   ? -1
		   : 0;
}

static int fill_software(guestfs_h *g)
{
	int64_t cv = key(g, "Microsoft\\Windows NT\\CurrentVersion");

	return set_str(g, cv, "ProductName", "Windows 10 Pro") < 0 ||
			       set_str(g, cv, "CurrentVersion", "6.3") < 0 ||
			       set_dword(g, cv, "CurrentMajorVersionNumber", 10) < 0 ||
			       set_dword(g, cv, "CurrentMinorVersionNumber", 0) < 0 ||
			       set_str(g, cv, "CurrentBuild", "19041") < 0 ||
			       set_str(g, cv, "InstallationType", "Client") < 0
		   ? -1
		   : 0;
}

static int fill_bcd(guestfs_h *g)
{
	return set_str(g, key(g, "Objects\\" BOOTMGR "\\Elements\\23000003"), "Element", ENTRY) < 0 ||
			       key(g, "Objects\\" ENTRY "\\Elements\\12000004") <= 0
		   ? -1
		   : 0;
}

#define ESP_GUID "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define BASIC_GUID "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"

/* The golden disk: GPT, ESP with the BCD store, NTFS with Windows in odd case. */
static int make_disk(const char *path)
{
	guestfs_h *g = guestfs_create();
	unsigned char exe[1024];
	int r = -1;

	if (!g)
		return -1;
	pe_stub(exe, sizeof(exe));
	guestfs_set_backend(g, "direct");
	if (guestfs_disk_create(g, path, "qcow2", 96 << 20, -1) < 0 ||
	    guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) < 0 ||
	    guestfs_launch(g) < 0 || guestfs_part_init(g, "/dev/sda", "gpt") < 0 ||
	    guestfs_part_add(g, "/dev/sda", "p", 2048, 2048 + 32768 - 1) < 0 ||
	    guestfs_part_add(g, "/dev/sda", "p", 2048 + 32768, -2048) < 0 ||
	    guestfs_part_set_gpt_type(g, "/dev/sda", 1, ESP_GUID) < 0 ||
	    guestfs_part_set_gpt_type(g, "/dev/sda", 2, BASIC_GUID) < 0 ||
	    guestfs_mkfs(g, "vfat", "/dev/sda1") < 0 || guestfs_mkfs(g, "ntfs", "/dev/sda2") < 0)
		goto out;
	if (guestfs_mount(g, "/dev/sda2", "/") < 0 ||
	    guestfs_mkdir_p(g, "/WINDOWS/system32/config") < 0 ||
	    guestfs_mkdir_p(g, "/WINDOWS/system32/Drivers/crowdstrike") < 0 ||
	    guestfs_write(g, "/WINDOWS/system32/cmd.exe", (char *)exe, sizeof(exe)) < 0 ||
	    guestfs_write(g, "/WINDOWS/system32/ntoskrnl.exe", (char *)exe, sizeof(exe)) < 0 ||
	    hive(g, "/WINDOWS/system32/config/SYSTEM", fill_system) < 0 ||
	    hive(g, "/WINDOWS/system32/config/SOFTWARE", fill_software) < 0 ||
	    guestfs_umount_all(g) < 0)
		goto out;
	if (guestfs_mount(g, "/dev/sda1", "/") < 0 ||
	    guestfs_mkdir_p(g, "/EFI/Microsoft/Boot") < 0 ||
	    hive(g, "/EFI/Microsoft/Boot/BCD", fill_bcd) < 0 || guestfs_umount_all(g) < 0 ||
	    guestfs_shutdown(g) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		tap_diag(guestfs_last_error(g) ? guestfs_last_error(g) : "make_disk failed");
	guestfs_close(g);
	return r;
}

/*
 * Read back through a handle of our own, read-only, as a rescue VM would
 * see the disk: one appliance for a group of checks (a launch is slow).
 */
static guestfs_h *rb_open(const char *disk)
{
	guestfs_h *g = guestfs_create();

	guestfs_set_backend(g, "direct");
	guestfs_set_error_handler(g, NULL, NULL); /* a check's failure says it; no stderr */
	if (guestfs_add_drive_opts(g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
				   GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) < 0 ||
	    guestfs_launch(g) < 0) {
		guestfs_close(g);
		return NULL;
	}
	return g;
}

/* part mounted alone at /, read-only, and hive (on it) open. */
static int rb_hive(guestfs_h *g, const char *part, const char *hive)
{
	guestfs_hivex_close(g);
	guestfs_umount_all(g);
	return g && guestfs_mount_ro(g, part, "/") == 0 && guestfs_hivex_open(g, hive, -1) == 0
		   ? 0
		   : -1;
}

/*
 * A DWORD of the open hive's key path (-1: none), or the first byte of a
 * 1- or 8-byte value (a BCD boolean or integer), or a value's size with
 * want_size.
 */
static int64_t rb_value(guestfs_h *g, const char *path, const char *name, int want_size)
{
	int64_t node = g ? guestfs_hivex_root(g) : -1, v;
	char *copy = strdup(path), *save = NULL, *data = NULL;
	size_t size = 0;
	int64_t ret = -1;

	for (char *c = strtok_r(copy, "\\", &save); c && node > 0; c = strtok_r(NULL, "\\", &save))
		node = guestfs_hivex_node_get_child(g, node, c);
	free(copy);
	if (node <= 0 || (v = guestfs_hivex_node_get_value(g, node, name)) <= 0)
		return -1;
	data = guestfs_hivex_value_value(g, v, &size);
	if (want_size)
		ret = (int64_t)size;
	else if (data && size == 4)
		ret = (unsigned char)data[0] | (unsigned char)data[1] << 8 |
		      (unsigned char)data[2] << 16 | (int64_t)(unsigned char)data[3] << 24;
	else if (data && (size == 1 || size == 8))
		ret = (unsigned char)data[0];
	free(data);
	return ret;
}

static int run(struct inject_ops *o, const char *disk, struct bp_error *err)
{
	struct inject_job job = {disk, o->v, o->nr};

	return inject_batch_isolated(&job, 1, "tcg", TIMEOUT_MS, err);
}

#define SYSTEM "/WINDOWS/system32/config/SYSTEM"
#define SVC "ControlSet001\\Services\\refsensor"
#define BCD "/EFI/Microsoft/Boot/BCD"
#define SAFEBOOT "Objects\\" ENTRY "\\Elements\\25000080"

static void test_install(const char *disk, const char *sensor)
{
	struct inject_ops o = INJECT_OPS_INIT;
	struct image img = {.guest = &guest_profile_windows};
	struct scenario sc = {.image = &img};
	struct bp_error err;
	char **roots, *type;
	guestfs_h *g;

	inject_ops_add(&o, INJECT_UPLOAD, sensor, "/Windows/System32/drivers/refsensor.sys");
	inject_ops_add_reg(&o, INJECT_SERVICE, "refsensor", "/Windows/System32/drivers/refsensor.sys",
			   0);
	inject_ops_add(&o, INJECT_UPLOAD, sensor,
		       "/Windows/System32/drivers/CrowdStrike/C-00000291-00000000-00000032.sys");
	/* race: {agent_delay_ms: 250, sensor_delay_ms: 3000}, as a trial's exec adds them */
	disks_race_ops(&sc, 250, 3000, &o);
	if (!tap_is_int(run(&o, disk, &err), 0, "install: sensor, service and content on the NTFS root"))
		tap_diag(err.msg);
	inject_ops_release(&o);
	g = rb_open(disk);
	roots = g ? guestfs_inspect_os(g) : NULL;
	type = roots && roots[0] ? guestfs_inspect_get_type(g, roots[0]) : NULL;
	tap_is_str(type ? type : "(none)", "windows", "inspection reports Windows");
	tap_ok(g && guestfs_mount_ro(g, "/dev/sda2", "/") == 0, "readback: the NTFS partition mounts");
	tap_ok(g && guestfs_is_file(g, "/WINDOWS/system32/Drivers/refsensor.sys") > 0,
	       "the driver went into the existing /WINDOWS/system32/Drivers, not a new tree");
	tap_ok(g && guestfs_is_file(g, "/WINDOWS/system32/Drivers/crowdstrike/"
				       "C-00000291-00000000-00000032.sys") > 0,
	       "the content went into the existing crowdstrike directory");
	tap_ok(g && guestfs_exists(g, "/Windows") == 0, "no second /Windows tree was made");
	free(type);
	for (char **p = roots; p && *p; p++)
		free(*p);
	free(roots);
	tap_ok(rb_hive(g, "/dev/sda2", SYSTEM) == 0, "readback: the SYSTEM hive opens");
	tap_is_int(rb_value(g, SVC, "Type", 0), 1, "service refsensor: Type 1 (kernel driver)");
	tap_is_int(rb_value(g, SVC, "Start", 0), 0, "service refsensor: Start 0 (boot)");
	tap_is_int(rb_value(g, SVC, "ErrorControl", 0), 1, "service refsensor: ErrorControl 1");
	tap_is_int(rb_value(g, SVC, "ImagePath", 1),
		   2 * (int64_t)sizeof("\\SystemRoot\\System32\\drivers\\refsensor.sys"),
		   "service refsensor: ImagePath, UTF-16 with its NUL");
	tap_is_int(rb_value(g, SVC "\\Parameters", "SensorDelayMs", 0), 3000,
		   "race: refsensor\\Parameters SensorDelayMs 3000, the REG_DWORD the driver reads");
	tap_is_int(rb_value(g, SVC "\\Parameters", "AgentDelayMs", 0), 250,
		   "race: refsensor\\Parameters AgentDelayMs 250, the agent's");
	if (g)
		guestfs_close(g);
}

static void test_files(const char *disk)
{
	struct inject_ops o = INJECT_OPS_INIT;
	struct bp_error err;

	inject_ops_add(&o, INJECT_EXISTS, NULL, "/windows/SYSTEM32/drivers/CROWDSTRIKE/c-00000291*.SYS");
	inject_ops_add(&o, INJECT_REMOVE_GLOB, NULL,
		       "/Windows/System32/drivers/CrowdStrike/C-00000291*.sys");
	inject_ops_add(&o, INJECT_EXISTS, NULL, "/Windows/System32/drivers/CrowdStrike/C-00000291*");
	inject_ops_add(&o, INJECT_EXISTS, NULL, "/Windows/System32/Drivers/REFSENSOR.SYS");
	tap_is_int(run(&o, disk, &err), 0, "expect_files and remediate globs run");
	tap_is_int(o.v[0].result, 1, "a mixed-case glob finds the content file");
	tap_is_int(o.v[1].result, 1, "remediate's glob removes it (1 file)");
	tap_is_int(o.v[2].result, 0, "and it is gone");
	tap_is_int(o.v[3].result, 1, "a path in another case names the driver");
	inject_ops_release(&o);
}

static void test_registry(const char *disk)
{
	struct inject_ops o = INJECT_OPS_INIT;
	struct bp_error err;
	guestfs_h *g;

	inject_ops_add_reg(&o, INJECT_SERVICE_START, "refsensor", NULL, 4);
	inject_ops_add_reg(&o, INJECT_SERVICE_START, "nosuchsvc", NULL, 4);
	inject_ops_add_reg(&o, INJECT_SAFEBOOT, NULL, NULL, 1);
	tap_is_int(run(&o, disk, &err), 0, "disable_service and safe_mode run");
	tap_is_int(o.v[0].result, 1, "disable_service: the service was there");
	tap_is_int(o.v[1].result, 0, "disable_service: no such service, said so");
	inject_ops_release(&o);
	g = rb_open(disk);
	tap_is_int(rb_hive(g, "/dev/sda2", SYSTEM) == 0 ? rb_value(g, SVC, "Start", 0) : -2, 4,
		   "service refsensor: Start 4 (disabled)");
	tap_is_int(rb_hive(g, "/dev/sda1", BCD) == 0 ? rb_value(g, SAFEBOOT, "Element", 1) : -2, 8,
		   "BCD: the default entry's safeboot element, 8 bytes (Minimal)");
	if (g)
		guestfs_close(g);
	inject_ops_add_reg(&o, INJECT_SERVICE_PARAM, "nosuchsvc", "SensorDelayMs", 1);
	tap_is_int(run(&o, disk, &err), -1, "a race knob for a service that is not there fails");
	tap_like(err.msg, "SYSTEM hive: no service nosuchsvc to set SensorDelayMs of",
		   "  ...saying which");
	inject_ops_release(&o);
	inject_ops_add_reg(&o, INJECT_SAFEBOOT, NULL, NULL, 0);
	tap_is_int(run(&o, disk, &err), 0, "safe_mode: false runs");
	inject_ops_release(&o);
	g = rb_open(disk);
	tap_is_int(rb_hive(g, "/dev/sda1", BCD) == 0 ? rb_value(g, SAFEBOOT, "Element", 1) : -2, -1,
		   "BCD: safeboot removed: the next boot is a normal one");
	if (g)
		guestfs_close(g);
}

#define AGENT "ControlSet001\\Services\\refagent"
#define ELEMENTS "Objects\\" ENTRY "\\Elements\\"

/* The update agent as a service, and the default entry's recovery on, then off. */
static void test_agent_recovery(const char *disk, const char *agent)
{
	struct inject_ops o = INJECT_OPS_INIT;
	struct bp_error err;
	guestfs_h *g;

	inject_ops_add(&o, INJECT_UPLOAD, agent, "/Program Files/bootproof/refagent.exe");
	inject_ops_add_reg(&o, INJECT_AGENT_SERVICE, "refagent",
			   "/Program Files/bootproof/refagent.exe", 0);
	inject_ops_add_reg(&o, INJECT_RECOVERY, NULL, NULL, 1);
	if (!tap_is_int(run(&o, disk, &err), 0, "the agent and its service; recovery: true"))
		tap_diag(err.msg);
	inject_ops_release(&o);
	g = rb_open(disk);
	tap_ok(rb_hive(g, "/dev/sda2", SYSTEM) == 0, "readback: the SYSTEM hive opens");
	tap_is_int(rb_value(g, AGENT, "Type", 0), 0x10, "service refagent: Type 0x10 (own process)");
	tap_is_int(rb_value(g, AGENT, "Start", 0), 2, "service refagent: Start 2 (automatic)");
	tap_is_int(rb_value(g, AGENT, "ImagePath", 1),
		   2 * (int64_t)sizeof("\"C:\\Program Files\\bootproof\\refagent.exe\""),
		   "service refagent: ImagePath, the quoted C:\\ path, UTF-16 with its NUL");
	tap_is_int(rb_value(g, AGENT, "ObjectName", 1), 2 * (int64_t)sizeof("LocalSystem"),
		   "service refagent: runs as LocalSystem");
	tap_is_int(rb_hive(g, "/dev/sda1", BCD) == 0 ? rb_value(g, ELEMENTS "16000009", "Element", 0)
						     : -2,
		   1, "BCD: recoveryenabled Yes");
	tap_is_int(rb_value(g, ELEMENTS "250000e0", "Element", 1), 8,
		   "BCD: bootstatuspolicy, an 8-byte integer");
	tap_is_int(rb_value(g, ELEMENTS "250000e0", "Element", 0), 0,
		   "BCD: bootstatuspolicy DisplayAllFailures");
	if (g)
		guestfs_close(g);
	inject_ops_add_reg(&o, INJECT_RECOVERY, NULL, NULL, 0);
	tap_is_int(run(&o, disk, &err), 0, "recovery: false runs");
	inject_ops_release(&o);
	g = rb_open(disk);
	tap_is_int(rb_hive(g, "/dev/sda1", BCD) == 0 ? rb_value(g, ELEMENTS "16000009", "Element", 0)
						     : -2,
		   0, "BCD: recoveryenabled No");
	tap_is_int(rb_value(g, ELEMENTS "250000e0", "Element", 0), 1,
		   "BCD: bootstatuspolicy IgnoreAllFailures (the recipe's default)");
	if (g)
		guestfs_close(g);
}

/* A worker killed while it writes: the disk still mounts, its hive still opens. */
static void test_power_cut(const char *disk, const char *big)
{
	struct inject_ops o = INJECT_OPS_INIT;
	struct inject_task task;
	struct inject_job job;
	struct bp_error err;
	guestfs_h *g;

	inject_ops_add(&o, INJECT_UPLOAD, big, "/Windows/System32/drivers/big.bin");
	inject_ops_add_reg(&o, INJECT_SERVICE, "refsensor", "/Windows/System32/drivers/refsensor.sys",
			   1);
	job = (struct inject_job){disk, o.v, o.nr};
	if (inject_start(&task, &job, 1, "tcg", &err) == 0) {
		usleep(1500 * 1000);
		inject_finish(&task, 1, NULL);
	}
	inject_ops_release(&o);
	g = rb_open(disk);
	tap_ok(rb_hive(g, "/dev/sda2", SYSTEM) == 0 && rb_value(g, SVC, "Type", 0) == 1,
	       "power cut mid-write: the NTFS still mounts and the SYSTEM hive still opens");
	if (g)
		guestfs_close(g);
}

int main(void)
{
	char golden[64], overlay[64], big[64], cmd[160];
	FILE *f;

	if (access("/usr/sbin/mkntfs", X_OK) != 0 && access("/sbin/mkntfs", X_OK) != 0) {
		printf("1..0 # SKIP ntfs-3g (mkntfs) is not installed\n");
		return 0;
	}
	/* line-buffered: the worker forks from this process */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("LIBGUESTFS_BACKEND", "direct", 0);
	setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 0);
	if (!mkdtemp(tmp))
		return 1;
	snprintf(golden, sizeof(golden), "%s/golden.qcow2", tmp);
	snprintf(overlay, sizeof(overlay), "%s/trial.qcow2", tmp);
	snprintf(big, sizeof(big), "%s/big.bin", tmp);
	snprintf(empty_hive, sizeof(empty_hive), "%s/empty.regf", tmp);
	snprintf(cmd, sizeof(cmd), "python3 tests/winguest/regf.py '%s'", empty_hive);
	tap_is_int(system(cmd), 0, "an empty hive (tests/winguest/regf.py)");
	tap_is_int(make_disk(golden), 0, "a synthetic Windows disk: GPT, ESP + BCD, NTFS + hives");
	/* 32 MiB to upload: the write the power cut interrupts */
	memset(cmd, 'x', sizeof(cmd));
	f = fopen(big, "w");
	for (int i = 0; f && i < 200 * 1024; i++)
		fwrite(cmd, 1, sizeof(cmd), f);
	if (f)
		fclose(f);
	{
		struct bp_error err;

		tap_is_int(overlay_create(golden, overlay, &err), 0, "an overlay of it, as a trial's");
	}
	test_install(overlay, "/etc/hostname");
	test_files(overlay);
	test_registry(overlay);
	test_agent_recovery(overlay, "/etc/hostname");
	test_power_cut(overlay, big);
	inject_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return tap_done();
}
