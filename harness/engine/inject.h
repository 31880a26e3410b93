/*
 * inject - offline content injection into per-trial disk overlays through
 * the libguestfs C API.
 *
 * overlay_create() makes a qcow2 overlay whose backing file is the golden
 * image; the golden image is only ever opened read-only (as a backing file),
 * so no trial can modify it. inject_batch() then launches ONE libguestfs
 * appliance for a whole batch of overlays (a launch costs ~10 s here, each
 * further operation ~0.1 s), and applies each job's operations to its disk:
 * files are uploaded (parent directories created), removed by glob, or
 * checked for existence. The guest filesystem is on the whole disk (no
 * partition table), as the reference images build it.
 *
 * libguestfs messages are captured, never printed: failures fill err.
 */
#ifndef BP_INJECT_H
#define BP_INJECT_H

#include <stddef.h>

#include "proc.h"
#include "util.h"

enum inject_op_kind {
	INJECT_UPLOAD,       /* host -> guest path */
	INJECT_REMOVE_GLOB,  /* rm -f every path matching the guest glob; count in result */
	INJECT_EXISTS,       /* result = 1 if the guest glob matches anything, else 0 */
};

struct inject_op {
	enum inject_op_kind kind;
	const char *host;   /* INJECT_UPLOAD only */
	const char *guest;  /* absolute path or glob in the guest filesystem */
	int result;         /* out: INJECT_REMOVE_GLOB / INJECT_EXISTS */
};

struct inject_job {
	const char *disk; /* qcow2 overlay */
	struct inject_op *ops;
	size_t nr_ops;
};

/* Create overlay (qcow2) backed by golden (qcow2). Fails if overlay exists. */
int overlay_create(const char *golden, const char *overlay, struct bp_error *err);

/* Apply every job in one appliance launch. accel is "kvm" or "tcg". */
int inject_batch(struct inject_job *jobs, size_t nr_jobs, const char *accel, struct bp_error *err);

/*
 * The same in a supervised child process (proc.h), so libguestfs's memory
 * and appliance stay out of the harness and a signal to the harness ends it.
 * inject_start() forks it; the caller polls task->proc.pidfd (from its own
 * poll loop, so other VMs keep being served) and then calls inject_finish(),
 * which copies the op results back into the jobs as if run in-process.
 * jobs must stay valid until inject_finish().
 */
struct inject_task {
	struct proc proc;
	int fd; /* read end of the result pipe */
	struct inject_job *jobs;
	size_t nr_jobs;
};

int inject_start(struct inject_task *task, struct inject_job *jobs, size_t nr_jobs,
		 const char *accel, struct bp_error *err);
/* After the child exited (or to give up: kill=1). Returns 0 or -1 with err. */
int inject_finish(struct inject_task *task, int kill, struct bp_error *err);

/* inject_start + wait up to timeout_ms + inject_finish. */
int inject_batch_isolated(struct inject_job *jobs, size_t nr_jobs, const char *accel,
			  int timeout_ms, struct bp_error *err);

#endif
