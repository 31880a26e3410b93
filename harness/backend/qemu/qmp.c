/*
 * qmp - the QMP client: a line buffer on a non-blocking socket, jansson for
 * the JSON, replies matched to the command we sent by "id", everything else
 * that says "event" queued in arrival order. A command writes its request
 * and then polls the fd until the reply, an error or its deadline; events
 * read meanwhile wait in the queue for qmp_next_event(). EOF and protocol
 * errors (an unparsable or over-long message) are sticky: once seen, every
 * later call fails with the same message, but events read before them stay
 * queued, so a panic reported just before QEMU exits is not lost.
 */
#define _GNU_SOURCE
#include "qmp.h"

#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define QMP_READ_CHUNK 65536
#define QMP_READ_MAX_CHUNKS 32

struct qmp {
	int fd;
	struct strbuf in; /* bytes of an incomplete message */
	size_t scanned;	  /* bytes of `in` known to hold no newline */

	struct qmp_event *ev; /* queue: ev[ev_head..ev_nr) */
	size_t ev_head, ev_nr, ev_alloc;

	int64_t next_id;
	int64_t want_id;  /* id of the command waiting for its reply, or 0 */
	json_t *reply;	  /* its reply once read */
	int64_t async_id; /* id of the command sent by qmp_send_async(), or 0 */
	json_t *async_reply;
	char async_cmd[64];
	json_t *greeting;

	int timeout_ms; /* for the typed commands */
	int dead;	/* EOF or protocol error seen; dead_err says which */
	struct bp_error dead_err;
};

struct qmp *qmp_new(int fd)
{
	struct qmp *q = xcalloc(1, sizeof(*q));
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	q->fd = fd;
	strbuf_init(&q->in);
	q->next_id = 1;
	q->timeout_ms = QMP_DEFAULT_TIMEOUT_MS;
	return q;
}

void qmp_free(struct qmp *q)
{
	struct qmp_event ev;

	if (!q)
		return;
	while (qmp_next_event(q, &ev))
		qmp_event_release(&ev);
	free(q->ev);
	json_decref(q->reply);
	json_decref(q->async_reply);
	json_decref(q->greeting);
	strbuf_release(&q->in);
	if (q->fd >= 0)
		close(q->fd);
	free(q);
}

int qmp_greeted(const struct qmp *q)
{
	return q->greeting != NULL;
}

int qmp_fd(const struct qmp *q)
{
	return q->fd;
}

void qmp_set_timeout(struct qmp *q, int timeout_ms)
{
	q->timeout_ms = timeout_ms;
}

void qmp_event_release(struct qmp_event *ev)
{
	if (!ev)
		return;
	free(ev->name);
	json_decref(ev->data);
	ev->name = NULL;
	ev->data = NULL;
}

int qmp_next_event(struct qmp *q, struct qmp_event *ret)
{
	if (q->ev_head == q->ev_nr)
		return 0;
	*ret = q->ev[q->ev_head++];
	if (q->ev_head == q->ev_nr)
		q->ev_head = q->ev_nr = 0;
	return 1;
}

/* Mark the connection dead; the message is kept for every later call. */
static int qmp_die(struct qmp *q, struct bp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int qmp_die(struct qmp *q, struct bp_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!q->dead) {
		q->dead = 1;
		va_start(ap, fmt);
		vsnprintf(q->dead_err.msg, sizeof(q->dead_err.msg), fmt, ap);
		va_end(ap);
	}
	return error_set(err, "%s", q->dead_err.msg);
}

static void qmp_queue_event(struct qmp *q, json_t *msg, const char *name, int64_t host_ns)
{
	json_t *data = json_object_get(msg, "data");
	struct qmp_event *ev;

	ALLOC_GROW(q->ev, q->ev_nr + 1, q->ev_alloc);
	ev = &q->ev[q->ev_nr++];
	ev->name = xstrdup(name);
	ev->data = json_incref(data);
	ev->host_ns = host_ns;
}

static int qmp_is_id(int64_t want, const json_t *id)
{
	if (!want)
		return 0;
	if (json_is_integer(id))
		return json_integer_value(id) == want;
	/* an id a server wrote as a real ("id": 3.0); integers decode exactly (qmp_handle_line) */
	return json_is_real(id) && json_real_value(id) == (double)want;
}

