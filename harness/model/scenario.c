/*
 * scenario - load the suite file (scenarios.yaml) with libyaml's document API
 * and turn it into the validated structures of scenario.h. Nothing is started
 * until the whole file has been checked: every key known, every value of the
 * right type and range, every reference resolved, every file present. The
 * first problem found is reported as "FILE:LINE:COL: message" and the load
 * fails with nothing allocated.
 *
 * Writing scenarios
 * =================
 *
 * A suite file is one YAML document whose top level is a mapping:
 *
 *   version: 1                # required; must be the integer 1
 *   defaults:                 # optional; values every scenario inherits
 *     boots: 3                #   1..1000                       (built-in: 3)
 *     boot_timeout: 60        #   seconds, 1..3600              (built-in: 60)
 *     silence_timeout: 30     #   seconds, 1..3600              (built-in: 30)
 *   images:                   # required, non-empty mapping NAME -> image
 *     linux:
 *       kind: linux           # required; a guest profile's kind (guest.h; the
 *                             #   error lists the known ones)
 *       kernel: build/images/linux/vmlinux      # required file if the profile boots
 *       initrd: build/images/linux/initrd.img   #   a kernel directly; else not allowed
 *       disk: build/images/linux/system.qcow2   # required file (golden, never written)
 *       append: "quiet"       # optional command line; default: the profile's
 *       marker: "up"          # optional boot-complete marker; default: the profile's
 *       memory: 256           # optional, MiB, 64..16384, default 256
 *       backend: libvirt      # optional: qemu (direct) or libvirt; default: the
 *                             #   run's (--backend, else qemu)
 *   sensors:                  # required, non-empty mapping NAME -> sensor
 *     v1:
 *       module: v1/refsensor.ko   # required file: the sensor (e.g. a module under build/)
 *       agent: sensor/agent   # optional file: the sensor's userspace update
 *                             #   agent; both injected where the image's
 *                             #   profile says (sensor_path, agent_path)
 *       evaluated: "refsensor: /proc/refsensor/load#[0-9]+: [0-9]+ instances: "
 *                             # optional: the console line the sensor prints
 *                             #   once it has loaded and evaluated a pushed
 *                             #   file (a POSIX extended regular expression,
 *                             #   no back-references); a live push is then
 *                             #   clean as soon as it came for each file
 *   content:                  # optional mapping NAME -> non-empty list of files
 *     good-291:
 *       - file: build/content/c291-good.sys     # required file
 *         as: C-00000291-00000000-00000001.sys  # required guest file name
 *     bad-291:                # or a mapping, for `bootproof bisect`:
 *       files: [{file: build/content/c291-bad.sys, as: C-...-00000032.sys}]  # required
 *       previous: [good-291]  # optional: earlier versions (content set names),
 *                             #   oldest first (bisect --last-good)
 *       split: "tool split {in} {outdir}"  # optional, both or neither: commands
 *       join: "tool join {outdir} {out}"   #   (words, no shell) that cut a file of
 *                             #   another format into pieces and put some back
 *   scenarios:                # required, non-empty sequence
 *     - name: good-291-v1     # required, unique
 *       image: linux          # required, a name from 'images'
 *       sensor: v1            # required, a name from 'sensors', or a non-empty
 *                             #   sequence of them (the matrix, see below)
 *       content: good-291     # optional, a name from 'content', deployed offline
 *                             #   before the first boot; none if absent
 *       boots: 3              # optional; else defaults.boots     (not with 'steps')
 *       expect: clean         # required without 'steps': clean | crash | hang
 *                             #   | recovery (with 'recovery: true')
 *                             #   (not with 'steps')
 *       title: refsensor_eval # optional, only with 'expect: crash': the crash
 *                             #   title must contain this text     (not with 'steps')
 *       log_contains: "refsensor: content error"  # optional: every boot's
 *                             #   serial log must contain this text
 *       boot_timeout: 60      # optional; else defaults.boot_timeout
 *       silence_timeout: 30   # optional; else defaults.silence_timeout
 *       settle_ms: 1000       # optional, 0..600000 (default 1000): after a live
 *                             #   push is answered, clean once this passed
 *                             #   without a crash; with the sensor's
 *                             #   'evaluated' line, clean when that line came
 *                             #   for each pushed file, and this is the
 *                             #   longest wait for it (then the trial fails)
 *       append: "rcupdate.rcu_cpu_stall_timeout=300"  # optional: added to the
 *                             #   image's kernel command line for this scenario
 *       race:                 # optional: the update race, delays for the guest's
 *         agent_delay_ms: 0   #   update agent and the sensor (the profile says how
 *         sensor_delay_ms: 3000  # they reach the guest); each 0..600000, at least one;
 *                             #   or a range "0-4000": each trial draws its value
 *                             #   (the session's seed, recorded in results.json)
 *       recovery: true        # optional, Windows images: the boot entry's recovery
 *                             #   on (true) or off (false), offline before the
 *                             #   first boot; with it on a boot may end at the
 *                             #   recovery screen, outcome 'recovery'
 *       steps:                # optional, instead of boots/expect/title: a
 *                             #   non-empty sequence of steps, run in order
 *
 * Steps (a rollback test) - each step is a mapping with exactly one key, the
 * step kind:
 *
 *   steps:
 *     - boot: {expect: crash, title: "refsensor_eval"}  # 'count' boots (1..1000,
 *                             #   default 1), each clean | crash | hang; 'title'
 *                             #   only with 'expect: crash'
 *     - boot: {count: 2, expect: clean}
 *     - deploy: {content: bad-291, mode: live}  # a name from 'content'; mode
 *                             #   offline (default: into the disk, VM off) or
 *                             #   live (pushed into the running guest at the
 *                             #   next boot; a later step must boot)
 *     - rollback: good-291    # or {content: good-291}: publish the content on
 *                             #   the update channel for every later boot
 *     - reboot_until_clean: {max_boots: 15}  # or 'reboot_until_clean: 15';
 *                             #   1..1000; records whether the guest recovered
 *     - expect_files:         # checked offline after shutdown; 'present',
 *         present: ["/DIR/quarantine/C-00000291-*.sys"]  # 'absent' or
 *         absent: ["/DIR/content/C-00000291-00000000-00000032.sys"]  # both
 *     - remediate: {delete: ["/DIR/content/C-00000291*.sys"], when: not_recovered}
 *                             #   offline delete (the rescue-VM procedure);
 *                             #   when: always (default) | not_recovered
 *     - clean_boots: 3        # or {count: 3}: 1..1000 consecutive clean boots
 *     - power_off: {at: "refsensor-agent: fault point", append: "bootproof.agent_fault=switch"}
 *                             #   or 'power_off: TEXT': one boot, QEMU killed
 *                             #   (a hard power-off) as soon as a console line
 *                             #   contains TEXT; 'append' is added to the
 *                             #   kernel command line of that boot only
 *     - soak: {boots: 20}     # exactly one of 'boots' (that many clean boots)
 *     - soak: {pushes: 50, content: good-291, duration: 5m}  # and 'pushes'
 *                             #   (one boot, 'content' pushed live that many
 *                             #   times; 'content' only here, and required);
 *                             #   1..10000; 'duration' (optional, 1s..24h:
 *                             #   seconds or N with s, m, h) ends it early;
 *                             #   the guest's memory figures after each
 *
 * Rings (a staged rollout), optional, after 'scenarios':
 *
 *   rings:                    # a non-empty sequence, ring 0 first
 *     - name: canary          # required, a name as above, unique
 *       scenarios: [good-291-v1]  # required, non-empty: each entry selects
 *                             #   scenarios as `run NAME` does (a name, or a
 *                             #   base name for all its matrix entries); a
 *                             #   scenario in one ring at most, and once
 *
 * A scenario in no ring is not run by `run` unless named (validate warns).
 *
 * The libvirt host pool, optional (`run --host` replaces it whole):
 *
 *   hosts:                    # a non-empty sequence, at most 1000
 *     - qemu+ssh://vm1/system # a URI alone: one slot
 *     - {uri: "qemu+ssh://vm2/system", slots: 4}  # slots 1..64 (default 1)
 *                             #   no URI twice (a trailing '/' makes no
 *                             #   other host); `run` refuses them when no
 *                             #   image boots on libvirt
 *     - {uri: "qemu:///system", disks: upload}  # disks: shared | upload
 *                             #   (default: by the URI, hostpool_uploads())
 *
 * A scenario without 'steps' is one 'boot' step of 'boots' boots expecting
 * 'expect' (and 'title'), reported at the scenario's position.
 *
 * Guest paths ('expect_files', 'remediate') are absolute paths on the
 * guest's disk. Where the sensor, its agent and the content files are is
 * the image's guest profile's (guest.h: sensor_path, agent_path,
 * content_dir); '/DIR' above stands for the directory it names.
 *
 * Rules:
 *
 *  - Unknown keys are errors at every level, and so is a key given twice.
 *    Merge keys ('<<') are not supported; put shared values under 'defaults'.
 *  - Names of images, sensors, content sets and scenarios are 1 to 255
 *    characters from [A-Za-z0-9._-], and not "." or "..".
 *  - Integers are plain decimal YAML integers ("3", "+3"); "3.5", "0x3",
 *    "true", a quoted "3" or an empty value are rejected.
 *  - Strings are scalars (quoted or not); a mapping, a sequence or an empty
 *    value (null, ~) where a string is expected is an error. Strings must not
 *    be empty (except an image's 'append') and must not contain NUL characters.
 *  - File paths are relative to the directory of the suite file unless they
 *    start with '/'. They are stored absolute: the suite directory (with
 *    symbolic links resolved) joined with the path, "." components and
 *    repeated slashes dropped, ".." kept. Each must name an existing regular
 *    file (symbolic links are followed) that the running user can open for
 *    reading, checked by opening it: not a directory, FIFO, device or
 *    socket. Module, agent and content files are at most 256 MiB, kernel
 *    and initrd at most 2 GiB; the disk has no limit. Content used by a
 *    'rollback' or a live 'deploy' must also fit the update channel (at most
 *    256 files of 1 MiB, 8 MiB a set).
 *  - 'as' is a plain file name: no '/', not "." or "..", at most 255 bytes;
 *    the names within one content set are distinct.
 *  - A scenario whose 'sensor' is a sequence is expanded into one scenario
 *    per sensor, in list order, named "NAME/SENSOR"; all other fields are
 *    shared. Declared names must be unique, and so must the expanded names
 *    (so a sensor may appear only once in a list).
 *  - Anchors and aliases are supported as libyaml resolves them (for example
 *    `sensor: &all [v1, v2]` then `sensor: *all`); an error inside an aliased
 *    node is reported at the place where the anchored node is written.
 *  - A file with more than one YAML document is rejected.
 *  - Steps: at most 1000 per scenario, at least one of them booting (boot,
 *    reboot_until_clean, clean_boots, power_off); a live deploy needs a booting step
 *    after it. Guest paths and globs (present, absent, delete) are absolute,
 *    without '..' components, at most 4095 bytes, 1 to 64 per list.
 *  - With 'steps', 'boots', 'expect' and 'title' are errors (expectations
 *    belong in the steps); 'log_contains' applies to every boot of the steps.
 *  - Bounds, so that no file makes loading slow: the suite file is a regular
 *    file of at most 1 MiB; sequences and mappings nest at most 64 deep; at
 *    most 1000 anchors; at most 1000 images, sensors and content sets each;
 *    at most 10000 file references checked and 10000 scenarios after matrix
 *    expansion; at most 1000000 steps and guest paths in all, counting every
 *    copy an alias or a sensor list makes.
 *
 * Errors read "FILE:LINE:COL: message", FILE as given to suite_load(), LINE
 * and COL 1-based. They point at the offending value; at the key for an
 * unknown or repeated key and for a key with an empty value; at the first key
 * of a mapping that lacks a required key; at 1:1 for an empty file. YAML
 * syntax errors carry libyaml's position (the offending character; the end
 * of the file for what runs past it) and, for the common ones, say what was
 * expected instead of libyaml's wording; bytes that are not UTF-8 are named.
 * Only the first problem is reported. A suite path that cannot be read
 * gives "cannot load suite: 'PATH' does not exist" (or what it is instead).
 */
#define _GNU_SOURCE
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "guest.h"
#include "hostpool.h"
#include "update.h"

#define DEFAULT_BOOTS 3
#define DEFAULT_BOOT_TIMEOUT 60
#define DEFAULT_SILENCE_TIMEOUT 30
#define DEFAULT_SETTLE_MS 1000
#define DEFAULT_MEMORY_MIB 256

#define NAME_MAX_LEN 255
/* Steps: boots per step, steps per scenario, guest paths per list, race delays. */
#define STEP_BOOTS_MAX 1000
#define STEPS_MAX 1000
#define GUEST_PATHS_MAX 64
#define DELAY_MS_MAX 600000
/* A soak: boots or pushes, and its time bound (24 h). */
#define SOAK_MAX 10000
#define SOAK_DURATION_MAX (24 * 3600)
/* A sensor's 'evaluated' pattern: its length, and the interval counts it may add up to. */
#define REGEX_LEN_MAX 1024
#define REGEX_REPEAT_MAX 255
/* Longest piece of suite text quoted in a message. */
#define SHOW_MAX 200
/*
 * Bounds that keep loading fast whatever the file says: libyaml's scanner
 * is quadratic in nesting depth and its loader in the number of anchors,
 * and aliases and sensor matrices copy whole step lists.
 */
#define SUITE_SIZE_MAX (1024 * 1024)
#define NESTING_MAX 64
#define ANCHORS_MAX 1000
#define SECTION_MAX 1000       /* images, sensors or content sets */
#define FILE_CHECKS_MAX 10000  /* file references checked, aliases counted */
#define SCENARIOS_MAX 10000    /* after matrix expansion */
#define STEP_UNITS_MAX 1000000 /* steps and guest paths, after aliases and expansion */
/* Files the harness reads or copies itself (module, agent, content), and kernel and initrd. */
#define READ_FILE_MAX ((int64_t)256 << 20)
#define BOOT_FILE_MAX ((int64_t)2 << 30)

const char *outcome_name(enum outcome o)
{
	switch (o) {
	case OUTCOME_CLEAN:
		return "clean";
	case OUTCOME_CRASH:
		return "crash";
	case OUTCOME_HANG:
		return "hang";
	case OUTCOME_INFRA:
		return "infra";
	case OUTCOME_RECOVERY:
		return "recovery";
	case OUTCOME_NONE:
		break;
	}
	return NULL;
}

/* A name and where it was written, to report "first at LINE:COL". */
struct name_at {
	const char *name;
	yaml_mark_t mark;
};

