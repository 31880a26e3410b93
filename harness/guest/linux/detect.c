/*
 * detect - finds Linux kernel crash reports in sanitized console lines and
 * names each with a title that is the same on every boot, on every kernel
 * version and architecture (the convention of syzkaller's pkg/report; the
 * report kinds are rows of the table in detect-rules.c). It is a
 * line-at-a-time state machine:
 *
 *   IDLE       no report; a start marker opens one (BODY, PANIC for a panic,
 *              TENTATIVE when the marker is not where the kernel's text starts)
 *   TENTATIVE  a marker on a line without a printk timestamp (once the stream
 *              has them), after other text on its line, or in a continued
 *              segment: it may be user output quoting a kernel message, so it
 *              becomes a report only if a line of kernel report structure
 *              ("CPU: .. PID:", "RIP:", "Call Trace:", a frame...) follows
 *              within DETECT_TENTATIVE_LINES lines, and is dropped otherwise
 *   BODY       every line is kept; "---[ end trace", the closing "</TASK>" of
 *              the call trace, the "=====" rule of a sanitizer, or the first
 *              unindented line of a kmemleak record ends the body, and the
 *              report moves to TRAILER
 *   TRAILER    what the kernel prints right after a report (the register
 *              summary, "Modules linked in", a "Kernel panic" caused by the
 *              report...) still joins it; any other kernel line of the report's
 *              context closes it, and a few lines of other output are held
 *              back in case the kernel continues
 *   PANIC      everything joins until "---[ end Kernel panic" or "Rebooting in"
 *
 * A report printed with caller ids ("[T123]") takes its title material only
 * from lines of its own context (and, after "Sending NMI from CPU", from the
 * CPU contexts of the backtraces). Titles come from the first line and one
 * function (see pick_func()), normalized: offsets, [module] tags, bracketed
 * text, long hex numbers, CPU numbers and PIDs removed. No guest text is used
 * as a format string; every buffer here is bounded.
 */
#include "detect.h"

#include "console.h"
#include "detect-rules.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define DETECT_LINE_MAX CONSOLE_LINE_MAX
#define FUNC_MAX 128
#define MOD_MAX 64
#define DESC_MAX 256
#define CTX_MAX 16
#define TAINT_MAX 32
#define DETECT_TENTATIVE_LINES 12

enum state { S_IDLE, S_TENTATIVE, S_BODY, S_TRAILER, S_PANIC };

/* A function of the report and the module it is in ("" for the core kernel). */
struct fnref {
	char name[FUNC_MAX];
	char mod[MOD_MAX];
};

struct detector {
	enum state state;

	/* the report in progress */
	const struct rule *rule;
	const struct warn_checker *checker;
	size_t line, end_line;
	struct strbuf text;
	size_t nlines;
	int full;
	char ctx[CTX_MAX];	/* caller id of its first line, "" without */
	int cpu_traceback;	/* "Sending NMI from CPU": CPU contexts belong to it */
	size_t ntentative;	/* TENTATIVE: lines since the marker */
	char desc[DESC_MAX];	/* kind-specific words from the first line */
	struct fnref fn_line;	/* function named on the first line */
	struct fnref fn_rip;	/* first "RIP:" function that is not skipped */
	struct fnref fn_trace;	/* first reliable call-trace frame that is not skipped */
	struct fnref fn_after;	/* FF_AFTER: the function after the rule's text */
	struct fnref fn_prev;	/* FF_STALL: the last candidate before an anchor */
	struct fnref fn_stall;	/* FF_STALL: the frame just inside the anchor */
	struct fnref fn_first;	/* FF_STALL / FF_HUNG: the first candidate */
	struct fnref fn_anchor; /* FF_HUNG: rtnl_lock / synchronize_rcu */
	int after_seen, stall_done, in_irq;
	const char *access;    /* KASAN: "Read" / "Write" */
	char taint[TAINT_MAX]; /* "Tainted:" flags of the report */
	int taint_seen;	       /* a "Tainted:" or "Not tainted" line was seen */
	struct strbuf pending; /* TRAILER: other output held back, '\n'-terminated lines */
	size_t npending, pending_lineno;

	size_t last_lineno;	/* stream line number of the previous line */
	int seen_ts;		/* a printk timestamp has been seen: markers need one */
	int seen_banner;	/* a "Linux version" banner has been seen */
	int crash_since_banner; /* a report started since the last banner */
	int restart_expected;	/* "reboot: Restarting system" since the last banner */
	char last_taint[TAINT_MAX];

	struct crash *queue;
	size_t q_head, q_nr, q_alloc;
};

