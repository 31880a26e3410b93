/*
 * update - the host side of the sensor's update channel: answers the
 * agent's CHECK with the published content set or NONE, writes live pushes,
 * and records what the guest acknowledged. sensor/PROTOCOL.md is the
 * protocol; update.h the contract of this module.
 *
 * Input is consumed byte by byte into a fixed 256-byte line buffer, so a
 * guest can never make us allocate; output is one buffer (a strbuf) written
 * as the socket takes it, with marks at message ends to timestamp when each
 * message left completely.
 */
#define _GNU_SOURCE
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"

#define NAME_LEN 32 /* strlen("C-00000291-00000000-00000001.sys") */

struct blob {
	char name[NAME_LEN + 1];
	struct strbuf data;
};

struct push {
	struct blob file;
	int persist;
};

enum mark_kind { MARK_NONE, MARK_SET, MARK_PUSH };

/* A message ends at byte `end` of everything ever queued. */
struct mark {
	enum mark_kind kind;
	uint64_t end;
};

struct update {
	int fd;
	int dead; /* the guest broke the protocol: send nothing, discard input */
	struct update_state st;

	/* the published set */
	int published;
	struct blob *files;
	size_t nr_files;

	/* pushes queued before HELLO */
	struct push *waiting;
	size_t nr_waiting, alloc_waiting;

	/* pushes waiting for HELLO, their bytes on the wire */
	size_t waiting_bytes;

	/* the conversation: what the guest still owes an answer for */
	uint64_t answer_end; /* where the latest answer to CHECK ends in the output */
	int set_outstanding;
	char set_sent[UPDATE_MAX_ID + 1];
	size_t set_sent_files;
	char (*awaiting)[NAME_LEN + 1]; /* pushes written, oldest first */
	size_t nr_awaiting, alloc_awaiting;

	/* input: the current line */
	char line[UPDATE_MAX_LINE + 1];
	size_t line_len;

	/* output */
	struct strbuf out;
	size_t out_off;
	uint64_t queued, written;
	struct mark *marks;
	size_t nr_marks, alloc_marks;
};

/* ---- values (PROTOCOL.md, "Value types") ---- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int update_valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > UPDATE_MAX_ID)
		return 0;
	if (!(is_digit(s[0]) || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      s[0] == '_'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
			return 0;
	return 1;
}

int update_valid_name(const char *s)
{
	static const char shape[] = "C-dddddddd-dddddddd-dddddddd.sys";

	if (strlen(s) != NAME_LEN)
		return 0;
	for (size_t i = 0; i < NAME_LEN; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

/* N: "0" or 1..9 digits without a leading zero. */
static int parse_num(const char *s, unsigned *ret)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

static int parse_flag(const char *s, int *ret)
{
	if (strcmp(s, "0") && strcmp(s, "1"))
		return -1;
	*ret = s[0] == '1';
	return 0;
}

