/*
 * bootproof - boot candidate sensor content on real virtual machines and
 * judge every boot. This file only dispatches subcommands; each lives in its
 * own module.
 */
#include <stdio.h>
#include <string.h>

#include "cmd-report.h"
#include "cmd-scan.h"
#include "run.h"

static const char usage[] =
	"usage: bootproof run [-c SUITE] [-r REPORTS] [-j N] [--keep] [--history DB]\n"
	"                     [--cache DIR] [--cold] [SCENARIO...]\n"
	"       bootproof scan FILE...\n"
	"       bootproof report [-r REPORTS] [--history DB] [--format html,junit,tap]\n"
	"                        [--compare [OTHER]] [--fail-on-new] RUN\n"
	"       bootproof runs [-r REPORTS] [--history DB]\n"
	"\n"
	"  run     boot the suite's scenarios (default SUITE: scenarios.yaml) and report\n"
	"          into REPORTS/<run-id>/ (default reports), recording the run in the\n"
	"          history (REPORTS/history.db)\n"
	"  scan    find kernel crashes in saved console logs: TITLE<TAB>FILE:LINE\n"
	"  report  re-render a run's index.html, junit.xml and results.tap from its\n"
	"          results.json (RUN: a run directory, or a run id or 'latest' in REPORTS);\n"
	"          --compare lists new and fixed crash signatures and flaky scenarios\n"
	"          against the previous run of the suite (or OTHER); --fail-on-new exits 1\n"
	"          when there is a new signature\n"
	"  runs    list the runs in the history, newest first\n";

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "scan"))
		return cmd_scan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "runs"))
		return cmd_runs(argc - 1, argv + 1);
	fprintf(stderr, "bootproof: unknown command '%s'\n%s", argv[1], usage);
	return 2;
}
