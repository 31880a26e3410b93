/*
 * t-scenario - unit tests of the suite parser (harness/model/scenario.c).
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

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
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
	       !s->nr_scenarios && !s->hosts && !s->nr_hosts;
}

/* A scenario without `steps:`: one synthesized BOOT step, written at the scenario. */
static void check_legacy_step(const struct scenario *sc, int count, enum outcome expect,
			      const char *title, int line, int column, const char *label)
{
	char name[256];

	snprintf(name, sizeof(name), "%s: one synthesized step", label);
	if (!tap_is_int(sc->nr_steps, 1, name))
		return;
	snprintf(name, sizeof(name), "%s: not explicit", label);
	tap_is_int(sc->explicit_steps, 0, name);
	snprintf(name, sizeof(name), "%s: synthesized step is a boot step", label);
	tap_is_int(sc->steps[0].kind, STEP_BOOT, name);
	snprintf(name, sizeof(name), "%s: synthesized step boots 'boots' times", label);
	tap_is_int(sc->steps[0].count, count, name);
	snprintf(name, sizeof(name), "%s: synthesized step expects 'expect'", label);
	tap_is_int(sc->steps[0].expect, expect, name);
	snprintf(name, sizeof(name), "%s: synthesized step carries 'title'", label);
	tap_is_str(sc->steps[0].title, title, name);
	snprintf(name, sizeof(name), "%s: synthesized step's title is its own copy", label);
	tap_ok(!title || sc->steps[0].title != sc->expect_title, name);
	snprintf(name, sizeof(name), "%s: synthesized step at the scenario (%d:%d)", label, line,
		 column);
	tap_ok(sc->steps[0].line == line && sc->steps[0].column == column, name);
	snprintf(name, sizeof(name), "%s: legacy boots, expect and title kept", label);
	tap_ok(
	    sc->boots == count && sc->expect == expect &&
		(title ? sc->expect_title && !strcmp(sc->expect_title, title) : !sc->expect_title),
	    name);
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
	tap_is_str(s.images[0].backend, "libvirt", "explicit backend");
	tap_is_str(s.images[1].backend, NULL, "no backend: the run's");
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
	check_legacy_step(sc, 5, OUTCOME_CLEAN, NULL, 37, 5, "scenario 0");
	tap_ok(sc->agent_delay_ms == -1 && sc->sensor_delay_ms == -1, "scenario 0: no race set");

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
		check_legacy_step(sc, 1, OUTCOME_CRASH, "refsensor_eval", 42, 5, "matrix");
	}
	tap_ok(s.scenarios[1].expect_title != s.scenarios[2].expect_title,
	       "matrix entries own their strings");
	tap_ok(s.scenarios[1].steps != s.scenarios[2].steps &&
		   s.scenarios[1].steps[0].title != s.scenarios[2].steps[0].title,
	       "matrix entries own their synthesized steps");

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

/* Load fixture name into s: its path (the caller frees it and the suite), or NULL on failure. */
static char *load_valid(const char *name, struct suite *s)
{
	struct bp_error err = {""};
	char *path = fixture(name);
	char label[128];

	snprintf(label, sizeof(label), "%s loads", name);
	if (!tap_is_int(suite_load(s, path, &err), 0, label)) {
		tap_diag(err.msg);
		free(path);
		return NULL;
	}
	return path;
}

static void test_minimal(void)
{
	struct suite s;
	char *path = load_valid("valid-minimal.yaml", &s);

	if (!path)
		return;
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
	check_legacy_step(&s.scenarios[0], 3, OUTCOME_CLEAN, NULL, 12, 5, "minimal");
	suite_free(&s);
	free(path);
}

/* `recovery:` on a Windows image, and `expect: recovery` with it. */
static void test_recovery(void)
{
	struct suite s;
	char *path = load_valid("valid-recovery.yaml", &s);

	if (!path)
		return;
	tap_is_int(s.nr_scenarios, 3, "recovery: three scenarios");
	tap_is_int(s.scenarios[0].recovery, 1, "recovery: true");
	tap_is_int(s.scenarios[0].steps[1].expect, OUTCOME_RECOVERY, "a step expects recovery");
	tap_is_str(outcome_name(OUTCOME_RECOVERY), "recovery", "the outcome's name");
	tap_is_int(s.scenarios[1].expect, OUTCOME_RECOVERY, "a legacy scenario expects recovery");
	tap_is_int(s.scenarios[2].recovery, 0, "recovery: false");
	suite_free(&s);
	free(path);
	path = load_valid("valid-windows.yaml", &s);
	if (path)
		tap_is_int(s.scenarios[0].recovery, -1, "no recovery key: -1, the image as it is");
	suite_free(&s);
	free(path);
}

/* tap_is_int() on both halves of a step's position. */
static void is_at(const struct step *st, int line, int column, const char *name)
{
	char label[256];

	snprintf(label, sizeof(label), "%s: at %d:%d", name, line, column);
	if (!tap_ok(st->line == line && st->column == column, label))
		printf("#   got: %d:%d\n", st->line, st->column);
}

/* A step list: every field of every kind, long and short forms, copied per sensor. */
static void test_evaluated(void)
{
	struct suite s;
	char *path = load_valid("valid-evaluated.yaml", &s);

	if (!path)
		return;
	tap_is_str(s.sensors[0].evaluated,
		   "refsensor: /proc/refsensor/load#[0-9]+: [0-9]{1,8} instances: ",
		   "evaluated: the pattern as written (an interval expression on an atom)");
	tap_ok(s.sensors[0].evaluated_re &&
		   !regexec(s.sensors[0].evaluated_re,
			    "[    5.1] refsensor: /proc/refsensor/load#2: 1 instances: 0 match, 0 no "
			    "match, 1 rejected",
			    0, NULL, 0) &&
		   regexec(s.sensors[0].evaluated_re,
			   "refsensor: C-00000291-00000000-00000032.sys: 1 instances: 0 match", 0,
			   NULL, 0),
	       "evaluated: compiled, matches a pushed file's line, not a boot-time file's");
	tap_ok(!s.sensors[1].evaluated && !s.sensors[1].evaluated_re, "evaluated: optional");
	tap_is_int(s.scenarios[0].settle_ms, 0, "settle_ms: 0 (lower bound)");
	tap_is_int(s.scenarios[1].settle_ms, 1000, "settle_ms: default 1000");
	suite_free(&s);
	free(path);
}

/* A Windows image takes the race knobs (through its registry: guest.h race_values). */
static void test_race_windows(void)
{
	struct suite s;
	char *path = load_valid("valid-race-windows.yaml", &s);

	if (!path)
		return;
	tap_ok(s.scenarios[0].agent_delay_ms == 0 && s.scenarios[0].agent_delay_max_ms == 0,
	       "race on a windows image: agent_delay_ms 0");
	tap_ok(s.scenarios[0].sensor_delay_ms == 100 && s.scenarios[0].sensor_delay_max_ms == 200,
	       "race on a windows image: sensor_delay_ms a range 100-200");
	suite_free(&s);
	free(path);
}

