/*
 * inject - offline content injection into per-trial disk overlays through
 * the libguestfs C API.
 *
 * overlay_create() makes a qcow2 overlay whose backing file is the golden
 * image; the golden image is only ever opened read-only (as a backing file),
 * so no trial can modify it. Jobs then apply operations to such disks:
 * files are uploaded (parent directories created), removed by glob, or
 * checked for existence, on the disk's OS root: the file system on the
 * whole disk (the reference images), or the one inspection finds on a
 * partitioned disk, Windows paths and globs resolved case-insensitively
 * (guestroot.h).
 *
 * Jobs run in the libguestfs worker: one supervised child process (proc.h)
 * per harness process, forked at the first job and kept, so that
 * libguestfs's memory and appliance stay out of the harness and a signal to
 * the harness ends it. It holds ONE appliance, launched at its first job
 * and reused for every later one, whatever trial it is for (appliance.h:
 * libguestfs cannot hotplug disks, so the appliance reaches each job's disk
 * through an NBD export that is re-pointed per job; a launch costs 10-60 s
 * here under TCG, a job a few seconds). Jobs are served one at a time in the order they were
 * started. The worker holds a job's disk only while it runs the job.
 *
 * libguestfs messages are captured, never printed: failures fill err.
 */
#ifndef BP_INJECT_H
#define BP_INJECT_H

#include <stddef.h>

#include "proc.h"
#include "util.h"

enum inject_op_kind {
	INJECT_UPLOAD,	    /* host -> guest path */
	INJECT_REMOVE_GLOB, /* rm -f every path matching the guest glob; count in result */
	INJECT_EXISTS,	    /* result = 1 if the guest glob matches anything, else 0 */
	/* Windows roots (winreg.h): */
	INJECT_SERVICE,	      /* register driver `guest` as kernel service `name`, Start `value` */
	INJECT_SERVICE_START, /* service `name`'s Start = `value`; result 1, or 0: no such service */
	INJECT_SAFEBOOT,      /* the default boot entry in Safe Mode (value 1) or not (0) */
	INJECT_SERVICE_PARAM, /* service `name`'s Parameters value `guest` = REG_DWORD `value` */
	/*
	 * Copy the regular files matching the guest glob (at most
	 * INJECT_COLLECT_FILES of them, the newest) into the host directory
	 * `host` (it exists), each cut at `value` bytes; result: how many.
	 * Each copy is named after its guest file (bytes outside
	 * [A-Za-z0-9._-] made '_', a number put first if the name is taken),
	 * and a line per file is appended to host/INJECT_COLLECT_MANIFEST:
	 * "COPIED SIZE MTIME NAME GUESTPATH" (decimal bytes copied, its size,
	 * its mtime in seconds, the copy's name, the guest path with control
	 * bytes made '?'), so a cut file says it was cut.
	 */
	INJECT_COLLECT,
	INJECT_AGENT_SERVICE, /* register program `guest` as own-process auto-start service `name` */
	INJECT_RECOVERY,      /* the default boot entry's recovery on (value 1) or off (0) */
};
#define INJECT_OP_LAST INJECT_RECOVERY

#define INJECT_COLLECT_FILES 8
#define INJECT_COLLECT_MANIFEST "collected.txt"

struct inject_op {
	enum inject_op_kind kind;
	const char *host;  /* INJECT_UPLOAD: the file; INJECT_COLLECT: the directory */
	/*
	 * absolute path or glob in the guest filesystem ("" when none);
	 * INJECT_SERVICE_PARAM: the value's name
	 */
	const char *guest;
	int result;	   /* out: INJECT_REMOVE_GLOB / INJECT_EXISTS / INJECT_SERVICE_START */
	const char *name;  /* INJECT_SERVICE, _START, _PARAM, INJECT_AGENT_SERVICE: the service */
	/*
	 * INJECT_SERVICE, _START: a Start type; INJECT_SAFEBOOT, INJECT_RECOVERY:
	 * on; _PARAM: the value; INJECT_COLLECT: bytes per file at most
	 */
	unsigned value;
};

struct inject_job {
	const char *disk; /* qcow2 overlay */
	struct inject_op *ops;
	size_t nr_ops;
};

/*
 * A list of ops being built (by the disks' base content, by a trial's
 * offline steps): never NULL once something was added; it owns the guest
 * paths and service names (copied), not the host paths (the suite's,
 * which outlive it).
 */
struct inject_ops {
	struct inject_op *v;
	size_t nr, alloc;
};
#define INJECT_OPS_INIT {NULL, 0, 0}

void inject_ops_add(struct inject_ops *o, enum inject_op_kind kind, const char *host,
		    const char *guest);
/* A registry op (INJECT_SERVICE, _START, _PARAM, INJECT_SAFEBOOT, ...): guest and name may be NULL. */
void inject_ops_add_reg(struct inject_ops *o, enum inject_op_kind kind, const char *name,
			const char *guest, unsigned value);
/* Upload every file of a content set (scenario.h) as DIR/<its name>. */
struct content_set;
void inject_ops_add_content(struct inject_ops *o, const struct content_set *cs, const char *dir);
/* Free the paths and the list; o is empty (and reusable) afterwards. */
void inject_ops_release(struct inject_ops *o);

/* Create overlay (qcow2) backed by golden (qcow2). Fails if overlay exists. */
int overlay_create(const char *golden, const char *overlay, struct bp_error *err);

/*
 * Hand jobs to the worker (started first if there is none, or it died).
 * The caller polls task->fd (from its own poll loop, so other VMs keep being
 * served): it is readable once the worker has answered, or died. Then
 * inject_finish() copies the op results back into the jobs. jobs must stay
 * valid until inject_finish(). accel is "kvm" or "tcg".
 */
struct inject_task {
	int fd; /* read end of this task's reply pipe; -1 when none */
	struct inject_job *jobs;
	size_t nr_jobs;
};

int inject_start(struct inject_task *task, struct inject_job *jobs, size_t nr_jobs,
		 const char *accel, struct bp_error *err);
/*
 * After task->fd became readable, or to give up (kill=1: the worker is
 * stopped, since its state is unknown; tasks queued behind this one then
 * fail too, and the next inject_start() forks a new worker). Returns 0 or
 * -1 with err (err may be NULL when killing).
 */
int inject_finish(struct inject_task *task, int kill, struct bp_error *err);

/* inject_start + wait up to timeout_ms + inject_finish. */
int inject_batch_isolated(struct inject_job *jobs, size_t nr_jobs, const char *accel,
			  int timeout_ms, struct bp_error *err);

/*
 * Stop the worker: it shuts its appliance down and removes its sockets
 * (bounded; then it is killed). Also run at exit. Nothing if none runs.
 */
void inject_shutdown(void);

/* Appliance launches the worker reported with its last answer (for tests). */
int inject_launches(void);

#endif
