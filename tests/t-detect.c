/*
 * t-detect - the crash detector on recorded console logs (tests/data/logs/,
 * and the real guest recordings tests/data/linux-*.log when present): the
 * title of each crash kind, report boundaries, interleaved output, escapes,
 * a 1 MiB line, bytes that are not UTF-8, benign text, stable titles across
 * boots, reports without an end, bounded report text, and `bootproof scan`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd-scan.h"
#include "console.h"
#include "detect.h"
#include "tap.h"
#include "util.h"

#define MAX_CRASHES 1100

static const char *datadir;

static char *data_path(const char *rel)
{
	return xasprintf("%s/%s", datadir, rel);
}

/* console + detector over a buffer, crashes collected as they complete */
struct run {
	struct console con;
	struct detector *det;
	struct crash crashes[16];
	size_t n;
	size_t dropped;
	int in_report_at_eof;
};

static void drain(struct run *r)
{
	struct crash c;

	while (detector_next(r->det, &c)) {
		if (r->n < ARRAY_SIZE(r->crashes))
			r->crashes[r->n++] = c;
		else {
			r->dropped++;
			crash_release(&c);
		}
	}
}

static void on_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct run *r = ctx;

	detector_line(r->det, line, len, lineno);
	drain(r);
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->det = detector_new();
	console_init(&r->con, on_line, r);
}

/* Feed in chunks of `chunk` bytes (0: all at once); does not finish. */
static void run_feed(struct run *r, const char *data, size_t len, size_t chunk)
{
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		console_feed(&r->con, data + off, len - off < chunk ? len - off : chunk);
}

static void run_finish(struct run *r)
{
	console_finish(&r->con);
	r->in_report_at_eof = detector_in_report(r->det);
	detector_flush(r->det);
	drain(r);
}

static void run_release(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		crash_release(&r->crashes[i]);
	detector_free(r->det);
}

static int load(const char *rel, struct strbuf *sb)
{
	struct bp_error err;
	char *path = data_path(rel);
	int ret = read_file(path, sb, &err);

	if (ret < 0)
		printf("# %s\n", err.msg);
	free(path);
	return ret;
}

/* Run a whole log (chunk as in run_feed) and finish. */
static void run_log(struct run *r, const char *rel, size_t chunk)
{
	struct strbuf sb = STRBUF_INIT;

	run_init(r);
	if (load(rel, &sb) < 0) {
		printf("Bail out! cannot read %s\n", rel);
		exit(1);
	}
	run_feed(r, sb.buf, sb.len, chunk);
	run_finish(r);
	strbuf_release(&sb);
}

/* Line numbers (1-based, counting '\n') of the raw lines of a log that contain needle. */
static size_t grep_lines(const char *rel, const char *needle, size_t *ret, size_t max)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0, lineno = 1;
	const char *p;

	load(rel, &sb);
	p = sb.buf;
	while (p < sb.buf + sb.len) {
		const char *nl = memchr(p, '\n', (size_t)(sb.buf + sb.len - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(sb.buf + sb.len - p);

		if (memmem(p, len, needle, strlen(needle)) && n < max)
			ret[n++] = lineno;
		lineno++;
		p += len + 1;
	}
	strbuf_release(&sb);
	return n;
}

static char *first_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return xstrndup(s, nl ? (size_t)(nl - s) : strlen(s));
}

static char *last_line(const char *s)
{
	const char *nl = strrchr(s, '\n');

	return xstrdup(nl ? nl + 1 : s);
}

static size_t count_lines(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Valid UTF-8 and no control bytes but '\n' (report text) */
static int clean_text(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned char c = *s;
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\n') || c == 0x7f)
				return 0;
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
			return 0;
		s += k + 1;
	}
	return 1;
}

static int bounded(const char *report)
{
	return strlen(report) <= DETECT_REPORT_MAX_BYTES &&
	       count_lines(report) <= DETECT_REPORT_MAX_LINES;
}

static void diag_crashes(const struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		printf("#   crash %zu: '%s' at line %zu\n", i, r->crashes[i].title,
		       r->crashes[i].line);
}

/* ---- one log per crash kind ---- */

struct kind_case {
	const char *log;
	const char *title;
	size_t line;
	const char *first; /* the report's first line ends with this */
	const char *last;  /* its last line contains this */
};

static const struct kind_case kinds[] = {
    {"logs/oops-page-fault.log", "BUG: unable to handle kernel paging request in refsensor_eval", 25,
     "] BUG: unable to handle page fault for address: ffffc900001c5000",
     "---[ end Kernel panic - not syncing: Fatal exception ]---"},
    {"logs/null-deref.log", "BUG: unable to handle kernel NULL pointer dereference in rs_match_field", 25,
     "] BUG: kernel NULL pointer dereference, address: 0000000000000008",
     "---[ end Kernel panic - not syncing: Fatal exception ]---"},
    {"logs/gpf.log", "general protection fault in rs_free_instances", 25,
     "] general protection fault, probably for non-canonical address 0xdead000000000122: 0000 "
     "[#1] PREEMPT SMP NOPTI",
     "---[ end Kernel panic"},
    {"logs/gpf-kasan.log", "general protection fault in refsensor_eval", 25,
     "PREEMPT SMP KASAN NOPTI", "---[ end Kernel panic"},
    {"logs/kernel-bug.log", "kernel BUG in rs_load_instance", 26,
     "] kernel BUG at /build/sensor/refsensor.c:214!", "---[ end Kernel panic"},
    {"logs/warning.log", "WARNING in refsensor_eval", 27,
     "] WARNING: CPU: 0 PID: 102 at /build/sensor/refsensor.c:188 refsensor_eval+0xb1/0xf0 "
     "[refsensor]",
     "---[ end trace 0000000000000000 ]---"},
    {"logs/kasan.log", "KASAN: slab-out-of-bounds Read in refsensor_eval", 26,
     "] BUG: KASAN: slab-out-of-bounds in refsensor_eval+0x1d6/0x240 [refsensor]",
     "Disabling lock debugging due to kernel taint"},
    {"logs/kfence.log", "KFENCE: out-of-bounds read in refsensor_eval", 26,
     "] BUG: KFENCE: out-of-bounds read in refsensor_eval+0x73/0xf0 [refsensor]",
     "] =================================================================="},
    {"logs/ubsan.log", "UBSAN: array-index-out-of-bounds in refsensor_eval", 26,
     "] UBSAN: array-index-out-of-bounds in /build/sensor/refsensor.c:171:25",
     "] ================================================================================"},
    {"logs/soft-lockup.log", "BUG: soft lockup in refsensor_init", 25,
     "] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [insmod:107]", "]  </TASK>"},
    {"logs/hard-lockup.log", "BUG: hard lockup in rs_spin_irqoff", 25,
     "] NMI watchdog: Watchdog detected hard LOCKUP on cpu 0",
     "---[ end Kernel panic - not syncing: Hard LOCKUP ]---"},
    {"logs/rcu-stall.log", "INFO: rcu detected stall in refsensor_init", 25,
     "] rcu: INFO: rcu_preempt self-detected stall on CPU", "]  </TASK>"},
    {"logs/hung-task.log", "INFO: task hung in rs_load", 25,
     "] INFO: task insmod:115 blocked for more than 120 seconds.", "]  </TASK>"},
    {"logs/panic-vfs.log", "kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)", 22,
     "] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
     "---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on "
     "unknown-block(0,0) ]---"},
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_kinds(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const struct kind_case *k = &kinds[i];
		struct run r;
		char name[256];

		run_log(&r, k->log, 4096);
		snprintf(name, sizeof(name), "%s: one crash", k->log);
		if (!tap_is_int((long long)r.n, 1, name)) {
			diag_crashes(&r);
			run_release(&r);
			continue;
		}
		tap_is_str(r.crashes[0].title, k->title, "  ... its title");
		tap_is_int((long long)r.crashes[0].line, (long long)k->line,
			   "  ... its first line");
		{
			char *first = first_line(r.crashes[0].report);
			char *last = last_line(r.crashes[0].report);

			if (!tap_ok(ends_with(first, k->first),
				    "  ... the report starts at the marker line"))
				printf("#   first line: '%s'\n", first);
			tap_like(last, k->last, "  ... and ends where the report ends");
			free(first);
			free(last);
		}
		tap_ok(clean_text(r.crashes[0].report) && bounded(r.crashes[0].report),
		       "  ... the report text is clean and bounded");
		run_release(&r);
	}
}

/* ---- report boundaries and robustness on particular logs ---- */

#define PF_TITLE "BUG: unable to handle kernel paging request in refsensor_eval"

static void test_oops_report(void)
{
	struct run r;
	char *first, *last;

	run_log(&r, "logs/oops-page-fault.log", 0);
	tap_is_int((long long)r.n, 1, "the Oops, its panic and the register summary are one crash");
	first = first_line(r.crashes[0].report);
	last = last_line(r.crashes[0].report);
	tap_is_str(first,
		   "[    2.318411] BUG: unable to handle page fault for address: ffffc900001c5000",
		   "the report starts at the BUG line");
	tap_ok(strstr(last, "---[ end Kernel panic - not syncing: Fatal exception ]---") != NULL,
	       "the report ends at the end-Kernel-panic line");
	tap_like(r.crashes[0].report, "] Kernel panic - not syncing: Fatal exception\n",
		 "the Fatal-exception panic joined the report");
	tap_like(r.crashes[0].report, "---[ end trace 0000000000000000 ]---\n",
		 "the report holds the end-trace line");
	{
		size_t from, to;

		grep_lines("logs/oops-page-fault.log", "] BUG: unable", &from, 1);
		grep_lines("logs/oops-page-fault.log", "---[ end Kernel panic", &to, 1);
		tap_is_int((long long)count_lines(r.crashes[0].report), (long long)(to - from + 1),
			   "the report has every line from BUG to the end of the panic");
	}
	tap_ok(strstr(r.crashes[0].report, "refsensor: c291-bad.sys: instance 2") == NULL,
	       "nothing before the BUG line is in it");
	free(first);
	free(last);
	run_release(&r);
}

