/*
 * detect - crash detectors for Linux guest console output.
 *
 * Fed sanitized lines (see console.h), a detector recognises kernel crash
 * reports and gives each a normalized title with addresses, offsets,
 * timestamps, CPU numbers and PIDs stripped, so that the same bug gives the
 * same title on every boot:
 *
 *   BUG: unable to handle page fault in FUNC      (page fault + RIP: FUNC+0x..)
 *   BUG: kernel NULL pointer dereference in FUNC
 *   BUG: WHAT in FUNC                             (other "BUG: " lines, cut before the
 *                                                  first detail: "scheduling while atomic")
 *   general protection fault in FUNC
 *   kernel BUG in FUNC                            ("kernel BUG at file:line!")
 *   WARNING in FUNC                               (FUNC from the WARNING line itself)
 *   KASAN: slab-out-of-bounds Read in FUNC        (KASAN/KFENCE/UBSAN lines as printed, normalized;
 *   KFENCE: out-of-bounds read in FUNC             UBSAN's FUNC comes from the call trace)
 *   UBSAN: array-index-out-of-bounds in FUNC
 *   BUG: soft lockup in FUNC / BUG: hard lockup in FUNC
 *   INFO: rcu detected stall in FUNC
 *   INFO: task hung in FUNC
 *   Oops in FUNC / Oops: WHAT in FUNC             (an "Oops: " line with no report before it)
 *   kernel panic: MSG                             (a panic not caused by an earlier report)
 *   unexpected reboot                             (a second "Linux version" banner with no crash
 *                                                  and no "reboot: Restarting system" before it)
 *
 * FUNC comes from the first line for WARNING/KASAN/KFENCE, else the first
 * "RIP: ...FUNC+0x" line of the report, else the first reliable call-trace
 * frame (not "? ") that is not a generic helper (dump_stack, memcpy,
 * schedule, mutex_lock, kasan_report...); compiler suffixes (".isra.0",
 * ".cold") are dropped; without any the title has no " in FUNC" part. Text
 * taken from the guest (WHAT, MSG) loses "+0x../0x.." offsets, [bracketed]
 * parts, hex numbers of 12+ digits (become "ADDR") and the numbers after
 * "CPU"/"pid". Titles are at most DETECT_TITLE_MAX bytes of valid UTF-8.
 *
 * A report starts at a recognised first line (after the printk timestamp and
 * caller id are stripped; the marker must start the line, so benign text that
 * merely contains "BUG" or "panic" is ignored). A timestamp found mid-line
 * (kernel text printed after unterminated user output) counts as the start of
 * the kernel's text. Once the stream has shown printk timestamps, a line
 * without one cannot start a report (it is user-space output). "Oops: " and a
 * bare "KASAN: " only start a report when none is in progress.
 *
 * A report's body ends at "---[ end trace", at the "</TASK>" closing its call
 * trace, or (KASAN/KFENCE/UBSAN) at the closing "=====" rule; what the kernel
 * prints right after (the register summary, "Modules linked in", CR2, "note:",
 * a "Kernel panic - not syncing: Fatal exception" and everything up to
 * "---[ end Kernel panic" or "Rebooting in") belongs to the same report. The
 * report is complete at "---[ end Kernel panic"/"Rebooting in", at the next
 * kernel line that is not such a continuation, after DETECT_TRAILER_SLACK
 * lines of other output, at the start of an unrelated report or a "Linux
 * version" banner, or at detector_flush(). A body with no end (a "BUG:
 * workqueue lockup" prints no call trace) stays open until one of the last
 * three. So a report that did not end in a panic comes out of
 * detector_next() one kernel line (or a few lines) late; detector_in_report()
 * is non-zero meanwhile. Once a panic has started, every line up to its end
 * belongs to it, other markers included. Lines from other sources
 * interleaved with a report are kept in its text. The report text is bounded
 * (DETECT_REPORT_MAX_LINES / _BYTES: later lines are dropped, the title still
 * uses them). At most DETECT_QUEUE_MAX crashes wait in the queue; more are
 * dropped.
 *
 * A detector is meant for one guest's console from (re)boot to the end of a
 * trial; for a reboot the harness asks for without the guest printing
 * "reboot: Restarting system", start a new detector.
 */
#ifndef BP_DETECT_H
#define BP_DETECT_H

#include <stddef.h>

#define DETECT_REPORT_MAX_LINES 400
#define DETECT_REPORT_MAX_BYTES (64 * 1024)
#define DETECT_TITLE_MAX 200
#define DETECT_TRAILER_SLACK 8
#define DETECT_QUEUE_MAX 256

struct crash {
	char *title;  /* normalized title, never NULL */
	char *report; /* report lines joined with '\n', never NULL */
	size_t line;  /* stream line number of the report's first line */
};

struct detector;

struct detector *detector_new(void);
void detector_free(struct detector *d);

/*
 * Feed one sanitized line (see console.h) with its stream line number; at
 * most CONSOLE_LINE_MAX bytes of it are used.
 */
void detector_line(struct detector *d, const char *line, size_t len, size_t lineno);
/* Close a report in progress (end of stream, or the harness stops waiting). */
void detector_flush(struct detector *d);
/* Non-zero while a report has started but not ended. */
int detector_in_report(const struct detector *d);
/*
 * Non-zero when the report in progress has passed its body's end marker
 * ("---[ end trace", the closing "</TASK>", a sanitizer's "=====" rule)
 * and only trailer lines could follow: a caller that sees no more output
 * for a while may detector_flush() it. 0 when idle, in a body or a panic.
 */
int detector_body_ended(const struct detector *d);
/* Pop the oldest completed crash into *ret (caller releases it): 1, or 0 if none. */
int detector_next(struct detector *d, struct crash *ret);
void crash_release(struct crash *c);

#endif
