/*
 * detect-rules - the tables of report kinds, WARNING checkers and frames for
 * the crash detector. The formats are the kernel's own printk formats (x86,
 * arm64, arm; old and new wordings of the same report map to one title);
 * the titles and the frames skipped follow the convention of syzkaller's
 * pkg/report for Linux. Order matters: the first matching row wins, so
 * specific rows come before the generic "BUG: " and "WARNING: " rows.
 */
#include "detect-rules.h"

#include "util.h"

#include <string.h>

#define M(s) s, sizeof(s) - 1

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- extra conditions ---- */

static int is_rcu_stall(const char *t)
{
	const char *nl = t + strcspn(t, "\n");
	const char *d = strstr(t, "detected");

	return d && d < nl && strstr(d, "stall") != NULL;
}

static int is_hung_task(const char *t)
{
	return strstr(t, " blocked for more than ") != NULL;
}

/* "WARNING: CPU: 0 PID: 1 at F:L FUNC", "WARNING: at F:L FUNC()", "WARNING: F:L at FUNC, CPU#0:
 * c/p" */
static int is_warning(const char *t)
{
	const char *p = t + strlen("WARNING: ");
	const char *sp;

	if (starts(p, "CPU: ") || starts(p, "at "))
		return 1;
	sp = strchr(p, ' ');
	if (!sp || !starts(sp, " at "))
		return 0;
	for (const char *q = p; q < sp; q++)
		if (*q == ':' && q[1] >= '0' && q[1] <= '9')
			return 1; /* a FILE:LINE token */
	return 0;
}

static int is_dentry(const char *t)
{
	return strstr(t, "still in use") != NULL;
}

static int is_netdev(const char *t)
{
	return strstr(t, " to become free") != NULL;
}

/* ---- frames skipped for particular kinds ---- */

/* clang-format off */
static const char *const skip_none[] = {NULL};
static const char *const skip_ubsan[] = {"*ubsan*", NULL};
static const char *const skip_stall[] = {"*apic_timer_interrupt*", "rcu*", "*sysvec*", NULL};
static const char *const skip_leak[] = {
	"*kmemleak*", "*kmalloc*", "*kcalloc*", "*kzalloc*", "*vmalloc*", "*mmap*", "*kmem*",
	"*slab*", "*alloc*", "*create_object*", "*idr_get*", "*list_lru_init*", "*kasprintf*",
	"*kvasprintf*", "*pcpu_create*", "*strdup*", "*strndup*", "*memdup*", NULL};
static const char *const skip_rcu[] = {
	"*rcu*", "*kmem*", "*slab*", "*kmalloc*", "*vmalloc*", "*kcalloc*", "*kzalloc*",
	"lockdep*", NULL};
static const char *const skip_nonstatic[] = {"*stack*", "*lock*", "*IRQ*", NULL};
static const char *const skip_free[] = {"*kfree*", "*kmem_*", "*slab_*", "*vunmap*", "*vfree*", NULL};
static const char *const skip_page[] = {
	"bad_page", "*free_page*", "*free_pages*", "free_unref*", "__free_*", "free_pcp*",
	"*folio*", "put_page", "__put_page", "release_pages", "dump_page", "check_new_page*",
	"free_the_page", NULL};
static const char *const skip_usercopy[] = {"*usercopy*", "__check*", "check_*object*", NULL};
static const char *const skip_spin[] = {"*spin_*", NULL};
static const char *const skip_odebug[] = {
	"debug_*", "*rcu*", "hrtimer_*", "timer_*", "work_*", "percpu_*", "kmem_*", "slab_*",
	"kfree", "vunmap", "vfree", "__free_*", "debug_check*", "kobject_*", "__debug_*", NULL};
static const char *const skip_refcount[] = {"*refcount*", "kobject_*", NULL};
static const char *const skip_kobject[] = {"kobject_*", NULL};
static const char *const skip_lockdep[] = {"lock_sock*", "release_sock", NULL};
static const char *const skip_kmalloc[] = {
	"*kmalloc*", "*kcalloc*", "*kzalloc*", "*krealloc*", "*vmalloc*", "*slab*", "*kmem*", NULL};
/* clang-format on */

/* ---- the report kinds ---- */

#define LOCKDEP(m, t, ff, after, skip)                                                             \
	{                                                                                          \
		M(m), NULL, "lockdep", t, TF_FIXED, ff, SP_NONE, R_LEVEL | R_NEEDFN, after, skip   \
	}