static void test_other_boot(void)
{
	struct run a, b;
	char *fa, *fb;

	run_log(&a, "logs/oops-page-fault.log", 0);
	run_log(&b, "logs/oops-page-fault-other-boot.log", 1);
	if (!tap_ok(a.n == 1 && b.n == 1, "one crash on each boot")) {
		diag_crashes(&b);
		run_release(&a);
		run_release(&b);
		return;
	}
	fa = first_line(a.crashes[0].report);
	fb = first_line(b.crashes[0].report);
	tap_ok(strcmp(fa, fb) != 0, "other addresses, timestamps, PID, CPU and caller ids...");
	tap_is_str(b.crashes[0].title, a.crashes[0].title, "  ... the identical title");
	tap_like(fb, "[  T131] BUG: unable to handle page fault",
		 "the caller id is part of the kept line");
	tap_ok(b.in_report_at_eof,
	       "without a panic the report waits for what the kernel prints next");
	tap_ok(strstr(b.crashes[0].report, "Killed") == NULL,
	       "user-space output after the report is not part of it");
	{
		char *last = last_line(b.crashes[0].report);

		tap_like(last,
			 "] CR2: ffffb7a2c0113000 CR3:", "the trailing register summary joined it");
		free(last);
	}
	free(fa);
	free(fb);
	run_release(&a);
	run_release(&b);
}

static void test_warning_completes(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct run r;

	run_init(&r);
	load("logs/warning.log", &sb);
	run_feed(&r, sb.buf, sb.len, 0);
	tap_is_int((long long)r.n, 1,
		   "a WARNING the kernel survives is complete at the next kernel line");
	tap_ok(!detector_in_report(r.det), "  ... and the detector is idle again");
	run_finish(&r);
	tap_is_int((long long)r.n, 1, "  ... and flush adds nothing");
	tap_ok(strstr(r.crashes[0].report, "version 1 ready") == NULL,
	       "  ... the line after the report is not in it");
	strbuf_release(&sb);
	run_release(&r);
}

static void test_interleaved(void)
{
	struct run r;
	char *first;

	run_log(&r, "logs/interleaved.log", 7);
	if (!tap_is_int((long long)r.n, 1, "interleaved: one crash")) {
		diag_crashes(&r);
		run_release(&r);
		return;
	}
	tap_is_str(r.crashes[0].title, PF_TITLE, "interleaved: the title");
	tap_is_int((long long)r.crashes[0].line, 25,
		   "interleaved: the line where the kernel's BUG starts");
	first = first_line(r.crashes[0].report);
	tap_is_str(
	    first,
	    "bootproof-agent: loading content...[    2.799627] BUG: unable to handle page fault "
	    "for address: ffffd04380076000",
	    "interleaved: a BUG after unterminated user output still starts the report");
	tap_like(r.crashes[0].report, "\nbootproof-agent: heartbeat 2\n",
		 "interleaved: user-space lines inside the report are kept");
	tap_like(r.crashes[0].report, "\nBUG: this line is user output that looks like a report\n",
		 "interleaved: user output that looks like a marker does not split the report");
	tap_like(r.crashes[0].report, "---[ end Kernel panic",
		 "interleaved: the report runs to its end");
	free(first);
	run_release(&r);
}

static void test_ansi_cr(void)
{
	struct run r;
	char *first;

	run_log(&r, "logs/ansi-cr.log", 1);
	if (!tap_is_int((long long)r.n, 1, "escapes and CRs: one crash")) {
		diag_crashes(&r);
		run_release(&r);
		return;
	}
	tap_is_str(r.crashes[0].title, PF_TITLE,
		   "escapes and CRs: the title (RIP had an escape mid-name)");
	first = first_line(r.crashes[0].report);
	tap_is_str(first,
		   "[    2.799627] BUG: unable to handle page fault for address: ffffd04380076000",
		   "escapes and CRs: escapes before the marker and a stray CR are gone");
	tap_ok(!strchr(r.crashes[0].report, '\x1b') && !strchr(r.crashes[0].report, '\r'),
	       "escapes and CRs: none left in the report");
	tap_like(r.crashes[0].report, "RIP: 0010:refsensor_eval+0x73/0xf0 [refsensor]\n",
		 "escapes and CRs: the RIP line reads clean");
	tap_like(r.crashes[0].report, "\nstatus: loading\n",
		 "escapes and CRs: interleaved escaped output kept as text");
	free(first);
	run_release(&r);
}

static void test_non_utf8(void)
{
	struct run r;

	run_log(&r, "logs/non-utf8.log", 3);
	if (!tap_is_int((long long)r.n, 1, "not UTF-8: one crash")) {
		diag_crashes(&r);
		run_release(&r);
		return;
	}
	tap_is_str(r.crashes[0].title, PF_TITLE, "not UTF-8: the title");
	tap_is_int((long long)r.crashes[0].line, 26, "not UTF-8: the line");
	tap_ok(clean_text(r.crashes[0].report), "not UTF-8: the report text is valid UTF-8");
	tap_like(r.crashes[0].report, "Comm: ins?mod Tainted", "not UTF-8: a bad byte became '?'");
	tap_like(r.crashes[0].report, "ffffd04380076000??\n",
		 "not UTF-8: bytes after the marker line too");
	run_release(&r);
}

static void test_benign(void)
{
	struct run r;

	run_log(&r, "logs/benign.log", 0);
	if (!tap_is_int((long long)r.n, 0, "benign text with BUG/Oops/panic mid-line: no crash"))
		diag_crashes(&r);
	run_release(&r);
}

static void test_big_line(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct run r;

	for (size_t i = 0; i < 1024 * 1024; i++)
		strbuf_addch(&sb, "noise BUG: Oops panic "[i % 22]);
	strbuf_addch(&sb, '\n');
	load("logs/oops-page-fault.log", &sb);
	run_init(&r);
	run_feed(&r, sb.buf, sb.len, 65536);
	run_finish(&r);
	if (tap_is_int((long long)r.n, 1, "a 1 MiB line before the crash: one crash")) {
		tap_is_str(r.crashes[0].title, PF_TITLE, "  ... the title");
		tap_is_int((long long)r.crashes[0].line, 26,
			   "  ... at the line after the long one");
	} else {
		diag_crashes(&r);
	}
	run_release(&r);
	strbuf_release(&sb);
}

static void test_no_end(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct run r;
	char *last;

	run_init(&r);
	load("logs/no-end.log", &sb);
	run_feed(&r, sb.buf, sb.len, 0);
	tap_ok(r.n == 0 && detector_in_report(r.det), "a report cut off mid-trace is still open");
	run_finish(&r);
	if (!tap_is_int((long long)r.n, 1, "  ... detector_flush completes it")) {
		run_release(&r);
		strbuf_release(&sb);
		return;
	}
	tap_is_str(r.crashes[0].title, PF_TITLE, "  ... with its title");
	tap_is_int((long long)r.crashes[0].line, 25, "  ... and first line");
	last = last_line(r.crashes[0].report);
	tap_like(last, "do_one_initcall+0x59/0x220", "  ... running to the last line seen");
	tap_ok(!detector_in_report(r.det), "  ... and the detector is idle");
	free(last);
	run_release(&r);
	strbuf_release(&sb);
}

static void test_multi_boot(void)
{
	struct run r;
	static const struct {
		const char *title;
		size_t line;
	} want[] = {
	    {"WARNING in refsensor_eval", 26},
	    {PF_TITLE, 93},
	    {"unexpected reboot", 177},
	};

	run_log(&r, "logs/multi-boot.log", 0);
	if (!tap_is_int((long long)r.n, 3,
			"four boots: a WARNING, a panic, an unannounced reboot")) {
		diag_crashes(&r);
		run_release(&r);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		tap_is_str(r.crashes[i].title, want[i].title, "  ... title");
		tap_is_int((long long)r.crashes[i].line, (long long)want[i].line, "  ... line");
	}
	tap_like(r.crashes[2].report, "] Linux version 6.1.0-56-amd64",
		 "an unexpected reboot's report is the banner");
	tap_is_int((long long)count_lines(r.crashes[2].report), 1, "  ... alone");
	tap_like(r.crashes[1].report, "Rebooting in 1 seconds..",
		 "a panic that reboots ends at 'Rebooting in'");
	run_release(&r);
}

static void test_chunking(void)
{
	struct run a, b;
	int same;

	run_log(&a, "logs/interleaved.log", 0);
	run_log(&b, "logs/interleaved.log", 1);
	same = a.n == b.n;
	for (size_t i = 0; same && i < a.n; i++)
		same = strcmp(a.crashes[i].title, b.crashes[i].title) == 0 &&
		       strcmp(a.crashes[i].report, b.crashes[i].report) == 0 &&
		       a.crashes[i].line == b.crashes[i].line;
	tap_ok(same, "byte-by-byte feeding gives the same crashes and reports");
	run_release(&a);
	run_release(&b);
}

/* ---- title rules on short reports fed as lines ---- */

