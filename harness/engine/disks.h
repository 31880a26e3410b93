/*
 * disks - every trial's disk, ready before the trial's first boot.
 *
 * A trial's disk is a qcow2 overlay of its own. A cold trial's overlay is
 * backed by the golden image and gets the trial's base content offline: the
 * sensor, its agent and the scenario's content, at the guest paths the
 * image's profile names (guest.h: sensor_path, agent_path, content_dir);
 * all cold trials of a run go to the libguestfs worker as one task
 * (inject.h), whose appliance the trials' offline steps then reuse.
 *
 * A trial whose first step is a live deploy restores a golden snapshot
 * (snapshot.h) instead of booting: the guest has to be up before the push
 * anyway, and restoring it up is ~20x faster than booting it. The snapshot
 * is made from the same base content and the same QEMU configuration
 * (exec_vm_config()), so its overlay needs no injection. Trials with the
 * same image, sensor, content and command line share one snapshot, built or
 * reused here before any trial starts. A snapshot that cannot be built (the
 * guest crashes before its boot-complete marker, say) is reported through
 * `note` and its trials boot cold: same verdicts, only slower.
 */
#ifndef BP_DISKS_H
#define BP_DISKS_H

#include "results.h"
#include "snapshot.h"

struct disks {
	size_t nr_trials;
	char **overlays;              /* per trial: its disk */
	const struct snapshot **snap; /* per trial: restore this for boot 1; NULL: cold */
	struct snapshot *snaps;       /* the distinct snapshots, held until disks_release() */
	size_t nr_snaps;
};

typedef void (*disks_note_fn)(void *ctx, const char *msg);

/*
 * Make every trial's overlay under WORK/<i>/. cache_dir (absolute) holds the
 * snapshots; NULL boots every trial cold. Progress and fallbacks go to note.
 * On failure (-1, err) the overlays made so far are left for the caller's
 * cleanup of WORK; call disks_release() in both cases.
 */
int disks_prepare(struct disks *d, const struct run_result *r, const char *work,
		  const char *cache_dir, disks_note_fn note, void *ctx, struct bp_error *err);
void disks_release(struct disks *d);

#endif