/* clang-format off */
static const struct rule rules[] = {
	/* lockdep, in all its wordings: "WARNING: X", older "INFO: X", "[ INFO: X ]", "[ BUG: X ]" */
	LOCKDEP("possible circular locking dependency detected", "possible deadlock", FF_AFTER,
		"is trying to acquire", skip_none),
	LOCKDEP("possible recursive locking detected", "possible deadlock", FF_AFTER,
		"is trying to acquire", skip_none),
	LOCKDEP("possible irq lock inversion dependency detected", "possible deadlock", FF_AFTER,
		"just changed the state of lock", skip_none),
	LOCKDEP("SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", "possible deadlock",
		FF_AFTER, "is trying to acquire", skip_none),
	LOCKDEP("HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", "possible deadlock",
		FF_AFTER, "is trying to acquire", skip_none),
	LOCKDEP("inconsistent lock state", "inconsistent lock state", FF_AFTER, " takes:",
		skip_none),
	LOCKDEP("suspicious RCU usage", "WARNING: suspicious RCU usage", FF_TRACE, NULL, skip_rcu),
	LOCKDEP("bad unlock balance detected", "WARNING: bad unlock balance", FF_AFTER,
		"is trying to release lock", skip_none),
	LOCKDEP("held lock freed", "WARNING: held lock freed", FF_AFTER,
		"with a lock still held", skip_none),
	LOCKDEP("lock held when returning to user space", "WARNING: lock held when returning to user space",
		FF_AFTER, "with locks still held", skip_none),
	LOCKDEP("trying to register non-static key", "INFO: trying to register non-static key",
		FF_TRACE, NULL, skip_nonstatic),

	/* sanitizers */
	{M("BUG: KASAN: "), NULL, "kasan", "KASAN", TF_KASAN, FF_LINE, SP_NONE,
	 R_MIDLINE | R_SANITIZER | R_NEEDFN, NULL, skip_free},
	{M("BUG: KMSAN: "), NULL, "kmsan", "KMSAN", TF_SAN, FF_LINE, SP_NONE,
	 R_MIDLINE | R_SANITIZER | R_NEEDFN, NULL, skip_none},
	{M("BUG: KCSAN: "), NULL, "kcsan", "KCSAN", TF_KCSAN, FF_LINE, SP_NONE,
	 R_MIDLINE | R_SANITIZER, NULL, skip_none},
	{M("BUG: KFENCE: "), NULL, "kfence", "KFENCE", TF_SAN, FF_LINE, SP_NONE,
	 R_MIDLINE | R_SANITIZER | R_NEEDFN, NULL, skip_none},
	{M("UBSAN: "), NULL, "ubsan", "UBSAN", TF_SAN, FF_TRACE, SP_NONE, R_SANITIZER | R_NEEDFN,
	 NULL, skip_ubsan},

	/* faults: one title whatever the kernel version or architecture words it */
	{M("BUG: unable to handle page fault"), NULL, "page-fault",
	 "BUG: unable to handle kernel paging request", TF_FIXED, FF_RIP, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("BUG: unable to handle kernel paging request"), NULL, "page-fault",
	 "BUG: unable to handle kernel paging request", TF_FIXED, FF_RIP, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("BUG: Unable to handle kernel data access"), NULL, "page-fault",
	 "BUG: unable to handle kernel paging request", TF_FIXED, FF_RIP, SP_NONE, R_NEEDFN,
	 NULL, skip_none},
	{M("Unable to handle kernel paging request"), NULL, "page-fault",
	 "BUG: unable to handle kernel paging request", TF_FIXED, FF_RIP, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("BUG: kernel NULL pointer dereference"), NULL, "null-deref",
	 "BUG: unable to handle kernel NULL pointer dereference", TF_FIXED, FF_RIP, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("BUG: unable to handle kernel NULL pointer dereference"), NULL, "null-deref",
	 "BUG: unable to handle kernel NULL pointer dereference", TF_FIXED, FF_RIP, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("BUG: Kernel NULL pointer dereference"), NULL, "null-deref",
	 "BUG: unable to handle kernel NULL pointer dereference", TF_FIXED, FF_RIP, SP_NONE,
	 R_NEEDFN, NULL, skip_none},
	{M("Unable to handle kernel NULL pointer dereference"), NULL, "null-deref",
	 "BUG: unable to handle kernel NULL pointer dereference", TF_FIXED, FF_RIP, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("BUG: unable to handle kernel"), NULL, "page-fault", "BUG: unable to handle kernel",
	 TF_FIXED, FF_RIP, SP_NONE, 0, NULL, skip_none},
	{M("Unable to handle kernel "), NULL, "page-fault", "BUG: unable to handle kernel",
	 TF_FIXED, FF_RIP, SP_NONE, 0, NULL, skip_none},
	{M("general protection fault:"), NULL, "gpf", "general protection fault", TF_FIXED,
	 FF_RIP, SP_NONE, R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("general protection fault,"), NULL, "gpf", "general protection fault", TF_FIXED,
	 FF_RIP, SP_NONE, R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("general protection fault "), NULL, "gpf", "general protection fault", TF_FIXED,
	 FF_RIP, SP_NONE, R_NEEDFN, NULL, skip_none},
	{M("divide error: "), NULL, "divide-error", "divide error", TF_FIXED, FF_RIP, SP_NONE,
	 R_NEEDFN, NULL, skip_none},
	{M("stack segment: "), NULL, "stack-segment", "stack segment fault", TF_FIXED, FF_RIP,
	 SP_NONE, R_NEEDFN, NULL, skip_none},
	{M("PANIC: double fault"), NULL, "double-fault", "PANIC: double fault", TF_FIXED, FF_RIP,
	 SP_NONE, R_WEAK | R_NEEDFN, NULL, skip_none},
	{M("invalid opcode: "), NULL, "invalid-opcode", "invalid opcode", TF_FIXED, FF_RIP,
	 SP_NONE, R_WEAK | R_NEEDFN, NULL, skip_none},
	{M("kernel stack overflow"), NULL, "stack-overflow", "kernel stack overflow", TF_FIXED,
	 FF_RIP, SP_NONE, R_WEAK | R_NEEDFN, NULL, skip_none},
	{M("Insufficient stack space to handle exception"), NULL, "stack-overflow",
	 "kernel stack overflow", TF_FIXED, FF_RIP, SP_NONE, R_NEEDFN, NULL, skip_none},
	{M("BUG: stack guard page was hit"), NULL, "stack-overflow",
	 "BUG: stack guard page was hit", TF_FIXED, FF_RIP, SP_NONE, R_NEEDFN, NULL, skip_none},
	{M("Unhandled fault"), NULL, "unhandled-fault", "Unhandled fault", TF_FIXED, FF_RIP,
	 SP_NONE, R_NEEDFN, NULL, skip_none},
	{M("Internal error: "), NULL, "oops", "Internal error", TF_INTERNAL, FF_RIP, SP_NONE,
	 R_WEAK, NULL, skip_none},

	/* BUG() and friends */
	{M("kernel BUG at mm/usercopy.c"), NULL, "kernel-bug", "BUG: bad usercopy", TF_FIXED,
	 FF_TRACE, SP_NONE, R_MIDLINE | R_NEEDFN, NULL, skip_usercopy},
	{M("kernel BUG at lib/list_debug.c"), NULL, "kernel-bug", "BUG: corrupted list",
	 TF_FIXED, FF_RIP, SP_NONE, R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("kernel BUG at "), NULL, "kernel-bug", "kernel BUG", TF_FIXED, FF_RIP, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},

	/* lockups, stalls, hangs */
	{M("BUG: soft lockup"), NULL, "soft-lockup", "BUG: soft lockup", TF_FIXED, FF_STALL,
	 SP_NONE, R_MIDLINE | R_NEEDFN, NULL, skip_stall},
	{M("Watchdog detected hard LOCKUP"), NULL, "hard-lockup", "BUG: hard lockup", TF_FIXED,
	 FF_RIP, SP_NONE, 0, NULL, skip_none},
	{M("INFO: rcu_"), is_rcu_stall, "rcu-stall", "INFO: rcu detected stall", TF_FIXED,
	 FF_STALL, SP_NONE, R_NEEDFN, NULL, skip_stall},
	{M("INFO: rcu detected stall"), NULL, "rcu-stall", "INFO: rcu detected stall", TF_FIXED,
	 FF_STALL, SP_NONE, R_NEEDFN, NULL, skip_stall},
	{M("INFO: task "), is_hung_task, "hung-task", "INFO: task hung", TF_FIXED, FF_HUNG,
	 SP_NONE, R_NEEDFN, NULL, skip_none},
	{M("BUG: workqueue lockup"), NULL, "workqueue-lockup", "BUG: workqueue lockup", TF_FIXED,
	 FF_NONE, SP_NONE, 0, NULL, skip_none},

	/* other BUG: reports with a title of their own */
	{M("BUG: Bad page state"), NULL, "bad-page", "BUG: Bad page state", TF_FIXED, FF_TRACE,
	 SP_NONE, 0, NULL, skip_page},
	{M("BUG: Dentry "), is_dentry, "dentry", NULL, TF_DENTRY, FF_NONE, SP_NONE, 0, NULL,
	 skip_none},
	{M("BUG: spinlock "), NULL, "bug", NULL, TF_BUG, FF_TRACE, SP_NONE, 0, NULL, skip_spin},
	{M("BUG: memory leak"), NULL, "kmemleak", "memory leak", TF_FIXED, FF_TRACE, SP_NONE,
	 R_INDENT | R_NEEDFN, NULL, skip_leak},
	{M("BUG: "), NULL, "bug", NULL, TF_BUG, FF_TRACE, SP_NONE, 0, NULL, skip_none},

	{M("unreferenced object 0x"), NULL, "kmemleak", "memory leak", TF_FIXED, FF_TRACE,
	 SP_NONE, R_INDENT | R_NEEDFN, NULL, skip_leak},
	{M("WARNING: "), is_warning, "warning", NULL, TF_WARN, FF_LINE, SP_NONE,
	 R_MIDLINE | R_NEEDFN, NULL, skip_none},
	{M("unregister_netdevice: waiting for "), is_netdev, "netdev-leak",
	 "unregister_netdevice: waiting for DEV to become free", TF_FIXED, FF_NONE, SP_NONE,
	 R_WEAK | R_ONELINE, NULL, skip_none},
	{M("VFS: Busy inodes after unmount"), NULL, "busy-inodes",
	 "VFS: Busy inodes after unmount (use-after-free)", TF_FIXED, FF_NONE, SP_NONE, R_ONELINE,
	 NULL, skip_none},

	/* panics */
	{M("Kernel panic - not syncing: stack-protector: "), NULL, "panic",
	 "kernel panic: stack is corrupted", TF_FIXED, FF_LINE, SP_NONE, R_PANIC | R_MIDLINE,
	 NULL, skip_none},
	{M("Kernel panic - not syncing: kernel stack overflow"), NULL, "stack-overflow",
	 "kernel stack overflow", TF_FIXED, FF_RIP, SP_NONE, R_PANIC | R_MIDLINE, NULL, skip_none},
	{M("Kernel panic - not syncing: "), NULL, "panic", NULL, TF_PANIC, FF_NONE, SP_NONE,
	 R_PANIC | R_MIDLINE, NULL, skip_none},
	{M("KASAN: "), NULL, "kasan", "KASAN", TF_KASAN, FF_LINE, SP_NONE,
	 R_WEAK | R_SANITIZER | R_NEEDFN, NULL, skip_free},
	{M("Oops: "), NULL, "oops", NULL, TF_OOPS, FF_RIP, SP_NONE, R_WEAK, NULL, skip_none},

	/* boots */
	{M("Linux version "), NULL, "reboot", NULL, TF_FIXED, FF_NONE, SP_BANNER, 0, NULL, skip_none},
	{M("SeaBIOS (version "), NULL, "reboot", NULL, TF_FIXED, FF_NONE, SP_FIRMWARE, 0, NULL,
	 skip_none},
	{M("Booting the kernel"), NULL, "reboot", NULL, TF_FIXED, FF_NONE, SP_FIRMWARE, 0, NULL,
	 skip_none},
	{M("Decompressing Linux"), NULL, "reboot", NULL, TF_FIXED, FF_NONE, SP_FIRMWARE, 0, NULL,
	 skip_none},
	{M("reboot: Restarting system"), NULL, "reboot", NULL, TF_FIXED, FF_NONE, SP_RESTART, 0,
	 NULL, skip_none},
	{M("reboot: Power down"), NULL, "reboot", NULL, TF_FIXED, FF_NONE, SP_RESTART, 0, NULL,
	 skip_none},
	{M("reboot: System halted"), NULL, "reboot", NULL, TF_FIXED, FF_NONE, SP_RESTART, 0, NULL,
	 skip_none},
};

