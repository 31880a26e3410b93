/*
 * t-virtstore - disks on a real libvirt host (harness/backend/libvirt/
 * virt-store.h), the daemon tests/e2e-virtstore.sh starts
 * (scripts/libvirtd-test.sh --isolated) and names in BOOTPROOF_VIRT_URI
 * (its pid in BOOTPROOF_VIRT_PID, to read the host's files in its mount
 * namespace). Without it: skipped.
 *
 * The pool is made once and found again; a file uploaded by digest is
 * there with its size, a second upload sends nothing, its download equals
 * it; an uploader killed mid-stream leaves no volume of the file's size,
 * and a later upload takes over once the dead one's size stood still (so
 * does one beside an uploader alive but stalled); an overlay rebased onto
 * the host's copy of its base is opened with its backing chain by qemu-img
 * on the host, the local overlay unchanged; downloaded and rebased back
 * onto the local base it opens here; bounds and errors; a trial's volumes
 * deleted by prefix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "tap.h"
#include "virt-store.h"

static const char *uri, *daemon_pid;
static char scratch[] = "/tmp/t-virtstore.XXXXXX";

static void quiet(void *ctx, virErrorPtr e)
{
}

/* A file of size pseudo-random bytes (seeded: the same every run). */
static char *make_file(const char *name, size_t size, unsigned seed)
{
	char *path = xasprintf("%s/%s", scratch, name);
	FILE *f = fopen(path, "w");

	srand(seed);
	for (size_t i = 0; f && i < size; i++)
		fputc(rand() & 0xff, f);
	if (f)
		fclose(f);
	return path;
}

static int same_bytes(const char *a, const char *b)
{
	struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
	int same = read_file(a, &x, NULL) == 0 && read_file(b, &y, NULL) == 0 &&
		   x.len == y.len && !memcmp(x.buf, y.buf, x.len);

	strbuf_release(&x);
	strbuf_release(&y);
	return same;
}

/* Run argv, its output into out (may be NULL): the exit status, or -1. */
static int run(char **argv, struct strbuf *out)
{
	char *log = xasprintf("%s/run.log", scratch);
	struct bp_error err;
	struct proc p;
	int code = -1;

	if (proc_spawn(&p, argv, log, &err) == 0) {
		if (proc_wait(&p, 60000) == 0 && p.exit == PROC_EXITED)
			code = p.code;
		else
			proc_kill(&p);
		proc_release(&p);
	}
	if (out)
		read_file(log, out, NULL);
	free(log);
	return code;
}

/* qemu-img info of a path on the host: in the daemon's mount namespace when it has one. */
static int host_qemu_img_info(const char *path, struct strbuf *out)
{
	char *direct[] = {"qemu-img", "info", "-U", "--backing-chain", (char *)path, NULL};
	char *ns[] = {"nsenter", "-t", (char *)daemon_pid, "-m", "qemu-img", "info", "-U",
		      "--backing-chain", (char *)path, NULL};

	return run(daemon_pid ? ns : direct, out);
}

static int count_volumes(virStoragePoolPtr pool, const char *prefix)
{
	virStorageVolPtr *vols = NULL;
	int n = virStoragePoolListAllVolumes(pool, &vols, 0), k = 0;

	for (int i = 0; i < n; i++) {
		k += !strncmp(virStorageVolGetName(vols[i]), prefix, strlen(prefix));
		virStorageVolFree(vols[i]);
	}
	free(vols);
	return n < 0 ? -1 : k;
}

static void test_upload(virStoragePoolPtr pool, const char *file)
{
	char name[VIRT_STORE_DIGEST_NAME_LEN + 1], name2[VIRT_STORE_DIGEST_NAME_LEN + 1];
	char *path = NULL, *back = xasprintf("%s/back", scratch);
	struct bp_error err = {""};
	uint64_t size = 0;
	int uploaded = -1;

	tap_is_int(virt_store_put_by_digest(pool, file, name, &path, &uploaded, &err), 0,
		   "upload by digest");
	if (err.msg[0])
		tap_diag(err.msg);
	tap_is_int(uploaded, 1, "  bytes were sent");
	tap_ok(!strncmp(name, "sha256-", 7) && strlen(name) == VIRT_STORE_DIGEST_NAME_LEN,
	       "  named by its digest");
	tap_like(path, VIRT_STORE_PATH "/sha256-", "  its path on the host is in the pool");
	tap_is_int(virt_store_size(pool, name, &size, &err), 0, "  its size");
	tap_is_int((long long)size, 3 * 1024 * 1024 + 17, "  is the file's");
	tap_is_int(count_volumes(pool, "sha256-"), 1, "  no .part volume left beside it");
	free(path);

	uploaded = -1;
	tap_is_int(virt_store_put_by_digest(pool, file, name2, NULL, &uploaded, &err), 0,
		   "second upload");
	tap_is_int(uploaded, 0, "  sends nothing");
	tap_is_str(name2, name, "  the same name");

	tap_is_int(virt_store_get(pool, name, back, 0, NULL, NULL, &err), 0, "download");
	tap_ok(same_bytes(file, back), "  equals the file");
	unlink(back);
	tap_is_int(virt_store_get(pool, name, back, 4096, NULL, NULL, &err), -1,
		   "download beyond max_bytes refused");
	tap_like(err.msg, "more than 4096", "  saying so");
	tap_ok(access(back, F_OK) != 0, "  and no file made");
	tap_is_int(virt_store_get(pool, "no-such-volume", back, 0, NULL, NULL, &err), -1,
		   "download of an unknown volume");
	tap_like(err.msg, "no volume 'no-such-volume'", "  names it");
	tap_is_int(virt_store_put(pool, "/nonexistent/file", "x", 0, NULL, NULL, &err), -1,
		   "upload of a missing file");
	tap_like(err.msg, "'/nonexistent/file' does not exist", "  names it");
	free(back);
}