/* n decimal digits (no leading zeros: JSON forbids them) at most bound. */
static int qmp_digits_fit(const char *d, size_t n, const char *bound)
{
	size_t bn = strlen(bound);

	return n < bn || (n == bn && memcmp(d, bound, n) <= 0);
}

/*
 * Copy a JSON text to sb with every integer literal above INT64_MAX (and
 * at most UINT64_MAX) in quotes: -1 for an integer beyond both int64 and
 * uint64. Strings are copied as they are (their digits are text).
 */
static int qmp_quote_u64(const char *s, size_t len, struct strbuf *sb)
{
	for (size_t i = 0, j; i < len; i = j) {
		if (s[i] == '"') {
			for (j = i + 1; j < len && s[j] != '"'; j++)
				if (s[j] == '\\')
					j++;
			j = j < len ? j + 1 : len;
		} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			int neg = s[i] == '-';
			size_t d = i + neg, n;

			for (j = d; j < len && s[j] >= '0' && s[j] <= '9'; j++)
				;
			n = j - d;
			if (j < len && strchr(".eE", s[j])) {
				/* a real: jansson holds it as a double, as QMP means it */
				while (j < len &&
				       (strchr("+-.eE", s[j]) || (s[j] >= '0' && s[j] <= '9')))
					j++;
			} else if (!qmp_digits_fit(s + d, n,
						   neg ? "9223372036854775808"
						       : "9223372036854775807")) {
				if (neg || !qmp_digits_fit(s + d, n, "18446744073709551615"))
					return -1;
				strbuf_addch(sb, '"');
				strbuf_add(sb, s + d, n);
				strbuf_addch(sb, '"');
				continue;
			}
		} else {
			j = i + 1;
		}
		strbuf_add(sb, s + i, j - i);
	}
	return 0;
}

json_t *qmp_json_load(const char *s, size_t len, struct bp_error *err)
{
	json_error_t jerr;
	json_t *msg = json_loadb(s, len, JSON_ALLOW_NUL, &jerr);

	/*
	 * Some events carry uint64 values the guest chooses (GUEST_PANICKED's
	 * hyper-v args); jansson cannot hold those as integers, and a double
	 * would round them: such integers become decimal strings, exactly.
	 */
	if (!msg && json_error_code(&jerr) == json_error_numeric_overflow) {
		struct strbuf sb = STRBUF_INIT;

		if (qmp_quote_u64(s, len, &sb) < 0) {
			strbuf_release(&sb);
			error_set(err, "integer beyond uint64");
			return NULL;
		}
		msg = json_loadb(sb.buf, sb.len, JSON_ALLOW_NUL, &jerr);
		strbuf_release(&sb);
	}
	if (!msg)
		error_set(err, "%s", jerr.text);
	return msg;
}

/* One complete message (without its newline). */
static int qmp_handle_line(struct qmp *q, const char *line, size_t len, int64_t host_ns,
			   struct bp_error *err)
{
	struct bp_error perr;
	json_t *msg, *v;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r", line[i]); i++)
		;
	if (i == len)
		return 0;
	msg = qmp_json_load(line, len, &perr);
	if (!msg)
		return qmp_die(q, err, "invalid qmp message: %s", perr.msg);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return qmp_die(q, err, "invalid qmp message: not an object");
	}
	if ((v = json_object_get(msg, "event"))) {
		if (json_is_string(v))
			qmp_queue_event(q, msg, json_string_value(v), host_ns);
	} else if (json_object_get(msg, "return") || json_object_get(msg, "error")) {
		json_t *id = json_object_get(msg, "id");

		if (!q->reply && qmp_is_id(q->want_id, id))
			q->reply = json_incref(msg);
		else if (!q->async_reply && qmp_is_id(q->async_id, id))
			q->async_reply = json_incref(msg);
	} else if (json_is_object(json_object_get(msg, "QMP"))) {
		if (!q->greeting)
			q->greeting = json_incref(msg);
	}
	json_decref(msg);
	return 0;
}

/* Hand every complete line in the buffer to qmp_handle_line(). */
static int qmp_handle_input(struct qmp *q, int64_t host_ns, struct bp_error *err)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(q->in.buf + q->scanned, '\n', q->in.len - q->scanned))) {
		size_t end = (size_t)(nl - q->in.buf);

		if (end - start > QMP_MAX_MESSAGE)
			break;
		if (qmp_handle_line(q, q->in.buf + start, end - start, host_ns, err) < 0)
			return -1;
		start = q->scanned = end + 1;
	}
	q->scanned = q->in.len;
	if (q->in.len - start > QMP_MAX_MESSAGE)
		return qmp_die(q, err, "qmp message longer than %d bytes", QMP_MAX_MESSAGE);
	strbuf_remove_prefix(&q->in, start);
	q->scanned -= start;
	return 0;
}

