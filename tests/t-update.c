/*
 * t-update - unit tests of the host side of the update channel
 * (harness/engine/update.h, sensor/PROTOCOL.md). A socketpair plays the guest's
 * virtio-serial port: the test writes the agent's lines on one end, drives
 * the update object like a poll loop would, and reads what the host sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "update.h"

#define GOOD "C-00000291-00000000-00000001.sys"
#define BAD "C-00000291-00000000-00000032.sys"

static char dir[] = "/tmp/t-update.XXXXXX";

struct pair {
	struct update *u;
	int g; /* the guest's end */
};

static struct pair pair_new(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	return (struct pair){update_new(sv[0]), sv[1]};
}

static void pair_free(struct pair *p)
{
	update_free(p->u);
	if (p->g >= 0)
		close(p->g);
}

static void guest_write(struct pair *p, const void *data, size_t len)
{
	const char *s = data;

	while (len) {
		ssize_t n = write(p->g, s, len);

		if (n <= 0) {
			printf("Bail out! guest write: %s\n", strerror(errno));
			exit(1);
		}
		s += n;
		len -= (size_t)n;
	}
}

/* The guest writes s; the host reads it. Returns update_on_readable's result. */
static int say(struct pair *p, const char *s, struct bp_error *err)
{
	guest_write(p, s, strlen(s));
	return update_on_readable(p->u, err);
}

/* Let the host write everything it queued; collect what reaches the guest. */
static void receive(struct pair *p, struct strbuf *sb)
{
	char buf[65536];
	struct bp_error err;

	for (;;) {
		ssize_t n = read(p->g, buf, sizeof(buf));

		if (n > 0) {
			strbuf_add(sb, buf, (size_t)n);
			continue;
		}
		if (!update_want_write(p->u))
			break;
		if (update_on_writable(p->u, &err) < 0) {
			tap_diag(err.msg);
			break;
		}
	}
}

static char *received(struct pair *p)
{
	struct strbuf sb = STRBUF_INIT;

	receive(p, &sb);
	return strbuf_detach(&sb);
}

static char *make_file(const char *name, size_t size, char fill)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *data = xmalloc(size ? size : 1);
	struct bp_error err;

	for (size_t i = 0; i < size; i++)
		data[i] = (char)(fill + (char)(i % 7) + (i % 13 == 0 ? '\n' : 0));
	if (write_file_atomic(path, data, size, &err) < 0) {
		printf("Bail out! %s\n", err.msg);
		exit(1);
	}
	free(data);
	return path;
}

static char *file_data(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	read_file(path, &sb, NULL);
	return strbuf_detach(&sb);
}

static const char *HELLO1 = "HELLO proto=1 boot=1 version=1 set=-\n";

static void test_none(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	const struct update_state *st = update_state(p.u);
	char *got;

	tap_is_int(say(&p, "HELLO proto=1 boot=7 version=3 set=_local-1a2b3c4d\nCHECK\n", &err), 0,
		   "nothing published: HELLO and CHECK in one read accepted");
	got = received(&p);
	tap_is_str(got, "NONE\n", "nothing published: CHECK answered NONE");
	tap_is_int(st->hellos, 1, "HELLO recorded");
	tap_is_int(st->boot, 7, "the guest's boot number recorded");
	tap_is_int(st->version, 3, "the sensor version recorded");
	tap_is_str(st->guest_set, "_local-1a2b3c4d", "the guest's set recorded");
	tap_is_int(st->checks, 1, "CHECK recorded");
	tap_is_int(st->nones, 1, "NONE recorded");
	tap_ok(st->hello_ns > 0 && st->check_ns >= st->hello_ns && st->none_ns >= st->check_ns,
	       "host timestamps in order: hello <= check <= none written");
	tap_is_str(st->published, "", "nothing published");
	tap_is_int(st->protocol_error, 0, "no protocol error");
	free(got);
	pair_free(&p);
}

