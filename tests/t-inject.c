/*
 * t-inject - the libguestfs worker (harness/engine/inject.h, appliance.h) on
 * the real reference image: jobs on two overlays of the golden disk, one
 * after the other and interleaved, go through ONE appliance launch; each
 * disk sees only its own writes; between jobs the worker holds no disk (a
 * writer can lock it); a job that fails leaves the next one working (the
 * appliance relaunched); a kill mid-job, then a new job, works; after
 * inject_shutdown() no worker process and no socket directory is left.
 * INJECT_COLLECT copies out at most INJECT_COLLECT_FILES files, each cut at
 * its bound, under safe names, and its manifest says what was cut and left.
 * An appliance launch is 10-60 s under TCG: this is not in check-fast.
 * Skipped when build/images/linux is not built.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect.h"
#include "inject.h"
#include "litter.h"
#include "proc.h"
#include "tap.h"

#define GOLDEN "build/images/linux/system.qcow2"
#define TIMEOUT_MS (10 * 60 * 1000)

static char tmp[] = "/tmp/t-inject.XXXXXX";

static int run(struct inject_op *ops, size_t n, const char *disk, struct bp_error *err)
{
	struct inject_job job = {disk, ops, n};

	return inject_batch_isolated(&job, 1, "tcg", TIMEOUT_MS, err);
}

/* qemu-io opens read-write (the write lock): it fails while anyone else holds the disk. */
static int writable_by_others(const char *disk)
{
	char *argv[] = {"qemu-io", "-c", "read 0 512", (char *)disk, NULL};
	struct bp_error err;
	struct proc p;

	if (proc_spawn(&p, argv, "/dev/null", &err) < 0 || proc_wait(&p, 60000) < 0)
		return 0;
	proc_release(&p);
	return p.exit == PROC_EXITED && p.code == 0;
}

