/*
 * t-qmp - unit tests of the QMP client against the scripted fake server
 * (tests/fakeqmp.h), and one handshake/query-status/quit round against a
 * real qemu-system-x86_64 when there is one ($BOOTPROOF_QEMU or $PATH).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakeqmp.h"
#include "machine.h"
#include "qmp.h"
#include "tap.h"

#define STATUS_PAUSED                                                                              \
	"{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}}"
#define STATUS_RUNNING                                                                             \
	"{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}"

static struct qmp *start(struct fakeqmp *f)
{
	struct bp_error err;
	int fd = fakeqmp_start(f, &err);

	if (fd < 0) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
	return qmp_new(fd);
}

/* Reap the fake server: a test of its own, as a wrong command fails there. */
static void finish(struct fakeqmp *f, const char *name)
{
	struct bp_error err = {""};

	if (!tap_ok(fakeqmp_finish(f, &err) == 0, name))
		tap_diag(err.msg);
}

static struct qmp *start_greeted(struct fakeqmp *f)
{
	struct bp_error err = {""};
	struct qmp *q = start(f);

	if (qmp_handshake(q, 2000, &err) < 0) {
		printf("Bail out! handshake: %s\n", err.msg);
		exit(1);
	}
	return q;
}

/* Poll and read until `want` events are queued (or 2 s passed); returns how many. */
static int collect(struct qmp *q, struct qmp_event *evs, int want)
{
	int64_t deadline = now_ms() + 2000;
	int n = 0;

	while (n < want) {
		struct pollfd pfd = {.fd = qmp_fd(q), .events = POLLIN};

		if (qmp_next_event(q, &evs[n])) {
			n++;
			continue;
		}
		if (deadline - now_ms() <= 0 || poll(&pfd, 1, (int)(deadline - now_ms())) <= 0 ||
		    qmp_read(q, NULL) < 0)
			break;
	}
	while (n < want && qmp_next_event(q, &evs[n]))
		n++;
	return n;
}

static const char *data_str(const struct qmp_event *ev, const char *key)
{
	return json_string_value(json_object_get(ev->data, key));
}

static void test_handshake(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp *q;

	fakeqmp_greet(f);
	q = start(f);
	tap_is_int(qmp_handshake(q, 2000, &err), 0, "handshake succeeds");
	tap_is_str(err.msg, "", "handshake leaves err alone");
	qmp_free(q);
	finish(f, "handshake sends exactly qmp_capabilities, without arguments");

	/* no greeting at all */
	f = fakeqmp_new();
	q = start(f);
	tap_is_int(qmp_handshake(q, 100, &err), -1, "handshake without greeting fails");
	tap_is_str(err.msg, "timed out waiting for the qmp greeting after 100 ms",
		   "handshake without greeting times out");
	qmp_free(q);
	finish(f, "no command sent when there is no greeting");

	/* capabilities refused */
	f = fakeqmp_new();
	fakeqmp_event(f, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}");
	fakeqmp_expect(f, "qmp_capabilities",
		       "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}}");
	q = start(f);
	tap_is_int(qmp_handshake(q, 2000, &err), -1, "handshake with refused capabilities fails");
	tap_is_str(err.msg, "qmp 'qmp_capabilities' failed: CommandNotFound: nope",
		   "refused capabilities reported");
	qmp_free(q);
	finish(f, "refused capabilities script ran");

	/* connection closed before the greeting */
	f = fakeqmp_new();
	fakeqmp_close(f);
	q = start(f);
	tap_is_int(qmp_handshake(q, 2000, &err), -1, "handshake on a closed connection fails");
	tap_is_str(err.msg, "no qmp greeting: qmp connection closed",
		   "closed connection before greeting reported");
	qmp_free(q);
	finish(f, "close-before-greeting script ran");
}

static void test_return_values(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	json_t *ret = NULL;
	char *status = NULL;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "query-status", STATUS_RUNNING);
	fakeqmp_expect_args(f, "human-monitor-command", "{\"command-line\": \"info version\"}",
			    "{\"return\": \"7.2.0\\r\\n\"}");
	fakeqmp_expect(f, "cont", "{\"return\": {}}");
	fakeqmp_expect(f, "stop", "{\"return\": {}}");
	fakeqmp_expect(f, "system_reset", "{\"return\": {}}");
	fakeqmp_expect_args(f, "screendump",
			    "{\"filename\": \"/tmp/shot.png\", \"format\": \"png\"}",
			    "{\"return\": {}}");
	fakeqmp_expect(f, "query-status", STATUS_PAUSED);
	q = start_greeted(f);

	tap_is_int(qmp_command(q, "query-status", NULL, &ret, 2000, &err), 0,
		   "query-status via qmp_command succeeds");
	tap_is_str(json_string_value(json_object_get(ret, "status")), "running",
		   "its return value carries status");
	tap_ok(json_is_true(json_object_get(ret, "running")), "and running: true");
	json_decref(ret);
	ret = NULL;

	tap_is_int(qmp_command(q, "human-monitor-command",
			       json_pack("{s:s}", "command-line", "info version"), &ret, 2000,
			       &err),
		   0, "a command with arguments succeeds");
	tap_is_str(json_string_value(ret), "7.2.0\r\n", "a non-object return value is handed back");
	json_decref(ret);

	tap_is_int(qmp_cont(q, &err), 0, "cont");
	tap_is_int(qmp_stop(q, &err), 0, "stop");
	tap_is_int(qmp_system_reset(q, &err), 0, "system_reset");
	tap_is_int(qmp_screendump(q, "/tmp/shot.png", &err), 0, "screendump");
	tap_is_int(qmp_query_status(q, &status, &err), 0, "qmp_query_status");
	tap_is_str(status, "paused", "qmp_query_status returns the status string");
	free(status);
	qmp_free(q);
	finish(f, "commands sent by name, with the expected arguments, in order");
}

static void test_error_reply(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	json_t *ret = json_true();
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont",
		       "{\"error\": {\"class\": \"GenericError\", "
		       "\"desc\": \"Resetting the Virtual Machine is required\"}}");
	fakeqmp_expect(f, "query-status", "{\"error\": {\"class\": \"GenericError\"}}");
	fakeqmp_expect(f, "cont", "{\"return\": {}}");
	q = start_greeted(f);
	tap_is_int(qmp_cont(q, &err), -1, "an error reply fails the command");
	tap_is_str(err.msg,
		   "qmp 'cont' failed: GenericError: Resetting the Virtual Machine is required",
		   "err carries command, class and desc");
	tap_is_int(qmp_command(q, "query-status", NULL, &ret, 2000, &err), -1,
		   "an error without desc fails too");
	tap_ok(ret == NULL, "no return value after an error reply");
	tap_is_str(err.msg, "qmp 'query-status' failed: GenericError: no description",
		   "missing desc reported as such");
	tap_is_int(qmp_cont(q, &err), 0, "the connection is usable after an error reply");
	qmp_free(q);
	finish(f, "error reply script ran");
}

