/*
 * cmd-scan - `bootproof scan [--json] FILE...`: run the console sanitizer and
 * the crash detector over recorded serial logs and print one line per crash,
 * "TITLE<TAB>FILE:LINE" (LINE: the report's first line), nothing for a clean
 * log. With --json each line is instead one JSON object (JSON Lines):
 * {"file", "line", "end_line", "title", "kind", "function" (null if the title
 * names none), "module" ("vmlinux" for the core kernel, null without a
 * function), "tainted_oot", "taint", "corrupted"}. "-" reads standard input. Files are streamed:
 * memory stays bounded whatever their size or line lengths.
 */
#ifndef BP_CMD_SCAN_H
#define BP_CMD_SCAN_H

#include <stdio.h>

struct bp_error;

/*
 * `bootproof scan FILE...` (argv[0] is "scan"). Returns the exit status:
 * 0 whether or not crashes were found; 2 for usage errors, or when a file
 * could not be read (its message goes to stderr and the others are still
 * scanned).
 */
int cmd_scan(int argc, char **argv);

/*
 * Scan one file ("-": stdin) and write its crash lines to out, naming it
 * `name` in them. Returns the number of crashes, or -1 with err when the
 * file cannot be opened or read (crashes found before a read error are
 * still written).
 */
int scan_file(const char *path, const char *name, FILE *out, struct bp_error *err);
/* The same; json: write JSON Lines (see above) instead of TITLE<TAB>FILE:LINE. */
int scan_file_as(const char *path, const char *name, FILE *out, int json, struct bp_error *err);

#endif