static void test_steps(void)
{
	struct suite s;
	struct bp_error err = {""};
	char *path = fixture("valid-steps.yaml");
	const struct content_set *good, *bad;
	const struct scenario *sc;
	const struct step *st;

	if (!tap_is_int(suite_load(&s, path, &err), 0, "valid-steps.yaml loads")) {
		tap_diag(err.msg);
		free(path);
		return;
	}
	good = &s.contents[0];
	bad = &s.contents[1];
	if (!tap_is_int(s.nr_scenarios, 3, "steps: three scenarios after matrix expansion"))
		goto out;
	tap_is_str(s.scenarios[0].name, "rollback/v2", "steps: matrix names (1)");
	tap_is_str(s.scenarios[1].name, "rollback/v1", "steps: matrix names (2)");

	sc = &s.scenarios[0];
	tap_ok(sc->sensor == &s.sensors[1], "steps: first matrix entry runs v2");
	tap_ok(sc->content == bad, "steps: scenario content still deployed first");
	tap_is_int(sc->explicit_steps, 1, "steps: explicit_steps set");
	tap_is_int(sc->agent_delay_ms, 0, "race: agent_delay_ms 0 (lower bound)");
	tap_is_int(sc->sensor_delay_ms, 600000, "race: sensor_delay_ms 600000 (upper bound)");
	tap_ok(sc->agent_delay_max_ms == 0 && sc->sensor_delay_max_ms == 600000,
	       "race: a single value is a range of one");
	tap_is_int(sc->expect, OUTCOME_NONE, "steps: scenario expect is OUTCOME_NONE");
	tap_ok(!sc->expect_title, "steps: no scenario title");
	tap_is_str(sc->log_contains, "refsensor: loaded", "steps: log_contains allowed");
	tap_is_int(sc->boots, 1 + 2 + 15 + 7 + 3 + 1000 + 1,
		   "steps: boots is the most the steps can take");
	if (!tap_is_int(sc->nr_steps, 16, "steps: sixteen steps"))
		goto out;

	st = &sc->steps[0];
	tap_is_int(st->kind, STEP_BOOT, "boot: kind");
	tap_is_int(st->count, 1, "boot: count defaults to 1");
	tap_is_int(st->expect, OUTCOME_CRASH, "boot: expect crash");
	tap_is_str(st->title, "refsensor_eval", "boot: title");
	is_at(st, 27, 9, "boot");

	st = &sc->steps[1];
	tap_ok(st->kind == STEP_BOOT && st->count == 2 && st->expect == OUTCOME_CLEAN && !st->title,
	       "boot: count 2, expect clean, no title");
	is_at(st, 28, 9, "boot 2");

	st = &sc->steps[2];
	tap_is_int(st->kind, STEP_DEPLOY, "deploy: kind");
	tap_ok(st->content == bad, "deploy: content resolved to contents[1]");
	tap_is_int(st->live, 1, "deploy: mode live");
	is_at(st, 29, 9, "deploy");
	st = &sc->steps[3];
	tap_ok(st->kind == STEP_DEPLOY && st->content == good && !st->live, "deploy: mode offline");
	st = &sc->steps[4];
	tap_ok(st->kind == STEP_DEPLOY && st->content == bad && !st->live,
	       "deploy: offline by default");
	is_at(st, 31, 9, "deploy in block style");

	st = &sc->steps[5];
	tap_is_int(st->kind, STEP_ROLLBACK, "rollback: kind");
	tap_ok(st->content == good, "rollback: short form resolved");
	st = &sc->steps[6];
	tap_ok(st->kind == STEP_ROLLBACK && st->content == bad, "rollback: {content: ...} form");

	st = &sc->steps[7];
	tap_is_int(st->kind, STEP_REBOOT_UNTIL_CLEAN, "reboot_until_clean: kind");
	tap_is_int(st->count, 15, "reboot_until_clean: {max_boots: 15}");
	st = &sc->steps[8];
	tap_ok(st->kind == STEP_REBOOT_UNTIL_CLEAN && st->count == 7,
	       "reboot_until_clean: short form 7");

	st = &sc->steps[9];
	tap_is_int(st->kind, STEP_EXPECT_FILES, "expect_files: kind");
	if (tap_is_int(st->nr_present, 2, "expect_files: two present")) {
		tap_is_str(st->present[0], "/sensor/quarantine/C-00000291-*.sys",
			   "expect_files: present[0] (a glob)");
		tap_is_str(st->present[1], "/sensor/state", "expect_files: present[1] (plain)");
	}
	if (tap_is_int(st->nr_absent, 1, "expect_files: one absent"))
		tap_is_str(st->absent[0], "/sensor/content/C-00000291-00000000-00000032.sys",
			   "expect_files: absent[0]");
	is_at(st, 37, 9, "expect_files");
	st = &sc->steps[10];
	tap_ok(st->kind == STEP_EXPECT_FILES && !st->present && !st->nr_present &&
		   st->nr_absent == 1 && !strcmp(st->absent[0], "/x"),
	       "expect_files: absent only");

	st = &sc->steps[11];
	tap_is_int(st->kind, STEP_REMEDIATE, "remediate: kind");
	if (tap_is_int(st->nr_remove, 1, "remediate: one glob"))
		tap_is_str(st->remove[0], "/sensor/content/C-00000291*.sys", "remediate: glob");
	tap_is_int(st->only_if_not_recovered, 1, "remediate: when not_recovered");
	st = &sc->steps[12];
	tap_ok(st->kind == STEP_REMEDIATE && st->nr_remove == 2 && !strcmp(st->remove[0], "/a/b") &&
		   !strcmp(st->remove[1], "/c/*") && !st->only_if_not_recovered,
	       "remediate: block list, when always");

	st = &sc->steps[13];
	tap_ok(st->kind == STEP_CLEAN_BOOTS && st->count == 3, "clean_boots: short form 3");
	st = &sc->steps[14];
	tap_ok(st->kind == STEP_CLEAN_BOOTS && st->count == 1000,
	       "clean_boots: {count: 1000} (upper bound)");
	st = &sc->steps[15];
	tap_ok(st->kind == STEP_BOOT && st->count == 1 && st->expect == OUTCOME_HANG,
	       "boot: expect hang in a flow-style step");
	is_at(st, 49, 9, "flow-style step at its '{'");
	tap_ok(!st->content && !st->present && !st->absent && !st->remove && !st->title,
	       "fields of other kinds left empty");

	/* The matrix copy: equal, but owning its own memory. */
	{
		const struct scenario *a = &s.scenarios[0], *b = &s.scenarios[1];
		int same = a->nr_steps == b->nr_steps, shared = a->steps == b->steps;

		for (size_t i = 0; same && i < a->nr_steps; i++) {
			const struct step *x = &a->steps[i], *y = &b->steps[i];

			same = x->kind == y->kind && x->count == y->count &&
			       x->expect == y->expect && x->content == y->content &&
			       x->live == y->live && x->nr_present == y->nr_present &&
			       x->nr_absent == y->nr_absent && x->nr_remove == y->nr_remove &&
			       x->only_if_not_recovered == y->only_if_not_recovered &&
			       x->line == y->line && x->column == y->column;
			shared |= (x->title && x->title == y->title) ||
				  (x->present && x->present == y->present) ||
				  (x->absent && x->absent == y->absent) ||
				  (x->remove && x->remove == y->remove);
			for (size_t j = 0; same && j < x->nr_present; j++) {
				same = !strcmp(x->present[j], y->present[j]);
				shared |= x->present[j] == y->present[j];
			}
		}
		tap_ok(same, "matrix: both entries have the same steps");
		tap_ok(!shared, "matrix: each entry owns its steps (deep copy)");
		tap_ok(b->sensor == &s.sensors[0] && b->agent_delay_ms == 0 &&
			   b->sensor_delay_ms == 600000 && b->boots == a->boots,
		       "matrix: race and boots copied");
	}

	sc = &s.scenarios[2];
	tap_is_str(sc->name, "legacy", "legacy scenario after a steps scenario");
	check_legacy_step(sc, 4, OUTCOME_CRASH, "oops", 50, 5, "legacy");
	tap_ok(sc->agent_delay_ms == -1 && sc->sensor_delay_ms == 0,
	       "legacy: race without steps, agent delay unset");
	tap_ok(sc->sensor_delay_max_ms == 4000 && sc->agent_delay_max_ms == -1,
	       "legacy: sensor_delay_ms 0-4000 is a range 0..4000, the agent's unset");
	tap_ok(sc->cold && !s.scenarios[0].cold && !s.scenarios[1].cold,
	       "cold: true on the legacy scenario only");
out:
	suite_free(&s);
	tap_ok(suite_is_empty(&s), "steps: suite_free() leaves an empty suite");
	free(path);
}