static void test_events_before_reply(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev[3] = {{0}};
	int64_t t0, t1;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", NULL);
	fakeqmp_event(f, "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, "
			 "\"microseconds\": 2}}");
	fakeqmp_event(f, "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\", "
			 "\"info\": {\"type\": \"s390\", \"core\": 3, \"psw-mask\": 42}}}");
	fakeqmp_event(f, "{\"event\": \"STOP\"}");
	fakeqmp_reply(f, "{\"return\": {}}");
	q = start_greeted(f);

	tap_is_int(qmp_next_event(q, &ev[0]), 0, "no event queued after the handshake");
	t0 = now_ns();
	tap_is_int(qmp_cont(q, &err), 0, "cont succeeds with events before its reply");
	t1 = now_ns();
	tap_is_int(qmp_next_event(q, &ev[0]), 1, "first event queued");
	tap_is_int(qmp_next_event(q, &ev[1]), 1, "second event queued");
	tap_is_int(qmp_next_event(q, &ev[2]), 1, "third event queued");
	tap_is_str(ev[0].name, "RESUME", "events in arrival order (1)");
	tap_is_str(ev[1].name, "GUEST_PANICKED", "events in arrival order (2)");
	tap_is_str(ev[2].name, "STOP", "events in arrival order (3)");
	tap_ok(ev[0].data == NULL, "an event without data has data NULL");
	tap_is_str(data_str(&ev[1], "action"), "pause", "event data kept");
	tap_is_int(json_integer_value(json_object_get(json_object_get(ev[1].data, "info"), "core")),
		   3, "nested event data kept");
	tap_ok(ev[0].host_ns >= t0 && ev[2].host_ns <= t1, "host_ns taken during the command");
	tap_ok(ev[0].host_ns <= ev[1].host_ns && ev[1].host_ns <= ev[2].host_ns,
	       "host_ns does not go backwards");
	for (int i = 0; i < 3; i++)
		qmp_event_release(&ev[i]);
	tap_is_int(qmp_next_event(q, &ev[0]), 0, "queue empty afterwards");
	qmp_free(q);
	finish(f, "events-before-reply script ran");
}

static void test_split_and_batched_events(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev[2] = {{0}};
	struct pollfd pfd;
	char *status = NULL;
	int64_t t0;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_send(f, "{\"event\": \"RES");
	/* the rest only once the client has sent a command, so it cannot coalesce */
	fakeqmp_expect(f, "query-status", NULL);
	fakeqmp_send(f, "ET\", \"data\": {\"guest\": true, \"reason\": \"guest-reset\"}}\r\n");
	fakeqmp_reply(f, STATUS_RUNNING);
	fakeqmp_expect(f, "cont", "{\"return\": {}}");
	fakeqmp_send(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"reason\": \"guest-shutdown\"}}\n"
			"{\"event\": \"POWERDOWN\"}\n");
	q = start_greeted(f);

	pfd = (struct pollfd){.fd = qmp_fd(q), .events = POLLIN};
	poll(&pfd, 1, 2000);
	tap_ok(qmp_read(q, &err) == 0, "half an event: qmp_read queues nothing");
	tap_is_int(qmp_next_event(q, &ev[0]), 0, "half an event is not an event");
	t0 = now_ns();
	tap_is_int(qmp_query_status(q, &status, &err), 0, "command completes the split event");
	tap_is_str(status, "running", "and gets its own reply");
	free(status);
	tap_is_int(qmp_next_event(q, &ev[0]), 1, "split event queued");
	tap_is_str(ev[0].name, "RESET", "split event reassembled");
	tap_is_str(data_str(&ev[0], "reason"), "guest-reset", "split event data reassembled");
	tap_ok(ev[0].host_ns >= t0, "host_ns of a split event is when its end was read");
	qmp_event_release(&ev[0]);

	tap_is_int(qmp_cont(q, &err), 0, "cont");
	tap_is_int(collect(q, ev, 2), 2, "two events in one write: both queued");
	tap_is_str(ev[0].name, "SHUTDOWN", "first of two in one write");
	tap_is_str(data_str(&ev[0], "reason"), "guest-shutdown", "first keeps its data");
	tap_is_str(ev[1].name, "POWERDOWN", "second of two in one write");
	tap_ok(ev[0].host_ns == ev[1].host_ns, "one read, one host_ns");
	qmp_event_release(&ev[0]);
	qmp_event_release(&ev[1]);
	qmp_free(q);
	finish(f, "split/batched script ran");
}

static void test_unknown_id(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	char *status = NULL;
	struct qmp_event ev;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "query-status", NULL);
	fakeqmp_send(f, "{\"return\": {\"status\": \"running\"}, \"id\": 424242}\n");
	fakeqmp_send(f, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": 7}\n");
	fakeqmp_send(f, "{\"return\": {\"status\": \"running\"}}\n");
	fakeqmp_send(f, "{\"return\": {\"status\": \"running\"}, \"id\": \"2\"}\n");
	fakeqmp_send(f, "{\"something\": \"else\"}\n\n");
	fakeqmp_reply(f, STATUS_PAUSED);
	q = start_greeted(f);
	tap_is_int(qmp_query_status(q, &status, &err), 0, "replies with other ids are skipped");
	tap_is_str(status, "paused", "the reply with our id is the one returned");
	tap_is_int(qmp_next_event(q, &ev), 0, "skipped replies are not events");
	free(status);
	qmp_free(q);
	finish(f, "unknown-id script ran");
}

static void test_eof(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev = {0};
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", NULL);
	fakeqmp_event(f, "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}}");
	fakeqmp_send(f, "{\"return\": {");
	fakeqmp_close(f);
	q = start_greeted(f);
	tap_is_int(qmp_cont(q, &err), -1, "EOF in the middle of a reply fails the command");
	tap_is_str(err.msg, "qmp connection closed", "EOF reported as a closed connection");
	tap_is_int(qmp_next_event(q, &ev), 1, "an event read before EOF stays queued");
	tap_is_str(ev.name, "GUEST_PANICKED", "and it is the right one");
	qmp_event_release(&ev);
	err.msg[0] = '\0';
	tap_is_int(qmp_read(q, &err), -1, "qmp_read after EOF fails");
	tap_is_str(err.msg, "qmp connection closed", "with the same message");
	err.msg[0] = '\0';
	tap_is_int(qmp_stop(q, &err), -1, "a command after EOF fails at once");
	tap_is_str(err.msg, "qmp connection closed", "EOF is sticky");
	qmp_free(q);
	finish(f, "EOF script ran");
}