static char *title_of(const char *const *lines, size_t n, size_t *ret_count)
{
	struct detector *d = detector_new();
	struct crash c;
	char *title = NULL;

	*ret_count = 0;
	for (size_t i = 0; i < n; i++)
		detector_line(d, lines[i], strlen(lines[i]), i + 1);
	detector_flush(d);
	while (detector_next(d, &c)) {
		if (!title)
			title = xstrdup(c.title);
		++*ret_count;
		crash_release(&c);
	}
	detector_free(d);
	return title;
}

#define T(...) ((const char *const[]){__VA_ARGS__})
#define TN(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

struct title_case {
	const char *name;
	const char *const *lines;
	size_t n;
	const char *title;
};

#define CASE(name, title, ...)                                                                     \
	{                                                                                          \
		name, T(__VA_ARGS__), TN(__VA_ARGS__), title                                       \
	}

static const struct title_case titles[] = {
    CASE("Oops: general protection fault (6.9+ wording)", "general protection fault in rs_eval",
	 "[    5.000001] Oops: general protection fault, probably for non-canonical address "
	 "0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN NOPTI",
	 "[    5.000002] CPU: 1 PID: 77 Comm: insmod Not tainted 6.10.0 #1",
	 "[    5.000003] RIP: 0010:rs_eval+0x1c/0x80 [refsensor]"),
    CASE("a bare Oops", "Oops in rs_eval", "[    5.000001] Oops: 0002 [#1] SMP",
	 "[    5.000003] RIP: 0010:rs_eval+0x1c/0x80 [refsensor]"),
    CASE("scheduling while atomic", "BUG: scheduling while atomic in rs_wait",
	 "[    1.000000] BUG: scheduling while atomic: insmod/67/0x00000002",
	 "[    1.000001] Call Trace:", "[    1.000002]  <TASK>",
	 "[    1.000003]  dump_stack_lvl+0x44/0x5c",
	 "[    1.000004]  __schedule_bug.cold+0x7d/0x8b", "[    1.000005]  __schedule+0x6c8/0x9e0",
	 "[    1.000006]  schedule+0x5a/0xd0", "[    1.000007]  rs_wait+0x22/0x40 [refsensor]",
	 "[    1.000008]  </TASK>"),
    CASE("sleeping in atomic context",
	 "BUG: sleeping function called from invalid context in rs_lock",
	 "[    1.000000] BUG: sleeping function called from invalid context at "
	 "kernel/locking/mutex.c:580",
	 "[    1.000001] in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 67, name: insmod",
	 "[    1.000002] Call Trace:", "[    1.000003]  <TASK>",
	 "[    1.000004]  dump_stack_lvl+0x44/0x5c",
	 "[    1.000005]  __might_resched.cold+0xe/0x11", "[    1.000006]  ? mutex_lock+0x1a/0x40",
	 "[    1.000007]  mutex_lock+0x1a/0x40", "[    1.000008]  rs_lock+0x10/0x20 [refsensor]",
	 "[    1.000009]  </TASK>"),
    CASE("a fault in memcpy names its caller", "BUG: unable to handle kernel paging request in rs_copy_input",
	 "[    2.000000] BUG: unable to handle page fault for address: ffffc900001c5000",
	 "[    2.000001] RIP: 0010:memcpy_orig+0x10/0x120", "[    2.000002] Call Trace:",
	 "[    2.000003]  <TASK>", "[    2.000004]  ? rs_other+0x1/0x2 [refsensor]",
	 "[    2.000005]  rs_copy_input+0x33/0x50 [refsensor]", "[    2.000006]  </TASK>"),
    CASE("KASAN in a generic helper names its caller", "KASAN: use-after-free Write in rs_store",
	 "[    3.000000] BUG: KASAN: use-after-free in memcpy+0x20/0x60",
	 "[    3.000001] Write of size 4 at addr ffff888004a3e8a0 by task insmod/112",
	 "[    3.000002] Call Trace:", "[    3.000003]  <TASK>",
	 "[    3.000004]  dump_stack_lvl+0x44/0x5c", "[    3.000005]  print_report+0x184/0x4be",
	 "[    3.000006]  kasan_report+0xc9/0x100", "[    3.000007]  kasan_check_range+0x10b/0x1c0",
	 "[    3.000008]  memcpy+0x20/0x60", "[    3.000009]  rs_store+0x11/0x30 [refsensor]"),
    CASE(
	"stack protector panic",
	"kernel panic: stack is corrupted in refsensor_eval",
	"[    4.000000] Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: "
	"refsensor_eval+0x4f/0xc0 [refsensor]"),
    CASE("panic message keeps short codes",
	 "kernel panic: Attempted to kill init! exitcode=0x0000000b",
	 "[    4.000000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b"),
    CASE("panic message loses CPU numbers (cpu 1)",
	 "kernel panic: Watchdog detected hard LOCKUP on cpu",
	 "[    4.000000] Kernel panic - not syncing: Watchdog detected hard LOCKUP on cpu 1"),
    CASE("panic message loses CPU numbers (cpu 0)",
	 "kernel panic: Watchdog detected hard LOCKUP on cpu",
	 "[    9.000000] Kernel panic - not syncing: Watchdog detected hard LOCKUP on cpu 0"),
    CASE("a log without timestamps", "BUG: unable to handle kernel paging request in rs_eval",
	 "BUG: unable to handle page fault for address: ffffc900001c5000",
	 "RIP: 0010:rs_eval+0x1c/0x80 [refsensor]"),
    CASE(
	"workqueue lockup", "BUG: workqueue lockup",
	"[   40.000000] BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!",
	"[   40.000001] Showing busy workqueues and worker pools:"),
    CASE("old-style soft lockup", "BUG: soft lockup in rs_spin",
	 "[   30.000000] BUG: soft lockup - CPU#3 stuck for 23s! [insmod:1]",
	 "[   30.000001] RIP: 0010:rs_spin+0x1/0x2 [refsensor]"),
    CASE("address and pointer in a BUG line", "BUG: Bad rss-counter state",
	 "[   30.000000] BUG: Bad rss-counter state mm:00000000c0ffee12 type:MM_ANONPAGES val:1"),
    CASE("preemptible smp_processor_id",
	 "BUG: using smp_processor_id() in preemptible code in rs_cpu",
	 "[   30.000000] BUG: using smp_processor_id() in preemptible [00000000] code: insmod/67",
	 "[   30.000001] caller is rs_cpu+0x10/0x20 [refsensor]", "[   30.000002] Call Trace:",
	 "[   30.000003]  <TASK>", "[   30.000004]  dump_stack_lvl+0x44/0x5c",
	 "[   30.000005]  check_preemption_disabled+0xd9/0xe0",
	 "[   30.000006]  rs_cpu+0x10/0x20 [refsensor]"),
    CASE("RCU stall seen from another CPU, no RIP", "INFO: rcu detected stall in rs_scan_inputs",
	 "[   23.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
	 "[   23.000001] rcu: \t1-...!: (0 ticks this GP) idle=2a8c/1/0x4000000000000000",
	 "[   23.000002] Sending NMI from CPU 0 to CPUs 1:", "[   23.000003] Call Trace:",
	 "[   23.000004]  <IRQ>", "[   23.000005]  rcu_dump_cpu_stacks+0xf2/0x130",
	 "[   23.000006]  rcu_sched_clock_irq.cold+0x2e0/0x3e0",
	 "[   23.000007]  update_process_times+0x6e/0xa0", "[   23.000008]  </IRQ>",
	 "[   23.000009]  <TASK>", "[   23.000010]  rs_scan_inputs+0x31/0x60 [refsensor]"),
};

static void test_titles(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(titles); i++) {
		size_t count;
		char *title = title_of(titles[i].lines, titles[i].n, &count);
		char name[256];

		snprintf(name, sizeof(name), "title rule: %s", titles[i].name);
		if (!tap_is_str(title, titles[i].title, name) || count != 1)
			printf("#   crashes: %zu\n", count);
		free(title);
	}
}

/* ---- every class of report: title, guilty function, module, taint ---- */

struct class_case {
	const char *name;
	const char *title, *func, *module;
	int oot;
	const char *const *lines;
	size_t n;
};

#define CLASS(name, title, func, module, oot, ...)                                               \
	{                                                                                          \
		name, title, func, module, oot, T(__VA_ARGS__), TN(__VA_ARGS__)                     \
	}

#define TS "[   10.000000] "
#define CPU_OE TS "CPU: 0 PID: 67 Comm: insmod Tainted: G           OE      6.1.0-56-amd64 #1"
#define CPU_NT TS "CPU: 0 PID: 67 Comm: insmod Not tainted 6.1.0-56-amd64 #1"