/*
 * Read until the socket would block, or QMP_READ_MAX_CHUNKS reads so a
 * flood cannot hold the caller; 0, or -1 on EOF or error (then dead).
 */
static int qmp_fill(struct qmp *q, struct bp_error *err)
{
	if (q->dead)
		return error_set(err, "%s", q->dead_err.msg);
	for (int i = 0; i < QMP_READ_MAX_CHUNKS; i++) {
		ssize_t n;

		strbuf_grow(&q->in, QMP_READ_CHUNK);
		n = read(q->fd, q->in.buf + q->in.len, QMP_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return qmp_die(q, err, "cannot read from qmp: %s", strerror(errno));
		if (n == 0)
			return qmp_die(q, err, "qmp connection closed");
		q->in.len += (size_t)n;
		q->in.buf[q->in.len] = '\0';
		if (qmp_handle_input(q, now_ns(), err) < 0)
			return -1;
	}
	return 0;
}

int qmp_read(struct qmp *q, struct bp_error *err)
{
	size_t before = q->ev_nr - q->ev_head;

	if (qmp_fill(q, err) < 0)
		return -1;
	return (int)(q->ev_nr - q->ev_head - before);
}

/* A private loop's handle: the fd is ready. */
static void qmp_ready(struct loop *l, int fd, short revents, void *ctx)
{
	*(int *)ctx = 1;
}

/*
 * Wait for POLLIN or POLLOUT until deadline_ms: 1 ready, 0 timed out, -1
 * when a signal set bp_interrupted (err filled). The blocking commands wait
 * in a loop of their own (loop.h holds the process's one poll()); code that
 * serves other VMs uses the _async calls from the shared loop instead.
 */
static int qmp_wait_io(struct qmp *q, short events, int64_t deadline_ms, struct bp_error *err)
{
	struct loop *l = loop_new();
	int ready = 0;

	loop_fd_add(l, q->fd, events, qmp_ready, &ready);
	for (;;) {
		int64_t left = deadline_ms - now_ms();

		if (loop_once(l, left < 0 ? 0 : (int)left) < 0 || ready || now_ms() >= deadline_ms)
			break;
		if (bp_interrupted) {
			loop_free(l);
			return error_set(err, "qmp interrupted by signal %d", (int)bp_interrupted);
		}
	}
	loop_free(l);
	return ready;
}

/*
 * Read until *slot is filled by qmp_handle_line(): 0 when it is, 1 when the
 * deadline passed first, -1 on EOF or error.
 */
static int qmp_wait(struct qmp *q, json_t **slot, int64_t deadline_ms, struct bp_error *err)
{
	for (;;) {
		if (qmp_fill(q, err) < 0)
			return *slot ? 0 : -1;
		if (*slot)
			return 0;
		if (now_ms() >= deadline_ms)
			return 1;
		switch (qmp_wait_io(q, POLLIN, deadline_ms, err)) {
		case 0:
			return 1;
		case -1:
			return -1;
		}
	}
}

/*
 * One send(); with pass_fd >= 0 a sendmsg() that carries it as SCM_RIGHTS
 * alongside the bytes (QEMU keeps the fd of the message for the command).
 */
static ssize_t qmp_send_some(struct qmp *q, const char *data, size_t len, int pass_fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (pass_fd < 0)
		return send(q->fd, data, len, MSG_NOSIGNAL | flags);
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	return sendmsg(q->fd, &msg, MSG_NOSIGNAL | flags);
}

/*
 * Write all of data; on failure *ret_left says how many bytes did not go
 * out. pass_fd (or -1) travels with the first bytes that are sent.
 */
static int qmp_send(struct qmp *q, const char *data, size_t len, int pass_fd, size_t *ret_left,
		    int64_t deadline_ms, const char *cmd, int timeout_ms, struct bp_error *err)
{
	while ((*ret_left = len)) {
		ssize_t n = qmp_send_some(q, data, len, pass_fd, 0);

		if (n > 0)
			pass_fd = -1;

		if (n >= 0) {
			data += n;
			len -= (size_t)n;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int r = qmp_wait_io(q, POLLOUT, deadline_ms, err);

			if (r == 0)
				return error_set(err, "qmp '%s' timed out after %d ms", cmd,
						 timeout_ms);
			if (r < 0)
				return -1;
		} else if (errno == EPIPE || errno == ECONNRESET) {
			/* read what QEMU said before it went (the EOF makes q dead) */
			qmp_fill(q, NULL);
			return error_set(err, "qmp connection closed");
		} else {
			return error_set(err, "cannot write to qmp: %s", strerror(errno));
		}
	}
	return 0;
}

static int qmp_reply_error(const char *cmd, json_t *error, struct bp_error *err)
{
	const char *class = json_string_value(json_object_get(error, "class"));
	const char *desc = json_string_value(json_object_get(error, "desc"));

	return error_set(err, "qmp '%s' failed: %s: %s", cmd, class ? class : "unknown",
			 desc ? desc : "no description");
}

/* The request line for cmd (args taken), newline-terminated; NULL with err if it cannot be encoded.
 */
static char *request_line(const char *cmd, json_t *args, json_int_t id, struct bp_error *err)
{
	json_t *req = json_object();
	char *text, *line = NULL;

	json_object_set_new(req, "execute", json_string(cmd));
	if (args)
		json_object_set_new(req, "arguments", args);
	json_object_set_new(req, "id", json_integer(id));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text)
		line = xasprintf("%s\n", text);
	else
		error_set(err, "cannot encode qmp '%s'", cmd);
	free(text);
	return line;
}

