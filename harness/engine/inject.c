/*
 * inject - overlays and offline injection with libguestfs (see inject.h).
 */
#define _GNU_SOURCE
#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "litter.h"
#include "proc.h"

/*
 * The appliance's first console bytes: its socket directory exists now, so
 * note it for the sweep should this run be killed mid-launch (litter.h).
 */
static void on_appliance(guestfs_h *g, void *opaque, uint64_t event, int event_handle, int flags,
			 const char *buf, size_t buf_len, const uint64_t *array, size_t array_len)
{
	litter_note_guestfs();
	guestfs_delete_event_callback(g, event_handle);
}

static guestfs_h *handle_new(const char *accel, struct bp_error *err)
{
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_CLOSE_ON_EXIT);

	if (!g)
		return error_set(err, "cannot create libguestfs handle: %s", strerror(errno)), NULL;
	/* Libraries don't log: errors are read back with guestfs_last_error(). */
	guestfs_set_error_handler(g, NULL, NULL);
	guestfs_set_event_callback(g, on_appliance, GUESTFS_EVENT_APPLIANCE, 0, NULL);
	if (!getenv("LIBGUESTFS_BACKEND"))
		guestfs_set_backend(g, "direct");
	if (strcmp(accel, "kvm") != 0 && !getenv("LIBGUESTFS_BACKEND_SETTINGS")) {
		char *settings[] = {"force_tcg", NULL};

		guestfs_set_backend_settings(g, settings);
	}
	return g;
}

static int gerr(guestfs_h *g, struct bp_error *err, const char *what, const char *subject)
{
	const char *msg = guestfs_last_error(g);

	return error_set(err, "%s '%s': %s", what, subject, msg ? msg : "unknown libguestfs error");
}

int overlay_create(const char *golden, const char *overlay, struct bp_error *err)
{
	guestfs_h *g;
	int ret = 0;

	if (access(overlay, F_OK) == 0)
		return error_set(err, "overlay '%s' already exists", overlay);
	g = handle_new("tcg", err);
	if (!g)
		return -1;
	if (guestfs_disk_create(g, overlay, "qcow2", -1, GUESTFS_DISK_CREATE_BACKINGFILE, golden,
				GUESTFS_DISK_CREATE_BACKINGFORMAT, "qcow2", -1) < 0)
		ret = gerr(g, err, "cannot create overlay", overlay);
	guestfs_close(g);
	return ret;
}

static int free_strings(char **v)
{
	if (v) {
		for (char **p = v; *p; p++)
			free(*p);
		free(v);
	}
	return 0;
}

static int do_upload(guestfs_h *g, struct inject_op *op, struct bp_error *err)
{
	char *dir = xstrdup(op->guest);
	char *slash = strrchr(dir, '/');
	int ret = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		if (guestfs_mkdir_p(g, dir) < 0)
			ret = gerr(g, err, "cannot create guest directory", dir);
	}
	if (!ret && guestfs_upload(g, op->host, op->guest) < 0)
		ret = gerr(g, err, "cannot upload to guest path", op->guest);
	free(dir);
	return ret;
}

static int do_glob(guestfs_h *g, struct inject_op *op, struct bp_error *err)
{
	char **paths = guestfs_glob_expand(g, op->guest);

	if (!paths)
		return gerr(g, err, "cannot expand guest glob", op->guest);
	op->result = 0;
	for (char **p = paths; *p; p++) {
		if (op->kind == INJECT_REMOVE_GLOB && guestfs_rm_f(g, *p) < 0) {
			gerr(g, err, "cannot remove guest file", *p);
			return free_strings(paths), -1;
		}
		op->result++;
	}
	if (op->kind == INJECT_EXISTS)
		op->result = op->result > 0;
	return free_strings(paths);
}

static int apply_job(guestfs_h *g, const char *dev, struct inject_job *job, struct bp_error *err)
{
	int ret = 0;

	if (guestfs_mount(g, dev, "/") < 0)
		return gerr(g, err, "cannot mount the filesystem of", job->disk);
	for (size_t i = 0; i < job->nr_ops && !ret; i++) {
		struct inject_op *op = &job->ops[i];

		ret = op->kind == INJECT_UPLOAD ? do_upload(g, op, err) : do_glob(g, op, err);
	}
	if (guestfs_sync(g) < 0 && !ret)
		ret = gerr(g, err, "cannot sync", job->disk);
	if (guestfs_umount_all(g) < 0 && !ret)
		ret = gerr(g, err, "cannot unmount", job->disk);
	if (ret)
		error_prefix(err, "%s", job->disk);
	return ret;
}

