/*
 * proc - child processes the harness supervises (QEMU, the KVM probe).
 *
 * Children are argv vectors (never shell strings), get PR_SET_PDEATHSIG
 * (SIGKILL) so none outlives a crashed harness, run in their own process
 * group with stdin on /dev/null and stdout+stderr in a log file, and are
 * recorded in a process-wide table until reaped so proc_kill_all() can end
 * them from a signal handler. A pidfd makes exit visible to poll().
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
	pid_t pid;  /* > 0 while running and unreaped */
	int pidfd;  /* readable once the child exited; -1 if none */
	enum proc_exit exit;
	int code;
};

/*
 * Fork a supervised child. Returns 0 in both processes: in the child p->pid
 * is 0 (it should end with _exit), in the parent p->pid > 0. -1 on failure.
 */
int proc_fork(struct proc *p, struct bp_error *err);
/* Start argv with output to log_path ("/dev/null" is fine). Returns 0 or -1. */
int proc_spawn(struct proc *p, char **argv, const char *log_path, struct bp_error *err);
/* Non-blocking reap: 1 if the child has exited (p->exit set), 0 if running. */
int proc_reap(struct proc *p);
/* Wait up to timeout_ms for exit: 0 if it exited, -1 on timeout. */
int proc_wait(struct proc *p, int timeout_ms);
/* SIGKILL and reap (bounded). Accepts a never-started or already reaped proc. */
void proc_kill(struct proc *p);
/* Close the pidfd. */
void proc_release(struct proc *p);
/* "exited with status 1" / "killed by signal 9 (Killed)" */
const char *proc_describe(const struct proc *p, char *buf, size_t len);

/* SIGKILL every child still running (async-signal-safe). */
void proc_kill_all(void);

/* NULL-terminated argv builder. */
struct argv_builder {
	char **v;
	size_t nr, alloc;
};
void argv_push(struct argv_builder *b, const char *arg);
void argv_pushf(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_free(char **argv);

#endif