/*
 * qmp_command(), and with eof_ok EOF after the request went out counts as
 * success; pass_fd (or -1) is sent alongside the request (SCM_RIGHTS).
 */
static int qmp_execute(struct qmp *q, const char *cmd, json_t *args, json_t **ret_return,
		       int timeout_ms, int eof_ok, int pass_fd, struct bp_error *err)
{
	int64_t deadline = now_ms() + timeout_ms;
	json_t *error;
	struct bp_error werr;
	char *line = NULL;
	size_t left = 0;
	int ret = -1, r;

	if (ret_return)
		*ret_return = NULL;
	if (q->dead) {
		json_decref(args);
		error_set(err, "%s", q->dead_err.msg);
		goto out;
	}
	q->want_id = q->next_id++;
	if (!(line = request_line(cmd, args, q->want_id, err)))
		goto out;
	if (qmp_send(q, line, strlen(line), pass_fd, &left, deadline, cmd, timeout_ms, &werr) < 0) {
		/* QEMU runs a command at its closing brace and may be gone before the newline */
		if (eof_ok && left <= 1 && !strcmp(werr.msg, "qmp connection closed"))
			ret = 0;
		else
			error_set(err, "%s", werr.msg);
		goto out;
	}
	r = qmp_wait(q, &q->reply, deadline, &werr);
	if (r < 0 && eof_ok && q->dead && !strcmp(werr.msg, "qmp connection closed")) {
		ret = 0;
		goto out;
	}
	if (r < 0) {
		error_set(err, "%s", werr.msg);
		goto out;
	}
	if (r > 0) {
		error_set(err, "qmp '%s' timed out after %d ms", cmd, timeout_ms);
		goto out;
	}
	if ((error = json_object_get(q->reply, "error"))) {
		qmp_reply_error(cmd, error, err);
		goto out;
	}
	if (ret_return)
		*ret_return = json_incref(json_object_get(q->reply, "return"));
	ret = 0;
out:
	q->want_id = 0;
	json_decref(q->reply);
	q->reply = NULL;
	free(line);
	return ret;
}

int qmp_command(struct qmp *q, const char *cmd, json_t *args, json_t **ret_return, int timeout_ms,
		struct bp_error *err)
{
	return qmp_execute(q, cmd, args, ret_return, timeout_ms, 0, -1, err);
}

int qmp_handshake(struct qmp *q, int timeout_ms, struct bp_error *err)
{
	int64_t deadline = now_ms() + timeout_ms;
	int r = qmp_wait(q, &q->greeting, deadline, err);

	if (r > 0)
		return error_set(err, "timed out waiting for the qmp greeting after %d ms",
				 timeout_ms);
	if (r < 0)
		return error_prefix(err, "no qmp greeting");
	r = (int)(deadline - now_ms());
	return qmp_command(q, "qmp_capabilities", NULL, NULL, r > 0 ? r : 0, err);
}