/* ---- characters and small matchers (ASCII only, locale-independent) ---- */

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_xdigit(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int is_sym(int c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '$';
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

static void copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* "[   12.345678]" at s: the end of it, else NULL. */
static const char *match_stamp(const char *s)
{
	if (*s++ != '[')
		return NULL;
	s = skip_ws(s);
	if (!is_digit(*s))
		return NULL;
	while (is_digit(*s))
		s++;
	if (*s++ != '.' || !is_digit(*s))
		return NULL;
	while (is_digit(*s))
		s++;
	return *s == ']' ? s + 1 : NULL;
}

/* The printk caller id "[    T1]" / "[    C0]" at s: the end of it, else NULL. */
static const char *match_caller(const char *s)
{
	if (*s++ != '[')
		return NULL;
	s = skip_ws(s);
	if (*s != 'T' && *s != 'C')
		return NULL;
	s++;
	if (!is_digit(*s))
		return NULL;
	while (is_digit(*s))
		s++;
	return *s == ']' ? s + 1 : NULL;
}

/*
 * The kernel's text in a line: what follows the first printk timestamp (and
 * caller id, and one space). The timestamp may be mid-line when a kernel
 * message was printed after unterminated user-space output. The caller id
 * ("T123", "C0") goes to ctx, "" without one.
 */
static const char *kernel_text(const char *line, int *ret_has_ts, char ctx[CTX_MAX])
{
	ctx[0] = '\0';
	for (const char *p = strchr(line, '['); p; p = strchr(p + 1, '[')) {
		const char *e = match_stamp(p), *c;

		if (!e)
			continue;
		c = match_caller(e);
		if (c) {
			const char *id = skip_ws(e + 1);

			copy_str(ctx, CTX_MAX, id, (size_t)(c - 1 - id));
			e = c;
		}
		if (*e == ' ')
			e++;
		*ret_has_ts = 1;
		return e;
	}
	*ret_has_ts = 0;
	return line;
}

/* ---- functions ---- */

/* "[refsensor]" or "[refsensor abcdef...]" (a build id) at s: the module into mod. */
static void module_at(const char *s, char mod[MOD_MAX])
{
	size_t n = 0;

	mod[0] = '\0';
	s = skip_ws(s);
	if (*s++ != '[')
		return;
	while (n < MOD_MAX - 1 && (is_alnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '-'))
		n++;
	if (n && (s[n] == ']' || s[n] == ' '))
		copy_str(mod, MOD_MAX, s, n);
}

/* Past "+0x1a/0x40" at s (the offset and size of a symbol). */
static const char *skip_offset(const char *s)
{
	s += 3;
	while (is_xdigit((unsigned char)*s))
		s++;
	if (starts(s, "/0x")) {
		s += 3;
		while (is_xdigit((unsigned char)*s))
			s++;
	}
	return s;
}

/*
 * Copy the symbol that ends at s + end (just before "+0x") into out, without
 * compiler suffixes (".isra.0", ".cold", ...), and its [module] tag. Returns
 * 1 if there is one.
 */
static int symbol_before(const char *s, size_t end, struct fnref *out)
{
	size_t b = end, n;
	const char *dot;

	while (b > 0 && is_sym((unsigned char)s[b - 1]))
		b--;
	if (b == end || !(is_alpha((unsigned char)s[b]) || s[b] == '_'))
		return 0;
	n = end - b;
	dot = memchr(s + b, '.', n);
	if (dot)
		n = (size_t)(dot - (s + b));
	copy_str(out->name, FUNC_MAX, s + b, n);
	if (starts(s + end, "+0x"))
		module_at(skip_offset(s + end), out->mod);
	else
		out->mod[0] = '\0';
	return 1;
}

/* The first "SYM+0x..." in s. */
static int find_func(const char *s, struct fnref *out)
{
	for (const char *p = strstr(s, "+0x"); p; p = strstr(p + 3, "+0x"))
		if (symbol_before(s, (size_t)(p - s), out))
			return 1;
	return 0;
}

/* Past up to two "[<ffffffff81234567>] " addresses (old x86, arm frames). */
static const char *skip_addresses(const char *t)
{
	for (int i = 0; i < 2 && t[0] == '[' && t[1] == '<'; i++) {
		const char *e = strstr(t, ">]");

		if (!e)
			break;
		t = skip_ws(e + 2);
	}
	return t;
}

/*
 * A call-trace frame (t has its indent skipped): " func+0x1a/0x40 [mod]",
 * old " [<ffffffff81234567>] func+0x1a/0x40", arm "[<c0123456>] (func) from
 * [<...>] (caller+0x10/0x20)". 1 with the function in out, 0 if t is no
 * frame. Frames marked "? " are unreliable: they count as frames but give
 * no function (out->name is "").
 */
static int frame_func(const char *t, struct fnref *out)
{
	size_t n = 0;
	int unreliable = 0, paren = 0;

	t = skip_addresses(t);
	if (t[0] == '?' && t[1] == ' ') {
		unreliable = 1;
		t = skip_ws(t + 2);
	}
	if (t[0] == '(') {
		paren = 1;
		t++;
	}
	while (is_sym((unsigned char)t[n]))
		n++;
	if (!n || !(starts(t + n, "+0x") || (paren && t[n] == ')' && strstr(t + n, " from "))))
		return 0;
	if (unreliable || !symbol_before(t, n, out))
		out->name[0] = out->mod[0] = '\0';
	return 1;
}

/* ---- title text ---- */

static int word_is(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n && w[i]; i++)
		if ((s[i] | 0x20) != w[i])
			return 0;
	return i == n && !w[i];
}

/*
 * Normalize a piece of guest text for a title: drop "+0x../0x.." offsets
 * and [bracketed] parts ([module] tags, [task:pid], timestamps), replace hex
 * numbers of 12 digits or more (addresses) by "ADDR", drop the number after
 * "CPU"/"pid", collapse spaces, trim trailing punctuation. The result stays
 * valid UTF-8: only ASCII is removed.
 */
static void normalize(const char *in, struct strbuf *out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;

	while (in[i]) {
		unsigned char ch = (unsigned char)in[i];
		int boundary = i == 0 || !is_sym((unsigned char)in[i - 1]);

		if (ch == '[') {
			const char *close = memchr(in + i, ']', strnlen(in + i, 128));

			if (close) {
				strbuf_addch(&sb, ' ');
				i = (size_t)(close - in) + 1;
				continue;
			}
		}
		if (ch == '+' && starts(in + i, "+0x") && i > 0 &&
		    is_sym((unsigned char)in[i - 1])) {
			size_t j = i + 3;

			while (is_xdigit((unsigned char)in[j]))
				j++;
			if (starts(in + j, "/0x")) {
				j += 3;
				while (is_xdigit((unsigned char)in[j]))
					j++;
			}
			i = j;
			continue;
		}
		if (boundary && is_xdigit(ch)) {
			size_t j = i + (starts(in + i, "0x") ? 2 : 0), k = j;
			int digit = 0;

			while (is_xdigit((unsigned char)in[k]))
				digit |= is_digit((unsigned char)in[k++]);
			if (k - j >= 12 && digit && !is_sym((unsigned char)in[k])) {
				strbuf_adds(&sb, "ADDR");
				i = k;
				continue;
			}
		}
		if (boundary && is_alpha(ch)) {
			size_t j = i, k;

			while (is_alnum((unsigned char)in[j]))
				j++;
			if (word_is(in + i, j - i, "cpu") || word_is(in + i, j - i, "pid")) {
				strbuf_add(&sb, in + i, j - i);
				k = j;
				if (in[k] == '#' || in[k] == ':' || in[k] == '=')
					k++;
				k = (size_t)(skip_ws(in + k) - in);
				if (is_digit((unsigned char)in[k])) {
					size_t m = k;

					while (is_digit((unsigned char)in[m]))
						m++;
					if (!is_sym((unsigned char)in[m])) {
						i = m;
						continue;
					}
				}
				i = j;
				continue;
			}
			strbuf_add(&sb, in + i, j - i);
			i = j;
			continue;
		}
		strbuf_addch(&sb, ch);
		i++;
	}

	/* collapse spaces, trim */
	for (i = 0; i < sb.len; i++) {
		if (sb.buf[i] == ' ' && (out->len == 0 || out->buf[out->len - 1] == ' '))
			continue;
		strbuf_addch(out, sb.buf[i]);
	}
	while (out->len && strchr(" :,;.", out->buf[out->len - 1]))
		out->buf[--out->len] = '\0';
	strbuf_release(&sb);
}

/* The words of a "BUG: ..." line that say what kind of bug: up to the first detail. */
static void cut_details(struct strbuf *sb)
{
	/* clang-format off */
	static const char *const cuts[] = {
		":", ",", " at ", " for address", " on CPU", " on cpu", " in process ",
		" - ", " ADDR"
	};
	/* clang-format on */
	size_t n = sb->len;
	const char *colon = strchr(sb->buf, ':');

	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		const char *p = strstr(sb->buf, cuts[i]);

		if (p && (size_t)(p - sb->buf) < n)
			n = (size_t)(p - sb->buf);
	}
	/* "state mm:ADDR type:X": a key:value detail starts at its key */
	if (colon && colon[1] && colon[1] != ' ' && (size_t)(colon - sb->buf) <= n) {
		const char *key = colon;

		while (key > sb->buf && key[-1] != ' ')
			key--;
		n = (size_t)(key - sb->buf);
	}
	sb->len = n;
	sb->buf[n] = '\0';
	while (sb->len && strchr(" :,;.", sb->buf[sb->len - 1]))
		sb->buf[--sb->len] = '\0';
}

