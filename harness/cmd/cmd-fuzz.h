/*
 * cmd-fuzz - `bootproof fuzz -c SUITE SCENARIO [--duration D] [--seed S]
 * [--corpus DIR] [-r REPORTS] [--boot] [-q]`: fuzz the content interpreter of a
 * scenario's sensor in-process (stage 1 of a fuzz campaign), starting from
 * the scenario's content.
 *
 * The scenario names a sensor; a reference sensor module (modinfo
 * name=refsensor, version=N) picks the libFuzzer target fuzz-interp-vN
 * (sensor/interp/fuzz-interp.c), looked up beside the bootproof binary,
 * then in $BOOTPROOF_DATADIR/build, then in the data directory it was built
 * with. Another sensor has no in-process interpreter: refused (exit 2).
 *
 * Steps, all under one run directory REPORTS/fuzz-<stamp>-<pid>/:
 *   1. seeds: every content file the scenario (and its deploy and rollback
 *      steps) names is copied to seeds/; each is run once alone, and one
 *      that crashes is a finding of its own (found "in the seeds") and is
 *      not fuzzed from;
 *   2. the campaign: the target runs as a supervised child (proc.h: its
 *      process group dies with bootproof) over the corpus directory (new
 *      inputs are written there, so the next campaign resumes from them)
 *      and seeds/, with -max_total_time the time left, -seed S+k for its
 *      k-th start and artifacts in artifacts/; libFuzzer stops at a crash,
 *      so it is started again until the duration is used up. A crash before
 *      the target read its corpus is a corpus entry that crashes: that entry
 *      is removed from the corpus, or, if it is not there, the campaign ends;
 *   3. findings: crashes are deduplicated by signature (fuzzlog.h, e.g.
 *      "heap-buffer-overflow READ in refsensor_eval"); the first input of
 *      each signature is kept as crashes/crash-N.sys with its report
 *      crash-N.txt and minimized (libFuzzer -minimize_crash, 10 s) into
 *      crash-N.min.sys;
 *   4. fuzz.json: the campaign (scenario, sensor version, target, seed,
 *      duration, executions, execs/s, corpus sizes before and after, time to
 *      the first crash) and every finding (signature, count, first_s, files);
 *      stdout: one line per signature, then a summary line.
 *
 * On a terminal (stderr, without CI or TERM=dumb, without -q) one progress
 * line shows time, execs/s and crashes. SIGINT/SIGTERM stop the target and
 * still write fuzz.json (complete: false).
 *
 * Exit status: 0 no crash, 1 crashes found, 2 usage or configuration
 * error, 3 the target could not run or the campaign was interrupted.
 *
 * With --boot (stage 2, fuzz-boot.h) the findings, and BOOT_SAMPLE corpus
 * inputs that did not crash, are then booted as trials of the scenario in
 * a session of their own; fuzz.json names its run ("boot_run",
 * "boot_status"), a failed expectation there makes the status 1, an
 * infrastructure failure 3.
 */
#ifndef BP_CMD_FUZZ_H
#define BP_CMD_FUZZ_H

struct cmd_usage;

int cmd_fuzz(int argc, char **argv);
extern const struct cmd_usage fuzz_usage;

#endif
