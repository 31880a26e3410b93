/*
 * detect - finds Linux kernel crash reports in sanitized console lines and
 * names each with a title that is the same on every boot (after syzkaller's
 * pkg/report). It is a line-at-a-time state machine:
 *
 *   IDLE     no report; a start marker opens one (BODY, or PANIC for a panic)
 *   BODY     every line is kept; "---[ end trace", the closing "</TASK>" of
 *            the call trace, or the "=====" rule of KASAN/KFENCE/UBSAN ends
 *            the body, and the report moves to TRAILER
 *   TRAILER  what the kernel prints right after a report (the "executive
 *            summary" register dump, "Modules linked in", a "Kernel panic"
 *            caused by the report...) still joins it; any other kernel line
 *            closes the report, and a few lines of other output are held
 *            back in case the kernel continues
 *   PANIC    everything joins until "---[ end Kernel panic" or "Rebooting in"
 *
 * Titles are built from the marker line and one function name (the first
 * "RIP:" function, else the first call-trace frame that is not a generic
 * helper), then normalized: offsets, [module] tags, bracketed text, long hex
 * numbers, CPU numbers and PIDs removed. No guest text is used as a format
 * string; every buffer here is bounded.
 */
#include "detect.h"

#include "console.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define DETECT_LINE_MAX CONSOLE_LINE_MAX
#define FUNC_MAX 128
#define DESC_MAX 256

enum kind {
	K_NONE,
	K_PAGE_FAULT,
	K_NULL_DEREF,
	K_BUG,
	K_GPF,
	K_KERNEL_BUG,
	K_WARNING,
	K_KASAN,
	K_KFENCE,
	K_UBSAN,
	K_SOFT_LOCKUP,
	K_HARD_LOCKUP,
	K_RCU_STALL,
	K_HUNG_TASK,
	K_PANIC,
	K_OOPS,
	K_BANNER,  /* "Linux version": not a report by itself */
	K_RESTART, /* "reboot: Restarting system": the next banner is expected */
};

enum state { S_IDLE, S_BODY, S_TRAILER, S_PANIC };

struct detector {
	enum state state;

	/* the report in progress */
	enum kind kind;
	size_t line;
	struct strbuf text;
	size_t nlines;
	int full;
	char desc[DESC_MAX];	   /* kind-specific words from the first line */
	char func_line[FUNC_MAX];  /* function named on the first line (WARNING, KASAN, KFENCE) */
	char func_rip[FUNC_MAX];   /* first "RIP:" function */
	char func_trace[FUNC_MAX]; /* first call-trace frame that is not a generic helper */
	const char *access;	   /* KASAN: "Read" / "Write" */
	struct strbuf pending;	   /* TRAILER: other output held back, '\n'-terminated lines */
	size_t npending;

