/*
 * t-scenario - unit tests of the suite parser (harness/scenario.c).
 *
 * The fixtures live in tests/data/scenarios: valid-*.yaml are complete suites,
 * bad-*.yaml and empty*.yaml each carry one mistake whose exact position and
 * message are asserted below. The files they reference are the small files
 * under tests/data/scenarios/files. Cases that need absolute paths or bytes
 * that are not UTF-8 are written to a temporary directory at run time.
 *
 * The fixture directory is found next to this source file (__FILE__), so run
 * the binary from the directory it was compiled in (the project root), or set
 * BP_SCENARIO_DATA to the fixture directory.
 */
#define _GNU_SOURCE
#include "scenario.h"
#include "tap.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *data_dir; /* fixture directory as used in paths given to suite_load() */
static char *data_abs; /* the same, absolute, as suite->dir should be */

static char *fixture(const char *name)
{
	return xasprintf("%s/%s", data_dir, name);
}

static char *in_data(const char *rel)
{
	return xasprintf("%s/%s", data_abs, rel);
}

/* tap_is_str() on a path built here, freed after the check. */
static void is_path(const char *got, char *want, const char *name)
{
	tap_is_str(got, want, name);
	free(want);
}

static int suite_is_empty(const struct suite *s)
{
	return !s->path && !s->dir && !s->images && !s->nr_images && !s->sensors &&
	       !s->nr_sensors && !s->contents && !s->nr_contents && !s->scenarios &&
	       !s->nr_scenarios;
}