struct parse {
	const char *file;	   /* as given, the prefix of every message */
	const struct strbuf *text; /* the file's bytes */
	yaml_document_t *doc;
	struct suite *suite;
	struct bp_error *err;
	/* the name-keyed sections, for references; NULL if absent */
	const yaml_node_t *images, *sensors, *contents;
	/* values of 'defaults', or the built-in ones */
	int boots, boot_timeout, silence_timeout;
	/* declared scenario names (borrowed from doc) */
	struct name_at *declared;
	size_t nr_declared, alloc_declared;
	/* where each entry of suite->scenarios was named */
	yaml_mark_t *marks;
	size_t alloc_marks, alloc_scenarios;
	/* work done so far, against the bounds above */
	size_t nr_file_checks, step_units;
};

/* The mark (line and character column) of byte offset off, for reader errors. */
static yaml_mark_t offset_mark(const struct strbuf *text, size_t off)
{
	yaml_mark_t mark = {0, 0, 0};

	if (off > text->len)
		off = text->len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)text->buf[i];

		/* libyaml's line breaks: LF, CR, CR LF, and U+0085, U+2028, U+2029. */
		if (c == '\n' || (c == '\r' && (i + 1 >= off || text->buf[i + 1] != '\n')) ||
		    (i + 1 < off && c == 0xc2 && (unsigned char)text->buf[i + 1] == 0x85) ||
		    (i + 2 < off && c == 0xe2 && text->buf[i + 1] == '\x80' &&
		     (text->buf[i + 2] == '\xa8' || text->buf[i + 2] == '\xa9')))
			mark.line++, mark.column = 0;
		else if ((c & 0xc0) != 0x80 && c != '\r')
			mark.column++;
	}
	return mark;
}

/*
 * libyaml places the end of the stream on a line after the last one when the
 * file does not end with a line break: report such marks at the real end.
 */
static yaml_mark_t clamp_mark(const struct strbuf *text, yaml_mark_t mark)
{
	yaml_mark_t end;

	if (!text)
		return mark;
	end = offset_mark(text, text->len);
	if (mark.line > end.line || (mark.line == end.line && mark.column > end.column))
		return end;
	return mark;
}

__attribute__((format(printf, 3, 0))) static int vfail_at(struct parse *p, yaml_mark_t mark,
							  const char *fmt, va_list ap)
{
	char msg[sizeof(p->err->msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	mark = clamp_mark(p->text, mark);
	return error_set(p->err, "%s:%zu:%zu: %s", p->file, mark.line + 1, mark.column + 1, msg);
}

__attribute__((format(printf, 3, 4))) static int fail_at(struct parse *p, yaml_mark_t mark,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, mark, fmt, ap);
	va_end(ap);
	return -1;
}

/* Report a problem at node's position. */
__attribute__((format(printf, 3, 4))) static int fail(struct parse *p, const yaml_node_t *node,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p, node->start_mark, fmt, ap);
	va_end(ap);
	return -1;
}

#ifdef __clang_analyzer__
/* clang's analyzer does not step into variadic functions: these return -1 (make lint). */
#define fail_at(...) (fail_at(__VA_ARGS__), -1)
#define fail(...) (fail(__VA_ARGS__), -1)
#endif

static yaml_node_t *node_at(struct parse *p, int index)
{
	return yaml_document_get_node(p->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Plain "", "~" and "null" are YAML's null; a quoted "" is an empty string. */
static int is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = scalar(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/*
 * Copy suite text into buf for a message: control characters escaped so a
 * message cannot drive the terminal, cut at buf's size with "...".
 */
static const char *show(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		size_t n;

		if (c < 0x20 || c == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			esc[0] = (char)c, n = 1;
		if (o + n + 4 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}

static const char *show_scalar(const yaml_node_t *n, char *buf, size_t size)
{
	return show(scalar(n), n->data.scalar.length, buf, size);
}

/* What a node is, for "got ..." in messages. */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
	char v[SHOW_MAX];

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a sequence";
	if (is_null(n))
		return *scalar(n) ? "null" : "no value";
	show_scalar(n, v, sizeof(v));
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		snprintf(buf, size, "'%s'", v);
	else
		snprintf(buf, size, "the quoted string '%s'", v);
	return buf;
}

/* ---- mappings with a fixed set of keys ---- */

enum { OPTIONAL = 0, REQUIRED = 1 };

struct field {
	const char *name;
	int required;
	yaml_node_t *key;   /* set by map_read() if present */
	yaml_node_t *value; /* set by map_read() if present */
};

#define FIELD(name_, required_)                                                                    \
	{                                                                                          \
		.name = (name_), .required = (required_)                                           \
	}

/* Where to point for a problem with f's value: an empty value has no useful position. */
static const yaml_node_t *where(const struct field *f)
{
	return is_null(f->value) ? f->key : f->value;
}

/* A mapping key must be a plain string; merge keys are called out. */
static int check_key(struct parse *p, const yaml_node_t *key)
{
	char d[SHOW_MAX + 32];

	if (key->type != YAML_SCALAR_NODE)
		return fail(p, key, "a key must be a string, got %s", describe(key, d, sizeof(d)));
	if (key->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(scalar(key), "<<"))
		return fail(p, key,
			    "merge keys ('<<') are not supported; write the keys out, or put "
			    "shared values under 'defaults'");
	return 0;
}

/* node must be a mapping; what names it for the message. */
static int check_mapping(struct parse *p, const yaml_node_t *node, const struct field *f,
			 const char *what)
{
	char d[SHOW_MAX + 32];

	if (node->type == YAML_MAPPING_NODE)
		return 0;
	return fail(p, f && is_null(node) ? f->key : node, "%s must be a mapping, got %s", what,
		    describe(node, d, sizeof(d)));
}

static int unknown_key(struct parse *p, const yaml_node_t *key, const char *what,
		       const struct field *fields, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	char k[SHOW_MAX];

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", fields[i].name);
	fail(p, key, "unknown key '%s' in %s; expected one of: %s", show_scalar(key, k, sizeof(k)),
	     what, sb.buf);
	strbuf_release(&sb);
	return -1;
}

/*
 * Read the mapping `map` (called `what` in messages) into fields: every key
 * must be one of fields[].name, at most once, and every required one present.
 */
static int map_read(struct parse *p, yaml_node_t *map, const char *what, struct field *fields,
		    size_t n)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = node_at(p, pair->key);
		struct field *f = NULL;
		char k[SHOW_MAX];

		if (check_key(p, key) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (strlen(fields[i].name) == key->data.scalar.length &&
			    !strcmp(fields[i].name, scalar(key)))
				f = &fields[i];
		if (!f)
			return unknown_key(p, key, what, fields, n);
		if (f->key)
			return fail(p, key,
				    "duplicate key '%s' in %s (first at %zu:%zu); each key may "
				    "appear only once",
				    show_scalar(key, k, sizeof(k)), what,
				    f->key->start_mark.line + 1, f->key->start_mark.column + 1);
		f->key = key;
		f->value = node_at(p, pair->value);
	}
	for (size_t i = 0; i < n; i++)
		if (fields[i].required && !fields[i].key)
			return fail(p, map, "missing required key '%s' in %s", fields[i].name,
				    what);
	return 0;
}

/* ---- scalar values ---- */

/* f's value as a string borrowed from the document. */
static int get_str(struct parse *p, const struct field *f, int allow_empty, const char **ret)
{
	const yaml_node_t *v = f->value;
	char d[SHOW_MAX + 32];

	if (v->type != YAML_SCALAR_NODE || is_null(v))
		return fail(p, where(f), "'%s' must be a string, got %s", f->name,
			    describe(v, d, sizeof(d)));
	if (memchr(scalar(v), '\0', v->data.scalar.length))
		return fail(p, v, "'%s' must not contain a NUL character", f->name);
	if (!allow_empty && !v->data.scalar.length)
		return fail(p, v, "'%s' must not be empty", f->name);
	*ret = scalar(v);
	return 0;
}

static int get_strdup(struct parse *p, const struct field *f, int allow_empty, char **ret)
{
	const char *s;

	if (get_str(p, f, allow_empty, &s) < 0)
		return -1;
	*ret = xstrdup(s);
	return 0;
}

/* A plain decimal integer in [min, max]. */
static int get_int(struct parse *p, const struct field *f, int min, int max, int *ret)
{
	const yaml_node_t *v = f->value;
	const char *s, *digits;
	char d[SHOW_MAX + 32];
	long long n = 0;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		goto bad;
	s = scalar(v);
	digits = s + (*s == '+' || *s == '-');
	/* At most 10 digits, so n cannot overflow. */
	if (!*digits || strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 10)
		goto bad;
	for (const char *c = digits; *c; c++)
		n = n * 10 + (*c - '0');
	if (*s == '-')
		n = -n;
	if (n < min || n > max)
		goto bad;
	*ret = (int)n;
	return 0;
bad:
	return fail(p, where(f), "'%s' must be an integer from %d to %d, got %s", f->name, min, max,
		    describe(v, d, sizeof(d)));
}

/* A plain `true` or `false` (YAML 1.2 core schema), nothing else. */
static int get_bool(struct parse *p, const struct field *f, int *ret)
{
	const yaml_node_t *v = f->value;
	char d[SHOW_MAX + 32];

	if (v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!strcmp(scalar(v), "true") || !strcmp(scalar(v), "false"))) {
		*ret = !strcmp(scalar(v), "true");
		return 0;
	}
	return fail(p, where(f), "'%s' must be true or false, got %s", f->name,
		    describe(v, d, sizeof(d)));
}

/* [A-Za-z0-9._-]{1,255}, not "." or "..". */
static int valid_name(const char *s, size_t len)
{
	static const char ok[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

	if (!len || len > NAME_MAX_LEN || strspn(s, ok) != len)
		return 0;
	return strcmp(s, ".") && strcmp(s, "..");
}

/* node names a new image, sensor, content set or scenario (kind). */
static int check_name(struct parse *p, const yaml_node_t *node, const char *kind)
{
	char v[SHOW_MAX];

	if (valid_name(scalar(node), node->data.scalar.length))
		return 0;
	return fail(p, node,
		    "invalid %s name '%s'; expected 1 to %d characters from A-Z, a-z, 0-9, '.', "
		    "'_' and '-', not '.' or '..'",
		    kind, show_scalar(node, v, sizeof(v)), NAME_MAX_LEN);
}

/*
 * dir joined with rel (or rel alone if absolute), "." components and repeated
 * slashes dropped; ".." is kept, since removing it is only right without
 * symbolic links.
 */
static char *path_join(const char *dir, const char *rel)
{
	struct strbuf sb = STRBUF_INIT;
	const char *parts[2] = {rel[0] == '/' ? "" : dir, rel};

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		const char *s = parts[i];

		while (*s) {
			size_t n = strcspn(s, "/");

			if (n && !(n == 1 && s[0] == '.')) {
				strbuf_addch(&sb, '/');
				strbuf_add(&sb, s, n);
			}
			s += n + (s[n] == '/');
		}
	}
	if (!sb.len)
		strbuf_addch(&sb, '/');
	return strbuf_detach(&sb);
}

/*
 * f's value as an absolute path to an existing, readable regular file of at
 * most max_size bytes (-1: any size). It is opened once here, so a file the
 * harness could not read fails now, at its key, and not as 'infra' later.
 */
static int get_path(struct parse *p, const struct field *f, int64_t max_size, char **ret)
{
	const char *rel;
	char v[SHOW_MAX], where_[PATH_MAX + 32] = "";
	struct bp_error why;
	char *path;
	int fd;

	if (get_str(p, f, 0, &rel) < 0)
		return -1;
	if (++p->nr_file_checks > FILE_CHECKS_MAX)
		return fail(p, f->value,
			    "more than %d file references to check (aliases copy them); expected "
			    "fewer files",
			    FILE_CHECKS_MAX);
	if (rel[0] != '/')
		snprintf(where_, sizeof(where_), " (relative to %s)", p->suite->dir);
	show(rel, strlen(rel), v, sizeof(v));
	path = path_join(p->suite->dir, rel);
	fd = open_regular(path, max_size, &why);
	if (fd < 0) {
		free(path);
		return fail(p, f->value, "file '%s' %s%s", v, why.msg, where_);
	}
	close(fd);
	*ret = path;
	return 0;
}

/* ---- the sections ---- */

static int parse_defaults(struct parse *p, const struct field *section)
{
	enum { F_BOOTS, F_BOOT_TIMEOUT, F_SILENCE_TIMEOUT, F_N };
	struct field f[F_N] = {
	    [F_BOOTS] = FIELD("boots", OPTIONAL),
	    [F_BOOT_TIMEOUT] = FIELD("boot_timeout", OPTIONAL),
	    [F_SILENCE_TIMEOUT] = FIELD("silence_timeout", OPTIONAL),
	};

	if (check_mapping(p, section->value, section, "'defaults'") < 0 ||
	    map_read(p, section->value, "defaults", f, F_N) < 0)
		return -1;
	if (f[F_BOOTS].key && get_int(p, &f[F_BOOTS], 1, 1000, &p->boots) < 0)
		return -1;
	if (f[F_BOOT_TIMEOUT].key && get_int(p, &f[F_BOOT_TIMEOUT], 1, 3600, &p->boot_timeout) < 0)
		return -1;
	if (f[F_SILENCE_TIMEOUT].key &&
	    get_int(p, &f[F_SILENCE_TIMEOUT], 1, 3600, &p->silence_timeout) < 0)
		return -1;
	return 0;
}

/*
 * A mapping NAME -> definition (images, sensors, content): check the section
 * is a non-empty (unless may_be_empty) mapping with valid, distinct names.
 * Returns the number of entries or -1.
 */
static long named_section(struct parse *p, const struct field *section, const char *kind,
			  int may_be_empty)
{
	yaml_node_t *map = section->value;
	yaml_node_pair_t *start, *top;
	char what[64];

	snprintf(what, sizeof(what), "'%s'", section->name);
	if (check_mapping(p, map, section, what) < 0)
		return -1;
	start = map->data.mapping.pairs.start;
	top = map->data.mapping.pairs.top;
	if (start == top && !may_be_empty)
		return fail(p, map, "'%s' must define at least one %s", section->name, kind);
	if (top - start > SECTION_MAX)
		return fail(p, node_at(p, start[SECTION_MAX].key),
			    "'%s' defines more than %d entries; at most %d are allowed",
			    section->name, SECTION_MAX, SECTION_MAX);
	for (yaml_node_pair_t *a = start; a < top; a++) {
		yaml_node_t *key = node_at(p, a->key);
		char k[SHOW_MAX];

		if (check_key(p, key) < 0 || check_name(p, key, kind) < 0)
			return -1;
		for (yaml_node_pair_t *b = start; b < a; b++) {
			yaml_node_t *prev = node_at(p, b->key);

			if (!strcmp(scalar(prev), scalar(key)))
				return fail(p, key,
					    "duplicate %s '%s' in '%s' (first at %zu:%zu); each "
					    "key may appear only once",
					    kind, show_scalar(key, k, sizeof(k)), section->name,
					    prev->start_mark.line + 1, prev->start_mark.column + 1);
		}
	}
	return top - start;
}

/* img->kind names a guest profile; its machine decides whether kernel and initrd are needed. */
static int image_guest(struct parse *p, const yaml_node_t *map, struct field *f, const char *what,
		       struct image *img)
{
	struct strbuf kinds = STRBUF_INIT;
	char v[SHOW_MAX];
	int ret = 0;

	img->guest = guest_profile_find(img->kind);
	if (!img->guest) {
		guest_profile_kinds(&kinds);
		ret = fail(p, f->value, "unknown image kind '%s'; expected %s",
			   show(img->kind, strlen(img->kind), v, sizeof(v)), kinds.buf);
		strbuf_release(&kinds);
		return ret;
	}
	/* A direct kernel boot needs both; a disk boot would silently ignore them. */
	for (int i = 1; i <= 2; i++) {
		if (img->guest->machine.direct_kernel && !f[i].key)
			return fail(p, map, "missing required key '%s' in %s", f[i].name, what);
		if (!img->guest->machine.direct_kernel && f[i].key)
			return fail(p, f[i].key, "'%s' is not used by kind '%s' (it boots from its disk)",
				    f[i].name, img->guest->kind);
	}
	return 0;
}

static int parse_image(struct parse *p, yaml_node_t *key, yaml_node_t *value, struct image *img)
{
	/* F_KERNEL and F_INITRD follow F_KIND: image_guest() checks them by index. */
	enum { F_KIND, F_KERNEL, F_INITRD, F_DISK, F_APPEND, F_MARKER, F_MEMORY, F_BACKEND, F_N };
	struct field f[F_N] = {
	    [F_KIND] = FIELD("kind", REQUIRED),	    [F_KERNEL] = FIELD("kernel", OPTIONAL),
	    [F_INITRD] = FIELD("initrd", OPTIONAL), [F_DISK] = FIELD("disk", REQUIRED),
	    [F_APPEND] = FIELD("append", OPTIONAL), [F_MARKER] = FIELD("marker", OPTIONAL),
	    [F_MEMORY] = FIELD("memory", OPTIONAL), [F_BACKEND] = FIELD("backend", OPTIONAL),
	};
	struct field self = {.name = scalar(key), .key = key, .value = value};
	char what[NAME_MAX_LEN + 16];

	img->name = xstrdup(scalar(key));
	snprintf(what, sizeof(what), "image '%s'", img->name);
	if (check_mapping(p, value, &self, what) < 0 || map_read(p, value, what, f, F_N) < 0 ||
	    get_strdup(p, &f[F_KIND], 0, &img->kind) < 0 ||
	    image_guest(p, value, f, what, img) < 0)
		return -1;
	if ((f[F_KERNEL].key && get_path(p, &f[F_KERNEL], BOOT_FILE_MAX, &img->kernel) < 0) ||
	    (f[F_INITRD].key && get_path(p, &f[F_INITRD], BOOT_FILE_MAX, &img->initrd) < 0) ||
	    get_path(p, &f[F_DISK], -1, &img->disk) < 0)
		return -1;
	if (f[F_APPEND].key) {
		if (get_strdup(p, &f[F_APPEND], 1, &img->append) < 0)
			return -1;
	} else {
		img->append = xstrdup(img->guest->default_append);
	}
	if (f[F_MARKER].key) {
		if (get_strdup(p, &f[F_MARKER], 0, &img->marker) < 0)
			return -1;
	} else {
		img->marker = xstrdup(img->guest->default_marker);
	}
	img->memory_mib = DEFAULT_MEMORY_MIB;
	if (f[F_MEMORY].key && get_int(p, &f[F_MEMORY], 64, 16384, &img->memory_mib) < 0)
		return -1;
	if (f[F_BACKEND].key) {
		char v[64];

		if (get_strdup(p, &f[F_BACKEND], 0, &img->backend) < 0)
			return -1;
		if (strcmp(img->backend, "qemu") && strcmp(img->backend, "libvirt"))
			return fail(p, f[F_BACKEND].value,
				    "unknown backend '%s' in %s; expected 'qemu' or 'libvirt'",
				    show(img->backend, strlen(img->backend), v, sizeof(v)), what);
	}
	return 0;
}

static int parse_images(struct parse *p, const struct field *section)
{
	struct suite *s = p->suite;
	yaml_node_pair_t *pair;
	long n = named_section(p, section, "image", 0);

	if (n < 0)
		return -1;
	p->images = section->value;
	s->images = xcalloc((size_t)n, sizeof(*s->images));
	s->nr_images = (size_t)n;
	pair = section->value->data.mapping.pairs.start;
	for (size_t i = 0; i < s->nr_images; i++, pair++)
		if (parse_image(p, node_at(p, pair->key), node_at(p, pair->value), &s->images[i]) <
		    0)
			return -1;
	return 0;
}

/*
 * What makes glibc's regcomp() slow or its matcher exponential, found in a
 * pattern before it is compiled (NULL: none): back-references, and interval
 * expressions ({m,n}) beyond REGEX_REPEAT_MAX in all or on a group (each
 * interval copies its atom: "(a{1,255}){1,255}" takes seconds to compile).
 */
static const char *regex_too_costly(const char *s, char *why, size_t size)
{
	long repeats = 0;

	if (strlen(s) > REGEX_LEN_MAX)
		return snprintf(why, size, "longer than %d bytes", REGEX_LEN_MAX), why;
	for (const char *c = s; *c; c++) {
		if (*c == '\\' && c[1] >= '1' && c[1] <= '9')
			return snprintf(why, size, "a back-reference ('\\%c')", c[1]), why;
		if (*c == '\\' && c[1]) {
			c++;
		} else if (*c == '[') { /* a bracket expression: ']' first is a member */
			c += 1 + (c[1] == '^');
			c += *c == ']';
			while (*c && *c != ']')
				c++;
			if (!*c)
				break;
		} else if (*c == '{' && c > s) {
			char *end;
			long n = strtol(c + 1, &end, 10); /* {m}, {m,}: m copies; {m,n}: n */

			if (*end == ',' && end[1] != '}')
				n = strtol(end + 1, &end, 10);
			if (c[-1] == ')')
				return snprintf(why, size, "an interval expression on a group"), why;
			repeats += n < 0 ? 0 : n;
			if (repeats > REGEX_REPEAT_MAX)
				return snprintf(why, size, "interval expressions counting over %d in all",
						REGEX_REPEAT_MAX),
				       why;
		}
	}
	return NULL;
}

/*
 * A regular expression matched against untrusted console lines: compiled
 * here, so a bad one is the suite's error, and refused when it could make
 * loading or matching slow (regex_too_costly()).
 */
static int get_regex(struct parse *p, const struct field *f, char **ret_text, regex_t **ret)
{
	const char *s;
	char why[128];
	regex_t *re;
	int r;

	if (get_str(p, f, 0, &s) < 0)
		return -1;
	if (regex_too_costly(s, why, sizeof(why)))
		return fail(p, f->value,
			    "'%s' must not have %s; expected a plain POSIX extended regular "
			    "expression",
			    f->name, why);
	re = xcalloc(1, sizeof(*re));
	r = regcomp(re, s, REG_EXTENDED | REG_NOSUB);
	if (r) {
		char msg[128];

		regerror(r, re, msg, sizeof(msg));
		free(re);
		return fail(p, f->value,
			    "'%s' is not a valid POSIX extended regular expression: %s", f->name,
			    msg);
	}
	*ret_text = xstrdup(s);
	*ret = re;
	return 0;
}

static int parse_sensor(struct parse *p, yaml_node_t *key, yaml_node_t *value, struct sensor *sn)
{
	enum { F_MODULE, F_AGENT, F_EVALUATED, F_N };
	struct field f[F_N] = {[F_MODULE] = FIELD("module", REQUIRED),
			       [F_AGENT] = FIELD("agent", OPTIONAL),
			       [F_EVALUATED] = FIELD("evaluated", OPTIONAL)};
	struct field self = {.name = scalar(key), .key = key, .value = value};
	char what[NAME_MAX_LEN + 16];

	sn->name = xstrdup(scalar(key));
	snprintf(what, sizeof(what), "sensor '%s'", sn->name);
	if (check_mapping(p, value, &self, what) < 0 || map_read(p, value, what, f, F_N) < 0)
		return -1;
	if (f[F_AGENT].key && get_path(p, &f[F_AGENT], READ_FILE_MAX, &sn->agent) < 0)
		return -1;
	if (f[F_EVALUATED].key &&
	    get_regex(p, &f[F_EVALUATED], &sn->evaluated, &sn->evaluated_re) < 0)
		return -1;
	return get_path(p, &f[F_MODULE], READ_FILE_MAX, &sn->module);
}

static int parse_sensors(struct parse *p, const struct field *section)
{
	struct suite *s = p->suite;
	yaml_node_pair_t *pair;
	long n = named_section(p, section, "sensor", 0);

	if (n < 0)
		return -1;
	p->sensors = section->value;
	s->sensors = xcalloc((size_t)n, sizeof(*s->sensors));
	s->nr_sensors = (size_t)n;
	pair = section->value->data.mapping.pairs.start;
	for (size_t i = 0; i < s->nr_sensors; i++, pair++)
		if (parse_sensor(p, node_at(p, pair->key), node_at(p, pair->value),
				 &s->sensors[i]) < 0)
			return -1;
	return 0;
}

/* A guest file name: no '/', not "." or "..", 1..255 bytes. */
static int check_as(struct parse *p, const struct field *f, const char *as)
{
	char v[SHOW_MAX];
	size_t len = strlen(as);

	if (len <= NAME_MAX_LEN && !strchr(as, '/') && strcmp(as, ".") && strcmp(as, ".."))
		return 0;
	return fail(p, f->value,
		    "'as' must be a plain file name (no '/', not '.' or '..', at most %d bytes), "
		    "got '%s'",
		    NAME_MAX_LEN, show(as, len, v, sizeof(v)));
}

/* The list of files of content set cs (a sequence node; what names the set). */
static int parse_content_files(struct parse *p, const yaml_node_t *key, yaml_node_t *value,
			       const char *what, struct content_set *cs)
{
	yaml_node_item_t *item;
	char d[SHOW_MAX + 32];
	yaml_mark_t *as_marks;
	int ret = -1;

	if (value->type != YAML_SEQUENCE_NODE ||
	    value->data.sequence.items.start == value->data.sequence.items.top)
		return fail(p, is_null(value) ? key : value,
			    "%s must be a non-empty sequence of files ('- file: ...' and 'as: "
			    "...'), got %s",
			    what,
			    value->type == YAML_SEQUENCE_NODE ? "an empty sequence"
							      : describe(value, d, sizeof(d)));
	cs->nr_files = (size_t)(value->data.sequence.items.top - value->data.sequence.items.start);
	cs->files = xcalloc(cs->nr_files, sizeof(*cs->files));
	as_marks = xcalloc(cs->nr_files, sizeof(*as_marks));
	item = value->data.sequence.items.start;
	for (size_t i = 0; i < cs->nr_files; i++, item++) {
		enum { F_FILE, F_AS, F_N };
		struct field f[F_N] = {
		    [F_FILE] = FIELD("file", REQUIRED), [F_AS] = FIELD("as", REQUIRED)};
		yaml_node_t *entry = node_at(p, *item);
		struct content_file *cf = &cs->files[i];
		char v[SHOW_MAX];

		if (check_mapping(p, entry, NULL, "a content file") < 0 ||
		    map_read(p, entry, "content file", f, F_N) < 0 ||
		    get_path(p, &f[F_FILE], READ_FILE_MAX, &cf->path) < 0 ||
		    get_strdup(p, &f[F_AS], 0, &cf->as) < 0 || check_as(p, &f[F_AS], cf->as) < 0)
			goto out;
		as_marks[i] = f[F_AS].value->start_mark;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cs->files[j].as, cf->as)) {
				fail(p, f[F_AS].value,
				     "duplicate 'as' name '%s' in %s (first at %zu:%zu); each file "
				     "needs its own name",
				     show(cf->as, strlen(cf->as), v, sizeof(v)), what,
				     as_marks[j].line + 1, as_marks[j].column + 1);
				goto out;
			}
	}
	ret = 0;
out:
	free(as_marks);
	return ret;
}

