/*
 * report-schema - docs/results-schema.json as tables, and the walk that
 * checks a document against them (see report-schema.h).
 */
#include "report-schema.h"

#include <math.h>
#include <string.h>

#include "escape.h"
#include "report-json.h"

enum {
	T_STR = 1,
	T_NULL = 2,
	T_INT = 4,
	T_NUM = 8, /* any number, integers included */
	T_BOOL = 16,
	T_ARR = 32,
	T_OBJ = 64,
};

struct shape;

struct field {
	const char *name;
	unsigned types;
	int optional;
	const char *const *enums;   /* strings allowed (NULL-terminated); NULL: any */
	int has_min;
	double min;
	int (*pattern)(const char *s);
	const struct shape *shape;  /* T_OBJ, or the items of a T_ARR of objects */
	unsigned item_types;        /* the items of a T_ARR of scalars */
};

struct shape {
	const struct field *fields;
	size_t nr;
};

#define MIN(n) .has_min = 1, .min = (n)
#define F(n, t, ...) {.name = (n), .types = (t), __VA_ARGS__}

/* digits(s, n): n ASCII digits at s. */
static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* ^[0-9]{8}-[0-9]{6}-[0-9]+$ */
static int run_id_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 16 && digits(s, 8) && s[8] == '-' && digits(s + 9, 6) && s[15] == '-' &&
	       digits(s + 16, len - 16);
}

/* ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ */
static int started_ok(const char *s)
{
	return strlen(s) == 20 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
	       digits(s + 8, 2) && s[10] == 'T' && digits(s + 11, 2) && s[13] == ':' &&
	       digits(s + 14, 2) && s[16] == ':' && digits(s + 17, 2) && s[19] == 'Z';
}

/* ^[0-9a-f]{64}$ */
static int sha256_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

static const char *const e_schema[] = {RESULTS_SCHEMA_NAME, NULL};
static const char *const e_accel[] = {"kvm", "tcg", NULL};
static const char *const e_outcome[] = {"clean", "crash", "hang", "infra", "recovery", NULL};
static const char *const e_expect[] = {"clean", "crash", "hang", "infra", "recovery", "any",
				       NULL};
static const char *const e_verdict[] = {"pass", "fail", "infra", NULL};
static const char *const e_ring_state[] = {"not_run", "running", "passed", "failed", "skipped",
					   NULL};
static const char *const e_soak_unit[] = {"boot", "push", NULL};

#define SHAPE(f) {(f), sizeof(f) / sizeof((f)[0])}

static const struct field check_fields[] = {
	F("name", T_STR),
	F("ok", T_BOOL),
	F("diag", T_STR | T_NULL),
};
static const struct shape check_shape = SHAPE(check_fields);

static const struct field recovery_fields[] = {
	F("summary", T_STR | T_NULL),
	F("recovered_without_manual_steps", T_BOOL),
	F("boots_to_recovery", T_INT | T_NULL, MIN(1)),
	F("boots_tried", T_INT, MIN(0)),
	F("max_boots", T_INT, MIN(0)),
	F("time_to_recovery_s", T_NUM | T_NULL, MIN(0)),
	F("rollback_arrived_at_boot", T_INT | T_NULL, MIN(1)),
	F("manual_steps", T_ARR, .item_types = T_STR),
	F("manual_steps_needed", T_INT, MIN(0)),
	F("manual_remediation_verified", T_BOOL),
	F("stuck_at_recovery_boot", T_INT, MIN(1), .optional = 1),
};
static const struct shape recovery_shape = SHAPE(recovery_fields);

static const struct field sample_fields[] = {
	F("n", T_INT, MIN(1)),
	F("t_s", T_NUM, MIN(0)),
	F("mem_available_kib", T_INT | T_NULL, MIN(0)),
	F("mem_free_kib", T_INT | T_NULL, MIN(0)),
	F("slab_kib", T_INT | T_NULL, MIN(0)),
	F("module_bytes", T_INT | T_NULL, MIN(0)),
};
static const struct shape sample_shape = SHAPE(sample_fields);

static const struct field soak_fields[] = {
	F("step", T_INT, MIN(1)),
	F("unit", T_STR, .enums = e_soak_unit),
	F("planned", T_INT, MIN(1)),
	F("done", T_INT, MIN(0)),
	F("duration_limit_s", T_INT | T_NULL, MIN(1)),
	F("seconds", T_NUM, MIN(0)),
	F("stopped", T_STR | T_NULL),
};
static const struct shape soak_shape = SHAPE(soak_fields);

static const struct field ring_fields[] = {
	F("index", T_INT, MIN(0)),
	F("name", T_STR),
	F("state", T_STR, .enums = e_ring_state),
	F("reason", T_STR | T_NULL),
	F("trials", T_INT, MIN(0)),
	F("passed", T_INT, MIN(0)),
	F("failed", T_INT, MIN(0)),
	F("skipped", T_INT, MIN(0)),
};
static const struct shape ring_shape = SHAPE(ring_fields);