static void test_full(void)
{
	struct suite s;
	struct bp_error err = {""};
	char *path = fixture("valid-full.yaml");
	const struct scenario *sc;

	if (!tap_is_int(suite_load(&s, path, &err), 0, "valid-full.yaml loads")) {
		tap_diag(err.msg);
		free(path);
		return;
	}
	tap_is_str(s.path, path, "suite path is the path as given");
	tap_is_str(s.dir, data_abs, "suite dir is absolute");

	tap_is_int(s.nr_images, 2, "two images");
	tap_is_str(s.images[0].name, "linux", "image 0 name");
	tap_is_str(s.images[0].kind, "linux", "image 0 kind");
	is_path(s.images[0].kernel, in_data("files/vmlinuz"), "kernel made absolute");
	is_path(s.images[0].initrd, in_data("files/initrd.img"),
		"'./files//initrd.img': '.' and '//' dropped");
	is_path(s.images[0].disk, in_data("../scenarios/files/system.qcow2"),
		"'../scenarios/...': '..' kept");
	tap_is_str(s.images[0].append, "console=ttyS0 quiet", "explicit append");
	tap_is_str(s.images[0].marker, "ready: ok", "explicit marker");
	tap_is_int(s.images[0].memory_mib, 512, "explicit memory");
	tap_is_str(s.images[1].name, "small", "image 1 name");
	tap_is_str(s.images[1].append, "console=ttyS0 oops=panic panic=1", "default append");
	tap_is_str(s.images[1].marker, "bootproof: boot complete", "default marker");
	tap_is_int(s.images[1].memory_mib, 256, "default memory");
	is_path(s.images[1].disk, in_data("files/system.qcow2"), "image 1 disk");

	tap_is_int(s.nr_sensors, 2, "two sensors");
	tap_is_str(s.sensors[0].name, "v1", "sensor 0 name");
	is_path(s.sensors[0].module, in_data("files/refsensor-v1.ko"), "sensor 0 module");
	tap_is_str(s.sensors[1].name, "v2", "sensor 1 name");
	is_path(s.sensors[1].module, in_data("files/refsensor-v2.ko"), "sensor 1 module");

	tap_is_int(s.nr_contents, 2, "two content sets");
	tap_is_str(s.contents[0].name, "good-291", "content 0 name");
	tap_is_int(s.contents[0].nr_files, 2, "content 0 has two files");
	is_path(s.contents[0].files[0].path, in_data("files/c291-good.sys"), "content 0 file 0");
	tap_is_str(s.contents[0].files[0].as, "C-00000291-00000000-00000001.sys",
		   "content 0 file 0 as");
	is_path(s.contents[0].files[1].path, in_data("files/c292.sys"), "content 0 file 1");
	tap_is_str(s.contents[0].files[1].as, "C-00000292-00000000-00000001.sys",
		   "content 0 file 1 as");
	tap_is_str(s.contents[1].name, "bad-291", "content 1 name");
	tap_is_int(s.contents[1].nr_files, 1, "content 1 has one file");
	tap_is_str(s.contents[1].files[0].as, "C-00000291-00000000-00000002.sys",
		   "content 1 file 0 as");

	/* 1 + 2 (matrix) + 1 + 2 (matrix through an alias) */
	if (!tap_is_int(s.nr_scenarios, 6, "six scenarios after matrix expansion"))
		goto out;
	tap_is_str(s.scenarios[0].name, "good-291-v1", "scenario 0 keeps its name");
	tap_is_str(s.scenarios[1].name, "bad-291/v2", "matrix: first listed sensor first");
	tap_is_str(s.scenarios[2].name, "bad-291/v1", "matrix: second listed sensor second");
	tap_is_str(s.scenarios[3].name, "idle", "scenario after the matrix keeps its place");
	tap_is_str(s.scenarios[4].name, "both-again/v2", "aliased sensor list expands (1)");
	tap_is_str(s.scenarios[5].name, "both-again/v1", "aliased sensor list expands (2)");

	sc = &s.scenarios[0];
	tap_ok(sc->image == &s.images[0], "scenario 0 image resolved to images[0]");
	tap_ok(sc->sensor == &s.sensors[0], "scenario 0 sensor resolved to sensors[0]");
	tap_ok(sc->content == &s.contents[0], "scenario 0 content resolved to contents[0]");
	tap_is_int(sc->boots, 5, "scenario 0 boots from defaults");
	tap_is_int(sc->expect, OUTCOME_CLEAN, "scenario 0 expects clean");
	tap_ok(!sc->expect_title, "scenario 0 has no title");
	tap_ok(!sc->log_contains, "scenario 0 has no log_contains");
	tap_is_int(sc->boot_timeout_s, 90, "scenario 0 boot_timeout from defaults");
	tap_is_int(sc->silence_timeout_s, 20, "scenario 0 silence_timeout from defaults");

	for (int i = 1; i <= 2; i++) {
		sc = &s.scenarios[i];
		tap_ok(sc->image == &s.images[1], "matrix: image resolved to images[1]");
		tap_ok(sc->sensor == &s.sensors[i == 1 ? 1 : 0],
		       i == 1 ? "matrix: first entry runs v2" : "matrix: second entry runs v1");
		tap_ok(sc->content == &s.contents[1], "matrix: content resolved to contents[1]");
		tap_is_int(sc->boots, 1, "matrix: boots override wins");
		tap_is_int(sc->expect, OUTCOME_CRASH, "matrix: expect crash");
		tap_is_str(sc->expect_title, "refsensor_eval", "matrix: title");
		tap_is_str(sc->log_contains, "refsensor: content error", "matrix: log_contains");
		tap_is_int(sc->boot_timeout_s, 120, "matrix: boot_timeout override wins");
		tap_is_int(sc->silence_timeout_s, 10, "matrix: silence_timeout override wins");
	}
	tap_ok(s.scenarios[1].expect_title != s.scenarios[2].expect_title,
	       "matrix entries own their strings");

	sc = &s.scenarios[3];
	tap_ok(sc->image == &s.images[0] && sc->sensor == &s.sensors[1], "idle: image and sensor");
	tap_ok(!sc->content, "idle: no content");
	tap_is_int(sc->boots, 1000, "idle: boots 1000 (upper bound) accepted");
	tap_is_int(sc->expect, OUTCOME_HANG, "idle: expects hang");
	tap_is_int(sc->boot_timeout_s, 90, "idle: boot_timeout from defaults");
	tap_is_int(sc->silence_timeout_s, 3600, "idle: silence_timeout 3600 (upper bound)");

	tap_ok(s.scenarios[4].sensor == &s.sensors[1] && s.scenarios[5].sensor == &s.sensors[0],
	       "aliased list: sensors in order");
	tap_is_int(s.scenarios[4].boots, 5, "aliased list: boots from defaults");
out:
	suite_free(&s);
	tap_ok(suite_is_empty(&s), "suite_free() leaves an empty suite");
	suite_free(&s);
	free(path);
}

