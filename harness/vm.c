/*
 * vm - spawn, connect to, supervise and reap one QEMU process.
 *
 * After libqtest: the harness listens, QEMU connects (no race); stopping is
 * QMP quit, a bounded wait, then SIGKILL (proc.h supervises the process).
 */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

const char *vm_qemu_binary(void)
{
	const char *q = getenv("BOOTPROOF_QEMU");

	return q && *q ? q : "qemu-system-x86_64";
}

/* QEMU option values escape ',' as ",,". */
static char *opt_escape(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		if (*s == ',')
			strbuf_addch(&sb, ',');
		strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb);
}

char **vm_argv(const struct vm_config *cfg, const char *qmp_sock, const char *serial_sock)
{
	struct argv_builder b = {0};
	char *q = opt_escape(qmp_sock), *s = opt_escape(serial_sock), *d = opt_escape(cfg->disk);

	argv_push(&b, vm_qemu_binary());
	argv_push(&b, "-accel");
	argv_push(&b, cfg->accel);
	argv_push(&b, "-M");
	argv_push(&b, "pc");
	argv_push(&b, "-m");
	argv_pushf(&b, "%d", cfg->memory_mib);
	argv_push(&b, "-smp");
	argv_push(&b, "1");
	argv_push(&b, "-nodefaults");
	argv_push(&b, "-no-user-config");
	argv_push(&b, "-display");
	argv_push(&b, "none");
	argv_push(&b, "-S");
	argv_push(&b, "-chardev");
	argv_pushf(&b, "socket,id=qmp,path=%s", q);
	argv_push(&b, "-mon");
	argv_push(&b, "chardev=qmp,mode=control");
	argv_push(&b, "-chardev");
	argv_pushf(&b, "socket,id=ser0,path=%s", s);
	argv_push(&b, "-serial");
	argv_push(&b, "chardev:ser0");
	argv_push(&b, "-kernel");
	argv_push(&b, cfg->kernel);
	argv_push(&b, "-initrd");
	argv_push(&b, cfg->initrd);
	argv_push(&b, "-append");
	argv_push(&b, cfg->append);
	argv_push(&b, "-drive");
	argv_pushf(&b, "file=%s,if=virtio,format=qcow2", d);
	/* pvpanic turns a guest panic into a GUEST_PANICKED event. */
	argv_push(&b, "-device");
	argv_push(&b, "pvpanic");
	/*
	 * panic=none keeps the guest running after GUEST_PANICKED so the console
	 * gets the whole report; a guest reboot ends the process (one QEMU per
	 * boot) with SHUTDOWN reason guest-reset.
	 */
	argv_push(&b, "-action");
	argv_push(&b, "reboot=shutdown,shutdown=poweroff,panic=none");
	free(q);
	free(s);
	free(d);
	return b.v;
}

static int listen_unix(const char *path, struct bp_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(err, "socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_set(err, "cannot create socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		error_set(err, "cannot listen on '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Accept QEMU's connections to both listening sockets, or fail if it exits or times out. */
static int accept_both(struct vm *vm, int lq, int ls, int *ret_q, int *ret_s, int64_t deadline,
		       struct bp_error *err)
{
	*ret_q = *ret_s = -1;
	while (*ret_q < 0 || *ret_s < 0) {
		struct pollfd p[3] = {{lq, POLLIN, 0}, {ls, POLLIN, 0}, {vm->proc.pidfd, POLLIN, 0}};
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return error_set(err, "qemu did not connect within the startup deadline");
		if (*ret_q >= 0)
			p[0].fd = -1;
		if (*ret_s >= 0)
			p[1].fd = -1;
		if (poll(p, 3, (int)left) < 0 && errno != EINTR)
			return error_set(err, "poll: %s", strerror(errno));
		if (p[2].revents)
			return error_set(err, "qemu exited during startup");
		if (p[0].revents & POLLIN)
			*ret_q = accept4(lq, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (p[1].revents & POLLIN)
			*ret_s = accept4(ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	}
	return 0;
}

/* Append the tail of QEMU's own log to err, which usually names the cause. */
static void error_add_qemu_log(struct bp_error *err, const char *log_path)
{
	struct strbuf sb = STRBUF_INIT;
	size_t used;

	if (!err || read_file(log_path, &sb, NULL) < 0 || !sb.len)
		goto out;
	while (sb.len && (sb.buf[sb.len - 1] == '\n'))
		sb.buf[--sb.len] = '\0';
	used = strlen(err->msg);
	if (used + 16 < sizeof(err->msg)) {
		size_t room = sizeof(err->msg) - used - 16;
		const char *tail = sb.len > room ? sb.buf + sb.len - room : sb.buf;

		snprintf(err->msg + used, sizeof(err->msg) - used, " (qemu: %s)", tail);
	}
out:
	strbuf_release(&sb);
}

int vm_start(struct vm *vm, const struct vm_config *cfg, int timeout_ms, struct bp_error *err)
{
	char *qpath = xasprintf("%s/qmp.sock", cfg->run_dir);
	char *spath = xasprintf("%s/serial.sock", cfg->run_dir);
	char **argv = NULL;
	int lq = -1, ls = -1, fq = -1, fs = -1, ret = -1;
	int64_t deadline = now_ms() + timeout_ms;

	memset(vm, 0, sizeof(*vm));
	vm->proc.pidfd = vm->serial_fd = -1;
	vm->log_path = xasprintf("%s/qemu.log", cfg->run_dir);
	if ((lq = listen_unix(qpath, err)) < 0 || (ls = listen_unix(spath, err)) < 0)
		goto out;
	argv = vm_argv(cfg, qpath, spath);
	vm->started_ns = now_ns();
	if (proc_spawn(&vm->proc, argv, vm->log_path, err) < 0)
		goto out;
	if (accept_both(vm, lq, ls, &fq, &fs, deadline, err) < 0)
		goto out;
	vm->qmp = qmp_new(fq);
	fq = -1;
	vm->serial_fd = fs;
	fs = -1;
	if (qmp_handshake(vm->qmp, (int)(deadline - now_ms()), err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		vm_stop(vm, 0);
		error_add_qemu_log(err, vm->log_path);
	}
	if (fq >= 0)
		close(fq);
	if (fs >= 0)
		close(fs);
	if (lq >= 0)
		close(lq);
	if (ls >= 0)
		close(ls);
	unlink(qpath);
	unlink(spath);
	free(qpath);
	free(spath);
	argv_free(argv);
	return ret;
}

int vm_cont(struct vm *vm, struct bp_error *err)
{
	return qmp_cont(vm->qmp, err);
}

int vm_reap(struct vm *vm)
{
	return proc_reap(&vm->proc);
}

void vm_stop(struct vm *vm, int grace_ms)
{
	if (vm->proc.pid <= 0)
		return;
	if (grace_ms > 0 && vm->qmp && !proc_reap(&vm->proc)) {
		/* A hung QEMU must not hold us longer than the grace period. */
		qmp_set_timeout(vm->qmp, grace_ms);
		qmp_quit(vm->qmp, NULL);
		if (proc_wait(&vm->proc, grace_ms) == 0)
			return;
	}
	proc_kill(&vm->proc);
}

void vm_release(struct vm *vm)
{
	if (!vm || !vm->log_path)
		return;
	vm_stop(vm, 2000);
	proc_release(&vm->proc);
	qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (vm->serial_fd >= 0)
		close(vm->serial_fd);
	vm->serial_fd = -1;
	free(vm->log_path);
	vm->log_path = NULL;
}
