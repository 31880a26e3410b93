/*
 * report-html - index.html, the page a person reads, and report_render(),
 * which renders every derived format of a run directory from its
 * results.json (docs/results-schema.json): index.html and junit.xml always,
 * results.tap only when the run's own TAP stream is missing. All three are
 * written with write_file_atomic(), so a reader never sees a torn file.
 *
 * The page is static and self-contained: inline CSS, inline SVG, no script,
 * no network access (a Content-Security-Policy forbids anything but the
 * run's own images); screenshots are PNG files referenced relatively, so the
 * run directory can be copied or archived as it is. It has a summary
 * (id="summary"; numbers in id="sum-pass", "sum-fail", "sum-infra",
 * "sum-scenarios", "sum-new", ...), the run's crash signatures
 * (id="signatures"), and per scenario (class="scenario") a boot timeline
 * (svg class="timeline", one rect class="boot OUTCOME" per boot, its width
 * proportional to the boot's duration, at least BOOT_MIN_PX), the boots,
 * the checks, and per crash signature (class="crash") its title, the boots
 * it happened on, the excerpt with the crash lines in <mark
 * class="crash-line">, and the screenshot (img class="screenshot").
 *
 * Everything in results.json that came from the guest (titles, excerpts,
 * shutdown reasons) and every path is escaped with markup_escape(): guest
 * text can neither add elements nor break out of an attribute, and control
 * characters and invalid UTF-8 become U+FFFD.
 *
 * The helpers below (report_load, report_signature, markup_escape, rj_*) are
 * shared by report-junit.c and history.c: they read results.json the same way.
 */
#ifndef BP_REPORT_HTML_H
#define BP_REPORT_HTML_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

#define RESULTS_SCHEMA_NAME "bootproof-results"
#define RESULTS_SCHEMA_SUPPORTED 1
#define BOOT_MIN_PX 3

/* What the page can say beyond results.json. */
struct report_context {
	const char *run_dir;         /* screenshots are checked for existence here */
	int compared;                /* a history comparison was made */
	const char *compared_with;   /* its other run, or NULL when there was none */
	const char *const *new_sigs; /* signatures new since that run */
	size_t nr_new_sigs;
};

/*
 * Read RUN_DIR/results.json into *ret (caller json_decref()s it). Fails
 * unless it is an object with "schema": "bootproof-results", a
 * "schema_version" this code reads, a "run_id" and a "scenarios" array.
 */
int report_load(const char *run_dir, json_t **ret, struct bp_error *err);

/*
 * The signature of a crash: its title (already normalized by the detector)
 * with whitespace trimmed and collapsed, at most 200 bytes (never splitting
 * a UTF-8 character); "(untitled crash)" for NULL or blank. Caller frees.
 */
char *report_signature(const char *title);

/*
 * Append len bytes of s escaped for HTML and XML 1.0 text or attribute
 * values: & < > " ' as entities; '\n' and '\t' kept in text, and as
 * character references in attributes (MARKUP_ATTR); '\r' dropped; ANSI CSI
 * sequences dropped; other control characters (C0, DEL, C1), U+FFFE/U+FFFF
 * and invalid UTF-8 bytes replaced by U+FFFD.
 */
#define MARKUP_ATTR 1
void markup_escape(struct strbuf *sb, const char *s, size_t len, int flags);
void markup_escapes(struct strbuf *sb, const char *s, int flags); /* NULL: nothing */

/*
 * What a boot had to be: its own "expect" ("any" in recovery steps), else
 * the scenario's. A boot is ok when it was judged, was not an infrastructure
 * failure, and matched that (anything matches "any"); as trial_boot_ok().
 */
const char *report_boot_expect(const json_t *scenario, const json_t *boot);
int report_boot_ok(const json_t *scenario, const json_t *boot);

/* A path inside the run directory: relative, with no ".." component. */
int report_path_ok(const char *path);

/* Render the page for a loaded results.json into out. */
void report_html(const json_t *results, const struct report_context *ctx, struct strbuf *out);

/*
 * Re-render RUN_DIR's index.html and junit.xml from its results.json, and
 * results.tap if it does not exist. ctx may be NULL (no history comparison);
 * its run_dir is ignored. Returns 0, or -1 with err (files already written
 * stay written).
 */
int report_render_ctx(const char *run_dir, const struct report_context *ctx,
		      struct bp_error *err);
int report_render(const char *run_dir, struct bp_error *err);

/* Field accessors: NULL / 0 when the key is missing or of another type. */
static inline const char *rj_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static inline double rj_num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static inline long long rj_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static inline int rj_true(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

#endif
