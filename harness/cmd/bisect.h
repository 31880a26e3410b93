/*
 * bisect - `bootproof bisect -c SUITE SCENARIO`: the scenario's content set
 * crashes; find the guilty content, minimized.
 *
 * One session (session.h). First the full set runs --reps (BISECT_REPS)
 * times: the signature is the first crash's title (or --title: a boot
 * matches when its title contains it), p the share of trials that show it,
 * and k = ceil(log 0.01 / log(1-p)) (at most BISECT_K_MAX) the clean trials
 * that call a candidate clean, so a flaky crash is missed with probability
 * under 1 %. Then ddmin (ddmin.h) over the set's files, then over the
 * pieces of each file kept (bisect-pieces.h: a reference channel file's
 * template instances, or a split/join format's pieces), each candidate a
 * late trial of a copy of the scenario whose content set holds the
 * candidate's files (joined subsets written under RUN/bisect/), its
 * expectations made neutral (any outcome passes; a scenario without steps
 * boots once per trial). Then the minimal set runs --reps times: its
 * reproduction rate. With --last-good the set's previous versions
 * (`previous:`) run beside it on the same sensor, each until it shows the
 * signature or k trials were clean, and the newest clean one is named. The
 * findings go to the TAP stream as comments and to results.json's
 * "bisect" (results.h).
 *
 * Exit status: 0 narrowed, 1 the full set does not crash (nothing to
 * bisect), 2 usage or configuration error, 3 infrastructure failure or
 * interrupted.
 */
#ifndef BP_BISECT_H
#define BP_BISECT_H

/* Trials of the full set (to measure p) and of the minimal set: --reps. */
#define BISECT_REPS 6
#define BISECT_REPS_MAX 100
#define BISECT_K_MAX 12
/* Trials in one bisect at most (each one boots at least once). */
#define BISECT_TRIALS_MAX 4000
/* Trials that could not run (infra) before the bisect gives up. */
#define BISECT_INFRA_MAX 5

struct cmd_usage;

int cmd_bisect(int argc, char **argv);
extern const struct cmd_usage bisect_usage;

#endif