static void test_timeout(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	json_t *ret = NULL;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "query-status", NULL);
	q = start_greeted(f);
	tap_is_int(qmp_command(q, "query-status", NULL, &ret, 100, &err), -1,
		   "no reply: the command fails");
	tap_is_str(err.msg, "qmp 'query-status' timed out after 100 ms", "with a timeout message");
	tap_ok(ret == NULL, "and no return value");
	qmp_free(q);
	finish(f, "timeout script ran");

	/* typed commands use qmp_set_timeout() */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_expect(f, "system_reset", NULL);
	q = start_greeted(f);
	qmp_set_timeout(q, 50);
	tap_is_int(qmp_system_reset(q, &err), -1, "typed command times out");
	tap_is_str(err.msg, "qmp 'system_reset' timed out after 50 ms",
		   "typed command uses qmp_set_timeout()");
	qmp_free(q);
	finish(f, "typed timeout script ran");
}

static void test_long_message(void)
{
	struct strbuf big = STRBUF_INIT;
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev = {0};
	struct qmp *q;
	size_t fill;

	/* exactly QMP_MAX_MESSAGE bytes before the newline: accepted */
	strbuf_adds(&big, "{\"event\": \"BIG\", \"data\": {\"s\": \"");
	fill = QMP_MAX_MESSAGE - big.len - strlen("\"}}");
	for (size_t i = 0; i < fill; i++)
		strbuf_addch(&big, 'a');
	strbuf_adds(&big, "\"}}");
	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", NULL);
	fakeqmp_event(f, big.buf);
	fakeqmp_reply(f, "{\"return\": {}}");
	/* one byte more: refused */
	strbuf_reset(&big);
	strbuf_adds(&big, "{\"event\": \"BIG\", \"data\": {\"s\": \"");
	for (size_t i = 0; i <= fill; i++)
		strbuf_addch(&big, 'b');
	strbuf_adds(&big, "\"}}");
	fakeqmp_expect(f, "query-status", NULL);
	fakeqmp_event(f, big.buf);
	q = start_greeted(f);
	tap_is_int(qmp_cont(q, &err), 0, "a message of exactly QMP_MAX_MESSAGE bytes is accepted");
	tap_is_int(qmp_next_event(q, &ev), 1, "the big event is queued");
	tap_is_int((long long)strlen(data_str(&ev, "s")), (long long)fill, "with all its data");
	qmp_event_release(&ev);
	tap_is_int(qmp_command(q, "query-status", NULL, NULL, 2000, &err), -1,
		   "an over-long message fails the command");
	tap_is_str(err.msg, "qmp message longer than 1048576 bytes", "over-long message reported");
	tap_is_int(qmp_next_event(q, &ev), 0, "the over-long event is not queued");
	qmp_free(q);
	finish(f, "long message script ran");
	strbuf_release(&big);

	/* a never-ending line fails as soon as it passes the cap */
	f = fakeqmp_new();
	big.len = 0;
	strbuf_adds(&big, "{\"event\": \"X\", \"data\": \"");
	while (big.len <= QMP_MAX_MESSAGE + 100)
		strbuf_adds(&big, "cccccccccccccccccccccccccccccccc");
	fakeqmp_greet(f);
	fakeqmp_send(f, big.buf);
	q = start_greeted(f);
	{
		struct pollfd pfd = {.fd = qmp_fd(q), .events = POLLIN};
		int64_t deadline = now_ms() + 2000;
		int r;

		/* the handshake may have read it all already: read first, then poll */
		err.msg[0] = '\0';
		while ((r = qmp_read(q, &err)) == 0 && now_ms() < deadline)
			poll(&pfd, 1, 2000);
		tap_is_int(r, -1, "an unterminated over-long line fails qmp_read");
		tap_is_str(err.msg, "qmp message longer than 1048576 bytes",
			   "without waiting for its end");
	}
	qmp_free(q);
	finish(f, "unterminated long line script ran");
	strbuf_release(&big);
}

static void test_bad_json(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", NULL);
	fakeqmp_send(f, "{\"event\": oops}\n");
	q = start_greeted(f);
	tap_is_int(qmp_cont(q, &err), -1, "invalid JSON fails the command");
	tap_like(err.msg, "invalid qmp message: ", "invalid JSON reported");
	qmp_free(q);
	finish(f, "bad JSON script ran");
}

static void test_huge_integer(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev = {0};
	json_t *info;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", NULL);
	fakeqmp_event(f, "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\", "
			 "\"info\": {\"type\": \"hyper-v\", \"arg1\": 18446744073709551615, "
			 "\"arg2\": 5, \"arg3\": 18446744073709551614}}}");
	fakeqmp_reply(f, "{\"return\": {}}");
	q = start_greeted(f);
	tap_is_int(qmp_cont(q, &err), 0, "an event with a uint64 beyond int64 does not break qmp");
	tap_is_int(qmp_next_event(q, &ev), 1, "that event is queued");
	tap_is_str(ev.name, "GUEST_PANICKED", "under its name");
	info = json_object_get(ev.data, "info");
	tap_is_str(json_string_value(json_object_get(info, "arg1")), "18446744073709551615",
		   "a uint64 beyond int64 comes as its exact digits (a string)");
	tap_is_str(json_string_value(json_object_get(info, "arg3")), "18446744073709551614",
		   "exactly: not rounded to the nearest double");
	tap_is_int(json_integer_value(json_object_get(info, "arg2")), 5,
		   "a small integer of the same message stays an integer");
	tap_is_str(json_string_value(json_object_get(info, "type")), "hyper-v",
		   "the rest of its data is intact");
	qmp_event_release(&ev);
	qmp_free(q);
	finish(f, "huge integer script ran");
}

/*
 * The Hyper-V bugcheck of issue 12 (July 19's shape): a kernel address
 * above INT64_MAX in arg2 and arg4 comes out exact, which a double (what
 * JSON_DECODE_INT_AS_REAL would give) cannot hold.
 */
static void test_hyperv_kernel_address(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev = {0};
	const uint64_t addr = 0xfffff8048b58334cull, ref = 0xffff840500000074ull;
	json_t *info;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", NULL);
	fakeqmp_event(f, "{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\", "
			 "\"info\": {\"type\": \"hyper-v\", \"arg1\": 80, "
			 "\"arg2\": 18446607755742543988, \"arg3\": 0, "
			 "\"arg4\": 18446735297134211916, \"arg5\": 2}}}");
	fakeqmp_reply(f, "{\"return\": {}}");
	q = start_greeted(f);
	tap_is_int(qmp_cont(q, &err), 0, "a hyper-v GUEST_PANICKED with kernel addresses is read");
	tap_is_int(qmp_next_event(q, &ev), 1, "and queued");
	info = json_object_get(ev.data, "info");
	tap_ok(strtoull(json_string_value(json_object_get(info, "arg4")) ?: "", NULL, 10) == addr,
	       "arg4 0xfffff8048b58334c exactly");
	tap_ok(strtoull(json_string_value(json_object_get(info, "arg2")) ?: "", NULL, 10) == ref,
	       "arg2 0xffff840500000074 exactly");
	tap_ok((uint64_t)(double)addr != addr, "(a double would have rounded it)");
	tap_is_int(json_integer_value(json_object_get(info, "arg1")), 0x50, "arg1 the code, an integer");
	qmp_event_release(&ev);
	qmp_free(q);
	finish(f, "hyper-v kernel address script ran");
}