static void test_minimal(void)
{
	struct suite s;
	struct bp_error err = {""};
	char *path = fixture("valid-minimal.yaml");

	if (!tap_is_int(suite_load(&s, path, &err), 0, "valid-minimal.yaml loads")) {
		tap_diag(err.msg);
		free(path);
		return;
	}
	tap_is_int(s.nr_contents, 0, "minimal: no content sets");
	tap_ok(!s.contents, "minimal: contents is NULL");
	tap_is_int(s.nr_scenarios, 1, "minimal: one scenario");
	tap_is_str(s.scenarios[0].name, "only", "minimal: scenario name");
	tap_ok(!s.scenarios[0].content, "minimal: scenario has no content");
	tap_is_int(s.scenarios[0].boots, 3, "built-in default boots is 3");
	tap_is_int(s.scenarios[0].boot_timeout_s, 60, "built-in default boot_timeout is 60");
	tap_is_int(s.scenarios[0].silence_timeout_s, 30, "built-in default silence_timeout is 30");
	tap_is_str(s.images[0].append, "console=ttyS0 oops=panic panic=1",
		   "minimal: default append");
	tap_is_str(s.images[0].marker, "bootproof: boot complete", "minimal: default marker");
	tap_is_int(s.images[0].memory_mib, 256, "minimal: default memory");
	suite_free(&s);
	free(path);
}

struct bad_case {
	const char *file;
	int line, col;
	const char *phrase;
};

