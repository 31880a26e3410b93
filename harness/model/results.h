/*
 * results - what a run produced, the data model results.json records
 * (report-json.h) and every other format is rendered from. run.c creates
 * the run and its trials, exec.c and boot.c fill in each boot, trial.c
 * judges boots and trials: a boot's "ok" and a trial's checks and verdict
 * are decided there once, stored, and only read by the writers. Strings are
 * owned (malloc'd) and released by run_result_release().
 */
#ifndef BP_RESULTS_H
#define BP_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

/*
 * The guest's memory figures after one push or boot of a soak, as its
 * agent answered the host's STATS (sensor/PROTOCOL.md); -1: not reported.
 */
struct mem_sample {
	int n;                       /* 1-based: the push within its boot, or 1 for a boot */
	double t_s;                  /* seconds from the boot's start */
	long long mem_available_kib; /* /proc/meminfo MemAvailable */
	long long mem_free_kib;      /* MemFree */
	long long slab_kib;          /* Slab: the kernel's slab allocations */
	long long module_bytes;      /* the sensor module's size in /proc/modules */
};

/*
 * What one source saw of a crash boot's bugcheck (a profile with dump
 * artifacts, guest.h): the serial console's detector, the machine's panic
 * event, or one dump file. Each is that source's own word, never merged.
 */
#define SOURCE_SERIAL "serial"
#define SOURCE_EVENT "event"
#define SOURCE_DUMP "dump"

struct source_view {
	const char *source; /* static: SOURCE_SERIAL, SOURCE_EVENT, SOURCE_DUMP */
	int has_code;	    /* it carried a stop code */
	uint32_t code;
	int nparams; /* parameters it carried (0..4) */
	uint64_t param[4];
	char *driver; /* the driver it names (lower case), or NULL */
	char *title;  /* its title (stopcodes.h) when it saw a bugcheck, else NULL */
	/*
	 * Why it saw nothing, or what limits what it saw ("no dump: win-dump:
	 * invalid vmcoreinfo note size", "truncated: 67108864 of 2147483648
	 * bytes copied"); NULL: nothing to say
	 */
	char *note;
	char *file; /* a dump: the copy, relative to the run directory; else NULL */
};

struct boot_result {
	int n;                   /* 1-based boot number within the trial */
	int step;                /* 1-based step of the scenario that made this boot */
	enum outcome expect;     /* what this boot had to be; OUTCOME_NONE: anything (recovery) */
	enum outcome outcome;
	int ok;                  /* met its expectation: set by trial_boot_judge() when it ends */
	char *title;             /* crash title, or why it hung / failed; NULL when clean */
	char *excerpt;           /* crash report, or the console tail for a hang; may be NULL */
	char *log;               /* serial log, relative to the run directory */
	char *screenshot;        /* PNG taken at crash time, relative to the run directory, or NULL */
	size_t crash_line;       /* line of the crash report in the log (0: none) */
	char *crash_kind;        /* the detector's class of the crash ("kasan"...), or NULL */
	char *crash_func;        /* its guilty function, or NULL */
	char *crash_module;      /* that function's module ("vmlinux": core kernel), or NULL */
	int tainted_oot;         /* the crashed kernel was tainted by an out-of-tree module */
	int marker_seen;
	int panicked;            /* QMP GUEST_PANICKED seen */
	char *shutdown_reason;   /* QMP SHUTDOWN reason, if any */
	int log_matched;         /* the scenario's log_contains text was seen */
	double duration_s;       /* QEMU start to verdict */
	double detect_ms;        /* crash: panic line's bytes arriving to verdict; else 0 */
	double start_ms;         /* boot start to the guest running (QEMU started or restored) */
	int update_installed;    /* the guest's agent installed published content this boot */
	int live_pushed;         /* content pushed into the running guest was taken this boot
				    (the agent answered, or the guest crashed once it had it) */
	char *update_error;      /* the agent refused content or broke the protocol; NULL: fine */
	int unevaluated;         /* pushed files the sensor took but never printed its
				    evaluated line for (boot_params.evaluated), by the settle bound */
	int restored;            /* started from a saved state (disks.h) instead of booting cold */
	int powered_off;         /* a power_off step killed QEMU at its console line */
	int pushes;              /* a push soak: live pushes the agent answered this boot */
	struct mem_sample *samples; /* a soak's figures in this boot, in order */
	size_t nr_samples, alloc_samples;
	/* A crash boot of a profile with dump artifacts: each source's view, in that order. */
	struct source_view *views;
	size_t nr_views, alloc_views;
	/* "sources disagree: ..." when the views' codes or drivers differ (trial.c); else NULL */
	char *disagree;
};

