/*
 * report-junit - junit.xml, the format CI systems read, rendered from
 * results.json.
 *
 * junit.xml (valid against docs/junit.xsd, the Jenkins xunit plugin's
 * junit-10.xsd): one <testsuite> per scenario, with the scenario's image,
 * sensor, content, expectation and verdict as <properties>; one <testcase>
 * per boot ("boot N") and per check. Which boots and checks failed is what
 * results.json's "ok" says (trial.c decided it): a boot that missed its
 * expectation has a <failure type="OUTCOME" message="TITLE"> holding the
 * crash excerpt (or the console tail of a hang), an infrastructure failure
 * an <error type="infra">, a planned boot that never ran is <skipped>; a
 * boot that passed (a power_off step's boot, infra by design, included)
 * has none. Every boot's testcase carries its serial log (RUN_DIR/<log>; of
 * a longer log the first JUNIT_LOG_HEAD and the last JUNIT_LOG_TAIL bytes,
 * whole lines, with the number of bytes left out between them) in
 * <system-out>. Everything is escaped with escape_markup() (escape.h), so
 * XML 1.0's forbidden characters never reach the file, and "]]>" in guest
 * text is harmless (no CDATA is used).
 */
#ifndef BP_REPORT_JUNIT_H
#define BP_REPORT_JUNIT_H

#include <jansson.h>

#include "report-html.h"
#include "util.h"

#define JUNIT_LOG_HEAD REPORT_LOG_HEAD
#define JUNIT_LOG_TAIL REPORT_LOG_TAIL

/* Render junit.xml for a loaded results.json; logs are read from run_dir. */
void report_junit(const json_t *results, const char *run_dir, struct strbuf *out);

#endif
