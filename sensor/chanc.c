/*
 * chanc - the bootproof channel-file compiler.
 *
 * Turns the readable channel source format (scenarios/content/NAME.chan) into
 * the binary channel files the reference sensor loads (*.sys). Both formats
 * are documented in sensor/FORMAT.md; the sensor's parser is in
 * sensor/interp/interp.c and the two must agree.
 *
 *   chanc -o OUT.sys IN.chan
 *
 * Errors are reported as FILE:LINE:COL: message on stderr, every error in
 * the file rather than only the first, and exit status 2. The output is
 * written to a temporary file and renamed into place, so a failed or
 * interrupted run never leaves a half-written channel file behind.
 *
 * A few test-only directives (truncate-at, magic, format-version,
 * field-count, instance-count) deliberately produce malformed files, so
 * the fixtures for the sensor's content-error paths are compiled like any
 * other content instead of being hand-edited binaries.
 *
 * Plain C, no external libraries: the Makefile links it alone.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Binary format constants; keep in step with sensor/interp/interp.h. */
#define CF_MAGIC "BPCF"
#define CF_FORMAT_VERSION 1
#define CF_KIND_WILDCARD 0
#define CF_KIND_EQUALS 1
#define CF_KIND_PREFIX 2
#define CF_MAX_INSTANCES 4096
#define CF_MAX_CRITERION 1024
#define CF_MAX_FIELDS 255

#define MAX_ERRORS 20
#define MAX_TOKENS 8

struct template_type {
	const char *name;
	unsigned int id;
	unsigned int nfields;
};

/* The template types the reference sensor knows, by the name sources use. */
static const struct template_type template_types[] = {
    {"ipc", 1, 21},
};

struct criterion {
	unsigned char kind;
	size_t len;
	char *str;
	unsigned int line; /* where it was set, 0 = unset (a wildcard) */
};

struct compiler {
	const char *path;
	unsigned int line;
	unsigned int errors;

	/* header */
	int have_channel;
	unsigned long channel;
	const struct template_type *tmpl;
	unsigned int nfields; /* from the template, or field-count */

	/* test-only overrides */
	char magic[4];
	long format_version; /* -1 = the real one */
	long field_count;    /* -1 = the template's */
	long instance_count; /* -1 = the real count */
	long truncate_at;    /* -1 = no truncation */

	struct criterion *crit; /* ninstances rows of nfields */
	unsigned int ninstances;
};

enum token_type { TOK_WORD, TOK_STRING, TOK_EQ, TOK_PREFIX, TOK_STAR };

struct token {
	enum token_type type;
	const char *start; /* for WORD and STRING: the text, not NUL-terminated */
	size_t len;
	unsigned int col;
};

struct buf {
	unsigned char *data;
	size_t len, cap;
};

