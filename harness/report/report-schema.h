/*
 * report-schema - the C mirror of docs/results-schema.json: what
 * report_load() checks a results.json read back against, so that a
 * tampered or truncated file is refused before anything renders it.
 *
 * Mirrored: every object's required fields and "additionalProperties":
 * false (an unknown field is refused), each field's JSON types, enums and
 * consts, the patterns of run_id, started and the digests, and minimums.
 * The schema's "integer" is a number without a fraction, as JSON Schema
 * says: such a real (1.0) is made an integer in place, so readers can use
 * json_integer_value(). Keep this table and the schema in step: t-report
 * checks that python3-jsonschema and this code agree on a set of tampered
 * files.
 */
#ifndef BP_REPORT_SCHEMA_H
#define BP_REPORT_SCHEMA_H

#include <jansson.h>

#include "util.h"

/*
 * Returns 0, or -1 with err "WHAT: WHERE: what is wrong" (WHERE a JSON
 * pointer such as /scenarios/0/boots/1/outcome).
 */
int report_schema_check(json_t *root, const char *what, struct bp_error *err);

#endif