static void set_desc(struct detector *d, const char *text, int cut)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	normalize(text, &sb);
	if (cut)
		cut_details(&sb);
	n = sb.len;
	if (n >= sizeof(d->desc)) {
		n = sizeof(d->desc) - 1;
		while (n > 0 && ((unsigned char)sb.buf[n] & 0xc0) == 0x80)
			n--; /* do not split a UTF-8 character */
	}
	copy_str(d->desc, sizeof(d->desc), sb.buf, n);
	strbuf_release(&sb);
}

/* A frame that never names the bug of this report. */
static int skipped(const struct detector *d, const char *fn)
{
	return frame_generic(fn) || frame_in(fn, d->rule->skip) ||
	       (d->checker && frame_in(fn, d->checker->skip));
}

/* "KIND in FUNC+0x..": the kind into desc, the function into fn_line. */
static void set_kind_and_func(struct detector *d, const char *text)
{
	const char *in = strstr(text, " in ");
	char *kind;

	if (!in) {
		set_desc(d, text, 1);
		return;
	}
	kind = xstrndup(text, (size_t)(in - text));
	set_desc(d, kind, 0);
	free(kind);
	if (find_func(in + 4, &d->fn_line) && skipped(d, d->fn_line.name))
		d->fn_line.name[0] = '\0';
	if (!d->fn_line.name[0] && d->rule->tform == TF_KCSAN) {
		/* KCSAN names functions without offsets: "data-race in F / G" */
		const char *f = in + 4;
		size_t n = 0;

		while (is_sym((unsigned char)f[n]))
			n++;
		copy_str(d->fn_line.name, FUNC_MAX, f, n);
		d->fn_line.mod[0] = '\0';
	}
}