static const struct bad_case bad_cases[] = {
    /* unknown keys */
    {"bad-top-key.yaml", 2, 1,
     "unknown key 'timeout' in suite; expected one of: version, defaults, images, sensors, "
     "content, scenarios"},
    {"bad-image-key.yaml", 5, 5,
     "unknown key 'kernal' in image 'linux'; expected one of: kind, kernel, initrd, disk, "
     "append, marker, memory"},
    {"bad-scenario-key.yaml", 16, 5,
     "unknown key 'boot' in scenario; expected one of: name, image, sensor, content, boots, "
     "expect, title, log_contains, boot_timeout, silence_timeout"},
    {"bad-merge-key.yaml", 13, 5, "merge keys ('<<') are not supported"},
    /* wrong types */
    {"bad-boots-string.yaml", 16, 12, "'boots' must be an integer from 1 to 1000, got 'three'"},
    {"bad-boots-float.yaml", 3, 10, "'boots' must be an integer from 1 to 1000, got '3.5'"},
    {"bad-boots-quoted.yaml", 3, 10, "got the quoted string '3'"},
    {"bad-boots-bool.yaml", 16, 12, "'boots' must be an integer from 1 to 1000, got 'true'"},
    {"bad-name-mapping.yaml", 12, 11, "'name' must be a string, got a mapping"},
    {"bad-kind-sequence.yaml", 4, 11, "'kind' must be a string, got a sequence"},
    {"bad-kind-null.yaml", 4, 5, "'kind' must be a string, got no value"},
    {"bad-images-scalar.yaml", 2, 9, "'images' must be a mapping, got 'linux'"},
    {"bad-scenarios-mapping.yaml", 12, 3,
     "'scenarios' must be a sequence of scenarios, got a mapping"},
    {"bad-marker-nul.yaml", 8, 13, "'marker' must not contain a NUL character"},
    /* wrong values */
    {"bad-kind-value.yaml", 4, 11, "unknown image kind 'windows'; expected 'linux'"},
    {"bad-kind-escape.yaml", 4, 11, "unknown image kind '\\x1b[31mred'"},
    {"bad-expect.yaml", 15, 13, "'expect' must be one of: clean, crash, hang; got 'boom'"},
    {"bad-title.yaml", 16, 5,
     "'title' is only allowed with 'expect: crash'; scenario 'a' expects 'clean'"},
    {"bad-scenario-name.yaml", 12, 11, "invalid scenario name 'a b'"},
    {"bad-sensor-name.yaml", 9, 3, "invalid sensor name 'v/1'"},
    {"bad-sensor-empty-list.yaml", 14, 13,
     "'sensor' must be a sensor name or a non-empty sequence of sensor names, got an empty "
     "sequence"},
    {"bad-scenarios-empty.yaml", 11, 12, "'scenarios' must not be empty"},
    {"bad-images-empty.yaml", 2, 9, "'images' must define at least one image"},
    {"bad-content-empty.yaml", 12, 7, "content 'c1' must be a non-empty sequence of files"},
    /* missing keys */
    {"bad-missing-expect.yaml", 12, 5, "missing required key 'expect' in scenario"},
    {"bad-missing-kernel.yaml", 4, 5, "missing required key 'kernel' in image 'linux'"},
    /* out of range */
    {"bad-boots-range.yaml", 3, 10, "'boots' must be an integer from 1 to 1000, got '0'"},
    {"bad-memory-range.yaml", 8, 13, "'memory' must be an integer from 64 to 16384, got '32'"},
    {"bad-timeout-range.yaml", 16, 19,
     "'boot_timeout' must be an integer from 1 to 3600, got '3601'"},
    /* references */
    {"bad-ref-image.yaml", 13, 12,
     "scenario 'a' refers to unknown image 'win'; expected one of: linux"},
    {"bad-ref-sensor.yaml", 14, 18,
     "scenario 'a' refers to unknown sensor 'v9'; expected one of: v1"},
    {"bad-ref-content.yaml", 20, 14,
     "scenario 'a' refers to unknown content 'nope'; expected one of: c1"},
    {"bad-ref-no-content.yaml", 16, 14,
     "scenario 'a' refers to unknown content 'c1'; the suite defines no 'content'"},
    /* files */
    {"bad-missing-file.yaml", 5, 13, "file 'files/nope' does not exist (relative to /"},
    {"bad-not-regular.yaml", 7, 11, "'files' (relative to /"},
    {"bad-as-slash.yaml", 14, 11,
     "'as' must be a plain file name (no '/', not '.' or '..', at most 255 bytes), got '../c.sys'"},
    {"bad-as-dotdot.yaml", 14, 11, "'as' must be a plain file name"},
    {"bad-as-duplicate.yaml", 16, 11,
     "duplicate 'as' name 'c.sys' in content 'c1' (first at 14:11)"},
    /* duplicates */
    {"bad-duplicate-key.yaml", 16, 5, "duplicate key 'image' in scenario (first at 13:5)"},
    {"bad-duplicate-image.yaml", 8, 3, "duplicate image 'linux' in 'images' (first at 3:3)"},
    {"bad-duplicate-name.yaml", 16, 11, "duplicate scenario name 'a' (first at 12:11)"},
    {"bad-duplicate-matrix.yaml", 14, 18,
     "duplicate scenario name 'a/v1' after matrix expansion (first at 14:14)"},
    /* YAML itself */
    {"bad-syntax.yaml", 15, 18, "invalid YAML: mapping values are not allowed in this context"},
    {"bad-syntax-flow.yaml", 15, 11,
     "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 14:13)"},
    {"bad-undefined-alias.yaml", 14, 13, "invalid YAML: found undefined alias"},
    {"bad-two-documents.yaml", 17, 1, "a second YAML document"},
    {"empty.yaml", 1, 1, "empty suite file"},
    {"empty-comments.yaml", 1, 1, "empty suite file"},
    {"bad-top-sequence.yaml", 1, 1, "the top level must be a mapping"},
    /* version */
    {"bad-version-missing.yaml", 1, 1, "missing required key 'version' in suite"},
    {"bad-version-wrong.yaml", 1, 10, "'version' must be 1, got '2'"},
    {"bad-version-quoted.yaml", 1, 10, "'version' must be 1, got the quoted string '1'"},
};

/* Load path, expect failure at exactly LINE:COL with phrase in the message. */
static void expect_failure(const char *path, const char *label, int line, int col,
			   const char *phrase)
{
	struct suite s;
	struct bp_error err = {""};
	char *want_prefix = xasprintf("%s:%d:%d: ", path, line, col);
	char *got_prefix;
	char name[256];
	int ret = suite_load(&s, path, &err);

	got_prefix = xstrndup(err.msg, strlen(want_prefix));
	snprintf(name, sizeof(name), "%s: fails", label);
	tap_is_int(ret, -1, name);
	snprintf(name, sizeof(name), "%s: reported at %d:%d", label, line, col);
	tap_is_str(got_prefix, want_prefix, name);
	snprintf(name, sizeof(name), "%s: message", label);
	tap_like(err.msg, phrase, name);
	snprintf(name, sizeof(name), "%s: nothing left allocated in the suite", label);
	tap_ok(suite_is_empty(&s), name);
	if (!ret)
		suite_free(&s);
	free(got_prefix);
	free(want_prefix);
}