static long section_find(struct parse *p, const yaml_node_t *map, const char *name);

/* 'previous': earlier versions of cs, names of other content sets, oldest first. */
static int parse_previous(struct parse *p, const struct field *f, const char *what,
			  struct content_set *cs)
{
	const yaml_node_t *seq = f->value;
	yaml_node_item_t *start;
	char d[SHOW_MAX + 32], v[SHOW_MAX];
	size_t n;

	if (seq->type != YAML_SEQUENCE_NODE ||
	    seq->data.sequence.items.start == seq->data.sequence.items.top)
		return fail(p, where(f),
			    "'previous' of %s must be a non-empty sequence of content set names, "
			    "oldest first, got %s",
			    what,
			    seq->type == YAML_SEQUENCE_NODE ? "an empty sequence"
							    : describe(seq, d, sizeof(d)));
	start = seq->data.sequence.items.start;
	n = (size_t)(seq->data.sequence.items.top - start);
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, sized by one pointer */
	cs->previous = xcalloc(n, sizeof(*cs->previous));
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *node = node_at(p, start[i]);
		long j = node->type == YAML_SCALAR_NODE && !is_null(node)
				 ? section_find(p, p->contents, scalar(node))
				 : -1;

		if (node->type != YAML_SCALAR_NODE || is_null(node))
			return fail(p, node, "each entry of 'previous' must be a content set name, got %s",
				    describe(node, d, sizeof(d)));
		show_scalar(node, v, sizeof(v));
		if (j < 0)
			return fail(p, node, "'previous' of %s names unknown content set '%s'", what, v);
		if (&p->suite->contents[j] == cs)
			return fail(p, node, "'previous' of %s names the set itself", what);
		for (size_t k = 0; k < cs->nr_previous; k++)
			if (cs->previous[k] == &p->suite->contents[j])
				return fail(p, node, "'previous' of %s names '%s' twice", what, v);
		cs->previous[cs->nr_previous++] = &p->suite->contents[j];
	}
	return 0;
}

/* A split or join command: words, with each placeholder in `need` somewhere. */
static int get_command(struct parse *p, const struct field *f, const char *const *need,
		       char **ret)
{
	const char *s;

	if (get_str(p, f, 0, &s) < 0)
		return -1;
	for (; *need; need++)
		if (!strstr(s, *need))
			return fail(p, f->value, "'%s' must contain %s (where the harness puts its "
						 "path)",
				    f->name, *need);
	*ret = xstrdup(s);
	return 0;
}

/*
 * A content set: a sequence of files, or a mapping with 'files' and
 * optionally 'previous' (its earlier versions) and 'split'/'join' (the
 * commands that cut its files into pieces and put pieces back together,
 * for bisect).
 */
static int parse_content_set(struct parse *p, yaml_node_t *key, yaml_node_t *value,
			     struct content_set *cs)
{
	enum { F_FILES, F_PREVIOUS, F_SPLIT, F_JOIN, F_N };
	struct field f[F_N] = {[F_FILES] = FIELD("files", REQUIRED),
			       [F_PREVIOUS] = FIELD("previous", OPTIONAL),
			       [F_SPLIT] = FIELD("split", OPTIONAL),
			       [F_JOIN] = FIELD("join", OPTIONAL)};
	static const char *const split_need[] = {"{in}", "{outdir}", NULL};
	static const char *const join_need[] = {"{outdir}", "{out}", NULL};
	char what[NAME_MAX_LEN + 16];