static const struct class_case classes[] = {
    CLASS("lockdep: circular locking", "possible deadlock in rs_take_b", "rs_take_b", "refsensor", 1,
	  TS "======================================================",
	  TS "WARNING: possible circular locking dependency detected",
	  TS "6.1.0-56-amd64 #1 Tainted: G           OE",
	  TS "------------------------------------------------------",
	  TS "insmod/67 is trying to acquire lock:",
	  TS "ffffffffc0a01020 (&rs_b){+.+.}-{3:3}, at: rs_take_b+0x1a/0x40 [refsensor]", TS "",
	  TS "but task is already holding lock:",
	  TS "ffffffffc0a01000 (&rs_a){+.+.}-{3:3}, at: rs_take_a+0x10/0x30 [refsensor]",
	  TS "stack backtrace:", CPU_OE, TS "Call Trace:", TS " <TASK>",
	  TS " dump_stack_lvl+0x44/0x5c", TS " check_noncircular+0x10a/0x120",
	  TS " __lock_acquire+0x11a0/0x1f00", TS " lock_acquire+0xc2/0x2b0",
	  TS " __mutex_lock+0x9a/0x900", TS " rs_take_b+0x1a/0x40 [refsensor]", TS " </TASK>"),
    CLASS("lockdep: old [ INFO: ] form", "possible deadlock in rs_take_b", "rs_take_b", "refsensor", 0,
	  TS "=================================", TS "[ INFO: possible recursive locking detected ]",
	  TS "4.9.0 #1 Not tainted", TS "---------------------------------",
	  TS "insmod/67 is trying to acquire lock:",
	  TS " (&rs_b){+.+...}, at: [<ffffffffa0001234>] rs_take_b+0x1a/0x40 [refsensor]",
	  TS "stack backtrace:", TS "Call Trace:",
	  TS " [<ffffffff812345ab>] dump_stack+0x4d/0x66",
	  TS " [<ffffffffa0001234>] rs_take_b+0x1a/0x40 [refsensor]"),
    CLASS("lockdep: inconsistent lock state", "inconsistent lock state in rs_irq_take", "rs_irq_take",
	  "refsensor", 0, TS "================================",
	  TS "WARNING: inconsistent lock state", TS "--------------------------------",
	  TS "inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.",
	  TS "insmod/67 [HC0[0]:SC0[0]:HE1:SE1] takes:",
	  TS "ffffffffc0a01000 (&rs_lock){?.+.}-{2:2}, at: rs_irq_take+0x1c/0x50 [refsensor]",
	  TS "{IN-HARDIRQ-W} state was registered at:", TS "  lock_acquire+0xc2/0x2b0",
	  TS "stack backtrace:", CPU_NT, TS "Call Trace:", TS " <TASK>",
	  TS " dump_stack_lvl+0x44/0x5c", TS " rs_irq_take+0x1c/0x50 [refsensor]", TS " </TASK>"),
    CLASS("lockdep: suspicious RCU usage", "WARNING: suspicious RCU usage in rs_lookup",
	  "rs_lookup", "refsensor", 0, TS "=============================",
	  TS "WARNING: suspicious RCU usage", TS "6.1.0 #1 Not tainted",
	  TS "-----------------------------",
	  TS "/build/sensor/refsensor.c:99 suspicious rcu_dereference_check() usage!",
	  TS "stack backtrace:", CPU_NT, TS "Call Trace:", TS " <TASK>",
	  TS " dump_stack_lvl+0x44/0x5c", TS " lockdep_rcu_suspicious+0x15e/0x1a0",
	  TS " rs_lookup+0x61/0x90 [refsensor]", TS " </TASK>"),
    CLASS("lockdep: bad unlock balance", "WARNING: bad unlock balance in rs_unlock", "rs_unlock",
	  "refsensor", 0, TS "=====================================",
	  TS "WARNING: bad unlock balance detected!", TS "6.1.0 #1 Not tainted",
	  TS "-------------------------------------",
	  TS "insmod/67 is trying to release lock (&rs_m) at:",
	  TS "[<ffffffffc0a00123>] rs_unlock+0x13/0x20 [refsensor]",
	  TS "but there are no more locks to release!", TS "stack backtrace:", TS "Call Trace:",
	  TS " <TASK>", TS " rs_unlock+0x13/0x20 [refsensor]", TS " </TASK>"),
    CLASS("lockdep: old [ BUG: ] held lock freed", "WARNING: held lock freed in rs_put", "rs_put",
	  "refsensor", 0, TS "=========================", TS "[ BUG: held lock freed! ]",
	  TS "4.9.0 #1 Not tainted", TS "-------------------------",
	  TS "insmod/67 is freeing memory ffff88000a000000-ffff88000a0003ff, with a lock still held there!",
	  TS " (&obj->lock){+.+...}, at: [<ffffffffa0001000>] rs_put+0x20/0x60 [refsensor]",
	  TS "stack backtrace:", TS "Call Trace:", TS " [<ffffffff81234567>] kfree+0x99/0x200"),
    CLASS("lockdep: non-static key", "INFO: trying to register non-static key in rs_init_obj",
	  "rs_init_obj", "refsensor", 0, TS "INFO: trying to register non-static key.",
	  TS "The code is fine but needs lockdep annotation, or maybe",
	  TS "you didn't initialize this object before use?", TS "turning off the locking correctness validator.",
	  CPU_NT, TS "Call Trace:", TS " <TASK>", TS " dump_stack_lvl+0x44/0x5c",
	  TS " register_lock_class+0x8d3/0x8e0", TS " __lock_acquire+0x6e/0x1f00",
	  TS " lock_acquire+0xc2/0x2b0", TS " _raw_spin_lock_irqsave+0x3d/0x60",
	  TS " rs_init_obj+0x22/0x40 [refsensor]", TS " </TASK>"),
    CLASS("kmemleak record (cat from debugfs, no timestamps)", "memory leak in rs_make_rule",
	  "rs_make_rule", "refsensor", 1, CPU_OE, TS "refsensor: loaded",
	  "unreferenced object 0xffff888003d1e000 (size 64):",
	  "  comm \"insmod\", pid 67, jiffies 4294893123 (age 12.340s)",
	  "  hex dump (first 32 bytes):",
	  "    6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk",
	  "  backtrace (crc 9c1a8e2f):", "    kmemleak_alloc+0x4a/0x80",
	  "    kmalloc_trace+0x26/0x90", "    rs_make_rule+0x2c/0x70 [refsensor]",
	  "    refsensor_init+0x498/0x1000 [refsensor]", "/ # "),
    CLASS("kmemleak, old frames", "memory leak in rs_dup_name", "rs_dup_name", "refsensor", 0,
	  "unreferenced object 0xffff888003d1e000 (size 32):", "  comm \"insmod\", pid 67",
	  "  backtrace:", "    [<ffffffff8123aa11>] __kmalloc_track_caller+0x17b/0x2f0",
	  "    [<ffffffff8120bb22>] kstrdup+0x36/0x70",
	  "    [<ffffffffc0a00c33>] rs_dup_name+0x19/0x40 [refsensor]"),
    CLASS("WARNING, late-2025 format", "WARNING in fast_dput", "fast_dput", "vmlinux", 0,
	  TS "------------[ cut here ]------------",
	  TS "WARNING: fs/dcache.c:829 at fast_dput+0x334/0x430, CPU#1: rm/312",
	  TS "Modules linked in:", TS "CPU: 1 UID: 0 PID: 312 Comm: rm Not tainted 6.18.0 #1",
	  TS "RIP: 0010:fast_dput+0x334/0x430", TS "Call Trace:", TS " <TASK>",
	  TS " dput+0x3a/0x1c0", TS " </TASK>", TS "---[ end trace 0000000000000000 ]---"),
    CLASS("WARNING from refcount names the caller", "WARNING: refcount bug in rs_put_rule",
	  "rs_put_rule", "refsensor", 1, TS "refcount_t: underflow; use-after-free.",
	  TS "WARNING: CPU: 0 PID: 67 at lib/refcount.c:28 refcount_warn_saturate+0xba/0x110",
	  TS "Modules linked in: refsensor(OE)", CPU_OE,
	  TS "RIP: 0010:refcount_warn_saturate+0xba/0x110", TS "Call Trace:", TS " <TASK>",
	  TS " rs_put_rule+0x2e/0x40 [refsensor]", TS " rs_unload+0x11/0x30 [refsensor]",
	  TS " </TASK>", TS "---[ end trace 0000000000000000 ]---"),
    CLASS("WARNING from ODEBUG", "WARNING: ODEBUG bug in rs_stop", "rs_stop", "refsensor", 0,
	  TS "ODEBUG: free active (active state 0) object: ffff888003d1e000 object type: timer_list hint: rs_tick+0x0/0x40 [refsensor]",
	  TS "WARNING: CPU: 0 PID: 67 at lib/debugobjects.c:505 debug_print_object+0x8d/0xb0",
	  CPU_NT, TS "RIP: 0010:debug_print_object+0x8d/0xb0", TS "Call Trace:", TS " <TASK>",
	  TS " debug_check_no_obj_freed+0x1fd/0x220", TS " kfree+0xa1/0x2a0",
	  TS " rs_stop+0x22/0x50 [refsensor]", TS " </TASK>", TS "---[ end trace 0000000000000000 ]---"),
    CLASS("arm64 paging request", "BUG: unable to handle kernel paging request in rs_eval",
	  "rs_eval", "refsensor", 1,
	  TS "Unable to handle kernel paging request at virtual address ffff800008a3d000",
	  TS "Mem abort info:", TS "  ESR = 0x0000000096000007",
	  TS "Internal error: Oops: 0000000096000007 [#1] PREEMPT SMP",
	  TS "Modules linked in: refsensor(OE)", TS "CPU: 0 PID: 67 Comm: insmod Tainted: G           OE     6.1.0 #1",
	  TS "pstate: 80400005 (Nzcv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)",
	  TS "pc : rs_eval+0x5c/0xd0 [refsensor]", TS "lr : rs_load+0x9c/0x1e0 [refsensor]",
	  TS "sp : ffff80000a0c3b30", TS "x29: ffff80000a0c3b30 x28: 0000000000000000",
	  TS "Call trace:", TS " rs_eval+0x5c/0xd0 [refsensor]", TS " rs_load+0x9c/0x1e0 [refsensor]",
	  TS "Code: f9400021 b4000061 (b9400020) 52800000", TS "---[ end trace 0000000000000000 ]---",
	  TS "Kernel panic - not syncing: Oops: Fatal exception"),
    CLASS("arm64 NULL dereference", "BUG: unable to handle kernel NULL pointer dereference in rs_eval",
	  "rs_eval", "refsensor", 0,
	  TS "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008",
	  TS "Internal error: Oops: 0000000096000005 [#1] SMP", CPU_NT,
	  TS "pc : rs_eval+0x1c/0xd0 [refsensor]", TS "Call trace:",
	  TS " rs_eval+0x1c/0xd0 [refsensor]", TS "---[ end trace 0000000000000000 ]---"),
    CLASS("arm32 frames and PC is at", "BUG: unable to handle kernel NULL pointer dereference in rs_eval",
	  "rs_eval", "refsensor", 0,
	  TS "Unable to handle kernel NULL pointer dereference at virtual address 00000000",
	  TS "Internal error: Oops: 17 [#1] ARM", TS "PC is at rs_eval+0x1c/0x80 [refsensor]",
	  TS "LR is at rs_load+0x30/0x90 [refsensor]", TS "Backtrace:",
	  TS "[<bf000124>] (rs_eval [refsensor]) from [<bf000200>] (rs_load+0x30/0x90 [refsensor])"),
    CLASS("arm32 frames without PC", "Unhandled fault in rs_poke", "rs_poke", "vmlinux", 0,
	  TS "Unhandled fault: imprecise external abort (0x1406) at 0x00000000",
	  TS "[<c0107f3c>] (unwind_backtrace) from [<c010b30c>] (show_stack+0x10/0x14)",
	  TS "[<c010b30c>] (show_stack) from [<c0123000>] (rs_poke+0x10/0x14)",
	  TS "[<c0123000>] (rs_poke) from [<c0124000>] (kthread+0x10/0x14)"),
    CLASS("old x86 divide error, IP:", "divide error in rs_ratio", "rs_ratio", "refsensor", 0,
	  TS "divide error: 0000 [#1] SMP", TS "Modules linked in: refsensor",
	  TS "CPU: 0 PID: 67 Comm: insmod Not tainted 4.4.0 #1",
	  TS "RIP: 0010:[<ffffffffa0001234>]  [<ffffffffa0001234>] rs_ratio+0x14/0x30 [refsensor]",
	  TS "Call Trace:", TS " [<ffffffffa0001300>] rs_load+0x40/0x90 [refsensor]",
	  TS "---[ end trace 0000000000000000 ]---"),
    CLASS("old x86 IP: line", "BUG: unable to handle kernel NULL pointer dereference in rs_eval",
	  "rs_eval", "refsensor", 0,
	  TS "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008",
	  TS "IP: [<ffffffffa0001234>] rs_eval+0x14/0x30 [refsensor]", TS "PGD 0",
	  TS "Oops: 0000 [#1] SMP", TS "Call Trace:",
	  TS " [<ffffffff835bdeb4>] schedule+0x64/0x160"),
    CLASS("old x86 frames only", "BUG: scheduling while atomic in rs_wait", "rs_wait", "refsensor", 0,
	  TS "BUG: scheduling while atomic: insmod/67/0x00000002", TS "Call Trace:",
	  TS " [<ffffffff812345ab>] dump_stack+0x4d/0x66",
	  TS " [<ffffffff835bdeb4>] schedule+0x64/0x160",
	  TS " [<ffffffffa0001234>] ? rs_other+0x1/0x2 [refsensor]",
	  TS " [<ffffffffa0001200>] rs_wait+0x22/0x40 [refsensor]"),
    CLASS("stack segment", "stack segment fault in rs_walk", "rs_walk", "refsensor", 0,
	  TS "stack segment: 0000 [#1] PREEMPT SMP KASAN", CPU_NT,
	  TS "RIP: 0010:rs_walk+0x44/0x90 [refsensor]"),
    CLASS("6.9+ Oops: stack segment", "stack segment fault in rs_walk", "rs_walk", "refsensor", 0,
	  TS "Oops: stack segment: 0000 [#1] PREEMPT SMP KASAN", CPU_NT,
	  TS "RIP: 0010:rs_walk+0x44/0x90 [refsensor]"),
    CLASS("double fault", "PANIC: double fault in rs_recurse", "rs_recurse", "refsensor", 0,
	  TS "PANIC: double fault, error_code: 0x0", CPU_NT,
	  TS "RIP: 0010:rs_recurse+0x4/0x20 [refsensor]"),
    CLASS("NMI watchdog soft lockup, old frames", "BUG: soft lockup in rs_thread", "rs_thread",
	  "refsensor", 0, TS "NMI watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [rs_thread:80]",
	  TS "RIP: 0010:[<ffffffffa0001111>]  [<ffffffffa0001111>] rs_spin+0x11/0x20 [refsensor]",
	  TS "Call Trace:", TS " [<ffffffffa0001222>] rs_step+0x22/0x40 [refsensor]",
	  TS " [<ffffffffa0001333>] rs_thread+0x33/0x60 [refsensor]",
	  TS " [<ffffffff810a1234>] kthread+0xe5/0x100",
	  TS " [<ffffffff81800000>] ret_from_fork+0x3f/0x70"),
    CLASS("KMSAN keeps its kind", "KMSAN: uninit-value in rs_match", "rs_match", "refsensor", 0,
	  TS "=====================================================",
	  TS "BUG: KMSAN: uninit-value in rs_match+0x2a1/0x370 [refsensor]",
	  TS " rs_match+0x2a1/0x370 [refsensor]", TS " rs_eval+0x40/0x80 [refsensor]",
	  TS "Uninit was created at:", TS " __kmalloc+0x11/0x20",
	  TS "=====================================================" ),
    CLASS("KCSAN keeps both functions", "KCSAN: data-race in rs_count / rs_reset", "rs_count",
	  "vmlinux", 0, TS "==================================================================",
	  TS "BUG: KCSAN: data-race in rs_count / rs_reset",
	  TS "write to 0xffffffffc0a01000 of 4 bytes by task 67 on cpu 1:",
	  TS " rs_reset+0x11/0x20 [refsensor]",
	  TS "=================================================================="),
    CLASS("KASAN invalid-access without an access line", "KASAN: invalid-access in rs_eval",
	  "rs_eval", "refsensor", 0, TS "==================================================================",
	  TS "BUG: KASAN: invalid-access in rs_eval+0x34/0x80 [refsensor]", CPU_NT,
	  TS "=================================================================="),
    CLASS("KASAN slab-use-after-free", "KASAN: slab-use-after-free Read in rs_get", "rs_get",
	  "refsensor", 1, TS "==================================================================",
	  TS "BUG: KASAN: slab-use-after-free in rs_get+0x34/0x80 [refsensor]",
	  TS "Read of size 8 at addr ffff888003d1e008 by task insmod/67", CPU_OE,
	  TS "=================================================================="),
    CLASS("UBSAN shift-out-of-bounds", "UBSAN: shift-out-of-bounds in rs_mask", "rs_mask",
	  "refsensor", 0, TS "================================================================================",
	  TS "UBSAN: shift-out-of-bounds in /build/sensor/refsensor.c:77:18",
	  TS "shift exponent 64 is too large for 64-bit type 'long unsigned int'", CPU_NT,
	  TS "Call Trace:", TS " <TASK>", TS " dump_stack_lvl+0x44/0x5c",
	  TS " __ubsan_handle_shift_out_of_bounds.cold+0x61/0xef", TS " rs_mask+0x51/0x60 [refsensor]",
	  TS " </TASK>", TS "================================================================================"),
    CLASS("Dentry still in use", "BUG: Dentry still in use [unmount of ext4]", "", "", 0,
	  TS "BUG: Dentry ffff888003d1e000{i=2,n=/}  still in use (1) [unmount of ext4 vda]"),
    CLASS("list corruption names the caller", "BUG: corrupted list in rs_drop", "rs_drop",
	  "refsensor", 0, TS "list_del corruption. prev->next should be ffff888003d1e000, but was dead000000000100",
	  TS "kernel BUG at lib/list_debug.c:62!", TS "invalid opcode: 0000 [#1] PREEMPT SMP",
	  CPU_NT, TS "RIP: 0010:__list_del_entry_valid.cold+0x37/0x4a", TS "Call Trace:",
	  TS " <TASK>", TS " rs_drop+0x1f/0x60 [refsensor]", TS " </TASK>"),
    CLASS("retpoline thunk and rb_erase skipped", "general protection fault in rs_tree_del",
	  "rs_tree_del", "refsensor", 0,
	  TS "general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP",
	  CPU_NT, TS "RIP: 0010:rb_erase+0x1e/0x3a0", TS "Call Trace:", TS " <TASK>",
	  TS " __x86_indirect_thunk_rax+0x16/0x20", TS " __sanitizer_cov_trace_pc+0x1/0x40",
	  TS " smp_apic_timer_interrupt+0x1/0x40", TS " sched_show_task+0x1/0x40", TS " rs_tree_del+0x2a/0x50 [refsensor]",
	  TS " </TASK>"),
    CLASS("two messages joined without a newline", "general protection fault in rs_eval",
	  "rs_eval", "refsensor", 0,
	  TS "#PF: supervisor read access in kernel modegeneral protection fault: 0000 [#1] SMP",
	  CPU_NT, TS "RIP: 0010:rs_eval+0x1c/0x80 [refsensor]"),
    CLASS("a whole report without timestamps after timestamped lines",
	  "BUG: unable to handle kernel paging request in rs_eval", "rs_eval", "refsensor", 1,
	  TS "refsensor: loaded", "BUG: unable to handle page fault for address: ffffc900001c5000",
	  "#PF: supervisor read access in kernel mode", "#PF: error_code(0x0000) - not-present page",
	  "Oops: 0000 [#1] PREEMPT SMP NOPTI",
	  "CPU: 0 PID: 106 Comm: insmod Tainted: G           OE      6.1.0-56-amd64 #1",
	  "RIP: 0010:rs_eval+0x73/0xf0 [refsensor]", "Call Trace:", " <TASK>", " </TASK>"),
    CLASS("caller ids: other tasks interleaved, two spaces after the id",
	  "BUG: unable to handle kernel paging request in rs_eval", "rs_eval", "refsensor", 0,
	  "[   10.000000][  T106] BUG: unable to handle page fault for address: ffffc900001c5000",
	  "[   10.000001][    T1] RIP: 0010:other_task_fn+0x1/0x2",
	  "[   10.000002][  T106]  RIP: 0010:rs_eval+0x73/0xf0 [refsensor]",
	  "[   10.000003][    T1]  other_caller+0x1/0x2", "[   10.000004][  T106] Call Trace:",
	  "[   10.000005][  T106]  <TASK>", "[   10.000006][  T106]  rs_load+0x1/0x2 [refsensor]",
	  "[   10.000007][  T106]  </TASK>"),
    CLASS("hung task in rtnl_lock", "INFO: task hung in rtnl_lock", "rtnl_lock", "vmlinux", 0,
	  TS "INFO: task kworker/0:1:12 blocked for more than 143 seconds.", TS "Call Trace:",
	  TS " <TASK>", TS " __schedule+0x34d/0x9e0", TS " schedule+0x5a/0xd0",
	  TS " __mutex_lock.constprop.0+0x399/0x700", TS " rtnl_lock+0x15/0x20",
	  TS " rs_netdev_event+0x1c/0x30 [refsensor]", TS " </TASK>"),
    CLASS("RCU stall in a kthread names the thread function",
	  "INFO: rcu detected stall in rs_thread", "rs_thread", "refsensor", 0,
	  TS "rcu: INFO: rcu_sched self-detected stall on CPU", TS "Call Trace:", TS " <IRQ>",
	  TS " rcu_dump_cpu_stacks+0xf2/0x130", TS " update_process_times+0x6e/0xa0",
	  TS " sysvec_apic_timer_interrupt+0x8e/0xc0", TS " </IRQ>", TS " <TASK>",
	  TS " asm_sysvec_apic_timer_interrupt+0x16/0x20",
	  TS "RIP: 0010:rs_spin+0x11/0x20 [refsensor]", TS " rs_step+0x22/0x40 [refsensor]",
	  TS " rs_thread+0x33/0x60 [refsensor]", TS " kthread+0xe5/0x100",
	  TS " ret_from_fork+0x22/0x30", TS " </TASK>"),
    CLASS("workqueue lockup", "BUG: workqueue lockup", "", "", 0,
	  TS "BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!"),
    CLASS("bad page state", "BUG: Bad page state in rs_release", "rs_release", "refsensor", 0,
	  TS "BUG: Bad page state in process insmod  pfn:03d1e", CPU_NT, TS "Call Trace:",
	  TS " <TASK>", TS " dump_stack_lvl+0x44/0x5c", TS " bad_page.cold+0x63/0x94",
	  TS " free_pcp_prepare+0x1c6/0x2a0", TS " free_unref_page+0x1d/0x150",
	  TS " rs_release+0x2a/0x40 [refsensor]", TS " </TASK>"),
    CLASS("stack guard page", "BUG: stack guard page was hit in rs_recurse", "rs_recurse",
	  "refsensor", 0, TS "BUG: stack guard page was hit at ffffc90000398ff8 (stack is ffffc90000399000..ffffc9000039cfff)",
	  TS "kernel stack overflow (double-fault): 0000 [#1] PREEMPT SMP", CPU_NT,
	  TS "RIP: 0010:rs_recurse+0x8/0x20 [refsensor]"),
    CLASS("arm64 kernel stack overflow", "kernel stack overflow in rs_recurse", "rs_recurse",
	  "refsensor", 0, TS "Insufficient stack space to handle exception!",
	  TS "ESR: 0x0000000096000047 -- DABT (current EL)", TS "FAR: 0xffff80000a1bffe0",
	  TS "Task stack:     [0xffff80000a1c0000..0xffff80000a1c4000]", CPU_NT,
	  TS "pc : rs_recurse+0x8/0x20 [refsensor]", TS "Kernel panic - not syncing: kernel stack overflow",
	  TS "---[ end Kernel panic - not syncing: kernel stack overflow ]---"),
    CLASS("netdevice refcount leak", "unregister_netdevice: waiting for DEV to become free", "", "", 0,
	  TS "unregister_netdevice: waiting for rs0 to become free. Usage count = 2"),
    CLASS("busy inodes", "VFS: Busy inodes after unmount (use-after-free)", "", "", 0,
	  TS "VFS: Busy inodes after unmount of vda (ext4). Self-destruct in 5 seconds.  Have a nice day..."),
    CLASS("truncated before its frames", "BUG: unable to handle kernel paging request in corrupted",
	  "", "", 0, TS "BUG: unable to handle page fault for address: ffffc900001c5000",
	  TS "#PF: supervisor read access in kernel mode"),
};

