/*
 * t-console - unit tests of the console sanitizer: the same lines whatever
 * the chunking, CR/LF handling, ANSI escape removal, control bytes, UTF-8
 * repair, the line cap (a 1 MiB line) and line numbering.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "tap.h"
#include "util.h"

/* Every line as "LINENO|TEXT\n", plus checks every line must pass. */
struct transcript {
	struct strbuf out;
	size_t lines;
	size_t longest;
	int bad;	  /* a line that is not valid UTF-8, holds a control byte, or is too long */
	int unterminated; /* line[len] was not NUL */
};

/* An independent UTF-8 validator (RFC 3629), also rejecting C0/C1 controls and DEL. */
static int clean_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t k;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
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
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void collect(void *ctx, const char *line, size_t len, size_t lineno)
{
	struct transcript *t = ctx;

	if (line[len] != '\0')
		t->unterminated = 1;
	if (len > CONSOLE_LINE_MAX || strlen(line) != len ||
	    !clean_utf8((const unsigned char *)line, len))
		t->bad = 1;
	if (len > t->longest)
		t->longest = len;
	t->lines++;
	strbuf_addf(&t->out, "%zu|", lineno);
	strbuf_add(&t->out, line, len);
	strbuf_addch(&t->out, '\n');
}

/* Feed data in chunks of `chunk` bytes (0: all at once) and finish. */
static void run(struct transcript *t, const char *data, size_t len, size_t chunk, int finish)
{
	struct console c;

	memset(t, 0, sizeof(*t));
	strbuf_init(&t->out);
	console_init(&c, collect, t);
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		console_feed(&c, data + off, len - off < chunk ? len - off : chunk);
	if (finish)
		console_finish(&c);
}

static void is_lines(const char *data, size_t len, const char *want, const char *name)
{
	struct transcript whole, bytes;

	run(&whole, data, len, 0, 1);
	run(&bytes, data, len, 1, 1);
	tap_is_str(whole.out.buf, want, name);
	if (!tap_ok(strcmp(whole.out.buf, bytes.out.buf) == 0, "  ... the same fed byte by byte"))
		tap_is_str(bytes.out.buf, whole.out.buf, "  ... byte-by-byte transcript");
	strbuf_release(&whole.out);
	strbuf_release(&bytes.out);
}

#define IS_LINES(lit, want, name) is_lines(lit, sizeof(lit) - 1, want, name)

static void test_chunking(void)
{
	static const char mixed[] =
	    "[    2.318411] BUG: unable to handle page fault\r\n"
	    "\x1b[1;31mred\x1b[0m \x1b]0;title \xc3\xa9\x07"
	    "after osc\r\n"
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad:\xff\xc3\x28\xe2\x82 end\n"
	    "tab\there\x01\x7f\n"
	    "\x1b(B\x1b"
	    "7two-byte\x1b]2;st\x1b\\ok\n"
	    "\n"
	    "no newline at the end \xe2\x82";
	struct transcript ref, t;
	size_t sizes[] = {1, 2, 3, 5, 7, 16, 64, 4095, 4096, 4097};
	int same = 1;

	run(&ref, mixed, sizeof(mixed) - 1, 0, 1);
	tap_is_int((long long)ref.lines, 7, "mixed input gives 7 lines");
	tap_ok(!ref.bad && !ref.unterminated, "every line is NUL-terminated clean UTF-8");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		run(&t, mixed, sizeof(mixed) - 1, sizes[i], 1);
		if (strcmp(t.out.buf, ref.out.buf) != 0) {
			same = 0;
			printf("# chunk size %zu differs:\n%s", sizes[i], t.out.buf);
		}
		strbuf_release(&t.out);
	}
	tap_ok(same, "the same lines for chunk sizes 1..4097");

	/* random chunk boundaries over random garbage */
	{
		size_t n = 256 * 1024;
		char *junk = xmalloc(n);
		struct console c;
		uint32_t x = 12345;
		size_t off = 0;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			junk[i] = (char)(x >> 16);
			if ((x >> 8) % 97 == 0)
				junk[i] = '\n';
			else if ((x >> 8) % 89 == 0)
				junk[i] = '\x1b';
		}
		strbuf_release(&ref.out);
		run(&ref, junk, n, 0, 1);
		memset(&t, 0, sizeof(t));
		strbuf_init(&t.out);
		console_init(&c, collect, &t);
		while (off < n) {
			size_t k;

			x = x * 1103515245 + 12345;
			k = 1 + (x >> 16) % 300;
			if (k > n - off)
				k = n - off;
			console_feed(&c, junk + off, k);
			off += k;
		}
		console_finish(&c);
		tap_ok(strcmp(t.out.buf, ref.out.buf) == 0,
		       "random garbage: random chunking changes nothing");
		tap_ok(!ref.bad && !ref.unterminated, "random garbage: every line is clean UTF-8");
		strbuf_release(&t.out);
		free(junk);
	}
	strbuf_release(&ref.out);
}

