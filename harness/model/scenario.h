/*
 * scenario - the suite file (scenarios.yaml) parsed with libyaml into typed
 * structures and validated strictly before anything is started.
 *
 * Contract: suite_load() either returns 0 with a fully validated suite (every
 * reference resolved to a pointer, every file checked to be a readable
 * regular file of bounded size, every number in range, paths made absolute
 * relative to the suite file's directory), or
 * -1 with err->msg set to "FILE:LINE:COL: what was wrong; what was expected"
 * (line and column 1-based, pointing at the offending node) and nothing
 * allocated; a suite path that is not a readable regular file of at most
 * 1 MiB gives "cannot load suite: 'PATH' ..." without a position, and opening
 * it never blocks (a FIFO) or reads without end (a device). Loading is
 * bounded in time and memory whatever the file holds (nesting, anchors,
 * alias expansion: see scenario.c). suite_free() accepts NULL and half-built
 * suites.
 *
 * The format is documented in README.md ("Writing scenarios"), and as a JSON
 * Schema for editors in docs/suite-schema.json: a new key goes there too
 * (tests/e2e-schema.sh fails until schema and parser agree).
 */
#ifndef BP_SCENARIO_H
#define BP_SCENARIO_H

#include <regex.h>

#include "hostdisks.h"
#include "util.h"

enum outcome {
	OUTCOME_NONE = 0, /* not judged yet */
	OUTCOME_CLEAN,
	OUTCOME_CRASH,
	OUTCOME_HANG,
	OUTCOME_INFRA,
	/*
	 * The guest stopped at its recovery environment's screen (Windows'
	 * Automatic Repair / WinRE, with the scenario's `recovery: true`) and
	 * never reached the marker: a product failure like a hang, but no
	 * reboot gets it out; it needs someone at the console (boot.h).
	 */
	OUTCOME_RECOVERY,
};

/* "clean", "crash", "hang", "infra", "recovery"; NULL for OUTCOME_NONE. */
const char *outcome_name(enum outcome o);

struct guest_profile;

struct image {
	char *name;
	char *kind;    /* a guest profile's kind (guest.h), e.g. "linux" */
	const struct guest_profile *guest; /* that profile, never NULL */
	char *kernel;  /* absolute path; NULL if the profile boots from the disk */
	char *initrd;  /* absolute path; NULL if the profile boots from the disk */
	char *disk;    /* golden system disk, qcow2, absolute path; never written */
	char *append;  /* kernel command line (default: the profile's) */
	char *marker;  /* boot-complete marker printed on the serial console (default: the profile's) */
	int memory_mib;
	char *backend; /* "qemu" or "libvirt" (backend.h); NULL: the run's */
};

struct sensor {
	char *name;
	char *module; /* absolute host path of the sensor, injected at the profile's sensor_path */
	char *agent;  /* absolute host path of its update agent (the profile's agent_path); may be NULL */
	/*
	 * The console line the sensor prints once it has loaded and evaluated
	 * one pushed content file: a POSIX extended regular expression (no
	 * back-references), matched against each console line; NULL: it prints
	 * none. evaluated_re is it compiled (REG_EXTENDED | REG_NOSUB).
	 */
	char *evaluated;
	regex_t *evaluated_re;
};

struct content_file {
	char *path;    /* absolute host path of the compiled channel file */
	char *as;      /* file name in the profile's content directory, e.g. C-00000291-...sys */
};

struct content_set {
	char *name;
	struct content_file *files;
	size_t nr_files;
	/* Earlier versions of this set, oldest first (`previous:`; bisect --last-good). */
	struct content_set **previous;
	size_t nr_previous;
	/*
	 * How bisect cuts a file of a format other than the reference one into
	 * pieces and joins pieces back (`split:`/`join:`): command lines of
	 * words, no shell; split holds {in} and {outdir}, join {outdir} and
	 * {out}. Set: every file of the set is cut by them. Both NULL: files
	 * are split only when they are reference channel files (chanfile.h).
	 */
	char *split, *join;
};

/*
 * A scenario's steps, run in order on one trial disk. A scenario written
 * without `steps:` is one STEP_BOOT of `boots` boots expecting `expect`.
 */
enum step_kind {
	STEP_BOOT,               /* `count` boots, each must be `expect` (crash title optional) */
	STEP_DEPLOY,             /* content onto the guest: offline (disk, VM off) or live (pushed
				    into the running guest at the next boot once it is up) */
	STEP_ROLLBACK,           /* publish content on the update channel; the guest's agent
				    fetches it at every later boot (no guest networking) */
	STEP_REBOOT_UNTIL_CLEAN, /* boot until a boot is clean, at most `count` boots; records
				    whether and when the guest recovered (not a failure by itself) */
	STEP_CLEAN_BOOTS,        /* `count` consecutive clean boots are required */
	STEP_EXPECT_FILES,       /* offline check of guest paths/globs present and absent */
	STEP_REMEDIATE,          /* offline delete of guest globs: the manual rescue-VM procedure;
				    with only_if_not_recovered, skipped when the guest recovered */
	STEP_POWER_OFF,          /* one boot, QEMU killed (hard power-off) once a console line
				    contains `at`: fault injection for whatever the guest writes */
	STEP_SOAK,               /* `count` clean boots, or one boot with `count` live pushes of
				    `content` (soak_pushes), ending early after duration_s; the
				    guest's memory figures recorded after each (boot_result.samples) */
};

/* The step's key in the suite ("boot", "reboot_until_clean", ...); NULL if out of range. */
const char *step_kind_name(enum step_kind k);