static const struct warn_checker checkers[] = {
	{"lib/debugobjects.c", "WARNING: ODEBUG bug", skip_odebug},
	{"mm/usercopy.c", "WARNING: bad usercopy", skip_usercopy},
	{"lib/kobject.c", "WARNING: kobject bug", skip_kobject},
	{"fs/proc/generic.c", "WARNING: proc registration bug", skip_none},
	{"lib/refcount.c", "WARNING: refcount bug", skip_refcount},
	{"kernel/locking/lockdep.c", "WARNING: locking bug", skip_lockdep},
	{"mm/slab_common.c", "WARNING: kmalloc bug", skip_kmalloc},
	{"mm/page_alloc.c", "WARNING: kmalloc bug", skip_kmalloc},
};
/* clang-format on */

/* Words a line may start with before its report's marker. */
static const char *skip_prefixes(const char *t)
{
	static const char *const prefixes[] = {"watchdog: ", "NMI watchdog: ", "rcu: ", "[ "};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (starts(t, prefixes[i]))
			return t + strlen(prefixes[i]);
	return t;
}

/* lockdep's level words ("WARNING: possible ...", "INFO: ...", "BUG: ..."). */
static const char *skip_level(const char *t)
{
	static const char *const levels[] = {"WARNING: ", "INFO: ", "BUG: "};

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (starts(t, levels[i]))
			return t + strlen(levels[i]);
	return NULL;
}