	cs->name = xstrdup(scalar(key));
	snprintf(what, sizeof(what), "content '%s'", cs->name);
	if (value->type != YAML_MAPPING_NODE)
		return parse_content_files(p, key, value, what, cs);
	if (map_read(p, value, what, f, F_N) < 0 ||
	    parse_content_files(p, f[F_FILES].key, f[F_FILES].value, what, cs) < 0)
		return -1;
	if (f[F_PREVIOUS].key && parse_previous(p, &f[F_PREVIOUS], what, cs) < 0)
		return -1;
	if (!f[F_SPLIT].key != !f[F_JOIN].key)
		return fail(p, f[F_SPLIT].key ? f[F_SPLIT].key : f[F_JOIN].key,
			    "%s needs both 'split' and 'join', or neither", what);
	if (f[F_SPLIT].key && (get_command(p, &f[F_SPLIT], split_need, &cs->split) < 0 ||
			       get_command(p, &f[F_JOIN], join_need, &cs->join) < 0))
		return -1;
	return 0;
}

static int parse_contents(struct parse *p, const struct field *section)
{
	struct suite *s = p->suite;
	yaml_node_pair_t *pair;
	long n = named_section(p, section, "content", 1);

	if (n < 0)
		return -1;
	p->contents = section->value;
	s->contents = xcalloc((size_t)n, sizeof(*s->contents));
	s->nr_contents = (size_t)n;
	pair = section->value->data.mapping.pairs.start;
	for (size_t i = 0; i < s->nr_contents; i++, pair++)
		if (parse_content_set(p, node_at(p, pair->key), node_at(p, pair->value),
				      &s->contents[i]) < 0)
			return -1;
	return 0;
}

/* ---- scenarios ---- */

/* A scenario before matrix expansion: strings borrowed from the document. */
struct scenario_spec {
	const char *name;
	struct image *image;
	struct content_set *content;
	int boots;
	enum outcome expect;
	const char *title;
	const char *log_contains;
	const char *append;
	int boot_timeout, silence_timeout, settle_ms;
	int agent_delay_ms, sensor_delay_ms;
	int agent_delay_max_ms, sensor_delay_max_ms;
	int cold;
	int recovery;
	/* owned, copied into each expanded scenario; one synthesized step without 'steps' */
	struct step *steps;
	size_t nr_steps;
	int explicit_steps;
};

/* Index of `name` among the keys of a name-keyed section (images, sensors, content), or -1. */
static long section_find(struct parse *p, const yaml_node_t *map, const char *name)
{
	if (!map)
		return -1;
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
	     a++)
		if (!strcmp(scalar(node_at(p, a->key)), name))
			return a - map->data.mapping.pairs.start;
	return -1;
}

/* A reference at node to a name that `section` (may be NULL: absent) does not define. */
static int unknown_ref(struct parse *p, const yaml_node_t *node, const char *scenario,
		       const char *kind, const char *section_name, const yaml_node_t *section)
{
	struct strbuf sb = STRBUF_INIT;
	char v[SHOW_MAX];

	show_scalar(node, v, sizeof(v));
	if (section && section->data.mapping.pairs.start < section->data.mapping.pairs.top) {
		for (yaml_node_pair_t *a = section->data.mapping.pairs.start;
		     a < section->data.mapping.pairs.top; a++)
			strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", scalar(node_at(p, a->key)));
		fail(p, node, "scenario '%s' refers to unknown %s '%s'; expected one of: %s",
		     scenario, kind, v, sb.buf);
	} else {
		fail(p, node, "scenario '%s' refers to unknown %s '%s'; the suite defines no '%s'",
		     scenario, kind, v, section_name);
	}
	strbuf_release(&sb);
	return -1;
}

/* Resolve a sensor name (a node of the 'sensor' value) to its sensor. */
static int sensor_ref(struct parse *p, const yaml_node_t *node, const char *scenario,
		      struct sensor **ret)
{
	char d[SHOW_MAX + 32];
	long i;

	if (node->type != YAML_SCALAR_NODE || is_null(node))
		return fail(p, node, "each sensor in the list must be a sensor name, got %s",
			    describe(node, d, sizeof(d)));
	i = section_find(p, p->sensors, scalar(node));
	if (i < 0)
		return unknown_ref(p, node, scenario, "sensor", "sensors", p->sensors);
	*ret = &p->suite->sensors[i];
	return 0;
}

static struct step *steps_dup(const struct step *steps, size_t n);

/* What a step costs to keep: itself and each guest path it holds. */
static size_t step_units(const struct step *st)
{
	return 1 + st->nr_present + st->nr_absent + st->nr_remove;
}

/*
 * Count units of steps and guest paths parsed or copied: an alias copies a
 * whole step list and a sensor matrix copies it again, so a small file
 * could otherwise ask for billions of them ("billion laughs").
 */
static int spend(struct parse *p, size_t units, yaml_mark_t mark)
{
	p->step_units += units;
	if (p->step_units <= STEP_UNITS_MAX)
		return 0;
	return fail_at(p, mark,
		       "the suite holds more than %d steps and guest paths once aliases and "
		       "sensor lists are expanded; expected fewer",
		       STEP_UNITS_MAX);
}

/* Add one expanded scenario, named at `mark`. */
static int scenario_push(struct parse *p, const struct scenario_spec *spec, struct sensor *sensor,
			 int matrix, yaml_mark_t mark)
{
	struct suite *s = p->suite;
	struct scenario *sc;
	size_t units = 0;
	char *name;

	for (size_t i = 0; i < spec->nr_steps; i++)
		units += step_units(&spec->steps[i]);
	if (s->nr_scenarios >= SCENARIOS_MAX)
		return fail_at(p, mark,
			       "more than %d scenarios after matrix expansion; expected fewer",
			       SCENARIOS_MAX);
	if (spend(p, units, mark) < 0)
		return -1;
	name = matrix ? xasprintf("%s/%s", spec->name, sensor->name) : xstrdup(spec->name);
	for (size_t i = 0; i < s->nr_scenarios; i++)
		if (!strcmp(s->scenarios[i].name, name)) {
			fail_at(p, mark,
				"duplicate scenario name '%s' after matrix expansion (first at "
				"%zu:%zu); list each sensor once",
				name, p->marks[i].line + 1, p->marks[i].column + 1);
			free(name);
			return -1;
		}
	ALLOC_GROW(s->scenarios, s->nr_scenarios + 1, p->alloc_scenarios);
	ALLOC_GROW(p->marks, s->nr_scenarios + 1, p->alloc_marks);
	p->marks[s->nr_scenarios] = mark;
	sc = &s->scenarios[s->nr_scenarios++];
	*sc = (struct scenario){
	    .name = name,
	    .line = (int)mark.line + 1,
	    .column = (int)mark.column + 1,
	    .image = spec->image,
	    .sensor = sensor,
	    .content = spec->content,
	    .boots = spec->boots,
	    .expect = spec->expect,
	    .expect_title = spec->title ? xstrdup(spec->title) : NULL,
	    .log_contains = spec->log_contains ? xstrdup(spec->log_contains) : NULL,
	    .append = spec->append ? xstrdup(spec->append) : NULL,
	    .boot_timeout_s = spec->boot_timeout,
	    .silence_timeout_s = spec->silence_timeout,
	    .settle_ms = spec->settle_ms,
	    .steps = steps_dup(spec->steps, spec->nr_steps),
	    .nr_steps = spec->nr_steps,
	    .explicit_steps = spec->explicit_steps,
	    .agent_delay_ms = spec->agent_delay_ms,
	    .sensor_delay_ms = spec->sensor_delay_ms,
	    .agent_delay_max_ms = spec->agent_delay_max_ms,
	    .sensor_delay_max_ms = spec->sensor_delay_max_ms,
	    .recovery = spec->recovery,
	    .cold = spec->cold,
	};
	return 0;
}

static int declare_name(struct parse *p, const yaml_node_t *node)
{
	char v[SHOW_MAX];

	if (check_name(p, node, "scenario") < 0)
		return -1;
	for (size_t i = 0; i < p->nr_declared; i++)
		if (!strcmp(p->declared[i].name, scalar(node)))
			return fail(p, node,
				    "duplicate scenario name '%s' (first at %zu:%zu); scenario "
				    "names must be unique",
				    show_scalar(node, v, sizeof(v)), p->declared[i].mark.line + 1,
				    p->declared[i].mark.column + 1);
	ALLOC_GROW(p->declared, p->nr_declared + 1, p->alloc_declared);
	p->declared[p->nr_declared++] = (struct name_at){scalar(node), node->start_mark};
	return 0;
}