static int valid_word(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

/* ---- lifecycle ---- */

struct update *update_new(int fd)
{
	struct update *u = xcalloc(1, sizeof(*u));

	u->fd = fd;
	strbuf_init(&u->out);
	return u;
}

static void files_free(struct blob *files, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		strbuf_release(&files[i].data);
	free(files);
}

static void waiting_clear(struct update *u)
{
	for (size_t i = 0; i < u->nr_waiting; i++)
		strbuf_release(&u->waiting[i].file.data);
	u->nr_waiting = 0;
	u->waiting_bytes = 0;
}

void update_free(struct update *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	files_free(u->files, u->nr_files);
	waiting_clear(u);
	free(u->waiting);
	free(u->awaiting);
	free(u->marks);
	strbuf_release(&u->out);
	free(u);
}

int update_fd(const struct update *u)
{
	return u->fd;
}

int update_want_write(const struct update *u)
{
	return u->fd >= 0 && !u->dead && u->out_off < u->out.len;
}

size_t update_queued(const struct update *u)
{
	return u->out.len - u->out_off;
}

const struct update_state *update_state(const struct update *u)
{
	return &u->st;
}

/* ---- reading host files ---- */

static int blob_load(struct blob *b, const char *path, const char *name, struct bp_error *err)
{
	struct stat sb;

	if (!update_valid_name(name))
		return error_set(err, "guest name '%s' is not C-NNNNNNNN-NNNNNNNN-NNNNNNNN.sys", name);
	if (stat(path, &sb) < 0)
		return error_set(err, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return error_set(err, "'%s' is not a regular file", path);
	if (sb.st_size > UPDATE_MAX_FILE)
		return error_set(err, "'%s' is larger than %d bytes", path, UPDATE_MAX_FILE);
	strcpy(b->name, name);
	strbuf_init(&b->data);
	if (read_file(path, &b->data, err) < 0)
		return -1;
	/* It may have grown since the stat. */
	if (b->data.len > UPDATE_MAX_FILE) {
		strbuf_release(&b->data);
		return error_set(err, "'%s' is larger than %d bytes", path, UPDATE_MAX_FILE);
	}
	return 0;
}

/* FNV-1a, 64 bits, over every name, size and content: same files, same id. */
static void derive_id(const struct blob *files, size_t nr, char *ret_id)
{
	uint64_t h = FNV1A64_INIT;

	for (size_t i = 0; i < nr; i++) {
		uint64_t len = files[i].data.len;

		h = fnv1a64_update(h, files[i].name, NAME_LEN);
		h = fnv1a64_update(h, &len, sizeof(len));
		h = fnv1a64_update(h, files[i].data.buf, files[i].data.len);
	}
	snprintf(ret_id, UPDATE_MAX_ID + 1, "c-%016" PRIx64, h);
}

int update_publish(struct update *u, const char *id, const struct update_file *files, size_t nr,
		   struct bp_error *err)
{
	struct blob *blobs;
	size_t loaded = 0, total = 0;

	if (id && (!update_valid_id(id) || id[0] == '_'))
		return error_set(err, "bad content set id '%s' (letters, digits, '.', '_', '-'; "
				      "at most %d; not starting with '_')",
				 id, UPDATE_MAX_ID);
	if (nr > UPDATE_MAX_FILES)
		return error_set(err, "content set has %zu files, at most %d", nr, UPDATE_MAX_FILES);
	blobs = xcalloc(nr ? nr : 1, sizeof(*blobs));
	for (; loaded < nr; loaded++) {
		for (size_t j = 0; j < loaded; j++)
			if (!strcmp(blobs[j].name, files[loaded].name)) {
				error_set(err, "guest name '%s' appears twice in the content set",
					  files[loaded].name);
				goto fail;
			}
		if (blob_load(&blobs[loaded], files[loaded].path, files[loaded].name, err) < 0)
			goto fail;
		total += blobs[loaded].data.len;
		if (total > UPDATE_MAX_SET_BYTES) {
			loaded++;
			error_set(err, "content set is larger than %d bytes", UPDATE_MAX_SET_BYTES);
			goto fail;
		}
	}
	files_free(u->files, u->nr_files);
	u->files = blobs;
	u->nr_files = nr;
	u->published = 1;
	if (id)
		snprintf(u->st.published, sizeof(u->st.published), "%s", id);
	else
		derive_id(blobs, nr, u->st.published);
	return 0;
fail:
	files_free(blobs, loaded);
	return -1;
}

void update_unpublish(struct update *u)
{
	files_free(u->files, u->nr_files);
	u->files = NULL;
	u->nr_files = 0;
	u->published = 0;
	u->st.published[0] = '\0';
}

/* ---- output ---- */

static void queue_bytes(struct update *u, const void *data, size_t len)
{
	strbuf_add(&u->out, data, len);
	u->queued += len;
}

static void queue_mark(struct update *u, enum mark_kind kind)
{
	ALLOC_GROW(u->marks, u->nr_marks + 1, u->alloc_marks);
	u->marks[u->nr_marks++] = (struct mark){kind, u->queued};
}

/* Timestamp every message whose last byte has now left. */
static void pop_marks(struct update *u)
{
	size_t i = 0;
	int64_t t = now_ns();

	for (; i < u->nr_marks && u->marks[i].end <= u->written; i++) {
		switch (u->marks[i].kind) {
		case MARK_NONE:
			u->st.none_ns = t;
			break;
		case MARK_SET:
			u->st.sets_sent++;
			u->st.set_sent_ns = t;
			break;
		case MARK_PUSH:
			u->st.pushes_sent++;
			u->st.push_sent_ns = t;
			break;
		}
	}
	if (!i)
		return;
	memmove(u->marks, u->marks + i, (u->nr_marks - i) * sizeof(*u->marks));
	u->nr_marks -= i;
}

static void close_fd(struct update *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

/* Write as much as the socket takes now. */
static int flush(struct update *u, struct bp_error *err)
{
	while (u->fd >= 0 && !u->dead && u->out_off < u->out.len) {
		ssize_t n = send(u->fd, u->out.buf + u->out_off, u->out.len - u->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			error_set(err, "cannot write to the update channel: %s", strerror(errno));
			u->st.eof = 1;
			close_fd(u);
			return -1;
		}
		u->out_off += (size_t)n;
		u->written += (uint64_t)n;
	}
	if (u->out_off == u->out.len) {
		strbuf_reset(&u->out);
		u->out_off = 0;
	} else if (u->out_off > 65536) {
		strbuf_remove_prefix(&u->out, u->out_off);
		u->out_off = 0;
	}
	pop_marks(u);
	return 0;
}

int update_on_writable(struct update *u, struct bp_error *err)
{
	return flush(u, err);
}

/* The PUSH line into hdr (at least 128 bytes); returns the whole message's size. */
static size_t push_header(const struct push *p, char *hdr, size_t size)
{
	int n = snprintf(hdr, size, "PUSH name=%s size=%zu persist=%d\n", p->file.name,
			 p->file.data.len, p->persist);

	return (size_t)n + p->file.data.len + 4;
}

static void queue_push(struct update *u, struct push *p)
{
	char hdr[128];

	push_header(p, hdr, sizeof(hdr));
	queue_bytes(u, hdr, strlen(hdr));
	queue_bytes(u, p->file.data.buf, p->file.data.len);
	queue_bytes(u, "END\n", 4);
	queue_mark(u, MARK_PUSH);
	ALLOC_GROW(u->awaiting, u->nr_awaiting + 1, u->alloc_awaiting);
	strcpy(u->awaiting[u->nr_awaiting++], p->file.name);
}

static void queue_waiting_pushes(struct update *u)
{
	for (size_t i = 0; i < u->nr_waiting; i++)
		queue_push(u, &u->waiting[i]);
	waiting_clear(u);
}

int update_stats(struct update *u, struct bp_error *err)
{
	if (u->dead)
		return error_set(err, "cannot ask for stats: the guest broke the update protocol");
	if (u->fd < 0)
		return error_set(err, "cannot ask for stats: the update channel is closed");
	if (!u->st.hellos)
		return error_set(err, "cannot ask for stats: the agent has not said HELLO");
	if (u->st.stats_asked > u->st.stats_answered)
		return error_set(err, "cannot ask for stats: the last request is unanswered");
	queue_bytes(u, "STATS\n", 6);
	u->st.stats_asked++;
	return 0;
}

int update_push(struct update *u, const char *host_path, const char *name, int persist,
		struct bp_error *err)
{
	struct push p = {.persist = !!persist};
	char hdr[128];
	size_t len;

	if (u->dead)
		return error_set(err, "cannot push '%s': the guest broke the update protocol", name);
	if (u->fd < 0)
		return error_set(err, "cannot push '%s': the update channel is closed", name);
	if (blob_load(&p.file, host_path, name, err) < 0)
		return -1;
	len = push_header(&p, hdr, sizeof(hdr));
	if (update_queued(u) + u->waiting_bytes + len > UPDATE_MAX_SET_BYTES) {
		strbuf_release(&p.file.data);
		return error_set(err,
				 "cannot push '%s': %zu bytes not yet written to the update channel "
				 "(the guest does not read it)",
				 name, update_queued(u) + u->waiting_bytes);
	}
	u->st.pushes_queued++;
	if (u->st.hellos) {
		queue_push(u, &p);
		strbuf_release(&p.file.data);
		return 0;
	}
	ALLOC_GROW(u->waiting, u->nr_waiting + 1, u->alloc_waiting);
	u->waiting[u->nr_waiting++] = p;
	u->waiting_bytes += len;
	return 0;
}

/* Bytes of the SET answer for the published set. */
static size_t set_size(const struct update *u)
{
	char hdr[128];
	size_t len = (size_t)snprintf(hdr, sizeof(hdr), "SET id=%s files=%zu\n", u->st.published,
				      u->nr_files) +
		     4;

	for (size_t i = 0; i < u->nr_files; i++)
		len += (size_t)snprintf(hdr, sizeof(hdr), "FILE name=%s size=%zu\n",
					u->files[i].name, u->files[i].data.len) +
		       u->files[i].data.len;
	return len;
}

/*
 * Answer a CHECK: NONE or the published set. One answer at a time, and
 * within UPDATE_MAX_QUEUED, whatever the guest reads: else the reason.
 */
static const char *queue_answer(struct update *u)
{
	char hdr[128];
	int none = !u->published || !strcmp(u->st.guest_set, u->st.published);
	int n;

	if (u->written < u->answer_end)
		return "a CHECK before the answer to the previous one was taken (a CHECK flood)";
	if (u->set_outstanding)
		return "a CHECK while the set sent is not acknowledged";
	if (update_queued(u) + (none ? 5 : set_size(u)) > UPDATE_MAX_QUEUED)
		return "a CHECK while the output is not read";
	u->st.checks++;
	u->st.check_ns = now_ns();
	if (none) {
		u->st.nones++;
		queue_bytes(u, "NONE\n", 5);
		queue_mark(u, MARK_NONE);
		u->answer_end = u->queued;
		return NULL;
	}
	n = snprintf(hdr, sizeof(hdr), "SET id=%s files=%zu\n", u->st.published, u->nr_files);
	queue_bytes(u, hdr, (size_t)n);
	for (size_t i = 0; i < u->nr_files; i++) {
		n = snprintf(hdr, sizeof(hdr), "FILE name=%s size=%zu\n", u->files[i].name,
			     u->files[i].data.len);
		queue_bytes(u, hdr, (size_t)n);
		queue_bytes(u, u->files[i].data.buf, u->files[i].data.len);
	}
	queue_bytes(u, "END\n", 4);
	queue_mark(u, MARK_SET);
	u->answer_end = u->queued;
	u->set_outstanding = 1;
	strcpy(u->set_sent, u->st.published);
	u->set_sent_files = u->nr_files;
	return NULL;
}

/* ---- input: one guest line ---- */

#define MAX_ARGS 6

struct arg {
	const char *key, *val;
};

struct line {
	const char *verb;
	struct arg args[MAX_ARGS];
	int nargs;
};

/*
 * Split "VERB k=v k=v" in place: exactly one space between words, keys
 * [a-z]+, values from the union of the value alphabets, no repeated key.
 */
static const char *split_line(char *s, struct line *l)
{
	char *word = s;

	memset(l, 0, sizeof(*l));
	for (;;) {
		char *sp = strchr(word, ' '), *eq;

		if (sp)
			*sp = '\0';
		if (!*word)
			return "empty word (leading, trailing or double space)";
		if (!l->verb) {
			for (char *c = word; *c; c++)
				if (*c < 'A' || *c > 'Z')
					return "the verb is not in capitals";
			l->verb = word;
		} else {
			if (l->nargs == MAX_ARGS)
				return "too many words";
			eq = strchr(word, '=');
			if (!eq || eq == word || !eq[1])
				return "a word is not key=value";
			*eq = '\0';
			for (char *c = word; *c; c++)
				if (*c < 'a' || *c > 'z')
					return "a key is not lowercase letters";
			for (char *c = eq + 1; *c; c++)
				if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789._-",
					    *c))
					return "a value has a character outside [A-Za-z0-9._-]";
			for (int i = 0; i < l->nargs; i++)
				if (!strcmp(l->args[i].key, word))
					return "a key is repeated";
			l->args[l->nargs++] = (struct arg){word, eq + 1};
		}
		if (!sp)
			return NULL;
		word = sp + 1;
	}
}

static const char *arg(const struct line *l, const char *key)
{
	for (int i = 0; i < l->nargs; i++)
		if (!strcmp(l->args[i].key, key))
			return l->args[i].val;
	return NULL;
}

/* Every key present is one of `keys` (NULL-terminated) and the `required` first ones are there. */
static const char *check_keys(const struct line *l, const char *const *keys, int required)
{
	int known = 0;

	for (int i = 0; keys[i]; i++) {
		if (arg(l, keys[i]))
			known++;
		else if (i < required)
			return "a required key is missing";
	}
	return known == l->nargs ? NULL : "unknown key";
}

static int protocol_error(struct update *u, const char *text, const char *why,
			  struct bp_error *err)
{
	u->dead = 1;
	u->st.protocol_error = 1;
	if (text)
		snprintf(u->st.protocol_msg, sizeof(u->st.protocol_msg),
			 "guest broke the update protocol: %s in '%.200s'", why, text);
	else
		snprintf(u->st.protocol_msg, sizeof(u->st.protocol_msg),
			 "guest broke the update protocol: %s", why);
	/* Nothing more is sent to a guest that does not follow the protocol. */
	strbuf_reset(&u->out);
	u->out_off = 0;
	u->nr_marks = 0;
	return error_set(err, "%s", u->st.protocol_msg);
}

static const char *on_hello(struct update *u, const struct line *l)
{
	static const char *const keys[] = {"proto", "boot", "version", "set", NULL};
	const char *why = check_keys(l, keys, 4), *set;
	unsigned proto, boot, version;

	if (why)
		return why;
	if (parse_num(arg(l, "proto"), &proto) < 0 || proto != 1)
		return "unsupported proto";
	if (parse_num(arg(l, "boot"), &boot) < 0 || parse_num(arg(l, "version"), &version) < 0)
		return "bad number";
	set = arg(l, "set");
	if (strcmp(set, "-") && !update_valid_id(set))
		return "bad set id";
	/* A new HELLO is a new boot of the guest: what the old one owed is void. */
	u->st.hellos++;
	u->st.hello_ns = now_ns();
	u->st.boot = boot;
	u->st.version = version;
	snprintf(u->st.guest_set, sizeof(u->st.guest_set), "%s", set);
	u->set_outstanding = 0;
	u->nr_awaiting = 0;
	u->st.stats_asked = u->st.stats_answered;
	queue_waiting_pushes(u);
	return NULL;
}

void update_resume(struct update *u)
{
	if (u->st.hellos || u->dead)
		return;
	u->st.resumed = 1;
	u->st.hellos = 1;
	u->st.hello_ns = now_ns();
	snprintf(u->st.guest_set, sizeof(u->st.guest_set), "-");
	queue_waiting_pushes(u);
}

static const char *on_done(struct update *u, const struct line *l)
{
	static const char *const set_keys[] = {"set", "files", NULL};
	static const char *const push_keys[] = {"push", "loaded", "persist", NULL};
	const char *why;
	unsigned files;
	int loaded, persist;

	if (arg(l, "set")) {
		if ((why = check_keys(l, set_keys, 2)))
			return why;
		if (parse_num(arg(l, "files"), &files) < 0)
			return "bad number";
		if (!u->set_outstanding || strcmp(arg(l, "set"), u->set_sent))
			return "DONE for a set that was not sent";
		if (files != u->set_sent_files)
			return "DONE with a file count that differs from the set sent";
		u->set_outstanding = 0;
		u->st.sets_done++;
		u->st.set_done_ns = now_ns();
		u->st.set_done_boot = u->st.boot;
		snprintf(u->st.guest_set, sizeof(u->st.guest_set), "%s", u->set_sent);
		return NULL;
	}
	if ((why = check_keys(l, push_keys, 3)))
		return why;
	if (parse_flag(arg(l, "loaded"), &loaded) < 0 || parse_flag(arg(l, "persist"), &persist) < 0)
		return "bad flag";
	if (!u->nr_awaiting || strcmp(arg(l, "push"), u->awaiting[0]))
		return "DONE for a push that was not sent";
	memmove(u->awaiting, u->awaiting + 1, (u->nr_awaiting - 1) * sizeof(*u->awaiting));
	u->nr_awaiting--;
	u->st.pushes_done++;
	u->st.push_done_ns = now_ns();
	u->st.push_loaded = loaded;
	u->st.pushes_loaded += loaded;
	u->st.push_persisted = persist;
	return NULL;
}

/* A figure of STATS: N, or '-' for one the agent could not read. */
static int parse_figure(const char *s, long long *ret)
{
	unsigned v;

	if (!strcmp(s, "-")) {
		*ret = -1;
		return 0;
	}
	if (parse_num(s, &v) < 0)
		return -1;
	*ret = v;
	return 0;
}

static const char *on_stats(struct update *u, const struct line *l)
{
	static const char *const keys[] = {"available", "free", "slab", "module", NULL};
	const char *why = check_keys(l, keys, 4);
	long long fig[4];

	if (why)
		return why;
	if (u->st.stats_asked <= u->st.stats_answered)
		return "STATS that was not asked for";
	for (int i = 0; i < 4; i++)
		if (parse_figure(arg(l, keys[i]), &fig[i]) < 0)
			return "bad figure";
	u->st.mem_available_kib = fig[0];
	u->st.mem_free_kib = fig[1];
	u->st.slab_kib = fig[2];
	u->st.module_bytes = fig[3];
	u->st.stats_answered++;
	u->st.stats_ns = now_ns();
	return NULL;
}

static const char *on_error(struct update *u, const struct line *l, const char *text)
{
	static const char *const keys[] = {"reason", "set", "push", NULL};
	const char *why = check_keys(l, keys, 1), *set = arg(l, "set"), *push = arg(l, "push");

	if (why)
		return why;
	if (!valid_word(arg(l, "reason")))
		return "bad reason";
	if (set && push)
		return "ERROR names both a set and a push";
	if (set) {
		if (!u->set_outstanding || strcmp(set, u->set_sent))
			return "ERROR for a set that was not sent";
		u->set_outstanding = 0;
	}
	if (push) {
		if (!u->nr_awaiting || strcmp(push, u->awaiting[0]))
			return "ERROR for a push that was not sent";
		memmove(u->awaiting, u->awaiting + 1, (u->nr_awaiting - 1) * sizeof(*u->awaiting));
		u->nr_awaiting--;
	}
	/* An agent that does not know STATS says so: the request is void (no figures). */
	if (!set && !push)
		u->st.stats_asked = u->st.stats_answered;
	u->st.errors++;
	u->st.error_ns = now_ns();
	snprintf(u->st.error, sizeof(u->st.error), "%s", text);
	return NULL;
}

/* Act on one complete line (printable, 1..255 bytes, NUL-terminated). */
static int on_line(struct update *u, struct bp_error *err)
{
	char text[UPDATE_MAX_LINE + 1];
	struct line l;
	const char *why;

	memcpy(text, u->line, u->line_len + 1);
	why = split_line(u->line, &l);
	if (why)
		return protocol_error(u, text, why, err);
	if (!strcmp(l.verb, "HELLO"))
		why = on_hello(u, &l);
	else if (!u->st.hellos)
		why = "a message before HELLO";
	else if (!strcmp(l.verb, "CHECK")) {
		why = l.nargs ? "unknown key" : queue_answer(u);
	} else if (!strcmp(l.verb, "DONE"))
		why = on_done(u, &l);
	else if (!strcmp(l.verb, "ERROR"))
		why = on_error(u, &l, text);
	else if (!strcmp(l.verb, "STATS"))
		why = on_stats(u, &l);
	else
		why = "unknown verb";
	return why ? protocol_error(u, text, why, err) : 0;
}

/* Feed received bytes through the line buffer. */
static int consume(struct update *u, const char *buf, size_t n, struct bp_error *err)
{
	for (size_t i = 0; i < n && !u->dead; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			if (!u->line_len)
				return protocol_error(u, NULL, "an empty line", err);
			u->line[u->line_len] = '\0';
			if (on_line(u, err) < 0)
				return -1;
			u->line_len = 0;
		} else if (c < 0x20 || c > 0x7e) {
			char why[64];

			snprintf(why, sizeof(why), "a non-printable byte 0x%02x", c);
			return protocol_error(u, NULL, why, err);
		} else if (u->line_len == UPDATE_MAX_LINE) {
			char why[64];

			snprintf(why, sizeof(why), "a line longer than %d bytes", UPDATE_MAX_LINE);
			return protocol_error(u, NULL, why, err);
		} else {
			u->line[u->line_len++] = (char)c;
		}
	}
	return 0;
}

