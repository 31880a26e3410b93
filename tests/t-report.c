/*
 * t-report - the report writers and the history on the fixture run
 * directories in tests/data/results (see its README): run-1 has clean,
 * crash, hang, infra and rollback boots and a hostile guest whose crash title
 * and excerpt carry markup, "]]>", '&', quotes and control characters; run-2
 * is the same suite a night later with one new crash signature and a
 * scenario whose verdict flipped; run-3-incomplete was interrupted.
 *
 * Each fixture is copied to a scratch directory first: rendering writes into
 * the run directory. The trend page is tested on a history of nine runs
 * derived from run-1 (two suites, hostile titles, a flaky scenario).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd-report.h"
#include "history.h"
#include "report-digest.h"
#include "escape.h"
#include "report-html.h"
#include "report-junit.h"
#include "report-trend.h"
#include "tap.h"
#include "trial.h"
#include "util.h"

static const char *datadir;
static char scratch[] = "/tmp/t-report.XXXXXX";

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
		snprintf(probe, sizeof(probe), "%s/results/run-1/results.json", buf);
		if (access(probe, R_OK) == 0)
			found = buf;
	}
	free(copy);
	return found;
}

/* ---- small helpers ------------------------------------------------------ */

static const char *copy_src, *copy_dst;

static int copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char *to = xasprintf("%s%s", copy_dst, path + strlen(copy_src));
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;

	(void)st;
	(void)ftw;
	if (type == FTW_D)
		ret = mkdir(to, 0755);
	else if (type == FTW_F)
		ret = read_file(path, &sb, NULL) < 0 || write_file_atomic(to, sb.buf, sb.len, NULL) < 0;
	strbuf_release(&sb);
	free(to);
	return ret;
}

/* Copy fixture NAME to the scratch directory; returns the copy's path (caller frees). */
static char *fixture(const char *name)
{
	char *src = xasprintf("%s/results/%s", datadir, name);
	char *dst = xasprintf("%s/%s", scratch, name);

	remove_tree(dst);
	copy_src = src;
	copy_dst = dst;
	if (nftw(src, copy_one, 16, FTW_PHYS) != 0)
		printf("Bail out! cannot copy '%s' to '%s'\n", src, dst);
	free(src);
	return dst;
}

static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct strbuf sb = STRBUF_INIT;

	if (read_file(path, &sb, NULL) < 0)
		strbuf_reset(&sb);
	free(path);
	return strbuf_detach(&sb);
}