static void test_quit(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp *q;

	/* QEMU closing without replying */
	fakeqmp_greet(f);
	fakeqmp_expect(f, "quit", NULL);
	fakeqmp_close(f);
	q = start_greeted(f);
	tap_is_int(qmp_quit(q, &err), 0, "quit answered by EOF succeeds");
	tap_is_str(err.msg, "", "and leaves err empty");
	qmp_free(q);
	finish(f, "quit-EOF script ran");

	/* the usual: reply, SHUTDOWN, EOF */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_expect(f, "quit", "{\"return\": {}}");
	fakeqmp_event(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, "
			 "\"reason\": \"host-qmp-quit\"}}");
	fakeqmp_close(f);
	q = start_greeted(f);
	tap_is_int(qmp_quit(q, &err), 0, "quit with a reply then EOF succeeds");
	qmp_free(q);
	finish(f, "quit-reply script ran");

	/* EOF is only fine for quit */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_expect(f, "stop", NULL);
	fakeqmp_close(f);
	q = start_greeted(f);
	tap_is_int(qmp_stop(q, &err), -1, "stop answered by EOF fails");
	qmp_free(q);
	finish(f, "stop-EOF script ran");
}

static void test_write_to_closed(void)
{
	struct bp_error err = {""};
	struct qmp *q;
	int sv[2];

	/* no fake: the client must not have read the EOF before it writes */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	close(sv[1]);
	q = qmp_new(sv[0]);
	tap_is_int(qmp_cont(q, &err), -1,
		   "writing to a closed peer fails (and SIGPIPE is not raised)");
	tap_is_str(err.msg, "qmp connection closed", "as a closed connection");
	err.msg[0] = '\0';
	tap_is_int(qmp_read(q, &err), -1, "the failed write made the EOF visible");
	tap_is_str(err.msg, "qmp connection closed", "to qmp_read too");
	qmp_free(q);
}

/* The fake itself must fail loudly, or the tests above prove nothing. */
static void test_fake_catches_mistakes(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", "{\"return\": {}}");
	q = start_greeted(f);
	tap_is_int(qmp_stop(q, &err), -1, "a wrong command gets no reply from the fake");
	qmp_free(q);
	tap_is_int(fakeqmp_finish(f, &err), -1, "fakeqmp_finish fails on a wrong command");
	tap_like(err.msg, "fakeqmp step 4: expected 'cont', got '{\"execute\":\"stop\"",
		 "and says what was wrong");

	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_expect_args(f, "screendump", "{\"filename\": \"a.png\", \"format\": \"png\"}",
			    "{\"return\": {}}");
	q = start_greeted(f);
	qmp_set_timeout(q, 2000);
	tap_is_int(qmp_screendump(q, "b.png", &err), -1, "wrong arguments get no reply");
	qmp_free(q);
	tap_is_int(fakeqmp_finish(f, &err), -1, "fakeqmp_finish fails on wrong arguments");
	tap_like(err.msg, "'screendump' with unexpected arguments", "and says so");

	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_expect(f, "cont", "{\"return\": {}}");
	q = start_greeted(f);
	qmp_free(q);
	tap_is_int(fakeqmp_finish(f, &err), -1, "fakeqmp_finish fails on a missing command");
	tap_like(err.msg, "client closed the connection, expected 'cont'", "and names it");
}

/* ---- fd passing and migration ---- */

/* Read what the fake wrote into the pipe (until EOF, at most 2 s). */
static char *read_pipe(int fd)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t deadline = now_ms() + 2000;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char buf[256];
		ssize_t n;

		if (deadline - now_ms() <= 0 || poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		strbuf_add(&sb, buf, (size_t)n);
	}
	return strbuf_detach(&sb);
}

static void test_getfd(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	int p[2] = {-1, -1};
	char *got;
	struct qmp *q;

	if (pipe2(p, O_CLOEXEC) < 0) {
		printf("Bail out! pipe: %s\n", strerror(errno));
		exit(1);
	}
	fakeqmp_greet(f);
	fakeqmp_expect_fd(f, "getfd", "{\"fdname\": \"bpstate\"}", "written through the passed fd\n",
			  "{\"return\": {}}");
	/* refused: the caller still owns its fd */
	fakeqmp_expect_fd(f, "getfd", "{\"fdname\": \"1bad\"}", "second\n",
			  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'fdname' "
			  "expects a name not starting with a digit\"}}");
	/* a command after getfd carries no fd (the fake fails the script if it does) */
	fakeqmp_expect(f, "cont", "{\"return\": {}}");
	q = start_greeted(f);
	tap_is_int(qmp_getfd(q, p[1], "bpstate", &err), 0, "getfd succeeds");
	tap_ok(fcntl(p[1], F_GETFD) >= 0, "the caller keeps its fd after getfd");
	tap_is_int(qmp_getfd(q, p[1], "1bad", &err), -1, "a refused getfd fails");
	tap_is_str(err.msg,
		   "qmp 'getfd' failed: GenericError: Parameter 'fdname' expects a name not "
		   "starting with a digit",
		   "with QEMU's reason");
	tap_ok(fcntl(p[1], F_GETFD) >= 0, "and the caller still owns its fd");
	tap_is_int(qmp_getfd(q, -1, "bpstate", &err), -1, "getfd without an fd fails");
	tap_is_str(err.msg, "qmp 'getfd': no fd to pass for 'bpstate'", "before sending anything");
	tap_is_int(qmp_cont(q, &err), 0, "the next command goes out without an fd");
	close(p[1]);
	got = read_pipe(p[0]);
	tap_is_str(got, "written through the passed fd\nsecond\n",
		   "the server received our very fd (its writes reach our pipe)");
	free(got);
	close(p[0]);
	qmp_free(q);
	finish(f, "getfd carries exactly one fd (SCM_RIGHTS) with the command, others none");

	/* the fake really checks: getfd without the fd fails its script */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_expect_fd(f, "getfd", "{\"fdname\": \"x\"}", "x", "{\"return\": {}}");
	q = start_greeted(f);
	qmp_set_timeout(q, 500);
	tap_is_int(qmp_command(q, "getfd", json_pack("{s:s}", "fdname", "x"), NULL, 500, &err), -1,
		   "getfd sent without an fd gets no reply from the fake");
	qmp_free(q);
	tap_is_int(fakeqmp_finish(f, &err), -1, "and fakeqmp_finish fails");
	tap_like(err.msg, "'getfd' came with 0 fds, expected 1", "saying the fd was missing");
}