static void test_classes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		const struct class_case *k = &classes[i];
		struct detector *d = detector_new();
		struct crash c = {0}, extra;
		size_t count = 0;
		char name[256];

		for (size_t j = 0; j < k->n; j++)
			detector_line(d, k->lines[j], strlen(k->lines[j]), j + 1);
		detector_flush(d);
		while (detector_next(d, count ? &extra : &c))
			if (count++)
				crash_release(&extra);
		snprintf(name, sizeof(name), "class: %s: one crash", k->name);
		if (!tap_is_int((long long)count, 1, name)) {
			if (count)
				printf("#   first: '%s'\n", c.title);
			crash_release(&c);
			detector_free(d);
			continue;
		}
		tap_is_str(c.title, k->title, "  ... its title");
		tap_is_str(c.func, k->func, "  ... its guilty function");
		tap_is_str(c.module, k->module, "  ... its module");
		tap_is_int(c.tainted_oot, k->oot, "  ... out-of-tree taint");
		tap_ok(c.end_line >= c.line && c.kind && c.kind[0], "  ... a kind and a line range");
		crash_release(&c);
		detector_free(d);
	}
}

/* A reboot seen from the firmware's and the boot loader's banners. */
static void test_firmware_reboot(void)
{
	static const char *const unexpected[] = {
	    "SeaBIOS (version 1.16.2-debian-1.16.2-1)", "Booting the kernel.",
	    "[    0.000000] Linux version 6.1.0-56-amd64", "[    2.000000] Run /init as init process",
	    "SeaBIOS (version 1.16.2-debian-1.16.2-1)", "Booting from ROM..", "Booting the kernel.",
	    "[    0.000000] Linux version 6.1.0-56-amd64", "[    2.000000] Run /init as init process"};
	static const char *const expected[] = {
	    "[    0.000000] Linux version 6.1.0-56-amd64", "[    5.000000] reboot: Restarting system",
	    "SeaBIOS (version 1.16.2-debian-1.16.2-1)", "Booting the kernel.",
	    "[    0.000000] Linux version 6.1.0-56-amd64"};
	size_t count;
	char *title = title_of(unexpected, ARRAY_SIZE(unexpected), &count);

	tap_is_str(title, "unexpected reboot", "firmware banner after a boot: unexpected reboot");
	tap_is_int((long long)count, 1, "  ... once, not again at the kernel's banner");
	free(title);
	title = title_of(expected, ARRAY_SIZE(expected), &count);
	tap_is_int((long long)count, 0, "firmware banner after 'reboot: Restarting system': nothing");
	free(title);
}

