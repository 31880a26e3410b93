/*
 * inject - overlays, and the libguestfs worker that runs offline jobs
 * (see inject.h). The worker side is a loop over requests on a socket; the
 * appliance it keeps is appliance.c's.
 */
#define _GNU_SOURCE
#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appliance.h"
#include "loop.h"
#include "proc.h"
#include "scenario.h"

/* How long a worker told to quit may take to shut its appliance down. */
#define WORKER_QUIT_MS (20 * 1000)
/* Requests are one datagram each: paths and globs, a few per op. */
#define REQUEST_MAX (256 * 1024)
#define NO_STRING UINT32_MAX

void inject_ops_add(struct inject_ops *o, enum inject_op_kind kind, const char *host,
		    const char *guest)
{
	ALLOC_GROW(o->v, o->nr + 1, o->alloc);
	o->v[o->nr++] = (struct inject_op){kind, host, xstrdup(guest), 0, NULL, 0};
}

void inject_ops_add_reg(struct inject_ops *o, enum inject_op_kind kind, const char *name,
			const char *guest, unsigned value)
{
	ALLOC_GROW(o->v, o->nr + 1, o->alloc);
	o->v[o->nr++] = (struct inject_op){kind, NULL, xstrdup(guest ? guest : ""), 0,
					   name ? xstrdup(name) : NULL, value};
}

void inject_ops_add_content(struct inject_ops *o, const struct content_set *cs, const char *dir)
{
	for (size_t i = 0; cs && i < cs->nr_files; i++) {
		char *guest = xasprintf("%s/%s", dir, cs->files[i].as);

		inject_ops_add(o, INJECT_UPLOAD, cs->files[i].path, guest);
		free(guest);
	}
}

