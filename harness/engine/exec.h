/*
 * exec - runs one trial: the scenario's steps, in order, on the trial's
 * disk overlay.
 *
 * An exec is a state machine in the event loop (loop.h), like a boot: it
 * is either booting (a struct boot on a machine of its own), waiting for an
 * offline operation on its disk (a libguestfs child, see inject.h, whose
 * exit is a loop handle — so other VMs keep being served), or done. Each
 * boot becomes a boot_result with the outcome its step expected; offline
 * checks and recovery figures become checks and the trial's `recovery`.
 * Finished boots go to the `on_boot` callback (for the TAP stream) as they
 * happen; the end of the trial to `on_done`, from a loop timer (where
 * exec_release() may be called), never from inside exec_start().
 *
 * A soak step (scenario.h) boots `count` times, each boot clean and asked
 * for the guest's memory figures once up, or boots once and pushes its
 * content `count` times into that guest, asking for the figures after
 * each push (boot.h: stats, soak_pushes); no boot or push starts once its
 * duration passed. The first crash (or hang, infra, agent error) ends it.
 * Its figures go to t->soak, and its check "soak: K of N pushes with
 * memory figures (WHY)" fails unless every unit asked for (or, with a
 * duration, made in time) was answered with figures.
 *
 * After a crash boot of a profile with GUEST_ARTIFACT_DUMPS, before the
 * next step, an offline operation copies the OS's own dumps (guest.h:
 * dump_globs) into TRIAL/boot-N-dumps/ (collect.h: regular files only, at
 * most INJECT_COLLECT_FILES per glob, each cut at EXEC_DUMP_MAX bytes),
 * and each becomes a source view of that boot (results.h; read with the
 * profile's dump_view, a cut one says so in its note). A dump already
 * collected after an earlier boot of the trial (same guest path, size and
 * mtime) is not this boot's and is dropped; one on the golden image
 * before the trial began counts for its first crash boot. Failing to copy
 * is that view's note ("no dump: ..."), never the trial's failure. The
 * boot's views are then compared (trial.h: trial_boot_sources()).
 *
 * A cold trial's first offline operation, before step 1, injects its base
 * content (env.disk.base: sensor, agent, content, see disks.h) on the worker
 * the whole run shares. It adds nothing to the results unless it fails;
 * then the trial is infra like one whose offline step failed: aborted, with
 * a failed check "base content injection failed: <why>", and no step runs.
 */
#ifndef BP_EXEC_H
#define BP_EXEC_H

#include <stdint.h>

#include "boot.h"
#include "inject.h"
#include "results.h"
#include "vm.h"

/* A collected dump's copy is cut here: a triage dump is far smaller, a full one's header first. */
#define EXEC_DUMP_MAX (16u << 20)

struct exec;
typedef void (*exec_boot_fn)(void *ctx, struct exec *e, const struct boot_result *b);
typedef void (*exec_done_fn)(void *ctx, struct exec *e);

/* A trial's disk and what its boots start from, as disks.h made them. */
struct trial_disk {
	const char *overlay; /* the trial's qcow2 overlay */
	/* Restore this booted state for the trial's first boot (a live deploy's); NULL: none. */
	const struct snapshot *live;
	/*
	 * Restore this pre-mount state (guest.h) for every other boot whose
	 * switches can reach the guest on its console; NULL: they boot cold.
	 */
	const struct snapshot *premount;
	/*
	 * The base content (disks.h), injected onto the overlay before the
	 * first step; empty: none. exec_start() takes it over (releases it).
	 */
	struct inject_ops base;
};

struct exec_env {
	const char *accel;
	/* The run's backend and libvirt host (backend.h; NULL: the defaults). */
	const char *backend;
	const char *host;
	const char *run_dir;  /* reports/<run-id> */
	const char *work_dir; /* this trial's private scratch directory (sockets) */
	struct trial_disk disk;
	struct loop *loop;
	exec_boot_fn on_boot;
	exec_done_fn on_done;
	void *ctx;
};

struct exec {
	struct exec_env env;
	struct trial_result *t;
	const struct scenario *sc;
	size_t step;        /* index of the current step */
	int step_started;   /* the current step has begun its work */
	int step_boots;     /* boots made by the current step */
	int clean_streak;   /* consecutive clean boots in a clean_boots step */
	int booting, offline, done;
	int base;           /* the offline operation running is env.disk.base's injection */
	struct boot boot;
	struct boot_params p;
	struct vm_config vm; /* the current boot's machine */
	int id_offline;     /* loop handle on the libguestfs worker's exit */
	int t_offline;      /* its deadline */
	int t_done;         /* calls env.on_done */
	char *log_path;
	char *shot_path, *shot_rel;
	char *dump_path, *dump_rel; /* the current boot's host-side dump (guest.h) */
	char *dumps_dir;	    /* a crash boot's collected dumps, while they are copied */
	int collecting;		    /* the offline operation running copies them */
	struct strbuf dumps_seen;   /* "SIZE MTIME GUEST\n" of each dump collected so far */
	char *append;       /* the current boot's command line */
	const void *restore; /* the state it restores (a struct snapshot), or NULL: cold */
	struct strbuf resume; /* typed on its console, restoring a pre-mount state */
	struct inject_task task;
	struct inject_job job;
	struct inject_ops ops; /* the current offline step's */
	const struct content_set *published; /* rollback on offer */
	const struct content_set *push;      /* live deploy waiting for the next boot */
	int64_t t_published_ms, t_step_ms;
	int64_t soak_until_ms; /* a soak step's time bound (0: none) */
};

void exec_start(struct exec *e, const struct exec_env *env, struct trial_result *t);
static inline int exec_done(const struct exec *e)
{
	return e->done;
}
/* Stop whatever runs (QEMU, libguestfs) and free; the trial result stays. */
void exec_release(struct exec *e);

/*
 * The command line of sc's cold boots: the image's, the scenario's and the
 * race knobs as its profile adds them (malloc'd).
 */
char *exec_append(const struct scenario *sc);
/* The command line its image's pre-mount state is saved with (malloc'd; disks.h). */
char *exec_premount_append(const struct scenario *sc);
/* How sc's boots start QEMU: the one place that says so (snapshots must match it). */
struct vm_config exec_vm_config(const struct scenario *sc, const char *accel, const char *append,
				const char *disk, const char *run_dir);

#endif