static void test_bad_fixtures(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *path = fixture(c->file);

		expect_failure(path, c->file, c->line, c->col, c->phrase);
		free(path);
	}
}

/* A few messages compared whole, so the format itself is pinned down. */
static void test_exact_messages(void)
{
	struct suite s;
	struct bp_error err;
	char *path, *want;

	path = fixture("bad-scenario-key.yaml");
	suite_load(&s, path, &err);
	want = xasprintf("%s:16:5: unknown key 'boot' in scenario; expected one of: name, image, "
			 "sensor, content, boots, expect, title, log_contains, boot_timeout, "
			 "silence_timeout",
			 path);
	tap_is_str(err.msg, want, "unknown key: whole message");
	free(want);
	free(path);

	path = fixture("bad-missing-file.yaml");
	suite_load(&s, path, &err);
	want =
	    xasprintf("%s:5:13: file 'files/nope' does not exist (relative to %s)", path, data_abs);
	tap_is_str(err.msg, want, "missing file: whole message names the suite directory");
	free(want);
	free(path);

	path = fixture("bad-boots-string.yaml");
	suite_load(&s, path, &err);
	want = xasprintf("%s:16:12: 'boots' must be an integer from 1 to 1000, got 'three'", path);
	tap_is_str(err.msg, want, "bad integer: whole message");
	free(want);
	free(path);

	path = fixture("does-not-exist.yaml");
	tap_is_int(suite_load(&s, path, &err), -1, "missing suite file fails");
	want = xasprintf("cannot open '%s': No such file or directory", path);
	tap_is_str(err.msg, want, "missing suite file: message");
	tap_ok(suite_is_empty(&s), "missing suite file: nothing allocated");
	free(want);
	free(path);
}

static int write_text(const char *path, const char *text)
{
	struct bp_error err;

	if (write_file_atomic(path, text, strlen(text), &err) < 0) {
		tap_diag(err.msg);
		return -1;
	}
	return 0;
}

