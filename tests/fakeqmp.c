/*
 * fakeqmp - the scripted fake QMP server (see fakeqmp.h). The parent keeps
 * the script and forks a child that runs it on one end of a socketpair; the
 * child reports a failure as text on a pipe and exits 1, and the parent
 * reads that pipe to EOF (bounded) before reaping, so nothing sleeps.
 */
#define _GNU_SOURCE
#include "fakeqmp.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_STEP_TIMEOUT_MS 5000
#define FAKE_FINISH_TIMEOUT_MS 10000

#define FAKE_GREETING                                                                              \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "          \
	"\"package\": \"Debian 1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}"

enum fake_op { FAKE_SEND, FAKE_EXPECT, FAKE_REPLY, FAKE_CLOSE };

struct fake_step {
	enum fake_op op;
	char *text;   /* SEND: raw bytes; EXPECT: command name; REPLY: JSON */
	json_t *args; /* EXPECT: required arguments, or NULL for none */
	char *fd_text; /* EXPECT: the command must carry one fd; this is written to it */
};

struct fakeqmp {
	struct fake_step *steps;
	size_t nr, alloc;
	pid_t pid;
	int status_fd; /* read end of the child's report pipe */
};

static json_t *parse_or_abort(const char *json, size_t flags)
{
	json_error_t jerr;
	json_t *v = json_loads(json, flags, &jerr);

	if (!json_is_object(v)) {
		fprintf(stderr, "fakeqmp: bad JSON in test script: %s: %s\n", jerr.text, json);
		abort();
	}
	return v;
}

static void add_step(struct fakeqmp *f, enum fake_op op, char *text, json_t *args)
{
	ALLOC_GROW(f->steps, f->nr + 1, f->alloc);
	f->steps[f->nr++] = (struct fake_step){op, text, args, NULL};
}

struct fakeqmp *fakeqmp_new(void)
{
	struct fakeqmp *f = xcalloc(1, sizeof(*f));

	f->status_fd = -1;
	return f;
}

void fakeqmp_greet(struct fakeqmp *f)
{
	fakeqmp_event(f, FAKE_GREETING);
	fakeqmp_expect(f, "qmp_capabilities", "{\"return\": {}}");
}

void fakeqmp_expect_args(struct fakeqmp *f, const char *cmd, const char *args, const char *reply)
{
	add_step(f, FAKE_EXPECT, xstrdup(cmd), args ? parse_or_abort(args, 0) : NULL);
	if (reply)
		fakeqmp_reply(f, reply);
}

void fakeqmp_expect_fd(struct fakeqmp *f, const char *cmd, const char *args, const char *fd_text,
		       const char *reply)
{
	add_step(f, FAKE_EXPECT, xstrdup(cmd), args ? parse_or_abort(args, 0) : NULL);
	f->steps[f->nr - 1].fd_text = xstrdup(fd_text);
	if (reply)
		fakeqmp_reply(f, reply);
}

void fakeqmp_expect(struct fakeqmp *f, const char *cmd, const char *reply)
{
	fakeqmp_expect_args(f, cmd, NULL, reply);
}

void fakeqmp_reply(struct fakeqmp *f, const char *reply)
{
	json_decref(parse_or_abort(reply, 0));
	add_step(f, FAKE_REPLY, xstrdup(reply), NULL);
}

void fakeqmp_event(struct fakeqmp *f, const char *json)
{
	/* sent verbatim: reals are fine for checking it is an object */
	json_decref(parse_or_abort(json, JSON_DECODE_INT_AS_REAL));
	add_step(f, FAKE_SEND, xasprintf("%s\n", json), NULL);
}

void fakeqmp_send(struct fakeqmp *f, const char *raw)
{
	add_step(f, FAKE_SEND, xstrdup(raw), NULL);
}

void fakeqmp_close(struct fakeqmp *f)
{
	add_step(f, FAKE_CLOSE, NULL, NULL);
}

/* ---- the child ---- */

#define FAKE_MAX_FDS 16

