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
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MAX_LIVE 256
#define GROUP_GONE_MS 1000
static volatile pid_t live_pids[MAX_LIVE];
static volatile sig_atomic_t live_gentle[MAX_LIVE];

/*
 * A slot is claimed with a compare-and-swap: a libvirt host's worker
 * thread (virt-store.h runs qemu-img) may fork while the loop's thread
 * does, and neither may take the other's slot.
 */
static void live_add(pid_t pid, int gentle)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (__sync_bool_compare_and_swap(&live_pids[i], 0, pid)) {
			live_gentle[i] = gentle;
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
	int saved = errno;

	for (size_t i = 0; i < MAX_LIVE; i++) {
		pid_t pid = live_pids[i];

		if (pid <= 0)
			continue;
		if (live_gentle[i]) {
			kill(-pid, SIGTERM);
		} else {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
	}
	errno = saved;
}

/*
 * A worker's SIGTERM: once, pass it on to the worker's process group (its
 * appliance and helpers end, so its library calls fail and it cleans up and
 * exits) and arm an alarm (SIGALRM's default action ends it) in case that
 * takes too long. Forked children of the worker inherit this; exec'd ones don't.
 */
static void worker_on_term(int sig)
{
	static volatile sig_atomic_t stopping;
	int saved = errno;

	(void)sig;
	if (!stopping) {
		stopping = 1;
		alarm(PROC_GRACE_MS / 1000 > 1 ? PROC_GRACE_MS / 1000 - 1 : 1);
		kill(0, SIGTERM);
	}
	errno = saved;
}

static void child_signals(int gentle)
{
	struct sigaction sa = {0};

	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sa.sa_handler = gentle ? worker_on_term : SIG_DFL;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
}

static int fork_child(struct proc *p, int gentle, struct bp_error *err)
{
	pid_t parent = getpid();
	sigset_t stops, old;

	memset(p, 0, sizeof(*p));
	p->pidfd = -1;
	p->gentle = gentle;
	/*
	 * No stop signal is handled between fork and the table knowing the
	 * child (the handler would miss it), nor in the child before its own
	 * dispositions are set (it would run the harness's handler).
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, &old);
	p->pid = fork();
	if (p->pid < 0) {
		int e = errno;

		sigprocmask(SIG_SETMASK, &old, NULL);
		p->pid = 0;
		return error_set(err, "cannot fork: %s", strerror(e));
	}
	if (p->pid == 0) {
		sigset_t none;

		/* The child must never outlive the harness, even one killed with SIGKILL. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		child_signals(gentle);
		/* Own process group: a terminal's ^C reaches the harness, which stops it. */
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		return 0;
	}
	/* Also here, so the group exists before anyone signals it. */
	setpgid(p->pid, p->pid);
	live_add(p->pid, gentle);
	sigprocmask(SIG_SETMASK, &old, NULL);
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0) {
		error_set(err, "pidfd_open: %s", strerror(errno));
		proc_kill(p);
		return -1;
	}
	fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int proc_fork(struct proc *p, struct bp_error *err)
{
	return fork_child(p, 1, err);
}

int proc_spawn(struct proc *p, char **argv, const char *log_path, struct bp_error *err)
{
	int logfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (logfd < 0) {
		memset(p, 0, sizeof(*p));
		p->pidfd = -1;
		return error_set(err, "cannot create '%s': %s", log_path, strerror(errno));
	}
	if (fork_child(p, 0, err) < 0) {
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

/*
 * After the group's leader was reaped, wait (bounded) until the members
 * killed with it are gone. They are not our children, so there is no fd to
 * poll: look every few milliseconds. The id cannot be reused while any
 * member exists.
 */
static void group_wait_gone(pid_t pgid)
{
	int64_t deadline = now_ms() + GROUP_GONE_MS;
	struct timespec tick = {0, 2 * 1000 * 1000};

	while (kill(-pgid, 0) == 0 && now_ms() < deadline)
		nanosleep(&tick, NULL);
}

int proc_reap(struct proc *p)
{
	siginfo_t info;
	int status, r;

	if (p->pid <= 0)
		return 1;
	/* Look without reaping: while the zombie stays, its group id is still ours. */
	memset(&info, 0, sizeof(info));
	do
		r = waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT);
	while (r < 0 && errno == EINTR);
	if (r == 0 && info.si_pid == 0)
		return 0;
	/* Whatever the child started and left behind goes with it. */
	if (r == 0)
		kill(-p->pid, SIGKILL);
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
		group_wait_gone(p->pid);
	}
	live_del(p->pid);
	p->pid = 0;
	return 1;
}

static void pidfd_ready(struct loop *l, int fd, short revents, void *ctx)
{
	*(int *)ctx = 1;
}

/* Blocking, for code outside the shared loop: a private loop on the pidfd. */
int proc_wait(struct proc *p, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct loop *l = loop_new();
	int ready = 0, ret = 0;

	loop_fd_add(l, p->pidfd, POLLIN, pidfd_ready, &ready);
	while (!proc_reap(p)) {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			ret = -1;
			break;
		}
		ready = 0;
		loop_once(l, (int)left);
	}
	loop_free(l);
	return ret;
}

void proc_kill_nowait(struct proc *p)
{
	if (p->pid <= 0)
		return;
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
}

void proc_kill(struct proc *p)
{
	if (p->pid <= 0)
		return;
	if (p->gentle) {
		kill(-p->pid, SIGTERM);
		if (proc_wait(p, PROC_GRACE_MS) == 0)
			return;
	}
	proc_kill_nowait(p);
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
	enum proc_exit how = p->exit;
	int code = p->code;
	siginfo_t info;

	/* Exited but not reaped yet (its pidfd just said so): how it ended, not "running". */
	memset(&info, 0, sizeof(info));
	if (how == PROC_RUNNING && p->pid > 0 &&
	    waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    info.si_pid == p->pid) {
		how = info.si_code == CLD_EXITED ? PROC_EXITED : PROC_SIGNALED;
		code = info.si_status;
	}
	switch (how) {
	case PROC_EXITED:
		snprintf(buf, len, "exited with status %d", code);
		break;
	case PROC_SIGNALED:
		snprintf(buf, len, "killed by signal %d (%s)", code, strsignal(code));
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

static void on_stop_signal(int sig)
{
	bp_interrupted = sig;
	proc_kill_all();
}

void proc_stop_on_signals(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
