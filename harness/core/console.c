/*
 * console - sanitizes a guest's serial console into lines. The guest is
 * untrusted: it may send any bytes in any chunking, escape sequences that
 * never end, invalid UTF-8 and lines of any length. This module keeps a fixed
 * amount of state per console (one line buffer, a small escape-sequence state
 * machine and at most one pending UTF-8 sequence) and never allocates.
 *
 * Each input byte goes through, in order: the newline check (a '\n' always
 * ends the line, whatever state the parser is in, so a broken escape sequence
 * costs at most the rest of its line), the carriage-return check (a '\r' not
 * followed by '\n' ends a segment, emitted as a line of its own), the UTF-8
 * decoder, the escape-sequence parser, and the control filter. A full buffer
 * is emitted as a chunk and the line goes on in the next one.
 */
#include "console.h"

#include <string.h>

enum {
	ESC_NONE,
	ESC_ESC,     /* after ESC */
	ESC_INTER,   /* ESC + intermediate bytes (0x20-0x2f), waiting for the final byte */
	ESC_CSI,     /* ESC [ parameters, waiting for the final byte 0x40-0x7e */
	ESC_STR,     /* OSC / DCS / SOS / PM / APC body, ended by BEL or ST (ESC \) */
	ESC_STR_ESC, /* ESC inside a string: '\' ends it */
};

void console_init(struct console *c, console_line_fn on_line, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->on_line = on_line;
	c->ctx = ctx;
}

/* Hand the first n bytes of the buffer to the callback as a line numbered lineno + 1. */
static void emit(struct console *c, size_t n)
{
	char save = c->line[n];

	c->line[n] = '\0';
	if (c->on_line)
		c->on_line(c->ctx, c->line, n, c->lineno + 1);
	c->line[n] = save;
	c->parts++;
	memmove(c->line, c->line + n, c->len - n);
	c->len -= n;
}

/*
 * The buffer is full in the middle of a line: emit a chunk and keep going, so
 * a kernel message printed into a long line is still seen. The cut goes
 * before the last '[' near the end (a printk timestamp that would straddle
 * the cut moves whole into the next chunk), else at the end; never inside a
 * UTF-8 character (only whole characters are ever stored).
 */
static void emit_chunk(struct console *c)
{
	size_t cut = c->len;

	for (size_t i = c->len; i > CONSOLE_LINE_MAX - CONSOLE_CARRY_MAX; i--)
		if (c->line[i - 1] == '[') {
			cut = i - 1;
			break;
		}
	emit(c, cut);
}

/* Append n bytes (one character); a full buffer is emitted as a chunk first. */
static void put(struct console *c, const unsigned char *s, size_t n)
{
	if (c->len + n > CONSOLE_LINE_MAX)
		emit_chunk(c);
	memcpy(c->line + c->len, s, n);
	c->len += n;
}

static void put_replacement(struct console *c)
{
	static const unsigned char q = '?';

	put(c, &q, 1);
}

/* A pending UTF-8 sequence was cut short: it stands for one '?'. */
static void utf8_abort(struct console *c)
{
	if (!c->utf8_need)
		return;
	put_replacement(c);
	c->utf8_have = c->utf8_need = 0;
}

static void end_line(struct console *c)
{
	utf8_abort(c);
	if (c->len || !c->parts)
		emit(c, c->len); /* an empty last segment is no line of its own */
	c->lineno++;
	c->cr = 0;
	c->parts = 0;
	c->esc_state = ESC_NONE;
}

/* A '\r' followed by more than '\n': what came before it is a segment of its own. */
static void end_segment(struct console *c)
{
	c->cr = 0;
	utf8_abort(c);
	if (c->len)
		emit(c, c->len);
}

/* Is b acceptable as the next byte of the pending sequence? (RFC 3629 table) */
static int utf8_next_ok(const struct console *c, unsigned char b)
{
	unsigned char lead = c->utf8[0];

	if (c->utf8_have == 1) {
		if (lead == 0xe0)
			return b >= 0xa0 && b <= 0xbf; /* no overlong 3-byte forms */
		if (lead == 0xed)
			return b >= 0x80 && b <= 0x9f; /* no surrogates */
		if (lead == 0xf0)
			return b >= 0x90 && b <= 0xbf; /* no overlong 4-byte forms */
		if (lead == 0xf4)
			return b >= 0x80 && b <= 0x8f; /* nothing above U+10FFFF */
	}
	return b >= 0x80 && b <= 0xbf;
}