/* A soak step's figures (the first one of a trial; see scenario.h STEP_SOAK). */
struct soak_result {
	int tracked;             /* the scenario has a soak step */
	int step;                /* 1-based */
	int pushes;              /* unit: pushes into one guest (else boots) */
	int planned, done;       /* units asked for, and made */
	int duration_s;          /* its time bound, 0: none */
	double seconds;          /* how long it took */
	char *stopped;           /* why it ended: "count", "duration", or what went wrong */
};

/* Rollback figures of a trial with a reboot_until_clean step (issue 4). */
struct recovery {
	int tracked;             /* the scenario has a reboot_until_clean step */
	int recovered;           /* it came up clean within max_boots, with no manual step */
	int boots;               /* boots reboot_until_clean took (to the clean one, or all) */
	int max_boots;
	double seconds;          /* from the rollback's publication (else the step's start) to clean */
	int rollback_boot;       /* trial boot at which the agent installed the rollback; 0: never */
	char **manual;           /* manual steps taken, in order */
	size_t nr_manual, alloc_manual;
	int remediation_verified; /* manual steps taken and the clean boots after them passed */
	/*
	 * The trial boot that ended at the recovery screen (OUTCOME_RECOVERY)
	 * during reboot_until_clean, which then stops: a guest there is stuck
	 * until someone acts. 0: none.
	 */
	int stuck_boot;
	char *summary;           /* "recovered after K boots, no manual steps", ... */
};

/* An attempt at a trial cut short because its host was lost (hostpool.h). */
struct trial_attempt {
	char *host;   /* the host's URI */
	char *reason; /* why it was lost ("host stopped answering (keepalive)") */
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
	int aborted;    /* stopped before its steps were done (infrastructure) */
	double duration_s;
	struct recovery recovery;
	/*
	 * The race knobs this trial drew from its scenario's ranges (session.h;
	 * -1: that knob is not set); only when race_drawn, else the scenario's.
	 */
	int race_drawn;
	int agent_delay_ms, sensor_delay_ms;
	struct soak_result soak;
	/*
	 * Never run, on purpose: why ("ring 0 (canary) failed: ..."). A
	 * skipped trial is kept in the reports (session.h) with no verdict and
	 * is no failure for the exit status.
	 */
	char *skipped;
	/*
	 * Where its boots ran: a libvirt host's URI (hostpool.h), or
	 * HOSTPOOL_LOCAL "local" for the direct-QEMU backend; NULL: it never
	 * started. attempts: every attempt lost with its host, in order
	 * (--retry-infra); the last one is this run when it stayed infra.
	 */
	char *host;
	struct trial_attempt *attempts;
	size_t nr_attempts, alloc_attempts;
};

/* A ring of a staged run (scenario.h struct ring) and how it went. */
enum ring_state {
	RING_NOT_RUN = 0, /* not reached (the run ended first) */
	RING_RUNNING,
	RING_PASSED,
	RING_FAILED,
	RING_SKIPPED,     /* an earlier ring failed */
};

/* "not_run", "running", "passed", "failed", "skipped". */
const char *ring_state_name(enum ring_state s);

struct ring_result {
	char *name;
	enum ring_state state;
	char *reason; /* failed: the first failure; skipped: the ring that failed; else NULL */
};