	int seen_ts;		/* a printk timestamp has been seen: markers need one */
	int seen_banner;	/* a "Linux version" banner has been seen */
	int crash_since_banner; /* a report started since the last banner */
	int restart_expected;	/* "reboot: Restarting system" since the last banner */

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
 * message was printed after unterminated user-space output.
 */
static const char *kernel_text(const char *line, int *ret_has_ts)
{
	for (const char *p = strchr(line, '['); p; p = strchr(p + 1, '[')) {
		const char *e = match_stamp(p), *c;

		if (!e)
			continue;
		c = match_caller(e);
		if (c)
			e = c;
		if (*e == ' ')
			e++;
		*ret_has_ts = 1;
		return e;
	}
	*ret_has_ts = 0;
	return line;
}

/* ---- functions ---- */

/* Helpers that never name the bug: skipped when choosing FUNC ('*': prefix). */
/* clang-format off */
static const char *const generic_funcs[] = {
	"dump_stack*", "show_stack*", "show_trace*", "show_regs", "__show_regs",
	"print_report", "print_address_description*", "kasan_*", "__kasan_*", "__asan_*",
	"asan_*", "check_memory_region*", "kfence_*", "__kfence_*", "kmsan_*", "ubsan_*",
	"__ubsan_*", "panic", "__warn*", "warn_slowpath*", "report_bug", "handle_bug",
	"exc_*", "asm_exc_*", "asm_sysvec_*", "sysvec_*", "__sysvec_*",
	"asm_common_interrupt", "common_interrupt", "do_error_trap", "do_trap", "die",
	"__die*", "oops_*", "page_fault_oops", "kernelmode_fixup_or_oops", "__bad_area*",
	"bad_area*", "do_user_addr_fault", "do_kern_addr_fault", "handle_page_fault",
	"no_context", "spurious_kernel_fault", "irq_exit*", "__irq_exit_rcu", "irq_enter*",
	"__do_softirq", "do_softirq*", "run_ksoftirqd", "__run_timers",
	"run_timer_softirq", "call_timer_fn", "expire_timers", "rcu_*", "__rcu_*",
	"print_cpu_stall*", "print_other_cpu_stall*", "check_cpu_stall*", "nmi_*",
	"__nmi_*", "default_do_nmi", "trigger_*", "arch_trigger_*", "watchdog_*",
	"__watchdog_*", "hrtimer_*", "__hrtimer_*", "tick_*", "update_process_times",
	"scheduler_tick", "lapic_*", "__smp_call_*", "smp_call_function*", "__schedule",
	"__schedule_bug*", "schedule", "schedule_*", "preempt_schedule*", "io_schedule*",
	"__cond_resched", "_cond_resched", "__wait_*", "wait_for_*", "wait_on_*",
	"do_wait_for_common", "prepare_to_wait*", "finish_wait", "__mutex_lock*",
	"mutex_lock*", "__down*", "down", "down_*", "rwsem_*", "__rwsem_*", "percpu_down*",
	"__percpu_down*", "msleep*", "usleep_range*", "ssleep", "__flush_work",
	"flush_work", "__flush_workqueue", "flush_workqueue", "_raw_spin_*",
	"__raw_spin_*", "_raw_read_*", "_raw_write_*", "queued_spin_lock_slowpath",
	"native_queued_spin_lock_slowpath", "__pv_queued_spin_lock_slowpath",
	"do_raw_spin_lock", "lock_acquire*", "lock_release", "__lock_acquire",
	"__might_resched", "__might_sleep", "__might_fault", "___might_sleep",
	"check_preemption_disabled", "debug_smp_processor_id", "memcpy*", "__memcpy*",
	"memmove*", "__memmove*", "memset*", "__memset*", "memcmp", "__memcmp", "bcmp",
	"strlen", "strnlen", "strcmp", "strncmp", "strcpy", "strncpy", "strscpy*",
	"strcat", "strncat", "strlcpy", "strchr", "strrchr", "strstr", "__stack_chk_fail",
	"fortify_panic", "__fortify_*", "copy_to_user*", "copy_from_user*",
	"_copy_to_user", "_copy_from_user", "__copy_*", "copy_user_*", "rep_movs*",
	"__get_user*", "__put_user*", "raw_copy_*", "kfree", "kvfree", "vfree",
	"kmem_cache_free", "__kmem_cache_free", "slab_free*", "__slab_free", "kmalloc*",
	"__kmalloc*", "kmem_cache_alloc*", "slab_alloc*", "default_idle*",
	"native_safe_halt", "pv_native_safe_halt", "arch_cpu_idle*", "cpu_idle*",
	"do_idle", "cpu_startup_entry", "acpi_idle*", "poll_idle", "mwait_idle*",
	"intel_idle*", "cpuidle_enter*", "call_cpuidle", "start_secondary",
	"secondary_startup_64*", "start_kernel", "rest_init", "arch_call_rest_init",
	"x86_64_start_*", "kthread", "ret_from_fork*", "worker_thread", "process_one_work",
	"process_scheduled_works", "smpboot_thread_fn", "entry_SYSCALL_64*",
	"do_syscall_64", "syscall_exit_*", "exit_to_user_mode*"
};
/* clang-format on */

static int is_generic(const char *fn)
{
	for (size_t i = 0; i < ARRAY_SIZE(generic_funcs); i++) {
		const char *g = generic_funcs[i];
		size_t n = strlen(g);

		if (g[n - 1] == '*' ? strncmp(fn, g, n - 1) == 0 : strcmp(fn, g) == 0)
			return 1;
	}
	return 0;
}

/*
 * Copy the symbol that ends at s + end (just before "+0x") into out, without
 * compiler suffixes (".isra.0", ".cold", ...). Returns 1 if there is one.
 */
static int symbol_before(const char *s, size_t end, char *out)
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
	copy_str(out, FUNC_MAX, s + b, n);
	return 1;
}

