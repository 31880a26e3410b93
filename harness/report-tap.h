/*
 * report-tap - the TAP13 stream: one test point per boot and per check,
 * with YAML diagnostics (outcome, title, log, excerpt) for anything not a
 * clean boot. Points are written as they happen, to several outputs at once
 * (stdout and results.tap); the plan comes last, as TAP allows.
 *
 * Guest text only ever appears inside YAML block scalars, and it has been
 * sanitized (console.h), so it cannot break the stream.
 */
#ifndef BP_REPORT_TAP_H
#define BP_REPORT_TAP_H

#include <stdio.h>

#include "results.h"

struct tap_writer {
	FILE *out[2];
	size_t nr_out;
	int n;
};

void tap_begin(struct tap_writer *w);
void tap_boot(struct tap_writer *w, const struct trial_result *t, const struct boot_result *b);
void tap_checks(struct tap_writer *w, const struct trial_result *t);
void tap_comment(struct tap_writer *w, const char *text);
void tap_end(struct tap_writer *w);

#endif
