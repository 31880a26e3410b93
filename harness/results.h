/*
 * results - what a run produced, the one data model every report writer
 * (TAP, JSON, ...) renders. Filled by trial.c and run.c; strings are owned
 * (malloc'd) and released by run_result_release().
 */
#ifndef BP_RESULTS_H
#define BP_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct boot_result {
	int n;                   /* 1-based boot number within the trial */
	enum outcome outcome;
	char *title;             /* crash title, or why it hung / failed; NULL when clean */
	char *excerpt;           /* crash report, or the console tail for a hang; may be NULL */
	char *log;               /* serial log, relative to the run directory */
	char *screenshot;        /* PNG taken at crash time, relative to the run directory, or NULL */
	size_t crash_line;       /* line of the crash report in the log (0: none) */
	int marker_seen;
	int panicked;            /* QMP GUEST_PANICKED seen */
	char *shutdown_reason;   /* QMP SHUTDOWN reason, if any */
	int log_matched;         /* the scenario's log_contains text was seen */
	double duration_s;       /* QEMU start to verdict */
	double detect_ms;        /* crash: panic line's bytes arriving to verdict; else 0 */
};

/* One TAP test point of a trial beyond the per-boot ones. */
struct check_result {
	char *name;
	int ok;
	char *diag; /* why it failed; NULL when ok */
};

enum verdict {
	VERDICT_PASS,
	VERDICT_FAIL,  /* an expectation was not met: a product finding */
	VERDICT_INFRA, /* the harness or host failed: no product finding */
};

const char *verdict_name(enum verdict v);

struct trial_result {
	const struct scenario *scenario;
	char *dir; /* relative to the run directory */
	struct boot_result *boots;
	size_t nr_boots, alloc_boots;
	struct check_result *checks;
	size_t nr_checks, alloc_checks;
	enum verdict verdict;
	int finished;
	double duration_s;
};

struct run_result {
	char *run_id;
	char *dir;          /* reports/<run-id> */
	char *suite_path;
	char *accel;        /* "kvm" or "tcg" */
	char *accel_reason;
	char *host;
	int64_t started_unix;
	double duration_s;
	long peak_rss_kib;  /* the harness process's own peak RSS */
	double trials_s;    /* wall time of the trials alone (after injection) */
	char *work_dir;     /* overlays and sockets, when kept (--keep); else NULL */
	int jobs;           /* trials run at once */
	int complete;       /* 0 while running or when interrupted */
	char *incomplete_reason;
	struct trial_result *trials;
	size_t nr_trials;
};

struct boot_result *trial_add_boot(struct trial_result *t);
void trial_add_check(struct trial_result *t, const char *name, int ok, const char *diag);
void run_result_release(struct run_result *r);

#endif