/* power_off in its three forms, a scenario's append, both copied per matrix entry. */
static void test_power_off(void)
{
	struct suite s;
	struct bp_error err = {""};
	char *path = fixture("valid-power-off.yaml");
	const struct scenario *sc, *sc2;
	const struct step *st;

	if (!tap_is_int(suite_load(&s, path, &err), 0, "valid-power-off.yaml loads")) {
		tap_diag(err.msg);
		free(path);
		return;
	}
	if (!tap_is_int(s.nr_scenarios, 3, "power_off: three scenarios after matrix expansion"))
		goto out;
	sc = &s.scenarios[0];
	tap_is_str(sc->name, "cut/v1", "power_off: matrix name");
	tap_is_str(sc->append, "bootproof.agent_delay_ms=5 quiet",
		   "scenario append kept as written");
	tap_is_str(s.images[0].append, "console=ttyS0", "scenario append leaves the image's alone");
	tap_is_int(sc->boots, 1 + 1 + 1 + 2, "power_off: each one is a boot");
	if (!tap_is_int(sc->nr_steps, 4, "power_off: four steps"))
		goto out;

	st = &sc->steps[0];
	tap_is_int(st->kind, STEP_POWER_OFF, "power_off short form: kind");
	tap_is_str(st->at, "refsensor-agent: fault point",
		   "power_off short form: the text is 'at'");
	tap_ok(!st->append, "power_off short form: no append");
	is_at(st, 25, 9, "power_off short form");

	st = &sc->steps[1];
	tap_is_int(st->kind, STEP_POWER_OFF, "power_off mapping: kind");
	tap_is_str(st->at, "fault point switch", "power_off mapping: at");
	tap_is_str(st->append, "bootproof.agent_fault=switch", "power_off mapping: append");
	is_at(st, 26, 9, "power_off mapping");

	st = &sc->steps[2];
	tap_ok(st->kind == STEP_POWER_OFF && st->at && !strcmp(st->at, "fault point guard") &&
		   st->append && !strcmp(st->append, "bootproof.agent_fault=guard bootproof.shell"),
	       "power_off block mapping: keys in any order, append of several words");
	is_at(st, 27, 9, "power_off block mapping");
	tap_ok(!st->title && !st->content && !st->present && !st->absent && !st->remove &&
		   !st->count,
	       "power_off: fields of other kinds left empty");
	st = &sc->steps[3];
	tap_ok(st->kind == STEP_BOOT && !st->at && !st->append, "boot step: no at, no append");

	sc2 = &s.scenarios[1];
	tap_is_str(sc2->name, "cut/v2", "power_off: second matrix entry");
	tap_ok(sc2->append && !strcmp(sc2->append, sc->append) && sc2->append != sc->append,
	       "matrix: scenario append copied, each entry its own");
	tap_ok(sc2->nr_steps == 4 && sc2->steps[1].at && sc2->steps[1].append &&
		   !strcmp(sc2->steps[1].at, sc->steps[1].at) &&
		   !strcmp(sc2->steps[1].append, sc->steps[1].append) &&
		   sc2->steps[1].at != sc->steps[1].at &&
		   sc2->steps[1].append != sc->steps[1].append,
	       "matrix: power_off at and append copied, each entry its own");

	sc = &s.scenarios[2];
	tap_is_str(sc->name, "plain", "power_off alone: scenario loads");
	tap_ok(!sc->append, "no scenario append: NULL");
	tap_ok(sc->nr_steps == 1 && sc->steps[0].kind == STEP_POWER_OFF && sc->boots == 1 &&
		   !strcmp(sc->steps[0].at, "x"),
	       "power_off alone counts as a booting step");
out:
	suite_free(&s);
	tap_ok(suite_is_empty(&s), "power_off: suite_free() leaves an empty suite");
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
     "append, marker, memory, backend"},
    {"bad-scenario-key.yaml", 16, 5,
     "unknown key 'boot' in scenario; expected one of: name, image, sensor, content, boots, "
     "expect, title, log_contains, boot_timeout, silence_timeout, settle_ms, append, race, cold, "
     "recovery, steps"},
    {"bad-merge-key.yaml", 13, 5, "merge keys ('<<') are not supported"},
    /* wrong types */
    {"bad-boots-string.yaml", 16, 12, "'boots' must be an integer from 1 to 1000, got 'three'"},
    {"bad-boots-float.yaml", 3, 10, "'boots' must be an integer from 1 to 1000, got '3.5'"},
    {"bad-boots-quoted.yaml", 3, 10, "got the quoted string '3'"},
    {"bad-boots-bool.yaml", 16, 12, "'boots' must be an integer from 1 to 1000, got 'true'"},
    {"bad-cold-yes.yaml", 16, 11, "'cold' must be true or false, got 'yes'"},
    {"bad-cold-quoted.yaml", 16, 11, "'cold' must be true or false, got the quoted string 'true'"},
    {"bad-name-mapping.yaml", 12, 11, "'name' must be a string, got a mapping"},
    {"bad-kind-sequence.yaml", 4, 11, "'kind' must be a string, got a sequence"},
    {"bad-kind-null.yaml", 4, 5, "'kind' must be a string, got no value"},
    {"bad-images-scalar.yaml", 2, 9, "'images' must be a mapping, got 'linux'"},
    {"bad-scenarios-mapping.yaml", 12, 3,
     "'scenarios' must be a sequence of scenarios, got a mapping"},
    {"bad-marker-nul.yaml", 8, 13, "'marker' must not contain a NUL character"},
    /* wrong values */
    {"bad-kind-value.yaml", 4, 11, "unknown image kind 'macos'; expected 'linux' or 'windows'"},
    {"bad-kind-escape.yaml", 4, 11, "unknown image kind '\\x1b[31mred'"},
    {"bad-expect.yaml", 15, 13,
     "'expect' must be one of: clean, crash, hang, recovery; got 'boom'"},
    {"bad-recovery-linux.yaml", 16, 5,
     "'recovery' changes a Windows boot entry offline; a 'linux' image has none"},
    {"bad-expect-recovery.yaml", 13, 5,
     "'expect: recovery' needs 'recovery: true' in scenario 'a': without it the guest never "
     "starts its recovery environment"},
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
    {"bad-missing-expect.yaml", 12, 5,
     "missing required key 'expect' in scenario; expected 'expect' or 'steps'"},
    {"bad-missing-kernel.yaml", 4, 5, "missing required key 'kernel' in image 'linux'"},
    /* out of range */
    {"bad-boots-range.yaml", 3, 10, "'boots' must be an integer from 1 to 1000, got '0'"},
    {"bad-memory-range.yaml", 8, 13, "'memory' must be an integer from 64 to 16384, got '32'"},
    {"bad-backend-value.yaml", 8, 14,
     "unknown backend 'vmware' in image 'linux'; expected 'qemu' or 'libvirt'"},
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
    {"bad-not-regular.yaml", 7, 11,
     "file 'files' is a directory, not a regular file (relative to /"},
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
    {"bad-syntax.yaml", 15, 18,
     "invalid YAML: ':' cannot follow a value on this line; quote a value that contains ': ', "
     "and start a nested mapping on a new, indented line"},
    {"bad-syntax-flow.yaml", 15, 11,
     "invalid YAML: expected ',' or ']' in the '[' sequence at 14:13"},
    {"bad-undefined-alias.yaml", 14, 13,
     "invalid YAML: alias '*all' names no anchor; expected '&all' on a value before it"},
    {"bad-two-documents.yaml", 17, 1, "a second YAML document"},
    {"empty.yaml", 1, 1, "empty suite file"},
    {"empty-comments.yaml", 1, 1, "empty suite file"},
    {"bad-top-sequence.yaml", 1, 1, "the top level must be a mapping"},
    /* version */
    {"bad-version-missing.yaml", 1, 1, "missing required key 'version' in suite"},
    {"bad-version-wrong.yaml", 1, 10, "'version' must be 1, got '2'"},
    {"bad-version-quoted.yaml", 1, 10, "'version' must be 1, got the quoted string '1'"},
    /* steps: the list itself */
    {"bad-steps-empty.yaml", 21, 12, "'steps' must not be empty; expected at least one step"},
    {"bad-steps-mapping.yaml", 22, 7, "'steps' must be a sequence of steps, got a mapping"},
    {"bad-steps-expect.yaml", 21, 5,
     "'expect' is not allowed with 'steps'; put expectations in the steps"},
    {"bad-steps-title.yaml", 23, 5, "'title' is not allowed with 'steps'"},
    {"bad-steps-boots.yaml", 21, 5, "'boots' is not allowed with 'steps'"},
    {"bad-steps-no-boot.yaml", 22, 7,
     "'steps' never boot the guest; expected at least one boot, reboot_until_clean, "
     "clean_boots, power_off or soak step"},
    /* steps: the shape of one step */
    {"bad-step-unknown.yaml", 23, 9,
     "unknown step 'reboot'; expected one of: boot, deploy, rollback, reboot_until_clean, "
     "clean_boots, expect_files, remediate, power_off, soak"},
    {"bad-step-two-keys.yaml", 23, 9,
     "a step must have exactly one key, the step kind; got 'expect' after 'boot' (indent the "
     "settings of 'boot' under it"},
    {"bad-step-two-kinds.yaml", 22, 33, "got 'clean_boots' after 'boot'"},
    {"bad-step-empty.yaml", 22, 9,
     "a step must have exactly one key, the step kind; got an empty mapping"},
    {"bad-step-scalar.yaml", 22, 9,
     "each step must be a mapping with one key, the step kind (for example '- boot: {expect: "
     "clean}'), got 'clean_boots'"},
    {"bad-step-boot-sequence.yaml", 22, 15,
     "step 'boot' must be a mapping ({expect: clean|crash|hang, count: N, title: TEXT}), got "
     "a sequence"},
    {"bad-step-boot-key.yaml", 22, 16,
     "unknown key 'cuont' in step 'boot'; expected one of: count, expect, title"},
    {"bad-step-boot-missing-expect.yaml", 22, 15, "missing required key 'expect' in step 'boot'"},
    {"bad-step-rollback-key.yaml", 22, 20,
     "unknown key 'name' in step 'rollback'; expected one of: content"},
    {"bad-step-rollback-null.yaml", 22, 9, "'rollback' must be a string, got no value"},
    {"bad-step-deploy-no-content.yaml", 23, 17, "missing required key 'content' in step 'deploy'"},
    /* steps: values */
    {"bad-step-count-range.yaml", 22, 22,
     "'clean_boots' must be an integer from 1 to 1000, got '0'"},
    {"bad-step-count-string.yaml", 22, 23, "'count' must be an integer from 1 to 1000, got 'two'"},
    {"bad-step-max-boots.yaml", 22, 41,
     "'max_boots' must be an integer from 1 to 1000, got '1001'"},
    {"bad-step-title-clean.yaml", 22, 31,
     "'title' is only allowed with 'expect: crash'; this step expects 'clean'"},
    {"bad-step-mode.yaml", 22, 43, "'mode' must be one of: offline, live; got 'hot'"},
    {"bad-step-when.yaml", 22, 41, "'when' must be one of: always, not_recovered; got 'sometimes'"},
    {"bad-step-rollback-name.yaml", 22, 19,
     "content 'good-291' goes over the update channel, but its file 'fix.sys' is not named "
     "C-NNNNNNNN-NNNNNNNN-NNNNNNNN.sys as the channel requires"},
    {"bad-step-live-name.yaml", 22, 27,
     "content 'bad-291' goes over the update channel, but its file 'bad.sys' is not named"},
    {"bad-step-content-ref.yaml", 22, 19,
     "scenario 'a' refers to unknown content 'good-292'; expected one of: good-291, bad-291"},
    {"bad-step-deploy-live-last.yaml", 23, 9,
     "a live deploy needs a later step that boots the guest (boot, reboot_until_clean, "
     "clean_boots, power_off or soak); nothing would receive it"},
    {"bad-step-deploy-live-noboot.yaml", 23, 9,
     "a live deploy needs a later step that boots the guest"},
    /* steps: guest paths */
    {"bad-step-path-relative.yaml", 23, 21,
     "guest path 'sensor/x' in 'present' must be absolute (start with '/')"},
    {"bad-step-path-dotdot.yaml", 22, 30,
     "guest path '/sensor/../etc/*' in 'delete' must not contain '..' components"},
    {"bad-step-path-nul.yaml", 22, 34,
     "a guest path in 'present' must not contain a NUL character"},
    {"bad-step-path-mapping.yaml", 25, 15,
     "each entry of 'delete' must be an absolute guest path, got a mapping"},
    {"bad-step-files-none.yaml", 22, 23, "step 'expect_files' needs 'present', 'absent' or both"},
    {"bad-step-files-empty-list.yaml", 22, 32,
     "'absent' must be a non-empty sequence of absolute guest paths, got an empty sequence"},
    /* race */
    {"bad-race-range.yaml", 21, 29,
     "'sensor_delay_ms' must be an integer from 0 to 600000, got '600001'"},
    {"bad-race-range-order.yaml", 21, 29,
     "'sensor_delay_ms' must be an integer from 0 to 600000 or a range MIN-MAX within it, "
     "got '4000-0'"},
    {"bad-race-range-over.yaml", 21, 29,
     "'sensor_delay_ms' must be an integer from 0 to 600000 or a range MIN-MAX within it, "
     "got '0-600001'"},
    {"bad-race-range-text.yaml", 21, 29,
     "'sensor_delay_ms' must be an integer from 0 to 600000 or a range MIN-MAX within it, "
     "got '1-2-3'"},
    {"bad-race-key.yaml", 21, 12,
     "unknown key 'agent_delay' in race; expected one of: agent_delay_ms, sensor_delay_ms"},
    {"bad-race-empty.yaml", 21, 11, "'race' must set 'agent_delay_ms', 'sensor_delay_ms' or both"},
    /* power_off */
    {"bad-step-power-off-key.yaml", 22, 40,
     "unknown key 'apend' in step 'power_off'; expected one of: at, append"},
    {"bad-step-power-off-no-at.yaml", 22, 20, "missing required key 'at' in step 'power_off'"},
    {"bad-step-power-off-null.yaml", 22, 9, "'power_off' must be a string, got no value"},
    {"bad-step-power-off-empty.yaml", 22, 20, "'power_off' must not be empty"},
    {"bad-step-power-off-at-empty.yaml", 22, 25, "'at' must not be empty"},
    {"bad-step-power-off-append-empty.yaml", 22, 48, "'append' must not be empty"},
    {"bad-step-power-off-sequence.yaml", 22, 20, "'power_off' must be a string, got a sequence"},
    /* a scenario's append */
    {"bad-scenario-append-type.yaml", 21, 13, "'append' must be a string, got a sequence"},
    {"bad-scenario-append-null.yaml", 21, 5, "'append' must be a string, got no value"},
    /* a sensor's evaluated line, a scenario's settle_ms */
    {"bad-evaluated-regex.yaml", 12, 16,
     "'evaluated' is not a valid POSIX extended regular expression: Unmatched ( or \\("},
    {"bad-evaluated-backref.yaml", 12, 16,
     "'evaluated' must not have a back-reference ('\\1'); expected a plain POSIX extended "
     "regular expression"},
    {"bad-evaluated-group-interval.yaml", 12, 16,
     "'evaluated' must not have an interval expression on a group; expected a plain POSIX "
     "extended regular expression"},
    {"bad-evaluated-intervals.yaml", 12, 16,
     "'evaluated' must not have interval expressions counting over 255 in all"},
    {"bad-evaluated-empty.yaml", 12, 16, "'evaluated' must not be empty"},
    {"bad-evaluated-mapping.yaml", 12, 16, "'evaluated' must be a string, got a mapping"},
    {"bad-settle-range.yaml", 19, 16,
     "'settle_ms' must be an integer from 0 to 600000, got '600001'"},
    {"bad-settle-negative.yaml", 19, 16,
     "'settle_ms' must be an integer from 0 to 600000, got '-1'"},
    /* rings */
    {"bad-ring-unknown.yaml", 38, 40,
     "ring 'canary' names unknown scenario 'nosuch'; expected a scenario's name (NAME also "
     "selects every matrix entry NAME/SENSOR)"},
    {"bad-ring-twice.yaml", 39, 30,
     "scenario 'wide/v1' is already in ring 'canary' (at 38:40); a scenario belongs to one ring"},
    {"bad-ring-same-twice.yaml", 38, 38,
     "scenario 'wide/v2' is listed twice in ring 'canary' (first at 38:32)"},
    {"bad-ring-empty.yaml", 39, 29,
     "ring 'wide' must list at least one scenario in 'scenarios' (a sequence of scenario "
     "names), got an empty sequence"},
    {"bad-ring-dup-name.yaml", 39, 12, "duplicate ring name 'canary' (first at 38:5)"},
    {"bad-ring-key.yaml", 38, 20,
     "unknown key 'scenario' in ring; expected one of: name, scenarios"},
    {"bad-rings-empty.yaml", 37, 8, "'rings' must be a non-empty sequence of rings"},
    /* hosts */
    {"bad-hosts-entry.yaml", 18, 5,
     "each entry of 'hosts' must be a libvirt URI or a mapping {uri: URI, slots: N}, got a "
     "sequence"},
    {"bad-hosts-key.yaml", 18, 27,
     "unknown key 'slot' in host; expected one of: uri, slots, disks"},
    {"bad-hosts-disks.yaml", 18, 34, "'disks' must be shared or upload, got 'local'"},
    {"bad-hosts-slots.yaml", 18, 34, "'slots' must be an integer from 1 to 64, got '65'"},
    {"bad-hosts-twice.yaml", 19, 11,
     "host 'qemu+ssh://vm1/system/' is listed twice in 'hosts' (first at 18:5)"},
    /* soak */
    {"bad-soak-both.yaml", 24, 26,
     "step 'soak' needs exactly one of 'boots' (repeat boots) and 'pushes' (repeat live pushes "
     "into one running guest)"},
    {"bad-soak-none.yaml", 24, 15, "step 'soak' needs exactly one of 'boots'"},
    {"bad-soak-no-content.yaml", 24, 15,
     "missing required key 'content' in step 'soak' with 'pushes': the content set to push"},
    {"bad-soak-boot-content.yaml", 24, 26, "'content' goes with 'pushes' only"},
    {"bad-soak-duration.yaml", 24, 36,
     "'duration' must be a duration from 1s to 24h: seconds, or a number with s, m or h ('90', "
     "'90s', '5m', '1h'), got '5d'"},
    {"bad-soak-duration-range.yaml", 24, 36, "got '25h'"},
    {"bad-soak-count.yaml", 24, 24, "'pushes' must be an integer from 1 to 10000, got '10001'"},
    {"bad-soak-scalar.yaml", 24, 15,
     "step 'soak' must be a mapping ({boots: N} or {pushes: N, content: NAME}, optionally with "
     "duration: 5m), got '20'"},
    {"bad-settle-no-live.yaml", 19, 5,
     "'settle_ms' applies to a live push only; scenario 'a' has no 'deploy' step with 'mode: "
     "live'"},
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

