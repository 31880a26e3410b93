/*
 * cmd-scan - `bootproof scan [--json] [--kind linux|windows] FILE...`: run
 * the console sanitizer and the crash detector of the guest kind (default
 * linux; windows: guest/windows/windetect.h) over recorded serial logs and
 * print one line per crash, "TITLE<TAB>FILE:LINE" (LINE: the report's first
 * line), nothing for a clean log. With --json each line is instead one JSON
 * object (JSON Lines): {"file", "line", "end_line", "title", "kind",
 * "function" (null if the title names none), "module" ("vmlinux" for the
 * core kernel, the driver of a Windows bugcheck, null without either),
 * "tainted_oot", "taint", "corrupted"}. "-" reads standard input. Files are
 * streamed: memory stays bounded whatever their size or line lengths.
 *
 * A file that starts with "PAGEDU64" or "PAGEDUMP" is a Windows crash dump
 * whatever --kind says (guest/windows/windump.h; at most WINDUMP_READ_MAX
 * bytes are read): it gives exactly one crash, the bugcheck's title
 * ("PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys"), LINE 0 (a dump
 * has no lines), kind "bugcheck", and in JSON also "bugcheck": {"code",
 * "parameters" (hex strings), "dump_type", "bits", "build", "address" and
 * "address_source" (the faulting address attributed, or null), "drivers"
 * (the triage driver list's length)}. A dump that cannot be parsed is an
 * error like an unreadable file.
 */
#ifndef BP_CMD_SCAN_H
#define BP_CMD_SCAN_H

#include <stdio.h>

struct bp_error;
struct cmd_usage;

/*
 * `bootproof scan FILE...` (argv[0] is "scan"). Returns the exit status:
 * 0 whether or not crashes were found; 2 for usage errors, or when a file
 * could not be read (its message goes to stderr and the others are still
 * scanned).
 */
int cmd_scan(int argc, char **argv);
extern const struct cmd_usage scan_usage;

/*
 * Scan one file ("-": stdin) and write its crash lines to out, naming it
 * `name` in them. Returns the number of crashes, or -1 with err when the
 * file cannot be opened or read (crashes found before a read error are
 * still written).
 */
int scan_file(const char *path, const char *name, FILE *out, struct bp_error *err);
/* The same; json: write JSON Lines (see above) instead of TITLE<TAB>FILE:LINE. */
int scan_file_as(const char *path, const char *name, FILE *out, int json, struct bp_error *err);
/* The same, a console log read with the detector of kind ("linux" or "windows"). */
int scan_file_kind(const char *path, const char *name, FILE *out, int json, const char *kind,
		   struct bp_error *err);
/*
 * The first crash of a file (a field report) as scan_file_kind() reads it,
 * printing nothing: the number of crashes with *ret_title (malloc'd) the
 * first one's title, 0 with *ret_title NULL for a clean file, or -1 with
 * err ("cannot read 'F': ...", "cannot parse dump 'F': ...").
 */
int scan_file_first(const char *path, const char *kind, char **ret_title, struct bp_error *err);

#endif
