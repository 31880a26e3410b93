/*
 * t-interp - the portable content interpreter (sensor/interp) in userspace:
 * libinterp-v2 in this process, and the v1 and v2 host loaders
 * (build/interp-load-vN, built with ASan) as children. The 291 files are
 * built here from sensor/FORMAT.md, not taken from chanc. Good content
 * passes on both versions; bad content is an ASan out-of-bounds READ in
 * refsensor_eval on v1 and a rejected instance on v2; the fuzzer's mutator
 * (chanmut) writes back what it reads and reaches field 21 on its own.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chanmut.h"
#include "interp-user.h"
#include "tap.h"
#include "util.h"

/* One criterion per field, field 1 first; NULL is a wildcard. */
struct inst {
	const char *field[INTERP_IPC_FIELDS];
	int prefix[INTERP_IPC_FIELDS];
};

static void put(struct strbuf *sb, unsigned int v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		strbuf_addch(sb, (char)(v >> (8 * i)));
}

/* A channel-291 file of these instances (sensor/FORMAT.md, binary format). */
static void encode(struct strbuf *sb, const struct inst *in, unsigned int n)
{
	strbuf_reset(sb);
	strbuf_adds(sb, "BPCF");
	put(sb, 1, 2);	 /* format version */
	put(sb, 1, 2);	 /* template IPC */
	put(sb, 291, 4); /* channel */
	put(sb, INTERP_IPC_FIELDS, 2);
	put(sb, 0, 2);
	put(sb, n, 4);
	for (unsigned int i = 0; i < n; i++)
		for (int f = 0; f < INTERP_IPC_FIELDS; f++) {
			const char *s = in[i].field[f];

			put(sb, s ? (in[i].prefix[f] ? 2 : 1) : 0, 1);
			put(sb, s ? (unsigned int)strlen(s) : 0, 2);
			if (s)
				strbuf_adds(sb, s);
		}
}

/* c291-good.chan and c291-bad.chan (scenarios/content) */
static const struct inst good[] = {
    {.field = {[0] = "\\\\.\\pipe\\bootproof", [1] = "/usr/sbin/", [9] = "duplex"},
     .prefix = {[1] = 1}},
    {.field = {[0] = "\\\\.\\pipe\\someone-else"}},
};
static const struct inst bad[] = {
    good[0],
    good[1],
    {.field = {[0] = "\\\\.\\pipe\\bootproof", [20] = "\\\\.\\pipe\\*"}},
};

static const struct inst cut = {
    .field = {[0] = "\\\\.\\pipe\\bootproof-a-long-pipe-name-that-the-transfer-cut-short-"
		    "0123456789abcdef"},
};

static int load(const struct strbuf *sb, struct interp_user_verdict *v)
{
	struct interp_event *ev = interp_user_event_new();
	int r = interp_user_load(ev, "c291.sys", (const uint8_t *)sb->buf, sb->len, v);

	interp_user_event_free(ev);
	return r;
}

static void test_v2_in_process(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct interp_user_verdict v;

	tap_is_int(interp_user_version(), 2, "this process links libinterp-v2");
	encode(&sb, good, 2);
	tap_is_int(load(&sb, &v), 0, "v2: good 291 parses");
	tap_is_int(v.res.matched * 100 + v.res.unmatched * 10 + v.res.rejected, 110,
		   "v2: good 291: 1 match, 1 no match, 0 rejected");
	tap_is_int(v.nerrors, 0, "v2: good 291: no content error");

	encode(&sb, bad, 3);
	tap_is_int(load(&sb, &v), 0, "v2: bad 291 parses (the file is well-formed)");
	tap_is_int(v.res.matched * 100 + v.res.unmatched * 10 + v.res.rejected, 111,
		   "v2: bad 291: instance 3 rejected, the rest evaluated");
	tap_is_str(
	    v.error,
	    "c291.sys: instance 3 field 21 has no input (sensor supplies 20), instance rejected",
	    "v2: the module's content error for the instance");

	/* Whole-file rejections, with the module's messages (c291-malformed.chan). */
	encode(&sb, &cut, 1);
	sb.len = 93;
	tap_is_int(load(&sb, &v), INTERP_EINVAL, "truncated inside a criterion: file rejected");
	tap_is_str(
	    v.error,
	    "c291.sys: instance 1 field 1: length 80 past end of file (offset 23, 70 bytes left)",
	    "...at the criterion");
	memcpy(sb.buf, "XXXX", 4);
	load(&sb, &v);
	tap_is_str(v.error, "c291.sys: bad magic 58585858", "bad magic in hex, as %*phN prints it");
	sb.len = 7;
	load(&sb, &v);
	tap_is_str(v.error, "c291.sys: truncated header (7 of 20 bytes)", "short header");
	sb.len = 0;
	tap_is_int(load(&sb, &v), INTERP_EINVAL, "empty file rejected");
	strbuf_release(&sb);
}

