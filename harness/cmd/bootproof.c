/*
 * bootproof - boot candidate sensor content on real virtual machines and
 * judge every boot. This file only dispatches subcommands (each lives in its
 * own module and owns its usage, usage.h) and answers --version and help.
 */
#include <stdio.h>
#include <string.h>

#include "cmd-fuzz.h"
#include "bisect.h"
#include "cmd-init.h"
#include "cmd-report.h"
#include "cmd-repro.h"
#include "cmd-scan.h"
#include "cmd-selftest.h"
#include "cmd-validate.h"
#include "run.h"
#include "usage.h"

/* The Makefile passes `git describe --always --dirty`, or the VERSION file's release. */
#ifndef BOOTPROOF_VERSION
#define BOOTPROOF_VERSION "unknown"
#endif

static const struct command {
	const struct cmd_usage *usage;
	int (*fn)(int argc, char **argv);
} commands[] = {
    {&run_usage, cmd_run},   {&validate_usage, cmd_validate}, {&init_usage, cmd_init},
    {&scan_usage, cmd_scan}, {&report_usage, cmd_report},     {&runs_usage, cmd_runs},
    {&repro_usage, cmd_repro},
    {&fuzz_usage, cmd_fuzz},
    {&bisect_usage, cmd_bisect},
    {&selftest_usage, cmd_selftest},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].usage->name, name))
			return &commands[i];
	return NULL;
}

/* Every synopsis (each one whole, so every option of every command), then the summaries. */
static int top_usage(FILE *f, int status)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "%s bootproof %s\n",
			i ? "      " : "usage:", commands[i].usage->synopsis);
	fputs("       bootproof help [COMMAND]\n"
	      "       bootproof --version\n\n",
	      f);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].usage->name, commands[i].usage->summary);
	fputs("  help      This list, or every option of COMMAND.\n\n"
	      "COMMAND --help (or -h) prints every option of COMMAND.\n",
	      f);
	return status;
}

static int help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2)
		return top_usage(stdout, 0);
	if (argc > 2 || !(c = find_command(argv[1]))) {
		fprintf(stderr, "bootproof: no help for '%s'\n", argv[1]);
		return top_usage(stderr, EXIT_USAGE_ERROR);
	}
	return usage_help(c->usage);
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2)
		return top_usage(stderr, EXIT_USAGE_ERROR);
	if (usage_is_help(argv[1]))
		return top_usage(stdout, 0);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("bootproof %s\n", BOOTPROOF_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	c = find_command(argv[1]);
	if (c)
		return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "bootproof: unknown command '%s'\n", argv[1]);
	return top_usage(stderr, EXIT_USAGE_ERROR);
}