int qmp_cont(struct qmp *q, struct bp_error *err)
{
	return qmp_command(q, "cont", NULL, NULL, q->timeout_ms, err);
}

int qmp_quit(struct qmp *q, struct bp_error *err)
{
	return qmp_execute(q, "quit", NULL, NULL, q->timeout_ms, 1, -1, err);
}

int qmp_stop(struct qmp *q, struct bp_error *err)
{
	return qmp_command(q, "stop", NULL, NULL, q->timeout_ms, err);
}

int qmp_system_reset(struct qmp *q, struct bp_error *err)
{
	return qmp_command(q, "system_reset", NULL, NULL, q->timeout_ms, err);
}

int qmp_screendump(struct qmp *q, const char *png_path, struct bp_error *err)
{
	json_t *args = json_pack("{s:s, s:s}", "filename", png_path, "format", "png");

	if (!args)
		return error_set(err, "cannot encode qmp 'screendump'");
	return qmp_command(q, "screendump", args, NULL, q->timeout_ms, err);
}

json_t *qmp_send_key_args(const char *const *keys, size_t n)
{
	json_t *v = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(v, json_pack("{s:s, s:s}", "type", "qcode", "data", keys[i]));
	return json_pack("{s:o}", "keys", v);
}

int qmp_query_status(struct qmp *q, char **ret_status, struct bp_error *err)
{
	json_t *ret = NULL;
	const char *status;

	*ret_status = NULL;
	if (qmp_command(q, "query-status", NULL, &ret, q->timeout_ms, err) < 0)
		return -1;
	status = json_string_value(json_object_get(ret, "status"));
	if (status)
		*ret_status = xstrdup(status);
	json_decref(ret);
	if (!status)
		return error_set(err, "qmp 'query-status' returned no status");
	return 0;
}

/* ---- commands for a poll loop: sent without waiting ---- */

int qmp_send_async(struct qmp *q, const char *cmd, json_t *args, struct bp_error *err)
{
	return qmp_send_async_fd(q, cmd, args, -1, err);
}

int qmp_send_async_fd(struct qmp *q, const char *cmd, json_t *args, int pass_fd,
		      struct bp_error *err)
{
	char *text = NULL;
	ssize_t n = -1;
	size_t len = 0;
	int ret = -1;

	if (q->dead || q->async_id) {
		json_decref(args);
		if (q->dead)
			return error_set(err, "%s", q->dead_err.msg);
		return error_set(err, "qmp '%s': '%s' is still waiting for its reply", cmd,
				 q->async_cmd);
	}
	q->async_id = q->next_id++;
	snprintf(q->async_cmd, sizeof(q->async_cmd), "%s", cmd);
	if (!(text = request_line(cmd, args, q->async_id, err)))
		goto out;
	len = strlen(text);
	do
		n = qmp_send_some(q, text, len, pass_fd, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		ret = 0;
	} else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
		qmp_fill(q, NULL);
		qmp_die(q, err, "qmp connection closed");
	} else {
		/* Half a command in the stream, or none: either way QEMU is not reading. */
		qmp_die(q, err, "qmp '%s' would block: qemu is not reading its monitor", cmd);
	}
out:
	if (ret < 0)
		q->async_id = 0;
	free(text);
	return ret;
}

int qmp_async_reply(struct qmp *q, json_t **ret_return, struct bp_error *err)
{
	json_t *error;
	int ret;

	if (ret_return)
		*ret_return = NULL;
	if (!q->async_id)
		return error_set(err, "qmp: no command is waiting for its reply");
	if (!q->async_reply) {
		if (!q->dead)
			return 0;
		ret = error_set(err, "%s", q->dead_err.msg);
	} else if ((error = json_object_get(q->async_reply, "error"))) {
		ret = qmp_reply_error(q->async_cmd, error, err);
	} else {
		if (ret_return)
			*ret_return = json_incref(json_object_get(q->async_reply, "return"));
		ret = 1;
	}
	json_decref(q->async_reply);
	q->async_reply = NULL;
	q->async_id = 0;
	return ret;
}

/* ---- fd passing, migration, waiting for an event ---- */

int qmp_getfd(struct qmp *q, int fd, const char *name, struct bp_error *err)
{
	json_t *args;

	if (fd < 0)
		return error_set(err, "qmp 'getfd': no fd to pass for '%s'", name);
	args = json_pack("{s:s}", "fdname", name);
	if (!args)
		return error_set(err, "cannot encode qmp 'getfd'");
	return qmp_execute(q, "getfd", args, NULL, q->timeout_ms, 0, fd, err);
}

