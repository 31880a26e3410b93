/*
 * escape - the one escaping path per output format for foreign text (guest
 * console lines, QEMU's log, agent messages, strings read back from
 * results.json). Every report writer and every line the harness prints
 * from such text goes through these; nothing else escapes.
 *
 * All of them read their input as UTF-8 and never let through what some
 * reader of their format would take as a line break or refuse:
 *   - invalid UTF-8 bytes (and surrogates, overlong forms) become U+FFFD;
 *   - ANSI CSI sequences (ESC '[' ... final byte) are dropped whole;
 *   - '\r' is dropped;
 *   - C0 controls other than '\t' and '\n', DEL, C1 controls (U+0080..U+009F,
 *     with U+0085 NEL, a YAML 1.1 line break), U+2028 and U+2029 (YAML 1.1
 *     and JavaScript line breaks) and the noncharacters U+FFFE and U+FFFF
 *     (which XML 1.0 and YAML forbid) are "unsafe": each format says what it
 *     makes of them below.
 *
 * Formats:
 *   escape_markup()     HTML and XML 1.0 text and attribute values: & < > " '
 *                       as entities; '\n' and '\t' kept in text, character
 *                       references in attributes (ESCAPE_ATTR); U+2028 and
 *                       U+2029 as character references; other unsafe
 *                       characters as U+FFFD.
 *   escape_tap_line()   a TAP test point's description or a comment's text:
 *                       one line. '#' and '\' get a backslash (TAP
 *                       directives); '\n', '\t', U+0085, U+2028 and U+2029
 *                       become a space, other unsafe characters U+FFFD.
 *   escape_yaml_quoted() the inside of a YAML double-quoted scalar that both
 *                       YAML 1.1 readers (PyYAML) and TAP::Parser's YAMLish
 *                       read the same: '"' and '\' escaped, '\n' and '\t' as
 *                       \n and \t, other C0 controls and DEL as \xHH, other
 *                       unsafe characters U+FFFD.
 *   escape_yaml_line()  one line of a YAML block scalar's content (the caller
 *                       indents it deeper than the block, so no line of it
 *                       can end the block or the TAP13 document): '\t' a
 *                       space, every other unsafe character (including '\n':
 *                       callers split lines first) U+FFFD.
 *   escape_text()       text for a JSON string: only the UTF-8 repair and
 *                       U+FFFE/U+FFFF as U+FFFD (control characters stay:
 *                       the JSON encoder escapes them, and writes every
 *                       non-ASCII character as \uXXXX).
 *   escape_term()       text for a terminal: every unsafe character, '\t' and
 *                       '\n' included, becomes '?', so no escape sequence or
 *                       line of its own reaches the screen.
 * All append to sb; a NULL s appends nothing.
 */
#ifndef BP_ESCAPE_H
#define BP_ESCAPE_H

#include <stddef.h>

#include "util.h"

#define ESCAPE_ATTR 1
void escape_markup(struct strbuf *sb, const char *s, size_t len, int flags);
void escape_markups(struct strbuf *sb, const char *s, int flags);
void escape_tap_line(struct strbuf *sb, const char *s);
void escape_yaml_quoted(struct strbuf *sb, const char *s);
void escape_yaml_line(struct strbuf *sb, const char *s, size_t len);
void escape_text(struct strbuf *sb, const char *s, size_t len);
void escape_term(struct strbuf *sb, const char *s);

/*
 * Decode one UTF-8 character at s (n > 0 bytes available). Returns its
 * length and sets *cp, or returns 0 for an invalid, overlong, surrogate or
 * truncated sequence.
 */
size_t escape_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

/* The unsafe characters above, '\t' and '\n' excepted. */
int escape_is_unsafe(unsigned cp);

#endif