/* ^0x[0-9A-F]+$ */
static int hex_ok(const char *s)
{
	size_t i;

	if (s[0] != '0' || s[1] != 'x' || !s[2])
		return 0;
	for (i = 2; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static const char *const e_source[] = {"serial", "event", "dump", NULL};

static const struct field source_fields[] = {
	F("source", T_STR, .enums = e_source),
	F("title", T_STR | T_NULL),
	F("code", T_STR | T_NULL, .pattern = hex_ok),
	F("parameters", T_ARR, .item_types = T_STR),
	F("driver", T_STR | T_NULL),
	F("file", T_STR | T_NULL),
	F("note", T_STR | T_NULL),
};
static const struct shape source_shape = SHAPE(source_fields);

static const struct field boot_fields[] = {
	F("n", T_INT, MIN(1)),
	F("step", T_INT, MIN(0)),
	F("expect", T_STR, .enums = e_expect),
	F("outcome", T_STR | T_NULL, .enums = e_outcome),
	F("ok", T_BOOL | T_NULL),
	F("title", T_STR | T_NULL),
	F("duration_s", T_NUM, MIN(0)),
	F("detect_ms", T_NUM, MIN(0)),
	F("start_ms", T_NUM, MIN(0), .optional = 1),
	F("log", T_STR | T_NULL),
	F("screenshot", T_STR | T_NULL),
	F("crash_line", T_INT, MIN(0)),
	F("crash_kind", T_STR | T_NULL),
	F("crash_function", T_STR | T_NULL),
	F("crash_module", T_STR | T_NULL),
	F("tainted_oot", T_BOOL),
	F("marker_seen", T_BOOL),
	F("guest_panicked", T_BOOL),
	F("shutdown_reason", T_STR | T_NULL),
	F("excerpt", T_STR | T_NULL),
	F("update_installed", T_BOOL),
	F("live_pushed", T_BOOL),
	F("update_error", T_STR | T_NULL),
	F("restored", T_BOOL),
	F("powered_off", T_BOOL),
	F("pushes", T_INT, MIN(0), .optional = 1),
	F("samples", T_ARR, .shape = &sample_shape, .optional = 1),
	F("sources", T_ARR, .shape = &source_shape, .optional = 1),
	F("sources_disagree", T_STR | T_NULL, .optional = 1),
};
static const struct shape boot_shape = SHAPE(boot_fields);

static const struct field race_fields[] = {
	F("agent_delay_ms", T_INT | T_NULL, MIN(0)),
	F("sensor_delay_ms", T_INT | T_NULL, MIN(0)),
};
static const struct shape race_shape = SHAPE(race_fields);

static const struct field attempt_fields[] = {
	F("host", T_STR),
	F("reason", T_STR),
};
static const struct shape attempt_shape = SHAPE(attempt_fields);

static const struct field scenario_fields[] = {
	F("name", T_STR),
	F("image", T_STR),
	F("sensor", T_STR),
	F("content", T_STR | T_NULL),
	F("expect", T_STR | T_NULL, .enums = e_outcome),
	F("boots_planned", T_INT, MIN(1)),
	F("verdict", T_STR | T_NULL, .enums = e_verdict),
	F("accelerator", T_STR | T_NULL, .enums = e_accel),
	F("duration_s", T_NUM, MIN(0)),
	F("dir", T_STR),
	F("boots", T_ARR, .shape = &boot_shape),
	F("checks", T_ARR, .shape = &check_shape),
	F("recovery", T_OBJ | T_NULL, .shape = &recovery_shape),
	F("image_sha256", T_STR, .optional = 1, .pattern = sha256_ok),
	F("sensor_sha256", T_STR, .optional = 1, .pattern = sha256_ok),
	F("content_sha256", T_STR, .optional = 1, .pattern = sha256_ok),
	F("race", T_OBJ, .optional = 1, .shape = &race_shape),
	F("soak", T_OBJ | T_NULL, .shape = &soak_shape, .optional = 1),
	F("ring", T_STR | T_NULL, .optional = 1),
	F("skipped", T_STR | T_NULL, .optional = 1),
	F("host", T_STR | T_NULL, .optional = 1),
	F("attempts", T_ARR, .shape = &attempt_shape, .optional = 1),
};
static const struct shape scenario_shape = SHAPE(scenario_fields);

static const struct field summary_fields[] = {
	F("scenarios", T_INT, MIN(0)),
	F("pass", T_INT, MIN(0)),
	F("fail", T_INT, MIN(0)),
	F("infra", T_INT, MIN(0)),
	F("skipped", T_INT, MIN(0), .optional = 1),
};
static const struct shape summary_shape = SHAPE(summary_fields);

static const struct field repro_other_fields[] = {
	F("title", T_STR),
	F("count", T_INT, MIN(1)),
};
static const struct shape repro_other_shape = SHAPE(repro_other_fields);

static const struct field repro_entry_fields[] = {
	F("scenario", T_STR),
	F("trials", T_INT, MIN(0)),
	F("reproduced", T_INT, MIN(0)),
	F("other_crashes", T_INT, MIN(0)),
	F("clean", T_INT, MIN(0)),
	F("others", T_ARR, .shape = &repro_other_shape),
	F("rate", T_NUM, MIN(0)),
	F("ci_low", T_NUM, MIN(0)),
	F("ci_high", T_NUM, MIN(0)),
};
static const struct shape repro_entry_shape = SHAPE(repro_entry_fields);

static const struct field repro_fields[] = {
	F("field_report", T_STR),
	F("signature", T_STR),
	F("precision", T_NUM, MIN(0)),
	F("max_trials", T_INT, MIN(1)),
	F("entries", T_ARR, .shape = &repro_entry_shape),
};
static const struct shape repro_shape = SHAPE(repro_fields);
static const struct field shard_fields[] = {
	F("index", T_INT, MIN(1)),
	F("total", T_INT, MIN(1)),
	F("suite_sha256", T_STR, .pattern = sha256_ok),
	F("partition_sha256", T_STR, .pattern = sha256_ok),
};
static const struct shape shard_shape = SHAPE(shard_fields);

static const struct field merged_fields[] = {
	F("total", T_INT, MIN(1)),
	F("suite_sha256", T_STR, .pattern = sha256_ok),
	F("partition_sha256", T_STR, .pattern = sha256_ok),
	F("runs", T_ARR, .item_types = T_STR),
	F("missing", T_ARR, .item_types = T_INT),
};
static const struct shape merged_shape = SHAPE(merged_fields);
static const char *const e_bisect_outcome[] = {"narrowed", "no-crash", "incomplete", NULL};
static const char *const e_version[] = {"clean", "crash", "other", "unknown", NULL};

static const struct field rate_fields[] = {
	F("trials", T_INT, MIN(0)),
	F("crashes", T_INT, MIN(0)),
	F("rate", T_NUM | T_NULL, MIN(0)),
};
static const struct shape rate_shape = SHAPE(rate_fields);

static const struct field bisect_file_fields[] = {
	F("as", T_STR),
	F("path", T_STR),
	F("instances", T_ARR | T_NULL, .item_types = T_INT),
	F("of_instances", T_INT | T_NULL, MIN(1)),
};
static const struct shape bisect_file_shape = SHAPE(bisect_file_fields);

static const struct field version_fields[] = {
	F("content", T_STR),
	F("verdict", T_STR, .enums = e_version),
	F("trials", T_INT, MIN(0)),
	F("crashes", T_INT, MIN(0)),
	F("rate", T_NUM | T_NULL, MIN(0)),
};
static const struct shape version_shape = SHAPE(version_fields);

static const struct field bisect_fields[] = {
	F("scenario", T_STR),
	F("content", T_STR),
	F("signature", T_STR | T_NULL),
	F("title_given", T_BOOL),
	F("outcome", T_STR, .enums = e_bisect_outcome),
	F("p", T_NUM, MIN(0)),
	F("k", T_INT, MIN(0)),
	F("full", T_OBJ, .shape = &rate_shape),
	F("minimal", T_ARR, .shape = &bisect_file_shape),
	F("minimal_rate", T_OBJ, .shape = &rate_shape),
	F("rounds", T_INT, MIN(0)),
	F("trials", T_INT, MIN(0)),
	F("wall_s", T_NUM, MIN(0)),
	F("versions", T_ARR | T_NULL, .shape = &version_shape),
	F("last_good", T_STR | T_NULL),
	F("first_bad", T_STR | T_NULL),
};
static const struct shape bisect_shape = SHAPE(bisect_fields);

static const struct field root_fields[] = {
	F("schema", T_STR, .enums = e_schema),
	F("schema_version", T_INT, MIN(RESULTS_SCHEMA_VERSION)), /* == : checked by report_load */
	F("run_id", T_STR, .pattern = run_id_ok),
	F("suite", T_STR),
	F("started", T_STR, .pattern = started_ok),
	F("duration_s", T_NUM, MIN(0)),
	F("complete", T_BOOL),
	F("incomplete_reason", T_STR | T_NULL),
	F("host", T_STR | T_NULL),
	F("accelerator", T_STR | T_NULL, .enums = e_accel),
	F("accelerator_reason", T_STR | T_NULL),
	F("jobs", T_INT, MIN(0)),
	F("trials_s", T_NUM, MIN(0)),
	F("work_dir", T_STR | T_NULL),
	F("harness_peak_rss_kib", T_INT, MIN(0)),
	F("shard", T_OBJ, .optional = 1, .shape = &shard_shape),
	F("merged", T_OBJ, .optional = 1, .shape = &merged_shape),
	F("summary", T_OBJ, .shape = &summary_shape),
	F("rings", T_ARR, .shape = &ring_shape, .optional = 1),
	F("scenarios", T_ARR, .shape = &scenario_shape),
	F("seed", T_INT, MIN(0), .optional = 1),
	F("repro", T_OBJ, .optional = 1, .shape = &repro_shape),
	F("bisect", T_OBJ, .optional = 1, .shape = &bisect_shape),
};
static const struct shape root_shape = SHAPE(root_fields);

struct walk {
	struct strbuf where;
	const char *what;
	struct bp_error *err;
};

static int bad(struct walk *w, const char *msg)
{
	return error_set(w->err, "'%s': %s: %s", w->what, w->where.len ? w->where.buf : "/", msg);
}

/* The value's type bit; a real without a fraction counts as an integer too. */
static unsigned type_of(const json_t *v)
{
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return T_STR;
	case JSON_NULL:
		return T_NULL;
	case JSON_INTEGER:
		return T_INT | T_NUM;
	case JSON_REAL:
		d = json_real_value(v);
		return d == floor(d) && fabs(d) < 9.2e18 ? T_INT | T_NUM : T_NUM;
	case JSON_TRUE:
	case JSON_FALSE:
		return T_BOOL;
	case JSON_ARRAY:
		return T_ARR;
	case JSON_OBJECT:
		return T_OBJ;
	}
	return 0;
}

static int check_object(struct walk *w, json_t *o, const struct shape *sh);

static int check_scalar(struct walk *w, const json_t *v, const struct field *f)
{
	const char *s = json_string_value(v);

	if (s && f->enums) {
		size_t i;

		for (i = 0; f->enums[i] && strcmp(f->enums[i], s); i++)
			;
		if (!f->enums[i])
			return bad(w, "not one of the values the schema allows");
	}
	if (s && f->pattern && !f->pattern(s))
		return bad(w, "does not match the schema's pattern");
	if (f->has_min && json_is_number(v) && json_number_value(v) < f->min)
		return bad(w, "below the schema's minimum");
	return 0;
}

static int check_array(struct walk *w, json_t *a, const struct field *f)
{
	size_t i, len = w->where.len;
	json_t *v;
	int ret = 0;

	json_array_foreach(a, i, v) {
		strbuf_addf(&w->where, "/%zu", i);
		if (f->shape)
			ret = json_is_object(v) ? check_object(w, v, f->shape)
						: bad(w, "not an object");
		else if (!(type_of(v) & f->item_types))
			ret = bad(w, "not of the type the schema says");
		w->where.len = len;
		w->where.buf[len] = '\0';
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int check_field(struct walk *w, json_t *o, const struct field *f)
{
	json_t *v = json_object_get(o, f->name);
	unsigned t;

	if (!v)
		return f->optional ? 0 : bad(w, "a required field is missing");
	t = type_of(v);
	if (!(t & f->types))
		return bad(w, "not of the type the schema says");
	if ((f->types & T_INT) && json_is_real(v) && !(f->types & T_NUM)) {
		json_object_set_new(o, f->name, json_integer((json_int_t)json_real_value(v)));
		v = json_object_get(o, f->name);
	}
	if (check_scalar(w, v, f) < 0)
		return -1;
	if (json_is_object(v))
		return check_object(w, v, f->shape);
	if (json_is_array(v))
		return check_array(w, v, f);
	return 0;
}

static int check_object(struct walk *w, json_t *o, const struct shape *sh)
{
	size_t len = w->where.len, i;
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		for (i = 0; i < sh->nr && strcmp(sh->fields[i].name, key); i++)
			;
		if (i == sh->nr) {
			/* The key is the file's text: it reaches the terminal. */
			strbuf_addch(&w->where, '/');
			escape_term(&w->where, key);
			return bad(w, "a field the schema does not have");
		}
	}
	for (i = 0; i < sh->nr; i++) {
		int ret;

		strbuf_addf(&w->where, "/%s", sh->fields[i].name);
		ret = check_field(w, o, &sh->fields[i]);
		w->where.len = len;
		w->where.buf[len] = '\0';
		if (ret < 0)
			return -1;
	}
	return 0;
}

int report_schema_check(json_t *root, const char *what, struct bp_error *err)
{
	struct walk w = {STRBUF_INIT, what, err};
	int ret;

	if (!json_is_object(root))
		return error_set(err, "'%s': /: not an object", what);
	ret = check_object(&w, root, &root_shape);
	strbuf_release(&w.where);
	return ret;
}
