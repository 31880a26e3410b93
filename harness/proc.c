/*
 * proc - spawn, reap and kill supervised children (see proc.h).
 */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LIVE 256
static volatile pid_t live_pids[MAX_LIVE];

static void live_add(pid_t pid)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (!live_pids[i]) {
			live_pids[i] = pid;
			return;
		}
}

static void live_del(pid_t pid)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live_pids[i] == pid)
			live_pids[i] = 0;
}

void proc_kill_all(void)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live_pids[i] > 0)
			kill(live_pids[i], SIGKILL);
}

int proc_fork(struct proc *p, struct bp_error *err)
{
	pid_t parent = getpid();

	memset(p, 0, sizeof(*p));
	p->pidfd = -1;
	p->pid = fork();
	if (p->pid < 0) {
		p->pid = 0;
		return error_set(err, "cannot fork: %s", strerror(errno));
	}
	if (p->pid == 0) {
		sigset_t none;

		/* The child must never outlive the harness, even one killed with SIGKILL. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* Own process group: a terminal's ^C reaches the harness, which stops it. */
		setpgid(0, 0);
		return 0;
	}
	live_add(p->pid);
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0) {
		error_set(err, "pidfd_open: %s", strerror(errno));
		proc_kill(p);
		return -1;
	}
	fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int proc_spawn(struct proc *p, char **argv, const char *log_path, struct bp_error *err)
{
	int logfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (logfd < 0) {
		memset(p, 0, sizeof(*p));
		p->pidfd = -1;
		return error_set(err, "cannot create '%s': %s", log_path, strerror(errno));
	}
	if (proc_fork(p, err) < 0) {
		close(logfd);
		return -1;
	}
	if (p->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	return 0;
}

int proc_reap(struct proc *p)
{
	int status;
	pid_t r;

	if (p->pid <= 0)
		return 1;
	do
		r = waitpid(p->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r == p->pid) {
		if (WIFSIGNALED(status)) {
			p->exit = PROC_SIGNALED;
			p->code = WTERMSIG(status);
		} else {
			p->exit = PROC_EXITED;
			p->code = WEXITSTATUS(status);
		}
	}
	live_del(p->pid);
	p->pid = 0;
	return 1;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (!proc_reap(p)) {
		struct pollfd pfd = {p->pidfd, POLLIN, 0};
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return -1;
		poll(&pfd, 1, (int)left);
	}
	return 0;
}

void proc_kill(struct proc *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	proc_wait(p, 10000);
}

void proc_release(struct proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

const char *proc_describe(const struct proc *p, char *buf, size_t len)
{
	switch (p->exit) {
	case PROC_EXITED:
		snprintf(buf, len, "exited with status %d", p->code);
		break;
	case PROC_SIGNALED:
		snprintf(buf, len, "killed by signal %d (%s)", p->code, strsignal(p->code));
		break;
	default:
		snprintf(buf, len, "running");
	}
	return buf;
}

void argv_push(struct argv_builder *b, const char *arg)
{
	ALLOC_GROW(b->v, b->nr + 2, b->alloc);
	b->v[b->nr++] = xstrdup(arg);
	b->v[b->nr] = NULL;
}

void argv_pushf(struct argv_builder *b, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	argv_push(b, sb.buf);
	strbuf_release(&sb);
}

void argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}
