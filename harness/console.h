/*
 * console - turns the untrusted byte stream of a guest's serial console into
 * sanitized lines.
 *
 * Bytes go in as they arrive (any chunking); complete lines come out through
 * the callback, in order, each numbered by its 1-based line in the raw stream
 * (counting '\n'). Sanitizing: '\r' dropped, ANSI escape sequences (CSI, OSC,
 * two-byte ESC) removed, other control bytes dropped (TAB becomes a space),
 * invalid UTF-8 bytes replaced by '?', so every emitted line is valid UTF-8
 * with no control characters. A line longer than CONSOLE_LINE_MAX bytes is
 * cut there (never inside a UTF-8 character); the rest of it up to the
 * newline is discarded, so memory stays bounded whatever the guest sends.
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

typedef void (*console_line_fn)(void *ctx, const char *line, size_t len, size_t lineno);

struct console {
	console_line_fn on_line;
	void *ctx;
	/* private */
	char line[CONSOLE_LINE_MAX + 8];
	size_t len;
	size_t lineno;
	int esc_state;
	int overlong;
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
