/*
 * disks - golden snapshots before any trial, each trial's disk when it is
 * scheduled.
 *
 * A trial's disk is a qcow2 overlay of its own, made by disks_trial() when
 * the queue schedules the trial (queue.h: prepare), so a long queue holds
 * no disks it does not use yet. A cold trial's overlay is backed by the
 * golden image; what it needs on it before its first boot — the sensor, its
 * agent and the scenario's content, at the guest paths the image's profile
 * names (guest.h: sensor_path, agent_path, content_dir) — disks_trial()
 * returns as inject ops (disks_base_ops()), which the trial's exec injects
 * as its first offline operation (exec.h), on the libguestfs worker and
 * its one appliance that the whole run shares (inject.h).
 *
 * A trial whose first step is a live deploy restores a golden snapshot
 * (snapshot.h) instead of booting: the guest has to be up before the push
 * anyway, and restoring it up is ~20x faster than booting it. The snapshot
 * is made from the same base content and the same QEMU configuration
 * (exec_vm_config()), so its overlay needs no injection. Trials with the
 * same image, sensor, content and command line share one snapshot, built or
 * reused by disks_snapshots() before any trial starts. A snapshot that
 * cannot be built (the guest crashes before its boot-complete marker, say)
 * is reported through `note` and its trials boot cold: same verdicts, only
 * slower.
 */
#ifndef BP_DISKS_H
#define BP_DISKS_H

#include "inject.h"
#include "results.h"
#include "snapshot.h"

struct disks {
	size_t nr_trials;
	char **overlays;              /* per trial: its disk, once disks_trial() made it */
	const struct snapshot **snap; /* per trial: restore this for boot 1; NULL: cold */
	struct snapshot *snaps;       /* the distinct snapshots, held until disks_release() */
	size_t nr_snaps;
};

typedef void (*disks_note_fn)(void *ctx, const char *msg);

/*
 * Find or build the snapshot of every trial that restores one. cache_dir
 * (absolute) holds the snapshots; NULL boots every trial cold. Progress and
 * fallbacks go to note. -1 (err) only when interrupted; call
 * disks_release() in both cases.
 */
int disks_snapshots(struct disks *d, const struct run_result *r, const char *cache_dir,
		    disks_note_fn note, void *ctx, struct bp_error *err);
/*
 * Trial i's disk, once (after disks_snapshots()): its overlay DIR/system.qcow2
 * (DIR exists), held by d, and the snapshot to restore (NULL: cold). A cold
 * trial also gets its base content in *ret_base (appended to; the caller
 * releases it), to inject before its first boot; a snapshot trial nothing.
 * -1 with err: *ret_base untouched, the overlay perhaps half made (DIR is
 * the caller's to clean).
 */
int disks_trial(struct disks *d, size_t i, const struct scenario *sc, const char *dir,
		const char **ret_overlay, const struct snapshot **ret_snap,
		struct inject_ops *ret_base, struct bp_error *err);
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
void disks_release(struct disks *d);

#endif