static __attribute__((format(printf, 3, 4))) void error_at(struct compiler *c, unsigned int col,
							   const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	if (c->errors > MAX_ERRORS)
		return;
	fprintf(stderr, "%s:%u:%u: ", c->path, c->line, col);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int buf_grow(struct buf *b, size_t more)
{
	size_t cap;
	unsigned char *p;

	if (more <= b->cap - b->len)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static int buf_u8(struct buf *b, unsigned int v)
{
	unsigned char x = v & 0xff;

	return buf_add(b, &x, 1);
}

/* The format is little-endian whatever the host is. */
static int buf_u16(struct buf *b, unsigned int v)
{
	unsigned char x[2] = {v & 0xff, (v >> 8) & 0xff};

	return buf_add(b, x, sizeof(x));
}

static int buf_u32(struct buf *b, unsigned long v)
{
	unsigned char x[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};

	return buf_add(b, x, sizeof(x));
}

static int is_word_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-';
}

/* Split one line into tokens; returns the count or -1 after reporting an error. */
static int tokenize(struct compiler *c, const char *line, struct token *tok)
{
	const char *p = line;
	int n = 0;

	for (;;) {
		struct token t;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		t.col = (unsigned int)(p - line) + 1;
		if (*p == '"') {
			const char *q = ++p;

			/* Strings are literal: a backslash is an ordinary character. */
			while (*q && *q != '"' && *q != '\n' && *q != '\r')
				q++;
			if (*q != '"') {
				error_at(c, t.col, "unterminated string");
				return -1;
			}
			t.type = TOK_STRING;
			t.start = p;
			t.len = (size_t)(q - p);
			p = q + 1;
		} else if (*p == '=') {
			t.type = TOK_EQ;
			t.start = p++;
			t.len = 1;
		} else if (p[0] == '^' && p[1] == '=') {
			t.type = TOK_PREFIX;
			t.start = p;
			t.len = 2;
			p += 2;
		} else if (*p == '*') {
			t.type = TOK_STAR;
			t.start = p++;
			t.len = 1;
		} else if (is_word_char((unsigned char)*p)) {
			t.type = TOK_WORD;
			t.start = p;
			while (is_word_char((unsigned char)*p))
				p++;
			t.len = (size_t)(p - t.start);
		} else {
			error_at(c, t.col, "unexpected character '%c'", *p);
			return -1;
		}
		if (n == MAX_TOKENS) {
			error_at(c, t.col, "too many words on one line");
			return -1;
		}
		tok[n++] = t;
	}
}

static int word_is(const struct token *t, const char *s)
{
	return t->type == TOK_WORD && t->len == strlen(s) && !memcmp(t->start, s, t->len);
}

/* Parse a decimal (or 0x hex) number token in [min, max]. */
static int number(struct compiler *c, const struct token *t, const char *what, unsigned long min,
		  unsigned long max, unsigned long *ret)
{
	char text[32], *end;
	unsigned long v;

	if (t->type != TOK_WORD || t->len >= sizeof(text) || t->start[0] == '-') {
		error_at(c, t->col, "%s: expected a number", what);
		return -1;
	}
	memcpy(text, t->start, t->len);
	text[t->len] = '\0';
	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || *end || end == text) {
		error_at(c, t->col, "%s: '%s' is not a number", what, text);
		return -1;
	}
	if (v < min || v > max) {
		error_at(c, t->col, "%s: %lu is out of range %lu..%lu", what, v, min, max);
		return -1;
	}
	*ret = v;
	return 0;
}

static int expect_args(struct compiler *c, const struct token *tok, int n, int want,
		       const char *usage)
{
	if (n == want)
		return 0;
	error_at(c, n > want ? tok[want].col : tok[0].col, "usage: %s", usage);
	return -1;
}

/* Header directives must come before the first instance: they fix the layout. */
static int header_allowed(struct compiler *c, const struct token *t)
{
	if (!c->ninstances)
		return 0;
	error_at(c, t->col, "'%.*s' must come before the first instance", (int)t->len, t->start);
	return -1;
}

static int do_instance(struct compiler *c, const struct token *tok, int n)
{
	struct criterion *crit;
	size_t row;

	if (expect_args(c, tok, n, 1, "instance") < 0)
		return -1;
	if (!c->tmpl) {
		error_at(c, tok[0].col, "'template' must come before the first instance");
		return -1;
	}
	if (c->ninstances == CF_MAX_INSTANCES) {
		error_at(c, tok[0].col, "more than %d instances", CF_MAX_INSTANCES);
		return -1;
	}
	row = c->nfields;
	crit = realloc(c->crit, (c->ninstances + 1) * row * sizeof(*crit));
	if (!crit) {
		error_at(c, tok[0].col, "out of memory");
		return -1;
	}
	memset(crit + c->ninstances * row, 0, row * sizeof(*crit));
	c->crit = crit;
	c->ninstances++;
	return 0;
}

