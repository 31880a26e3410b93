/*
 * report-html - index.html, the page a person reads, and
 * report_render_ctx(), which renders the derived formats of a run directory
 * from its results.json (docs/results-schema.json): index.html, junit.xml
 * and results.tap. Each is written with write_file_atomic(), so a reader
 * never sees a torn file, and a run cut off midway still renders: its
 * results.json says "complete": false and the page says so.
 *
 * The page is static and self-contained: inline CSS, inline SVG, no script,
 * no network access (a Content-Security-Policy forbids anything but the
 * run's own images); screenshots are PNG files referenced relatively, so the
 * run directory can be copied or archived as it is. Its header links to
 * ../trend.html (id="trend-link"), the reports directory's trend page
 * (report-trend.h), which every run writes beside its run directory. It
 * has a summary (id="summary"; numbers in id="sum-pass", "sum-fail", "sum-infra",
 * "sum-scenarios", "sum-new", ...), for a `repro` run its figures
 * (id="repro", one tr class="repro-entry" per matrix entry), the run's crash signatures
 * (id="signatures"), and per scenario (class="scenario") a boot timeline
 * (svg class="timeline", one rect class="boot OUTCOME" per boot, its width
 * proportional to the boot's duration, at least BOOT_MIN_PX), the boots,
 * the checks, and per crash signature (class="crash") its title, the boots
 * it happened on, the excerpt with the crash lines in <mark
 * class="crash-line">, the screenshot (img class="screenshot"; each other
 * boot of the signature's, folded, too), for a boot that recorded its
 * sources their views (table class="sources", one tr class="source" each,
 * a link to each dump file; p class="disagree" when they differ) and, folded
 * (details class="console"), the boot's serial console as report_log_read()
 * bounds it; hang and infra boots get their console tail and console too.
 *
 * Every string of results.json and every log line is escaped with
 * escape_markup() (escape.h): guest text can neither add elements nor break
 * out of an attribute. Whether a boot or check passed is what results.json
 * says ("ok", decided by trial.c); the page never judges again.
 *
 * The helpers below (report_signature, report_log_read, rj_*) are shared by
 * report-junit.c, report-tap.c and history.c: they read results.json
 * (loaded and checked by report_load(), report-json.h) the same way.
 */
#ifndef BP_REPORT_HTML_H
#define BP_REPORT_HTML_H

#include <jansson.h>
#include <stddef.h>

#include "report-json.h"
#include "util.h"

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
 * The signature of a crash: its title (already normalized by the detector)
 * with whitespace trimmed and collapsed, at most 200 bytes (never splitting
 * a UTF-8 character); "(untitled crash)" for NULL or blank. Caller frees.
 */
char *report_signature(const char *title);

/* A path inside the run directory: relative, with no ".." component. */
int report_path_ok(const char *path);

/*
 * A link to a file in the run directory (or, from trend.html, in the
 * reports directory): path must pass report_path_ok(); every byte but
 * [A-Za-z0-9/._~-] is percent-encoded, so no scheme ("javascript:") or
 * quote can come through. Appends the URL and returns 1, or returns 0 and
 * appends nothing for a path that does not qualify.
 */
int report_add_url(struct strbuf *sb, const char *path);

/*
 * A boot's serial log, RUN_DIR/LOG, bounded for a report: the whole file
 * when it has at most head + tail bytes; else its first lines within head
 * bytes (the kernel's version and command line), a line "[... N bytes of
 * the log left out ...]" and its last lines within tail bytes (the crash).
 * LOG must pass report_path_ok() and is opened without following a symlink.
 * The text is the guest's raw bytes: escape it before use. Appends to sb and
 * returns 0, or returns -1 (sb unchanged) when there is no such log.
 */
#define REPORT_LOG_HEAD (8 * 1024)
#define REPORT_LOG_TAIL (56 * 1024)
int report_log_read(const char *run_dir, const char *log, size_t head, size_t tail,
		    struct strbuf *sb);

/* Render the page for a loaded results.json into out. */
void report_html(const json_t *results, const struct report_context *ctx, struct strbuf *out);

/* What report_render_ctx() writes. */
#define REPORT_HTML 0x1           /* index.html */
#define REPORT_JUNIT 0x2          /* junit.xml */
#define REPORT_TAP 0x4            /* results.tap, replacing the run's own stream */
#define REPORT_TAP_IF_MISSING 0x8 /* results.tap only if the run left none */
#define REPORT_ALL (REPORT_HTML | REPORT_JUNIT | REPORT_TAP)

/*
 * Render the formats asked for into RUN_DIR from its results.json, each
 * file written with write_file_atomic(). ctx may be NULL (no history
 * comparison); its run_dir is ignored. Returns 0, or -1 with err (files
 * already written stay written). report_render() is what a run does at its
 * end: index.html, junit.xml, and results.tap only if it is missing.
 */
int report_render_ctx(const char *run_dir, const struct report_context *ctx, unsigned formats,
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