/* The first "SYM+0x..." in s. */
static int find_func(const char *s, char *out)
{
	for (const char *p = strstr(s, "+0x"); p; p = strstr(p + 3, "+0x"))
		if (symbol_before(s, (size_t)(p - s), out))
			return 1;
	return 0;
}

/*
 * A call-trace frame " func+0x1a/0x40 [mod]" (t has its indent skipped):
 * 1 with the function in out, 0 if t is no frame. Frames marked "? " are
 * unreliable: they count as frames but give no function.
 */
static int frame_func(const char *t, char *out)
{
	size_t n = 0;
	int unreliable = 0;

	if (t[0] == '?' && t[1] == ' ') {
		unreliable = 1;
		t += 2;
	}
	while (is_sym((unsigned char)t[n]))
		n++;
	if (!n || !starts(t + n, "+0x"))
		return 0;
	if (unreliable || !symbol_before(t, n, out))
		out[0] = '\0';
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

/* "TYPE in FUNC+0x..": the type into desc, the function into func_line. */
static void set_type_and_func(struct detector *d, const char *text)
{
	const char *in = strstr(text, " in ");
	char fn[FUNC_MAX];

	if (!in) {
		set_desc(d, text, 1);
		return;
	}
	{
		char *type = xstrndup(text, (size_t)(in - text));

		set_desc(d, type, 0);
		free(type);
	}
	if (find_func(in + 4, fn) && !is_generic(fn))
		memcpy(d->func_line, fn, sizeof(fn));
}

/* ---- the report in progress ---- */

static void report_reset(struct detector *d)
{
	d->kind = K_NONE;
	d->line = 0;
	strbuf_reset(&d->text);
	d->nlines = 0;
	d->full = 0;
	d->desc[0] = d->func_line[0] = d->func_rip[0] = d->func_trace[0] = '\0';
	d->access = NULL;
	strbuf_reset(&d->pending);
	d->npending = 0;
}

static void report_add(struct detector *d, const char *line, size_t len)
{
	size_t need = len + (d->nlines ? 1 : 0);

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

static void pending_add(struct detector *d, const char *line, size_t len)
{
	strbuf_add(&d->pending, line, len);
	strbuf_addch(&d->pending, '\n');
	d->npending++;
}

/* The held-back lines were interleaved with the report after all. */
static void pending_flush(struct detector *d)
{
	const char *p = d->pending.buf, *end = p + d->pending.len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		report_add(d, p, (size_t)(nl - p));
		p = nl + 1;
	}
	strbuf_reset(&d->pending);
	d->npending = 0;
}

static const char *kind_title(enum kind k)
{
	switch (k) {
	case K_PAGE_FAULT:
		return "BUG: unable to handle page fault";
	case K_NULL_DEREF:
		return "BUG: kernel NULL pointer dereference";
	case K_BUG:
		return "BUG";
	case K_GPF:
		return "general protection fault";
	case K_KERNEL_BUG:
		return "kernel BUG";
	case K_WARNING:
		return "WARNING";
	case K_KASAN:
		return "KASAN";
	case K_KFENCE:
		return "KFENCE";
	case K_UBSAN:
		return "UBSAN";
	case K_SOFT_LOCKUP:
		return "BUG: soft lockup";
	case K_HARD_LOCKUP:
		return "BUG: hard lockup";
	case K_RCU_STALL:
		return "INFO: rcu detected stall";
	case K_HUNG_TASK:
		return "INFO: task hung";
	case K_PANIC:
		return "kernel panic";
	case K_OOPS:
		return "Oops";
	case K_BANNER:
		return "unexpected reboot";
	case K_NONE:
	case K_RESTART:
		break;
	}
	return "unknown crash";
}

static char *make_title(const struct detector *d)
{
	struct strbuf sb = STRBUF_INIT;
	const char *fn = NULL;

	strbuf_adds(&sb, kind_title(d->kind));
	switch (d->kind) {
	case K_BUG:
	case K_KASAN:
	case K_KFENCE:
	case K_UBSAN:
	case K_PANIC:
	case K_OOPS:
		if (d->desc[0]) {
			strbuf_adds(&sb, ": ");
			strbuf_adds(&sb, d->desc);
		}
		break;
	default:
		break;
	}
	if (d->kind == K_KASAN && d->access) {
		strbuf_addch(&sb, ' ');
		strbuf_adds(&sb, d->access);
	}
	if (d->kind != K_PANIC && d->kind != K_BANNER) {
		if (d->func_line[0])
			fn = d->func_line;
		else if (d->func_rip[0])
			fn = d->func_rip;
		else if (d->func_trace[0])
			fn = d->func_trace;
	}
	if (fn) {
		strbuf_adds(&sb, " in ");
		strbuf_adds(&sb, fn);
	}
	if (sb.len > DETECT_TITLE_MAX) {
		size_t n = DETECT_TITLE_MAX;

		while (n > 0 && ((unsigned char)sb.buf[n] & 0xc0) == 0x80)
			n--; /* do not split a UTF-8 character */
		sb.len = n;
		sb.buf[n] = '\0';
	}
	return strbuf_detach(&sb);
}

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
	struct crash c;

	c.title = make_title(d);
	c.report = strbuf_detach(&d->text);
	c.line = d->line;
	push(d, &c);
	report_reset(d);
	d->state = S_IDLE;
}

