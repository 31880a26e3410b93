/*
 * fuzz-ems - the console sanitizer and the Windows serial detector
 * (windetect.h) on any bytes in any chunking (the first byte picks the chunk
 * size). Oracle: every crash's title is the table's for what the detector
 * says it read (stopcodes.h: code and driver), its module is that driver
 * ("" or a normalized file name), its report is within
 * WIN_REPORT_MAX_LINES/_BYTES, its line range is in order, at most four
 * parameters; and the detector says "certain" at least once for every
 * crash it reports.
 */
#include "console.h"
#include "fuzz.h"
#include "stopcodes.h"
#include "windetect.h"

#include <string.h>

struct state {
	struct win_detector *d;
	size_t certain, crashes;
};

static void check_crash(const struct crash *c, const struct win_bugcheck *bc)
{
	struct strbuf want = STRBUF_INIT;
	char norm[STOPCODE_DRIVER_MAX + 1];
	size_t lines = 1;

	stopcode_title(&want, bc->has_code, bc->code, bc->driver);
	FUZZ_CHECK(!strcmp(c->title, want.buf), "the title is the table's for code and driver");
	strbuf_release(&want);
	FUZZ_CHECK(!strcmp(c->module, bc->driver), "the module is the driver");
	FUZZ_CHECK(!bc->driver[0] || (stopcode_driver_norm(norm, bc->driver, strlen(bc->driver)) &&
				      !strcmp(norm, bc->driver)),
		   "a driver is a normalized file name");
	FUZZ_CHECK(bc->nparams >= 0 && bc->nparams <= 4, "at most four parameters");
	FUZZ_CHECK(!strcmp(c->kind, "bugcheck") && !c->func[0] && !c->taint[0],
		   "kind bugcheck, no function, no taint");
	for (const char *p = c->report; *p; p++)
		lines += *p == '\n';
	FUZZ_CHECK(strlen(c->report) <= WIN_REPORT_MAX_BYTES, "report within WIN_REPORT_MAX_BYTES");
	FUZZ_CHECK(lines <= WIN_REPORT_MAX_LINES, "report within WIN_REPORT_MAX_LINES");
	FUZZ_CHECK(c->line >= 1 && c->end_line >= c->line, "line range in order");
}

static void drain(struct state *s)
{
	struct crash c;
	struct win_bugcheck bc;

	while (win_detector_next(s->d, &c, &bc)) {
		check_crash(&c, &bc);
		s->crashes++;
		crash_release(&c);
	}
}

static void on_line(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct state *s = ctx;

	s->certain += (size_t)win_detector_line(s->d, line, len, lineno);
	drain(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = {win_detector_new(), 0, 0};
	struct console con;
	size_t chunk;

	if (!size)
		goto out;
	chunk = (size_t)data[0] + 1;
	data++, size--;
	console_init(&con, on_line, &s);
	for (size_t off = 0; off < size; off += chunk)
		console_feed(&con, (const char *)data + off,
			     size - off < chunk ? size - off : chunk);
	console_finish(&con);
	win_detector_flush(s.d);
	drain(&s);
	FUZZ_CHECK(s.certain >= s.crashes, "every crash was announced as certain");
out:
	win_detector_free(s.d);
	return 0;
}
