/*
 * fuzz-results - a results.json read back, as `bootproof report` reads it:
 * loaded with report_json_parse() (the schema check of report_load()), and
 * when it loads, rendered in every format. Oracles:
 *   TAP: every line is the version, the plan (once, last, counting the
 *        points), a point numbered in sequence whose description has no
 *        unescaped '#', a comment, or a line of an indented YAML block; no
 *        control character but '\n', no line separator (U+0085, U+2028,
 *        U+2029) and no U+FFFE/U+FFFF anywhere;
 *   JUnit, HTML: every '<' opens (or closes) an element of the generator's
 *        own set, so no text made markup; no character XML 1.0 forbids;
 *   JSON: the document written back is ASCII and loads again.
 */
#include <string.h>

#include "fuzz.h"
#include "report-html.h"
#include "report-json.h"
#include "report-junit.h"
#include "report-tap.h"

static int has_unsafe_bytes(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return 1;
		if (i + 1 < len && c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return 1; /* C1, U+0085 among them */
		if (i + 2 < len && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
			return 1; /* U+2028, U+2029 */
		if (i + 2 < len && c == 0xef && (unsigned char)s[i + 1] == 0xbf &&
		    (unsigned char)s[i + 2] >= 0xbe)
			return 1; /* U+FFFE, U+FFFF */
	}
	return 0;
}

/*
 * A description: a '#' only after a backslash that is not itself escaped;
 * or once, as the " # SKIP " directive of a passing point (a skipped
 * trial), whose reason is escaped the same way.
 */
static int description_ok(const char *p, const char *end, int skip_allowed)
{
	for (; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '#')
			return skip_allowed && p[-1] == ' ' && end - p >= 7 && !memcmp(p, "# SKIP ", 7) &&
			       description_ok(p + 7, end, 0);
	}
	return 1;
}

static void check_tap(const char *tap, size_t len)
{
	const char *p = tap, *end = tap + len;
	long points = 0, plan = -1;
	int yaml = 0;

	FUZZ_CHECK(!has_unsafe_bytes(tap, len), "TAP: no control character or line separator");
	FUZZ_CHECK(len && tap[len - 1] == '\n', "TAP: ends with a line");
	for (int first = 1; p < end; first = 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q;
		size_t n = (size_t)(nl - p);
		long num;
		char *rest;

		FUZZ_CHECK(plan < 0, "TAP: nothing after the plan");
		if (first) {
			FUZZ_CHECK(n == 14 && !memcmp(p, "TAP version 13", 14), "TAP: version line");
		} else if (yaml) {
			FUZZ_CHECK(n >= 2 && !memcmp(p, "  ", 2), "TAP: YAML lines are indented");
			if (n == 5 && !memcmp(p, "  ...", 5))
				yaml = 0;
			else
				FUZZ_CHECK(!(n == 5 && !memcmp(p, "  ---", 5)), "TAP: no YAML start inside YAML");
		} else if (n == 5 && !memcmp(p, "  ---", 5)) {
			FUZZ_CHECK(points > 0, "TAP: YAML follows a point");
			yaml = 1;
		} else if (n >= 1 && *p == '#') {
			/* a comment */
		} else if (n > 3 && !memcmp(p, "1..", 3)) {
			plan = strtol(p + 3, &rest, 10);
			FUZZ_CHECK(rest == nl, "TAP: a plan is only its number");
		} else {
			q = !strncmp(p, "ok ", 3) ? p + 3 : !strncmp(p, "not ok ", 7) ? p + 7 : NULL;
			FUZZ_CHECK(q != NULL, "TAP: every other line is a test point");
			num = strtol(q, &rest, 10);
			FUZZ_CHECK(num == points + 1, "TAP: points in sequence");
			FUZZ_CHECK(!strncmp(rest, " - ", 3), "TAP: point has a description");
			FUZZ_CHECK(description_ok(rest + 3, nl, q == p + 3),
				   "TAP: no directive in a description but a passing point's SKIP");
			points++;
		}
		p = nl + 1;
	}
	FUZZ_CHECK(!yaml, "TAP: every YAML block ends");
	FUZZ_CHECK(plan == points, "TAP: the plan counts the points");
}

/* Every '<' in out starts one of names (optionally "</"), followed by ' ', '>' or '/'. */
static void check_markup(const char *out, size_t len, const char *const *names, const char *what)
{
	FUZZ_CHECK(!has_unsafe_bytes(out, len), what);
	for (const char *p = memchr(out, '<', len); p; p = memchr(p + 1, '<', len - (size_t)(p + 1 - out))) {
		const char *name = p + 1 + (p[1] == '/');
		size_t n = strcspn(name, " />\n");
		int known = 0;

		for (size_t i = 0; names[i] && !known; i++)
			known = strlen(names[i]) == n && !memcmp(names[i], name, n);
		FUZZ_CHECK(known, what);
	}
}

static const char *const html_names[] = {
	"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3",
	"p", "code", "a", "section", "div", "span", "dl", "dt", "dd", "table", "tr", "th", "td",
	"ul", "li", "ol", "b", "svg", "rect", "line", "path", "text", "pre", "mark", "details",
	"summary", "img", "i", "polyline", NULL};
static const char *const junit_names[] = {
	"?xml", "testsuites", "testsuite", "properties", "property", "testcase", "failure",
	"error", "skipped", "system-out", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_context ctx = {0};
	struct strbuf sb = STRBUF_INIT;
	struct bp_error err;
	json_t *root, *again;
	char *text;

	if (report_json_parse((const char *)data, size, "fuzz", &root, &err) < 0)
		return 0;
	report_tap(root, &sb);
	check_tap(sb.buf, sb.len);
	strbuf_reset(&sb);
	report_junit(root, NULL, &sb);
	check_markup(sb.buf, sb.len, junit_names, "JUnit: only the generator's elements");
	strbuf_reset(&sb);
	report_html(root, &ctx, &sb);
	check_markup(sb.buf, sb.len, html_names, "HTML: only the generator's elements");
	strbuf_release(&sb);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	FUZZ_CHECK(text != NULL, "JSON: written back");
	for (const char *p = text; *p; p++)
		FUZZ_CHECK((unsigned char)*p < 0x80, "JSON: ASCII");
	FUZZ_CHECK(report_json_parse(text, strlen(text), "again", &again, &err) == 0,
		   "JSON: loads again");
	json_decref(again);
	free(text);
	json_decref(root);
	return 0;
}
