/*
 * report-tap - the TAP13 stream, the one renderer of it: one test point
 * per boot and per check, with YAML diagnostics (outcome, title, log,
 * excerpt) for anything that is not a passing clean boot. During a run,
 * points are written as they happen, to several outputs at once (stdout
 * and results.tap), the plan last, as TAP allows; report_tap() renders the
 * same points from a results.json read back (`bootproof report`). Both go
 * through the same code from the same data: a boot's results.json object
 * (report_json_boot()), its "ok" decided by trial.c.
 *
 * A trial that ran on a libvirt host of a pool (results.h: host) has a
 * comment "# NAME: on host URI" before its first boot's point, after one
 * "# NAME: attempt N lost with host URI: WHY" per attempt lost with its
 * host; the direct backend's trials ("local") have none.
 *
 * No text can break the stream: a description or comment is one line
 * (escape_tap_line()), a YAML scalar is double-quoted (escape_yaml_quoted()),
 * and each line of a YAML block (the excerpt) is indented four spaces, deeper
 * than the block's own "---"/"..." lines, and escaped with escape_yaml_line(),
 * so no guest line can end the block or be read as a test point.
 */
#ifndef BP_REPORT_TAP_H
#define BP_REPORT_TAP_H

#include <jansson.h>
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
/* t was skipped (t->skipped says why): `ok N - NAME # SKIP reason`. */
void tap_skip(struct tap_writer *w, const struct trial_result *t);
/* text may be anything: it is written as one comment line. */
void tap_comment(struct tap_writer *w, const char *text);
void tap_end(struct tap_writer *w);
/*
 * Close f, one of w's outputs written to the temporary file tmp, and rename
 * it to path. If any write to it failed (a full disk), tmp is removed
 * instead, so path is never a truncated stream: -1 with err naming path.
 */
int tap_file_commit(struct tap_writer *w, FILE *f, const char *tmp, const char *path,
		    struct bp_error *err);

/* The whole stream of a loaded results.json (report_load()). */
void report_tap(const json_t *results, struct strbuf *out);

#endif