static void report_reset(struct detector *d)
{
	d->rule = NULL;
	d->checker = NULL;
	d->line = d->end_line = 0;
	strbuf_reset(&d->text);
	d->nlines = 0;
	d->full = 0;
	d->ctx[0] = d->desc[0] = d->taint[0] = '\0';
	d->taint_seen = 0;
	d->cpu_traceback = 0;
	d->ntentative = 0;
	memset(&d->fn_line, 0, sizeof(d->fn_line));
	d->fn_rip = d->fn_trace = d->fn_after = d->fn_prev = d->fn_stall = d->fn_line;
	d->fn_first = d->fn_anchor = d->fn_line;
	d->after_seen = d->stall_done = d->in_irq = 0;
	d->access = NULL;
	strbuf_reset(&d->pending);
	d->npending = 0;
}

static void report_add(struct detector *d, const char *line, size_t len, size_t lineno)
{
	size_t need = len + (d->nlines ? 1 : 0);

	d->end_line = lineno;
	if (d->full)
		return;
	if (d->nlines >= DETECT_REPORT_MAX_LINES || d->text.len + need > DETECT_REPORT_MAX_BYTES) {
		d->full = 1;
		return;
	}
	if (d->nlines)
		strbuf_addch(&d->text, '\n');
	strbuf_add(&d->text, line, len);
	d->nlines++;
}

/*
 * Hold back a line of other output. The slack counts raw lines (a progress
 * bar's segments are one), the text kept is bounded like a report's.
 */
static void pending_add(struct detector *d, const char *line, size_t len, size_t lineno)
{
	if (!d->npending || lineno != d->pending_lineno)
		d->npending++;
	d->pending_lineno = lineno;
	if (d->pending.len + len + 1 > DETECT_REPORT_MAX_BYTES)
		return;
	strbuf_add(&d->pending, line, len);
	strbuf_addch(&d->pending, '\n');
}

/* The held-back lines were interleaved with the report after all. */
static void pending_flush(struct detector *d, size_t lineno)
{
	const char *p = d->pending.buf, *end = p + d->pending.len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		report_add(d, p, (size_t)(nl - p), lineno);
		p = nl + 1;
	}
	strbuf_reset(&d->pending);
	d->npending = 0;
}

/* ---- titles ---- */

/* The title before " in FUNC". */
static void title_base(const struct detector *d, struct strbuf *sb)
{
	const struct rule *r = d->rule;

	switch ((enum title_form)r->tform) {
	case TF_FIXED:
		strbuf_adds(sb, r->title ? r->title : "unexpected reboot");
		return;
	case TF_BUG:
		strbuf_adds(sb, "BUG: ");
		strbuf_adds(sb, d->desc);
		return;
	case TF_SAN:
	case TF_KASAN:
		strbuf_adds(sb, r->title);
		if (d->desc[0]) {
			strbuf_adds(sb, ": ");
			strbuf_adds(sb, d->desc);
		}
		if (d->access) {
			strbuf_addch(sb, ' ');
			strbuf_adds(sb, d->access);
		}
		return;
	case TF_KCSAN:
		strbuf_adds(sb, "KCSAN: ");
		strbuf_adds(sb, d->desc);
		return;
	case TF_WARN:
		strbuf_adds(sb, d->checker ? d->checker->title : "WARNING");
		return;
	case TF_PANIC:
		strbuf_adds(sb, "kernel panic: ");
		strbuf_adds(sb, d->desc);
		return;
	case TF_OOPS:
	case TF_INTERNAL:
		strbuf_adds(sb, r->tform == TF_OOPS ? "Oops" : "Internal error");
		if (d->desc[0]) {
			strbuf_adds(sb, ": ");
			strbuf_adds(sb, d->desc);
		}
		return;
	case TF_DENTRY:
		strbuf_adds(sb, "BUG: Dentry still in use");
		if (d->desc[0]) {
			strbuf_adds(sb, " [unmount of ");
			strbuf_adds(sb, d->desc);
			strbuf_addch(sb, ']');
		}
		return;
	}
}

static const struct fnref *first_set(const struct fnref *a, const struct fnref *b,
				     const struct fnref *c)
{
	if (a && a->name[0])
		return a;
	if (b && b->name[0])
		return b;
	if (c && c->name[0])
		return c;
	return NULL;
}

/* The guilty function, by the rule's form; NULL if the report gave none. */
static const struct fnref *pick_func(const struct detector *d)
{
	switch ((enum func_form)d->rule->fform) {
	case FF_NONE:
		return NULL;
	case FF_LINE:
		return first_set(&d->fn_line, &d->fn_rip, &d->fn_trace);
	case FF_RIP:
		return first_set(&d->fn_rip, &d->fn_trace, NULL);
	case FF_TRACE:
		return first_set(&d->fn_trace, NULL, NULL);
	case FF_AFTER:
		return first_set(&d->fn_after, &d->fn_trace, NULL);
	case FF_STALL:
		return first_set(&d->fn_stall, &d->fn_first, NULL);
	case FF_HUNG:
		return first_set(&d->fn_anchor, &d->fn_first, NULL);
	}
	return NULL;
}

static void cap_title(struct strbuf *sb)
{
	size_t n = DETECT_TITLE_MAX;

	if (sb->len <= n)
		return;
	while (n > 0 && ((unsigned char)sb->buf[n] & 0xc0) == 0x80)
		n--; /* do not split a UTF-8 character */
	sb->len = n;
	sb->buf[n] = '\0';
}

