/*
 * fuzz-qmp - the QMP reader fed bytes as QEMU would send them, over a
 * socketpair (qmp_read() from a poll loop). The first byte picks a mode:
 *
 *   'H'  the next 40 bytes are five u64s, sent first as a GUEST_PANICKED
 *        event with hyper-v arg1..arg5: each must come out exactly (an
 *        integer up to INT64_MAX, else a string of its decimal digits);
 *   'L'  after the input, over QMP_MAX_MESSAGE bytes with no newline: the
 *        reader must give up with its own bound, not buffer on;
 *   else the input as it is.
 *
 * Oracle, against jansson on each complete line: events come out in order
 * under their names and nothing else does (a reply is never an event); a
 * malformed line makes qmp_read() fail with "invalid qmp message" (and
 * events before it stay queued), never a crash; EOF is "qmp connection
 * closed". A line jansson cannot decode for an integer overflow may go
 * either way (accepted exactly, or rejected): the comparison stops there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "qmp.h"

struct expect {
	char **names; /* events, in order */
	size_t nr, alloc;
	int malformed; /* a line the reader must reject */
	int uncertain; /* a line that may go either way: nothing after it is compared */
};

static void expect_line(struct expect *e, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg, *ev;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r", line[i]); i++)
		;
	if (i == len)
		return;
	msg = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
	if (!msg && json_error_code(&jerr) == json_error_numeric_overflow) {
		e->uncertain = 1;
		return;
	}
	if (!msg || !json_is_object(msg)) {
		e->malformed = 1;
	} else if (json_is_string(ev = json_object_get(msg, "event"))) {
		ALLOC_GROW(e->names, e->nr + 1, e->alloc);
		e->names[e->nr++] = xstrdup(json_string_value(ev));
	}
	json_decref(msg);
}

static void expect_input(struct expect *e, const char *data, size_t size)
{
	const char *p = data, *end = data + size, *nl;

	while (!e->malformed && !e->uncertain && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		expect_line(e, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

/* Write all of buf to wfd, reading q between writes; the last qmp_read() value. */
static int pump(struct qmp *q, int wfd, const char *buf, size_t len, struct bp_error *err)
{
	int r = 0;

	while (len && r >= 0) {
		ssize_t n = send(wfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
		r = qmp_read(q, err);
	}
	return r;
}

/* GUEST_PANICKED with the five u64s of 'H' mode; their text to v. */
static char *hyperv_event(const uint8_t *data, uint64_t *v)
{
	memcpy(v, data, 5 * sizeof(*v));
	return xasprintf("{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\", \"info\": "
			 "{\"type\": \"hyper-v\", \"arg1\": %" PRIu64 ", \"arg2\": %" PRIu64
			 ", \"arg3\": %" PRIu64 ", \"arg4\": %" PRIu64 ", \"arg5\": %" PRIu64 "}}}\n",
			 v[0], v[1], v[2], v[3], v[4]);
}

static void check_hyperv(const struct qmp_event *ev, const uint64_t *v)
{
	json_t *info = json_object_get(ev->data, "info");

	FUZZ_CHECK(!strcmp(ev->name, "GUEST_PANICKED"), "the hyper-v event comes first");
	for (int i = 0; i < 5; i++) {
		char key[8], digits[32];
		json_t *a;

		snprintf(key, sizeof(key), "arg%d", i + 1);
		a = json_object_get(info, key);
		snprintf(digits, sizeof(digits), "%" PRIu64, v[i]);
		if (v[i] <= INT64_MAX)
			FUZZ_CHECK(json_is_integer(a) && (uint64_t)json_integer_value(a) == v[i],
				   "a hyper-v arg up to INT64_MAX is that integer");
		else
			FUZZ_CHECK(json_is_string(a) && !strcmp(json_string_value(a), digits),
				   "a hyper-v arg beyond INT64_MAX is its exact digits");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expect e = {NULL, 0, 0, 0, 0};
	struct bp_error err = {""};
	struct qmp_event ev;
	char mode = size ? (char)data[0] : 0, *head = NULL;
	uint64_t v[5];
	size_t got = 0;
	struct qmp *q;
	int sv[2], r;

	if (mode == 'H' && size < 41)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	data += mode == 'H' ? 41 : size ? 1 : 0;
	size -= mode == 'H' ? 41 : size ? 1 : 0;
	q = qmp_new(sv[0]);
	if (mode == 'H') {
		head = hyperv_event(data - 40, v);
		/* not through jansson: it cannot decode the u64s this is about */
		ALLOC_GROW(e.names, e.nr + 1, e.alloc);
		e.names[e.nr++] = xstrdup("GUEST_PANICKED");
		r = pump(q, sv[1], head, strlen(head), &err);
	}
	expect_input(&e, (const char *)data, size);
	r = pump(q, sv[1], (const char *)data, size, &err);
	if (mode == 'L' && r >= 0) {
		size_t n = QMP_MAX_MESSAGE + 2;
		char *flood = malloc(n);

		memset(flood, 'x', n);
		/* no newline since the input's last one: the message in progress outgrows the bound */
		r = pump(q, sv[1], flood, n, &err);
		free(flood);
		if (!e.uncertain)
			FUZZ_CHECK(r < 0 && (strstr(err.msg, "longer than") ||
					     strstr(err.msg, "invalid qmp message")),
				   "an endless message is cut at the reader's bound");
	}
	close(sv[1]);
	while (r >= 0)
		r = qmp_read(q, &err);
	if (!e.uncertain)
		FUZZ_CHECK(e.malformed ? strstr(err.msg, "invalid qmp message") != NULL
				       : mode == 'L' || !strcmp(err.msg, "qmp connection closed"),
			   "a malformed line is an error, EOF is 'connection closed'");
	while (qmp_next_event(q, &ev)) {
		if (got == 0 && mode == 'H')
			check_hyperv(&ev, v);
		if (!e.uncertain || got < e.nr) {
			FUZZ_CHECK(got < e.nr, "nothing but the input's events is queued");
			FUZZ_CHECK(!strcmp(ev.name, e.names[got]), "events in order, under their names");
		}
		got++;
		qmp_event_release(&ev);
	}
	FUZZ_CHECK(got >= e.nr && (e.uncertain || got == e.nr), "every event of the input is queued");
	for (size_t i = 0; i < e.nr; i++)
		free(e.names[i]);
	free(e.names);
	free(head);
	qmp_free(q);
	return 0;
}