static void test_set(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	const struct update_state *st = update_state(p.u);
	char *good = make_file("good.sys", 201, 'a'), *bad = make_file("bad.sys", 292, 'k');
	char *gd = file_data(good), *bd = file_data(bad), *got, *line;
	struct update_file files[] = {{good, GOOD}, {bad, BAD}};
	struct strbuf want = STRBUF_INIT;
	char id[UPDATE_MAX_ID + 1];

	tap_is_int(update_publish(p.u, NULL, files, 2, &err), 0, "publish two files");
	snprintf(id, sizeof(id), "%s", st->published);
	tap_ok(strlen(id) == 18 && !strncmp(id, "c-", 2), "derived id is c- and 16 hex digits");
	tap_is_int(say(&p, HELLO1, &err), 0, "HELLO accepted");
	tap_is_int(update_want_write(p.u), 0, "nothing to send before CHECK");
	tap_is_int(say(&p, "CHECK\n", &err), 0, "CHECK accepted");
	got = received(&p);
	strbuf_addf(&want, "SET id=%s files=2\nFILE name=%s size=201\n", id, GOOD);
	strbuf_add(&want, gd, 201);
	strbuf_addf(&want, "FILE name=%s size=292\n", BAD);
	strbuf_add(&want, bd, 292);
	strbuf_adds(&want, "END\n");
	tap_ok(strlen(got) == want.len && !memcmp(got, want.buf, want.len),
	       "SET, two FILEs with their exact bytes, END");
	tap_is_int(st->sets_sent, 1, "set recorded as sent once fully written");
	tap_is_int(st->sets_done, 0, "not yet installed");
	line = xasprintf("DONE set=%s files=2\n", id);
	tap_is_int(say(&p, line, &err), 0, "DONE set= accepted");
	tap_is_int(st->sets_done, 1, "set recorded as installed");
	tap_is_int(st->set_done_boot, 1, "installed at guest boot 1");
	tap_ok(st->set_done_ns >= st->set_sent_ns && st->set_sent_ns >= st->check_ns,
	       "timestamps: check <= sent <= done");
	tap_is_str(st->guest_set, id, "the guest now has the published set");
	free(line);
	/* A second CHECK in the same session: the guest has the set now. */
	tap_is_int(say(&p, "CHECK\n", &err), 0, "second CHECK accepted");
	free(got);
	got = received(&p);
	tap_is_str(got, "NONE\n", "second CHECK after installing: NONE");
	free(got);
	pair_free(&p);

	/* A guest that already has the set gets NONE. */
	p = pair_new();
	update_publish(p.u, NULL, files, 2, &err);
	line = xasprintf("HELLO proto=1 boot=4 version=1 set=%s\nCHECK\n", id);
	say(&p, line, &err);
	got = received(&p);
	tap_is_str(got, "NONE\n", "guest reporting the published id gets NONE");
	free(got);
	free(line);
	pair_free(&p);

	/* Ids: the same content gives the same id, other content another one. */
	p = pair_new();
	update_publish(p.u, NULL, files, 2, &err);
	tap_is_str(update_state(p.u)->published, id, "same files, same derived id");
	update_publish(p.u, NULL, files, 1, &err);
	tap_ok(strcmp(update_state(p.u)->published, id) != 0, "other files, other id");
	tap_is_int(update_publish(p.u, "rollback-7", files, 1, &err), 0, "publish with an explicit id");
	tap_is_str(update_state(p.u)->published, "rollback-7", "explicit id kept");
	update_unpublish(p.u);
	say(&p, "HELLO proto=1 boot=4 version=1 set=-\nCHECK\n", &err);
	got = received(&p);
	tap_is_str(got, "NONE\n", "after unpublish: NONE");
	free(got);
	pair_free(&p);

	/* An empty set is a set. */
	p = pair_new();
	update_publish(p.u, "empty", NULL, 0, &err);
	say(&p, "HELLO proto=1 boot=2 version=2 set=-\nCHECK\n", &err);
	got = received(&p);
	tap_is_str(got, "SET id=empty files=0\nEND\n", "an empty set: SET files=0 then END");
	tap_is_int(say(&p, "DONE set=empty files=0\n", &err), 0, "DONE for the empty set");
	free(got);
	pair_free(&p);

	strbuf_release(&want);
	free(gd);
	free(bd);
	free(good);
	free(bad);
}