/* ---- markers ---- */

static int is_rcu_stall(const char *t)
{
	if (starts(t, "rcu: "))
		t += 5;
	return starts(t, "INFO: rcu") && strstr(t, "detected") && strstr(t, "stall");
}

/* Which report a line starts, if any. Weak markers only start one outside a report. */
static enum kind classify(const char *t, int *ret_weak)
{
	*ret_weak = 0;
	if (starts(t, "BUG: KASAN: "))
		return K_KASAN;
	if (starts(t, "BUG: KFENCE: "))
		return K_KFENCE;
	if (starts(t, "BUG: unable to handle page fault"))
		return K_PAGE_FAULT;
	if (starts(t, "BUG: kernel NULL pointer dereference") ||
	    starts(t, "BUG: unable to handle kernel NULL pointer dereference"))
		return K_NULL_DEREF;
	if (starts(t, "BUG: soft lockup"))
		return K_SOFT_LOCKUP;
	if (starts(t, "BUG: "))
		return K_BUG;
	if (starts(t, "general protection fault"))
		return K_GPF;
	if (starts(t, "kernel BUG at "))
		return K_KERNEL_BUG;
	if (starts(t, "WARNING: CPU: "))
		return K_WARNING;
	if (starts(t, "Kernel panic - not syncing: "))
		return K_PANIC;
	if (starts(t, "UBSAN: "))
		return K_UBSAN;
	if (starts(t, "watchdog: BUG: soft lockup"))
		return K_SOFT_LOCKUP;
	if (starts(t, "watchdog: Watchdog detected hard LOCKUP") ||
	    starts(t, "NMI watchdog: Watchdog detected hard LOCKUP"))
		return K_HARD_LOCKUP;
	if (is_rcu_stall(t))
		return K_RCU_STALL;
	if (starts(t, "INFO: task ") && strstr(t, " blocked for more than "))
		return K_HUNG_TASK;
	if (starts(t, "Linux version "))
		return K_BANNER;
	if (starts(t, "reboot: Restarting system") || starts(t, "reboot: Power down") ||
	    starts(t, "reboot: System halted"))
		return K_RESTART;
	*ret_weak = 1;
	if (starts(t, "KASAN: "))
		return K_KASAN;
	if (starts(t, "Oops: "))
		return K_OOPS;
	*ret_weak = 0;
	return K_NONE;
}

