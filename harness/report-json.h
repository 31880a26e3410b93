/*
 * report-json - results.json, the machine-readable record of a run and the
 * source every other format can be rendered from. Schema: docs/results-schema.json
 * (schema_version 1). Written atomically: readers see the previous complete
 * file or the new one, never a torn one; a run still going or interrupted
 * has "complete": false.
 */
#ifndef BP_REPORT_JSON_H
#define BP_REPORT_JSON_H

#include "results.h"

#define RESULTS_SCHEMA_VERSION 1

int report_json_write(const struct run_result *r, const char *path, struct bp_error *err);

#endif
