/*
 * fuzz-console - the console sanitizer and the crash detector behind it, on
 * any bytes in any chunking (the first byte picks the chunk size). Oracle:
 * no emitted line exceeds CONSOLE_LINE_MAX, every line is valid UTF-8 with
 * no control characters, and every crash has a non-empty valid UTF-8 title
 * within DETECT_TITLE_MAX, a report within DETECT_REPORT_MAX_LINES/_BYTES,
 * a line range in order and the attributes its contract promises.
 */
#include "console.h"
#include "detect.h"
#include "fuzz.h"

#include <string.h>

/* RFC 3629 UTF-8 with no C0/C1 control characters and no DEL. */
static int clean_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n = c < 0x80		    ? 1
			   : c >= 0xc2 && c <= 0xdf ? 2
			   : c >= 0xe0 && c <= 0xef ? 3
			   : c >= 0xf0 && c <= 0xf4 ? 4
						    : 0;
		unsigned cp;

		if (!n || i + n > len)
			return 0;
		cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
		    (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += n;
	}
	return 1;
}

static void check_crash(const struct crash *c)
{
	size_t lines = 1, len = strlen(c->report);

	FUZZ_CHECK(c->title && c->title[0], "a crash title is not empty");
	FUZZ_CHECK(strlen(c->title) <= DETECT_TITLE_MAX,
		   "a crash title is within DETECT_TITLE_MAX");
	FUZZ_CHECK(clean_utf8(c->title, strlen(c->title)), "a crash title is clean UTF-8");
	for (const char *p = c->report; *p; p++)
		lines += *p == '\n';
	FUZZ_CHECK(len <= DETECT_REPORT_MAX_BYTES, "a report is within DETECT_REPORT_MAX_BYTES");
	FUZZ_CHECK(lines <= DETECT_REPORT_MAX_LINES, "a report is within DETECT_REPORT_MAX_LINES");
	FUZZ_CHECK(c->line >= 1 && c->end_line >= c->line, "a report's line range is in order");
	FUZZ_CHECK(c->kind && c->kind[0], "a crash has a kind");
	FUZZ_CHECK(c->func && c->module && c->taint, "a crash's strings are never NULL");
	FUZZ_CHECK(!c->func[0] == !c->module[0], "a guilty function comes with its module");
	FUZZ_CHECK(clean_utf8(c->func, strlen(c->func)) && clean_utf8(c->module, strlen(c->module)),
		   "function and module are clean UTF-8");
}

static void on_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct detector *d = ctx;
	struct crash c;

	FUZZ_CHECK(len <= CONSOLE_LINE_MAX, "a console line never exceeds its bound");
	FUZZ_CHECK(strlen(line) == len, "no NUL inside a line");
	FUZZ_CHECK(clean_utf8(line, len), "every line is valid UTF-8 without control characters");
	FUZZ_CHECK(lineno >= 1, "lines are numbered from 1");
	detector_line(d, line, len, lineno);
	while (detector_next(d, &c)) {
		check_crash(&c);
		crash_release(&c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detector *d = detector_new();
	struct console c;
	struct crash cr;
	size_t chunk = size ? (size_t)data[0] * 37 + 1 : 1;

	console_init(&c, on_line, d);
	for (size_t off = 0; off < size; off += chunk)
		console_feed(&c, (const char *)data + off, size - off < chunk ? size - off : chunk);
	console_finish(&c);
	detector_flush(d);
	while (detector_next(d, &cr)) {
		check_crash(&cr);
		crash_release(&cr);
	}
	detector_free(d);
	return 0;
}