static void test_split(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	const char *hello = "HELLO proto=1 boot=12 version=2 set=-\n";
	int ok = 1;
	char *got;

	for (size_t i = 0; hello[i]; i++) {
		guest_write(&p, &hello[i], 1);
		ok &= update_on_readable(p.u, &err) == 0;
		if (hello[i + 1])
			ok &= update_state(p.u)->hellos == 0;
	}
	tap_ok(ok, "HELLO one byte per read: accepted only at its newline");
	tap_is_int(update_state(p.u)->boot, 12, "split HELLO parsed");
	say(&p, "CH", &err);
	tap_is_int(update_state(p.u)->checks, 0, "half a CHECK is not a CHECK");
	say(&p, "ECK\nCHE", &err);
	got = received(&p);
	tap_is_str(got, "NONE\n", "CHECK split across reads answered once");
	free(got);
	say(&p, "CK\n", &err);
	got = received(&p);
	tap_is_str(got, "NONE\n", "the next CHECK, split, answered");
	tap_is_int(update_state(p.u)->checks, 2, "two CHECKs counted");
	free(got);
	pair_free(&p);
}

struct bad_case {
	const char *before; /* sent first, must be fine */
	const char *text;
	const char *why;
	const char *name;
};

static void test_malformed(void)
{
	char long_line[400], max_line[UPDATE_MAX_LINE + 2];
	const char *H = "HELLO proto=1 boot=1 version=1 set=-\n";
	struct bad_case cases[] = {
		{NULL, "CHECK\n", "before HELLO", "CHECK before HELLO"},
		{NULL, "HELLO proto=1 boot=1 version=1\n", "required key is missing",
		 "HELLO without set="},
		{NULL, "HELLO proto=1 boot=01 version=1 set=-\n", "bad number", "leading zero"},
		{NULL, "HELLO proto=1 boot=1234567890 version=1 set=-\n", "bad number",
		 "number over 9 digits"},
		{NULL, "HELLO proto=2 boot=1 version=1 set=-\n", "unsupported proto", "proto=2"},
		{NULL, "HELLO proto=1 boot=1 version=1 set=- set=x\n", "repeated", "repeated key"},
		{NULL, "HELLO proto=1 boot=1 version=1 set=- extra=1\n", "unknown key",
		 "unknown key"},
		{NULL, "HELLO  proto=1 boot=1 version=1 set=-\n", "empty word", "double space"},
		{NULL, "HELLO proto=1 boot=1 version=1 set=- \n", "empty word", "trailing space"},
		{NULL, "HELLO proto=1 boot=1 version=1 set=../etc\n", "outside", "a '/' in a value"},
		{NULL, "HELLO proto=1 boot=1 version=1 set=.x\n", "bad set id",
		 "set id starting with '.'"},
		{NULL, "hello proto=1 boot=1 version=1 set=-\n", "capitals", "lowercase verb"},
		{NULL, "HELLO proto boot=1 version=1 set=-\n", "key=value", "word without '='"},
		{NULL, "HELLO proto=1 Boot=1 version=1 set=-\n", "lowercase", "key in capitals"},
		{NULL, "\n", "empty line", "empty line"},
		{NULL, "HELLO\x01\n", "non-printable byte 0x01", "control byte"},
		{NULL, "HELLO proto=1 boot=1 version=1 set=-\r\n", "non-printable byte 0x0d",
		 "CR before LF"},
		{NULL, "HELLO proto=1 boot=1 version=1 set=\xc3\xa9\n", "non-printable byte 0xc3",
		 "non-ASCII byte"},
		{NULL, long_line, "longer than 255", "a 300-byte line"},
		{H, max_line, "unknown verb", "a 255-byte line is read whole (then rejected)"},
		{H, "BOGUS\n", "unknown verb", "unknown verb"},
		{H, "CHECK now=1\n", "unknown key", "CHECK with a key"},
		{H, "DONE set=c-0000000000000000 files=1\n", "not sent", "DONE for no set"},
		{H, "DONE push=" GOOD " loaded=1 persist=0\n", "not sent", "DONE for no push"},
		{H, "DONE push=" GOOD " loaded=2 persist=0\n", "bad flag", "flag 2"},
		{H, "DONE files=1\n", "required key", "DONE with neither set nor push"},
		{H, "ERROR reason=Bad\n", "bad reason", "ERROR reason with capitals"},
		{H, "ERROR set=x\n", "required key", "ERROR without reason"},
		{H, "ERROR reason=disk set=x push=" GOOD "\n", "both", "ERROR naming both"},
		{H, "ERROR reason=disk set=x\n", "not sent", "ERROR for a set never sent"},
	};

	memset(long_line, 'A', 300);
	strcpy(long_line + 300, "\n");
	memset(max_line, 'A', UPDATE_MAX_LINE);
	strcpy(max_line + UPDATE_MAX_LINE, "\n");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pair p = pair_new();
		struct bp_error err = {""};
		const struct update_state *st = update_state(p.u);
		char *name, *got;
		int r, ok;

		if (cases[i].before && say(&p, cases[i].before, &err) != 0)
			tap_diag(err.msg);
		r = say(&p, cases[i].text, &err);
		name = xasprintf("rejected: %s", cases[i].name);
		ok = tap_ok(r == -1 && st->protocol_error && strstr(err.msg, cases[i].why) &&
				    !strcmp(err.msg, st->protocol_msg),
			    name);
		if (!ok) {
			tap_diag(err.msg);
			tap_diag(st->protocol_msg);
		}
		free(name);
		/* Afterwards: nothing is sent, input is discarded, pushes refused. */
		r = say(&p, "HELLO proto=1 boot=1 version=1 set=-\nCHECK\n", &err);
		got = received(&p);
		ok = r == 0 && !*got && update_fd(p.u) >= 0;
		ok &= update_push(p.u, "/dev/null", GOOD, 0, &err) == -1;
		name = xasprintf("after '%s': silent, input discarded, push refused", cases[i].name);
		tap_ok(ok, name);
		free(name);
		free(got);
		pair_free(&p);
	}
}

