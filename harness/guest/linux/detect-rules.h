/*
 * detect-rules - the data behind the crash detector (detect.c), kept apart so
 * that adding a report kind is adding a table row: how a report's first line
 * starts, how its title is formed, where its guilty function comes from and
 * which frames never name the bug. Titles follow the convention syzkaller's
 * pkg/report established for Linux, so a bootproof signature can be compared
 * with upstream reports. Internal to the detector.
 */
#ifndef BP_DETECT_RULES_H
#define BP_DETECT_RULES_H

#include <stddef.h>

/* How a title is formed from the first line (detect.c: describe()). */
enum title_form {
	TF_FIXED,    /* rule->title */
	TF_BUG,	     /* "BUG: " + the words before the first detail */
	TF_SAN,	     /* rule->title + ": " + the kind before " in " (KMSAN, KFENCE, UBSAN) */
	TF_KASAN,    /* "KASAN: KIND Read|Write" */
	TF_KCSAN,    /* "KCSAN: " + the line as printed ("data-race in F / G") */
	TF_WARN,     /* "WARNING", or the checker's title (refcount, ODEBUG...) */
	TF_PANIC,    /* "kernel panic: " + message */
	TF_OOPS,     /* "Oops: KIND" (the 6.9+ wording is matched again against the table) */
	TF_DENTRY,   /* "BUG: Dentry still in use [unmount of FS]" */
	TF_INTERNAL, /* arm "Internal error: Oops" */
};

/* Where the guilty function comes from (detect.c: pick_func()). */
enum func_form {
	FF_NONE,  /* the title names no function */
	FF_LINE,  /* the first line (WARNING, KASAN...), else as FF_RIP */
	FF_RIP,	  /* the faulting "RIP:"/"pc :"/"PC is at" function, else as FF_TRACE */
	FF_TRACE, /* the first reliable call-trace frame that is not skipped */
	FF_AFTER, /* lockdep: the first function on or after the line holding rule->after */
	FF_STALL, /* stalls/lockups: the frame just inside the first dispatch ("anchor") frame */
	FF_HUNG, /* hung tasks: rtnl_lock / synchronize_rcu, else the first frame that is no wait */
};

enum special {
	SP_NONE,
	SP_BANNER,   /* "Linux version": not a report by itself */
	SP_FIRMWARE, /* firmware / boot loader banner: the machine restarted */
	SP_RESTART,  /* "reboot: Restarting system": the next banner is expected */
};

#define R_WEAK 0x01	 /* starts a report only outside one (else it is part of it) */
#define R_MIDLINE 0x02	 /* also found after other text on the line (two messages joined) */
#define R_LEVEL 0x04	 /* the marker follows "WARNING: ", "INFO: " or "BUG: " (lockdep) */
#define R_SANITIZER 0x08 /* the body ends at the closing "=====" rule */
#define R_INDENT 0x10	 /* the body ends at the first line that is not indented (kmemleak) */
#define R_ONELINE 0x20	 /* the body is the first line */
#define R_NEEDFN 0x40	 /* a report without the function is truncated: "in corrupted" */
#define R_PANIC 0x80	 /* a panic: everything joins it up to its end */

struct rule {
	const char *marker;
	size_t mlen;
	/* further conditions on the text from the marker on, or NULL */
	int (*check)(const char *t);
	const char *kind;  /* short name of the class: "kasan", "lockdep", ... */
	const char *title; /* fixed title, or the prefix TF_SAN forms it from */
	unsigned char tform, fform, special;
	unsigned short flags;
	const char *after;	 /* FF_AFTER: the text of the line that precedes the culprit */
	const char *const *skip; /* frames never guilty for this kind (patterns, NULL-ended) */
};

/* A WARNING raised by a checker: the title says which, the checker's frames are skipped. */
struct warn_checker {
	const char *file;
	const char *title;
	const char *const *skip;
};

/*
 * The rule whose marker t starts with (t: a line's kernel text, spaces
 * skipped), with *ret_at where the marker starts once prefixes such as
 * "watchdog: " or lockdep's old "[ " are skipped; NULL if none.
 */
const struct rule *rules_match(const char *t, const char **ret_at);
/* The first R_MIDLINE marker after the start of t (*ret_at: where), or NULL. */
const struct rule *rules_find_midline(const char *t, const char **ret_at);
/* The checker whose source file a WARNING line names, or NULL. */
const struct warn_checker *rules_warn_checker(const char *line);

/*
 * Frame patterns: "name" exact, "name*" prefix, "*name" suffix, "*name*"
 * substring. frame_generic(): helpers that never name the bug (reporting,
 * sanitizer, locking, string, list, printk, entry code...);
 * frame_in(fn, list): fn matches one of the NULL-ended list.
 */
int frame_generic(const char *fn);
int frame_in(const char *fn, const char *const *patterns);
/* Dispatch frames a stall's representative function is found just inside of. */
int frame_stall_anchor(const char *fn);
/* Hung tasks: the bucket an anchor frame stands for, else NULL. */
const char *frame_hung_anchor(const char *fn);
/* Hung tasks: a wait, lock or scheduler frame. */
int frame_hung_wait(const char *fn);

#endif
