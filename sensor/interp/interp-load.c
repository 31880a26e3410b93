/*
 * interp-load - load channel files with one sensor version's interpreter on
 * the host, as the module would at boot: `interp-load-vN FILE...` prints
 * one line per file, "FILE: I instances: M match, U no match, R rejected"
 * (the module's summary line) or "FILE: content error: REASON", and the
 * first rejected instance's error. Exit status: 0 every file parsed, 1 a file
 * was rejected, 2 usage or unreadable file. Built with ASan (Makefile), so
 * v1's out-of-bounds read on bad content ends it with ASan's report.
 */
#include <stdio.h>
#include <stdlib.h>

#include "interp-user.h"

static int load_one(const struct interp_event *ev, const char *path)
{
	struct interp_user_verdict v;
	uint8_t *buf = malloc(INTERP_MAX_FILE_SIZE + 1);
	FILE *f = fopen(path, "rb");
	size_t len;
	int status = 2;

	if (!buf || !f) {
		fprintf(stderr, "interp-load: cannot read '%s'\n", path);
		goto out;
	}
	len = fread(buf, 1, INTERP_MAX_FILE_SIZE + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "interp-load: cannot read '%s'\n", path);
		goto out;
	}
	if (interp_user_load(ev, path, buf, len, &v) < 0) {
		printf("content error: %s\n", v.error);
		status = 1;
		goto out;
	}
	printf("%s: %u instances: %u match, %u no match, %u rejected\n", path,
	       v.res.matched + v.res.unmatched + v.res.rejected, v.res.matched, v.res.unmatched,
	       v.res.rejected);
	if (v.nerrors)
		printf("content error: %s\n", v.error);
	status = 0;
out:
	if (f)
		fclose(f);
	free(buf);
	return status;
}

int main(int argc, char **argv)
{
	struct interp_event *ev;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: interp-load-v%d FILE...\n", interp_user_version());
		return 2;
	}
	ev = interp_user_event_new();
	if (!ev)
		return 2;
	for (int i = 1; i < argc; i++) {
		int s = load_one(ev, argv[i]);

		if (s > status)
			status = s;
	}
	interp_user_event_free(ev);
	return status;
}