/* rings: order, matrix entries selected by base name, a scenario in none; soak steps. */
static void test_rings(void)
{
	struct suite s;
	struct bp_error err = {""};
	char *path = fixture("valid-rings.yaml");
	const struct step *st;

	if (!tap_is_int(suite_load(&s, path, &err), 0, "rings: loads")) {
		tap_diag(err.msg);
		free(path);
		return;
	}
	tap_is_int(s.nr_rings, 2, "rings: two rings");
	tap_is_str(s.rings[0].name, "canary", "rings: ring 0 first");
	tap_is_int(s.rings[1].index, 1, "rings: ring 1's index");
	tap_is_int(s.rings[1].line, 43, "rings: ring 1 written at 43");
	tap_is_int(s.nr_scenarios, 5, "rings: five trials after expansion");
	tap_ok(s.scenarios[0].ring == &s.rings[0], "rings: canary in ring 0");
	tap_ok(s.scenarios[1].ring == &s.rings[1] && s.scenarios[2].ring == &s.rings[1],
	       "rings: 'wide' selects both matrix entries");
	tap_ok(s.scenarios[3].ring == &s.rings[1], "rings: soak in ring 1");
	tap_ok(s.scenarios[4].ring == NULL, "rings: spare in no ring");
	tap_is_int(s.rings[0].nr_scenarios, 1, "rings: ring 0 holds one trial");
	tap_is_int(s.rings[1].nr_scenarios, 3, "rings: ring 1 holds three trials");
	tap_is_int(s.scenarios[2].line, 27, "rings: a matrix entry is named at its sensor list");
	tap_is_int(s.scenarios[4].line, 37, "rings: a scenario is named at its entry");
	tap_ok(scenario_selected_by(&s.scenarios[1], "wide") &&
		       !scenario_selected_by(&s.scenarios[1], "wid") &&
		       scenario_selected_by(&s.scenarios[1], "wide/v1"),
	       "rings: NAME selects NAME/SENSOR, not a prefix");
	st = s.scenarios[3].steps;
	tap_is_int(s.scenarios[3].nr_steps, 3, "soak: three steps");
	tap_ok(st[0].kind == STEP_SOAK && !st[0].soak_pushes && st[0].count == 20 &&
		       !st[0].duration_s && !st[0].content,
	       "soak: {boots: 20}");
	tap_ok(st[1].kind == STEP_SOAK && st[1].soak_pushes && st[1].count == 50 &&
		       st[1].duration_s == 300 && st[1].content == &s.contents[0],
	       "soak: {pushes: 50, content: good-291, duration: 5m}");
	tap_ok(st[2].duration_s == 90 && st[2].count == 3, "soak: a duration in plain seconds");
	tap_is_int(s.scenarios[3].boots, 24, "soak: boots planned count a push soak as one boot");
	tap_is_str(step_kind_name(STEP_SOAK), "soak", "soak: the step's key");
	suite_free(&s);
	free(path);
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
			 "silence_timeout, settle_ms, append, race, cold, recovery, steps",
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
	want = xasprintf("cannot load suite: '%s' does not exist", path);
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

/* Lines 1-9 of a generated suite with one scenario 'a' (image linux, sensor v1); steps next. */
static void gen_head(struct strbuf *sb)
{
	strbuf_addf(sb,
		    "version: 1\n"
		    "images:\n"
		    "  linux: {kind: linux, kernel: %s/files/vmlinuz, initrd: %s/files/initrd.img,"
		    " disk: %s/files/system.qcow2}\n"
		    "sensors:\n"
		    "  v1: {module: %s/files/refsensor-v1.ko}\n"
		    "scenarios:\n"
		    "  - name: a\n"
		    "    image: linux\n"
		    "    sensor: v1\n",
		    data_abs, data_abs, data_abs, data_abs);
}

/* Step lists too long for a fixture, and steps shared through an anchor. */
static void test_generated_steps(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	struct suite s;
	struct bp_error err = {""};
	char *path = xasprintf("%s/steps.yaml", dir);

	/* 64 guest paths are fine; the 65th is reported where it is written (line 14 + 64). */
	for (int n = 64; n <= 65; n++) {
		strbuf_reset(&sb);
		gen_head(&sb);
		strbuf_adds(&sb, "    steps:\n      - clean_boots: 1\n      - expect_files:\n"
				 "          present:\n");
		for (int i = 0; i < n; i++)
			strbuf_addf(&sb, "            - /p%d\n", i);
		if (write_text(path, sb.buf) < 0)
			continue;
		if (n == 65) {
			expect_failure(path, "65 guest paths", 78, 15,
				       "'present' has 65 entries; at most 64 are allowed");
		} else if (tap_is_int(suite_load(&s, path, &err), 0, "64 guest paths load")) {
			tap_ok(s.scenarios[0].steps[1].nr_present == 64 &&
				   !strcmp(s.scenarios[0].steps[1].present[63], "/p63"),
			       "64 guest paths kept in order");
			suite_free(&s);
		} else {
			tap_diag(err.msg);
		}
	}

	/* 1000 steps are fine (and take 1000 x 1000 boots); the 1001st is reported. */
	for (int n = 1000; n <= 1001; n++) {
		strbuf_reset(&sb);
		gen_head(&sb);
		strbuf_adds(&sb, "    steps:\n");
		for (int i = 0; i < n; i++)
			strbuf_adds(&sb, "      - clean_boots: 1000\n");
		if (write_text(path, sb.buf) < 0)
			continue;
		if (n == 1001) {
			expect_failure(path, "1001 steps", 1011, 9,
				       "'steps' has 1001 entries; at most 1000 are allowed");
		} else if (tap_is_int(suite_load(&s, path, &err), 0, "1000 steps load")) {
			tap_ok(s.scenarios[0].nr_steps == 1000 && s.scenarios[0].boots == 1000000,
			       "1000 steps of 1000 boots: boots is 1000000");
			suite_free(&s);
		} else {
			tap_diag(err.msg);
		}
	}

	/* A step list anchored in one scenario and aliased in the next: each gets a copy. */
	strbuf_reset(&sb);
	gen_head(&sb);
	strbuf_adds(&sb, "    steps: &rb\n"
			 "      - boot: {expect: crash, title: t}\n"
			 "      - remediate: {delete: [/x]}\n"
			 "      - clean_boots: 2\n"
			 "  - {name: b, image: linux, sensor: v1, steps: *rb}\n");
	if (write_text(path, sb.buf) == 0) {
		if (tap_is_int(suite_load(&s, path, &err), 0, "aliased steps load")) {
			const struct scenario *a = &s.scenarios[0], *b = &s.scenarios[1];

			tap_ok(a->nr_steps == 3 && b->nr_steps == 3 && b->explicit_steps &&
				   b->boots == 3 && b->steps[2].count == 2,
			       "aliased steps: same steps in both scenarios");
			tap_ok(a->steps[0].title != b->steps[0].title &&
				   !strcmp(b->steps[0].title, "t") &&
				   a->steps[1].remove[0] != b->steps[1].remove[0],
			       "aliased steps: each scenario owns its copy");
			tap_ok(b->steps[1].line == 12 && b->steps[1].column == 9,
			       "aliased steps: positions are where the anchored steps are written");
			suite_free(&s);
		} else {
			tap_diag(err.msg);
		}
	}

	/* An error after a step list was parsed (a later duplicate name) leaks nothing. */
	strbuf_reset(&sb);
	gen_head(&sb);
	strbuf_adds(&sb,
		    "    steps: [{remediate: {delete: [/x]}}, {boot: {expect: crash, title: t}}]\n"
		    "  - {name: a, image: linux, sensor: v1, expect: clean}\n");
	if (write_text(path, sb.buf) == 0)
		expect_failure(path, "error after steps", 11, 12, "duplicate scenario name 'a'");

	strbuf_release(&sb);
	free(path);
}

/* The suite of gen_head() with `hosts` from line 11 on, at path. */
static int write_hosts(const char *path, const char *hosts)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	gen_head(&sb);
	strbuf_adds(&sb, "    expect: clean\n");
	strbuf_adds(&sb, hosts);
	ret = write_text(path, sb.buf);
	strbuf_release(&sb);
	return ret;
}