/* The details a title needs from a report's first line. */
static void describe(struct detector *d, const char *t)
{
	const char *p;
	char fn[FUNC_MAX];

	switch (d->kind) {
	case K_BUG:
		set_desc(d, t + strlen("BUG: "), 1);
		break;
	case K_KASAN:
		p = strstr(t, "KASAN: ");
		set_type_and_func(d, p + strlen("KASAN: "));
		break;
	case K_KFENCE:
		p = strstr(t, "KFENCE: ");
		set_type_and_func(d, p + strlen("KFENCE: "));
		break;
	case K_UBSAN:
		p = t + strlen("UBSAN: ");
		set_type_and_func(d, p);
		d->func_line[0] = '\0'; /* UBSAN names a file:line, FUNC comes from the trace */
		break;
	case K_WARNING:
		if (find_func(t, fn) && !is_generic(fn))
			memcpy(d->func_line, fn, sizeof(fn));
		break;
	case K_PANIC:
		set_desc(d, t + strlen("Kernel panic - not syncing: "), 0);
		break;
	case K_OOPS:
		/* "Oops: 0000 [#1] ..." is plain; newer kernels say "Oops: general protection
		 * fault, ..." */
		p = t + strlen("Oops: ");
		while (is_xdigit((unsigned char)*p))
			p++;
		if (p > t + strlen("Oops: ") && (*p == ' ' || !*p))
			break;
		set_desc(d, t + strlen("Oops: "), 1);
		if (strcmp(d->desc, "general protection fault") == 0) {
			d->kind = K_GPF;
			d->desc[0] = '\0';
		}
		break;
	default:
		break;
	}
}

/* Title material from any line of a report. */
static void analyze(struct detector *d, const char *body)
{
	const char *t = skip_ws(body);
	char fn[FUNC_MAX];

	if (starts(t, "RIP: ") || starts(t, "EIP: ") || starts(t, "pc : ") ||
	    starts(t, "PC is at ")) {
		if (!d->func_rip[0] && find_func(t, fn) && !is_generic(fn))
			memcpy(d->func_rip, fn, sizeof(fn));
	} else if (!d->func_trace[0] && frame_func(t, fn) && fn[0] && !is_generic(fn)) {
		memcpy(d->func_trace, fn, sizeof(fn));
	}
	if (d->kind == K_KASAN && !d->access) {
		if (starts(t, "Read of size"))
			d->access = "Read";
		else if (starts(t, "Write of size"))
			d->access = "Write";
	}
}

/* Register names of a dump: RIP, RSP, RAX, R10, EFLAGS, CS, FS, CR2, DR6, PKRU, ... */
static int is_register_line(const char *t)
{
	size_t n = 0;

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
		"rcu: ", "task:", "Disabling lock debugging",
		"INFO: lockdep is turned off", "Showing all locks held",
		"irq event stamp:", "hardirqs last", "softirqs last"
	};
	/* clang-format on */
	const char *t = skip_ws(body);
	char fn[FUNC_MAX];

	if (!*t)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (starts(t, prefixes[i]))
			return 1;
	return is_register_line(t) || frame_func(t, fn);
}

