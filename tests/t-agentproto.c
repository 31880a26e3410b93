/*
 * t-agentproto - the Windows update agent's protocol half
 * (sensor/agentproto, the portable part of refagent.exe) against the
 * harness's own side of the channel (harness/engine/update.c) over a
 * socketpair: the agent runs in a child process with POSIX stand-ins for
 * the platform (a content directory, a pushed-files log), the parent drives
 * struct update like boot.c's poll loop does. Then the agent alone against
 * hand-written host lines that break the protocol: each answered ERROR with
 * PROTOCOL.md's reason, nothing installed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentproto.h"
#include "tap.h"
#include "update.h"

#define FIX "C-00000291-00000000-00000033.sys"
#define BAD "C-00000291-00000000-00000032.sys"

static char dir[] = "/tmp/t-agentproto.XXXXXX";
static char content[256], logpath[256];

/* ---- the POSIX platform: a content directory, like the Windows agent's ---- */

struct posix {
	int fd;
};

static long px_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
	struct posix *p = ctx;
	struct pollfd pfd = {p->fd, POLLIN, 0};
	ssize_t r;
	int k = poll(&pfd, 1, timeout_ms);

	if (k == 0)
		return AGENT_TIMEOUT;
	if (k < 0)
		return AGENT_FAIL;
	r = read(p->fd, buf, n);
	return r < 0 ? AGENT_FAIL : (long)r;
}

static int px_write(void *ctx, const void *buf, size_t n)
{
	struct posix *p = ctx;

	return write(p->fd, buf, n) == (ssize_t)n ? 0 : -1;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, AGENT_MAX_FILE + 1);

	*len = f ? fread(buf, 1, AGENT_MAX_FILE, f) : 0;
	if (f)
		fclose(f);
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	char tmp[600];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
	rename(tmp, path);
}

static uint64_t dir_digest(void)
{
	char *names[64], path[600];
	size_t nr = 0;
	uint64_t h = AGENT_DIGEST_INIT;
	DIR *d = opendir(content);
	struct dirent *e;

	while (d && (e = readdir(d)) && nr < 64)
		if (agent_valid_name(e->d_name))
			names[nr++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, nr, sizeof(*names), name_cmp);
	for (size_t i = 0; i < nr; i++) {
		size_t len;
		char *data;

		snprintf(path, sizeof(path), "%s/%s", content, names[i]);
		data = slurp(path, &len);
		h = agent_digest(h, names[i], (uint8_t *)data, len);
		free(data);
		free(names[i]);
	}
	return h;
}

static void px_current_set(void *ctx, char *id)
{
	char path[600];
	size_t len;
	char *label;

	snprintf(path, sizeof(path), "%s/.set", content);
	label = slurp(path, &len);
	agent_label(len ? label : NULL, dir_digest(), id);
	free(label);
}

static void label_write(const char *id)
{
	char path[600], text[100];

	snprintf(path, sizeof(path), "%s/.set", content);
	snprintf(text, sizeof(text), "%s %016llx\n", id, (unsigned long long)dir_digest());
	spit(path, text, strlen(text));
}

static int px_install(void *ctx, const char *id, const struct agent_file *files, size_t nr)
{
	char path[600];
	DIR *d = opendir(content);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int keep = !agent_valid_name(e->d_name);

		for (size_t i = 0; i < nr && !keep; i++)
			keep = !strcmp(files[i].name, e->d_name);
		snprintf(path, sizeof(path), "%s/%s", content, e->d_name);
		if (!keep)
			unlink(path);
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", content, files[i].name);
		spit(path, files[i].data, files[i].len);
	}
	label_write(id);
	return 0;
}

static int px_push(void *ctx, const struct agent_file *f, int persist, const char *id)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/pushed-%s", dir, f->name);
	spit(path, f->data, f->len);
	if (persist) {
		snprintf(path, sizeof(path), "%s/%s", content, f->name);
		spit(path, f->data, f->len);
		label_write(id);
	}
	return 1;
}

static void px_stats(void *ctx, long long fig[4])
{
	fig[0] = 4000;
	fig[1] = 3000;
	fig[2] = 200;
	fig[3] = -1;
}