/* `bootproof repro`: one matrix entry's count of trials (cmd-repro.h). */
struct repro_other {
	char *title; /* another crash's signature (or a hang's reason) */
	int count;
};

struct repro_entry {
	char *scenario; /* the matrix entry's name */
	int trials;     /* judged, infra ones left out */
	int reproduced; /* a boot with the field signature */
	int other;      /* a crash (or hang) of another title */
	int clean;
	struct repro_other *others;
	size_t nr_others, alloc_others;
	double rate, ci_low, ci_high; /* 95 % Wilson score interval (stats.h) */
};

struct repro_result {
	char *field_report; /* the field report's file name */
	char *signature;    /* its crash's signature (report_signature()) */
	double precision;   /* the half-width asked for, 0..1 */
	int max_trials;
	struct repro_entry *entries;
	size_t nr_entries;
};

/* One file of a bisect's minimal set (cmd/bisect.c). */
struct bisect_file {
	char *as;            /* its guest file name */
	char *path;          /* the file booted: the original, or the joined subset */
	size_t *instances;   /* instance (piece) numbers kept, 1-based; NULL: the whole file */
	size_t nr_instances;
	size_t of_instances; /* how many the file had (0: not split) */
};

/* Trials of one content set and how many showed the signature. */
struct bisect_rate {
	int trials, crashes;
};

/* A previous version of the set (--last-good). */
struct bisect_version {
	char *content;
	const char *verdict; /* "clean", "crash" (the signature), "other" (another crash), "unknown" */
	struct bisect_rate rate;
};

/* What `bootproof bisect` found: results.json's "bisect". */
struct bisect_result {
	char *scenario;
	char *content;
	char *signature;
	int title_given;     /* --title: a boot matches when its title contains it */
	const char *outcome; /* "narrowed", "no-crash", "incomplete" */
	struct bisect_rate full, minimal;
	double p;            /* the full set's reproduction rate, what k was derived from */
	int k;               /* clean trials that call a candidate clean */
	struct bisect_file *files;
	size_t nr_files;
	int rounds, trials;
	double wall_s;
	struct bisect_version *versions; /* oldest first; NULL without --last-good */
	size_t nr_versions;
	const char *last_good, *first_bad; /* content set names, or NULL */
};

void bisect_result_free(struct bisect_result *b);

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
	uint64_t seed;               /* range draws (trial_result.race_drawn) come from it */
	struct repro_result *repro;  /* a `repro` run's figures, owned; NULL: another command */
	/* run --shard K/N (shard.h): shard_total 0 when the run is the whole selection */
	int shard_index, shard_total;
	char suite_sha256[65];     /* the suite file's bytes; "" unless a shard */
	char partition_sha256[65]; /* shard_partition_digest(); "" unless a shard */
	struct bisect_result *bisect; /* a bisect run's findings, else NULL */
	struct ring_result *rings; /* a staged run (`rings:`), in order; else none */
	size_t nr_rings;
};

struct boot_result *trial_add_boot(struct trial_result *t);
void recovery_add_manual(struct recovery *r, const char *what);
void trial_add_check(struct trial_result *t, const char *name, int ok, const char *diag);
void trial_add_attempt(struct trial_result *t, const char *host, const char *reason);
/* t->host = host (copied; NULL clears it). */
void trial_set_host(struct trial_result *t, const char *host);
/*
 * Forget what t's last attempt produced (boots, checks, recovery and soak
 * figures, verdict) so it can run again; its scenario, directory, race
 * knobs and attempts stay.
 */
void trial_reset(struct trial_result *t);
/* Count one more trial whose other crash had this title (one entry per title). */
void repro_add_other(struct repro_entry *e, const char *title);
void repro_result_free(struct repro_result *r);
struct mem_sample *boot_add_sample(struct boot_result *b);
/* A new, empty view of source (static) at the end of b's. */
struct source_view *boot_add_view(struct boot_result *b, const char *source);
void run_result_release(struct run_result *r);
/* The strings of one boot's result (for a boot outside a trial). */
void boot_result_release(struct boot_result *b);

#endif