static int parse_expect(struct parse *p, const struct field *f, enum outcome *ret)
{
	static const enum outcome allowed[] = {OUTCOME_CLEAN, OUTCOME_CRASH, OUTCOME_HANG,
					       OUTCOME_RECOVERY};
	const char *s;
	char v[SHOW_MAX];

	if (get_str(p, f, 1, &s) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (!strcmp(s, outcome_name(allowed[i]))) {
			*ret = allowed[i];
			return 0;
		}
	return fail(p, f->value, "'expect' must be one of: clean, crash, hang, recovery; got '%s'",
		    show(s, strlen(s), v, sizeof(v)));
}

/* ---- steps ---- */

static const char *const step_names[] = {
    [STEP_BOOT] = "boot",
    [STEP_DEPLOY] = "deploy",
    [STEP_ROLLBACK] = "rollback",
    [STEP_REBOOT_UNTIL_CLEAN] = "reboot_until_clean",
    [STEP_CLEAN_BOOTS] = "clean_boots",
    [STEP_EXPECT_FILES] = "expect_files",
    [STEP_REMEDIATE] = "remediate",
    [STEP_POWER_OFF] = "power_off",
    [STEP_SOAK] = "soak",
};

const char *step_kind_name(enum step_kind k)
{
	return (size_t)k < ARRAY_SIZE(step_names) ? step_names[k] : NULL;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **strv_dup(char *const *v, size_t n)
{
	char **copy;

	if (!n)
		return NULL;
	copy = xcalloc(n, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(v[i]);
	return copy;
}

/* Free what a step owns; accepts a zeroed or half-built step. */
static void step_release(struct step *st)
{
	free(st->title);
	free(st->at);
	free(st->append);
	strv_free(st->present, st->nr_present);
	strv_free(st->absent, st->nr_absent);
	strv_free(st->remove, st->nr_remove);
	free(st->disable_service);
}

static void steps_free(struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		step_release(&steps[i]);
	free(steps);
}

static struct step *steps_dup(const struct step *steps, size_t n)
{
	struct step *copy = xcalloc(n, sizeof(*copy));

	for (size_t i = 0; i < n; i++) {
		copy[i] = steps[i];
		copy[i].title = steps[i].title ? xstrdup(steps[i].title) : NULL;
		copy[i].at = steps[i].at ? xstrdup(steps[i].at) : NULL;
		copy[i].append = steps[i].append ? xstrdup(steps[i].append) : NULL;
		copy[i].present = strv_dup(steps[i].present, steps[i].nr_present);
		copy[i].absent = strv_dup(steps[i].absent, steps[i].nr_absent);
		copy[i].remove = strv_dup(steps[i].remove, steps[i].nr_remove);
		copy[i].disable_service =
		    steps[i].disable_service ? xstrdup(steps[i].disable_service) : NULL;
	}
	return copy;
}

int step_boot_count(const struct step *st)
{
	switch (st->kind) {
	case STEP_BOOT:
	case STEP_REBOOT_UNTIL_CLEAN:
	case STEP_CLEAN_BOOTS:
		return st->count;
	case STEP_POWER_OFF:
		return 1;
	case STEP_SOAK:
		return st->soak_pushes ? 1 : st->count;
	default:
		return 0;
	}
}

/* f's value names a content set: resolve it. */
static int content_ref(struct parse *p, const struct field *f, const char *scenario,
		       struct content_set **ret)
{
	const char *ref;
	long i;

	if (get_str(p, f, 0, &ref) < 0)
		return -1;
	i = section_find(p, p->contents, ref);
	if (i < 0)
		return unknown_ref(p, f->value, scenario, "content", "content", p->contents);
	*ret = &p->suite->contents[i];
	return 0;
}

/* A step whose value must be a mapping; form shows what it looks like. */
static int step_mapping(struct parse *p, const struct field *self, const char *form)
{
	char d[SHOW_MAX + 32];

	if (self->value->type == YAML_MAPPING_NODE)
		return 0;
	return fail(p, where(self), "step '%s' must be a mapping %s, got %s", self->name, form,
		    describe(self->value, d, sizeof(d)));
}

/*
 * A step with a short form: either a scalar (the step's own value) or a
 * mapping with exactly the key `name`. ret is the field holding the value.
 */
static int step_short(struct parse *p, const struct field *self, const char *name,
		      struct field *ret)
{
	char what[64];

	if (self->value->type != YAML_MAPPING_NODE) {
		*ret = *self;
		return 0;
	}
	*ret = (struct field)FIELD(name, REQUIRED);
	snprintf(what, sizeof(what), "step '%s'", self->name);
	return map_read(p, self->value, what, ret, 1);
}

/* No '..' component in an absolute path. */
static int has_dotdot(const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		s += n + (s[n] == '/');
	}
	return 0;
}

/* f's value: a non-empty sequence of at most GUEST_PATHS_MAX absolute guest paths or globs. */
static int get_guest_paths(struct parse *p, const struct field *f, char ***ret, size_t *ret_nr)
{
	const yaml_node_t *seq = f->value;
	yaml_node_item_t *start, *top;
	char d[SHOW_MAX + 32];
	size_t n;

	if (seq->type != YAML_SEQUENCE_NODE ||
	    seq->data.sequence.items.start == seq->data.sequence.items.top)
		return fail(p, where(f),
			    "'%s' must be a non-empty sequence of absolute guest paths, got %s",
			    f->name,
			    seq->type == YAML_SEQUENCE_NODE ? "an empty sequence"
							    : describe(seq, d, sizeof(d)));
	start = seq->data.sequence.items.start;
	top = seq->data.sequence.items.top;
	n = (size_t)(top - start);
	if (n > GUEST_PATHS_MAX)
		return fail(p, node_at(p, start[GUEST_PATHS_MAX]),
			    "'%s' has %zu entries; at most %d are allowed", f->name, n,
			    GUEST_PATHS_MAX);
	/* Owned by the step from here, so a failure below leaks nothing. */
	*ret = xcalloc(n, sizeof(**ret));
	*ret_nr = n;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *v = node_at(p, start[i]);
		const char *s;
		char sv[SHOW_MAX];

		if (v->type != YAML_SCALAR_NODE || is_null(v))
			return fail(p, v,
				    "each entry of '%s' must be an absolute guest path, got %s",
				    f->name, describe(v, d, sizeof(d)));
		s = scalar(v);
		if (memchr(s, '\0', v->data.scalar.length))
			return fail(p, v, "a guest path in '%s' must not contain a NUL character",
				    f->name);
		show_scalar(v, sv, sizeof(sv));
		if (s[0] != '/')
			return fail(p, v,
				    "guest path '%s' in '%s' must be absolute (start with '/')", sv,
				    f->name);
		if (has_dotdot(s))
			return fail(p, v,
				    "guest path '%s' in '%s' must not contain '..' components", sv,
				    f->name);
		if (v->data.scalar.length >= PATH_MAX)
			return fail(p, v, "guest path '%s' in '%s' is longer than %d bytes", sv,
				    f->name, PATH_MAX - 1);
		(*ret)[i] = xstrdup(s);
	}
	return 0;
}

static int parse_step_boot(struct parse *p, const struct field *self, struct step *st)
{
	enum { F_COUNT, F_EXPECT, F_TITLE, F_N };
	struct field f[F_N] = {
	    [F_COUNT] = FIELD("count", OPTIONAL),
	    [F_EXPECT] = FIELD("expect", REQUIRED),
	    [F_TITLE] = FIELD("title", OPTIONAL),
	};

	if (step_mapping(p, self, "({expect: clean|crash|hang, count: N, title: TEXT})") < 0 ||
	    map_read(p, self->value, "step 'boot'", f, F_N) < 0)
		return -1;
	st->count = 1;
	if (f[F_COUNT].key && get_int(p, &f[F_COUNT], 1, STEP_BOOTS_MAX, &st->count) < 0)
		return -1;
	if (parse_expect(p, &f[F_EXPECT], &st->expect) < 0)
		return -1;
	if (f[F_TITLE].key) {
		if (st->expect != OUTCOME_CRASH)
			return fail(p, f[F_TITLE].key,
				    "'title' is only allowed with 'expect: crash'; this step "
				    "expects '%s'",
				    outcome_name(st->expect));
		if (get_strdup(p, &f[F_TITLE], 0, &st->title) < 0)
			return -1;
	}
	return 0;
}

/*
 * Content that travels over the update channel (a rollback, a live deploy)
 * must be named as the protocol allows (sensor/PROTOCOL.md): say so here,
 * not after a boot.
 */
static int channel_names(struct parse *p, const struct field *f, const struct step *st)
{
	const struct content_set *cs = st->content;
	long long total = 0;
	char v[SHOW_MAX];

	if (cs->nr_files > UPDATE_MAX_FILES)
		return fail(p, f->value,
			    "content '%s' goes over the update channel, which carries at most %d "
			    "files; it has %zu",
			    cs->name, UPDATE_MAX_FILES, cs->nr_files);
	for (size_t i = 0; i < cs->nr_files; i++) {
		struct stat st_;
		long long size;

		show(cs->files[i].as, strlen(cs->files[i].as), v, sizeof(v));
		if (!update_valid_name(cs->files[i].as))
			return fail(p, f->value,
				    "content '%s' goes over the update channel, but its file '%s' "
				    "is not named C-NNNNNNNN-NNNNNNNN-NNNNNNNN.sys as the channel "
				    "requires",
				    cs->name, v);
		/* Checked readable when the set was read; the channel has its own limits. */
		size = stat(cs->files[i].path, &st_) == 0 ? (long long)st_.st_size : 0;
		if (size > UPDATE_MAX_FILE)
			return fail(
			    p, f->value,
			    "content '%s' goes over the update channel, which carries files "
			    "of at most %d bytes; '%s' has %lld",
			    cs->name, UPDATE_MAX_FILE, v, size);
		total += size;
	}
	if (total > UPDATE_MAX_SET_BYTES)
		return fail(p, f->value,
			    "content '%s' goes over the update channel, which carries at most %d "
			    "bytes a set; it has %lld",
			    cs->name, UPDATE_MAX_SET_BYTES, total);
	return 0;
}

static int parse_step_deploy(struct parse *p, const struct field *self, const char *scenario,
			     struct step *st)
{
	enum { F_CONTENT, F_MODE, F_N };
	struct field f[F_N] = {
	    [F_CONTENT] = FIELD("content", REQUIRED),
	    [F_MODE] = FIELD("mode", OPTIONAL),
	};
	const char *mode;
	char v[SHOW_MAX];

	if (step_mapping(p, self, "({content: NAME, mode: offline|live})") < 0 ||
	    map_read(p, self->value, "step 'deploy'", f, F_N) < 0 ||
	    content_ref(p, &f[F_CONTENT], scenario, &st->content) < 0)
		return -1;
	if (!f[F_MODE].key)
		return 0;
	if (get_str(p, &f[F_MODE], 0, &mode) < 0)
		return -1;
	if (!strcmp(mode, "offline") || !strcmp(mode, "live")) {
		st->live = !strcmp(mode, "live");
		return st->live ? channel_names(p, &f[F_CONTENT], st) : 0;
	}
	return fail(p, f[F_MODE].value, "'mode' must be one of: offline, live; got '%s'",
		    show(mode, strlen(mode), v, sizeof(v)));
}

static int parse_step_expect_files(struct parse *p, const struct field *self, struct step *st)
{
	enum { F_PRESENT, F_ABSENT, F_N };
	struct field f[F_N] = {
	    [F_PRESENT] = FIELD("present", OPTIONAL),
	    [F_ABSENT] = FIELD("absent", OPTIONAL),
	};

	if (step_mapping(p, self, "({present: [PATH, ...], absent: [PATH, ...]})") < 0 ||
	    map_read(p, self->value, "step 'expect_files'", f, F_N) < 0)
		return -1;
	if (!f[F_PRESENT].key && !f[F_ABSENT].key)
		return fail(p, self->value,
			    "step 'expect_files' needs 'present', 'absent' or both");
	if (f[F_PRESENT].key &&
	    get_guest_paths(p, &f[F_PRESENT], &st->present, &st->nr_present) < 0)
		return -1;
	if (f[F_ABSENT].key && get_guest_paths(p, &f[F_ABSENT], &st->absent, &st->nr_absent) < 0)
		return -1;
	return 0;
}

static int parse_step_power_off(struct parse *p, const struct field *self, struct step *st)
{
	enum { F_AT, F_APPEND, F_N };
	struct field f[F_N] = {
	    [F_AT] = FIELD("at", REQUIRED),
	    [F_APPEND] = FIELD("append", OPTIONAL),
	};

	if (self->value->type != YAML_MAPPING_NODE)
		return get_strdup(p, self, 0, &st->at);
	if (map_read(p, self->value, "step 'power_off'", f, F_N) < 0 ||
	    get_strdup(p, &f[F_AT], 0, &st->at) < 0)
		return -1;
	return f[F_APPEND].key ? get_strdup(p, &f[F_APPEND], 0, &st->append) : 0;
}

/* A Windows service name: what `sc` accepts, bounded. */
static int get_service(struct parse *p, const struct field *f, char **ret)
{
	const char *s;
	char v[SHOW_MAX];

	if (get_str(p, f, 0, &s) < 0)
		return -1;
	if (!*s || strlen(s) > 256 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789_.-") != strlen(s))
		return fail(p, f->value,
			    "'disable_service' must be a service name (letters, digits, '_', '.', "
			    "'-'; at most 256), got '%s'",
			    show(s, strlen(s), v, sizeof(v)));
	*ret = xstrdup(s);
	return 0;
}

static int parse_step_remediate(struct parse *p, const struct field *self, struct step *st)
{
	enum { F_DELETE, F_DISABLE, F_SAFE, F_WHEN, F_N };
	struct field f[F_N] = {
	    [F_DELETE] = FIELD("delete", OPTIONAL),
	    [F_DISABLE] = FIELD("disable_service", OPTIONAL),
	    [F_SAFE] = FIELD("safe_mode", OPTIONAL),
	    [F_WHEN] = FIELD("when", OPTIONAL),
	};
	const char *when;
	char v[SHOW_MAX];

	st->safe_mode = -1;
	if (step_mapping(p, self,
			 "({delete: [PATH, ...], disable_service: NAME, safe_mode: BOOL, "
			 "when: always|not_recovered})") < 0 ||
	    map_read(p, self->value, "step 'remediate'", f, F_N) < 0)
		return -1;
	if (!f[F_DELETE].key && !f[F_DISABLE].key && !f[F_SAFE].key)
		return fail(p, self->value,
			    "step 'remediate' must do something: 'delete', 'disable_service' or "
			    "'safe_mode'");
	if ((f[F_DELETE].key &&
	     get_guest_paths(p, &f[F_DELETE], &st->remove, &st->nr_remove) < 0) ||
	    (f[F_DISABLE].key && get_service(p, &f[F_DISABLE], &st->disable_service) < 0) ||
	    (f[F_SAFE].key && get_bool(p, &f[F_SAFE], &st->safe_mode) < 0))
		return -1;
	if (!f[F_WHEN].key)
		return 0;
	if (get_str(p, &f[F_WHEN], 0, &when) < 0)
		return -1;
	if (!strcmp(when, "always") || !strcmp(when, "not_recovered")) {
		st->only_if_not_recovered = !strcmp(when, "not_recovered");
		return 0;
	}
	return fail(p, f[F_WHEN].value, "'when' must be one of: always, not_recovered; got '%s'",
		    show(when, strlen(when), v, sizeof(v)));
}

/* A duration: plain seconds ("90") or a number with a unit ("90s", "5m", "1h"). */
static int get_duration(struct parse *p, const struct field *f, int max_s, int *ret)
{
	const yaml_node_t *v = f->value;
	char d[SHOW_MAX + 32];
	const char *s;
	size_t len, digits;
	long long n = 0, unit = 1;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		goto bad;
	s = scalar(v);
	len = strlen(s);
	digits = strspn(s, "0123456789");
	if (!digits || digits > 6 || len > digits + 1)
		goto bad;
	if (len == digits + 1) {
		const char *units = "smh";
		const char *u = strchr(units, s[digits]);

		if (!u)
			goto bad;
		unit = u == units ? 1 : u == units + 1 ? 60 : 3600;
	}
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (s[i] - '0');
	n *= unit;
	if (n < 1 || n > max_s)
		goto bad;
	*ret = (int)n;
	return 0;
bad:
	return fail(p, where(f),
		    "'%s' must be a duration from 1s to %dh: seconds, or a number with s, m or h "
		    "('90', '90s', '5m', '1h'), got %s",
		    f->name, max_s / 3600, describe(v, d, sizeof(d)));
}

/*
 * soak: {boots: N} | {pushes: N, content: NAME}, with an optional
 * duration that ends it early. Pushes go over the update channel.
 */
static int parse_step_soak(struct parse *p, const struct field *self, const char *scenario,
			   struct step *st)
{
	enum { F_BOOTS, F_PUSHES, F_CONTENT, F_DURATION, F_N };
	struct field f[F_N] = {
	    [F_BOOTS] = FIELD("boots", OPTIONAL),
	    [F_PUSHES] = FIELD("pushes", OPTIONAL),
	    [F_CONTENT] = FIELD("content", OPTIONAL),
	    [F_DURATION] = FIELD("duration", OPTIONAL),
	};
	const struct field *count;

	if (step_mapping(p, self,
			 "({boots: N} or {pushes: N, content: NAME}, optionally with "
			 "duration: 5m)") < 0 ||
	    map_read(p, self->value, "step 'soak'", f, F_N) < 0)
		return -1;
	if (!!f[F_BOOTS].key == !!f[F_PUSHES].key)
		return fail(p, f[F_BOOTS].key && f[F_PUSHES].key ? f[F_PUSHES].key : self->value,
			    "step 'soak' needs exactly one of 'boots' (repeat boots) and 'pushes' "
			    "(repeat live pushes into one running guest)");
	st->soak_pushes = !!f[F_PUSHES].key;
	count = &f[st->soak_pushes ? F_PUSHES : F_BOOTS];
	if (get_int(p, count, 1, SOAK_MAX, &st->count) < 0)
		return -1;
	if (f[F_DURATION].key &&
	    get_duration(p, &f[F_DURATION], SOAK_DURATION_MAX, &st->duration_s) < 0)
		return -1;
	if (!st->soak_pushes && f[F_CONTENT].key)
		return fail(p, f[F_CONTENT].key,
			    "'content' goes with 'pushes' only; a boot soak boots what is on the "
			    "disk (deploy it in an earlier step)");
	if (!st->soak_pushes)
		return 0;
	if (!f[F_CONTENT].key)
		return fail(p, self->value, "missing required key 'content' in step 'soak' with "
					    "'pushes': the content set to push");
	if (content_ref(p, &f[F_CONTENT], scenario, &st->content) < 0)
		return -1;
	return channel_names(p, &f[F_CONTENT], st);
}

/* One entry of 'steps': a mapping with exactly one key, the step kind. */
static int parse_step(struct parse *p, yaml_node_t *node, const char *scenario, struct step *st)
{
	struct strbuf sb = STRBUF_INIT;
	yaml_node_pair_t *pairs;
	yaml_node_t *key;
	struct field self, f;
	char d[SHOW_MAX + 32], k[SHOW_MAX], k2[SHOW_MAX];
	long kind = -1;

	st->line = (int)node->start_mark.line + 1;
	st->column = (int)node->start_mark.column + 1;
	if (node->type != YAML_MAPPING_NODE)
		return fail(p, node,
			    "each step must be a mapping with one key, the step kind (for example "
			    "'- boot: {expect: clean}'), got %s",
			    describe(node, d, sizeof(d)));
	pairs = node->data.mapping.pairs.start;
	if (pairs == node->data.mapping.pairs.top)
		return fail(
		    p, node,
		    "a step must have exactly one key, the step kind; got an empty mapping");
	key = node_at(p, pairs[0].key);
	if (check_key(p, key) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(step_names); i++)
		if (strlen(step_names[i]) == key->data.scalar.length &&
		    !strcmp(step_names[i], scalar(key)))
			kind = (long)i;
	if (kind < 0) {
		for (size_t i = 0; i < ARRAY_SIZE(step_names); i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", step_names[i]);
		fail(p, key, "unknown step '%s'; expected one of: %s",
		     show_scalar(key, k, sizeof(k)), sb.buf);
		strbuf_release(&sb);
		return -1;
	}
	if (pairs + 1 < node->data.mapping.pairs.top) {
		yaml_node_t *second = node_at(p, pairs[1].key);

		if (check_key(p, second) < 0)
			return -1;
		return fail(p, second,
			    "a step must have exactly one key, the step kind; got '%s' after '%s' "
			    "(indent the settings of '%s' under it, or start each step with '- ')",
			    show_scalar(second, k2, sizeof(k2)), step_names[kind],
			    step_names[kind]);
	}
	self = (struct field){
	    .name = step_names[kind], .key = key, .value = node_at(p, pairs[0].value)};
	st->kind = (enum step_kind)kind;
	switch (st->kind) {
	case STEP_BOOT:
		return parse_step_boot(p, &self, st);
	case STEP_DEPLOY:
		return parse_step_deploy(p, &self, scenario, st);
	case STEP_ROLLBACK:
		if (step_short(p, &self, "content", &f) < 0)
			return -1;
		if (content_ref(p, &f, scenario, &st->content) < 0)
			return -1;
		return channel_names(p, &f, st);
	case STEP_REBOOT_UNTIL_CLEAN:
		if (step_short(p, &self, "max_boots", &f) < 0)
			return -1;
		return get_int(p, &f, 1, STEP_BOOTS_MAX, &st->count);
	case STEP_CLEAN_BOOTS:
		if (step_short(p, &self, "count", &f) < 0)
			return -1;
		return get_int(p, &f, 1, STEP_BOOTS_MAX, &st->count);
	case STEP_EXPECT_FILES:
		return parse_step_expect_files(p, &self, st);
	case STEP_REMEDIATE:
		return parse_step_remediate(p, &self, st);
	case STEP_POWER_OFF:
		return parse_step_power_off(p, &self, st);
	case STEP_SOAK:
		return parse_step_soak(p, &self, scenario, st);
	}
	return -1;
}

/* 'steps': parse them into spec, then check them as a whole. */
static int parse_steps(struct parse *p, const struct field *f, struct scenario_spec *spec)
{
	yaml_node_t *seq = f->value;
	yaml_node_item_t *start;
	char d[SHOW_MAX + 32];
	int boots_after = 0;
	size_t n;

	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(p, where(f), "'steps' must be a sequence of steps, got %s",
			    describe(seq, d, sizeof(d)));
	start = seq->data.sequence.items.start;
	n = (size_t)(seq->data.sequence.items.top - start);
	if (!n)
		return fail(p, seq, "'steps' must not be empty; expected at least one step");
	if (n > STEPS_MAX)
		return fail(p, node_at(p, start[STEPS_MAX]),
			    "'steps' has %zu entries; at most %d are allowed", n, STEPS_MAX);
	spec->steps = xcalloc(n, sizeof(*spec->steps));
	spec->nr_steps = n;
	spec->explicit_steps = 1;
	for (size_t i = 0; i < n; i++) {
		const struct step *st = &spec->steps[i];

		if (parse_step(p, node_at(p, start[i]), spec->name, &spec->steps[i]) < 0 ||
		    spend(p, step_units(st), node_at(p, start[i])->start_mark) < 0)
			return -1;
		if (st->kind == STEP_REMEDIATE && (st->disable_service || st->safe_mode >= 0) &&
		    !spec->image->guest->sensor_service)
			return fail(p, node_at(p, start[i]),
				    "'disable_service' and 'safe_mode' change a Windows registry "
				    "offline; a '%s' image has none",
				    spec->image->guest->kind);
	}
	/* Backwards, so each step knows whether a later one boots. At most 1000 x 1000. */
	for (size_t i = n; i-- > 0;) {
		const struct step *st = &spec->steps[i];

		if (st->kind == STEP_DEPLOY && st->live && !boots_after)
			return fail(p, node_at(p, start[i]),
				    "a live deploy needs a later step that boots the guest (boot, "
				    "reboot_until_clean, clean_boots, power_off or soak); nothing "
				    "would receive it");
		boots_after += step_boot_count(st);
	}
	if (!boots_after)
		return fail(p, seq,
			    "'steps' never boot the guest; expected at least one boot, "
			    "reboot_until_clean, clean_boots, power_off or soak step");
	spec->boots = boots_after;
	return 0;
}

/*
 * A race delay: a plain integer N in [0, DELAY_MS_MAX], or a range MIN-MAX
 * (MIN <= MAX, both in it) each trial draws its value from; *ret_max is N
 * for a single value.
 */
static int get_delay(struct parse *p, const struct field *f, int *ret, int *ret_max)
{
	const yaml_node_t *v = f->value;
	const char *s = v->type == YAML_SCALAR_NODE ? scalar(v) : NULL;
	const char *dash = s && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? strchr(s, '-') : NULL;
	char d[SHOW_MAX + 32];
	long lo, hi;
	char *end;

	if (!dash || dash == s) {
		if (get_int(p, f, 0, DELAY_MS_MAX, ret) < 0)
			return -1;
		*ret_max = *ret;
		return 0;
	}
	/* Digits only on both sides: strtol's signs and spaces are not ours. */
	if (strspn(s, "0123456789") != (size_t)(dash - s) ||
	    strspn(dash + 1, "0123456789") != strlen(dash + 1) || !dash[1] || dash - s > 7 ||
	    strlen(dash + 1) > 7)
		goto bad;
	lo = strtol(s, &end, 10);
	hi = strtol(dash + 1, &end, 10);
	if (lo > hi || hi > DELAY_MS_MAX)
		goto bad;
	*ret = (int)lo;
	*ret_max = (int)hi;
	return 0;
bad:
	return fail(p, where(f),
		    "'%s' must be an integer from 0 to %d or a range MIN-MAX within it, got %s",
		    f->name, DELAY_MS_MAX, describe(v, d, sizeof(d)));
}

static int parse_race(struct parse *p, const struct field *self, struct scenario_spec *spec)
{
	enum { F_AGENT, F_SENSOR, F_N };
	struct field f[F_N] = {
	    [F_AGENT] = FIELD("agent_delay_ms", OPTIONAL),
	    [F_SENSOR] = FIELD("sensor_delay_ms", OPTIONAL),
	};

	if (check_mapping(p, self->value, self, "'race'") < 0 ||
	    map_read(p, self->value, "race", f, F_N) < 0)
		return -1;
	if (!f[F_AGENT].key && !f[F_SENSOR].key)
		return fail(p, self->value,
			    "'race' must set 'agent_delay_ms', 'sensor_delay_ms' or both");
	if (f[F_AGENT].key &&
	    get_delay(p, &f[F_AGENT], &spec->agent_delay_ms, &spec->agent_delay_max_ms) < 0)
		return -1;
	if (f[F_SENSOR].key &&
	    get_delay(p, &f[F_SENSOR], &spec->sensor_delay_ms, &spec->sensor_delay_max_ms) < 0)
		return -1;
	return 0;
}

/* A scenario's keys, as indices into its field table. */
enum scenario_field {
	SF_NAME,
	SF_IMAGE,
	SF_SENSOR,
	SF_CONTENT,
	SF_BOOTS,
	SF_EXPECT,
	SF_TITLE,
	SF_LOG_CONTAINS,
	SF_BOOT_TIMEOUT,
	SF_SILENCE_TIMEOUT,
	SF_SETTLE_MS,
	SF_APPEND,
	SF_RACE,
	SF_COLD,
	SF_RECOVERY,
	SF_STEPS,
	SF_N
};

/* 'sensor': a name or a non-empty sequence of names (resolved at expansion). */
static int check_sensor_node(struct parse *p, const struct field *f)
{
	yaml_node_t *sensor = f->value;
	char d[SHOW_MAX + 32];

	if (sensor->type == YAML_MAPPING_NODE || is_null(sensor) ||
	    (sensor->type == YAML_SEQUENCE_NODE &&
	     sensor->data.sequence.items.start == sensor->data.sequence.items.top))
		return fail(p, where(f),
			    "'sensor' must be a sensor name or a non-empty sequence of sensor "
			    "names, got %s",
			    sensor->type == YAML_SEQUENCE_NODE ? "an empty sequence"
							       : describe(sensor, d, sizeof(d)));
	return 0;
}

/* With 'steps', the legacy expectation keys are refused: name the first one. */
static int refuse_legacy_keys(struct parse *p, const struct field *f)
{
	const struct field *bad = NULL;
	const int legacy[] = {SF_BOOTS, SF_EXPECT, SF_TITLE};

	for (size_t j = 0; j < ARRAY_SIZE(legacy); j++)
		if (f[legacy[j]].key &&
		    (!bad || f[legacy[j]].key->start_mark.index < bad->key->start_mark.index))
			bad = &f[legacy[j]];
	if (bad)
		return fail(p, bad->key,
			    "'%s' is not allowed with 'steps'; put expectations in the steps",
			    bad->name);
	return 0;
}

/* The legacy form: 'boots', 'expect' and 'title' where the scenario is. */
static int read_legacy_expectation(struct parse *p, yaml_node_t *node, struct field *f,
				   struct scenario_spec *spec)
{
	if (!f[SF_EXPECT].key)
		return fail(p, node,
			    "missing required key 'expect' in scenario; expected 'expect' or "
			    "'steps'");
	if (f[SF_BOOTS].key && get_int(p, &f[SF_BOOTS], 1, 1000, &spec->boots) < 0)
		return -1;
	if (parse_expect(p, &f[SF_EXPECT], &spec->expect) < 0)
		return -1;
	if (!f[SF_TITLE].key)
		return 0;
	if (spec->expect != OUTCOME_CRASH)
		return fail(p, f[SF_TITLE].key,
			    "'title' is only allowed with 'expect: crash'; "
			    "scenario '%s' expects '%s'",
			    spec->name, outcome_name(spec->expect));
	return get_str(p, &f[SF_TITLE], 0, &spec->title);
}

/* The optional keys that tune every boot of the scenario. */
static int read_boot_options(struct parse *p, struct field *f, struct scenario_spec *spec)
{
	if (f[SF_LOG_CONTAINS].key &&
	    get_str(p, &f[SF_LOG_CONTAINS], 0, &spec->log_contains) < 0)
		return -1;
	if (f[SF_BOOT_TIMEOUT].key &&
	    get_int(p, &f[SF_BOOT_TIMEOUT], 1, 3600, &spec->boot_timeout) < 0)
		return -1;
	if (f[SF_SILENCE_TIMEOUT].key &&
	    get_int(p, &f[SF_SILENCE_TIMEOUT], 1, 3600, &spec->silence_timeout) < 0)
		return -1;
	if (f[SF_SETTLE_MS].key &&
	    get_int(p, &f[SF_SETTLE_MS], 0, DELAY_MS_MAX, &spec->settle_ms) < 0)
		return -1;
	if (f[SF_APPEND].key && get_str(p, &f[SF_APPEND], 0, &spec->append) < 0)
		return -1;
	if (f[SF_RACE].key && !guest_takes_race(spec->image->guest))
		return fail(p, f[SF_RACE].key,
			    "'race' is for guests whose agent and sensor take its knobs; a '%s' "
			    "image's do not",
			    spec->image->guest->kind);
	if (f[SF_RACE].key && parse_race(p, &f[SF_RACE], spec) < 0)
		return -1;
	if (f[SF_COLD].key && get_bool(p, &f[SF_COLD], &spec->cold) < 0)
		return -1;
	if (f[SF_RECOVERY].key && !spec->image->guest->sensor_service)
		return fail(p, f[SF_RECOVERY].key,
			    "'recovery' changes a Windows boot entry offline; a '%s' image has none",
			    spec->image->guest->kind);
	if (f[SF_RECOVERY].key && get_bool(p, &f[SF_RECOVERY], &spec->recovery) < 0)
		return -1;
	return 0;
}

/* 'expect: recovery' anywhere: only a scenario with 'recovery: true' can stop there. */
static int check_recovery_expected(struct parse *p, yaml_node_t *node, struct field *f,
				   const struct scenario_spec *spec)
{
	for (size_t i = 0; i < spec->nr_steps; i++)
		if (spec->steps[i].expect == OUTCOME_RECOVERY && spec->recovery != 1)
			return fail(p, f[SF_STEPS].key ? f[SF_STEPS].key : f[SF_EXPECT].key,
				    "'expect: recovery' needs 'recovery: true' in scenario '%s': "
				    "without it the guest never starts its recovery environment",
				    spec->name);
	return 0;
}

/* The steps: as written, or the legacy form's one boot step. */
static int build_steps(struct parse *p, yaml_node_t *node, struct field *f,
		       struct scenario_spec *spec)
{
	if (f[SF_STEPS].key)
		return parse_steps(p, &f[SF_STEPS], spec);
	spec->steps = xcalloc(1, sizeof(*spec->steps));
	spec->nr_steps = 1;
	spec->steps[0] = (struct step){
	    .kind = STEP_BOOT,
	    .count = spec->boots,
	    .expect = spec->expect,
	    .title = spec->title ? xstrdup(spec->title) : NULL,
	    .line = (int)node->start_mark.line + 1,
	    .column = (int)node->start_mark.column + 1,
	};
	return 0;
}

/* Expand: one scenario per sensor, each resolved as it comes. */
static int expand_sensors(struct parse *p, struct scenario_spec *spec, yaml_node_t *sensor,
			  yaml_mark_t name_mark)
{
	struct sensor *sn;

	if (sensor->type == YAML_SCALAR_NODE) {
		if (sensor_ref(p, sensor, spec->name, &sn) < 0)
			return -1;
		return scenario_push(p, spec, sn, 0, name_mark);
	}
	for (yaml_node_item_t *it = sensor->data.sequence.items.start;
	     it < sensor->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(p, *it);

		if (sensor_ref(p, item, spec->name, &sn) < 0 ||
		    scenario_push(p, spec, sn, 1, item->start_mark) < 0)
			return -1;
	}
	return 0;
}

static int has_live_deploy(const struct scenario_spec *spec)
{
	for (size_t i = 0; i < spec->nr_steps; i++)
		if (spec->steps[i].kind == STEP_DEPLOY && spec->steps[i].live)
			return 1;
	return 0;
}

/* Read one scenario into spec (which the caller releases) and expand it. */
static int scenario_read(struct parse *p, yaml_node_t *node, struct scenario_spec *spec)
{
	struct field f[SF_N] = {
	    [SF_NAME] = FIELD("name", REQUIRED),
	    [SF_IMAGE] = FIELD("image", REQUIRED),
	    [SF_SENSOR] = FIELD("sensor", REQUIRED),
	    [SF_CONTENT] = FIELD("content", OPTIONAL),
	    [SF_BOOTS] = FIELD("boots", OPTIONAL),
	    /* required without 'steps', checked in read_legacy_expectation() */
	    [SF_EXPECT] = FIELD("expect", OPTIONAL),
	    [SF_TITLE] = FIELD("title", OPTIONAL),
	    [SF_LOG_CONTAINS] = FIELD("log_contains", OPTIONAL),
	    [SF_BOOT_TIMEOUT] = FIELD("boot_timeout", OPTIONAL),
	    [SF_SILENCE_TIMEOUT] = FIELD("silence_timeout", OPTIONAL),
	    [SF_SETTLE_MS] = FIELD("settle_ms", OPTIONAL),
	    [SF_APPEND] = FIELD("append", OPTIONAL),
	    [SF_RACE] = FIELD("race", OPTIONAL),
	    [SF_COLD] = FIELD("cold", OPTIONAL),
	    [SF_RECOVERY] = FIELD("recovery", OPTIONAL),
	    [SF_STEPS] = FIELD("steps", OPTIONAL),
	};
	const char *ref;
	long i;

	if (check_mapping(p, node, NULL, "each scenario") < 0 ||
	    map_read(p, node, "scenario", f, SF_N) < 0)
		return -1;
	if (get_str(p, &f[SF_NAME], 0, &spec->name) < 0 || declare_name(p, f[SF_NAME].value) < 0)
		return -1;
	if (get_str(p, &f[SF_IMAGE], 0, &ref) < 0)
		return -1;
	i = section_find(p, p->images, ref);
	if (i < 0)
		return unknown_ref(p, f[SF_IMAGE].value, spec->name, "image", "images", p->images);
	spec->image = &p->suite->images[i];
	if (check_sensor_node(p, &f[SF_SENSOR]) < 0)
		return -1;
	if (f[SF_CONTENT].key && content_ref(p, &f[SF_CONTENT], spec->name, &spec->content) < 0)
		return -1;
	if (f[SF_STEPS].key ? refuse_legacy_keys(p, f) < 0
			    : read_legacy_expectation(p, node, f, spec) < 0)
		return -1;
	if (read_boot_options(p, f, spec) < 0 || build_steps(p, node, f, spec) < 0 ||
	    check_recovery_expected(p, node, f, spec) < 0)
		return -1;
	if (f[SF_SETTLE_MS].key && !has_live_deploy(spec))
		return fail(p, f[SF_SETTLE_MS].key,
			    "'settle_ms' applies to a live push only; scenario '%s' has no "
			    "'deploy' step with 'mode: live'",
			    spec->name);
	return expand_sensors(p, spec, f[SF_SENSOR].value, f[SF_NAME].value->start_mark);
}

static int parse_scenario(struct parse *p, yaml_node_t *node)
{
	struct scenario_spec spec = {
	    .boots = p->boots,
	    .boot_timeout = p->boot_timeout,
	    .silence_timeout = p->silence_timeout,
	    .settle_ms = DEFAULT_SETTLE_MS,
	    .agent_delay_ms = -1,
	    .sensor_delay_ms = -1,
	    .agent_delay_max_ms = -1,
	    .sensor_delay_max_ms = -1,
	    .recovery = -1,
	};
	int ret = scenario_read(p, node, &spec);

	steps_free(spec.steps, spec.nr_steps);
	return ret;
}

static int parse_scenarios(struct parse *p, const struct field *section)
{
	yaml_node_t *seq = section->value;
	char d[SHOW_MAX + 32];

	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(p, where(section),
			    "'scenarios' must be a sequence of scenarios, got %s",
			    describe(seq, d, sizeof(d)));
	if (seq->data.sequence.items.start == seq->data.sequence.items.top)
		return fail(p, seq,
			    "'scenarios' must not be empty; expected at least one scenario");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++)
		if (parse_scenario(p, node_at(p, *it)) < 0)
			return -1;
	return 0;
}

/* ---- rings ---- */

int scenario_selected_by(const struct scenario *sc, const char *name)
{
	size_t n = strlen(name);

	return !strcmp(sc->name, name) || (!strncmp(sc->name, name, n) && sc->name[n] == '/');
}

/* One name in a ring's 'scenarios': every scenario it selects joins ring r. */
static int ring_add(struct parse *p, const yaml_node_t *v, struct ring *r, yaml_mark_t *where_in)
{
	struct suite *s = p->suite;
	char d[SHOW_MAX + 32], sv[SHOW_MAX];
	size_t found = 0;

	if (v->type != YAML_SCALAR_NODE || is_null(v))
		return fail(p, v, "each entry of a ring's 'scenarios' must be a scenario name, got %s",
			    describe(v, d, sizeof(d)));
	show_scalar(v, sv, sizeof(sv));
	for (size_t i = 0; i < s->nr_scenarios; i++) {
		struct scenario *sc = &s->scenarios[i];

		if (!scenario_selected_by(sc, scalar(v)))
			continue;
		found++;
		if (sc->ring == r)
			return fail(p, v, "scenario '%s' is listed twice in ring '%s' (first at %zu:%zu)",
				    sc->name, r->name, where_in[i].line + 1,
				    where_in[i].column + 1);
		if (sc->ring)
			return fail(p, v,
				    "scenario '%s' is already in ring '%s' (at %zu:%zu); a scenario "
				    "belongs to one ring",
				    sc->name, sc->ring->name, where_in[i].line + 1,
				    where_in[i].column + 1);
		sc->ring = r;
		where_in[i] = v->start_mark;
		r->nr_scenarios++;
	}
	if (!found)
		return fail(p, v,
			    "ring '%s' names unknown scenario '%s'; expected a scenario's name "
			    "(NAME also selects every matrix entry NAME/SENSOR)",
			    r->name, sv);
	return 0;
}

static int parse_ring(struct parse *p, yaml_node_t *node, struct ring *r, yaml_mark_t *where_in)
{
	enum { F_NAME, F_SCENARIOS, F_N };
	struct field f[F_N] = {
	    [F_NAME] = FIELD("name", REQUIRED),
	    [F_SCENARIOS] = FIELD("scenarios", REQUIRED),
	};
	const yaml_node_t *seq;
	char d[SHOW_MAX + 32];

	if (check_mapping(p, node, NULL, "each ring") < 0 ||
	    map_read(p, node, "ring", f, F_N) < 0 || get_strdup(p, &f[F_NAME], 0, &r->name) < 0 ||
	    check_name(p, f[F_NAME].value, "ring") < 0)
		return -1;
	r->line = (int)node->start_mark.line + 1;
	r->column = (int)node->start_mark.column + 1;
	for (size_t i = 0; i < r->index; i++)
		if (!strcmp(p->suite->rings[i].name, r->name))
			return fail(p, f[F_NAME].value,
				    "duplicate ring name '%s' (first at %d:%d); ring names must be "
				    "unique",
				    r->name, p->suite->rings[i].line, p->suite->rings[i].column);
	seq = f[F_SCENARIOS].value;
	if (seq->type != YAML_SEQUENCE_NODE ||
	    seq->data.sequence.items.start == seq->data.sequence.items.top)
		return fail(p, where(&f[F_SCENARIOS]),
			    "ring '%s' must list at least one scenario in 'scenarios' (a sequence "
			    "of scenario names), got %s",
			    r->name,
			    seq->type == YAML_SEQUENCE_NODE ? "an empty sequence"
							    : describe(seq, d, sizeof(d)));
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
	     it++)
		if (ring_add(p, node_at(p, *it), r, where_in) < 0)
			return -1;
	return 0;
}

/*
 * A top-level section that is a list: a non-empty sequence of what (words
 * for the error) of at most SECTION_MAX items; *n their count.
 */
static int section_items(struct parse *p, const struct field *section, const char *what,
			 size_t *n)
{
	const yaml_node_t *seq = section->value;
	char d[SHOW_MAX + 32];

	if (seq->type != YAML_SEQUENCE_NODE ||
	    seq->data.sequence.items.start == seq->data.sequence.items.top)
		return fail(p, where(section), "'%s' must be a non-empty sequence of %s, got %s",
			    section->name, what,
			    seq->type == YAML_SEQUENCE_NODE ? "an empty sequence"
							    : describe(seq, d, sizeof(d)));
	*n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (*n > SECTION_MAX)
		return fail(p, seq, "'%s' has %zu entries; at most %d are allowed", section->name,
			    *n, SECTION_MAX);
	return 0;
}

/*
 * 'rings': after the scenarios, which they name. The array is allocated
 * once, so the scenarios' ring pointers stay valid.
 */
static int parse_rings(struct parse *p, const struct field *section)
{
	yaml_node_t *seq = section->value;
	struct suite *s = p->suite;
	yaml_mark_t *where_in;
	size_t n;
	int ret = 0;

	if (section_items(p, section, "rings ({name: NAME, scenarios: [NAME, ...]}, ring 0 first)",
			  &n) < 0)
		return -1;
	s->rings = xcalloc(n, sizeof(*s->rings));
	where_in = xcalloc(s->nr_scenarios ? s->nr_scenarios : 1, sizeof(*where_in));
	for (size_t i = 0; i < n && ret == 0; i++) {
		s->rings[i].index = i;
		s->nr_rings = i + 1;
		ret = parse_ring(p, node_at(p, seq->data.sequence.items.start[i]), &s->rings[i],
				 where_in);
	}
	free(where_in);
	return ret;
}

/* ---- hosts ---- */

/* A host's 'disks': shared or upload (hostpool_parse_disks()). */
static int get_disks(struct parse *p, const struct field *f, enum host_disks *ret)
{
	const char *s;
	char v[SHOW_MAX];

	if (get_str(p, f, 1, &s) < 0)
		return -1;
	if (hostpool_parse_disks(s, strlen(s), ret) < 0)
		return fail(p, f->value, "'disks' must be shared or upload, got '%s'",
			    show(s, strlen(s), v, sizeof(v)));
	return 0;
}

/* One entry of 'hosts': "URI" or {uri: URI, slots: N, disks: shared|upload}, into h. */
static int parse_host(struct parse *p, yaml_node_t *node, struct suite_host *h)
{
	enum { F_URI, F_SLOTS, F_DISKS, F_N };
	struct field f[F_N] = {
	    [F_URI] = FIELD("uri", REQUIRED),
	    [F_SLOTS] = FIELD("slots", OPTIONAL),
	    [F_DISKS] = FIELD("disks", OPTIONAL),
	};
	const struct suite *s = p->suite;
	char d[SHOW_MAX + 32];
	const char *uri;

	h->slots = 1;
	h->disks = HOST_DISKS_AUTO;
	if (node->type == YAML_SCALAR_NODE && !is_null(node))
		f[F_URI].key = f[F_URI].value = node;
	else if (node->type != YAML_MAPPING_NODE)
		return fail(p, node,
			    "each entry of 'hosts' must be a libvirt URI or a mapping {uri: URI, "
			    "slots: N}, got %s",
			    describe(node, d, sizeof(d)));
	else if (map_read(p, node, "host", f, F_N) < 0 ||
		 (f[F_SLOTS].key &&
		  get_int(p, &f[F_SLOTS], 1, HOSTPOOL_MAX_SLOTS, &h->slots) < 0) ||
		 (f[F_DISKS].key && get_disks(p, &f[F_DISKS], &h->disks) < 0))
		return -1;
	if (get_str(p, &f[F_URI], 0, &uri) < 0)
		return -1;
	if (strspn(uri, " \t") == strlen(uri))
		return fail(p, f[F_URI].value, "'uri' must not be blank");
	h->line = (int)f[F_URI].value->start_mark.line + 1;
	h->column = (int)f[F_URI].value->start_mark.column + 1;
	for (size_t i = 0; i < s->nr_hosts; i++)
		if (hostpool_same_uri(s->hosts[i].uri, uri))
			return fail(p, f[F_URI].value,
				    "host '%s' is listed twice in 'hosts' (first at %d:%d)",
				    show_scalar(f[F_URI].value, d, sizeof(d)), s->hosts[i].line,
				    s->hosts[i].column);
	h->uri = xstrdup(uri);
	return 0;
}

static int parse_hosts(struct parse *p, const struct field *section)
{
	yaml_node_t *seq = section->value;
	struct suite *s = p->suite;
	size_t n;

	s->hosts_line = (int)section->key->start_mark.line + 1;
	s->hosts_column = (int)section->key->start_mark.column + 1;
	if (section_items(p, section, "libvirt hosts (URI or {uri: URI, slots: N})", &n) < 0)
		return -1;
	s->hosts = xcalloc(n, sizeof(*s->hosts));
	for (size_t i = 0; i < n; i++) {
		if (parse_host(p, node_at(p, seq->data.sequence.items.start[i]), &s->hosts[i]) < 0)
			return -1;
		s->nr_hosts = i + 1;
	}
	return 0;
}

static int parse_root(struct parse *p, yaml_node_t *root)
{
	enum {
		F_VERSION,
		F_DEFAULTS,
		F_IMAGES,
		F_SENSORS,
		F_CONTENT,
		F_SCENARIOS,
		F_RINGS,
		F_HOSTS,
		F_N
	};
	struct field f[F_N] = {
	    [F_VERSION] = FIELD("version", REQUIRED), [F_DEFAULTS] = FIELD("defaults", OPTIONAL),
	    [F_IMAGES] = FIELD("images", REQUIRED),   [F_SENSORS] = FIELD("sensors", REQUIRED),
	    [F_CONTENT] = FIELD("content", OPTIONAL), [F_SCENARIOS] = FIELD("scenarios", REQUIRED),
	    [F_RINGS] = FIELD("rings", OPTIONAL),     [F_HOSTS] = FIELD("hosts", OPTIONAL),
	};
	yaml_mark_t start = {0, 0, 0};
	char d[SHOW_MAX + 32];
	int version;

	if (!root || is_null(root))
		return fail_at(p, start,
			       "empty suite file; expected a mapping with 'version: 1', 'images', "
			       "'sensors' and 'scenarios'");
	if (root->type != YAML_MAPPING_NODE)
		return fail(p, root,
			    "the top level must be a mapping with 'version: 1', 'images', "
			    "'sensors' and 'scenarios', got %s",
			    describe(root, d, sizeof(d)));
	if (map_read(p, root, "suite", f, F_N) < 0)
		return -1;
	if (get_int(p, &f[F_VERSION], INT_MIN, INT_MAX, &version) < 0 || version != 1)
		return fail(p, where(&f[F_VERSION]), "'version' must be 1, got %s",
			    describe(f[F_VERSION].value, d, sizeof(d)));
	if (f[F_DEFAULTS].key && parse_defaults(p, &f[F_DEFAULTS]) < 0)
		return -1;
	if (parse_images(p, &f[F_IMAGES]) < 0 || parse_sensors(p, &f[F_SENSORS]) < 0)
		return -1;
	if (f[F_CONTENT].key && parse_contents(p, &f[F_CONTENT]) < 0)
		return -1;
	if (parse_scenarios(p, &f[F_SCENARIOS]) < 0)
		return -1;
	if (f[F_RINGS].key && parse_rings(p, &f[F_RINGS]) < 0)
		return -1;
	return f[F_HOSTS].key ? parse_hosts(p, &f[F_HOSTS]) : 0;
}

/* ---- YAML errors, in words a suite author understands ---- */

/*
 * The byte offset in text of the character at mark, or text->len when it
 * cannot be told (UTF-16 input). libyaml's marks count characters, not bytes.
 */
static size_t mark_offset(const struct strbuf *text, yaml_mark_t mark)
{
	const unsigned char *t = (const unsigned char *)text->buf;
	size_t off = 0, chars = 0;

	if (text->len >= 2 && ((t[0] == 0xff && t[1] == 0xfe) || (t[0] == 0xfe && t[1] == 0xff)))
		return text->len;
	if (text->len >= 3 && !memcmp(t, "\xef\xbb\xbf", 3))
		off = 3;
	for (; off < text->len; off++)
		if ((t[off] & 0xc0) != 0x80 && chars++ == mark.index)
			break;
	return off;
}

/* The bytes of the (possibly broken) UTF-8 character at off, as "byte 0xff" or "bytes 0xc0 0x80".
 */
static const char *show_bytes(const struct strbuf *text, size_t off, char *buf, size_t size)
{
	const unsigned char *t = (const unsigned char *)text->buf + off;
	size_t n = 1, i;
	struct strbuf sb = STRBUF_INIT;

	if (off >= text->len) {
		snprintf(buf, size, "the end of the file");
		return buf;
	}
	if (t[0] >= 0xc0)
		n = t[0] >= 0xf0 ? 4 : t[0] >= 0xe0 ? 3 : 2;
	for (i = 0; i < n && off + i < text->len && (!i || (t[i] & 0xc0) == 0x80); i++)
		strbuf_addf(&sb, " 0x%02x", t[i]);
	snprintf(buf, size, "%s%s", i > 1 ? "bytes" : "byte", sb.buf);
	strbuf_release(&sb);
	return buf;
}

/* fmt, a message from this file's tables with at most one %s, filled with arg. */
static const char *fill(char *buf, size_t size, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, size, fmt, arg);
#pragma GCC diagnostic pop
	return buf;
}

