/*
 * cmd-repro - `bootproof repro -c SUITE SCENARIO FIELD_REPORT`: does this
 * candidate reproduce the crash a field report shows, and how often?
 *
 * The field report is a console log or a Windows crash dump, read as `scan`
 * reads it (cmd-scan.h: a console log with the detector of the entries'
 * image kind); its first crash's title, normalized as the history's
 * signatures are (report_signature()), is the signature looked for. A
 * report that cannot be read or parsed, or holds no crash, is a usage error.
 *
 * SCENARIO selects matrix entries as `run` does (run_selects()). A trial of
 * an entry is the scenario's steps up to and including its first boot (an
 * offline deploy or a published rollback before it run as written; nothing
 * after it), with that boot made once: it is the reproduction attempt. A
 * trial reproduces when that boot crashed with the signature; it crashed
 * differently (or hung: "other", listed by title), was clean, or was infra.
 *
 * Trials run through one session (session.h), at most -j at once, more
 * submitted from each one's done callback, round robin over the entries
 * still going. An entry stops once the 95 % Wilson interval of its rate
 * has a half-width of at most --precision points (stats.h) or it ran
 * --max-trials; trials already running then still finish and count. An
 * infra trial stops all submissions (the host is failing): it is not
 * counted, and the exit status is 3.
 *
 * Output: the TAP stream of the trials, then one line per entry and the
 * summary on stdout ('reproduced 37/40 (92 %, 95 % CI 80-97 %) as "T"';
 * guest text escaped for the terminal). results.json gets "repro"
 * (docs/results-schema.json), the page a section, the history the run.
 *
 * Exit status: 0 reproduced on some entry, 1 on none, 2 usage (options, an
 * unknown scenario, the field report), 3 infrastructure or interrupted.
 */
#ifndef BP_CMD_REPRO_H
#define BP_CMD_REPRO_H

struct cmd_usage;
struct scenario;

int cmd_repro(int argc, char **argv);
extern const struct cmd_usage repro_usage;

/*
 * A repro trial's scenario from sc (*ret a shallow copy, sharing sc's
 * strings): its steps up to and including the first that boots, that one
 * booting once. Release with repro_scenario_release() (the steps only).
 */
void repro_scenario(const struct scenario *sc, struct scenario *ret);
void repro_scenario_release(struct scenario *sc);

#endif