/* `hosts:`: the forms it takes, and each mistake's whole message at its position. */
static void test_hosts(const char *dir)
{
	static const struct {
		const char *text;
		int line, col;
		const char *msg;
	} bad[] = {
	    {"hosts: qemu:///system\n", 11, 8,
	     "'hosts' must be a non-empty sequence of libvirt hosts (URI or {uri: URI, slots: N}), "
	     "got 'qemu:///system'"},
	    {"hosts: []\n", 11, 8,
	     "'hosts' must be a non-empty sequence of libvirt hosts (URI or {uri: URI, slots: N}), "
	     "got an empty sequence"},
	    {"hosts:\n", 11, 1,
	     "'hosts' must be a non-empty sequence of libvirt hosts (URI or {uri: URI, slots: N}), "
	     "got no value"},
	    {"hosts: {uri: a}\n", 11, 8,
	     "'hosts' must be a non-empty sequence of libvirt hosts (URI or {uri: URI, slots: N}), "
	     "got a mapping"},
	    {"hosts:\n  - [a]\n", 12, 5,
	     "each entry of 'hosts' must be a libvirt URI or a mapping {uri: URI, slots: N}, got a "
	     "sequence"},
	    {"hosts:\n  - a\n  - ~\n", 13, 5,
	     "each entry of 'hosts' must be a libvirt URI or a mapping {uri: URI, slots: N}, got "
	     "null"},
	    {"hosts:\n  - \"\"\n", 12, 5, "'uri' must not be empty"},
	    {"hosts:\n  - {uri: \" \"}\n", 12, 11, "'uri' must not be blank"},
	    {"hosts:\n  - {uri: , slots: 2}\n", 12, 6, "'uri' must be a string, got no value"},
	    {"hosts:\n  - {uri: [a]}\n", 12, 11, "'uri' must be a string, got a sequence"},
	    {"hosts:\n  - {uri: a, slots: 0}\n", 12, 21,
	     "'slots' must be an integer from 1 to 64, got '0'"},
	    {"hosts:\n  - {uri: a, slots: 65}\n", 12, 21,
	     "'slots' must be an integer from 1 to 64, got '65'"},
	    {"hosts:\n  - {uri: a, slots: two}\n", 12, 21,
	     "'slots' must be an integer from 1 to 64, got 'two'"},
	    {"hosts:\n  - {uri: a, slots: \"2\"}\n", 12, 21,
	     "'slots' must be an integer from 1 to 64, got the quoted string '2'"},
	    {"hosts:\n  - {uri: a, slots: 1.5}\n", 12, 21,
	     "'slots' must be an integer from 1 to 64, got '1.5'"},
	    {"hosts:\n  - {uri: a, cpus: 2}\n", 12, 14,
	     "unknown key 'cpus' in host; expected one of: uri, slots, disks"},
	    {"hosts:\n  - {uri: a, disks: local}\n", 12, 21,
	     "'disks' must be shared or upload, got 'local'"},
	    {"hosts:\n  - {uri: a, disks: Shared}\n", 12, 21,
	     "'disks' must be shared or upload, got 'Shared'"},
	    {"hosts:\n  - {uri: a, disks: auto}\n", 12, 21,
	     "'disks' must be shared or upload, got 'auto'"},
	    {"hosts:\n  - {uri: a, disks: \"\"}\n", 12, 21,
	     "'disks' must be shared or upload, got ''"},
	    {"hosts:\n  - {uri: a, disks: [shared]}\n", 12, 21,
	     "'disks' must be a string, got a sequence"},
	    {"hosts:\n  - {uri: a, disks: upload, disks: shared}\n", 12, 29,
	     "duplicate key 'disks' in host (first at 12:14); each key may appear only once"},
	    {"hosts:\n  - {slots: 2}\n", 12, 5, "missing required key 'uri' in host"},
	    {"hosts:\n  - qemu:///system\n  - {uri: qemu:///system/, slots: 2}\n", 13, 11,
	     "host 'qemu:///system/' is listed twice in 'hosts' (first at 12:5)"},
	    {"hosts:\n  - qemu+ssh://a/system//\n  - b\n  - qemu+ssh://a/system\n", 14, 5,
	     "host 'qemu+ssh://a/system' is listed twice in 'hosts' (first at 12:5)"},
	    {"hosts:\n  - a\n  - a\n", 13, 5, "host 'a' is listed twice in 'hosts' (first at 12:5)"},
	};
	struct strbuf many = STRBUF_INIT;
	char *path = fixture("valid-hosts.yaml");
	struct suite s;
	struct bp_error err = {""};

	if (tap_is_int(suite_load(&s, path, &err), 0, "valid-hosts.yaml loads")) {
		tap_ok(s.nr_hosts == 3 && !strcmp(s.hosts[2].uri, "qemu:///system") &&
			       s.hosts[2].slots == 64 && s.hosts[2].line == 20 && s.hosts[1].slots == 4,
		       "valid-hosts.yaml: a block mapping too");
		tap_ok(s.nr_hosts == 3 && s.hosts[0].disks == HOST_DISKS_AUTO &&
			       s.hosts[1].disks == HOST_DISKS_SHARED &&
			       s.hosts[2].disks == HOST_DISKS_UPLOAD,
		       "valid-hosts.yaml: disks by the URI unless given, else as given");
		suite_free(&s);
	} else {
		tap_diag(err.msg);
	}
	free(path);
	path = xasprintf("%s/hosts.yaml", dir);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char label[64], *want;

		if (write_hosts(path, bad[i].text) < 0)
			continue;
		snprintf(label, sizeof(label), "hosts: mistake %zu", i + 1);
		tap_is_int(suite_load(&s, path, &err), -1, label);
		want = xasprintf("%s:%d:%d: %s", path, bad[i].line, bad[i].col, bad[i].msg);
		tap_is_str(err.msg, want, "  the whole message, at its position");
		tap_ok(suite_is_empty(&s), "  nothing left allocated");
		free(want);
	}

	if (write_hosts(path, "hosts:\n"
			      "  - qemu+ssh://vm1/system\n"
			      "  - {uri: \"qemu+tcp://10.0.0.5:16509/system\", slots: 4}\n"
			      "  - {slots: 64, uri: qemu:///system}\n") == 0) {
		if (tap_is_int(suite_load(&s, path, &err), 0, "hosts: three forms load")) {
			tap_is_int(s.nr_hosts, 3, "hosts: three, in order");
			tap_ok(s.nr_hosts == 3 && !strcmp(s.hosts[0].uri, "qemu+ssh://vm1/system") &&
				       !strcmp(s.hosts[1].uri, "qemu+tcp://10.0.0.5:16509/system") &&
				       !strcmp(s.hosts[2].uri, "qemu:///system"),
			       "hosts: their URIs");
			tap_ok(s.nr_hosts == 3 && s.hosts[0].slots == 1 && s.hosts[1].slots == 4 &&
				       s.hosts[2].slots == 64,
			       "hosts: slots default 1, else as written");
			tap_ok(s.nr_hosts == 3 && s.hosts[0].disks == HOST_DISKS_AUTO &&
				       s.hosts[1].disks == HOST_DISKS_AUTO &&
				       s.hosts[2].disks == HOST_DISKS_AUTO,
			       "hosts: disks default auto");
			tap_ok(s.nr_hosts == 3 && s.hosts[0].line == 12 && s.hosts[0].column == 5 &&
				       s.hosts[1].line == 13 && s.hosts[1].column == 11,
			       "hosts: each where its URI is written");
			tap_ok(s.hosts_line == 11 && s.hosts_column == 1, "hosts: the key's position");
			suite_free(&s);
			tap_ok(suite_is_empty(&s), "hosts: suite_free() frees them");
		} else {
			tap_diag(err.msg);
		}
	}
	if (write_hosts(path, "hosts:\n"
			      "  - {disks: upload, uri: qemu:///system}\n"
			      "  - uri: qemu+ssh://vm1/system\n"
			      "    disks: shared\n"
			      "    slots: 2\n"
			      "  - {uri: \"qemu+tcp://10.0.0.5/system\", disks: \"upload\"}\n") == 0) {
		if (tap_is_int(suite_load(&s, path, &err), 0, "hosts: disks loads")) {
			tap_ok(s.nr_hosts == 3 && s.hosts[0].disks == HOST_DISKS_UPLOAD &&
				       s.hosts[1].disks == HOST_DISKS_SHARED && s.hosts[1].slots == 2 &&
				       s.hosts[2].disks == HOST_DISKS_UPLOAD,
			       "hosts: disks shared or upload, in any key order, quoted or not");
			suite_free(&s);
		} else {
			tap_diag(err.msg);
		}
	}
	if (write_hosts(path, "") == 0 &&
	    tap_is_int(suite_load(&s, path, &err), 0, "no hosts: loads")) {
		tap_ok(!s.hosts && !s.nr_hosts && !s.hosts_line, "no hosts: none");
		suite_free(&s);
	}

	/* 1000 hosts are fine; the 1001st makes too many. */
	for (int n = 1000; n <= 1001; n++) {
		strbuf_reset(&many);
		strbuf_adds(&many, "hosts:\n");
		for (int i = 0; i < n; i++)
			strbuf_addf(&many, "  - h%d\n", i);
		if (write_hosts(path, many.buf) < 0)
			continue;
		if (n == 1001) {
			expect_failure(path, "1001 hosts", 12, 3,
				       "'hosts' has 1001 entries; at most 1000 are allowed");
		} else if (tap_is_int(suite_load(&s, path, &err), 0, "1000 hosts load")) {
			tap_ok(s.nr_hosts == 1000 && !strcmp(s.hosts[999].uri, "h999"),
			       "1000 hosts kept in order");
			suite_free(&s);
		} else {
			tap_diag(err.msg);
		}
	}
	strbuf_release(&many);
	free(path);
}