static int rule_at(const struct rule *r, const char *t, const char *level)
{
	if (r->flags & R_LEVEL)
		return level && strncmp(level, r->marker, r->mlen) == 0;
	return strncmp(t, r->marker, r->mlen) == 0 && (!r->check || r->check(t));
}

const struct rule *rules_match(const char *t, const char **ret_at)
{
	const char *level;

	t = skip_prefixes(t);
	level = skip_level(t);
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (rule_at(&rules[i], t, level)) {
			*ret_at = t;
			return &rules[i];
		}
	return NULL;
}

const struct rule *rules_find_midline(const char *t, const char **ret_at)
{
	if (!*t)
		return NULL;
	/* the first letters of every R_MIDLINE marker: most positions cost one strchr */
	for (const char *p = t + 1; *p; p++) {
		if (!strchr("BUWgkK", *p))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
			if ((rules[i].flags & R_MIDLINE) && rule_at(&rules[i], p, NULL)) {
				*ret_at = p;
				return &rules[i];
			}
	}
	return NULL;
}

const struct warn_checker *rules_warn_checker(const char *line)
{
	for (size_t i = 0; i < ARRAY_SIZE(checkers); i++)
		if (strstr(line, checkers[i].file))
			return &checkers[i];
	return NULL;
}

/* ---- frames ---- */

