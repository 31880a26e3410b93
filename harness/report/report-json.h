/*
 * report-json - results.json, the machine-readable record of a run and the
 * source every other format is rendered from. Schema: docs/results-schema.json
 * (schema_version 2). Written atomically: readers see the previous complete
 * file or the new one, never a torn one; a run still going or interrupted
 * has "complete": false.
 *
 * Every string is valid UTF-8 (escape_text()) and the file is pure ASCII:
 * the encoder writes every non-ASCII character as \uXXXX, so no line
 * separator (U+2028, U+2029, U+0085) is ever raw in it.
 *
 * Read back, results.json is input like any other: report_load() refuses a
 * file that does not match the schema (types, required fields, enums,
 * patterns, minimums, no unknown fields: the C mirror of the schema's
 * rules), so renderers can rely on every field's type and every enum's
 * value; they still escape every string they render.
 */
#ifndef BP_REPORT_JSON_H
#define BP_REPORT_JSON_H

#include <jansson.h>

#include "results.h"

#define RESULTS_SCHEMA_NAME "bootproof-results"
#define RESULTS_SCHEMA_VERSION 2

int report_json_write(const struct run_result *r, const char *path, struct bp_error *err);
/* Write a results.json document as report_json_write() does (ASCII, atomically). */
int report_json_save(const json_t *root, const char *path, struct bp_error *err);

/* One boot or check as results.json records it (new references). */
json_t *report_json_boot(const struct boot_result *b);
json_t *report_json_check(const struct check_result *c);

/*
 * Read RUN_DIR/results.json into *ret (caller json_decref()s it), checked
 * with report_schema_check() (report-schema.h). Returns 0, or -1 with err naming the file
 * and, for a schema mismatch, the field ("/scenarios/0/boots/1/outcome").
 */
int report_load(const char *run_dir, json_t **ret, struct bp_error *err);

/* The same for text in memory; what names it in messages. */
int report_json_parse(const char *text, size_t len, const char *what, json_t **ret,
		      struct bp_error *err);

#endif
