/*
 * clone - the restore figures side by side in one run (issue 11 item 3):
 * a golden snapshot (snapshot.h, no ops: no libguestfs) built or reused in
 * CACHE, then RUNS rounds, interleaved, of three restores, each timed from
 * the call that starts QEMU to migration completed ("ready"), to cont
 * answered ("running", the bench's clone_ms) and to the guest's shell
 * answering an echo on the console ("answer"):
 *
 *   clone   the harness's restore (vm_start_restored): a template clone of
 *           the snapshot's RAM file where the cache has it
 *   shm     the same with the RAM file copied to /dev/shm (white box: a
 *           copy of the snapshot pointing there), to compare the places
 *   file    the restore before template clones: anonymous RAM and a full
 *           migration stream (RAM included) from a file, made once here by
 *           migrating a paused clone to a file
 *   start   QEMU with the same options started paused, nothing restored:
 *           to QMP ready only, what bounds the others
 *
 * then the cost of snapshot_ensure() reusing the snapshot (the key and the
 * full check: every file hashed, the RAM file included), median of RUNS.
 *
 * usage: clone KERNEL INITRD APPEND GOLDEN CACHE MARKER [RUNS [MEMORY_MIB]]
 * APPEND must start a shell on the console after MARKER (bootproof.shell).
 * Prints a table on stderr and, last on stdout, one line:
 *   clone_ms=... clone_answer_ms=... shm_ms=... shm_answer_ms=... file_ms=...
 *   file_answer_ms=... start_ms=... ensure_ms=... ram_mib=... state_mib=... stream_mib=...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disks.h"
#include "guest.h"
#include "inject.h"
#include "qmp.h"
#include "snapshot.h"
#include "vm.h"

enum { V_CLONE, V_SHM, V_FILE, V_START, NR_V };
enum { T_READY, T_RUNNING, T_ANSWER, NR_T };

static const char *const vname[NR_V] = {"clone", "shm", "file", "start"};
static const char *const vlabel[NR_V] = {
    "clone, RAM file in the cache directory", "clone, RAM file in /dev/shm",
    "file: anonymous RAM, full stream", "start: nothing restored, to QMP ready"};
static char work[] = "/tmp/bench-clone.XXXXXX";

static void die(const char *what, const struct bp_error *err)
{
	fprintf(stderr, "clone: %s: %s\n", what, err ? err->msg : strerror(errno));
	proc_kill_all();
	remove_tree(work);
	exit(1);
}

static double ms_since(int64_t t0)
{
	return (double)(now_ns() - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Echo through the guest's shell; 0 once the answer is read back. */
