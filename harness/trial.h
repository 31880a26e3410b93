/*
 * trial - turn a trial's boots into test points and a verdict.
 *
 * A trial is one scenario (after matrix expansion) run on one overlay: its
 * boots happen in order on the same disk. trial_boot_ok() says whether a boot
 * met the scenario's expectation; trial_judge() adds the checks that span
 * boots (crash title, log text) and sets the verdict: infra if any boot was
 * an infrastructure failure or boots are missing, fail if any boot or check
 * missed its expectation, else pass.
 */
#ifndef BP_TRIAL_H
#define BP_TRIAL_H

#include "results.h"

int trial_boot_ok(const struct trial_result *t, const struct boot_result *b);
void trial_judge(struct trial_result *t);

#endif
