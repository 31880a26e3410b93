/*
 * t-snapshot - golden snapshots (harness/backend/qemu/snapshot.h) on the real reference
 * guest: build one into a temporary cache, reuse it, restore it into a
 * trial overlay (a template clone of its RAM file) and talk to the restored
 * guest's shell, whose writes leave the RAM file as it was, refuse a
 * restore whose options differ or whose state QEMU rejects, rebuild when an
 * input changes (one byte of a copy of the kernel), when the state file is
 * truncated and when the RAM file is truncated or edited, find nothing
 * usable after a build killed during its boot, and leave the golden disk
 * and the process table as they were.
 *
 * A build is a boot of the guest (~8 s under TCG), plus a libguestfs
 * launch (~15 s) when it has ops: so one snapshot ("linux-v1") has the
 * sensor and its agent uploaded and shows that the restored guest runs
 * them (the agent takes a live push over the update channel), and a second
 * one without ops ("linux-plain", on a copy of the kernel) goes through the
 * rebuilds. Skipped when build/images/linux is not built.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "detect.h"
#include "disks.h"
#include "hash.h"
#include "inject.h"
#include "qmp.h"
#include "snapshot.h"
#include "tap.h"
#include "update.h"
#include "vm.h"

#define IMG "build/images/linux"
#define SENSOR "build/sensor/v1/refsensor.ko"
#define AGENT "sensor/agent"
#define GOOD "build/content/c291-good.sys"
#define READY "bootproof: boot complete"
/* bootproof.shell: init starts a shell on the console after the marker */
#define APPEND "console=ttyS0 oops=panic panic=1 bootproof.shell"

static char tmp[] = "/tmp/t-snapshot.XXXXXX";
static int have_tmp;

static void bail(const char *what, const struct bp_error *err)
{
	printf("Bail out! %s: %s\n", what, err ? err->msg : strerror(errno));
	proc_kill_all();
	if (have_tmp)
		remove_tree(tmp);
	exit(1);
}

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static int copy_file(const char *from, const char *to)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = read_file(from, &sb, NULL) < 0 ? -1 : write_file_atomic(to, sb.buf, sb.len, NULL);

	strbuf_release(&sb);
	return ret;
}

static int file_contains(const char *path, const char *needle)
{
	struct strbuf sb = STRBUF_INIT;
	int found = read_file(path, &sb, NULL) == 0 && strstr(sb.buf, needle);

	strbuf_release(&sb);
	return found;
}

/* XXH64 of a whole file (0 if it cannot be read). */
static uint64_t file_hash(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t h = read_file(path, &sb, NULL) == 0 ? xxh64(sb.buf, sb.len) : 0;

	strbuf_release(&sb);
	return h;
}

static double ms_since(int64_t t0_ns)
{
	return (double)(now_ns() - t0_ns) / 1e6;
}

/* Processes whose parent is this one, or whose command line names dir. */
static int count_processes(const char *dir)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		struct strbuf sb = STRBUF_INIT;
		char *path, *p;
		long ppid = 0;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		path = xasprintf("/proc/%s/stat", de->d_name);
		if (read_file(path, &sb, NULL) == 0 && (p = strrchr(sb.buf, ')')) &&
		    sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == getpid())
			n++;
		free(path);
		strbuf_reset(&sb);
		path = xasprintf("/proc/%s/cmdline", de->d_name);
		if (read_file(path, &sb, NULL) == 0) {
			for (size_t i = 0; i < sb.len; i++)
				if (!sb.buf[i])
					sb.buf[i] = ' ';
			if (ppid != getpid() && strstr(sb.buf, dir))
				n++;
		}
		free(path);
		strbuf_release(&sb);
	}
	if (d)
		closedir(d);
	return n;
}

/* ---- the restored guest's console ---- */

struct talk {
	struct console con;
	struct detector *det;
	const char *want;
	int found;
	int crashes;
	char crash_title[256];
};

static void take_crashes(struct talk *t)
{
	struct crash c;

	while (detector_next(t->det, &c)) {
		if (!t->crashes++)
			snprintf(t->crash_title, sizeof(t->crash_title), "%s", c.title);
		crash_release(&c);
	}
}

static void talk_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct talk *t = ctx;

	if (t->want && strstr(line, t->want))
		t->found = 1;
	detector_line(t->det, line, len, lineno);
	take_crashes(t);
}

/*
 * Send cmd (if any) to the console and read it until a line contains want
 * (NULL: read for the whole time): 1 if seen, 0 if not, -1 on EOF.
 */