/* The flags of "Tainted: G           OE      6.1.0 #1" or "Tainted: [O]=OOT_MODULE, ...". */
static void parse_taint(const char *p, char out[TAINT_MAX])
{
	size_t n = 0;

	if (*p == '[') {
		for (; (p = strchr(p, '[')) && n < TAINT_MAX - 1; p++)
			if (p[1] >= 'A' && p[1] <= 'Z' && p[2] == ']')
				out[n++] = p[1];
	} else {
		for (; (*p == ' ' || (*p >= 'A' && *p <= 'Z')) && n < TAINT_MAX - 1; p++)
			if (*p != ' ')
				out[n++] = *p;
	}
	out[n] = '\0';
}

/* ---- the crash ---- */

static void push(struct detector *d, struct crash *c)
{
	if (d->q_nr - d->q_head >= DETECT_QUEUE_MAX) {
		crash_release(c);
		return;
	}
	if (d->q_head && d->q_nr == d->q_alloc) {
		memmove(d->queue, d->queue + d->q_head, (d->q_nr - d->q_head) * sizeof(*d->queue));
		d->q_nr -= d->q_head;
		d->q_head = 0;
	}
	ALLOC_GROW(d->queue, d->q_nr + 1, d->q_alloc);
	d->queue[d->q_nr++] = *c;
}

static void complete(struct detector *d)
{
	struct strbuf sb = STRBUF_INIT;
	const struct fnref *fn = pick_func(d);
	const char *taint = d->taint_seen ? d->taint : d->last_taint;
	struct crash c = {0};

	title_base(d, &sb);
	if (fn && d->rule->tform == TF_KCSAN) {
		/* the title already names both functions */
	} else if (fn) {
		strbuf_adds(&sb, " in ");
		strbuf_adds(&sb, fn->name);
	} else if (d->rule->flags & R_NEEDFN) {
		strbuf_adds(&sb, " in corrupted"); /* truncated before its frames */
		c.corrupted = 1;
	}
	cap_title(&sb);
	c.title = strbuf_detach(&sb);
	c.report = strbuf_detach(&d->text);
	c.line = d->line;
	c.end_line = d->end_line;
	c.kind = d->rule->special ? "reboot" : d->rule->kind;
	c.func = xstrdup(fn ? fn->name : "");
	c.module = xstrdup(!fn ? "" : fn->mod[0] ? fn->mod : "vmlinux");
	c.taint = xstrdup(taint);
	c.tainted_oot = strchr(taint, 'O') || strchr(taint, 'E');
	push(d, &c);
	report_reset(d);
	d->state = S_IDLE;
	d->crash_since_banner = 1;
}

/* A TENTATIVE report that was user output after all. */
static void drop(struct detector *d)
{
	report_reset(d);
	d->state = S_IDLE;
}

static void close_report(struct detector *d)
{
	if (d->state == S_TENTATIVE)
		drop(d);
	else if (d->state != S_IDLE)
		complete(d);
}

/* ---- the first line ---- */

static void describe(struct detector *d, const char *m);

/* "Oops: KIND": the 6.9+ wording of a fault ("Oops: general protection fault, ..."). */
static void describe_oops(struct detector *d, const char *m)
{
	const char *rest = m + strlen("Oops: "), *at, *p = rest;
	const struct rule *r = rules_match(rest, &at);

	if (r && !r->special && r->tform != TF_OOPS && r->tform != TF_INTERNAL) {
		d->rule = r;
		describe(d, at);
		return;
	}
	while (is_xdigit((unsigned char)*p))
		p++;
	if (p > rest && (*p == ' ' || !*p))
		return; /* "Oops: 0000 [#1] SMP": a plain Oops */
	set_desc(d, rest, 1);
}

/* The details a title needs from a report's first line (m: its marker). */
static void describe(struct detector *d, const char *m)
{
	const char *rest = m + d->rule->mlen, *p;

	switch ((enum title_form)d->rule->tform) {
	case TF_FIXED:
		if (d->rule->fform == FF_LINE && find_func(rest, &d->fn_line) &&
		    skipped(d, d->fn_line.name))
			d->fn_line.name[0] = '\0';
		break;
	case TF_BUG:
		set_desc(d, m + strlen("BUG: "), 1);
		break;
	case TF_SAN:
	case TF_KASAN:
	case TF_KCSAN:
		set_kind_and_func(d, rest);
		if (d->rule->fform != FF_LINE)
			d->fn_line.name[0] = '\0'; /* UBSAN names a file:line */
		if (d->rule->tform == TF_KASAN &&
		    strcmp(d->desc, "double-free or invalid-free") == 0)
			copy_str(d->desc, sizeof(d->desc), "invalid-free", strlen("invalid-free"));
		if (d->rule->tform == TF_KCSAN)
			set_desc(d, rest, 0);
		break;
	case TF_WARN:
		d->checker = rules_warn_checker(m);
		if (find_func(rest, &d->fn_line) && skipped(d, d->fn_line.name))
			d->fn_line.name[0] = '\0';
		break;
	case TF_PANIC:
		set_desc(d, rest, 0);
		break;
	case TF_OOPS:
		describe_oops(d, m);
		break;
	case TF_INTERNAL:
		set_desc(d, rest, 1);
		break;
	case TF_DENTRY:
		p = strstr(m, "[unmount of ");
		if (p) {
			p += strlen("[unmount of ");
			copy_str(d->desc, sizeof(d->desc), p, strcspn(p, " ]"));
		}
		break;
	}
}