/* Logs that mention BUG, WARNING, panic, lockdep without a report. */
static void test_clean_mentions(void)
{
	static const char *const lines[] = {
	    "[    1.000000] lockdep: WARNING: possible circular locking dependency detected is a test name",
	    "[    1.000001] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
	    "WARNING: possible circular locking dependency detected",
	    "echo 'BUG: KASAN: use-after-free in x+0x1/0x2'",
	    "unreferenced object 0x1234 (size 8): is what kmemleak would say",
	    "[    1.000002] systemd[1]: WARNING: CPU: 0 is a string in a unit name",
	    "BUG: unable to handle page fault for address: 0 (quoted by a test)",
	    "WARNING: /etc/ssh/moduli does not exist, using fixed modulus",
	    "[    1.000003] random: crng init done",
	    "[    1.000004] x86/cpu: SGX disabled by BIOS, a panic-free note",
	    "Kernel panic - not syncing: printed by echo", "[    1.000005] ok",
	    "[    1.000006] ok", "[    1.000007] ok", "[    1.000008] ok", "[    1.000009] ok",
	    "[    1.000010] ok", "[    1.000011] ok", "[    1.000012] ok", "[    1.000013] ok",
	    "[    1.000014] ok", "[    1.000015] ok", "[    1.000016] ok",
	};
	size_t count;
	char *title = title_of(lines, ARRAY_SIZE(lines), &count);

	if (!tap_is_int((long long)count, 0, "clean log mentioning BUG/WARNING/panic/lockdep: no crash"))
		printf("#   first: '%s'\n", title);
	free(title);
}