/* libyaml's reader: bytes that are not UTF-8 text, reported at a byte offset. */
static int reader_failure(struct parse *p, const yaml_parser_t *parser, const struct strbuf *text)
{
	static const struct {
		const char *problem, *message;
	} hints[] = {
	    {"invalid leading UTF-8 octet", "%s cannot start a UTF-8 character"},
	    {"invalid trailing UTF-8 octet", "%s cannot continue the UTF-8 character before it"},
	    {"invalid length of a UTF-8 sequence", "%s are an overlong UTF-8 encoding"},
	    {"invalid Unicode character", "%s encode no valid Unicode character"},
	    {"incomplete UTF-8 octet sequence", "the file ends inside a UTF-8 character"},
	    {"control characters are not allowed",
	     "control character %s is not allowed; write it as an escape in a double-quoted "
	     "string"},
	};
	size_t off = parser->problem_offset < text->len ? parser->problem_offset : text->len;
	const char *problem = parser->problem ? parser->problem : "unknown error";
	char bytes[48], msg[256];

	show_bytes(text, off, bytes, sizeof(bytes));
	for (size_t i = 0; i < ARRAY_SIZE(hints); i++)
		if (!strcmp(problem, hints[i].problem))
			return fail_at(p, offset_mark(text, off),
				       "invalid YAML: %s; expected UTF-8 text",
				       fill(msg, sizeof(msg), hints[i].message, bytes));
	return fail_at(p, offset_mark(text, off), "invalid YAML: %s (%s); expected UTF-8 text",
		       problem, bytes);
}

