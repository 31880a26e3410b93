/*
 * usage - what each subcommand says about itself: the one-line synopsis a
 * usage error prints, the summary the top-level usage lists and the full
 * help `COMMAND --help` and `bootproof help COMMAND` print. Each
 * subcommand's module defines its own `struct cmd_usage`; nothing else
 * spells its options.
 *
 * Conventions (every command the same, as git's do):
 *   - `--help`/`-h` and `bootproof help COMMAND`: usage_help(), the whole
 *     help on stdout, exit 0;
 *   - a usage error: the caller prints what was wrong (one line), then
 *     usage_error(): the one-line synopsis on stderr, exit 2.
 */
#ifndef BP_USAGE_H
#define BP_USAGE_H

#define EXIT_USAGE_ERROR 2

struct cmd_usage {
	const char *name;     /* "run" */
	const char *synopsis; /* one line without "usage: bootproof ": "run [-c SUITE] ..." */
	const char *summary;  /* one line: what the command does */
	/*
	 * The rest of the help: "options:" then one line per option, each
	 * "  -x, --long ARG   what it does", then free text; ends in '\n'.
	 */
	const char *details;
};

/* The full help on stdout; returns 0 (the exit status). */
int usage_help(const struct cmd_usage *u);
/* "usage: bootproof SYNOPSIS" on stderr; returns EXIT_USAGE_ERROR. */
int usage_error(const struct cmd_usage *u);
/* 1 if arg asks for help ("-h" or "--help"). */
int usage_is_help(const char *arg);

#endif