static void test_error_line(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	char *good = make_file("e.sys", 50, 'x'), *got, *line;
	struct update_file f = {good, GOOD};
	const struct update_state *st = update_state(p.u);

	update_publish(p.u, "bad-set", &f, 1, &err);
	say(&p, HELLO1, &err);
	say(&p, "CHECK\n", &err);
	got = received(&p);
	free(got);
	tap_is_int(say(&p, "ERROR reason=quarantined set=bad-set\n", &err), 0,
		   "ERROR for the set sent is accepted");
	tap_is_int(st->errors, 1, "ERROR counted");
	tap_is_str(st->error, "ERROR reason=quarantined set=bad-set", "ERROR line kept");
	tap_is_int(st->sets_done, 0, "the set is not installed");
	line = xasprintf("DONE set=bad-set files=1\n");
	tap_is_int(say(&p, line, &err), -1, "DONE after ERROR for the same set is a protocol error");
	free(line);
	free(good);
	pair_free(&p);

	p = pair_new();
	say(&p, HELLO1, &err);
	tap_is_int(say(&p, "ERROR reason=bad-line\n", &err), 0, "ERROR without a subject accepted");
	tap_is_int(update_state(p.u)->errors, 1, "and counted");
	pair_free(&p);
}

static void test_push(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	const struct update_state *st = update_state(p.u);
	char *bad = make_file("push.sys", 292, 'p'), *big = make_file("big.sys", UPDATE_MAX_FILE, 'b');
	char *bd = file_data(bad), *bigd = file_data(big), *got;
	struct strbuf want = STRBUF_INIT;

	tap_is_int(update_push(p.u, bad, BAD, 1, &err), 0, "push queued before HELLO");
	tap_is_int(st->pushes_queued, 1, "push counted as queued");
	tap_is_int(update_want_write(p.u), 0, "nothing written before HELLO");
	got = received(&p);
	tap_is_str(got, "", "the guest gets nothing before HELLO");
	free(got);
	say(&p, HELLO1, &err);
	got = received(&p);
	strbuf_addf(&want, "PUSH name=%s size=292 persist=1\n", BAD);
	strbuf_add(&want, bd, 292);
	strbuf_adds(&want, "END\n");
	tap_ok(strlen(got) == want.len && !memcmp(got, want.buf, want.len),
	       "after HELLO: PUSH, its exact bytes, END");
	tap_is_int(st->pushes_sent, 1, "push recorded as sent");
	free(got);
	tap_is_int(say(&p, "DONE push=" BAD " loaded=1 persist=1\n", &err), 0, "DONE push= accepted");
	tap_is_int(st->pushes_done, 1, "push acknowledged");
	tap_ok(st->push_loaded == 1 && st->push_persisted == 1, "loaded and persisted recorded");
	tap_ok(st->push_done_ns >= st->push_sent_ns && st->push_sent_ns > 0,
	       "timestamps: sent <= acknowledged");

	/* After HELLO a push goes out at once; 1 MiB crosses many partial writes. */
	tap_is_int(update_push(p.u, big, GOOD, 0, &err), 0, "a 1 MiB push");
	tap_is_int(update_want_write(p.u), 1, "it waits for POLLOUT");
	got = NULL;
	{
		struct strbuf sb = STRBUF_INIT;
		char head[80];
		int n = snprintf(head, sizeof(head), "PUSH name=%s size=%d persist=0\n", GOOD,
				 UPDATE_MAX_FILE);

		receive(&p, &sb);
		tap_ok(sb.len == (size_t)n + UPDATE_MAX_FILE + 4 && !memcmp(sb.buf, head, (size_t)n) &&
			       !memcmp(sb.buf + n, bigd, UPDATE_MAX_FILE) &&
			       !memcmp(sb.buf + n + UPDATE_MAX_FILE, "END\n", 4),
		       "1 MiB push arrives byte-exact");
		strbuf_release(&sb);
	}
	tap_is_int(st->pushes_sent, 2, "second push sent");
	tap_is_int(say(&p, "ERROR reason=short-read push=" GOOD "\n", &err), 0,
		   "ERROR for the push accepted");
	tap_is_int(st->pushes_done, 1, "an ERROR is not an acknowledgement");
	tap_is_int(say(&p, "DONE push=" GOOD " loaded=1 persist=0\n", &err), -1,
		   "DONE for a push already answered is a protocol error");

	strbuf_release(&want);
	free(bd);
	free(bigd);
	free(bad);
	free(big);
	pair_free(&p);
}