static int pattern_match(const char *fn, const char *pat)
{
	size_t n = strlen(pat), m = strlen(fn);
	int head = pat[0] == '*', tail = n > 1 && pat[n - 1] == '*';
	const char *core = pat + head;
	size_t k = n - (size_t)head - (size_t)tail;

	if (head && tail) {
		for (size_t i = 0; i + k <= m; i++)
			if (strncmp(fn + i, core, k) == 0)
				return 1;
		return 0;
	}
	if (head)
		return m >= k && strncmp(fn + m - k, core, k) == 0;
	if (tail)
		return strncmp(fn, core, k) == 0;
	return strcmp(fn, pat) == 0;
}

int frame_in(const char *fn, const char *const *patterns)
{
	for (; patterns && *patterns; patterns++)
		if (pattern_match(fn, *patterns))
			return 1;
	return 0;
}

/* clang-format off */
static const char *const generic_frames[] = {
	/* reporting */
	"dump_stack*", "show_stack*", "unwind_backtrace", "__dabt_svc", "do_DataAbort",
	"do_PrefetchAbort", "show_trace*", "show_regs", "__show_regs", "dump_backtrace*",
	"sched_show_task", "print_report", "print_address_description*", "panic", "*_panic",
	"__warn*", "warn_slowpath*", "warn_alloc*", "report_bug", "handle_bug", "fixup_bug",
	"invalid_op", "do_error*", "*_trap", "die", "__die*", "oops_*", "*printk*", "vprintk*",
	"dev_printk*", "_dev_*", "dev_info", "dev_notice", "dev_warn", "dev_err", "dev_alert",
	"dev_crit", "dev_emerg", "debug_object*", "debug_print_object", "debug_check_no_obj*",
	"timer_is_static_object", "work_is_static_object", "__list_*", "list_add*", "list_del*",
	"list_replace*", "list_move*", "list_splice*", "__list_del_entry*", "rb_erase*",
	"rb_insert*", "__rb_*", "refcount_*", "__refcount_*",
	/* sanitizers and instrumentation */
	"kasan_*", "__kasan_*", "__asan_*", "asan_*", "check_memory_region*", "kfence_*",
	"__kfence_*", "kmsan_*", "__msan_*", "ubsan_*", "__ubsan_*", "__sanitizer_*",
	"kcsan_*", "__kcsan_*", "__tsan_*", "read_word_at_a_time", "*_indirect_thunk_*",
	"perf_trace*", "lockdep_*", "__lockdep_*", "lock_acquire*", "lock_release",
	"__lock_acquire", "lock_class*", "reacquire_held_locks", "mark_lock*",
	/* exception and interrupt entry */
	"exc_*", "asm_exc_*", "asm_sysvec_*", "sysvec_*", "__sysvec_*", "smp_apic_timer_interrupt",
	"apic_timer_interrupt", "ret_from_intr", "asm_common_interrupt", "common_interrupt",
	"page_fault_oops", "kernelmode_fixup_or_oops", "__bad_area*", "bad_area*",
	"do_user_addr_fault", "do_kern_addr_fault", "handle_page_fault", "no_context",
	"spurious_kernel_fault", "do_mem_abort", "__do_kernel_fault", "die_kernel_fault",
	"do_translation_fault", "do_page_fault", "do_bad_area", "el1_*", "el1h_*", "el0_*",
	"el0t_*", "invoke_syscall", "do_el0_svc", "__do_user_fault", "irq_exit*",
	"__irq_exit_rcu", "irq_enter*", "__do_softirq", "do_softirq*", "handle_softirqs",
	"run_ksoftirqd", "__run_timers", "run_timer_softirq", "call_timer_fn", "expire_timers",
	"rcu_*", "__rcu_*", "print_cpu_stall*", "print_other_cpu_stall*", "check_cpu_stall*",
	"nmi_*", "__nmi_*", "default_do_nmi", "trigger_*", "arch_trigger_*", "watchdog_*",
	"__watchdog_*", "hrtimer_*", "__hrtimer_*", "tick_*", "update_process_times",
	"scheduler_tick", "sched_tick", "lapic_*", "__smp_call_*", "smp_call_function*",
	/* scheduling, waiting, locking */
	"__schedule", "__schedule_bug*", "schedule", "schedule_*", "preempt_schedule*",
	"io_schedule*", "__cond_resched", "_cond_resched", "__wait_*", "wait_for_*", "wait_on_*",
	"do_wait_for_common", "prepare_to_wait*", "finish_wait", "__wake_up*", "__mutex_*",
	"mutex_lock*", "mutex_trylock*", "mutex_unlock*", "mutex_remove_waiter", "osq_lock",
	"osq_unlock", "__down*", "down", "down_*", "up_read", "up_write", "rwsem_*", "__rwsem_*",
	"percpu_down*", "__percpu_down*", "msleep*", "usleep_range*", "ssleep", "__flush_work",
	"flush_work", "__flush_workqueue", "flush_workqueue", "drain_workqueue",
	"destroy_workqueue", "__cancel_work*", "cancel_work_sync", "try_to_grab_pending",
	"del_timer*", "kthread_stop", "*spin_lock*", "*spin_trylock*", "*spin_unlock*",
	"_raw_read_*", "_raw_write_*", "__raw_*", "queued_spin_lock_slowpath",
	"native_queued_spin_lock_slowpath", "__pv_queued_spin_lock_slowpath",
	"__might_resched", "__might_sleep", "might_sleep", "__might_fault", "might_fault",
	"___might_sleep", "check_preemption_disabled", "debug_smp_processor_id",
	/* strings, copies, allocation */
	"memcpy*", "__memcpy*", "memmove*", "__memmove*", "memset*", "__memset*", "memcmp",
	"__memcmp", "memchr*", "bcmp", "strlen", "strnlen", "strcmp", "strncmp", "strcpy",
	"strncpy", "strscpy*", "strcat", "strncat", "strlcpy", "strchr", "strrchr", "strstr",
	"strnstr", "string*", "pointer", "vsnprintf", "snprintf", "scnprintf", "sprintf",
	"kasprintf", "kvasprintf", "__stack_chk_fail", "fortify_panic", "__fortify_*",
	"copy_to_user*", "copy_from_user*", "_copy_to_user", "_copy_from_user", "__copy_*",
	"copy_user_*", "rep_movs*", "__get_user*", "__put_user*", "*put_user*", "*get_user*",
	"raw_copy_*", "kfree", "kvfree", "vfree", "kmem_cache_free", "__kmem_cache_free",
	"slab_free*", "__slab_free", "kmalloc*", "__kmalloc*", "kmem_cache_alloc*", "slab_alloc*",
	"kobject_del", "kobject_put", "kobject_uevent_env", "add_uevent_var",
	/* idle, boot, thread and syscall entry */
	"default_idle*", "native_safe_halt", "pv_native_safe_halt", "arch_cpu_idle*", "cpu_idle*",
	"do_idle", "cpu_startup_entry", "acpi_idle*", "poll_idle", "mwait_idle*", "intel_idle*",
	"cpuidle_enter*", "call_cpuidle", "start_secondary", "secondary_startup_64*",
	"start_kernel", "rest_init", "arch_call_rest_init", "x86_64_start_*", "kthread",
	"ret_from_fork*", "worker_thread", "process_one_work", "process_scheduled_works",
	"smpboot_thread_fn", "entry_SYSCALL_64*", "do_syscall_64", "syscall_exit_*",
	"exit_to_user_mode*", NULL};

