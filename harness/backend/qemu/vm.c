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

char **vm_argv(const struct vm_config *cfg, const char *qmp_sock, const char *serial_sock,
	       const char *update_sock)
{
	struct argv_builder b = {0};
	char *q = opt_escape(qmp_sock), *s = opt_escape(serial_sock), *d = opt_escape(cfg->disk);
	char *u = opt_escape(update_sock);

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
	/* A screen for QMP screendump: the crash as a console user would see it. */
	argv_push(&b, "-device");
	argv_push(&b, "VGA");
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
	/* Content delivery: no guest networking, a virtio-serial port to the agent. */
	argv_push(&b, "-device");
	argv_push(&b, "virtio-serial-pci");
	argv_push(&b, "-chardev");
	argv_pushf(&b, "socket,id=upd,path=%s", u);
	argv_push(&b, "-device");
	argv_push(&b, "virtserialport,chardev=upd,name=org.bootproof.update,id=" VM_UPDATE_PORT_ID);
	if (cfg->incoming) {
		argv_push(&b, "-incoming");
		argv_push(&b, "defer");
	}
	free(u);
	free(q);
	free(s);
	free(d);
	return b.v;
}

/* Accept QEMU's connection on each listening socket, or fail if it exits or times out. */
static int accept_all(struct vm *vm, const int *listen_fds, int *ret_fds, int n, int64_t deadline,
		      struct bp_error *err)
{
	struct pollfd p[4];
	int pending = n;

	for (int i = 0; i < n; i++)
		ret_fds[i] = -1;
	while (pending) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return error_set(err, "qemu did not connect within the startup deadline");
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ret_fds[i] < 0 ? listen_fds[i] : -1, POLLIN, 0};
		p[n] = (struct pollfd){vm->proc.pidfd, POLLIN, 0};
		if (poll(p, (nfds_t)n + 1, (int)left) < 0 && errno != EINTR)
			return error_set(err, "poll: %s", strerror(errno));
		if (p[n].revents)
			return error_set(err, "qemu exited during startup");
		for (int i = 0; i < n; i++)
			if (p[i].revents & POLLIN) {
				ret_fds[i] = accept4(listen_fds[i], NULL, NULL,
						     SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (ret_fds[i] >= 0)
					pending--;
			}
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
	static const char *const names[] = {"qmp.sock", "serial.sock", "update.sock"};
	char *paths[3];
	char **argv = NULL;
	int lfd[3] = {-1, -1, -1}, fd[3] = {-1, -1, -1}, ret = -1;
	int64_t deadline = now_ms() + timeout_ms;

	memset(vm, 0, sizeof(*vm));
	vm->proc.pidfd = vm->serial_fd = vm->update_fd = -1;
	vm->log_path = xasprintf("%s/qemu.log", cfg->run_dir);
	for (int i = 0; i < 3; i++)
		paths[i] = xasprintf("%s/%s", cfg->run_dir, names[i]);
	for (int i = 0; i < 3; i++)
		if ((lfd[i] = listen_unix(paths[i], err)) < 0)
			goto out;
	argv = vm_argv(cfg, paths[0], paths[1], paths[2]);
	vm->started_ns = now_ns();
	if (proc_spawn(&vm->proc, argv, vm->log_path, err) < 0)
		goto out;
	if (accept_all(vm, lfd, fd, 3, deadline, err) < 0)
		goto out;
	vm->qmp = qmp_new(fd[0]);
	vm->serial_fd = fd[1];
	vm->update_fd = fd[2];
	fd[0] = fd[1] = fd[2] = -1;
	if (qmp_handshake(vm->qmp, (int)(deadline - now_ms()), err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		vm_stop(vm, 0);
		error_add_qemu_log(err, vm->log_path);
	}
	for (int i = 0; i < 3; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		if (lfd[i] >= 0)
			close(lfd[i]);
		unlink(paths[i]);
		free(paths[i]);
	}
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
	if (vm->update_fd >= 0)
		close(vm->update_fd);
	vm->serial_fd = vm->update_fd = -1;
	free(vm->log_path);
	vm->log_path = NULL;
}