static void px_say(void *ctx, const char *line)
{
	FILE *f = fopen(logpath, "a");

	fprintf(f, "refsensor-agent: %s\n", line);
	fclose(f);
}

/* The agent in a child on fd: its exit status is agent_run()'s (0, or 1). */
static pid_t agent_spawn(int fd, int other, unsigned boot, int timeout_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct posix p = {fd};
		const struct agent_ops ops = {
		    .ctx = &p,
		    .read = px_read,
		    .write = px_write,
		    .current_set = px_current_set,
		    .install_set = px_install,
		    .push = px_push,
		    .stats = px_stats,
		    .say = px_say,
		};

		close(other);
		_exit(agent_run(&ops, boot, 1, timeout_ms) ? 1 : 0);
	}
	close(fd);
	return pid;
}

static int agent_wait(pid_t pid)
{
	int st = 0;

	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the host: struct update driven until cond holds (or 20 s pass) ---- */

static void drive(struct update *u, int (*cond)(const struct update_state *))
{
	struct bp_error err = {0};

	for (int i = 0; i < 2000 && !cond(update_state(u)) && update_fd(u) >= 0; i++) {
		struct pollfd p = {update_fd(u), POLLIN | (update_want_write(u) ? POLLOUT : 0), 0};

		if (poll(&p, 1, 10) <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			update_on_readable(u, &err);
		if ((p.revents & POLLOUT) && update_fd(u) >= 0)
			update_on_writable(u, &err);
	}
}

static int set_done(const struct update_state *s)
{
	return s->sets_done > 0 || s->errors > 0 || s->protocol_error;
}
static int none_sent(const struct update_state *s)
{
	return s->nones > 0 || s->protocol_error;
}
static int push_done(const struct update_state *s)
{
	return s->pushes_done > 0 || s->errors > 0 || s->protocol_error;
}
static int stats_done(const struct update_state *s)
{
	return s->stats_answered > 0 || s->protocol_error;
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
}

static char *host_file(const char *name, const char *text)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		exit(1);
	spit(path, text, strlen(text));
	return path;
}

static char *file_text(const char *path)
{
	size_t len;
	char *s = slurp(path, &len);

	s[len] = '\0';
	return s;
}

/* Boot 1: the fix is published, fetched, installed; then a push and STATS. */
static void test_fetch_push_stats(void)
{
	int sv[2];
	struct bp_error err = {0};
	struct update_file f = {host_file("fix.sys", "the fixed channel file\n"), FIX};
	char *bad = host_file("bad.sys", "a bad one\n"), path[600], *s;
	struct update *u;
	pid_t pid;

	pair(sv);
	pid = agent_spawn(sv[1], sv[0], 1, 5000);
	u = update_new(sv[0]);
	tap_is_int(update_publish(u, "fix-291", &f, 1, &err), 0, "the fix is published");
	drive(u, set_done);
	tap_is_int(update_state(u)->hellos, 1, "the agent said HELLO");
	tap_is_int(update_state(u)->sets_done, 1, "DONE set=fix-291: the agent installed the set");
	if (!tap_is_int(update_state(u)->protocol_error, 0, "no protocol error on the host's side"))
		tap_diag(update_state(u)->protocol_msg);
	snprintf(path, sizeof(path), "%s/%s", content, FIX);
	s = file_text(path);
	tap_is_str(s, "the fixed channel file\n", "the file is in the content directory, whole");
	free(s);
	tap_is_int(update_push(u, bad, BAD, 1, &err), 0, "a live push is queued");
	drive(u, push_done);
	tap_is_int(update_state(u)->pushes_done, 1, "DONE push=: the agent answered the push");
	tap_is_int(update_state(u)->push_loaded, 1, "loaded=1: the sensor took it");
	tap_is_int(update_state(u)->push_persisted, 1, "persist=1");
	snprintf(path, sizeof(path), "%s/.set", content);
	s = file_text(path);
	tap_like(s, "_push-1-1 ", "a persisted push is labelled _push-BOOT-K");
	free(s);
	tap_is_int(update_stats(u, &err), 0, "STATS asked");
	drive(u, stats_done);
	tap_is_int(update_state(u)->stats_answered, 1, "STATS answered");
	tap_is_int(update_state(u)->mem_available_kib, 4000, "available= as the platform said");
	tap_is_int(update_state(u)->module_bytes, -1, "a figure it could not read is '-'");
	update_free(u); /* the host closes: the agent's conversation ends */
	tap_is_int(agent_wait(pid), 0, "the agent ends cleanly when the channel closes");
	s = file_text(logpath);
	tap_like(s, "update channel open, boot 1, version 1, set _local-",
		 "an empty content directory: HELLO with a _local- label");
	tap_like(s, "refsensor-agent: update set=fix-291 installed (1 files)", "its log line");
	tap_like(s, "refsensor-agent: update channel closed", "and the close");
	free(s);
	free(bad);
	free((char *)f.path);
}

/* Boot 2: the guest has the published set untouched, so the host says NONE. */
static void test_second_boot_none(void)
{
	int sv[2];
	struct bp_error err = {0};
	struct update_file f = {host_file("fix2.sys", "other bytes\n"), FIX};
	struct update *u;
	pid_t pid;
	char path[600];

	/* Back to exactly set fix-291 (the push made _push-1-1). */
	snprintf(path, sizeof(path), "%s/%s", content, BAD);
	unlink(path);
	label_write("fix-291");
	pair(sv);
	pid = agent_spawn(sv[1], sv[0], 2, 5000);
	u = update_new(sv[0]);
	update_publish(u, "fix-291", &f, 1, &err);
	drive(u, none_sent);
	tap_is_str(update_state(u)->guest_set, "fix-291", "HELLO names the set on disk");
	tap_is_int(update_state(u)->boot, 2, "and the boot");
	tap_is_int(update_state(u)->nones, 1, "the host answers NONE: nothing fetched again");
	update_free(u);
	tap_is_int(agent_wait(pid), 0, "the agent ends cleanly");

	/* A file changed offline: the label no longer names the files. */
	snprintf(path, sizeof(path), "%s/%s", content, FIX);
	spit(path, "changed offline", 15);
	pair(sv);
	pid = agent_spawn(sv[1], sv[0], 3, 5000);
	u = update_new(sv[0]);
	update_publish(u, "fix-291", &f, 1, &err);
	drive(u, set_done);
	{
		char *log = file_text(logpath);

		tap_like(log, "boot 3, version 1, set _local-",
			 "changed offline: relabelled _local-");
		free(log);
	}
	tap_is_int(update_state(u)->sets_done, 1, "and the set is fetched again");
	update_free(u);
	agent_wait(pid);
	free((char *)f.path);
}

/* The agent alone: hand-written host lines, the agent's answer read back. */
static char *bad_host(const char *host, int timeout_ms, int *status)
{
	int sv[2];
	char buf[2048];
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	pair(sv);
	pid = agent_spawn(sv[1], sv[0], 9, timeout_ms);
	if (write(sv[0], host, strlen(host)) < 0)
		exit(1);
	shutdown(sv[0], SHUT_WR);
	while (n < sizeof(buf) - 1 && (r = read(sv[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(sv[0]);
	*status = agent_wait(pid);
	return strdup(buf);
}

static void test_bad_host(void)
{
	static const struct {
		const char *host, *answer, *name;
	} cases[] = {
	    {"SET id=x files=1\nFILE name=C-1.sys size=3\nabc\nEND\n",
	     "ERROR reason=bad-name set=x", "a bad file name"},
	    {"SET id=x files=1\nFILE name=" FIX " size=2000000\n", "ERROR reason=bad-size set=x",
	     "a file over 1 MiB"},
	    {"SET id=x files=300\n", "ERROR reason=too-many-files set=x", "more than 256 files"},
	    {"SET id=_mine files=0\nEND\n", "ERROR reason=bad-id", "a guest-made id from the host"},
	    {"SET id=x files=2\nFILE name=" FIX " size=1\naFILE name=" FIX " size=1\nbEND\n",
	     "ERROR reason=duplicate-name set=x", "a file twice"},
	    {"SET id=x files=1\nFILE name=" FIX " size=10\nabc", "ERROR reason=short-read set=x",
	     "fewer bytes than size"},
	    {"SET id=x files=0\nNOTEND\n", "ERROR reason=short-read set=x", "no END"},
	    {"NONE files=1\n", "ERROR reason=unexpected", "NONE with a key"},
	    {"NONE extra=1\n", "ERROR reason=bad-line", "an unknown key"},
	    {"HELLO\n", "ERROR reason=unexpected", "a verb the host never sends"},
	    {"NONE\nNONE\n", "ERROR reason=unexpected", "a second NONE, unasked"},
	    {"PUSH name=" FIX " size=1 persist=2\n", "ERROR reason=bad-line push=" FIX,
	     "a bad persist flag"},
	    {"NONE  \n", "ERROR reason=bad-line", "spaces out of place"},
	    {"NONE\tx\n", "ERROR reason=bad-line", "a tab"},
	    {"SET id=x files=0 id=y\nEND\n", "ERROR reason=bad-line", "a repeated key"},
	};
	char before[600], *s;
	int st;

	snprintf(before, sizeof(before), "%s/.set", content);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *label = file_text(before);

		s = bad_host(cases[i].host, 2000, &st);
		if (!tap_like(s, cases[i].answer, cases[i].name))
			tap_diag(s);
		tap_is_int(st, 1, "  and the agent gives up");
		free(s);
		s = file_text(before);
		tap_is_str(s, label, "  nothing on disk changed");
		free(s);
		free(label);
	}
	s = bad_host("", 300, &st);
	tap_like(s, "HELLO proto=1 boot=9 version=1 set=", "HELLO first");
	tap_like(s, "\nCHECK\n", "then CHECK");
	free(s);
	{
		int sv[2];
		pid_t pid;

		pair(sv);
		pid = agent_spawn(sv[1], sv[0], 9, 300);
		tap_is_int(agent_wait(pid), 1, "no answer within the timeout: the agent gives up");
		close(sv[0]);
		s = file_text(logpath);
		tap_like(s, "no answer from the update channel within 300 ms", "and says so");
		free(s);
	}
}

static void test_values(void)
{
	char id[AGENT_MAX_ID + 1];

	tap_ok(agent_valid_num("0") && agent_valid_num("123456789") && !agent_valid_num("01") &&
		   !agent_valid_num("1234567890") && !agent_valid_num("") && !agent_valid_num("-1"),
	       "N: 0 or up to 9 digits, no leading zero");
	tap_ok(agent_valid_id("fix-291") && agent_valid_id("_local-1") && !agent_valid_id("-x") &&
		   !agent_valid_id("a b") && !agent_valid_id(""),
	       "ID: PROTOCOL.md's shape");
	tap_ok(agent_valid_name(FIX) && !agent_valid_name("C-0000029-00000000-00000033.sys") &&
		   !agent_valid_name("c-00000291-00000000-00000033.sys"),
	       "NAME: C-NNNNNNNN-NNNNNNNN-NNNNNNNN.sys");
	agent_label("fix 00000000000000ab\n", 0xab, id);
	tap_is_str(id, "fix", "a label with the files' digest names its set");
	agent_label("fix 00000000000000ac\n", 0xab, id);
	tap_is_str(id, "_local-00000000", "a stale label: _local- and the digest");
	agent_label("fix 00000000000000abXYZ", 0xab, id);
	tap_is_str(id, "_local-00000000", "a digest with trailing bytes is no match");
	agent_label(NULL, 0x1234567890abcdefULL, id);
	tap_is_str(id, "_local-12345678", "no label");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(content, sizeof(content), "%s/content", dir);
	snprintf(logpath, sizeof(logpath), "%s/agent.log", dir);
	mkdir(content, 0755);
	test_values();
	test_fetch_push_stats();
	test_second_boot_none();
	test_bad_host();
	{
		char *argv[] = {"rm", "-rf", dir, NULL};
		pid_t pid = fork();

		if (pid == 0) {
			execvp("rm", argv);
			_exit(127);
		}
		agent_wait(pid);
	}
	return tap_done();
}