/* syzkaller's dispatch frames, plus module init: the frame just inside one is representative */
static const char *const stall_anchors[] = {
	"process_one_work", "do_syscall_*", "do_fast_syscall_*", "sysenter_dispatch",
	"tracesys_phase2", "*netif_receive_skb*", "do_softirq*", "call_timer_fn",
	"*_run_timers", "run_timer_softirq", "run_ksoftirqd", "smpboot_thread_fn", "kthread",
	"start_secondary", "cpu_startup_entry", "ret_from_fork*", "vfs_write", "vfs_read",
	"vfs_iter_read", "vfs_iter_write", "do_iter_read", "do_iter_write", "vfs_ioctl",
	"blkdev_driver_ioctl", "blkdev_ioctl", "call_read_iter", "call_write_iter",
	"do_iter_readv_writev", "call_mmap", "mmap_region", "do_mmap", "do_dentry_open",
	"vfs_open", "sock_sendmsg*", "sock_recvmsg*", "sock_release", "__sock_release",
	"__sys_setsockopt", "kernel_setsockopt", "sock_common_setsockopt", "__sys_listen",
	"kernel_listen", "sk_common_release", "sock_mmap", "__sys_accept*", "kernel_accept",
	"sock_do_ioctl", "sock_ioctl", "compat_sock_ioctl", "nfnetlink_rcv_msg", "__do_fault",
	"handle_mm_fault", "do_page_fault", "page_fault", "__fput", "task_work_run",
	"exit_to_usermode*", "invoke_syscall", "do_one_initcall", NULL};

static const char *const hung_waits[] = {
	"*sched*", "*_lock*", "*_slowlock*", "*down*", "*completion*", "*kthread*", "*wait*",
	"*synchronize*", "*context_switch*", "*__switch_to*", "*cancel_delayed_work*", NULL};
/* clang-format on */

int frame_generic(const char *fn)
{
	return frame_in(fn, generic_frames);
}

int frame_stall_anchor(const char *fn)
{
	return frame_in(fn, stall_anchors);
}

const char *frame_hung_anchor(const char *fn)
{
	static const char *const rcu[] = {"synchronize_rcu*", "synchronize_srcu*",
					  "synchronize_net*", "synchronize_sched*", NULL};

	if (starts(fn, "rtnl_lock"))
		return "rtnl_lock";
	if (frame_in(fn, rcu))
		return "synchronize_rcu";
	return NULL;
}

int frame_hung_wait(const char *fn)
{
	return frame_in(fn, hung_waits);
}