static int talk(struct vm *vm, struct talk *t, const char *cmd, const char *want, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	if (cmd && write(vm->serial_fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -1;
	t->want = want;
	t->found = 0;
	while (!t->found) {
		struct pollfd p = {vm->serial_fd, POLLIN, 0};
		int64_t left = deadline - now_ms();
		char buf[4096];
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(vm->serial_fd, buf, sizeof(buf));
		if (n == 0)
			return -1;
		if (n > 0)
			console_feed(&t->con, buf, (size_t)n);
	}
	t->want = NULL;
	return t->found;
}

/*
 * Push good content live to the restored guest's agent (whose HELLO was
 * said to the build) and wait for its DONE: 1 if the module loaded it.
 */
static int push_live(struct vm *vm, struct talk *t, struct bp_error *err)
{
	struct update *u = update_new(vm->update_fd);
	const struct update_state *st = update_state(u);
	int64_t deadline = now_ms() + 15000;
	int ret = -1;

	vm->update_fd = -1;
	update_resume(u);
	if (update_push(u, GOOD, "C-00000291-00000000-00000001.sys", 0, err) < 0)
		goto out;
	while (!st->pushes_done && !st->protocol_error && now_ms() < deadline) {
		struct pollfd p[2] = {
		    {update_fd(u), (short)(POLLIN | (update_want_write(u) ? POLLOUT : 0)), 0},
		    {vm->serial_fd, POLLIN, 0}};
		char buf[4096];
		ssize_t n;

		if (update_fd(u) < 0) {
			error_set(err, "the update channel closed");
			goto out;
		}
		if (poll(p, 2, 200) <= 0)
			continue;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && update_on_readable(u, err) < 0)
			goto out;
		if ((p[0].revents & POLLOUT) && update_fd(u) >= 0 && update_on_writable(u, err) < 0)
			goto out;
		if ((p[1].revents & POLLIN) && (n = read(vm->serial_fd, buf, sizeof(buf))) > 0)
			console_feed(&t->con, buf, (size_t)n);
	}
	if (!st->pushes_done) {
		error_set(err, "no DONE from the agent%s%s", st->protocol_error ? ": " : "",
			  st->protocol_msg);
		goto out;
	}
	ret = st->push_loaded;
out:
	update_free(u);
	return ret;
}

static char *query_status(struct vm *vm)
{
	struct bp_error err;
	char *status = NULL;

	if (qmp_query_status(vm->qmp, &status, &err) < 0)
		return xasprintf("error: %s", err.msg);
	return status;
}

/* ---- the steps ---- */

static void test_bad_specs(const struct snapshot_spec *good)
{
	struct snapshot_spec spec = *good;
	struct snapshot s;
	struct bp_error err = {""};

	spec.cache_dir = "relative/cache";
	tap_is_int(snapshot_ensure(&spec, &s, NULL, &err), -1,
		   "a relative cache directory is refused");
	tap_like(err.msg, "absolute", "... and the error says why");
	spec = *good;
	spec.name = "a/b";
	tap_is_int(snapshot_ensure(&spec, &s, NULL, &err), -1, "a name with '/' is refused");
	spec = *good;
	spec.ready = "";
	tap_is_int(snapshot_ensure(&spec, &s, NULL, &err), -1, "an empty ready pattern is refused");
	spec = *good;
	spec.vm.guest = NULL;
	tap_is_int(snapshot_ensure(&spec, &s, NULL, &err), -1, "a spec without a guest profile is refused");
	spec = *good;
	spec.boot = NULL;
	tap_is_int(snapshot_ensure(&spec, &s, NULL, &err), -1,
		   "a spec without a boot to the ready point is refused");
	snapshot_release(&s);
}

/*
 * Restore s into a new overlay under tmp/NAME, let it run, and talk to its
 * shell; sensor: whether the spec uploaded and so the guest loaded it.
 */
static void test_restore(const struct snapshot_spec *spec, const struct snapshot *s,
			 const char *name, int sensor)
{
	char *dir = path_in(tmp, name), *overlay = path_in(dir, "disk.qcow2");
	struct vm_config cfg = spec->vm;
	struct vm vm;
	struct talk t = {.det = detector_new()};
	struct bp_error err = {""};
	char *status, msg[256], want[32];
	int64_t t0;
	double restored_ms, running_ms;
	int r;

	struct stat ram_st, ram_st2;
	uint64_t ram_hash = file_hash(s->ram);

	console_init(&t.con, talk_line, &t);
	if (mkdir(dir, 0755) < 0 || overlay_create(s->disk, overlay, &err) < 0 ||
	    stat(s->ram, &ram_st) < 0)
		bail("cannot create the trial overlay", &err);
	cfg.disk = overlay;
	cfg.run_dir = dir;
	t0 = now_ns();
	r = vm_start_restored(&vm, &cfg, s, 30000, &err);
	restored_ms = ms_since(t0);
	if (!tap_is_int(r, 0, "restore: vm_start_restored() succeeds")) {
		tap_diag(err.msg);
		goto out;
	}
	status = query_status(&vm);
	tap_is_str(status, "paused", "restore: the guest waits, paused, for cont");
	free(status);
	r = vm_cont(&vm, &err);
	running_ms = ms_since(t0);
	tap_is_int(r, 0, "restore: cont");
	status = query_status(&vm);
	tap_is_str(status, "running", "restore: query-status says running");
	free(status);
	snprintf(msg, sizeof(msg),
		 "restore: %.0f ms from vm_start_restored() to migration completed, %.0f ms to "
		 "running",
		 restored_ms, running_ms);
	tap_diag(msg);

	/*
	 * The restored guest answers on its console: its disk (the trial overlay
	 * over the base disk) shows the build's one boot and the uploaded sensor,
	 * and the sensor module is loaded. The answer never appears in the
	 * echoed command itself.
	 */
	snprintf(want, sizeof(want), "BP-1-%d-%d-%d", sensor, sensor, sensor);
	r = talk(&vm, &t,
		 "echo BP-$(cat /system/bootproof/boots)-$(grep -c '^refsensor ' /proc/modules)-"
		 "$(ls /system/sensor/refsensor.ko 2>/dev/null | wc -l)-"
		 "$(ps | grep -c '[a]gent boot')\n",
		 want, 15000);
	snprintf(msg, sizeof(msg), "restore: first answer on the console %.0f ms after the call",
		 ms_since(t0));
	tap_diag(msg);
	if (!tap_is_int(r, 1,
			sensor ? "restore: the guest's shell answers (boot 1 on its disk, "
				 "sensor uploaded and loaded, agent running)"
			       : "restore: the guest's shell answers (boot 1 on its disk)"))
		tap_diag(want);
	if (sensor) {
		t0 = now_ns();
		r = push_live(&vm, &t, &err);
		if (!tap_is_int(r, 1,
				"restore: the agent takes a live push and the sensor loads it"))
			tap_diag(err.msg);
		snprintf(msg, sizeof(msg), "restore: live push to DONE %.0f ms", ms_since(t0));
		tap_diag(msg);
	}
	/* the trial writes to its own overlay only */
	r = talk(&vm, &t, "echo trial >/system/trial-wrote && sync && echo WROTE-$((40+2))\n",
		 "WROTE-42", 10000);
	tap_is_int(r, 1, "restore: the guest writes to its disk");
	/* and to its memory: a 4 MB shell variable, the page cache, the kernel's own */
	r = talk(&vm, &t,
		 "x=$(head -c 4000000 /dev/zero | tr '\\0' a); echo FILLED-${#x}-$((1+1))\n",
		 "FILLED-4000000-2", 20000);
	tap_is_int(r, 1, "restore: the guest writes 4 MB of its memory");
	r = talk(&vm, &t, NULL, NULL, 1000);
	tap_ok(r == 0 && !vm_reap(&vm), "restore: qemu still runs 1 s later");
	console_finish(&t.con);
	detector_flush(t.det);
	take_crashes(&t);
	if (!tap_is_int(t.crashes, 0, "restore: no crash report on the console"))
		tap_diag(t.crash_title);
	vm_stop(&vm, 5000);
	tap_ok(vm.proc.exit == PROC_EXITED && vm.proc.code == 0, "restore: qemu quits cleanly");
	tap_ok(file_hash(s->ram) == ram_hash && stat(s->ram, &ram_st2) == 0 &&
		   ram_st2.st_mtim.tv_sec == ram_st.st_mtim.tv_sec &&
		   ram_st2.st_mtim.tv_nsec == ram_st.st_mtim.tv_nsec,
	       "restore: the clone's writes left the RAM file as it was (hash, mtime)");
out:
	vm_release(&vm);
	detector_free(t.det);
	free(overlay);
	free(dir);
}

/* Two trials restored from one snapshot run at once (-j 2), each on its own overlay. */
static void test_parallel_restores(const struct snapshot_spec *spec, const struct snapshot *s)
{
	struct vm vm[2];
	struct talk t[2];
	struct bp_error err = {""};
	char *dir[2], *overlay[2];
	int ok[2] = {0, 0};

	for (int i = 0; i < 2; i++) {
		struct vm_config cfg = spec->vm;

		dir[i] = xasprintf("%s/parallel%d", tmp, i);
		overlay[i] = path_in(dir[i], "disk.qcow2");
		t[i] = (struct talk){.det = detector_new()};
		console_init(&t[i].con, talk_line, &t[i]);
		if (mkdir(dir[i], 0755) < 0 || overlay_create(s->disk, overlay[i], &err) < 0)
			bail("cannot create the trial overlay", &err);
		cfg.disk = overlay[i];
		cfg.run_dir = dir[i];
		ok[i] = vm_start_restored(&vm[i], &cfg, s, 30000, &err) == 0;
		if (!ok[i])
			tap_diag(err.msg);
	}
	tap_ok(ok[0] && ok[1], "parallel: two restores of one snapshot at once");
	for (int i = 0; i < 2 && ok[0] && ok[1]; i++) {
		char cmd[64], want[16];

		vm_cont(&vm[i], &err);
		snprintf(cmd, sizeof(cmd), "echo PAR-$((%d+100))\n", i);
		snprintf(want, sizeof(want), "PAR-%d", i + 100);
		ok[i] = talk(&vm[i], &t[i], cmd, want, 15000) == 1;
	}
	tap_ok(ok[0] && ok[1], "parallel: both guests answer");
	for (int i = 0; i < 2; i++) {
		vm_release(&vm[i]);
		detector_free(t[i].det);
		free(overlay[i]);
		free(dir[i]);
	}
}

/* Restores that must fail: other qemu options, a state QEMU rejects, a state that changed. */
static void test_refused_restores(const struct snapshot_spec *spec, const struct snapshot *s)
{
	char *dir = path_in(tmp, "refused"), *overlay = path_in(dir, "disk.qcow2");
	char *bad = path_in(tmp, "bad-state");
	struct vm_config cfg = spec->vm;
	struct snapshot copy = *s;
	struct strbuf sb = STRBUF_INIT;
	struct vm vm;
	struct bp_error err = {""};
	struct stat st;
	int r;

	if (mkdir(dir, 0755) < 0 || overlay_create(s->disk, overlay, &err) < 0)
		bail("cannot create the trial overlay", &err);
	cfg.disk = overlay;
	cfg.run_dir = dir;

	cfg.memory_mib = spec->vm.memory_mib * 2;
	r = vm_start_restored(&vm, &cfg, s, 30000, &err);
	vm_release(&vm);
	tap_is_int(r, -1, "refused: a trial with other memory cannot restore the snapshot");
	tap_like(err.msg, "options differ", "... and the error says why");
	cfg.memory_mib = spec->vm.memory_mib;

	/* an overlay of the golden disk, not of the snapshot's base disk */
	free(overlay);
	overlay = path_in(dir, "golden-overlay.qcow2");
	if (overlay_create(spec->golden, overlay, &err) < 0)
		bail("cannot create an overlay", &err);
	cfg.disk = overlay;
	r = vm_start_restored(&vm, &cfg, s, 30000, &err);
	vm_release(&vm);
	tap_is_int(r, -1, "refused: a trial disk that is not an overlay of the base disk");
	tap_like(err.msg, "is not an overlay of its base disk", "... and the error says why");
	/* an overlay the first trial's guest wrote to */
	free(overlay);
	overlay = path_in(tmp, "trial1/disk.qcow2");
	cfg.disk = overlay;
	r = vm_start_restored(&vm, &cfg, s, 30000, &err);
	vm_release(&vm);
	tap_is_int(r, -1, "refused: a trial disk that was written to");
	tap_like(err.msg, "has been written to", "... and the error says why");
	free(overlay);
	overlay = path_in(dir, "disk.qcow2");
	cfg.disk = overlay;

	/* same size, but not a migration stream: QEMU itself refuses it */
	if (read_file(s->state, &sb, &err) < 0)
		bail("cannot read the state", &err);
	memset(sb.buf, 0, sb.len < 65536 ? sb.len : 65536);
	if (write_file_atomic(bad, sb.buf, sb.len, &err) < 0)
		bail("cannot write the bad state", &err);
	/* white box: a snapshot whose checked state is that file */
	copy.state = bad;
	if (stat(bad, &st) < 0)
		bail("cannot stat the bad state", NULL);
	copy.state_dev = (uint64_t)st.st_dev;
	copy.state_ino = (uint64_t)st.st_ino;
	r = vm_start_restored(&vm, &cfg, &copy, 30000, &err);
	tap_is_int(r, -1, "refused: qemu rejects a state that is not a migration stream");
	tap_like(err.msg, s->dir, "... the error names the snapshot");
	tap_like(err.msg, "(qemu: ", "... and carries qemu's own message");
	tap_diag(err.msg);
	tap_ok(vm.proc.pid <= 0, "... and qemu is gone");
	vm_release(&vm);

	/* a state that changed size since snapshot_ensure() checked it */
	if (truncate(bad, (off_t)(sb.len / 2)) < 0)
		bail("cannot truncate", NULL);
	r = vm_start_restored(&vm, &cfg, &copy, 30000, &err);
	vm_release(&vm);
	tap_is_int(r, -1, "refused: a state whose size changed since the check");
	tap_like(err.msg, "changed since it was checked", "... and the error says why");

	/* a RAM file replaced since the check (QEMU would map whatever is at the path) */
	copy = *s;
	free(bad);
	bad = path_in(tmp, "other-ram");
	if (write_file_atomic(bad, "", 0, &err) < 0 || truncate(bad, (off_t)s->ram_size) < 0)
		bail("cannot make another RAM file", &err);
	copy.ram = bad;
	r = vm_start_restored(&vm, &cfg, &copy, 30000, &err);
	vm_release(&vm);
	tap_is_int(r, -1, "refused: a RAM file that is not the one checked");
	tap_like(err.msg, "RAM file", "... and the error says so");
	strbuf_release(&sb);
	free(bad);
	free(overlay);
	free(dir);
}

static void list_dir(const char *path, struct strbuf *sb);

/*
 * The RAM file is part of the snapshot: truncated, then edited (one byte),
 * it is moved aside and rebuilt, never used; *s becomes the rebuilt one.
 */
static void test_ram_checked(const struct snapshot_spec *spec, struct snapshot *s)
{
	for (int edit = 0; edit < 2; edit++) {
		const char *what = edit ? "edited RAM file" : "truncated RAM file";
		struct bp_error err = {""};
		struct snapshot n;
		struct stat st;
		char msg[128], byte;
		int built = -1, fd;

		if (chmod(s->ram, 0644) < 0 || stat(s->ram, &st) < 0)
			bail("cannot chmod the RAM file", NULL);
		if (edit) {
			fd = open(s->ram, O_RDWR);
			if (fd < 0 || pread(fd, &byte, 1, 1 << 20) != 1)
				bail("cannot read the RAM file", NULL);
			byte ^= 0x5a;
			if (pwrite(fd, &byte, 1, 1 << 20) != 1)
				bail("cannot write the RAM file", NULL);
			close(fd);
		} else if (truncate(s->ram, st.st_size - 4096) < 0) {
			bail("cannot truncate the RAM file", NULL);
		}
		snprintf(msg, sizeof(msg), "%s: snapshot_ensure()", what);
		if (!tap_is_int(snapshot_ensure(spec, &n, &built, &err), 0, msg))
			bail("cannot rebuild the snapshot", &err);
		snprintf(msg, sizeof(msg), "%s: rebuilt, not used", what);
		tap_is_int(built, 1, msg);
		if (!tap_like(n.why, edit ? "/ram' has changed" : "/ram' is ",
			      "... and why names the RAM file"))
			tap_diag(n.why ? n.why : "(null)");
		tap_ok(stat(n.ram, &st) == 0 && (st.st_mode & 07777) == 0444 &&
			   st.st_size == (off_t)spec->vm.memory_mib << 20,
		       "... a whole, read-only RAM file again");
		snapshot_release(s);
		*s = n;
	}
}

/*
 * A build killed during its boot (the RAM file being written) leaves
 * nothing usable: no snapshot directory, and the next snapshot_ensure()
 * builds one and removes the killed build's directory.
 */
static void test_killed_build(const struct snapshot_spec *plain)
{
	struct snapshot_spec spec = *plain;
	struct bp_error err = {""};
	struct snapshot s;
	struct strbuf sb = STRBUF_INIT;
	char *top = path_in(plain->cache_dir, "linux-killed"), *tmpdir, *log;
	int64_t deadline = now_ms() + 120000;
	int built = -1, seen = 0;
	pid_t pid;

	spec.name = "linux-killed";
	pid = fork();
	if (pid < 0)
		bail("fork", NULL);
	if (pid == 0) {
		snapshot_ensure(&spec, &s, NULL, &err);
		_exit(0);
	}
	tmpdir = xasprintf("%s/.tmp.%ld", top, (long)pid);
	log = path_in(tmpdir, "boot.log");
	/* killed once the guest runs: its console has started, its RAM is being written */
	while (!seen && now_ms() < deadline) {
		struct stat st;

		seen = stat(log, &st) == 0 && st.st_size > 0;
		if (!seen)
			usleep(20000);
	}
	tap_ok(seen, "killed build: the build's guest was booting");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	tap_ok(access(tmpdir, F_OK) == 0, "killed build: its directory is left behind");
	list_dir(top, &sb);
	{
		/* nothing but the hash cache and the killed build's directory */
		char *want = xasprintf(".tmp.%ld ", (long)pid);

		if (!tap_ok(sb.len == strlen(want) + strlen("hashes ") && strstr(sb.buf, want),
			    "killed build: no snapshot directory (nothing usable)"))
			tap_diag(sb.buf);
		free(want);
	}
	if (!tap_is_int(snapshot_ensure(&spec, &s, &built, &err), 0,
			"killed build: snapshot_ensure() afterwards"))
		tap_diag(err.msg);
	tap_is_int(built, 1, "killed build: built anew");
	tap_is_str(s.why, "none existed", "killed build: why");
	tap_ok(access(tmpdir, F_OK) < 0 && errno == ENOENT,
	       "killed build: the killed build's directory was removed");
	snapshot_release(&s);
	strbuf_release(&sb);
	free(log);
	free(tmpdir);
	free(top);
}

/*
 * No room for the RAM file (a full file system, here a file size limit):
 * a clear error before any boot, and nothing left in the cache.
 */
static void test_no_space(const struct snapshot_spec *plain)
{
	struct snapshot_spec spec = *plain;
	struct strbuf sb = STRBUF_INIT;
	char *top = path_in(plain->cache_dir, "linux-nospace"), msg[512] = "";
	int pfd[2], status = -1;
	ssize_t n;
	pid_t pid;

	spec.name = "linux-nospace";
	if (pipe(pfd) < 0 || (pid = fork()) < 0)
		bail("fork", NULL);
	if (pid == 0) {
		struct rlimit lim = {64 << 20, 64 << 20};
		struct bp_error err = {""};
		struct snapshot s;
		int r;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &lim);
		r = snapshot_ensure(&spec, &s, NULL, &err);
		dprintf(pfd[1], "%d %s", r, err.msg);
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	tap_like(msg, "-1 ", "no space: snapshot_ensure() fails");
	if (!tap_like(msg, "cannot allocate 256 MiB for the guest RAM file",
		      "... with a clear error"))
		tap_diag(msg);
	list_dir(top, &sb);
	if (!tap_ok(!strcmp(sb.buf, "hashes ") || !sb.len,
		    "no space: nothing left in the cache but the hash cache"))
		tap_diag(sb.buf);
	strbuf_release(&sb);
	free(top);
}

/* The names in a directory, each followed by a space. */
static void list_dir(const char *path, struct strbuf *sb)
{
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			strbuf_adds(sb, de->d_name);
			strbuf_addch(sb, ' ');
		}
	if (d)
		closedir(d);
}