/* Where a report's body ends: the report then waits in TRAILER for what follows. */
static void check_body_end(struct detector *d, const char *body)
{
	const char *t = skip_ws(body);
	int sanitizer = d->kind == K_KASAN || d->kind == K_KFENCE || d->kind == K_UBSAN;

	if (starts(t, "---[ end Kernel panic")) {
		complete(d);
		return;
	}
	if (starts(t, "---[ end trace") || (sanitizer && starts(t, "==========")) ||
	    (!sanitizer && strcmp(t, "</TASK>") == 0))
		d->state = S_TRAILER;
}

static void start(struct detector *d, enum kind k, const char *body, const char *line, size_t len,
		  size_t lineno)
{
	report_reset(d);
	d->kind = k;
	d->line = lineno;
	d->state = k == K_PANIC ? S_PANIC : S_BODY;
	d->crash_since_banner = 1;
	report_add(d, line, len);
	describe(d, body);
}

static void banner(struct detector *d, const char *line, size_t len, size_t lineno)
{
	if (d->seen_banner && !d->crash_since_banner && !d->restart_expected) {
		report_reset(d);
		d->kind = K_BANNER;
		d->line = lineno;
		report_add(d, line, len);
		complete(d);
	}
	d->seen_banner = 1;
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

void detector_line(struct detector *d, const char *line, size_t len, size_t lineno)
{
	char buf[DETECT_LINE_MAX + 1];
	const char *body;
	int has_ts, weak = 0;
	enum kind k = K_NONE;

	len = copy_line(buf, line, len);
	body = kernel_text(buf, &has_ts);
	if (has_ts)
		d->seen_ts = 1;
	/* once the kernel stamps its lines, an unstamped line is not the kernel's */
	if (has_ts || !d->seen_ts)
		k = classify(body, &weak);

	if (k == K_BANNER) {
		if (d->state != S_IDLE)
			complete(d);
		banner(d, buf, len, lineno);
		return;
	}
	if (k == K_RESTART)
		d->restart_expected = 1;

	switch (d->state) {
	case S_IDLE:
		if (k != K_NONE && k != K_RESTART)
			start(d, k, body, buf, len, lineno);
		return;
	case S_PANIC: {
		const char *t = skip_ws(body);

		report_add(d, buf, len);
		analyze(d, body);
		if (starts(t, "---[ end Kernel panic") || starts(t, "Rebooting in "))
			complete(d);
		return;
	}
	case S_BODY:
	case S_TRAILER:
		break;
	}

	if (k == K_PANIC) {
		/* a panic right after (or inside) a report is its consequence */
		pending_flush(d);
		report_add(d, buf, len);
		d->state = S_PANIC;
		return;
	}
	if (k != K_NONE && k != K_RESTART && !weak) {
		complete(d);
		start(d, k, body, buf, len, lineno);
		return;
	}
	if (d->state == S_BODY) {
		report_add(d, buf, len);
		analyze(d, body);
		check_body_end(d, body);
		return;
	}
	/* S_TRAILER */
	if (k != K_NONE || is_continuation(body)) {
		pending_flush(d);
		report_add(d, buf, len);
		analyze(d, body);
		if (starts(skip_ws(body), "---[ end Kernel panic"))
			complete(d);
		return;
	}
	if (has_ts || d->npending >= DETECT_TRAILER_SLACK) {
		complete(d); /* the kernel (or the world) has moved on */
		return;
	}
	pending_add(d, buf, len);
}

void detector_flush(struct detector *d)
{
	if (d->state != S_IDLE)
		complete(d);
}

int detector_in_report(const struct detector *d)
{
	return d->state != S_IDLE;
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

void crash_release(struct crash *c)
{
	if (!c)
		return;
	free(c->title);
	free(c->report);
	c->title = c->report = NULL;
}