/* libyaml's "found character that cannot start any token": say which and why. */
static int token_failure(struct parse *p, yaml_mark_t mark, const struct strbuf *text)
{
	size_t off = mark_offset(text, mark);
	unsigned char c = off < text->len ? (unsigned char)text->buf[off] : 0;
	char bytes[32];

	if (c == '\t')
		return fail_at(p, mark, "invalid YAML: tabs cannot indent YAML; use spaces");
	if (c == '@' || c == '`')
		return fail_at(p, mark,
			       "invalid YAML: '%c' is reserved and cannot start a value; quote the "
			       "value",
			       c);
	if (c > 0x20 && c < 0x7f)
		return fail_at(p, mark,
			       "invalid YAML: '%c' cannot start a value here; quote the value", c);
	return fail_at(p, mark, "invalid YAML: %s cannot start a value here; quote the value",
		       show_bytes(text, off, bytes, sizeof(bytes)));
}

/* An anchor or alias name written at mark ('&name' or '*name'), for messages. */
static const char *anchor_at(const struct strbuf *text, yaml_mark_t mark, char *buf, size_t size)
{
	size_t off = mark_offset(text, mark), n = 0;

	if (off < text->len && (text->buf[off] == '*' || text->buf[off] == '&'))
		off++;
	while (off + n < text->len && !strchr(" \t\r\n,[]{}", text->buf[off + n]))
		n++;
	return show(text->buf + off, n, buf, size);
}

