/*
 * appliance - one libguestfs appliance for disk after disk (see appliance.h).
 */
#define _GNU_SOURCE
#include "appliance.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collect.h"
#include "guestroot.h"
#include "winreg.h"
#include "litter.h"

/* How long the daemon may take to come up and to answer one command. */
#define QSD_TIMEOUT_MS (60 * 1000)
#define QMP_LINE_MAX (64 * 1024)

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

int qcow2_virtual_size(const char *path, uint64_t *ret_size, struct bp_error *err)
{
	unsigned char hdr[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return error_set(err, "cannot open '%s': %s", path, strerror(errno));
	n = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, "QFI\xfb", 4))
		return error_set(err, "'%s' is not a qcow2 image", path);
	*ret_size = 0;
	for (int i = 24; i < 32; i++) /* size: big-endian u64 at offset 24 */
		*ret_size = *ret_size << 8 | hdr[i];
	return 0;
}

void appliance_init(struct appliance *a)
{
	memset(a, 0, sizeof(*a));
	a->qmp = -1;
	a->qsd.pidfd = -1;
	strbuf_init(&a->in);
}

/* ---- the storage daemon and its QMP ---------------------------------------------- */

/* Wait up to the deadline for fd to be readable; -1 with err if not. */
static int wait_readable(struct appliance *a, int fd, int64_t deadline, struct bp_error *err)
{
	struct pollfd p[2] = {{fd, POLLIN, 0}, {a->qsd.pidfd, POLLIN, 0}};

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return error_set(err, "qemu-storage-daemon did not answer in time");
		r = poll(p, 2, (int)left);
		if (r < 0 && errno != EINTR)
			return error_set(err, "poll: %s", strerror(errno));
		if (r > 0 && p[0].revents)
			return 0;
		if (r > 0 && p[1].revents) {
			char how[128];

			proc_reap(&a->qsd);
			return error_set(err, "qemu-storage-daemon %s (see '%s/qsd.log')",
					 proc_describe(&a->qsd, how, sizeof(how)), a->dir);
		}
	}
}