static void test_migrate_commands(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect_args(f, "migrate-set-capabilities",
			    "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}",
			    "{\"return\": {}}");
	fakeqmp_expect_args(f, "migrate-set-capabilities",
			    "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", "
			    "\"state\": false}]}",
			    "{\"return\": {}}");
	fakeqmp_expect_args(f, "migrate", "{\"uri\": \"fd:bpstate\"}", "{\"return\": {}}");
	fakeqmp_expect_args(f, "migrate-incoming", "{\"uri\": \"fd:bpstate\"}", "{\"return\": {}}");
	fakeqmp_expect_args(f, "migrate-incoming", "{\"uri\": \"fd:nope\"}",
			    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"File descriptor "
			    "named 'nope' has not been found\"}}");
	q = start_greeted(f);
	tap_is_int(qmp_migrate_set_capability(q, "events", 1, &err), 0, "migrate-set-capabilities on");
	tap_is_int(qmp_migrate_set_capability(q, "x-ignore-shared", 0, &err), 0,
		   "migrate-set-capabilities off");
	tap_is_int(qmp_migrate(q, "fd:bpstate", &err), 0, "migrate");
	tap_is_int(qmp_migrate_incoming(q, "fd:bpstate", &err), 0, "migrate-incoming");
	tap_is_int(qmp_migrate_incoming(q, "fd:nope", &err), -1, "a refused migrate-incoming fails");
	tap_is_str(err.msg,
		   "qmp 'migrate-incoming' failed: GenericError: File descriptor named 'nope' has "
		   "not been found",
		   "with QEMU's reason");
	qmp_free(q);
	finish(f, "migration commands sent with the expected arguments");
}

#define MIG(status) "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"" status "\"}}"

static void test_wait_migration(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev = {0};
	int64_t t0;
	struct qmp *q;

	/* completed, with other events around the MIGRATION ones */
	fakeqmp_greet(f);
	fakeqmp_expect(f, "migrate", "{\"return\": {}}");
	fakeqmp_event(f, MIG("setup"));
	fakeqmp_event(f, "{\"event\": \"STOP\"}");
	fakeqmp_event(f, MIG("active"));
	fakeqmp_event(f, "{\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 1}}");
	fakeqmp_event(f, MIG("completed"));
	fakeqmp_event(f, "{\"event\": \"RESUME\"}");
	q = start_greeted(f);
	tap_is_int(qmp_command(q, "migrate", NULL, NULL, 2000, &err), 0, "migrate");
	tap_is_int(qmp_wait_migration(q, 2000, &err), 0, "wait: status completed succeeds");
	tap_is_int(collect(q, &ev, 1), 1, "other events stay queued");
	tap_is_str(ev.name, "STOP", "in order: STOP first");
	qmp_event_release(&ev);
	tap_is_int(collect(q, &ev, 1), 1, "then the next one");
	tap_is_str(ev.name, "MIGRATION_PASS", "MIGRATION_PASS is not MIGRATION");
	qmp_event_release(&ev);
	tap_is_int(collect(q, &ev, 1), 1, "then the last one");
	tap_is_str(ev.name, "RESUME", "RESUME, read after completed, is kept too");
	qmp_event_release(&ev);
	tap_is_int(qmp_next_event(q, &ev), 0, "every MIGRATION event was consumed");
	qmp_free(q);
	finish(f, "completed script ran");

	/* failed: the reason comes from query-migrate */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_event(f, MIG("setup"));
	fakeqmp_event(f, MIG("failed"));
	fakeqmp_expect(f, "query-migrate",
		       "{\"return\": {\"status\": \"failed\", \"error-desc\": \"Unable to write to "
		       "file: No space left on device\"}}");
	q = start_greeted(f);
	tap_is_int(qmp_wait_migration(q, 2000, &err), -1, "wait: status failed fails");
	tap_is_str(err.msg, "migration failed: Unable to write to file: No space left on device",
		   "with query-migrate's error-desc");
	qmp_free(q);
	finish(f, "failed script ran (query-migrate asked once)");

	/* failed, and QEMU gone before query-migrate answers (an incoming QEMU exits) */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_event(f, MIG("active"));
	fakeqmp_event(f, MIG("failed"));
	fakeqmp_close(f);
	q = start_greeted(f);
	tap_is_int(qmp_wait_migration(q, 2000, &err), -1, "wait: failed then EOF fails");
	tap_is_str(err.msg, "migration failed", "as a failed migration");
	qmp_free(q);
	finish(f, "failed-then-EOF script ran");

	/* EOF with no terminal status */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_event(f, MIG("active"));
	fakeqmp_close(f);
	q = start_greeted(f);
	tap_is_int(qmp_wait_migration(q, 2000, &err), -1, "wait: EOF during the migration fails");
	tap_is_str(err.msg, "migration (last status 'active'): qmp connection closed",
		   "naming the connection loss and the last status");
	qmp_free(q);
	finish(f, "EOF-while-active script ran");

	/* timeout */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_event(f, MIG("setup"));
	fakeqmp_event(f, MIG("active"));
	q = start_greeted(f);
	t0 = now_ms();
	tap_is_int(qmp_wait_migration(q, 150, &err), -1, "wait: no terminal status in time fails");
	tap_ok(now_ms() - t0 >= 150 && now_ms() - t0 < 2000, "after the timeout, not before");
	tap_is_str(err.msg, "migration did not complete within 150 ms (last status 'active')",
		   "with the timeout and the last status");
	qmp_free(q);
	finish(f, "timeout script ran");

	/* cancelled counts as a failure */
	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_event(f, MIG("cancelling"));
	fakeqmp_event(f, MIG("cancelled"));
	fakeqmp_expect(f, "query-migrate", "{\"return\": {\"status\": \"cancelled\"}}");
	q = start_greeted(f);
	tap_is_int(qmp_wait_migration(q, 2000, &err), -1, "wait: cancelled fails");
	tap_is_str(err.msg, "migration cancelled", "as cancelled");
	qmp_free(q);
	finish(f, "cancelled script ran");
}