/* libyaml's scanner, parser and loader problems, explained; %s is the context's position. */
static const struct {
	const char *problem, *message;
} yaml_hints[] = {
    {"mapping values are not allowed in this context",
     "':' cannot follow a value on this line; quote a value that contains ': ', and start a "
     "nested mapping on a new, indented line"},
    {"block sequence entries are not allowed in this context",
     "a '- ' entry cannot start here; put it on its own line, indented under its key"},
    {"mapping keys are not allowed in this context",
     "a '? ' key cannot start here; put it on its own line"},
    {"could not find expected ':'",
     "expected ':' after the key that starts at %s; a key and its ':' must be on one line"},
    {"did not find expected key",
     "expected 'key: value' at the indentation of the mapping that starts at %s; check the "
     "indentation of this line"},
    {"did not find expected '-' indicator",
     "expected a '- ' entry at the indentation of the sequence that starts at %s; check the "
     "indentation of this line"},
    {"did not find expected node content", "expected a value here (while parsing the node at %s)"},
    {"did not find expected ',' or ']'", "expected ',' or ']' in the '[' sequence at %s"},
    {"did not find expected ',' or '}'", "expected ',' or '}' in the '{' mapping at %s"},
    {"found unexpected end of stream",
     "the file ends inside the quoted string that starts at %s; expected its closing quote"},
    {"found unexpected document indicator",
     "a '---' or '...' line inside the quoted string that starts at %s; expected its closing "
     "quote first"},
    {"found unknown escape character",
     "unknown escape in the double-quoted string at %s; write '\\\\' for a backslash, or use "
     "single quotes"},
    {"did not find expected hexdecimal number",
     "expected hexadecimal digits after '\\x', '\\u' or '\\U' (in the string at %s)"},
    {"found invalid Unicode character escape code",
     "the escape names no valid Unicode character (in the string at %s)"},
    {"did not find expected alphabetic or numeric character",
     "an anchor ('&name') or alias ('*name') needs a name of letters, digits, '-' or '_'; "
     "quote a value that starts with '&' or '*'"},
    {"found a tab character that violates indentation", "tabs cannot indent YAML; use spaces"},
    {"found a tab character where an indentation space is expected",
     "tabs cannot indent YAML; use spaces"},
    {"found unexpected ':'", "':' inside a value in '[...]' or '{...}'; quote the value"},
    {"did not find expected <document start>",
     "unexpected text after the end of the document; expected '---' before another document"},
    {"did not find expected comment or line break",
     "unexpected text here; expected a comment or the end of the line"},
    {"found an indentation indicator equal to 0",
     "a block scalar's indentation indicator must be 1 to 9"},
    {"found undefined tag handle", "unknown tag; quote a value that starts with '!'"},
    {"did not find expected tag URI", "invalid tag; quote a value that starts with '!'"},
    {"did not find expected '!'", "invalid tag; quote a value that starts with '!'"},
    {"did not find the expected '>'", "invalid tag; quote a value that starts with '!'"},
    {"found unknown directive name",
     "unknown directive (a line starting with '%%'); quote a value that starts with '%%'"},
    {"found incompatible YAML document", "unsupported YAML version; expected '%%YAML 1.1'"},
};

/* A libyaml error as FILE:LINE:COL: what is wrong, in the suite author's terms. */
static int yaml_failure(struct parse *p, const yaml_parser_t *parser, const struct strbuf *text)
{
	yaml_mark_t mark = parser->problem_mark, ctx = parser->context_mark;
	const char *problem = parser->problem ? parser->problem : "unknown error";
	char at[48], name[SHOW_MAX];

	if (parser->error == YAML_MEMORY_ERROR)
		return error_set(p->err, "%s: out of memory while parsing", p->file);
	if (parser->error == YAML_READER_ERROR)
		return reader_failure(p, parser, text);
	if (!strcmp(problem, "found character that cannot start any token"))
		return token_failure(p, mark, text);
	if (!strcmp(problem, "found undefined alias"))
		return fail_at(
		    p, mark,
		    "invalid YAML: alias '*%s' names no anchor; expected '&%s' on a value "
		    "before it",
		    anchor_at(text, mark, name, sizeof(name)), name);
	if (parser->context && !strcmp(parser->context, "found duplicate anchor; first occurrence"))
		return fail_at(
		    p, mark,
		    "invalid YAML: anchor '&%s' is defined twice (first at %zu:%zu); each "
		    "anchor needs its own name",
		    anchor_at(text, mark, name, sizeof(name)), ctx.line + 1, ctx.column + 1);
	snprintf(at, sizeof(at), "%zu:%zu", ctx.line + 1, ctx.column + 1);
	for (size_t i = 0; i < ARRAY_SIZE(yaml_hints); i++)
		if (!strcmp(problem, yaml_hints[i].problem)) {
			char msg[512];

			return fail_at(p, mark, "invalid YAML: %s",
				       fill(msg, sizeof(msg), yaml_hints[i].message, at));
		}
	if (parser->context)
		return fail_at(p, mark, "invalid YAML: %s (%s at %s)", problem, parser->context,
			       at);
	return fail_at(p, mark, "invalid YAML: %s", problem);
}

/*
 * A first pass over libyaml's events before its loader sees the text. The
 * scanner's time grows with the square of the nesting depth (100,000 nested
 * '[' took 20 s) and the loader's with the number of anchors; counting them
 * here is linear, and the parser stops at the first event past a bound.
 * Syntax errors are reported here too.
 */
static int yaml_prepass(struct parse *p, const struct strbuf *text)
{
	yaml_parser_t parser;
	int depth = 0, anchors = 0, ret = -1;

	if (!yaml_parser_initialize(&parser))
		return error_set(p->err, "%s: out of memory while parsing", p->file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text->buf, text->len);
	for (;;) {
		yaml_event_t ev;
		const yaml_char_t *anchor = NULL;
		yaml_event_type_t type;

		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_failure(p, &parser, text);
			break;
		}
		type = ev.type;
		if (type == YAML_SEQUENCE_START_EVENT)
			anchor = ev.data.sequence_start.anchor, depth++;
		else if (type == YAML_MAPPING_START_EVENT)
			anchor = ev.data.mapping_start.anchor, depth++;
		else if (type == YAML_SCALAR_EVENT)
			anchor = ev.data.scalar.anchor;
		else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > NESTING_MAX)
			fail_at(p, ev.start_mark,
				"sequences and mappings nested more than %d deep; a suite needs "
				"about 6",
				NESTING_MAX);
		else if (anchor && ++anchors > ANCHORS_MAX)
			fail_at(p, ev.start_mark, "more than %d anchors ('&name'); expected fewer",
				ANCHORS_MAX);
		else if (type == YAML_STREAM_END_EVENT)
			ret = 0;
		yaml_event_delete(&ev);
		if (ret == 0 || depth > NESTING_MAX || anchors > ANCHORS_MAX)
			break;
	}
	yaml_parser_delete(&parser);
	return ret;
}

/* The directory of path, absolute with symbolic links resolved (malloc'd) or NULL. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir =
	    slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	char *abs = realpath(dir, NULL);

	free(dir);
	return abs;
}

int suite_load(struct suite *suite, const char *path, struct bp_error *err)
{
	struct strbuf text = STRBUF_INIT;
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	struct parse p = {
	    .file = path,
	    .text = &text,
	    .doc = &doc,
	    .suite = suite,
	    .err = err,
	    .boots = DEFAULT_BOOTS,
	    .boot_timeout = DEFAULT_BOOT_TIMEOUT,
	    .silence_timeout = DEFAULT_SILENCE_TIMEOUT,
	};
	int ret = -1;

	memset(suite, 0, sizeof(*suite));
	if (read_regular(path, SUITE_SIZE_MAX, &text, err) < 0)
		return error_prefix(err, "cannot load suite");
	suite->path = xstrdup(path);
	suite->dir = dir_of(path);
	if (!suite->dir) {
		error_set(err, "cannot resolve the directory of '%s': %s", path, strerror(errno));
		goto out_text;
	}

	if (yaml_prepass(&p, &text) < 0)
		goto out_text;
	if (!yaml_parser_initialize(&parser)) {
		error_set(err, "%s: out of memory while parsing", path);
		goto out_text;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.buf, text.len);
	if (!yaml_parser_load(&parser, &doc)) { /* libyaml has freed doc */
		yaml_failure(&p, &parser, &text);
		goto out_parser;
	}
	if (yaml_document_get_root_node(&doc)) {
		/* A second document in the same file would be silently ignored: refuse it. */
		if (!yaml_parser_load(&parser, &extra)) {
			yaml_failure(&p, &parser, &text);
			goto out_doc;
		}
		if (yaml_document_get_root_node(&extra)) {
			fail(
			    &p, yaml_document_get_root_node(&extra),
			    "a second YAML document; expected exactly one document per suite file");
			yaml_document_delete(&extra);
			goto out_doc;
		}
		yaml_document_delete(&extra);
	}
	ret = parse_root(&p, yaml_document_get_root_node(&doc));
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
out_text:
	strbuf_release(&text);
	free(p.declared);
	free(p.marks);
	if (ret < 0)
		suite_free(suite);
	return ret;
}

void suite_free(struct suite *suite)
{
	if (!suite)
		return;
	for (size_t i = 0; i < suite->nr_images; i++) {
		struct image *img = &suite->images[i];

		free(img->name);
		free(img->kind);
		free(img->kernel);
		free(img->initrd);
		free(img->disk);
		free(img->append);
		free(img->marker);
		free(img->backend);
	}
	free(suite->images);
	for (size_t i = 0; i < suite->nr_sensors; i++) {
		free(suite->sensors[i].name);
		free(suite->sensors[i].module);
		free(suite->sensors[i].agent);
		free(suite->sensors[i].evaluated);
		if (suite->sensors[i].evaluated_re)
			regfree(suite->sensors[i].evaluated_re);
		free(suite->sensors[i].evaluated_re);
	}
	free(suite->sensors);
	for (size_t i = 0; i < suite->nr_contents; i++) {
		struct content_set *cs = &suite->contents[i];

		for (size_t j = 0; j < cs->nr_files; j++) {
			free(cs->files[j].path);
			free(cs->files[j].as);
		}
		free(cs->files);
		free(cs->name);
		free(cs->previous);
		free(cs->split);
		free(cs->join);
	}
	free(suite->contents);
	for (size_t i = 0; i < suite->nr_scenarios; i++) {
		free(suite->scenarios[i].name);
		free(suite->scenarios[i].expect_title);
		free(suite->scenarios[i].log_contains);
		free(suite->scenarios[i].append);
		steps_free(suite->scenarios[i].steps, suite->scenarios[i].nr_steps);
	}
	free(suite->scenarios);
	for (size_t i = 0; i < suite->nr_rings; i++)
		free(suite->rings[i].name);
	free(suite->rings);
	for (size_t i = 0; i < suite->nr_hosts; i++)
		free(suite->hosts[i].uri);
	free(suite->hosts);
	free(suite->path);
	free(suite->dir);
	memset(suite, 0, sizeof(*suite));
}