/* The next QMP message that is not an event, parsed. */
static json_t *qmp_read(struct appliance *a, struct bp_error *err)
{
	int64_t deadline = now_ms() + QSD_TIMEOUT_MS;

	for (;;) {
		char *nl = memchr(a->in.buf, '\n', a->in.len);
		char chunk[4096];
		ssize_t n;

		if (nl) {
			json_t *msg = json_loadb(a->in.buf, (size_t)(nl - a->in.buf), 0, NULL);

			strbuf_remove_prefix(&a->in, (size_t)(nl - a->in.buf) + 1);
			if (!msg)
				return error_set(err, "qemu-storage-daemon sent bad QMP"), NULL;
			if (!json_object_get(msg, "event"))
				return msg;
			json_decref(msg);
			continue;
		}
		if (a->in.len > QMP_LINE_MAX)
			return error_set(err, "qemu-storage-daemon sent an overlong QMP line"),
			       NULL;
		if (wait_readable(a, a->qmp, deadline, err) < 0)
			return NULL;
		n = read(a->qmp, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(err, "qemu-storage-daemon closed QMP"), NULL;
		strbuf_add(&a->in, chunk, (size_t)n);
	}
}

/* Send cmd (consumed) and wait for its return. */
static int qmp_call(struct appliance *a, json_t *cmd, struct bp_error *err)
{
	char *text = json_dumps(cmd, JSON_COMPACT);
	struct strbuf line = STRBUF_INIT;
	json_t *reply = NULL, *e;
	int ret = -1;

	json_decref(cmd);
	strbuf_adds(&line, text);
	strbuf_addch(&line, '\n');
	free(text);
	if (write_all(a->qmp, line.buf, line.len) < 0) {
		error_set(err, "cannot write to qemu-storage-daemon: %s", strerror(errno));
		goto out;
	}
	reply = qmp_read(a, err);
	if (!reply)
		goto out;
	e = json_object_get(reply, "error");
	if (e) {
		error_set(err, "qemu-storage-daemon: %s",
			  json_string_value(json_object_get(e, "desc")) ?: "error");
		goto out;
	}
	ret = 0;
out:
	json_decref(reply);
	strbuf_release(&line);
	return ret;
}

/* Point the export's filter at node (the job's disk, or "null" between jobs). */
static int qsd_point(struct appliance *a, const char *node, struct bp_error *err)
{
	return qmp_call(a,
			json_pack("{s:s, s:{s:[{s:s, s:s, s:s}]}}", "execute", "blockdev-reopen",
				  "arguments", "options", "driver", "raw", "node-name", "top",
				  "file", node),
			err);
}

/*
 * Start the daemon with the null node of the export's size. It connects to
 * our QMP socket (we listen, it connects: no race); its greeting comes after
 * it has processed all its options, the NBD export included.
 */
static int qsd_start(struct appliance *a, struct bp_error *err)
{
	struct argv_builder av = {0};
	char *qmp_path = xasprintf("%s/qmp.sock", a->dir), *log = xasprintf("%s/qsd.log", a->dir);
	json_t *greeting;
	int lfd = listen_unix(qmp_path, err), ret = -1;

	if (lfd < 0)
		goto out;
	argv_push(&av, "qemu-storage-daemon");
	argv_push(&av, "--blockdev");
	argv_pushf(&av, "null-co,node-name=null,size=%" PRIu64 ",read-zeroes=on", a->size);
	argv_push(&av, "--blockdev");
	argv_push(&av, "raw,node-name=top,file=null");
	argv_push(&av, "--nbd-server");
	argv_pushf(&av, "addr.type=unix,addr.path=%s/nbd.sock", a->dir);
	argv_push(&av, "--export");
	argv_push(&av, "nbd,id=disk,node-name=top,writable=on,name=disk");
	argv_push(&av, "--chardev");
	argv_pushf(&av, "socket,id=qmp,path=%s", qmp_path);
	argv_push(&av, "--monitor");
	argv_push(&av, "chardev=qmp");
	if (proc_spawn(&a->qsd, av.v, log, err) < 0)
		goto out;
	if (wait_readable(a, lfd, now_ms() + QSD_TIMEOUT_MS, err) < 0)
		goto out;
	a->qmp = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (a->qmp < 0) {
		error_set(err, "accept: %s", strerror(errno));
		goto out;
	}
	greeting = qmp_read(a, err);
	if (!greeting)
		goto out;
	json_decref(greeting);
	ret = qmp_call(a, json_pack("{s:s}", "execute", "qmp_capabilities"), err);
out:
	if (lfd >= 0)
		close(lfd);
	argv_free(av.v);
	free(qmp_path);
	free(log);
	return ret;
}

/* ---- the appliance ------------------------------------------------------------- */

void appliance_stop(struct appliance *a)
{
	if (a->g) {
		guestfs_shutdown(a->g);
		guestfs_close(a->g);
		a->g = NULL;
	}
	if (a->qmp >= 0)
		close(a->qmp);
	a->qmp = -1;
	strbuf_reset(&a->in);
	proc_kill(&a->qsd);
	proc_release(&a->qsd);
	if (a->dir) {
		remove_tree(a->dir);
		litter_forget(a->dir);
		free(a->dir);
		a->dir = NULL;
	}
}

/*
 * The daemon's directory goes where libguestfs keeps its temporary files
 * (a run points that into its work directory, so a killed run's is swept
 * with it), as a litter directory of its own for when it is not.
 */
static int make_dir(struct appliance *a, guestfs_h *g, struct bp_error *err)
{
	char *tmp = guestfs_get_tmpdir(g);

	a->dir = xasprintf("%s/bootproof-gfs-XXXXXX", tmp ? tmp : "/tmp");
	free(tmp);
	if (litter_mkdtemp(a->dir, NULL, err) == 0)
		return 0;
	free(a->dir);
	a->dir = NULL;
	return -1;
}

static int launch(struct appliance *a, const char *accel, uint64_t size, struct bp_error *err)
{
	char *server[2] = {NULL, NULL};
	guestfs_h *g;
	int ret = -1;

	g = a->g = handle_new(accel, err);
	if (!g || make_dir(a, g, err) < 0)
		goto out;
	a->size = size;
	snprintf(a->accel, sizeof(a->accel), "%s", accel);
	if (qsd_start(a, err) < 0)
		goto out;
	server[0] = xasprintf("unix:%s/nbd.sock", a->dir);
	if (guestfs_add_drive_opts(g, "disk", GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
				   GUESTFS_ADD_DRIVE_OPTS_PROTOCOL, "nbd",
				   GUESTFS_ADD_DRIVE_OPTS_SERVER, server, -1) < 0) {
		gerr(g, err, "cannot add the NBD disk", server[0]);
		goto out;
	}
	if (guestfs_launch(g) < 0) {
		gerr(g, err, "cannot launch the libguestfs appliance with", server[0]);
		goto out;
	}
	a->launches++;
	ret = 0;
out:
	free(server[0]);
	if (ret)
		appliance_stop(a);
	return ret;
}

/* The guest path in its case on disk; its missing parent directories made. */
static int do_upload(guestfs_h *g, const struct guestroot *r, struct inject_op *op,
		     struct bp_error *err)
{
	char *path = guestroot_resolve(g, r, op->guest);
	char *slash = strrchr(path, '/');
	int ret = 0;

	if (slash && slash != path) {
		*slash = '\0';
		if (guestfs_mkdir_p(g, path) < 0)
			ret = gerr(g, err, "cannot create guest directory", path);
		*slash = '/';
	}
	if (!ret && guestfs_upload(g, op->host, path) < 0)
		ret = gerr(g, err, "cannot upload to guest path", op->guest);
	free(path);
	return ret;
}

static int do_glob(guestfs_h *g, const struct guestroot *r, struct inject_op *op,
		   struct bp_error *err)
{
	char **paths = guestroot_glob(g, r, op->guest);
	int ret = 0;

	op->result = 0;
	for (char **p = paths; *p && !ret; p++) {
		if (op->kind == INJECT_REMOVE_GLOB && guestfs_rm_f(g, *p) < 0)
			ret = gerr(g, err, "cannot remove guest file", *p);
		op->result++;
	}
	if (op->kind == INJECT_EXISTS)
		op->result = op->result > 0;
	guestroot_strv_free(paths);
	return ret;
}

static int do_op(guestfs_h *g, const struct guestroot *r, struct inject_op *op,
		 struct bp_error *err)
{
	int n;

	if (op->kind != INJECT_UPLOAD && op->kind != INJECT_REMOVE_GLOB &&
	    op->kind != INJECT_EXISTS && op->kind != INJECT_COLLECT && !r->casefold)
		return error_set(err, "a registry change on a disk without Windows (%s)",
				 r->os[0] ? r->os : "a whole-disk file system");
	switch (op->kind) {
	case INJECT_UPLOAD:
		return do_upload(g, r, op, err);
	case INJECT_REMOVE_GLOB:
	case INJECT_EXISTS:
		return do_glob(g, r, op, err);
	case INJECT_SERVICE:
		return winreg_service_add(g, r, op->name, op->guest, op->value, err);
	case INJECT_SERVICE_START:
		n = winreg_service_start(g, r, op->name, op->value, err);
		op->result = n > 0;
		return n < 0 ? -1 : 0;
	case INJECT_SAFEBOOT:
		return winreg_safeboot(g, r, (int)op->value, err);
	case INJECT_SERVICE_PARAM:
		return winreg_service_param(g, r, op->name, op->guest, op->value, err);
	case INJECT_COLLECT:
		return collect_glob(g, r, op, err);
	case INJECT_AGENT_SERVICE:
		return winreg_program_add(g, r, op->name, op->guest, NULL, err);
	case INJECT_RECOVERY:
		return winreg_recovery(g, r, (int)op->value, err);
	}
	return error_set(err, "unknown offline operation %d", (int)op->kind);
}

/*
 * The job's disk is the appliance's /dev/sda now: forget what the kernel
 * cached of the last one, mount its OS root (guestroot.h), apply, and
 * write everything out.
 */
static int apply_ops(guestfs_h *g, struct inject_job *job, struct bp_error *err)
{
	static const char dev[] = "/dev/sda";
	struct guestroot r;
	int ret = 0;

	if (guestfs_blockdev_flushbufs(g, dev) < 0 || guestfs_blockdev_rereadpt(g, dev) < 0 ||
	    guestfs_drop_caches(g, 3) < 0)
		return gerr(g, err, "cannot refresh the appliance's view of", job->disk);
	if (guestroot_mount(g, dev, &r, err) < 0) {
		guestfs_umount_all(g);
		return -1;
	}
	for (size_t i = 0; i < job->nr_ops && !ret; i++)
		ret = do_op(g, &r, &job->ops[i], err);
	if (guestfs_umount_all(g) < 0 && !ret)
		ret = gerr(g, err, "cannot unmount", job->disk);
	if (guestfs_sync(g) < 0 && !ret)
		ret = gerr(g, err, "cannot sync", job->disk);
	if (guestfs_blockdev_flushbufs(g, dev) < 0 && !ret)
		ret = gerr(g, err, "cannot flush", job->disk);
	return ret;
}

int appliance_run(struct appliance *a, struct inject_job *job, const char *accel,
		  struct bp_error *err)
{
	uint64_t size;
	int attached = 0, ret = -1;

	if (qcow2_virtual_size(job->disk, &size, err) < 0)
		return -1;
	if (a->g && (a->size != size || strcmp(a->accel, accel)))
		appliance_stop(a);
	if (!a->g && launch(a, accel, size, err) < 0)
		goto out;
	if (qmp_call(a,
		     json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s}}}", "execute", "blockdev-add",
			       "arguments", "driver", "qcow2", "node-name", "job", "file", "driver",
			       "file", "filename", job->disk),
		     err) < 0)
		goto out;
	attached = 1;
	if (qsd_point(a, "job", err) < 0 || apply_ops(a->g, job, err) < 0)
		goto out;
	ret = 0;
out:
	/* Always let go of the disk: a trial's QEMU opens it next. */
	if (attached && (qsd_point(a, "null", ret ? NULL : err) < 0 ||
			 qmp_call(a,
				  json_pack("{s:s, s:{s:s}}", "execute", "blockdev-del",
					    "arguments", "node-name", "job"),
				  ret ? NULL : err) < 0))
		ret = -1;
	if (ret) {
		appliance_stop(a);
		error_prefix(err, "%s", job->disk);
	}
	return ret;
}