/* tap_like() without printing a whole page on failure. */
static int like(const char *got, const char *needle, const char *name)
{
	int ok = tap_ok(got && strstr(got, needle), name);

	if (!ok)
		printf("#   expected to contain: '%s'\n#   in %zu bytes of output\n", needle,
		       got ? strlen(got) : 0);
	return ok;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int has_ctl(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return 1;
	return 0;
}

static char *escaped(const char *s, size_t len, int flags)
{
	struct strbuf sb = STRBUF_INIT;

	escape_markup(&sb, s, len, flags);
	return strbuf_detach(&sb);
}

#define ESC(s, flags) escaped((s), sizeof(s) - 1, (flags))

/* ---- escaping and signatures ------------------------------------------- */

#define LS "\xe2\x80\xa8"  /* U+2028 */
#define PS "\xe2\x80\xa9"  /* U+2029 */
#define NEL "\xc2\x85"      /* U+0085 */
#define FFFD "\xef\xbf\xbd"
/* The forgery of issue 9.3: a YAML 1.1 reader would read a clean boot here. */
#define FORGED "x" LS "outcome: clean" PS "title: \"nothing to see\"" NEL "# SKIP\n  ...\nok 99"

typedef void escape_fn_t(struct strbuf *sb, const char *s);

static char *esc_with(escape_fn_t *fn, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	fn(&sb, s);
	return strbuf_detach(&sb);
}

static void yaml_line(struct strbuf *sb, const char *s)
{
	escape_yaml_line(sb, s, strlen(s));
}

/* Every format's path keeps YAML, JSON and XML line breaks out of its output. */
static void test_escape_lines(void)
{
	char *s;

	s = esc_with(escape_tap_line, FORGED "\xef\xbf\xbe\x1b[2Jz\\");
	tap_is_str(s, "x outcome: clean title: \"nothing to see\" \\# SKIP   ... ok 99" FFFD "z\\\\",
		   "TAP line: breaks (\\n, U+0085, U+2028, U+2029) become spaces, '#' and '\\' escaped");
	free(s);
	s = esc_with(escape_yaml_quoted, FORGED "\x01\t\x7f");
	tap_is_str(s, "x" FFFD "outcome: clean" FFFD "title: \\\"nothing to see\\\"" FFFD
		      "# SKIP\\n  ...\\nok 99\\x01\\t\\x7f",
		   "YAML quoted: line separators U+FFFD, quotes and controls escaped");
	free(s);
	s = esc_with(yaml_line, FORGED);
	tap_is_str(s, "x" FFFD "outcome: clean" FFFD "title: \"nothing to see\"" FFFD "# SKIP" FFFD
		      "  ..." FFFD "ok 99",
		   "YAML block line: every break U+FFFD, so it stays one line");
	free(s);
	s = esc_with(escape_term, "a\x1b]0;t\x07" "b\x1b[31mc\xc2\x9b" "1m\td" LS "e\n");
	tap_is_str(s, "a?]0;t?bc?1m?d?e?", "terminal: ESC, BEL, C1 CSI, tab, breaks become '?'");
	free(s);
	{
		struct strbuf sb = STRBUF_INIT;

		escape_text(&sb, "ok\xff" LS "\xef\xbf\xbf", 9);
		tap_is_str(sb.buf, "ok" FFFD LS FFFD, "JSON text: UTF-8 repaired, U+FFFF replaced");
		strbuf_release(&sb);
	}
}

static void test_escape(void)
{
	char *s;

	s = ESC("<script>alert(1)</script> & \"q\" 'q' ]]>", 0);
	tap_is_str(s, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;q&#39; ]]&gt;",
		   "markup, quotes and ]]> become entities");
	free(s);
	s = ESC("a\x07" "b\x01" "c\x7f" "d\xc2\x85" "e", 0);
	tap_is_str(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d\xef\xbf\xbd" "e",
		   "C0, DEL and C1 controls become U+FFFD");
	free(s);
	s = ESC("bad \xff\xfe utf-8 \xe2\x82 end \xed\xa0\x80 sur \xc0\xaf over", 0);
	tap_is_str(s,
		   "bad \xef\xbf\xbd\xef\xbf\xbd utf-8 \xef\xbf\xbd\xef\xbf\xbd end "
		   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd sur \xef\xbf\xbd\xef\xbf\xbd over",
		   "invalid, truncated, surrogate and overlong UTF-8 bytes become U+FFFD");
	free(s);
	s = ESC("\xef\xbf\xbe \xef\xbf\xbf \xc3\xa9 \xe2\x9c\x94 \xf0\x9f\x92\xa5", 0);
	tap_is_str(s, "\xef\xbf\xbd \xef\xbf\xbd \xc3\xa9 \xe2\x9c\x94 \xf0\x9f\x92\xa5",
		   "U+FFFE/U+FFFF replaced, other characters kept");
	free(s);
	s = ESC("\x1b[1;31mred\x1b[0m plain \x1b" "x", 0);
	tap_is_str(s, "red plain \xef\xbf\xbdx", "ANSI CSI sequences dropped, a lone ESC replaced");
	free(s);
	s = ESC("l1\r\nl2\tt", 0);
	tap_is_str(s, "l1\nl2\tt", "text keeps newline and tab, drops CR");
	free(s);
	s = ESC("l1\nl2\tt", ESCAPE_ATTR);
	tap_is_str(s, "l1&#10;l2&#9;t", "attributes get newline and tab as references");
	free(s);
	s = ESC("nul\0after", 0);
	tap_is_str(s, "nul\xef\xbf\xbd" "after", "NUL inside the given length is replaced");
	free(s);
	s = ESC("a" LS "b" PS "c", 0);
	tap_is_str(s, "a&#x2028;b&#x2029;c", "markup: U+2028 and U+2029 as character references");
	free(s);
	test_escape_lines();
}

static void test_signature(void)
{
	char long_title[400], *s;

	s = report_signature("  BUG:   unable to handle\tpage fault in f  \n");
	tap_is_str(s, "BUG: unable to handle page fault in f", "signature: whitespace collapsed");
	free(s);
	s = report_signature(NULL);
	tap_is_str(s, "(untitled crash)", "signature of no title");
	free(s);
	s = report_signature(" \t ");
	tap_is_str(s, "(untitled crash)", "signature of a blank title");
	free(s);
	memset(long_title, 'a', sizeof(long_title));
	memcpy(long_title + 198, "\xe2\x9c\x94", 3); /* a 3-byte character across the limit */
	long_title[sizeof(long_title) - 1] = '\0';
	s = report_signature(long_title);
	tap_is_int((long long)strlen(s), 198, "signature cut at 200 bytes, before a split character");
	free(s);
}

/* ---- rendering ---------------------------------------------------------- */

static void test_render_run1(void)
{
	char *dir = fixture("run-1"), *html, *xml, *tap, *html2;
	struct bp_error err = {{0}};
	int ok = report_render(dir, &err);

	if (!tap_ok(ok == 0, "report_render on run-1"))
		tap_diag(err.msg);
	html = slurp(dir, "index.html");
	xml = slurp(dir, "junit.xml");
	tap = slurp(dir, "results.tap");

	/* index.html: summary */
	like(html, "<!DOCTYPE html>", "index.html written");
	like(html, "id=\"summary\"", "summary section");
	like(html, "id=\"sum-scenarios\">7<", "summary: 7 scenarios");
	like(html, "id=\"sum-pass\">4<", "summary: 4 passed");
	like(html, "id=\"sum-fail\">2<", "summary: 2 failed");
	like(html, "id=\"sum-infra\">1<", "summary: 1 infra");
	like(html, "id=\"sum-signatures\">2<", "summary: 2 distinct crash signatures");
	like(html, "id=\"sum-new\">—<", "summary: new signatures unknown without history");
	like(html, "id=\"sum-duration\">47.30 s<", "summary: time taken");
	like(html, "id=\"sum-host\">qual-runner-07<", "summary: host");
	like(html, "id=\"sum-accel\">tcg", "summary: accelerator");
	tap_ok(!strstr(html, "id=\"incomplete\""), "a complete run has no incomplete banner");

	/* timelines: one rect per boot, coloured by outcome, with a tooltip */
	tap_is_int(count(html, "<rect class=\"boot "), 17, "17 boot rects");
	tap_is_int(count(html, "<rect class=\"boot clean\""), 6, "6 clean rects");
	tap_is_int(count(html, "<rect class=\"boot crash\""), 9, "9 crash rects");
	tap_is_int(count(html, "<rect class=\"boot hang\""), 1, "1 hang rect");
	tap_is_int(count(html, "<rect class=\"boot infra\""), 1, "1 infra rect");
	tap_is_int(count(html, "<svg class=\"timeline\""), 7, "one timeline per scenario");
	tap_is_int(count(html, "</rect>"), 17, "every rect closes after its <title>");
	like(html, "fill=\"#c62828\"><title>boot 1 (step 1): crash, 2.52 s — BUG: unable to handle "
		       "page fault in refsensor_eval</title>",
		 "crash rect: red, tooltip with boot, outcome, time and title");
	/* one scale, 760 px for the longest scenario's 18.89 s: width proportional to duration */
	like(html, "<rect class=\"boot clean\" data-boot=\"1\" x=\"0.0\" y=\"12\" width=\"177.4\"",
	     "a 4.41 s boot is 177.4 px wide");
	like(html, "<rect class=\"boot hang\" data-boot=\"1\" x=\"0.0\" y=\"12\" width=\"322.7\"",
	     "an 8.02 s boot is 322.7 px wide");
	like(html, "<rect class=\"boot infra\" data-boot=\"1\" x=\"0.0\" y=\"12\" width=\"3.0\"",
	     "a 0.06 s boot gets the minimum width");
	tap_is_int(count(html, "class=\"mark rollback\""), 1, "rollback marker on the timeline");
	tap_is_int(count(html, "class=\"step-start\""), 4, "step boundaries marked");
	like(html, "id=\"s4\"", "scenarios have stable ids");
	like(html, "Recovery: recovered after 2 boots, no manual steps", "recovery shown");
	like(html, "<li>deleted /system/sensor/content/C-00000291*.sys", "manual step listed");

	/* crashes */
	like(html, "<h3 class=\"crash-title\">BUG: unable to handle page fault in refsensor_eval",
		 "crash title shown");
	like(html, "<p class=\"crash-boots\">on boot <a href=\"#s1-b1\">1</a>, "
		       "<a href=\"#s1-b2\">2</a> of 2",
		 "the boots a crash happened on");
	like(html, "<mark class=\"crash-line\">[    2.123572] RIP: 0010:refsensor_eval+0x73/0xf0",
		 "RIP line highlighted");
	like(html, "<mark class=\"crash-line\">[    2.121364] BUG: unable to handle page fault",
		 "first report line highlighted");
	tap_ok(!strstr(html, "<mark class=\"crash-line\">[    2.121744] #PF"),
	       "context lines are not highlighted");
	like(html, "<img class=\"screenshot\" src=\"bad-291-v1/boot-1.png\"",
		 "screenshot img, relative");
	tap_is_int(count(html, "<img "), 1, "one img (the only screenshot)");
	tap_is_int(count(html, "<details class=\"console\">"), 5,
		   "the console folded: per crash signature and scenario (4), hang (1); not the empty infra log");
	like(html, "<summary>serial console of boot 1 (",
	     "... the fold names the boot and its lines");
	like(html, "<pre class=\"excerpt console\">[    0.000000] Linux version",
	     "... and starts at the log's first line");
	like(html, "[    0.000000] Command line: console=ttyS0 oops=panic panic=1\n",
	     "... with the kernel's command line, CR dropped");
	like(html, "&lt;script&gt;alert(&#39;log&#39;)&lt;/script&gt;",
	     "... the hostile console escaped");

	/* hostile guest text renders inert */
	tap_ok(!strcasestr(html, "<script"), "no <script in index.html");
	tap_ok(!strcasestr(html, "<img src=x"), "no injected img element");
	tap_ok(!strstr(html, "onerror=alert(3)>"), "no injected attribute");
	like(html, "BUG: &lt;script&gt;alert(1)&lt;/script&gt; &quot;dq&quot; &#39;sq&#39; &amp; "
		       "]]&gt; \xef\xbf\xbd" "bell in evil_func",
		 "hostile title escaped, its control character replaced");
	like(html, "&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;", "hostile excerpt escaped");
	like(html, "entity &amp;amp; &amp;lt;b&amp;gt; red \xef\xbf\xbd",
		 "entities in guest text are shown, not interpreted; ANSI colour dropped");
	tap_ok(!has_ctl(html), "no control characters in index.html");
	tap_ok(!strstr(html, "src=\"http") && !strstr(html, "href=\"http") &&
		       !strstr(html, "url(") && !strstr(html, "@import"),
	       "nothing loaded from the network");
	like(html, "Content-Security-Policy\" content=\"default-src 'none'",
		 "a CSP forbids scripts even if escaping failed");

	/* junit.xml */
	like(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", "junit.xml written");
	tap_is_int(count(xml, "<testsuite "), 7, "one testsuite per scenario");
	tap_is_int(count(xml, "<testcase "), 21, "a testcase per boot, per planned boot, per check");
	like(xml, "<testsuites name=\"bootproof run 20260110-020000-4242\" tests=\"21\" "
		      "failures=\"2\" errors=\"1\"",
		 "totals");
	tap_is_int(count(xml, "<failure "), 2, "two failures (hostile crash, hang)");
	tap_is_int(count(xml, "<error type=\"infra\""), 1, "infra boot is an error");
	tap_is_int(count(xml, "<skipped message=\"not run: the trial stopped at an infrastructure"),
		   2, "boots an infra failure left unrun are skipped");
	like(xml, "<failure type=\"crash\" message=\"BUG: &lt;script&gt;alert(1)&lt;/script&gt; "
		      "&quot;dq&quot; &#39;sq&#39; &amp; ]]&gt; \xef\xbf\xbd" "bell in evil_func\">",
		 "crash title in failure message, escaped");
	like(xml, "<failure type=\"hang\" message=\"no boot-complete marker within 8 s\">",
		 "hang is a failure with its reason");
	tap_ok(!strstr(xml, "]]>"), "no raw ]]> in junit.xml");
	tap_ok(!strcasestr(xml, "<script"), "no raw <script in junit.xml");
	tap_ok(!has_ctl(xml), "no control characters XML 1.0 forbids");
	like(xml, "&lt;script&gt;alert(&#39;log&#39;)&lt;/script&gt; ]]&gt; &amp; "
		      "\xef\xbf\xbd\xef\xbf\xbdred \xef\xbf\xbd\xef\xbf\xbd invalid utf-8",
		 "serial log in system-out: escaped, controls and bad bytes replaced, ANSI dropped");
	like(xml, "<system-out>recovery: recovered after 2 boots, no manual steps",
		 "recovery in the suite's system-out");
	like(xml, "<property name=\"verdict\" value=\"infra\"/>", "verdict as a property");

	/* results.tap was missing: rendered from the JSON */
	like(tap, "TAP version 13\n", "results.tap written when missing");
	like(tap, "not ok 6 - hostile-guest: boot 1 crash: BUG: <script>", "TAP point per boot");
	like(tap, "\nok 7 - rollback-291: boot 1 crash", "TAP: expected crash is ok");
	like(tap, "\nok 11 - rollback-291: boot 1 crash title contains", "TAP: checks after boots");
	like(tap, "  expected: any\n  outcome: crash\n", "TAP: recovery boots expect any");
	like(tap, "\n1..19\n", "TAP plan: 17 boots and 2 checks");
	tap_ok(!has_ctl(tap), "no control characters in results.tap");

	/* idempotent, and results.tap is only written when missing */
	{
		char *p = xasprintf("%s/results.tap", dir);

		write_file_atomic(p, "sentinel\n", 9, NULL);
		free(p);
	}
	report_render(dir, &err);
	html2 = slurp(dir, "index.html");
	tap_is_int((long long)strcmp(html, html2), 0, "rendering again gives the same page");
	free(tap);
	tap = slurp(dir, "results.tap");
	tap_is_str(tap, "sentinel\n", "an existing results.tap is left alone after a run");
	free(tap);
	tap_ok(report_render_ctx(dir, NULL, REPORT_TAP, &err) == 0, "render results.tap alone");
	tap = slurp(dir, "results.tap");
	like(tap, "TAP version 13\n", "... asked for, it replaces the run's own stream");
	free(html2);
	free(html);
	free(xml);
	free(tap);
	free(dir);
}

static void test_log_read(void)
{
	char *dir = fixture("run-1"), *xml, *log = NULL, *link;
	struct strbuf big = STRBUF_INIT, sb = STRBUF_INIT;
	struct bp_error err;
	const char *start, *end, *cut;

	for (int i = 0; i < 4000; i++)
		strbuf_addf(&big, "[ %8d.000000] filler line %d of a long boot\n", i, i);
	strbuf_adds(&big, "LAST LINE\n");
	log = xasprintf("%s/good-291-v1/boot-1.log", dir);
	write_file_atomic(log, big.buf, big.len, NULL);

	tap_ok(report_log_read(dir, "good-291-v1/boot-1.log", 100, 200, &sb) == 0,
	       "report_log_read of a long log");
	like(sb.buf, "[        0.000000] filler line 0 of a long boot\n[        1.000000] filler line 1",
	     "... keeps its first whole lines");
	like(sb.buf, "line 1 of a long boot\n[... ", "... the head ends at a line boundary");
	cut = strstr(sb.buf, "[... ");
	tap_ok(cut && !strncmp(strchr(cut, '\n') + 1, "[  ", 3),
	       "... the tail starts at a line boundary");
	{
		char want[64];
		size_t kept = sb.len - (size_t)(strchr(cut, '\n') + 1 - cut);

		snprintf(want, sizeof(want), "[... %zu bytes of the log left out ...]\n",
			 big.len - kept);
		like(sb.buf, want, "... says how many bytes it left out");
	}
	tap_ok(sb.len >= 10 && !memcmp(sb.buf + sb.len - 10, "LAST LINE\n", 10),
	       "... keeps the log's end");
	strbuf_reset(&sb);
	tap_ok(report_log_read(dir, "bad-291-v1/boot-1.log", REPORT_LOG_HEAD, REPORT_LOG_TAIL,
			       &sb) == 0 && sb.len == 28291 && !strstr(sb.buf, "left out"),
	       "a log within the bounds is read whole");
	strbuf_reset(&sb);
	tap_ok(report_log_read(dir, "../run-1/bad-291-v1/boot-1.log", 100, 100, &sb) < 0 &&
		       report_log_read(dir, "/etc/passwd", 100, 100, &sb) < 0 && !sb.len,
	       "paths outside the run directory are refused");
	link = xasprintf("%s/good-291-v1/link.log", dir);
	tap_ok(symlink("/etc/passwd", link) == 0 &&
		       report_log_read(dir, "good-291-v1/link.log", 100, 100, &sb) < 0 && !sb.len,
	       "a symlinked log is not followed");
	tap_ok(report_log_read(dir, "good-291-v1/none.log", 100, 100, &sb) < 0,
	       "a missing log: -1");

	report_render(dir, &err);
	xml = slurp(dir, "junit.xml");
	start = strstr(xml, "<system-out>[        0.000000] filler line 0");
	end = start ? strstr(start, "</system-out>") : NULL;
	tap_ok(start && end, "junit: a long log's system-out starts with its first line");
	like(start, "bytes of the log left out ...]\n[ ", "... is cut in the middle, and says so");
	tap_ok(start && end && end - start <= JUNIT_LOG_HEAD + JUNIT_LOG_TAIL + 100,
	       "... bounded by 64 KiB");
	tap_ok(start && end && !memcmp(end - 10, "LAST LINE\n", 10), "... keeps the log's end");
	strbuf_release(&big);
	strbuf_release(&sb);
	free(link);
	free(log);
	free(xml);
	free(dir);
}

static void test_incomplete_render(void)
{
	char *dir = fixture("run-3-incomplete"), *html, *xml, *tap;
	struct bp_error err;

	tap_ok(report_render(dir, &err) == 0, "report_render on an incomplete run");
	html = slurp(dir, "index.html");
	xml = slurp(dir, "junit.xml");
	tap = slurp(dir, "results.tap");
	like(html, "id=\"incomplete\"><b>Incomplete run</b>: interrupted by signal 2",
		 "incomplete banner with the reason");
	like(html, "id=\"sum-unfinished\">2<", "unfinished scenarios counted");
	like(html, "<rect class=\"boot none\"", "a boot cut off is drawn as not judged");
	like(html, "data-verdict=\"unfinished\"", "unfinished scenario marked");
	like(xml, "<skipped message=\"not judged: the run was interrupted\"/>",
		 "junit: the cut-off boot is skipped");
	tap_is_int(count(xml, "<skipped message=\"not run: the run was interrupted\"/>"), 3,
		   "junit: planned boots never run are skipped");
	like(tap, "# incomplete run: interrupted by signal 2\n1..2\n",
		 "TAP: incomplete, only judged boots");
	free(html);
	free(xml);
	free(tap);
	free(dir);
}

/* A staged run stopped at its canary (regenerated from a real run): skips everywhere. */
static void test_rings_render(void)
{
	char *dir = fixture("run-5-rings"), *html, *xml, *tap;
	const char *reason = "ring 0 (canary) failed: canary-291 crashed: BUG: unable to handle "
			     "kernel paging request in refsensor_eval";
	char *want;
	struct bp_error err;

	tap_ok(report_render(dir, &err) == 0, "rings: report_render");
	html = slurp(dir, "index.html");
	xml = slurp(dir, "junit.xml");
	tap = slurp(dir, "results.tap");
	want = xasprintf("ok 2 - soak-291 # SKIP %s\n", reason);
	like(tap, want, "rings: TAP: a skipped trial is a passing point with SKIP and the reason");
	free(want);
	tap_is_int(count(tap, " # SKIP ring 0 (canary) failed: "), 4, "rings: TAP: four SKIP points");
	like(tap, "not ok 1 - canary-291: boot 1 crash", "rings: TAP: the failure itself");
	want = xasprintf("<skipped message=\"%s\"/>", reason);
	tap_is_int(count(xml, want), 4, "rings: junit: <skipped message=REASON> per skipped trial");
	free(want);
	like(xml, "<property name=\"ring\" value=\"wide\"/>", "rings: junit: the ring as a property");
	like(xml, "<property name=\"verdict\" value=\"skipped\"/>", "rings: junit: verdict skipped");
	tap_is_int(count(html, "data-verdict=\"skipped\""), 4, "rings: page: four skipped scenarios");
	like(html, "id=\"sum-skipped\">4<", "rings: page: skipped counted in the summary");
	like(html, "<tr class=\"ring failed stop\" id=\"ring-0\">", "rings: page: where the run stopped");
	like(html, "<tr class=\"ring skipped\" id=\"ring-1\">", "rings: page: the later ring skipped");
	like(html, "<b>Skipped</b>, never started: ring 0 (canary) failed:", "rings: page: why");
	like(html, "ring <code class=\"ring\">canary</code>", "rings: page: each trial's ring");
	free(html);
	free(xml);
	free(tap);
	free(dir);
}

/* A soak's samples as a line on the page (a real run's results.json). */
static void test_soak_render(void)
{
	char *dir = fixture("run-6-soak"), *html;
	struct bp_error err;
	const char *p, *end;
	int points = 0;

	tap_ok(report_render(dir, &err) == 0, "soak: report_render");
	html = slurp(dir, "index.html");
	like(html, "<h3>Soak: 20 of 20 pushes in ", "soak: page: the soak's figures");
	like(html, "Soak: 3 of 3 boots in ", "soak: page: a boot soak");
	like(html, "<svg class=\"trend\"", "soak: page: an inline SVG trend");
	p = strstr(html, "<polyline points=\"");
	end = p ? strchr(p + 18, '"') : NULL;
	for (const char *c = p ? p + 18 : NULL; c && c < end; c++)
		points += *c == ',';
	tap_is_int(points, 20, "soak: page: one point per push on the first line");
	like(html, "(-48 KiB over 20 samples)", "soak: page: the change over the soak");
	free(html);
	free(dir);
}

static void test_hostile_paths(void)
{
	json_t *root = json_pack(
		"{s:s, s:i, s:s, s:b, s:[{s:s, s:s, s:s, s:s, s:i, s:s, s:[{s:i, s:s, s:s, s:s, s:s}], "
		"s:[]}]}",
		"schema", RESULTS_SCHEMA_NAME, "schema_version", 1, "run_id", "1-1-1", "complete", 1,
		"scenarios", "name", "x", "expect", "clean", "image", "i", "sensor", "s",
		"boots_planned", 1, "verdict", "fail", "boots", "n", 1, "outcome", "crash", "title",
		"t", "log", "../../../etc/passwd", "screenshot", "javascript:alert(1)\" onload=\"x",
		"checks");
	struct report_context ctx = {0};
	struct strbuf html = STRBUF_INIT, xml = STRBUF_INIT;

	report_html(root, &ctx, &html);
	like(html.buf, "<img class=\"screenshot\" src=\"javascript%3Aalert%281%29%22%20onload%3D%22x\"",
		 "a screenshot path cannot be a scheme or break out of src");
	tap_ok(!strstr(html.buf, "href=\"../../"), "a log path outside the run is no link");
	like(html.buf, "<code>../../../etc/passwd</code>", "... it is shown as text");
	report_junit(root, datadir, &xml);
	tap_ok(!strstr(xml.buf, "<system-out>"), "junit reads no log outside the run directory");
	strbuf_release(&html);
	strbuf_release(&xml);
	json_decref(root);
}

static void test_load_errors(void)
{
	char *dir = xasprintf("%s/bad", scratch), *p = xasprintf("%s/results.json", dir);
	struct bp_error err;
	json_t *root;

	mkdir_p(dir, NULL);
	tap_ok(report_load(dir, &root, &err) < 0, "no results.json: error");
	like(err.msg, "cannot read '", "... saying it cannot read it");
	{
		const char *v3 = "{\"schema\": \"bootproof-results\", \"schema_version\": 3}";

		write_file_atomic(p, v3, strlen(v3), NULL);
	}
	tap_ok(report_load(dir, &root, &err) < 0, "a newer schema_version is refused");
	like(err.msg, "unsupported schema_version 3", "... by name");
	write_file_atomic(p, "{\"schema\": \"other\"}", 19, NULL);
	tap_ok(report_load(dir, &root, &err) < 0 && strstr(err.msg, "not a bootproof results file"),
	       "another JSON file is refused");
	write_file_atomic(p, "{\"schema\": ", 11, NULL);
	tap_ok(report_load(dir, &root, &err) < 0 && strstr(err.msg, "results.json:1:"),
	       "a torn file is refused with its position");
	tap_ok(report_render(dir, &err) < 0, "report_render fails without a valid results.json");
	free(p);
	free(dir);
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The test points of a TAP stream without their numbers ("ok - DESC",
 * "not ok - DESC"), sorted: trials run in parallel, so the live stream has
 * them in the order they ended, the re-rendered one in suite order.
 */
static char *points_of(const char *tap)
{
	struct strbuf sb = STRBUF_INIT;
	char *lines[256];
	size_t nr = 0;

	for (const char *p = tap; p && *p && nr < ARRAY_SIZE(lines);) {
		size_t n = strcspn(p, "\n");
		int not = !strncmp(p, "not ok ", 7);

		if (not || !strncmp(p, "ok ", 3)) {
			const char *desc = strstr(p, " - ");

			lines[nr++] = xasprintf("%s%.*s", not ? "not ok" : "ok",
						(int)(p + n - desc), desc);
		}
		p += n + (p[n] == '\n');
	}
	qsort(lines, nr, sizeof(*lines), cmp_lines);
	for (size_t i = 0; i < nr; i++) {
		strbuf_adds(&sb, lines[i]);
		strbuf_addch(&sb, '\n');
		free(lines[i]);
	}
	return strbuf_detach(&sb);
}

/*
 * One verdict (issue 10.1), on a real run (regen.sh): a power_off step's
 * boot and an expected crash pass in the live stream, and so in the
 * re-rendered TAP, in junit.xml and on the page.
 */
static void test_one_verdict(void)
{
	char *dir = fixture("run-4-power-off"), *live = slurp(dir, "results.tap");
	char *live_points = points_of(live), *tap, *xml, *html, *points;
	struct bp_error err = {{0}};

	if (!tap_ok(report_render_ctx(dir, NULL, REPORT_ALL, &err) == 0, "report_render on run-4"))
		tap_diag(err.msg);
	tap = slurp(dir, "results.tap");
	xml = slurp(dir, "junit.xml");
	html = slurp(dir, "index.html");
	points = points_of(tap);
	like(live_points, "ok - cut: boot 1 infra: powered off by the harness at 'Linux version'",
	     "live TAP: the powered-off boot is ok");
	tap_is_int(count(live_points, "not ok"), 0, "live TAP: every point ok");
	tap_is_str(points, live_points, "re-rendered TAP: the live stream's points, verdicts included");
	tap_is_int(count(xml, "<error") + count(xml, "<failure"), 0, "junit.xml: no error, no failure");
	tap_is_int(count(html, " unexpected\""), 0, "index.html: no boot marked unexpected");
	tap_is_int(count(html, "data-verdict=\"pass\""), 2, "index.html: both scenarios passed");
	free(points);
	free(html);
	free(xml);
	free(tap);
	free(live_points);
	free(live);
	free(dir);
}

/* ---- tampered results.json --------------------------------------------- */

/* The value at PATH ("scenarios/0/boots/1"): its parent object or array and its last key. */
static json_t *parent_of(json_t *root, const char *path, char *last, size_t size)
{
	char *copy = xstrdup(path), *save = NULL, *tok = strtok_r(copy, "/", &save), *next;
	json_t *cur = root;

	while (tok && (next = strtok_r(NULL, "/", &save))) {
		cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
					 : json_object_get(cur, tok);
		tok = next;
	}
	snprintf(last, size, "%s", tok ? tok : "");
	free(copy);
	return cur;
}

/* A repro run's record: one entry, one other crash. */
#define REPRO_OK                                                                                 \
	"{\"field_report\": \"f.log\", \"signature\": \"BUG: x in f\", \"precision\": 0.1, "           \
	"\"max_trials\": 10, \"entries\": [{\"scenario\": \"a/v1\", \"trials\": 3, "                \
	"\"reproduced\": 1, \"other_crashes\": 1, \"clean\": 1, \"others\": [{\"title\": "           \
	"\"<b>oops</b>\", \"count\": 1}], \"rate\": 0.33, \"ci_low\": 0.06, \"ci_high\": 0.79}]}"
/* A results.json "bisect" object: its outcome, minimal[0].instances and extra members. */
#define BISECT_JSON(outcome, instances, extra) \
	"{\"scenario\": \"s\", \"content\": \"c\", \"signature\": \"BUG: x\", \"title_given\": false, " \
	"\"outcome\": \"" outcome "\", \"p\": 0.5, \"k\": 7, \"full\": {\"trials\": 6, \"crashes\": 3, \"rate\": 0.5}, " \
	"\"minimal\": [{\"as\": \"a.sys\", \"path\": \"/r/a.sys\", \"instances\": [" instances "], \"of_instances\": 3}], " \
	"\"minimal_rate\": {\"trials\": 6, \"crashes\": 2, \"rate\": 0.33}, \"rounds\": 4, \"trials\": 30, " \
	"\"wall_s\": 100.5, \"versions\": [{\"content\": \"v0\", \"verdict\": \"clean\", \"trials\": 7, " \
	"\"crashes\": 0, \"rate\": 0}], \"last_good\": \"v0\", \"first_bad\": \"c\"" extra "}"

static const struct tamper {
	const char *path, *value; /* value: JSON text; NULL deletes the field */
	int loads;
} tampers[] = {
#define RING_OK_FIELDS                                                                              \
	"{\"index\": 0, \"name\": \"canary\", \"reason\": null, \"trials\": 2, \"passed\": 2, "          \
	"\"failed\": 0, \"skipped\": 0"
#define RING_OK "[" RING_OK_FIELDS ", \"state\": \"passed\"}]"
#define SOAK(unit, done)                                                                           \
	"{\"step\": 1, \"unit\": " unit ", \"planned\": 20, \"done\": " done                        \
	", \"duration_limit_s\": null, \"seconds\": 40.0, \"stopped\": \"count\"}"
#define SAMPLE(avail)                                                                              \
	"{\"n\": 1, \"t_s\": 9.5, \"mem_available_kib\": " avail ", \"mem_free_kib\": 1, "          \
	"\"slab_kib\": null, \"module_bytes\": 16384}"
	{"run_id", "\"20260110-020000-4242\"", 1},
	{"run_id", "\"20260110-020000-4242\\nBail out! run_id\"", 0},
	{"accelerator", "\"tcg\\nBail out!\"", 0},
	{"accelerator", "null", 1},
	{"scenarios/0/boots/0/outcome", "\"clean\\nBail out! outcome\"", 0},
	{"scenarios/0/boots/0/outcome", "null", 1},
	{"scenarios/0/boots/0/expect", "\"any\\n# SKIP\"", 0},
	{"scenarios/0/boots/0/expect", "\"any\"", 1},
	{"scenarios/0/boots/0/ok", NULL, 0},
	{"scenarios/0/boots/0/ok", "\"yes\"", 0},
	{"scenarios/0/boots/0/n", "0", 0},
	{"scenarios/0/boots/0/n", "2.0", 1},
	{"scenarios/0/boots/0/n", "1.5", 0},
	{"scenarios/0/boots/0/crash_line", "-1", 0},
	{"scenarios/0/boots/0/duration_s", "\"1\"", 0},
	{"scenarios/0/boots/0/title", "\"x\\u2028outcome: clean\"", 1},
	{"scenarios/0/boots/0/extra", "1", 0},
	{"scenarios/0/verdict", "\"maybe\"", 0},
	{"scenarios/0/image_sha256", "\"ABC\"", 0},
	{"scenarios/0/image_sha256", NULL, 1},
	{"scenarios/0/checks", "[{\"name\": \"c\", \"ok\": 1, \"diag\": null}]", 0},
	{"scenarios/0/recovery", "{}", 0},
	{"summary/pass", NULL, 0},
	{"started", "\"2026-01-10T02:00:00Z\\n\"", 0},
	{"incomplete_reason", "\"killed\"", 1},
	{"scenarios", "{}", 0},
	{"seed", "42", 1},
	{"seed", "-1", 0},
	{"scenarios/0/host", "\"qemu+tcp://10.0.0.5/system\"", 1},
	{"scenarios/0/host", "null", 1},
	{"scenarios/0/host", "5", 0},
	{"scenarios/0/attempts", "[{\"host\": \"qemu:///system\", \"reason\": \"keepalive\"}]", 1},
	{"scenarios/0/attempts", "[{\"host\": \"qemu:///system\"}]", 0},
	{"scenarios/0/attempts", "[{\"host\": null, \"reason\": \"x\"}]", 0},
	{"scenarios/0/attempts", "{}", 0},
	{"scenarios/0/race", "{\"agent_delay_ms\": null, \"sensor_delay_ms\": 17}", 1},
	{"scenarios/0/race", "{\"sensor_delay_ms\": 17}", 0},
	{"repro", REPRO_OK, 1},
	{"repro", "{\"field_report\": \"f\"}", 0},
	{"repro", "{\"field_report\": \"f\", \"signature\": \"s\", \"precision\": 0.1, "
		  "\"max_trials\": 0, \"entries\": []}", 0},
	{"bisect", BISECT_JSON("narrowed", "2", ""), 1},
	{"bisect", BISECT_JSON("narrowed", "\"2\"", ""), 0},
	{"bisect", BISECT_JSON("guessed", "2", ""), 0},
	{"bisect", BISECT_JSON("narrowed", "2", ", \"extra\": 1"), 0},
	{"bisect", "null", 0},
	/* staged rings and soaks */
	{"scenarios/0/skipped", "\"ring 0 (canary) failed: x crashed: T\"", 1},
	{"scenarios/0/skipped", "3", 0},
	{"scenarios/0/ring", "\"canary\"", 1},
	{"scenarios/0/ring", "[]", 0},
	{"summary/skipped", "2", 1},
	{"summary/skipped", "-1", 0},
	{"rings", RING_OK, 1},
	{"rings", "[" RING_OK_FIELDS ", \"state\": \"exploded\"}]", 0},
	{"rings", "[{\"index\": 0, \"name\": \"c\", \"state\": \"passed\"}]", 0},
	{"rings", "{}", 0},
	{"scenarios/0/soak", "null", 1},
	{"scenarios/0/soak", SOAK("\"push\"", "20"), 1},
	{"scenarios/0/soak", SOAK("\"forever\"", "20"), 0},
	{"scenarios/0/soak", SOAK("\"boot\"", "-1"), 0},
	{"scenarios/0/boots/0/pushes", "20", 1},
	{"scenarios/0/boots/0/pushes", "-1", 0},
	{"scenarios/0/boots/0/samples", "[" SAMPLE("168312") "]", 1},
	{"scenarios/0/boots/0/samples", "[" SAMPLE("null") "]", 1},
	{"scenarios/0/boots/0/samples", "[" SAMPLE("-5") "]", 0},
	{"scenarios/0/boots/0/samples", "[" SAMPLE("\"168312\"") "]", 0},
	{"scenarios/0/boots/0/samples", "[{\"n\": 1}]", 0},
#define SOURCE(src, code)                                                                          \
	"[{\"source\": " src ", \"title\": null, \"code\": " code ", \"parameters\": [], "        \
	"\"driver\": null, \"file\": null, \"note\": null}]"
	{"scenarios/0/boots/0/sources", SOURCE("\"dump\"", "\"0xD1\""), 1},
	{"scenarios/0/boots/0/sources", SOURCE("\"dump\"", "null"), 1},
	{"scenarios/0/boots/0/sources", SOURCE("\"dmesg\"", "null"), 0},
	{"scenarios/0/boots/0/sources", SOURCE("\"dump\"", "\"0xd1\\nBail out!\""), 0},
	{"scenarios/0/boots/0/sources", SOURCE("\"dump\"", "209"), 0},
	{"scenarios/0/boots/0/sources_disagree", "\"sources disagree: ...\"", 1},
	{"scenarios/0/boots/0/sources_disagree", "3", 0},
};

/* python3-jsonschema's verdict on each file, one "0" (valid) or "1" a line; NULL without it. */
static char *jsonschema_verdicts(const char *dir, size_t n)
{
	char *cmd = xasprintf(
		"/usr/bin/python3 -c 'import json, sys, jsonschema\n"
		"s = json.load(open(sys.argv[1]))\n"
		"v = jsonschema.Draft202012Validator(s)\n"
		"for i in range(int(sys.argv[3])):\n"
		"    print(0 if v.is_valid(json.load(open(\"%%s/%%d/results.json\" %% (sys.argv[2], i)))) else 1)\n"
		"' '%s/../../docs/results-schema.json' '%s' %zu 2>/dev/null",
		datadir, dir, n);
	FILE *f = popen(cmd, "r");
	struct strbuf sb = STRBUF_INIT;
	char line[16];

	free(cmd);
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		strbuf_adds(&sb, line);
	if (pclose(f) != 0 || sb.len != 2 * n) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

static void test_tampered(void)
{
	char *src = xasprintf("%s/results/run-1/results.json", datadir), *dir = xasprintf("%s/tamper", scratch);
	size_t n = ARRAY_SIZE(tampers);
	struct strbuf ours = STRBUF_INIT;
	char *theirs;

	for (size_t i = 0; i < n; i++) {
		json_t *root = json_load_file(src, 0, NULL), *parent, *loaded;
		char key[64], *d = xasprintf("%s/%zu", dir, i), *p = xasprintf("%s/results.json", d);
		char *name = xasprintf("tampered %s = %s: %s", tampers[i].path,
				       tampers[i].value ? tampers[i].value : "(removed)",
				       tampers[i].loads ? "loads" : "refused");
		struct bp_error err = {{0}};
		int got;

		parent = parent_of(root, tampers[i].path, key, sizeof(key));
		if (!tampers[i].value)
			json_object_del(parent, key);
		else
			json_object_set_new(parent, key, json_loads(tampers[i].value, JSON_DECODE_ANY, NULL));
		mkdir_p(d, NULL);
		json_dump_file(root, p, JSON_INDENT(1));
		got = report_load(d, &loaded, &err) == 0;
		if (!tap_ok(got == tampers[i].loads, name))
			tap_diag(err.msg);
		strbuf_adds(&ours, got ? "0\n" : "1\n");
		if (!got && !tampers[i].loads)
			tap_ok(strstr(err.msg, "results.json': /") != NULL, "... the error names the field");
		json_decref(loaded);
		json_decref(root);
		free(name);
		free(p);
		free(d);
	}
	for (size_t i = 0; i < n; i++) {
		char *d = xasprintf("%s/%zu", dir, i), *html;
		struct bp_error err = {{0}};

		if (!tampers[i].value || strcmp(tampers[i].value, REPRO_OK)) {
			free(d);
			continue;
		}
		if (!tap_ok(report_render_ctx(d, NULL, REPORT_HTML, &err) == 0, "repro: the page renders"))
			tap_diag(err.msg);
		html = slurp(d, "index.html");
		like(html, "<section class=\"card\" id=\"repro\">", "repro: the page's section");
		like(html, "<td><code>a/v1</code></td><td>1/3</td><td>33 %</td><td>6&ndash;79 %</td>",
		     "repro: the entry's counts, rate and interval");
		like(html, "1 &times; <code>&lt;b&gt;oops&lt;/b&gt;</code>",
		     "repro: another crash's title, escaped");
		free(html);
		free(d);
	}
	theirs = jsonschema_verdicts(dir, n);
	if (theirs)
		tap_is_str(ours.buf, theirs, "python3-jsonschema and report_load() agree on every file");
	else
		tap_ok(1, "# SKIP python3-jsonschema not available");
	{
		char *d1 = xasprintf("%s/1", dir);
		char *argv[] = {"report", "--format", "tap", d1, NULL};

		tap_is_int(cmd_report(4, argv), 3, "bootproof report on a tampered file: exit 3");
		free(d1);
	}
	free(theirs);
	strbuf_release(&ours);
	free(src);
	free(dir);
}

/* ---- digests ----------------------------------------------------------- */

static char *sha_of(const void *data, size_t len, size_t chunk)
{
	struct sha256 c;
	unsigned char d[32];
	char hex[SHA256_HEX_LEN + 1];

	sha256_init(&c);
	for (size_t off = 0; off < len; off += chunk)
		sha256_update(&c, (const char *)data + off, len - off < chunk ? len - off : chunk);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	return xstrdup(hex);
}

static void put(const char *path, const char *text)
{
	write_file_atomic(path, text, strlen(text), NULL);
}

static void test_digest(void)
{
	static const char abc56[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = xmalloc(1000000), *s;
	char *dir = xasprintf("%s/digest", scratch);
	char *f[6];
	char h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1], h3[SHA256_HEX_LEN + 1];
	struct image im = {0};
	struct sensor sn = {0};
	struct content_file cf[2];
	struct content_set cs = {0};
	struct scenario sc = {0};

	s = sha_of("", 0, 1);
	tap_is_str(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		   "sha256 of nothing");
	free(s);
	s = sha_of("abc", 3, 3);
	tap_is_str(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		   "sha256 of 'abc'");
	free(s);
	s = sha_of(abc56, 56, 7);
	tap_is_str(s, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		   "sha256 of 56 bytes (padding spills into a second block)");
	free(s);
	memset(million, 'a', 1000000);
	s = sha_of(million, 1000000, 4093);
	tap_is_str(s, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		   "sha256 of a million 'a', in odd chunks");
	free(s);
	free(million);

	mkdir_p(dir, NULL);
	for (int i = 0; i < 6; i++) {
		f[i] = xasprintf("%s/f%d", dir, i);
		put(f[i], "data");
	}
	im = (struct image){.kernel = f[0], .initrd = f[1], .disk = f[2], .append = "console=ttyS0",
			    .marker = "up", .memory_mib = 256};
	sn = (struct sensor){.module = f[3]};
	cf[0] = (struct content_file){f[4], "C-1.sys"};
	cf[1] = (struct content_file){f[5], "C-2.sys"};
	cs = (struct content_set){.files = cf, .nr_files = 2};
	sc = (struct scenario){.image = &im, .sensor = &sn, .content = &cs};

	tap_ok(report_digest_image(&sc, h1) == 0 && strlen(h1) == 64, "image digest");
	report_digest_image(&sc, h2);
	tap_is_str(h2, h1, "... the same again (cached)");
	sc.append = "quiet";
	report_digest_image(&sc, h2);
	tap_ok(strcmp(h1, h2) != 0, "... changes with the scenario's command line");
	sc.append = NULL;
	put(f[2], "other disk");
	report_digest_image(&sc, h2);
	tap_ok(strcmp(h1, h2) != 0, "... changes with a file's bytes");

	tap_ok(report_digest_sensor(&sn, h1) == 0, "sensor digest");
	sn.agent = f[5];
	report_digest_sensor(&sn, h2);
	tap_ok(strcmp(h1, h2) != 0, "... changes with an agent");
	sn.agent = NULL;
	put(f[3], "rebuilt module");
	report_digest_sensor(&sn, h2);
	tap_ok(strcmp(h1, h2) != 0, "... changes when the module is rebuilt under the same name");

	tap_ok(report_digest_content(&cs, h1) == 0, "content digest");
	cf[0].as = "C-2.sys";
	cf[1].as = "C-1.sys";
	report_digest_content(&cs, h2);
	tap_ok(strcmp(h1, h2) != 0, "... changes with the guest file names");
	cf[0].as = "C-1.sys";
	cf[1].as = "C-2.sys";
	report_digest_content(&cs, h3);
	tap_is_str(h3, h1, "... and is stable");
	{
		char *missing = xasprintf("%s/none", dir);

		sn.module = missing;
		tap_ok(report_digest_sensor(&sn, h1) < 0 && !h1[0], "a missing file: no digest");
		free(missing);
	}
	for (int i = 0; i < 6; i++)
		free(f[i]);
	free(dir);
}

/* Set scenario NAME's KEY to VALUE in RUN_DIR/results.json. */
static void set_field(const char *run_dir, const char *name, const char *key, const char *value)
{
	char *path = xasprintf("%s/results.json", run_dir), *text;
	json_t *root = json_load_file(path, 0, NULL), *sc;
	size_t i;

	json_array_foreach(json_object_get(root, "scenarios"), i, sc)
		if (!strcmp(rj_str(sc, "name"), name))
			json_object_set_new(sc, key, json_string(value));
	text = json_dumps(root, JSON_INDENT(2));
	write_file_atomic(path, text, strlen(text), NULL);
	free(text);
	json_decref(root);
	free(path);
}

/* ---- a crash boot's source views (serial, event, dumps) ----------------- */

static struct source_view *view(struct boot_result *b, const char *src, int has_code,
				uint32_t code, const char *driver, const char *file)
{
	struct source_view *v = boot_add_view(b, src);

	v->has_code = has_code;
	v->code = code;
	v->driver = driver ? xstrdup(driver) : NULL;
	v->file = file ? xstrdup(file) : NULL;
	return v;
}

static void test_sources_judged(void)
{
	struct boot_result b = {0};
	struct source_view *v;
	json_t *o, *srcs;
	char *text;

	view(&b, SOURCE_SERIAL, 1, 0x50, "refsensor.sys", NULL);
	v = view(&b, SOURCE_EVENT, 0, 0, NULL, NULL);
	v->note = xstrdup("a panic event without the bugcheck's code (pvpanic)");
	v = view(&b, SOURCE_DUMP, 1, 0x50, "refsensor.sys", "t/boot-1-dumps/120226-01.dmp");
	v->nparams = 4;
	v->param[0] = 0xfffff8048b58334cULL;
	trial_boot_sources(&b);
	tap_ok(b.disagree == NULL, "sources: serial and dump agree, the event saw no code: no note");
	v = view(&b, SOURCE_DUMP, 1, 0xD1, "other.sys", "t/boot-1-dumps/MEMORY.DMP");
	trial_boot_sources(&b);
	tap_is_str(b.disagree,
		   "sources disagree: serial says 0x50, dump 120226-01.dmp says 0x50, dump "
		   "MEMORY.DMP says 0xD1; serial says refsensor.sys, dump 120226-01.dmp says "
		   "refsensor.sys, dump MEMORY.DMP says other.sys",
		   "sources: another code and driver in one dump: the note names each source's");
	o = report_json_boot(&b);
	srcs = json_object_get(o, "sources");
	tap_is_int((long long)json_array_size(srcs), 4, "sources: results.json has each view");
	tap_is_str(rj_str(json_array_get(srcs, 2), "code"), "0x50", "sources: the code in hex");
	tap_is_str(json_string_value(json_array_get(json_object_get(json_array_get(srcs, 2),
								    "parameters"),
						    0)),
		   "0xFFFFF8048B58334C", "sources: a parameter above 2^63, exactly");
	tap_ok(json_is_null(json_object_get(json_array_get(srcs, 1), "code")),
	       "sources: a view without a code has code null");
	tap_like(rj_str(o, "sources_disagree"), "dump MEMORY.DMP says 0xD1",
		 "sources: results.json carries the note");
	text = json_dumps(o, 0);
	json_decref(o);
	free(text);
	boot_result_release(&b);
	memset(&b, 0, sizeof(b));
	o = report_json_boot(&b);
	tap_ok(!json_object_get(o, "sources") && !json_object_get(o, "sources_disagree"),
	       "sources: a boot without views has neither field");
	json_decref(o);
}

static void test_sources_render(void)
{
	char *dir = fixture("run-1"), *path = xasprintf("%s/results.json", dir), *text, *html;
	json_t *root = json_load_file(path, 0, NULL);
	json_t *boots = json_object_get(json_array_get(json_object_get(root, "scenarios"), 1), "boots");
	struct bp_error err;
	size_t i;
	json_t *b;

	json_array_foreach(boots, i, b) {
		json_object_set_new(
		    b, "sources",
		    json_pack("[{s:s, s:s, s:s, s:[s], s:s, s:n, s:n}, {s:s, s:n, s:n, s:[], s:n, "
			      "s:n, s:s}, {s:s, s:s, s:s, s:[], s:s, s:s, s:s}]",
			      "source", "serial", "title",
			      "PAGE_FAULT_IN_NONPAGED_AREA (0x50) in refsensor.sys", "code", "0x50",
			      "parameters", "0xFFFF840500000074", "driver", "refsensor.sys", "file",
			      "note", "source", "event", "title", "code", "parameters", "driver",
			      "file", "note", "no panic event", "source", "dump", "title",
			      "DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1) in <b>x.sys", "code", "0xD1",
			      "parameters", "driver", "<b>x.sys", "file",
			      "bad-291-v1/boot-1-dumps/120226-01.dmp", "note",
			      "/Windows/Minidump/120226-01.dmp"));
		json_object_set_new(b, "sources_disagree",
				    json_string("sources disagree: serial says 0x50, dump "
						"120226-01.dmp says 0xD1"));
	}
	text = json_dumps(root, JSON_INDENT(2));
	write_file_atomic(path, text, strlen(text), NULL);
	free(text);
	json_decref(root);
	if (!tap_ok(report_render(dir, &err) == 0, "sources: a results.json with sources renders"))
		tap_diag(err.msg);
	html = slurp(dir, "index.html");
	tap_is_int(count(html, "<table class=\"sources\">"), 2,
		   "sources: a table for each crash boot of the signature, the folded one too");
	tap_is_int(count(html, "<tr class=\"source\">"), 6, "sources: a row per view");
	like(html, "<a href=\"bad-291-v1/boot-1-dumps/120226-01.dmp\">dump</a>",
	     "sources: a link to the collected dump");
	like(html, "<p class=\"disagree\">sources disagree: serial says 0x50, dump 120226-01.dmp "
		   "says 0xD1</p>",
	     "sources: the disagreement said plainly");
	like(html, "&lt;b&gt;x.sys", "sources: a driver name from the dump is escaped");
	tap_is_int(count(html, "<img class=\"screenshot\""), 1,
		   "sources: the screenshots are still there");
	free(html);
	free(path);
	free(dir);
}

/* ---- history ------------------------------------------------------------ */

static long long db_int(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void test_history(void)
{
	char *run1 = fixture("run-1"), *run2 = fixture("run-2"), *run3 = fixture("run-3-incomplete");
	char *db = xasprintf("%s/reports/history.db", scratch);
	struct history_diff d;
	struct history_run *runs;
	struct bp_error err = {{0}};
	int n;

	if (!tap_ok(history_record(db, run1, &err) == 0, "record run-1 (creates the database)"))
		tap_diag(err.msg);
	tap_ok(history_record(db, run2, &err) == 0, "record run-2");

	tap_ok(history_compare(db, "20260111-020000-5151", NULL, &d, &err) == 0,
	       "compare run-2 with the previous run");
	tap_is_str(d.other_id, "20260110-020000-4242", "the previous run of the suite is run-1");
	tap_is_int((long long)d.nr_new, 1, "exactly one new signature");
	tap_is_str(d.nr_new ? d.new_sigs[0].title : NULL,
		   "general protection fault in rs_parse_header", "... the new crash");
	tap_is_str(d.nr_new ? d.new_sigs[0].where : NULL, "malformed-291/v1 boot 1",
		   "... with where it happened");
	tap_is_int((long long)d.nr_fixed, 0, "nothing fixed");
	tap_is_int((long long)d.nr_flaky, 1, "one flaky scenario");
	tap_is_str(d.nr_flaky ? d.flaky[0].scenario : NULL, "silent-marker",
		   "... the one whose verdict changed with image, sensor and content unchanged");
	tap_is_str(d.nr_flaky ? d.flaky[0].verdict : NULL, "pass", "... now pass");
	tap_is_str(d.nr_flaky ? d.flaky[0].was : NULL, "fail", "... was fail");

	/* the page marks the new signature */
	{
		const char *titles[] = {d.nr_new ? d.new_sigs[0].title : ""};
		struct report_context ctx = {.compared = 1,
					     .compared_with = d.other_id,
					     .new_sigs = titles,
					     .nr_new_sigs = d.nr_new};
		char *html;

		report_render_ctx(run2, &ctx, REPORT_HTML, &err);
		html = slurp(run2, "index.html");
		like(html, "id=\"sum-new\">1<", "page: 1 new signature in the summary");
		tap_is_int(count(html, "<tr class=\"signature new\">"), 1,
			   "page: the new signature's row is marked");
		like(html, "<tr class=\"signature new\"><td><code>general protection fault in "
			       "rs_parse_header",
			 "page: ... the right one");
		free(html);
	}
	history_diff_release(&d);

	/* re-recording replaces; signatures are deduplicated across boots, scenarios, runs */
	tap_ok(history_record(db, run2, &err) == 0, "record run-2 again");
	tap_is_int(db_int(db, "SELECT COUNT(*) FROM runs"), 2, "re-recording replaces the run");
	tap_is_int(db_int(db, "SELECT COUNT(*) FROM boots WHERE run_id = '20260111-020000-5151'"),
		   18, "... its boots are not duplicated");
	tap_is_int(db_int(db, "SELECT COUNT(*) FROM signatures"), 3,
		   "3 distinct signatures over 2 runs");
	tap_is_int(db_int(db, "SELECT COUNT(*) FROM boots b JOIN signatures s ON s.id ="
			      " b.signature_id WHERE s.title = 'BUG: unable to handle page fault in"
			      " refsensor_eval'"),
		   16, "one signature counts its 16 boots in 3 scenarios of 2 runs");
	tap_is_int(db_int(db, "SELECT COUNT(*) FROM boots WHERE outcome <> 'crash' AND"
			      " signature_id IS NOT NULL"),
		   0, "only crashes have signatures");

	/* an incomplete run */
	tap_ok(history_record(db, run3, &err) == 0, "record the interrupted run");
	n = history_runs(db, &runs, &err);
	tap_is_int(n, 3, "three runs listed");
	if (n == 3) {
		tap_is_str(runs[0].run_id, "20260112-020000-6060", "newest first");
		tap_is_int(runs[0].complete, 0, "the interrupted run is recorded as incomplete");
		tap_is_str(runs[0].incomplete_reason, "interrupted by signal 2", "... with its reason");
		tap_is_int(runs[0].pass, 1, "... and its finished scenario's verdict");
		tap_is_int(runs[1].complete, 1, "run-2 complete");
		tap_is_int(runs[1].pass * 100 + runs[1].fail * 10 + runs[1].infra, 521,
			   "run-2: 5 pass, 2 fail, 1 infra");
		tap_is_int(runs[1].signatures, 3, "run-2: 3 signatures");
	}
	history_runs_free(runs, n < 0 ? 0 : (size_t)n);
	tap_is_int(db_int(db, "SELECT COUNT(*) FROM scenarios WHERE run_id = '20260112-020000-6060'"
			      " AND verdict IS NULL"),
		   2, "unfinished scenarios recorded without a verdict");

	/* comparing an incomplete run: with the last complete one */
	tap_ok(history_compare(db, "20260112-020000-6060", NULL, &d, &err) == 0,
	       "compare the interrupted run");
	tap_is_str(d.other_id, "20260111-020000-5151", "... with the last complete run");
	tap_is_int((long long)d.nr_new, 0, "... no new signatures");
	tap_is_int((long long)d.nr_flaky, 0, "... unfinished scenarios are not flaky");
	history_diff_release(&d);

	/* a named run; the first run of a suite */
	tap_ok(history_compare(db, "20260110-020000-4242", "20260111-020000-5151", &d, &err) == 0,
	       "compare with a named run");
	tap_is_int((long long)d.nr_new, 0, "run-1 has nothing run-2 lacks");
	tap_is_int((long long)d.nr_fixed, 1, "run-2's new crash is 'fixed' from run-1's view");
	history_diff_release(&d);
	tap_ok(history_compare(db, "20260110-020000-4242", NULL, &d, &err) == 0 && !d.other_id &&
		       !d.nr_new,
	       "the first run of a suite has nothing to compare with");
	history_diff_release(&d);
	{
		char *dir = NULL, *real = realpath(run2, NULL);

		tap_is_int(history_run_dir(db, "20260111-020000-5151", &dir, &err), 1,
			   "history_run_dir finds a recorded run");
		tap_is_str(dir, real, "... its absolute directory");
		free(dir);
		free(real);
		tap_is_int(history_run_dir(db, "nope", &dir, &err), 0, "... not an unknown one");
	}
	tap_ok(history_compare(db, "nope", NULL, &d, &err) < 0, "an unknown run is an error");
	like(err.msg, "run 'nope' is not in the history", "... saying so");
	{
		char *missing = xasprintf("%s/none.db", scratch);

		tap_ok(history_runs(missing, &runs, &err) < 0, "listing a missing history fails");
		tap_ok(access(missing, F_OK) < 0, "... without creating it");
		free(missing);
	}
	/* A verdict that changed with the sensor's bytes is no flake. */
	{
		char *db2 = xasprintf("%s/flaky.db", scratch);
		static const char a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		static const char b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

		set_field(run1, "silent-marker", "sensor_sha256", a);
		set_field(run2, "silent-marker", "sensor_sha256", b);
		history_record(db2, run1, &err);
		history_record(db2, run2, &err);
		tap_ok(history_compare(db2, "20260111-020000-5151", NULL, &d, &err) == 0 &&
			       d.nr_flaky == 0,
		       "a verdict change with a rebuilt sensor (same name) is not flaky");
		history_diff_release(&d);
		set_field(run2, "silent-marker", "sensor_sha256", a);
		history_record(db2, run2, &err);
		tap_ok(history_compare(db2, "20260111-020000-5151", NULL, &d, &err) == 0 &&
			       d.nr_flaky == 1,
		       "... with the same bytes it is");
		history_diff_release(&d);
		free(db2);
	}
	free(run1);
	free(run2);
	free(run3);
	free(db);
}

/* ---- the trend page ----------------------------------------------------- */

#define TREND_HOSTILE "</svg><script>alert(2)</script> in evil_func"
#define TREND_SUITE2 "</svg><script>alert(4)</script>.yaml"

/* Scenario NAME of root. */
static json_t *scenario_named(json_t *root, const char *name)
{
	json_t *sc;
	size_t i;

	json_array_foreach(json_object_get(root, "scenarios"), i, sc)
		if (!strcmp(rj_str(sc, "name"), name))
			return sc;
	return NULL;
}

/*
 * Night k (0..7) of suite nightly.yaml, from run-1: hostile-guest's crash is
 * TREND_HOSTILE on nights 2-5, good-291-v1 fails on nights 2 and 6, night 7
 * was interrupted; k 8 is the one run of suite TREND_SUITE2. Written to
 * REPORTS/RUN_ID/results.json and recorded in db.
 */
static void trend_night(const char *reports, const char *db, int k)
{
	char *src = xasprintf("%s/results/run-1/results.json", datadir);
	json_t *root = json_load_file(src, 0, NULL), *b;
	char *id = xasprintf("202601%02d-020000-%d", k + 1, 100 + k);
	char *started = xasprintf("2026-01-%02dT02:00:00Z", k + 1);
	char *dir = xasprintf("%s/%s", reports, id), *path = xasprintf("%s/results.json", dir);
	char *text;
	struct bp_error err = {{0}};

	json_object_set_new(root, "run_id", json_string(id));
	json_object_set_new(root, "started", json_string(started));
	json_object_set_new(root, "suite", json_string(k == 8 ? TREND_SUITE2 : "nightly.yaml"));
	b = json_array_get(json_object_get(scenario_named(root, "hostile-guest"), "boots"), 0);
	if (k >= 2 && k <= 5)
		json_object_set_new(b, "title", json_string(TREND_HOSTILE));
	if (k == 2 || k == 6)
		json_object_set_new(scenario_named(root, "good-291-v1"), "verdict",
				    json_string("fail"));
	if (k == 7) {
		json_object_set_new(root, "complete", json_false());
		json_object_set_new(root, "incomplete_reason",
				    json_string("<img src=x onerror=alert(3)>"));
	}
	mkdir_p(dir, NULL);
	text = json_dumps(root, JSON_INDENT(2));
	write_file_atomic(path, text, strlen(text), NULL);
	if (history_record(db, dir, &err) < 0)
		printf("Bail out! cannot record night %d: %s\n", k, err.msg);
	free(text);
	json_decref(root);
	free(src);
	free(id);
	free(started);
	free(dir);
	free(path);
}

static const struct history_span *span_of(const struct history_suite *s, const char *title)
{
	for (size_t i = 0; i < s->nr_sigs; i++)
		if (!strcmp(s->sigs[i].title, title))
			return &s->sigs[i];
	return NULL;
}

static void test_trend_history(const char *db)
{
	struct history_suite *suites;
	const struct history_suite *s;
	const struct history_span *sp;
	struct bp_error err = {{0}};
	int n = history_suites(db, &suites, &err);

	if (!tap_is_int(n, 2, "history_suites: two suites"))
		tap_diag(err.msg);
	if (n != 2)
		return;
	s = &suites[1];
	tap_is_str(suites[0].suite, TREND_SUITE2, "suites by name (the hostile one sorts first)");
	tap_is_str(s->suite, "nightly.yaml", "... and nightly.yaml");
	tap_is_int((long long)s->nr_runs, 8, "nightly.yaml: 8 runs");
	tap_is_str(s->runs[0].run_id, "20260101-020000-100", "... oldest first");
	tap_is_int(s->runs[7].complete, 0, "... the last one incomplete");
	tap_is_int(s->runs[2].pass * 100 + s->runs[2].fail * 10 + s->runs[2].infra, 331,
		   "night 3: 3 passed, 3 failed, 1 infra");
	tap_is_int((long long)s->nr_sigs, 3, "three signatures over the suite's history");
	sp = span_of(s, "BUG: unable to handle page fault in refsensor_eval");
	tap_ok(sp && sp->runs == 8 && sp->boots == 64, "refsensor_eval: 8 runs, 64 boots");
	sp = span_of(s, TREND_HOSTILE);
	tap_ok(sp && sp->runs == 4 && sp->boots == 4, "the hostile title: 4 runs, 4 boots");
	tap_is_str(sp ? sp->first_run : NULL, "20260103-020000-102", "... first seen night 3");
	tap_is_str(sp ? sp->last_started : NULL, "2026-01-06T02:00:00Z", "... last seen night 6");
	tap_is_str(s->sigs[s->nr_sigs - 1].title, TREND_HOSTILE,
		   "signatures seen last longest ago last");
	tap_is_int((long long)s->nr_flaky, 1, "one flaky scenario");
	if (s->nr_flaky) {
		const struct history_flake *f = &s->flaky[0];

		tap_is_str(f->scenario, "good-291-v1", "... good-291-v1 (silent-marker always "
						       "failed, qemu-broken was infra)");
		tap_is_str(f->verdicts, "ppfpppfp", "... its verdicts, oldest first");
		tap_ok(f->pass == 6 && f->fail == 2 && f->changes == 4,
		       "... 6 passed, 2 failed, 4 changes");
		tap_is_str(f->last_run, "20260108-020000-107", "... last run night 8");
	}
	tap_is_int((long long)suites[0].nr_runs, 1, "the other suite: its one run");
	history_suites_free(suites, (size_t)n);
	{
		/* A new signature that sorts before the other run's (it crashed once). */
		struct history_diff d;

		tap_ok(history_compare(db, "20260103-020000-102", NULL, &d, &err) == 0,
		       "compare night 3, whose new signature sorts first, with night 2");
		tap_ok(d.nr_new == 1 && !strcmp(d.new_sigs[0].title, TREND_HOSTILE),
		       "... the new one");
		tap_ok(d.nr_fixed == 1 && !strncmp(d.fixed[0].title, "BUG: <script>", 13),
		       "... and the one it replaced, fixed");
		history_diff_release(&d);
	}
}

static void test_trend_page(const char *reports, const char *db)
{
	struct bp_error err = {{0}};
	char *html, *run = xasprintf("%s/20260102-020000-101", reports), *page;

	/* One run with its page: only its bar links. */
	report_render(run, &err);
	if (!tap_ok(report_trend(db, reports, &err) == 0, "report_trend writes trend.html"))
		tap_diag(err.msg);
	html = slurp(reports, TREND_FILE);
	tap_is_int(count(html, "<g class=\"run"), 9, "one bar per run");
	tap_is_int(count(html, "<g class=\"run incomplete\""), 1, "... the interrupted one marked");
	tap_is_int(count(html, "<rect class=\"bar pass\""), 9, "... each with its passed");
	tap_is_int(count(html, "<rect class=\"bar infra\""), 9, "... and its infra segment");
	like(html, "<g class=\"run\" data-run=\"20260103-020000-102\"><title>20260103-020000-102, "
		   "2026-01-03T02:00:00Z: 3 passed, 3 failed, 1 infra</title>",
	     "a bar's tooltip: its counts");
	tap_is_int(count(html, "<section class=\"suite\""), 2, "a section per suite");
	tap_is_int(count(html, "<tr class=\"signature"), 5, "3 + 2 signature rows");
	tap_is_int(count(html, "<tr class=\"signature current\">"), 4,
		   "... those in their suite's latest run marked (all but the hostile one)");
	like(html, "<tr class=\"signature\"><td><code>&lt;/svg&gt;&lt;script&gt;alert(2)&lt;/"
		   "script&gt; in evil_func</code></td><td class=\"when\">2026-01-03",
	     "the hostile title as text, first seen 2026-01-03");
	like(html, "suite <code>&lt;/svg&gt;&lt;script&gt;alert(4)&lt;/script&gt;.yaml</code>",
	     "the hostile suite name as text");
	like(html, "incomplete: &lt;img src=x onerror=alert(3)&gt;</title>",
	     "the hostile incomplete reason as text");
	tap_ok(!strstr(html, "<script") && !strstr(html, "<img") && !strstr(html, "</svg><s"),
	       "no element from the history");
	like(html, "class=\"flaky-def def\">A scenario is <b>flaky</b> when", "flaky defined");
	tap_is_int(count(html, "<tr class=\"flaky\">"), 1, "one flaky row");
	tap_is_int(count(html, "<rect class=\"v fail\""), 2, "... its two failures as squares");
	tap_is_int(count(html, "<rect class=\"v pass\""), 6, "... and its six passes");
	like(html, "<a href=\"20260102-020000-101/index.html\"><g class=\"run\"",
	     "a run with its page: its bar links to it");
	tap_is_int(count(html, "<a href=\""), 1, "... no other link (no other run has a page)");
	page = slurp(run, "index.html");
	like(page, "<a id=\"trend-link\" href=\"../trend.html\">", "the run's page links the trend");
	free(page);
	free(html);
	free(run);
}

/* More runs than the chart shows; no history; an empty one. */
static void test_trend_edges(void)
{
	struct history_run runs[TREND_MAX_RUNS + 5];
	struct history_suite s = {.suite = "many", .runs = runs, .nr_runs = ARRAY_SIZE(runs)};
	struct strbuf sb = STRBUF_INIT;
	struct bp_error err = {{0}};
	char *dir = xasprintf("%s/trend-edges", scratch), *db = xasprintf("%s/empty.db", dir);
	char *trend = xasprintf("%s/%s", dir, TREND_FILE), *html;

	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		runs[i] = (struct history_run){.run_id = "r", .started = "2026-02-01T00:00:00Z",
					       .scenarios = 2, .pass = 2, .complete = 1};
	report_trend_html(&s, 1, "h.db", NULL, &sb);
	tap_is_int(count(sb.buf, "<g class=\"run\""), TREND_MAX_RUNS, "the chart: the latest runs");
	like(sb.buf, "the latest 60 of 65 runs", "... saying how many it left out");
	tap_is_int(count(sb.buf, "<text class=\"date\""), 1, "... one date label for one day");
	strbuf_release(&sb);

	mkdir_p(dir, NULL);
	tap_ok(report_trend(db, dir, &err) < 0 && access(trend, F_OK) < 0,
	       "no history: an error, no trend.html");
	write_file_atomic(db, "", 0, NULL);
	tap_ok(report_trend(db, dir, &err) == 0, "an empty history (no tables yet) renders");
	html = slurp(dir, TREND_FILE);
	like(html, "<p id=\"no-runs\">No runs recorded yet.</p>", "... saying no runs");
	free(html);
	free(trend);
	free(db);
	free(dir);
}

static void test_trend(void)
{
	char *reports = xasprintf("%s/trend", scratch), *db = xasprintf("%s/history.db", reports);

	for (int k = 0; k <= 8; k++)
		trend_night(reports, db, k);
	test_trend_history(db);
	test_trend_page(reports, db);
	test_trend_edges();
	free(db);
	free(reports);
}

int main(int argc, char **argv)
{
	(void)argc;
	datadir = find_datadir(argv[0]);
	if (!datadir) {
		printf("Bail out! cannot find tests/data/results (run from the project root or set "
		       "BP_TESTDATA)\n");
		return 1;
	}
	if (!mkdtemp(scratch)) {
		printf("Bail out! cannot create a scratch directory\n");
		return 1;
	}
	test_escape();
	test_signature();
	test_render_run1();
	test_log_read();
	test_incomplete_render();
	test_rings_render();
	test_soak_render();
	test_sources_judged();
	test_sources_render();
	test_hostile_paths();
	test_load_errors();
	test_tampered();
	test_one_verdict();
	test_digest();
	test_history();
	test_trend();
	remove_tree(scratch);
	return tap_done();
}