/* ---- title material from any line of a report ---- */

static int is_rip_line(const char *t)
{
	return starts(t, "RIP: ") || starts(t, "IP: ") || starts(t, "EIP: ") ||
	       starts(t, "pc : ") || starts(t, "PC is at ") || starts(t, "NIP ");
}

/* FF_STALL: the frame just inside the first dispatch frame, outside interrupts. */
static void stall_frame(struct detector *d, const struct fnref *fn)
{
	static const char *const prefixes[] = {"__x64_",       "SYSC_",	      "SyS_",
					       "compat_SYSC_", "compat_SyS_", "__ia32_sys_"};

	if (d->rule->fform != FF_STALL || d->stall_done || d->in_irq)
		return;
	if (frame_stall_anchor(fn->name)) {
		const struct fnref *pick = d->fn_prev.name[0] ? &d->fn_prev : fn;

		d->fn_stall = *pick;
		for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
			size_t n = strlen(prefixes[i]);

			if (strncmp(d->fn_stall.name, prefixes[i], n) == 0)
				memmove(d->fn_stall.name, d->fn_stall.name + n,
					strlen(d->fn_stall.name + n) + 1);
		}
		d->stall_done = 1;
		return;
	}
	if (skipped(d, fn->name))
		return;
	d->fn_prev = *fn;
	if (!d->fn_first.name[0])
		d->fn_first = *fn;
}

/* FF_HUNG: an anchor anywhere wins, else the first frame that is no wait. */
static void hung_frame(struct detector *d, const struct fnref *fn)
{
	const char *bucket;

	if (d->rule->fform != FF_HUNG)
		return;
	bucket = frame_hung_anchor(fn->name);
	if (bucket && !d->fn_anchor.name[0]) {
		copy_str(d->fn_anchor.name, FUNC_MAX, bucket, strlen(bucket));
		copy_str(d->fn_anchor.mod, MOD_MAX, fn->mod, strlen(fn->mod));
	} else if (!d->fn_first.name[0] && !skipped(d, fn->name) && !frame_hung_wait(fn->name)) {
		d->fn_first = *fn;
	}
}

/* Outside reports: the taint a later report without a "CPU:" line (kmemleak) inherits. */
static void track_taint(struct detector *d, const char *t)
{
	const char *p = strstr(t, "Tainted: ");

	if (p)
		parse_taint(p + strlen("Tainted: "), d->last_taint);
	else if (strstr(t, "Not tainted"))
		d->last_taint[0] = '\0';
}

static void analyze_markers(struct detector *d, const char *t)
{
	const char *p;

	if (!d->taint_seen && (p = strstr(t, "Tainted: ")) != NULL) {
		parse_taint(p + strlen("Tainted: "), d->taint);
		copy_str(d->last_taint, TAINT_MAX, d->taint, strlen(d->taint));
		d->taint_seen = 1;
	} else if (!d->taint_seen && strstr(t, "Not tainted")) {
		d->last_taint[0] = '\0';
		d->taint_seen = 1;
	}
	if (starts(t, "Sending NMI from CPU"))
		d->cpu_traceback = 1;
	if (starts(t, "<IRQ>") || starts(t, "<NMI>") || starts(t, "<SOFTIRQ>"))
		d->in_irq = 1;
	else if (starts(t, "</IRQ>") || starts(t, "</NMI>") || starts(t, "</SOFTIRQ>"))
		d->in_irq = 0;
	if (d->rule->tform == TF_KASAN && !d->access) {
		if (starts(t, "Read of size") || starts(t, "Read at addr"))
			d->access = "Read";
		else if (starts(t, "Write of size") || starts(t, "Write at addr"))
			d->access = "Write";
	}
}

/* Title material from one line of the report's own context. */
static void analyze(struct detector *d, const char *body)
{
	const char *t = skip_ws(body);
	struct fnref fn;

	analyze_markers(d, t);
	if (d->rule->fform == FF_AFTER && !d->fn_after.name[0]) {
		const char *a = d->after_seen ? t : strstr(t, d->rule->after);

		if (a) {
			d->after_seen = 1;
			if (find_func(a, &fn))
				d->fn_after = fn;
		}
	}
	if (is_rip_line(t)) {
		if (!find_func(t, &fn))
			return;
		if (!d->fn_rip.name[0] && !skipped(d, fn.name))
			d->fn_rip = fn;
	} else if (!frame_func(t, &fn) || !fn.name[0]) {
		return;
	} else if (!d->fn_trace.name[0] && !skipped(d, fn.name)) {
		d->fn_trace = fn;
	}
	stall_frame(d, &fn);
	hung_frame(d, &fn);
}

/* Register names of a dump: RIP, RSP, RAX, R10, EFLAGS, CS, FS, CR2, DR6, PKRU, x29, ... */
static int is_register_line(const char *t)
{
	size_t n = 0;

	if (t[0] == 'x' && is_digit((unsigned char)t[1]))
		return 1; /* arm64 "x29: ..." */
	while (n < 7 && ((t[n] >= 'A' && t[n] <= 'Z') || is_digit((unsigned char)t[n])))
		n++;
	if (n < 2 || t[n] != ':')
		return 0;
	return t[0] == 'R' || t[0] == 'E' || (n == 2 && t[1] == 'S') || starts(t, "CR") ||
	       starts(t, "DR") || starts(t, "PKRU:");
}

