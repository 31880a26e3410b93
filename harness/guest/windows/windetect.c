/*
 * windetect - the Windows console detector: one report at a time, a small
 * state machine over sanitized lines. An EMS record is collected into a
 * bounded buffer of its joined lines until it closes, so tags and values
 * split over lines are read whole; the blue-screen text after it is read
 * line by line. Everything it reads is guest text: numbers are parsed with
 * explicit bounds, names go through the stop-code table or
 * stopcode_driver_norm() before they reach a title.
 */
#include "windetect.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console.h"

#define MARKER "CLASSNAME=\"BLUESCREEN\""
#define CARRY 32 /* > strlen(MARKER): a marker split over two lines is still found */

enum win_state {
	WIN_IDLE,
	WIN_XML,  /* in an EMS record, before it closes */
	WIN_TEXT, /* in blue-screen text or a report's trailer */
};

struct win_queued {
	struct crash c;
	struct win_bugcheck bc;
};

struct win_detector {
	struct crash_detector base; /* guest.h's interface (win_crash_detector_new) */
	enum win_state state;
	int body_ended;
	int certain; /* the report is a bugcheck for sure (1 returned) */
	size_t start, end, xml_lines, slack, sac_line;
	struct strbuf xml;    /* the record's lines joined */
	struct strbuf report; /* the report's lines, '\n'-separated, bounded */
	size_t report_lines;
	struct win_bugcheck bc;
	char carry[CARRY];
	size_t carry_len;
	struct win_queued q[WIN_QUEUE_MAX];
	size_t qhead, qlen;
};

/* Case-insensitive memmem for an ASCII needle. */
static const char *ci_find(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (!strncasecmp(hay + i, needle, k))
			return hay + i;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * "0x" and 1..16 hex digits at s (at most n bytes) into *v, none above
 * max; returns the bytes used, 0 if there is no such number.
 */
static size_t parse_hex(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	size_t i = 2;
	uint64_t x = 0;

	if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || hexval(s[2]) < 0)
		return 0;
	for (; i < n && hexval(s[i]) >= 0; i++) {
		if (x > (max >> 4))
			return 0;
		x = x << 4 | (uint64_t)hexval(s[i]);
	}
	if (x > max)
		return 0;
	*v = x;
	return i;
}

/* The line without leading and trailing spaces. */
static void trim(const char **s, size_t *n)
{
	while (*n && **s == ' ')
		(*s)++, (*n)--;
	while (*n && (*s)[*n - 1] == ' ')
		(*n)--;
}

static int starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !strncasecmp(s, prefix, k);
}

static void report_add(struct win_detector *d, const char *line, size_t len, size_t lineno)
{
	d->end = lineno;
	if (d->report_lines >= WIN_REPORT_MAX_LINES ||
	    d->report.len + len + 1 > WIN_REPORT_MAX_BYTES)
		return;
	if (d->report_lines++)
		strbuf_addch(&d->report, '\n');
	strbuf_add(&d->report, line, len);
}

static void report_reset(struct win_detector *d)
{
	d->state = WIN_IDLE;
	d->body_ended = d->certain = 0;
	d->xml_lines = d->slack = d->report_lines = 0;
	strbuf_reset(&d->xml);
	strbuf_reset(&d->report);
	memset(&d->bc, 0, sizeof(d->bc));
}

/* The report in progress becomes a crash (if it is certain), and the detector idles. */
static void report_complete(struct win_detector *d)
{
	struct strbuf title = STRBUF_INIT;
	struct win_queued *w;

	if (d->state == WIN_IDLE || !d->certain || d->qlen >= WIN_QUEUE_MAX) {
		report_reset(d);
		return;
	}
	w = &d->q[(d->qhead + d->qlen++) % WIN_QUEUE_MAX];
	stopcode_title(&title, d->bc.has_code, d->bc.code, d->bc.driver);
	w->c = (struct crash){
	    .title = strbuf_detach(&title),
	    .report = strbuf_detach(&d->report),
	    .line = d->start,
	    .end_line = d->end,
	    .kind = "bugcheck",
	    .func = xstrdup(""),
	    .module = xstrdup(d->bc.driver),
	    .taint = xstrdup(""),
	    .has_code = d->bc.has_code,
	    .code = d->bc.code,
	    .nparams = d->bc.nparams,
	};
	memcpy(w->c.param, d->bc.param, sizeof(w->c.param));
	w->bc = d->bc;
	report_reset(d);
}