static void test_wait_event(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp_event ev = {0};
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_event(f, "{\"event\": \"RESET\", \"data\": {\"reason\": \"guest-reset\"}}");
	fakeqmp_event(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"reason\": \"guest-shutdown\"}}");
	fakeqmp_event(f, "{\"event\": \"POWERDOWN\"}");
	fakeqmp_close(f);
	q = start_greeted(f);
	tap_is_int(qmp_wait_event(q, "SHUTDOWN", 2000, &ev, &err), 0, "wait_event finds SHUTDOWN");
	tap_is_str(data_str(&ev, "reason"), "guest-shutdown", "with its data");
	qmp_event_release(&ev);
	tap_is_int(qmp_next_event(q, &ev), 1, "the event before it stays queued");
	tap_is_str(ev.name, "RESET", "RESET");
	qmp_event_release(&ev);
	tap_is_int(qmp_wait_event(q, "POWERDOWN", 2000, &ev, &err), 0,
		   "an event read before EOF is still found");
	qmp_event_release(&ev);
	tap_is_int(qmp_wait_event(q, "POWERDOWN", 2000, &ev, &err), -1,
		   "waiting after EOF fails at once");
	tap_is_str(err.msg, "qmp connection closed", "as a closed connection");
	qmp_free(q);
	finish(f, "wait_event script ran");

	f = fakeqmp_new();
	fakeqmp_greet(f);
	fakeqmp_event(f, "{\"event\": \"RESET\"}");
	q = start_greeted(f);
	tap_is_int(qmp_wait_event(q, "SHUTDOWN", 100, &ev, &err), -1, "wait_event times out");
	tap_is_str(err.msg, "no 'SHUTDOWN' event within 100 ms", "saying which event");
	tap_is_int(collect(q, &ev, 1), 1, "the other event is still queued after a timeout");
	qmp_event_release(&ev);
	qmp_free(q);
	finish(f, "wait_event timeout script ran");
}

/* ---- real QEMU ---- */

static char *find_qemu(void)
{
	const char *name = getenv("BOOTPROOF_QEMU");
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL;

	if (!name || !*name)
		name = "qemu-system-x86_64";
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	dirs = xstrdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", dir, name);

		if (access(full, X_OK) == 0) {
			free(dirs);
			return full;
		}
		free(full);
	}
	free(dirs);
	return NULL;
}

/* With incoming, QEMU waits for migrate-incoming (-incoming defer). */
static pid_t spawn_qemu(const char *qemu, const char *sock, const char *log, int incoming)
{
	char *chardev = xasprintf("socket,id=qmp,path=%s", sock);
	/* clang-format off */
	char *argv[] = {(char *)qemu, "-accel", "tcg", "-M", "pc", "-m", "64", "-nodefaults",
			"-display", "none", "-S", "-chardev", chardev,
			"-mon", "chardev=qmp,mode=control",
			incoming ? "-incoming" : NULL, "defer", NULL};
	/* clang-format on */
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(out, 2) < 0)
			_exit(127);
		execv(qemu, argv);
		_exit(127);
	}
	free(chardev);
	return pid;
}

/* Wait up to timeout_ms for pid, then SIGKILL it; always reaps. 1 if it exited in time. */
static int reap_bounded(pid_t pid, int timeout_ms, int *ret_status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), in_time = 1;

	if (pidfd >= 0) {
		struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

		if (poll(&pfd, 1, timeout_ms) <= 0)
			in_time = 0;
		close(pidfd);
	} else {
		/* no pidfd (old kernel): the only choice left is polling waitpid */
		int64_t deadline = now_ms() + timeout_ms;

		while (waitpid(pid, ret_status, WNOHANG) == 0) {
			if (now_ms() >= deadline) {
				in_time = 0;
				break;
			}
			poll(NULL, 0, 20);
		}
		if (in_time)
			return 1;
	}
	if (!in_time)
		kill(pid, SIGKILL);
	while (waitpid(pid, ret_status, 0) < 0 && errno == EINTR)
		;
	return in_time;
}

static void show_log(const char *log)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *save = NULL;

	if (read_file(log, &sb, NULL) == 0)
		for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			printf("# qemu: %s\n", line);
	strbuf_release(&sb);
}

static void test_real_qemu(void)
{
	static const char *const chord[] = {"ctrl_r", "scroll_lock"};
	char *qemu = find_qemu();
	char dir[] = "/tmp/t-qmp.XXXXXX";
	char *sock = NULL, *log = NULL, *status = NULL;
	struct bp_error err = {""};
	struct qmp_event ev[4] = {{0}};
	struct qmp *q = NULL;
	int lfd = -1, fd = -1, wstatus = 0, nev = 0, failed = tap_failed;
	pid_t pid = -1;

	if (!qemu) {
		printf("ok %d # SKIP qemu-system-x86_64 not found\n", ++tap_n);
		return;
	}
	if (!mkdtemp(dir)) {
		tap_ok(0, "real qemu: cannot create a temporary directory");
		free(qemu);
		return;
	}
	sock = xasprintf("%s/qmp.sock", dir);
	log = xasprintf("%s/qemu.log", dir);
	lfd = listen_unix(sock, NULL); /* polled before accept */
	if (!tap_ok(lfd >= 0, "real qemu: listen on the qmp socket"))
		goto out;
	pid = spawn_qemu(qemu, sock, log, 0);
	if (!tap_ok(pid > 0, "real qemu: spawn"))
		goto out;
	{
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};

		if (poll(&pfd, 1, 20000) > 0)
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	}
	if (!tap_ok(fd >= 0, "real qemu: qemu connects to our socket"))
		goto out;
	q = qmp_new(fd);
	if (!tap_is_int(qmp_handshake(q, 20000, &err), 0, "real qemu: handshake")) {
		tap_diag(err.msg);
		goto out;
	}
	tap_is_int(qmp_query_status(q, &status, &err), 0, "real qemu: query-status");
	tap_ok(status && (!strcmp(status, "prelaunch") || !strcmp(status, "paused")),
	       "real qemu: started with -S it is prelaunch or paused");
	if (status)
		printf("# status: %s\n", status);
	if (!tap_is_int(qmp_command(q, "send-key", qmp_send_key_args(chord, 2), NULL, 20000, &err),
			0, "real qemu: send-key of ctrl_r + scroll_lock is accepted"))
		tap_diag(err.msg);
	if (!tap_is_int(qmp_command(q, "inject-nmi", NULL, NULL, 20000, &err), 0,
			"real qemu: inject-nmi is accepted"))
		tap_diag(err.msg);
	if (!tap_is_int(qmp_quit(q, &err), 0, "real qemu: quit"))
		tap_diag(err.msg);
	nev = collect(q, ev, 1);
	tap_is_int(nev, 1, "real qemu: an event after quit");
	tap_is_str(nev ? ev[0].name : NULL, "SHUTDOWN", "real qemu: it is SHUTDOWN");
	tap_is_str(nev ? data_str(&ev[0], "reason") : NULL, "host-qmp-quit",
		   "real qemu: with reason host-qmp-quit");
	for (int i = 0; i < nev; i++)
		qmp_event_release(&ev[i]);
	tap_ok(reap_bounded(pid, 5000, &wstatus), "real qemu: exits within 5 s of quit");
	pid = -1;
	tap_ok(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "real qemu: exit status 0");