int main(void)
{
	const char *inputs[] = {
	    IMG "/vmlinux", IMG "/initrd.img", IMG "/system.qcow2", SENSOR, AGENT, GOOD};
	struct inject_op ops[] = {{INJECT_UPLOAD, SENSOR, "/sensor/refsensor.ko", 0, NULL, 0},
				  {INJECT_UPLOAD, AGENT, "/sensor/agent", 0, NULL, 0}};
	struct snapshot s1, s2, p1, p2, p3;
	struct snapshot_spec spec, plain;
	struct strbuf golden_before = STRBUF_INIT, golden_after = STRBUF_INIT, sb = STRBUF_INIT;
	struct bp_error err = {""};
	struct stat st, golden_st, st2;
	char golden[PATH_MAX], msg[256];
	char *cache, *kernel, *top, *path, *old_dir;
	int built = -1, fd;
	int64_t t0;
	off_t state_size;

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++)
		if (access(inputs[i], R_OK) < 0) {
			printf("1..0 # SKIP %s is not built (make guest)\n", inputs[i]);
			return 0;
		}
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmp) || !realpath(IMG "/system.qcow2", golden))
		bail("setup", NULL);
	have_tmp = 1;
	cache = path_in(tmp, "cache");
	kernel = path_in(tmp, "vmlinux");
	top = path_in(cache, "linux-plain");
	if (copy_file(IMG "/vmlinux", kernel) < 0 || stat(golden, &golden_st) < 0 ||
	    read_file(golden, &golden_before, &err) < 0)
		bail("setup", &err);
	spec = (struct snapshot_spec){
	    .cache_dir = cache,
	    .name = "linux-v1",
	    .vm = {.guest = &guest_profile_linux,
		   .accel = "tcg",
		   .kernel = IMG "/vmlinux",
		   .initrd = IMG "/initrd.img",
		   .append = APPEND,
		   .memory_mib = 256},
	    .golden = golden,
	    .ops = ops,
	    .nr_ops = ARRAY_SIZE(ops),
	    .ready = READY,
	    .boot_timeout_ms = 120000,
	    .boot = disks_snapshot_boot,
	};
	plain = spec;
	plain.name = "linux-plain";
	plain.vm.kernel = kernel;
	plain.ops = NULL;
	plain.nr_ops = 0;

	test_bad_specs(&spec);
	test_no_space(&plain);

	/* 1. none exists: built (with the sensor uploaded) */
	t0 = now_ns();
	if (!tap_is_int(snapshot_ensure(&spec, &s1, &built, &err), 0, "build: snapshot_ensure()"))
		bail("cannot build the snapshot", &err);
	snprintf(msg, sizeof(msg), "build (libguestfs upload + boot + save): %.1f s",
		 ms_since(t0) / 1000);
	tap_diag(msg);
	tap_is_int(built, 1, "build: it was built");
	tap_is_str(s1.why, "none existed", "build: why");
	path = path_in(cache, "linux-v1/");
	tap_ok(!strncmp(s1.dir, path, strlen(path)), "build: under cache_dir/NAME");
	free(path);
	tap_ok(stat(s1.state, &st) == 0 && (st.st_mode & 07777) == 0444 && st.st_size > 0,
	       "build: the state is read-only");
	snprintf(msg, sizeof(msg), "build: state %.1f MiB", (double)st.st_size / (1 << 20));
	tap_diag(msg);
	tap_ok(st.st_size < 16 << 20, "build: the state holds the devices, not the RAM");
	tap_ok(stat(s1.ram, &st) == 0 && (st.st_mode & 07777) == 0444 &&
		   st.st_size == (off_t)256 << 20,
	       "build: the RAM file is read-only and -m bytes long");
	snprintf(msg, sizeof(msg), "build: RAM file %.1f MiB on disk", (double)st.st_blocks / 2048);
	tap_diag(msg);
	tap_ok(stat(s1.disk, &st) == 0 && (st.st_mode & 07777) == 0444,
	       "build: the base disk is read-only");
	path = path_in(s1.dir, "boot.log");
	tap_ok(file_contains(path, READY), "build: boot.log holds the ready line");
	tap_ok(file_contains(path, "refsensor-agent: no update"),
	       "build: the agent's boot-time check was answered (NONE)");
	free(path);
	path = path_in(s1.dir, "manifest");
	tap_ok(file_contains(path, "\nkernel size=") && file_contains(path, "\nupload size=") &&
		   file_contains(path, "\nfirmware size=") && file_contains(path, "\nstate size=") &&
		   file_contains(path, "\nram size=") &&
		   file_contains(path, "memory-backend-file,id=ram,size=256M,mem-path=@ram,share=off"),
	       "build: the manifest records the inputs (the RAM backend too) and the files");
	free(path);

	/* 2. reused */
	t0 = now_ns();
	tap_is_int(snapshot_ensure(&spec, &s2, &built, &err), 0, "reuse: snapshot_ensure()");
	snprintf(msg, sizeof(msg), "reuse: %.0f ms (key and full check)", ms_since(t0));
	tap_diag(msg);
	tap_is_int(built, 0, "reuse: not built again");
	tap_is_str(s2.why, NULL, "reuse: no why");
	tap_is_str(s2.dir, s1.dir, "reuse: the same directory");
	snapshot_release(&s2);

	/* 3. restore (the snapshot is never consumed: the rebuilt one is restored below too) */
	test_restore(&spec, &s1, "trial1", 1);
	test_parallel_restores(&spec, &s1);
	test_refused_restores(&spec, &s1);
	tap_is_int(snapshot_ensure(&spec, &s2, &built, &err), 0,
		   "after the trials: snapshot_ensure()");
	tap_is_int(built, 0, "after the trials: the snapshot still checks (trials wrote nothing)");
	snapshot_release(&s2);

	/* 4. an input changed: one byte of (a copy of) the kernel, the unchecked CRC32 at its end
	 */
	t0 = now_ns();
	if (!tap_is_int(snapshot_ensure(&plain, &p1, &built, &err), 0,
			"stale: a snapshot on a copy of the kernel"))
		bail("cannot build the snapshot", &err);
	snprintf(msg, sizeof(msg), "build (boot + save): %.1f s", ms_since(t0) / 1000);
	tap_diag(msg);
	tap_is_int(built, 1, "stale: it was built");
	fd = open(kernel, O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0 || pread(fd, msg, 1, st.st_size - 1) != 1)
		bail("cannot read the kernel copy", NULL);
	msg[0] ^= 0x5a;
	if (pwrite(fd, msg, 1, st.st_size - 1) != 1)
		bail("cannot write the kernel copy", NULL);
	close(fd);
	if (!tap_is_int(snapshot_ensure(&plain, &p2, &built, &err), 0,
			"stale: snapshot_ensure() after one byte of the kernel changed"))
		bail("cannot rebuild the snapshot", &err);
	tap_is_int(built, 1, "stale: rebuilt");
	tap_is_str(p2.why, "its inputs changed", "stale: why");
	tap_ok(strcmp(p2.dir, p1.dir) != 0, "stale: another key, another directory");
	tap_ok(access(p1.state, F_OK) == 0, "stale: the old snapshot stays while it is held");
	old_dir = xstrdup(p1.dir);
	snapshot_release(&p1);

	/* 5. a truncated state */
	if (stat(p2.state, &st) < 0 || chmod(p2.state, 0644) < 0 ||
	    truncate(p2.state, st.st_size / 2) < 0)
		bail("cannot truncate the state", NULL);
	state_size = st.st_size;
	if (!tap_is_int(snapshot_ensure(&plain, &p3, &built, &err), 0,
			"truncated: snapshot_ensure()"))
		bail("cannot rebuild the snapshot", &err);
	tap_is_int(built, 1, "truncated: rebuilt");
	tap_like(p3.why, "the existing one was invalid: ", "truncated: why says invalid");
	if (!tap_like(p3.why, "/state' is ", "truncated: ... and names the state file"))
		tap_diag(p3.why ? p3.why : "(null)");
	tap_is_str(p3.dir, p2.dir, "truncated: the same key");
	tap_ok(stat(p3.state, &st) == 0 && (st.st_mode & 07777) == 0444 &&
		   st.st_size > state_size / 2,
	       "truncated: a whole, read-only state again");
	tap_ok(access(old_dir, F_OK) < 0 && errno == ENOENT,
	       "truncated: the released old snapshot was deleted");
	/* the holder of the invalid one is refused, not handed the new files */
	{
		char *dir = path_in(tmp, "held"), *overlay = path_in(dir, "disk.qcow2");
		struct vm_config cfg = plain.vm;
		struct vm vm;
		int r;

		if (mkdir(dir, 0755) < 0 || overlay_create(p2.disk, overlay, &err) < 0)
			bail("cannot create an overlay", &err);
		cfg.disk = overlay;
		cfg.run_dir = dir;
		r = vm_start_restored(&vm, &cfg, &p2, 30000, &err);
		vm_release(&vm);
		tap_is_int(r, -1, "truncated: a holder of the invalid snapshot cannot restore it");
		tap_like(err.msg, "since it was checked", "... and the error says why");
		free(overlay);
		free(dir);
	}
	snapshot_release(&p2);
	test_restore(&plain, &p3, "trial2", 0);
	test_ram_checked(&plain, &p3);
	test_killed_build(&plain);
	snapshot_release(&p3);

	/* 6. both still valid, and only the current snapshot of each is left */
	tap_is_int(snapshot_ensure(&plain, &p3, &built, &err), 0, "cleanup: snapshot_ensure()");
	tap_is_int(built, 0, "cleanup: reused");
	list_dir(top, &sb);
	snprintf(msg, sizeof(msg), "%s ", strrchr(p3.dir, '/') + 1);
	if (!tap_ok(sb.len == strlen(msg) + strlen("hashes ") && strstr(sb.buf, msg) &&
			strstr(sb.buf, "hashes "),
		    "cleanup: only the current snapshot (and the hash cache) is left"))
		tap_diag(sb.buf);
	snapshot_release(&p3);
	tap_is_int(snapshot_ensure(&spec, &s2, &built, &err), 0, "cleanup: the other name");
	tap_is_int(built, 0, "cleanup: ... is untouched by the first's rebuilds");
	snapshot_release(&s2);
	snapshot_release(&s1);

	/* 7. the golden disk and the process table */
	tap_ok(stat(golden, &st2) == 0 && st2.st_mtim.tv_sec == golden_st.st_mtim.tv_sec &&
		   st2.st_mtim.tv_nsec == golden_st.st_mtim.tv_nsec &&
		   st2.st_size == golden_st.st_size,
	       "golden: mtime and size unchanged");
	tap_ok(read_file(golden, &golden_after, &err) == 0 &&
		   golden_after.len == golden_before.len &&
		   !memcmp(golden_after.buf, golden_before.buf, golden_before.len),
	       "golden: bytes unchanged");
	/* The libguestfs worker serves a whole run; the harness stops it at the end, as here. */
	inject_shutdown();
	tap_is_int(count_processes(tmp), 0, "no qemu (or other child) left");

	remove_tree(tmp);
	strbuf_release(&golden_before);
	strbuf_release(&golden_after);
	strbuf_release(&sb);
	free(cache);
	free(kernel);
	free(top);
	free(old_dir);
	return tap_done();
}