/* Lines the kernel prints right after a report, as part of it. */
static int is_continuation(const char *body)
{
	/* clang-format off */
	static const char *const prefixes[] = {
		"Code: ", "Call Trace:", "Call trace:", "<TASK>", "</TASK>", "<IRQ>",
		"</IRQ>", "<NMI>", "</NMI>", "<SOFTIRQ>", "</SOFTIRQ>",
		"Modules linked in:", "CPU: ", "Hardware name: ", "Workqueue: ",
		"Kernel Offset:", "---[ ", "note: ", "Fixing recursive fault",
		"Rebooting in ", "Shutting down cpus with NMI", "Dumping ftrace buffer",
		"(ftrace buffer empty)", "Sending NMI from CPU", "NMI backtrace for cpu",
		"rcu: ", "task:", "Disabling lock debugging", "SMP: stopping secondary CPUs",
		"INFO: lockdep is turned off", "Showing all locks held", "pstate: ", "lr : ",
		"sp : ", "LR is at ", "pc : ", "PC is at ", "Tainted: ",
		"irq event stamp:", "hardirqs last", "softirqs last", "Internal error: "
	};
	/* clang-format on */
	const char *t = skip_ws(body);
	struct fnref fn;

	if (!*t)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (starts(t, prefixes[i]))
			return 1;
	return is_register_line(t) || frame_func(t, &fn);
}

/* A line only a kernel report prints: a TENTATIVE report is a report after all. */
static int confirms(const char *body)
{
	/* clang-format off */
	static const char *const prefixes[] = {
		"Call Trace:", "Call trace:", "RIP: ", "IP: ", "pc : ", "PC is at ", "Code: ",
		"Hardware name: ", "Modules linked in:", "#PF: ", "backtrace:", "backtrace (crc ",
		"stack backtrace:", "---[ end trace", "Mem abort info:", "<TASK>"
	};
	/* clang-format on */
	const char *t = skip_ws(body);
	struct fnref fn;

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (starts(t, prefixes[i]))
			return 1;
	if (starts(t, "CPU: ") && strstr(t, "PID: "))
		return 1;
	return frame_func(t, &fn) && fn.name[0] && strstr(t, "/0x");
}

/* Where a report's body ends: the report then waits in TRAILER for what follows. */
static void check_body_end(struct detector *d, const char *body)
{
	const char *t = skip_ws(body);
	int sanitizer = d->rule->flags & R_SANITIZER;

	if (starts(t, "---[ end Kernel panic")) {
		complete(d);
		return;
	}
	if (starts(t, "---[ end trace") || (sanitizer && starts(t, "==========")) ||
	    (!sanitizer && strcmp(t, "</TASK>") == 0))
		d->state = S_TRAILER;
}

static void start(struct detector *d, const struct rule *r, const char *m, int tentative,
		  const char *ctx)
{
	report_reset(d);
	d->rule = r;
	copy_str(d->ctx, CTX_MAX, ctx, strlen(ctx));
	if (tentative)
		d->state = S_TENTATIVE;
	else if (r->flags & R_PANIC)
		d->state = S_PANIC;
	else if (r->flags & R_ONELINE)
		d->state = S_TRAILER;
	else
		d->state = S_BODY;
	describe(d, m);
}

/* "Linux version" or a firmware banner: was the machine expected to restart? */
static void banner(struct detector *d, const struct rule *r, const char *line, size_t len,
		   size_t lineno)
{
	if (d->seen_banner && !d->crash_since_banner && !d->restart_expected) {
		report_reset(d);
		d->rule = r;
		d->line = lineno;
		report_add(d, line, len, lineno);
		complete(d);
	}
	/* after the firmware, the kernel's banner is the one expected */
	d->seen_banner = r->special == SP_BANNER;
	d->last_taint[0] = '\0'; /* a new boot */
	d->crash_since_banner = 0;
	d->restart_expected = 0;
}

/* ---- public ---- */

struct detector *detector_new(void)
{
	struct detector *d = xcalloc(1, sizeof(*d));

	strbuf_init(&d->text);
	strbuf_init(&d->pending);
	return d;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	for (size_t i = d->q_head; i < d->q_nr; i++)
		crash_release(&d->queue[i]);
	free(d->queue);
	strbuf_release(&d->text);
	strbuf_release(&d->pending);
	free(d);
}

