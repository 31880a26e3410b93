/*
 * proc - child processes the harness supervises (QEMU, the KVM probe).
 *
 * Children are argv vectors (never shell strings), get PR_SET_PDEATHSIG
 * (SIGKILL) so none outlives a crashed harness, run in their own process
 * group with stdin on /dev/null and stdout+stderr in a log file, and are
 * recorded in a process-wide table until reaped so proc_kill_all() can end
 * them from a signal handler. A pidfd makes exit visible to poll().
 *
 * A child's process group is its own business but the harness's
 * responsibility: whatever a child started (libguestfs's appliance QEMU,
 * supermin) is killed with it, and when a child is reaped anything left in
 * its group is killed and waited for (bounded), so nothing the harness
 * started outlives it.
 *
 * Stopping: an exec'd program (proc_spawn: QEMU) has nothing to clean up and
 * gets SIGKILL. A forked worker (proc_fork: the libguestfs worker) is stopped
 * gently: SIGTERM, which its handler forwards to its process group so that
 * its own children end and its library calls fail and clean up (libguestfs
 * removes its /tmp/libguestfs* directories); it is SIGKILLed with its group
 * if it is not gone within PROC_GRACE_MS.
 */
#ifndef BP_PROC_H
#define BP_PROC_H

#include <sys/types.h>

#include "util.h"

enum proc_exit {
	PROC_RUNNING = 0,
	PROC_EXITED,   /* code = exit status */
	PROC_SIGNALED, /* code = signal number */
};

struct proc {
	pid_t pid;  /* > 0 while running and unreaped; also its process group */
	int pidfd;  /* readable once the child exited; -1 if none */
	int gentle; /* a forked worker: stopped with SIGTERM first (see above) */
	enum proc_exit exit;
	int code;
};

/* How long a forked worker has to clean up after SIGTERM before SIGKILL. */
#define PROC_GRACE_MS 3000

/*
 * Fork a supervised worker. Returns 0 in both processes: in the child p->pid
 * is 0 (it should end with _exit), in the parent p->pid > 0. -1 on failure.
 * The child's SIGTERM handler forwards the signal to its process group once
 * and arms an alarm that ends it if it has not exited within the grace.
 */
int proc_fork(struct proc *p, struct bp_error *err);
/* Start argv with output to log_path ("/dev/null" is fine). Returns 0 or -1. */
int proc_spawn(struct proc *p, char **argv, const char *log_path, struct bp_error *err);
/*
 * Non-blocking reap: 1 if the child has exited (p->exit set), 0 if running.
 * What is left of its process group is killed and waited for (bounded) first.
 */
int proc_reap(struct proc *p);
/* Wait up to timeout_ms for exit: 0 if it exited, -1 on timeout. */
int proc_wait(struct proc *p, int timeout_ms);
/*
 * Stop the child and its process group and reap (bounded): SIGKILL, or for a
 * gentle worker SIGTERM and PROC_GRACE_MS to exit first. Accepts a
 * never-started or already reaped proc.
 */
void proc_kill(struct proc *p);
/*
 * SIGKILL an exec'd child and its process group without waiting: for a
 * poll loop, which reaps it with proc_reap() once the pidfd is readable.
 */
void proc_kill_nowait(struct proc *p);
/* Close the pidfd. */
void proc_release(struct proc *p);
/*
 * "exited with status 1" / "killed by signal 9 (Killed)", also for a child
 * that has exited but is not reaped yet; "running" while it runs.
 */
const char *proc_describe(const struct proc *p, char *buf, size_t len);

/*
 * From a signal handler (async-signal-safe): SIGKILL every exec'd child's
 * process group, SIGTERM every worker's (it cleans up and exits, or its alarm
 * ends it); the main loop then reaps them with proc_kill().
 */
void proc_kill_all(void);
/*
 * A command's interrupt handling: SIGINT, SIGTERM and SIGHUP set
 * bp_interrupted and proc_kill_all() (no child outlives the command; its
 * main loop sees the flag and writes what it must), SIGPIPE is ignored.
 */
void proc_stop_on_signals(void);

/* NULL-terminated argv builder. */
struct argv_builder {
	char **v;
	size_t nr, alloc;
};
void argv_push(struct argv_builder *b, const char *arg);
void argv_pushf(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_free(char **argv);

#endif