/* n TAP points skipped for why (tap.h has no skip). */
static void skip(int n, const char *why)
{
	for (int i = 0; i < n; i++)
		printf("ok %d # SKIP %s\n", ++tap_n, why);
}

/* A suite whose kernel is `kernel` (line 5, column 13) and whose module is `module` (9:16). */
static char *suite_with(const char *kernel, const char *module)
{
	char *mod = module ? xstrdup(module) : in_data("files/refsensor-v1.ko");
	char *text = xasprintf("version: 1\n"
			       "images:\n"
			       "  linux:\n"
			       "    kind: linux\n"
			       "    kernel: %s\n"
			       "    initrd: %s/files/initrd.img\n"
			       "    disk: %s/files/system.qcow2\n"
			       "sensors:\n"
			       "  v1: {module: %s}\n"
			       "scenarios:\n"
			       "  - {name: a, image: linux, sensor: v1, expect: clean}\n",
			       kernel, data_abs, data_abs, mod);

	free(mod);
	return text;
}

/* A suite at dir/name whose kernel is `kernel`: expect failure at 5:13 with phrase. */
static void expect_kernel_failure(const char *dir, const char *kernel, const char *label,
				  const char *phrase)
{
	char *path = xasprintf("%s/kernel.yaml", dir), *text = suite_with(kernel, NULL);

	if (write_text(path, text) == 0)
		expect_failure(path, label, 5, 13, phrase);
	free(text);
	free(path);
}

