/*
 * fuzz-suite - the suite parser (harness/model/scenario.c) on arbitrary files.
 *
 * Each input is written as suite.yaml into a scratch directory that also
 * holds files/ with the small files the fixtures of tests/data/scenarios
 * name, so seeds taken from those fixtures load and mutations reach every
 * check. Oracle: suite_load() either loads, with no message, every scenario's
 * image, sensor, content, ring (and every step's content) pointing into the
 * suite's own arrays, every ring holding the scenarios that name it; or fails with "FILE:LINE:COL: message", LINE and COL
 * within the input's lines, no control character in the message (it goes to
 * a terminal), and nothing left allocated.
 */
#define _GNU_SOURCE
#include "fuzz.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dir, *suite_path;

static void setup(void)
{
	static const char *const names[] = {
	    "vmlinuz",	       "initrd.img",	"system.qcow2", "refsensor-v1.ko",
	    "refsensor-v2.ko", "c291-good.sys", "c291-bad.sys", "c292.sys",
	};
	char tmpl[] = "/tmp/fuzz-suite.XXXXXX";
	struct bp_error err;
	char *files;

	dir = xstrdup(mkdtemp(tmpl));
	files = xasprintf("%s/files", dir);
	FUZZ_CHECK(mkdir_p(files, &err) == 0, "scratch directory created");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", files, names[i]);

		FUZZ_CHECK(write_file_atomic(p, names[i], strlen(names[i]), &err) == 0,
			   "fixture file written");
		free(p);
	}
	free(files);
	suite_path = xasprintf("%s/suite.yaml", dir);
}

/* Lines in the input as libyaml may count them (any CR, LF or Unicode break byte), and
 * the longest run of bytes between CR/LF. */
static void bounds(const uint8_t *data, size_t size, size_t *ret_lines, size_t *ret_cols)
{
	size_t lines = 1, run = 0, cols = 0;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 ||
		    data[i] == 0xa9)
			lines++;
		if (data[i] == '\n' || data[i] == '\r')
			run = 0;
		else if (++run > cols)
			cols = run;
	}
	*ret_lines = lines;
	*ret_cols = cols + 1;
}

#define IN(ptr, arr, n) ((ptr) >= (arr) && (ptr) < (arr) + (n))

static void check_loaded(const struct suite *s)
{
	FUZZ_CHECK(s->nr_images && s->nr_sensors && s->nr_scenarios, "a loaded suite is not empty");
	for (size_t i = 0; i < s->nr_scenarios; i++) {
		const struct scenario *sc = &s->scenarios[i];

		FUZZ_CHECK(sc->name && *sc->name, "every scenario has a name");
		FUZZ_CHECK(IN(sc->image, s->images, s->nr_images), "image resolves in the suite");
		FUZZ_CHECK(IN(sc->sensor, s->sensors, s->nr_sensors),
			   "sensor resolves in the suite");
		FUZZ_CHECK(!sc->content || IN(sc->content, s->contents, s->nr_contents),
			   "content resolves in the suite");
		FUZZ_CHECK(sc->nr_steps >= 1 && sc->steps, "every scenario has steps");
		for (size_t j = 0; j < sc->nr_steps; j++)
			FUZZ_CHECK(!sc->steps[j].content ||
				       IN(sc->steps[j].content, s->contents, s->nr_contents),
				   "a step's content resolves in the suite");
		FUZZ_CHECK(!sc->ring || IN(sc->ring, s->rings, s->nr_rings),
			   "a scenario's ring resolves in the suite");
	}
	for (size_t i = 0; i < s->nr_rings; i++) {
		size_t n = 0;

		for (size_t j = 0; j < s->nr_scenarios; j++)
			n += s->scenarios[j].ring == &s->rings[i];
		FUZZ_CHECK(s->rings[i].index == i && s->rings[i].name,
			   "a ring knows its place and name");
		FUZZ_CHECK(n >= 1 && n == s->rings[i].nr_scenarios,
			   "a ring holds at least one scenario, as many as point at it");
	}
}

static void check_failed(const struct suite *s, const char *msg, const uint8_t *data, size_t size)
{
	size_t plen = strlen(suite_path), lines, cols;
	unsigned long line, col;
	char *end;

	FUZZ_CHECK(!s->path && !s->images && !s->sensors && !s->contents && !s->scenarios &&
		       !s->rings,
		   "a failed load leaves nothing allocated");
	FUZZ_CHECK(!strncmp(msg, suite_path, plen) && msg[plen] == ':',
		   "a message starts with FILE:");
	line = strtoul(msg + plen + 1, &end, 10);
	FUZZ_CHECK(end > msg + plen + 1 && *end == ':', "then LINE:");
	col = strtoul(end + 1, &end, 10);
	FUZZ_CHECK(*end == ':' && end[1] == ' ' && end[2], "then COL: and a message");
	bounds(data, size, &lines, &cols);
	FUZZ_CHECK(line >= 1 && line <= lines, "LINE within the input");
	FUZZ_CHECK(col >= 1 && col <= cols, "COL within the input");
	for (const char *c = msg; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f,
			   "no control character in a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suite s;
	struct bp_error err = {""};
	FILE *f;
	int ret;

	if (!dir)
		setup();
	/* Not write_file_atomic(): its fsync would make this a disk benchmark. */
	f = fopen(suite_path, "wb");
	if (!f)
		return 0;
	if (fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	ret = suite_load(&s, suite_path, &err);
	FUZZ_CHECK(ret == 0 || ret == -1, "suite_load() returns 0 or -1");
	if (ret == 0) {
		FUZZ_CHECK(!err.msg[0], "a loaded suite leaves no message");
		check_loaded(&s);
		suite_free(&s);
	} else {
		check_failed(&s, err.msg, data, size);
	}
	return 0;
}