static void report_start(struct win_detector *d, enum win_state state, size_t lineno)
{
	report_complete(d);
	d->state = state;
	d->start = d->end = lineno;
}

static void set_code(struct win_detector *d, uint32_t code, const char *source)
{
	d->bc.has_code = 1;
	d->bc.code = code;
	d->bc.code_source = source;
}

/* `<PROPERTY NAME="STOPCODE" ...><VALUE>"0xD1"</VALUE>` in the joined record, read whole. */
static int xml_stopcode(const struct strbuf *xml, uint32_t *code)
{
	const char *end = xml->buf + xml->len, *p, *v;
	uint64_t x;
	size_t n;

	p = ci_find(xml->buf, xml->len, "NAME=\"STOPCODE\"");
	if (!p || !(v = ci_find(p, (size_t)(end - p), "<VALUE>")))
		return 0;
	v += strlen("<VALUE>");
	while (v < end && (*v == ' ' || *v == '"'))
		v++;
	if (starts(v, (size_t)(end - v), "&quot;"))
		v += strlen("&quot;");
	n = parse_hex(v, (size_t)(end - v), UINT32_MAX, &x);
	if (!n)
		return 0;
	v += n;
	while (v < end && (*v == ' ' || *v == '"'))
		v++;
	if (starts(v, (size_t)(end - v), "&quot;"))
		v += strlen("&quot;");
	if (!starts(v, (size_t)(end - v), "</VALUE>"))
		return 0; /* not whole yet (or not a number): wait for more of the record */
	*code = (uint32_t)x;
	return 1;
}

/* One line of an EMS record. Returns 1 when its STOPCODE was just read. */
static int xml_line(struct win_detector *d, const char *line, size_t len)
{
	uint32_t code;
	int closed, fresh = 0;

	if (d->xml.len + len <= WIN_XML_MAX_BYTES)
		strbuf_add(&d->xml, line, len);
	d->xml_lines++;
	if (!d->bc.has_code && xml_stopcode(&d->xml, &code)) {
		set_code(d, code, "ems");
		fresh = d->certain = 1;
	}
	closed = ci_find(d->xml.buf, d->xml.len, "</INSTANCE>") ||
		 ci_find(d->xml.buf, d->xml.len, "</BP>");
	if (closed || d->xml_lines >= WIN_XML_MAX_LINES || d->xml.len + len > WIN_XML_MAX_BYTES) {
		if (!d->certain) {
			report_reset(d); /* a record without a stop code: not a bugcheck */
			return 0;
		}
		d->state = WIN_TEXT;
		d->body_ended = 1;
	}
	return fresh;
}

/* `*** STOP: 0x0000000A (0x..., 0x..., 0x..., 0x...)`, all four parameters. */
static int stop_line(const char *s, size_t n, struct win_bugcheck *bc)
{
	const char *end = s + n;
	uint64_t v;
	size_t k;

	if (!starts(s, n, "*** STOP:"))
		return 0;
	s += strlen("*** STOP:");
	while (s < end && *s == ' ')
		s++;
	if (!(k = parse_hex(s, (size_t)(end - s), UINT32_MAX, &v)))
		return 0;
	bc->code = (uint32_t)v;
	s += k;
	while (s < end && *s == ' ')
		s++;
	if (s == end || *s++ != '(')
		return 0;
	for (int i = 0; i < 4; i++) {
		while (s < end && *s == ' ')
			s++;
		if (!(k = parse_hex(s, (size_t)(end - s), UINT64_MAX, &bc->param[i])))
			return 0;
		s += k;
		while (s < end && *s == ' ')
			s++;
		if (s == end || *s++ != (i < 3 ? ',' : ')'))
			return 0;
	}
	bc->has_code = 1;
	bc->code_source = "stop";
	bc->nparams = 4;
	return 1;
}