static int do_field(struct compiler *c, const struct token *tok, int n)
{
	const char *usage = "field N = \"text\" | field N ^= \"prefix\" | field N = *";
	unsigned long idx;
	struct criterion *cr;
	unsigned char kind;

	if (n != 4) {
		error_at(c, tok[n > 4 ? 4 : 0].col, "usage: %s", usage);
		return -1;
	}
	if (!c->ninstances) {
		error_at(c, tok[0].col, "'field' outside an instance (start one with 'instance')");
		return -1;
	}
	if (number(c, &tok[1], "field", 1, c->nfields, &idx) < 0)
		return -1;
	if (tok[2].type == TOK_EQ)
		kind = CF_KIND_EQUALS;
	else if (tok[2].type == TOK_PREFIX)
		kind = CF_KIND_PREFIX;
	else {
		error_at(c, tok[2].col, "expected '=' or '^='");
		return -1;
	}
	if (tok[3].type == TOK_STAR ||
	    (tok[3].type == TOK_STRING && tok[3].len == 1 && tok[3].start[0] == '*')) {
		if (kind != CF_KIND_EQUALS) {
			error_at(c, tok[3].col, "a wildcard is written 'field N = *'");
			return -1;
		}
		kind = CF_KIND_WILDCARD;
	} else if (tok[3].type != TOK_STRING) {
		error_at(c, tok[3].col, "expected a quoted string or *");
		return -1;
	}
	if (kind != CF_KIND_WILDCARD && tok[3].len > CF_MAX_CRITERION) {
		error_at(c, tok[3].col, "criterion longer than %d bytes", CF_MAX_CRITERION);
		return -1;
	}

	cr = &c->crit[(c->ninstances - 1) * c->nfields + (idx - 1)];
	if (cr->line) {
		error_at(c, tok[1].col, "field %lu already set on line %u", idx, cr->line);
		return -1;
	}
	cr->line = c->line;
	cr->kind = kind;
	if (kind != CF_KIND_WILDCARD) {
		cr->str = malloc(tok[3].len + 1);
		if (!cr->str) {
			error_at(c, tok[3].col, "out of memory");
			return -1;
		}
		memcpy(cr->str, tok[3].start, tok[3].len);
		cr->str[tok[3].len] = '\0';
		cr->len = tok[3].len;
	}
	return 0;
}

static int do_line(struct compiler *c, const char *line)
{
	struct token tok[MAX_TOKENS];
	unsigned long v;
	int n;

	n = tokenize(c, line, tok);
	if (n <= 0)
		return n;
	if (tok[0].type != TOK_WORD) {
		error_at(c, tok[0].col, "expected a directive");
		return -1;
	}

	if (word_is(&tok[0], "instance"))
		return do_instance(c, tok, n);
	if (word_is(&tok[0], "field"))
		return do_field(c, tok, n);

	if (header_allowed(c, &tok[0]) < 0)
		return -1;
	if (word_is(&tok[0], "channel")) {
		if (expect_args(c, tok, n, 2, "channel NUMBER") < 0 ||
		    number(c, &tok[1], "channel", 0, 0xffffffffUL, &v) < 0)
			return -1;
		if (c->have_channel) {
			error_at(c, tok[0].col, "channel given twice");
			return -1;
		}
		c->have_channel = 1;
		c->channel = v;
		return 0;
	}
	if (word_is(&tok[0], "template")) {
		size_t i;

		if (expect_args(c, tok, n, 2, "template NAME") < 0)
			return -1;
		if (c->tmpl) {
			error_at(c, tok[0].col, "template given twice");
			return -1;
		}
		for (i = 0; i < sizeof(template_types) / sizeof(template_types[0]); i++) {
			if (word_is(&tok[1], template_types[i].name)) {
				c->tmpl = &template_types[i];
				if (c->field_count < 0)
					c->nfields = c->tmpl->nfields;
				return 0;
			}
		}
		error_at(c, tok[1].col, "unknown template type '%.*s' (known: ipc)",
			 (int)tok[1].len, tok[1].start);
		return -1;
	}

	/* Test-only directives: they make deliberately malformed files. */
	if (word_is(&tok[0], "truncate-at")) {
		if (expect_args(c, tok, n, 2, "truncate-at BYTES") < 0 ||
		    number(c, &tok[1], "truncate-at", 0, LONG_MAX, &v) < 0)
			return -1;
		c->truncate_at = (long)v;
		return 0;
	}
	if (word_is(&tok[0], "magic")) {
		if (expect_args(c, tok, n, 2, "magic \"XXXX\"") < 0)
			return -1;
		if (tok[1].type != TOK_STRING || tok[1].len != 4) {
			error_at(c, tok[1].col, "magic: expected a string of exactly 4 bytes");
			return -1;
		}
		memcpy(c->magic, tok[1].start, 4);
		return 0;
	}
	if (word_is(&tok[0], "format-version")) {
		if (expect_args(c, tok, n, 2, "format-version NUMBER") < 0 ||
		    number(c, &tok[1], "format-version", 0, 0xffff, &v) < 0)
			return -1;
		c->format_version = (long)v;
		return 0;
	}
	if (word_is(&tok[0], "field-count")) {
		if (expect_args(c, tok, n, 2, "field-count NUMBER") < 0 ||
		    number(c, &tok[1], "field-count", 1, CF_MAX_FIELDS, &v) < 0)
			return -1;
		c->field_count = (long)v;
		c->nfields = (unsigned int)v;
		return 0;
	}
	if (word_is(&tok[0], "instance-count")) {
		if (expect_args(c, tok, n, 2, "instance-count NUMBER") < 0 ||
		    number(c, &tok[1], "instance-count", 0, 0xffffffffUL, &v) < 0)
			return -1;
		c->instance_count = (long)v;
		return 0;
	}
	error_at(c, tok[0].col, "unknown directive '%.*s'", (int)tok[0].len, tok[0].start);
	return -1;
}

