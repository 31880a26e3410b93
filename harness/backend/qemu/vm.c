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

#include "argv.h"
#include "guest.h"
#include "loop.h"

const char *vm_qemu_binary(void)
{
	const char *q = getenv("BOOTPROOF_QEMU");

	return q && *q ? q : "qemu-system-x86_64";
}

/* Append the tail of QEMU's own log to err, which usually names the cause. */
void vm_add_log(const struct vm *vm, struct bp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t used;

	if (!err || !vm->log_path || read_file(vm->log_path, &sb, NULL) < 0 || !sb.len)
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

static void vm_close_listeners(struct vm *vm)
{
	for (int i = 0; i < VM_NR_SOCKS; i++) {
		if (vm->listen_fd[i] >= 0)
			close(vm->listen_fd[i]);
		vm->listen_fd[i] = -1;
		if (vm->sock_path[i])
			unlink(vm->sock_path[i]);
		free(vm->sock_path[i]);
		vm->sock_path[i] = NULL;
	}
}

int vm_spawn(struct vm *vm, const struct vm_config *cfg, struct bp_error *err)
{
	static const char *const names[] = {"qmp.sock", "serial.sock", "update.sock",
					    "marker.sock"};
	char **argv = NULL;
	int ret = -1;

	memset(vm, 0, sizeof(*vm));
	vm->proc.pidfd = vm->serial_fd = vm->update_fd = vm->marker_fd = -1;
	vm->nr_socks = cfg->guest->machine.marker_serial ? 4 : 3;
	for (int i = 0; i < VM_NR_SOCKS; i++)
		vm->listen_fd[i] = vm->conn_fd[i] = -1;
	vm->log_path = xasprintf("%s/qemu.log", cfg->run_dir);
	for (int i = 0; i < vm->nr_socks; i++)
		vm->sock_path[i] = xasprintf("%s/%s", cfg->run_dir, names[i]);
	for (int i = 0; i < vm->nr_socks; i++)
		if ((vm->listen_fd[i] = listen_unix(vm->sock_path[i], err)) < 0)
			goto out;
	argv = qemu_argv_vm(cfg, vm->sock_path[0], vm->sock_path[1], vm->sock_path[2],
			    vm->sock_path[3]);
	vm->started_ns = now_ns();
	if (proc_spawn(&vm->proc, argv, vm->log_path, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		vm_close_listeners(vm);
	argv_free(argv);
	return ret;
}

int vm_accept(struct vm *vm, int i)
{
	int fd;

	if (vm->listen_fd[i] < 0)
		return 0;
	fd = accept4(vm->listen_fd[i], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return 0;
	vm->conn_fd[i] = fd;
	close(vm->listen_fd[i]);
	vm->listen_fd[i] = -1;
	for (int k = 0; k < vm->nr_socks; k++)
		if (vm->conn_fd[k] < 0)
			return 0;
	vm_close_listeners(vm);
	vm->qmp = qmp_new(vm->conn_fd[0]);
	vm->serial_fd = vm->conn_fd[1];
	vm->update_fd = vm->conn_fd[2];
	vm->marker_fd = vm->conn_fd[3];
	for (int k = 0; k < VM_NR_SOCKS; k++)
		vm->conn_fd[k] = -1;
	return 1;
}

/* vm_start's private loop: a listening socket or the pidfd is readable. */
struct start_wait {
	struct vm *vm;
	int connected, exited;
};

static void start_on_listen(struct loop *l, int fd, short revents, void *ctx)
{
	struct start_wait *w = ctx;

	for (int i = 0; i < VM_NR_SOCKS; i++)
		if (w->vm->listen_fd[i] == fd && vm_accept(w->vm, i) == 1)
			w->connected = 1;
}

static void start_on_exit(struct loop *l, int fd, short revents, void *ctx)
{
	((struct start_wait *)ctx)->exited = 1;
}

int vm_start(struct vm *vm, const struct vm_config *cfg, int timeout_ms, struct bp_error *err)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct start_wait w = {vm, 0, 0};
	struct loop *l = NULL;
	int ret = -1;

	if (vm_spawn(vm, cfg, err) < 0)
		goto out;
	l = loop_new();
	for (int i = 0; i < vm->nr_socks; i++)
		loop_fd_add(l, vm->listen_fd[i], POLLIN, start_on_listen, &w);
	loop_fd_add(l, vm->proc.pidfd, POLLIN, start_on_exit, &w);
	while (!w.connected && !w.exited && now_ms() < deadline && !bp_interrupted)
		if (loop_once(l, (int)(deadline - now_ms())) < 0)
			break;
	if (!w.connected) {
		error_set(err, w.exited ? "qemu exited during startup"
					: "qemu did not connect within the startup deadline");
		goto out;
	}
	if (qmp_handshake(vm->qmp, (int)(deadline - now_ms()), err) < 0)
		goto out;
	ret = 0;
out:
	loop_free(l);
	if (ret < 0) {
		vm_stop(vm, 0);
		vm_add_log(vm, err);
	}
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
	vm_close_listeners(vm);
	for (int i = 0; i < VM_NR_SOCKS; i++)
		if (vm->conn_fd[i] >= 0)
			close(vm->conn_fd[i]);
	proc_release(&vm->proc);
	qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (vm->serial_fd >= 0)
		close(vm->serial_fd);
	if (vm->update_fd >= 0)
		close(vm->update_fd);
	if (vm->marker_fd >= 0)
		close(vm->marker_fd);
	vm->serial_fd = vm->update_fd = vm->marker_fd = -1;
	free(vm->log_path);
	vm->log_path = NULL;
}