int qmp_migrate(struct qmp *q, const char *uri, struct bp_error *err)
{
	json_t *args = json_pack("{s:s}", "uri", uri);

	if (!args)
		return error_set(err, "cannot encode qmp 'migrate'");
	return qmp_command(q, "migrate", args, NULL, q->timeout_ms, err);
}

int qmp_migrate_incoming(struct qmp *q, const char *uri, struct bp_error *err)
{
	json_t *args = json_pack("{s:s}", "uri", uri);

	if (!args)
		return error_set(err, "cannot encode qmp 'migrate-incoming'");
	return qmp_command(q, "migrate-incoming", args, NULL, q->timeout_ms, err);
}

int qmp_migrate_set_capability(struct qmp *q, const char *capability, int on, struct bp_error *err)
{
	json_t *args =
	    json_pack("{s:[{s:s, s:b}]}", "capabilities", "capability", capability, "state", on);

	if (!args)
		return error_set(err, "cannot encode qmp 'migrate-set-capabilities'");
	return qmp_command(q, "migrate-set-capabilities", args, NULL, q->timeout_ms, err);
}

/* Remove the first queued event called name into *ret: 1, or 0 if none is queued. */
static int qmp_take_event(struct qmp *q, const char *name, struct qmp_event *ret)
{
	for (size_t i = q->ev_head; i < q->ev_nr; i++) {
		if (strcmp(q->ev[i].name, name))
			continue;
		*ret = q->ev[i];
		memmove(&q->ev[i], &q->ev[i + 1], (q->ev_nr - i - 1) * sizeof(*q->ev));
		if (q->ev_head == --q->ev_nr)
			q->ev_head = q->ev_nr = 0;
		return 1;
	}
	return 0;
}

/* 0 with *ret filled, 1 when deadline_ms passed first, -1 on EOF, error or a signal. */
static int qmp_wait_event_until(struct qmp *q, const char *name, int64_t deadline_ms,
				struct qmp_event *ret, struct bp_error *err)
{
	for (;;) {
		int r;

		if (qmp_take_event(q, name, ret))
			return 0;
		if (qmp_fill(q, err) < 0)
			return qmp_take_event(q, name, ret) ? 0 : -1;
		if (qmp_take_event(q, name, ret))
			return 0;
		if (now_ms() >= deadline_ms)
			return 1;
		r = qmp_wait_io(q, POLLIN, deadline_ms, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return 1;
	}
}

int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, struct qmp_event *ret,
		   struct bp_error *err)
{
	int r = qmp_wait_event_until(q, name, now_ms() + timeout_ms, ret, err);

	if (r > 0)
		return error_set(err, "no '%s' event within %d ms", name, timeout_ms);
	return r;
}

int qmp_wait_migration(struct qmp *q, int timeout_ms, struct bp_error *err)
{
	int64_t deadline = now_ms() + timeout_ms;
	char last[64] = "none";

	for (;;) {
		struct qmp_event ev;
		const char *status;
		json_t *info = NULL;
		int r = qmp_wait_event_until(q, "MIGRATION", deadline, &ev, err);

		if (r > 0)
			return error_set(
			    err, "migration did not complete within %d ms (last status '%s')",
			    timeout_ms, last);
		if (r < 0)
			return error_prefix(err, "migration (last status '%s')", last);
		status = json_string_value(json_object_get(ev.data, "status"));
		snprintf(last, sizeof(last), "%s", status ? status : "unknown");
		qmp_event_release(&ev);
		if (!strcmp(last, "completed"))
			return 0;
		if (strcmp(last, "failed") && strcmp(last, "cancelled"))
			continue;
		/* The reason is only in query-migrate; an incoming QEMU may be exiting already. */
		r = (int)(deadline - now_ms());
		if (qmp_command(q, "query-migrate", NULL, &info,
				r < 100	   ? 100
				: r > 2000 ? 2000
					   : r,
				NULL) == 0 &&
		    json_is_string(json_object_get(info, "error-desc")))
			error_set(err, "migration %s: %s", last,
				  json_string_value(json_object_get(info, "error-desc")));
		else
			error_set(err, "migration %s", last);
		json_decref(info);
		return -1;
	}
}