static void test_cr_lf(void)
{
	IS_LINES("a\r\nb\rc\n\r\n", "1|a\n2|b\n2|c\n3|\n",
		 "CRLF is one line end, a lone CR ends a segment numbered as its line");
	IS_LINES("progress 10%\rprogress 100%\r\n", "1|progress 10%\n1|progress 100%\n",
		 "carriage-return overwrites become segments of their own");
	IS_LINES("\r\r\rx\r\r\n", "1|x\n", "empty segments are not emitted");
	IS_LINES("50%\r[    2.0] BUG: x\n", "1|50%\n1|[    2.0] BUG: x\n",
		 "kernel text after a progress bar starts a segment");
}

static void test_escapes(void)
{
	IS_LINES("\x1b[31mred\x1b[0m\n", "1|red\n", "CSI SGR removed");
	IS_LINES("\x1b[1;31;40mX\x1b[?25l\x1b[2J\x1b[HY\n", "1|XY\n",
		 "CSI with parameters removed");
	IS_LINES("\x1b]0;window title\x07x\n", "1|x\n", "OSC ended by BEL removed");
	IS_LINES("\x1b]2;t\x1b\\y\n", "1|y\n", "OSC ended by ST removed");
	IS_LINES("\x1b]0;t\xc3\xaftle\x07ok\n", "1|ok\n", "OSC holding UTF-8 removed");
	IS_LINES("\x1bP1$r0m\x1b\\z\n", "1|z\n", "DCS string removed");
	IS_LINES("A\x1b"
		 "cB\x1b"
		 "7C\x1b(BD\x1b=E\n",
		 "1|ABCDE\n", "two-byte and charset escapes removed");
	IS_LINES("\x1b[31\nX\n", "1|\n2|X\n", "a newline ends an unfinished CSI");
	IS_LINES("\x1b]0;never ends\nnext\n", "1|\n2|next\n", "a newline ends an unfinished OSC");
	IS_LINES("a\x1b[1\x18"
		 "b\n",
		 "1|ab\n", "CAN aborts a sequence");
	IS_LINES("\x1b\x1b[0mq\n", "1|q\n", "ESC ESC restarts the sequence");
}

static void test_controls(void)
{
	static const char in[] = "a\x01"
				 "b\x7f"
				 "c\td\0e\x08"
				 "f\x07g\n";

	is_lines(in, sizeof(in) - 1,
		 "1|abc de"
		 "fg\n",
		 "control bytes dropped, TAB becomes a space, NUL dropped");
}

static void test_utf8(void)
{
	IS_LINES("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n",
		 "1|caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", "valid UTF-8 kept");
	IS_LINES("\xff\xfe\n", "1|??\n", "invalid bytes become '?'");
	IS_LINES("\xc3\x28\n", "1|?(\n",
		 "a lead byte without continuation: '?' and the byte after kept");
	IS_LINES("\xc0\xaf\n", "1|??\n", "overlong encoding rejected");
	IS_LINES("\xe0\x80\xaf\n", "1|???\n", "overlong 3-byte encoding rejected");
	IS_LINES("\xed\xa0\x80\n", "1|???\n", "UTF-16 surrogate rejected");
	IS_LINES("\xf4\x90\x80\x80\n", "1|????\n", "code point above U+10FFFF rejected");
	IS_LINES("\xe2\x82\n", "1|?\n", "a sequence cut by the newline is one '?'");
	IS_LINES("\xe2\x82"
		 "A\n",
		 "1|?A\n", "a sequence cut by ASCII is one '?'");
	IS_LINES("a\xc2\x9b"
		 "b\xc2\x85"
		 "c\n",
		 "1|abc\n", "C1 controls (U+0080..U+009F) dropped");
	IS_LINES("\x9b"
		 "31m\n",
		 "1|?31m\n", "a raw 8-bit CSI is not an escape");
	IS_LINES("\xe2\x1b[0m\x82\n", "1|??\n", "an escape inside a sequence breaks it");
}