static int problem_line(const char *s, size_t n)
{
	return ci_find(s, n, "ran into a problem and needs to restart") ||
	       ci_find(s, n, "A problem has been detected and Windows has been shut down");
}

static int boot_line(const char *s, size_t n)
{
	return ci_find(s, n, "Computer is booting, SAC started") != NULL;
}

/* The EMS marker in this line, or straddling the previous line's end and this line. */
static int marker_line(struct win_detector *d, const char *line, size_t len)
{
	char join[2 * CARRY];
	size_t n = len < CARRY ? len : CARRY;

	if (ci_find(line, len, MARKER))
		return 1;
	memcpy(join, d->carry, d->carry_len);
	memcpy(join + d->carry_len, line, n);
	return ci_find(join, d->carry_len + n, MARKER) != NULL;
}

/* The driver a trailer line names: "x.sys", "What failed: x.sys", "***  x.sys - Address ...". */
static void text_driver(struct win_detector *d, const char *s, size_t n)
{
	const char *dash;

	if (d->bc.driver[0])
		return;
	if (starts(s, n, "What failed:")) {
		s += strlen("What failed:"), n -= strlen("What failed:");
		trim(&s, &n);
	} else if (starts(s, n, "*** ") && (dash = ci_find(s, n, " - Address "))) {
		n = (size_t)(dash - s) - 4, s += 4;
		trim(&s, &n);
	}
	stopcode_driver_norm(d->bc.driver, s, n);
}

/*
 * One line of blue-screen text or trailer (trimmed). Returns -1 when it
 * completes the report, 1 when it adds to it, 0 when it adds nothing.
 */
static int text_line(struct win_detector *d, const char *s, size_t n)
{
	const struct stopcode *sc;
	uint64_t v;
	size_t k;

	if (problem_line(s, n) || starts(s, n, "!SAC>"))
		return 1;
	if (ci_find(s, n, "% complete"))
		return -1;
	if (starts(s, n, "Stop code:"))
		s += strlen("Stop code:"), n -= strlen("Stop code:"), trim(&s, &n);
	if ((sc = stopcode_by_name(s, n))) {
		if (!d->bc.has_code)
			set_code(d, sc->code, "name");
		return 1;
	}
	if ((k = parse_hex(s, n, UINT64_MAX, &v)) && k == n) {
		if (d->bc.nparams < 4)
			d->bc.param[d->bc.nparams++] = v;
		if (d->bc.nparams == 4)
			d->body_ended = 1;
		return 1;
	}
	text_driver(d, s, n);
	return d->bc.driver[0] && ci_find(s, n, d->bc.driver) ? 1 : 0;
}

/* A line while idle: does a report start here? */
static int idle_line(struct win_detector *d, const char *line, size_t len, const char *s, size_t n,
		     size_t lineno)
{
	struct win_bugcheck bc = {0};

	if (marker_line(d, line, len)) {
		report_start(d, WIN_XML, lineno);
		report_add(d, line, len, lineno);
		return xml_line(d, line, len);
	}
	if (stop_line(s, n, &bc)) {
		report_start(d, WIN_TEXT, lineno);
		d->bc = bc;
		d->certain = d->body_ended = 1;
		report_add(d, line, len, lineno);
		return 1;
	}
	if (starts(s, n, "!SAC>"))
		d->sac_line = lineno;
	if (problem_line(s, n) && d->sac_line && lineno - d->sac_line <= WIN_SAC_WINDOW) {
		report_start(d, WIN_TEXT, lineno);
		d->certain = 1;
		report_add(d, line, len, lineno);
		return 1;
	}
	return 0;
}

