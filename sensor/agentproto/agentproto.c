/*
 * agentproto - the guest side of the update channel, portable (agentproto.h).
 *
 * The shape follows the busybox agent (sensor/agent) so the two can be read
 * side by side: recv_line, parse_line, handle_set, handle_push,
 * handle_stats, handle_message, and fail_channel, which says why, answers
 * ERROR and ends the conversation.
 */
#include "agentproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct agent {
	const struct agent_ops *ops;
	unsigned boot;
	int timeout_ms;
	int answer; /* a CHECK is unanswered */
	int closed; /* the conversation ended */
	unsigned pushes;
	uint8_t rbuf[4096];
	size_t rpos, rlen;
	char line[AGENT_MAX_LINE + 2];
	/* parse_line's result */
	char verb[16];
	int nargs;
	const char *v_id, *v_files, *v_name, *v_size, *v_persist;
};

static void say(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct agent *a, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a->ops->say(a->ops->ctx, msg);
}

static int send_line(struct agent *a, const char *line)
{
	char buf[AGENT_MAX_LINE + 2];
	size_t n = strlen(line);

	if (n > AGENT_MAX_LINE)
		return -1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	return a->ops->write(a->ops->ctx, buf, n);
}

/* Give up on the channel: say why, tell the host (best effort). what: "set=ID", "push=NAME" or "".
 */
static int fail_channel(struct agent *a, const char *reason, const char *what, const char *msg)
{
	char line[AGENT_MAX_LINE + 1];

	say(a, "error: %s", msg);
	snprintf(line, sizeof(line), "ERROR reason=%s%s%s", reason, *what ? " " : "", what);
	send_line(a, line);
	a->closed = 1;
	return -1;
}

/* ---- validation ---- */

int agent_valid_num(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 9 || (s[0] == '0' && n > 1))
		return 0;
	return strspn(s, "0123456789") == n;
}

