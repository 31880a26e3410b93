/*
 * windetect - the crash detector for Windows guest consoles (EMS/SAC on COM1).
 *
 * Fed sanitized lines (console.h: ANSI codes already stripped, CRLF already
 * a plain line end), it recognises a bugcheck in any of the forms Windows
 * prints:
 *  - the EMS record: `<INSTANCE CLASSNAME="BLUESCREEN">` ... `<PROPERTY
 *    NAME="STOPCODE" TYPE="string"><VALUE>"0xD1"</VALUE></PROPERTY>`
 *    `<machine-info>...</machine-info>` `</INSTANCE>`, with or without the
 *    `<?xml ...?><BP>`...`</BP>` wrapper, laid out on any number of lines
 *    (its lines are joined, so a tag or value may be split anywhere); the
 *    marker itself may straddle two lines;
 *  - the blue-screen text SAC prints after its `!SAC>` prompt: `Your PC
 *    ran into a problem and needs to restart.`, the stop name (alone, or
 *    after "Stop code: "), the blamed module (`myfault.sys`, or after
 *    "What failed: "), the four parameters one `0x...` per line, `...%
 *    complete`; after an EMS record it is that report's trailer, after a
 *    `!SAC>` line (within WIN_SAC_WINDOW lines) without one it is a report
 *    of its own;
 *  - the old text form: `*** STOP: 0x0000000A (0x..., 0x..., 0x..., 0x...)`
 *    (all four parameters: a bare mention is not a crash), then
 *    `***  name.sys - Address ... base at ...` naming the driver.
 * SAC's boot lines (`Computer is booting, SAC started and initialized.`,
 * `EVENT: ...`) are no crash, nor is text that merely names a stop code or
 * quotes part of a record: an EMS record counts only once its STOPCODE
 * value is read whole (a record closed, abandoned after WIN_XML_MAX_LINES
 * lines or WIN_XML_MAX_BYTES bytes, or cut by SAC's boot line without one
 * is dropped).
 *
 * The title is stopcodes.h's, from the code: the EMS STOPCODE, else the
 * STOP line's code, else the code of a stop name the blue-screen text shows
 * that is in the table; the driver is the blamed module the text names
 * ("PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys"). crash.kind is
 * "bugcheck", crash.func "", crash.module the driver ("" if unknown).
 *
 * A report's body ends when its EMS record closes, at its STOP line, or
 * when its blue-screen text has shown four parameters; it is complete at
 * the "% complete" line, at SAC's boot line or the next report's start,
 * after WIN_TRAILER_SLACK lines that add nothing, or at flush. Report text
 * is bounded (WIN_REPORT_MAX_LINES / _BYTES), at most WIN_QUEUE_MAX crashes
 * wait; the detector holds O(1) memory besides these.
 */
#ifndef BP_WIN_DETECT_H
#define BP_WIN_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "guest.h"
#include "stopcodes.h"

#define WIN_REPORT_MAX_LINES 200
#define WIN_REPORT_MAX_BYTES (32 * 1024)
#define WIN_XML_MAX_LINES 64
#define WIN_XML_MAX_BYTES (16 * 1024)
#define WIN_TRAILER_SLACK 16
#define WIN_SAC_WINDOW 4
#define WIN_QUEUE_MAX 64

/* What a report said about the bugcheck, beyond its title. */
struct win_bugcheck {
	int has_code;
	uint32_t code;
	const char *code_source; /* static: "ems", "stop", "name" (the stop name's row), NULL */
	int nparams;		 /* parameters read (0..4) */
	uint64_t param[4];
	char driver[STOPCODE_DRIVER_MAX + 1]; /* lower case, "" if not named */
};

struct win_detector;

struct win_detector *win_detector_new(void);
/* Accepts NULL. */
void win_detector_free(struct win_detector *d);
/*
 * Feed one sanitized line with its stream line number (at most
 * CONSOLE_LINE_MAX bytes of it are used). Returns 1 when this line makes a
 * bugcheck certain (the EMS STOPCODE read, a STOP line, SAC's blue-screen
 * text), else 0: Windows never survives a bugcheck.
 */
int win_detector_line(struct win_detector *d, const char *line, size_t len, size_t lineno);
void win_detector_flush(struct win_detector *d);
int win_detector_in_report(const struct win_detector *d);
int win_detector_body_ended(const struct win_detector *d);
/*
 * Pop the oldest completed crash into *ret (caller releases it) and, when
 * ret_bc is not NULL, what it said of the bugcheck: 1, or 0 if none.
 */
int win_detector_next(struct win_detector *d, struct crash *ret, struct win_bugcheck *ret_bc);

/* This detector behind guest.h's interface (what a Windows profile's detector_new returns). */
struct crash_detector *win_crash_detector_new(void);
/* Non-zero if a console line is the bugcheck itself (the record, STOP, blue-screen text). */
int win_crash_line(const char *line, size_t len);

#endif