/* The guest's output ended (how: `what`); a line left unfinished is a protocol error. */
static int cut_line(struct update *u, const char *what, struct bp_error *err)
{
	char why[96];

	if (u->dead || !u->line_len)
		return 0;
	snprintf(why, sizeof(why), "%s mid-line, after %zu bytes of a line", what, u->line_len);
	u->line_len = 0;
	return protocol_error(u, NULL, why, err);
}

int update_on_readable(struct update *u, struct bp_error *err)
{
	char buf[4096];
	int ret = 0;

	while (u->fd >= 0) {
		ssize_t n = recv(u->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			error_set(err, "cannot read from the update channel: %s", strerror(errno));
			u->st.eof = 1;
			close_fd(u);
			return -1;
		}
		if (n == 0) {
			u->st.eof = 1;
			close_fd(u);
			if (cut_line(u, "the connection closed", err) < 0)
				ret = -1;
			return ret < 0 ? -1 : 1;
		}
		if (u->dead)
			continue; /* discard: keep the guest's port from filling up */
		if (consume(u, buf, (size_t)n, err) < 0)
			ret = -1; /* keep reading to drain, report once */
	}
	if (ret == 0 && flush(u, err) < 0)
		return -1;
	return ret;
}

int update_guest_closed(struct update *u, struct bp_error *err)
{
	/* QEMU hands the guest's bytes to the socket before it reports the close. */
	if (u->fd >= 0 && update_on_readable(u, err) < 0)
		return -1;
	return cut_line(u, "the guest closed the port", err);
}