/* STATS: one request at a time, after HELLO; the answer's figures parsed strictly. */
static void test_stats(void)
{
	struct pair p = pair_new(), q = pair_new(), r = pair_new();
	struct bp_error err = {""};
	const struct update_state *st = update_state(p.u);
	char *got;

	tap_is_int(update_stats(p.u, &err), -1, "stats: not before HELLO");
	say(&p, HELLO1, &err);
	tap_is_int(update_stats(p.u, &err), 0, "stats: asked after HELLO");
	got = received(&p);
	tap_is_str(got, "STATS\n", "stats: the request is one STATS line");
	free(got);
	tap_is_int(update_stats(p.u, &err), -1, "stats: one request at a time");
	tap_is_int(say(&p, "STATS available=201412 free=180220 slab=9236 module=-\n", &err), 0,
		   "stats: the agent's answer accepted");
	tap_ok(st->stats_asked == 1 && st->stats_answered == 1, "stats: answered");
	tap_ok(st->mem_available_kib == 201412 && st->mem_free_kib == 180220 &&
		       st->slab_kib == 9236 && st->module_bytes == -1,
	       "stats: figures recorded, '-' as unknown");
	tap_is_int(say(&p, "STATS available=1 free=1 slab=1 module=1\n", &err), -1,
		   "stats: an answer nobody asked for is a protocol error");
	tap_like(st->protocol_msg, "STATS that was not asked for", "stats: unasked, named");

	say(&q, HELLO1, &err);
	update_stats(q.u, &err);
	tap_is_int(say(&q, "STATS available=01 free=1 slab=1 module=1\n", &err), -1,
		   "stats: a figure with a leading zero is a protocol error");
	tap_like(update_state(q.u)->protocol_msg, "bad figure", "stats: bad figure, named");

	say(&r, HELLO1, &err);
	update_stats(r.u, &err);
	tap_is_int(say(&r, "STATS available=1 free=1 slab=1\n", &err), -1,
		   "stats: a missing figure is a protocol error");
	pair_free(&r);
	r = pair_new();
	say(&r, HELLO1, &err);
	update_stats(r.u, &err);
	tap_is_int(say(&r, "ERROR reason=unexpected\n", &err), 0,
		   "stats: an agent that does not know STATS says ERROR");
	tap_ok(update_state(r.u)->stats_answered == 0 && update_state(r.u)->errors == 1,
	       "stats: the request is void, with no figures");
	tap_is_int(update_stats(r.u, &err), 0, "stats: and may be asked again");
	pair_free(&p);
	pair_free(&q);
	pair_free(&r);
}