int win_detector_line(struct win_detector *d, const char *line, size_t len, size_t lineno)
{
	const char *s = line;
	size_t n = len = len > CONSOLE_LINE_MAX ? CONSOLE_LINE_MAX : len;
	int ret = 0, r;

	trim(&s, &n);
	if (d->state == WIN_XML && boot_line(s, n)) {
		report_complete(d); /* the guest rebooted inside a record */
	} else if (d->state == WIN_XML) {
		report_add(d, line, len, lineno);
		ret = xml_line(d, line, len);
	} else if (d->state == WIN_TEXT) {
		struct win_bugcheck bc = {0};

		int stop = stop_line(s, n, &bc);

		if (stop && !(d->bc.has_code && strcmp(d->bc.code_source, "name"))) {
			/* the old screen: its text first, then the STOP line of the same bugcheck
			 */
			memcpy(bc.driver, d->bc.driver, sizeof(bc.driver));
			d->bc = bc;
			d->body_ended = 1;
			report_add(d, line, len, lineno);
		} else if (boot_line(s, n) || marker_line(d, line, len) || stop) {
			report_complete(d);
			ret = idle_line(d, line, len, s, n, lineno);
		} else if ((r = text_line(d, s, n)) < 0) {
			report_add(d, line, len, lineno);
			report_complete(d);
		} else if (r > 0 || d->slack++ < WIN_TRAILER_SLACK) {
			report_add(d, line, len, lineno);
		} else {
			report_complete(d);
		}
	} else {
		ret = idle_line(d, line, len, s, n, lineno);
	}
	d->carry_len = len < CARRY ? len : CARRY;
	memcpy(d->carry, line + len - d->carry_len, d->carry_len);
	return ret;
}

void win_detector_flush(struct win_detector *d)
{
	report_complete(d);
}

int win_detector_in_report(const struct win_detector *d)
{
	return d->state != WIN_IDLE;
}

int win_detector_body_ended(const struct win_detector *d)
{
	return d->state != WIN_IDLE && d->body_ended;
}

int win_detector_next(struct win_detector *d, struct crash *ret, struct win_bugcheck *ret_bc)
{
	if (!d->qlen)
		return 0;
	*ret = d->q[d->qhead].c;
	if (ret_bc)
		*ret_bc = d->q[d->qhead].bc;
	d->qhead = (d->qhead + 1) % WIN_QUEUE_MAX;
	d->qlen--;
	return 1;
}

static const struct crash_detector_ops win_ops;

struct win_detector *win_detector_new(void)
{
	struct win_detector *d = xcalloc(1, sizeof(*d));

	d->base.ops = &win_ops;
	strbuf_init(&d->xml);
	strbuf_init(&d->report);
	return d;
}

void win_detector_free(struct win_detector *d)
{
	struct crash c;

	if (!d)
		return;
	while (win_detector_next(d, &c, NULL))
		crash_release(&c);
	strbuf_release(&d->xml);
	strbuf_release(&d->report);
	free(d);
}

/* guest.h's interface over the functions above. */
static struct win_detector *outer(const struct crash_detector *cd)
{
	return (struct win_detector *)cd;
}

static int win_feed(struct crash_detector *cd, const char *line, size_t len, size_t lineno)
{
	return win_detector_line(outer(cd), line, len, lineno);
}

static void win_flush(struct crash_detector *cd)
{
	win_detector_flush(outer(cd));
}

static int win_in_report(const struct crash_detector *cd)
{
	return win_detector_in_report(outer(cd));
}

static int win_body_ended(const struct crash_detector *cd)
{
	return win_detector_body_ended(outer(cd));
}

static int win_next(struct crash_detector *cd, struct crash *ret)
{
	return win_detector_next(outer(cd), ret, NULL);
}

static void win_free(struct crash_detector *cd)
{
	win_detector_free(outer(cd));
}

static const struct crash_detector_ops win_ops = {
    .feed_line = win_feed,
    .flush = win_flush,
    .in_report = win_in_report,
    .body_ended = win_body_ended,
    .next = win_next,
    .free = win_free,
};

struct crash_detector *win_crash_detector_new(void)
{
	return &win_detector_new()->base;
}

int win_crash_line(const char *line, size_t len)
{
	const char *s = line;
	size_t n = len;

	trim(&s, &n);
	return ci_find(line, len, MARKER) || ci_find(line, len, "NAME=\"STOPCODE\"") ||
	       starts(s, n, "*** STOP:") || problem_line(s, n);
}