/* Suites that cannot be fixtures: absolute paths of this checkout, bytes that are not UTF-8. */
static void test_generated(void)
{
	char tmpl[] = "/tmp/t-scenario.XXXXXX";
	char *dir = mkdtemp(tmpl), *real = NULL, *path = NULL, *text = NULL;
	struct strbuf minimal = STRBUF_INIT;
	struct suite s;
	struct bp_error err = {""};

	if (!tap_ok(dir != NULL, "temporary directory created"))
		return;
	real = realpath(dir, NULL);
	path = fixture("valid-minimal.yaml");
	if (read_file(path, &minimal, &err) < 0)
		tap_diag(err.msg);
	free(path);

	/* Absolute paths are kept (normalised), and the suite dir is the temp dir. */
	path = xasprintf("%s/abs.yaml", dir);
	text = xasprintf("version: 1\n"
			 "images:\n"
			 "  linux:\n"
			 "    kind: linux\n"
			 "    kernel: %s//files/./vmlinuz\n"
			 "    initrd: %s/files/initrd.img\n"
			 "    disk: %s/files/system.qcow2\n"
			 "sensors:\n"
			 "  v1: {module: '%s/files/refsensor-v1.ko'}\n"
			 "scenarios:\n"
			 "  - {name: a, image: linux, sensor: [v1], expect: crash, title: x}\n",
			 data_abs, data_abs, data_abs, data_abs);
	if (write_text(path, text) == 0) {
		if (tap_is_int(suite_load(&s, path, &err), 0, "suite with absolute paths loads")) {
			tap_is_str(s.dir, real, "suite dir is the directory of the suite file");
			is_path(s.images[0].kernel, in_data("files/vmlinuz"),
				"absolute path kept, '//' and '.' dropped");
			is_path(s.sensors[0].module, in_data("files/refsensor-v1.ko"),
				"flow mapping values work");
			tap_is_str(s.scenarios[0].name, "a/v1", "one-element matrix still expands");
			tap_is_str(s.scenarios[0].expect_title, "x", "title with expect: crash");
			suite_free(&s);
		} else {
			tap_diag(err.msg);
		}
	}
	free(text);
	free(path);

	/* valid-minimal.yaml copied elsewhere: its relative paths resolve against the copy's
	 * directory. */
	path = xasprintf("%s/rel.yaml", dir);
	if (write_text(path, minimal.buf) == 0) {
		expect_failure(path, "relative to the suite's own directory", 5, 13,
			       "does not exist (relative to ");
		suite_load(&s, path, &err);
		tap_like(err.msg, real, "missing file message names the temp directory");
	}
	free(path);

	/* Not UTF-8: libyaml's reader reports a byte offset, turned into LINE:COL. */
	path = xasprintf("%s/latin1.yaml", dir);
	if (write_text(path, "version: 1\nimages:\n  linux:\n    kind: \"li\xffnux\"\n") == 0)
		expect_failure(path, "invalid UTF-8", 4, 14,
			       "invalid YAML: invalid leading UTF-8 octet (byte 0xff)");
	free(path);

	/* An integer too large for any int must not wrap around into range. */
	path = xasprintf("%s/big.yaml", dir);
	strbuf_remove_prefix(&minimal, strlen("version: 1"));
	text = xasprintf("version: 4294967297%s", minimal.buf);
	if (write_text(path, text) == 0)
		expect_failure(path, "huge version", 1, 10,
			       "'version' must be 1, got '4294967297'");
	free(text);
	free(path);

	/* Self-referencing alias: rejected as a type error, no endless loop. */
	path = xasprintf("%s/cycle.yaml", dir);
	text = xasprintf(
	    "version: 1\n"
	    "images:\n"
	    "  linux: {kind: linux, kernel: %s/files/vmlinuz, initrd: %s/files/initrd.img,"
	    " disk: %s/files/system.qcow2}\n"
	    "sensors:\n"
	    "  v1: {module: %s/files/refsensor-v1.ko}\n"
	    "scenarios:\n"
	    "  - name: a\n"
	    "    image: linux\n"
	    "    sensor: &s [v1, *s]\n"
	    "    expect: clean\n",
	    data_abs, data_abs, data_abs, data_abs);
	if (write_text(path, text) == 0)
		expect_failure(path, "self-referencing alias", 9, 13,
			       "each sensor in the list must be a sensor name, got a sequence");
	free(text);
	free(path);

	remove_tree(dir);
	strbuf_release(&minimal);
	free(real);
}

static void test_outcome_name(void)
{
	tap_is_str(outcome_name(OUTCOME_CLEAN), "clean", "outcome_name(CLEAN)");
	tap_is_str(outcome_name(OUTCOME_CRASH), "crash", "outcome_name(CRASH)");
	tap_is_str(outcome_name(OUTCOME_HANG), "hang", "outcome_name(HANG)");
	tap_is_str(outcome_name(OUTCOME_INFRA), "infra", "outcome_name(INFRA)");
	tap_ok(outcome_name(OUTCOME_NONE) == NULL, "outcome_name(NONE) is NULL");
	tap_ok(outcome_name((enum outcome)42) == NULL, "outcome_name(unknown) is NULL");
}

static int find_data(void)
{
	const char *env = getenv("BP_SCENARIO_DATA");
	const char *slash = strrchr(__FILE__, '/');

	if (env && *env)
		data_dir = xstrdup(env);
	else if (slash)
		data_dir = xasprintf("%.*s/data/scenarios", (int)(slash - __FILE__), __FILE__);
	else
		data_dir = xstrdup("data/scenarios");
	data_abs = realpath(data_dir, NULL);
	if (!data_abs) {
		printf("Bail out! fixtures not found at '%s'; run from the project root or set "
		       "BP_SCENARIO_DATA\n",
		       data_dir);
		return -1;
	}
	return 0;
}

int main(void)
{
	if (find_data() < 0)
		return 1;
	suite_free(NULL);
	tap_ok(1, "suite_free(NULL) is a no-op");
	test_outcome_name();
	test_full();
	test_minimal();
	test_bad_fixtures();
	test_exact_messages();
	test_generated();
	free(data_dir);
	free(data_abs);
	return tap_done();
}
