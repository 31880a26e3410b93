/*
 * usage - help and usage-error text of the subcommands (see usage.h).
 */
#include "usage.h"

#include <stdio.h>
#include <string.h>

int usage_help(const struct cmd_usage *u)
{
	printf("usage: bootproof %s\n\n%s\n\n%s", u->synopsis, u->summary, u->details);
	return 0;
}

int usage_error(const struct cmd_usage *u)
{
	fprintf(stderr, "usage: bootproof %s\n", u->synopsis);
	return EXIT_USAGE_ERROR;
}

int usage_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}