/* Load path as user nobody in a child; return its suite_load() result and message. */
static int load_as_nobody(const char *path, struct bp_error *err)
{
	int fds[2], status, ret = -2;
	pid_t pid;

	if (pipe(fds) < 0)
		return -2;
	pid = fork();
	if (pid == 0) {
		struct suite s;
		struct bp_error e = {""};
		int r = -2;

		close(fds[0]);
		if (setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0)
			r = suite_load(&s, path, &e);
		if (!r)
			suite_free(&s);
		if (write(fds[1], &r, sizeof(r)) < 0 || write(fds[1], e.msg, sizeof(e.msg)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &ret, sizeof(ret)) == sizeof(ret) &&
	    read(fds[0], err->msg, sizeof(err->msg)) != (ssize_t)sizeof(err->msg))
		ret = -2;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return ret;
}

/* A file the running user cannot read: refused at validation, at its key. */
static void test_unreadable(const char *dir)
{
	char *secret = xasprintf("%s/secret.img", dir), *path = xasprintf("%s/nobody.yaml", dir);
	char *text = suite_with(secret, NULL), *want = NULL;
	struct bp_error err = {""};
	int ret;

	if (geteuid() != 0) {
		skip(2, "not root: cannot arrange a file only another user can read");
		goto out;
	}
	if (write_text(secret, "kernel") < 0 || chmod(secret, 0600) < 0 || chmod(dir, 0755) < 0 ||
	    write_text(path, text) < 0 || chmod(path, 0644) < 0) {
		skip(2, "cannot prepare the files");
		goto out;
	}
	ret = load_as_nobody(path, &err);
	if (ret == -2) {
		skip(2, "cannot run as user nobody");
		goto out;
	}
	tap_is_int(ret, -1, "file unreadable for the running user: load fails at validation");
	want = xasprintf("%s:5:13: file '%s' cannot be read: Permission denied", path, secret);
	tap_is_str(err.msg, want, "unreadable file: reported at its key, with the reason");
out:
	free(want);
	free(text);
	free(path);
	free(secret);
}

/* Paths that name something other than a readable regular file of sane size. */
static void test_not_regular(const char *dir)
{
	char *fifo = xasprintf("%s/fifo", dir), *sock = xasprintf("%s/sock", dir);
	char *dangling = xasprintf("%s/dangling", dir), *big = xasprintf("%s/big.ko", dir);
	char *path = xasprintf("%s/fifo-suite.yaml", dir), *text;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int sfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	struct bp_error err = {""};
	struct suite s;

	/* A test that would hang before the fix fails by this alarm instead. */
	alarm(60);
	if (tap_ok(mkfifo(fifo, 0644) == 0, "FIFO created"))
		expect_kernel_failure(dir, fifo, "FIFO as a file", "is a FIFO, not a regular file");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (tap_ok(sfd >= 0 && bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "socket bound"))
		expect_kernel_failure(dir, sock, "socket as a file",
				      "is a socket, not a regular file");
	if (sfd >= 0)
		close(sfd);
	if (tap_ok(symlink("no-such-target", dangling) == 0, "dangling symlink created"))
		expect_kernel_failure(dir, dangling, "dangling symlink",
				      "is a dangling symbolic link");
	expect_kernel_failure(dir, "/dev/zero", "/dev/zero as a file",
			      "file '/dev/zero' is a character device, not a regular file");

	/* A module larger than the harness would read: refused by size, sparse here. */
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (tap_ok(fd >= 0 && ftruncate(fd, ((off_t)256 << 20) + 1) == 0, "sparse 256 MiB file")) {
		char *kernel = in_data("files/vmlinuz"), *p2 = xasprintf("%s/big.yaml", dir);

		text = suite_with(kernel, big);
		if (write_text(p2, text) == 0)
			expect_failure(p2, "oversized module", 9, 16,
				       "is 268435457 bytes; at most 268435456 are allowed");
		free(text);
		free(kernel);
		free(p2);
	}
	if (fd >= 0)
		close(fd);

	/* Content for the update channel beyond the channel's limit: refused at the step. */
	fd = open(big, O_WRONLY | O_TRUNC);
	if (tap_ok(fd >= 0 && ftruncate(fd, 1024 * 1024 + 1) == 0, "sparse 1 MiB file")) {
		struct strbuf sb = STRBUF_INIT;
		char *p2 = xasprintf("%s/channel.yaml", dir);

		gen_head(&sb);
		strbuf_addf(&sb,
			    "    steps: [{clean_boots: 1}, {rollback: big}, {clean_boots: 1}]\n"
			    "content:\n  big: [{file: %s, as: C-00000291-00000000-00000001.sys}]\n",
			    big);
		if (write_text(p2, sb.buf) == 0)
			expect_failure(p2, "channel file too large", 10, 42,
				       "content 'big' goes over the update channel, which carries "
				       "files of at most 1048576 bytes; "
				       "'C-00000291-00000000-00000001.sys' has 1048577");
		strbuf_release(&sb);
		free(p2);
	}
	if (fd >= 0)
		close(fd);

	/* The suite path itself: a FIFO must not block, /dev/zero must not be read. */
	if (mkfifo(path, 0644) == 0) {
		tap_is_int(suite_load(&s, path, &err), -1, "FIFO as the suite: fails at once");
		text = xasprintf("cannot load suite: '%s' is a FIFO, not a regular file", path);
		tap_is_str(err.msg, text, "FIFO as the suite: message");
		free(text);
	}
	tap_is_int(suite_load(&s, "/dev/zero", &err), -1, "/dev/zero as the suite: fails");
	tap_is_str(err.msg,
		   "cannot load suite: '/dev/zero' is a character device, not a regular file",
		   "/dev/zero as the suite: message");
	fd = open(big, O_WRONLY | O_TRUNC);
	if (fd >= 0 && ftruncate(fd, 1024 * 1024 + 1) == 0) {
		tap_is_int(suite_load(&s, big, &err), -1, "suite over 1 MiB: fails");
		tap_like(err.msg, "is 1048577 bytes; at most 1048576 are allowed",
			 "suite over 1 MiB: message");
	}
	if (fd >= 0)
		close(fd);
	alarm(0);
	test_unreadable(dir);
	free(fifo);
	free(sock);
	free(dangling);
	free(big);
	free(path);
}

/* Deep nesting, many anchors and alias bombs are refused quickly, where they start. */
static void test_yaml_bounds(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/bounds.yaml", dir);
	struct timespec t0, t1;

	/* 100,000 nested flow sequences: libyaml alone took 20 s to reject this. */
	strbuf_adds(&sb, "version: 1\nimages: ");
	for (int i = 0; i < 100000; i++)
		strbuf_addch(&sb, '[');
	for (int i = 0; i < 100000; i++)
		strbuf_addch(&sb, ']');
	alarm(60);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (write_text(path, sb.buf) == 0)
		expect_failure(path, "100,000 nested sequences", 2, 72,
			       "sequences and mappings nested more than 64 deep");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alarm(0);
	{
		char d[96];

		snprintf(d, sizeof(d), "rejected 200 KB of nesting in %.3f s",
			 (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		tap_diag(d);
	}

	/* 64 levels are fine as far as nesting goes (the error is then a missing key). */
	strbuf_reset(&sb);
	strbuf_adds(&sb, "version: 1\nimages: ");
	for (int i = 0; i < 63; i++)
		strbuf_addch(&sb, '[');
	for (int i = 0; i < 63; i++)
		strbuf_addch(&sb, ']');
	if (write_text(path, sb.buf) == 0)
		expect_failure(path, "64 levels", 1, 1, "missing required key 'sensors' in suite");

	/* 1001 anchors: refused at the 1001st. */
	strbuf_reset(&sb);
	strbuf_adds(&sb, "version: 1\nx:\n");
	for (int i = 0; i < 1001; i++)
		strbuf_addf(&sb, "  - &a%d %d\n", i, i);
	if (write_text(path, sb.buf) == 0)
		expect_failure(path, "1001 anchors", 1003, 5, "more than 1000 anchors");

	/*
	 * Billion laughs through the suite's own copies: 1000 steps of 65 guest
	 * paths, aliased into a 100-sensor matrix of 20 scenarios, would be 130
	 * million copied strings.
	 */
	strbuf_reset(&sb);
	strbuf_addf(&sb,
		    "version: 1\nimages:\n  linux: {kind: linux, kernel: %s/files/vmlinuz, "
		    "initrd: %s/files/initrd.img, disk: %s/files/system.qcow2}\nsensors:\n",
		    data_abs, data_abs, data_abs);
	for (int i = 0; i < 100; i++)
		strbuf_addf(&sb, "  s%d: {module: %s/files/refsensor-v1.ko}\n", i, data_abs);
	strbuf_adds(&sb, "scenarios:\n  - name: n0\n    image: linux\n    sensor: &all [s0");
	for (int i = 1; i < 100; i++)
		strbuf_addf(&sb, ", s%d", i);
	strbuf_adds(&sb,
		    "]\n    steps: &steps [{clean_boots: 1}, &st {expect_files: {present: &p [/a");
	for (int i = 1; i < 64; i++)
		strbuf_adds(&sb, ", /a");
	strbuf_adds(&sb, "]}}");
	for (int i = 2; i < 1000; i++)
		strbuf_adds(&sb, ", *st");
	strbuf_adds(&sb, "]\n");
	for (int i = 1; i < 20; i++)
		strbuf_addf(&sb, "  - {name: n%d, image: linux, sensor: *all, steps: *steps}\n", i);
	alarm(60);
	if (write_text(path, sb.buf) == 0) {
		struct suite s;
		struct bp_error err = {""};
		int ret = suite_load(&s, path, &err);

		tap_is_int(ret, -1, "alias bomb: refused");
		tap_like(err.msg,
			 "more than 1000000 steps and guest paths once aliases and sensor "
			 "lists are expanded",
			 "alias bomb: message");
		if (!ret)
			suite_free(&s);
	}
	alarm(0);
	strbuf_release(&sb);
	free(path);
}

/* libyaml's errors, explained: what was expected and the byte that was found. */
static void test_yaml_messages(const char *dir)
{
	static const struct {
		const char *text;
		int line, col;
		const char *phrase;
	} cases[] = {
	    {"version: 1\nimages:\n\tlinux: {}\n", 3, 1,
	     "invalid YAML: tabs cannot indent YAML; use spaces"},
	    {"version: 1\nimages: x\n\tlinux\n", 3, 1,
	     "invalid YAML: tabs cannot indent YAML; use spaces"},
	    {"version: 1\nimages: \"li\xc0\x80nux\"\n", 2, 12,
	     "invalid YAML: bytes 0xc0 0x80 are an overlong UTF-8 encoding; expected UTF-8 text"},
	    {"version: 1\nimages: \xc3\xa9\xc3\xa9\xc0z\n", 2, 12,
	     "invalid YAML: byte 0x7a cannot continue the UTF-8 character before it"},
	    {"version: 1\nimages: a\x01\n", 2, 10,
	     "invalid YAML: control character byte 0x01 is not allowed"},
	    {"version: 1\n\xc3\xa9\xc3\xa9: @x\n", 2, 5,
	     "invalid YAML: '@' is reserved and cannot start a value; quote the value"},
	    {"version: 1\nimages: \"open\n", 3, 1,
	     "invalid YAML: the file ends inside the quoted string that starts at 2:9; expected "
	     "its "
	     "closing quote"},
	    {"version: 1\nimages: &a 1\nsensors: &a 2\n", 3, 10,
	     "invalid YAML: anchor '&a' is defined twice (first at 2:9); each anchor needs its own "
	     "name"},
	    {"version: 1\nimages:\n  a: 1\n b: 2\n", 4, 2,
	     "invalid YAML: expected 'key: value' at the indentation of the mapping that starts at "
	     "1:1; check the indentation of this line"},
	    {"version: 1\nimages: \"a\\qb\"\n", 2, 11,
	     "invalid YAML: unknown escape in the double-quoted string at 2:9"},
	};
	char *path = xasprintf("%s/msg.yaml", dir);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char label[64];

		snprintf(label, sizeof(label), "YAML message %zu", i + 1);
		if (write_text(path, cases[i].text) == 0)
			expect_failure(path, label, cases[i].line, cases[i].col, cases[i].phrase);
	}
	free(path);
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
		expect_failure(
		    path, "invalid UTF-8", 4, 14,
		    "invalid YAML: byte 0xff cannot start a UTF-8 character; expected UTF-8 "
		    "text");
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

	test_generated_steps(dir);
	test_hosts(dir);
	test_not_regular(dir);
	test_yaml_bounds(dir);
	test_yaml_messages(dir);
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

/* Content sets as mappings: files, previous versions, split/join commands (bisect). */
static void test_content_versions(void)
{
	static const char head[] =
	    "version: 1\n"
	    "images:\n"
	    "  linux: {kind: linux, kernel: files/vmlinuz, initrd: files/initrd.img, disk: "
	    "files/system.qcow2}\n"
	    "sensors:\n"
	    "  v1: {module: files/refsensor-v1.ko}\n"
	    "content:\n"
	    "  march: [{file: files/c291-good.sys, as: a.sys}]\n"
	    "  april:\n"
	    "    files: [{file: files/c291-good.sys, as: a.sys}]\n";
	static const struct {
		const char *text;
		int line, col;
		const char *phrase;
	} bad[] = {
	    {"  july: {files: [{file: files/c291-bad.sys, as: a.sys}], previous: [june]}\n", 10, 69,
	     "'previous' of content 'july' names unknown content set 'june'"},
	    {"  july: {files: [{file: files/c291-bad.sys, as: a.sys}], previous: [july]}\n", 10, 69,
	     "names the set itself"},
	    {"  july: {files: [{file: files/c291-bad.sys, as: a.sys}], previous: [april, april]}\n",
	     10, 76, "names 'april' twice"},
	    {"  july: {files: [{file: files/c291-bad.sys, as: a.sys}], previous: []}\n", 10, 68,
	     "must be a non-empty sequence of content set names"},
	    {"  july: {files: [{file: files/c291-bad.sys, as: a.sys}], split: \"s {in} {outdir}\"}\n",
	     10, 58, "needs both 'split' and 'join', or neither"},
	    {"  july: {files: [{file: files/c291-bad.sys, as: a.sys}], split: \"s {in}\", join: \"j "
	     "{outdir} {out}\"}\n",
	     10, 65, "'split' must contain {outdir}"},
	    {"  july: {previous: [march]}\n", 10, 9, "missing required key 'files'"},
	    {"  july: {files: [], sources: 1}\n", 10, 21, "unknown key 'sources'"},
	};
	char tmpl[] = "/tmp/t-scenario-cv.XXXXXX";
	char *dir = mkdtemp(tmpl), *path, *text, *link;
	struct suite s;
	struct bp_error err = {""};

	if (!tap_ok(dir != NULL, "temporary directory for content versions"))
		return;
	link = xasprintf("%s/files", dir);
	tap_ok(symlink(in_data("files"), link) == 0 || 1, "fixture files linked");
	path = xasprintf("%s/cv.yaml", dir);
	text = xasprintf("%s  july:\n    files: [{file: files/c291-bad.sys, as: a.sys}]\n"
			 "    previous: [march, april]\n"
			 "    split: \"tool split {in} {outdir}\"\n"
			 "    join: \"tool join {outdir} {out}\"\n"
			 "scenarios:\n  - {name: a, image: linux, sensor: v1, content: july, expect: "
			 "crash}\n",
			 head);
	if (write_text(path, text) == 0 &&
	    tap_is_int(suite_load(&s, path, &err), 0, "a content set as a mapping loads")) {
		const struct content_set *july = &s.contents[2];

		tap_ok(s.contents[0].nr_files == 1 && !s.contents[0].nr_previous &&
			       !s.contents[0].split,
		       "a list is still a content set, without versions or commands");
		tap_ok(july->nr_files == 1 && july->nr_previous == 2 &&
			       july->previous[0] == &s.contents[0] &&
			       july->previous[1] == &s.contents[1],
		       "previous versions resolved, oldest first");
		tap_is_str(july->split, "tool split {in} {outdir}", "split command kept");
		tap_is_str(july->join, "tool join {outdir} {out}", "join command kept");
		tap_ok(s.scenarios[0].content == july, "the scenario's set");
		suite_free(&s);
	} else {
		tap_diag(err.msg);
	}
	free(text);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char label[64];

		snprintf(label, sizeof(label), "content versions %zu", i + 1);
		text = xasprintf("%s%sscenarios:\n  - {name: a, image: linux, sensor: v1, expect: "
				 "clean}\n",
				 head, bad[i].text);
		if (write_text(path, text) == 0)
			expect_failure(path, label, bad[i].line, bad[i].col, bad[i].phrase);
		free(text);
	}
	unlink(path);
	unlink(link);
	rmdir(dir);
	free(path);
	free(link);
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
	test_recovery();
	test_steps();
	test_evaluated();
	test_race_windows();
	test_power_off();
	test_bad_fixtures();
	test_rings();
	test_exact_messages();
	test_generated();
	test_content_versions();
	free(data_dir);
	free(data_abs);
	return tap_done();
}