/* Issue 9: a kernel report inside a long user line or after a '\r' progress bar. */
static void test_hidden_reports(void)
{
	static const char *const reports[] = {"logs/warning.log", "logs/soft-lockup.log",
					      "logs/hung-task.log", "logs/oops-page-fault.log"};
	static const char *const want[] = {"WARNING in refsensor_eval", "BUG: soft lockup in refsensor_init",
					   "INFO: task hung in rs_load", PF_TITLE};

	for (size_t i = 0; i < ARRAY_SIZE(reports); i++) {
		struct strbuf log = STRBUF_INIT, sb = STRBUF_INIT;
		struct run r;
		char name[256];

		load(reports[i], &log);
		/* every kernel line comes after a few KB of a '\r' progress bar */
		for (const char *p = log.buf; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

			if (strstr(p, "] ") && strstr(p, "] ") < p + n)
				for (int k = 0; k < 200; k++)
					strbuf_addf(&sb, "copying %3d%% [=====>     ]\r", k % 100);
			strbuf_add(&sb, p, n);
			p += n;
		}
		run_init(&r);
		run_feed(&r, sb.buf, sb.len, 4096);
		run_finish(&r);
		snprintf(name, sizeof(name), "%s after a CR progress bar: one crash", reports[i]);
		if (tap_is_int((long long)r.n, 1, name))
			tap_is_str(r.crashes[0].title, want[i], "  ... with its title");
		else
			diag_crashes(&r);
		run_release(&r);
		strbuf_release(&sb);
		strbuf_release(&log);
	}

	{
		/* a 100 KB user line with the report's first line printed into it after 60 KB */
		struct strbuf log = STRBUF_INIT, sb = STRBUF_INIT;
		const char *bug;
		struct run r;

		load("logs/oops-page-fault.log", &log);
		bug = strstr(log.buf, "[    2.");
		bug = strstr(log.buf, "] BUG: ");
		while (bug > log.buf && bug[-1] != '\n')
			bug--;
		strbuf_add(&sb, log.buf, (size_t)(bug - log.buf));
		for (int k = 0; k < 60000; k++)
			strbuf_addch(&sb, "user output "[k % 12]);
		strbuf_add(&sb, bug, strcspn(bug, "\n"));
		for (int k = 0; k < 40000; k++)
			strbuf_addch(&sb, "more output "[k % 12]);
		strbuf_adds(&sb, bug + strcspn(bug, "\n"));
		run_init(&r);
		run_feed(&r, sb.buf, sb.len, 65536);
		run_finish(&r);
		if (tap_is_int((long long)r.n, 1, "a BUG printed 60 KB into a 100 KB line: one crash"))
			tap_is_str(r.crashes[0].title, PF_TITLE, "  ... with its title");
		else
			diag_crashes(&r);
		run_release(&r);
		strbuf_release(&sb);
		strbuf_release(&log);
	}
}

static void test_limits(void)
{
	struct detector *d = detector_new();
	struct crash c;
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0, lineno = 0;
	int ok = 1;

	/* a report flooded by 5000 interleaved lines, the RIP line after them */
	detector_line(d, "[    2.0] BUG: unable to handle page fault for address: ffffc900001c5000",
		      72, ++lineno);
	for (int i = 0; i < 5000; i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "user-space noise %d %0100d", i, i);
		detector_line(d, sb.buf, sb.len, ++lineno);
	}
	detector_line(d, "[    2.1] RIP: 0010:rs_late+0x4f/0xc0 [refsensor]", 48, ++lineno);
	detector_flush(d);
	if (tap_ok(detector_next(d, &c) == 1, "a flooded report comes out")) {
		tap_ok(bounded(c.report),
		       "  ... its text bounded by DETECT_REPORT_MAX_LINES/_BYTES");
		tap_ok(strncmp(c.report, "[    2.0] BUG: unable", 21) == 0,
		       "  ... starting at the BUG line");
		tap_is_str(c.title, "BUG: unable to handle kernel paging request in rs_late",
			   "  ... the title still uses lines beyond the bound");
		crash_release(&c);
	}

	/* long lines: the byte bound */
	strbuf_reset(&sb);
	for (int i = 0; i < 3 * CONSOLE_LINE_MAX; i++)
		strbuf_addch(&sb, 'x');
	detector_line(d, "[    2.0] BUG: unable to handle page fault for address: ffffc900001c5000",
		      72, ++lineno);
	for (int i = 0; i < 100; i++)
		detector_line(d, sb.buf, sb.len, ++lineno); /* longer than a console line */
	detector_flush(d);
	if (tap_ok(detector_next(d, &c) == 1, "a report of overlong lines comes out")) {
		tap_ok(strlen(c.report) <= DETECT_REPORT_MAX_BYTES,
		       "  ... within DETECT_REPORT_MAX_BYTES");
		crash_release(&c);
	}

	/* a title from a long UTF-8 message is capped on a character boundary */
	strbuf_reset(&sb);
	strbuf_adds(&sb, "[    4.0] Kernel panic - not syncing: ");
	for (int i = 0; i < 300; i++)
		strbuf_adds(&sb, "\xc3\xa9");
	detector_line(d, sb.buf, sb.len, ++lineno);
	detector_flush(d);
	if (tap_ok(detector_next(d, &c) == 1, "a panic with a 600-byte message")) {
		tap_ok(strlen(c.title) <= DETECT_TITLE_MAX && clean_text(c.title) &&
			   strncmp(c.title, "kernel panic: \xc3\xa9", 16) == 0,
		       "  ... has a capped, valid UTF-8 title");
		crash_release(&c);
	}

	/* the queue of completed crashes is bounded */
	for (int i = 0; i < 1000; i++)
		detector_line(d, "[    0.000000] Linux version 6.1.0", 34, ++lineno);
	while (detector_next(d, &c)) {
		ok &= strcmp(c.title, "unexpected reboot") == 0;
		n++;
		crash_release(&c);
	}
	tap_is_int((long long)n, DETECT_QUEUE_MAX,
		   "a reboot loop queues at most DETECT_QUEUE_MAX crashes");
	tap_ok(ok, "  ... each an unexpected reboot");

	strbuf_release(&sb);
	detector_free(d);
	detector_free(NULL);
	crash_release(NULL);
}

/* Lines of every log shuffled together with garbage: whatever comes out is sane. */
static void test_shuffled(void)
{
	static const char *const logs[] = {
	    "logs/oops-page-fault.log", "logs/kasan.log",     "logs/hard-lockup.log",
	    "logs/hung-task.log",	"logs/ansi-cr.log",   "logs/non-utf8.log",
	    "logs/multi-boot.log",	"logs/panic-vfs.log",
	};
	struct strbuf all = STRBUF_INIT, mixed = STRBUF_INIT;
	const char **lines = NULL;
	size_t nr = 0, alloc = 0, crashes = 0;
	uint32_t x = 4711;
	struct run r;
	int sane = 1;

	for (size_t i = 0; i < ARRAY_SIZE(logs); i++)
		load(logs[i], &all);
	for (char *p = all.buf, *nl; p < all.buf + all.len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(all.buf + all.len - p));
		if (!nl)
			break;
		*nl = '\0';
		ALLOC_GROW(lines, nr + 1, alloc);
		lines[nr++] = p;
	}
	for (int round = 0; round < 20000; round++) {
		x = x * 1103515245 + 12345;
		if ((x >> 16) % 50 == 0) {
			for (int k = 0; k < 40; k++)
				strbuf_addch(&mixed, (char)(x >> (k % 24)));
		} else {
			strbuf_adds(&mixed, lines[(x >> 8) % nr]);
		}
		strbuf_addch(&mixed, '\n');
	}
	run_init(&r);
	for (size_t off = 0; off < mixed.len; off += 777) {
		run_feed(&r, mixed.buf + off, mixed.len - off < 777 ? mixed.len - off : 777, 0);
		for (size_t i = 0; i < r.n; i++) {
			sane &= clean_text(r.crashes[i].title) &&
				!strchr(r.crashes[i].title, '\n') &&
				strlen(r.crashes[i].title) <= DETECT_TITLE_MAX &&
				clean_text(r.crashes[i].report) && bounded(r.crashes[i].report);
			crash_release(&r.crashes[i]);
		}
		crashes += r.n;
		r.n = 0;
	}
	run_finish(&r);
	crashes += r.n;
	tap_ok(crashes > 0 && sane,
	       "20000 shuffled lines and garbage: clean titles, bounded reports");
	run_release(&r);
	free(lines);
	strbuf_release(&all);
	strbuf_release(&mixed);
}

/* ---- the real guest recordings ---- */

