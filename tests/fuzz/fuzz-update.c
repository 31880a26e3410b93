/*
 * fuzz-update - the host side of the update channel (harness/engine/update.c) fed
 * the fuzz input as what the guest's agent sends, over a socketpair as in
 * tests/t-update.c. A two-file set is published and one push queued, and
 * STATS is asked whenever the last request is answered and nothing waits,
 * so every conversation path can be reached. The input is written in chunks of
 * varying size; after some chunks the guest reads what the host sent, after
 * others it does not (the host's socket buffer is small, so it fills). At
 * the end the guest closes its port (update_guest_closed) or the connection.
 *
 * Oracle: the output queued and not written never exceeds one answer and
 * the push (and so UPDATE_MAX_QUEUED); once a protocol error is recorded
 * not one more byte reaches the guest; input that ends inside a line with
 * no earlier error ends in a protocol error; no crash, no leak (ASan).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "update.h"

#define SET_ID "fuzz-set"
#define NAME1 "C-00000291-00000000-00000001.sys"
#define NAME2 "C-00000291-00000000-00000002.sys"

static char dir[] = "/tmp/fuzz-update.XXXXXX";
static char path1[64], path2[64];
static size_t bound; /* the largest answer and the push: all we may ever queue */

static void cleanup(void)
{
	unlink(path1);
	unlink(path2);
	rmdir(dir);
}

static size_t write_fixture(char *path, const char *name, size_t size, unsigned char seed)
{
	FILE *f;

	snprintf(path, 64, "%s/%s", dir, name);
	f = fopen(path, "w");
	FUZZ_CHECK(f, "fixture file created");
	for (size_t i = 0; i < size; i++)
		fputc((int)((seed + i * 7) & 0xff), f);
	fclose(f);
	return size;
}

static void setup(void)
{
	static int done;
	char hdr[128];
	size_t len1, len2;

	if (done)
		return;
	done = 1;
	FUZZ_CHECK(mkdtemp(dir), "scratch directory created");
	atexit(cleanup);
	len1 = write_fixture(path1, NAME1, 300, 'a');
	len2 = write_fixture(path2, NAME2, 41, 0);
	/* The SET answer, and the PUSH of file 2. */
	bound = (size_t)snprintf(hdr, sizeof(hdr), "SET id=%s files=2\n", SET_ID);
	bound += (size_t)snprintf(hdr, sizeof(hdr), "FILE name=%s size=%zu\n", NAME1, len1) + len1;
	bound += (size_t)snprintf(hdr, sizeof(hdr), "FILE name=%s size=%zu\n", NAME2, len2) + len2;
	bound += 4;
	bound += (size_t)snprintf(hdr, sizeof(hdr), "PUSH name=%s size=%zu persist=1\n", NAME2, len2) +
		 len2 + 4;
}

/* Read what reached the guest's end; returns the byte count. */
static size_t guest_drain(int g)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = read(g, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

struct run {
	struct update *u;
	int g;
	int dead; /* a protocol error was seen and what was sent before it drained */
};

/* After every step: the bounds, and silence after a protocol error. */
static void check(struct run *r, int guest_reads)
{
	const struct update_state *st = update_state(r->u);
	struct bp_error err;

	FUZZ_CHECK(update_queued(r->u) <= bound, "never more queued than one answer and the push");
	FUZZ_CHECK(update_queued(r->u) <= UPDATE_MAX_QUEUED, "never more queued than the cap");
	if (r->dead) {
		FUZZ_CHECK(!update_want_write(r->u), "no output wanted after a protocol error");
		FUZZ_CHECK(guest_drain(r->g) == 0, "nothing written after a protocol error");
		return;
	}
	if (st->protocol_error) {
		FUZZ_CHECK(st->protocol_msg[0], "a protocol error has a message");
		guest_drain(r->g); /* what left before the error */
		r->dead = 1;
		return;
	}
	if (guest_reads) {
		guest_drain(r->g);
		if (update_fd(r->u) >= 0 && update_want_write(r->u))
			update_on_writable(r->u, &err);
		guest_drain(r->g);
		/* A soak's request, whenever the last one is answered and nothing waits. */
		if (st->hellos && st->stats_asked == st->stats_answered && !update_queued(r->u))
			update_stats(r->u, &err);
	}
}

/* The guest writes len bytes; the host reads as a poll loop would. */
static void guest_send(struct run *r, const uint8_t *data, size_t len)
{
	struct bp_error err;

	while (len && update_fd(r->u) >= 0) {
		ssize_t n = write(r->g, data, len);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		}
		update_on_readable(r->u, &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = {1, 3, 17, 64, 255, 1000};
	struct run r = {0};
	struct bp_error err;
	int sv[2], small = 4096, was_dead;
	size_t off = 0;

	setup();
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
		   "socketpair");
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	r.u = update_new(sv[0]);
	r.g = sv[1];
	{
		struct update_file files[] = {{path1, NAME1}, {path2, NAME2}};

		FUZZ_CHECK(update_publish(r.u, SET_ID, files, 2, &err) == 0, "publish the set");
		FUZZ_CHECK(update_push(r.u, path2, NAME2, 1, &err) == 0, "queue the push");
	}
	for (size_t k = 0; off < size; k++) {
		size_t n = chunks[k % 6] < size - off ? chunks[k % 6] : size - off;

		guest_send(&r, data + off, n);
		off += n;
		check(&r, k % 3 != 2);
	}
	was_dead = update_state(r.u)->protocol_error;
	if (size % 2) {
		update_guest_closed(r.u, &err);
	} else {
		close(r.g);
		r.g = -1;
		while (update_fd(r.u) >= 0 && update_on_readable(r.u, &err) == 0)
			;
	}
	if (r.g >= 0)
		check(&r, 0);
	if (!was_dead && size && data[size - 1] != '\n')
		FUZZ_CHECK(update_state(r.u)->protocol_error, "input cut inside a line is an error");
	update_free(r.u);
	if (r.g >= 0)
		close(r.g);
	return 0;
}
