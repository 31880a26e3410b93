/*
 * disks - golden snapshots before any trial, each trial's disk when it is
 * scheduled.
 *
 * A trial's disk is a qcow2 overlay of its own, made by disks_trial() when
 * the queue schedules the trial (queue.h: prepare), so a long queue holds
 * no disks it does not use yet. What it needs on it before its first boot
 * — the sensor, its agent and the scenario's content, at the guest paths
 * the image's profile names (guest.h: sensor_path, agent_path,
 * content_dir) — is, when other trials share that image, sensor and
 * content set, on the base disk its overlay is backed by: one per such
 * set, made before any trial starts in one libguestfs batch, so none of
 * them waits on the run's one appliance for it (a trial whose first boot
 * restores a booted state overlays that state's disk instead, below).
 * Otherwise — content one trial alone uses, whose injection then overlaps
 * other trials' boots, or base disks that could not be made —
 * disks_trial() returns the base content as inject ops (disks_base_ops())
 * on an overlay of the golden image, and the trial's exec injects them as
 * its first offline operation (exec.h, inject.h).
 *
 * Boot-equivalent restores: most boots need a fresh sensor load from the
 * trial's own disk, not a fresh kernel. So each image whose profile has a
 * pre-mount point (guest.h) gets one snapshot saved there — before the
 * guest has read its system disk, holding nothing of it in memory — and
 * every boot of every trial of that image starts by restoring it onto the
 * trial's overlay: mount, agent, sensor load and all after run as in a
 * cold boot, on the disk the previous boot left (boot loops, rollbacks,
 * remediation and power cuts stay what they are). The boot's own switches
 * (race knobs, a power_off step's words) reach the guest on its console
 * (guest.h: resume_line); a boot whose switches cannot, a scenario with
 * `cold: true` and a run with --cold boot cold. A restored boot's console
 * begins at the pre-mount point: kernel lines of early boot are not in
 * its log (a `log_contains` or power_off `at:` on them needs `cold: true`).
 *
 * A trial whose first step is a live deploy restores a booted snapshot
 * (snapshot.h) for that boot: the guest has to be up before the push
 * anyway, and restoring it up is ~20x faster than booting it. That
 * snapshot is made from the same base content and the same QEMU
 * configuration (exec_vm_config()), so its overlay needs no injection.
 *
 * Trials that would make the same snapshot share it (same image, command
 * line and, for a booted one, sensor and content), built or reused by
 * disks_snapshots() before any trial starts. A snapshot that cannot be
 * built (the guest crashes before its ready line, say) is reported
 * through `note` and those boots are cold: same verdicts, only slower.
 */
#ifndef BP_DISKS_H
#define BP_DISKS_H

#include "exec.h"
#include "inject.h"
#include "results.h"
#include "snapshot.h"

struct disks {
	size_t nr_trials;
	char **overlays;                  /* per trial: its disk, once disks_trial() made it */
	const struct snapshot **live;     /* per trial: its live deploy's booted state, or NULL */
	const struct snapshot **premount; /* per trial: its image's pre-mount state, or NULL */
	struct snapshot *snaps; /* the distinct snapshots, held until disks_release() */
	char **names;		/* their NAMEs (snapshot.h) */
	size_t nr_snaps;
	const char **base; /* per trial: its shared base disk, or NULL (live, or none made) */
	const struct scenario **scs; /* per trial: its scenario (NULL: not asked for yet) */
	char **bases;	   /* the distinct base disks */
	size_t nr_bases;
};

typedef void (*disks_note_fn)(void *ctx, const char *msg);

/* A base disks batch (libguestfs under TCG: a launch, then ~0.2 s per file). */
#define DISKS_BASE_TIMEOUT_MS (10 * 60 * 1000)

/*
 * Find or build the snapshots the trials restore. cache_dir (absolute)
 * holds them; NULL boots every trial cold. Then, with work_dir (the run's
 * scratch, absolute), the shared base disks: one per image, sensor and
 * content set that several trials share, work_dir/base-N.qcow2, an
 * overlay of the golden disk with that base content, all made in one
 * libguestfs batch. Progress and
 * fallbacks go to note. -1 (err) only when interrupted; call
 * disks_release() in both cases.
 */
int disks_snapshots(struct disks *d, const struct run_result *r, const char *cache_dir,
		    const char *work_dir, disks_note_fn note, void *ctx, struct bp_error *err);
/*
 * Trial i's disk, once (after disks_snapshots()): *ret (zeroed) gets its
 * overlay DIR/system.qcow2 (DIR exists), held by d, the snapshots its boots
 * restore, and, unless its first boot restores a booted state, its base
 * content as ops to inject before that boot (the caller releases them).
 * -1 with err: ret->base untouched, the overlay perhaps half made (DIR is
 * the caller's to clean). A trial that came after disks_snapshots() (i
 * beyond its trials) restores what an earlier trial of the same image has
 * (its pre-mount state; a booted state of the same base content and
 * command line) and has no base disk: its exec injects its base content.
 */
int disks_trial(struct disks *d, size_t i, const struct scenario *sc, const char *dir,
		struct trial_disk *ret, struct bp_error *err);
/*
 * Trial i runs again from scratch (a retry after its host was lost,
 * hostpool.h): its overlay is removed and forgotten, so disks_trial()
 * makes a fresh one.
 */
void disks_trial_forget(struct disks *d, size_t i);
/*
 * The golden snapshot build's boot (snapshot.h: snapshot_boot_fn): m booted
 * by boot.c to spec->ready with a trial boot's rules (boot.h), kept
 * running when judged clean (boot_params.keep) while saved() runs; the
 * update channel is served with nothing published. Not clean: err says
 * "the boot to 'READY' was judged OUTCOME: TITLE".
 */
int disks_snapshot_boot(const struct snapshot_spec *spec, struct machine *m, struct loop *l,
			const char *log_path, int (*saved)(void *ctx, struct bp_error *err),
			void *ctx, struct bp_error *err);
/* What a cold trial disk holds before its first boot (snapshots are built from the same). */
void disks_base_ops(const struct scenario *sc, struct inject_ops *ops);
/*
 * The update-race knobs (each -1: not set) as ops on the trial's own disk,
 * for a guest that takes them from its registry (guest.h: race_values):
 * the sensor service's Parameters values, after its base content (the
 * service registered), before its first boot. Nothing for a guest whose
 * command line takes them. They are the trial's (a range draws one per
 * trial), so never on a shared base disk; a trial whose first boot
 * restores a booted state gets none (that state's disk is in use).
 */
void disks_race_ops(const struct scenario *sc, int agent_delay_ms, int sensor_delay_ms,
		    struct inject_ops *ops);
void disks_release(struct disks *d);

#endif
