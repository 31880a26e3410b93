/*
 * fuzz-manifest - collect_manifest_read() (collect.h) on any bytes as the
 * manifest of a directory: its lines are written from guest file names, so
 * they are input. Oracle: a copy's name is a plain file name of at most
 * COLLECT_NAME_MAX bytes (no '/', not starting with '.'), it never says
 * more bytes were copied than the file has, and a "left out" entry carries
 * no name.
 */
#include "collect.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void check(void *ctx, const struct collected *c)
{
	size_t n = strnlen(c->name, sizeof(c->name));

	(void)ctx;
	FUZZ_CHECK(n < sizeof(c->name), "the name is terminated");
	FUZZ_CHECK(strnlen(c->guest, sizeof(c->guest)) < sizeof(c->guest),
		   "the guest path is terminated");
	if (c->left) {
		FUZZ_CHECK(!n, "a left-out entry has no name");
		return;
	}
	FUZZ_CHECK(n > 0 && !strchr(c->name, '/') && c->name[0] != '.',
		   "a copy's name is a plain file name");
	FUZZ_CHECK(c->copied <= c->size, "never more copied than the file has");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dir, *path;
	struct bp_error err = {""};

	if (!dir) {
		char tmpl[] = "/tmp/fuzz-manifest.XXXXXX";

		FUZZ_CHECK(mkdtemp(tmpl), "a scratch directory");
		dir = xstrdup(tmpl);
		path = xasprintf("%s/%s", dir, INJECT_COLLECT_MANIFEST);
	}
	FUZZ_CHECK(write_file_atomic(path, data, size, &err) == 0, "the manifest is written");
	if (collect_manifest_read(dir, check, NULL, &err) < 0)
		FUZZ_CHECK(err.msg[0], "a failure has a message");
	return 0;
}
