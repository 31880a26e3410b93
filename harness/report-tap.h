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
	int errnum[2]; /* the first write error (errno) on each output; 0: none */
};

void tap_begin(struct tap_writer *w);
void tap_boot(struct tap_writer *w, const struct trial_result *t, const struct boot_result *b);
void tap_checks(struct tap_writer *w, const struct trial_result *t);
void tap_comment(struct tap_writer *w, const char *text);
void tap_end(struct tap_writer *w);
/*
 * Close f, one of w's outputs written to the temporary file tmp, and rename
 * it to path. If any write to it failed (a full disk), tmp is removed
 * instead, so path is never a truncated stream: -1 with err naming path.
 */
int tap_file_commit(struct tap_writer *w, FILE *f, const char *tmp, const char *path,
		    struct bp_error *err);

#endif
