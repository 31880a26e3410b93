/*
 * console - turns the untrusted byte stream of a guest's serial console into
 * sanitized lines.
 *
 * Bytes go in as they arrive (any chunking); complete lines come out through
 * the callback, in order, each numbered by its 1-based line in the raw stream
 * (counting '\n'). Sanitizing: ANSI escape sequences (CSI, OSC, two-byte ESC)
 * removed, other control bytes dropped (TAB becomes a space), invalid UTF-8
 * bytes replaced by '?', so every emitted line is valid UTF-8 with no control
 * characters.
 *
 * Nothing the guest sends is discarded, so a kernel message printed into the
 * middle of user output is still seen, while memory stays bounded:
 *  - a '\r' that is not followed by '\n' (a progress bar redrawing its line)
 *    ends a segment: the text before it is emitted as a line of its own, with
 *    the same line number as the rest of its raw line ("\r\n" is a plain line
 *    end; empty segments are not emitted);
 *  - a line longer than CONSOLE_LINE_MAX bytes is emitted in chunks of at
 *    most CONSOLE_LINE_MAX bytes, all with the line's number. A chunk is cut
 *    before the last '[' in its final CONSOLE_CARRY_MAX bytes, if any (so a
 *    printk timestamp is not split), else at the limit; never inside a UTF-8
 *    character.
 * The raw bytes are not kept here: whoever needs the raw log writes it.
 *
 * A '\n' always ends the line, even inside an unfinished escape sequence or
 * UTF-8 character (which then becomes '?'), so garbage costs at most the rest
 * of its line. The line passed to the callback is NUL-terminated (line[len])
 * and valid until the callback returns. Empty lines are emitted too.
 */
#ifndef BP_CONSOLE_H
#define BP_CONSOLE_H

#include <stddef.h>

#define CONSOLE_LINE_MAX 4096
#define CONSOLE_CARRY_MAX 256

typedef void (*console_line_fn)(void *ctx, const char *line, size_t len, size_t lineno);

struct console {
	console_line_fn on_line;
	void *ctx;
	/* private */
	char line[CONSOLE_LINE_MAX + 8];
	size_t len;
	size_t lineno;
	int esc_state;
	int cr;	   /* a '\r' was the last byte */
	int parts; /* segments and chunks of this line emitted so far */
	unsigned char utf8[4];
	int utf8_have, utf8_need;
};

void console_init(struct console *c, console_line_fn on_line, void *ctx);
void console_feed(struct console *c, const char *buf, size_t len);
/*
 * End of stream: emits a final unterminated line, if it has any content, and
 * drops an open escape sequence. Feeding may continue afterwards; an emitted
 * final line counts as a line for the numbering.
 */
void console_finish(struct console *c);

#endif
