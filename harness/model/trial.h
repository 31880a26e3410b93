/*
 * trial - the one judge of boots and trials: every report reads what it
 * decided (results.h), none decides again.
 *
 * A trial is one scenario (after matrix expansion) run on one overlay: its
 * boots happen in order on the same disk. trial_boot_judge() sets a boot's
 * ok when the boot ends: it met its expectation (anything meets OUTCOME_NONE,
 * "any" in results.json); an infrastructure failure never does, except the
 * boot a power_off step cut on purpose (expected infra, powered off).
 * trial_judge() adds the checks that span boots (crash title, log text) and
 * sets the verdict: infra if any boot was an infrastructure failure (a
 * powered-off boot is not one) or the trial was aborted, fail if any boot
 * or check missed its expectation, else pass.
 */
#ifndef BP_TRIAL_H
#define BP_TRIAL_H

#include "results.h"

void trial_boot_judge(const struct trial_result *t, struct boot_result *b);
void trial_judge(struct trial_result *t);
/*
 * Once a crash boot's source views are all in (results.h: serial, event,
 * dumps): b->disagree says which sources name another stop code or another
 * driver than the others ("sources disagree: serial says 0x50, dump
 * 120226-01.dmp says 0xD1"), NULL when they agree. A source that saw
 * nothing, or no driver, disagrees with none. The boot's title stays its
 * own (the console's, boot.h): this only says what the others saw.
 */
void trial_boot_sources(struct boot_result *b);

#endif
