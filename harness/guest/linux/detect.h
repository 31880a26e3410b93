/*
 * detect - crash detectors for Linux guest console output.
 *
 * Fed sanitized lines (see console.h), a detector recognises kernel crash
 * reports and gives each a title in the convention syzkaller's pkg/report
 * established (so a signature can be compared with upstream reports), with
 * addresses, offsets, timestamps, CPU numbers and PIDs stripped, so that the
 * same bug gives the same title on every boot, kernel version and
 * architecture. The report kinds are the rows of detect-rules.c; examples:
 *
 *   BUG: unable to handle kernel paging request in F   (x86 "page fault for address", arm
 *                                                       "Unable to handle kernel paging request")
 *   BUG: unable to handle kernel NULL pointer dereference in F  (every wording)
 *   general protection fault in F / divide error in F / stack segment fault in F
 *   PANIC: double fault in F / invalid opcode in F / kernel stack overflow in F
 *   kernel BUG in F / BUG: corrupted list in F / BUG: bad usercopy in F
 *   WARNING in F / WARNING: refcount bug in F / WARNING: ODEBUG bug in F / ...
 *   KASAN: slab-use-after-free Read in F / KMSAN: uninit-value in F
 *   KCSAN: data-race in F / G / KFENCE: out-of-bounds read in F / UBSAN: KIND in F
 *   possible deadlock in F / inconsistent lock state in F / WARNING: suspicious RCU
 *   usage in F / WARNING: bad unlock balance in F / WARNING: held lock freed in F /
 *   INFO: trying to register non-static key in F     (lockdep, every wording)
 *   memory leak in F                                   (kmemleak records)
 *   BUG: soft lockup in F / BUG: hard lockup in F / INFO: rcu detected stall in F
 *   INFO: task hung in F / BUG: workqueue lockup / BUG: Bad page state in F
 *   BUG: Dentry still in use [unmount of FS] / VFS: Busy inodes after unmount (use-after-free)
 *   unregister_netdevice: waiting for DEV to become free
 *   BUG: WHAT in F                                     (other "BUG: " lines, cut before the
 *                                                       first detail)
 *   Oops in F / Oops: WHAT in F                        (an "Oops: " line with no report before it)
 *   kernel panic: MSG                                  (a panic not caused by an earlier report)
 *   unexpected reboot                                  (a second "Linux version" banner, or a
 *                                                       firmware / boot loader banner, with no
 *                                                       crash and no "reboot: Restarting
 *                                                       system" before it)
 *
 * F, the guilty function, is by kind: the function on the first line
 * (WARNING, KASAN, KMSAN...); the "RIP:" / "IP:" / "pc :" / "PC is at"
 * function; the first reliable call-trace frame; for lockdep the lock
 * acquirer's "at: F"; for stalls and soft lockups the frame just inside the
 * first dispatch frame (syscall entry, work item, kthread, module init...),
 * for hung tasks the first frame that is not a wait or lock. Generic helpers
 * (reporting, sanitizer, locking, string, list, refcount, printk, entry code)
 * are skipped. Compiler suffixes (".isra.0", ".cold") are dropped. A report
 * of a kind that names a function but truncated before it is titled
 * "... in corrupted" (crash.corrupted). Titles are at most DETECT_TITLE_MAX
 * bytes of valid UTF-8.
 *
 * A report starts at a recognised first line: where the kernel's text starts
 * (after the printk timestamp, which may be mid-line after unterminated user
 * output, and the caller id), or mid-line for the specific markers two
 * joined messages show ("...accessgeneral protection fault: ..."). A marker
 * that is not at the start of a timestamped line (once the stream has shown
 * timestamps), is mid-line, or is in a continued segment / chunk of a raw
 * line (same line number as the previous line, see console.h) starts a
 * tentative report: it counts only if a line of kernel report structure
 * ("CPU: .. PID:", "RIP:", "Call Trace:", a frame, "backtrace:"...) follows
 * within a few lines, so benign text that merely mentions "BUG" or "panic"
 * is ignored while a whole report printed without timestamps is found.
 * "Oops: ", a bare "KASAN: " and similar weak markers only start a report
 * when none is in progress. With printk caller ids ("[T123]"), a report
 * takes its title material from lines of its own context only.
 *
 * A report's body ends at "---[ end trace", at the "</TASK>" closing its call
 * trace, (KASAN/KFENCE/UBSAN) at the closing "=====" rule, or (kmemleak) at
 * the first unindented line; what the kernel prints right after (the
 * register summary, "Modules linked in", CR2, "note:", a "Kernel panic - not
 * syncing: Fatal exception" and everything up to "---[ end Kernel panic" or
 * "Rebooting in") belongs to the same report. The report is complete at
 * "---[ end Kernel panic"/"Rebooting in", at the next kernel line of its
 * context that is not such a continuation, after DETECT_TRAILER_SLACK lines
 * of other output, at the start of an unrelated report or a banner, or at
 * detector_flush(). A body with no end (a "BUG: workqueue lockup" prints no
 * call trace) stays open until one of the last three. So a report that did
 * not end in a panic comes out of detector_next() one kernel line (or a few
 * lines) late; detector_in_report() is non-zero meanwhile (not for a
 * tentative one). Once a panic has started, every line up to its end belongs
 * to it, other markers included. Lines from other sources interleaved with a
 * report are kept in its text. The report text is bounded
 * (DETECT_REPORT_MAX_LINES / _BYTES: later lines are dropped, the title still
 * uses them). At most DETECT_QUEUE_MAX crashes wait in the queue; more are
 * dropped. A detector holds O(1) memory besides that text and the queue.
 *
 * A detector is meant for one guest's console from (re)boot to the end of a
 * trial; for a reboot the harness asks for without the guest printing
 * "reboot: Restarting system", start a new detector.
 */
#ifndef BP_DETECT_H
#define BP_DETECT_H

#include <stddef.h>

#include "guest.h" /* struct crash, crash_release() */

#define DETECT_REPORT_MAX_LINES 400
#define DETECT_REPORT_MAX_BYTES (64 * 1024)
#define DETECT_TITLE_MAX 200
#define DETECT_TRAILER_SLACK 8
#define DETECT_QUEUE_MAX 256

/* Crashes come out as guest.h's struct crash; profile.c puts this detector behind guest.h. */
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

#endif