static void test_real_logs(void)
{
	char *bad = data_path("linux-v1-bad-291.log");
	size_t want[16], nwant;
	struct run r;

	if (access(bad, R_OK) != 0) {
		tap_ok(1, "real guest logs # SKIP tests/data/linux-*.log not recorded");
		free(bad);
		return;
	}
	free(bad);
	/* the recording may be redone: where the crashes are comes from a plain search */
	nwant = grep_lines("linux-v1-bad-291.log", "] BUG: unable to handle page fault", want,
			   ARRAY_SIZE(want));
	run_log(&r, "linux-v1-bad-291.log", 4096);
	tap_ok(nwant >= 1, "sensor v1 + bad channel file 291: the recording has a page fault");
	if (tap_is_int((long long)r.n, (long long)nwant, "  ... one crash per boot")) {
		for (size_t i = 0; i < r.n; i++) {
			char *last = last_line(r.crashes[i].report);

			tap_is_str(r.crashes[i].title, PF_TITLE, "  ... the same title each boot");
			tap_is_int((long long)r.crashes[i].line, (long long)want[i],
				   "  ... at the BUG line");
			tap_like(last, "Rebooting in 1 seconds..",
				 "  ... the report runs to the reboot");
			tap_like(r.crashes[i].report, "RIP: 0010:refsensor_eval+",
				 "  ... and holds the RIP");
			free(last);
		}
	} else {
		diag_crashes(&r);
	}
	run_release(&r);

	run_log(&r, "linux-v1-good-291.log", 4096);
	tap_is_int((long long)r.n, 0, "sensor v1 + good channel file: no crash");
	run_release(&r);
	run_log(&r, "linux-v2-bad-291.log", 4096);
	tap_is_int((long long)r.n, 0, "sensor v2 (bounds check) + bad channel file: no crash");
	run_release(&r);
}

/* ---- bootproof scan ---- */

static void test_scan_file(void)
{
	struct bp_error err = {""};
	char *buf = NULL, *path;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int n;

	path = data_path("logs/multi-boot.log");
	n = scan_file(path, "multi-boot.log", out, &err);
	fflush(out);
	tap_is_int(n, 3, "scan_file counts the crashes");
	tap_is_str(buf,
		   "WARNING in refsensor_eval\tmulti-boot.log:26\n"
		   "BUG: unable to handle kernel paging request in refsensor_eval\tmulti-boot.log:93\n"
		   "unexpected reboot\tmulti-boot.log:177\n",
		   "scan_file prints TITLE<TAB>FILE:LINE per crash");
	free(path);
	fclose(out);
	free(buf);

	buf = NULL;
	out = open_memstream(&buf, &len);
	path = data_path("logs/benign.log");
	n = scan_file(path, "benign.log", out, &err);
	fflush(out);
	tap_ok(n == 0 && len == 0, "scan_file prints nothing for a clean log");
	free(path);
	fclose(out);
	free(buf);

	n = scan_file("/nonexistent/x.log", "x", stdout, &err);
	tap_is_int(n, -1, "scan_file fails on a missing file");
	tap_is_str(err.msg, "cannot open '/nonexistent/x.log': No such file or directory",
		   "  ... saying so");
}

static int run_scan(int argc, char **argv, struct strbuf *out, struct strbuf *errs)
{
	FILE *o = tmpfile(), *e = tmpfile();
	char chunk[4096];
	size_t n;
	int status = -1;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int rc;

		dup2(fileno(o), 1);
		dup2(fileno(e), 2);
		rc = cmd_scan(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		status = WEXITSTATUS(status);
	else
		status = -1;
	rewind(o);
	rewind(e);
	while ((n = fread(chunk, 1, sizeof(chunk), o)) > 0)
		strbuf_add(out, chunk, n);
	while ((n = fread(chunk, 1, sizeof(chunk), e)) > 0)
		strbuf_add(errs, chunk, n);
	fclose(o);
	fclose(e);
	return status;
}

static void test_cmd_scan(void)
{
	struct strbuf out = STRBUF_INIT, errs = STRBUF_INIT, want = STRBUF_INIT;
	char *multi = data_path("logs/multi-boot.log"), *benign = data_path("logs/benign.log");
	char *real = data_path("linux-v1-bad-291.log");
	char tmpl[] = "/tmp/t-detect-XXXXXX";
	int status;

	{
		char *argv[] = {"scan", multi, "/nonexistent/x.log", benign, NULL};

		status = run_scan(4, argv, &out, &errs);
		tap_is_int(status, 2, "bootproof scan: exit 2 when a file cannot be opened");
		strbuf_addf(&want,
			    "WARNING in refsensor_eval\t%s:26\n"
			    "BUG: unable to handle kernel paging request in refsensor_eval\t%s:93\n"
			    "unexpected reboot\t%s:177\n",
			    multi, multi, multi);
		tap_is_str(out.buf, want.buf, "  ... the other files are still scanned");
		tap_is_str(
		    errs.buf,
		    "bootproof scan: cannot open '/nonexistent/x.log': No such file or directory\n",
		    "  ... the error on stderr");
	}
	strbuf_reset(&out);
	strbuf_reset(&errs);
	{
		char *argv[] = {"scan", "--json", multi, NULL};

		status = run_scan(3, argv, &out, &errs);
		strbuf_reset(&want);
		strbuf_addf(&want,
			    "{\"file\":\"%s\",\"line\":93,\"end_line\":150,\"title\":\"BUG: unable to "
			    "handle kernel paging request in refsensor_eval\",\"kind\":\"page-fault\","
			    "\"function\":\"refsensor_eval\",\"module\":\"refsensor\",\"tainted_oot\":"
			    "true,\"taint\":\"GOE\",\"corrupted\":false}\n",
			    multi);
		tap_ok(status == 0 && count_lines(out.buf) == 3 + 1,
		       "bootproof scan --json: exit 0, one JSON line per crash");
		tap_like(out.buf, want.buf, "  ... title, kind, function, module, taint and line range");
		tap_like(out.buf, "\"title\":\"unexpected reboot\",\"kind\":\"reboot\",\"function\":null",
			 "  ... null where the title names no function");
	}
	strbuf_reset(&out);
	strbuf_reset(&errs);
	{
		char *argv[] = {"scan", benign, NULL};

		status = run_scan(2, argv, &out, &errs);
		tap_ok(status == 0 && out.len == 0 && errs.len == 0,
		       "bootproof scan of a clean log: exit 0, no output");
	}
	strbuf_reset(&out);
	strbuf_reset(&errs);
	{
		char *argv[] = {"scan", NULL};

		status = run_scan(1, argv, &out, &errs);
		tap_is_int(status, 2, "bootproof scan without files: exit 2");
		tap_like(errs.buf, "usage: bootproof scan [--json] [--kind linux|windows] FILE...", "  ... with usage on stderr");
	}
	strbuf_reset(&out);
	strbuf_reset(&errs);
	if (access(real, R_OK) == 0) {
		char *argv[] = {"scan", real, NULL};

		size_t lines[16],
		    n = grep_lines("linux-v1-bad-291.log", "] BUG: unable", lines, 16);

		status = run_scan(2, argv, &out, &errs);
		strbuf_reset(&want);
		for (size_t i = 0; i < n; i++)
			strbuf_addf(&want, "%s\t%s:%zu\n", PF_TITLE, real, lines[i]);
		tap_ok(status == 0, "bootproof scan of the real bad-291 log: exit 0 with crashes");
		tap_is_str(out.buf, want.buf, "  ... one line per boot");
	} else {
		tap_ok(1, "bootproof scan of the real bad-291 log # SKIP not recorded");
	}
	strbuf_reset(&out);
	strbuf_reset(&errs);
	{
		/* a file with a 1 MiB line before the crash: streamed, the line numbers right */
		struct strbuf sb = STRBUF_INIT;
		int fd = mkstemp(tmpl);

		for (size_t i = 0; i < 1024 * 1024; i++)
			strbuf_addch(&sb, 'A' + i % 26);
		strbuf_addch(&sb, '\n');
		load("logs/oops-page-fault.log", &sb);
		if (fd >= 0 && write(fd, sb.buf, sb.len) == (ssize_t)sb.len) {
			char *argv[] = {"scan", tmpl, NULL};

			status = run_scan(2, argv, &out, &errs);
			strbuf_reset(&want);
			strbuf_addf(&want, "%s\t%s:26\n", PF_TITLE, tmpl);
			tap_ok(status == 0, "bootproof scan of a file with a 1 MiB line: exit 0");
			tap_is_str(out.buf, want.buf, "  ... the crash at line 26");
		} else {
			tap_ok(0, "cannot write a temporary file");
		}
		if (fd >= 0) {
			close(fd);
			unlink(tmpl);
		}
		strbuf_release(&sb);
	}
	strbuf_release(&out);
	strbuf_release(&errs);
	strbuf_release(&want);
	free(multi);
	free(benign);
	free(real);
}

static const char *find_datadir(const char *argv0)
{
	static char buf[4096];
	const char *env = getenv("BP_TESTDATA");
	char *copy = xstrdup(argv0), *dir = dirname(copy);
	const char *cands[] = {"%s", "tests/data", "%s/../../tests/data", "%s/../../../tests/data"};
	const char *found = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cands) && !found; i++) {
		char probe[4200];

		if (i == 0 && !env)
			continue;
		snprintf(buf, sizeof(buf), cands[i], i == 0 ? env : dir);
		snprintf(probe, sizeof(probe), "%s/logs/benign.log", buf);
		if (access(probe, R_OK) == 0)
			found = buf;
	}
	free(copy);
	return found;
}

int main(int argc, char **argv)
{
	(void)argc;
	datadir = find_datadir(argv[0]);
	if (!datadir) {
		printf("Bail out! cannot find tests/data/logs (run from the project root or set "
		       "BP_TESTDATA)\n");
		return 1;
	}
	test_kinds();
	test_oops_report();
	test_other_boot();
	test_warning_completes();
	test_interleaved();
	test_ansi_cr();
	test_non_utf8();
	test_benign();
	test_big_line();
	test_no_end();
	test_multi_boot();
	test_chunking();
	test_titles();
	test_classes();
	test_clean_mentions();
	test_firmware_reboot();
	test_hidden_reports();
	test_limits();
	test_shuffled();
	test_real_logs();
	test_scan_file();
	test_cmd_scan();
	return tap_done();
}