/* A bounded, NUL-terminated copy with no control bytes, whatever the caller passed. */
static size_t copy_line(char *buf, const char *line, size_t len)
{
	if (len > DETECT_LINE_MAX) {
		len = DETECT_LINE_MAX;
		while (len > 0 && ((unsigned char)line[len] & 0xc0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[len] = '\0';
	return len;
}

/* One classified line. */
struct line {
	const char *buf, *body;
	size_t len, lineno;
	char ctx[CTX_MAX];
	int has_ts;
	const struct rule *rule; /* the report it starts, or NULL */
	const char *marker;	 /* where that report's marker is */
	int tentative;		 /* the marker needs confirming */
	int other;		 /* from another context than the report in progress */
};

static void classify(struct detector *d, struct line *l, int continued)
{
	int kernel = l->has_ts || !d->seen_ts;
	const char *t = skip_ws(l->body);

	l->rule = rules_match(t, &l->marker);
	if (l->rule && l->rule->special == SP_FIRMWARE && (l->has_ts || continued))
		l->rule = NULL;
	else if (l->rule && l->rule->special && l->rule->special != SP_FIRMWARE && !kernel)
		l->rule = NULL;
	else if (l->rule && !l->rule->special)
		l->tentative = !kernel || (continued && !l->has_ts);
	if (!l->rule) {
		l->rule = rules_find_midline(t, &l->marker);
		l->tentative = 1;
	}
	l->other = d->state != S_IDLE && d->ctx[0] && strcmp(l->ctx, d->ctx) != 0 &&
		   !(d->cpu_traceback && l->ctx[0] == 'C');
}

static void line_tentative(struct detector *d, const struct line *l)
{
	if (l->rule && !(l->rule->flags & R_WEAK) && !l->rule->special) {
		start(d, l->rule, l->marker, l->tentative, l->ctx);
		d->line = l->lineno;
		report_add(d, l->buf, l->len, l->lineno);
		analyze(d, l->body);
		return;
	}
	report_add(d, l->buf, l->len, l->lineno);
	if (l->other)
		return;
	analyze(d, l->body);
	if (confirms(l->body)) {
		d->state = d->rule->flags & R_PANIC ? S_PANIC : S_BODY;
		if (d->state == S_BODY)
			check_body_end(d, l->body);
	} else if (++d->ntentative >= DETECT_TENTATIVE_LINES) {
		drop(d);
	}
}

static void line_trailer(struct detector *d, const struct line *l)
{
	if (!l->other && ((l->rule && (l->rule->flags & R_WEAK)) || is_continuation(l->body))) {
		pending_flush(d, l->lineno);
		report_add(d, l->buf, l->len, l->lineno);
		analyze(d, l->body);
		if (starts(skip_ws(l->body), "---[ end Kernel panic"))
			complete(d);
		return;
	}
	if ((l->has_ts && !l->other) || d->npending >= DETECT_TRAILER_SLACK) {
		complete(d); /* the kernel (or the world) has moved on */
		return;
	}
	pending_add(d, l->buf, l->len, l->lineno);
}

static void line_report(struct detector *d, const struct line *l)
{
	const struct rule *r = l->other ? NULL : l->rule;

	if (r && (r->flags & R_PANIC) && !l->tentative) {
		/* a panic right after (or inside) a report is its consequence */
		pending_flush(d, l->lineno);
		report_add(d, l->buf, l->len, l->lineno);
		d->state = S_PANIC;
		return;
	}
	/* user output quoting a marker (a tentative one without a timestamp) does not split */
	if (l->rule && !(l->rule->flags & (R_WEAK | R_PANIC)) && (!l->tentative || l->has_ts)) {
		complete(d);
		start(d, l->rule, l->marker, l->tentative, l->ctx);
		d->line = l->lineno;
		report_add(d, l->buf, l->len, l->lineno);
		analyze(d, l->body);
		return;
	}
	if (d->state == S_BODY && (d->rule->flags & R_INDENT) && !l->other && l->body[0] != ' ')
		d->state = S_TRAILER; /* the end of a kmemleak record */
	if (d->state == S_TRAILER) {
		line_trailer(d, l);
		return;
	}
	report_add(d, l->buf, l->len, l->lineno);
	if (l->other)
		return;
	analyze(d, l->body);
	check_body_end(d, l->body);
}

void detector_line(struct detector *d, const char *line, size_t len, size_t lineno)
{
	char buf[DETECT_LINE_MAX + 1];
	struct line l = {.buf = buf, .lineno = lineno};
	int continued = lineno == d->last_lineno; /* a segment or chunk of one raw line */

	d->last_lineno = lineno;
	l.len = copy_line(buf, line, len);
	l.body = kernel_text(buf, &l.has_ts, l.ctx);
	classify(d, &l, continued);
	if (l.has_ts)
		d->seen_ts = 1;
	if (d->state == S_IDLE && l.has_ts)
		track_taint(d, l.body);

	if (l.rule && (l.rule->special == SP_BANNER || l.rule->special == SP_FIRMWARE)) {
		close_report(d);
		banner(d, l.rule, buf, l.len, lineno);
		return;
	}
	if (l.rule && l.rule->special == SP_RESTART) {
		d->restart_expected = 1;
		l.rule = NULL;
	}

	switch (d->state) {
	case S_IDLE:
		if (l.rule) {
			start(d, l.rule, l.marker, l.tentative, l.ctx);
			d->line = lineno;
			report_add(d, buf, l.len, lineno);
			analyze(d, l.body);
		}
		return;
	case S_TENTATIVE:
		line_tentative(d, &l);
		return;
	case S_PANIC:
		report_add(d, buf, l.len, lineno);
		if (l.other)
			return;
		analyze(d, l.body);
		if (starts(skip_ws(l.body), "---[ end Kernel panic") ||
		    starts(skip_ws(l.body), "Rebooting in "))
			complete(d);
		return;
	case S_BODY:
	case S_TRAILER:
		line_report(d, &l);
		return;
	}
}

void detector_flush(struct detector *d)
{
	close_report(d);
}

int detector_in_report(const struct detector *d)
{
	return d->state != S_IDLE && d->state != S_TENTATIVE;
}

int detector_body_ended(const struct detector *d)
{
	return d->state == S_TRAILER;
}

int detector_next(struct detector *d, struct crash *ret)
{
	if (d->q_head == d->q_nr)
		return 0;
	*ret = d->queue[d->q_head++];
	if (d->q_head == d->q_nr)
		d->q_head = d->q_nr = 0;
	return 1;
}
