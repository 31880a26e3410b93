/*
 * fuzzlog - reading libFuzzer's and the sanitizers' output (see fuzzlog.h).
 */
#include "fuzzlog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzzlog_init(struct fuzzlog *l)
{
	memset(l, 0, sizeof(*l));
	strbuf_init(&l->partial);
}

void fuzzlog_release(struct fuzzlog *l)
{
	strbuf_release(&l->partial);
}

/* Copy at most one word (up to a space, or the end) into out, printable only. */
static void copy_word(char *out, size_t size, const char *s, const char *stops)
{
	size_t n = 0;

	while (*s && !strchr(stops, *s) && n + 1 < size) {
		out[n++] = isprint((unsigned char)*s) ? *s : '?';
		s++;
	}
	out[n] = 0;
}

static void set_signature(struct fuzzlog *l, const char *frame)
{
	snprintf(l->signature, sizeof(l->signature), "%s%s%s%s%s", l->kind, *l->access ? " " : "",
		 l->access, frame ? " in " : "", frame ? frame : "");
}

/* "==12==ERROR: AddressSanitizer: heap-buffer-overflow on ..." and its kin. */
static int report_start(struct fuzzlog *l, const char *line)
{
	static const struct {
		const char *prefix, *kind; /* kind NULL: the next word */
	} starts[] = {
	    {"ERROR: AddressSanitizer: attempting ", NULL},
	    {"ERROR: AddressSanitizer: ", NULL},
	    {"ERROR: LeakSanitizer: detected memory leaks", "memory-leak"},
	    {"ERROR: libFuzzer: deadly signal", "deadly-signal"},
	    {"ERROR: libFuzzer: timeout", "timeout"},
	    {"ERROR: libFuzzer: out-of-memory", "out-of-memory"},
	    {"ERROR: libFuzzer: fuzz target exited", "fuzz-target-exited"},
	    {"ERROR: libFuzzer: ", "libfuzzer-error"},
	    {": runtime error: ", "undefined-behavior"},
	};
	const char *at = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(starts) && !at; i++)
		at = strstr(line, starts[i].prefix);
	if (!at)
		return 0;
	i--;
	if (starts[i].kind)
		snprintf(l->kind, sizeof(l->kind), "%s", starts[i].kind);
	else
		copy_word(l->kind, sizeof(l->kind), at + strlen(starts[i].prefix), " :");
	l->crashed = 1;
	set_signature(l, NULL);
	return 1;
}

/* Frames of the sanitizer, libFuzzer and intercepted libc: not the guilty function. */
static int runtime_frame(const char *fn)
{
	static const char *const prefixes[] = {
	    "__sanitizer", "__asan",  "__ubsan",  "__lsan",   "__interceptor_", "fuzzer::",
	    "__GI_",	   "__libc_", "__memcmp", "__memcpy", "__strlen",
	};
	static const char *const names[] = {
	    "malloc",
	    "calloc",
	    "realloc",
	    "free",
	    "strlen",
	    "strnlen",
	    "memcmp",
	    "bcmp",
	    "memcpy",
	    "memmove",
	    "memset",
	    "strcmp",
	    "strncmp",
	    "abort",
	    "raise",
	    "gsignal",
	    "MemcmpInterceptorCommon",
	    "StrCmp",
	    "printf_common",
	};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(fn, prefixes[i], strlen(prefixes[i])))
			return 1;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(fn, names[i]))
			return 1;
	return 0;
}

/*
 * "    #0 0x55d0 in refsensor_eval /src/interp.c:255:8" (symbolized) or
 * "    #0 0x55d0  (/build/fuzz-interp-v1+0x5a21b)" (not): the function, or
 * the module's base name and offset, into fn. 0 if line is no frame.
 */
static int frame_name(const char *line, char *fn, size_t size)
{
	const char *in, *open, *slash;

	while (*line == ' ' || *line == '\t')
		line++;
	if (line[0] != '#' || !isdigit((unsigned char)line[1]))
		return 0;
	in = strstr(line, " in ");
	open = strrchr(line, '(');
	if (in) {
		copy_word(fn, size, in + 4, " (");
	} else if (open && strstr(open, "+0x")) {
		slash = strrchr(open, '/');
		copy_word(fn, size, slash ? slash + 1 : open + 1, ")");
	} else {
		return 0;
	}
	return *fn != 0;
}

static void report_frame(struct fuzzlog *l, const char *line)
{
	char fn[128];

	if (!frame_name(line, fn, sizeof(fn))) {
		/* The first stack ends at its first non-frame line. */
		if (l->key_frames > 0)
			l->key_frames = -1;
		return;
	}
	if (l->key_frames >= 0 && l->key_frames < 3) {
		size_t n = strlen(l->stack_key);

		snprintf(l->stack_key + n, sizeof(l->stack_key) - n, "%s%s",
			 l->key_frames++ ? " | " : "", fn);
	}
	if (l->frame_done || runtime_frame(fn))
		return;
	set_signature(l, fn);
	l->frame_done = 1;
}

static void progress(struct fuzzlog *l, const char *line)
{
	const char *p;
	char *end;
	unsigned long long n;

	if (line[0] == '#' && isdigit((unsigned char)line[1])) {
		n = strtoull(line + 1, &end, 10);
		if ((*end == '\t' || *end == ':' || *end == ' ') && n > l->execs)
			l->execs = n;
		if (strstr(line, "INITED"))
			l->inited = 1;
	} else if ((p = strstr(line, "stat::number_of_executed_units: "))) {
		n = strtoull(p + 32, NULL, 10);
		if (n > l->execs)
			l->execs = n;
	} else if (!strncmp(line, "Done ", 5) || strstr(line, "INFO: fuzzed for ")) {
		l->done = 1;
	} else if ((p = strstr(line, "Test unit written to "))) {
		snprintf(l->artifact, sizeof(l->artifact), "%s", p + 21);
	}
}

void fuzzlog_line(struct fuzzlog *l, const char *line)
{
	progress(l, line);
	if (!l->crashed) {
		report_start(l, line);
		return;
	}
	if (!*l->access) {
		if (!strncmp(line, "READ of size", 12) || strstr(line, "caused by a READ memory"))
			snprintf(l->access, sizeof(l->access), "READ");
		else if (!strncmp(line, "WRITE of size", 13) ||
			 strstr(line, "caused by a WRITE memory"))
			snprintf(l->access, sizeof(l->access), "WRITE");
		if (*l->access && !l->frame_done)
			set_signature(l, NULL);
	}
	report_frame(l, line);
}

void fuzzlog_feed(struct fuzzlog *l, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			fuzzlog_line(l, l->partial.buf);
			strbuf_reset(&l->partial);
		} else if (l->partial.len < FUZZLOG_LINE_MAX) {
			strbuf_addch(&l->partial, buf[i] ? buf[i] : '?');
		}
	}
}

void fuzzlog_finish(struct fuzzlog *l)
{
	if (l->partial.len)
		fuzzlog_line(l, l->partial.buf);
	strbuf_reset(&l->partial);
}