int inject_batch(struct inject_job *jobs, size_t nr_jobs, const char *accel, struct bp_error *err)
{
	guestfs_h *g;
	char **devs = NULL;
	int ret = -1;
	size_t nr_devs = 0;

	if (!nr_jobs)
		return 0;
	g = handle_new(accel, err);
	if (!g)
		return -1;
	for (size_t i = 0; i < nr_jobs; i++)
		if (guestfs_add_drive_opts(g, jobs[i].disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
					   -1) < 0) {
			gerr(g, err, "cannot add disk", jobs[i].disk);
			goto out;
		}
	if (guestfs_launch(g) < 0) {
		gerr(g, err, "cannot launch the libguestfs appliance for", jobs[0].disk);
		goto out;
	}
	devs = guestfs_list_devices(g);
	if (!devs) {
		gerr(g, err, "cannot list devices for", jobs[0].disk);
		goto out;
	}
	while (devs[nr_devs])
		nr_devs++;
	if (nr_devs != nr_jobs) {
		error_set(err, "libguestfs shows %zu disks, expected %zu", nr_devs, nr_jobs);
		goto out;
	}
	/* list_devices returns disks in the order they were added. */
	for (size_t i = 0; i < nr_jobs; i++)
		if (apply_job(g, devs[i], &jobs[i], err) < 0)
			goto out;
	if (guestfs_shutdown(g) < 0) {
		gerr(g, err, "cannot shut down the appliance for", jobs[0].disk);
		goto out;
	}
	ret = 0;
out:
	free_strings(devs);
	guestfs_close(g);
	return ret;
}

/* What the child sends back: status, then every op's result, then the message. */
struct inject_reply {
	int ret;
	char msg[sizeof(((struct bp_error *)0)->msg)];
};

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int inject_start(struct inject_task *task, struct inject_job *jobs, size_t nr_jobs,
		 const char *accel, struct bp_error *err)
{
	struct inject_reply reply = {0};
	int fds[2], ok;

	memset(task, 0, sizeof(*task));
	task->fd = -1;
	task->proc.pidfd = -1;
	task->jobs = jobs;
	task->nr_jobs = nr_jobs;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set(err, "pipe: %s", strerror(errno));
	if (proc_fork(&task->proc, err) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (task->proc.pid == 0) {
		struct bp_error cerr = {{0}};

		close(fds[0]);
		reply.ret = inject_batch(jobs, nr_jobs, accel, &cerr);
		memcpy(reply.msg, cerr.msg, sizeof(reply.msg));
		ok = write_all(fds[1], &reply, sizeof(reply)) == 0;
		for (size_t i = 0; ok && i < nr_jobs; i++)
			for (size_t j = 0; ok && j < jobs[i].nr_ops; j++)
				ok = write_all(fds[1], &jobs[i].ops[j].result, sizeof(int)) == 0;
		_exit(ok ? 0 : 1);
	}
	close(fds[1]);
	task->fd = fds[0];
	return 0;
}

int inject_finish(struct inject_task *task, int kill, struct bp_error *err)
{
	struct inject_reply reply = {0};
	char how[128];
	int ok, ret = -1;

	if (kill) {
		proc_kill(&task->proc);
		error_set(err, "libguestfs worker stopped");
		goto out;
	}
	/* The child writes its few bytes at its end; the pipe holds them. */
	proc_wait(&task->proc, 10000);
	ok = read_all(task->fd, &reply, sizeof(reply)) == 0;
	for (size_t i = 0; ok && i < task->nr_jobs; i++)
		for (size_t j = 0; ok && j < task->jobs[i].nr_ops; j++)
			ok = read_all(task->fd, &task->jobs[i].ops[j].result, sizeof(int)) == 0;
	if (!ok)
		error_set(err, "libguestfs worker %s", proc_describe(&task->proc, how, sizeof(how)));
	else if (reply.ret < 0)
		error_set(err, "%s", reply.msg);
	else
		ret = 0;
out:
	if (task->fd >= 0)
		close(task->fd);
	task->fd = -1;
	proc_release(&task->proc);
	return ret;
}

int inject_batch_isolated(struct inject_job *jobs, size_t nr_jobs, const char *accel,
			  int timeout_ms, struct bp_error *err)
{
	struct inject_task task;

	if (inject_start(&task, jobs, nr_jobs, accel, err) < 0)
		return -1;
	if (proc_wait(&task.proc, timeout_ms) < 0) {
		inject_finish(&task, 1, NULL);
		return error_set(err, "libguestfs did not finish within %d s", timeout_ms / 1000);
	}
	return inject_finish(&task, 0, err);
}