int agent_valid_id(const char *s)
{
	size_t n = strlen(s);
	static const char more[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

	if (n == 0 || n > AGENT_MAX_ID || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, more) == n;
}

int agent_valid_name(const char *s)
{
	static const char shape[] = "C-########-########-########.sys";

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '#' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return 0;
	return 1;
}

static unsigned long num(const char *s)
{
	return strtoul(s, NULL, 10);
}

/* ---- labels ---- */

uint64_t agent_digest(uint64_t h, const char *name, const uint8_t *data, size_t len)
{
	uint8_t le[8];

	for (size_t i = 0; i < 8; i++)
		le[i] = (uint8_t)((uint64_t)len >> (8 * i));
	for (const char *p = name;; p++) {
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		if (!*p)
			break;
	}
	for (size_t i = 0; i < 8; i++)
		h = (h ^ le[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 0x100000001b3ULL;
	return h;
}

void agent_label(const char *label_text, uint64_t digest, char *id)
{
	char want[17], got[AGENT_MAX_ID + 1], dig[17];
	const char *sp = label_text ? strchr(label_text, ' ') : NULL;
	size_t n = sp ? (size_t)(sp - label_text) : 0;

	snprintf(want, sizeof(want), "%016llx", (unsigned long long)digest);
	if (sp && n && n <= AGENT_MAX_ID) {
		memcpy(got, label_text, n);
		got[n] = '\0';
		snprintf(dig, sizeof(dig), "%.16s", sp + 1);
		if (agent_valid_id(got) && !strcmp(dig, want) &&
		    (sp[17] == '\0' || sp[17] == '\n' || sp[17] == '\r')) {
			strcpy(id, got);
			return;
		}
	}
	snprintf(id, AGENT_MAX_ID + 1, "_local-%.8s", want);
}

/* ---- reading ---- */

/* Fill the read buffer; 1, or AGENT_EOF / AGENT_FAIL / AGENT_TIMEOUT. */
static long fill(struct agent *a, int timeout_ms)
{
	long n;

	if (a->rpos < a->rlen)
		return 1;
	n = a->ops->read(a->ops->ctx, a->rbuf, sizeof(a->rbuf), timeout_ms);
	if (n <= 0)
		return n;
	a->rpos = 0;
	a->rlen = (size_t)n;
	return 1;
}

/*
 * One line into a->line. 1, or 0 with *why: "closed", "timeout" or
 * "bad-line" (framing: too long, not printable, spaces out of place).
 */
static int recv_line(struct agent *a, int timeout_ms, const char **why)
{
	size_t n = 0;

	for (;;) {
		long r = fill(a, timeout_ms);
		uint8_t c;

		if (r <= 0) {
			*why = r == AGENT_TIMEOUT ? "timeout" : n ? "short-read" : "closed";
			return 0;
		}
		c = a->rbuf[a->rpos++];
		if (c == '\n')
			break;
		if (n > AGENT_MAX_LINE || c < 0x20 || c > 0x7e) {
			*why = "bad-line";
			return 0;
		}
		a->line[n++] = (char)c;
	}
	a->line[n] = '\0';
	if (n == 0 || n > AGENT_MAX_LINE || a->line[0] == ' ' || a->line[n - 1] == ' ' ||
	    strstr(a->line, "  ")) {
		*why = "bad-line";
		return 0;
	}
	return 1;
}

/* Exactly n bytes into buf within the timeout (each read). 0, or -1. */
static int recv_bytes(struct agent *a, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t k;

		if (fill(a, a->timeout_ms) <= 0)
			return -1;
		k = a->rlen - a->rpos;
		if (k > n - got)
			k = n - got;
		memcpy(buf + got, a->rbuf + a->rpos, k);
		a->rpos += k;
		got += k;
	}
	return 0;
}

static int recv_end(struct agent *a)
{
	const char *why;

	return recv_line(a, a->timeout_ms, &why) && !strcmp(a->line, "END") ? 0 : -1;
}

/* Split a->line (in place) into the verb and its known keys; 0, or -1. */
static int parse_line(struct agent *a)
{
	static const char *const keys[] = {"id", "files", "name", "size", "persist"};
	const char **vals[] = {&a->v_id, &a->v_files, &a->v_name, &a->v_size, &a->v_persist};
	char *w = a->line, *next;
	size_t n;

	for (size_t k = 0; k < 5; k++)
		*vals[k] = NULL;
	a->nargs = 0;
	next = strchr(w, ' ');
	n = next ? (size_t)(next - w) : strlen(w);
	if (n >= sizeof(a->verb))
		return -1;
	memcpy(a->verb, w, n);
	a->verb[n] = '\0';
	while (next) {
		char *eq;
		size_t k;

		w = next + 1;
		next = strchr(w, ' ');
		if (next)
			*next = '\0';
		eq = strchr(w, '=');
		if (!eq || eq == w || !eq[1])
			return -1;
		*eq = '\0';
		for (k = 0; k < 5 && strcmp(w, keys[k]); k++)
			;
		if (k == 5 || *vals[k])
			return -1;
		*vals[k] = eq + 1;
		a->nargs++;
	}
	return 0;
}

/* ---- messages ---- */

/* FILE line i of set id: its name and size checked; 0, or -1 (answered). */
static int set_file_line(struct agent *a, const char *id, struct agent_file *files, size_t i,
			 size_t *total)
{
	char what[AGENT_MAX_ID + 8], msg[400];
	const char *why;

	snprintf(what, sizeof(what), "set=%s", id);
	if (!recv_line(a, a->timeout_ms, &why)) {
		snprintf(msg, sizeof(msg), "set %s: no FILE line %lu (%s)", id,
			 (unsigned long)i + 1, why);
		return fail_channel(a, !strcmp(why, "closed") ? "short-read" : why, what, msg);
	}
	snprintf(msg, sizeof(msg), "set %s: expected a FILE line, got '%s'", id, a->line);
	if (parse_line(a) || strcmp(a->verb, "FILE") || a->nargs != 2 || !a->v_name || !a->v_size)
		return fail_channel(a, "bad-line", what, msg);
	if (!agent_valid_name(a->v_name))
		return fail_channel(a, "bad-name", what, "bad file name in a FILE line");
	if (!agent_valid_num(a->v_size) || num(a->v_size) > AGENT_MAX_FILE)
		return fail_channel(a, "bad-size", what, "bad size in a FILE line");
	for (size_t j = 0; j < i; j++)
		if (!strcmp(files[j].name, a->v_name))
			return fail_channel(a, "duplicate-name", what, "a file sent twice");
	*total += num(a->v_size);
	if (*total > AGENT_MAX_SET_BYTES)
		return fail_channel(a, "too-large", what, "the set is larger than 8388608 bytes");
	strcpy(files[i].name, a->v_name);
	files[i].len = num(a->v_size);
	return 0;
}

/* SET id=ID files=K: the whole set into memory, then installed. */
static int handle_set(struct agent *a)
{
	struct agent_file *files = NULL;
	uint8_t *data = NULL;
	char id[AGENT_MAX_ID + 1], what[AGENT_MAX_ID + 8], cur[AGENT_MAX_ID + 1];
	char line[AGENT_MAX_LINE + 1];
	size_t nfiles, total = 0, off = 0;
	int ret = -1;

	if (a->nargs != 2 || !a->v_id || !a->v_files)
		return fail_channel(a, "bad-line", "", "bad SET line");
	if (!agent_valid_id(a->v_id) || a->v_id[0] == '_')
		return fail_channel(a, "bad-id", "", "bad set id in a SET line");
	strcpy(id, a->v_id);
	snprintf(what, sizeof(what), "set=%s", id);
	if (!agent_valid_num(a->v_files))
		return fail_channel(a, "bad-line", what, "bad file count in a SET line");
	nfiles = num(a->v_files);
	if (nfiles > AGENT_MAX_FILES)
		return fail_channel(a, "too-many-files", what, "more than 256 files in a set");
	files = calloc(nfiles + 1, sizeof(*files));
	if (!files)
		return fail_channel(a, "disk", what, "out of memory");
	for (size_t i = 0; i < nfiles; i++) {
		uint8_t *more;

		if (set_file_line(a, id, files, i, &total))
			goto out;
		more = realloc(data, total + 1);
		if (!more) {
			fail_channel(a, "disk", what, "out of memory");
			goto out;
		}
		data = more;
		if (recv_bytes(a, data + off, files[i].len)) {
			fail_channel(a, "short-read", what, "fewer bytes than the FILE line said");
			goto out;
		}
		off += files[i].len;
	}
	if (recv_end(a)) {
		fail_channel(a, "short-read", what, "no END after the set's files");
		goto out;
	}
	for (size_t i = 0, o = 0; i < nfiles; o += files[i].len, i++)
		files[i].data = data + o;
	a->ops->current_set(a->ops->ctx, cur);
	if (a->ops->quarantined && a->ops->quarantined(a->ops->ctx, id)) {
		say(a, "update set=%s refused: quarantined", id);
		snprintf(line, sizeof(line), "ERROR reason=quarantined %s", what);
		ret = send_line(a, line);
		goto out;
	}
	if (strcmp(cur, id) && a->ops->install_set(a->ops->ctx, id, files, nfiles)) {
		fail_channel(a, "disk", what, "cannot install the set");
		goto out;
	}
	if (!strcmp(cur, id))
		say(a, "update set=%s already installed", id);
	else
		say(a, "update set=%s installed (%lu files)", id, (unsigned long)nfiles);
	snprintf(line, sizeof(line), "DONE set=%s files=%lu", id, (unsigned long)nfiles);
	ret = send_line(a, line);
out:
	free(files);
	free(data);
	return ret;
}

/* PUSH name=NAME size=N persist=P: to the running sensor, and with persist=1 on disk. */
static int handle_push(struct agent *a)
{
	struct agent_file f;
	char what[AGENT_NAME_LEN + 8], id[AGENT_MAX_ID + 1] = "", line[AGENT_MAX_LINE + 1];
	uint8_t *data = NULL;
	int persist, loaded, ret = -1;

	if (a->nargs != 3 || !a->v_name || !a->v_size || !a->v_persist)
		return fail_channel(a, "bad-line", "", "bad PUSH line");
	if (!agent_valid_name(a->v_name))
		return fail_channel(a, "bad-name", "", "bad file name in a PUSH line");
	snprintf(what, sizeof(what), "push=%s", a->v_name);
	if (strcmp(a->v_persist, "0") && strcmp(a->v_persist, "1"))
		return fail_channel(a, "bad-line", what, "bad persist flag in a PUSH line");
	if (!agent_valid_num(a->v_size) || num(a->v_size) > AGENT_MAX_FILE)
		return fail_channel(a, "bad-size", what, "bad size in a PUSH line");
	strcpy(f.name, a->v_name);
	f.len = num(a->v_size);
	persist = a->v_persist[0] == '1';
	data = malloc(f.len + 1);
	if (!data)
		return fail_channel(a, "disk", what, "out of memory");
	if (recv_bytes(a, data, f.len)) {
		fail_channel(a, "short-read", what, "fewer bytes than the PUSH line said");
		goto out;
	}
	if (recv_end(a)) {
		fail_channel(a, "short-read", what, "no END after the pushed file");
		goto out;
	}
	f.data = data;
	a->pushes++;
	if (persist)
		snprintf(id, sizeof(id), "_push-%u-%u", a->boot, a->pushes);
	say(a, "loading pushed %s (%lu bytes, persist=%d)", f.name, (unsigned long)f.len, persist);
	loaded = a->ops->push(a->ops->ctx, &f, persist, id);
	if (loaded < 0) {
		fail_channel(a, "disk", what, "cannot install the pushed file");
		goto out;
	}
	if (!loaded)
		say(a, "push %s not loaded: no sensor running", f.name);
	else if (persist)
		say(a, "pushed %s, installed as set %s", f.name, id);
	else
		say(a, "pushed %s", f.name);
	snprintf(line, sizeof(line), "DONE push=%s loaded=%d persist=%d", f.name, loaded, persist);
	ret = send_line(a, line);
out:
	free(data);
	return ret;
}

static int handle_stats(struct agent *a)
{
	static const char *const keys[] = {"available", "free", "slab", "module"};
	long long fig[4] = {-1, -1, -1, -1};
	char line[AGENT_MAX_LINE + 1] = "STATS";
	size_t n = 5;

	if (a->nargs)
		return fail_channel(a, "bad-line", "", "bad STATS line");
	a->ops->stats(a->ops->ctx, fig);
	for (int i = 0; i < 4; i++) {
		/* Our own figures, still only N (at most 9 digits) or '-'. */
		if (fig[i] >= 0 && fig[i] <= 999999999LL)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%lld", keys[i],
					      fig[i]);
		else
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=-", keys[i]);
	}
	return send_line(a, line);
}

static int handle_message(struct agent *a)
{
	char msg[AGENT_MAX_LINE + 32];

	snprintf(msg, sizeof(msg), "unexpected '%s'", a->line);
	if (parse_line(a))
		return fail_channel(a, "bad-line", "", "cannot parse a line from the host");
	if (!strcmp(a->verb, "NONE") && a->answer && !a->nargs) {
		a->answer = 0;
		say(a, "no update");
		return 0;
	}
	if (!strcmp(a->verb, "SET") && a->answer) {
		a->answer = 0;
		return handle_set(a);
	}
	if (!strcmp(a->verb, "PUSH"))
		return handle_push(a);
	if (!strcmp(a->verb, "STATS"))
		return handle_stats(a);
	return fail_channel(a, "unexpected", "", msg);
}

int agent_run(const struct agent_ops *ops, unsigned boot, unsigned version, int timeout_ms)
{
	struct agent *a = calloc(1, sizeof(*a));
	char cur[AGENT_MAX_ID + 1], line[AGENT_MAX_LINE + 1];
	const char *why;
	int ret = -1;

	if (!a)
		return -1;
	a->ops = ops;
	a->boot = boot;
	a->timeout_ms = timeout_ms;
	ops->current_set(ops->ctx, cur);
	say(a, "update channel open, boot %u, version %u, set %s", boot, version, cur);
	snprintf(line, sizeof(line), "HELLO proto=1 boot=%u version=%u set=%s", boot, version, cur);
	a->answer = 1;
	if (send_line(a, line) || send_line(a, "CHECK")) {
		say(a, "error: cannot write to the update channel");
		goto out;
	}
	/* The boot-time check: the answer within the timeout, pushes served meanwhile. */
	while (a->answer && !a->closed) {
		if (!recv_line(a, timeout_ms, &why)) {
			if (!strcmp(why, "timeout"))
				say(a, "no answer from the update channel within %d ms",
				    timeout_ms);
			else
				fail_channel(a, why, "", "bad line from the update channel");
			goto out;
		}
		if (handle_message(a))
			goto out;
	}
	if (ops->boot_done)
		ops->boot_done(ops->ctx);
	/* Then live pushes, for as long as the channel stays open. */
	for (;;) {
		if (!recv_line(a, -1, &why)) {
			if (!strcmp(why, "closed")) {
				say(a, "update channel closed");
				ret = 0;
			} else {
				fail_channel(a, why, "", "bad line from the update channel");
			}
			goto out;
		}
		if (handle_message(a))
			goto out;
	}
out:
	if (a->answer && ops->boot_done)
		ops->boot_done(ops->ctx);
	free(a);
	return ret;
}
