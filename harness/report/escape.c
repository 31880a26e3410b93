/*
 * escape - one walker over UTF-8 text, and per format what it makes of each
 * character (see escape.h).
 */
#include "escape.h"

#include <stdio.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define CP_INVALID 0x110000u       /* an invalid byte, never a character */

size_t escape_utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int escape_is_unsafe(unsigned cp)
{
	if (cp == '\t' || cp == '\n')
		return 0;
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0xfffe || cp == 0xffff || cp >= CP_INVALID;
}

static int is_break(unsigned cp)
{
	return cp == '\n' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

/*
 * What a format makes of one character (CP_INVALID for an invalid byte):
 * NULL to copy it as it is, else its replacement (buf may hold it).
 */
typedef const char *escape_fn(unsigned cp, int flags, char buf[16]);

/* An ANSI CSI sequence at p: its length, or 0. */
static size_t csi_len(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p + 2;

	if (p + 1 >= end || p[0] != 0x1b || p[1] != '[')
		return 0;
	while (q < end && *q >= 0x20 && *q <= 0x3f)
		q++;
	return q < end && *q >= 0x40 && *q <= 0x7e ? (size_t)(q + 1 - p) : 0;
}

static void walk(struct strbuf *sb, const char *s, size_t len, escape_fn *fn, int flags)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char buf[16];

	if (!s)
		return;
	strbuf_grow(sb, len + len / 8);
	while (p < end) {
		unsigned cp = CP_INVALID;
		size_t n = escape_utf8_decode(p, (size_t)(end - p), &cp), skip = csi_len(p, end);
		const char *rep;

		if (skip || *p == '\r') {
			p += skip ? skip : 1;
			continue;
		}
		if (!n) {
			cp = CP_INVALID;
			n = 1;
		}
		rep = fn(cp, flags, buf);
		if (rep)
			strbuf_adds(sb, rep);
		else
			strbuf_add(sb, p, n);
		p += n;
	}
}

static const char *markup_fn(unsigned cp, int flags, char buf[16])
{
	switch (cp) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	case '\n':
		return flags & ESCAPE_ATTR ? "&#10;" : NULL;
	case '\t':
		return flags & ESCAPE_ATTR ? "&#9;" : NULL;
	case 0x2028:
	case 0x2029:
		snprintf(buf, 16, "&#x%X;", cp);
		return buf;
	}
	return escape_is_unsafe(cp) ? REPLACEMENT : NULL;
}

void escape_markup(struct strbuf *sb, const char *s, size_t len, int flags)
{
	walk(sb, s, len, markup_fn, flags);
}

void escape_markups(struct strbuf *sb, const char *s, int flags)
{
	if (s)
		walk(sb, s, strlen(s), markup_fn, flags);
}

static const char *tap_fn(unsigned cp, int flags, char buf[16])
{
	if (cp == '#')
		return "\\#";
	if (cp == '\\')
		return "\\\\";
	if (cp == '\t' || is_break(cp))
		return " ";
	return escape_is_unsafe(cp) ? REPLACEMENT : NULL;
}

void escape_tap_line(struct strbuf *sb, const char *s)
{
	if (s)
		walk(sb, s, strlen(s), tap_fn, 0);
}

static const char *yaml_quoted_fn(unsigned cp, int flags, char buf[16])
{
	switch (cp) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	}
	if (cp < 0x20 || cp == 0x7f) {
		snprintf(buf, 16, "\\x%02x", cp);
		return buf;
	}
	return escape_is_unsafe(cp) ? REPLACEMENT : NULL;
}

void escape_yaml_quoted(struct strbuf *sb, const char *s)
{
	if (s)
		walk(sb, s, strlen(s), yaml_quoted_fn, 0);
}

static const char *yaml_line_fn(unsigned cp, int flags, char buf[16])
{
	if (cp == '\t')
		return " ";
	return cp == '\n' || escape_is_unsafe(cp) ? REPLACEMENT : NULL;
}

void escape_yaml_line(struct strbuf *sb, const char *s, size_t len)
{
	walk(sb, s, len, yaml_line_fn, 0);
}

static const char *text_fn(unsigned cp, int flags, char buf[16])
{
	return cp >= CP_INVALID || cp == 0xfffe || cp == 0xffff ? REPLACEMENT : NULL;
}

void escape_text(struct strbuf *sb, const char *s, size_t len)
{
	walk(sb, s, len, text_fn, 0);
}

static const char *term_fn(unsigned cp, int flags, char buf[16])
{
	return cp == '\t' || cp == '\n' || escape_is_unsafe(cp) ? "?" : NULL;
}

void escape_term(struct strbuf *sb, const char *s)
{
	if (s)
		walk(sb, s, strlen(s), term_fn, 0);
}