out:
	if (pid > 0)
		reap_bounded(pid, 0, &wstatus);
	if (tap_failed != failed)
		show_log(log);
	qmp_free(q);
	if (lfd >= 0)
		close(lfd);
	unlink(sock);
	unlink(log);
	rmdir(dir);
	free(status);
	free(sock);
	free(log);
	free(qemu);
}

/* Start QEMU on a fresh socket in dir and negotiate QMP; NULL (test failed) if it does not come up. */
static struct qmp *real_start(const char *qemu, const char *dir, const char *what, int incoming,
			      pid_t *ret_pid)
{
	char *sock = xasprintf("%s/%s.sock", dir, what), *log = xasprintf("%s/%s.log", dir, what);
	char *name = xasprintf("real qemu migration: %s starts and answers qmp", what);
	struct bp_error err = {""};
	struct pollfd pfd;
	struct qmp *q = NULL;
	int lfd = listen_unix(sock, NULL), fd = -1;

	*ret_pid = lfd >= 0 ? spawn_qemu(qemu, sock, log, incoming) : -1;
	pfd = (struct pollfd){.fd = lfd, .events = POLLIN};
	if (*ret_pid > 0 && poll(&pfd, 1, 20000) > 0)
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		q = qmp_new(fd);
		if (qmp_handshake(q, 20000, &err) < 0) {
			qmp_free(q);
			q = NULL;
		}
	}
	if (!tap_ok(q != NULL, name)) {
		tap_diag(err.msg);
		show_log(log);
	}
	if (lfd >= 0)
		close(lfd);
	unlink(sock);
	free(sock);
	free(log);
	free(name);
	return q;
}

/*
 * Save a (never started) VM's state to a file through getfd + migrate
 * "fd:", restore it into a second QEMU with -incoming defer, and see a
 * corrupt file refused: the fd really reaches QEMU and the events arrive.
 */
static void test_real_migration(void)
{
	char *qemu = find_qemu();
	char dir[] = "/tmp/t-qmp-mig.XXXXXX";
	char *state = NULL, *bad = NULL, *status = NULL, magic[4] = {0};
	struct bp_error err = {""};
	struct qmp *q = NULL;
	pid_t pid = -1;
	int fd = -1, wstatus = 0;

	if (!qemu || !mkdtemp(dir)) {
		printf("ok %d # SKIP qemu-system-x86_64 not found\n", ++tap_n);
		free(qemu);
		return;
	}
	state = xasprintf("%s/state", dir);
	bad = xasprintf("%s/bad", dir);

	/* save */
	if (!(q = real_start(qemu, dir, "source", 0, &pid)))
		goto out;
	tap_is_int(qmp_migrate_set_capability(q, "events", 1, &err), 0,
		   "real qemu migration: events capability on");
	fd = open(state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	tap_is_int(qmp_getfd(q, fd, "bpstate", &err), 0, "real qemu migration: getfd of a file");
	close(fd);
	fd = -1;
	if (!tap_is_int(qmp_migrate(q, "fd:bpstate", &err), 0, "real qemu migration: migrate fd:"))
		tap_diag(err.msg);
	if (!tap_is_int(qmp_wait_migration(q, 20000, &err), 0,
			"real qemu migration: MIGRATION completed"))
		tap_diag(err.msg);
	tap_is_int(qmp_query_status(q, &status, &err), 0, "real qemu migration: query-status");
	/* postmigrate follows "completed" a moment later */
	tap_ok(status && (!strcmp(status, "finish-migrate") || !strcmp(status, "postmigrate")),
	       "real qemu migration: the source is finish-migrate or postmigrate");
	free(status);
	status = NULL;
	qmp_quit(q, &err);
	qmp_free(q);
	q = NULL;
	reap_bounded(pid, 5000, &wstatus);
	pid = -1;
	fd = open(state, O_RDONLY | O_CLOEXEC);
	tap_ok(fd >= 0 && read(fd, magic, 4) == 4 && !memcmp(magic, "QEVM", 4),
	       "real qemu migration: the file holds a migration stream (QEVM)");
	if (fd >= 0)
		close(fd);

	/* restore */
	if (!(q = real_start(qemu, dir, "dest", 1, &pid)))
		goto out;
	qmp_migrate_set_capability(q, "events", 1, &err);
	fd = open(state, O_RDONLY | O_CLOEXEC);
	tap_is_int(qmp_getfd(q, fd, "bpstate", &err), 0, "real qemu migration: getfd read-only");
	close(fd);
	fd = -1;
	if (!tap_is_int(qmp_migrate_incoming(q, "fd:bpstate", &err), 0,
			"real qemu migration: migrate-incoming fd:"))
		tap_diag(err.msg);
	if (!tap_is_int(qmp_wait_migration(q, 20000, &err), 0,
			"real qemu migration: incoming MIGRATION completed"))
		tap_diag(err.msg);
	tap_is_int(qmp_query_status(q, &status, &err), 0, "real qemu migration: query-status");
	/* the destination takes the source's run state: it never ran */
	tap_is_str(status, "prelaunch", "real qemu migration: restored in the source's run state");
	qmp_quit(q, &err);
	qmp_free(q);
	q = NULL;
	reap_bounded(pid, 5000, &wstatus);
	pid = -1;

	/* a file that is not a migration stream */
	fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "not a migration stream", 22) != 22)
		tap_diag("cannot write the bad state file");
	if (fd >= 0)
		close(fd);
	if (!(q = real_start(qemu, dir, "bad", 1, &pid)))
		goto out;
	qmp_migrate_set_capability(q, "events", 1, &err);
	fd = open(bad, O_RDONLY | O_CLOEXEC);
	qmp_getfd(q, fd, "bpstate", &err);
	close(fd);
	fd = -1;
	qmp_migrate_incoming(q, "fd:bpstate", &err);
	err.msg[0] = '\0';
	tap_is_int(qmp_wait_migration(q, 20000, &err), -1,
		   "real qemu migration: a bad stream fails the wait");
	tap_like(err.msg, "migration", "real qemu migration: as a migration failure");
	printf("# %s\n", err.msg);
	tap_ok(reap_bounded(pid, 5000, &wstatus) && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0,
	       "real qemu migration: QEMU 7.2 exits non-zero after a failed incoming migration");
	pid = -1;