static size_t gfs_dirs(void)
{
	glob_t g;
	size_t n;

	char *pat = xasprintf("%s/bootproof-gfs-*", tmp);
	int r = glob(pat, 0, NULL, &g);

	free(pat);
	if (r != 0)
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

struct coll_count {
	int cut, whole;
	uint64_t left;
	char odd[COLLECT_NAME_MAX + 1];
};

static void coll_count_one(void *ctx, const struct collected *c)
{
	struct coll_count *cc = ctx;

	cc->left += c->left;
	if (!c->left && c->copied == 4 && c->size == 6)
		cc->cut++;
	if (!c->left && c->copied == 6 && c->size == 6) {
		cc->whole++;
		snprintf(cc->odd, sizeof(cc->odd), "%s", c->name);
	}
}

int main(void)
{
	struct bp_error err = {""};
	char golden[PATH_MAX], msg[128], *a, *b, *host;
	int64_t t0;

	if (access(GOLDEN, R_OK) < 0) {
		printf("1..0 # SKIP %s is not built (make guest)\n", GOLDEN);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmp) || !realpath(GOLDEN, golden)) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}
	/*
	 * The appliance daemon's directories go to the test's own directory,
	 * where gfs_dirs() counts them: other tests' workers may come and go
	 * in /tmp meanwhile.
	 */
	setenv("LIBGUESTFS_TMPDIR", tmp, 1);
	a = xasprintf("%s/a.qcow2", tmp);
	b = xasprintf("%s/b.qcow2", tmp);
	host = xasprintf("%s/hello", tmp);
	write_file_atomic(host, "hello\n", 6, &err);
	tap_ok(overlay_create(golden, a, &err) == 0 && overlay_create(golden, b, &err) == 0,
	       "two overlays of the golden disk");

	t0 = now_ms();
	{
		struct inject_op ops[] = {{INJECT_UPLOAD, host, "/t/only-a", 0, NULL, 0},
					  {INJECT_EXISTS, NULL, "/t/only-*", 0, NULL, 0}};

		tap_is_int(run(ops, 2, a, &err), 0, "job 1 on disk a: upload, then exists");
		tap_is_int(ops[1].result, 1, "disk a has what job 1 uploaded");
	}
	snprintf(msg, sizeof(msg), "first job (with the launch): %.1f s", (now_ms() - t0) / 1000.0);
	tap_diag(msg);
	tap_ok(writable_by_others(a), "between jobs, disk a can be locked by a writer");
	t0 = now_ms();
	{
		struct inject_op ops[] = {{INJECT_EXISTS, NULL, "/t/only-a", 0, NULL, 0},
					  {INJECT_UPLOAD, host, "/t/only-b", 0, NULL, 0}};

		tap_is_int(run(ops, 2, b, &err), 0, "job 2 on disk b");
		tap_is_int(ops[0].result, 0, "disk b does not have disk a's file");
	}
	{
		struct inject_op ops[] = {{INJECT_EXISTS, NULL, "/t/only-b", 0, NULL, 0},
					  {INJECT_REMOVE_GLOB, NULL, "/t/only-*", 0, NULL, 0},
					  {INJECT_EXISTS, NULL, "/t/*", 0, NULL, 0}};

		tap_is_int(run(ops, 3, a, &err), 0, "job 3 on disk a again");
		tap_is_int(ops[0].result, 0, "disk a does not have disk b's file");
		tap_is_int(ops[1].result, 1, "the glob removed disk a's one file");
		tap_is_int(ops[2].result, 0, "and it is gone");
	}
	snprintf(msg, sizeof(msg), "jobs 2 and 3 (no launch): %.1f s", (now_ms() - t0) / 1000.0);
	tap_diag(msg);
	tap_is_int(inject_launches(), 1, "three jobs, one appliance launch");
	tap_ok(writable_by_others(b), "disk b is free too");

	/* Two jobs in one task (inject_start() takes any number). */
	{
		struct inject_op oa[] = {{INJECT_UPLOAD, host, "/t/both", 0, NULL, 0}};
		struct inject_op ob[] = {{INJECT_EXISTS, NULL, "/t/only-b", 0, NULL, 0}};
		struct inject_job jobs[] = {{a, oa, 1}, {b, ob, 1}};

		tap_is_int(inject_batch_isolated(jobs, 2, "tcg", TIMEOUT_MS, &err), 0,
			   "one task with a job on each disk");
		tap_is_int(ob[0].result, 1, "disk b still has its file");
		tap_is_int(inject_launches(), 1, "still one launch");
	}

	/* A failing job: the next one still works (the appliance comes back). */
	{
		char *missing = xasprintf("%s/missing.qcow2", tmp);
		struct inject_op ops[] = {{INJECT_UPLOAD, "/nonexistent/file", "/t/x", 0, NULL, 0}};
		struct inject_op ok[] = {{INJECT_EXISTS, NULL, "/t/both", 0, NULL, 0}};

		tap_is_int(run(ops, 1, a, &err), -1, "an upload of a missing host file fails");
		tap_like(err.msg, "/t/x", "the error names the guest path");
		tap_is_int(run(ops, 1, missing, &err), -1, "a missing disk fails");
		tap_like(err.msg, "missing.qcow2", "the error names the disk");
		tap_is_int(run(ok, 1, a, &err), 0, "the next job works");
		tap_is_int(ok[0].result, 1, "and sees the disk");
		tap_is_int(inject_launches(), 2,
			   "the failed upload cost a relaunch, the missing disk none");
		tap_ok(writable_by_others(a), "disk a is free after the failure");
		free(missing);
	}

	/* Copied out, bounded: a guest with too many, too big, oddly named files. */
	{
		struct inject_op ops[INJECT_COLLECT_FILES + 5];
		char *names[INJECT_COLLECT_FILES + 3], *out = xasprintf("%s/collected", tmp);
		struct coll_count cc = {0};
		size_t n = 0;

		mkdir_p(out, &err);
		for (size_t i = 0; i < INJECT_COLLECT_FILES + 2; i++) {
			names[i] = xasprintf("/t/d/f%zu.dmp", i);
			ops[n++] = (struct inject_op){INJECT_UPLOAD, host, names[i], 0, NULL, 0};
		}
		names[INJECT_COLLECT_FILES + 2] = NULL;
		ops[n++] = (struct inject_op){INJECT_COLLECT, out, "/t/d/*", 0, NULL, 4};
		ops[n++] =
		    (struct inject_op){INJECT_UPLOAD, host, "/t/e/we ird$\\name.dmp", 0, NULL, 0};
		ops[n++] = (struct inject_op){INJECT_COLLECT, out, "/t/e/*", 0, NULL, 100};
		tap_is_int(run(ops, n, a, &err), 0, "collect: ten files, then one oddly named");
		tap_is_int(ops[n - 3].result, INJECT_COLLECT_FILES,
			   "collect: at most INJECT_COLLECT_FILES copied");
		tap_is_int(collect_manifest_read(out, coll_count_one, &cc, &err), 0,
			   "collect: the manifest reads");
		tap_is_int(cc.cut, INJECT_COLLECT_FILES,
			   "collect: each cut at its bound: 4 of 6 bytes");
		tap_is_int((long long)cc.left, 2, "collect: the two left out are counted");
		tap_is_str(cc.odd, "we_ird__name.dmp", "collect: a name of safe bytes only");
		tap_is_int(cc.whole, 1, "collect: a file under the bound is copied whole");
		for (size_t i = 0; names[i]; i++)
			free(names[i]);
		remove_tree(out);
		free(out);
	}

	/* Given up mid-job: the worker is killed; a new one takes the next job. */
	{
		struct inject_op ops[] = {{INJECT_EXISTS, NULL, "/t/only-b", 0, NULL, 0}};
		struct inject_job job = {b, ops, 1};
		struct inject_task task;

		tap_is_int(inject_start(&task, &job, 1, "tcg", &err), 0, "a job started");
		tap_is_int(inject_finish(&task, 1, NULL), -1, "and given up at once");
		tap_ok(writable_by_others(b), "the killed worker left disk b free");
		tap_is_int(run(ops, 1, b, &err), 0, "a new worker takes the next job");
		tap_is_int(ops[0].result, 1, "and sees disk b");
	}

	inject_shutdown();
	/*
	 * The worker given up on above was killed: if its own cleanup outlived
	 * the grace, its directory is litter of a dead owner, which the next
	 * run's sweep removes (litter.h) — as here.
	 */
	litter_sweep(tmp, &(struct litter_sweeper){0});
	tap_is_int((long long)gfs_dirs(), 0,
		   "no socket directory left after inject_shutdown() and the sweep");
	errno = 0;
	tap_ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "no child process left");
	remove_tree(tmp);
	free(a);
	free(b);
	free(host);
	return tap_done();
}