/* Run build/interp-load-vN on sb's bytes: its exit status; its stdout+stderr in out. */
static int run_loader(int version, const struct strbuf *sb, struct strbuf *out)
{
	char dir[] = "/tmp/t-interp.XXXXXX", *file, *bin, *log;
	struct bp_error err;
	int status = -1;
	pid_t pid;

	strbuf_reset(out);
	if (!mkdtemp(dir))
		return -1;
	file = xasprintf("%s/c291.sys", dir);
	log = xasprintf("%s/log", dir);
	bin = xasprintf("build/interp-load-v%d", version);
	write_file_atomic(file, sb->buf, sb->len, &err);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execl(bin, bin, file, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	read_file(log, out, &err);
	unlink(file);
	unlink(log);
	rmdir(dir);
	free(file);
	free(log);
	free(bin);
	return status;
}

static void test_loaders(void)
{
	struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;

	encode(&sb, good, 2);
	tap_is_int(run_loader(1, &sb, &out), 0, "v1 loader: good 291 exits 0");
	tap_like(out.buf, "2 instances: 1 match, 1 no match, 0 rejected", "v1: good 291 evaluated");
	tap_is_int(run_loader(2, &sb, &out), 0, "v2 loader: good 291 exits 0");
	tap_like(out.buf, "2 instances: 1 match, 1 no match, 0 rejected", "v2: good 291 evaluated");

	encode(&sb, bad, 3);
	tap_ok(run_loader(1, &sb, &out) != 0, "v1 loader: bad 291 does not end well");
	tap_like(out.buf, "ERROR: AddressSanitizer: heap-buffer-overflow",
		 "v1: ASan reports an overflow");
	tap_like(out.buf, "READ of size 8", "v1: ...a read of one input pointer");
	tap_like(out.buf, " in refsensor_eval ", "v1: ...in refsensor_eval, the top frame");
	tap_ok(strstr(out.buf, "READ") < strstr(out.buf, "#0") &&
		   strstr(out.buf, "#0") == strstr(out.buf, "#0 ") &&
		   strstr(strstr(out.buf, "#0"), "refsensor_eval") < strstr(out.buf, "#1"),
	       "v1: refsensor_eval is frame #0");
	tap_is_int(run_loader(2, &sb, &out), 0, "v2 loader: bad 291 exits 0");
	tap_like(out.buf, "3 instances: 1 match, 1 no match, 1 rejected", "v2: instance rejected");
	tap_ok(!strstr(out.buf, "AddressSanitizer"), "v2: no ASan report");
	strbuf_release(&sb);
	strbuf_release(&out);
}

static size_t no_bytes(uint8_t *data, size_t size, size_t max)
{
	return size;
}

static void test_mutator(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct chanmut_file f;
	struct chanmut_rng r;
	uint8_t out[8192];
	struct interp_user_verdict v;
	int found = 0, parsed = 0, i, tries;

	encode(&sb, bad, 3);
	tap_is_int(chanmut_read(&f, (const uint8_t *)sb.buf, sb.len), 0, "mutator reads bad 291");
	tap_ok(chanmut_write(&f, out, sizeof(out)) == sb.len && !memcmp(out, sb.buf, sb.len),
	       "...and writes back the same bytes");
	tap_is_int(chanmut_write(&f, out, 30), 0, "a file that does not fit is not written");
	chanmut_release(&f);
	tap_is_int(chanmut_read(&f, (const uint8_t *)sb.buf, sb.len - 1), -1,
		   "a truncated file does not read (byte mutations instead)");

	/* From the good file, mutants until v2 rejects one for field 21's input. */
	encode(&sb, good, 2);
	chanmut_rng_seed(&r, 1);
	for (i = tries = 0; i < 1000 && (i < 200 || !found); i++) {
		size_t n;

		if (chanmut_read(&f, (const uint8_t *)sb.buf, sb.len) < 0)
			break;
		chanmut_mutate(&f, &r, NULL, no_bytes);
		n = chanmut_write(&f, out, sizeof(out));
		chanmut_release(&f);
		if (!n)
			continue;
		struct strbuf m = {(char *)out, n, 0};

		tries++;
		if (load(&m, &v) == 0) {
			parsed++;
			found |=
			    v.res.rejected > 0 && strstr(v.error, "field 21 has no input") != NULL;
		}
	}
	tap_ok(found, "mutants of good 291 reach a non-wildcard field 21");
	printf("# %d mutants written, %d of them parsed\n", tries, parsed);
	tap_ok(parsed * 3 > tries, "a good share of mutants gets past the parser");
	strbuf_release(&sb);
}

int main(void)
{
	test_v2_in_process();
	test_loaders();
	test_mutator();
	return tap_done();
}