static void test_long_lines(void)
{
	size_t big = 1024 * 1024;
	struct strbuf in = STRBUF_INIT;
	struct transcript t;
	const char *second;

	strbuf_grow(&in, big + 64);
	for (size_t i = 0; i < big; i++)
		strbuf_addch(&in, (char)('a' + i % 26));
	strbuf_adds(&in, "\nnext line\n");

	for (size_t chunk = 0; chunk <= 1; chunk++) {
		run(&t, in.buf, in.len, chunk ? 1 : 65536, 1);
		tap_is_int((long long)t.lines, 257,
			   chunk ? "1 MiB line byte by byte: 256 chunks and a line"
				 : "1 MiB line: 256 chunks and a line");
		tap_is_int((long long)t.longest, CONSOLE_LINE_MAX,
			   "  ... each chunk at most CONSOLE_LINE_MAX");
		tap_ok(strncmp(t.out.buf, "1|abcdefghij", 12) == 0, "  ... keeping its start");
		second = strstr(t.out.buf, "\n2|");
		tap_is_str(second, "\n2|next line\n", "  ... and the next line intact, numbered 2");
		strbuf_release(&t.out);
	}
	strbuf_release(&in);

	/* the cap never splits a character */
	strbuf_init(&in);
	for (int i = 0; i < CONSOLE_LINE_MAX - 1; i++)
		strbuf_addch(&in, 'a');
	strbuf_adds(&in, "\xc3\xa9tail\n");
	run(&t, in.buf, in.len, 0, 1);
	tap_is_int((long long)t.longest, CONSOLE_LINE_MAX - 1,
		   "a 2-byte character that does not fit is not split");
	tap_ok(!t.bad, "  ... so each chunk is valid UTF-8");
	tap_ok(strstr(t.out.buf, "\n1|\xc3\xa9tail\n") != NULL, "  ... it starts the next chunk");
	strbuf_release(&t.out);
	strbuf_release(&in);

	strbuf_init(&in);
	for (int i = 0; i < CONSOLE_LINE_MAX; i++)
		strbuf_addch(&in, 'b');
	strbuf_adds(&in, "\n");
	run(&t, in.buf, in.len, 0, 1);
	tap_is_int((long long)t.longest, CONSOLE_LINE_MAX,
		   "a line of exactly CONSOLE_LINE_MAX bytes is whole");
	strbuf_release(&t.out);
	strbuf_release(&in);
}

/* A printk timestamp at the 4 KiB limit is not split: the chunk is cut before it. */
static void test_chunk_carry(void)
{
	struct strbuf in = STRBUF_INIT;
	struct transcript t;
	const char *stamp = "[  123.456789] BUG: unable to handle page fault for address: 0";

	for (int i = 0; i < CONSOLE_LINE_MAX - 20; i++)
		strbuf_addch(&in, 'u');
	strbuf_adds(&in, stamp);
	strbuf_adds(&in, " tail\n");
	run(&t, in.buf, in.len, 0, 1);
	tap_is_int((long long)t.lines, 2, "a timestamp across the 4 KiB limit: 2 chunks");
	tap_ok(strstr(t.out.buf, "\n1|[  123.456789] BUG: unable to handle page fault") != NULL,
	       "  ... the second starts with the whole timestamp");
	tap_ok(!t.bad, "  ... both clean");
	strbuf_release(&t.out);
	strbuf_release(&in);
}

static void test_line_numbers(void)
{
	struct transcript t;
	struct console c;
	static const char in[] = "a\n\nb\n";
	struct strbuf big = STRBUF_INIT;

	IS_LINES(in, "1|a\n2|\n3|b\n", "empty lines are emitted and counted");

	for (int i = 0; i < 3 * CONSOLE_LINE_MAX; i++)
		strbuf_addch(&big, 'x');
	strbuf_adds(&big, "\n\x1b[0m\nlast\n");
	run(&t, big.buf, big.len, 0, 1);
	tap_like(t.out.buf, "\n2|\n3|last\n",
		 "numbering counts raw newlines, after an overlong line too");
	strbuf_release(&t.out);
	strbuf_release(&big);

	/* an unterminated line waits for console_finish */
	memset(&t, 0, sizeof(t));
	strbuf_init(&t.out);
	console_init(&c, collect, &t);
	console_feed(&c, "one\ntwo\ntail", 12);
	tap_is_str(t.out.buf, "1|one\n2|two\n", "a partial line is held back");
	console_finish(&c);
	tap_is_str(t.out.buf, "1|one\n2|two\n3|tail\n", "console_finish emits it with its number");
	console_finish(&c);
	tap_is_int((long long)t.lines, 3, "a second finish emits nothing");
	console_feed(&c, "more\n", 5);
	tap_is_str(t.out.buf, "1|one\n2|two\n3|tail\n4|more\n",
		   "feeding after finish continues the numbering");
	strbuf_release(&t.out);

	run(&t, "abc\xe2\x82", 5, 0, 1);
	tap_is_str(t.out.buf, "1|abc?\n", "finish turns a pending partial character into '?'");
	strbuf_release(&t.out);
	run(&t, "x\n\x1b[0m\r", 7, 0, 1);
	tap_is_str(t.out.buf, "1|x\n", "finish does not emit a line with nothing in it");
	strbuf_release(&t.out);
}

int main(void)
{
	test_chunking();
	test_cr_lf();
	test_escapes();
	test_controls();
	test_utf8();
	test_long_lines();
	test_chunk_carry();
	test_line_numbers();
	return tap_done();
}