static void utf8_complete(struct console *c)
{
	/* U+0080..U+009F (C1 controls) are encoded C2 80..C2 9F: drop them. */
	if (!(c->utf8_need == 2 && c->utf8[0] == 0xc2 && c->utf8[1] <= 0x9f))
		put(c, c->utf8, (size_t)c->utf8_need);
	c->utf8_have = c->utf8_need = 0;
}

/* Start a multi-byte character, or replace an invalid byte. */
static void utf8_start(struct console *c, unsigned char b)
{
	int need;

	if (b >= 0xc2 && b <= 0xdf)
		need = 2;
	else if (b >= 0xe0 && b <= 0xef)
		need = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		need = 4;
	else {
		put_replacement(c); /* continuation byte without a lead, C0, C1, F5..FF */
		return;
	}
	c->utf8[0] = b;
	c->utf8_have = 1;
	c->utf8_need = need;
}

/* One ASCII byte while an escape sequence is open. */
static void escape_byte(struct console *c, unsigned char b)
{
	if (b == 0x18 || b == 0x1a) { /* CAN, SUB abort any sequence */
		c->esc_state = ESC_NONE;
		return;
	}
	switch (c->esc_state) {
	case ESC_STR_ESC:
		if (b == '\\') {
			c->esc_state = ESC_NONE;
			return;
		}
		/* an ESC that is not ST ends the string and starts a new sequence */
		c->esc_state = ESC_ESC;
		/* fall through */
	case ESC_ESC:
		if (b == 0x1b)
			c->esc_state = ESC_ESC;
		else if (b == '[')
			c->esc_state = ESC_CSI;
		else if (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_')
			c->esc_state = ESC_STR;
		else if (b >= 0x20 && b <= 0x2f)
			c->esc_state = ESC_INTER;
		else if (b >= 0x30 && b <= 0x7e)
			c->esc_state = ESC_NONE; /* two-byte sequence */
		/* other controls inside a sequence are ignored */
		return;
	case ESC_INTER:
		if (b == 0x1b)
			c->esc_state = ESC_ESC;
		else if (b >= 0x30 && b <= 0x7e)
			c->esc_state = ESC_NONE;
		return;
	case ESC_CSI:
		if (b == 0x1b)
			c->esc_state = ESC_ESC;
		else if (b >= 0x40 && b <= 0x7e)
			c->esc_state = ESC_NONE;
		return;
	case ESC_STR:
		if (b == 0x07)
			c->esc_state = ESC_NONE;
		else if (b == 0x1b)
			c->esc_state = ESC_STR_ESC;
		return;
	}
}

static void feed_byte(struct console *c, unsigned char b)
{
	if (b == '\n') {
		end_line(c);
		return;
	}
	if (c->cr)
		end_segment(c);
	if (b == '\r' && c->esc_state == ESC_NONE) {
		c->cr = 1; /* a segment ends here unless '\n' follows (CRLF) */
		return;
	}
	if (c->utf8_need) {
		if (utf8_next_ok(c, b)) {
			c->utf8[c->utf8_have++] = b;
			if (c->utf8_have == c->utf8_need)
				utf8_complete(c);
			return;
		}
		utf8_abort(c); /* and look at b afresh */
	}
	if (b >= 0x80 && c->esc_state == ESC_STR)
		return; /* string bodies (an OSC window title, say) may hold UTF-8 */
	if (b >= 0x80) {
		/* other escape sequences are ASCII: a high byte ends one */
		c->esc_state = ESC_NONE;
		utf8_start(c, b);
		return;
	}
	if (c->esc_state != ESC_NONE) {
		escape_byte(c, b);
		return;
	}
	if (b == 0x1b) {
		c->esc_state = ESC_ESC;
		return;
	}
	if (b == '\t')
		b = ' ';
	if (b < 0x20 || b == 0x7f)
		return; /* '\r', BEL, BS, NUL, DEL, ... */
	put(c, &b, 1);
}

void console_feed(struct console *c, const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;

	for (size_t i = 0; i < len; i++)
		feed_byte(c, p[i]);
}

void console_finish(struct console *c)
{
	if (c->len || c->utf8_need)
		end_line(c);
	c->cr = 0;
	c->esc_state = ESC_NONE;
}