struct fake_child {
	int fd, status_fd;
	size_t step;
	struct strbuf in;
	int client_gone;
	/* fds received (SCM_RIGHTS) with the stream offset of the bytes they came with */
	struct {
		int fd;
		size_t off;
	} fds[FAKE_MAX_FDS];
	size_t nr_fds;
	size_t in_off; /* stream offset of in.buf[0] */
	/* the fds that came with the line child_read_line() returned last */
	int line_fds[FAKE_MAX_FDS];
	size_t nr_line_fds;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
child_fail(struct fake_child *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "fakeqmp step %zu: ", c->step + 1);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (write(c->status_fd, sb.buf, sb.len) < 0)
		_exit(2);
	_exit(1);
}

static void child_write(struct fake_child *c, const char *data, size_t len)
{
	while (len && !c->client_gone) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			c->client_gone = 1;
			break;
		}
		if (n < 0)
			child_fail(c, "write: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

/* read() that also keeps the fds sent alongside the bytes (SCM_RIGHTS). */
static ssize_t child_recv(struct fake_child *c, char *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(FAKE_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
		size_t nr;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		nr = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nr; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			if (c->nr_fds == FAKE_MAX_FDS)
				child_fail(c, "more than %d fds received", FAKE_MAX_FDS);
			c->fds[c->nr_fds].fd = fd;
			c->fds[c->nr_fds++].off = c->in_off + c->in.len;
		}
	}
	return n;
}

/* Hand the fds that came with the first `len` bytes of c->in to the line taken from there. */
static void child_take_line_fds(struct fake_child *c, size_t len)
{
	size_t keep = 0;

	for (size_t i = 0; i < c->nr_line_fds; i++)
		close(c->line_fds[i]);
	c->nr_line_fds = 0;
	for (size_t i = 0; i < c->nr_fds; i++) {
		if (c->fds[i].off < c->in_off + len)
			c->line_fds[c->nr_line_fds++] = c->fds[i].fd;
		else
			c->fds[keep++] = c->fds[i];
	}
	c->nr_fds = keep;
	c->in_off += len;
}

/*
 * One line from the client: malloc'd, NULL on EOF; fails after the step
 * timeout. The fds that came with its bytes are in c->line_fds.
 */
static char *child_read_line(struct fake_child *c, const char *what)
{
	int64_t deadline = now_ms() + FAKE_STEP_TIMEOUT_MS;

	for (;;) {
		char *nl = memchr(c->in.buf, '\n', c->in.len);
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		char buf[4096];
		int64_t left = deadline - now_ms();
		ssize_t n;
		int r = 0;

		if (nl) {
			char *line = xstrndup(c->in.buf, (size_t)(nl - c->in.buf));

			child_take_line_fds(c, (size_t)(nl - c->in.buf) + 1);
			strbuf_remove_prefix(&c->in, (size_t)(nl - c->in.buf) + 1);
			return line;
		}
		if (left <= 0 || (r = poll(&pfd, 1, (int)left)) == 0)
			child_fail(c, "timed out waiting for %s", what);
		if (r < 0)
			continue;
		n = child_recv(c, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ECONNRESET)
			n = 0;
		if (n < 0)
			child_fail(c, "read: %s", strerror(errno));
		if (n == 0) {
			if (c->in.len)
				child_fail(c, "EOF after a partial line '%s'", c->in.buf);
			return NULL;
		}
		strbuf_add(&c->in, buf, (size_t)n);
	}
}

/* Check one command against an EXPECT step; returns its "id" (a new reference). */
static json_t *child_expect(struct fake_child *c, const struct fake_step *s)
{
	char *what = xasprintf("'%s'", s->text);
	char *line = child_read_line(c, what);
	json_error_t jerr;
	json_t *cmd, *args, *id;
	const char *name;

	if (!line)
		child_fail(c, "client closed the connection, expected '%s'", s->text);
	cmd = json_loads(line, 0, &jerr);
	if (!json_is_object(cmd))
		child_fail(c, "expected '%s', got invalid JSON '%s'", s->text, line);
	name = json_string_value(json_object_get(cmd, "execute"));
	if (!name || strcmp(name, s->text))
		child_fail(c, "expected '%s', got '%s'", s->text, line);
	args = json_object_get(cmd, "arguments");
	if (s->args ? !json_equal(args, s->args) : args && json_object_size(args))
		child_fail(c, "'%s' with unexpected arguments: '%s'", s->text, line);
	id = json_object_get(cmd, "id");
	if (!id)
		child_fail(c, "'%s' without an id: '%s'", s->text, line);
	if (s->fd_text) {
		size_t len = strlen(s->fd_text);

		if (c->nr_line_fds != 1)
			child_fail(c, "'%s' came with %zu fds, expected 1", s->text, c->nr_line_fds);
		if (write(c->line_fds[0], s->fd_text, len) != (ssize_t)len)
			child_fail(c, "cannot write to the fd passed with '%s': %s", s->text,
				   strerror(errno));
		close(c->line_fds[0]);
		c->nr_line_fds = 0;
	} else if (c->nr_line_fds) {
		child_fail(c, "'%s' came with %zu unexpected fds", s->text, c->nr_line_fds);
	}
	json_incref(id);
	json_decref(cmd);
	free(line);
	free(what);
	return id;
}