void inject_ops_release(struct inject_ops *o)
{
	for (size_t i = 0; i < o->nr; i++) {
		free((char *)o->v[i].guest);
		free((char *)o->v[i].name);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}

int overlay_create(const char *golden, const char *overlay, struct bp_error *err)
{
	guestfs_h *g;
	const char *msg;
	int ret = 0;

	if (access(overlay, F_OK) == 0)
		return error_set(err, "overlay '%s' already exists", overlay);
	g = guestfs_create_flags(GUESTFS_CREATE_NO_CLOSE_ON_EXIT);
	if (!g)
		return error_set(err, "cannot create libguestfs handle: %s", strerror(errno));
	guestfs_set_error_handler(g, NULL, NULL);
	if (guestfs_disk_create(g, overlay, "qcow2", -1, GUESTFS_DISK_CREATE_BACKINGFILE, golden,
				GUESTFS_DISK_CREATE_BACKINGFORMAT, "qcow2", -1) < 0) {
		msg = guestfs_last_error(g);
		ret = error_set(err, "cannot create overlay '%s': %s", overlay,
				msg ? msg : "unknown libguestfs error");
	}
	guestfs_close(g);
	return ret;
}

/* ---- the request: accel, then every job's disk and ops ---------------------------- */

static void put_u32(struct strbuf *sb, uint32_t v)
{
	strbuf_add(sb, &v, sizeof(v));
}

static void put_str(struct strbuf *sb, const char *s)
{
	put_u32(sb, s ? (uint32_t)strlen(s) : NO_STRING);
	if (s)
		strbuf_adds(sb, s);
}

static void request_encode(struct strbuf *sb, const char *accel, const struct inject_job *jobs,
			   size_t nr_jobs)
{
	put_str(sb, accel);
	put_u32(sb, (uint32_t)nr_jobs);
	for (size_t i = 0; i < nr_jobs; i++) {
		put_str(sb, jobs[i].disk);
		put_u32(sb, (uint32_t)jobs[i].nr_ops);
		for (size_t j = 0; j < jobs[i].nr_ops; j++) {
			put_u32(sb, (uint32_t)jobs[i].ops[j].kind);
			put_str(sb, jobs[i].ops[j].host);
			put_str(sb, jobs[i].ops[j].guest);
			put_str(sb, jobs[i].ops[j].name);
			put_u32(sb, jobs[i].ops[j].value);
		}
	}
}

/* A cursor over a received request; strings are NUL-terminated in place. */
struct cursor {
	char *p, *end;
	int bad;
};

static uint32_t get_u32(struct cursor *c)
{
	uint32_t v = 0;

	if (c->end - c->p < (ptrdiff_t)sizeof(v))
		return c->bad = 1, 0;
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	return v;
}

/* The length word is overwritten by the string moved down over it, plus a NUL. */
static const char *get_str(struct cursor *c)
{
	char *start = c->p;
	uint32_t len = get_u32(c);

	if (c->bad || len == NO_STRING)
		return NULL;
	if ((uint64_t)(c->end - c->p) < len)
		return c->bad = 1, NULL;
	memmove(start, c->p, len);
	start[len] = '\0';
	c->p += len;
	return start;
}

struct request {
	const char *accel;
	struct inject_job *jobs;
	size_t nr_jobs;
};

static void request_release(struct request *rq)
{
	for (size_t i = 0; rq->jobs && i < rq->nr_jobs; i++)
		free(rq->jobs[i].ops);
	free(rq->jobs);
}

static int request_decode(struct request *rq, char *buf, size_t len)
{
	struct cursor c = {buf, buf + len, 0};

	memset(rq, 0, sizeof(*rq));
	rq->accel = get_str(&c);
	rq->nr_jobs = get_u32(&c);
	if (c.bad || !rq->accel || rq->nr_jobs > len)
		return -1;
	rq->jobs = xcalloc(rq->nr_jobs ? rq->nr_jobs : 1, sizeof(*rq->jobs));
	for (size_t i = 0; i < rq->nr_jobs && !c.bad; i++) {
		struct inject_job *job = &rq->jobs[i];

		job->disk = get_str(&c);
		job->nr_ops = get_u32(&c);
		if (c.bad || !job->disk || job->nr_ops > len)
			return -1;
		job->ops = xcalloc(job->nr_ops ? job->nr_ops : 1, sizeof(*job->ops));
		for (size_t j = 0; j < job->nr_ops && !c.bad; j++) {
			struct inject_op *op = &job->ops[j];

			op->kind = (enum inject_op_kind)get_u32(&c);
			op->host = get_str(&c);
			op->guest = get_str(&c);
			op->name = get_str(&c);
			op->value = get_u32(&c);
			if (!op->guest || op->kind > INJECT_OP_LAST ||
			    ((op->kind == INJECT_UPLOAD || op->kind == INJECT_COLLECT) && !op->host) ||
			    ((op->kind == INJECT_SERVICE || op->kind == INJECT_SERVICE_START ||
			      op->kind == INJECT_SERVICE_PARAM || op->kind == INJECT_AGENT_SERVICE) &&
			     !op->name))
				c.bad = 1;
		}
	}
	return c.bad ? -1 : 0;
}

/* ---- the answer: status, message, then every op's result ------------------------ */

struct inject_reply {
	int ret;
	int launches; /* appliance launches so far */
	uint32_t nr_results;
	char msg[sizeof(((struct bp_error *)0)->msg)];
};

/* ---- the worker ---------------------------------------------------------------- */

static void worker_serve(struct appliance *a, char *buf, size_t len, int reply_fd)
{
	struct inject_reply reply = {0};
	struct strbuf out = STRBUF_INIT;
	struct bp_error err = {{0}};
	struct request rq;

	reply.ret =
	    request_decode(&rq, buf, len) < 0 ? error_set(&err, "bad libguestfs request") : 0;
	for (size_t i = 0; !reply.ret && i < rq.nr_jobs; i++)
		reply.ret = appliance_run(a, &rq.jobs[i], rq.accel, &err);
	for (size_t i = 0; !reply.ret && i < rq.nr_jobs; i++)
		for (size_t j = 0; j < rq.jobs[i].nr_ops; j++, reply.nr_results++)
			strbuf_add(&out, &rq.jobs[i].ops[j].result, sizeof(int));
	reply.launches = a->launches;
	memcpy(reply.msg, err.msg, sizeof(reply.msg));
	/* A harness that gave up has closed its end: nothing to do about that. */
	if (write_all(reply_fd, &reply, sizeof(reply)) == 0)
		write_all(reply_fd, out.buf, out.len);
	strbuf_release(&out);
	request_release(&rq);
}

/* Take one request and the pipe its answer goes to; 0 at the harness's end. */
static ssize_t worker_receive(int ctl, char *buf, int *reply_fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctrl;
	struct iovec iov = {buf, REQUEST_MAX};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctrl, .msg_controllen = sizeof(ctrl)};
	struct cmsghdr *cm;
	ssize_t n;

	*reply_fd = -1;
	do
		n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(reply_fd, CMSG_DATA(cm), sizeof(int));
	if (n > 0 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		n = 1; /* served as a bad request */
	return n;
}

static void __attribute__((noreturn)) worker_main(int ctl)
{
	char *buf = xmalloc(REQUEST_MAX);
	struct appliance a;
	int reply_fd;
	ssize_t n;

	appliance_init(&a);
	while ((n = worker_receive(ctl, buf, &reply_fd)) > 0) {
		if (reply_fd < 0)
			continue;
		worker_serve(&a, buf, (size_t)n, reply_fd);
		close(reply_fd);
	}
	appliance_stop(&a);
	_exit(0);
}

/* ---- the harness's side --------------------------------------------------------- */

static struct {
	struct proc proc;
	int ctl;      /* our end of the request socket; -1: no worker */
	pid_t owner;  /* the process that forked it (atexit runs in forks too) */
	int launches; /* from the last answer */
} worker = {.proc.pidfd = -1, .ctl = -1};

static void worker_stop(int kill)
{
	if (worker.ctl >= 0)
		close(worker.ctl);
	worker.ctl = -1;
	/* Its end of the socket reads EOF: it shuts its appliance down and exits. */
	if (worker.proc.pid > 0 && (kill || proc_wait(&worker.proc, WORKER_QUIT_MS) < 0))
		proc_kill(&worker.proc);
	proc_release(&worker.proc);
}

void inject_shutdown(void)
{
	if (worker.owner == getpid())
		worker_stop(0);
}

int inject_launches(void)
{
	return worker.launches;
}

/*
 * The child keeps nothing of the harness's open but stdin and stderr: a
 * long-lived copy of its fds would hold sockets and pipes open after the
 * harness closed them (their peers would never see EOF).
 */
static void __attribute__((noreturn)) worker_enter(int ctl)
{
	int devnull = open("/dev/null", O_WRONLY);

	if (devnull >= 0)
		dup2(devnull, 1); /* stdout is the harness's TAP stream */
	if (ctl != 3 && dup3(ctl, 3, O_CLOEXEC) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	worker_main(3);
}

static int worker_start(struct bp_error *err)
{
	static int at_exit;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return error_set(err, "socketpair: %s", strerror(errno));
	if (proc_fork(&worker.proc, err) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (worker.proc.pid == 0)
		worker_enter(sv[1]);
	close(sv[1]);
	worker.ctl = sv[0];
	worker.owner = getpid();
	if (!at_exit++)
		atexit(inject_shutdown);
	return 0;
}

static int worker_send(const struct strbuf *rq, int reply_fd, struct bp_error *err)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctrl = {0};
	struct iovec iov = {rq->buf, rq->len};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctrl, .msg_controllen = sizeof(ctrl)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	if (rq->len > REQUEST_MAX)
		return error_set(err, "libguestfs request of %zu bytes too large", rq->len);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &reply_fd, sizeof(int));
	do
		n = sendmsg(worker.ctl, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_set(err, "cannot reach the libguestfs worker: %s", strerror(errno));
	return 0;
}

int inject_start(struct inject_task *task, struct inject_job *jobs, size_t nr_jobs,
		 const char *accel, struct bp_error *err)
{
	struct strbuf rq = STRBUF_INIT;
	int fds[2] = {-1, -1}, ret = -1;

	memset(task, 0, sizeof(*task));
	task->fd = -1;
	task->jobs = jobs;
	task->nr_jobs = nr_jobs;
	if (worker.ctl >= 0 && proc_reap(&worker.proc))
		worker_stop(0); /* it died: fork a new one */
	if (worker.ctl < 0 && worker_start(err) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set(err, "pipe: %s", strerror(errno));
	request_encode(&rq, accel, jobs, nr_jobs);
	if (worker_send(&rq, fds[1], err) == 0) {
		task->fd = fds[0];
		fds[0] = -1;
		ret = 0;
	}
	close(fds[1]);
	if (fds[0] >= 0)
		close(fds[0]);
	strbuf_release(&rq);
	return ret;
}

static int read_reply(struct inject_task *task, struct bp_error *err)
{
	struct inject_reply reply = {0};
	size_t nr_ops = 0;

	for (size_t i = 0; i < task->nr_jobs; i++)
		nr_ops += task->jobs[i].nr_ops;
	if (read_all(task->fd, &reply, sizeof(reply)) < 0) {
		char how[128];

		if (worker.ctl >= 0 && proc_reap(&worker.proc))
			return error_set(err, "libguestfs worker %s",
					 proc_describe(&worker.proc, how, sizeof(how)));
		return error_set(err, "libguestfs worker gave no answer");
	}
	worker.launches = reply.launches;
	reply.msg[sizeof(reply.msg) - 1] = '\0';
	if (reply.ret < 0)
		return error_set(err, "%s", reply.msg);
	if (reply.nr_results != nr_ops)
		return error_set(err, "libguestfs worker answered %u results, expected %zu",
				 reply.nr_results, nr_ops);
	for (size_t i = 0; i < task->nr_jobs; i++)
		for (size_t j = 0; j < task->jobs[i].nr_ops; j++)
			if (read_all(task->fd, &task->jobs[i].ops[j].result, sizeof(int)) < 0)
				return error_set(err, "libguestfs worker's answer is cut short");
	return 0;
}

int inject_finish(struct inject_task *task, int kill, struct bp_error *err)
{
	int ret = -1;

	if (kill) {
		worker_stop(1);
		error_set(err, "libguestfs worker stopped");
	} else {
		ret = read_reply(task, err);
	}
	if (task->fd >= 0)
		close(task->fd);
	task->fd = -1;
	return ret;
}

static void on_answer(struct loop *l, int fd, short revents, void *ctx)
{
	*(int *)ctx = 1;
}

int inject_batch_isolated(struct inject_job *jobs, size_t nr_jobs, const char *accel,
			  int timeout_ms, struct bp_error *err)
{
	struct inject_task task;
	int64_t deadline = now_ms() + timeout_ms;
	struct loop *l;
	int ready = 0;

	if (inject_start(&task, jobs, nr_jobs, accel, err) < 0)
		return -1;
	/* A private loop: the caller blocks by design (it runs outside the trials' loop). */
	l = loop_new();
	loop_fd_add(l, task.fd, POLLIN, on_answer, &ready);
	while (!ready && now_ms() < deadline)
		if (loop_once(l, (int)(deadline - now_ms())) < 0)
			break;
	loop_free(l);
	if (!ready) {
		inject_finish(&task, 1, NULL);
		return error_set(err, "libguestfs did not finish within %d s", timeout_ms / 1000);
	}
	return inject_finish(&task, 0, err);
}