struct step {
	enum step_kind kind;
	int count;                   /* BOOT, CLEAN_BOOTS; REBOOT_UNTIL_CLEAN: max boots;
					SOAK: boots, or pushes with soak_pushes */
	enum outcome expect;         /* BOOT */
	char *title;                 /* BOOT with expect crash: title must contain this */
	struct content_set *content; /* DEPLOY, ROLLBACK; SOAK with soak_pushes: what is pushed */
	int soak_pushes;             /* SOAK: count pushes into one running guest, not boots */
	int duration_s;              /* SOAK: stop starting boots or pushes after this; 0: no bound */
	int live;                    /* DEPLOY: push into the running guest */
	char **present;              /* EXPECT_FILES: absolute guest paths or globs */
	size_t nr_present;
	char **absent;
	size_t nr_absent;
	char **remove;               /* REMEDIATE: absolute guest globs */
	size_t nr_remove;
	int only_if_not_recovered;   /* REMEDIATE */
	char *disable_service;       /* REMEDIATE (Windows): this service's Start becomes 4 */
	int safe_mode;               /* REMEDIATE (Windows): -1 untouched, 1 Safe Mode, 0 normal */
	char *at;                    /* POWER_OFF: console text that triggers it */
	char *append;                /* POWER_OFF: kernel command line words for that boot */
	int line, column;            /* where the step was written */
};

/*
 * The boots a step makes: its count (boot, reboot_until_clean, clean_boots,
 * a boot soak), 1 (power_off, a push soak), else 0.
 */
int step_boot_count(const struct step *st);

/* A stage of a staged rollout (`rings:`): ring N runs only once rings 0..N-1 passed. */
struct ring {
	char *name;
	size_t index;    /* 0-based position in suite->rings */
	size_t nr_scenarios; /* scenarios (after matrix expansion) it holds */
	int line, column; /* where it was written */
};

/*
 * A libvirt host of the run's pool (`hosts:`; `run --host` replaces them
 * all): its URI, how many trials run there at once and how it gets their
 * disks (hostpool.h).
 */
struct suite_host {
	char *uri;
	int slots;             /* 1..HOSTPOOL_MAX_SLOTS, default 1 */
	enum host_disks disks; /* `disks: shared|upload`, default HOST_DISKS_AUTO */
	int line, column;      /* where it was written */
};

struct scenario {
	char *name;
	const struct ring *ring;     /* its ring in a suite with `rings:`; NULL: in none */
	int line, column;            /* where it was named (a matrix entry: its sensor) */
	struct image *image;
	struct sensor *sensor;       /* one trial per scenario x sensor (see trials) */
	struct content_set *content; /* may be NULL: no content injected */
	int boots;                   /* number of boots, >= 1 */
	enum outcome expect;         /* expected outcome of every boot */
	char *expect_title;          /* optional: crash title must contain this */
	char *log_contains;          /* optional: every boot's serial log must contain this */
	char *append;                /* optional: added to the image's kernel command line */
	int boot_timeout_s;          /* marker must appear within this */
	int silence_timeout_s;       /* no console output for this long is a hang */
	/*
	 * A live push answered: clean after this long without a crash, or as
	 * soon as the sensor's evaluated line came for each pushed file (then
	 * the longest wait for it).
	 */
	int settle_ms;
	struct step *steps;          /* never empty after loading (see enum step_kind) */
	size_t nr_steps;
	int explicit_steps;          /* the suite wrote `steps:` (else one synthesized BOOT step) */
	/* The update race: knobs for the guest's agent and sensor (the profile says how they reach it). */
	int agent_delay_ms;          /* -1: not set */
	int sensor_delay_ms;         /* -1: not set */
	/*
	 * A range MIN-MAX: each trial draws its delay in [*_delay_ms,
	 * *_delay_max_ms] (session.h); equal to *_delay_ms for a single value.
	 */
	int agent_delay_max_ms, sensor_delay_max_ms;
	int cold;                    /* every boot cold: no pre-mount restores (disks.h) */
	/*
	 * `recovery:` -1 not set (the image as it is), 1 the boot entry's
	 * recovery turned on offline before the first boot (Windows: BCD
	 * recoveryenabled Yes, bootstatuspolicy DisplayAllFailures; its boots
	 * may end in OUTCOME_RECOVERY), 0 turned off.
	 */
	int recovery;
};

struct suite {
	char *path; /* the suite file as given */
	char *dir;  /* its directory, absolute */
	struct image *images;
	size_t nr_images;
	struct sensor *sensors;
	size_t nr_sensors;
	struct content_set *contents;
	size_t nr_contents;
	/*
	 * Scenarios after matrix expansion: a scenario whose `sensor:` is a list
	 * becomes one entry per sensor, named "NAME/SENSOR".
	 */
	struct scenario *scenarios;
	size_t nr_scenarios;
	/*
	 * `rings:` in order (none: nr_rings 0). Every ring has at least one
	 * scenario and no scenario is in two; a scenario in no ring has
	 * ring NULL (`run` runs it only when named, validate warns).
	 */
	struct ring *rings;
	size_t nr_rings;
	/*
	 * `hosts:` in order (none: nr_hosts 0), no URI twice (as
	 * hostpool_same_uri() compares); hosts_line, hosts_column: where the
	 * key was written, for `run`'s errors about them.
	 */
	struct suite_host *hosts;
	size_t nr_hosts;
	int hosts_line, hosts_column;
};

int suite_load(struct suite *suite, const char *path, struct bp_error *err);
/*
 * name selects sc: its name, or a matrix entry's base name ("bad-291"
 * selects "bad-291/v1" and "bad-291/v2"), as `run NAME` and rings do.
 */
int scenario_selected_by(const struct scenario *sc, const char *name);
void suite_free(struct suite *suite);


#endif