static void test_publish_errors(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	char *good = make_file("p.sys", 10, 'a'), *over = make_file("over.sys", UPDATE_MAX_FILE + 1, 'o');
	char *missing = xasprintf("%s/missing.sys", dir);
	struct update_file ok1[] = {{good, GOOD}};
	struct update_file badname[] = {{good, "../C-00000291-00000000-00000001.sys"}};
	struct update_file shortname[] = {{good, "C-291.sys"}};
	struct update_file nofile[] = {{missing, GOOD}};
	struct update_file big[] = {{over, GOOD}};
	struct update_file dup[] = {{good, GOOD}, {good, GOOD}};
	struct update_file isdir[] = {{dir, GOOD}};

	update_publish(p.u, "first", ok1, 1, &err);
	tap_is_int(update_publish(p.u, NULL, badname, 1, &err), -1, "publish: a name with a path");
	tap_like(err.msg, "is not C-NNNNNNNN", "  names the expected shape");
	tap_is_int(update_publish(p.u, NULL, shortname, 1, &err), -1, "publish: a short name");
	tap_is_int(update_publish(p.u, NULL, nofile, 1, &err), -1, "publish: a missing file");
	tap_like(err.msg, "missing.sys", "  names the file");
	tap_is_int(update_publish(p.u, NULL, big, 1, &err), -1, "publish: a file over 1 MiB");
	tap_like(err.msg, "larger than 1048576", "  says the limit");
	tap_is_int(update_publish(p.u, NULL, dup, 2, &err), -1, "publish: a name twice");
	tap_is_int(update_publish(p.u, NULL, isdir, 1, &err), -1, "publish: a directory");
	tap_is_int(update_publish(p.u, "_mine", ok1, 1, &err), -1, "publish: an id starting with _");
	tap_is_int(update_publish(p.u, "a b", ok1, 1, &err), -1, "publish: an id with a space");
	tap_is_str(update_state(p.u)->published, "first", "failed publishes change nothing");
	tap_is_int(update_push(p.u, over, GOOD, 0, &err), -1, "push: a file over 1 MiB");
	tap_is_int(update_push(p.u, good, "x.sys", 0, &err), -1, "push: a bad name");
	tap_is_int(update_state(p.u)->pushes_queued, 0, "failed pushes are not queued");
	tap_ok(update_valid_name(GOOD) && !update_valid_name("C-0000029A-00000000-00000001.sys") &&
		       !update_valid_name("C-00000291-00000000-00000001.SYS"),
	       "update_valid_name");
	tap_ok(update_valid_id("_push-3-1") && update_valid_id("c-0123") && !update_valid_id("") &&
		       !update_valid_id("-x") && !update_valid_id("a/b"),
	       "update_valid_id");
	free(good);
	free(over);
	free(missing);
	pair_free(&p);
}