/* The killed uploader (argv: --child FILE): stops for good once two chunks went out. */
static void child_progress(void *ctx, uint64_t done, uint64_t total)
{
	static int chunks;

	if (++chunks == 3) {
		if (write(1, "x", 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
}

static int child_upload(const char *file)
{
	virConnectPtr conn = virConnectOpen(uri);
	struct virt_store_opts opts = {.progress = child_progress};
	virStoragePoolPtr pool;
	struct bp_error err;

	if (!conn || virt_store_pool(conn, &pool, &err) < 0)
		return 1;
	virt_store_put(pool, file, "killed-vol", 0, &opts, NULL, &err);
	return 2; /* not reached: killed */
}

/* An uploader of file as "killed-vol" in a child, stopped for good mid-stream: its pid. */
static pid_t start_uploader(const char *file)
{
	int fds[2];
	char c = 0;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execl("/proc/self/exe", "t-virtstore", "--child", file, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	tap_is_int(read(fds[0], &c, 1), 1, "an uploader stopped mid-stream");
	close(fds[0]);
	return pid;
}

static void check_complete(virStoragePoolPtr pool, const char *file, const char *what)
{
	char *back = xasprintf("%s/back-killed", scratch);
	struct bp_error err = {""};

	tap_is_int(virt_store_get(pool, "killed-vol", back, 0, NULL, NULL, &err), 0, what);
	tap_ok(same_bytes(file, back), "  equals the file");
	tap_is_int(virt_store_delete(pool, "killed-vol", &err), 1, "delete by prefix");
	tap_is_int(count_volumes(pool, "killed-vol"), 0, "  none left");
	unlink(back);
	free(back);
}

static void test_killed(virStoragePoolPtr pool, const char *file)
{
	struct virt_store_opts opts = {.stale_ms = 1500};
	struct bp_error err = {""};
	uint64_t size = 0, file_size = 3 * 1024 * 1024 + 17;
	pid_t pid = start_uploader(file);
	char note[128];
	int64_t t0;
	int status, uploaded = 0;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	tap_ok(WIFSIGNALED(status), "  killed");
	tap_ok(virt_store_size(pool, "killed-vol", &size, &err) < 0 || size < file_size,
	       "no complete-looking volume: none, or shorter than the file");
	snprintf(note, sizeof(note), "the killed upload left %llu of %llu bytes",
		 (unsigned long long)size, (unsigned long long)file_size);
	tap_diag(note);
	t0 = now_ms();
	tap_is_int(virt_store_put(pool, file, "killed-vol", 0, &opts, &uploaded, &err), 0,
		   "a later upload completes");
	if (err.msg[0])
		tap_diag(err.msg);
	tap_ok(now_ms() - t0 >= (size ? opts.stale_ms : 0), "  after the dead one's size stood still");
	tap_is_int(uploaded, 1, "  sending the bytes");
	check_complete(pool, file, "  download");

	/* an uploader alive but stalled (a host link gone quiet) is taken over the same way */
	pid = start_uploader(file);
	uploaded = 0;
	tap_is_int(virt_store_put(pool, file, "killed-vol", 0, &opts, &uploaded, &err), 0,
		   "an upload beside a stalled one completes");
	tap_is_int(uploaded, 1, "  sending the bytes itself");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	check_complete(pool, file, "  download, the stalled one killed since");
}

static void test_overlay(virStoragePoolPtr pool)
{
	char *base = xasprintf("%s/base.qcow2", scratch), *ov = xasprintf("%s/ov.qcow2", scratch);
	char *back = xasprintf("%s/ov-back.qcow2", scratch), *host_path = NULL;
	char *mk_base[] = {"qemu-img", "create", "-q", "-f", "qcow2", base, "16M", NULL};
	char *mk_ov[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2",
			 ov, NULL};
	char *info_ov[] = {"qemu-img", "info", "-U", "--backing-chain", ov, NULL};
	char *info_back[] = {"qemu-img", "info", "-U", "--backing-chain", back, NULL};
	char name[VIRT_STORE_DIGEST_NAME_LEN + 1], *want;
	struct strbuf out = STRBUF_INIT;
	struct bp_error err = {""};

	tap_is_int(run(mk_base, NULL) | run(mk_ov, NULL), 0, "a local base and overlay");
	tap_is_int(virt_store_put_by_digest(pool, base, name, NULL, NULL, &err), 0,
		   "the base uploaded by digest");
	tap_is_int(virt_store_put_overlay(pool, ov, name, "qcow2", "trial-t1-ov.qcow2", scratch,
					  &host_path, &err),
		   0, "the overlay uploaded");
	if (err.msg[0])
		tap_diag(err.msg);
	tap_is_str(host_path, VIRT_STORE_PATH "/trial-t1-ov.qcow2", "  its path on the host");
	want = xasprintf("backing file: " VIRT_STORE_PATH "/%s", name);
	tap_is_int(host_qemu_img_info(VIRT_STORE_PATH "/trial-t1-ov.qcow2", &out), 0,
		   "qemu-img info --backing-chain opens it on the host");
	if (!tap_like(out.buf, want, "  backed by the host's copy of the base"))
		fprintf(stderr, "%s\n", out.buf);
	tap_like(out.buf, "backing file format: qcow2", "  as qcow2");
	strbuf_reset(&out);
	run(info_ov, &out);
	tap_like(out.buf, base, "the local overlay still backed by the local base");
	tap_is_int(virt_store_put_overlay(pool, ov, name, NULL, "trial-t1-ov.qcow2", scratch,
					  NULL, &err),
		   0, "uploaded again: replaced");
	tap_is_int(count_volumes(pool, "trial-t1-"), 1, "  one volume of the trial");

	tap_is_int(virt_store_get(pool, "trial-t1-ov.qcow2", back, 0, base, "qcow2", &err), 0,
		   "downloaded, rebased onto the local base");
	strbuf_reset(&out);
	tap_is_int(run(info_back, &out), 0, "  qemu-img opens it here with its chain");
	tap_like(out.buf, base, "  backed by the local base");

	tap_is_int(virt_store_put_overlay(pool, ov, "sha256-none", NULL, "trial-t1-x", scratch,
					  NULL, &err),
		   -1, "an overlay onto a base not uploaded");
	tap_like(err.msg, "sha256-none", "  names the base");
	tap_is_int(virt_store_delete(pool, "trial-t1-", &err), 1, "the trial's volumes deleted");
	tap_is_int(count_volumes(pool, "trial-t1-"), 0, "  none left");
	tap_is_int(virt_store_delete(pool, "", &err), 0, "an empty prefix deletes nothing");
	strbuf_release(&out);
	free(want);
	free(host_path);
	free(base);
	free(ov);
	free(back);
}

int main(int argc, char **argv)
{
	virConnectPtr conn;
	virStoragePoolPtr pool = NULL, again = NULL;
	struct bp_error err = {""};
	char *file;

	uri = getenv("BOOTPROOF_VIRT_URI");
	daemon_pid = getenv("BOOTPROOF_VIRT_PID");
	virSetErrorFunc(NULL, quiet);
	if (argc == 3 && !strcmp(argv[1], "--child"))
		return uri ? child_upload(argv[2]) : 1;
	if (!uri) {
		printf("1..0 # SKIP no libvirtd (tests/e2e-virtstore.sh starts one)\n");
		return 0;
	}
	if (!mkdtemp(scratch) || !(conn = virConnectOpen(uri))) {
		printf("Bail out! cannot reach %s\n", uri);
		return 1;
	}
	tap_is_int(virt_store_pool(conn, &pool, &err), 0, "the pool made");
	if (err.msg[0])
		tap_diag(err.msg);
	tap_is_int(virt_store_pool(conn, &again, &err), 0, "  and found again");
	if (!pool) {
		virConnectClose(conn);
		return tap_done();
	}
	{
		char *dir = virt_store_dir(pool, &err);

		tap_is_str(dir, VIRT_STORE_PATH, "  its directory on the host, from its definition");
		free(dir);
	}
	virt_store_delete(pool, "sha256-", &err); /* a previous run's, on a shared host */
	file = make_file("data", 3 * 1024 * 1024 + 17, 1);
	test_upload(pool, file);
	test_killed(pool, file);
	test_overlay(pool);
	virt_store_delete(pool, "sha256-", &err);
	virStoragePoolFree(pool);
	if (again)
		virStoragePoolFree(again);
	virConnectClose(conn);
	remove_tree(scratch);
	free(file);
	return tap_done();
}
