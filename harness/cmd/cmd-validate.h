/*
 * cmd-validate - `bootproof validate [-c SUITE | SUITE] [SCENARIO...]`: every
 * check `run` makes before it starts anything (suite_load(): syntax, types,
 * references, files readable; the scenario names given), with nothing
 * started and no accelerator probed, then the resolved matrix on stdout:
 * one block per trial (after matrix expansion, the scenarios the names
 * select) with its image, sensor, content set, settings and steps, one
 * step a line:
 *
 *   trial NAME
 *     image     NAME (kind KIND): kernel PATH, initrd PATH, disk PATH
 *     sensor    NAME: module PATH, agent PATH
 *     content   NAME: PATH as FILE, ...        ("none" without one)
 *     settings  boot_timeout Ns, silence_timeout Ns[, ...]
 *     step 1    boot: 3 boots, expect clean
 *   N trials, suite 'SUITE': valid
 *
 * Every string from the suite goes through escape_term() (escape.h).
 * Exit status: 0 valid; 2 a usage error or an invalid suite, with the
 * error exactly as `run` prints it ("bootproof: FILE:LINE:COL: ...").
 */
#ifndef BP_CMD_VALIDATE_H
#define BP_CMD_VALIDATE_H

struct cmd_usage;

int cmd_validate(int argc, char **argv);
extern const struct cmd_usage validate_usage;

#endif