static void __attribute__((noreturn)) child_run(struct fakeqmp *f, int fd, int status_fd)
{
	struct fake_child c = {.fd = fd, .status_fd = status_fd};
	json_t *last_id = NULL;
	char *line;

	strbuf_init(&c.in);
	for (c.step = 0; c.step < f->nr; c.step++) {
		const struct fake_step *s = &f->steps[c.step];
		json_t *reply;
		char *text;

		switch (s->op) {
		case FAKE_SEND:
			child_write(&c, s->text, strlen(s->text));
			break;
		case FAKE_EXPECT:
			json_decref(last_id);
			last_id = child_expect(&c, s);
			break;
		case FAKE_REPLY:
			if (!last_id)
				child_fail(&c, "reply before any expected command");
			reply = json_loads(s->text, 0, NULL);
			json_object_set(reply, "id", last_id);
			text = json_dumps(reply, JSON_COMPACT);
			child_write(&c, text, strlen(text));
			child_write(&c, "\n", 1);
			free(text);
			json_decref(reply);
			break;
		case FAKE_CLOSE:
			close(fd);
			_exit(0);
		}
	}
	line = child_read_line(&c, "the client to close");
	if (line)
		child_fail(&c, "unexpected command after the end of the script: '%s'", line);
	_exit(0);
}

/* ---- the parent ---- */

int fakeqmp_start(struct fakeqmp *f, struct bp_error *err)
{
	int sv[2], pipefd[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return error_set(err, "cannot create socketpair: %s", strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		return error_set(err, "cannot create pipe: %s", strerror(errno));
	}
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0) {
		error_set(err, "cannot fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (f->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		close(pipefd[0]);
		child_run(f, sv[1], pipefd[1]);
	}
	close(sv[1]);
	close(pipefd[1]);
	f->status_fd = pipefd[0];
	return sv[0];
}

int fakeqmp_finish(struct fakeqmp *f, struct bp_error *err)
{
	struct strbuf report = STRBUF_INIT;
	int64_t deadline = now_ms() + FAKE_FINISH_TIMEOUT_MS;
	int ret = 0, status, timed_out = 0;

	if (!f)
		return 0;
	if (f->pid > 0) {
		/* The pipe reaches EOF when the child exits. */
		for (;;) {
			struct pollfd pfd = {.fd = f->status_fd, .events = POLLIN};
			int64_t left = deadline - now_ms();
			char buf[512];
			ssize_t n;

			if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
				timed_out = 1;
				kill(f->pid, SIGKILL);
				break;
			}
			n = read(f->status_fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			strbuf_add(&report, buf, (size_t)n);
		}
		while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
			;
		if (timed_out)
			ret = error_set(err, "fakeqmp: server still running after %d ms, killed",
					FAKE_FINISH_TIMEOUT_MS);
		else if (report.len)
			ret = error_set(err, "%s", report.buf);
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = error_set(err, "fakeqmp: server ended with status 0x%x", status);
	}
	if (f->status_fd >= 0)
		close(f->status_fd);
	for (size_t i = 0; i < f->nr; i++) {
		free(f->steps[i].fd_text);
		free(f->steps[i].text);
		json_decref(f->steps[i].args);
	}
	free(f->steps);
	free(f);
	strbuf_release(&report);
	return ret;
}
