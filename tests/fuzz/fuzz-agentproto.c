/*
 * fuzz-agentproto - the Windows agent's protocol half (sensor/agentproto)
 * fed arbitrary host bytes, in reads of the sizes the input's first byte
 * picks. Oracle: everything the agent writes is whole lines of 1..255
 * printable bytes, each a verb the guest may send; a set it installs has a
 * host id, at most 256 files with distinct valid names, each at most 1 MiB,
 * 8 MiB in all; a push it takes has a valid name and at most 1 MiB; and it
 * always returns (the input's end is the channel closing).
 */
#include <string.h>

#include "agentproto.h"
#include "fuzz.h"

struct feed {
	const uint8_t *p;
	size_t n, chunk;
	char out[4096];
	size_t out_len;
};

static long f_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
	struct feed *f = ctx;
	size_t k = n < f->chunk ? n : f->chunk;

	(void)timeout_ms;
	if (!f->n)
		return AGENT_EOF;
	if (k > f->n)
		k = f->n;
	memcpy(buf, f->p, k);
	f->p += k;
	f->n -= k;
	return (long)k;
}

static void check_line(const char *s, size_t n)
{
	static const char *const verbs[] = {"HELLO ", "CHECK", "DONE ", "ERROR ", "STATS "};
	int known = 0;

	FUZZ_CHECK(n >= 1 && n <= AGENT_MAX_LINE, "a line of 1..255 bytes");
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(s[i] >= 0x20 && s[i] <= 0x7e, "printable bytes only");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known |= !strncmp(s, verbs[i], strlen(verbs[i]) < n ? strlen(verbs[i]) : n);
	FUZZ_CHECK(known, "a verb the guest sends");
}

static int f_write(void *ctx, const void *buf, size_t n)
{
	struct feed *f = ctx;
	const char *s = buf;

	FUZZ_CHECK(n >= 2 && s[n - 1] == '\n' && !memchr(s, '\n', n - 1), "one whole line a write");
	check_line(s, n - 1);
	return 0;
}

static void f_current(void *ctx, char *id)
{
	(void)ctx;
	strcpy(id, "_local-00000000");
}

static int f_install(void *ctx, const char *id, const struct agent_file *files, size_t nr)
{
	size_t total = 0;

	(void)ctx;
	FUZZ_CHECK(agent_valid_id(id) && id[0] != '_', "a host set id");
	FUZZ_CHECK(nr <= AGENT_MAX_FILES, "at most 256 files");
	for (size_t i = 0; i < nr; i++) {
		FUZZ_CHECK(agent_valid_name(files[i].name), "valid file names");
		FUZZ_CHECK(files[i].len <= AGENT_MAX_FILE, "files of at most 1 MiB");
		total += files[i].len;
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(files[i].name, files[j].name), "distinct names");
	}
	FUZZ_CHECK(total <= AGENT_MAX_SET_BYTES, "at most 8 MiB a set");
	return 0;
}

static int f_push(void *ctx, const struct agent_file *f, int persist, const char *id)
{
	(void)ctx;
	FUZZ_CHECK(agent_valid_name(f->name) && f->len <= AGENT_MAX_FILE, "a valid push");
	FUZZ_CHECK(!persist || agent_valid_id(id), "a persisted push's set id");
	return 1;
}

static void f_stats(void *ctx, long long fig[4])
{
	(void)ctx;
	fig[0] = 1;
	fig[1] = -1;
	fig[2] = 1LL << 40; /* not N: said as '-' */
	fig[3] = 0;
}

static void f_say(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f = {0};
	const struct agent_ops ops = {
	    .ctx = &f, .read = f_read, .write = f_write, .current_set = f_current,
	    .install_set = f_install, .push = f_push, .stats = f_stats, .say = f_say,
	};

	if (!size)
		return 0;
	f.chunk = 1 + data[0] % 64 * 97;
	f.p = data + 1;
	f.n = size - 1;
	agent_run(&ops, 1, 1, 1000);
	return 0;
}
