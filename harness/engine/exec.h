/*
 * exec - runs one trial: the scenario's steps, in order, on the trial's
 * disk overlay.
 *
 * An exec is a state machine the run's poll loop drives, like a boot: it is
 * either booting (a struct boot), waiting for an offline operation on its
 * disk (a libguestfs child, see inject.h — asynchronous so that other VMs
 * keep being served), or done. Each boot becomes a boot_result with the
 * outcome its step expected; offline checks and recovery figures become
 * checks and the trial's `recovery`. exec_step() reports finished boots
 * through the `on_boot` callback (for the TAP stream) as they happen.
 */
#ifndef BP_EXEC_H
#define BP_EXEC_H

#include <poll.h>
#include <stdint.h>

#include "boot.h"
#include "inject.h"
#include "results.h"

struct exec;
typedef void (*exec_boot_fn)(void *ctx, struct exec *e, const struct boot_result *b);

struct exec_env {
	const char *accel;
	const char *run_dir;  /* reports/<run-id> */
	const char *work_dir; /* this trial's private scratch directory (sockets) */
	const char *overlay;  /* this trial's disk */
	exec_boot_fn on_boot;
	void *ctx;
	/* Restore this for the trial's first boot instead of booting (NULL: cold). */
	const struct snapshot *snapshot;
};

#define EXEC_MAX_POLLFDS BOOT_MAX_POLLFDS

struct exec {
	struct exec_env env;
	struct trial_result *t;
	const struct scenario *sc;
	size_t step;        /* index of the current step */
	int step_started;   /* the current step has begun its work */
	int step_boots;     /* boots made by the current step */
	int clean_streak;   /* consecutive clean boots in a clean_boots step */
	int booting, offline, done;
	struct boot boot;
	struct boot_params p;
	char *log_path;
	char *shot_path, *shot_rel;
	char *append;       /* the image's command line plus the scenario's race switches */
	char *boot_append;  /* this boot's, when a power_off step adds to it */
	struct inject_task task;
	struct inject_job job;
	struct inject_ops ops; /* the current offline step's */
	const struct content_set *published; /* rollback on offer */
	const struct content_set *push;      /* live deploy waiting for the next boot */
	int64_t t_published_ms, t_step_ms;
};

void exec_start(struct exec *e, const struct exec_env *env, struct trial_result *t);
int exec_pollfds(struct exec *e, struct pollfd *fds);
int64_t exec_deadline(const struct exec *e);
void exec_step(struct exec *e, const struct pollfd *fds, int nfds);
static inline int exec_done(const struct exec *e)
{
	return e->done;
}
/* Stop whatever runs (QEMU, libguestfs) and free; the trial result stays. */
void exec_release(struct exec *e);

/* The kernel command line of sc's boots: the image's, plus the race switches (malloc'd). */
char *exec_append(const struct scenario *sc);
/* How sc's boots start QEMU: the one place that says so (snapshots must match it). */
struct vm_config exec_vm_config(const struct scenario *sc, const char *accel, const char *append,
				const char *disk, const char *run_dir);

#endif
