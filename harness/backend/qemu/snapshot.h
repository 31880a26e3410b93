/*
 * snapshot - golden VM snapshots: a guest booted once to its "ready for
 * content" point and saved, so that trials restore it instead of booting
 * it (~5-7 s): each restore is a template clone of it.
 *
 * Template clones: the guest's RAM lives in a file (the QEMU object "ram",
 * a memory-backend-file, argv.h), mapped shared while the snapshot's guest
 * boots, so at the save it holds the guest's memory; the save uses the
 * x-ignore-shared migration capability, so the migration stream in the
 * state file holds the device state only (~0.5 MiB instead of ~90). Each
 * clone maps the same file private (share=off: copy-on-write, so the file
 * is never written by a clone, and pages a clone does not touch are the
 * page cache's, shared by all clones), starts with -incoming defer, sets
 * x-ignore-shared and loads the device state. Clones need the identical
 * binary and machine options: the key covers both, the RAM backend
 * included.
 *
 * What clones share: the guest's clock jumps at every restore (it reads the
 * host's time, its timers fire late), and every clone starts from the same
 * random state (the kernel's pool, the stack canaries, ASLR of whatever is
 * already running): reseed in the guest where it matters (the restore path
 * of the guest's init, not here).
 *
 * snapshot_ensure() builds a snapshot when there is no valid one:
 *   1. base disk = qcow2 overlay of spec->golden with spec->ops applied
 *      (inject_batch_isolated(): a job for the libguestfs worker);
 *   2. allocate the RAM file in full (posix_fallocate: a full file system
 *      is a clear error before the boot, "cannot allocate N MiB for the
 *      guest RAM file", never a SIGBUS in QEMU nor a short file; the
 *      harness then boots that snapshot's trials cold, disks.h);
 *      boot spec->vm (the same argv trials get, so the device sets match;
 *      the RAM file mapped shared)
 *      on a machine-qemu machine through spec->boot, the caller's boot to
 *      spec->ready: this module judges nothing. The engine's
 *      (disks_snapshot_boot(), disks.h) is boot.c with spec->ready as the
 *      marker, judged by the very rules of a trial's boot (boot.h: crash
 *      reports from the guest profile's detector, panic and crash-dump events with their grace, silence and
 *      boot deadlines, QEMU exiting); anything but clean fails the build,
 *      clean keeps the VM running (boot_params.keep). The update channel
 *      (update.h) is served with nothing published, so a sensor agent on
 *      the base disk gets NONE to its boot-time CHECK at once and is idle,
 *      its HELLO said, when the state is saved; the channel stays connected
 *      until QEMU quits. A trial resumes it with update_resume();
 *   3. machine_save(): stop (QEMU drains and flushes the disk), migrate the
 *      device state (x-ignore-shared) into a file passed by descriptor
 *      (getfd + "fd:NAME"; no shell, no exec:) with the bandwidth limit
 *      lifted; then machine_stop() (quit) and require a clean exit: after
 *      it nothing maps the RAM file shared any more. All in an event loop
 *      of the build's own;
 *   4. record the size and content hash of the three files, fsync and
 *      chmod them 0444, write the manifest, and rename the directory into
 *      place.
 * vm_start_restored() starts QEMU with -incoming defer on the trial's own
 * overlay of the base disk and the RAM file mapped private, passes the
 * state file opened read-only, sets x-ignore-shared, migrate-incoming, and
 * returns once QEMU reports the migration completed, the guest paused (the
 * source was stopped; -S keeps it so).
 *
 * Measured here (QEMU 7.2, TCG, -M pc, reference guest; tests/bench/clone:
 * the restores interleaved, medians of 15, from the call that starts QEMU
 * to running [to the guest's shell answering]; 2 cores shared with other
 * engineers' builds, load average 2-4, so QEMU's own start to QMP ready,
 * nothing restored, took 180 ms at -m 256 and 227 ms at -m 1024; 42 ms
 * on a quiet machine):
 *                                      -m 256       -m 1024
 *   clone, RAM file in the cache dir   208 [402]    297 [537]
 *   clone, RAM file in /dev/shm        234 [428]    301 [541]
 *   full stream from a file (before)   662 [828]    937 [1135]
 * so a clone is QEMU's start plus ~20-70 ms whatever -m; the stream's
 * load (90 MiB at -m 256, 100 at -m 1024) is what the clone saves. At
 * load 6-10 the same three were 325-620, 470-870 and 460-1130 ms: the
 * RAM file's place makes no difference beyond noise (same page cache,
 * mapped the same way).
 *   build        libguestfs upload ~15 s (quiet), boot to ready ~7 s (quiet),
 *                save of the device state, hash + fsync of the RAM file
 *                ~0.1-0.3 s
 *   state        ~0.5 MiB (devices, ROMs, video RAM); the RAM file is -m
 *                bytes, allocated in full (256 MiB of disk at -m 256)
 *   check        snapshot_ensure() reusing one: 64-73 ms at -m 256, 270 ms
 *                at -m 1024 (was ~50 ms with the RAM in the stream): the
 *                key from cached input hashes, then XXH64 of the three
 *                files; the RAM file alone 67-95 ms at 256 MiB, 400 ms at
 *                1 GiB. Once per harness run and snapshot
 * The RAM file lives in the cache directory, not in /dev/shm: no faster
 * there, and here the manifest, the rename into place, the locks and the
 * sweep cover it as they cover the other files; its pages are page cache,
 * evictable (a clone then reads them from disk), where /dev/shm would pin
 * -m per snapshot in RAM (256 MiB each by default, allocated in full; no
 * swap here) until removed, lose it at each reboot, and need its own
 * manifest entry and sweep. A full file system fails the build with a
 * clear error either way (step 2), never a short RAM file.
 * qcow2 internal snapshots were measured too and rejected: loadvm cannot
 * restore into a trial overlay ("Snapshot 'snap' does not exist in one or
 * more devices": the vmstate lives in the top image), so every trial would
 * need a full copy of the 91 MiB image (40 ms [93]) and QEMU start +
 * loadvm takes 192 ms [365]: 232 ms against 103, and savevm 230-480 ms.
 *
 * Layout under spec->cache_dir (absolute):
 *   NAME.lock        flock'd exclusively while a process checks or builds NAME
 *   NAME/KEY/        one snapshot; KEY = 16 hex digits of the hash of its key
 *     manifest       the key text, then size and hash of disk.qcow2, state, ram
 *     disk.qcow2     the base disk, 0444; its backing file is spec->golden
 *     state          the migration stream (device state, no RAM), 0444
 *     ram            the guest's RAM, -m bytes (allocated in full), 0444;
 *                    clones map it private
 *     boot.log       the console of the boot that made it
 *   NAME/hashes      input content hashes, reused while a file's stat is unchanged
 *   NAME/.tmp.PID    a build in progress; a killed build's is removed later
 *   NAME/.old.KEY.PID  an invalid snapshot moved aside; removed once unheld
 *
 * The key covers everything the saved state depends on: a format version,
 * the QEMU binary (resolved path, size, mtime) and the firmware it loads
 * (the files the guest profile's machine lists, guest.h, from its data
 * directories), qemu_argv_vm() of spec->vm with socket, disk and RAM file
 * paths masked (kernel and initrd paths, command line, memory, accelerator,
 * machine, devices, the RAM backend as clones map it: memory-backend-file
 * ...,share=off), the contents (size and 64-bit hash) of kernel and initrd
 * (for a direct kernel boot), the golden disk and its qcow2 backing chain
 * and every uploaded file, the golden path, each op, the ready pattern and
 * whether it is a pre-mount point. Another input gives another
 * KEY, so a changed input means a rebuild; other KEYs of NAME are deleted
 * once no process holds them. So use one NAME per distinct spec (e.g. image
 * and sensor): two specs under one NAME evict each other's snapshot.
 *
 * A snapshot is used only if its manifest holds exactly the key computed
 * now and all three files have the recorded size and content hash; anything
 * else (missing, truncated, edited, half-written) is moved aside and
 * rebuilt, never used. snapshot_ensure() does the full check, so once per
 * harness run; vm_start_restored() re-checks that the state and the RAM
 * file have the size and inode that were checked (QEMU opens the RAM file
 * by path), that the trial's vm_config gives the snapshot's masked argv,
 * and, unless the snapshot is a pre-mount one, that the trial disk's
 * backing file is the base disk that was checked and that the trial disk
 * was never written to (the restored guest's page cache must meet the
 * disk it was saved with). A
 * restore QEMU still refuses (it exits) fails with an error naming the
 * snapshot directory and QEMU's own message.
 *
 * Sharing: from snapshot_ensure() to snapshot_release() a process holds a
 * shared flock on NAME/KEY, and deleting a KEY needs an exclusive one, so a
 * snapshot is never deleted under a running trial. Trials never write to a
 * snapshot: the state is opened read-only, QEMU opens a trial overlay's
 * backing file (the base disk) read-only, and a clone maps the RAM file
 * private (QEMU 7.2 opens it O_RDWR all the same, though it never writes
 * it: a user without write permission on the 0444 file, i.e. not root,
 * gets QEMU's "can't open backing store" as the restore's error; QEMU 8.2
 * has readonly=on,rom=off for that).
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

struct snapshot_spec;
struct machine;
struct loop;

/*
 * The build's boot, supplied by the caller (the engine's is
 * disks_snapshot_boot()): boot m (new, not started; taken: released by the
 * callee) in l to spec->ready, writing its console to log_path. Judged
 * clean there: keep it running and call saved(ctx) (the save and the
 * quit, which returns once the machine exited), keeping what serves the
 * guest (the update channel) until it returns; return its result. Anything
 * else: -1 with err saying the verdict and why, saved() not called.
 */