static int encode(const struct compiler *c, struct buf *b)
{
	unsigned int i, f;
	int err = 0;

	err |= buf_add(b, c->magic, 4);
	err |= buf_u16(b, c->format_version >= 0 ? (unsigned int)c->format_version
						 : CF_FORMAT_VERSION);
	err |= buf_u16(b, c->tmpl->id);
	err |= buf_u32(b, c->channel);
	err |= buf_u16(b, c->nfields);
	err |= buf_u16(b, 0); /* reserved */
	err |=
	    buf_u32(b, c->instance_count >= 0 ? (unsigned long)c->instance_count : c->ninstances);
	for (i = 0; i < c->ninstances; i++) {
		for (f = 0; f < c->nfields; f++) {
			const struct criterion *cr = &c->crit[i * c->nfields + f];

			err |= buf_u8(b, cr->kind);
			err |= buf_u16(b, (unsigned int)cr->len);
			if (cr->len)
				err |= buf_add(b, cr->str, cr->len);
		}
	}
	return err ? -1 : 0;
}

/* Write to a temporary file next to out, then rename it into place. */
static int write_file(const char *out, const unsigned char *data, size_t len)
{
	size_t tmplen = strlen(out) + 16;
	char *tmp = malloc(tmplen);
	FILE *f = NULL;
	int ret = -1;

	if (!tmp)
		goto out;
	snprintf(tmp, tmplen, "%s.tmp%ld", out, (long)getpid());
	f = fopen(tmp, "wb");
	if (!f)
		goto out;
	if (len && fwrite(data, 1, len, f) != len)
		goto out;
	if (fclose(f)) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, out))
		goto out;
	ret = 0;
out:
	if (ret) {
		fprintf(stderr, "chanc: cannot write '%s': %s\n", out, strerror(errno));
		if (f)
			fclose(f);
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	return ret;
}

static void usage(void)
{
	fprintf(stderr, "usage: chanc -o OUT.sys IN.chan\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct compiler c;
	struct buf b = {0};
	const char *out = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *in;
	unsigned int i;
	int opt, status = 2;

	while ((opt = getopt(argc, argv, "ho:")) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	if (!out || optind != argc - 1)
		usage();

	memset(&c, 0, sizeof(c));
	c.path = argv[optind];
	memcpy(c.magic, CF_MAGIC, 4);
	c.format_version = c.field_count = c.instance_count = c.truncate_at = -1;

	in = fopen(c.path, "r");
	if (!in) {
		fprintf(stderr, "chanc: cannot open '%s': %s\n", c.path, strerror(errno));
		return 2;
	}
	while ((len = getline(&line, &cap, in)) != -1) {
		c.line++;
		if (strlen(line) != (size_t)len) {
			error_at(&c, (unsigned int)strlen(line) + 1, "NUL byte in source");
			continue;
		}
		do_line(&c, line);
	}
	if (ferror(in)) {
		fprintf(stderr, "chanc: cannot read '%s': %s\n", c.path, strerror(errno));
		fclose(in);
		goto out;
	}
	fclose(in);

	/* Whole-file checks are reported at the last line. */
	if (!c.have_channel)
		error_at(&c, 1, "no 'channel' directive");
	if (!c.tmpl)
		error_at(&c, 1, "no 'template' directive");
	if (c.errors) {
		if (c.errors > MAX_ERRORS)
			fprintf(stderr, "%s: %u more errors not shown\n", c.path,
				c.errors - MAX_ERRORS);
		goto out;
	}

	if (encode(&c, &b) < 0) {
		fprintf(stderr, "chanc: out of memory\n");
		goto out;
	}
	if (c.truncate_at >= 0 && (size_t)c.truncate_at < b.len)
		b.len = (size_t)c.truncate_at;
	if (write_file(out, b.data, b.len) < 0)
		goto out;
	status = 0;
out:
	free(line);
	free(b.data);
	if (c.crit)
		for (i = 0; i < c.ninstances * c.nfields; i++)
			free(c.crit[i].str);
	free(c.crit);
	return status;
}