out:
	if (pid > 0)
		reap_bounded(pid, 0, &wstatus);
	qmp_free(q);
	unlink(state);
	unlink(bad);
	for (const char *w = "source\0dest\0bad\0"; *w; w += strlen(w) + 1) {
		char *log = xasprintf("%s/%s.log", dir, w);

		unlink(log);
		free(log);
	}
	rmdir(dir);
	free(state);
	free(bad);
	free(status);
	free(qemu);
}

/* Poll and read until the async reply is in (or 2 s passed): qmp_async_reply()'s value. */
static int await_async(struct qmp *q, json_t **ret, struct bp_error *err)
{
	int64_t end = now_ms() + 2000;
	int r;

	while ((r = qmp_async_reply(q, ret, err)) == 0 && now_ms() < end) {
		struct pollfd p = {qmp_fd(q), POLLIN, 0};

		poll(&p, 1, 100);
		qmp_read(q, err);
	}
	return r;
}

static void test_async(void)
{
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	json_t *ret = NULL;
	struct qmp_event ev;
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect(f, "query-status", NULL);
	fakeqmp_event(f, "{\"event\": \"STOP\"}");
	fakeqmp_reply(f, STATUS_RUNNING);
	fakeqmp_expect(f, "system_reset", "{\"error\": {\"class\": \"GenericError\", "
					  "\"desc\": \"nope\"}}");
	q = start_greeted(f);
	tap_is_int(qmp_async_reply(q, NULL, &err), -1, "async: no reply to take before a command");
	tap_is_int(qmp_send_async(q, "query-status", NULL, &err), 0, "async: sent without waiting");
	tap_is_int(qmp_async_reply(q, NULL, &err), 0, "async: no reply yet at once");
	tap_ok(qmp_send_async(q, "cont", NULL, &err) < 0, "async: one command at a time");
	tap_like(err.msg, "'query-status' is still waiting", "async: says which one waits");
	tap_is_int(await_async(q, &ret, &err), 1, "async: the reply arrives through qmp_read");
	tap_is_str(json_string_value(json_object_get(ret, "status")), "running",
		   "async: with its return value");
	json_decref(ret);
	tap_is_int(qmp_next_event(q, &ev), 1, "async: the event before it is queued as an event");
	tap_is_str(ev.name, "STOP", "async: under its name");
	qmp_event_release(&ev);
	tap_is_int(qmp_send_async(q, "system_reset", NULL, &err), 0, "async: the next one may go");
	tap_is_int(await_async(q, NULL, &err), -1, "async: an error reply is -1");
	tap_is_str(err.msg, "qmp 'system_reset' failed: GenericError: nope", "async: with its message");
	qmp_free(q);
	finish(f, "async script ran");
}

/* QEMU stopped reading its monitor: the send cannot block, the connection is dead. */
static void test_async_would_block(void)
{
	struct bp_error err = {""};
	char junk[4096];
	struct qmp *q;
	int sv[2];

	memset(junk, ' ', sizeof(junk));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		tap_ok(0, "socketpair");
		return;
	}
	q = qmp_new(sv[0]);
	while (write(sv[0], junk, sizeof(junk)) > 0)
		; /* the peer never reads: fill its buffer */
	tap_is_int(qmp_send_async(q, "query-status", NULL, &err), -1,
		   "async: a full monitor buffer fails at once (no wait)");
	tap_like(err.msg, "would block", "async: says qemu is not reading");
	tap_ok(qmp_read(q, &err) < 0, "async: the connection is then dead");
	qmp_free(q);
	close(sv[1]);
}

/*
 * The self-test's crash triggers on the wire: right-Ctrl + Scroll Lock as
 * one send-key chord of qcodes, and inject-nmi; a refusal is an error.
 */
static void test_crash_triggers(void)
{
	static const char *const chord[] = {"ctrl_r", "scroll_lock"};
	struct fakeqmp *f = fakeqmp_new();
	struct bp_error err = {""};
	struct qmp *q;

	fakeqmp_greet(f);
	fakeqmp_expect_args(f, "send-key",
			    "{\"keys\": [{\"type\": \"qcode\", \"data\": \"ctrl_r\"}, "
			    "{\"type\": \"qcode\", \"data\": \"scroll_lock\"}]}",
			    "{\"return\": {}}");
	fakeqmp_expect(f, "inject-nmi", "{\"return\": {}}");
	fakeqmp_expect(f, "inject-nmi", "{\"error\": {\"class\": \"GenericError\", "
					"\"desc\": \"NMI is not supported by this machine\"}}");
	q = start_greeted(f);
	tap_is_int(qmp_command(q, "send-key", qmp_send_key_args(chord, 2), NULL, 2000, &err), 0,
		   "send-key: right-Ctrl and Scroll Lock as one chord of qcodes");
	tap_is_int(qmp_send_async(q, "inject-nmi", NULL, &err), 0, "inject-nmi: sent async");
	tap_is_int(await_async(q, NULL, &err), 1, "inject-nmi: answered");
	tap_is_int(qmp_send_async(q, "inject-nmi", NULL, &err), 0, "inject-nmi: sent again");
	tap_is_int(await_async(q, NULL, &err), -1, "inject-nmi: a refusal is an error");
	tap_like(err.msg, "NMI is not supported", "inject-nmi: with QEMU's words");
	qmp_free(q);
	finish(f, "crash triggers: send-key and inject-nmi with the expected arguments");
}

/* A backend without the ops: the wrappers say so, nothing is called. */
static void test_machine_without_ops(void)
{
	static const struct machine_ops none = {0};
	static const char *const chord[] = {"ctrl_r"};
	struct machine m = {.ops = &none, .name = "libvirt"};
	struct bp_error err = {""};

	tap_is_int(machine_send_keys(&m, chord, 1, &err), -1, "machine: send_keys NULL is -1");
	tap_is_str(err.msg, "libvirt: sending keys is not supported by this backend",
		   "machine: says the backend cannot send keys");
	tap_is_int(machine_inject_nmi(&m, &err), -1, "machine: inject_nmi NULL is -1");
	tap_is_str(err.msg, "libvirt: injecting an NMI is not supported by this backend",
		   "machine: says the backend cannot inject an NMI");
}

int main(void)
{
	test_handshake();
	test_return_values();
	test_error_reply();
	test_events_before_reply();
	test_split_and_batched_events();
	test_unknown_id();
	test_eof();
	test_timeout();
	test_long_message();
	test_bad_json();
	test_huge_integer();
	test_hyperv_kernel_address();
	test_quit();
	test_write_to_closed();
	test_fake_catches_mistakes();
	test_getfd();
	test_migrate_commands();
	test_wait_migration();
	test_wait_event();
	test_async();
	test_async_would_block();
	test_crash_triggers();
	test_machine_without_ops();
	test_real_qemu();
	test_real_migration();
	return tap_done();
}
