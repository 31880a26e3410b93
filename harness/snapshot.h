/*
 * snapshot - golden VM snapshots: a guest booted once to its "ready for
 * content" point and saved, so that trials restore it (~0.25 s from QEMU's
 * start to a running guest under TCG here) instead of booting (~5 s).
 *
 * The saved state is a QEMU migration stream in a file, beside a base disk.
 * snapshot_ensure() builds a snapshot when there is no valid one:
 *   1. base disk = qcow2 overlay of spec->golden with spec->ops applied
 *      (inject_batch_isolated(): one libguestfs launch);
 *   2. vm_start() with spec->vm, the same argv trials get (so the device
 *      sets match), cont, and read the console until a line contains
 *      spec->ready; a crash report, a pvpanic event, QEMU exiting or
 *      boot_timeout_ms passing first fail the build;
 *   3. stop (QEMU drains and flushes the disk), migrate the state into a
 *      file passed by descriptor (getfd + "fd:NAME"; no shell, no exec:),
 *      quit, and require a clean exit;
 *   4. record the size and content hash of both files, chmod them 0444,
 *      write the manifest, and rename the directory into place.
 * vm_start_restored() starts QEMU with -incoming defer on the trial's own
 * overlay of the base disk, passes the state file opened read-only,
 * migrate-incoming, and returns once QEMU reports the migration completed.
 *
 * Layout under spec->cache_dir (absolute):
 *   NAME.lock        flock'd exclusively while a process checks or builds NAME
 *   NAME/KEY/        one snapshot; KEY = 16 hex digits of the hash of its key
 *     manifest       the key text, then size and hash of disk.qcow2 and state
 *     disk.qcow2     the base disk, 0444; its backing file is spec->golden
 *     state          the migration stream, 0444
 *     boot.log       the console of the boot that made it
 *   NAME/hashes      input content hashes, reused while a file's stat is unchanged
 *   NAME/.tmp.PID    a build in progress; a killed build's is removed later
 *
 * The key covers everything the saved state depends on: a format version,
 * the QEMU binary (resolved path, size, mtime), vm_argv() of spec->vm with
 * socket and disk paths masked (kernel and initrd paths, command line,
 * memory, accelerator, machine, devices), the contents (size and 64-bit
 * hash) of kernel, initrd, the golden disk and its qcow2 backing chain and
 * every uploaded file, the golden path, each op, and the ready pattern.
 * Another input gives another KEY, so a changed input means a rebuild;
 * older KEYs of NAME are deleted once no process holds them.
 *
 * A snapshot is used only if its manifest holds exactly the key computed
 * now and both files have the recorded size and content hash; anything
 * else (missing, truncated, edited, half-written) is moved aside and
 * rebuilt, never used. snapshot_ensure() does the full check (about 30 ms
 * for a 100 MB state here), so once per harness run; vm_start_restored()
 * re-checks only the state's size, and that the trial's vm_config gives
 * the snapshot's masked argv. A restore QEMU still refuses (it exits) fails
 * with an error naming the snapshot directory and QEMU's own message.
 *
 * Sharing: from snapshot_ensure() to snapshot_release() a process holds a
 * shared flock on NAME/KEY, and deleting a KEY needs an exclusive one, so a
 * snapshot is never deleted under a running trial. Trials never write to a
 * snapshot: the state is opened read-only, and QEMU opens a trial
 * overlay's backing file (the base disk) read-only.
 *
 * Library code: nothing prints; failures fill err.
 */
#ifndef BP_SNAPSHOT_H
#define BP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "inject.h"
#include "util.h"
#include "vm.h"

struct snapshot_spec {
	const char *cache_dir; /* absolute, e.g. <root>/build/snapshots */
	const char *name;      /* e.g. "linux-v1" (image + sensor): NAME above; no '/' */
	struct vm_config vm;   /* how trials start QEMU; .disk, .run_dir, .incoming ignored */
	const char *golden;    /* absolute path of the golden qcow2 the base disk overlays */
	struct inject_op *ops; /* applied to the base disk before its boot (sensor, agent) */
	size_t nr_ops;
	const char *ready;     /* console substring: the "ready for content" point */
	int boot_timeout_ms;   /* from cont to the ready line */
};

struct snapshot {
	char *dir;   /* cache_dir/NAME/KEY */
	char *disk;  /* base disk: back trial overlays with it (read-only, 0444) */
	char *state; /* the saved VM state (read-only, 0444) */
	/*
	 * Why snapshot_ensure() built it, for the log: "none existed", "its
	 * inputs changed", "the existing one was invalid: <what>"; NULL if reused.
	 */
	char *why;
	/* private */
	uint64_t state_size;
	char *argv_key; /* masked argv the state was saved with */
	int lock_fd;    /* shared flock on dir */
};

/*
 * Make sure a valid snapshot exists for spec: build it if missing, stale
 * (any input changed) or corrupt; *ret_built (if not NULL) says whether
 * this call built it. May wait for another process building NAME. On
 * success release *ret with snapshot_release(); on failure nothing is held.
 */
int snapshot_ensure(const struct snapshot_spec *spec, struct snapshot *ret, int *ret_built,
		    struct bp_error *err);
/* Accepts NULL and a zeroed or released snapshot. */
void snapshot_release(struct snapshot *s);

/*
 * Start QEMU for a trial from s: cfg is the trial's config (run_dir its
 * own; disk its qcow2 overlay backed by s->disk, e.g. from
 * overlay_create(s->disk, ...)); everything else must equal the spec's vm.
 * Returns 0 with the VM paused at the saved point (restore complete),
 * ready for vm_cont(); the guest then continues from its ready line with
 * a clock that jumped. On failure QEMU is stopped; call vm_release() in
 * both cases.
 */
int vm_start_restored(struct vm *vm, const struct vm_config *cfg, const struct snapshot *s,
		      int timeout_ms, struct bp_error *err);

#endif