static void test_eof_and_reboot(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	char *got;

	say(&p, HELLO1, &err);
	say(&p, "CHECK\n", &err);
	got = received(&p);
	free(got);
	/* The guest rebooted inside the same QEMU process: a new HELLO, a new CHECK. */
	say(&p, "HELLO proto=1 boot=2 version=1 set=-\nCHECK\n", &err);
	got = received(&p);
	tap_is_str(got, "NONE\n", "a second HELLO starts a new session");
	tap_is_int(update_state(p.u)->hellos, 2, "two HELLOs counted");
	tap_is_int(update_state(p.u)->boot, 2, "boot number of the latest HELLO");
	free(got);
	/* A clean EOF, between lines, is not an error. */
	close(p.g);
	p.g = -1;
	tap_is_int(update_on_readable(p.u, &err), 1, "EOF reported as 1");
	tap_ok(update_state(p.u)->eof && update_fd(p.u) == -1, "EOF recorded and the fd closed");
	tap_is_int(update_state(p.u)->protocol_error, 0, "EOF between lines: no protocol error");
	tap_is_int(update_push(p.u, "/dev/null", GOOD, 0, &err), -1, "push after EOF refused");
	pair_free(&p);

	/* EOF in the middle of a line: the frame was cut, a protocol error. */
	p = pair_new();
	say(&p, HELLO1, &err);
	guest_write(&p, "CHE", 3);
	close(p.g);
	p.g = -1;
	tap_is_int(update_on_readable(p.u, &err), -1, "EOF mid-line reported as -1");
	tap_ok(update_state(p.u)->eof && update_fd(p.u) == -1, "EOF mid-line: fd closed");
	tap_is_int(update_state(p.u)->checks, 0, "the partial CHECK was not acted on");
	tap_is_int(update_state(p.u)->protocol_error, 1, "EOF mid-line is a protocol error");
	tap_like(update_state(p.u)->protocol_msg, "the connection closed mid-line",
		 "the message says the frame was cut");
	pair_free(&p);

	/* Writing to a guest that went away is an error, not a SIGPIPE. */
	p = pair_new();
	say(&p, HELLO1, &err);
	guest_write(&p, "CHECK\n", 6);
	close(p.g);
	p.g = -1;
	tap_ok(update_on_readable(p.u, &err) != 0 || update_on_writable(p.u, &err) <= 0,
	       "a vanished guest: no crash");
	pair_free(&p);
}

/* The guest closes its port (QMP VSERPORT_CHANGE) with a line unfinished. */
static void test_guest_closed(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	const struct update_state *st = update_state(p.u);
	char *got;

	say(&p, HELLO1, &err);
	tap_is_int(update_guest_closed(p.u, &err), 0, "port closed between lines: fine");
	tap_is_int(st->protocol_error, 0, "no protocol error for a clean close");
	/* Bytes still in the socket when the close is reported are read first. */
	guest_write(&p, "CHECK\nDONE set=", 15);
	tap_is_int(update_guest_closed(p.u, &err), -1, "port closed mid-line: -1");
	tap_is_int(st->protocol_error, 1, "closing the port mid-line is a protocol error");
	tap_like(st->protocol_msg, "the guest closed the port mid-line", "the message says so");
	tap_like(err.msg, "closed the port mid-line", "err says so too");
	tap_is_int(st->checks, 1, "the complete line before it was acted on");
	got = received(&p);
	tap_is_str(got, "NONE\n", "the CHECK answered before the close was known, nothing after");
	free(got);
	tap_ok(update_fd(p.u) >= 0, "the connection itself stays open");
	tap_is_int(say(&p, "CHECK\n", &err), 0, "the guest reopens: its lines are discarded");
	got = received(&p);
	tap_is_str(got, "", "nothing is written after the protocol error");
	free(got);
	tap_is_int(update_guest_closed(p.u, &err), 0, "a second close report: nothing new");
	pair_free(&p);
}