static int answer(struct vm *vm, int timeout_ms)
{
	static const char cmd[] = "echo BENCH-$((6*7))\n";
	int64_t deadline = now_ms() + timeout_ms;
	char buf[8192];
	size_t have = 0;

	if (write(vm->serial_fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -1;
	while (now_ms() < deadline) {
		struct pollfd p = {vm->serial_fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(vm->serial_fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "BENCH-42"))
			return 0;
		if (have > sizeof(buf) / 2) {
			memmove(buf, buf + have - 64, 64);
			have = 64;
		}
	}
	return -1;
}

/* The restore before template clones: anonymous RAM, the full stream from a file. */
static int start_from_stream(struct vm *vm, const struct vm_config *cfg, const char *stream,
			     struct bp_error *err)
{
	struct vm_config c = *cfg;
	int fd = open(stream, O_RDONLY | O_CLOEXEC), ret = -1;

	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", stream, strerror(errno));
	c.incoming = 1;
	if (vm_start(vm, &c, 30000, err) == 0 &&
	    qmp_migrate_set_capability(vm->qmp, "events", 1, err) == 0 &&
	    qmp_getfd(vm->qmp, fd, "bench", err) == 0 &&
	    qmp_migrate_incoming(vm->qmp, "fd:bench", err) == 0 &&
	    qmp_wait_migration(vm->qmp, 30000, err) == 0)
		ret = 0;
	close(fd);
	return ret;
}

/* A fresh trial directory and overlay of the base disk in *cfg. */
static void trial_dir(struct vm_config *cfg, const struct snapshot *s, const char *name)
{
	char *dir = xasprintf("%s/%s", work, name);
	struct bp_error err;

	if (mkdir(dir, 0755) < 0)
		die(dir, NULL);
	cfg->run_dir = dir;
	cfg->disk = xasprintf("%s/disk.qcow2", dir);
	if (overlay_create(s->disk, cfg->disk, &err) < 0)
		die("overlay", &err);
}

/* The full stream of a paused clone (its RAM is private, so all of it goes). */
static void make_stream(const struct vm_config *spec_vm, const struct snapshot *s,
			const char *stream)
{
	struct vm_config cfg = *spec_vm;
	struct bp_error err;
	struct vm vm;
	int fd;

	trial_dir(&cfg, s, "stream");
	if (vm_start_restored(&vm, &cfg, s, 30000, &err) < 0)
		die("restore for the stream", &err);
	fd = open(stream, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || qmp_migrate_set_capability(vm.qmp, "x-ignore-shared", 0, &err) < 0 ||
	    qmp_command(vm.qmp, "migrate-set-parameters",
			json_pack("{s:I}", "max-bandwidth", (json_int_t)(64LL << 30)), NULL, 10000,
			&err) < 0 ||
	    qmp_getfd(vm.qmp, fd, "bench", &err) < 0 || qmp_migrate(vm.qmp, "fd:bench", &err) < 0 ||
	    qmp_wait_migration(vm.qmp, 60000, &err) < 0)
		die("the full stream", &err);
	fsync(fd);
	close(fd);
	vm_release(&vm);
}

/* A copy of s whose RAM file is a copy in /dev/shm. */
static struct snapshot shm_copy(const struct snapshot *s, char **ret_path)
{
	struct snapshot c = *s;
	struct strbuf sb = STRBUF_INIT;
	struct bp_error err;
	struct stat st;

	*ret_path = xasprintf("/dev/shm/bench-clone-ram.%ld", (long)getpid());
	if (read_file(s->ram, &sb, &err) < 0 ||
	    write_file_atomic(*ret_path, sb.buf, sb.len, &err) < 0)
		die("copy to /dev/shm", &err);
	strbuf_release(&sb);
	if (stat(*ret_path, &st) < 0)
		die("stat", NULL);
	c.ram = *ret_path;
	c.ram_dev = (uint64_t)st.st_dev;
	c.ram_ino = (uint64_t)st.st_ino;
	return c;
}

static void one_run(int v, int run, const struct vm_config *spec_vm, const struct snapshot *s,
		    const struct snapshot *shm, const char *stream, double t[NR_T])
{
	struct vm_config cfg = *spec_vm;
	struct bp_error err;
	struct vm vm;
	char name[32];
	int64_t t0;
	int r;

	snprintf(name, sizeof(name), "%s%d", vname[v], run);
	trial_dir(&cfg, s, name);
	t0 = now_ns();
	r = v == V_FILE	   ? start_from_stream(&vm, &cfg, stream, &err)
	    : v == V_START ? vm_start(&vm, &cfg, 30000, &err)
			   : vm_start_restored(&vm, &cfg, v == V_SHM ? shm : s, 30000, &err);
	t[T_READY] = t[T_RUNNING] = t[T_ANSWER] = ms_since(t0);
	if (v == V_START && r == 0)
		goto out;
	if (r < 0 || vm_cont(&vm, &err) < 0)
		die(vname[v], &err);
	t[T_RUNNING] = ms_since(t0);
	if (answer(&vm, 15000) < 0)
		die("no answer from the guest's shell", NULL);
	t[T_ANSWER] = ms_since(t0);
out:
	vm_release(&vm);
	remove_tree(cfg.run_dir);
	free((char *)cfg.run_dir);
	free((char *)cfg.disk);
}

int main(int argc, char **argv)
{
	int runs = argc > 7 ? atoi(argv[7]) : 11, mem = argc > 8 ? atoi(argv[8]) : 256;
	struct snapshot_spec spec = {
	    .name = "bench-clone", .boot_timeout_ms = 120000, .boot = disks_snapshot_boot};
	struct snapshot s, shm, again;
	struct bp_error err;
	struct stat st;
	double *t, *ens, med[NR_V][NR_T];
	char *stream, *shm_path;
	off_t stream_size, state_size;

	if (argc < 7 || runs < 1 || mem < 64) {
		fprintf(stderr, "usage: clone KERNEL INITRD APPEND GOLDEN CACHE MARKER [RUNS "
				"[MEMORY_MIB]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	spec.vm = (struct vm_config){.guest = &guest_profile_linux,
				     .accel = "tcg",
				     .kernel = argv[1],
				     .initrd = argv[2],
				     .append = argv[3],
				     .memory_mib = mem};
	spec.golden = argv[4];
	spec.cache_dir = argv[5];
	spec.ready = argv[6];
	if (!mkdtemp(work))
		die("mkdtemp", NULL);
	if (snapshot_ensure(&spec, &s, NULL, &err) < 0)
		die("snapshot", &err);
	stream = xasprintf("%s/full-stream", work);
	make_stream(&spec.vm, &s, stream);
	shm = shm_copy(&s, &shm_path);
	t = xcalloc((size_t)(NR_V * NR_T * runs), sizeof(*t));
	ens = xcalloc((size_t)runs, sizeof(*ens));
	/* interleaved, the order rotating, so a load change hits all alike */
	for (int i = 0; i < runs; i++)
		for (int k = 0; k < NR_V; k++) {
			int v = (i + k) % NR_V;
			double one[NR_T];

			one_run(v, i, &spec.vm, &s, &shm, stream, one);
			for (int j = 0; j < NR_T; j++)
				t[(v * NR_T + j) * runs + i] = one[j];
		}
	for (int i = 0; i < runs; i++) {
		int64_t t0 = now_ns();

		if (snapshot_ensure(&spec, &again, NULL, &err) < 0)
			die("snapshot_ensure reuse", &err);
		ens[i] = ms_since(t0);
		snapshot_release(&again);
	}
	for (int v = 0; v < NR_V; v++)
		for (int j = 0; j < NR_T; j++)
			med[v][j] = median(t + (v * NR_T + j) * runs, runs);
	stream_size = stat(stream, &st) == 0 ? st.st_size : 0;
	state_size = stat(s.state, &st) == 0 ? st.st_size : 0;
	fprintf(stderr, "clone: -m %d, %d rounds, medians in ms from the call that starts qemu\n",
		mem, runs);
	fprintf(stderr, "%-44s %8s %8s %8s\n", "restore", "ready", "running", "answer");
	for (int v = 0; v < NR_V; v++)
		fprintf(stderr, "%-44s %8.1f %8.1f %8.1f\n", vlabel[v], med[v][T_READY],
			med[v][T_RUNNING], med[v][T_ANSWER]);
	fprintf(stderr, "snapshot_ensure() reuse (key + full check): %.1f ms\n", median(ens, runs));
	printf("clone_ms=%.1f clone_answer_ms=%.1f shm_ms=%.1f shm_answer_ms=%.1f file_ms=%.1f "
	       "file_answer_ms=%.1f start_ms=%.1f ensure_ms=%.1f ram_mib=%d state_mib=%.1f "
	       "stream_mib=%.1f\n",
	       med[V_CLONE][T_RUNNING], med[V_CLONE][T_ANSWER], med[V_SHM][T_RUNNING],
	       med[V_SHM][T_ANSWER], med[V_FILE][T_RUNNING], med[V_FILE][T_ANSWER],
	       med[V_START][T_READY], median(ens, runs), mem, (double)state_size / (1 << 20),
	       (double)stream_size / (1 << 20));
	unlink(shm_path);
	free(shm_path);
	snapshot_release(&s);
	remove_tree(work);
	free(stream);
	free(t);
	free(ens);
	return 0;
}
