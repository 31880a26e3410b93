/*
 * bootproof - boot candidate sensor content on real virtual machines and
 * judge every boot. This file only dispatches subcommands; each lives in its
 * own module.
 */
#include <stdio.h>
#include <string.h>

#include "cmd-scan.h"
#include "run.h"

static const char usage[] =
	"usage: bootproof run [-c SUITE] [-r REPORTS] [-j N] [--keep] [SCENARIO...]\n"
	"       bootproof scan FILE...\n"
	"\n"
	"  run    boot the suite's scenarios (default SUITE: scenarios.yaml) and report\n"
	"  scan   find kernel crashes in saved console logs: TITLE<TAB>FILE:LINE\n";

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
	fprintf(stderr, "bootproof: unknown command '%s'\n%s", argv[1], usage);
	return 2;
}