typedef int (*snapshot_boot_fn)(const struct snapshot_spec *spec, struct machine *m,
				struct loop *l, const char *log_path,
				int (*saved)(void *ctx, struct bp_error *err), void *ctx,
				struct bp_error *err);

struct snapshot_spec {
	const char *cache_dir; /* absolute, e.g. <root>/build/snapshots */
	const char *name;      /* e.g. "linux-v1" (image + sensor): NAME above; no '/' */
	struct vm_config vm;   /* how trials start QEMU; .disk, .run_dir, .incoming ignored */
	const char *golden;    /* absolute path of the golden qcow2 the base disk overlays */
	struct inject_op *ops; /* applied to the base disk before its boot (sensor, agent) */
	size_t nr_ops;
	const char *ready;   /* console substring: the "ready for content" point */
	int boot_timeout_ms; /* from cont to the ready line */
	int silence_timeout_ms; /* no console output this long: a hang (0: boot_timeout_ms) */
	/*
	 * ready is the guest's pre-mount point (guest.h): the saved guest
	 * holds nothing of its disk, so it may be restored onto any overlay of
	 * golden, written to or not (vm_start_restored()'s disk checks go).
	 */
	int premount;
	snapshot_boot_fn boot;  /* required: the boot to ready (above) */
};

struct snapshot {
	char *dir;   /* cache_dir/NAME/KEY */
	char *disk;  /* base disk: back trial overlays with it (read-only, 0444) */
	char *state; /* the saved device state (read-only, 0444) */
	char *ram;   /* the guest's RAM at the save (read-only, 0444): clones map it private */
	/*
	 * Why snapshot_ensure() built it, for the log: "none existed", "its
	 * inputs changed", "the existing one was invalid: <what>"; NULL if reused.
	 */
	char *why;
	/* private */
	uint64_t state_size, ram_size;
	uint64_t state_dev, state_ino; /* the files checked, so a replaced one is refused */
	uint64_t ram_dev, ram_ino;
	uint64_t disk_dev, disk_ino;
	char *argv_key; /* masked argv the state was saved with */
	int premount;	/* spec->premount */
	int lock_fd;	/* shared flock on dir */
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
 * own; disk a fresh qcow2 overlay backed by s->disk, from
 * overlay_create(s->disk, ...), nothing written to it yet: content goes in
 * live, or offline only after this boot; for a pre-mount snapshot any
 * overlay of the golden disk); everything else must equal the spec's vm. Returns 0 with the VM paused at the saved point (restore
 * complete), ready for vm_cont(); the guest then continues just after its
 * ready line (which is not printed again) with a clock that jumped. The
 * update channel's HELLO was said to the build: call update_resume() on
 * vm->update_fd's update object before pushing. On failure QEMU is
 * stopped; call vm_release() in both cases.
 */
int vm_start_restored(struct vm *vm, const struct vm_config *cfg, const struct snapshot *s,
		      int timeout_ms, struct bp_error *err);
/*
 * vm_start_restored()'s checks without starting anything (for a backend
 * driven from an event loop): the state file opened read-only (the caller
 * closes it), or -1 with err saying which check failed (no prefix).
 */
int snapshot_open_state(const struct snapshot *s, const struct vm_config *cfg,
			struct bp_error *err);
/*
 * A restore's QEMU options from the trial's: -incoming defer and the
 * snapshot's RAM file mapped private (snapshot_open_state() checks the
 * trial's own options first).
 */
void snapshot_clone_config(const struct snapshot *s, struct vm_config *cfg);
/* The fd name under which the state goes to QEMU ("fd:NAME" for migrate-incoming). */
#define SNAPSHOT_STATE_FD_NAME "bpstate"

#endif