/* A guest that sends CHECK after CHECK without reading: bounded, an error. */
static void test_flood(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	const struct update_state *st = update_state(p.u);
	char *big = make_file("big.sys", UPDATE_MAX_FILE, 'a');
	struct update_file files[] = {{big, GOOD}};
	struct strbuf flood = STRBUF_INIT;
	char *got;
	size_t most = 0;
	int r = 0;

	tap_is_int(update_publish(p.u, "big-set", files, 1, &err), 0, "publish a 1 MiB set");
	say(&p, HELLO1, &err);
	for (int i = 0; i < 1500; i++)
		strbuf_adds(&flood, "CHECK\n");
	/* Written in pieces the socket takes, the host reading in between. */
	for (size_t off = 0; off < flood.len && r == 0; off += 600) {
		guest_write(&p, flood.buf + off, flood.len - off < 600 ? flood.len - off : 600);
		r = update_on_readable(p.u, &err);
		if (update_queued(p.u) > most)
			most = update_queued(p.u);
	}
	tap_ok(most <= UPDATE_MAX_FILE + 128, "never more than one answer queued");
	tap_is_int(r, -1, "a CHECK flood is a protocol error");
	tap_is_int(st->protocol_error, 1, "recorded as a protocol error");
	tap_like(st->protocol_msg, "CHECK flood", "the message names the flood");
	tap_is_int(st->checks, 1, "only the first CHECK was answered");
	tap_is_int((int)update_queued(p.u), 0, "nothing left queued after the error");
	got = received(&p);
	tap_ok(strlen(got) < UPDATE_MAX_FILE, "the guest got less than one answer");
	free(got);
	strbuf_release(&flood);
	pair_free(&p);

	/* CHECK after CHECK, each answer read in between: fine. */
	p = pair_new();
	say(&p, HELLO1, &err);
	for (int i = 0; i < 3; i++) {
		say(&p, "CHECK\n", &err);
		got = received(&p);
		tap_is_str(got, "NONE\n", "a CHECK after the answer was read: NONE");
		free(got);
	}
	tap_is_int(st->protocol_error, 0, "CHECKs one at a time are no flood");
	/* Two in one write: the first answer cannot have left yet. */
	tap_is_int(say(&p, "CHECK\nCHECK\n", &err), -1, "two CHECKs in one write: an error");
	pair_free(&p);

	/* A CHECK while the set sent is not acknowledged. */
	p = pair_new();
	update_publish(p.u, "big-set", files, 1, &err);
	say(&p, HELLO1, &err);
	say(&p, "CHECK\n", &err);
	got = received(&p);
	free(got);
	tap_is_int(st->sets_sent, 1, "the set was sent");
	tap_is_int(say(&p, "CHECK\n", &err), -1, "CHECK before DONE for the set: an error");
	tap_like(st->protocol_msg, "not acknowledged", "the message says why");
	pair_free(&p);

	/* A HELLO does not reset the queue: HELLO, CHECK, HELLO, CHECK... stays bounded. */
	p = pair_new();
	update_publish(p.u, "big-set", files, 1, &err);
	r = 0;
	for (int i = 0; i < 50 && r == 0; i++)
		r = say(&p, "HELLO proto=1 boot=1 version=1 set=-\nCHECK\n", &err);
	tap_is_int(r, -1, "a HELLO+CHECK flood is a protocol error");
	tap_ok(st->checks < 50, "it was stopped before the end");
	pair_free(&p);
	free(big);
}

/* Pushes to a guest that does not read are refused past the bound. */
static void test_push_bound(void)
{
	struct pair p = pair_new();
	struct bp_error err = {""};
	char *big = make_file("big.sys", UPDATE_MAX_FILE, 'a');
	int r = 0, n = 0;

	while (r == 0 && n < 20) {
		r = update_push(p.u, big, GOOD, 0, &err);
		n += r == 0;
	}
	tap_is_int(n, 7, "seven 1 MiB pushes wait for HELLO, the eighth would pass the bound");
	tap_like(err.msg, "does not read", "the error says why");
	say(&p, HELLO1, &err);
	tap_ok(update_queued(p.u) <= UPDATE_MAX_SET_BYTES, "queued at HELLO: within the bound");
	tap_is_int(update_state(p.u)->pushes_queued, 7, "the refused push is not counted");
	free(big);
	pair_free(&p);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_none();
	test_set();
	test_split();
	test_malformed();
	test_error_line();
	test_push();
	test_stats();
	test_publish_errors();
	test_eof_and_reboot();
	test_guest_closed();
	test_flood();
	test_push_bound();
	remove_tree(dir);
	return tap_done();
}
